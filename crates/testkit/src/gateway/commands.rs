//! Send events of an authenticated session (discord-protocol.md §5):
//! PRESENCE_UPDATE (op 3), VOICE_STATE_UPDATE (op 4),
//! REQUEST_GUILD_MEMBERS (op 8), REQUEST_SOUNDBOARD_SOUNDS (op 31),
//! REQUEST_CHANNEL_INFO (op 43). A malformed payload closes with 4001
//! ("invalid payload for an opcode", §3.4).

use std::collections::HashSet;

use acord_core_signals::limits::{
    GUILD_MEMBERS_PER_CHUNK, REQUEST_ALL_MEMBERS_WINDOW, REQUEST_GUILD_MEMBERS_MAX,
    REQUEST_GUILD_MEMBERS_NONCE,
};
use acord_core_signals::{shard_for_guild, CloseCode, GatewayOpcode, Intents};
use serde_json::{json, Map, Value};

use super::session::snowflake;
use crate::record::lock;
use crate::server::Shared;

/// Close the connection with this code and reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reject(pub CloseCode, pub &'static str);

const INVALID: CloseCode = CloseCode::UnknownOpcode;

/// Handles one send event of an identified session.
pub(crate) fn handle(
    shared: &Shared,
    session: &str,
    shard: [u32; 2],
    opcode: GatewayOpcode,
    d: &Value,
) -> Result<(), Reject> {
    let intents = shared
        .gateway
        .session_intents(session)
        .unwrap_or(Intents::empty());
    let ctx = Ctx {
        shared,
        session,
        shard,
        intents,
    };
    match opcode {
        GatewayOpcode::PresenceUpdate => validate_presence(d),
        GatewayOpcode::VoiceStateUpdate => ctx.voice_state(d),
        GatewayOpcode::RequestGuildMembers => ctx.request_members(d),
        GatewayOpcode::RequestSoundboardSounds => ctx.soundboard_sounds(d),
        GatewayOpcode::RequestChannelInfo => ctx.channel_info(d),
        _ => Err(Reject(INVALID, "opcode is not a send event")),
    }
}

/// Validates an update-presence object (§5.5).
pub(crate) fn validate_presence(d: &Value) -> Result<(), Reject> {
    let bad = Reject(INVALID, "invalid presence update");
    let obj = d.as_object().ok_or(bad)?;
    let since_ok = obj.get("since").is_some_and(|s| s.is_null() || s.is_u64());
    let status_ok = obj
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| matches!(s, "online" | "dnd" | "idle" | "invisible" | "offline"));
    let afk_ok = obj.get("afk").is_some_and(Value::is_boolean);
    let activities_ok = obj
        .get("activities")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().all(|activity| {
                activity.get("name").is_some_and(Value::is_string)
                    && activity.get("type").is_some_and(Value::is_u64)
            })
        });
    if since_ok && status_ok && afk_ok && activities_ok {
        Ok(())
    } else {
        Err(bad)
    }
}

struct Ctx<'a> {
    shared: &'a Shared,
    session: &'a str,
    shard: [u32; 2],
    intents: Intents,
}

impl Ctx<'_> {
    fn send(&self, name: &str, d: &Value) {
        self.shared.gateway.push_to_session(self.session, name, d);
    }

    fn on_shard(&self, guild_id: u64) -> bool {
        shard_for_guild(guild_id, self.shard[1]) == self.shard[0]
    }

    /// Op 4: answered with VOICE_STATE_UPDATE (gated by GUILD_VOICE_STATES)
    /// and, when joining, VOICE_SERVER_UPDATE with a null endpoint (the fake
    /// has no voice server; §5.3 "null endpoint = being reallocated").
    fn voice_state(&self, d: &Value) -> Result<(), Reject> {
        let bad = Reject(INVALID, "invalid voice state update");
        let guild_id = snowflake(&d["guild_id"]).ok_or(bad)?;
        let channel = &d["channel_id"];
        let channel_ok =
            d.get("channel_id").is_some() && (channel.is_null() || snowflake(channel).is_some());
        let self_mute = d["self_mute"].as_bool();
        let self_deaf = d["self_deaf"].as_bool();
        let (true, Some(self_mute), Some(self_deaf)) = (channel_ok, self_mute, self_deaf) else {
            return Err(bad);
        };
        let bot = lock(&self.shared.world).bot_user_id();
        let state = json!({
            "guild_id": guild_id.to_string(),
            "channel_id": channel,
            "user_id": bot.to_string(),
            "session_id": self.session,
            "deaf": false,
            "mute": false,
            "self_deaf": self_deaf,
            "self_mute": self_mute,
            "self_video": false,
            "suppress": false,
            "request_to_speak_timestamp": null,
        });
        self.send("VOICE_STATE_UPDATE", &state);
        if !channel.is_null() {
            let server = json!({
                "token": format!("fake-voice-{guild_id}"),
                "guild_id": guild_id.to_string(),
                "endpoint": null,
            });
            self.send("VOICE_SERVER_UPDATE", &server);
        }
        Ok(())
    }

    /// Op 8 (§5.2): GUILD_MEMBERS_CHUNK(s) of at most 1000 members.
    fn request_members(&self, d: &Value) -> Result<(), Reject> {
        let bad = Reject(INVALID, "invalid REQUEST_GUILD_MEMBERS");
        if !d.is_object() {
            return Err(bad);
        }
        let guild_id = snowflake(&d["guild_id"]).ok_or(bad)?;
        let nonce = d["nonce"]
            .as_str()
            .filter(|n| n.len() <= REQUEST_GUILD_MEMBERS_NONCE)
            .map(str::to_owned);
        let presences = d["presences"].as_bool() == Some(true)
            && self.intents.contains(Intents::GUILD_PRESENCES);
        let selection = match (d.get("query"), d.get("user_ids")) {
            (Some(Value::String(query)), _) => {
                let limit = d["limit"].as_u64().ok_or(bad)?;
                if query.is_empty() && limit == 0 {
                    Selection::All
                } else {
                    let cap = REQUEST_GUILD_MEMBERS_MAX as u64;
                    let limit = if limit == 0 { cap } else { limit.min(cap) };
                    Selection::Query(query.to_lowercase(), limit as usize)
                }
            }
            (None | Some(Value::Null), Some(ids)) => {
                Selection::Users(parse_user_ids(ids).ok_or(bad)?)
            }
            _ => return Err(bad),
        };
        if matches!(selection, Selection::All) {
            if !self.intents.contains(Intents::GUILD_MEMBERS) {
                return Err(Reject(
                    INVALID,
                    "requesting all members needs the GUILD_MEMBERS intent",
                ));
            }
            if let Err(retry_after) = self
                .shared
                .gateway
                .all_members_request(guild_id, REQUEST_ALL_MEMBERS_WINDOW)
            {
                let mut meta = Map::new();
                meta.insert("guild_id".into(), json!(guild_id.to_string()));
                if let Some(nonce) = &nonce {
                    meta.insert("nonce".into(), json!(nonce));
                }
                let limited = json!({
                    "opcode": GatewayOpcode::RequestGuildMembers.code(),
                    "retry_after": retry_after.as_secs_f64(),
                    "meta": meta,
                });
                self.send("RATE_LIMITED", &limited);
                return Ok(());
            }
        }
        if !self.on_shard(guild_id) {
            // Discord answers only for guilds of the requesting shard.
            return Ok(());
        }
        let Some(mut guild) = lock(&self.shared.world).guild_create(guild_id) else {
            return Ok(());
        };
        let members = match guild.get_mut("members").map(Value::take) {
            Some(Value::Array(members)) => members,
            _ => Vec::new(),
        };
        let guild_presences = match guild.get_mut("presences").map(Value::take) {
            Some(Value::Array(presences)) => presences,
            _ => Vec::new(),
        };
        let (found, not_found) = select(members, &selection);
        let chunks: Vec<&[Value]> = if found.is_empty() {
            vec![&[]]
        } else {
            found.chunks(GUILD_MEMBERS_PER_CHUNK).collect()
        };
        let count = chunks.len();
        for (index, chunk) in chunks.into_iter().enumerate() {
            let mut d = Map::new();
            d.insert("guild_id".into(), json!(guild_id.to_string()));
            d.insert("members".into(), json!(chunk));
            d.insert("chunk_index".into(), json!(index));
            d.insert("chunk_count".into(), json!(count));
            if index == 0 && !not_found.is_empty() {
                d.insert("not_found".into(), json!(not_found));
            }
            if presences {
                // The presences of this chunk's members that are not
                // offline (Discord lists no offline presences).
                let ids: HashSet<u64> = chunk
                    .iter()
                    .filter_map(|m| snowflake(&m["user"]["id"]))
                    .collect();
                let listed: Vec<&Value> = guild_presences
                    .iter()
                    .filter(|p| p["status"].as_str().is_some_and(|s| s != "offline"))
                    .filter(|p| snowflake(&p["user"]["id"]).is_some_and(|id| ids.contains(&id)))
                    .collect();
                d.insert("presences".into(), json!(listed));
            }
            if let Some(nonce) = &nonce {
                d.insert("nonce".into(), json!(nonce));
            }
            self.send("GUILD_MEMBERS_CHUNK", &Value::Object(d));
        }
        Ok(())
    }

    /// Op 31 (§5.6): one SOUNDBOARD_SOUNDS per known guild of this shard.
    fn soundboard_sounds(&self, d: &Value) -> Result<(), Reject> {
        let bad = Reject(INVALID, "invalid REQUEST_SOUNDBOARD_SOUNDS");
        let ids = d["guild_ids"].as_array().ok_or(bad)?;
        let ids: Option<Vec<u64>> = ids.iter().map(snowflake).collect();
        let known = lock(&self.shared.world).guild_ids();
        for id in ids.ok_or(bad)? {
            if known.contains(&id) && self.on_shard(id) {
                let answer = json!({"guild_id": id.to_string(), "soundboard_sounds": []});
                self.send("SOUNDBOARD_SOUNDS", &answer);
            }
        }
        Ok(())
    }

    /// Op 43 (§5.7): CHANNEL_INFO listing the guild's voice channels with
    /// the requested fields (the fake has no voice activity: all null).
    fn channel_info(&self, d: &Value) -> Result<(), Reject> {
        let bad = Reject(INVALID, "invalid REQUEST_CHANNEL_INFO");
        let guild_id = snowflake(&d["guild_id"]).ok_or(bad)?;
        let fields = d["fields"].as_array().ok_or(bad)?;
        let fields: Option<Vec<&str>> = fields
            .iter()
            .map(|f| {
                f.as_str()
                    .filter(|f| matches!(*f, "status" | "voice_start_time"))
            })
            .collect();
        let fields = fields.ok_or(bad)?;
        let channels: Vec<Value> = {
            let world = lock(&self.shared.world);
            let Some(guild) = world.guilds.get(&guild_id) else {
                return Ok(());
            };
            guild
                .channels
                .iter()
                .filter(|c| matches!(c["type"].as_u64(), Some(2 | 13)))
                .map(|c| {
                    let mut entry = Map::new();
                    entry.insert("id".into(), c["id"].clone());
                    for field in &fields {
                        entry.insert((*field).into(), Value::Null);
                    }
                    Value::Object(entry)
                })
                .collect()
        };
        let answer = json!({"guild_id": guild_id.to_string(), "channels": channels});
        self.send("CHANNEL_INFO", &answer);
        Ok(())
    }
}

/// Which members a REQUEST_GUILD_MEMBERS asks for.
#[derive(Debug, PartialEq, Eq)]
enum Selection {
    All,
    /// Lower-cased username prefix and the maximum returned.
    Query(String, usize),
    Users(Vec<u64>),
}

/// `user_ids` as one snowflake or an array. §5.2 says at most 100 members
/// are returned for `user_ids`, not that more ids are an error, so only the
/// first 100 are answered.
fn parse_user_ids(ids: &Value) -> Option<Vec<u64>> {
    let mut ids: Vec<u64> = match ids {
        Value::Array(items) => items.iter().map(snowflake).collect::<Option<_>>()?,
        single => vec![snowflake(single)?],
    };
    ids.truncate(REQUEST_GUILD_MEMBERS_MAX);
    Some(ids)
}

/// The selected members and, for `user_ids`, the ids not found.
fn select(members: Vec<Value>, selection: &Selection) -> (Vec<Value>, Vec<String>) {
    let user_id = |m: &Value| snowflake(&m["user"]["id"]);
    match selection {
        Selection::All => (members, Vec::new()),
        Selection::Query(prefix, limit) => {
            let found = members
                .into_iter()
                .filter(|m| {
                    m["user"]["username"]
                        .as_str()
                        .is_some_and(|name| name.to_lowercase().starts_with(prefix.as_str()))
                })
                .take(*limit)
                .collect();
            (found, Vec::new())
        }
        Selection::Users(ids) => {
            let found: Vec<Value> = members
                .into_iter()
                .filter(|m| user_id(m).is_some_and(|id| ids.contains(&id)))
                .collect();
            let not_found = ids
                .iter()
                .filter(|id| !found.iter().any(|m| user_id(m) == Some(**id)))
                .map(u64::to_string)
                .collect();
            (found, not_found)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, name: &str) -> Value {
        json!({"user": {"id": id.to_string(), "username": name}, "roles": []})
    }

    #[test]
    fn selection_by_prefix_and_ids() {
        let members = vec![member(1, "Alice"), member(2, "alfred"), member(3, "bob")];
        let (found, _) = select(members.clone(), &Selection::Query("al".into(), 100));
        assert_eq!(found.len(), 2);
        let (found, _) = select(members.clone(), &Selection::Query("al".into(), 1));
        assert_eq!(found.len(), 1);
        let (found, missing) = select(members, &Selection::Users(vec![3, 9]));
        assert_eq!(found, vec![member(3, "bob")]);
        assert_eq!(missing, vec!["9".to_owned()]);
    }

    #[test]
    fn user_ids_accept_one_or_many_and_cap_at_100() {
        assert_eq!(parse_user_ids(&json!("5")), Some(vec![5]));
        assert_eq!(parse_user_ids(&json!(["5", 6])), Some(vec![5, 6]));
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        let answered = parse_user_ids(&json!(many)).unwrap();
        assert_eq!(answered.len(), 100);
        assert_eq!(answered[99], 99);
        assert_eq!(parse_user_ids(&json!({})), None);
    }

    #[test]
    fn presence_validation() {
        let ok = json!({"since": null, "activities": [{"name": "x", "type": 0}],
                        "status": "online", "afk": false});
        assert!(validate_presence(&ok).is_ok());
        let bad_status = json!({"since": null, "activities": [], "status": "away", "afk": false});
        assert!(validate_presence(&bad_status).is_err());
        assert!(validate_presence(&json!({"status": "online"})).is_err());
    }
}
