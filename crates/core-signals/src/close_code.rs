//! Gateway close codes and what each means for reconnecting
//! (discord-protocol.md §4).
//!
//! The one place acord decides what to do after the gateway closes:
//! [`close_verdict`] takes any close code (documented or not) and returns a
//! [`CloseVerdict`].

use std::fmt;

/// What a client must do after the gateway connection closed with a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseVerdict {
    /// Reconnect to `resume_gateway_url` and send RESUME with the stored
    /// session id and sequence.
    Resume,
    /// Reconnect to the cached gateway URL and IDENTIFY from scratch: the
    /// session is gone.
    Reidentify,
    /// Do not reconnect: the problem is in the bot's configuration and would
    /// repeat. Surface an error to the user (see [`CloseCode::explanation`]).
    Fatal,
}

impl CloseVerdict {
    /// Whether the client should open a new connection at all.
    pub const fn should_reconnect(self) -> bool {
        !matches!(self, Self::Fatal)
    }

    /// Whether the stored session may be resumed.
    pub const fn can_resume(self) -> bool {
        matches!(self, Self::Resume)
    }
}

/// A documented close code of the main (non-voice) gateway.
///
/// Codes outside this list (1000, 1001, 1006, private codes) are still valid
/// input to [`close_verdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u16)]
pub enum CloseCode {
    /// 4000: unknown problem; try reconnecting.
    UnknownError = 4000,
    /// 4001: invalid opcode or invalid payload for an opcode.
    UnknownOpcode = 4001,
    /// 4002: invalid payload (bad JSON/ETF, payload over 4096 bytes).
    DecodeError = 4002,
    /// 4003: payload sent before identifying, or the session was invalidated.
    NotAuthenticated = 4003,
    /// 4004: the token in IDENTIFY is wrong.
    AuthenticationFailed = 4004,
    /// 4005: more than one IDENTIFY sent.
    AlreadyAuthenticated = 4005,
    /// 4007: the sequence in RESUME is invalid.
    InvalidSeq = 4007,
    /// 4008: payloads sent too fast.
    RateLimited = 4008,
    /// 4009: the session timed out.
    SessionTimedOut = 4009,
    /// 4010: invalid `shard` in IDENTIFY.
    InvalidShard = 4010,
    /// 4011: the session would handle too many guilds.
    ShardingRequired = 4011,
    /// 4012: invalid gateway API version.
    InvalidApiVersion = 4012,
    /// 4013: invalid intents bitfield.
    InvalidIntents = 4013,
    /// 4014: a privileged intent is not enabled or not approved.
    DisallowedIntents = 4014,
}

/// A close code that is not one of Discord's documented gateway codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("close code {0} is not a documented Discord gateway close code")]
pub struct UnknownCloseCode(pub u16);

impl CloseCode {
    /// Every documented code, in numeric order.
    pub const ALL: [CloseCode; 14] = [
        Self::UnknownError,
        Self::UnknownOpcode,
        Self::DecodeError,
        Self::NotAuthenticated,
        Self::AuthenticationFailed,
        Self::AlreadyAuthenticated,
        Self::InvalidSeq,
        Self::RateLimited,
        Self::SessionTimedOut,
        Self::InvalidShard,
        Self::ShardingRequired,
        Self::InvalidApiVersion,
        Self::InvalidIntents,
        Self::DisallowedIntents,
    ];

    /// The close code number.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Looks a number up; `None` for undocumented codes.
    pub const fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            4000 => Self::UnknownError,
            4001 => Self::UnknownOpcode,
            4002 => Self::DecodeError,
            4003 => Self::NotAuthenticated,
            4004 => Self::AuthenticationFailed,
            4005 => Self::AlreadyAuthenticated,
            4007 => Self::InvalidSeq,
            4008 => Self::RateLimited,
            4009 => Self::SessionTimedOut,
            4010 => Self::InvalidShard,
            4011 => Self::ShardingRequired,
            4012 => Self::InvalidApiVersion,
            4013 => Self::InvalidIntents,
            4014 => Self::DisallowedIntents,
            _ => return None,
        })
    }

    /// The value of the "Reconnect" column of Discord's close-code table.
    pub const fn can_reconnect(self) -> bool {
        !matches!(
            self,
            Self::AuthenticationFailed
                | Self::InvalidShard
                | Self::ShardingRequired
                | Self::InvalidApiVersion
                | Self::InvalidIntents
                | Self::DisallowedIntents
        )
    }

    /// What the client must do after this close (discord-protocol.md §4.2).
    pub const fn verdict(self) -> CloseVerdict {
        match self {
            Self::UnknownError
            | Self::UnknownOpcode
            | Self::DecodeError
            | Self::AlreadyAuthenticated
            | Self::RateLimited => CloseVerdict::Resume,
            Self::NotAuthenticated | Self::InvalidSeq | Self::SessionTimedOut => {
                CloseVerdict::Reidentify
            }
            Self::AuthenticationFailed
            | Self::InvalidShard
            | Self::ShardingRequired
            | Self::InvalidApiVersion
            | Self::InvalidIntents
            | Self::DisallowedIntents => CloseVerdict::Fatal,
        }
    }

    /// Whether the session is gone after this close, so the server discards
    /// it and a later RESUME gets op 9 `d: false`.
    pub const fn invalidates_session(self) -> bool {
        !matches!(self.verdict(), CloseVerdict::Resume)
    }

    /// Discord's name for the code, e.g. `"Disallowed intent(s)"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::UnknownError => "Unknown error",
            Self::UnknownOpcode => "Unknown opcode",
            Self::DecodeError => "Decode error",
            Self::NotAuthenticated => "Not authenticated",
            Self::AuthenticationFailed => "Authentication failed",
            Self::AlreadyAuthenticated => "Already authenticated",
            Self::InvalidSeq => "Invalid seq",
            Self::RateLimited => "Rate limited",
            Self::SessionTimedOut => "Session timed out",
            Self::InvalidShard => "Invalid shard",
            Self::ShardingRequired => "Sharding required",
            Self::InvalidApiVersion => "Invalid API version",
            Self::InvalidIntents => "Invalid intent(s)",
            Self::DisallowedIntents => "Disallowed intent(s)",
        }
    }

    /// A sentence saying what happened and, for fatal codes, what the bot
    /// author must change.
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::UnknownError => "Discord hit an unknown problem; acord reconnects and resumes.",
            Self::UnknownOpcode => {
                "Discord received an invalid opcode or payload; acord reconnects and resumes."
            }
            Self::DecodeError => {
                "Discord could not decode a payload (bad JSON or over 4096 bytes); acord reconnects and resumes."
            }
            Self::NotAuthenticated => {
                "A payload was sent before identifying, or the session was invalidated; acord identifies again."
            }
            Self::AuthenticationFailed => {
                "The bot token was rejected: copy a fresh token from the Developer Portal (Bot tab) and pass it without the `Bot ` prefix."
            }
            Self::AlreadyAuthenticated => {
                "More than one IDENTIFY was sent on a connection; acord reconnects and resumes."
            }
            Self::InvalidSeq => {
                "The sequence number in RESUME was invalid; acord starts a new session."
            }
            Self::RateLimited => {
                "Gateway commands were sent faster than 120 per 60 s; acord reconnects and resumes. Send fewer commands."
            }
            Self::SessionTimedOut => {
                "The session timed out (heartbeats stopped); acord starts a new session. Make sure nothing blocks the async runtime."
            }
            Self::InvalidShard => {
                "The shard id/count in IDENTIFY is invalid: use a shard id below the shard count and a count of at least 1."
            }
            Self::ShardingRequired => {
                "The bot is in too many guilds for one session: run more shards (use the recommended count from GET /gateway/bot)."
            }
            Self::InvalidApiVersion => {
                "The gateway API version is invalid: connect with v=10 (acord_core_signals::API_VERSION)."
            }
            Self::InvalidIntents => {
                "The intents bitfield is invalid: build it from acord_core_signals::Intents and drop unknown bits."
            }
            Self::DisallowedIntents => {
                "A privileged intent was requested that the app may not use: enable GUILD_MEMBERS, GUILD_PRESENCES or MESSAGE_CONTENT in the Developer Portal (Bot tab), or remove it from `Intents`."
            }
        }
    }
}

impl TryFrom<u16> for CloseCode {
    type Error = UnknownCloseCode;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        Self::from_code(code).ok_or(UnknownCloseCode(code))
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.code()
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

/// The verdict for ANY close code received from the gateway.
///
/// Documented codes follow Discord's table (discord-protocol.md §4.2);
/// everything else (1000/1001 sent by the server, 1006, private codes) means
/// "try to resume": a stale session then receives op 9 and the client falls
/// back to IDENTIFY.
///
/// ```
/// use acord_core_signals::{close_verdict, CloseVerdict};
/// assert_eq!(close_verdict(4000), CloseVerdict::Resume);
/// assert_eq!(close_verdict(4009), CloseVerdict::Reidentify);
/// assert_eq!(close_verdict(4014), CloseVerdict::Fatal);
/// assert_eq!(close_verdict(1006), CloseVerdict::Resume);
/// ```
pub const fn close_verdict(code: u16) -> CloseVerdict {
    match CloseCode::from_code(code) {
        Some(known) => known.verdict(),
        None => CloseVerdict::Resume,
    }
}

/// The close code acord sends when it closes a zombied connection (no
/// HEARTBEAT_ACK between two heartbeats) or otherwise wants to keep the
/// session resumable. Anything but 1000/1001 keeps it; 4000 is in the
/// private-use range.
pub const RESUMABLE_CLIENT_CLOSE: u16 = 4000;

/// The close code for an intentional shutdown that ends the session.
pub const SESSION_ENDING_CLIENT_CLOSE: u16 = 1000;

/// Whether a close code sent **by the client** invalidates the session
/// (1000 and 1001 do; every other code, or a dropped TCP connection, keeps
/// it resumable; discord-protocol.md §3.11).
pub const fn client_close_ends_session(code: u16) -> bool {
    matches!(code, 1000 | 1001)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_match_the_protocol_tables() {
        // (code, Reconnect column of §4.1, client action of §4.2)
        let table = [
            (4000, true, CloseVerdict::Resume),
            (4001, true, CloseVerdict::Resume),
            (4002, true, CloseVerdict::Resume),
            (4003, true, CloseVerdict::Reidentify),
            (4004, false, CloseVerdict::Fatal),
            (4005, true, CloseVerdict::Resume),
            (4007, true, CloseVerdict::Reidentify),
            (4008, true, CloseVerdict::Resume),
            (4009, true, CloseVerdict::Reidentify),
            (4010, false, CloseVerdict::Fatal),
            (4011, false, CloseVerdict::Fatal),
            (4012, false, CloseVerdict::Fatal),
            (4013, false, CloseVerdict::Fatal),
            (4014, false, CloseVerdict::Fatal),
        ];
        assert_eq!(table.len(), CloseCode::ALL.len());
        for (code, reconnect, verdict) in table {
            let known = CloseCode::try_from(code).unwrap();
            assert_eq!(known.code(), code);
            assert_eq!(known.can_reconnect(), reconnect, "{code}");
            assert_eq!(close_verdict(code), verdict, "{code}");
            assert_eq!(verdict.should_reconnect(), reconnect, "{code}");
        }
    }

    #[test]
    fn codes_outside_the_table_try_to_resume() {
        for code in [
            0,
            1000,
            1001,
            1005,
            1006,
            1011,
            3000,
            4006,
            4015,
            4999,
            u16::MAX,
        ] {
            assert_eq!(close_verdict(code), CloseVerdict::Resume, "{code}");
            assert_eq!(CloseCode::try_from(code), Err(UnknownCloseCode(code)));
        }
    }

    #[test]
    fn there_is_no_4006_on_the_main_gateway() {
        assert!(CloseCode::from_code(4006).is_none());
    }

    #[test]
    fn fatal_codes_say_what_to_fix() {
        for code in CloseCode::ALL {
            assert!(!code.explanation().is_empty());
            if code.verdict() == CloseVerdict::Fatal {
                assert!(
                    code.explanation().contains(':'),
                    "fatal {code} must carry an instruction"
                );
            }
        }
        assert!(CloseCode::DisallowedIntents
            .explanation()
            .contains("Developer Portal"));
        assert!(CloseCode::AuthenticationFailed
            .explanation()
            .contains("token"));
    }

    #[test]
    fn session_invalidation_on_server_close() {
        for code in [4003, 4007, 4009] {
            assert!(CloseCode::from_code(code).unwrap().invalidates_session());
        }
        for code in [4000, 4001, 4002, 4005, 4008] {
            assert!(!CloseCode::from_code(code).unwrap().invalidates_session());
        }
    }

    #[test]
    fn client_closes() {
        assert!(client_close_ends_session(1000));
        assert!(client_close_ends_session(1001));
        assert!(!client_close_ends_session(RESUMABLE_CLIENT_CLOSE));
        assert!(!client_close_ends_session(4001));
        assert!(client_close_ends_session(SESSION_ENDING_CLIENT_CLOSE));
    }

    #[test]
    fn display_names_the_code() {
        assert_eq!(
            CloseCode::DisallowedIntents.to_string(),
            "4014 (Disallowed intent(s))"
        );
    }
}
