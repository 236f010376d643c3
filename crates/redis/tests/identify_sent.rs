//! `RedisIdentifyQueue` spaces a bucket from the reported send
//! (`IdentifyQueue::sent`), across processes, against a real redis-server
//! (see `support`) and acord-testkit's fake Discord.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acord_core_gateway::{BoxFuture, GatewayError, IdentifyQueue, ShardEvent, ShardManager};
use acord_core_http::{HttpClient, SessionStartLimit};
use acord_redis::RedisIdentifyQueue;
use acord_testkit::FakeDiscord;

mod support;
use support::RedisServer;

fn limit(mc: u32) -> SessionStartLimit {
    SessionStartLimit::new(1000, 1000, Duration::from_secs(3600), mc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_send_pushes_the_next_grant_of_its_bucket_back_in_every_process() {
    let _timed = support::TIMED.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let window = Duration::from_millis(500);
    let margin = Duration::from_millis(50);
    let lease = window + margin;
    let build = |conn| {
        RedisIdentifyQueue::builder(limit(2))
            .prefix("sent")
            .window(window)
            .margin(margin)
            .build(conn)
    };
    // two "processes"
    let first = Arc::new(build(redis.conn().await));
    let second = Arc::new(build(redis.conn().await));
    first.acquire(0).await.unwrap();
    let granted = Instant::now();
    let waiter = {
        let second = Arc::clone(&second);
        tokio::spawn(async move {
            second.acquire(2).await.unwrap();
            Instant::now()
        })
    };
    // another bucket is not held
    let start = Instant::now();
    second.acquire(1).await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(200));
    // shard 0's IDENTIFY leaves 300 ms after its grant
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    first.sent(0).await.unwrap();
    let next = waiter.await.unwrap();
    assert!(
        next - sent >= lease,
        "granted {:?} after the send, {:?} after the grant",
        next - sent,
        next - granted
    );
    assert!(
        next - sent < lease + Duration::from_millis(200),
        "{:?}",
        next - sent
    );

    // a report after the lease expired (and after nobody took it) still
    // holds the bucket for one lease from the send
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    first.sent(2).await.unwrap();
    let sent = Instant::now();
    first.acquire(4).await.unwrap();
    assert!(
        sent.elapsed() >= lease - Duration::from_millis(20),
        "{:?}",
        sent.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_never_shortens_a_longer_lease() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let window = Duration::from_millis(400);
    let build = |conn, margin| {
        RedisIdentifyQueue::builder(limit(1))
            .prefix("longer")
            .window(window)
            .margin(margin)
            .build(conn)
    };
    // a process with a long margin holds the bucket for 1.4 s; another
    // with a short one reports a send: the long hold stays
    let long = build(redis.conn().await, Duration::from_secs(1));
    let short = build(redis.conn().await, Duration::from_millis(50));
    long.acquire(0).await.unwrap();
    let granted = Instant::now();
    short.sent(0).await.unwrap();
    short.acquire(1).await.unwrap();
    assert!(
        granted.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        granted.elapsed()
    );
}

/// A `RedisIdentifyQueue` whose first, third, … grant of each bucket reaches
/// the socket 300 ms late, as on a busy runtime.
#[derive(Debug)]
struct SlowSends {
    inner: RedisIdentifyQueue,
    grants: Arc<Mutex<HashMap<u32, u32>>>,
    max_concurrency: u32,
}

impl IdentifyQueue for SlowSends {
    fn acquire(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move {
            self.inner.acquire(shard_id).await?;
            let nth = {
                let mut grants = self.grants.lock().unwrap();
                let n = grants.entry(shard_id % self.max_concurrency).or_insert(0);
                *n += 1;
                *n
            };
            if nth % 2 == 1 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Ok(())
        })
    }

    fn sent(&self, shard_id: u32) -> BoxFuture<'_, Result<(), GatewayError>> {
        self.inner.sent(shard_id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_sends_in_two_processes_give_the_fake_no_violation() {
    let _timed = support::TIMED.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    const SHARDS: u32 = 8;
    let window = Duration::from_millis(500);
    let fake = FakeDiscord::builder()
        .shards(SHARDS)
        .max_concurrency(2)
        .identify_window(window)
        .guilds(0)
        .start()
        .await
        .unwrap();
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let info = http.fetch_gateway_bot().await.unwrap();
    // grants counted across both processes, as one bucket sees them
    let grants = Arc::new(Mutex::new(HashMap::new()));
    let mut managers = Vec::new();
    let mut events = Vec::new();
    for range in [0..4, 4..8] {
        let queue = SlowSends {
            inner: RedisIdentifyQueue::builder(info.session_start_limit)
                .prefix("slow")
                .window(window)
                .margin(Duration::from_millis(100))
                .build(redis.conn().await),
            grants: Arc::clone(&grants),
            max_concurrency: 2,
        };
        let manager = ShardManager::builder(
            fake.token(),
            acord_core_signals::Intents::GUILDS,
            info.clone(),
        )
        .range(range, SHARDS)
        .identify_queue(Arc::new(queue))
        .configure(|b| {
            b.backoff(Duration::from_millis(20), Duration::from_millis(200))
                .invalid_session_wait(Duration::from_millis(20), Duration::from_millis(60))
        })
        .build()
        .unwrap();
        events.push(manager.take_events().unwrap());
        managers.push(manager);
    }
    for manager in &managers {
        manager.start().unwrap();
    }
    let mut ready = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for rx in &mut events {
        let mut mine = 0;
        while mine < 4 {
            let (id, event) = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("not every shard got READY in time")
                .expect("event stream ended");
            if let ShardEvent::Ready { .. } = event {
                if ready.insert(id) {
                    mine += 1;
                }
            }
        }
    }
    let c = fake.counters();
    assert_eq!(c.identify_concurrency_violations, 0, "{c:?}");
    assert_eq!(c.identifies, u64::from(SHARDS), "{c:?}");
    for manager in &managers {
        manager.close(true).await;
    }
    fake.shutdown().await;
}
