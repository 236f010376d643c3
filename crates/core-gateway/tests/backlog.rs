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

use acord_core_gateway::{JsonDecoder, Shard, ShardConfig, ShardEvent};
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

/// A fake with `interval` heartbeats and one guild, a shard bounded at
/// `bound` bytes with `capacity` events in its channel, READY read, then
/// `messages` padded MESSAGE_CREATEs sent, none of them read yet.
async fn flooded_shard(
    interval: Duration,
    bound: usize,
    capacity: usize,
    messages: u64,
) -> (FakeDiscord, Shard, tokio::sync::mpsc::Receiver<ShardEvent>) {
    let fake = FakeDiscord::builder()
        .heartbeat_interval(interval)
        .identify_window(WINDOW)
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .guilds(1)
        .start()
        .await
        .unwrap();
    let (shard, mut rx) = Shard::spawn(
        config(&fake)
            .event_capacity(capacity)
            .max_backlog_bytes(bound)
            .build()
            .unwrap(),
    );
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    for n in 0..messages {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", padded(&fake, n));
    }
    (fake, shard, rx)
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
    // the consumer stalls from here
    let (fake, shard, mut rx) = flooded_shard(INTERVAL, BOUND, 4, MESSAGES).await;
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
    // (one of the four may have been counted in `beats_before` already:
    // sent just before it was read, received by the fake after `paused_at`)
    let beats = shard.info().heartbeats_sent;
    assert!(beats >= beats_before + 3, "{beats_before} -> {beats}");
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

/// The resume point (hysteresis): the consumer takes every dispatch it
/// can but keeps them, so the channel is empty and only the bytes hold the
/// shard. Giving back enough to be under the bound but not under half of
/// it does not make the shard read again (no new dispatch for five
/// heartbeat intervals, still one pause, heartbeats go on); going under
/// half does, and every message arrives once, in order, with contiguous
/// sequence numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_shard_reads_again_only_under_half_the_bound() {
    const INTERVAL: Duration = Duration::from_millis(100);
    const BOUND: usize = 32 * 1024;
    const MESSAGES: u64 = 100;
    // a channel far larger than the bound: nothing waits for room in it
    let (fake, shard, mut rx) = flooded_shard(INTERVAL, BOUND, 1024, MESSAGES).await;
    let messenger = shard.messenger();
    let mut held = std::collections::VecDeque::new();
    let mut seqs = Vec::new();
    // every event taken from the channel: dispatches kept, a dropped
    // connection fails the test
    let mut take =
        |rx: &mut tokio::sync::mpsc::Receiver<ShardEvent>,
         held: &mut std::collections::VecDeque<acord_core_gateway::Dispatch>| {
            let mut dispatches = 0;
            while let Ok(event) = rx.try_recv() {
                match event {
                    ShardEvent::Dispatch(d) => {
                        seqs.push(d.seq());
                        held.push_back(d);
                        dispatches += 1;
                    }
                    ShardEvent::Reconnecting { .. } | ShardEvent::Disconnected { .. } => {
                        panic!("the connection was dropped: {event:?}")
                    }
                    _ => {}
                }
            }
            dispatches
        };
    let deadline = Instant::now() + GUARD;
    while messenger.info().read_pauses == 0 {
        assert!(Instant::now() < deadline, "the shard never paused");
        take(&mut rx, &mut held);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // what was read before the pause is in the channel by now
    take(&mut rx, &mut held);
    let info = shard.info();
    assert!(info.backlog_bytes as usize >= BOUND, "{info:?}");
    assert!((held.len() as u64) < MESSAGES, "{info:?}");
    // the backlog is exactly what the consumer holds: nothing waits in
    // the shard or the channel
    let held_bytes = |held: &std::collections::VecDeque<acord_core_gateway::Dispatch>| {
        held.iter().map(counted_size).sum::<u64>()
    };
    assert_eq!(held_bytes(&held), info.backlog_bytes);

    // give back until under the bound, still over half of it
    let mut numbers = Vec::new();
    while shard.info().backlog_bytes as usize >= BOUND {
        let d = held.pop_front().expect("the backlog is what is held");
        numbers.extend(message_number(&d));
    }
    let info = shard.info();
    assert!(info.backlog_bytes as usize > BOUND / 2, "{info:?}");
    let beats = info.heartbeats_sent;
    tokio::time::sleep(5 * INTERVAL).await;
    assert_eq!(
        take(&mut rx, &mut held),
        0,
        "read again over half the bound"
    );
    let info = shard.info();
    assert_eq!(info.read_pauses, 1, "{info:?}");
    assert!(info.heartbeats_sent >= beats + 3, "{beats} -> {info:?}");
    assert_eq!(info.reconnects, 0, "{info:?}");

    // under half: reading goes on (counted from what is held: the shard
    // reads again as soon as the count is under half)
    while held_bytes(&held) as usize > BOUND / 2 {
        let d = held.pop_front().expect("the backlog is what is held");
        numbers.extend(message_number(&d));
    }
    let deadline = Instant::now() + GUARD;
    while take(&mut rx, &mut held) == 0 {
        assert!(Instant::now() < deadline, "the shard did not read again");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // and the rest as it comes, dropped as taken
    while numbers.len() < MESSAGES as usize {
        assert!(Instant::now() < deadline, "timed out reading the rest");
        take(&mut rx, &mut held);
        match held.pop_front() {
            Some(d) => numbers.extend(message_number(&d)),
            None => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    assert_eq!(numbers, (0..MESSAGES).collect::<Vec<_>>());
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence numbers not contiguous: {seqs:?}"
    );
    drop(held);
    eventually("the backlog is empty", || {
        messenger.info().backlog_bytes == 0
    })
    .await;
    assert!(fake.client_closes().is_empty());
    shard.close(true).await.unwrap();
}

/// The largest buffers the kernel may give a TCP socket on its own
/// (autotuning): the third field of `tcp_rmem` and of `tcp_wmem` (Linux).
/// Elsewhere, Linux's defaults (6 MiB and 4 MiB).
fn socket_buffer_maxima() -> (u64, u64) {
    fn third(path: &str, default: u64) -> u64 {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(default)
    }
    (
        third("/proc/sys/net/ipv4/tcp_rmem", 6 << 20),
        third("/proc/sys/net/ipv4/tcp_wmem", 4 << 20),
    )
}

/// The intents the stream's mix needs.
fn stream_intents() -> Intents {
    Intents::GUILDS
        | Intents::GUILD_MEMBERS
        | Intents::GUILD_PRESENCES
        | Intents::GUILD_MESSAGES
        | Intents::GUILD_MESSAGE_REACTIONS
        | Intents::GUILD_MESSAGE_TYPING
        | Intents::MESSAGE_CONTENT
}

/// TCP flow control, seen from the sender: the fake's stream mode (plain
/// JSON, GUILD_CREATEs of about 0.5 MB) sends at least twice what the
/// socket buffers of both ends could ever hold (`tcp_rmem` + `tcp_wmem`
/// maxima, 36 MiB on a machine with a 32 MiB `tcp_rmem` maximum, so a
/// stream of 72 MiB or more), the consumer stalls right after READY with
/// a 64 KiB bound. While it stalls:
///
/// - the fake's writer waits on its socket (the kernel refused its latest
///   write); between two readings at least four heartbeat intervals apart
///   the bytes it got out grow by no more than the kernel buffers could
///   take (usually not at all), and stay below what the shard read
///   plus the buffers could take, at most half the stream;
/// - the shard's heartbeats keep reaching the fake (at least three), and
///   nothing closes the connection.
///
/// Once the consumer reads again the fake gets going again, answers every
/// heartbeat of the stall, and every dispatch arrives exactly once, in
/// order, without a reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_stops_the_sender_through_tcp_flow_control() {
    const INTERVAL: Duration = Duration::from_millis(250);
    const BOUND: usize = 64 * 1024;
    const MEMBERS: usize = 1000;
    /// A GUILD_CREATE of `MEMBERS` members is about 0.56 MB; with slack.
    const LARGEST_ESTIMATE: u64 = 700 * 1024;
    /// Tungstenite's write buffer on the fake's side (its default).
    const WS_WRITE_BUFFER: u64 = 128 * 1024;
    /// A write the kernel takes may overshoot the send buffer, and frame
    /// headers, the handshake and READY add a little.
    const SLACK: u64 = 512 * 1024;
    let (rmem, wmem) = socket_buffer_maxima();
    // what the fake can get out while nobody reads: what the shard reads
    // (its bound, plus the message it is reading, plus one partly read),
    // the kernel's receive and send buffers, tungstenite's write buffer
    // and the message being written
    let absorbable =
        |largest: u64| BOUND as u64 + 3 * largest + rmem + wmem + WS_WRITE_BUFFER + SLACK;
    let target = 2 * absorbable(LARGEST_ESTIMATE);
    let fake = FakeDiscord::builder()
        .heartbeat_interval(INTERVAL)
        .start()
        .await
        .unwrap();
    // about 7 KB per event with this mix; built again, larger, if short
    let mut events = usize::try_from(target / 6500).unwrap();
    let stream = loop {
        let stream = fake
            .start_stream(StreamSpec::new(events).members(MEMBERS))
            .await
            .unwrap();
        let total = stream.payload_bytes() as u64;
        if total >= target {
            break stream;
        }
        events = usize::try_from(events as u64 * target / total + 100).unwrap();
    };
    let total = stream.payload_bytes() as u64;
    let config = ShardConfig::builder(fake.token(), stream_intents(), stream.url())
        .decoder(|| Box::new(JsonDecoder::new()))
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .event_capacity(8)
        .max_backlog_bytes(BOUND)
        .build()
        .unwrap();
    let (shard, mut rx) = Shard::spawn(config);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let mut names = Vec::new();
    let mut seqs = Vec::new();
    for event in &seen {
        if let ShardEvent::Dispatch(d) = event {
            names.push(d.name().to_owned());
            seqs.push(d.seq());
        }
    }
    drop(seen);

    // the consumer stalls from here; the fake fills the buffers and waits
    let messenger = shard.messenger();
    eventually("the shard pauses reading", || {
        messenger.info().read_pauses >= 1
    })
    .await;
    let settle_deadline = Instant::now() + GUARD;
    let mut last = stream.progress();
    let mut still = 0;
    while still < 3 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = stream.progress();
        still = if now.waiting_for_socket == 1 && now.bytes_written == last.bytes_written {
            still + 1
        } else {
            0
        };
        last = now;
        assert!(
            Instant::now() < settle_deadline,
            "the fake never stopped on its socket: {last:?} (stream: {total} bytes)"
        );
    }
    let first = last;
    let stall_started = Instant::now();
    // at least four heartbeat intervals, and until three more heartbeats
    // reached the fake
    tokio::time::sleep(4 * INTERVAL).await;
    eventually("three heartbeats reach the fake during the stall", || {
        stream.progress().heartbeats_received >= first.heartbeats_received + 3
    })
    .await;
    let second = stream.progress();
    let stalled_for = stall_started.elapsed();
    let info = shard.info();
    assert_eq!(info.reconnects, 0, "{info:?}");
    assert!(info.backlog_bytes as usize > BOUND / 2, "{info:?}");
    assert_eq!(second.connections, 1, "{second:?}");
    assert_eq!(
        second.waiting_for_socket, 1,
        "the fake's writer is not waiting on its socket: {second:?}"
    );
    assert!(
        second.bytes_written - first.bytes_written <= rmem + wmem,
        "the fake sent {} bytes in {stalled_for:?} of stall, more than the socket \
         buffers could take ({rmem} + {wmem})",
        second.bytes_written - first.bytes_written
    );

    // the consumer reads again: the whole stream, once, in order
    let mut largest = 0;
    let deadline = tokio::time::Instant::now() + 4 * GUARD;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out reading the stream")
            .expect("event stream ended");
        match event {
            ShardEvent::Dispatch(d) => {
                largest = largest.max(d.as_str().len() as u64);
                names.push(d.name().to_owned());
                seqs.push(d.seq());
                if d.name() == "MESSAGE_CREATE" && d.as_str().contains(STREAM_END_CONTENT) {
                    break;
                }
            }
            ShardEvent::Reconnecting { .. } | ShardEvent::Disconnected { .. } => {
                panic!("the connection was dropped before the end: {event:?}")
            }
            _ => {}
        }
    }
    // (the stream's close 4000 after the end marker may already have made
    // the shard reconnect, and the fake start the stream again; no
    // Reconnecting came before the end, checked above)
    let expected = stream.names();
    let differ = names.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        names.len() == expected.len() && differ.is_none(),
        "{} dispatches received, {} sent; first difference at {differ:?}",
        names.len(),
        expected.len()
    );
    let gap = seqs.iter().zip(1..).position(|(&s, i)| s != i);
    assert_eq!(gap, None, "sequence numbers not 1, 2, 3, ...");
    let end = stream.progress();
    assert!(end.bytes_written >= total, "{end:?}, stream {total} bytes");
    assert!(
        end.dispatches >= stream.total_dispatches() as u64,
        "{end:?}"
    );
    // every heartbeat of the stall was answered once the fake could write
    assert!(
        end.heartbeats_acked >= second.heartbeats_received,
        "{second:?} -> {end:?}"
    );
    // the sizing held: at most what the buffers could take got out during
    // the stall, and the stream is at least twice that
    let could_take = absorbable(largest);
    assert!(
        second.bytes_written <= could_take,
        "the fake got {} bytes out during the stall, more than the shard and the \
         buffers could take ({could_take})",
        second.bytes_written
    );
    assert!(
        total >= 2 * could_take,
        "the stream ({total} bytes) is not twice what the buffers could take \
         ({could_take}): raise LARGEST_ESTIMATE"
    );
    eprintln!(
        "flow control: the fake got {} of {total} bytes out ({:.1}%) when the \
         consumer stalled, {} after {stalled_for:?} more ({} heartbeats received \
         meanwhile); buffers could take {could_take} (tcp_rmem max {rmem}, \
         tcp_wmem max {wmem})",
        first.bytes_written,
        100.0 * first.bytes_written as f64 / total as f64,
        second.bytes_written,
        second.heartbeats_received - first.heartbeats_received,
    );
    drop(rx);
    shard.close(true).await.unwrap();
}
