//! Typed REST endpoints: [`Http`], a cheap handle over core-http's
//! [`HttpClient`] whose methods take and return acord's models.
//!
//! Every typed call goes through the same [`HttpClient`] — and so the same
//! rate limiter — as a raw [`Route`] request made with
//! [`Http::request`], so mixing the two never earns a 429.

use std::sync::{Arc, OnceLock};

use acord_core_http::{HttpClient, RequestBuilder, Route};

use crate::model::ApplicationId;

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
