//! Guild members: get, list, search, edit (nick, roles, timeout, voice),
//! kick, roles (discord-protocol.md §11.2).

use std::time::{Duration, SystemTime};

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, check_opt_range, with_reason};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{ChannelId, GuildId, Member, MemberFlags, RoleId, Timestamp, UserId};
use crate::Result;

/// Nicknames: 1-32 characters.
const NICK_MAX: usize = 32;
/// Member list and search pages: 1-1000.
const MEMBERS_LIMIT_MAX: i64 = 1000;
/// A timeout ends at most 28 days in the future.
const MAX_TIMEOUT: Duration = Duration::from_secs(28 * 24 * 60 * 60);

/// Query of List Guild Members: `limit` 1-1000 (Discord's default is 1),
/// members `after` a user ID, in user ID order. Needs the GUILD_MEMBERS
/// intent enabled for the bot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetMembers {
    limit: Option<u16>,
    after: Option<UserId>,
}

impl GetMembers {
    /// Discord's default page (one member).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many (1-1000).
    pub fn limit(mut self, limit: u16) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Members after this user ID (the last ID of the previous page).
    pub fn after(mut self, after: UserId) -> Self {
        self.after = Some(after);
        self
    }
}

/// The body of Modify Guild Member (`PATCH /guilds/{id}/members/{id}`):
/// only the fields set are sent.
///
/// - `nick` needs MANAGE_NICKNAMES, `roles` MANAGE_ROLES, `mute`/`deaf`
///   MUTE_MEMBERS/DEAFEN_MEMBERS, `channel_id` MOVE_MEMBERS, a timeout
///   MODERATE_MEMBERS.
/// - A timeout ends at most 28 days from now (checked when sent).
///
/// ```
/// use acord::http::EditMember;
/// let edit = EditMember::new().nick(Some("ada")).timeout(None);
/// assert_eq!(
///     serde_json::to_string(&edit).unwrap(),
///     r#"{"nick":"ada","communication_disabled_until":null}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditMember {
    #[serde(skip_serializing_if = "Option::is_none")]
    nick: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<RoleId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deaf: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<Option<ChannelId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    communication_disabled_until: Option<Option<Timestamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<MemberFlags>,
}

impl EditMember {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// New nickname (1-32 characters), or `None` to reset it.
    pub fn nick(mut self, nick: Option<impl Into<String>>) -> Self {
        self.nick = Some(nick.map(Into::into));
        self
    }

    /// Replaces the member's roles.
    pub fn roles(mut self, roles: Vec<RoleId>) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Server mute in voice.
    pub fn mute(mut self, mute: bool) -> Self {
        self.mute = Some(mute);
        self
    }

    /// Server deafen in voice.
    pub fn deaf(mut self, deaf: bool) -> Self {
        self.deaf = Some(deaf);
        self
    }

    /// Moves the member to a voice channel, or disconnects with `None`.
    pub fn voice_channel(mut self, channel_id: Option<ChannelId>) -> Self {
        self.channel_id = Some(channel_id);
        self
    }

    /// Times the member out until a moment (at most 28 days ahead), or
    /// lifts the timeout with `None`.
    pub fn timeout(mut self, until: Option<Timestamp>) -> Self {
        self.communication_disabled_until = Some(until);
        self
    }

    /// Times the member out for `duration` from now (at most 28 days).
    pub fn timeout_for(self, duration: Duration) -> Self {
        self.timeout(Some(Timestamp::from_system_time(
            SystemTime::now() + duration,
        )))
    }

    /// Member flags (only BYPASSES_VERIFICATION can be set).
    pub fn flags(mut self, flags: MemberFlags) -> Self {
        self.flags = Some(flags);
        self
    }

    /// Checks the documented limits against `now`.
    fn validate_at(&self, now: SystemTime) -> Result<(), ValidationError> {
        if let Some(Some(nick)) = &self.nick {
            check_len("nick", nick, 1, NICK_MAX)?;
        }
        if let Some(Some(until)) = self.communication_disabled_until {
            let limit = Timestamp::from_system_time(now + MAX_TIMEOUT + Duration::from_secs(1));
            if until > limit {
                return Err(ValidationError::Invalid {
                    field: "communication_disabled_until",
                    reason: "a timeout ends at most 28 days in the future",
                });
            }
        }
        Ok(())
    }

    /// Checks the documented limits (a timeout against the current time).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a nickname outside 1-32 characters or a
    /// timeout more than 28 days ahead.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_at(SystemTime::now())
    }
}

impl Http {
    /// Fetches a member: `GET /guilds/{guild.id}/members/{user.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownMember`,
    /// `UnknownGuild`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn member(&self, guild_id: GuildId, user_id: UserId) -> BoxFuture<'_, Result<Member>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/members/{user_id}",
                guild_id = guild_id, user_id = user_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists members in user ID order: `GET /guilds/{guild.id}/members`
    /// with `limit` and `after` from `query`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// limit outside 1-1000; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses (`MissingAccess` without the GUILD_MEMBERS
    /// intent…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn members(
        &self,
        guild_id: GuildId,
        query: GetMembers,
    ) -> BoxFuture<'_, Result<Vec<Member>>> {
        Box::pin(async move {
            check_opt_range("limit", query.limit, 1, MEMBERS_LIMIT_MAX)?;
            let mut request = self
                .client
                .request(route!(GET "/guilds/{guild_id}/members", guild_id = guild_id));
            if let Some(limit) = query.limit {
                request = request.query("limit", limit);
            }
            if let Some(after) = query.after {
                request = request.query("after", after);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Searches members whose username or nickname starts with `query`:
    /// `GET /guilds/{guild.id}/members/search?query=…&limit=…` (limit
    /// 1-1000).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty query or a limit outside 1-1000;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn search_members<'a>(
        &'a self,
        guild_id: GuildId,
        query: &'a str,
        limit: u16,
    ) -> BoxFuture<'a, Result<Vec<Member>>> {
        Box::pin(async move {
            check_len("query", query, 1, usize::MAX)?;
            check_opt_range("limit", Some(limit), 1, MEMBERS_LIMIT_MAX)?;
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/members/search", guild_id = guild_id))
                .query("query", query)
                .query("limit", limit)
                .send()
                .await?
                .json()?)
        })
    }

    /// Edits a member (nickname, roles, timeout, voice):
    /// `PATCH /guilds/{guild.id}/members/{user.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `edit` breaks a limit (see [`EditMember::validate`]) or the reason
    /// is not 1-512 characters; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses (`MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the member edited.
    pub fn edit_member<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        edit: &'a EditMember,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Member>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/guilds/{guild_id}/members/{user_id}",
                guild_id = guild_id, user_id = user_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Kicks a member (KICK_MEMBERS):
    /// `DELETE /guilds/{guild.id}/members/{user.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownMember`, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the member kicked.
    pub fn kick_member<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/guilds/{guild_id}/members/{user_id}",
                guild_id = guild_id,
                user_id = user_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Gives a member a role (MANAGE_ROLES):
    /// `PUT /guilds/{guild.id}/members/{user.id}/roles/{role.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownRole`, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; adding a role twice is harmless.
    pub fn add_member_role<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        role_id: RoleId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                PUT "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                guild_id = guild_id,
                user_id = user_id,
                role_id = role_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Takes a role from a member (MANAGE_ROLES):
    /// `DELETE /guilds/{guild.id}/members/{user.id}/roles/{role.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`add_member_role`](Self::add_member_role).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing a role twice is harmless.
    pub fn remove_member_role<'a>(
        &'a self,
        guild_id: GuildId,
        user_id: UserId,
        role_id: RoleId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                guild_id = guild_id,
                user_id = user_id,
                role_id = role_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_member_limits() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let at = |secs: u64| Timestamp::from_system_time(now + Duration::from_secs(secs));
        assert!(EditMember::new()
            .timeout(Some(at(28 * 24 * 3600)))
            .validate_at(now)
            .is_ok());
        assert!(EditMember::new()
            .timeout(Some(at(29 * 24 * 3600)))
            .validate_at(now)
            .is_err());
        assert!(EditMember::new().nick(Some("")).validate_at(now).is_err());
        assert!(EditMember::new()
            .nick(Some("x".repeat(33)))
            .validate_at(now)
            .is_err());
        assert!(EditMember::new()
            .nick(None::<String>)
            .validate_at(now)
            .is_ok());
    }
}
