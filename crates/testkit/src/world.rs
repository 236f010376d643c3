//! The in-memory Discord the fake serves: the bot user, its application,
//! the guilds it is in, messages, uploaded files, application commands and
//! interactions. REST handlers mutate it; the gateway reads it for READY,
//! GUILD_CREATE and REQUEST_GUILD_MEMBERS.

use std::collections::{BTreeMap, HashMap};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::config::Config;
use crate::fixtures;

/// One guild and everything in it.
#[derive(Clone, Debug)]
pub(crate) struct GuildState {
    /// The guild object without `channels`, `members`, `roles`.
    pub guild: Value,
    pub channels: Vec<Value>,
    /// Roles, `@everyone` (id = guild id) first.
    pub roles: Vec<Value>,
    /// Members sorted by user id.
    pub members: Vec<Value>,
    /// Presences of members that are not offline.
    pub presences: Vec<Value>,
    /// Bans by user id.
    pub bans: BTreeMap<u64, Value>,
}

impl GuildState {
    /// The index of a member by user id.
    pub fn member_index(&self, user_id: u64) -> Option<usize> {
        self.members
            .binary_search_by_key(&user_id, |m| id_of(&m["user"]))
            .ok()
    }

    /// The guild object as `GET /guilds/{id}` returns it (with roles).
    pub fn guild_object(&self) -> Value {
        let mut guild = self.guild.clone();
        guild["roles"] = Value::Array(self.roles.clone());
        guild
    }
}

/// One reaction emoji on a message and who added it.
#[derive(Clone, Debug)]
pub(crate) struct Reaction {
    /// `name` for a Unicode emoji, `name:id` for a custom one.
    pub key: String,
    /// The partial emoji `{id, name, animated?}`.
    pub emoji: Value,
    /// User ids, in the order they reacted.
    pub users: Vec<u64>,
}

/// A stored message and its reactions.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub message: Value,
    pub reactions: Vec<Reaction>,
}

impl StoredMessage {
    /// The message object as REST returns it to the bot.
    pub fn render(&self, bot_id: u64) -> Value {
        let mut message = self.message.clone();
        if !self.reactions.is_empty() {
            let reactions: Vec<Value> = self
                .reactions
                .iter()
                .map(|r| {
                    json!({
                        "count": r.users.len(),
                        "count_details": {"burst": 0, "normal": r.users.len()},
                        "me": r.users.contains(&bot_id),
                        "me_burst": false,
                        "emoji": r.emoji,
                        "burst_colors": [],
                    })
                })
                .collect();
            message["reactions"] = Value::Array(reactions);
        }
        message
    }
}

/// An uploaded file, served back under `/attachments/...`.
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub content_type: String,
    pub data: Bytes,
}

/// An interaction the fake handed out (registered when it is dispatched).
#[derive(Clone, Debug)]
pub(crate) struct InteractionState {
    pub token: String,
    /// The interaction type (§10.1).
    pub kind: u64,
    pub channel_id: Option<u64>,
    pub guild_id: Option<u64>,
    pub received: Instant,
    /// The callback type once acknowledged.
    pub acknowledged: Option<u64>,
    /// The message a component interaction came from.
    pub message_id: Option<u64>,
    /// The original response message id.
    pub original: Option<u64>,
    /// Follow-up message ids.
    pub followups: Vec<u64>,
}

/// The fake's world.
#[derive(Clone, Debug)]
pub(crate) struct World {
    last_id: u64,
    pub bot_user: Value,
    pub application_id: u64,
    /// The owner of the bot's application (a person, not a member of any
    /// fixture guild).
    pub app_owner: Value,
    pub guilds: BTreeMap<u64, GuildState>,
    /// Messages per channel, by id.
    pub messages: HashMap<u64, BTreeMap<u64, StoredMessage>>,
    /// Interaction messages that live in no known channel (ephemeral, DM).
    pub loose_messages: HashMap<u64, StoredMessage>,
    /// Uploaded files by attachment id.
    pub files: HashMap<u64, StoredFile>,
    /// Application commands by id (guild commands carry `guild_id`).
    pub commands: BTreeMap<u64, Value>,
    /// Interactions by id.
    pub interactions: HashMap<u64, InteractionState>,
    /// DM channels by channel id.
    pub dm_channels: BTreeMap<u64, Value>,
    /// Invites per channel.
    pub invites: HashMap<u64, Vec<Value>>,
    /// Channel webhooks by id (with their token).
    pub webhooks: BTreeMap<u64, Value>,
    /// Thread members: `(user id, joined at Unix ms)` per thread.
    pub thread_members: HashMap<u64, Vec<(u64, u64)>>,
    /// When commands were created (POST), per scope (`None` = global), for
    /// the 200-per-day limit.
    pub command_creates: HashMap<Option<u64>, Vec<Instant>>,
    /// Pinned messages per channel: `(message id, pinned at Unix ms)`,
    /// oldest pin first.
    pub pins: HashMap<u64, Vec<(u64, u64)>>,
    /// The DM channel with each user.
    pub dm_by_user: HashMap<u64, u64>,
    /// Audit-log entries per guild, oldest first.
    pub audit_log: HashMap<u64, Vec<AuditRecord>>,
    /// Every user the world was generated with: a user stays a Discord
    /// user after leaving (or being kicked from) every guild, so they can
    /// still be looked up and banned by id.
    pub known_users: HashMap<u64, Value>,
}

/// One stored audit-log entry and the objects its answer references.
#[derive(Clone, Debug)]
pub(crate) struct AuditRecord {
    /// The entry as `GET /guilds/{id}/audit-logs` returns it.
    pub entry: Value,
    /// The target user, kept because a kicked or banned user is no longer
    /// among the guild's members.
    pub target_user: Option<Value>,
}

/// Reads a snowflake given as a string (or a number).
pub(crate) fn id_of(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::Object(o) => o.get("id").map_or(0, id_of),
        _ => 0,
    }
}

impl World {
    /// Builds the world the config describes; the same seed gives the same
    /// world.
    pub fn generate(config: &Config) -> World {
        let mut gen = fixtures::Generator::new(config.seed);
        let bot_id = gen.next_id();
        let bot_user = fixtures::bot_user(bot_id, "acord-fake-bot");
        let joined = fixtures::iso8601(fixtures::FIXTURE_EPOCH_MS);
        let bot_member = fixtures::member(&fixtures::public_user(&bot_user), &[], &joined);
        let mut guilds = BTreeMap::new();
        let mut known_users = HashMap::new();
        // The person who owns the bot's application; created before the
        // fixture epoch so the generator's ids (and so the seeded world)
        // are unchanged.
        let app_owner = fixtures::user(
            fixtures::snowflake(fixtures::FIXTURE_EPOCH_MS - 86_400_000, 0),
            "acord-fake-owner",
        );
        known_users.insert(id_of(&app_owner), app_owner.clone());
        let mut last_id = bot_id;
        for index in 0..config.guilds {
            let fixture = gen.guild(&format!("Fake Guild {index}"), config.members_per_guild);
            let guild_id = fixture.id();
            let mut guild = fixture.guild;
            if let Some(obj) = guild.as_object_mut() {
                obj.remove("roles");
            }
            let mut members = fixture.members;
            for member in &members {
                known_users.insert(id_of(&member["user"]), member["user"].clone());
            }
            // The bot's id was generated first, so it sorts first.
            members.insert(0, bot_member.clone());
            if let Some(last) = members.last() {
                last_id = last_id.max(id_of(&last["user"]));
            }
            for channel in &fixture.channels {
                last_id = last_id.max(id_of(channel));
            }
            guilds.insert(
                guild_id,
                GuildState {
                    guild,
                    channels: fixture.channels,
                    roles: fixture.roles,
                    members,
                    presences: fixture.presences,
                    bans: BTreeMap::new(),
                },
            );
        }
        World {
            last_id: last_id.max(gen.next_id()),
            bot_user,
            application_id: bot_id,
            app_owner,
            guilds,
            messages: HashMap::new(),
            loose_messages: HashMap::new(),
            files: HashMap::new(),
            commands: BTreeMap::new(),
            interactions: HashMap::new(),
            dm_channels: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            invites: HashMap::new(),
            thread_members: HashMap::new(),
            command_creates: HashMap::new(),
            pins: HashMap::new(),
            dm_by_user: HashMap::new(),
            audit_log: HashMap::new(),
            known_users,
        }
    }

    /// A fresh snowflake: created now (wall clock), and greater than every
    /// id handed out before.
    pub fn next_id(&mut self) -> u64 {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last_id = (self.last_id + 1).max(fixtures::snowflake(now_ms, 0));
        self.last_id
    }

    /// The bot user as others see it (a message author, a member, a
    /// mention): without the current-user-only fields.
    pub fn bot_public_user(&self) -> Value {
        fixtures::public_user(&self.bot_user)
    }

    /// The bot user's id.
    pub fn bot_user_id(&self) -> u64 {
        id_of(&self.bot_user)
    }

    /// The ids of the guilds the bot is in.
    pub fn guild_ids(&self) -> Vec<u64> {
        self.guilds.keys().copied().collect()
    }

    /// The members of a guild, sorted by user id (empty for an unknown
    /// guild). Used for REQUEST_GUILD_MEMBERS.
    pub fn members(&self, guild_id: u64) -> &[Value] {
        self.guilds
            .get(&guild_id)
            .map_or(&[][..], |g| g.members.as_slice())
    }

    /// The text channels (type 0) of a guild.
    pub fn text_channel_ids(&self, guild_id: u64) -> Vec<u64> {
        self.guilds
            .get(&guild_id)
            .map(|g| {
                g.channels
                    .iter()
                    .filter(|c| c["type"] == 0)
                    .map(id_of)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The guild a channel belongs to, and the channel's index there.
    pub fn find_channel(&self, channel_id: u64) -> Option<(u64, usize)> {
        self.guilds.iter().find_map(|(guild_id, g)| {
            g.channels
                .iter()
                .position(|c| id_of(c) == channel_id)
                .map(|index| (*guild_id, index))
        })
    }

    /// The channel object of a channel id (guild channels and DMs).
    pub fn channel(&self, channel_id: u64) -> Option<&Value> {
        if let Some(dm) = self.dm_channels.get(&channel_id) {
            return Some(dm);
        }
        let (guild_id, index) = self.find_channel(channel_id)?;
        self.guilds.get(&guild_id)?.channels.get(index)
    }

    /// The `d` of a GUILD_CREATE for a guild (discord-protocol.md §7.2).
    pub fn guild_create(&self, guild_id: u64) -> Option<Value> {
        let state = self.guilds.get(&guild_id)?;
        let mut d = state.guild.clone();
        let obj = d.as_object_mut()?;
        obj.insert("roles".into(), Value::Array(state.roles.clone()));
        let (threads, channels): (Vec<Value>, Vec<Value>) = state
            .channels
            .iter()
            .cloned()
            .partition(|c| matches!(c["type"].as_u64(), Some(10..=12)));
        let active: Vec<Value> = threads
            .into_iter()
            .filter(|t| t["thread_metadata"]["archived"] != true)
            .collect();
        obj.insert("channels".into(), Value::Array(channels));
        obj.insert("members".into(), Value::Array(state.members.clone()));
        obj.insert("presences".into(), Value::Array(state.presences.clone()));
        obj.insert("member_count".into(), json!(state.members.len()));
        obj.insert(
            "joined_at".into(),
            json!(fixtures::iso8601(fixtures::FIXTURE_EPOCH_MS)),
        );
        obj.insert("large".into(), json!(state.members.len() > 50));
        obj.insert("unavailable".into(), json!(false));
        obj.insert("threads".into(), Value::Array(active));
        for key in [
            "voice_states",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ] {
            obj.insert(key.into(), json!([]));
        }
        Some(d)
    }

    /// Applies a dispatch a test pushed through `FakeDiscord::dispatch` to
    /// the world, so REST agrees with what the bot was told: messages
    /// users "sent" can be fetched and replied to, members who "joined"
    /// exist, a guild the bot "joined" is served, interactions can be
    /// answered.
    pub fn observe(&mut self, name: &str, d: &Value, now: Instant) {
        match name {
            "INTERACTION_CREATE" => self.register_interaction(d, now),
            "MESSAGE_CREATE" => {
                let (channel_id, id) = (id_of(&d["channel_id"]), id_of(&d["id"]));
                if channel_id == 0 || id == 0 {
                    return;
                }
                let mut message = d.clone();
                if let Some(obj) = message.as_object_mut() {
                    for key in ["guild_id", "member", "channel_type"] {
                        obj.remove(key);
                    }
                }
                self.messages.entry(channel_id).or_default().insert(
                    id,
                    StoredMessage {
                        message,
                        reactions: Vec::new(),
                    },
                );
            }
            "MESSAGE_UPDATE" => {
                let (channel_id, id) = (id_of(&d["channel_id"]), id_of(&d["id"]));
                let stored = self
                    .messages
                    .get_mut(&channel_id)
                    .and_then(|m| m.get_mut(&id));
                if let (Some(stored), Some(fields)) = (stored, d.as_object()) {
                    for (key, value) in fields {
                        if !matches!(key.as_str(), "guild_id" | "member" | "channel_type") {
                            stored.message[key.as_str()] = value.clone();
                        }
                    }
                }
            }
            "MESSAGE_DELETE" => {
                if let Some(messages) = self.messages.get_mut(&id_of(&d["channel_id"])) {
                    messages.remove(&id_of(&d["id"]));
                }
            }
            "GUILD_MEMBER_ADD" => {
                let user_id = id_of(&d["user"]);
                if let Some(guild) = self.guilds.get_mut(&id_of(&d["guild_id"])) {
                    let mut member = d.clone();
                    if let Some(obj) = member.as_object_mut() {
                        obj.remove("guild_id");
                    }
                    match guild
                        .members
                        .binary_search_by_key(&user_id, |m| id_of(&m["user"]))
                    {
                        Ok(index) => guild.members[index] = member,
                        Err(index) => guild.members.insert(index, member),
                    }
                }
            }
            "GUILD_MEMBER_REMOVE" => {
                let user_id = id_of(&d["user"]);
                if let Some(guild) = self.guilds.get_mut(&id_of(&d["guild_id"])) {
                    if let Some(index) = guild.member_index(user_id) {
                        guild.members.remove(index);
                    }
                }
            }
            "GUILD_CREATE" if d["unavailable"] != true => {
                let guild_id = id_of(&d["id"]);
                if guild_id == 0 || self.guilds.contains_key(&guild_id) {
                    return;
                }
                let list = |key: &str| d[key].as_array().cloned().unwrap_or_default();
                let mut members = list("members");
                members.sort_by_key(|m| id_of(&m["user"]));
                let mut guild = d.clone();
                if let Some(obj) = guild.as_object_mut() {
                    for key in [
                        "roles",
                        "channels",
                        "members",
                        "presences",
                        "joined_at",
                        "large",
                        "unavailable",
                        "member_count",
                        "voice_states",
                        "threads",
                        "stage_instances",
                        "guild_scheduled_events",
                        "soundboard_sounds",
                    ] {
                        obj.remove(key);
                    }
                }
                self.guilds.insert(
                    guild_id,
                    GuildState {
                        guild,
                        channels: list("channels"),
                        roles: list("roles"),
                        members,
                        presences: list("presences"),
                        bans: BTreeMap::new(),
                    },
                );
            }
            "GUILD_DELETE" if d.get("unavailable").is_none() => {
                // Removed (kicked, banned, guild deleted), not an outage.
                if let Some(guild) = self.guilds.remove(&id_of(&d["id"])) {
                    for channel in &guild.channels {
                        self.messages.remove(&id_of(channel));
                    }
                }
            }
            "CHANNEL_CREATE" | "CHANNEL_UPDATE" | "THREAD_CREATE" | "THREAD_UPDATE" => {
                let channel_id = id_of(&d["id"]);
                if let Some(guild) = self.guilds.get_mut(&id_of(&d["guild_id"])) {
                    match guild.channels.iter().position(|c| id_of(c) == channel_id) {
                        Some(index) => guild.channels[index] = d.clone(),
                        None => guild.channels.push(d.clone()),
                    }
                }
            }
            "CHANNEL_DELETE" | "THREAD_DELETE" => {
                let channel_id = id_of(&d["id"]);
                if let Some(guild) = self.guilds.get_mut(&id_of(&d["guild_id"])) {
                    guild.channels.retain(|c| id_of(c) != channel_id);
                }
                self.messages.remove(&channel_id);
            }
            _ => {}
        }
    }

    /// Remembers an interaction the fake dispatched (INTERACTION_CREATE), so
    /// its callback and follow-up routes work (discord-protocol.md §10.4).
    pub fn register_interaction(&mut self, interaction: &Value, received: Instant) {
        let id = id_of(&interaction["id"]);
        let Some(token) = interaction["token"].as_str() else {
            return;
        };
        if id == 0 {
            return;
        }
        let channel_id = Some(id_of(&interaction["channel_id"])).filter(|id| *id != 0);
        let guild_id = Some(id_of(&interaction["guild_id"])).filter(|id| *id != 0);
        let message_id = Some(id_of(&interaction["message"]["id"])).filter(|id| *id != 0);
        if let Some(message_id) = message_id {
            let known = channel_id
                .and_then(|c| self.messages.get(&c))
                .is_some_and(|m| m.contains_key(&message_id));
            if !known {
                // A fixture message the world never stored: keep a copy so
                // UPDATE_MESSAGE and @original can work on it.
                self.loose_messages.insert(
                    message_id,
                    StoredMessage {
                        message: interaction["message"].clone(),
                        reactions: Vec::new(),
                    },
                );
            }
        }
        self.interactions.insert(
            id,
            InteractionState {
                token: token.to_owned(),
                kind: interaction["type"].as_u64().unwrap_or(0),
                channel_id,
                guild_id,
                received,
                acknowledged: None,
                message_id,
                original: None,
                followups: Vec::new(),
            },
        );
    }

    /// A message of an interaction: in its channel, else among the loose
    /// ones.
    pub fn interaction_message_mut(
        &mut self,
        channel_id: Option<u64>,
        message_id: u64,
    ) -> Option<&mut StoredMessage> {
        let in_channel = channel_id
            .and_then(|c| self.messages.get(&c))
            .is_some_and(|m| m.contains_key(&message_id));
        if in_channel {
            channel_id
                .and_then(|c| self.messages.get_mut(&c))
                .and_then(|m| m.get_mut(&message_id))
        } else {
            self.loose_messages.get_mut(&message_id)
        }
    }

    /// The bot's member object in a guild, without `user` (the `member` of a
    /// MESSAGE_CREATE, §7.4).
    pub fn bot_partial_member(&self, guild_id: u64) -> Option<Value> {
        self.partial_member(guild_id, self.bot_user_id())
    }

    /// A member object without `user` (the `member` of a MESSAGE_CREATE
    /// for its author, §7.4).
    pub fn partial_member(&self, guild_id: u64, user_id: u64) -> Option<Value> {
        let guild = self.guilds.get(&guild_id)?;
        let index = guild.member_index(user_id)?;
        let mut member = guild.members.get(index)?.clone();
        member.as_object_mut()?.remove("user");
        Some(member)
    }

    /// Adds a guild the bot just joined: the `@everyone` role, a `general`
    /// text channel and the bot as its only member, all with fresh ids; the
    /// application's owner owns it. Returns its id.
    pub fn add_guild(&mut self, name: &str) -> u64 {
        let guild_id = self.next_id();
        let channel_id = self.next_id();
        let now = fixtures::iso8601(fixtures::snowflake_unix_ms(channel_id));
        let mut guild = fixtures::guild(guild_id, name, id_of(&self.app_owner));
        if let Some(obj) = guild.as_object_mut() {
            obj.remove("roles");
        }
        let bot_member = fixtures::member(&self.bot_public_user(), &[], &now);
        self.guilds.insert(
            guild_id,
            GuildState {
                guild,
                channels: vec![fixtures::text_channel(channel_id, guild_id, "general", 0)],
                roles: vec![fixtures::everyone_role(guild_id)],
                members: vec![bot_member],
                presences: Vec::new(),
                bans: BTreeMap::new(),
            },
        );
        guild_id
    }

    /// Adds a text channel (type 0) to a guild, last in position; `None`
    /// for an unknown guild.
    pub fn add_text_channel(&mut self, guild_id: u64, name: &str) -> Option<Value> {
        let id = self.next_id();
        let guild = self.guilds.get_mut(&guild_id)?;
        let position = u32::try_from(guild.channels.len()).unwrap_or(u32::MAX);
        let channel = fixtures::text_channel(id, guild_id, name, position);
        guild.channels.push(channel.clone());
        Some(channel)
    }

    /// Adds a new human user as a member of a guild (joined now, no roles);
    /// returns the member (with `user`), or `None` for an unknown guild.
    pub fn add_member(&mut self, guild_id: u64, username: &str) -> Option<Value> {
        if !self.guilds.contains_key(&guild_id) {
            return None;
        }
        let user_id = self.next_id();
        let user = fixtures::user(user_id, username);
        let joined = fixtures::iso8601(fixtures::snowflake_unix_ms(user_id));
        let member = fixtures::member(&user, &[], &joined);
        let guild = self.guilds.get_mut(&guild_id)?;
        // A fresh id is the largest, so the member sorts last.
        guild.members.push(member.clone());
        self.known_users.insert(user_id, user);
        Some(member)
    }

    /// Finds a user among the bot and every guild's members.
    pub fn find_user(&self, user_id: u64) -> Option<Value> {
        if user_id == self.bot_user_id() {
            return Some(self.bot_public_user());
        }
        self.guilds
            .values()
            .find_map(|g| {
                g.member_index(user_id)
                    .and_then(|i| g.members.get(i))
                    .map(|m| m["user"].clone())
            })
            .or_else(|| self.known_users.get(&user_id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_world() {
        let config = Config {
            guilds: 3,
            members_per_guild: 20,
            ..Config::default()
        };
        let a = World::generate(&config);
        let b = World::generate(&config);
        assert_eq!(a.guild_ids(), b.guild_ids());
        assert_eq!(a.bot_user, b.bot_user);
        for id in a.guild_ids() {
            assert_eq!(a.guild_create(id), b.guild_create(id));
            // 20 generated members plus the bot.
            assert_eq!(a.members(id).len(), 21);
            assert_eq!(id_of(&a.members(id)[0]["user"]), a.bot_user_id());
            assert!(!a.text_channel_ids(id).is_empty());
        }
        assert!(a.members(1).is_empty());
    }

    #[test]
    fn ids_keep_increasing() {
        let mut world = World::generate(&Config::default());
        let first = world.next_id();
        let second = world.next_id();
        assert!(second > first);
        let max_generated = world
            .guilds
            .values()
            .flat_map(|g| g.members.iter().map(|m| id_of(&m["user"])))
            .max()
            .unwrap_or(0);
        assert!(first > max_generated);
    }
}
