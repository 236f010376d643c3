//! [`HttpError`]: everything a request can fail with.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use acord_core_signals::{JsonErrorCode, RateLimitScope};
use serde::Deserialize;

use crate::ratelimit::WaitReason;
use crate::route::{redact_template_cow, Method, RouteError};

/// A route as it appears in errors and spans: method and template, never a
/// URL (a webhook or interaction token can be part of the URL).
///
/// A token written into the template as literal text (rather than given as
/// a parameter) is redacted: `/webhooks/1/abc…` shows as
/// `/webhooks/1/<redacted>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteLabel {
    method: Method,
    template: Cow<'static, str>,
}

impl RouteLabel {
    pub(crate) fn new(method: Method, template: Cow<'static, str>) -> Self {
        Self {
            method,
            template: redact_template_cow(template),
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The route template, e.g. `/channels/{channel_id}/messages`, with a
    /// token written into it redacted.
    pub fn template(&self) -> &str {
        &self.template
    }
}

impl fmt::Display for RouteLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// A non-2xx answer from Discord, decoded from the JSON error body
/// (discord-protocol.md §1.7).
#[derive(Clone, Debug)]
pub struct ApiError {
    route: RouteLabel,
    status: u16,
    code: Option<JsonErrorCode>,
    message: String,
    errors: Option<serde_json::Value>,
}

impl ApiError {
    /// Decodes the body of a non-2xx response. A body that is not Discord's
    /// JSON error shape still gives an `ApiError`, with no code.
    pub(crate) fn from_body(route: RouteLabel, status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Body {
            code: Option<u32>,
            message: Option<String>,
            errors: Option<serde_json::Value>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(b) => Self {
                route,
                status,
                code: b.code.map(JsonErrorCode::from_code),
                message: b.message.unwrap_or_default(),
                errors: b.errors,
            },
            Err(_) => Self {
                route,
                status,
                code: None,
                // Keep a short, printable excerpt of a non-JSON body (for
                // example a proxy's HTML page).
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                errors: None,
            },
        }
    }

    /// The route that failed.
    pub fn route(&self) -> &RouteLabel {
        &self.route
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Discord's JSON error code, if the body had one.
    pub fn code(&self) -> Option<JsonErrorCode> {
        self.code
    }

    /// Discord's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The nested `errors` object of a form error (`50035`), mirroring the
    /// request body; leaves hold `_errors: [{code, message}]`.
    pub fn errors(&self) -> Option<&serde_json::Value> {
        self.errors.as_ref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} returned {}", self.route, self.status)?;
        match self.code {
            Some(code) => write!(f, ": Discord code {} ({})", code.code(), self.message)?,
            None if !self.message.is_empty() => write!(f, ": {}", self.message)?,
            None => {}
        }
        match self.status {
            401 => f.write_str("; the token is invalid or revoked, stop using it"),
            403 => f.write_str("; the bot lacks a permission for this resource"),
            _ => Ok(()),
        }
    }
}

/// Everything a REST request can fail with.
///
/// The route is carried as method + template ([`RouteLabel`]), never as a
/// URL, and the token never appears. Branch with the predicates
/// ([`is_retryable`](Self::is_retryable), [`status`](Self::status),
/// [`retry_after`](Self::retry_after), …) rather than on variants where you can.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The route could not be built (missing or unknown parameter, bad base).
    #[error(transparent)]
    Route(#[from] RouteError),
    /// Discord answered with a non-2xx status (other than a retried 429).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// Still rate limited after the configured number of retries.
    #[error("{route} is rate limited ({scope} scope) after {attempts} attempts; retry after {retry_after:?}")]
    RateLimited {
        /// The route.
        route: RouteLabel,
        /// The bucket id Discord reported, if any.
        bucket: Option<String>,
        /// The 429's scope.
        scope: RateLimitScope,
        /// How long Discord asked to wait.
        retry_after: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The invalid-request budget is spent: the request was not sent, so the
    /// bot's IP is not Cloudflare-banned.
    #[error("{route} not sent: {count} invalid requests (401/403/429) in the last 10 minutes reached the hard stop at {limit}; fix the failing requests or wait")]
    InvalidRequestBudget {
        /// The route.
        route: RouteLabel,
        /// Invalid requests counted in the window.
        count: u32,
        /// The configured hard stop.
        limit: u32,
    },
    /// The ratelimiter backend failed (for a shared store such as Redis).
    #[error("rate limiter failed for {route}: {message}")]
    Ratelimiter {
        /// The route.
        route: RouteLabel,
        /// What failed.
        message: String,
    },
    /// The request timed out: one attempt outlasted the client's
    /// [`timeout`](crate::HttpClientBuilder::timeout), or the whole request
    /// (rate-limiter wait, attempts and the waits between them) could not
    /// finish within its own [`timeout`](crate::RequestBuilder::timeout).
    #[error("{route} timed out after {attempts} attempts{}; Discord, the proxy or the rate limit is too slow for it", DeadlineNote(*.deadline))]
    Timeout {
        /// The route.
        route: RouteLabel,
        /// Attempts sent (0: it timed out waiting for the rate limiter).
        attempts: u32,
        /// The request's own deadline, when that is what ran out (`None`:
        /// one attempt outlasted the client's per-attempt timeout).
        deadline: Option<Duration>,
    },
    /// The rate limiter would have held the request longer than
    /// [`max_rate_limit_wait`](crate::HttpClientBuilder::max_rate_limit_wait)
    /// allows (an exhausted bucket, the global limit, a learned sub-limit);
    /// it was refused at once and not sent.
    #[error("{route} not sent: the rate limiter would hold it {} ({}: {bucket}), longer than max_rate_limit_wait allows; try again later or raise the cap", WaitNote(*.wait), ReasonNote(*.reason))]
    RateLimitWait {
        /// The route.
        route: RouteLabel,
        /// The limit that would hold it: `bucket ID [major]` once Discord
        /// named the bucket, else the rate-limit key; the resource for a
        /// learned sub-limit; `every route` for the global limit. Never a
        /// token.
        bucket: String,
        /// Why the limiter would wait, if it said.
        reason: Option<WaitReason>,
        /// How long it would have waited; `None` when that was not known
        /// (a new bucket's first response had not come back in time).
        wait: Option<Duration>,
    },
    /// Discord could not be reached, or the connection broke.
    #[error("could not reach Discord for {route} after {attempts} attempts; check network access or the API base / proxy setting")]
    Transport {
        /// The route.
        route: RouteLabel,
        /// Attempts made.
        attempts: u32,
        /// The cause (its URL is removed).
        #[source]
        source: reqwest::Error,
    },
    /// A success response did not decode as the expected type.
    #[error("response for {route} did not match {expected}; is the API version pinned?")]
    Decode {
        /// The route.
        route: RouteLabel,
        /// The Rust type expected.
        expected: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Discord answered 401 to an earlier request that carried the bot
    /// token, so this client (and every clone) refuses authenticated
    /// requests without sending them: a revoked token would only collect
    /// invalid requests toward a Cloudflare ban.
    #[error("{route} not sent: Discord rejected the bot token (401) on an earlier request; build a new client with a valid token")]
    InvalidToken {
        /// The route.
        route: RouteLabel,
    },
    /// The client could not be built (TLS backend, invalid proxy or user agent).
    #[error("could not build the HTTP client: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The request could not be built (a body that does not serialise, an
    /// invalid header, a token with characters a header cannot hold).
    #[error("could not build request for {route}: {reason}")]
    Build {
        /// The route.
        route: RouteLabel,
        /// What is wrong.
        reason: Cow<'static, str>,
    },
}

/// ` within its {deadline:?} deadline` for [`HttpError::Timeout`].
struct DeadlineNote(Option<Duration>);

impl fmt::Display for DeadlineNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(deadline) => write!(f, " within its {deadline:?} deadline"),
            None => Ok(()),
        }
    }
}

/// The wait reason of [`HttpError::RateLimitWait`].
struct ReasonNote(Option<WaitReason>);

impl fmt::Display for ReasonNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(reason) => write!(f, "{reason}"),
            None => f.write_str("rate limit"),
        }
    }
}

/// The wait of [`HttpError::RateLimitWait`].
struct WaitNote(Option<Duration>);

impl fmt::Display for WaitNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(wait) => write!(f, "for {wait:?}"),
            None => f.write_str("for an unknown time"),
        }
    }
}

impl HttpError {
    /// The HTTP status, for [`HttpError::Api`] (and 429 for
    /// [`HttpError::RateLimited`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Discord's JSON error code, if the response had one.
    pub fn code(&self) -> Option<JsonErrorCode> {
        match self {
            Self::Api(e) => e.code,
            _ => None,
        }
    }

    /// The decoded API error, if Discord answered.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether trying the same request again later may succeed: 5xx,
    /// timeouts, connection errors and rate limits.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => e.status >= 500,
            Self::RateLimited { .. }
            | Self::RateLimitWait { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. } => true,
            Self::InvalidRequestBudget { .. } | Self::Ratelimiter { .. } => true,
            _ => false,
        }
    }

    /// How long to wait before trying again: what Discord asked for
    /// ([`HttpError::RateLimited`]), or how long the rate limiter would have
    /// held the request ([`HttpError::RateLimitWait`], when known).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::RateLimitWait { wait, .. } => *wait,
            _ => None,
        }
    }

    /// Whether a rate limit stopped the request: a 429 that outlasted the
    /// retries or asked for more than `max_rate_limit_wait`
    /// ([`HttpError::RateLimited`]), or a wait in the rate limiter longer
    /// than `max_rate_limit_wait` ([`HttpError::RateLimitWait`], not sent).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::RateLimitWait { .. })
    }

    /// Whether the token was rejected (401), now or on an earlier request
    /// ([`HttpError::InvalidToken`]): stop using it.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401) || matches!(self, Self::InvalidToken { .. })
    }

    /// Whether the request timed out: one attempt, or the whole request
    /// against its own [`timeout`](crate::RequestBuilder::timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether the route itself was invalid (missing/unknown parameter).
    pub fn is_route(&self) -> bool {
        matches!(self, Self::Route(_))
    }

    /// The route the error is about, if known.
    pub fn route(&self) -> Option<&RouteLabel> {
        match self {
            Self::Route(_) | Self::Config { .. } => None,
            Self::Api(e) => Some(&e.route),
            Self::RateLimited { route, .. }
            | Self::RateLimitWait { route, .. }
            | Self::InvalidRequestBudget { route, .. }
            | Self::Ratelimiter { route, .. }
            | Self::Timeout { route, .. }
            | Self::Transport { route, .. }
            | Self::Decode { route, .. }
            | Self::InvalidToken { route }
            | Self::Build { route, .. } => Some(route),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> RouteLabel {
        RouteLabel::new(Method::Post, "/channels/{channel_id}/messages".into())
    }

    #[test]
    fn send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<HttpError>();
        assert_traits::<RouteError>();
        assert!(
            std::mem::size_of::<HttpError>() <= 96,
            "{}",
            std::mem::size_of::<HttpError>()
        );
    }

    #[test]
    fn decodes_form_errors() {
        let body = br#"{"code":50035,"message":"Invalid Form Body","errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"too long"}]}}}"#;
        let e = HttpError::Api(Box::new(ApiError::from_body(label(), 400, body)));
        assert_eq!(e.status(), Some(400));
        assert_eq!(e.code(), Some(JsonErrorCode::InvalidFormBody));
        let errors = e.api().unwrap().errors().unwrap();
        assert_eq!(
            errors["content"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert_eq!(text, "POST /channels/{channel_id}/messages returned 400: Discord code 50035 (Invalid Form Body)");
    }

    #[test]
    fn non_json_bodies_and_predicates() {
        let e = HttpError::Api(Box::new(ApiError::from_body(
            label(),
            502,
            b"<html>bad gateway</html>",
        )));
        assert!(e.is_retryable());
        assert_eq!(e.code(), None);
        assert!(e.to_string().contains("bad gateway"));
        let unauthorized = HttpError::Api(Box::new(ApiError::from_body(
            label(),
            401,
            br#"{"message":"401: Unauthorized","code":0}"#,
        )));
        assert!(unauthorized.is_unauthorized());
        assert!(unauthorized.to_string().contains("stop using it"));
        let invalid = HttpError::InvalidToken { route: label() };
        assert!(invalid.is_unauthorized() && !invalid.is_retryable());
        assert_eq!(invalid.status(), None);
        assert_eq!(invalid.route(), Some(&label()));
        assert!(invalid.to_string().contains("rejected the bot token (401)"));
        let limited = HttpError::RateLimited {
            route: label(),
            bucket: None,
            scope: RateLimitScope::User,
            retry_after: Duration::from_millis(1500),
            attempts: 3,
        };
        assert_eq!(limited.retry_after(), Some(Duration::from_millis(1500)));
        assert!(limited.is_rate_limited() && limited.is_retryable());
        assert_eq!(limited.status(), Some(429));
        assert_eq!(
            limited.route().unwrap().template(),
            "/channels/{channel_id}/messages"
        );
    }
}
