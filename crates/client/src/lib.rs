//! # acord
//!
//! An async Discord bot framework. This crate is the layer bot code
//! touches: typed models ([`model`]), typed gateway events ([`event`]) and
//! validated payloads for what a bot sends ([`command`]). The protocol
//! layers underneath are re-exported as [`core`].
//!
//! ## Which layer do I need?
//!
//! - Reacting to events and sending messages: this crate.
//! - A raw request acord has not wrapped: [`core::http`].
//! - Your own shard driver: [`core::gateway`]; protocol constants:
//!   [`core::signals`].
//!
//! ## Example: typed events from raw dispatches
//!
//! ```
//! use acord::event::{Event, EventTypeFlags};
//!
//! let wanted = EventTypeFlags::MESSAGE_CREATE;
//! let (name, raw) = ("TYPING_START", br#"{"channel_id":"1","user_id":"2","timestamp":3}"#);
//! if EventTypeFlags::from_name(name).is_some_and(|f| wanted.contains(f)) {
//!     unreachable!("typing is not wanted");
//! }
//! let event = Event::from_dispatch(name, raw).unwrap();
//! assert_eq!(event.name(), "TYPING_START");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(rustdoc::broken_intra_doc_links)]
mod actions;
mod client;
pub mod command;
mod error;
pub mod event;
pub mod http;
pub mod model;

pub use acord_core_gateway::ShardScheme;
pub use acord_core_signals::Intents;
pub use client::{Client, ClientBuilder, Context, DispatchError, ShardHandle, ShutdownHandle};
pub use error::{ClientError, Result};
pub use event::EventHandler;
pub use http::Http;

/// The protocol layers acord is built on.
pub mod core {
    pub use acord_core_gateway as gateway;
    pub use acord_core_http as http;
    pub use acord_core_signals as signals;
}
