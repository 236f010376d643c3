//! acord-redis against a real redis-server started by each test on a free
//! loopback port (the binary must be installed: `apt-get install
//! redis-server`; CI installs it), and acord-testkit's fake Discord.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord_core_gateway::IdentifyQueue;
use acord_core_http::SessionStartLimit;
use acord_redis::RedisIdentifyQueue;

mod support;
use support::RedisServer;

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
    let _timed = support::TIMED.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
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
    let Some(redis) = RedisServer::start() else {
        return;
    };
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
    let Some(redis) = RedisServer::start() else {
        return;
    };
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

    let Some(redis) = RedisServer::start() else {
        return;
    };
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

/// Sends 200 messages over 8 channels through `clients` (round robin) and
/// returns the wall time.
async fn burst(clients: &[acord_core_http::HttpClient], channels: &[u64]) -> Duration {
    use acord_core_http::route;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let http = clients[i % clients.len()].clone();
        let channel = channels[i % 8];
        tasks.spawn(async move {
            http.request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
                .json(&serde_json::json!({ "content": format!("message {i}") }))
                .send()
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    start.elapsed()
}

async fn burst_fake(window: Duration) -> (acord_testkit::FakeDiscord, Vec<u64>) {
    let fake = acord_testkit::FakeDiscord::builder()
        .guilds(4)
        .bucket_limit(5)
        .bucket_window(window)
        .global_limit(1000)
        .start()
        .await
        .unwrap();
    let channels: Vec<u64> = fake
        .guild_ids()
        .into_iter()
        .flat_map(|g| fake.channel_ids(g))
        .take(8)
        .collect();
    assert_eq!(channels.len(), 8);
    (fake, channels)
}

fn http_client(
    fake: &acord_testkit::FakeDiscord,
    limiter: Arc<dyn acord_core_http::ratelimit::Ratelimiter>,
) -> acord_core_http::HttpClient {
    acord_core_http::HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .ratelimiter(limiter)
        .retries(3, Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_rest_limits_with_no_429_and_the_time_of_one() {
    let _timed = support::TIMED.lock().await;
    // "5 per second", scaled down as in core-http's burst test
    const WINDOW: Duration = Duration::from_millis(750);
    let Some(redis) = RedisServer::start() else {
        return;
    };

    // one process, the in-memory limiter: the reference time
    let (fake, channels) = burst_fake(WINDOW).await;
    let limiter = acord_core_http::InMemoryRatelimiter::builder()
        .global_limit(1000, Duration::from_secs(1))
        .build();
    let one = burst(&[http_client(&fake, Arc::new(limiter))], &channels).await;
    // (only the time is used here; core-http's burst test owns this limiter)
    let one_429 = fake.counters().rate_limited;
    fake.shutdown().await;

    // four "processes", each with its own limiter and Redis connection
    let (fake, channels) = burst_fake(WINDOW).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        let limiter = acord_redis::RedisRatelimiter::builder()
            .prefix("burst")
            .global_limit(1000, Duration::from_secs(1))
            .build(redis.conn().await);
        clients.push(http_client(&fake, Arc::new(limiter)));
    }
    let four = burst(&clients, &channels).await;
    eprintln!(
        "200 messages over 8 channels: one process in memory {one:?} ({one_429} 429s), four through Redis {four:?}"
    );
    let c = fake.counters();
    assert_eq!(c.rate_limited, 0, "a 429 was collected: {c:?}");
    for &channel in &channels {
        let mut sent: Vec<Instant> = fake
            .requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/messages"))
            })
            .map(|r| r.at)
            .collect();
        assert_eq!(sent.len(), 25);
        sent.sort();
        // never more than 5 in one of the fake's windows
        let mut opened = sent[0];
        let mut used = 0;
        for &at in &sent {
            if at >= opened + WINDOW {
                opened = at;
                used = 0;
            }
            used += 1;
            assert!(used <= 5, "channel {channel}: more than 5 in one window");
        }
    }
    // 25 messages per channel at 5 per window: four windows at least
    assert!(four >= WINDOW * 4, "{four:?}");
    assert!(
        four <= one.mul_f64(1.10).max(WINDOW * 4 + WINDOW / 10),
        "four processes through Redis took {four:?}, one in memory {one:?}"
    );
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invalid_request_budget_is_shared_warn_then_stop() {
    use acord_core_http::ratelimit::{AcquireError, RateLimitInfo, RatelimitEvent, Ratelimiter};
    use acord_core_http::{Method, Route};
    use std::sync::atomic::{AtomicU32, Ordering};

    let Some(redis) = RedisServer::start() else {
        return;
    };
    let warned = Arc::new(AtomicU32::new(0));
    let mut limiters = Vec::new();
    for _ in 0..2 {
        let w = Arc::clone(&warned);
        limiters.push(
            acord_redis::RedisRatelimiter::builder()
                .prefix("invalid")
                .no_global_limit()
                .invalid_request_warning(3)
                .invalid_request_hard_stop(Some(5))
                .invalid_request_window(Duration::from_secs(2))
                .on_event(move |e| {
                    if matches!(e, RatelimitEvent::InvalidRequestWarning { .. }) {
                        w.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .build(redis.conn().await),
        );
    }
    let key = Route::new(Method::Get, "/users/@me")
        .ratelimit_key()
        .unwrap();
    let unauthorized: RateLimitInfo = {
        let mut info = RateLimitInfo::default();
        info.status = 401;
        info
    };
    // five 401s, spread over the two processes
    for i in 0..5 {
        let limiter = &limiters[i % 2];
        let t = limiter.acquire(&key).await.unwrap();
        limiter.complete(t, Some(&unauthorized)).await;
    }
    assert_eq!(
        warned.load(Ordering::SeqCst),
        1,
        "one warning for the cluster"
    );
    for limiter in &limiters {
        match limiter.acquire(&key).await {
            Err(AcquireError::InvalidRequestBudget { count: 5, limit: 5 }) => {}
            other => panic!("not stopped: {other:?}"),
        }
    }
    // the window rolls: requests flow again
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(limiters[0].acquire(&key).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identify_queue_recovers_when_redis_restarts() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port;
    let queue = RedisIdentifyQueue::builder(limit(1000, 1000, Duration::from_secs(3600), 4))
        .prefix("restart")
        .window(Duration::from_millis(100))
        .build(redis.conn().await);
    queue.acquire(0).await.unwrap();
    // Redis goes away and comes back empty on the same port
    drop(redis);
    let restarted = RedisServer::start_on(port).expect("redis-server ran a moment ago");
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(15), queue.acquire(1))
        .await
        .expect("the queue deadlocked after a Redis restart")
        .unwrap();
    eprintln!("first grant after the restart: {:?}", start.elapsed());
    queue.acquire(2).await.unwrap();
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_limiter_recovers_when_redis_restarts() {
    let _timed = support::TIMED.lock().await;
    const WINDOW: Duration = Duration::from_millis(750);
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port;
    let (fake, channels) = burst_fake(WINDOW).await;
    let limiter = acord_redis::RedisRatelimiter::builder()
        .prefix("restart")
        .global_limit(1000, Duration::from_secs(1))
        .build(redis.conn().await);
    let http = http_client(&fake, Arc::new(limiter));
    // the buckets are known before the restart
    burst(std::slice::from_ref(&http), &channels).await;

    // requests keep coming while Redis goes away and comes back empty
    let during = {
        let http = http.clone();
        let channels = channels.clone();
        tokio::spawn(async move {
            use acord_core_http::route;
            let mut outcomes = Vec::new();
            for i in 0..40u64 {
                let channel = channels[i as usize % 8];
                let sent = http
                    .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel))
                    .json(&serde_json::json!({ "content": format!("during {i}") }))
                    .send()
                    .await;
                outcomes.push(sent.map(drop).map_err(|e| e.to_string()));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            outcomes
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(redis);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restarted = RedisServer::start_on(port).expect("redis-server ran a moment ago");
    let outcomes = tokio::time::timeout(Duration::from_secs(60), during)
        .await
        .expect("requests deadlocked while Redis restarted")
        .expect("a request panicked while Redis restarted");
    let failed: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    eprintln!(
        "during the restart: {} of {} requests sent, {} failed: {failed:?}",
        outcomes.len() - failed.len(),
        outcomes.len(),
        failed.len()
    );
    // each either went through or failed with a typed error; the limiter
    // retried through the restart, so most went through
    assert!(failed.len() < outcomes.len() / 2, "{failed:?}");

    // after the restart the state is empty: buckets are learned again from
    // a probe each, and nothing is over the limit
    let before = fake.counters().rate_limited;
    let elapsed = tokio::time::timeout(
        Duration::from_secs(30),
        burst(std::slice::from_ref(&http), &channels),
    )
    .await
    .expect("requests deadlocked after the restart");
    let after = fake.counters().rate_limited;
    eprintln!("200 messages after the restart in {elapsed:?}; 429s {before} -> {after}");
    assert_eq!(after, before, "429s after the restart");
    drop(restarted);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_gone_for_good_is_an_error_not_a_hang() {
    use acord_core_http::ratelimit::{AcquireError, Ratelimiter};
    use acord_core_http::{Method, Route};

    let Some(redis) = RedisServer::start() else {
        return;
    };
    let queue = RedisIdentifyQueue::builder(limit(1000, 1000, Duration::from_secs(3600), 1))
        .prefix("gone")
        .window(Duration::from_millis(100))
        .build(redis.conn().await);
    let limiter = acord_redis::RedisRatelimiter::builder()
        .prefix("gone")
        .build(redis.conn().await);
    drop(redis);
    let key = Route::new(Method::Get, "/users/@me")
        .ratelimit_key()
        .unwrap();
    let start = Instant::now();
    let (identify, rest) = tokio::time::timeout(Duration::from_secs(90), async {
        tokio::join!(queue.acquire(0), limiter.acquire(&key))
    })
    .await
    .expect("a call hung with Redis gone");
    eprintln!("both gave up after {:?}", start.elapsed());
    match identify {
        Err(acord_core_gateway::GatewayError::Http(source)) => {
            assert!(source.is::<acord_redis::RedisError>(), "{source}");
        }
        other => panic!("the identify queue answered {other:?}"),
    }
    match rest {
        Err(AcquireError::Backend(message)) => assert!(message.contains("Redis"), "{message}"),
        Err(other) => panic!("the limiter answered {other:?}"),
        Ok(_) => panic!("the limiter granted a request without Redis"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learned_sub_limit_holds_its_resource_in_every_process() {
    let _timed = support::TIMED.lock().await;
    use acord_core_http::ratelimit::{AcquireError, RateLimitInfo, Ratelimiter, WaitReason};
    use acord_core_http::{Method, Route};
    use acord_core_signals::RateLimitScope;

    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mut limiters = Vec::new();
    for _ in 0..2 {
        limiters.push(
            acord_redis::RedisRatelimiter::builder()
                .prefix("learned")
                .no_global_limit()
                .build(redis.conn().await),
        );
    }
    let renamed = Route::new(Method::Patch, "/channels/1")
        .ratelimit_key()
        .unwrap();
    let other = Route::new(Method::Patch, "/channels/2")
        .ratelimit_key()
        .unwrap();
    // process 0: the bucket's headers promise room, yet a 429 (a channel
    // rename sub-limit)
    let retry_after = Duration::from_millis(1500);
    let sub_limit = {
        let mut info = RateLimitInfo::default();
        info.status = 429;
        info.limit = Some(5);
        info.remaining = Some(3);
        info.reset_after = Some(Duration::from_secs(1));
        info.bucket = Some(Arc::from("rename"));
        info.scope = Some(RateLimitScope::User);
        info.retry_after = Some(retry_after);
        info
    };
    let learned_at = Instant::now();
    let t = limiters[0].acquire(&renamed).await.unwrap();
    limiters[0].complete(t, Some(&sub_limit)).await;

    // process 1 is held on that resource, for the 429's retry_after
    match limiters[1]
        .acquire_within(&renamed, Duration::from_millis(200))
        .await
    {
        Err(AcquireError::WaitTooLong {
            wait: Some(wait),
            reason: Some(WaitReason::LearnedLimit),
            ..
        }) => assert!(
            wait > Duration::from_millis(1000) && wait <= retry_after + Duration::from_millis(5),
            "{wait:?}"
        ),
        other => panic!("process 1 was not held by the learned sub-limit: {other:?}"),
    }
    // another resource is not held (the bucket had room)
    let t = tokio::time::timeout(Duration::from_millis(500), limiters[1].acquire(&other))
        .await
        .expect("another resource waited on the learned sub-limit")
        .unwrap();
    limiters[1].complete(t, None).await;
    // after retry_after the resource is free again, in both processes
    let t = limiters[1].acquire(&renamed).await.unwrap();
    assert!(
        learned_at.elapsed() >= retry_after,
        "{:?}",
        learned_at.elapsed()
    );
    limiters[1].complete(t, None).await;
}
