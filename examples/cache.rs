//! The cache: after the guilds arrive (and their members, asked for with
//! REQUEST_GUILD_MEMBERS), count the members of each guild and print one
//! member's permissions in a channel — no REST call involved. A handler
//! also shows the previous state: the member before a nickname change.
//!
//! Offline against acord-testkit: `cargo run --example cache`.

use std::time::Duration;

use acord::command::RequestGuildMembers;
use acord::event::kind::{GuildCreate, GuildMemberUpdate};
use acord::http::EditMember;
use acord::model::{ChannelId, GuildId, UserId};
use acord::{Client, Intents};
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::GUILD_MEMBERS)
        .guilds(2)
        .start()
        .await?;
    let (created, mut creates) = mpsc::channel::<GuildId>(8);
    let (renamed, mut renames) = mpsc::channel::<String>(8);
    let client = Client::builder(fake.token(), Intents::GUILDS | Intents::GUILD_MEMBERS)
        .api_base(fake.api_base())
        .on::<GuildCreate, _, _>(move |ctx, guild| {
            let created = created.clone();
            async move {
                // GUILD_CREATE lists only the bot without GUILD_PRESENCES:
                // ask for every member (they arrive in GUILD_MEMBERS_CHUNK)
                if let Ok(all) = RequestGuildMembers::all(guild.id()).build() {
                    let _ = ctx.shard().request_guild_members(&all).await;
                }
                let _ = created.send(guild.id()).await;
            }
        })
        .on::<GuildMemberUpdate, _, _>(move |ctx, update| {
            let renamed = renamed.clone();
            async move {
                // the cache holds the member after the update; `previous`
                // the member before it
                let before = ctx.previous().member().and_then(|m| m.nick.clone());
                let after = ctx
                    .cache()
                    .member(update.guild_id, update.user.id)
                    .and_then(|m| m.nick);
                let _ = renamed
                    .send(format!("{}: {before:?} -> {after:?}", update.user.username))
                    .await;
            }
        })
        .build()
        .await?;
    let stop = client.shutdown_handle();
    let drive = async {
        let mut guilds = Vec::new();
        while guilds.len() < 2 {
            let guild = tokio::time::timeout(Duration::from_secs(10), creates.recv())
                .await?
                .ok_or("no GUILD_CREATE")?;
            guilds.push(guild);
        }
        let cache = client.cache();
        for guild in &guilds {
            // wait until the member chunks are in
            let expected = fake.member_ids(guild.get()).len();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while cache.member_count(*guild) < expected && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let name = cache
                .guild(*guild)
                .map(|g| g.name.clone())
                .unwrap_or_default();
            println!("{name}: {} members cached", cache.member_count(*guild));
        }
        let stats = cache.stats();
        println!(
            "in all: {} members, {} distinct users (a user in several guilds is stored once)",
            stats.members, stats.users
        );

        let guild = guilds[0];
        let channel = ChannelId::new(fake.channel_ids(guild.get())[0]).ok_or("channel")?;
        // the member with the fewest permissions there (an ordinary member,
        // not the owner or an administrator)
        let (member, permissions) = fake
            .member_ids(guild.get())
            .into_iter()
            .filter(|id| *id != fake.bot_user_id())
            .filter_map(UserId::new)
            .filter_map(|id| cache.permissions_in(channel, id).ok().map(|p| (id, p)))
            .min_by_key(|(_, p)| p.bits().count_ones())
            .ok_or("a member")?;
        let name = cache
            .user(member)
            .map(|u| u.name.to_string())
            .unwrap_or_default();
        let names: Vec<&str> = permissions.iter_names().map(|(n, _)| n).collect();
        println!("{name} in channel {}: {}", channel.get(), names.join(", "));

        // a nickname change comes back as GUILD_MEMBER_UPDATE
        client
            .http()
            .edit_member(guild, member, &EditMember::new().nick(Some("cached")), None)
            .await?;
        let line = tokio::time::timeout(Duration::from_secs(10), renames.recv())
            .await?
            .ok_or("no update")?;
        println!("{line}");
        stop.shutdown();
        Ok::<_, Error>(())
    };
    let (run, driven) = tokio::join!(client.start(), drive);
    run?;
    driven?;
    fake.shutdown().await;
    Ok(())
}
