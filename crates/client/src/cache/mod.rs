//! The cache: what the bot knows about its guilds, channels, roles,
//! members, users, and recent messages, kept up to date from the gateway
//! events before handlers see them.
//!
//! The [`Client`](crate::Client) keeps an [`InMemoryCache`] (every
//! resource, the last 100 messages per channel, unless configured with
//! [`ClientBuilder::cache`](crate::ClientBuilder::cache)); handlers read it
//! with [`Context::cache`](crate::Context::cache). Reads never hand out a
//! lock: they return `Arc` snapshots or owned values, or run a closure, so
//! nothing a handler holds across an `.await` can block the event loop.
//!
//! ```
//! use acord::cache::{CacheConfig, InMemoryCache};
//! use acord::event::Event;
//!
//! let cache = InMemoryCache::new(CacheConfig::default());
//! let event = Event::from_dispatch("GUILD_ROLE_DELETE", br#"{"guild_id":"1","role_id":"2"}"#)?;
//! let previous = cache.update(&event); // nothing was cached: nothing previous
//! assert!(previous.is_none());
//! # Ok::<(), acord::event::EventError>(())
//! ```
//!
//! # The flow
//!
//! 1. The client parses each event a handler or the cache wants (the
//!    cache's share is [`CacheConfig::event_types`]) and applies it with
//!    [`Cache::update`], one event at a time in the order the shards
//!    delivered them, before any handler runs.
//! 2. Handlers then read the state after the event from
//!    [`Context::cache`](crate::Context::cache), and what the event
//!    replaced or removed from [`Context::previous`](crate::Context::previous).
//!
//! # Another store
//!
//! Applying an event is one step behind the object-safe [`Cache`] trait,
//! so another store (one shared by several processes, say) can back the
//! client through [`ClientBuilder::cache_store`](crate::ClientBuilder::cache_store);
//! the in-memory cache then stays empty, and handlers read the store
//! themselves.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//!
//! use acord::cache::{Cache, CacheUpdate, Previous};
//! use acord::event::{Event, EventTypeFlags};
//! use acord::{Client, Intents};
//!
//! /// Counts messages (a real store would write them somewhere).
//! #[derive(Debug, Default)]
//! struct MessageCounter(AtomicU64);
//!
//! impl Cache for MessageCounter {
//!     fn event_types(&self) -> EventTypeFlags {
//!         EventTypeFlags::MESSAGE_CREATE
//!     }
//!
//!     fn update<'a>(&'a self, event: &'a Event) -> CacheUpdate<'a> {
//!         if let Event::MessageCreate(_) = event {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!         }
//!         // a store behind the network returns CacheUpdate::Pending(future)
//!         CacheUpdate::Done(Previous::None)
//!     }
//! }
//!
//! let store = Arc::new(MessageCounter::default());
//! let builder = Client::builder("token", Intents::GUILD_MESSAGES).cache_store(store.clone());
//! # drop(builder);
//! ```
//!
//! Memory, measured against twilight-cache-inmemory, and the cost of each
//! update are in `docs/cache.md`.

mod config;
mod model;
pub mod patch;
mod permissions;
mod update;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use dashmap::DashMap;

pub use config::{CacheConfig, ResourceType, DEFAULT_MESSAGE_CAPACITY};
pub use model::{CachedMember, CachedUser};
pub use permissions::PermissionError;

use crate::event::{Event, EventTypeFlags};
use crate::model::{
    Channel, ChannelId, Emoji, Guild, GuildId, GuildScheduledEvent, Message, MessageId, Presence,
    Role, RoleId, ScheduledEventId, StageId, StageInstance, Sticker, User, UserId, VoiceState,
};

/// A boxed future, as [`CacheUpdate::Pending`] holds.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A store the client applies every event it reads to, before handlers
/// see the event.
///
/// Object-safe and ready for stores behind the network: an update may
/// finish at once ([`CacheUpdate::Done`], the in-memory cache) or later
/// ([`CacheUpdate::Pending`]). The client applies events one at a time,
/// in the order the shards delivered them.
pub trait Cache: Send + Sync + fmt::Debug + 'static {
    /// The events this store reads; the client deserialises them even
    /// when no handler wants them.
    fn event_types(&self) -> EventTypeFlags;

    /// Applies one event; returns what it replaced or removed.
    fn update<'a>(&'a self, event: &'a Event) -> CacheUpdate<'a>;
}

/// The result of [`Cache::update`].
pub enum CacheUpdate<'a> {
    /// Applied.
    Done(Previous),
    /// Being applied (a store behind the network).
    Pending(BoxFuture<'a, Previous>),
}

impl fmt::Debug for CacheUpdate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done(p) => f.debug_tuple("Done").field(p).finish(),
            Self::Pending(_) => f.write_str("Pending"),
        }
    }
}

impl CacheUpdate<'_> {
    /// Waits for the update.
    ///
    /// # Cancel safety
    ///
    /// A [`Done`](Self::Done) update was applied before this future was
    /// made. Dropping the future of a [`Pending`](Self::Pending) one
    /// leaves the update as far along as the store got (the client awaits
    /// it before it applies the next event).
    pub async fn finish(self) -> Previous {
        match self {
            Self::Done(p) => p,
            Self::Pending(f) => f.await,
        }
    }
}

/// What an event replaced or removed in the cache: the state before an
/// update or a delete, where it was cached. Handlers read it with
/// [`Context::previous`](crate::Context::previous).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Previous {
    /// Nothing was cached (or the event changes nothing that is kept).
    #[default]
    None,
    /// GUILD_UPDATE, GUILD_DELETE: the guild before.
    Guild(Arc<Guild>),
    /// CHANNEL_UPDATE/DELETE, THREAD_UPDATE/DELETE: the channel before.
    Channel(Arc<Channel>),
    /// GUILD_ROLE_UPDATE/DELETE: the role before.
    Role(Arc<Role>),
    /// GUILD_MEMBER_UPDATE/REMOVE: the member before.
    Member(CachedMember),
    /// USER_UPDATE: the bot's user before.
    CurrentUser(Arc<User>),
    /// MESSAGE_UPDATE/DELETE and MESSAGE_REACTION_*: the message before.
    Message(Arc<Message>),
    /// MESSAGE_DELETE_BULK: the deleted messages that were cached.
    Messages(Vec<Arc<Message>>),
    /// GUILD_EMOJIS_UPDATE: the emojis before.
    Emojis(Arc<[Emoji]>),
    /// GUILD_STICKERS_UPDATE: the stickers before.
    Stickers(Arc<[Sticker]>),
    /// PRESENCE_UPDATE: the presence before.
    Presence(Arc<Presence>),
    /// VOICE_STATE_UPDATE: the voice state before.
    VoiceState(Arc<VoiceState>),
    /// STAGE_INSTANCE_UPDATE/DELETE: the stage instance before.
    StageInstance(Arc<StageInstance>),
    /// GUILD_SCHEDULED_EVENT_UPDATE/DELETE: the event before.
    ScheduledEvent(Arc<GuildScheduledEvent>),
}

impl Previous {
    /// Whether nothing was cached.
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    /// The guild before, for GUILD_UPDATE and GUILD_DELETE.
    pub fn guild(&self) -> Option<&Guild> {
        match self {
            Self::Guild(g) => Some(g),
            _ => None,
        }
    }

    /// The channel before, for CHANNEL_* and THREAD_* updates and deletes.
    pub fn channel(&self) -> Option<&Channel> {
        match self {
            Self::Channel(c) => Some(c),
            _ => None,
        }
    }

    /// The role before, for GUILD_ROLE_UPDATE and GUILD_ROLE_DELETE.
    pub fn role(&self) -> Option<&Role> {
        match self {
            Self::Role(r) => Some(r),
            _ => None,
        }
    }

    /// The member before, for GUILD_MEMBER_UPDATE and GUILD_MEMBER_REMOVE.
    pub fn member(&self) -> Option<&CachedMember> {
        match self {
            Self::Member(m) => Some(m),
            _ => None,
        }
    }

    /// The message before, for MESSAGE_UPDATE and MESSAGE_DELETE.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Self::Message(m) => Some(m),
            _ => None,
        }
    }

    /// The deleted messages that were cached, for MESSAGE_DELETE_BULK.
    pub fn messages(&self) -> &[Arc<Message>] {
        match self {
            Self::Messages(m) => m,
            _ => &[],
        }
    }

    /// The presence before, for PRESENCE_UPDATE.
    pub fn presence(&self) -> Option<&Presence> {
        match self {
            Self::Presence(p) => Some(p),
            _ => None,
        }
    }

    /// The voice state before, for VOICE_STATE_UPDATE.
    pub fn voice_state(&self) -> Option<&VoiceState> {
        match self {
            Self::VoiceState(v) => Some(v),
            _ => None,
        }
    }
}

/// Everything kept about one guild.
#[derive(Debug, Default)]
struct GuildEntry {
    /// The guild object, its lists emptied (they live below).
    guild: Option<Arc<Guild>>,
    channels: HashSet<ChannelId>,
    roles: HashMap<RoleId, Arc<Role>>,
    members: HashMap<UserId, CachedMember>,
    presences: HashMap<UserId, Arc<Presence>>,
    voice_states: HashMap<UserId, Arc<VoiceState>>,
    emojis: Option<Arc<[Emoji]>>,
    stickers: Option<Arc<[Sticker]>>,
    stage_instances: HashMap<StageId, Arc<StageInstance>>,
    scheduled_events: HashMap<ScheduledEventId, Arc<GuildScheduledEvent>>,
}

/// A user and how many cached members refer to it.
#[derive(Debug)]
struct UserEntry {
    user: Arc<CachedUser>,
    members: u32,
}

/// Counts of what the cache holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Guilds (available).
    pub guilds: usize,
    /// Guilds in an outage.
    pub unavailable_guilds: usize,
    /// Channels and threads.
    pub channels: usize,
    /// Roles.
    pub roles: usize,
    /// Members.
    pub members: usize,
    /// Distinct users.
    pub users: usize,
    /// Presences.
    pub presences: usize,
    /// Voice states.
    pub voice_states: usize,
    /// Messages.
    pub messages: usize,
}

/// The default cache: in this process's memory, lock-free for readers in
/// the sense that matters — a read holds an internal shard lock only for
/// the copy of an `Arc` or a small value, never while your code runs
/// (except inside the closure of the `with_*` methods, which should be
/// short).
pub struct InMemoryCache {
    config: CacheConfig,
    wants: EventTypeFlags,
    current_user: RwLock<Option<Arc<User>>>,
    guilds: DashMap<GuildId, GuildEntry>,
    unavailable: DashMap<GuildId, ()>,
    channels: DashMap<ChannelId, Arc<Channel>>,
    users: DashMap<UserId, UserEntry>,
    messages: DashMap<ChannelId, VecDeque<Arc<Message>>>,
}

impl fmt::Debug for InMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryCache")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for InMemoryCache {
    fn default() -> Self {
        Self::new(CacheConfig::default())
    }
}

impl Cache for InMemoryCache {
    fn event_types(&self) -> EventTypeFlags {
        self.wants
    }

    fn update<'a>(&'a self, event: &'a Event) -> CacheUpdate<'a> {
        CacheUpdate::Done(InMemoryCache::update(self, event))
    }
}

impl InMemoryCache {
    /// An empty cache keeping what `config` says.
    pub fn new(config: CacheConfig) -> Self {
        Self {
            wants: config.event_types(),
            config,
            current_user: RwLock::new(None),
            guilds: DashMap::new(),
            unavailable: DashMap::new(),
            channels: DashMap::new(),
            users: DashMap::new(),
            messages: DashMap::new(),
        }
    }

    /// What this cache keeps.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Applies one event and returns what it replaced or removed. The
    /// client does this before handlers run; call it yourself when you
    /// drive the cache from your own event stream.
    pub fn update(&self, event: &Event) -> Previous {
        update::apply(self, event)
    }

    /// Forgets everything.
    pub fn clear(&self) {
        *self.current_user.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.guilds.clear();
        self.unavailable.clear();
        self.channels.clear();
        self.users.clear();
        self.messages.clear();
    }

    /// Counts of what is held.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats {
            guilds: 0,
            unavailable_guilds: self.unavailable.len(),
            channels: self.channels.len(),
            users: self.users.len(),
            messages: self.messages.iter().map(|m| m.len()).sum(),
            ..CacheStats::default()
        };
        for g in self.guilds.iter() {
            s.guilds += usize::from(g.guild.is_some());
            s.roles += g.roles.len();
            s.members += g.members.len();
            s.presences += g.presences.len();
            s.voice_states += g.voice_states.len();
        }
        s
    }

    // ----- reads --------------------------------------------------------

    /// The bot's own user (from READY and USER_UPDATE).
    pub fn current_user(&self) -> Option<Arc<User>> {
        self.current_user
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A guild (its lists — channels, roles, members, … — are read with
    /// the methods below).
    pub fn guild(&self, guild_id: GuildId) -> Option<Arc<Guild>> {
        self.guilds.get(&guild_id)?.guild.clone()
    }

    /// The IDs of the available guilds.
    pub fn guild_ids(&self) -> Vec<GuildId> {
        self.guilds
            .iter()
            .filter(|g| g.guild.is_some())
            .map(|g| *g.key())
            .collect()
    }

    /// Whether `guild_id` is in an outage (or not yet received after
    /// READY).
    pub fn is_unavailable(&self, guild_id: GuildId) -> bool {
        self.unavailable.contains_key(&guild_id)
    }

    /// The guilds in an outage, or not yet received after READY.
    pub fn unavailable_guilds(&self) -> Vec<GuildId> {
        self.unavailable.iter().map(|g| *g.key()).collect()
    }

    /// A channel, thread or DM channel.
    pub fn channel(&self, channel_id: ChannelId) -> Option<Arc<Channel>> {
        self.channels.get(&channel_id).map(|c| c.clone())
    }

    /// A guild's channels and threads, by position then ID.
    pub fn guild_channels(&self, guild_id: GuildId) -> Vec<Arc<Channel>> {
        let ids: Vec<ChannelId> = match self.guilds.get(&guild_id) {
            Some(g) => g.channels.iter().copied().collect(),
            None => return Vec::new(),
        };
        let mut channels: Vec<Arc<Channel>> =
            ids.into_iter().filter_map(|id| self.channel(id)).collect();
        channels.sort_by_key(|c| (c.position.unwrap_or(i32::MAX), c.id));
        channels
    }

    /// A role.
    pub fn role(&self, guild_id: GuildId, role_id: RoleId) -> Option<Arc<Role>> {
        self.guilds.get(&guild_id)?.roles.get(&role_id).cloned()
    }

    /// A guild's roles, by position then ID.
    pub fn roles(&self, guild_id: GuildId) -> Vec<Arc<Role>> {
        let mut roles: Vec<Arc<Role>> = match self.guilds.get(&guild_id) {
            Some(g) => g.roles.values().cloned().collect(),
            None => return Vec::new(),
        };
        roles.sort_by_key(|r| (r.position, r.id));
        roles
    }

    /// A member (a copy; the user is [`user`](Self::user)).
    pub fn member(&self, guild_id: GuildId, user_id: UserId) -> Option<CachedMember> {
        self.guilds.get(&guild_id)?.members.get(&user_id).cloned()
    }

    /// Runs `f` on a member without copying it. Keep `f` short: the
    /// guild's entry is read-locked while it runs.
    pub fn with_member<R>(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        f: impl FnOnce(&CachedMember) -> R,
    ) -> Option<R> {
        let g = self.guilds.get(&guild_id)?;
        g.members.get(&user_id).map(f)
    }

    /// How many members of the guild are cached.
    pub fn member_count(&self, guild_id: GuildId) -> usize {
        self.guilds.get(&guild_id).map_or(0, |g| g.members.len())
    }

    /// The IDs of a guild's cached members (a snapshot: writers are held
    /// up only for the copy of the IDs).
    pub fn member_ids(&self, guild_id: GuildId) -> Vec<UserId> {
        self.guilds
            .get(&guild_id)
            .map(|g| g.members.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Runs `f` on each cached member of the guild. Keep `f` short: the
    /// guild's entry is read-locked meanwhile (take
    /// [`member_ids`](Self::member_ids) and read members one by one for
    /// long work).
    pub fn for_each_member(&self, guild_id: GuildId, mut f: impl FnMut(&CachedMember)) {
        if let Some(g) = self.guilds.get(&guild_id) {
            g.members.values().for_each(&mut f);
        }
    }

    /// A user, stored once for all the guilds the bot shares with them.
    pub fn user(&self, user_id: UserId) -> Option<Arc<CachedUser>> {
        self.users.get(&user_id).map(|u| u.user.clone())
    }

    /// A member's presence.
    pub fn presence(&self, guild_id: GuildId, user_id: UserId) -> Option<Arc<Presence>> {
        self.guilds.get(&guild_id)?.presences.get(&user_id).cloned()
    }

    /// A member's voice state (only while in a voice channel).
    pub fn voice_state(&self, guild_id: GuildId, user_id: UserId) -> Option<Arc<VoiceState>> {
        self.guilds
            .get(&guild_id)?
            .voice_states
            .get(&user_id)
            .cloned()
    }

    /// Everyone in a voice channel of the guild.
    pub fn voice_states(&self, guild_id: GuildId) -> Vec<Arc<VoiceState>> {
        self.guilds
            .get(&guild_id)
            .map(|g| g.voice_states.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The guild's custom emojis.
    pub fn emojis(&self, guild_id: GuildId) -> Option<Arc<[Emoji]>> {
        self.guilds.get(&guild_id)?.emojis.clone()
    }

    /// The guild's stickers.
    pub fn stickers(&self, guild_id: GuildId) -> Option<Arc<[Sticker]>> {
        self.guilds.get(&guild_id)?.stickers.clone()
    }

    /// A stage instance.
    pub fn stage_instance(&self, guild_id: GuildId, id: StageId) -> Option<Arc<StageInstance>> {
        self.guilds
            .get(&guild_id)?
            .stage_instances
            .get(&id)
            .cloned()
    }

    /// A scheduled event.
    pub fn scheduled_event(
        &self,
        guild_id: GuildId,
        id: ScheduledEventId,
    ) -> Option<Arc<GuildScheduledEvent>> {
        self.guilds
            .get(&guild_id)?
            .scheduled_events
            .get(&id)
            .cloned()
    }

    /// A recent message.
    pub fn message(&self, channel_id: ChannelId, message_id: MessageId) -> Option<Arc<Message>> {
        self.messages
            .get(&channel_id)?
            .iter()
            .rev()
            .find(|m| m.id == message_id)
            .cloned()
    }

    /// A channel's recent messages, oldest first.
    pub fn messages(&self, channel_id: ChannelId) -> Vec<Arc<Message>> {
        self.messages
            .get(&channel_id)
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }
}
