//! Sessions over reconnects: RESUME replay, op 7 / op 9 / op 1 on demand,
//! closes and what they do to the session, dispatch routing by intents
//! (discord-protocol.md §3.6, §3.9-§3.11, §4.2, §6).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use acord_core_signals::{CloseCode, Intents};
use acord_testkit::{FakeDiscord, ShardTarget};
use gateway_support::{builder, ready_client, Client, Received};
use serde_json::{json, Value};

async fn hello(fake: &FakeDiscord, zlib: bool) -> Client {
    let mut client = Client::connect(fake, zlib).await;
    assert_eq!(client.payload().await["op"], 10);
    client
}

fn session_id(ready: &Value) -> String {
    ready["session_id"].as_str().unwrap().to_owned()
}

/// READY + GUILD_CREATE for the default two guilds: the last seq is 3.
async fn drain_guilds(client: &mut Client) {
    client.expect_dispatch("GUILD_CREATE").await;
    client.expect_dispatch("GUILD_CREATE").await;
    assert_eq!(client.seq, Some(3));
}

#[tokio::test]
async fn resume_replays_missed_events_in_order_then_resumed() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, true).await;
    drain_guilds(&mut client).await;
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 1, "guild_id": "5"}),
    );
    let seen = client.expect_dispatch("GUILD_UPDATE").await;
    assert_eq!(seen["s"], 4);
    // the client drops TCP without a close frame... well, it closes with
    // 4000, which keeps the session
    client.close(4000).await;
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 2, "guild_id": "5"}),
    );
    fake.dispatch(
        ShardTarget::Shard(0),
        "GUILD_UPDATE",
        json!({"n": 3, "guild_id": "5"}),
    );

    let url = format!(
        "{}/?v=10&encoding=json&compress=zlib-stream",
        ready["resume_gateway_url"].as_str().unwrap()
    );
    let mut again = Client::connect_url(&url, true).await;
    assert_eq!(again.payload().await["op"], 10);
    again.resume(fake.token(), &session_id(&ready), 3).await;
    let mut replayed = Vec::new();
    loop {
        let p = again.payload().await;
        assert_eq!(p["op"], 0);
        if p["t"] == "RESUMED" {
            assert_eq!(p["s"], 7);
            break;
        }
        replayed.push((p["s"].as_u64().unwrap(), p["d"]["n"].as_u64().unwrap()));
    }
    assert_eq!(replayed, vec![(4, 1), (5, 2), (6, 3)]);
    // later events continue the sequence
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 4, "guild_id": "5"}),
    );
    assert_eq!(again.expect_dispatch("GUILD_UPDATE").await["s"], 8);
    let counters = fake.counters();
    assert_eq!(counters.resumes, 1);
    assert_eq!(counters.identifies, 1);
    let resume = fake
        .wait_for_gateway_payload(|p| p.op == 6, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(resume.connection, 2);
    fake.shutdown().await;
}

#[tokio::test]
async fn resume_of_an_unknown_session_gets_op_9_false() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake, false).await;
    client.resume(fake.token(), "no-such-session", 1).await;
    assert_eq!(client.expect_op(9).await["d"], false);
    assert_eq!(fake.counters().invalid_sessions_sent, 1);
    // the connection may IDENTIFY afterwards
    client.identify(fake.token(), Intents::GUILDS, None).await;
    client.expect_dispatch("READY").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn resume_with_a_seq_ahead_closes_with_4007_and_discards() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    drain_guilds(&mut client).await;
    client.close(4000).await;
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 99).await;
    assert_eq!(again.closed().await, Some(CloseCode::InvalidSeq.code()));
    let mut third = hello(&fake, false).await;
    third.resume(fake.token(), &session_id(&ready), 3).await;
    assert_eq!(third.expect_op(9).await["d"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn client_close_1000_ends_the_session_other_codes_keep_it() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    client.close(1000).await;
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 1).await;
    assert_eq!(again.expect_op(9).await["d"], false);

    tokio::time::sleep(Duration::from_millis(60)).await;
    let (client, ready) = ready_client(&fake, false).await;
    drop(client); // TCP drop, no close frame
    let mut again = hello(&fake, false).await;
    // the server may notice the drop slightly later; either way it resumes
    again.resume(fake.token(), &session_id(&ready), 1).await;
    again.expect_dispatch("RESUMED").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn resumable_window_expires() {
    let fake = builder()
        .resume_window(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    client.close(4000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 1).await;
    assert_eq!(again.expect_op(9).await["d"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn reconnect_invalid_session_and_heartbeat_requests_on_demand() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    drain_guilds(&mut client).await;

    fake.request_heartbeat(ShardTarget::Shard(0));
    let op1 = client.payload().await;
    assert_eq!(op1["op"], 1);
    client.heartbeat().await;
    client.expect_op(11).await;

    fake.dispatch(ShardTarget::All, "CUSTOM", json!({}));
    fake.send_reconnect(ShardTarget::All);
    // dispatch first, then op 7
    assert_eq!(client.payload().await["t"], "CUSTOM");
    let op7 = client.payload().await;
    assert_eq!(op7["op"], 7);
    assert!(op7["d"].is_null());
    client.close(4000).await;
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 4).await;
    again.expect_dispatch("RESUMED").await;

    // op 9 true: resumable, op 9 false: gone
    fake.send_invalid_session(ShardTarget::All, true);
    assert_eq!(again.expect_op(9).await["d"], true);
    again.resume(fake.token(), &session_id(&ready), 5).await;
    again.expect_dispatch("RESUMED").await;
    fake.send_invalid_session(ShardTarget::Shard(0), false);
    assert_eq!(again.expect_op(9).await["d"], false);
    let mut third = hello(&fake, false).await;
    third.resume(fake.token(), &session_id(&ready), 6).await;
    assert_eq!(third.expect_op(9).await["d"], false);
    assert_eq!(fake.counters().invalid_sessions_sent, 3);
    fake.shutdown().await;
}

#[tokio::test]
async fn close_on_demand_keeps_or_discards_the_session_by_code() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    fake.close_gateway(ShardTarget::All, 4000);
    assert_eq!(client.closed().await, Some(4000));
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 1).await;
    again.expect_dispatch("RESUMED").await;

    fake.close_gateway(ShardTarget::Shard(0), CloseCode::NotAuthenticated.code());
    assert_eq!(again.closed().await, Some(4003));
    let mut third = hello(&fake, false).await;
    third.resume(fake.token(), &session_id(&ready), 1).await;
    assert_eq!(third.expect_op(9).await["d"], false);

    // a shard target that matches nobody does nothing
    fake.close_gateway(ShardTarget::Shard(7), 4000);
    third.heartbeat().await;
    third.expect_op(11).await;
    fake.shutdown().await;
}

#[tokio::test]
async fn corrupt_frame_breaks_the_zlib_stream() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake, true).await;
    fake.send_corrupt_frame(ShardTarget::All);
    let result = tokio::spawn(async move { client.recv().await }).await;
    assert!(result.is_err(), "inflating the corrupt frame must fail");

    let mut plain = hello(&fake, false).await;
    fake.send_corrupt_frame(ShardTarget::All);
    let result = tokio::spawn(async move { plain.recv().await }).await;
    assert!(result.is_err(), "parsing the corrupt text must fail");
    fake.shutdown().await;
}

#[tokio::test]
async fn dispatches_follow_intents_and_message_content() {
    let fake = builder().start().await.unwrap();
    let (mut client, _) = ready_client(&fake, false).await; // GUILDS | GUILD_MESSAGES
    drain_guilds(&mut client).await;
    let guild = fake.guild_ids()[0].to_string();
    fake.dispatch(
        ShardTarget::All,
        "PRESENCE_UPDATE",
        json!({"guild_id": guild, "user": {"id": "1"}, "status": "online"}),
    );
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        json!({"id": "10", "channel_id": "11", "content": "dm", "author": {"id": "1"}}),
    );
    fake.dispatch(
        ShardTarget::All,
        "MESSAGE_CREATE",
        json!({"id": "12", "channel_id": "11", "guild_id": guild, "content": "hidden",
               "author": {"id": "1"}, "mentions": [], "embeds": [], "attachments": []}),
    );
    // only the guild message arrives, with its content emptied
    let message = client.payload().await;
    assert_eq!(message["t"], "MESSAGE_CREATE");
    assert_eq!(message["s"], 4);
    assert_eq!(message["d"]["id"], "12");
    assert_eq!(message["d"]["content"], "");
    fake.shutdown().await;
}

#[tokio::test]
async fn a_second_resume_supersedes_the_old_connection() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    drain_guilds(&mut client).await;
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 3).await;
    again.expect_dispatch("RESUMED").await;
    match client.recv().await {
        Received::Closed(code) => assert_eq!(code, Some(4000)),
        Received::Payload(p) => panic!("unexpected {p}"),
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn close_1006_drops_tcp_without_a_close_frame_and_keeps_the_session() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    fake.close_gateway(ShardTarget::All, 1006);
    assert_eq!(client.closed().await, None, "no close frame");
    let mut again = hello(&fake, false).await;
    again.resume(fake.token(), &session_id(&ready), 1).await;
    again.expect_dispatch("RESUMED").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn control_commands_keep_their_place_among_dispatches() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, true).await;
    drain_guilds(&mut client).await;
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 1, "guild_id": "5"}),
    );
    fake.send_reconnect(ShardTarget::All);
    fake.dispatch(
        ShardTarget::All,
        "GUILD_UPDATE",
        json!({"n": 2, "guild_id": "5"}),
    );
    fake.request_heartbeat(ShardTarget::All);
    let order: Vec<String> = [
        client.payload().await,
        client.payload().await,
        client.payload().await,
        client.payload().await,
    ]
    .iter()
    .map(|p| format!("{}:{}", p["op"], p["s"]))
    .collect();
    assert_eq!(order, ["0:4", "7:null", "0:5", "1:null"]);
    // a client that stops reading at op 7 gets the rest on RESUME
    client.close(4000).await;
    let mut again = hello(&fake, true).await;
    again.resume(fake.token(), &session_id(&ready), 4).await;
    let replayed = again.payload().await;
    assert_eq!(
        (replayed["s"].as_u64(), replayed["d"]["n"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(again.payload().await["t"], "RESUMED");
    fake.shutdown().await;
}
