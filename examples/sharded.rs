//! One bot split over two "processes": two `Client`s running shard ranges
//! `0..2` and `2..4` of 4 total (`.shard_range(..)`), sharing one identify
//! queue (`.identify_queue(..)`) so their IDENTIFYs together respect
//! Discord's `max_concurrency` and session start limit.
//!
//! Each guild's events go to shard `(guild_id >> 22) % 4`, so each process
//! sees only the guilds of its own shards. Real separate processes need a
//! queue both can reach (implement `IdentifyQueue` on Redis or a database;
//! docs/gateway.md sketches one); within one process,
//! `InProcessIdentifyQueue` in an `Arc` is enough.
//!
//! Offline (the default): starts acord-testkit's fake Discord with 4 shards,
//! `max_concurrency` 4 and 8 guilds, prints which shard of which process got
//! each guild's GUILD_CREATE, shuts both down and exits 0 (1 if a guild went
//! to the wrong shard) — no token, no network:
//! `cargo run --example sharded`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example sharded` runs both
//! ranges until Ctrl-C (exit 0) or a fatal close (exit 1, with what to
//! fix). `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at another REST
//! base (a proxy) and gateway.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acord::core::gateway::{IdentifyQueue, InProcessIdentifyQueue};
use acord::core::http::HttpClient;
use acord::core::signals::shard_for_guild;
use acord::event::{GuildCreate, Ready};
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const TOTAL_SHARDS: u32 = 4;

/// One process's handler: names the process in what it prints.
struct Process {
    name: &'static str,
    /// `(shard, guild)` of each GUILD_CREATE (read offline; online nobody
    /// listens and the sends are dropped).
    guilds: mpsc::Sender<(u32, u64)>,
}

impl EventHandler for Process {
    async fn ready(&self, ctx: Context, ready: Box<Ready>) {
        println!(
            "process {}: shard {} READY with {} guild(s)",
            self.name,
            ctx.shard_id(),
            ready.guilds.len()
        );
    }

    // Handlers run concurrently, each call in its own task: a GUILD_CREATE
    // line may print before its shard's READY line.
    async fn guild_create(&self, ctx: Context, guild: Box<GuildCreate>) {
        let name = match &*guild {
            GuildCreate::Available(g) => g.name.as_str(),
            GuildCreate::Unavailable(_) => "(unavailable)",
        };
        println!(
            "process {}: shard {} got GUILD_CREATE {name} ({})",
            self.name,
            ctx.shard_id(),
            guild.id()
        );
        let _ = self.guilds.try_send((ctx.shard_id(), guild.id().get()));
    }
}

/// Builds the two "processes" of one bot: one REST client and one
/// identify queue shared by both.
async fn processes(
    http: HttpClient,
    token: &str,
    guilds: &mpsc::Sender<(u32, u64)>,
) -> Result<Vec<Arc<Client>>, ClientError> {
    // The queue needs the bot's session start limit (and max_concurrency).
    let limit = http.fetch_gateway_bot().await?.session_start_limit;
    let queue: Arc<dyn IdentifyQueue> = Arc::new(InProcessIdentifyQueue::new(limit));
    let mut clients = Vec::new();
    for (name, range) in [("A", 0..2), ("B", 2..TOTAL_SHARDS)] {
        let client = Client::builder(token, Intents::GUILDS)
            .http(http.clone())
            .shard_range(range, TOTAL_SHARDS)
            .identify_queue(queue.clone())
            .event_handler(Process {
                name,
                guilds: guilds.clone(),
            })
            .build()
            .await?;
        clients.push(Arc::new(client));
    }
    Ok(clients)
}

/// Starts every client, each in its own task.
fn run_all(clients: &[Arc<Client>]) -> JoinSet<Result<(), ClientError>> {
    let mut running = JoinSet::new();
    for client in clients {
        let client = client.clone();
        running.spawn(async move { client.start().await });
    }
    running
}

/// Waits for every client to stop; when one stops (shutdown or a fatal
/// close) the others are stopped too. Returns the first error.
async fn wait_all(
    clients: &[Arc<Client>],
    mut running: JoinSet<Result<(), ClientError>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut outcome = Ok(());
    while let Some(done) = running.join_next().await {
        for client in clients {
            client.shutdown_handle().shutdown();
        }
        if let (Err(e), Ok(())) = (done?, &outcome) {
            outcome = Err(e);
        }
    }
    Ok(outcome?)
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

/// The real bot, both ranges: runs until Ctrl-C or a fatal close.
async fn online(token: String) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut http = HttpClient::builder(token.as_str());
    if let Ok(base) = std::env::var("ACORD_API_BASE") {
        http = http.api_base(base);
    }
    let clients = processes(http.build()?, &token, &mpsc::channel(1).0).await?;
    let running = run_all(&clients);
    let shutdown: Vec<_> = clients.iter().map(|c| c.shutdown_handle()).collect();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            println!("shutting down");
            shutdown.iter().for_each(|s| s.shutdown());
        }
    });
    match wait_all(&clients, running).await {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if matches!(e.downcast_ref(), Some(ClientError::Fatal { .. })) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e),
    }
}

/// Both ranges against a fake Discord with 4 shards and 8 guilds.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder()
        .shards(TOTAL_SHARDS)
        .max_concurrency(4)
        .guilds(8)
        .start()
        .await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let http = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()?;
    let (tx, mut guilds) = mpsc::channel(16);
    let clients = processes(http, fake.token(), &tx).await?;
    let running = run_all(&clients);

    let mut misrouted = 0;
    for _ in fake.guild_ids() {
        let (shard, guild) = tokio::time::timeout(Duration::from_secs(10), guilds.recv())
            .await?
            .ok_or("the handlers are gone")?;
        if shard != shard_for_guild(guild, TOTAL_SHARDS) {
            eprintln!("guild {guild} arrived on shard {shard}, not its own");
            misrouted += 1;
        }
    }
    println!("every guild arrived; shutting both processes down");
    for client in &clients {
        client.shutdown_handle().shutdown();
    }
    wait_all(&clients, running).await?;
    let closes = fake.client_closes();
    println!("the fake Discord saw {} shards close", closes.len());
    fake.shutdown().await;
    Ok(if misrouted == 0 && closes.len() == TOTAL_SHARDS as usize {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
