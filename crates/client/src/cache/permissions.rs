//! Permissions computed from the cache, following Discord's algorithm
//! (<https://discord.com/developers/docs/topics/permissions>).

use std::time::SystemTime;

use super::{CachedMember, InMemoryCache};
use crate::model::{Channel, ChannelId, GuildId, OverwriteType, Permissions, RoleId, UserId};

/// Why permissions could not be computed from the cache.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionError {
    /// The channel is not cached.
    #[error("channel {0} is not in the cache")]
    ChannelNotCached(ChannelId),
    /// The channel is not a guild channel (a DM has no permissions).
    #[error("channel {0} is not a guild channel")]
    NotInGuild(ChannelId),
    /// The guild (or its roles) is not cached.
    #[error("guild {0} is not in the cache (needs GUILD and ROLE)")]
    GuildNotCached(GuildId),
    /// The member is not cached (request it, or enable the GUILD_MEMBERS
    /// intent and the MEMBER resource).
    #[error("member {user} of guild {guild} is not in the cache")]
    MemberNotCached {
        /// The guild.
        guild: GuildId,
        /// The user.
        user: UserId,
    },
}

/// The permissions a member keeps while timed out.
const TIMED_OUT_KEEPS: Permissions =
    Permissions::VIEW_CHANNEL.union(Permissions::READ_MESSAGE_HISTORY);

/// What SEND_MESSAGES implicitly carries in a text channel.
const NEEDS_SEND: Permissions = Permissions::SEND_TTS_MESSAGES
    .union(Permissions::MENTION_EVERYONE)
    .union(Permissions::EMBED_LINKS)
    .union(Permissions::ATTACH_FILES);

impl InMemoryCache {
    /// The member's guild-wide permissions: owner → all; else `@everyone`
    /// OR the member's roles; ADMINISTRATOR → all. A timed-out member
    /// (not owner, not administrator) keeps only VIEW_CHANNEL and
    /// READ_MESSAGE_HISTORY.
    ///
    /// # Errors
    /// [`PermissionError`] when the guild, its roles or the member are not
    /// cached.
    pub fn guild_permissions(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> Result<Permissions, PermissionError> {
        self.guild_permissions_at(guild_id, user_id, SystemTime::now())
    }

    fn guild_permissions_at(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        now: SystemTime,
    ) -> Result<Permissions, PermissionError> {
        self.with_base(guild_id, user_id, |base, member| match member {
            Some(m) if m.is_timed_out_at(now) => base & TIMED_OUT_KEEPS,
            _ => base,
        })
    }

    /// Runs `f` on the base permissions and the member (`None` for the
    /// owner and administrators, who have everything), without copying
    /// the member: the guild's entry is read-locked while `f` runs, so `f`
    /// is only arithmetic.
    fn with_base<R>(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        f: impl FnOnce(Permissions, Option<&CachedMember>) -> R,
    ) -> Result<R, PermissionError> {
        let g = self
            .guilds
            .get(&guild_id)
            .ok_or(PermissionError::GuildNotCached(guild_id))?;
        let guild = g
            .guild
            .as_ref()
            .ok_or(PermissionError::GuildNotCached(guild_id))?;
        if guild.owner_id == user_id {
            return Ok(f(Permissions::all(), None));
        }
        let member = g
            .members
            .get(&user_id)
            .ok_or(PermissionError::MemberNotCached {
                guild: guild_id,
                user: user_id,
            })?;
        let everyone: RoleId = guild_id.cast();
        let everyone = g
            .roles
            .get(&everyone)
            .ok_or(PermissionError::GuildNotCached(guild_id))?;
        let mut base = everyone.permissions;
        for role in member.roles.iter() {
            if let Some(r) = g.roles.get(role) {
                base |= r.permissions;
            }
        }
        if base.contains(Permissions::ADMINISTRATOR) {
            return Ok(f(Permissions::all(), None));
        }
        Ok(f(base, Some(member)))
    }

    /// The member's permissions in a channel (a thread uses its parent's
    /// overwrites), in Discord's order: guild owner → all; base =
    /// `@everyone` OR the member's roles, ADMINISTRATOR → all; then the
    /// `@everyone` overwrite, the member's roles' overwrites together, the
    /// member's own overwrite. Then the implicit rules: without
    /// VIEW_CHANNEL nothing; without SEND_MESSAGES none of what sending
    /// carries (TTS, @everyone, embeds, files). A timed-out member keeps
    /// only VIEW_CHANNEL and READ_MESSAGE_HISTORY.
    ///
    /// # Errors
    /// [`PermissionError`] when the channel, the guild, its roles or the
    /// member are not cached.
    pub fn permissions_in(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
    ) -> Result<Permissions, PermissionError> {
        self.permissions_in_at(channel_id, user_id, SystemTime::now())
    }

    pub(crate) fn permissions_in_at(
        &self,
        channel_id: ChannelId,
        user_id: UserId,
        now: SystemTime,
    ) -> Result<Permissions, PermissionError> {
        let channel = self
            .channel(channel_id)
            .ok_or(PermissionError::ChannelNotCached(channel_id))?;
        let guild_id = channel
            .guild_id
            .ok_or(PermissionError::NotInGuild(channel_id))?;
        // threads take their parent's overwrites
        let channel = if channel.kind.is_thread() {
            match channel.parent_id {
                Some(parent) => self
                    .channel(parent)
                    .ok_or(PermissionError::ChannelNotCached(parent))?,
                None => channel,
            }
        } else {
            channel
        };
        self.with_base(guild_id, user_id, |base, member| match member {
            Some(member) => in_channel(base, member, &channel, guild_id, user_id, now),
            None => Permissions::all(),
        })
    }
}

/// Applies a channel's overwrites, then the implicit and timeout rules, to
/// a member's base permissions.
fn in_channel(
    base: Permissions,
    member: &CachedMember,
    channel: &Channel,
    guild_id: GuildId,
    user_id: UserId,
    now: SystemTime,
) -> Permissions {
    let mut p = base;
    let everyone = guild_id.get();
    if let Some(o) = channel
        .permission_overwrites
        .iter()
        .find(|o| o.kind == OverwriteType::Role && o.id.get() == everyone)
    {
        p &= !o.deny;
        p |= o.allow;
    }
    let (mut allow, mut deny) = (Permissions::empty(), Permissions::empty());
    for o in &channel.permission_overwrites {
        if o.kind == OverwriteType::Role
            && o.id.get() != everyone
            && member.roles.iter().any(|r| r.get() == o.id.get())
        {
            allow |= o.allow;
            deny |= o.deny;
        }
    }
    p &= !deny;
    p |= allow;
    if let Some(o) = channel
        .permission_overwrites
        .iter()
        .find(|o| o.kind == OverwriteType::Member && o.id.get() == user_id.get())
    {
        p &= !o.deny;
        p |= o.allow;
    }
    if !p.contains(Permissions::VIEW_CHANNEL) {
        return Permissions::empty();
    }
    if !p.contains(Permissions::SEND_MESSAGES) {
        p &= !NEEDS_SEND;
    }
    if member.is_timed_out_at(now) {
        p &= TIMED_OUT_KEEPS;
    }
    p
}
