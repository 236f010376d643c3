//! Memory of acord's `InMemoryCache` next to twilight-cache-inmemory 0.18,
//! both fed the same GUILD_CREATE payloads.
//!
//! For each world size (guilds × 100 members, 20 channels, 10 roles; a
//! tenth of each guild's members are users shared with other guilds), and
//! for each cache:
//!
//! 1. the payloads are built as JSON text first (not counted);
//! 2. a cache is made and every payload parsed by that library and fed to
//!    it, the parsed event dropped right after;
//! 3. live heap bytes are read (a counting global allocator), the cache is
//!    dropped, live bytes are read again: the difference is what the cache
//!    holds.
//!
//! The same is done with the members left out of the same guilds, so the
//! members' share is `full - without members` and the rest is the guilds'.
//!
//! Run: `cargo run --release` (add sizes as arguments: `cargo run
//! --release -- 100 1000 5000`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

mod world;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call goes to `System` with the caller's arguments; the
// counter is only arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Bytes a cache built by `fill` holds: live bytes with it full minus
/// live bytes after dropping it.
fn measure<C>(fill: impl FnOnce() -> C) -> usize {
    let cache = fill();
    let full = live();
    drop(cache);
    let after = live();
    usize::try_from(full - after).expect("dropping the cache freed memory")
}

fn acord_cache(payloads: &[String]) -> acord::cache::InMemoryCache {
    // the Client's default: every resource, 100 messages per channel
    acord_cache_with(payloads, acord::cache::CacheConfig::default())
}

fn acord_cache_with(
    payloads: &[String],
    config: acord::cache::CacheConfig,
) -> acord::cache::InMemoryCache {
    use acord::cache::InMemoryCache;
    use acord::event::Event;
    let cache = InMemoryCache::new(config);
    for p in payloads {
        let event = Event::from_dispatch("GUILD_CREATE", p.as_bytes()).expect("acord parses it");
        cache.update(&event);
    }
    cache
}

/// Checks a cache holds the whole world (outside the measured span).
fn check_acord(payloads: &[String], w: &world::World) {
    let cache = acord_cache(payloads);
    let s = cache.stats();
    assert_eq!(
        (s.guilds, s.members, s.users),
        (payloads.len(), w.members, w.users)
    );
    assert_eq!(s.channels, payloads.len() * 20);
    assert_eq!(s.roles, payloads.len() * 10);
}

fn check_twilight(payloads: &[String], w: &world::World) {
    let cache = twilight_cache(payloads);
    let s = cache.stats();
    assert_eq!(
        (s.guilds(), s.members(), s.users()),
        (payloads.len(), w.members, w.users)
    );
    assert_eq!(s.channels(), payloads.len() * 20);
    assert_eq!(s.roles(), payloads.len() * 10);
}

fn twilight_cache(payloads: &[String]) -> twilight_cache_inmemory::DefaultInMemoryCache {
    use twilight_cache_inmemory::{DefaultInMemoryCache, ResourceType};
    use twilight_model::gateway::payload::incoming::GuildCreate;
    // acord's default resources: everything twilight has but integrations
    // (acord keeps none); reactions ride on messages; 100 messages per
    // channel (twilight's default too)
    let cache = DefaultInMemoryCache::builder()
        .resource_types(ResourceType::all() - ResourceType::INTEGRATION)
        .message_cache_size(100)
        .build();
    for p in payloads {
        let event: GuildCreate = serde_json::from_str(p).expect("twilight parses it");
        cache.update(&event);
    }
    cache
}

struct Row {
    guilds: usize,
    members: usize,
    users: usize,
    full: usize,
    bare: usize,
}

impl Row {
    fn per_member(&self) -> f64 {
        (self.full - self.bare) as f64 / self.members as f64
    }
    fn per_guild_bare(&self) -> f64 {
        self.bare as f64 / self.guilds as f64
    }
    fn per_guild(&self) -> f64 {
        self.full as f64 / self.guilds as f64
    }
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .map(|a| a.parse().expect("sizes are guild counts"))
            .collect();
        if args.is_empty() {
            vec![100, 1_000]
        } else {
            args
        }
    };
    println!(
        "| guilds | members | users | library | cache bytes | bytes/member | bytes/guild (no members) | bytes/guild (all) |"
    );
    println!("|---:|---:|---:|---|---:|---:|---:|---:|");
    for guilds in sizes {
        let shape = world::Shape {
            guilds,
            members: 100,
            channels: 20,
            roles: 10,
            shared: 10,
        };
        let full = world::build(shape, 11);
        let bare = world::build(
            world::Shape {
                members: 0,
                shared: 0,
                ..shape
            },
            11,
        );
        check_acord(&full.payloads, &full);
        check_twilight(&full.payloads, &full);
        let mut rows = Vec::new();
        for name in ["acord", "twilight"] {
            let (f, b) = match name {
                "acord" => (
                    measure(|| acord_cache(&full.payloads)),
                    measure(|| acord_cache(&bare.payloads)),
                ),
                _ => (
                    measure(|| twilight_cache(&full.payloads)),
                    measure(|| twilight_cache(&bare.payloads)),
                ),
            };
            let row = Row {
                guilds,
                members: full.members,
                users: full.users,
                full: f,
                bare: b,
            };
            println!(
                "| {} | {} | {} | {name} | {} | {:.0} | {:.0} | {:.0} |",
                row.guilds,
                row.members,
                row.users,
                row.full,
                row.per_member(),
                row.per_guild_bare(),
                row.per_guild(),
            );
            rows.push(row);
        }
        // where acord's member bytes go: the same without users
        let no_users = acord::cache::CacheConfig::default()
            .resources(acord::cache::ResourceType::all() - acord::cache::ResourceType::USER);
        let f = measure(|| acord_cache_with(&full.payloads, no_users));
        let b = measure(|| acord_cache_with(&bare.payloads, no_users));
        println!(
            "| {guilds} | {} | 0 | acord without USER (members alone) | {f} | {:.0} | {:.0} | {:.0} |",
            full.members,
            (f - b) as f64 / full.members as f64,
            b as f64 / guilds as f64,
            f as f64 / guilds as f64,
        );
        println!(
            "| {guilds} | | | **acord / twilight** | {:.2} | **{:.2}** | {:.2} | {:.2} |",
            rows[0].full as f64 / rows[1].full as f64,
            rows[0].per_member() / rows[1].per_member(),
            rows[0].per_guild_bare() / rows[1].per_guild_bare(),
            rows[0].per_guild() / rows[1].per_guild(),
        );
    }
}
