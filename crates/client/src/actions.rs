//! Model actions: `guild_id.leave(&ctx)`, `message.reply(&ctx, "hi")`,
//! `member.kick(&ctx, guild_id, None)`.
//!
//! Each is a thin call into one typed endpoint of [`Http`], generic over
//! `impl AsRef<Http>` so a handler's `&ctx`, an `&Http` or an
//! `Arc<Http>` all work. Each doc names the raw [`Route`] underneath, for
//! when the typed layer is not enough:
//! `http.request(route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = id)).send().await?`.
//!
//! Actions that Discord records in the audit log take a last
//! `reason: Option<&str>` (1-512 characters), as the endpoints do.
//!
//! Members and roles do not know their guild (Discord leaves `guild_id`
//! out of those objects), so their actions take the guild ID as an
//! argument: `member.kick(&ctx, guild_id, None)`.
//!
//! [`Route`]: acord_core_http::Route

use crate::command::{CreateMessage, EditMessage, ValidationError};
use crate::http::{GetMessages, Http, ReactionEmoji};
use crate::model::{
    Channel, ChannelId, Guild, GuildId, Member, Message, MessageId, PartialGuild, Role, RoleId,
    UnavailableGuild, User, UserId,
};
use crate::Result;

impl GuildId {
    /// Makes the bot leave this guild; the gateway then sends GUILD_DELETE.
    ///
    /// Raw: `route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::leave_guild`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::leave_guild`].
    pub async fn leave(self, http: impl AsRef<Http>) -> Result<()> {
        http.as_ref().leave_guild(self).await
    }

    /// Fetches a member of this guild.
    ///
    /// Raw: `route!(GET "/guilds/{guild_id}/members/{user_id}", guild_id = self, user_id = user_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::member`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn member(self, http: impl AsRef<Http>, user_id: UserId) -> Result<Member> {
        http.as_ref().member(self, user_id).await
    }

    /// Kicks a user from this guild.
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/members/{user_id}", guild_id = self, user_id = user_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::kick_member`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::kick_member`].
    pub async fn kick(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        reason: Option<&str>,
    ) -> Result<()> {
        http.as_ref().kick_member(self, user_id, reason).await
    }

    /// Bans a user from this guild, deleting their messages of the last
    /// `delete_message_seconds` (0-604800).
    ///
    /// Raw: `route!(PUT "/guilds/{guild_id}/bans/{user_id}", guild_id = self, user_id = user_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::create_ban`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_ban`].
    pub async fn ban(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        delete_message_seconds: u32,
        reason: Option<&str>,
    ) -> Result<()> {
        http.as_ref()
            .create_ban(self, user_id, delete_message_seconds, reason)
            .await
    }

    /// Lifts a user's ban.
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/bans/{user_id}", guild_id = self, user_id = user_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::remove_ban`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::remove_ban`].
    pub async fn unban(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        reason: Option<&str>,
    ) -> Result<()> {
        http.as_ref().remove_ban(self, user_id, reason).await
    }

    /// Lists this guild's channels (not threads).
    ///
    /// Raw: `route!(GET "/guilds/{guild_id}/channels", guild_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::guild_channels`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn channels(self, http: impl AsRef<Http>) -> Result<Vec<Channel>> {
        http.as_ref().guild_channels(self).await
    }

    /// Lists this guild's roles.
    ///
    /// Raw: `route!(GET "/guilds/{guild_id}/roles", guild_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::roles`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn roles(self, http: impl AsRef<Http>) -> Result<Vec<Role>> {
        http.as_ref().roles(self).await
    }
}

impl Guild {
    /// Makes the bot leave this guild; see [`GuildId::leave`].
    ///
    /// Raw: `route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::leave_guild`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::leave_guild`].
    pub async fn leave(&self, http: impl AsRef<Http>) -> Result<()> {
        self.id.leave(http).await
    }
}

impl PartialGuild {
    /// Makes the bot leave this guild; see [`GuildId::leave`].
    ///
    /// Raw: `route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::leave_guild`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::leave_guild`].
    pub async fn leave(&self, http: impl AsRef<Http>) -> Result<()> {
        self.id.leave(http).await
    }
}

impl UnavailableGuild {
    /// Makes the bot leave this guild, even during an outage; see
    /// [`GuildId::leave`].
    ///
    /// Raw: `route!(DELETE "/users/@me/guilds/{guild_id}", guild_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::leave_guild`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::leave_guild`].
    pub async fn leave(&self, http: impl AsRef<Http>) -> Result<()> {
        self.id.leave(http).await
    }
}

impl ChannelId {
    /// Sends a text message to this channel.
    ///
    /// Raw: `route!(POST "/channels/{channel_id}/messages", channel_id = self)` with `{"content": …}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for
    /// empty content or content over 2000 characters; otherwise as
    /// [`Http::create_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_message`].
    pub async fn say(self, http: impl AsRef<Http>, content: impl Into<String>) -> Result<Message> {
        let message = CreateMessage::builder().content(content).build()?;
        http.as_ref().create_message(self, &message).await
    }

    /// Sends a message built with [`CreateMessage::builder`] to this
    /// channel.
    ///
    /// Raw: `route!(POST "/channels/{channel_id}/messages", channel_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::create_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_message`].
    pub async fn send_message(
        self,
        http: impl AsRef<Http>,
        message: &CreateMessage,
    ) -> Result<Message> {
        http.as_ref().create_message(self, message).await
    }

    /// Fetches one message of this channel.
    ///
    /// Raw: `route!(GET "/channels/{channel_id}/messages/{message_id}", channel_id = self, message_id = message_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::message`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn message(self, http: impl AsRef<Http>, message_id: MessageId) -> Result<Message> {
        http.as_ref().message(self, message_id).await
    }

    /// Fetches a page of this channel's messages, newest first.
    ///
    /// Raw: `route!(GET "/channels/{channel_id}/messages", channel_id = self)` with `?limit=…&before=…`.
    ///
    /// # Errors
    ///
    /// As [`Http::messages`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop: it only reads.
    pub async fn messages(
        self,
        http: impl AsRef<Http>,
        query: GetMessages,
    ) -> Result<Vec<Message>> {
        http.as_ref().messages(self, query).await
    }

    /// Shows "bot is typing…" in this channel for 10 seconds.
    ///
    /// Raw: `route!(POST "/channels/{channel_id}/typing", channel_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::trigger_typing`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop.
    pub async fn broadcast_typing(self, http: impl AsRef<Http>) -> Result<()> {
        http.as_ref().trigger_typing(self).await
    }

    /// Deletes a message of this channel.
    ///
    /// Raw: `route!(DELETE "/channels/{channel_id}/messages/{message_id}", channel_id = self, message_id = message_id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::delete_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::delete_message`].
    pub async fn delete_message(
        self,
        http: impl AsRef<Http>,
        message_id: MessageId,
        reason: Option<&str>,
    ) -> Result<()> {
        http.as_ref().delete_message(self, message_id, reason).await
    }
}

impl Message {
    /// Replies to this message with text (a reply reference to it, which
    /// fails if the message is gone).
    ///
    /// Raw: `route!(POST "/channels/{channel_id}/messages", channel_id = self.channel_id)` with `{"content": …, "message_reference": {"message_id": …}}`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) for
    /// empty content or content over 2000 characters; otherwise as
    /// [`Http::create_message`] (160002 without READ_MESSAGE_HISTORY…).
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_message`].
    pub async fn reply(
        &self,
        http: impl AsRef<Http>,
        content: impl Into<String>,
    ) -> Result<Message> {
        let message = CreateMessage::builder()
            .content(content)
            .reply(self.channel_id, self.id, true)
            .build()?;
        http.as_ref()
            .create_message(self.channel_id, &message)
            .await
    }

    /// Reacts to this message as the bot (`"👍"`, a [`ReactionEmoji`], a
    /// [`PartialEmoji`](crate::model::PartialEmoji)…).
    ///
    /// Raw: `route!(PUT "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", channel_id = self.channel_id, message_id = self.id, emoji = "👍")`.
    ///
    /// # Errors
    ///
    /// As [`Http::create_reaction`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; reacting twice is harmless.
    pub async fn react(
        &self,
        http: impl AsRef<Http>,
        emoji: impl Into<ReactionEmoji>,
    ) -> Result<()> {
        http.as_ref()
            .create_reaction(self.channel_id, self.id, emoji)
            .await
    }

    /// Edits this message (the bot's own; only flags on others').
    ///
    /// Raw: `route!(PATCH "/channels/{channel_id}/messages/{message_id}", channel_id = self.channel_id, message_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::edit_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::edit_message`].
    pub async fn edit(&self, http: impl AsRef<Http>, edit: &EditMessage) -> Result<Message> {
        http.as_ref()
            .edit_message(self.channel_id, self.id, edit)
            .await
    }

    /// Deletes this message (someone else's needs MANAGE_MESSAGES and is
    /// audit-logged with `reason`).
    ///
    /// Raw: `route!(DELETE "/channels/{channel_id}/messages/{message_id}", channel_id = self.channel_id, message_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::delete_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::delete_message`].
    pub async fn delete(&self, http: impl AsRef<Http>, reason: Option<&str>) -> Result<()> {
        http.as_ref()
            .delete_message(self.channel_id, self.id, reason)
            .await
    }

    /// Pins this message.
    ///
    /// Raw: `route!(PUT "/channels/{channel_id}/messages/pins/{message_id}", channel_id = self.channel_id, message_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::pin_message`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::pin_message`].
    pub async fn pin(&self, http: impl AsRef<Http>, reason: Option<&str>) -> Result<()> {
        http.as_ref()
            .pin_message(self.channel_id, self.id, reason)
            .await
    }
}

/// The user ID of a member, which partial members (in messages and
/// interactions) may lack.
fn member_user_id(member: &Member) -> Result<UserId> {
    member.user.as_ref().map(|u| u.id).ok_or_else(|| {
        ValidationError::Invalid {
            field: "user",
            reason: "this member object has no user (a partial member from a message or interaction); call the GuildId action with the author's ID",
        }
        .into()
    })
}

impl Member {
    /// Kicks this member from `guild_id` (members do not carry their
    /// guild ID, so it is an argument).
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/members/{user_id}", guild_id = guild_id, user_id = user.id)`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// this member has no `user`; otherwise as [`Http::kick_member`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::kick_member`].
    pub async fn kick(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&str>,
    ) -> Result<()> {
        let user_id = member_user_id(self)?;
        http.as_ref().kick_member(guild_id, user_id, reason).await
    }

    /// Bans this member from `guild_id`, deleting their messages of the
    /// last `delete_message_seconds` (0-604800).
    ///
    /// Raw: `route!(PUT "/guilds/{guild_id}/bans/{user_id}", guild_id = guild_id, user_id = user.id)`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// this member has no `user`; otherwise as [`Http::create_ban`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_ban`].
    pub async fn ban(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        delete_message_seconds: u32,
        reason: Option<&str>,
    ) -> Result<()> {
        let user_id = member_user_id(self)?;
        http.as_ref()
            .create_ban(guild_id, user_id, delete_message_seconds, reason)
            .await
    }

    /// Gives this member a role in `guild_id`.
    ///
    /// Raw: `route!(PUT "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", guild_id = guild_id, user_id = user.id, role_id = role_id)`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// this member has no `user`; otherwise as [`Http::add_member_role`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; adding a role twice is harmless.
    pub async fn add_role(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        role_id: RoleId,
        reason: Option<&str>,
    ) -> Result<()> {
        let user_id = member_user_id(self)?;
        http.as_ref()
            .add_member_role(guild_id, user_id, role_id, reason)
            .await
    }

    /// Takes a role from this member in `guild_id`.
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", guild_id = guild_id, user_id = user.id, role_id = role_id)`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation) when
    /// this member has no `user`; otherwise as
    /// [`Http::remove_member_role`].
    ///
    /// # Cancel safety
    ///
    /// Safe to drop; removing a role twice is harmless.
    pub async fn remove_role(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        role_id: RoleId,
        reason: Option<&str>,
    ) -> Result<()> {
        let user_id = member_user_id(self)?;
        http.as_ref()
            .remove_member_role(guild_id, user_id, role_id, reason)
            .await
    }
}

impl UserId {
    /// Opens (or returns) the DM channel with this user.
    ///
    /// Raw: `route!(POST "/users/@me/channels")` with `{"recipient_id": self}`.
    ///
    /// # Errors
    ///
    /// As [`Http::create_dm`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_dm`].
    pub async fn create_dm(self, http: impl AsRef<Http>) -> Result<Channel> {
        http.as_ref().create_dm(self).await
    }
}

impl User {
    /// Opens (or returns) the DM channel with this user.
    ///
    /// Raw: `route!(POST "/users/@me/channels")` with `{"recipient_id": self.id}`.
    ///
    /// # Errors
    ///
    /// As [`Http::create_dm`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::create_dm`].
    pub async fn create_dm(&self, http: impl AsRef<Http>) -> Result<Channel> {
        self.id.create_dm(http).await
    }
}

impl RoleId {
    /// Deletes this role from `guild_id` (roles do not carry their guild
    /// ID, so it is an argument).
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/roles/{role_id}", guild_id = guild_id, role_id = self)`.
    ///
    /// # Errors
    ///
    /// As [`Http::delete_role`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::delete_role`].
    pub async fn delete(
        self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&str>,
    ) -> Result<()> {
        http.as_ref().delete_role(guild_id, self, reason).await
    }
}

impl Role {
    /// Deletes this role from `guild_id`; see [`RoleId::delete`].
    ///
    /// Raw: `route!(DELETE "/guilds/{guild_id}/roles/{role_id}", guild_id = guild_id, role_id = self.id)`.
    ///
    /// # Errors
    ///
    /// As [`Http::delete_role`].
    ///
    /// # Cancel safety
    ///
    /// As [`Http::delete_role`].
    pub async fn delete(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&str>,
    ) -> Result<()> {
        self.id.delete(http, guild_id, reason).await
    }
}
