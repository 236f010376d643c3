//! [`RequestBuilder`] (body, query, files, headers) and [`Response`]; the
//! send loop with rate limiting, retries and tracing.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use acord_core_signals::{headers, limits, RateLimitScope};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use tracing::Instrument;

use crate::client::{jitter01, HttpClient};
use crate::error::{ApiError, HttpError, RouteLabel};
use crate::ratelimit::{AcquireError, RateLimitInfo, WaitReason};
use crate::route::{build_url, Route, RouteKey};
use crate::token::TokenHeader as _;

/// `X-Audit-Log-Reason` is URL-encoded: everything but unreserved characters.
const REASON: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Clone)]
enum Body {
    Empty,
    Raw {
        data: Bytes,
        content_type: Option<HeaderValue>,
    },
    Multipart {
        payload_json: Option<Bytes>,
        files: Vec<FilePart>,
    },
}

#[derive(Clone)]
struct FilePart {
    index: usize,
    filename: String,
    data: Bytes,
}

/// A request being built; finish with [`send`](Self::send).
///
/// Builder errors (a body that does not serialise, an invalid header) are
/// kept and returned by `send`, so calls chain.
#[must_use = "a request does nothing until `.send().await`"]
pub struct RequestBuilder {
    client: HttpClient,
    route: Route,
    query: Vec<(String, String)>,
    body: Body,
    headers: HeaderMap,
    auth: bool,
    timeout: Option<Duration>,
    error: Option<HttpError>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("route", &self.route)
            .field(
                "query_keys",
                &self.query.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: HttpClient, route: Route) -> Self {
        Self {
            client,
            route,
            query: Vec::new(),
            body: Body::Empty,
            headers: HeaderMap::new(),
            auth: true,
            timeout: None,
            error: None,
        }
    }

    fn label(&self) -> RouteLabel {
        RouteLabel::new(self.route.method(), self.route.template_cow())
    }

    fn fail(&mut self, reason: impl Into<Cow<'static, str>>) {
        if self.error.is_none() {
            self.error = Some(HttpError::Build {
                route: self.label(),
                reason: reason.into(),
            });
        }
    }

    /// Sends `body` as JSON. With [`file`](Self::file) it becomes the
    /// multipart `payload_json` part.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(json) => {
                let json = Bytes::from(json);
                self.body = match self.body {
                    Body::Multipart { files, .. } => Body::Multipart {
                        payload_json: Some(json),
                        files,
                    },
                    _ => Body::Raw {
                        data: json,
                        content_type: Some(HeaderValue::from_static("application/json")),
                    },
                };
            }
            Err(e) => self.fail(format!("the JSON body does not serialise: {e}")),
        }
        self
    }

    /// Sends raw bytes. The `Content-Type` is `application/json` unless set
    /// with [`header`](Self::header).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Body::Raw {
            data: body.into(),
            content_type: None,
        };
        self
    }

    /// Adds a query parameter; repeat a key for an array (`?id=1&id=2`).
    pub fn query(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Attaches a file as multipart part `files[n]` (`n` counts from 0 in
    /// the order of calls); a JSON body set with [`json`](Self::json)
    /// becomes the `payload_json` part. Reference the file in
    /// `attachments` with `id: n`.
    pub fn file(mut self, filename: impl Into<String>, data: impl Into<Bytes>) -> Self {
        let part = |index| FilePart {
            index,
            filename: filename.into(),
            data: data.into(),
        };
        self.body = match self.body {
            Body::Multipart {
                payload_json,
                mut files,
            } => {
                files.push(part(files.len()));
                Body::Multipart {
                    payload_json,
                    files,
                }
            }
            Body::Raw { data: json, .. } => Body::Multipart {
                payload_json: Some(json),
                files: vec![part(0)],
            },
            Body::Empty => Body::Multipart {
                payload_json: None,
                files: vec![part(0)],
            },
        };
        if let Body::Multipart { files, .. } = &self.body {
            if files.len() > limits::ATTACHMENTS_PER_MESSAGE {
                self.fail(format!(
                    "at most {} files per message",
                    limits::ATTACHMENTS_PER_MESSAGE
                ));
            }
        }
        self
    }

    /// Sets a header. `Authorization` and `User-Agent` are managed by the
    /// client and cannot be set here.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) if n != AUTHORIZATION && n != USER_AGENT => {
                self.headers.insert(n, v);
            }
            (Ok(n), Ok(_)) => self.fail(format!("the `{n}` header is managed by the client")),
            _ => self.fail(format!("invalid header `{name}`")),
        }
        self
    }

    /// Sets `X-Audit-Log-Reason` (1-512 characters, URL-encoded here).
    pub fn audit_log_reason(mut self, reason: &str) -> Self {
        let len = reason.chars().count();
        if len == 0 || len > limits::AUDIT_LOG_REASON {
            self.fail(format!(
                "the audit-log reason must be 1-{} characters, got {len}",
                limits::AUDIT_LOG_REASON
            ));
            return self;
        }
        let encoded = utf8_percent_encode(reason, REASON).to_string();
        match HeaderValue::from_str(&encoded) {
            Ok(v) => {
                self.headers
                    .insert(HeaderName::from_static(headers::AUDIT_LOG_REASON), v);
            }
            Err(_) => self.fail("the audit-log reason is not a valid header"),
        }
        self
    }

    /// Sends no `Authorization` header (webhook-with-token routes). Such a
    /// request is sent even after the bot token was rejected, and a 401 on
    /// it does not mark the token as rejected.
    pub fn without_auth(mut self) -> Self {
        self.auth = false;
        self
    }

    /// A deadline for the whole request: the wait in the rate limiter, every
    /// attempt and the waits between retries (default: none; each attempt
    /// still has the client's
    /// [`timeout`](crate::HttpClientBuilder::timeout)).
    ///
    /// When it runs out the request fails with [`HttpError::Timeout`]
    /// ([`is_timeout`](HttpError::is_timeout)), carrying this duration. A
    /// rate-limiter wait known to end after the deadline fails at once,
    /// without waiting. A retry that could not start before the deadline is
    /// not waited for: the request fails with what the last attempt got (the
    /// 5xx, the connection error, or [`HttpError::RateLimited`] for a 429).
    ///
    /// Useful for an interaction, which must be answered within 3 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn multipart(
        payload_json: Option<&Bytes>,
        files: &[FilePart],
    ) -> Result<reqwest::multipart::Form, String> {
        use reqwest::multipart::{Form, Part};
        let mut form = Form::new();
        if let Some(json) = payload_json {
            // `Bytes` bodies are shared, not copied, and keep their length
            let part = Part::stream(json.clone())
                .mime_str("application/json")
                .map_err(|e| e.without_url().to_string())?;
            form = form.part("payload_json", part);
        }
        for file in files {
            let part = Part::stream(file.data.clone()).file_name(file.filename.clone());
            form = form.part(format!("files[{}]", file.index), part);
        }
        Ok(form)
    }

    /// Sends the request: waits for the rate limiter, retries 429s (after
    /// `retry_after`), failed connects (nothing was sent) and, for
    /// idempotent methods only, 5xx and broken connections (with backoff),
    /// and reads the whole body.
    ///
    /// # Errors
    ///
    /// - [`HttpError::Route`] for a missing/unknown route parameter;
    /// - [`HttpError::Api`] for a non-2xx answer (status, JSON code,
    ///   message, nested `errors`);
    /// - [`HttpError::RateLimited`] when 429s outlast the retries, or one
    ///   asks to wait longer than `max_rate_limit_wait`;
    /// - [`HttpError::RateLimitWait`], without sending, when the rate limiter
    ///   would hold the request longer than `max_rate_limit_wait`;
    /// - [`HttpError::InvalidRequestBudget`] when the hard stop is reached;
    /// - [`HttpError::InvalidToken`], without sending, once Discord has
    ///   answered 401 to a request of this client that carried the token;
    /// - [`HttpError::Timeout`] / [`HttpError::Transport`] when Discord is
    ///   unreachable, and [`HttpError::Timeout`] when the request's own
    ///   [`timeout`](Self::timeout) runs out.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while it waits for the rate limiter sends
    /// nothing and frees its place at once. Dropping it while the request
    /// is in flight may leave the request processed by Discord or not; the
    /// same holds for a [`timeout`](Self::timeout) that runs out while an
    /// attempt is in flight (`attempts` in the error is then at least 1).
    pub fn send(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Response, HttpError>> + Send + 'static>> {
        // Boxed on purpose: the request machinery (limiter, retries,
        // reqwest) is compiled once, here, instead of again in every crate
        // that awaits a request from generic code.
        Box::pin(self.send_traced())
    }

    async fn send_traced(self) -> Result<Response, HttpError> {
        // The label's template has any token written into it redacted.
        let label = self.label();
        let span = tracing::info_span!(
            "http_request",
            method = %label.method(),
            route = %label.template(),
            bucket = tracing::field::Empty,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.send_inner(label).instrument(span).await
    }

    /// Runs the attempts under the request's own deadline, if it has one.
    async fn send_inner(self, label: RouteLabel) -> Result<Response, HttpError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        // `None`: no deadline, or one too far away to matter.
        let deadline = self
            .timeout
            .and_then(|timeout| Instant::now().checked_add(timeout).map(|at| (timeout, at)));
        // Attempts sent so far, for the error when the deadline cuts in.
        let sent = AtomicU32::new(0);
        let run = Attempts {
            client: self.client,
            route: self.route,
            query: self.query,
            body: self.body,
            headers: self.headers,
            auth: self.auth,
        }
        .run(&label, deadline, &sent);
        let Some((timeout, at)) = deadline else {
            return run.await;
        };
        match tokio::time::timeout_at(at, run).await {
            Ok(result) => result,
            Err(_) => {
                tracing::debug!(?timeout, "the request's deadline ran out");
                Err(HttpError::Timeout {
                    route: label,
                    attempts: sent.load(Ordering::Relaxed),
                    deadline: Some(timeout),
                })
            }
        }
    }
}

/// What a limit that refused a request is called in
/// [`HttpError::RateLimitWait`].
fn limit_name(key: &RouteKey, reason: Option<WaitReason>, bucket: Option<&str>) -> String {
    match (reason, bucket) {
        (Some(WaitReason::Global | WaitReason::GlobalPause), _) => "every route".to_owned(),
        (Some(WaitReason::LearnedLimit), _) => key.resource().to_owned(),
        (_, Some(bucket)) if key.major().is_empty() => format!("bucket {bucket}"),
        (_, Some(bucket)) => format!("bucket {bucket} [{}]", key.major()),
        (_, None) => key.to_string(),
    }
}

/// The parts of a [`RequestBuilder`] the send loop needs.
struct Attempts {
    client: HttpClient,
    route: Route,
    query: Vec<(String, String)>,
    body: Body,
    headers: HeaderMap,
    auth: bool,
}

impl Attempts {
    /// The send loop: rate limiter, attempts, retries. `deadline` is the
    /// request's own timeout and when it runs out; `sent` counts attempts.
    async fn run(
        self,
        label: &RouteLabel,
        deadline: Option<(Duration, Instant)>,
        sent: &AtomicU32,
    ) -> Result<Response, HttpError> {
        let inner = &self.client.inner;
        let key = self.route.ratelimit_key()?;
        let mut url = build_url(&inner.api_base, inner.api_version, &self.route)?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(self.query.iter());
        }
        let method = self.route.method();
        let mut base_headers = self.headers;
        base_headers.insert(USER_AGENT, inner.user_agent.clone());
        // Whether the bot token rides on this request: only then does a 401
        // condemn the token, and only then is a condemned token refused.
        let mut with_token = false;
        if self.auth {
            if let Some(value) = inner.token.as_ref().and_then(|t| t.header_value()) {
                base_headers.insert(AUTHORIZATION, value);
                with_token = true;
            }
        }
        let token_rejected = || HttpError::InvalidToken {
            route: label.clone(),
        };
        if let Body::Raw { content_type, .. } = &self.body {
            if !base_headers.contains_key(CONTENT_TYPE) {
                base_headers.insert(
                    CONTENT_TYPE,
                    content_type
                        .clone()
                        .unwrap_or_else(|| HeaderValue::from_static("application/json")),
                );
            }
        }
        let span = tracing::Span::current();
        span.record("bucket", tracing::field::display(&key));
        let retry = inner.retry;
        // Whether a wait of `wait` from now ends before the deadline: a
        // retry that cannot start in time is not waited for.
        let in_time = |wait: Duration| {
            deadline
                .is_none_or(|(_, at)| Instant::now().checked_add(wait).is_some_and(|end| end < at))
        };
        let mut attempt = 0u32;
        let mut error_retries = 0u32;
        let mut limit_retries = 0u32;
        loop {
            if with_token && inner.token_rejected() {
                return Err(token_rejected());
            }
            let mut request = inner
                .http
                .request(method.to_reqwest(), url.clone())
                .headers(base_headers.clone());
            request = match &self.body {
                Body::Empty => request,
                Body::Raw { data, .. } => request.body(data.clone()),
                Body::Multipart {
                    payload_json,
                    files,
                } => {
                    let form = RequestBuilder::multipart(payload_json.as_ref(), files).map_err(
                        |reason| HttpError::Build {
                            route: label.clone(),
                            reason: reason.into(),
                        },
                    )?;
                    request.multipart(form)
                }
            };
            // The limiter may hold the request for at most the smaller of
            // `max_rate_limit_wait` and what is left of the deadline.
            let cap = retry.max_rate_limit_wait;
            let left = deadline.map(|(_, at)| at.saturating_duration_since(Instant::now()));
            let max_wait = match (cap, left) {
                (Some(cap), Some(left)) => Some(cap.min(left)),
                (cap, left) => cap.or(left),
            };
            let acquired = match max_wait {
                Some(max) => inner.ratelimiter.acquire_within(&key, max).await,
                None => inner.ratelimiter.acquire(&key).await,
            };
            let ticket = acquired.map_err(|e| match e {
                AcquireError::InvalidRequestBudget { count, limit } => {
                    HttpError::InvalidRequestBudget {
                        route: label.clone(),
                        count,
                        limit,
                    }
                }
                AcquireError::Backend(message) => HttpError::Ratelimiter {
                    route: label.clone(),
                    message,
                },
                AcquireError::WaitTooLong {
                    wait,
                    reason,
                    bucket,
                } => {
                    // Past `max_rate_limit_wait` is a rate-limit refusal;
                    // only past the deadline is a timeout.
                    let allowed = max_wait.unwrap_or(Duration::MAX);
                    let over_cap =
                        cap.is_some_and(|cap| wait.map_or(allowed >= cap, |wait| wait > cap));
                    if over_cap {
                        HttpError::RateLimitWait {
                            route: label.clone(),
                            bucket: limit_name(&key, reason, bucket.as_deref()),
                            reason,
                            wait,
                        }
                    } else {
                        HttpError::Timeout {
                            route: label.clone(),
                            attempts: attempt,
                            deadline: deadline.map(|(timeout, _)| timeout),
                        }
                    }
                }
            })?;
            // Another request may have been answered 401 while this one
            // waited for the limiter.
            if with_token && inner.token_rejected() {
                inner.ratelimiter.complete(ticket, None).await;
                return Err(token_rejected());
            }
            attempt += 1;
            sent.store(attempt, Ordering::Relaxed);
            span.record("attempt", attempt);
            let started = Instant::now();
            let result = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    response.bytes().await.map(|body| (status, headers, body))
                }
                Err(e) => Err(e),
            };
            let latency = started.elapsed();
            span.record("latency_ms", latency.as_secs_f64() * 1000.0);
            let (status, headers, body) = match result {
                Ok(parts) => parts,
                Err(e) => {
                    inner.ratelimiter.complete(ticket, None).await;
                    // A failed connect never reached Discord: safe to retry
                    // for any method. Otherwise only idempotent ones.
                    if (method.is_idempotent() || e.is_connect()) && error_retries < retry.retries {
                        let wait = retry.backoff(error_retries + 1, jitter01());
                        if in_time(wait) {
                            error_retries += 1;
                            tracing::debug!(error = %e.without_url(), ?wait, "connection error; retrying");
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    return Err(if e.is_timeout() {
                        HttpError::Timeout {
                            route: label.clone(),
                            attempts: attempt,
                            deadline: None,
                        }
                    } else {
                        HttpError::Transport {
                            route: label.clone(),
                            attempts: attempt,
                            source: e.without_url(),
                        }
                    });
                }
            };
            let code = status.as_u16();
            span.record("status", code);
            if code == 401 && with_token {
                inner.reject_token();
            }
            let mut info = RateLimitInfo::from_headers(code, &headers);
            if code == 429 {
                info = info.with_body(&body);
            }
            if let Some(bucket) = &info.bucket {
                span.record("bucket", &**bucket);
            }
            inner.ratelimiter.complete(ticket, Some(&info)).await;
            tracing::debug!(status = code, attempt, ?latency, "response");
            if code == 429 {
                let scope = info.scope.unwrap_or(RateLimitScope::User);
                let retry_after = info.retry_after.unwrap_or(Duration::from_secs(1));
                let too_long = cap.is_some_and(|max| retry_after > max);
                if limit_retries < retry.rate_limit_retries && !too_long && in_time(retry_after) {
                    limit_retries += 1;
                    tracing::debug!(%scope, ?retry_after, "429; waiting retry_after before retrying");
                    tokio::time::sleep(retry_after).await;
                    continue;
                }
                return Err(HttpError::RateLimited {
                    route: label.clone(),
                    bucket: info.bucket.as_deref().map(str::to_owned),
                    scope,
                    retry_after,
                    attempts: attempt,
                });
            }
            if status.is_server_error() && method.is_idempotent() && error_retries < retry.retries {
                let wait = retry.backoff(error_retries + 1, jitter01());
                if in_time(wait) {
                    error_retries += 1;
                    tracing::debug!(status = code, ?wait, "server error; retrying");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if !status.is_success() {
                return Err(HttpError::Api(Box::new(ApiError::from_body(
                    label.clone(),
                    code,
                    &body,
                ))));
            }
            return Ok(Response {
                route: label.clone(),
                status,
                headers,
                body,
            });
        }
    }
}

/// A successful (2xx) response, body fully read.
#[derive(Clone)]
pub struct Response {
    route: RouteLabel,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("route", &self.route)
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The HTTP status (2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body, consuming the response.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// Decodes the JSON body.
    ///
    /// # Errors
    ///
    /// [`HttpError::Decode`] naming the route and the expected type (also
    /// for a body that is not UTF-8, which JSON must be).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        // Parsed as text, like gateway events: a model's `Deserialize` code
        // is then compiled once, for serde_json's `&str` reader, instead of
        // once more for its `&[u8]` reader (docs/performance.md, "Build
        // time"). The UTF-8 check runs once over the body.
        let parsed = match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            // Not UTF-8, so not JSON: serde_json says where, if it can.
            Err(utf8) => Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(&self.body) {
                    Err(e) => e,
                    Ok(_) => serde::de::Error::custom(utf8),
                },
            ),
        };
        parsed.map_err(|source| HttpError::Decode {
            route: self.route.clone(),
            expected: std::any::type_name::<T>(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Method;

    fn response(body: &'static [u8]) -> Response {
        Response {
            route: RouteLabel::new(Method::Get, Cow::Borrowed("/users/@me")),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Named {
        name: String,
    }

    /// `Response::json` reads the body as text: valid JSON decodes, bad
    /// JSON and a body that is not UTF-8 (even inside a string the type
    /// ignores) are `HttpError::Decode`, never a panic.
    #[test]
    fn json_decodes_text_and_rejects_bad_bodies() {
        let ok: Named = response(b"{\"name\":\"\\u00e9t\\u00e9 \xc3\xa9\"}")
            .json()
            .expect("valid JSON");
        assert_eq!(ok.name, "été é");
        for body in [
            &br#"{"name":}"#[..],
            &b"{\"name\":\"a\xff\"}"[..],
            &b"{\"other\":\"\xc3\x28\",\"name\":\"a\"}"[..],
            &b"\xff"[..],
        ] {
            let response = response(body);
            match response.json::<Named>() {
                Err(HttpError::Decode {
                    route, expected, ..
                }) => {
                    assert_eq!(route.template(), "/users/@me");
                    assert!(expected.ends_with("Named"), "{expected}");
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }
}
