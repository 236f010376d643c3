//! Gateway opcodes (discord-protocol.md §3.4).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which side of the gateway sends an opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpcodeDirection {
    /// Only the client sends it.
    Send,
    /// Only the client receives it.
    Receive,
    /// Both sides send it (heartbeats).
    Both,
}

/// A gateway opcode, the `op` field of every gateway payload.
///
/// Serialises as its integer value. Converting an unknown integer is an
/// [`UnknownOpcode`] error, so a payload with an opcode Discord adds later is
/// reported, never a panic.
///
/// ```
/// use acord_core_signals::GatewayOpcode;
/// assert_eq!(GatewayOpcode::try_from(7u8), Ok(GatewayOpcode::Reconnect));
/// assert!(GatewayOpcode::Identify.is_sent());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum GatewayOpcode {
    /// An event was dispatched (`t` and `s` are set).
    Dispatch = 0,
    /// Keep-alive; the server may send it to ask for an immediate heartbeat.
    Heartbeat = 1,
    /// Starts a new session.
    Identify = 2,
    /// Updates the client's presence.
    PresenceUpdate = 3,
    /// Joins, moves or leaves a voice channel.
    VoiceStateUpdate = 4,
    /// Resumes a dropped session.
    Resume = 6,
    /// The server asks the client to reconnect and resume.
    Reconnect = 7,
    /// Requests guild member chunks.
    RequestGuildMembers = 8,
    /// The session is invalid; `d` says whether it may be resumed.
    InvalidSession = 9,
    /// First message on a connection, carrying `heartbeat_interval`.
    Hello = 10,
    /// Acknowledges a heartbeat.
    HeartbeatAck = 11,
    /// Requests the soundboard sounds of guilds.
    RequestSoundboardSounds = 31,
    /// Requests ephemeral channel data (voice status, start time).
    RequestChannelInfo = 43,
}

/// An opcode integer that Discord has not documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown gateway opcode {0}")]
pub struct UnknownOpcode(pub u8);

impl GatewayOpcode {
    /// Every documented opcode, in numeric order.
    pub const ALL: [GatewayOpcode; 13] = [
        Self::Dispatch,
        Self::Heartbeat,
        Self::Identify,
        Self::PresenceUpdate,
        Self::VoiceStateUpdate,
        Self::Resume,
        Self::Reconnect,
        Self::RequestGuildMembers,
        Self::InvalidSession,
        Self::Hello,
        Self::HeartbeatAck,
        Self::RequestSoundboardSounds,
        Self::RequestChannelInfo,
    ];

    /// The integer sent on the wire.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Which side sends this opcode.
    pub const fn direction(self) -> OpcodeDirection {
        match self {
            Self::Heartbeat => OpcodeDirection::Both,
            Self::Dispatch
            | Self::Reconnect
            | Self::InvalidSession
            | Self::Hello
            | Self::HeartbeatAck => OpcodeDirection::Receive,
            Self::Identify
            | Self::PresenceUpdate
            | Self::VoiceStateUpdate
            | Self::Resume
            | Self::RequestGuildMembers
            | Self::RequestSoundboardSounds
            | Self::RequestChannelInfo => OpcodeDirection::Send,
        }
    }

    /// Whether the client may send this opcode.
    pub const fn is_sent(self) -> bool {
        !matches!(self.direction(), OpcodeDirection::Receive)
    }

    /// Whether the client may receive this opcode.
    pub const fn is_received(self) -> bool {
        !matches!(self.direction(), OpcodeDirection::Send)
    }

    /// Discord's name for the opcode, e.g. `"Heartbeat ACK"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dispatch => "Dispatch",
            Self::Heartbeat => "Heartbeat",
            Self::Identify => "Identify",
            Self::PresenceUpdate => "Presence Update",
            Self::VoiceStateUpdate => "Voice State Update",
            Self::Resume => "Resume",
            Self::Reconnect => "Reconnect",
            Self::RequestGuildMembers => "Request Guild Members",
            Self::InvalidSession => "Invalid Session",
            Self::Hello => "Hello",
            Self::HeartbeatAck => "Heartbeat ACK",
            Self::RequestSoundboardSounds => "Request Soundboard Sounds",
            Self::RequestChannelInfo => "Request Channel Info",
        }
    }
}

impl TryFrom<u8> for GatewayOpcode {
    type Error = UnknownOpcode;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Ok(match value {
            0 => Self::Dispatch,
            1 => Self::Heartbeat,
            2 => Self::Identify,
            3 => Self::PresenceUpdate,
            4 => Self::VoiceStateUpdate,
            6 => Self::Resume,
            7 => Self::Reconnect,
            8 => Self::RequestGuildMembers,
            9 => Self::InvalidSession,
            10 => Self::Hello,
            11 => Self::HeartbeatAck,
            31 => Self::RequestSoundboardSounds,
            43 => Self::RequestChannelInfo,
            other => return Err(UnknownOpcode(other)),
        })
    }
}

impl TryFrom<u64> for GatewayOpcode {
    type Error = UnknownOpcode;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .map_err(|_| UnknownOpcode(u8::MAX))
            .and_then(Self::try_from)
    }
}

impl From<GatewayOpcode> for u8 {
    fn from(op: GatewayOpcode) -> u8 {
        op.code()
    }
}

impl Serialize for GatewayOpcode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for GatewayOpcode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = u8::deserialize(deserializer)?;
        Self::try_from(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_protocol_table() {
        let table = [
            (0, GatewayOpcode::Dispatch, OpcodeDirection::Receive),
            (1, GatewayOpcode::Heartbeat, OpcodeDirection::Both),
            (2, GatewayOpcode::Identify, OpcodeDirection::Send),
            (3, GatewayOpcode::PresenceUpdate, OpcodeDirection::Send),
            (4, GatewayOpcode::VoiceStateUpdate, OpcodeDirection::Send),
            (6, GatewayOpcode::Resume, OpcodeDirection::Send),
            (7, GatewayOpcode::Reconnect, OpcodeDirection::Receive),
            (8, GatewayOpcode::RequestGuildMembers, OpcodeDirection::Send),
            (9, GatewayOpcode::InvalidSession, OpcodeDirection::Receive),
            (10, GatewayOpcode::Hello, OpcodeDirection::Receive),
            (11, GatewayOpcode::HeartbeatAck, OpcodeDirection::Receive),
            (
                31,
                GatewayOpcode::RequestSoundboardSounds,
                OpcodeDirection::Send,
            ),
            (43, GatewayOpcode::RequestChannelInfo, OpcodeDirection::Send),
        ];
        assert_eq!(table.len(), GatewayOpcode::ALL.len());
        for (code, op, dir) in table {
            assert_eq!(GatewayOpcode::try_from(code), Ok(op));
            assert_eq!(op.code(), code);
            assert_eq!(op.direction(), dir, "{op:?}");
        }
    }

    #[test]
    fn unknown_codes_are_typed_errors() {
        for code in [5u8, 12, 30, 42, 44, 255] {
            assert_eq!(GatewayOpcode::try_from(code), Err(UnknownOpcode(code)));
        }
        assert!(GatewayOpcode::try_from(70_000u64).is_err());
        assert!(serde_json::from_str::<GatewayOpcode>("5").is_err());
        assert!(serde_json::from_str::<GatewayOpcode>("-1").is_err());
    }

    #[test]
    fn serde_round_trip_as_integer() {
        for op in GatewayOpcode::ALL {
            let text = serde_json::to_string(&op).unwrap();
            assert_eq!(text, op.code().to_string());
            assert_eq!(serde_json::from_str::<GatewayOpcode>(&text).unwrap(), op);
        }
    }

    #[test]
    fn send_and_receive_flags() {
        assert!(GatewayOpcode::Heartbeat.is_sent() && GatewayOpcode::Heartbeat.is_received());
        assert!(GatewayOpcode::Hello.is_received() && !GatewayOpcode::Hello.is_sent());
        assert!(GatewayOpcode::Resume.is_sent() && !GatewayOpcode::Resume.is_received());
    }
}
