//! [`ClientBuilder`].

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord_core_gateway::{
    Decoder, DecoderFactory, GatewayBotInfo, IdentifyQueue, KeepAlive, KeepAliveFactory,
    ShardConfigBuilder, ShardManager, ShardScheme,
};
use acord_core_http::{HttpClient, Token};
use acord_core_signals::Intents;

use super::context::Shared;
use super::dispatch::{
    default_error_hook, unit_data, ErasedHandler, ErrorHook, InFlight, Listener, Router, Wants,
};
use super::{Client, Context, DispatchError, ShutdownHandle};
use crate::cache::{Cache, CacheConfig, InMemoryCache};
use crate::error::ClientError;
use crate::event::{EventHandler, EventKind, EventTypeFlags};
use crate::http::Http;

/// Environment variable read for the REST API base when
/// [`ClientBuilder::api_base`] is not set.
pub const API_BASE_ENV: &str = "ACORD_API_BASE";
/// Environment variable read for the gateway URL when
/// [`ClientBuilder::gateway_url`] is not set.
pub const GATEWAY_URL_ENV: &str = "ACORD_GATEWAY_URL";

type Configure = Box<dyn FnOnce(ShardConfigBuilder) -> ShardConfigBuilder + Send>;
/// A handler or listener waiting for the state it will carry (known at
/// `build`).
type Pending<S, T> = Box<dyn FnOnce(Arc<S>) -> T + Send>;

/// Builds a [`Client`]; start with [`Client::builder`].
///
/// `S` is the type of the shared state ([`data`](Self::data)), `()` until
/// set.
#[must_use = "a builder does nothing until `.build().await`"]
pub struct ClientBuilder<S = ()> {
    data: Arc<S>,
    handlers: Vec<Pending<S, Arc<dyn ErasedHandler>>>,
    listeners: Vec<Pending<S, Listener>>,
    settings: Settings,
}

/// Everything a builder holds that does not depend on the state type.
struct Settings {
    token: Token,
    intents: Intents,
    scheme: ShardScheme,
    api_base: Option<String>,
    gateway_url: Option<String>,
    http: Option<HttpClient>,
    keep_alive: Option<KeepAliveFactory>,
    decoder: Option<DecoderFactory>,
    identify_queue: Option<Arc<dyn IdentifyQueue>>,
    sessions: Vec<acord_core_gateway::Session>,
    cache: CacheConfig,
    cache_store: Option<Arc<dyn Cache>>,
    configure: Option<Configure>,
    error_hook: Option<ErrorHook>,
    sequential: bool,
    max_tasks: usize,
    grace: Duration,
}

impl<S> fmt::Debug for ClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.settings.token)
            .field("intents", &self.settings.intents)
            .field("handlers", &self.handlers.len())
            .field("listeners", &self.listeners.len())
            .field("scheme", &self.settings.scheme)
            .field("api_base", &self.settings.api_base)
            .field("gateway_url", &self.settings.gateway_url)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder<()> {
    pub(crate) fn new(token: Token, intents: Intents) -> Self {
        Self {
            data: Arc::new(()),
            handlers: Vec::new(),
            listeners: Vec::new(),
            settings: Settings {
                token,
                intents,
                scheme: ShardScheme::Recommended,
                api_base: None,
                gateway_url: None,
                http: None,
                keep_alive: None,
                decoder: None,
                identify_queue: None,
                sessions: Vec::new(),
                cache: CacheConfig::default(),
                cache_store: None,
                configure: None,
                error_hook: None,
                sequential: false,
                max_tasks: 1024,
                grace: Duration::from_secs(5),
            },
        }
    }

    /// Shared state for every handler, reached as [`Context::data`] with
    /// its type checked at compile time. Use interior mutability (atomics,
    /// a `Mutex` held briefly, `dashmap`) for what changes.
    ///
    /// Handlers and listeners registered before this call keep working
    /// (they see `()` as their state).
    pub fn data<T: Send + Sync + 'static>(self, state: T) -> ClientBuilder<T> {
        ClientBuilder {
            data: Arc::new(state),
            // Registered before `.data()`: they keep the unit state.
            handlers: self
                .handlers
                .into_iter()
                .map(|h| Box::new(move |_: Arc<T>| h(unit_data())) as Pending<T, _>)
                .collect(),
            listeners: self
                .listeners
                .into_iter()
                .map(|l| Box::new(move |_: Arc<T>| l(unit_data())) as Pending<T, _>)
                .collect(),
            settings: self.settings,
        }
    }
}

impl<S: Send + Sync + 'static> ClientBuilder<S> {
    /// Adds an [`EventHandler`]; several may be added, each gets every
    /// event it handles.
    pub fn event_handler(mut self, handler: impl EventHandler<S>) -> Self {
        self.handlers.push(Box::new(move |data| {
            Arc::new(super::HandlerBox { handler, data }) as Arc<dyn ErasedHandler>
        }));
        self
    }

    /// Adds a closure listener for events of kind `E` (a type from
    /// [`crate::event::kind`]), typed by the event:
    ///
    /// ```no_run
    /// use acord::event::kind::MessageCreate;
    /// # fn f(b: acord::ClientBuilder) -> acord::ClientBuilder {
    /// b.on::<MessageCreate, _, _>(|ctx, msg| async move {
    ///     if msg.content == "ping" {
    ///         let _ = msg.channel_id.say(&ctx, "pong").await;
    ///     }
    /// })
    /// # }
    /// ```
    pub fn on<E, F, Fut>(mut self, listener: F) -> Self
    where
        E: EventKind,
        F: Fn(Context<S>, E::Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.listeners.push(Box::new(move |data: Arc<S>| Listener {
            flag: E::FLAG,
            call: Arc::new(move |base, event| match E::from_event(event) {
                Some(payload) => {
                    Box::pin(listener(Context::from_base(base, data.clone()), payload))
                }
                None => Box::pin(std::future::ready(())),
            }),
        }));
        self
    }

    /// Routes INTERACTION_CREATE through `router`: slash and context-menu
    /// commands, components, modals and autocomplete, each answered
    /// within Discord's window (see [`crate::interactions`]). Call it after
    /// [`data`](Self::data) when handlers use the state.
    pub fn interactions(self, router: crate::interactions::InteractionRouter<S>) -> Self {
        let router = Arc::new(router);
        self.on::<crate::event::kind::InteractionCreate, _, _>(move |ctx, interaction| {
            let received = std::time::Instant::now();
            let router = router.clone();
            async move {
                let ctx = crate::interactions::InteractionContext::from_client(
                    ctx,
                    *interaction,
                    received,
                );
                router.handle(ctx).await;
            }
        })
    }

    /// Which shards this process runs (default: the count Discord
    /// recommends).
    pub fn shards(mut self, scheme: ShardScheme) -> Self {
        self.settings.scheme = scheme;
        self
    }

    /// Runs `count` shards.
    pub fn shard_count(self, count: u32) -> Self {
        self.shards(ShardScheme::Fixed(count))
    }

    /// Runs shards `range` of `total`: one process of several sharing one
    /// bot (give them one identify queue, see
    /// [`identify_queue`](Self::identify_queue)).
    pub fn shard_range(self, range: Range<u32>, total: u32) -> Self {
        self.shards(ShardScheme::Range { range, total })
    }

    /// The REST API base (default `https://discord.com/api`, or the
    /// `ACORD_API_BASE` environment variable): a proxy, or acord-testkit's
    /// fake. Ignored when [`http`](Self::http) is set.
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.settings.api_base = Some(url.into());
        self
    }

    /// The gateway URL (default: the one `GET /gateway/bot` returns, or
    /// the `ACORD_GATEWAY_URL` environment variable).
    pub fn gateway_url(mut self, url: impl Into<String>) -> Self {
        self.settings.gateway_url = Some(url.into());
        self
    }

    /// The REST client, with its own rate limiter, proxy, timeouts and
    /// retries. It must carry the same token as the builder.
    pub fn http(mut self, http: HttpClient) -> Self {
        self.settings.http = Some(http);
        self
    }

    /// The heartbeat strategy, made once per shard connection (default
    /// `StandardKeepAlive`).
    pub fn keep_alive(
        mut self,
        make: impl Fn() -> Box<dyn KeepAlive> + Send + Sync + 'static,
    ) -> Self {
        self.settings.keep_alive = Some(Arc::new(make));
        self
    }

    /// The gateway decoder, made once per shard connection (default
    /// `ZlibStreamDecoder`; `JsonDecoder` for uncompressed JSON).
    pub fn decoder(mut self, make: impl Fn() -> Box<dyn Decoder> + Send + Sync + 'static) -> Self {
        self.settings.decoder = Some(Arc::new(make));
        self
    }

    /// What the in-memory cache keeps (default: every resource and the
    /// last 100 messages per channel). `CacheConfig::none()` gives a
    /// cacheless bot. Events only the cache reads are deserialised for
    /// it; leave out what you do not read.
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.settings.cache = config;
        self
    }

    /// Applies events to your own store (one shared by several
    /// processes) instead of the in-memory cache, which then stays empty.
    /// The client applies each event before handlers see it, and hands
    /// handlers what the store returned as
    /// [`Context::previous`](crate::Context::previous).
    pub fn cache_store(mut self, store: Arc<dyn Cache>) -> Self {
        self.settings.cache_store = Some(store);
        self
    }

    /// Sessions saved by the previous process ([`Client::sessions`] after
    /// [`ShutdownHandle::shutdown_resumable`]): each shard RESUMEs its own
    /// instead of identifying, and receives what was dispatched while the
    /// bot was down (RESUMED instead of READY). A session the gateway no
    /// longer knows ends in a normal IDENTIFY.
    ///
    /// [`Client::sessions`]: crate::Client::sessions
    /// [`ShutdownHandle::shutdown_resumable`]: crate::ShutdownHandle::shutdown_resumable
    pub fn sessions(
        mut self,
        sessions: impl IntoIterator<Item = acord_core_gateway::Session>,
    ) -> Self {
        self.settings.sessions.extend(sessions);
        self
    }

    /// The identify queue (default: in-process, from `GET /gateway/bot`'s
    /// session start limit). Share one across processes running shard
    /// ranges of one bot.
    pub fn identify_queue(mut self, queue: Arc<dyn IdentifyQueue>) -> Self {
        self.settings.identify_queue = Some(queue);
        self
    }

    /// Adjusts every shard's configuration further (IDENTIFY presence,
    /// large threshold, backoff, …), after the decoder and keep-alive set
    /// here.
    pub fn configure_shards(
        mut self,
        f: impl FnOnce(ShardConfigBuilder) -> ShardConfigBuilder + Send + 'static,
    ) -> Self {
        self.settings.configure = Some(Box::new(f));
        self
    }

    /// Replaces the error hook, called when a handler panics or a payload
    /// does not deserialise (default: a `tracing` error / warning). The
    /// bot keeps running either way.
    pub fn on_error(mut self, hook: impl Fn(DispatchError) + Send + Sync + 'static) -> Self {
        self.settings.error_hook = Some(Arc::new(hook));
        self
    }

    /// Runs the handler calls of one channel one after the other, in the
    /// order the events arrived (messages, reactions, typing, pins,
    /// channel and thread updates, interactions). Other events, and
    /// different channels, still run concurrently.
    ///
    /// Off by default: every call runs in its own task, so two events of
    /// one channel may be handled out of order.
    pub fn sequential_per_channel(mut self) -> Self {
        self.settings.sequential = true;
        self
    }

    /// How many handler calls may run at once before the shards wait
    /// (default 1024). A slow bot slows its shards instead of growing
    /// memory.
    pub fn max_concurrent_handlers(mut self, max: usize) -> Self {
        self.settings.max_tasks = max.max(1);
        self
    }

    /// How long [`Client::start`] waits for running handlers after
    /// shutdown before it returns anyway (default 5 s). Handlers still
    /// running then are logged and left to finish on their own; they end
    /// with the runtime.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.settings.grace = grace;
        self
    }

    /// Builds the client: the REST client, one `GET /gateway/bot`, and the
    /// shard manager (no shard connects until [`Client::start`]).
    ///
    /// # Errors
    /// [`ClientError::Http`] when `GET /gateway/bot` fails (401: the token
    /// is invalid); [`ClientError::Config`] for an unusable configuration
    /// (a shard range outside the total, an [`http`](Self::http) client
    /// with another token).
    ///
    /// # Cancel safety
    /// Cancel safe: nothing runs until `start`.
    pub async fn build(self) -> Result<Client<S>, ClientError> {
        let handlers: Vec<Arc<dyn ErasedHandler>> = self
            .handlers
            .into_iter()
            .map(|h| h(self.data.clone()))
            .collect();
        let listeners: Vec<Listener> = self
            .listeners
            .into_iter()
            .map(|l| l(self.data.clone()))
            .collect();
        let (shared, router) = assemble(self.settings, handlers, listeners).await?;
        Ok(Client {
            shared,
            data: self.data,
            pending: Mutex::new(Some(router)),
        })
    }
}

/// The future of [`assemble`].
type Assembling = Pin<Box<dyn Future<Output = Result<(Arc<Shared>, Router), ClientError>> + Send>>;

/// Everything `build` does that does not depend on the state type, boxed
/// in a function that is not generic so it is compiled once, in acord,
/// not again in every bot crate.
#[inline(never)]
fn assemble(
    settings: Settings,
    handlers: Vec<Arc<dyn ErasedHandler>>,
    listeners: Vec<Listener>,
) -> Assembling {
    Box::pin(assemble_parts(settings, handlers, listeners))
}

async fn assemble_parts(
    this: Settings,
    handlers: Vec<Arc<dyn ErasedHandler>>,
    listeners: Vec<Listener>,
) -> Result<(Arc<Shared>, Router), ClientError> {
    let http = match this.http {
        Some(http) => {
            if http.token() != Some(&this.token) {
                return Err(ClientError::config(
                    "the HttpClient given to ClientBuilder::http was built with another token (or none); build it with the token given to Client::builder",
                ));
            }
            http
        }
        None => {
            let mut builder = HttpClient::builder(this.token.clone());
            if let Some(base) = this.api_base.or_else(|| env_var(API_BASE_ENV)) {
                builder = builder.api_base(base);
            }
            builder.build()?
        }
    };
    let mut info = http.fetch_gateway_bot().await?;
    if let Some(url) = this.gateway_url.or_else(|| env_var(GATEWAY_URL_ENV)) {
        info = GatewayBotInfo::new(url, info.shards, info.session_start_limit);
    }
    let (keep_alive, decoder, configure) = (this.keep_alive, this.decoder, this.configure);
    let mut manager = ShardManager::builder(this.token, this.intents, info);
    manager = match this.scheme {
        ShardScheme::Fixed(count) => manager.shard_count(count),
        ShardScheme::Range { range, total } => manager.range(range, total),
        _ => manager.recommended(),
    };
    if let Some(queue) = this.identify_queue {
        manager = manager.identify_queue(queue);
    }
    manager = manager.sessions(this.sessions);
    let manager = manager
        .configure(move |mut b| {
            if let Some(k) = keep_alive {
                b = b.keep_alive(move || k());
            }
            if let Some(d) = decoder {
                b = b.decoder(move || d());
            }
            match configure {
                Some(f) => f(b),
                None => b,
            }
        })
        .build()
        .map_err(|e| ClientError::config(e.to_string()))?;

    let handler_flags: Vec<EventTypeFlags> = handlers.iter().map(|h| h.wanted()).collect();
    let listener_flags = listeners
        .iter()
        .fold(EventTypeFlags::empty(), |acc, l| acc | l.flag);
    warn_missing_intents(this.intents, listener_flags);
    let (cache, store): (Arc<InMemoryCache>, Arc<dyn Cache>) = match this.cache_store {
        Some(store) => (Arc::new(InMemoryCache::new(CacheConfig::none())), store),
        None => {
            let cache = Arc::new(InMemoryCache::new(this.cache));
            (cache.clone(), cache)
        }
    };
    let cache_events = store.event_types();
    let shared = Arc::new(Shared {
        http: Http::new(http),
        manager,
        shutdown: ShutdownHandle::new(),
        wants: Wants::new(&handler_flags, listener_flags),
        hook: this.error_hook.unwrap_or_else(default_error_hook),
        tasks: InFlight::new(this.max_tasks),
        cache,
        store,
        cache_events,
    });
    let router = Router {
        shared: shared.clone(),
        handlers,
        listeners,
        sequential: this.sequential,
        grace: this.grace,
    };
    Ok((shared, router))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Warns about listeners for events the intents do not let through.
fn warn_missing_intents(intents: Intents, listening: EventTypeFlags) {
    for (name, needed) in acord_core_signals::EVENT_INTENTS {
        let Some(flag) = EventTypeFlags::from_name(name) else {
            continue;
        };
        if listening.intersects(flag) && !needed.is_empty() && !intents.intersects(*needed) {
            tracing::warn!(
                event = name,
                needs = ?needed,
                "a listener waits for an event the client's intents do not receive"
            );
        }
    }
}
