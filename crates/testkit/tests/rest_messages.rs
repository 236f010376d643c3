//! Messages, uploads and reactions (discord-protocol.md §1.5, §8.6, §9,
//! §11.3): state is kept, validated and paginated like Discord.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rest_support;

use acord_testkit::FakeDiscord;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use rest_support::{assert_error, id, send, Api, Gateway};
use serde_json::{json, Value};

async fn api() -> (Api, u64, u64) {
    let api = Api::start(FakeDiscord::builder().rate_limits(false)).await;
    let (guild, channel) = api.guild_and_channel();
    (api, guild, channel)
}

#[tokio::test]
async fn create_get_edit_delete() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let (status, created) = send(api.post(
        &path,
        &json!({"content": "hello <@0>", "tts": false, "nonce": "n1"}),
    ))
    .await;
    assert_eq!(status, 200);
    for key in [
        "id",
        "channel_id",
        "author",
        "content",
        "timestamp",
        "edited_timestamp",
        "tts",
        "mention_everyone",
        "mentions",
        "mention_roles",
        "attachments",
        "embeds",
        "pinned",
        "type",
    ] {
        assert!(created.get(key).is_some(), "message lacks {key}");
    }
    assert_eq!(id(&created["channel_id"]), channel);
    assert_eq!(id(&created["author"]["id"]), api.fake.bot_user_id());
    assert_eq!(created["type"], 0);
    assert_eq!(created["nonce"], "n1");
    assert!(created["edited_timestamp"].is_null());
    let message_id = id(&created["id"]);

    let (status, fetched) = send(api.get(&format!("{path}/{message_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, created);

    let embed = json!({"title": "T", "description": "D", "fields": [{"name": "n", "value": "v"}]});
    let (status, edited) = send(api.patch(
        &format!("{path}/{message_id}"),
        &json!({"content": "edited", "embeds": [embed]}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["content"], "edited");
    assert_eq!(edited["embeds"][0]["type"], "rich");
    assert_eq!(edited["embeds"][0]["fields"][0]["value"], "v");
    assert!(edited["edited_timestamp"].is_string());
    assert_eq!(edited["id"], created["id"]);
    let (_, fetched) = send(api.get(&format!("{path}/{message_id}"))).await;
    assert_eq!(fetched["content"], "edited");

    let (status, body) = send(api.delete(&format!("{path}/{message_id}"))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = send(api.get(&format!("{path}/{message_id}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10008);
    let (status, body) = send(api.delete(&format!("{path}/{message_id}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10008);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn validation_follows_the_limits() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let (status, body) = send(api.post(&path, &json!({}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50006);
    let (status, body) = send(api.post(&path, &json!({"content": ""}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50006);
    let (status, body) = send(api.post(&path, &json!({"content": "x".repeat(2001)}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    assert_eq!(
        body["errors"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    let embeds: Vec<Value> = (0..11).map(|i| json!({"title": format!("e{i}")})).collect();
    let (status, body) = send(api.post(&path, &json!({"embeds": embeds}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, body) =
        send(api.post(&path, &json!({"embeds": [{"title": "t".repeat(257)}]}))).await;
    assert_eq!(status, 400);
    assert!(body["errors"]["embeds"]["0"]["title"]["_errors"].is_array());
    let (status, body) = send(api.post(&path, &json!({"content": "x", "flags": 64}))).await;
    assert_eq!(status, 400);
    assert!(body["errors"]["flags"].is_object());
    // Nothing was stored.
    let (_, list) = send(api.get(&path)).await;
    assert_eq!(list, json!([]));
    // The edge of every limit is fine.
    let (status, _) = send(api.post(&path, &json!({"content": "é".repeat(2000)}))).await;
    assert_eq!(status, 200);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn list_pagination_newest_first() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let mut ids = Vec::new();
    for i in 0..7 {
        let (status, created) = send(api.post(&path, &json!({"content": format!("m{i}")}))).await;
        assert_eq!(status, 200);
        ids.push(id(&created["id"]));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let listed = |body: &Value| -> Vec<u64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|m| id(&m["id"]))
            .collect()
    };
    let (_, all) = send(api.get(&path)).await;
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed(&all), newest_first);
    let (_, page) = send(api.get(&format!("{path}?limit=3"))).await;
    assert_eq!(listed(&page), vec![ids[6], ids[5], ids[4]]);
    let (_, page) = send(api.get(&format!("{path}?limit=3&before={}", ids[4]))).await;
    assert_eq!(listed(&page), vec![ids[3], ids[2], ids[1]]);
    let (_, page) = send(api.get(&format!("{path}?limit=2&after={}", ids[1]))).await;
    assert_eq!(listed(&page), vec![ids[3], ids[2]]);
    let (_, page) = send(api.get(&format!("{path}?limit=3&around={}", ids[3]))).await;
    assert_eq!(listed(&page), vec![ids[4], ids[3], ids[2]]);
    let (status, body) = send(api.get(&format!("{path}?limit=0"))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (status, _) = send(api.get(&format!("{path}?limit=101"))).await;
    assert_eq!(status, 400);
    let (status, _) = send(api.get(&format!("{path}?before={}&after={}", ids[3], ids[1]))).await;
    assert_eq!(status, 400);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_is_stored_intact() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let payload = json!({
        "content": "with files",
        "attachments": [
            {"id": 0, "description": "all the bytes"},
            {"id": 7, "filename": "renamed.txt"},
        ],
    });
    let form = Form::new()
        .part(
            "payload_json",
            Part::text(payload.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "files[0]",
            Part::bytes(bytes.clone())
                .file_name("data.bin")
                .mime_str("application/octet-stream")
                .unwrap(),
        )
        .part(
            "files[7]",
            Part::bytes(b"\r\n--not a boundary\r\n".to_vec())
                .file_name("note.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
    let (status, message) = send(api.req(Method::POST, &path).multipart(form)).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["content"], "with files");
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0]["filename"], "data.bin");
    assert_eq!(attachments[0]["size"], 70_000);
    assert_eq!(attachments[0]["description"], "all the bytes");
    assert_eq!(attachments[0]["content_type"], "application/octet-stream");
    assert_eq!(attachments[1]["filename"], "renamed.txt");
    for attachment in attachments {
        for key in ["id", "filename", "size", "url", "proxy_url"] {
            assert!(attachment.get(key).is_some(), "attachment lacks {key}");
        }
    }
    // The URL serves exactly the uploaded bytes.
    let url = attachments[0]["url"].as_str().unwrap();
    let downloaded = api
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&downloaded[..], &bytes[..]);
    let url = attachments[1]["url"].as_str().unwrap();
    let downloaded = api
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&downloaded[..], b"\r\n--not a boundary\r\n");
    // And the stored message keeps them.
    let (_, fetched) = send(api.get(&format!("{path}/{}", id(&message["id"])))).await;
    assert_eq!(fetched["attachments"], message["attachments"]);

    // A file alone is not an empty message; 11 files are too many.
    let form = Form::new().part("files[0]", Part::bytes(vec![1, 2, 3]).file_name("a.bin"));
    let (status, _) = send(api.req(Method::POST, &path).multipart(form)).await;
    assert_eq!(status, 200);
    let mut form = Form::new();
    for i in 0..11 {
        form = form.part(
            format!("files[{i}]"),
            Part::bytes(vec![i]).file_name(format!("{i}.bin")),
        );
    }
    let (status, body) = send(api.req(Method::POST, &path).multipart(form)).await;
    assert_eq!(status, 400);
    assert_error(&body, 30015);
    // Editing with `attachments: []` removes them.
    let (status, edited) = send(api.patch(
        &format!("{path}/{}", id(&message["id"])),
        &json!({"attachments": []}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["attachments"], json!([]));
    api.fake.shutdown().await;
}

#[tokio::test]
async fn bulk_delete_and_reactions() {
    let (api, guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let mut ids = Vec::new();
    for i in 0..4 {
        let (_, created) = send(api.post(&path, &json!({"content": format!("m{i}")}))).await;
        ids.push(id(&created["id"]));
    }
    let bulk = format!("{path}/bulk-delete");
    let (status, body) = send(api.post(&bulk, &json!({"messages": [ids[0].to_string()]}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50016);
    let (status, body) = send(api.post(
        &bulk,
        &json!({"messages": [ids[0].to_string(), ids[0].to_string()]}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50016);
    // A snowflake from 2016: too old.
    let (status, body) = send(api.post(
        &bulk,
        &json!({"messages": [ids[0].to_string(), "175928847299117063"]}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50034);
    let (status, _) = send(api.post(
        &bulk,
        &json!({"messages": [ids[0].to_string(), ids[1].to_string()]}),
    ))
    .await;
    assert_eq!(status, 204);
    let (_, list) = send(api.get(&path)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let message = ids[3];
    let thumbs = "%F0%9F%91%8D";
    let reaction = format!("{path}/{message}/reactions/{thumbs}");
    assert_eq!(send(api.put(&format!("{reaction}/@me"))).await.0, 204);
    assert_eq!(send(api.put(&format!("{reaction}/@me"))).await.0, 204);
    let (_, fetched) = send(api.get(&format!("{path}/{message}"))).await;
    let reactions = fetched["reactions"].as_array().unwrap();
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0]["count"], 1);
    assert_eq!(reactions[0]["me"], true);
    assert_eq!(reactions[0]["emoji"]["name"], "👍");
    assert!(reactions[0]["emoji"]["id"].is_null());
    let (_, users) = send(api.get(&reaction)).await;
    assert_eq!(id(&users[0]["id"]), api.fake.bot_user_id());
    // A custom emoji must exist in the guild; a plain word is not an emoji.
    let (_, guild_object) = send(api.get(&format!("/guilds/{guild}"))).await;
    let emoji = &guild_object["emojis"][0];
    let custom = format!(
        "{}:{}",
        emoji["name"].as_str().unwrap(),
        emoji["id"].as_str().unwrap()
    );
    assert_eq!(
        send(api.put(&format!("{path}/{message}/reactions/{custom}/@me")))
            .await
            .0,
        204
    );
    let (status, body) = send(api.put(&format!("{path}/{message}/reactions/nope:1/@me"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10014);
    let (status, body) = send(api.put(&format!("{path}/{message}/reactions/thumbsup/@me"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10014);
    assert_eq!(send(api.delete(&format!("{reaction}/@me"))).await.0, 204);
    let (_, fetched) = send(api.get(&format!("{path}/{message}"))).await;
    assert_eq!(fetched["reactions"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(api.delete(&format!("{path}/{message}/reactions")))
            .await
            .0,
        204
    );
    let (_, fetched) = send(api.get(&format!("{path}/{message}"))).await;
    assert!(fetched.get("reactions").is_none());
    api.fake.shutdown().await;
}

#[tokio::test]
async fn channels_can_be_read_edited_and_deleted() {
    let (api, guild, channel) = api().await;
    let (status, body) = send(api.get(&format!("/channels/{channel}"))).await;
    assert_eq!(status, 200);
    assert_eq!(id(&body["guild_id"]), guild);
    let (status, body) = send(api.patch(
        &format!("/channels/{channel}"),
        &json!({"name": "renamed", "topic": "t"}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "renamed");
    let (status, body) =
        send(api.patch(&format!("/channels/{channel}"), &json!({"name": ""}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50035);
    let (_, channels) = send(api.get(&format!("/guilds/{guild}/channels"))).await;
    assert!(channels
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "renamed"));
    let (status, deleted) = send(api.delete(&format!("/channels/{channel}"))).await;
    assert_eq!(status, 200);
    assert_eq!(id(&deleted["id"]), channel);
    let (status, body) = send(api.get(&format!("/channels/{channel}"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10003);
    let (status, body) = send(api.post(
        &format!("/channels/{channel}/messages"),
        &json!({"content": "x"}),
    ))
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10003);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn oversize_uploads_are_refused() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    // One file over the 10 MiB default per-file limit: 50045.
    let big = vec![7u8; 10 * 1024 * 1024 + 1];
    let form = Form::new().part("files[0]", Part::bytes(big).file_name("big.bin"));
    let (status, body) = send(api.req(Method::POST, &path).multipart(form)).await;
    assert_eq!(status, 413);
    assert_error(&body, 50045);
    // A request over 25 MiB: 413 / 40005.
    let huge = vec![b' '; 25 * 1024 * 1024 + 1];
    let request = api
        .req(Method::POST, &path)
        .header("content-type", "application/json")
        .body(huge);
    let (status, body) = send(request).await;
    assert_eq!(status, 413);
    assert_error(&body, 40005);
    let recorded = api.fake.requests();
    assert_eq!(recorded.last().unwrap().status, 413);
    let (_, list) = send(api.get(&path)).await;
    assert_eq!(list, json!([]));
    api.fake.shutdown().await;
}

#[tokio::test]
async fn direct_messages() {
    let (api, guild, _channel) = api().await;
    let (_, members) = send(api.get(&format!("/guilds/{guild}/members?limit=3"))).await;
    let user = id(&members[2]["user"]["id"]);
    let (status, dm) = send(api.post(
        "/users/@me/channels",
        &json!({"recipient_id": user.to_string()}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(dm["type"], 1);
    assert_eq!(id(&dm["recipients"][0]["id"]), user);
    let (_, again) = send(api.post(
        "/users/@me/channels",
        &json!({"recipient_id": user.to_string()}),
    ))
    .await;
    assert_eq!(again["id"], dm["id"], "one DM channel per user");
    let (status, body) = send(api.post("/users/@me/channels", &json!({"recipient_id": "1"}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10013);

    let dm_id = id(&dm["id"]);
    let path = format!("/channels/{dm_id}/messages");
    let (status, message) = send(api.post(&path, &json!({"content": "psst"}))).await;
    assert_eq!(status, 200);
    assert!(message.get("guild_id").is_none());
    let (_, list) = send(api.get(&path)).await;
    assert_eq!(list[0]["content"], "psst");
    let (_, channel) = send(api.get(&format!("/channels/{dm_id}"))).await;
    assert_eq!(channel["last_message_id"], message["id"]);
    let (status, body) =
        send(api.patch(&format!("/channels/{dm_id}"), &json!({"name": "x"}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 50003);
    let (status, _) = send(api.delete(&format!("/channels/{dm_id}"))).await;
    assert_eq!(status, 200);
    let (status, _) = send(api.get(&format!("/channels/{dm_id}"))).await;
    assert_eq!(status, 404);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn pins() {
    let (api, _guild, channel) = api().await;
    let path = format!("/channels/{channel}/messages");
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, created) = send(api.post(&path, &json!({"content": format!("p{i}")}))).await;
        ids.push(id(&created["id"]));
    }
    for message in &ids {
        assert_eq!(
            send(api.put(&format!("{path}/pins/{message}"))).await.0,
            204
        );
    }
    let (status, body) = send(api.get(&format!("{path}/pins?limit=2"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["has_more"], true);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["pinned_at"].is_string());
    assert_eq!(items[0]["message"]["pinned"], true);
    let (_, fetched) = send(api.get(&format!("{path}/{}", ids[0]))).await;
    assert_eq!(fetched["pinned"], true);
    // The deprecated route lists pinned messages.
    let (_, old) = send(api.get(&format!("/channels/{channel}/pins"))).await;
    assert_eq!(old.as_array().unwrap().len(), 3);
    assert_eq!(
        send(api.delete(&format!("/channels/{channel}/pins/{}", ids[1])))
            .await
            .0,
        204
    );
    let (_, body) = send(api.get(&format!("{path}/pins"))).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    assert_eq!(body["has_more"], false);
    let (status, body) = send(api.put(&format!("{path}/pins/1"))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10008);
    api.fake.shutdown().await;
}

#[tokio::test]
async fn crosspost_in_announcement_channels_only_once() {
    let (api, guild, text_channel) = api().await;
    // GUILDS | GUILD_MESSAGES.
    let mut gateway = Gateway::connect(&api.fake, 1 | (1 << 9)).await;
    let (status, news) = send(api.post(
        &format!("/guilds/{guild}/channels"),
        &json!({"name": "news", "type": 5}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(news["type"], 5);
    let news = id(&news["id"]);
    let (_, message) = send(api.post(
        &format!("/channels/{news}/messages"),
        &json!({"content": "release 1.0"}),
    ))
    .await;
    assert_eq!(message["flags"], 0);
    let message_id = id(&message["id"]);
    let path = format!("/channels/{news}/messages/{message_id}/crosspost");
    let (status, crossposted) = send(api.post(&path, &json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(crossposted["id"], message["id"]);
    assert_eq!(crossposted["content"], "release 1.0");
    assert_eq!(crossposted["flags"].as_u64().unwrap() & 1, 1, "CROSSPOSTED");
    let d = gateway.dispatch("MESSAGE_UPDATE").await;
    assert_eq!(d["id"], message["id"]);
    assert_eq!(d["flags"].as_u64().unwrap() & 1, 1);
    assert_eq!(id(&d["guild_id"]), guild);
    let (_, fetched) = send(api.get(&format!("/channels/{news}/messages/{message_id}"))).await;
    assert_eq!(fetched["flags"].as_u64().unwrap() & 1, 1);

    // Once only; unknown messages; only in announcement channels.
    let (status, body) = send(api.post(&path, &json!({}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 40033);
    let (status, body) = send(api.post(
        &format!("/channels/{news}/messages/1/crosspost"),
        &json!({}),
    ))
    .await;
    assert_eq!(status, 404);
    assert_error(&body, 10008);
    let (_, plain) = send(api.post(
        &format!("/channels/{text_channel}/messages"),
        &json!({"content": "not news"}),
    ))
    .await;
    let (status, body) = send(api.post(
        &format!(
            "/channels/{text_channel}/messages/{}/crosspost",
            plain["id"].as_str().unwrap()
        ),
        &json!({}),
    ))
    .await;
    assert_eq!(status, 400);
    assert_error(&body, 50024);
    let (status, body) = send(api.post("/channels/1/messages/1/crosspost", &json!({}))).await;
    assert_eq!(status, 404);
    assert_error(&body, 10003);
    api.fake.shutdown().await;
}
