//! Threads: start (from a message or not), join/leave, members, active and
//! archived lists (discord-protocol.md §11.2, §11.3).

use acord_core_http::route;
use serde::Serialize;

use super::validate::{
    check_auto_archive, check_len, check_opt_range, with_reason, CHANNEL_NAME_MAX,
    RATE_LIMIT_PER_USER_MAX,
};
use super::{BoxFuture, Http};
use crate::command::ValidationError;
use crate::model::{
    Channel, ChannelId, ChannelType, GuildId, MessageId, ThreadMember, ThreadsList, Timestamp,
    UserId,
};
use crate::Result;

/// The body of Start Thread from Message and Start Thread without Message.
///
/// Without a message the thread type is always sent (Discord's default,
/// private, may change): [`ChannelType::PrivateThread`] unless set with
/// [`kind`](Self::kind). Checked before sending: name 1-100,
/// auto-archive 60/1440/4320/10080, slowmode 0-21600 s, type one of the
/// thread types.
///
/// ```
/// use acord::http::CreateThread;
/// use acord::model::ChannelType;
/// let thread = CreateThread::new("support").kind(ChannelType::PublicThread);
/// # let _ = thread;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct CreateThread {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_archive_duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limit_per_user: Option<u32>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<ChannelType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitable: Option<bool>,
}

impl CreateThread {
    /// A thread called `name` (1-100 characters).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            auto_archive_duration: None,
            rate_limit_per_user: None,
            kind: None,
            invitable: None,
        }
    }

    /// Minutes of inactivity before archiving (60, 1440, 4320, 10080).
    pub fn auto_archive_duration(mut self, minutes: u32) -> Self {
        self.auto_archive_duration = Some(minutes);
        self
    }

    /// Slowmode in seconds (0-21600).
    pub fn rate_limit_per_user(mut self, seconds: u32) -> Self {
        self.rate_limit_per_user = Some(seconds);
        self
    }

    /// Without a message only: public, private or announcement thread.
    pub fn kind(mut self, kind: ChannelType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Private threads only: whether non-moderators can add others.
    pub fn invitable(mut self, invitable: bool) -> Self {
        self.invitable = Some(invitable);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first field out of bounds.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_len("name", &self.name, 1, CHANNEL_NAME_MAX)?;
        check_auto_archive("auto_archive_duration", self.auto_archive_duration)?;
        check_opt_range(
            "rate_limit_per_user",
            self.rate_limit_per_user,
            0,
            RATE_LIMIT_PER_USER_MAX,
        )?;
        if self.kind.is_some_and(|k| !k.is_thread()) {
            return Err(ValidationError::Invalid {
                field: "type",
                reason: "must be PublicThread, PrivateThread or AnnouncementThread",
            });
        }
        Ok(())
    }
}

/// Query of the archived-thread lists: threads archived `before` a time,
/// `limit` (at least 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetArchivedThreads {
    before: Option<Timestamp>,
    limit: Option<u32>,
}

impl GetArchivedThreads {
    /// The most recently archived threads.
    pub fn new() -> Self {
        Self::default()
    }

    /// Threads archived before this time.
    pub fn before(mut self, before: Timestamp) -> Self {
        self.before = Some(before);
        self
    }

    /// How many.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Http {
    /// Starts a thread on a message:
    /// `POST /channels/{channel.id}/messages/{message.id}/threads`
    /// (audit-logged). The thread ID is the message ID.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `thread` breaks a limit, sets a type (a message's thread takes the
    /// channel's) or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (160004 a thread already exists…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the thread started.
    pub fn create_thread_from_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message_id: MessageId,
        thread: &'a CreateThread,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Channel>> {
        Box::pin(async move {
            thread.validate()?;
            if thread.kind.is_some() || thread.invitable.is_some() {
                return Err(ValidationError::Invalid {
                field: "type",
                reason: "a thread on a message takes its type from the channel; leave kind and invitable unset",
            }
            .into());
            }
            let request = self
                .client
                .request(
                    route!(POST "/channels/{channel_id}/messages/{message_id}/threads",
                channel_id = channel_id, message_id = message_id),
                )
                .json(thread);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Starts a thread without a message:
    /// `POST /channels/{channel.id}/threads` (audit-logged), always with
    /// `type` (private unless set).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// `thread` breaks a limit or the reason is not 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the thread started.
    pub fn create_thread<'a>(
        &'a self,
        channel_id: ChannelId,
        thread: &'a CreateThread,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Channel>> {
        Box::pin(async move {
            thread.validate()?;
            let mut body = thread.clone();
            body.kind = Some(thread.kind.unwrap_or(ChannelType::PrivateThread));
            let request = self
                .client
                .request(route!(POST "/channels/{channel_id}/threads", channel_id = channel_id))
                .json(&body);
            Ok(with_reason(request, reason)?.send().await?.json()?)
        })
    }

    /// Joins a thread as the bot: `PUT /channels/{channel.id}/thread-members/@me`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (archived thread…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; joining twice is harmless.
    pub fn join_thread(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(PUT "/channels/{channel_id}/thread-members/@me",
                channel_id = channel_id))
                .send()
                .await?;
            Ok(())
        })
    }

    /// Leaves a thread: `DELETE /channels/{channel.id}/thread-members/@me`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; leaving twice is harmless.
    pub fn leave_thread(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(DELETE "/channels/{channel_id}/thread-members/@me",
                channel_id = channel_id))
                .send()
                .await?;
            Ok(())
        })
    }

    /// Adds a member to a thread:
    /// `PUT /channels/{channel.id}/thread-members/{user.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownMember`, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; adding twice is harmless.
    pub fn add_thread_member(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(
                    route!(PUT "/channels/{channel_id}/thread-members/{user_id}",
                channel_id = channel_id, user_id = user_id),
                )
                .send()
                .await?;
            Ok(())
        })
    }

    /// Removes a member from a thread:
    /// `DELETE /channels/{channel.id}/thread-members/{user.id}`.
    ///
    /// # Errors
    ///
    /// As [`add_thread_member`](Self::add_thread_member).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing twice is harmless.
    pub fn remove_thread_member(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(
                    route!(DELETE "/channels/{channel_id}/thread-members/{user_id}",
                channel_id = channel_id, user_id = user_id),
                )
                .send()
                .await?;
            Ok(())
        })
    }

    /// Fetches one thread member:
    /// `GET /channels/{channel.id}/thread-members/{user.id}`, with the guild
    /// member when `with_member`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownMember`
    /// when the user is not in the thread…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn thread_member(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
        with_member: bool,
    ) -> BoxFuture<'_, Result<ThreadMember>> {
        Box::pin(async move {
            let mut request = self.client.request(route!(
                GET "/channels/{channel_id}/thread-members/{user_id}",
                channel_id = channel_id,
                user_id = user_id
            ));
            if with_member {
                request = request.query("with_member", true);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Lists a thread's members: `GET /channels/{channel.id}/thread-members`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn thread_members(
        &self,
        channel_id: ChannelId,
    ) -> BoxFuture<'_, Result<Vec<ThreadMember>>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(GET "/channels/{channel_id}/thread-members", channel_id = channel_id),
                )
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists a guild's active threads and the bot's memberships:
    /// `GET /guilds/{guild.id}/threads/active`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn active_threads(&self, guild_id: GuildId) -> BoxFuture<'_, Result<ThreadsList>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/guilds/{guild_id}/threads/active", guild_id = guild_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Lists a channel's archived public threads, most recently archived
    /// first: `GET /channels/{channel.id}/threads/archived/public`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`MissingAccess` without READ_MESSAGE_HISTORY…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn public_archived_threads(
        &self,
        channel_id: ChannelId,
        query: GetArchivedThreads,
    ) -> BoxFuture<'_, Result<ThreadsList>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                GET "/channels/{channel_id}/threads/archived/public",
                channel_id = channel_id
            ));
            Ok(archived_query(request, query).send().await?.json()?)
        })
    }

    /// Lists a channel's archived private threads (MANAGE_THREADS):
    /// `GET /channels/{channel.id}/threads/archived/private`.
    ///
    /// # Errors
    ///
    /// As [`public_archived_threads`](Self::public_archived_threads).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn private_archived_threads(
        &self,
        channel_id: ChannelId,
        query: GetArchivedThreads,
    ) -> BoxFuture<'_, Result<ThreadsList>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                GET "/channels/{channel_id}/threads/archived/private",
                channel_id = channel_id
            ));
            Ok(archived_query(request, query).send().await?.json()?)
        })
    }
}

fn archived_query(
    mut request: acord_core_http::RequestBuilder,
    query: GetArchivedThreads,
) -> acord_core_http::RequestBuilder {
    if let Some(before) = query.before {
        request = request.query("before", before);
    }
    if let Some(limit) = query.limit {
        request = request.query("limit", limit);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_limits() {
        assert!(CreateThread::new("t").validate().is_ok());
        assert!(CreateThread::new("").validate().is_err());
        assert!(CreateThread::new("t")
            .auto_archive_duration(30)
            .validate()
            .is_err());
        assert!(CreateThread::new("t")
            .kind(ChannelType::GuildText)
            .validate()
            .is_err());
        assert_eq!(
            serde_json::to_string(&CreateThread::new("t").auto_archive_duration(60)).unwrap(),
            r#"{"name":"t","auto_archive_duration":60}"#
        );
    }
}
