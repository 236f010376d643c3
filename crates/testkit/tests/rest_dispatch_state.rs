//! Dispatches a test pushes with `FakeDiscord::dispatch` update what REST
//! serves, so the bot's view (events) and Discord's state (REST) agree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use rest_support::{assert_error, id, send, Api};
use serde_json::json;

#[tokio::test]
async fn a_user_message_can_be_fetched_and_replied_to() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (guild, channel) = api.guild_and_channel();
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=2"))).await;
    let author = members[1]["user"].clone();
    let message_id = fixtures::snowflake(1_767_225_600_000, 1);
    let message = fixtures::message(message_id, channel, Some(guild), &author, "!ping");
    api.fake
        .dispatch(ShardTarget::All, "MESSAGE_CREATE", message.clone());

    let path = format!("/channels/{channel}/messages");
    let (status, fetched) = send(api.get(&format!("{path}/{message_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["content"], "!ping");
    assert_eq!(fetched["author"], author);

    let reply = json!({
        "content": "pong",
        "message_reference": {"message_id": message_id.to_string()},
    });
    let (status, sent) = send(api.post(&path, &reply)).await;
    assert_eq!(status, 200);
    assert_eq!(sent["type"], 19);
    assert_eq!(sent["referenced_message"]["content"], "!ping");
    assert_eq!(id(&sent["message_reference"]["message_id"]), message_id);
    // The bot may not edit a user's message.
    let (status, body) =
        send(api.patch(&format!("{path}/{message_id}"), &json!({"content": "x"}))).await;
    assert_eq!(status, 403);
    assert_error(&body, 50005);
    // A reply to a message that does not exist fails unless told not to.
    let missing = json!({"content": "?", "message_reference": {"message_id": "1"}});
    let (status, body) = send(api.post(&path, &missing)).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let lenient = json!({"content": "?", "message_reference": {"message_id": "1", "fail_if_not_exists": false}});
    let (status, sent) = send(api.post(&path, &lenient)).await;
    assert_eq!(status, 200);
    assert_eq!(sent["type"], 0);

    api.fake.dispatch(
        ShardTarget::All,
        "MESSAGE_DELETE",
        json!({"id": message_id.to_string(), "channel_id": channel.to_string(), "guild_id": guild.to_string()}),
    );
    let (status, _) = send(api.get(&format!("{path}/{message_id}"))).await;
    assert_eq!(status, 404);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn members_and_guilds_follow_dispatches() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let guild = api.fake.guild_ids()[0];
    let newcomer = fixtures::user(fixtures::snowflake(1_767_225_600_000, 2), "newcomer");
    let mut member = fixtures::member(&newcomer, &[], &fixtures::iso8601(1_767_225_600_000));
    member["guild_id"] = json!(guild.to_string());
    api.fake
        .dispatch(ShardTarget::All, "GUILD_MEMBER_ADD", member);
    let user_id = id(&newcomer["id"]);
    let (status, fetched) = send(api.get(&format!("/guilds/{guild}/members/{user_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["user"]["username"], "newcomer");
    let (status, _) = send(api.get(&format!("/users/{user_id}"))).await;
    assert_eq!(status, 200);

    // The bot "joins" a new guild.
    let mut gen = fixtures::Generator::new(99);
    let joined = gen.guild("Joined later", 3);
    api.fake
        .dispatch(ShardTarget::All, "GUILD_CREATE", joined.guild_create());
    let new_id = joined.id();
    let (status, body) = send(api.get(&format!("/guilds/{new_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "Joined later");
    let (_, list) = send(api.get("/users/@me/guilds")).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let channel = api.fake.channel_ids(new_id)[0];
    let (status, _) = send(api.post(
        &format!("/channels/{channel}/messages"),
        &json!({"content": "hi"}),
    ))
    .await;
    assert_eq!(status, 200);

    // …and is removed from it.
    api.fake.dispatch(
        ShardTarget::All,
        "GUILD_DELETE",
        json!({"id": new_id.to_string()}),
    );
    let (status, _) = send(api.get(&format!("/guilds/{new_id}"))).await;
    assert_eq!(status, 404);
    api.fake.shutdown().await;
}
