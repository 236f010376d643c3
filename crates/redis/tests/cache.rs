//! `RedisCache` against a real redis-server (started per test on a free
//! loopback port; see `support`) and acord-testkit's fake Discord: a
//! Client writes the cache, a second `RedisCache` built from the URL alone
//! reads it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord::cache::{Cache, CacheConfig, Previous, ResourceType};
use acord::command::{CreateMessage, EditMessage};
use acord::event::kind;
use acord::event::Event;
use acord::http::EditMember;
use acord::model::{ChannelId, GuildId, MessageId, RoleId, UserId};
use acord::{Client, Intents};
use acord_redis::{RedisCache, RedisError};
use acord_testkit::{fixtures, FakeDiscord};
use serde_json::{json, Value};
use tokio::sync::mpsc;

mod support;
use support::RedisServer;

fn gid(n: u64) -> GuildId {
    GuildId::new(n).unwrap()
}
fn uid(n: u64) -> UserId {
    UserId::new(n).unwrap()
}
fn cid(n: u64) -> ChannelId {
    ChannelId::new(n).unwrap()
}
fn ev(name: &str, d: Value) -> Event {
    Event::from_dispatch(name, d.to_string().as_bytes()).unwrap()
}

/// What a handler saw: the event name and `ctx.previous()`.
type Seen = (&'static str, Previous);

async fn next_seen(rx: &mut mpsc::Receiver<Seen>, name: &str) -> Previous {
    loop {
        let (got, previous) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name} within 10 s"))
            .expect("handlers gone");
        if got == name {
            return previous;
        }
    }
}

#[tokio::test]
async fn unreachable_redis_at_build_is_a_typed_error_naming_the_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let Err(err) = RedisCache::builder().connect(&url).await else {
        panic!("connected to a closed port")
    };
    assert!(matches!(err, RedisError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_fills_redis_and_a_process_without_gateway_reads_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakeDiscord::builder()
        .privileged_intents(
            Intents::GUILD_MEMBERS | Intents::GUILD_PRESENCES | Intents::MESSAGE_CONTENT,
        )
        .guilds(2)
        .members_per_guild(30)
        .start()
        .await
        .unwrap();
    let writer = RedisCache::builder()
        .prefix("bot")
        .build(redis.conn().await);
    let (seen, mut rx) = mpsc::channel::<Seen>(64);
    macro_rules! record {
        ($name:literal) => {{
            let seen = seen.clone();
            move |ctx: acord::Context, _ev| {
                let seen = seen.clone();
                async move {
                    let _ = seen.send(($name, ctx.previous().clone())).await;
                }
            }
        }};
    }
    let intents = Intents::GUILDS
        | Intents::GUILD_MEMBERS
        | Intents::GUILD_PRESENCES
        | Intents::GUILD_MESSAGES
        | Intents::MESSAGE_CONTENT;
    let client = Client::builder(fake.token(), intents)
        .api_base(fake.api_base())
        .cache_store(Arc::new(writer.clone()))
        .on::<kind::GuildCreate, _, _>(record!("GUILD_CREATE"))
        .on::<kind::GuildMemberUpdate, _, _>(record!("GUILD_MEMBER_UPDATE"))
        .on::<kind::ChannelDelete, _, _>(record!("CHANNEL_DELETE"))
        .on::<kind::MessageCreate, _, _>(record!("MESSAGE_CREATE"))
        .on::<kind::MessageUpdate, _, _>(record!("MESSAGE_UPDATE"))
        .on::<kind::MessageDelete, _, _>(record!("MESSAGE_DELETE"))
        .on::<kind::GuildDelete, _, _>(record!("GUILD_DELETE"))
        .build()
        .await
        .unwrap();
    let stop = client.shutdown_handle();
    let drive = async {
        next_seen(&mut rx, "GUILD_CREATE").await;
        next_seen(&mut rx, "GUILD_CREATE").await;

        // a process with no gateway: the URL and the prefix only
        let reader = RedisCache::builder()
            .prefix("bot")
            .connect(&redis.url)
            .await
            .unwrap();
        let mut guilds: Vec<u64> = reader
            .guild_ids()
            .await
            .unwrap()
            .into_iter()
            .map(GuildId::get)
            .collect();
        guilds.sort_unstable();
        let mut expected = fake.guild_ids();
        expected.sort_unstable();
        assert_eq!(guilds, expected);
        for &g in &guilds {
            let guild = reader.guild(gid(g)).await.unwrap().expect("guild cached");
            assert_eq!(guild.id.get(), g);
            assert!(guild.name.starts_with("Fake Guild"), "{}", guild.name);
            assert!(
                guild.members.is_empty() && guild.roles.is_empty(),
                "lists kept apart"
            );
            let members: BTreeSet<u64> = reader
                .member_ids(gid(g))
                .await
                .unwrap()
                .into_iter()
                .map(UserId::get)
                .collect();
            let expected: BTreeSet<u64> = fake.member_ids(g).into_iter().collect();
            assert_eq!(members, expected, "guild {g}");
            assert_eq!(
                reader.member_count(gid(g)).await.unwrap(),
                expected.len() as u64
            );
            for &u in &expected {
                let m = reader
                    .member(gid(g), uid(u))
                    .await
                    .unwrap()
                    .expect("member");
                assert_eq!(m.user_id.get(), u);
                assert!(m.joined_at.is_some());
                let user = reader.user(uid(u)).await.unwrap().expect("user");
                assert!(!user.name.is_empty());
            }
            let channels: BTreeSet<u64> = reader
                .guild_channels(gid(g))
                .await
                .unwrap()
                .into_iter()
                .map(|c| {
                    assert_eq!(c.guild_id, Some(gid(g)));
                    c.id.get()
                })
                .collect();
            for c in fake.channel_ids(g) {
                let channel = reader.channel(cid(c)).await.unwrap();
                // archived threads are not in GUILD_CREATE
                if let Some(channel) = channel {
                    assert!(channels.contains(&channel.id.get()));
                }
            }
            assert!(!channels.is_empty());
            let roles = reader.roles(gid(g)).await.unwrap();
            assert!(!roles.is_empty());
            let everyone = reader.role(gid(g), RoleId::new(g).unwrap()).await.unwrap();
            assert_eq!(everyone.map(|r| r.name), Some("@everyone".to_owned()));
        }
        let me = reader.current_user().await.unwrap().expect("bot user");
        assert_eq!(me.id.get(), fake.bot_user_id());

        // encoding: MessagePack, and how it compares with JSON
        measure_encoding(&redis, &reader, &guilds).await;

        let http = client.http();
        let guild = gid(guilds[0]);
        let member = fake
            .member_ids(guild.get())
            .into_iter()
            .find(|id| *id != fake.bot_user_id())
            .map(uid)
            .unwrap();

        // member update: Redis holds the new nick, the handler got the old member
        let before = reader.member(guild, member).await.unwrap().unwrap();
        http.edit_member(
            guild,
            member,
            &EditMember::new().nick(Some("from redis")),
            None,
        )
        .await
        .unwrap();
        let previous = next_seen(&mut rx, "GUILD_MEMBER_UPDATE").await;
        assert_eq!(previous.member(), Some(&before));
        let after = reader.member(guild, member).await.unwrap().unwrap();
        assert_eq!(after.nick.as_deref(), Some("from redis"));
        assert_eq!(after.roles, before.roles);

        // messages: create, update, delete
        let channel = reader
            .guild_channels(guild)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.kind == acord::model::ChannelType::GuildText)
            .map(|c| c.id)
            .unwrap();
        let sent = http
            .create_message(
                channel,
                &CreateMessage::builder().content("hello").build().unwrap(),
            )
            .await
            .unwrap();
        assert!(next_seen(&mut rx, "MESSAGE_CREATE").await.is_none());
        let cached = reader
            .message(channel, sent.id)
            .await
            .unwrap()
            .expect("message");
        assert_eq!(cached.content, "hello");
        assert_eq!(
            reader.messages(channel).await.unwrap().last().map(|m| m.id),
            Some(sent.id)
        );
        http.edit_message(
            channel,
            sent.id,
            &EditMessage::builder()
                .content(Some("edited"))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        let previous = next_seen(&mut rx, "MESSAGE_UPDATE").await;
        assert_eq!(
            previous.message().map(|m| m.content.as_str()),
            Some("hello")
        );
        let cached = reader.message(channel, sent.id).await.unwrap().unwrap();
        assert_eq!(cached.content, "edited");
        http.delete_message(channel, sent.id, None).await.unwrap();
        let previous = next_seen(&mut rx, "MESSAGE_DELETE").await;
        assert_eq!(
            previous.message().map(|m| m.content.as_str()),
            Some("edited")
        );
        assert!(reader.message(channel, sent.id).await.unwrap().is_none());

        // channel delete: gone from Redis, with its messages; the handler got it
        let kept = http
            .create_message(
                channel,
                &CreateMessage::builder().content("kept?").build().unwrap(),
            )
            .await
            .unwrap();
        next_seen(&mut rx, "MESSAGE_CREATE").await;
        http.delete_channel(channel, None).await.unwrap();
        let previous = next_seen(&mut rx, "CHANNEL_DELETE").await;
        assert_eq!(previous.channel().map(|c| c.id), Some(channel));
        assert!(reader.channel(channel).await.unwrap().is_none());
        assert!(reader.message(channel, kept.id).await.unwrap().is_none());
        assert!(!reader
            .guild_channels(guild)
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == channel));

        // guild delete (the bot leaves): everything of the guild goes, the
        // users only in it too, the other guild's stay
        let gone = gid(guilds[1]);
        let name = reader.guild(gone).await.unwrap().unwrap().name;
        let only_there: Vec<u64> = {
            let kept: BTreeSet<u64> = fake.member_ids(guild.get()).into_iter().collect();
            fake.member_ids(gone.get())
                .into_iter()
                .filter(|u| !kept.contains(u))
                .collect()
        };
        http.leave_guild(gone).await.unwrap();
        let previous = next_seen(&mut rx, "GUILD_DELETE").await;
        assert_eq!(previous.guild().map(|g| g.name.clone()), Some(name));
        assert!(reader.guild(gone).await.unwrap().is_none());
        assert!(reader.member_ids(gone).await.unwrap().is_empty());
        assert!(reader.roles(gone).await.unwrap().is_empty());
        assert!(reader.guild_channels(gone).await.unwrap().is_empty());
        assert_eq!(reader.guild_ids().await.unwrap(), vec![guild]);
        assert!(!only_there.is_empty());
        for u in only_there {
            assert!(
                reader.user(uid(u)).await.unwrap().is_none(),
                "user {u} left behind"
            );
        }
        assert!(reader
            .user(uid(fake.bot_user_id()))
            .await
            .unwrap()
            .is_some());
        assert_eq!(writer.failed_updates(), 0);
        stop.shutdown();
    };
    let (run, ()) = tokio::join!(client.start(), drive);
    run.unwrap();
}

fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        v => v,
    }
}

/// Reads the stored bytes of every member, user and guild and compares
/// them with the JSON of the same objects.
async fn measure_encoding(redis: &RedisServer, reader: &RedisCache, guilds: &[u64]) {
    let mut conn = redis.conn().await;
    let (mut mp_members, mut json_members, mut json_members_no_nulls, mut n_members) = (0, 0, 0, 0);
    let mut redis_memory = 0;
    let (mut mp_users, mut json_users) = (0, 0);
    let (mut mp_guilds, mut json_guilds) = (0, 0);
    for &g in guilds {
        let raw: Vec<u8> = redis::cmd("HGET")
            .arg("bot:cache:guild")
            .arg(g)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            serde_json::from_slice::<Value>(&raw).is_err(),
            "a guild stored as JSON"
        );
        let guild = reader.guild(gid(g)).await.unwrap().unwrap();
        mp_guilds += raw.len();
        json_guilds += serde_json::to_vec(&guild).unwrap().len();
        let usage: i64 = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(format!("bot:cache:member:{g}"))
            .arg("SAMPLES")
            .arg(0)
            .query_async(&mut conn)
            .await
            .unwrap();
        redis_memory += usage;
        for u in reader.member_ids(gid(g)).await.unwrap() {
            let raw: Vec<u8> = redis::cmd("HGET")
                .arg(format!("bot:cache:member:{g}"))
                .arg(u.get())
                .query_async(&mut conn)
                .await
                .unwrap();
            assert!(
                serde_json::from_slice::<Value>(&raw).is_err(),
                "a member stored as JSON"
            );
            assert_ne!(raw.first(), Some(&b'{'));
            let m = reader.member(gid(g), u).await.unwrap().unwrap();
            // JSON of the same kept fields, Discord's names and forms
            let kept = json!({
                "user_id": m.user_id.to_string(),
                "nick": m.nick,
                "avatar": m.avatar,
                "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                "joined_at": m.joined_at.map(|t| t.to_string()),
                "premium_since": m.premium_since.map(|t| t.to_string()),
                "communication_disabled_until": m.communication_disabled_until.map(|t| t.to_string()),
                "flags": m.flags.bits(),
                "deaf": m.deaf,
                "mute": m.mute,
                "pending": m.pending,
            });
            mp_members += raw.len();
            json_members += serde_json::to_vec(&kept).unwrap().len();
            json_members_no_nulls += serde_json::to_vec(&without_nulls(kept)).unwrap().len();
            n_members += 1;
            let raw_user: Vec<u8> = redis::cmd("HGET")
                .arg("bot:cache:user")
                .arg(u.get())
                .query_async(&mut conn)
                .await
                .unwrap();
            let user = reader.user(u).await.unwrap().unwrap();
            mp_users += raw_user.len();
            json_users += serde_json::to_vec(&json!({
                "id": user.id.to_string(),
                "username": user.name,
                "discriminator": user.discriminator.to_string(),
                "global_name": user.global_name,
                "avatar": user.avatar,
                "bot": user.bot,
                "system": user.system,
                "public_flags": user.public_flags.bits(),
            }))
            .unwrap()
            .len();
        }
    }
    let per = |total: usize, n: usize| total as f64 / n as f64;
    eprintln!(
        "encoding: member {:.1} B MessagePack vs {:.1} B JSON of the same fields ({:.2}x), {:.1} B without nulls; \
         member hashes {:.1} B per member in Redis (MEMORY USAGE); \
         user {:.1} B vs {:.1} B ({:.2}x); guild object {:.0} B vs {:.0} B JSON ({:.2}x); \
         {n_members} members, {} guilds",
        per(mp_members, n_members),
        per(json_members, n_members),
        mp_members as f64 / json_members as f64,
        per(json_members_no_nulls, n_members),
        redis_memory as f64 / n_members as f64,
        per(mp_users, n_members),
        per(json_users, n_members),
        mp_users as f64 / json_users as f64,
        per(mp_guilds, guilds.len()),
        per(json_guilds, guilds.len()),
        mp_guilds as f64 / json_guilds as f64,
        guilds.len(),
    );
    assert!(mp_members < json_members, "{mp_members} >= {json_members}");
    assert!(mp_users < json_users);
    assert!(mp_guilds < json_guilds);
}

const G1: u64 = 1_000;
const G2: u64 = 1_001;
const OWNER: u64 = 2_000;
const ALICE: u64 = 3_001;
const BOB: u64 = 3_002;
const GENERAL: u64 = 5_001;
const GENERAL2: u64 = 5_002;
const MODS: u64 = 4_001;

fn guild_create(id: u64, channel: u64, members: &[(u64, &str)]) -> Event {
    let mut g = fixtures::guild(id, &format!("guild {id}"), OWNER);
    g["roles"] = json!([
        fixtures::everyone_role(id),
        fixtures::role(MODS + id, "mods", 1, 0)
    ]);
    g["channels"] = json!([fixtures::text_channel(channel, id, "general", 0)]);
    g["members"] = members
        .iter()
        .map(|(u, name)| {
            fixtures::member(
                &fixtures::user(*u, name),
                &[],
                "2024-01-01T00:00:00.000000+00:00",
            )
        })
        .collect();
    g["presences"] = members
        .iter()
        .map(|(u, _)| fixtures::presence(*u, id, "online", vec![]))
        .collect();
    for key in [
        "threads",
        "voice_states",
        "stage_instances",
        "guild_scheduled_events",
    ] {
        g[key] = json!([]);
    }
    g["member_count"] = json!(members.len());
    g["joined_at"] = json!("2024-01-01T00:00:00.000000+00:00");
    ev("GUILD_CREATE", g)
}

fn message(id: u64, channel: u64, content: &str) -> Event {
    ev(
        "MESSAGE_CREATE",
        fixtures::message(
            id,
            channel,
            Some(G1),
            &fixtures::user(ALICE, "alice"),
            content,
        ),
    )
}

#[tokio::test]
async fn events_applied_directly_return_what_they_replaced() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cache = RedisCache::builder()
        .prefix("direct")
        .config(CacheConfig::new().message_capacity(3))
        .build(redis.conn().await);
    let reader = RedisCache::builder()
        .prefix("direct")
        .connect(&redis.url)
        .await
        .unwrap();
    let apply = |e: Event| {
        let cache = cache.clone();
        async move { cache.apply(&e).await.unwrap() }
    };

    apply(ev("READY", json!({
        "v": 10, "user": fixtures::bot_user(OWNER, "bot"), "session_id": "s",
        "resume_gateway_url": "wss://x", "application": {"id": "1", "flags": 0},
        "guilds": [{"id": G1.to_string(), "unavailable": true}, {"id": G2.to_string(), "unavailable": true}],
    }))).await;
    let mut unavailable = reader.unavailable_guilds().await.unwrap();
    unavailable.sort();
    assert_eq!(unavailable, vec![gid(G1), gid(G2)]);

    // two guilds sharing BOB: he is stored once, and counted twice
    assert!(
        apply(guild_create(G1, GENERAL, &[(ALICE, "alice"), (BOB, "bob")]))
            .await
            .is_none()
    );
    assert!(apply(guild_create(G2, GENERAL2, &[(BOB, "bob")]))
        .await
        .is_none());
    assert!(reader.unavailable_guilds().await.unwrap().is_empty());
    assert_eq!(reader.member_count(gid(G1)).await.unwrap(), 2);
    assert!(reader
        .presence(gid(G1), uid(ALICE))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        reader.user(uid(BOB)).await.unwrap().unwrap().name.as_ref(),
        "bob"
    );

    // role update: the role before
    let mut role = fixtures::role(MODS + G1, "moderators", 1, 0);
    let previous = apply(ev(
        "GUILD_ROLE_UPDATE",
        json!({"guild_id": G1.to_string(), "role": role.clone()}),
    ))
    .await;
    assert_eq!(previous.role().map(|r| r.name.as_str()), Some("mods"));
    role["name"] = json!("x");
    assert_eq!(
        reader
            .role(gid(G1), RoleId::new(MODS + G1).unwrap())
            .await
            .unwrap()
            .map(|r| r.name),
        Some("moderators".to_owned())
    );
    // a role of a guild not held is not written
    assert!(apply(ev(
        "GUILD_ROLE_CREATE",
        json!({"guild_id": "999", "role": role})
    ))
    .await
    .is_none());
    assert!(reader.roles(gid(999)).await.unwrap().is_empty());

    // member remove: the member before; BOB stays a user (still in G2)
    let previous = apply(ev(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": G1.to_string(), "user": fixtures::user(BOB, "bob")}),
    ))
    .await;
    assert_eq!(previous.member().map(|m| m.user_id), Some(uid(BOB)));
    assert!(reader.member(gid(G1), uid(BOB)).await.unwrap().is_none());
    assert!(reader.user(uid(BOB)).await.unwrap().is_some());
    // ALICE's user goes with her last member
    apply(ev(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": G1.to_string(), "user": fixtures::user(ALICE, "alice")}),
    ))
    .await;
    assert!(reader.user(uid(ALICE)).await.unwrap().is_none());
    assert!(reader
        .presence(gid(G1), uid(ALICE))
        .await
        .unwrap()
        .is_none());
    // a member add brings the user back, counted once
    apply(ev("GUILD_MEMBER_ADD", {
        let mut m = fixtures::member(
            &fixtures::user(ALICE, "alice2"),
            &[],
            "2024-01-01T00:00:00.000000+00:00",
        );
        m["guild_id"] = json!(G1.to_string());
        m
    }))
    .await;
    assert_eq!(
        reader
            .user(uid(ALICE))
            .await
            .unwrap()
            .unwrap()
            .name
            .as_ref(),
        "alice2"
    );

    // messages: bounded per channel, oldest first
    for id in 1..=5 {
        assert!(apply(message(id, GENERAL, &format!("m{id}")))
            .await
            .is_none());
    }
    let kept: Vec<u64> = reader
        .messages(cid(GENERAL))
        .await
        .unwrap()
        .iter()
        .map(|m| m.id.get())
        .collect();
    assert_eq!(kept, vec![3, 4, 5]);
    assert!(reader
        .message(cid(GENERAL), MessageId::new(1).unwrap())
        .await
        .unwrap()
        .is_none());
    // a reaction changes the cached message; the message before comes back
    let previous = apply(ev("MESSAGE_REACTION_ADD", json!({
        "user_id": OWNER.to_string(), "channel_id": GENERAL.to_string(), "message_id": "4",
        "guild_id": G1.to_string(), "emoji": {"id": null, "name": "👍"}, "burst": false, "type": 0,
    }))).await;
    assert!(previous.message().is_some_and(|m| m.reactions.is_empty()));
    let m4 = reader
        .message(cid(GENERAL), MessageId::new(4).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m4.reactions.len(), 1);
    assert!(m4.reactions[0].me, "the bot's own reaction (READY user)");
    // bulk delete: the cached ones among the IDs
    let previous = apply(ev(
        "MESSAGE_DELETE_BULK",
        json!({
            "ids": ["1", "3", "4"], "channel_id": GENERAL.to_string(), "guild_id": G1.to_string(),
        }),
    ))
    .await;
    let mut gone: Vec<u64> = previous.messages().iter().map(|m| m.id.get()).collect();
    gone.sort_unstable();
    assert_eq!(gone, vec![3, 4]);
    let kept: Vec<u64> = reader
        .messages(cid(GENERAL))
        .await
        .unwrap()
        .iter()
        .map(|m| m.id.get())
        .collect();
    assert_eq!(kept, vec![5]);

    // GUILD_UPDATE keeps the GUILD_CREATE-only fields and returns the guild before
    let mut update = fixtures::guild(G1, "renamed", OWNER);
    update["roles"] = json!([]);
    let previous = apply(ev("GUILD_UPDATE", update)).await;
    assert_eq!(
        previous.guild().map(|g| g.name.as_str()),
        Some("guild 1000")
    );
    let g = reader.guild(gid(G1)).await.unwrap().unwrap();
    assert_eq!(g.name, "renamed");
    assert_eq!(g.member_count, Some(2));
    assert!(g.joined_at.is_some());

    // GUILD_CREATE again starts the guild over: BOB's member is not back
    apply(guild_create(G2, GENERAL2, &[(ALICE, "alice")])).await;
    assert!(reader.member(gid(G2), uid(BOB)).await.unwrap().is_none());
    assert!(
        reader.user(uid(BOB)).await.unwrap().is_none(),
        "BOB had no member left"
    );

    // an outage: the guild goes, marked unavailable, and comes back as previous
    let previous = apply(ev(
        "GUILD_DELETE",
        json!({"id": G1.to_string(), "unavailable": true}),
    ))
    .await;
    assert_eq!(previous.guild().map(|g| g.name.as_str()), Some("renamed"));
    assert_eq!(reader.unavailable_guilds().await.unwrap(), vec![gid(G1)]);
    assert!(reader.is_unavailable(gid(G1)).await.unwrap());
    assert!(!reader.is_unavailable(gid(G2)).await.unwrap());
    assert!(reader.messages(cid(GENERAL)).await.unwrap().is_empty());
    assert!(reader.channel(cid(GENERAL)).await.unwrap().is_none());
    assert_eq!(reader.guild_ids().await.unwrap(), vec![gid(G2)]);
}

#[tokio::test]
async fn a_config_without_a_resource_writes_nothing_for_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cache = RedisCache::builder()
        .prefix("partial")
        .config(CacheConfig::none().resources(ResourceType::GUILD | ResourceType::CHANNEL))
        .build(redis.conn().await);
    assert!(!cache
        .event_types()
        .contains(acord::event::EventTypeFlags::MESSAGE_CREATE));
    cache
        .apply(&guild_create(G1, GENERAL, &[(ALICE, "alice")]))
        .await
        .unwrap();
    assert!(cache.guild(gid(G1)).await.unwrap().is_some());
    assert!(cache.channel(cid(GENERAL)).await.unwrap().is_some());
    assert!(cache.member_ids(gid(G1)).await.unwrap().is_empty());
    assert!(cache.roles(gid(G1)).await.unwrap().is_empty());
    assert!(cache.user(uid(ALICE)).await.unwrap().is_none());
    cache.apply(&message(1, GENERAL, "hi")).await.unwrap();
    assert!(cache.messages(cid(GENERAL)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_value_not_written_by_acord_is_a_typed_decode_error() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mut conn = redis.conn().await;
    redis::cmd("HSET")
        .arg("acord:cache:guild")
        .arg(G1)
        .arg(r#"{"id":"1000","name":"json"}"#)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let reader = RedisCache::builder().connect(&redis.url).await.unwrap();
    let err = reader.guild(gid(G1)).await.unwrap_err();
    assert!(
        matches!(err, RedisError::Decode { what: "guild", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("acord:cache:guild 1000"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_costs_updates_not_the_client() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port;
    let url = redis.url.clone();
    let cache = RedisCache::builder()
        .prefix("down")
        .timeout(Duration::from_millis(500))
        .build(redis.conn().await);
    assert!(cache
        .update(&guild_create(G1, GENERAL, &[(ALICE, "alice")]))
        .finish()
        .await
        .is_none());
    drop(redis);

    // each update gives up within the timeout, with Previous::None, and is counted
    let started = Instant::now();
    for id in 1..=3 {
        let previous = cache
            .update(&ev(
                "GUILD_ROLE_DELETE",
                json!({"guild_id": G1.to_string(), "role_id": (MODS + G1 + id).to_string()}),
            ))
            .finish()
            .await;
        assert!(previous.is_none());
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(cache.failed_updates(), 3);
    // readers get a typed error
    let err = cache.guild(gid(G1)).await.unwrap_err();
    assert!(matches!(err, RedisError::Command { .. }), "{err:?}");

    // Redis back (empty: no persistence): updates go through again
    let Some(_again) = RedisServer::start_on(port) else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        cache
            .update(&guild_create(G1, GENERAL, &[(ALICE, "alice")]))
            .finish()
            .await;
        if cache.guild(gid(G1)).await.is_ok_and(|g| g.is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "no reconnect to {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let role = cache
        .role(gid(G1), RoleId::new(MODS + G1).unwrap())
        .await
        .unwrap();
    assert_eq!(role.map(|r| r.name), Some("mods".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_create_with_thousands_of_members_is_pipelined() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    const MEMBERS: u64 = 5_000;
    let cache = RedisCache::builder()
        .prefix("big")
        .build(redis.conn().await);
    let mut world = fixtures::Generator::new(7);
    let fixture = world.guild("big", MEMBERS as usize);
    let mut d = fixture.guild_create();
    d["presences"] = json!([]);
    let event = ev("GUILD_CREATE", d);
    let Event::GuildCreate(create) = &event else {
        unreachable!()
    };
    let acord::event::GuildCreate::Available(guild) = &**create else {
        unreachable!()
    };
    let guild_id = guild.id;
    let json_members: usize = guild
        .members
        .iter()
        .map(|m| serde_json::to_vec(m).unwrap().len())
        .sum();
    let mut conn = redis.conn().await;
    let commands_before = commands_processed(&mut conn).await;
    let started = Instant::now();
    assert!(cache.apply(&event).await.unwrap().is_none());
    let elapsed = started.elapsed();
    let commands_after = commands_processed(&mut conn).await;
    let (evals, execs) = (
        commands_after.0 - commands_before.0,
        commands_after.1 - commands_before.1,
    );
    assert_eq!(cache.member_count(guild_id).await.unwrap(), MEMBERS);
    let stored: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("big:cache:member:{}", guild_id.get()))
        .arg("SAMPLES")
        .arg(0)
        .query_async(&mut conn)
        .await
        .unwrap();
    let field_bytes: usize = {
        let values: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg(format!("big:cache:member:{}", guild_id.get()))
            .query_async(&mut conn)
            .await
            .unwrap();
        values.iter().map(Vec::len).sum()
    };
    let user_bytes: usize = {
        let values: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg("big:cache:user")
            .query_async(&mut conn)
            .await
            .unwrap();
        values.iter().map(Vec::len).sum()
    };
    eprintln!(
        "GUILD_CREATE with {MEMBERS} members: {elapsed:?}, one MULTI/EXEC pipeline \
         ({execs} EXEC, {evals} EVAL: members by 500 per script); member values {:.1} B + user values {:.1} B each \
         (JSON of Discord's member object with its user: {:.1} B); the member hash takes {:.1} B per member in Redis",
        field_bytes as f64 / MEMBERS as f64,
        user_bytes as f64 / MEMBERS as f64,
        json_members as f64 / MEMBERS as f64,
        stored as f64 / MEMBERS as f64,
    );
    // one transaction, a script call per 500 members (and one to forget the guild)
    assert_eq!(execs, 1);
    assert_eq!(evals, MEMBERS / 500 + 1);
    // and the same guild again starts over without growing the user counts
    cache.apply(&event).await.unwrap();
    let refs: Vec<i64> = redis::cmd("HVALS")
        .arg("big:cache:userrefs")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(refs.len() as u64, MEMBERS);
    assert!(refs.iter().all(|n| *n == 1));
}

/// How often the client sent EVAL and EXEC (commands run inside scripts
/// are counted under their own names).
async fn commands_processed(conn: &mut acord_redis::ConnectionManager) -> (u64, u64) {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    let calls = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:calls=")))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (calls("eval"), calls("exec"))
}
