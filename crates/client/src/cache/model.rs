//! The compact forms the cache stores members and users in.

use std::time::SystemTime;

use crate::model::{
    GuildId, Member, MemberFlags, PartialUser, RoleId, Timestamp, User, UserFlags, UserId,
};

/// A user as the cache keeps it: once, however many guilds the bot
/// shares with them.
///
/// The fields every bot reads; the rest of Discord's user object
/// (banner, accent colour, decorations) is not kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CachedUser {
    /// The user's ID.
    pub id: UserId,
    /// Username.
    pub name: Box<str>,
    /// Legacy four-digit tag; 0 for migrated users.
    pub discriminator: u16,
    /// Display name.
    pub global_name: Option<Box<str>>,
    /// Avatar hash.
    pub avatar: Option<Box<str>>,
    /// A bot account.
    pub bot: bool,
    /// An official Discord system user.
    pub system: bool,
    /// Public flags.
    pub public_flags: UserFlags,
}

impl CachedUser {
    /// The compact form of `user`.
    pub fn from_user(user: &User) -> Self {
        Self {
            id: user.id,
            name: user.username.as_str().into(),
            discriminator: user.discriminator.parse().unwrap_or(0),
            global_name: user.global_name.as_deref().map(Into::into),
            avatar: user.avatar.as_deref().map(Into::into),
            bot: user.bot,
            system: user.system,
            public_flags: user.public_flags.unwrap_or_default(),
        }
    }

    /// Whether `user` differs from this in a kept field.
    pub(crate) fn differs_from(&self, user: &User) -> bool {
        *self.name != *user.username
            || self.global_name.as_deref() != user.global_name.as_deref()
            || self.avatar.as_deref() != user.avatar.as_deref()
            || self.discriminator != user.discriminator.parse().unwrap_or(0)
            || self.bot != user.bot
            || user.public_flags.is_some_and(|f| f != self.public_flags)
    }

    /// This user with the fields a PRESENCE_UPDATE carried applied; `None`
    /// when nothing changes.
    pub(crate) fn patched(&self, user: &PartialUser) -> Option<Self> {
        let mut next = self.clone();
        if let Some(name) = &user.username {
            next.name = name.as_str().into();
        }
        if let Some(d) = &user.discriminator {
            next.discriminator = d.parse().unwrap_or(0);
        }
        if user.global_name.is_some() {
            next.global_name = user.global_name.as_deref().map(Into::into);
        }
        if user.avatar.is_some() {
            next.avatar = user.avatar.as_deref().map(Into::into);
        }
        if let Some(bot) = user.bot {
            next.bot = bot;
        }
        (next != *self).then_some(next)
    }

    /// The display name: the global name when set, else the username.
    pub fn display_name(&self) -> &str {
        self.global_name.as_deref().unwrap_or(&self.name)
    }
}

/// A guild member as the cache keeps it: the member's own fields, with
/// the user referred to by ID (read it with
/// [`InMemoryCache::user`](super::InMemoryCache::user)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CachedMember {
    /// The member's user.
    pub user_id: UserId,
    /// Guild nickname.
    pub nick: Option<Box<str>>,
    /// Guild avatar hash.
    pub avatar: Option<Box<str>>,
    /// Role IDs (never `@everyone`).
    pub roles: Box<[RoleId]>,
    /// When the user joined (`None` for guests).
    pub joined_at: Option<Timestamp>,
    /// When the user started boosting.
    pub premium_since: Option<Timestamp>,
    /// End of the member's timeout.
    pub communication_disabled_until: Option<Timestamp>,
    /// Member flags.
    pub flags: MemberFlags,
    /// Server-deafened.
    pub deaf: bool,
    /// Server-muted.
    pub mute: bool,
    /// Has not yet passed membership screening.
    pub pending: bool,
}

impl CachedMember {
    /// The compact form of `member`, for the user `user_id`.
    pub fn from_member(user_id: UserId, member: &Member) -> Self {
        Self {
            user_id,
            nick: member.nick.as_deref().map(Into::into),
            avatar: member.avatar.as_deref().map(Into::into),
            roles: member.roles.as_slice().into(),
            joined_at: member.joined_at,
            premium_since: member.premium_since,
            communication_disabled_until: member.communication_disabled_until,
            flags: member.flags,
            deaf: member.deaf,
            mute: member.mute,
            pending: member.pending.unwrap_or(false),
        }
    }

    /// Whether the member is timed out at `now`.
    pub fn is_timed_out_at(&self, now: SystemTime) -> bool {
        self.communication_disabled_until
            .and_then(Timestamp::to_system_time)
            .is_some_and(|until| until > now)
    }

    /// Whether the member is timed out now.
    pub fn is_timed_out(&self) -> bool {
        self.is_timed_out_at(SystemTime::now())
    }

    /// Whether the member has `role` (every member has `@everyone`, the
    /// role with the guild's ID).
    pub fn has_role(&self, guild_id: GuildId, role: RoleId) -> bool {
        role.get() == guild_id.get() || self.roles.contains(&role)
    }
}
