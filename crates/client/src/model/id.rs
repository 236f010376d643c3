//! Typed snowflake IDs: `Id<GuildMarker>`, `Id<ChannelMarker>`, …
//!
//! A snowflake is a 64-bit ID whose top 42 bits are milliseconds since the
//! Discord epoch (discord-protocol.md §1.2). Discord sends them as JSON strings
//! (and sometimes as integers); [`Id`] reads both and always writes strings.
//!
//! The marker type parameter keeps kinds apart at compile time:
//!
//! ```compile_fail
//! use acord::model::{ChannelId, GuildId};
//! fn leave(_guild: GuildId) {}
//! let channel = ChannelId::new(81384788765712384).unwrap();
//! leave(channel); // a channel ID is not a guild ID
//! ```
//!
//! Where Discord reuses an ID across kinds (the `@everyone` role has the
//! guild's ID) convert explicitly with [`Id::cast`]:
//!
//! ```
//! use acord::model::{GuildId, RoleId};
//! let guild = GuildId::new(41771983423143937).unwrap();
//! let everyone: RoleId = guild.cast();
//! assert_eq!(everyone.get(), guild.get());
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::num::{NonZeroU64, ParseIntError};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acord_core_signals::limits::DISCORD_EPOCH_MS;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A typed Discord snowflake.
///
/// `#[repr(transparent)]` over a [`NonZeroU64`], so `Option<Id<M>>` is eight
/// bytes. `Copy`, `Eq`, `Hash` and `Ord` hold for every marker.
#[repr(transparent)]
pub struct Id<M> {
    raw: NonZeroU64,
    _marker: PhantomData<fn(M) -> M>,
}

impl<M> Id<M> {
    /// Builds an ID from a raw value; `None` for zero.
    pub const fn new(raw: u64) -> Option<Self> {
        match NonZeroU64::new(raw) {
            Some(raw) => Some(Self::from_nonzero(raw)),
            None => None,
        }
    }

    /// Builds an ID from a non-zero value.
    pub const fn from_nonzero(raw: NonZeroU64) -> Self {
        Self {
            raw,
            _marker: PhantomData,
        }
    }

    /// The raw value.
    pub const fn get(self) -> u64 {
        self.raw.get()
    }

    /// The raw value as a [`NonZeroU64`].
    pub const fn into_nonzero(self) -> NonZeroU64 {
        self.raw
    }

    /// Reinterprets the ID as another kind. Only meaningful where Discord
    /// reuses IDs across kinds (the `@everyone` role ID is the guild ID).
    pub const fn cast<N>(self) -> Id<N> {
        Id::from_nonzero(self.raw)
    }

    /// Milliseconds since the Unix epoch at which the ID was created.
    pub const fn timestamp_ms(self) -> u64 {
        (self.raw.get() >> 22) + DISCORD_EPOCH_MS
    }

    /// The moment the ID was created, from its timestamp bits.
    pub fn timestamp(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.timestamp_ms())
    }

    /// The internal worker ID bits (21..17).
    pub const fn worker_id(self) -> u8 {
        ((self.raw.get() & 0x3E_0000) >> 17) as u8
    }

    /// The internal process ID bits (16..12).
    pub const fn process_id(self) -> u8 {
        ((self.raw.get() & 0x1F000) >> 12) as u8
    }

    /// The per-process increment (bits 11..0).
    pub const fn increment(self) -> u16 {
        (self.raw.get() & 0xFFF) as u16
    }
}

impl<M> Clone for Id<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Id<M> {}

impl<M> PartialEq for Id<M> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<M> Eq for Id<M> {}

impl<M> PartialOrd for Id<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<M> Ord for Id<M> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.raw.cmp(&other.raw)
    }
}

impl<M> Hash for Id<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.raw.get());
    }
}

impl<M> fmt::Debug for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = std::any::type_name::<M>();
        let short = name.rsplit("::").next().unwrap_or(name);
        write!(f, "Id<{short}>({})", self.raw)
    }
}

impl<M> fmt::Display for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.raw, f)
    }
}

/// Why a string is not a valid [`Id`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdParseError {
    /// The text is not an unsigned 64-bit integer.
    #[error("snowflake is not an unsigned 64-bit integer")]
    NotANumber(#[source] ParseIntError),
    /// The value is zero, which no Discord object has.
    #[error("snowflake is zero")]
    Zero,
}

impl<M> FromStr for Id<M> {
    type Err = IdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = match digits(s) {
            Some(raw) => raw,
            None => s.parse::<u64>().map_err(IdParseError::NotANumber)?,
        };
        Self::new(raw).ok_or(IdParseError::Zero)
    }
}

impl<M> From<NonZeroU64> for Id<M> {
    fn from(raw: NonZeroU64) -> Self {
        Self::from_nonzero(raw)
    }
}

impl<M> From<Id<M>> for u64 {
    fn from(id: Id<M>) -> Self {
        id.get()
    }
}

impl<M> TryFrom<u64> for Id<M> {
    type Error = IdParseError;

    fn try_from(raw: u64) -> Result<Self, Self::Error> {
        Self::new(raw).ok_or(IdParseError::Zero)
    }
}

impl<M> Serialize for Id<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.raw)
    }
}

/// The value of 1 to 19 ASCII digits, which cannot overflow a `u64`: the
/// snowflakes of every event take this path, without the overflow checks
/// and sign handling of `str::parse`. `None` for anything else (20 digits,
/// a sign, other characters), which `str::parse` then decides.
///
/// The leading `len % 8` digits are read one by one, the rest eight at a
/// time ([`eight_digits`]): a 19-digit snowflake is 3 single digits and two
/// words instead of 19 rounds of the loop.
fn digits(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let (head, words) = b.split_at(b.len() % 8);
    let mut n = 0u64;
    for &c in head {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    for word in words.chunks_exact(8) {
        n = n * 100_000_000 + eight_digits(word)?;
    }
    Some(n)
}

/// The value of exactly eight ASCII digits (`None` if any byte is not one),
/// with a handful of word operations (the SWAR method of Lemire's "fast
/// number parsing"): the first digit is the lowest byte of the
/// little-endian word.
fn eight_digits(word: &[u8]) -> Option<u64> {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    let v = u64::from_le_bytes(bytes);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 does
    // not carry out of the low nibble.
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    if (v & HIGH) | (((v.wrapping_add(0x0606_0606_0606_0606)) & HIGH) >> 4) != 0x3333_3333_3333_3333
    {
        return None;
    }
    let v = v & 0x0F0F_0F0F_0F0F_0F0F;
    // Pairs of digits, then groups of four, then the eight: each step
    // multiplies the higher-order (earlier) group and adds the other.
    // The products overflow by design: what lands above bit 63 is never
    // read.
    let v = v.wrapping_mul(1 + (10 << 8)) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(1 + (100 << 16)) >> 16;
    let v = (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(1 + (10_000 << 32)) >> 32;
    Some(v)
}

/// Reads any kind of snowflake as a [`NonZeroU64`]: one visitor for every
/// marker, so serde_json's `deserialize_any` is compiled once for all `Id`
/// kinds instead of once per kind.
struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = NonZeroU64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-zero snowflake as a string or an integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        NonZeroU64::new(v).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .ok()
            .and_then(NonZeroU64::new)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse::<Id<()>>()
            .map(Id::into_nonzero)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de, M> Deserialize<'de> for Id<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(IdVisitor)
            .map(Id::from_nonzero)
    }
}

macro_rules! markers {
    ($($(#[$doc:meta])* $marker:ident => $alias:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub struct $marker;

            #[doc = concat!("An [`Id`] of kind [`", stringify!($marker), "`].")]
            pub type $alias = Id<$marker>;
        )*
    };
}

markers! {
    /// Marker for application IDs.
    ApplicationMarker => ApplicationId;
    /// Marker for attachment IDs.
    AttachmentMarker => AttachmentId;
    /// Marker for audit log entry IDs.
    AuditLogEntryMarker => AuditLogEntryId;
    /// Marker for auto-moderation rule IDs.
    AutoModerationRuleMarker => AutoModerationRuleId;
    /// Marker for channel (and thread) IDs.
    ChannelMarker => ChannelId;
    /// Marker for application command IDs.
    CommandMarker => CommandId;
    /// Marker for emoji IDs.
    EmojiMarker => EmojiId;
    /// Marker for entitlement IDs.
    EntitlementMarker => EntitlementId;
    /// Marker for forum tag IDs.
    TagMarker => TagId;
    /// Marker for guild IDs.
    GuildMarker => GuildId;
    /// Marker for integration IDs.
    IntegrationMarker => IntegrationId;
    /// Marker for interaction IDs.
    InteractionMarker => InteractionId;
    /// Marker for message IDs.
    MessageMarker => MessageId;
    /// Marker for role IDs.
    RoleMarker => RoleId;
    /// Marker for scheduled event IDs.
    ScheduledEventMarker => ScheduledEventId;
    /// Marker for SKU IDs.
    SkuMarker => SkuId;
    /// Marker for soundboard sound IDs.
    SoundMarker => SoundId;
    /// Marker for stage instance IDs.
    StageMarker => StageId;
    /// Marker for sticker IDs.
    StickerMarker => StickerId;
    /// Marker for sticker pack IDs.
    StickerPackMarker => StickerPackId;
    /// Marker for subscription IDs.
    SubscriptionMarker => SubscriptionId;
    /// Marker for team IDs.
    TeamMarker => TeamId;
    /// Marker for user IDs.
    UserMarker => UserId;
    /// Marker for webhook IDs.
    WebhookMarker => WebhookId;
    /// Marker for IDs whose kind depends on context (overwrite targets,
    /// mentionables, audit-log targets).
    GenericMarker => GenericId;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_strings_and_integers_writes_strings() {
        let id: GuildId = serde_json::from_str("\"41771983423143937\"").unwrap();
        assert_eq!(id.get(), 41771983423143937);
        let id2: GuildId = serde_json::from_str("41771983423143937").unwrap();
        assert_eq!(id, id2);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"41771983423143937\"");
        assert!(serde_json::from_str::<GuildId>("\"0\"").is_err());
        assert!(serde_json::from_str::<GuildId>("0").is_err());
        assert!(serde_json::from_str::<GuildId>("-4").is_err());
        assert!(serde_json::from_str::<GuildId>("\"abc\"").is_err());
        assert!(serde_json::from_str::<GuildId>("1.5").is_err());
    }

    #[test]
    fn hostile_snowflakes_are_errors() {
        for bad in [
            "\"0\"",
            "\"00\"",
            "0",
            "-0",
            "\"\"",
            "\" 1\"",
            "\"1é\"",
            "\"18446744073709551616\"",
            "18446744073709551616",
            "-9223372036854775808",
            "null",
            "true",
            "[1]",
        ] {
            assert!(serde_json::from_str::<UserId>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::from_str::<UserId>("\"18446744073709551615\"")
                .unwrap()
                .get(),
            u64::MAX
        );
        // A zero ID inside an event is an error naming the event.
        let err =
            crate::event::Event::from_dispatch("MESSAGE_DELETE", br#"{"id":"0","channel_id":"2"}"#)
                .unwrap_err();
        assert_eq!(err.name(), "MESSAGE_DELETE");
    }

    #[test]
    fn timestamp_and_parts() {
        // Example from Discord's reference: 175928847299117063.
        let id = UserId::new(175928847299117063).unwrap();
        assert_eq!(id.timestamp_ms(), 1462015105796);
        assert_eq!(id.worker_id(), 1);
        assert_eq!(id.process_id(), 0);
        assert_eq!(id.increment(), 7);
        assert_eq!(
            id.timestamp().duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_millis(1462015105796)
        );
    }

    #[test]
    fn debug_display_from_str() {
        let id: RoleId = "123".parse().unwrap();
        assert_eq!(format!("{id:?}"), "Id<RoleMarker>(123)");
        assert_eq!(id.to_string(), "123");
        assert_eq!("0".parse::<RoleId>(), Err(IdParseError::Zero));
        assert!(matches!(
            "x".parse::<RoleId>(),
            Err(IdParseError::NotANumber(_))
        ));
        assert_eq!(std::mem::size_of::<Option<RoleId>>(), 8);
    }

    #[test]
    fn traits_do_not_need_marker_bounds() {
        fn assert_traits<T: Copy + Eq + Ord + Hash + fmt::Debug + Send + Sync + 'static>() {}
        assert_traits::<Id<GuildMarker>>();
        struct NotDebug;
        assert_traits::<Id<fn(NotDebug)>>();
    }

    proptest! {
        /// The digit fast path reads exactly what `str::parse::<u64>` reads.
        #[test]
        fn parsing_agrees_with_str_parse(s in "[+-]?[0-9]{0,21}|[0-9 a+]{0,4}") {
            let ours = s.parse::<UserId>().map(UserId::get).ok();
            let std = s.parse::<u64>().ok().filter(|n| *n != 0);
            prop_assert_eq!(ours, std);
        }

        /// The eight-at-a-time path agrees with `str::parse` on any bytes
        /// (digits next to the characters around them: `/`, `:`, and
        /// multi-byte text).
        #[test]
        fn digits_agree_with_str_parse_on_any_text(s in "[/0-9:é]{0,20}") {
            prop_assert_eq!(digits(&s), if s.len() <= 19 { s.parse::<u64>().ok() } else { None });
        }

        #[test]
        fn round_trip(raw in 1u64..) {
            let id = ChannelId::new(raw).unwrap();
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(&json, &format!("\"{raw}\""));
            prop_assert_eq!(serde_json::from_str::<ChannelId>(&json).unwrap(), id);
            prop_assert_eq!(serde_json::from_str::<ChannelId>(&raw.to_string()).unwrap(), id);
            prop_assert_eq!(id.to_string().parse::<ChannelId>().unwrap(), id);
            prop_assert_eq!(id.cast::<GuildMarker>().cast::<ChannelMarker>(), id);
        }
    }
}
