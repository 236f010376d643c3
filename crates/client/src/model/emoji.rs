//! Emojis, stickers and soundboard sounds (discord-protocol.md §8.9).

use serde::{Deserialize, Serialize};

use super::{int_enum, EmojiId, GuildId, RoleId, SoundId, StickerId, StickerPackId, User};

/// An emoji: custom (with an ID) or Unicode (`id` null).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Emoji {
    /// Custom emoji ID; `None` for Unicode emoji.
    #[serde(default)]
    pub id: Option<EmojiId>,
    /// Name (null only in reactions of deleted custom emoji).
    #[serde(default)]
    pub name: Option<String>,
    /// Roles allowed to use it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleId>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Must be wrapped in colons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_colons: Option<bool>,
    /// Managed by an integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
    /// Animated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
    /// Usable (false when boosts are lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
}

/// A partial emoji (reactions, components, activities): `id`, `name`,
/// `animated`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartialEmoji {
    /// Custom emoji ID; `None` for Unicode emoji.
    #[serde(default)]
    pub id: Option<EmojiId>,
    /// Name, or the Unicode character.
    #[serde(default)]
    pub name: Option<String>,
    /// Animated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

impl PartialEmoji {
    /// A Unicode emoji.
    pub fn unicode(emoji: impl Into<String>) -> Self {
        Self {
            id: None,
            name: Some(emoji.into()),
            animated: None,
        }
    }

    /// A custom emoji.
    pub fn custom(id: EmojiId, name: impl Into<String>, animated: bool) -> Self {
        Self {
            id: Some(id),
            name: Some(name.into()),
            animated: Some(animated),
        }
    }
}

int_enum! {
    /// Sticker type.
    pub enum StickerType: u16 {
        /// Official sticker in a pack.
        Standard = 1,
        /// Uploaded to a guild.
        Guild = 2,
    }
}

int_enum! {
    /// Sticker file format.
    pub enum StickerFormatType: u16 {
        /// PNG.
        Png = 1,
        /// Animated PNG.
        Apng = 2,
        /// Lottie JSON.
        Lottie = 3,
        /// GIF.
        Gif = 4,
    }
}

/// A sticker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sticker {
    /// Sticker ID.
    pub id: StickerId,
    /// Pack of a standard sticker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_id: Option<StickerPackId>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Autocomplete tags.
    #[serde(default)]
    pub tags: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: StickerType,
    /// Format.
    pub format_type: StickerFormatType,
    /// Usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
    /// Guild of a guild sticker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Uploader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Sort order in the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_value: Option<u32>,
}

/// The smallest sticker form, in messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickerItem {
    /// Sticker ID.
    pub id: StickerId,
    /// Name.
    pub name: String,
    /// Format.
    pub format_type: StickerFormatType,
}

/// A soundboard sound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoundboardSound {
    /// Name.
    pub name: String,
    /// Sound ID.
    pub sound_id: SoundId,
    /// Volume, 0 to 1.
    pub volume: f64,
    /// Custom emoji.
    #[serde(default)]
    pub emoji_id: Option<EmojiId>,
    /// Unicode emoji.
    #[serde(default)]
    pub emoji_name: Option<String>,
    /// Guild (absent for default sounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Usable.
    #[serde(default = "yes")]
    pub available: bool,
    /// Uploader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

fn yes() -> bool {
    true
}
