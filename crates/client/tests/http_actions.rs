//! Model actions (`guild_id.leave(&http)`, `message.reply(&http, …)`, …)
//! against the fake Discord.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use acord::command::{CreateMessage, EditMessage, ValidationError};
use acord::core::signals::JsonErrorCode;
use acord::http::{CreateRole, GetMembers, GetMessages, ReactionEmoji};
use acord::model::{ChannelId, GuildId, Member, RoleId, UnavailableGuild, UserId};
use acord::{ClientError, Http};
use acord_testkit::FakeDiscord;

mod support;
use support::{setup_with, Setup};

async fn setup(guilds: usize) -> (FakeDiscord, Http) {
    let Setup { fake, http, .. } = setup_with(guilds, 6).await;
    (fake, http)
}

fn ids(fake: &FakeDiscord) -> (GuildId, ChannelId) {
    let guild = fake.guild_ids()[0];
    (
        GuildId::new(guild).unwrap(),
        ChannelId::new(fake.channel_ids(guild)[0]).unwrap(),
    )
}

async fn humans(http: &Http, guild: GuildId, bot: UserId) -> Vec<Member> {
    http.members(guild, GetMembers::new().limit(100))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.user.as_ref().is_some_and(|u| u.id != bot))
        .collect()
}

#[tokio::test]
async fn leaving_guilds() {
    let (fake, http) = setup(3).await;
    let [a, b, c] = fake.guild_ids()[..] else {
        panic!("three guilds")
    };
    let a = GuildId::new(a).unwrap();

    a.leave(&http).await.unwrap();
    assert!(!fake.guild_ids().contains(&a.get()), "the fake removed it");
    let leave = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert_eq!(leave.path, format!("/api/v10/users/@me/guilds/{a}"));
    assert_eq!(leave.status, 204);
    // Leaving again: Discord no longer knows the bot there.
    let again = a.leave(&http).await.unwrap_err();
    assert_eq!(again.status(), Some(404));

    // From a fetched guild, and through an Arc<Http>.
    let guild = http.guild(GuildId::new(b).unwrap(), false).await.unwrap();
    let shared = Arc::new(http.clone());
    guild.leave(&shared).await.unwrap();
    assert!(!fake.guild_ids().contains(&b));

    let unavailable = UnavailableGuild {
        id: GuildId::new(c).unwrap(),
        unavailable: Some(true),
    };
    unavailable.leave(&http).await.unwrap();
    assert!(fake.guild_ids().is_empty());

    fake.shutdown().await;
}

#[tokio::test]
async fn channel_and_message_actions() {
    let (fake, http) = setup(1).await;
    let (_, channel) = ids(&fake);

    let said = channel.say(&http, "hello").await.unwrap();
    assert_eq!(said.content, "hello");
    assert!(matches!(
        channel.say(&http, "").await.unwrap_err(),
        ClientError::Validation(ValidationError::EmptyMessage)
    ));
    let sent = channel
        .send_message(
            &http,
            &CreateMessage::builder()
                .content("built")
                .tts(false)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        channel.message(&http, sent.id).await.unwrap().content,
        "built"
    );

    let reply = said.reply(&http, "replying").await.unwrap();
    let reference = reply.message_reference.as_ref().unwrap();
    assert_eq!(reference.message_id, Some(said.id));
    assert_eq!(reference.channel_id, Some(channel));
    assert_eq!(
        reply
            .referenced_message
            .as_ref()
            .and_then(Option::as_ref)
            .map(|m| m.id),
        Some(said.id)
    );

    said.react(&http, "👋").await.unwrap();
    said.react(&http, ReactionEmoji::unicode("🎉"))
        .await
        .unwrap();
    let reacted = channel.message(&http, said.id).await.unwrap();
    assert_eq!(reacted.reactions.len(), 2);

    let edited = said
        .edit(
            &http,
            &EditMessage::builder()
                .content(Some("hello!"))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(edited.content, "hello!");
    said.pin(&http, Some("welcome message")).await.unwrap();
    assert_eq!(
        http.pins(channel, Default::default()).await.unwrap().items[0]
            .message
            .id,
        said.id
    );

    channel.broadcast_typing(&http).await.unwrap();
    let page = channel
        .messages(&http, GetMessages::new().limit(10))
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![reply.id, sent.id, said.id]
    );

    said.delete(&http, None).await.unwrap();
    channel.delete_message(&http, sent.id, None).await.unwrap();
    assert_eq!(
        channel.message(&http, said.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownMessage)
    );
    let left = channel.messages(&http, GetMessages::new()).await.unwrap();
    assert_eq!(
        left.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![reply.id]
    );

    fake.shutdown().await;
}

#[tokio::test]
async fn member_role_and_user_actions() {
    let (fake, http) = setup(1).await;
    let (guild, _) = ids(&fake);
    let bot = UserId::new(fake.bot_user_id()).unwrap();
    let people = humans(&http, guild, bot).await;

    let fetched = guild
        .member(&http, people[0].user.as_ref().unwrap().id)
        .await
        .unwrap();
    assert_eq!(fetched, people[0]);
    assert!(!guild.channels(&http).await.unwrap().is_empty());

    let role = http
        .create_role(guild, &CreateRole::new().name("tester"), None)
        .await
        .unwrap();
    assert!(guild
        .roles(&http)
        .await
        .unwrap()
        .iter()
        .any(|r| r.id == role.id));
    people[0]
        .add_role(&http, guild, role.id, Some("testing"))
        .await
        .unwrap();
    let id0 = people[0].user.as_ref().unwrap().id;
    assert!(guild
        .member(&http, id0)
        .await
        .unwrap()
        .roles
        .contains(&role.id));
    people[0]
        .remove_role(&http, guild, role.id, None)
        .await
        .unwrap();
    assert!(!guild
        .member(&http, id0)
        .await
        .unwrap()
        .roles
        .contains(&role.id));

    // A partial member (from a message or interaction) has no user.
    let mut partial = people[1].clone();
    partial.user = None;
    let before = fake.requests().len();
    assert!(matches!(
        partial.kick(&http, guild, None).await.unwrap_err(),
        ClientError::Validation(_)
    ));
    assert_eq!(fake.requests().len(), before);

    people[1].kick(&http, guild, Some("bye")).await.unwrap();
    let id1 = people[1].user.as_ref().unwrap().id;
    assert_eq!(
        guild.member(&http, id1).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownMember)
    );
    people[2].ban(&http, guild, 60, Some("spam")).await.unwrap();
    let id2 = people[2].user.as_ref().unwrap().id;
    assert_eq!(http.ban(guild, id2).await.unwrap().user.id, id2);
    guild.unban(&http, id2, None).await.unwrap();
    assert!(http.ban(guild, id2).await.is_err());

    let id3 = people[3].user.as_ref().unwrap().id;
    guild.kick(&http, id3, None).await.unwrap();
    assert!(guild.member(&http, id3).await.is_err());
    let id4 = people[4].user.as_ref().unwrap().id;
    guild.ban(&http, id4, 0, None).await.unwrap();
    assert_eq!(http.ban(guild, id4).await.unwrap().user.id, id4);

    let dm = id0.create_dm(&http).await.unwrap();
    let user = people[0].user.as_ref().unwrap();
    assert_eq!(user.create_dm(&http).await.unwrap().id, dm.id);
    let hi = dm.id.say(&http, "hi").await.unwrap();
    assert_eq!(hi.channel_id, dm.id);

    role.delete(&http, guild, Some("done")).await.unwrap();
    assert!(!guild
        .roles(&http)
        .await
        .unwrap()
        .iter()
        .any(|r| r.id == role.id));
    let other = http
        .create_role(guild, &CreateRole::new().name("temp"), None)
        .await
        .unwrap();
    other.id.delete(&http, guild, None).await.unwrap();
    assert_eq!(
        RoleId::delete(other.id, &http, guild, None)
            .await
            .unwrap_err()
            .kind(),
        Some(JsonErrorCode::UnknownRole)
    );

    fake.shutdown().await;
}
