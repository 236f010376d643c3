//! Interaction callbacks, follow-ups and application commands
//! (discord-protocol.md §10.3, §10.4, §10.6).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::Duration;

use acord_testkit::fixtures::{self, InteractionContext};
use acord_testkit::{FakeDiscord, ShardTarget};
use rest_support::{assert_error, id, send, Api, USER_AGENT};
use serde_json::{json, Value};

async fn api() -> Api {
    Api::start(
        FakeDiscord::builder()
            .rate_limits(true)
            .bucket_limit(50)
            .global_limit(2)
            .global_window(Duration::from_secs(30)),
    )
    .await
}

/// Dispatches a slash-command interaction and returns (id, token).
async fn interaction(api: &Api, n: u64) -> (u64, String) {
    let (guild, channel) = api.guild_and_channel();
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=2"))).await;
    let channel_object = send(api.get(&format!("/channels/{channel}"))).await.1;
    let id = 1_000 + n;
    let token = format!("interaction-token-{n}");
    let ctx = InteractionContext {
        id,
        application_id: api.fake.bot_user_id(),
        token: token.clone(),
        guild_id: Some(guild),
        channel: channel_object,
        invoker: members[1].clone(),
    };
    let d = fixtures::slash_command_interaction(&ctx, 42, "ping", vec![]);
    api.fake.dispatch(ShardTarget::All, "INTERACTION_CREATE", d);
    (id, token)
}

/// Interaction routes need no Authorization (the token is in the path).
fn post(api: &Api, path: &str, body: &Value) -> reqwest::RequestBuilder {
    api.http
        .post(api.url(path))
        .header("user-agent", USER_AGENT)
        .json(body)
}

#[tokio::test]
async fn callback_once_then_40060() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (id_, token) = interaction(&api, 1).await;
    let path = format!("/interactions/{id_}/{token}/callback");
    let reply = json!({"type": 4, "data": {"content": "pong"}});
    let (status, body) = send(post(&api, &path, &reply)).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = send(post(&api, &path, &reply)).await;
    assert_eq!(status, 400);
    assert_error(&body, 40060);
    // The reply is a real message in the channel, fetchable as @original.
    let (_, channel) = api.guild_and_channel();
    let (_, list) = send(api.get(&format!("/channels/{channel}/messages"))).await;
    assert_eq!(list[0]["content"], "pong");
    assert_eq!(list[0]["type"], 20);
    let app = api.fake.bot_user_id();
    let original = format!("/webhooks/{app}/{token}/messages/@original");
    let get = |p: &str| api.http.get(api.url(p)).header("user-agent", USER_AGENT);
    let (status, message) = send(get(&original)).await;
    assert_eq!(status, 200);
    assert_eq!(message["id"], list[0]["id"]);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn unknown_and_invalid_callbacks() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (status, body) = send(post(
        &api,
        "/interactions/999/nope/callback",
        &json!({"type": 4}),
    ))
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10062);
    let (id_, token) = interaction(&api, 2).await;
    let path = format!("/interactions/{id_}/wrong-token/callback");
    let (status, body) = send(post(&api, &path, &json!({"type": 5}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10062);
    let path = format!("/interactions/{id_}/{token}/callback");
    // UPDATE_MESSAGE is for component interactions only.
    let (status, body) = send(post(&api, &path, &json!({"type": 7, "data": {}}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, body) = send(post(
        &api,
        &path,
        &json!({"type": 4, "data": {"content": ""}}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50006);
    // Still unacknowledged: a valid callback works.
    let (status, _) = send(post(
        &api,
        &path,
        &json!({"type": 4, "data": {"content": "ok", "flags": 64}}),
    ))
    .await;
    assert_eq!(status, 204);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn defer_then_followups_and_original_edits() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (id_, token) = interaction(&api, 3).await;
    let path = format!("/interactions/{id_}/{token}/callback?with_response=true");
    let (status, body) = send(post(&api, &path, &json!({"type": 5}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["interaction"]["response_message_loading"], true);
    assert_eq!(body["resource"]["type"], 5);
    let app = api.fake.bot_user_id();
    let webhook = format!("/webhooks/{app}/{token}");
    // The first follow-up after a defer edits the loading message.
    let (status, first) = send(post(&api, &webhook, &json!({"content": "done"}))).await;
    assert_eq!(status, 200);
    assert_eq!(first["id"], body["interaction"]["response_message_id"]);
    assert_eq!(first["flags"].as_u64().unwrap() & 128, 0);
    // The next one is a new message.
    let (status, second) = send(post(&api, &webhook, &json!({"content": "more"}))).await;
    assert_eq!(status, 200);
    assert_ne!(second["id"], first["id"]);
    assert_eq!(id(&second["webhook_id"]), app);
    let followup = format!("{webhook}/messages/{}", second["id"].as_str().unwrap());
    let patch = api
        .http
        .patch(api.url(&followup))
        .header("user-agent", USER_AGENT)
        .json(&json!({"content": "edited"}));
    let (status, edited) = send(patch).await;
    assert_eq!(status, 200);
    assert_eq!(edited["content"], "edited");
    let delete = api
        .http
        .delete(api.url(&followup))
        .header("user-agent", USER_AGENT);
    assert_eq!(send(delete).await.0, 204);
    let get = api
        .http
        .get(api.url(&followup))
        .header("user-agent", USER_AGENT);
    let (status, body) = send(get).await;
    assert_eq!(status, 404);
    assert_error(&body, 10008);
    let original = format!("{webhook}/messages/@original");
    let delete = api
        .http
        .delete(api.url(&original))
        .header("user-agent", USER_AGENT);
    assert_eq!(send(delete).await.0, 204);
    let get = api
        .http
        .get(api.url(&original))
        .header("user-agent", USER_AGENT);
    assert_eq!(send(get).await.0, 404);
    // An unknown token is an unknown webhook.
    let (status, body) = send(post(
        &api,
        &format!("/webhooks/{app}/nope"),
        &json!({"content": "x"}),
    ))
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10015);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn interaction_routes_skip_the_global_limit() {
    let api = api().await;
    // Two requests use up the global window (the dispatch helper does both).
    let (id_, token) = interaction(&api, 4).await;
    let response = api.get("/users/@me").send().await.unwrap();
    assert_eq!(response.status(), 429);
    let path = format!("/interactions/{id_}/{token}/callback");
    let (status, _) = send(post(
        &api,
        &path,
        &json!({"type": 4, "data": {"content": "hi"}}),
    ))
    .await;
    assert_eq!(status, 204);
    let app = api.fake.bot_user_id();
    let (status, _) = send(post(
        &api,
        &format!("/webhooks/{app}/{token}"),
        &json!({"content": "again"}),
    ))
    .await;
    assert_eq!(status, 200);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn commands_upsert_200_or_201_and_bulk_overwrite() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let app = api.fake.bot_user_id();
    let global = format!("/applications/{app}/commands");
    let ping = json!({"name": "ping", "description": "Replies with pong"});
    let (status, created) = send(api.post(&global, &ping)).await;
    assert_eq!(status, 201);
    for key in [
        "id",
        "type",
        "application_id",
        "name",
        "description",
        "default_member_permissions",
        "version",
    ] {
        assert!(created.get(key).is_some(), "command lacks {key}");
    }
    assert_eq!(created["type"], 1);
    let (status, overwritten) = send(api.post(
        &global,
        &json!({"name": "ping", "description": "Pong again"}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(overwritten["id"], created["id"]);
    assert_eq!(overwritten["description"], "Pong again");
    assert_ne!(overwritten["version"], created["version"]);
    // Same name, other type: another command.
    let (status, _) = send(api.post(&global, &json!({"name": "ping", "type": 2}))).await;
    assert_eq!(status, 201);
    let (_, list) = send(api.get(&global)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let (status, body) =
        send(api.post(&global, &json!({"name": "Bad Name", "description": "x"}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert!(body["errors"]["name"]["_errors"].is_array());

    let command = format!("{global}/{}", created["id"].as_str().unwrap());
    let (status, patched) = send(api.patch(&command, &json!({"description": "patched"}))).await;
    assert_eq!(status, 200);
    assert_eq!(patched["description"], "patched");
    assert_eq!(send(api.get(&command)).await.1["description"], "patched");

    // Bulk overwrite keeps ids of surviving names and drops the rest.
    let bulk = json!([
        {"name": "ping", "description": "kept"},
        {"name": "echo", "description": "new", "options": [{"type": 3, "name": "text", "description": "what", "required": true}]},
    ]);
    let (status, replaced) = send(api.req(reqwest::Method::PUT, &global).json(&bulk)).await;
    assert_eq!(status, 200);
    assert_eq!(replaced[0]["id"], created["id"]);
    let (_, list) = send(api.get(&global)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list.as_array().unwrap().iter().all(|c| c["type"] == 1));

    // Guild commands are a separate scope.
    let guild = api.fake.guild_ids()[0];
    let scoped = format!("/applications/{app}/guilds/{guild}/commands");
    let (status, guild_command) = send(api.post(&scoped, &ping)).await;
    assert_eq!(status, 201);
    assert_eq!(id(&guild_command["guild_id"]), guild);
    let (_, list) = send(api.get(&scoped)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let path = format!("{scoped}/{}", guild_command["id"].as_str().unwrap());
    assert_eq!(send(api.delete(&path)).await.0, 204);
    let (status, body) = send(api.get(&path)).await;
    assert_eq!(status, 404);
    assert_error(&body, 10063);
    let (status, _) = send(api.get("/applications/1/commands")).await;
    assert_eq!(status, 403);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn two_hundred_command_creates_per_day() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let app = api.fake.bot_user_id();
    let guild = api.fake.guild_ids()[0];
    let scoped = format!("/applications/{app}/guilds/{guild}/commands");
    for i in 0..200 {
        let body = json!({"name": format!("c{}", i % 50), "description": "d"});
        let (status, _) = send(api.post(&scoped, &body)).await;
        assert!(status == 200 || status == 201, "{status}");
    }
    let (status, body) =
        send(api.post(&scoped, &json!({"name": "one-more", "description": "d"}))).await;
    assert_eq!(status, 429);
    assert_error(&body, 30034);
    // Global commands are another scope.
    let (status, _) = send(api.post(
        &format!("/applications/{app}/commands"),
        &json!({"name": "g", "description": "d"}),
    ))
    .await;
    assert_eq!(status, 201);
    api.fake.shutdown().await;
}
