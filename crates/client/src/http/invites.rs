//! Invites: create, get, delete, list a channel's (discord-protocol.md
//! §11.3).

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, check_opt_range, with_reason};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{ChannelId, Invite};
use crate::Result;

/// `max_age`: 0 (never) to 604800 seconds (7 days).
const MAX_AGE_MAX: i64 = 604_800;
/// `max_uses`: 0 (unlimited) to 100.
const MAX_USES_MAX: i64 = 100;

/// The body of Create Channel Invite (`POST /channels/{id}/invites`,
/// CREATE_INSTANT_INVITE): Discord's defaults are 24 hours, unlimited
/// uses.
///
/// ```
/// use acord::http::CreateInvite;
/// let invite = CreateInvite::new().max_age(3600).max_uses(5).unique(true);
/// assert_eq!(
///     serde_json::to_string(&invite).unwrap(),
///     r#"{"max_age":3600,"max_uses":5,"unique":true}"#
/// );
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[must_use]
pub struct CreateInvite {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_uses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temporary: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique: Option<bool>,
}

impl CreateInvite {
    /// An invite with Discord's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seconds until it expires (0 = never, at most 604800).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Uses before it expires (0 = unlimited, at most 100).
    pub fn max_uses(mut self, uses: u32) -> Self {
        self.max_uses = Some(uses);
        self
    }

    /// Members who join through it are kicked when they go offline unless
    /// given a role.
    pub fn temporary(mut self, temporary: bool) -> Self {
        self.temporary = Some(temporary);
        self
    }

    /// Always create a new invite instead of reusing a similar one.
    pub fn unique(mut self, unique: bool) -> Self {
        self.unique = Some(unique);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for `max_age` over 604800 or `max_uses` over
    /// 100.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_opt_range("max_age", self.max_age, 0, MAX_AGE_MAX)?;
        check_opt_range("max_uses", self.max_uses, 0, MAX_USES_MAX)
    }
}

impl Http {
    /// Creates an invite to a channel:
    /// `POST /channels/{channel.id}/invites` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `invite` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30016 max invites, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the invite created.
    pub fn create_invite<'a>(
        &'a self,
        channel_id: ChannelId,
        invite: &'a CreateInvite,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Invite>> {
        Box::pin(async move {
            invite.validate()?;
            let request = self
                .client
                .request(route!(POST "/channels/{channel_id}/invites", channel_id = channel_id))
                .json(invite);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Fetches an invite by code: `GET /invites/{invite.code}`, with
    /// approximate member and presence counts when `with_counts`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty code; [`ClientError::Http`](crate::ClientError::Http):
    /// `UnknownInvite`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn invite<'a>(&'a self, code: &'a str, with_counts: bool) -> BoxFuture<'a, Result<Invite>> {
        Box::pin(async move {
            check_len("code", code, 1, 100)?;
            let mut request = self
                .client
                .request(route!(GET "/invites/{invite_code}", invite_code = code));
            if with_counts {
                request = request.query("with_counts", true);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Deletes an invite (MANAGE_CHANNELS or MANAGE_GUILD):
    /// `DELETE /invites/{invite.code}` (audit-logged). Returns the deleted
    /// invite.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty code or a reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownInvite`…
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the invite deleted.
    pub fn delete_invite<'a>(
        &'a self,
        code: &'a str,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Invite>> {
        Box::pin(async move {
            check_len("code", code, 1, 100)?;
            let request = self
                .client
                .request(route!(DELETE "/invites/{invite_code}", invite_code = code));
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Lists a channel's invites (MANAGE_CHANNELS):
    /// `GET /channels/{channel.id}/invites`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn channel_invites(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<Vec<Invite>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/channels/{channel_id}/invites", channel_id = channel_id))
                .send()
                .await?
                .json()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_limits() {
        assert!(CreateInvite::new().max_age(604_800).validate().is_ok());
        assert!(CreateInvite::new().max_age(604_801).validate().is_err());
        assert!(CreateInvite::new().max_uses(101).validate().is_err());
    }
}
