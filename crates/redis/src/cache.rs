//! [`RedisCache`]: the cache kept in Redis, written by the gateway
//! processes and readable by any process of the bot.

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acord::cache::patch;
use acord::cache::{
    Cache, CacheConfig, CacheUpdate, CachedMember, CachedUser, Previous, ResourceType,
};
use acord::event::{Event, EventTypeFlags, GuildCreate, GuildMemberUpdate};
use acord::model::{
    Channel, ChannelId, Emoji, Guild, GuildId, GuildScheduledEvent, Member, MemberFlags, Message,
    MessageId, PartialUser, Presence, Role, RoleId, ScheduledEventId, StageId, StageInstance,
    Sticker, Timestamp, User, UserFlags, UserId, VoiceState,
};
use redis::aio::ConnectionManager;
use redis::Script;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::RedisError;

/// Members (or message IDs) per script call inside a pipeline.
const BATCH: usize = 500;

/// A cache kept in Redis: an [`acord::cache::Cache`] store for the
/// client, and an async reader for any process.
///
/// Cheap to clone (the connection manager and state are shared).
///
///
/// # The flow
///
/// 1. A gateway process installs it with
///    `ClientBuilder::cache_store(Arc::new(cache))`. The client hands it
///    every event the cache reads ([`CacheConfig::event_types`]), one at a
///    time and in order; each update is one round trip to Redis (a Lua
///    script or an atomic pipeline), two for the read-modify-write events
///    listed below. Handlers get what the event replaced through
///    `ctx.previous()`, as with the in-memory cache.
/// 2. Any process, connected to the gateway or not, builds a `RedisCache`
///    from the same URL and prefix and reads with the async methods
///    ([`guild`](RedisCache::guild), [`member`](RedisCache::member),
///    [`channel`](RedisCache::channel), …).
///
/// # Keys
///
/// Every key starts with the prefix (default `acord`); `{g}` is a guild
/// ID, `{c}` a channel ID. Each value is one MessagePack blob (see
/// [Encoding](#encoding)).
///
/// | key | type | holds |
/// |---|---|---|
/// | `{prefix}:cache:held` | set | the guilds whose GUILD_CREATE was applied |
/// | `{prefix}:cache:unavailable` | set | guilds in an outage, or not yet received after READY |
/// | `{prefix}:cache:guild` | hash | guild ID → the guild object without its lists |
/// | `{prefix}:cache:channel` | hash | channel ID → channel or thread |
/// | `{prefix}:cache:gchannels:{g}` | set | the guild's channel and thread IDs |
/// | `{prefix}:cache:role:{g}` | hash | role ID → role |
/// | `{prefix}:cache:member:{g}` | hash | user ID → member (compact) |
/// | `{prefix}:cache:user` | hash | user ID → user (compact), stored once for all guilds |
/// | `{prefix}:cache:userrefs` | hash | user ID → how many cached members refer to it |
/// | `{prefix}:cache:presence:{g}`, `…:voice:{g}` | hash | user ID → presence, voice state |
/// | `{prefix}:cache:emoji`, `…:sticker` | hash | guild ID → the guild's list |
/// | `{prefix}:cache:stage:{g}`, `…:sched:{g}` | hash | stage instances, scheduled events |
/// | `{prefix}:cache:msgids:{c}` | list | the channel's cached message IDs, oldest first, bounded |
/// | `{prefix}:cache:msg:{c}` | hash | message ID → message |
/// | `{prefix}:cache:me` | string | the bot's own user |
///
/// Some scripts name keys they compute (a guild's message lists), so use
/// one Redis, not a cluster (or a prefix with a hash tag such as `{mybot}`).
///
/// # Encoding
///
/// Models are MessagePack ([`rmp_serde`], maps with field names, so the
/// models' serde attributes keep working); members and users use a
/// positional compact form (IDs as integers, timestamps as Unix
/// microseconds) that the reader turns back into [`CachedMember`] and
/// [`CachedUser`].
///
/// # What is atomic
///
/// GUILD_CREATE is one `MULTI`/`EXEC` pipeline (forget the guild, then
/// write it back with its channels, roles, members by 500 per script call,
/// users, presences, voice states, emojis, stickers, stage instances and
/// scheduled events), so a reader never sees half a guild. Replacing or
/// removing one thing and returning what was there is one Lua script.
/// GUILD_UPDATE, GUILD_MEMBER_UPDATE, MESSAGE_UPDATE, the
/// MESSAGE_REACTION_* events, CHANNEL_PINS_UPDATE, PRESENCE_UPDATE (user
/// fields) and THREAD_LIST_SYNC read first and write after (two or three
/// round trips): Discord sends a guild's events to one shard, so one
/// process writes a guild, and these cannot race another writer.
///
/// # When Redis fails
///
/// An update that fails (Redis down, a timeout, default 2 seconds) is not
/// retried: the client goes on with `Previous::None`, the first failure is
/// logged at `error` level (once until Redis answers again, then a `warn`
/// with the count) and counted in [`RedisCache::failed_updates`]. The
/// cache lags behind Discord for what was missed, until Discord sends the
/// guild again (a new session's GUILD_CREATE starts each guild over).
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use acord::{Client, Intents};
/// use acord_redis::RedisCache;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // the gateway process: the client writes every event to Redis
/// let cache = RedisCache::builder().prefix("mybot").connect("redis://127.0.0.1/").await?;
/// let client = Client::builder("token", Intents::GUILDS | Intents::GUILD_MEMBERS)
///     .cache_store(Arc::new(cache))
///     .build()
///     .await?;
/// # drop(client);
///
/// // any other process: read, without a gateway connection
/// let reader = RedisCache::builder().prefix("mybot").connect("redis://127.0.0.1/").await?;
/// for guild_id in reader.guild_ids().await? {
///     let name = reader.guild(guild_id).await?.map(|g| g.name);
///     println!("{name:?}: {} members", reader.member_count(guild_id).await?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisCache {
    inner: Arc<Inner>,
}

struct Inner {
    conn: ConnectionManager,
    keys: Keys,
    config: CacheConfig,
    wants: EventTypeFlags,
    timeout: Duration,
    failures: AtomicU64,
    failing: AtomicBool,
    /// The bot's user ID (from READY), 0 when unknown.
    me: AtomicU64,
    scripts: Scripts,
}

/// The Lua scripts run on their own (hashed once; `EVALSHA`, loaded on
/// demand).
struct Scripts {
    swap: Script,
    take: Script,
    set_if_exists: Script,
    upsert_channel: Script,
    remove_channel: Script,
    push_message: Script,
    take_messages: Script,
    upsert_members: Script,
    remove_member: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            swap: Script::new(SWAP),
            take: Script::new(TAKE),
            set_if_exists: Script::new(SET_IF_EXISTS),
            upsert_channel: Script::new(UPSERT_CHANNEL),
            remove_channel: Script::new(REMOVE_CHANNEL),
            push_message: Script::new(PUSH_MESSAGE),
            take_messages: Script::new(TAKE_MESSAGES),
            upsert_members: Script::new(UPSERT_MEMBERS),
            remove_member: Script::new(REMOVE_MEMBER),
        }
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("prefix", &self.inner.keys.prefix)
            .field("config", &self.inner.config)
            .field("timeout", &self.inner.timeout)
            .field("failed_updates", &self.failed_updates())
            .finish()
    }
}

/// Builds a [`RedisCache`]: the key prefix, what is kept, the update
/// timeout.
#[derive(Clone, Debug)]
pub struct RedisCacheBuilder {
    prefix: String,
    config: CacheConfig,
    timeout: Duration,
}

impl Default for RedisCacheBuilder {
    fn default() -> Self {
        Self {
            prefix: "acord".to_owned(),
            config: CacheConfig::default(),
            timeout: Duration::from_secs(2),
        }
    }
}

impl RedisCacheBuilder {
    /// The key prefix (default `acord`); writers and readers of one bot
    /// must use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What is kept, and how many messages per channel (default: every
    /// resource, 100 messages), as for the in-memory cache. Only the
    /// writer's config matters; a reader reads what is there.
    pub fn config(mut self, config: CacheConfig) -> Self {
        self.config = config;
        self
    }

    /// How long one update may take before the client goes on without it
    /// (default 2 seconds), plus 20 µs per member for GUILD_CREATE and
    /// GUILD_MEMBERS_CHUNK (2 more seconds for 100,000 members).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A cache on an existing connection (from [`crate::connect`]).
    pub fn build(self, conn: ConnectionManager) -> RedisCache {
        RedisCache {
            inner: Arc::new(Inner {
                conn,
                keys: Keys {
                    prefix: format!("{}:cache", self.prefix),
                },
                wants: self.config.event_types(),
                config: self.config,
                timeout: self.timeout,
                failures: AtomicU64::new(0),
                failing: AtomicBool::new(false),
                me: AtomicU64::new(0),
                scripts: Scripts::new(),
            }),
        }
    }

    /// Connects to the Redis at `url` and builds the cache: all a process
    /// that only reads needs.
    ///
    /// # Errors
    /// [`RedisError::Connect`], naming the URL (password redacted), when
    /// the URL is invalid or Redis cannot be reached.
    ///
    /// # Cancel safety
    /// Dropping the future drops the half-open connection; nothing is kept.
    pub async fn connect(self, url: &str) -> Result<RedisCache, RedisError> {
        Ok(self.build(crate::connect(url).await?))
    }
}

/// Key names.
#[derive(Debug)]
struct Keys {
    /// `{prefix}:cache`.
    prefix: String,
}

impl Keys {
    fn k(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }
    fn g(&self, name: &str, id: u64) -> String {
        format!("{}:{name}:{id}", self.prefix)
    }
    fn held(&self) -> String {
        self.k("held")
    }
    fn unavailable(&self) -> String {
        self.k("unavailable")
    }
    fn guilds(&self) -> String {
        self.k("guild")
    }
    fn channels(&self) -> String {
        self.k("channel")
    }
    /// `g` 0 for channels outside guilds (never written).
    fn guild_channels(&self, g: u64) -> String {
        self.g("gchannels", g)
    }
    fn roles(&self, g: GuildId) -> String {
        self.g("role", g.get())
    }
    fn members(&self, g: GuildId) -> String {
        self.g("member", g.get())
    }
    fn users(&self) -> String {
        self.k("user")
    }
    fn user_refs(&self) -> String {
        self.k("userrefs")
    }
    fn presences(&self, g: GuildId) -> String {
        self.g("presence", g.get())
    }
    fn voice(&self, g: GuildId) -> String {
        self.g("voice", g.get())
    }
    fn emojis(&self) -> String {
        self.k("emoji")
    }
    fn stickers(&self) -> String {
        self.k("sticker")
    }
    fn stages(&self, g: GuildId) -> String {
        self.g("stage", g.get())
    }
    fn scheduled(&self, g: GuildId) -> String {
        self.g("sched", g.get())
    }
    /// Must match the names `REMOVE_GUILD` builds.
    fn message_ids(&self, c: u64) -> String {
        self.g("msgids", c)
    }
    /// Must match the names `REMOVE_GUILD` builds.
    fn messages(&self, c: u64) -> String {
        self.g("msg", c)
    }
    fn me(&self) -> String {
        self.k("me")
    }
}

// ----- scripts --------------------------------------------------------------

/// Forgets a guild and everything in it; returns the guild blob.
/// KEYS: held, unavailable, guild, channel, gchannels, role, member, user,
/// userrefs, presence, voice, emoji, sticker, stage, sched.
/// ARGV: guild id, key prefix, mode (mark|clear|keep), keep users (1|0).
const REMOVE_GUILD: &str = r"
local g = ARGV[1]
redis.call('SREM', KEYS[1], g)
local old = redis.call('HGET', KEYS[3], g)
redis.call('HDEL', KEYS[3], g)
for _, c in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  redis.call('HDEL', KEYS[4], c)
  redis.call('DEL', ARGV[2] .. ':msgids:' .. c, ARGV[2] .. ':msg:' .. c)
end
if ARGV[4] == '1' then
  for _, u in ipairs(redis.call('HKEYS', KEYS[7])) do
    if redis.call('HINCRBY', KEYS[9], u, -1) <= 0 then
      redis.call('HDEL', KEYS[9], u)
      redis.call('HDEL', KEYS[8], u)
    end
  end
end
redis.call('DEL', KEYS[5], KEYS[6], KEYS[7], KEYS[10], KEYS[11], KEYS[14], KEYS[15])
redis.call('HDEL', KEYS[12], g)
redis.call('HDEL', KEYS[13], g)
if ARGV[3] == 'mark' then
  redis.call('SADD', KEYS[2], g)
elseif ARGV[3] == 'clear' then
  redis.call('SREM', KEYS[2], g)
end
return old
";

/// Writes members (and their users); returns each member's old blob or ''.
/// KEYS: member, user, userrefs, held. ARGV: guild id, keep users (1|0),
/// then (user id, member blob, user blob) triples.
const UPSERT_MEMBERS: &str = r"
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 0 then return {} end
local olds = {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local old = redis.call('HGET', KEYS[1], id)
  redis.call('HSET', KEYS[1], id, ARGV[i + 1])
  if ARGV[2] == '1' then
    redis.call('HSET', KEYS[2], id, ARGV[i + 2])
    if not old then redis.call('HINCRBY', KEYS[3], id, 1) end
  end
  olds[#olds + 1] = old or ''
end
return olds
";

/// Removes a member (and its presence and voice state); returns its blob.
/// KEYS: member, presence, voice, user, userrefs. ARGV: user id, keep
/// members (1|0), keep users (1|0).
const REMOVE_MEMBER: &str = r"
local id = ARGV[1]
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
if ARGV[2] ~= '1' then return false end
local old = redis.call('HGET', KEYS[1], id)
if old then
  redis.call('HDEL', KEYS[1], id)
  if ARGV[3] == '1' and redis.call('HINCRBY', KEYS[5], id, -1) <= 0 then
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[4], id)
  end
end
return old
";

/// Replaces a hash field in a held guild (or anywhere with guild '');
/// returns the old blob. KEYS: hash, held. ARGV: field, blob, guild id.
const SWAP: &str = r"
if ARGV[3] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then return false end
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return old
";

/// Removes a hash field; returns the old blob. KEYS: hash. ARGV: field.
const TAKE: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then redis.call('HDEL', KEYS[1], ARGV[1]) end
return old
";

/// Sets a hash field only when it exists. KEYS: hash. ARGV: field, blob.
const SET_IF_EXISTS: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 0
";

/// Writes many fields of a held guild's hash. KEYS: hash, held.
/// ARGV: guild id, then (field, blob) pairs.
const SET_MANY_HELD: &str = r"
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 0
";

/// Adds or replaces a channel; returns the old blob. KEYS: channel, held,
/// gchannels. ARGV: channel id, blob, guild id or ''.
const UPSERT_CHANNEL: &str = r"
if ARGV[3] ~= '' then
  if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then return false end
  redis.call('SADD', KEYS[3], ARGV[1])
end
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return old
";

/// Removes a channel and its messages; returns the old blob.
/// KEYS: channel, gchannels, msgids, msg. ARGV: channel id.
const REMOVE_CHANNEL: &str = r"
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then redis.call('HDEL', KEYS[1], ARGV[1]) end
return old
";

/// Stores a message, dropping the oldest past the bound.
/// KEYS: msgids, msg. ARGV: message id, blob, capacity.
const PUSH_MESSAGE: &str = r"
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local cap = tonumber(ARGV[3])
while redis.call('LLEN', KEYS[1]) > cap do
  local gone = redis.call('LPOP', KEYS[1])
  redis.call('HDEL', KEYS[2], gone)
end
return 0
";

/// Removes messages; returns the blobs of those that were cached.
/// KEYS: msgids, msg. ARGV: message ids.
const TAKE_MESSAGES: &str = r"
local olds = {}
for i = 1, #ARGV do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if old then
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('LREM', KEYS[1], 1, ARGV[i])
    olds[#olds + 1] = old
  end
end
return olds
";

/// Marks READY's guilds unavailable unless held. KEYS: held, unavailable.
/// ARGV: guild ids.
const MARK_UNAVAILABLE: &str = r"
for i = 1, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then
    redis.call('SADD', KEYS[2], ARGV[i])
  end
end
return 0
";

// ----- compact forms --------------------------------------------------------

/// A member as stored: positional, IDs as integers, times as Unix µs.
#[derive(Serialize, Deserialize)]
struct StoredMember(
    u64,
    Option<Box<str>>,
    Option<Box<str>>,
    Vec<u64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    u64,
    bool,
    bool,
    bool,
);

impl StoredMember {
    fn from_cached(m: &CachedMember) -> Self {
        Self(
            m.user_id.get(),
            m.nick.clone(),
            m.avatar.clone(),
            m.roles.iter().map(|r| r.get()).collect(),
            m.joined_at.map(Timestamp::as_unix_micros),
            m.premium_since.map(Timestamp::as_unix_micros),
            m.communication_disabled_until
                .map(Timestamp::as_unix_micros),
            m.flags.bits(),
            m.deaf,
            m.mute,
            m.pending,
        )
    }

    fn into_cached(self) -> Option<CachedMember> {
        Some(CachedMember {
            user_id: UserId::new(self.0)?,
            nick: self.1,
            avatar: self.2,
            roles: self.3.into_iter().filter_map(RoleId::new).collect(),
            joined_at: self.4.map(Timestamp::from_unix_micros),
            premium_since: self.5.map(Timestamp::from_unix_micros),
            communication_disabled_until: self.6.map(Timestamp::from_unix_micros),
            flags: MemberFlags::from_bits_retain(self.7),
            deaf: self.8,
            mute: self.9,
            pending: self.10,
        })
    }
}

/// A user as stored: positional.
#[derive(Serialize, Deserialize)]
struct StoredUser(
    u64,
    Box<str>,
    u16,
    Option<Box<str>>,
    Option<Box<str>>,
    bool,
    bool,
    u64,
);

impl StoredUser {
    fn from_cached(u: &CachedUser) -> Self {
        Self(
            u.id.get(),
            u.name.clone(),
            u.discriminator,
            u.global_name.clone(),
            u.avatar.clone(),
            u.bot,
            u.system,
            u.public_flags.bits(),
        )
    }

    fn into_cached(self) -> Option<CachedUser> {
        Some(CachedUser {
            id: UserId::new(self.0)?,
            name: self.1,
            discriminator: self.2,
            global_name: self.3,
            avatar: self.4,
            bot: self.5,
            system: self.6,
            public_flags: UserFlags::from_bits_retain(self.7),
        })
    }
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, RedisError> {
    rmp_serde::to_vec_named(value).map_err(|source| RedisError::Encode { what, source })
}

fn enc_member(m: &CachedMember) -> Result<Vec<u8>, RedisError> {
    encode("member", &StoredMember::from_cached(m))
}

fn enc_user(u: &User) -> Result<Vec<u8>, RedisError> {
    encode("user", &StoredUser::from_cached(&CachedUser::from_user(u)))
}

fn dec_member(bytes: &[u8]) -> Result<CachedMember, rmp_serde::decode::Error> {
    let stored: StoredMember = rmp_serde::from_slice(bytes)?;
    stored
        .into_cached()
        .ok_or_else(|| rmp_serde::decode::Error::Syntax("member with user ID 0".to_owned()))
}

fn dec_user(bytes: &[u8]) -> Result<CachedUser, rmp_serde::decode::Error> {
    let stored: StoredUser = rmp_serde::from_slice(bytes)?;
    stored
        .into_cached()
        .ok_or_else(|| rmp_serde::decode::Error::Syntax("user with ID 0".to_owned()))
}

/// A previous value from an update; an undecodable one is logged and
/// treated as absent (the update itself went through).
fn previous<T>(
    what: &'static str,
    bytes: Option<Vec<u8>>,
    decode: impl FnOnce(&[u8]) -> Result<T, rmp_serde::decode::Error>,
) -> Option<T> {
    let bytes = bytes.filter(|b| !b.is_empty())?;
    match decode(&bytes) {
        Ok(v) => Some(v),
        Err(error) => {
            tracing::warn!(what, %error, "a cached value could not be decoded; no previous state");
            None
        }
    }
}

fn model<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, rmp_serde::decode::Error> {
    rmp_serde::from_slice(bytes)
}

fn cmd_err(what: &'static str) -> impl FnOnce(redis::RedisError) -> RedisError {
    move |source| RedisError::Command { what, source }
}

/// A user with the fields a PRESENCE_UPDATE carried; `None` when nothing
/// changes.
fn patched_user(u: &CachedUser, p: &PartialUser) -> Option<CachedUser> {
    let mut next = u.clone();
    if let Some(name) = &p.username {
        next.name = name.as_str().into();
    }
    if let Some(d) = &p.discriminator {
        next.discriminator = d.parse().unwrap_or(0);
    }
    if p.global_name.is_some() {
        next.global_name = p.global_name.as_deref().map(Into::into);
    }
    if p.avatar.is_some() {
        next.avatar = p.avatar.as_deref().map(Into::into);
    }
    if let Some(bot) = p.bot {
        next.bot = bot;
    }
    (next != *u).then_some(next)
}

/// Adds a `EVAL` of `script` to a pipeline.
fn eval(
    pipe: &mut redis::Pipeline,
    script: &str,
    keys: &[&str],
    args: impl FnOnce(&mut redis::Cmd),
) {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(keys.len());
    for k in keys {
        cmd.arg(*k);
    }
    args(&mut cmd);
    pipe.add_command(cmd).ignore();
}

/// `HSET key f v f v …` in batches.
fn hset_many(pipe: &mut redis::Pipeline, key: &str, pairs: &[(u64, Vec<u8>)]) {
    for chunk in pairs.chunks(BATCH) {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(key);
        for (f, v) in chunk {
            cmd.arg(*f).arg(v.as_slice());
        }
        pipe.add_command(cmd).ignore();
    }
}

// ----- the store ------------------------------------------------------------

impl Cache for RedisCache {
    fn event_types(&self) -> EventTypeFlags {
        self.inner.wants
    }

    fn update<'a>(&'a self, event: &'a Event) -> CacheUpdate<'a> {
        if !self.inner.wants.intersects(event.kind()) {
            return CacheUpdate::Done(Previous::None);
        }
        CacheUpdate::Pending(Box::pin(self.update_logged(event)))
    }
}

impl RedisCache {
    /// A builder: prefix `acord`, every resource, 100 messages per
    /// channel, updates time out after 2 seconds.
    pub fn builder() -> RedisCacheBuilder {
        RedisCacheBuilder::default()
    }

    /// What this cache keeps (when it writes).
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// How many updates failed (Redis unreachable, an error, a timeout)
    /// since this cache was built. Each one left the cache behind Discord.
    pub fn failed_updates(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// Applies one event and returns what it replaced or removed, as the
    /// client does; call it yourself when you drive the cache from your
    /// own event stream.
    ///
    /// # Errors
    /// [`RedisError::Command`] when Redis fails, [`RedisError::Encode`]
    /// when a model cannot be encoded. (Through the [`Cache`] trait these
    /// are logged and counted, and the update gives `Previous::None`.)
    ///
    /// # Cancel safety
    /// Each round trip is applied whole or not at all; dropping the future
    /// between the two round trips of a read-modify-write event leaves
    /// that event unapplied.
    pub async fn apply(&self, event: &Event) -> Result<Previous, RedisError> {
        self.apply_inner(event).await
    }

    async fn update_logged(&self, event: &Event) -> Previous {
        let inner = &self.inner;
        let result =
            tokio::time::timeout(budget(inner.timeout, event), self.apply_inner(event)).await;
        let error = match result {
            Ok(Ok(previous)) => {
                if inner.failing.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        failed_updates = self.failed_updates(),
                        "the Redis cache is written again; the updates that failed are missing until Discord sends those guilds again"
                    );
                }
                return previous;
            }
            Ok(Err(error)) => error.to_string() + &source_chain(&error),
            Err(_) => format!("no answer within {:?}", inner.timeout),
        };
        inner.failures.fetch_add(1, Ordering::Relaxed);
        if !inner.failing.swap(true, Ordering::Relaxed) {
            tracing::error!(
                event = event.name(),
                %error,
                "the Redis cache missed an update and goes on without it (logged once until Redis answers again; see RedisCache::failed_updates)"
            );
        }
        Previous::None
    }

    fn keep(&self, r: ResourceType) -> bool {
        self.inner.config.kept().contains(r)
    }

    fn keeps_users(&self) -> bool {
        self.keep(ResourceType::USER | ResourceType::MEMBER)
    }

    fn conn(&self) -> ConnectionManager {
        self.inner.conn.clone()
    }

    async fn apply_inner(&self, event: &Event) -> Result<Previous, RedisError> {
        let k = &self.inner.keys;
        Ok(match event {
            Event::Ready(ready) => {
                self.inner.me.store(ready.user.id.get(), Ordering::Relaxed);
                let mut pipe = redis::pipe();
                if self.keep(ResourceType::USER) {
                    pipe.set(k.me(), encode("user", &ready.user)?).ignore();
                }
                let guild_scoped = ResourceType::all() - ResourceType::USER - ResourceType::MESSAGE;
                if self.inner.config.kept().intersects(guild_scoped) && !ready.guilds.is_empty() {
                    let (held, unavailable) = (k.held(), k.unavailable());
                    eval(&mut pipe, MARK_UNAVAILABLE, &[&held, &unavailable], |c| {
                        for g in &ready.guilds {
                            c.arg(g.id.get());
                        }
                    });
                }
                pipe.query_async::<()>(&mut self.conn())
                    .await
                    .map_err(cmd_err("READY"))?;
                Previous::None
            }
            Event::GuildCreate(create) => match &**create {
                GuildCreate::Available(g) => {
                    self.guild_create(g).await?;
                    Previous::None
                }
                GuildCreate::Unavailable(u) => self.remove_guild(u.id, "mark").await?,
            },
            Event::GuildUpdate(g) => self.guild_update(g).await?,
            Event::GuildDelete(u) => {
                let mode = if u.unavailable == Some(true) {
                    "mark"
                } else {
                    "clear"
                };
                self.remove_guild(u.id, mode).await?
            }
            Event::ChannelCreate(ch) | Event::ThreadCreate(ch) => {
                self.upsert_channel(ch, ch.guild_id).await?;
                Previous::None
            }
            Event::ChannelUpdate(ch) | Event::ThreadUpdate(ch) => {
                self.upsert_channel(ch, ch.guild_id).await?
            }
            Event::ChannelDelete(ch) => self.remove_channel(ch.id, ch.guild_id).await?,
            Event::ThreadDelete(t) => self.remove_channel(t.id, Some(t.guild_id)).await?,
            Event::ThreadListSync(sync) => {
                if self.keep(ResourceType::CHANNEL) {
                    self.thread_list_sync(sync).await?;
                }
                Previous::None
            }
            Event::ChannelPinsUpdate(p) => {
                if self.keep(ResourceType::CHANNEL) {
                    let channels = k.channels();
                    let old = self.hget_raw(&channels, p.channel_id.get()).await?;
                    if let Some(mut ch) = previous("channel", old, model::<Channel>) {
                        ch.last_pin_timestamp = p.last_pin_timestamp;
                        self.set_if_exists(&channels, p.channel_id.get(), encode("channel", &ch)?)
                            .await?;
                    }
                }
                Previous::None
            }
            Event::GuildRoleCreate(r) | Event::GuildRoleUpdate(r) => {
                if !self.keep(ResourceType::ROLE) {
                    return Ok(Previous::None);
                }
                let old = self
                    .swap(
                        &k.roles(r.guild_id),
                        r.role.id.get(),
                        encode("role", &r.role)?,
                        Some(r.guild_id),
                    )
                    .await?;
                previous("role", old, model::<Role>)
                    .map_or(Previous::None, |r| Previous::Role(Arc::new(r)))
            }
            Event::GuildRoleDelete(d) => {
                if !self.keep(ResourceType::ROLE) {
                    return Ok(Previous::None);
                }
                let old = self.take(&k.roles(d.guild_id), d.role_id.get()).await?;
                previous("role", old, model::<Role>)
                    .map_or(Previous::None, |r| Previous::Role(Arc::new(r)))
            }
            Event::GuildMemberAdd(a) => {
                if let Some(user) = &a.member.user {
                    if self.keep(ResourceType::MEMBER) {
                        let m = CachedMember::from_member(user.id, &a.member);
                        self.upsert_member(a.guild_id, &m, user).await?;
                    }
                }
                Previous::None
            }
            Event::GuildMemberUpdate(u) => self.member_update(u).await?,
            Event::GuildMemberRemove(r) => {
                let (members, presences, voice) = (
                    k.members(r.guild_id),
                    k.presences(r.guild_id),
                    k.voice(r.guild_id),
                );
                let (users, refs) = (k.users(), k.user_refs());
                let old: Option<Vec<u8>> = self
                    .inner
                    .scripts
                    .remove_member
                    .key(&members)
                    .key(&presences)
                    .key(&voice)
                    .key(&users)
                    .key(&refs)
                    .arg(r.user.id.get())
                    .arg(u8::from(self.keep(ResourceType::MEMBER)))
                    .arg(u8::from(self.keeps_users()))
                    .invoke_async(&mut self.conn())
                    .await
                    .map_err(cmd_err("GUILD_MEMBER_REMOVE"))?;
                previous("member", old, dec_member).map_or(Previous::None, Previous::Member)
            }
            Event::GuildMembersChunk(chunk) => {
                let mut pipe = redis::pipe();
                if self.keep(ResourceType::MEMBER) {
                    let members: Vec<(&User, &Member)> = chunk
                        .members
                        .iter()
                        .filter_map(|m| m.user.as_ref().map(|u| (u, m)))
                        .collect();
                    self.pipe_members(&mut pipe, chunk.guild_id, &members)?;
                }
                if self.keep(ResourceType::PRESENCE) && !chunk.presences.is_empty() {
                    let (presences, held) = (k.presences(chunk.guild_id), k.held());
                    let blobs = chunk
                        .presences
                        .iter()
                        .map(|p| Ok((p.user.id.get(), encode("presence", p)?)))
                        .collect::<Result<Vec<_>, RedisError>>()?;
                    for part in blobs.chunks(BATCH) {
                        eval(&mut pipe, SET_MANY_HELD, &[&presences, &held], |c| {
                            c.arg(chunk.guild_id.get());
                            for (f, v) in part {
                                c.arg(*f).arg(v.as_slice());
                            }
                        });
                    }
                }
                pipe.query_async::<()>(&mut self.conn())
                    .await
                    .map_err(cmd_err("GUILD_MEMBERS_CHUNK"))?;
                Previous::None
            }
            Event::UserUpdate(user) => {
                if !self.keep(ResourceType::USER) {
                    return Ok(Previous::None);
                }
                let mut pipe = redis::pipe();
                pipe.cmd("SET")
                    .arg(k.me())
                    .arg(encode("user", &**user)?)
                    .arg("GET");
                if self.keeps_users() {
                    let blob = enc_user(user)?;
                    pipe.cmd("EVAL")
                        .arg(SET_IF_EXISTS)
                        .arg(1)
                        .arg(k.users())
                        .arg(user.id.get())
                        .arg(blob)
                        .ignore();
                }
                let (old,): (Option<Vec<u8>>,) = pipe
                    .query_async(&mut self.conn())
                    .await
                    .map_err(cmd_err("USER_UPDATE"))?;
                previous("user", old, model::<User>)
                    .map_or(Previous::None, |u| Previous::CurrentUser(Arc::new(u)))
            }
            Event::GuildEmojisUpdate(e) => {
                if !self.keep(ResourceType::EMOJI) {
                    return Ok(Previous::None);
                }
                let old = self
                    .swap(
                        &k.emojis(),
                        e.guild_id.get(),
                        encode("emojis", &e.emojis)?,
                        Some(e.guild_id),
                    )
                    .await?;
                previous("emojis", old, model::<Vec<Emoji>>)
                    .map_or(Previous::None, |e| Previous::Emojis(e.into()))
            }
            Event::GuildStickersUpdate(s) => {
                if !self.keep(ResourceType::STICKER) {
                    return Ok(Previous::None);
                }
                let old = self
                    .swap(
                        &k.stickers(),
                        s.guild_id.get(),
                        encode("stickers", &s.stickers)?,
                        Some(s.guild_id),
                    )
                    .await?;
                previous("stickers", old, model::<Vec<Sticker>>)
                    .map_or(Previous::None, |s| Previous::Stickers(s.into()))
            }
            Event::PresenceUpdate(p) => self.presence_update(p).await?,
            Event::VoiceStateUpdate(v) => {
                if !self.keep(ResourceType::VOICE_STATE) {
                    return Ok(Previous::None);
                }
                let Some(guild_id) = v.guild_id else {
                    return Ok(Previous::None);
                };
                let key = k.voice(guild_id);
                let old = if v.channel_id.is_some() {
                    self.swap(
                        &key,
                        v.user_id.get(),
                        encode("voice state", &patch::voice_state_without_member(v))?,
                        Some(guild_id),
                    )
                    .await?
                } else {
                    self.take(&key, v.user_id.get()).await?
                };
                previous("voice state", old, model::<VoiceState>)
                    .map_or(Previous::None, |v| Previous::VoiceState(Arc::new(v)))
            }
            Event::StageInstanceCreate(s) | Event::StageInstanceUpdate(s) => {
                if !self.keep(ResourceType::STAGE_INSTANCE) {
                    return Ok(Previous::None);
                }
                let old = self
                    .swap(
                        &k.stages(s.guild_id),
                        s.id.get(),
                        encode("stage instance", &**s)?,
                        Some(s.guild_id),
                    )
                    .await?;
                previous("stage instance", old, model::<StageInstance>)
                    .map_or(Previous::None, |s| Previous::StageInstance(Arc::new(s)))
            }
            Event::StageInstanceDelete(s) => {
                if !self.keep(ResourceType::STAGE_INSTANCE) {
                    return Ok(Previous::None);
                }
                let old = self.take(&k.stages(s.guild_id), s.id.get()).await?;
                previous("stage instance", old, model::<StageInstance>)
                    .map_or(Previous::None, |s| Previous::StageInstance(Arc::new(s)))
            }
            Event::GuildScheduledEventCreate(e) | Event::GuildScheduledEventUpdate(e) => {
                if !self.keep(ResourceType::SCHEDULED_EVENT) {
                    return Ok(Previous::None);
                }
                let old = self
                    .swap(
                        &k.scheduled(e.guild_id),
                        e.id.get(),
                        encode("scheduled event", &**e)?,
                        Some(e.guild_id),
                    )
                    .await?;
                previous("scheduled event", old, model::<GuildScheduledEvent>)
                    .map_or(Previous::None, |e| Previous::ScheduledEvent(Arc::new(e)))
            }
            Event::GuildScheduledEventDelete(e) => {
                if !self.keep(ResourceType::SCHEDULED_EVENT) {
                    return Ok(Previous::None);
                }
                let old = self.take(&k.scheduled(e.guild_id), e.id.get()).await?;
                previous("scheduled event", old, model::<GuildScheduledEvent>)
                    .map_or(Previous::None, |e| Previous::ScheduledEvent(Arc::new(e)))
            }
            Event::MessageCreate(m) => {
                let capacity = self.inner.config.messages_per_channel();
                if capacity > 0 {
                    let (ids, msgs) = (
                        k.message_ids(m.channel_id.get()),
                        k.messages(m.channel_id.get()),
                    );
                    self.inner
                        .scripts
                        .push_message
                        .key(&ids)
                        .key(&msgs)
                        .arg(m.id.get())
                        .arg(encode("message", &**m)?)
                        .arg(capacity)
                        .invoke_async::<()>(&mut self.conn())
                        .await
                        .map_err(cmd_err("MESSAGE_CREATE"))?;
                }
                Previous::None
            }
            Event::MessageUpdate(u) => {
                self.patch_message(u.channel_id, u.id, |m| patch::message_update(m, u))
                    .await?
            }
            Event::MessageReactionAdd(r) => {
                let me = self.is_me(r.user_id);
                self.patch_message(r.channel_id, r.message_id, |m| {
                    patch::reaction_add(m, r, me);
                })
                .await?
            }
            Event::MessageReactionRemove(r) => {
                let me = self.is_me(r.user_id);
                self.patch_message(r.channel_id, r.message_id, |m| {
                    patch::reaction_remove(m, r, me);
                })
                .await?
            }
            Event::MessageReactionRemoveAll(r) => {
                self.patch_message(r.channel_id, r.message_id, |m| m.reactions.clear())
                    .await?
            }
            Event::MessageReactionRemoveEmoji(r) => {
                self.patch_message(r.channel_id, r.message_id, |m| {
                    patch::reaction_remove_emoji(m, &r.emoji);
                })
                .await?
            }
            Event::MessageDelete(d) => {
                let mut olds = self.take_messages(d.channel_id, &[d.id]).await?;
                olds.pop()
                    .map_or(Previous::None, |m| Previous::Message(Arc::new(m)))
            }
            Event::MessageDeleteBulk(d) => {
                let olds = self.take_messages(d.channel_id, &d.ids).await?;
                if olds.is_empty() {
                    Previous::None
                } else {
                    Previous::Messages(olds.into_iter().map(Arc::new).collect())
                }
            }
            _ => Previous::None,
        })
    }

    fn is_me(&self, user: UserId) -> bool {
        self.inner.me.load(Ordering::Relaxed) == user.get()
    }

    async fn hget_raw(&self, key: &str, field: u64) -> Result<Option<Vec<u8>>, RedisError> {
        redis::cmd("HGET")
            .arg(key)
            .arg(field)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("HGET"))
    }

    async fn swap(
        &self,
        key: &str,
        field: u64,
        blob: Vec<u8>,
        guild: Option<GuildId>,
    ) -> Result<Option<Vec<u8>>, RedisError> {
        let held = self.inner.keys.held();
        let mut inv = self.inner.scripts.swap.prepare_invoke();
        inv.key(key).key(&held).arg(field).arg(blob);
        match guild {
            Some(g) => inv.arg(g.get()),
            None => inv.arg(""),
        };
        inv.invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("replace a cached value"))
    }

    async fn take(&self, key: &str, field: u64) -> Result<Option<Vec<u8>>, RedisError> {
        self.inner
            .scripts
            .take
            .key(key)
            .arg(field)
            .invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("remove a cached value"))
    }

    async fn set_if_exists(&self, key: &str, field: u64, blob: Vec<u8>) -> Result<(), RedisError> {
        self.inner
            .scripts
            .set_if_exists
            .key(key)
            .arg(field)
            .arg(blob)
            .invoke_async::<()>(&mut self.conn())
            .await
            .map_err(cmd_err("update a cached value"))
    }

    /// Adds the scripts writing `members` (deduplicated, the last wins) to
    /// a pipeline.
    fn pipe_members(
        &self,
        pipe: &mut redis::Pipeline,
        guild_id: GuildId,
        members: &[(&User, &Member)],
    ) -> Result<(), RedisError> {
        let k = &self.inner.keys;
        let users = self.keeps_users();
        let mut seen = HashSet::with_capacity(members.len());
        let mut blobs = Vec::with_capacity(members.len());
        for (user, member) in members.iter().rev() {
            if !seen.insert(user.id) {
                continue;
            }
            let m = enc_member(&CachedMember::from_member(user.id, member))?;
            let u = if users { enc_user(user)? } else { Vec::new() };
            blobs.push((user.id.get(), m, u));
        }
        let (mk, uk, rk, hk) = (k.members(guild_id), k.users(), k.user_refs(), k.held());
        for part in blobs.chunks(BATCH) {
            eval(pipe, UPSERT_MEMBERS, &[&mk, &uk, &rk, &hk], |c| {
                c.arg(guild_id.get()).arg(u8::from(users));
                for (id, m, u) in part {
                    c.arg(*id).arg(m.as_slice()).arg(u.as_slice());
                }
            });
        }
        Ok(())
    }

    /// Writes one member; returns the member before.
    async fn upsert_member(
        &self,
        guild_id: GuildId,
        member: &CachedMember,
        user: &User,
    ) -> Result<Option<CachedMember>, RedisError> {
        let k = &self.inner.keys;
        let users = self.keeps_users();
        let (mk, uk, rk, hk) = (k.members(guild_id), k.users(), k.user_refs(), k.held());
        let olds: Vec<Vec<u8>> = self
            .inner
            .scripts
            .upsert_members
            .key(&mk)
            .key(&uk)
            .key(&rk)
            .key(&hk)
            .arg(guild_id.get())
            .arg(u8::from(users))
            .arg(user.id.get())
            .arg(enc_member(member)?)
            .arg(if users { enc_user(user)? } else { Vec::new() })
            .invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("write a member"))?;
        Ok(previous("member", olds.into_iter().next(), dec_member))
    }

    async fn member_update(&self, u: &GuildMemberUpdate) -> Result<Previous, RedisError> {
        if !self.keep(ResourceType::MEMBER) {
            return Ok(Previous::None);
        }
        let old = self
            .hget_raw(&self.inner.keys.members(u.guild_id), u.user.id.get())
            .await?;
        let before = previous("member", old, dec_member);
        let next = match &before {
            Some(m) => {
                let mut m = m.clone();
                if let Some(nick) = &u.nick {
                    m.nick = nick.as_deref().map(Into::into);
                }
                m.avatar = u.avatar.as_deref().map(Into::into);
                m.roles = u.roles.as_slice().into();
                if u.joined_at.is_some() {
                    m.joined_at = u.joined_at;
                }
                m.premium_since = u.premium_since;
                m.communication_disabled_until = u.communication_disabled_until;
                if let Some(deaf) = u.deaf {
                    m.deaf = deaf;
                }
                if let Some(mute) = u.mute {
                    m.mute = mute;
                }
                if let Some(pending) = u.pending {
                    m.pending = pending;
                }
                if let Some(flags) = u.flags {
                    m.flags = flags;
                }
                m
            }
            None => CachedMember {
                user_id: u.user.id,
                nick: u.nick.clone().flatten().map(Into::into),
                avatar: u.avatar.as_deref().map(Into::into),
                roles: u.roles.as_slice().into(),
                joined_at: u.joined_at,
                premium_since: u.premium_since,
                communication_disabled_until: u.communication_disabled_until,
                flags: u.flags.unwrap_or_default(),
                deaf: u.deaf.unwrap_or(false),
                mute: u.mute.unwrap_or(false),
                pending: u.pending.unwrap_or(false),
            },
        };
        let replaced = self.upsert_member(u.guild_id, &next, &u.user).await?;
        Ok(replaced.map_or(Previous::None, Previous::Member))
    }

    async fn presence_update(&self, p: &Presence) -> Result<Previous, RedisError> {
        let k = &self.inner.keys;
        if self.keeps_users() && p.user.username.is_some() {
            let old = self.hget_raw(&k.users(), p.user.id.get()).await?;
            if let Some(next) =
                previous("user", old, dec_user).and_then(|u| patched_user(&u, &p.user))
            {
                let blob = encode("user", &StoredUser::from_cached(&next))?;
                self.set_if_exists(&k.users(), p.user.id.get(), blob)
                    .await?;
            }
        }
        if !self.keep(ResourceType::PRESENCE) {
            return Ok(Previous::None);
        }
        let Some(guild_id) = p.guild_id else {
            return Ok(Previous::None);
        };
        let old = self
            .swap(
                &k.presences(guild_id),
                p.user.id.get(),
                encode("presence", p)?,
                Some(guild_id),
            )
            .await?;
        Ok(previous("presence", old, model::<Presence>)
            .map_or(Previous::None, |p| Previous::Presence(Arc::new(p))))
    }

    async fn patch_message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        f: impl FnOnce(&mut Message),
    ) -> Result<Previous, RedisError> {
        let key = self.inner.keys.messages(channel_id.get());
        let old = self.hget_raw(&key, message_id.get()).await?;
        let Some(before) = previous("message", old, model::<Message>) else {
            return Ok(Previous::None);
        };
        let mut next = before.clone();
        f(&mut next);
        self.set_if_exists(&key, message_id.get(), encode("message", &next)?)
            .await?;
        Ok(Previous::Message(Arc::new(before)))
    }

    async fn take_messages(
        &self,
        channel_id: ChannelId,
        ids: &[MessageId],
    ) -> Result<Vec<Message>, RedisError> {
        let k = &self.inner.keys;
        let mut inv = self.inner.scripts.take_messages.prepare_invoke();
        inv.key(k.message_ids(channel_id.get()))
            .key(k.messages(channel_id.get()));
        for id in ids {
            inv.arg(id.get());
        }
        let olds: Vec<Vec<u8>> = inv
            .invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("remove messages"))?;
        Ok(olds
            .into_iter()
            .filter_map(|b| previous("message", Some(b), model::<Message>))
            .collect())
    }

    async fn upsert_channel(
        &self,
        ch: &Channel,
        guild_id: Option<GuildId>,
    ) -> Result<Previous, RedisError> {
        if !self.keep(ResourceType::CHANNEL) {
            return Ok(Previous::None);
        }
        let k = &self.inner.keys;
        let (channels, held) = (k.channels(), k.held());
        let gchannels = k.guild_channels(guild_id.map_or(0, GuildId::get));
        let mut inv = self.inner.scripts.upsert_channel.prepare_invoke();
        inv.key(&channels)
            .key(&held)
            .key(&gchannels)
            .arg(ch.id.get())
            .arg(encode("channel", ch)?);
        match guild_id {
            Some(g) => inv.arg(g.get()),
            None => inv.arg(""),
        };
        let old: Option<Vec<u8>> = inv
            .invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("write a channel"))?;
        Ok(previous("channel", old, model::<Channel>)
            .map_or(Previous::None, |c| Previous::Channel(Arc::new(c))))
    }

    async fn remove_channel(
        &self,
        id: ChannelId,
        guild_id: Option<GuildId>,
    ) -> Result<Previous, RedisError> {
        let k = &self.inner.keys;
        let (channels, ids, msgs) = (k.channels(), k.message_ids(id.get()), k.messages(id.get()));
        let gchannels = k.guild_channels(guild_id.map_or(0, GuildId::get));
        let old: Option<Vec<u8>> = self
            .inner
            .scripts
            .remove_channel
            .key(&channels)
            .key(&gchannels)
            .key(&ids)
            .key(&msgs)
            .arg(id.get())
            .invoke_async(&mut self.conn())
            .await
            .map_err(cmd_err("remove a channel"))?;
        Ok(previous("channel", old, model::<Channel>)
            .map_or(Previous::None, |c| Previous::Channel(Arc::new(c))))
    }

    async fn thread_list_sync(
        &self,
        sync: &acord::event::ThreadListSync,
    ) -> Result<(), RedisError> {
        let k = &self.inner.keys;
        let gchannels = k.guild_channels(sync.guild_id.get());
        let (held, ids): (bool, Vec<u64>) = redis::pipe()
            .sismember(k.held(), sync.guild_id.get())
            .smembers(&gchannels)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("THREAD_LIST_SYNC"))?;
        if !held {
            return Ok(());
        }
        let mut stale = Vec::new();
        if !ids.is_empty() {
            let blobs: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
                .arg(k.channels())
                .arg(&ids)
                .query_async(&mut self.conn())
                .await
                .map_err(cmd_err("THREAD_LIST_SYNC"))?;
            for (id, blob) in ids.iter().zip(blobs) {
                let Some(ch) = previous("channel", blob, model::<Channel>) else {
                    continue;
                };
                let synced = match &sync.channel_ids {
                    Some(parents) => ch.parent_id.is_some_and(|p| parents.contains(&p)),
                    None => true,
                };
                if ch.kind.is_thread() && synced {
                    stale.push(*id);
                }
            }
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in &stale {
            pipe.hdel(k.channels(), *id).ignore();
            pipe.srem(&gchannels, *id).ignore();
            pipe.del(vec![k.message_ids(*id), k.messages(*id)]).ignore();
        }
        for t in &sync.threads {
            pipe.sadd(&gchannels, t.id.get()).ignore();
            pipe.hset(
                k.channels(),
                t.id.get(),
                encode("channel", &patch::channel_in_guild(t, sync.guild_id))?,
            )
            .ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(cmd_err("THREAD_LIST_SYNC"))
    }

    /// Adds the script forgetting a guild to a pipeline.
    fn pipe_remove_guild(&self, pipe: &mut redis::Pipeline, id: GuildId, mode: &str) {
        let k = &self.inner.keys;
        let keys = [
            k.held(),
            k.unavailable(),
            k.guilds(),
            k.channels(),
            k.guild_channels(id.get()),
            k.roles(id),
            k.members(id),
            k.users(),
            k.user_refs(),
            k.presences(id),
            k.voice(id),
            k.emojis(),
            k.stickers(),
            k.stages(id),
            k.scheduled(id),
        ];
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(REMOVE_GUILD).arg(refs.len());
        for key in &refs {
            cmd.arg(*key);
        }
        cmd.arg(id.get())
            .arg(&k.prefix)
            .arg(mode)
            .arg(u8::from(self.keeps_users()));
        pipe.add_command(cmd);
    }

    async fn remove_guild(&self, id: GuildId, mode: &str) -> Result<Previous, RedisError> {
        let mut pipe = redis::pipe();
        self.pipe_remove_guild(&mut pipe, id, mode);
        let (old,): (Option<Vec<u8>>,) = pipe
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("remove a guild"))?;
        Ok(previous("guild", old, model::<Guild>)
            .map_or(Previous::None, |g| Previous::Guild(Arc::new(g))))
    }

    async fn guild_create(&self, g: &Guild) -> Result<(), RedisError> {
        let k = &self.inner.keys;
        let mut pipe = redis::pipe();
        pipe.atomic();
        // a guild seen again (after an outage, a new session) starts over
        self.pipe_remove_guild(&mut pipe, g.id, "clear");
        pipe.ignore();
        pipe.sadd(k.held(), g.id.get()).ignore();
        if self.keep(ResourceType::GUILD) {
            pipe.hset(
                k.guilds(),
                g.id.get(),
                encode("guild", &patch::guild_shell(g))?,
            )
            .ignore();
        }
        if self.keep(ResourceType::CHANNEL) {
            let blobs = g
                .channels
                .iter()
                .chain(&g.threads)
                .map(|ch| {
                    Ok((
                        ch.id.get(),
                        encode("channel", &patch::channel_in_guild(ch, g.id))?,
                    ))
                })
                .collect::<Result<Vec<_>, RedisError>>()?;
            if !blobs.is_empty() {
                hset_many(&mut pipe, &k.channels(), &blobs);
                let ids: Vec<u64> = blobs.iter().map(|(id, _)| *id).collect();
                pipe.sadd(k.guild_channels(g.id.get()), ids).ignore();
            }
        }
        if self.keep(ResourceType::ROLE) {
            let blobs = g
                .roles
                .iter()
                .map(|r| Ok((r.id.get(), encode("role", r)?)))
                .collect::<Result<Vec<_>, RedisError>>()?;
            hset_many(&mut pipe, &k.roles(g.id), &blobs);
        }
        if self.keep(ResourceType::MEMBER) {
            let members: Vec<(&User, &Member)> = g
                .members
                .iter()
                .filter_map(|m| m.user.as_ref().map(|u| (u, m)))
                .collect();
            self.pipe_members(&mut pipe, g.id, &members)?;
        }
        if self.keep(ResourceType::PRESENCE) {
            let blobs = g
                .presences
                .iter()
                .map(|p| Ok((p.user.id.get(), encode("presence", p)?)))
                .collect::<Result<Vec<_>, RedisError>>()?;
            hset_many(&mut pipe, &k.presences(g.id), &blobs);
        }
        if self.keep(ResourceType::VOICE_STATE) {
            let blobs = g
                .voice_states
                .iter()
                .filter(|v| v.channel_id.is_some())
                .map(|v| {
                    let mut v = patch::voice_state_without_member(v);
                    v.guild_id = Some(g.id);
                    Ok((v.user_id.get(), encode("voice state", &v)?))
                })
                .collect::<Result<Vec<_>, RedisError>>()?;
            hset_many(&mut pipe, &k.voice(g.id), &blobs);
        }
        if self.keep(ResourceType::EMOJI) {
            pipe.hset(k.emojis(), g.id.get(), encode("emojis", &g.emojis)?)
                .ignore();
        }
        if self.keep(ResourceType::STICKER) {
            pipe.hset(k.stickers(), g.id.get(), encode("stickers", &g.stickers)?)
                .ignore();
        }
        if self.keep(ResourceType::STAGE_INSTANCE) {
            let blobs = g
                .stage_instances
                .iter()
                .map(|s| Ok((s.id.get(), encode("stage instance", s)?)))
                .collect::<Result<Vec<_>, RedisError>>()?;
            hset_many(&mut pipe, &k.stages(g.id), &blobs);
        }
        if self.keep(ResourceType::SCHEDULED_EVENT) {
            let blobs = g
                .guild_scheduled_events
                .iter()
                .map(|e| Ok((e.id.get(), encode("scheduled event", e)?)))
                .collect::<Result<Vec<_>, RedisError>>()?;
            hset_many(&mut pipe, &k.scheduled(g.id), &blobs);
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(cmd_err("GUILD_CREATE"))
    }

    async fn guild_update(&self, g: &Guild) -> Result<Previous, RedisError> {
        let k = &self.inner.keys;
        let (held, old): (bool, Option<Vec<u8>>) = redis::pipe()
            .sismember(k.held(), g.id.get())
            .hget(k.guilds(), g.id.get())
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("GUILD_UPDATE"))?;
        if !held {
            return Ok(Previous::None);
        }
        let before = previous("guild", old, model::<Guild>);
        let mut pipe = redis::pipe();
        pipe.atomic();
        if self.keep(ResourceType::ROLE) && !g.roles.is_empty() {
            let blobs = g
                .roles
                .iter()
                .map(|r| Ok((r.id.get(), encode("role", r)?)))
                .collect::<Result<Vec<_>, RedisError>>()?;
            pipe.del(k.roles(g.id)).ignore();
            hset_many(&mut pipe, &k.roles(g.id), &blobs);
        }
        if self.keep(ResourceType::EMOJI) && !g.emojis.is_empty() {
            pipe.hset(k.emojis(), g.id.get(), encode("emojis", &g.emojis)?)
                .ignore();
        }
        if self.keep(ResourceType::STICKER) && !g.stickers.is_empty() {
            pipe.hset(k.stickers(), g.id.get(), encode("stickers", &g.stickers)?)
                .ignore();
        }
        let keep_guild = self.keep(ResourceType::GUILD);
        if keep_guild {
            let mut next = patch::guild_shell(g);
            if let Some(old) = &before {
                // GUILD_UPDATE does not carry the GUILD_CREATE-only fields
                next.joined_at = next.joined_at.or(old.joined_at);
                next.large = next.large.or(old.large);
                next.member_count = next.member_count.or(old.member_count);
            }
            pipe.hset(k.guilds(), g.id.get(), encode("guild", &next)?)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(cmd_err("GUILD_UPDATE"))?;
        Ok(match before {
            Some(b) if keep_guild => Previous::Guild(Arc::new(b)),
            _ => Previous::None,
        })
    }
}

/// The time one update may take: `base`, plus 20 µs per member of a
/// GUILD_CREATE or GUILD_MEMBERS_CHUNK.
fn budget(base: Duration, event: &Event) -> Duration {
    let members = match event {
        Event::GuildCreate(create) => match &**create {
            GuildCreate::Available(g) => g.members.len(),
            GuildCreate::Unavailable(_) => 0,
        },
        Event::GuildMembersChunk(chunk) => chunk.members.len(),
        _ => 0,
    };
    base + Duration::from_micros(20).saturating_mul(u32::try_from(members).unwrap_or(u32::MAX))
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut next = error.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

// ----- reads ----------------------------------------------------------------

impl RedisCache {
    async fn read_one<T>(
        &self,
        what: &'static str,
        key: String,
        field: u64,
        decode: impl FnOnce(&[u8]) -> Result<T, rmp_serde::decode::Error>,
    ) -> Result<Option<T>, RedisError> {
        let bytes = self.hget_raw(&key, field).await?;
        match bytes {
            None => Ok(None),
            Some(b) => decode(&b).map(Some).map_err(|source| RedisError::Decode {
                what,
                key: format!("{key} {field}"),
                source,
            }),
        }
    }

    async fn read_all<T>(
        &self,
        what: &'static str,
        key: String,
        decode: impl Fn(&[u8]) -> Result<T, rmp_serde::decode::Error>,
    ) -> Result<Vec<T>, RedisError> {
        let blobs: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg(&key)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("HVALS"))?;
        blobs
            .iter()
            .map(|b| {
                decode(b).map_err(|source| RedisError::Decode {
                    what,
                    key: key.clone(),
                    source,
                })
            })
            .collect()
    }

    async fn read_ids<M>(
        &self,
        cmd: &str,
        key: String,
    ) -> Result<Vec<acord::model::Id<M>>, RedisError> {
        let ids: Vec<u64> = redis::cmd(cmd)
            .arg(&key)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("read IDs"))?;
        Ok(ids.into_iter().filter_map(acord::model::Id::new).collect())
    }

    /// A guild (its lists — channels, roles, members, … — are read with
    /// the methods below).
    ///
    /// # Errors
    /// [`RedisError::Command`] when Redis fails, [`RedisError::Decode`]
    /// when the stored value is not one this version wrote. The same for
    /// every read.
    ///
    /// # Cancel safety
    /// Reads only; dropping the future loses nothing. The same for every
    /// read.
    pub async fn guild(&self, guild_id: GuildId) -> Result<Option<Guild>, RedisError> {
        self.read_one("guild", self.inner.keys.guilds(), guild_id.get(), model)
            .await
    }

    /// The IDs of the guilds held (whose GUILD_CREATE was applied).
    pub async fn guild_ids(&self) -> Result<Vec<GuildId>, RedisError> {
        self.read_ids("SMEMBERS", self.inner.keys.held()).await
    }

    /// Whether `guild_id` is in an outage (or not yet received after
    /// READY).
    pub async fn is_unavailable(&self, guild_id: GuildId) -> Result<bool, RedisError> {
        redis::cmd("SISMEMBER")
            .arg(self.inner.keys.unavailable())
            .arg(guild_id.get())
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("SISMEMBER"))
    }

    /// The guilds in an outage, or not yet received after READY.
    pub async fn unavailable_guilds(&self) -> Result<Vec<GuildId>, RedisError> {
        self.read_ids("SMEMBERS", self.inner.keys.unavailable())
            .await
    }

    /// A channel, thread or DM channel.
    pub async fn channel(&self, channel_id: ChannelId) -> Result<Option<Channel>, RedisError> {
        self.read_one(
            "channel",
            self.inner.keys.channels(),
            channel_id.get(),
            model,
        )
        .await
    }

    /// A guild's channels and threads, by position then ID.
    pub async fn guild_channels(&self, guild_id: GuildId) -> Result<Vec<Channel>, RedisError> {
        let k = &self.inner.keys;
        let ids: Vec<u64> = redis::cmd("SMEMBERS")
            .arg(k.guild_channels(guild_id.get()))
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("SMEMBERS"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let blobs: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(k.channels())
            .arg(&ids)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("HMGET"))?;
        let mut channels = blobs
            .into_iter()
            .flatten()
            .map(|b| {
                model::<Channel>(&b).map_err(|source| RedisError::Decode {
                    what: "channel",
                    key: k.channels(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        channels.sort_by_key(|c| (c.position.unwrap_or(i32::MAX), c.id));
        Ok(channels)
    }

    /// A role.
    pub async fn role(
        &self,
        guild_id: GuildId,
        role_id: RoleId,
    ) -> Result<Option<Role>, RedisError> {
        self.read_one(
            "role",
            self.inner.keys.roles(guild_id),
            role_id.get(),
            model,
        )
        .await
    }

    /// A guild's roles, by position then ID.
    pub async fn roles(&self, guild_id: GuildId) -> Result<Vec<Role>, RedisError> {
        let mut roles: Vec<Role> = self
            .read_all("role", self.inner.keys.roles(guild_id), model)
            .await?;
        roles.sort_by_key(|r| (r.position, r.id));
        Ok(roles)
    }

    /// A member (the user is [`user`](Self::user)).
    pub async fn member(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> Result<Option<CachedMember>, RedisError> {
        self.read_one(
            "member",
            self.inner.keys.members(guild_id),
            user_id.get(),
            dec_member,
        )
        .await
    }

    /// The IDs of a guild's cached members.
    pub async fn member_ids(&self, guild_id: GuildId) -> Result<Vec<UserId>, RedisError> {
        self.read_ids("HKEYS", self.inner.keys.members(guild_id))
            .await
    }

    /// How many members of the guild are cached.
    pub async fn member_count(&self, guild_id: GuildId) -> Result<u64, RedisError> {
        redis::cmd("HLEN")
            .arg(self.inner.keys.members(guild_id))
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("HLEN"))
    }

    /// A user, stored once for all the guilds the bot shares with them.
    pub async fn user(&self, user_id: UserId) -> Result<Option<CachedUser>, RedisError> {
        self.read_one("user", self.inner.keys.users(), user_id.get(), dec_user)
            .await
    }

    /// The bot's own user (from READY and USER_UPDATE).
    pub async fn current_user(&self) -> Result<Option<User>, RedisError> {
        let key = self.inner.keys.me();
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("GET"))?;
        bytes
            .map(|b| model(&b))
            .transpose()
            .map_err(|source| RedisError::Decode {
                what: "current user",
                key,
                source,
            })
    }

    /// A member's presence.
    pub async fn presence(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> Result<Option<Presence>, RedisError> {
        self.read_one(
            "presence",
            self.inner.keys.presences(guild_id),
            user_id.get(),
            model,
        )
        .await
    }

    /// A member's voice state (only while in a voice channel).
    pub async fn voice_state(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> Result<Option<VoiceState>, RedisError> {
        self.read_one(
            "voice state",
            self.inner.keys.voice(guild_id),
            user_id.get(),
            model,
        )
        .await
    }

    /// Everyone in a voice channel of the guild.
    pub async fn voice_states(&self, guild_id: GuildId) -> Result<Vec<VoiceState>, RedisError> {
        self.read_all("voice state", self.inner.keys.voice(guild_id), model)
            .await
    }

    /// The guild's custom emojis.
    pub async fn emojis(&self, guild_id: GuildId) -> Result<Option<Vec<Emoji>>, RedisError> {
        self.read_one("emojis", self.inner.keys.emojis(), guild_id.get(), model)
            .await
    }

    /// The guild's stickers.
    pub async fn stickers(&self, guild_id: GuildId) -> Result<Option<Vec<Sticker>>, RedisError> {
        self.read_one(
            "stickers",
            self.inner.keys.stickers(),
            guild_id.get(),
            model,
        )
        .await
    }

    /// A stage instance.
    pub async fn stage_instance(
        &self,
        guild_id: GuildId,
        id: StageId,
    ) -> Result<Option<StageInstance>, RedisError> {
        self.read_one(
            "stage instance",
            self.inner.keys.stages(guild_id),
            id.get(),
            model,
        )
        .await
    }

    /// A scheduled event.
    pub async fn scheduled_event(
        &self,
        guild_id: GuildId,
        id: ScheduledEventId,
    ) -> Result<Option<GuildScheduledEvent>, RedisError> {
        self.read_one(
            "scheduled event",
            self.inner.keys.scheduled(guild_id),
            id.get(),
            model,
        )
        .await
    }

    /// A recent message.
    pub async fn message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> Result<Option<Message>, RedisError> {
        self.read_one(
            "message",
            self.inner.keys.messages(channel_id.get()),
            message_id.get(),
            model,
        )
        .await
    }

    /// A channel's recent messages, oldest first.
    pub async fn messages(&self, channel_id: ChannelId) -> Result<Vec<Message>, RedisError> {
        let k = &self.inner.keys;
        let ids: Vec<u64> = redis::cmd("LRANGE")
            .arg(k.message_ids(channel_id.get()))
            .arg(0)
            .arg(-1)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("LRANGE"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let key = k.messages(channel_id.get());
        let blobs: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(&key)
            .arg(&ids)
            .query_async(&mut self.conn())
            .await
            .map_err(cmd_err("HMGET"))?;
        blobs
            .into_iter()
            .flatten()
            .map(|b| {
                model::<Message>(&b).map_err(|source| RedisError::Decode {
                    what: "message",
                    key: key.clone(),
                    source,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn members_and_users_survive_the_compact_form() {
        let member = CachedMember {
            user_id: UserId::new(42).unwrap(),
            nick: Some("nick".into()),
            avatar: None,
            roles: vec![RoleId::new(7).unwrap()].into(),
            joined_at: Some(Timestamp::from_unix_micros(1_489_432_754_040_000)),
            premium_since: None,
            communication_disabled_until: None,
            flags: MemberFlags::from_bits_retain(3),
            deaf: false,
            mute: true,
            pending: false,
        };
        let bytes = rmp_serde::to_vec(&StoredMember::from_cached(&member)).unwrap_or_default();
        assert_eq!(dec_member(&bytes).ok(), Some(member));
        let user = CachedUser {
            id: UserId::new(42).unwrap(),
            name: "someone".into(),
            discriminator: 0,
            global_name: Some("Someone".into()),
            avatar: Some("a_1234".into()),
            bot: false,
            system: false,
            public_flags: UserFlags::from_bits_retain(64),
        };
        let bytes = rmp_serde::to_vec(&StoredUser::from_cached(&user)).unwrap_or_default();
        assert_eq!(dec_user(&bytes).ok(), Some(user));
    }

    #[test]
    fn the_cache_is_send_sync_and_its_errors_too() {
        fn check<T: Send + Sync + 'static>() {}
        check::<RedisCache>();
        check::<RedisCacheBuilder>();
        check::<RedisError>();
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        assert!(dec_member(b"{\"not\":\"msgpack\"}").is_err());
        assert!(dec_user(&[0xc1]).is_err());
        assert!(model::<Guild>(&[0x92, 0x01]).is_err());
    }
}
