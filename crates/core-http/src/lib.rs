//! # acord-core-http
//!
//! acord's REST layer. Three pieces:
//!
//! - [`Route`]: an HTTP method, a path template such as
//!   `/channels/{channel_id}/messages` and parameter values. Any endpoint can
//!   be called with one, including those acord has not wrapped yet.
//!   [`build_url`] joins it with the API base and version;
//!   [`Route::ratelimit_key`] derives which requests share a rate limit (the
//!   one place where that is decided).
//! - [`HttpClient`]: sends requests with reqwest (rustls): authorization,
//!   the `DiscordBot (url, version)` user agent, JSON and multipart bodies,
//!   audit-log reasons, retries of what is safe to retry, a cap on every
//!   rate-limit wait and a per-request deadline, and typed
//!   [`HttpError`]s carrying Discord's status, JSON error code, message and
//!   nested `errors`.
//! - [`Ratelimiter`]: asked before every request and told about every
//!   response. The default [`InMemoryRatelimiter`] learns buckets from the
//!   headers and waits instead of collecting 429s (per-route buckets, the
//!   global limit, fresh-bucket probing, 429 scopes, learned sub-limits, an
//!   interaction lane and the invalid-request budget). Replace it to share
//!   limits between processes.
//!
//! The token is a [`Token`], redacted in every `Debug` and `Display`; webhook
//! and interaction tokens are redacted wherever a route is shown, even when
//! written into a template as text.
//!
//! ## Which layer do I need?
//!
//! - Writing a bot: use `acord` (the client crate); its typed endpoints are
//!   built on this crate and it re-exports it as `acord::core::http`. Drop
//!   down here for a route acord has not wrapped.
//! - Writing your own Discord library or a REST proxy: use this crate
//!   directly, with `acord-core-signals` for the protocol constants.
//!
//! ## Example
//!
//! Against acord-testkit's fake Discord; leave out `api_base` to talk to
//! Discord itself.
//!
//! ```
//! use acord_core_http::{route, HttpClient, HttpError};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let fake = acord_testkit::FakeDiscord::builder().start().await?;
//! # let (token, api_base) = (fake.token().to_owned(), fake.api_base().to_owned());
//! let http = HttpClient::builder(token).api_base(api_base).build()?;
//! let me = http.login().await?;
//! println!("logged in as {}", me.username);
//!
//! // Leave a guild through a raw route.
//! # let guild_id = fake.guild_ids()[0];
//! http.request(route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = guild_id))
//!     .send()
//!     .await?;
//!
//! // Errors are typed.
//! let err = http.request(route!(GET "/channels/{channel_id}", channel_id = 1)).send().await;
//! assert!(matches!(err, Err(e @ HttpError::Api(_)) if e.status() == Some(404)));
//! # fake.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! docs/http.md in the repository walks through raw requests, swapping the
//! limiter and pointing at a proxy.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]

mod client;
mod error;
mod gateway;
pub mod ratelimit;
mod request;
mod route;
mod token;

pub use client::{HttpClient, HttpClientBuilder};
pub use error::{ApiError, HttpError, RouteLabel};
pub use gateway::{CurrentUser, GatewayBotInfo, GatewayInfo, SessionStartLimit};
pub use ratelimit::{
    AcquireError, InMemoryRatelimiter, RateLimitInfo, RatelimitEvent, Ratelimiter, Ticket,
};
pub use request::{RequestBuilder, Response};
pub use route::{build_url, Method, Route, RouteError, RouteKey};
pub use token::Token;
