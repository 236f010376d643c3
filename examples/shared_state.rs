//! Typed shared state: `.data(Stats { .. })` on the builder, `ctx.data()` in
//! every handler, its type checked at compile time (`Context<Stats>`).
//!
//! The bot counts the messages of each channel and answers `!stats` with
//! the counts. The state uses interior mutability: a `std::sync::Mutex`
//! held only for a few instructions and never across an `.await`, and a
//! `watch` channel for the total so anyone can wait for it to change.
//!
//! Offline (the default): starts acord-testkit's fake Discord, has a
//! scripted user chat in two channels and then ask `!stats`, prints the
//! answer as the fake received it, and exits 0 (1 if the counts are wrong) —
//! no token, no network: `cargo run --example shared_state`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example shared_state` is a real
//! bot that runs until Ctrl-C (exit 0) or a fatal close (exit 1, with what
//! to fix). Enable MESSAGE_CONTENT for the bot in the Developer Portal.
//! `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at another REST base (a
//! proxy) and gateway.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acord::event::Ready;
use acord::model::{ChannelId, Message};
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use tokio::sync::{watch, Notify};

/// What every handler shares, reached as `ctx.data()`.
#[derive(Debug, Default)]
struct Stats {
    per_channel: Mutex<HashMap<ChannelId, u64>>,
    /// Messages counted so far.
    total: watch::Sender<u64>,
}

impl Stats {
    fn count(&self, channel: ChannelId) {
        // cannot be poisoned: nothing panics while it is held
        let mut counts = self.per_channel.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(channel).or_default() += 1;
        drop(counts);
        self.total.send_modify(|n| *n += 1);
    }

    /// The `!stats` answer, busiest channel first.
    fn report(&self) -> String {
        let mut counts: Vec<(ChannelId, u64)> = self
            .per_channel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(channel, n)| (*channel, *n))
            .collect();
        // the lock is released here, before any await
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut answer = format!("{} messages seen:", *self.total.borrow());
        for (channel, n) in counts {
            let _ = write!(answer, " <#{channel}> {n},");
        }
        answer.pop();
        answer
    }
}

struct Counter {
    ready: Arc<Notify>,
}

impl EventHandler<Stats> for Counter {
    async fn ready(&self, ctx: Context<Stats>, ready: Box<Ready>) {
        println!(
            "{} is connected on shard {}",
            ready.user.username,
            ctx.shard_id()
        );
        self.ready.notify_one();
    }

    async fn message_create(&self, ctx: Context<Stats>, msg: Box<Message>) {
        if msg.author.bot {
            return;
        }
        if msg.content.trim() != "!stats" {
            ctx.data().count(msg.channel_id);
            return;
        }
        let answer = ctx.data().report();
        if let Err(e) = msg.channel_id.say(&ctx, answer).await {
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
        .data(Stats::default())
        .event_handler(Counter {
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
        .data(Stats::default())
        .event_handler(Counter {
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
    let channels = fake.channel_ids(guild);
    let (general, random) = (channels[0], channels[1]);
    let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    let chat = [
        (general, "hi all"),
        (random, "anyone here?"),
        (general, "how's it going"),
        (general, "what's for lunch"),
        (random, "ok bye"),
    ];
    let mut id = 1_300_000_000_000_000_001;
    for (channel, content) in chat {
        let msg = fixtures::message(id, channel, Some(guild), &user, content);
        fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", msg);
        id += 1;
    }
    println!(
        "scripted_user said {} messages in channels {general} and {random}",
        chat.len()
    );
    // Each event is handled in its own task: wait until all were counted
    // (the client's state is readable from outside too) before asking.
    let mut total = client.data().total.subscribe();
    tokio::time::timeout(
        Duration::from_secs(10),
        total.wait_for(|n| *n == chat.len() as u64),
    )
    .await??;
    let ask = fixtures::message(id, general, Some(guild), &user, "!stats");
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", ask);
    println!("scripted_user said: !stats");

    let answer = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&format!("/channels/{general}/messages")),
            Duration::from_secs(10),
        )
        .await
        .ok_or("the bot never answered")?
        .json()
        .and_then(|body| body["content"].as_str().map(str::to_owned))
        .ok_or("the answer has no content")?;
    println!("the fake Discord received from the bot: {answer}");

    client.shutdown_handle().shutdown();
    running.await??;
    fake.shutdown().await;
    let expected = format!("5 messages seen: <#{general}> 3, <#{random}> 2");
    Ok(if answer == expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
