//! A custom heartbeat strategy: a `KeepAlive` that logs every beat and ACK
//! and delegates the timing to acord's `StandardKeepAlive`, swapped in with
//! `ClientBuilder::keep_alive`. A `!latency` command answers with the
//! shard's measured latency (`ctx.shard().latency()`, `ShardHandle::info()`).
//!
//! `KeepAlive` is sans-I/O: it is told the time and never sleeps, and the
//! zombie check stays in the connection, so a replacement cannot break the
//! protocol. Override `next_beat` to change the timing itself.
//!
//! Offline (the default): starts acord-testkit's fake Discord with a 500 ms
//! heartbeat interval, prints the beats until three were acknowledged, asks
//! `!latency` as a scripted user, prints the answer and exits 0 (1 if there
//! was none) — no token, no network: `cargo run --example custom_heartbeat`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example custom_heartbeat` is a
//! real bot (Discord's interval is about 41 s) that runs until Ctrl-C (exit
//! 0) or a fatal close (exit 1, with what to fix). Enable MESSAGE_CONTENT
//! for the bot in the Developer Portal. `ACORD_API_BASE` /
//! `ACORD_GATEWAY_URL` point it at another REST base (a proxy) and gateway.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord::core::gateway::{KeepAlive, StandardKeepAlive};
use acord::event::Ready;
use acord::model::Message;
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
use tokio::sync::{watch, Notify};

/// Logs each heartbeat and its ACK; the standard keep-alive decides when
/// to beat and measures latency. One is made per connection.
#[derive(Debug)]
struct LoggingKeepAlive {
    inner: StandardKeepAlive,
    /// When HELLO arrived on this connection.
    hello_at: Option<Instant>,
    beats: u64,
    /// Counts ACKs across connections (the offline run waits on it).
    acks: Arc<watch::Sender<u64>>,
}

impl LoggingKeepAlive {
    fn new(acks: Arc<watch::Sender<u64>>) -> Self {
        Self {
            inner: StandardKeepAlive::new(),
            hello_at: None,
            beats: 0,
            acks,
        }
    }
}

impl KeepAlive for LoggingKeepAlive {
    fn start(&mut self, interval: Duration, now: Instant, jitter: f64) {
        println!("HELLO: beat every {interval:?}, the first after {jitter:.2} of it");
        self.hello_at = Some(now);
        self.inner.start(interval, now, jitter);
    }

    fn stop(&mut self) {
        // also called on a fresh keep-alive before the first connection
        if self.hello_at.take().is_some() {
            println!("connection gone: heartbeats stop");
        }
        self.inner.stop();
    }

    fn next_beat(&self) -> Option<Instant> {
        self.inner.next_beat()
    }

    fn heartbeat_sent(&mut self, now: Instant, requested: bool) {
        self.beats += 1;
        let since_hello = self
            .hello_at
            .map_or(0, |t| now.saturating_duration_since(t).as_millis());
        let why = if requested {
            " (Discord asked for it)"
        } else {
            ""
        };
        println!(
            "heartbeat #{} sent {since_hello} ms after HELLO{why}",
            self.beats
        );
        self.inner.heartbeat_sent(now, requested);
    }

    fn ack(&mut self, now: Instant) -> Option<Duration> {
        let latency = self.inner.ack(now);
        if let Some(latency) = latency {
            println!("  ACK after {latency:.1?}");
        }
        self.acks.send_modify(|n| *n += 1);
        latency
    }

    fn latency(&self) -> Option<Duration> {
        self.inner.latency()
    }

    fn last_ack(&self) -> Option<Instant> {
        self.inner.last_ack()
    }
}

struct LatencyBot {
    ready: Arc<Notify>,
}

impl EventHandler for LatencyBot {
    async fn ready(&self, ctx: Context, ready: Box<Ready>) {
        println!(
            "{} is connected on shard {}",
            ready.user.username,
            ctx.shard_id()
        );
        self.ready.notify_one();
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.author.bot || msg.content.trim() != "!latency" {
            return;
        }
        let shard = ctx.shard();
        let answer = match (shard.latency(), shard.info()) {
            (Some(latency), Some(info)) => format!(
                "shard {}: heartbeat latency {latency:.1?}, {} heartbeats sent, {:?}",
                shard.id(),
                info.heartbeats_sent,
                info.status
            ),
            _ => format!("shard {}: no heartbeat measured yet", shard.id()),
        };
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
    let acks = Arc::new(watch::Sender::new(0));
    let client = Client::builder(token, intents())
        .keep_alive(move || Box::new(LoggingKeepAlive::new(acks.clone())))
        .event_handler(LatencyBot {
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

/// The same bot against a fake Discord that wants a heartbeat every 500 ms.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .heartbeat_interval(Duration::from_millis(500))
        .start()
        .await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let ready = Arc::new(Notify::new());
    let acks = Arc::new(watch::Sender::new(0));
    let mut acked = acks.subscribe();
    let client = Client::builder(fake.token(), intents())
        .api_base(fake.api_base())
        .keep_alive(move || Box::new(LoggingKeepAlive::new(acks.clone())))
        .event_handler(LatencyBot {
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
    tokio::time::timeout(Duration::from_secs(10), acked.wait_for(|n| *n >= 3)).await??;

    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    let user = fixtures::user(1_200_000_000_000_000_001, "scripted_user");
    let ask = fixtures::message(
        1_300_000_000_000_000_001,
        channel,
        Some(guild),
        &user,
        "!latency",
    );
    fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", ask);
    println!("scripted_user said: !latency");
    let answer = fake
        .wait_for_request(
            |r| r.method == "POST" && r.path.ends_with(&format!("/channels/{channel}/messages")),
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
    Ok(if answer.contains("heartbeat latency") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
