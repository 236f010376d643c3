//! Heartbeat timing: the swappable [`KeepAlive`] trait and its default,
//! [`StandardKeepAlive`].
//!
//! The trait is sans-I/O like [`Connection`](crate::Connection): it is told
//! the time and never sleeps. The connection asks it when the next beat is
//! due ([`KeepAlive::next_beat`]), tells it when a heartbeat went out
//! ([`KeepAlive::heartbeat_sent`]) and when the ACK came back
//! ([`KeepAlive::ack`]). The zombie check (a regular beat still without
//! its ACK when the next one is due; a beat answering a server op 1 does
//! not count) lives in the connection, so a replacement cannot break the
//! protocol rules.

use std::fmt;
use std::time::{Duration, Instant};

/// Decides when to heartbeat and measures heartbeat latency.
///
/// Replace it to change timing or to add metrics; the default,
/// [`StandardKeepAlive`], follows Discord's documentation. See
/// `docs/gateway.md` for a complete example that wraps the standard one.
pub trait KeepAlive: Send + fmt::Debug + 'static {
    /// HELLO arrived: start beating every `interval`, the first beat after
    /// `interval × jitter` (`jitter` uniformly random in `[0, 1)`).
    fn start(&mut self, interval: Duration, now: Instant, jitter: f64);

    /// Stop beating until the next `start`: called when a connection is
    /// gone, and also when a new one opens (before its HELLO, the first
    /// time too), so an implementation must accept `stop` without a
    /// `start` before it.
    fn stop(&mut self);

    /// When the next heartbeat is due, or `None` while stopped.
    fn next_beat(&self) -> Option<Instant>;

    /// A heartbeat was handed to the socket at `now`. `requested` is true
    /// when it answered a server op 1 (which does not move the regular
    /// timer).
    fn heartbeat_sent(&mut self, now: Instant, requested: bool);

    /// A HEARTBEAT_ACK arrived at `now`; returns the measured latency.
    fn ack(&mut self, now: Instant) -> Option<Duration>;

    /// The latest heartbeat latency sample.
    fn latency(&self) -> Option<Duration>;

    /// When the latest ACK arrived.
    fn last_ack(&self) -> Option<Instant>;

    /// The heartbeat payload for the last sequence number (ACord's
    /// `get_payload`): `{"op":1,"d":<seq or null>}`.
    fn payload(&self, last_seq: Option<u64>) -> String {
        match last_seq {
            Some(seq) => format!(r#"{{"op":1,"d":{seq}}}"#),
            None => r#"{"op":1,"d":null}"#.to_owned(),
        }
    }

    /// One step of the provided run loop: whether a regular beat is due at
    /// `now`. The driver sleeps until [`next_beat`](Self::next_beat), calls
    /// this, and when it returns true sends [`payload`](Self::payload) and
    /// reports it with [`heartbeat_sent`](Self::heartbeat_sent).
    fn beat_due(&self, now: Instant) -> bool {
        self.next_beat().is_some_and(|at| at <= now)
    }
}

impl<K: KeepAlive + ?Sized> KeepAlive for Box<K> {
    fn start(&mut self, interval: Duration, now: Instant, jitter: f64) {
        (**self).start(interval, now, jitter)
    }
    fn stop(&mut self) {
        (**self).stop()
    }
    fn next_beat(&self) -> Option<Instant> {
        (**self).next_beat()
    }
    fn heartbeat_sent(&mut self, now: Instant, requested: bool) {
        (**self).heartbeat_sent(now, requested)
    }
    fn ack(&mut self, now: Instant) -> Option<Duration> {
        (**self).ack(now)
    }
    fn latency(&self) -> Option<Duration> {
        (**self).latency()
    }
    fn last_ack(&self) -> Option<Instant> {
        (**self).last_ack()
    }
    fn payload(&self, last_seq: Option<u64>) -> String {
        (**self).payload(last_seq)
    }
    fn beat_due(&self, now: Instant) -> bool {
        (**self).beat_due(now)
    }
}

/// The default keep-alive: first beat after `interval × jitter`, then one
/// every `interval` (no drift: each beat is scheduled from the previous
/// schedule, not from when the driver got round to it), latency measured
/// from the latest beat to its ACK.
#[derive(Clone, Debug, Default)]
pub struct StandardKeepAlive {
    interval: Option<Duration>,
    next: Option<Instant>,
    sent_at: Option<Instant>,
    latency: Option<Duration>,
    last_ack: Option<Instant>,
}

impl StandardKeepAlive {
    /// A stopped keep-alive.
    pub fn new() -> Self {
        Self::default()
    }
}

impl KeepAlive for StandardKeepAlive {
    fn start(&mut self, interval: Duration, now: Instant, jitter: f64) {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.interval = Some(interval);
        // checked: a custom driver may pass any interval
        self.next = Some(now.checked_add(interval.mul_f64(jitter)).unwrap_or(now));
        self.sent_at = None;
    }

    fn stop(&mut self) {
        self.interval = None;
        self.next = None;
        self.sent_at = None;
    }

    fn next_beat(&self) -> Option<Instant> {
        self.next
    }

    fn heartbeat_sent(&mut self, now: Instant, requested: bool) {
        self.sent_at = Some(now);
        if requested {
            return;
        }
        if let (Some(interval), Some(next)) = (self.interval, self.next) {
            let mut following = next.checked_add(interval).unwrap_or(next);
            if following <= now {
                // the driver fell behind by more than an interval: do not
                // burst, start counting from now
                following = now.checked_add(interval).unwrap_or(now);
            }
            self.next = Some(following);
        }
    }

    fn ack(&mut self, now: Instant) -> Option<Duration> {
        self.last_ack = Some(now);
        let sample = self
            .sent_at
            .take()
            .map(|sent| now.saturating_duration_since(sent));
        if sample.is_some() {
            self.latency = sample;
        }
        sample
    }

    fn latency(&self) -> Option<Duration> {
        self.latency
    }

    fn last_ack(&self) -> Option<Instant> {
        self.last_ack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_beat_is_jittered_then_regular() {
        let t0 = Instant::now();
        let i = Duration::from_millis(1000);
        let mut k = StandardKeepAlive::new();
        assert_eq!(k.next_beat(), None);
        k.start(i, t0, 0.25);
        assert_eq!(k.next_beat(), Some(t0 + Duration::from_millis(250)));
        assert!(!k.beat_due(t0));
        let t1 = t0 + Duration::from_millis(260);
        assert!(k.beat_due(t1));
        k.heartbeat_sent(t1, false);
        assert_eq!(k.next_beat(), Some(t0 + Duration::from_millis(1250)));
        // a server-requested beat does not move the timer
        k.heartbeat_sent(t1 + Duration::from_millis(10), true);
        assert_eq!(k.next_beat(), Some(t0 + Duration::from_millis(1250)));
    }

    #[test]
    fn latency_is_measured_from_the_last_beat() {
        let t0 = Instant::now();
        let mut k = StandardKeepAlive::new();
        k.start(Duration::from_secs(1), t0, 0.0);
        k.heartbeat_sent(t0, false);
        assert_eq!(
            k.ack(t0 + Duration::from_millis(42)),
            Some(Duration::from_millis(42))
        );
        assert_eq!(k.latency(), Some(Duration::from_millis(42)));
        assert_eq!(k.last_ack(), Some(t0 + Duration::from_millis(42)));
        // an unsolicited ACK records the time but no sample
        assert_eq!(k.ack(t0 + Duration::from_millis(50)), None);
        assert_eq!(k.latency(), Some(Duration::from_millis(42)));
    }

    #[test]
    fn falling_behind_does_not_burst_and_bad_jitter_is_clamped() {
        let t0 = Instant::now();
        let mut k = StandardKeepAlive::new();
        k.start(Duration::from_secs(1), t0, f64::NAN);
        assert_eq!(k.next_beat(), Some(t0));
        let late = t0 + Duration::from_secs(5);
        k.heartbeat_sent(late, false);
        assert_eq!(k.next_beat(), Some(late + Duration::from_secs(1)));
        k.start(Duration::from_secs(1), t0, 7.0);
        assert_eq!(k.next_beat(), Some(t0 + Duration::from_secs(1)));
        k.stop();
        assert_eq!(k.next_beat(), None);
        assert!(!k.beat_due(late));
        // absurd intervals from a custom driver never panic
        k.start(Duration::MAX, t0, 0.5);
        k.heartbeat_sent(t0, false);
        assert!(k.next_beat().is_some());
    }

    #[test]
    fn payload_carries_the_last_sequence() {
        let k: Box<dyn KeepAlive> = Box::new(StandardKeepAlive::new());
        assert_eq!(k.payload(None), r#"{"op":1,"d":null}"#);
        assert_eq!(k.payload(Some(42)), r#"{"op":1,"d":42}"#);
    }
}
