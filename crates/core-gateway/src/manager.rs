//! [`ShardManager`]: many shards, one identify queue, one merged event
//! stream, and a nextcore-style [`Dispatcher`] on top.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord_core_http::GatewayBotInfo;
use acord_core_signals::{shard_for_guild, Intents};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use crate::command::Token;
use crate::connection::Session;
use crate::error::GatewayError;
use crate::payload::Dispatch;
use crate::queue::{BoxFuture, IdentifyQueue, InProcessIdentifyQueue};
use crate::shard::{Shard, ShardConfig, ShardConfigBuilder, ShardEvent, ShardInfo, ShardMessenger};

/// Which shards this process runs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardScheme {
    /// [`GatewayBotInfo::shards`], all of them.
    Recommended,
    /// A fixed count, all of them.
    Fixed(u32),
    /// Shards `range` of `total` (several processes share one bot).
    Range {
        /// The shard ids this process runs.
        range: Range<u32>,
        /// The total shard count.
        total: u32,
    },
}

type Configure = Box<dyn FnOnce(ShardConfigBuilder) -> ShardConfigBuilder + Send>;

/// Builder for [`ShardManager`].
pub struct ShardManagerBuilder {
    token: Token,
    intents: Intents,
    info: GatewayBotInfo,
    scheme: ShardScheme,
    queue: Option<Arc<dyn IdentifyQueue>>,
    identify_window: Option<Duration>,
    event_capacity: usize,
    max_handlers: usize,
    configure: Option<Configure>,
    sessions: BTreeMap<u32, Session>,
}

impl fmt::Debug for ShardManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardManagerBuilder")
            .field("info", &self.info)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl ShardManagerBuilder {
    /// Runs the recommended shard count (the default).
    pub fn recommended(mut self) -> Self {
        self.scheme = ShardScheme::Recommended;
        self
    }

    /// Runs `count` shards.
    pub fn shard_count(mut self, count: u32) -> Self {
        self.scheme = ShardScheme::Fixed(count);
        self
    }

    /// Runs shards `range` of `total`.
    pub fn range(mut self, range: Range<u32>, total: u32) -> Self {
        self.scheme = ShardScheme::Range { range, total };
        self
    }

    /// A shared identify queue (default: an [`InProcessIdentifyQueue`] from
    /// the session start limit).
    pub fn identify_queue(mut self, queue: Arc<dyn IdentifyQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The identify window of the default queue (default 5 s).
    pub fn identify_window(mut self, window: Duration) -> Self {
        self.identify_window = Some(window);
        self
    }

    /// Capacity of the merged event channel (default 1024).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// How many dispatcher handler tasks run at once (default 1024); at the
    /// limit the dispatcher stops reading events until one finishes.
    pub fn max_concurrent_handlers(mut self, max: usize) -> Self {
        self.max_handlers = max.max(1);
        self
    }

    /// Sessions saved by a previous process ([`ShardManager::close`] with
    /// `end_session: false` returns them, as does
    /// [`ShardManager::sessions`]): each shard RESUMEs its own session
    /// instead of identifying, and the gateway replays what it missed.
    /// Sessions are matched to shards by [`Session::shard`]; one without a
    /// shard, or of a shard count other than this manager's, is ignored.
    pub fn sessions(mut self, sessions: impl IntoIterator<Item = Session>) -> Self {
        for s in sessions {
            match s.shard() {
                Some([id, _]) => {
                    self.sessions.insert(id, s);
                }
                None => tracing::warn!("ignoring a saved session without a shard"),
            }
        }
        self
    }

    /// Adjusts every shard's configuration (decoder, keep-alive, presence,
    /// backoff, ...).
    pub fn configure(
        mut self,
        f: impl FnOnce(ShardConfigBuilder) -> ShardConfigBuilder + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(f));
        self
    }

    /// Builds the manager (no shard runs until [`ShardManager::start`]).
    ///
    /// # Errors
    /// [`GatewayError::InvalidShard`] for an empty or out-of-range scheme;
    /// configuration errors from [`ShardConfigBuilder::build`].
    pub fn build(self) -> Result<ShardManager, GatewayError> {
        let (range, total) = match self.scheme {
            ShardScheme::Recommended => (0..self.info.shards, self.info.shards),
            ShardScheme::Fixed(n) => (0..n, n),
            ShardScheme::Range { range, total } => (range, total),
        };
        if total == 0 || range.start >= range.end || range.end > total {
            return Err(GatewayError::InvalidShard {
                shard: range.end.saturating_sub(1),
                count: total,
            });
        }
        let queue = self.queue.unwrap_or_else(|| {
            let limit = self.info.session_start_limit;
            Arc::new(match self.identify_window {
                Some(w) => InProcessIdentifyQueue::with_window(limit, w),
                None => InProcessIdentifyQueue::new(limit),
            })
        });
        let mut builder = ShardConfig::builder(self.token, self.intents, self.info.url.clone())
            .shard(range.start, total);
        if let Some(f) = self.configure {
            builder = f(builder);
        }
        let mut template = builder.build()?;
        template.set_gateway_url(self.info.url.clone());
        template.set_identify_queue(queue);
        // one wave of the identify queue connected ahead of its turn
        let waves = self.info.session_start_limit.max_concurrency.max(1) as usize;
        template.set_connect_gate(Arc::new(tokio::sync::Semaphore::new(waves)));
        let (tx, rx) = mpsc::channel(self.event_capacity);
        Ok(ShardManager {
            template,
            total,
            range,
            shards: Mutex::new(BTreeMap::new()),
            events_tx: Mutex::new(Some(tx)),
            events_rx: Mutex::new(Some(rx)),
            dispatcher: Dispatcher::with_max_concurrent_handlers(self.max_handlers),
            pump: Mutex::new(None),
            sessions: Mutex::new(
                self.sessions
                    .into_iter()
                    .filter(|(_, s)| s.shard().is_some_and(|[_, n]| n == total))
                    .collect(),
            ),
            closed_sessions: Mutex::new(Vec::new()),
        })
    }
}

/// Runs a set of shards; see the crate docs and docs/gateway.md.
pub struct ShardManager {
    template: ShardConfig,
    total: u32,
    range: Range<u32>,
    shards: Mutex<BTreeMap<u32, Shard>>,
    /// `None` once closed: the pump ends when the shards' senders are gone
    /// too.
    events_tx: Mutex<Option<mpsc::Sender<(u32, ShardEvent)>>>,
    events_rx: Mutex<Option<mpsc::Receiver<(u32, ShardEvent)>>>,
    dispatcher: Dispatcher,
    pump: Mutex<Option<JoinHandle<()>>>,
    /// Saved sessions not yet handed to their shard.
    sessions: Mutex<BTreeMap<u32, Session>>,
    /// The sessions the shards kept when [`close`](ShardManager::close)d.
    closed_sessions: Mutex<Vec<Session>>,
}

impl fmt::Debug for ShardManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardManager")
            .field("total", &self.total)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // no code panics while holding these locks; recover the data anyway
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ShardManager {
    /// Starts a builder from the token, intents and the answer of
    /// `GET /gateway/bot`: fetch it with acord-core-http's
    /// [`HttpClient::fetch_gateway_bot`](acord_core_http::HttpClient::fetch_gateway_bot),
    /// parse the body with `serde_json::from_slice`, or build it with
    /// [`GatewayBotInfo::new`].
    ///
    /// A recommended shard count or a `max_concurrency` of 0 counts as 1.
    pub fn builder(
        token: impl Into<Token>,
        intents: Intents,
        mut info: GatewayBotInfo,
    ) -> ShardManagerBuilder {
        // Discord never sends 0; a hand-built or proxied value might
        info.shards = info.shards.max(1);
        let limit = &mut info.session_start_limit;
        limit.max_concurrency = limit.max_concurrency.max(1);
        ShardManagerBuilder {
            token: token.into(),
            intents,
            info,
            scheme: ShardScheme::Recommended,
            queue: None,
            identify_window: None,
            event_capacity: 1024,
            max_handlers: DEFAULT_MAX_HANDLERS,
            configure: None,
            sessions: BTreeMap::new(),
        }
    }

    /// The total shard count.
    pub fn total_shards(&self) -> u32 {
        self.total
    }

    /// The shard ids this manager runs.
    pub fn range(&self) -> Range<u32> {
        self.range.clone()
    }

    /// The dispatcher fed by [`start`](Self::start) (unless
    /// [`take_events`](Self::take_events) was called first).
    pub fn dispatcher(&self) -> Dispatcher {
        self.dispatcher.clone()
    }

    /// Takes the merged event stream `(shard id, event)`, for callers who
    /// prefer a channel to the dispatcher. Call before `start`.
    pub fn take_events(&self) -> Option<mpsc::Receiver<(u32, ShardEvent)>> {
        lock(&self.events_rx).take()
    }

    /// Starts every shard of the range in identify order; they identify
    /// through the identify queue, wave by wave. Returns at once.
    ///
    /// # Errors
    /// [`GatewayError::InvalidShard`] if the configuration cannot be made
    /// for a shard.
    pub fn start(&self) -> Result<(), GatewayError> {
        if let Some(rx) = self.take_events() {
            let dispatcher = self.dispatcher.clone();
            let pump = tokio::spawn(
                dispatcher
                    .pump(rx)
                    .instrument(tracing::info_span!("dispatcher")),
            );
            *lock(&self.pump) = Some(pump);
        }
        for id in self.range.clone() {
            self.add_shard(id)?;
        }
        Ok(())
    }

    /// Starts shard `id` (of the total) if it is not running; a finished
    /// shard is replaced.
    ///
    /// # Errors
    /// [`GatewayError::InvalidShard`] when `id` is not below the total;
    /// [`GatewayError::Closed`] after [`close`](Self::close).
    pub fn add_shard(&self, id: u32) -> Result<(), GatewayError> {
        let mut config = self.template.for_shard(id, self.total)?;
        config.set_session(lock(&self.sessions).remove(&id));
        let mut shards = lock(&self.shards);
        if shards.get(&id).is_some_and(|s| !s.is_finished()) {
            return Ok(());
        }
        let Some(sink) = lock(&self.events_tx).clone() else {
            return Err(GatewayError::Closed);
        };
        let shard = Shard::spawn_with_sink(config, sink);
        shards.insert(id, shard);
        Ok(())
    }

    /// Restarts one shard while the others run: resuming its session, or
    /// identifying afresh with `resume: false`. A stopped shard is started
    /// again.
    ///
    /// # Errors
    /// [`GatewayError::InvalidShard`] for an unknown shard id.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn restart(&self, id: u32, resume: bool) -> Result<(), GatewayError> {
        let messenger = {
            let shards = lock(&self.shards);
            match shards.get(&id) {
                Some(s) if !s.is_finished() => Some(s.messenger()),
                Some(_) => None,
                None => {
                    return Err(GatewayError::InvalidShard {
                        shard: id,
                        count: self.total,
                    })
                }
            }
        };
        match messenger {
            Some(m) => match m.restart(resume).await {
                Ok(()) => Ok(()),
                Err(_) => self.add_shard(id),
            },
            None => self.add_shard(id),
        }
    }

    /// A messenger for shard `id`.
    pub fn messenger(&self, id: u32) -> Option<ShardMessenger> {
        lock(&self.shards).get(&id).map(Shard::messenger)
    }

    /// The messenger of the shard that receives `guild_id`'s events
    /// (`(guild_id >> 22) % total`), if this process runs it.
    pub fn messenger_for_guild(&self, guild_id: u64) -> Option<ShardMessenger> {
        self.messenger(shard_for_guild(guild_id, self.total))
    }

    /// Health of shard `id`.
    pub fn info(&self, id: u32) -> Option<ShardInfo> {
        lock(&self.shards).get(&id).map(Shard::info)
    }

    /// Health of every shard, by id.
    pub fn infos(&self) -> Vec<ShardInfo> {
        lock(&self.shards).values().map(Shard::info).collect()
    }

    /// The resumable sessions of the running shards (or, after
    /// [`close`](Self::close) with `end_session: false`, the ones they
    /// kept), to hand to [`ShardManagerBuilder::sessions`] in the next
    /// process.
    pub fn sessions(&self) -> Vec<Session> {
        let mut sessions: Vec<Session> = lock(&self.shards)
            .values()
            .filter_map(Shard::session)
            .collect();
        sessions.extend(lock(&self.closed_sessions).iter().cloned());
        sessions
    }

    /// Closes every shard (code 1000 with `end_session`, else 4000) and
    /// waits for them; then the dispatcher delivers the events they flushed
    /// and running handlers get up to 5 s to finish before they are
    /// aborted. With `end_session: false` the shards' sessions stay
    /// resumable: [`sessions`](Self::sessions) returns them.
    ///
    /// # Cancel safety
    /// Not cancel safe: shards already taken out are detached if dropped.
    pub async fn close(&self, end_session: bool) {
        let shards: Vec<Shard> = std::mem::take(&mut *lock(&self.shards))
            .into_values()
            .collect();
        let mut set = JoinSet::new();
        let closed = Arc::new(Mutex::new(Vec::new()));
        for s in shards {
            let closed = closed.clone();
            set.spawn(
                async move {
                    let messenger = s.messenger();
                    let _ = s.close(end_session).await;
                    if let Some(session) = messenger.session() {
                        lock(&closed).push(session);
                    }
                }
                .instrument(tracing::info_span!("shard_close")),
            );
        }
        while set.join_next().await.is_some() {}
        lock(&self.closed_sessions).extend(std::mem::take(&mut *lock(&closed)));
        // With every sender gone the pump delivers what the shards flushed,
        // then waits for running handlers; they get a bounded time.
        drop(lock(&self.events_tx).take());
        let pump = lock(&self.pump).take();
        if let Some(mut p) = pump {
            if tokio::time::timeout(CLOSE_HANDLER_GRACE, &mut p)
                .await
                .is_err()
            {
                tracing::warn!("event handlers still running after close; aborting them");
                p.abort();
            }
        }
    }
}

/// How long [`ShardManager::close`] waits for running handlers.
const CLOSE_HANDLER_GRACE: Duration = Duration::from_secs(5);

type Handler = Arc<dyn Fn(u32, Dispatch) -> BoxFuture<'static, ()> + Send + Sync>;
type Predicate = Box<dyn Fn(u32, &Dispatch) -> bool + Send>;
type FatalTx = oneshot::Sender<(u32, Arc<GatewayError>)>;

struct Waiter {
    name: Option<String>,
    predicate: Predicate,
    tx: oneshot::Sender<(u32, Dispatch)>,
}

/// Handler tasks the dispatcher runs at once by default.
const DEFAULT_MAX_HANDLERS: usize = 1024;

struct DispatcherInner {
    listeners: Mutex<HashMap<String, Vec<Handler>>>,
    any: Mutex<Vec<Handler>>,
    waiters: Mutex<Vec<Waiter>>,
    fatal: Mutex<Vec<FatalTx>>,
    /// Bounds running handler tasks; the pump waits for a permit, so a
    /// slow handler slows the shards (their backlog) instead of growing
    /// memory.
    permits: Arc<tokio::sync::Semaphore>,
}

impl Default for DispatcherInner {
    fn default() -> Self {
        Self {
            listeners: Mutex::default(),
            any: Mutex::default(),
            waiters: Mutex::default(),
            fatal: Mutex::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(DEFAULT_MAX_HANDLERS)),
        }
    }
}

/// Routes merged dispatches to listeners and waiters (nextcore's
/// `event_dispatcher`). Cheap to clone.
#[derive(Clone, Default)]
pub struct Dispatcher {
    inner: Arc<DispatcherInner>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("events", &lock(&self.inner.listeners).len())
            .finish()
    }
}

impl Dispatcher {
    /// A dispatcher that runs at most `max` handler tasks at once (the
    /// default is 1024); at the limit it stops reading events until one
    /// finishes, so the shards' backlogs fill instead of memory.
    pub fn with_max_concurrent_handlers(max: usize) -> Self {
        Self {
            inner: Arc::new(DispatcherInner {
                permits: Arc::new(tokio::sync::Semaphore::new(max.max(1))),
                ..DispatcherInner::default()
            }),
        }
    }

    /// Calls `handler(shard_id, dispatch)` for every dispatch named `name`
    /// (`"*"` for every dispatch). Each call runs in its own task.
    pub fn listen<F, Fut>(&self, name: &str, handler: F)
    where
        F: Fn(u32, Dispatch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: Handler = Arc::new(move |id, d| Box::pin(handler(id, d)));
        if name == "*" {
            lock(&self.inner.any).push(h);
        } else {
            lock(&self.inner.listeners)
                .entry(name.to_owned())
                .or_default()
                .push(h);
        }
    }

    /// Resolves with the first dispatch named `name` (`"*"`: any) for which
    /// `predicate` holds. Registered at once, so nothing arriving after
    /// this call is missed.
    ///
    /// # Errors
    /// [`GatewayError::Closed`] when the dispatcher stops.
    pub fn wait_for<P>(
        &self,
        predicate: P,
        name: &str,
    ) -> impl Future<Output = Result<(u32, Dispatch), GatewayError>> + Send + 'static
    where
        P: Fn(u32, &Dispatch) -> bool + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        lock(&self.inner.waiters).push(Waiter {
            name: (name != "*").then(|| name.to_owned()),
            predicate: Box::new(predicate),
            tx,
        });
        async move { rx.await.map_err(|_| GatewayError::Closed) }
    }

    /// Resolves with the first fatal error of any shard (nextcore's
    /// "critical" event): the shard id and the error.
    ///
    /// # Errors
    /// [`GatewayError::Closed`] when the dispatcher stops first.
    pub fn wait_for_fatal(
        &self,
    ) -> impl Future<Output = Result<(u32, Arc<GatewayError>), GatewayError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let mut fatal = lock(&self.inner.fatal);
        fatal.retain(|tx| !tx.is_closed());
        fatal.push(tx);
        async move { rx.await.map_err(|_| GatewayError::Closed) }
    }

    /// Routes one event; returns the handler futures to run.
    fn route(&self, id: u32, event: ShardEvent) -> Vec<BoxFuture<'static, ()>> {
        match event {
            ShardEvent::Dispatch(d) => {
                // User code (a listener's synchronous part, a predicate)
                // runs outside the dispatcher's locks, so it may register
                // listeners and collectors itself.
                let handlers: Vec<Handler> = {
                    let listeners = lock(&self.inner.listeners);
                    let named = listeners.get(d.name()).into_iter().flatten();
                    named.chain(lock(&self.inner.any).iter()).cloned().collect()
                };
                let run = handlers.iter().map(|h| h(id, d.clone())).collect();
                let waiting = std::mem::take(&mut *lock(&self.inner.waiters));
                let mut keep = Vec::with_capacity(waiting.len());
                for w in waiting {
                    let name_ok = w.name.as_deref().is_none_or(|n| n == d.name());
                    if w.tx.is_closed() {
                        continue;
                    }
                    if name_ok && (w.predicate)(id, &d) {
                        let _ = w.tx.send((id, d.clone()));
                    } else {
                        keep.push(w);
                    }
                }
                lock(&self.inner.waiters).extend(keep);
                run
            }
            ShardEvent::Fatal { error } => {
                let waiting = std::mem::take(&mut *lock(&self.inner.fatal));
                for tx in waiting {
                    let _ = tx.send((id, error.clone()));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Feeds events from a merged stream until it ends, running handlers
    /// in tracked tasks. Events are taken from the channel in batches of
    /// up to 32 (`recv_many`), which frees their slots together: the shards
    /// wake once per batch, not once per event.
    ///
    /// # Cancel safety
    /// Cancel safe; running handler tasks are aborted when dropped (events
    /// of the batch being routed are dropped with it).
    pub async fn pump(self, mut events: mpsc::Receiver<(u32, ShardEvent)>) {
        const BATCH: usize = 32;
        let mut tasks = JoinSet::new();
        let mut batch = Vec::with_capacity(BATCH);
        while events.recv_many(&mut batch, BATCH).await > 0 {
            for (id, event) in batch.drain(..) {
                self.pump_one(&mut tasks, id, event).await;
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Routes one event: its handler tasks start (each waiting for a
    /// handler permit), finished ones are reaped.
    async fn pump_one(&self, tasks: &mut JoinSet<()>, id: u32, event: ShardEvent) {
        for fut in self.route(id, event) {
            let Ok(permit) = self.inner.permits.clone().acquire_owned().await else {
                continue;
            };
            tasks.spawn(
                async move {
                    fut.await;
                    drop(permit);
                }
                .instrument(tracing::info_span!("handler", shard = id)),
            );
        }
        while let Some(done) = tasks.try_join_next() {
            if let Err(e) = done {
                tracing::error!(error = %e, "event handler panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use acord_core_http::SessionStartLimit;

    fn info(shards: u32, mc: u32) -> GatewayBotInfo {
        let limit = SessionStartLimit::new(1000, 1000, Duration::from_secs(86_400), mc);
        GatewayBotInfo::new("ws://127.0.0.1:1", shards, limit)
    }

    #[test]
    fn zero_shards_and_zero_concurrency_count_as_one() {
        let b = ShardManager::builder("t", Intents::GUILDS, info(0, 0));
        assert_eq!(b.info.shards, 1);
        assert_eq!(b.info.session_start_limit.max_concurrency, 1);
        let m = b.build().unwrap();
        assert_eq!((m.range(), m.total_shards()), (0..1, 1));
        // the body Discord documents is taken as is
        let parsed: GatewayBotInfo = serde_json::from_slice(
            br#"{"url":"wss://gateway.discord.gg/","shards":9,"session_start_limit":{"total":1000,"remaining":999,"reset_after":14400000,"max_concurrency":4}}"#,
        )
        .unwrap();
        let b = ShardManager::builder("t", Intents::GUILDS, parsed.clone());
        assert_eq!(b.info, parsed);
    }

    #[test]
    fn schemes_and_ranges() {
        let m = ShardManager::builder("t", Intents::GUILDS, info(8, 1))
            .build()
            .unwrap();
        assert_eq!((m.range(), m.total_shards()), (0..8, 8));
        let m = ShardManager::builder("t", Intents::GUILDS, info(8, 1))
            .range(4..8, 16)
            .build()
            .unwrap();
        assert_eq!((m.range(), m.total_shards()), (4..8, 16));
        assert!(ShardManager::builder("t", Intents::GUILDS, info(8, 1))
            .range(4..17, 16)
            .build()
            .is_err());
        assert!(ShardManager::builder("t", Intents::GUILDS, info(8, 1))
            .shard_count(0)
            .build()
            .is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn user_code_may_use_the_dispatcher_from_listeners_and_predicates() {
        // A listener (its synchronous part) registers another listener, and
        // a wait_for predicate registers another collector: neither may
        // deadlock on the dispatcher's own locks.
        let d = Dispatcher::default();
        let (tx, mut rx) = mpsc::channel(8);
        let inner = d.clone();
        let nested_tx = tx.clone();
        d.listen("MESSAGE_CREATE", move |_, _| {
            let tx = nested_tx.clone();
            inner.listen("TYPING_START", move |_, ev| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(ev.seq()).await;
                }
            });
            async {}
        });
        let from_predicate = d.clone();
        let nested = Arc::new(Mutex::new(None));
        let slot = nested.clone();
        let first = d.wait_for(
            move |_, _| {
                let fut = from_predicate.wait_for(|_, _| true, "TYPING_START");
                *lock(&slot) = Some(Box::pin(fut));
                true
            },
            "MESSAGE_CREATE",
        );
        let (etx, erx) = mpsc::channel(8);
        let pump = tokio::spawn(d.clone().pump(erx));
        etx.send((
            0,
            ShardEvent::Dispatch(Dispatch::new("MESSAGE_CREATE", 1, &b"{}"[..])),
        ))
        .await
        .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .expect("no deadlock in the predicate")
            .unwrap();
        assert_eq!(got.1.seq(), 1);
        etx.send((
            0,
            ShardEvent::Dispatch(Dispatch::new("TYPING_START", 2, &b"{}"[..])),
        ))
        .await
        .unwrap();
        let seq = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("no deadlock in the listener")
            .unwrap();
        assert_eq!(seq, 2);
        let nested_waiter = lock(&nested).take().expect("the predicate ran");
        assert_eq!(nested_waiter.await.unwrap().1.seq(), 2);
        drop(tx);
        drop(etx);
        tokio::time::timeout(Duration::from_secs(5), pump)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn handler_tasks_are_bounded_and_backpressure_reaches_the_stream() {
        let d = Dispatcher::with_max_concurrent_handlers(2);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        {
            let (running, peak, release) = (running.clone(), peak.clone(), release.clone());
            d.listen("E", move |_, _| {
                let (running, peak, release) = (running.clone(), peak.clone(), release.clone());
                async move {
                    let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                    let _ = release.acquire().await.map(|p| p.forget());
                    running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
        let (etx, erx) = mpsc::channel(1);
        let pump = tokio::spawn(d.clone().pump(erx));
        // two run, the third waits for a permit, the fourth fills the
        // channel: the stream is full while handlers are stuck
        let mut sent = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match etx.try_send((
                0,
                ShardEvent::Dispatch(Dispatch::new("E", sent, &b"{}"[..])),
            )) {
                Ok(()) => sent += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    if sent >= 4 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("{e}"),
            }
            assert!(sent < 50, "the dispatcher kept reading past its limit");
            assert!(tokio::time::Instant::now() < deadline);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
        release.add_permits(100);
        drop(etx);
        tokio::time::timeout(Duration::from_secs(5), pump)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn dropped_fatal_waiters_are_removed() {
        let d = Dispatcher::default();
        for _ in 0..100 {
            drop(d.wait_for_fatal());
        }
        let _kept = d.wait_for_fatal();
        assert!(
            lock(&d.inner.fatal).len() <= 1,
            "{}",
            lock(&d.inner.fatal).len()
        );
    }

    #[tokio::test]
    async fn dispatcher_routes_listeners_and_waiters() {
        let d = Dispatcher::default();
        let (tx, mut rx) = mpsc::channel(8);
        d.listen("MESSAGE_CREATE", move |id, ev| {
            let tx = tx.clone();
            async move {
                tx.send((id, ev.seq())).await.unwrap();
            }
        });
        let waiter = d.wait_for(|_, ev| ev.as_str().contains("pong"), "MESSAGE_CREATE");
        let fatal = d.wait_for_fatal();
        let (etx, erx) = mpsc::channel(8);
        let pump = tokio::spawn(d.clone().pump(erx));
        etx.send((
            2,
            ShardEvent::Dispatch(Dispatch::new("MESSAGE_CREATE", 5, &b"{\"c\":\"ping\"}"[..])),
        ))
        .await
        .unwrap();
        etx.send((
            3,
            ShardEvent::Dispatch(Dispatch::new("TYPING_START", 6, &b"{}"[..])),
        ))
        .await
        .unwrap();
        etx.send((
            1,
            ShardEvent::Dispatch(Dispatch::new("MESSAGE_CREATE", 7, &b"{\"c\":\"pong\"}"[..])),
        ))
        .await
        .unwrap();
        let err = Arc::new(GatewayError::FatalClose {
            shard: 1,
            code: acord_core_signals::CloseCode::AuthenticationFailed,
        });
        etx.send((1, ShardEvent::Fatal { error: err }))
            .await
            .unwrap();
        let (id, ev) = waiter.await.unwrap();
        assert_eq!((id, ev.seq()), (1, 7));
        let (fid, ferr) = fatal.await.unwrap();
        assert_eq!(fid, 1);
        assert!(ferr.is_fatal());
        let mut got = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        got.sort();
        assert_eq!(got, [(1, 7), (2, 5)]);
        drop(etx);
        pump.await.unwrap();
    }
}
