//! Gateway intents (discord-protocol.md §6) and the table of which intent
//! gates which dispatch event.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

bitflags::bitflags! {
    /// The `intents` bitfield sent in IDENTIFY: which groups of events the
    /// bot wants. Discord rejects unknown bits with close 4013 and privileged
    /// bits the app may not use with close 4014.
    ///
    /// Serialises as its integer value.
    ///
    /// ```
    /// use acord_core_signals::Intents;
    /// let intents = Intents::GUILDS | Intents::GUILD_MESSAGES;
    /// assert_eq!(intents.bits(), 513);
    /// assert!(!intents.is_privileged());
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Intents: u64 {
        /// Guilds, roles, channels, threads, stage instances.
        const GUILDS = 1 << 0;
        /// Member add/update/remove (privileged).
        const GUILD_MEMBERS = 1 << 1;
        /// Bans and audit-log entries.
        const GUILD_MODERATION = 1 << 2;
        /// Emojis, stickers and soundboard sounds
        /// (formerly GUILD_EMOJIS_AND_STICKERS).
        const GUILD_EXPRESSIONS = 1 << 3;
        /// Integrations.
        const GUILD_INTEGRATIONS = 1 << 4;
        /// Webhooks.
        const GUILD_WEBHOOKS = 1 << 5;
        /// Invites.
        const GUILD_INVITES = 1 << 6;
        /// Voice states and voice channel effects.
        const GUILD_VOICE_STATES = 1 << 7;
        /// Presence updates (privileged).
        const GUILD_PRESENCES = 1 << 8;
        /// Messages in guild channels.
        const GUILD_MESSAGES = 1 << 9;
        /// Reactions in guild channels.
        const GUILD_MESSAGE_REACTIONS = 1 << 10;
        /// Typing in guild channels.
        const GUILD_MESSAGE_TYPING = 1 << 11;
        /// Messages and pins in DMs.
        const DIRECT_MESSAGES = 1 << 12;
        /// Reactions in DMs.
        const DIRECT_MESSAGE_REACTIONS = 1 << 13;
        /// Typing in DMs.
        const DIRECT_MESSAGE_TYPING = 1 << 14;
        /// Message content fields (privileged; gates no event by itself).
        const MESSAGE_CONTENT = 1 << 15;
        /// Scheduled events.
        const GUILD_SCHEDULED_EVENTS = 1 << 16;
        /// Auto-moderation rules.
        const AUTO_MODERATION_CONFIGURATION = 1 << 20;
        /// Auto-moderation actions.
        const AUTO_MODERATION_EXECUTION = 1 << 21;
        /// Poll votes in guilds.
        const GUILD_MESSAGE_POLLS = 1 << 24;
        /// Poll votes in DMs.
        const DIRECT_MESSAGE_POLLS = 1 << 25;
    }
}

impl Intents {
    /// The privileged intents: GUILD_MEMBERS, GUILD_PRESENCES and
    /// MESSAGE_CONTENT. Each must be enabled in the Developer Portal.
    pub const PRIVILEGED: Intents = Intents::GUILD_MEMBERS
        .union(Intents::GUILD_PRESENCES)
        .union(Intents::MESSAGE_CONTENT);

    /// Every documented intent that is not privileged.
    pub const fn non_privileged() -> Intents {
        Intents::all().difference(Intents::PRIVILEGED)
    }

    /// Whether any privileged bit is set.
    pub const fn is_privileged(self) -> bool {
        self.intersects(Intents::PRIVILEGED)
    }

    /// Parses a raw bitfield, failing on undocumented bits (the check that
    /// makes Discord close with 4013).
    pub const fn from_bits_checked(bits: u64) -> Option<Intents> {
        Intents::from_bits(bits)
    }

    /// The intents of which at least one must be set for Discord to send the
    /// dispatch event `name`.
    ///
    /// `Some(Intents::empty())` means the event is always sent; `None` means
    /// the name is not a documented event. Where an event is gated by
    /// different intents in guilds and DMs (MESSAGE_CREATE: GUILD_MESSAGES or
    /// DIRECT_MESSAGES), both are returned.
    ///
    /// ```
    /// use acord_core_signals::Intents;
    /// assert_eq!(
    ///     Intents::for_event("MESSAGE_CREATE"),
    ///     Some(Intents::GUILD_MESSAGES | Intents::DIRECT_MESSAGES)
    /// );
    /// assert_eq!(Intents::for_event("READY"), Some(Intents::empty()));
    /// assert_eq!(Intents::for_event("NOT_AN_EVENT"), None);
    /// ```
    pub fn for_event(name: &str) -> Option<Intents> {
        EVENT_INTENTS
            .iter()
            .find(|(event, _)| *event == name)
            .map(|(_, intents)| *intents)
    }
}

impl Serialize for Intents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.bits())
    }
}

impl<'de> Deserialize<'de> for Intents {
    /// Keeps undocumented bits rather than failing: a value read from the
    /// wire should survive a round trip.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Intents::from_bits_retain(u64::deserialize(deserializer)?))
    }
}

const NONE: Intents = Intents::empty();
const MESSAGES: Intents = Intents::GUILD_MESSAGES.union(Intents::DIRECT_MESSAGES);
const REACTIONS: Intents =
    Intents::GUILD_MESSAGE_REACTIONS.union(Intents::DIRECT_MESSAGE_REACTIONS);
const TYPING: Intents = Intents::GUILD_MESSAGE_TYPING.union(Intents::DIRECT_MESSAGE_TYPING);
const POLLS: Intents = Intents::GUILD_MESSAGE_POLLS.union(Intents::DIRECT_MESSAGE_POLLS);

/// Every documented dispatch event (`t` value) with the intents that gate it
/// (discord-protocol.md §6 and §7.1). An empty set means "always sent".
///
/// Notes on the rows that are not a single intent:
/// - CHANNEL_PINS_UPDATE: GUILDS in guilds, DIRECT_MESSAGES in DMs.
/// - THREAD_MEMBERS_UPDATE: GUILDS; with GUILD_MEMBERS for other users.
/// - GUILD_MEMBER_UPDATE: GUILD_MEMBERS, but sent for the bot itself anyway.
pub const EVENT_INTENTS: &[(&str, Intents)] = &[
    ("READY", NONE),
    ("RESUMED", NONE),
    ("RATE_LIMITED", NONE),
    ("APPLICATION_COMMAND_PERMISSIONS_UPDATE", NONE),
    (
        "AUTO_MODERATION_RULE_CREATE",
        Intents::AUTO_MODERATION_CONFIGURATION,
    ),
    (
        "AUTO_MODERATION_RULE_UPDATE",
        Intents::AUTO_MODERATION_CONFIGURATION,
    ),
    (
        "AUTO_MODERATION_RULE_DELETE",
        Intents::AUTO_MODERATION_CONFIGURATION,
    ),
    (
        "AUTO_MODERATION_ACTION_EXECUTION",
        Intents::AUTO_MODERATION_EXECUTION,
    ),
    ("CHANNEL_CREATE", Intents::GUILDS),
    ("CHANNEL_UPDATE", Intents::GUILDS),
    ("CHANNEL_DELETE", Intents::GUILDS),
    ("CHANNEL_INFO", NONE),
    (
        "CHANNEL_PINS_UPDATE",
        Intents::GUILDS.union(Intents::DIRECT_MESSAGES),
    ),
    ("THREAD_CREATE", Intents::GUILDS),
    ("THREAD_UPDATE", Intents::GUILDS),
    ("THREAD_DELETE", Intents::GUILDS),
    ("THREAD_LIST_SYNC", Intents::GUILDS),
    ("THREAD_MEMBER_UPDATE", Intents::GUILDS),
    (
        "THREAD_MEMBERS_UPDATE",
        Intents::GUILDS.union(Intents::GUILD_MEMBERS),
    ),
    ("ENTITLEMENT_CREATE", NONE),
    ("ENTITLEMENT_UPDATE", NONE),
    ("ENTITLEMENT_DELETE", NONE),
    ("GUILD_CREATE", Intents::GUILDS),
    ("GUILD_UPDATE", Intents::GUILDS),
    ("GUILD_DELETE", Intents::GUILDS),
    ("GUILD_AUDIT_LOG_ENTRY_CREATE", Intents::GUILD_MODERATION),
    ("GUILD_BAN_ADD", Intents::GUILD_MODERATION),
    ("GUILD_BAN_REMOVE", Intents::GUILD_MODERATION),
    ("GUILD_EMOJIS_UPDATE", Intents::GUILD_EXPRESSIONS),
    ("GUILD_STICKERS_UPDATE", Intents::GUILD_EXPRESSIONS),
    ("GUILD_INTEGRATIONS_UPDATE", Intents::GUILD_INTEGRATIONS),
    ("GUILD_MEMBER_ADD", Intents::GUILD_MEMBERS),
    ("GUILD_MEMBER_REMOVE", Intents::GUILD_MEMBERS),
    ("GUILD_MEMBER_UPDATE", Intents::GUILD_MEMBERS),
    ("GUILD_MEMBERS_CHUNK", NONE),
    ("GUILD_ROLE_CREATE", Intents::GUILDS),
    ("GUILD_ROLE_UPDATE", Intents::GUILDS),
    ("GUILD_ROLE_DELETE", Intents::GUILDS),
    (
        "GUILD_SCHEDULED_EVENT_CREATE",
        Intents::GUILD_SCHEDULED_EVENTS,
    ),
    (
        "GUILD_SCHEDULED_EVENT_UPDATE",
        Intents::GUILD_SCHEDULED_EVENTS,
    ),
    (
        "GUILD_SCHEDULED_EVENT_DELETE",
        Intents::GUILD_SCHEDULED_EVENTS,
    ),
    (
        "GUILD_SCHEDULED_EVENT_USER_ADD",
        Intents::GUILD_SCHEDULED_EVENTS,
    ),
    (
        "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        Intents::GUILD_SCHEDULED_EVENTS,
    ),
    ("GUILD_SOUNDBOARD_SOUND_CREATE", Intents::GUILD_EXPRESSIONS),
    ("GUILD_SOUNDBOARD_SOUND_UPDATE", Intents::GUILD_EXPRESSIONS),
    ("GUILD_SOUNDBOARD_SOUND_DELETE", Intents::GUILD_EXPRESSIONS),
    ("GUILD_SOUNDBOARD_SOUNDS_UPDATE", Intents::GUILD_EXPRESSIONS),
    ("SOUNDBOARD_SOUNDS", NONE),
    ("INTEGRATION_CREATE", Intents::GUILD_INTEGRATIONS),
    ("INTEGRATION_UPDATE", Intents::GUILD_INTEGRATIONS),
    ("INTEGRATION_DELETE", Intents::GUILD_INTEGRATIONS),
    ("INTERACTION_CREATE", NONE),
    ("INVITE_CREATE", Intents::GUILD_INVITES),
    ("INVITE_DELETE", Intents::GUILD_INVITES),
    ("MESSAGE_CREATE", MESSAGES),
    ("MESSAGE_UPDATE", MESSAGES),
    ("MESSAGE_DELETE", MESSAGES),
    ("MESSAGE_DELETE_BULK", Intents::GUILD_MESSAGES),
    ("MESSAGE_REACTION_ADD", REACTIONS),
    ("MESSAGE_REACTION_REMOVE", REACTIONS),
    ("MESSAGE_REACTION_REMOVE_ALL", REACTIONS),
    ("MESSAGE_REACTION_REMOVE_EMOJI", REACTIONS),
    ("MESSAGE_POLL_VOTE_ADD", POLLS),
    ("MESSAGE_POLL_VOTE_REMOVE", POLLS),
    ("PRESENCE_UPDATE", Intents::GUILD_PRESENCES),
    ("STAGE_INSTANCE_CREATE", Intents::GUILDS),
    ("STAGE_INSTANCE_UPDATE", Intents::GUILDS),
    ("STAGE_INSTANCE_DELETE", Intents::GUILDS),
    ("SUBSCRIPTION_CREATE", NONE),
    ("SUBSCRIPTION_UPDATE", NONE),
    ("SUBSCRIPTION_DELETE", NONE),
    ("TYPING_START", TYPING),
    ("USER_UPDATE", NONE),
    ("VOICE_CHANNEL_EFFECT_SEND", Intents::GUILD_VOICE_STATES),
    ("VOICE_CHANNEL_START_TIME_UPDATE", Intents::GUILDS),
    ("VOICE_CHANNEL_STATUS_UPDATE", Intents::GUILDS),
    ("VOICE_STATE_UPDATE", Intents::GUILD_VOICE_STATES),
    ("VOICE_SERVER_UPDATE", NONE),
    ("WEBHOOKS_UPDATE", Intents::GUILD_WEBHOOKS),
];

/// Every documented dispatch event name, in the order of [`EVENT_INTENTS`].
pub fn dispatch_event_names() -> impl Iterator<Item = &'static str> {
    EVENT_INTENTS.iter().map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_match_the_protocol_table() {
        let table = [
            (Intents::GUILDS, 1u64),
            (Intents::GUILD_MEMBERS, 2),
            (Intents::GUILD_MODERATION, 4),
            (Intents::GUILD_EXPRESSIONS, 8),
            (Intents::GUILD_INTEGRATIONS, 16),
            (Intents::GUILD_WEBHOOKS, 32),
            (Intents::GUILD_INVITES, 64),
            (Intents::GUILD_VOICE_STATES, 128),
            (Intents::GUILD_PRESENCES, 256),
            (Intents::GUILD_MESSAGES, 512),
            (Intents::GUILD_MESSAGE_REACTIONS, 1024),
            (Intents::GUILD_MESSAGE_TYPING, 2048),
            (Intents::DIRECT_MESSAGES, 4096),
            (Intents::DIRECT_MESSAGE_REACTIONS, 8192),
            (Intents::DIRECT_MESSAGE_TYPING, 16384),
            (Intents::MESSAGE_CONTENT, 32768),
            (Intents::GUILD_SCHEDULED_EVENTS, 65536),
            (Intents::AUTO_MODERATION_CONFIGURATION, 1048576),
            (Intents::AUTO_MODERATION_EXECUTION, 2097152),
            (Intents::GUILD_MESSAGE_POLLS, 16777216),
            (Intents::DIRECT_MESSAGE_POLLS, 33554432),
        ];
        let mut all = Intents::empty();
        for (intent, value) in table {
            assert_eq!(intent.bits(), value);
            all |= intent;
        }
        assert_eq!(all, Intents::all(), "every documented bit is listed");
        // Bits 17-19 and 22-23 have no documented intent.
        for bit in [17, 18, 19, 22, 23] {
            assert!(Intents::from_bits_checked(1 << bit).is_none());
        }
    }

    #[test]
    fn privileged_holds_exactly_three_bits() {
        assert_eq!(Intents::PRIVILEGED.bits().count_ones(), 3);
        assert_eq!(
            Intents::PRIVILEGED,
            Intents::GUILD_MEMBERS | Intents::GUILD_PRESENCES | Intents::MESSAGE_CONTENT
        );
        assert!(!Intents::non_privileged().is_privileged());
        assert_eq!(
            Intents::non_privileged() | Intents::PRIVILEGED,
            Intents::all()
        );
    }

    #[test]
    fn serde_round_trip_as_integer() {
        let intents = Intents::GUILDS | Intents::GUILD_MESSAGES;
        assert_eq!(serde_json::to_string(&intents).unwrap(), "513");
        assert_eq!(serde_json::from_str::<Intents>("513").unwrap(), intents);
        let unknown: Intents = serde_json::from_str("131072").unwrap();
        assert_eq!(unknown.bits(), 1 << 17);
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "131072");
    }

    #[test]
    fn event_table_matches_the_protocol() {
        let cases = [
            ("GUILD_CREATE", Intents::GUILDS),
            ("GUILD_MEMBER_ADD", Intents::GUILD_MEMBERS),
            ("GUILD_BAN_ADD", Intents::GUILD_MODERATION),
            ("GUILD_EMOJIS_UPDATE", Intents::GUILD_EXPRESSIONS),
            ("WEBHOOKS_UPDATE", Intents::GUILD_WEBHOOKS),
            ("INVITE_DELETE", Intents::GUILD_INVITES),
            ("VOICE_STATE_UPDATE", Intents::GUILD_VOICE_STATES),
            ("PRESENCE_UPDATE", Intents::GUILD_PRESENCES),
            (
                "TYPING_START",
                Intents::GUILD_MESSAGE_TYPING | Intents::DIRECT_MESSAGE_TYPING,
            ),
            (
                "AUTO_MODERATION_ACTION_EXECUTION",
                Intents::AUTO_MODERATION_EXECUTION,
            ),
            (
                "MESSAGE_POLL_VOTE_ADD",
                Intents::GUILD_MESSAGE_POLLS | Intents::DIRECT_MESSAGE_POLLS,
            ),
            ("INTERACTION_CREATE", Intents::empty()),
            ("GUILD_MEMBERS_CHUNK", Intents::empty()),
        ];
        for (name, intents) in cases {
            assert_eq!(Intents::for_event(name), Some(intents), "{name}");
        }
    }

    #[test]
    fn event_table_has_no_duplicates_and_uses_no_message_content() {
        let mut names: Vec<_> = dispatch_event_names().collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(EVENT_INTENTS
            .iter()
            .all(|(_, i)| !i.contains(Intents::MESSAGE_CONTENT)));
    }
}
