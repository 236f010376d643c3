//! A custom gateway decoder: a wrapper that counts frames and bytes around
//! any `Decoder`, swapped in with `ClientBuilder::decoder`. Wrapped around
//! `ZlibStreamDecoder` (the default, `compress=zlib-stream`) and
//! `JsonDecoder` (plain JSON), it shows what transport compression saves.
//!
//! A decoder lives as long as one connection (`reset` is called before
//! each new one) and turns WebSocket messages into payload text; implement
//! the trait the same way to add an encoding.
//!
//! Offline (the default): starts acord-testkit's fake Discord, connects
//! once with each decoder, waits for READY and every GUILD_CREATE, prints
//! the counts and exits 0 (1 if nothing was decoded) — no token, no
//! network: `cargo run --example custom_decoder`.
//!
//! Online: `DISCORD_TOKEN=... cargo run --example custom_decoder` connects
//! with the counting zlib-stream decoder and runs until Ctrl-C, then prints
//! the counts (exit 0), or stops on a fatal close (exit 1, with what to
//! fix). `ACORD_API_BASE` / `ACORD_GATEWAY_URL` point it at another REST
//! base (a proxy) and gateway.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord::core::gateway::{DecodeError, Decoder, Frame, JsonDecoder, ZlibStreamDecoder};
use acord::core::signals::Compression;
use acord::event::GuildCreate;
use acord::{Client, ClientError, Context, EventHandler, Intents};
use acord_testkit::FakeDiscord;
use tokio::sync::mpsc;

/// What the counting decoders of one client saw, across connections.
#[derive(Debug, Default)]
struct Stats {
    frames: AtomicU64,
    wire_bytes: AtomicU64,
    payloads: AtomicU64,
    payload_bytes: AtomicU64,
}

impl Stats {
    fn report(&self, name: &str) {
        let wire = self.wire_bytes.load(Ordering::Relaxed);
        let json = self.payload_bytes.load(Ordering::Relaxed);
        println!(
            "{name:>11}: {} frames, {wire} bytes on the wire -> {} payloads, {json} bytes of JSON ({:.1}x)",
            self.frames.load(Ordering::Relaxed),
            self.payloads.load(Ordering::Relaxed),
            json as f64 / wire.max(1) as f64,
        );
    }
}

/// Counts what goes in and out of another decoder.
#[derive(Debug)]
struct Counting<D> {
    inner: D,
    stats: Arc<Stats>,
}

impl<D: Decoder> Decoder for Counting<D> {
    fn decode<'a>(&'a mut self, frame: Frame<'a>) -> Result<Option<&'a str>, DecodeError> {
        let len = match frame {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        };
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        self.stats
            .wire_bytes
            .fetch_add(len as u64, Ordering::Relaxed);
        let decoded = self.inner.decode(frame)?;
        // `None`: only part of a payload, more frames follow
        if let Some(text) = decoded {
            self.stats.payloads.fetch_add(1, Ordering::Relaxed);
            self.stats
                .payload_bytes
                .fetch_add(text.len() as u64, Ordering::Relaxed);
        }
        Ok(decoded)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn compression(&self) -> Option<Compression> {
        self.inner.compression()
    }
}

/// Builds a client whose every connection decodes through a fresh
/// `Counting<D>` reporting to `stats`.
fn counting<D: Decoder + Default>(
    builder: acord::ClientBuilder,
    stats: &Arc<Stats>,
) -> acord::ClientBuilder {
    let stats = stats.clone();
    builder.decoder(move || {
        Box::new(Counting {
            inner: D::default(),
            stats: stats.clone(),
        })
    })
}

/// Reports each guild as it arrives.
struct Guilds {
    created: mpsc::Sender<()>,
}

impl EventHandler for Guilds {
    async fn guild_create(&self, ctx: Context, guild: Box<GuildCreate>) {
        if let GuildCreate::Available(guild) = &*guild {
            println!(
                "  GUILD_CREATE {} on shard {}: {} channels",
                guild.name,
                ctx.shard_id(),
                guild.channels.len(),
            );
        }
        let _ = self.created.try_send(());
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

/// A real bot: runs until Ctrl-C or a fatal close, then prints the counts.
async fn online(token: String) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let stats = Arc::new(Stats::default());
    let builder = Client::builder(token, Intents::GUILDS);
    let client = counting::<ZlibStreamDecoder>(builder, &stats)
        .event_handler(Guilds {
            created: mpsc::channel(1).0,
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
    let result = client.start().await;
    stats.report("zlib-stream");
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ ClientError::Fatal { .. }) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// Connects to the fake Discord once with each decoder and compares.
async fn offline() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeDiscord::builder()
        .guilds(3)
        // two sessions in a row: let the second IDENTIFY come at once
        .identify_window(Duration::ZERO)
        .start()
        .await?;
    println!(
        "no DISCORD_TOKEN: running against the fake Discord at {}",
        fake.api_base()
    );
    let zlib = Arc::new(Stats::default());
    let json = Arc::new(Stats::default());
    println!("with Counting<ZlibStreamDecoder>:");
    connect_until_guilds(&fake, counting::<ZlibStreamDecoder>, &zlib).await?;
    println!("with Counting<JsonDecoder>:");
    connect_until_guilds(&fake, counting::<JsonDecoder>, &json).await?;
    fake.shutdown().await;

    zlib.report("zlib-stream");
    json.report("plain JSON");
    let decoded = |s: &Stats| s.payloads.load(Ordering::Relaxed);
    Ok(if decoded(&zlib) > 0 && decoded(&json) > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs a client with the decoder `with` sets until every guild of the
/// fake arrived, then shuts it down.
async fn connect_until_guilds(
    fake: &FakeDiscord,
    with: fn(acord::ClientBuilder, &Arc<Stats>) -> acord::ClientBuilder,
    stats: &Arc<Stats>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (created, mut guilds) = mpsc::channel(16);
    let builder = Client::builder(fake.token(), Intents::GUILDS).api_base(fake.api_base());
    let client = with(builder, stats)
        .event_handler(Guilds { created })
        .build()
        .await?;
    let client = Arc::new(client);
    let running = {
        let client = client.clone();
        tokio::spawn(async move { client.start().await })
    };
    for _ in fake.guild_ids() {
        tokio::time::timeout(Duration::from_secs(10), guilds.recv())
            .await?
            .ok_or("the handler is gone")?;
    }
    client.shutdown_handle().shutdown();
    running.await??;
    Ok(())
}
