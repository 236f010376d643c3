//! Guilds, channels of a guild, members, bans and roles (discord-protocol.md
//! §11.2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
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

pub(crate) fn guild_ref(world: &World, guild_id: u64) -> Result<&GuildState, ApiError> {
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
    let before = state.guild.clone();
    for key in GUILD_SETTINGS {
        if let Some(value) = body.get(key) {
            state.guild[key] = value.clone();
        }
    }
    let after = state.guild.clone();
    let guild = state.guild_object();
    let entry =
        AuditEntry::new(AuditAction::GuildUpdate, guild_id).diff(&before, &after, &GUILD_SETTINGS);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(guild.clone())
        .emit(Some(guild_id), "GUILD_UPDATE", guild)
        .push(logged))
}

/// The guild fields Modify Guild sets.
const GUILD_SETTINGS: [&str; 15] = [
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
];

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
    let entry = AuditEntry::new(AuditAction::ChannelCreate, id).diff(
        &Value::Null,
        &channel,
        &CHANNEL_AUDIT_KEYS,
    );
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(channel.clone())
        .emit(Some(guild_id), "CHANNEL_CREATE", channel)
        .push(logged))
}

/// The channel fields an audit-log entry lists as changes.
pub(crate) const CHANNEL_AUDIT_KEYS: [&str; 10] = [
    "name",
    "type",
    "topic",
    "nsfw",
    "position",
    "rate_limit_per_user",
    "parent_id",
    "permission_overwrites",
    "bitrate",
    "user_limit",
];

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
        let entry = AuditEntry::new(AuditAction::MemberBanAdd, user_id).target_user(&user);
        reply = reply.push(audit_log::record(
            &mut world,
            guild_id,
            entry,
            reason.as_deref(),
        ));
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
    let before = member.clone();
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
    let roles_entry = role_update_entry(state, &before, &member);
    let mut reply = Reply::ok(member.clone()).emit(
        Some(guild_id),
        "GUILD_MEMBER_UPDATE",
        member_update(guild_id, &member),
    );
    let reason = ctx.audit_reason.as_deref();
    let entry = AuditEntry::new(AuditAction::MemberUpdate, user_id)
        .target_user(&member["user"])
        .diff(
            &before,
            &member,
            &["nick", "mute", "deaf", "communication_disabled_until"],
        );
    if entry.has_changes() {
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    if let Some(entry) = roles_entry {
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
}

/// The MEMBER_ROLE_UPDATE entry for a member whose roles went from
/// `before` to `after` (`$add` / `$remove` with `{id, name}` of each role),
/// if they changed.
fn role_update_entry(state: &GuildState, before: &Value, after: &Value) -> Option<AuditEntry> {
    let ids = |member: &Value| -> Vec<u64> {
        member["roles"]
            .as_array()
            .map(|r| r.iter().map(id_of).collect())
            .unwrap_or_default()
    };
    let (old, new) = (ids(before), ids(after));
    let partial = |list: Vec<u64>| -> Value {
        let roles: Vec<Value> = list
            .into_iter()
            .map(|id| {
                let name = state
                    .roles
                    .iter()
                    .find(|r| id_of(r) == id)
                    .map_or(Value::Null, |r| r["name"].clone());
                json!({"id": id.to_string(), "name": name})
            })
            .collect();
        if roles.is_empty() {
            Value::Null
        } else {
            Value::Array(roles)
        }
    };
    let added = partial(new.iter().copied().filter(|r| !old.contains(r)).collect());
    let removed = partial(old.iter().copied().filter(|r| !new.contains(r)).collect());
    if added.is_null() && removed.is_null() {
        return None;
    }
    let user = &after["user"];
    Some(
        AuditEntry::new(AuditAction::MemberRoleUpdate, id_of(user))
            .target_user(user)
            .change("$add", &Value::Null, &added)
            .change("$remove", &Value::Null, &removed),
    )
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
    let entry = AuditEntry::new(AuditAction::MemberKick, user_id).target_user(&member["user"]);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(
            Some(guild_id),
            "GUILD_MEMBER_REMOVE",
            json!({"guild_id": guild_id.to_string(), "user": member["user"]}),
        )
        .push(logged))
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
    let before = member.clone();
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
    let after = member.clone();
    let update = member_update(guild_id, &after);
    let entry = role_update_entry(state, &before, &after);
    let mut reply = Reply::no_content().emit(Some(guild_id), "GUILD_MEMBER_UPDATE", update);
    if let Some(entry) = entry {
        let reason = ctx.audit_reason.as_deref();
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
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
    let entry = AuditEntry::new(AuditAction::MemberBanAdd, user_id).target_user(&user);
    Ok(reply.push(audit_log::record(
        &mut world,
        guild_id,
        entry,
        reason.as_deref(),
    )))
}

/// `DELETE /guilds/{guild.id}/bans/{user.id}`: 204.
pub(crate) fn remove_ban(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let user_id = ctx.params.id("user.id");
    let ban = state
        .bans
        .remove(&user_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownBan))?;
    let entry = AuditEntry::new(AuditAction::MemberBanRemove, user_id).target_user(&ban["user"]);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(
            Some(guild_id),
            "GUILD_BAN_REMOVE",
            json!({"guild_id": guild_id.to_string(), "user": ban["user"]}),
        )
        .push(logged))
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
    let entry =
        AuditEntry::new(AuditAction::RoleCreate, id).diff(&Value::Null, &role, &ROLE_AUDIT_KEYS);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(role.clone())
        .emit(
            Some(guild_id),
            "GUILD_ROLE_CREATE",
            json!({"guild_id": guild_id.to_string(), "role": role}),
        )
        .push(logged))
}

/// The role fields an audit-log entry lists as changes.
const ROLE_AUDIT_KEYS: [&str; 8] = [
    "name",
    "permissions",
    "color",
    "colors",
    "hoist",
    "mentionable",
    "icon",
    "unicode_emoji",
];

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
    let before = role.clone();
    apply_role_fields(role, body);
    let role = role.clone();
    let entry =
        AuditEntry::new(AuditAction::RoleUpdate, role_id).diff(&before, &role, &ROLE_AUDIT_KEYS);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(role.clone())
        .emit(
            Some(guild_id),
            "GUILD_ROLE_UPDATE",
            json!({"guild_id": guild_id.to_string(), "role": role}),
        )
        .push(logged))
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
    let role = state.roles.remove(index);
    let id = role_id.to_string();
    for member in &mut state.members {
        if let Some(roles) = member["roles"].as_array_mut() {
            roles.retain(|r| r.as_str() != Some(id.as_str()));
        }
    }
    let entry = AuditEntry::new(AuditAction::RoleDelete, role_id).diff(
        &role,
        &Value::Null,
        &ROLE_AUDIT_KEYS,
    );
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(
            Some(guild_id),
            "GUILD_ROLE_DELETE",
            json!({"guild_id": guild_id.to_string(), "role_id": id}),
        )
        .push(logged))
}

/// `PATCH /guilds/{guild.id}/roles` `[{id, position?}]`: moves each listed
/// role to its position (the others keep their order around it); 200 with
/// every role of the guild; GUILD_ROLE_UPDATE for each role whose position
/// changed. `@everyone` stays at 0 and cannot be moved.
pub(crate) fn modify_role_positions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let Some(moves) = ctx.json().as_array() else {
        return Err(ApiError::field(&[], "BASE_TYPE_ARRAY", "Must be an array."));
    };
    let mut errors = FormErrors::default();
    let mut targets: Vec<(u64, Option<u64>)> = Vec::with_capacity(moves.len());
    for (i, entry) in moves.iter().enumerate() {
        let index = i.to_string();
        let id = id_of(&entry["id"]);
        if id == 0 {
            errors.add(
                &[&index, "id"],
                "BASE_TYPE_REQUIRED",
                "This field is required",
            );
        }
        let position = match &entry["position"] {
            Value::Null => None,
            value => match value.as_u64() {
                Some(p) => Some(p),
                None => {
                    errors.add(
                        &[&index, "position"],
                        "NUMBER_TYPE_COERCE",
                        "Must be a non-negative integer.",
                    );
                    None
                }
            },
        };
        targets.push((id, position));
    }
    errors.finish()?;
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let mut errors = FormErrors::default();
    for (i, (id, _)) in targets.iter().enumerate() {
        if *id == guild_id {
            errors.add(
                &[&i.to_string(), "id"],
                "ROLE_INVALID",
                "The @everyone role cannot be moved.",
            );
        } else if !state.roles.iter().any(|r| id_of(r) == *id) {
            errors.add(&[&i.to_string(), "id"], "ROLE_INVALID", "Unknown role.");
        }
    }
    errors.finish()?;
    // The other roles in their current order (by position, then id), then
    // each moved role inserted where it asked to be, lowest target first.
    let position_of = |r: &Value| (r["position"].as_u64().unwrap_or(0), id_of(r));
    let mut order: Vec<(u64, u64)> = state
        .roles
        .iter()
        .filter(|r| id_of(r) != guild_id)
        .map(position_of)
        .collect();
    order.sort_unstable();
    let mut order: Vec<u64> = order.into_iter().map(|(_, id)| id).collect();
    let mut moved: Vec<(u64, u64)> = targets
        .iter()
        .filter_map(|(id, position)| position.map(|p| (p, *id)))
        .collect();
    moved.sort_unstable();
    moved.dedup_by_key(|(_, id)| *id);
    order.retain(|id| !moved.iter().any(|(_, m)| m == id));
    for (position, id) in &moved {
        let index = usize::try_from(position.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(order.len());
        order.insert(index, *id);
    }
    let mut updated = Vec::new();
    for role in &mut state.roles {
        let id = id_of(role);
        let position = order
            .iter()
            .position(|o| *o == id)
            .map_or(0, |index| index + 1);
        if role["position"].as_u64() != u64::try_from(position).ok() {
            let before = role["position"].clone();
            role["position"] = json!(position);
            updated.push((id, before, role.clone()));
        }
    }
    state.roles.sort_by_key(|r| position_of(r));
    let roles = state.roles.clone();
    let mut reply = Reply::ok(Value::Array(roles));
    let reason = ctx.audit_reason.as_deref();
    for (id, before, role) in updated {
        let entry = AuditEntry::new(AuditAction::RoleUpdate, id).change(
            "position",
            &before,
            &role["position"],
        );
        reply = reply
            .emit(
                Some(guild_id),
                "GUILD_ROLE_UPDATE",
                json!({"guild_id": guild_id.to_string(), "role": role}),
            )
            .push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
}
