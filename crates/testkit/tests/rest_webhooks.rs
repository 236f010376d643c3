//! Channel webhooks (discord-protocol.md §11.4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use std::time::Duration;

use acord_core_signals::Intents;
use acord_testkit::fixtures::{self, InteractionContext};
use acord_testkit::{FakeDiscord, ShardTarget};
use rest_support::{assert_error, id, send, Api, Gateway, USER_AGENT};
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

/// A request without Authorization (token routes).
fn no_auth(api: &Api, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    api.http
        .request(method, api.url(path))
        .header("user-agent", USER_AGENT)
}

#[tokio::test]
async fn webhook_and_interaction_tokens_share_the_path_shape() {
    let api = Api::start(
        FakeDiscord::builder()
            .rate_limits(false)
            .guilds(1)
            .privileged_intents(Intents::MESSAGE_CONTENT),
    )
    .await;
    let (guild, channel) = api.guild_and_channel();
    let app = api.fake.bot_user_id();
    // GUILDS | GUILD_WEBHOOKS | GUILD_MESSAGES | MESSAGE_CONTENT.
    let intents = Intents::GUILDS
        | Intents::GUILD_WEBHOOKS
        | Intents::GUILD_MESSAGES
        | Intents::MESSAGE_CONTENT;
    let mut gateway = Gateway::connect(&api.fake, intents.bits()).await;
    let (_, hook) = send(api.post(
        &format!("/channels/{channel}/webhooks"),
        &json!({"name": "Deploys"}),
    ))
    .await;
    let hook_id = id(&hook["id"]);
    let hook_token = hook["token"].as_str().unwrap().to_owned();
    gateway.dispatch("WEBHOOKS_UPDATE").await;

    // An interaction the bot acknowledged: its follow-up route has the same
    // shape, /webhooks/{id}/{token}.
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=2"))).await;
    let channel_object = send(api.get(&format!("/channels/{channel}"))).await.1;
    let ctx = InteractionContext {
        id: 4242,
        application_id: app,
        token: "interaction-token".into(),
        guild_id: Some(guild),
        channel: channel_object,
        invoker: members[1].clone(),
    };
    let interaction = fixtures::slash_command_interaction(&ctx, 7, "deploy", vec![]);
    api.fake
        .dispatch(ShardTarget::All, "INTERACTION_CREATE", interaction);
    let callback = no_auth(
        &api,
        reqwest::Method::POST,
        "/interactions/4242/interaction-token/callback",
    )
    .json(&json!({"type": 4, "data": {"content": "on it"}}));
    assert_eq!(send(callback).await.0, 204);
    gateway.dispatch("MESSAGE_CREATE").await;

    // Execute Webhook (wait=false): 204, and the message reaches the
    // channel and the gateway as the webhook's.
    let execute = format!("/webhooks/{hook_id}/{hook_token}");
    let (status, body) = send(
        no_auth(&api, reqwest::Method::POST, &execute).json(&json!({"content": "deployed v2"})),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    let d = gateway.dispatch("MESSAGE_CREATE").await;
    assert_eq!(d["content"], "deployed v2");
    assert_eq!(id(&d["webhook_id"]), hook_id);
    assert_eq!(id(&d["author"]["id"]), hook_id);
    assert_eq!(d["author"]["username"], "Deploys");
    assert_eq!(id(&d["channel_id"]), channel);
    assert!(
        d.get("member").is_none(),
        "webhook messages carry no member"
    );

    // The interaction follow-up on the same shape.
    let followup = format!("/webhooks/{app}/interaction-token");
    let (status, message) =
        send(no_auth(&api, reqwest::Method::POST, &followup).json(&json!({"content": "done"})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(id(&message["webhook_id"]), app);
    let d = gateway.dispatch("MESSAGE_CREATE").await;
    assert_eq!(d["content"], "done");

    // Tokens do not cross: a webhook id with the interaction's token is a
    // bad webhook token; the application id with the webhook's token is no
    // webhook at all.
    let (status, body) = send(
        no_auth(
            &api,
            reqwest::Method::POST,
            &format!("/webhooks/{hook_id}/interaction-token"),
        )
        .json(&json!({"content": "x"})),
    )
    .await;
    assert_eq!(status, 401);
    assert_error(&body, 50027);
    let (status, body) = send(
        no_auth(
            &api,
            reqwest::Method::POST,
            &format!("/webhooks/{app}/{hook_token}"),
        )
        .json(&json!({"content": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10015);
    let (status, body) = send(
        no_auth(
            &api,
            reqwest::Method::POST,
            &format!("/webhooks/1/{hook_token}"),
        )
        .json(&json!({"content": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10015);

    // Modify and delete with the token: WEBHOOKS_UPDATE each; only changes
    // made with the bot's token reach the audit log.
    let (status, renamed) =
        send(no_auth(&api, reqwest::Method::PATCH, &execute).json(&json!({"name": "Releases"})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["name"], "Releases");
    assert!(renamed.get("user").is_none());
    let d = gateway.dispatch("WEBHOOKS_UPDATE").await;
    assert_eq!(id(&d["channel_id"]), channel);
    let (_, log) = send(api.get(&format!("/guilds/{guild}/audit-logs?action_type=51"))).await;
    assert_eq!(log["audit_log_entries"], json!([]));
    assert_eq!(
        send(no_auth(&api, reqwest::Method::DELETE, &execute))
            .await
            .0,
        204
    );
    gateway.dispatch("WEBHOOKS_UPDATE").await;
    let (status, body) = send(no_auth(&api, reqwest::Method::GET, &execute)).await;
    assert_eq!(status, 404);
    assert_error(&body, 10015);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn thread_id_targets_a_thread_of_the_webhook_channel() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, channel) = api.guild_and_channel();
    let other_channel = api.fake.channel_ids(guild)[1];
    // GUILDS | GUILD_MESSAGES.
    let mut gateway = Gateway::connect(&api.fake, 1 | (1 << 9)).await;
    let (_, hook) = send(api.post(
        &format!("/channels/{channel}/webhooks"),
        &json!({"name": "hook"}),
    ))
    .await;
    let execute = format!(
        "/webhooks/{}/{}",
        hook["id"].as_str().unwrap(),
        hook["token"].as_str().unwrap()
    );
    let (_, thread) = send(api.post(
        &format!("/channels/{channel}/threads"),
        &json!({"name": "builds", "type": 11}),
    ))
    .await;
    let thread_id = id(&thread["id"]);
    send(api.patch(
        &format!("/channels/{thread_id}"),
        &json!({"archived": true}),
    ))
    .await;

    // Posting into an archived thread unarchives it.
    let (status, message) = send(
        no_auth(
            &api,
            reqwest::Method::POST,
            &format!("{execute}?wait=true&thread_id={thread_id}"),
        )
        .json(&json!({"content": "build 1 green"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(id(&message["channel_id"]), thread_id);
    let d = gateway.dispatch("THREAD_UPDATE").await;
    assert_eq!(
        d["thread_metadata"]["archived"], true,
        "archived by the PATCH"
    );
    let d = gateway.dispatch("THREAD_UPDATE").await;
    assert_eq!(d["thread_metadata"]["archived"], false);
    let d = gateway.dispatch("MESSAGE_CREATE").await;
    assert_eq!(id(&d["channel_id"]), thread_id);
    let (_, in_thread) = send(api.get(&format!("/channels/{thread_id}/messages"))).await;
    assert_eq!(in_thread[0]["id"], message["id"]);

    let message_path = format!("{execute}/messages/{}", message["id"].as_str().unwrap());
    let in_thread_path = format!("{message_path}?thread_id={thread_id}");
    let (status, body) = send(no_auth(&api, reqwest::Method::GET, &message_path)).await;
    assert_eq!(status, 404, "the message is not in the webhook's channel");
    assert_error(&body, 10008);
    let (status, fetched) = send(no_auth(&api, reqwest::Method::GET, &in_thread_path)).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["content"], "build 1 green");
    let (status, edited) = send(
        no_auth(&api, reqwest::Method::PATCH, &in_thread_path)
            .json(&json!({"content": "build 1 red"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["content"], "build 1 red");
    // Without MESSAGE_CONTENT the dispatch's content is empty (§6).
    let d = gateway.dispatch("MESSAGE_UPDATE").await;
    assert_eq!((&d["id"], &d["content"]), (&message["id"], &json!("")));
    assert_eq!(
        send(no_auth(&api, reqwest::Method::DELETE, &in_thread_path))
            .await
            .0,
        204
    );
    let d = gateway.dispatch("MESSAGE_DELETE").await;
    assert_eq!(id(&d["channel_id"]), thread_id);

    // A thread of another channel, or no thread at all: unknown channel.
    let (_, foreign) = send(api.post(
        &format!("/channels/{other_channel}/threads"),
        &json!({"name": "elsewhere", "type": 11}),
    ))
    .await;
    for thread in [foreign["id"].as_str().unwrap().to_owned(), "1".to_owned()] {
        let (status, body) = send(
            no_auth(
                &api,
                reqwest::Method::POST,
                &format!("{execute}?thread_id={thread}"),
            )
            .json(&json!({"content": "x"})),
        )
        .await;
        assert_eq!(status, 404);
        assert_error(&body, 10003);
    }
    api.fake.shutdown().await;
}
