//! Guild members (discord-protocol.md §8.3).

use serde::{Deserialize, Serialize};

use super::{int_flags, AvatarDecorationData, Collectibles, Permissions, RoleId, Timestamp, User};

int_flags! {
    /// Guild member flags.
    pub struct MemberFlags: u64 {
        /// Left and rejoined the guild.
        const DID_REJOIN = 1 << 0;
        /// Completed onboarding.
        const COMPLETED_ONBOARDING = 1 << 1;
        /// Exempt from verification requirements (editable).
        const BYPASSES_VERIFICATION = 1 << 2;
        /// Started onboarding.
        const STARTED_ONBOARDING = 1 << 3;
        /// A guest (temporary voice invite).
        const IS_GUEST = 1 << 4;
        /// Started the server guide new member actions.
        const STARTED_HOME_ACTIONS = 1 << 5;
        /// Completed the server guide new member actions.
        const COMPLETED_HOME_ACTIONS = 1 << 6;
        /// Quarantined by AutoMod for their username or nickname.
        const AUTOMOD_QUARANTINED_USERNAME = 1 << 7;
        /// Acknowledged the DM settings upsell.
        const DM_SETTINGS_UPSELL_ACKNOWLEDGED = 1 << 9;
        /// Quarantined by AutoMod for their guild tag.
        const AUTOMOD_QUARANTINED_GUILD_TAG = 1 << 10;
    }
}

/// A member of a guild. Also used for the partial members Discord sends in
/// messages and interactions (where `user`, `deaf` or `mute` may be absent:
/// `user` is then `None` and the booleans `false`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The user (absent in MESSAGE_CREATE `member` and resolved data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Guild nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// Guild avatar hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Guild banner hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Role IDs (never `@everyone`).
    #[serde(default)]
    pub roles: Vec<RoleId>,
    /// When the user joined (null for guests).
    #[serde(default)]
    pub joined_at: Option<Timestamp>,
    /// When the user started boosting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_since: Option<Timestamp>,
    /// Server-deafened.
    #[serde(default)]
    pub deaf: bool,
    /// Server-muted.
    #[serde(default)]
    pub mute: bool,
    /// Member flags.
    #[serde(default)]
    pub flags: MemberFlags,
    /// Has not yet passed membership screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    /// Total permissions in the interaction's channel (interactions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// End of the member's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_disabled_until: Option<Timestamp>,
    /// Guild avatar decoration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_decoration_data: Option<Box<AvatarDecorationData>>,
    /// Guild collectibles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectibles: Option<Box<Collectibles>>,
}
