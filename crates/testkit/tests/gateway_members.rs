//! Send events of an identified session: REQUEST_GUILD_MEMBERS and its
//! chunks, RATE_LIMITED, presence and voice updates, op 31 and op 43
//! (discord-protocol.md §5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use acord_core_signals::{CloseCode, Intents};
use acord_testkit::FakeDiscord;
use gateway_support::{builder, Client};
use serde_json::{json, Value};

/// Identifies with `intents`, reads READY and the GUILD_CREATEs.
async fn identified(fake: &FakeDiscord, intents: Intents) -> Client {
    let mut client = Client::connect(fake, true).await;
    assert_eq!(client.payload().await["op"], 10);
    client.identify(fake.token(), intents, None).await;
    client.expect_dispatch("READY").await;
    for _ in fake.guild_ids() {
        client.expect_dispatch("GUILD_CREATE").await;
    }
    client
}

fn member_ids(chunk: &Value) -> Vec<String> {
    chunk["d"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn all_members_arrive_in_chunks_of_at_most_1000() {
    let fake = builder()
        .guilds(1)
        .members_per_guild(2100)
        .privileged_intents(Intents::GUILD_MEMBERS)
        .start()
        .await
        .unwrap();
    let guild = fake.guild_ids()[0];
    let mut client = identified(&fake, Intents::GUILDS | Intents::GUILD_MEMBERS).await;
    client
        .send(
            json!({"op": 8, "d": {"guild_id": guild.to_string(), "query": "", "limit": 0,
                                    "nonce": "abc"}}),
        )
        .await;
    let mut total = 0;
    let mut count = None;
    let mut index = 0;
    loop {
        let chunk = client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
        let d = &chunk["d"];
        assert_eq!(d["guild_id"], guild.to_string());
        assert_eq!(d["nonce"], "abc");
        assert_eq!(d["chunk_index"], index);
        let n = d["members"].as_array().unwrap().len();
        assert!(n <= 1000);
        total += n;
        count = count.or(d["chunk_count"].as_u64());
        index += 1;
        if index == count.unwrap() {
            break;
        }
    }
    assert!(total >= 2100, "every member, got {total}");
    assert_eq!(count, Some(total.div_ceil(1000) as u64));
    fake.shutdown().await;
}

#[tokio::test]
async fn a_second_all_members_request_is_rate_limited() {
    let fake = builder()
        .guilds(1)
        .privileged_intents(Intents::GUILD_MEMBERS)
        .start()
        .await
        .unwrap();
    let guild = fake.guild_ids()[0].to_string();
    let mut client = identified(&fake, Intents::GUILDS | Intents::GUILD_MEMBERS).await;
    let request =
        json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0, "nonce": "n2"}});
    client.send(request.clone()).await;
    client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
    client.send(request).await;
    let limited = client.expect_dispatch("RATE_LIMITED").await;
    assert_eq!(limited["d"]["opcode"], 8);
    let retry = limited["d"]["retry_after"].as_f64().unwrap();
    assert!(retry > 29.0 && retry <= 30.0, "{retry}");
    assert_eq!(limited["d"]["meta"]["guild_id"], guild);
    assert_eq!(limited["d"]["meta"]["nonce"], "n2");
    fake.shutdown().await;
}

#[tokio::test]
async fn all_members_without_the_intent_is_refused() {
    let fake = builder().guilds(1).start().await.unwrap();
    let guild = fake.guild_ids()[0].to_string();
    let mut client = identified(&fake, Intents::GUILDS).await;
    client
        .send(json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0}}))
        .await;
    assert_eq!(client.closed().await, Some(CloseCode::UnknownOpcode.code()));
    fake.shutdown().await;
}

#[tokio::test]
async fn user_ids_and_query_requests() {
    let fake = builder()
        .guilds(1)
        .members_per_guild(20)
        .start()
        .await
        .unwrap();
    let guild = fake.guild_ids()[0].to_string();
    let bot = fake.bot_user_id().to_string();
    let mut client = identified(&fake, Intents::GUILDS).await;
    client
        .send(
            json!({"op": 8, "d": {"guild_id": guild, "user_ids": [bot, "42"],
                                    "nonce": "x".repeat(33)}}),
        )
        .await;
    let chunk = client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
    assert_eq!(member_ids(&chunk), vec![bot.clone()]);
    assert_eq!(chunk["d"]["not_found"], json!(["42"]));
    assert_eq!(chunk["d"]["chunk_count"], 1);
    assert!(
        chunk["d"].get("nonce").is_none(),
        "a nonce over 32 bytes is ignored"
    );

    let name = chunk["d"]["members"][0]["user"]["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let prefix: String = name.chars().take(3).collect();
    client
        .send(
            json!({"op": 8, "d": {"guild_id": guild, "query": prefix.to_uppercase(), "limit": 5}}),
        )
        .await;
    let chunk = client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
    let members = chunk["d"]["members"].as_array().unwrap();
    assert!(!members.is_empty() && members.len() <= 5);
    for m in members {
        let username = m["user"]["username"].as_str().unwrap().to_lowercase();
        assert!(username.starts_with(&prefix.to_lowercase()));
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn presence_voice_soundboard_and_channel_info() {
    let fake = builder().guilds(1).start().await.unwrap();
    let guild = fake.guild_ids()[0].to_string();
    let mut client = identified(&fake, Intents::GUILDS | Intents::GUILD_VOICE_STATES).await;
    client
        .send(
            json!({"op": 3, "d": {"since": null, "activities": [{"name": "tests", "type": 0}],
                                    "status": "online", "afk": false}}),
        )
        .await;
    client
        .send(json!({"op": 31, "d": {"guild_ids": [guild]}}))
        .await;
    let sounds = client.expect_dispatch("SOUNDBOARD_SOUNDS").await;
    assert_eq!(sounds["d"]["guild_id"], guild);
    assert_eq!(sounds["d"]["soundboard_sounds"], json!([]));
    client
        .send(json!({"op": 43, "d": {"guild_id": guild, "fields": ["status"]}}))
        .await;
    let info = client.expect_dispatch("CHANNEL_INFO").await;
    assert_eq!(info["d"]["guild_id"], guild);
    assert!(info["d"]["channels"].is_array());
    client
        .send(json!({"op": 4, "d": {"guild_id": guild, "channel_id": "77",
                                    "self_mute": false, "self_deaf": true}}))
        .await;
    let state = client.expect_dispatch("VOICE_STATE_UPDATE").await;
    assert_eq!(state["d"]["self_deaf"], true);
    assert_eq!(state["d"]["user_id"], fake.bot_user_id().to_string());
    let server = client.expect_dispatch("VOICE_SERVER_UPDATE").await;
    assert!(server["d"]["endpoint"].is_null());
    let recorded: Vec<u8> = fake.gateway_payloads().iter().map(|p| p.op).collect();
    assert_eq!(recorded, vec![2, 3, 31, 43, 4]);

    client.send(json!({"op": 3, "d": {"status": "away"}})).await;
    assert_eq!(client.closed().await, Some(CloseCode::UnknownOpcode.code()));
    fake.shutdown().await;
}

#[tokio::test]
async fn presences_in_chunks_need_the_intent_and_skip_offline_members() {
    let fake = builder()
        .guilds(1)
        .members_per_guild(40)
        .privileged_intents(Intents::GUILD_MEMBERS | Intents::GUILD_PRESENCES)
        .start()
        .await
        .unwrap();
    let guild = fake.guild_ids()[0].to_string();
    let intents = Intents::GUILDS | Intents::GUILD_MEMBERS | Intents::GUILD_PRESENCES;
    let mut client = identified(&fake, intents).await;
    client
        .send(
            json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0,
                                    "presences": true}}),
        )
        .await;
    let chunk = client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
    let members = member_ids(&chunk);
    let presences = chunk["d"]["presences"].as_array().unwrap();
    assert!(!presences.is_empty(), "the fixtures have online members");
    for presence in presences {
        assert_ne!(presence["status"], "offline");
        let id = presence["user"]["id"].as_str().unwrap();
        assert!(members.iter().any(|m| m == id));
    }

    // without GUILD_PRESENCES `presences: true` is forced to false
    let fake2 = builder()
        .guilds(1)
        .privileged_intents(Intents::GUILD_MEMBERS)
        .start()
        .await
        .unwrap();
    let guild = fake2.guild_ids()[0].to_string();
    let mut client = identified(&fake2, Intents::GUILDS | Intents::GUILD_MEMBERS).await;
    client
        .send(
            json!({"op": 8, "d": {"guild_id": guild, "query": "", "limit": 0,
                                    "presences": true}}),
        )
        .await;
    let chunk = client.expect_dispatch("GUILD_MEMBERS_CHUNK").await;
    assert!(chunk["d"].get("presences").is_none());
    fake.shutdown().await;
    fake2.shutdown().await;
}
