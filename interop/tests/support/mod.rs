//! Shared helpers: start the fake, build twilight clients pointed at it,
//! read events with a timeout, and capture the fake's tracing log.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acord_testkit::FakeDiscord;
use futures_util::StreamExt as _;
use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Message, Shard, ShardId};

/// Failure guard for every wait; the happy path takes milliseconds.
pub const WAIT: Duration = Duration::from_secs(10);

/// The fake's tracing output (INFO), shared by every test of the binary.
/// Lines carry the span `fake_gateway{url=ws://127.0.0.1:Q}`, so a test
/// filters by its own fake's gateway URL.
pub fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_writer(move || SharedWriter(Arc::clone(&sink)))
            .init();
        buffer
    })
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured log lines that mention `needle`.
pub fn log_lines_with(needle: &str) -> Vec<String> {
    let bytes = captured_log().lock().unwrap().clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// The last lines of the captured log, for failure messages.
pub fn log_tail() -> String {
    let lines = log_lines_with("");
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// `host:port` of the fake's REST server, for twilight-http's `proxy`
/// (twilight appends `/api/v10/...` itself).
pub fn rest_host(fake: &FakeDiscord) -> String {
    let base = fake.api_base();
    base.strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/api"))
        .unwrap_or_else(|| panic!("unexpected api_base {base}"))
        .to_owned()
}

/// A twilight-http client speaking plain http to the fake.
pub fn http_client(fake: &FakeDiscord) -> twilight_http::Client {
    twilight_http::Client::builder()
        // The Authorization header is `Bot <token>` (§1.4); twilight-http
        // only adds the prefix when it is missing, so this is exact.
        .token(format!("Bot {}", fake.token()))
        .proxy(rest_host(fake), true)
        .timeout(WAIT)
        .build()
}

/// The intents the interop shard asks for: no privileged ones.
pub fn intents() -> Intents {
    Intents::GUILDS | Intents::GUILD_MESSAGES
}

/// A twilight shard 0/1 whose gateway URL is the fake's. Pass the token
/// exactly as twilight should send it.
pub fn shard_with_token(fake: &FakeDiscord, token: &str) -> Shard {
    let config = ConfigBuilder::new(token.to_owned(), intents())
        .proxy_url(fake.gateway_url().to_owned())
        .build();
    Shard::with_config(ShardId::ONE, config)
}

/// A twilight shard 0/1 whose gateway URL is the fake's, with the fake's
/// plain token (twilight sends it as `Bot <token>` in IDENTIFY/RESUME,
/// which the fake accepts as Discord does).
pub fn shard(fake: &FakeDiscord) -> Shard {
    shard_with_token(fake, fake.token())
}

/// What one gateway message became in twilight.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one value at a time, in tests
pub enum Got {
    /// twilight-model deserialized it.
    Event(Event),
    /// twilight-model could NOT deserialize it (a disagreement to look at).
    Undecodable {
        /// The dispatch name (`t`), if any.
        name: Option<String>,
        /// serde's message.
        error: String,
        /// The payload text as received (decompressed).
        raw: String,
    },
}

/// The next gateway message, parsed exactly the way twilight's own
/// `next_event` does (`twilight_gateway::parse`), but a payload that does
/// not deserialize is returned as [`Got::Undecodable`] instead of ending
/// the test, so the shard (session, resume URL, seq) keeps running.
/// Fails on a connection error, end of stream or timeout.
pub async fn next(shard: &mut Shard) -> Got {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = match tokio::time::timeout_at(deadline, shard.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => panic!("twilight's shard stream ended\nfake log:\n{}", log_tail()),
            Err(_) => panic!(
                "no event from twilight within {WAIT:?}\nfake log:\n{}",
                log_tail()
            ),
        };
        let message = item.unwrap_or_else(|err| {
            panic!(
                "twilight connection error: {err:?}\nfake log:\n{}",
                log_tail()
            )
        });
        match message {
            Message::Close(frame) => return Got::Event(Event::GatewayClose(frame)),
            Message::Text(json) => {
                match twilight_gateway::parse(json.clone(), EventTypeFlags::all()) {
                    Ok(Some(event)) => return Got::Event(event.into()),
                    Ok(None) => {}
                    Err(err) => {
                        let name = serde_json::from_str::<serde_json::Value>(&json)
                            .ok()
                            .and_then(|v| v["t"].as_str().map(str::to_owned));
                        let error = std::error::Error::source(&err)
                            .map_or_else(|| err.to_string(), ToString::to_string);
                        return Got::Undecodable {
                            name,
                            error,
                            raw: json,
                        };
                    }
                }
            }
        }
    }
}

/// The next event twilight yields, failing on anything twilight-model
/// could not deserialize.
pub async fn next_event(shard: &mut Shard) -> Event {
    match next(shard).await {
        Got::Event(event) => event,
        Got::Undecodable { name, error, raw } => {
            panic!("twilight-model rejects {name:?}: {error}\npayload: {raw}")
        }
    }
}

/// Reads events until `pick` returns `Some`, returning it and every event
/// seen on the way (including the picked one). Undecodable payloads fail.
pub async fn until<T>(
    shard: &mut Shard,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> (T, Vec<Event>) {
    let mut seen = Vec::new();
    loop {
        let event = next_event(shard).await;
        let picked = pick(&event);
        seen.push(event);
        if let Some(found) = picked {
            return (found, seen);
        }
    }
}

/// A snowflake for "now" with a distinguishing increment.
pub fn fresh_id(increment: u64) -> u64 {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    acord_testkit::fixtures::snowflake(now_ms, increment)
}

/// The short name of an event, for reporting sequences.
pub fn kind(event: &Event) -> String {
    format!("{:?}", event.kind())
}
