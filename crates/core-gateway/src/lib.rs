//! # acord-core-gateway
//!
//! acord's gateway layer: everything between a WebSocket and the raw
//! dispatch events `(name, seq, raw JSON)` the client turns into typed
//! events.
//!
//! ## Concepts
//!
//! - [`Connection`] is the gateway protocol as a **sans-I/O state machine**:
//!   HELLO → IDENTIFY or RESUME, sequence tracking, heartbeats and ACK
//!   bookkeeping, op 7 / op 9, and the verdict for every close code. It owns
//!   no socket and reads no clock: you pass it what arrived and `now`.
//! - [`Decoder`] turns WebSocket messages into payload text:
//!   [`JsonDecoder`] or [`ZlibStreamDecoder`] (one inflate context per
//!   connection), or `ZstdStreamDecoder` with the `zstd` feature. [`Envelope`] reads `op`/`s`/`t` without copying `d`.
//! - [`KeepAlive`] decides when to heartbeat; [`StandardKeepAlive`] follows
//!   Discord's rules. Both traits are swappable at build time.
//!
//! - [`Shard`] drives one `Connection` on tokio-tungstenite; [`ShardManager`]
//!   runs many, identified through an [`IdentifyQueue`], with one merged
//!   event stream and a [`Dispatcher`] (`listen`, `wait_for`). The manager
//!   starts from [`GatewayBotInfo`], the answer of `GET /gateway/bot`
//!   (acord-core-http's type, re-exported here; fetch it with
//!   `HttpClient::fetch_gateway_bot`).
//! - [`Command`] is a raw user command: any opcode a client may send, with
//!   any serialisable `d`, size-checked. Send it through a
//!   [`ShardMessenger`], which also reads the shard's health
//!   ([`ShardMessenger::info`]). The typed, validated payloads (presence
//!   updates, member requests, ...) live in the `acord` crate
//!   (`acord::command`) and are sent as `Command`s.
//!
//! ## Example: one shard
//!
//! ```no_run
//! # #[cfg(feature = "runtime")]
//! use acord_core_gateway::{Shard, ShardConfig, ShardEvent};
//! use acord_core_signals::Intents;
//!
//! # #[cfg(feature = "runtime")]
//! # async fn run() -> Result<(), acord_core_gateway::GatewayError> {
//! let token = std::env::var("DISCORD_TOKEN").unwrap_or_default();
//! let config = ShardConfig::builder(token, Intents::GUILDS | Intents::GUILD_MESSAGES, "wss://gateway.discord.gg")
//!     .build()?;
//! let (shard, mut events) = Shard::spawn(config);
//! while let Some(event) = events.recv().await {
//!     match event {
//!         ShardEvent::Dispatch(d) => println!("{} #{}: {} bytes", d.name(), d.seq(), d.as_bytes().len()),
//!         ShardEvent::Fatal { error } => return Err(std::sync::Arc::try_unwrap(error).unwrap_or(acord_core_gateway::GatewayError::Closed)),
//!         _ => {}
//!     }
//! }
//! shard.close(true).await
//! # }
//! ```
//!
//! ## Which layer do I need?
//!
//! Most bots use the `acord` client. Use this crate directly to run shards
//! yourself, to get raw dispatches with minimal overhead, or to drive
//! [`Connection`] over your own socket (see `docs/gateway.md`).
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `runtime` | on | `Shard`, `ShardManager`, the identify queue and send limiter, on tokio and tokio-tungstenite (and acord-core-http's `GatewayBotInfo`) |
//! | `zstd` | off | `ZstdStreamDecoder` (`compress=zstd-stream`; builds the C zstd library) |
//!
//! With `default-features = false` the crate is the sans-I/O part alone:
//! [`Connection`], the decoders, [`Envelope`] and [`Dispatch`],
//! [`KeepAlive`], [`Command`] and the errors, with no tokio, no WebSocket
//! library and no HTTP client in the dependency tree, for a driver of your
//! own (see `docs/low-level.md`).
#![deny(missing_docs)]
// One `unsafe` block in the crate: the SSE2 call of the envelope scan
// (payload.rs), sound on every x86-64 CPU; everything else is safe code.
#![deny(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]

mod command;
// Without `runtime`, the crate-private hooks the Shard uses (set_shard,
// reseed, ...) have no caller; the full build still checks for dead code.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
mod connection;
mod decoder;
mod error;
mod keep_alive;
#[cfg(feature = "runtime")]
mod limiter;
#[cfg(feature = "runtime")]
mod manager;
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
mod payload;
#[cfg(feature = "runtime")]
mod queue;
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
mod random;
#[cfg(feature = "runtime")]
mod shard;
#[cfg(feature = "zstd")]
mod zstd;

/// Limits the sans-I/O [`Connection`] shares with the `Shard`: the `shard`
/// module's own when it is built, this copy without the `runtime` feature
/// (a test checks that both agree).
#[cfg_attr(all(feature = "runtime", not(test)), allow(dead_code))]
mod tuning {
    use std::time::Duration;

    /// The longest duration any tuning knob accepts (so `now + d` cannot
    /// overflow an `Instant`).
    pub(crate) const MAX_TUNING_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
}
#[cfg(not(feature = "runtime"))]
use tuning as shard;

#[cfg(feature = "zstd")]
pub use self::zstd::ZstdStreamDecoder;
pub use command::{Command, IdentifyProperties, Token};
pub use connection::{
    Connection, ConnectionConfig, ConnectionConfigBuilder, Event, Outgoing, Reconnect,
    ReconnectReason, SendKind, Session, Stage,
};
pub use decoder::{Decoder, Frame, JsonDecoder, ZlibStreamDecoder, DEFAULT_MAX_MESSAGE};
pub use error::{DecodeError, GatewayError};
pub use keep_alive::{KeepAlive, StandardKeepAlive};
#[cfg(feature = "runtime")]
pub use manager::{Dispatcher, ShardManager, ShardManagerBuilder, ShardScheme};
pub use payload::{Dispatch, Envelope, RateLimited};
#[cfg(feature = "runtime")]
pub use queue::{BoxFuture, IdentifyQueue, InProcessIdentifyQueue};
#[cfg(feature = "runtime")]
pub use shard::{
    run_gateway_loop, DecoderFactory, KeepAliveFactory, Shard, ShardConfig, ShardConfigBuilder,
    ShardEvent, ShardInfo, ShardMessenger, ShardStatus, LONG_PAUSE_HEARTBEATS,
};

// What `GET /gateway/bot` answers, as `ShardManager::builder` and
// `InProcessIdentifyQueue` take it: acord-core-http's types (a re-export is
// the same type, so there is one of each across the workspace).
#[cfg(feature = "runtime")]
pub use acord_core_http::{GatewayBotInfo, SessionStartLimit};

#[cfg(all(test, feature = "runtime"))]
mod tests {
    #[test]
    fn the_tuning_cap_without_runtime_is_the_shards() {
        assert_eq!(
            super::tuning::MAX_TUNING_DURATION,
            super::shard::MAX_TUNING_DURATION
        );
    }
}
