//! # acord
//!
//! An async Discord bot framework. This crate is the layer bot code
//! touches; the protocol layers underneath are re-exported as [`core`] and
//! stay one call away.
//!
//! ## Concepts
//!
//! | piece | what it does |
//! |---|---|
//! | [`Client`] | built with [`Client::builder`] from the token and [`Intents`]; runs the shards and delivers events until shutdown or a fatal close |
//! | [`EventHandler`] | one async method per gateway event, empty by default; or closure listeners typed by the event, [`ClientBuilder::on`] |
//! | [`Context`] | handed to every handler: typed REST ([`Http`]), the shard ([`ShardHandle`]), shared state, [`wait_for`](Context::wait_for) collectors, shutdown |
//! | [`Http`] | typed REST endpoints over core-http's `HttpClient`, and raw `Route` requests through the same rate limiter |
//! | model actions | `guild_id.leave(&ctx)`, `message.reply(&ctx, "..")`, `channel_id.say(&ctx, "..")`, `member.kick(..)`, … on the [`model`] types |
//! | [`model`], [`event`], [`command`] | Discord's objects, every dispatch event, and validated payloads for what a bot sends |
//! | [`cache`] | guilds, channels, roles, members, users and recent messages, updated before handlers run ([`Context::cache`]); previous state ([`Context::previous`]); permissions |
//! | [`interactions`] | slash commands, components, modals and autocomplete: a router ([`ClientBuilder::interactions`]) and a context to answer within Discord's window |
//! | [`sync`] | keeps Discord's application commands equal to your definitions ([`Client::commands`]) |
//!
//! Only events someone handles are deserialised, each once; handler calls
//! run concurrently; a panicking handler is reported and the bot keeps
//! running; errors ([`ClientError`]) carry Discord's JSON error code and
//! say what to fix.
//!
//! ## Which layer do I need?
//!
//! - Reacting to events and sending messages: this crate.
//! - A raw request acord has not wrapped: [`Http::request`] with a
//!   [`core::http::Route`].
//! - Your own shard driver: [`core::gateway`]; protocol constants:
//!   [`core::signals`].
//!
//! ## Example: ping-pong, against acord-testkit's fake Discord
//!
//! Leave out `api_base` (and the fake) to talk to Discord itself.
//!
//! ```
//! use acord::model::Message;
//! use acord::{Client, Context, EventHandler, Intents};
//!
//! struct PingPong;
//!
//! impl EventHandler for PingPong {
//!     async fn message_create(&self, ctx: Context, msg: Box<Message>) {
//!         if msg.content == "ping" {
//!             let _ = msg.channel_id.say(&ctx, "pong").await;
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use acord_testkit::{fixtures, FakeDiscord, ShardTarget};
//! let fake = FakeDiscord::builder().privileged_intents(Intents::MESSAGE_CONTENT).start().await?;
//! let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
//! let client = Client::builder(fake.token(), intents)
//!     .api_base(fake.api_base())
//!     .event_handler(PingPong)
//!     .build()
//!     .await?;
//! let shutdown = client.shutdown_handle();
//! let bot = tokio::spawn(async move { client.start().await });
//! # let guild = fake.guild_ids()[0];
//! # let channel = fake.channel_ids(guild)[0];
//! # let user = fixtures::user(1_200_000_000_000_000_001, "someone");
//! # let said = |n: u64| fake.dispatch(ShardTarget::All, "MESSAGE_CREATE", fixtures::message(1_300_000_000_000_000_000 + n, channel, Some(guild), &user, "ping"));
//! # let mut n = 0;
//! // ... a user says `ping`; the fake Discord records the answer:
//! let pong = loop {
//! #   n += 1; said(n); // again until the session is up
//!     let answer = fake.wait_for_request(|r| r.method == "POST", std::time::Duration::from_millis(500));
//!     if let Some(pong) = answer.await {
//!         break pong;
//!     }
//! };
//! assert_eq!(serde_json::from_slice::<serde_json::Value>(&pong.body)?["content"], "pong");
//! shutdown.shutdown();
//! bot.await??;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]
mod actions;
pub mod cache;
mod client;
pub mod command;
mod error;
pub mod event;
pub mod http;
pub mod interactions;
pub mod model;
pub mod sync;

pub use acord_core_gateway::ShardScheme;
/// Builds a raw [`Route`](core::http::Route) (`route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = id)`),
/// for [`Http::request`].
pub use acord_core_http::route;
pub use acord_core_signals::Intents;
pub use client::{Client, ClientBuilder, Context, DispatchError, ShardHandle, ShutdownHandle};
pub use client::{Delivery, DeliveryDone, DeliveryOutcome, EventMeta};
pub use client::{API_BASE_ENV, GATEWAY_URL_ENV};
pub use error::{ClientError, Result};
pub use event::EventHandler;
pub use http::Http;

/// The protocol layers acord is built on.
pub mod core {
    pub use acord_core_gateway as gateway;
    pub use acord_core_http as http;
    pub use acord_core_signals as signals;
}
