//! Guild emojis: list, get, create, edit, delete (discord-protocol.md
//! §11.2). Emoji routes have their own per-guild limits on Discord's side;
//! core-http's limiter handles the 429s.

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, with_reason};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{Emoji, EmojiId, GuildId, RoleId};
use crate::Result;

/// Emoji names: 2-32 characters, letters, digits and `_`.
fn check_emoji_name(name: &str) -> Result<(), ValidationError> {
    check_len("name", name, 2, 32)?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ValidationError::Invalid {
            field: "name",
            reason: "emoji names may only use ASCII letters, digits and `_`",
        });
    }
    Ok(())
}

/// The body of Create Guild Emoji (`POST /guilds/{id}/emojis`,
/// CREATE_GUILD_EXPRESSIONS): a name and the image as a data URI (at most
/// 256 KiB on Discord's side).
///
/// ```
/// use acord::http::CreateEmoji;
/// let emoji = CreateEmoji::new("blobwave", "data:image/png;base64,iVBORw0KGgo=");
/// assert!(emoji.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct CreateEmoji {
    name: String,
    image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<RoleId>,
}

impl CreateEmoji {
    /// An emoji called `name` (2-32 characters) with `image` as a data URI
    /// (`data:image/png;base64,…`; png, jpeg, gif, webp, avif).
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            roles: Vec::new(),
        }
    }

    /// Restricts it to members with one of these roles.
    pub fn roles(mut self, roles: Vec<RoleId>) -> Self {
        self.roles = roles;
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a bad name or an image that is not a data
    /// URI.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_emoji_name(&self.name)?;
        if !self.image.starts_with("data:image/") {
            return Err(ValidationError::Invalid {
                field: "image",
                reason: "must be a data URI: data:image/png;base64,…",
            });
        }
        Ok(())
    }
}

/// The body of Modify Guild Emoji: only the fields set are sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditEmoji {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Option<Vec<RoleId>>>,
}

impl EditEmoji {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// New name (2-32 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Restricts it to these roles, or opens it to everyone with `None`.
    pub fn roles(mut self, roles: Option<Vec<RoleId>>) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a bad name.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match &self.name {
            Some(name) => check_emoji_name(name),
            None => Ok(()),
        }
    }
}

impl Http {
    /// Lists a guild's emojis: `GET /guilds/{guild.id}/emojis`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn emojis(&self, guild_id: GuildId) -> BoxFuture<'_, Result<Vec<Emoji>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/emojis", guild_id = guild_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches one emoji: `GET /guilds/{guild.id}/emojis/{emoji.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownEmoji`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn emoji(&self, guild_id: GuildId, emoji_id: EmojiId) -> BoxFuture<'_, Result<Emoji>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/emojis/{emoji_id}",
                guild_id = guild_id, emoji_id = emoji_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Creates an emoji: `POST /guilds/{guild.id}/emojis` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `emoji` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (30008 max emojis, 50045 image too large…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the emoji created.
    pub fn create_emoji<'a>(
        &'a self,
        guild_id: GuildId,
        emoji: &'a CreateEmoji,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Emoji>> {
        Box::pin(async move {
            emoji.validate()?;
            let request = self
                .client
                .request(route!(POST "/guilds/{guild_id}/emojis", guild_id = guild_id))
                .json(emoji);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Edits an emoji: `PATCH /guilds/{guild.id}/emojis/{emoji.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`create_emoji`](Self::create_emoji), plus `UnknownEmoji`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the emoji edited.
    pub fn edit_emoji<'a>(
        &'a self,
        guild_id: GuildId,
        emoji_id: EmojiId,
        edit: &'a EditEmoji,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Emoji>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/guilds/{guild_id}/emojis/{emoji_id}",
                guild_id = guild_id, emoji_id = emoji_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Deletes an emoji: `DELETE /guilds/{guild.id}/emojis/{emoji.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownEmoji`…
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the emoji deleted.
    pub fn delete_emoji<'a>(
        &'a self,
        guild_id: GuildId,
        emoji_id: EmojiId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/guilds/{guild_id}/emojis/{emoji_id}",
                guild_id = guild_id,
                emoji_id = emoji_id
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
    fn emoji_limits() {
        assert!(CreateEmoji::new("ok_1", "data:image/png;base64,AA==")
            .validate()
            .is_ok());
        assert!(CreateEmoji::new("a", "data:image/png;base64,AA==")
            .validate()
            .is_err());
        assert!(CreateEmoji::new("has space", "data:image/png;base64,AA==")
            .validate()
            .is_err());
        assert!(CreateEmoji::new("ok", "https://x/e.png")
            .validate()
            .is_err());
        assert_eq!(
            serde_json::to_string(&EditEmoji::new().roles(None)).unwrap(),
            r#"{"roles":null}"#
        );
    }
}
