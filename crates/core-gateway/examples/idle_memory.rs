//! Memory per idle connected shard: starts N shards (default 1000) against
//! acord-testkit's fake gateway, waits until all are READY, and prints the
//! RSS delta divided by N.
//!
//! The fake runs in a child process (this binary re-executed with
//! `--serve`), so its per-connection memory is not counted.
//!
//! `cargo run -p acord-core-gateway --release --example idle_memory [N] [json|zlib] [MEMBERS]`
//! (`json`: plain JSON instead of zlib-stream, to see what compression
//! costs; `MEMBERS`: members in each shard's GUILD_CREATE, default the
//! fake's own: with 200 a shard inflates more than the 32 KiB zlib window
//! before it idles, so the window is all in memory, as in a long-running
//! bot)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use acord_core_gateway::{
    GatewayBotInfo, JsonDecoder, SessionStartLimit, ShardManager, ShardStatus,
};
use acord_core_signals::Intents;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let n: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
        let members = args.get(3).and_then(|a| a.parse().ok());
        runtime.block_on(serve(n, members));
        return;
    }
    let n: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let json = args.get(2).map(String::as_str) == Some("json");
    let members: Option<usize> = args.get(3).and_then(|a| a.parse().ok());
    runtime.block_on(measure(n, json, members));
}

async fn serve(n: u32, members: Option<usize>) {
    let mut builder = acord_testkit::FakeDiscord::builder()
        .shards(n)
        .max_concurrency(n)
        .guilds(1);
    if let Some(members) = members {
        builder = builder
            .members_per_guild(members)
            .privileged_intents(Intents::GUILD_PRESENCES);
    }
    let fake = builder.start().await.unwrap();
    println!(
        "{}",
        serde_json::json!({"gateway_url": fake.gateway_url(), "token": fake.token()})
    );
    // serve until the parent closes our stdin
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
}

async fn measure(n: u32, json: bool, members: Option<usize>) {
    let exe = std::env::current_exe().unwrap();
    let members = members.map_or_else(String::new, |m| m.to_string());
    let mut child = Command::new(exe)
        .args(["--serve", &n.to_string(), &members])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = v["gateway_url"].as_str().unwrap().to_owned();
    let token = v["token"].as_str().unwrap().to_owned();

    let info = GatewayBotInfo::new(
        url,
        n,
        SessionStartLimit::new(100_000, 100_000, Duration::from_secs(3600), n),
    );
    // the fake (as Discord) sends a GUILD_CREATE's members only with
    // GUILD_PRESENCES
    let intents = if members.is_empty() {
        Intents::GUILDS
    } else {
        Intents::GUILDS | Intents::GUILD_PRESENCES
    };
    let manager = ShardManager::builder(token, intents, info)
        .configure(move |b| {
            if json {
                b.decoder(|| Box::new(JsonDecoder::new()))
            } else {
                b
            }
        })
        .build()
        .unwrap();
    let mut events = manager.take_events().unwrap();
    // drain events like a consumer would
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_bytes();
    manager.start().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let ready = manager
            .infos()
            .iter()
            .filter(|i| i.status == ShardStatus::Ready)
            .count();
        if ready == n as usize {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {ready}/{n} ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // idle for a moment so buffers settle
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_bytes();
    let per_shard = after.saturating_sub(before) as f64 / f64::from(n) / 1024.0;
    println!(
        "{n} idle shards ({}): RSS {:.1} MiB -> {:.1} MiB, {per_shard:.1} KiB per shard (target < 64 KiB)",
        if json { "json" } else { "zlib-stream" },
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
    );
    manager.close(false).await;
    drain.abort();
    drop(child.stdin.take());
    let _ = child.wait();
}
