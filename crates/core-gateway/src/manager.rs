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
    configure: Option<Configure>,
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
        let (tx, rx) = mpsc::channel(self.event_capacity);
        Ok(ShardManager {
            template,
            total,
            range,
            shards: Mutex::new(BTreeMap::new()),
            events_tx: tx,
            events_rx: Mutex::new(Some(rx)),
            dispatcher: Dispatcher::default(),
            pump: Mutex::new(None),
        })
    }
}

/// Runs a set of shards; see the crate docs and docs/gateway.md.
pub struct ShardManager {
    template: ShardConfig,
    total: u32,
    range: Range<u32>,
    shards: Mutex<BTreeMap<u32, Shard>>,
    events_tx: mpsc::Sender<(u32, ShardEvent)>,
    events_rx: Mutex<Option<mpsc::Receiver<(u32, ShardEvent)>>>,
    dispatcher: Dispatcher,
    pump: Mutex<Option<JoinHandle<()>>>,
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
            configure: None,
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
    /// [`GatewayError::InvalidShard`] when `id` is not below the total.
    pub fn add_shard(&self, id: u32) -> Result<(), GatewayError> {
        let config = self.template.for_shard(id, self.total)?;
        let mut shards = lock(&self.shards);
        if shards.get(&id).is_some_and(|s| !s.is_finished()) {
            return Ok(());
        }
        let shard = Shard::spawn_with_sink(config, self.events_tx.clone());
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

    /// Closes every shard (code 1000 with `end_session`, else 4000) and
    /// waits for them.
    ///
    /// # Cancel safety
    /// Not cancel safe: shards already taken out are detached if dropped.
    pub async fn close(&self, end_session: bool) {
        let shards: Vec<Shard> = std::mem::take(&mut *lock(&self.shards))
            .into_values()
            .collect();
        let mut set = JoinSet::new();
        for s in shards {
            set.spawn(
                async move {
                    let _ = s.close(end_session).await;
                }
                .instrument(tracing::info_span!("shard_close")),
            );
        }
        while set.join_next().await.is_some() {}
        let pump = lock(&self.pump).take();
        if let Some(p) = pump {
            p.abort();
        }
    }
}

type Handler = Arc<dyn Fn(u32, Dispatch) -> BoxFuture<'static, ()> + Send + Sync>;
type Predicate = Box<dyn Fn(u32, &Dispatch) -> bool + Send>;
type FatalTx = oneshot::Sender<(u32, Arc<GatewayError>)>;

struct Waiter {
    name: Option<String>,
    predicate: Predicate,
    tx: oneshot::Sender<(u32, Dispatch)>,
}

#[derive(Default)]
struct DispatcherInner {
    listeners: Mutex<HashMap<String, Vec<Handler>>>,
    any: Mutex<Vec<Handler>>,
    waiters: Mutex<Vec<Waiter>>,
    fatal: Mutex<Vec<FatalTx>>,
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
        lock(&self.inner.fatal).push(tx);
        async move { rx.await.map_err(|_| GatewayError::Closed) }
    }

    /// Routes one event; returns the handler futures to run.
    fn route(&self, id: u32, event: ShardEvent) -> Vec<BoxFuture<'static, ()>> {
        match event {
            ShardEvent::Dispatch(d) => {
                let mut run = Vec::new();
                if let Some(hs) = lock(&self.inner.listeners).get(d.name()) {
                    run.extend(hs.iter().map(|h| h(id, d.clone())));
                }
                run.extend(lock(&self.inner.any).iter().map(|h| h(id, d.clone())));
                let mut waiters = lock(&self.inner.waiters);
                let mut i = 0;
                while i < waiters.len() {
                    let w = &waiters[i];
                    let name_ok = w.name.as_deref().is_none_or(|n| n == d.name());
                    if w.tx.is_closed() {
                        waiters.swap_remove(i);
                    } else if name_ok && (w.predicate)(id, &d) {
                        let w = waiters.swap_remove(i);
                        let _ = w.tx.send((id, d.clone()));
                    } else {
                        i += 1;
                    }
                }
                run
            }
            ShardEvent::Fatal { error } => {
                for tx in lock(&self.inner.fatal).drain(..) {
                    let _ = tx.send((id, error.clone()));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Feeds events from a merged stream until it ends, running handlers
    /// in tracked tasks.
    ///
    /// # Cancel safety
    /// Cancel safe; running handler tasks are aborted when dropped.
    pub async fn pump(self, mut events: mpsc::Receiver<(u32, ShardEvent)>) {
        let mut tasks = JoinSet::new();
        while let Some((id, event)) = events.recv().await {
            for fut in self.route(id, event) {
                tasks.spawn(fut.instrument(tracing::info_span!("handler", shard = id)));
            }
            while let Some(done) = tasks.try_join_next() {
                if let Err(e) = done {
                    tracing::error!(error = %e, "event handler panicked");
                }
            }
        }
        while tasks.join_next().await.is_some() {}
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
