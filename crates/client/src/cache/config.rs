//! What the cache keeps: [`ResourceType`] flags and [`CacheConfig`].

use crate::event::EventTypeFlags;

bitflags::bitflags! {
    /// The kinds of data the in-memory cache can keep. A kind left out
    /// costs nothing: no memory, and its events are not deserialised for
    /// the cache.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct ResourceType: u32 {
        /// Guilds (the guild object, without its lists).
        const GUILD = 1 << 0;
        /// Guild channels and threads, and DM channels the bot saw.
        const CHANNEL = 1 << 1;
        /// Roles.
        const ROLE = 1 << 2;
        /// Guild members.
        const MEMBER = 1 << 3;
        /// Users (stored once, however many guilds they share with the
        /// bot), and the bot's own user.
        const USER = 1 << 4;
        /// Custom emojis.
        const EMOJI = 1 << 5;
        /// Guild stickers.
        const STICKER = 1 << 6;
        /// Presences.
        const PRESENCE = 1 << 7;
        /// Voice states.
        const VOICE_STATE = 1 << 8;
        /// Stage instances.
        const STAGE_INSTANCE = 1 << 9;
        /// Scheduled events.
        const SCHEDULED_EVENT = 1 << 10;
        /// Recent messages, up to [`CacheConfig::message_capacity`] per
        /// channel.
        const MESSAGE = 1 << 11;
    }
}

/// Which resources the in-memory cache keeps, and how many messages per
/// channel.
///
/// ```
/// use acord::cache::{CacheConfig, ResourceType};
///
/// // guilds, channels, roles and members only (enough for permissions)
/// let config = CacheConfig::none()
///     .resources(ResourceType::GUILD | ResourceType::CHANNEL | ResourceType::ROLE | ResourceType::MEMBER);
/// assert!(!config.wants(ResourceType::MESSAGE));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    resources: ResourceType,
    message_capacity: usize,
}

/// Messages kept per channel by default.
pub const DEFAULT_MESSAGE_CAPACITY: usize = 100;

impl Default for CacheConfig {
    /// Every resource, and the last 100 messages of each channel.
    fn default() -> Self {
        Self {
            resources: ResourceType::all(),
            message_capacity: DEFAULT_MESSAGE_CAPACITY,
        }
    }
}

impl CacheConfig {
    /// Every resource, and the last 100 messages of each channel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Nothing at all: a cacheless bot.
    pub fn none() -> Self {
        Self {
            resources: ResourceType::empty(),
            message_capacity: DEFAULT_MESSAGE_CAPACITY,
        }
    }

    /// Keeps exactly `resources`.
    pub fn resources(mut self, resources: ResourceType) -> Self {
        self.resources = resources;
        self
    }

    /// Messages kept per channel (default 100); 0 turns messages off.
    pub fn message_capacity(mut self, capacity: usize) -> Self {
        self.message_capacity = capacity;
        self
    }

    /// The messages kept per channel (0 when messages are off).
    pub fn messages_per_channel(&self) -> usize {
        if self.resources.contains(ResourceType::MESSAGE) {
            self.message_capacity
        } else {
            0
        }
    }

    /// Whether `resource` is kept.
    pub fn wants(&self, resource: ResourceType) -> bool {
        if resource.contains(ResourceType::MESSAGE) && self.message_capacity == 0 {
            return false;
        }
        self.resources.contains(resource)
    }

    /// The kept resources.
    pub fn kept(&self) -> ResourceType {
        let mut r = self.resources;
        if self.message_capacity == 0 {
            r.remove(ResourceType::MESSAGE);
        }
        r
    }

    /// The gateway events the cache reads for these resources: the
    /// client deserialises these for the cache even when no handler
    /// wants them, and no others.
    pub fn event_types(&self) -> EventTypeFlags {
        type E = EventTypeFlags;
        let r = self.kept();
        let mut f = E::empty();
        let guild_scoped = ResourceType::GUILD
            | ResourceType::CHANNEL
            | ResourceType::ROLE
            | ResourceType::MEMBER
            | ResourceType::EMOJI
            | ResourceType::STICKER
            | ResourceType::PRESENCE
            | ResourceType::VOICE_STATE
            | ResourceType::STAGE_INSTANCE
            | ResourceType::SCHEDULED_EVENT;
        if r.intersects(guild_scoped) {
            f |= E::GUILD_CREATE | E::GUILD_DELETE;
        }
        if r.contains(ResourceType::GUILD) {
            f |= E::GUILD_UPDATE;
        }
        if r.contains(ResourceType::CHANNEL) {
            f |= E::CHANNEL_CREATE
                | E::CHANNEL_UPDATE
                | E::CHANNEL_DELETE
                | E::CHANNEL_PINS_UPDATE
                | E::THREAD_CREATE
                | E::THREAD_UPDATE
                | E::THREAD_DELETE
                | E::THREAD_LIST_SYNC;
        }
        if r.contains(ResourceType::ROLE) {
            f |= E::GUILD_ROLE_CREATE | E::GUILD_ROLE_UPDATE | E::GUILD_ROLE_DELETE;
        }
        if r.intersects(ResourceType::MEMBER | ResourceType::USER) {
            f |= E::GUILD_MEMBER_ADD
                | E::GUILD_MEMBER_REMOVE
                | E::GUILD_MEMBER_UPDATE
                | E::GUILD_MEMBERS_CHUNK;
        }
        if r.contains(ResourceType::USER) {
            f |= E::USER_UPDATE;
        }
        if r.contains(ResourceType::EMOJI) {
            f |= E::GUILD_EMOJIS_UPDATE;
        }
        if r.contains(ResourceType::STICKER) {
            f |= E::GUILD_STICKERS_UPDATE;
        }
        if r.contains(ResourceType::PRESENCE) {
            f |= E::PRESENCE_UPDATE | E::GUILD_MEMBERS_CHUNK;
        }
        if r.contains(ResourceType::VOICE_STATE) {
            f |= E::VOICE_STATE_UPDATE;
        }
        if r.contains(ResourceType::STAGE_INSTANCE) {
            f |= E::STAGE_INSTANCE_CREATE | E::STAGE_INSTANCE_UPDATE | E::STAGE_INSTANCE_DELETE;
        }
        if r.contains(ResourceType::SCHEDULED_EVENT) {
            f |= E::GUILD_SCHEDULED_EVENT_CREATE
                | E::GUILD_SCHEDULED_EVENT_UPDATE
                | E::GUILD_SCHEDULED_EVENT_DELETE;
        }
        if r.contains(ResourceType::MESSAGE) {
            f |= E::MESSAGE_CREATE
                | E::MESSAGE_UPDATE
                | E::MESSAGE_DELETE
                | E::MESSAGE_DELETE_BULK
                | E::MESSAGE_REACTION_ADD
                | E::MESSAGE_REACTION_REMOVE
                | E::MESSAGE_REACTION_REMOVE_ALL
                | E::MESSAGE_REACTION_REMOVE_EMOJI
                | E::CHANNEL_DELETE
                | E::THREAD_DELETE;
        }
        if !r.is_empty() {
            // the bot's own user, and the guilds it is in
            f |= E::READY;
        }
        f
    }
}
