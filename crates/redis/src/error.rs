//! [`RedisError`]: what can go wrong talking to Redis.

/// A failure of the Redis store behind a shared queue or limiter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// Redis could not be reached (or the URL is invalid).
    #[error("could not connect to Redis at {url}; is redis-server running and the URL right?")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The client's error.
        #[source]
        source: redis::RedisError,
    },
    /// A command or script failed (Redis went away, or answered an error).
    #[error("a Redis command failed ({what})")]
    Command {
        /// What was being done.
        what: &'static str,
        /// The client's error.
        #[source]
        source: redis::RedisError,
    },
}

impl RedisError {
    /// Whether retrying may help (a dropped connection, a timeout).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { source, .. } | Self::Command { source, .. } => {
                source.is_io_error() || source.is_timeout() || source.is_connection_dropped()
            }
        }
    }
}
