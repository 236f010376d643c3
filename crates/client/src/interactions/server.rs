//! [`Server`]: receive interactions over HTTP (Discord's Interactions
//! Endpoint URL) instead of the gateway.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ed25519_dalek::{Signature, VerifyingKey};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{InteractionContext, InteractionRouter, RESPONSE_WINDOW};
use crate::command::InteractionResponse;
use crate::http::Http;
use crate::model::{Interaction, InteractionType};

/// Default cap on a request body (1 MiB); Discord's interactions are far
/// smaller.
const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// Default allowed difference between `X-Signature-Timestamp` and the
/// local clock.
const DEFAULT_TIMESTAMP_SKEW: Duration = Duration::from_secs(5 * 60);
/// Default time after which the server defers for a handler that has not
/// answered.
const DEFAULT_DEFER_AFTER: Duration = Duration::from_millis(2_500);
/// The latest [`ServerBuilder::defer_after`] accepted: later, the defer
/// may reach Discord after its 3-second window.
const LATEST_DEFER: Duration = Duration::from_millis(2_800);
/// How long a request body may take to arrive (Discord sends it at once;
/// past the 3-second window it is useless anyway).
const BODY_READ_TIMEOUT: Duration = RESPONSE_WINDOW;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

const SIGNATURE_HEADER: &str = "x-signature-ed25519";
const TIMESTAMP_HEADER: &str = "x-signature-timestamp";

/// Why the interactions server could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The application public key is not 64 hex characters of a valid
    /// Ed25519 key.
    #[error(
        "the application public key is not valid ({reason}): copy the 64 hex characters shown \
         as PUBLIC KEY on the application's General Information page in the Developer Portal"
    )]
    PublicKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The path does not start with `/`.
    #[error("the interactions path {path:?} must start with '/' (e.g. \"/interactions\")")]
    Path {
        /// The path given.
        path: String,
    },
    /// The address could not be bound.
    #[error(
        "could not listen on {addr}: is another process using the port, or is the address not \
         one of this machine's?"
    )]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// An application's Ed25519 public key, which verifies what Discord posts
/// to the interactions endpoint.
///
/// [`Server`] uses it for every request; use it yourself when another web
/// framework receives the requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for byte in self.0.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

impl PublicKey {
    /// Reads the key as the Developer Portal shows it: 64 hex characters
    /// (surrounding whitespace is ignored).
    ///
    /// # Errors
    /// [`ServerError::PublicKey`] when it is not 64 hex characters or not
    /// a valid Ed25519 point.
    pub fn from_hex(hex: &str) -> Result<Self, ServerError> {
        let bytes: [u8; 32] = decode_hex(hex.trim()).ok_or(ServerError::PublicKey {
            reason: "expected 64 hex characters",
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| ServerError::PublicKey {
                reason: "not an Ed25519 public key",
            })
    }

    /// Whether `signature` (the hex `X-Signature-Ed25519` header) signs
    /// `timestamp` (the `X-Signature-Timestamp` header) followed by `body`,
    /// exactly as received. Strict verification: malleable signatures and
    /// weak keys are refused.
    pub fn verify(&self, signature: &str, timestamp: &str, body: &[u8]) -> bool {
        self.verify_bytes(signature.as_bytes(), timestamp.as_bytes(), body)
    }

    fn verify_bytes(&self, signature: &[u8], timestamp: &[u8], body: &[u8]) -> bool {
        let Some(signature) = std::str::from_utf8(signature)
            .ok()
            .and_then(decode_hex::<64>)
        else {
            return false;
        };
        let signature = Signature::from_bytes(&signature);
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp);
        message.extend_from_slice(body);
        self.0.verify_strict(&message, &signature).is_ok()
    }
}

/// Exactly `2 * N` hex digits (either case) into bytes.
fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Builds a [`Server`]; see [`Server::builder`].
pub struct ServerBuilder<S = ()> {
    public_key: String,
    router: InteractionRouter<S>,
    http: Http,
    data: Arc<S>,
    path: String,
    max_body: usize,
    skew: Duration,
    defer_after: Duration,
    defer_ephemeral: bool,
}

impl<S> fmt::Debug for ServerBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("public_key", &self.public_key)
            .field("router", &self.router)
            .field("path", &self.path)
            .field("max_body", &self.max_body)
            .field("skew", &self.skew)
            .field("defer_after", &self.defer_after)
            .field("defer_ephemeral", &self.defer_ephemeral)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> ServerBuilder<S> {
    /// The path Discord posts to (default `/interactions`); other paths
    /// answer 404.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The largest body accepted (default 1 MiB);
    /// larger ones answer 413 without being read whole.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How far `X-Signature-Timestamp` may be from the local clock, either
    /// way (default 5 minutes); older or later
    /// requests answer 401, so a captured request cannot be replayed
    /// later. Keep the machine's clock synchronised.
    pub fn timestamp_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// When the server defers for a handler that has not answered yet,
    /// counted from the request's arrival (default 2.5 s
    /// of Discord's 3 s; at most 2.8 s).
    pub fn defer_after(mut self, after: Duration) -> Self {
        self.defer_after = after.min(LATEST_DEFER);
        self
    }

    /// Whether the "thinking…" response the server sends on a handler's
    /// behalf for commands and modals is ephemeral (default false). The
    /// handler's later answer edits it and keeps its visibility.
    pub fn defer_ephemeral(mut self, ephemeral: bool) -> Self {
        self.defer_ephemeral = ephemeral;
        self
    }

    /// Checks the configuration and listens on `addr` (`"0.0.0.0:8080"`
    /// behind a TLS-terminating proxy; port 0 picks a free port, see
    /// [`Server::local_addr`]). Call [`Server::run`] to serve.
    ///
    /// # Errors
    /// [`ServerError::PublicKey`] for a malformed key,
    /// [`ServerError::Path`] for a path without a leading `/`,
    /// [`ServerError::Bind`] when the address cannot be bound.
    ///
    /// # Cancel safety
    /// Dropping the future before it completes releases the socket.
    pub async fn bind(
        self,
        addr: impl ToSocketAddrs + fmt::Display,
    ) -> Result<Server<S>, ServerError> {
        let key = PublicKey::from_hex(&self.public_key)?;
        if !self.path.starts_with('/') {
            return Err(ServerError::Path { path: self.path });
        }
        let shown = addr.to_string();
        let bind_error = |source| ServerError::Bind {
            addr: shown.clone(),
            source,
        };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(Shared {
                key,
                router: Arc::new(self.router),
                http: self.http,
                data: self.data,
                path: self.path,
                max_body: self.max_body,
                skew: self.skew,
                defer_after: self.defer_after,
                defer_ephemeral: self.defer_ephemeral,
                handlers: Mutex::new(JoinSet::new()),
            }),
            stop: Arc::new(Stop::default()),
        })
    }
}

/// An HTTP server for Discord's Interactions Endpoint URL: verifies each
/// request's signature and answers it through an [`InteractionRouter`].
///
/// Build it with [`Server::builder`], then [`run`](Self::run) it; stop it
/// with a [`ServerHandle`]. It speaks plain HTTP/1.1: put it behind a
/// reverse proxy that terminates TLS, as Discord only posts to `https://`
/// URLs.
///
/// Discord POSTs each interaction to a URL the application registered in
/// the Developer Portal and reads the initial response from the HTTP reply.
/// For every request the server:
///
/// 1. checks the method and path (404 elsewhere, 405 for another method);
/// 2. checks `X-Signature-Ed25519` (hex) and `X-Signature-Timestamp` are
///    present and well formed, and that the timestamp is within the allowed
///    skew of the local clock (401 otherwise), before reading the body;
/// 3. reads the body up to the size cap (413 beyond) and verifies the
///    Ed25519 signature over `timestamp + body` with the application's
///    public key (401 when it does not verify; Discord sends such requests
///    on purpose and drops endpoints that accept them). Only then is the
///    body parsed as JSON (400 when that fails);
/// 4. answers PING with PONG (`{"type":1}`);
/// 5. hands anything else to the [`InteractionRouter`] in a task of its
///    own, with an [`InteractionContext`] whose initial response goes into
///    the HTTP reply: the handler calls `reply`, `defer`, `open_modal`, …
///    as it would for a gateway interaction;
/// 6. if the handler has not answered by
///    [`defer_after`](ServerBuilder::defer_after) (2.5 s of Discord's 3 s
///    by default), replies with a defer on its behalf — type 5 for commands
///    and modals, type 6 for components, empty choices for autocomplete,
///    which cannot be deferred. The handler's later
///    [`respond`](InteractionContext::respond) then edits the deferred
///    response through REST, so it needs no code of its own for this.
///
/// Follow-ups, edits and deletes always go through REST ([`Http`]); the
/// server needs no gateway connection.
///
/// ```
/// use std::sync::Arc;
/// use acord::interactions::{InteractionContext, InteractionError, InteractionRouter, Server};
/// use acord::core::http::HttpClient;
/// use acord::Http;
/// use acord_testkit::{fixtures, FakeDiscord, InteractionsEndpointClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // a fake Discord that signs what it posts to the endpoint
/// let fake = FakeDiscord::builder().start().await?;
/// let discord = InteractionsEndpointClient::new(&fake);
///
/// let router = InteractionRouter::new().command("ping", |ctx: InteractionContext| async move {
///     ctx.reply("pong").await?;
///     Ok::<_, InteractionError>(())
/// });
/// let http = Http::new(HttpClient::builder(fake.token()).api_base(fake.api_base()).build()?);
/// // the public key as the Developer Portal shows it (here: the fake's)
/// let server = Server::builder(discord.public_key(), router, http, Arc::new(()))
///     .bind("127.0.0.1:0")
///     .await?;
/// let url = format!("http://{}/interactions", server.local_addr());
/// let stop = server.handle();
/// let running = tokio::spawn(server.run());
///
/// assert!(discord.ping(&url).await?, "Discord accepts the endpoint");
/// # let guild = fake.guild_ids()[0];
/// # let channel = fake.channel_ids(guild)[0];
/// # let invocation = fixtures::InteractionContext {
/// #     id: 1_400_000_000_000_000_001,
/// #     application_id: fake.bot_user_id(),
/// #     token: "token-1".into(),
/// #     guild_id: Some(guild),
/// #     channel: serde_json::json!({"id": channel.to_string(), "type": 0}),
/// #     invoker: fixtures::member(&fixtures::user(1_200_000_000_000_000_001, "someone"), &[], "2024-01-01T00:00:00.000000+00:00"),
/// # };
/// let reply = discord
///     .post(&url, &fixtures::slash_command_interaction(&invocation, 1, "ping", vec![]))
///     .await?;
/// assert_eq!(reply.status, 200);
/// assert_eq!(reply.json.as_ref().unwrap()["data"]["content"], "pong");
///
/// stop.shutdown();
/// running.await?;
/// # Ok(()) }
/// ```
pub struct Server<S = ()> {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared<S>>,
    stop: Arc<Stop>,
}

impl<S> fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("path", &self.shared.path)
            .field("public_key", &self.shared.key)
            .finish_non_exhaustive()
    }
}

/// What every request of a server reads.
struct Shared<S> {
    key: PublicKey,
    router: Arc<InteractionRouter<S>>,
    http: Http,
    data: Arc<S>,
    path: String,
    max_body: usize,
    skew: Duration,
    defer_after: Duration,
    defer_ephemeral: bool,
    /// Handler tasks, waited for at shutdown (a deferred handler may still
    /// be editing its response).
    handlers: Mutex<JoinSet<()>>,
}

/// The shutdown signal.
#[derive(Debug, Default)]
struct Stop {
    stopped: AtomicBool,
    notify: Notify,
}

impl Stop {
    fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.stopped.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// Stops a [`Server`]: it stops accepting connections, finishes the
/// requests in flight and waits for their handlers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ServerHandle {
    stop: Arc<Stop>,
}

impl ServerHandle {
    /// Asks the server to stop; [`Server::run`] returns once the requests
    /// in flight and their handlers are done. Calling it again does
    /// nothing.
    pub fn shutdown(&self) {
        self.stop.stop();
    }
}

impl<S: Send + Sync + 'static> Server<S> {
    /// A builder from the application's public key (hex, as the Developer
    /// Portal shows it), the router that answers interactions, the REST
    /// client for follow-ups and edits (`Http::new(HttpClient)`; no
    /// gateway needed) and the state handlers read with
    /// [`InteractionContext::data`].
    pub fn builder(
        public_key: impl Into<String>,
        router: InteractionRouter<S>,
        http: Http,
        data: Arc<S>,
    ) -> ServerBuilder<S> {
        ServerBuilder {
            public_key: public_key.into(),
            router,
            http,
            data,
            path: "/interactions".to_owned(),
            max_body: DEFAULT_MAX_BODY,
            skew: DEFAULT_TIMESTAMP_SKEW,
            defer_after: DEFAULT_DEFER_AFTER,
            defer_ephemeral: false,
        }
    }

    /// The address it listens on (the port chosen when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            stop: Arc::clone(&self.stop),
        }
    }

    /// Serves until [`ServerHandle::shutdown`]; then stops accepting,
    /// finishes the requests in flight (each within Discord's 3-second
    /// window) and waits for the handlers they started (a deferred handler
    /// may still be editing its response). A handler that never returns
    /// keeps it from returning: put a `tokio::time::timeout` around it if
    /// that can happen.
    ///
    /// # Cancel safety
    /// Dropping the future closes the listener and every connection at
    /// once, aborting the requests in flight and the handlers they
    /// started. Use [`ServerHandle::shutdown`] to stop gracefully.
    pub async fn run(self) {
        let Server {
            listener,
            local_addr,
            shared,
            stop,
        } = self;
        tracing::info!(%local_addr, path = %shared.path, "interactions endpoint listening");
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                () = stop.wait() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        connections.spawn(
                            serve_connection(stream, Arc::clone(&shared), Arc::clone(&stop))
                                .instrument(tracing::debug_span!("interactions_connection", %peer)),
                        );
                    }
                    Err(error) => {
                        // e.g. out of file descriptors: wait instead of spinning
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        while connections.join_next().await.is_some() {}
        let mut handlers = std::mem::take(&mut *lock(&shared.handlers));
        while handlers.join_next().await.is_some() {}
        tracing::info!(%local_addr, "interactions endpoint stopped");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

async fn serve_connection<S: Send + Sync + 'static>(
    stream: TcpStream,
    shared: Arc<Shared<S>>,
    stop: Arc<Stop>,
) {
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(answer(&shared, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = stop.wait() => {
            connection.as_mut().graceful_shutdown();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json_reply(response: &InteractionResponse) -> Response<Full<Bytes>> {
    match serde_json::to_vec(response) {
        Ok(body) => {
            let mut reply = Response::new(Full::new(Bytes::from(body)));
            reply
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            reply
        }
        Err(error) => {
            tracing::error!(%error, "the interaction response could not be serialised");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the response could not be serialised",
            )
        }
    }
}

/// The smallest look at a verified body: its interaction type.
#[derive(serde::Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: u16,
}

/// Answers one request (steps 1-6 of the [`Server`] docs).
async fn answer<S: Send + Sync + 'static>(
    shared: &Arc<Shared<S>>,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let received = Instant::now();
    if request.uri().path() != shared.path {
        return plain(StatusCode::NOT_FOUND, "not found");
    }
    if request.method() != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let (parts, body) = request.into_parts();
    let (Some(signature), Some(timestamp)) = (
        parts.headers.get(SIGNATURE_HEADER),
        parts.headers.get(TIMESTAMP_HEADER),
    ) else {
        tracing::debug!("refused a request without signature headers");
        return plain(StatusCode::UNAUTHORIZED, "invalid request signature");
    };
    if signature.len() != 128 || !fresh(timestamp.as_bytes(), shared.skew) {
        tracing::debug!("refused a request with a malformed signature or a stale timestamp");
        return plain(StatusCode::UNAUTHORIZED, "invalid request signature");
    }
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > shared.max_body as u64) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    let body = match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        Limited::new(body, shared.max_body).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "the request body could not be read");
            return plain(StatusCode::BAD_REQUEST, "the body could not be read");
        }
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "the body came too slowly"),
    };
    if !shared
        .key
        .verify_bytes(signature.as_bytes(), timestamp.as_bytes(), &body)
    {
        tracing::debug!("refused a request whose signature does not verify");
        return plain(StatusCode::UNAUTHORIZED, "invalid request signature");
    }
    // signed by Discord: now the body may be read
    let kind = match serde_json::from_slice::<Peek>(&body) {
        Ok(peek) => InteractionType::from(peek.kind),
        Err(error) => {
            tracing::warn!(%error, "a signed request is not an interaction");
            return plain(StatusCode::BAD_REQUEST, "not an interaction");
        }
    };
    if kind == InteractionType::Ping {
        return json_reply(&InteractionResponse::pong());
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(interaction) => interaction,
        Err(error) => {
            tracing::warn!(%error, "a signed interaction could not be read");
            return plain(StatusCode::BAD_REQUEST, "not an interaction");
        }
    };
    dispatch(shared, interaction, received).await
}

/// Whether the timestamp header is unix seconds within `skew` of now.
fn fresh(timestamp: &[u8], skew: Duration) -> bool {
    let Some(sent) = std::str::from_utf8(timestamp)
        .ok()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u64>().ok())
    else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    now.abs_diff(sent) <= skew.as_secs()
}

/// Runs the router on a verified interaction and writes its initial
/// response, or a defer on its behalf, into the reply.
async fn dispatch<S: Send + Sync + 'static>(
    shared: &Arc<Shared<S>>,
    interaction: Interaction,
    received: Instant,
) -> Response<Full<Bytes>> {
    let (ctx, mut initial) = InteractionContext::for_http_reply(
        interaction,
        shared.http.clone(),
        Arc::clone(&shared.data),
        received,
    );
    let kind = ctx.kind();
    let name = ctx.name();
    let span = tracing::info_span!("interaction", id = %ctx.interaction().id, %name);
    let (done_tx, mut done) = oneshot::channel::<()>();
    {
        let router = Arc::clone(&shared.router);
        let ctx = ctx.clone();
        let mut handlers = lock(&shared.handlers);
        while handlers.try_join_next().is_some() {} // forget finished ones
        handlers.spawn(
            async move {
                router.handle(ctx).await;
                let _ = done_tx.send(());
            }
            .instrument(span.clone()),
        );
    }
    let defer_at = tokio::time::Instant::from_std(received + shared.defer_after);
    tokio::select! {
        biased;
        response = &mut initial => {
            return match response {
                Ok(response) => json_reply(&response),
                // cannot happen: this task holds a context, so the sender
                // lives until sent or taken by mark_answered_by_server
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the handler did not answer"),
            };
        }
        _ = &mut done => {
            // the handler returned: its answer, if any, is in the channel
            if let Ok(response) = initial.try_recv() {
                return json_reply(&response);
            }
            tracing::warn!(parent: &span, "the handler returned without answering: replying 500");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the handler did not answer");
        }
        () = tokio::time::sleep_until(defer_at) => {
            let deferrable = kind != InteractionType::ApplicationCommandAutocomplete;
            if ctx.mark_answered_by_server(deferrable) {
                let response = match kind {
                    InteractionType::MessageComponent => InteractionResponse::deferred_update(),
                    InteractionType::ApplicationCommandAutocomplete => {
                        match InteractionResponse::autocomplete(Vec::new()) {
                            Ok(response) => response,
                            Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "no answer"),
                        }
                    }
                    _ => InteractionResponse::deferred_message(shared.defer_ephemeral),
                };
                tracing::debug!(
                    parent: &span,
                    after = ?received.elapsed(),
                    "the handler had not answered: deferred on its behalf"
                );
                return json_reply(&response);
            }
        }
    }
    // the handler's own answer is on its way (or it gave up): wait for it
    // until the end of Discord's window
    let end = tokio::time::Instant::from_std(received + RESPONSE_WINDOW);
    match tokio::time::timeout_at(end, initial).await {
        Ok(Ok(response)) => json_reply(&response),
        _ => {
            tracing::warn!(parent: &span, "no initial response within Discord's window: replying 500");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the handler did not answer",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 8032 test 1.
    const KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const SIG_EMPTY: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    #[test]
    fn the_rfc_8032_vector_verifies_and_a_changed_byte_does_not() {
        let key = PublicKey::from_hex(KEY).unwrap();
        assert!(key.verify(SIG_EMPTY, "", b""));
        assert!(!key.verify(SIG_EMPTY, "1", b""));
        assert!(!key.verify(SIG_EMPTY, "", b"x"));
        let mut flipped = SIG_EMPTY.to_owned();
        flipped.replace_range(0..1, "f");
        assert!(!key.verify(&flipped, "", b""));
        assert!(!key.verify("zz", "", b""));
        assert!(!key.verify(&SIG_EMPTY[..127], "", b""));
        assert!(!key.verify(&format!("{SIG_EMPTY}00"), "", b""));
    }

    #[test]
    fn bad_public_keys_are_typed_errors() {
        for bad in [
            "",
            "abc",
            &KEY[..63],
            &format!("{KEY}00"),
            &KEY.replace('d', "g"),
        ] {
            let err = PublicKey::from_hex(bad).unwrap_err();
            assert!(matches!(err, ServerError::PublicKey { .. }), "{bad}");
            assert!(err.to_string().contains("Developer Portal"));
        }
        // a sign and uppercase: from_str_radix would take "+f", we do not
        assert!(PublicKey::from_hex(&format!("+{}", &KEY[1..])).is_err());
        assert!(PublicKey::from_hex(&KEY.to_uppercase()).is_ok());
        assert!(PublicKey::from_hex(&format!("  {KEY}\n")).is_ok());
    }

    #[test]
    fn timestamps_outside_the_skew_are_stale() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let skew = Duration::from_secs(300);
        assert!(fresh(now.to_string().as_bytes(), skew));
        assert!(fresh((now - 299).to_string().as_bytes(), skew));
        assert!(!fresh((now - 301).to_string().as_bytes(), skew));
        assert!(!fresh((now + 301).to_string().as_bytes(), skew));
        for bad in ["", "-1", "+5", "12a", "1.5", "99999999999999999999999"] {
            assert!(!fresh(bad.as_bytes(), skew), "{bad}");
        }
    }

    #[test]
    fn errors_are_send_sync_and_the_public_types_debug() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ServerError>();
        assert_send_sync::<ServerHandle>();
        assert_send_sync::<PublicKey>();
        assert_send_sync::<Server<()>>();
        let key = PublicKey::from_hex(KEY).unwrap();
        assert_eq!(format!("{key:?}"), format!("PublicKey({KEY})"));
    }
}
