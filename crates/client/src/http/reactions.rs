//! Reactions (discord-protocol.md §8.9, §11.3) and [`ReactionEmoji`], the
//! emoji as a path segment.

use std::fmt;

use acord_core_http::{route, Route};

use super::validate::{check_len, check_opt_range};
use super::{BoxFuture, Http};
use crate::model::{
    ChannelId, Emoji, EmojiId, MessageId, PartialEmoji, ReactionType, User, UserId,
};
use crate::Result;

/// An emoji in a reaction route: a Unicode emoji (`👍`) or a custom one
/// (`name:id`).
///
/// Its [`Display`](fmt::Display) is the path segment before
/// percent-encoding (core-http's [`Route`](acord_core_http::Route) encodes
/// it, so `👍` travels as `%F0%9F%91%8D`, as Discord requires).
///
/// ```
/// use acord::http::ReactionEmoji;
/// use acord::model::EmojiId;
/// assert_eq!(ReactionEmoji::from("👍").to_string(), "👍");
/// let custom = ReactionEmoji::custom("blobwave", EmojiId::new(42).unwrap());
/// assert_eq!(custom.to_string(), "blobwave:42");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReactionEmoji {
    /// A Unicode emoji, as the character(s).
    Unicode(String),
    /// A custom emoji.
    Custom {
        /// Its name (any name works for the route; Discord matches the ID).
        name: String,
        /// Its ID.
        id: EmojiId,
    },
}

impl ReactionEmoji {
    /// A custom emoji.
    pub fn custom(name: impl Into<String>, id: EmojiId) -> Self {
        Self::Custom {
            name: name.into(),
            id,
        }
    }

    /// A Unicode emoji.
    pub fn unicode(emoji: impl Into<String>) -> Self {
        Self::Unicode(emoji.into())
    }

    /// Checks that a Unicode emoji is not empty (it would leave an empty
    /// path segment).
    fn validate(&self) -> Result<()> {
        if let Self::Unicode(text) = self {
            check_len("emoji", text, 1, 64)?;
        }
        Ok(())
    }
}

impl fmt::Display for ReactionEmoji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unicode(text) => f.write_str(text),
            Self::Custom { name, id } => write!(f, "{name}:{id}"),
        }
    }
}

impl From<&str> for ReactionEmoji {
    fn from(emoji: &str) -> Self {
        Self::Unicode(emoji.to_owned())
    }
}

impl From<String> for ReactionEmoji {
    fn from(emoji: String) -> Self {
        Self::Unicode(emoji)
    }
}

impl From<char> for ReactionEmoji {
    fn from(emoji: char) -> Self {
        Self::Unicode(emoji.to_string())
    }
}

impl From<&ReactionEmoji> for ReactionEmoji {
    fn from(emoji: &ReactionEmoji) -> Self {
        emoji.clone()
    }
}

/// Custom when it has an ID (a deleted emoji without a name is written
/// `_:id`), Unicode otherwise.
impl From<&PartialEmoji> for ReactionEmoji {
    fn from(emoji: &PartialEmoji) -> Self {
        let name = emoji.name.clone().unwrap_or_default();
        match emoji.id {
            Some(id) if name.is_empty() => Self::custom("_", id),
            Some(id) => Self::custom(name, id),
            None => Self::Unicode(name),
        }
    }
}

impl From<PartialEmoji> for ReactionEmoji {
    fn from(emoji: PartialEmoji) -> Self {
        Self::from(&emoji)
    }
}

/// Custom when it has an ID, Unicode otherwise.
impl From<&Emoji> for ReactionEmoji {
    fn from(emoji: &Emoji) -> Self {
        Self::from(PartialEmoji {
            id: emoji.id,
            name: emoji.name.clone(),
            animated: emoji.animated,
        })
    }
}

/// Query of Get Reactions: normal or burst (super) reactions, users
/// `after` an ID, `limit` 1-100 (default 25).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct GetReactions {
    kind: Option<ReactionType>,
    after: Option<UserId>,
    limit: Option<u8>,
}

impl GetReactions {
    /// The first users who reacted normally.
    pub fn new() -> Self {
        Self::default()
    }

    /// Normal (0) or burst (1) reactions.
    pub fn kind(mut self, kind: ReactionType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Users after this ID.
    pub fn after(mut self, after: UserId) -> Self {
        self.after = Some(after);
        self
    }

    /// How many (1-100).
    pub fn limit(mut self, limit: u8) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Http {
    /// Reacts to a message as the bot:
    /// `PUT /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty emoji; [`ClientError::Http`](crate::ClientError::Http) when
    /// Discord refuses (`UnknownEmoji`, 30010 too many reactions, 90001
    /// reaction blocked…).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; reacting twice is harmless.
    pub fn create_reaction(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: impl Into<ReactionEmoji>,
    ) -> BoxFuture<'_, Result<()>> {
        let emoji = emoji.into();
        let route = route!(
            PUT "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            channel_id = channel_id,
            message_id = message_id,
            emoji = &emoji
        );
        self.emoji_request(&emoji, route)
    }

    /// Removes the bot's own reaction:
    /// `DELETE /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me`.
    ///
    /// # Errors
    ///
    /// As [`create_reaction`](Self::create_reaction).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing twice is harmless.
    pub fn delete_own_reaction(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: impl Into<ReactionEmoji>,
    ) -> BoxFuture<'_, Result<()>> {
        let emoji = emoji.into();
        let route = route!(
            DELETE "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            channel_id = channel_id,
            message_id = message_id,
            emoji = &emoji
        );
        self.emoji_request(&emoji, route)
    }

    /// Removes another user's reaction (MANAGE_MESSAGES):
    /// `DELETE /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/{user.id}`.
    ///
    /// # Errors
    ///
    /// As [`create_reaction`](Self::create_reaction), plus
    /// `MissingPermissions`.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing twice is harmless.
    pub fn delete_user_reaction(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: impl Into<ReactionEmoji>,
        user_id: UserId,
    ) -> BoxFuture<'_, Result<()>> {
        let emoji = emoji.into();
        let route = route!(
            DELETE "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
            channel_id = channel_id,
            message_id = message_id,
            emoji = &emoji,
            user_id = user_id
        );
        self.emoji_request(&emoji, route)
    }

    /// Lists users who reacted with an emoji:
    /// `GET /channels/{channel.id}/messages/{message.id}/reactions/{emoji}`
    /// with `type`, `after`, `limit` from `query`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for an
    /// empty emoji or a limit outside 1-100;
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub fn reactions(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: impl Into<ReactionEmoji>,
        query: GetReactions,
    ) -> BoxFuture<'_, Result<Vec<User>>> {
        self.reactions_boxed(channel_id, message_id, emoji.into(), query)
    }

    fn reactions_boxed(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: ReactionEmoji,
        query: GetReactions,
    ) -> BoxFuture<'_, Result<Vec<User>>> {
        Box::pin(async move {
            emoji.validate()?;
            check_opt_range("limit", query.limit, 1, 100)?;
            let mut request = self.client.request(route!(
                GET "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
                channel_id = channel_id,
                message_id = message_id,
                emoji = &emoji
            ));
            if let Some(kind) = query.kind {
                request = request.query("type", u16::from(kind));
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

    /// Removes every reaction from a message (MANAGE_MESSAGES):
    /// `DELETE /channels/{channel.id}/messages/{message.id}/reactions`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Http`](crate::ClientError::Http) when Discord refuses.
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; clearing twice is harmless.
    pub fn delete_all_reactions(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client
                .request(route!(
                    DELETE "/channels/{channel_id}/messages/{message_id}/reactions",
                    channel_id = channel_id,
                    message_id = message_id
                ))
                .send()
                .await?;
            Ok(())
        })
    }

    /// Removes every reaction of one emoji (MANAGE_MESSAGES):
    /// `DELETE /channels/{channel.id}/messages/{message.id}/reactions/{emoji}`.
    ///
    /// # Errors
    ///
    /// As [`create_reaction`](Self::create_reaction).
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; clearing twice is harmless.
    pub fn delete_all_reactions_for_emoji(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: impl Into<ReactionEmoji>,
    ) -> BoxFuture<'_, Result<()>> {
        let emoji = emoji.into();
        let route = route!(
            DELETE "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            channel_id = channel_id,
            message_id = message_id,
            emoji = &emoji
        );
        self.emoji_request(&emoji, route)
    }

    /// Checks `emoji` and sends `route` (built around it), which answers
    /// 204: the body of the reaction calls, boxed here once.
    fn emoji_request(&self, emoji: &ReactionEmoji, route: Route) -> BoxFuture<'_, Result<()>> {
        let valid = emoji.validate();
        Box::pin(async move {
            valid?;
            self.client.request(route).send().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acord_core_http::build_url;

    #[test]
    fn emoji_path_segments() {
        let id = EmojiId::new(7).unwrap();
        let route = |e: ReactionEmoji| {
            let r = route!(PUT "/m/{emoji}/@me", emoji = e);
            build_url("https://discord.com/api", 10, &r)
                .unwrap()
                .path()
                .to_owned()
        };
        assert_eq!(route("👍".into()), "/api/v10/m/%F0%9F%91%8D/@me");
        assert_eq!(
            route(ReactionEmoji::custom("wave", id)),
            "/api/v10/m/wave%3A7/@me"
        );
        let partial = PartialEmoji::custom(id, "wave", false);
        assert_eq!(ReactionEmoji::from(&partial).to_string(), "wave:7");
        let deleted = PartialEmoji {
            id: Some(id),
            name: None,
            animated: None,
        };
        assert_eq!(ReactionEmoji::from(deleted).to_string(), "_:7");
        assert_eq!(
            ReactionEmoji::from(PartialEmoji::unicode("🔥")),
            ReactionEmoji::Unicode("🔥".into())
        );
        assert!(ReactionEmoji::from("").validate().is_err());
    }
}
