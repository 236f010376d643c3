//! One bot as a cluster: gateway processes publish events to Redis
//! Streams, worker processes handle them with an ordinary `EventHandler`
//! (acord-redis' event broker).
//!
//! Offline (no flags): starts acord-testkit's fake Discord and a
//! `redis-server` on a free loopback port, runs a gateway role and two
//! worker roles in this process, has users say `ping` three times, and
//! exits 0 once every `ping` got its `pong` — no token, no network:
//! `cargo run -p acord-examples --example cluster`. Without `redis-server`
//! installed it says so in one line and exits 0.
//!
//! Online, one role per process (the token in `DISCORD_TOKEN`):
//!
//! ```text
//! cluster --role gateway --redis redis://10.0.0.5:6379 --shards 0..16 --total 32
//! cluster --role worker  --redis redis://10.0.0.5:6379 --consumer worker-1
//! ```
//!
//! Each runs until Ctrl-C. Run as many workers as the load needs; each
//! event is handled by one of them, and the events of a worker that dies
//! are handled by another after `claim_idle` (30 s by default).

use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acord::core::gateway::ShardManager;
use acord::core::http::HttpClient;
use acord::event::Ready;
use acord::model::Message;
use acord::{Client, Context, EventHandler, Intents};
use acord_redis::RedisBroker;
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;

fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

/// The bot: the same handler a one-process bot would have.
struct Bot {
    worker: String,
    /// Offline: tells `main` about READY and each pong.
    progress: Option<mpsc::UnboundedSender<Progress>>,
}

#[derive(Debug)]
enum Progress {
    Ready,
    Pong,
}

impl Bot {
    fn report(&self, progress: Progress) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(progress);
        }
    }
}

impl EventHandler for Bot {
    async fn ready(&self, _ctx: Context, _ready: Box<Ready>) {
        println!("{}: READY", self.worker);
        self.report(Progress::Ready);
    }

    async fn message_create(&self, ctx: Context, msg: Box<Message>) {
        if msg.content != "ping" {
            return;
        }
        // where the event came from: (shard, seq, session) identifies it,
        // so a handler can skip an event it already handled
        if let Some(meta) = ctx.event_meta() {
            println!(
                "{}: ping from shard {} (seq {}, session {})",
                self.worker,
                meta.shard(),
                meta.seq(),
                meta.session()
            );
        }
        match msg.channel_id.say(&ctx, "pong").await {
            Ok(_) => self.report(Progress::Pong),
            Err(e) => eprintln!("{}: could not answer: {e}", self.worker),
        }
    }
}

#[derive(Debug, Default)]
struct Args {
    role: Option<String>,
    redis: Option<String>,
    shards: Option<(u32, u32)>,
    total: Option<u32>,
    consumer: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--role" => args.role = Some(value()?),
            "--redis" => args.redis = Some(value()?),
            "--consumer" => args.consumer = Some(value()?),
            "--total" => args.total = Some(value()?.parse().map_err(|_| "--total takes a number")?),
            "--shards" => {
                let v = value()?;
                let (a, b) = v
                    .split_once("..")
                    .ok_or("--shards takes a range like 0..16")?;
                let a = a.parse().map_err(|_| "--shards: bad start")?;
                let b = b.parse().map_err(|_| "--shards: bad end")?;
                args.shards = Some((a, b));
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\nusage: cluster [--role gateway|worker --redis URL [--shards A..B --total N] [--consumer NAME]]");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.role.as_deref() {
        None => offline().await,
        Some("gateway") => gateway(&args).await,
        Some("worker") => worker(&args).await,
        Some(other) => Err(format!("--role is gateway or worker, not {other}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn token() -> Result<String, Error> {
    std::env::var("DISCORD_TOKEN").map_err(|_| "set DISCORD_TOKEN to run a role online".into())
}

/// `--role gateway`: this process's shards → Redis, until Ctrl-C.
async fn gateway(args: &Args) -> Result<(), Error> {
    let url = args.redis.as_deref().ok_or("--redis URL is needed")?;
    let token = token()?;
    let redis = acord_redis::connect(url).await?;
    let info = HttpClient::builder(token.as_str())
        .build()?
        .fetch_gateway_bot()
        .await?;
    let mut builder = ShardManager::builder(token.as_str(), intents(), info);
    if let Some((a, b)) = args.shards {
        builder = builder.range(a..b, args.total.unwrap_or(b));
    }
    let manager = builder.build()?;
    let publish = RedisBroker::publisher(redis).run(&manager);
    tokio::pin!(publish);
    tokio::select! {
        result = &mut publish => result?,
        _ = tokio::signal::ctrl_c() => {
            manager.close(true).await;
            publish.await?;
        }
    }
    Ok(())
}

/// `--role worker`: Redis → the handlers, until Ctrl-C.
async fn worker(args: &Args) -> Result<(), Error> {
    let url = args.redis.as_deref().ok_or("--redis URL is needed")?;
    let redis = acord_redis::connect(url).await?;
    let name = args
        .consumer
        .clone()
        .unwrap_or_else(|| format!("worker-{}", std::process::id()));
    let client = Client::builder(token()?, intents())
        .event_handler(Bot {
            worker: name.clone(),
            progress: None,
        })
        .build()
        .await?;
    let shutdown = client.shutdown_handle();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.shutdown();
    });
    RedisBroker::worker(redis)
        .consumer(name)
        .run(&client)
        .await?;
    Ok(())
}

/// A redis-server child on a free loopback port, killed on drop.
struct RedisServer {
    child: Child,
    dir: std::path::PathBuf,
    url: String,
}

impl RedisServer {
    /// `Ok(None)` when redis-server is not installed.
    fn start() -> Result<Option<Self>, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!("acord-cluster-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let server = Self {
            child,
            dir,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Some(server))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The next report of a worker, within 20 s.
async fn next(events: &mut mpsc::UnboundedReceiver<Progress>) -> Result<Progress, Error> {
    let wait = tokio::time::timeout(Duration::from_secs(20), events.recv());
    Ok(wait.await.ok().flatten().ok_or("the cluster stalled")?)
}

/// Both roles in this process, against the fake and a local redis-server.
async fn offline() -> Result<(), Error> {
    let Some(redis) = RedisServer::start()? else {
        println!(
            "cluster: redis-server is not installed (apt-get install redis-server); nothing to run"
        );
        return Ok(());
    };
    let fake = FakeDiscord::builder()
        .privileged_intents(Intents::MESSAGE_CONTENT)
        .guilds(1)
        .start()
        .await?;

    // gateway role: one shard on the fake, publishing to Redis
    let info = HttpClient::builder(fake.token())
        .api_base(fake.api_base())
        .build()?
        .fetch_gateway_bot()
        .await?;
    let manager = Arc::new(
        ShardManager::builder(fake.token(), intents(), info)
            .shard_count(1)
            .build()?,
    );
    let publisher = tokio::spawn({
        let manager = manager.clone();
        let conn = acord_redis::connect(&redis.url).await?;
        async move {
            RedisBroker::publisher(conn)
                .prefix("cluster")
                .run(&manager)
                .await
        }
    });

    // worker role, twice: each ping is answered by one of them
    let (progress, mut events) = mpsc::unbounded_channel();
    let mut workers = Vec::new();
    for name in ["worker-1", "worker-2"] {
        let client = Client::builder(fake.token(), intents())
            .api_base(fake.api_base())
            .event_handler(Bot {
                worker: name.to_owned(),
                progress: Some(progress.clone()),
            })
            .build()
            .await?;
        let shutdown = client.shutdown_handle();
        let conn = acord_redis::connect(&redis.url).await?;
        let task = tokio::spawn(async move {
            RedisBroker::worker(conn)
                .prefix("cluster")
                .consumer(name)
                .block(Duration::from_millis(200))
                .run(&client)
                .await
        });
        workers.push((shutdown, task));
    }

    // READY went gateway → Redis → a worker: the shard is connected
    let Progress::Ready = next(&mut events).await? else {
        return Err("expected READY first".into());
    };
    // users say ping; each is answered by one worker
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    const PINGS: u32 = 3;
    for _ in 0..PINGS {
        fake.send_user_message(channel, None, "ping")?;
    }
    let mut pongs = 0;
    while pongs < PINGS {
        if let Progress::Pong = next(&mut events).await? {
            pongs += 1;
        }
    }

    for (shutdown, _) in &workers {
        shutdown.shutdown();
    }
    for (_, task) in workers {
        task.await??;
    }
    manager.close(true).await;
    publisher.await??;
    let answered = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .count();
    println!("{PINGS} pings published by the gateway role, {answered} pongs sent by the workers");
    fake.shutdown().await;
    Ok(())
}
