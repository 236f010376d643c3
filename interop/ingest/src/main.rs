//! Gateway ingest, side by side (issue 13 point 1).
//!
//! The parent starts acord-testkit's fake Discord in-process with a stream
//! gateway (`FakeDiscord::start_stream`: READY, the GUILD_CREATEs, N
//! dispatches of a realistic mix at full speed over zlib-stream, an end
//! marker, close 4000), then runs each role in its own process (this
//! binary with `--role`), alternating the order each round:
//!
//! - `twilight`: one twilight-gateway 0.18 shard (zlib-stream), every event
//!   deserialised into twilight-model (`EventTypeFlags::all()`).
//! - `acord`: one acord-core-gateway `Shard`, every dispatch typed with
//!   `acord::event::Event::from_dispatch`.
//! - `client-min`: the acord `Client`, one MESSAGE_CREATE listener,
//!   `CacheConfig::none()` (events nobody handles are not parsed).
//! - `client-cache`: the same with the default cache.
//!
//! `--compress zstd` runs the acord roles over zstd-stream
//! (`ZstdStreamDecoder`) instead of zlib-stream; twilight stays on
//! zlib-stream (its compression is a cargo feature of this binary). The
//! parent also counts the bytes one connection of the stream puts on the
//! wire with that compression.
//!
//! Each child reports CPU seconds (getrusage user+sys), wall seconds (from
//! process start to the end marker) and peak RSS (VmHWM); the parent checks
//! them against its own getrusage(RUSAGE_CHILDREN) and prints the medians
//! and the ratios to twilight.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use acord_testkit::stream::{StreamSpec, STREAM_END_CONTENT};
use acord_testkit::FakeDiscord;
use serde_json::{json, Value};

const ROLES: [&str; 5] = ["twilight", "acord", "acord-inline", "client-min", "client-cache"];

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Default)]
struct Args {
    events: usize,
    rounds: usize,
    seed: u64,
    roles: Vec<String>,
    precompressed: bool,
    /// `zlib` (default) or `zstd`: the acord roles' transport compression.
    compress: String,
    // child
    role: Option<String>,
    gateway: String,
    api: String,
    token: String,
    dispatches: usize,
    messages: usize,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        events: 20_000,
        rounds: 3,
        seed: 1,
        roles: ROLES.iter().map(|r| r.to_string()).collect(),
        compress: "zlib".to_owned(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => args.events = value()?.parse()?,
            "--rounds" => args.rounds = value()?.parse()?,
            "--seed" => args.seed = value()?.parse()?,
            "--precompressed" => args.precompressed = true,
            "--compress" => args.compress = value()?,
            "--roles" => args.roles = value()?.split(',').map(str::to_owned).collect(),
            "--role" => args.role = Some(value()?),
            "--gateway" => args.gateway = value()?,
            "--api" => args.api = value()?,
            "--token" => args.token = value()?,
            "--dispatches" => args.dispatches = value()?.parse()?,
            "--messages" => args.messages = value()?.parse()?,
            "-h" | "--help" => {
                println!("cargo run --release -- [--events N] [--rounds R] [--seed S] [--roles twilight,acord,acord-inline,client-min,client-cache] [--precompressed] [--compress zlib|zstd]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(args)
}

fn main() -> Result<(), BoxError> {
    let started = Instant::now();
    let args = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.role.clone() {
        Some(role) => {
            let received = runtime.block_on(run_role(&role, &args))?;
            let wall = started.elapsed().as_secs_f64();
            let (user, sys) = rusage(libc::RUSAGE_SELF);
            let line = json!({
                "role": role,
                "received": received,
                "cpu_s": user + sys,
                "user_s": user,
                "sys_s": sys,
                "wall_s": wall,
                "peak_rss_kib": vm_hwm_kib(),
            });
            println!("{line}");
            // No graceful close: both libraries are measured up to the end
            // marker, not their shutdown.
            std::process::exit(0);
        }
        None => runtime.block_on(parent(&args)),
    }
}

// --- measurement -----------------------------------------------------------

/// (user, sys) seconds of `who` (RUSAGE_SELF or RUSAGE_CHILDREN).
fn rusage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage writes a plain C struct we own; zeroed is a valid
    // initial value for it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (f64::NAN, f64::NAN);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

/// Peak resident set (VmHWM) in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

// --- parent ----------------------------------------------------------------

async fn parent(args: &Args) -> Result<(), BoxError> {
    for role in &args.roles {
        if !ROLES.contains(&role.as_str()) {
            return Err(format!("unknown role {role}; roles: {ROLES:?}").into());
        }
    }
    // REST rate limits off: every Client role calls GET /gateway/bot at
    // start, and a 429 would add seconds of wall time that are not ingest.
    let fake = FakeDiscord::builder().rate_limits(false).start().await?;
    // --precompressed: the fake replays bytes compressed once, far faster
    // than any client ingests them (a backlog builds up in the client);
    // without it each connection is compressed live, about as fast as
    // the clients read.
    let spec = StreamSpec::new(args.events)
        .seed(args.seed)
        .precompressed(args.precompressed);
    let stream = fake.start_stream(spec).await?;
    let names = stream.names();
    let messages = names.iter().filter(|n| **n == "MESSAGE_CREATE").count();
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &names {
        *mix.entry(name).or_default() += 1;
    }
    println!(
        "stream: {} dispatches per connection ({} events + READY, {} GUILD_CREATEs, end marker), {:.1} MiB of JSON, seed {}, {}",
        stream.total_dispatches(),
        args.events,
        stream.opening_guilds(),
        stream.payload_bytes() as f64 / 1_048_576.0,
        args.seed,
        if args.precompressed {
            "precompressed (replayed at full speed)"
        } else {
            "compressed live per connection"
        }
    );
    println!("mix: {mix:?}");
    // The opening alone (GUILD_CREATEs and the end marker): the size of one
    // GUILD_CREATE.
    let opening = fake
        .start_stream(StreamSpec::new(0).seed(args.seed))
        .await?;
    println!(
        "one GUILD_CREATE: about {} KB",
        opening.payload_bytes() / opening.opening_guilds().max(1) / 1000
    );
    let (wire_bytes, wire_messages) = wire_bytes(&stream, fake.token(), &args.compress).await?;
    println!(
        "on the wire ({}-stream, one connection): {wire_bytes} bytes in {wire_messages} WebSocket messages ({:.2} MiB)",
        args.compress,
        wire_bytes as f64 / 1_048_576.0
    );
    let exe = std::env::current_exe()?;
    let mut results: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for round in 0..args.rounds {
        let mut order: Vec<&String> = args.roles.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for role in order {
            let (user0, sys0) = rusage(libc::RUSAGE_CHILDREN);
            // INGEST_WRAP runs each child under a tool, e.g.
            // INGEST_WRAP="valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p".
            let wrap = std::env::var("INGEST_WRAP").unwrap_or_default();
            let mut wrap = wrap.split_whitespace();
            let mut command = match wrap.next() {
                Some(tool) => {
                    let mut command = tokio::process::Command::new(tool);
                    command.args(wrap).arg(&exe);
                    command
                }
                None => tokio::process::Command::new(&exe),
            };
            let output = command
                .args(["--role", role, "--gateway", stream.url(), "--api"])
                .arg(fake.api_base())
                .args(["--token", fake.token()])
                .args(["--dispatches", &stream.total_dispatches().to_string()])
                .args(["--messages", &messages.to_string()])
                .args(["--compress", &args.compress])
                .stderr(std::process::Stdio::inherit())
                .output();
            let output = tokio::time::timeout(Duration::from_secs(600), output).await??;
            let (user1, sys1) = rusage(libc::RUSAGE_CHILDREN);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let Some(line) = stdout.lines().rev().find(|l| l.starts_with('{')) else {
                return Err(format!("role {role} failed ({}): {stdout}", output.status).into());
            };
            let mut value: Value = serde_json::from_str(line)?;
            value["children_cpu_s"] = json!((user1 - user0) + (sys1 - sys0));
            println!("round {} {role:>12}: {value}", round + 1);
            results.entry(role.clone()).or_default().push(value);
        }
    }
    let counters = fake.counters();
    fake.shutdown().await;
    println!(
        "fake REST: {} requests, {} rate-limited",
        counters.rest_requests, counters.rate_limited
    );

    let median = |role: &str, key: &str| -> f64 {
        let mut v: Vec<f64> = results
            .get(role)
            .map(|r| r.iter().filter_map(|x| x[key].as_f64()).collect())
            .unwrap_or_default();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            f64::NAN
        } else if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        }
    };
    println!();
    println!(
        "medians of {} rounds, {} events ({} dispatches per connection)",
        args.rounds,
        args.events,
        stream.total_dispatches()
    );
    println!("| role | CPU s (user+sys) | user s | sys s | wall s | peak RSS MiB | CPU µs/dispatch | CPU × twilight | RSS × twilight |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let twilight_cpu = median("twilight", "cpu_s");
    let twilight_rss = median("twilight", "peak_rss_kib");
    for role in &args.roles {
        let cpu = median(role, "cpu_s");
        let rss = median(role, "peak_rss_kib");
        println!(
            "| {role} | {cpu:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.2} | {:.2} |",
            median(role, "user_s"),
            median(role, "sys_s"),
            median(role, "wall_s"),
            rss / 1024.0,
            cpu * 1e6 / stream.total_dispatches() as f64,
            cpu / twilight_cpu,
            rss / twilight_rss,
        );
    }
    Ok(())
}

// --- children --------------------------------------------------------------

async fn run_role(role: &str, args: &Args) -> Result<usize, BoxError> {
    let received = match role {
        "twilight" => twilight(args).await?,
        "acord" => acord_shard(args).await?,
        "acord-inline" => acord_inline(args).await?,
        "client-min" => acord_client(args, false).await?,
        "client-cache" => acord_client(args, true).await?,
        other => return Err(format!("unknown role {other}").into()),
    };
    Ok(received)
}

async fn twilight(args: &Args) -> Result<usize, BoxError> {
    use twilight_gateway::{
        ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _,
    };
    let intents = Intents::GUILDS
        | Intents::GUILD_MEMBERS
        | Intents::GUILD_PRESENCES
        | Intents::GUILD_MESSAGES
        | Intents::GUILD_MESSAGE_REACTIONS
        | Intents::GUILD_MESSAGE_TYPING
        | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(args.token.clone(), intents)
        .proxy_url(args.gateway.clone())
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut received = 0;
    let mut errors = 0;
    while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
        match item {
            Ok(
                Event::GatewayHello(_)
                | Event::GatewayHeartbeatAck
                | Event::GatewayHeartbeat
                | Event::GatewayInvalidateSession(_)
                | Event::GatewayReconnect,
            ) => {}
            Ok(Event::GatewayClose(frame)) => {
                return Err(format!("closed after {received} dispatches: {frame:?}").into())
            }
            Ok(Event::MessageCreate(message)) => {
                received += 1;
                if message.content == STREAM_END_CONTENT {
                    break;
                }
            }
            Ok(_) => received += 1,
            Err(error) => {
                errors += 1;
                eprintln!("twilight: {error}");
                if errors > 10 {
                    return Err("too many errors".into());
                }
            }
        }
    }
    check(received + errors, args.dispatches)?;
    Ok(received)
}

/// The acord decoder for `--compress`.
fn decoder_factory(
    compress: &str,
) -> Result<impl Fn() -> Box<dyn acord::core::gateway::Decoder> + Send + Sync + 'static, BoxError> {
    use acord::core::gateway::{Decoder, ZlibStreamDecoder, ZstdStreamDecoder};
    let zstd = match compress {
        "zlib" => false,
        "zstd" => true,
        other => return Err(format!("--compress {other}: zlib or zstd").into()),
    };
    Ok(move || -> Box<dyn Decoder> {
        if zstd {
            Box::new(ZstdStreamDecoder::new())
        } else {
            Box::new(ZlibStreamDecoder::new())
        }
    })
}

/// Connects once to the stream with `compress` and counts the bytes of
/// every WebSocket message the fake sends (HELLO to the end marker): the
/// transport's cost on the wire, framing and TCP not included.
async fn wire_bytes(
    stream: &acord_testkit::stream::StreamGateway,
    token: &str,
    compress: &str,
) -> Result<(u64, u64), BoxError> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!(
        "{}/?v=10&encoding=json&compress={compress}-stream",
        stream.url().trim_end_matches('/')
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let identify = json!({"op": 2, "d": {
        "token": token,
        "intents": acord_intents().bits(),
        "properties": {"os": "linux", "browser": "ingest", "device": "ingest"},
    }});
    let (mut bytes, mut messages) = (0u64, 0u64);
    while let Some(message) = tokio::time::timeout(Duration::from_secs(60), ws.next()).await? {
        match message? {
            Message::Binary(data) => {
                bytes += data.len() as u64;
                messages += 1;
                if messages == 1 {
                    ws.send(Message::Text(identify.to_string().into())).await?;
                }
            }
            Message::Text(text) => {
                bytes += text.len() as u64;
                messages += 1;
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    Ok((bytes, messages))
}

fn check(received: usize, expected: usize) -> Result<(), BoxError> {
    if received != expected {
        return Err(format!("received {received} dispatches, expected {expected}").into());
    }
    Ok(())
}

fn acord_intents() -> acord::Intents {
    use acord::Intents;
    Intents::GUILDS
        | Intents::GUILD_MEMBERS
        | Intents::GUILD_PRESENCES
        | Intents::GUILD_MESSAGES
        | Intents::GUILD_MESSAGE_REACTIONS
        | Intents::GUILD_MESSAGE_TYPING
        | Intents::MESSAGE_CONTENT
}

async fn acord_shard(args: &Args) -> Result<usize, BoxError> {
    use acord::core::gateway::{Shard, ShardConfig};
    let config = ShardConfig::builder(args.token.clone(), acord_intents(), args.gateway.clone())
        .decoder(decoder_factory(&args.compress)?)
        .build()?;
    let (_shard, mut events) = Shard::spawn(config);
    let mut received = 0;
    while let Some(event) = events.recv().await {
        if type_event(event, &mut received)? {
            break;
        }
    }
    check(received, args.dispatches)?;
    Ok(received)
}

/// Types one shard event as both acord shard roles do; `true` once the
/// end marker arrived.
fn type_event(
    event: acord::core::gateway::ShardEvent,
    received: &mut usize,
) -> Result<bool, BoxError> {
    use acord::core::gateway::ShardEvent;
    use acord::event::Event;
    match event {
        ShardEvent::Dispatch(dispatch) => {
            *received += 1;
            let event = Event::parse(&dispatch)
                .map_err(|e| format!("acord could not type {}: {e}", dispatch.name()))?;
            if let Event::MessageCreate(message) = &event {
                return Ok(message.content == STREAM_END_CONTENT);
            }
        }
        ShardEvent::Fatal { error } => return Err(format!("fatal: {error}").into()),
        ShardEvent::Disconnected { code } => {
            return Err(format!("disconnected ({code:?}) after {received} dispatches").into())
        }
        _ => {}
    }
    Ok(false)
}

/// The same work as `acord_shard`, with the gateway loop
/// (`run_gateway_loop`, chiru's channel style) polled by the consumer's
/// own task: one thread reads, inflates and types, as twilight's
/// `next_event` loop does; no wake-up or free crosses threads.
async fn acord_inline(args: &Args) -> Result<usize, BoxError> {
    use acord::core::gateway::{run_gateway_loop, ShardConfig};
    let config = ShardConfig::builder(args.token.clone(), acord_intents(), args.gateway.clone())
        .decoder(decoder_factory(&args.compress)?)
        .build()?;
    let (_commands, outbound) = tokio::sync::mpsc::channel(8);
    let (inbound, mut events) = tokio::sync::mpsc::channel(256);
    let gateway = run_gateway_loop(config, outbound, inbound);
    tokio::pin!(gateway);
    let mut received = 0;
    loop {
        let event = tokio::select! {
            biased;
            event = events.recv() => event,
            error = &mut gateway => return Err(format!("gateway loop ended: {error}").into()),
        };
        let Some(event) = event else { break };
        if type_event(event, &mut received)? {
            break;
        }
    }
    check(received, args.dispatches)?;
    Ok(received)
}

async fn acord_client(args: &Args, cache: bool) -> Result<usize, BoxError> {
    use acord::cache::CacheConfig;
    use acord::event::kind::MessageCreate;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let seen = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let done_tx = Arc::new(std::sync::Mutex::new(Some(done_tx)));
    let counter = Arc::clone(&seen);
    let expected = args.messages;
    let builder = acord::Client::builder(args.token.clone(), acord_intents())
        .api_base(args.api.clone())
        .gateway_url(args.gateway.clone())
        .decoder(decoder_factory(&args.compress)?)
        .cache(if cache {
            CacheConfig::default()
        } else {
            CacheConfig::none()
        })
        .on::<MessageCreate, _, _>(move |_ctx, _message| {
            // Handlers run as tasks and may finish out of order: done when
            // the last of them counted, not when the end marker ran.
            let done = (counter.fetch_add(1, Ordering::Relaxed) + 1 == expected)
                .then(|| done_tx.lock().ok().and_then(|mut d| d.take()))
                .flatten();
            async move {
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
        });
    let client = builder.build().await?;
    let shutdown = client.shutdown_handle();
    let run = tokio::spawn(async move { client.start().await });
    tokio::select! {
        _ = done_rx => {}
        result = run => return Err(format!("client stopped early: {result:?}").into()),
    }
    shutdown.shutdown();
    let seen = seen.load(Ordering::Relaxed);
    if seen != args.messages {
        return Err(format!("handled {seen} MESSAGE_CREATEs, expected {}", args.messages).into());
    }
    Ok(seen)
}
