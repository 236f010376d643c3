//! [`Shard`]: the tokio driver around a [`Connection`].
//!
//! Receive path: (1) a WebSocket message arrives, (2) the [`Decoder`] turns
//! it into payload text, (3) [`Connection::recv`] updates the protocol state,
//! (4) its events become [`ShardEvent`]s on a bounded channel. Messages
//! already waiting in the socket are read in one go (up to 32, `READ_BURST`)
//! and their events handed over together, so the consumer is woken once per
//! batch rather than once per event; a full channel is refilled once three
//! quarters of it are free, not slot by slot. Each wake-up of the shard by
//! the consumer costs a wake-up of a runtime thread, so the shard asks for
//! few: one per refill, none for the byte count while a refill is due
//! (below), and its heartbeat timer is registered once per deadline, not
//! once per turn of its loop.
//! Send path: (1) heartbeats, IDENTIFY and RESUME from the connection always
//! go out, (2) user [`Command`]s from the [`ShardMessenger`] go out while the
//! send limiter has room, (3) everything is counted against 120 per 60 s.
//!
//! Backpressure: every dispatch the shard hands out counts its bytes
//! against `max_backlog_bytes` until the last copy of it is dropped (in the
//! backlog, in the channel, or in the consumer's hands). Once the backlog
//! is full the shard stops reading the socket (TCP flow control then slows
//! the sender) until the consumer has given back half of it (checked when
//! the consumer's drop crosses that mark, or at the next channel refill
//! while events wait for room in the channel). A slow
//! consumer never delays heartbeats, and during a pause a missing
//! HEARTBEAT_ACK (which may sit unread in the socket) is not taken for a
//! zombie connection. No dispatch is dropped.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acord_core_http::SessionStartLimit;
use acord_core_signals::{GatewayOpcode, Intents};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tracing::Instrument;

use crate::command::{Command, IdentifyProperties, Token};
use crate::connection::{
    Connection, ConnectionConfig, ConnectionConfigBuilder, Event, Session, Stage,
};
use crate::decoder::{Decoder, Frame, ZlibStreamDecoder};
use crate::error::{DecodeError, GatewayError};
use crate::keep_alive::{KeepAlive, StandardKeepAlive};
use crate::limiter::{Backoff, SendLimiter};
use crate::payload::{Dispatch, RateLimited};
use crate::queue::{BoxFuture, IdentifyQueue, InProcessIdentifyQueue};
use crate::random::random_f64;
use crate::ReconnectReason;

/// Builds a fresh [`Decoder`] for each shard.
pub type DecoderFactory = Arc<dyn Fn() -> Box<dyn Decoder> + Send + Sync>;
/// Builds a fresh [`KeepAlive`] for each shard.
pub type KeepAliveFactory = Arc<dyn Fn() -> Box<dyn KeepAlive> + Send + Sync>;

/// Everything a [`Shard`] needs; build with [`ShardConfig::builder`].
#[derive(Clone)]
pub struct ShardConfig {
    connection: ConnectionConfig,
    decoder: DecoderFactory,
    keep_alive: KeepAliveFactory,
    identify_queue: Arc<dyn IdentifyQueue>,
    /// Shards of one manager that may be connected and not yet have sent
    /// their first IDENTIFY (see [`ShardConfig::set_connect_gate`]).
    connect_gate: Option<Arc<tokio::sync::Semaphore>>,
    tuning: Tuning,
}

/// The default of [`ShardConfigBuilder::max_backlog_bytes`].
const DEFAULT_MAX_BACKLOG_BYTES: usize = 1024 * 1024;

/// Counted per dispatch on top of its JSON: the event in the channel, its
/// name and the accounting itself.
const DISPATCH_OVERHEAD: usize = 128;

/// Messages read in one go when the socket has more waiting: their events
/// reach the consumer as one batch (one wake-up) instead of one by one.
const READ_BURST: usize = 32;

/// The longest duration a builder accepts (send window, connect timeout,
/// backoff, op 9 wait), so `Instant + duration` cannot overflow.
pub(crate) const MAX_TUNING_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The driver's knobs, shared by [`ShardConfig`] and its builder.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    event_capacity: usize,
    command_capacity: usize,
    max_backlog: usize,
    max_backlog_bytes: usize,
    send_limit: usize,
    send_window: Duration,
    presence_limit: usize,
    presence_window: Duration,
    backoff: (Duration, Duration),
    connect_timeout: Duration,
    close_timeout: Duration,
    read_buffer: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            event_capacity: 256,
            command_capacity: 16,
            max_backlog: 4096,
            max_backlog_bytes: DEFAULT_MAX_BACKLOG_BYTES,
            send_limit: acord_core_signals::limits::GATEWAY_SENDS_PER_WINDOW as usize,
            send_window: acord_core_signals::limits::GATEWAY_SEND_WINDOW,
            presence_limit: acord_core_signals::limits::PRESENCE_UPDATES_PER_WINDOW as usize,
            presence_window: acord_core_signals::limits::PRESENCE_UPDATE_WINDOW,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            connect_timeout: Duration::from_secs(15),
            close_timeout: Duration::from_secs(2),
            read_buffer: 1024,
        }
    }
}

impl fmt::Debug for ShardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardConfig")
            .field("connection", &self.connection)
            .field("identify_queue", &self.identify_queue)
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

impl ShardConfig {
    /// Starts a configuration: token, intents and the gateway URL (from
    /// `GET /gateway/bot`, or the fake's `gateway_url()`).
    pub fn builder(
        token: impl Into<Token>,
        intents: Intents,
        gateway_url: impl Into<String>,
    ) -> ShardConfigBuilder {
        ShardConfigBuilder {
            connection: ConnectionConfig::builder(token, intents, gateway_url),
            config_decoder: Arc::new(|| Box::new(ZlibStreamDecoder::new())),
            keep_alive: Arc::new(|| Box::new(StandardKeepAlive::new())),
            identify_queue: None,
            identify_window: acord_core_signals::limits::IDENTIFY_WINDOW,
            session_start_limit: None,
            tuning: Tuning::default(),
        }
    }

    /// The shard `[id, count]`.
    pub fn shard(&self) -> [u32; 2] {
        self.connection.shard()
    }

    /// The connection configuration.
    pub fn connection(&self) -> &ConnectionConfig {
        &self.connection
    }

    pub(crate) fn for_shard(&self, id: u32, count: u32) -> Result<ShardConfig, GatewayError> {
        if count == 0 || id >= count {
            return Err(GatewayError::InvalidShard { shard: id, count });
        }
        let mut c = self.clone();
        c.connection.set_shard(id, count);
        c.connection.reseed();
        Ok(c)
    }

    pub(crate) fn set_gateway_url(&mut self, url: String) {
        self.connection.set_gateway_url(url);
    }

    pub(crate) fn set_session(&mut self, session: Option<Session>) {
        self.connection.set_session(session);
    }

    pub(crate) fn set_identify_queue(&mut self, queue: Arc<dyn IdentifyQueue>) {
        self.identify_queue = queue;
    }

    /// Makes a shard that is going to IDENTIFY (it has no session to resume)
    /// take a permit of `gate` before it connects, and give it back once its
    /// IDENTIFY is written. The manager sizes the gate at one wave of the
    /// identify queue: a thousand shards do not open a thousand sockets at
    /// start and sit on them for minutes waiting for their turn, and the
    /// handshakes of the start do not compete with the first waves'
    /// IDENTIFYs for the CPU.
    pub(crate) fn set_connect_gate(&mut self, gate: Arc<tokio::sync::Semaphore>) {
        self.connect_gate = Some(gate);
    }
}

/// Builder for [`ShardConfig`].
pub struct ShardConfigBuilder {
    connection: ConnectionConfigBuilder,
    config_decoder: DecoderFactory,
    keep_alive: KeepAliveFactory,
    identify_queue: Option<Arc<dyn IdentifyQueue>>,
    identify_window: Duration,
    session_start_limit: Option<SessionStartLimit>,
    tuning: Tuning,
}

impl fmt::Debug for ShardConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardConfigBuilder")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl ShardConfigBuilder {
    /// The shard `[id, count]` (default `[0, 1]`).
    pub fn shard(mut self, id: u32, count: u32) -> Self {
        self.connection = self.connection.shard(id, count);
        self
    }

    /// The decoder; the default is [`ZlibStreamDecoder`]
    /// (`compress=zlib-stream`). Use `|| Box::new(JsonDecoder::new())` for
    /// plain JSON.
    pub fn decoder(mut self, make: impl Fn() -> Box<dyn Decoder> + Send + Sync + 'static) -> Self {
        self.config_decoder = Arc::new(make);
        self
    }

    /// The keep-alive; the default is [`StandardKeepAlive`].
    pub fn keep_alive(
        mut self,
        make: impl Fn() -> Box<dyn KeepAlive> + Send + Sync + 'static,
    ) -> Self {
        self.keep_alive = Arc::new(make);
        self
    }

    /// Waits for this queue before every IDENTIFY (the [`ShardManager`]
    /// sets its own). The default is the [`InProcessIdentifyQueue`] that
    /// every standalone shard of this bot (same token and gateway host) in
    /// this process shares, however many configurations they were built
    /// from: one IDENTIFY per bucket per identify window, and one session
    /// start budget. Size it with
    /// [`session_start_limit`](Self::session_start_limit); shards in
    /// several processes need a shared implementation of the trait.
    ///
    /// [`ShardManager`]: crate::ShardManager
    pub fn identify_queue(mut self, queue: Arc<dyn IdentifyQueue>) -> Self {
        self.identify_queue = Some(queue);
        self
    }

    /// A session saved by a previous process
    /// ([`Shard::session`] after `close(false)`): the first connection
    /// RESUMEs it instead of identifying, and the gateway replays the
    /// events missed meanwhile. A session of another shard is ignored; one
    /// the gateway no longer knows ends in a fresh IDENTIFY.
    pub fn session(mut self, session: Session) -> Self {
        self.connection = self.connection.session(session);
        self
    }

    /// The session start budget and `max_concurrency` of the default
    /// identify queue: `session_start_limit` of `GET /gateway/bot`
    /// ([`HttpClient::fetch_gateway_bot`](acord_core_http::HttpClient::fetch_gateway_bot)).
    /// Without it the shared queue assumes a full budget of 1,000 starts
    /// and a `max_concurrency` of 1, which the real budget may not have.
    pub fn session_start_limit(mut self, limit: SessionStartLimit) -> Self {
        self.session_start_limit = Some(limit);
        self
    }

    /// The window of the default identify queue (default 5 s, Discord's).
    pub fn identify_window(mut self, window: Duration) -> Self {
        self.identify_window = window;
        self
    }

    /// IDENTIFY `properties`.
    pub fn properties(mut self, properties: IdentifyProperties) -> Self {
        self.connection = self.connection.properties(properties);
        self
    }

    /// The initial presence sent in IDENTIFY: any data that serialises to
    /// a JSON object (such as the `acord` crate's `UpdatePresence`). See
    /// [`ConnectionConfigBuilder::presence`]; errors are reported by
    /// [`build`](Self::build).
    pub fn presence<T: serde::Serialize + ?Sized>(mut self, presence: &T) -> Self {
        self.connection = self.connection.presence(presence);
        self
    }

    /// IDENTIFY `large_threshold`.
    pub fn large_threshold(mut self, threshold: u32) -> Self {
        self.connection = self.connection.large_threshold(threshold);
        self
    }

    /// Random wait before re-identifying after op 9 `d: false` (default
    /// 1-5 s, capped at a day).
    pub fn invalid_session_wait(mut self, min: Duration, max: Duration) -> Self {
        self.connection = self.connection.invalid_session_wait(min, max);
        self
    }

    /// RESUMEs in a row the gateway may answer with op 9 `d: true`
    /// before the shard gives the session up and IDENTIFIES (default 3).
    /// Connect failures and dropped sockets never count: a session lives
    /// until the gateway ends it (op 9 `d: false`, close 4003/4007/4009).
    pub fn max_resume_failures(mut self, failures: u32) -> Self {
        self.connection = self.connection.max_resume_failures(failures);
        self
    }

    /// Capacity of the event channel (default 256).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.tuning.event_capacity = capacity.max(1);
        self
    }

    /// Capacity of the command channel behind [`ShardMessenger`] (default 16).
    pub fn command_capacity(mut self, capacity: usize) -> Self {
        self.tuning.command_capacity = capacity.max(1);
        self
    }

    /// Events held for a slow consumer, beyond the event channel, before
    /// the shard stops reading the socket (default 4096). Heartbeats
    /// continue either way. [`max_backlog_bytes`](Self::max_backlog_bytes)
    /// usually stops reading first.
    pub fn max_backlog(mut self, events: usize) -> Self {
        self.tuning.max_backlog = events.max(1);
        self
    }

    /// Bytes of dispatches the shard may have handed out and not yet seen
    /// dropped before it stops reading the socket (default 1 MiB).
    ///
    /// Each dispatch counts the length of its JSON `d` plus about 128
    /// bytes, from the moment the shard reads it until the last copy of it
    /// is dropped: waiting in the shard, in the event channel, or held by
    /// the consumer (a handler still running). When the count reaches the
    /// limit the shard stops reading; TCP flow control then holds the rest
    /// at the sender, so memory stays near the limit however fast the
    /// gateway sends. Reading goes on once the count is down to half the
    /// limit; while dispatches wait for room in the event channel, the
    /// shard checks the count when the consumer has made room for them
    /// (one wake-up instead of two). Heartbeats go on during the pause and
    /// no dispatch is dropped.
    /// The message being read when the limit is reached is always
    /// finished, so the count may exceed the limit by one message.
    ///
    /// A consumer that keeps dispatches (their `raw` bytes) for long keeps
    /// them counted; copy what must outlive the handler
    /// (`Bytes::copy_from_slice`). Each shard has its own limit: a
    /// [`ShardManager`](crate::ShardManager) of N shards may hold up to N
    /// times this. The current and peak counts are in [`ShardInfo`].
    pub fn max_backlog_bytes(mut self, bytes: usize) -> Self {
        self.tuning.max_backlog_bytes = bytes.max(1);
        self
    }

    /// The send limit (default 120 per 60 s, Discord's). The window is
    /// capped at a day.
    pub fn send_limit(mut self, limit: usize, window: Duration) -> Self {
        self.tuning.send_limit = limit.max(2);
        self.tuning.send_window = window.min(MAX_TUNING_DURATION);
        self
    }

    /// The presence update limit (default 5 per 20 s, Discord's), kept apart
    /// from the send limit. UPDATE_PRESENCE commands beyond it wait; a
    /// waiting one is replaced by a newer one (a presence update replaces
    /// the whole presence, so only the newest matters). The window is
    /// capped at a day.
    pub fn presence_limit(mut self, limit: usize, window: Duration) -> Self {
        self.tuning.presence_limit = limit.max(1);
        self.tuning.presence_window = window.min(MAX_TUNING_DURATION);
        self
    }

    /// Reconnect backoff: the first retry after about `base`, doubling up
    /// to `max`, each jittered (default 1 s .. 60 s; both capped at a day).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.tuning.backoff = (base.min(MAX_TUNING_DURATION), max.min(MAX_TUNING_DURATION));
        self
    }

    /// Timeout of one connection attempt, and of the wait for HELLO after
    /// it (default 15 s, capped at a day).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.tuning.connect_timeout = timeout.min(MAX_TUNING_DURATION);
        self
    }

    /// Seeds the jitter of the connection (tests).
    pub fn seed(mut self, seed: u64) -> Self {
        self.connection = self.connection.seed(seed);
        self
    }

    /// Checks and builds the configuration.
    ///
    /// # Errors
    /// See [`ConnectionConfigBuilder::build`].
    pub fn build(self) -> Result<ShardConfig, GatewayError> {
        let connection = self.connection.build()?;
        let identify_queue = match self.identify_queue {
            Some(queue) => queue,
            None => InProcessIdentifyQueue::shared(
                connection.token(),
                connection.gateway_url(),
                self.session_start_limit,
                self.identify_window,
            ),
        };
        Ok(ShardConfig {
            connection,
            decoder: self.config_decoder,
            keep_alive: self.keep_alive,
            identify_queue,
            connect_gate: None,
            tuning: self.tuning,
        })
    }
}

/// How [`Driver::idle_or`] ended.
enum IdleEnd {
    Closed,
    Elapsed,
    Permit(tokio::sync::OwnedSemaphorePermit),
}

/// What a shard reports.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ShardEvent {
    /// A dispatch event, READY and RESUMED included. Never dropped.
    Dispatch(Dispatch),
    /// A new session started (READY).
    Ready {
        /// The session id.
        session_id: String,
    },
    /// The session was resumed; every missed event was replayed before this.
    Resumed,
    /// The shard is reconnecting.
    Reconnecting {
        /// Why.
        reason: ReconnectReason,
        /// Whether it will RESUME (else IDENTIFY).
        resume: bool,
        /// The protocol-mandated wait (op 9), before any backoff.
        wait: Duration,
    },
    /// The socket closed (`None`: dropped without a close frame).
    Disconnected {
        /// The close code.
        code: Option<u16>,
    },
    /// The shard stopped for good; the error says why and what to fix.
    Fatal {
        /// The error.
        error: Arc<GatewayError>,
    },
    /// Discord refused a command (`RATE_LIMITED` dispatch).
    RateLimited(RateLimited),
    /// Voidable: a heartbeat was sent. Dropped when the channel is full.
    HeartbeatSent {
        /// The sequence it carried.
        seq: Option<u64>,
        /// Whether it answered a server op 1.
        requested: bool,
    },
    /// Voidable: a heartbeat was ACKed. Dropped when the channel is full.
    HeartbeatAck {
        /// Latency sample.
        latency: Option<Duration>,
    },
}

impl ShardEvent {
    /// Whether the event is for statistics only and may be dropped when
    /// nobody reads (heartbeat sent / ACKed).
    pub fn is_voidable(&self) -> bool {
        matches!(self, Self::HeartbeatSent { .. } | Self::HeartbeatAck { .. })
    }
}

impl From<(u32, ShardEvent)> for ShardEvent {
    fn from((_, event): (u32, ShardEvent)) -> Self {
        event
    }
}

/// The connection status of a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShardStatus {
    /// Opening the socket or waiting for HELLO.
    Connecting,
    /// IDENTIFY sent (or waiting in the identify queue).
    Identifying,
    /// RESUME sent.
    Resuming,
    /// Session live.
    Ready,
    /// Between connections.
    Disconnected,
    /// Closed on purpose.
    Closed,
    /// Stopped by a fatal close code.
    Failed,
}

impl ShardStatus {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Connecting,
            1 => Self::Identifying,
            2 => Self::Resuming,
            3 => Self::Ready,
            4 => Self::Disconnected,
            5 => Self::Closed,
            _ => Self::Failed,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Self::Connecting => 0,
            Self::Identifying => 1,
            Self::Resuming => 2,
            Self::Ready => 3,
            Self::Disconnected => 4,
            Self::Closed => 5,
            Self::Failed => 6,
        }
    }

    fn from_stage(stage: Stage) -> Self {
        match stage {
            Stage::AwaitingHello => Self::Connecting,
            Stage::Identifying => Self::Identifying,
            Stage::Resuming => Self::Resuming,
            Stage::Ready => Self::Ready,
            Stage::Closed => Self::Closed,
            Stage::Failed => Self::Failed,
            _ => Self::Disconnected,
        }
    }
}

/// Health counters of one shard, readable at any time.
#[derive(Debug)]
pub(crate) struct ShardStats {
    status: AtomicU8,
    latency_us: AtomicU64,
    last_ack: Mutex<Option<Instant>>,
    resumes: AtomicU64,
    identifies: AtomicU64,
    reconnects: AtomicU64,
    lagged: AtomicU64,
    voided: AtomicU64,
    commands_sent: AtomicU64,
    heartbeats_sent: AtomicU64,
    long_pauses: AtomicU64,
    read_pauses: AtomicU64,
    oversized_reidentifies: AtomicU64,
    /// Bytes of dispatches handed out and not dropped yet.
    backlog: Backlog,
    /// The resumable session (its sequence number is `seq`, updated per
    /// dispatch without a lock).
    session: Mutex<Option<Session>>,
    /// The last dispatch's sequence number.
    seq: AtomicU64,
    /// Close/restart requests from messengers (a mutex and a notify instead
    /// of a channel: no per-shard channel block for a rare message).
    control: Mutex<ControlQueue>,
    wake: tokio::sync::Notify,
    /// Texts of dropped dispatches, freed by the shard's task (see
    /// [`Charge::give_back`]).
    given_back: Mutex<GivenBack>,
}

/// Dispatch texts the consumers dropped, waiting for the shard's task to
/// free them on its own thread.
#[derive(Default)]
struct GivenBack {
    texts: Vec<Box<str>>,
    bytes: usize,
    /// The driver ended: nobody frees what is given back any more.
    closed: bool,
}

impl fmt::Debug for GivenBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GivenBack")
            .field("texts", &self.texts.len())
            .field("bytes", &self.bytes)
            .field("closed", &self.closed)
            .finish()
    }
}

/// The largest text given back to the shard to free (larger ones are rare
/// and freed where they are dropped).
const GIVE_BACK_MAX_TEXT: usize = 16 * 1024;
/// The most bytes of given-back texts that wait for the shard's task (it
/// frees them on its next turn; an idle shard's next turn may be a
/// heartbeat interval away).
const GIVE_BACK_MAX_BYTES: usize = 32 * 1024;

#[derive(Default)]
struct ControlQueue {
    items: VecDeque<Control>,
    closed: bool,
}

impl fmt::Debug for ControlQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlQueue")
            .field("pending", &self.items.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl ShardStats {
    fn new(tuning: &Tuning) -> Self {
        Self {
            status: AtomicU8::new(ShardStatus::Disconnected.as_u8()),
            latency_us: AtomicU64::new(0),
            last_ack: Mutex::new(None),
            resumes: AtomicU64::new(0),
            identifies: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
            voided: AtomicU64::new(0),
            commands_sent: AtomicU64::new(0),
            heartbeats_sent: AtomicU64::new(0),
            long_pauses: AtomicU64::new(0),
            read_pauses: AtomicU64::new(0),
            oversized_reidentifies: AtomicU64::new(0),
            backlog: Backlog::new(tuning.max_backlog_bytes),
            session: Mutex::new(None),
            seq: AtomicU64::new(0),
            control: Mutex::new(ControlQueue::default()),
            wake: tokio::sync::Notify::new(),
            given_back: Mutex::new(GivenBack::default()),
        }
    }
}

impl ShardStats {
    fn control(&self) -> std::sync::MutexGuard<'_, ControlQueue> {
        // no code panics while holding this lock; recover the data anyway
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push_control(&self, control: Control) -> Result<(), GatewayError> {
        {
            let mut q = self.control();
            if q.closed {
                return Err(GatewayError::Closed);
            }
            q.items.push_back(control);
        }
        self.wake.notify_one();
        Ok(())
    }

    fn pop_control(&self) -> Option<Control> {
        self.control().items.pop_front()
    }

    /// Frees, on the shard task's thread, the texts consumers gave back
    /// (not waiting if a consumer holds the lock: next turn, then).
    fn free_given_back(&self) {
        let texts = match self.given_back.try_lock() {
            Ok(mut given) if !given.texts.is_empty() => {
                given.bytes = 0;
                std::mem::take(&mut given.texts)
            }
            _ => return,
        };
        drop(texts);
    }

    /// The driver ended: refuse further requests and drop pending ones
    /// (their waiters see `Closed`).
    fn shut_control(&self) {
        let mut q = self.control();
        q.closed = true;
        q.items.clear();
        drop(q);
        let mut given = self.given_back.lock().unwrap_or_else(|e| e.into_inner());
        given.closed = true;
        given.texts = Vec::new();
        given.bytes = 0;
    }

    fn set_session(&self, session: Option<Session>) {
        if let Some(s) = &session {
            self.seq.store(s.sequence(), Ordering::Relaxed);
        }
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = session;
    }

    fn session(&self) -> Option<Session> {
        let session = self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let seq = self.seq.load(Ordering::Relaxed);
        Some(session.with_sequence(seq))
    }

    fn set_status(&self, status: ShardStatus) {
        self.status.store(status.as_u8(), Ordering::Relaxed);
    }

    fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, id: u32) -> ShardInfo {
        let latency_us = self.latency_us.load(Ordering::Relaxed);
        let last_ack = self.last_ack.lock().map(|g| *g).unwrap_or(None);
        let identifies = self.identifies.load(Ordering::Relaxed);
        ShardInfo {
            id,
            status: ShardStatus::from_u8(self.status.load(Ordering::Relaxed)),
            latency: (latency_us > 0).then(|| Duration::from_micros(latency_us - 1)),
            last_ack_age: last_ack.map(|t| t.elapsed()),
            resumes: self.resumes.load(Ordering::Relaxed),
            identifies,
            reidentifies: identifies.saturating_sub(1),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            lagged: self.lagged.load(Ordering::Relaxed),
            voided: self.voided.load(Ordering::Relaxed),
            commands_sent: self.commands_sent.load(Ordering::Relaxed),
            heartbeats_sent: self.heartbeats_sent.load(Ordering::Relaxed),
            long_pauses: self.long_pauses.load(Ordering::Relaxed),
            read_pauses: self.read_pauses.load(Ordering::Relaxed),
            backlog_bytes: self.backlog.bytes() as u64,
            peak_backlog_bytes: self.backlog.peak.load(Ordering::Relaxed) as u64,
            oversized_reidentifies: self.oversized_reidentifies.load(Ordering::Relaxed),
        }
    }
}

/// The byte count of a shard's backlog: dispatches it handed out whose
/// last copy is not dropped yet. The shard adds, the last drop of a
/// dispatch's bytes (on any thread) subtracts and wakes a shard that waits
/// for room.
#[derive(Debug)]
pub(crate) struct Backlog {
    bytes: AtomicUsize,
    peak: AtomicUsize,
    /// The limit: reading stops at it ...
    limit: usize,
    /// ... and goes on at this (half the limit).
    resume_at: usize,
    /// The shard stopped reading and waits to be woken at `resume_at`.
    waiting: AtomicBool,
}

impl Backlog {
    fn new(limit: usize) -> Self {
        Self {
            bytes: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit,
            resume_at: limit / 2,
            waiting: AtomicBool::new(false),
        }
    }

    fn bytes(&self) -> usize {
        self.bytes.load(Ordering::SeqCst)
    }

    fn add(&self, n: usize) {
        let now = self.bytes.fetch_add(n, Ordering::SeqCst) + n;
        if now > self.peak.load(Ordering::Relaxed) {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// Gives `n` bytes back; true when a waiting shard should be woken.
    #[must_use]
    fn release(&self, n: usize) -> bool {
        let now = self.bytes.fetch_sub(n, Ordering::SeqCst) - n;
        // SeqCst pairs with `should_pause`: either it sees this release or
        // this sees its `waiting`
        now <= self.resume_at
            && self.waiting.load(Ordering::SeqCst)
            && self.waiting.swap(false, Ordering::SeqCst)
    }

    /// Whether reading must stop: at the limit, or (`paused`: it stopped
    /// already) until the count is down to `resume_at`. When it must and
    /// `wake` is set, the next `release` reaching `resume_at` asks for a
    /// wake-up; without `wake` the caller has another wake-up coming (the
    /// event channel's) and looks again then.
    fn should_pause(&self, paused: bool, wake: bool) -> bool {
        let bytes = self.bytes();
        let full = if paused {
            bytes > self.resume_at
        } else {
            bytes >= self.limit
        };
        if !full {
            return false;
        }
        if !wake {
            return true;
        }
        self.waiting.store(true, Ordering::SeqCst);
        if self.bytes() <= self.resume_at {
            // released meanwhile, maybe before `waiting` was set
            self.waiting.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }
}

/// A handed-out dispatch's share of the shard's [`Backlog`], given back
/// when the last copy of the dispatch is dropped.
pub(crate) struct Charge {
    size: usize,
    stats: Arc<ShardStats>,
}

impl Charge {
    /// Hands a dropped dispatch's text back to the shard, whose task frees
    /// it: memory the shard's thread allocated is then freed there, not on
    /// the consumer's (glibc's allocator otherwise locks the shard
    /// thread's arena for each such free, against the shard's own
    /// allocations).
    pub(crate) fn give_back(&self, text: Box<str>) {
        if text.len() > GIVE_BACK_MAX_TEXT {
            return;
        }
        // no code panics while holding this lock
        let Ok(mut given) = self.stats.given_back.lock() else {
            return;
        };
        if !given.closed && given.bytes + text.len() <= GIVE_BACK_MAX_BYTES {
            given.bytes += text.len();
            given.texts.push(text);
        }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if self.stats.backlog.release(self.size) {
            self.stats.wake.notify_one();
        }
    }
}

/// Counts a dispatch against the shard's backlog until its last copy is
/// dropped. The bytes are not copied.
fn counted(dispatch: Dispatch, stats: &Arc<ShardStats>) -> Dispatch {
    let size = dispatch.held_len() + dispatch.name().len() + DISPATCH_OVERHEAD;
    stats.backlog.add(size);
    let stats = Arc::clone(stats);
    dispatch.charge(Charge { size, stats })
}

/// A snapshot of a shard's health.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShardInfo {
    /// Shard id.
    pub id: u32,
    /// Connection status.
    pub status: ShardStatus,
    /// Latest heartbeat latency.
    pub latency: Option<Duration>,
    /// Time since the latest HEARTBEAT_ACK.
    pub last_ack_age: Option<Duration>,
    /// Successful RESUMEs.
    pub resumes: u64,
    /// IDENTIFYs sent.
    pub identifies: u64,
    /// IDENTIFYs after the first (sessions lost).
    pub reidentifies: u64,
    /// Reconnects (any reason).
    pub reconnects: u64,
    /// Events that found the event channel full and had to wait.
    pub lagged: u64,
    /// Voidable events dropped because nobody read them.
    pub voided: u64,
    /// User commands sent.
    pub commands_sent: u64,
    /// Heartbeats sent.
    pub heartbeats_sent: u64,
    /// Times the shard stopped reading the socket for longer than
    /// [`LONG_PAUSE_HEARTBEATS`] heartbeat intervals because the event
    /// consumer fell behind (its backlog full, see [`read_pauses`](Self::read_pauses));
    /// each such pause is also logged as a warning. Heartbeats go on
    /// during a pause.
    pub long_pauses: u64,
    /// Times the shard stopped reading the socket because its backlog was
    /// full ([`ShardConfigBuilder::max_backlog_bytes`] or
    /// [`ShardConfigBuilder::max_backlog`]), however short the pause.
    pub read_pauses: u64,
    /// Bytes of dispatches the shard handed out that are not dropped yet
    /// (see [`ShardConfigBuilder::max_backlog_bytes`]).
    pub backlog_bytes: u64,
    /// The highest [`backlog_bytes`](Self::backlog_bytes) so far.
    pub peak_backlog_bytes: u64,
    /// Sessions given up because a message over the decoder's (or the
    /// WebSocket's) size limit came again after a RESUME: the shard
    /// re-IDENTIFIES rather than resume into the same message forever.
    /// The events of that gap are lost; each time is logged as an error.
    pub oversized_reidentifies: u64,
}

/// How many heartbeat intervals a read pause (backpressure from a slow
/// event consumer) may last before it is logged and counted in
/// [`ShardInfo::long_pauses`].
pub const LONG_PAUSE_HEARTBEATS: u32 = 3;

pub(crate) enum Control {
    Close {
        end_session: bool,
        done: oneshot::Sender<()>,
    },
    Restart {
        resume: bool,
    },
}

/// Sends commands to a running shard, restarts or closes it and reads its
/// health; cheap to clone.
#[derive(Clone)]
pub struct ShardMessenger {
    shard: u32,
    commands: mpsc::Sender<Command>,
    shared: Arc<ShardStats>,
}

impl fmt::Debug for ShardMessenger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardMessenger")
            .field("shard", &self.shard)
            .finish()
    }
}

impl ShardMessenger {
    /// The shard this messenger talks to.
    pub fn shard_id(&self) -> u32 {
        self.shard
    }

    /// Status, latency and counters of the shard, as [`Shard::info`]
    /// returns them (a bot holding only a messenger can read its latency).
    pub fn info(&self) -> ShardInfo {
        self.shared.snapshot(self.shard)
    }

    /// The shard's resumable session (session id, last sequence number,
    /// resume URL), or `None` when it has none (before READY, after the
    /// gateway ended it, after `close(true)`).
    ///
    /// Read it after [`close(false)`](Self::close), store it, and hand it
    /// to [`ShardConfigBuilder::session`] in the next process: the shard
    /// RESUMEs there, and the gateway replays what was missed (within
    /// Discord's resume window of a few minutes). Store it like the token.
    pub fn session(&self) -> Option<Session> {
        self.shared.session()
    }

    /// Queues a command; it goes out once the session is live and the send
    /// limiter has room. Build it with [`Command::new`] (or from a typed
    /// command of the `acord` crate). A refused command arrives as
    /// [`ShardEvent::RateLimited`].
    ///
    /// # Errors
    /// [`GatewayError::Closed`] when the shard has stopped.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, the
    /// command was not queued.
    pub async fn send(&self, command: Command) -> Result<(), GatewayError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| GatewayError::Closed)
    }

    /// Reconnects the shard: resuming the session, or (with `resume:
    /// false`) identifying afresh.
    ///
    /// # Errors
    /// [`GatewayError::Closed`] when the shard has stopped.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn restart(&self, resume: bool) -> Result<(), GatewayError> {
        self.shared.push_control(Control::Restart { resume })
    }

    /// Closes the shard: with `end_session` using code 1000 (the session
    /// ends), otherwise 4000 (the session stays resumable for a few
    /// minutes). Waits until the socket is closed.
    ///
    /// # Errors
    /// [`GatewayError::Closed`] when the shard had already stopped.
    ///
    /// # Cancel safety
    /// Not cancel safe in effect: once sent, the close happens even if the
    /// future is dropped.
    pub async fn close(&self, end_session: bool) -> Result<(), GatewayError> {
        let (done, wait) = oneshot::channel();
        self.shared
            .push_control(Control::Close { end_session, done })?;
        wait.await.map_err(|_| GatewayError::Closed)
    }
}

/// A running shard: a spawned task driving one gateway session.
///
/// Dropping the `Shard` detaches the task (like a `JoinHandle`): it keeps
/// running until closed through a [`ShardMessenger`] or stopped by a fatal
/// close. Call [`close`](Self::close) for an orderly shutdown.
pub struct Shard {
    id: u32,
    messenger: ShardMessenger,
    stats: Arc<ShardStats>,
    task: JoinHandle<Result<(), GatewayError>>,
}

impl fmt::Debug for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shard")
            .field("id", &self.id)
            .field("info", &self.info())
            .finish()
    }
}

impl Shard {
    /// Spawns the shard on the current tokio runtime and returns it with
    /// its event stream.
    ///
    /// # Panics
    /// Outside a tokio runtime (like `tokio::spawn`).
    pub fn spawn(config: ShardConfig) -> (Shard, mpsc::Receiver<ShardEvent>) {
        let (tx, rx) = mpsc::channel(config.tuning.event_capacity);
        (Self::spawn_with_sink(config, tx), rx)
    }

    pub(crate) fn spawn_with_sink<T>(config: ShardConfig, sink: mpsc::Sender<T>) -> Shard
    where
        T: From<(u32, ShardEvent)> + Send + 'static,
    {
        let id = config.shard()[0];
        let (cmd_tx, cmd_rx) = mpsc::channel(config.tuning.command_capacity);
        let stats = Arc::new(ShardStats::new(&config.tuning));
        let driver = Driver::new(config, stats.clone(), sink, cmd_rx);
        let span = tracing::info_span!("shard", id);
        let task = tokio::spawn(driver.run().instrument(span));
        Shard {
            id,
            messenger: ShardMessenger {
                shard: id,
                commands: cmd_tx,
                shared: stats.clone(),
            },
            stats,
            task,
        }
    }

    /// The shard id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// A messenger for commands, restarts and closing.
    pub fn messenger(&self) -> ShardMessenger {
        self.messenger.clone()
    }

    /// Status, latency and counters.
    pub fn info(&self) -> ShardInfo {
        self.stats.snapshot(self.id)
    }

    /// The shard's resumable session; see [`ShardMessenger::session`].
    pub fn session(&self) -> Option<Session> {
        self.stats.session()
    }

    /// Whether the task has ended (closed or failed).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Closes the shard (see [`ShardMessenger::close`]) and waits for its
    /// task.
    ///
    /// # Errors
    /// The fatal error if the shard had already failed.
    ///
    /// # Cancel safety
    /// Not cancel safe: dropping the future detaches the task.
    pub async fn close(self, end_session: bool) -> Result<(), GatewayError> {
        let _ = self.messenger.close(end_session).await;
        self.join().await
    }

    /// Waits for the shard task to end.
    ///
    /// # Errors
    /// The fatal error that stopped the shard.
    ///
    /// # Cancel safety
    /// Cancel safe; the task keeps running.
    pub async fn join(self) -> Result<(), GatewayError> {
        match self.task.await {
            Ok(result) => result,
            Err(_) => Err(GatewayError::Closed),
        }
    }
}

/// Runs one gateway connection with channels in both directions (chiru's
/// CSP style) until a fatal error, which it returns.
///
/// `outbound` carries commands to send; `inbound` receives every
/// [`ShardEvent`]. Dispatches and state events are never dropped (a full
/// `inbound` makes them wait in a bounded backlog); voidable events
/// (heartbeat sent/ACKed) are dropped when `inbound` is full.
///
/// # Cancel safety
/// Dropping the future drops the socket without a close frame (the
/// session stays resumable).
pub async fn run_gateway_loop(
    config: ShardConfig,
    outbound: mpsc::Receiver<Command>,
    inbound: mpsc::Sender<ShardEvent>,
) -> GatewayError {
    let stats = Arc::new(ShardStats::new(&config.tuning));
    let id = config.shard()[0];
    let driver = Driver::new(config, stats, inbound, outbound);
    let run = driver.run().instrument(tracing::info_span!("shard", id));
    match run.await {
        Err(e) => e,
        Ok(()) => GatewayError::Closed,
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

enum SessionEnd {
    Reconnect,
    Closed,
}

struct Driver<T> {
    id: u32,
    conn: Connection<Box<dyn KeepAlive>>,
    decoder: Box<dyn Decoder>,
    limiter: SendLimiter,
    /// UPDATE_PRESENCE's own limit, and the newest update waiting for it.
    presence_limiter: SendLimiter,
    presence: Option<Command>,
    backoff: Backoff,
    config: ShardConfig,
    stats: Arc<ShardStats>,
    events: mpsc::Sender<T>,
    events_open: bool,
    pending: VecDeque<ShardEvent>,
    /// How many events at the front of `pending` were counted as lagged.
    lag_counted: usize,
    /// Reading a burst: events wait in `pending` and go out together.
    batching: bool,
    /// Reading is stopped by the byte limit (until half of it is free).
    byte_paused: bool,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    lag_warned: Option<Instant>,
    /// IDENTIFY waiting for the identify queue (heartbeats go on meanwhile).
    held_identify: Option<crate::Outgoing>,
    identify_wait: Option<BoxFuture<'static, Result<(), GatewayError>>>,
    identify_granted: bool,
    /// The connect gate's permit, held from before connecting until the
    /// IDENTIFY is written.
    gate_permit: Option<tokio::sync::OwnedSemaphorePermit>,
    /// Since when reading is paused for backpressure, and whether this
    /// pause was reported as long.
    paused_at: Option<(Instant, bool)>,
    /// Reading was paused at some point since the last heartbeat was due:
    /// its ACK may sit unread, so a missing one proves nothing.
    paused_since_beat: bool,
    /// The sequence number after which a message was too large: the same
    /// failure at the same place again means the RESUME replays it.
    oversized_after: Option<Option<u64>>,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// How long to wait before the next connection attempt: the protocol's
/// wait (op 9) or the backoff, whichever is longer. The driver adds it to
/// `Instant::now()`, so it must stay within [`MAX_TUNING_DURATION`].
fn reconnect_delay<K: KeepAlive>(
    conn: &Connection<K>,
    backoff: &mut Backoff,
    jitter: f64,
) -> Duration {
    let wait = conn.should_reconnect().map_or(Duration::ZERO, |r| r.wait);
    wait.max(backoff.next_delay(jitter))
}

impl<T: From<(u32, ShardEvent)> + Send + 'static> Driver<T> {
    fn new(
        config: ShardConfig,
        stats: Arc<ShardStats>,
        events: mpsc::Sender<T>,
        commands: mpsc::Receiver<Command>,
    ) -> Self {
        let conn = Connection::with_keep_alive(config.connection.clone(), (config.keep_alive)());
        Self {
            id: config.shard()[0],
            conn,
            decoder: (config.decoder)(),
            limiter: SendLimiter::new(config.tuning.send_limit, config.tuning.send_window),
            presence_limiter: SendLimiter::without_reserve(
                config.tuning.presence_limit,
                config.tuning.presence_window,
            ),
            presence: None,
            backoff: Backoff::new(config.tuning.backoff.0, config.tuning.backoff.1),
            config,
            stats,
            events,
            events_open: true,
            pending: VecDeque::new(),
            lag_counted: 0,
            batching: false,
            byte_paused: false,
            commands,
            commands_open: true,
            lag_warned: None,
            held_identify: None,
            identify_wait: None,
            identify_granted: false,
            gate_permit: None,
            paused_at: None,
            paused_since_beat: false,
            oversized_after: None,
        }
    }

    async fn run(mut self) -> Result<(), GatewayError> {
        let stats = self.stats.clone();
        let result = self.run_inner().await;
        stats.shut_control();
        result
    }

    async fn run_inner(&mut self) -> Result<(), GatewayError> {
        loop {
            if let Some(code) = self.conn.failed() {
                let error = GatewayError::FatalClose {
                    shard: self.id,
                    code,
                };
                tracing::error!(%error, "shard stopped");
                self.stats.set_status(ShardStatus::Failed);
                self.stats.set_session(None);
                let shared = Arc::new(GatewayError::FatalClose {
                    shard: self.id,
                    code,
                });
                self.push(ShardEvent::Fatal { error: shared });
                self.flush_pending(Duration::from_secs(5)).await;
                return Err(error);
            }
            let delay = reconnect_delay(&self.conn, &mut self.backoff, random_f64());
            self.stats.set_status(ShardStatus::Disconnected);
            if !delay.is_zero() && self.idle(Some(delay)).await {
                return Ok(());
            }
            let gate = self.config.connect_gate.clone();
            if let Some(gate) =
                gate.filter(|_| self.gate_permit.is_none() && !self.conn.can_resume())
            {
                match self.idle_or(None, Some(gate)).await {
                    IdleEnd::Closed => return Ok(()),
                    IdleEnd::Permit(permit) => self.gate_permit = Some(permit),
                    // the gate was closed (never done): connect without it
                    IdleEnd::Elapsed => {}
                }
            }
            self.stats.set_status(ShardStatus::Connecting);
            // boxed: the handshake state is large and short-lived; keeping it
            // out of the task keeps idle shards small
            let ws = match Box::pin(self.connect()).await {
                Ok(ws) => ws,
                Err(error) => {
                    tracing::warn!(%error, "connecting failed");
                    // let another shard try while this one backs off
                    self.gate_permit = None;
                    self.conn.on_connect_failed();
                    self.drain_conn_events();
                    continue;
                }
            };
            self.conn.on_connected();
            self.decoder.reset();
            self.limiter.reset();
            match Box::pin(self.session(ws)).await {
                SessionEnd::Reconnect => {}
                SessionEnd::Closed => return Ok(()),
            }
        }
    }

    async fn connect(&mut self) -> Result<Ws, GatewayError> {
        let base = self.conn.connect_url();
        let mut url = url::Url::parse(base).map_err(|source| GatewayError::InvalidUrl {
            url: base.to_owned(),
            source,
        })?;
        url.set_query(Some(&Connection::query(self.decoder.compression())));
        tracing::debug!(url = %url, "connecting");
        let ws_config = WebSocketConfig::default().read_buffer_size(self.config.tuning.read_buffer);
        let attempt =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_config), true);
        match tokio::time::timeout(self.config.tuning.connect_timeout, attempt).await {
            Ok(Ok((ws, _response))) => Ok(ws),
            Ok(Err(e)) => Err(GatewayError::transport(e)),
            Err(_) => Err(GatewayError::transport(
                tokio_tungstenite::tungstenite::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "gateway connect timed out",
                )),
            )),
        }
    }

    /// Waits (delivering events and serving control) for `delay`, or
    /// forever with `None`. Returns true when the shard was closed.
    async fn idle(&mut self, delay: Option<Duration>) -> bool {
        matches!(self.idle_or(delay, None).await, IdleEnd::Closed)
    }

    /// [`idle`](Self::idle), and until a permit of the connect `gate` is
    /// free when there is one.
    async fn idle_or(
        &mut self,
        delay: Option<Duration>,
        gate: Option<Arc<tokio::sync::Semaphore>>,
    ) -> IdleEnd {
        let until = delay.map(|d| tokio::time::Instant::now() + d);
        // made once, so the shard keeps its place in the gate's queue
        let mut permit = std::pin::pin!(async move {
            match gate {
                Some(gate) => gate.acquire_owned().await.ok(),
                None => std::future::pending().await,
            }
        });
        loop {
            let sleep = async {
                match until {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            match self.stats.pop_control() {
                Some(Control::Close { end_session, done }) => {
                    self.conn.close(end_session);
                    self.stats.set_session(self.conn.session());
                    self.stats.set_status(ShardStatus::Closed);
                    self.flush_pending(Duration::from_secs(5)).await;
                    let _ = done.send(());
                    return IdleEnd::Closed;
                }
                // already reconnecting
                Some(Control::Restart { .. }) => continue,
                None => {}
            }
            tokio::select! {
                _ = sleep => return IdleEnd::Elapsed,
                p = &mut permit => match p {
                    Some(p) => return IdleEnd::Permit(p),
                    // the gate is closed (never done): connect without it
                    None => return IdleEnd::Elapsed,
                },
                _ = self.stats.wake.notified() => {}
                permit = self.events.clone().reserve_owned(), if !self.pending.is_empty() && self.events_open => {
                    self.deliver(permit);
                }
            }
        }
    }

    fn deliver(&mut self, permit: Result<mpsc::OwnedPermit<T>, mpsc::error::SendError<()>>) {
        match permit {
            Ok(p) => {
                if let Some(ev) = self.pop_pending() {
                    p.send(T::from((self.id, ev)));
                }
            }
            Err(_) => self.consumer_gone(),
        }
    }

    fn pop_pending(&mut self) -> Option<ShardEvent> {
        let ev = self.pending.pop_front()?;
        self.lag_counted = self.lag_counted.saturating_sub(1);
        Some(ev)
    }

    /// The receiver is gone: nothing will be read again.
    fn consumer_gone(&mut self) {
        self.events_open = false;
        self.pending.clear();
        self.lag_counted = 0;
    }

    /// Moves waiting events into the channel while it has room; counts and
    /// (at most every 10 s) reports the ones that must wait.
    fn flush_ready(&mut self) {
        while !self.pending.is_empty() && self.events_open {
            let full = match self.events.try_reserve() {
                Ok(permit) => {
                    if let Some(ev) = self.pending.pop_front() {
                        self.lag_counted = self.lag_counted.saturating_sub(1);
                        permit.send(T::from((self.id, ev)));
                    }
                    continue;
                }
                Err(mpsc::error::TrySendError::Full(())) => true,
                Err(mpsc::error::TrySendError::Closed(())) => false,
            };
            if full {
                self.note_lag();
            } else {
                self.consumer_gone();
            }
            return;
        }
    }

    /// Counts the waiting events not counted yet as lagged.
    fn note_lag(&mut self) {
        let new = self.pending.len().saturating_sub(self.lag_counted);
        if new == 0 {
            return;
        }
        self.lag_counted = self.pending.len();
        self.stats.lagged.fetch_add(new as u64, Ordering::Relaxed);
        let now = now();
        if self
            .lag_warned
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(10))
        {
            self.lag_warned = Some(now);
            tracing::warn!(
                backlog = self.pending.len(),
                backlog_bytes = self.stats.backlog.bytes(),
                "event consumer is slow: the event channel is full (heartbeats are unaffected)"
            );
        }
    }

    /// How many channel slots to wait for when the channel is full: three
    /// quarters of it (so the shard wakes once per large batch, not per
    /// event, while the consumer still has a quarter to work on), or fewer
    /// when fewer events wait.
    fn refill_batch(&self) -> usize {
        if self.pending.is_empty() || !self.events_open {
            return 0;
        }
        let capacity = self.events.max_capacity();
        let batch = (capacity - capacity / 4).max(1);
        self.pending.len().min(batch)
    }

    /// Whether reading must pause: the backlog is full in events or bytes.
    ///
    /// While events wait for channel room the shard is woken by the
    /// channel (see [`refill_batch`](Self::refill_batch)) and checks the
    /// bytes again then, so a byte pause asks the backlog for a wake-up of
    /// its own only when nothing waits: one wake-up per refill instead of
    /// two close together (the consumer's thread wakes the shard's for
    /// each).
    fn backlog_full(&mut self) -> bool {
        if self.pending.len() >= self.config.tuning.max_backlog {
            return true;
        }
        let channel_wakes = self.refill_batch() > 0;
        self.byte_paused = self
            .stats
            .backlog
            .should_pause(self.byte_paused, !channel_wakes);
        self.byte_paused
    }

    /// After one message: reads the messages already waiting in the socket
    /// (at most [`READ_BURST`] in all) while nothing else needs the driver,
    /// then hands their events over as one batch.
    fn read_burst(&mut self, ws: &mut Ws) {
        self.batching = true;
        for _ in 1..READ_BURST {
            self.drain_conn_events();
            if self.conn.should_reconnect().is_some()
                || self.conn.failed().is_some()
                || self.conn.has_pending_send(true)
                || self.stage_blocks_burst()
                || self.backlog_full()
            {
                break;
            }
            // polled once: `None` when nothing is buffered or readable now
            // (the next `select!` registers the real waker)
            match ws.next().now_or_never() {
                Some(msg) => self.on_message(msg),
                None => break,
            }
        }
        self.drain_conn_events();
        self.batching = false;
        self.flush_ready();
    }

    /// Before the session is live, every message may call for a send
    /// (IDENTIFY after HELLO): no bursts.
    fn stage_blocks_burst(&self) -> bool {
        !matches!(self.conn.stage(), Stage::Ready)
    }

    async fn flush_pending(&mut self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while let Some(ev) = self.pop_pending() {
            if !self.events_open {
                self.consumer_gone();
                return;
            }
            match tokio::time::timeout_at(deadline, self.events.send(T::from((self.id, ev)))).await
            {
                Ok(Ok(())) => {}
                Ok(Err(_)) => self.events_open = false,
                Err(_) => {
                    tracing::warn!(
                        left = self.pending.len(),
                        "event consumer stuck; dropping the rest"
                    );
                    self.pending.clear();
                    self.lag_counted = 0;
                    return;
                }
            }
        }
    }

    async fn session(&mut self, mut ws: Ws) -> SessionEnd {
        self.held_identify = None;
        self.identify_wait = None;
        self.identify_granted = false;
        // a server that accepts the socket but never says HELLO
        let hello_deadline = tokio::time::Instant::now() + self.config.tuning.connect_timeout;
        // One heartbeat timer for the whole session, moved only when the
        // deadline moves: a fresh `sleep_until` per turn of the loop would
        // register and remove a timer every turn, and a registration can
        // wake the runtime's timer driver on another thread.
        let mut heartbeat = std::pin::pin!(tokio::time::sleep_until(hello_deadline));
        let mut heartbeat_armed: Option<tokio::time::Instant> = None;
        loop {
            self.release_presence();
            self.flush_sends(&mut ws).await;
            self.drain_conn_events();
            if self.conn.failed().is_some() {
                return SessionEnd::Reconnect;
            }
            if let Some(r) = self.conn.should_reconnect() {
                self.close_socket(&mut ws, r.close_code).await;
                return SessionEnd::Reconnect;
            }
            self.stats
                .set_status(ShardStatus::from_stage(self.conn.stage()));
            let now = now();
            let heartbeat_at = self
                .conn
                .next_deadline()
                .map(tokio::time::Instant::from_std);
            if let Some(at) = heartbeat_at {
                if heartbeat_armed != Some(at) {
                    heartbeat.as_mut().reset(at);
                    heartbeat_armed = Some(at);
                }
            }
            let queued = self.conn.queued_commands() > 0;
            let take_command = self.commands_open
                && self.conn.is_ready()
                && !queued
                && self.limiter.user_ready(now);
            let command_wake = if queued && self.conn.is_ready() {
                self.limiter
                    .next_user_slot(now)
                    .map(tokio::time::Instant::from_std)
            } else if self.presence.is_some() && self.conn.is_ready() {
                let presence = self.presence_limiter.next_user_slot(now);
                let send = self.limiter.next_user_slot(now);
                presence.max(send).map(tokio::time::Instant::from_std)
            } else {
                None
            };
            self.flush_ready();
            // backpressure: stop reading while the backlog is full (bytes
            // or events), but never before HELLO, so a new connection
            // always identifies or resumes
            let paused = self.conn.stage() != Stage::AwaitingHello && self.backlog_full();
            self.note_pause(paused, now);
            let refill = self.refill_batch();
            self.stats.free_given_back();
            match self.stats.pop_control() {
                Some(Control::Close { end_session, done }) => {
                    let code = self.conn.close(end_session);
                    self.stats.set_session(self.conn.session());
                    self.close_socket(&mut ws, code).await;
                    self.stats.set_status(ShardStatus::Closed);
                    self.push(ShardEvent::Disconnected { code: Some(code) });
                    self.flush_pending(Duration::from_secs(5)).await;
                    let _ = done.send(());
                    return SessionEnd::Closed;
                }
                Some(Control::Restart { resume }) => {
                    self.conn.request_reconnect(resume);
                    continue;
                }
                None => {}
            }
            tokio::select! {
                biased;
                _ = self.stats.wake.notified() => {}
                r = wait_opt(&mut self.identify_wait), if self.identify_wait.is_some() => {
                    self.on_identify_granted(&mut ws, r).await;
                }
                _ = heartbeat.as_mut(), if heartbeat_at.is_some() => {
                    if self.paused_since_beat {
                        // the ACK may sit unread behind the paused reader;
                        // once reading goes on for a whole interval the
                        // missing-ACK check applies again
                        self.conn.forgive_missing_ack();
                    }
                    self.paused_since_beat = paused;
                    self.conn.handle_timeout(now_after(now));
                    // about once per heartbeat interval: let the decoder
                    // give back what no recent message needed
                    self.decoder.trim();
                }
                // wakes once `refill` slots are free (one wake-up per batch,
                // not per event the consumer takes); the permits go back at
                // once and `flush_ready` fills the free slots
                open = async { self.events.reserve_many(refill).await.is_ok() }, if refill > 0 => {
                    if open {
                        self.flush_ready();
                    } else {
                        self.consumer_gone();
                    }
                }
                msg = ws.next(), if !paused => {
                    self.on_message(msg);
                    self.read_burst(&mut ws);
                }
                cmd = self.commands.recv(), if take_command => match cmd {
                    Some(c) if c.op() == GatewayOpcode::PresenceUpdate => {
                        if self.presence.replace(c).is_some() {
                            tracing::debug!("a waiting presence update was replaced by a newer one");
                        }
                    }
                    Some(c) => self.conn.send_command(c),
                    None => self.commands_open = false,
                },
                _ = sleep_until_opt(command_wake), if command_wake.is_some() => {}
                _ = tokio::time::sleep_until(hello_deadline), if self.conn.stage() == Stage::AwaitingHello => {
                    tracing::warn!("no HELLO within the connect timeout; reconnecting");
                    self.conn.request_reconnect(true);
                }
            }
        }
    }

    /// Hands the waiting presence update to the connection when both the
    /// presence limit and the send limit allow it now, so it goes out in
    /// this round of sends (the presence limit counts real sends).
    fn release_presence(&mut self) {
        if self.presence.is_none() || !self.conn.is_ready() || self.conn.queued_commands() > 0 {
            return;
        }
        let now = now();
        if !self.limiter.user_ready(now) || !self.presence_limiter.user_ready(now) {
            return;
        }
        if let Some(c) = self.presence.take() {
            self.presence_limiter.record(now);
            self.conn.send_command(c);
        }
    }

    /// Tracks read pauses: remembers one for the heartbeat check, and logs
    /// and counts one that lasts [`LONG_PAUSE_HEARTBEATS`] intervals.
    fn note_pause(&mut self, paused: bool, now: Instant) {
        if !paused {
            self.paused_at = None;
            return;
        }
        self.paused_since_beat = true;
        if self.paused_at.is_none() {
            ShardStats::inc(&self.stats.read_pauses);
            tracing::debug!(
                backlog = self.pending.len(),
                backlog_bytes = self.stats.backlog.bytes(),
                "backlog full: reading paused"
            );
        }
        let (since, reported) = self.paused_at.get_or_insert((now, false));
        let Some(interval) = self.conn.heartbeat_interval() else {
            return;
        };
        let paused_for = now.saturating_duration_since(*since);
        if !*reported && paused_for >= interval.saturating_mul(LONG_PAUSE_HEARTBEATS) {
            *reported = true;
            ShardStats::inc(&self.stats.long_pauses);
            tracing::warn!(
                ?paused_for,
                backlog = self.pending.len(),
                backlog_bytes = self.stats.backlog.bytes(),
                "the event consumer has not kept up (or keeps dispatches) for \
                 {LONG_PAUSE_HEARTBEATS} heartbeat intervals; the shard stopped reading the \
                 gateway (heartbeats go on)"
            );
        }
    }

    fn on_message(&mut self, msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        let now = now();
        let decoded = match &msg {
            Some(Ok(Message::Text(text))) => self.decoder.decode(Frame::Text(text.as_str())),
            Some(Ok(Message::Binary(bytes))) => self.decoder.decode(Frame::Binary(bytes)),
            Some(Ok(Message::Close(frame))) => {
                let code = frame.as_ref().map(|f| u16::from(f.code));
                tracing::info!(?code, "gateway closed the connection");
                self.push(ShardEvent::Disconnected { code });
                self.conn.recv_close_code(code);
                return;
            }
            Some(Ok(_)) => return,
            Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(error))) => {
                tracing::warn!(%error, "gateway message over the WebSocket size limit");
                self.push(ShardEvent::Disconnected { code: None });
                self.on_oversized();
                return;
            }
            Some(Err(error)) => {
                tracing::warn!(%error, "gateway connection lost");
                self.push(ShardEvent::Disconnected { code: None });
                self.conn.recv_close_code(None);
                return;
            }
            None => {
                tracing::warn!("gateway connection ended without a close frame");
                self.push(ShardEvent::Disconnected { code: None });
                self.conn.recv_close_code(None);
                return;
            }
        };
        match decoded {
            Ok(Some(text)) => {
                if let Err(error) = self.conn.recv(text, now) {
                    tracing::warn!(%error, "skipping a malformed payload");
                }
            }
            Ok(None) => {}
            Err(error @ DecodeError::TooLarge { .. }) => {
                tracing::warn!(%error, "gateway message over the decoder's size limit");
                self.on_oversized();
            }
            Err(error) => {
                tracing::warn!(%error, "corrupt gateway stream; reconnecting");
                self.conn.request_reconnect(true);
            }
        }
    }

    /// A message too large to read: RESUME once (it may have been a broken
    /// stream); when the replay fails at the same sequence number the
    /// message itself is too large, and only a new session gets past it.
    fn on_oversized(&mut self) {
        let at = Some(self.conn.sequence());
        if self.oversized_after == at {
            self.oversized_after = None;
            ShardStats::inc(&self.stats.oversized_reidentifies);
            tracing::error!(
                after_seq = ?self.conn.sequence(),
                "the same gateway message was too large again after RESUME; starting a new \
                 session (the events it held are lost; raise the decoder's max_message)"
            );
            self.conn.request_reconnect(false);
        } else {
            self.oversized_after = at;
            self.conn.request_reconnect(true);
        }
    }

    async fn flush_sends(&mut self, ws: &mut Ws) {
        let now = now();
        let mut wrote = false;
        let mut identified = false;
        loop {
            let next = if self.limiter.user_ready(now) {
                self.conn.poll_send()
            } else {
                self.conn.poll_priority_send()
            };
            let Some(out) = next else { break };
            if out.kind() == crate::SendKind::Identify && !self.identify_granted {
                // hold IDENTIFY until the identify queue allows it; acquiring
                // right before sending (not before connecting) keeps the
                // spacing between identifies exact
                let queue = self.config.identify_queue.clone();
                let id = self.id;
                self.identify_wait = Some(Box::pin(async move { queue.acquire(id).await }));
                self.held_identify = Some(out);
                continue;
            }
            let identify = out.kind() == crate::SendKind::Identify;
            let fed = self.feed(ws, out, now).await;
            identified |= identify;
            if !fed {
                if identified {
                    self.identify_sent().await;
                }
                return;
            }
            wrote = true;
        }
        if wrote {
            if let Err(error) = ws.flush().await {
                tracing::warn!(%error, "sending failed");
                self.conn.recv_close_code(None);
            }
        }
        if identified {
            self.identify_sent().await;
        }
    }

    /// Tells the identify queue the granted IDENTIFY left (or its write
    /// failed, which may still have sent part of it): the queue spaces the
    /// bucket's next IDENTIFY from now.
    fn identify_sent(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let queue = Arc::clone(&self.config.identify_queue);
        let id = self.id;
        async move {
            let sent = queue.sent(id);
            match tokio::time::timeout(acord_core_signals::limits::IDENTIFY_WINDOW, sent).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the identify queue was not told the IDENTIFY was sent");
                }
                Err(_) => {
                    tracing::warn!("the identify queue did not take the IDENTIFY report in time")
                }
            }
        }
    }

    /// Writes one payload (without flushing); false when the socket failed.
    async fn feed(&mut self, ws: &mut Ws, out: crate::Outgoing, now: Instant) -> bool {
        self.limiter.record(now);
        match out.kind() {
            crate::SendKind::Heartbeat => ShardStats::inc(&self.stats.heartbeats_sent),
            crate::SendKind::Identify => {
                self.identify_granted = false;
                self.gate_permit = None;
                ShardStats::inc(&self.stats.identifies)
            }
            crate::SendKind::Command => ShardStats::inc(&self.stats.commands_sent),
            crate::SendKind::Resume => {}
        }
        if let Err(error) = ws.feed(Message::Text(out.into_text().into())).await {
            tracing::warn!(%error, "sending failed");
            self.conn.recv_close_code(None);
            return false;
        }
        true
    }

    /// The identify queue answered.
    async fn on_identify_granted(&mut self, ws: &mut Ws, result: Result<(), GatewayError>) {
        self.identify_wait = None;
        match result {
            Ok(()) => {
                self.identify_granted = true;
                if let Some(out) = self.held_identify.take() {
                    if self.feed(ws, out, now()).await {
                        if let Err(error) = ws.flush().await {
                            tracing::warn!(%error, "sending failed");
                            self.conn.recv_close_code(None);
                        }
                    }
                    self.identify_sent().await;
                }
            }
            Err(error) => {
                tracing::error!(%error, "identify queue failed; reconnecting");
                self.held_identify = None;
                self.conn.request_reconnect(false);
            }
        }
    }

    async fn close_socket(&mut self, ws: &mut Ws, code: u16) {
        let frame = CloseFrame {
            code: code.into(),
            reason: "".into(),
        };
        let close = async {
            if ws.close(Some(frame)).await.is_ok() {
                // wait for the server's close frame to finish the handshake
                while let Some(Ok(_)) = ws.next().await {}
            }
        };
        let _ = tokio::time::timeout(self.config.tuning.close_timeout, close).await;
    }

    fn drain_conn_events(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Hello { heartbeat_interval } => {
                    self.limiter.set_heartbeat_interval(heartbeat_interval)
                }
                Event::Ready { session_id } => {
                    self.stats.set_session(self.conn.session());
                    tracing::info!(session_id, "ready");
                    self.backoff.reset();
                    self.push(ShardEvent::Ready { session_id });
                }
                Event::Resumed => {
                    self.stats.set_session(self.conn.session());
                    tracing::info!("resumed");
                    self.backoff.reset();
                    ShardStats::inc(&self.stats.resumes);
                    self.push(ShardEvent::Resumed);
                }
                Event::Dispatch(d) => {
                    self.stats.seq.store(d.seq(), Ordering::Relaxed);
                    let d = counted(d, &self.stats);
                    self.push(ShardEvent::Dispatch(d))
                }
                Event::RateLimited(rl) => {
                    tracing::warn!(
                        opcode = rl.opcode,
                        retry_after = rl.retry_after,
                        "gateway command rate limited"
                    );
                    self.push(ShardEvent::RateLimited(rl));
                }
                Event::HeartbeatSent { seq, requested } => {
                    self.void(ShardEvent::HeartbeatSent { seq, requested })
                }
                Event::HeartbeatAck { latency } => {
                    if let Some(l) = latency {
                        let us = u64::try_from(l.as_micros()).unwrap_or(u64::MAX - 1);
                        self.stats.latency_us.store(us + 1, Ordering::Relaxed);
                    }
                    if let Ok(mut g) = self.stats.last_ack.lock() {
                        *g = Some(Instant::now());
                    }
                    self.void(ShardEvent::HeartbeatAck { latency });
                }
                Event::Reconnect(r) => {
                    if !r.resume {
                        self.stats.set_session(None);
                    }
                    tracing::info!(reason = ?r.reason, resume = r.resume, "reconnecting");
                    ShardStats::inc(&self.stats.reconnects);
                    self.push(ShardEvent::Reconnecting {
                        reason: r.reason,
                        resume: r.resume,
                        wait: r.wait,
                    });
                }
            }
        }
    }

    /// Queues an event that must not be lost: straight into the channel
    /// when nothing waits and no burst is being read, else behind the
    /// waiting ones.
    fn push(&mut self, event: ShardEvent) {
        if !self.events_open {
            return;
        }
        if self.pending.is_empty() && !self.batching {
            let full = match self.events.try_reserve() {
                Ok(permit) => {
                    permit.send(T::from((self.id, event)));
                    return;
                }
                Err(mpsc::error::TrySendError::Full(())) => true,
                Err(mpsc::error::TrySendError::Closed(())) => false,
            };
            if full {
                self.pending.push_back(event);
                self.note_lag();
            } else {
                self.consumer_gone();
            }
            return;
        }
        self.pending.push_back(event);
    }

    /// Offers a voidable event; dropped when it would have to wait.
    fn void(&mut self, event: ShardEvent) {
        if self.events_open && self.batching && self.events.capacity() > self.pending.len() {
            // goes out with the burst's batch, which the channel has room for
            self.pending.push_back(event);
            return;
        }
        if !self.events_open || !self.pending.is_empty() {
            ShardStats::inc(&self.stats.voided);
            return;
        }
        match self.events.try_reserve() {
            Ok(permit) => permit.send(T::from((self.id, event))),
            Err(_) => ShardStats::inc(&self.stats.voided),
        }
    }
}

async fn wait_opt(
    fut: &mut Option<BoxFuture<'static, Result<(), GatewayError>>>,
) -> Result<(), GatewayError> {
    match fut {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn now_after(before: Instant) -> Instant {
    now().max(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_shares_the_tuning_and_caps_absurd_durations() {
        let config = ShardConfig::builder("t", Intents::GUILDS, "wss://gateway.example")
            .send_limit(10, Duration::MAX)
            .connect_timeout(Duration::MAX)
            .event_capacity(0)
            .build()
            .unwrap();
        assert_eq!(config.tuning.send_limit, 10);
        assert_eq!(config.tuning.send_window, MAX_TUNING_DURATION);
        assert_eq!(config.tuning.connect_timeout, MAX_TUNING_DURATION);
        assert_eq!(config.tuning.event_capacity, 1);
        assert!(Instant::now()
            .checked_add(config.tuning.connect_timeout)
            .is_some());
        let defaults = Tuning::default();
        let plain = ShardConfig::builder("t", Intents::GUILDS, "wss://gateway.example")
            .build()
            .unwrap();
        assert_eq!(plain.tuning.send_limit, defaults.send_limit);
        assert_eq!(plain.tuning.read_buffer, defaults.read_buffer);
    }

    /// A dispatch counts its bytes from the moment the shard hands it out
    /// until its last copy is dropped; the shard pauses at the limit and
    /// is woken once, when the count is down to half of it.
    #[test]
    fn backlog_counts_bytes_until_the_last_copy_is_dropped() {
        let tuning = Tuning {
            max_backlog_bytes: 1000,
            ..Tuning::default()
        };
        let stats = Arc::new(ShardStats::new(&tuning));
        let backlog = &stats.backlog;
        let size = 300 + "E".len() + DISPATCH_OVERHEAD;
        let raw = Dispatch::from_text("E", 1, "x".repeat(300));
        let at = raw.as_bytes().as_ptr();
        let a = counted(raw, &stats);
        // the same bytes, not a copy
        assert_eq!(a.as_bytes().as_ptr(), at);
        assert_eq!(a.raw().as_ptr(), at);
        assert_eq!((a.name(), a.seq(), a.raw().len()), ("E", 1, 300));
        assert_eq!(backlog.bytes(), size);
        // copies (fan-out to several handlers) count once
        let a2 = a.clone();
        assert_eq!(backlog.bytes(), size);
        assert!(!backlog.should_pause(false, true));
        let b = counted(Dispatch::new("E", 2, vec![b'y'; 300]), &stats);
        let c = counted(Dispatch::new("E", 3, vec![b'z'; 300]), &stats);
        assert_eq!(backlog.bytes(), 3 * size);
        assert_eq!(stats.snapshot(0).peak_backlog_bytes, 3 * size as u64);
        // 1,287 bytes >= 1,000: pause
        assert!(backlog.should_pause(false, true));
        drop(a);
        assert_eq!(backlog.bytes(), 3 * size, "a copy is still alive");
        drop(a2);
        // 858 bytes: under the limit, but a paused shard waits for half of it
        assert_eq!(backlog.bytes(), 2 * size);
        assert!(backlog.should_pause(true, true));
        assert!(!backlog.should_pause(false, true));
        assert!(
            stats.wake.notified().now_or_never().is_none(),
            "no wake yet"
        );
        // 429 bytes <= 500: the waiting shard is woken, once
        drop(b);
        assert!(stats.wake.notified().now_or_never().is_some());
        assert!(!backlog.should_pause(true, true));
        drop(c);
        assert!(stats.wake.notified().now_or_never().is_none());
        let info = stats.snapshot(0);
        assert_eq!(
            (info.backlog_bytes, info.peak_backlog_bytes),
            (0, 3 * size as u64)
        );
    }

    /// A dropped dispatch's text goes back to the shard, to be freed on
    /// its task's thread: small texts only, a bounded amount, and none
    /// once the driver has ended.
    #[test]
    fn dropped_texts_go_back_to_the_shard_within_bounds() {
        let stats = Arc::new(ShardStats::new(&Tuning::default()));
        let given = |stats: &ShardStats| {
            let g = stats.given_back.lock().unwrap();
            (g.texts.len(), g.bytes)
        };
        let small = counted(Dispatch::from_text("E", 1, "x".repeat(1000)), &stats);
        let copy = small.clone();
        drop(small);
        assert_eq!(given(&stats), (0, 0), "a copy is still alive");
        drop(copy);
        assert_eq!(given(&stats), (1, 1000));
        assert_eq!(stats.backlog.bytes(), 0);
        // too large to keep: freed where it is dropped
        drop(counted(
            Dispatch::from_text("E", 2, "x".repeat(GIVE_BACK_MAX_TEXT + 1)),
            &stats,
        ));
        assert_eq!(given(&stats), (1, 1000));
        // at most GIVE_BACK_MAX_BYTES wait
        for seq in 0..64 {
            drop(counted(
                Dispatch::from_text("E", seq, "x".repeat(1000)),
                &stats,
            ));
        }
        let (texts, bytes) = given(&stats);
        assert_eq!((texts, bytes), (GIVE_BACK_MAX_BYTES / 1000, texts * 1000));
        // the shard's turn frees them all
        stats.free_given_back();
        assert_eq!(given(&stats), (0, 0));
        // a dispatch not made by a shard has nothing to give back to
        drop(Dispatch::from_text("E", 3, "x".repeat(10)));
        assert_eq!(given(&stats), (0, 0));
        // after the driver ends, nothing is kept
        let late = counted(Dispatch::from_text("E", 4, "x".repeat(10)), &stats);
        stats.shut_control();
        drop(late);
        assert_eq!(given(&stats), (0, 0));
    }

    /// The last copy dropped on another thread while the shard decides to
    /// pause: the shard either sees the release and does not pause, or
    /// is woken. Never a pause nobody ends.
    #[test]
    fn backlog_release_racing_the_pause_never_loses_the_wake_up() {
        let tuning = Tuning {
            max_backlog_bytes: 100,
            ..Tuning::default()
        };
        let stats = Arc::new(ShardStats::new(&tuning));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        for i in 0..2000 {
            let d = counted(Dispatch::new("E", i, vec![b'x'; 200]), &stats);
            let dropper = std::thread::spawn(move || drop(d));
            if stats.backlog.should_pause(false, true) {
                let woken = rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(5), stats.wake.notified()).await
                });
                assert!(woken.is_ok(), "round {i}: paused and never woken");
            }
            dropper.join().unwrap();
            // a wake-up for a pause that did not happen is harmless (the
            // driver only looks again); clear it for the next round
            let _ = stats.wake.notified().now_or_never();
            assert_eq!(stats.backlog.bytes(), 0);
        }
    }

    /// A pause that another wake-up will end (the event channel's, while
    /// events wait for room) asks the backlog for none: releases under
    /// `resume_at` wake nobody, and the shard's next look finds the room.
    #[test]
    fn a_pause_with_the_channel_wake_armed_asks_the_backlog_for_no_wake_up() {
        let tuning = Tuning {
            max_backlog_bytes: 1000,
            ..Tuning::default()
        };
        let stats = Arc::new(ShardStats::new(&tuning));
        let backlog = &stats.backlog;
        let mut held: Vec<Dispatch> = (0..4)
            .map(|i| counted(Dispatch::new("E", i, vec![b'x'; 300]), &stats))
            .collect();
        // 1,716 bytes: full, the channel will wake the shard
        assert!(backlog.should_pause(false, false));
        assert!(backlog.should_pause(true, false));
        // down to 429 bytes (under half the limit): no wake-up asked for
        held.truncate(1);
        assert!(stats.wake.notified().now_or_never().is_none());
        // the shard's next look (the channel woke it) resumes reading
        assert!(!backlog.should_pause(true, true));
        // an armed pause is still woken once at half the limit
        held.extend((4..7).map(|i| counted(Dispatch::new("E", i, vec![b'y'; 300]), &stats)));
        assert!(backlog.should_pause(false, true));
        held.truncate(3);
        assert!(stats.wake.notified().now_or_never().is_none(), "858 > 500");
        held.truncate(1);
        assert!(stats.wake.notified().now_or_never().is_some());
        drop(held);
        assert_eq!(backlog.bytes(), 0);
    }

    #[test]
    fn absurd_backoff_and_invalid_session_wait_are_capped() {
        let config = ShardConfig::builder("t", Intents::GUILDS, "wss://gateway.example")
            .backoff(Duration::MAX, Duration::MAX)
            .invalid_session_wait(Duration::MAX, Duration::MAX)
            .build()
            .unwrap();
        let t0 = Instant::now();

        // backoff: the first retry is at once, the next after the cap
        let mut backoff = Backoff::new(config.tuning.backoff.0, config.tuning.backoff.1);
        let conn = Connection::new(config.connection.clone());
        assert_eq!(reconnect_delay(&conn, &mut backoff, 1.0), Duration::ZERO);
        let delay = reconnect_delay(&conn, &mut backoff, 1.0);
        assert_eq!(delay, MAX_TUNING_DURATION);
        // what the driver's `idle` does with it
        let _ = tokio::time::Instant::now() + delay;

        // op 9 `d: false`: the random wait before IDENTIFY
        let mut conn = Connection::new(config.connection.clone());
        conn.on_connected();
        conn.recv(r#"{"op":10,"d":{"heartbeat_interval":1000}}"#, t0)
            .unwrap();
        conn.recv(r#"{"op":9,"d":false}"#, t0).unwrap();
        let mut backoff = Backoff::new(Duration::ZERO, Duration::ZERO);
        let delay = reconnect_delay(&conn, &mut backoff, 0.5);
        assert_eq!(delay, MAX_TUNING_DURATION);
        let _ = tokio::time::Instant::now() + delay;
    }
}
