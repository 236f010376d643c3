//! The guild audit log (discord-protocol.md §1.4, §11.2; Discord's Audit
//! Log resource).
//!
//! 1. A handler that changes a guild records what it did with [`record`]:
//!    an entry with the bot as `user_id`, the target, the `changes` (only
//!    the keys that changed; an absent `old_value` means it was null, an
//!    absent `new_value` that it became null) and the percent-decoded
//!    `X-Audit-Log-Reason` as `reason`. [`record`] hands back the
//!    GUILD_AUDIT_LOG_ENTRY_CREATE dispatch (§7.1: the entry plus
//!    `guild_id`) for the handler's reply.
//! 2. `GET /guilds/{guild.id}/audit-logs` ([`get`]) filters the entries by
//!    `user_id`, `action_type`, `before`, `after` and `limit` (1-100,
//!    default 50): newest first, or oldest first when only `after` is given,
//!    as Discord documents; the users, threads and webhooks the entries
//!    refer to come alongside.

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::error::ApiError;
use super::users::{query_id, query_limit};
use super::{Ctx, Event, Reply};
use crate::world::{id_of, AuditRecord, World};

/// The audit log events (`action_type`) the fake records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditAction {
    GuildUpdate = 1,
    ChannelCreate = 10,
    ChannelUpdate = 11,
    ChannelDelete = 12,
    ChannelOverwriteCreate = 13,
    ChannelOverwriteUpdate = 14,
    ChannelOverwriteDelete = 15,
    MemberKick = 20,
    MemberBanAdd = 22,
    MemberBanRemove = 23,
    MemberUpdate = 24,
    MemberRoleUpdate = 25,
    RoleCreate = 30,
    RoleUpdate = 31,
    RoleDelete = 32,
    InviteCreate = 40,
    InviteDelete = 42,
    WebhookCreate = 50,
    WebhookUpdate = 51,
    WebhookDelete = 52,
    EmojiCreate = 60,
    EmojiUpdate = 61,
    EmojiDelete = 62,
    MessageDelete = 72,
    MessageBulkDelete = 73,
    MessagePin = 74,
    MessageUnpin = 75,
    ThreadCreate = 110,
    ThreadUpdate = 111,
    ThreadDelete = 112,
}

impl AuditAction {
    fn value(self) -> u64 {
        self as u64
    }
}

/// An entry being built by a handler.
#[derive(Debug)]
pub(crate) struct AuditEntry {
    action: AuditAction,
    target_id: Option<u64>,
    changes: Vec<Value>,
    options: Option<Value>,
    target_user: Option<Value>,
}

impl AuditEntry {
    /// An entry for `action` on `target_id`.
    pub fn new(action: AuditAction, target_id: u64) -> AuditEntry {
        AuditEntry {
            action,
            target_id: Some(target_id).filter(|id| *id != 0),
            changes: Vec::new(),
            options: None,
            target_user: None,
        }
    }

    /// A change of `key` from `old` to `new`; nothing when they are equal.
    pub fn change(mut self, key: &str, old: &Value, new: &Value) -> AuditEntry {
        if old == new {
            return self;
        }
        let mut change = json!({"key": key});
        if !old.is_null() {
            change["old_value"] = old.clone();
        }
        if !new.is_null() {
            change["new_value"] = new.clone();
        }
        self.changes.push(change);
        self
    }

    /// The changes of `keys` between two versions of an object (`Null` for
    /// "did not exist": a creation or a deletion).
    pub fn diff(mut self, old: &Value, new: &Value, keys: &[&str]) -> AuditEntry {
        for key in keys {
            self = self.change(key, &old[*key], &new[*key]);
        }
        self
    }

    /// Whether any change was noted.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The entry's `options` (optional audit entry info).
    pub fn options(mut self, options: Value) -> AuditEntry {
        self.options = Some(options);
        self
    }

    /// The user object of a user target, for the answer's `users`.
    pub fn target_user(mut self, user: &Value) -> AuditEntry {
        if !user.is_null() {
            self.target_user = Some(user.clone());
        }
        self
    }
}

/// Records `entry`, made by the bot, in the guild's audit log and returns
/// the GUILD_AUDIT_LOG_ENTRY_CREATE dispatch for it.
pub(crate) fn record(
    world: &mut World,
    guild_id: u64,
    entry: AuditEntry,
    reason: Option<&str>,
) -> Event {
    let id = world.next_id();
    let mut value = json!({
        "id": id.to_string(),
        "user_id": world.bot_user_id().to_string(),
        "target_id": entry.target_id.map(|t| t.to_string()),
        "action_type": entry.action.value(),
    });
    if !entry.changes.is_empty() {
        value["changes"] = Value::Array(entry.changes);
    }
    if let Some(options) = entry.options {
        value["options"] = options;
    }
    if let Some(reason) = reason.filter(|r| !r.is_empty()) {
        value["reason"] = json!(reason);
    }
    let mut d = value.clone();
    d["guild_id"] = json!(guild_id.to_string());
    world
        .audit_log
        .entry(guild_id)
        .or_default()
        .push(AuditRecord {
            entry: value,
            target_user: entry.target_user,
        });
    Event {
        guild_id: Some(guild_id),
        name: "GUILD_AUDIT_LOG_ENTRY_CREATE",
        d,
    }
}

/// `GET /guilds/{guild.id}/audit-logs` (`user_id`, `action_type`,
/// `before`, `after`, `limit` 1-100 default 50).
pub(crate) fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let limit = query_limit(ctx, "limit", 50, 1, 100)?;
    let before = query_id(ctx, "before")?;
    let after = query_id(ctx, "after")?;
    let user_id = query_id(ctx, "user_id")?;
    let action_type = match ctx.query("action_type") {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::field(
                &["action_type"],
                "NUMBER_TYPE_COERCE",
                &format!("Value \"{text}\" is not int."),
            )
        })?),
    };
    let guild_id = ctx.params.id("guild.id");
    let world = ctx.world();
    if !world.guilds.contains_key(&guild_id) {
        return Err(ApiError::unknown(JsonErrorCode::UnknownGuild));
    }
    let records = world
        .audit_log
        .get(&guild_id)
        .map_or(&[][..], Vec::as_slice);
    let matching = records.iter().filter(|r| {
        let id = id_of(&r.entry["id"]);
        user_id.is_none_or(|u| id_of(&r.entry["user_id"]) == u)
            && action_type.is_none_or(|a| r.entry["action_type"].as_u64() == Some(a))
            && before.is_none_or(|b| id < b)
            && after.is_none_or(|a| id > a)
    });
    // Entries are stored oldest first; `after` alone reads upwards from it.
    let page: Vec<&AuditRecord> = if after.is_some() && before.is_none() {
        matching.take(limit).collect()
    } else {
        let mut all: Vec<&AuditRecord> = matching.collect();
        all.reverse();
        all.truncate(limit);
        all
    };
    Ok(Reply::ok(answer(&world, guild_id, &page)))
}

/// The audit log object for a page of entries.
fn answer(world: &World, guild_id: u64, page: &[&AuditRecord]) -> Value {
    let mut users: Vec<Value> = Vec::new();
    let mut threads: Vec<Value> = Vec::new();
    let mut webhooks: Vec<Value> = Vec::new();
    let add = |list: &mut Vec<Value>, value: Value| {
        if !list.iter().any(|v| v["id"] == value["id"]) {
            list.push(value);
        }
    };
    for record in page {
        if let Some(user) = world.find_user(id_of(&record.entry["user_id"])) {
            add(&mut users, user);
        }
        if let Some(user) = &record.target_user {
            add(&mut users, user.clone());
        }
        let target = id_of(&record.entry["target_id"]);
        let action = record.entry["action_type"].as_u64().unwrap_or(0);
        let is = |a: AuditAction| action == a.value();
        if is(AuditAction::ThreadCreate)
            || is(AuditAction::ThreadUpdate)
            || is(AuditAction::ThreadDelete)
        {
            let in_guild = world
                .find_channel(target)
                .is_some_and(|(g, _)| g == guild_id);
            if let Some(thread) = world.channel(target).filter(|_| in_guild) {
                add(&mut threads, thread.clone());
            }
        }
        if is(AuditAction::WebhookCreate)
            || is(AuditAction::WebhookUpdate)
            || is(AuditAction::WebhookDelete)
        {
            if let Some(webhook) = world.webhooks.get(&target) {
                let mut webhook = webhook.clone();
                if let Some(obj) = webhook.as_object_mut() {
                    obj.remove("token");
                }
                add(&mut webhooks, webhook);
            }
        }
    }
    let entries: Vec<Value> = page.iter().map(|r| r.entry.clone()).collect();
    json!({
        "audit_log_entries": entries,
        "users": users,
        "integrations": [],
        "threads": threads,
        "webhooks": webhooks,
        "application_commands": [],
        "auto_moderation_rules": [],
        "guild_scheduled_events": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_leave_out_nulls_and_equal_values() {
        let old = json!({"name": "a", "topic": null, "nsfw": false});
        let new = json!({"name": "b", "topic": "t", "nsfw": false});
        let entry = AuditEntry::new(AuditAction::ChannelUpdate, 1).diff(
            &old,
            &new,
            &["name", "topic", "nsfw"],
        );
        assert_eq!(
            entry.changes,
            vec![
                json!({"key": "name", "old_value": "a", "new_value": "b"}),
                json!({"key": "topic", "new_value": "t"}),
            ]
        );
        let deleted =
            AuditEntry::new(AuditAction::RoleDelete, 2).diff(&new, &Value::Null, &["name"]);
        assert_eq!(
            deleted.changes,
            vec![json!({"key": "name", "old_value": "b"})]
        );
    }
}
