//! Invites.

use serde::{Deserialize, Serialize};

use super::{int_enum, Channel, ChannelId, GuildId, PartialApplication, RoleId, Timestamp, User};

int_enum! {
    /// Invite type.
    pub enum InviteType: u16 {
        /// Guild invite.
        Guild = 0,
        /// Group DM invite.
        GroupDm = 1,
        /// Friend invite.
        Friend = 2,
    }
}

int_enum! {
    /// Voice channel invite target.
    pub enum InviteTargetType: u16 {
        /// A user's stream.
        Stream = 1,
        /// An embedded application.
        EmbeddedApplication = 2,
    }
}

/// An invite as returned by REST (with metadata where Discord includes it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    /// Type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<InviteType>,
    /// Code.
    pub code: String,
    /// Partial guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild: Option<InviteGuild>,
    /// Partial channel.
    #[serde(default)]
    pub channel: Option<Box<Channel>>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter: Option<User>,
    /// Target type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<InviteTargetType>,
    /// Streaming user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<User>,
    /// Embedded application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_application: Option<PartialApplication>,
    /// Approximate online members (`with_counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
    /// Approximate members (`with_counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    /// Expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Metadata: uses so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<u32>,
    /// Metadata: maximum uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    /// Metadata: lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// Metadata: temporary membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary: Option<bool>,
    /// Metadata: creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
}

/// The partial guild of an invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteGuild {
    /// Guild ID.
    pub id: GuildId,
    /// Name.
    pub name: String,
    /// Icon hash.
    #[serde(default)]
    pub icon: Option<String>,
    /// Splash hash.
    #[serde(default)]
    pub splash: Option<String>,
    /// Banner hash.
    #[serde(default)]
    pub banner: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Vanity code.
    #[serde(default)]
    pub vanity_url_code: Option<String>,
}

/// INVITE_CREATE payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteCreate {
    /// Channel.
    pub channel_id: ChannelId,
    /// Code.
    pub code: String,
    /// Created at.
    pub created_at: Timestamp,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inviter: Option<User>,
    /// Lifetime in seconds.
    pub max_age: u32,
    /// Maximum uses.
    pub max_uses: u32,
    /// Target type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<InviteTargetType>,
    /// Streaming user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<User>,
    /// Embedded application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_application: Option<PartialApplication>,
    /// Temporary membership.
    pub temporary: bool,
    /// Uses (always 0).
    #[serde(default)]
    pub uses: u32,
    /// Expiry (null = never).
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Roles granted on join.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_ids: Vec<RoleId>,
}
