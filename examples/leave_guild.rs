//! Leaving a guild two ways, side by side: the model action
//! (`guild.leave(&ctx)`, also on `GuildId`) and the raw `Route` it wraps
//! (`DELETE /users/@me/guilds/{guild_id}`), for when you need an endpoint
//! acord has not wrapped. Either way Discord then sends GUILD_DELETE, which
//! the bot's `guild_delete` handler prints.
//!
//! Commands, for the guild's owner only: `!leave` (model action) and
//! `!leave raw` (raw route).
//!
//! Offline (the default): starts acord-testkit's fake Discord with two
//! guilds, has each guild's owner say one of the commands, prints both
//! GUILD_DELETEs and exits 0 once the bot is in no guild (1 otherwise) —
//! no token, no network: `cargo run --example leave_guild`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example leave_guild` is a real bot
//! that runs until Ctrl-C (exit 0) or a fatal close (exit 1, with what to
//! fix). Enable MESSAGE_CONTENT for the bot in the Developer Portal.
//! `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at another REST base (a
//! proxy) and gateway.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acord::core::http::route;
use acord::event::Ready;
use acord::model::{GuildId, Message, UnavailableGuild};
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use tokio::sync::{mpsc, Notify};

struct Leaver {
    ready: Arc<Notify>,
    /// Every guild the bot was removed from (read offline; online nobody
    /// listens and the sends are dropped).
    removed: mpsc::Sender<GuildId>,
}

impl EventHandler for Leaver {
    async fn ready(&self, ctx: Context, ready: Box<Ready>) {
        println!(
            "{} is connected on shard {} and in {} guild(s)",
            ready.user.username,
            ctx.shard_id(),
            ready.guilds.len()
        );
        self.ready.notify_one();
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        let Some(guild_id) = msg.guild_id else {
            return;
        };
        let raw = match msg.content.trim() {
            "!leave" => false,
            "!leave raw" => true,
            _ => return,
        };
        if msg.author.bot {
            return;
        }
        if let Err(e) = leave(&ctx, &msg, guild_id, raw).await {
            eprintln!("could not leave {guild_id}: {e}");
        }
    }

    async fn guild_delete(&self, _ctx: Context, guild: UnavailableGuild) {
        // `unavailable: Some(true)` is an outage; absent, the bot was removed.
        if guild.unavailable == Some(true) {
            println!("GUILD_DELETE {}: unavailable (outage)", guild.id);
            return;
        }
        println!("GUILD_DELETE {}: the bot is no longer in it", guild.id);
        let _ = self.removed.try_send(guild.id);
    }
}

async fn leave(ctx: &Context, msg: &Message, guild_id: GuildId, raw: bool) -> acord::Result<()> {
    // Anyone can type a command: only the owner may send the bot away.
    let guild = ctx.http().guild(guild_id, false).await?;
    if guild.owner_id != msg.author.id {
        msg.reply(ctx, "only the server owner can ask me to leave")
            .await?;
        return Ok(());
    }
    msg.channel_id
        .say(ctx, format!("leaving {}, bye!", guild.name))
        .await?;
    if raw {
        println!("leaving {} through the raw route", guild.name);
        // The same request through a raw route, on the same rate limiter.
        ctx.http()
            .request(route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = guild_id))
            .send()
            .await?;
    } else {
        println!("leaving {} with guild.leave(&ctx)", guild.name);
        // The model action (`guild_id.leave(ctx)` does the same).
        guild.leave(ctx).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match std::env::var("DISCORD_TOKEN") {
        Ok(token) if !token.trim().is_empty() => online(token).await,
        _ => offline().await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

/// A real bot: runs until Ctrl-C or a fatal close.
async fn online(token: String) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let client = Client::builder(token, intents())
        .event_handler(Leaver {
            ready: Arc::default(),
            removed: mpsc::channel(1).0,
        })
        .build()
        .await?;
    let shutdown = client.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            println!("shutting down");
            shutdown.shutdown();
        }
    });
    match client.start().await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ ClientError::Fatal { .. }) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// The same bot against the fake Discord: each guild's owner asks it to
/// leave, once each way.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .guilds(2)
        .start()
        .await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let ready = Arc::new(Notify::new());
    let (removed, mut removals) = mpsc::channel(8);
    let client = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .event_handler(Leaver {
            ready: ready.clone(),
            removed,
        })
        .build()
        .await?;
    let client = Arc::new(client);
    let running = {
        let client = client.clone();
        tokio::spawn(async move { client.start().await })
    };
    tokio::time::timeout(Duration::from_secs(10), ready.notified()).await?;

    let guilds = fake.guild_ids();
    for (n, (&guild, command)) in guilds.iter().zip(["!leave", "!leave raw"]).enumerate() {
        let guild_id = GuildId::new(guild).ok_or("a guild id of 0")?;
        let owner_id = client.http().guild(guild_id, false).await?.owner_id;
        let owner = fixtures::user(owner_id.get(), "guild_owner");
        let channel = fake.channel_ids(guild)[0];
        let id = 1_300_000_000_000_000_001 + n as u64;
        let msg = fixtures::message(id, channel, Some(guild), &owner, command);
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", msg);
        println!("the owner of {guild} said: {command}");
        let gone = tokio::time::timeout(Duration::from_secs(10), removals.recv())
            .await?
            .ok_or("the handler is gone")?;
        if gone != guild_id {
            return Err(format!("expected GUILD_DELETE for {guild}, got {gone}").into());
        }
    }
    let left = fake.guild_ids();
    println!(
        "the fake Discord now has the bot in {} guild(s)",
        left.len()
    );

    client.shutdown_handle().shutdown();
    running.await??;
    fake.shutdown().await;
    Ok(if left.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
