//! Roles (discord-protocol.md §8.4).

use serde::{Deserialize, Serialize};

use super::serde_util::{is_false, present, write_null};
use super::{int_flags, IntegrationId, Permissions, RoleId, SkuId, UserId};

int_flags! {
    /// Role flags.
    pub struct RoleFlags: u64 {
        /// The role can be selected in an onboarding prompt.
        const IN_PROMPT = 1 << 0;
    }
}

/// A guild role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Role ID (`@everyone` has the guild's ID).
    pub id: RoleId,
    /// Role name.
    pub name: String,
    /// Integer colour (legacy; prefer [`Role::colors`]).
    #[serde(default)]
    pub color: u32,
    /// The role's colours.
    #[serde(default)]
    pub colors: RoleColors,
    /// Shown separately in the member list.
    #[serde(default)]
    pub hoist: bool,
    /// Icon hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Unicode emoji icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unicode_emoji: Option<String>,
    /// Position (`@everyone` is 0).
    #[serde(default)]
    pub position: i32,
    /// Permission bitfield.
    pub permissions: Permissions,
    /// Managed by an integration.
    #[serde(default)]
    pub managed: bool,
    /// Mentionable by everyone.
    #[serde(default)]
    pub mentionable: bool,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<RoleTags>,
    /// Role flags.
    #[serde(default)]
    pub flags: RoleFlags,
}

/// A role's colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleColors {
    /// Primary colour.
    #[serde(default)]
    pub primary_color: u32,
    /// Secondary colour (gradient), with ENHANCED_ROLE_COLORS.
    #[serde(default)]
    pub secondary_color: Option<u32>,
    /// Tertiary colour (holographic), with ENHANCED_ROLE_COLORS.
    #[serde(default)]
    pub tertiary_color: Option<u32>,
}

/// Role tags. Fields Discord types as `null` are booleans: present (even
/// as `null`) means `true`, absent means `false`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleTags {
    /// The bot this role belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<UserId>,
    /// The integration this role belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<IntegrationId>,
    /// This is the guild's booster role.
    #[serde(
        default,
        deserialize_with = "present",
        serialize_with = "write_null",
        skip_serializing_if = "is_false"
    )]
    pub premium_subscriber: bool,
    /// The role subscription listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_listing_id: Option<SkuId>,
    /// The role can be purchased.
    #[serde(
        default,
        deserialize_with = "present",
        serialize_with = "write_null",
        skip_serializing_if = "is_false"
    )]
    pub available_for_purchase: bool,
    /// The role is a linked role.
    #[serde(
        default,
        deserialize_with = "present",
        serialize_with = "write_null",
        skip_serializing_if = "is_false"
    )]
    pub guild_connections: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_tags_mean_true_absent_means_false() {
        let tags: RoleTags =
            serde_json::from_str(r#"{"premium_subscriber":null,"bot_id":"5"}"#).unwrap();
        assert!(tags.premium_subscriber);
        assert!(!tags.available_for_purchase);
        assert!(!tags.guild_connections);
        let json = serde_json::to_string(&tags).unwrap();
        assert_eq!(json, r#"{"bot_id":"5","premium_subscriber":null}"#);
    }
}
