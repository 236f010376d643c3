//! IDENTIFY validation, close codes and limits of the fake gateway
//! (discord-protocol.md §3.2, §3.3, §3.5, §3.7, §3.14, §4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use acord_core_signals::{CloseCode, Intents};
use acord_testkit::FakeDiscord;
use gateway_support::{builder, ready_client, Client};
use serde_json::json;

/// Connects, reads HELLO and returns the client.
async fn hello(fake: &FakeDiscord) -> Client {
    let mut client = Client::connect(fake, false).await;
    assert_eq!(client.payload().await["op"], 10);
    client
}

fn code(c: CloseCode) -> Option<u16> {
    Some(c.code())
}

#[tokio::test]
async fn wrong_token_closes_with_4004() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    client
        .identify("not-the-token", Intents::GUILDS, None)
        .await;
    assert_eq!(client.closed().await, code(CloseCode::AuthenticationFailed));
    assert_eq!(fake.counters().identifies, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn identify_and_resume_accept_the_bot_prefixed_token() {
    // Discord's production gateway accepts `Bot <token>` (twilight-gateway
    // sends that form), so the fake does too; anything else is still 4004.
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    let prefixed = format!("Bot {}", fake.token());
    client.identify(&prefixed, Intents::GUILDS, None).await;
    let ready = client.expect_dispatch("READY").await;
    let session = ready["d"]["session_id"].as_str().unwrap().to_owned();
    let resume_url = ready["d"]["resume_gateway_url"]
        .as_str()
        .unwrap()
        .to_owned();
    client.close(4000).await;

    let mut again = Client::connect_url(&format!("{resume_url}/?v=10&encoding=json"), false).await;
    assert_eq!(again.payload().await["op"], 10);
    again.resume(&prefixed, &session, 1).await;
    again.expect_dispatch("RESUMED").await;

    let mut wrong = hello(&fake).await;
    wrong
        .identify(&format!("Bot not-{}", fake.token()), Intents::GUILDS, None)
        .await;
    assert_eq!(wrong.closed().await, code(CloseCode::AuthenticationFailed));
    fake.shutdown().await;
}

#[tokio::test]
async fn undocumented_intent_bits_close_with_4013() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    let d = json!({"token": fake.token(), "intents": 1u64 << 17,
                   "properties": {"os": "linux", "browser": "t", "device": "t"}});
    client.send(json!({"op": 2, "d": d})).await;
    assert_eq!(client.closed().await, code(CloseCode::InvalidIntents));

    let mut missing = hello(&fake).await;
    let d = json!({"token": fake.token(),
                   "properties": {"os": "linux", "browser": "t", "device": "t"}});
    missing.send(json!({"op": 2, "d": d})).await;
    assert_eq!(missing.closed().await, code(CloseCode::InvalidIntents));
    fake.shutdown().await;
}

#[tokio::test]
async fn privileged_intents_need_the_builder_switch() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    client
        .identify(
            fake.token(),
            Intents::GUILDS | Intents::MESSAGE_CONTENT,
            None,
        )
        .await;
    assert_eq!(client.closed().await, code(CloseCode::DisallowedIntents));
    fake.shutdown().await;

    let fake = builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .start()
        .await
        .unwrap();
    let mut client = hello(&fake).await;
    client
        .identify(
            fake.token(),
            Intents::GUILDS | Intents::MESSAGE_CONTENT,
            None,
        )
        .await;
    let ready = client.expect_dispatch("READY").await;
    // GATEWAY_MESSAGE_CONTENT (1 << 18) is set on the application.
    assert_eq!(ready["d"]["application"]["flags"], 1 << 18);
    let mut members = hello(&fake).await;
    members
        .identify(fake.token(), Intents::GUILD_MEMBERS, None)
        .await;
    assert_eq!(members.closed().await, code(CloseCode::DisallowedIntents));
    fake.shutdown().await;
}

#[tokio::test]
async fn invalid_shards_close_with_4010() {
    let fake = builder().shards(2).start().await.unwrap();
    for shard in [json!([2, 2]), json!([0, 0]), json!([0]), json!("0")] {
        let mut client = hello(&fake).await;
        let d = json!({"token": fake.token(), "intents": 1, "shard": shard,
                       "properties": {"os": "linux", "browser": "t", "device": "t"}});
        client.send(json!({"op": 2, "d": d})).await;
        assert_eq!(
            client.closed().await,
            code(CloseCode::InvalidShard),
            "shard {shard}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn missing_properties_is_an_invalid_payload() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    let d = json!({"token": fake.token(), "intents": 1, "properties": {"os": "linux"}});
    client.send(json!({"op": 2, "d": d})).await;
    assert_eq!(client.closed().await, code(CloseCode::UnknownOpcode));
    // the deprecated $-prefixed keys are still accepted
    let mut legacy = hello(&fake).await;
    let d = json!({"token": fake.token(), "intents": 1,
                   "properties": {"$os": "linux", "$browser": "t", "$device": "t"}});
    legacy.send(json!({"op": 2, "d": d})).await;
    legacy.expect_dispatch("READY").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn payload_before_identify_closes_with_4003() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    // heartbeats are fine before identifying
    client.heartbeat().await;
    client.expect_op(11).await;
    client
        .send(json!({"op": 8, "d": {"guild_id": "1", "query": "", "limit": 0}}))
        .await;
    assert_eq!(client.closed().await, code(CloseCode::NotAuthenticated));
    fake.shutdown().await;
}

#[tokio::test]
async fn second_identify_closes_with_4005() {
    let fake = builder().start().await.unwrap();
    let (mut client, _) = ready_client(&fake, false).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    client.identify(fake.token(), Intents::GUILDS, None).await;
    assert_eq!(client.closed().await, code(CloseCode::AlreadyAuthenticated));
    fake.shutdown().await;
}

#[tokio::test]
async fn decode_errors_and_unknown_opcodes() {
    let fake = builder().start().await.unwrap();
    let mut bad_json = hello(&fake).await;
    bad_json.send_text("{not json").await;
    assert_eq!(bad_json.closed().await, code(CloseCode::DecodeError));

    let mut too_big = hello(&fake).await;
    let padding = "x".repeat(4100);
    too_big
        .send(json!({"op": 1, "d": null, "padding": padding}))
        .await;
    assert_eq!(too_big.closed().await, code(CloseCode::DecodeError));

    let mut unknown = hello(&fake).await;
    unknown.send(json!({"op": 5, "d": null})).await;
    assert_eq!(unknown.closed().await, code(CloseCode::UnknownOpcode));

    let mut receive_only = hello(&fake).await;
    receive_only.send(json!({"op": 11})).await;
    assert_eq!(receive_only.closed().await, code(CloseCode::UnknownOpcode));

    // every payload was recorded, the unparsable one with op 255
    let payloads = fake.gateway_payloads();
    assert_eq!(payloads.len(), 4);
    assert_eq!(payloads[0].op, 255);
    assert_eq!(payloads[0].json, "{not json");
    assert_eq!(payloads[2].op, 5);
    fake.shutdown().await;
}

#[tokio::test]
async fn query_parameters_are_checked() {
    let fake = builder().start().await.unwrap();
    let mut old = Client::connect_query(&fake, "v=6&encoding=json").await;
    assert_eq!(old.closed().await, code(CloseCode::InvalidApiVersion));
    let mut etf = Client::connect_query(&fake, "v=10&encoding=etf").await;
    assert_eq!(etf.closed().await, code(CloseCode::DecodeError));
    let mut v9 = Client::connect_query(&fake, "v=9&encoding=json").await;
    assert_eq!(v9.payload().await["op"], 10);
    fake.shutdown().await;
}

#[tokio::test]
async fn identify_concurrency_violation_is_recorded_and_answered_with_op_9() {
    let fake = FakeDiscord::builder()
        .shards(4)
        .max_concurrency(2)
        .identify_window(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    // shards 0 and 1 use different rate-limit keys: both start
    for shard in 0..2 {
        let mut client = hello(&fake).await;
        client
            .identify(fake.token(), Intents::GUILDS, Some([shard, 4]))
            .await;
        client.expect_dispatch("READY").await;
    }
    // shard 2 shares key 0 with shard 0 inside the window
    let mut client = hello(&fake).await;
    client
        .identify(fake.token(), Intents::GUILDS, Some([2, 4]))
        .await;
    let invalid = client.expect_op(9).await;
    assert_eq!(invalid["d"], false);
    let counters = fake.counters();
    assert_eq!(counters.identify_concurrency_violations, 1);
    assert_eq!(counters.invalid_sessions_sent, 1);
    assert_eq!(counters.identifies, 3);
    fake.shutdown().await;
}

#[tokio::test]
async fn identify_after_the_window_succeeds_on_the_same_connection() {
    let fake = builder()
        .identify_window(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let (_first, _) = ready_client(&fake, false).await;
    let mut client = hello(&fake).await;
    client.identify(fake.token(), Intents::GUILDS, None).await;
    assert_eq!(client.expect_op(9).await["d"], false);
    tokio::time::sleep(Duration::from_millis(250)).await;
    client.identify(fake.token(), Intents::GUILDS, None).await;
    client.expect_dispatch("READY").await;
    assert_eq!(fake.counters().identify_concurrency_violations, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn exhausted_session_start_limit_refuses_identify() {
    let fake = builder()
        .session_start_limit(1000, 1)
        .start()
        .await
        .unwrap();
    let (_first, _) = ready_client(&fake, false).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    let mut client = hello(&fake).await;
    client.identify(fake.token(), Intents::GUILDS, None).await;
    assert_eq!(client.expect_op(9).await["d"], false);
    assert_eq!(fake.counters().identify_concurrency_violations, 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn more_than_120_payloads_a_minute_close_with_4008() {
    let fake = builder().start().await.unwrap();
    let mut client = hello(&fake).await;
    for _ in 0..121 {
        client.send(json!({"op": 1, "d": null})).await;
    }
    assert_eq!(client.closed().await, code(CloseCode::RateLimited));
    assert_eq!(fake.counters().heartbeats_received, 120);
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limit_close_keeps_the_session_resumable() {
    let fake = builder().start().await.unwrap();
    let (mut client, ready) = ready_client(&fake, false).await;
    for _ in 0..121 {
        client.send(json!({"op": 1, "d": null})).await;
    }
    assert_eq!(client.closed().await, code(CloseCode::RateLimited));
    let mut again = hello(&fake).await;
    let session = ready["session_id"].as_str().unwrap();
    again.resume(fake.token(), session, 1).await;
    again.expect_dispatch("RESUMED").await;
    fake.shutdown().await;
}

#[tokio::test]
async fn too_many_guilds_for_one_session_close_with_4011() {
    let fake = builder()
        .guilds(2501)
        .members_per_guild(1)
        .start()
        .await
        .unwrap();
    let mut client = hello(&fake).await;
    client.identify(fake.token(), Intents::GUILDS, None).await;
    assert_eq!(client.closed().await, code(CloseCode::ShardingRequired));
    fake.shutdown().await;
}
