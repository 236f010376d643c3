//! Typed REST endpoints against the fake Discord: messages, reactions,
//! pins, typing, webhooks, interactions, and typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use acord::command::{
    CreateMessage, EditMessage, EmbedBuilder, InteractionMessage, InteractionResponse,
    ValidationError,
};
use acord::core::http::route;
use acord::core::signals::JsonErrorCode;

mod support;
use acord::http::{
    AttachmentFile, CreateChannel, CreateThread, CreateWebhook, EditWebhook, ExecuteWebhook,
    GetMessages, GetPins, GetReactions, ReactionEmoji,
};
use acord::model::{
    ApplicationId, ChannelId, ChannelType, EmojiId, InteractionId, InteractionToken, MessageFlags,
    MessageId, Timestamp, UserId,
};
use acord::{ClientError, Http};
use acord_testkit::fixtures::{self, InteractionContext};
use acord_testkit::{FakeDiscord, InjectedResponse, Injection, ShardTarget};
use serde_json::Value;
use support::{setup_with, Setup};

async fn setup() -> Setup {
    setup_with(1, 5).await
}

fn text(content: &str) -> CreateMessage {
    CreateMessage::builder().content(content).build().unwrap()
}

/// How many requests reached the fake so far.
fn requests(fake: &FakeDiscord) -> usize {
    fake.requests().len()
}

#[tokio::test]
async fn create_get_list_edit_delete_messages() {
    let Setup {
        fake,
        http,
        channel,
        ..
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();

    let first = http.create_message(channel, &text("hello")).await.unwrap();
    assert_eq!(first.content, "hello");
    assert_eq!(first.channel_id, channel);
    assert_eq!(first.author.id, bot);

    let fetched = http.message(channel, first.id).await.unwrap();
    assert_eq!(fetched.id, first.id);

    let mut ids = vec![first.id];
    for i in 0..4 {
        ids.push(
            http.create_message(channel, &text(&format!("m{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let newest = http
        .messages(channel, GetMessages::new().limit(2))
        .await
        .unwrap();
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[0].id, ids[4], "newest first");
    let older = http
        .messages(channel, GetMessages::new().before(ids[2]).limit(10))
        .await
        .unwrap();
    assert_eq!(
        older.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![ids[1], ids[0]]
    );
    let after = http
        .messages(channel, GetMessages::new().after(ids[3]))
        .await
        .unwrap();
    assert_eq!(after.iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[4]]);
    let around = http
        .messages(channel, GetMessages::new().around(ids[2]).limit(3))
        .await
        .unwrap();
    assert!(around.iter().any(|m| m.id == ids[2]));
    let query = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "GET" && r.path.ends_with("/messages"))
        .unwrap();
    assert_eq!(
        query.query.as_deref(),
        Some("around=".to_owned() + &ids[2].to_string() + "&limit=3").as_deref()
    );

    let edit = EditMessage::builder()
        .content(Some("hello, edited"))
        .build()
        .unwrap();
    let edited = http.edit_message(channel, first.id, &edit).await.unwrap();
    assert_eq!(edited.content, "hello, edited");
    assert!(edited.edited_timestamp.is_some());

    http.delete_message(channel, first.id, None).await.unwrap();
    let gone = http.message(channel, first.id).await.unwrap_err();
    assert_eq!(gone.kind(), Some(JsonErrorCode::UnknownMessage));
    assert_eq!(gone.status(), Some(404));

    // Bulk delete: checked locally, then gone on the fake.
    let before = requests(&fake);
    let one = http
        .delete_messages(channel, &ids[1..2], None)
        .await
        .unwrap_err();
    assert!(matches!(
        one,
        ClientError::Validation(ValidationError::TooFew { min: 2, .. })
    ));
    let dup = http
        .delete_messages(channel, &[ids[1], ids[1]], None)
        .await
        .unwrap_err();
    assert!(matches!(dup, ClientError::Validation(_)));
    let bad_limit = http
        .messages(channel, GetMessages::new().limit(101))
        .await
        .unwrap_err();
    assert!(matches!(bad_limit, ClientError::Validation(_)));
    assert_eq!(requests(&fake), before, "nothing was sent");
    http.delete_messages(channel, &ids[1..4], Some("cleanup"))
        .await
        .unwrap();
    let left = http.messages(channel, GetMessages::new()).await.unwrap();
    assert_eq!(left.iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[4]]);

    fake.shutdown().await;
}

#[tokio::test]
async fn files_embeds_typing_and_crosspost() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;

    let message = CreateMessage::builder()
        .content("report attached")
        .attachment(0, "report.txt", Some("the report".into()))
        .embed(EmbedBuilder::new().title("Report").build().unwrap())
        .build()
        .unwrap();
    let sent = http
        .create_message_with_files(
            channel,
            &message,
            vec![AttachmentFile::new("report.txt", &b"all good"[..])],
        )
        .await
        .unwrap();
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].filename, "report.txt");
    assert_eq!(sent.attachments[0].size, 8);
    assert_eq!(sent.embeds[0].title.as_deref(), Some("Report"));
    let upload = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .unwrap();
    assert!(upload
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));

    let too_many: Vec<_> = (0..11)
        .map(|i| AttachmentFile::new(format!("{i}.txt"), &b"x"[..]))
        .collect();
    let err = http
        .create_message_with_files(channel, &text("x"), too_many)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::Validation(ValidationError::TooMany { max: 10, .. })
    ));

    http.trigger_typing(channel).await.unwrap();
    assert!(fake.requests().iter().any(|r| r.method == "POST"
        && r.path.ends_with(&format!("/channels/{channel}/typing"))
        && r.status == 204));

    let news = http
        .create_guild_channel(
            guild,
            &CreateChannel::new("news").kind(ChannelType::GuildAnnouncement),
            None,
        )
        .await
        .unwrap();
    assert_eq!(news.kind, ChannelType::GuildAnnouncement);
    let post = http
        .create_message(news.id, &text("release!"))
        .await
        .unwrap();
    let published = http.crosspost_message(news.id, post.id).await.unwrap();
    assert!(published.flags.contains(MessageFlags::CROSSPOSTED));
    let twice = http.crosspost_message(news.id, post.id).await.unwrap_err();
    assert_eq!(twice.kind().map(|k| k.code()), Some(40033));

    fake.shutdown().await;
}

#[tokio::test]
async fn reactions() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();
    let message = http
        .create_message(channel, &text("react here"))
        .await
        .unwrap();

    http.create_reaction(channel, message.id, "👍")
        .await
        .unwrap();
    let custom_emoji = http.emojis(guild).await.unwrap().remove(0);
    let custom = ReactionEmoji::from(&custom_emoji);
    http.create_reaction(channel, message.id, &custom)
        .await
        .unwrap();
    // The unicode emoji travels percent-encoded, the custom one as name:id.
    let paths: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path)
        .collect();
    assert!(
        paths[0].contains("/reactions/%F0%9F%91%8D/@me"),
        "{paths:?}"
    );
    let custom_id = custom_emoji.id.unwrap();
    assert!(
        paths[1].contains(&format!(
            "/reactions/{}%3A{custom_id}/@me",
            custom_emoji.name.as_deref().unwrap()
        )),
        "{paths:?}"
    );

    let with_reactions = http.message(channel, message.id).await.unwrap();
    assert_eq!(with_reactions.reactions.len(), 2);
    assert!(with_reactions.reactions[0].me);

    let users = http
        .reactions(channel, message.id, '👍', GetReactions::new().limit(10))
        .await
        .unwrap();
    assert_eq!(users.iter().map(|u| u.id).collect::<Vec<_>>(), vec![bot]);
    assert!(matches!(
        http.reactions(channel, message.id, "👍", GetReactions::new().limit(0))
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));

    http.delete_own_reaction(channel, message.id, "👍")
        .await
        .unwrap();
    let users = http
        .reactions(channel, message.id, "👍", GetReactions::new())
        .await
        .unwrap();
    assert!(users.is_empty());

    http.create_reaction(channel, message.id, "🔥")
        .await
        .unwrap();
    http.delete_user_reaction(channel, message.id, "🔥", bot)
        .await
        .unwrap();
    http.delete_all_reactions_for_emoji(channel, message.id, &custom)
        .await
        .unwrap();
    let after = http.message(channel, message.id).await.unwrap();
    assert!(after.reactions.is_empty(), "{:?}", after.reactions);

    http.create_reaction(channel, message.id, "🎉")
        .await
        .unwrap();
    http.create_reaction(channel, message.id, ReactionEmoji::unicode("✅"))
        .await
        .unwrap();
    http.delete_all_reactions(channel, message.id)
        .await
        .unwrap();
    assert!(http
        .message(channel, message.id)
        .await
        .unwrap()
        .reactions
        .is_empty());

    let unknown = http
        .create_reaction(
            channel,
            message.id,
            ReactionEmoji::custom("nope", EmojiId::new(1).unwrap()),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), Some(JsonErrorCode::UnknownEmoji));

    fake.shutdown().await;
}

#[tokio::test]
async fn pins() {
    let Setup {
        fake,
        http,
        channel,
        ..
    } = setup().await;
    let a = http.create_message(channel, &text("a")).await.unwrap();
    let b = http.create_message(channel, &text("b")).await.unwrap();
    http.pin_message(channel, a.id, Some("important"))
        .await
        .unwrap();
    http.pin_message(channel, b.id, None).await.unwrap();
    let page = http.pins(channel, GetPins::new().limit(1)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.has_more);
    assert_eq!(page.items[0].message.id, b.id, "newest pin first");
    let both = http.pins(channel, GetPins::new().limit(2)).await.unwrap();
    assert_eq!(
        both.items.iter().map(|p| p.message.id).collect::<Vec<_>>(),
        vec![b.id, a.id]
    );
    assert!(!both.has_more);
    // `before` is an ISO 8601 pin time.
    let none = http
        .pins(
            channel,
            GetPins::new().before(Timestamp::from_unix_secs(1_000_000_000)),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty());
    let later = Timestamp::from_unix_secs(4_000_000_000);
    let all = http
        .pins(channel, GetPins::new().before(later))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert!(all.items.iter().all(|p| p.pinned_at < later));
    assert!(http.pins(channel, GetPins::new().limit(51)).await.is_err());

    http.unpin_message(channel, a.id, None).await.unwrap();
    let all = http.pins(channel, GetPins::new()).await.unwrap();
    assert_eq!(
        all.items.iter().map(|p| p.message.id).collect::<Vec<_>>(),
        vec![b.id]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn webhooks_with_bot_and_webhook_tokens() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;

    let webhook = http
        .create_webhook(channel, &CreateWebhook::new("ci"), Some("for CI"))
        .await
        .unwrap();
    assert_eq!(webhook.name.as_deref(), Some("ci"));
    let token = webhook
        .token
        .clone()
        .expect("a new incoming webhook has a token");
    assert!(!format!("{webhook:?}").contains(&token));

    assert_eq!(http.webhook(webhook.id).await.unwrap().id, webhook.id);
    let by_token = http.webhook_with_token(webhook.id, &token).await.unwrap();
    assert_eq!(by_token.id, webhook.id);
    let token_request = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "GET" && r.path.contains("/webhooks/"))
        .unwrap();
    assert!(
        token_request.header("authorization").is_none(),
        "token routes are sent without the bot token"
    );
    assert!(http
        .channel_webhooks(channel)
        .await
        .unwrap()
        .iter()
        .any(|w| w.id == webhook.id));
    assert!(http
        .guild_webhooks(guild)
        .await
        .unwrap()
        .iter()
        .any(|w| w.id == webhook.id));

    let renamed = http
        .edit_webhook(webhook.id, &EditWebhook::new().name("ci-bot"), None)
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("ci-bot"));
    let renamed = http
        .edit_webhook_with_token(webhook.id, &token, &EditWebhook::new().name("ci-2"), None)
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("ci-2"));
    let moved = http
        .edit_webhook_with_token(
            webhook.id,
            &token,
            &EditWebhook::new().channel(channel),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(moved, ClientError::Validation(_)));

    // Execute: 204 without wait, the message with it.
    let body = ExecuteWebhook::new(text("build passed")).username("CI");
    assert!(http
        .execute_webhook(webhook.id, &token, &body, false)
        .await
        .unwrap()
        .is_none());
    let posted = http
        .execute_webhook(webhook.id, &token, &body, true)
        .await
        .unwrap()
        .expect("wait=true returns the message");
    assert_eq!(posted.content, "build passed");
    assert_eq!(posted.webhook_id, Some(webhook.id));
    assert_eq!(posted.author.username, "CI");
    let in_channel = http.messages(channel, GetMessages::new()).await.unwrap();
    assert_eq!(in_channel.len(), 2);

    // In a thread of the webhook's channel.
    let thread = http
        .create_thread(
            channel,
            &CreateThread::new("builds").kind(ChannelType::PublicThread),
            None,
        )
        .await
        .unwrap();
    let in_thread = http
        .execute_webhook(webhook.id, &token, &body.clone().thread(thread.id), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_thread.channel_id, thread.id);

    let fetched = http
        .webhook_message(webhook.id, &token, posted.id)
        .await
        .unwrap();
    assert_eq!(fetched.id, posted.id);
    let edit = EditMessage::builder()
        .content(Some("build passed (2)"))
        .build()
        .unwrap();
    let edited = http
        .edit_webhook_message(webhook.id, &token, posted.id, &edit)
        .await
        .unwrap();
    assert_eq!(edited.content, "build passed (2)");
    http.delete_webhook_message(webhook.id, &token, posted.id)
        .await
        .unwrap();
    assert_eq!(
        http.message(channel, posted.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownMessage)
    );

    // A wrong token never shows up in the error.
    let secret = "not-the-token-but-secret";
    let err = http
        .execute_webhook(webhook.id, secret, &body, true)
        .await
        .unwrap_err();
    assert!(err.status().is_some());
    assert!(!err.to_string().contains(secret), "{err}");
    assert!(!format!("{err:?}").contains(secret), "{err:?}");

    http.delete_webhook_with_token(webhook.id, &token, None)
        .await
        .unwrap();
    assert_eq!(
        http.webhook(webhook.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownWebhook)
    );
    let other = http
        .create_webhook(channel, &CreateWebhook::new("other"), None)
        .await
        .unwrap();
    http.delete_webhook(other.id, Some("unused")).await.unwrap();
    assert!(http.channel_webhooks(channel).await.unwrap().is_empty());

    fake.shutdown().await;
}

/// Dispatches a slash-command interaction; returns its id and token.
async fn interaction(
    fake: &FakeDiscord,
    http: &Http,
    channel: ChannelId,
    n: u64,
) -> (InteractionId, InteractionToken) {
    let guild = fake.guild_ids()[0];
    let channel_object: Value = http
        .request(route!(GET "/channels/{channel_id}", channel_id = channel))
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    let members: Value = http
        .request(route!(GET "/guilds/{guild_id}/members", guild_id = guild))
        .query("limit", 2)
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    let id = 9_000 + n;
    let token = format!("interaction-secret-token-{n}");
    let ctx = InteractionContext {
        id,
        application_id: fake.bot_user_id(),
        token: token.clone(),
        guild_id: Some(guild),
        channel: channel_object,
        invoker: members[1].clone(),
    };
    fake.dispatch(
        ShardTarget::All,
        "INTERACTION_CREATE",
        fixtures::slash_command_interaction(&ctx, 42, "ping", vec![]),
    );
    (
        InteractionId::new(id).unwrap(),
        InteractionToken::new(token),
    )
}

#[tokio::test]
async fn interaction_callbacks_and_followups() {
    let Setup {
        fake,
        http,
        channel,
        ..
    } = setup().await;
    let app = ApplicationId::new(fake.bot_user_id()).unwrap();
    assert_eq!(http.current_application_id().await.unwrap(), app);
    assert_eq!(http.application_id(), Some(app));

    let (id, token) = interaction(&fake, &http, channel, 1).await;
    let reply = InteractionMessage::builder()
        .content("pong")
        .build()
        .unwrap();
    http.create_interaction_response(id, &token, &InteractionResponse::message(reply).unwrap())
        .await
        .unwrap();
    let callback = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/callback"))
        .unwrap();
    assert_eq!(callback.status, 204);
    assert!(callback.header("authorization").is_none());

    let original = http.original_response(app, &token).await.unwrap();
    assert_eq!(original.content, "pong");
    let edit = EditMessage::builder()
        .content(Some("pong!"))
        .build()
        .unwrap();
    let edited = http
        .edit_original_response(app, &token, &edit)
        .await
        .unwrap();
    assert_eq!((edited.id, edited.content.as_str()), (original.id, "pong!"));

    let follow = InteractionMessage::builder()
        .content("more")
        .build()
        .unwrap();
    let followup = http.create_followup(app, &token, &follow).await.unwrap();
    assert_eq!(followup.content, "more");
    assert_eq!(
        http.followup(app, &token, followup.id).await.unwrap().id,
        followup.id
    );
    let edit = EditMessage::builder()
        .content(Some("even more"))
        .build()
        .unwrap();
    assert_eq!(
        http.edit_followup(app, &token, followup.id, &edit)
            .await
            .unwrap()
            .content,
        "even more"
    );
    http.delete_followup(app, &token, followup.id)
        .await
        .unwrap();
    assert!(http.followup(app, &token, followup.id).await.is_err());
    let empty = http
        .create_followup(app, &token, &InteractionMessage::default())
        .await
        .unwrap_err();
    assert!(matches!(
        empty,
        ClientError::Validation(ValidationError::EmptyMessage)
    ));

    http.delete_original_response(app, &token).await.unwrap();
    assert_eq!(
        http.message(channel, original.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownMessage)
    );

    // A second answer is refused; the token stays out of the error.
    let again = http
        .create_interaction_response(id, &token, &InteractionResponse::deferred_message(false))
        .await
        .unwrap_err();
    assert_eq!(again.kind().map(|k| k.code()), Some(40060));
    for text in [again.to_string(), format!("{again:?}")] {
        assert!(!text.contains(token.as_str()), "{text}");
    }

    // Defer, then answer by editing @original.
    let (id2, token2) = interaction(&fake, &http, channel, 2).await;
    http.defer_interaction(id2, &token2, true).await.unwrap();
    let deferred = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/callback"))
        .unwrap();
    assert_eq!(deferred.json().unwrap()["type"], 5);
    assert_eq!(deferred.json().unwrap()["data"]["flags"], 64);
    let edit = EditMessage::builder()
        .content(Some("done"))
        .build()
        .unwrap();
    let answered = http
        .edit_original_response(app, &token2, &edit)
        .await
        .unwrap();
    assert_eq!(answered.content, "done");

    // An unknown interaction: 404 / 10062, token not in the error.
    let bogus = InteractionToken::new("bogus-interaction-token");
    let err = http
        .create_interaction_response(
            InteractionId::new(1).unwrap(),
            &bogus,
            &InteractionResponse::deferred_message(false),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.kind().map(|k| k.code()), Some(10062));
    assert!(!err.to_string().contains("bogus-interaction-token"));

    fake.shutdown().await;
}

#[tokio::test]
async fn typed_api_errors() {
    let Setup {
        fake,
        http,
        channel,
        ..
    } = setup().await;

    let unknown = http.channel(ChannelId::new(1).unwrap()).await.unwrap_err();
    assert_eq!(unknown.kind(), Some(JsonErrorCode::UnknownChannel));
    assert_eq!(unknown.status(), Some(404));
    let send = http
        .create_message(ChannelId::new(1).unwrap(), &text("x"))
        .await
        .unwrap_err();
    assert_eq!(send.kind(), Some(JsonErrorCode::UnknownChannel));

    // The fake does not model permissions: script the 403 Discord sends
    // when the bot lacks one.
    fake.inject(Injection {
        method: Some("POST".into()),
        path_contains: format!("/channels/{channel}/messages"),
        times: 1,
        response: InjectedResponse::Status {
            status: 403,
            body: serde_json::json!({"code": 50013, "message": "Missing Permissions"}),
        },
    });
    let denied = http.create_message(channel, &text("x")).await.unwrap_err();
    assert_eq!(denied.kind(), Some(JsonErrorCode::MissingPermissions));
    assert_eq!(denied.status(), Some(403));
    assert_eq!(denied.api().unwrap().message(), "Missing Permissions");

    // The fake checks what the builders would: a raw empty body is refused.
    let empty = http
        .create_message(channel, &CreateMessage::default())
        .await
        .unwrap_err();
    assert_eq!(empty.kind(), Some(JsonErrorCode::EmptyMessage));

    // A reason over 512 characters never leaves.
    let before = requests(&fake);
    let long = "x".repeat(513);
    let err = http
        .delete_message(channel, MessageId::new(5).unwrap(), Some(&long))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::Validation(ValidationError::TooLong { max: 512, .. })
    ));
    assert_eq!(requests(&fake), before);

    let counters = fake.counters();
    assert_eq!(counters.user_agent_violations, 0);
    assert_eq!(counters.unauthorized, 0);
    fake.shutdown().await;
}
