//! acord-redis against a real redis-server started by each test on a free
//! loopback port (the binary must be installed: `apt-get install
//! redis-server`; CI installs it), and acord-testkit's fake Discord.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord_core_gateway::IdentifyQueue;
use acord_core_http::SessionStartLimit;
use acord_redis::{ConnectionManager, RedisIdentifyQueue};

/// A redis-server child process, killed when dropped.
struct RedisServer {
    child: Child,
    url: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl RedisServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("acord-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start redis-server ({e}): these tests need it on PATH; \
                     install it with `apt-get install redis-server` (CI does)"
                )
            });
        let server = Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
            _dir: TempDir(dir),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    async fn conn(&self) -> ConnectionManager {
        acord_redis::connect(&self.url).await.unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn limit(total: u32, remaining: u32, reset: Duration, mc: u32) -> SessionStartLimit {
    SessionStartLimit::new(total, remaining, reset, mc)
}

#[tokio::test]
async fn unreachable_redis_is_a_typed_error_naming_the_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let Err(err) = acord_redis::connect(&url).await else {
        panic!("connected to a closed port")
    };
    assert!(matches!(err, acord_redis::RedisError::Connect { .. }));
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identify_grants_are_spaced_per_bucket_across_processes() {
    let redis = RedisServer::start();
    const WINDOW: Duration = Duration::from_millis(300);
    let margin = Duration::from_millis(50);
    // four "processes", each its own queue and connection
    let mut queues = Vec::new();
    for _ in 0..4 {
        queues.push(Arc::new(
            RedisIdentifyQueue::builder(limit(1000, 1000, Duration::from_secs(3600), 2))
                .prefix("spacing")
                .window(WINDOW)
                .margin(margin)
                .build(redis.conn().await),
        ));
    }
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for shard in 0..8u32 {
        let queue = Arc::clone(&queues[shard as usize % 4]);
        tasks.spawn(async move {
            queue.acquire(shard).await.unwrap();
            (shard, Instant::now())
        });
    }
    let mut by_bucket: BTreeMap<u32, Vec<Instant>> = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        let (shard, at) = r.unwrap();
        by_bucket.entry(shard % 2).or_default().push(at);
    }
    let elapsed = start.elapsed();
    for (bucket, mut times) in by_bucket {
        times.sort();
        assert_eq!(times.len(), 4);
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= WINDOW + margin,
                "bucket {bucket}: two grants {gap:?} apart"
            );
            assert!(gap < (WINDOW + margin) * 2, "bucket {bucket}: gap {gap:?}");
        }
    }
    // four waves: the last one three leases after the first
    assert!(elapsed >= (WINDOW + margin) * 3, "{elapsed:?}");
    assert!(elapsed < (WINDOW + margin) * 5, "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_budget_holds_every_process_until_the_reset() {
    let redis = RedisServer::start();
    let reset = Duration::from_millis(1500);
    let mut queues = Vec::new();
    for _ in 0..3 {
        queues.push(Arc::new(
            RedisIdentifyQueue::builder(limit(10, 2, reset, 4))
                .prefix("budget")
                .window(Duration::from_millis(100))
                .build(redis.conn().await),
        ));
    }
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    // four shards in four buckets: only the budget can hold them
    for shard in 0..4u32 {
        let queue = Arc::clone(&queues[shard as usize % 3]);
        tasks.spawn(async move {
            queue.acquire(shard).await.unwrap();
            start.elapsed()
        });
    }
    let mut times = Vec::new();
    while let Some(r) = tasks.join_next().await {
        times.push(r.unwrap());
    }
    times.sort();
    assert!(times[1] < Duration::from_millis(500), "{times:?}");
    // the other two waited for the reset, then got the new budget (total 10)
    assert!(times[2] >= reset, "identified before the reset: {times:?}");
    assert!(times[3] < reset * 2, "{times:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_holders_lease_expires() {
    let redis = RedisServer::start();
    let window = Duration::from_millis(400);
    let margin = Duration::from_millis(100);
    let build = |conn| {
        RedisIdentifyQueue::builder(limit(1000, 1000, Duration::from_secs(3600), 1))
            .prefix("lease")
            .window(window)
            .margin(margin)
            .build(conn)
    };
    let crashed = build(redis.conn().await);
    crashed.acquire(0).await.unwrap();
    let taken = Instant::now();
    // the holder's process dies: its queue and connection are gone
    drop(crashed);
    let survivor = build(redis.conn().await);
    survivor.acquire(7).await.unwrap();
    let waited = taken.elapsed();
    assert!(waited >= window + margin, "{waited:?}");
    assert!(waited < (window + margin) * 2, "{waited:?}");
    // and a waiter that gives up holds nothing
    let gave_up = tokio::time::timeout(Duration::from_millis(50), survivor.acquire(1)).await;
    assert!(gave_up.is_err());
    let start = Instant::now();
    survivor.acquire(2).await.unwrap();
    assert!(start.elapsed() < window + margin + Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shard_managers_share_the_identify_limit_through_redis() {
    use acord_core_gateway::{ShardEvent, ShardManager};
    use acord_core_http::HttpClient;
    use acord_testkit::FakeDiscord;

    let redis = RedisServer::start();
    let window = Duration::from_millis(300);
    let fake = FakeDiscord::builder()
        .shards(6)
        .max_concurrency(1)
        .identify_window(window)
        .guilds(2)
        .start()
        .await
        .unwrap();
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()
        .unwrap();
    let info = http.fetch_gateway_bot().await.unwrap();
    assert_eq!(info.session_start_limit.max_concurrency, 1);
    // two "processes": shards 0..3 and 3..6, each with its own queue
    let mut managers = Vec::new();
    let mut events = Vec::new();
    for range in [0..3, 3..6] {
        let queue = RedisIdentifyQueue::builder(info.session_start_limit)
            .prefix("e2e")
            .window(window)
            .build(redis.conn().await);
        let manager = ShardManager::builder(
            fake.token(),
            acord_core_signals::Intents::GUILDS,
            info.clone(),
        )
        .range(range, 6)
        .identify_queue(Arc::new(queue))
        .build()
        .unwrap();
        events.push(manager.take_events().unwrap());
        managers.push(manager);
    }
    for manager in &managers {
        manager.start().unwrap();
    }
    let mut ready = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for rx in &mut events {
        let mut mine = 0;
        while mine < 3 {
            let (id, event) = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("not every shard got READY in time")
                .expect("event stream ended");
            if let ShardEvent::Dispatch(d) = event {
                if d.name() == "READY" {
                    ready.insert(id);
                    mine += 1;
                }
            }
        }
    }
    assert_eq!(ready.len(), 6);
    let c = fake.counters();
    assert_eq!(c.identifies, 6, "{c:?}");
    assert_eq!(c.identify_concurrency_violations, 0, "{c:?}");
    for manager in &managers {
        manager.close(true).await;
    }
    fake.shutdown().await;
}
