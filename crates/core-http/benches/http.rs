//! `cargo bench -p acord-core-http`: rate-limiter overhead with 10,000
//! buckets, and end-to-end requests against acord-testkit with limits off.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use acord_core_http::{
    route, HttpClient, InMemoryRatelimiter, RateLimitInfo, Ratelimiter, RouteKey,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Polls a future that must complete without waiting (the limiter's fast path).
fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the limiter waited on its fast path"),
    }
}

fn info() -> RateLimitInfo {
    let mut map = reqwest::header::HeaderMap::new();
    map.insert("x-ratelimit-limit", "1000000000".parse().unwrap());
    map.insert("x-ratelimit-remaining", "999999999".parse().unwrap());
    map.insert("x-ratelimit-reset-after", "3600.000".parse().unwrap());
    map.insert(
        "x-ratelimit-bucket",
        "0123456789abcdef0123456789abcdef".parse().unwrap(),
    );
    RateLimitInfo::from_headers(200, &map)
}

fn limiter_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let limiter = InMemoryRatelimiter::builder().no_global_limit().build();
    let keys: Vec<RouteKey> = (1..=10_000u64)
        .map(|channel| {
            route!(POST "/channels/{channel_id}/messages", channel_id = channel)
                .ratelimit_key()
                .unwrap()
        })
        .collect();
    let info = info();
    for key in &keys {
        let ticket = ready(limiter.acquire(key)).unwrap();
        ready(limiter.complete(ticket, Some(&info)));
    }
    assert!(limiter.bucket_count() >= 10_000);
    let mut group = c.benchmark_group("ratelimiter");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("acquire+complete, 10k buckets", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            let key = &keys[i];
            let ticket = ready(limiter.acquire(key)).unwrap();
            ready(limiter.complete(ticket, Some(&info)));
        })
    });
    let with_global = InMemoryRatelimiter::builder()
        .global_limit(1_000_000, Duration::from_millis(1))
        .build();
    for key in &keys {
        let ticket = ready(with_global.acquire(key)).unwrap();
        ready(with_global.complete(ticket, Some(&info)));
    }
    group.bench_function("acquire+complete, 10k buckets, global limit on", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            let ticket = ready(with_global.acquire(&keys[i])).unwrap();
            ready(with_global.complete(ticket, Some(&info)));
        })
    });
    group.bench_function("Route::ratelimit_key", |b| {
        b.iter(|| {
            route!(POST "/channels/{channel_id}/messages", channel_id = 41771983423143937u64)
                .ratelimit_key()
                .unwrap()
        })
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt
        .block_on(
            acord_testkit::FakeDiscord::builder()
                .rate_limits(false)
                .start(),
        )
        .unwrap();
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .ratelimiter(Arc::new(
            InMemoryRatelimiter::builder().no_global_limit().build(),
        ))
        .build()
        .unwrap();
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Elements(1));
    group.bench_function("GET /users/@me, sequential", |b| {
        b.iter(|| {
            rt.block_on(http.request(route!(GET "/users/@me")).send())
                .unwrap()
        })
    });
    const BATCH: u64 = 64;
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("GET /users/@me, 64 concurrent", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..BATCH {
                    let http = http.clone();
                    set.spawn(async move { http.request(route!(GET "/users/@me")).send().await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap().unwrap();
                }
            })
        })
    });
    group.finish();
    rt.block_on(fake.shutdown());
}

criterion_group!(benches, limiter_overhead, end_to_end);
criterion_main!(benches);
