//! Guilds: get, edit, leave, channels (discord-protocol.md §11.1, §11.2).

use acord_core_http::route;
use serde::Serialize;

use super::validate::{check_len, with_reason};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{
    Channel, ChannelId, DefaultMessageNotificationLevel, ExplicitContentFilterLevel, Guild,
    GuildId, SystemChannelFlags, VerificationLevel,
};
use crate::Result;

/// Guild names: 2-100 characters.
const GUILD_NAME_MIN: usize = 2;
/// Guild names: 2-100 characters.
const GUILD_NAME_MAX: usize = 100;

/// The body of Modify Guild (`PATCH /guilds/{id}`, MANAGE_GUILD): only the
/// fields set are sent.
///
/// ```
/// use acord::http::EditGuild;
/// let edit = EditGuild::new().name("Rustaceans").system_channel(None);
/// assert_eq!(
///     serde_json::to_string(&edit).unwrap(),
///     r#"{"name":"Rustaceans","system_channel_id":null}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditGuild {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_level: Option<VerificationLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_message_notifications: Option<DefaultMessageNotificationLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explicit_content_filter: Option<ExplicitContentFilterLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    afk_channel_id: Option<Option<ChannelId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    afk_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_channel_id: Option<Option<ChannelId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_channel_flags: Option<SystemChannelFlags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_locale: Option<String>,
}

impl EditGuild {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// New name (2-100 characters).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// New icon as a data URI (`data:image/png;base64,…`), or `None` to
    /// remove it.
    pub fn icon(mut self, icon: Option<impl Into<String>>) -> Self {
        self.icon = Some(icon.map(Into::into));
        self
    }

    /// New description, or `None` to remove it.
    pub fn description(mut self, description: Option<impl Into<String>>) -> Self {
        self.description = Some(description.map(Into::into));
        self
    }

    /// Verification level.
    pub fn verification_level(mut self, level: VerificationLevel) -> Self {
        self.verification_level = Some(level);
        self
    }

    /// Default notification level.
    pub fn default_message_notifications(mut self, level: DefaultMessageNotificationLevel) -> Self {
        self.default_message_notifications = Some(level);
        self
    }

    /// Explicit content filter.
    pub fn explicit_content_filter(mut self, level: ExplicitContentFilterLevel) -> Self {
        self.explicit_content_filter = Some(level);
        self
    }

    /// AFK voice channel, or `None` for none.
    pub fn afk_channel(mut self, channel_id: Option<ChannelId>) -> Self {
        self.afk_channel_id = Some(channel_id);
        self
    }

    /// AFK timeout in seconds (60, 300, 900, 1800 or 3600).
    pub fn afk_timeout(mut self, seconds: u32) -> Self {
        self.afk_timeout = Some(seconds);
        self
    }

    /// System message channel, or `None` for none.
    pub fn system_channel(mut self, channel_id: Option<ChannelId>) -> Self {
        self.system_channel_id = Some(channel_id);
        self
    }

    /// System channel flags.
    pub fn system_channel_flags(mut self, flags: SystemChannelFlags) -> Self {
        self.system_channel_flags = Some(flags);
        self
    }

    /// Preferred locale (`en-US`, …).
    pub fn preferred_locale(mut self, locale: impl Into<String>) -> Self {
        self.preferred_locale = Some(locale.into());
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a name outside 2-100 characters, an icon
    /// that is not a data URI or an undocumented AFK timeout.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(name) = &self.name {
            check_len("name", name, GUILD_NAME_MIN, GUILD_NAME_MAX)?;
        }
        if let Some(Some(icon)) = &self.icon {
            if !icon.starts_with("data:image/") {
                return Err(ValidationError::Invalid {
                    field: "icon",
                    reason: "must be a data URI: data:image/png;base64,…",
                });
            }
        }
        if self
            .afk_timeout
            .is_some_and(|t| ![60, 300, 900, 1800, 3600].contains(&t))
        {
            return Err(ValidationError::Invalid {
                field: "afk_timeout",
                reason: "must be 60, 300, 900, 1800 or 3600 seconds",
            });
        }
        Ok(())
    }
}

impl Http {
    /// Fetches a guild: `GET /guilds/{guild.id}`, with
    /// `approximate_member_count` and `approximate_presence_count` when
    /// `with_counts`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownGuild`,
    /// `MissingAccess` when the bot is not in it…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn guild(&self, guild_id: GuildId, with_counts: bool) -> BoxFuture<'_, Result<Guild>> {
        Box::pin(async move {
            let mut request = self
                .client
                .request(route!(GET "/guilds/{guild_id}", guild_id = guild_id));
            if with_counts {
                request = request.query("with_counts", true);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Edits a guild (MANAGE_GUILD): `PATCH /guilds/{guild.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `edit` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the guild edited.
    pub fn edit_guild<'a>(
        &'a self,
        guild_id: GuildId,
        edit: &'a EditGuild,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Guild>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/guilds/{guild_id}", guild_id = guild_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Leaves a guild: `DELETE /users/@me/guilds/{guild.id}`. The gateway
    /// then sends GUILD_DELETE.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownGuild`
    /// when the bot is not in it…
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the bot gone from the guild.
    pub fn leave_guild(&self, guild_id: GuildId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = guild_id))
                .send()
                .await?;
            Ok(())
        })
    }

    /// Lists a guild's channels (not threads): `GET /guilds/{guild.id}/channels`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn guild_channels(&self, guild_id: GuildId) -> BoxFuture<'_, Result<Vec<Channel>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/channels", guild_id = guild_id))
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
    fn edit_guild_limits() {
        assert!(EditGuild::new().name("ok").validate().is_ok());
        assert!(EditGuild::new().name("x").validate().is_err());
        assert!(EditGuild::new()
            .icon(Some("https://x/icon.png"))
            .validate()
            .is_err());
        assert!(EditGuild::new().icon(None::<String>).validate().is_ok());
        assert!(EditGuild::new().afk_timeout(61).validate().is_err());
    }
}
