//! The event broker: gateway processes publish raw dispatches to Redis
//! Streams, worker processes handle them with an acord [`Client`].
//!
//! 1. **Publish.** A [`RedisPublisher`] reads a `ShardManager`'s events and
//!    `XADD`s each dispatch to the stream of its group
//!    (`{prefix}:events:{group}`, see [`EventGroups`]), trimmed to about
//!    `max_len` entries (`MAXLEN ~`). An entry holds the event name `t`,
//!    the shard `s`, the sequence number `q`, the session id `i` and the
//!    raw JSON bytes of `d`, as received: nothing is re-serialised.
//! 2. **Consume.** A [`RedisWorker`] reads the streams through a consumer
//!    group (`XREADGROUP`, the group created with `MKSTREAM` if missing)
//!    and hands each entry to [`Client::run_deliveries`]: the same cache,
//!    handlers, listeners and router as a single-process bot. Handlers read
//!    where the event came from with [`Context::event_meta`](acord::Context::event_meta).
//! 3. **Acknowledge.** An entry is `XACK`ed once every handler call for it
//!    has ended ([`DeliveryDone`]). An entry whose
//!    handler panicked or whose payload did not deserialise is copied to
//!    the dead-letter stream `{prefix}:dead` (with the reason), then acked;
//!    so is an entry that is not a well-formed dispatch
//!    ([`BrokerError::BadEntry`]). Nothing is retried in a loop.
//! 4. **Re-claim.** While a handler runs, its worker keeps the entry fresh
//!    (an `XCLAIM … JUSTID` of its own entries every third of `claim_idle`).
//!    An entry idle for longer than `claim_idle` belongs to a worker that
//!    died; every worker `XAUTOCLAIM`s such entries and handles them.
//!    Delivery is therefore at-least-once: an event may be handled twice
//!    (by the dead worker before it died and by the one that re-claimed
//!    it), and `(shard, seq, session)` ([`EventMeta`]) tells the two apart.
//!
//! # Ordering
//! Events of one group are read in order, but handled concurrently (as in
//! one process) and spread over workers; events of different groups have
//! no order between them. A bot that needs a GUILD_CREATE handled before
//! the guild's messages keeps both in one group (or reads the shared
//! cache).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acord::{Client, ClientError, Delivery, DeliveryDone, DeliveryOutcome, EventMeta};
use acord_core_gateway::{Dispatch, GatewayError, ShardEvent, ShardManager};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use redis::aio::ConnectionManager;
use redis::Value;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::{holder_tag, millis, RedisError};

/// Entry fields: event name, shard, sequence, session, raw `d`.
const F_NAME: &str = "t";
const F_SHARD: &str = "s";
const F_SEQ: &str = "q";
const F_SESSION: &str = "i";
const F_DATA: &str = "d";

/// Renews the idle time of a worker's own pending entries (and only its
/// own: an entry another worker re-claimed is left alone). KEYS: stream.
/// ARGV: group, consumer, ids…
const KEEP_FRESH: &str = r"
local kept = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    kept = kept + 1
  end
end
return kept
";

/// What can go wrong in the broker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// A Redis command failed and retrying does not help (or the
    /// connection stayed down).
    #[error("the event broker could not use Redis")]
    Redis(#[from] RedisError),
    /// The worker's client could not run (it was already started).
    #[error("the worker's client could not run")]
    Client(#[source] ClientError),
    /// A shard of the publisher's `ShardManager` stopped for good; the
    /// other shards were closed.
    #[error("shard {shard} stopped for good; the publisher closed the other shards")]
    Gateway {
        /// The shard.
        shard: u32,
        /// Why it stopped (says what to fix).
        #[source]
        source: Arc<GatewayError>,
    },
    /// The `ShardManager`'s event stream was already taken (by `start`, or
    /// `take_events`): give the publisher a manager that was not started.
    #[error("the ShardManager's events were already taken; hand the publisher a manager before calling start or take_events")]
    EventsTaken,
    /// A stream entry is not a well-formed dispatch (written by something
    /// else, or by an incompatible version). The worker logs it, copies
    /// it to the dead-letter stream and acknowledges it.
    #[error("stream entry {id} of {stream} is not a dispatch: {problem}; it was moved to the dead-letter stream")]
    BadEntry {
        /// The stream key.
        stream: String,
        /// The entry id.
        id: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl BrokerError {
    /// Whether retrying may help (Redis went away for a moment).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Redis(e) if e.is_retryable())
    }
}

fn command(what: &'static str) -> impl FnOnce(redis::RedisError) -> BrokerError {
    move |source| BrokerError::Redis(RedisError::Command { what, source })
}

/// Which stream each event goes to: event name → group name.
///
/// The default groups ([`EventGroups::default`]):
///
/// | group | events |
/// |---|---|
/// | `messages` | `MESSAGE_*`, `TYPING_START`, `CHANNEL_PINS_UPDATE` |
/// | `members` | `GUILD_MEMBER_ADD/UPDATE/REMOVE`, `GUILD_MEMBERS_CHUNK`, `THREAD_MEMBER(S)_UPDATE` |
/// | `presences` | `PRESENCE_UPDATE` |
/// | `guilds` | other `GUILD_*`, `CHANNEL_*`, `THREAD_*`, `STAGE_INSTANCE_*`, `INTEGRATION_*`, `INVITE_*`, `AUTO_MODERATION_*`, `WEBHOOKS_UPDATE` |
/// | `other` | the rest: `READY`, `RESUMED`, `INTERACTION_CREATE`, voice, … |
///
/// High-volume groups (presences, messages) can then get their own
/// workers, and a slow group does not hold up the others.
///
/// ```
/// use acord_redis::EventGroups;
/// let groups = EventGroups::default().route("INTERACTION_CREATE", "interactions");
/// assert_eq!(groups.group_of("INTERACTION_CREATE"), "interactions");
/// assert_eq!(groups.group_of("MESSAGE_CREATE"), "messages");
/// assert!(groups.groups().contains(&"interactions"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct EventGroups {
    routes: HashMap<Box<str>, Arc<str>>,
    /// `None`: the default mapping; `Some`: everything else goes here.
    fallback: Option<Arc<str>>,
}

impl EventGroups {
    /// The default groups' names.
    pub const DEFAULT_GROUPS: [&'static str; 5] =
        ["messages", "members", "presences", "guilds", "other"];

    /// Every event in one group (one stream).
    pub fn single(group: &str) -> Self {
        Self {
            routes: HashMap::new(),
            fallback: Some(group.into()),
        }
    }

    /// Sends the events named `event` (`"INTERACTION_CREATE"`) to `group`.
    #[must_use]
    pub fn route(mut self, event: &str, group: &str) -> Self {
        self.routes.insert(event.into(), group.into());
        self
    }

    /// The group of an event.
    pub fn group_of(&self, event: &str) -> &str {
        if let Some(group) = self.routes.get(event) {
            return group;
        }
        if let Some(group) = &self.fallback {
            return group;
        }
        default_group(event)
    }

    /// Every group this mapping can produce (the streams a worker reads by
    /// default), sorted.
    pub fn groups(&self) -> Vec<&str> {
        let mut all: BTreeSet<&str> = self.routes.values().map(|g| &**g).collect();
        match &self.fallback {
            Some(group) => {
                all.insert(group);
            }
            None => all.extend(Self::DEFAULT_GROUPS),
        }
        all.into_iter().collect()
    }
}

fn default_group(event: &str) -> &'static str {
    match event {
        "TYPING_START" | "CHANNEL_PINS_UPDATE" => "messages",
        "GUILD_MEMBER_ADD"
        | "GUILD_MEMBER_UPDATE"
        | "GUILD_MEMBER_REMOVE"
        | "GUILD_MEMBERS_CHUNK"
        | "THREAD_MEMBER_UPDATE"
        | "THREAD_MEMBERS_UPDATE" => "members",
        "PRESENCE_UPDATE" => "presences",
        "WEBHOOKS_UPDATE" => "guilds",
        _ if event.starts_with("MESSAGE_") => "messages",
        _ if [
            "GUILD_",
            "CHANNEL_",
            "THREAD_",
            "STAGE_INSTANCE_",
            "INTEGRATION_",
            "INVITE_",
        ]
        .iter()
        .any(|p| event.starts_with(p))
            || event.starts_with("AUTO_MODERATION_") =>
        {
            "guilds"
        }
        _ => "other",
    }
}

/// The stream key of a group.
fn stream_key(prefix: &str, group: &str) -> String {
    format!("{prefix}:events:{group}")
}

/// The dead-letter stream key.
fn dead_key(prefix: &str) -> String {
    format!("{prefix}:dead")
}

/// Builds the two roles of the event broker; see the [module docs](self).
///
/// ```no_run
/// use std::sync::Arc;
/// use acord::{Client, Intents};
/// use acord_core_gateway::ShardManager;
/// use acord_redis::RedisBroker;
///
/// # async fn gateway(manager: ShardManager) -> Result<(), Box<dyn std::error::Error>> {
/// // gateway process: shards → Redis
/// let redis = acord_redis::connect("redis://10.0.0.5:6379").await?;
/// RedisBroker::publisher(redis).prefix("mybot").max_len(100_000).run(&manager).await?;
/// # Ok(()) }
/// # async fn worker(client: Client) -> Result<(), Box<dyn std::error::Error>> {
/// // worker process: Redis → the same handlers as a one-process bot
/// let redis = acord_redis::connect("redis://10.0.0.5:6379").await?;
/// RedisBroker::worker(redis).prefix("mybot").consumer("worker-1").run(&client).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisBroker(());

impl RedisBroker {
    /// The gateway role: publishes a `ShardManager`'s dispatches.
    pub fn publisher(conn: ConnectionManager) -> RedisPublisherBuilder {
        RedisPublisherBuilder {
            conn,
            prefix: "acord".to_owned(),
            groups: EventGroups::default(),
            max_len: 100_000,
            batch: 256,
        }
    }

    /// The worker role: hands the published events to a [`Client`].
    pub fn worker(conn: ConnectionManager) -> RedisWorkerBuilder {
        RedisWorkerBuilder {
            conn,
            prefix: "acord".to_owned(),
            group: "workers".to_owned(),
            consumer: None,
            streams: None,
            batch: 64,
            block: Duration::from_secs(1),
            claim_idle: Duration::from_secs(30),
            dead_max_len: 10_000,
            ack_grace: Duration::from_secs(5),
        }
    }
}

/// Builds a [`RedisPublisher`]; start with [`RedisBroker::publisher`].
#[must_use = "a builder does nothing until `build` or `run`"]
pub struct RedisPublisherBuilder {
    conn: ConnectionManager,
    prefix: String,
    groups: EventGroups,
    max_len: u64,
    batch: usize,
}

impl fmt::Debug for RedisPublisherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPublisherBuilder")
            .field("prefix", &self.prefix)
            .field("groups", &self.groups)
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl RedisPublisherBuilder {
    /// The key prefix (default `acord`); the same in every process of one
    /// bot, one per bot.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Which stream each event goes to (default [`EventGroups::default`]);
    /// the workers must read the same groups.
    pub fn groups(mut self, groups: EventGroups) -> Self {
        self.groups = groups;
        self
    }

    /// About how many entries each stream keeps (default 100,000; `XADD
    /// MAXLEN ~`, so Redis trims in whole nodes and a stream may hold up to
    /// about 100 more). Keep it well above what the workers may lag
    /// behind: an entry trimmed before a worker read it is lost.
    pub fn max_len(mut self, max_len: u64) -> Self {
        self.max_len = max_len.max(1);
        self
    }

    /// How many events go to Redis in one pipeline at most (default 256).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The publisher.
    pub fn build(self) -> RedisPublisher {
        RedisPublisher {
            conn: self.conn,
            prefix: self.prefix,
            groups: self.groups,
            max_len: self.max_len,
            batch: self.batch,
        }
    }

    /// Builds the publisher and [runs](RedisPublisher::run) it on
    /// `manager`.
    ///
    /// # Errors
    /// As [`RedisPublisher::run`].
    ///
    /// # Cancel safety
    /// As [`RedisPublisher::run`].
    pub async fn run(self, manager: &ShardManager) -> Result<(), BrokerError> {
        self.build().run(manager).await
    }
}

/// The gateway role: publishes dispatches to Redis Streams; see the
/// [module docs](self).
pub struct RedisPublisher {
    conn: ConnectionManager,
    prefix: String,
    groups: EventGroups,
    max_len: u64,
    batch: usize,
}

impl fmt::Debug for RedisPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPublisher")
            .field("prefix", &self.prefix)
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl RedisPublisher {
    /// The stream key events of `group` go to.
    pub fn stream_key(&self, group: &str) -> String {
        stream_key(&self.prefix, group)
    }

    fn push_xadd(&self, pipe: &mut redis::Pipeline, shard: u32, session: &str, d: &Dispatch) {
        pipe.cmd("XADD")
            .arg(stream_key(&self.prefix, self.groups.group_of(d.name())))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.max_len)
            .arg("*")
            .arg(F_NAME)
            .arg(d.name())
            .arg(F_SHARD)
            .arg(shard)
            .arg(F_SEQ)
            .arg(d.seq())
            .arg(F_SESSION)
            .arg(session)
            .arg(F_DATA)
            .arg(d.as_bytes());
    }

    /// Publishes one dispatch of `shard`'s session `session`; returns the
    /// entry id.
    ///
    /// # Errors
    /// [`BrokerError::Redis`] when the `XADD` fails.
    ///
    /// # Cancel safety
    /// The entry may or may not be written if dropped.
    pub async fn publish(
        &self,
        shard: u32,
        session: &str,
        dispatch: &Dispatch,
    ) -> Result<String, BrokerError> {
        let mut pipe = redis::pipe();
        self.push_xadd(&mut pipe, shard, session, dispatch);
        let mut conn = self.conn.clone();
        let (id,): (String,) = pipe
            .query_async(&mut conn)
            .await
            .map_err(command("XADD an event"))?;
        Ok(id)
    }

    /// Takes `manager`'s events, starts its shards, and publishes every
    /// dispatch (READY and RESUMED included) until the manager is closed
    /// ([`ShardManager::close`]), when it returns `Ok(())`. Events are
    /// written in pipelines of up to `batch`; while Redis is unreachable
    /// the publisher retries (the connection manager reconnects) and the
    /// shards' bounded event channel fills, which slows them instead of
    /// growing memory.
    ///
    /// # Errors
    /// [`BrokerError::EventsTaken`] when the manager was already started;
    /// [`BrokerError::Gateway`] when a shard stops for good (the others
    /// are closed first); [`BrokerError::Redis`] for a Redis error that a
    /// retry does not cure.
    ///
    /// # Cancel safety
    /// Not cancel safe: the shards keep running, and the events of the
    /// batch being written may or may not be published.
    pub async fn run(&self, manager: &ShardManager) -> Result<(), BrokerError> {
        let mut events = manager.take_events().ok_or(BrokerError::EventsTaken)?;
        manager.start().map_err(|e| BrokerError::Gateway {
            shard: manager.range().start,
            source: Arc::new(e),
        })?;
        let mut sessions: HashMap<u32, Arc<str>> = HashMap::new();
        let mut batch = Vec::with_capacity(self.batch);
        loop {
            let Some(first) = events.recv().await else {
                return Ok(());
            };
            batch.push(first);
            while batch.len() < self.batch {
                match events.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            let mut pipe = redis::pipe();
            let mut fatal = None;
            let mut count = 0;
            for (shard, event) in batch.drain(..) {
                match event {
                    ShardEvent::Ready { session_id } => {
                        sessions.insert(shard, session_id.into());
                    }
                    ShardEvent::Resumed => {
                        if let Some(s) = manager.messenger(shard).and_then(|m| m.session()) {
                            sessions.insert(shard, s.id().into());
                        }
                    }
                    ShardEvent::Dispatch(d) => {
                        let session = match sessions.get(&shard) {
                            Some(s) => s.clone(),
                            None => {
                                let s: Arc<str> = manager
                                    .messenger(shard)
                                    .and_then(|m| m.session())
                                    .map_or_else(|| "".into(), |s| s.id().into());
                                sessions.insert(shard, s.clone());
                                s
                            }
                        };
                        self.push_xadd(&mut pipe, shard, &session, &d);
                        count += 1;
                    }
                    ShardEvent::Fatal { error } => {
                        fatal.get_or_insert((shard, error));
                    }
                    _ => {}
                }
            }
            if count > 0 {
                self.write(&pipe, count).await?;
            }
            if let Some((shard, source)) = fatal {
                tracing::error!(shard, error = %source, "a shard stopped for good; closing the others");
                manager.close(true).await;
                return Err(BrokerError::Gateway { shard, source });
            }
        }
    }

    /// Writes a pipeline, retrying while Redis is away.
    async fn write(&self, pipe: &redis::Pipeline, count: usize) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        let mut backoff = Duration::from_millis(50);
        loop {
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => return Ok(()),
                Err(source) => {
                    let error = BrokerError::Redis(RedisError::Command {
                        what: "XADD events",
                        source,
                    });
                    if !error.is_retryable() {
                        return Err(error);
                    }
                    tracing::warn!(count, error = %error, retry_in = ?backoff, "could not publish events; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// Builds a [`RedisWorker`]; start with [`RedisBroker::worker`].
#[must_use = "a builder does nothing until `build` or `run`"]
pub struct RedisWorkerBuilder {
    conn: ConnectionManager,
    prefix: String,
    group: String,
    consumer: Option<String>,
    streams: Option<Vec<String>>,
    batch: usize,
    block: Duration,
    claim_idle: Duration,
    dead_max_len: u64,
    ack_grace: Duration,
}

impl fmt::Debug for RedisWorkerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisWorkerBuilder")
            .field("prefix", &self.prefix)
            .field("group", &self.group)
            .field("consumer", &self.consumer)
            .field("streams", &self.streams)
            .field("claim_idle", &self.claim_idle)
            .finish_non_exhaustive()
    }
}

impl RedisWorkerBuilder {
    /// The key prefix (default `acord`); the publisher's.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The consumer group (default `workers`): the workers of one group
    /// share the events (each is handled by one of them); two groups each
    /// get every event.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// This worker's consumer name (default: process id plus a unique
    /// tag). A worker restarted under the same name gets its own pending
    /// entries back at once, instead of after `claim_idle`.
    pub fn consumer(mut self, consumer: impl Into<String>) -> Self {
        self.consumer = Some(consumer.into());
        self
    }

    /// The event groups to read (default: every group of
    /// [`EventGroups::default`]); use [`EventGroups::groups`] of the
    /// publisher's mapping, or a subset for workers dedicated to some
    /// groups.
    pub fn streams<I, G>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: Into<String>,
    {
        self.streams = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// How many entries one read takes at most (default 64).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How long a read waits for new entries (default 1 s). The worker's
    /// acknowledgements share its connection, so an idle worker acks up to
    /// this late; keep it below the connection's response timeout (5 s
    /// with [`connect`](crate::connect)).
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block.max(Duration::from_millis(1));
        self
    }

    /// How long an entry stays pending without news before another worker
    /// re-claims it (default 30 s). A live worker renews its own entries
    /// every third of this, so a slow handler is not taken over; a dead
    /// worker's entries are handled again after this long.
    pub fn claim_idle(mut self, idle: Duration) -> Self {
        self.claim_idle = idle.max(Duration::from_millis(30));
        self
    }

    /// About how many entries the dead-letter stream `{prefix}:dead` keeps
    /// (default 10,000).
    pub fn dead_letter_max_len(mut self, max_len: u64) -> Self {
        self.dead_max_len = max_len.max(1);
        self
    }

    /// How long [`RedisWorker::run`] waits, after the client stopped, for
    /// the last handlers to finish so their entries are acked (default
    /// 5 s); entries still unacked are re-claimed by another worker.
    pub fn ack_grace(mut self, grace: Duration) -> Self {
        self.ack_grace = grace;
        self
    }

    /// The worker.
    pub fn build(self) -> RedisWorker {
        let streams = self.streams.unwrap_or_else(|| {
            EventGroups::DEFAULT_GROUPS
                .iter()
                .map(|g| (*g).to_owned())
                .collect()
        });
        RedisWorker {
            inner: Arc::new(WorkerInner {
                conn: self.conn,
                keys: streams
                    .iter()
                    .map(|g| Arc::from(stream_key(&self.prefix, g)))
                    .collect(),
                dead: dead_key(&self.prefix),
                group: self.group,
                consumer: self
                    .consumer
                    .unwrap_or_else(|| format!("worker-{}", holder_tag())),
                batch: self.batch,
                block: self.block,
                claim_idle: self.claim_idle,
                dead_max_len: self.dead_max_len,
                ack_grace: self.ack_grace,
            }),
        }
    }

    /// Builds the worker and [runs](RedisWorker::run) it with `client`.
    ///
    /// # Errors
    /// As [`RedisWorker::run`].
    ///
    /// # Cancel safety
    /// As [`RedisWorker::run`].
    pub async fn run<S: Send + Sync + 'static>(
        self,
        client: &Client<S>,
    ) -> Result<(), BrokerError> {
        self.build().run(client).await
    }
}

/// The worker role: reads the streams through a consumer group and hands
/// the events to a [`Client`]; see the [module docs](self).
#[derive(Clone)]
pub struct RedisWorker {
    inner: Arc<WorkerInner>,
}

struct WorkerInner {
    conn: ConnectionManager,
    keys: Vec<Arc<str>>,
    dead: String,
    group: String,
    consumer: String,
    batch: usize,
    block: Duration,
    claim_idle: Duration,
    dead_max_len: u64,
    ack_grace: Duration,
}

impl fmt::Debug for RedisWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisWorker")
            .field("streams", &self.inner.keys)
            .field("group", &self.inner.group)
            .field("consumer", &self.inner.consumer)
            .finish_non_exhaustive()
    }
}

/// One stream entry as read.
struct RawEntry {
    key: Arc<str>,
    id: String,
    /// `None`: the entry was deleted (trimmed) while pending.
    fields: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// A delivered entry the acker waits on.
struct Pending {
    key: Arc<str>,
    id: String,
    meta: EventMeta,
    name: Arc<str>,
    raw: Bytes,
}

/// Aborts the task when dropped, so the acker dies with the worker.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RedisWorker {
    /// This worker's consumer name.
    pub fn consumer(&self) -> &str {
        &self.inner.consumer
    }

    /// Creates the consumer group on every stream (with `MKSTREAM`),
    /// reading from the start of each stream; an existing group is kept.
    /// [`run`](Self::run) does this first.
    ///
    /// # Errors
    /// [`BrokerError::Redis`] when Redis refuses.
    ///
    /// # Cancel safety
    /// Cancel safe: it can be run again.
    pub async fn create_groups(&self) -> Result<(), BrokerError> {
        let mut conn = self.inner.conn.clone();
        for key in &self.inner.keys {
            let created: Result<(), _> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&**key)
                .arg(&self.inner.group)
                .arg("0")
                .arg("MKSTREAM")
                .query_async(&mut conn)
                .await;
            match created {
                Ok(()) => {}
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(command("XGROUP CREATE")(e)),
            }
        }
        Ok(())
    }

    /// Creates the groups, then hands every entry of the streams to
    /// `client` ([`Client::run_deliveries`]) and acknowledges each once
    /// its handlers finished, until the client shuts down
    /// ([`ShutdownHandle::shutdown`](acord::ShutdownHandle::shutdown)).
    /// Entries of dead workers are re-claimed every half `claim_idle`.
    ///
    /// # Errors
    /// [`BrokerError::Client`] when `client` was already started;
    /// [`BrokerError::Redis`] for a Redis error a retry does not cure (the
    /// client is shut down first). Bad entries are not errors of `run`:
    /// they are logged and dead-lettered.
    ///
    /// # Cancel safety
    /// Not cancel safe, by design of at-least-once delivery: dropping the
    /// future stops reading and acknowledging (handler tasks already
    /// running are detached); the entries read and not yet acknowledged are
    /// re-claimed by another worker after `claim_idle`.
    pub async fn run<S: Send + Sync + 'static>(
        &self,
        client: &Client<S>,
    ) -> Result<(), BrokerError> {
        self.create_groups().await?;
        let (tx, rx) = mpsc::channel(self.inner.batch);
        let (ack_tx, ack_rx) = mpsc::channel(self.inner.batch * 4);
        let acker = AbortOnDrop(tokio::spawn(acker(self.inner.clone(), ack_rx).instrument(
            tracing::info_span!("broker_acker", consumer = %self.inner.consumer),
        )));
        let shutdown = client.shutdown_handle();
        let pump = async {
            let result = self.pump(tx, ack_tx, &shutdown).await;
            if result.is_err() {
                shutdown.shutdown();
            }
            result
        };
        let (ran, pumped) = tokio::join!(client.run_deliveries(rx), pump);
        // the pump dropped its sender: the acker settles what is left
        let mut acker = acker;
        if tokio::time::timeout(self.inner.ack_grace, &mut acker.0)
            .await
            .is_err()
        {
            tracing::warn!(
                "handlers still running after the ack grace; their entries will be re-claimed"
            );
        }
        pumped?;
        ran.map_err(BrokerError::Client)
    }

    /// Reads (and re-claims) entries and feeds the client until shutdown.
    async fn pump(
        &self,
        tx: mpsc::Sender<Delivery>,
        acks: mpsc::Sender<(Pending, DeliveryDone)>,
        shutdown: &acord::ShutdownHandle,
    ) -> Result<(), BrokerError> {
        let claim_every = (self.inner.claim_idle / 2).max(Duration::from_millis(20));
        let mut next_claim = tokio::time::Instant::now();
        let mut backoff = Duration::from_millis(50);
        loop {
            if shutdown.is_shutdown() || tx.is_closed() {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            let read = if now >= next_claim {
                next_claim = now + claim_every;
                self.claim().await
            } else {
                self.read().await
            };
            let entries = match read {
                Ok(entries) => {
                    backoff = Duration::from_millis(50);
                    entries
                }
                Err(BrokerError::Redis(RedisError::Command { source, .. }))
                    if source.code() == Some("NOGROUP") =>
                {
                    tracing::warn!("a stream or its consumer group was deleted; creating it again");
                    self.create_groups().await?;
                    continue;
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "could not read events; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.wait() => return Ok(()),
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for entry in entries {
                match decode(entry) {
                    Ok((delivery, pending, done)) => {
                        // the acker first: it must know the entry before the
                        // handlers can finish
                        if acks.send((pending, done)).await.is_err() {
                            return Ok(());
                        }
                        tokio::select! {
                            sent = tx.send(delivery) => if sent.is_err() { return Ok(()) },
                            // dropped unrouted: its outcome says "not
                            // handled", so it stays pending for a re-claim
                            () = shutdown.wait() => return Ok(()),
                        }
                    }
                    Err((error, fields)) => self.dead_letter_bad(&error, fields).await,
                }
            }
        }
    }

    /// New entries for this consumer (`XREADGROUP … >`).
    async fn read(&self) -> Result<Vec<RawEntry>, BrokerError> {
        let inner = &self.inner;
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(&inner.group)
            .arg(&inner.consumer)
            .arg("COUNT")
            .arg(inner.batch)
            .arg("BLOCK")
            .arg(millis(inner.block))
            .arg("STREAMS");
        for key in &inner.keys {
            cmd.arg(&**key);
        }
        for _ in &inner.keys {
            cmd.arg(">");
        }
        let mut conn = inner.conn.clone();
        let reply: Value = cmd
            .query_async(&mut conn)
            .await
            .map_err(command("XREADGROUP"))?;
        Ok(parse_read_reply(&inner.keys, reply))
    }

    /// Entries idle for longer than `claim_idle` (`XAUTOCLAIM`), from every
    /// stream: those of dead workers.
    async fn claim(&self) -> Result<Vec<RawEntry>, BrokerError> {
        let inner = &self.inner;
        let mut conn = inner.conn.clone();
        let mut all = Vec::new();
        for key in &inner.keys {
            let mut cursor = "0-0".to_owned();
            // bounded: a huge backlog is taken in later rounds
            for _ in 0..16 {
                let reply: Value = redis::cmd("XAUTOCLAIM")
                    .arg(&**key)
                    .arg(&inner.group)
                    .arg(&inner.consumer)
                    .arg(millis(inner.claim_idle))
                    .arg(&cursor)
                    .arg("COUNT")
                    .arg(inner.batch)
                    .query_async(&mut conn)
                    .await
                    .map_err(command("XAUTOCLAIM"))?;
                let (next, entries, deleted) = parse_autoclaim(key, reply);
                if !entries.is_empty() {
                    tracing::info!(stream = %key, count = entries.len(), "re-claimed entries of a worker that stopped");
                }
                if deleted > 0 {
                    tracing::warn!(stream = %key, count = deleted, "pending entries were trimmed before anyone handled them; raise the publisher's max_len");
                }
                all.extend(entries);
                match next {
                    Some(next) if next != "0-0" => cursor = next,
                    _ => break,
                }
            }
        }
        Ok(all)
    }

    /// Logs a bad entry, copies it to the dead-letter stream, acks it.
    async fn dead_letter_bad(&self, error: &BrokerError, fields: Vec<(Vec<u8>, Vec<u8>)>) {
        tracing::warn!(%error, "bad stream entry");
        let BrokerError::BadEntry {
            stream,
            id,
            problem,
        } = error
        else {
            return;
        };
        let inner = &self.inner;
        let mut pipe = redis::pipe();
        let cmd = pipe
            .cmd("XADD")
            .arg(&inner.dead)
            .arg("MAXLEN")
            .arg("~")
            .arg(inner.dead_max_len)
            .arg("*")
            .arg("stream")
            .arg(stream)
            .arg("id")
            .arg(id)
            .arg("reason")
            .arg(*problem);
        for (f, v) in &fields {
            cmd.arg(f).arg(v);
        }
        pipe.cmd("XACK").arg(stream).arg(&inner.group).arg(id);
        let mut conn = inner.conn.clone();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::error!(error = %e, stream, id, "could not dead-letter a bad entry; it stays pending");
        }
    }
}

/// The fields of an entry, by name.
fn field<'a>(fields: &'a [(Vec<u8>, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(f, _)| f == name.as_bytes())
        .map(|(_, v)| v.as_slice())
}

fn number<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

type Decoded = (Delivery, Pending, DeliveryDone);
/// An entry's field/value pairs.
type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// An entry → a delivery (and what the acker keeps), or why not.
fn decode(entry: RawEntry) -> Result<Decoded, (BrokerError, Fields)> {
    let bad = |problem, fields| {
        Err((
            BrokerError::BadEntry {
                stream: entry.key.to_string(),
                id: entry.id.clone(),
                problem,
            },
            fields,
        ))
    };
    let Some(fields) = entry.fields else {
        return bad("the entry was deleted (trimmed) while pending", Vec::new());
    };
    let parts = (
        field(&fields, F_NAME)
            .and_then(|v| std::str::from_utf8(v).ok())
            .filter(|n| !n.is_empty()),
        field(&fields, F_SHARD).and_then(number::<u32>),
        field(&fields, F_SEQ).and_then(number::<u64>),
        field(&fields, F_SESSION).and_then(|v| std::str::from_utf8(v).ok()),
        field(&fields, F_DATA),
    );
    let (name, shard, seq, session, data) = match parts {
        (Some(n), Some(s), Some(q), Some(i), Some(d)) => (n, s, q, i, d),
        (None, ..) => return bad("no event name `t`", fields),
        (_, None, ..) => return bad("no shard number `s`", fields),
        (_, _, None, ..) => return bad("no sequence number `q`", fields),
        (_, _, _, None, _) => return bad("no session id `i`", fields),
        (.., None) => return bad("no payload `d`", fields),
    };
    let name: Arc<str> = name.into();
    let raw = Bytes::copy_from_slice(data);
    let meta = EventMeta::new(shard, seq, session);
    let dispatch = Dispatch::new(name.clone(), seq, raw.clone());
    let (delivery, done) = Delivery::new(meta.clone(), dispatch);
    Ok((
        delivery,
        Pending {
            key: entry.key,
            id: entry.id,
            meta,
            name,
            raw,
        },
        done,
    ))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

fn bytes_of(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// `[id, [f, v, …]]` (or `[id, nil]` for a deleted entry).
fn parse_entry(key: &Arc<str>, v: Value) -> Option<RawEntry> {
    let Value::Array(mut parts) = v else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    let fields = parts.pop()?;
    let id = text(&parts[0])?;
    let fields = match fields {
        Value::Nil => None,
        Value::Array(list) => {
            let mut out = Vec::with_capacity(list.len() / 2);
            let mut it = list.into_iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                // a non-string field is left out (and the entry is then
                // judged by what is missing)
                if let (Some(f), Some(v)) = (bytes_of(f), bytes_of(v)) {
                    out.push((f, v));
                }
            }
            Some(out)
        }
        Value::Map(pairs) => Some(
            pairs
                .into_iter()
                .filter_map(|(f, v)| Some((bytes_of(f)?, bytes_of(v)?)))
                .collect(),
        ),
        _ => return None,
    };
    Some(RawEntry {
        key: key.clone(),
        id,
        fields,
    })
}

/// The reply of `XREADGROUP`: per stream, its entries (nil on timeout).
fn parse_read_reply(keys: &[Arc<str>], reply: Value) -> Vec<RawEntry> {
    let streams: Vec<(Value, Value)> = match reply {
        Value::Array(list) => list
            .into_iter()
            .filter_map(|s| match s {
                Value::Array(mut kv) if kv.len() == 2 => {
                    let entries = kv.pop()?;
                    let key = kv.pop()?;
                    Some((key, entries))
                }
                _ => None,
            })
            .collect(),
        Value::Map(pairs) => pairs,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for (key, entries) in streams {
        let Some(name) = text(&key) else { continue };
        let Some(key) = keys.iter().find(|k| ***k == *name) else {
            continue;
        };
        if let Value::Array(entries) = entries {
            out.extend(entries.into_iter().filter_map(|e| parse_entry(key, e)));
        }
    }
    out
}

/// The reply of `XAUTOCLAIM`: next cursor, entries, count of deleted ids.
fn parse_autoclaim(key: &Arc<str>, reply: Value) -> (Option<String>, Vec<RawEntry>, usize) {
    let Value::Array(parts) = reply else {
        return (None, Vec::new(), 0);
    };
    let mut it = parts.into_iter();
    let next = it.next().as_ref().and_then(text);
    let entries = match it.next() {
        Some(Value::Array(list)) => list
            .into_iter()
            .filter_map(|e| parse_entry(key, e))
            .collect(),
        _ => Vec::new(),
    };
    let deleted = match it.next() {
        Some(Value::Array(ids)) => ids.len(),
        _ => 0,
    };
    (next, entries, deleted)
}

/// Waits for each delivered entry's handlers, then acks it (or
/// dead-letters and acks it); keeps the entries in flight fresh so no
/// other worker re-claims them.
async fn acker(inner: Arc<WorkerInner>, mut rx: mpsc::Receiver<(Pending, DeliveryDone)>) {
    type Waiting =
        std::pin::Pin<Box<dyn std::future::Future<Output = (Pending, DeliveryOutcome)> + Send>>;
    let mut waiting: FuturesUnordered<Waiting> = FuturesUnordered::new();
    let mut in_flight: HashMap<Arc<str>, BTreeSet<String>> = HashMap::new();
    let mut fresh = tokio::time::interval((inner.claim_idle / 3).max(Duration::from_millis(10)));
    fresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let keep_fresh = redis::Script::new(KEEP_FRESH);
    let mut open = true;
    loop {
        tokio::select! {
            pending = rx.recv(), if open => match pending {
                Some((p, done)) => {
                    in_flight.entry(p.key.clone()).or_default().insert(p.id.clone());
                    waiting.push(Box::pin(async move { (p, done.await) }));
                }
                None => open = false,
            },
            Some(first) = waiting.next(), if !waiting.is_empty() => {
                let mut settled = vec![first];
                while settled.len() < 256 {
                    match futures_util::FutureExt::now_or_never(waiting.next()) {
                        Some(Some(more)) => settled.push(more),
                        _ => break,
                    }
                }
                for (p, _) in &settled {
                    if let Some(ids) = in_flight.get_mut(&p.key) {
                        ids.remove(&p.id);
                    }
                }
                settle(&inner, settled).await;
            },
            _ = fresh.tick() => {
                for (key, ids) in &in_flight {
                    if ids.is_empty() {
                        continue;
                    }
                    let mut call = keep_fresh.key(&**key);
                    call.arg(&inner.group).arg(&inner.consumer);
                    for id in ids {
                        call.arg(id);
                    }
                    let mut conn = inner.conn.clone();
                    if let Err(e) = call.invoke_async::<i64>(&mut conn).await {
                        tracing::warn!(error = %e, stream = %key, "could not renew pending entries; another worker may re-claim them");
                    }
                }
            },
            else => break,
        }
    }
}

/// Acks finished entries (dead-lettering the failed ones); leaves
/// unfinished ones pending for a re-claim.
async fn settle(inner: &WorkerInner, settled: Vec<(Pending, DeliveryOutcome)>) {
    let mut pipe = redis::pipe();
    let mut commands = 0;
    for (p, outcome) in &settled {
        if !outcome.is_finished() {
            tracing::debug!(stream = %p.key, id = %p.id, "event not handled to the end; left for a re-claim");
            continue;
        }
        if !outcome.is_ok() {
            let reason = if outcome.is_undecodable() {
                "the payload did not deserialise"
            } else {
                "a handler panicked"
            };
            tracing::warn!(stream = %p.key, id = %p.id, event = %p.name, reason, "event moved to the dead-letter stream");
            pipe.cmd("XADD")
                .arg(&inner.dead)
                .arg("MAXLEN")
                .arg("~")
                .arg(inner.dead_max_len)
                .arg("*")
                .arg("stream")
                .arg(&*p.key)
                .arg("id")
                .arg(&p.id)
                .arg("reason")
                .arg(reason)
                .arg(F_NAME)
                .arg(&*p.name)
                .arg(F_SHARD)
                .arg(p.meta.shard())
                .arg(F_SEQ)
                .arg(p.meta.seq())
                .arg(F_SESSION)
                .arg(p.meta.session())
                .arg(F_DATA)
                .arg(&p.raw[..])
                .ignore();
            commands += 1;
        }
        pipe.cmd("XACK")
            .arg(&*p.key)
            .arg(&inner.group)
            .arg(&p.id)
            .ignore();
        commands += 1;
    }
    if commands == 0 {
        return;
    }
    let mut conn = inner.conn.clone();
    let mut backoff = Duration::from_millis(50);
    for attempt in 0..5 {
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => return,
            Err(e) => {
                let retry = e.is_io_error() || e.is_timeout() || e.is_connection_dropped();
                if !retry || attempt == 4 {
                    tracing::error!(error = %e, "could not acknowledge events; they will be re-claimed and handled again");
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fields: &[(&str, &[u8])]) -> RawEntry {
        RawEntry {
            key: "k".into(),
            id: "1-0".into(),
            fields: Some(
                fields
                    .iter()
                    .map(|(f, v)| (f.as_bytes().to_vec(), v.to_vec()))
                    .collect(),
            ),
        }
    }

    fn problem(e: RawEntry) -> &'static str {
        match decode(e) {
            Err((BrokerError::BadEntry { problem, .. }, _)) => problem,
            Err((other, _)) => panic!("{other}"),
            Ok(_) => panic!("decoded"),
        }
    }

    #[test]
    fn entries_decode_to_deliveries_with_their_meta() {
        let e = entry(&[
            ("t", b"MESSAGE_CREATE"),
            ("s", b"3"),
            ("q", b"42"),
            ("i", b"sess"),
            ("d", br#"{"id":"1"}"#),
        ]);
        let Ok((delivery, pending, _done)) = decode(e) else {
            panic!("did not decode")
        };
        assert_eq!(delivery.meta(), &EventMeta::new(3, 42, "sess"));
        assert_eq!(delivery.dispatch().name(), "MESSAGE_CREATE");
        assert_eq!(delivery.dispatch().seq(), 42);
        assert_eq!(delivery.dispatch().as_str(), r#"{"id":"1"}"#);
        assert_eq!(pending.id, "1-0");
    }

    #[test]
    fn malformed_entries_are_typed_errors() {
        let full: [(&str, &[u8]); 5] = [
            ("t", b"MESSAGE_CREATE"),
            ("s", b"3"),
            ("q", b"42"),
            ("i", b"sess"),
            ("d", b"{}"),
        ];
        for (skip, expected) in [
            (0, "no event name `t`"),
            (1, "no shard number `s`"),
            (2, "no sequence number `q`"),
            (3, "no session id `i`"),
            (4, "no payload `d`"),
        ] {
            let fields: Vec<_> = full
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, f)| *f)
                .collect();
            assert_eq!(problem(entry(&fields)), expected);
        }
        let mut bad_shard = full;
        bad_shard[1] = ("s", b"-1");
        assert_eq!(problem(entry(&bad_shard)), "no shard number `s`");
        let deleted = RawEntry {
            key: "k".into(),
            id: "1-0".into(),
            fields: None,
        };
        assert!(problem(deleted).contains("deleted"));
    }

    #[test]
    fn odd_replies_parse_to_nothing_instead_of_panicking() {
        let keys: Vec<Arc<str>> = vec!["k".into()];
        assert!(parse_read_reply(&keys, Value::Nil).is_empty());
        assert!(parse_read_reply(&keys, Value::Int(3)).is_empty());
        let odd = Value::Array(vec![Value::Array(vec![
            Value::BulkString(b"k".to_vec()),
            Value::Array(vec![Value::Int(1), Value::Array(vec![Value::Nil])]),
        ])]);
        assert!(parse_read_reply(&keys, odd).is_empty());
        let (next, entries, deleted) = parse_autoclaim(&keys[0], Value::Okay);
        assert!(next.is_none() && entries.is_empty() && deleted == 0);
    }

    #[test]
    fn default_groups_split_the_volume() {
        let g = EventGroups::default();
        assert_eq!(g.group_of("MESSAGE_CREATE"), "messages");
        assert_eq!(g.group_of("MESSAGE_REACTION_ADD"), "messages");
        assert_eq!(g.group_of("TYPING_START"), "messages");
        assert_eq!(g.group_of("GUILD_MEMBER_ADD"), "members");
        assert_eq!(g.group_of("PRESENCE_UPDATE"), "presences");
        assert_eq!(g.group_of("GUILD_CREATE"), "guilds");
        assert_eq!(g.group_of("CHANNEL_UPDATE"), "guilds");
        assert_eq!(g.group_of("READY"), "other");
        assert_eq!(g.group_of("INTERACTION_CREATE"), "other");
        assert_eq!(
            g.groups(),
            ["guilds", "members", "messages", "other", "presences"]
        );
        let one = EventGroups::single("all").route("PRESENCE_UPDATE", "noise");
        assert_eq!(one.group_of("MESSAGE_CREATE"), "all");
        assert_eq!(one.group_of("PRESENCE_UPDATE"), "noise");
        assert_eq!(one.groups(), ["all", "noise"]);
    }

    #[test]
    fn broker_types_are_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<BrokerError>();
        check::<RedisPublisher>();
        check::<RedisWorker>();
        check::<EventGroups>();
    }
}
