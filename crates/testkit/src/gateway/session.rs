//! Gateway sessions: what a session receives (shard routing, intents,
//! MESSAGE_CONTENT), its sequence numbers and the events kept for RESUME
//! replay (discord-protocol.md §3.8, §3.9, §3.15, §6).

use std::collections::VecDeque;
use std::sync::Arc;

use acord_core_signals::{shard_for_guild, GatewayOpcode, Intents};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

/// Events kept per session beyond what the client acknowledged in its
/// heartbeats; older acknowledged events are dropped.
const KEEP_ACKED_EVENTS: usize = 1024;

/// Events kept per session at most, acknowledged or not (Discord's replay
/// buffer is finite too): a RESUME from before the oldest kept event gets
/// op 9 `d:false`.
const MAX_KEPT_EVENTS: usize = 50_000;

/// The intents that gate an event in DMs rather than in guilds.
const DM_INTENTS: Intents = Intents::DIRECT_MESSAGES
    .union(Intents::DIRECT_MESSAGE_REACTIONS)
    .union(Intents::DIRECT_MESSAGE_TYPING)
    .union(Intents::DIRECT_MESSAGE_POLLS);

/// One dispatch as sent to one session: its sequence number and the
/// serialised payload (`{"op":0,"t":..,"s":..,"d":..}`).
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub seq: u64,
    pub payload: Arc<str>,
}

/// A gateway session (created by IDENTIFY, resumed by RESUME).
#[derive(Debug)]
pub(crate) struct Session {
    pub id: String,
    /// `[shard_id, num_shards]` (`[0, 1]` when IDENTIFY had no `shard`).
    pub shard: [u32; 2],
    pub intents: Intents,
    /// The last sequence number assigned.
    pub seq: u64,
    /// Dispatches not yet dropped, oldest first, for replay.
    pub events: VecDeque<Event>,
    /// The connection the session is attached to.
    pub connection: Option<u64>,
    /// When the session lost its connection (resumable until the window
    /// ends).
    pub detached_at: Option<Instant>,
}

#[derive(Serialize)]
struct DispatchRef<'a> {
    op: u8,
    t: &'a str,
    s: u64,
    d: &'a Value,
}

impl Session {
    pub fn new(id: String, shard: [u32; 2], intents: Intents, connection: u64) -> Session {
        Session {
            id,
            shard,
            intents,
            seq: 0,
            events: VecDeque::new(),
            connection: Some(connection),
            detached_at: None,
        }
    }

    /// Whether a guild's events (or, for `None`, guild-less events, which go
    /// to shard 0 only) are routed to this session (§3.15).
    pub fn handles_guild(&self, guild_id: Option<u64>) -> bool {
        match guild_id {
            Some(guild) => shard_for_guild(guild, self.shard[1]) == self.shard[0],
            None => self.shard[0] == 0,
        }
    }

    /// Whether the session's intents let it receive `name` with data `d`.
    pub fn wants(&self, name: &str, d: &Value, bot_user_id: Option<u64>) -> bool {
        intents_allow(self.intents, name, d, bot_user_id)
    }

    /// Assigns the next sequence number to a dispatch, keeps it for replay
    /// and returns the sequence number.
    pub fn push(&mut self, name: &str, d: &Value, bot_user_id: Option<u64>) -> u64 {
        self.seq += 1;
        let stripped;
        let d = if needs_content_stripping(self.intents, name, d, bot_user_id) {
            stripped = strip_content(d);
            &stripped
        } else {
            d
        };
        let dispatch = DispatchRef {
            op: GatewayOpcode::Dispatch.code(),
            t: name,
            s: self.seq,
            d,
        };
        // Serialising a `Value` with string keys cannot fail.
        let payload = serde_json::to_string(&dispatch).unwrap_or_default();
        self.events.push_back(Event {
            seq: self.seq,
            payload: payload.into(),
        });
        if self.events.len() > MAX_KEPT_EVENTS {
            self.events.pop_front();
        }
        self.seq
    }

    /// Every kept event with a sequence number above `seq`, in order.
    pub fn events_after(&self, seq: u64) -> Vec<Event> {
        let start = self.events.partition_point(|e| e.seq <= seq);
        self.events.range(start..).cloned().collect()
    }

    /// Whether every event after `seq` is still kept (so a RESUME from
    /// `seq` can be replayed completely).
    pub fn can_replay_from(&self, seq: u64) -> bool {
        match self.events.front() {
            Some(first) => first.seq <= seq + 1,
            None => true,
        }
    }

    /// The client acknowledged `seq` in a heartbeat: drop old acknowledged
    /// events once more than [`KEEP_ACKED_EVENTS`] are kept.
    pub fn acknowledge(&mut self, seq: u64) {
        let seq = seq.min(self.seq);
        while self.events.len() > KEEP_ACKED_EVENTS
            && self.events.front().is_some_and(|e| e.seq <= seq)
        {
            self.events.pop_front();
        }
    }

    /// Whether the session can still be resumed at `now`.
    pub fn alive(&self, now: Instant, resume_window: std::time::Duration) -> bool {
        match self.detached_at {
            None => true,
            Some(at) => now.saturating_duration_since(at) < resume_window,
        }
    }
}

/// Reads a snowflake given as a string or an integer.
pub(crate) fn snowflake(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Whether a session with `intents` receives the event `name` (§6): events
/// gated by no intent (and undocumented names) always pass; for events gated
/// differently in guilds and DMs, the presence of `guild_id` decides which
/// intent counts; GUILD_MEMBER_UPDATE for the bot itself is always sent.
pub(crate) fn intents_allow(
    intents: Intents,
    name: &str,
    d: &Value,
    bot_user_id: Option<u64>,
) -> bool {
    let Some(required) = Intents::for_event(name) else {
        return true;
    };
    if required.is_empty() {
        return true;
    }
    if name == "GUILD_MEMBER_UPDATE"
        && bot_user_id.is_some()
        && snowflake(&d["user"]["id"]) == bot_user_id
    {
        return true;
    }
    let in_guild = !d["guild_id"].is_null();
    let scoped = if in_guild {
        required.difference(DM_INTENTS)
    } else {
        required.intersection(DM_INTENTS)
    };
    let scoped = if scoped.is_empty() { required } else { scoped };
    intents.intersects(scoped)
}

/// Whether a MESSAGE_CREATE/UPDATE must have its content emptied for a
/// session without MESSAGE_CONTENT (§6): not for the bot's own messages,
/// DMs, or messages that mention the bot.
fn needs_content_stripping(
    intents: Intents,
    name: &str,
    d: &Value,
    bot_user_id: Option<u64>,
) -> bool {
    if !matches!(name, "MESSAGE_CREATE" | "MESSAGE_UPDATE")
        || intents.contains(Intents::MESSAGE_CONTENT)
        || d["guild_id"].is_null()
    {
        return false;
    }
    let Some(bot) = bot_user_id else {
        return true;
    };
    let own = snowflake(&d["author"]["id"]) == Some(bot);
    let mentioned = d["mentions"]
        .as_array()
        .is_some_and(|m| m.iter().any(|u| snowflake(&u["id"]) == Some(bot)));
    !(own || mentioned)
}

/// A copy of a message with `content`, `embeds`, `attachments` and
/// `components` emptied and `poll` removed (only the keys present).
fn strip_content(d: &Value) -> Value {
    let mut d = d.clone();
    if let Some(obj) = d.as_object_mut() {
        if obj.contains_key("content") {
            obj.insert("content".into(), Value::String(String::new()));
        }
        for key in ["embeds", "attachments", "components"] {
            if obj.contains_key(key) {
                obj.insert(key.into(), Value::Array(Vec::new()));
            }
        }
        obj.remove("poll");
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(shard: [u32; 2], intents: Intents) -> Session {
        Session::new("s".into(), shard, intents, 1)
    }

    #[test]
    fn routing_follows_the_shard_formula_and_dms_go_to_shard_zero() {
        let guild = 197_038_439_483_310_086u64;
        let owner = shard_for_guild(guild, 4);
        for id in 0..4 {
            let s = session([id, 4], Intents::GUILDS);
            assert_eq!(s.handles_guild(Some(guild)), id == owner);
            assert_eq!(s.handles_guild(None), id == 0);
        }
    }

    #[test]
    fn intents_gate_guild_and_dm_events_separately() {
        let guild_msg = json!({"guild_id": "1", "content": "x"});
        let dm_msg = json!({"content": "x"});
        let g = Intents::GUILD_MESSAGES;
        let dm = Intents::DIRECT_MESSAGES;
        assert!(intents_allow(g, "MESSAGE_CREATE", &guild_msg, None));
        assert!(!intents_allow(g, "MESSAGE_CREATE", &dm_msg, None));
        assert!(intents_allow(dm, "MESSAGE_CREATE", &dm_msg, None));
        assert!(!intents_allow(dm, "MESSAGE_CREATE", &guild_msg, None));
        assert!(intents_allow(Intents::empty(), "READY", &json!({}), None));
        assert!(intents_allow(
            Intents::empty(),
            "CUSTOM_EVENT",
            &json!({}),
            None
        ));
        assert!(!intents_allow(
            Intents::GUILDS,
            "PRESENCE_UPDATE",
            &guild_msg,
            None
        ));
        let me = json!({"guild_id": "1", "user": {"id": "7"}});
        assert!(intents_allow(
            Intents::GUILDS,
            "GUILD_MEMBER_UPDATE",
            &me,
            Some(7)
        ));
        assert!(!intents_allow(
            Intents::GUILDS,
            "GUILD_MEMBER_UPDATE",
            &me,
            Some(8)
        ));
    }

    #[test]
    fn message_content_is_emptied_without_the_intent() {
        let mut s = session([0, 1], Intents::GUILD_MESSAGES);
        let msg = json!({"guild_id": "1", "author": {"id": "2"}, "content": "secret",
                         "embeds": [{}], "attachments": [{}], "components": [{}],
                         "poll": {}, "mentions": []});
        s.push("MESSAGE_CREATE", &msg, Some(9));
        let sent: Value = serde_json::from_str(&s.events[0].payload).unwrap();
        assert_eq!(sent["d"]["content"], "");
        assert_eq!(sent["d"]["embeds"], json!([]));
        assert!(sent["d"].get("poll").is_none());
        // mentioning the bot keeps the content
        let mention = json!({"guild_id": "1", "author": {"id": "2"}, "content": "hi",
                             "mentions": [{"id": "9"}]});
        s.push("MESSAGE_CREATE", &mention, Some(9));
        let sent: Value = serde_json::from_str(&s.events[1].payload).unwrap();
        assert_eq!(sent["d"]["content"], "hi");
        assert_eq!(sent["s"], 2);
        assert_eq!(sent["op"], 0);
    }

    #[test]
    fn replay_returns_events_after_seq_and_trims_only_acked_ones() {
        let mut s = session([0, 1], Intents::GUILDS);
        for _ in 0..(KEEP_ACKED_EVENTS + 10) {
            s.push("CUSTOM", &json!({}), None);
        }
        let after: Vec<u64> = s.events_after(5).iter().map(|e| e.seq).collect();
        assert_eq!(after.first(), Some(&6));
        assert_eq!(after.len(), KEEP_ACKED_EVENTS + 5);
        s.acknowledge(3);
        assert_eq!(s.events.front().map(|e| e.seq), Some(4));
        assert!(s.can_replay_from(3));
        assert!(!s.can_replay_from(2));
        s.acknowledge(u64::MAX);
        assert_eq!(s.events.len(), KEEP_ACKED_EVENTS);
    }

    #[test]
    fn unacknowledged_events_are_capped() {
        let mut s = session([0, 1], Intents::GUILDS);
        for _ in 0..(MAX_KEPT_EVENTS + 3) {
            s.push("CUSTOM", &json!({}), None);
        }
        assert_eq!(s.events.len(), MAX_KEPT_EVENTS);
        assert_eq!(s.events.front().map(|e| e.seq), Some(4));
        assert!(!s.can_replay_from(2));
        assert!(s.can_replay_from(3));
    }
}
