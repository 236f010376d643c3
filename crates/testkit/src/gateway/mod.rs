//! The fake gateway (discord-protocol.md §3-§7).
//!
//! The [`Hub`] holds every session and connection. A connection task
//! (`conn.rs`) owns its WebSocket; it learns about new dispatches of its
//! session through a [`Notify`] and reads them from the session's event log
//! (which is also the RESUME replay buffer), and receives control commands
//! (op 7, op 9, op 1, close, corrupt frame) through a bounded channel.
//! Each control command carries the session's sequence number at the time
//! it was issued: the connection first sends the dispatches up to that
//! number, so "dispatch, reconnect, dispatch" arrives in exactly that order
//! (the second dispatch is then replayed on RESUME).

mod codec;
mod commands;
mod conn;
mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use acord_core_signals::{identify_rate_limit_key, Intents};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::Config;
use crate::record::lock;
use crate::server::{FakeDiscord, Shared};

use session::Session;

/// Control commands queued per connection.
const CONTROL_CAPACITY: usize = 64;

/// How long shutdown waits for connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Which shard(s) a gateway control command targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShardTarget {
    /// Every connected shard.
    All,
    /// One shard id.
    Shard(u32),
}

impl ShardTarget {
    /// Whether a connection identified as `shard` (or not yet identified)
    /// is targeted. Unidentified connections are only reached by `All`.
    fn matches(self, shard: Option<u32>) -> bool {
        match self {
            ShardTarget::All => true,
            ShardTarget::Shard(id) => shard == Some(id),
        }
    }
}

/// A command for one connection task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Control {
    /// Send op 7 RECONNECT.
    Reconnect,
    /// Send op 9 with `d` = the flag.
    InvalidSession(bool),
    /// Send op 1 (ask for an immediate heartbeat).
    Heartbeat,
    /// Close with this code.
    Close(u16),
    /// Send bytes that break the client's decoder.
    Corrupt,
    /// Another connection resumed this connection's session.
    Superseded,
}

/// A control command and the session's last sequence number when it was
/// issued (dispatches up to it are sent first).
pub(crate) type Queued = (Control, Option<u64>);

/// What the hub knows about one open connection.
#[derive(Debug)]
struct ConnEntry {
    control: mpsc::Sender<Queued>,
    wake: Arc<Notify>,
    shard: Option<u32>,
}

/// Why IDENTIFY could not start a session (answered with op 9 `d:false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdentifyRefusal {
    /// The shard's rate-limit key already identified within the window.
    Concurrency,
    /// `session_start_limit.remaining` is 0.
    NoSessionStartsLeft,
}

/// The result of a RESUME.
#[derive(Debug)]
pub(crate) enum ResumeOutcome {
    /// Attached: replay events after the given seq, then RESUMED (already
    /// queued).
    Resumed { shard: [u32; 2] },
    /// Unknown, expired or not fully replayable: op 9 `d:false`.
    Invalid,
    /// `seq` is ahead of the session: close 4007.
    SeqAhead,
}

#[derive(Debug)]
struct HubState {
    sessions: HashMap<String, Session>,
    connections: HashMap<u64, ConnEntry>,
    /// Last successful IDENTIFY per rate-limit key.
    identify_buckets: HashMap<u32, Instant>,
    starts_remaining: u32,
    starts_reset_at: Instant,
    /// Last all-members REQUEST_GUILD_MEMBERS per guild.
    member_requests: HashMap<u64, Instant>,
    next_session: u64,
}

/// Gateway sessions and connections.
#[derive(Debug)]
pub(crate) struct Hub {
    state: Mutex<HubState>,
    acks: AtomicBool,
    /// 0 = no split.
    frame_split: AtomicUsize,
    next_connection: AtomicU64,
    bot_user_id: OnceLock<u64>,
    resume_window: Duration,
    identify_window: Duration,
    max_concurrency: u32,
    starts_total: u32,
    starts_reset_after: Duration,
}

impl Hub {
    pub fn new(config: &Config) -> Hub {
        Hub {
            state: Mutex::new(HubState {
                sessions: HashMap::new(),
                connections: HashMap::new(),
                identify_buckets: HashMap::new(),
                starts_remaining: config.session_start_remaining,
                starts_reset_at: Instant::now() + config.session_start_reset_after,
                member_requests: HashMap::new(),
                next_session: 0,
            }),
            acks: AtomicBool::new(true),
            frame_split: AtomicUsize::new(0),
            next_connection: AtomicU64::new(1),
            bot_user_id: OnceLock::new(),
            resume_window: config.resume_window,
            identify_window: config.identify_window,
            max_concurrency: config.max_concurrency,
            starts_total: config.session_start_total,
            starts_reset_after: config.session_start_reset_after,
        }
    }

    /// Pushes a dispatch to every live session that Discord would send it
    /// to: the shard owning `guild_id` (guild-less events only to shard 0,
    /// §3.15), filtered by the session's intents (§6). Each session gives it
    /// its next sequence number and keeps it for RESUME replay; detached but
    /// resumable sessions get it on RESUME.
    pub fn emit(&self, guild_id: Option<u64>, name: &str, d: Value) {
        self.push_where(name, &d, |s| s.handles_guild(guild_id));
    }

    /// Pushes a dispatch to every live session of the target shard(s).
    fn dispatch(&self, target: ShardTarget, name: &str, d: &Value) {
        self.push_where(name, d, |s| target.matches(Some(s.shard[0])));
    }

    /// Pushes a dispatch to one session (answers to op 8/31/43, READY...).
    pub(crate) fn push_to_session(&self, session_id: &str, name: &str, d: &Value) {
        self.push_where(name, d, |s| s.id == session_id);
    }

    fn push_where(&self, name: &str, d: &Value, mut pred: impl FnMut(&Session) -> bool) {
        let now = Instant::now();
        let bot = self.bot_user_id.get().copied();
        let mut state = lock(&self.state);
        state.prune(now, self.resume_window);
        let mut wake = Vec::new();
        for session in state.sessions.values_mut() {
            if pred(session) && session.wants(name, d, bot) {
                session.push(name, d, bot);
                wake.extend(session.connection);
            }
        }
        for id in wake {
            if let Some(conn) = state.connections.get(&id) {
                conn.wake.notify_one();
            }
        }
    }

    /// Sends a control command to every targeted connection.
    fn control(&self, target: ShardTarget, command: Control) {
        let state = lock(&self.state);
        for (id, conn) in &state.connections {
            if target.matches(conn.shard) {
                let upto = state
                    .sessions
                    .values()
                    .find(|s| s.connection == Some(*id))
                    .map(|s| s.seq);
                if let Err(err) = conn.control.try_send((command, upto)) {
                    tracing::warn!(connection = id, %err, ?command, "control command dropped");
                }
            }
        }
    }

    fn register(&self) -> (u64, mpsc::Receiver<Queued>, Arc<Notify>) {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(CONTROL_CAPACITY);
        let wake = Arc::new(Notify::new());
        lock(&self.state).connections.insert(
            id,
            ConnEntry {
                control: tx,
                wake: Arc::clone(&wake),
                shard: None,
            },
        );
        (id, rx, wake)
    }

    /// Forgets a connection; its session (if still attached) becomes
    /// resumable.
    fn unregister(&self, connection: u64) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        state.connections.remove(&connection);
        for session in state.sessions.values_mut() {
            if session.connection == Some(connection) {
                session.connection = None;
                session.detached_at = Some(now);
            }
        }
    }

    /// Detaches a session from its connection, keeping it resumable.
    pub(crate) fn detach(&self, session_id: &str, connection: u64) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if let Some(session) = state.sessions.get_mut(session_id) {
            if session.connection == Some(connection) {
                session.connection = None;
                session.detached_at = Some(now);
            }
        }
    }

    /// Discards a session: a later RESUME gets op 9 `d:false`.
    pub(crate) fn discard(&self, session_id: &str) {
        lock(&self.state).sessions.remove(session_id);
    }

    /// Checks the identify concurrency window and the session start limit
    /// for a shard, and takes a slot when both allow it.
    pub(crate) fn try_start(&self, shard_id: u32) -> Result<(), IdentifyRefusal> {
        let now = Instant::now();
        let key = identify_rate_limit_key(shard_id, self.max_concurrency);
        let mut state = lock(&self.state);
        if now >= state.starts_reset_at {
            state.starts_remaining = self.starts_total;
            state.starts_reset_at = now + self.starts_reset_after;
        }
        if let Some(last) = state.identify_buckets.get(&key) {
            if now.saturating_duration_since(*last) < self.identify_window {
                return Err(IdentifyRefusal::Concurrency);
            }
        }
        if state.starts_remaining == 0 {
            return Err(IdentifyRefusal::NoSessionStartsLeft);
        }
        state.starts_remaining -= 1;
        state.identify_buckets.insert(key, now);
        Ok(())
    }

    /// `(remaining, reset_after)` of `session_start_limit` right now, for
    /// `GET /gateway/bot`.
    /// Counts only IDENTIFYs that started a session (not refused ones).
    pub(crate) fn session_start_remaining(&self) -> (u32, Duration) {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if now >= state.starts_reset_at {
            state.starts_remaining = self.starts_total;
            state.starts_reset_at = now + self.starts_reset_after;
        }
        (
            state.starts_remaining,
            state.starts_reset_at.saturating_duration_since(now),
        )
    }

    /// Creates a session attached to `connection`, queues READY and the
    /// GUILD_CREATEs (each filtered by the session's intents) and returns
    /// its id.
    pub(crate) fn create_session(
        &self,
        connection: u64,
        shard: [u32; 2],
        intents: Intents,
        ready: impl FnOnce(&str) -> Value,
        guild_creates: Vec<Value>,
    ) -> String {
        let bot = self.bot_user_id.get().copied();
        let mut state = lock(&self.state);
        state.next_session += 1;
        let id = session_id(connection, state.next_session);
        let mut session = Session::new(id.clone(), shard, intents, connection);
        session.push("READY", &ready(&id), bot);
        for guild in &guild_creates {
            if session.wants("GUILD_CREATE", guild, bot) {
                session.push("GUILD_CREATE", guild, bot);
            }
        }
        state.sessions.insert(id.clone(), session);
        if let Some(conn) = state.connections.get_mut(&connection) {
            conn.shard = Some(shard[0]);
            conn.wake.notify_one();
        }
        id
    }

    /// Resumes a session on `connection` from `seq`.
    pub(crate) fn resume(&self, connection: u64, session_id: &str, seq: u64) -> ResumeOutcome {
        let now = Instant::now();
        let bot = self.bot_user_id.get().copied();
        let mut state = lock(&self.state);
        state.prune(now, self.resume_window);
        let Some(session) = state.sessions.get_mut(session_id) else {
            return ResumeOutcome::Invalid;
        };
        if seq > session.seq {
            state.sessions.remove(session_id);
            return ResumeOutcome::SeqAhead;
        }
        if !session.can_replay_from(seq) {
            state.sessions.remove(session_id);
            return ResumeOutcome::Invalid;
        }
        let previous = session.connection.replace(connection);
        session.detached_at = None;
        session.push("RESUMED", &Value::Object(Default::default()), bot);
        let shard = session.shard;
        if let Some(old) = previous.filter(|old| *old != connection) {
            if let Some(conn) = state.connections.get(&old) {
                // The old connection is closed; if its queue is full it is
                // stuck anyway and ends when the client goes away.
                let _ = conn.control.try_send((Control::Superseded, None));
            }
        }
        if let Some(conn) = state.connections.get_mut(&connection) {
            conn.shard = Some(shard[0]);
            conn.wake.notify_one();
        }
        ResumeOutcome::Resumed { shard }
    }

    /// Every event of a session after `seq`; `None` when the session is
    /// gone or attached to another connection.
    pub(crate) fn events_after(
        &self,
        session_id: &str,
        connection: u64,
        seq: u64,
    ) -> Option<Vec<session::Event>> {
        lock(&self.state)
            .sessions
            .get(session_id)
            .filter(|s| s.connection == Some(connection))
            .map(|s| s.events_after(seq))
    }

    /// The client acknowledged `seq` in a heartbeat.
    pub(crate) fn acknowledge(&self, session_id: &str, seq: u64) {
        if let Some(session) = lock(&self.state).sessions.get_mut(session_id) {
            session.acknowledge(seq);
        }
    }

    /// The intents of a session.
    pub(crate) fn session_intents(&self, session_id: &str) -> Option<Intents> {
        lock(&self.state)
            .sessions
            .get(session_id)
            .map(|s| s.intents)
    }

    /// Records an all-members request for a guild; `Err(retry_after)` when
    /// one was made within `window`.
    pub(crate) fn all_members_request(
        &self,
        guild_id: u64,
        window: Duration,
    ) -> Result<(), Duration> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if let Some(last) = state.member_requests.get(&guild_id) {
            let elapsed = now.saturating_duration_since(*last);
            if elapsed < window {
                return Err(window - elapsed);
            }
        }
        state.member_requests.insert(guild_id, now);
        Ok(())
    }

    pub(crate) fn heartbeat_acks(&self) -> bool {
        self.acks.load(Ordering::Relaxed)
    }

    pub(crate) fn frame_split(&self) -> Option<usize> {
        match self.frame_split.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }
}

impl HubState {
    /// Drops sessions whose resume window ended.
    fn prune(&mut self, now: Instant, window: Duration) {
        self.sessions.retain(|_, s| s.alive(now, window));
    }
}

/// A session id: 32 hex digits, unpredictable across runs.
fn session_id(connection: u64, counter: u64) -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let state = RandomState::new();
    let mut parts = [0u64; 2];
    for (i, part) in parts.iter_mut().enumerate() {
        let mut hasher = state.build_hasher();
        hasher.write_u64(connection);
        hasher.write_u64(counter);
        hasher.write_usize(i);
        *part = hasher.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

/// Serves the gateway until the fake is cancelled; then waits for every
/// connection task to close its socket.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let bot = lock(&shared.world).bot_user_id();
    // Set once here; a second `serve` on the same hub cannot happen.
    let _ = shared.gateway.bot_user_id.set(bot);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let shared = Arc::clone(&shared);
                    connections.spawn(
                        conn::run(stream, shared)
                            .instrument(tracing::info_span!("gateway_connection", %peer)),
                    );
                }
                Err(err) => tracing::warn!(%err, "gateway accept failed"),
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(err) = done {
                    tracing::warn!(%err, "gateway connection task failed");
                }
            }
        }
    }
    // Each connection closes with 1001 on cancellation; one stuck writing
    // to a client that stopped reading is aborted after a grace period.
    let drain = async {
        while let Some(done) = connections.join_next().await {
            if let Err(err) = done {
                tracing::warn!(%err, "gateway connection task failed");
            }
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!("gateway connections did not close in time; aborting them");
    }
}

/// Gateway control: push events and script the server's side of the
/// protocol.
impl FakeDiscord {
    /// Pushes a dispatch event to the sessions of one shard or all shards.
    ///
    /// Each session gives it its next sequence number and keeps it for
    /// RESUME replay (a disconnected but resumable session receives it on
    /// RESUME). Sessions whose intents do not cover the event do not get it
    /// (discord-protocol.md §6); events with a `guild_id` are gated by the
    /// guild intents, events without by the DM intents.
    pub fn dispatch(&self, target: ShardTarget, event: &str, d: Value) {
        crate::rest::observe_dispatch(&self.shared, event, &d);
        self.shared.gateway.dispatch(target, event, &d);
    }

    /// Sends op 7 RECONNECT; the client is expected to reconnect and
    /// RESUME.
    pub fn send_reconnect(&self, target: ShardTarget) {
        self.shared.gateway.control(target, Control::Reconnect);
    }

    /// Sends op 9 INVALID SESSION. With `resumable: false` the session is
    /// discarded (a RESUME gets op 9 `d:false`); with `true` it is detached
    /// and may be resumed. Either way the connection may IDENTIFY again.
    pub fn send_invalid_session(&self, target: ShardTarget, resumable: bool) {
        self.shared
            .gateway
            .control(target, Control::InvalidSession(resumable));
    }

    /// Sends op 1: the client must heartbeat immediately.
    pub fn request_heartbeat(&self, target: ShardTarget) {
        self.shared.gateway.control(target, Control::Heartbeat);
    }

    /// Closes the targeted connections with `code`. Codes whose verdict is
    /// not "resume" (4003, 4004, 4007, 4009-4014) discard the session; any
    /// other code keeps it resumable. 1005, 1006 and 1015, which never
    /// appear in a close frame, drop the TCP connection without one (a
    /// network loss; the session stays resumable).
    pub fn close_gateway(&self, target: ShardTarget, code: u16) {
        self.shared.gateway.control(target, Control::Close(code));
    }

    /// `false` stops answering heartbeats with op 11 (a zombied connection);
    /// `true` (the default) answers them again.
    pub fn set_heartbeat_acks(&self, enabled: bool) {
        self.shared.gateway.acks.store(enabled, Ordering::Relaxed);
    }

    /// Splits every zlib-stream message into binary frames of at most `n`
    /// bytes, and sends every zstd-stream message (one WebSocket message,
    /// as on Discord) as WebSocket frames of at most `n` bytes
    /// (continuation frames). `None`: one frame per message. Plain JSON is
    /// never split.
    pub fn set_frame_split(&self, split: Option<usize>) {
        let n = split.map_or(0, |n| n.max(1));
        self.shared.gateway.frame_split.store(n, Ordering::Relaxed);
    }

    /// Sends bytes that break the client's decoder: an invalid deflate block
    /// ending in `00 00 FF FF` on zlib-stream connections, truncated JSON on
    /// plain ones.
    pub fn send_corrupt_frame(&self, target: ShardTarget) {
        self.shared.gateway.control(target, Control::Corrupt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hub() -> Hub {
        Hub::new(&Config::default())
    }

    fn seqs(hub: &Hub, session: &str, connection: u64) -> Vec<(u64, String)> {
        hub.events_after(session, connection, 0)
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let v: Value = serde_json::from_str(&e.payload).unwrap();
                (e.seq, v["t"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    #[test]
    fn emit_routes_by_guild_shard_and_intents() {
        let hub = hub();
        let guild = 197_038_439_483_310_086u64;
        let owner = acord_core_signals::shard_for_guild(guild, 2);
        let a = hub.create_session(
            1,
            [owner, 2],
            Intents::GUILD_MESSAGES,
            |_| json!({}),
            vec![],
        );
        let b = hub.create_session(
            2,
            [1 - owner, 2],
            Intents::GUILD_MESSAGES,
            |_| json!({}),
            vec![],
        );
        let guild_id = guild.to_string();
        hub.emit(
            Some(guild),
            "MESSAGE_CREATE",
            json!({"guild_id": guild_id, "content": "x"}),
        );
        hub.emit(Some(guild), "GUILD_BAN_ADD", json!({"guild_id": guild_id}));
        hub.emit(None, "CUSTOM_DM_THING", json!({}));
        let on_a = seqs(&hub, &a, 1);
        let on_b = seqs(&hub, &b, 2);
        assert_eq!(on_a[0], (1, "READY".to_owned()));
        assert_eq!(on_a[1], (2, "MESSAGE_CREATE".to_owned()));
        // GUILD_BAN_ADD needs GUILD_MODERATION
        assert_eq!(on_a.len(), if owner == 0 { 3 } else { 2 });
        assert_eq!(on_b.len(), if owner == 0 { 1 } else { 2 });
        // another connection cannot read the session
        assert!(hub.events_after(&a, 2, 0).is_none());
    }

    #[test]
    fn detached_sessions_buffer_until_resumed_or_expired() {
        let hub = hub();
        let id = hub.create_session(1, [0, 1], Intents::GUILDS, |_| json!({}), vec![]);
        hub.detach(&id, 1);
        hub.emit(None, "GUILD_UPDATE", json!({}));
        match hub.resume(3, &id, 1) {
            ResumeOutcome::Resumed { shard } => assert_eq!(shard, [0, 1]),
            other => panic!("{other:?}"),
        }
        let events = seqs(&hub, &id, 3);
        assert_eq!(
            events,
            vec![
                (1, "READY".to_owned()),
                (2, "GUILD_UPDATE".to_owned()),
                (3, "RESUMED".to_owned())
            ]
        );
        assert!(matches!(hub.resume(4, &id, 9), ResumeOutcome::SeqAhead));
        assert!(matches!(hub.resume(4, &id, 1), ResumeOutcome::Invalid));
    }

    #[test]
    fn identify_slots_follow_rate_limit_keys_and_session_starts() {
        let config = Config {
            max_concurrency: 2,
            session_start_remaining: 2,
            ..Config::default()
        };
        let hub = Hub::new(&config);
        assert_eq!(hub.try_start(0), Ok(()));
        assert_eq!(hub.try_start(2), Err(IdentifyRefusal::Concurrency));
        assert_eq!(hub.try_start(1), Ok(()));
        assert_eq!(hub.session_start_remaining().0, 0);
        let window = Config {
            identify_window: Duration::ZERO,
            session_start_remaining: 1,
            ..Config::default()
        };
        let hub = Hub::new(&window);
        assert_eq!(hub.try_start(0), Ok(()));
        assert_eq!(hub.try_start(0), Err(IdentifyRefusal::NoSessionStartsLeft));
    }

    #[test]
    fn all_members_requests_are_limited_per_guild() {
        let hub = hub();
        let window = Duration::from_secs(30);
        assert!(hub.all_members_request(1, window).is_ok());
        assert!(hub.all_members_request(2, window).is_ok());
        let retry = hub.all_members_request(1, window).unwrap_err();
        assert!(retry <= window && retry > Duration::from_secs(29));
    }
}
