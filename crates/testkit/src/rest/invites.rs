//! Invites (discord-protocol.md §11.3; Discord's Invite resource): created
//! and listed per channel, read and deleted by code.
//!
//! The fake keeps each invite with its metadata (`uses`, `max_uses`,
//! `max_age`, `temporary`, `created_at`), which the channel's list shows;
//! `GET` and `DELETE /invites/{code}` answer the invite object alone. An
//! invite past its `expires_at` is gone (404 / 10006).

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
use super::channels::{channel_of, dm_refused, unix_ms};
use super::error::{ApiError, FormErrors};
use super::{validate, Ctx, Reply};
use crate::fixtures;
use crate::world::{GuildState, World};

/// The invite metadata fields (Discord's Invite Metadata object).
const METADATA: [&str; 5] = ["uses", "max_uses", "max_age", "temporary", "created_at"];

/// The partial guild an invite carries.
fn partial_guild(state: &GuildState) -> Value {
    let mut guild = json!({});
    for key in [
        "id",
        "name",
        "splash",
        "banner",
        "description",
        "icon",
        "features",
        "verification_level",
        "vanity_url_code",
        "nsfw_level",
        "premium_subscription_count",
    ] {
        guild[key] = state.guild[key].clone();
    }
    guild
}

/// `GET /channels/{channel.id}/invites`: the invites with their metadata.
pub(crate) fn get_channel_invites(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let now = unix_ms();
    let world = ctx.world();
    channel_of(&world, channel_id)?;
    let list: Vec<Value> = world
        .invites
        .get(&channel_id)
        .map(|l| l.iter().filter(|i| !expired(i, now)).cloned().collect())
        .unwrap_or_default();
    Ok(Reply::ok(Value::Array(list)))
}

/// `POST /channels/{channel.id}/invites` `{max_age (0-604800, default
/// 86400), max_uses (0-100), temporary, unique}`: the invite with its
/// metadata; INVITE_CREATE; audit log INVITE_CREATE.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::range(&mut errors, body, "max_age", 0, 604_800);
    validate::range(&mut errors, body, "max_uses", 0, 100);
    errors.finish()?;
    let mut world = ctx.world();
    let (guild_id, channel) = channel_of(&world, channel_id)?;
    let Some(guild_id) = guild_id else {
        return Err(dm_refused());
    };
    let id = world.next_id();
    let code: String = format!("{id:x}").chars().rev().take(8).collect();
    let guild = world
        .guilds
        .get(&guild_id)
        .map_or(Value::Null, partial_guild);
    let max_age = body["max_age"].as_u64().unwrap_or(86_400);
    let now = unix_ms();
    let expires = (max_age > 0).then(|| fixtures::iso8601(now + max_age * 1000));
    let invite = json!({
        "type": 0,
        "code": code,
        "guild": guild,
        "channel": {"id": channel["id"], "name": channel["name"], "type": channel["type"]},
        "inviter": world.bot_public_user(),
        "expires_at": expires,
        "uses": 0,
        "max_uses": body["max_uses"].as_u64().unwrap_or(0),
        "max_age": max_age,
        "temporary": body["temporary"].as_bool().unwrap_or(false),
        "created_at": fixtures::iso8601(now),
    });
    world
        .invites
        .entry(channel_id)
        .or_default()
        .push(invite.clone());
    let d = json!({
        "channel_id": channel_id.to_string(),
        "guild_id": guild_id.to_string(),
        "code": invite["code"],
        "created_at": invite["created_at"],
        "inviter": invite["inviter"],
        "max_age": max_age,
        "max_uses": invite["max_uses"],
        "temporary": invite["temporary"],
        "uses": 0,
        "expires_at": invite["expires_at"],
    });
    let entry = audit_entry(AuditAction::InviteCreate, &invite, channel_id, true);
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(invite)
        .emit(Some(guild_id), "INVITE_CREATE", d)
        .push(logged))
}

/// An INVITE_CREATE / INVITE_DELETE audit entry: no target, the invite's
/// fields as changes, `channel_id` and `inviter_id` instead of the objects.
fn audit_entry(action: AuditAction, invite: &Value, channel_id: u64, created: bool) -> AuditEntry {
    let fields = json!({
        "code": invite["code"],
        "channel_id": channel_id.to_string(),
        "inviter_id": invite["inviter"]["id"],
        "uses": invite["uses"],
        "max_uses": invite["max_uses"],
        "max_age": invite["max_age"],
        "temporary": invite["temporary"],
        "flags": 0,
    });
    let keys = [
        "code",
        "channel_id",
        "inviter_id",
        "uses",
        "max_uses",
        "max_age",
        "temporary",
        "flags",
    ];
    let entry = AuditEntry::new(action, 0);
    if created {
        entry.diff(&Value::Null, &fields, &keys)
    } else {
        entry.diff(&fields, &Value::Null, &keys)
    }
}

fn expired(invite: &Value, now_ms: u64) -> bool {
    invite["expires_at"]
        .as_str()
        .and_then(fixtures::parse_iso8601)
        .is_some_and(|at| at <= now_ms)
}

/// The channel and index of a live invite by code.
fn find(world: &World, code: &str, now_ms: u64) -> Result<(u64, usize), ApiError> {
    world
        .invites
        .iter()
        .find_map(|(channel_id, list)| {
            list.iter()
                .position(|i| i["code"].as_str() == Some(code) && !expired(i, now_ms))
                .map(|index| (*channel_id, index))
        })
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownInvite))
}

/// The invite object without its metadata.
fn invite_object(invite: &Value) -> Value {
    let mut invite = invite.clone();
    if let Some(obj) = invite.as_object_mut() {
        for key in METADATA {
            obj.remove(key);
        }
    }
    invite
}

/// `GET /invites/{invite.code}` (`with_counts` adds
/// `approximate_member_count` and `approximate_presence_count`).
pub(crate) fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let with_counts = ctx.query_bool("with_counts");
    let world = ctx.world();
    let (channel_id, index) = find(&world, ctx.params.raw("invite.code"), unix_ms())?;
    let stored = world
        .invites
        .get(&channel_id)
        .and_then(|l| l.get(index))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownInvite))?;
    let mut invite = invite_object(stored);
    if with_counts {
        let guild = world
            .find_channel(channel_id)
            .and_then(|(g, _)| world.guilds.get(&g));
        if let Some(guild) = guild {
            invite["approximate_member_count"] = json!(guild.members.len());
            invite["approximate_presence_count"] = json!(guild.presences.len());
        }
    }
    Ok(Reply::ok(invite))
}

/// `DELETE /invites/{invite.code}`: 200 with the invite object;
/// INVITE_DELETE; audit log INVITE_DELETE.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (channel_id, index) = find(&world, ctx.params.raw("invite.code"), unix_ms())?;
    let stored = world
        .invites
        .get_mut(&channel_id)
        .filter(|l| index < l.len())
        .map(|l| l.remove(index))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownInvite))?;
    let guild_id = world.find_channel(channel_id).map(|(g, _)| g);
    let mut d = json!({"channel_id": channel_id.to_string(), "code": stored["code"]});
    if let Some(guild_id) = guild_id {
        d["guild_id"] = json!(guild_id.to_string());
    }
    let mut reply = Reply::ok(invite_object(&stored)).emit(guild_id, "INVITE_DELETE", d);
    if let Some(guild_id) = guild_id {
        let entry = audit_entry(AuditAction::InviteDelete, &stored, channel_id, false);
        let reason = ctx.audit_reason.as_deref();
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
}
