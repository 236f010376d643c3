//! Per-route buckets and the global limit (discord-protocol.md §2), as pure
//! logic: every method takes `now`.
//!
//! A bucket is a fixed window that opens with the first request after the
//! previous window ended: `limit` requests fit in it, then the route answers
//! 429 until `opened + window`. The limiter key is `(bucket hash, major
//! parameter)` (§2.1), so two channels never share a window even though
//! their responses carry the same `X-RateLimit-Bucket`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Drop expired windows once this many are stored.
const PRUNE_AT: usize = 4096;

/// One fixed window.
#[derive(Clone, Copy, Debug)]
struct Window {
    opened: Instant,
    used: u32,
}

/// When a window that opened at `opened` ends; a window too long to
/// represent (e.g. `Duration::MAX` to mean "never") ends in 30 years.
fn window_end(opened: Instant, length: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    opened
        .checked_add(length)
        .or_else(|| opened.checked_add(FAR))
        .unwrap_or(opened)
}

impl Window {
    fn current(window: Option<Window>, length: Duration, now: Instant) -> Window {
        match window {
            Some(w) if now < window_end(w.opened, length) => w,
            _ => Window {
                opened: now,
                used: 0,
            },
        }
    }
}

/// What the rate-limit headers of a response say about a bucket.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BucketState {
    pub bucket: String,
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
}

/// The fake's REST limits.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    window: Duration,
    global_limit: u32,
    global_window: Duration,
    buckets: HashMap<(String, String), Window>,
    global: Option<Window>,
}

impl RateLimiter {
    pub fn new(
        limit: u32,
        window: Duration,
        global_limit: u32,
        global_window: Duration,
    ) -> RateLimiter {
        RateLimiter {
            limit: limit.max(1),
            window,
            global_limit: global_limit.max(1),
            global_window,
            buckets: HashMap::new(),
            global: None,
        }
    }

    /// Counts one request against the global limit, or says how long until
    /// the global window ends.
    pub fn acquire_global(&mut self, now: Instant) -> Result<(), Duration> {
        let mut window = Window::current(self.global, self.global_window, now);
        if window.used >= self.global_limit {
            self.global = Some(window);
            return Err(
                window_end(window.opened, self.global_window).saturating_duration_since(now)
            );
        }
        window.used += 1;
        self.global = Some(window);
        Ok(())
    }

    /// Counts one request against `(bucket, major)`: `Ok` with the state
    /// after it, or `Err` with the (exhausted) state whose `reset_after` is
    /// the wait.
    pub fn acquire(
        &mut self,
        bucket: &str,
        major: &str,
        now: Instant,
    ) -> Result<BucketState, BucketState> {
        if self.buckets.len() >= PRUNE_AT {
            let length = self.window;
            self.buckets
                .retain(|_, w| now < window_end(w.opened, length));
        }
        let key = (bucket.to_owned(), major.to_owned());
        let mut window = Window::current(self.buckets.get(&key).copied(), self.window, now);
        let allowed = window.used < self.limit;
        if allowed {
            window.used += 1;
        }
        self.buckets.insert(key, window);
        let state = self.state(bucket, window, now);
        if allowed {
            Ok(state)
        } else {
            Err(state)
        }
    }

    /// The state of `(bucket, major)` without counting a request.
    pub fn peek(&self, bucket: &str, major: &str, now: Instant) -> BucketState {
        let key = (bucket.to_owned(), major.to_owned());
        let window = Window::current(self.buckets.get(&key).copied(), self.window, now);
        self.state(bucket, window, now)
    }

    fn state(&self, bucket: &str, window: Window, now: Instant) -> BucketState {
        BucketState {
            bucket: bucket.to_owned(),
            limit: self.limit,
            remaining: self.limit.saturating_sub(window.used),
            reset_after: window_end(window.opened, self.window).saturating_duration_since(now),
        }
    }
}

/// The `X-RateLimit-Bucket` of a limit group: 32 hex digits, stable for a
/// group (two FNV-1a 64 hashes with different offsets).
pub(crate) fn bucket_hash(group: &str) -> String {
    let fnv = |offset: u64| {
        group.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x84222325_cbf29ce4)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn bucket_exhausts_and_resets() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(2, 100 * MS, 50, 1000 * MS);
        let first = rl.acquire("b", "1", t0).unwrap();
        assert_eq!((first.limit, first.remaining), (2, 1));
        assert_eq!(first.reset_after, 100 * MS);
        let second = rl.acquire("b", "1", t0 + 10 * MS).unwrap();
        assert_eq!(second.remaining, 0);
        assert_eq!(second.reset_after, 90 * MS);
        let third = rl.acquire("b", "1", t0 + 40 * MS).unwrap_err();
        assert_eq!(third.remaining, 0);
        assert_eq!(third.reset_after, 60 * MS);
        // Another major parameter has its own window.
        assert_eq!(rl.acquire("b", "2", t0 + 40 * MS).unwrap().remaining, 1);
        // The window ends: a fresh one opens.
        let again = rl.acquire("b", "1", t0 + 100 * MS).unwrap();
        assert_eq!(again.remaining, 1);
        assert_eq!(again.reset_after, 100 * MS);
        assert_eq!(rl.peek("b", "1", t0 + 150 * MS).remaining, 1);
        assert_eq!(rl.peek("b", "1", t0 + 200 * MS).remaining, 2);
    }

    #[test]
    fn global_limit_counts_every_request() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(5, 100 * MS, 3, 50 * MS);
        for _ in 0..3 {
            rl.acquire_global(t0).unwrap();
        }
        assert_eq!(rl.acquire_global(t0 + 20 * MS), Err(30 * MS));
        assert_eq!(rl.acquire_global(t0 + 50 * MS), Ok(()));
    }

    #[test]
    fn endless_windows_do_not_overflow() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(1, Duration::MAX, 1, Duration::MAX);
        assert!(rl.acquire("b", "", t0).is_ok());
        let limited = rl.acquire("b", "", t0).unwrap_err();
        assert!(limited.reset_after > Duration::from_secs(365 * 24 * 3600));
        assert!(rl.acquire_global(t0).is_ok());
        assert!(rl.acquire_global(t0).is_err());
    }

    #[test]
    fn bucket_hashes_are_stable_and_distinct() {
        assert_eq!(bucket_hash("GET /channels"), bucket_hash("GET /channels"));
        assert_ne!(bucket_hash("GET /channels"), bucket_hash("POST /channels"));
        assert_eq!(bucket_hash("x").len(), 32);
    }
}
