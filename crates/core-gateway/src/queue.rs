//! Who may IDENTIFY when: the [`IdentifyQueue`] trait and the in-process
//! default, [`InProcessIdentifyQueue`].
//!
//! Discord allows one IDENTIFY per `rate_limit_key = shard_id %
//! max_concurrency` every 5 seconds, and `session_start_limit.remaining`
//! session starts until `reset_after`. Several processes running ranges of
//! one bot must share one queue: implement the trait on a shared store
//! (docs/gateway.md sketches a Redis-backed one).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use acord_core_http::{SessionStartLimit, Token};
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

    /// Tells the queue that the IDENTIFY `acquire` granted to `shard_id`
    /// was just written to the socket (after the flush).
    ///
    /// The shard calls it once per granted IDENTIFY. A queue that spaces
    /// a bucket's IDENTIFYs from when they were really sent, not from when
    /// they were granted, can keep its margin small: a send delayed after
    /// the grant (a busy runtime, a slow flush) then moves the bucket's
    /// next grant back by as much. The grant itself must still hold the
    /// bucket for a window, since a shard that dies between the grant and
    /// the send never calls this.
    ///
    /// The default does nothing (a queue spacing grants only).
    ///
    /// # Errors
    /// A [`GatewayError`] when the store cannot be told; the shard logs it
    /// and goes on (the grant still holds the bucket).
    ///
    /// # Cancel safety
    /// Dropping the future may leave the report untold; the bucket is then
    /// spaced from the grant alone.
    fn sent(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        let _ = shard_id;
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The session start budget of one reset window: `remaining` starts until
/// `end`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    end: Instant,
    remaining: u32,
}

#[derive(Debug)]
struct State {
    limit: SessionStartLimit,
    /// Next free slot per bucket (reserved in call order).
    next: Vec<Instant>,
    /// Per bucket, the earliest the next grant may be: one window plus the
    /// margin after the last grant, and after the last reported send.
    floor: Vec<Instant>,
    /// The current reset window first, then the windows after it that
    /// slots were already reserved in. Each keeps its own budget: starts
    /// reserved after a reset never refill the window before it.
    budgets: VecDeque<Budget>,
}

/// The default in-process queue: one IDENTIFY per bucket per window
/// (default 5 s, plus a safety margin of 100 ms), and no more starts than
/// `session_start_limit.remaining` until `reset_after` (after which it
/// waits for the reset instead of burning the token).
///
/// Slots are handed out in call order, so shards started in order identify
/// bucket by bucket, wave after wave.
///
/// Spacing counts from the send: a grant holds its bucket for the window
/// plus the margin, and [`IdentifyQueue::sent`] (which the shard calls
/// once the IDENTIFY is flushed) moves the bucket's next grant to the
/// window plus the margin after the send. A waiter whose slot comes
/// checks the bucket again, so an IDENTIFY sent late pushes the next one
/// back by as much, and the margin only has to cover the jitter between
/// the socket and Discord, not the time between the grant and the send.
pub struct InProcessIdentifyQueue {
    window: Duration,
    margin: Duration,
    state: Mutex<State>,
}

impl fmt::Debug for InProcessIdentifyQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("InProcessIdentifyQueue")
            .field("max_concurrency", &st.limit.max_concurrency)
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
    /// margin ([`default_margin`](Self::default_margin) unless set with
    /// [`margin`](Self::margin)), counted from the later of the grant and
    /// the reported send.
    pub fn with_window(limit: SessionStartLimit, window: Duration) -> Self {
        let now = Instant::now();
        let buckets = limit.max_concurrency.max(1) as usize;
        Self {
            window,
            margin: Self::default_margin(window),
            state: Mutex::new(State {
                limit,
                next: vec![now; buckets],
                floor: vec![now; buckets],
                budgets: VecDeque::from([Budget {
                    end: later(now, limit.reset_after),
                    remaining: limit.remaining,
                }]),
            }),
        }
    }

    /// The margin added to `window` unless one is set: 2 % of the window,
    /// at least 50 ms, at most the window itself (100 ms for Discord's
    /// 5 s). It absorbs the jitter between an IDENTIFY leaving the socket
    /// and Discord reading it; the delay between the grant and the send is
    /// already counted, since spacing starts at the reported send.
    pub fn default_margin(window: Duration) -> Duration {
        (window / 50).max(Duration::from_millis(50)).min(window)
    }

    /// Replaces the margin added to the window between two IDENTIFYs of a
    /// bucket (see [`default_margin`](Self::default_margin)).
    #[must_use]
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The queue every standalone shard of the bot with `token` shares in
    /// this process (per gateway host and identify `window`: one Discord,
    /// or one fake Discord, is one queue), so shards built from
    /// separate configurations neither identify together nor each count
    /// on a budget of their own. `limit` (from a fresh `GET /gateway/bot`)
    /// replaces the queue's numbers; without it a new queue assumes
    /// [`SessionStartLimit::default`].
    pub(crate) fn shared(
        token: &Token,
        gateway_url: &str,
        limit: Option<SessionStartLimit>,
        window: Duration,
    ) -> Arc<Self> {
        static QUEUES: Mutex<Vec<(u64, Duration, Weak<InProcessIdentifyQueue>)>> =
            Mutex::new(Vec::new());
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            token.expose_secret().hash(&mut h);
            match url::Url::parse(gateway_url) {
                Ok(url) => (url.host_str().map(str::to_owned), url.port()).hash(&mut h),
                Err(_) => gateway_url.hash(&mut h),
            }
            h.finish()
        };
        let mut queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
        queues.retain(|(_, _, q)| q.strong_count() > 0);
        let found = queues
            .iter()
            .find(|(k, w, _)| *k == key && *w == window)
            .and_then(|(_, _, q)| q.upgrade());
        if let Some(queue) = found {
            if let Some(limit) = limit {
                queue.set_limit(limit);
            }
            return queue;
        }
        let queue = Arc::new(Self::with_window(limit.unwrap_or_default(), window));
        queues.push((key, window, Arc::downgrade(&queue)));
        queue
    }

    /// Replaces the numbers with those of a fresh `GET /gateway/bot`:
    /// `remaining` starts until `reset_after` from now. Slots already
    /// handed out keep their times.
    pub fn set_limit(&self, limit: SessionStartLimit) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = limit.max_concurrency.max(1) as usize;
        st.next.resize(buckets, now);
        st.floor.resize(buckets, now);
        st.budgets = VecDeque::from([Budget {
            end: later(now, limit.reset_after),
            remaining: limit.remaining,
        }]);
        st.limit = limit;
    }

    /// Reserves the next slot for `shard_id`; returns when to identify.
    ///
    /// The slot is the bucket's next free one, moved to a later reset
    /// window while the window it falls in has no session starts left.
    fn reserve(&self, shard_id: u32) -> Instant {
        let now = Instant::now();
        // cannot be poisoned: no code panics while holding the lock; recover
        // the data anyway if it ever is
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let limit = st.limit;
        let bucket = identify_rate_limit_key(shard_id, limit.max_concurrency.max(1)) as usize;
        // the length of the reset windows after the current one
        let period = limit.reset_after.max(Duration::from_secs(1));
        // forget the windows that are over, keeping the newest to count on from
        while st.budgets.len() > 1 && st.budgets[0].end <= now {
            st.budgets.pop_front();
        }
        if let Some(first) = st.budgets.front_mut() {
            if first.end <= now {
                let end = later(first.end, period);
                *first = Budget {
                    end: if end <= now { later(now, period) } else { end },
                    remaining: limit.total.max(1),
                };
            }
        }
        let mut at = now.max(st.next[bucket]);
        let mut i = 0;
        loop {
            if i == st.budgets.len() {
                // a window of at least one start, so a budget of 0 cannot
                // push slots away forever
                let end = st.budgets.back().map_or(now, |b| b.end);
                st.budgets.push_back(Budget {
                    end: later(end, period),
                    remaining: limit.total.max(1),
                });
            }
            let budget = st.budgets[i];
            // (a window whose end saturated counts as containing `at`)
            let last = i + 1 == st.budgets.len() && later(budget.end, period) <= budget.end;
            if budget.end <= at && !last {
                i += 1;
                continue;
            }
            if budget.remaining > 0 {
                st.budgets[i].remaining -= 1;
                break;
            }
            if i == 0 {
                tracing::warn!(
                    wait = ?budget.end.saturating_duration_since(now),
                    "session_start_limit exhausted; waiting for the reset instead of identifying"
                );
            }
            if last {
                // no later window can be represented: take this one
                break;
            }
            // nothing left in this window: the slot moves to the next one
            at = at.max(budget.end);
            i += 1;
        }
        st.next[bucket] = later(at, self.window.saturating_add(self.margin));
        at
    }

    /// The bucket of `shard_id` under the current limits.
    fn bucket(st: &State, shard_id: u32) -> usize {
        identify_rate_limit_key(shard_id, st.limit.max_concurrency.max(1)) as usize
    }

    /// Grants `shard_id`'s bucket now, holding it for the window plus the
    /// margin, unless an earlier grant or send still holds it: then
    /// returns when to check again.
    fn try_grant(&self, shard_id: u32) -> Option<Instant> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = Self::bucket(&st, shard_id);
        let floor = st.floor.get_mut(bucket)?;
        if *floor > now {
            return Some(*floor);
        }
        *floor = later(now, self.window.saturating_add(self.margin));
        None
    }

    /// Starts left in the current reset window.
    pub fn remaining(&self) -> u32 {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        st.budgets
            .iter()
            .find(|b| b.end > now)
            .map_or(st.limit.total, |b| b.remaining)
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
            // the slot came; a grant or a send reported since it was
            // reserved may hold the bucket a little longer
            while let Some(at) = self.try_grant(shard_id) {
                tokio::time::sleep_until(at).await;
            }
            Ok(())
        })
    }

    /// Holds `shard_id`'s bucket until the window plus the margin from now
    /// (never shortening an earlier hold), and moves the bucket's next
    /// reserved slot there if it was earlier.
    fn sent(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        let until = later(Instant::now(), self.window.saturating_add(self.margin));
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = Self::bucket(&st, shard_id);
        if let Some(floor) = st.floor.get_mut(bucket) {
            *floor = (*floor).max(until);
        }
        if let Some(next) = st.next.get_mut(bucket) {
            *next = (*next).max(until);
        }
        Box::pin(std::future::ready(Ok(())))
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
        let step = Duration::from_secs(5) + Duration::from_millis(100);
        for (shard, at) in slots.iter().enumerate() {
            assert_eq!(*at, step * (shard as u32 / 4), "shard {shard}");
        }
        // acquire really waits on (paused) time
        q.acquire(0).await.unwrap();
        assert_eq!(Instant::now() - t0, step * 4);
    }

    /// Grants `shard` on a task; resolves to the time of the grant.
    fn spawn_acquire(
        q: &Arc<InProcessIdentifyQueue>,
        shard: u32,
    ) -> tokio::task::JoinHandle<Instant> {
        let q = Arc::clone(q);
        tokio::spawn(async move {
            q.acquire(shard).await.unwrap();
            Instant::now()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_send_pushes_the_next_identify_of_its_bucket_back() {
        let q = Arc::new(InProcessIdentifyQueue::new(limit(4, 1000)));
        let lease = Duration::from_millis(5100);
        let t0 = Instant::now();
        q.acquire(0).await.unwrap();
        // reserved before the send: its slot is one lease after the grant
        let same_bucket = spawn_acquire(&q, 4);
        let other_bucket = spawn_acquire(&q, 1);
        // the IDENTIFY leaves 300 ms after its grant (a busy runtime)
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = Instant::now();
        q.sent(0).await.unwrap();
        assert_eq!(same_bucket.await.unwrap() - sent, lease);
        assert_eq!(other_bucket.await.unwrap(), t0, "bucket 1 was held too");
        // reserved after the send: the same rule
        q.sent(4).await.unwrap();
        let sent = Instant::now();
        q.acquire(8).await.unwrap();
        assert_eq!(Instant::now() - sent, lease);
    }

    #[tokio::test(start_paused = true)]
    async fn a_grant_never_reported_holds_its_bucket_for_one_lease() {
        // the shard died between the grant and the send
        let q = Arc::new(InProcessIdentifyQueue::new(limit(2, 1000)));
        let t0 = Instant::now();
        q.acquire(0).await.unwrap();
        q.acquire(2).await.unwrap();
        assert_eq!(Instant::now() - t0, Duration::from_millis(5100));
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_pushed_past_their_slots_are_granted_one_lease_apart() {
        let q =
            Arc::new(InProcessIdentifyQueue::new(limit(1, 1000)).margin(Duration::from_millis(50)));
        let lease = Duration::from_millis(5050);
        let t0 = Instant::now();
        q.acquire(0).await.unwrap();
        let second = spawn_acquire(&q, 1);
        let third = spawn_acquire(&q, 2);
        // the first IDENTIFY leaves 4.9 s after its grant: the second
        // waiter's slot (5.05 s) passes, and the third's (10.1 s) comes
        // before the second may go (9.95 s) plus a lease
        tokio::time::sleep(Duration::from_millis(4900)).await;
        q.sent(0).await.unwrap();
        let second = second.await.unwrap();
        let third = third.await.unwrap();
        assert_eq!(second - t0, Duration::from_millis(4900) + lease);
        assert_eq!(third - second, lease, "two grants in one window");
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

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_budget_holds_every_bucket_until_the_reset() {
        // two buckets, no starts left for an hour: neither bucket may
        // identify before the reset
        let q = InProcessIdentifyQueue::with_window(limit(2, 0), Duration::from_millis(10));
        let t0 = Instant::now();
        let reset = Duration::from_secs(3600);
        assert_eq!(q.reserve(0) - t0, reset);
        assert_eq!(
            q.reserve(1) - t0,
            reset,
            "bucket 1 identified before the reset"
        );
        assert_eq!(q.reserve(2) - t0, reset + Duration::from_millis(20));
    }

    #[tokio::test(start_paused = true)]
    async fn starts_reserved_after_the_reset_do_not_refill_the_window_before_it() {
        let q = InProcessIdentifyQueue::with_window(
            SessionStartLimit::new(2, 1, Duration::from_secs(60), 2),
            Duration::from_millis(10),
        );
        let t0 = Instant::now();
        assert_eq!(q.reserve(0), t0); // the last start of this window
        assert_eq!(q.reserve(0) - t0, Duration::from_secs(60));
        // the next window's budget (2) must not let bucket 1 start now
        assert_eq!(q.reserve(1) - t0, Duration::from_secs(60));
        // the next window has 2 starts, both used: the third waits a window more
        assert_eq!(q.reserve(1) - t0, Duration::from_secs(120));
        assert_eq!(q.remaining(), 0);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            q.remaining(),
            0,
            "both starts of the second window are reserved"
        );
    }
}
