//! The in-memory cache: the cost of applying an event (what the client
//! adds to every event the cache reads, before handlers run) and of the
//! reads handlers make.
//!
//! Run: `cargo bench -p acord --bench cache`. Events are parsed once,
//! outside the timing: the figures are `InMemoryCache::update` alone (add
//! `bare/NAME` of the `client` bench for the parse). Groups:
//!
//! - `update/GUILD_CREATE_200`: the 200-member GUILD_CREATE of the
//!   `client` bench (30 roles and `@everyone`, 50 channels with
//!   overwrites, 50 presences)
//!   into an empty cache; the cache is made and dropped outside the timing.
//! - `update/GUILD_CREATE_200_again`: the same guild again (a reconnect):
//!   the old entry is released first.
//! - `update/MESSAGE_CREATE`: one message into a channel already holding
//!   100 (the oldest goes). Storing clones the message; `reference/message_clone`
//!   is that clone alone.
//! - `update/PRESENCE_UPDATE`: a status change of a cached member (the
//!   user as Discord usually sends it, ID only).
//! - `read/member`, `read/with_member`, `read/permissions_in`,
//!   `read/guild_permissions`: a member with three roles, a channel with
//!   two role overwrites.
//!
//! Before measuring, it prints the allocations each update makes
//! (stats_alloc's counting allocator, which adds a little to every timing
//! in this binary).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![recursion_limit = "256"]

use std::alloc::System;
use std::sync::Arc;

use acord::cache::{CacheConfig, InMemoryCache};
use acord::event::Event;
use acord::model::{ChannelId, GuildId, Message, UserId};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::json;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[path = "support/payloads.rs"]
mod payloads;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The first member of the bench guild (its owner).
const OWNER: u64 = 80351110224678912;
/// Member 3: three roles, not the owner.
const MEMBER: u64 = OWNER + 3;
/// Channel 3: overwrites for @everyone and for the member's third role.
const CHANNEL: u64 = payloads::GUILD + 5000 + 2;

fn event(name: &str, raw: &[u8]) -> Event {
    Event::from_dispatch(name, raw).unwrap()
}

fn loaded(guild: &Event) -> InMemoryCache {
    let cache = InMemoryCache::new(CacheConfig::default());
    cache.update(guild);
    cache
}

/// Allocations one call of `f` makes.
fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

fn bench(c: &mut Criterion) {
    // the client bench's guild, with the @everyone role permissions need
    let mut guild: serde_json::Value = serde_json::from_slice(&payloads::guild_create()).unwrap();
    guild["roles"].as_array_mut().unwrap().insert(
        0,
        json!({"id": payloads::GUILD.to_string(), "name": "@everyone", "color": 0, "hoist": false,
               "position": 0, "permissions": "104324673", "managed": false, "mentionable": false, "flags": 0}),
    );
    let guild = event("GUILD_CREATE", guild.to_string().as_bytes());
    let message_raw = payloads::message_create();
    let message = event("MESSAGE_CREATE", &message_raw);
    let presence = event(
        "PRESENCE_UPDATE",
        json!({
            "user": {"id": MEMBER.to_string()}, "guild_id": payloads::GUILD.to_string(),
            "status": "idle", "activities": [{"name": "acord", "type": 0, "created_at": 1_700_000_000_000u64}],
            "client_status": {"desktop": "idle"}
        })
        .to_string()
        .as_bytes(),
    );
    let gid = GuildId::new(payloads::GUILD).unwrap();
    let uid = UserId::new(MEMBER).unwrap();
    let cid = ChannelId::new(CHANNEL).unwrap();

    let cache = loaded(&guild);
    assert_eq!(cache.member(gid, uid).unwrap().roles.len(), 3);
    assert!(cache.channel(cid).is_some());
    for _ in 0..100 {
        cache.update(&message);
    }
    let empty = InMemoryCache::new(CacheConfig::default());
    println!(
        "allocations per update: GUILD_CREATE_200 {}, GUILD_CREATE_200_again {}, MESSAGE_CREATE {}, PRESENCE_UPDATE {}; read/member {}",
        allocations(|| drop(empty.update(&guild))),
        allocations(|| drop(empty.update(&guild))),
        allocations(|| drop(cache.update(&message))),
        allocations(|| drop(cache.update(&presence))),
        allocations(|| drop(cache.member(gid, uid))),
    );
    drop(empty);

    let mut group = c.benchmark_group("update");
    group.bench_function("GUILD_CREATE_200", |b| {
        b.iter_batched(
            || InMemoryCache::new(CacheConfig::default()),
            |cache| {
                black_box(cache.update(&guild));
                cache
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("GUILD_CREATE_200_again", |b| {
        b.iter_batched(
            || loaded(&guild),
            |cache| {
                black_box(cache.update(&guild));
                cache
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("MESSAGE_CREATE", |b| {
        b.iter(|| cache.update(black_box(&message)))
    });
    group.bench_function("PRESENCE_UPDATE", |b| {
        b.iter(|| cache.update(black_box(&presence)))
    });
    group.finish();

    let parsed: Message = serde_json::from_slice(&message_raw).unwrap();
    let mut group = c.benchmark_group("reference");
    group.bench_function("message_clone", |b| {
        b.iter(|| Arc::new(black_box(&parsed).clone()))
    });
    group.finish();

    let mut group = c.benchmark_group("read");
    group.bench_function("member", |b| {
        b.iter(|| cache.member(black_box(gid), black_box(uid)))
    });
    group.bench_function("with_member", |b| {
        b.iter(|| cache.with_member(black_box(gid), black_box(uid), |m| m.roles.len()))
    });
    group.bench_function("permissions_in", |b| {
        b.iter(|| {
            cache
                .permissions_in(black_box(cid), black_box(uid))
                .unwrap()
        })
    });
    group.bench_function("guild_permissions", |b| {
        b.iter(|| {
            cache
                .guild_permissions(black_box(gid), black_box(uid))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
