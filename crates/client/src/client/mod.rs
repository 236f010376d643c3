//! The [`Client`]: shards, event handlers, typed REST and shared state in
//! one value.
//!
//! 1. [`Client::builder`] takes the token (once: REST and the gateway share
//!    it) and the intents; handlers, listeners, state and the swappable
//!    lower layers are set on the [`ClientBuilder`].
//! 2. [`ClientBuilder::build`] fetches `GET /gateway/bot` once and prepares
//!    the shards.
//! 3. [`Client::start`] runs them until [`ShutdownHandle::shutdown`] or a
//!    fatal close, which it returns as a [`ClientError::Fatal`] saying what
//!    to fix.
//!
//! Each dispatch goes: shard → name check against what is wanted
//! (handlers, listeners, collectors) → one parse into [`Event`] → a task per
//! consumer. Nothing is parsed for events nobody wants.

mod builder;
mod context;
mod delivery;
mod dispatch;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use acord_core_gateway::ShardManager;
use tokio::sync::watch;

use crate::error::ClientError;
use crate::http::Http;

pub use builder::{ClientBuilder, API_BASE_ENV, GATEWAY_URL_ENV};
pub use context::{Context, ShardHandle};
pub use delivery::{Delivery, DeliveryDone, DeliveryOutcome, EventMeta};
pub use dispatch::DispatchError;

pub(crate) use context::BaseContext;
pub(crate) use dispatch::{ErasedHandler, HandlerBox, Job};

#[cfg(doc)]
use crate::event::Event;

/// A boxed handler future.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Spawns a boxed task: tokio's task code is compiled once, here, for
/// every handler type instead of once per handler type in the bot crate.
#[inline(never)]
pub(crate) fn spawn_boxed(task: BoxFuture) {
    tokio::spawn(task);
}

/// Stops a running [`Client`]: every shard closes with code 1000 and
/// [`Client::start`] returns `Ok(())`. Cheap to clone; also reachable in
/// handlers as [`Context::shutdown`].
#[derive(Clone)]
pub struct ShutdownHandle {
    inner: Arc<ShutdownInner>,
}

struct ShutdownInner {
    /// Read on every event: an atomic, not the channel's lock.
    down: std::sync::atomic::AtomicBool,
    /// Close the shards resumably (4000), keeping their sessions.
    keep_sessions: std::sync::atomic::AtomicBool,
    tx: watch::Sender<bool>,
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("requested", &self.is_shutdown())
            .finish()
    }
}

impl ShutdownHandle {
    fn new() -> Self {
        Self {
            inner: Arc::new(ShutdownInner {
                down: std::sync::atomic::AtomicBool::new(false),
                keep_sessions: std::sync::atomic::AtomicBool::new(false),
                tx: watch::channel(false).0,
            }),
        }
    }

    /// Asks the client to shut down; returns at once. Calling it again
    /// does nothing.
    pub fn shutdown(&self) {
        self.inner
            .down
            .store(true, std::sync::atomic::Ordering::Release);
        self.inner.tx.send_replace(true);
    }

    /// Shuts down keeping the sessions: every shard closes with code 4000,
    /// so [`Client::sessions`] can be saved and handed to
    /// [`ClientBuilder::sessions`](crate::ClientBuilder::sessions) in the
    /// next process, which then RESUMEs (within Discord's resume window
    /// of a few minutes) and receives what it missed, instead of
    /// identifying. The bot stays online meanwhile.
    pub fn shutdown_resumable(&self) {
        self.inner
            .keep_sessions
            .store(true, std::sync::atomic::Ordering::Release);
        self.shutdown();
    }

    /// Whether the shutdown keeps the sessions.
    pub(crate) fn keeps_sessions(&self) -> bool {
        self.inner
            .keep_sessions
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        self.inner.down.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Resolves once shutdown was asked for.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn wait(&self) {
        let mut rx = self.inner.tx.subscribe();
        // only fails if the sender is gone, which `self` keeps alive
        let _ = rx.wait_for(|down| *down).await;
    }
}

/// A Discord bot: shards, handlers, typed REST and shared state.
///
/// ```no_run
/// use acord::{Client, Context, EventHandler, Intents};
/// use acord::model::Message;
///
/// struct Bot;
///
/// impl EventHandler for Bot {
///     async fn message_create(&self, ctx: Context, msg: Box<Message>) {
///         if msg.content == "ping" {
///             let _ = msg.channel_id.say(&ctx, "pong").await;
///         }
///     }
/// }
///
/// # async fn run() -> Result<(), acord::ClientError> {
/// let token = std::env::var("DISCORD_TOKEN").unwrap_or_default();
/// let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
/// let client = Client::builder(token, intents).event_handler(Bot).build().await?;
/// client.start().await
/// # }
/// ```
pub struct Client<S = ()> {
    shared: Arc<context::Shared>,
    data: Arc<S>,
    pending: Mutex<Option<dispatch::Router>>,
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("http", &self.shared.http)
            .field("shards", &self.shared.manager.range())
            .field("total_shards", &self.shared.manager.total_shards())
            .finish_non_exhaustive()
    }
}

impl Client<()> {
    /// Starts a builder from the bot token and the gateway intents.
    ///
    /// The token is used for REST and the gateway alike; it is redacted in
    /// every `Debug` and error.
    pub fn builder(
        token: impl Into<acord_core_http::Token>,
        intents: acord_core_signals::Intents,
    ) -> ClientBuilder<()> {
        ClientBuilder::new(token.into(), intents)
    }
}

impl<S: Send + Sync + 'static> Client<S> {
    /// The typed REST client (the same one handlers get).
    pub fn http(&self) -> &Http {
        &self.shared.http
    }

    /// Application command sync for the bot's own application:
    /// `client.commands().sync_global(&definitions)` (or `sync_guild`)
    /// sends one bulk overwrite when Discord's commands differ from the
    /// definitions, and nothing when they match. The application ID comes
    /// from READY, or, before READY, from `GET /applications/@me`, fetched
    /// once. See [`CommandSync`](crate::sync::CommandSync).
    pub fn commands(&self) -> crate::sync::CommandSync {
        crate::sync::CommandSync::current_application(&self.shared.http)
    }

    /// The cache (the same one handlers get as
    /// [`Context::cache`](crate::Context::cache)).
    pub fn cache(&self) -> &crate::cache::InMemoryCache {
        &self.shared.cache
    }

    /// The shared state given to [`ClientBuilder::data`].
    pub fn data(&self) -> &S {
        &self.data
    }

    /// The shard manager underneath (shard health, restarts, messengers).
    pub fn shard_manager(&self) -> &ShardManager {
        &self.shared.manager
    }

    /// The event types the client deserialises right now: those its
    /// listeners and waiting collectors ask for, READY, those its
    /// handlers implement (learned from the first event of each type; see
    /// [`EventHandler`](crate::EventHandler)), and those its cache reads
    /// ([`CacheConfig::event_types`](crate::cache::CacheConfig::event_types)).
    /// Everything else is skipped before parsing.
    pub fn wanted_events(&self) -> crate::event::EventTypeFlags {
        self.shared.wants.wanted() | self.shared.cache_events
    }

    /// Waits for the next event of kind `E` for which `filter` holds, like
    /// [`Context::wait_for`], from outside a handler (a test waiting for
    /// READY, a task waiting for a reply).
    ///
    /// # Errors
    /// [`ClientError::Timeout`] when nothing matched within `timeout`;
    /// [`ClientError::Closed`] when the client shut down first.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future removes the collector.
    pub fn wait_for<E: crate::event::EventKind>(
        &self,
        filter: impl Fn(&E::Payload) -> bool + Send + Sync + 'static,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<E::Payload, ClientError>> + Send + 'static {
        dispatch::wait_for::<E>(&self.shared, filter, timeout)
    }

    /// The shards' resumable sessions: after [`start`](Self::start)
    /// returned from a [`ShutdownHandle::shutdown_resumable`], the ones
    /// they kept. Save them (like the token: they let anyone resume the
    /// bot's sessions) and pass them to
    /// [`ClientBuilder::sessions`](crate::ClientBuilder::sessions) in the
    /// next process.
    pub fn sessions(&self) -> Vec<acord_core_gateway::Session> {
        self.shared.manager.sessions()
    }

    /// A handle that stops [`start`](Self::start) from anywhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shared.shutdown.clone()
    }

    /// Connects every shard and delivers events to the handlers until
    /// shutdown or a fatal close.
    ///
    /// On [`ShutdownHandle::shutdown`] every shard closes with code 1000,
    /// running handlers get a short grace period to finish, and this
    /// returns `Ok(())`.
    ///
    /// # Errors
    /// [`ClientError::Fatal`] when a shard stops for good (4004 bad token,
    /// 4014 privileged intent not enabled, …; the message says what to fix);
    /// the other shards are closed first. [`ClientError::Config`] when
    /// called twice.
    ///
    /// # Cancel safety
    /// Not cancel safe: dropping the future leaves the shards running
    /// detached. Stop the client with its [`ShutdownHandle`] instead.
    pub async fn start(&self) -> Result<(), ClientError> {
        let router = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| ClientError::config("Client::start was already called"))?;
        let events = self
            .shared
            .manager
            .take_events()
            .ok_or_else(|| ClientError::config("the shard event stream was taken"))?;
        self.shared.manager.start()?;
        dispatch::run(router, dispatch::Source::Shards(events)).await
    }

    /// Delivers events from a stream you provide to the handlers,
    /// listeners and collectors, instead of from the client's own shards
    /// (which do not connect): events from your own gateway driver or a
    /// broker, or scripted events in a test or benchmark. Each item is
    /// `(shard id, event)`, as a shard reports it.
    ///
    /// Runs until the stream ends, shutdown, or a
    /// [`ShardEvent::Fatal`](acord_core_gateway::ShardEvent::Fatal) in the
    /// stream.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    ///
    /// # Cancel safety
    /// Not cancel safe: running handler tasks are detached if dropped.
    pub async fn run_events(
        &self,
        events: tokio::sync::mpsc::Receiver<(u32, acord_core_gateway::ShardEvent)>,
    ) -> Result<(), ClientError> {
        let router = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| ClientError::config("Client::start or run_events was already called"))?;
        dispatch::run(router, dispatch::Source::Shards(events)).await
    }

    /// Delivers events from an event broker to the handlers, listeners and
    /// collectors (the client's own shards do not connect), telling the
    /// broker when each event is done: each [`Delivery`] carries the raw
    /// dispatch and its [`EventMeta`], which handlers read with
    /// [`Context::event_meta`]; its [`DeliveryDone`] resolves once every
    /// handler call for the event has ended (returned or panicked), so the
    /// broker acknowledges only handled events. The shard id of each event
    /// is the one in its metadata.
    ///
    /// Routing is the same as for the client's own shards: the cache is
    /// updated first, collectors get the event, then a task per handler
    /// call. What handlers spawn themselves is not waited for, nor what a
    /// collector's waiter does with the event.
    ///
    /// Runs until the channel ends or shutdown. Deliveries still in the
    /// channel at shutdown are dropped unhandled (their outcome is not
    /// [finished](DeliveryOutcome::is_finished)); running handlers get the
    /// shutdown grace period.
    ///
    /// ```no_run
    /// use acord::{Client, Delivery, EventMeta};
    /// use acord::core::gateway::Dispatch;
    /// # async fn f(client: Client) -> Result<(), acord::ClientError> {
    /// let (tx, rx) = tokio::sync::mpsc::channel(64);
    /// let (delivery, done) = Delivery::new(
    ///     EventMeta::new(0, 7, "session"),
    ///     Dispatch::new("MESSAGE_CREATE", 7, &br#"{"id":"1"}"#[..]),
    /// );
    /// tx.send(delivery).await.ok();
    /// drop(tx);
    /// let (run, outcome) = tokio::join!(client.run_deliveries(rx), done);
    /// run?;
    /// if outcome.is_finished() { /* acknowledge it */ }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Config`] when the client was already started.
    ///
    /// # Cancel safety
    /// Not cancel safe: running handler tasks are detached if dropped;
    /// their deliveries' outcomes then say not finished only if the tasks
    /// are cancelled.
    pub async fn run_deliveries(
        &self,
        deliveries: tokio::sync::mpsc::Receiver<Delivery>,
    ) -> Result<(), ClientError> {
        let router = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| {
                ClientError::config("Client::start or run_deliveries was already called")
            })?;
        dispatch::run(router, dispatch::Source::Deliveries(deliveries)).await
    }
}

impl<S> AsRef<Http> for Client<S> {
    fn as_ref(&self) -> &Http {
        &self.shared.http
    }
}
