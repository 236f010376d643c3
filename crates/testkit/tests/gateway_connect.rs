//! Connecting to the fake gateway: HELLO, IDENTIFY, READY, GUILD_CREATE,
//! zlib-stream framing, heartbeats and the payload log
//! (discord-protocol.md §3.5-§3.8, §3.12).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use acord_core_signals::{shard_for_guild, Intents};
use acord_testkit::{FakeDiscord, ShardTarget};
use gateway_support::{builder, ready_client, Client};
use serde_json::json;

#[tokio::test]
async fn hello_identify_ready_and_guild_creates_in_plain_json() {
    let fake = builder()
        .heartbeat_interval(Duration::from_millis(1234))
        .guilds(3)
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(&fake, false).await;
    let hello = client.payload().await;
    assert_eq!(hello["op"], 10);
    assert_eq!(hello["d"]["heartbeat_interval"], 1234);
    assert!(hello["s"].is_null() && hello["t"].is_null());

    client
        .identify(fake.token(), Intents::GUILDS, Some([0, 1]))
        .await;
    let ready = client.payload().await;
    assert_eq!(ready["op"], 0);
    assert_eq!(ready["t"], "READY");
    assert_eq!(ready["s"], 1);
    let d = &ready["d"];
    assert_eq!(d["v"], 10);
    assert_eq!(d["user"]["id"], fake.bot_user_id().to_string());
    assert_eq!(d["shard"], json!([0, 1]));
    assert_eq!(d["resume_gateway_url"], fake.gateway_url());
    assert_eq!(d["application"]["id"], fake.bot_user_id().to_string());
    assert!(d["application"]["flags"].is_u64());
    assert_eq!(d["session_id"].as_str().unwrap().len(), 32);
    let guilds = d["guilds"].as_array().unwrap();
    assert_eq!(guilds.len(), 3);
    assert!(guilds.iter().all(|g| g["unavailable"] == true));

    let mut seen = Vec::new();
    for expected_seq in 2..5 {
        let gc = client.payload().await;
        assert_eq!(gc["t"], "GUILD_CREATE");
        assert_eq!(gc["s"], expected_seq);
        assert_eq!(gc["d"]["unavailable"], false);
        assert!(gc["d"]["channels"].is_array());
        seen.push(gc["d"]["id"].as_str().unwrap().parse::<u64>().unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, fake.guild_ids());

    let counters = fake.counters();
    assert_eq!(counters.gateway_connections, 1);
    assert_eq!(counters.identifies, 1);
    let payloads = fake.gateway_payloads();
    assert_eq!(payloads.len(), 1);
    assert_eq!(payloads[0].op, 2);
    assert_eq!(payloads[0].connection, 1);
    assert!(payloads[0].json.contains("\"intents\":1"));
    fake.shutdown().await;
}

#[tokio::test]
async fn zlib_stream_shares_one_context_and_survives_split_frames() {
    let fake = builder().guilds(2).start().await.unwrap();
    let mut client = Client::connect(&fake, true).await;
    assert_eq!(client.payload().await["op"], 10);
    assert_eq!(client.binary_frames, 1);
    fake.set_frame_split(Some(16));
    client.identify(fake.token(), Intents::GUILDS, None).await;
    let ready = client.expect_dispatch("READY").await;
    assert!(ready["d"]["session_id"].is_string());
    assert!(
        client.binary_frames > 3,
        "READY must have been split over several frames"
    );
    client.expect_dispatch("GUILD_CREATE").await;
    client.expect_dispatch("GUILD_CREATE").await;
    fake.set_frame_split(None);
    let before = client.binary_frames;
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"guild_id": "1", "x": 1}),
    );
    let update = client.expect_dispatch("GUILD_UPDATE").await;
    assert_eq!(update["s"], 4);
    assert_eq!(client.binary_frames, before + 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn heartbeats_are_acked_until_acks_are_switched_off() {
    let fake = builder().start().await.unwrap();
    let (mut client, _) = ready_client(&fake, false).await;
    client.heartbeat().await;
    let ack = client.expect_op(11).await;
    assert!(ack.get("d").is_none_or(|d| d.is_null()));
    fake.set_heartbeat_acks(false);
    client.heartbeat().await;
    fake.dispatch(ShardTarget::All, "CUSTOM_MARKER", json!({}));
    // the marker arrives with no ACK before it
    let next = client.payload().await;
    assert_eq!(next["t"], "CUSTOM_MARKER");
    fake.set_heartbeat_acks(true);
    client.heartbeat().await;
    client.expect_op(11).await;
    assert_eq!(fake.counters().heartbeats_received, 3);
    let heartbeat = fake
        .wait_for_gateway_payload(|p| p.op == 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(heartbeat.shard, Some([0, 1]));
    fake.shutdown().await;
}

#[tokio::test]
async fn silence_closes_with_4009_and_discards_the_session() {
    let fake = builder()
        .heartbeat_interval(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    let started = std::time::Instant::now();
    assert_eq!(client.closed().await, Some(4009));
    assert!(started.elapsed() >= Duration::from_millis(100));
    let mut again = Client::connect(&fake, false).await;
    again.payload().await;
    again
        .resume(fake.token(), ready["session_id"].as_str().unwrap(), 1)
        .await;
    let invalid = again.expect_op(9).await;
    assert_eq!(invalid["d"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn heartbeating_keeps_the_connection_open() {
    let fake = builder()
        .heartbeat_interval(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let (mut client, _) = ready_client(&fake, false).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        client.heartbeat().await;
        // acks and GUILD_CREATEs are fine, a close is not
        client.expect_op(11).await;
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn guild_creates_follow_the_shard_formula() {
    let fake = builder().shards(2).guilds(6).start().await.unwrap();
    for shard in 0..2u32 {
        let mut client = Client::connect(&fake, false).await;
        client.payload().await;
        client
            .identify(fake.token(), Intents::GUILDS, Some([shard, 2]))
            .await;
        let ready = client.expect_dispatch("READY").await;
        let expected: Vec<String> = fake
            .guild_ids()
            .into_iter()
            .filter(|g| shard_for_guild(*g, 2) == shard)
            .map(|g| g.to_string())
            .collect();
        let listed: Vec<String> = ready["d"]["guilds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, expected);
        for _ in 0..expected.len() {
            let gc = client.expect_dispatch("GUILD_CREATE").await;
            assert!(expected.contains(&gc["d"]["id"].as_str().unwrap().to_owned()));
        }
        // wait out the identify window before the next shard
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let fake: FakeDiscord = builder().start().await.unwrap();
    let (mut client, _) = ready_client(&fake, false).await;
    let closing = tokio::spawn(async move { client.closed().await });
    fake.shutdown().await;
    let code = closing.await.unwrap();
    assert!(matches!(code, Some(1001) | None), "{code:?}");
}

#[tokio::test]
async fn shutdown_does_not_hang_on_a_client_that_stopped_reading() {
    let fake = builder().start().await.unwrap();
    let (_client, _) = ready_client(&fake, false).await;
    let blob = "x".repeat(64 * 1024);
    for _ in 0..256 {
        fake.dispatch(ShardTarget::All, "CUSTOM_BLOB", json!({"blob": blob}));
    }
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), fake.shutdown())
        .await
        .expect("shutdown must finish");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// READY's `user` is the same current-user object `GET /users/@me` returns
/// (with the current-user-only fields such as `mfa_enabled`), as on Discord.
#[tokio::test]
async fn ready_user_matches_get_current_user() {
    let fake = builder().start().await.unwrap();
    let mut client = Client::connect(&fake, false).await;
    assert_eq!(client.payload().await["op"], 10);
    client.identify(fake.token(), Intents::GUILDS, None).await;
    let ready = client.expect_dispatch("READY").await;
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v10/users/@me", fake.api_base()))
        .header("authorization", format!("Bot {}", fake.token()))
        .header("user-agent", "DiscordBot (https://example.com, 1.0)")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["d"]["user"], me);
    assert_eq!(me["mfa_enabled"], false);
    assert_eq!(me["bot"], true);
    fake.shutdown().await;
}

/// An IDENTIFY is logged with the shard it asked for.
#[tokio::test]
async fn identify_is_logged_with_its_shard() {
    let fake = builder().shards(2).start().await.unwrap();
    let mut client = Client::connect(&fake, false).await;
    assert_eq!(client.payload().await["op"], 10);
    client
        .identify(fake.token(), Intents::GUILDS, Some([1, 2]))
        .await;
    client.expect_dispatch("READY").await;
    let identify = fake
        .wait_for_gateway_payload(|p| p.op == 2, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(identify.shard, Some([1, 2]));
    fake.shutdown().await;
}
