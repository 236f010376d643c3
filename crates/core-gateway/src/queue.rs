//! Who may IDENTIFY when: the [`IdentifyQueue`] trait and the in-process
//! default, [`InProcessIdentifyQueue`].
//!
//! Discord allows one IDENTIFY per `rate_limit_key = shard_id %
//! max_concurrency` every 5 seconds, and `session_start_limit.remaining`
//! session starts until `reset_after`. Several processes running ranges of
//! one bot must share one queue: implement the trait on a shared store
//! (docs/gateway.md sketches a Redis-backed one).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use acord_core_http::SessionStartLimit;
use acord_core_signals::{identify_rate_limit_key, limits};
use tokio::time::Instant;

use crate::error::GatewayError;

/// A boxed future, as returned by [`IdentifyQueue::acquire`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Grants permission to IDENTIFY.
///
/// `acquire` is async because a shared implementation talks to a store
/// (Redis, a database) that several processes use.
pub trait IdentifyQueue: Send + Sync + fmt::Debug + 'static {
    /// Resolves when `shard_id` may send IDENTIFY now.
    ///
    /// # Errors
    /// A [`GatewayError`] when permission cannot be granted (the store is
    /// unreachable); the shard then stops.
    ///
    /// # Cancel safety
    /// Implementations should make dropping the future give the slot back
    /// or let it expire; the default queue keeps the reserved slot (a later
    /// caller waits one window longer, never less).
    fn acquire(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>>;
}

#[derive(Debug)]
struct State {
    /// Next free slot per bucket.
    next: Vec<Instant>,
    remaining: u32,
    reset_at: Instant,
}

/// The default in-process queue: one IDENTIFY per bucket per window
/// (default 5 s, plus a safety margin of 250 ms), and no more starts than
/// `session_start_limit.remaining` until `reset_after` (after which it
/// waits for the reset instead of burning the token).
///
/// Slots are handed out in call order, so shards started in order identify
/// bucket by bucket, wave after wave.
pub struct InProcessIdentifyQueue {
    limit: SessionStartLimit,
    window: Duration,
    margin: Duration,
    state: Mutex<State>,
}

impl fmt::Debug for InProcessIdentifyQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessIdentifyQueue")
            .field("max_concurrency", &self.limit.max_concurrency)
            .field("window", &self.window)
            .finish()
    }
}

impl InProcessIdentifyQueue {
    /// A queue for the given limits (the `session_start_limit` of
    /// `GET /gateway/bot`, see [`GatewayBotInfo`](acord_core_http::GatewayBotInfo))
    /// and Discord's 5-second window. A `max_concurrency` of 0 counts as 1.
    pub fn new(limit: SessionStartLimit) -> Self {
        Self::with_window(limit, limits::IDENTIFY_WINDOW)
    }

    /// A queue with a custom window (tests, or a different deployment).
    /// The spacing between two IDENTIFYs of a bucket is `window` plus a
    /// margin (5%, at least 100 ms, at most the window itself), which
    /// absorbs scheduling jitter between the grant and the send.
    pub fn with_window(limit: SessionStartLimit, window: Duration) -> Self {
        let now = Instant::now();
        let buckets = limit.max_concurrency.max(1) as usize;
        Self {
            limit,
            window,
            margin: (window / 20).max(Duration::from_millis(100)).min(window),
            state: Mutex::new(State {
                next: vec![now; buckets],
                remaining: limit.remaining,
                reset_at: later(now, limit.reset_after),
            }),
        }
    }

    /// Reserves the next slot for `shard_id`; returns when to identify.
    fn reserve(&self, shard_id: u32) -> Instant {
        let now = Instant::now();
        let mc = self.limit.max_concurrency.max(1);
        let bucket = identify_rate_limit_key(shard_id, mc) as usize;
        // cannot be poisoned: no code panics while holding the lock; recover
        // the data anyway if it ever is
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = now.max(st.next[bucket]);
        if st.reset_at <= at {
            st.remaining = self.limit.total;
            st.reset_at = later(at, self.limit.reset_after.max(Duration::from_secs(1)));
        }
        if st.remaining == 0 {
            tracing::warn!(
                wait = ?(st.reset_at - now),
                "session_start_limit exhausted; waiting for the reset instead of identifying"
            );
            at = at.max(st.reset_at);
            st.remaining = self.limit.total;
            st.reset_at = later(at, self.limit.reset_after.max(Duration::from_secs(1)));
        }
        st.remaining = st.remaining.saturating_sub(1);
        st.next[bucket] = later(at, self.window.saturating_add(self.margin));
        at
    }
}

/// `at + d`, saturating at about a year ahead (`reset_after` comes from the
/// network and may be absurd).
fn later(at: Instant, d: Duration) -> Instant {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    at.checked_add(d.min(YEAR)).unwrap_or(at)
}

impl IdentifyQueue for InProcessIdentifyQueue {
    fn acquire(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        let at = self.reserve(shard_id);
        Box::pin(async move {
            tokio::time::sleep_until(at).await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(mc: u32, remaining: u32) -> SessionStartLimit {
        SessionStartLimit::new(1000, remaining, Duration::from_secs(3600), mc)
    }

    #[tokio::test(start_paused = true)]
    async fn one_identify_per_bucket_per_window_in_waves() {
        let q = InProcessIdentifyQueue::new(limit(4, 1000));
        let t0 = Instant::now();
        let mut slots = Vec::new();
        for shard in 0..16 {
            slots.push(q.reserve(shard) - t0);
        }
        let step = Duration::from_secs(5) + Duration::from_millis(250);
        for (shard, at) in slots.iter().enumerate() {
            assert_eq!(*at, step * (shard as u32 / 4), "shard {shard}");
        }
        // acquire really waits on (paused) time
        q.acquire(0).await.unwrap();
        assert_eq!(Instant::now() - t0, step * 4);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_limits_do_not_panic() {
        let q = InProcessIdentifyQueue::with_window(
            SessionStartLimit::new(0, 0, Duration::MAX, 0),
            Duration::MAX,
        );
        let t0 = Instant::now();
        assert!(q.reserve(3) > t0);
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_session_starts_wait_for_the_reset() {
        let q = InProcessIdentifyQueue::with_window(limit(1, 1), Duration::from_millis(10));
        let t0 = Instant::now();
        assert_eq!(q.reserve(0), t0);
        let second = q.reserve(0);
        assert_eq!(second - t0, Duration::from_secs(3600));
    }
}
