//! [`RedisRatelimiter`]: the REST limits of one bot shared by all its
//! processes through Redis.
//!
//! A request goes through it in the two steps of every
//! [`Ratelimiter`]:
//!
//! 1. `acquire` runs one Lua script: it checks the invalid-request hard
//!    stop, a global 429 pause, the global limit (a sliding log in a sorted
//!    set) and the request's bucket, and either takes a token from both or
//!    answers how long to wait. Nothing is taken unless everything has
//!    room, so the check and the take cannot race between processes;
//! 2. `complete` runs another script with the response's headers: it maps
//!    the route to its `X-RateLimit-Bucket`, stores the bucket's limit,
//!    remaining and reset, pauses everyone on a global 429, holds a
//!    resource whose 429 the bucket did not predict (a learned sub-limit),
//!    and counts 401/403/429 responses in the shared invalid-request
//!    window.
//!
//! Keys, all under the prefix: `{prefix}:rl:routes` (route → bucket),
//! `{prefix}:rl:b:{bucket}:{major}` (one hash per bucket and major
//! parameter, expiring when idle), `{prefix}:rl:global` (the send log),
//! `{prefix}:rl:learned:{resource}` (a learned sub-limit, expiring with
//! it), `{prefix}:rl:pause`, `{prefix}:rl:invalid` and `{prefix}:rl:warned`.
//! Bucket keys are named by the script, so this needs one Redis (or a hash
//! tag such as `{mybot}` as the prefix on a cluster).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acord_core_http::ratelimit::{
    AcquireError, BoxFuture, RateLimitInfo, RatelimitEvent, RatelimitHook, Ratelimiter, Ticket,
    WaitReason,
};
use acord_core_http::RouteKey;
use acord_core_signals::limits::{
    GLOBAL_REQUESTS_PER_SECOND, INVALID_REQUESTS_PER_WINDOW, INVALID_REQUEST_WINDOW,
};
use acord_core_signals::{is_invalid_request_status, RateLimitScope};
use redis::aio::ConnectionManager;
use redis::Script;
use tokio::time::Instant;

use crate::{holder_tag, millis};

const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local p = ARGV[1]
local stop = tonumber(ARGV[7])
if stop > 0 then
  redis.call('ZREMRANGEBYSCORE', p .. ':rl:invalid', '-inf', now - tonumber(ARGV[8]))
  local count = redis.call('ZCARD', p .. ':rl:invalid')
  if count >= stop then return {-1, count, ''} end
end
local pause = redis.call('PTTL', p .. ':rl:pause')
if pause > 0 then return {0, pause, 4, ''} end
local learned = redis.call('PTTL', p .. ':rl:learned:' .. ARGV[12])
if learned > 0 then return {0, learned, 5, ''} end
local gkey = p .. ':rl:global'
local glimit = tonumber(ARGV[5])
local gwin = tonumber(ARGV[6])
local counted = ARGV[4] == '0' and glimit > 0
if counted then
  redis.call('ZREMRANGEBYSCORE', gkey, '-inf', now - gwin)
  if redis.call('ZCARD', gkey) >= glimit then
    local oldest = redis.call('ZRANGE', gkey, 0, 0, 'WITHSCORES')
    return {0, math.max(1, tonumber(oldest[2]) + gwin - now), 3, ''}
  end
end
local name = redis.call('HGET', p .. ':rl:routes', ARGV[2]) or ARGV[2]
local bkey = p .. ':rl:b:' .. name .. ':' .. ARGV[3]
local b = redis.call('HMGET', bkey, 'limit', 'remaining', 'reset_at', 'epoch', 'unlimited', 'probe_until', 'window')
local epoch = tonumber(b[4]) or 0
local probe = 0
if b[5] == '1' then
  -- a route without limits
elseif not b[1] then
  local until_ = tonumber(b[6]) or 0
  if name ~= ARGV[2] then
    -- the route's bucket id is known from another major parameter, but this
    -- one's probe may still be out under the route's own name
    local other = redis.call('HGET', p .. ':rl:b:' .. ARGV[2] .. ':' .. ARGV[3], 'probe_until')
    until_ = math.max(until_, tonumber(other) or 0)
  end
  if until_ > now then return {0, -1, 2, name} end
  redis.call('HSET', bkey, 'probe_until', now + tonumber(ARGV[9]))
  probe = 1
else
  local remaining = tonumber(b[2]) or 0
  local reset_at = tonumber(b[3]) or 0
  if reset_at <= now then
    epoch = epoch + 1
    remaining = tonumber(b[1])
    reset_at = now + (tonumber(b[7]) or 1000)
    redis.call('HSET', bkey, 'remaining', remaining, 'reset_at', reset_at, 'epoch', epoch, 'confirmed', 0)
  end
  if remaining <= 0 then return {0, math.max(1, reset_at - now), 1, name} end
  redis.call('HSET', bkey, 'remaining', remaining - 1)
end
redis.call('PEXPIRE', bkey, ARGV[11])
if counted then
  redis.call('ZADD', gkey, now, ARGV[10])
  redis.call('PEXPIRE', gkey, gwin)
end
return {1, name, epoch, probe}
";

const COMPLETE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local p = ARGV[1]
local tkey = p .. ':rl:b:' .. ARGV[4] .. ':' .. ARGV[3]
if ARGV[6] == '1' then redis.call('HDEL', tkey, 'probe_until') end
if ARGV[7] == '0' then return {0, 0} end
local status = tonumber(ARGV[8])
local scope = ARGV[13]
local warn = 0
local count = 0
if ARGV[15] == '1' then
  local ikey = p .. ':rl:invalid'
  redis.call('ZADD', ikey, now, ARGV[18])
  redis.call('ZREMRANGEBYSCORE', ikey, '-inf', now - tonumber(ARGV[17]))
  redis.call('PEXPIRE', ikey, ARGV[17])
  count = redis.call('ZCARD', ikey)
  if count >= tonumber(ARGV[16]) then
    if redis.call('SET', p .. ':rl:warned', '1', 'NX', 'PX', ARGV[17]) then warn = 1 end
  end
end
local name = ARGV[4]
if ARGV[12] ~= '' then
  redis.call('HSET', p .. ':rl:routes', ARGV[2], ARGV[12])
  name = ARGV[12]
end
local bkey = p .. ':rl:b:' .. name .. ':' .. ARGV[3]
local b = redis.call('HMGET', bkey, 'limit', 'remaining', 'reset_at', 'epoch', 'confirmed', 'window')
local same = name == ARGV[4] and tonumber(ARGV[5]) == (tonumber(b[4]) or 0)
-- whether a 429 holds the bucket (else its headers update it as usual)
local held = status == 429
if status == 429 then
  local ra = tonumber(ARGV[14])
  if scope == 'global' then
    redis.call('SET', p .. ':rl:pause', '1', 'PX', math.max(1, ra))
  else
    -- the 429's own headers say best whether the bucket had room; without
    -- them, the shared count
    local say_room = ARGV[10] ~= '' and tonumber(ARGV[10]) > 0
    local had_room = say_room
    if ARGV[10] == '' then had_room = b[1] and (tonumber(b[2]) or 0) > 0 end
    if had_room then
      -- an undocumented sub-limit: hold this resource, and only it
      redis.call('SET', p .. ':rl:learned:' .. ARGV[20], '1', 'PX', math.max(1, math.min(ra, tonumber(ARGV[21]))))
    end
    if not say_room then
      if ARGV[9] ~= '' and not b[1] then redis.call('HSET', bkey, 'limit', ARGV[9], 'window', math.max(ra, 1)) end
      if b[1] or ARGV[9] ~= '' then
        redis.call('HSET', bkey, 'remaining', 0, 'reset_at', math.max(tonumber(b[3]) or 0, now + ra), 'confirmed', 1)
      end
    else
      held = false
    end
  end
end
if held then
  -- nothing more: the bucket waits for its reset
elseif ARGV[9] ~= '' then
  local reset = now + tonumber(ARGV[11])
  local window = math.max(tonumber(b[6]) or 0, tonumber(ARGV[11]))
  if not b[1] then
    redis.call('HSET', bkey, 'limit', ARGV[9], 'remaining', tonumber(ARGV[10]) or 0, 'reset_at', reset, 'epoch', 1, 'confirmed', 1, 'window', window)
  else
    redis.call('HSET', bkey, 'limit', ARGV[9], 'window', window)
    if same then
      local remaining = math.min(tonumber(b[2]) or 0, tonumber(ARGV[10]) or 0)
      if b[5] ~= '1' then
        redis.call('HSET', bkey, 'remaining', remaining, 'reset_at', reset, 'confirmed', 1)
      else
        redis.call('HSET', bkey, 'remaining', remaining, 'reset_at', math.max(tonumber(b[3]) or 0, reset))
      end
    end
  end
elseif status < 400 and ARGV[6] == '1' then
  redis.call('HSET', bkey, 'unlimited', '1')
end
redis.call('PEXPIRE', bkey, ARGV[19])
return {warn, count}
";

/// Failed Redis calls (a restart) retried before `acquire` gives up, the
/// n-th after `n × RETRY_STEP`, none later than `RETRY_FOR` after the
/// first failure.
const RETRIES: u32 = 10;
const RETRY_FOR: Duration = Duration::from_secs(10);
const RETRY_STEP: Duration = Duration::from_millis(200);

/// Whether retrying may help (a dropped connection, a timeout, a refusal
/// while Redis restarts).
fn is_retryable(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// What `acquire` answers when Redis fails for good.
fn backend(e: &redis::RedisError) -> AcquireError {
    AcquireError::Backend(format!("Redis: {e}"))
}

/// How often a request held by another process's probe asks again.
const POLL: Duration = Duration::from_millis(10);
/// How long a probe (the first request of a new bucket) holds the bucket
/// if its process never reports back.
const PROBE_LEASE: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Config {
    prefix: Arc<str>,
    global_limit: Option<u32>,
    global_window: Duration,
    invalid_window: Duration,
    invalid_warn_at: u32,
    invalid_hard_stop: Option<u32>,
    idle_timeout: Duration,
    learned_timeout: Duration,
    hook: Option<RatelimitHook>,
}

/// A [`Ratelimiter`] whose state lives in Redis, so every process of a bot
/// (same Redis, same prefix) shares the route → bucket map, each bucket's
/// remaining requests and reset, the global limit and the invalid-request
/// budget (warn, then stop, like `InMemoryRatelimiter`).
///
/// ```no_run
/// use std::sync::Arc;
/// use acord_core_http::HttpClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = acord_redis::connect("redis://127.0.0.1:6379").await?;
/// let limiter = acord_redis::RedisRatelimiter::builder().prefix("mybot").build(redis);
/// let http = HttpClient::builder("token").ratelimiter(Arc::new(limiter)).build()?;
/// # drop(http); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRatelimiter {
    conn: ConnectionManager,
    config: Config,
    acquire: Arc<Script>,
    complete: Arc<Script>,
}

impl fmt::Debug for RedisRatelimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRatelimiter")
            .field("prefix", &self.config.prefix)
            .field("global_limit", &self.config.global_limit)
            .field("global_window", &self.config.global_window)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisRatelimiter`].
#[derive(Clone)]
pub struct RedisRatelimiterBuilder {
    config: Config,
}

impl fmt::Debug for RedisRatelimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRatelimiterBuilder")
            .field("prefix", &self.config.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRatelimiterBuilder {
    /// The key prefix (default `acord`): the same for every process of one
    /// bot, another for another bot on the same Redis.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.prefix = Arc::from(prefix.into());
        self
    }

    /// The global limit: `limit` requests per `window`, for all processes
    /// together (default 50 per second). The window is sliding; 1/20 of it
    /// is added as a margin for network jitter.
    #[must_use]
    pub fn global_limit(mut self, limit: u32, window: Duration) -> Self {
        self.config.global_limit = Some(limit.max(1));
        self.config.global_window = window + window / 20;
        self
    }

    /// Turns the pre-emptive global limit off; a global 429 still pauses
    /// every process.
    #[must_use]
    pub fn no_global_limit(mut self) -> Self {
        self.config.global_limit = None;
        self
    }

    /// Warns once this many invalid requests (401/403/429, not
    /// shared-scope) were counted by all processes in the window (default
    /// 5,000): one process logs a `warn` and sends
    /// [`RatelimitEvent::InvalidRequestWarning`] to its hook.
    #[must_use]
    pub fn invalid_request_warning(mut self, at: u32) -> Self {
        self.config.invalid_warn_at = at.max(1);
        self
    }

    /// Refuses every request with [`AcquireError::InvalidRequestBudget`]
    /// once this many invalid requests were counted in the window (`None`:
    /// never; default 9,000, below Discord's 10,000).
    #[must_use]
    pub fn invalid_request_hard_stop(mut self, at: Option<u32>) -> Self {
        self.config.invalid_hard_stop = at.map(|n| n.max(1));
        self
    }

    /// The invalid-request window (default Discord's 10 minutes).
    #[must_use]
    pub fn invalid_request_window(mut self, window: Duration) -> Self {
        self.config.invalid_window = window;
        self
    }

    /// Bucket state unused this long expires from Redis (default 5 minutes).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// The longest a learned sub-limit holds its resource, for every
    /// process (default 1 hour, as `InMemoryRatelimiter`).
    ///
    /// A sub-limit is learned from a 429 that the bucket did not predict
    /// (its headers, or the shared count, showed room): that one resource
    /// (method and full path, `RouteKey::resource`) is held for the 429's
    /// `retry_after`, or this long if shorter, in every process; then it
    /// is forgotten. The rest of the bucket is not held.
    #[must_use]
    pub fn learned_limit_timeout(mut self, timeout: Duration) -> Self {
        self.config.learned_timeout = timeout;
        self
    }

    /// Calls `hook` with the [`RatelimitEvent`]s of this process (waits,
    /// 429s, the invalid-request warning).
    #[must_use]
    pub fn on_event(mut self, hook: impl Fn(&RatelimitEvent) + Send + Sync + 'static) -> Self {
        self.config.hook = Some(Arc::new(hook));
        self
    }

    /// Builds the limiter on a connection from [`connect`](crate::connect).
    pub fn build(self, conn: ConnectionManager) -> RedisRatelimiter {
        RedisRatelimiter {
            conn,
            config: self.config,
            acquire: Arc::new(Script::new(ACQUIRE)),
            complete: Arc::new(Script::new(COMPLETE)),
        }
    }
}

impl RedisRatelimiter {
    /// Starts a builder with the defaults.
    pub fn builder() -> RedisRatelimiterBuilder {
        RedisRatelimiterBuilder {
            config: Config {
                prefix: Arc::from("acord"),
                global_limit: Some(GLOBAL_REQUESTS_PER_SECOND),
                global_window: Duration::from_millis(1050),
                invalid_window: INVALID_REQUEST_WINDOW,
                invalid_warn_at: INVALID_REQUESTS_PER_WINDOW / 2,
                invalid_hard_stop: Some(INVALID_REQUESTS_PER_WINDOW / 10 * 9),
                idle_timeout: Duration::from_secs(300),
                learned_timeout: Duration::from_secs(3600),
                hook: None,
            },
        }
    }

    fn emit(&self, event: RatelimitEvent) {
        if let Some(hook) = &self.config.hook {
            hook(&event);
        }
    }

    async fn take(
        &self,
        key: &RouteKey,
        max_wait: Option<Duration>,
    ) -> Result<Ticket, AcquireError> {
        let start = Instant::now();
        let c = &self.config;
        let mut failures = 0;
        let mut first_failure = None;
        loop {
            let mut conn = self.conn.clone();
            let answer: Result<redis::Value, _> = self
                .acquire
                .arg(&*c.prefix)
                .arg(key.route())
                .arg(key.major())
                .arg(u8::from(key.is_global_exempt()))
                .arg(c.global_limit.unwrap_or(0))
                .arg(millis(c.global_window))
                .arg(c.invalid_hard_stop.unwrap_or(0))
                .arg(millis(c.invalid_window))
                .arg(millis(PROBE_LEASE))
                .arg(holder_tag())
                .arg(millis(c.idle_timeout))
                .arg(key.resource())
                .invoke_async(&mut conn)
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                // Redis restarting: the connection manager reconnects; ask
                // again a few times (within `max_wait`) before giving up
                Err(e)
                    if is_retryable(&e)
                        && failures < RETRIES
                        && first_failure.get_or_insert_with(Instant::now).elapsed() < RETRY_FOR =>
                {
                    failures += 1;
                    let pause = RETRY_STEP * failures;
                    if max_wait.is_some_and(|max| start.elapsed() + pause > max) {
                        return Err(backend(&e));
                    }
                    tracing::warn!(route = key.route(), error = %e, failures, "Redis unavailable; retrying the rate limit check");
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Err(e) => return Err(backend(&e)),
            };
            let items: Vec<redis::Value> = redis::from_redis_value(&answer)
                .map_err(|e| AcquireError::Backend(format!("Redis answer: {e}")))?;
            let int = |i: usize| -> i64 {
                items
                    .get(i)
                    .and_then(|v| redis::from_redis_value(v).ok())
                    .unwrap_or(0)
            };
            let text = |i: usize| -> String {
                items
                    .get(i)
                    .and_then(|v| redis::from_redis_value(v).ok())
                    .unwrap_or_default()
            };
            match int(0) {
                1 => {
                    return Ok(Ticket::new(RedisTicket {
                        name: text(1),
                        epoch: int(2),
                        probe: int(3) == 1,
                        key: Some(key.clone()),
                        limiter: Some(self.clone()),
                    }))
                }
                -1 => {
                    let limit = c.invalid_hard_stop.unwrap_or(0);
                    return Err(AcquireError::InvalidRequestBudget {
                        count: u32::try_from(int(1)).unwrap_or(u32::MAX),
                        limit,
                    });
                }
                _ => {}
            }
            let reason = match int(2) {
                1 => WaitReason::BucketExhausted,
                2 => WaitReason::FreshBucket,
                3 => WaitReason::Global,
                5 => WaitReason::LearnedLimit,
                _ => WaitReason::GlobalPause,
            };
            let name = text(3);
            let bucket = (!name.is_empty() && name != key.route()).then(|| Arc::from(name));
            let known = u64::try_from(int(1))
                .ok()
                .map(|ms| Duration::from_millis(ms) + Duration::from_millis(1));
            if let Some(max) = max_wait {
                let spent = start.elapsed();
                let over = match known {
                    Some(wait) => spent + wait > max,
                    None => spent >= max,
                };
                if over {
                    return Err(AcquireError::WaitTooLong {
                        wait: known,
                        reason: Some(reason),
                        bucket,
                    });
                }
            }
            if c.hook.is_some() {
                self.emit(RatelimitEvent::Wait {
                    key: key.clone(),
                    bucket,
                    reason,
                    wait: known,
                });
            }
            let mut sleep = known.unwrap_or(POLL);
            if let Some(max) = max_wait {
                sleep = sleep.min(
                    max.saturating_sub(start.elapsed())
                        .max(Duration::from_millis(1)),
                );
            }
            tokio::time::sleep(sleep).await;
        }
    }

    async fn finish(&self, ticket: &RedisTicket, info: Option<&RateLimitInfo>) {
        let c = &self.config;
        let (status, limit, remaining, reset, bucket, scope, retry) = match info {
            Some(i) => (
                i.status,
                i.limit.map(|n| n.to_string()).unwrap_or_default(),
                i.remaining.map(|n| n.to_string()).unwrap_or_default(),
                i.reset_after.map_or(1000, millis),
                i.bucket.as_deref().unwrap_or("").to_owned(),
                i.scope,
                i.retry_after.map_or(1000, millis),
            ),
            None => (0, String::new(), String::new(), 0, String::new(), None, 0),
        };
        let invalid = is_invalid_request_status(status) && scope != Some(RateLimitScope::Shared);
        let Some(key) = &ticket.key else { return };
        if let (Some(info), Some(scope)) = (info, scope) {
            self.emit(RatelimitEvent::RateLimited {
                key: key.clone(),
                bucket: info.bucket.clone(),
                scope,
                retry_after: info.retry_after.unwrap_or(Duration::from_secs(1)),
            });
        }
        let mut conn = self.conn.clone();
        let result: Result<(i64, i64), _> = self
            .complete
            .arg(&*c.prefix)
            .arg(key.route())
            .arg(key.major())
            .arg(&ticket.name)
            .arg(ticket.epoch)
            .arg(u8::from(ticket.probe))
            .arg(u8::from(info.is_some()))
            .arg(status)
            .arg(limit)
            .arg(remaining)
            .arg(reset)
            .arg(bucket)
            .arg(scope.map_or("", RateLimitScope::as_str))
            .arg(retry)
            .arg(u8::from(invalid))
            .arg(c.invalid_warn_at)
            .arg(millis(c.invalid_window))
            .arg(holder_tag())
            .arg(millis(c.idle_timeout))
            .arg(key.resource())
            .arg(millis(c.learned_timeout))
            .invoke_async(&mut conn)
            .await;
        match result {
            Ok((1, count)) => {
                tracing::warn!(
                    count,
                    ban_threshold = INVALID_REQUESTS_PER_WINDOW,
                    "many invalid requests (401/403/429) in the last 10 minutes across all processes: Discord bans the IP at 10,000; fix the failing requests"
                );
                self.emit(RatelimitEvent::InvalidRequestWarning {
                    count: u32::try_from(count).unwrap_or(u32::MAX),
                    limit: INVALID_REQUESTS_PER_WINDOW,
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not report a response to the Redis rate limiter")
            }
        }
    }
}

/// A granted request. Dropped without `complete` while it was a new
/// bucket's probe: the probe mark is removed in the background, so other
/// processes need not wait for its lease.
struct RedisTicket {
    name: String,
    epoch: i64,
    probe: bool,
    key: Option<RouteKey>,
    limiter: Option<RedisRatelimiter>,
}

impl Drop for RedisTicket {
    fn drop(&mut self) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        if !self.probe {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let ticket = RedisTicket {
                name: std::mem::take(&mut self.name),
                epoch: self.epoch,
                probe: true,
                key: self.key.take(),
                limiter: None,
            };
            // a short task: one script call, then it ends
            drop(handle.spawn(async move { limiter.finish(&ticket, None).await }));
        }
    }
}

impl Ratelimiter for RedisRatelimiter {
    /// Waits until Redis grants the request.
    ///
    /// # Errors
    /// [`AcquireError::InvalidRequestBudget`] at the shared hard stop;
    /// [`AcquireError::Backend`] when Redis fails for good. A dropped
    /// connection (Redis restarting) is retried up to ten times, 0.2 s to
    /// 2 s apart and for at most 10 s, while the connection manager
    /// reconnects.
    fn acquire<'a>(&'a self, key: &'a RouteKey) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
        Box::pin(self.take(key, None))
    }

    /// Refuses at once when Redis says the wait (bucket, global limit,
    /// pause) is longer than `max_wait`; a wait for another process's probe
    /// is bounded by `max_wait`. Nothing is reserved when it refuses.
    fn acquire_within<'a>(
        &'a self,
        key: &'a RouteKey,
        max_wait: Duration,
    ) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
        Box::pin(self.take(key, Some(max_wait)))
    }

    fn complete<'a>(
        &'a self,
        ticket: Ticket,
        info: Option<&'a RateLimitInfo>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Ok(mut ticket) = ticket.downcast::<RedisTicket>() {
                ticket.limiter = None;
                self.finish(&ticket, info).await;
            }
        })
    }
}
