//! Guild emojis (discord-protocol.md §8.9, §11.2; Discord's Emoji
//! resource): listed, read, created from an image data URI, renamed or
//! given roles, deleted. Every change sends GUILD_EMOJIS_UPDATE with the
//! guild's whole emoji list and goes to the audit log.
//!
//! The emojis live in the guild object's `emojis`, so GUILD_CREATE,
//! `GET /guilds/{id}` and the reaction routes see the same list.

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
use super::error::{ApiError, FormErrors};
use super::guilds::{guild_mut, guild_ref};
use super::{validate, Ctx, Event, Reply};
use crate::world::{id_of, GuildState, World};

/// The largest emoji image: 256 KiB (Discord's Create Guild Emoji).
const MAX_IMAGE_BYTES: usize = 256 * 1024;

/// Emoji slots per kind (static, animated) by the guild's `premium_tier`.
fn slots(premium_tier: u64) -> usize {
    match premium_tier {
        0 => 50,
        1 => 100,
        2 => 150,
        _ => 250,
    }
}

fn emojis(state: &GuildState) -> &[Value] {
    state.guild["emojis"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
}

fn unknown() -> ApiError {
    ApiError::unknown(JsonErrorCode::UnknownEmoji)
}

/// `GET /guilds/{guild.id}/emojis`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    Ok(Reply::ok(Value::Array(emojis(state).to_vec())))
}

/// `GET /guilds/{guild.id}/emojis/{emoji.id}` (10014 when unknown).
pub(crate) fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let state = guild_ref(&world, ctx.params.id("guild.id"))?;
    let emoji_id = ctx.params.id("emoji.id");
    emojis(state)
        .iter()
        .find(|e| id_of(&e["id"]) == emoji_id)
        .cloned()
        .map(Reply::ok)
        .ok_or_else(unknown)
}

/// Checks `name` (2-32 letters, digits, underscores) when present.
fn check_name(errors: &mut FormErrors, body: &Value) {
    validate::length(errors, body, "name", 2, 32);
    if let Some(name) = body["name"].as_str() {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            errors.add(
                &["name"],
                "STRING_TYPE_REGEX",
                "String value did not match validation regex.",
            );
        }
    }
}

/// Reads `roles` (absent → `None`, null → empty) and checks every id is a
/// role of the guild other than `@everyone`.
fn read_roles(
    errors: &mut FormErrors,
    state: &GuildState,
    guild_id: u64,
    body: &Value,
) -> Option<Vec<String>> {
    let value = body.get("roles")?;
    if value.is_null() {
        return Some(Vec::new());
    }
    let Some(list) = value.as_array() else {
        errors.add(&["roles"], "BASE_TYPE_ARRAY", "Must be an array.");
        return None;
    };
    let mut roles = Vec::new();
    for (i, role) in list.iter().enumerate() {
        let id = id_of(role);
        if id == 0 || id == guild_id || !state.roles.iter().any(|r| id_of(r) == id) {
            errors.add(&["roles", &i.to_string()], "ROLE_INVALID", "Unknown role.");
        } else if !roles.contains(&id.to_string()) {
            roles.push(id.to_string());
        }
    }
    Some(roles)
}

/// GUILD_EMOJIS_UPDATE `{guild_id, emojis}` and the audit-log entry.
fn changed(
    world: &mut World,
    guild_id: u64,
    entry: AuditEntry,
    reason: Option<&str>,
) -> Vec<Event> {
    let list = world
        .guilds
        .get(&guild_id)
        .map_or(Value::Null, |g| Value::Array(emojis(g).to_vec()));
    let update = Event {
        guild_id: Some(guild_id),
        name: "GUILD_EMOJIS_UPDATE",
        d: json!({"guild_id": guild_id.to_string(), "emojis": list}),
    };
    vec![update, audit_log::record(world, guild_id, entry, reason)]
}

fn with_events(mut reply: Reply, events: Vec<Event>) -> Reply {
    reply.events.extend(events);
    reply
}

/// `POST /guilds/{guild.id}/emojis` `{name, image, roles?}`: 201 with the
/// emoji (a GIF is animated); 30008 when the guild's slots for that kind
/// are full.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    if !body["name"].is_string() {
        errors.add(&["name"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    check_name(&mut errors, body);
    let image = match &body["image"] {
        Value::Null => {
            errors.add(&["image"], "BASE_TYPE_REQUIRED", "This field is required");
            None
        }
        value => match value.as_str().and_then(validate::image_data) {
            Some((_, size)) if size > MAX_IMAGE_BYTES => {
                errors.add(
                    &["image"],
                    "BINARY_TYPE_MAX_SIZE",
                    "File cannot be larger than 256.0 kb.",
                );
                None
            }
            Some((subtype, _)) => Some(subtype),
            None => {
                errors.add(&["image"], "IMAGE_INVALID", "Invalid image data");
                None
            }
        },
    };
    let mut world = ctx.world();
    let bot_user = world.bot_public_user();
    let id = world.next_id();
    let state = guild_mut(&mut world, guild_id)?;
    let roles = read_roles(&mut errors, state, guild_id, body).unwrap_or_default();
    errors.finish()?;
    let animated = image == Some("gif");
    let same_kind = emojis(state)
        .iter()
        .filter(|e| e["animated"].as_bool().unwrap_or(false) == animated)
        .count();
    let max = slots(state.guild["premium_tier"].as_u64().unwrap_or(0));
    if same_kind >= max {
        return Err(ApiError::code(
            JsonErrorCode::MaxEmojis,
            &format!("Maximum number of emojis reached ({max})"),
        ));
    }
    let emoji = json!({
        "id": id.to_string(),
        "name": body["name"],
        "roles": roles,
        "user": bot_user,
        "require_colons": true,
        "managed": false,
        "animated": animated,
        "available": true,
    });
    match state.guild["emojis"].as_array_mut() {
        Some(list) => list.push(emoji.clone()),
        None => state.guild["emojis"] = json!([emoji.clone()]),
    }
    let entry = AuditEntry::new(AuditAction::EmojiCreate, id).diff(&Value::Null, &emoji, &["name"]);
    let events = changed(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(with_events(Reply::json(201, emoji), events))
}

/// `PATCH /guilds/{guild.id}/emojis/{emoji.id}` `{name?, roles?}`: 200
/// with the emoji.
pub(crate) fn modify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let emoji_id = ctx.params.id("emoji.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    check_name(&mut errors, body);
    if !body.is_object() && !body.is_null() {
        errors.add(
            &[],
            "BASE_TYPE_OBJECT",
            "The request body must be an object.",
        );
    }
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let roles = read_roles(&mut errors, state, guild_id, body);
    errors.finish()?;
    let emoji = state.guild["emojis"]
        .as_array_mut()
        .and_then(|list| list.iter_mut().find(|e| id_of(&e["id"]) == emoji_id))
        .ok_or_else(unknown)?;
    let before = emoji.clone();
    if let Some(name) = body.get("name").filter(|n| n.is_string()) {
        emoji["name"] = name.clone();
    }
    if let Some(roles) = roles {
        emoji["roles"] = json!(roles);
    }
    let emoji = emoji.clone();
    let entry =
        AuditEntry::new(AuditAction::EmojiUpdate, emoji_id).diff(&before, &emoji, &["name"]);
    let events = changed(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(with_events(Reply::ok(emoji), events))
}

/// `DELETE /guilds/{guild.id}/emojis/{emoji.id}`: 204.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let emoji_id = ctx.params.id("emoji.id");
    let mut world = ctx.world();
    let state = guild_mut(&mut world, guild_id)?;
    let list = state.guild["emojis"].as_array_mut().ok_or_else(unknown)?;
    let index = list
        .iter()
        .position(|e| id_of(&e["id"]) == emoji_id)
        .ok_or_else(unknown)?;
    let emoji = list.remove(index);
    let entry =
        AuditEntry::new(AuditAction::EmojiDelete, emoji_id).diff(&emoji, &Value::Null, &["name"]);
    let events = changed(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(with_events(Reply::no_content(), events))
}
