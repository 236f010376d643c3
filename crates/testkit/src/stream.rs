//! Stream mode: a gateway that sends a fixed, seeded mix of dispatches as
//! fast as the socket takes them, for ingest benchmarks.
//!
//! [`FakeDiscord::start_stream`] opens a second gateway listener on
//! loopback. Each connection goes through the usual opening, then gets the
//! whole stream:
//!
//! 1. HELLO (the fake's heartbeat interval), then the client's IDENTIFY
//!    (the token is checked; intents are not: the client should ask for
//!    every intent the mix needs, see [`StreamSpec`]).
//! 2. READY (the fake's bot user, `guilds` unavailable), then one
//!    GUILD_CREATE per guild of the stream's pool (200 members each by
//!    default, about 115 KB with the fixtures' members and presences).
//! 3. [`StreamSpec::events`] dispatches, written back to back: the socket's
//!    flow control is the only brake. Heartbeats are answered (op 11)
//!    between two dispatches.
//! 4. A last MESSAGE_CREATE whose `content` is [`STREAM_END_CONTENT`] (so a
//!    client that only handles MESSAGE_CREATE sees the end too), then a
//!    close frame with code 4000.
//!
//! The payload text is built once, when the stream starts (the same seed
//! gives the same bytes), so the fake's own cost per connection is the
//! transport compression alone: zlib-stream (one deflate context per
//! connection, every message sync-flushed, one binary frame per message, as
//! Discord does), zstd-stream with the `zstd` feature, or plain JSON text.
//! RESUME is answered with op 9 `d:false`: a stream is not replayed.
//!
//! The fake writes like a real server: a write waits until the socket
//! takes it (tungstenite holds at most its 128 KiB write buffer plus one
//! message in user space), so a client that stops reading stops the
//! stream once the socket buffers on both sides are full.
//! [`StreamGateway::progress`] tells how far the fake got: the bytes the
//! kernel accepted from it, the dispatches handed to the WebSocket layer
//! and the heartbeats read and answered.

use std::collections::HashMap;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use acord_core_signals::GatewayOpcode;
use bytes::Bytes;
use flate2::write::ZlibEncoder;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tracing::Instrument;

use crate::fixtures::{self, Generator, GuildFixture};
use crate::record::lock;
use crate::server::{FakeDiscord, Shared};

/// The `content` of the MESSAGE_CREATE that ends every stream.
pub const STREAM_END_CONTENT: &str = "acord-testkit:stream-end";

/// The close code sent after the last dispatch of a stream.
pub const STREAM_END_CLOSE_CODE: u16 = 4000;

/// What a stream sends: how many dispatches, from which seed, with how
/// many guilds of how many members.
///
/// The mix, per 100 dispatches: 40 small MESSAGE_CREATEs, 10 with embeds
/// and mentions, 15 PRESENCE_UPDATE, 15 TYPING_START, 8
/// MESSAGE_REACTION_ADD, 2 MESSAGE_REACTION_REMOVE, 9 GUILD_MEMBER_UPDATE
/// and 1 GUILD_CREATE of a pool guild (its whole member list: about 115 KB
/// with 200 members). The order is drawn from the seed. The client needs
/// the intents GUILDS, GUILD_MEMBERS, GUILD_PRESENCES, GUILD_MESSAGES,
/// GUILD_MESSAGE_REACTIONS, GUILD_MESSAGE_TYPING and MESSAGE_CONTENT to be
/// sent such a mix by Discord (the stream does not check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    events: usize,
    seed: u64,
    guilds: usize,
    members: usize,
    precompressed: bool,
}

impl StreamSpec {
    /// `events` dispatches after READY and the GUILD_CREATEs (the end
    /// marker not counted), seed 1, 4 guilds of 200 members.
    pub fn new(events: usize) -> StreamSpec {
        StreamSpec {
            events,
            seed: 1,
            guilds: 4,
            members: 200,
            precompressed: false,
        }
    }

    /// The seed of the mix (same seed, same bytes).
    pub fn seed(mut self, seed: u64) -> StreamSpec {
        self.seed = seed;
        self
    }

    /// How many guilds the stream's events happen in (at least 1).
    pub fn guilds(mut self, guilds: usize) -> StreamSpec {
        self.guilds = guilds.max(1);
        self
    }

    /// Members per guild (at least 2).
    pub fn members(mut self, members: usize) -> StreamSpec {
        self.members = members.max(2);
        self
    }

    /// `true`: compress the whole stream once, when it starts, and replay
    /// the same bytes to every connection, so the fake sends far faster
    /// than a client can inflate and parse (a backlog builds up on the
    /// client's side, which is what a memory bound is tested against).
    /// The price: one fixed session id, and no heartbeat is answered before
    /// the close (clients notice a missing ACK only one interval later,
    /// 41.25 s by default; a RESUME is closed with 4000 too).
    ///
    /// `false` (the default): each connection compresses as it sends, and
    /// heartbeats are answered between two dispatches.
    pub fn precompressed(mut self, precompressed: bool) -> StreamSpec {
        self.precompressed = precompressed;
        self
    }

    /// The number of dispatches after READY and the GUILD_CREATEs.
    pub fn events(&self) -> usize {
        self.events
    }
}

/// One dispatch of the plan, serialised.
#[derive(Debug)]
struct Planned {
    name: &'static str,
    text: String,
}

/// The whole stream, built once.
#[derive(Debug)]
struct Plan {
    heartbeat_ms: u64,
    token: String,
    /// READY's `d` without `session_id`.
    ready: Value,
    /// The opening GUILD_CREATEs, then the events, then the end marker;
    /// sequence numbers start at 2 (READY is 1).
    dispatches: Vec<Planned>,
    opening: usize,
    /// With [`StreamSpec::precompressed`]: the WebSocket messages of the
    /// whole stream (HELLO, READY, the dispatches) per `compress` value
    /// (`""` for plain JSON).
    replay: HashMap<&'static str, Vec<Message>>,
}

/// A running stream gateway (see the [module docs](self)).
///
/// It stops with the fake ([`FakeDiscord::shutdown`]).
#[derive(Debug)]
pub struct StreamGateway {
    url: String,
    plan: Arc<Plan>,
    completed: Arc<AtomicU64>,
    counters: Arc<Counters>,
    /// Ends when the fake is cancelled (the fake's own task list is not
    /// reachable from here; dropping the handle detaches, nothing leaks).
    _task: tokio::task::JoinHandle<()>,
}

impl StreamGateway {
    /// The gateway URL to connect to (`ws://127.0.0.1:port`; add
    /// `?v=10&encoding=json&compress=zlib-stream` as clients do).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The event names of every dispatch a connection receives, in order:
    /// READY, the opening GUILD_CREATEs, the stream, the end marker
    /// (a MESSAGE_CREATE). Sequence number `s` is the index plus one.
    pub fn names(&self) -> Vec<&'static str> {
        std::iter::once("READY")
            .chain(self.plan.dispatches.iter().map(|p| p.name))
            .collect()
    }

    /// Dispatches per connection, READY and the end marker included.
    pub fn total_dispatches(&self) -> usize {
        self.plan.dispatches.len() + 1
    }

    /// GUILD_CREATEs sent before the stream starts.
    pub fn opening_guilds(&self) -> usize {
        self.plan.opening
    }

    /// Bytes of JSON text per connection (before compression), READY
    /// excepted.
    pub fn payload_bytes(&self) -> usize {
        self.plan.dispatches.iter().map(|p| p.text.len()).sum()
    }

    /// Connections that received the whole stream and its close frame.
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Relaxed)
    }

    /// How far the fake got, summed over this gateway's connections (see
    /// [`StreamProgress`]): with a client that stops reading,
    /// [`bytes_written`](StreamProgress::bytes_written) stops growing once
    /// the socket buffers are full, which is TCP flow control pushing back
    /// on the fake.
    pub fn progress(&self) -> StreamProgress {
        self.counters.snapshot()
    }
}

/// How far a [`StreamGateway`] got, summed over its connections
/// ([`StreamGateway::progress`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamProgress {
    /// Connections accepted.
    pub connections: u64,
    /// Bytes the kernel accepted from the fake (the WebSocket handshake
    /// response and every frame, as sent: compressed when the connection
    /// asked for compression). A write that the socket does not take
    /// waits, so this counts what really left the fake's process, not
    /// what it meant to send.
    pub bytes_written: u64,
    /// Dispatches (READY, the opening GUILD_CREATEs, the stream, the end
    /// marker) handed to the WebSocket layer. Tungstenite holds at most its
    /// write buffer (128 KiB) plus one message before writing to the
    /// socket, so this runs at most that far ahead of
    /// [`bytes_written`](Self::bytes_written).
    pub dispatches: u64,
    /// HEARTBEATs (op 1) read from clients.
    pub heartbeats_received: u64,
    /// HEARTBEAT_ACKs (op 11) handed to the WebSocket layer. They go out
    /// between two dispatches, so a client that does not read gets them
    /// after the dispatches queued before them; a
    /// [precompressed](StreamSpec::precompressed) stream sends none.
    pub heartbeats_acked: u64,
    /// Connections whose latest write the socket did not take (the
    /// kernel's send buffer full because the client's receive window is
    /// closed): the fake waits there until the client reads again.
    pub waiting_for_socket: u64,
}

/// The counters behind [`StreamProgress`].
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    bytes_written: AtomicU64,
    dispatches: AtomicU64,
    heartbeats_received: AtomicU64,
    heartbeats_acked: AtomicU64,
    waiting_for_socket: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> StreamProgress {
        StreamProgress {
            connections: self.connections.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            dispatches: self.dispatches.load(Ordering::Relaxed),
            heartbeats_received: self.heartbeats_received.load(Ordering::Relaxed),
            heartbeats_acked: self.heartbeats_acked.load(Ordering::Relaxed),
            waiting_for_socket: self.waiting_for_socket.load(Ordering::Relaxed),
        }
    }

    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A connection's socket, counting the bytes the kernel accepted and
/// whether the latest write had to wait.
struct CountingStream {
    inner: TcpStream,
    counters: Arc<Counters>,
    waiting: bool,
}

impl CountingStream {
    fn new(inner: TcpStream, counters: Arc<Counters>) -> CountingStream {
        Counters::add(&counters.connections, 1);
        CountingStream {
            inner,
            counters,
            waiting: false,
        }
    }

    /// Counts what a write did.
    fn wrote(&mut self, polled: &Poll<std::io::Result<usize>>) {
        let waiting = polled.is_pending();
        if let Poll::Ready(Ok(n)) = polled {
            Counters::add(&self.counters.bytes_written, *n as u64);
        }
        if waiting != self.waiting {
            self.waiting = waiting;
            if waiting {
                Counters::add(&self.counters.waiting_for_socket, 1);
            } else {
                self.counters
                    .waiting_for_socket
                    .fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for CountingStream {
    fn drop(&mut self) {
        if self.waiting {
            self.counters
                .waiting_for_socket
                .fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl AsyncRead for CountingStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountingStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Stream mode.
impl FakeDiscord {
    /// Starts a stream gateway on a new loopback port (see
    /// [`crate::stream`]'s docs): every connection that IDENTIFYs gets
    /// READY, the GUILD_CREATEs and `spec.events()` dispatches at full
    /// speed, then the end marker and close code 4000.
    ///
    /// Building the plan takes a moment for large streams (about 1 s per
    /// 100,000 events); connections are accepted afterwards.
    ///
    /// # Errors
    ///
    /// Fails if the port cannot be bound.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes starts nothing.
    pub async fn start_stream(&self, spec: StreamSpec) -> std::io::Result<StreamGateway> {
        let shared = Arc::clone(&self.shared);
        let (bot_user, application_id) = {
            let world = lock(&shared.world);
            (world.bot_user.clone(), world.application_id)
        };
        let heartbeat_ms =
            u64::try_from(shared.config.heartbeat_interval.as_millis()).unwrap_or(u64::MAX);
        let token = shared.config.token.clone();
        let plan = tokio::task::spawn_blocking(move || {
            build_plan(&spec, heartbeat_ms, token, bot_user, application_id)
        })
        .await
        .map_err(std::io::Error::other)?;
        let plan = Arc::new(plan);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("ws://{}", listener.local_addr()?);
        let completed = Arc::new(AtomicU64::new(0));
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(
            serve(
                listener,
                Arc::clone(&plan),
                shared,
                Arc::clone(&completed),
                Arc::clone(&counters),
            )
            .instrument(tracing::info_span!("stream_gateway", %url)),
        );
        Ok(StreamGateway {
            url,
            plan,
            completed,
            counters,
            _task: task,
        })
    }
}

async fn serve(
    listener: TcpListener,
    plan: Arc<Plan>,
    shared: Arc<Shared>,
    completed: Arc<AtomicU64>,
    counters: Arc<Counters>,
) {
    let mut connections = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    next_id += 1;
                    let stream = CountingStream::new(stream, Arc::clone(&counters));
                    let plan = Arc::clone(&plan);
                    let completed = Arc::clone(&completed);
                    let cancel = shared.cancel.clone();
                    let id = next_id;
                    connections.spawn(
                        async move {
                            tokio::select! {
                                () = cancel.cancelled() => {}
                                ok = connection(stream, id, &plan) => if ok {
                                    completed.fetch_add(1, Ordering::Relaxed);
                                },
                            }
                        }
                        .instrument(tracing::info_span!("stream_connection", %peer)),
                    );
                }
                Err(err) => tracing::warn!(%err, "stream gateway accept failed"),
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(err) = done {
                    tracing::warn!(%err, "stream connection task failed");
                }
            }
        }
    }
    connections.shutdown().await;
}

/// What the reader half saw.
#[derive(Debug)]
enum Inbound {
    Heartbeat,
    Identify { token_ok: bool },
    Resume,
}

/// Transport compression of one connection.
enum Compressor {
    Plain,
    /// Boxed: with zlib-rs the deflate state is kept inline and is large.
    Zlib(Box<ZlibEncoder<Vec<u8>>>),
    #[cfg(feature = "zstd")]
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Compressor {
    fn from_query(query: Option<&str>) -> Result<Compressor, String> {
        let compress = query
            .unwrap_or("")
            .split('&')
            .find_map(|pair| pair.strip_prefix("compress="));
        match compress {
            None => Ok(Compressor::Plain),
            Some("zlib-stream") => Ok(Compressor::Zlib(Box::new(ZlibEncoder::new(
                Vec::new(),
                flate2::Compression::default(),
            )))),
            #[cfg(feature = "zstd")]
            Some("zstd-stream") => {
                let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 0)
                    .map_err(|err| err.to_string())?;
                encoder
                    .include_checksum(false)
                    .and_then(|()| encoder.include_contentsize(false))
                    .map_err(|err| err.to_string())?;
                Ok(Compressor::Zstd(encoder))
            }
            Some(other) => Err(format!("unsupported compress={other}")),
        }
    }

    fn encode(&mut self, text: &str) -> std::io::Result<Message> {
        match self {
            Compressor::Plain => Ok(Message::Text(text.into())),
            Compressor::Zlib(encoder) => {
                encoder.write_all(text.as_bytes())?;
                // A Z_SYNC_FLUSH: the message ends in 00 00 FF FF.
                encoder.flush()?;
                Ok(Message::Binary(Bytes::from(std::mem::take(
                    encoder.get_mut(),
                ))))
            }
            #[cfg(feature = "zstd")]
            Compressor::Zstd(encoder) => {
                encoder.write_all(text.as_bytes())?;
                encoder.flush()?;
                Ok(Message::Binary(Bytes::from(std::mem::take(
                    encoder.get_mut(),
                ))))
            }
        }
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: WsCloseCode::from(code),
        reason: reason.into(),
    }))
}

/// Serves one connection; `true` when the whole stream and the close frame
/// were written.
// The handshake callback's error type is tungstenite's, as in `gateway::conn`.
#[allow(clippy::result_large_err)]
async fn connection(stream: CountingStream, id: u64, plan: &Plan) -> bool {
    let _ = stream.inner.set_nodelay(true);
    let counters = Arc::clone(&stream.counters);
    let mut query: Option<String> = None;
    let callback = |request: &Request, response: Response| {
        query = request.uri().query().map(str::to_owned);
        Ok(response)
    };
    let ws = match tokio_tungstenite::accept_hdr_async(stream, callback).await {
        Ok(ws) => ws,
        Err(err) => {
            tracing::debug!(%err, "stream handshake failed");
            return false;
        }
    };
    let (mut sink, mut source) = ws.split();
    let mut compressor = match Compressor::from_query(query.as_deref()) {
        Ok(compressor) => compressor,
        Err(reason) => {
            let _ = sink.send(close_message(4002, &reason)).await;
            return false;
        }
    };
    // The reader half: heartbeats, IDENTIFY and RESUME, as they come, while
    // the writer half streams.
    let (tx, mut rx) = mpsc::channel::<Inbound>(64);
    let token = plan.token.clone();
    let reader_counters = Arc::clone(&counters);
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = source.next().await {
            let text = match message {
                Message::Text(text) => text.to_string(),
                Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Message::Close(_) => break,
                _ => continue,
            };
            let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let inbound = match payload["op"].as_u64() {
                Some(1) => {
                    Counters::add(&reader_counters.heartbeats_received, 1);
                    Inbound::Heartbeat
                }
                Some(2) => {
                    let sent = payload["d"]["token"].as_str().unwrap_or("");
                    let sent = sent.strip_prefix("Bot ").unwrap_or(sent);
                    Inbound::Identify {
                        token_ok: sent == token,
                    }
                }
                Some(6) => Inbound::Resume,
                _ => continue,
            };
            if tx.send(inbound).await.is_err() {
                break;
            }
        }
    });
    let ack = json!({"op": GatewayOpcode::HeartbeatAck.code(), "d": null}).to_string();
    let hello = hello_text(plan.heartbeat_ms);
    let compress = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("compress="))
        .unwrap_or("");
    if let Some(frames) = plan.replay.get(compress) {
        let sent = replay(&mut sink, &mut rx, frames, &counters).await;
        return finish(sent, reader).await;
    }
    let sent = async {
        sink.send(compressor.encode(&hello)?).await.map_err(other)?;
        // 1. Wait for IDENTIFY, answering heartbeats.
        loop {
            match rx.recv().await {
                None => return Ok(false),
                Some(Inbound::Heartbeat) => {
                    sink.send(compressor.encode(&ack)?).await.map_err(other)?;
                    Counters::add(&counters.heartbeats_acked, 1);
                }
                Some(Inbound::Resume) => {
                    let invalid = json!({"op": GatewayOpcode::InvalidSession.code(), "d": false});
                    sink.send(compressor.encode(&invalid.to_string())?)
                        .await
                        .map_err(other)?;
                }
                Some(Inbound::Identify { token_ok: false }) => {
                    sink.send(close_message(4004, "Authentication failed."))
                        .await
                        .map_err(other)?;
                    return Ok(false);
                }
                Some(Inbound::Identify { token_ok: true }) => break,
            }
        }
        // 2. READY, the opening GUILD_CREATEs and the stream.
        let ready = ready_text(&plan.ready, &format!("stream{id:016x}"));
        sink.feed(compressor.encode(&ready)?).await.map_err(other)?;
        Counters::add(&counters.dispatches, 1);
        for (i, planned) in plan.dispatches.iter().enumerate() {
            // On a current-thread runtime the socket may take everything
            // without blocking; yield now and then so the reader half (and
            // the client, if it shares the runtime) can run.
            if i % 256 == 255 {
                tokio::task::yield_now().await;
            }
            while let Ok(inbound) = rx.try_recv() {
                if matches!(inbound, Inbound::Heartbeat) {
                    sink.feed(compressor.encode(&ack)?).await.map_err(other)?;
                    Counters::add(&counters.heartbeats_acked, 1);
                }
            }
            // `feed` flushes when tungstenite's write buffer is full, so
            // the socket paces the stream.
            sink.feed(compressor.encode(&planned.text)?)
                .await
                .map_err(other)?;
            Counters::add(&counters.dispatches, 1);
        }
        while let Ok(inbound) = rx.try_recv() {
            if matches!(inbound, Inbound::Heartbeat) {
                sink.feed(compressor.encode(&ack)?).await.map_err(other)?;
                Counters::add(&counters.heartbeats_acked, 1);
            }
        }
        sink.flush().await.map_err(other)?;
        // 3. The end.
        sink.send(close_message(STREAM_END_CLOSE_CODE, "stream end"))
            .await
            .map_err(other)?;
        Ok::<bool, std::io::Error>(true)
    }
    .await;
    finish(sent, reader).await
}

/// Logs how the connection ended and lets the client answer the close
/// frame (bounded: a client that never does is dropped).
async fn finish(sent: std::io::Result<bool>, reader: tokio::task::JoinHandle<()>) -> bool {
    let done = match sent {
        Ok(done) => done,
        Err(err) => {
            tracing::debug!(%err, "stream connection ended early");
            false
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), reader).await;
    done
}

type Sink =
    futures_util::stream::SplitSink<tokio_tungstenite::WebSocketStream<CountingStream>, Message>;

/// The precompressed stream: the same bytes for every connection.
async fn replay(
    sink: &mut Sink,
    rx: &mut mpsc::Receiver<Inbound>,
    frames: &[Message],
    counters: &Counters,
) -> std::io::Result<bool> {
    let Some((hello, rest)) = frames.split_first() else {
        return Ok(false);
    };
    sink.send(hello.clone()).await.map_err(other)?;
    loop {
        match rx.recv().await {
            None => return Ok(false),
            // Not answered: the compression context is the replay's.
            Some(Inbound::Heartbeat) => {}
            Some(Inbound::Resume) => {
                sink.send(close_message(
                    STREAM_END_CLOSE_CODE,
                    "stream replays are not resumable",
                ))
                .await
                .map_err(other)?;
                return Ok(false);
            }
            Some(Inbound::Identify { token_ok: false }) => {
                sink.send(close_message(4004, "Authentication failed."))
                    .await
                    .map_err(other)?;
                return Ok(false);
            }
            Some(Inbound::Identify { token_ok: true }) => break,
        }
    }
    for (i, frame) in rest.iter().enumerate() {
        if i % 256 == 255 {
            tokio::task::yield_now().await;
        }
        sink.feed(frame.clone()).await.map_err(other)?;
        // every frame after HELLO is a dispatch (READY first)
        Counters::add(&counters.dispatches, 1);
    }
    sink.flush().await.map_err(other)?;
    sink.send(close_message(STREAM_END_CLOSE_CODE, "stream end"))
        .await
        .map_err(other)?;
    Ok(true)
}

fn other(err: tokio_tungstenite::tungstenite::Error) -> std::io::Error {
    std::io::Error::other(err)
}

/// Kinds of the mix with their weight per 100.
const MIX: [(Kind, u32); 8] = [
    (Kind::Message, 40),
    (Kind::MessageWithEmbeds, 10),
    (Kind::Presence, 15),
    (Kind::Typing, 15),
    (Kind::ReactionAdd, 8),
    (Kind::ReactionRemove, 2),
    (Kind::MemberUpdate, 9),
    (Kind::GuildCreate, 1),
];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Message,
    MessageWithEmbeds,
    Presence,
    Typing,
    ReactionAdd,
    ReactionRemove,
    MemberUpdate,
    GuildCreate,
}

const WORDS: [&str; 16] = [
    "gateway", "ingest", "shard", "ping", "pong", "hello", "latency", "deploy", "merge", "review",
    "build", "cache", "tokio", "serde", "zlib", "stream",
];

const EMOJIS: [&str; 6] = ["👍", "🎉", "🔥", "❤️", "😂", "👀"];

struct Mixer {
    gen: Generator,
    pool: Vec<GuildFixture>,
    /// Pre-rendered GUILD_CREATE text `d` per pool guild.
    guild_creates: Vec<String>,
    message_ids: Vec<u64>,
}

impl Mixer {
    fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[(self.gen.next_u64() % items.len() as u64) as usize]
    }

    fn index(&mut self, len: usize) -> usize {
        (self.gen.next_u64() % len.max(1) as u64) as usize
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            let word: &str = self.pick(&WORDS[..]);
            out.push_str(word);
        }
        out
    }

    /// A guild, one of its text channels and one of its members.
    fn place(&mut self) -> (usize, u64, usize) {
        let g = self.index(self.pool.len());
        let texts: Vec<u64> = self.pool[g]
            .channels
            .iter()
            .filter(|c| c["type"] == 0)
            .map(crate::world::id_of)
            .collect();
        // Cannot be empty: `Generator::guild` always makes two text
        // channels.
        let channel = texts[self.index(texts.len())];
        let member = self.index(self.pool[g].members.len());
        (g, channel, member)
    }

    fn guild_id(&self, g: usize) -> u64 {
        self.pool[g].id()
    }

    fn message(&mut self, embeds: bool) -> Value {
        let (g, channel, m) = self.place();
        let guild_id = self.guild_id(g);
        let member = self.pool[g].members[m].clone();
        let id = self.gen.next_id();
        self.message_ids.push(id);
        if self.message_ids.len() > 64 {
            self.message_ids.remove(0);
        }
        let words = 3 + self.index(12);
        let content = self.sentence(words);
        let mut msg = fixtures::message(id, channel, Some(guild_id), &member["user"], &content);
        let mut partial = member.clone();
        if let Some(obj) = partial.as_object_mut() {
            obj.remove("user");
        }
        msg["member"] = partial;
        if embeds {
            let other = self.index(self.pool[g].members.len());
            let mentioned = self.pool[g].members[other].clone();
            msg["mentions"] = json!([fixtures::mention(&mentioned["user"], Some(&mentioned))]);
            let description = self.sentence(40);
            let mut first = fixtures::embed("Release notes", &description);
            first["url"] = json!("https://example.com/notes");
            first["color"] = json!(5_814_783);
            first["fields"] = json!([
                {"name": "Build", "value": self.sentence(4), "inline": true},
                {"name": "Status", "value": "green", "inline": true},
            ]);
            first["footer"] = json!({"text": self.sentence(3)});
            let second = fixtures::embed(&self.sentence(3), &self.sentence(20));
            msg["embeds"] = json!([first, second]);
        }
        msg
    }

    fn member_of(&mut self, g: usize, m: usize) -> Value {
        self.pool[g].members[m].clone()
    }

    fn event(&mut self, kind: Kind) -> (&'static str, String) {
        let value = match kind {
            Kind::Message => ("MESSAGE_CREATE", self.message(false)),
            Kind::MessageWithEmbeds => ("MESSAGE_CREATE", self.message(true)),
            Kind::Presence => {
                let (g, _, m) = self.place();
                let user_id = crate::world::id_of(&self.pool[g].members[m]["user"]);
                let status: &str = self.pick(&["online", "idle", "dnd", "online"][..]);
                let game = self.sentence(2);
                let activities = vec![fixtures::activity(
                    &game,
                    0,
                    fixtures::FIXTURE_EPOCH_MS + self.gen.next_u64() % 1_000_000,
                )];
                let guild_id = self.guild_id(g);
                (
                    "PRESENCE_UPDATE",
                    fixtures::presence(user_id, guild_id, status, activities),
                )
            }
            Kind::Typing => {
                let (g, channel, m) = self.place();
                let member = self.member_of(g, m);
                let user_id = crate::world::id_of(&member["user"]);
                (
                    "TYPING_START",
                    json!({
                        "channel_id": channel.to_string(),
                        "guild_id": self.guild_id(g).to_string(),
                        "user_id": user_id.to_string(),
                        "timestamp": fixtures::FIXTURE_EPOCH_MS / 1000 + self.gen.next_u64() % 100_000,
                        "member": member,
                    }),
                )
            }
            Kind::ReactionAdd | Kind::ReactionRemove => {
                let (g, channel, m) = self.place();
                let member = self.member_of(g, m);
                let user_id = crate::world::id_of(&member["user"]);
                let message_id = if self.message_ids.is_empty() {
                    self.gen.next_id()
                } else {
                    let i = self.index(self.message_ids.len());
                    self.message_ids[i]
                };
                let emoji: &str = self.pick(&EMOJIS[..]);
                let mut d = json!({
                    "user_id": user_id.to_string(),
                    "channel_id": channel.to_string(),
                    "message_id": message_id.to_string(),
                    "guild_id": self.guild_id(g).to_string(),
                    "emoji": {"id": null, "name": emoji},
                    "burst": false,
                    "type": 0,
                });
                if matches!(kind, Kind::ReactionAdd) {
                    d["member"] = member;
                    d["burst_colors"] = json!([]);
                    ("MESSAGE_REACTION_ADD", d)
                } else {
                    ("MESSAGE_REACTION_REMOVE", d)
                }
            }
            Kind::MemberUpdate => {
                let (g, _, m) = self.place();
                let mut d = self.member_of(g, m);
                d["guild_id"] = json!(self.guild_id(g).to_string());
                let word: &str = self.pick(&WORDS[..]);
                let nick = format!("{word} {}", self.gen.next_u64() % 1000);
                d["nick"] = json!(nick);
                ("GUILD_MEMBER_UPDATE", d)
            }
            Kind::GuildCreate => {
                let g = self.index(self.pool.len());
                return ("GUILD_CREATE", self.guild_creates[g].clone());
            }
        };
        (value.0, value.1.to_string())
    }
}

fn hello_text(heartbeat_ms: u64) -> String {
    json!({
        "op": GatewayOpcode::Hello.code(),
        "d": {"heartbeat_interval": heartbeat_ms},
        "s": null,
        "t": null,
    })
    .to_string()
}

fn ready_text(ready: &Value, session_id: &str) -> String {
    let mut d = ready.clone();
    d["session_id"] = json!(session_id);
    json!({"op": 0, "t": "READY", "s": 1, "d": d}).to_string()
}

/// HELLO, READY and every dispatch, compressed once as `compress` asks.
fn replay_frames(plan: &Plan, compress: &str) -> Option<Vec<Message>> {
    let query = format!("compress={compress}");
    let mut compressor =
        Compressor::from_query((!compress.is_empty()).then_some(query.as_str())).ok()?;
    let mut frames = Vec::with_capacity(plan.dispatches.len() + 2);
    frames.push(compressor.encode(&hello_text(plan.heartbeat_ms)).ok()?);
    frames.push(
        compressor
            .encode(&ready_text(&plan.ready, "streamreplay"))
            .ok()?,
    );
    for planned in &plan.dispatches {
        frames.push(compressor.encode(&planned.text).ok()?);
    }
    Some(frames)
}

fn dispatch_text(name: &str, seq: usize, d: &str) -> String {
    format!("{{\"op\":0,\"t\":\"{name}\",\"s\":{seq},\"d\":{d}}}")
}

fn build_plan(
    spec: &StreamSpec,
    heartbeat_ms: u64,
    token: String,
    bot_user: Value,
    application_id: u64,
) -> Plan {
    let mut gen = Generator::new(spec.seed);
    let pool: Vec<GuildFixture> = (0..spec.guilds)
        .map(|i| gen.guild(&format!("Stream {i}"), spec.members))
        .collect();
    let guild_creates: Vec<String> = pool.iter().map(|g| g.guild_create().to_string()).collect();
    let ready = json!({
        "v": acord_core_signals::API_VERSION,
        "user": bot_user,
        "guilds": pool.iter().map(|g| json!({"id": g.id().to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "resume_gateway_url": "ws://127.0.0.1:1",
        "application": {"id": application_id.to_string(), "flags": 0},
    });
    let mut mixer = Mixer {
        gen,
        pool,
        guild_creates,
        message_ids: Vec::new(),
    };
    let total_weight: u32 = MIX.iter().map(|(_, w)| w).sum();
    let mut dispatches = Vec::with_capacity(spec.events + spec.guilds + 1);
    let mut seq = 1;
    for d in mixer.guild_creates.clone() {
        seq += 1;
        dispatches.push(Planned {
            name: "GUILD_CREATE",
            text: dispatch_text("GUILD_CREATE", seq, &d),
        });
    }
    for _ in 0..spec.events {
        let mut draw = (mixer.gen.next_u64() % u64::from(total_weight)) as u32;
        let mut kind = Kind::Message;
        for (k, weight) in MIX {
            if draw < weight {
                kind = k;
                break;
            }
            draw -= weight;
        }
        let (name, d) = mixer.event(kind);
        seq += 1;
        dispatches.push(Planned {
            name,
            text: dispatch_text(name, seq, &d),
        });
    }
    // The end marker.
    let (g, channel, m) = mixer.place();
    let author = mixer.pool[g].members[m]["user"].clone();
    let id = mixer.gen.next_id();
    let end = fixtures::message(
        id,
        channel,
        Some(mixer.guild_id(g)),
        &author,
        STREAM_END_CONTENT,
    );
    seq += 1;
    dispatches.push(Planned {
        name: "MESSAGE_CREATE",
        text: dispatch_text("MESSAGE_CREATE", seq, &end.to_string()),
    });
    let mut plan = Plan {
        heartbeat_ms,
        token,
        ready,
        dispatches,
        opening: spec.guilds,
        replay: HashMap::new(),
    };
    if spec.precompressed {
        let mut kinds = vec!["", "zlib-stream"];
        if cfg!(feature = "zstd") {
            kinds.push("zstd-stream");
        }
        for kind in kinds {
            if let Some(frames) = replay_frames(&plan, kind) {
                plan.replay.insert(kind, frames);
            }
        }
    }
    plan
}
