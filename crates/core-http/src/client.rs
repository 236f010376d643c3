//! [`HttpClient`] and its builder.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord_core_signals::{API_VERSION, DEFAULT_API_BASE, LIBRARY_URL};
use reqwest::header::HeaderValue;

use crate::error::HttpError;
use crate::gateway::{CurrentUser, GatewayBotInfo, GatewayInfo};
use crate::ratelimit::{InMemoryRatelimiter, Ratelimiter};
use crate::request::RequestBuilder;
use crate::route::{redact_userinfo, Method, Route};
use crate::token::{Token, TokenHeader as _};

/// How failed requests are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after a 5xx or a connection error, idempotent methods only.
    pub(crate) retries: u32,
    /// First backoff; doubles each retry, with ±20 % jitter.
    pub(crate) backoff: Duration,
    /// Longest backoff.
    pub(crate) max_backoff: Duration,
    /// Retries after a 429 (any method: a 429 was not processed).
    pub(crate) rate_limit_retries: u32,
    /// A 429 asking to wait longer than this fails at once.
    pub(crate) max_rate_limit_wait: Option<Duration>,
}

impl RetryPolicy {
    /// The backoff before retry number `n` (1-based), with jitter in
    /// `[0.8, 1.2)` from `jitter01` in `[0, 1)`.
    pub(crate) fn backoff(&self, n: u32, jitter01: f64) -> Duration {
        let exp = self
            .backoff
            .saturating_mul(1u32 << n.saturating_sub(1).min(16))
            .min(self.max_backoff);
        exp.mul_f64(0.8 + 0.4 * jitter01.clamp(0.0, 1.0))
    }
}

/// A number in `[0, 1)` from the standard library's random hasher keys
/// (no `rand` dependency).
pub(crate) fn jitter01() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) token: Option<Token>,
    pub(crate) api_base: String,
    pub(crate) api_version: u8,
    pub(crate) ratelimiter: Arc<dyn Ratelimiter>,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    /// Set by the first 401 on a request that carried the token; from then
    /// on authenticated requests fail with [`HttpError::InvalidToken`].
    token_rejected: AtomicBool,
}

impl Inner {
    /// Whether Discord has rejected the token (a 401 on a request that
    /// carried it).
    pub(crate) fn token_rejected(&self) -> bool {
        self.token_rejected.load(Ordering::Acquire)
    }

    /// Records that Discord answered 401 to a request that carried the token.
    pub(crate) fn reject_token(&self) {
        if !self.token_rejected.swap(true, Ordering::AcqRel) {
            tracing::error!(
                "Discord rejected the bot token (401); refusing further authenticated requests"
            );
        }
    }
}

/// The REST client: builds requests from [`Route`]s, sends them through the
/// [`Ratelimiter`], retries what is safe to retry and turns errors into
/// [`HttpError`].
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool and
/// the rate limiter.
///
/// After Discord answers 401 to a request that carried the token, the
/// client and all its clones refuse further authenticated requests without
/// sending them ([`HttpError::InvalidToken`]); build a new client with a
/// valid token. Requests sent [`without_auth`](RequestBuilder::without_auth)
/// are not affected.
///
/// ```no_run
/// use acord_core_http::{HttpClient, Method, Route};
///
/// # async fn run() -> Result<(), acord_core_http::HttpError> {
/// let http = HttpClient::builder(std::env::var("DISCORD_TOKEN").unwrap_or_default()).build()?;
/// // Leave a guild: a route acord does not need to know about.
/// let route = Route::new(Method::Delete, "/users/@me/guilds/{guild_id}").param("guild_id", 81384788765712384u64);
/// http.request(route).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("token", &self.inner.token)
            .field("api_base", &redact_userinfo(&self.inner.api_base))
            .field("api_version", &self.inner.api_version)
            .field("ratelimiter", &self.inner.ratelimiter)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Starts a builder for a client authenticated with `token` (a bot
    /// token from a `&str`/`String`, or a [`Token`]).
    pub fn builder(token: impl Into<Token>) -> HttpClientBuilder {
        HttpClientBuilder::new().token(token)
    }

    /// Starts a builder for a client without a token (webhook-with-token
    /// routes, `GET /gateway`).
    pub fn unauthenticated() -> HttpClientBuilder {
        HttpClientBuilder::new()
    }

    /// Starts a request to `route`; finish it with
    /// [`send`](RequestBuilder::send).
    pub fn request(&self, route: Route) -> RequestBuilder {
        RequestBuilder::new(self.clone(), route)
    }

    /// The API base URL (without version).
    pub fn api_base(&self) -> &str {
        &self.inner.api_base
    }

    /// The API version in request paths.
    pub fn api_version(&self) -> u8 {
        self.inner.api_version
    }

    /// The rate limiter in use.
    pub fn ratelimiter(&self) -> &Arc<dyn Ratelimiter> {
        &self.inner.ratelimiter
    }

    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.inner.token.is_some()
    }

    /// The token, if one is configured (redacted in `Debug` and
    /// `Display`), so a layer above can check it uses the same one.
    pub fn token(&self) -> Option<&Token> {
        self.inner.token.as_ref()
    }

    /// Checks the token with `GET /users/@me` and returns who it belongs to.
    ///
    /// # Errors
    ///
    /// An [`HttpError`] with status 401 ([`HttpError::is_unauthorized`]) if
    /// the token is invalid, or any other request error.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn login(&self) -> Result<CurrentUser, HttpError> {
        self.request(Route::new(Method::Get, "/users/@me"))
            .send()
            .await?
            .json()
    }

    /// `GET /gateway`: the WebSocket URL (no authentication needed).
    ///
    /// # Errors
    ///
    /// Any request error, or [`HttpError::Decode`] if the body is not the
    /// documented shape.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn fetch_gateway(&self) -> Result<GatewayInfo, HttpError> {
        self.request(Route::new(Method::Get, "/gateway"))
            .send()
            .await?
            .json()
    }

    /// `GET /gateway/bot`: URL, recommended shard count and session start
    /// limit. Do not cache it for long.
    ///
    /// # Errors
    ///
    /// Any request error (401 for a bad token), or [`HttpError::Decode`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn fetch_gateway_bot(&self) -> Result<GatewayBotInfo, HttpError> {
        self.request(Route::new(Method::Get, "/gateway/bot"))
            .send()
            .await?
            .json()
    }
}

/// Builds an [`HttpClient`].
pub struct HttpClientBuilder {
    token: Option<Token>,
    api_base: String,
    api_version: u8,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    ratelimiter: Option<Arc<dyn Ratelimiter>>,
    user_agent_suffix: Option<String>,
    proxy: Option<String>,
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("token", &self.token)
            .field("api_base", &redact_userinfo(&self.api_base))
            .field("api_version", &self.api_version)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .finish_non_exhaustive()
    }
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClientBuilder {
    /// A builder with the defaults: `https://discord.com/api`, v10, 30 s
    /// timeout, 3 retries from 250 ms, 5 rate-limit retries, the
    /// [`InMemoryRatelimiter`], no token.
    pub fn new() -> Self {
        Self {
            token: None,
            api_base: DEFAULT_API_BASE.to_owned(),
            api_version: API_VERSION,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                retries: 3,
                backoff: Duration::from_millis(250),
                max_backoff: Duration::from_secs(8),
                rate_limit_retries: 5,
                max_rate_limit_wait: None,
            },
            ratelimiter: None,
            user_agent_suffix: None,
            proxy: None,
        }
    }

    /// The token sent as `Authorization`.
    #[must_use]
    pub fn token(mut self, token: impl Into<Token>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API base without version (default `https://discord.com/api`):
    /// point it at a REST proxy shared by a cluster, or at acord-testkit.
    #[must_use]
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }

    /// The API version in paths (default 10).
    #[must_use]
    pub fn api_version(mut self, version: u8) -> Self {
        self.api_version = version;
        self
    }

    /// Timeout for one attempt, from sending to the last body byte
    /// (default 30 s). For a deadline on a whole request (rate-limiter
    /// wait and retries included), see [`RequestBuilder::timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after a 5xx or broken connection for idempotent methods
    /// (GET, PUT, DELETE), and after a failed connect for any method, with
    /// exponential backoff starting at `backoff` (default 3 from 250 ms).
    /// POST and PATCH are never repeated once the request may have reached
    /// Discord.
    #[must_use]
    pub fn retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retry.retries = retries;
        self.retry.backoff = backoff;
        self
    }

    /// Retries after a 429, waiting `retry_after` each time (default 5);
    /// then [`HttpError::RateLimited`].
    #[must_use]
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.retry.rate_limit_retries = retries;
        self
    }

    /// The longest any rate-limit wait may be (default: always wait).
    /// Useful for interactive commands that cannot wait minutes.
    ///
    /// - A 429 whose `retry_after` is longer fails at once with
    ///   [`HttpError::RateLimited`].
    /// - A request the rate limiter would hold longer (an exhausted bucket,
    ///   the global limit, a global 429 pause, a learned sub-limit) is
    ///   refused at once without being sent, with
    ///   [`HttpError::RateLimitWait`] saying how long it would have waited
    ///   and on which limit. A custom [`Ratelimiter`] that does not override
    ///   [`acquire_within`](Ratelimiter::acquire_within) waits up to `max`
    ///   first.
    ///
    /// For a deadline on one whole request, see
    /// [`RequestBuilder::timeout`].
    #[must_use]
    pub fn max_rate_limit_wait(mut self, max: Duration) -> Self {
        self.retry.max_rate_limit_wait = Some(max);
        self
    }

    /// Replaces the rate limiter (default: a new [`InMemoryRatelimiter`]).
    #[must_use]
    pub fn ratelimiter(mut self, ratelimiter: Arc<dyn Ratelimiter>) -> Self {
        self.ratelimiter = Some(ratelimiter);
        self
    }

    /// Text appended to the `DiscordBot (url, version)` User-Agent, e.g.
    /// your bot's name.
    #[must_use]
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sends every request through this HTTP(S) proxy. Without it, no proxy
    /// is used (environment variables are ignored, so tests are
    /// reproducible).
    ///
    /// Credentials in the URL (`http://user:password@host:port`) are used
    /// for the proxy and never shown: `Debug` and the error for an invalid
    /// URL print `<redacted>@` instead.
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`HttpError::Config`] if the TLS backend cannot start, the proxy URL
    /// is invalid, or the token or user-agent suffix cannot be a header.
    pub fn build(self) -> Result<HttpClient, HttpError> {
        let config = |reason: String| HttpError::Config { reason };
        if let Some(token) = &self.token {
            if token.header_value().is_none() {
                return Err(config(
                    "the token holds characters an HTTP header cannot carry (a newline?)".into(),
                ));
            }
        }
        let mut ua = format!("DiscordBot ({LIBRARY_URL}, {})", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &self.user_agent_suffix {
            ua.push(' ');
            ua.push_str(suffix);
        }
        let user_agent = HeaderValue::from_str(&ua)
            .map_err(|_| config("the user-agent suffix is not a valid header value".into()))?;
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60));
        http = match &self.proxy {
            Some(url) => http.proxy(reqwest::Proxy::all(url.as_str()).map_err(|_| {
                // The URL may carry credentials: never echo them.
                config(format!("invalid proxy URL `{}`", redact_userinfo(url)))
            })?),
            None => http.no_proxy(),
        };
        let http = http
            .build()
            .map_err(|e| config(format!("HTTP client: {}", e.without_url())))?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http,
                token: self.token,
                api_base: self.api_base,
                api_version: self.api_version,
                ratelimiter: self
                    .ratelimiter
                    .unwrap_or_else(|| Arc::new(InMemoryRatelimiter::new())),
                retry: self.retry,
                user_agent,
                token_rejected: AtomicBool::new(false),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            rate_limit_retries: 1,
            max_rate_limit_wait: None,
        };
        assert_eq!(p.backoff(1, 0.5), Duration::from_millis(100));
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(400));
        assert_eq!(p.backoff(30, 0.5), Duration::from_secs(1));
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(80));
        let j = jitter01();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn debug_redacts_and_client_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<HttpClient>();
        let client = HttpClient::builder("super.secret.token").build().unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("super.secret"), "{text}");
        assert!(text.contains("redacted"));
        assert_eq!(client.api_version(), 10);
        assert_eq!(client.api_base(), "https://discord.com/api");
        assert!(HttpClient::builder("bad\ntoken").build().is_err());
        assert!(HttpClient::unauthenticated()
            .proxy("::not a url::")
            .build()
            .is_err());
    }

    #[test]
    fn user_agent_has_the_documented_form() {
        let client = HttpClient::unauthenticated()
            .user_agent_suffix("mybot")
            .build()
            .unwrap();
        let ua = client.inner.user_agent.to_str().unwrap();
        assert_eq!(
            ua,
            format!(
                "DiscordBot (https://github.com/acord-rs/acord, {}) mybot",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
