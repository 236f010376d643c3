//! A collector: `!guess` starts a number game and the bot waits for the
//! player's answer with `ctx.wait_for::<MessageCreate>(filter, timeout)`.
//!
//! The bot says "pick a number 1-10", then waits for the next message from
//! the same player in the same channel. A number gets "right" or "wrong";
//! no answer in time gets "too slow" (the collector's
//! `ClientError::Timeout`, `e.is_timeout()`).
//!
//! Offline (the default): starts acord-testkit's fake Discord, has a
//! scripted player say `!guess` and answer `7`, then say `!guess` again and
//! stay silent, prints the bot's messages as the fake received them, and
//! exits 0 (1 if the conversation went otherwise) — no token, no network:
//! `cargo run --example wait_for`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example wait_for` is a real bot
//! (30 s to answer) that runs until Ctrl-C (exit 0) or a fatal close (exit
//! 1, with what to fix). Enable MESSAGE_CONTENT for the bot in the
//! Developer Portal. `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at
//! another REST base (a proxy) and gateway.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord::event::kind::MessageCreate;
use acord::event::Ready;
use acord::model::Message;
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use tokio::sync::Notify;

/// The game: one round per `!guess`, each waiting for its own player.
struct Guessing {
    /// How long a player has to answer.
    answer_within: Duration,
    ready: Arc<Notify>,
}

impl EventHandler for Guessing {
    async fn ready(&self, ctx: Context, ready: Box<Ready>) {
        println!(
            "{} is connected on shard {}",
            ready.user.username,
            ctx.shard_id()
        );
        self.ready.notify_one();
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.author.bot || msg.content.trim() != "!guess" {
            return;
        }
        // Each call runs in its own task: waiting here blocks neither the
        // shard nor other players' games.
        if let Err(e) = self.play(&ctx, &msg).await {
            eprintln!("the game in {} failed: {e}", msg.channel_id);
        }
    }
}

impl Guessing {
    async fn play(&self, ctx: &Context, msg: &Message) -> acord::Result<()> {
        let secret = random_number(1..=10);
        let (channel, player) = (msg.channel_id, msg.author.id);
        // Register the collector before prompting, so even an instant answer
        // is not missed; it only starts waiting when awaited.
        let answer = ctx.wait_for::<MessageCreate>(
            move |m| m.channel_id == channel && m.author.id == player,
            self.answer_within,
        );
        channel.say(ctx, "pick a number 1-10").await?;
        let verdict = match answer.await {
            Ok(answer) => match answer.content.trim().parse::<u64>() {
                Ok(n) if n == secret => format!("right, it was {secret}!"),
                Ok(_) => format!("wrong, it was {secret}"),
                Err(_) => format!("that is not a number; it was {secret}"),
            },
            Err(e) if e.is_timeout() => format!("too slow, it was {secret}"),
            Err(e) => return Err(e),
        };
        channel.say(ctx, verdict).await?;
        Ok(())
    }
}

/// A number in `range` from the standard library's randomly seeded hasher
/// (good enough for a game; use the `rand` crate for anything more).
fn random_number(range: std::ops::RangeInclusive<u64>) -> u64 {
    let span = range.end() - range.start() + 1;
    range.start() + RandomState::new().hash_one(()) % span
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
        .event_handler(Guessing {
            answer_within: Duration::from_secs(30),
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

/// The same bot against the fake Discord, with a scripted player.
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
        .event_handler(Guessing {
            // short, so the silent round ends quickly
            answer_within: Duration::from_secs(1),
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

    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let player = fixtures::user(1_200_000_000_000_000_001, "scripted_player");
    let mut next_id = 1_300_000_000_000_000_001;
    let mut say = |content: &str| {
        println!("scripted_player said: {content}");
        let msg = fixtures::message(next_id, channel, Some(guild), &player, content);
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", msg);
        next_id += 1;
    };

    let mut last = None;
    let mut said = Vec::new();
    // Round 1: answer once prompted.
    say("!guess");
    said.push(next_bot_message(&fake, channel, &mut last).await?);
    say("7");
    said.push(next_bot_message(&fake, channel, &mut last).await?);
    // Round 2: stay silent until the collector times out.
    say("!guess");
    said.push(next_bot_message(&fake, channel, &mut last).await?);
    said.push(next_bot_message(&fake, channel, &mut last).await?);

    client.shutdown_handle().shutdown();
    running.await??;
    fake.shutdown().await;
    let expected = said[0] == "pick a number 1-10"
        && (said[1].starts_with("right") || said[1].starts_with("wrong"))
        && said[2] == "pick a number 1-10"
        && said[3].starts_with("too slow");
    Ok(if expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Waits for the bot's next message in `channel` (the first one the fake
/// received after `after`), prints it and returns its text.
async fn next_bot_message(
    fake: &FakeDiscord,
    channel: u64,
    after: &mut Option<Instant>,
) -> Result<String, Box<dyn std::error::Error>> {
    let path = format!("/channels/{channel}/messages");
    let since = *after;
    let request = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&path) && since.is_none_or(|t| r.at > t),
            Duration::from_secs(10),
        )
        .await
        .ok_or("the bot did not answer")?;
    *after = Some(request.at);
    let content = request
        .json()
        .and_then(|body| body["content"].as_str().map(str::to_owned))
        .ok_or("the bot's message has no content")?;
    println!("the fake Discord received from the bot: {content}");
    Ok(content)
}
