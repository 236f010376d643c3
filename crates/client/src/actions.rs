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
use crate::http::{BoxFuture, GetMessages, Http, ReactionEmoji};
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
    pub fn leave(self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<()>> {
        guild_leave(self, http.as_ref().clone())
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
    pub fn member(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
    ) -> BoxFuture<'static, Result<Member>> {
        guild_member(self, http.as_ref().clone(), user_id)
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
    pub fn kick(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        reason: Option<&str>,
    ) -> BoxFuture<'_, Result<()>> {
        guild_kick(self, http.as_ref().clone(), user_id, reason)
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
    pub fn ban(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        delete_message_seconds: u32,
        reason: Option<&str>,
    ) -> BoxFuture<'_, Result<()>> {
        guild_ban(
            self,
            http.as_ref().clone(),
            user_id,
            delete_message_seconds,
            reason,
        )
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
    pub fn unban(
        self,
        http: impl AsRef<Http>,
        user_id: UserId,
        reason: Option<&str>,
    ) -> BoxFuture<'_, Result<()>> {
        guild_unban(self, http.as_ref().clone(), user_id, reason)
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
    pub fn channels(self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<Vec<Channel>>> {
        guild_channels(self, http.as_ref().clone())
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
    pub fn roles(self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<Vec<Role>>> {
        guild_roles(self, http.as_ref().clone())
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
    pub fn leave(&self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<()>> {
        self.id.leave(http)
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
    pub fn leave(&self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<()>> {
        self.id.leave(http)
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
    pub fn leave(&self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<()>> {
        self.id.leave(http)
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
    pub fn say(
        self,
        http: impl AsRef<Http>,
        content: impl Into<String>,
    ) -> BoxFuture<'static, Result<Message>> {
        channel_say(self, http.as_ref().clone(), content.into())
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
    pub fn send_message(
        self,
        http: impl AsRef<Http>,
        message: &CreateMessage,
    ) -> BoxFuture<'_, Result<Message>> {
        channel_send_message(self, http.as_ref().clone(), message)
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
    pub fn message(
        self,
        http: impl AsRef<Http>,
        message_id: MessageId,
    ) -> BoxFuture<'static, Result<Message>> {
        channel_message(self, http.as_ref().clone(), message_id)
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
    pub fn messages(
        self,
        http: impl AsRef<Http>,
        query: GetMessages,
    ) -> BoxFuture<'static, Result<Vec<Message>>> {
        channel_messages(self, http.as_ref().clone(), query)
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
    pub fn broadcast_typing(self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<()>> {
        channel_typing(self, http.as_ref().clone())
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
    pub fn delete_message(
        self,
        http: impl AsRef<Http>,
        message_id: MessageId,
        reason: Option<&str>,
    ) -> BoxFuture<'_, Result<()>> {
        channel_delete_message(self, http.as_ref().clone(), message_id, reason)
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
    pub fn reply(
        &self,
        http: impl AsRef<Http>,
        content: impl Into<String>,
    ) -> BoxFuture<'static, Result<Message>> {
        message_reply(
            self.channel_id,
            self.id,
            http.as_ref().clone(),
            content.into(),
        )
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
    pub fn react(
        &self,
        http: impl AsRef<Http>,
        emoji: impl Into<ReactionEmoji>,
    ) -> BoxFuture<'static, Result<()>> {
        message_react(
            self.channel_id,
            self.id,
            http.as_ref().clone(),
            emoji.into(),
        )
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
    pub fn edit<'a>(
        &self,
        http: impl AsRef<Http>,
        edit: &'a EditMessage,
    ) -> BoxFuture<'a, Result<Message>> {
        message_edit(self.channel_id, self.id, http.as_ref().clone(), edit)
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
    pub fn delete<'a>(
        &self,
        http: impl AsRef<Http>,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        channel_delete_message(self.channel_id, http.as_ref().clone(), self.id, reason)
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
    pub fn pin<'a>(
        &self,
        http: impl AsRef<Http>,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        message_pin(self.channel_id, self.id, http.as_ref().clone(), reason)
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
    pub fn kick<'a>(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        member_kick(
            member_user_id(self),
            http.as_ref().clone(),
            guild_id,
            reason,
        )
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
    pub fn ban<'a>(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        delete_message_seconds: u32,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        member_ban(
            member_user_id(self),
            http.as_ref().clone(),
            guild_id,
            delete_message_seconds,
            reason,
        )
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
    pub fn add_role<'a>(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        role_id: RoleId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        member_add_role(
            member_user_id(self),
            http.as_ref().clone(),
            guild_id,
            role_id,
            reason,
        )
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
    pub fn remove_role<'a>(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        role_id: RoleId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        member_remove_role(
            member_user_id(self),
            http.as_ref().clone(),
            guild_id,
            role_id,
            reason,
        )
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
    pub fn create_dm(self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<Channel>> {
        user_create_dm(self, http.as_ref().clone())
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
    pub fn create_dm(&self, http: impl AsRef<Http>) -> BoxFuture<'static, Result<Channel>> {
        self.id.create_dm(http)
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
    pub fn delete(
        self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&str>,
    ) -> BoxFuture<'_, Result<()>> {
        role_delete(self, http.as_ref().clone(), guild_id, reason)
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
    pub fn delete<'a>(
        &self,
        http: impl AsRef<Http>,
        guild_id: GuildId,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<()>> {
        self.id.delete(http, guild_id, reason)
    }
}

// The private, non-generic functions below create the futures the actions
// return, so their bodies are compiled once, in acord, and not again in
// each crate that awaits an action (the public shells only convert their
// generic arguments and call one of these).

fn guild_leave(id: GuildId, http: Http) -> BoxFuture<'static, Result<()>> {
    Box::pin(async move { http.leave_guild(id).await })
}

fn guild_member(id: GuildId, http: Http, user_id: UserId) -> BoxFuture<'static, Result<Member>> {
    Box::pin(async move { http.member(id, user_id).await })
}

fn guild_kick(
    id: GuildId,
    http: Http,
    user_id: UserId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.kick_member(id, user_id, reason).await })
}

fn guild_ban(
    id: GuildId,
    http: Http,
    user_id: UserId,
    delete_message_seconds: u32,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move {
        http.create_ban(id, user_id, delete_message_seconds, reason)
            .await
    })
}

fn guild_unban(
    id: GuildId,
    http: Http,
    user_id: UserId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.remove_ban(id, user_id, reason).await })
}

fn guild_channels(id: GuildId, http: Http) -> BoxFuture<'static, Result<Vec<Channel>>> {
    Box::pin(async move { http.guild_channels(id).await })
}

fn guild_roles(id: GuildId, http: Http) -> BoxFuture<'static, Result<Vec<Role>>> {
    Box::pin(async move { http.roles(id).await })
}

fn channel_say(id: ChannelId, http: Http, content: String) -> BoxFuture<'static, Result<Message>> {
    Box::pin(async move {
        let message = CreateMessage::builder().content(content).build()?;
        http.create_message(id, &message).await
    })
}

fn channel_send_message(
    id: ChannelId,
    http: Http,
    message: &CreateMessage,
) -> BoxFuture<'_, Result<Message>> {
    Box::pin(async move { http.create_message(id, message).await })
}

fn channel_message(
    id: ChannelId,
    http: Http,
    message_id: MessageId,
) -> BoxFuture<'static, Result<Message>> {
    Box::pin(async move { http.message(id, message_id).await })
}

fn channel_messages(
    id: ChannelId,
    http: Http,
    query: GetMessages,
) -> BoxFuture<'static, Result<Vec<Message>>> {
    Box::pin(async move { http.messages(id, query).await })
}

fn channel_typing(id: ChannelId, http: Http) -> BoxFuture<'static, Result<()>> {
    Box::pin(async move { http.trigger_typing(id).await })
}

fn channel_delete_message(
    id: ChannelId,
    http: Http,
    message_id: MessageId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.delete_message(id, message_id, reason).await })
}

fn message_reply(
    channel_id: ChannelId,
    id: MessageId,
    http: Http,
    content: String,
) -> BoxFuture<'static, Result<Message>> {
    Box::pin(async move {
        let message = CreateMessage::builder()
            .content(content)
            .reply(channel_id, id, true)
            .build()?;
        http.create_message(channel_id, &message).await
    })
}

fn message_react(
    channel_id: ChannelId,
    id: MessageId,
    http: Http,
    emoji: ReactionEmoji,
) -> BoxFuture<'static, Result<()>> {
    Box::pin(async move { http.create_reaction(channel_id, id, emoji).await })
}

fn message_edit(
    channel_id: ChannelId,
    id: MessageId,
    http: Http,
    edit: &EditMessage,
) -> BoxFuture<'_, Result<Message>> {
    Box::pin(async move { http.edit_message(channel_id, id, edit).await })
}

fn message_pin(
    channel_id: ChannelId,
    id: MessageId,
    http: Http,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.pin_message(channel_id, id, reason).await })
}

fn member_kick(
    user_id: Result<UserId>,
    http: Http,
    guild_id: GuildId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.kick_member(guild_id, user_id?, reason).await })
}

fn member_ban(
    user_id: Result<UserId>,
    http: Http,
    guild_id: GuildId,
    delete_message_seconds: u32,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move {
        http.create_ban(guild_id, user_id?, delete_message_seconds, reason)
            .await
    })
}

fn member_add_role(
    user_id: Result<UserId>,
    http: Http,
    guild_id: GuildId,
    role_id: RoleId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move {
        http.add_member_role(guild_id, user_id?, role_id, reason)
            .await
    })
}

fn member_remove_role(
    user_id: Result<UserId>,
    http: Http,
    guild_id: GuildId,
    role_id: RoleId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move {
        http.remove_member_role(guild_id, user_id?, role_id, reason)
            .await
    })
}

fn user_create_dm(id: UserId, http: Http) -> BoxFuture<'static, Result<Channel>> {
    Box::pin(async move { http.create_dm(id).await })
}

fn role_delete(
    id: RoleId,
    http: Http,
    guild_id: GuildId,
    reason: Option<&str>,
) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move { http.delete_role(guild_id, id, reason).await })
}
