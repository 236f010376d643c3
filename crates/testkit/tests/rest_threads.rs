//! Threads (discord-protocol.md §8.5, §11.3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use rest_support::{assert_error, id, send, Api, Gateway};
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

#[tokio::test]
async fn thread_members_are_added_read_and_removed() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, channel) = api.guild_and_channel();
    let bot = api.fake.bot_user_id();
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=3"))).await;
    let user = id(&members[1]["user"]["id"]);
    let other = id(&members[2]["user"]["id"]);
    let (_, thread) = send(api.post(
        &format!("/channels/{channel}/threads"),
        &json!({"name": "team", "type": 11}),
    ))
    .await;
    let thread_id = id(&thread["id"]);
    // GUILDS.
    let mut gateway = Gateway::connect(&api.fake, 1).await;
    let base = format!("/channels/{thread_id}/thread-members");

    assert_eq!(
        send(api.put(&format!("{base}/{user}"))).await,
        (204, Value::Null)
    );
    let d = gateway.dispatch("THREAD_MEMBERS_UPDATE").await;
    assert_eq!(id(&d["id"]), thread_id);
    assert_eq!(id(&d["guild_id"]), guild);
    assert_eq!(d["member_count"], 2);
    let added = &d["added_members"][0];
    assert_eq!(id(&added["user_id"]), user);
    assert_eq!(id(&added["id"]), thread_id);
    assert_eq!(id(&added["member"]["user"]["id"]), user);
    assert!(added.get("presence").is_some());
    // Adding again changes nothing and sends nothing.
    assert_eq!(send(api.put(&format!("{base}/{user}"))).await.0, 204);

    let (status, member) = send(api.get(&format!("{base}/{user}"))).await;
    assert_eq!(status, 200);
    for key in ["id", "user_id", "join_timestamp", "flags"] {
        assert!(member.get(key).is_some(), "thread member lacks {key}");
    }
    assert!(member.get("member").is_none());
    let (_, member) = send(api.get(&format!("{base}/{user}?with_member=true"))).await;
    assert_eq!(id(&member["member"]["user"]["id"]), user);
    let (_, fetched) = send(api.get(&format!("/channels/{thread_id}"))).await;
    assert_eq!(fetched["member_count"], 2);

    // The list: everything, or pages with `with_member`.
    let (_, list) = send(api.get(&base)).await;
    let listed: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| id(&m["user_id"]))
        .collect();
    assert_eq!(listed, vec![bot, user]);
    assert!(list[0].get("member").is_none());
    let (_, page) = send(api.get(&format!("{base}?with_member=true&limit=1"))).await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(id(&page[0]["member"]["user"]["id"]), bot);
    let (_, page) = send(api.get(&format!("{base}?with_member=true&after={bot}"))).await;
    assert_eq!(id(&page[0]["user_id"]), user);

    assert_eq!(
        send(api.delete(&format!("{base}/{user}"))).await,
        (204, Value::Null)
    );
    let d = gateway.dispatch("THREAD_MEMBERS_UPDATE").await;
    assert_eq!(d["removed_member_ids"], json!([user.to_string()]));
    assert_eq!(d["member_count"], 1);
    let (status, body) = send(api.get(&format!("{base}/{user}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10007);
    // Removing someone who is not in the thread: nothing to do.
    assert_eq!(send(api.delete(&format!("{base}/{other}"))).await.0, 204);

    // The bot leaving and joining: joining also sends THREAD_CREATE with
    // the bot's thread member.
    assert_eq!(send(api.delete(&format!("{base}/@me"))).await.0, 204);
    let d = gateway.dispatch("THREAD_MEMBERS_UPDATE").await;
    assert_eq!(d["removed_member_ids"], json!([bot.to_string()]));
    assert_eq!(send(api.put(&format!("{base}/@me"))).await.0, 204);
    let d = gateway.dispatch("THREAD_MEMBERS_UPDATE").await;
    assert_eq!(id(&d["added_members"][0]["user_id"]), bot);
    let d = gateway.dispatch("THREAD_CREATE").await;
    assert_eq!(id(&d["id"]), thread_id);
    assert_eq!(id(&d["member"]["user_id"]), bot);

    // Errors: a user outside the guild, a channel that is not a thread, an
    // unknown channel, an archived thread.
    let (status, body) = send(api.put(&format!("{base}/1"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10007);
    let (status, body) = send(api.put(&format!("/channels/{channel}/thread-members/{user}"))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50024);
    let (status, body) = send(api.get(&format!("/channels/1/thread-members/{user}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10003);
    send(api.patch(
        &format!("/channels/{thread_id}"),
        &json!({"archived": true}),
    ))
    .await;
    let (status, body) = send(api.put(&format!("{base}/{user}"))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50083);
    api.fake.shutdown().await;
}

/// The `archive_timestamp` of a thread object, in Unix ms.
fn archived_at(thread: &Value) -> u64 {
    acord_testkit::fixtures::parse_iso8601(
        thread["thread_metadata"]["archive_timestamp"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn archived_threads_are_listed_newest_archive_first() {
    let api = Api::start(FakeDiscord::builder().rate_limits(false).guilds(1)).await;
    let (guild, channel) = api.guild_and_channel();
    let threads_path = format!("/channels/{channel}/threads");
    let mut archived = Vec::new();
    for (name, kind) in [("a", 11), ("b", 11), ("c", 11), ("secret", 12)] {
        let (_, thread) = send(api.post(&threads_path, &json!({"name": name, "type": kind}))).await;
        let (status, thread) = send(api.patch(
            &format!("/channels/{}", thread["id"].as_str().unwrap()),
            &json!({"archived": true}),
        ))
        .await;
        assert_eq!(status, 200);
        assert_eq!(thread["thread_metadata"]["archived"], true);
        archived.push(thread);
    }
    let (_, open) = send(api.post(&threads_path, &json!({"name": "open", "type": 11}))).await;

    let public = format!("{threads_path}/archived/public");
    let (status, body) = send(api.get(&public)).await;
    assert_eq!(status, 200);
    let names = |body: &Value| -> Vec<String> {
        body["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&body), vec!["c", "b", "a"]);
    assert_eq!(body["has_more"], false);
    // The bot created (so joined) each thread: one thread member each.
    assert_eq!(body["members"].as_array().unwrap().len(), 3);
    assert_eq!(id(&body["members"][0]["id"]), id(&archived[2]["id"]));
    assert!(body["threads"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["id"] != open["id"]));

    let (_, page) = send(api.get(&format!("{public}?limit=2"))).await;
    assert_eq!(names(&page), vec!["c", "b"]);
    assert_eq!(page["has_more"], true);
    let before = archived[1]["thread_metadata"]["archive_timestamp"]
        .as_str()
        .unwrap();
    let (_, older) =
        send(api.get(&format!("{public}?before={}", before.replace('+', "%2B")))).await;
    let expected: Vec<&str> = [("b", &archived[1]), ("a", &archived[0])]
        .into_iter()
        .filter(|(_, t)| archived_at(t) < archived_at(&archived[1]))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names(&older), expected);

    let (status, private) = send(api.get(&format!("{threads_path}/archived/private"))).await;
    assert_eq!(status, 200);
    assert_eq!(names(&private), vec!["secret"]);
    assert_eq!(private["threads"][0]["type"], 12);

    // Unarchived threads leave the list and are active again.
    let (_, reopened) = send(api.patch(
        &format!("/channels/{}", archived[0]["id"].as_str().unwrap()),
        &json!({"archived": false}),
    ))
    .await;
    assert_eq!(reopened["thread_metadata"]["archived"], false);
    let (_, body) = send(api.get(&public)).await;
    assert_eq!(names(&body), vec!["c", "b"]);
    let (_, active) = send(api.get(&format!("/guilds/{guild}/threads/active"))).await;
    let active: Vec<&Value> = active["threads"].as_array().unwrap().iter().collect();
    assert!(active.iter().any(|t| t["id"] == archived[0]["id"]));
    assert!(active.iter().all(|t| t["id"] != archived[1]["id"]));

    // Announcement threads in an announcement channel.
    let (_, news) = send(api.post(
        &format!("/guilds/{guild}/channels"),
        &json!({"name": "news", "type": 5}),
    ))
    .await;
    let news = id(&news["id"]);
    let (_, message) = send(api.post(
        &format!("/channels/{news}/messages"),
        &json!({"content": "launch"}),
    ))
    .await;
    let message_id = id(&message["id"]);
    let (_, thread) = send(api.post(
        &format!("/channels/{news}/messages/{message_id}/threads"),
        &json!({"name": "launch talk"}),
    ))
    .await;
    assert_eq!(thread["type"], 10);
    send(api.patch(
        &format!("/channels/{message_id}"),
        &json!({"archived": true}),
    ))
    .await;
    let (_, body) = send(api.get(&format!("/channels/{news}/threads/archived/public"))).await;
    assert_eq!(names(&body), vec!["launch talk"]);

    for bad in ["before=yesterday", "limit=0", "limit=101"] {
        let (status, body) = send(api.get(&format!("{public}?{bad}"))).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&body, 50035);
    }
    let (_, channels) = send(api.get(&format!("/guilds/{guild}/channels"))).await;
    let voice = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 2)
        .unwrap();
    let (status, body) = send(api.get(&format!(
        "/channels/{}/threads/archived/public",
        voice["id"].as_str().unwrap()
    )))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50024);
    api.fake.shutdown().await;
}
