//! One gateway connection: handshake and query parameters, HELLO,
//! IDENTIFY/RESUME, heartbeats, the send rate limit and closing
//! (discord-protocol.md §3, §4).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use acord_core_signals::limits::{
    GATEWAY_MAX_PAYLOAD, GATEWAY_SENDS_PER_WINDOW, GATEWAY_SEND_WINDOW, LARGE_THRESHOLD_RANGE,
    MAX_GUILDS_PER_SHARD,
};
use acord_core_signals::{
    client_close_ends_session, close_verdict, shard_for_guild, CloseCode, Compression, Encoding,
    GatewayOpcode, Intents, SUPPORTED_API_VERSIONS,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::codec::Encoder;
use super::commands::{self, Reject};
use super::session::snowflake;
use super::{Control, IdentifyRefusal, Queued, ResumeOutcome};
use crate::record::{lock, CounterSet, GatewayPayloadRecord};
use crate::server::Shared;

/// Close codes RFC 6455 forbids in a close frame (1005 no status, 1006
/// abnormal closure, 1015 TLS failure); closing "with" them drops TCP.
const NO_CLOSE_FRAME: [u16; 3] = [1005, 1006, 1015];

/// How long the server waits for the client's close frame after sending
/// its own.
const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// Whether the connection loop goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Serves one accepted TCP connection until it closes.
// The handshake callback's error type is tungstenite's, not ours.
#[allow(clippy::result_large_err)]
pub(crate) async fn run(stream: TcpStream, shared: Arc<Shared>) {
    let mut query: Option<String> = None;
    let callback = |request: &Request, response: Response| {
        query = request.uri().query().map(str::to_owned);
        Ok(response)
    };
    let ws = tokio::select! {
        () = shared.cancel.cancelled() => return,
        accepted = tokio_tungstenite::accept_hdr_async(stream, callback) => match accepted {
            Ok(ws) => ws,
            Err(err) => {
                tracing::debug!(%err, "gateway handshake failed");
                return;
            }
        },
    };
    CounterSet::bump(&shared.counters.gateway_connections);
    let (id, control, wake) = shared.gateway.register();
    tracing::info!(
        connection = id,
        query = query.as_deref().unwrap_or(""),
        "gateway connection"
    );
    let mut conn = Conn {
        id,
        interval: shared.config.heartbeat_interval,
        shared: Arc::clone(&shared),
        ws,
        encoder: Encoder::Plain,
        control,
        wake,
        session: None,
        shard: None,
        cursor: 0,
        last_heartbeat: Instant::now(),
        sends: VecDeque::new(),
        ending: None,
    };
    match parse_query(query.as_deref()).and_then(encoder_for) {
        Ok(encoder) => {
            conn.encoder = encoder;
            conn.serve().await;
        }
        Err((code, reason)) => conn.close(code.code(), &reason).await,
    }
    shared.gateway.unregister(id);
    // One line per connection with its id, query and how it closed
    // (issue 3 point 5: `serve` logs every connection).
    // `close_code` is left out when the transport failed without a close.
    let (closed_by, close_code) = match conn.ending {
        Some((by, code)) => (by, Some(code)),
        None => ("transport", None),
    };
    tracing::info!(
        connection = id,
        query = query.as_deref().unwrap_or(""),
        closed_by,
        close_code,
        "gateway connection ended"
    );
}

/// The encoder for a connection's transport compression.
fn encoder_for(compression: Option<Compression>) -> Result<Encoder, (CloseCode, String)> {
    match compression {
        None => Ok(Encoder::Plain),
        Some(Compression::ZlibStream) => Ok(Encoder::zlib()),
        #[cfg(feature = "zstd")]
        Some(Compression::ZstdStream) => Encoder::zstd().map_err(|err| {
            (
                CloseCode::UnknownError,
                format!("zstd context unavailable: {err}"),
            )
        }),
        Some(other) => Err((
            CloseCode::DecodeError,
            format!("acord-testkit cannot send compress={other}"),
        )),
    }
}

/// Validates `v`, `encoding` and `compress` (§3.2). Returns the transport
/// compression, or the close code and reason.
///
/// - `v` missing or not 9/10 → 4012 (Invalid API version).
/// - `encoding` other than `json` (default `json` when absent) → 4002:
///   the fake cannot encode or decode ETF, and 4002 "Decode error" is the
///   code Discord uses for payloads in a form it cannot decode; the reason
///   text says why.
/// - `compress` other than `zlib-stream` or `zstd-stream` (absent = none)
///   → 4002 likewise; so is `zstd-stream` when the fake was built without
///   its `zstd` feature (the reason says so).
fn parse_query(query: Option<&str>) -> Result<Option<Compression>, (CloseCode, String)> {
    let mut version = None;
    let mut encoding = None;
    let mut compress = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "v" => version = Some(value),
            "encoding" => encoding = Some(value),
            "compress" => compress = Some(value),
            _ => {}
        }
    }
    let version_ok = version
        .and_then(|v| v.parse::<u8>().ok())
        .is_some_and(|v| SUPPORTED_API_VERSIONS.contains(&v));
    if !version_ok {
        return Err((
            CloseCode::InvalidApiVersion,
            format!(
                "invalid gateway version {:?}; use v=10",
                version.unwrap_or("")
            ),
        ));
    }
    match encoding.map(Encoding::from_query) {
        None | Some(Some(Encoding::Json)) => {}
        Some(_) => {
            return Err((
                CloseCode::DecodeError,
                "acord-testkit speaks encoding=json only".to_owned(),
            ))
        }
    }
    match compress.map(Compression::from_query) {
        None => Ok(None),
        Some(Some(Compression::ZlibStream)) => Ok(Some(Compression::ZlibStream)),
        #[cfg(feature = "zstd")]
        Some(Some(Compression::ZstdStream)) => Ok(Some(Compression::ZstdStream)),
        #[cfg(not(feature = "zstd"))]
        Some(Some(Compression::ZstdStream)) => Err((
            CloseCode::DecodeError,
            "this acord-testkit was built without its `zstd` feature; \
             use compress=zlib-stream or build with --features zstd"
                .to_owned(),
        )),
        Some(_) => Err((
            CloseCode::DecodeError,
            "acord-testkit supports compress=zlib-stream and zstd-stream".to_owned(),
        )),
    }
}

struct Conn {
    id: u64,
    interval: Duration,
    shared: Arc<Shared>,
    ws: WebSocketStream<TcpStream>,
    encoder: Encoder,
    control: mpsc::Receiver<Queued>,
    wake: Arc<Notify>,
    /// The session this connection is identified/resumed as.
    session: Option<String>,
    shard: Option<[u32; 2]>,
    /// The last sequence number sent on this connection.
    cursor: u64,
    last_heartbeat: Instant,
    /// When each payload of the current send window arrived.
    sends: VecDeque<Instant>,
    /// Who ended the connection (`server`, `client`, or `dropped` for a
    /// TCP drop on demand) and the close code, for the log.
    ending: Option<(&'static str, u16)>,
}

impl Conn {
    async fn serve(&mut self) {
        let hello = json!({
            "op": GatewayOpcode::Hello.code(),
            "d": {"heartbeat_interval": millis(self.interval)},
            "s": null,
            "t": null,
        });
        if self.send_json(&hello).await.is_err() {
            return;
        }
        self.last_heartbeat = Instant::now();
        let cancel = self.shared.cancel.clone();
        loop {
            let deadline = heartbeat_deadline(self.last_heartbeat, self.interval);
            // Biased: a heartbeat already waiting in the socket is read
            // before the deadline is judged (a long replay must not cause
            // a spurious 4009).
            let flow = tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.close(1001, "server shutting down").await;
                    Flow::Stop
                }
                message = self.ws.next() => self.on_message(message).await,
                Some((command, upto)) = self.control.recv() => self.on_control(command, upto).await,
                () = self.wake.notified() => self.flush_events().await,
                () = tokio::time::sleep_until(deadline) => {
                    self.close(CloseCode::SessionTimedOut.code(), "no heartbeat received in time").await;
                    Flow::Stop
                }
            };
            if flow == Flow::Stop {
                return;
            }
        }
    }

    /// Sends a JSON payload through the connection's encoder.
    async fn send_json(&mut self, payload: &Value) -> Result<(), WsError> {
        self.send_text(&payload.to_string()).await
    }

    async fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        self.feed_text(text).await?;
        self.ws.flush().await
    }

    /// Queues one gateway message without flushing the socket.
    async fn feed_text(&mut self, text: &str) -> Result<(), WsError> {
        let split = self.shared.gateway.frame_split();
        let messages = self.encoder.encode(text, split).map_err(WsError::Io)?;
        for message in messages {
            self.ws.feed(message).await?;
        }
        Ok(())
    }

    /// Sends every dispatch of the session not sent yet.
    async fn flush_events(&mut self) -> Flow {
        self.flush_events_upto(u64::MAX).await
    }

    /// Sends the dispatches not sent yet up to sequence number `upto`.
    async fn flush_events_upto(&mut self, upto: u64) -> Flow {
        let Some(session) = &self.session else {
            return Flow::Continue;
        };
        let Some(events) = self
            .shared
            .gateway
            .events_after(session, self.id, self.cursor)
        else {
            return Flow::Continue;
        };
        for event in events.into_iter().take_while(|e| e.seq <= upto) {
            if self.feed_text(&event.payload).await.is_err() {
                return Flow::Stop;
            }
            self.cursor = event.seq;
        }
        if self.ws.flush().await.is_err() {
            return Flow::Stop;
        }
        Flow::Continue
    }

    async fn on_control(&mut self, command: Control, upto: Option<u64>) -> Flow {
        if let Some(upto) = upto {
            if self.flush_events_upto(upto).await == Flow::Stop {
                return Flow::Stop;
            }
        }
        let sent = match command {
            Control::Reconnect => {
                self.send_json(&non_dispatch(GatewayOpcode::Reconnect, Value::Null))
                    .await
            }
            Control::InvalidSession(resumable) => {
                if let Some(session) = self.session.take() {
                    if resumable {
                        self.shared.gateway.detach(&session, self.id);
                    } else {
                        self.shared.gateway.discard(&session);
                    }
                    self.shard = None;
                }
                self.send_invalid_session(resumable).await
            }
            Control::Heartbeat => {
                self.send_json(&non_dispatch(GatewayOpcode::Heartbeat, Value::Null))
                    .await
            }
            Control::Close(code) if NO_CLOSE_FRAME.contains(&code) => {
                // These codes never travel in a close frame: drop the TCP
                // connection instead; the session stays resumable (§3.9).
                if let Some(session) = self.session.take() {
                    self.shared.gateway.detach(&session, self.id);
                }
                tracing::info!(connection = self.id, code, "dropping the connection");
                self.ending = Some(("dropped", code));
                return Flow::Stop;
            }
            Control::Close(code) => {
                self.close(code, "closed by the test").await;
                return Flow::Stop;
            }
            Control::Corrupt => {
                let message = self.encoder.corrupt();
                self.ws.send(message).await
            }
            Control::Superseded => {
                // The session now belongs to another connection: leave it.
                self.session = None;
                self.close(
                    CloseCode::UnknownError.code(),
                    "session resumed on another connection",
                )
                .await;
                return Flow::Stop;
            }
        };
        if sent.is_err() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    async fn send_invalid_session(&mut self, resumable: bool) -> Result<(), WsError> {
        CounterSet::bump(&self.shared.counters.invalid_sessions_sent);
        self.send_json(&non_dispatch(
            GatewayOpcode::InvalidSession,
            Value::Bool(resumable),
        ))
        .await
    }

    /// Closes the connection with `code`. A code whose verdict is not
    /// "resume" (4003, 4007, 4009, fatal codes) discards the session; any
    /// other keeps it resumable (§4.2).
    async fn close(&mut self, code: u16, reason: &str) {
        if let Some(session) = self.session.take() {
            if close_verdict(code).can_resume() {
                self.shared.gateway.detach(&session, self.id);
            } else {
                self.shared.gateway.discard(&session);
            }
        }
        tracing::info!(
            connection = self.id,
            code,
            reason,
            "closing gateway connection"
        );
        self.ending = Some(("server", code));
        let frame = CloseFrame {
            code: WsCloseCode::from(code),
            reason: reason.into(),
        };
        if self.ws.send(Message::Close(Some(frame))).await.is_ok() {
            self.drain().await;
        }
    }

    /// Reads until the client completes the closing handshake (or a short
    /// grace period ends).
    async fn drain(&mut self) {
        let drain = async { while let Some(Ok(_)) = self.ws.next().await {} };
        // Timing out only means the client did not answer the close.
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }

    fn record(&self, op: u8, text: String) {
        self.record_as(op, text, self.shard);
    }

    fn record_as(&self, op: u8, text: String, shard: Option<[u32; 2]>) {
        self.shared.log.push_payload(GatewayPayloadRecord {
            connection: self.id,
            shard,
            op,
            json: text,
            at: std::time::Instant::now(),
        });
    }

    async fn on_message(&mut self, message: Option<Result<Message, WsError>>) -> Flow {
        match message {
            None | Some(Err(_)) => Flow::Stop,
            Some(Ok(Message::Text(text))) => self.on_payload(text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => {
                // Clients never compress, and ETF is not supported here.
                self.record(u8::MAX, String::from_utf8_lossy(&bytes).into_owned());
                self.close(
                    CloseCode::DecodeError.code(),
                    "binary payloads (ETF) are not supported",
                )
                .await;
                Flow::Stop
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                self.shared
                    .log
                    .push_close(crate::record::ClientCloseRecord {
                        connection: self.id,
                        shard: self.shard,
                        code,
                    });
                if let Some(session) = self.session.take() {
                    if client_close_ends_session(code) {
                        self.shared.gateway.discard(&session);
                    } else {
                        self.shared.gateway.detach(&session, self.id);
                    }
                }
                tracing::info!(connection = self.id, code, "client closed the connection");
                self.ending = Some(("client", code));
                self.drain().await;
                Flow::Stop
            }
            Some(Ok(_)) => {
                // Ping: tungstenite queued the pong; flushing sends it.
                if self.ws.flush().await.is_err() {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            }
        }
    }

    async fn on_payload(&mut self, text: &str) -> Flow {
        let now = Instant::now();
        let parsed = serde_json::from_str::<Value>(text).ok();
        let op = parsed
            .as_ref()
            .and_then(|v| v.get("op"))
            .and_then(Value::as_u64)
            .and_then(|op| u8::try_from(op).ok());
        // An IDENTIFY is logged with the shard it asks for, so tests can
        // tell which shard identified when, even if it is refused.
        let claimed = (op == Some(2))
            .then(|| parsed.as_ref()?.get("d")?.get("shard")?.as_array().cloned())
            .flatten()
            .and_then(|pair| match pair.as_slice() {
                [id, count] => Some([
                    u32::try_from(id.as_u64()?).ok()?,
                    u32::try_from(count.as_u64()?).ok()?,
                ]),
                _ => None,
            });
        self.record_as(
            op.unwrap_or(u8::MAX),
            text.to_owned(),
            claimed.or(self.shard),
        );

        self.sends.push_back(now);
        while self
            .sends
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= GATEWAY_SEND_WINDOW)
        {
            self.sends.pop_front();
        }
        if self.sends.len() > GATEWAY_SENDS_PER_WINDOW as usize {
            return self
                .reject(CloseCode::RateLimited, "more than 120 payloads in 60 s")
                .await;
        }
        if text.len() > GATEWAY_MAX_PAYLOAD {
            return self
                .reject(CloseCode::DecodeError, "payload over 4096 bytes")
                .await;
        }
        let Some(payload) = parsed.filter(Value::is_object) else {
            return self
                .reject(CloseCode::DecodeError, "payload is not a JSON object")
                .await;
        };
        let Some(opcode) = op.and_then(|op| GatewayOpcode::try_from(op).ok()) else {
            return self
                .reject(CloseCode::UnknownOpcode, "unknown opcode")
                .await;
        };
        if !opcode.is_sent() {
            return self
                .reject(CloseCode::UnknownOpcode, "opcode is not sent by clients")
                .await;
        }
        let d = payload.get("d").unwrap_or(&Value::Null);
        match opcode {
            GatewayOpcode::Heartbeat => self.on_heartbeat(d).await,
            GatewayOpcode::Identify | GatewayOpcode::Resume if self.session.is_some() => {
                self.reject(CloseCode::AlreadyAuthenticated, "already authenticated")
                    .await
            }
            GatewayOpcode::Identify => self.on_identify(d).await,
            GatewayOpcode::Resume => self.on_resume(d).await,
            _ => {
                let Some(session) = self.session.clone() else {
                    return self
                        .reject(CloseCode::NotAuthenticated, "not authenticated")
                        .await;
                };
                let shard = self.shard.unwrap_or([0, 1]);
                let outcome = commands::handle(&self.shared, &session, shard, opcode, d);
                match outcome {
                    Ok(()) => Flow::Continue,
                    Err(Reject(code, reason)) => self.reject(code, reason).await,
                }
            }
        }
    }

    async fn reject(&mut self, code: CloseCode, reason: &str) -> Flow {
        self.close(code.code(), reason).await;
        Flow::Stop
    }

    async fn on_heartbeat(&mut self, d: &Value) -> Flow {
        CounterSet::bump(&self.shared.counters.heartbeats_received);
        self.last_heartbeat = Instant::now();
        match d {
            Value::Null => {}
            Value::Number(n) if n.is_u64() => {
                if let (Some(session), Some(seq)) = (&self.session, n.as_u64()) {
                    self.shared.gateway.acknowledge(session, seq);
                }
            }
            _ => {
                return self
                    .reject(
                        CloseCode::UnknownOpcode,
                        "heartbeat d must be the last sequence number or null",
                    )
                    .await
            }
        }
        if !self.shared.gateway.heartbeat_acks() {
            return Flow::Continue;
        }
        let ack = json!({"op": GatewayOpcode::HeartbeatAck.code()});
        if self.send_json(&ack).await.is_err() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    async fn on_identify(&mut self, d: &Value) -> Flow {
        CounterSet::bump(&self.shared.counters.identifies);
        let identify = match validate_identify(&self.shared, d) {
            Ok(identify) => identify,
            Err(Reject(code, reason)) => return self.reject(code, reason).await,
        };
        match self.shared.gateway.try_start(identify.shard[0]) {
            Err(refusal) => {
                if refusal == IdentifyRefusal::Concurrency {
                    CounterSet::bump(&self.shared.counters.identify_concurrency_violations);
                }
                tracing::info!(connection = self.id, ?refusal, "IDENTIFY refused");
                if self.send_invalid_session(false).await.is_err() {
                    return Flow::Stop;
                }
                Flow::Continue
            }
            Ok(()) => {
                let (ready, guilds) = ready_and_guilds(&self.shared, &identify);
                let session = self.shared.gateway.create_session(
                    self.id,
                    identify.shard,
                    identify.intents,
                    ready,
                    guilds,
                );
                tracing::info!(connection = self.id, shard = ?identify.shard, "session started");
                self.session = Some(session);
                self.shard = Some(identify.shard);
                self.cursor = 0;
                self.flush_events().await
            }
        }
    }

    async fn on_resume(&mut self, d: &Value) -> Flow {
        CounterSet::bump(&self.shared.counters.resumes);
        if !token_matches(d, &self.shared.config.token) {
            return self
                .reject(CloseCode::AuthenticationFailed, "invalid token")
                .await;
        }
        let Some(session_id) = d.get("session_id").and_then(Value::as_str) else {
            return self
                .reject(CloseCode::UnknownOpcode, "RESUME needs a session_id")
                .await;
        };
        let seq = match d.get("seq") {
            None | Some(Value::Null) => 0,
            Some(value) => match value.as_u64() {
                Some(seq) => seq,
                None => {
                    return self
                        .reject(CloseCode::InvalidSeq, "seq is not a sequence number")
                        .await
                }
            },
        };
        match self.shared.gateway.resume(self.id, session_id, seq) {
            ResumeOutcome::Resumed { shard } => {
                tracing::info!(connection = self.id, ?shard, seq, "session resumed");
                self.session = Some(session_id.to_owned());
                self.shard = Some(shard);
                self.cursor = seq;
                self.flush_events().await
            }
            ResumeOutcome::Invalid => {
                if self.send_invalid_session(false).await.is_err() {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            }
            ResumeOutcome::SeqAhead => {
                self.reject(CloseCode::InvalidSeq, "seq is ahead of the session")
                    .await
            }
        }
    }
}

/// A non-dispatch payload as Discord sends it (`s` and `t` null).
fn non_dispatch(op: GatewayOpcode, d: Value) -> Value {
    json!({"op": op.code(), "d": d, "s": null, "t": null})
}

/// When a connection without a heartbeat since `last` is closed with 4009:
/// 1.5 × `interval` later (a year later for an interval too large to add,
/// e.g. `serve --heartbeat-ms 18446744073709551615`, instead of a panic).
fn heartbeat_deadline(last: Instant, interval: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(365 * 24 * 3600);
    interval
        .checked_mul(3)
        .map(|triple| triple / 2)
        .and_then(|grace| last.checked_add(grace))
        .unwrap_or(last + FAR)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A validated IDENTIFY.
#[derive(Debug)]
struct Identify {
    shard: [u32; 2],
    /// Whether IDENTIFY carried `shard` (READY echoes it only then).
    shard_sent: bool,
    intents: Intents,
    large_threshold: u64,
}

/// Validates IDENTIFY (§3.7) in Discord's order of concern.
fn validate_identify(shared: &Shared, d: &Value) -> Result<Identify, Reject> {
    if !d.is_object() {
        return Err(Reject(
            CloseCode::UnknownOpcode,
            "IDENTIFY d must be an object",
        ));
    }
    if !token_matches(d, &shared.config.token) {
        return Err(Reject(CloseCode::AuthenticationFailed, "invalid token"));
    }
    let properties = d.get("properties").and_then(Value::as_object);
    let properties_ok = properties.is_some_and(|p| {
        ["os", "browser", "device"].iter().all(|key| {
            p.get(*key)
                .or_else(|| p.get(&format!("${key}")))
                .is_some_and(Value::is_string)
        })
    });
    if !properties_ok {
        return Err(Reject(
            CloseCode::UnknownOpcode,
            "IDENTIFY properties must have os, browser and device",
        ));
    }
    let Some(intents) = d
        .get("intents")
        .and_then(Value::as_u64)
        .and_then(Intents::from_bits_checked)
    else {
        return Err(Reject(CloseCode::InvalidIntents, "invalid intents"));
    };
    let disallowed = intents & Intents::PRIVILEGED & !shared.config.privileged_intents;
    if !disallowed.is_empty() {
        return Err(Reject(
            CloseCode::DisallowedIntents,
            "privileged intent not enabled for this application",
        ));
    }
    let (shard, shard_sent) = match d.get("shard") {
        None | Some(Value::Null) => ([0, 1], false),
        Some(value) => (parse_shard(value)?, true),
    };
    let large_threshold = match d.get("large_threshold") {
        None | Some(Value::Null) => u64::from(LARGE_THRESHOLD_RANGE.0),
        Some(value) => match value.as_u64() {
            Some(t)
                if (u64::from(LARGE_THRESHOLD_RANGE.0)..=u64::from(LARGE_THRESHOLD_RANGE.1))
                    .contains(&t) =>
            {
                t
            }
            _ => {
                return Err(Reject(
                    CloseCode::UnknownOpcode,
                    "large_threshold must be 50..=250",
                ))
            }
        },
    };
    if let Some(presence) = d.get("presence").filter(|p| !p.is_null()) {
        commands::validate_presence(presence)?;
    }
    let guilds_on_shard = lock(&shared.world)
        .guild_ids()
        .into_iter()
        .filter(|g| shard_for_guild(*g, shard[1]) == shard[0])
        .count();
    if guilds_on_shard > MAX_GUILDS_PER_SHARD as usize {
        return Err(Reject(
            CloseCode::ShardingRequired,
            "too many guilds for one session",
        ));
    }
    Ok(Identify {
        shard,
        shard_sent,
        intents,
        large_threshold,
    })
}

/// `[shard_id, num_shards]` with `num_shards >= 1` and `shard_id <
/// num_shards`; anything else is close 4010. Any `num_shards` is accepted,
/// not only the recommended one: Discord lets different shard counts
/// coexist (§3.15).
fn parse_shard(value: &Value) -> Result<[u32; 2], Reject> {
    let invalid = Reject(CloseCode::InvalidShard, "invalid shard");
    let pair = value.as_array().filter(|a| a.len() == 2).ok_or(invalid)?;
    let id = pair[0].as_u64().and_then(|v| u32::try_from(v).ok());
    let count = pair[1].as_u64().and_then(|v| u32::try_from(v).ok());
    match (id, count) {
        (Some(id), Some(count)) if count >= 1 && id < count => Ok([id, count]),
        _ => Err(invalid),
    }
}

/// The READY builder and the GUILD_CREATE payloads for a new session,
/// read from the world (the lock is released before returning).
fn ready_and_guilds(
    shared: &Shared,
    identify: &Identify,
) -> (impl FnOnce(&str) -> Value, Vec<Value>) {
    let world = lock(&shared.world);
    let [shard_id, shard_count] = identify.shard;
    let guild_ids: Vec<u64> = world
        .guild_ids()
        .into_iter()
        .filter(|g| shard_for_guild(*g, shard_count) == shard_id)
        .collect();
    let bot_id = world.bot_user_id();
    let guilds: Vec<Value> = guild_ids
        .iter()
        .filter_map(|g| world.guild_create(*g))
        .map(|g| shape_members(g, identify, bot_id))
        .collect();
    let user = world.bot_user.clone();
    let application_id = world.application_id;
    drop(world);

    let flags = crate::config::application_flags(shared.config.privileged_intents);
    let unavailable: Vec<Value> = guild_ids
        .iter()
        .map(|g| json!({"id": g.to_string(), "unavailable": true}))
        .collect();
    let resume_url = shared.gateway_url.clone();
    let shard = identify.shard_sent.then_some(identify.shard);
    let ready = move |session_id: &str| {
        let mut d = json!({
            "v": acord_core_signals::API_VERSION,
            "user": user,
            "guilds": unavailable,
            "session_id": session_id,
            "resume_gateway_url": resume_url,
            "application": {"id": application_id.to_string(), "flags": flags},
        });
        if let (Some(shard), Some(obj)) = (shard, d.as_object_mut()) {
            obj.insert("shard".into(), json!(shard));
        }
        d
    };
    (ready, guilds)
}

/// Applies §5.2's initial member list rules to a GUILD_CREATE:
/// - without GUILD_PRESENCES: only the bot itself among the members (the
///   fake has no voice states) and no presences;
/// - above `large_threshold`: only members that are online, have a role or
///   a nickname (plus the bot), and only non-offline presences;
/// - otherwise everyone.
///
/// `member_count` stays the whole guild; `large` uses the session's
/// `large_threshold`.
fn shape_members(mut guild: Value, identify: &Identify, bot_id: u64) -> Value {
    let count = guild["members"].as_array().map_or(0, Vec::len);
    let large = count as u64 > identify.large_threshold;
    let with_presences = identify.intents.contains(Intents::GUILD_PRESENCES);
    let online: Vec<u64> = guild["presences"]
        .as_array()
        .map(|presences| {
            presences
                .iter()
                .filter(|p| p["status"].as_str().is_some_and(|s| s != "offline"))
                .filter_map(|p| snowflake(&p["user"]["id"]))
                .collect()
        })
        .unwrap_or_default();
    if let Some(members) = guild.get_mut("members").and_then(Value::as_array_mut) {
        members.retain(|m| {
            let id = snowflake(&m["user"]["id"]);
            if id == Some(bot_id) {
                return true;
            }
            if !with_presences {
                return false;
            }
            if !large {
                return true;
            }
            let has_role = m["roles"].as_array().is_some_and(|r| !r.is_empty());
            has_role || !m["nick"].is_null() || id.is_some_and(|id| online.contains(&id))
        });
    }
    if let Some(presences) = guild.get_mut("presences").and_then(Value::as_array_mut) {
        presences.retain(|p| {
            with_presences && (!large || p["status"].as_str().is_some_and(|s| s != "offline"))
        });
    }
    if let Some(obj) = guild.as_object_mut() {
        obj.insert("large".into(), Value::Bool(large));
        obj.insert("member_count".into(), json!(count));
    }
    guild
}

/// Whether IDENTIFY's or RESUME's `token` is the bot's. Clients normally
/// send the bare token, but Discord's production gateway also accepts
/// `Bot <token>` (twilight-gateway sends that form), so the fake does too.
fn token_matches(d: &Value, expected: &str) -> bool {
    d.get("token")
        .and_then(Value::as_str)
        .is_some_and(|t| t == expected || t.strip_prefix("Bot ") == Some(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_deadline_is_one_and_a_half_intervals_and_never_overflows() {
        let now = Instant::now();
        assert_eq!(
            heartbeat_deadline(now, Duration::from_millis(100)),
            now + Duration::from_millis(150)
        );
        assert!(heartbeat_deadline(now, Duration::MAX) > now + Duration::from_secs(3600));
        assert!(
            heartbeat_deadline(now, Duration::from_millis(u64::MAX))
                > now + Duration::from_secs(3600)
        );
    }

    #[test]
    fn query_parameters() {
        assert_eq!(parse_query(Some("v=10&encoding=json")), Ok(None));
        assert_eq!(parse_query(Some("v=9")), Ok(None));
        assert_eq!(
            parse_query(Some("v=10&encoding=json&compress=zlib-stream")),
            Ok(Some(Compression::ZlibStream))
        );
        let code = |q| parse_query(q).map_err(|(c, _)| c);
        assert_eq!(code(None), Err(CloseCode::InvalidApiVersion));
        assert_eq!(
            code(Some("v=8&encoding=json")),
            Err(CloseCode::InvalidApiVersion)
        );
        assert_eq!(code(Some("v=10&encoding=etf")), Err(CloseCode::DecodeError));
        assert_eq!(
            code(Some("v=10&compress=deflate")),
            Err(CloseCode::DecodeError)
        );
        #[cfg(feature = "zstd")]
        assert_eq!(
            parse_query(Some("v=10&encoding=json&compress=zstd-stream")),
            Ok(Some(Compression::ZstdStream))
        );
        #[cfg(not(feature = "zstd"))]
        assert_eq!(
            code(Some("v=10&compress=zstd-stream")),
            Err(CloseCode::DecodeError)
        );
    }

    fn identify(intents: Intents) -> Identify {
        Identify {
            shard: [0, 1],
            shard_sent: false,
            intents,
            large_threshold: 50,
        }
    }

    fn guild(members: usize) -> Value {
        let members: Vec<Value> = (1..=members as u64)
            .map(|id| {
                let roles = if id == 3 { json!(["9"]) } else { json!([]) };
                json!({"user": {"id": id.to_string()}, "roles": roles, "nick": null})
            })
            .collect();
        let presences = json!([
            {"user": {"id": "2"}, "status": "online"},
            {"user": {"id": "4"}, "status": "offline"},
        ]);
        json!({"members": members, "presences": presences})
    }

    fn ids(guild: &Value, key: &str) -> Vec<u64> {
        guild[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| snowflake(&m["user"]["id"]).unwrap())
            .collect()
    }

    #[test]
    fn initial_member_lists_follow_presences_and_large_threshold() {
        let without = shape_members(guild(10), &identify(Intents::GUILDS), 1);
        assert_eq!(ids(&without, "members"), vec![1]);
        assert!(ids(&without, "presences").is_empty());
        assert_eq!(without["member_count"], 10);

        let with = Intents::GUILDS | Intents::GUILD_PRESENCES;
        let small = shape_members(guild(10), &identify(with), 1);
        assert_eq!(ids(&small, "members").len(), 10);
        assert_eq!(ids(&small, "presences"), vec![2, 4]);
        assert_eq!(small["large"], false);

        let large = shape_members(guild(60), &identify(with), 1);
        assert_eq!(ids(&large, "members"), vec![1, 2, 3]);
        assert_eq!(ids(&large, "presences"), vec![2]);
        assert_eq!(large["large"], true);
        assert_eq!(large["member_count"], 60);
    }

    #[test]
    fn shard_validation() {
        assert!(parse_shard(&json!([0, 1])).is_ok());
        assert!(parse_shard(&json!([3, 4])).is_ok());
        for bad in [
            json!([1, 1]),
            json!([0, 0]),
            json!([0]),
            json!("0,1"),
            json!([-1, 2]),
        ] {
            assert_eq!(
                parse_shard(&bad).err().map(|r| r.0),
                Some(CloseCode::InvalidShard)
            );
        }
    }
}
