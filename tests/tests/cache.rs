//! The Client's cache end to end against acord-testkit: after READY and
//! the GUILD_CREATEs it matches the fake's world; REST changes come back as
//! events that update it before handlers run, with the previous state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use acord::cache::{CacheConfig, ResourceType};
use acord::command::RequestGuildMembers;
use acord::event::kind::{GuildCreate, GuildMemberUpdate, MessageCreate, MessageDelete};
use acord::event::EventTypeFlags;
use acord::http::{CreateChannel, EditMember};
use acord::model::{ChannelId, ChannelType, GuildId, MessageId, Permissions, UserId};
use acord::{Client, ClientError, Intents};
use acord_testkit::FakeDiscord;
use acord_tests::STEP;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

async fn fake() -> FakeDiscord {
    FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT | Intents::GUILD_MEMBERS)
        .guilds(3)
        .start()
        .await
        .unwrap()
}

fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT | Intents::GUILD_MEMBERS
}

fn spawn(client: Client) -> (Arc<Client>, JoinHandle<Result<(), ClientError>>) {
    let client = Arc::new(client);
    let runner = client.clone();
    (client, tokio::spawn(async move { runner.start().await }))
}

#[tokio::test]
async fn the_cache_follows_the_fakes_world_and_hands_handlers_the_previous_state() {
    let fake = fake().await;
    let (created, mut creates) = mpsc::channel::<u64>(16);
    let (changed, mut changes) = mpsc::channel::<(Option<String>, Option<String>)>(16);
    let (deleted, mut deletes) = mpsc::channel::<Option<String>>(16);
    let (said, mut says) = mpsc::channel::<usize>(16);
    let bot = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .on::<GuildCreate, _, _>(move |ctx, g| {
            let created = created.clone();
            async move {
                // the cache holds the guild before the handler runs
                assert!(ctx.cache().guild(g.id()).is_some());
                // GUILD_CREATE lists the bot alone (no GUILD_PRESENCES):
                // ask for the rest, which GUILD_MEMBERS_CHUNK brings
                let all = RequestGuildMembers::all(g.id()).build().unwrap();
                ctx.shard().request_guild_members(&all).await.unwrap();
                created.send(g.id().get()).await.unwrap();
            }
        })
        .on::<GuildMemberUpdate, _, _>(move |ctx, u| {
            let changed = changed.clone();
            async move {
                let before = ctx
                    .previous()
                    .member()
                    .and_then(|m| m.nick.as_deref().map(str::to_owned));
                let now = ctx
                    .cache()
                    .member(u.guild_id, u.user.id)
                    .and_then(|m| m.nick.as_deref().map(str::to_owned));
                changed.send((before, now)).await.unwrap();
            }
        })
        .on::<MessageCreate, _, _>(move |ctx, m| {
            let said = said.clone();
            async move {
                said.send(ctx.cache().messages(m.channel_id).len())
                    .await
                    .unwrap();
            }
        })
        .on::<MessageDelete, _, _>(move |ctx, _| {
            let deleted = deleted.clone();
            async move {
                let content = ctx.previous().message().map(|m| m.content.clone());
                deleted.send(content).await.unwrap();
            }
        })
        .build()
        .await
        .unwrap();
    let (bot, run) = spawn(bot);
    let mut seen = BTreeSet::new();
    while seen.len() < 3 {
        seen.insert(timeout(STEP, creates.recv()).await.unwrap().unwrap());
    }

    // READY + GUILD_CREATE: the cache matches the fake's world
    let cache = bot.cache();
    let mut ids: Vec<u64> = cache.guild_ids().iter().map(|g| g.get()).collect();
    ids.sort_unstable();
    let mut world = fake.guild_ids();
    world.sort_unstable();
    assert_eq!(ids, world);
    for g in &world {
        let gid = GuildId::new(*g).unwrap();
        // the fake lists its text channels; the cache holds every kind
        let mut channels: Vec<u64> = cache
            .guild_channels(gid)
            .iter()
            .filter(|c| c.kind == ChannelType::GuildText)
            .map(|c| c.id.get())
            .collect();
        channels.sort_unstable();
        let mut expected = fake.channel_ids(*g);
        expected.sort_unstable();
        assert_eq!(channels, expected, "channels of guild {g}");
        let mut expected = fake.member_ids(*g);
        expected.sort_unstable();
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let mut members: Vec<u64> = cache.member_ids(gid).iter().map(|u| u.get()).collect();
            members.sort_unstable();
            if members == expected {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "members of guild {g}: {members:?} != {expected:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    // a user in several guilds is stored once
    let distinct: BTreeSet<u64> = world.iter().flat_map(|g| fake.member_ids(*g)).collect();
    assert_eq!(cache.stats().users, distinct.len());
    let me = cache.current_user().expect("READY's user");
    assert_eq!(me.id.get(), fake.bot_user_id());

    let guild = GuildId::new(world[0]).unwrap();
    let http = bot.http();
    // a channel created over REST comes back as CHANNEL_CREATE
    let channel = http
        .create_guild_channel(guild, &CreateChannel::new("made-by-the-bot"), None)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + STEP;
    while cache.channel(channel.id).is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "CHANNEL_CREATE reached the cache"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // the bot's permissions there (it owns no guild; @everyone's and its roles')
    let perms = cache.permissions_in(channel.id, me.id).unwrap();
    assert!(perms.contains(Permissions::VIEW_CHANNEL), "{perms:?}");

    // a nickname change: the handler sees the member before and after
    let someone = fake
        .member_ids(guild.get())
        .into_iter()
        .find(|u| *u != fake.bot_user_id())
        .map(|u| UserId::new(u).unwrap())
        .expect("a member besides the bot");
    http.edit_member(
        guild,
        someone,
        &EditMember::new().nick(Some("renamed")),
        None,
    )
    .await
    .unwrap();
    let (before, now) = timeout(STEP, changes.recv()).await.unwrap().unwrap();
    assert_eq!(now.as_deref(), Some("renamed"));
    assert_ne!(before.as_deref(), Some("renamed"));

    // a user speaks, the bot deletes it: the handler gets the deleted message
    let text = ChannelId::new(fake.channel_ids(guild.get())[0]).unwrap();
    let sent = fake
        .send_user_message(text.get(), Some(someone.get()), "soon gone")
        .unwrap();
    assert!(timeout(STEP, says.recv()).await.unwrap().unwrap() >= 1);
    let id = MessageId::new(sent["id"].as_str().unwrap().parse().unwrap()).unwrap();
    assert!(cache.message(text, id).is_some());
    http.delete_message(text, id, None).await.unwrap();
    assert_eq!(
        timeout(STEP, deletes.recv())
            .await
            .unwrap()
            .unwrap()
            .as_deref(),
        Some("soon gone")
    );
    assert!(cache.message(text, id).is_none());

    bot.shutdown_handle().shutdown();
    timeout(STEP, run).await.unwrap().unwrap().unwrap();
    fake.shutdown().await;
}

#[tokio::test]
async fn a_cacheless_bot_reads_no_event_for_a_cache() {
    let fake = fake().await;
    let bot = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .cache(CacheConfig::none())
        .build()
        .await
        .unwrap();
    assert_eq!(bot.wanted_events(), EventTypeFlags::READY);
    let members_only = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .cache(CacheConfig::none().resources(ResourceType::MEMBER))
        .build()
        .await
        .unwrap();
    let wanted = members_only.wanted_events();
    assert!(wanted.contains(EventTypeFlags::GUILD_MEMBER_ADD | EventTypeFlags::GUILD_CREATE));
    assert!(!wanted.intersects(EventTypeFlags::MESSAGE_CREATE | EventTypeFlags::CHANNEL_CREATE));
    fake.shutdown().await;
}
