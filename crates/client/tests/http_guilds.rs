//! Typed REST endpoints against the fake Discord: guilds, channels,
//! threads, members, bans, roles, users, invites, emojis, the audit log and
//! application commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

mod support;
use support::{setup_with, Setup};

use acord::command::{CommandBuilder, CreateMessage, ValidationError};
use acord::core::signals::JsonErrorCode;
use acord::http::{
    CreateChannel, CreateEmoji, CreateInvite, CreateRole, CreateThread, EditChannel, EditEmoji,
    EditGuild, EditMember, EditRole, GetArchivedThreads, GetAuditLog, GetBans, GetMembers,
};
use acord::model::{
    ApplicationId, AuditLogEvent, ChannelType, GenericId, GuildId, OverwriteType,
    PermissionOverwrite, Permissions, RoleId, Timestamp, UserId,
};
use acord::{ClientError, Http};

async fn setup() -> Setup {
    setup_with(2, 8).await
}

/// The first `n` members other than the bot.
async fn humans(http: &Http, guild: GuildId, bot: UserId, n: usize) -> Vec<UserId> {
    http.members(guild, GetMembers::new().limit(100))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.user.map(|u| u.id))
        .filter(|id| *id != bot)
        .take(n)
        .collect()
}

#[tokio::test]
async fn guild_get_edit_leave_and_channels() {
    let Setup {
        fake, http, guild, ..
    } = setup().await;

    let plain = http.guild(guild, false).await.unwrap();
    assert_eq!(plain.id, guild);
    assert_eq!(plain.approximate_member_count, None);
    let counted = http.guild(guild, true).await.unwrap();
    assert_eq!(counted.approximate_member_count, Some(9));
    assert!(counted.approximate_presence_count.is_some());

    let edited = http
        .edit_guild(guild, &EditGuild::new().name("Renamed"), Some("rebrand"))
        .await
        .unwrap();
    assert_eq!(edited.name, "Renamed");
    assert_eq!(http.guild(guild, false).await.unwrap().name, "Renamed");
    let too_short = http
        .edit_guild(guild, &EditGuild::new().name("x"), None)
        .await
        .unwrap_err();
    assert!(matches!(
        too_short,
        ClientError::Validation(ValidationError::TooShort { min: 2, .. })
    ));

    let channels = http.guild_channels(guild).await.unwrap();
    assert!(channels.iter().any(|c| c.kind == ChannelType::GuildText));
    assert!(channels.iter().all(|c| c.guild_id == Some(guild)));

    let other = GuildId::new(fake.guild_ids()[1]).unwrap();
    http.leave_guild(other).await.unwrap();
    let gone = http.guild(other, false).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
    assert!(!fake.guild_ids().contains(&other.get()));

    fake.shutdown().await;
}

#[tokio::test]
async fn channels_and_permission_overwrites() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;

    let general = http.channel(channel).await.unwrap();
    assert_eq!(general.id, channel);
    let category = general.parent_id.unwrap();

    let created = http
        .create_guild_channel(
            guild,
            &CreateChannel::new("bots")
                .topic("Bot spam")
                .parent(category)
                .rate_limit_per_user(5)
                .nsfw(false),
            Some("bot channel"),
        )
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("bots"));
    assert_eq!(created.topic.as_deref(), Some("Bot spam"));
    assert_eq!(created.parent_id, Some(category));
    assert_eq!(created.rate_limit_per_user, Some(5));
    let voice = http
        .create_guild_channel(
            guild,
            &CreateChannel::new("Talk").kind(ChannelType::GuildVoice),
            None,
        )
        .await
        .unwrap();
    assert_eq!(voice.kind, ChannelType::GuildVoice);

    let before = fake.requests().len();
    for bad in [
        CreateChannel::new(""),
        CreateChannel::new("t").topic("x".repeat(1025)),
        CreateChannel::new("t").rate_limit_per_user(21_601),
    ] {
        let err = http
            .create_guild_channel(guild, &bad, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Validation(_)), "{err}");
    }
    assert_eq!(fake.requests().len(), before, "nothing was sent");

    let edited = http
        .edit_channel(
            created.id,
            &EditChannel::new()
                .name("bot-spam")
                .topic(None::<String>)
                .parent(None),
            None,
        )
        .await
        .unwrap();
    assert_eq!(edited.name.as_deref(), Some("bot-spam"));
    assert!(edited.topic.is_none());
    assert!(edited.parent_id.is_none());

    let role = RoleId::new(fake.guild_ids()[0]).unwrap(); // @everyone
    let overwrite = PermissionOverwrite {
        id: role.cast(),
        kind: OverwriteType::Role,
        allow: Permissions::empty(),
        deny: Permissions::SEND_MESSAGES,
    };
    http.edit_permission_overwrite(created.id, &overwrite, Some("read-only"))
        .await
        .unwrap();
    let with = http.channel(created.id).await.unwrap();
    assert_eq!(with.permission_overwrites, vec![overwrite.clone()]);
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.contains("/permissions/"))
        .unwrap();
    assert_eq!(
        sent.json().unwrap(),
        serde_json::json!({"allow": "0", "deny": "2048", "type": 0})
    );
    http.delete_permission_overwrite(created.id, overwrite.id, None)
        .await
        .unwrap();
    assert!(http
        .channel(created.id)
        .await
        .unwrap()
        .permission_overwrites
        .is_empty());
    let missing = http
        .delete_permission_overwrite(created.id, GenericId::new(12345).unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(
        missing.kind(),
        Some(JsonErrorCode::UnknownPermissionOverwrite)
    );

    let deleted = http.delete_channel(created.id, Some("done")).await.unwrap();
    assert_eq!(deleted.id, created.id);
    assert_eq!(
        http.channel(created.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownChannel)
    );

    fake.shutdown().await;
}

#[tokio::test]
async fn threads() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();
    let someone = humans(&http, guild, bot, 1).await[0];

    let message = http
        .create_message(
            channel,
            &CreateMessage::builder().content("topic").build().unwrap(),
        )
        .await
        .unwrap();
    let from_message = http
        .create_thread_from_message(
            channel,
            message.id,
            &CreateThread::new("discussion").auto_archive_duration(1440),
            Some("discuss"),
        )
        .await
        .unwrap();
    assert_eq!(from_message.id.get(), message.id.get());
    assert_eq!(from_message.kind, ChannelType::PublicThread);
    assert!(matches!(
        http.create_thread_from_message(
            channel,
            message.id,
            &CreateThread::new("x").kind(ChannelType::PrivateThread),
            None
        )
        .await
        .unwrap_err(),
        ClientError::Validation(_)
    ));

    // Without a message the type is always sent: private unless set.
    let private = http
        .create_thread(channel, &CreateThread::new("secret").invitable(false), None)
        .await
        .unwrap();
    assert_eq!(private.kind, ChannelType::PrivateThread);
    let body = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/threads")))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["type"], 12);
    let public = http
        .create_thread(
            channel,
            &CreateThread::new("open").kind(ChannelType::PublicThread),
            None,
        )
        .await
        .unwrap();
    assert_eq!(public.kind, ChannelType::PublicThread);

    http.leave_thread(public.id).await.unwrap();
    assert!(http.thread_member(public.id, bot, false).await.is_err());
    http.join_thread(public.id).await.unwrap();
    assert_eq!(
        http.thread_member(public.id, bot, false)
            .await
            .unwrap()
            .user_id,
        Some(bot)
    );

    http.add_thread_member(public.id, someone).await.unwrap();
    let member = http.thread_member(public.id, someone, true).await.unwrap();
    assert_eq!(member.user_id, Some(someone));
    assert!(member.member.is_some(), "with_member adds the guild member");
    let members = http.thread_members(public.id).await.unwrap();
    assert!(members.iter().any(|m| m.user_id == Some(someone)));
    http.remove_thread_member(public.id, someone).await.unwrap();
    assert_eq!(
        http.thread_member(public.id, someone, false)
            .await
            .unwrap_err()
            .kind(),
        Some(JsonErrorCode::UnknownMember)
    );

    let active = http.active_threads(guild).await.unwrap();
    let active_ids: Vec<_> = active.threads.iter().map(|t| t.id).collect();
    assert!(active_ids.contains(&public.id) && active_ids.contains(&from_message.id));

    // Archive one public and the private thread, then list them.
    http.edit_channel(public.id, &EditChannel::new().archived(true), None)
        .await
        .unwrap();
    http.edit_channel(
        private.id,
        &EditChannel::new().archived(true).locked(true),
        None,
    )
    .await
    .unwrap();
    let archived = http
        .public_archived_threads(channel, GetArchivedThreads::new().limit(10))
        .await
        .unwrap();
    assert_eq!(
        archived.threads.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![public.id]
    );
    assert_eq!(archived.has_more, Some(false));
    let private_archived = http
        .private_archived_threads(channel, GetArchivedThreads::new())
        .await
        .unwrap();
    assert_eq!(
        private_archived
            .threads
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        vec![private.id]
    );
    let none = http
        .public_archived_threads(
            channel,
            GetArchivedThreads::new().before(Timestamp::from_unix_secs(1_000_000_000)),
        )
        .await
        .unwrap();
    assert!(none.threads.is_empty());

    fake.shutdown().await;
}

#[tokio::test]
async fn members_bans_and_roles() {
    let Setup {
        fake, http, guild, ..
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();

    // Pagination by user ID.
    let first = http
        .members(guild, GetMembers::new().limit(3))
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    let last = first[2].user.as_ref().unwrap().id;
    let next = http
        .members(guild, GetMembers::new().limit(3).after(last))
        .await
        .unwrap();
    assert_eq!(next.len(), 3);
    assert!(next.iter().all(|m| m.user.as_ref().unwrap().id > last));
    assert_eq!(
        http.members(guild, GetMembers::new()).await.unwrap().len(),
        1
    );
    assert!(matches!(
        http.members(guild, GetMembers::new().limit(1001))
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));

    let people = humans(&http, guild, bot, 5).await;
    let target = http.member(guild, people[0]).await.unwrap();
    let name = target.user.as_ref().unwrap().username.clone();
    let found = http.search_members(guild, &name[..3], 10).await.unwrap();
    assert!(found
        .iter()
        .any(|m| m.user.as_ref().unwrap().id == people[0]));
    assert!(http.search_members(guild, "", 10).await.is_err());

    // Roles: create, edit, reorder, assign, delete.
    let role = http
        .create_role(
            guild,
            &CreateRole::new()
                .name("helpers")
                .permissions(Permissions::KICK_MEMBERS)
                .color(0x3498DB)
                .hoist(true)
                .mentionable(true),
            Some("new team"),
        )
        .await
        .unwrap();
    assert_eq!(role.name, "helpers");
    assert_eq!(role.permissions, Permissions::KICK_MEMBERS);
    assert_eq!(role.color, 0x3498DB);
    assert!(role.hoist && role.mentionable);
    let edited = http
        .edit_role(
            guild,
            role.id,
            &EditRole::new().name("helpers+").hoist(false),
            None,
        )
        .await
        .unwrap();
    assert_eq!((edited.name.as_str(), edited.hoist), ("helpers+", false));
    assert_eq!(http.role(guild, role.id).await.unwrap().name, "helpers+");
    let roles = http
        .edit_role_positions(guild, &[(role.id, 1)], Some("move up"))
        .await
        .unwrap();
    let moved = roles.iter().find(|r| r.id == role.id).unwrap();
    assert_eq!(moved.position, 1);
    assert_eq!(roles.len(), http.roles(guild).await.unwrap().len());
    let reorder = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH" && r.path.ends_with(&format!("/guilds/{guild}/roles")))
        .unwrap();
    assert_eq!(
        reorder.json().unwrap(),
        serde_json::json!([{"id": role.id.to_string(), "position": 1}])
    );

    http.add_member_role(guild, people[0], role.id, Some("promoted"))
        .await
        .unwrap();
    assert!(http
        .member(guild, people[0])
        .await
        .unwrap()
        .roles
        .contains(&role.id));
    http.remove_member_role(guild, people[0], role.id, None)
        .await
        .unwrap();
    assert!(!http
        .member(guild, people[0])
        .await
        .unwrap()
        .roles
        .contains(&role.id));

    // Edit: nick, roles, timeout.
    let until =
        Timestamp::from_system_time(std::time::SystemTime::now() + Duration::from_secs(600));
    let edited = http
        .edit_member(
            guild,
            people[1],
            &EditMember::new()
                .nick(Some("Nick"))
                .roles(vec![role.id])
                .timeout(Some(until)),
            Some("moderation"),
        )
        .await
        .unwrap();
    assert_eq!(edited.nick.as_deref(), Some("Nick"));
    assert_eq!(edited.roles, vec![role.id]);
    assert_eq!(
        edited
            .communication_disabled_until
            .map(Timestamp::as_unix_secs),
        Some(until.as_unix_secs())
    );
    let lifted = http
        .edit_member(
            guild,
            people[1],
            &EditMember::new().timeout(None).nick(None::<String>),
            None,
        )
        .await
        .unwrap();
    assert!(lifted.communication_disabled_until.is_none());
    assert!(lifted.nick.is_none());
    let too_long = http
        .edit_member(
            guild,
            people[1],
            &EditMember::new().timeout_for(Duration::from_secs(29 * 24 * 3600)),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(too_long, ClientError::Validation(_)));

    http.delete_role(guild, role.id, None).await.unwrap();
    assert_eq!(
        http.role(guild, role.id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownRole)
    );

    // Kick and ban.
    http.kick_member(guild, people[2], None).await.unwrap();
    assert_eq!(
        http.member(guild, people[2]).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownMember)
    );
    let out_of_range = http
        .create_ban(guild, people[3], 604_801, None)
        .await
        .unwrap_err();
    assert!(matches!(
        out_of_range,
        ClientError::Validation(ValidationError::OutOfRange { max: 604_800, .. })
    ));
    http.create_ban(guild, people[3], 3600, Some("spam"))
        .await
        .unwrap();
    http.create_ban(guild, people[4], 0, None).await.unwrap();
    let ban_body = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.contains("/bans/"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ban_body["delete_message_seconds"], 3600);
    let ban = http.ban(guild, people[3]).await.unwrap();
    assert_eq!(ban.user.id, people[3]);
    assert_eq!(ban.reason.as_deref(), Some("spam"));
    let bans = http.bans(guild, GetBans::new()).await.unwrap();
    assert_eq!(bans.len(), 2);
    let (low, high) = if people[4] < people[3] {
        (people[4], people[3])
    } else {
        (people[3], people[4])
    };
    let after = http
        .bans(guild, GetBans::new().after(low).limit(10))
        .await
        .unwrap();
    assert_eq!(
        after.iter().map(|b| b.user.id).collect::<Vec<_>>(),
        vec![high]
    );
    let before = http.bans(guild, GetBans::new().before(high)).await.unwrap();
    assert_eq!(
        before.iter().map(|b| b.user.id).collect::<Vec<_>>(),
        vec![low]
    );
    http.remove_ban(guild, people[3], Some("appeal accepted"))
        .await
        .unwrap();
    assert_eq!(
        http.ban(guild, people[3]).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownBan)
    );

    fake.shutdown().await;
}

#[tokio::test]
async fn users_and_dms() {
    let Setup {
        fake, http, guild, ..
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();
    let me = http.current_user().await.unwrap();
    assert_eq!(me.id, bot);
    assert!(me.bot);
    let someone = humans(&http, guild, bot, 1).await[0];
    let user = http.user(someone).await.unwrap();
    assert_eq!(user.id, someone);
    let dm = http.create_dm(someone).await.unwrap();
    assert_eq!(dm.kind, ChannelType::Dm);
    assert_eq!(dm.recipients[0].id, someone);
    assert_eq!(http.create_dm(someone).await.unwrap().id, dm.id, "same DM");
    let sent = http
        .create_message(
            dm.id,
            &CreateMessage::builder().content("hi").build().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(sent.channel_id, dm.id);
    assert_eq!(
        http.user(UserId::new(1).unwrap()).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownUser)
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn invites_and_emojis() {
    let Setup {
        fake,
        http,
        guild,
        channel,
    } = setup().await;

    let invite = http
        .create_invite(
            channel,
            &CreateInvite::new().max_age(3600).max_uses(5).unique(true),
            Some("event"),
        )
        .await
        .unwrap();
    assert_eq!(invite.max_age, Some(3600));
    assert_eq!(invite.max_uses, Some(5));
    assert!(matches!(
        http.create_invite(channel, &CreateInvite::new().max_uses(101), None)
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));
    let fetched = http.invite(&invite.code, true).await.unwrap();
    assert_eq!(fetched.code, invite.code);
    assert_eq!(fetched.approximate_member_count, Some(9));
    assert!(http
        .invite(&invite.code, false)
        .await
        .unwrap()
        .approximate_member_count
        .is_none());
    let listed = http.channel_invites(channel).await.unwrap();
    assert_eq!(
        listed.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        vec![invite.code.as_str()]
    );
    let deleted = http
        .delete_invite(&invite.code, Some("expired"))
        .await
        .unwrap();
    assert_eq!(deleted.code, invite.code);
    assert_eq!(
        http.invite(&invite.code, false).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownInvite)
    );

    let emojis = http.emojis(guild).await.unwrap();
    assert_eq!(emojis.len(), 2);
    let first = emojis[0].id.unwrap();
    assert_eq!(http.emoji(guild, first).await.unwrap().id, Some(first));
    let created = http
        .create_emoji(
            guild,
            &CreateEmoji::new("blob_wave", "data:image/png;base64,iVBORw0KGgo="),
            Some("new emoji"),
        )
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("blob_wave"));
    let id = created.id.unwrap();
    let renamed = http
        .edit_emoji(guild, id, &EditEmoji::new().name("blob_hi"), None)
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("blob_hi"));
    assert!(matches!(
        http.edit_emoji(guild, id, &EditEmoji::new().name("no spaces"), None)
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));
    assert!(matches!(
        http.create_emoji(guild, &CreateEmoji::new("ok", "https://x/y.png"), None)
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));
    http.delete_emoji(guild, id, None).await.unwrap();
    assert_eq!(
        http.emoji(guild, id).await.unwrap_err().kind(),
        Some(JsonErrorCode::UnknownEmoji)
    );
    assert_eq!(http.emojis(guild).await.unwrap().len(), 2);

    fake.shutdown().await;
}

#[tokio::test]
async fn audit_log_reason_arrives_decoded() {
    let Setup {
        fake, http, guild, ..
    } = setup().await;
    let bot = UserId::new(fake.bot_user_id()).unwrap();
    let people = humans(&http, guild, bot, 2).await;
    let reason = "Spam: 3 links & an @everyone — 100% sure ✓";

    http.kick_member(guild, people[0], Some(reason))
        .await
        .unwrap();
    http.create_ban(guild, people[1], 0, Some("second"))
        .await
        .unwrap();

    // On the wire: percent-encoded.
    let kick = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE" && r.path.ends_with(&format!("/members/{}", people[0])))
        .unwrap();
    let header = kick.header("x-audit-log-reason").unwrap();
    assert!(header.is_ascii() && !header.contains(' '), "{header}");
    assert!(header.starts_with("Spam%3A%203%20links%20%26"), "{header}");

    // In the audit log: decoded.
    let log = http
        .audit_log(
            guild,
            GetAuditLog::new()
                .action_type(AuditLogEvent::MemberKick)
                .user(bot)
                .limit(5),
        )
        .await
        .unwrap();
    assert_eq!(log.audit_log_entries.len(), 1);
    let entry = &log.audit_log_entries[0];
    assert_eq!(entry.reason.as_deref(), Some(reason));
    assert_eq!(entry.user_id, Some(bot));
    assert_eq!(
        entry.target_id.as_deref(),
        Some(people[0].to_string().as_str())
    );
    assert!(log.users.iter().any(|u| u.id == people[0]));

    let all = http.audit_log(guild, GetAuditLog::new()).await.unwrap();
    assert_eq!(all.audit_log_entries.len(), 2);
    let newest = all.audit_log_entries[0].id;
    let oldest = all.audit_log_entries[1].id;
    assert_eq!(
        all.audit_log_entries[0].action_type,
        AuditLogEvent::MemberBanAdd
    );
    let older = http
        .audit_log(guild, GetAuditLog::new().before(newest))
        .await
        .unwrap();
    assert_eq!(
        older
            .audit_log_entries
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        vec![oldest]
    );
    let newer = http
        .audit_log(guild, GetAuditLog::new().after(oldest))
        .await
        .unwrap();
    assert_eq!(
        newer
            .audit_log_entries
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        vec![newest]
    );
    assert!(matches!(
        http.audit_log(guild, GetAuditLog::new().limit(0))
            .await
            .unwrap_err(),
        ClientError::Validation(_)
    ));

    fake.shutdown().await;
}

#[tokio::test]
async fn application_commands() {
    let Setup {
        fake, http, guild, ..
    } = setup().await;
    let app = ApplicationId::new(fake.bot_user_id()).unwrap();

    let ping = CommandBuilder::chat_input("ping", "Checks the bot is alive")
        .build()
        .unwrap();
    let created = http.create_global_command(app, &ping).await.unwrap();
    assert_eq!(created.name, "ping");
    assert_eq!(created.application_id, app);
    assert_eq!(http.global_commands(app).await.unwrap().len(), 1);
    assert_eq!(
        http.global_command(app, created.id).await.unwrap().id,
        created.id
    );
    let pong = CommandBuilder::chat_input("ping", "Answers pong")
        .build()
        .unwrap();
    let edited = http
        .edit_global_command(app, created.id, &pong)
        .await
        .unwrap();
    assert_eq!(edited.description, "Answers pong");
    let set = http
        .set_global_commands(
            app,
            &[
                CommandBuilder::chat_input("help", "Shows help")
                    .build()
                    .unwrap(),
                CommandBuilder::user("Profile").build().unwrap(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(set.len(), 2);
    let names: Vec<_> = http
        .global_commands(app)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.contains(&"help".to_owned()) && !names.contains(&"ping".to_owned()));
    http.delete_global_command(app, set[0].id).await.unwrap();
    assert_eq!(http.global_commands(app).await.unwrap().len(), 1);
    assert!(http.global_command(app, set[0].id).await.is_err());

    let local = http.create_guild_command(app, guild, &ping).await.unwrap();
    assert_eq!(local.guild_id, Some(guild));
    assert_eq!(http.guild_commands(app, guild).await.unwrap().len(), 1);
    assert_eq!(
        http.guild_command(app, guild, local.id).await.unwrap().id,
        local.id
    );
    let edited = http
        .edit_guild_command(app, guild, local.id, &pong)
        .await
        .unwrap();
    assert_eq!(edited.description, "Answers pong");
    http.delete_guild_command(app, guild, local.id)
        .await
        .unwrap();
    assert!(http.guild_commands(app, guild).await.unwrap().is_empty());
    let replaced = http
        .set_guild_commands(app, guild, std::slice::from_ref(&ping))
        .await
        .unwrap();
    assert_eq!(replaced.len(), 1);
    assert!(http
        .set_guild_commands(app, guild, &[])
        .await
        .unwrap()
        .is_empty());

    let sixteen: Vec<_> = (0..16)
        .map(|i| {
            CommandBuilder::message(format!("Message {i}"))
                .build()
                .unwrap()
        })
        .collect();
    assert!(matches!(
        http.set_global_commands(app, &sixteen).await.unwrap_err(),
        ClientError::Validation(ValidationError::TooMany { max: 15, .. })
    ));

    fake.shutdown().await;
}
