//! `POST /__testkit/interactions`: a test in any language makes a member
//! run a registered command (checked against its definition), press a
//! button on a stored message, or submit a modal; the fake delivers it and
//! then holds the bot to the 3 s window and the single initial response.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use acord_testkit::FakeDiscord;
use serde_json::{json, Value};

const UA: &str = "DiscordBot (https://example.invalid/control-test, 1.0)";

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = http
        .request(method, url)
        .header("User-Agent", UA)
        .json(&body);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bot {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

#[tokio::test]
async fn interactions_built_from_registered_commands_over_the_control_api() {
    let fake = FakeDiscord::builder()
        .control_api(true)
        .identify_window(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let origin = fake.api_base().trim_end_matches("/api").to_owned();
    let control = |path: &str| format!("{origin}/__testkit{path}");
    let api = |path: &str| format!("{}/v10{path}", fake.api_base());
    let app = fake.bot_user_id();

    // the bot registers /pick {color: red|blue, required}
    let (status, _) = call(
        &http,
        reqwest::Method::PUT,
        api(&format!("/applications/{app}/commands")),
        Some(fake.token()),
        json!([{"name": "pick", "description": "Pick a color", "options": [
            {"type": 3, "name": "color", "description": "The color", "required": true,
             "choices": [{"name": "Red", "value": "red"}, {"name": "Blue", "value": "blue"}]}
        ]}]),
    )
    .await;
    assert_eq!(status, 200);
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];

    // a value outside the choices is refused, as Discord's client would
    let (status, error) = call(
        &http,
        reqwest::Method::POST,
        control("/interactions"),
        None,
        json!({"kind": "command", "channel_id": channel.to_string(), "command": "pick", "options": {"color": "green"}}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    let (status, _) = call(
        &http,
        reqwest::Method::POST,
        control("/interactions"),
        None,
        json!({"kind": "command", "channel_id": channel.to_string(), "command": "nope"}),
    )
    .await;
    assert_eq!(status, 404);

    let (status, interaction) = call(
        &http,
        reqwest::Method::POST,
        control("/interactions"),
        None,
        json!({"kind": "command", "channel_id": channel.to_string(), "command": "pick", "options": {"color": "blue"}}),
    )
    .await;
    assert_eq!(status, 200, "{interaction}");
    assert_eq!(interaction["type"], 2);
    assert_eq!(interaction["data"]["name"], "pick");
    assert_eq!(interaction["data"]["options"][0]["value"], "blue");
    assert!(interaction["member"]["user"]["id"].is_string());

    // the fake now holds the bot to one initial response
    let id = interaction["id"].as_str().unwrap();
    let token = interaction["token"].as_str().unwrap();
    let callback = api(&format!("/interactions/{id}/{token}/callback"));
    let answer = json!({"type": 4, "data": {"content": "blue it is"}});
    let (status, _) = call(
        &http,
        reqwest::Method::POST,
        callback.clone(),
        None,
        answer.clone(),
    )
    .await;
    assert_eq!(status, 204);
    let (status, error) = call(&http, reqwest::Method::POST, callback, None, answer).await;
    assert_eq!((status, error["code"].as_u64()), (400, Some(40060)));

    // a modal submit needs no registration
    let (status, submit) = call(
        &http,
        reqwest::Method::POST,
        control("/interactions"),
        None,
        json!({"kind": "modal", "channel_id": channel.to_string(), "custom_id": "form", "fields": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        submit["data"]["components"][0]["components"][0]["value"],
        "Ada"
    );
    fake.shutdown().await;
}
