//! What a bot sends on the gateway: the redacting [`Token`], IDENTIFY
//! properties and user [`Command`]s (presence updates, member requests, ...),
//! each checked against the 4096-byte payload limit before it is queued.

use std::fmt;

use acord_core_signals::{limits, GatewayOpcode, LIBRARY_NAME};
use serde::{Serialize, Serializer};

use crate::error::GatewayError;

/// The bot token: core-http's redacting [`acord_core_http::Token`], so one
/// type (and one redaction rule) serves REST and the gateway. IDENTIFY and
/// RESUME carry its bare secret (a leading `Bot ` is stripped).
pub use acord_core_http::Token;

/// IDENTIFY `properties`: `os`, `browser`, `device`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentifyProperties {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// Library name.
    pub browser: String,
    /// Library name.
    pub device: String,
}

impl Default for IdentifyProperties {
    fn default() -> Self {
        Self {
            os: std::env::consts::OS.to_owned(),
            browser: LIBRARY_NAME.to_owned(),
            device: LIBRARY_NAME.to_owned(),
        }
    }
}

/// A user command, serialised and size-checked, ready to be queued on a
/// [`Connection`](crate::Connection) or sent through a
/// [`ShardMessenger`](crate::ShardMessenger).
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    op: GatewayOpcode,
    json: String,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("op", &self.op)
            .field("bytes", &self.json.len())
            .finish()
    }
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    op: u8,
    d: &'a T,
}

impl Command {
    /// Builds a command from an opcode the client may send and its data.
    ///
    /// # Errors
    /// [`GatewayError::Payload`] for opcodes that are not user commands
    /// (HEARTBEAT, IDENTIFY and RESUME belong to the connection; receive-only
    /// opcodes cannot be sent), [`GatewayError::Serialize`] when `d` cannot be
    /// serialised, [`GatewayError::PayloadTooLarge`] above 4096 bytes.
    pub fn new<T: Serialize>(op: GatewayOpcode, d: &T) -> Result<Self, GatewayError> {
        if !op.is_sent()
            || matches!(
                op,
                GatewayOpcode::Heartbeat | GatewayOpcode::Identify | GatewayOpcode::Resume
            )
        {
            return Err(GatewayError::Payload {
                context:
                    "user commands may not use HEARTBEAT, IDENTIFY, RESUME or receive-only opcodes",
                source: None,
            });
        }
        let json = payload_json(op, d)?;
        Ok(Self { op, json })
    }

    /// REQUEST_GUILD_MEMBERS (op 8).
    ///
    /// # Errors
    /// See [`Command::new`].
    pub fn request_guild_members(request: &RequestGuildMembers) -> Result<Self, GatewayError> {
        Self::new(GatewayOpcode::RequestGuildMembers, request)
    }

    /// UPDATE_PRESENCE (op 3).
    ///
    /// # Errors
    /// See [`Command::new`].
    pub fn update_presence(presence: &UpdatePresence) -> Result<Self, GatewayError> {
        Self::new(GatewayOpcode::PresenceUpdate, presence)
    }

    /// The opcode.
    pub fn op(&self) -> GatewayOpcode {
        self.op
    }

    /// The serialised payload.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    pub(crate) fn into_string(self) -> String {
        self.json
    }
}

/// `{"op":…,"d":…}` for any payload the client sends (user commands,
/// IDENTIFY, RESUME), checked against the 4096-byte limit.
pub(crate) fn payload_json<T: Serialize>(op: GatewayOpcode, d: &T) -> Result<String, GatewayError> {
    let json =
        serde_json::to_string(&Envelope { op: op.code(), d }).map_err(GatewayError::Serialize)?;
    check_size(&json)?;
    Ok(json)
}

fn check_size(json: &str) -> Result<(), GatewayError> {
    if json.len() > limits::GATEWAY_MAX_PAYLOAD {
        return Err(GatewayError::PayloadTooLarge {
            size: json.len(),
            limit: limits::GATEWAY_MAX_PAYLOAD,
        });
    }
    Ok(())
}

fn snowflake<S: Serializer>(id: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

fn snowflakes<S: Serializer>(ids: &[u64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ids.iter().map(|id| id.to_string()))
}

/// REQUEST_GUILD_MEMBERS data (discord-protocol.md §5.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestGuildMembers {
    /// The guild.
    #[serde(serialize_with = "snowflake")]
    pub guild_id: u64,
    /// Username prefix; `""` with `limit: 0` requests every member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Maximum members to return (with `query`).
    pub limit: u32,
    /// Whether to include presences.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub presences: bool,
    /// Specific users (instead of `query`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "snowflakes")]
    pub user_ids: Vec<u64>,
    /// Echoed in the chunks (max 32 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// An activity in a presence update (bots may set `name`, `type`, `state`,
/// `url`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Activity name.
    pub name: String,
    /// Activity type (0 playing, 1 streaming, 2 listening, 3 watching,
    /// 4 custom, 5 competing).
    #[serde(rename = "type")]
    pub kind: u8,
    /// Custom status text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Stream URL (type 1 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// UPDATE_PRESENCE data (discord-protocol.md §5.5); also the IDENTIFY
/// `presence`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdatePresence {
    /// Unix ms since the client went idle, `None` if not idle.
    pub since: Option<u64>,
    /// Activities.
    pub activities: Vec<Activity>,
    /// `online`, `dnd`, `idle`, `invisible` or `offline`.
    pub status: String,
    /// Whether the client is AFK.
    pub afk: bool,
}

impl UpdatePresence {
    /// `online` with no activity.
    pub fn online() -> Self {
        Self {
            since: None,
            activities: Vec::new(),
            status: "online".to_owned(),
            afk: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_redacted_and_prefix_stripped() {
        let t = Token::from("Bot abc.def");
        assert_eq!(t.expose_secret(), "abc.def");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert_eq!(t.to_string(), "Token(<redacted>)");
        assert!(!format!("{:?}", Some(t)).contains("abc"));
    }

    #[test]
    fn commands_serialise_with_string_snowflakes() {
        let c = Command::request_guild_members(&RequestGuildMembers {
            guild_id: 41771983423143937,
            query: Some(String::new()),
            limit: 0,
            nonce: Some("n1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.op(), GatewayOpcode::RequestGuildMembers);
        assert_eq!(
            c.as_str(),
            r#"{"op":8,"d":{"guild_id":"41771983423143937","query":"","limit":0,"nonce":"n1"}}"#
        );
        let ids = Command::request_guild_members(&RequestGuildMembers {
            guild_id: 1,
            user_ids: vec![2, 3],
            ..Default::default()
        })
        .unwrap();
        assert!(ids.as_str().contains(r#""user_ids":["2","3"]"#));
        let p = Command::update_presence(&UpdatePresence::online()).unwrap();
        assert_eq!(
            p.as_str(),
            r#"{"op":3,"d":{"since":null,"activities":[],"status":"online","afk":false}}"#
        );
    }

    #[test]
    fn size_limit_is_checked() {
        let big = "x".repeat(limits::GATEWAY_MAX_PAYLOAD);
        let err = Command::new(GatewayOpcode::PresenceUpdate, &big).unwrap_err();
        assert!(matches!(
            err,
            GatewayError::PayloadTooLarge { limit: 4096, .. }
        ));
        // exactly at the limit is allowed
        let envelope_len = r#"{"op":3,"d":""}"#.len();
        let fits = "y".repeat(limits::GATEWAY_MAX_PAYLOAD - envelope_len);
        assert_eq!(
            Command::new(GatewayOpcode::PresenceUpdate, &fits)
                .unwrap()
                .as_str()
                .len(),
            limits::GATEWAY_MAX_PAYLOAD
        );
    }

    #[test]
    fn connection_owned_and_receive_opcodes_are_refused() {
        for op in [
            GatewayOpcode::Heartbeat,
            GatewayOpcode::Identify,
            GatewayOpcode::Resume,
            GatewayOpcode::Hello,
            GatewayOpcode::Dispatch,
            GatewayOpcode::HeartbeatAck,
        ] {
            assert!(Command::new(op, &()).is_err(), "{op:?}");
        }
        assert!(Command::new(GatewayOpcode::RequestSoundboardSounds, &()).is_ok());
    }
}
