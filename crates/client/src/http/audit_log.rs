//! The guild audit log (discord-protocol.md §11.2).

use acord_core_http::route;

use super::validate::check_opt_range;
use super::{BoxFuture, Http};
use crate::model::{AuditLog, AuditLogEntryId, AuditLogEvent, GuildId, UserId};
use crate::Result;

/// Query of Get Guild Audit Log: entries by a user, of an action type,
/// `before`/`after` an entry ID, `limit` 1-100 (default 50).
///
/// ```
/// use acord::http::GetAuditLog;
/// use acord::model::AuditLogEvent;
/// let query = GetAuditLog::new().action_type(AuditLogEvent::MemberKick).limit(10);
/// # let _ = query;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetAuditLog {
    user_id: Option<UserId>,
    action_type: Option<AuditLogEvent>,
    before: Option<AuditLogEntryId>,
    after: Option<AuditLogEntryId>,
    limit: Option<u8>,
}

impl GetAuditLog {
    /// The newest entries of any kind.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only entries made by this user (or bot).
    pub fn user(mut self, user_id: UserId) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Only entries of this action.
    pub fn action_type(mut self, action: AuditLogEvent) -> Self {
        self.action_type = Some(action);
        self
    }

    /// Entries before (older than) this one.
    pub fn before(mut self, id: AuditLogEntryId) -> Self {
        self.before = Some(id);
        self
    }

    /// Entries after (newer than) this one.
    pub fn after(mut self, id: AuditLogEntryId) -> Self {
        self.after = Some(id);
        self
    }

    /// How many (1-100).
    pub fn limit(mut self, limit: u8) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Http {
    /// Fetches a guild's audit log (VIEW_AUDIT_LOG):
    /// `GET /guilds/{guild.id}/audit-logs` with the filters of `query`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// limit outside 1-100; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses (`MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn audit_log(
        &self,
        guild_id: GuildId,
        query: GetAuditLog,
    ) -> BoxFuture<'_, Result<AuditLog>> {
        Box::pin(async move {
            check_opt_range("limit", query.limit, 1, 100)?;
            let mut request = self
                .client
                .request(route!(GET "/guilds/{guild_id}/audit-logs", guild_id = guild_id));
            if let Some(user_id) = query.user_id {
                request = request.query("user_id", user_id);
            }
            if let Some(action) = query.action_type {
                request = request.query("action_type", action.value());
            }
            if let Some(before) = query.before {
                request = request.query("before", before);
            }
            if let Some(after) = query.after {
                request = request.query("after", after);
            }
            if let Some(limit) = query.limit {
                request = request.query("limit", limit);
            }
            Ok(request.send().await?.json()?)
        })
    }
}
