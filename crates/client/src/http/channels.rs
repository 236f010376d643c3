//! Channels: get, create in a guild, edit, delete, permission overwrites
//! (discord-protocol.md §11.2, §11.3).

use acord_core_http::route;
use serde::Serialize;

use super::validate::{
    check_auto_archive, check_len, check_opt_range, with_reason, CHANNEL_NAME_MAX,
    RATE_LIMIT_PER_USER_MAX,
};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{
    Channel, ChannelId, ChannelType, GenericId, GuildId, OverwriteType, PermissionOverwrite,
    Permissions,
};
use crate::Result;

/// Topic: 0-1024 characters (0-4096 in forum and media channels).
const TOPIC_MAX: usize = 1024;
/// Forum and media channel topics: 0-4096 characters.
const FORUM_TOPIC_MAX: usize = 4096;

fn check_topic(topic: Option<&str>, kind: Option<ChannelType>) -> Result<(), ValidationError> {
    let max = match kind {
        Some(ChannelType::GuildForum | ChannelType::GuildMedia) => FORUM_TOPIC_MAX,
        // The kind is unknown for an edit: let Discord judge 1025-4096.
        None => FORUM_TOPIC_MAX,
        Some(_) => TOPIC_MAX,
    };
    match topic {
        Some(topic) => check_len("topic", topic, 0, max),
        None => Ok(()),
    }
}

/// The body of Create Guild Channel (`POST /guilds/{id}/channels`).
///
/// Checked before sending: name 1-100, topic 0-1024 (4096 for forum and
/// media), slowmode 0-21600 s, auto-archive 60/1440/4320/10080.
///
/// ```
/// use acord::http::CreateChannel;
/// use acord::model::ChannelType;
/// let channel = CreateChannel::new("announcements")
///     .kind(ChannelType::GuildAnnouncement)
///     .topic("News");
/// # let _ = channel;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct CreateChannel {
    name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<ChannelType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bitrate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limit_per_user: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<i32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    permission_overwrites: Vec<PermissionOverwrite>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<ChannelId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nsfw: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_auto_archive_duration: Option<u32>,
}

impl CreateChannel {
    /// A text channel called `name` (1-100 characters).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: None,
            topic: None,
            bitrate: None,
            user_limit: None,
            rate_limit_per_user: None,
            position: None,
            permission_overwrites: Vec::new(),
            parent_id: None,
            nsfw: None,
            default_auto_archive_duration: None,
        }
    }

    /// The channel type (text when not set).
    pub fn kind(mut self, kind: ChannelType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Topic (0-1024 characters; 0-4096 for forum and media).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Voice bitrate in bits per second.
    pub fn bitrate(mut self, bitrate: u32) -> Self {
        self.bitrate = Some(bitrate);
        self
    }

    /// Voice user limit (0 = none).
    pub fn user_limit(mut self, limit: u32) -> Self {
        self.user_limit = Some(limit);
        self
    }

    /// Slowmode in seconds (0-21600).
    pub fn rate_limit_per_user(mut self, seconds: u32) -> Self {
        self.rate_limit_per_user = Some(seconds);
        self
    }

    /// Sorting position.
    pub fn position(mut self, position: i32) -> Self {
        self.position = Some(position);
        self
    }

    /// Adds a permission overwrite.
    pub fn permission_overwrite(mut self, overwrite: PermissionOverwrite) -> Self {
        self.permission_overwrites.push(overwrite);
        self
    }

    /// The category it goes in.
    pub fn parent(mut self, parent_id: ChannelId) -> Self {
        self.parent_id = Some(parent_id);
        self
    }

    /// Age-restricted.
    pub fn nsfw(mut self, nsfw: bool) -> Self {
        self.nsfw = Some(nsfw);
        self
    }

    /// Default auto-archive minutes of new threads (60, 1440, 4320, 10080).
    pub fn default_auto_archive_duration(mut self, minutes: u32) -> Self {
        self.default_auto_archive_duration = Some(minutes);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first field out of bounds.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_len("name", &self.name, 1, CHANNEL_NAME_MAX)?;
        check_topic(
            self.topic.as_deref(),
            Some(self.kind.unwrap_or(ChannelType::GuildText)),
        )?;
        if self.kind.is_some_and(ChannelType::is_thread) {
            return Err(ValidationError::Invalid {
                field: "type",
                reason: "threads are started with create_thread, not create_guild_channel",
            });
        }
        check_opt_range(
            "rate_limit_per_user",
            self.rate_limit_per_user,
            0,
            RATE_LIMIT_PER_USER_MAX,
        )?;
        check_auto_archive(
            "default_auto_archive_duration",
            self.default_auto_archive_duration,
        )?;
        Ok(())
    }
}

/// The body of Modify Channel (`PATCH /channels/{id}`): only the fields
/// set are sent. Thread fields (`archived`, `locked`, …) apply to threads.
///
/// ```
/// use acord::http::EditChannel;
/// let edit = EditChannel::new().name("general-2").topic(None::<String>);
/// assert_eq!(
///     serde_json::to_string(&edit).unwrap(),
///     r#"{"name":"general-2","topic":null}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct EditChannel {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nsfw: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limit_per_user: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bitrate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission_overwrites: Option<Vec<PermissionOverwrite>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<Option<ChannelId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    archived: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_archive_duration: Option<u32>,
}

impl EditChannel {
    /// Changes nothing until a field is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// New name (1-100).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// New topic, or `None` to clear it.
    pub fn topic(mut self, topic: Option<impl Into<String>>) -> Self {
        self.topic = Some(topic.map(Into::into));
        self
    }

    /// New position.
    pub fn position(mut self, position: i32) -> Self {
        self.position = Some(position);
        self
    }

    /// Age-restricted.
    pub fn nsfw(mut self, nsfw: bool) -> Self {
        self.nsfw = Some(nsfw);
        self
    }

    /// Slowmode in seconds (0-21600).
    pub fn rate_limit_per_user(mut self, seconds: u32) -> Self {
        self.rate_limit_per_user = Some(seconds);
        self
    }

    /// Voice bitrate.
    pub fn bitrate(mut self, bitrate: u32) -> Self {
        self.bitrate = Some(bitrate);
        self
    }

    /// Voice user limit.
    pub fn user_limit(mut self, limit: u32) -> Self {
        self.user_limit = Some(limit);
        self
    }

    /// Replaces all permission overwrites.
    pub fn permission_overwrites(mut self, overwrites: Vec<PermissionOverwrite>) -> Self {
        self.permission_overwrites = Some(overwrites);
        self
    }

    /// Moves it into a category, or out of one with `None`.
    pub fn parent(mut self, parent_id: Option<ChannelId>) -> Self {
        self.parent_id = Some(parent_id);
        self
    }

    /// Threads: archive or unarchive.
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = Some(archived);
        self
    }

    /// Threads: lock (only MANAGE_THREADS can unarchive).
    pub fn locked(mut self, locked: bool) -> Self {
        self.locked = Some(locked);
        self
    }

    /// Private threads: whether non-moderators can add others.
    pub fn invitable(mut self, invitable: bool) -> Self {
        self.invitable = Some(invitable);
        self
    }

    /// Threads: minutes of inactivity before archiving (60, 1440, 4320,
    /// 10080).
    pub fn auto_archive_duration(mut self, minutes: u32) -> Self {
        self.auto_archive_duration = Some(minutes);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first field out of bounds.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(name) = &self.name {
            check_len("name", name, 1, CHANNEL_NAME_MAX)?;
        }
        check_topic(self.topic.as_ref().and_then(Option::as_deref), None)?;
        check_opt_range(
            "rate_limit_per_user",
            self.rate_limit_per_user,
            0,
            RATE_LIMIT_PER_USER_MAX,
        )?;
        check_auto_archive("auto_archive_duration", self.auto_archive_duration)?;
        Ok(())
    }
}

#[derive(Serialize)]
struct OverwriteBody {
    allow: Permissions,
    deny: Permissions,
    #[serde(rename = "type")]
    kind: OverwriteType,
}

impl Http {
    /// Fetches a channel or thread: `GET /channels/{channel.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownChannel`
    /// (404), `MissingAccess`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn channel(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<Channel>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/channels/{channel_id}", channel_id = channel_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Creates a channel in a guild (MANAGE_CHANNELS):
    /// `POST /guilds/{guild.id}/channels` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `channel` breaks a limit (see [`CreateChannel::validate`]) or the
    /// reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the channel created.
    pub fn create_guild_channel<'a>(
        &'a self,
        guild_id: GuildId,
        channel: &'a CreateChannel,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Channel>> {
        Box::pin(async move {
            channel.validate()?;
            let request = self
                .client
                .request(route!(POST "/guilds/{guild_id}/channels", guild_id = guild_id))
                .json(channel);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Edits a channel or thread: `PATCH /channels/{channel.id}`
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
    /// the channel edited.
    pub fn edit_channel<'a>(
        &'a self,
        channel_id: ChannelId,
        edit: &'a EditChannel,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Channel>> {
        Box::pin(async move {
            edit.validate()?;
            let request = self
                .client
                .request(route!(PATCH "/channels/{channel_id}", channel_id = channel_id))
                .json(edit);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Deletes a guild channel or thread, or closes a DM:
    /// `DELETE /channels/{channel.id}` (audit-logged). Returns the deleted
    /// channel.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the channel deleted.
    pub fn delete_channel<'a>(
        &'a self,
        channel_id: ChannelId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Channel>> {
        Box::pin(async move {
            let request = self
                .client
                .request(route!(DELETE "/channels/{channel_id}", channel_id = channel_id));
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Creates or replaces a permission overwrite for a role or member:
    /// `PUT /channels/{channel.id}/permissions/{overwrite.id}` with
    /// `{allow, deny, type}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; setting the same overwrite twice is harmless.
    pub fn edit_permission_overwrite<'a>(
        &'a self,
        channel_id: ChannelId,
        overwrite: &'a PermissionOverwrite,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self
                .client
                .request(
                    route!(PUT "/channels/{channel_id}/permissions/{overwrite_id}",
                channel_id = channel_id, overwrite_id = overwrite.id),
                )
                .json(&OverwriteBody {
                    allow: overwrite.allow,
                    deny: overwrite.deny,
                    kind: overwrite.kind,
                });
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Removes a permission overwrite (a role ID or user ID; use
    /// [`Id::cast`](crate::model::Id::cast)):
    /// `DELETE /channels/{channel.id}/permissions/{overwrite.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`edit_permission_overwrite`](Self::edit_permission_overwrite).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing twice is harmless.
    pub fn delete_permission_overwrite<'a>(
        &'a self,
        channel_id: ChannelId,
        overwrite_id: GenericId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/channels/{channel_id}/permissions/{overwrite_id}",
                channel_id = channel_id,
                overwrite_id = overwrite_id
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
    fn create_channel_limits() {
        assert!(CreateChannel::new("ok").validate().is_ok());
        assert!(CreateChannel::new("").validate().is_err());
        assert!(CreateChannel::new("x".repeat(101)).validate().is_err());
        assert!(CreateChannel::new("t")
            .topic("x".repeat(1025))
            .validate()
            .is_err());
        assert!(CreateChannel::new("f")
            .kind(ChannelType::GuildForum)
            .topic("x".repeat(4096))
            .validate()
            .is_ok());
        assert!(CreateChannel::new("s")
            .rate_limit_per_user(21_601)
            .validate()
            .is_err());
        assert!(CreateChannel::new("th")
            .kind(ChannelType::PublicThread)
            .validate()
            .is_err());
        let json =
            serde_json::to_value(CreateChannel::new("a").kind(ChannelType::GuildVoice)).unwrap();
        assert_eq!(json, serde_json::json!({"name": "a", "type": 2}));
    }

    #[test]
    fn edit_channel_nulls() {
        let edit = EditChannel::new().parent(None).archived(true);
        assert_eq!(
            serde_json::to_string(&edit).unwrap(),
            r#"{"parent_id":null,"archived":true}"#
        );
        assert!(EditChannel::new()
            .auto_archive_duration(5)
            .validate()
            .is_err());
    }
}
