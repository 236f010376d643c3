//! Many shards in one process (or a range of them in each of several
//! processes), paced by the identify limit, measured: how long until every
//! shard is READY against the floor `ceil(shards / max_concurrency) ×
//! window`, the identify-concurrency violations the fake recorded, the
//! process's CPU while idle after READY, and its memory per idle shard.
//!
//! Offline, no arguments: starts acord-testkit's fake Discord in this
//! process with 32 shards and `max_concurrency` 16, runs them with a
//! `ShardManager` (zlib-stream), prints the figures and exits 0 (1 if a
//! shard did not get READY or the fake saw a violation) in about 8 seconds:
//! `cargo run -p acord-examples --example many_shards`.
//!
//! ```text
//! many_shards [--shards N] [--max-concurrency C] [--identify-window-ms W]
//!             [--json] [--idle-secs S] [--ready-timeout-secs T]
//!             [--api-base URL] [--range A..B] [--redis URL] [--prefix P]
//!             [--margin-ms M]
//! many_shards --serve [--shards N] [--max-concurrency C] [--identify-window-ms W]
//! ```
//!
//! - `--json` connects without compression (default: `compress=zlib-stream`).
//! - `--serve` only runs the fake Discord (with its HTTP control API) and
//!   prints its `api_base`; Ctrl-C prints the fake's counters and stops it.
//!   Measure with the fake in its own process, so its CPU and memory are
//!   not counted as the bot's: `--api-base URL` points a bot process at it.
//! - `--range A..B` runs shards `A..B` of `--shards N`; `--redis URL` makes
//!   every process identify through one `acord_redis::RedisIdentifyQueue`
//!   (same `--prefix`, default `many-shards`). `--margin-ms` sets the
//!   margin either queue adds to the window between two IDENTIFYs of a
//!   bucket, counted from the reported send (default: the queues' own,
//!   `InProcessIdentifyQueue::default_margin`, 100 ms for a 5 s window).
//!   With `--redis` the floor counts every shard of `--shards`, since all
//!   processes share the identify buckets. Four processes × 250 shards:
//!
//! ```text
//! many_shards --serve --shards 1000 --max-concurrency 16 &   # prints api_base
//! for r in 0..250 250..500 500..750 750..1000; do
//!   many_shards --api-base http://127.0.0.1:PORT/api --shards 1000 \
//!     --max-concurrency 16 --range $r --redis redis://127.0.0.1:6379 &
//! done
//! ```
//!
//! Each process prints its start and last-READY times (Unix ms), so the
//! time for all of them is `max(ready) - min(start)`.
//!
//! How it measures: memory is the process's resident set (`VmRSS` in
//! `/proc/self/status`) after READY (and again after the idle period) minus
//! the resident set just before the first shard starts, divided by the
//! shard count. CPU is `utime + stime` from `/proc/self/stat` (all threads,
//! in clock ticks of 10 ms) over the idle period, as a share of one core.
//! Linux only for those two figures; elsewhere they are left out. The load
//! average (`/proc/loadavg`) is printed at the start and at the end, since
//! the READY time depends on what else the machine runs.

use std::ops::Range;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use acord_core_gateway::{
    GatewayBotInfo, IdentifyQueue, InProcessIdentifyQueue, JsonDecoder, ShardEvent, ShardManager,
    ShardManagerBuilder,
};
use acord_core_http::HttpClient;
use acord_core_signals::Intents;
use acord_redis::RedisIdentifyQueue;
use acord_testkit::FakeDiscord;
use serde_json::Value;

const USAGE: &str = "usage: many_shards [--shards N] [--max-concurrency C] \
[--identify-window-ms W] [--json] [--idle-secs S] [--ready-timeout-secs T] [--api-base URL] \
[--range A..B] [--redis URL] [--prefix P] [--margin-ms M] | many_shards --serve [--shards N] \
[--max-concurrency C] [--identify-window-ms W]";

/// What the command line asked for.
#[derive(Debug)]
struct Args {
    shards: u32,
    max_concurrency: u32,
    window: Duration,
    json: bool,
    idle: Duration,
    ready_timeout: Option<Duration>,
    api_base: Option<String>,
    range: Option<Range<u32>>,
    redis: Option<String>,
    prefix: String,
    margin: Option<Duration>,
    serve: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        shards: 32,
        max_concurrency: 16,
        window: Duration::from_secs(5),
        json: false,
        idle: Duration::from_secs(2),
        ready_timeout: None,
        api_base: None,
        range: None,
        redis: None,
        prefix: "many-shards".to_owned(),
        margin: None,
        serve: false,
    };
    fn value(flag: &str, next: Option<String>) -> Result<String, String> {
        next.ok_or_else(|| format!("`{flag}` needs a value"))
    }
    fn number<T: std::str::FromStr>(flag: &str, next: Option<String>) -> Result<T, String> {
        let text = value(flag, next)?;
        text.parse()
            .map_err(|_| format!("`{flag}` takes a whole number, got `{text}`"))
    }
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--shards" => parsed.shards = number(&flag, args.next())?,
            "--max-concurrency" => parsed.max_concurrency = number(&flag, args.next())?,
            "--identify-window-ms" => {
                parsed.window = Duration::from_millis(number(&flag, args.next())?);
            }
            "--json" => parsed.json = true,
            "--idle-secs" => parsed.idle = Duration::from_secs(number(&flag, args.next())?),
            "--ready-timeout-secs" => {
                parsed.ready_timeout = Some(Duration::from_secs(number(&flag, args.next())?));
            }
            "--api-base" => parsed.api_base = Some(value(&flag, args.next())?),
            "--redis" => parsed.redis = Some(value(&flag, args.next())?),
            "--prefix" => parsed.prefix = value(&flag, args.next())?,
            "--margin-ms" => {
                parsed.margin = Some(Duration::from_millis(number(&flag, args.next())?));
            }
            "--serve" => parsed.serve = true,
            "--range" => {
                let text = value(&flag, args.next())?;
                let bad = || format!("`--range` takes A..B, got `{text}`");
                let (a, b) = text.split_once("..").ok_or_else(bad)?;
                parsed.range = Some(a.parse().map_err(|_| bad())?..b.parse().map_err(|_| bad())?);
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown flag `{flag}`")),
        }
    }
    if parsed.shards == 0 || parsed.max_concurrency == 0 {
        return Err("`--shards` and `--max-concurrency` must be at least 1".to_owned());
    }
    if let Some(r) = &parsed.range {
        if r.start >= r.end || r.end > parsed.shards {
            return Err(format!(
                "`--range {}..{}` must be a non-empty range within 0..{}",
                r.start, r.end, parsed.shards
            ));
        }
    }
    Ok(parsed)
}

/// The fake Discord for `args`: session starts for twice the shards, so a
/// full run never hits the daily budget.
async fn start_fake(args: &Args, control_api: bool) -> std::io::Result<FakeDiscord> {
    let starts = args.shards.saturating_mul(2).max(1000);
    FakeDiscord::builder()
        .shards(args.shards)
        .max_concurrency(args.max_concurrency)
        .identify_window(args.window)
        .session_start_limit(starts, starts)
        .guilds(0)
        .control_api(control_api)
        .start()
        .await
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("many_shards: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if args.serve {
        serve(&args).await
    } else {
        run(&args).await
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// `--serve`: the fake alone, until Ctrl-C.
async fn serve(args: &Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = start_fake(args, true).await?;
    println!(
        "{}",
        serde_json::json!({
            "api_base": fake.api_base(),
            "gateway_url": fake.gateway_url(),
            "shards": args.shards,
            "max_concurrency": args.max_concurrency,
            "identify_window_ms": args.window.as_millis(),
        })
    );
    // say when a violation happens (the fake answers it with op 9)
    let watched = fake.clone();
    let started = Instant::now();
    let watch = tokio::spawn(async move {
        let mut seen = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let violations = watched.counters().identify_concurrency_violations;
            if violations > seen {
                seen = violations;
                println!(
                    "fake: identify-concurrency violation #{violations} at {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    });
    tokio::signal::ctrl_c().await?;
    watch.abort();
    let c = fake.counters();
    println!(
        "fake: {} gateway connections, {} identifies, {} identify-concurrency violations",
        c.gateway_connections, c.identifies, c.identify_concurrency_violations
    );
    fake.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Where the bot connects and how it reads the fake's counters.
enum Fake {
    InProcess(FakeDiscord),
    External { api_base: String },
}

impl Fake {
    fn api_base(&self) -> &str {
        match self {
            Self::InProcess(fake) => fake.api_base(),
            Self::External { api_base } => api_base,
        }
    }

    /// `(identifies, identify-concurrency violations)` seen by the fake.
    async fn counters(&self) -> Result<(u64, u64), Box<dyn std::error::Error>> {
        match self {
            Self::InProcess(fake) => {
                let c = fake.counters();
                Ok((c.identifies, c.identify_concurrency_violations))
            }
            Self::External { api_base } => {
                let root = api_base.trim_end_matches('/').trim_end_matches("/api");
                let body = http_get(&format!("{root}/__testkit/counters")).await?;
                let json: Value = serde_json::from_str(&body)?;
                let field = |name: &str| {
                    json[name]
                        .as_u64()
                        .ok_or_else(|| format!("the fake's counters have no `{name}`: {body}"))
                };
                Ok((
                    field("identifies")?,
                    field("identify_concurrency_violations")?,
                ))
            }
        }
    }
}

/// A bare HTTP/1.1 GET on loopback (the fake's control API), body only.
async fn http_get(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}` is not an http:// URL"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8(response)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the control API answered without a body")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "the control API answered `{}`",
            head.lines().next().unwrap_or("")
        )
        .into());
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Ok(dechunk(body));
    }
    Ok(body.to_owned())
}

/// The body of a chunked response (the control API's answers are small).
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// Resident set in bytes (`VmRSS`), Linux only.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time of every thread (`utime + stime`), Linux only. `/proc` counts
/// in USER_HZ ticks, which Linux fixes at 100 per second.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name (which may hold spaces) in parentheses
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split_whitespace();
    // `after` starts at field 3 (state); utime and stime are fields 14, 15
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), Linux only.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" "))
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn kib(bytes: f64) -> f64 {
    bytes / 1024.0
}

/// The bot side: a `ShardManager` running the range, measured.
async fn run(args: &Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = match &args.api_base {
        Some(api_base) => Fake::External {
            api_base: api_base.clone(),
        },
        None => Fake::InProcess(start_fake(args, false).await?),
    };
    let token = match &fake {
        Fake::InProcess(f) => f.token().to_owned(),
        Fake::External { .. } => acord_testkit::DEFAULT_TOKEN.to_owned(),
    };
    let http = HttpClient::builder(token.as_str())
        .api_base(fake.api_base())
        .build()?;
    let info: GatewayBotInfo = http.fetch_gateway_bot().await?;
    let limit = info.session_start_limit;
    let range = args.range.clone().unwrap_or(0..args.shards);
    let count = range.end - range.start;
    let mut builder: ShardManagerBuilder =
        ShardManager::builder(token.as_str(), Intents::GUILDS, info)
            .range(range.clone(), args.shards)
            .identify_window(args.window)
            .event_capacity(4096);
    if let Some(url) = &args.redis {
        let redis = acord_redis::connect(url).await?;
        let mut queue = RedisIdentifyQueue::builder(limit)
            .prefix(args.prefix.as_str())
            .window(args.window);
        if let Some(margin) = args.margin {
            queue = queue.margin(margin);
        }
        let queue = queue.build(redis);
        builder = builder.identify_queue(Arc::new(queue) as Arc<dyn IdentifyQueue>);
    } else if let Some(margin) = args.margin {
        let queue = InProcessIdentifyQueue::with_window(limit, args.window).margin(margin);
        builder = builder.identify_queue(Arc::new(queue) as Arc<dyn IdentifyQueue>);
    }
    let margin = args
        .margin
        .unwrap_or_else(|| InProcessIdentifyQueue::default_margin(args.window));
    if args.json {
        builder = builder.configure(|c| c.decoder(|| Box::new(JsonDecoder::new())));
    }
    let manager = builder.build()?;
    let mut events = manager
        .take_events()
        .ok_or("the manager's events were already taken")?;

    // processes sharing one queue share its buckets: the floor is the
    // whole bot's
    let paced = if args.redis.is_some() {
        args.shards
    } else {
        count
    };
    let waves = paced.div_ceil(args.max_concurrency);
    let floor = args.window * waves;
    let queue = if args.redis.is_some() {
        "RedisIdentifyQueue"
    } else {
        "InProcessIdentifyQueue"
    };
    let default = if args.margin.is_some() {
        ""
    } else {
        ", the default"
    };
    println!(
        "{} shards ({}..{} of {}), max_concurrency {}, identify window {} ms, {}, fake {}, \
         queue {queue} (window + {} ms margin from the send{default})",
        count,
        range.start,
        range.end,
        args.shards,
        args.max_concurrency,
        args.window.as_millis(),
        if args.json { "JSON" } else { "zlib-stream" },
        match fake {
            Fake::InProcess(_) => "in this process (its CPU and memory count too)",
            Fake::External { .. } => "in another process",
        },
        margin.as_millis(),
    );
    if let Some(load) = load_average() {
        println!("load average at start: {load}");
    }

    let rss_before = rss_bytes();
    let start_unix = unix_ms();
    let started = Instant::now();
    manager.start()?;

    // every shard's first READY; a fatal close ends the run
    let mut ready = vec![false; args.shards as usize];
    let mut ready_count = 0u32;
    let mut fatal = 0u32;
    let deadline = args
        .ready_timeout
        .unwrap_or(floor * 2 + Duration::from_secs(30));
    let mut last_report = Instant::now();
    while ready_count < count {
        let left = deadline.saturating_sub(started.elapsed());
        let Ok(next) = tokio::time::timeout(left, events.recv()).await else {
            break;
        };
        let Some((shard, event)) = next else { break };
        match event {
            ShardEvent::Ready { .. } => {
                if let Some(seen) = ready.get_mut(shard as usize) {
                    if !*seen {
                        *seen = true;
                        ready_count += 1;
                    }
                }
            }
            ShardEvent::Fatal { error } => {
                eprintln!("shard {shard} stopped: {error}");
                fatal += 1;
                if ready_count + fatal >= count {
                    break;
                }
            }
            _ => {}
        }
        if last_report.elapsed() >= Duration::from_secs(15) {
            last_report = Instant::now();
            println!(
                "  {ready_count}/{count} READY after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let all_ready = started.elapsed();
    let ready_unix = unix_ms();
    // keep draining (heartbeat events) while idle
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });

    let rss_ready = rss_bytes();
    let settle = Duration::from_secs(1);
    tokio::time::sleep(settle).await;
    let cpu_start = cpu_time();
    let idle_start = Instant::now();
    tokio::time::sleep(args.idle).await;
    let idle_wall = idle_start.elapsed();
    let cpu_idle = cpu_time().zip(cpu_start).map(|(end, start)| end - start);
    let rss_idle = rss_bytes();
    let (identifies, violations) = fake.counters().await?;

    let ratio = all_ready.as_secs_f64() / floor.as_secs_f64();
    println!(
        "READY: {ready_count}/{count} in {:.2} s; floor ceil({paced}/{}) x {} ms = {:.1} s; ratio {ratio:.3} (target <= 1.02)",
        all_ready.as_secs_f64(),
        args.max_concurrency,
        args.window.as_millis(),
        floor.as_secs_f64(),
    );
    println!("times (Unix ms): start {start_unix}, last READY {ready_unix}");
    if let Some(load) = load_average() {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("load average at the end: {load} ({cores} cores: above {cores} means contention)");
    }
    println!(
        "fake: {identifies} identifies, {violations} identify-concurrency violations (whole fake, every process)"
    );
    if let Some(cpu) = cpu_idle {
        println!(
            "idle CPU: {:.2} s over {:.1} s = {:.2} % of one core (target < 5 %)",
            cpu.as_secs_f64(),
            idle_wall.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / idle_wall.as_secs_f64()
        );
    }
    if let (Some(before), Some(at_ready), Some(idle)) = (rss_before, rss_ready, rss_idle) {
        let per = |after: u64| kib(after.saturating_sub(before) as f64 / f64::from(count.max(1)));
        println!(
            "memory: RSS {:.1} MiB before, {:.1} MiB at READY, {:.1} MiB after idle; \
             per shard {:.1} KiB at READY, {:.1} KiB after idle (target < 64 KiB)",
            kib(before as f64) / 1024.0,
            kib(at_ready as f64) / 1024.0,
            kib(idle as f64) / 1024.0,
            per(at_ready),
            per(idle),
        );
    }

    manager.close(true).await;
    drain.abort();
    if let Fake::InProcess(f) = &fake {
        f.shutdown().await;
    }
    Ok(if ready_count == count && fatal == 0 && violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
