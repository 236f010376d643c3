//! What a bot sends on the gateway: the redacting [`Token`], IDENTIFY
//! properties and raw user [`Command`]s (any opcode a client may send, with
//! any serialisable `d`), each checked against the 4096-byte payload limit
//! before it is queued.
//!
//! The typed, validated payloads (presence updates, member requests, voice
//! state updates, ...) live in the `acord` client crate (`acord::command`);
//! they reach the gateway as a [`Command`] built with [`Command::new`].

use std::fmt;

use acord_core_signals::{limits, GatewayOpcode, LIBRARY_NAME};
use serde::Serialize;

use crate::error::GatewayError;

/// The bot token: core-signals' redacting [`acord_core_signals::Token`]
/// (also `acord_core_http::Token`), so one type (and one redaction rule)
/// serves REST and the gateway. IDENTIFY and
/// RESUME carry its bare secret (a leading `Bot ` is stripped).
pub use acord_core_signals::Token;

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
///
/// The core does not model the payloads: build one from an opcode and any
/// [`Serialize`] data with [`Command::new`] (the `acord` crate's typed
/// commands do exactly that).
///
/// # Examples
///
/// ```
/// use acord_core_gateway::Command;
/// use acord_core_signals::GatewayOpcode;
///
/// let presence = serde_json::json!({
///     "since": null, "activities": [], "status": "online", "afk": false
/// });
/// let command = Command::new(GatewayOpcode::PresenceUpdate, &presence)?;
/// assert!(command.as_str().starts_with(r#"{"op":3,"d":{"#));
/// # Ok::<(), acord_core_gateway::GatewayError>(())
/// ```
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

    /// A REQUEST_GUILD_MEMBERS `d` as a caller would model it.
    #[derive(Serialize)]
    struct Members<'a> {
        guild_id: &'a str,
        query: &'a str,
        limit: u32,
        nonce: &'a str,
    }

    #[test]
    fn commands_serialise_their_data_as_given() {
        let c = Command::new(
            GatewayOpcode::RequestGuildMembers,
            &Members {
                guild_id: "41771983423143937",
                query: "",
                limit: 0,
                nonce: "n1",
            },
        )
        .unwrap();
        assert_eq!(c.op(), GatewayOpcode::RequestGuildMembers);
        assert_eq!(
            c.as_str(),
            r#"{"op":8,"d":{"guild_id":"41771983423143937","query":"","limit":0,"nonce":"n1"}}"#
        );
        let p = Command::new(
            GatewayOpcode::PresenceUpdate,
            &serde_json::json!({"since": null, "activities": [], "status": "online", "afk": false}),
        )
        .unwrap();
        assert_eq!(p.op(), GatewayOpcode::PresenceUpdate);
        let sent: serde_json::Value = serde_json::from_str(p.as_str()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"op": 3, "d": {"since": null, "activities": [], "status": "online", "afk": false}})
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
