//! Auto-moderation rules and actions.

use serde::{Deserialize, Serialize};

use super::{int_enum, AutoModerationRuleId, ChannelId, GuildId, RoleId, UserId};

int_enum! {
    /// When a rule is checked.
    pub enum AutoModerationEventType: u16 {
        /// A message is sent or edited.
        MessageSend = 1,
        /// A member joins or edits their profile.
        MemberUpdate = 2,
    }
}

int_enum! {
    /// What a rule matches.
    pub enum AutoModerationTriggerType: u16 {
        /// Keywords.
        Keyword = 1,
        /// Generic spam.
        Spam = 3,
        /// Preset word lists.
        KeywordPreset = 4,
        /// Too many mentions.
        MentionSpam = 5,
        /// Member profile words.
        MemberProfile = 6,
    }
}

int_enum! {
    /// Preset word lists.
    pub enum KeywordPresetType: u16 {
        /// Profanity.
        Profanity = 1,
        /// Sexual content.
        SexualContent = 2,
        /// Slurs.
        Slurs = 3,
    }
}

int_enum! {
    /// What a rule does.
    pub enum AutoModerationActionType: u16 {
        /// Block the message.
        BlockMessage = 1,
        /// Alert a channel.
        SendAlertMessage = 2,
        /// Time the member out.
        Timeout = 3,
        /// Block profile or interaction.
        BlockMemberInteraction = 4,
    }
}

/// An auto-moderation rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoModerationRule {
    /// Rule ID.
    pub id: AutoModerationRuleId,
    /// Guild.
    pub guild_id: GuildId,
    /// Name.
    pub name: String,
    /// Creator.
    pub creator_id: UserId,
    /// Event type.
    pub event_type: AutoModerationEventType,
    /// Trigger type.
    pub trigger_type: AutoModerationTriggerType,
    /// Trigger metadata.
    #[serde(default)]
    pub trigger_metadata: TriggerMetadata,
    /// Actions.
    #[serde(default)]
    pub actions: Vec<AutoModerationAction>,
    /// Enabled.
    pub enabled: bool,
    /// Exempt roles.
    #[serde(default)]
    pub exempt_roles: Vec<RoleId>,
    /// Exempt channels.
    #[serde(default)]
    pub exempt_channels: Vec<ChannelId>,
}

/// Trigger metadata (fields depend on the trigger type).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerMetadata {
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyword_filter: Vec<String>,
    /// Regular expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex_patterns: Vec<String>,
    /// Presets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub presets: Vec<KeywordPresetType>,
    /// Allowed substrings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_list: Vec<String>,
    /// Mention limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_total_limit: Option<u32>,
    /// Mention raid protection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_raid_protection_enabled: Option<bool>,
}

/// An auto-moderation action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoModerationAction {
    /// Type.
    #[serde(rename = "type")]
    pub kind: AutoModerationActionType,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AutoModerationActionMetadata>,
}

/// Action metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoModerationActionMetadata {
    /// Alert channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Timeout seconds (≤ 2419200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// Message shown to the member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
}
