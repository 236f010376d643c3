//! Channel webhooks (discord-protocol.md §11.4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::Duration;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api, USER_AGENT};
use serde_json::{json, Value};

#[tokio::test]
async fn create_execute_and_manage_a_webhook() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (guild, channel) = api.guild_and_channel();
    let (status, body) = send(api.post(&format!("/channels/{channel}/webhooks"), &json!({}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, hook) = send(api.post(
        &format!("/channels/{channel}/webhooks"),
        &json!({"name": "logger"}),
    ))
    .await;
    assert_eq!(status, 200);
    for key in [
        "id",
        "type",
        "guild_id",
        "channel_id",
        "name",
        "avatar",
        "token",
        "user",
    ] {
        assert!(hook.get(key).is_some(), "webhook lacks {key}");
    }
    let hook_id = id(&hook["id"]);
    let token = hook["token"].as_str().unwrap().to_owned();
    let (_, listed) = send(api.get(&format!("/guilds/{guild}/webhooks"))).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (_, listed) = send(api.get(&format!("/channels/{channel}/webhooks"))).await;
    assert_eq!(listed[0]["id"], hook["id"]);

    // Executing needs no Authorization, only the token.
    let no_auth = |method: reqwest::Method, path: &str| {
        api.http
            .request(method, api.url(path))
            .header("user-agent", USER_AGENT)
    };
    let execute = format!("/webhooks/{hook_id}/{token}");
    let (status, body) =
        send(no_auth(reqwest::Method::POST, &execute).json(&json!({"content": "quiet"}))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, message) = send(
        no_auth(reqwest::Method::POST, &format!("{execute}?wait=true"))
            .json(&json!({"content": "loud", "username": "Logger Bot"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(message["author"]["username"], "Logger Bot");
    // A webhook's message is the channel's last message like any other.
    let (_, channel_now) = send(api.get(&format!("/channels/{channel}"))).await;
    assert_eq!(channel_now["last_message_id"], message["id"]);
    assert_eq!(message["author"]["id"], hook["id"]);
    assert_eq!(message["webhook_id"], hook["id"]);
    let (_, list) = send(api.get(&format!("/channels/{channel}/messages"))).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let message_path = format!("{execute}/messages/{}", message["id"].as_str().unwrap());
    let (status, edited) =
        send(no_auth(reqwest::Method::PATCH, &message_path).json(&json!({"content": "edited"})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(edited["content"], "edited");
    let (status, fetched) = send(no_auth(reqwest::Method::GET, &message_path)).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["content"], "edited");
    assert_eq!(
        send(no_auth(reqwest::Method::DELETE, &message_path))
            .await
            .0,
        204
    );

    // A wrong token is refused; the token route hides the owner.
    let (status, body) = send(
        no_auth(reqwest::Method::POST, &format!("/webhooks/{hook_id}/nope"))
            .json(&json!({"content": "x"})),
    )
    .await;
    assert_eq!(status, 401);
    assert_error(&body, 50027);
    let (status, public) = send(no_auth(reqwest::Method::GET, &execute)).await;
    assert_eq!(status, 200);
    assert!(public.get("user").is_none());
    let (status, renamed) =
        send(api.patch(&format!("/webhooks/{hook_id}"), &json!({"name": "audit"}))).await;
    assert_eq!(status, 200);
    assert_eq!(renamed["name"], "audit");
    assert_eq!(
        send(api.delete(&format!("/webhooks/{hook_id}"))).await.0,
        204
    );
    let (status, body) =
        send(no_auth(reqwest::Method::POST, &execute).json(&json!({"content": "x"}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10015);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn channel_webhooks_count_against_the_global_limit() {
    let api = Api::start(
        FakeDiscord::builder()
            .bucket_limit(100)
            .global_limit(2)
            .global_window(Duration::from_secs(30)),
    )
    .await;
    let (_, channel) = api.guild_and_channel();
    let (_, hook) = send(api.post(
        &format!("/channels/{channel}/webhooks"),
        &json!({"name": "h"}),
    ))
    .await;
    let path = format!(
        "/webhooks/{}/{}",
        hook["id"].as_str().unwrap(),
        hook["token"].as_str().unwrap()
    );
    let request = api
        .http
        .post(api.url(&path))
        .header("user-agent", USER_AGENT)
        .json(&json!({"content": "1"}));
    assert_eq!(send(request).await.0, 204);
    let request = api
        .http
        .post(api.url(&path))
        .header("user-agent", USER_AGENT)
        .json(&json!({"content": "2"}));
    assert_eq!(send(request).await.0, 429);
    api.fake.shutdown().await;
}
