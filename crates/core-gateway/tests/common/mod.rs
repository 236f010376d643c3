//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use acord_core_gateway::{ShardConfig, ShardConfigBuilder, ShardEvent};
use acord_core_signals::Intents;
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;

/// Failure guard for waits; tests finish far sooner.
pub const GUARD: Duration = Duration::from_secs(15);

pub fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT
}

/// The identify window used by both the fake and the client in tests.
pub const WINDOW: Duration = Duration::from_millis(200);

/// A shard config pointed at the fake, with short backoffs and waits.
pub fn config(fake: &FakeDiscord) -> ShardConfigBuilder {
    ShardConfig::builder(fake.token(), intents(), fake.gateway_url())
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .invalid_session_wait(Duration::from_millis(20), Duration::from_millis(60))
        .connect_timeout(Duration::from_secs(5))
        .identify_window(WINDOW)
}

/// Waits for the first event matching `pred`, collecting everything seen.
pub async fn until(
    rx: &mut mpsc::Receiver<ShardEvent>,
    seen: &mut Vec<ShardEvent>,
    pred: impl Fn(&ShardEvent) -> bool,
) -> ShardEvent {
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        let ev = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => panic!("shard event stream ended; seen: {seen:#?}"),
            Err(_) => panic!("timed out waiting for a shard event; seen: {seen:#?}"),
        };
        seen.push(ev.clone());
        if pred(&ev) {
            return ev;
        }
    }
}

pub fn is_ready(e: &ShardEvent) -> bool {
    matches!(e, ShardEvent::Ready { .. })
}

pub fn is_resumed(e: &ShardEvent) -> bool {
    matches!(e, ShardEvent::Resumed)
}

/// The dispatch sequence numbers seen, in order.
pub fn seqs(seen: &[ShardEvent]) -> Vec<u64> {
    seen.iter()
        .filter_map(|e| match e {
            ShardEvent::Dispatch(d) => Some(d.seq()),
            _ => None,
        })
        .collect()
}

/// A MESSAGE_CREATE body in the fake's first guild.
pub fn message(fake: &FakeDiscord, n: u64) -> serde_json::Value {
    let guild = fake.guild_ids()[0];
    let channel = fake.channel_ids(guild)[0];
    serde_json::json!({
        "id": (1_000_000 + n).to_string(),
        "channel_id": channel.to_string(),
        "guild_id": guild.to_string(),
        "content": format!("message {n}"),
        "author": {"id": "42", "username": "someone", "discriminator": "0", "global_name": null, "avatar": null},
        "timestamp": "2024-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false,
        "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0
    })
}

/// Polls `cond` every 10 ms until it holds (guarded).
pub async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + GUARD;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
