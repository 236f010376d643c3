//! Channels, messages and reactions (discord-protocol.md §11.3), and the
//! message building shared with interaction responses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
use super::body::{Upload, MAX_FILE_BYTES};
use super::error::{ApiError, FormErrors};
use super::users::{query_id, query_limit};
use super::validate::{self, MessageUse};
use super::{Ctx, Reply};
use crate::fixtures;
use crate::world::{id_of, Reaction, StoredFile, StoredMessage, World};

/// Bulk delete accepts 2..=100 ids (§9).
const BULK_DELETE_RANGE: std::ops::RangeInclusive<usize> = 2..=100;
/// Bulk delete refuses messages older than 14 days (§9).
const BULK_DELETE_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 3600);
/// Distinct reaction emojis per message (§9, 30010).
const MAX_REACTIONS: usize = 20;
/// SUPPRESS_EMBEDS, the only flag an edit may clear (§8.6).
const SUPPRESS_EMBEDS: u64 = 4;
/// IS_SPOILER attachment flag (§8.8).
const ATTACHMENT_SPOILER: u64 = 1 << 3;

pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A channel and its guild (`None` for a DM channel).
pub(crate) fn channel_of(world: &World, channel_id: u64) -> Result<(Option<u64>, Value), ApiError> {
    if let Some(dm) = world.dm_channels.get(&channel_id) {
        return Ok((None, dm.clone()));
    }
    let (guild_id, _) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let channel = world
        .channel(channel_id)
        .cloned()
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    Ok((Some(guild_id), channel))
}

/// Adds `guild_id` to an event payload when there is a guild.
fn with_guild(mut d: Value, guild_id: Option<u64>) -> Value {
    if let Some(guild_id) = guild_id {
        d["guild_id"] = json!(guild_id.to_string());
    }
    d
}

pub(crate) fn dm_refused() -> ApiError {
    ApiError::code(
        JsonErrorCode::CannotExecuteOnDm,
        "Cannot execute action on a DM channel",
    )
}

/// The body of a message being created or edited.
#[derive(Debug)]
pub(crate) struct Draft<'a> {
    pub body: &'a Value,
    pub files: &'a [Upload],
    /// `http://127.0.0.1:P`, the base of attachment URLs.
    pub origin: &'a str,
    /// Whether omitted `allowed_mentions` parse everything (normal
    /// messages) or only users (interaction responses, webhooks; §8.10).
    pub parse_all_by_default: bool,
}

impl<'a> Draft<'a> {
    /// The request's own body and files as a message draft, validated first
    /// (§9): fields, file count and the `allowed_flags` of this `usage`.
    pub(crate) fn checked(
        ctx: &'a Ctx<'_>,
        usage: MessageUse,
        allowed_flags: u64,
        parse_all_by_default: bool,
    ) -> Result<Draft<'a>, ApiError> {
        validate::message(&ctx.body.json, ctx.body.files.len(), usage, allowed_flags)?;
        Ok(Draft {
            body: &ctx.body.json,
            files: &ctx.body.files,
            origin: ctx.origin(),
            parse_all_by_default,
        })
    }

    fn field(&self, key: &str) -> Option<&Value> {
        self.body.get(key).filter(|v| !v.is_null())
    }
}

/// Rejects files over the per-file limit (§1.5: 50045, answered 413).
fn check_file_sizes(files: &[Upload]) -> Result<(), ApiError> {
    if files.iter().any(|f| f.data.len() > MAX_FILE_BYTES) {
        return Err(ApiError::with_status(
            413,
            JsonErrorCode::FileTooLarge,
            "File uploaded exceeds the maximum size.",
        ));
    }
    Ok(())
}

/// Stores the uploads and builds the attachment list: `keep` (existing
/// attachments listed by id), then one attachment per file with its
/// placeholder's metadata (§1.5).
fn build_attachments(
    world: &mut World,
    draft: &Draft<'_>,
    channel_id: u64,
    existing: &[Value],
) -> Result<Vec<Value>, ApiError> {
    let placeholders: Vec<Value> = draft
        .field("attachments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut attachments = Vec::new();
    for placeholder in &placeholders {
        let id = id_of(&placeholder["id"]);
        if let Some(old) = existing.iter().find(|a| id_of(&a["id"]) == id) {
            let mut kept = old.clone();
            if let Some(description) = placeholder.get("description") {
                kept["description"] = description.clone();
            }
            attachments.push(kept);
        }
    }
    for file in draft.files {
        let placeholder = placeholders.iter().find(|p| {
            p["id"].as_str() == Some(file.index.as_str())
                || p["id"]
                    .as_u64()
                    .is_some_and(|n| n.to_string() == file.index)
        });
        let id = world.next_id();
        let filename = placeholder
            .and_then(|p| p["filename"].as_str())
            .unwrap_or(&file.filename)
            .to_owned();
        let url = format!(
            "{}/attachments/{channel_id}/{id}/{}",
            draft.origin,
            encode_path(&filename)
        );
        let mut attachment =
            fixtures::attachment(id, &filename, file.data.len(), &file.content_type, &url);
        if let Some(p) = placeholder {
            for key in ["description", "title", "duration_secs", "waveform"] {
                if let Some(value) = p.get(key).filter(|v| !v.is_null()) {
                    attachment[key] = value.clone();
                }
            }
            if p["is_spoiler"].as_bool() == Some(true) {
                attachment["flags"] = json!(ATTACHMENT_SPOILER);
            }
        }
        world.files.insert(
            id,
            StoredFile {
                content_type: file.content_type.clone(),
                data: file.data.clone(),
            },
        );
        attachments.push(attachment);
    }
    Ok(attachments)
}

fn encode_path(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `<@id>`, `<@!id>` and `<@&id>` mentions in a text.
fn mention_ids(content: &str) -> (Vec<u64>, Vec<u64>) {
    let mut users = Vec::new();
    let mut roles = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let (role, digits) = if let Some(r) = rest.strip_prefix('&') {
            (true, r)
        } else {
            (false, rest.strip_prefix('!').unwrap_or(rest))
        };
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if end > 0 && digits[end..].starts_with('>') {
            if let Ok(id) = digits[..end].parse::<u64>() {
                let list = if role { &mut roles } else { &mut users };
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }
    (users, roles)
}

/// Fills `mentions`, `mention_roles` and `mention_everyone` from the
/// content and `allowed_mentions` (§8.10).
fn resolve_mentions(world: &World, guild_id: Option<u64>, message: &mut Value, draft: &Draft<'_>) {
    let content = message["content"].as_str().unwrap_or("").to_owned();
    let allowed = draft.field("allowed_mentions");
    let parse: Vec<String> = match allowed {
        Some(a) => a["parse"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        None if draft.parse_all_by_default => {
            vec!["users".into(), "roles".into(), "everyone".into()]
        }
        None => vec!["users".into()],
    };
    let listed = |key: &str| -> Vec<u64> {
        allowed
            .and_then(|a| a[key].as_array())
            .map(|ids| ids.iter().map(id_of).collect())
            .unwrap_or_default()
    };
    let (user_ids, role_ids) = mention_ids(&content);
    let users_ok = |id: &u64| parse.iter().any(|p| p == "users") || listed("users").contains(id);
    let roles_ok = |id: &u64| parse.iter().any(|p| p == "roles") || listed("roles").contains(id);
    let guild = guild_id.and_then(|g| world.guilds.get(&g));
    let mentions: Vec<Value> = user_ids
        .iter()
        .filter(|id| users_ok(id))
        .filter_map(|id| {
            let user = world.find_user(*id)?;
            let member = guild.and_then(|g| g.member_index(*id).and_then(|i| g.members.get(i)));
            Some(fixtures::mention(&user, member))
        })
        .collect();
    let mention_roles: Vec<String> = role_ids
        .iter()
        .filter(|id| roles_ok(id))
        .filter(|id| guild.is_some_and(|g| g.roles.iter().any(|r| id_of(r) == **id)))
        .map(u64::to_string)
        .collect();
    let everyone = parse.iter().any(|p| p == "everyone")
        && (content.contains("@everyone") || content.contains("@here"));
    message["mentions"] = Value::Array(mentions);
    message["mention_roles"] = json!(mention_roles);
    message["mention_everyone"] = json!(everyone);
}

/// Gives every component without an `id` (or with 0) the next number
/// (§10.7).
fn number_components(components: &mut Value, next: &mut u64) {
    if let Some(list) = components.as_array_mut() {
        for component in list {
            if component["id"].as_u64().unwrap_or(0) == 0 {
                component["id"] = json!(*next);
            }
            *next += 1;
            if component.get("components").is_some() {
                number_components(&mut component["components"], next);
            }
        }
    }
}

fn clean_embeds(embeds: &Value) -> Value {
    let list: Vec<Value> = embeds
        .as_array()
        .map(|l| {
            l.iter()
                .map(|embed| {
                    let mut embed = embed.clone();
                    if let Some(obj) = embed.as_object_mut() {
                        obj.insert("type".into(), json!("rich"));
                        obj.remove("provider");
                        obj.remove("video");
                    }
                    embed
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(list)
}

/// Applies content, embeds, components, flags and attachments of `draft`
/// to `message` (create: everything present; edit: only what is listed).
fn apply_draft(
    world: &mut World,
    message: &mut Value,
    draft: &Draft<'_>,
    channel_id: u64,
    guild_id: Option<u64>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(content) = draft.body.get("content") {
        message["content"] = json!(content.as_str().unwrap_or(""));
    }
    if let Some(embeds) = draft.body.get("embeds") {
        message["embeds"] = clean_embeds(embeds);
    }
    if let Some(components) = draft.body.get("components") {
        let mut components = if components.is_null() {
            json!([])
        } else {
            components.clone()
        };
        number_components(&mut components, &mut 1);
        message["components"] = components;
    }
    if let Some(flags) = draft.field("flags").and_then(Value::as_u64) {
        let old = message["flags"].as_u64().unwrap_or(0);
        message["flags"] = json!(if creating {
            flags
        } else {
            // An edit may set or clear SUPPRESS_EMBEDS; IS_COMPONENTS_V2
            // cannot be removed once set; other bits are Discord's.
            (old & !SUPPRESS_EMBEDS) | flags
        });
    }
    if creating {
        for key in ["tts", "nonce"] {
            if let Some(value) = draft.field(key) {
                message[key] = value.clone();
            }
        }
    }
    if creating || draft.body.get("attachments").is_some() || !draft.files.is_empty() {
        let existing = message["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let keep_all_existing = !creating && draft.body.get("attachments").is_none();
        let mut attachments = build_attachments(world, draft, channel_id, &existing)?;
        if keep_all_existing {
            let mut all = existing;
            all.append(&mut attachments);
            attachments = all;
        }
        message["attachments"] = Value::Array(attachments);
    }
    if creating
        || draft.body.get("content").is_some()
        || draft.body.get("allowed_mentions").is_some()
    {
        resolve_mentions(world, guild_id, message, draft);
    }
    Ok(())
}

/// Builds a new message authored by the bot in `channel_id`.
pub(crate) fn build_message(
    world: &mut World,
    draft: &Draft<'_>,
    channel_id: u64,
    guild_id: Option<u64>,
) -> Result<StoredMessage, ApiError> {
    check_file_sizes(draft.files)?;
    let id = world.next_id();
    let author = world.bot_public_user();
    let mut message = fixtures::message(id, channel_id, None, &author, "");
    apply_draft(world, &mut message, draft, channel_id, guild_id, true)?;
    Ok(StoredMessage {
        message,
        reactions: Vec::new(),
    })
}

/// Applies an edit to a stored message and stamps `edited_timestamp`.
pub(crate) fn edit_stored(
    world: &mut World,
    message: &mut Value,
    draft: &Draft<'_>,
    guild_id: Option<u64>,
) -> Result<(), ApiError> {
    check_file_sizes(draft.files)?;
    let channel_id = id_of(&message["channel_id"]);
    apply_draft(world, message, draft, channel_id, guild_id, false)?;
    message["edited_timestamp"] = json!(fixtures::iso8601(unix_ms()));
    Ok(())
}

/// The gateway `d` of MESSAGE_CREATE / MESSAGE_UPDATE (§7.4): the message
/// plus `guild_id`, the author's partial `member` (not for webhook
/// messages) and `channel_type`.
pub(crate) fn message_event(world: &World, message: &Value, guild_id: Option<u64>) -> Value {
    let mut d = message.clone();
    if let Some(guild_id) = guild_id {
        d["guild_id"] = json!(guild_id.to_string());
        if message.get("webhook_id").is_none() {
            if let Some(member) = world.partial_member(guild_id, id_of(&message["author"])) {
                d["member"] = member;
            }
        }
    }
    if let Some(channel) = world.channel(id_of(&message["channel_id"])) {
        d["channel_type"] = channel["type"].clone();
    }
    d
}

/// Why a scripted user could not speak (the control API's errors).
#[derive(Debug)]
pub(crate) enum UserMessageError {
    UnknownChannel,
    NotTextChannel,
    UnknownAuthor,
    NotAMember,
    NoAuthor,
}

/// A message a user (not the bot) sends in a channel, as Discord builds
/// it: the author as the public user, `mentions` (each with its partial
/// `member` in a guild), `mention_roles` and `mention_everyone` from the
/// content, stored (so it can be fetched, replied to, reacted to) and
/// moving the channel's `last_message_id`. Returns the guild and the
/// MESSAGE_CREATE `d` (§7.4), with the author's partial `member`.
///
/// `author_id` `None` picks the guild's first member who is not the bot
/// (in a DM: its recipient).
pub(crate) fn user_message(
    world: &mut World,
    channel_id: u64,
    author_id: Option<u64>,
    content: &str,
) -> Result<(Option<u64>, Value), UserMessageError> {
    let (guild_id, channel) =
        channel_of(world, channel_id).map_err(|_| UserMessageError::UnknownChannel)?;
    if matches!(channel["type"].as_u64(), Some(4 | 14 | 15 | 16)) {
        return Err(UserMessageError::NotTextChannel);
    }
    let bot = world.bot_user_id();
    let author = match (guild_id, author_id) {
        (Some(guild_id), Some(author_id)) => {
            let guild = world
                .guilds
                .get(&guild_id)
                .ok_or(UserMessageError::UnknownChannel)?;
            let index =
                guild
                    .member_index(author_id)
                    .ok_or(if world.find_user(author_id).is_some() {
                        UserMessageError::NotAMember
                    } else {
                        UserMessageError::UnknownAuthor
                    })?;
            guild.members[index]["user"].clone()
        }
        (Some(guild_id), None) => world
            .members(guild_id)
            .iter()
            .map(|m| &m["user"])
            .find(|u| id_of(u) != bot)
            .cloned()
            .ok_or(UserMessageError::NoAuthor)?,
        (None, _) => {
            let recipient = channel["recipients"]
                .as_array()
                .and_then(|r| r.first())
                .cloned()
                .ok_or(UserMessageError::NoAuthor)?;
            if author_id.is_some_and(|a| a != id_of(&recipient)) {
                return Err(UserMessageError::NotAMember);
            }
            recipient
        }
    };
    if id_of(&author) == bot {
        // The bot speaks through REST, like any bot.
        return Err(UserMessageError::UnknownAuthor);
    }
    let id = world.next_id();
    let mut message = fixtures::message(
        id,
        channel_id,
        None,
        &fixtures::public_user(&author),
        content,
    );
    let (user_ids, role_ids) = mention_ids(content);
    let guild = guild_id.and_then(|g| world.guilds.get(&g));
    let mentions: Vec<Value> = user_ids
        .iter()
        .filter_map(|id| {
            let user = world.find_user(*id)?;
            let member = guild.and_then(|g| g.member_index(*id).and_then(|i| g.members.get(i)));
            Some(fixtures::mention(&user, member))
        })
        .collect();
    let mention_roles: Vec<String> = role_ids
        .iter()
        .filter(|id| guild.is_some_and(|g| g.roles.iter().any(|r| id_of(r) == **id)))
        .map(u64::to_string)
        .collect();
    message["mentions"] = Value::Array(mentions);
    message["mention_roles"] = json!(mention_roles);
    message["mention_everyone"] =
        json!(guild.is_some() && (content.contains("@everyone") || content.contains("@here")));
    post_message(
        world,
        channel_id,
        StoredMessage {
            message: message.clone(),
            reactions: Vec::new(),
        },
    );
    Ok((guild_id, message_event(world, &message, guild_id)))
}

/// `GET /channels/{channel.id}`.
pub(crate) fn get_channel(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let (_, channel) = channel_of(&world, ctx.params.id("channel.id"))?;
    Ok(Reply::ok(channel))
}

/// `PATCH /channels/{channel.id}`: CHANNEL_UPDATE.
pub(crate) fn modify_channel(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let body = ctx.json();
    let mut world = ctx.world();
    if world.dm_channels.contains_key(&channel_id) {
        return Err(dm_refused());
    }
    let (guild_id, index) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let kind = world
        .channel(channel_id)
        .map_or(0, |c| c["type"].as_u64().unwrap_or(0));
    let mut errors = FormErrors::default();
    validate::length(&mut errors, body, "name", 1, 100);
    let topic_max = if matches!(kind, 15 | 16) { 4096 } else { 1024 };
    validate::length(&mut errors, body, "topic", 0, topic_max);
    validate::range(&mut errors, body, "rate_limit_per_user", 0, 21_600);
    validate::range(&mut errors, body, "position", 0, i64::from(u32::MAX));
    errors.finish()?;
    let channels = &mut super::guilds::guild_mut(&mut world, guild_id)?.channels;
    let channel = &mut channels[index];
    let before = channel.clone();
    for key in [
        "name",
        "topic",
        "nsfw",
        "position",
        "rate_limit_per_user",
        "parent_id",
        "permission_overwrites",
        "bitrate",
        "user_limit",
        "rtc_region",
        "default_auto_archive_duration",
        "flags",
    ] {
        if let Some(value) = body.get(key) {
            channel[key] = value.clone();
        }
    }
    let thread = super::threads::is_thread(channel);
    if thread {
        // Thread settings are sent flat and live in `thread_metadata`.
        for key in ["archived", "locked", "auto_archive_duration", "invitable"] {
            if let Some(value) = body.get(key) {
                channel["thread_metadata"][key] = value.clone();
            }
        }
        if body.get("archived").is_some() {
            channel["thread_metadata"]["archive_timestamp"] = json!(fixtures::iso8601(unix_ms()));
        }
    }
    let channel = channel.clone();
    let (name, entry) = if thread {
        let entry = AuditEntry::new(AuditAction::ThreadUpdate, channel_id)
            .diff(&before, &channel, &["name", "rate_limit_per_user", "flags"])
            .diff(
                &before["thread_metadata"],
                &channel["thread_metadata"],
                &["archived", "locked", "auto_archive_duration", "invitable"],
            );
        ("THREAD_UPDATE", entry)
    } else {
        let entry = AuditEntry::new(AuditAction::ChannelUpdate, channel_id).diff(
            &before,
            &channel,
            &super::guilds::CHANNEL_AUDIT_KEYS,
        );
        ("CHANNEL_UPDATE", entry)
    };
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::ok(channel.clone())
        .emit(Some(guild_id), name, channel)
        .push(logged))
}

/// `DELETE /channels/{channel.id}`: returns the channel; CHANNEL_DELETE;
/// children of a deleted category are orphaned (CHANNEL_UPDATE each).
pub(crate) fn delete_channel(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let mut world = ctx.world();
    if let Some(dm) = world.dm_channels.remove(&channel_id) {
        // Closing a DM: Create DM opens it again.
        world.messages.remove(&channel_id);
        world.dm_by_user.retain(|_, c| *c != channel_id);
        return Ok(Reply::ok(dm.clone()).emit(None, "CHANNEL_DELETE", dm));
    }
    let (guild_id, index) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    world.messages.remove(&channel_id);
    world.thread_members.remove(&channel_id);
    let reason = ctx.audit_reason.as_deref();
    let state = super::guilds::guild_mut(&mut world, guild_id)?;
    let channel = state.channels.remove(index);
    if super::threads::is_thread(&channel) {
        let d = json!({
            "id": channel["id"],
            "guild_id": guild_id.to_string(),
            "parent_id": channel["parent_id"],
            "type": channel["type"],
        });
        let entry = AuditEntry::new(AuditAction::ThreadDelete, channel_id).diff(
            &channel,
            &Value::Null,
            &["name", "type", "rate_limit_per_user"],
        );
        let logged = audit_log::record(&mut world, guild_id, entry, reason);
        return Ok(Reply::ok(channel)
            .emit(Some(guild_id), "THREAD_DELETE", d)
            .push(logged));
    }
    let mut reply =
        Reply::ok(channel.clone()).emit(Some(guild_id), "CHANNEL_DELETE", channel.clone());
    let id = channel_id.to_string();
    for child in &mut state.channels {
        if child["parent_id"].as_str() == Some(id.as_str()) {
            child["parent_id"] = Value::Null;
            reply = reply.emit(Some(guild_id), "CHANNEL_UPDATE", child.clone());
        }
    }
    let entry = AuditEntry::new(AuditAction::ChannelDelete, channel_id).diff(
        &channel,
        &Value::Null,
        &super::guilds::CHANNEL_AUDIT_KEYS,
    );
    Ok(reply.push(audit_log::record(&mut world, guild_id, entry, reason)))
}

/// `PUT /channels/{channel.id}/permissions/{overwrite.id}` `{type (0 role,
/// 1 member), allow?, deny?}`: 204; CHANNEL_UPDATE.
pub(crate) fn edit_permissions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let overwrite_id = ctx.params.id("overwrite.id");
    let body = ctx.json();
    let mut errors = FormErrors::default();
    let kind = body["type"].as_u64();
    if !matches!(kind, Some(0 | 1)) {
        errors.add(
            &["type"],
            "BASE_TYPE_CHOICES",
            "Value must be one of {0, 1}.",
        );
    }
    for key in ["allow", "deny"] {
        let value = &body[key];
        let ok = value.is_null()
            || value.as_str().is_some_and(|s| s.parse::<u64>().is_ok())
            || value.as_u64().is_some();
        if !ok {
            errors.add(
                &[key],
                "NUMBER_TYPE_COERCE",
                "Must be a permission bitfield string.",
            );
        }
    }
    errors.finish()?;
    let mut world = ctx.world();
    if world.dm_channels.contains_key(&channel_id) {
        return Err(dm_refused());
    }
    let (guild_id, index) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let bits = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .or_else(|| v.as_u64())
            .unwrap_or(0)
            .to_string()
    };
    let overwrite = json!({
        "id": overwrite_id.to_string(),
        "type": kind,
        "allow": bits(&body["allow"]),
        "deny": bits(&body["deny"]),
    });
    let state = super::guilds::guild_mut(&mut world, guild_id)?;
    let known = match kind {
        Some(0) => state.roles.iter().any(|r| id_of(r) == overwrite_id),
        _ => state.member_index(overwrite_id).is_some(),
    };
    if !known {
        return Err(ApiError::unknown(if kind == Some(0) {
            JsonErrorCode::UnknownRole
        } else {
            JsonErrorCode::UnknownMember
        }));
    }
    let role_name = state
        .roles
        .iter()
        .find(|r| id_of(r) == overwrite_id)
        .map(|r| r["name"].clone());
    let channel = &mut state.channels[index];
    if !channel["permission_overwrites"].is_array() {
        channel["permission_overwrites"] = json!([]);
    }
    let mut previous = None;
    if let Some(list) = channel["permission_overwrites"].as_array_mut() {
        if let Some(at) = list.iter().position(|o| id_of(&o["id"]) == overwrite_id) {
            previous = Some(list.remove(at));
        }
        list.push(overwrite.clone());
    }
    let channel = channel.clone();
    let action = if previous.is_some() {
        AuditAction::ChannelOverwriteUpdate
    } else {
        AuditAction::ChannelOverwriteCreate
    };
    let entry = AuditEntry::new(action, channel_id)
        .diff(
            previous.as_ref().unwrap_or(&Value::Null),
            &overwrite,
            &["id", "type", "allow", "deny"],
        )
        .options(overwrite_options(&overwrite, role_name));
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(Some(guild_id), "CHANNEL_UPDATE", channel)
        .push(logged))
}

/// The `options` of an overwrite entry: `id`, `type` as a string and, for a
/// role, `role_name`.
fn overwrite_options(overwrite: &Value, role_name: Option<Value>) -> Value {
    let kind = overwrite["type"].as_u64().unwrap_or(0);
    let mut options = json!({"id": overwrite["id"], "type": kind.to_string()});
    if let (0, Some(name)) = (kind, role_name) {
        options["role_name"] = name;
    }
    options
}

/// `DELETE /channels/{channel.id}/permissions/{overwrite.id}`: 204
/// (10009 when there is no such overwrite).
pub(crate) fn delete_permission(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let overwrite_id = ctx.params.id("overwrite.id");
    let mut world = ctx.world();
    if world.dm_channels.contains_key(&channel_id) {
        return Err(dm_refused());
    }
    let (guild_id, index) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let state = super::guilds::guild_mut(&mut world, guild_id)?;
    let role_name = state
        .roles
        .iter()
        .find(|r| id_of(r) == overwrite_id)
        .map(|r| r["name"].clone());
    let channel = &mut state.channels[index];
    let Some(list) = channel["permission_overwrites"].as_array_mut() else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownPermissionOverwrite));
    };
    let Some(at) = list.iter().position(|o| id_of(&o["id"]) == overwrite_id) else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownPermissionOverwrite));
    };
    let removed = list.remove(at);
    let channel = channel.clone();
    let entry = AuditEntry::new(AuditAction::ChannelOverwriteDelete, channel_id)
        .diff(&removed, &Value::Null, &["id", "type", "allow", "deny"])
        .options(overwrite_options(&removed, role_name));
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(Some(guild_id), "CHANNEL_UPDATE", channel)
        .push(logged))
}

/// `POST /channels/{channel.id}/typing`: 204; TYPING_START.
pub(crate) fn trigger_typing(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let world = ctx.world();
    let (guild_id, _) = channel_of(&world, channel_id)?;
    let mut d = with_guild(
        json!({
            "channel_id": channel_id.to_string(),
            "user_id": world.bot_user_id().to_string(),
            "timestamp": unix_ms() / 1000,
        }),
        guild_id,
    );
    if let Some(mut member) = guild_id.and_then(|g| world.bot_partial_member(g)) {
        member["user"] = world.bot_public_user();
        d["member"] = member;
    }
    Ok(Reply::no_content().emit(guild_id, "TYPING_START", d))
}

/// `GET /channels/{channel.id}/messages`: `limit` 1-100 (default 50), at
/// most one of `around`/`before`/`after`; newest first.
pub(crate) fn get_messages(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let limit = query_limit(ctx, "limit", 50, 1, 100)?;
    let around = query_id(ctx, "around")?;
    let before = query_id(ctx, "before")?;
    let after = query_id(ctx, "after")?;
    if [around, before, after]
        .iter()
        .filter(|p| p.is_some())
        .count()
        > 1
    {
        return Err(ApiError::field(
            &[],
            "BASE_TYPE_CHOICES",
            "Only one of around, before and after may be given.",
        ));
    }
    let world = ctx.world();
    channel_of(&world, channel_id)?;
    let bot_id = world.bot_user_id();
    let empty = Default::default();
    let messages = world.messages.get(&channel_id).unwrap_or(&empty);
    let mut page: Vec<&StoredMessage> = if let Some(after) = after {
        // The `limit` messages right after `after`.
        messages
            .range(after.saturating_add(1)..)
            .take(limit)
            .map(|(_, m)| m)
            .collect()
    } else if let Some(around) = around {
        let older = limit / 2;
        let newer = limit - older;
        let mut list: Vec<&StoredMessage> = messages
            .range(..around)
            .rev()
            .take(older)
            .map(|(_, m)| m)
            .collect();
        list.reverse();
        list.extend(messages.range(around..).take(newer).map(|(_, m)| m));
        list
    } else {
        let before = before.unwrap_or(u64::MAX);
        let mut list: Vec<&StoredMessage> = messages
            .range(..before)
            .rev()
            .take(limit)
            .map(|(_, m)| m)
            .collect();
        list.reverse();
        list
    };
    page.reverse();
    let list: Vec<Value> = page.iter().map(|m| m.render(bot_id)).collect();
    Ok(Reply::ok(Value::Array(list)))
}

fn stored(world: &World, channel_id: u64, message_id: u64) -> Result<&StoredMessage, ApiError> {
    channel_of(world, channel_id)?;
    world
        .messages
        .get(&channel_id)
        .and_then(|m| m.get(&message_id))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))
}

/// `GET /channels/{channel.id}/messages/{message.id}`.
pub(crate) fn get_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let message = stored(
        &world,
        ctx.params.id("channel.id"),
        ctx.params.id("message.id"),
    )?;
    Ok(Reply::ok(message.render(world.bot_user_id())))
}

/// `POST /channels/{channel.id}/messages`: JSON or multipart; validated
/// (§9); stored; 200 with the message and a MESSAGE_CREATE dispatch.
pub(crate) fn create_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let mut world = ctx.world();
    let (guild_id, channel) = channel_of(&world, channel_id)?;
    match channel["type"].as_u64() {
        Some(15 | 16) => {
            return Err(ApiError::code(
                JsonErrorCode::CannotSendInForum,
                "Cannot send messages in a forum channel",
            ))
        }
        Some(4 | 14) => {
            return Err(ApiError::code(
                JsonErrorCode::NonTextChannel,
                "Cannot send messages in a non-text channel",
            ))
        }
        _ if super::threads::is_archived(&channel) => {
            return Err(ApiError::code(
                JsonErrorCode::ArchivedThread,
                "Thread is archived",
            ))
        }
        _ => {}
    }
    let draft = Draft::checked(
        ctx,
        MessageUse::Create,
        validate::CREATE_MESSAGE_FLAGS,
        true,
    )?;
    let mut stored = build_message(&mut world, &draft, channel_id, guild_id)?;
    if let Some(reference) = draft.field("message_reference") {
        let target = id_of(&reference["message_id"]);
        let target_channel = match id_of(&reference["channel_id"]) {
            0 => channel_id,
            other => other,
        };
        let found = world
            .messages
            .get(&target_channel)
            .and_then(|m| m.get(&target))
            .map(|m| m.render(world.bot_user_id()));
        let forward = reference["type"].as_u64() == Some(1);
        match found {
            Some(referenced) => {
                stored.message["message_reference"] = json!({
                    "type": if forward { 1 } else { 0 },
                    "message_id": target.to_string(),
                    "channel_id": target_channel.to_string(),
                });
                stored.message["message_reference"] =
                    with_guild(stored.message["message_reference"].take(), guild_id);
                if !forward {
                    stored.message["type"] = json!(19);
                    stored.message["referenced_message"] = referenced;
                }
            }
            None if reference["fail_if_not_exists"].as_bool() == Some(false) => {}
            None => {
                return Err(ApiError::field(
                    &["message_reference"],
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                ))
            }
        }
    }
    let message = stored.message.clone();
    post_message(&mut world, channel_id, stored);
    let event = message_event(&world, &message, guild_id);
    Ok(Reply::ok(message).emit(guild_id, "MESSAGE_CREATE", event))
}

/// Stores a new message in its channel, whoever sent it (the bot, a
/// webhook, an interaction response): the channel's `last_message_id`
/// moves to it, and a thread counts it (§8.5).
pub(crate) fn post_message(world: &mut World, channel_id: u64, stored: StoredMessage) {
    let message_id = id_of(&stored.message["id"]);
    world
        .messages
        .entry(channel_id)
        .or_default()
        .insert(message_id, stored);
    if let Some((gid, index)) = world.find_channel(channel_id) {
        if let Some(channel) = world
            .guilds
            .get_mut(&gid)
            .and_then(|g| g.channels.get_mut(index))
        {
            channel["last_message_id"] = json!(message_id.to_string());
            if super::threads::is_thread(channel) {
                for key in ["message_count", "total_message_sent"] {
                    channel[key] = json!(channel[key].as_u64().unwrap_or(0).saturating_add(1));
                }
            }
        }
    } else if let Some(dm) = world.dm_channels.get_mut(&channel_id) {
        dm["last_message_id"] = json!(message_id.to_string());
    }
}

/// `PATCH /channels/{channel.id}/messages/{message.id}`: only the bot's
/// own messages (else 50005); MESSAGE_UPDATE.
pub(crate) fn edit_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let mut world = ctx.world();
    let (guild_id, _) = channel_of(&world, channel_id)?;
    let bot_id = world.bot_user_id();
    let mut current = stored(&world, channel_id, message_id)?.clone();
    if id_of(&current.message["author"]) != bot_id {
        return Err(ApiError::code(
            JsonErrorCode::CannotEditOthersMessage,
            "Cannot edit a message authored by another user",
        ));
    }
    let draft = Draft::checked(ctx, MessageUse::Edit, validate::EDIT_MESSAGE_FLAGS, true)?;
    edit_stored(&mut world, &mut current.message, &draft, guild_id)?;
    let rendered = current.render(bot_id);
    let event = message_event(&world, &rendered, guild_id);
    if let Some(messages) = world.messages.get_mut(&channel_id) {
        messages.insert(message_id, current);
    }
    Ok(Reply::ok(rendered).emit(guild_id, "MESSAGE_UPDATE", event))
}

/// CROSSPOSTED message flag (§8.6).
const CROSSPOSTED: u64 = 1;

/// `POST /channels/{channel.id}/messages/{message.id}/crosspost`: only in
/// an announcement channel (type 5, else 400 / 50024), once (else 400 /
/// 40033); 200 with the message, now flagged CROSSPOSTED; MESSAGE_UPDATE.
pub(crate) fn crosspost(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let mut world = ctx.world();
    let (guild_id, channel) = channel_of(&world, channel_id)?;
    if channel["type"].as_u64() != Some(5) {
        return Err(ApiError::code(
            JsonErrorCode::InvalidChannelType,
            "Cannot execute action on this channel type",
        ));
    }
    let bot_id = world.bot_user_id();
    let mut current = stored(&world, channel_id, message_id)?.clone();
    let flags = current.message["flags"].as_u64().unwrap_or(0);
    if flags & CROSSPOSTED != 0 {
        return Err(ApiError::code(
            JsonErrorCode::AlreadyCrossposted,
            "This message has already been crossposted.",
        ));
    }
    current.message["flags"] = json!(flags | CROSSPOSTED);
    let rendered = current.render(bot_id);
    let event = message_event(&world, &rendered, guild_id);
    if let Some(messages) = world.messages.get_mut(&channel_id) {
        messages.insert(message_id, current);
    }
    Ok(Reply::ok(rendered).emit(guild_id, "MESSAGE_UPDATE", event))
}

/// `DELETE /channels/{channel.id}/messages/{message.id}`: 204;
/// MESSAGE_DELETE.
pub(crate) fn delete_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let mut world = ctx.world();
    let (guild_id, _) = channel_of(&world, channel_id)?;
    let removed = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.remove(&message_id))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMessage))?;
    let mut reply = Reply::no_content().emit(
        guild_id,
        "MESSAGE_DELETE",
        with_guild(
            json!({
                "id": message_id.to_string(),
                "channel_id": channel_id.to_string(),
            }),
            guild_id,
        ),
    );
    // Deleting someone else's message is a moderator action: it goes to
    // the audit log (its author as target); deleting one's own is not.
    let author = &removed.message["author"];
    let by_other =
        id_of(author) != world.bot_user_id() && removed.message.get("webhook_id").is_none();
    if let (Some(guild_id), true) = (guild_id, by_other) {
        let entry = AuditEntry::new(AuditAction::MessageDelete, id_of(author))
            .target_user(author)
            .options(json!({"channel_id": channel_id.to_string(), "count": "1"}));
        let reason = ctx.audit_reason.as_deref();
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
}

/// `POST /channels/{channel.id}/messages/bulk-delete`: `{messages}` with
/// 2-100 distinct ids (50016), none older than 14 days (50034); 204;
/// MESSAGE_DELETE_BULK.
pub(crate) fn bulk_delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let Some(list) = ctx.json()["messages"].as_array() else {
        return Err(ApiError::field(
            &["messages"],
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let mut ids: Vec<u64> = list.iter().map(id_of).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    if !BULK_DELETE_RANGE.contains(&count) || ids.len() != count || ids.contains(&0) {
        return Err(ApiError::code(
            JsonErrorCode::BulkDeleteCount,
            "You can only bulk delete messages that are under 14 days old and 2-100 distinct ids.",
        ));
    }
    let oldest_allowed = unix_ms()
        .saturating_sub(u64::try_from(BULK_DELETE_MAX_AGE.as_millis()).unwrap_or(u64::MAX));
    if ids
        .iter()
        .any(|id| fixtures::snowflake_unix_ms(*id) < oldest_allowed)
    {
        return Err(ApiError::code(
            JsonErrorCode::MessageTooOldToBulkDelete,
            "A message provided was too old to bulk delete",
        ));
    }
    let mut world = ctx.world();
    let (Some(guild_id), _) = channel_of(&world, channel_id)? else {
        return Err(dm_refused());
    };
    let mut deleted = Vec::new();
    if let Some(messages) = world.messages.get_mut(&channel_id) {
        for id in &ids {
            if messages.remove(id).is_some() {
                deleted.push(id.to_string());
            }
        }
    }
    let entry = AuditEntry::new(AuditAction::MessageBulkDelete, channel_id)
        .options(json!({"count": deleted.len().to_string()}));
    let logged = audit_log::record(&mut world, guild_id, entry, ctx.audit_reason.as_deref());
    Ok(Reply::no_content()
        .emit(
            Some(guild_id),
            "MESSAGE_DELETE_BULK",
            json!({
                "ids": deleted,
                "channel_id": channel_id.to_string(),
                "guild_id": guild_id.to_string(),
            }),
        )
        .push(logged))
}

/// Pins per channel (§9, 30003).
const MAX_PINS: usize = 250;

/// `GET /channels/{channel.id}/messages/pins` (`before` ISO 8601, `limit`
/// 1-50): `{items: [{pinned_at, message}], has_more}`, newest pin first;
/// with `deprecated`, `GET /channels/{channel.id}/pins`: the first 50
/// pinned messages.
pub(crate) fn get_pins(ctx: &mut Ctx<'_>, deprecated: bool) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let limit = if deprecated {
        50
    } else {
        query_limit(ctx, "limit", 50, 1, 50)?
    };
    let before = match ctx.query("before").filter(|_| !deprecated) {
        None => u64::MAX,
        Some(text) => fixtures::parse_iso8601(text).ok_or_else(|| {
            ApiError::field(
                &["before"],
                "DATE_TIME_TYPE_PARSE",
                "Could not interpret the value as an ISO8601 timestamp.",
            )
        })?,
    };
    let world = ctx.world();
    channel_of(&world, channel_id)?;
    let bot_id = world.bot_user_id();
    let pins = world.pins.get(&channel_id).map_or(&[][..], Vec::as_slice);
    let mut older: Vec<(u64, u64)> = pins
        .iter()
        .copied()
        .filter(|(_, at)| *at < before)
        .collect();
    older.reverse();
    let has_more = older.len() > limit;
    let items: Vec<(Value, u64)> = older
        .into_iter()
        .take(limit)
        .filter_map(|(id, at)| {
            let message = world.messages.get(&channel_id)?.get(&id)?;
            Some((message.render(bot_id), at))
        })
        .collect();
    if deprecated {
        let list: Vec<Value> = items.into_iter().map(|(m, _)| m).collect();
        return Ok(Reply::ok(Value::Array(list)));
    }
    let list: Vec<Value> = items
        .into_iter()
        .map(|(message, at)| json!({"pinned_at": fixtures::iso8601(at), "message": message}))
        .collect();
    Ok(Reply::ok(json!({"items": list, "has_more": has_more})))
}

/// `PUT`/`DELETE /channels/{channel.id}/messages/pins/{message.id}` (and
/// the deprecated `/pins/{message.id}`): 204; CHANNEL_PINS_UPDATE.
pub(crate) fn pin(ctx: &mut Ctx<'_>, pinned: bool) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let mut world = ctx.world();
    let (guild_id, _) = channel_of(&world, channel_id)?;
    stored(&world, channel_id, message_id)?;
    let now = unix_ms();
    let pins = world.pins.entry(channel_id).or_default();
    let already = pins.iter().any(|(id, _)| *id == message_id);
    if pinned == already {
        return Ok(Reply::no_content());
    }
    if pinned {
        if pins.len() >= MAX_PINS {
            return Err(ApiError::code(
                JsonErrorCode::MaxPins,
                "Maximum number of pins reached for the channel (250)",
            ));
        }
        pins.push((message_id, now));
    } else {
        pins.retain(|(id, _)| *id != message_id);
    }
    let last_pin = pins.last().map(|(_, at)| fixtures::iso8601(*at));
    let mut author = Value::Null;
    if let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    {
        stored.message["pinned"] = json!(pinned);
        author = stored.message["author"].clone();
    }
    let d = with_guild(
        json!({"channel_id": channel_id.to_string(), "last_pin_timestamp": last_pin}),
        guild_id,
    );
    let mut reply = Reply::no_content().emit(guild_id, "CHANNEL_PINS_UPDATE", d);
    if let Some(guild_id) = guild_id {
        let action = if pinned {
            AuditAction::MessagePin
        } else {
            AuditAction::MessageUnpin
        };
        let entry = AuditEntry::new(action, id_of(&author))
            .target_user(&author)
            .options(json!({
                "channel_id": channel_id.to_string(),
                "message_id": message_id.to_string(),
            }));
        let reason = ctx.audit_reason.as_deref();
        reply = reply.push(audit_log::record(&mut world, guild_id, entry, reason));
    }
    Ok(reply)
}

/// Parses a reaction emoji path segment (already percent-decoded): a
/// Unicode emoji, or `name:id` of a custom emoji of the guild (§8.9).
fn parse_emoji(
    world: &World,
    guild_id: Option<u64>,
    raw: &str,
) -> Result<(String, Value), ApiError> {
    let unknown = || ApiError::unknown(JsonErrorCode::UnknownEmoji);
    if let Some((name, id)) = raw.rsplit_once(':') {
        let id: u64 = id.parse().map_err(|_| unknown())?;
        let emoji = guild_id
            .and_then(|g| world.guilds.get(&g))
            .and_then(|g| g.guild["emojis"].as_array())
            .and_then(|emojis| emojis.iter().find(|e| id_of(&e["id"]) == id))
            .ok_or_else(unknown)?;
        let name = if name.is_empty() {
            emoji["name"].as_str().unwrap_or("")
        } else {
            name
        };
        let partial = json!({
            "id": id.to_string(),
            "name": name,
            "animated": emoji["animated"].as_bool().unwrap_or(false),
        });
        return Ok((format!("{name}:{id}"), partial));
    }
    if raw.is_empty() || raw.is_ascii() {
        return Err(unknown());
    }
    Ok((raw.to_owned(), json!({"id": null, "name": raw})))
}

/// Everything a reaction route needs: guild, message and emoji.
fn reaction_target(ctx: &Ctx<'_>, world: &World) -> Result<(Option<u64>, u64, u64), ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let (guild_id, _) = channel_of(world, channel_id)?;
    stored(world, channel_id, message_id)?;
    Ok((guild_id, channel_id, message_id))
}

fn reaction_event(
    guild_id: Option<u64>,
    channel_id: u64,
    message_id: u64,
    user_id: u64,
    emoji: &Value,
) -> Value {
    with_guild(
        json!({
            "user_id": user_id.to_string(),
            "channel_id": channel_id.to_string(),
            "message_id": message_id.to_string(),
            "emoji": emoji,
            "burst": false,
            "type": 0,
        }),
        guild_id,
    )
}

/// `PUT .../reactions/{emoji}/@me`: 204; MESSAGE_REACTION_ADD.
pub(crate) fn create_reaction(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (guild_id, channel_id, message_id) = reaction_target(ctx, &world)?;
    let (key, emoji) = parse_emoji(&world, guild_id, ctx.params.raw("emoji"))?;
    let bot_id = world.bot_user_id();
    let member = guild_id
        .and_then(|g| world.bot_partial_member(g))
        .map(|mut m| {
            m["user"] = world.bot_public_user();
            m
        });
    let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMessage));
    };
    let author = stored.message["author"]["id"].clone();
    let count = stored.reactions.len();
    match stored.reactions.iter_mut().find(|r| r.key == key) {
        Some(reaction) if reaction.users.contains(&bot_id) => return Ok(Reply::no_content()),
        Some(reaction) => reaction.users.push(bot_id),
        None if count >= MAX_REACTIONS => {
            return Err(ApiError::code(
                JsonErrorCode::MaxReactions,
                "Maximum number of reactions reached (20)",
            ))
        }
        None => stored.reactions.push(Reaction {
            key,
            emoji: emoji.clone(),
            users: vec![bot_id],
        }),
    }
    let mut d = reaction_event(guild_id, channel_id, message_id, bot_id, &emoji);
    d["message_author_id"] = author;
    d["burst_colors"] = json!([]);
    if let Some(member) = member {
        d["member"] = member;
    }
    Ok(Reply::no_content().emit(guild_id, "MESSAGE_REACTION_ADD", d))
}

/// `DELETE .../reactions/{emoji}/@me` and `.../{user.id}`: 204;
/// MESSAGE_REACTION_REMOVE.
pub(crate) fn delete_reaction(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (guild_id, channel_id, message_id) = reaction_target(ctx, &world)?;
    let (key, emoji) = parse_emoji(&world, guild_id, ctx.params.raw("emoji"))?;
    let user_id = if ctx.params.has("user.id") {
        ctx.params.id("user.id")
    } else {
        world.bot_user_id()
    };
    let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMessage));
    };
    let Some(index) = stored
        .reactions
        .iter()
        .position(|r| r.key == key && r.users.contains(&user_id))
    else {
        return Ok(Reply::no_content());
    };
    stored.reactions[index].users.retain(|u| *u != user_id);
    if stored.reactions[index].users.is_empty() {
        stored.reactions.remove(index);
    }
    let d = reaction_event(guild_id, channel_id, message_id, user_id, &emoji);
    Ok(Reply::no_content().emit(guild_id, "MESSAGE_REACTION_REMOVE", d))
}

/// `GET .../reactions/{emoji}`: users, `after`, `limit` 1-100 (default 25),
/// `type` 0 normal / 1 burst.
pub(crate) fn get_reactions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let limit = query_limit(ctx, "limit", 25, 1, 100)?;
    let after = query_id(ctx, "after")?.unwrap_or(0);
    let burst = ctx.query("type") == Some("1");
    let world = ctx.world();
    let (guild_id, channel_id, message_id) = reaction_target(ctx, &world)?;
    let (key, _) = parse_emoji(&world, guild_id, ctx.params.raw("emoji"))?;
    let stored = stored(&world, channel_id, message_id)?;
    let mut users: Vec<u64> = if burst {
        Vec::new()
    } else {
        stored
            .reactions
            .iter()
            .find(|r| r.key == key)
            .map(|r| r.users.clone())
            .unwrap_or_default()
    };
    users.sort_unstable();
    let list: Vec<Value> = users
        .into_iter()
        .filter(|u| *u > after)
        .take(limit)
        .filter_map(|u| world.find_user(u))
        .collect();
    Ok(Reply::ok(Value::Array(list)))
}

/// `DELETE .../reactions` and `.../reactions/{emoji}`: 204;
/// MESSAGE_REACTION_REMOVE_ALL / _EMOJI.
pub(crate) fn delete_all_reactions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let (guild_id, channel_id, message_id) = reaction_target(ctx, &world)?;
    let only = if ctx.params.has("emoji") {
        Some(parse_emoji(&world, guild_id, ctx.params.raw("emoji"))?)
    } else {
        None
    };
    let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    else {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMessage));
    };
    let mut d = with_guild(
        json!({
            "channel_id": channel_id.to_string(),
            "message_id": message_id.to_string(),
        }),
        guild_id,
    );
    let name = match &only {
        Some((key, emoji)) => {
            stored.reactions.retain(|r| &r.key != key);
            d["emoji"] = emoji.clone();
            "MESSAGE_REACTION_REMOVE_EMOJI"
        }
        None => {
            stored.reactions.clear();
            "MESSAGE_REACTION_REMOVE_ALL"
        }
    };
    Ok(Reply::no_content().emit(guild_id, name, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found() {
        let (users, roles) = mention_ids("hi <@1> and <@!2>, <@&3> <@x> <@4");
        assert_eq!(users, vec![1, 2]);
        assert_eq!(roles, vec![3]);
        assert_eq!(encode_path("a b.png"), "a%20b.png");
    }
}
