//! Messages: create (JSON or with files), edit, delete, bulk delete, get,
//! list, pins, crosspost (discord-protocol.md §11.3).

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use acord_core_http::{route, RequestBuilder};
use acord_core_signals::limits::ATTACHMENTS_PER_MESSAGE;
use bytes::Bytes;

use super::validate::{check_count, check_len, check_opt_range, with_reason};
use super::{BoxFuture, Http};
use crate::command::{CreateMessage, EditMessage, ValidationError};
use crate::model::{ChannelId, ChannelPins, Message, MessageId, Timestamp};
use crate::Result;

/// Bulk delete accepts 2-100 message IDs.
const BULK_DELETE_MIN: usize = 2;
/// Bulk delete accepts 2-100 message IDs.
const BULK_DELETE_MAX: usize = 100;
/// Bulk delete refuses messages older than 14 days.
const BULK_DELETE_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// A file to upload with a message: multipart part `files[n]`, where `n`
/// is its position in the list given to the endpoint (reference it from
/// `attachments` with `id: n`, or from an embed as
/// `attachment://{filename}`).
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    filename: String,
    data: Bytes,
}

impl AttachmentFile {
    /// A file called `filename` with the given bytes.
    pub fn new(filename: impl Into<String>, data: impl Into<Bytes>) -> Self {
        Self {
            filename: filename.into(),
            data: data.into(),
        }
    }

    /// The file name Discord shows.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

impl std::fmt::Debug for AttachmentFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentFile")
            .field("filename", &self.filename)
            .field("len", &self.data.len())
            .finish()
    }
}

/// Checks a file list (1-10 files, each with a name) and adds the parts.
pub(crate) fn attach_files(
    mut request: RequestBuilder,
    files: Vec<AttachmentFile>,
) -> Result<RequestBuilder> {
    check_count("files", files.len(), 0, ATTACHMENTS_PER_MESSAGE)?;
    for file in files {
        check_len("files[].filename", &file.filename, 1, 1024)?;
        request = request.file(file.filename, file.data);
    }
    Ok(request)
}

/// Where a page of [`Http::messages`] starts. Discord takes one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    Around(MessageId),
    Before(MessageId),
    After(MessageId),
}

/// Query of Get Channel Messages: at most one of `around`, `before`,
/// `after` (setting one replaces the other), and `limit` 1-100 (Discord's
/// default 50). Messages come newest first.
///
/// ```
/// use acord::http::GetMessages;
/// use acord::model::MessageId;
/// let page = GetMessages::new().before(MessageId::new(42).unwrap()).limit(10);
/// # let _ = page;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetMessages {
    anchor: Option<Anchor>,
    limit: Option<u8>,
}

impl GetMessages {
    /// The newest messages (Discord's default page of 50).
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages around this one.
    pub fn around(mut self, id: MessageId) -> Self {
        self.anchor = Some(Anchor::Around(id));
        self
    }

    /// Messages before (older than) this one.
    pub fn before(mut self, id: MessageId) -> Self {
        self.anchor = Some(Anchor::Before(id));
        self
    }

    /// Messages after (newer than) this one.
    pub fn after(mut self, id: MessageId) -> Self {
        self.anchor = Some(Anchor::After(id));
        self
    }

    /// How many (1-100).
    pub fn limit(mut self, limit: u8) -> Self {
        self.limit = Some(limit);
        self
    }

    fn apply(self, mut request: RequestBuilder) -> Result<RequestBuilder> {
        check_opt_range("limit", self.limit, 1, 100)?;
        request = match self.anchor {
            Some(Anchor::Around(id)) => request.query("around", id),
            Some(Anchor::Before(id)) => request.query("before", id),
            Some(Anchor::After(id)) => request.query("after", id),
            None => request,
        };
        if let Some(limit) = self.limit {
            request = request.query("limit", limit);
        }
        Ok(request)
    }
}

/// Query of Get Channel Pins: `before` a pin time, `limit` 1-50 (default
/// 50).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetPins {
    before: Option<Timestamp>,
    limit: Option<u8>,
}

impl GetPins {
    /// The newest pins.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pins pinned before this time (the `pinned_at` of the last pin of
    /// the previous page).
    pub fn before(mut self, before: Timestamp) -> Self {
        self.before = Some(before);
        self
    }

    /// How many (1-50).
    pub fn limit(mut self, limit: u8) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Http {
    /// Sends a message: `POST /channels/{channel.id}/messages`.
    ///
    /// Build `message` with [`CreateMessage::builder`], which checks the
    /// documented limits. Files go with
    /// [`create_message_with_files`](Self::create_message_with_files).
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownChannel`, `MissingPermissions`, `EmptyMessage`…)
    /// or cannot be reached.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the request is sent sends nothing; after
    /// that, the message may or may not have been posted.
    pub fn create_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message: &'a CreateMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel_id))
                .json(message)
                .send()
                .await?
                .json()?)
        })
    }

    /// Sends a message with files (multipart: `payload_json` plus
    /// `files[n]` in the order given).
    ///
    /// Describe files in `message.attachments` (`id` = position) to set a
    /// description; embeds can show them with `attachment://{filename}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for more
    /// than 10 files or a file without a name; otherwise as
    /// [`create_message`](Self::create_message).
    ///
    /// # Cancel safety
    ///
    /// As [`create_message`](Self::create_message).
    pub fn create_message_with_files<'a>(
        &'a self,
        channel_id: ChannelId,
        message: &'a CreateMessage,
        files: Vec<AttachmentFile>,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            let request = self
                .client
                .request(route!(POST "/channels/{channel_id}/messages", channel_id = channel_id))
                .json(message);
            Ok(attach_files(request, files)?.send().await?.json()?)
        })
    }

    /// Edits a message the bot sent (or only its flags, for others'):
    /// `PATCH /channels/{channel.id}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownMessage`, `CannotEditOthersMessage`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message edited.
    pub fn edit_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message_id: MessageId,
        edit: &'a EditMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(PATCH "/channels/{channel_id}/messages/{message_id}",
                channel_id = channel_id, message_id = message_id))
                .json(edit)
                .send()
                .await?
                .json()?)
        })
    }

    /// Deletes a message: `DELETE /channels/{channel.id}/messages/{message.id}`
    /// (audit-logged when it is someone else's).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`UnknownMessage`, `MissingPermissions`…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message deleted.
    pub fn delete_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message_id: MessageId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/channels/{channel_id}/messages/{message_id}",
                channel_id = channel_id,
                message_id = message_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Deletes 2-100 messages at once:
    /// `POST /channels/{channel.id}/messages/bulk-delete` (guild channels
    /// only).
    ///
    /// The IDs are checked first: 2-100 of them, no duplicates, none older
    /// than 14 days (read from the snowflake).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when the
    /// list breaks one of those rules or the reason is too long;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the messages deleted.
    pub fn delete_messages<'a>(
        &'a self,
        channel_id: ChannelId,
        message_ids: &'a [MessageId],
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            validate_bulk_delete(message_ids, SystemTime::now())?;
            let request = self
                .client
                .request(route!(POST "/channels/{channel_id}/messages/bulk-delete",
                channel_id = channel_id))
                .json(&serde_json::json!({ "messages": message_ids }));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Fetches one message: `GET /channels/{channel.id}/messages/{message.id}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http): `UnknownMessage`,
    /// `UnknownChannel`, `MissingAccess`…
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> BoxFuture<'_, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(route!(GET "/channels/{channel_id}/messages/{message_id}",
                channel_id = channel_id, message_id = message_id))
                .send()
                .await?
                .json()?)
        })
    }

    /// Fetches a page of messages, newest first:
    /// `GET /channels/{channel.id}/messages` with `around`/`before`/`after`
    /// and `limit` from `query`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// limit outside 1-100; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn messages(
        &self,
        channel_id: ChannelId,
        query: GetMessages,
    ) -> BoxFuture<'_, Result<Vec<Message>>> {
        Box::pin(async move {
            let request = self
                .client
                .request(route!(GET "/channels/{channel_id}/messages", channel_id = channel_id));
            Ok(query.apply(request)?.send().await?.json()?)
        })
    }

    /// Fetches a page of pinned messages:
    /// `GET /channels/{channel.id}/messages/pins` → `{items, has_more}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// limit outside 1-50; [`ClientError::Http`](crate::ClientError::Http)
    /// when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn pins(
        &self,
        channel_id: ChannelId,
        query: GetPins,
    ) -> BoxFuture<'_, Result<ChannelPins>> {
        Box::pin(async move {
            check_opt_range("limit", query.limit, 1, 50)?;
            let mut request = self.client.request(route!(
                GET "/channels/{channel_id}/messages/pins",
                channel_id = channel_id
            ));
            if let Some(before) = query.before {
                request = request.query("before", before);
            }
            if let Some(limit) = query.limit {
                request = request.query("limit", limit);
            }
            Ok(request.send().await?.json()?)
        })
    }

    /// Pins a message:
    /// `PUT /channels/{channel.id}/messages/pins/{message.id}` (audit-logged).
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for a
    /// reason outside 1-512 characters;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (`MissingPermissions`, 30003 max pins…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message pinned; pinning twice is harmless.
    pub fn pin_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message_id: MessageId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                PUT "/channels/{channel_id}/messages/pins/{message_id}",
                channel_id = channel_id,
                message_id = message_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Unpins a message:
    /// `DELETE /channels/{channel.id}/messages/pins/{message.id}`
    /// (audit-logged).
    ///
    /// # Errors
    ///
    /// As [`pin_message`](Self::pin_message).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message unpinned; unpinning twice is harmless.
    pub fn unpin_message<'a>(
        &'a self,
        channel_id: ChannelId,
        message_id: MessageId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let request = self.client.request(route!(
                DELETE "/channels/{channel_id}/messages/pins/{message_id}",
                channel_id = channel_id,
                message_id = message_id
            ));
            with_reason(request, reason)?.send().await?;
            Ok(())
        })
    }

    /// Publishes a message of an announcement channel to the channels
    /// following it: `POST /channels/{channel.id}/messages/{message.id}/crosspost`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses
    /// (40033 already crossposted, not an announcement channel…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the request is sent may or may not leave
    /// the message published.
    pub fn crosspost_message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> BoxFuture<'_, Result<Message>> {
        Box::pin(async move {
            Ok(self
                .client
                .request(
                    route!(POST "/channels/{channel_id}/messages/{message_id}/crosspost",
                channel_id = channel_id, message_id = message_id),
                )
                .send()
                .await?
                .json()?)
        })
    }

    /// Shows "bot is typing…" for 10 seconds (or until it sends):
    /// `POST /channels/{channel.id}/typing`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; the indicator may or may not show.
    pub fn trigger_typing(&self, channel_id: ChannelId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(POST "/channels/{channel_id}/typing", channel_id = channel_id))
                .send()
                .await?;
            Ok(())
        })
    }
}

/// The bulk-delete rules (discord-protocol.md §9): 2-100 IDs, no
/// duplicates, none older than 14 days at `now`.
fn validate_bulk_delete(ids: &[MessageId], now: SystemTime) -> Result<(), ValidationError> {
    check_count("messages", ids.len(), BULK_DELETE_MIN, BULK_DELETE_MAX)?;
    let mut seen = HashSet::with_capacity(ids.len());
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(ValidationError::Invalid {
            field: "messages",
            reason: "the same message ID is listed twice",
        });
    }
    let too_old = ids.iter().any(|id| {
        now.duration_since(id.timestamp())
            .is_ok_and(|age| age > BULK_DELETE_MAX_AGE)
    });
    if too_old {
        return Err(ValidationError::Invalid {
            field: "messages",
            reason: "a message is older than 14 days; delete it with delete_message instead",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_at(ms_since_unix: u64) -> MessageId {
        let raw = (ms_since_unix - acord_core_signals::limits::DISCORD_EPOCH_MS) << 22;
        MessageId::new(raw | 1).unwrap()
    }

    #[test]
    fn bulk_delete_rules() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000);
        let fresh = |n: u64| id_at(1_800_000_000_000 - n * 1000);
        assert!(matches!(
            validate_bulk_delete(&[fresh(1)], now),
            Err(ValidationError::TooFew { min: 2, .. })
        ));
        let many: Vec<_> = (1..=101).map(fresh).collect();
        assert!(matches!(
            validate_bulk_delete(&many, now),
            Err(ValidationError::TooMany { max: 100, .. })
        ));
        assert!(validate_bulk_delete(&many[..100], now).is_ok());
        assert!(validate_bulk_delete(&[fresh(1), fresh(1)], now).is_err());
        let old = id_at(1_800_000_000_000 - 15 * 24 * 3600 * 1000);
        assert!(validate_bulk_delete(&[fresh(1), old], now).is_err());
    }

    #[test]
    fn attachment_file_debug_hides_bytes() {
        let file = AttachmentFile::new("a.txt", &b"secret bytes"[..]);
        let text = format!("{file:?}");
        assert!(text.contains("a.txt") && !text.contains("secret"), "{text}");
    }
}
