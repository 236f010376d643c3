//! Partial applications (READY, messages).

use serde::{Deserialize, Serialize};

use super::{int_flags, ApplicationId};

int_flags! {
    /// Application flags.
    pub struct ApplicationFlags: u64 {
        /// Uses the auto-moderation API.
        const APPLICATION_AUTO_MODERATION_RULE_CREATE_BADGE = 1 << 6;
        /// Presence intent (verified apps).
        const GATEWAY_PRESENCE = 1 << 12;
        /// Presence intent (unverified apps).
        const GATEWAY_PRESENCE_LIMITED = 1 << 13;
        /// Guild members intent (verified apps).
        const GATEWAY_GUILD_MEMBERS = 1 << 14;
        /// Guild members intent (unverified apps).
        const GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15;
        /// Unusual growth, verification pending.
        const VERIFICATION_PENDING_GUILD_LIMIT = 1 << 16;
        /// Embedded in the client.
        const EMBEDDED = 1 << 17;
        /// Message content intent (verified apps).
        const GATEWAY_MESSAGE_CONTENT = 1 << 18;
        /// Message content intent (unverified apps).
        const GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19;
        /// Has global application commands.
        const APPLICATION_COMMAND_BADGE = 1 << 23;
    }
}

/// A partial application: `{id, flags}` in READY, more in messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialApplication {
    /// Application ID.
    pub id: ApplicationId,
    /// Flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<ApplicationFlags>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Icon hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rich presence cover image hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<String>,
}
