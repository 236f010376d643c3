//! REST constants: rate-limit headers and scopes (discord-protocol.md §2).

use std::fmt;

/// Names of the rate-limit headers, lower-case as HTTP/2 sends them.
pub mod headers {
    /// Requests allowed in the window.
    pub const LIMIT: &str = "x-ratelimit-limit";
    /// Requests left in the window.
    pub const REMAINING: &str = "x-ratelimit-remaining";
    /// Unix epoch seconds (with decimals) when the bucket resets.
    pub const RESET: &str = "x-ratelimit-reset";
    /// Seconds (with decimals) until the bucket resets.
    pub const RESET_AFTER: &str = "x-ratelimit-reset-after";
    /// Opaque id of the shared limit.
    pub const BUCKET: &str = "x-ratelimit-bucket";
    /// `true` on a 429 caused by the global limit.
    pub const GLOBAL: &str = "x-ratelimit-global";
    /// `user`, `global` or `shared` on a 429.
    pub const SCOPE: &str = "x-ratelimit-scope";
    /// Seconds to wait after a 429.
    pub const RETRY_AFTER: &str = "retry-after";
    /// Percent-encoded audit-log reason.
    pub const AUDIT_LOG_REASON: &str = "x-audit-log-reason";
}

/// The `X-RateLimit-Scope` of a 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitScope {
    /// The bot's own per-route limit.
    User,
    /// The bot's global limit: pause every request.
    Global,
    /// A per-resource limit shared by everyone: not the bot's fault, not an
    /// invalid request, and it says nothing about the bucket elsewhere.
    Shared,
}

impl RateLimitScope {
    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Global => "global",
            Self::Shared => "shared",
        }
    }

    /// Parses a header value (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("user") {
            Some(Self::User)
        } else if value.eq_ignore_ascii_case("global") {
            Some(Self::Global)
        } else if value.eq_ignore_ascii_case("shared") {
            Some(Self::Shared)
        } else {
            None
        }
    }

    /// Whether a 429 with this scope counts toward the invalid-request limit.
    pub const fn counts_as_invalid(self) -> bool {
        !matches!(self, Self::Shared)
    }
}

impl fmt::Display for RateLimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a response status counts toward the invalid-request limit
/// (401, 403, 429; shared-scope 429s are exempt, see
/// [`RateLimitScope::counts_as_invalid`]).
pub const fn is_invalid_request_status(status: u16) -> bool {
    matches!(status, 401 | 403 | 429)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse() {
        for scope in [
            RateLimitScope::User,
            RateLimitScope::Global,
            RateLimitScope::Shared,
        ] {
            assert_eq!(RateLimitScope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(
            RateLimitScope::parse("Global"),
            Some(RateLimitScope::Global)
        );
        assert_eq!(RateLimitScope::parse("planet"), None);
        assert!(!RateLimitScope::Shared.counts_as_invalid());
        assert!(RateLimitScope::User.counts_as_invalid());
    }

    #[test]
    fn invalid_statuses() {
        for s in [401, 403, 429] {
            assert!(is_invalid_request_status(s));
        }
        for s in [200, 204, 400, 404, 500] {
            assert!(!is_invalid_request_status(s));
        }
    }
}
