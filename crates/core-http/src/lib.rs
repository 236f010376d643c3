//! # acord-core-http
//!
//! acord's REST layer: `Route` + `build_url` for any endpoint, `HttpClient`
//! (reqwest, rustls) and a swappable `Ratelimiter`. Filled in by issue 4.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
