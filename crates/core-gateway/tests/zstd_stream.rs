//! `ZstdStreamDecoder` end to end: a `Shard` asks the fake Discord for
//! `compress=zstd-stream` and receives every dispatch, also when each
//! message comes as many small WebSocket frames, and a corrupt stream makes
//! it reconnect and resume.
#![cfg(all(feature = "runtime", feature = "zstd"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use acord_core_gateway::{Decoder, ReconnectReason, Shard, ShardEvent, ZstdStreamDecoder};
use acord_core_signals::Compression;
use acord_testkit::{FakeDiscord, ShardTarget};
use common::*;
use serde_json::json;

async fn fake() -> FakeDiscord {
    FakeDiscord::builder()
        .heartbeat_interval(Duration::from_secs(45))
        .identify_window(WINDOW)
        .privileged_intents(acord_core_signals::Intents::MESSAGE_CONTENT)
        .guilds(2)
        .start()
        .await
        .unwrap()
}

fn spawn(fake: &FakeDiscord) -> (Shard, tokio::sync::mpsc::Receiver<ShardEvent>) {
    Shard::spawn(
        config(fake)
            .decoder(|| Box::new(ZstdStreamDecoder::new()))
            .build()
            .unwrap(),
    )
}

/// A MESSAGE_CREATE `d` (the shared helper's) whose content is `content`.
fn message_with(fake: &FakeDiscord, n: usize, content: String) -> serde_json::Value {
    let mut d = message(fake, n as u64);
    d["content"] = json!(content);
    d
}

/// Sends `count` MESSAGE_CREATEs of growing size and checks that every one
/// arrives, in order, with its content intact.
async fn every_dispatch_arrives(fake: &FakeDiscord, count: usize) {
    let (shard, mut rx) = spawn(fake);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    for n in 0..count {
        // up to ~40 KB: several hundred frames of 64 bytes each
        let content = format!("{n}:") + &"zstd ".repeat(n * 400);
        fake.dispatch(
            ShardTarget::All,
            "MESSAGE_CREATE",
            message_with(fake, n, content),
        );
    }
    let mut got = 0;
    while got < count {
        let event = until(
            &mut rx,
            &mut seen,
            |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
        )
        .await;
        let ShardEvent::Dispatch(d) = event else {
            unreachable!()
        };
        let v: serde_json::Value = d.deserialize().unwrap();
        let content = v["content"].as_str().unwrap();
        assert!(
            content.starts_with(&format!("{got}:")),
            "dispatch {got} out of order"
        );
        assert_eq!(content.len(), format!("{got}:").len() + got * 400 * 5);
        got += 1;
    }
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, ShardEvent::Reconnecting { .. })),
        "no decode error, no reconnect: {seen:#?}"
    );
    let seqs = seqs(&seen);
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0] + 1, "sequence gap in {seqs:?}");
    }
    shard.close(true).await.unwrap();
}

#[tokio::test]
async fn the_shard_asks_for_zstd_stream_and_receives_every_dispatch() {
    let fake = fake().await;
    every_dispatch_arrives(&fake, 20).await;
    // the URL asked for zstd-stream: the fake answered HELLO, READY and the
    // dispatches through one zstd stream per connection
    assert_eq!(
        ZstdStreamDecoder::new().compression(),
        Some(Compression::ZstdStream)
    );
    let identify = fake
        .wait_for_gateway_payload(|p| p.op == 2, GUARD)
        .await
        .expect("an IDENTIFY");
    assert!(!identify.json.contains("\"compress\":true"));
    fake.shutdown().await;
}

#[tokio::test]
async fn messages_split_over_many_websocket_frames_arrive_whole() {
    let fake = fake().await;
    // every zstd-stream message, HELLO and READY included, as WebSocket
    // frames of at most 64 bytes
    fake.set_frame_split(Some(64));
    every_dispatch_arrives(&fake, 20).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_zstd_stream_reconnects_and_resumes() {
    let fake = fake().await;
    let (shard, mut rx) = spawn(&fake);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let asked = Instant::now();
    fake.send_corrupt_frame(ShardTarget::All);
    let reconnecting = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(
        matches!(
            reconnecting,
            ShardEvent::Reconnecting {
                reason: ReconnectReason::Driver,
                ..
            }
        ),
        "{reconnecting:?}"
    );
    until(&mut rx, &mut seen, is_resumed).await;
    // the fresh connection has a fresh context: dispatches decode again
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        message_with(&fake, 1, "after the reset".into()),
    );
    let event = until(
        &mut rx,
        &mut seen,
        |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
    )
    .await;
    let ShardEvent::Dispatch(d) = event else {
        unreachable!()
    };
    assert!(d.as_str().contains("after the reset"));
    assert!(asked.elapsed() < GUARD);
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}
