//! What the fake saw: REST requests, gateway payloads and counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

/// One REST request the fake received, with the status it answered.
///
/// Its `Debug` output shows the `Authorization` header as `<redacted>`;
/// the field itself holds the header as received.
#[derive(Clone)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// The path without the query string, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The request body as received.
    pub body: Bytes,
    /// The status the fake answered with.
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", &self.body)
            .field("status", &self.status)
            .field("at", &self.at)
            .finish()
    }
}

impl RecordedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Which recorded REST requests to look at: a method, a path pattern and a
/// starting point in the log. Used by
/// [`FakeDiscord::wait_for_request_matching`](crate::FakeDiscord::wait_for_request_matching),
/// [`FakeDiscord::requests_matching`](crate::FakeDiscord::requests_matching)
/// and the control API's `/__testkit/requests`.
///
/// ```
/// use acord_testkit::RequestFilter;
/// let filter = RequestFilter::new()
///     .method("POST")
///     .path("/channels/*/messages")
///     .since(3);
/// # let _ = filter;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    method: Option<String>,
    path: Option<String>,
    since: usize,
}

impl RequestFilter {
    /// Every request.
    pub fn new() -> RequestFilter {
        RequestFilter::default()
    }

    /// Only requests with this method (compared case-insensitively).
    pub fn method(mut self, method: impl Into<String>) -> RequestFilter {
        self.method = Some(method.into());
        self
    }

    /// Only requests whose path matches `pattern`, where `*` stands for any
    /// text within one path segment. A pattern starting with `/api/` is
    /// matched against the whole path (`/api/v10/channels/1/messages`);
    /// any other against the path after the version
    /// (`/channels/*/messages`).
    pub fn path(mut self, pattern: impl Into<String>) -> RequestFilter {
        self.path = Some(pattern.into());
        self
    }

    /// Only requests at this position of the log or later (the first
    /// request is 0; `requests().len()` skips everything so far).
    pub fn since(mut self, index: usize) -> RequestFilter {
        self.since = index;
        self
    }

    /// Whether a request (at any position) passes the method and path
    /// tests.
    pub fn matches(&self, request: &RecordedRequest) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&request.method));
        let path_ok = self.path.as_deref().is_none_or(|pattern| {
            if pattern.starts_with("/api/") {
                glob_matches(pattern, &request.path)
            } else {
                glob_matches(pattern, route_part(&request.path))
            }
        });
        method_ok && path_ok
    }
}

/// The path after `/api/v{N}` (the whole path when it has no version).
fn route_part(path: &str) -> &str {
    path.strip_prefix("/api/v")
        .and_then(|rest| rest.find('/').map(|slash| &rest[slash..]))
        .unwrap_or(path)
}

/// `*` matches any run of characters other than `/`; everything else
/// matches itself.
fn glob_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            let segment_end = rest.find('/').unwrap_or(rest.len());
            (0..=segment_end).any(|skip| glob_matches(tail, &rest[skip..]))
        }
    }
}

/// One gateway payload the fake received from a client.
///
/// Its `Debug` output shows the `d.token` of an IDENTIFY or RESUME as
/// `<redacted>`; the `json` field itself is the payload as received.
#[derive(Clone)]
pub struct GatewayPayloadRecord {
    /// The connection it arrived on (counts up from 1 per fake).
    pub connection: u64,
    /// `[shard_id, shard_count]` of the connection once it identified or
    /// resumed; an IDENTIFY itself carries the shard it asked for.
    pub shard: Option<[u32; 2]>,
    /// The payload's opcode (255 when it had none or was not JSON).
    pub op: u8,
    /// The payload text as received.
    pub json: String,
    /// When it arrived.
    pub at: Instant,
}

impl std::fmt::Debug for GatewayPayloadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = serde_json::from_str::<serde_json::Value>(&self.json)
            .ok()
            .and_then(|mut payload| {
                let token = payload.get_mut("d")?.get_mut("token")?;
                *token = serde_json::Value::from("<redacted>");
                Some(payload.to_string())
            });
        f.debug_struct("GatewayPayloadRecord")
            .field("connection", &self.connection)
            .field("shard", &self.shard)
            .field("op", &self.op)
            .field("json", redacted.as_ref().unwrap_or(&self.json))
            .field("at", &self.at)
            .finish()
    }
}

/// A snapshot of the fake's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// REST requests received.
    pub rest_requests: u64,
    /// 429 responses sent.
    pub rate_limited: u64,
    /// 401/403/429 responses, except shared-scope 429s, in the last 10 minutes.
    pub invalid_requests: u64,
    /// 401 responses sent.
    pub unauthorized: u64,
    /// Requests whose User-Agent did not start with `DiscordBot` (the
    /// documented form is `DiscordBot ($url, $version)`).
    pub user_agent_violations: u64,
    /// Gateway connections accepted.
    pub gateway_connections: u64,
    /// IDENTIFY payloads received.
    pub identifies: u64,
    /// RESUME payloads received (attempts, successful or not).
    pub resumes: u64,
    /// IDENTIFYs that broke the `shard_id % max_concurrency` window.
    pub identify_concurrency_violations: u64,
    /// Heartbeats received.
    pub heartbeats_received: u64,
    /// Op 9 payloads sent.
    pub invalid_sessions_sent: u64,
}

/// Live counters, updated by the servers.
#[derive(Debug, Default)]
pub(crate) struct CounterSet {
    pub rest_requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub unauthorized: AtomicU64,
    pub user_agent_violations: AtomicU64,
    pub gateway_connections: AtomicU64,
    pub identifies: AtomicU64,
    pub resumes: AtomicU64,
    pub identify_concurrency_violations: AtomicU64,
    pub heartbeats_received: AtomicU64,
    pub invalid_sessions_sent: AtomicU64,
}

impl CounterSet {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        for counter in [
            &self.rest_requests,
            &self.rate_limited,
            &self.unauthorized,
            &self.user_agent_violations,
            &self.gateway_connections,
            &self.identifies,
            &self.resumes,
            &self.identify_concurrency_violations,
            &self.heartbeats_received,
            &self.invalid_sessions_sent,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self, invalid_requests: u64) -> Counters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            rest_requests: get(&self.rest_requests),
            rate_limited: get(&self.rate_limited),
            invalid_requests,
            unauthorized: get(&self.unauthorized),
            user_agent_violations: get(&self.user_agent_violations),
            gateway_connections: get(&self.gateway_connections),
            identifies: get(&self.identifies),
            resumes: get(&self.resumes),
            identify_concurrency_violations: get(&self.identify_concurrency_violations),
            heartbeats_received: get(&self.heartbeats_received),
            invalid_sessions_sent: get(&self.invalid_sessions_sent),
        }
    }
}

/// A close frame a client sent (or `1005` when its close frame had no
/// code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientCloseRecord {
    /// The connection it closed (counts up from 1 per fake).
    pub connection: u64,
    /// `[shard_id, shard_count]` of the connection, once it identified or
    /// resumed.
    pub shard: Option<[u32; 2]>,
    /// The close code the client sent.
    pub code: u16,
}

/// Append-only logs with a [`Notify`] so tests can wait for an entry.
#[derive(Debug, Default)]
pub(crate) struct Log {
    requests: Mutex<Vec<RecordedRequest>>,
    payloads: Mutex<Vec<GatewayPayloadRecord>>,
    closes: Mutex<Vec<ClientCloseRecord>>,
    invalid: Mutex<Vec<Instant>>,
    pub changed: Notify,
}

impl Log {
    pub fn push_request(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
        self.changed.notify_waiters();
    }

    pub fn push_payload(&self, payload: GatewayPayloadRecord) {
        lock(&self.payloads).push(payload);
        self.changed.notify_waiters();
    }

    pub fn push_close(&self, close: ClientCloseRecord) {
        lock(&self.closes).push(close);
        self.changed.notify_waiters();
    }

    pub fn closes(&self) -> Vec<ClientCloseRecord> {
        lock(&self.closes).clone()
    }

    /// Forgets the invalid requests counted so far.
    pub fn clear_invalid(&self) {
        lock(&self.invalid).clear();
    }

    /// The first request at position `since` or later that passes
    /// `filter`, with its position.
    pub fn find_request_matching(
        &self,
        filter: &RequestFilter,
    ) -> Option<(usize, RecordedRequest)> {
        let requests = lock(&self.requests);
        requests
            .iter()
            .enumerate()
            .skip(filter.since)
            .find(|(_, r)| filter.matches(r))
            .map(|(index, r)| (index, r.clone()))
    }

    /// Every request at position `since` or later that passes `filter`,
    /// with its position, and the log's length.
    pub fn requests_matching(
        &self,
        filter: &RequestFilter,
    ) -> (Vec<(usize, RecordedRequest)>, usize) {
        let requests = lock(&self.requests);
        let found = requests
            .iter()
            .enumerate()
            .skip(filter.since)
            .filter(|(_, r)| filter.matches(r))
            .map(|(index, r)| (index, r.clone()))
            .collect();
        (found, requests.len())
    }

    /// Records an invalid request (401/403/non-shared 429) at `at`.
    pub fn push_invalid(&self, at: Instant) {
        lock(&self.invalid).push(at);
    }

    /// Invalid requests within the last 10 minutes; older ones are dropped.
    pub fn invalid_in_window(&self, now: Instant) -> u64 {
        let window = acord_core_signals::limits::INVALID_REQUEST_WINDOW;
        let mut invalid = lock(&self.invalid);
        invalid.retain(|at| now.saturating_duration_since(*at) < window);
        invalid.len() as u64
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub fn payloads(&self) -> Vec<GatewayPayloadRecord> {
        lock(&self.payloads).clone()
    }

    pub fn find_request(
        &self,
        pred: &mut impl FnMut(&RecordedRequest) -> bool,
    ) -> Option<RecordedRequest> {
        lock(&self.requests).iter().find(|r| pred(r)).cloned()
    }

    pub fn find_payload(
        &self,
        pred: &mut impl FnMut(&GatewayPayloadRecord) -> bool,
    ) -> Option<GatewayPayloadRecord> {
        lock(&self.payloads).iter().find(|p| pred(p)).cloned()
    }
}

/// Locks a std mutex, recovering the data if a panicking thread poisoned it
/// (the logs stay usable after a failed assertion elsewhere).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path: path.into(),
            query: None,
            headers: Vec::new(),
            body: Bytes::new(),
            status: 200,
            at: Instant::now(),
        }
    }

    #[test]
    fn filters_match_method_and_path_patterns() {
        let post = request("POST", "/api/v10/channels/123/messages");
        let any = RequestFilter::new();
        assert!(any.matches(&post));
        assert!(RequestFilter::new().method("post").matches(&post));
        assert!(!RequestFilter::new().method("GET").matches(&post));
        for pattern in [
            "/channels/*/messages",
            "/channels/123/messages",
            "/channels/1*/messages",
            "/api/v10/channels/*/messages",
            "/api/*/channels/*/messages",
        ] {
            assert!(
                RequestFilter::new().path(pattern).matches(&post),
                "{pattern}"
            );
        }
        for pattern in [
            "/channels/*",
            "/channels/*/messages/*",
            "/*/messages",
            "/channels/4*/messages",
        ] {
            assert!(
                !RequestFilter::new().path(pattern).matches(&post),
                "{pattern}"
            );
        }
        assert_eq!(route_part("/api/v9/users/@me"), "/users/@me");
        assert_eq!(route_part("/attachments/1/a.png"), "/attachments/1/a.png");
    }
}
