//! Rate-limit waits under `max_rate_limit_wait` and a request's own
//! `.timeout(..)`, on paused time: the limiter is prepared by hand and the
//! API base points at a port nothing listens on, so a request that is
//! refused before it is sent never touches the network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use acord_core_http::ratelimit::{Ratelimiter, WaitReason};
use acord_core_http::{
    route, HttpClient, HttpClientBuilder, HttpError, InMemoryRatelimiter, RateLimitInfo, Route,
};
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::time::Instant;

/// A base URL on a loopback port nothing listens on.
fn dead_base() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/api")
}

/// Response headers of a bucket with nothing left for `reset_after`.
fn exhausted(bucket: &str, reset_after: Duration) -> RateLimitInfo {
    let mut map = HeaderMap::new();
    map.insert("x-ratelimit-limit", HeaderValue::from_static("5"));
    map.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    map.insert(
        "x-ratelimit-reset-after",
        HeaderValue::from_str(&reset_after.as_secs_f64().to_string()).unwrap(),
    );
    map.insert("x-ratelimit-bucket", HeaderValue::from_str(bucket).unwrap());
    RateLimitInfo::from_headers(200, &map)
}

fn post_message() -> Route {
    route!(POST "/channels/{channel_id}/messages", channel_id = 41771983423143937u64)
}

/// A limiter whose bucket for [`post_message`] is spent for five minutes.
async fn spent_limiter() -> InMemoryRatelimiter {
    let limiter = InMemoryRatelimiter::builder().no_global_limit().build();
    let key = post_message().ratelimit_key().unwrap();
    let ticket = limiter.acquire(&key).await.unwrap();
    limiter
        .complete(
            ticket,
            Some(&exhausted("abcd1234", Duration::from_secs(300))),
        )
        .await;
    limiter
}

fn client(limiter: InMemoryRatelimiter) -> HttpClientBuilder {
    HttpClient::builder("token")
        .api_base(dead_base())
        .ratelimiter(Arc::new(limiter))
        .retries(0, Duration::from_millis(10))
}

#[tokio::test(start_paused = true)]
async fn max_rate_limit_wait_refuses_a_long_bucket_wait_at_once() {
    let http = client(spent_limiter().await)
        .max_rate_limit_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(3600),
        http.request(post_message())
            .json(&serde_json::json!({ "content": "hi" }))
            .send(),
    )
    .await
    .expect("the request hung")
    .unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "it waited: {err}");
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(300)), "{err}");
    assert_eq!(
        err.route().unwrap().template(),
        "/channels/{channel_id}/messages"
    );
    let text = err.to_string();
    assert!(text.contains("abcd1234"), "the bucket is not named: {text}");
    assert!(text.contains("300"), "the wait is not said: {text}");
    match &err {
        HttpError::RateLimitWait {
            bucket,
            reason,
            wait,
            ..
        } => {
            assert_eq!(bucket, "bucket abcd1234 [channel:41771983423143937]");
            assert_eq!(*reason, Some(WaitReason::BucketExhausted));
            assert_eq!(*wait, Some(Duration::from_secs(300)));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_timeout() && err.is_retryable() && err.status().is_none());
}

#[tokio::test(start_paused = true)]
async fn request_timeout_covers_the_limiter_wait() {
    // A known wait past the deadline: refused at once, as a timeout.
    let http = client(spent_limiter().await).build().unwrap();
    let start = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(3600),
        http.request(post_message())
            .json(&serde_json::json!({ "content": "hi" }))
            .timeout(Duration::from_secs(2))
            .send(),
    )
    .await
    .expect("the request hung")
    .unwrap_err();
    assert!(
        matches!(err, HttpError::Timeout { attempts: 0, deadline: Some(d), .. } if d == Duration::from_secs(2)),
        "{err:?}"
    );
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "a wait known to outlast the deadline was waited"
    );
    assert!(err.to_string().contains("2s deadline"), "{err}");

    // With both set, the cap decides when the wait is longer than it.
    let http = client(spent_limiter().await)
        .max_rate_limit_wait(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = http
        .request(post_message())
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::RateLimitWait { .. }), "{err:?}");

    // A wait of unknown length (a new bucket's first request is still out):
    // the deadline cuts it.
    let limiter = InMemoryRatelimiter::builder().no_global_limit().build();
    let key = post_message().ratelimit_key().unwrap();
    let probe = limiter.acquire(&key).await.unwrap();
    let http = client(limiter).build().unwrap();
    let start = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(3600),
        http.request(post_message())
            .timeout(Duration::from_millis(1500))
            .send(),
    )
    .await
    .expect("the request hung")
    .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    drop(probe);
}
