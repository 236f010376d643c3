//! Interactions: slash commands, context-menu commands, buttons and
//! selects, modals and autocomplete — received, routed and answered within
//! Discord's deadlines.
//!
//! An [`InteractionRouter`] maps commands (by name and subcommand path),
//! components (by `custom_id` prefix, so buttons keep working after a
//! restart: state lives in the id), modals and autocomplete requests to
//! async handlers. Each handler gets an [`InteractionContext`] with typed
//! options and the ways to answer. Plug it into the client with
//! [`ClientBuilder::interactions`](crate::ClientBuilder::interactions):
//!
//! ```no_run
//! use acord::interactions::{InteractionContext, InteractionRouter};
//! use acord::{Client, Intents};
//!
//! async fn ping(ctx: InteractionContext) -> Result<(), acord::interactions::InteractionError> {
//!     ctx.reply(format!("pong ({} ms left)", ctx.time_left().as_millis())).await
//! }
//!
//! # async fn run(token: String) -> Result<(), acord::ClientError> {
//! let router = InteractionRouter::new()
//!     .command("ping", ping)
//!     .component("count:", |ctx: InteractionContext| async move {
//!         let n: u32 = ctx.custom_id().and_then(|id| id["count:".len()..].parse().ok()).unwrap_or(0);
//!         ctx.reply_ephemeral(format!("clicked at {n}")).await
//!     });
//! let client = Client::builder(token, Intents::empty()).interactions(router).build().await?;
//! client.start().await
//! # }
//! ```
//!
//! With the `http-interactions` feature, `Server` receives the same
//! interactions at an Interactions Endpoint URL instead (Ed25519-verified,
//! the initial response in the HTTP reply) and routes them through the
//! same router.
//!
//! Discord wants an initial response within 3 seconds
//! ([`RESPONSE_WINDOW`]) and exactly one; after that the interaction token
//! works for 15 minutes of follow-ups. See the [guide](https://discord.com/developers/docs/interactions/receiving-and-responding).

mod context;
mod options;
mod router;
#[cfg(feature = "http-interactions")]
mod server;

use std::time::Duration;

pub use context::InteractionContext;
pub use options::{Mentionable, OptionError, Options};
pub use router::{checks, HandlerError, InteractionRouter};
#[cfg(feature = "http-interactions")]
pub use server::{PublicKey, Server, ServerBuilder, ServerError, ServerHandle};

use crate::model::InteractionId;
use crate::ClientError;

/// How long Discord waits for the initial response.
pub const RESPONSE_WINDOW: Duration = Duration::from_secs(3);

/// Why answering an interaction failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InteractionError {
    /// It was already answered (or deferred): Discord takes one initial
    /// response.
    #[error(
        "interaction {interaction} ({name}) was already answered ({elapsed:?} after it arrived): \
         answer once, then use followup() or edit_response()"
    )]
    AlreadyAnswered {
        /// The interaction.
        interaction: InteractionId,
        /// The command path or custom id.
        name: String,
        /// Time since it arrived.
        elapsed: Duration,
    },
    /// The 3-second window for the initial response is over; nothing was
    /// sent.
    #[error(
        "interaction {interaction} ({name}) answered {elapsed:?} after it arrived, past Discord's \
         3 s window: defer() first (or enable the router's auto_defer) and respond after"
    )]
    TooLate {
        /// The interaction.
        interaction: InteractionId,
        /// The command path or custom id.
        name: String,
        /// Time since it arrived.
        elapsed: Duration,
    },
    /// This kind of answer does not fit this kind of interaction.
    #[error("{name}: this answer needs {wanted}")]
    WrongKind {
        /// The command path or custom id.
        name: String,
        /// What the answer needs.
        wanted: &'static str,
    },
    /// The interactions endpoint's HTTP request is gone (Discord gave up,
    /// or the server shut down): the initial response cannot be sent.
    #[error(
        "interaction {interaction} ({name}): the HTTP request carrying it was closed before the answer"
    )]
    ReplyClosed {
        /// The interaction.
        interaction: InteractionId,
        /// The command path or custom id.
        name: String,
    },
    /// An option could not be read.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// Discord refused, or the request failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}
