//! Bans: create, remove, list, get (discord-protocol.md §11.2).

use acord_core_http::route;

use super::validate::{check_opt_range, check_range, with_reason};
use super::{BoxFuture, Http};
use crate::model::{Ban, GuildId, UserId};
use crate::Result;

/// `delete_message_seconds`: 0-604800 (7 days).
const DELETE_MESSAGE_SECONDS_MAX: i64 = 604_800;
/// Get Guild Bans pages: at most 1000 (the default).
const BANS_LIMIT_MAX: i64 = 1000;

/// Query of Get Guild Bans: `limit` 1-1000 (default 1000), users `before`
/// or `after` an ID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetBans {
    limit: Option<u16>,
    before: Option<UserId>,
    after: Option<UserId>,
}

impl GetBans {
    /// The first page (up to 1000 bans).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many (1-1000).
    pub fn limit(mut self, limit: u16) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Bans of users before this ID.
    pub fn before(mut self, before: UserId) -> Self {
        self.before = Some(before);
        self
    }

    /// Bans of users after this ID.
    pub fn after(mut self, after: UserId) -> Self {
        self.after = Some(after);
        self
    }
}

impl Http {
    /// Bans a user (BAN_MEMBERS) and deletes their messages of the last
    /// `delete_message_seconds` (0-604800):
    /// `PUT /guilds/{guild.id}/bans/{user.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for
    /// `delete_message_seconds` over 604800 or a reason outside 1-512
    /// characters; [`ClientError::Http`](crate::ClientError::Http) when
    /// Discord refuses (`MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; banning twice is harmless.
    pub fn create_ban<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        delete_message_seconds: u32,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            check_range(
                "delete_message_seconds",
                i64::from(delete_message_seconds),
                0,
                DELETE_MESSAGE_SECONDS_MAX,
            )?;
            let request = self
                .client
                .request(route!(PUT "/guilds/{guild_id}/bans/{user_id}",
                guild_id = guild_id, user_id = user_id))
                .json(&serde_json::json!({ "delete_message_seconds": delete_message_seconds }));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Lifts a ban: `DELETE /guilds/{guild.id}/bans/{user.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownBan`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the ban lifted.
    pub fn remove_ban<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/guilds/{guild_id}/bans/{user_id}",
                guild_id = guild_id,
                user_id = user_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Lists bans: `GET /guilds/{guild.id}/bans` with `limit`, `before`,
    /// `after` from `query`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// limit outside 1-1000; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn bans(&self, guild_id: GuildId, query: GetBans) -> BoxFuture<'_, Result<Vec<Ban>>> {
        Box::pin(async move {
            check_opt_range("limit", query.limit, 1, BANS_LIMIT_MAX)?;
            let mut request = self
                .client
                .request(route!(GET "/guilds/{guild_id}/bans", guild_id = guild_id));
            if let Some(limit) = query.limit {
                request = request.query("limit", limit);
            }
            if let Some(before) = query.before {
                request = request.query("before", before);
            }
            if let Some(after) = query.after {
                request = request.query("after", after);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Fetches one ban: `GET /guilds/{guild.id}/bans/{user.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownBan` (404)
    /// when the user is not banned…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn ban(&self, guild_id: GuildId, user_id: UserId) -> BoxFuture<'_, Result<Ban>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/bans/{user_id}",
                guild_id = guild_id, user_id = user_id))
                .send()
                .await?
                .json()?)
        })
    }
}
