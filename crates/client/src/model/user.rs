//! Users (discord-protocol.md §8.1).

use serde::{Deserialize, Serialize};

use super::serde_util::lenient;
use super::{int_enum, int_flags, GuildId, SkuId, UserId};

int_flags! {
    /// Public and private user flags. Unknown bits are kept.
    pub struct UserFlags: u64 {
        /// Discord employee.
        const STAFF = 1 << 0;
        /// Partnered server owner.
        const PARTNER = 1 << 1;
        /// HypeSquad events member.
        const HYPESQUAD = 1 << 2;
        /// Bug hunter level 1.
        const BUG_HUNTER_LEVEL_1 = 1 << 3;
        /// House Bravery member.
        const HYPESQUAD_ONLINE_HOUSE_1 = 1 << 6;
        /// House Brilliance member.
        const HYPESQUAD_ONLINE_HOUSE_2 = 1 << 7;
        /// House Balance member.
        const HYPESQUAD_ONLINE_HOUSE_3 = 1 << 8;
        /// Early Nitro supporter.
        const PREMIUM_EARLY_SUPPORTER = 1 << 9;
        /// The user is a team.
        const TEAM_PSEUDO_USER = 1 << 10;
        /// Bug hunter level 2.
        const BUG_HUNTER_LEVEL_2 = 1 << 14;
        /// Verified bot.
        const VERIFIED_BOT = 1 << 16;
        /// Early verified bot developer.
        const VERIFIED_DEVELOPER = 1 << 17;
        /// Moderator programs alumni.
        const CERTIFIED_MODERATOR = 1 << 18;
        /// Bot uses only HTTP interactions.
        const BOT_HTTP_INTERACTIONS = 1 << 19;
        /// Active developer.
        const ACTIVE_DEVELOPER = 1 << 22;
    }
}

int_enum! {
    /// A user's Nitro level.
    pub enum PremiumType: u16 {
        /// No Nitro.
        None = 0,
        /// Nitro Classic.
        NitroClassic = 1,
        /// Nitro.
        Nitro = 2,
        /// Nitro Basic.
        NitroBasic = 3,
    }
}

/// A Discord user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's ID.
    pub id: UserId,
    /// Username (not unique).
    pub username: String,
    /// Legacy four-digit tag; `"0"` for migrated users.
    #[serde(default)]
    pub discriminator: String,
    /// Display name.
    #[serde(default)]
    pub global_name: Option<String>,
    /// Avatar hash.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Whether the user is a bot.
    #[serde(default, skip_serializing_if = "super::serde_util::is_false")]
    pub bot: bool,
    /// Whether the user is an official Discord system user.
    #[serde(default, skip_serializing_if = "super::serde_util::is_false")]
    pub system: bool,
    /// Whether 2FA is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_enabled: Option<bool>,
    /// Banner hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Banner colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<u32>,
    /// Chosen language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Whether the email is verified (`email` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Email (`email` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// All user flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<UserFlags>,
    /// Nitro level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_type: Option<PremiumType>,
    /// Public flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_flags: Option<UserFlags>,
    /// Avatar decoration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_decoration_data: Option<Box<AvatarDecorationData>>,
    /// Collectibles (nameplate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectibles: Option<Box<Collectibles>>,
    /// Primary guild (server tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_guild: Option<Box<PrimaryGuild>>,
}

/// A user where only `id` is guaranteed (PRESENCE_UPDATE).
///
/// Discord documents that in PRESENCE_UPDATE "the types of the fields are
/// not validated": a field other than `id` whose value has another type
/// than documented reads as `None` instead of failing the event (and the
/// GUILD_CREATE that carries the presence). `public_flags` is also read
/// from its decimal text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialUser {
    /// The user's ID.
    pub id: UserId,
    /// Username.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
    /// Legacy tag.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub discriminator: Option<String>,
    /// Display name.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub global_name: Option<String>,
    /// Avatar hash.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub avatar: Option<String>,
    /// Whether the user is a bot.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub bot: Option<bool>,
    /// Public flags.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub public_flags: Option<UserFlags>,
}

/// A user's avatar decoration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvatarDecorationData {
    /// Decoration asset hash.
    pub asset: String,
    /// SKU of the decoration.
    pub sku_id: SkuId,
}

/// A user's collectibles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collectibles {
    /// The nameplate, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nameplate: Option<Nameplate>,
}

/// A nameplate collectible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nameplate {
    /// SKU of the nameplate.
    pub sku_id: SkuId,
    /// Asset path.
    pub asset: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Background colour palette name.
    #[serde(default)]
    pub palette: String,
}

/// The guild whose tag a user displays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryGuild {
    /// The guild.
    #[serde(default)]
    pub identity_guild_id: Option<GuildId>,
    /// Whether the tag is shown.
    #[serde(default)]
    pub identity_enabled: Option<bool>,
    /// The tag text.
    #[serde(default)]
    pub tag: Option<String>,
    /// Badge hash.
    #[serde(default)]
    pub badge: Option<String>,
}
