//! Threads (discord-protocol.md §8.5, §11.3): started from a message,
//! without one, or in a forum with a starter message; joined, left,
//! listed, archived through Modify Channel.
//!
//! Threads live in their guild's channel list (so messages, reactions and
//! pins work in them) but are left out of `GET /guilds/{id}/channels`,
//! as documented, and go to GUILD_CREATE's `threads`.

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::audit_log::{self, AuditAction, AuditEntry};
use super::channels::{build_message, message_event, Draft};
use super::error::{ApiError, FormErrors};
use super::guilds::guild_mut;
use super::users::{query_id, query_limit};
use super::validate::{self, MessageUse};
use super::{Ctx, Reply};
use crate::fixtures;
use crate::world::{id_of, World};

/// Valid `auto_archive_duration`s in minutes (§9).
const ARCHIVE_DURATIONS: [u64; 4] = [60, 1440, 4320, 10080];
/// HAS_THREAD message flag.
const HAS_THREAD: u64 = 1 << 5;

/// Whether a channel object is a thread (types 10, 11, 12).
pub(crate) fn is_thread(channel: &Value) -> bool {
    matches!(channel["type"].as_u64(), Some(10..=12))
}

/// Whether a channel is an archived thread.
pub(crate) fn is_archived(channel: &Value) -> bool {
    channel["thread_metadata"]["archived"] == true
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn validate_thread(body: &Value) -> Result<(), ApiError> {
    let mut errors = FormErrors::default();
    if !body["name"].is_string() {
        errors.add(&["name"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    validate::length(&mut errors, body, "name", 1, 100);
    validate::range(&mut errors, body, "rate_limit_per_user", 0, 21_600);
    if let Some(duration) = body.get("auto_archive_duration").filter(|v| !v.is_null()) {
        if !duration
            .as_u64()
            .is_some_and(|d| ARCHIVE_DURATIONS.contains(&d))
        {
            errors.add(
                &["auto_archive_duration"],
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            );
        }
    }
    errors.finish()
}

struct NewThread<'a> {
    id: u64,
    guild_id: u64,
    parent: &'a Value,
    kind: u64,
    body: &'a Value,
}

fn thread_object(world: &World, spec: &NewThread<'_>) -> Value {
    let now = now_ms();
    let archive = spec.body["auto_archive_duration"]
        .as_u64()
        .or_else(|| spec.parent["default_auto_archive_duration"].as_u64())
        .unwrap_or(1440);
    let mut thread = json!({
        "id": spec.id.to_string(),
        "type": spec.kind,
        "guild_id": spec.guild_id.to_string(),
        "parent_id": spec.parent["id"],
        "owner_id": world.bot_user_id().to_string(),
        "name": spec.body["name"],
        "last_message_id": null,
        "last_pin_timestamp": null,
        "rate_limit_per_user": spec.body["rate_limit_per_user"].as_u64().unwrap_or(0),
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": false,
            "auto_archive_duration": archive,
            "archive_timestamp": fixtures::iso8601(now),
            "locked": false,
            "create_timestamp": fixtures::iso8601(now),
        },
        "member": {
            "id": spec.id.to_string(),
            "user_id": world.bot_user_id().to_string(),
            "join_timestamp": fixtures::iso8601(now),
            "flags": 1,
        },
    });
    if spec.kind == 12 {
        thread["thread_metadata"]["invitable"] =
            json!(spec.body["invitable"].as_bool().unwrap_or(true));
    }
    if let Some(tags) = spec.body.get("applied_tags") {
        thread["applied_tags"] = tags.clone();
    }
    thread
}

/// Inserts a thread and makes the bot its first member.
fn insert_thread(world: &mut World, guild_id: u64, thread: &Value) -> Result<(), ApiError> {
    let id = id_of(thread);
    let bot_id = world.bot_user_id();
    guild_mut(world, guild_id)?.channels.push(thread.clone());
    world.thread_members.insert(id, vec![(bot_id, now_ms())]);
    Ok(())
}

fn created_event(thread: &Value) -> Value {
    let mut d = thread.clone();
    d["newly_created"] = json!(true);
    d
}

/// The THREAD_CREATE audit-log entry of a new thread.
fn created_entry(thread: &Value) -> AuditEntry {
    AuditEntry::new(AuditAction::ThreadCreate, id_of(thread))
        .diff(
            &Value::Null,
            thread,
            &[
                "name",
                "type",
                "rate_limit_per_user",
                "flags",
                "applied_tags",
            ],
        )
        .diff(
            &Value::Null,
            &thread["thread_metadata"],
            &["archived", "locked", "auto_archive_duration", "invitable"],
        )
}

fn text_parent(world: &World, channel_id: u64) -> Result<(u64, Value), ApiError> {
    let (guild_id, _) = world
        .find_channel(channel_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    let parent = world
        .channel(channel_id)
        .cloned()
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownChannel))?;
    Ok((guild_id, parent))
}

fn invalid_type() -> ApiError {
    ApiError::code(
        JsonErrorCode::InvalidChannelType,
        "Cannot execute action on this channel type",
    )
}

/// `POST /channels/{channel.id}/messages/{message.id}/threads`: the thread
/// takes the message's id; 160004 if the message already has one.
pub(crate) fn start_from_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let message_id = ctx.params.id("message.id");
    let body = ctx.json();
    validate_thread(body)?;
    let mut world = ctx.world();
    let (guild_id, parent) = text_parent(&world, channel_id)?;
    let kind = match parent["type"].as_u64() {
        Some(0) => 11,
        Some(5) => 10,
        _ => return Err(invalid_type()),
    };
    if !world
        .messages
        .get(&channel_id)
        .is_some_and(|m| m.contains_key(&message_id))
    {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMessage));
    }
    if world.find_channel(message_id).is_some() {
        return Err(ApiError::code(
            JsonErrorCode::ThreadAlreadyExists,
            "A thread has already been created for this message",
        ));
    }
    let spec = NewThread {
        id: message_id,
        guild_id,
        parent: &parent,
        kind,
        body,
    };
    let thread = thread_object(&world, &spec);
    insert_thread(&mut world, guild_id, &thread)?;
    if let Some(stored) = world
        .messages
        .get_mut(&channel_id)
        .and_then(|m| m.get_mut(&message_id))
    {
        let flags = stored.message["flags"].as_u64().unwrap_or(0);
        stored.message["flags"] = json!(flags | HAS_THREAD);
        stored.message["thread"] = thread.clone();
    }
    let logged = audit_log::record(
        &mut world,
        guild_id,
        created_entry(&thread),
        ctx.audit_reason.as_deref(),
    );
    Ok(Reply::ok(thread.clone())
        .emit(Some(guild_id), "THREAD_CREATE", created_event(&thread))
        .push(logged))
}

/// `POST /channels/{channel.id}/threads`: a thread without a message
/// (`type` 10/11/12, default 12), or in a forum/media channel a thread with
/// its starter `message`.
pub(crate) fn start_without_message(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let origin = ctx.origin();
    let body = ctx.json();
    validate_thread(body)?;
    let mut world = ctx.world();
    let (guild_id, parent) = text_parent(&world, channel_id)?;
    let parent_type = parent["type"].as_u64().unwrap_or(0);
    let forum = matches!(parent_type, 15 | 16);
    let kind = if forum {
        11
    } else {
        let kind = body["type"].as_u64().unwrap_or(12);
        match (parent_type, kind) {
            (0, 11 | 12) | (5, 10) => kind,
            (0 | 5, _) => {
                return Err(ApiError::field(
                    &["type"],
                    "BASE_TYPE_CHOICES",
                    "Invalid thread type for this channel.",
                ))
            }
            _ => return Err(invalid_type()),
        }
    };
    if forum {
        let message = body.get("message").cloned().unwrap_or(Value::Null);
        validate::message(
            &message,
            ctx.body.files.len(),
            MessageUse::Create,
            validate::CREATE_MESSAGE_FLAGS,
        )
        .map_err(|mut error| {
            if let Some(errors) = error.body.get_mut("errors").map(Value::take) {
                error.body["errors"] = json!({"message": errors});
            }
            error
        })?;
    }
    let id = world.next_id();
    let spec = NewThread {
        id,
        guild_id,
        parent: &parent,
        kind,
        body,
    };
    let mut thread = thread_object(&world, &spec);
    insert_thread(&mut world, guild_id, &thread)?;
    let mut reply = Reply::ok(Value::Null);
    if forum {
        let message = body.get("message").cloned().unwrap_or(Value::Null);
        let draft = Draft {
            body: &message,
            files: &ctx.body.files,
            origin,
            parse_all_by_default: true,
        };
        let mut stored = build_message(&mut world, &draft, id, Some(guild_id))?;
        // The starter message has the thread's id.
        stored.message["id"] = json!(id.to_string());
        stored.message["timestamp"] = json!(fixtures::timestamp_of(id));
        let message = stored.message.clone();
        world.messages.entry(id).or_default().insert(id, stored);
        thread["message"] = message.clone();
        thread["message_count"] = json!(1);
        thread["total_message_sent"] = json!(1);
        thread["last_message_id"] = json!(id.to_string());
        if let Some(slot) = world
            .guilds
            .get_mut(&guild_id)
            .and_then(|g| g.channels.iter_mut().find(|c| id_of(c) == id))
        {
            let mut stored_thread = thread.clone();
            if let Some(obj) = stored_thread.as_object_mut() {
                obj.remove("message");
            }
            *slot = stored_thread;
        }
        let event = message_event(&world, &message, Some(guild_id));
        reply = reply.emit(Some(guild_id), "THREAD_CREATE", created_event(&thread));
        reply = reply.emit(Some(guild_id), "MESSAGE_CREATE", event);
    } else {
        reply = reply.emit(Some(guild_id), "THREAD_CREATE", created_event(&thread));
    }
    let logged = audit_log::record(
        &mut world,
        guild_id,
        created_entry(&thread),
        ctx.audit_reason.as_deref(),
    );
    reply = reply.push(logged);
    reply.body = Some(thread);
    Ok(reply)
}

fn thread_of(world: &World, channel_id: u64) -> Result<(u64, Value), ApiError> {
    let (guild_id, channel) = text_parent(world, channel_id)?;
    if !is_thread(&channel) {
        return Err(invalid_type());
    }
    Ok((guild_id, channel))
}

fn thread_member(thread_id: u64, user_id: u64, joined_ms: u64) -> Value {
    json!({
        "id": thread_id.to_string(),
        "user_id": user_id.to_string(),
        "join_timestamp": fixtures::iso8601(joined_ms),
        "flags": 0,
    })
}

/// Most members a thread can have (§1.8: 30033).
const MAX_THREAD_MEMBERS: usize = 1000;
/// `member_count` on a thread stops counting at 50 (§8.5).
const MEMBER_COUNT_CAP: usize = 50;

/// A guild member object (with `user`), if the user is a member.
fn guild_member(world: &World, guild_id: u64, user_id: u64) -> Option<Value> {
    let guild = world.guilds.get(&guild_id)?;
    guild.members.get(guild.member_index(user_id)?).cloned()
}

/// A thread member as THREAD_MEMBERS_UPDATE's `added_members` carry it:
/// with the guild `member` and the `presence` (null when offline).
fn added_member(world: &World, guild_id: u64, thread_id: u64, user_id: u64, joined: u64) -> Value {
    let mut member = thread_member(thread_id, user_id, joined);
    member["member"] = guild_member(world, guild_id, user_id).unwrap_or(Value::Null);
    member["presence"] = world
        .guilds
        .get(&guild_id)
        .and_then(|g| {
            g.presences
                .iter()
                .find(|p| id_of(&p["user"]) == user_id)
                .cloned()
        })
        .unwrap_or(Value::Null);
    member
}

/// `PUT`/`DELETE /channels/{channel.id}/thread-members/@me` (join, leave)
/// and `/thread-members/{user.id}` (add, remove another guild member;
/// 10007 for someone outside the guild): 204, also when nothing changes;
/// THREAD_MEMBERS_UPDATE when membership changed, and THREAD_CREATE with
/// the bot's thread `member` when the bot joined. All four refuse an
/// archived thread (50083).
pub(crate) fn membership(ctx: &mut Ctx<'_>, add: bool) -> Result<Reply, ApiError> {
    let thread_id = ctx.params.id("channel.id");
    let mut world = ctx.world();
    let bot_id = world.bot_user_id();
    let user_id = if ctx.params.has("user.id") {
        ctx.params.id("user.id")
    } else {
        bot_id
    };
    let (guild_id, thread) = thread_of(&world, thread_id)?;
    if is_archived(&thread) {
        return Err(ApiError::code(
            JsonErrorCode::ArchivedThread,
            "Thread is archived",
        ));
    }
    if guild_member(&world, guild_id, user_id).is_none() {
        return Err(ApiError::unknown(JsonErrorCode::UnknownMember));
    }
    let now = now_ms();
    let count = {
        let members = world.thread_members.entry(thread_id).or_default();
        let present = members.iter().any(|(u, _)| *u == user_id);
        match (add, present) {
            (true, false) if members.len() >= MAX_THREAD_MEMBERS => {
                return Err(ApiError::code(
                    JsonErrorCode::MaxThreadParticipants,
                    "Maximum number of thread participants reached (1000)",
                ))
            }
            (true, false) => members.push((user_id, now)),
            (false, true) => members.retain(|(u, _)| *u != user_id),
            _ => return Ok(Reply::no_content()),
        }
        members.len()
    };
    let mut d = json!({
        "id": thread_id.to_string(),
        "guild_id": guild_id.to_string(),
        "member_count": count.min(MEMBER_COUNT_CAP),
    });
    if add {
        d["added_members"] = json!([added_member(&world, guild_id, thread_id, user_id, now)]);
    } else {
        d["removed_member_ids"] = json!([user_id.to_string()]);
    }
    let channel = world
        .guilds
        .get_mut(&guild_id)
        .and_then(|g| g.channels.iter_mut().find(|c| id_of(c) == thread_id));
    let mut joined_thread = None;
    if let Some(channel) = channel {
        channel["member_count"] = json!(count.min(MEMBER_COUNT_CAP));
        if user_id == bot_id {
            if add {
                channel["member"] = thread_member(thread_id, bot_id, now);
                joined_thread = Some(channel.clone());
            } else if let Some(obj) = channel.as_object_mut() {
                obj.remove("member");
            }
        }
    }
    let mut reply = Reply::no_content().emit(Some(guild_id), "THREAD_MEMBERS_UPDATE", d);
    if let Some(thread) = joined_thread {
        reply = reply.emit(Some(guild_id), "THREAD_CREATE", thread);
    }
    Ok(reply)
}

/// `GET /channels/{channel.id}/thread-members/{user.id}` (`with_member`
/// adds the guild `member`): 404 / 10007 when the user is not in the
/// thread.
pub(crate) fn get_member(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let thread_id = ctx.params.id("channel.id");
    let user_id = ctx.params.id("user.id");
    let with_member = ctx.query_bool("with_member");
    let world = ctx.world();
    let (guild_id, _) = thread_of(&world, thread_id)?;
    let (_, joined) = world
        .thread_members
        .get(&thread_id)
        .and_then(|m| m.iter().find(|(u, _)| *u == user_id))
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownMember))?;
    let mut member = thread_member(thread_id, user_id, *joined);
    if with_member {
        member["member"] = guild_member(&world, guild_id, user_id).unwrap_or(Value::Null);
    }
    Ok(Reply::ok(member))
}

/// `GET /channels/{channel.id}/thread-members`: every member by user id;
/// with `with_member=true` each carries its guild `member` and the list is
/// paginated (`after` a user id, `limit` 1-100, default 100), as Discord
/// does before API v11.
pub(crate) fn list_members(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let thread_id = ctx.params.id("channel.id");
    let with_member = ctx.query_bool("with_member");
    let after = query_id(ctx, "after")?.unwrap_or(0);
    let limit = query_limit(ctx, "limit", 100, 1, 100)?;
    let world = ctx.world();
    let (guild_id, _) = thread_of(&world, thread_id)?;
    let mut members: Vec<(u64, u64)> = world
        .thread_members
        .get(&thread_id)
        .cloned()
        .unwrap_or_default();
    members.sort_unstable();
    let page = members
        .into_iter()
        .filter(|(user, _)| !with_member || *user > after)
        .take(if with_member { limit } else { usize::MAX });
    let list: Vec<Value> = page
        .map(|(user, at)| {
            let mut member = thread_member(thread_id, user, at);
            if with_member {
                member["member"] = guild_member(&world, guild_id, user).unwrap_or(Value::Null);
            }
            member
        })
        .collect();
    Ok(Reply::ok(Value::Array(list)))
}

/// `GET /channels/{channel.id}/threads/archived/public` (announcement or
/// public threads of a text, announcement, forum or media channel) and
/// `/archived/private` (private threads): `before` (ISO 8601) and `limit`
/// (1-100, default 50); `{threads, members, has_more}`, the most recently
/// archived first, `members` holding the bot's thread member of each
/// returned thread it is in.
pub(crate) fn archived(ctx: &mut Ctx<'_>, private: bool) -> Result<Reply, ApiError> {
    let channel_id = ctx.params.id("channel.id");
    let limit = query_limit(ctx, "limit", 50, 1, 100)?;
    let before = match ctx.query("before") {
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
    let (guild_id, parent) = text_parent(&world, channel_id)?;
    let kind: u64 = match (private, parent["type"].as_u64()) {
        (false, Some(5)) => 10,
        (false, Some(0 | 15 | 16)) => 11,
        (true, Some(0 | 5 | 15 | 16)) => 12,
        _ => return Err(invalid_type()),
    };
    let guild = world
        .guilds
        .get(&guild_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownGuild))?;
    let mut found: Vec<(u64, u64, &Value)> = guild
        .channels
        .iter()
        .filter(|c| {
            is_archived(c)
                && c["type"].as_u64() == Some(kind)
                && id_of(&c["parent_id"]) == channel_id
        })
        .filter_map(|c| {
            let at = c["thread_metadata"]["archive_timestamp"]
                .as_str()
                .and_then(fixtures::parse_iso8601)
                .unwrap_or(0);
            (at < before).then_some((at, id_of(c), c))
        })
        .collect();
    found.sort_unstable_by_key(|(at, id, _)| std::cmp::Reverse((*at, *id)));
    let has_more = found.len() > limit;
    found.truncate(limit);
    let bot_id = world.bot_user_id();
    let members: Vec<Value> = found
        .iter()
        .filter_map(|(_, id, _)| {
            let (_, at) = world
                .thread_members
                .get(id)?
                .iter()
                .find(|(u, _)| *u == bot_id)?;
            Some(thread_member(*id, bot_id, *at))
        })
        .collect();
    let threads: Vec<Value> = found.into_iter().map(|(_, _, t)| t.clone()).collect();
    Ok(Reply::ok(
        json!({"threads": threads, "members": members, "has_more": has_more}),
    ))
}

/// `GET /guilds/{guild.id}/threads/active`: `{threads, members}` (the
/// bot's thread members).
pub(crate) fn active(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let guild_id = ctx.params.id("guild.id");
    let world = ctx.world();
    let guild = world
        .guilds
        .get(&guild_id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownGuild))?;
    let bot_id = world.bot_user_id();
    let threads: Vec<Value> = guild
        .channels
        .iter()
        .filter(|c| is_thread(c) && !is_archived(c))
        .cloned()
        .collect();
    let members: Vec<Value> = threads
        .iter()
        .filter_map(|t| {
            let id = id_of(t);
            let (_, at) = world
                .thread_members
                .get(&id)?
                .iter()
                .find(|(u, _)| *u == bot_id)?;
            Some(thread_member(id, bot_id, *at))
        })
        .collect();
    Ok(Reply::ok(json!({"threads": threads, "members": members})))
}
