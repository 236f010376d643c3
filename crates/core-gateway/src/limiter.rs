//! The gateway send limiter: at most `limit` payloads per `window` per
//! connection (Discord: 120 per 60 s, close 4008 beyond), with slots kept
//! for heartbeats so a flood of user commands can never delay one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use acord_core_signals::limits;

/// A sliding-window counter of everything sent on one connection.
///
/// Heartbeats, IDENTIFY and RESUME always go out (and are counted); user
/// commands go out only while fewer than `limit - reserve` payloads were
/// sent in the last `window`.
#[derive(Clone, Debug)]
pub(crate) struct SendLimiter {
    limit: usize,
    window: Duration,
    reserve: usize,
    sent: VecDeque<Instant>,
}

impl Default for SendLimiter {
    fn default() -> Self {
        Self::new(
            limits::GATEWAY_SENDS_PER_WINDOW as usize,
            limits::GATEWAY_SEND_WINDOW,
        )
    }
}

impl SendLimiter {
    pub(crate) fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            reserve: 3.min(limit.max(1) / 2),
            sent: VecDeque::with_capacity(0),
        }
    }

    /// A plain sliding window of `limit` per `window`, with no reserve
    /// (UPDATE_PRESENCE's own limit).
    pub(crate) fn without_reserve(limit: usize, window: Duration) -> Self {
        Self {
            reserve: 0,
            ..Self::new(limit, window)
        }
    }

    /// Sizes the heartbeat reserve for a heartbeat interval: every beat in a
    /// window, plus two for server-requested beats and the session start,
    /// never more than half the limit.
    pub(crate) fn set_heartbeat_interval(&mut self, interval: Duration) {
        let per_window = if interval.is_zero() {
            self.limit
        } else {
            usize::try_from(self.window.as_nanos().div_ceil(interval.as_nanos()))
                .unwrap_or(usize::MAX)
        };
        self.reserve = per_window.saturating_add(2).min(self.limit / 2);
    }

    /// A new connection: the count starts over.
    pub(crate) fn reset(&mut self) {
        self.sent.clear();
        self.sent.shrink_to(0);
    }

    fn prune(&mut self, now: Instant) {
        while let Some(&first) = self.sent.front() {
            if now.saturating_duration_since(first) >= self.window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }

    fn user_limit(&self) -> usize {
        self.limit - self.reserve
    }

    /// Whether a user command may go out at `now`.
    pub(crate) fn user_ready(&mut self, now: Instant) -> bool {
        self.prune(now);
        self.sent.len() < self.user_limit()
    }

    /// When the next user command may go out (`None`: now).
    pub(crate) fn next_user_slot(&mut self, now: Instant) -> Option<Instant> {
        if self.user_ready(now) {
            return None;
        }
        let idx = self.sent.len() - self.user_limit();
        self.sent.get(idx).map(|&t| t + self.window)
    }

    /// Records a payload sent at `now`.
    pub(crate) fn record(&mut self, now: Instant) {
        self.prune(now);
        self.sent.push_back(now);
    }

    /// Payloads sent in the current window.
    #[cfg(test)]
    pub(crate) fn in_window(&mut self, now: Instant) -> usize {
        self.prune(now);
        self.sent.len()
    }

    /// The number of slots kept for heartbeats.
    #[cfg(test)]
    pub(crate) fn reserve(&self) -> usize {
        self.reserve
    }
}

/// Jittered exponential backoff between reconnect attempts.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next attempt: `min(max, base × 2^attempt)`
    /// scaled by a jitter in `[0.5, 1)`. The first attempt waits nothing.
    pub(crate) fn next_delay(&mut self, jitter: f64) -> Duration {
        let attempt = self.attempt;
        self.attempt = self.attempt.saturating_add(1);
        if attempt == 0 {
            return Duration::ZERO;
        }
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
        let capped = exp.min(self.max);
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// A connection succeeded (READY or RESUMED).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_limits_do_not_overflow() {
        let t0 = Instant::now();
        let mut l = SendLimiter::new(usize::MAX, Duration::from_secs(86_400));
        l.set_heartbeat_interval(Duration::ZERO);
        assert_eq!(l.reserve(), usize::MAX / 2);
        l.set_heartbeat_interval(Duration::from_nanos(1));
        assert_eq!(l.reserve(), 86_400_000_000_002);
        assert!(l.user_ready(t0));
    }

    #[test]
    fn user_commands_stop_before_the_limit_and_heartbeats_keep_room() {
        let t0 = Instant::now();
        let mut l = SendLimiter::default();
        l.set_heartbeat_interval(Duration::from_millis(41_250));
        assert_eq!(l.reserve(), 4);
        let mut sent = 0;
        while l.user_ready(t0) {
            l.record(t0);
            sent += 1;
        }
        assert_eq!(sent, 116);
        // heartbeats still fit under 120
        for _ in 0..l.reserve() {
            l.record(t0);
        }
        assert_eq!(l.in_window(t0), 120);
        let slot = l.next_user_slot(t0).unwrap();
        assert_eq!(slot, t0 + Duration::from_secs(60));
        assert!(!l.user_ready(t0 + Duration::from_secs(59)));
        assert!(l.user_ready(t0 + Duration::from_secs(60)));
    }

    #[test]
    fn sliding_window_frees_slots_one_by_one() {
        let t0 = Instant::now();
        let mut l = SendLimiter::new(10, Duration::from_secs(1));
        l.set_heartbeat_interval(Duration::from_secs(1));
        assert_eq!(l.reserve(), 3);
        for i in 0..7 {
            let now = t0 + Duration::from_millis(i * 100);
            assert!(l.user_ready(now));
            l.record(now);
        }
        assert!(!l.user_ready(t0 + Duration::from_millis(700)));
        assert_eq!(
            l.next_user_slot(t0 + Duration::from_millis(700)),
            Some(t0 + Duration::from_secs(1))
        );
        assert!(l.user_ready(t0 + Duration::from_secs(1)));
        l.reset();
        assert_eq!(l.in_window(t0), 0);
    }

    #[test]
    fn reserve_never_exceeds_half() {
        let mut l = SendLimiter::default();
        l.set_heartbeat_interval(Duration::from_millis(10));
        assert_eq!(l.reserve(), 60);
        l.set_heartbeat_interval(Duration::ZERO);
        assert_eq!(l.reserve(), 60);
    }

    #[test]
    fn backoff_grows_is_jittered_capped_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.next_delay(0.3), Duration::ZERO);
        assert_eq!(b.next_delay(1.0), Duration::from_millis(100));
        assert_eq!(b.next_delay(0.0), Duration::from_millis(100));
        assert_eq!(b.next_delay(1.0), Duration::from_millis(400));
        for _ in 0..30 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(1));
        }
        b.reset();
        assert_eq!(b.next_delay(0.5), Duration::ZERO);
    }
}
