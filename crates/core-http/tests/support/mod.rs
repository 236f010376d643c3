//! Helpers shared by the core-http tests against acord-testkit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use acord_core_http::{HttpClient, InMemoryRatelimiter};
use acord_testkit::{FakeDiscord, RecordedRequest};

pub fn client(fake: &FakeDiscord, limiter: InMemoryRatelimiter) -> HttpClient {
    HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .ratelimiter(Arc::new(limiter))
        .retries(3, Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn text_channels(fake: &FakeDiscord) -> Vec<u64> {
    fake.guild_ids()
        .into_iter()
        .flat_map(|g| fake.channel_ids(g))
        .collect()
}

pub fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

pub fn requests_to(fake: &FakeDiscord, method: &str, path: &str) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(path))
        .collect()
}

/// Checks the request log against Discord's model of a bucket: a fixed
/// window opens with the first request after the previous one ended and
/// holds at most `limit` requests.
pub fn assert_spaced(requests: &[RecordedRequest], limit: usize, window: Duration) {
    let mut times: Vec<Instant> = requests.iter().map(|r| r.at).collect();
    times.sort();
    let mut opened = times[0];
    let mut used = 0;
    for &t in &times {
        if t >= opened + window {
            opened = t;
            used = 0;
        }
        used += 1;
        assert!(
            used <= limit,
            "more than {limit} requests in one window: {:?}",
            times.iter().map(|x| *x - times[0]).collect::<Vec<_>>()
        );
    }
}
