//! Typed REST endpoints: [`Http`], a cheap handle over core-http's
//! [`HttpClient`] whose methods take and return acord's models.
//!
//! Every typed call goes through the same [`HttpClient`] — and so the same
//! rate limiter — as a raw [`Route`] request made with
//! [`Http::request`], so mixing the two never earns a 429.

mod audit_log;
mod bans;
mod channels;
mod commands;
mod emojis;
mod guilds;
mod interactions;
mod invites;
mod members;
mod messages;
mod reactions;
mod roles;
mod threads;
mod users;
mod validate;
mod webhooks;

pub use audit_log::GetAuditLog;
pub use bans::GetBans;
pub use channels::{CreateChannel, EditChannel};
pub use emojis::{CreateEmoji, EditEmoji};
pub use guilds::EditGuild;
pub use invites::CreateInvite;
pub use members::{EditMember, GetMembers};
pub use messages::{AttachmentFile, GetMessages, GetPins};
pub use reactions::{GetReactions, ReactionEmoji};
pub use roles::{CreateRole, EditRole};
pub use threads::{CreateThread, GetArchivedThreads};
pub use webhooks::{CreateWebhook, EditWebhook, ExecuteWebhook};

use std::sync::{Arc, OnceLock};

use acord_core_http::{HttpClient, RequestBuilder, Route};

use crate::model::ApplicationId;

/// A boxed, `Send` future, as the REST methods return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The typed REST client: core-http's [`HttpClient`] plus acord's models.
///
/// Cheap to clone (an `Arc` inside). Reach it in a handler with
/// [`Context::http`](crate::Context::http), or build one around any
/// [`HttpClient`] with [`Http::new`].
#[derive(Clone, Debug)]
pub struct Http {
    client: HttpClient,
    application_id: Arc<OnceLock<ApplicationId>>,
}

impl Http {
    /// Wraps a core-http client (its token, API base, rate limiter and
    /// proxy come with it).
    pub fn new(client: HttpClient) -> Self {
        Self {
            client,
            application_id: Arc::new(OnceLock::new()),
        }
    }

    /// The core-http client underneath, for raw requests.
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// Starts a raw request to any `route`, through the same rate limiter
    /// as the typed calls.
    pub fn request(&self, route: Route) -> RequestBuilder {
        self.client.request(route)
    }

    /// The bot's application id, once known (from READY, or set with
    /// [`set_application_id`](Self::set_application_id)).
    pub fn application_id(&self) -> Option<ApplicationId> {
        self.application_id.get().copied()
    }

    /// Records the bot's application id (the client does this on READY);
    /// the first value set wins.
    pub fn set_application_id(&self, id: ApplicationId) {
        let _ = self.application_id.set(id);
    }
}

impl AsRef<Http> for Http {
    fn as_ref(&self) -> &Http {
        self
    }
}

impl From<HttpClient> for Http {
    fn from(client: HttpClient) -> Self {
        Self::new(client)
    }
}
