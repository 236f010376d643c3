//! Roles: list, get, create, edit, reorder, delete (discord-protocol.md
//! §11.2).

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, check_opt_range, with_reason};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{GuildId, Permissions, Role, RoleId};
use crate::Result;

/// Role names: at most 100 characters.
const ROLE_NAME_MAX: usize = 100;
/// Colours are RGB integers.
const COLOR_MAX: i64 = 0xFF_FFFF;

macro_rules! role_fields {
    ($ty:ident) => {
        impl $ty {
            /// Name (at most 100 characters).
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.name = Some(name.into());
                self
            }

            /// Permissions granted.
            pub fn permissions(mut self, permissions: Permissions) -> Self {
                self.permissions = Some(permissions);
                self
            }

            /// Colour as `0xRRGGBB` (0 = no colour).
            pub fn color(mut self, color: u32) -> Self {
                self.color = Some(color);
                self
            }

            /// Shown separately in the member list.
            pub fn hoist(mut self, hoist: bool) -> Self {
                self.hoist = Some(hoist);
                self
            }

            /// Anyone can @mention it.
            pub fn mentionable(mut self, mentionable: bool) -> Self {
                self.mentionable = Some(mentionable);
                self
            }

            /// Checks the documented limits.
            ///
            /// # Errors
            ///
            /// [`ValidationError`] for a name over 100 characters or a
            /// colour over `0xFFFFFF`.
            pub fn validate(&self) -> Result<(), ValidationError> {
                if let Some(name) = &self.name {
                    check_len("name", name, 0, ROLE_NAME_MAX)?;
                }
                check_opt_range("color", self.color, 0, COLOR_MAX)
            }
        }
    };
}

/// The body of Create Guild Role (`POST /guilds/{id}/roles`): fields not
/// set take Discord's defaults (`new role`, `@everyone`'s permissions, no
/// colour).
///
/// ```
/// use acord::http::CreateRole;
/// use acord::model::Permissions;
/// let role = CreateRole::new().name("mods").permissions(Permissions::KICK_MEMBERS).hoist(true);
/// assert_eq!(
///     serde_json::to_string(&role).unwrap(),
///     r#"{"name":"mods","permissions":"2","hoist":true}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct CreateRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<Permissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hoist: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mentionable: Option<bool>,
}

impl CreateRole {
    /// A role with Discord's defaults until fields are set.
    pub fn new() -> Self {
        Self::default()
    }
}

role_fields!(CreateRole);

/// The body of Modify Guild Role (`PATCH /guilds/{id}/roles/{id}`): only
/// the fields set are sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditRole {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<Permissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hoist: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mentionable: Option<bool>,
}

impl EditRole {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }
}

role_fields!(EditRole);

#[derive(Serialize)]
struct RolePosition {
    id: RoleId,
    position: i32,
}

impl Http {
    /// Lists a guild's roles: `GET /guilds/{guild.id}/roles`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn roles(&self, guild_id: GuildId) -> BoxFuture<'_, Result<Vec<Role>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/roles", guild_id = guild_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches one role: `GET /guilds/{guild.id}/roles/{role.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownRole`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn role(&self, guild_id: GuildId, role_id: RoleId) -> BoxFuture<'_, Result<Role>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/roles/{role_id}",
                guild_id = guild_id, role_id = role_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Creates a role (MANAGE_ROLES): `POST /guilds/{guild.id}/roles`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `role` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30005 max roles, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the role created.
    pub fn create_role<'a>(
        &'a self,
        guild_id: GuildId,
        role: &'a CreateRole,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Role>> {
        Box::pin(async move {
            role.validate()?;
            let request = self
                .client
                .request(route!(POST "/guilds/{guild_id}/roles", guild_id = guild_id))
                .json(role);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Edits a role (MANAGE_ROLES):
    /// `PATCH /guilds/{guild.id}/roles/{role.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`create_role`](Self::create_role), plus `UnknownRole`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the role edited.
    pub fn edit_role<'a>(
        &'a self,
        guild_id: GuildId,
        role_id: RoleId,
        edit: &'a EditRole,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Role>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/guilds/{guild_id}/roles/{role_id}",
                guild_id = guild_id, role_id = role_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Moves roles: `PATCH /guilds/{guild.id}/roles` with
    /// `[{id, position}]` (audit-logged). Returns all the guild's roles.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty list or a reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the roles moved.
    pub fn edit_role_positions<'a>(
        &'a self,
        guild_id: GuildId,
        positions: &'a [(RoleId, i32)],
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Role>>> {
        Box::pin(async move {
            if positions.is_empty() {
                return Err(ValidationError::TooFew {
                    field: "positions",
                    actual: 0,
                    min: 1,
                }
                .into());
            }
            let body: Vec<RolePosition> = positions
                .iter()
                .map(|&(id, position)| RolePosition { id, position })
                .collect();
            let request = self
                .client
                .request(route!(PATCH "/guilds/{guild_id}/roles", guild_id = guild_id))
                .json(&body);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Deletes a role (MANAGE_ROLES):
    /// `DELETE /guilds/{guild.id}/roles/{role.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownRole`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the role deleted.
    pub fn delete_role<'a>(
        &'a self,
        guild_id: GuildId,
        role_id: RoleId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/guilds/{guild_id}/roles/{role_id}",
                guild_id = guild_id,
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
    fn role_limits() {
        assert!(CreateRole::new().name("x".repeat(100)).validate().is_ok());
        assert!(CreateRole::new().name("x".repeat(101)).validate().is_err());
        assert!(EditRole::new().color(0x100_0000).validate().is_err());
        assert_eq!(
            serde_json::to_string(&EditRole::new().color(0xFF0000)).unwrap(),
            r#"{"color":16711680}"#
        );
    }
}
