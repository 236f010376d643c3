//! The byte-bounded backlog between the socket and the consumer, end to
//! end against acord-testkit's fake (real sockets on loopback, short
//! heartbeat intervals): a consumer that stalls for longer than two
//! heartbeat intervals makes the shard stop reading within the byte bound,
//! heartbeats go on and reach the gateway, no zombie reconnect happens,
//! and once the consumer reads again every dispatch arrives exactly once
//! and in order.
#![cfg(feature = "runtime")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use acord_core_gateway::{Shard, ShardConfig, ShardEvent};
use acord_core_signals::{GatewayOpcode, Intents};
use acord_testkit::stream::{StreamSpec, STREAM_END_CONTENT};
use acord_testkit::{FakeDiscord, ShardTarget};
use common::*;

/// What a dispatch counts against the bound (its `d`, its name and the
/// 128 bytes of overhead the shard adds, see `max_backlog_bytes`).
fn counted_size(d: &acord_core_gateway::Dispatch) -> u64 {
    (d.raw().len() + d.name().len() + 128) as u64
}

/// A MESSAGE_CREATE of about 2 KB: content `message {n}` and padding.
fn padded(fake: &FakeDiscord, n: u64) -> serde_json::Value {
    let mut m = message(fake, n);
    m["content"] = format!("message {n} {}", "x".repeat(1500)).into();
    m
}

fn message_number(d: &acord_core_gateway::Dispatch) -> Option<u64> {
    let v: serde_json::Value = d.deserialize().ok()?;
    let content = v["content"].as_str()?;
    content
        .strip_prefix("message ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// The consumer stops reading while 200 messages (about 400 KB) arrive:
/// the shard stops reading at the 32 KiB bound (plus at most the message
/// it was reading), four heartbeats reach the fake during the pause (more
/// than two intervals) while their ACKs sit unread in the socket, the
/// connection is not closed as a zombie, and after the consumer resumes
/// every message arrives once, in order, with contiguous sequence numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_pauses_reading_within_the_byte_bound_and_heartbeats_go_on() {
    const INTERVAL: Duration = Duration::from_millis(100);
    const BOUND: usize = 32 * 1024;
    const MESSAGES: u64 = 200;
    let fake = FakeDiscord::builder()
        .heartbeat_interval(INTERVAL)
        .identify_window(WINDOW)
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .guilds(1)
        .start()
        .await
        .unwrap();
    let (shard, mut rx) = Shard::spawn(
        config(&fake)
            .event_capacity(4)
            .max_backlog_bytes(BOUND)
            .build()
            .unwrap(),
    );
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    seen.clear();

    // the consumer stalls from here
    for n in 0..MESSAGES {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", padded(&fake, n));
    }
    let messenger = shard.messenger();
    eventually("the shard pauses reading", || {
        messenger.info().read_pauses >= 1
    })
    .await;
    let paused_at = Instant::now();
    let beats_before = shard.info().heartbeats_sent;
    // four heartbeats reach the fake while the consumer still stalls
    let mut last = paused_at;
    for beat in 0..4 {
        let record = fake
            .wait_for_gateway_payload(
                |p| p.op == GatewayOpcode::Heartbeat as u8 && p.at > last,
                GUARD,
            )
            .await
            .unwrap_or_else(|| panic!("heartbeat {beat} of the pause never reached the fake"));
        last = record.at;
        let info = shard.info();
        // still paused: nothing was read since, the backlog is not drained
        assert_eq!(info.read_pauses, 1, "{info:?}");
        assert!(info.backlog_bytes as usize > BOUND / 2, "{info:?}");
        assert_eq!(info.reconnects, 0, "{info:?}");
    }
    let stalled_for = last.duration_since(paused_at);
    assert!(
        stalled_for > 2 * INTERVAL,
        "stalled for {stalled_for:?} only"
    );
    assert!(shard.info().heartbeats_sent >= beats_before + 4);
    assert!(
        fake.client_closes().is_empty(),
        "{:?}",
        fake.client_closes()
    );

    // the consumer reads again: every message once, in order
    let mut numbers = Vec::new();
    let mut seqs = Vec::new();
    let mut largest = 0;
    let deadline = tokio::time::Instant::now() + GUARD;
    while numbers.len() < MESSAGES as usize {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out reading the backlog")
            .expect("event stream ended");
        match &event {
            ShardEvent::Dispatch(d) => {
                largest = largest.max(counted_size(d));
                seqs.push(d.seq());
                if d.name() == "MESSAGE_CREATE" {
                    numbers.push(message_number(d).expect("a test message"));
                }
            }
            ShardEvent::Reconnecting { .. } | ShardEvent::Disconnected { .. } => {
                panic!("the connection was dropped during or after the pause: {event:?}")
            }
            _ => {}
        }
    }
    assert_eq!(numbers, (0..MESSAGES).collect::<Vec<_>>());
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence numbers not contiguous: {seqs:?}"
    );
    let info = shard.info();
    assert!(
        info.peak_backlog_bytes <= BOUND as u64 + largest,
        "peak {} over the bound {BOUND} plus one message ({largest})",
        info.peak_backlog_bytes
    );
    // reading again may pause again (each time the consumer falls behind
    // by the bound), never reconnect
    assert_eq!(info.reconnects, 0, "{info:?}");
    // everything read and dropped: nothing is counted any more
    eventually("the backlog is empty", || {
        messenger.info().backlog_bytes == 0
    })
    .await;
    assert!(fake.client_closes().is_empty());
    shard.close(true).await.unwrap();
}

/// The fake's stream mode (zlib-stream, GUILD_CREATEs of about 115 KB,
/// heartbeats answered between dispatches): the consumer takes a few
/// dispatches, then stalls while the shard sends three heartbeats, then
/// reads the rest. The shard pauses at the 256 KiB bound (a GUILD_CREATE
/// may pass it by its own size), and the whole stream arrives in order,
/// without a reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_gets_the_whole_stream_in_order() {
    const BOUND: usize = 256 * 1024;
    let fake = FakeDiscord::builder()
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let stream = fake.start_stream(StreamSpec::new(400)).await.unwrap();
    let config = ShardConfig::builder(
        fake.token(),
        Intents::GUILDS
            | Intents::GUILD_MEMBERS
            | Intents::GUILD_PRESENCES
            | Intents::GUILD_MESSAGES
            | Intents::GUILD_MESSAGE_REACTIONS
            | Intents::GUILD_MESSAGE_TYPING
            | Intents::MESSAGE_CONTENT,
        stream.url(),
    )
    .backoff(Duration::from_millis(20), Duration::from_millis(200))
    .event_capacity(8)
    .max_backlog_bytes(BOUND)
    .build()
    .unwrap();
    let (shard, mut rx) = Shard::spawn(config);
    let mut names = Vec::new();
    let mut seqs = Vec::new();
    let mut largest = 0;
    let mut ended = false;
    let deadline = tokio::time::Instant::now() + GUARD;
    let mut stalled = false;
    while !ended {
        if !stalled && names.len() == 20 {
            // the consumer stalls: the shard fills its backlog and stops
            // reading; three heartbeats go out meanwhile
            stalled = true;
            let messenger = shard.messenger();
            eventually("the shard pauses reading", || {
                messenger.info().read_pauses >= 1
            })
            .await;
            let beats = shard.info().heartbeats_sent;
            eventually("three heartbeats during the pause", || {
                messenger.info().heartbeats_sent >= beats + 3
            })
            .await;
            let info = shard.info();
            assert_eq!(info.reconnects, 0, "{info:?}");
            assert!(info.backlog_bytes as usize > BOUND / 2, "{info:?}");
        }
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out reading the stream")
            .expect("event stream ended");
        match event {
            ShardEvent::Dispatch(d) => {
                largest = largest.max(counted_size(&d));
                names.push(d.name().to_owned());
                seqs.push(d.seq());
                ended = d.name() == "MESSAGE_CREATE" && d.as_str().contains(STREAM_END_CONTENT);
            }
            ShardEvent::Reconnecting { .. } | ShardEvent::Disconnected { .. } => {
                panic!("the connection was dropped before the end: {event:?}")
            }
            _ => {}
        }
    }
    assert!(stalled);
    assert_eq!(names, stream.names());
    assert_eq!(seqs, (1..=names.len() as u64).collect::<Vec<_>>());
    let info = shard.info();
    assert!(
        info.peak_backlog_bytes <= BOUND as u64 + largest,
        "peak {} over the bound {BOUND} plus one message ({largest})",
        info.peak_backlog_bytes
    );
    // (the stream's close 4000 after the end marker makes the shard
    // reconnect now; no Reconnecting came before the end, checked above)
    drop(rx);
    shard.close(true).await.unwrap();
}
