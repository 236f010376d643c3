//! [`InMemoryRatelimiter`]: the default [`Ratelimiter`], for one process.
//!
//! State, all behind short synchronous sections (no lock is held across an
//! `.await`):
//!
//! - `routes`: route key → bucket id learned from `X-RateLimit-Bucket`
//!   (several routes may map to one bucket);
//! - `buckets`: (bucket id or route key, major parameter) → limit,
//!   remaining, reset instant, requests in flight;
//! - `learned`: resource (method + full path with its ids, see
//!   [`RouteKey::resource`]) → a sub-limit learned from a 429 the headers
//!   did not predict: nothing more goes to that resource until the 429's
//!   `retry_after` has passed, then it is forgotten;
//! - the global limit as a sliding log of send instants, plus the pause set
//!   by a global 429;
//! - the invalid-request counter over a rolling 10 minutes.
//!
//! How a bucket is used: a new bucket lets exactly one request out (a
//! *probe*) and holds the others until its response tells the limit; a
//! known bucket hands out `remaining` requests, then waits for the reset.
//! It only starts a new window when every request of the previous one has
//! come back, so a late response can never make it over-count.
//!
//! Every wait is known before it starts except one: a request held while a
//! new bucket's probe is out waits for that response. So
//! [`Ratelimiter::acquire_within`] refuses a known wait longer than allowed
//! at once, and bounds the unknown one.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use acord_core_signals::limits::{
    GLOBAL_REQUESTS_PER_SECOND, INVALID_REQUESTS_PER_WINDOW, INVALID_REQUEST_WINDOW,
};
use acord_core_signals::{is_invalid_request_status, RateLimitScope};
use dashmap::DashMap;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{
    AcquireError, BoxFuture, RateLimitInfo, RatelimitEvent, RatelimitHook, Ratelimiter, Ticket,
    WaitReason,
};
use crate::route::RouteKey;

/// When a bucket is exhausted and no response said when it resets.
const FALLBACK_RESET: Duration = Duration::from_secs(1);
/// When a 429 did not say how long to wait.
const FALLBACK_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Upper bound on one wait for a response, as a guard against a lost
/// wake-up; the decision is simply re-evaluated after it.
const NOTIFY_GUARD: Duration = Duration::from_secs(5);
/// Slots of the rolling invalid-request window.
const INVALID_SLOTS: usize = 60;
/// Acquires between two checks whether idle state should be swept.
const SWEEP_EVERY: u32 = 1024;

/// A fast, non-cryptographic hasher for the limiter's maps (the rustc
/// "Fx" scheme): keys are route templates and Discord ids, hashed on every
/// request, so SipHash's flooding resistance is not worth its cost here.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

type Fx = std::hash::BuildHasherDefault<FxHasher>;

/// Settings of an [`InMemoryRatelimiter`]; see the builder methods.
#[derive(Clone)]
struct Config {
    global_limit: Option<u32>,
    global_window: Duration,
    global_margin: Duration,
    invalid_window: Duration,
    invalid_warn_at: u32,
    invalid_hard_stop: Option<u32>,
    idle_timeout: Duration,
    learned_timeout: Duration,
    hook: Option<RatelimitHook>,
}

/// The default [`Ratelimiter`]: per-bucket, global and invalid-request
/// limits kept in memory (dashmap + tokio), for one process.
///
/// Cheap to clone; clones share state. See the module docs of
/// [`crate::ratelimit`](super) for the protocol it follows.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use acord_core_http::{InMemoryRatelimiter, RatelimitEvent};
///
/// let limiter = InMemoryRatelimiter::builder()
///     .global_limit(500, Duration::from_secs(1)) // a large bot
///     .on_event(|event| {
///         if let RatelimitEvent::RateLimited { key, retry_after, .. } = event {
///             eprintln!("429 on {key}, waiting {retry_after:?}");
///         }
///     })
///     .build();
/// assert_eq!(limiter.bucket_count(), 0);
/// ```
#[derive(Clone)]
pub struct InMemoryRatelimiter {
    state: Arc<State>,
}

impl fmt::Debug for InMemoryRatelimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryRatelimiter")
            .field("buckets", &self.state.buckets.len())
            .field("global_limit", &self.state.config.global_limit)
            .field("global_window", &self.state.config.global_window)
            .field("invalid_requests", &self.invalid_request_count())
            .finish()
    }
}

impl Default for InMemoryRatelimiter {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds an [`InMemoryRatelimiter`].
#[derive(Clone)]
pub struct InMemoryRatelimiterBuilder {
    config: Config,
}

impl fmt::Debug for InMemoryRatelimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryRatelimiterBuilder")
            .field("global_limit", &self.config.global_limit)
            .field("global_window", &self.config.global_window)
            .finish_non_exhaustive()
    }
}

impl Default for InMemoryRatelimiterBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                global_limit: Some(GLOBAL_REQUESTS_PER_SECOND),
                global_window: Duration::from_secs(1),
                global_margin: Duration::from_millis(50),
                invalid_window: INVALID_REQUEST_WINDOW,
                invalid_warn_at: INVALID_REQUESTS_PER_WINDOW / 2,
                invalid_hard_stop: Some(INVALID_REQUESTS_PER_WINDOW / 10 * 9),
                idle_timeout: Duration::from_secs(300),
                learned_timeout: Duration::from_secs(3600),
                hook: None,
            },
        }
    }
}

impl InMemoryRatelimiterBuilder {
    /// The global limit: `limit` requests per `window` (default 50 per
    /// second; large bots get a higher limit from Discord). The window is
    /// sliding, so no server-side window alignment can see more than
    /// `limit`.
    #[must_use]
    pub fn global_limit(mut self, limit: u32, window: Duration) -> Self {
        self.config.global_limit = Some(limit.max(1));
        self.config.global_window = window;
        self.config.global_margin = window / 20;
        self
    }

    /// Extra time added to the global window to absorb network jitter
    /// (default: 1/20 of the window).
    #[must_use]
    pub fn global_margin(mut self, margin: Duration) -> Self {
        self.config.global_margin = margin;
        self
    }

    /// Turns the pre-emptive global limit off (a proxy in front of Discord
    /// enforces it). A global 429 still pauses every request.
    #[must_use]
    pub fn no_global_limit(mut self) -> Self {
        self.config.global_limit = None;
        self
    }

    /// Warns (tracing `warn` + [`RatelimitEvent::InvalidRequestWarning`])
    /// once this many invalid requests (401/403/429, not shared-scope) were
    /// counted in the rolling 10 minutes. Default 5,000 (half the ban
    /// threshold).
    #[must_use]
    pub fn invalid_request_warning(mut self, at: u32) -> Self {
        self.config.invalid_warn_at = at.max(1);
        self
    }

    /// Fails requests fast with [`AcquireError::InvalidRequestBudget`] once
    /// this many invalid requests were counted in the rolling window
    /// (`None`: never). Default 9,000, below the 10,000 ban threshold.
    #[must_use]
    pub fn invalid_request_hard_stop(mut self, at: Option<u32>) -> Self {
        self.config.invalid_hard_stop = at.map(|n| n.max(1));
        self
    }

    /// Length of the rolling invalid-request window (default 10 minutes,
    /// Discord's). Shorter values are for tests.
    #[must_use]
    pub fn invalid_request_window(mut self, window: Duration) -> Self {
        self.config.invalid_window = window.max(Duration::from_millis(INVALID_SLOTS as u64));
        self
    }

    /// Buckets unused for this long are forgotten (default 5 minutes), so
    /// the map does not grow without bound.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// The longest a learned sub-limit holds its resource (default 1 hour).
    ///
    /// A sub-limit is learned from a 429 that the bucket headers did not
    /// predict, and holds that one resource (method and full path) for the
    /// 429's `retry_after`, or for this long if that is shorter; then it is
    /// forgotten. Using the resource does not extend it; another such 429
    /// replaces it. A limit cut short is simply learned again from the next
    /// 429.
    #[must_use]
    pub fn learned_limit_timeout(mut self, timeout: Duration) -> Self {
        self.config.learned_timeout = timeout;
        self
    }

    /// Calls `hook` with every [`RatelimitEvent`] (waits, 429s, warnings).
    #[must_use]
    pub fn on_event(mut self, hook: impl Fn(&RatelimitEvent) + Send + Sync + 'static) -> Self {
        self.config.hook = Some(Arc::new(hook));
        self
    }

    /// Builds the limiter.
    pub fn build(self) -> InMemoryRatelimiter {
        let now = Instant::now();
        InMemoryRatelimiter {
            state: Arc::new(State {
                routes: DashMap::default(),
                buckets: DashMap::default(),
                learned: DashMap::default(),
                any_learned: AtomicBool::new(false),
                global: Mutex::new(Global {
                    log: VecDeque::new(),
                    paused_until: None,
                }),
                invalid: Mutex::new(InvalidWindow {
                    slots: [0; INVALID_SLOTS],
                    current: 0,
                    current_start: now,
                    total: 0,
                    warned: false,
                }),
                invalid_cached: AtomicU32::new(0),
                ops: AtomicU32::new(0),
                last_sweep: Mutex::new(now),
                config: self.config,
            }),
        }
    }
}

impl InMemoryRatelimiter {
    /// A limiter with the defaults: 50 requests per second global limit,
    /// invalid-request warning at 5,000 and hard stop at 9,000 per 10
    /// minutes.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts a builder.
    pub fn builder() -> InMemoryRatelimiterBuilder {
        InMemoryRatelimiterBuilder::default()
    }

    /// How many buckets are tracked right now.
    pub fn bucket_count(&self) -> usize {
        self.state.buckets.len()
    }

    /// Invalid requests (401/403/429, not shared-scope) counted in the
    /// rolling window.
    pub fn invalid_request_count(&self) -> u32 {
        let mut window = lock(&self.state.invalid);
        window.advance(Instant::now(), self.state.slot_len());
        window.total
    }
}

impl Ratelimiter for InMemoryRatelimiter {
    fn acquire<'a>(&'a self, key: &'a RouteKey) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
        Box::pin(acquire(Arc::clone(&self.state), key, None))
    }

    /// Refuses at once, with the wait, when the bucket, the global limit,
    /// a global pause or a learned sub-limit would hold the request past
    /// `max_wait` (the waits add up); a wait for a new bucket's first
    /// response is bounded by what is left of `max_wait`.
    fn acquire_within<'a>(
        &'a self,
        key: &'a RouteKey,
        max_wait: Duration,
    ) -> BoxFuture<'a, Result<Ticket, AcquireError>> {
        Box::pin(acquire(Arc::clone(&self.state), key, Some(max_wait)))
    }

    fn complete<'a>(
        &'a self,
        ticket: Ticket,
        info: Option<&'a RateLimitInfo>,
    ) -> BoxFuture<'a, ()> {
        if let Ok(mut ticket) = ticket.downcast::<MemTicket>() {
            ticket.done = true;
            self.state.complete(&ticket, info);
        }
        Box::pin(std::future::ready(()))
    }
}

/// Locks a mutex, recovering from poisoning: every critical section here
/// leaves the data consistent between statements, so a panic elsewhere
/// cannot leave it half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BucketId {
    name: Arc<str>,
    major: Arc<str>,
}

struct Bucket {
    /// `None` until a response tells the limit.
    limit: Option<u32>,
    remaining: u32,
    reset_at: Option<Instant>,
    in_flight: u32,
    /// Bumped when the window rolls over or a 429 resets it, so a cancelled
    /// request only gives back a slot of the window it took it from.
    epoch: u64,
    /// A response without rate-limit headers: the route has no bucket.
    unlimited: bool,
    /// The longest `reset_after` seen: an estimate of the window length.
    window: Duration,
    /// Set by a 429: nothing is sent before it.
    blocked_until: Option<Instant>,
    last_used: Instant,
    notify: Arc<Notify>,
}

impl Bucket {
    fn new(now: Instant) -> Self {
        Self {
            limit: None,
            remaining: 0,
            reset_at: None,
            in_flight: 0,
            epoch: 0,
            unlimited: false,
            window: Duration::ZERO,
            blocked_until: None,
            last_used: now,
            notify: Arc::new(Notify::new()),
        }
    }
}

/// A sub-limit learned from a 429: its resource is held until `until`.
struct Learned {
    until: Instant,
}

struct Global {
    log: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

struct InvalidWindow {
    slots: [u32; INVALID_SLOTS],
    current: usize,
    current_start: Instant,
    total: u32,
    warned: bool,
}

impl InvalidWindow {
    fn advance(&mut self, now: Instant, slot_len: Duration) {
        let elapsed = now.saturating_duration_since(self.current_start);
        let steps = (elapsed.as_nanos() / slot_len.as_nanos().max(1)) as u64;
        if steps == 0 {
            return;
        }
        for _ in 0..steps.min(INVALID_SLOTS as u64) {
            self.current = (self.current + 1) % INVALID_SLOTS;
            self.total = self.total.saturating_sub(self.slots[self.current]);
            self.slots[self.current] = 0;
        }
        let steps32 = u32::try_from(steps).unwrap_or(u32::MAX);
        self.current_start += slot_len.saturating_mul(steps32);
    }
}

struct State {
    routes: DashMap<Arc<str>, Arc<str>, Fx>,
    buckets: DashMap<BucketId, Bucket, Fx>,
    /// Keyed by [`RouteKey::resource`].
    learned: DashMap<Arc<str>, Learned, Fx>,
    /// Whether `learned` may hold entries (checking a DashMap for emptiness
    /// locks every shard).
    any_learned: AtomicBool,
    global: Mutex<Global>,
    invalid: Mutex<InvalidWindow>,
    /// A copy of the invalid total that is never below the real one, so the
    /// hard-stop check on the hot path is one atomic load.
    invalid_cached: AtomicU32,
    ops: AtomicU32,
    last_sweep: Mutex<Instant>,
    config: Config,
}

/// A slot taken in a bucket. Dropped before it is sent: the slot is given
/// back. Dropped after: only the in-flight mark is released (the request may
/// have reached Discord).
struct MemTicket {
    state: Arc<State>,
    key: RouteKey,
    bucket: BucketId,
    epoch: u64,
    sent: bool,
    done: bool,
}

impl Drop for MemTicket {
    fn drop(&mut self) {
        if !self.done {
            self.state.release(self, !self.sent);
        }
    }
}

enum Decision {
    Take(MemTicket),
    Wait {
        until: Option<Instant>,
        notified: Option<OwnedNotified>,
        reason: WaitReason,
        bucket: Option<Arc<str>>,
    },
}

async fn acquire(
    state: Arc<State>,
    key: &RouteKey,
    max_wait: Option<Duration>,
) -> Result<Ticket, AcquireError> {
    state.check_budget()?;
    state.maybe_sweep();
    // The latest moment the request may leave the limiter (`None`: no limit,
    // or one too far away to matter).
    let limit = max_wait.and_then(|max| Instant::now().checked_add(max));
    let too_long = |until: Option<Instant>, reason: WaitReason, bucket: Option<Arc<str>>| {
        let now = Instant::now();
        let wait = until.map(|u| u.saturating_duration_since(now));
        tracing::debug!(route = key.route(), major = key.major(), bucket = bucket.as_deref(), %reason, ?wait, ?max_wait, "rate limit wait longer than allowed; refused");
        AcquireError::WaitTooLong {
            wait,
            reason: Some(reason),
            bucket,
        }
    };
    let mut ticket = loop {
        match state.try_take(key, Instant::now()) {
            Decision::Take(ticket) => break ticket,
            Decision::Wait {
                until,
                notified,
                reason,
                bucket,
            } => {
                let now = Instant::now();
                // A known wait past the limit is refused before it starts; an
                // unknown one (a response still to come) once the limit is
                // reached.
                let refused = match (limit, until) {
                    (Some(limit), Some(until)) => until > limit,
                    (Some(limit), None) => now >= limit,
                    (None, _) => false,
                };
                if refused {
                    return Err(too_long(until, reason, bucket));
                }
                let wait = until.map(|u| u.saturating_duration_since(now));
                state.on_wait(key, bucket, reason, wait);
                match (until, notified) {
                    (Some(until), _) => tokio::time::sleep_until(until).await,
                    (None, Some(notified)) => {
                        let guard = now + NOTIFY_GUARD;
                        let _ = tokio::time::timeout_at(
                            limit.map_or(guard, |l| l.min(guard)),
                            notified,
                        )
                        .await;
                    }
                    (None, None) => {
                        let fallback = now + FALLBACK_RESET;
                        tokio::time::sleep_until(limit.map_or(fallback, |l| l.min(fallback))).await;
                    }
                }
            }
        }
    };
    loop {
        match state.try_global(key, Instant::now()) {
            Ok(()) => break,
            Err((until, reason)) => {
                if limit.is_some_and(|limit| until > limit) {
                    // Dropping the ticket gives its bucket slot back.
                    drop(ticket);
                    return Err(too_long(Some(until), reason, None));
                }
                let wait = until.saturating_duration_since(Instant::now());
                state.on_wait(key, None, reason, Some(wait));
                tokio::time::sleep_until(until).await;
            }
        }
    }
    ticket.sent = true;
    Ok(Ticket::new(ticket))
}

impl State {
    fn slot_len(&self) -> Duration {
        self.config.invalid_window / INVALID_SLOTS as u32
    }

    fn emit(&self, event: RatelimitEvent) {
        if let Some(hook) = &self.config.hook {
            hook(&event);
        }
    }

    fn on_wait(
        &self,
        key: &RouteKey,
        bucket: Option<Arc<str>>,
        reason: WaitReason,
        wait: Option<Duration>,
    ) {
        tracing::debug!(route = key.route(), major = key.major(), bucket = bucket.as_deref(), %reason, ?wait, "rate limit wait");
        if self.config.hook.is_some() {
            self.emit(RatelimitEvent::Wait {
                key: key.clone(),
                bucket,
                reason,
                wait,
            });
        }
    }

    fn check_budget(&self) -> Result<(), AcquireError> {
        let Some(limit) = self.config.invalid_hard_stop else {
            return Ok(());
        };
        if self.invalid_cached.load(Ordering::Relaxed) < limit {
            return Ok(());
        }
        let mut window = lock(&self.invalid);
        window.advance(Instant::now(), self.slot_len());
        self.invalid_cached.store(window.total, Ordering::Relaxed);
        if window.total >= limit {
            return Err(AcquireError::InvalidRequestBudget {
                count: window.total,
                limit,
            });
        }
        Ok(())
    }

    fn count_invalid(&self) {
        let mut window = lock(&self.invalid);
        window.advance(Instant::now(), self.slot_len());
        let current = window.current;
        window.slots[current] = window.slots[current].saturating_add(1);
        window.total = window.total.saturating_add(1);
        self.invalid_cached.store(window.total, Ordering::Relaxed);
        let total = window.total;
        let warn_at = self.config.invalid_warn_at;
        let warn = total >= warn_at && !window.warned;
        if warn {
            window.warned = true;
        } else if total < warn_at / 2 {
            window.warned = false;
        }
        drop(window);
        if warn {
            tracing::warn!(
                count = total,
                ban_threshold = INVALID_REQUESTS_PER_WINDOW,
                "many invalid requests (401/403/429) in the last 10 minutes: Discord bans the IP at 10,000; fix the failing requests"
            );
            self.emit(RatelimitEvent::InvalidRequestWarning {
                count: total,
                limit: INVALID_REQUESTS_PER_WINDOW,
            });
        }
    }

    fn resolve(&self, key: &RouteKey) -> BucketId {
        let name = self
            .routes
            .get(key.route_arc())
            .map_or_else(|| Arc::clone(key.route_arc()), |b| Arc::clone(b.value()));
        BucketId {
            name,
            major: Arc::clone(key.major_arc()),
        }
    }

    fn bucket_label(&self, id: &BucketId, key: &RouteKey) -> Option<Arc<str>> {
        (!Arc::ptr_eq(&id.name, key.route_arc())).then(|| Arc::clone(&id.name))
    }

    /// Whether a learned sub-limit holds the key's resource: `Err(until)`.
    /// An expired one is forgotten here.
    fn learned_check(&self, key: &RouteKey, now: Instant) -> Result<(), Instant> {
        if !self.any_learned.load(Ordering::Relaxed) {
            return Ok(());
        }
        let until = match self.learned.get(key.resource()) {
            Some(learned) => learned.until,
            None => return Ok(()),
        };
        if now < until {
            return Err(until);
        }
        self.learned
            .remove_if(key.resource(), |_, learned| learned.until <= now);
        Ok(())
    }

    fn try_take(self: &Arc<Self>, key: &RouteKey, now: Instant) -> Decision {
        match self.learned_check(key, now) {
            Ok(()) => {}
            Err(until) => {
                return Decision::Wait {
                    until: Some(until),
                    notified: None,
                    reason: WaitReason::LearnedLimit,
                    bucket: None,
                }
            }
        }
        let id = self.resolve(key);
        let label = self.bucket_label(&id, key);
        let mut b = self
            .buckets
            .entry(id.clone())
            .or_insert_with(|| Bucket::new(now));
        b.last_used = now;
        if b.reset_at.is_some_and(|reset| now >= reset) && b.in_flight == 0 {
            // A new window: every request of the last one has come back.
            if let Some(limit) = b.limit {
                b.remaining = limit;
            }
            b.reset_at = None;
            b.epoch += 1;
        }
        if b.blocked_until.is_some_and(|u| now >= u) {
            b.blocked_until = None;
        }
        let wait = if let Some(until) = b.blocked_until {
            Some((Some(until), WaitReason::BucketExhausted))
        } else if b.unlimited {
            None
        } else if b.remaining == 0 && b.reset_at.is_some() {
            let reset = b.reset_at.unwrap_or(now);
            Some(if now < reset {
                (Some(reset), WaitReason::BucketExhausted)
            } else {
                (None, WaitReason::BucketExhausted)
            })
        } else if b.limit.is_none() {
            (b.in_flight > 0).then_some((None, WaitReason::FreshBucket))
        } else if b.remaining > 0 {
            b.remaining -= 1;
            None
        } else if b.in_flight > 0 {
            // Exhausted, and a response still to come will say when it resets.
            Some((None, WaitReason::BucketExhausted))
        } else {
            // Exhausted, and the responses carried no reset (an error without
            // headers, or no response at all): assume the usual window.
            let reset = now + FALLBACK_RESET;
            b.reset_at = Some(reset);
            Some((Some(reset), WaitReason::BucketExhausted))
        };
        match wait {
            None => {
                b.in_flight += 1;
                let epoch = b.epoch;
                drop(b);
                Decision::Take(MemTicket {
                    state: Arc::clone(self),
                    key: key.clone(),
                    bucket: id,
                    epoch,
                    sent: false,
                    done: false,
                })
            }
            Some((until, reason)) => {
                // Registered while the entry is locked, so a response that
                // completes right after the lock is released still wakes us.
                let notified = until
                    .is_none()
                    .then(|| Arc::clone(&b.notify).notified_owned());
                drop(b);
                Decision::Wait {
                    until,
                    notified,
                    reason,
                    bucket: label,
                }
            }
        }
    }

    fn try_global(&self, key: &RouteKey, now: Instant) -> Result<(), (Instant, WaitReason)> {
        if key.is_global_exempt() {
            return Ok(());
        }
        let mut global = lock(&self.global);
        if let Some(until) = global.paused_until {
            if now < until {
                return Err((until, WaitReason::GlobalPause));
            }
            global.paused_until = None;
        }
        let Some(limit) = self.config.global_limit else {
            return Ok(());
        };
        let window = self.config.global_window + self.config.global_margin;
        while global.log.front().is_some_and(|&t| t + window <= now) {
            global.log.pop_front();
        }
        if global.log.len() < limit as usize {
            global.log.push_back(now);
            Ok(())
        } else {
            let oldest = global.log.front().copied().unwrap_or(now);
            Err((oldest + window, WaitReason::Global))
        }
    }

    /// A ticket dropped without `complete`.
    fn release(&self, ticket: &MemTicket, give_back: bool) {
        if let Some(mut b) = self.buckets.get_mut(&ticket.bucket) {
            b.in_flight = b.in_flight.saturating_sub(1);
            if give_back && b.epoch == ticket.epoch {
                if let Some(limit) = b.limit {
                    b.remaining = (b.remaining + 1).min(limit);
                }
            }
            b.notify.notify_waiters();
        }
    }

    fn complete(&self, ticket: &MemTicket, info: Option<&RateLimitInfo>) {
        let now = Instant::now();
        let Some(info) = info else {
            self.release(ticket, false);
            return;
        };
        let key = &ticket.key;
        let scope = info.scope.unwrap_or(RateLimitScope::User);
        let is_429 = info.status == 429;
        if is_invalid_request_status(info.status) && (!is_429 || scope.counts_as_invalid()) {
            self.count_invalid();
        }
        let retry_after = info.retry_after.unwrap_or(FALLBACK_RETRY_AFTER);
        if is_429 {
            tracing::debug!(route = key.route(), major = key.major(), bucket = info.bucket.as_deref(), %scope, ?retry_after, "429 received");
            match scope {
                // Not this bot's doing and says nothing about the bucket.
                RateLimitScope::Shared => {
                    self.release(ticket, false);
                    self.emit_429(key, info, scope, retry_after);
                    return;
                }
                RateLimitScope::Global => {
                    if !key.is_global_exempt() {
                        let mut global = lock(&self.global);
                        let until = now + retry_after;
                        global.paused_until =
                            Some(global.paused_until.map_or(until, |p| p.max(until)));
                    }
                    self.release(ticket, false);
                    self.emit_429(key, info, scope, retry_after);
                    return;
                }
                RateLimitScope::User => {}
            }
        }

        // Learn the bucket id. The route is mapped before the ticket is
        // released, so a request woken by the release finds the bucket.
        let target = match &info.bucket {
            Some(hash) => {
                let known = self
                    .routes
                    .get(key.route_arc())
                    .is_some_and(|b| **b.value() == **hash);
                if !known {
                    self.routes
                        .insert(Arc::clone(key.route_arc()), Arc::clone(hash));
                }
                BucketId {
                    name: Arc::clone(hash),
                    major: Arc::clone(key.major_arc()),
                }
            }
            None => ticket.bucket.clone(),
        };
        let own = target == ticket.bucket;

        let mut b = self
            .buckets
            .entry(target)
            .or_insert_with(|| Bucket::new(now));
        b.last_used = now;
        if own {
            // This ticket's in-flight mark, released together with the update.
            b.in_flight = b.in_flight.saturating_sub(1);
        }
        let has_headers =
            info.limit.is_some() || info.remaining.is_some() || info.reset_after.is_some();
        // Did the bucket promise room? The 429's own headers say best;
        // without them, our own count.
        let headers_say_room = info.remaining.is_some_and(|remaining| remaining > 0);
        let had_room = match info.remaining {
            Some(_) => headers_say_room,
            None => b.limit.is_some() && b.remaining > 0,
        };
        if has_headers {
            b.unlimited = false;
            let was_fresh = b.limit.is_none();
            if let Some(limit) = info.limit {
                b.limit = Some(limit.max(1));
            }
            // `now + reset_after` is never before the server's reset (the
            // server computed `reset_after` before we received it), so the
            // earliest estimate of a window is still safe, and the closest.
            let reset = info.reset_after.map(|after| {
                b.window = b.window.max(after);
                now + after
            });
            // A reset well past the one we track means this request opened
            // the server's next window: its `remaining` is the truth, less
            // what is still in flight. Otherwise it is the same window, and
            // our own count (which includes requests still in flight) can
            // only be lowered.
            let new_window = match (reset, b.reset_at) {
                (Some(reset), Some(current)) => reset > current + b.window / 2,
                _ => false,
            };
            if let Some(remaining) = info.remaining {
                b.remaining = if was_fresh || new_window {
                    remaining.saturating_sub(b.in_flight)
                } else {
                    b.remaining.min(remaining)
                };
            }
            if let Some(reset) = reset {
                b.reset_at = Some(match b.reset_at {
                    Some(current) if !new_window => current.min(reset),
                    _ => reset,
                });
                if new_window {
                    b.epoch += 1;
                }
            }
            if b.remaining == 0 && b.reset_at.is_none() {
                b.reset_at = Some(now + FALLBACK_RESET);
            }
        } else if (200..300).contains(&info.status) && b.limit.is_none() {
            b.unlimited = true;
        }
        if is_429 && !headers_say_room {
            // Nothing is sent on this bucket before `retry_after`, whatever
            // later responses say. (When the 429's own headers show room,
            // the bucket is not what ran out: only the resource is held,
            // below, so a route without a major parameter does not stop
            // for every guild.)
            let until = now + retry_after;
            b.remaining = 0;
            b.blocked_until = Some(b.blocked_until.map_or(until, |u| u.max(until)));
            b.reset_at = Some(b.reset_at.map_or(until, |r| r.max(until)));
            b.epoch += 1;
            b.unlimited = false;
        }
        b.notify.notify_waiters();
        drop(b);
        if !own {
            self.release(ticket, false);
        }

        if is_429 && had_room {
            // The headers promised room: an undocumented sub-limit (a
            // channel rename limit, a guild's daily command creates). Hold
            // this resource, and only it, for `retry_after`; then forget it.
            let held = retry_after.min(self.config.learned_timeout);
            tracing::debug!(route = key.route(), major = key.major(), resource = key.resource(), window = ?held, "learned a sub-limit from a 429");
            self.any_learned.store(true, Ordering::Relaxed);
            self.learned.insert(
                Arc::clone(key.resource_arc()),
                Learned { until: now + held },
            );
        }
        if is_429 {
            self.emit_429(key, info, scope, retry_after);
        }
    }

    /// Reports a 429, after the state it changes is in place.
    fn emit_429(
        &self,
        key: &RouteKey,
        info: &RateLimitInfo,
        scope: RateLimitScope,
        retry_after: Duration,
    ) {
        self.emit(RatelimitEvent::RateLimited {
            key: key.clone(),
            bucket: info.bucket.clone(),
            scope,
            retry_after,
        });
    }

    fn maybe_sweep(&self) {
        if self.ops.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != 0 {
            return;
        }
        let now = Instant::now();
        {
            let Ok(mut last) = self.last_sweep.try_lock() else {
                return;
            };
            if now.saturating_duration_since(*last) < self.config.idle_timeout / 4 {
                return;
            }
            *last = now;
        }
        self.sweep(now);
    }

    fn sweep(&self, now: Instant) {
        let idle = self.config.idle_timeout;
        let mut live: HashSet<Arc<str>> = HashSet::new();
        self.buckets.retain(|id, b| {
            let keep = b.in_flight > 0
                || b.reset_at.is_some_and(|r| r > now)
                || b.blocked_until.is_some_and(|u| u > now)
                || now.saturating_duration_since(b.last_used) < idle;
            if keep {
                live.insert(Arc::clone(&id.name));
            }
            keep
        });
        // A route -> bucket mapping whose bucket expired everywhere is
        // relearned on the next response (templates with literal values,
        // e.g. an emoji, would otherwise pile up).
        self.routes.retain(|_, bucket| live.contains(bucket));
        self.learned.retain(|_, l| l.until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{Method, Route};
    use std::sync::Mutex as StdMutex;

    fn key(channel: u64) -> RouteKey {
        Route::new(Method::Post, "/channels/{channel_id}/messages")
            .param("channel_id", channel)
            .ratelimit_key()
            .unwrap()
    }

    fn info(
        status: u16,
        limit: u32,
        remaining: u32,
        reset_after_ms: u64,
        bucket: &str,
    ) -> RateLimitInfo {
        RateLimitInfo {
            status,
            limit: Some(limit),
            remaining: Some(remaining),
            reset_after: Some(Duration::from_millis(reset_after_ms)),
            bucket: Some(bucket.into()),
            scope: None,
            retry_after: None,
        }
    }

    fn limited(scope: RateLimitScope, retry_ms: u64) -> RateLimitInfo {
        RateLimitInfo {
            status: 429,
            scope: Some(scope),
            retry_after: Some(Duration::from_millis(retry_ms)),
            ..RateLimitInfo::default()
        }
    }

    fn no_global() -> InMemoryRatelimiter {
        InMemoryRatelimiter::builder().no_global_limit().build()
    }

    /// Polls a future once: `Some` if it completed without waiting.
    fn now_or_never<F: std::future::Future>(f: F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_bucket_waits_for_reset() {
        let rl = no_global();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&info(200, 2, 1, 1000, "b"))).await;
        let start = Instant::now();
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::advance(Duration::from_millis(100)).await;
        rl.complete(t, Some(&info(200, 2, 0, 900, "b"))).await;
        // Exhausted: the next acquire waits the 0.9 s the headers said.
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        rl.complete(t, Some(&info(200, 2, 1, 1000, "b"))).await;
        // Another channel is a different bucket: no wait.
        let before = Instant::now();
        let t = rl.acquire(&key(2)).await.unwrap();
        assert_eq!(before.elapsed(), Duration::ZERO);
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn fresh_bucket_lets_one_probe_out() {
        let rl = no_global();
        let k = key(1);
        let probe = rl.acquire(&k).await.unwrap();
        // While the probe is out, a second request must wait.
        assert!(now_or_never(rl.acquire(&k)).is_none());
        let rl2 = rl.clone();
        let k2 = k.clone();
        let waiter = tokio::spawn(async move { rl2.acquire(&k2).await.map(|_t| Instant::now()) });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        let answered = Instant::now();
        rl.complete(probe, Some(&info(200, 5, 4, 1000, "b"))).await;
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got, answered);
    }

    #[tokio::test(start_paused = true)]
    async fn burst_never_exceeds_the_window() {
        // 12 concurrent requests on a 5 per second bucket: 5 per window.
        let rl = no_global();
        let sent = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let rl = rl.clone();
            let sent = Arc::clone(&sent);
            tasks.push(tokio::spawn(async move {
                let k = key(9);
                let t = rl.acquire(&k).await.unwrap();
                let at = Instant::now();
                sent.lock().unwrap().push(at);
                tokio::time::sleep(Duration::from_millis(10)).await;
                // A fake server's fixed window of 1 s starting at `t0`.
                rl.complete(t, Some(&info(200, 5, 0, 990, "b"))).await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let sent = sent.lock().unwrap().clone();
        let t0 = sent[0];
        for w in sent.windows(6) {
            assert!(
                w[5] - w[0] >= Duration::from_millis(1000),
                "{:?}",
                sent.iter().map(|t| *t - t0).collect::<Vec<_>>()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiter_and_probe_give_back() {
        let rl = no_global();
        let k = key(1);
        // A probe dropped without completing frees the bucket at once.
        let probe = rl.acquire(&k).await.unwrap();
        let waiting = tokio::spawn({
            let (rl, k) = (rl.clone(), k.clone());
            async move { rl.acquire(&k).await.map(|_| Instant::now()) }
        });
        tokio::task::yield_now().await;
        let dropped_at = Instant::now();
        drop(probe);
        assert_eq!(waiting.await.unwrap().unwrap(), dropped_at);

        // A waiter cancelled while it holds a bucket slot but waits on the
        // global limit gives the slot back.
        let rl = InMemoryRatelimiter::builder()
            .global_limit(1, Duration::from_secs(10))
            .global_margin(Duration::ZERO)
            .build();
        let a = key(5);
        let t = rl.acquire(&a).await.unwrap();
        rl.complete(t, Some(&info(200, 1, 1, 5000, "g"))).await;
        // Bucket has one slot left; the global limit (1 per 10 s) is spent.
        let held = tokio::time::timeout(Duration::from_millis(100), rl.acquire(&a)).await;
        assert!(held.is_err(), "must wait on the global limit");
        // The slot came back: with the global limit passed, it is available.
        tokio::time::advance(Duration::from_secs(10)).await;
        let t = rl.acquire(&a).await.unwrap();
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn global_limit_spreads_a_burst() {
        let rl = InMemoryRatelimiter::builder()
            .global_limit(3, Duration::from_secs(1))
            .global_margin(Duration::from_millis(10))
            .build();
        let start = Instant::now();
        let mut times = Vec::new();
        for channel in 0..7 {
            let t = rl.acquire(&key(channel)).await.unwrap();
            times.push(start.elapsed());
            rl.complete(t, Some(&info(200, 5, 4, 1000, "x"))).await;
        }
        let ms: Vec<u128> = times.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, vec![0, 0, 0, 1010, 1010, 1010, 2020]);
    }

    #[tokio::test(start_paused = true)]
    async fn global_429_pauses_everything_but_interactions() {
        let events = Arc::new(StdMutex::new(Vec::new()));
        let ev = Arc::clone(&events);
        let rl = InMemoryRatelimiter::builder()
            .no_global_limit()
            .on_event(move |e| ev.lock().unwrap().push(format!("{e:?}")))
            .build();
        let t = rl.acquire(&key(1)).await.unwrap();
        rl.complete(t, Some(&limited(RateLimitScope::Global, 1500)))
            .await;
        let start = Instant::now();
        // Interaction callbacks are not bound by the global limit.
        let callback = Route::new(
            Method::Post,
            "/interactions/{id}/{interaction_token}/callback",
        )
        .param("id", 1)
        .param("interaction_token", "t")
        .ratelimit_key()
        .unwrap();
        let t = rl.acquire(&callback).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        drop(t);
        // Everything else waits out the pause, on any bucket.
        let t = rl.acquire(&key(2)).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        drop(t);
        let events = events.lock().unwrap();
        assert!(events
            .iter()
            .any(|e| e.contains("RateLimited") && e.contains("Global")));
        assert!(events.iter().any(|e| e.contains("GlobalPause")));
    }

    #[tokio::test(start_paused = true)]
    async fn interaction_lane_skips_the_global_queue() {
        let rl = InMemoryRatelimiter::builder()
            .global_limit(1, Duration::from_secs(60))
            .build();
        let t = rl.acquire(&key(1)).await.unwrap();
        drop(t);
        let followup = Route::new(
            Method::Post,
            "/webhooks/{application_id}/{interaction_token}",
        )
        .param("application_id", 7)
        .param("interaction_token", "tok")
        .ratelimit_key()
        .unwrap();
        for _ in 0..3 {
            let t = now_or_never(rl.acquire(&followup))
                .expect("not queued")
                .unwrap();
            rl.complete(t, Some(&info(200, 5, 4, 1000, "w"))).await;
        }
        assert!(now_or_never(rl.acquire(&key(2))).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn user_429_blocks_bucket_shared_does_not() {
        let rl = no_global();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&info(200, 5, 4, 1000, "b"))).await;
        // Shared: other requests on the bucket go on at once.
        let t = rl.acquire(&k).await.unwrap();
        let mut shared = limited(RateLimitScope::Shared, 3000);
        shared.remaining = Some(3);
        rl.complete(t, Some(&shared)).await;
        let start = Instant::now();
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(
            rl.invalid_request_count(),
            0,
            "shared 429s are not invalid requests"
        );
        // User: the bucket waits retry_after.
        let mut user = limited(RateLimitScope::User, 2500);
        user.remaining = Some(0);
        user.bucket = Some("b".into());
        rl.complete(t, Some(&user)).await;
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        assert_eq!(rl.invalid_request_count(), 1);
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_server_waits_do_not_panic() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let rl = no_global();
        let k = key(1);
        let mut map = HeaderMap::new();
        map.insert("x-ratelimit-limit", HeaderValue::from_static("1"));
        map.insert("x-ratelimit-remaining", HeaderValue::from_static("1"));
        map.insert("x-ratelimit-reset-after", HeaderValue::from_static("1e19"));
        map.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        let huge = RateLimitInfo::from_headers(429, &map).with_body(br#"{"retry_after":1e19}"#);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&huge)).await;
        let mut user = RateLimitInfo::from_headers(429, &map).with_body(br#"{"retry_after":1e19}"#);
        user.scope = Some(RateLimitScope::User);
        // Waits out the global pause (a capped week).
        let t = rl.acquire(&k).await.unwrap();
        // The headers show room: a learned sub-limit, held for the
        // learned-limit timeout (an hour).
        rl.complete(t, Some(&user)).await;
        let blocked = tokio::time::timeout(Duration::from_secs(3000), rl.acquire(&k)).await;
        assert!(blocked.is_err());
        tokio::time::advance(Duration::from_secs(600)).await;
        // No room: the bucket is blocked (for a capped week).
        let t = rl.acquire(&k).await.unwrap();
        user.remaining = Some(0);
        rl.complete(t, Some(&user)).await;
        let blocked = tokio::time::timeout(Duration::from_secs(6 * 86_400), rl.acquire(&k)).await;
        assert!(blocked.is_err());
        // Nothing overflowed, and the waits are reported, not slept, when
        // the caller cannot wait.
        let refused = rl.acquire_within(&k, Duration::from_secs(1)).await;
        assert!(matches!(
            refused,
            Err(AcquireError::WaitTooLong { wait: Some(_), .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn learned_sub_limit_holds_the_resource_for_its_window() {
        let rl = no_global();
        let rename = Route::new(Method::Patch, "/channels/{channel_id}")
            .param("channel_id", 3)
            .ratelimit_key()
            .unwrap();
        let t = rl.acquire(&rename).await.unwrap();
        rl.complete(t, Some(&info(200, 10, 9, 1000, "p"))).await;
        // Headers say 8 left, yet Discord answers 429 for 30 s.
        let t = rl.acquire(&rename).await.unwrap();
        let mut sub = limited(RateLimitScope::User, 30_000);
        sub.remaining = Some(8);
        rl.complete(t, Some(&sub)).await;
        let start = Instant::now();
        // Every request to the resource waits it out instead of collecting
        // a 429, although the bucket has room...
        let mut waiting = Vec::new();
        for _ in 0..2 {
            let (rl, k) = (rl.clone(), rename.clone());
            waiting.push(tokio::spawn(async move {
                rl.acquire(&k).await.map(|_t| Instant::now())
            }));
        }
        // ...and is refused at once when it may not wait that long.
        match rl.acquire_within(&rename, Duration::from_secs(1)).await {
            Err(AcquireError::WaitTooLong { wait, reason, .. }) => {
                assert_eq!(wait, Some(Duration::from_secs(30)));
                assert_eq!(reason, Some(WaitReason::LearnedLimit));
            }
            other => panic!("{other:?}"),
        }
        for task in waiting {
            assert_eq!(
                task.await.unwrap().unwrap() - start,
                Duration::from_secs(30)
            );
        }
        // Another channel is not affected.
        let other = Route::new(Method::Patch, "/channels/{channel_id}")
            .param("channel_id", 4)
            .ratelimit_key()
            .unwrap();
        assert!(now_or_never(rl.acquire(&other)).is_some());
    }

    fn guild_commands(guild: u64) -> RouteKey {
        Route::new(
            Method::Post,
            "/applications/{application_id}/guilds/{guild_id}/commands",
        )
        .param("application_id", 77)
        .param("guild_id", guild)
        .ratelimit_key()
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn one_guilds_learned_cap_does_not_throttle_other_guilds() {
        // `/applications/...` has no major parameter: every guild's command
        // creates share one bucket, but Discord's daily cap is per guild.
        let rl = no_global();
        let t = rl.acquire(&guild_commands(1)).await.unwrap();
        rl.complete(t, Some(&info(200, 50, 49, 20_000, "cmd")))
            .await;
        // Guild 1 hits its daily cap: a 429 although the bucket has room.
        let t = rl.acquire(&guild_commands(1)).await.unwrap();
        let mut cap = limited(RateLimitScope::User, 5 * 3600 * 1000);
        cap.remaining = Some(48);
        cap.limit = Some(50);
        cap.reset_after = Some(Duration::from_secs(20));
        cap.bucket = Some("cmd".into());
        rl.complete(t, Some(&cap)).await;
        // Other guilds go on at once.
        for guild in 2..5 {
            let t = now_or_never(rl.acquire(&guild_commands(guild)))
                .expect("another guild waited on guild 1's learned cap")
                .unwrap();
            rl.complete(t, Some(&info(200, 50, 47, 20_000, "cmd")))
                .await;
        }
        // Guild 1 itself waits for its cap.
        assert!(now_or_never(rl.acquire(&guild_commands(1))).is_none());
        // A shared-scope 429 on one guild does not hold the others either.
        let t = rl.acquire(&guild_commands(5)).await.unwrap();
        let mut shared = limited(RateLimitScope::Shared, 3600 * 1000);
        shared.remaining = Some(40);
        rl.complete(t, Some(&shared)).await;
        assert!(now_or_never(rl.acquire(&guild_commands(6))).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn learned_limits_expire_after_their_window() {
        let rl = no_global();
        let rename = Route::new(Method::Patch, "/channels/{channel_id}")
            .param("channel_id", 3)
            .ratelimit_key()
            .unwrap();
        let t = rl.acquire(&rename).await.unwrap();
        rl.complete(t, Some(&info(200, 10, 9, 1000, "p"))).await;
        let start = Instant::now();
        let sub = |ms| {
            let mut sub = limited(RateLimitScope::User, ms);
            sub.remaining = Some(8);
            sub
        };
        let t = rl.acquire(&rename).await.unwrap();
        rl.complete(t, Some(&sub(30_000))).await;
        // Used during its window (after the wait): that does not extend it.
        tokio::time::advance(Duration::from_secs(10)).await;
        let t = rl.acquire(&rename).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        rl.complete(t, Some(&info(200, 10, 9, 1000, "p"))).await;
        // Not hit again for its window: forgotten, requests flow.
        let t = now_or_never(rl.acquire(&rename))
            .expect("an expired learned limit still held the route")
            .unwrap();
        rl.complete(t, Some(&info(200, 10, 8, 1000, "p"))).await;
        // A new, shorter 429 is learned as it is: a window never only grows.
        let t = rl.acquire(&rename).await.unwrap();
        rl.complete(t, Some(&sub(5_000))).await;
        let hit = Instant::now();
        let t = rl.acquire(&rename).await.unwrap();
        assert_eq!(hit.elapsed(), Duration::from_secs(5));
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_within_refuses_known_waits_at_once_and_keeps_nothing() {
        let rl = InMemoryRatelimiter::builder()
            .global_limit(1, Duration::from_secs(10))
            .global_margin(Duration::ZERO)
            .build();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&info(200, 2, 0, 300_000, "b"))).await;
        // The bucket is spent for five minutes.
        let start = Instant::now();
        match rl.acquire_within(&k, Duration::from_secs(1)).await {
            Err(AcquireError::WaitTooLong {
                wait,
                reason,
                bucket,
            }) => {
                assert_eq!(wait, Some(Duration::from_secs(300)));
                assert_eq!(reason, Some(WaitReason::BucketExhausted));
                assert_eq!(bucket.as_deref(), Some("b"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        // A wait within the limit is waited.
        let t = rl
            .acquire_within(&k, Duration::from_secs(301))
            .await
            .unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(300));
        rl.complete(t, Some(&info(200, 2, 1, 1000, "b"))).await;
        // The global limit (1 per 10 s) counts too: refused, and the bucket
        // slot it had taken is given back.
        match rl.acquire_within(&k, Duration::from_secs(5)).await {
            Err(AcquireError::WaitTooLong { wait, reason, .. }) => {
                assert_eq!(wait, Some(Duration::from_secs(10)));
                assert_eq!(reason, Some(WaitReason::Global));
            }
            other => panic!("{other:?}"),
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(now_or_never(rl.acquire(&k)).is_some(), "the slot was kept");
        // A wait of unknown length (the probe of a new bucket is out) is
        // bounded by the limit.
        let fresh = key(2);
        let probe = rl.acquire(&fresh).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        let start = Instant::now();
        let refused = rl.acquire_within(&fresh, Duration::from_millis(700)).await;
        assert!(matches!(
            refused,
            Err(AcquireError::WaitTooLong {
                wait: None,
                reason: Some(WaitReason::FreshBucket),
                ..
            })
        ));
        assert_eq!(start.elapsed(), Duration::from_millis(700));
        drop(probe);
    }

    #[tokio::test(start_paused = true)]
    async fn routes_learn_shared_bucket_ids() {
        let rl = no_global();
        let a = Route::new(Method::Get, "/channels/{channel_id}/messages")
            .param("channel_id", 1)
            .ratelimit_key()
            .unwrap();
        let b = Route::new(Method::Get, "/channels/{channel_id}/pins")
            .param("channel_id", 1)
            .ratelimit_key()
            .unwrap();
        let t = rl.acquire(&a).await.unwrap();
        rl.complete(t, Some(&info(200, 2, 1, 1000, "shared"))).await;
        let t = rl.acquire(&b).await.unwrap();
        rl.complete(t, Some(&info(200, 2, 0, 1000, "shared"))).await;
        // Both routes now map to bucket "shared", which is exhausted.
        let start = Instant::now();
        let t = rl.acquire(&a).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn invalid_request_budget_warns_then_stops() {
        let warned = Arc::new(AtomicU32::new(0));
        let w = Arc::clone(&warned);
        let rl = InMemoryRatelimiter::builder()
            .no_global_limit()
            .invalid_request_warning(3)
            .invalid_request_hard_stop(Some(5))
            .on_event(move |e| {
                if matches!(e, RatelimitEvent::InvalidRequestWarning { .. }) {
                    w.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build();
        let k = key(1);
        let unauthorized = RateLimitInfo {
            status: 401,
            ..RateLimitInfo::default()
        };
        for _ in 0..5 {
            let t = rl.acquire(&k).await.unwrap();
            rl.complete(t, Some(&unauthorized)).await;
        }
        assert_eq!(warned.load(Ordering::SeqCst), 1);
        assert_eq!(
            rl.acquire(&k).await.unwrap_err(),
            AcquireError::InvalidRequestBudget { count: 5, limit: 5 }
        );
        // The window rolls: ten minutes later requests flow again.
        tokio::time::advance(INVALID_REQUEST_WINDOW).await;
        assert!(rl.acquire(&k).await.is_ok());
        assert_eq!(rl.invalid_request_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_buckets_expire() {
        let rl = InMemoryRatelimiter::builder()
            .no_global_limit()
            .idle_timeout(Duration::from_secs(60))
            .build();
        for channel in 0..2000 {
            let t = rl.acquire(&key(channel)).await.unwrap();
            rl.complete(t, Some(&info(200, 5, 4, 1000, "b"))).await;
        }
        // Templates with literal values (invite codes): one mapping each.
        for code in 0..50 {
            let k = Route::new(Method::Get, format!("/invites/code{code}"))
                .ratelimit_key()
                .unwrap();
            let t = rl.acquire(&k).await.unwrap();
            rl.complete(t, Some(&info(200, 1, 1, 250, &format!("r{code}"))))
                .await;
        }
        assert!(rl.bucket_count() >= 2000);
        assert_eq!(rl.state.routes.len(), 51);
        tokio::time::advance(Duration::from_secs(120)).await;
        // Sweeps run as a side effect of later traffic.
        for _ in 0..SWEEP_EVERY {
            let t = rl.acquire(&key(1)).await.unwrap();
            rl.complete(t, Some(&info(200, 5_000, 4_000, 1000, "b")))
                .await;
        }
        assert!(rl.bucket_count() < 10, "{}", rl.bucket_count());
        // Only the route still in use keeps its learned bucket id.
        assert_eq!(rl.state.routes.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn learned_sub_limits_expire_too() {
        let rl = InMemoryRatelimiter::builder()
            .no_global_limit()
            .idle_timeout(Duration::from_secs(60))
            .learned_limit_timeout(Duration::from_secs(60))
            .build();
        for channel in 0..100 {
            let k = key(channel);
            let t = rl.acquire(&k).await.unwrap();
            // Headers promised room, yet a 429: a learned sub-limit.
            let mut sub = limited(RateLimitScope::User, 10);
            sub.remaining = Some(3);
            rl.complete(t, Some(&sub)).await;
        }
        assert_eq!(rl.state.learned.len(), 100);
        tokio::time::advance(Duration::from_secs(120)).await;
        for _ in 0..SWEEP_EVERY {
            let t = rl.acquire(&key(1_000)).await.unwrap();
            rl.complete(t, Some(&info(200, 5_000, 4_000, 1000, "b")))
                .await;
        }
        assert_eq!(rl.state.learned.len(), 0);
        assert!(rl.bucket_count() < 10, "{}", rl.bucket_count());
    }

    #[tokio::test(start_paused = true)]
    async fn waits_are_observable() {
        let events = Arc::new(StdMutex::new(Vec::new()));
        let ev = Arc::clone(&events);
        let rl = InMemoryRatelimiter::builder()
            .no_global_limit()
            .on_event(move |e| ev.lock().unwrap().push(e.clone()))
            .build();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&info(200, 1, 0, 700, "obs"))).await;
        let t = rl.acquire(&k).await.unwrap();
        drop(t);
        let events = events.lock().unwrap();
        match &events[..] {
            [RatelimitEvent::Wait {
                key,
                bucket,
                reason,
                wait,
            }] => {
                assert_eq!(key.major(), "channel:1");
                assert_eq!(bucket.as_deref(), Some("obs"));
                assert_eq!(*reason, WaitReason::BucketExhausted);
                assert_eq!(*wait, Some(Duration::from_millis(700)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transport_failure_releases_the_probe() {
        let rl = no_global();
        let k = key(1);
        let probe = rl.acquire(&k).await.unwrap();
        assert!(now_or_never(rl.acquire(&k)).is_none());
        rl.complete(probe, None).await;
        assert!(now_or_never(rl.acquire(&k)).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_restarts_only_when_its_requests_are_back() {
        let rl = no_global();
        let k = key(1);
        let start = Instant::now();
        let probe = rl.acquire(&k).await.unwrap();
        rl.complete(probe, Some(&info(200, 2, 1, 1000, "w"))).await;
        let slow = rl.acquire(&k).await.unwrap();
        // The reset passes while `slow` is still out: it may have opened the
        // server's next window, so nothing new is sent until it is back.
        tokio::time::advance(Duration::from_millis(1000)).await;
        let rl2 = rl.clone();
        let k2 = k.clone();
        let next = tokio::spawn(async move { rl2.acquire(&k2).await.map(|_t| Instant::now()) });
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(!next.is_finished());
        // It did open a new window (remaining 1 of 2, 900 ms left).
        rl.complete(slow, Some(&info(200, 2, 1, 900, "w"))).await;
        // One slot was left in that window: no more wait.
        assert_eq!(
            next.await.unwrap().unwrap() - start,
            Duration::from_millis(1100)
        );
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_millis(2000));
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_without_a_reset_never_stalls() {
        let rl = no_global();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(t, Some(&info(200, 1, 0, 100, "n"))).await;
        tokio::time::advance(Duration::from_millis(100)).await;
        // A new window: its only slot goes out, and the answer is an error
        // without rate-limit headers, so nothing says when it resets.
        let t = rl.acquire(&k).await.unwrap();
        let errored = RateLimitInfo {
            status: 502,
            ..RateLimitInfo::default()
        };
        rl.complete(t, Some(&errored)).await;
        let start = Instant::now();
        let t = rl.acquire(&k).await.unwrap();
        assert_eq!(start.elapsed(), FALLBACK_RESET);
        drop(t);
    }

    #[tokio::test(start_paused = true)]
    async fn routes_without_limits_are_not_serialised() {
        let rl = no_global();
        let k = key(1);
        let t = rl.acquire(&k).await.unwrap();
        rl.complete(
            t,
            Some(&RateLimitInfo {
                status: 200,
                ..RateLimitInfo::default()
            }),
        )
        .await;
        let a = now_or_never(rl.acquire(&k)).unwrap().unwrap();
        let b = now_or_never(rl.acquire(&k)).unwrap().unwrap();
        drop((a, b));
    }
}
