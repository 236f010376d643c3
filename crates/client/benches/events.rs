//! `Event::from_dispatch` throughput on the events bots see most.
//!
//! Run: `cargo bench -p acord --bench events`. Criterion reports time per
//! event and MB/s (`from_dispatch_bytes`) and events/s
//! (`from_dispatch_events`). Before measuring it prints each payload's size
//! and what ONE `Event::from_dispatch` allocates (STYLE.md §7: a rise is a
//! regression to explain). The counting allocator is `stats_alloc`'s
//! `INSTRUMENTED_SYSTEM` (the `unsafe` lives in that crate, not here); its
//! atomic counters add a little to every timing in this binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![recursion_limit = "256"]

use acord::event::Event;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[path = "support/payloads.rs"]
mod payloads;
use payloads::{guild_create, message_create};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/events/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    serde_json::to_vec(&value).unwrap()
}

fn payloads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("MESSAGE_CREATE", message_create()),
        ("GUILD_CREATE", guild_create()),
        ("PRESENCE_UPDATE", fixture("PRESENCE_UPDATE")),
        ("INTERACTION_CREATE", fixture("INTERACTION_CREATE")),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, raw) in payloads() {
        let event = Event::from_dispatch(name, &raw).unwrap();
        assert_eq!(event.name(), name);
        // warm-up call above; now count exactly one decode
        let region = Region::new(GLOBAL);
        let event = black_box(Event::from_dispatch(black_box(name), black_box(&raw)).unwrap());
        let stats = region.change();
        drop(event);
        println!(
            "{name}: {} bytes; one from_dispatch: {} allocations (+{} reallocations), {} bytes allocated",
            raw.len(),
            stats.allocations,
            stats.reallocations,
            stats.bytes_allocated
        );

        let mut bytes = c.benchmark_group("from_dispatch_bytes");
        bytes.throughput(Throughput::Bytes(raw.len() as u64));
        bytes.bench_function(name, |b| {
            b.iter(|| Event::from_dispatch(black_box(name), black_box(&raw)).unwrap())
        });
        bytes.finish();

        let mut events = c.benchmark_group("from_dispatch_events");
        events.throughput(Throughput::Elements(1));
        events.bench_function(name, |b| {
            b.iter(|| Event::from_dispatch(black_box(name), black_box(&raw)).unwrap())
        });
        events.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
