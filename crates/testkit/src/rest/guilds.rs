//! Guilds, channels of a guild, members, bans and roles (discord-protocol.md
//! §11.2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::error::{ApiError, FormErrors};
use super::users::{query_id, query_limit};
use super::{validate, Ctx, Reply};
use crate::fixtures;
use crate::world::{id_of, GuildState, World};

/// The longest timeout (`communication_disabled_until`): 28 days (§9).
const MAX_TIMEOUT: Duration = Duration::from_secs(28 * 24 * 3600);
/// Largest `delete_message_seconds` of a ban (§9).
const MAX_BAN_DELETE_SECONDS: i64 = 604_800;
/// Users per bulk ban (§9).
const MAX_BULK_BAN: usize = 200;

pub(crate) fn guild_mut(world: &mut World, guild_id: u64) -> Result<&mut GuildState, ApiError> {
    world
        .guilds
        .get_mut(&guild_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownGuild))
}

fn guild_ref(world: &World, guild_id: u64) -> Result<&GuildState, ApiError> {
    world
        .guilds
        .get(&guild_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownGuild))
}

/// `GET /guilds/{guild.id}` (`?with_counts=true` adds approximate counts).
pub(crate) fn get_guild(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let with_counts = ctx.query_bool("with_counts");
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let mut guild = state.guild_object();
    if with_counts {
        guild["approximate_member_count"] = json!(state.members.len());
        guild["approximate_presence_count"] = json!(state.presences.len());
    }
    Ok(Reply::ok(guild))
}

/// `PATCH /guilds/{guild.id}`: `name` (2-100) and the other settable
/// scalar fields; GUILD_UPDATE.
pub(crate) fn modify_guild(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "name", 2, 100);
    validate::range(&mut errors, body, "verification_level", 0, 4);
    validate::range(&mut errors, body, "default_message_notifications", 0, 1);
    validate::range(&mut errors, body, "explicit_content_filter", 0, 2);
    validate::length(&mut errors, body, "description", 0, 120);
    errors.finish()?;
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    for key in [
        "name",
        "verification_level",
        "default_message_notifications",
        "explicit_content_filter",
        "afk_channel_id",
        "afk_timeout",
        "system_channel_id",
        "system_channel_flags",
        "rules_channel_id",
        "public_updates_channel_id",
        "safety_alerts_channel_id",
        "preferred_locale",
        "description",
        "features",
        "premium_progress_bar_enabled",
    ] {
        if let Some(value) = body.get(key) {
            state.guild[key] = value.clone();
        }
    }
    let guild = state.guild_object();
    Ok(Reply::ok(guild.clone()).emit(Some(guild_id), "GUILD_UPDATE", guild))
}

/// `GET /guilds/{guild.id}/emojis`.
pub(crate) fn list_emojis(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    Ok(Reply::ok(state.guild["emojis"].clone()))
}

/// `GET /guilds/{guild.id}/emojis/{emoji.id}` (10014 when unknown).
pub(crate) fn get_emoji(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let emoji_id = ctx.params.id("emoji.id");
    state.guild["emojis"]
        .as_array()
        .and_then(|emojis| emojis.iter().find(|e| id_of(&e["id"]) == emoji_id))
        .cloned()
        .map(Reply::ok)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownEmoji))
}

/// `GET /guilds/{guild.id}/channels`.
pub(crate) fn get_channels(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    // Threads are not guild channels here (§11.2: "excludes threads").
    let channels: Vec<Value> = state
        .channels
        .iter()
        .filter(|c| !super::threads::is_thread(c))
        .cloned()
        .collect();
    Ok(Reply::ok(Value::Array(channels)))
}

/// `POST /guilds/{guild.id}/channels`: `name` (1-100) required, `type`,
/// `topic`, `position`, `parent_id`, `nsfw`, `rate_limit_per_user`.
pub(crate) fn create_channel(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    if !body["name"].is_string() {
        errors.add(&["name"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    validate::length(&mut errors, body, "name", 1, 100);
    validate::length(&mut errors, body, "topic", 0, 1024);
    validate::range(&mut errors, body, "rate_limit_per_user", 0, 21_600);
    let kind = body["type"].as_u64().unwrap_or(0);
    if ![0, 2, 4, 5, 13, 14, 15, 16].contains(&kind) {
        errors.add(
            &["type"],
            "BASE_TYPE_CHOICES",
            "Value must be one of {0, 2, 4, 5, 13, 14, 15, 16}.",
        );
    }
    errors.finish()?;
    let mut world = ctx.world();
    let id = world.next_id();
    let state = guild_mut(&mut world, guild_id)?;
    let name = body["name"].as_str().unwrap_or("channel");
    let position = u32::try_from(state.channels.len()).unwrap_or(u32::MAX);
    let mut channel = match kind {
        2 | 13 => fixtures::voice_channel(id, guild_id, name, position),
        4 => fixtures::category(id, guild_id, name, position),
        _ => fixtures::text_channel(id, guild_id, name, position),
    };
    channel["type"] = json!(kind);
    for key in [
        "topic",
        "position",
        "parent_id",
        "nsfw",
        "rate_limit_per_user",
        "permission_overwrites",
    ] {
        if let Some(value) = body.get(key) {
            channel[key] = value.clone();
        }
    }
    state.channels.push(channel.clone());
    Ok(Reply::ok(channel.clone()).emit(Some(guild_id), "CHANNEL_CREATE", channel))
}

/// `PATCH /guilds/{guild.id}/channels` `[{id, position?, parent_id?,
/// lock_permissions?}]`: 204; CHANNEL_UPDATE for each moved channel.
pub(crate) fn modify_channel_positions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let Some(moves) = ctx.json().as_array().cloned() else {
        return Err(ApiError::field(&[], "BASE_TYPE_ARRAY", "Must be an array."));
    };
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    // All or nothing: check every id before moving anything.
    for (i, entry) in moves.iter().enumerate() {
        let channel_id = id_of(&entry["id"]);
        if !state.channels.iter().any(|c| id_of(c) == channel_id) {
            return Err(ApiError::field(
                &[&i.to_string(), "id"],
                "CHANNEL_PARENT_INVALID",
                "Unknown channel in this guild.",
            ));
        }
    }
    let mut reply = Reply::no_content();
    for entry in &moves {
        let channel_id = id_of(&entry["id"]);
        let Some(channel) = state.channels.iter_mut().find(|c| id_of(c) == channel_id) else {
            continue;
        };
        for key in ["position", "parent_id"] {
            if let Some(value) = entry.get(key) {
                channel[key] = value.clone();
            }
        }
        reply = reply.emit(Some(guild_id), "CHANNEL_UPDATE", channel.clone());
    }
    Ok(reply)
}

/// `GET /guilds/{guild.id}/members`: `limit` 1-1000 (default 1), `after`
/// a user id; sorted by user id.
pub(crate) fn list_members(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let limit = query_limit(ctx, "limit", 1, 1, 1000)?;
    let after = query_id(ctx, "after")?.unwrap_or(0);
    let guild_id = ctx.params.id("guild.id");
    let world = ctx.world();
    guild_ref(&world, guild_id)?;
    let members = world.members(guild_id);
    let start = members.partition_point(|m| id_of(&m["user"]) <= after);
    let page: Vec<Value> = members.iter().skip(start).take(limit).cloned().collect();
    Ok(Reply::ok(Value::Array(page)))
}

/// `GET /guilds/{guild.id}/members/search`: members whose username or
/// nickname starts with `query` (case-insensitive), `limit` 1-1000
/// (default 1).
pub(crate) fn search_members(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let Some(query) = ctx.query("query").map(str::to_lowercase) else {
        return Err(ApiError::field(
            &["query"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let limit = query_limit(ctx, "limit", 1, 1, 1000)?;
    let guild_id = ctx.params.id("guild.id");
    let world = ctx.world();
    guild_ref(&world, guild_id)?;
    let starts = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.to_lowercase().starts_with(&query))
    };
    let found: Vec<Value> = world
        .members(guild_id)
        .iter()
        .filter(|m| starts(&m["user"]["username"]) || starts(&m["nick"]))
        .take(limit)
        .cloned()
        .collect();
    Ok(Reply::ok(Value::Array(found)))
}

/// `POST /guilds/{guild.id}/bulk-ban` `{user_ids (≤ 200),
/// delete_message_seconds?}`: 200 `{banned_users, failed_users}`.
pub(crate) fn bulk_ban(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::range(
        &mut errors,
        body,
        "delete_message_seconds",
        0,
        MAX_BAN_DELETE_SECONDS,
    );
    let ids: Vec<u64> = match body["user_ids"].as_array() {
        Some(ids) if ids.len() <= MAX_BULK_BAN => ids.iter().map(id_of).collect(),
        Some(_) => {
            errors.max_length(&["user_ids"], MAX_BULK_BAN);
            Vec::new()
        }
        None => {
            errors.add(
                &["user_ids"],
                "BASE_TYPE_REQUIRED",
                "This field is required",
            );
            Vec::new()
        }
    };
    errors.finish()?;
    let reason = ctx.audit_reason.clone();
    let mut world = ctx.world();
    guild_ref(&world, guild_id)?;
    let mut banned = Vec::new();
    let mut failed = Vec::new();
    let mut reply = Reply::ok(Value::Null);
    for user_id in ids {
        let Some(user) = world.find_user(user_id) else {
            failed.push(user_id.to_string());
            continue;
        };
        let state = guild_mut(&mut world, guild_id)?;
        if state.bans.contains_key(&user_id) {
            failed.push(user_id.to_string());
            continue;
        }
        state
            .bans
            .insert(user_id, json!({"reason": reason, "user": user}));
        banned.push(user_id.to_string());
        reply = reply.emit(
            Some(guild_id),
            "GUILD_BAN_ADD",
            json!({"guild_id": guild_id.to_string(), "user": user}),
        );
        if let Some(index) = state.member_index(user_id) {
            state.members.remove(index);
            state.presences.retain(|p| id_of(&p["user"]) != user_id);
            reply = reply.emit(
                Some(guild_id),
                "GUILD_MEMBER_REMOVE",
                json!({"guild_id": guild_id.to_string(), "user": user}),
            );
        }
    }
    reply.body = Some(json!({"banned_users": banned, "failed_users": failed}));
    Ok(reply)
}

fn member_index(state: &GuildState, user_id: u64) -> Result<usize, ApiError> {
    state
        .member_index(user_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMember))
}

/// `GET /guilds/{guild.id}/members/{user.id}`.
pub(crate) fn get_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let index = member_index(state, ctx.params.id("user.id"))?;
    Ok(Reply::ok(state.members[index].clone()))
}

fn member_update(guild_id: u64, member: &Value) -> Value {
    let mut d = member.clone();
    d["guild_id"] = json!(guild_id.to_string());
    d
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `PATCH /guilds/{guild.id}/members/{user.id}` (and `/members/@me`, which
/// accepts only `nick`): `nick`, `roles`, `mute`, `deaf`,
/// `communication_disabled_until`, `flags`.
pub(crate) fn modify_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    let current = !ctx.params.has("user.id");
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "nick", 1, 32);
    if !body.is_object() && !body.is_null() {
        errors.add(
            &[],
            "BASE_TYPE_OBJECT",
            "The request body must be an object.",
        );
    }
    if let Some(until) = body
        .get("communication_disabled_until")
        .filter(|v| !v.is_null())
    {
        match until.as_str().and_then(fixtures::parse_iso8601) {
            Some(ms) if Duration::from_millis(ms) > unix_now() + MAX_TIMEOUT => errors.add(
                &["communication_disabled_until"],
                "BASE_TYPE_BAD_TIME",
                "Timeouts may last at most 28 days.",
            ),
            Some(_) => {}
            None => errors.add(
                &["communication_disabled_until"],
                "DATE_TIME_TYPE_PARSE",
                "Could not interpret the value as an ISO8601 timestamp.",
            ),
        }
    }
    errors.finish()?;
    let mut world = ctx.world();
    let user_id = if current {
        world.bot_user_id()
    } else {
        ctx.params.id("user.id")
    };
    let state = guild_mut(&mut world, guild_id)?;
    let index = member_index(state, user_id)?;
    if let Some(roles) = body.get("roles").and_then(Value::as_array) {
        for role in roles {
            let id = id_of(role);
            if id == guild_id || !state.roles.iter().any(|r| id_of(r) == id) {
                return Err(ApiError::unknown(JsonErrorCode::UnknownRole));
            }
        }
    }
    let member = &mut state.members[index];
    let keys: &[&str] = if current {
        &["nick"]
    } else {
        &[
            "nick",
            "roles",
            "mute",
            "deaf",
            "communication_disabled_until",
            "flags",
        ]
    };
    for key in keys {
        if let Some(value) = body.get(*key) {
            member[*key] = value.clone();
        }
    }
    let member = member.clone();
    Ok(Reply::ok(member.clone()).emit(
        Some(guild_id),
        "GUILD_MEMBER_UPDATE",
        member_update(guild_id, &member),
    ))
}

/// `DELETE /guilds/{guild.id}/members/{user.id}` (kick): 204.
pub(crate) fn remove_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let user_id = ctx.params.id("user.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let index = member_index(state, user_id)?;
    let member = state.members.remove(index);
    state.presences.retain(|p| id_of(&p["user"]) != user_id);
    Ok(Reply::no_content().emit(
        Some(guild_id),
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": guild_id.to_string(), "user": member["user"]}),
    ))
}

/// `PUT`/`DELETE /guilds/{guild.id}/members/{user.id}/roles/{role.id}`: 204.
pub(crate) fn member_role(ctx: &mut Ctx<'_>, add: bool) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let user_id = ctx.params.id("user.id");
    let role_id = ctx.params.id("role.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let index = member_index(state, user_id)?;
    if role_id == guild_id || !state.roles.iter().any(|r| id_of(r) == role_id) {
        return Err(ApiError::unknown(JsonErrorCode::UnknownRole));
    }
    let member = &mut state.members[index];
    let mut roles: Vec<u64> = member["roles"]
        .as_array()
        .map(|r| r.iter().map(id_of).collect())
        .unwrap_or_default();
    let had = roles.contains(&role_id);
    if add && !had {
        roles.push(role_id);
    } else if !add && had {
        roles.retain(|r| *r != role_id);
    } else {
        return Ok(Reply::no_content());
    }
    member["roles"] = json!(roles.iter().map(u64::to_string).collect::<Vec<_>>());
    let update = member_update(guild_id, member);
    Ok(Reply::no_content().emit(Some(guild_id), "GUILD_MEMBER_UPDATE", update))
}

/// `GET /guilds/{guild.id}/bans`: `limit` ≤ 1000 (default 1000),
/// `before`/`after` user ids.
pub(crate) fn get_bans(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let limit = query_limit(ctx, "limit", 1000, 1, 1000)?;
    let before = query_id(ctx, "before")?;
    let after = query_id(ctx, "after")?;
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let in_range: Vec<&Value> = state
        .bans
        .iter()
        .filter(|(id, _)| after.is_none_or(|a| **id > a) && before.is_none_or(|b| **id < b))
        .map(|(_, ban)| ban)
        .collect();
    let page: Vec<Value> = if before.is_some() && after.is_none() {
        in_range[in_range.len().saturating_sub(limit)..]
            .iter()
            .map(|b| (*b).clone())
            .collect()
    } else {
        in_range.into_iter().take(limit).cloned().collect()
    };
    Ok(Reply::ok(Value::Array(page)))
}

/// `GET /guilds/{guild.id}/bans/{user.id}` (10026 when not banned).
pub(crate) fn get_ban(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    state
        .bans
        .get(&ctx.params.id("user.id"))
        .cloned()
        .map(Reply::ok)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownBan))
}

/// `PUT /guilds/{guild.id}/bans/{user.id}`: 204; a member is removed
/// (GUILD_BAN_ADD, then GUILD_MEMBER_REMOVE).
pub(crate) fn create_ban(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let user_id = ctx.params.id("user.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::range(
        &mut errors,
        body,
        "delete_message_seconds",
        0,
        MAX_BAN_DELETE_SECONDS,
    );
    errors.finish()?;
    let reason = ctx.audit_reason.clone();
    let mut world = ctx.world();
    let user = world
        .find_user(user_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownUser))?;
    let state = guild_mut(&mut world, guild_id)?;
    state
        .bans
        .insert(user_id, json!({"reason": reason, "user": user}));
    let mut reply = Reply::no_content().emit(
        Some(guild_id),
        "GUILD_BAN_ADD",
        json!({"guild_id": guild_id.to_string(), "user": user}),
    );
    if let Some(index) = state.member_index(user_id) {
        state.members.remove(index);
        state.presences.retain(|p| id_of(&p["user"]) != user_id);
        reply = reply.emit(
            Some(guild_id),
            "GUILD_MEMBER_REMOVE",
            json!({"guild_id": guild_id.to_string(), "user": user}),
        );
    }
    Ok(reply)
}

/// `DELETE /guilds/{guild.id}/bans/{user.id}`: 204.
pub(crate) fn remove_ban(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let ban = state
        .bans
        .remove(&ctx.params.id("user.id"))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownBan))?;
    Ok(Reply::no_content().emit(
        Some(guild_id),
        "GUILD_BAN_REMOVE",
        json!({"guild_id": guild_id.to_string(), "user": ban["user"]}),
    ))
}

/// `GET /guilds/{guild.id}/roles`.
pub(crate) fn get_roles(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    Ok(Reply::ok(Value::Array(state.roles.clone())))
}

/// `GET /guilds/{guild.id}/roles/{role.id}`.
pub(crate) fn get_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let role_id = ctx.params.id("role.id");
    state
        .roles
        .iter()
        .find(|r| id_of(r) == role_id)
        .cloned()
        .map(Reply::ok)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownRole))
}

fn apply_role_fields(role: &mut Value, body: &Value) {
    for key in [
        "name",
        "permissions",
        "color",
        "colors",
        "hoist",
        "mentionable",
        "icon",
        "unicode_emoji",
    ] {
        if let Some(value) = body.get(key).filter(|v| !v.is_null() || key == "icon") {
            role[key] = value.clone();
        }
    }
    if let Some(color) = body.get("color").and_then(Value::as_u64) {
        role["colors"]["primary_color"] = json!(color);
    }
}

fn validate_role(body: &Value) -> Result<(), ApiError> {
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "name", 0, 100);
    if let Some(p) = body.get("permissions").filter(|v| !v.is_null()) {
        if p.as_str().is_none_or(|s| s.parse::<u64>().is_err()) {
            errors.add(
                &["permissions"],
                "NUMBER_TYPE_COERCE",
                "Permissions must be a string of digits.",
            );
        }
    }
    errors.finish()
}

/// `POST /guilds/{guild.id}/roles`: 200 with the role; GUILD_ROLE_CREATE.
pub(crate) fn create_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    validate_role(body)?;
    let mut world = ctx.world();
    let id = world.next_id();
    let state = guild_mut(&mut world, guild_id)?;
    if state.roles.len() >= 250 {
        return Err(ApiError::code(
            JsonErrorCode::MaxGuildRoles,
            "Maximum number of server roles reached (250)",
        ));
    }
    let position = u32::try_from(state.roles.len()).unwrap_or(u32::MAX);
    let mut role = fixtures::role(id, "new role", position, 0);
    apply_role_fields(&mut role, body);
    state.roles.push(role.clone());
    Ok(Reply::ok(role.clone()).emit(
        Some(guild_id),
        "GUILD_ROLE_CREATE",
        json!({"guild_id": guild_id.to_string(), "role": role}),
    ))
}

/// `PATCH /guilds/{guild.id}/roles/{role.id}`: GUILD_ROLE_UPDATE.
pub(crate) fn modify_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let role_id = ctx.params.id("role.id");
    let body = ctx.json();
    validate_role(body)?;
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let role = state
        .roles
        .iter_mut()
        .find(|r| id_of(r) == role_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownRole))?;
    apply_role_fields(role, body);
    let role = role.clone();
    Ok(Reply::ok(role.clone()).emit(
        Some(guild_id),
        "GUILD_ROLE_UPDATE",
        json!({"guild_id": guild_id.to_string(), "role": role}),
    ))
}

/// `DELETE /guilds/{guild.id}/roles/{role.id}`: 204; the role leaves every
/// member; `@everyone` cannot be deleted (50028).
pub(crate) fn delete_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let role_id = ctx.params.id("role.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    if role_id == guild_id {
        return Err(ApiError::code(JsonErrorCode::InvalidRole, "Invalid Role"));
    }
    let index = state
        .roles
        .iter()
        .position(|r| id_of(r) == role_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownRole))?;
    state.roles.remove(index);
    let id = role_id.to_string();
    for member in &mut state.members {
        if let Some(roles) = member["roles"].as_array_mut() {
            roles.retain(|r| r.as_str() != Some(id.as_str()));
        }
    }
    Ok(Reply::no_content().emit(
        Some(guild_id),
        "GUILD_ROLE_DELETE",
        json!({"guild_id": guild_id.to_string(), "role_id": id}),
    ))
}
