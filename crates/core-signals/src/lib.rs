//! # acord-core-signals
//!
//! The protocol constants every other acord crate speaks: gateway opcodes,
//! close codes and **what each means for reconnecting**, intents and the
//! events they gate, the API version, REST JSON error codes and rate-limit
//! header names. Nothing here does I/O; every value comes from
//! Discord's developer docs, and each mapping is unit-tested against them.
//!
//! ## Which layer do I need?
//!
//! - Writing a bot: use `acord` (the client crate), which re-exports this
//!   crate as `acord::core::signals`.
//! - Writing your own gateway driver or HTTP layer: this crate is the single
//!   source of protocol facts, so you never hard-code a close code.
//!
//! ## Example: deciding what to do after a close
//!
//! ```
//! use acord_core_signals::{close_verdict, CloseCode, CloseVerdict, GatewayOpcode, Intents};
//!
//! match close_verdict(4014) {
//!     CloseVerdict::Resume => println!("reconnect and RESUME"),
//!     CloseVerdict::Reidentify => println!("reconnect and IDENTIFY"),
//!     CloseVerdict::Fatal => {
//!         let code = CloseCode::try_from(4014).unwrap();
//!         eprintln!("gateway closed with {code}: {}", code.explanation());
//!     }
//! }
//! assert_eq!(GatewayOpcode::try_from(7u8), Ok(GatewayOpcode::Reconnect));
//! assert_eq!(Intents::PRIVILEGED.bits().count_ones(), 3);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]

mod close_code;
mod gateway;
mod intents;
mod json_error;
pub mod limits;
mod opcode;
mod rest;
mod token;

pub use close_code::{
    client_close_ends_session, close_verdict, CloseCode, CloseVerdict, UnknownCloseCode,
    RESUMABLE_CLIENT_CLOSE, SESSION_ENDING_CLIENT_CLOSE,
};
pub use gateway::{identify_rate_limit_key, shard_for_guild, Compression, Encoding, ZLIB_SUFFIX};
pub use intents::{dispatch_event_names, Intents, EVENT_INTENTS};
pub use json_error::JsonErrorCode;
pub use opcode::{GatewayOpcode, OpcodeDirection, UnknownOpcode};
pub use rest::{headers, is_invalid_request_status, RateLimitScope};
pub use token::Token;

/// The Discord API version acord targets, for REST paths (`/api/v10`) and the
/// gateway query (`?v=10`).
pub const API_VERSION: u8 = 10;

/// API versions Discord still serves (10 and 9; discord-protocol.md §1.1).
pub const SUPPORTED_API_VERSIONS: [u8; 2] = [10, 9];

/// The default REST base URL, without a version.
pub const DEFAULT_API_BASE: &str = "https://discord.com/api";

/// The library name acord reports in IDENTIFY `properties.browser`/`device`.
pub const LIBRARY_NAME: &str = "acord";

/// The project URL used in the `DiscordBot (url, version)` User-Agent.
pub const LIBRARY_URL: &str = "https://github.com/acord-rs/acord";
