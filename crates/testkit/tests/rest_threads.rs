//! Threads (discord-protocol.md §8.5, §11.3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api};
use serde_json::{json, Value};

#[tokio::test]
async fn threads_from_messages_and_without() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (guild, channel) = api.guild_and_channel();
    let (_, message) = send(api.post(
        &format!("/channels/{channel}/messages"),
        &json!({"content": "topic"}),
    ))
    .await;
    let message_id = id(&message["id"]);
    let path = format!("/channels/{channel}/messages/{message_id}/threads");
    let (status, body) =
        send(api.post(&path, &json!({"name": "t", "auto_archive_duration": 30}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, thread) = send(api.post(
        &path,
        &json!({"name": "discussion", "auto_archive_duration": 60}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        id(&thread["id"]),
        message_id,
        "a thread from a message takes its id"
    );
    assert_eq!(thread["type"], 11);
    assert_eq!(id(&thread["parent_id"]), channel);
    assert_eq!(thread["thread_metadata"]["auto_archive_duration"], 60);
    assert_eq!(thread["thread_metadata"]["archived"], false);
    let (status, body) = send(api.post(&path, &json!({"name": "again"}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 160004);
    let (_, starter) = send(api.get(&format!("/channels/{channel}/messages/{message_id}"))).await;
    assert_eq!(starter["flags"].as_u64().unwrap() & 32, 32);

    // Messages go into the thread; it is not a guild channel in the list.
    let (status, _) = send(api.post(
        &format!("/channels/{message_id}/messages"),
        &json!({"content": "in thread"}),
    ))
    .await;
    assert_eq!(status, 200);
    let (_, fetched) = send(api.get(&format!("/channels/{message_id}"))).await;
    assert_eq!(fetched["message_count"], 1);
    let (_, channels) = send(api.get(&format!("/guilds/{guild}/channels"))).await;
    assert!(channels
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != thread["id"]));
    let (_, active) = send(api.get(&format!("/guilds/{guild}/threads/active"))).await;
    assert_eq!(active["threads"][0]["id"], thread["id"]);
    assert_eq!(active["members"].as_array().unwrap().len(), 1);

    // Leave, join, list members.
    let members = format!("/channels/{message_id}/thread-members");
    assert_eq!(send(api.delete(&format!("{members}/@me"))).await.0, 204);
    let (_, list) = send(api.get(&members)).await;
    assert_eq!(list, json!([]));
    assert_eq!(send(api.put(&format!("{members}/@me"))).await.0, 204);
    let (_, list) = send(api.get(&members)).await;
    assert_eq!(id(&list[0]["user_id"]), api.fake.bot_user_id());

    // Archive: no more messages.
    let (status, archived) = send(api.patch(
        &format!("/channels/{message_id}"),
        &json!({"archived": true}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(archived["thread_metadata"]["archived"], true);
    let (status, body) = send(api.post(
        &format!("/channels/{message_id}/messages"),
        &json!({"content": "late"}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50083);
    let (_, active) = send(api.get(&format!("/guilds/{guild}/threads/active"))).await;
    assert_eq!(active["threads"], json!([]));

    // A private thread without a message.
    let (status, private) = send(api.post(
        &format!("/channels/{channel}/threads"),
        &json!({"name": "private", "type": 12}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(private["type"], 12);
    assert_eq!(private["thread_metadata"]["invitable"], true);
    let (status, deleted) =
        send(api.delete(&format!("/channels/{}", private["id"].as_str().unwrap()))).await;
    assert_eq!(status, 200);
    assert_eq!(deleted["id"], private["id"]);
    // Not a text channel: no threads.
    let (_, all) = send(api.get(&format!("/guilds/{guild}/channels"))).await;
    let voice: &Value = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 2)
        .unwrap();
    let (status, body) = send(api.post(
        &format!("/channels/{}/threads", voice["id"].as_str().unwrap()),
        &json!({"name": "x"}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50024);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn forum_threads_carry_a_starter_message() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (guild, _) = api.guild_and_channel();
    let (status, forum) = send(api.post(
        &format!("/guilds/{guild}/channels"),
        &json!({"name": "help", "type": 15}),
    ))
    .await;
    assert_eq!(status, 200);
    let forum_id = id(&forum["id"]);
    let (status, body) = send(api.post(
        &format!("/channels/{forum_id}/messages"),
        &json!({"content": "x"}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 40058);
    let path = format!("/channels/{forum_id}/threads");
    let (status, body) = send(api.post(&path, &json!({"name": "q", "message": {}}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50006);
    let (status, thread) = send(api.post(
        &path,
        &json!({"name": "How do I?", "message": {"content": "Question"}}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(thread["type"], 11);
    assert_eq!(thread["message"]["content"], "Question");
    assert_eq!(thread["message"]["id"], thread["id"]);
    let thread_id = id(&thread["id"]);
    let (status, starter) =
        send(api.get(&format!("/channels/{thread_id}/messages/{thread_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(starter["content"], "Question");
    api.fake.shutdown().await;
}
