//! The identify queue spaces a bucket's IDENTIFYs from when they were sent,
//! end to end against acord-testkit's fake (which refuses, and counts, an
//! IDENTIFY that comes less than one window after the previous one of its
//! bucket): every other grant of a bucket reaches the socket 300 ms late,
//! as on a busy runtime, and the margin is only 100 ms.
#![cfg(feature = "runtime")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord_core_gateway::{
    BoxFuture, GatewayError, IdentifyQueue, InProcessIdentifyQueue, ShardEvent, ShardManager,
};
use acord_core_http::HttpClient;
use acord_core_signals::Intents;
use acord_testkit::FakeDiscord;
use common::*;

const SHARDS: u32 = 8;
const MAX_CONCURRENCY: u32 = 2;
const WINDOW: Duration = Duration::from_millis(500);
const MARGIN: Duration = Duration::from_millis(100);
/// How late every other grant of a bucket reaches the socket.
const LATE: Duration = Duration::from_millis(300);

/// The default queue, with the time between a grant and the send made long
/// on purpose: the first, third, … grant of each bucket returns `LATE`
/// after the queue gave it. `report` says whether the shard's `sent`
/// reaches the queue (off: a queue spacing from the grant only).
#[derive(Debug)]
struct SlowSends {
    inner: InProcessIdentifyQueue,
    grants: Mutex<HashMap<u32, u32>>,
    report: bool,
}

impl IdentifyQueue for SlowSends {
    fn acquire(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            self.inner.acquire(shard_id).await?;
            let nth = {
                let mut grants = self.grants.lock().unwrap();
                let n = grants.entry(shard_id % MAX_CONCURRENCY).or_insert(0);
                *n += 1;
                *n
            };
            if nth % 2 == 1 {
                tokio::time::sleep(LATE).await;
            }
            Ok(())
        })
    }

    fn sent(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        if self.report {
            self.inner.sent(shard_id)
        } else {
            Box::pin(async { Ok(()) })
        }
    }
}

/// Runs the shards through a `SlowSends` queue until every one is READY
/// (or `wait` passed); returns the fake's identifies and violations.
async fn run(report: bool, wait: Duration) -> (u64, u64, usize) {
    let fake = FakeDiscord::builder()
        .shards(SHARDS)
        .max_concurrency(MAX_CONCURRENCY)
        .identify_window(WINDOW)
        .guilds(0)
        .start()
        .await
        .unwrap();
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let info = http.fetch_gateway_bot().await.unwrap();
    let queue = SlowSends {
        inner: InProcessIdentifyQueue::with_window(info.session_start_limit, WINDOW).margin(MARGIN),
        grants: Mutex::new(HashMap::new()),
        report,
    };
    let manager = ShardManager::builder(fake.token(), Intents::GUILDS, info)
        .identify_queue(Arc::new(queue))
        .configure(|b| {
            b.backoff(Duration::from_millis(20), Duration::from_millis(200))
                .invalid_session_wait(Duration::from_millis(20), Duration::from_millis(60))
        })
        .build()
        .unwrap();
    let mut rx = manager.take_events().unwrap();
    manager.start().unwrap();
    let mut ready = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + wait;
    while ready.len() < SHARDS as usize {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((id, ShardEvent::Ready { .. }))) => {
                ready.insert(id);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    manager.close(true).await;
    let c = fake.counters();
    fake.shutdown().await;
    (c.identifies, c.identify_concurrency_violations, ready.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_sends_push_the_next_identify_back_so_the_fake_sees_no_violation() {
    let (identifies, violations, ready) = run(true, GUARD).await;
    assert_eq!(ready, SHARDS as usize, "not every shard got READY");
    assert_eq!(violations, 0, "{identifies} identifies");
    assert_eq!(identifies, u64::from(SHARDS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spacing_from_the_grant_alone_breaks_the_window_with_the_same_delays() {
    // the control: the same delays without the report; a late IDENTIFY is
    // followed WINDOW + MARGIN - LATE = 300 ms later by the next of its
    // bucket, which the fake refuses
    let (identifies, violations, _) = run(false, Duration::from_secs(4)).await;
    assert!(
        violations > 0,
        "{identifies} identifies and no violation: the test does not delay sends"
    );
}
