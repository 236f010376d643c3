//! Invites by code (Discord's Get Invite and Delete Invite; discord-protocol.md
//! §7.1 INVITE_DELETE): created per channel, read without a token, deleted
//! with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api, Gateway, USER_AGENT};
use serde_json::json;

/// GUILDS | GUILD_INVITES.
const INTENTS: u64 = 1 | (1 << 6);

#[tokio::test]
async fn get_and_delete_an_invite_by_code() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .guilds(1)
            .members_per_guild(12),
    )
    .await;
    let (guild, channel) = api.guild_and_channel();
    let mut gateway = Gateway::connect(&api.fake, INTENTS).await;
    let (status, created) = send(api.post(
        &format!("/channels/{channel}/invites"),
        &json!({"max_age": 3600, "max_uses": 5}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(created["uses"], 0);
    let code = created["code"].as_str().unwrap().to_owned();
    let d = gateway.dispatch("INVITE_CREATE").await;
    assert_eq!(d["code"], created["code"]);

    // Get Invite answers without a token; the invite object has no metadata.
    let path = format!("/invites/{code}");
    let public = api
        .http
        .get(api.url(&path))
        .header("user-agent", USER_AGENT);
    let (status, invite) = send(public).await;
    assert_eq!(status, 200);
    for key in ["type", "code", "guild", "channel", "inviter", "expires_at"] {
        assert!(invite.get(key).is_some(), "invite lacks {key}");
    }
    for key in ["uses", "max_uses", "max_age", "temporary", "created_at"] {
        assert!(invite.get(key).is_none(), "invite has metadata {key}");
    }
    assert_eq!(invite["code"], code.as_str());
    assert_eq!(id(&invite["guild"]["id"]), guild);
    assert!(invite["guild"]["name"].is_string());
    assert_eq!(id(&invite["channel"]["id"]), channel);
    assert_eq!(id(&invite["inviter"]["id"]), api.fake.bot_user_id());
    assert!(invite.get("approximate_member_count").is_none());
    let (_, counted) = send(api.get(&format!("{path}?with_counts=true"))).await;
    // 12 generated members plus the bot.
    assert_eq!(counted["approximate_member_count"], 13);
    assert!(counted["approximate_presence_count"].as_u64().unwrap() <= 13);

    // Delete needs the bot's token, returns the invite, fires INVITE_DELETE.
    let anonymous = api
        .http
        .delete(api.url(&path))
        .header("user-agent", USER_AGENT);
    assert_eq!(send(anonymous).await.0, 401);
    let (status, deleted) = send(
        api.delete(&path)
            .header("x-audit-log-reason", "leaked%20publicly"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(deleted["code"], code.as_str());
    assert_eq!(id(&deleted["channel"]["id"]), channel);
    let d = gateway.dispatch("INVITE_DELETE").await;
    assert_eq!(
        d,
        json!({"channel_id": channel.to_string(), "guild_id": guild.to_string(), "code": code})
    );
    for request in [api.get(&path), api.delete(&path)] {
        let (status, body) = send(request).await;
        assert_eq!(status, 404);
        assert_error(&body, 10006);
        assert_eq!(body["message"], "Unknown Invite");
    }
    let (_, left) = send(api.get(&format!("/channels/{channel}/invites"))).await;
    assert_eq!(left, json!([]));

    let (_, log) = send(api.get(&format!("/guilds/{guild}/audit-logs"))).await;
    let entries = log["audit_log_entries"].as_array().unwrap();
    assert_eq!(entries[0]["action_type"], 42);
    assert_eq!(entries[0]["reason"], "leaked publicly");
    assert!(entries[0]["target_id"].is_null());
    assert!(entries[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "code" && c["old_value"] == code.as_str()));
    assert_eq!(entries[1]["action_type"], 40);
    assert!(entries[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "max_uses" && c["new_value"] == 5));

    let (status, body) = send(api.get("/invites/nope")).await;
    assert_eq!(status, 404);
    assert_error(&body, 10006);
    api.fake.shutdown().await;
}
