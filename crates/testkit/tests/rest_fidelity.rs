//! Fidelity points found by pointing other libraries (discord.py,
//! discord.js) at the fake: the bot's own application object, the
//! User-Agent rule, which user fields only the current user gets, and the
//! order of a request's own gateway events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::Duration;

use acord_testkit::{FakeDiscord, ShardTarget};
use rest_support::{id, send, Api, Gateway};
use serde_json::{json, Value};

async fn api() -> Api {
    Api::start(FakeDiscord::builder().rate_limits(false)).await
}

/// Fields only the current user gets (Discord's user object: `email` and
/// `verified` come with the `email` scope; `mfa_enabled`, `locale` and
/// `premium_type` describe the account of whoever is asking).
const CURRENT_USER_ONLY: [&str; 5] = ["mfa_enabled", "locale", "verified", "email", "premium_type"];

fn assert_public_user(user: &Value, context: &str) {
    assert!(user["id"].is_string(), "{context}: not a user: {user}");
    for key in CURRENT_USER_ONLY {
        assert!(
            user.get(key).is_none(),
            "{context}: `{key}` is only sent for the current user: {user}"
        );
    }
}

#[tokio::test]
async fn the_bots_own_application_has_every_field_discord_always_sends() {
    let api = api().await;
    for path in ["/oauth2/applications/@me", "/applications/@me"] {
        let (status, app) = send(api.get(path)).await;
        assert_eq!(status, 200, "{path}");
        for key in [
            "id",
            "name",
            "icon",
            "description",
            "summary",
            "bot_public",
            "bot_require_code_grant",
            "verify_key",
            "flags",
            "team",
            "owner",
            "bot",
            "redirect_uris",
            "approximate_guild_count",
            "interactions_endpoint_url",
        ] {
            assert!(app.get(key).is_some(), "{path}: no `{key}` in {app}");
        }
        assert_eq!(id(&app["id"]), api.fake.bot_user_id());
        assert_eq!(app["summary"], "", "deprecated, always an empty string");
        assert_eq!(app["verify_key"].as_str().map(str::len), Some(64));
        assert!(app["team"].is_null());
        // `owner` is a partial user, and a person, not the bot.
        let owner = &app["owner"];
        assert!(owner["username"].is_string(), "{owner}");
        assert!(owner["discriminator"].is_string(), "{owner}");
        assert!(owner.get("avatar").is_some(), "{owner}");
        assert_ne!(id(&owner["id"]), api.fake.bot_user_id());
        assert_ne!(owner["bot"], true);
        assert_public_user(owner, "application owner");
        assert_public_user(&app["bot"], "application bot");
        assert_eq!(id(&app["bot"]["id"]), api.fake.bot_user_id());
    }
    api.fake.shutdown().await;
}

#[tokio::test]
async fn any_user_agent_starting_with_discordbot_is_accepted() {
    let api = api().await;
    for user_agent in [
        // discord.py 2.7: no comma between URL and version.
        "DiscordBot (https://github.com/Rapptz/discord.py 2.7.1) Python/3.11 aiohttp/3.14.5",
        // discord.js (@discordjs/rest)
        "DiscordBot (https://discord.js.org, 2.6.0) discord.js/14.25.1 Node.js/v20.20.2",
        "DiscordBot (https://github.com/acord-rs/acord, 0.1.0)",
    ] {
        let request = api
            .http
            .get(api.url("/users/@me"))
            .header("authorization", format!("Bot {}", api.fake.token()))
            .header("user-agent", user_agent);
        assert_eq!(send(request).await.0, 200);
    }
    assert_eq!(api.fake.counters().user_agent_violations, 0);
    let request = api
        .http
        .get(api.url("/users/@me"))
        .header("authorization", format!("Bot {}", api.fake.token()))
        .header("user-agent", "python-requests/2.32");
    assert_eq!(send(request).await.0, 200);
    assert_eq!(api.fake.counters().user_agent_violations, 1);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn only_the_current_user_object_carries_current_user_fields() {
    let api = api().await;
    let (guild, channel) = api.guild_and_channel();
    let bot = api.fake.bot_user_id();

    // The current user: /users/@me and READY's user.
    let (_, me) = send(api.get("/users/@me")).await;
    for key in ["mfa_enabled", "locale", "verified"] {
        assert!(me.get(key).is_some(), "/users/@me lacks `{key}`: {me}");
    }
    let mut gateway = Gateway::connect(&api.fake, 1 | (1 << 9)).await;
    let create = gateway.dispatch("GUILD_CREATE").await;

    // Everyone else, the bot included when it appears as someone: GET
    // /users/{id}, members, message authors and mentions.
    let (_, fetched) = send(api.get(&format!("/users/{bot}"))).await;
    assert_public_user(&fetched, "GET /users/{bot id}");
    for member in create["members"].as_array().unwrap() {
        assert_public_user(&member["user"], "GUILD_CREATE member");
    }
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=1000"))).await;
    for member in members.as_array().unwrap() {
        assert_public_user(&member["user"], "GET members");
    }
    let (_, bot_member) = send(api.get(&format!("/guilds/{guild}/members/{bot}"))).await;
    assert_public_user(&bot_member["user"], "GET bot member");
    let other = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| id(&m["user"]["id"]))
        .find(|u| *u != bot)
        .unwrap();
    let (status, message) = send(api.post(
        &format!("/channels/{channel}/messages"),
        &json!({"content": format!("hi <@{other}> and <@{bot}>")}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_public_user(&message["author"], "message author");
    assert_eq!(message["mentions"].as_array().unwrap().len(), 2);
    for mention in message["mentions"].as_array().unwrap() {
        assert_public_user(mention, "mention");
    }
    let created = gateway.dispatch("MESSAGE_CREATE").await;
    assert_public_user(&created["author"], "MESSAGE_CREATE author");
    for mention in created["mentions"].as_array().unwrap() {
        assert_public_user(mention, "MESSAGE_CREATE mention");
    }
    api.fake.shutdown().await;
}

/// A request's own gateway events are queued before the request shows up
/// in the log, so a test that waits for the request and then dispatches
/// sees the request's events first. An observer thread spins on the log
/// and dispatches the moment the request appears; before the fix the
/// marker often overtook the bot's own MESSAGE_CREATE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_gateway_events_are_queued_before_the_request_is_recorded() {
    let api = api().await;
    let (_, channel) = api.guild_and_channel();
    let mut gateway = Gateway::connect(&api.fake, 1 | (1 << 9)).await;
    for _ in api.fake.guild_ids() {
        gateway.dispatch("GUILD_CREATE").await;
    }
    for round in 0..200 {
        let fake = api.fake.clone();
        let observer = std::thread::spawn(move || {
            // Its own runtime on its own thread: it polls the log as fast
            // as it can, independently of the fake's workers.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let content = format!("round {round}");
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                let logged = runtime.block_on(fake.wait_for_request(
                    |r| r.method == "POST" && r.json().is_some_and(|b| b["content"] == content),
                    Duration::ZERO,
                ));
                if logged.is_some() {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "request never logged");
            }
            // An event name no intent gates.
            fake.dispatch(ShardTarget::All, "TESTKIT_MARKER", json!({"round": round}));
        });
        let (status, _) = send(api.post(
            &format!("/channels/{channel}/messages"),
            &json!({"content": format!("round {round}")}),
        ))
        .await;
        assert_eq!(status, 200);
        observer.join().unwrap();
        let next = gateway.next_dispatch().await;
        assert_eq!(
            next["t"], "MESSAGE_CREATE",
            "round {round}: the bot's own MESSAGE_CREATE came after a dispatch made once the request was logged"
        );
        let marker = gateway.next_dispatch().await;
        assert_eq!(marker["t"], "TESTKIT_MARKER");
    }
    api.fake.shutdown().await;
}
