//! [`Connection`]: the gateway protocol as a sans-I/O state machine.
//!
//! The connection owns no socket, spawns no task and never reads the clock:
//! the driver feeds it what arrived and the current time, and asks what to
//! send, what happened and what to do next.
//!
//! 1. Open a WebSocket to [`Connection::connect_url`] (with
//!    [`Connection::query`] appended), then call [`Connection::on_connected`].
//! 2. For every decoded message call [`Connection::recv`]; when the socket
//!    closes call [`Connection::recv_close_code`].
//! 3. Send everything [`Connection::send_iter`] yields; read events with
//!    [`Connection::poll_event`].
//! 4. Sleep until [`Connection::next_deadline`] and call
//!    [`Connection::handle_timeout`] (it queues heartbeats and detects a
//!    zombied connection). Drivers with their own timer call
//!    [`Connection::queue_heartbeat`] instead.
//! 5. When [`Connection::should_reconnect`] is `Some`, close the socket with
//!    the code it names, wait for its `wait`, and go back to 1.
//!    When [`Connection::failed`] is `Some`, stop: the close code is fatal.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord_core_signals::{
    close_verdict, limits, CloseCode, CloseVerdict, Compression, Encoding, GatewayOpcode, Intents,
    API_VERSION, RESUMABLE_CLIENT_CLOSE, SESSION_ENDING_CLIENT_CLOSE,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::command::{payload_json, Command, IdentifyProperties, Token};
use crate::error::GatewayError;
use crate::keep_alive::{KeepAlive, StandardKeepAlive};
use crate::payload::{Dispatch, Envelope, RateLimited};
use crate::random::{random_seed, Rng};
use crate::shard::MAX_TUNING_DURATION;

/// Largest heartbeat interval accepted from HELLO (Discord sends 41 250 ms);
/// anything above is treated as a malformed HELLO.
const MAX_HEARTBEAT_INTERVAL_MS: u64 = 3_600_000;

/// Heartbeats waiting for their ACK. Discord ACKs every heartbeat, in
/// order, so an ACK belongs to the oldest beat still waiting. Only a
/// regular beat without its own ACK makes the connection a zombie: a beat
/// that answered a server op 1 just before the regular one came due may
/// legitimately still be waiting for its ACK.
///
/// At most one regular beat waits at a time (a second one is a zombie
/// verdict), so counts stand in for a queue and stay bounded however many
/// op 1 the server sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct AckTracker {
    /// Requested beats sent before the waiting regular beat (or all of
    /// them when no regular beat waits).
    requested_before: u32,
    /// A regular beat waits for its ACK.
    regular: bool,
    /// Requested beats sent after the waiting regular beat.
    requested_after: u32,
}

impl AckTracker {
    fn sent(&mut self, requested: bool) {
        match (requested, self.regular) {
            (true, true) => self.requested_after = self.requested_after.saturating_add(1),
            (true, false) => self.requested_before = self.requested_before.saturating_add(1),
            (false, _) => self.regular = true,
        }
    }

    fn ack(&mut self) {
        if self.requested_before > 0 {
            self.requested_before -= 1;
        } else if self.regular {
            self.regular = false;
            self.requested_before = std::mem::take(&mut self.requested_after);
        }
        // otherwise an unsolicited ACK: nothing waits for it
    }

    fn regular_unacked(&self) -> bool {
        self.regular
    }
}

/// How a [`Connection`] identifies and behaves; build with
/// [`ConnectionConfig::builder`].
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    token: Token,
    intents: Intents,
    shard: [u32; 2],
    properties: IdentifyProperties,
    /// The IDENTIFY `presence`, serialised once by the builder.
    presence: Option<Box<RawValue>>,
    large_threshold: Option<u32>,
    gateway_url: String,
    invalid_session_wait: (Duration, Duration),
    max_resume_failures: u32,
    /// A session to resume on the first connection (taken by the
    /// `Connection` built from this configuration).
    session: Option<Session>,
    seed: u64,
}

impl ConnectionConfig {
    /// Starts a configuration with the token, intents and gateway URL
    /// (`wss://gateway.discord.gg` or the fake's URL, without a query).
    pub fn builder(
        token: impl Into<Token>,
        intents: Intents,
        gateway_url: impl Into<String>,
    ) -> ConnectionConfigBuilder {
        ConnectionConfigBuilder {
            config: ConnectionConfig {
                token: token.into(),
                intents,
                shard: [0, 1],
                properties: IdentifyProperties::default(),
                presence: None,
                large_threshold: None,
                gateway_url: gateway_url.into(),
                invalid_session_wait: (Duration::from_secs(1), Duration::from_secs(5)),
                max_resume_failures: 3,
                session: None,
                seed: random_seed(),
            },
            presence_error: None,
        }
    }

    /// The shard `[id, count]`.
    pub fn shard(&self) -> [u32; 2] {
        self.shard
    }

    /// The intents sent in IDENTIFY.
    pub fn intents(&self) -> Intents {
        self.intents
    }

    /// The original gateway URL (used for IDENTIFY).
    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    pub(crate) fn set_shard(&mut self, id: u32, count: u32) {
        self.shard = [id, count];
    }

    pub(crate) fn set_gateway_url(&mut self, url: String) {
        self.gateway_url = url;
    }

    pub(crate) fn reseed(&mut self) {
        self.seed = random_seed();
    }

    pub(crate) fn set_session(&mut self, session: Option<Session>) {
        self.session = session;
    }
}

/// Builder for [`ConnectionConfig`].
#[derive(Clone, Debug)]
pub struct ConnectionConfigBuilder {
    config: ConnectionConfig,
    /// Why the last [`presence`](Self::presence) could not be used, reported
    /// by [`build`](Self::build) (a message: `serde_json::Error` is not
    /// `Clone`).
    presence_error: Option<String>,
}

impl ConnectionConfigBuilder {
    /// The shard `[id, count]` (default `[0, 1]`).
    pub fn shard(mut self, id: u32, count: u32) -> Self {
        self.config.shard = [id, count];
        self
    }

    /// IDENTIFY `properties` (default: this OS, `acord`, `acord`).
    pub fn properties(mut self, properties: IdentifyProperties) -> Self {
        self.config.properties = properties;
        self
    }

    /// The initial presence sent in IDENTIFY: any data that serialises to
    /// a JSON object, such as the `acord` crate's `UpdatePresence` (see
    /// discord-protocol.md §5.5 for the fields). It is serialised here, once,
    /// and sent as is; a later call replaces it.
    ///
    /// A serialisation error is kept and returned by
    /// [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use acord_core_gateway::ConnectionConfig;
    /// use acord_core_signals::Intents;
    ///
    /// let presence = serde_json::json!({
    ///     "since": null,
    ///     "activities": [{"name": "with the gateway", "type": 0}],
    ///     "status": "online",
    ///     "afk": false,
    /// });
    /// let config = ConnectionConfig::builder("token", Intents::GUILDS, "wss://gateway.discord.gg")
    ///     .presence(&presence)
    ///     .build()?;
    ///
    /// // anything else is refused when the configuration is built
    /// let not_an_object = ConnectionConfig::builder("token", Intents::GUILDS, "wss://gateway.discord.gg")
    ///     .presence("online")
    ///     .build();
    /// assert!(not_an_object.is_err());
    /// # Ok::<(), acord_core_gateway::GatewayError>(())
    /// ```
    pub fn presence<T: Serialize + ?Sized>(mut self, presence: &T) -> Self {
        match serde_json::value::to_raw_value(presence) {
            Ok(raw) => {
                self.config.presence = Some(raw);
                self.presence_error = None;
            }
            Err(e) => {
                self.config.presence = None;
                self.presence_error = Some(e.to_string());
            }
        }
        self
    }

    /// IDENTIFY `large_threshold` (50..=250).
    pub fn large_threshold(mut self, threshold: u32) -> Self {
        self.config.large_threshold = Some(threshold);
        self
    }

    /// The range of the random wait before re-identifying after op 9
    /// `d: false` (default 1-5 s; both capped at a day, so the driver's
    /// `Instant + wait` cannot overflow).
    pub fn invalid_session_wait(mut self, min: Duration, max: Duration) -> Self {
        let min = min.min(MAX_TUNING_DURATION);
        let max = max.min(MAX_TUNING_DURATION);
        self.config.invalid_session_wait = (min, max.max(min));
        self
    }

    /// How many RESUMEs in a row the gateway may answer with op 9
    /// `d: true` ("may be resumable") before the session is dropped and the
    /// connection falls back to IDENTIFY (default 3, at least 1). A READY
    /// or RESUMED starts the count again.
    ///
    /// Nothing else counts: connect failures, sockets that drop and close
    /// codes that allow resuming keep the session however often they
    /// happen, so a network outage shorter than Discord's resume window
    /// loses no event. The session ends only when the gateway says so
    /// (op 9 `d: false`, close code 4003, 4007 or 4009) or at this limit.
    /// A connection to `resume_gateway_url` that fails before RESUMED
    /// (connect failure, drop, op 9 `d: true`) makes later attempts use the
    /// original gateway URL.
    pub fn max_resume_failures(mut self, failures: u32) -> Self {
        self.config.max_resume_failures = failures.max(1);
        self
    }

    /// A session to RESUME on the first connection instead of identifying,
    /// typically one saved from [`Connection::session`] by an earlier run
    /// of the bot (a process restart within Discord's resume window).
    ///
    /// The session is checked when the [`Connection`] is created: one
    /// saved for another shard `[id, count]`, or with an empty id, is
    /// ignored (the connection identifies); a resume URL that is not a
    /// `ws://`/`wss://` URL, or a `ws://` one while the gateway URL is
    /// `wss://`, is ignored (the connection resumes on the gateway URL).
    /// If the gateway rejects the session (op 9 `d: false`) the connection
    /// identifies as usual.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use acord_core_gateway::{Connection, ConnectionConfig, SendKind, Session};
    /// use acord_core_signals::Intents;
    ///
    /// // saved at shutdown by the previous run, e.g. as JSON
    /// let saved = r#"{"id":"3b5e","sequence":42,"resume_url":"wss://resume.example"}"#;
    /// let session: Session = serde_json::from_str(saved)?;
    /// let config = ConnectionConfig::builder("token", Intents::GUILDS, "wss://gateway.discord.gg")
    ///     .session(session)
    ///     .build()?;
    /// let mut conn = Connection::new(config);
    /// assert_eq!(conn.connect_url(), "wss://resume.example");
    /// conn.on_connected();
    /// conn.recv(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#, Instant::now())?;
    /// assert_eq!(conn.poll_send().unwrap().kind(), SendKind::Resume);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session(mut self, session: Session) -> Self {
        self.config.session = Some(session);
        self
    }

    /// Seeds the jitter source (tests use a fixed seed; the default is
    /// random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`GatewayError::InvalidShard`] when the shard id is not below the
    /// count, [`GatewayError::Payload`] for a Bearer token, a
    /// `large_threshold` outside 50..=250 or a presence that is not a JSON
    /// object, [`GatewayError::Serialize`] when the presence could not be
    /// serialised, [`GatewayError::PayloadTooLarge`] when the IDENTIFY would
    /// exceed 4096 bytes, [`GatewayError::InvalidUrl`] for a bad URL.
    pub fn build(self) -> Result<ConnectionConfig, GatewayError> {
        if let Some(message) = self.presence_error {
            return Err(GatewayError::Serialize(serde::ser::Error::custom(message)));
        }
        let c = self.config;
        if c.presence
            .as_deref()
            .is_some_and(|p| !p.get().starts_with('{'))
        {
            return Err(GatewayError::Payload {
                context: "the IDENTIFY presence must serialise to a JSON object",
                source: None,
            });
        }
        if !c.token.is_bot() {
            return Err(GatewayError::Payload {
                context: "the gateway takes a bot token, not an OAuth2 Bearer token",
                source: None,
            });
        }
        if c.shard[1] == 0 || c.shard[0] >= c.shard[1] {
            return Err(GatewayError::InvalidShard {
                shard: c.shard[0],
                count: c.shard[1],
            });
        }
        if let Some(t) = c.large_threshold {
            let (lo, hi) = limits::LARGE_THRESHOLD_RANGE;
            if !(lo..=hi).contains(&t) {
                return Err(GatewayError::Payload {
                    context: "large_threshold must be within 50..=250",
                    source: None,
                });
            }
        }
        url::Url::parse(&c.gateway_url).map_err(|source| GatewayError::InvalidUrl {
            url: c.gateway_url.clone(),
            source,
        })?;
        identify_json(&c)?;
        Ok(c)
    }
}

fn identify_json(c: &ConnectionConfig) -> Result<String, GatewayError> {
    #[derive(Serialize)]
    struct Identify<'a> {
        token: &'a str,
        properties: &'a IdentifyProperties,
        intents: u64,
        shard: [u32; 2],
        #[serde(skip_serializing_if = "Option::is_none")]
        large_threshold: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        presence: Option<&'a RawValue>,
    }
    payload_json(
        GatewayOpcode::Identify,
        &Identify {
            token: c.token.expose_secret(),
            properties: &c.properties,
            intents: c.intents.bits(),
            shard: c.shard,
            large_threshold: c.large_threshold,
            presence: c.presence.as_deref(),
        },
    )
}

/// The protocol stage of a [`Connection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// No socket: waiting for the driver to connect.
    Disconnected,
    /// Socket open, waiting for HELLO.
    AwaitingHello,
    /// IDENTIFY sent, waiting for READY.
    Identifying,
    /// RESUME sent, waiting for RESUMED.
    Resuming,
    /// READY or RESUMED received: the session is live.
    Ready,
    /// Closed on purpose with [`Connection::close`].
    Closed,
    /// A fatal close code arrived; see [`Connection::failed`].
    Failed,
}

/// What kind of payload an [`Outgoing`] is (the send limiter treats
/// heartbeats and session starts as priority traffic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendKind {
    /// HEARTBEAT (op 1).
    Heartbeat,
    /// IDENTIFY (op 2).
    Identify,
    /// RESUME (op 6).
    Resume,
    /// A user command.
    Command,
}

/// A payload to send as one WebSocket text message. `Debug` hides the
/// text of IDENTIFY and RESUME, which carry the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    kind: SendKind,
    text: String,
}

impl Outgoing {
    /// What kind of payload this is.
    pub fn kind(&self) -> SendKind {
        self.kind
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The JSON text, owned.
    pub fn into_text(self) -> String {
        self.text
    }
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Outgoing");
        s.field("kind", &self.kind);
        match self.kind {
            SendKind::Identify | SendKind::Resume => s.field("text", &"<redacted>"),
            _ => s.field("text", &self.text),
        };
        s.finish()
    }
}

/// Something that happened on the connection, in order.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// HELLO arrived.
    Hello {
        /// The heartbeat interval.
        heartbeat_interval: Duration,
    },
    /// READY arrived: a new session.
    Ready {
        /// The new session id.
        session_id: String,
    },
    /// RESUMED arrived: every missed event was replayed.
    Resumed,
    /// A dispatch (op 0), READY and RESUMED included.
    Dispatch(Dispatch),
    /// The `RATE_LIMITED` dispatch, parsed.
    RateLimited(RateLimited),
    /// A heartbeat was queued.
    HeartbeatSent {
        /// The sequence it carries.
        seq: Option<u64>,
        /// Whether it answered a server op 1.
        requested: bool,
    },
    /// A HEARTBEAT_ACK arrived.
    HeartbeatAck {
        /// Latency of the acknowledged heartbeat.
        latency: Option<Duration>,
    },
    /// The connection decided to reconnect.
    Reconnect(Reconnect),
}

/// Why a reconnect is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReconnectReason {
    /// The server sent op 7 RECONNECT.
    Requested,
    /// The server sent op 9 INVALID SESSION.
    InvalidSession {
        /// The `d` flag.
        resumable: bool,
    },
    /// No HEARTBEAT_ACK between two heartbeats.
    Zombied,
    /// The socket closed (with this code, or none).
    Closed(Option<u16>),
    /// The driver asked for it (decode error, restart).
    Driver,
}

/// What the driver must do: close the socket (if still open) with
/// `close_code`, wait `wait`, connect to [`Connection::connect_url`] and call
/// [`Connection::on_connected`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reconnect {
    /// Why.
    pub reason: ReconnectReason,
    /// Whether the next connection sends RESUME (else IDENTIFY).
    pub resume: bool,
    /// How long to wait before connecting (the random 1-5 s after op 9
    /// `d: false`; zero otherwise).
    pub wait: Duration,
    /// The close code to close the current socket with.
    pub close_code: u16,
}

/// A resumable gateway session: what RESUME needs (the session id and
/// the last sequence number) and where to send it (`resume_gateway_url`).
///
/// Read it with [`Connection::session`], for example at shutdown after
/// [`Connection::close`] with `end_session: false`, store it (it is
/// `Serialize`/`Deserialize`), and hand it back with
/// [`ConnectionConfigBuilder::session`] so the next process RESUMEs instead
/// of identifying: no session start is spent and the events of the gap are
/// replayed. Discord keeps a session resumable for a few minutes only; an
/// expired one is answered with op 9 `d: false` and the connection
/// identifies.
///
/// Anyone holding the session id and the bot token can take over the
/// session; store it like the token.
///
/// ```
/// use acord_core_gateway::Session;
///
/// let session = Session::new("3b5e", 42, Some("wss://resume.example".to_owned()));
/// let json = serde_json::to_string(&session)?;
/// assert_eq!(json, r#"{"id":"3b5e","sequence":42,"resume_url":"wss://resume.example"}"#);
/// let back: Session = serde_json::from_str(&json)?;
/// assert_eq!(back, session);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    id: String,
    sequence: u64,
    #[serde(default)]
    resume_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<[u32; 2]>,
}

impl Session {
    /// A session from its parts: the READY `session_id`, the last sequence
    /// number received and the READY `resume_gateway_url` (`None`: resume
    /// on the gateway URL). It is not tied to a shard; see
    /// [`shard`](Self::shard).
    pub fn new(id: impl Into<String>, sequence: u64, resume_url: Option<String>) -> Self {
        Self {
            id: id.into(),
            sequence,
            resume_url,
            shard: None,
        }
    }

    /// The session id (READY `session_id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The last sequence number received: the RESUME `seq`.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The `resume_gateway_url` to resume on; `None` means the gateway URL.
    pub fn resume_url(&self) -> Option<&str> {
        self.resume_url.as_deref()
    }

    /// The shard `[id, count]` the session belongs to, when it was read
    /// from a [`Connection`] (`None` for [`Session::new`]). A connection
    /// for another shard ignores the session instead of resuming another
    /// shard's events.
    pub fn shard(&self) -> Option<[u32; 2]> {
        self.shard
    }

    /// The same session at another sequence number.
    pub(crate) fn with_sequence(mut self, sequence: u64) -> Self {
        self.sequence = sequence;
        self
    }
}

/// The session the connection holds; the sequence is kept apart because
/// dispatches may arrive before READY.
#[derive(Clone, Debug)]
struct LiveSession {
    id: String,
    resume_url: Option<String>,
}

/// `resume_url` if it may carry the token: a `ws://` or `wss://` URL, and
/// `ws://` only when the gateway URL is `ws://` too (a loopback fake), so a
/// `wss://` gateway never downgrades to clear text. Otherwise `None`, with
/// a warning (naming scheme and host, never the token).
fn checked_resume_url(resume_url: &str, gateway_url: &str) -> Option<String> {
    let parsed = match url::Url::parse(resume_url) {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::warn!(%error, "ignoring a resume_gateway_url that is not a URL; resuming on the gateway URL");
            return None;
        }
    };
    let gateway_scheme = url::Url::parse(gateway_url).ok();
    let gateway_scheme = gateway_scheme.as_ref().map(url::Url::scheme);
    let allowed = match parsed.scheme() {
        "wss" => true,
        "ws" => gateway_scheme == Some("ws"),
        _ => false,
    };
    if allowed {
        Some(resume_url.to_owned())
    } else {
        tracing::warn!(
            scheme = parsed.scheme(),
            host = parsed.host_str().unwrap_or(""),
            gateway_scheme = gateway_scheme.unwrap_or("?"),
            "ignoring a resume_gateway_url that would weaken the connection (not wss://, or ws:// while the gateway is wss://); resuming on the gateway URL"
        );
        None
    }
}

#[derive(Deserialize)]
struct Hello {
    heartbeat_interval: u64,
}

#[derive(Deserialize)]
struct Ready<'a> {
    #[serde(borrow)]
    session_id: std::borrow::Cow<'a, str>,
    /// Kept raw: a malformed URL is ignored, it does not undo the session.
    #[serde(borrow, default)]
    resume_gateway_url: Option<&'a RawValue>,
}

/// The gateway protocol state of one shard; see the module docs for the
/// driving loop.
///
/// ```
/// use std::time::Instant;
/// use acord_core_gateway::{Connection, ConnectionConfig, Event, SendKind};
/// use acord_core_signals::Intents;
///
/// let config = ConnectionConfig::builder("token", Intents::GUILDS, "wss://gateway.discord.gg")
///     .build()
///     .unwrap();
/// let mut conn = Connection::new(config);
/// let now = Instant::now();
/// conn.on_connected();
/// conn.recv(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#, now).unwrap();
/// let sent: Vec<_> = conn.send_iter().collect();
/// assert_eq!(sent[0].kind(), SendKind::Identify);
/// conn.recv(
///     r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"s","resume_gateway_url":"wss://r"}}"#,
///     now,
/// )
/// .unwrap();
/// assert_eq!(conn.session_id(), Some("s"));
/// assert_eq!(conn.sequence(), Some(1));
/// ```
pub struct Connection<K: KeepAlive = StandardKeepAlive> {
    config: ConnectionConfig,
    keep_alive: K,
    stage: Stage,
    session: Option<LiveSession>,
    seq: Option<u64>,
    heartbeat_interval: Option<Duration>,
    acks: AckTracker,
    /// RESUMEs answered with op 9 `d: true` since the last READY/RESUMED.
    resume_failures: u32,
    /// The current socket was opened to the session's resume URL.
    on_resume_url: bool,
    outgoing: VecDeque<Outgoing>,
    commands: VecDeque<Outgoing>,
    events: VecDeque<Event>,
    /// The event names seen, shared by the dispatches that carry them.
    names: Names,
    reconnect: Option<Reconnect>,
    failed: Option<CloseCode>,
    rng: Rng,
}

/// The dispatch names a connection has seen, so that each dispatch shares
/// its name instead of allocating it. Bounded: names come from the network.
#[derive(Debug, Default)]
struct Names(std::collections::HashSet<Arc<str>>);

impl Names {
    /// Discord has about 80 dispatch names; past this many, new names are
    /// allocated per dispatch instead of kept.
    const MAX: usize = 256;

    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.0.get(name) {
            return Arc::clone(known);
        }
        let name: Arc<str> = Arc::from(name);
        if self.0.len() < Self::MAX {
            self.0.insert(Arc::clone(&name));
        }
        name
    }
}

impl<K: KeepAlive> fmt::Debug for Connection<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("shard", &self.config.shard)
            .field("stage", &self.stage)
            .field("session_id", &self.session_id())
            .field("seq", &self.seq)
            .field("reconnect", &self.reconnect)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Connection<StandardKeepAlive> {
    /// A disconnected connection with the standard keep-alive.
    pub fn new(config: ConnectionConfig) -> Self {
        Self::with_keep_alive(config, StandardKeepAlive::new())
    }

    /// The gateway query string (`v=10&encoding=json`, plus `compress=`
    /// for the decoder's transport compression), for any keep-alive:
    /// `Connection::query(decoder.compression())`.
    pub fn query(compression: Option<Compression>) -> String {
        let mut q = format!("v={API_VERSION}&encoding={}", Encoding::Json.as_str());
        if let Some(c) = compression {
            q.push_str("&compress=");
            q.push_str(c.as_str());
        }
        q
    }
}

impl<K: KeepAlive> Connection<K> {
    /// A disconnected connection with a custom keep-alive. A session set
    /// with [`ConnectionConfigBuilder::session`] is checked here and, if
    /// usable, makes the first connection RESUME.
    pub fn with_keep_alive(mut config: ConnectionConfig, keep_alive: K) -> Self {
        let rng = Rng::new(config.seed);
        let (session, seq) = match config.session.take() {
            Some(s) => import_session(s, &config),
            None => (None, None),
        };
        Self {
            config,
            keep_alive,
            stage: Stage::Disconnected,
            session,
            seq,
            heartbeat_interval: None,
            acks: AckTracker::default(),
            resume_failures: 0,
            on_resume_url: false,
            outgoing: VecDeque::new(),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            names: Names::default(),
            reconnect: None,
            failed: None,
            rng,
        }
    }

    // ----- inputs -------------------------------------------------------

    /// The driver opened a new socket: expect HELLO. Clears any pending
    /// reconnect and stale protocol payloads (queued user commands stay and
    /// go out once the session is live).
    pub fn on_connected(&mut self) {
        if matches!(self.stage, Stage::Failed | Stage::Closed) {
            return;
        }
        // the driver connected to `connect_url()`
        self.on_resume_url = self.uses_resume_url();
        self.reconnect = None;
        self.stage = Stage::AwaitingHello;
        self.acks = AckTracker::default();
        self.heartbeat_interval = None;
        self.keep_alive.stop();
        self.outgoing.clear();
    }

    /// Feeds one decoded gateway payload.
    ///
    /// # Errors
    /// [`GatewayError::Payload`] for a malformed payload. The state is left
    /// unchanged (the payload is skipped), with these exceptions:
    /// - while waiting for HELLO, a broken HELLO schedules a reconnect;
    /// - a dispatch (op 0) with `t` and `s` is always delivered raw as
    ///   [`Event::Dispatch`] and advances the sequence, even when its `d`
    ///   is malformed (one without `t` is not delivered, but its `s` still
    ///   counts). A READY without a usable `session_id` starts no
    ///   session (the stage stays [`Stage::Identifying`]); a `RATE_LIMITED`
    ///   whose `d` does not parse yields no [`Event::RateLimited`].
    pub fn recv(&mut self, text: &str, now: Instant) -> Result<(), GatewayError> {
        if matches!(self.stage, Stage::Failed | Stage::Closed) {
            return Ok(());
        }
        let result = self.recv_inner(text, now);
        if result.is_err() && self.stage == Stage::AwaitingHello {
            self.leave_failed_resume_url();
            self.schedule(ReconnectReason::Driver, self.can_resume(), Duration::ZERO);
        }
        result
    }

    fn recv_inner(&mut self, text: &str, now: Instant) -> Result<(), GatewayError> {
        let env = Envelope::parse_dispatch(text)?;
        let Ok(op) = GatewayOpcode::try_from(env.op()) else {
            // an opcode Discord added later: ignore it
            return Ok(());
        };
        match op {
            GatewayOpcode::Hello => self.on_hello(&env, now),
            GatewayOpcode::HeartbeatAck => {
                self.acks.ack();
                let latency = self.keep_alive.ack(now);
                self.events.push_back(Event::HeartbeatAck { latency });
                Ok(())
            }
            GatewayOpcode::Heartbeat => {
                if self.heartbeat_interval.is_some() {
                    self.push_heartbeat(now, true);
                }
                Ok(())
            }
            GatewayOpcode::Dispatch => self.on_dispatch(&env),
            GatewayOpcode::Reconnect => {
                self.schedule(
                    ReconnectReason::Requested,
                    self.can_resume(),
                    Duration::ZERO,
                );
                Ok(())
            }
            GatewayOpcode::InvalidSession => {
                let resumable = match env.data() {
                    Some(d) => serde_json::from_str::<bool>(d)
                        .map_err(|e| GatewayError::payload("op 9 `d` must be a boolean", e))?,
                    None => false,
                };
                self.on_invalid_session(resumable);
                Ok(())
            }
            // send-only opcodes never arrive from a conforming server
            _ => Ok(()),
        }
    }

    fn on_hello(&mut self, env: &Envelope<'_>, now: Instant) -> Result<(), GatewayError> {
        let d = env.data().ok_or(GatewayError::Payload {
            context: "HELLO without `d`",
            source: None,
        })?;
        let hello: Hello = serde_json::from_str(d)
            .map_err(|e| GatewayError::payload("HELLO `d.heartbeat_interval`", e))?;
        if hello.heartbeat_interval == 0 || hello.heartbeat_interval > MAX_HEARTBEAT_INTERVAL_MS {
            return Err(GatewayError::Payload {
                context: "HELLO heartbeat_interval must be between 1 ms and 1 hour",
                source: None,
            });
        }
        let interval = Duration::from_millis(hello.heartbeat_interval);
        self.heartbeat_interval = Some(interval);
        self.acks = AckTracker::default();
        let jitter = self.rng.next_f64();
        self.keep_alive.start(interval, now, jitter);
        self.events.push_back(Event::Hello {
            heartbeat_interval: interval,
        });
        if self.stage != Stage::AwaitingHello {
            // a repeated HELLO only re-arms the heartbeat
            return Ok(());
        }
        match (&self.session, self.seq) {
            (Some(session), Some(seq)) => {
                let json = resume_json(&self.config.token, &session.id, seq)?;
                self.outgoing.push_back(Outgoing {
                    kind: SendKind::Resume,
                    text: json,
                });
                self.stage = Stage::Resuming;
            }
            _ => {
                self.session = None;
                let json = identify_json(&self.config)?;
                self.outgoing.push_back(Outgoing {
                    kind: SendKind::Identify,
                    text: json,
                });
                self.stage = Stage::Identifying;
            }
        }
        Ok(())
    }

    fn on_dispatch(&mut self, env: &Envelope<'_>) -> Result<(), GatewayError> {
        // the last non-null `s` is what heartbeats and RESUME report, even
        // when the dispatch itself cannot be delivered
        if let Some(seq) = env.seq() {
            if self.seq.is_none_or(|last| seq > last) {
                self.seq = Some(seq);
            }
        }
        let (Some(name), Some(seq)) = (env.event_name(), env.seq()) else {
            // without a name or a sequence there is no `Dispatch` to hand out
            return Err(GatewayError::Payload {
                context: "dispatch without `t` or `s`",
                source: None,
            });
        };
        // READY and RATE_LIMITED are read here, from the exact `d`; every
        // other dispatch is handed out with `d` as the envelope found it
        let (raw, unchecked) = match name {
            "READY" | "RATE_LIMITED" => (env.data(), false),
            _ => env.data_unchecked(),
        };
        let raw = raw.unwrap_or("null");
        // From here on the dispatch is delivered raw whatever its `d`
        // holds; a parse error of the events read from it is returned
        // after the push.
        let parsed = match name {
            "READY" => self.on_ready(raw),
            "RESUMED" => {
                if self.stage == Stage::Resuming {
                    self.stage = Stage::Ready;
                    self.resume_failures = 0;
                }
                self.events.push_back(Event::Resumed);
                Ok(())
            }
            "RATE_LIMITED" => serde_json::from_str::<RateLimited>(raw)
                .map(|rl| self.events.push_back(Event::RateLimited(rl)))
                .map_err(|e| GatewayError::payload("RATE_LIMITED `d`", e)),
            _ => Ok(()),
        };
        let name = self.names.intern(name);
        let dispatch = if unchecked {
            Dispatch::from_unchecked_text(name, seq, raw.into())
        } else {
            Dispatch::from_text(name, seq, raw)
        };
        self.events.push_back(Event::Dispatch(dispatch));
        parsed
    }

    /// READY: a new session, if `d` names one.
    fn on_ready(&mut self, raw: &str) -> Result<(), GatewayError> {
        let ready: Ready<'_> = serde_json::from_str(raw)
            .map_err(|e| GatewayError::payload("READY `session_id`", e))?;
        if ready.session_id.is_empty() {
            return Err(GatewayError::Payload {
                context: "READY with an empty `session_id`",
                source: None,
            });
        }
        let resume_url = match ready
            .resume_gateway_url
            .map(|raw| serde_json::from_str::<Option<String>>(raw.get()))
        {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(url))) => checked_resume_url(&url, &self.config.gateway_url),
            Some(Err(error)) => {
                tracing::warn!(%error, "READY `resume_gateway_url` is not a string; resuming on the gateway URL");
                None
            }
        };
        let session_id = ready.session_id.into_owned();
        self.session = Some(LiveSession {
            id: session_id.clone(),
            resume_url,
        });
        self.stage = Stage::Ready;
        self.resume_failures = 0;
        self.events.push_back(Event::Ready { session_id });
        Ok(())
    }

    fn on_invalid_session(&mut self, resumable: bool) {
        let mut resume = resumable;
        if resumable && self.stage == Stage::Resuming {
            // the gateway answered our RESUME with "may be resumable":
            // try again on the gateway URL, a limited number of times
            self.leave_failed_resume_url();
            self.resume_failures += 1;
            if self.resume_failures >= self.config.max_resume_failures {
                resume = false;
            }
        }
        if resume && self.can_resume() {
            self.schedule(
                ReconnectReason::InvalidSession { resumable: true },
                true,
                Duration::ZERO,
            );
        } else {
            self.drop_session();
            let (min, max) = self.config.invalid_session_wait;
            let wait = min + (max - min).mul_f64(self.rng.next_f64());
            self.schedule(ReconnectReason::InvalidSession { resumable }, false, wait);
        }
    }

    /// The socket closed with `code` (`None`: dropped without a close frame,
    /// e.g. 1006 or TCP loss). The verdict comes from
    /// `acord_core_signals::close_verdict`.
    pub fn recv_close_code(&mut self, code: Option<u16>) {
        if matches!(self.stage, Stage::Failed | Stage::Closed) {
            return;
        }
        let verdict = code.map_or(CloseVerdict::Resume, close_verdict);
        self.keep_alive.stop();
        self.heartbeat_interval = None;
        match verdict {
            CloseVerdict::Fatal => {
                // cannot fail: a Fatal verdict only comes from a documented code
                self.failed = code.and_then(CloseCode::from_code);
                self.stage = Stage::Failed;
                self.reconnect = None;
                self.outgoing.clear();
                self.commands.clear();
            }
            CloseVerdict::Reidentify => {
                self.drop_session();
                self.schedule(ReconnectReason::Closed(code), false, Duration::ZERO);
            }
            CloseVerdict::Resume => {
                // a drop is no verdict on the session: keep it, and only
                // leave a resume URL that failed before RESUMED
                self.leave_failed_resume_url();
                let keep = self.reconnect.filter(|r| !r.resume || self.can_resume());
                match keep {
                    // a reconnect is already scheduled (op 7, zombie): keep it
                    Some(r) => self.reconnect = Some(r),
                    None => self.schedule(
                        ReconnectReason::Closed(code),
                        self.can_resume(),
                        Duration::ZERO,
                    ),
                }
            }
        }
        self.stage = if self.stage == Stage::Failed {
            Stage::Failed
        } else {
            Stage::Disconnected
        };
    }

    /// Connecting to [`connect_url`](Self::connect_url) failed (DNS, TCP,
    /// TLS or WebSocket handshake). The session is kept however often this
    /// happens (the network may come back within Discord's resume window);
    /// when the attempt went to `resume_gateway_url`, later attempts use
    /// the gateway URL.
    pub fn on_connect_failed(&mut self) {
        if matches!(self.stage, Stage::Failed | Stage::Closed) {
            return;
        }
        if self.uses_resume_url() {
            self.forget_resume_url();
        }
        self.schedule(ReconnectReason::Driver, self.can_resume(), Duration::ZERO);
    }

    /// The connection to the resume URL failed before the session was
    /// live again (no HELLO, no RESUMED): use the gateway URL from now on.
    fn leave_failed_resume_url(&mut self) {
        if self.on_resume_url && matches!(self.stage, Stage::AwaitingHello | Stage::Resuming) {
            self.forget_resume_url();
        }
    }

    fn forget_resume_url(&mut self) {
        self.on_resume_url = false;
        if let Some(session) = &mut self.session {
            if session.resume_url.take().is_some() {
                tracing::debug!("resume_gateway_url failed; resuming on the gateway URL");
            }
        }
    }

    fn drop_session(&mut self) {
        self.session = None;
        self.seq = None;
        self.resume_failures = 0;
    }

    /// Whether the next connection will RESUME (else IDENTIFY, which an
    /// identify queue must allow first).
    pub fn next_is_resume(&self) -> bool {
        self.can_resume() && self.reconnect.is_none_or(|r| r.resume)
    }

    /// The driver wants a reconnect (a decode error, a restart). With
    /// `resume: false` the session is dropped.
    pub fn request_reconnect(&mut self, resume: bool) {
        if matches!(self.stage, Stage::Failed | Stage::Closed) {
            return;
        }
        self.leave_failed_resume_url();
        if !resume {
            self.drop_session();
        }
        self.schedule(
            ReconnectReason::Driver,
            resume && self.can_resume(),
            Duration::ZERO,
        );
    }

    /// Closes on purpose. With `end_session` the driver must close with
    /// code 1000 (the session ends, the bot goes offline); otherwise with
    /// 4000, keeping the session resumable for a later
    /// [`reopen`](Self::reopen). Returns the close code to use.
    pub fn close(&mut self, end_session: bool) -> u16 {
        self.keep_alive.stop();
        self.heartbeat_interval = None;
        self.outgoing.clear();
        self.reconnect = None;
        if self.stage != Stage::Failed {
            self.stage = Stage::Closed;
        }
        if end_session {
            self.drop_session();
            SESSION_ENDING_CLIENT_CLOSE
        } else {
            RESUMABLE_CLIENT_CLOSE
        }
    }

    /// Leaves the `Closed` stage so the connection can be driven again
    /// (resuming if the session was kept).
    pub fn reopen(&mut self) {
        if self.stage == Stage::Closed {
            self.stage = Stage::Disconnected;
        }
    }

    /// Queues a user command; it goes out once the session is live
    /// ([`Stage::Ready`]).
    pub fn send_command(&mut self, command: Command) {
        self.commands.push_back(Outgoing {
            kind: SendKind::Command,
            text: command.into_string(),
        });
    }

    /// Queues a regular heartbeat now. If the previous regular heartbeat
    /// was never ACKed the connection is a zombie (a beat that answered a
    /// server op 1 and awaits its ACK does not count): no heartbeat is queued and a
    /// resuming reconnect (close code 4000) is scheduled instead.
    pub fn queue_heartbeat(&mut self, now: Instant) {
        if self.heartbeat_interval.is_none() || self.reconnect.is_some() {
            return;
        }
        if self.acks.regular_unacked() {
            self.leave_failed_resume_url();
            self.schedule(ReconnectReason::Zombied, self.can_resume(), Duration::ZERO);
            return;
        }
        self.push_heartbeat(now, false);
    }

    /// Forgets a missing ACK. For drivers that stopped reading the socket
    /// (backpressure): an ACK may be waiting unread, so a missing one
    /// proves nothing.
    pub fn forgive_missing_ack(&mut self) {
        self.acks = AckTracker::default();
    }

    fn push_heartbeat(&mut self, now: Instant, requested: bool) {
        let text = self.keep_alive.payload(self.seq);
        self.keep_alive.heartbeat_sent(now, requested);
        self.acks.sent(requested);
        // heartbeats jump the queue
        self.outgoing.push_front(Outgoing {
            kind: SendKind::Heartbeat,
            text,
        });
        self.events.push_back(Event::HeartbeatSent {
            seq: self.seq,
            requested,
        });
    }

    /// Runs the keep-alive: queues a heartbeat when one is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.keep_alive.beat_due(now) {
            self.queue_heartbeat(now);
        }
    }

    fn schedule(&mut self, reason: ReconnectReason, resume: bool, wait: Duration) {
        let r = Reconnect {
            reason,
            resume,
            wait,
            close_code: RESUMABLE_CLIENT_CLOSE,
        };
        self.reconnect = Some(r);
        self.keep_alive.stop();
        self.heartbeat_interval = None;
        self.acks = AckTracker::default();
        self.outgoing.clear();
        if self.stage != Stage::Failed {
            self.stage = Stage::Disconnected;
        }
        self.events.push_back(Event::Reconnect(r));
    }

    pub(crate) fn can_resume(&self) -> bool {
        self.session.is_some() && self.seq.is_some()
    }

    // ----- outputs ------------------------------------------------------

    /// The next payload to send, or `None` when there is nothing to send.
    /// Heartbeats come first, then IDENTIFY/RESUME, then user commands
    /// (only once the session is live).
    pub fn poll_send(&mut self) -> Option<Outgoing> {
        if let Some(o) = self.outgoing.pop_front() {
            return Some(o);
        }
        if self.stage == Stage::Ready && self.reconnect.is_none() {
            return self.commands.pop_front();
        }
        None
    }

    /// The next heartbeat, IDENTIFY or RESUME, ignoring user commands (for
    /// drivers whose send limiter has no room for a command right now).
    pub fn poll_priority_send(&mut self) -> Option<Outgoing> {
        self.outgoing.pop_front()
    }

    /// Drains every payload ready to send (see [`poll_send`](Self::poll_send)).
    pub fn send_iter(&mut self) -> impl Iterator<Item = Outgoing> + '_ {
        std::iter::from_fn(move || self.poll_send())
    }

    /// Whether a payload is ready; `only_priority` ignores user commands.
    pub fn has_pending_send(&self, only_priority: bool) -> bool {
        !self.outgoing.is_empty()
            || (!only_priority
                && self.stage == Stage::Ready
                && self.reconnect.is_none()
                && !self.commands.is_empty())
    }

    /// User commands waiting for the session to be live.
    pub fn queued_commands(&self) -> usize {
        self.commands.len()
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.heartbeat_interval.is_some() && self.reconnect.is_none() {
            self.keep_alive.next_beat()
        } else {
            None
        }
    }

    /// The pending reconnect, if one is needed.
    pub fn should_reconnect(&self) -> Option<Reconnect> {
        self.reconnect
    }

    /// The fatal close code that ended the connection, if any; its
    /// `explanation()` says what to fix.
    pub fn failed(&self) -> Option<CloseCode> {
        self.failed
    }

    /// The fatal close as an error (for drivers), if any.
    pub fn failure(&self) -> Option<GatewayError> {
        self.failed.map(|code| GatewayError::FatalClose {
            shard: self.config.shard[0],
            code,
        })
    }

    /// Where to connect next: `resume_gateway_url` when the next connection
    /// resumes, the original gateway URL otherwise.
    pub fn connect_url(&self) -> &str {
        match self.session.as_ref().and_then(|s| s.resume_url.as_deref()) {
            Some(url) if self.next_is_resume() => url,
            _ => &self.config.gateway_url,
        }
    }

    /// Whether [`connect_url`](Self::connect_url) is the resume URL.
    fn uses_resume_url(&self) -> bool {
        self.next_is_resume() && self.resume_url().is_some()
    }

    /// The heartbeat interval from HELLO (while connected).
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        self.heartbeat_interval
    }

    /// The session to resume, as a value to store: the session id, the
    /// last sequence number and the resume URL in use (`None` once it
    /// failed). `None` when there is nothing to resume: before READY, after
    /// the gateway ended the session (op 9 `d: false`, close 4003/4007/
    /// 4009), after [`close(true)`](Self::close) and after a fatal close
    /// code. Read it at shutdown after [`close(false)`](Self::close) and
    /// pass it to [`ConnectionConfigBuilder::session`] in the next process.
    ///
    /// ```
    /// use std::time::Instant;
    /// use acord_core_gateway::{Connection, ConnectionConfig};
    /// use acord_core_signals::Intents;
    ///
    /// let config = ConnectionConfig::builder("token", Intents::GUILDS, "wss://gateway.discord.gg").build()?;
    /// let mut conn = Connection::new(config);
    /// assert!(conn.session().is_none());
    /// let now = Instant::now();
    /// conn.on_connected();
    /// conn.recv(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#, now)?;
    /// conn.recv(r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"s","resume_gateway_url":"wss://r"}}"#, now)?;
    /// conn.recv(r#"{"op":0,"s":2,"t":"GUILD_CREATE","d":{}}"#, now)?;
    /// assert_eq!(conn.close(false), 4000); // the session stays resumable
    /// let session = conn.session().expect("resumable");
    /// assert_eq!((session.id(), session.sequence(), session.resume_url()), ("s", 2, Some("wss://r")));
    /// # Ok::<(), acord_core_gateway::GatewayError>(())
    /// ```
    pub fn session(&self) -> Option<Session> {
        if self.stage == Stage::Failed {
            return None;
        }
        let (session, sequence) = (self.session.as_ref()?, self.seq?);
        Some(Session {
            id: session.id.clone(),
            sequence,
            resume_url: session.resume_url.clone(),
            shard: Some(self.config.shard),
        })
    }

    /// The session id, once READY arrived.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.id.as_str())
    }

    /// The `resume_gateway_url` from READY, while it is usable.
    pub fn resume_url(&self) -> Option<&str> {
        self.session.as_ref().and_then(|s| s.resume_url.as_deref())
    }

    /// The last sequence number received.
    pub fn sequence(&self) -> Option<u64> {
        self.seq
    }

    /// The protocol stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Whether the session is live (user commands go out).
    pub fn is_ready(&self) -> bool {
        self.stage == Stage::Ready && self.reconnect.is_none()
    }

    /// The keep-alive (latency, last ACK).
    pub fn keep_alive(&self) -> &K {
        &self.keep_alive
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }
}

/// The connection state for a session handed in by the user (see
/// [`ConnectionConfigBuilder::session`]), or nothing when it cannot be used.
fn import_session(
    session: Session,
    config: &ConnectionConfig,
) -> (Option<LiveSession>, Option<u64>) {
    if session.id.is_empty() {
        tracing::warn!("ignoring a saved session with an empty id; identifying");
        return (None, None);
    }
    if let Some(shard) = session.shard.filter(|s| *s != config.shard) {
        tracing::warn!(
            saved_for = ?shard,
            shard = ?config.shard,
            "ignoring a saved session of another shard; identifying"
        );
        return (None, None);
    }
    let resume_url = session
        .resume_url
        .and_then(|url| checked_resume_url(&url, &config.gateway_url));
    let live = LiveSession {
        id: session.id,
        resume_url,
    };
    (Some(live), Some(session.sequence))
}

fn resume_json(token: &Token, session_id: &str, seq: u64) -> Result<String, GatewayError> {
    #[derive(Serialize)]
    struct Resume<'a> {
        token: &'a str,
        session_id: &'a str,
        seq: u64,
    }
    payload_json(
        GatewayOpcode::Resume,
        &Resume {
            token: token.expose_secret(),
            session_id,
            seq,
        },
    )
}

#[cfg(test)]
mod tests;
