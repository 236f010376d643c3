//! Per-event cost of the `Client`: from a raw dispatch, as a shard hands
//! it over, to the handler call — against the bare `Event::from_dispatch`.
//!
//! Run: `cargo bench -p acord --bench client`. Groups:
//!
//! - `bare/NAME`: `Event::from_dispatch` alone (the floor).
//! - `client/NAME`: the same payload through `Client::run_events`: the
//!   channel from the shard, the want check, one parse, a task per handler
//!   call with panic catching, the handler (which counts). Timed per event
//!   over a batch, on a current-thread runtime so the time is the CPU the
//!   client spends (no waiting on other threads), measured like the bare
//!   parse on the same thread with the same allocator.
//! - `hand_loop/NAME`: the least a hand-written bot loop does — a channel
//!   from the shard, a task per event, the parse, the handler — for
//!   reference: what the client adds on top of that is its own cost.
//! - `client_unhandled/MESSAGE_UPDATE`: an event no handler implements
//!   (after the first one showed the default body): no parse at all.
//!
//! Before measuring, it prints the allocations per event through the
//! client (stats_alloc's counting allocator, which adds a little to every
//! timing in this binary, to both sides alike).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![recursion_limit = "256"]

use std::alloc::System;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord::cache::CacheConfig;
use acord::core::gateway::{Dispatch, ShardEvent};
use acord::event::{Event, EventTypeFlags, GuildCreate, MessageUpdate};
use acord::model::Message;
use acord::{Client, Context, EventHandler, Intents};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::sync::{mpsc, Notify};

#[path = "support/payloads.rs"]
mod payloads;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Counts handler calls and wakes the bench when a target is reached.
#[derive(Default)]
struct Counter {
    calls: AtomicU64,
    target: AtomicU64,
    done: Notify,
}

impl Counter {
    fn hit(&self) {
        let n = self.calls.fetch_add(1, Ordering::AcqRel) + 1;
        if n == self.target.load(Ordering::Acquire) {
            self.done.notify_one();
        }
    }
}

struct Bench {
    counter: Arc<Counter>,
}

impl EventHandler for Bench {
    async fn message_create(&self, _ctx: Context, msg: Box<Message>) {
        black_box(&msg);
        self.counter.hit();
    }

    async fn guild_create(&self, _ctx: Context, guild: Box<GuildCreate>) {
        black_box(&guild);
        self.counter.hit();
    }
}

struct Harness {
    rt: tokio::runtime::Runtime,
    tx: mpsc::Sender<(u32, ShardEvent)>,
    counter: Arc<Counter>,
    client: Arc<Client>,
}

impl Harness {
    fn new(cache: CacheConfig) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let counter = Arc::new(Counter::default());
        let (tx, rx) = mpsc::channel(1024);
        let client = rt.block_on(async {
            // The fake only answers `GET /gateway/bot` at build; no shard
            // connects (`run_events`).
            let fake = acord_testkit::FakeDiscord::builder().start().await.unwrap();
            let client = Client::builder(fake.token(), Intents::GUILDS | Intents::GUILD_MESSAGES)
                .api_base(fake.api_base())
                .cache(cache)
                .event_handler(Bench {
                    counter: counter.clone(),
                })
                .build()
                .await
                .unwrap();
            Arc::new(client)
        });
        let runner = client.clone();
        rt.spawn(async move { runner.run_events(rx).await });
        Self {
            rt,
            tx,
            counter,
            client,
        }
    }

    /// Sends `iters` copies of `dispatch` (then `fence` if given, which a
    /// handler counts) and waits until the handlers saw `expect` calls.
    fn run(&self, dispatch: &Dispatch, iters: u64, fence: Option<&Dispatch>) -> Duration {
        let expect = if fence.is_some() { 1 } else { iters };
        let start_count = self.counter.calls.load(Ordering::Acquire);
        self.counter
            .target
            .store(start_count + expect, Ordering::Release);
        self.rt.block_on(async {
            let done = self.counter.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            let start = Instant::now();
            for _ in 0..iters {
                self.tx
                    .send((0, ShardEvent::Dispatch(dispatch.clone())))
                    .await
                    .unwrap();
            }
            if let Some(fence) = fence {
                self.tx
                    .send((0, ShardEvent::Dispatch(fence.clone())))
                    .await
                    .unwrap();
            }
            done.await;
            start.elapsed()
        })
    }
}

/// The least a hand-written bot loop does: a channel from the shard, a
/// task per event, the parse and the handler — no client.
struct Loop {
    rt: tokio::runtime::Runtime,
    tx: mpsc::Sender<Dispatch>,
    counter: Arc<Counter>,
}

impl Loop {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let counter = Arc::new(Counter::default());
        let (tx, mut rx) = mpsc::channel::<Dispatch>(1024);
        let c = counter.clone();
        rt.spawn(async move {
            while let Some(d) = rx.recv().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let event = Event::parse(&d).unwrap();
                    black_box(&event);
                    c.hit();
                });
            }
        });
        Self { rt, tx, counter }
    }

    fn run(&self, dispatch: &Dispatch, iters: u64) -> Duration {
        let start_count = self.counter.calls.load(Ordering::Acquire);
        self.counter
            .target
            .store(start_count + iters, Ordering::Release);
        self.rt.block_on(async {
            let done = self.counter.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            let start = Instant::now();
            for _ in 0..iters {
                self.tx.send(dispatch.clone()).await.unwrap();
            }
            done.await;
            start.elapsed()
        })
    }
}

fn bench(c: &mut Criterion) {
    // `client`: no cache, the event path alone; `client_cached`: the default
    // cache, which parses each MESSAGE_CREATE in the event loop and keeps a
    // copy (the last 100 per channel).
    let harness = Harness::new(CacheConfig::none());
    let cached = Harness::new(CacheConfig::default());
    let hand_loop = Loop::new();
    let cases = [
        ("MESSAGE_CREATE", payloads::message_create()),
        ("GUILD_CREATE", payloads::guild_create()),
    ];
    // MESSAGE_UPDATE: implemented by no handler. The first one runs into the
    // default body; from then on it is skipped before parsing.
    let update = br#"{"id":"1101628432341749840","channel_id":"222197033908436994","guild_id":"197038439483310086","content":"edited","edited_timestamp":"2024-03-13T19:20:00.000000+00:00"}"#;
    let _: MessageUpdate = serde_json::from_slice(update).unwrap();
    let update = Dispatch::new("MESSAGE_UPDATE", 1, &update[..]);
    let fence = Dispatch::new("MESSAGE_CREATE", 1, cases[0].1.clone());
    harness.run(&update, 1, Some(&fence));
    assert!(!harness
        .client
        .wanted_events()
        .contains(EventTypeFlags::MESSAGE_UPDATE));

    for (name, raw) in &cases {
        let dispatch = Dispatch::new(*name, 1, raw.clone());
        harness.run(&dispatch, 100, None);
        let region = Region::new(GLOBAL);
        harness.run(&dispatch, 1000, None);
        let stats = region.change();
        let bare = Region::new(GLOBAL);
        drop(black_box(Event::from_dispatch(name, raw).unwrap()));
        let bare = bare.change();
        println!(
            "{name}: {} bytes; through the client {:.1} allocations per event (bare from_dispatch: {})",
            raw.len(),
            stats.allocations as f64 / 1000.0,
            bare.allocations
        );

        let mut group = c.benchmark_group("bare");
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| {
            b.iter(|| Event::from_dispatch(black_box(name), black_box(raw)).unwrap())
        });
        group.finish();

        let mut group = c.benchmark_group("hand_loop");
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| hand_loop.run(&dispatch, iters))
        });
        group.finish();

        let mut group = c.benchmark_group("client");
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| harness.run(&dispatch, iters, None))
        });
        group.finish();

        let mut group = c.benchmark_group("client_cached");
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| cached.run(&dispatch, iters, None))
        });
        group.finish();
    }

    let mut group = c.benchmark_group("client_unhandled");
    group.throughput(Throughput::Elements(1));
    group.bench_function("MESSAGE_UPDATE", |b| {
        b.iter_custom(|iters| harness.run(&update, iters, Some(&fence)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
