//! [`RedisIdentifyQueue`]: the identify limit shared by every process of a
//! bot through Redis.
//!
//! Two kinds of keys, under the prefix:
//!
//! 1. `{prefix}:identify:lease:{k}`, one per `rate_limit_key = shard_id %
//!    max_concurrency`: whoever sets it (`SET NX`-like, inside a script) may
//!    IDENTIFY, and it expires by itself after the window plus the margin
//!    (`PX`). When the shard reports the IDENTIFY sent
//!    ([`IdentifyQueue::sent`]), the lease is set to expire one window plus
//!    the margin after that report (never earlier than it would have), so
//!    the bucket is spaced from the send, as Discord sees it, not from the
//!    grant. A holder that crashes before sending leaves nothing behind
//!    that outlives the window.
//! 2. `{prefix}:identify:budget`: the session starts left, expiring at the
//!    reset (`PX reset_after`); once it expired the next taker starts a new
//!    budget of `total`.
//!
//! Both are checked and taken by one Lua script, so no two processes can
//! take one lease or the last start.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use acord_core_gateway::{BoxFuture, GatewayError, IdentifyQueue, InProcessIdentifyQueue};
use acord_core_http::SessionStartLimit;
use redis::aio::ConnectionManager;
use redis::Script;

use crate::{holder_tag, millis, RedisError};

/// KEYS: lease, budget, seen. ARGV: lease ms, remaining, reset ms, total,
/// period ms, holder. Returns `{1, starts left}` or `{0, wait ms}`.
const ACQUIRE: &str = r"
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {0, tonumber(ARGV[1])}
end
if ttl > 0 then return {0, ttl} end
local rem = redis.call('GET', KEYS[2])
if not rem then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    rem = tonumber(ARGV[4])
    redis.call('SET', KEYS[2], rem, 'PX', ARGV[5])
  else
    rem = tonumber(ARGV[2])
    redis.call('SET', KEYS[2], rem, 'PX', ARGV[3])
    redis.call('SET', KEYS[3], '1')
  end
else
  rem = tonumber(rem)
end
if rem <= 0 then
  local left = redis.call('PTTL', KEYS[2])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[5])
    left = tonumber(ARGV[5])
  end
  return {0, left}
end
redis.call('DECR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[1])
return {1, rem - 1}
";

/// KEYS: lease. ARGV: lease ms, holder. Holds the bucket for one lease from
/// now (Redis's clock), never shortening a longer hold.
const SENT: &str = r"
local ttl = redis.call('PTTL', KEYS[1])
local lease = tonumber(ARGV[1])
if ttl == -2 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', lease)
elseif ttl < lease then
  redis.call('PEXPIRE', KEYS[1], lease)
end
return 1
";

/// KEYS: budget, seen. ARGV: remaining, reset ms.
const SET_LIMIT: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], '1')
return 1
";

/// The longest one wait lasts before asking Redis again (a fresh
/// [`RedisIdentifyQueue::set_limit`] from another process is seen then).
const MAX_POLL: Duration = Duration::from_secs(5);

/// Failed Redis calls (a restart) retried before `acquire` gives up,
/// none later than `RETRY_FOR` after the first failure.
const RETRIES: u32 = 10;
const RETRY_FOR: Duration = Duration::from_secs(10);

/// An [`IdentifyQueue`] shared by every process using the same Redis and
/// key prefix: one IDENTIFY per identify bucket per window across all of
/// them, and no more starts than the session start budget until its reset.
///
/// Build one per process with the `session_start_limit` of
/// `GET /gateway/bot`; the first process to identify seeds the shared
/// budget with its numbers, the others count down the same budget.
///
/// ```no_run
/// # async fn run(limit: acord_core_http::SessionStartLimit) -> Result<(), acord_redis::RedisError> {
/// let redis = acord_redis::connect("redis://127.0.0.1:6379").await?;
/// let queue = acord_redis::RedisIdentifyQueue::builder(limit)
///     .prefix("mybot")
///     .build(redis);
/// # Ok(()) }
/// ```
pub struct RedisIdentifyQueue {
    conn: ConnectionManager,
    prefix: String,
    lease: Duration,
    limit: Mutex<SessionStartLimit>,
    acquire: Script,
    sent: Script,
}

impl fmt::Debug for RedisIdentifyQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisIdentifyQueue")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisIdentifyQueue`].
#[derive(Debug, Clone)]
pub struct RedisIdentifyQueueBuilder {
    limit: SessionStartLimit,
    prefix: String,
    window: Duration,
    margin: Option<Duration>,
}

impl RedisIdentifyQueueBuilder {
    /// The key prefix (default `acord`). Processes of one bot use the same
    /// prefix; another bot on the same Redis uses another.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The identify window (default Discord's 5 s; shorter for tests
    /// against a fake).
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Extra time each lease lasts beyond the window, absorbing the jitter
    /// between the IDENTIFY leaving the socket and Discord reading it
    /// (default [`InProcessIdentifyQueue::default_margin`]: 2 % of the
    /// window, at least 50 ms, at most the window; 100 ms for 5 s). The
    /// delay between the grant and the send needs no margin: the shard
    /// reports the send, and the lease then counts from it.
    ///
    /// [`InProcessIdentifyQueue::default_margin`]: acord_core_gateway::InProcessIdentifyQueue::default_margin
    #[must_use]
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// Builds the queue on a connection from [`connect`](crate::connect).
    pub fn build(self, conn: ConnectionManager) -> RedisIdentifyQueue {
        let margin = self
            .margin
            .unwrap_or_else(|| InProcessIdentifyQueue::default_margin(self.window));
        let mut limit = self.limit;
        limit.max_concurrency = limit.max_concurrency.max(1);
        RedisIdentifyQueue {
            conn,
            prefix: self.prefix,
            lease: self.window.saturating_add(margin),
            limit: Mutex::new(limit),
            acquire: Script::new(ACQUIRE),
            sent: Script::new(SENT),
        }
    }
}

impl RedisIdentifyQueue {
    /// Starts a builder from the `session_start_limit` of
    /// `GET /gateway/bot`. A `max_concurrency` of 0 counts as 1.
    pub fn builder(limit: SessionStartLimit) -> RedisIdentifyQueueBuilder {
        RedisIdentifyQueueBuilder {
            limit,
            prefix: "acord".to_owned(),
            window: Duration::from_secs(5),
            margin: None,
        }
    }

    /// The limits this process was built with (or last given).
    pub fn limit(&self) -> SessionStartLimit {
        *self.limit.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Overwrites the shared budget with a fresh `GET /gateway/bot`:
    /// `remaining` starts until `reset_after` from now, for every process.
    ///
    /// # Errors
    /// [`RedisError::Command`] when Redis fails.
    ///
    /// # Cancel safety
    /// Dropping the future may leave the old budget in place.
    pub async fn set_limit(&self, limit: SessionStartLimit) -> Result<(), RedisError> {
        {
            let mut mine = self.limit.lock().unwrap_or_else(|e| e.into_inner());
            *mine = limit;
            mine.max_concurrency = mine.max_concurrency.max(1);
        }
        let mut conn = self.conn.clone();
        Script::new(SET_LIMIT)
            .key(self.key("identify:budget"))
            .key(self.key("identify:seen"))
            .arg(limit.remaining)
            .arg(millis(limit.reset_after))
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(|source| RedisError::Command {
                what: "setting the session start budget",
                source,
            })?;
        Ok(())
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// One attempt: `Ok(None)` when granted, `Ok(Some(wait))` otherwise.
    async fn try_acquire(&self, shard_id: u32) -> Result<Option<Duration>, RedisError> {
        let limit = self.limit();
        let bucket = shard_id % limit.max_concurrency.max(1);
        let period = limit.reset_after.max(Duration::from_secs(1));
        let mut conn = self.conn.clone();
        let (granted, value): (i64, i64) = self
            .acquire
            .key(self.key(&format!("identify:lease:{bucket}")))
            .key(self.key("identify:budget"))
            .key(self.key("identify:seen"))
            .arg(millis(self.lease))
            .arg(limit.remaining)
            .arg(millis(limit.reset_after))
            .arg(limit.total.max(1))
            .arg(millis(period))
            .arg(holder_tag())
            .invoke_async(&mut conn)
            .await
            .map_err(|source| RedisError::Command {
                what: "taking an identify lease",
                source,
            })?;
        if granted == 1 {
            tracing::debug!(
                shard_id,
                bucket,
                starts_left = value,
                "identify lease taken"
            );
            return Ok(None);
        }
        Ok(Some(Duration::from_millis(value.max(1).unsigned_abs())))
    }
}

impl IdentifyQueue for RedisIdentifyQueue {
    /// Waits for the shard's bucket lease and a session start, asking Redis
    /// again when the current lease (or the budget's reset) is over.
    ///
    /// # Errors
    /// [`GatewayError::Http`] carrying a [`RedisError`] when Redis fails
    /// for good; a dropped connection (Redis restarting) is retried up to
    /// ten times, 0.2 s to 2 s apart and for at most 10 s, while the
    /// connection manager reconnects.
    ///
    /// # Cancel safety
    /// Dropping the future while it waits reserves nothing; a lease granted
    /// just before the drop expires after one window.
    fn acquire(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            let mut warned = false;
            let mut failures = 0;
            let mut first_failure = None;
            loop {
                match self.try_acquire(shard_id).await {
                    Ok(None) => return Ok(()),
                    Ok(Some(wait)) => {
                        if wait > self.lease && !warned {
                            warned = true;
                            tracing::warn!(
                                shard_id,
                                ?wait,
                                "session_start_limit exhausted; waiting for the reset instead of identifying"
                            );
                        }
                        // a millisecond over the expiry, so the key is gone
                        let wait = (wait + Duration::from_millis(1)).min(MAX_POLL);
                        tokio::time::sleep(wait).await;
                    }
                    // Redis restarting: the connection manager reconnects;
                    // ask again a few times before giving up
                    Err(e)
                        if e.is_retryable()
                            && failures < RETRIES
                            && first_failure
                                .get_or_insert_with(std::time::Instant::now)
                                .elapsed()
                                < RETRY_FOR =>
                    {
                        failures += 1;
                        tracing::warn!(shard_id, error = %e, failures, "Redis unavailable; retrying the identify lease");
                        tokio::time::sleep(Duration::from_millis(200) * failures).await;
                    }
                    Err(e) => return Err(GatewayError::Http(Box::new(e))),
                }
            }
        })
    }

    /// Holds the shard's bucket for one lease (window plus margin) from
    /// now, by Redis's clock, unless it is already held longer: the next
    /// grant of the bucket, in any process, comes no sooner than one lease
    /// after this send. One attempt, no retry: when it fails, the lease of
    /// the grant still holds the bucket.
    ///
    /// # Errors
    /// [`GatewayError::Http`] carrying a [`RedisError::Command`] when Redis
    /// fails.
    ///
    /// # Cancel safety
    /// Dropping the future may leave the lease as the grant set it.
    fn sent(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            let bucket = shard_id % self.limit().max_concurrency.max(1);
            let mut conn = self.conn.clone();
            self.sent
                .key(self.key(&format!("identify:lease:{bucket}")))
                .arg(millis(self.lease))
                .arg(holder_tag())
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(|source| {
                    GatewayError::Http(Box::new(RedisError::Command {
                        what: "reporting an identify sent",
                        source,
                    }))
                })?;
            tracing::debug!(shard_id, bucket, "identify sent; lease counts from now");
            Ok(())
        })
    }
}
