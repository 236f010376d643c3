//! Decode + envelope throughput on a zlib-stream mix of realistic events:
//! MESSAGE_CREATE, GUILD_CREATE with 200 members, PRESENCE_UPDATE and
//! TYPING_START. Reported twice: in bytes (decompressed JSON) and in events.
//! Before measuring it prints allocations per event for one pass over the
//! stream through each path (STYLE.md §7: a rise is a regression to
//! explain). The counting allocator is `stats_alloc`'s `INSTRUMENTED_SYSTEM`
//! (the `unsafe` lives in that crate, not here); its atomic counters add a
//! little to every timing in this binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use acord_core_gateway::{
    Connection, ConnectionConfig, Decoder, Envelope, Event, Frame, ZlibStreamDecoder,
};
use acord_core_signals::Intents;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flate2::{Compress, Compression, FlushCompress};
use serde_json::json;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn user(id: u64) -> serde_json::Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
           "global_name": format!("User {id}"), "avatar": "a1b2c3d4e5f6", "bot": false})
}

fn message_create(seq: u64) -> serde_json::Value {
    json!({"op":0,"s":seq,"t":"MESSAGE_CREATE","d":{
        "id": (1_200_000_000_000_000_000u64 + seq).to_string(), "channel_id":"1100000000000000001",
        "guild_id":"1000000000000000001", "author": user(seq % 500),
        "member": {"roles":["1000000000000000002"],"joined_at":"2023-01-01T00:00:00.000000+00:00","deaf":false,"mute":false,"flags":0},
        "content": format!("hello there, this is message number {seq} with some text"),
        "timestamp":"2024-05-01T12:00:00.000000+00:00","edited_timestamp":null,"tts":false,
        "mention_everyone":false,"mentions":[],"mention_roles":[],"attachments":[],"embeds":[],
        "pinned":false,"type":0,"flags":0,"nonce":"1234567890"}})
}

fn presence_update(seq: u64) -> serde_json::Value {
    json!({"op":0,"s":seq,"t":"PRESENCE_UPDATE","d":{
        "user":{"id":(seq % 500).to_string()},"guild_id":"1000000000000000001","status":"online",
        "activities":[{"name":"a game","type":0,"created_at":1714560000000u64}],
        "client_status":{"desktop":"online"}}})
}

fn typing_start(seq: u64) -> serde_json::Value {
    json!({"op":0,"s":seq,"t":"TYPING_START","d":{
        "channel_id":"1100000000000000001","guild_id":"1000000000000000001",
        "user_id":(seq % 500).to_string(),"timestamp":1714560000u64}})
}

fn guild_create(seq: u64) -> serde_json::Value {
    let members: Vec<_> = (0..200)
        .map(|i| json!({"user": user(i), "nick": null, "roles": ["1000000000000000002"],
                        "joined_at":"2023-01-01T00:00:00.000000+00:00","deaf":false,"mute":false,"flags":0}))
        .collect();
    let channels: Vec<_> = (0..20)
        .map(|i| {
            json!({"id": (1_100_000_000_000_000_000u64 + i).to_string(), "type": 0,
                        "name": format!("channel-{i}"), "position": i, "permission_overwrites": [],
                        "topic": null, "nsfw": false, "parent_id": null})
        })
        .collect();
    let roles: Vec<_> = (0..10)
        .map(|i| json!({"id": (1_000_000_000_000_000_002u64 + i).to_string(), "name": format!("role {i}"),
                        "color": 0, "hoist": false, "position": i, "permissions": "104324673",
                        "managed": false, "mentionable": false, "flags": 0}))
        .collect();
    json!({"op":0,"s":seq,"t":"GUILD_CREATE","d":{
        "id":"1000000000000000001","name":"A big guild","icon":null,"owner_id":"1","afk_channel_id":null,
        "afk_timeout":300,"verification_level":1,"default_message_notifications":0,"explicit_content_filter":0,
        "roles":roles,"emojis":[],"features":[],"mfa_level":0,"system_channel_id":null,"joined_at":"2023-01-01T00:00:00.000000+00:00",
        "large":false,"unavailable":false,"member_count":200,"voice_states":[],"members":members,
        "channels":channels,"threads":[],"presences":[],"stage_instances":[],"guild_scheduled_events":[]}})
}

/// 500 messages: per 100, 1 GUILD_CREATE, 60 MESSAGE_CREATE, 20
/// PRESENCE_UPDATE, 19 TYPING_START; each compressed with a sync flush.
fn stream() -> (Vec<Vec<u8>>, usize) {
    let mut deflate = Compress::new(Compression::default(), true);
    let mut frames = Vec::new();
    let mut raw = 0;
    for seq in 1..=500u64 {
        let v = match seq % 100 {
            0 => guild_create(seq),
            1..=60 => message_create(seq),
            61..=80 => presence_update(seq),
            _ => typing_start(seq),
        };
        let text = serde_json::to_string(&v).unwrap();
        raw += text.len();
        let mut out = Vec::with_capacity(text.len());
        let mut consumed = 0;
        loop {
            out.reserve(8192);
            let before = deflate.total_in();
            deflate
                .compress_vec(&text.as_bytes()[consumed..], &mut out, FlushCompress::Sync)
                .unwrap();
            consumed += (deflate.total_in() - before) as usize;
            if consumed >= text.len() && out.len() < out.capacity() {
                break;
            }
        }
        frames.push(out);
    }
    (frames, raw)
}

fn decode_envelope(frames: &[Vec<u8>], decoder: &mut ZlibStreamDecoder) -> usize {
    decoder.reset();
    let mut bytes = 0;
    for f in frames {
        let text = decoder.decode(Frame::Binary(f)).unwrap().unwrap();
        let env = Envelope::parse(text).unwrap();
        let d = env.data().unwrap();
        // the one copy a consumer gets: `d` as shareable bytes
        let raw = bytes::Bytes::copy_from_slice(d.as_bytes());
        bytes += raw.len() + env.seq().unwrap_or(0) as usize % 2;
    }
    bytes
}

fn through_connection(frames: &[Vec<u8>], decoder: &mut ZlibStreamDecoder) -> usize {
    decoder.reset();
    let config = ConnectionConfig::builder("t", Intents::GUILDS, "wss://gateway.example")
        .build()
        .unwrap();
    let mut conn = Connection::new(config);
    conn.on_connected();
    let now = Instant::now();
    let mut events = 0;
    for f in frames {
        let text = decoder.decode(Frame::Binary(f)).unwrap().unwrap();
        conn.recv(text, now).unwrap();
        while let Some(ev) = conn.poll_event() {
            if let Event::Dispatch(d) = ev {
                events += d.raw().len().min(1);
            }
        }
    }
    events
}

/// Runs `pass` once to warm up, then once inside a `Region`, and prints the
/// allocations and bytes allocated per event.
fn print_allocs(label: &str, events: usize, mut pass: impl FnMut() -> usize) {
    criterion::black_box(pass());
    let region = Region::new(GLOBAL);
    criterion::black_box(pass());
    let s = region.change();
    let n = events as f64;
    eprintln!(
        "{label}: {:.2} allocations (+{:.2} reallocations), {:.0} bytes allocated per event \
         ({} allocations, {} reallocations, {} bytes over {events} events)",
        s.allocations as f64 / n,
        s.reallocations as f64 / n,
        s.bytes_allocated as f64 / n,
        s.allocations,
        s.reallocations,
        s.bytes_allocated
    );
}

fn bench(c: &mut Criterion) {
    let (frames, raw) = stream();
    let compressed: usize = frames.iter().map(Vec::len).sum();
    eprintln!(
        "zlib-stream mix: {} messages, {raw} bytes JSON, {compressed} bytes compressed",
        frames.len()
    );
    let mut decoder = ZlibStreamDecoder::new();
    print_allocs("decode_envelope", frames.len(), || {
        decode_envelope(&frames, &mut decoder)
    });
    print_allocs("connection_recv", frames.len(), || {
        through_connection(&frames, &mut decoder)
    });

    let mut g = c.benchmark_group("decode_envelope");
    g.throughput(Throughput::Bytes(raw as u64));
    g.bench_function("zlib_mix_bytes", |b| {
        b.iter(|| decode_envelope(&frames, &mut decoder))
    });
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("zlib_mix_events", |b| {
        b.iter(|| decode_envelope(&frames, &mut decoder))
    });
    g.finish();

    let mut g = c.benchmark_group("connection_recv");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("zlib_mix_events", |b| {
        b.iter(|| through_connection(&frames, &mut decoder))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
