//! twilight-gateway 0.18 against acord-testkit's gateway: connect,
//! IDENTIFY, READY + one GUILD_CREATE per fixture guild, a pushed
//! MESSAGE_CREATE arrives typed, op 7 → RESUME with no event lost.
//!
//! `cargo test` runs it over plain JSON, `cargo test --features zlib` over
//! `compress=zlib-stream` (twilight chooses compression at compile time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use support::*;
use twilight_gateway::{Event, EventTypeFlags, StreamExt as _};
use twilight_model::gateway::payload::incoming::GuildCreate;

const GUILDS: usize = 3;

/// Pushes a MESSAGE_CREATE with a fresh id into `channel` of `guild` and
/// returns the id.
fn push_message(fake: &FakeDiscord, guild: u64, channel: u64, increment: u64, text: &str) -> u64 {
    let id = fresh_id(increment);
    let author = fixtures::user(fresh_id(1000 + increment), "ada");
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        fixtures::message(id, channel, Some(guild), &author, text),
    );
    id
}

fn message_id(event: &Event) -> Option<u64> {
    match event {
        Event::MessageCreate(message) => Some(message.id.get()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilight_shard_identifies_receives_and_resumes() {
    captured_log();
    let fake = FakeDiscord::builder()
        .guilds(GUILDS)
        .heartbeat_interval(Duration::from_millis(1_000))
        .start()
        .await
        .unwrap();
    let mut shard = shard(&fake);
    let started = Instant::now();

    // 1. HELLO → IDENTIFY → READY, then one GUILD_CREATE per fixture guild.
    // READY's `user` is the full current user (with `mfa_enabled`, which
    // twilight's `CurrentUser` requires), the same object as GET /users/@me.
    let ready = loop {
        match next(&mut shard).await {
            Got::Event(Event::Ready(ready)) => break ready,
            Got::Undecodable { name, error, raw } => {
                panic!("twilight-model rejects {name:?}: {error}\npayload: {raw}")
            }
            Got::Event(Event::MessageCreate(_)) => panic!("a dispatch before READY"),
            Got::Event(_) => {}
        }
    };
    let fixture_guilds: BTreeSet<u64> = fake.guild_ids().into_iter().collect();
    assert_eq!(fixture_guilds.len(), GUILDS);
    let ready_guilds: BTreeSet<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
    assert_eq!(
        ready_guilds, fixture_guilds,
        "READY lists every guild as unavailable"
    );
    assert!(ready.guilds.iter().all(|g| g.unavailable));
    assert_eq!(ready.user.id.get(), fake.bot_user_id());
    assert_eq!(ready.version, 10);
    assert_eq!(ready.resume_gateway_url, fake.gateway_url());
    assert_eq!(ready.shard.map(|s| (s.number(), s.total())), Some((0, 1)));
    assert!(!ready.session_id.is_empty());

    let mut created = BTreeSet::new();
    while created.len() < GUILDS {
        match next_event(&mut shard).await {
            Event::GuildCreate(guild) => match *guild {
                GuildCreate::Available(guild) => {
                    let channels: BTreeSet<u64> =
                        guild.channels.iter().map(|c| c.id.get()).collect();
                    for text_channel in fake.channel_ids(guild.id.get()) {
                        assert!(
                            channels.contains(&text_channel),
                            "text channel in GUILD_CREATE"
                        );
                    }
                    assert!(!guild.roles.is_empty(), "GUILD_CREATE carries roles");
                    assert!(created.insert(guild.id.get()), "one GUILD_CREATE per guild");
                }
                GuildCreate::Unavailable(g) => panic!("guild {} came unavailable", g.id),
            },
            other => {
                // Heartbeat ACKs and the like may interleave; dispatches must not.
                assert!(
                    !matches!(other, Event::MessageCreate(_)),
                    "unexpected {other:?}"
                );
            }
        }
    }
    assert_eq!(created, fixture_guilds);
    let connected_in = started.elapsed();

    // The identify the fake received came from twilight, validated.
    let identify = fake
        .wait_for_gateway_payload(|p| p.op == 2, WAIT)
        .await
        .expect("IDENTIFY recorded");
    let identify: serde_json::Value = serde_json::from_str(&identify.json).unwrap();
    assert_eq!(identify["d"]["intents"], intents().bits());
    assert_eq!(identify["d"]["shard"], serde_json::json!([0, 1]));

    // The negotiated transport, as the fake logged it.
    let query_lines: Vec<String> = log_lines_with(fake.gateway_url())
        .into_iter()
        .filter(|l| l.contains("gateway connection") && l.contains("query="))
        .collect();
    assert!(!query_lines.is_empty(), "the fake logged the connection");
    let zlib = query_lines[0].contains("compress=zlib-stream");
    assert_eq!(
        zlib,
        cfg!(feature = "zlib"),
        "transport: {}",
        query_lines[0]
    );
    assert!(query_lines[0].contains("v=10") && query_lines[0].contains("encoding=json"));

    // 2. A dispatch pushed by the test arrives typed.
    let guild = *fixture_guilds.iter().next().unwrap();
    let channel = fake.channel_ids(guild)[0];
    let first = push_message(&fake, guild, channel, 1, "hello twilight");
    let (message, _) = until(&mut shard, |e| match e {
        Event::MessageCreate(m) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(message.id.get(), first);
    assert_eq!(message.channel_id.get(), channel);
    assert_eq!(message.guild_id.map(|g| g.get()), Some(guild));
    assert_eq!(message.author.name, "ada");
    // No MESSAGE_CONTENT intent and no mention of the bot: §6 says content
    // is emptied, and the fake does it.
    assert_eq!(message.content, "");

    // 3. op 7 → twilight reconnects to resume_gateway_url and RESUMEs; a
    //    dispatch pushed right after the op 7 is not lost.
    let before_resume = fake.counters();
    assert_eq!(before_resume.identifies, 1);
    assert_eq!(before_resume.resumes, 0);
    let reconnect_at = Instant::now();
    fake.send_reconnect(ShardTarget::All);
    let during = push_message(&fake, guild, channel, 2, "sent right after op 7");
    let mut during_seen = 0;
    let (_, around) = until(&mut shard, |e| {
        if message_id(e) == Some(during) {
            during_seen += 1;
        }
        matches!(e, Event::Resumed).then_some(())
    })
    .await;
    let resumed_in = reconnect_at.elapsed();
    let sequence: Vec<String> = around.iter().map(kind).collect();
    assert!(
        around.iter().any(|e| matches!(e, Event::GatewayReconnect)),
        "twilight saw op 7: {sequence:?}"
    );
    let after_op7 = fake.counters();
    assert_eq!(after_op7.resumes, 1, "exactly one RESUME");
    assert_eq!(after_op7.identifies, 1, "no new IDENTIFY");
    assert_eq!(after_op7.gateway_connections, 2);
    let resume = fake
        .wait_for_gateway_payload(|p| p.op == 6, WAIT)
        .await
        .expect("RESUME recorded");
    let resume: serde_json::Value = serde_json::from_str(&resume.json).unwrap();
    assert_eq!(
        resume["d"]["session_id"],
        serde_json::json!(ready.session_id)
    );
    // twilight sends `Bot <token>` in RESUME too (finding 1).
    assert_eq!(
        resume["d"]["token"],
        serde_json::json!(format!("Bot {}", fake.token()))
    );
    assert!(resume["d"]["seq"].as_u64().is_some());

    // The event pushed right after op 7, then one pushed after RESUMED.
    let after = push_message(&fake, guild, channel, 3, "sent after RESUMED");
    let (_, tail) = until(&mut shard, |e| (message_id(e) == Some(after)).then_some(())).await;
    during_seen += tail
        .iter()
        .filter(|e| message_id(e) == Some(during))
        .count();
    assert_eq!(
        during_seen, 1,
        "the event dispatched right after op 7 arrives exactly once (sequence {sequence:?})"
    );

    // 3b. The TCP connection drops (1006, no close frame); a dispatch pushed
    //     while twilight is away is replayed on RESUME, before RESUMED.
    let drop_at = Instant::now();
    fake.close_gateway(ShardTarget::All, 1006);
    let missed = push_message(&fake, guild, channel, 4, "sent while disconnected");
    let mut missed_before_resumed = 0;
    let (_, around_drop) = until(&mut shard, |e| {
        if message_id(e) == Some(missed) {
            missed_before_resumed += 1;
        }
        matches!(e, Event::Resumed).then_some(())
    })
    .await;
    let dropped_resumed_in = drop_at.elapsed();
    let drop_sequence: Vec<String> = around_drop.iter().map(kind).collect();
    assert_eq!(
        missed_before_resumed, 1,
        "the missed dispatch is replayed once, before RESUMED: {drop_sequence:?}"
    );
    let after_drop = fake.counters();
    assert_eq!(after_drop.resumes, 2);
    assert_eq!(after_drop.identifies, 1);
    assert_eq!(after_drop.gateway_connections, 3);

    // 3c. One gateway message split over many small frames (zlib-stream:
    //     twilight must buffer until 00 00 FF FF; plain JSON: unaffected).
    fake.set_frame_split(Some(16));
    let split = push_message(&fake, guild, channel, 5, "split over frames");
    until(&mut shard, |e| (message_id(e) == Some(split)).then_some(())).await;
    fake.set_frame_split(None);

    // Heartbeats: twilight's timer (interval 1 s) sends op 1 on the resumed
    // connection and the fake ACKs it.
    until(&mut shard, |e| {
        matches!(e, Event::GatewayHeartbeatAck).then_some(())
    })
    .await;
    assert!(fake.counters().heartbeats_received >= 1);
    assert!(
        !shard.latency().recent().is_empty(),
        "twilight measured an ACK"
    );

    eprintln!(
        "INTEROP gateway ({}): READY + {GUILDS} GUILD_CREATE in {connected_in:?} \
         (READY typed by twilight); \
         op 7 → RESUMED in {resumed_in:?}; events around the resume: {sequence:?}; \
         TCP drop → RESUMED (with replay) in {dropped_resumed_in:?}: {drop_sequence:?}; \
         counters after: {:?}",
        if zlib { "zlib-stream" } else { "plain JSON" },
        fake.counters()
    );

    shard.close(twilight_gateway::CloseFrame::NORMAL);
    // Drain until the close completes so the fake sees a clean 1000.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
            if matches!(item, Ok(Event::GatewayClose(_))) {
                break;
            }
        }
    })
    .await;
    fake.shutdown().await;
}
