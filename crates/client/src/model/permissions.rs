//! The permission bitfield (discord-protocol.md §8.12).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

bitflags::bitflags! {
    /// Permissions of a role, member or overwrite.
    ///
    /// Serialised as a decimal **string** (`"2048"`), as Discord sends it;
    /// integers are accepted too. Unknown bits are kept.
    ///
    /// ```
    /// use acord::model::Permissions;
    /// let p: Permissions = serde_json::from_str("\"2056\"").unwrap();
    /// assert_eq!(p, Permissions::SEND_MESSAGES | Permissions::ADMINISTRATOR);
    /// assert_eq!(serde_json::to_string(&p).unwrap(), "\"2056\"");
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct Permissions: u64 {
        /// Create instant invites.
        const CREATE_INSTANT_INVITE = 1 << 0;
        /// Kick members (2FA).
        const KICK_MEMBERS = 1 << 1;
        /// Ban members (2FA).
        const BAN_MEMBERS = 1 << 2;
        /// All permissions, bypassing overwrites (2FA).
        const ADMINISTRATOR = 1 << 3;
        /// Manage channels (2FA).
        const MANAGE_CHANNELS = 1 << 4;
        /// Manage the guild (2FA).
        const MANAGE_GUILD = 1 << 5;
        /// Add reactions.
        const ADD_REACTIONS = 1 << 6;
        /// View the audit log.
        const VIEW_AUDIT_LOG = 1 << 7;
        /// Priority speaker in voice.
        const PRIORITY_SPEAKER = 1 << 8;
        /// Go live.
        const STREAM = 1 << 9;
        /// View channels and read messages.
        const VIEW_CHANNEL = 1 << 10;
        /// Send messages.
        const SEND_MESSAGES = 1 << 11;
        /// Send TTS messages.
        const SEND_TTS_MESSAGES = 1 << 12;
        /// Delete others' messages (2FA).
        const MANAGE_MESSAGES = 1 << 13;
        /// Links are embedded.
        const EMBED_LINKS = 1 << 14;
        /// Upload files.
        const ATTACH_FILES = 1 << 15;
        /// Read message history.
        const READ_MESSAGE_HISTORY = 1 << 16;
        /// Mention @everyone, @here and all roles.
        const MENTION_EVERYONE = 1 << 17;
        /// Use emojis from other guilds.
        const USE_EXTERNAL_EMOJIS = 1 << 18;
        /// View guild insights.
        const VIEW_GUILD_INSIGHTS = 1 << 19;
        /// Connect to voice.
        const CONNECT = 1 << 20;
        /// Speak in voice.
        const SPEAK = 1 << 21;
        /// Mute members in voice.
        const MUTE_MEMBERS = 1 << 22;
        /// Deafen members in voice.
        const DEAFEN_MEMBERS = 1 << 23;
        /// Move members between voice channels.
        const MOVE_MEMBERS = 1 << 24;
        /// Use voice activity detection.
        const USE_VAD = 1 << 25;
        /// Change own nickname.
        const CHANGE_NICKNAME = 1 << 26;
        /// Change others' nicknames.
        const MANAGE_NICKNAMES = 1 << 27;
        /// Manage roles (2FA).
        const MANAGE_ROLES = 1 << 28;
        /// Manage webhooks (2FA).
        const MANAGE_WEBHOOKS = 1 << 29;
        /// Edit and delete emojis, stickers and sounds (2FA).
        const MANAGE_GUILD_EXPRESSIONS = 1 << 30;
        /// Use application commands.
        const USE_APPLICATION_COMMANDS = 1 << 31;
        /// Request to speak in stage channels.
        const REQUEST_TO_SPEAK = 1 << 32;
        /// Edit and delete scheduled events.
        const MANAGE_EVENTS = 1 << 33;
        /// Manage threads (2FA).
        const MANAGE_THREADS = 1 << 34;
        /// Create public and announcement threads.
        const CREATE_PUBLIC_THREADS = 1 << 35;
        /// Create private threads.
        const CREATE_PRIVATE_THREADS = 1 << 36;
        /// Use stickers from other guilds.
        const USE_EXTERNAL_STICKERS = 1 << 37;
        /// Send messages in threads.
        const SEND_MESSAGES_IN_THREADS = 1 << 38;
        /// Use activities.
        const USE_EMBEDDED_ACTIVITIES = 1 << 39;
        /// Time out members.
        const MODERATE_MEMBERS = 1 << 40;
        /// View creator monetization analytics (2FA).
        const VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41;
        /// Use the soundboard.
        const USE_SOUNDBOARD = 1 << 42;
        /// Create emojis, stickers and sounds.
        const CREATE_GUILD_EXPRESSIONS = 1 << 43;
        /// Create scheduled events.
        const CREATE_EVENTS = 1 << 44;
        /// Use sounds from other guilds.
        const USE_EXTERNAL_SOUNDS = 1 << 45;
        /// Send voice messages.
        const SEND_VOICE_MESSAGES = 1 << 46;
        /// Set the voice channel status.
        const SET_VOICE_CHANNEL_STATUS = 1 << 48;
        /// Create polls.
        const SEND_POLLS = 1 << 49;
        /// Use user-installed apps.
        const USE_EXTERNAL_APPS = 1 << 50;
        /// Pin messages.
        const PIN_MESSAGES = 1 << 51;
        /// Bypass slowmode.
        const BYPASS_SLOWMODE = 1 << 52;
    }
}

impl Serialize for Permissions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.bits())
    }
}

struct PermissionsVisitor;

impl Visitor<'_> for PermissionsVisitor {
    type Value = Permissions;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a permission bitfield as a decimal string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Permissions, E> {
        Ok(Permissions::from_bits_retain(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Permissions, E> {
        // Discord documents the field as arbitrary width: keep the low 64
        // bits of any decimal number (every known bit is among them) instead
        // of failing the event. Arithmetic mod 2^64 gives exactly those bits.
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        }
        let bits = v.bytes().fold(0u64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        Ok(Permissions::from_bits_retain(bits))
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PermissionsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_values() {
        assert_eq!(Permissions::ADMINISTRATOR.bits(), 8);
        assert_eq!(Permissions::SEND_MESSAGES.bits(), 2048);
        assert_eq!(Permissions::MODERATE_MEMBERS.bits(), 1_099_511_627_776);
        assert_eq!(
            Permissions::all().bits().count_ones(),
            52,
            "bits 0-52 minus 47"
        );
        assert!(!Permissions::all().contains(Permissions::from_bits_retain(1 << 47)));
    }

    proptest::proptest! {
        #[test]
        fn round_trip(bits in proptest::prelude::any::<u64>()) {
            let p = Permissions::from_bits_retain(bits);
            let json = serde_json::to_string(&p).unwrap();
            proptest::prop_assert_eq!(&json, &format!("\"{bits}\""));
            proptest::prop_assert_eq!(serde_json::from_str::<Permissions>(&json).unwrap(), p);
            proptest::prop_assert_eq!(serde_json::from_str::<Permissions>(&bits.to_string()).unwrap(), p);
        }
    }

    #[test]
    fn string_serde_keeps_unknown_bits() {
        let p: Permissions = serde_json::from_str("\"140737488355328\"").unwrap();
        assert_eq!(p.bits(), 1 << 47);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"140737488355328\"");
        assert!(serde_json::from_str::<Permissions>("\"-1\"").is_err());
    }

    #[test]
    fn wider_than_64_bits_keeps_the_low_bits_and_never_fails() {
        // Discord documents permissions as arbitrary width: a bit above 63
        // must not fail the whole event.
        let wide = (1u128 << 70) | (1 << 3) | (1 << 11);
        let p: Permissions = serde_json::from_str(&format!("\"{wide}\"")).unwrap();
        assert_eq!(p, Permissions::ADMINISTRATOR | Permissions::SEND_MESSAGES);
        let huge = "9".repeat(60);
        let p: Permissions = serde_json::from_str(&format!("\"{huge}\"")).unwrap();
        // the low 64 bits of the number, whatever its width
        let low = huge.bytes().fold(0u64, |v, d| {
            v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        assert_eq!(p.bits(), low);
        assert!(serde_json::from_str::<Permissions>("\"12x\"").is_err());
    }
}
