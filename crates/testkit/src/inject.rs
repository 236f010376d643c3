//! Scripted REST responses: make the fake answer the next matching
//! requests with a 429 or an error status.

use std::time::Duration;

use acord_core_signals::RateLimitScope;

/// A scripted answer for the next `times` requests that match.
#[derive(Clone, Debug)]
pub struct Injection {
    /// Only requests with this method (upper case); `None` matches any.
    pub method: Option<String>,
    /// Only requests whose path contains this text.
    pub path_contains: String,
    /// How many matching requests get the scripted answer.
    pub times: u32,
    /// The answer.
    pub response: InjectedResponse,
}

/// What an [`Injection`] answers with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum InjectedResponse {
    /// A 429 exactly as Discord sends it for `scope` (discord-protocol.md
    /// §2.2, §2.3).
    RateLimited {
        /// `user`, `global` or `shared`.
        scope: RateLimitScope,
        /// The `retry_after` of the body; `Retry-After` is it rounded up.
        retry_after: Duration,
    },
    /// Any status with a JSON body (e.g. 500, 502, or 403 with code 50013).
    Status {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        body: serde_json::Value,
    },
}

impl Injection {
    /// Whether this injection applies to a request.
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(&self.path_contains)
    }
}
