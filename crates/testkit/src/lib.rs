//! # acord-testkit
//!
//! A fake Discord — REST and gateway — on loopback, so bots (acord's own
//! crates, your bot, or any other Discord client) can be tested offline.
//!
//! It follows Discord's documented behaviour (Discord's developer docs),
//! not acord's: rate-limit headers and 429s,
//! IDENTIFY validation and close codes, RESUME replay, identify concurrency,
//! zlib-stream transport compression (zstd-stream with the `zstd` cargo
//! feature). It depends only on `acord-core-signals`, so it cannot inherit
//! the client's assumptions.
//!
//! ## Which layer do I need?
//!
//! Use it from tests (`[dev-dependencies] acord-testkit`), or run it as a
//! process: `cargo run -p acord-testkit --release --features zstd -- serve`
//! prints one JSON line with `api_base`, `gateway_url`, `token` and
//! `control_base`, the HTTP control API (`/__testkit/...`) through which a
//! test in any language drives the fake with the same methods a Rust test
//! calls on [`FakeDiscord`] (see `docs/testing.md`).
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use acord_testkit::FakeDiscord;
//! let fake = FakeDiscord::builder().guilds(3).start().await?;
//! // point your bot at fake.api_base() and fake.gateway_url() with fake.token()
//! let counters = fake.counters();
//! assert_eq!(counters.rate_limited, 0);
//! fake.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]

mod config;
mod control;
pub mod fixtures;
mod gateway;
mod inject;
pub mod interactions_endpoint;
mod invoke;
mod record;
mod rest;
mod server;
pub mod stream;
mod world;

pub use config::{FakeDiscordBuilder, DEFAULT_TOKEN};
pub use gateway::ShardTarget;
pub use inject::{InjectedResponse, Injection};
pub use interactions_endpoint::InteractionsEndpointClient;
pub use invoke::Invoker;
pub use record::{
    ClientCloseRecord, Counters, GatewayPayloadRecord, RecordedRequest, RequestFilter,
};
pub use server::{ControlError, FakeDiscord};
