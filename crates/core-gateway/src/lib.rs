//! # acord-core-gateway
//!
//! acord's gateway layer: a sans-I/O `Connection`, swappable `Decoder` and
//! `KeepAlive`, `Shard` and `ShardManager`. Filled in by issue 5.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
