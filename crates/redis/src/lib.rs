//! Redis-backed parts for an acord bot that runs in several processes.
//!
//! A bot outgrows one process long before it outgrows Discord's limits, but
//! those limits are per bot, not per process: the identify limit
//! (`max_concurrency` IDENTIFYs per 5 seconds and the daily session start
//! budget) and the REST limits (the global limit and every bucket). This
//! crate keeps that shared state in one Redis, so processes running
//! different shard ranges, or only sending REST requests, stay within them
//! together.
//!
//! | piece | replaces | shared state |
//! |---|---|---|
//! | [`RedisIdentifyQueue`] | `InProcessIdentifyQueue` (acord-core-gateway) | one lease per identify bucket, the session start budget |
//! | [`RedisRatelimiter`] | `InMemoryRatelimiter` (acord-core-http) | route → bucket ids, bucket windows, the global limit, invalid requests |
//! | [`RedisCache`] | `InMemoryCache` (acord, through `ClientBuilder::cache_store`) | guilds, channels, roles, members, users, presences, voice states, emojis, stickers, recent messages |
//! | [`RedisBroker`] | the client's own shards, in worker processes | one stream of raw dispatches per event group, consumer groups |
//!
//! Every decision is one Lua script run by Redis, so it is atomic across
//! processes: two processes can never both take the last token of a bucket
//! or the last session start. Every key starts with a configurable prefix,
//! so several bots can share one Redis.
//!
//! ## Which layer do I need?
//!
//! One process: none of this, the in-memory defaults are faster. Several
//! processes of one bot: build one [`RedisIdentifyQueue`] and one
//! [`RedisRatelimiter`] per process against the same Redis and prefix, and
//! hand them to `ShardManagerBuilder::identify_queue` and
//! `HttpClientBuilder::ratelimiter`. docs/scaling.md walks through it.
//!
//! A cache every process can read: the gateway processes install a
//! [`RedisCache`] with `ClientBuilder::cache_store`, and any process,
//! connected to the gateway or not, reads it with
//! `RedisCache::builder().connect(url)` and async methods
//! ([`RedisCache::guild`], [`RedisCache::member`], …). Values are
//! MessagePack, a guild's members one hash; its docs list the keys.
//!
//! Handlers that need more CPU than the gateway processes have: the
//! [`broker`] splits the bot into gateway processes, which publish raw
//! dispatches to Redis Streams ([`RedisBroker::publisher`]), and worker
//! processes, which read them through a consumer group and run them
//! through an ordinary acord `Client` and its `EventHandler`s
//! ([`RedisBroker::worker`], on `Client::run_deliveries`). An event is
//! acknowledged once its handlers finished and re-claimed from a worker
//! that died, so it is delivered at least once; handlers tell repeats
//! apart by `Context::event_meta` (`shard`, `seq`, `session`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use acord_core_gateway::{GatewayBotInfo, ShardManager};
//! use acord_core_signals::Intents;
//! use acord_core_http::HttpClient;
//! use acord_redis::{RedisIdentifyQueue, RedisRatelimiter};
//!
//! # async fn run(info: GatewayBotInfo) -> Result<(), Box<dyn std::error::Error>> {
//! let redis = acord_redis::connect("redis://127.0.0.1:6379").await?;
//! let limiter = RedisRatelimiter::builder().prefix("mybot").build(redis.clone());
//! let http = HttpClient::builder("token").ratelimiter(Arc::new(limiter)).build()?;
//! let queue = RedisIdentifyQueue::builder(info.session_start_limit)
//!     .prefix("mybot")
//!     .build(redis);
//! // this process runs shards 0..8 of 16
//! let manager = ShardManager::builder("token", Intents::GUILDS, info)
//!     .range(0..8, 16)
//!     .identify_queue(Arc::new(queue))
//!     .build()?;
//! manager.start()?;
//! # drop(http); Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]

pub mod broker;
mod cache;
mod error;
mod identify;
mod ratelimit;

pub use broker::{
    BrokerError, EventGroups, RedisBroker, RedisPublisher, RedisPublisherBuilder, RedisWorker,
    RedisWorkerBuilder,
};
pub use cache::{RedisCache, RedisCacheBuilder};
pub use error::RedisError;
pub use identify::{RedisIdentifyQueue, RedisIdentifyQueueBuilder};
pub use ratelimit::{RedisRatelimiter, RedisRatelimiterBuilder};

pub use redis::aio::ConnectionManager;

/// Connects to the Redis at `url` (`redis://host:port/db`) and returns a
/// connection manager, which reconnects by itself when Redis restarts.
/// Clone it to share one connection between the queue and the limiter.
///
/// # Errors
/// [`RedisError::Connect`], naming the URL, when the URL is invalid or
/// Redis cannot be reached.
///
/// # Cancel safety
/// Dropping the future drops the half-open connection; nothing is kept.
pub async fn connect(url: &str) -> Result<ConnectionManager, RedisError> {
    let connect_err = |source| RedisError::Connect {
        url: redact(url),
        source,
    };
    let client = redis::Client::open(url).map_err(connect_err)?;
    // a few quick retries, not the client's default minute of backoff: a
    // wrong URL should fail fast; later reconnects use the same settings
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(3)
        .set_max_delay(1000)
        .set_connection_timeout(std::time::Duration::from_secs(2))
        .set_response_timeout(std::time::Duration::from_secs(5));
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(connect_err)
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}<redacted>{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A tag that tells holders apart in Redis (process id + a counter + time).
fn holder_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Milliseconds for Redis, at least 1 (`PX 0` is an error).
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact("redis://user:secret@host:6379/0"),
            "redis://<redacted>@host:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1:1"), "redis://127.0.0.1:1");
    }

    #[test]
    fn errors_are_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<RedisError>();
        check::<RedisIdentifyQueue>();
        check::<RedisRatelimiter>();
    }
}
