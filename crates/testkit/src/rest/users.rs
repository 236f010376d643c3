//! Gateway discovery and users (discord-protocol.md §3.1, §11.1).

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::error::{ApiError, FormErrors};
use super::{validate, Ctx, Reply};
use crate::world::id_of;

/// `GET /gateway`: `{url}`.
pub(crate) fn get_gateway(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(json!({"url": ctx.shared.gateway_url})))
}

/// `GET /gateway/bot`: url, shards and `session_start_limit` from the
/// config; `remaining` and `reset_after` come from the gateway's own
/// bookkeeping, which counts only IDENTIFYs that started a session.
pub(crate) fn get_gateway_bot(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let config = &ctx.shared.config;
    let (remaining, reset_after) = ctx.shared.gateway.session_start_remaining();
    let reset_after = u64::try_from(reset_after.as_millis()).unwrap_or(u64::MAX);
    Ok(Reply::ok(json!({
        "url": ctx.shared.gateway_url,
        "shards": config.shards,
        "session_start_limit": {
            "total": config.session_start_total,
            "remaining": remaining,
            "reset_after": reset_after,
            "max_concurrency": config.max_concurrency,
        },
    })))
}

/// `GET /users/@me`.
pub(crate) fn get_current_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    // The same object READY carries (fixtures::bot_user has the
    // current-user-only fields).
    Ok(Reply::ok(ctx.world().bot_user.clone()))
}

/// `PATCH /users/@me`: `username` (2-32) and `avatar`.
pub(crate) fn modify_current_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "username", 2, 32);
    errors.finish()?;
    let mut world = ctx.world();
    if let Some(name) = body["username"].as_str() {
        world.bot_user["username"] = json!(name);
    }
    if body.get("avatar").is_some() {
        // The fake keeps no images: a data URI becomes a stable fake hash.
        let hash = body["avatar"]
            .as_str()
            .map(|data| format!("{:032x}", data.len()));
        world.bot_user["avatar"] = json!(hash);
    }
    let user = world.bot_user.clone();
    Ok(Reply::ok(user.clone()).emit(None, "USER_UPDATE", user))
}

/// `GET /users/{user.id}`: the bot or any member of a fixture guild.
pub(crate) fn get_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let user_id = ctx.params.id("user.id");
    ctx.world()
        .find_user(user_id)
        .map(Reply::ok)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownUser))
}

/// `GET /applications/@me` and `GET /oauth2/applications/@me`: the bot's
/// own application, with every field Discord sends for it (the
/// application object in Discord's docs; §8.14). `owner` is documented
/// as optional but only first-party applications lack it, and discord.py
/// reads it at login; `summary` is deprecated and always `""`; `flags`
/// has the privileged-intent bits READY's `application.flags` has;
/// `rpc_origins` is left out (sent only when RPC is enabled).
pub(crate) fn get_current_application(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let flags = crate::config::application_flags(ctx.shared.config.privileged_intents);
    let world = ctx.world();
    Ok(Reply::ok(json!({
        "id": world.application_id.to_string(),
        "name": world.bot_user["username"],
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "bot_public": true,
        "bot_require_code_grant": false,
        "bot": world.bot_public_user(),
        "owner": world.app_owner,
        "verify_key": VERIFY_KEY,
        "team": null,
        "flags": flags,
        "approximate_guild_count": world.guilds.len(),
        "approximate_user_install_count": 0,
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "redirect_uris": [],
        "tags": [],
        "integration_types_config": {"0": {}},
    })))
}

/// The application's `verify_key`: a hex-encoded Ed25519 public key (64
/// hex digits). The fake signs nothing, so any well-formed key will do.
const VERIFY_KEY: &str = "9a0b5c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091";

/// Parses an optional snowflake query parameter.
pub(crate) fn query_id(ctx: &Ctx<'_>, key: &str) -> Result<Option<u64>, ApiError> {
    match ctx.query(key) {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| {
            ApiError::field(
                &[key],
                "NUMBER_TYPE_COERCE",
                &format!("Value \"{value}\" is not snowflake."),
            )
        }),
    }
}

/// Parses an optional integer query parameter within `min..=max`.
pub(crate) fn query_limit(
    ctx: &Ctx<'_>,
    key: &str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match ctx.query(key) {
        None => Ok(default),
        Some(value) => match value.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(_) => Err(ApiError::field(
                &[key],
                if value.parse::<usize>().is_ok_and(|n| n < min) {
                    "NUMBER_TYPE_MIN"
                } else {
                    "NUMBER_TYPE_MAX"
                },
                &format!("Int value should be between {min} and {max}."),
            )),
            Err(_) => Err(ApiError::field(
                &[key],
                "NUMBER_TYPE_COERCE",
                &format!("Value \"{value}\" is not int."),
            )),
        },
    }
}

/// `GET /users/@me/guilds`: partial guilds sorted by id, `before`/`after`
/// and `limit` 1-200 (default 200), `with_counts`.
pub(crate) fn get_current_user_guilds(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let before = query_id(ctx, "before")?;
    let after = query_id(ctx, "after")?;
    let limit = query_limit(ctx, "limit", 200, 1, 200)?;
    let with_counts = ctx.query_bool("with_counts");
    let world = ctx.world();
    let bot_id = world.bot_user_id();
    let range: Vec<&u64> = world
        .guilds
        .keys()
        .filter(|id| after.is_none_or(|a| **id > a))
        .filter(|id| before.is_none_or(|b| **id < b))
        .collect();
    // With only `before`, the page is the one closest to `before`.
    let page: Vec<&u64> = if before.is_some() && after.is_none() {
        range[range.len().saturating_sub(limit)..].to_vec()
    } else {
        range.into_iter().take(limit).collect()
    };
    let list: Vec<Value> = page
        .into_iter()
        .filter_map(|id| world.guilds.get(id))
        .map(|state| {
            let g = &state.guild;
            let mut partial = json!({
                "id": g["id"],
                "name": g["name"],
                "icon": g["icon"],
                "banner": g["banner"],
                "owner": id_of(&g["owner_id"]) == bot_id,
                "permissions": state.roles.first().map_or(json!("0"), |r| r["permissions"].clone()),
                "features": g["features"],
            });
            if with_counts {
                partial["approximate_member_count"] = json!(state.members.len());
                partial["approximate_presence_count"] = json!(state.presences.len());
            }
            partial
        })
        .collect();
    Ok(Reply::ok(Value::Array(list)))
}

/// `DELETE /users/@me/guilds/{guild.id}`: 204; the guild is gone and a
/// GUILD_DELETE without `unavailable` (= removed, §8.2) is dispatched.
pub(crate) fn leave_guild(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let mut world = ctx.world();
    let Some(state) = world.guilds.remove(&guild_id) else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownGuild));
    };
    for channel in &state.channels {
        world.messages.remove(&id_of(channel));
    }
    world
        .commands
        .retain(|_, command| id_of(&command["guild_id"]) != guild_id);
    Ok(Reply::no_content().emit(
        Some(guild_id),
        "GUILD_DELETE",
        json!({"id": guild_id.to_string()}),
    ))
}

/// `POST /users/@me/channels` `{recipient_id}`: the DM channel (type 1)
/// with a known user; the same channel every time.
pub(crate) fn create_dm(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let recipient = &ctx.json()["recipient_id"];
    if recipient.is_null() {
        return Err(ApiError::field(
            &["recipient_id"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    }
    let user_id = id_of(recipient);
    let mut world = ctx.world();
    if user_id == world.bot_user_id() {
        return Err(ApiError::code(
            JsonErrorCode::InvalidRecipients,
            "Invalid Recipient(s)",
        ));
    }
    let user = world
        .find_user(user_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownUser))?;
    if let Some(channel) = world
        .dm_by_user
        .get(&user_id)
        .and_then(|id| world.dm_channels.get(id))
    {
        return Ok(Reply::ok(channel.clone()));
    }
    let id = world.next_id();
    let channel = json!({
        "id": id.to_string(),
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [user],
    });
    world.dm_channels.insert(id, channel.clone());
    world.dm_by_user.insert(user_id, id);
    Ok(Reply::ok(channel))
}
