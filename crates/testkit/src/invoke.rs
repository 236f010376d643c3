//! Interactions the fake builds as Discord would: a member runs a
//! registered command (options checked and typed by its definition, users,
//! roles and channels resolved), presses a button or picks from a select
//! on a stored message, submits a modal, or types into an autocomplete
//! option. Build one, then send it over the gateway with
//! [`FakeDiscord::send_interaction`] (or post it to an HTTP endpoint).

use serde_json::{json, Map, Value};

use crate::fixtures::{self, InteractionContext};
use crate::record::lock;
use crate::server::{ControlError, FakeDiscord};
use crate::world::{id_of, World};

/// Who interacts, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invoker {
    /// The channel (a guild text channel, or a DM channel).
    pub channel_id: u64,
    /// The user; `None` picks the guild's first member who is not the bot.
    pub user_id: Option<u64>,
}

impl Invoker {
    /// Someone in `channel_id`.
    pub fn in_channel(channel_id: u64) -> Self {
        Self {
            channel_id,
            user_id: None,
        }
    }

    /// `user_id` in `channel_id`.
    pub fn user(channel_id: u64, user_id: u64) -> Self {
        Self {
            channel_id,
            user_id: Some(user_id),
        }
    }
}

/// Option types (§ application command option types).
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

impl FakeDiscord {
    /// An APPLICATION_COMMAND interaction: `path` is the command's name
    /// and subcommand path (`"ping"`, `"config set"`), found among the
    /// registered commands (the channel's guild's first, then global);
    /// `options` maps option names to values, checked against the
    /// definition (types, choices, required options) and typed as Discord
    /// sends them; user, member, role and channel options are resolved.
    ///
    /// # Errors
    /// [`ControlError`] for an unknown channel, user or command, or options
    /// the definition does not allow.
    pub fn command_interaction(
        &self,
        invoker: Invoker,
        path: &str,
        options: &Map<String, Value>,
    ) -> Result<Value, ControlError> {
        self.build_command(invoker, path, options, None)
    }

    /// An APPLICATION_COMMAND_AUTOCOMPLETE interaction: like
    /// [`command_interaction`](Self::command_interaction), with `focused`
    /// the option being typed (its value is the text so far; required
    /// options may be missing, as while typing).
    ///
    /// # Errors
    /// As [`command_interaction`](Self::command_interaction); also when
    /// `focused` is not an autocomplete option of the command.
    pub fn autocomplete_interaction(
        &self,
        invoker: Invoker,
        path: &str,
        options: &Map<String, Value>,
        focused: &str,
    ) -> Result<Value, ControlError> {
        self.build_command(invoker, path, options, Some(focused))
    }

    /// A MESSAGE_COMPONENT interaction: a press of the button (or a pick
    /// of `values` in the select) with `custom_id` on the stored message
    /// `message_id`.
    ///
    /// # Errors
    /// [`ControlError`] for an unknown channel, user or message, or a
    /// message without that component.
    pub fn component_interaction(
        &self,
        invoker: Invoker,
        message_id: u64,
        custom_id: &str,
        values: Option<Vec<String>>,
    ) -> Result<Value, ControlError> {
        let world = lock(&self.shared.world);
        let ctx = context(&world, invoker)?;
        let message = world
            .messages
            .get(&invoker.channel_id)
            .and_then(|m| m.get(&message_id))
            .or_else(|| world.loose_messages.get(&message_id))
            .map(|m| m.message.clone())
            .ok_or(ControlError::UnknownMessage(message_id))?;
        let kind = find_component(&message["components"], custom_id)
            .ok_or_else(|| ControlError::UnknownComponent(custom_id.to_owned()))?;
        let values = match (kind, values) {
            (2, _) => None,
            (_, Some(values)) => Some(values),
            (_, None) => Some(Vec::new()),
        };
        Ok(fixtures::component_interaction(
            &ctx,
            &message,
            custom_id,
            u8::try_from(kind).unwrap_or(2),
            values,
        ))
    }

    /// A MODAL_SUBMIT interaction for the modal `custom_id`, with its text
    /// inputs' `(custom_id, value)` pairs.
    ///
    /// # Errors
    /// [`ControlError`] for an unknown channel or user.
    pub fn modal_submit_interaction(
        &self,
        invoker: Invoker,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> Result<Value, ControlError> {
        let world = lock(&self.shared.world);
        let ctx = context(&world, invoker)?;
        Ok(fixtures::modal_submit_interaction(&ctx, custom_id, fields))
    }

    /// Delivers an interaction over the gateway as INTERACTION_CREATE (to
    /// its guild's shard; DMs to shard 0). From now on its 3-second window
    /// runs, and the callback and webhook routes accept its token.
    pub fn send_interaction(&self, interaction: &Value) {
        crate::rest::observe_dispatch(&self.shared, "INTERACTION_CREATE", interaction);
        let guild_id = Some(id_of(&interaction["guild_id"])).filter(|id| *id != 0);
        self.shared
            .gateway
            .emit(guild_id, "INTERACTION_CREATE", interaction.clone());
    }

    fn build_command(
        &self,
        invoker: Invoker,
        path: &str,
        options: &Map<String, Value>,
        focused: Option<&str>,
    ) -> Result<Value, ControlError> {
        let world = lock(&self.shared.world);
        let ctx = context(&world, invoker)?;
        let mut words = path.split_whitespace();
        let name = words
            .next()
            .ok_or_else(|| ControlError::UnknownCommand(path.to_owned()))?;
        let command = world
            .commands
            .values()
            .filter(|c| c["name"] == name && c["type"].as_u64().unwrap_or(1) == 1)
            .filter(|c| {
                let scope = id_of(&c["guild_id"]);
                scope == 0 || Some(scope) == ctx.guild_id
            })
            .max_by_key(|c| id_of(&c["guild_id"]) != 0)
            .cloned()
            .ok_or_else(|| ControlError::UnknownCommand(path.to_owned()))?;
        // walk the subcommand path
        let mut chain: Vec<(String, u64)> = Vec::new();
        let mut defs = command["options"].as_array().cloned().unwrap_or_default();
        for word in words {
            let sub = defs
                .iter()
                .find(|o| {
                    o["name"] == word
                        && matches!(o["type"].as_u64(), Some(SUB_COMMAND | SUB_COMMAND_GROUP))
                })
                .cloned()
                .ok_or_else(|| ControlError::UnknownCommand(path.to_owned()))?;
            chain.push((word.to_owned(), sub["type"].as_u64().unwrap_or(SUB_COMMAND)));
            defs = sub["options"].as_array().cloned().unwrap_or_default();
        }
        if defs
            .iter()
            .any(|o| matches!(o["type"].as_u64(), Some(SUB_COMMAND | SUB_COMMAND_GROUP)))
        {
            // Discord never runs a command that has subcommands by itself
            return Err(ControlError::UnknownCommand(format!(
                "{path} (name its subcommand)"
            )));
        }
        let mut resolved = Map::new();
        let mut given = Vec::new();
        for def in &defs {
            let option = def["name"].as_str().unwrap_or_default();
            let kind = def["type"].as_u64().unwrap_or(3);
            let is_focused = focused == Some(option);
            match options.get(option) {
                Some(value) => {
                    let value = if is_focused {
                        if def["autocomplete"] != true {
                            return Err(ControlError::BadOption {
                                option: option.to_owned(),
                                reason: "is not an autocomplete option".to_owned(),
                            });
                        }
                        value.clone()
                    } else {
                        typed_value(&world, &ctx, def, value, &mut resolved)?
                    };
                    let mut entry = json!({"name": option, "type": kind, "value": value});
                    if is_focused {
                        entry["focused"] = json!(true);
                    }
                    given.push(entry);
                }
                None if def["required"] == true && focused.is_none() => {
                    return Err(ControlError::BadOption {
                        option: option.to_owned(),
                        reason: "is required".to_owned(),
                    });
                }
                None => {}
            }
        }
        if let Some(unknown) = options
            .keys()
            .find(|k| !defs.iter().any(|d| d["name"] == **k))
        {
            return Err(ControlError::BadOption {
                option: unknown.clone(),
                reason: format!("is not an option of /{path}"),
            });
        }
        if let Some(focused) = focused {
            if !given.iter().any(|o| o["name"] == focused) {
                return Err(ControlError::BadOption {
                    option: focused.to_owned(),
                    reason: "is focused but has no value".to_owned(),
                });
            }
        }
        let mut nested = given;
        for (word, kind) in chain.iter().rev() {
            nested = vec![json!({"name": word, "type": kind, "options": nested})];
        }
        let mut interaction =
            fixtures::slash_command_interaction(&ctx, id_of(&command["id"]), name, nested);
        if !resolved.is_empty() {
            interaction["data"]["resolved"] = Value::Object(resolved);
        }
        if focused.is_some() {
            interaction["type"] = json!(4);
        }
        Ok(interaction)
    }
}

/// The fixture context for `invoker`: a fresh id and token, the channel,
/// and the member (in a guild, with its permissions) or the user (DM).
fn context(world: &World, invoker: Invoker) -> Result<InteractionContext, ControlError> {
    let channel = world
        .channel(invoker.channel_id)
        .cloned()
        .or_else(|| world.dm_channels.get(&invoker.channel_id).cloned())
        .ok_or(ControlError::UnknownChannel(invoker.channel_id))?;
    let guild_id = Some(id_of(&channel["guild_id"]))
        .filter(|id| *id != 0)
        .or_else(|| world.find_channel(invoker.channel_id).map(|(g, _)| g));
    let bot = world.bot_user_id();
    let invoker_value = match guild_id {
        Some(guild_id) => {
            let members = world.members(guild_id);
            let member = match invoker.user_id {
                Some(user) => members.iter().find(|m| id_of(&m["user"]) == user).ok_or(
                    ControlError::NotAMember {
                        user,
                        channel: invoker.channel_id,
                    },
                )?,
                None => members
                    .iter()
                    .find(|m| id_of(&m["user"]) != bot)
                    .ok_or(ControlError::NoAuthor(invoker.channel_id))?,
            };
            member.clone()
        }
        None => {
            let user = invoker
                .user_id
                .or_else(|| {
                    channel["recipients"]
                        .as_array()
                        .and_then(|r| r.iter().map(id_of).find(|id| *id != bot))
                })
                .ok_or(ControlError::NoAuthor(invoker.channel_id))?;
            world
                .find_user(user)
                .ok_or(ControlError::UnknownUser(user))?
        }
    };
    let mut partial = json!({"id": channel["id"], "type": channel["type"]});
    for key in ["name", "guild_id", "parent_id", "nsfw", "topic", "position"] {
        if let Some(v) = channel.get(key) {
            partial[key] = v.clone();
        }
    }
    let id = next_id(world);
    Ok(InteractionContext {
        id,
        application_id: world.application_id,
        token: format!("fake-interaction-token-{id}"),
        guild_id,
        channel: partial,
        invoker: invoker_value,
    })
}

/// An id after every id the world handed out (the world is only read
/// here; ids from the clock keep increasing).
fn next_id(world: &World) -> u64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    static INCREMENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let inc = INCREMENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0xFFF;
    fixtures::snowflake(now_ms, inc).max(world.guild_ids().into_iter().max().unwrap_or(0) + 1)
}

/// The component type of the component with `custom_id`, anywhere in the
/// message's components.
fn find_component(components: &Value, custom_id: &str) -> Option<u64> {
    components.as_array()?.iter().find_map(|c| {
        if c["custom_id"] == custom_id {
            c["type"].as_u64()
        } else {
            find_component(&c["components"], custom_id)
                .or_else(|| find_component(&json!([c["component"].clone()]), custom_id))
                .or_else(|| find_component(&json!([c["accessory"].clone()]), custom_id))
        }
    })
}

/// The option's value as Discord sends it, checked against its
/// definition; user/role/channel options add their object to `resolved`.
fn typed_value(
    world: &World,
    ctx: &InteractionContext,
    def: &Value,
    value: &Value,
    resolved: &mut Map<String, Value>,
) -> Result<Value, ControlError> {
    let option = def["name"].as_str().unwrap_or_default();
    let bad = |reason: &str| ControlError::BadOption {
        option: option.to_owned(),
        reason: reason.to_owned(),
    };
    let kind = def["type"].as_u64().unwrap_or(3);
    let value = match kind {
        3 => {
            let s = value.as_str().ok_or_else(|| bad("must be a string"))?;
            let len = s.chars().count() as u64;
            if def["min_length"].as_u64().is_some_and(|m| len < m)
                || def["max_length"].as_u64().is_some_and(|m| len > m)
            {
                return Err(bad("has a length outside min_length..max_length"));
            }
            json!(s)
        }
        4 => {
            let n = value.as_i64().ok_or_else(|| bad("must be an integer"))?;
            if def["min_value"].as_f64().is_some_and(|m| (n as f64) < m)
                || def["max_value"].as_f64().is_some_and(|m| (n as f64) > m)
            {
                return Err(bad("is outside min_value..max_value"));
            }
            json!(n)
        }
        10 => {
            let n = value.as_f64().ok_or_else(|| bad("must be a number"))?;
            if def["min_value"].as_f64().is_some_and(|m| n < m)
                || def["max_value"].as_f64().is_some_and(|m| n > m)
            {
                return Err(bad("is outside min_value..max_value"));
            }
            json!(n)
        }
        5 => json!(value.as_bool().ok_or_else(|| bad("must be a boolean"))?),
        6..=9 => {
            let id = id_of(value);
            if id == 0 {
                return Err(bad("must be a snowflake"));
            }
            resolve(world, ctx, kind, id, resolved)
                .ok_or_else(|| bad("names nothing the guild has"))?;
            json!(id.to_string())
        }
        _ => return Err(bad("has a type the fake cannot fill (attachment)")),
    };
    if let Some(choices) = def["choices"].as_array() {
        if !choices.iter().any(|c| c["value"] == value) {
            return Err(bad("is not one of its choices"));
        }
    }
    Ok(value)
}

/// Adds the object an id names to `resolved`; `None` when it names
/// nothing of that kind.
fn resolve(
    world: &World,
    ctx: &InteractionContext,
    kind: u64,
    id: u64,
    resolved: &mut Map<String, Value>,
) -> Option<()> {
    let mut put = |map: &str, value: Value| {
        resolved
            .entry(map)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(id.to_string(), value));
    };
    let guild = ctx.guild_id.and_then(|g| world.guilds.get(&g));
    let user = || world.find_user(id);
    let role = || guild.and_then(|g| g.roles.iter().find(|r| id_of(&r["id"]) == id).cloned());
    match kind {
        6 => {
            put("users", fixtures::public_user(&user()?));
            if let Some(member) = ctx.guild_id.and_then(|g| world.partial_member(g, id)) {
                let mut member = member;
                member["permissions"] = json!(fixtures::EVERYONE_PERMISSIONS.to_string());
                put("members", member);
            }
        }
        7 => {
            let channel = world.channel(id)?;
            let mut partial = json!({"id": channel["id"], "type": channel["type"],
                "permissions": fixtures::EVERYONE_PERMISSIONS.to_string()});
            for key in ["name", "guild_id", "parent_id", "nsfw", "position", "topic"] {
                if let Some(v) = channel.get(key) {
                    partial[key] = v.clone();
                }
            }
            put("channels", partial);
        }
        8 => put("roles", role()?),
        _ => match user() {
            Some(u) => {
                put("users", fixtures::public_user(&u));
                if let Some(member) = ctx.guild_id.and_then(|g| world.partial_member(g, id)) {
                    put("members", member);
                }
            }
            None => put("roles", role()?),
        },
    }
    Some(())
}
