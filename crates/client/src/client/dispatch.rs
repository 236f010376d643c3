//! From shard events to handler tasks: what is wanted, one parse, a task
//! per consumer, collectors, per-channel lanes and panic reporting.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use acord_core_gateway::{Dispatch, ShardEvent};
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::Instrument;

use super::context::{BaseContext, Shared, NO_HANDLER};
use super::delivery::{Ack, Delivery, Tracker};
use super::BoxFuture;
use crate::cache::Previous;
use crate::error::ClientError;
use crate::event::{Event, EventError, EventKind, EventTypeFlags};
use crate::model::ChannelId;

/// A typed handler with its type (and its state type) erased, implemented
/// for every [`EventHandler`](crate::EventHandler) (the impl is generated
/// next to the trait). The event loop only sees this, so it is compiled
/// once, in acord, not once per bot.
pub(crate) trait ErasedHandler: Send + Sync + 'static {
    /// The events the handler declares it wants.
    fn wanted(&self) -> EventTypeFlags;
    /// Calls the method of `event`'s type.
    fn call(self: Arc<Self>, base: BaseContext, event: Event) -> BoxFuture;
    /// Calls `raw_event`.
    fn call_raw(self: Arc<Self>, base: BaseContext, dispatch: Dispatch) -> BoxFuture;
    /// Spawns one task that parses `dispatch` and calls the method of its
    /// type.
    fn spawn_parse_and_call(self: Arc<Self>, base: BaseContext, dispatch: Dispatch, job: Job);
}

/// What a handler task needs besides the handler: the shard, the error
/// hook and its place in the running-task count.
pub(crate) struct Job {
    shard: u32,
    running: InFlightGuard,
    /// The call's share of a broker delivery.
    ack: Option<Ack>,
}

impl Job {
    /// Parses the dispatch; a payload that does not match its event goes
    /// to the error hook.
    pub(crate) fn parse(&self, dispatch: &Dispatch) -> Option<Event> {
        match Event::parse(dispatch) {
            Ok(event) => Some(event),
            Err(error) => {
                if let Some(ack) = &self.ack {
                    ack.undecodable();
                }
                (self.running.0.hook)(DispatchError::Deserialize {
                    shard: self.shard,
                    error,
                });
                None
            }
        }
    }

    /// Runs a handler call, reporting a panic to the error hook.
    pub(crate) async fn guard(&self, event: &'static str, call: impl Future<Output = ()>) {
        let result = AssertUnwindSafe(call).catch_unwind().await;
        if let Some(ack) = &self.ack {
            ack.finish(result.is_ok());
        }
        if let Err(panic) = result {
            (self.running.0.hook)(DispatchError::Panic {
                event,
                shard: self.shard,
                message: panic_message(&*panic),
            });
        }
    }
}

/// Holds one [`EventHandler`](crate::EventHandler) with the state its
/// contexts carry; the type-erased call is implemented for it next to the
/// trait.
pub(crate) struct HandlerBox<H, S> {
    pub(crate) handler: H,
    pub(crate) data: Arc<S>,
}

pub(crate) fn unit_data() -> Arc<()> {
    static UNIT: OnceLock<Arc<()>> = OnceLock::new();
    UNIT.get_or_init(|| Arc::new(())).clone()
}

/// A closure listener: its event type and the type-erased call (which
/// holds the state).
#[derive(Clone)]
pub(crate) struct Listener {
    pub(crate) flag: EventTypeFlags,
    pub(crate) call: Arc<dyn Fn(BaseContext, Event) -> BoxFuture + Send + Sync>,
}

/// What went wrong while delivering an event; handed to the error hook
/// ([`ClientBuilder::on_error`](crate::ClientBuilder::on_error)). The bot
/// keeps running after each of these.
#[derive(Debug)]
#[non_exhaustive]
pub enum DispatchError {
    /// A handler or listener panicked.
    Panic {
        /// The event it was handling.
        event: &'static str,
        /// The shard the event came from.
        shard: u32,
        /// The panic message.
        message: String,
    },
    /// A payload did not match its event's type; it was skipped (a
    /// `raw_event` handler still received it).
    Deserialize {
        /// The shard the event came from.
        shard: u32,
        /// The event name and the JSON error.
        error: EventError,
    },
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panic {
                event,
                shard,
                message,
            } => write!(
                f,
                "a handler of {event} (shard {shard}) panicked: {message}"
            ),
            Self::Deserialize { shard, error } => {
                write!(f, "{error} (shard {shard}); the event was skipped")
            }
        }
    }
}

impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Deserialize { error, .. } => Some(error),
            Self::Panic { .. } => None,
        }
    }
}

/// The error hook.
pub(crate) type ErrorHook = Arc<dyn Fn(DispatchError) + Send + Sync>;

pub(crate) fn default_error_hook() -> ErrorHook {
    Arc::new(|error: DispatchError| match &error {
        DispatchError::Panic { event, shard, .. } => {
            tracing::error!(event, shard, %error, "event handler panicked");
        }
        DispatchError::Deserialize { shard, error: e } => {
            tracing::warn!(event = e.name(), shard, error = %e.json_error(), "event payload did not deserialise; skipped");
        }
    })
}

/// An [`EventTypeFlags`] that can be changed through `&self`.
#[derive(Debug, Default)]
pub(crate) struct AtomicFlags([AtomicU64; 2]);

impl AtomicFlags {
    fn new(flags: EventTypeFlags) -> Self {
        let bits = flags.bits();
        Self([
            AtomicU64::new(bits as u64),
            AtomicU64::new((bits >> 64) as u64),
        ])
    }

    fn load(&self) -> EventTypeFlags {
        let lo = self.0[0].load(Ordering::Relaxed) as u128;
        let hi = self.0[1].load(Ordering::Relaxed) as u128;
        EventTypeFlags::from_bits_retain(lo | (hi << 64))
    }

    fn store(&self, flags: EventTypeFlags) {
        let bits = flags.bits();
        self.0[0].store(bits as u64, Ordering::Relaxed);
        self.0[1].store((bits >> 64) as u64, Ordering::Relaxed);
    }

    fn remove(&self, flags: EventTypeFlags) {
        let bits = flags.bits();
        self.0[0].fetch_and(!(bits as u64), Ordering::Relaxed);
        self.0[1].fetch_and(!((bits >> 64) as u64), Ordering::Relaxed);
    }
}

struct Waiter {
    id: u64,
    flag: EventTypeFlags,
    check: Box<dyn Fn(&Event) -> bool + Send + Sync>,
    tx: oneshot::Sender<Event>,
}

/// Who wants which events: per handler (learned), listeners (fixed),
/// collectors (come and go) and the client itself (READY).
pub(crate) struct Wants {
    handlers: Vec<AtomicFlags>,
    raw: Vec<AtomicBool>,
    fixed: EventTypeFlags,
    waiting: AtomicFlags,
    waiters: Mutex<Vec<Waiter>>,
    next_waiter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // no code panics while holding these locks; recover the data anyway
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Wants {
    pub(crate) fn new(handlers: &[EventTypeFlags], listeners: EventTypeFlags) -> Self {
        Self {
            handlers: handlers.iter().map(|f| AtomicFlags::new(*f)).collect(),
            raw: handlers.iter().map(|_| AtomicBool::new(true)).collect(),
            fixed: listeners | EventTypeFlags::READY,
            waiting: AtomicFlags::default(),
            waiters: Mutex::new(Vec::new()),
            next_waiter: AtomicU64::new(0),
        }
    }

    /// Every event type someone wants right now.
    pub(crate) fn wanted(&self) -> EventTypeFlags {
        self.handlers
            .iter()
            .fold(self.fixed | self.waiting.load(), |acc, h| acc | h.load())
    }

    pub(crate) fn skip_for_handler(&self, handler: u32, flag: EventTypeFlags) {
        if let Some(h) = self.handlers.get(handler as usize) {
            h.remove(flag);
        }
    }

    pub(crate) fn skip_raw_for_handler(&self, handler: u32) {
        if let Some(r) = self.raw.get(handler as usize) {
            r.store(false, Ordering::Relaxed);
        }
    }

    fn handler_wants(&self, handler: usize, flag: EventTypeFlags) -> bool {
        self.handlers[handler].load().intersects(flag)
    }

    fn handler_wants_raw(&self, handler: usize) -> bool {
        self.raw[handler].load(Ordering::Relaxed)
    }

    fn add_waiter(
        &self,
        flag: EventTypeFlags,
        check: Box<dyn Fn(&Event) -> bool + Send + Sync>,
        tx: oneshot::Sender<Event>,
    ) -> u64 {
        let id = self.next_waiter.fetch_add(1, Ordering::Relaxed);
        let mut waiters = lock(&self.waiters);
        waiters.push(Waiter {
            id,
            flag,
            check,
            tx,
        });
        self.waiting.store(self.waiting.load() | flag);
        id
    }

    fn remove_waiter(&self, id: u64) {
        let mut waiters = lock(&self.waiters);
        waiters.retain(|w| w.id != id);
        self.recompute_waiting(&waiters);
    }

    fn recompute_waiting(&self, waiters: &[Waiter]) {
        let flags = waiters
            .iter()
            .fold(EventTypeFlags::empty(), |acc, w| acc | w.flag);
        self.waiting.store(flags);
    }

    /// Hands `event` to every collector waiting for it.
    fn offer(&self, flag: EventTypeFlags, event: &Event) {
        let mut waiters = lock(&self.waiters);
        let before = waiters.len();
        let mut i = 0;
        while i < waiters.len() {
            let w = &waiters[i];
            if w.tx.is_closed() {
                waiters.swap_remove(i);
            } else if w.flag.intersects(flag) {
                // A panicking filter must not stop the event loop: it ends
                // its own collector (which then resolves `Closed`).
                match std::panic::catch_unwind(AssertUnwindSafe(|| (w.check)(event))) {
                    Ok(true) => {
                        let w = waiters.swap_remove(i);
                        let _ = w.tx.send(event.clone());
                    }
                    Ok(false) => i += 1,
                    Err(_) => {
                        tracing::error!(
                            event = event.static_name(),
                            "a wait_for filter panicked; the collector ends"
                        );
                        waiters.swap_remove(i);
                    }
                }
            } else {
                i += 1;
            }
        }
        if waiters.len() != before {
            self.recompute_waiting(&waiters);
        }
    }

    fn close_waiters(&self) {
        let mut waiters = lock(&self.waiters);
        waiters.clear();
        self.waiting.store(EventTypeFlags::empty());
    }
}

/// Removes a collector when its future ends or is dropped.
struct WaiterGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for WaiterGuard {
    fn drop(&mut self) {
        self.shared.wants.remove_waiter(self.id);
    }
}

pub(crate) fn wait_for<E: EventKind>(
    shared: &Arc<Shared>,
    filter: impl Fn(&E::Payload) -> bool + Send + Sync + 'static,
    timeout: Duration,
) -> impl Future<Output = Result<E::Payload, ClientError>> + Send + 'static {
    let (tx, rx) = oneshot::channel();
    let check = Box::new(move |event: &Event| E::payload(event).is_some_and(&filter));
    let id = shared.wants.add_waiter(E::FLAG, check, tx);
    let guard = WaiterGuard {
        shared: shared.clone(),
        id,
    };
    async move {
        let _guard = guard;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(event)) => E::from_event(event).ok_or(ClientError::Closed),
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout {
                event: E::NAME,
                after: timeout,
            }),
        }
    }
}

/// Runs a handler call, reporting a panic to the error hook; `false` when
/// it panicked.
async fn guarded(fut: BoxFuture, event: &'static str, shard: u32, hook: &ErrorHook) -> bool {
    if let Err(panic) = AssertUnwindSafe(fut).catch_unwind().await {
        hook(DispatchError::Panic {
            event,
            shard,
            message: panic_message(&*panic),
        });
        return false;
    }
    true
}

/// Counts running handler tasks: bounds them (the event loop waits while
/// `max` run) and lets shutdown wait for the last one. Two atomic
/// operations per task; the `Notify`s are touched only at the limit and at
/// the end.
pub(crate) struct InFlight {
    running: AtomicUsize,
    max: usize,
    below_max: Notify,
    idle: Notify,
}

/// One running task, counted until dropped.
pub(crate) struct InFlightGuard(Arc<Shared>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let tasks = &self.0.tasks;
        let before = tasks.running.fetch_sub(1, Ordering::AcqRel);
        if before == tasks.max {
            tasks.below_max.notify_one();
        }
        if before == 1 {
            tasks.idle.notify_waiters();
        }
    }
}

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            running: AtomicUsize::new(0),
            max: max.max(1),
            below_max: Notify::new(),
            idle: Notify::new(),
        }
    }

    /// Counts a new task, waiting while `max` run.
    async fn enter(shared: &Arc<Shared>) -> InFlightGuard {
        let tasks = &shared.tasks;
        loop {
            if tasks.try_enter() {
                return InFlightGuard(shared.clone());
            }
            let wait = tasks.below_max.notified();
            tokio::pin!(wait);
            wait.as_mut().enable();
            if tasks.try_enter() {
                return InFlightGuard(shared.clone());
            }
            wait.await;
        }
    }

    fn try_enter(&self) -> bool {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < self.max).then_some(now + 1)
            })
            .is_ok()
    }

    /// Counts a task that must run whatever the count (a channel lane).
    fn enter_unbounded(shared: &Arc<Shared>) -> InFlightGuard {
        shared.tasks.running.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(shared.clone())
    }

    /// Resolves once no task runs.
    async fn idle(&self) {
        loop {
            let wait = self.idle.notified();
            tokio::pin!(wait);
            wait.as_mut().enable();
            if self.running.load(Ordering::Acquire) == 0 {
                return;
            }
            wait.await;
        }
    }
}

/// How long an idle per-channel lane lives.
const LANE_IDLE: Duration = Duration::from_secs(10);
/// Queued handler calls per channel before the shard waits.
const LANE_CAPACITY: usize = 64;

/// Everything the event loop owns.
pub(crate) struct Router {
    pub(crate) shared: Arc<Shared>,
    pub(crate) handlers: Vec<Arc<dyn ErasedHandler>>,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) sequential: bool,
    pub(crate) grace: Duration,
}

struct Running {
    router: Router,
    lanes: Lanes,
    next_lane: u64,
    /// The delivery being routed (events from a broker), shared with
    /// each handler call it starts.
    current: Option<Arc<Tracker>>,
}

/// Where the event loop reads events: the client's shards, or a source of
/// [`Delivery`]s (a broker).
pub(crate) enum Source {
    Shards(mpsc::Receiver<(u32, ShardEvent)>),
    Deliveries(mpsc::Receiver<Delivery>),
}

impl Source {
    /// The next event, with its delivery's tracker.
    ///
    /// # Cancel safety
    /// Cancel safe (an `mpsc` receive, then no await).
    async fn recv(&mut self) -> Option<(u32, ShardEvent, Option<Arc<Tracker>>)> {
        match self {
            Self::Shards(rx) => rx.recv().await.map(|(shard, event)| (shard, event, None)),
            Self::Deliveries(rx) => rx.recv().await.map(|delivery| {
                let shard = delivery.meta.shard();
                let (tracker, dispatch) = Tracker::new(delivery);
                (shard, ShardEvent::Dispatch(dispatch), Some(tracker))
            }),
        }
    }

    /// Drops the next event unhandled (a delivery's outcome then says
    /// it was not handled); `false` once the source ended.
    async fn discard(&mut self) -> bool {
        match self {
            Self::Shards(rx) => rx.recv().await.is_some(),
            Self::Deliveries(rx) => rx.recv().await.is_some(),
        }
    }
}

/// Per-channel lanes: channel → (lane id, sender).
type Lanes = Arc<Mutex<HashMap<ChannelId, (u64, mpsc::Sender<BoxFuture>)>>>;

/// Runs the event loop until shutdown or a fatal close.
///
/// Boxed here, in a function that is not generic, so the loop (and all it
/// awaits: routing, lanes, the shard manager's close) is compiled once in
/// acord; an `async fn` called from the generic `Client<S>` would be
/// compiled again in every bot crate.
#[inline(never)]
pub(crate) fn run(
    router: Router,
    events: Source,
) -> Pin<Box<dyn Future<Output = Result<(), ClientError>> + Send>> {
    Box::pin(run_loop(router, events))
}

async fn run_loop(router: Router, mut events: Source) -> Result<(), ClientError> {
    let shared = router.shared.clone();
    let grace = router.grace;
    let mut running = Running {
        router,
        lanes: Arc::default(),
        next_lane: 0,
        current: None,
    };
    let shutdown = shared.shutdown.clone();
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let result = loop {
        if shutdown.is_shutdown() {
            break Ok(());
        }
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Some((shard, ShardEvent::Dispatch(dispatch), tracker)) => {
                    running.current = tracker;
                    if let Some(dispatch) = running.try_fast(shard, dispatch) {
                        running.route(shard, dispatch).await;
                    }
                    // the handler calls hold their shares now
                    running.current = None;
                }
                Some((shard, ShardEvent::Fatal { error }, _)) => {
                    break Err(ClientError::Fatal { shard, source: error });
                }
                Some(_) => {}
                None => break Ok(()),
            },
            () = &mut stop => break Ok(()),
        }
    };
    if let Err(e) = &result {
        tracing::error!(error = %e, "a shard stopped for good; closing the others");
    }
    // Close every shard (code 1000) while draining their last events so no
    // shard waits on a full channel.
    let close = shared
        .manager
        .close(result.is_err() || !shared.shutdown.keeps_sessions());
    tokio::pin!(close);
    loop {
        tokio::select! {
            () = &mut close => break,
            more = events.discard() => if !more { (&mut close).await; break },
        }
    }
    shared.wants.close_waiters();
    lock(&running.lanes).clear();
    if tokio::time::timeout(grace, shared.tasks.idle())
        .await
        .is_err()
    {
        tracing::warn!(
            running = shared.tasks.running.load(Ordering::Relaxed),
            "handlers still running after the shutdown grace period; they are left to finish on their own"
        );
    }
    result
}

impl Running {
    fn context(&self, shard: u32, handler: u32) -> BaseContext {
        BaseContext {
            shared: self.router.shared.clone(),
            shard_id: shard,
            handler,
            previous: None,
            meta: self.current.as_ref().map(|t| t.meta.clone()),
        }
    }

    /// A share of the delivery being routed, for one handler call.
    fn ack(&self) -> Option<Ack> {
        self.current.as_ref().map(Tracker::ack)
    }

    /// The common case without an `.await` (so without building the full
    /// routing future): one consumer, no collector, no raw handler, no
    /// lanes, room for a task. The task parses, so a large payload never
    /// holds up the events behind it and every core parses. Gives the
    /// dispatch back when the full [`route`](Self::route) is needed.
    fn try_fast(&mut self, shard: u32, dispatch: Dispatch) -> Option<Dispatch> {
        let shared = &self.router.shared;
        let wants = &shared.wants;
        if (0..self.router.handlers.len()).any(|i| wants.handler_wants_raw(i)) {
            return Some(dispatch);
        }
        let Some(flag) = EventTypeFlags::for_dispatch(dispatch.name()) else {
            return None; // unknown, and no raw handler wants it
        };
        if self.router.sequential
            || flag == EventTypeFlags::READY
            || wants.waiting.load().intersects(flag)
            || shared.cache_events.intersects(flag)
        {
            return Some(dispatch);
        }
        let mut handler = None;
        for i in 0..self.router.handlers.len() {
            if wants.handler_wants(i, flag) {
                if handler.is_some() {
                    return Some(dispatch);
                }
                handler = Some(i);
            }
        }
        let mut listeners = self
            .router
            .listeners
            .iter()
            .filter(|l| l.flag.intersects(flag));
        let listener = listeners.next();
        let single = match (handler, listener) {
            (Some(_), None) | (None, Some(_)) => listeners.next().is_none(),
            (None, None) => return None, // nobody wants it
            _ => false,
        };
        if !single || !shared.tasks.try_enter() {
            return Some(dispatch);
        }
        let job = Job {
            shard,
            running: InFlightGuard(shared.clone()),
            ack: self.ack(),
        };
        match (handler, listener) {
            (Some(i), _) => {
                let ctx = self.context(shard, i as u32);
                self.router.handlers[i]
                    .clone()
                    .spawn_parse_and_call(ctx, dispatch, job);
            }
            (None, Some(listener)) => {
                let call = listener.call.clone();
                let ctx = self.context(shard, NO_HANDLER);
                tokio::spawn(async move {
                    let Some(event) = job.parse(&dispatch) else {
                        return;
                    };
                    drop(dispatch);
                    let name = event.static_name();
                    job.guard(name, call(ctx, event)).await;
                });
            }
            (None, None) => {}
        }
        None
    }

    async fn route(&mut self, shard: u32, dispatch: Dispatch) {
        let shared = self.router.shared.clone();
        let wants = &shared.wants;
        let name = dispatch.name();
        for i in 0..self.router.handlers.len() {
            if wants.handler_wants_raw(i) {
                let fut = self.router.handlers[i]
                    .clone()
                    .call_raw(self.context(shard, i as u32), dispatch.clone());
                self.spawn(fut, "raw_event", shard, None).await;
            }
        }
        let Some(flag) = EventTypeFlags::for_dispatch(name) else {
            return;
        };
        let cached = shared.cache_events.intersects(flag);
        if !cached && !wants.wanted().intersects(flag) {
            return;
        }
        // Which handlers and listeners take this event.
        let handlers: u128 = (0..self.router.handlers.len().min(128))
            .filter(|&i| wants.handler_wants(i, flag))
            .fold(0, |acc, i| acc | (1 << i));
        let listeners = self
            .router
            .listeners
            .iter()
            .filter(|l| l.flag.intersects(flag))
            .count();
        let consumers = handlers.count_ones() as usize + listeners;
        let waiting = wants.waiting.load().intersects(flag);

        // The common case — one consumer, no collector, no lanes — parses
        // in the consumer's own task, so a large payload never holds up
        // the events behind it and both cores parse.
        if consumers == 1
            && !waiting
            && !cached
            && !self.router.sequential
            && flag != EventTypeFlags::READY
        {
            let i = handlers.trailing_zeros();
            if i < 128 {
                let job = Job {
                    shard,
                    running: InFlight::enter(&self.router.shared).await,
                    ack: self.ack(),
                };
                let ctx = self.context(shard, i);
                self.router.handlers[i as usize]
                    .clone()
                    .spawn_parse_and_call(ctx, dispatch, job);
                return;
            }
            let Some(listener) = self
                .router
                .listeners
                .iter()
                .find(|l| l.flag.intersects(flag))
            else {
                return;
            };
            let call = listener.call.clone();
            let ctx = self.context(shard, NO_HANDLER);
            let job = Job {
                shard,
                running: InFlight::enter(&self.router.shared).await,
                ack: self.ack(),
            };
            tokio::spawn(async move {
                let Some(event) = job.parse(&dispatch) else {
                    return;
                };
                drop(dispatch);
                let name = event.static_name();
                job.guard(name, call(ctx, event)).await;
            });
            return;
        }

        let event = match Event::parse(&dispatch) {
            Ok(event) => event,
            Err(error) => {
                if let Some(tracker) = &self.current {
                    tracker.undecodable();
                }
                (self.router.shared.hook)(DispatchError::Deserialize { shard, error });
                return;
            }
        };
        if let Event::Ready(ready) = &event {
            shared.http.set_application_id(ready.application.id);
        }
        // the cache first, in event order, so handlers see the state after
        // the event (and what it replaced)
        let previous = if cached {
            match shared.store.update(&event).finish().await {
                Previous::None => None,
                p => Some(Arc::new(p)),
            }
        } else {
            None
        };
        if waiting {
            wants.offer(flag, &event);
        }
        if consumers == 0 {
            return;
        }
        let name = event.static_name();
        let lane = if self.router.sequential {
            channel_of(&event)
        } else {
            None
        };
        // The last consumer takes the event by value.
        let mut left = consumers;
        let mut event = Some(event);
        let mut take = || -> Option<Event> {
            left -= 1;
            if left == 0 {
                event.take()
            } else {
                event.clone()
            }
        };
        for i in 0..self.router.handlers.len().min(128) {
            if handlers & (1 << i) == 0 {
                continue;
            }
            let Some(ev) = take() else { return };
            let mut ctx = self.context(shard, i as u32);
            ctx.previous.clone_from(&previous);
            let fut = self.router.handlers[i].clone().call(ctx, ev);
            self.spawn(fut, name, shard, lane).await;
        }
        for j in 0..self.router.listeners.len() {
            if !self.router.listeners[j].flag.intersects(flag) {
                continue;
            }
            let Some(ev) = take() else { return };
            let mut ctx = self.context(shard, NO_HANDLER);
            ctx.previous.clone_from(&previous);
            let fut = (self.router.listeners[j].call)(ctx, ev);
            self.spawn(fut, name, shard, lane).await;
        }
    }

    /// Runs one handler call: in its own task, or queued on its channel's
    /// lane.
    async fn spawn(
        &mut self,
        fut: BoxFuture,
        event: &'static str,
        shard: u32,
        lane: Option<ChannelId>,
    ) {
        let hook = self.router.shared.hook.clone();
        let ack = self.ack();
        let job = async move {
            let ok = guarded(fut, event, shard, &hook).await;
            if let Some(ack) = ack {
                ack.finish(ok);
            }
        };
        match lane {
            Some(channel) => self.send_to_lane(channel, Box::pin(job)).await,
            None => self.spawn_task(job, shard).await,
        }
    }

    /// Spawns a tracked task; waits (slowing the shard) while too many
    /// run.
    async fn spawn_task(&mut self, job: impl Future<Output = ()> + Send + 'static, shard: u32) {
        let permit = InFlight::enter(&self.router.shared).await;
        let _ = shard;
        tokio::spawn(async move {
            job.await;
            drop(permit);
        });
    }

    async fn send_to_lane(&mut self, channel: ChannelId, mut fut: BoxFuture) {
        loop {
            let tx = {
                let mut lanes = lock(&self.lanes);
                match lanes.get(&channel) {
                    Some((_, tx)) if !tx.is_closed() => tx.clone(),
                    _ => {
                        let (tx, rx) = mpsc::channel(LANE_CAPACITY);
                        self.next_lane += 1;
                        let id = self.next_lane;
                        lanes.insert(channel, (id, tx.clone()));
                        let permit = InFlight::enter_unbounded(&self.router.shared);
                        let lanes = self.lanes.clone();
                        tokio::spawn(
                            async move {
                                lane(channel, id, rx, lanes).await;
                                drop(permit);
                            }
                            .instrument(tracing::debug_span!("lane", channel = channel.get())),
                        );
                        tx
                    }
                }
            };
            match tx.send(fut).await {
                Ok(()) => return,
                // the lane ended between the lookup and the send: start
                // a new one (the old one had run everything it received)
                Err(mpsc::error::SendError(back)) => fut = back,
            }
        }
    }
}

/// Runs one channel's handler calls in order; ends when idle.
async fn lane(channel: ChannelId, lane_id: u64, mut rx: mpsc::Receiver<BoxFuture>, lanes: Lanes) {
    loop {
        match tokio::time::timeout(LANE_IDLE, rx.recv()).await {
            Ok(Some(fut)) => fut.await,
            Ok(None) => return,
            Err(_) => {
                let mut map = lock(&lanes);
                if rx.is_empty() {
                    if map.get(&channel).is_some_and(|(id, _)| *id == lane_id) {
                        map.remove(&channel);
                    }
                    return;
                }
            }
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

/// The channel an event belongs to, for per-channel ordering.
pub(crate) fn channel_of(event: &Event) -> Option<ChannelId> {
    Some(match event {
        Event::MessageCreate(m) => m.channel_id,
        Event::MessageUpdate(m) => m.channel_id,
        Event::MessageDelete(m) => m.channel_id,
        Event::MessageDeleteBulk(m) => m.channel_id,
        Event::MessageReactionAdd(r) => r.channel_id,
        Event::MessageReactionRemove(r) => r.channel_id,
        Event::MessageReactionRemoveAll(r) => r.channel_id,
        Event::MessageReactionRemoveEmoji(r) => r.channel_id,
        Event::MessagePollVoteAdd(v) | Event::MessagePollVoteRemove(v) => v.channel_id,
        Event::TypingStart(t) => t.channel_id,
        Event::ChannelPinsUpdate(p) => p.channel_id,
        Event::ChannelCreate(c)
        | Event::ChannelUpdate(c)
        | Event::ChannelDelete(c)
        | Event::ThreadCreate(c)
        | Event::ThreadUpdate(c) => c.id,
        Event::InteractionCreate(i) => i.channel_id?,
        _ => return None,
    })
}
