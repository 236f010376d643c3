//! # acord-testkit
//!
//! A fake Discord (gateway + REST) on loopback, for testing bots offline.
//! Filled in by issue 3.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
