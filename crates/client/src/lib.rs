//! # acord
//!
//! An async Discord bot framework: typed models and events, a `Client` with
//! event handlers, a cache and interactions. Filled in by issue 6 onwards.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
