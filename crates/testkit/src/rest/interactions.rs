//! Interaction callbacks and follow-ups (discord-protocol.md §10.3, §10.4).
//!
//! Interactions are known to the fake once they were dispatched
//! (INTERACTION_CREATE through `FakeDiscord::dispatch`). The callback must
//! come within 3 s (else 404 / 10062) and only once (else 400 / 40060); the
//! token then works for 15 minutes on the `/webhooks/{application.id}/
//! {interaction.token}` routes.

use std::time::Duration;

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::body::Upload;
use super::channels::{build_message, edit_stored, message_event, post_message, Draft};
use super::error::{ApiError, FormErrors};
use super::validate::{self, MessageUse};
use super::{clock_now, Ctx, Reply};
use crate::record::lock;
use crate::server::Shared;
use crate::world::{id_of, InteractionState, StoredMessage, World};

/// The initial response deadline (§10.4).
pub(crate) const CALLBACK_DEADLINE: Duration = Duration::from_secs(3);
/// How long the interaction token works for follow-ups (§10.4).
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// EPHEMERAL message flag.
const EPHEMERAL: u64 = 64;
/// LOADING message flag (deferred response).
const LOADING: u64 = 128;
/// Interaction types (§10.1).
const PING: u64 = 1;
const APPLICATION_COMMAND: u64 = 2;
const MESSAGE_COMPONENT: u64 = 3;
const AUTOCOMPLETE: u64 = 4;
const MODAL_SUBMIT: u64 = 5;

/// Where a new interaction message goes: into its channel when it is a
/// known channel and the message is not ephemeral, else among the loose
/// messages. Returns the MESSAGE_CREATE to dispatch, if any.
fn store(
    world: &mut World,
    state: &InteractionState,
    stored: StoredMessage,
) -> Option<(Option<u64>, Value)> {
    let id = id_of(&stored.message["id"]);
    let ephemeral = stored.message["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0;
    match state.channel_id {
        Some(channel) if !ephemeral && world.channel(channel).is_some() => {
            let event = message_event(world, &stored.message, state.guild_id);
            post_message(world, channel, stored);
            Some((state.guild_id, event))
        }
        _ => {
            world.loose_messages.insert(id, stored);
            None
        }
    }
}

/// Marks a message as sent by the application's interaction webhook.
fn as_interaction_message(
    world: &World,
    message: &mut Value,
    state: &InteractionState,
    original: bool,
) {
    let app = world.application_id.to_string();
    message["webhook_id"] = json!(app);
    message["application_id"] = json!(app);
    if original && state.kind == APPLICATION_COMMAND {
        message["type"] = json!(20);
    }
    if let Some(channel) = state.channel_id {
        message["channel_id"] = json!(channel.to_string());
    }
}

fn interaction_for<'w>(
    world: &'w World,
    id: u64,
    token: &str,
) -> Result<&'w InteractionState, ApiError> {
    world
        .interactions
        .get(&id)
        .filter(|i| i.token == token)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownInteraction))
}

fn validate_callback(kind: u64, response: u64, data: &Value, files: usize) -> Result<(), ApiError> {
    let allowed: &[u64] = match kind {
        PING => &[1],
        APPLICATION_COMMAND => &[4, 5, 9, 10, 12],
        MESSAGE_COMPONENT => &[4, 5, 6, 7, 9, 10, 12],
        AUTOCOMPLETE => &[8],
        MODAL_SUBMIT => &[4, 5, 6, 7],
        _ => &[4, 5],
    };
    if !allowed.contains(&response) {
        return Err(ApiError::field(
            &["type"],
            "INTERACTION_RESPONSE_TYPE_INVALID",
            "Invalid interaction response type for this interaction.",
        ));
    }
    match response {
        4 => validate::message(
            data,
            files,
            MessageUse::Create,
            validate::INTERACTION_MESSAGE_FLAGS,
        ),
        7 => validate::message(
            data,
            files,
            MessageUse::Edit,
            validate::INTERACTION_MESSAGE_FLAGS,
        ),
        5 => {
            if data["flags"].as_u64().unwrap_or(0) & !EPHEMERAL != 0 {
                return Err(ApiError::field(
                    &["data", "flags"],
                    "MESSAGE_FLAGS_INVALID",
                    "Only EPHEMERAL may be set.",
                ));
            }
            Ok(())
        }
        8 => {
            let choices = data["choices"].as_array().map_or(0, Vec::len);
            if choices > 25 {
                return Err(ApiError::field(
                    &["data", "choices"],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
            Ok(())
        }
        9 => {
            let mut errors = FormErrors::default();
            let title = data["title"].as_str().map(|t| t.chars().count());
            if !title.is_some_and(|n| (1..=45).contains(&n)) {
                errors.add(
                    &["data", "title"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 45 in length.",
                );
            }
            let custom_id = data["custom_id"].as_str().map(|t| t.chars().count());
            if !custom_id.is_some_and(|n| (1..=100).contains(&n)) {
                errors.add(
                    &["data", "custom_id"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                );
            }
            let components = data["components"].as_array().map_or(0, Vec::len);
            if !(1..=5).contains(&components) {
                errors.add(
                    &["data", "components"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                );
            }
            errors.finish()
        }
        _ => Ok(()),
    }
}

/// `POST /interactions/{interaction.id}/{interaction.token}/callback`: 204,
/// or 200 with the callback response when `?with_response=true`.
pub(crate) fn callback(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.params.id("interaction.id");
    let token = ctx.params.raw("interaction.token").to_owned();
    let with_response = ctx.query_bool("with_response");
    let origin = ctx.origin();
    let now = ctx.now;
    let mut world = ctx.world();
    let state = interaction_for(&world, id, &token)?.clone();
    if state.acknowledged.is_some() {
        return Err(ApiError::code(
            JsonErrorCode::InteractionAlreadyAcknowledged,
            "Interaction has already been acknowledged.",
        ));
    }
    if now.saturating_duration_since(state.received) > CALLBACK_DEADLINE {
        return Err(ApiError::unknown(JsonErrorCode::UnknownInteraction));
    }
    let body = ctx.body.json.clone();
    let Some(response) = body["type"].as_u64() else {
        return Err(ApiError::field(
            &["type"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    validate_callback(state.kind, response, &data, ctx.body.files.len())?;
    let (message_out, events) = acknowledge(
        &mut world,
        id,
        &state,
        response,
        &data,
        &ctx.body.files,
        origin,
    )?;
    drop(world);
    let mut reply = if with_response {
        let mut interaction = json!({"id": id.to_string(), "type": state.kind});
        if let Some(message) = &message_out {
            let flags = message["flags"].as_u64().unwrap_or(0);
            interaction["response_message_id"] = message["id"].clone();
            interaction["response_message_loading"] = json!(flags & LOADING != 0);
            interaction["response_message_ephemeral"] = json!(flags & EPHEMERAL != 0);
        }
        let mut resource = json!({"type": response});
        if let Some(message) = message_out {
            resource["message"] = message;
        }
        Reply::ok(json!({"interaction": interaction, "resource": resource}))
    } else {
        Reply::no_content()
    };
    for (guild_id, name, d) in events {
        reply = reply.emit(guild_id, name, d);
    }
    Ok(reply)
}

/// Applies a validated initial response (`response` with `data`) to
/// interaction `id`: the message it creates or updates, then
/// `acknowledged` and `original`. Returns the response message (for
/// `with_response`) and the gateway events to send.
#[allow(clippy::type_complexity)]
fn acknowledge(
    world: &mut World,
    id: u64,
    state: &InteractionState,
    response: u64,
    data: &Value,
    files: &[Upload],
    origin: &str,
) -> Result<(Option<Value>, Vec<(Option<u64>, &'static str, Value)>), ApiError> {
    let mut events = Vec::new();
    let mut message_out = None;
    let mut original = None;
    match response {
        4 | 5 => {
            let draft = Draft {
                body: data,
                files,
                origin,
                parse_all_by_default: false,
            };
            let mut stored = if response == 4 {
                build_message(world, &draft, state.channel_id.unwrap_or(0), state.guild_id)?
            } else {
                let empty = Draft {
                    body: &Value::Null,
                    files: &[],
                    ..draft
                };
                let mut stored =
                    build_message(world, &empty, state.channel_id.unwrap_or(0), state.guild_id)?;
                let flags = data["flags"].as_u64().unwrap_or(0);
                stored.message["flags"] = json!(flags | LOADING);
                stored
            };
            as_interaction_message(world, &mut stored.message, state, true);
            original = Some(id_of(&stored.message["id"]));
            message_out = Some(stored.message.clone());
            if let Some((guild_id, event)) = store(world, state, stored) {
                events.push((guild_id, "MESSAGE_CREATE", event));
            }
        }
        6 | 7 => {
            original = state.message_id;
            if response == 7 {
                if let Some(message_id) = state.message_id {
                    let mut current = world
                        .interaction_message_mut(state.channel_id, message_id)
                        .map(|m| m.message.clone())
                        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
                    let draft = Draft {
                        body: data,
                        files,
                        origin,
                        parse_all_by_default: false,
                    };
                    edit_stored(world, &mut current, &draft, state.guild_id)?;
                    let event = message_event(world, &current, state.guild_id);
                    if let Some(stored) =
                        world.interaction_message_mut(state.channel_id, message_id)
                    {
                        stored.message = current.clone();
                    }
                    events.push((state.guild_id, "MESSAGE_UPDATE", event));
                    message_out = Some(current);
                }
            }
        }
        _ => {}
    }
    if let Some(stored_state) = world.interactions.get_mut(&id) {
        stored_state.acknowledged = Some(response);
        stored_state.original = original;
    }
    Ok((message_out, events))
}

/// Takes the HTTP reply of an interactions endpoint (§10.5) as the
/// initial response of interaction `id`, as the callback route would: the
/// same checks (once, within 3 s, a type and data that fit) and the same
/// messages and events. `Err` says why Discord would not take it.
pub(crate) fn endpoint_reply(shared: &Shared, id: u64, body: &Value) -> Result<(), String> {
    let refused = |e: ApiError| format!("{} {}", e.status, e.body);
    let origin = shared
        .api_base
        .strip_suffix("/api")
        .unwrap_or(&shared.api_base);
    let mut world = lock(&shared.world);
    let state = world
        .interactions
        .get(&id)
        .cloned()
        .ok_or_else(|| refused(ApiError::unknown(JsonErrorCode::UnknownInteraction)))?;
    if state.acknowledged.is_some() {
        return Err(refused(ApiError::code(
            JsonErrorCode::InteractionAlreadyAcknowledged,
            "Interaction has already been acknowledged.",
        )));
    }
    if clock_now().saturating_duration_since(state.received) > CALLBACK_DEADLINE {
        return Err(refused(ApiError::unknown(
            JsonErrorCode::UnknownInteraction,
        )));
    }
    let Some(response) = body["type"].as_u64() else {
        return Err(refused(ApiError::field(
            &["type"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        )));
    };
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    validate_callback(state.kind, response, &data, 0).map_err(refused)?;
    let (_, events) =
        acknowledge(&mut world, id, &state, response, &data, &[], origin).map_err(refused)?;
    drop(world);
    for (guild_id, name, d) in events {
        shared.gateway.emit(guild_id, name, d);
    }
    Ok(())
}

/// The interaction behind `/webhooks/{application.id}/{interaction.token}`.
fn webhook_interaction(ctx: &Ctx<'_>, world: &World) -> Result<(u64, InteractionState), ApiError> {
    let unknown = || ApiError::unknown(JsonErrorCode::UnknownWebhook);
    if ctx.params.id("application.id") != world.application_id {
        return Err(unknown());
    }
    let token = ctx.params.raw("interaction.token");
    let (id, state) = world
        .interactions
        .iter()
        .find(|(_, i)| i.token == token)
        .ok_or_else(unknown)?;
    if state.acknowledged.is_none() {
        return Err(unknown());
    }
    if ctx.now.saturating_duration_since(state.received) > TOKEN_LIFETIME {
        return Err(ApiError::code(
            JsonErrorCode::InvalidWebhookToken,
            "Invalid Webhook Token",
        ));
    }
    Ok((*id, state.clone()))
}

/// The message id a `{message}` segment names: `@original` or a follow-up.
fn target_message(ctx: &Ctx<'_>, state: &InteractionState) -> Result<u64, ApiError> {
    let unknown = || ApiError::unknown(JsonErrorCode::UnknownMessage);
    let raw = ctx.params.raw("message");
    if raw == "@original" {
        return state.original.ok_or_else(unknown);
    }
    let id: u64 = raw.parse().map_err(|_| {
        ApiError::field(
            &["message_id"],
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{raw}\" is not snowflake."),
        )
    })?;
    if state.original == Some(id) || state.followups.contains(&id) {
        Ok(id)
    } else {
        Err(unknown())
    }
}

/// `POST /webhooks/{application.id}/{interaction.token}`: a follow-up
/// (always `wait=true`: 200 with the message). Right after a type-5 defer
/// it edits the loading message instead (§10.4).
pub(crate) fn execute_followup(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (id, state) = webhook_interaction(ctx, &world)?;
    let draft = Draft::checked(
        ctx,
        MessageUse::Create,
        validate::INTERACTION_MESSAGE_FLAGS,
        false,
    )?;
    let loading_original = state.original.filter(|original| {
        world
            .interaction_message_mut(state.channel_id, *original)
            .is_some_and(|m| m.message["flags"].as_u64().unwrap_or(0) & LOADING != 0)
    });
    if let Some(original) = loading_original {
        let mut current = world
            .interaction_message_mut(state.channel_id, original)
            .map(|m| m.message.clone())
            .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
        // The defer's flags win: keep EPHEMERAL as it was, drop LOADING.
        let deferred_flags = current["flags"].as_u64().unwrap_or(0);
        edit_stored(&mut world, &mut current, &draft, state.guild_id)?;
        current["flags"] = json!(
            (deferred_flags & EPHEMERAL)
                | (current["flags"].as_u64().unwrap_or(0) & !(LOADING | EPHEMERAL))
        );
        let event = message_event(&world, &current, state.guild_id);
        let in_channel = current["flags"].as_u64().unwrap_or(0) & EPHEMERAL == 0;
        if let Some(stored) = world.interaction_message_mut(state.channel_id, original) {
            stored.message = current.clone();
        }
        let reply = Reply::ok(current);
        return Ok(if in_channel {
            reply.emit(state.guild_id, "MESSAGE_UPDATE", event)
        } else {
            reply
        });
    }
    if state.followups.len() >= 5 && state.guild_id.is_none() {
        // Only relevant for user-installed apps (§9); the fake has only
        // guild-installed ones, so this never applies in a guild.
        return Err(ApiError::code(
            JsonErrorCode::MaxFollowUpMessages,
            "Interaction has hit the maximum number of follow up messages",
        ));
    }
    let mut stored = build_message(
        &mut world,
        &draft,
        state.channel_id.unwrap_or(0),
        state.guild_id,
    )?;
    as_interaction_message(&world, &mut stored.message, &state, false);
    let message = stored.message.clone();
    let message_id = id_of(&message["id"]);
    let event = store(&mut world, &state, stored);
    if let Some(stored_state) = world.interactions.get_mut(&id) {
        stored_state.followups.push(message_id);
    }
    let reply = Reply::ok(message);
    Ok(match event {
        Some((guild_id, d)) => reply.emit(guild_id, "MESSAGE_CREATE", d),
        None => reply,
    })
}

/// `GET /webhooks/{application.id}/{interaction.token}/messages/{message}`.
pub(crate) fn get_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (_, state) = webhook_interaction(ctx, &world)?;
    let message_id = target_message(ctx, &state)?;
    let bot_id = world.bot_user_id();
    world
        .interaction_message_mut(state.channel_id, message_id)
        .map(|m| Reply::ok(m.render(bot_id)))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))
}

/// `PATCH /webhooks/{application.id}/{interaction.token}/messages/{message}`.
pub(crate) fn edit_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (_, state) = webhook_interaction(ctx, &world)?;
    let message_id = target_message(ctx, &state)?;
    let draft = Draft::checked(
        ctx,
        MessageUse::Edit,
        validate::INTERACTION_MESSAGE_FLAGS,
        false,
    )?;
    let mut current = world
        .interaction_message_mut(state.channel_id, message_id)
        .map(|m| m.message.clone())
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
    let flags_before = current["flags"].as_u64().unwrap_or(0);
    edit_stored(&mut world, &mut current, &draft, state.guild_id)?;
    // Editing the deferred response ends its loading state.
    current["flags"] =
        json!(current["flags"].as_u64().unwrap_or(0) & !LOADING | (flags_before & EPHEMERAL));
    let event = message_event(&world, &current, state.guild_id);
    if let Some(stored) = world.interaction_message_mut(state.channel_id, message_id) {
        stored.message = current.clone();
    }
    let in_channel = current["flags"].as_u64().unwrap_or(0) & EPHEMERAL == 0;
    let reply = Reply::ok(current);
    Ok(if in_channel {
        reply.emit(state.guild_id, "MESSAGE_UPDATE", event)
    } else {
        reply
    })
}

/// `DELETE /webhooks/{application.id}/{interaction.token}/messages/{message}`:
/// 204.
pub(crate) fn delete_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (id, state) = webhook_interaction(ctx, &world)?;
    let message_id = target_message(ctx, &state)?;
    let in_channel = state
        .channel_id
        .and_then(|c| world.messages.get_mut(&c))
        .and_then(|m| m.remove(&message_id))
        .is_some();
    let loose = world.loose_messages.remove(&message_id).is_some();
    if !in_channel && !loose {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMessage));
    }
    if let Some(stored_state) = world.interactions.get_mut(&id) {
        if stored_state.original == Some(message_id) {
            stored_state.original = None;
        }
        stored_state.followups.retain(|f| *f != message_id);
    }
    let reply = Reply::no_content();
    Ok(match (in_channel, state.channel_id) {
        (true, Some(channel)) => {
            let mut d = json!({"id": message_id.to_string(), "channel_id": channel.to_string()});
            if let Some(guild_id) = state.guild_id {
                d["guild_id"] = json!(guild_id.to_string());
            }
            reply.emit(state.guild_id, "MESSAGE_DELETE", d)
        }
        _ => reply,
    })
}
