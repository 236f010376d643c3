//! Faithful Discord payloads for tests (discord-protocol.md §8, §10).
//!
//! Every builder returns a [`serde_json::Value`] carrying every field the
//! protocol document marks as required, with snowflakes as strings and
//! ISO 8601 timestamps. Optional fields are set where a real payload would
//! normally have them; add or change anything with `value["field"] = ...`.
//!
//! [`Generator`] builds whole guilds (channels, roles, emojis, N members,
//! presences) from a seed: the same seed gives the same guild, so load tests
//! are reproducible.
//!
//! ```
//! use acord_testkit::fixtures;
//! let author = fixtures::user(80351110224678912, "Nelly");
//! let msg = fixtures::message(
//!     fixtures::snowflake(1_735_689_600_000, 1),
//!     41771983423143937,
//!     Some(41771983423143936),
//!     &author,
//!     "hello",
//! );
//! assert_eq!(msg["author"]["id"], "80351110224678912");
//! assert_eq!(msg["timestamp"], "2025-01-01T00:00:00.000000+00:00");
//!
//! let mut gen = fixtures::Generator::new(7);
//! let guild = gen.guild("Load test", 1_000);
//! assert_eq!(guild.members.len(), 1_000);
//! assert_eq!(guild.guild_create()["member_count"], 1_000);
//! ```

use acord_core_signals::limits::DISCORD_EPOCH_MS;
use serde_json::{json, Value};

/// Unix milliseconds of 2024-01-01T00:00:00Z: the creation time of
/// generated fixture ids.
pub const FIXTURE_EPOCH_MS: u64 = 1_704_067_200_000;

/// The permissions of a generated `@everyone` role (view channels, send
/// messages, read history, add reactions, embed links, attach files, use
/// external emojis, connect, speak, use application commands...).
pub const EVERYONE_PERMISSIONS: u64 = 104_324_673;

/// Builds a snowflake from a Unix time in milliseconds and a 12-bit
/// increment (discord-protocol.md §1.2). Times before the Discord epoch
/// clamp to it.
pub fn snowflake(unix_ms: u64, increment: u64) -> u64 {
    (unix_ms.saturating_sub(DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)
}

/// The Unix time in milliseconds a snowflake was created at.
pub fn snowflake_unix_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

/// Formats Unix milliseconds as Discord does:
/// `2017-03-13T19:19:14.040000+00:00`.
pub fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let micros = (unix_ms % 1000) * 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The ISO 8601 creation time of a snowflake.
pub fn timestamp_of(id: u64) -> String {
    iso8601(snowflake_unix_ms(id))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Parses the timestamps this module writes (`YYYY-MM-DDTHH:MM:SS[.ffffff]`
/// followed by `+00:00` or `Z`) back to Unix milliseconds.
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let text = text
        .strip_suffix("+00:00")
        .or_else(|| text.strip_suffix('Z'))?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: u64 = date_parts.next()?.parse().ok()?;
    let month: u64 = date_parts.next()?.parse().ok()?;
    let day: u64 = date_parts.next()?.parse().ok()?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut time_parts = hms.splitn(3, ':');
    let hour: u64 = time_parts.next()?.parse().ok()?;
    let minute: u64 = time_parts.next()?.parse().ok()?;
    let second: u64 = time_parts.next()?.parse().ok()?;
    // Four-digit years and a second of at most 60 (leap second) keep the
    // arithmetic below far from overflowing on any input.
    if year > 9999
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let millis: u64 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    // days_from_civil, the inverse of civil_from_days.
    let y = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis)
}

/// A user object (§8.1): a human with the new username system
/// (`discriminator` `"0"`).
pub fn user(id: u64, username: &str) -> Value {
    json!({
        "id": id.to_string(),
        "username": username,
        "discriminator": "0",
        "global_name": username,
        "avatar": null,
        "bot": false,
        "banner": null,
        "accent_color": null,
        "flags": 0,
        "public_flags": 0,
        "avatar_decoration_data": null,
    })
}

/// The user fields Discord sends only in the current user's own object
/// (`GET /users/@me`, READY `user`, USER_UPDATE): `email` and `verified`
/// need the `email` OAuth2 scope, and `mfa_enabled`, `locale` and
/// `premium_type` describe the account of whoever asks. Everywhere else (a
/// message author, a mention, a member, `GET /users/{id}`, even when that
/// user is the bot itself) they are absent.
pub const CURRENT_USER_ONLY_FIELDS: [&str; 5] =
    ["mfa_enabled", "locale", "verified", "email", "premium_type"];

/// A user object as anyone but that user sees it: `user` without
/// [`CURRENT_USER_ONLY_FIELDS`].
pub fn public_user(user: &Value) -> Value {
    let mut user = user.clone();
    if let Some(obj) = user.as_object_mut() {
        for key in CURRENT_USER_ONLY_FIELDS {
            obj.remove(key);
        }
    }
    user
}

/// A bot user object (§8.1) as the bot sees itself (READY `user`,
/// `GET /users/@me`): with the fields only the current user gets
/// (`verified`, `mfa_enabled`, `locale`, `premium_type`); see
/// [`public_user`] for how everyone else sees it.
pub fn bot_user(id: u64, username: &str) -> Value {
    let mut user = user(id, username);
    user["bot"] = json!(true);
    user["global_name"] = Value::Null;
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    user["locale"] = json!("en-US");
    user["premium_type"] = json!(0);
    user
}

/// A guild object (§8.2) with no roles and no emojis; push them into
/// `roles` and `emojis`.
pub fn guild(id: u64, name: &str, owner_id: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "icon": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": owner_id.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [],
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500_000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "incidents_data": null,
    })
}

/// The `@everyone` role of a guild (§8.4: its id is the guild id).
pub fn everyone_role(guild_id: u64) -> Value {
    role(guild_id, "@everyone", 0, EVERYONE_PERMISSIONS)
}

/// A role object (§8.4).
pub fn role(id: u64, name: &str, position: u32, permissions: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

/// A guild text channel (§8.5, type 0).
pub fn text_channel(id: u64, guild_id: u64, name: &str, position: u32) -> Value {
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": guild_id.to_string(),
        "position": position,
        "permission_overwrites": [],
        "name": name,
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "last_pin_timestamp": null,
        "flags": 0,
    })
}

/// A guild voice channel (§8.5, type 2).
pub fn voice_channel(id: u64, guild_id: u64, name: &str, position: u32) -> Value {
    json!({
        "id": id.to_string(),
        "type": 2,
        "guild_id": guild_id.to_string(),
        "position": position,
        "permission_overwrites": [],
        "name": name,
        "nsfw": false,
        "last_message_id": null,
        "bitrate": 64_000,
        "user_limit": 0,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "rtc_region": null,
        "flags": 0,
    })
}

/// A guild category (§8.5, type 4).
pub fn category(id: u64, guild_id: u64, name: &str, position: u32) -> Value {
    json!({
        "id": id.to_string(),
        "type": 4,
        "guild_id": guild_id.to_string(),
        "position": position,
        "permission_overwrites": [],
        "name": name,
        "nsfw": false,
        "parent_id": null,
        "flags": 0,
    })
}

/// A custom guild emoji (§8.9).
pub fn emoji(id: u64, name: &str, animated: bool) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "roles": [],
        "require_colons": true,
        "managed": false,
        "animated": animated,
        "available": true,
    })
}

/// A guild member (§8.3) wrapping `user`.
pub fn member(user: &Value, roles: &[u64], joined_at: &str) -> Value {
    json!({
        "user": user,
        "nick": null,
        "avatar": null,
        "banner": null,
        "roles": roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": joined_at,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    })
}

/// A message (§8.6) of type 0 sent by `author`; `timestamp` comes from the
/// id. In a guild it also carries the MESSAGE_CREATE extras `guild_id`
/// (§7.4).
pub fn message(
    id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    author: &Value,
    content: &str,
) -> Value {
    let mut message = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": content,
        "timestamp": timestamp_of(id),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": [],
    });
    if let Some(guild_id) = guild_id {
        message["guild_id"] = json!(guild_id.to_string());
    }
    message
}

/// A rich embed (§8.7) with a title and a description.
pub fn embed(title: &str, description: &str) -> Value {
    json!({"type": "rich", "title": title, "description": description})
}

/// An attachment object (§8.8).
pub fn attachment(id: u64, filename: &str, size: usize, content_type: &str, url: &str) -> Value {
    json!({
        "id": id.to_string(),
        "filename": filename,
        "content_type": content_type,
        "size": size,
        "url": url,
        "proxy_url": url,
    })
}

/// An action row (§10.7, type 1) holding `components`.
pub fn action_row(components: Vec<Value>) -> Value {
    json!({"type": 1, "components": components})
}

/// A non-link button (§10.7): style 1-4 with a `custom_id`.
pub fn button(style: u8, custom_id: &str, label: &str) -> Value {
    json!({"type": 2, "style": style, "custom_id": custom_id, "label": label, "disabled": false})
}

/// A link button (§10.7): style 5 with a `url`.
pub fn link_button(label: &str, url: &str) -> Value {
    json!({"type": 2, "style": 5, "url": url, "label": label, "disabled": false})
}

/// A string select (§10.7, type 3) with `(label, value)` options.
pub fn string_select(custom_id: &str, options: &[(&str, &str)]) -> Value {
    let options: Vec<Value> = options
        .iter()
        .map(|(label, value)| json!({"label": label, "value": value, "default": false}))
        .collect();
    json!({
        "type": 3,
        "custom_id": custom_id,
        "options": options,
        "min_values": 1,
        "max_values": 1,
        "disabled": false,
    })
}

/// A user mention entry for a message's `mentions` (§7.4: a user with an
/// optional partial `member`).
pub fn mention(user: &Value, member: Option<&Value>) -> Value {
    let mut mention = user.clone();
    if let Some(member) = member {
        let mut partial = member.clone();
        if let Some(obj) = partial.as_object_mut() {
            obj.remove("user");
        }
        mention["member"] = partial;
    }
    mention
}

/// An activity (§8.13); `kind` 0 Playing, 2 Listening, 3 Watching, 5
/// Competing.
pub fn activity(name: &str, kind: u8, created_at_ms: u64) -> Value {
    json!({"name": name, "type": kind, "created_at": created_at_ms})
}

/// A PRESENCE_UPDATE `d` / GUILD_CREATE presence (§7.5).
pub fn presence(user_id: u64, guild_id: u64, status: &str, activities: Vec<Value>) -> Value {
    let platform = if status == "offline" {
        json!({})
    } else {
        json!({"desktop": status})
    };
    json!({
        "user": {"id": user_id.to_string()},
        "guild_id": guild_id.to_string(),
        "status": status,
        "activities": activities,
        "client_status": platform,
    })
}

/// Where an interaction happened and who caused it (§10.2).
#[derive(Clone, Debug)]
pub struct InteractionContext {
    /// The interaction id.
    pub id: u64,
    /// The application the interaction is for.
    pub application_id: u64,
    /// The continuation token (used by the callback and follow-up routes).
    pub token: String,
    /// The guild, or `None` for a bot DM.
    pub guild_id: Option<u64>,
    /// The (partial) channel object.
    pub channel: Value,
    /// In a guild: the invoking member, with `user`. In a DM: the user.
    pub invoker: Value,
}

impl InteractionContext {
    fn base(&self, kind: u8, data: Option<Value>) -> Value {
        let mut interaction = json!({
            "id": self.id.to_string(),
            "application_id": self.application_id.to_string(),
            "type": kind,
            "channel": self.channel,
            "channel_id": self.channel["id"],
            "token": self.token,
            "version": 1,
            "app_permissions": EVERYONE_PERMISSIONS.to_string(),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        });
        if let Some(data) = data {
            interaction["data"] = data;
        }
        match self.guild_id {
            Some(guild_id) => {
                let mut member = self.invoker.clone();
                if member.get("permissions").is_none() {
                    member["permissions"] = json!(EVERYONE_PERMISSIONS.to_string());
                }
                interaction["guild_id"] = json!(guild_id.to_string());
                interaction["guild"] =
                    json!({"id": guild_id.to_string(), "locale": "en-US", "features": []});
                interaction["guild_locale"] = json!("en-US");
                interaction["member"] = member;
                interaction["context"] = json!(0);
                interaction["authorizing_integration_owners"] = json!({"0": guild_id.to_string()});
            }
            None => {
                interaction["user"] = self.invoker.clone();
                interaction["context"] = json!(1);
                interaction["authorizing_integration_owners"] = json!({"0": "0"});
            }
        }
        interaction
    }
}

/// A PING interaction (§10.1 type 1).
pub fn ping_interaction(id: u64, application_id: u64, token: &str) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": application_id.to_string(),
        "type": 1,
        "token": token,
        "version": 1,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "attachment_size_limit": 10 * 1024 * 1024,
    })
}

/// An APPLICATION_COMMAND interaction (type 2) for a CHAT_INPUT command;
/// `options` is the `data.options` array (`{name, type, value}`).
pub fn slash_command_interaction(
    ctx: &InteractionContext,
    command_id: u64,
    name: &str,
    options: Vec<Value>,
) -> Value {
    let mut data = json!({"id": command_id.to_string(), "name": name, "type": 1});
    if !options.is_empty() {
        data["options"] = Value::Array(options);
    }
    if let Some(guild_id) = ctx.guild_id {
        data["guild_id"] = json!(guild_id.to_string());
    }
    ctx.base(2, Some(data))
}

/// A MESSAGE_COMPONENT interaction (type 3) on `message`: a button click
/// (`values` `None`) or a select (`values` `Some`, `component_type` 3-8).
pub fn component_interaction(
    ctx: &InteractionContext,
    message: &Value,
    custom_id: &str,
    component_type: u8,
    values: Option<Vec<String>>,
) -> Value {
    let mut data = json!({"custom_id": custom_id, "component_type": component_type});
    if let Some(values) = values {
        data["values"] = json!(values);
    }
    let mut interaction = ctx.base(3, Some(data));
    interaction["message"] = message.clone();
    interaction
}

/// A MODAL_SUBMIT interaction (type 5) with `(custom_id, value)` text
/// inputs, each in its own action row.
pub fn modal_submit_interaction(
    ctx: &InteractionContext,
    custom_id: &str,
    inputs: &[(&str, &str)],
) -> Value {
    let rows: Vec<Value> = inputs
        .iter()
        .map(|(id, value)| action_row(vec![json!({"type": 4, "custom_id": id, "value": value})]))
        .collect();
    ctx.base(5, Some(json!({"custom_id": custom_id, "components": rows})))
}

/// A whole guild: what GUILD_CREATE carries, split into parts.
#[derive(Clone, Debug)]
pub struct GuildFixture {
    /// The guild object (§8.2), with its `roles` and `emojis`; channels,
    /// members and presences are the fields below.
    pub guild: Value,
    /// Channels, categories first.
    pub channels: Vec<Value>,
    /// Roles, `@everyone` first.
    pub roles: Vec<Value>,
    /// Members, sorted by user id.
    pub members: Vec<Value>,
    /// Presences of the members that are not offline.
    pub presences: Vec<Value>,
}

impl GuildFixture {
    /// The guild's id.
    pub fn id(&self) -> u64 {
        self.guild["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    }

    /// The `d` of a GUILD_CREATE (§7.2) for this guild.
    pub fn guild_create(&self) -> Value {
        let mut d = self.guild.clone();
        d["roles"] = Value::Array(self.roles.clone());
        d["channels"] = Value::Array(self.channels.clone());
        d["members"] = Value::Array(self.members.clone());
        d["presences"] = Value::Array(self.presences.clone());
        d["member_count"] = json!(self.members.len());
        d["joined_at"] = json!(iso8601(FIXTURE_EPOCH_MS));
        d["large"] = json!(self.members.len() > 50);
        d["unavailable"] = json!(false);
        for key in [
            "voice_states",
            "threads",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ] {
            d[key] = json!([]);
        }
        d
    }
}

const FIRST_NAMES: [&str; 16] = [
    "ada", "bao", "cleo", "dev", "emi", "finn", "gus", "hana", "ivo", "jun", "kai", "lea", "milo",
    "nia", "otto", "pia",
];

const STATUSES: [&str; 4] = ["online", "idle", "dnd", "offline"];

/// A seeded generator of ids, users and whole guilds. The same seed and the
/// same calls give the same values.
#[derive(Clone, Debug)]
pub struct Generator {
    state: u64,
    ids: u64,
}

impl Generator {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Generator {
        Generator {
            state: seed,
            ids: 0,
        }
    }

    /// The next pseudo-random number (SplitMix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next snowflake: increasing, created from [`FIXTURE_EPOCH_MS`] on
    /// (4096 ids per millisecond).
    pub fn next_id(&mut self) -> u64 {
        let n = self.ids;
        self.ids += 1;
        snowflake(FIXTURE_EPOCH_MS + n / 4096, n % 4096)
    }

    /// A human user with a generated name.
    pub fn user(&mut self) -> Value {
        let id = self.next_id();
        let name = FIRST_NAMES[(self.next_u64() % FIRST_NAMES.len() as u64) as usize];
        user(id, &format!("{name}{}", self.next_u64() % 10_000))
    }

    /// A guild with `members` human members, a category with a text and a
    /// voice channel plus a second text channel, three roles (`@everyone`
    /// first), two emojis and presences for non-offline members.
    ///
    /// Each guild starts a new millisecond of the id clock, as guilds made
    /// at different times do, so a world's guilds spread over shards
    /// (`(guild_id >> 22) % shard_count`) instead of all landing on one.
    pub fn guild(&mut self, name: &str, members: usize) -> GuildFixture {
        self.ids = self.ids.div_ceil(4096) * 4096;
        let guild_id = self.next_id();
        let category_id = self.next_id();
        let general_id = self.next_id();
        let random_id = self.next_id();
        let voice_id = self.next_id();
        let moderator_id = self.next_id();
        let member_role_id = self.next_id();
        let mut guild_value = guild(guild_id, name, 0);
        let roles = vec![
            everyone_role(guild_id),
            role(member_role_id, "member", 1, EVERYONE_PERMISSIONS),
            role(
                moderator_id,
                "moderator",
                2,
                EVERYONE_PERMISSIONS | (1 << 13),
            ),
        ];
        let emojis = vec![
            emoji(self.next_id(), "acord", false),
            emoji(self.next_id(), "party", true),
        ];
        let mut general = text_channel(general_id, guild_id, "general", 0);
        general["parent_id"] = json!(category_id.to_string());
        general["topic"] = json!("General chat");
        let mut voice = voice_channel(voice_id, guild_id, "Voice", 1);
        voice["parent_id"] = json!(category_id.to_string());
        let channels = vec![
            category(category_id, guild_id, "Text", 0),
            general,
            text_channel(random_id, guild_id, "random", 2),
            voice,
        ];
        let joined = iso8601(FIXTURE_EPOCH_MS);
        let mut member_list = Vec::with_capacity(members);
        let mut presences = Vec::new();
        for index in 0..members {
            let user = self.user();
            let user_id = user["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .unwrap_or(0);
            let roles: Vec<u64> = match self.next_u64() % 10 {
                0 => vec![member_role_id, moderator_id],
                1..=6 => vec![member_role_id],
                _ => Vec::new(),
            };
            member_list.push(member(&user, &roles, &joined));
            let status = STATUSES[(self.next_u64() % STATUSES.len() as u64) as usize];
            if status != "offline" {
                let activities = if index % 3 == 0 {
                    vec![activity("acord", 0, FIXTURE_EPOCH_MS)]
                } else {
                    Vec::new()
                };
                presences.push(presence(user_id, guild_id, status, activities));
            }
            if index == 0 {
                guild_value["owner_id"] = json!(user_id.to_string());
            }
        }
        if members == 0 {
            // Every guild has an owner (snowflakes are never 0); with no
            // generated members it is a user outside the member list.
            guild_value["owner_id"] = json!(self.next_id().to_string());
        }
        guild_value["system_channel_id"] = json!(general_id.to_string());
        guild_value["roles"] = Value::Array(roles.clone());
        guild_value["emojis"] = Value::Array(emojis);
        GuildFixture {
            guild: guild_value,
            channels,
            roles,
            members: member_list,
            presences,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            iso8601(1_489_432_754_040),
            "2017-03-13T19:19:14.040000+00:00"
        );
        assert_eq!(
            iso8601(FIXTURE_EPOCH_MS),
            "2024-01-01T00:00:00.000000+00:00"
        );
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000000+00:00");
        for ms in [0, 1_489_432_754_040, 951_782_400_000, 4_102_444_799_999] {
            assert_eq!(parse_iso8601(&iso8601(ms)), Some(ms));
        }
        assert_eq!(
            parse_iso8601("2017-03-13T19:19:14Z"),
            Some(1_489_432_754_000)
        );
        assert_eq!(parse_iso8601("yesterday"), None);
        // Out-of-range fields are rejected, never overflowed.
        assert_eq!(parse_iso8601("99999999999999999-01-01T00:00:00Z"), None);
        assert_eq!(
            parse_iso8601("2020-01-01T00:00:18446744073709551615Z"),
            None
        );
        assert_eq!(
            parse_iso8601("9999-12-31T23:59:60.999+00:00"),
            Some(253_402_300_800_999)
        );
    }

    #[test]
    fn snowflakes_carry_time() {
        let id = snowflake(1_735_689_600_123, 5);
        assert_eq!(snowflake_unix_ms(id), 1_735_689_600_123);
        assert_eq!(id & 0xFFF, 5);
        // The documented example: 175928847299117063 -> 2016-04-30 11:18:25.796 UTC.
        assert_eq!(
            snowflake_unix_ms(175_928_847_299_117_063),
            1_462_015_105_796
        );
    }

    #[test]
    fn generator_is_deterministic_and_ids_increase() {
        let a = Generator::new(42).guild("g", 300);
        let b = Generator::new(42).guild("g", 300);
        assert_eq!(a.guild_create(), b.guild_create());
        let c = Generator::new(43).guild("g", 300);
        assert_ne!(a.members, c.members);
        let ids: Vec<u64> = a
            .members
            .iter()
            .map(|m| m["user"]["id"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let mut gen = Generator::new(1);
        let many: Vec<u64> = (0..10_000).map(|_| gen.next_id()).collect();
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn payloads_have_required_fields() {
        let g = Generator::new(3).guild("Fixture", 60);
        let create = g.guild_create();
        for key in [
            "id",
            "name",
            "icon",
            "owner_id",
            "afk_timeout",
            "verification_level",
            "roles",
            "emojis",
            "features",
            "mfa_level",
            "system_channel_flags",
            "premium_tier",
            "preferred_locale",
            "nsfw_level",
            "premium_progress_bar_enabled",
            "joined_at",
            "large",
            "member_count",
            "voice_states",
            "members",
            "channels",
            "threads",
            "presences",
        ] {
            assert!(create.get(key).is_some(), "GUILD_CREATE lacks {key}");
        }
        assert_eq!(create["large"], true);
        assert_eq!(create["roles"][0]["id"], create["id"]);
        assert!(create["id"].is_string());
        for member in g.members.iter() {
            for key in ["user", "roles", "joined_at", "deaf", "mute", "flags"] {
                assert!(member.get(key).is_some(), "member lacks {key}");
            }
        }
        let author = user(1, "a");
        let msg = message(snowflake(FIXTURE_EPOCH_MS, 9), 2, None, &author, "x");
        for key in [
            "id",
            "channel_id",
            "author",
            "content",
            "timestamp",
            "edited_timestamp",
            "tts",
            "mention_everyone",
            "mentions",
            "mention_roles",
            "attachments",
            "embeds",
            "pinned",
            "type",
        ] {
            assert!(msg.get(key).is_some(), "message lacks {key}");
        }
        assert!(msg.get("guild_id").is_none());
    }

    #[test]
    fn interactions_have_required_fields() {
        let member = member(&user(5, "u"), &[], &iso8601(FIXTURE_EPOCH_MS));
        let ctx = InteractionContext {
            id: 10,
            application_id: 11,
            token: "tok".into(),
            guild_id: Some(12),
            channel: text_channel(13, 12, "general", 0),
            invoker: member,
        };
        let i = slash_command_interaction(&ctx, 14, "ping", vec![]);
        for key in [
            "id",
            "application_id",
            "type",
            "data",
            "token",
            "version",
            "app_permissions",
            "entitlements",
            "authorizing_integration_owners",
            "attachment_size_limit",
            "member",
            "channel_id",
            "guild_id",
        ] {
            assert!(i.get(key).is_some(), "interaction lacks {key}");
        }
        assert_eq!(i["member"]["permissions"], EVERYONE_PERMISSIONS.to_string());
        assert_eq!(i["channel_id"], "13");
        let dm = InteractionContext {
            guild_id: None,
            invoker: user(5, "u"),
            ..ctx
        };
        let i = component_interaction(&dm, &json!({"id": "1"}), "b", 2, None);
        assert_eq!(i["user"]["id"], "5");
        assert!(i.get("member").is_none());
    }
}
