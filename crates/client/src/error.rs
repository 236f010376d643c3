//! [`ClientError`]: what the client layer can fail with.

use std::sync::Arc;
use std::time::Duration;

use acord_core_gateway::GatewayError;
use acord_core_http::{ApiError, HttpError};
use acord_core_signals::{CloseCode, JsonErrorCode};

use crate::command::ValidationError;

/// Everything the `acord` client layer can fail with.
///
/// The lower layers' errors are kept whole as the [`source`] of each
/// variant, so a reporter that prints the chain shows Discord's status, JSON
/// error code and message, or the gateway close code and what to fix.
/// Branch with the predicates: [`kind`](Self::kind) for Discord's JSON
/// error code (`UnknownChannel`, `MissingPermissions`, …),
/// [`status`](Self::status), [`close_code`](Self::close_code),
/// [`is_fatal`](Self::is_fatal).
///
/// [`source`]: std::error::Error::source
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A REST request failed (Discord answered with an error, the rate
    /// limiter refused, the network failed, or the answer did not decode).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A payload breaks a documented limit; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A gateway command could not be sent (the shard stopped, or the
    /// payload is too large).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// A shard stopped for good: the gateway closed with a code that says
    /// reconnecting cannot help. The message says what to fix (for example
    /// 4004: the token is wrong; 4014: enable the privileged intent in the
    /// Developer Portal or remove it).
    #[error("shard {shard} stopped: {source}")]
    Fatal {
        /// The shard that stopped.
        shard: u32,
        /// The gateway error (a fatal close code, or an exhausted session
        /// start limit).
        #[source]
        source: Arc<GatewayError>,
    },
    /// A [`wait_for`](crate::Context::wait_for) collector saw no matching
    /// event in time.
    #[error("no {event} event matched within {after:?}")]
    Timeout {
        /// The event name waited for.
        event: &'static str,
        /// How long it waited.
        after: Duration,
    },
    /// The client has shut down; the collector or command can no longer
    /// complete.
    #[error("the client has shut down")]
    Closed,
    /// The client's configuration is unusable; the message says what to fix.
    #[error("invalid client configuration: {reason}")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A REST answer did not carry what the endpoint promises (for
    /// example a response without the expected object).
    #[error("unexpected answer from {endpoint}: {reason}")]
    UnexpectedResponse {
        /// The endpoint, as `METHOD /template`.
        endpoint: &'static str,
        /// What was missing or wrong.
        reason: String,
    },
}

impl ClientError {
    /// Discord's JSON error code of a failed REST request
    /// (`JsonErrorCode::UnknownChannel`, `MissingPermissions`,
    /// `MissingAccess`, `CannotSendEmptyMessage`, …); codes acord has no
    /// name for are `JsonErrorCode::Unknown(n)`.
    pub fn kind(&self) -> Option<JsonErrorCode> {
        match self {
            Self::Http(e) => e.code(),
            _ => None,
        }
    }

    /// The HTTP status of a failed REST request.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http(e) => e.status(),
            _ => None,
        }
    }

    /// Discord's error answer (status, code, message and the nested field
    /// `errors` of a form error), if the request reached Discord.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Http(e) => e.api(),
            _ => None,
        }
    }

    /// The gateway close code that stopped a shard.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Fatal { source, .. } => source.close_code(),
            Self::Gateway(e) => e.close_code(),
            _ => None,
        }
    }

    /// Whether retrying cannot help: a fatal gateway close, an invalid
    /// token (REST 401, as gateway close 4004), an invalid configuration,
    /// or a payload that breaks a limit.
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Fatal { .. } | Self::Config { .. } | Self::Validation(_) => true,
            Self::Gateway(e) => e.is_fatal(),
            Self::Http(e) => e.is_unauthorized(),
            _ => false,
        }
    }

    /// Whether something timed out: a [`wait_for`](crate::Context::wait_for)
    /// collector, or a REST request ([`HttpError::is_timeout`]: one attempt,
    /// or the request's own deadline).
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            Self::Http(e) => e.is_timeout(),
            _ => false,
        }
    }

    #[allow(dead_code)] // used by the client builder
    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Self::Config {
            reason: reason.into(),
        }
    }
}

/// `Result` with [`ClientError`].
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<ClientError>();
    }

    #[tokio::test]
    async fn a_rest_timeout_is_a_timeout() {
        use acord_core_http::ratelimit::Ratelimiter;
        use acord_core_http::{route, HttpClient, InMemoryRatelimiter};
        // The first request of a new bucket is out and never answers, so the
        // next one waits in the limiter until its deadline; nothing is sent.
        let limiter = InMemoryRatelimiter::new();
        let key = route!(GET "/users/@me").ratelimit_key().unwrap();
        let _probe = limiter.acquire(&key).await.unwrap();
        let http = HttpClient::builder("token")
            .ratelimiter(std::sync::Arc::new(limiter))
            .build()
            .unwrap();
        let err = http
            .request(route!(GET "/users/@me"))
            .timeout(Duration::from_millis(20))
            .send()
            .await
            .unwrap_err();
        let err = ClientError::from(err);
        assert!(err.is_timeout(), "{err}");
    }

    #[test]
    fn fatal_close_says_what_to_fix() {
        let err = ClientError::Fatal {
            shard: 0,
            source: Arc::new(GatewayError::FatalClose {
                shard: 0,
                code: CloseCode::DisallowedIntents,
            }),
        };
        assert_eq!(err.close_code(), Some(CloseCode::DisallowedIntents));
        assert!(err.is_fatal());
        let text = err.to_string();
        assert!(text.contains("4014"), "{text}");
    }
}
