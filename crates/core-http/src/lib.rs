//! # acord-core-http
//!
//! acord's REST layer: `Route` + `build_url` for any endpoint, `HttpClient`
//! (reqwest, rustls) and a swappable `Ratelimiter`.
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
