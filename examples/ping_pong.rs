//! A ping-pong bot on acord's `Client`: answers `ping` with `pong`.
//!
//! Offline (the default): starts acord-testkit's fake Discord, connects to
//! it, has a scripted user say `ping`, prints the `pong` as the fake
//! received it, and exits 0 — no token, no network:
//! `cargo run --example ping_pong`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example ping_pong` is a real bot
//! that runs until Ctrl-C (exit 0) or a fatal close (exit 1, with what to
//! fix). Enable MESSAGE_CONTENT for the bot in the Developer Portal.
//! `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at another REST base (a
//! proxy) and gateway.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acord::event::Ready;
use acord::model::Message;
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use tokio::sync::Notify;

/// The bot: every handler method it does not write keeps an empty default
/// body, and acord does not even parse those events.
struct PingPong {
    ready: Arc<Notify>,
}

impl EventHandler for PingPong {
    async fn ready(&self, ctx: Context, ready: Box<Ready>) {
        println!(
            "{} is connected on shard {}",
            ready.user.username,
            ctx.shard_id()
        );
        self.ready.notify_one();
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.author.bot || msg.content != "ping" {
            return;
        }
        if let Err(e) = msg.channel_id.say(&ctx, "pong").await {
            eprintln!("could not answer: {e}");
        }
    }
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
        .event_handler(PingPong {
            ready: Arc::default(),
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

/// The same bot against the fake Discord, with a scripted user.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .start()
        .await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let ready = Arc::new(Notify::new());
    let client = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .event_handler(PingPong {
            ready: ready.clone(),
        })
        .build()
        .await?;
    let client = Arc::new(client);
    let running = {
        let client = client.clone();
        tokio::spawn(async move { client.start().await })
    };
    tokio::time::timeout(Duration::from_secs(10), ready.notified()).await?;

    // A scripted user says `ping` in the first channel of the first guild.
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    let ping = fixtures::message(
        1_300_000_000_000_000_001,
        channel,
        Some(guild),
        &user,
        "ping",
    );
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", ping);
    println!("scripted_user said: ping");

    let pong = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/messages")),
            Duration::from_secs(10),
        )
        .await
        .ok_or("the bot never answered")?;
    let body: serde_json::Value = serde_json::from_slice(&pong.body)?;
    println!(
        "the fake Discord received {} {} -> {}: {}",
        pong.method, pong.path, pong.status, body
    );

    client.shutdown_handle().shutdown();
    running.await??;
    fake.shutdown().await;
    Ok(if body["content"] == "pong" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
