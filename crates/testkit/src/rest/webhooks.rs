//! Channel webhooks (discord-protocol.md §11.4): created by the bot,
//! executed with their token (no Authorization), their messages fetched,
//! edited and deleted. The `/webhooks/{id}/{token}` routes of the
//! application's own id are interaction follow-ups (interactions.rs).

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
use super::channels::{build_message, edit_stored, message_event, post_message, Draft};
use super::error::{ApiError, FormErrors};
use super::threads::{is_archived, is_thread};
use super::users::query_id;
use super::validate::{self, MessageUse};
use super::{Ctx, Reply};
use crate::world::{id_of, World};

/// Webhooks per channel (§1.8: 30007).
const MAX_PER_CHANNEL: usize = 15;
/// SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2 (§11.4).
const EXECUTE_FLAGS: u64 = 4 | 4096 | 32768;

fn unknown() -> ApiError {
    ApiError::unknown(JsonErrorCode::UnknownWebhook)
}

/// The webhook of a route, checking the token when the route has one.
fn webhook(ctx: &Ctx<'_>, world: &World) -> Result<Value, ApiError> {
    let id = ctx
        .params
        .id("application.id")
        .max(ctx.params.id("webhook.id"));
    let webhook = world.webhooks.get(&id).cloned().ok_or_else(unknown)?;
    if ctx.params.has("interaction.token")
        && webhook["token"].as_str() != Some(ctx.params.raw("interaction.token"))
    {
        return Err(ApiError::code(
            JsonErrorCode::InvalidWebhookToken,
            "Invalid Webhook Token",
        ));
    }
    Ok(webhook)
}

/// What a caller sees: with the token route, no `user`.
fn shown(ctx: &Ctx<'_>, webhook: Value) -> Value {
    let mut webhook = webhook;
    if ctx.params.has("interaction.token") {
        if let Some(obj) = webhook.as_object_mut() {
            obj.remove("user");
        }
    }
    webhook
}

fn updated(webhook: &Value) -> (Option<u64>, Value) {
    let guild_id = id_of(&webhook["guild_id"]);
    (
        Some(guild_id),
        json!({"guild_id": webhook["guild_id"], "channel_id": webhook["channel_id"]}),
    )
}

/// `POST /channels/{channel.id}/webhooks` `{name (1-80), avatar?}`.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    if !body["name"].is_string() {
        errors.add(&["name"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    validate::length(&mut errors, body, "name", 1, 80);
    errors.finish()?;
    let mut world = ctx.world();
    let (guild_id, _) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let in_channel = world
        .webhooks
        .values()
        .filter(|w| id_of(&w["channel_id"]) == channel_id)
        .count();
    if in_channel >= MAX_PER_CHANNEL {
        return Err(ApiError::code(
            JsonErrorCode::MaxWebhooks,
            "Maximum number of webhooks reached (15)",
        ));
    }
    let id = world.next_id();
    let token = format!("fake-webhook-token-{id:x}");
    let webhook = json!({
        "id": id.to_string(),
        "type": 1,
        "guild_id": guild_id.to_string(),
        "channel_id": channel_id.to_string(),
        "user": world.bot_public_user(),
        "name": body["name"],
        "avatar": null,
        "token": token,
        "application_id": null,
    });
    world.webhooks.insert(id, webhook.clone());
    let (guild, d) = updated(&webhook);
    let entry = AuditEntry::new(AuditAction::WebhookCreate, id).diff(
        &Value::Null,
        &audited(&webhook),
        &WEBHOOK_AUDIT_KEYS,
    );
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(webhook)
        .emit(guild, "WEBHOOKS_UPDATE", d)
        .push(logged))
}

/// The webhook fields an audit-log entry lists (`avatar_hash` stands for
/// `avatar`, as Discord documents).
const WEBHOOK_AUDIT_KEYS: [&str; 4] = ["name", "type", "channel_id", "avatar_hash"];

fn audited(webhook: &Value) -> Value {
    let mut fields = webhook.clone();
    fields["avatar_hash"] = webhook["avatar"].clone();
    fields
}

/// Records a webhook change made with the bot's token (changes made with
/// the webhook's own token carry no user, and the fake logs none).
fn log_change(
    ctx: &Ctx<'_>,
    world: &mut World,
    action: AuditAction,
    before: &Value,
    after: &Value,
) -> Option<super::Event> {
    if ctx.params.has("interaction.token") {
        return None;
    }
    let guild_id = id_of(&before["guild_id"]);
    let entry = AuditEntry::new(action, id_of(before)).diff(
        &audited(before),
        &if after.is_null() {
            Value::Null
        } else {
            audited(after)
        },
        &WEBHOOK_AUDIT_KEYS,
    );
    Some(audit_log::record(
        world,
        guild_id,
        entry,
        ctx.audit_reason.as_deref(),
    ))
}

/// `GET /channels/{channel.id}/webhooks` and `GET /guilds/{guild.id}/webhooks`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let list: Vec<Value> = if ctx.params.has("channel.id") {
        let channel_id = ctx.params.id("channel.id");
        world
            .find_channel(channel_id)
            .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
        world
            .webhooks
            .values()
            .filter(|w| id_of(&w["channel_id"]) == channel_id)
            .cloned()
            .collect()
    } else {
        let guild_id = ctx.params.id("guild.id");
        if !world.guilds.contains_key(&guild_id) {
            return Err(ApiError::unknown(JsonErrorCode::UnknownGuild));
        }
        world
            .webhooks
            .values()
            .filter(|w| id_of(&w["guild_id"]) == guild_id)
            .cloned()
            .collect()
    };
    Ok(Reply::ok(Value::Array(list)))
}

/// `GET /webhooks/{webhook.id}[/{webhook.token}]`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    Ok(Reply::ok(shown(ctx, webhook)))
}

/// `PATCH /webhooks/{webhook.id}[/{webhook.token}]`: `name`, `avatar`, and
/// (bot only) `channel_id`; WEBHOOKS_UPDATE.
pub(crate) fn modify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "name", 1, 80);
    errors.finish()?;
    let mut world = ctx.world();
    let mut webhook = webhook(ctx, &world)?;
    let before = webhook.clone();
    for key in ["name", "avatar"] {
        if let Some(value) = body.get(key) {
            webhook[key] = value.clone();
        }
    }
    if let Some(channel) = body
        .get("channel_id")
        .filter(|_| !ctx.params.has("interaction.token"))
    {
        let channel_id = id_of(channel);
        let same_guild = world
            .find_channel(channel_id)
            .is_some_and(|(g, _)| g == id_of(&webhook["guild_id"]));
        if !same_guild {
            return Err(ApiError::unknown(JsonErrorCode::UnknownChannel));
        }
        webhook["channel_id"] = json!(channel_id.to_string());
    }
    world.webhooks.insert(id_of(&webhook), webhook.clone());
    let (guild, d) = updated(&webhook);
    let logged = log_change(
        ctx,
        &mut world,
        AuditAction::WebhookUpdate,
        &before,
        &webhook,
    );
    let mut reply = Reply::ok(shown(ctx, webhook)).emit(guild, "WEBHOOKS_UPDATE", d);
    if let Some(logged) = logged {
        reply = reply.push(logged);
    }
    Ok(reply)
}

/// `DELETE /webhooks/{webhook.id}[/{webhook.token}]`: 204.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    world.webhooks.remove(&id_of(&webhook));
    let (guild, d) = updated(&webhook);
    let logged = log_change(
        ctx,
        &mut world,
        AuditAction::WebhookDelete,
        &webhook,
        &Value::Null,
    );
    let mut reply = Reply::no_content().emit(guild, "WEBHOOKS_UPDATE", d);
    if let Some(logged) = logged {
        reply = reply.push(logged);
    }
    Ok(reply)
}

/// The channel a token route works in: the webhook's channel, or with
/// `?thread_id=` one of that channel's threads (else 404 / 10003).
fn target_channel(ctx: &Ctx<'_>, world: &World, webhook: &Value) -> Result<u64, ApiError> {
    let channel_id = id_of(&webhook["channel_id"]);
    let Some(thread_id) = query_id(ctx, "thread_id")? else {
        return Ok(channel_id);
    };
    world
        .channel(thread_id)
        .filter(|t| is_thread(t) && id_of(&t["parent_id"]) == channel_id)
        .map(|_| thread_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))
}

/// `POST /webhooks/{webhook.id}/{webhook.token}` (`?wait=true` → 200 with
/// the message, else 204; `?thread_id=` posts in a thread of the webhook's
/// channel, unarchiving it): the author is the webhook's pseudo-user.
pub(crate) fn execute(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let wait = ctx.query_bool("wait");
    let mut world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    let channel_id = target_channel(ctx, &world, &webhook)?;
    let draft = Draft::checked(ctx, MessageUse::Create, EXECUTE_FLAGS, false)?;
    let body = draft.body;
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "username", 1, 80);
    errors.finish()?;
    let guild_id = Some(id_of(&webhook["guild_id"]));
    let mut unarchived = None;
    if let Some(thread) = world
        .guilds
        .get_mut(&id_of(&webhook["guild_id"]))
        .and_then(|g| g.channels.iter_mut().find(|c| id_of(c) == channel_id))
        .filter(|t| is_archived(t))
    {
        thread["thread_metadata"]["archived"] = json!(false);
        unarchived = Some(thread.clone());
    }
    let mut stored = build_message(&mut world, &draft, channel_id, guild_id)?;
    stored.message["author"] = json!({
        "id": webhook["id"],
        "username": body["username"].as_str().or(webhook["name"].as_str()).unwrap_or("webhook"),
        "avatar": webhook["avatar"],
        "discriminator": "0000",
        "bot": true,
        "global_name": null,
    });
    stored.message["webhook_id"] = webhook["id"].clone();
    let message = stored.message.clone();
    post_message(&mut world, channel_id, stored);
    let event = message_event(&world, &message, guild_id);
    let mut reply = if wait {
        Reply::ok(message)
    } else {
        Reply::no_content()
    };
    if let Some(thread) = unarchived {
        reply = reply.emit(guild_id, "THREAD_UPDATE", thread);
    }
    Ok(reply.emit(guild_id, "MESSAGE_CREATE", event))
}

/// The webhook message a `{message}` segment names.
fn webhook_message(ctx: &Ctx<'_>, world: &World, webhook: &Value) -> Result<(u64, u64), ApiError> {
    let channel_id = target_channel(ctx, world, webhook)?;
    let message_id: u64 = ctx
        .params
        .raw("message")
        .parse()
        .map_err(|_| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
    let ours = world
        .messages
        .get(&channel_id)
        .and_then(|m| m.get(&message_id))
        .is_some_and(|m| m.message["webhook_id"] == webhook["id"]);
    if ours {
        Ok((channel_id, message_id))
    } else {
        Err(ApiError::unknown(JsonErrorCode::UnknownMessage))
    }
}

/// `GET /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`
/// (`?thread_id=` for a message in a thread, as on the two routes below).
pub(crate) fn get_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    let (channel_id, message_id) = webhook_message(ctx, &world, &webhook)?;
    let bot_id = world.bot_user_id();
    world
        .messages
        .get(&channel_id)
        .and_then(|m| m.get(&message_id))
        .map(|m| Reply::ok(m.render(bot_id)))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))
}

/// `PATCH /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`.
pub(crate) fn edit_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    let (channel_id, message_id) = webhook_message(ctx, &world, &webhook)?;
    let draft = Draft::checked(ctx, MessageUse::Edit, EXECUTE_FLAGS, false)?;
    let guild_id = Some(id_of(&webhook["guild_id"]));
    let mut current = world
        .messages
        .get(&channel_id)
        .and_then(|m| m.get(&message_id))
        .map(|m| m.message.clone())
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
    edit_stored(&mut world, &mut current, &draft, guild_id)?;
    let event = message_event(&world, &current, guild_id);
    if let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    {
        stored.message = current.clone();
    }
    Ok(Reply::ok(current).emit(guild_id, "MESSAGE_UPDATE", event))
}

/// `DELETE /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`:
/// 204.
pub(crate) fn delete_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let webhook = webhook(ctx, &world)?;
    let (channel_id, message_id) = webhook_message(ctx, &world, &webhook)?;
    if let Some(messages) = world.messages.get_mut(&channel_id) {
        messages.remove(&message_id);
    }
    Ok(Reply::no_content().emit(
        Some(id_of(&webhook["guild_id"])),
        "MESSAGE_DELETE",
        json!({
            "id": message_id.to_string(),
            "channel_id": channel_id.to_string(),
            "guild_id": webhook["guild_id"],
        }),
    ))
}
