//! The in-memory cache, driven event by event: what each event changes,
//! what it hands back as previous state, permissions, the message bound,
//! disabled resources, and readers during a GUILD_CREATE storm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use acord::cache::{CacheConfig, InMemoryCache, PermissionError, Previous, ResourceType};
use acord::event::Event;
use acord::model::{ChannelId, GuildId, Permissions, RoleId, UserId};
use acord_testkit::fixtures;
use serde_json::{json, Value};

const GUILD: u64 = 1_000;
const OWNER: u64 = 2_000;
const ALICE: u64 = 3_001;
const BOB: u64 = 3_002;
const MODS: u64 = 4_001;
const MUTED: u64 = 4_002;
const ADMINS: u64 = 4_003;
const GENERAL: u64 = 5_001;
const SECRET: u64 = 5_002;
const THREAD: u64 = 5_003;

fn ev(name: &str, d: Value) -> Event {
    Event::from_dispatch(name, d.to_string().as_bytes()).unwrap()
}

fn gid(n: u64) -> GuildId {
    GuildId::new(n).unwrap()
}
fn uid(n: u64) -> UserId {
    UserId::new(n).unwrap()
}
fn cid(n: u64) -> ChannelId {
    ChannelId::new(n).unwrap()
}

fn overwrite(id: u64, kind: u8, allow: Permissions, deny: Permissions) -> Value {
    json!({"id": id.to_string(), "type": kind, "allow": allow.bits().to_string(), "deny": deny.bits().to_string()})
}

/// A guild: @everyone may view and send; MODS may manage messages; MUTED
/// has nothing extra; ADMINS has ADMINISTRATOR. GENERAL has no
/// overwrites; SECRET denies VIEW_CHANNEL to @everyone, allows it to MODS,
/// denies SEND_MESSAGES to MUTED and allows SEND_MESSAGES to BOB alone.
fn guild_create(members: &[(u64, &str, &[u64])]) -> Value {
    let mut g = fixtures::guild(GUILD, "test", OWNER);
    let everyone = (Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::EMBED_LINKS)
        .bits();
    g["roles"] = json!([
        fixtures::role(GUILD, "@everyone", 0, everyone),
        fixtures::role(MODS, "mods", 2, Permissions::MANAGE_MESSAGES.bits()),
        fixtures::role(MUTED, "muted", 1, 0),
        fixtures::role(ADMINS, "admins", 3, Permissions::ADMINISTRATOR.bits()),
    ]);
    let mut general = fixtures::text_channel(GENERAL, GUILD, "general", 0);
    general.as_object_mut().unwrap().remove("guild_id");
    let mut secret = fixtures::text_channel(SECRET, GUILD, "secret", 1);
    secret.as_object_mut().unwrap().remove("guild_id");
    secret["permission_overwrites"] = json!([
        overwrite(GUILD, 0, Permissions::empty(), Permissions::VIEW_CHANNEL),
        overwrite(MODS, 0, Permissions::VIEW_CHANNEL, Permissions::empty()),
        overwrite(MUTED, 0, Permissions::empty(), Permissions::SEND_MESSAGES),
        overwrite(BOB, 1, Permissions::SEND_MESSAGES, Permissions::empty()),
    ]);
    g["channels"] = json!([general, secret]);
    g["threads"] = json!([{
        "id": THREAD.to_string(), "type": 11, "parent_id": SECRET.to_string(), "name": "t",
        "owner_id": ALICE.to_string(),
        "thread_metadata": {"archived": false, "auto_archive_duration": 60,
            "archive_timestamp": "2024-01-01T00:00:00.000000+00:00", "locked": false}
    }]);
    let mut list = vec![fixtures::member(
        &fixtures::user(OWNER, "owner"),
        &[],
        "2024-01-01T00:00:00.000000+00:00",
    )];
    for (id, name, roles) in members {
        list.push(fixtures::member(
            &fixtures::user(*id, name),
            roles,
            "2024-01-01T00:00:00.000000+00:00",
        ));
    }
    g["members"] = json!(list);
    g["member_count"] = json!(list.len());
    g["joined_at"] = json!("2024-01-01T00:00:00.000000+00:00");
    g["large"] = json!(false);
    g["voice_states"] = json!([]);
    g["presences"] = json!([fixtures::presence(ALICE, GUILD, "online", vec![])]);
    g["stage_instances"] = json!([]);
    g["guild_scheduled_events"] = json!([]);
    g
}

fn loaded(config: CacheConfig, members: &[(u64, &str, &[u64])]) -> InMemoryCache {
    let cache = InMemoryCache::new(config);
    cache.update(&ev("GUILD_CREATE", guild_create(members)));
    cache
}

fn standard() -> InMemoryCache {
    loaded(
        CacheConfig::default(),
        &[(ALICE, "alice", &[MODS]), (BOB, "bob", &[MUTED])],
    )
}

#[test]
fn guild_create_fills_every_resource() {
    let cache = standard();
    let g = cache.guild(gid(GUILD)).unwrap();
    assert_eq!(g.name, "test");
    assert!(
        g.members.is_empty() && g.channels.is_empty(),
        "lists live apart"
    );
    assert_eq!(cache.member_count(gid(GUILD)), 3);
    assert_eq!(cache.roles(gid(GUILD)).len(), 4);
    let channels = cache.guild_channels(gid(GUILD));
    assert_eq!(channels.len(), 3);
    // channels of GUILD_CREATE carry no guild_id; the cache sets it
    assert!(channels.iter().all(|c| c.guild_id == Some(gid(GUILD))));
    assert_eq!(&*cache.user(uid(ALICE)).unwrap().name, "alice");
    assert!(cache.presence(gid(GUILD), uid(ALICE)).is_some());
    let stats = cache.stats();
    assert_eq!((stats.guilds, stats.members, stats.users), (1, 3, 3));
}

#[test]
fn a_user_in_two_guilds_is_stored_once_and_released_with_the_last() {
    let cache = standard();
    let mut other = guild_create(&[(ALICE, "alice", &[])]);
    other["id"] = json!("1001");
    cache.update(&ev("GUILD_CREATE", other));
    assert_eq!(cache.stats().users, 3, "alice is stored once");
    cache.update(&ev(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": GUILD.to_string(), "user": fixtures::user(ALICE, "alice")}),
    ));
    assert!(cache.user(uid(ALICE)).is_some(), "still in the other guild");
    cache.update(&ev(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": "1001", "user": fixtures::user(ALICE, "alice")}),
    ));
    assert!(cache.user(uid(ALICE)).is_none());
    // leaving the guild releases everyone in it
    cache.update(&ev("GUILD_DELETE", json!({"id": GUILD.to_string()})));
    assert!(cache.user(uid(BOB)).is_none());
    assert!(
        cache.user(uid(OWNER)).is_some(),
        "the owner is in guild 1001 too"
    );
    assert!(cache.guild(gid(GUILD)).is_none());
    assert!(cache.channel(cid(GENERAL)).is_none());
    assert!(!cache.is_unavailable(gid(GUILD)));
}

#[test]
fn updates_and_deletes_hand_back_the_previous_state() {
    let cache = standard();
    // member update: the member before
    let mut update = fixtures::member(
        &fixtures::user(ALICE, "alice"),
        &[MODS, MUTED],
        "2024-01-01T00:00:00.000000+00:00",
    );
    update["guild_id"] = json!(GUILD.to_string());
    update["nick"] = json!("Al");
    let previous = cache.update(&ev("GUILD_MEMBER_UPDATE", update));
    let before = previous.member().unwrap();
    assert!(before.nick.is_none());
    assert_eq!(&*before.roles, &[RoleId::new(MODS).unwrap()]);
    let now = cache.member(gid(GUILD), uid(ALICE)).unwrap();
    assert_eq!(now.nick.as_deref(), Some("Al"));
    assert_eq!(now.roles.len(), 2);

    // role update and delete: the role before
    let mut role = fixtures::role(MODS, "moderators", 2, 0);
    role["color"] = json!(5);
    let previous = cache.update(&ev(
        "GUILD_ROLE_UPDATE",
        json!({"guild_id": GUILD.to_string(), "role": role}),
    ));
    assert_eq!(previous.role().unwrap().name, "mods");
    let previous = cache.update(&ev(
        "GUILD_ROLE_DELETE",
        json!({"guild_id": GUILD.to_string(), "role_id": MODS.to_string()}),
    ));
    assert_eq!(previous.role().unwrap().name, "moderators");
    assert!(cache.role(gid(GUILD), RoleId::new(MODS).unwrap()).is_none());

    // channel update and delete
    let mut general = fixtures::text_channel(GENERAL, GUILD, "renamed", 0);
    general["topic"] = json!("new");
    let previous = cache.update(&ev("CHANNEL_UPDATE", general));
    assert_eq!(previous.channel().unwrap().name.as_deref(), Some("general"));
    assert_eq!(
        cache.channel(cid(GENERAL)).unwrap().name.as_deref(),
        Some("renamed")
    );
    let previous = cache.update(&ev(
        "CHANNEL_DELETE",
        fixtures::text_channel(GENERAL, GUILD, "renamed", 0),
    ));
    assert_eq!(previous.channel().unwrap().name.as_deref(), Some("renamed"));
    assert!(cache.channel(cid(GENERAL)).is_none());
    assert_eq!(cache.guild_channels(gid(GUILD)).len(), 2);

    // guild update keeps the GUILD_CREATE-only fields
    let mut g = fixtures::guild(GUILD, "renamed guild", OWNER);
    g["roles"] = json!([fixtures::everyone_role(GUILD)]);
    let previous = cache.update(&ev("GUILD_UPDATE", g));
    assert_eq!(previous.guild().unwrap().name, "test");
    let now = cache.guild(gid(GUILD)).unwrap();
    assert_eq!(now.name, "renamed guild");
    assert!(now.joined_at.is_some());

    // member remove: the member before
    let previous = cache.update(&ev(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": GUILD.to_string(), "user": fixtures::user(BOB, "bob")}),
    ));
    assert_eq!(previous.member().unwrap().user_id, uid(BOB));
    assert!(cache.member(gid(GUILD), uid(BOB)).is_none());

    // presence update: the presence before
    let previous = cache.update(&ev(
        "PRESENCE_UPDATE",
        fixtures::presence(ALICE, GUILD, "idle", vec![]),
    ));
    assert!(previous.presence().is_some());
}

fn message(id: u64, content: &str) -> Value {
    fixtures::message(
        id,
        GENERAL,
        Some(GUILD),
        &fixtures::user(ALICE, "alice"),
        content,
    )
}

#[test]
fn messages_are_bounded_per_channel_and_updates_deletes_return_them() {
    let cache = loaded(
        CacheConfig::default().message_capacity(3),
        &[(ALICE, "alice", &[])],
    );
    for id in 1..=5 {
        cache.update(&ev(
            "MESSAGE_CREATE",
            message(10_000 + id, &format!("m{id}")),
        ));
    }
    let kept: Vec<String> = cache
        .messages(cid(GENERAL))
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert_eq!(kept, ["m3", "m4", "m5"]);
    let previous = cache.update(&ev(
        "MESSAGE_UPDATE",
        json!({"id": "10004", "channel_id": GENERAL.to_string(), "content": "edited",
               "edited_timestamp": "2024-01-02T00:00:00.000000+00:00"}),
    ));
    assert_eq!(previous.message().unwrap().content, "m4");
    let now = cache
        .message(cid(GENERAL), acord::model::MessageId::new(10_004).unwrap())
        .unwrap();
    assert_eq!(now.content, "edited");
    assert!(now.edited_timestamp.is_some());
    let previous = cache.update(&ev(
        "MESSAGE_DELETE",
        json!({"id": "10004", "channel_id": GENERAL.to_string()}),
    ));
    assert_eq!(previous.message().unwrap().content, "edited");
    let previous = cache.update(&ev(
        "MESSAGE_DELETE_BULK",
        json!({"ids": ["10003", "10005", "99"], "channel_id": GENERAL.to_string()}),
    ));
    assert_eq!(previous.messages().len(), 2);
    assert!(cache.messages(cid(GENERAL)).is_empty());
    // an event for something not cached changes nothing and hands back nothing
    assert!(cache
        .update(&ev(
            "MESSAGE_DELETE",
            json!({"id": "1", "channel_id": "77"})
        ))
        .is_none());
}

#[test]
fn disabled_resources_stay_empty_and_their_events_are_not_read() {
    let config = CacheConfig::none().resources(ResourceType::GUILD | ResourceType::CHANNEL);
    let events = config.event_types();
    assert!(events.contains(acord::event::EventTypeFlags::CHANNEL_UPDATE));
    assert!(!events.intersects(
        acord::event::EventTypeFlags::MESSAGE_CREATE
            | acord::event::EventTypeFlags::PRESENCE_UPDATE
            | acord::event::EventTypeFlags::GUILD_MEMBER_ADD
    ));
    let cache = loaded(config, &[(ALICE, "alice", &[MODS])]);
    assert!(cache.guild(gid(GUILD)).is_some());
    assert_eq!(cache.guild_channels(gid(GUILD)).len(), 3);
    let stats = cache.stats();
    assert_eq!(
        (stats.members, stats.users, stats.roles, stats.presences),
        (0, 0, 0, 0)
    );
    cache.update(&ev("MESSAGE_CREATE", message(10_001, "hi")));
    assert!(cache.messages(cid(GENERAL)).is_empty());
    // message_capacity(0) turns messages off
    assert!(CacheConfig::default()
        .message_capacity(0)
        .event_types()
        .contains(acord::event::EventTypeFlags::GUILD_CREATE));
    assert!(!CacheConfig::default()
        .message_capacity(0)
        .event_types()
        .contains(acord::event::EventTypeFlags::MESSAGE_CREATE));
    assert!(CacheConfig::none().event_types().is_empty());
}

#[test]
fn threads_sync_and_outages() {
    let cache = standard();
    // THREAD_LIST_SYNC for SECRET: its threads are exactly the listed ones
    cache.update(&ev(
        "THREAD_LIST_SYNC",
        json!({"guild_id": GUILD.to_string(), "channel_ids": [SECRET.to_string()], "threads": [], "members": []}),
    ));
    assert!(cache.channel(cid(THREAD)).is_none());
    // an outage keeps nothing but the mark
    cache.update(&ev(
        "GUILD_DELETE",
        json!({"id": GUILD.to_string(), "unavailable": true}),
    ));
    assert!(cache.is_unavailable(gid(GUILD)));
    assert!(cache.guild(gid(GUILD)).is_none());
    cache.update(&ev("GUILD_CREATE", guild_create(&[])));
    assert!(!cache.is_unavailable(gid(GUILD)));
    assert_eq!(cache.stats().users, 1);
}

fn perms(cache: &InMemoryCache, channel: u64, user: u64) -> Permissions {
    cache.permissions_in(cid(channel), uid(user)).unwrap()
}

#[test]
fn permissions_follow_discords_order() {
    let cache = loaded(
        CacheConfig::default(),
        &[
            (ALICE, "alice", &[MODS]),
            (BOB, "bob", &[MUTED]),
            (3_003, "carol", &[]),
            (3_004, "dave", &[ADMINS, MUTED]),
        ],
    );
    // the owner has everything, overwrites or not
    assert_eq!(perms(&cache, SECRET, OWNER), Permissions::all());
    // ADMINISTRATOR through a role: everything, whatever denies
    assert_eq!(perms(&cache, SECRET, 3_004), Permissions::all());
    // GENERAL: @everyone's role permissions, plus the member's roles
    let carol = perms(&cache, GENERAL, 3_003);
    assert!(carol.contains(Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES));
    assert!(!carol.contains(Permissions::MANAGE_MESSAGES));
    assert!(perms(&cache, GENERAL, ALICE).contains(Permissions::MANAGE_MESSAGES));
    // SECRET: @everyone denied VIEW_CHANNEL → nothing at all for carol
    assert_eq!(perms(&cache, SECRET, 3_003), Permissions::empty());
    // the MODS role overwrite allows VIEW_CHANNEL back
    let alice = perms(&cache, SECRET, ALICE);
    assert!(alice.contains(
        Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::MANAGE_MESSAGES
    ));
    // bob: @everyone deny VIEW (not restored by a role) → nothing, even
    // though his member overwrite allows SEND_MESSAGES
    assert_eq!(perms(&cache, SECRET, BOB), Permissions::empty());
    // a thread uses its parent's overwrites
    assert_eq!(perms(&cache, THREAD, ALICE), alice);
    // the guild-wide view
    assert!(cache
        .guild_permissions(gid(GUILD), uid(ALICE))
        .unwrap()
        .contains(Permissions::MANAGE_MESSAGES));
}

#[test]
fn role_denies_lose_to_member_allows_and_send_carries_its_implicit_rights() {
    // @everyone allowed VIEW in SECRET for this test; MUTED denies SEND,
    // BOB's own overwrite allows SEND again
    let mut g = guild_create(&[(BOB, "bob", &[MUTED]), (3_003, "carol", &[MUTED])]);
    g["channels"][1]["permission_overwrites"][0] =
        overwrite(GUILD, 0, Permissions::empty(), Permissions::empty());
    let cache = InMemoryCache::new(CacheConfig::default());
    cache.update(&ev("GUILD_CREATE", g));
    let bob = perms(&cache, SECRET, BOB);
    assert!(bob.contains(Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS));
    let carol = perms(&cache, SECRET, 3_003);
    assert!(carol.contains(Permissions::VIEW_CHANNEL));
    assert!(!carol.contains(Permissions::SEND_MESSAGES));
    // without SEND_MESSAGES, EMBED_LINKS (given by @everyone) goes too
    assert!(!carol.contains(Permissions::EMBED_LINKS));
}

#[test]
fn a_timed_out_member_keeps_only_view_and_history() {
    let cache = standard();
    let later =
        acord::model::Timestamp::from_system_time(SystemTime::now() + Duration::from_secs(3600));
    let mut update = fixtures::member(
        &fixtures::user(ALICE, "alice"),
        &[MODS],
        "2024-01-01T00:00:00.000000+00:00",
    );
    update["guild_id"] = json!(GUILD.to_string());
    update["communication_disabled_until"] = json!(later.to_string());
    cache.update(&ev("GUILD_MEMBER_UPDATE", update));
    assert_eq!(
        perms(&cache, GENERAL, ALICE),
        Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY
    );
    assert_eq!(
        cache.guild_permissions(gid(GUILD), uid(ALICE)).unwrap(),
        Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY
    );
    // the owner is never timed out of anything
    assert_eq!(perms(&cache, GENERAL, OWNER), Permissions::all());
}

#[test]
fn missing_pieces_are_typed_errors() {
    let cache = standard();
    assert_eq!(
        cache.permissions_in(cid(9), uid(ALICE)),
        Err(PermissionError::ChannelNotCached(cid(9)))
    );
    assert_eq!(
        cache.permissions_in(cid(GENERAL), uid(9)),
        Err(PermissionError::MemberNotCached {
            guild: gid(GUILD),
            user: uid(9)
        })
    );
    let no_roles = loaded(
        CacheConfig::none()
            .resources(ResourceType::GUILD | ResourceType::CHANNEL | ResourceType::MEMBER),
        &[],
    );
    assert_eq!(
        no_roles.permissions_in(cid(GENERAL), uid(ALICE)),
        Err(PermissionError::MemberNotCached {
            guild: gid(GUILD),
            user: uid(ALICE)
        })
    );
    assert_eq!(
        no_roles.permissions_in(cid(GENERAL), uid(OWNER)),
        Ok(Permissions::all())
    );
}

#[test]
fn previous_of_an_event_not_cached_is_none() {
    let cache = InMemoryCache::default();
    assert!(matches!(
        cache.update(&ev(
            "GUILD_ROLE_DELETE",
            json!({"guild_id": "1", "role_id": "2"})
        )),
        Previous::None
    ));
}

/// Readers on other threads while one writer applies a storm of
/// GUILD_CREATEs and member updates: nothing deadlocks, every read sees a
/// whole guild or none.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_during_a_guild_create_storm_do_not_block() {
    let cache = Arc::new(InMemoryCache::default());
    let members: Vec<(u64, String)> = (0..200).map(|i| (10_000 + i, format!("u{i}"))).collect();
    let storm = {
        let cache = cache.clone();
        tokio::task::spawn_blocking(move || {
            for g in 0..200u64 {
                let refs: Vec<(u64, &str, &[u64])> = members
                    .iter()
                    .map(|(id, n)| (*id, n.as_str(), &[][..]))
                    .collect();
                let mut create = guild_create(&refs);
                create["id"] = json!((GUILD + 1 + g).to_string());
                cache.update(&ev("GUILD_CREATE", create));
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..3 {
        let cache = cache.clone();
        readers.push(tokio::task::spawn_blocking(move || {
            let mut seen = 0;
            for _ in 0..2_000 {
                for id in cache.guild_ids() {
                    let n = cache.member_count(id);
                    assert!(n == 0 || n == 201, "a half-built guild: {n}");
                    let held = cache.guild(id);
                    seen += usize::from(held.is_some());
                    let _ = cache.permissions_in(cid(GENERAL), uid(10_000));
                }
            }
            seen
        }));
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        storm.await.unwrap();
        for r in readers {
            r.await.unwrap();
        }
    })
    .await
    .expect("readers and the writer finished without a deadlock");
    assert_eq!(cache.guild_ids().len(), 200);
    assert_eq!(cache.stats().users, 201);
}

#[test]
fn reactions_on_cached_messages_follow_the_reaction_events() {
    let cache = standard();
    let mut ready_user = fixtures::user(9_999, "bot");
    ready_user["bot"] = json!(true);
    cache.update(&ev(
        "READY",
        json!({"v": 10, "user": ready_user, "guilds": [], "session_id": "s",
               "resume_gateway_url": "wss://r", "application": {"id": "9999", "flags": 0}}),
    ));
    cache.update(&ev("MESSAGE_CREATE", message(20_001, "react to me")));
    let reaction = |user: u64| {
        json!({"user_id": user.to_string(), "channel_id": GENERAL.to_string(), "message_id": "20001",
               "guild_id": GUILD.to_string(), "emoji": {"id": null, "name": "👍"}, "burst": false, "type": 0})
    };
    cache.update(&ev("MESSAGE_REACTION_ADD", reaction(ALICE)));
    let previous = cache.update(&ev("MESSAGE_REACTION_ADD", reaction(9_999)));
    assert_eq!(
        previous.message().unwrap().reactions[0].count,
        1,
        "the message before"
    );
    let id = acord::model::MessageId::new(20_001).unwrap();
    let now = cache.message(cid(GENERAL), id).unwrap();
    assert_eq!((now.reactions[0].count, now.reactions[0].me), (2, true));
    cache.update(&ev("MESSAGE_REACTION_REMOVE", reaction(9_999)));
    let now = cache.message(cid(GENERAL), id).unwrap();
    assert_eq!((now.reactions[0].count, now.reactions[0].me), (1, false));
    cache.update(&ev(
        "MESSAGE_REACTION_REMOVE_EMOJI",
        json!({"channel_id": GENERAL.to_string(), "message_id": "20001", "emoji": {"id": null, "name": "👍"}}),
    ));
    assert!(cache
        .message(cid(GENERAL), id)
        .unwrap()
        .reactions
        .is_empty());
    cache.update(&ev("MESSAGE_REACTION_ADD", reaction(ALICE)));
    let previous = cache.update(&ev(
        "MESSAGE_REACTION_REMOVE_ALL",
        json!({"channel_id": GENERAL.to_string(), "message_id": "20001"}),
    ));
    assert_eq!(previous.message().unwrap().reactions.len(), 1);
    assert!(cache
        .message(cid(GENERAL), id)
        .unwrap()
        .reactions
        .is_empty());
}
