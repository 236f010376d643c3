//! The in-memory Discord the fake serves: the bot user, its application and
//! the guilds it is in. REST handlers mutate it; the gateway reads it for
//! READY and GUILD_CREATE.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::config::Config;

/// Milliseconds since the Discord epoch used for generated snowflakes
/// (2024-01-01T00:00:00Z).
const ID_BASE_MS: u64 = 1_704_067_200_000 - acord_core_signals::limits::DISCORD_EPOCH_MS;

/// One guild and everything in it.
#[derive(Clone, Debug)]
pub(crate) struct GuildState {
    /// The guild object without `channels`, `members`, `roles`.
    pub guild: Value,
    pub channels: Vec<Value>,
    pub roles: Vec<Value>,
    pub members: Vec<Value>,
}

/// The fake's world.
#[derive(Clone, Debug)]
pub(crate) struct World {
    next_increment: u64,
    pub bot_user: Value,
    pub application_id: u64,
    pub guilds: BTreeMap<u64, GuildState>,
}

impl World {
    /// Builds the world the config describes; the same seed gives the same
    /// world.
    pub fn generate(config: &Config) -> World {
        let mut world = World {
            next_increment: config.seed & 0xFFF,
            bot_user: Value::Null,
            application_id: 0,
            guilds: BTreeMap::new(),
        };
        let bot_id = world.next_id();
        world.application_id = bot_id;
        world.bot_user = json!({
            "id": bot_id.to_string(),
            "username": "acord-fake-bot",
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "flags": 0,
            "public_flags": 0,
        });
        for index in 0..config.guilds {
            let guild_id = world.next_id();
            let owner = world.next_id();
            let channel = world.next_id();
            let guild = json!({
                "id": guild_id.to_string(),
                "name": format!("Fake Guild {index}"),
                "icon": null,
                "splash": null,
                "discovery_splash": null,
                "owner_id": owner.to_string(),
                "afk_channel_id": null,
                "afk_timeout": 300,
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "emojis": [],
                "features": [],
                "mfa_level": 0,
                "application_id": null,
                "system_channel_id": channel.to_string(),
                "system_channel_flags": 0,
                "rules_channel_id": null,
                "vanity_url_code": null,
                "description": null,
                "banner": null,
                "premium_tier": 0,
                "preferred_locale": "en-US",
                "public_updates_channel_id": null,
                "nsfw_level": 0,
                "premium_progress_bar_enabled": false,
                "safety_alerts_channel_id": null,
                "stickers": [],
            });
            let everyone = json!({
                "id": guild_id.to_string(),
                "name": "@everyone",
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
                "hoist": false,
                "icon": null,
                "unicode_emoji": null,
                "position": 0,
                "permissions": "104324673",
                "managed": false,
                "mentionable": false,
                "flags": 0,
            });
            let text = json!({
                "id": channel.to_string(),
                "type": 0,
                "guild_id": guild_id.to_string(),
                "position": 0,
                "permission_overwrites": [],
                "name": "general",
                "topic": null,
                "nsfw": false,
                "last_message_id": null,
                "rate_limit_per_user": 0,
                "parent_id": null,
            });
            let bot_member = json!({
                "user": world.bot_user.clone(),
                "nick": null,
                "roles": [],
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
            });
            world.guilds.insert(
                guild_id,
                GuildState {
                    guild,
                    channels: vec![text],
                    roles: vec![everyone],
                    members: vec![bot_member],
                },
            );
        }
        world
    }

    /// A fresh snowflake, increasing.
    pub fn next_id(&mut self) -> u64 {
        self.next_increment += 1;
        (ID_BASE_MS << 22) | (self.next_increment & 0x3F_FFFF)
    }

    /// The bot user's id.
    pub fn bot_user_id(&self) -> u64 {
        self.application_id
    }

    /// The ids of the guilds the bot is in.
    pub fn guild_ids(&self) -> Vec<u64> {
        self.guilds.keys().copied().collect()
    }

    /// The text channels (type 0) of a guild.
    pub fn text_channel_ids(&self, guild_id: u64) -> Vec<u64> {
        self.guilds
            .get(&guild_id)
            .map(|g| {
                g.channels
                    .iter()
                    .filter(|c| c["type"] == 0)
                    .filter_map(|c| c["id"].as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `d` of a GUILD_CREATE for a guild (discord-protocol.md §7.2).
    pub fn guild_create(&self, guild_id: u64) -> Option<Value> {
        let state = self.guilds.get(&guild_id)?;
        let mut d = state.guild.clone();
        let obj = d.as_object_mut()?;
        obj.insert("roles".into(), Value::Array(state.roles.clone()));
        obj.insert("channels".into(), Value::Array(state.channels.clone()));
        obj.insert("members".into(), Value::Array(state.members.clone()));
        obj.insert("member_count".into(), json!(state.members.len()));
        obj.insert(
            "joined_at".into(),
            json!("2024-01-01T00:00:00.000000+00:00"),
        );
        obj.insert("large".into(), json!(state.members.len() > 50));
        obj.insert("unavailable".into(), json!(false));
        for key in [
            "voice_states",
            "threads",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ] {
            obj.insert(key.into(), json!([]));
        }
        Some(d)
    }
}
