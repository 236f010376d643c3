//! The HTTP control API (`/__testkit/...` on the REST port), driven over
//! HTTP as a test in another language would drive it, with a raw gateway
//! client watching what the bot would see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_support;

use std::time::Duration;

use acord_core_signals::Intents;
use acord_testkit::FakeDiscord;
use gateway_support::{builder, Client};
use serde_json::{json, Value};

const UA: &str = "DiscordBot (https://example.invalid/control-test, 1.0)";

struct Control {
    fake: FakeDiscord,
    http: reqwest::Client,
}

impl Control {
    async fn start(b: acord_testkit::FakeDiscordBuilder) -> Control {
        let fake = b
            .control_api(true)
            .identify_window(Duration::ZERO)
            .start()
            .await
            .unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Control { fake, http }
    }

    fn url(&self, path: &str) -> String {
        let origin = self.fake.api_base().trim_end_matches("/api");
        format!("{origin}/__testkit{path}")
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
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

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// The bot's own REST call (authorised, Discord's User-Agent form).
    async fn bot_rest(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> u16 {
        let mut request = self
            .http
            .request(method, format!("{}/v10{path}", self.fake.api_base()))
            .header("authorization", format!("Bot {}", self.fake.token()))
            .header("user-agent", UA);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

/// A raw client identified with `intents`, past READY and its
/// GUILD_CREATEs.
async fn identified(fake: &FakeDiscord, intents: Intents) -> Client {
    let mut client = Client::connect(fake, false).await;
    assert_eq!(client.payload().await["op"], 10);
    client.identify(fake.token(), intents, None).await;
    client.expect_dispatch("READY").await;
    for _ in fake.guild_ids() {
        client.expect_dispatch("GUILD_CREATE").await;
    }
    client
}

const ALL_MESSAGES: Intents = Intents::GUILDS
    .union(Intents::GUILD_MEMBERS)
    .union(Intents::GUILD_MESSAGES)
    .union(Intents::MESSAGE_CONTENT);

#[tokio::test]
async fn the_control_api_is_off_unless_asked_for() {
    let fake = builder().start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let origin = fake.api_base().trim_end_matches("/api").to_owned();
    let response = http
        .get(format!("{origin}/__testkit/counters"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 0, "Discord's own 404: {body}");
    fake.shutdown().await;
}

#[tokio::test]
async fn world_guilds_channels_and_members() {
    let control = Control::start(builder().privileged_intents(Intents::PRIVILEGED)).await;
    let mut client = identified(&control.fake, ALL_MESSAGES).await;

    let (status, world) = control.get("/guilds").await;
    assert_eq!(status, 200);
    assert_eq!(world["bot_user_id"], control.fake.bot_user_id().to_string());
    let listed: Vec<&str> = world["guilds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = control
        .fake
        .guild_ids()
        .iter()
        .map(u64::to_string)
        .collect();
    assert_eq!(listed, expected);
    assert!(!world["guilds"][0]["text_channel_ids"]
        .as_array()
        .unwrap()
        .is_empty());

    let (status, added) = control.post("/guilds", json!({"name": "Added"})).await;
    assert_eq!(status, 200);
    let guild_id: u64 = added["id"].as_str().unwrap().parse().unwrap();
    let create = client.expect_dispatch("GUILD_CREATE").await;
    assert_eq!(create["d"]["id"], added["id"]);
    assert_eq!(create["d"]["name"], "Added");
    assert_eq!(control.fake.guild_ids().len(), 3);

    let (status, channel) = control
        .post(
            &format!("/guilds/{guild_id}/channels"),
            json!({"name": "bots"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(channel["name"], "bots");
    let created = client.expect_dispatch("CHANNEL_CREATE").await;
    assert_eq!(created["d"]["id"], channel["id"]);

    let (status, member) = control
        .post(
            &format!("/guilds/{guild_id}/members"),
            json!({"username": "newcomer"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(member["user"]["username"], "newcomer");
    let joined = client.expect_dispatch("GUILD_MEMBER_ADD").await;
    assert_eq!(joined["d"]["user"]["id"], member["user"]["id"]);
    assert_eq!(joined["d"]["guild_id"], added["id"]);
    assert_eq!(control.fake.member_ids(guild_id).len(), 2);

    let (status, error) = control
        .post("/guilds/1/members", json!({"username": "x"}))
        .await;
    assert_eq!(status, 404);
    assert!(error["error"].as_str().unwrap().contains("unknown guild"));
    let (status, _) = control.post("/guilds", json!({})).await;
    assert_eq!(status, 400);
    control.fake.shutdown().await;
}

#[tokio::test]
async fn a_scripted_user_speaks_under_the_content_rules() {
    let control = Control::start(builder().privileged_intents(Intents::PRIVILEGED)).await;
    let mut with_content = identified(&control.fake, ALL_MESSAGES).await;
    let mut without_content =
        identified(&control.fake, Intents::GUILDS | Intents::GUILD_MESSAGES).await;
    let guild = control.fake.guild_ids()[0];
    let channel = control.fake.channel_ids(guild)[0];
    let bot = control.fake.bot_user_id();

    let (status, sent) = control
        .post(
            "/messages",
            json!({"channel_id": channel.to_string(), "content": "ping"}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let author: u64 = sent["author"]["id"].as_str().unwrap().parse().unwrap();
    assert_ne!(author, bot);
    assert!(control.fake.member_ids(guild).contains(&author));

    let seen = with_content.expect_dispatch("MESSAGE_CREATE").await["d"].clone();
    assert_eq!(seen["content"], "ping");
    assert_eq!(seen["id"], sent["id"]);
    assert_eq!(seen["guild_id"], guild.to_string());
    assert!(
        seen["member"]["roles"].is_array(),
        "the author's member: {seen}"
    );
    assert!(seen["member"].get("user").is_none());
    assert!(seen["author"].get("locale").is_none());
    let stripped = without_content.expect_dispatch("MESSAGE_CREATE").await["d"].clone();
    assert_eq!(stripped["content"], "", "no MESSAGE_CONTENT, no content");

    // Mentioning the bot keeps the content for everyone.
    let (_, mention) = control
        .post(
            "/messages",
            json!({"channel_id": channel, "author_id": author, "content": format!("<@{bot}> ping")}),
        )
        .await;
    assert_eq!(mention["mentions"][0]["id"], bot.to_string());
    let kept = without_content.expect_dispatch("MESSAGE_CREATE").await["d"].clone();
    assert_eq!(kept["content"], format!("<@{bot}> ping"));

    // The message exists for REST: the bot can fetch it and reply to it.
    let id = sent["id"].as_str().unwrap();
    assert_eq!(
        control
            .bot_rest(
                reqwest::Method::GET,
                &format!("/channels/{channel}/messages/{id}"),
                None
            )
            .await,
        200
    );

    for (body, status) in [
        (json!({"channel_id": "1", "content": "x"}), 404),
        (
            json!({"channel_id": channel, "author_id": bot, "content": "x"}),
            404,
        ),
        (json!({"channel_id": channel}), 400),
        (json!({"content": "x"}), 400),
    ] {
        assert_eq!(
            control.post("/messages", body.clone()).await.0,
            status,
            "{body}"
        );
    }
    control.fake.shutdown().await;
}

#[tokio::test]
async fn dispatch_to_all_or_one_shard() {
    let control = Control::start(builder().shards(2)).await;
    let mut shards = Vec::new();
    for id in 0..2 {
        let mut client = Client::connect(&control.fake, false).await;
        assert_eq!(client.payload().await["op"], 10);
        client
            .identify(control.fake.token(), Intents::GUILDS, Some([id, 2]))
            .await;
        client.expect_dispatch("READY").await;
        shards.push(client);
    }
    let (status, _) = control
        .post("/dispatch", json!({"t": "TESTKIT_EVENT", "d": {"n": 1}}))
        .await;
    assert_eq!(status, 204);
    for client in &mut shards {
        assert_eq!(client.expect_dispatch("TESTKIT_EVENT").await["d"]["n"], 1);
    }
    control
        .post(
            "/dispatch",
            json!({"t": "TESTKIT_EVENT", "d": {"n": 2}, "shard": 1}),
        )
        .await;
    control
        .post(
            "/dispatch",
            json!({"t": "TESTKIT_EVENT", "d": {"n": 3}, "shard": "all"}),
        )
        .await;
    assert_eq!(
        shards[1].expect_dispatch("TESTKIT_EVENT").await["d"]["n"],
        2
    );
    assert_eq!(
        shards[0].expect_dispatch("TESTKIT_EVENT").await["d"]["n"],
        3,
        "shard 0 did not get the event for shard 1"
    );
    assert_eq!(control.post("/dispatch", json!({"d": {}})).await.0, 400);
    assert_eq!(
        control
            .post("/dispatch", json!({"t": "X", "shard": "two"}))
            .await
            .0,
        400
    );
    control.fake.shutdown().await;
}

#[tokio::test]
async fn gateway_faults() {
    let control = Control::start(builder()).await;
    let mut client = identified(&control.fake, Intents::GUILDS).await;

    assert_eq!(control.post("/gateway/reconnect", json!({})).await.0, 204);
    assert_eq!(client.expect_op(7).await["d"], Value::Null);
    assert_eq!(
        control
            .post("/gateway/heartbeat", json!({"shard": 0}))
            .await
            .0,
        204
    );
    client.expect_op(1).await;
    control
        .post("/gateway/heartbeat-acks", json!({"enabled": false}))
        .await;
    client.heartbeat().await;
    control
        .post("/gateway/invalid-session", json!({"resumable": false}))
        .await;
    // The heartbeat was not ACKed: the next thing is op 9.
    assert_eq!(
        client.payload().await,
        json!({"op": 9, "d": false, "s": null, "t": null})
    );
    control
        .post("/gateway/heartbeat-acks", json!({"enabled": true}))
        .await;
    client.heartbeat().await;
    client.expect_op(11).await;
    control.post("/gateway/close", json!({"code": 4000})).await;
    assert_eq!(client.closed().await, Some(4000));

    let mut dropped = identified(&control.fake, Intents::GUILDS).await;
    assert_eq!(control.post("/gateway/drop", json!({})).await.0, 204);
    assert_eq!(dropped.closed().await, None, "no close frame: a TCP drop");

    let mut corrupt = identified(&control.fake, Intents::GUILDS).await;
    assert_eq!(control.post("/gateway/corrupt", json!({})).await.0, 204);
    let result = tokio::spawn(async move { corrupt.recv().await }).await;
    assert!(result.is_err(), "the corrupt frame does not parse");

    assert_eq!(control.post("/gateway/close", json!({})).await.0, 400);
    assert_eq!(control.post("/gateway/explode", json!({})).await.0, 404);
    control.fake.shutdown().await;
}

#[tokio::test]
async fn requests_list_and_wait() {
    let control = Control::start(builder()).await;
    let guild = control.fake.guild_ids()[0];
    let channel = control.fake.channel_ids(guild)[0];
    assert_eq!(
        control
            .bot_rest(reqwest::Method::GET, "/users/@me", None)
            .await,
        200
    );
    let path = format!("/channels/{channel}/messages");
    let post = |content: &str| {
        control.bot_rest(
            reqwest::Method::POST,
            &path,
            Some(json!({"content": content})),
        )
    };
    assert_eq!(post("one").await, 200);

    let (status, all) = control.get("/requests").await;
    assert_eq!(status, 200);
    assert_eq!(all["requests"].as_array().unwrap().len(), 2);
    assert_eq!(all["next"], 2);
    let (_, posts) = control
        .get("/requests?method=POST&path=/channels/*/messages")
        .await;
    let posts = posts["requests"].as_array().unwrap().clone();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["index"], 1);
    assert_eq!(posts[0]["body"]["content"], "one");
    assert_eq!(posts[0]["status"], 200);
    assert_eq!(posts[0]["headers"]["authorization"], "<redacted>");
    assert_eq!(
        posts[0]["path"],
        format!("/api/v10/channels/{channel}/messages")
    );

    // Nothing new since 2: the wait times out with 408.
    let (status, _) = control
        .get("/requests/wait?method=POST&path=%2Fchannels%2F*%2Fmessages&since=2&timeout_ms=50")
        .await;
    assert_eq!(status, 408);

    // A wait that is answered by a request made while it waits.
    let waiting = control.get("/requests/wait?method=POST&since=2&timeout_ms=5000");
    let (waited, sent) = tokio::join!(waiting, async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        post("two").await
    });
    assert_eq!(sent, 200);
    assert_eq!(waited.0, 200);
    assert_eq!(waited.1["index"], 2);
    assert_eq!(waited.1["body"]["content"], "two");

    assert_eq!(control.get("/requests?since=many").await.0, 400);
    assert_eq!(control.get("/requests/wait?timeout_ms=soon").await.0, 400);
    control.fake.shutdown().await;
}

#[tokio::test]
async fn counters_read_and_reset() {
    let control = Control::start(builder()).await;
    let _client = identified(&control.fake, Intents::GUILDS).await;
    // A request without Discord's User-Agent form and without a token.
    let response = control
        .http
        .get(format!("{}/v10/users/@me", control.fake.api_base()))
        .header("user-agent", "curl/8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let (status, counters) = control.get("/counters").await;
    assert_eq!(status, 200);
    assert_eq!(
        counters["rest_requests"], 1,
        "control calls are not counted"
    );
    assert_eq!(counters["unauthorized"], 1);
    assert_eq!(counters["invalid_requests"], 1);
    assert_eq!(counters["user_agent_violations"], 1);
    assert_eq!(counters["identifies"], 1);
    assert_eq!(counters["gateway_connections"], 1);

    assert_eq!(
        control
            .call(reqwest::Method::POST, "/counters/reset", None)
            .await
            .0,
        204
    );
    let (_, counters) = control.get("/counters").await;
    for (name, value) in counters.as_object().unwrap() {
        assert_eq!(value, 0, "{name} after reset");
    }
    assert_eq!(control.fake.counters().invalid_requests, 0);
    // The log is kept.
    assert_eq!(control.fake.requests().len(), 1);
    control.fake.shutdown().await;
}

#[test]
fn control_errors_are_send_sync_errors_that_say_what_to_fix() {
    fn check<T: std::error::Error + Send + Sync + 'static>() {}
    check::<acord_testkit::ControlError>();
    let err = acord_testkit::ControlError::NoAuthor(5);
    assert!(err.to_string().contains("add a member first"), "{err}");
}
