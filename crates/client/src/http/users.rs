//! Users and DMs (discord-protocol.md §11.1).

use acord_core_http::route;

use super::{BoxFuture, Http};
use crate::model::{Channel, User, UserId};
use crate::Result;

impl Http {
    /// Fetches a user: `GET /users/{user.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownUser`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn user(&self, user_id: UserId) -> BoxFuture<'_, Result<User>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/users/{user_id}", user_id = user_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches the bot's own user: `GET /users/@me`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): 401 for an invalid
    /// token…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn current_user(&self) -> BoxFuture<'_, Result<User>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/users/@me"))
                .send()
                .await?
                .json()?)
        })
    }

    /// Opens (or returns the existing) DM channel with a user:
    /// `POST /users/@me/channels` with `{recipient_id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (40003 opening DMs too fast, 50033 invalid recipient…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; opening the same DM twice returns the same channel.
    pub fn create_dm(&self, user_id: UserId) -> BoxFuture<'_, Result<Channel>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(POST "/users/@me/channels"))
                .json(&serde_json::json!({ "recipient_id": user_id }))
                .send()
                .await?
                .json()?)
        })
    }
}
