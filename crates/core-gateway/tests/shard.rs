//! End-to-end tests of `Shard` against acord-testkit's fake gateway (real
//! sockets on loopback, short intervals).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use acord_core_gateway::{
    run_gateway_loop, Command, GatewayError, JsonDecoder, ReconnectReason, Shard, ShardEvent,
    ShardStatus,
};
use acord_core_signals::{CloseCode, GatewayOpcode};
use acord_testkit::{FakeDiscord, ShardTarget};
use common::*;
use tokio::sync::mpsc;

async fn fake_with(interval_ms: u64) -> FakeDiscord {
    FakeDiscord::builder()
        .heartbeat_interval(Duration::from_millis(interval_ms))
        .identify_window(WINDOW)
        .privileged_intents(acord_core_signals::Intents::MESSAGE_CONTENT)
        .guilds(2)
        .start()
        .await
        .unwrap()
}

/// The `d` of an UPDATE_PRESENCE going online.
fn online_d() -> serde_json::Value {
    serde_json::json!({"since": null, "activities": [], "status": "online", "afk": false})
}

/// UPDATE_PRESENCE (op 3) going online, as any caller builds a command.
fn online() -> Command {
    Command::new(GatewayOpcode::PresenceUpdate, &online_d()).unwrap()
}

fn assert_contiguous(seqs: &[u64]) {
    assert!(!seqs.is_empty());
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0] + 1, "sequence gap or duplicate in {seqs:?}");
    }
}

#[tokio::test]
async fn connects_identifies_and_gets_ready() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    // READY dispatch, then one GUILD_CREATE per guild
    let mut creates = 0;
    while creates < 2 {
        if let ShardEvent::Dispatch(d) =
            until(&mut rx, &mut seen, |e| matches!(e, ShardEvent::Dispatch(_))).await
        {
            if d.name() == "GUILD_CREATE" {
                creates += 1;
                assert!(d.as_str().contains("\"id\""));
            }
        }
    }
    assert_contiguous(&seqs(&seen));
    let identify = fake
        .gateway_payloads()
        .into_iter()
        .find(|p| p.op == GatewayOpcode::Identify.code())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&identify.json).unwrap();
    assert_eq!(v["d"]["shard"], serde_json::json!([0, 1]));
    assert_eq!(v["d"]["intents"], intents().bits());
    let info = shard.info();
    assert_eq!(info.status, ShardStatus::Ready);
    assert_eq!(info.identifies, 1);
    assert!(!format!("{shard:?}").contains(fake.token()));
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn op7_resumes_without_losing_or_duplicating_events() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    for n in 0..5 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    fake.send_reconnect(ShardTarget::All);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting {
            reason: ReconnectReason::Requested,
            resume: true,
            ..
        }
    ));
    // events pushed while the shard reconnects are replayed on RESUME
    for n in 5..10 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    until(&mut rx, &mut seen, is_resumed).await;
    for n in 10..12 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    let count = |seen: &[ShardEvent]| {
        seen.iter()
            .filter(|e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"))
            .count()
    };
    while count(&seen) < 12 {
        until(
            &mut rx,
            &mut seen,
            |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
        )
        .await;
    }
    let contents: Vec<String> = seen
        .iter()
        .filter_map(|e| match e {
            ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE" => {
                let v: serde_json::Value = d.deserialize().unwrap();
                Some(v["content"].as_str().unwrap().to_owned())
            }
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..12).map(|n| format!("message {n}")).collect();
    assert_eq!(contents, expected);
    assert_contiguous(&seqs(&seen));
    let c = fake.counters();
    assert_eq!((c.identifies, c.resumes), (1, 1));
    assert_eq!(shard.info().resumes, 1);
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn op9_false_identifies_again_and_op9_true_resumes() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    fake.send_invalid_session(ShardTarget::All, false);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting { reason: ReconnectReason::InvalidSession { resumable: false }, resume: false, wait }
            if wait >= Duration::from_millis(20) && wait <= Duration::from_millis(60)
    ));
    until(&mut rx, &mut seen, is_ready).await;
    assert_eq!(fake.counters().identifies, 2);
    fake.send_invalid_session(ShardTarget::All, true);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(r, ShardEvent::Reconnecting { resume: true, .. }));
    until(&mut rx, &mut seen, is_resumed).await;
    let c = fake.counters();
    assert_eq!((c.identifies, c.resumes), (2, 1));
    let info = shard.info();
    assert_eq!((info.reidentifies, info.resumes), (1, 1));
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn close_4000_resumes_and_4009_identifies() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    fake.close_gateway(ShardTarget::All, 4000);
    let d = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Disconnected { .. })
    })
    .await;
    assert!(matches!(d, ShardEvent::Disconnected { code: Some(4000) }));
    until(&mut rx, &mut seen, is_resumed).await;
    fake.close_gateway(ShardTarget::All, 4009);
    until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Disconnected { code: Some(4009) })
    })
    .await;
    until(&mut rx, &mut seen, is_ready).await;
    let c = fake.counters();
    assert_eq!((c.identifies, c.resumes), (2, 1));
    // RESUME went to the resume_gateway_url, IDENTIFY to the original URL;
    // both are this fake, so check the order of payloads instead
    let ops: Vec<u8> = fake
        .gateway_payloads()
        .iter()
        .map(|p| p.op)
        .filter(|op| *op == 2 || *op == 6)
        .collect();
    assert_eq!(ops, [2, 6, 2]);
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn close_4004_is_fatal_with_no_reconnect_loop() {
    let fake = fake_with(45_000).await;
    let cfg =
        acord_core_gateway::ShardConfig::builder("wrong-token", intents(), fake.gateway_url())
            .backoff(Duration::from_millis(5), Duration::from_millis(10))
            .build()
            .unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    let fatal = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Fatal { .. })
    })
    .await;
    let ShardEvent::Fatal { error } = fatal else {
        unreachable!()
    };
    assert_eq!(error.close_code(), Some(CloseCode::AuthenticationFailed));
    assert!(error.to_string().contains("token"));
    assert!(!error.to_string().contains("wrong-token"));
    let err = shard.join().await.unwrap_err();
    assert!(matches!(
        err,
        GatewayError::FatalClose {
            code: CloseCode::AuthenticationFailed,
            ..
        }
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        fake.counters().gateway_connections,
        1,
        "no reconnect after 4004"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn server_closing_with_a_fatal_code_after_ready_stops_the_shard() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    fake.close_gateway(ShardTarget::All, 4014);
    let fatal = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Fatal { .. })
    })
    .await;
    let ShardEvent::Fatal { error } = fatal else {
        unreachable!()
    };
    assert!(error.to_string().contains("Developer Portal"));
    assert!(shard.join().await.is_err());
    assert_eq!(fake.counters().gateway_connections, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn zombie_connection_reconnects_and_resumes_within_two_intervals() {
    let interval = Duration::from_millis(500);
    let fake = fake_with(interval.as_millis() as u64).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    // wait for one ACKed beat so the keep-alive is in its regular rhythm
    until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::HeartbeatAck { .. })
    })
    .await;
    let t0 = Instant::now();
    fake.set_heartbeat_acks(false);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting {
            reason: ReconnectReason::Zombied,
            resume: true,
            ..
        }
    ));
    fake.set_heartbeat_acks(true);
    until(&mut rx, &mut seen, is_resumed).await;
    let took = t0.elapsed();
    assert!(
        took <= interval * 2 + Duration::from_millis(400),
        "took {took:?}"
    );
    assert_eq!(fake.counters().resumes, 1);
    assert!(shard.info().latency.is_some());
    // a messenger alone reads the same health
    let messenger_info = shard.messenger().info();
    assert_eq!(messenger_info.id, 0);
    assert_eq!(messenger_info.status, ShardStatus::Ready);
    assert!(messenger_info.latency.is_some());
    assert_eq!(messenger_info.resumes, 1);
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn server_heartbeat_request_is_answered_at_once() {
    let fake = fake_with(60_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let before = fake.counters().heartbeats_received;
    let asked = Instant::now();
    fake.request_heartbeat(ShardTarget::All);
    let hb = fake
        .wait_for_gateway_payload(|p| p.op == 1 && p.at >= asked, GUARD)
        .await
        .expect("no heartbeat after op 1");
    assert!(hb.at.duration_since(asked) < Duration::from_millis(500));
    assert!(fake.counters().heartbeats_received > before);
    let v: serde_json::Value = serde_json::from_str(&hb.json).unwrap();
    assert!(
        v["d"].as_u64().is_some(),
        "heartbeat carries the last seq: {}",
        hb.json
    );
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn zlib_stream_messages_split_across_frames() {
    let fake = fake_with(45_000).await;
    fake.set_frame_split(Some(7));
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let mut big = message(&fake, 1);
    big["content"] = serde_json::Value::String("z".repeat(1900));
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", big);
    let got = until(
        &mut rx,
        &mut seen,
        |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
    )
    .await;
    let ShardEvent::Dispatch(d) = got else {
        unreachable!()
    };
    let v: serde_json::Value = d.deserialize().unwrap();
    assert_eq!(v["content"].as_str().unwrap().len(), 1900);
    assert!(!seen
        .iter()
        .any(|e| matches!(e, ShardEvent::Reconnecting { .. })));
    assert_contiguous(&seqs(&seen));
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn corrupt_compressed_frame_reconnects_and_resumes() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    fake.send_corrupt_frame(ShardTarget::All);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting {
            reason: ReconnectReason::Driver,
            resume: true,
            ..
        }
    ));
    until(&mut rx, &mut seen, is_resumed).await;
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, 1));
    until(
        &mut rx,
        &mut seen,
        |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
    )
    .await;
    assert_contiguous(&seqs(&seen));
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn command_flood_stays_under_120_per_60s_and_heartbeats_continue() {
    let interval = Duration::from_millis(500);
    let fake = fake_with(interval.as_millis() as u64).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let messenger = shard.messenger();
    let flood = tokio::spawn(async move {
        for _ in 0..200 {
            if messenger.send(online()).await.is_err() {
                break;
            }
        }
    });
    let flood_started = Instant::now();
    // keep reading events (the consumer is healthy) for three intervals
    let watch_until = tokio::time::Instant::now() + interval * 4;
    while let Ok(Some(ev)) = tokio::time::timeout_at(watch_until, rx.recv()).await {
        seen.push(ev);
    }
    let payloads = fake.gateway_payloads();
    let presences = payloads.iter().filter(|p| p.op == 3).count();
    let beats_after = payloads
        .iter()
        .filter(|p| p.op == 1 && p.at > flood_started + interval)
        .count();
    assert!(presences > 0, "commands flowed");
    assert!(presences < 200, "the limiter held commands back");
    assert!(
        payloads.len() <= 120,
        "{} payloads in under 60 s",
        payloads.len()
    );
    assert!(beats_after >= 2, "heartbeats kept going: {beats_after}");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, ShardEvent::Disconnected { .. })),
        "no 4008"
    );
    assert_eq!(shard.info().commands_sent as usize, presences);
    flood.abort();
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn a_stuck_consumer_never_starves_heartbeats_and_loses_nothing() {
    let interval = Duration::from_millis(500);
    let fake = fake_with(interval.as_millis() as u64).await;
    let cfg = config(&fake).event_capacity(2).build().unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let beats = fake.counters().heartbeats_received;
    for n in 0..40 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    // nobody reads for four intervals
    let fake2 = fake.clone();
    eventually("heartbeats while the consumer is stuck", move || {
        fake2.counters().heartbeats_received >= beats + 3
    })
    .await;
    let info = shard.info();
    assert!(info.lagged > 0, "lag counted: {info:?}");
    assert_eq!(info.status, ShardStatus::Ready);
    // now read: every message arrives, in order, no reconnect happened
    let mut n = 0;
    while n < 40 {
        if let ShardEvent::Dispatch(d) = until(
            &mut rx,
            &mut seen,
            |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
        )
        .await
        {
            let v: serde_json::Value = d.deserialize().unwrap();
            assert_eq!(v["content"], format!("message {n}"));
            n += 1;
        }
    }
    assert!(!seen
        .iter()
        .any(|e| matches!(e, ShardEvent::Reconnecting { .. })));
    assert_eq!(fake.counters().gateway_connections, 1);
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn graceful_close_keeps_or_ends_the_session() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    shard.messenger().close(false).await.unwrap();
    until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Disconnected { code: Some(4000) })
    })
    .await;
    assert_eq!(shard.info().status, ShardStatus::Closed);
    shard.join().await.unwrap();

    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    until(&mut rx, &mut seen, is_ready).await;
    let m = shard.messenger();
    shard.close(true).await.unwrap();
    assert!(matches!(m.send(online()).await, Err(GatewayError::Closed)));
    assert_eq!(m.info().status, ShardStatus::Closed);
    assert!(matches!(m.restart(true).await, Err(GatewayError::Closed)));
    assert!(matches!(m.close(true).await, Err(GatewayError::Closed)));
    fake.shutdown().await;
}

#[tokio::test]
async fn restart_resumes_or_identifies() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    shard.messenger().restart(true).await.unwrap();
    until(&mut rx, &mut seen, is_resumed).await;
    shard.messenger().restart(false).await.unwrap();
    until(&mut rx, &mut seen, is_ready).await;
    let c = fake.counters();
    assert_eq!((c.identifies, c.resumes), (2, 1));
    let info = shard.info();
    assert_eq!(
        (info.resumes, info.reidentifies, info.reconnects),
        (1, 1, 2)
    );
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn run_gateway_loop_with_channels_and_voidable_events() {
    let interval = Duration::from_millis(400);
    let fake = fake_with(interval.as_millis() as u64).await;
    let cfg = config(&fake)
        .decoder(|| Box::new(JsonDecoder::new()))
        .build()
        .unwrap();
    let (out_tx, out_rx) = mpsc::channel(8);
    let (in_tx, mut in_rx) = mpsc::channel(4);
    let task = tokio::spawn(run_gateway_loop(cfg, out_rx, in_tx));
    let mut seen = Vec::new();
    until(&mut in_rx, &mut seen, is_ready).await;
    for n in 0..10 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    // do not read for a few heartbeats: voidable events are dropped, dispatches wait
    let fake2 = fake.clone();
    let beats = fake.counters().heartbeats_received;
    eventually("heartbeats", move || {
        fake2.counters().heartbeats_received >= beats + 3
    })
    .await;
    out_tx.send(online()).await.unwrap();
    let mut n = 0;
    while n < 10 {
        if let ShardEvent::Dispatch(d) = until(
            &mut in_rx,
            &mut seen,
            |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
        )
        .await
        {
            assert!(d.as_str().contains(&format!("message {n}\"")));
            n += 1;
        }
    }
    let presence = fake
        .wait_for_gateway_payload(|p| p.op == 3, GUARD)
        .await
        .expect("presence update sent");
    let presence: serde_json::Value = serde_json::from_str(&presence.json).unwrap();
    assert_eq!(presence["d"], online_d());
    // plain JSON was requested
    assert!(fake
        .gateway_payloads()
        .iter()
        .all(|p| p.shard.is_none() || p.shard == Some([0, 1])));
    fake.close_gateway(ShardTarget::All, 4013);
    let err = tokio::time::timeout(GUARD, task).await.unwrap().unwrap();
    assert_eq!(err.close_code(), Some(CloseCode::InvalidIntents));
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limited_member_requests_are_surfaced() {
    use acord_core_gateway::ShardConfig;
    use acord_core_signals::Intents;
    let privileged = Intents::GUILD_MEMBERS | Intents::MESSAGE_CONTENT;
    let fake = FakeDiscord::builder()
        .identify_window(WINDOW)
        .privileged_intents(privileged)
        .start()
        .await
        .unwrap();
    let cfg = ShardConfig::builder(
        fake.token(),
        intents() | Intents::GUILD_MEMBERS,
        fake.gateway_url(),
    )
    .identify_window(WINDOW)
    .build()
    .unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let guild = fake.guild_ids()[0];
    let request = Command::new(
        GatewayOpcode::RequestGuildMembers,
        &serde_json::json!({
            "guild_id": guild.to_string(),
            "query": "",
            "limit": 0,
            "nonce": "n1",
        }),
    )
    .unwrap();
    let m = shard.messenger();
    m.send(request.clone()).await.unwrap();
    until(
        &mut rx,
        &mut seen,
        |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "GUILD_MEMBERS_CHUNK"),
    )
    .await;
    m.send(request).await.unwrap();
    let limited = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::RateLimited(_))
    })
    .await;
    let ShardEvent::RateLimited(rl) = limited else {
        unreachable!()
    };
    assert_eq!(rl.opcode, GatewayOpcode::RequestGuildMembers.code());
    assert!(rl.retry_after() > Duration::ZERO);
    assert_eq!(rl.guild_id(), Some(guild.to_string().as_str()));
    assert_eq!(rl.nonce(), Some("n1"));
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn a_rejected_resume_falls_back_to_identify_on_the_original_url() {
    // sessions expire the moment they are dropped: every RESUME fails
    let fake = FakeDiscord::builder()
        .identify_window(WINDOW)
        .privileged_intents(acord_core_signals::Intents::MESSAGE_CONTENT)
        .resume_window(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    fake.close_gateway(ShardTarget::All, 4000);
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(r, ShardEvent::Reconnecting { resume: true, .. }));
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting {
            reason: ReconnectReason::InvalidSession { resumable: false },
            resume: false,
            ..
        }
    ));
    until(&mut rx, &mut seen, is_ready).await;
    assert_eq!(fake.counters().identifies, 2);
    assert_eq!(shard.info().resumes, 0, "no successful resume");
    let ops: Vec<u8> = fake
        .gateway_payloads()
        .iter()
        .map(|p| p.op)
        .filter(|op| *op == 2 || *op == 6)
        .collect();
    assert_eq!(
        ops,
        [2, 6, 2],
        "one RESUME attempt, then IDENTIFY; no resume loop"
    );
    shard.close(true).await.unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn a_server_that_never_says_hello_is_left_and_retried() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // a silent WebSocket server on loopback (not the fake: it always says HELLO)
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                sockets.push(ws); // keep it open, say nothing
            }
        }
    });
    let cfg = acord_core_gateway::ShardConfig::builder("t", intents(), format!("ws://{addr}"))
        .connect_timeout(Duration::from_millis(200))
        .backoff(Duration::from_millis(10), Duration::from_millis(20))
        .build()
        .unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    let r = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(matches!(
        r,
        ShardEvent::Reconnecting {
            reason: ReconnectReason::Driver,
            ..
        }
    ));
    eventually("a second connection", || {
        accepted.load(Ordering::SeqCst) >= 2
    })
    .await;
    server.abort();
    shard.close(false).await.unwrap();
}

/// Standalone shards built from separate configurations share one identify
/// queue per bot: with `session_start_limit` saying one start is left, the
/// second shard waits for the reset instead of identifying at once (each
/// config used to get a fresh queue with a budget of its own).
#[tokio::test]
async fn standalone_shards_share_one_identify_budget() {
    let fake = fake_with(45_000).await;
    let limit = acord_core_gateway::SessionStartLimit::new(1000, 1, Duration::from_secs(60), 1);
    let a = config(&fake)
        .shard(0, 2)
        .session_start_limit(limit)
        .build()
        .unwrap();
    let b = config(&fake)
        .shard(1, 2)
        .session_start_limit(limit)
        .build()
        .unwrap();
    let (shard_a, mut rx_a) = Shard::spawn(a);
    let (shard_b, _rx_b) = Shard::spawn(b);
    let mut seen = Vec::new();
    until(&mut rx_a, &mut seen, is_ready).await;
    // well past the identify window: only the budget can hold shard 1 back
    tokio::time::sleep(WINDOW * 4).await;
    let identifies = fake
        .gateway_payloads()
        .iter()
        .filter(|p| p.op == GatewayOpcode::Identify as u8)
        .count();
    assert_eq!(identifies, 1, "the second shard identified past the budget");
    assert!(shard_b.info().identifies == 0);
    shard_a.close(true).await.unwrap();
    shard_b.close(true).await.unwrap();
}

/// Two standalone shards of one bot, built from separate configurations,
/// identify one identify window apart (they used to get a queue each and
/// identify together, which Discord answers with a 4009 or worse).
#[tokio::test]
async fn standalone_shards_space_their_identifies() {
    let fake = fake_with(45_000).await;
    let (shard_a, mut rx_a) = Shard::spawn(config(&fake).shard(0, 2).build().unwrap());
    let (shard_b, mut rx_b) = Shard::spawn(config(&fake).shard(1, 2).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx_a, &mut seen, is_ready).await;
    until(&mut rx_b, &mut seen, is_ready).await;
    let at: Vec<_> = fake
        .gateway_payloads()
        .into_iter()
        .filter(|p| p.op == GatewayOpcode::Identify as u8)
        .map(|p| p.at)
        .collect();
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(
        at[1].duration_since(at[0]) >= WINDOW,
        "identifies {:?} apart",
        at[1].duration_since(at[0])
    );
    shard_a.close(true).await.unwrap();
    shard_b.close(true).await.unwrap();
}

/// A consumer that stopped reading fills the backlog, and the shard stops
/// reading the socket. A new connection must still read its HELLO and
/// RESUME (it used to wait for the HELLO deadline, reconnect, and loop).
#[tokio::test]
async fn a_stuck_consumer_does_not_stop_a_new_connection_from_resuming() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(
        config(&fake)
            .event_capacity(1)
            .max_backlog(2)
            .build()
            .unwrap(),
    );
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    // the consumer stops here: more events fill the channel and the backlog
    for _ in 0..8 {
        fake.dispatch(
            ShardTarget::All,
            "TYPING_START",
            serde_json::json!({"channel_id": "1", "user_id": "2", "timestamp": 1}),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    shard.messenger().restart(true).await.unwrap();
    let resume = fake
        .wait_for_gateway_payload(
            |p| p.op == GatewayOpcode::Resume as u8,
            Duration::from_secs(3),
        )
        .await;
    assert!(resume.is_some(), "the new connection never sent RESUME");
    drop(rx);
    shard.close(true).await.unwrap();
}

/// A read pause longer than a few heartbeat intervals is counted, causes
/// no false zombie, and once reading goes on a dead connection is still
/// found out by the missing ACK.
#[tokio::test]
async fn a_long_read_pause_is_counted_and_the_ack_check_comes_back() {
    let interval = Duration::from_millis(150);
    let fake = fake_with(interval.as_millis() as u64).await;
    let cfg = config(&fake)
        .event_capacity(1)
        .max_backlog(2)
        .build()
        .unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    for n in 0..20 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    let beats = fake.counters().heartbeats_received;
    let shard_info = shard.messenger();
    eventually("a long pause is counted", move || {
        shard_info.info().long_pauses == 1
    })
    .await;
    let fake2 = fake.clone();
    eventually("heartbeats while paused", move || {
        fake2.counters().heartbeats_received >= beats + 3
    })
    .await;
    // read everything: all 20 arrive in order, without a reconnect
    let mut n = 0;
    while n < 20 {
        if let ShardEvent::Dispatch(d) = until(
            &mut rx,
            &mut seen,
            |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
        )
        .await
        {
            let v: serde_json::Value = d.deserialize().unwrap();
            assert_eq!(v["content"], format!("message {n}"));
            n += 1;
        }
    }
    assert!(!seen
        .iter()
        .any(|e| matches!(e, ShardEvent::Reconnecting { .. })));
    assert_eq!(shard.info().long_pauses, 1);
    // reading again: a connection that stops ACKing is a zombie again
    fake.set_heartbeat_acks(false);
    let e = until(&mut rx, &mut seen, |e| {
        matches!(e, ShardEvent::Reconnecting { .. })
    })
    .await;
    assert!(
        matches!(
            e,
            ShardEvent::Reconnecting {
                reason: ReconnectReason::Zombied,
                ..
            }
        ),
        "{e:?}"
    );
    fake.set_heartbeat_acks(true);
    shard.close(true).await.unwrap();
}

/// A message over the decoder's limit: the shard RESUMEs once; when the
/// replay fails the same way it re-IDENTIFIES (counted) instead of
/// resuming into the same message forever.
#[tokio::test]
async fn an_oversized_message_replayed_on_resume_leads_to_one_reidentify() {
    let fake = fake_with(45_000).await;
    let cfg = config(&fake)
        .decoder(|| {
            Box::new(acord_core_gateway::ZlibStreamDecoder::with_max_message(
                16 * 1024,
            ))
        })
        .build()
        .unwrap();
    let (shard, mut rx) = Shard::spawn(cfg);
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let mut big = message(&fake, 1);
    big["content"] = serde_json::Value::String("x".repeat(64 * 1024));
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", big);
    // then a normal one, which the new session must deliver
    until(&mut rx, &mut seen, is_ready).await;
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, 2));
    until(
        &mut rx,
        &mut seen,
        |e| matches!(e, ShardEvent::Dispatch(d) if d.name() == "MESSAGE_CREATE"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = shard.info();
    assert_eq!(info.identifies, 2, "{info:?}");
    assert_eq!(info.oversized_reidentifies, 1, "{info:?}");
    assert!(info.reconnects <= 2, "reconnect loop: {info:?}");
    shard.close(true).await.unwrap();
}

fn presence(status: &str) -> Command {
    let d = serde_json::json!({"since": null, "activities": [], "status": status, "afk": false});
    Command::new(GatewayOpcode::PresenceUpdate, &d).unwrap()
}

fn presences_received(fake: &FakeDiscord) -> Vec<serde_json::Value> {
    fake.gateway_payloads()
        .into_iter()
        .filter(|p| p.op == GatewayOpcode::PresenceUpdate as u8)
        .map(|p| serde_json::from_str::<serde_json::Value>(&p.json).unwrap()["d"]["status"].clone())
        .collect()
}

/// Discord allows 5 presence updates per 20 s per shard: the 6th waits,
/// whatever room the 120-per-60-s send budget has.
#[tokio::test]
async fn presence_updates_are_held_to_five_per_window() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let m = shard.messenger();
    for status in [
        "online",
        "idle",
        "dnd",
        "online",
        "idle",
        "dnd",
        "invisible",
    ] {
        m.send(presence(status)).await.unwrap();
    }
    // other commands are not held behind the waiting presence
    m.send(online_request_members()).await.unwrap();
    fake.wait_for_gateway_payload(
        |p| p.op == GatewayOpcode::RequestGuildMembers as u8,
        Duration::from_secs(3),
    )
    .await
    .expect("REQUEST_GUILD_MEMBERS went out");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        presences_received(&fake).len(),
        5,
        "{:?}",
        presences_received(&fake)
    );
    shard.close(true).await.unwrap();
}

/// REQUEST_GUILD_MEMBERS for the first guild, a command that is not a presence.
fn online_request_members() -> Command {
    let d = serde_json::json!({"guild_id": "1", "query": "", "limit": 0});
    Command::new(GatewayOpcode::RequestGuildMembers, &d).unwrap()
}

/// A presence update waiting for the limit is replaced by a newer one; it
/// goes out when the window allows.
#[tokio::test]
async fn a_waiting_presence_update_is_replaced_by_the_newest() {
    let fake = fake_with(45_000).await;
    let window = Duration::from_millis(600);
    let (shard, mut rx) = Shard::spawn(config(&fake).presence_limit(2, window).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    let m = shard.messenger();
    let start = Instant::now();
    for status in ["online", "idle", "dnd", "invisible"] {
        m.send(presence(status)).await.unwrap();
    }
    let fake2 = fake.clone();
    eventually("the newest presence went out", move || {
        presences_received(&fake2).len() == 3
    })
    .await;
    assert!(start.elapsed() >= window - Duration::from_millis(50));
    assert_eq!(presences_received(&fake), ["online", "idle", "invisible"]);
    shard.close(true).await.unwrap();
}

/// A shard closed with `close(false)` in one "process" hands its session to
/// a shard of the next: that one RESUMEs, receives what was dispatched while
/// nobody was connected, and nothing delivered before comes again.
#[tokio::test]
async fn a_saved_session_resumes_after_a_restart_without_duplicates() {
    let fake = fake_with(45_000).await;
    let (shard, mut rx) = Shard::spawn(config(&fake).build().unwrap());
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, is_ready).await;
    for n in 0..3 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    let mut got = 0;
    while got < 3 {
        if let ShardEvent::Dispatch(d) =
            until(&mut rx, &mut seen, |e| matches!(e, ShardEvent::Dispatch(_))).await
        {
            got += usize::from(d.name() == "MESSAGE_CREATE");
        }
    }
    shard.messenger().close(false).await.unwrap();
    let session = shard
        .session()
        .expect("a resumable session after close(false)");
    let before = seqs(&seen);
    assert_eq!(session.sequence(), *before.last().unwrap());
    shard.join().await.unwrap();
    // "the process is down": two more messages
    for n in 3..5 {
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", message(&fake, n));
    }
    let (shard, mut rx) = Shard::spawn(config(&fake).session(session).build().unwrap());
    let mut after = Vec::new();
    until(&mut rx, &mut after, is_resumed).await;
    let mut contents = Vec::new();
    for e in &after {
        if let ShardEvent::Dispatch(d) = e {
            if d.name() == "MESSAGE_CREATE" {
                let v: serde_json::Value = d.deserialize().unwrap();
                contents.push(v["content"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(contents, ["message 3", "message 4"]);
    let mut all = before.clone();
    all.extend(seqs(&after));
    assert_contiguous(&all);
    let counters = fake.counters();
    assert_eq!((counters.identifies, counters.resumes), (1, 1));
    shard.close(true).await.unwrap();
}
