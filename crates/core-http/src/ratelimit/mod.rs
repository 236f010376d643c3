//! The [`Ratelimiter`] trait, what flows through it ([`Ticket`],
//! [`RateLimitInfo`]) and what it reports ([`RatelimitEvent`]).
//!
//! A request goes through a ratelimiter in two steps:
//!
//! 1. [`Ratelimiter::acquire`] waits until the request may be sent (its
//!    bucket has room, the global limit has room, no global 429 pause is
//!    running) and hands out a [`Ticket`]. When the caller cannot wait
//!    long (`max_rate_limit_wait`, or the request's own `timeout`), the
//!    client calls [`Ratelimiter::acquire_within`] instead, which refuses at
//!    once with [`AcquireError::WaitTooLong`] when it knows the wait is
//!    longer than allowed;
//! 2. after the response, [`Ratelimiter::complete`] gets the ticket back
//!    with the response's rate-limit headers ([`RateLimitInfo`]), so the
//!    limiter learns bucket ids, limits and resets.
//!
//! Dropping a ticket without completing it (the request future was
//! cancelled) must release whatever the ticket holds, so a cancelled request
//! never stalls its bucket.
//!
//! The trait is async because a limiter shared by a cluster of processes
//! keeps its state in a store such as Redis. It is object-safe
//! (`Arc<dyn Ratelimiter>`): methods return boxed futures.
//!
//! ## Replacing the limiter
//!
//! A limiter that counts requests and leaves the decisions to the default
//! one; a limiter shared through Redis has the same shape (see
//! docs/http.md for a sketch). A wrapper forwards
//! [`acquire_within`](Ratelimiter::acquire_within) too, so the inner
//! limiter can refuse a long wait without waiting:
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use std::time::Duration;
//! use acord_core_http::ratelimit::{AcquireError, BoxFuture, RateLimitInfo, Ratelimiter, Ticket};
//! use acord_core_http::{HttpClient, InMemoryRatelimiter, RouteKey};
//!
//! #[derive(Debug, Default)]
//! struct Counting {
//!     inner: InMemoryRatelimiter,
//!     sent: AtomicU64,
//! }
//!
//! impl Ratelimiter for Counting {
//!     fn acquire<'a>(&'a self, key: &'a RouteKey) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
//!         self.sent.fetch_add(1, Ordering::Relaxed);
//!         self.inner.acquire(key)
//!     }
//!
//!     fn acquire_within<'a>(
//!         &'a self,
//!         key: &'a RouteKey,
//!         max_wait: Duration,
//!     ) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
//!         self.sent.fetch_add(1, Ordering::Relaxed);
//!         self.inner.acquire_within(key, max_wait)
//!     }
//!
//!     fn complete<'a>(&'a self, ticket: Ticket, info: Option<&'a RateLimitInfo>) -> BoxFuture<'a, ()> {
//!         self.inner.complete(ticket, info)
//!     }
//! }
//!
//! let limiter = Arc::new(Counting::default());
//! let http = HttpClient::builder("token").ratelimiter(limiter.clone()).build()?;
//! assert_eq!(limiter.sent.load(Ordering::Relaxed), 0);
//! # Ok::<(), acord_core_http::HttpError>(())
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use acord_core_signals::{headers, RateLimitScope};
use reqwest::header::HeaderMap;

use crate::route::RouteKey;

pub(crate) mod in_memory;

pub use in_memory::{InMemoryRatelimiter, InMemoryRatelimiterBuilder};

/// A boxed, `Send` future, as returned by [`Ratelimiter`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides when a REST request may be sent, and learns from responses.
///
/// The default is [`InMemoryRatelimiter`]; replace it with
/// `HttpClient::builder(token).ratelimiter(Arc::new(MyLimiter))`, for example
/// to share limits between processes through Redis (see docs/http.md).
///
/// Two methods are required ([`acquire`](Self::acquire),
/// [`complete`](Self::complete)). [`acquire_within`](Self::acquire_within)
/// is provided: the client calls it instead of `acquire` when the request
/// may only wait so long (`max_rate_limit_wait`, or the request's own
/// `timeout`). Its default waits on `acquire` for at most that long; a
/// limiter that knows its waits in advance should override it to refuse at
/// once and say how long the wait would be, as [`InMemoryRatelimiter`] does.
/// Limiters written before `acquire_within` existed keep working unchanged.
pub trait Ratelimiter: fmt::Debug + Send + Sync {
    /// Waits until a request with this key may be sent.
    ///
    /// # Errors
    ///
    /// An [`AcquireError`] when the request must not be sent at all (the
    /// invalid-request budget is spent) or the backend failed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives back anything it reserved.
    fn acquire<'a>(&'a self, key: &'a RouteKey) -> BoxFuture<'a, Result<Ticket, AcquireError>>;

    /// Like [`acquire`](Self::acquire), but the request may wait at most
    /// `max_wait` in all (bucket, global limit, pauses).
    ///
    /// An implementation that knows a wait will be longer refuses at once,
    /// without sleeping and without keeping any reservation, with
    /// [`AcquireError::WaitTooLong`] carrying that wait. The provided
    /// implementation cannot know: it waits on `acquire` for up to
    /// `max_wait`, then refuses with `wait: None`.
    ///
    /// # Errors
    ///
    /// [`AcquireError::WaitTooLong`], and the errors of `acquire`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives back anything it reserved.
    fn acquire_within<'a>(
        &'a self,
        key: &'a RouteKey,
        max_wait: Duration,
    ) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
        Box::pin(async move {
            match tokio::time::timeout(max_wait, self.acquire(key)).await {
                Ok(result) => result,
                Err(_) => Err(AcquireError::WaitTooLong {
                    wait: None,
                    reason: None,
                    bucket: None,
                }),
            }
        })
    }

    /// Reports the outcome of the request sent with `ticket`: the response's
    /// rate-limit information, or `None` when no response arrived
    /// (connection error, timeout).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may lose what the response taught; the ticket is
    /// released either way.
    fn complete<'a>(&'a self, ticket: Ticket, info: Option<&'a RateLimitInfo>)
        -> BoxFuture<'a, ()>;
}

/// Permission to send one request, handed out by [`Ratelimiter::acquire`].
///
/// It wraps whatever state the limiter needs; dropping it without
/// [`Ratelimiter::complete`] must release that state (implement `Drop` on
/// the inner type).
pub struct Ticket {
    inner: Box<dyn Any + Send + Sync>,
}

impl Ticket {
    /// Wraps a limiter's own ticket state.
    pub fn new<T: Any + Send + Sync>(state: T) -> Self {
        Self {
            inner: Box::new(state),
        }
    }

    /// Takes the limiter's state back out, if it is a `T`.
    ///
    /// # Errors
    ///
    /// Returns the ticket unchanged if it holds another type.
    pub fn downcast<T: Any + Send + Sync>(self) -> Result<Box<T>, Self> {
        self.inner.downcast::<T>().map_err(|inner| Self { inner })
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ticket")
    }
}

/// Why [`Ratelimiter::acquire`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcquireError {
    /// The invalid-request hard stop is reached.
    #[error("{count} invalid requests in the window reached the hard stop at {limit}")]
    InvalidRequestBudget {
        /// Invalid requests counted in the window.
        count: u32,
        /// The configured hard stop.
        limit: u32,
    },
    /// The limiter's backend failed.
    #[error("rate limiter backend failed: {0}")]
    Backend(String),
    /// The request would have to wait longer than the `max_wait` given to
    /// [`Ratelimiter::acquire_within`]; nothing is reserved.
    #[error("the rate limiter would hold the request {}", match .wait { Some(wait) => format!("for {wait:?}"), None => "longer than allowed".to_owned() })]
    WaitTooLong {
        /// How long it would have waited, counted from the refusal; `None`
        /// when the limiter could not tell (it waited for a response that
        /// did not come in time).
        wait: Option<Duration>,
        /// Why it would wait, if the limiter says.
        reason: Option<WaitReason>,
        /// The bucket id Discord gave the route, if known.
        bucket: Option<Arc<str>>,
    },
}

/// The rate-limit facts of one response (discord-protocol.md §2.2, §2.3).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RateLimitInfo {
    /// The HTTP status.
    pub status: u16,
    /// `X-RateLimit-Limit`.
    pub limit: Option<u32>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset-After` (preferred over the absolute
    /// `X-RateLimit-Reset`, which depends on clock sync).
    pub reset_after: Option<Duration>,
    /// `X-RateLimit-Bucket`.
    pub bucket: Option<Arc<str>>,
    /// On a 429: `X-RateLimit-Scope`, or `global` when `X-RateLimit-Global`
    /// or the body's `global` says so.
    pub scope: Option<RateLimitScope>,
    /// On a 429: how long to wait; the body's float `retry_after` if
    /// present, else the `Retry-After` header.
    pub retry_after: Option<Duration>,
}

/// The longest wait a response can ask for. Longer values (a broken proxy,
/// a hostile server) are cut to this, so `Instant + wait` never overflows.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Non-negative finite seconds as a duration, at most [`MAX_SERVER_WAIT`].
fn server_wait(secs: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .map(|d| d.min(MAX_SERVER_WAIT))
}

fn seconds(value: &str) -> Option<Duration> {
    server_wait(value.trim().parse().ok()?)
}

impl RateLimitInfo {
    /// Reads the rate-limit headers of a response. For a 429, call
    /// [`with_body`](Self::with_body) too.
    pub fn from_headers(status: u16, map: &HeaderMap) -> Self {
        let text = |name: &str| map.get(name).and_then(|v| v.to_str().ok());
        let scope = text(headers::SCOPE)
            .and_then(RateLimitScope::parse)
            .or_else(|| {
                text(headers::GLOBAL)
                    .filter(|v| v.eq_ignore_ascii_case("true"))
                    .map(|_| RateLimitScope::Global)
            });
        Self {
            status,
            limit: text(headers::LIMIT).and_then(|v| v.trim().parse().ok()),
            remaining: text(headers::REMAINING).and_then(|v| v.trim().parse().ok()),
            reset_after: text(headers::RESET_AFTER).and_then(seconds),
            bucket: text(headers::BUCKET)
                .filter(|v| !v.is_empty())
                .map(Arc::from),
            scope: if status == 429 { scope } else { None },
            retry_after: if status == 429 {
                text(headers::RETRY_AFTER).and_then(seconds)
            } else {
                None
            },
        }
    }

    /// Adds what a 429 body says: the float `retry_after` (trusted over the
    /// header) and `global`. A body that is not JSON changes nothing.
    #[must_use]
    pub fn with_body(mut self, body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            retry_after: Option<f64>,
            global: Option<bool>,
        }
        if let Ok(b) = serde_json::from_slice::<Body>(body) {
            if let Some(d) = b.retry_after.and_then(server_wait) {
                self.retry_after = Some(d);
            }
            if b.global == Some(true) {
                self.scope = Some(RateLimitScope::Global);
            }
        }
        if self.status == 429 && self.scope.is_none() {
            self.scope = Some(RateLimitScope::User);
        }
        self
    }

    /// Whether the response was a 429.
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
    }
}

/// Why a request waited before being sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// The bucket has no requests left until it resets.
    BucketExhausted,
    /// The bucket is new: one request is out to learn its limit.
    FreshBucket,
    /// The global limit (requests per second) is used up.
    Global,
    /// A global 429 paused every request.
    GlobalPause,
    /// A limit learned from an earlier 429 (an undocumented sub-limit).
    LearnedLimit,
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BucketExhausted => "bucket exhausted",
            Self::FreshBucket => "waiting for the first response of a new bucket",
            Self::Global => "global limit",
            Self::GlobalPause => "global 429 pause",
            Self::LearnedLimit => "learned sub-limit",
        })
    }
}

/// Something a limiter did that a bot may want to watch (metrics, alerts).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RatelimitEvent {
    /// A request waits before being sent.
    Wait {
        /// The request's key (route + major parameter).
        key: RouteKey,
        /// The bucket id, once Discord told it.
        bucket: Option<Arc<str>>,
        /// Why.
        reason: WaitReason,
        /// How long, when known (`None`: until a response arrives).
        wait: Option<Duration>,
    },
    /// Discord answered 429.
    RateLimited {
        /// The request's key.
        key: RouteKey,
        /// The bucket id, if known.
        bucket: Option<Arc<str>>,
        /// The scope.
        scope: RateLimitScope,
        /// How long Discord asked to wait.
        retry_after: Duration,
    },
    /// The invalid-request count crossed the warning threshold.
    InvalidRequestWarning {
        /// Invalid requests in the window.
        count: u32,
        /// The ban threshold (10,000 per 10 minutes).
        limit: u32,
    },
}

/// A callback that receives every [`RatelimitEvent`]. Keep it fast: it runs
/// on the request path.
pub type RatelimitHook = Arc<dyn Fn(&RatelimitEvent) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_headers_and_bodies() {
        let mut map = HeaderMap::new();
        map.insert("x-ratelimit-limit", HeaderValue::from_static("5"));
        map.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        map.insert("x-ratelimit-reset-after", HeaderValue::from_static("64.57"));
        map.insert("x-ratelimit-bucket", HeaderValue::from_static("abcd"));
        map.insert("retry-after", HeaderValue::from_static("65"));
        map.insert("x-ratelimit-scope", HeaderValue::from_static("shared"));
        let ok = RateLimitInfo::from_headers(200, &map);
        assert_eq!(ok.limit, Some(5));
        assert_eq!(ok.remaining, Some(0));
        assert_eq!(ok.reset_after, Some(Duration::from_millis(64_570)));
        assert_eq!(ok.bucket.as_deref(), Some("abcd"));
        assert_eq!(ok.scope, None);
        assert_eq!(ok.retry_after, None);

        let limited = RateLimitInfo::from_headers(429, &map)
            .with_body(br#"{"message":"The resource is being rate limited.","retry_after":64.57,"global":false}"#);
        assert_eq!(limited.scope, Some(RateLimitScope::Shared));
        // The body's float wins over the rounded header.
        assert_eq!(limited.retry_after, Some(Duration::from_millis(64_570)));

        let mut global = HeaderMap::new();
        global.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        global.insert("retry-after", HeaderValue::from_static("2"));
        let g = RateLimitInfo::from_headers(429, &global).with_body(b"not json");
        assert_eq!(g.scope, Some(RateLimitScope::Global));
        assert_eq!(g.retry_after, Some(Duration::from_secs(2)));

        let bare = RateLimitInfo::from_headers(429, &HeaderMap::new())
            .with_body(br#"{"retry_after":0.5,"global":true}"#);
        assert_eq!(bare.scope, Some(RateLimitScope::Global));
        let user =
            RateLimitInfo::from_headers(429, &HeaderMap::new()).with_body(br#"{"retry_after":-1}"#);
        assert_eq!(user.scope, Some(RateLimitScope::User));
        assert_eq!(user.retry_after, None);
    }

    #[test]
    fn absurd_waits_are_capped() {
        let mut map = HeaderMap::new();
        map.insert("x-ratelimit-reset-after", HeaderValue::from_static("1e19"));
        map.insert(
            "retry-after",
            HeaderValue::from_static("10000000000000000000"),
        );
        let info = RateLimitInfo::from_headers(429, &map);
        assert_eq!(info.reset_after, Some(MAX_SERVER_WAIT));
        assert_eq!(info.retry_after, Some(MAX_SERVER_WAIT));
        let body = info.with_body(br#"{"retry_after":1.5e19}"#);
        assert_eq!(body.retry_after, Some(MAX_SERVER_WAIT));
        // The limiter can add them to `now` without overflowing.
        let now = tokio::time::Instant::now();
        assert!(now.checked_add(MAX_SERVER_WAIT * 2).is_some());
    }

    /// A limiter written before `acquire_within`: it overrides only the
    /// required methods and never lets anything out.
    #[derive(Debug)]
    struct Closed;

    impl Ratelimiter for Closed {
        fn acquire<'a>(&'a self, _: &'a RouteKey) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
            Box::pin(std::future::pending())
        }

        fn complete<'a>(&'a self, _: Ticket, _: Option<&'a RateLimitInfo>) -> BoxFuture<'a, ()> {
            Box::pin(std::future::ready(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn provided_acquire_within_bounds_the_wait() {
        let limiter: Arc<dyn Ratelimiter> = Arc::new(Closed);
        let key = crate::route::Route::new(crate::route::Method::Get, "/gateway")
            .ratelimit_key()
            .unwrap();
        let start = tokio::time::Instant::now();
        let refused = limiter
            .acquire_within(&key, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(
            refused,
            AcquireError::WaitTooLong {
                wait: None,
                reason: None,
                bucket: None
            }
        );
    }

    #[test]
    fn object_safe_and_send_sync() {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<dyn Ratelimiter>();
        assert_send_sync::<Ticket>();
        assert_send_sync::<AcquireError>();
        let _: Option<Arc<dyn Ratelimiter>> = None;
    }
}
