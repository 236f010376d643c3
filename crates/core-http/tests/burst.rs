//! The 200-message burst: zero 429s and close to the time the limits allow.
//! In its own test binary so no sibling test competes for the two cores
//! while it measures its timing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use acord_core_http::{route, InMemoryRatelimiter};
use acord_testkit::FakeDiscord;
use serde_json::json;
use tokio::task::JoinSet;

mod support;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_200_messages_over_8_channels_has_no_429_and_is_fast() {
    // "5 per second", scaled down so the test takes three seconds.
    const WINDOW: Duration = Duration::from_millis(750);
    let fake = FakeDiscord::builder()
        .guilds(4)
        .bucket_limit(5)
        .bucket_window(WINDOW)
        .global_limit(1000)
        .start()
        .await
        .unwrap();
    let channels: Vec<u64> = text_channels(&fake).into_iter().take(8).collect();
    assert_eq!(channels.len(), 8);
    let http = client(
        &fake,
        InMemoryRatelimiter::builder()
            .global_limit(1000, Duration::from_secs(1))
            .build(),
    );
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..200 {
        let http = http.clone();
        let channel = channels[i % 8];
        tasks.spawn(async move {
            http.request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
                .json(&json!({ "content": format!("message {i}") }))
                .send()
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    eprintln!("200 messages over 8 channels: {elapsed:?}");
    assert_eq!(fake.counters().rate_limited, 0, "a 429 was collected");
    // 25 messages per channel at 5 per window: the fifth window opens four
    // windows after the first. Faster is impossible without 429s.
    let allowed = WINDOW * 4;
    assert!(elapsed >= allowed, "{elapsed:?}");
    assert!(
        elapsed <= allowed.mul_f64(1.10),
        "took {elapsed:?}, limits allow {allowed:?}"
    );
    for channel in channels {
        let sent = requests_to(&fake, "POST", &format!("/channels/{channel}/messages"));
        assert_eq!(sent.len(), 25);
        assert_spaced(&sent, 5, WINDOW);
        assert!(sent.iter().all(|r| r.status == 200 || r.status == 201));
        if std::env::var_os("ACORD_TRACE_BURST").is_some() {
            let t0 = sent[0].at;
            let ms: Vec<u128> = sent.iter().map(|r| (r.at - t0).as_millis()).collect();
            eprintln!("{channel}: {ms:?}");
        }
    }
    fake.shutdown().await;
}
