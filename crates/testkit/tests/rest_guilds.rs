//! Guilds, members, roles and bans (discord-protocol.md §11.2), and leaving
//! a guild (§11.1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api, Gateway};
use serde_json::{json, Value};

async fn api() -> (Api, u64) {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .guilds(2)
            .members_per_guild(30),
    )
    .await;
    let guild = api.fake.guild_ids()[0];
    (api, guild)
}

fn ids(list: &Value, pointer: &str) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| id(item.pointer(pointer).unwrap()))
        .collect()
}

#[tokio::test]
async fn leaving_a_guild_removes_it() {
    let (api, guild) = api().await;
    let (status, body) = send(api.delete(&format!("/users/@me/guilds/{guild}"))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, guilds) = send(api.get("/users/@me/guilds")).await;
    assert!(!ids(&guilds, "/id").contains(&guild));
    assert_eq!(guilds.as_array().unwrap().len(), 1);
    assert!(!api.fake.guild_ids().contains(&guild));
    let (status, body) = send(api.get(&format!("/guilds/{guild}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10004);
    let (status, body) = send(api.delete(&format!("/users/@me/guilds/{guild}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10004);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn guild_object_and_counts() {
    let (api, guild) = api().await;
    let (status, body) = send(api.get(&format!("/guilds/{guild}"))).await;
    assert_eq!(status, 200);
    for key in [
        "id",
        "name",
        "icon",
        "splash",
        "discovery_splash",
        "owner_id",
        "afk_channel_id",
        "afk_timeout",
        "verification_level",
        "default_message_notifications",
        "explicit_content_filter",
        "roles",
        "emojis",
        "features",
        "mfa_level",
        "application_id",
        "system_channel_id",
        "system_channel_flags",
        "rules_channel_id",
        "vanity_url_code",
        "description",
        "banner",
        "premium_tier",
        "preferred_locale",
        "public_updates_channel_id",
        "nsfw_level",
        "premium_progress_bar_enabled",
        "safety_alerts_channel_id",
    ] {
        assert!(body.get(key).is_some(), "guild lacks {key}");
    }
    assert_eq!(
        id(&body["roles"][0]["id"]),
        guild,
        "@everyone id = guild id"
    );
    let (status, emojis) = send(api.get(&format!("/guilds/{guild}/emojis"))).await;
    assert_eq!(status, 200);
    assert_eq!(emojis, body["emojis"]);
    let emoji_id = id(&emojis[0]["id"]);
    let (status, emoji) = send(api.get(&format!("/guilds/{guild}/emojis/{emoji_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(emoji, emojis[0]);
    let (status, body404) = send(api.get(&format!("/guilds/{guild}/emojis/1"))).await;
    assert_eq!(status, 404);
    assert_error(&body404, 10014);
    let (status, app) = send(api.get("/oauth2/applications/@me")).await;
    assert_eq!(status, 200);
    assert_eq!(id(&app["id"]), api.fake.bot_user_id());
    assert!(body.get("approximate_member_count").is_none());
    let (status, renamed) =
        send(api.patch(&format!("/guilds/{guild}"), &json!({"name": "Renamed"}))).await;
    assert_eq!(status, 200);
    assert_eq!(renamed["name"], "Renamed");
    let (status, body) = send(api.patch(&format!("/guilds/{guild}"), &json!({"name": "x"}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (_, counted) = send(api.get(&format!("/guilds/{guild}?with_counts=true"))).await;
    assert_eq!(counted["name"], "Renamed");
    assert_eq!(counted["approximate_member_count"], 31);
    assert!(counted["approximate_presence_count"].as_u64().is_some());
    api.fake.shutdown().await;
}

#[tokio::test]
async fn members_list_get_modify_kick() {
    let (api, guild) = api().await;
    let base = format!("/guilds/{guild}/members");
    let (_, one) = send(api.get(&base)).await;
    assert_eq!(one.as_array().unwrap().len(), 1, "default limit is 1");
    let (_, all) = send(api.get(&format!("{base}?limit=1000"))).await;
    let all_ids = ids(&all, "/user/id");
    assert_eq!(all_ids.len(), 31);
    assert!(all_ids.windows(2).all(|w| w[0] < w[1]));
    let (_, page) = send(api.get(&format!("{base}?limit=5&after={}", all_ids[9]))).await;
    assert_eq!(ids(&page, "/user/id"), all_ids[10..15].to_vec());
    let (status, _) = send(api.get(&format!("{base}?limit=1001"))).await;
    assert_eq!(status, 400);

    let user = all_ids[3];
    let (status, member) = send(api.get(&format!("{base}/{user}"))).await;
    assert_eq!(status, 200);
    for key in ["user", "roles", "joined_at", "deaf", "mute", "flags"] {
        assert!(member.get(key).is_some(), "member lacks {key}");
    }
    let (_, roles) = send(api.get(&format!("/guilds/{guild}/roles"))).await;
    let role = id(&roles[1]["id"]);
    let (status, member) = send(api.patch(
        &format!("{base}/{user}"),
        &json!({"nick": "nicky", "roles": [role.to_string()], "mute": true}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(member["nick"], "nicky");
    assert_eq!(member["roles"], json!([role.to_string()]));
    assert_eq!(member["mute"], true);
    let (status, body) =
        send(api.patch(&format!("{base}/{user}"), &json!({"nick": "x".repeat(33)}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, body) = send(api.patch(&format!("{base}/{user}"), &json!({"roles": ["1"]}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10011);
    let (status, body) = send(api.patch(
        &format!("{base}/{user}"),
        &json!({"communication_disabled_until": "2999-01-01T00:00:00+00:00"}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, me) = send(api.patch(&format!("{base}/@me"), &json!({"nick": "bot nick"}))).await;
    assert_eq!(status, 200);
    assert_eq!(id(&me["user"]["id"]), api.fake.bot_user_id());

    // Role add/remove routes.
    let other_role = id(&roles[2]["id"]);
    let role_path = format!("{base}/{user}/roles/{other_role}");
    assert_eq!(send(api.put(&role_path)).await.0, 204);
    let (_, member) = send(api.get(&format!("{base}/{user}"))).await;
    assert!(member["roles"]
        .as_array()
        .unwrap()
        .contains(&json!(other_role.to_string())));
    assert_eq!(send(api.delete(&role_path)).await.0, 204);

    assert_eq!(send(api.delete(&format!("{base}/{user}"))).await.0, 204);
    let (status, body) = send(api.get(&format!("{base}/{user}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10007);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn roles_and_bans() {
    let (api, guild) = api().await;
    let roles = format!("/guilds/{guild}/roles");
    let (status, role) = send(api.post(
        &roles,
        &json!({"name": "helpers", "permissions": "8", "hoist": true}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(role["name"], "helpers");
    assert_eq!(role["permissions"], "8");
    let role_id = id(&role["id"]);
    let (status, role) =
        send(api.patch(&format!("{roles}/{role_id}"), &json!({"name": "mods"}))).await;
    assert_eq!(status, 200);
    assert_eq!(role["name"], "mods");
    let (_, fetched) = send(api.get(&format!("{roles}/{role_id}"))).await;
    assert_eq!(fetched, role);
    assert_eq!(send(api.delete(&format!("{roles}/{role_id}"))).await.0, 204);
    let (status, body) = send(api.get(&format!("{roles}/{role_id}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10011);
    let (status, body) = send(api.delete(&format!("{roles}/{guild}"))).await;
    assert_eq!(status, 400, "@everyone cannot be deleted");
    assert_error(&body, 50028);

    let bans = format!("/guilds/{guild}/bans");
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=5"))).await;
    let user = id(&members[4]["user"]["id"]);
    let (status, body) = send(api.get(&format!("{bans}/{user}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10026);
    let request = api
        .put(&format!("{bans}/{user}"))
        .header("x-audit-log-reason", "spamming%20links")
        .json(&json!({"delete_message_seconds": 60}));
    assert_eq!(send(request).await.0, 204);
    let (status, ban) = send(api.get(&format!("{bans}/{user}"))).await;
    assert_eq!(status, 200);
    assert_eq!(ban["reason"], "spamming links");
    assert_eq!(id(&ban["user"]["id"]), user);
    let (_, list) = send(api.get(&bans)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // A banned member is no longer a member.
    let (status, _) = send(api.get(&format!("/guilds/{guild}/members/{user}"))).await;
    assert_eq!(status, 404);
    let (status, body) = send(
        api.put(&format!("{bans}/{user}"))
            .json(&json!({"delete_message_seconds": 604_801})),
    )
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert_eq!(send(api.delete(&format!("{bans}/{user}"))).await.0, 204);
    let (_, list) = send(api.get(&bans)).await;
    assert_eq!(list, json!([]));
    api.fake.shutdown().await;
}

#[tokio::test]
async fn a_large_generated_guild_pages_through_all_members() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .guilds(1)
            .members_per_guild(2_500)
            .seed(7),
    )
    .await;
    let guild = api.fake.guild_ids()[0];
    let mut after = 0u64;
    let mut seen = Vec::new();
    loop {
        let (status, page) =
            send(api.get(&format!("/guilds/{guild}/members?limit=1000&after={after}"))).await;
        assert_eq!(status, 200);
        let page = ids(&page, "/user/id");
        if page.is_empty() {
            break;
        }
        after = *page.last().unwrap();
        seen.extend(page);
    }
    assert_eq!(seen.len(), 2_501, "2500 generated members and the bot");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    // Same seed, same world.
    let again = FakeDiscord::builder()
        .guilds(1)
        .members_per_guild(2_500)
        .seed(7)
        .start()
        .await
        .unwrap();
    assert_eq!(again.guild_ids(), vec![guild]);
    again.shutdown().await;
    api.fake.shutdown().await;
}

#[tokio::test]
async fn search_and_bulk_ban() {
    let (api, guild) = api().await;
    let (_, all) = send(api.get(&format!("/guilds/{guild}/members?limit=1000"))).await;
    let name = all[5]["user"]["username"].as_str().unwrap().to_owned();
    let prefix: String = name.chars().take(3).collect::<String>().to_uppercase();
    let (status, found) = send(api.get(&format!(
        "/guilds/{guild}/members/search?query={prefix}&limit=1000"
    )))
    .await;
    assert_eq!(status, 200);
    let found = found.as_array().unwrap();
    assert!(found.iter().any(|m| m["user"]["username"] == name.as_str()));
    assert!(found.iter().all(|m| m["user"]["username"]
        .as_str()
        .unwrap()
        .to_uppercase()
        .starts_with(&prefix)));
    let (status, body) = send(api.get(&format!("/guilds/{guild}/members/search"))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);

    let targets = vec![
        all[1]["user"]["id"].clone(),
        all[2]["user"]["id"].clone(),
        json!("1"),
    ];
    let (status, body) = send(api.post(
        &format!("/guilds/{guild}/bulk-ban"),
        &json!({"user_ids": targets}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["banned_users"].as_array().unwrap().len(), 2);
    assert_eq!(body["failed_users"], json!(["1"]));
    let (_, bans) = send(api.get(&format!("/guilds/{guild}/bans"))).await;
    assert_eq!(bans.as_array().unwrap().len(), 2);
    let too_many: Vec<String> = (0..201).map(|i| (1000 + i).to_string()).collect();
    let (status, body) = send(api.post(
        &format!("/guilds/{guild}/bulk-ban"),
        &json!({"user_ids": too_many}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn overwrites_invites_and_positions() {
    let (api, guild) = api().await;
    let channel = api.fake.channel_ids(guild)[0];
    let (_, roles) = send(api.get(&format!("/guilds/{guild}/roles"))).await;
    let role = id(&roles[1]["id"]);
    let path = format!("/channels/{channel}/permissions/{role}");
    let request = api
        .put(&path)
        .json(&json!({"type": 0, "allow": "1024", "deny": "2048"}));
    assert_eq!(send(request).await.0, 204);
    let (_, fetched) = send(api.get(&format!("/channels/{channel}"))).await;
    let overwrites = fetched["permission_overwrites"].as_array().unwrap();
    assert_eq!(overwrites.len(), 1);
    assert_eq!(overwrites[0]["deny"], "2048");
    let (status, body) = send(
        api.put(&format!("/channels/{channel}/permissions/1"))
            .json(&json!({"type": 0})),
    )
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10011);
    let (status, body) = send(api.put(&path).json(&json!({"type": 3}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert_eq!(send(api.delete(&path)).await.0, 204);
    let (status, body) = send(api.delete(&path)).await;
    assert_eq!(status, 404);
    assert_error(&body, 10009);

    let (status, invite) = send(api.post(
        &format!("/channels/{channel}/invites"),
        &json!({"max_age": 3600}),
    ))
    .await;
    assert_eq!(status, 200);
    assert!(invite["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(invite["max_age"], 3600);
    assert!(invite["expires_at"].is_string());
    let (_, list) = send(api.get(&format!("/channels/{channel}/invites"))).await;
    assert_eq!(list[0]["code"], invite["code"]);
    let (status, _) = send(api.post(
        &format!("/channels/{channel}/invites"),
        &json!({"max_age": 604_801}),
    ))
    .await;
    assert_eq!(status, 400);

    let request = api
        .req(reqwest::Method::PATCH, &format!("/guilds/{guild}/channels"))
        .json(&json!([{"id": channel.to_string(), "position": 7}]));
    assert_eq!(send(request).await.0, 204);
    let (_, fetched) = send(api.get(&format!("/channels/{channel}"))).await;
    assert_eq!(fetched["position"], 7);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn role_positions_move_roles_and_keep_the_rest_in_order() {
    let (api, guild) = api().await;
    let roles = format!("/guilds/{guild}/roles");
    let (_, before) = send(api.get(&roles)).await;
    let name_at = |list: &Value| -> Vec<(String, u64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["position"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        name_at(&before),
        vec![
            ("@everyone".into(), 0),
            ("member".into(), 1),
            ("moderator".into(), 2)
        ]
    );
    let (_, helpers) = send(api.post(&roles, &json!({"name": "helpers"}))).await;
    assert_eq!(helpers["position"], 3);
    // GUILDS.
    let mut gateway = Gateway::connect(&api.fake, 1).await;

    let (status, moved) = send(
        api.patch(&roles, &json!([{"id": helpers["id"], "position": 1}]))
            .header("x-audit-log-reason", "reorder"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        name_at(&moved),
        vec![
            ("@everyone".into(), 0),
            ("helpers".into(), 1),
            ("member".into(), 2),
            ("moderator".into(), 3),
        ]
    );
    let (_, listed) = send(api.get(&roles)).await;
    assert_eq!(listed, moved);
    // One GUILD_ROLE_UPDATE per role whose position changed.
    let mut updated = Vec::new();
    for _ in 0..3 {
        let d = gateway.dispatch("GUILD_ROLE_UPDATE").await;
        assert_eq!(id(&d["guild_id"]), guild);
        updated.push((
            d["role"]["name"].as_str().unwrap().to_owned(),
            d["role"]["position"].as_u64().unwrap(),
        ));
    }
    updated.sort();
    assert_eq!(
        updated,
        vec![
            ("helpers".into(), 1),
            ("member".into(), 2),
            ("moderator".into(), 3)
        ]
    );
    let (_, log) = send(api.get(&format!("/guilds/{guild}/audit-logs?action_type=31"))).await;
    let entries = log["audit_log_entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries
        .iter()
        .all(|e| e["reason"] == "reorder" && e["changes"][0]["key"] == "position"));

    // Two at once; a null position leaves a role where it is.
    let (_, moved) = send(api.patch(
        &roles,
        &json!([
            {"id": helpers["id"], "position": 3},
            {"id": before[1]["id"], "position": null},
        ]),
    ))
    .await;
    assert_eq!(
        name_at(&moved),
        vec![
            ("@everyone".into(), 0),
            ("member".into(), 1),
            ("moderator".into(), 2),
            ("helpers".into(), 3),
        ]
    );

    for (body, pointer) in [
        (json!({"id": helpers["id"]}), ""),
        (json!([{"id": "1", "position": 1}]), "/errors/0/id"),
        (
            json!([{"id": guild.to_string(), "position": 2}]),
            "/errors/0/id",
        ),
        (
            json!([{"id": helpers["id"], "position": "top"}]),
            "/errors/0/position",
        ),
        (json!([{"position": 1}]), "/errors/0/id"),
    ] {
        let (status, error) = send(api.patch(&roles, &body)).await;
        assert_eq!(status, 400, "{body}");
        assert_error(&error, 50035);
        if !pointer.is_empty() {
            assert!(error.pointer(pointer).is_some(), "{error}");
        }
    }
    let (status, error) = send(api.patch(
        "/guilds/1/roles",
        &json!([{"id": helpers["id"], "position": 1}]),
    ))
    .await;
    assert_eq!(status, 404);
    assert_error(&error, 10004);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn with_counts_adds_approximate_counts() {
    let (api, guild) = api().await;
    let (_, plain) = send(api.get(&format!("/guilds/{guild}"))).await;
    assert!(plain.get("approximate_member_count").is_none());
    assert!(plain.get("approximate_presence_count").is_none());
    for query in ["with_counts=true", "with_counts=True", "with_counts=1"] {
        let (status, counted) = send(api.get(&format!("/guilds/{guild}?{query}"))).await;
        assert_eq!(status, 200);
        // 30 generated members plus the bot.
        assert_eq!(counted["approximate_member_count"], 31, "{query}");
        let presences = counted["approximate_presence_count"].as_u64().unwrap();
        assert!(presences <= 31);
    }
    let (_, not_counted) = send(api.get(&format!("/guilds/{guild}?with_counts=false"))).await;
    assert!(not_counted.get("approximate_member_count").is_none());
    api.fake.shutdown().await;
}

#[tokio::test]
async fn a_user_who_left_can_still_be_banned_and_looked_up() {
    // Discord bans by user id: a kicked user is still a user.
    let (api, guild) = api().await;
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=5"))).await;
    let user = ids(&members, "/user/id")[2];
    let (status, _) = send(api.delete(&format!("/guilds/{guild}/members/{user}"))).await;
    assert_eq!(status, 204);
    let (status, found) = send(api.get(&format!("/users/{user}"))).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(id(&found["id"]), user);
    let (status, body) = send(
        api.put(&format!("/guilds/{guild}/bans/{user}"))
            .json(&json!({"delete_message_seconds": 0})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, ban) = send(api.get(&format!("/guilds/{guild}/bans/{user}"))).await;
    assert_eq!(status, 200);
    assert_eq!(id(&ban["user"]["id"]), user);
    // an id Discord never issued is still unknown
    let (status, _) = send(
        api.put(&format!("/guilds/{guild}/bans/42"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 404);
}
