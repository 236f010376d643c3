//! REST JSON error codes (discord-protocol.md §1.8).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! json_error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        /// The `code` field of a Discord JSON error body.
        ///
        /// Common codes have a name; every other code is kept as
        /// [`JsonErrorCode::Unknown`] so a code Discord adds tomorrow still
        /// parses. Serialises as the integer.
        ///
        /// ```
        /// use acord_core_signals::JsonErrorCode;
        /// assert_eq!(JsonErrorCode::from(10003), JsonErrorCode::UnknownChannel);
        /// assert_eq!(JsonErrorCode::from(99999), JsonErrorCode::Unknown(99999));
        /// assert_eq!(JsonErrorCode::InvalidFormBody.code(), 50035);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum JsonErrorCode {
            $($(#[$doc])* $name,)*
            /// A code without a name in acord (yet).
            Unknown(u32),
        }

        impl JsonErrorCode {
            /// Every named code.
            pub const NAMED: &'static [JsonErrorCode] = &[$(Self::$name,)*];

            /// The integer value.
            pub const fn code(self) -> u32 {
                match self {
                    $(Self::$name => $code,)*
                    Self::Unknown(code) => code,
                }
            }

            /// Looks up a code; never fails.
            pub const fn from_code(code: u32) -> Self {
                match code {
                    $($code => Self::$name,)*
                    other => Self::Unknown(other),
                }
            }
        }
    };
}

json_error_codes! {
    /// 0: general error (e.g. malformed body).
    GeneralError = 0,
    /// 10001: unknown account.
    UnknownAccount = 10001,
    /// 10002: unknown application.
    UnknownApplication = 10002,
    /// 10003: unknown channel.
    UnknownChannel = 10003,
    /// 10004: unknown guild.
    UnknownGuild = 10004,
    /// 10005: unknown integration.
    UnknownIntegration = 10005,
    /// 10006: unknown invite.
    UnknownInvite = 10006,
    /// 10007: unknown member.
    UnknownMember = 10007,
    /// 10008: unknown message.
    UnknownMessage = 10008,
    /// 10009: unknown permission overwrite.
    UnknownPermissionOverwrite = 10009,
    /// 10011: unknown role.
    UnknownRole = 10011,
    /// 10012: unknown token.
    UnknownToken = 10012,
    /// 10013: unknown user.
    UnknownUser = 10013,
    /// 10014: unknown emoji (also when the emoji path segment is not URL-encoded).
    UnknownEmoji = 10014,
    /// 10015: unknown webhook.
    UnknownWebhook = 10015,
    /// 10020: unknown session.
    UnknownSession = 10020,
    /// 10026: unknown ban.
    UnknownBan = 10026,
    /// 10060: unknown sticker.
    UnknownSticker = 10060,
    /// 10062: unknown interaction (expired token or late callback).
    UnknownInteraction = 10062,
    /// 10063: unknown application command.
    UnknownApplicationCommand = 10063,
    /// 10066: unknown application command permissions.
    UnknownApplicationCommandPermissions = 10066,
    /// 10070: unknown guild scheduled event.
    UnknownGuildScheduledEvent = 10070,
    /// 20001: bots cannot use this endpoint.
    BotsCannotUseEndpoint = 20001,
    /// 20002: only bots can use this endpoint.
    OnlyBotsCanUseEndpoint = 20002,
    /// 20012: not authorized to perform this action on this application.
    NotAuthorizedForApplication = 20012,
    /// 20016: slowmode rate limit.
    SlowmodeRateLimit = 20016,
    /// 20028: channel write rate limit.
    ChannelWriteRateLimit = 20028,
    /// 20029: server write rate limit.
    ServerWriteRateLimit = 20029,
    /// 30001: maximum number of guilds reached (100).
    MaxGuilds = 30001,
    /// 30003: maximum pins reached for the channel (250).
    MaxPins = 30003,
    /// 30005: maximum guild roles reached (250).
    MaxGuildRoles = 30005,
    /// 30007: maximum webhooks reached (15).
    MaxWebhooks = 30007,
    /// 30008: maximum emojis reached.
    MaxEmojis = 30008,
    /// 30010: maximum reactions reached (20).
    MaxReactions = 30010,
    /// 30013: maximum guild channels reached (500).
    MaxGuildChannels = 30013,
    /// 30015: maximum attachments in a message reached (10).
    MaxAttachments = 30015,
    /// 30016: maximum invites reached (1000).
    MaxInvites = 30016,
    /// 30032: maximum application commands reached.
    MaxApplicationCommands = 30032,
    /// 30033: maximum thread participants reached (1000).
    MaxThreadParticipants = 30033,
    /// 30034: maximum daily application command creates reached (200).
    MaxDailyApplicationCommandCreates = 30034,
    /// 30046: maximum edits to messages older than 1 hour reached.
    MaxOldMessageEdits = 30046,
    /// 30058: maximum webhooks per guild reached (1000).
    MaxGuildWebhooks = 30058,
    /// 40001: unauthorized; provide a valid token.
    Unauthorized = 40001,
    /// 40002: the account must be verified.
    AccountNotVerified = 40002,
    /// 40003: opening direct messages too fast.
    OpeningDmsTooFast = 40003,
    /// 40004: sending messages temporarily disabled.
    SendMessagesDisabled = 40004,
    /// 40005: request entity too large.
    RequestEntityTooLarge = 40005,
    /// 40006: feature temporarily disabled server-side.
    FeatureDisabled = 40006,
    /// 40007: the user is banned from this guild.
    UserBanned = 40007,
    /// 40033: message already crossposted.
    AlreadyCrossposted = 40033,
    /// 40041: an application command with that name already exists.
    CommandNameExists = 40041,
    /// 40043: application interaction failed to send.
    InteractionFailedToSend = 40043,
    /// 40058: cannot send a message in a forum channel.
    CannotSendInForum = 40058,
    /// 40060: the interaction has already been acknowledged.
    InteractionAlreadyAcknowledged = 40060,
    /// 40062: the service resource is being rate limited.
    ServiceResourceRateLimited = 40062,
    /// 40094: the interaction hit the maximum number of follow-up messages.
    MaxFollowUpMessages = 40094,
    /// 40333: Cloudflare is blocking the request (set a proper User-Agent).
    CloudflareBlocked = 40333,
    /// 50001: missing access.
    MissingAccess = 50001,
    /// 50003: cannot execute the action on a DM channel.
    CannotExecuteOnDm = 50003,
    /// 50005: cannot edit a message authored by another user.
    CannotEditOthersMessage = 50005,
    /// 50006: cannot send an empty message.
    EmptyMessage = 50006,
    /// 50007: cannot send messages to this user.
    CannotMessageUser = 50007,
    /// 50008: cannot send messages in a non-text channel.
    NonTextChannel = 50008,
    /// 50013: missing permissions for the action.
    MissingPermissions = 50013,
    /// 50014: invalid authentication token.
    InvalidAuthenticationToken = 50014,
    /// 50016: too few or too many messages to delete (2..100).
    BulkDeleteCount = 50016,
    /// 50019: a message can only be pinned in the channel it was sent in.
    PinInWrongChannel = 50019,
    /// 50021: cannot execute the action on a system message.
    SystemMessage = 50021,
    /// 50024: cannot execute the action on this channel type.
    InvalidChannelType = 50024,
    /// 50025: invalid OAuth2 access token.
    InvalidOAuth2Token = 50025,
    /// 50027: invalid webhook token.
    InvalidWebhookToken = 50027,
    /// 50028: invalid role.
    InvalidRole = 50028,
    /// 50033: invalid recipient(s).
    InvalidRecipients = 50033,
    /// 50034: a message was too old to bulk delete.
    MessageTooOldToBulkDelete = 50034,
    /// 50035: invalid form body (JSON or multipart), or invalid Content-Type.
    InvalidFormBody = 50035,
    /// 50041: invalid API version.
    InvalidApiVersion = 50041,
    /// 50045: the uploaded file exceeds the maximum size.
    FileTooLarge = 50045,
    /// 50046: invalid file uploaded.
    InvalidFile = 50046,
    /// 50083: operation on an archived thread.
    ArchivedThread = 50083,
    /// 50109: the request body contains invalid JSON.
    InvalidJson = 50109,
    /// 50278: cannot send messages to this user (no mutual guilds).
    NoMutualGuilds = 50278,
    /// 60003: two factor authentication is required.
    TwoFactorRequired = 60003,
    /// 90001: the reaction was blocked.
    ReactionBlocked = 90001,
    /// 130000: API resource overloaded; retry later.
    ApiResourceOverloaded = 130000,
    /// 160002: cannot reply without READ_MESSAGE_HISTORY.
    CannotReplyWithoutHistory = 160002,
    /// 160004: a thread already exists for this message.
    ThreadAlreadyExists = 160004,
    /// 160005: the thread is locked.
    ThreadLocked = 160005,
    /// 160006: maximum active threads reached.
    MaxActiveThreads = 160006,
    /// 200000: message blocked by AutoMod.
    AutoModMessageBlocked = 200000,
    /// 200001: title blocked by AutoMod.
    AutoModTitleBlocked = 200001,
    /// 240000: message blocked by the harmful links filter.
    HarmfulLinkBlocked = 240000,
}

impl JsonErrorCode {
    /// The HTTP status the fake Discord pairs with this code. Discord does
    /// not document the pairing (discord-protocol.md §1.8 "usual status" is
    /// an interpretation); where the table lists two, the first is used.
    pub const fn usual_status(self) -> u16 {
        match self.code() {
            0 => 400,
            10001..=10999 => 404,
            20001 | 20002 | 20012 => 403,
            20016 | 20028 | 20029 | 30034 | 30046 | 40003 | 40062 => 429,
            40001 | 50014 | 50025 | 50027 => 401,
            40002 | 40004 | 40006 | 40007 | 40333 | 50001 | 50005 | 50007 | 50013 | 50278
            | 60003 | 90001 | 160002 | 160005 => 403,
            40005 => 413,
            130000 => 503,
            _ => 400,
        }
    }
}

impl From<u32> for JsonErrorCode {
    fn from(code: u32) -> Self {
        Self::from_code(code)
    }
}

impl From<JsonErrorCode> for u32 {
    fn from(code: JsonErrorCode) -> u32 {
        code.code()
    }
}

impl fmt::Display for JsonErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "{code}"),
            named => write!(f, "{} ({named:?})", named.code()),
        }
    }
}

impl Serialize for JsonErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for JsonErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_code(u32::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_codes_match_the_protocol_table() {
        let table = [
            (10003, JsonErrorCode::UnknownChannel, 404),
            (10004, JsonErrorCode::UnknownGuild, 404),
            (10008, JsonErrorCode::UnknownMessage, 404),
            (10013, JsonErrorCode::UnknownUser, 404),
            (10062, JsonErrorCode::UnknownInteraction, 404),
            (40001, JsonErrorCode::Unauthorized, 401),
            (40005, JsonErrorCode::RequestEntityTooLarge, 413),
            (40060, JsonErrorCode::InteractionAlreadyAcknowledged, 400),
            (50001, JsonErrorCode::MissingAccess, 403),
            (50013, JsonErrorCode::MissingPermissions, 403),
            (50035, JsonErrorCode::InvalidFormBody, 400),
            (50006, JsonErrorCode::EmptyMessage, 400),
            (130000, JsonErrorCode::ApiResourceOverloaded, 503),
            (20016, JsonErrorCode::SlowmodeRateLimit, 429),
        ];
        for (code, named, status) in table {
            assert_eq!(JsonErrorCode::from(code), named);
            assert_eq!(named.code(), code);
            assert_eq!(named.usual_status(), status, "{code}");
        }
    }

    #[test]
    fn every_named_code_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for &named in JsonErrorCode::NAMED {
            assert!(seen.insert(named.code()), "duplicate {}", named.code());
            assert_eq!(JsonErrorCode::from_code(named.code()), named);
            let text = serde_json::to_string(&named).unwrap();
            assert_eq!(serde_json::from_str::<JsonErrorCode>(&text).unwrap(), named);
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        let code: JsonErrorCode = serde_json::from_str("123456").unwrap();
        assert_eq!(code, JsonErrorCode::Unknown(123456));
        assert_eq!(serde_json::to_string(&code).unwrap(), "123456");
        assert_eq!(code.to_string(), "123456");
        assert_eq!(
            JsonErrorCode::UnknownGuild.to_string(),
            "10004 (UnknownGuild)"
        );
    }
}
