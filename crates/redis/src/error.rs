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
    /// A cached value read from Redis is not one this version of acord
    /// wrote (another version, another program, or corrupted).
    #[error("the cached {what} at `{key}` could not be decoded; was it written by another acord version? Clear the prefix and let the gateway process fill it again")]
    Decode {
        /// What was read (`guild`, `member`, …).
        what: &'static str,
        /// The key (and hash field) read.
        key: String,
        /// The MessagePack error.
        #[source]
        source: rmp_serde::decode::Error,
    },
    /// A model could not be encoded for the cache.
    #[error("the {what} could not be encoded for the Redis cache")]
    Encode {
        /// What was written.
        what: &'static str,
        /// The MessagePack error.
        #[source]
        source: rmp_serde::encode::Error,
    },
}

impl RedisError {
    /// Whether retrying may help (a dropped connection, a timeout).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { source, .. } | Self::Command { source, .. } => {
                source.is_io_error() || source.is_timeout() || source.is_connection_dropped()
            }
            Self::Decode { .. } | Self::Encode { .. } => false,
        }
    }
}
