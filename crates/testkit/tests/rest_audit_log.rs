//! The guild audit log (discord-protocol.md §1.4 `X-Audit-Log-Reason`,
//! §11.2 Get Guild Audit Log): moderation actions are recorded with their
//! percent-decoded reason, announced with GUILD_AUDIT_LOG_ENTRY_CREATE and
//! read back with filters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use rest_support::{assert_error, id, send, Api, Gateway};
use serde_json::{json, Value};

/// GUILDS | GUILD_MODERATION.
const INTENTS: u64 = 1 | (1 << 2);

fn entry_ids(log: &Value) -> Vec<u64> {
    log["audit_log_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| id(&e["id"]))
        .collect()
}

fn actions(log: &Value) -> Vec<u64> {
    log["audit_log_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action_type"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn moderation_actions_are_logged_with_their_reason() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .guilds(1)
            .members_per_guild(10),
    )
    .await;
    let mut gateway = Gateway::connect(&api.fake, INTENTS).await;
    let (guild, channel) = api.guild_and_channel();
    let bot = api.fake.bot_user_id();
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=5"))).await;
    let kicked = id(&members[1]["user"]["id"]);
    let banned = id(&members[2]["user"]["id"]);
    let author = members[3]["user"].clone();

    // Kick (20) with a percent-encoded reason: stored decoded.
    let (status, _) = send(
        api.delete(&format!("/guilds/{guild}/members/{kicked}"))
            .header(
                "x-audit-log-reason",
                "spam%20%26%20eggs%3A%20%C3%BC%2F100%25",
            ),
    )
    .await;
    assert_eq!(status, 204);
    let d = gateway.dispatch("GUILD_AUDIT_LOG_ENTRY_CREATE").await;
    assert_eq!(d["action_type"], 20);
    assert_eq!(id(&d["target_id"]), kicked);
    assert_eq!(id(&d["user_id"]), bot);
    assert_eq!(id(&d["guild_id"]), guild);
    assert_eq!(d["reason"], "spam & eggs: ü/100%");

    // Ban add (22) and remove (23); no reason header, no `reason`.
    let bans = format!("/guilds/{guild}/bans/{banned}");
    assert_eq!(send(api.put(&bans)).await.0, 204);
    let d = gateway.dispatch("GUILD_AUDIT_LOG_ENTRY_CREATE").await;
    assert_eq!(
        (d["action_type"].as_u64(), id(&d["target_id"])),
        (Some(22), banned)
    );
    assert!(d.get("reason").is_none());
    assert_eq!(
        send(api.delete(&bans).header("x-audit-log-reason", "appeal"))
            .await
            .0,
        204
    );

    // Role create (30), update (31), delete (32) with changes.
    let (_, role) = send(api.post(
        &format!("/guilds/{guild}/roles"),
        &json!({"name": "helpers", "hoist": true}),
    ))
    .await;
    let role_id = id(&role["id"]);
    let role_path = format!("/guilds/{guild}/roles/{role_id}");
    send(api.patch(&role_path, &json!({"name": "helpers+"}))).await;
    assert_eq!(send(api.delete(&role_path)).await.0, 204);

    // Channel create (10), update (11), delete (12).
    let (_, created) = send(api.post(
        &format!("/guilds/{guild}/channels"),
        &json!({"name": "logs"}),
    ))
    .await;
    let created_id = id(&created["id"]);
    send(api.patch(
        &format!("/channels/{created_id}"),
        &json!({"topic": "audit"}),
    ))
    .await;
    assert_eq!(
        send(api.delete(&format!("/channels/{created_id}"))).await.0,
        200
    );

    // A moderator deleting a user's message (72); its own message: no entry.
    let message_id = fixtures::snowflake(1_767_225_600_000, 7);
    let message = fixtures::message(message_id, channel, Some(guild), &author, "rude");
    api.fake
        .dispatch(ShardTarget::All, "MESSAGE_CREATE", message);
    let messages = format!("/channels/{channel}/messages");
    assert_eq!(
        send(
            api.delete(&format!("{messages}/{message_id}"))
                .header("x-audit-log-reason", "rude")
        )
        .await
        .0,
        204
    );
    let (_, own) = send(api.post(&messages, &json!({"content": "mine"}))).await;
    assert_eq!(
        send(api.delete(&format!("{messages}/{}", own["id"].as_str().unwrap())))
            .await
            .0,
        204
    );

    let path = format!("/guilds/{guild}/audit-logs");
    let (status, log) = send(api.get(&path)).await;
    assert_eq!(status, 200);
    for key in [
        "audit_log_entries",
        "users",
        "integrations",
        "threads",
        "webhooks",
        "application_commands",
        "auto_moderation_rules",
        "guild_scheduled_events",
    ] {
        assert!(log[key].is_array(), "audit log lacks {key}");
    }
    // Newest first.
    assert_eq!(actions(&log), vec![72, 12, 11, 10, 32, 31, 30, 23, 22, 20]);
    let ids = entry_ids(&log);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    let entries = log["audit_log_entries"].as_array().unwrap();
    let kick = &entries[9];
    for key in ["id", "user_id", "target_id", "action_type"] {
        assert!(kick.get(key).is_some(), "entry lacks {key}");
    }
    assert_eq!(kick["reason"], "spam & eggs: ü/100%");
    assert_eq!(entries[7]["reason"], "appeal");
    let role_create = &entries[6];
    assert_eq!(id(&role_create["target_id"]), role_id);
    let changes = role_create["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["key"] == "name"
        && c["new_value"] == "helpers"
        && c.get("old_value").is_none()));
    let role_update = &entries[5]["changes"];
    assert_eq!(
        role_update,
        &json!([{"key": "name", "old_value": "helpers", "new_value": "helpers+"}])
    );
    assert_eq!(entries[2]["changes"][0]["key"], "topic");
    let deleted = &entries[0];
    assert_eq!(id(&deleted["target_id"]), id(&author["id"]));
    assert_eq!(id(&deleted["options"]["channel_id"]), channel);
    assert_eq!(deleted["options"]["count"], "1");
    assert_eq!(deleted["reason"], "rude");
    // The users the entries name, the kicked one included (no longer a
    // member), each once.
    let users: Vec<u64> = log["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| id(&u["id"]))
        .collect();
    for user in [bot, kicked, banned, id(&author["id"])] {
        assert_eq!(users.iter().filter(|u| **u == user).count(), 1, "{user}");
    }

    // Filters.
    let (_, only_bans) = send(api.get(&format!("{path}?action_type=22"))).await;
    assert_eq!(actions(&only_bans), vec![22]);
    let (_, by_bot) = send(api.get(&format!("{path}?user_id={bot}"))).await;
    assert_eq!(entry_ids(&by_bot), ids);
    let (_, by_other) = send(api.get(&format!("{path}?user_id={kicked}"))).await;
    assert_eq!(by_other["audit_log_entries"], json!([]));
    let (_, newest) = send(api.get(&format!("{path}?limit=2"))).await;
    assert_eq!(entry_ids(&newest), ids[..2].to_vec());
    let (_, older) = send(api.get(&format!("{path}?limit=3&before={}", ids[1]))).await;
    assert_eq!(entry_ids(&older), ids[2..5].to_vec());
    // `after` alone reads upwards: oldest first.
    let (_, upwards) = send(api.get(&format!("{path}?limit=3&after={}", ids[9]))).await;
    assert_eq!(entry_ids(&upwards), vec![ids[8], ids[7], ids[6]]);
    let (_, from_start) = send(api.get(&format!("{path}?after=0&limit=1"))).await;
    assert_eq!(entry_ids(&from_start), vec![ids[9]]);
    for bad in ["limit=0", "limit=101", "action_type=x", "before=y"] {
        let (status, body) = send(api.get(&format!("{path}?{bad}"))).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&body, 50035);
    }
    let (status, body) = send(api.get("/guilds/1/audit-logs")).await;
    assert_eq!(status, 404);
    assert_error(&body, 10004);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn threads_and_webhooks_come_with_their_entries() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, channel) = api.guild_and_channel();
    let (_, thread) = send(api.post(
        &format!("/channels/{channel}/threads"),
        &json!({"name": "t", "type": 11}),
    ))
    .await;
    let (_, hook) = send(
        api.post(
            &format!("/channels/{channel}/webhooks"),
            &json!({"name": "hook"}),
        )
        .header("x-audit-log-reason", "ci"),
    )
    .await;
    let (_, log) = send(api.get(&format!("/guilds/{guild}/audit-logs"))).await;
    assert_eq!(actions(&log), vec![50, 110]);
    assert_eq!(log["threads"][0]["id"], thread["id"]);
    assert_eq!(log["webhooks"][0]["id"], hook["id"]);
    assert!(
        log["webhooks"][0].get("token").is_none(),
        "no token in the log"
    );
    assert_eq!(log["audit_log_entries"][0]["reason"], "ci");
    api.fake.shutdown().await;
}
