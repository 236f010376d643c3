//! Guild emojis (discord-protocol.md §8.9, §11.2): created from an image
//! data URI, modified, deleted, each change announced with
//! GUILD_EMOJIS_UPDATE and logged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api, Gateway};
use serde_json::{json, Value};

/// A tiny PNG-looking data URI (the fake checks the form, not the pixels).
const PNG: &str = "data:image/png;base64,iVBORw0KGgo=";
/// GUILDS | GUILD_EXPRESSIONS.
const INTENTS: u64 = 1 | (1 << 3);

#[tokio::test]
async fn create_modify_delete_an_emoji() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, channel) = api.guild_and_channel();
    let mut gateway = Gateway::connect(&api.fake, INTENTS).await;
    let emojis = format!("/guilds/{guild}/emojis");
    let (_, roles) = send(api.get(&format!("/guilds/{guild}/roles"))).await;
    let member_role = roles[1]["id"].clone();

    let (status, emoji) = send(
        api.post(
            &emojis,
            &json!({"name": "blob", "image": PNG, "roles": [member_role]}),
        )
        .header("x-audit-log-reason", "new%20emoji"),
    )
    .await;
    assert_eq!(status, 201);
    for key in [
        "id",
        "name",
        "roles",
        "user",
        "require_colons",
        "managed",
        "animated",
        "available",
    ] {
        assert!(emoji.get(key).is_some(), "emoji lacks {key}");
    }
    assert_eq!(emoji["name"], "blob");
    assert_eq!(emoji["animated"], false);
    assert_eq!(emoji["roles"], json!([member_role]));
    assert_eq!(id(&emoji["user"]["id"]), api.fake.bot_user_id());
    let emoji_id = id(&emoji["id"]);
    let d = gateway.dispatch("GUILD_EMOJIS_UPDATE").await;
    assert_eq!(id(&d["guild_id"]), guild);
    assert_eq!(d["emojis"].as_array().unwrap().len(), 3);
    assert!(d["emojis"].as_array().unwrap().contains(&emoji));

    // The existing routes and the guild see it; reactions can use it.
    let (_, list) = send(api.get(&emojis)).await;
    assert_eq!(list, d["emojis"]);
    let (status, fetched) = send(api.get(&format!("{emojis}/{emoji_id}"))).await;
    assert_eq!((status, &fetched), (200, &emoji));
    let (_, guild_object) = send(api.get(&format!("/guilds/{guild}"))).await;
    assert_eq!(guild_object["emojis"], list);
    let (_, message) = send(api.post(
        &format!("/channels/{channel}/messages"),
        &json!({"content": "react"}),
    ))
    .await;
    let reaction = format!(
        "/channels/{channel}/messages/{}/reactions/blob:{emoji_id}/@me",
        message["id"].as_str().unwrap()
    );
    assert_eq!(send(api.put(&reaction)).await.0, 204);

    // A GIF is animated.
    let (status, animated) = send(api.post(
        &emojis,
        &json!({"name": "dance", "image": "data:image/gif;base64,R0lGODlh"}),
    ))
    .await;
    assert_eq!(status, 201);
    assert_eq!(animated["animated"], true);
    assert_eq!(animated["roles"], json!([]));

    let path = format!("{emojis}/{emoji_id}");
    let (status, renamed) = send(api.patch(&path, &json!({"name": "blob_2", "roles": null}))).await;
    assert_eq!(status, 200);
    assert_eq!(renamed["name"], "blob_2");
    assert_eq!(renamed["roles"], json!([]));
    gateway.dispatch("GUILD_EMOJIS_UPDATE").await;
    let d = gateway.dispatch("GUILD_EMOJIS_UPDATE").await;
    assert!(d["emojis"].as_array().unwrap().contains(&renamed));

    assert_eq!(send(api.delete(&path)).await, (204, Value::Null));
    let d = gateway.dispatch("GUILD_EMOJIS_UPDATE").await;
    assert!(d["emojis"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["id"] != renamed["id"]));
    for request in [api.get(&path), api.delete(&path)] {
        let (status, body) = send(request).await;
        assert_eq!(status, 404);
        assert_error(&body, 10014);
    }
    let (status, body) = send(api.patch(&path, &json!({"name": "again"}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10014);

    let (_, log) = send(api.get(&format!("/guilds/{guild}/audit-logs"))).await;
    let entries = log["audit_log_entries"].as_array().unwrap();
    let actions: Vec<u64> = entries
        .iter()
        .map(|e| e["action_type"].as_u64().unwrap())
        .collect();
    assert_eq!(actions, vec![62, 61, 60, 60]);
    assert_eq!(entries[3]["reason"], "new emoji");
    assert_eq!(
        entries[1]["changes"],
        json!([{"key": "name", "old_value": "blob", "new_value": "blob_2"}])
    );
    api.fake.shutdown().await;
}

#[tokio::test]
async fn emoji_bodies_are_validated() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, _) = api.guild_and_channel();
    let emojis = format!("/guilds/{guild}/emojis");
    // 262 146 bytes once decoded: over 256 KiB.
    let huge = format!("data:image/png;base64,{}", "AAAA".repeat(87_382));
    for (body, pointer, code) in [
        (
            json!({"name": "x_y"}),
            "/errors/image/_errors/0/code",
            "BASE_TYPE_REQUIRED",
        ),
        (
            json!({"image": PNG}),
            "/errors/name/_errors/0/code",
            "BASE_TYPE_REQUIRED",
        ),
        (
            json!({"name": "ok", "image": "iVBORw0KGgo="}),
            "/errors/image/_errors/0/code",
            "IMAGE_INVALID",
        ),
        (
            json!({"name": "ok", "image": "data:image/png;base64,!!!!"}),
            "/errors/image/_errors/0/code",
            "IMAGE_INVALID",
        ),
        (
            json!({"name": "ok", "image": huge}),
            "/errors/image/_errors/0/code",
            "BINARY_TYPE_MAX_SIZE",
        ),
        (
            json!({"name": "a", "image": PNG}),
            "/errors/name/_errors/0/code",
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            json!({"name": "no-dashes", "image": PNG}),
            "/errors/name/_errors/0/code",
            "STRING_TYPE_REGEX",
        ),
        (
            json!({"name": "ok", "image": PNG, "roles": ["1"]}),
            "/errors/roles/0/_errors/0/code",
            "ROLE_INVALID",
        ),
    ] {
        let (status, error) = send(api.post(&emojis, &body)).await;
        assert_eq!(status, 400, "{body}");
        assert_error(&error, 50035);
        assert_eq!(error.pointer(pointer), Some(&json!(code)), "{error}");
    }
    let (status, error) =
        send(api.post("/guilds/1/emojis", &json!({"name": "ok", "image": PNG}))).await;
    assert_eq!(status, 404);
    assert_error(&error, 10004);

    // 50 static emojis at premium tier 0 (the fixture guild has one).
    for n in 1..50 {
        let (status, _) =
            send(api.post(&emojis, &json!({"name": format!("e{n}"), "image": PNG}))).await;
        assert_eq!(status, 201, "emoji {n}");
    }
    let (status, error) = send(api.post(&emojis, &json!({"name": "one_more", "image": PNG}))).await;
    assert_eq!(status, 400);
    assert_error(&error, 30008);
    // Animated ones have their own 50.
    let (status, _) = send(api.post(
        &emojis,
        &json!({"name": "spin", "image": "data:image/gif;base64,R0lGODlh"}),
    ))
    .await;
    assert_eq!(status, 201);
    api.fake.shutdown().await;
}
