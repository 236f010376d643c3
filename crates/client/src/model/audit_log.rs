//! Audit log entries (GUILD_AUDIT_LOG_ENTRY_CREATE).

use serde::{Deserialize, Serialize};

use super::serde_util::{string_or_int, RawJson};
use super::{
    int_enum, ApplicationCommand, ApplicationId, AuditLogEntryId, AutoModerationRule, Channel,
    ChannelId, GenericId, GuildId, GuildScheduledEvent, Integration, MessageId, User, UserId,
    Webhook,
};

int_enum! {
    /// What an audit log entry records.
    pub enum AuditLogEvent: u16 {
        /// Guild settings updated.
        GuildUpdate = 1,
        /// Channel created.
        ChannelCreate = 10,
        /// Channel updated.
        ChannelUpdate = 11,
        /// Channel deleted.
        ChannelDelete = 12,
        /// Overwrite added.
        ChannelOverwriteCreate = 13,
        /// Overwrite updated.
        ChannelOverwriteUpdate = 14,
        /// Overwrite deleted.
        ChannelOverwriteDelete = 15,
        /// Member kicked.
        MemberKick = 20,
        /// Members pruned.
        MemberPrune = 21,
        /// Member banned.
        MemberBanAdd = 22,
        /// Ban lifted.
        MemberBanRemove = 23,
        /// Member updated.
        MemberUpdate = 24,
        /// Member roles changed.
        MemberRoleUpdate = 25,
        /// Member moved in voice.
        MemberMove = 26,
        /// Member disconnected from voice.
        MemberDisconnect = 27,
        /// Bot added.
        BotAdd = 28,
        /// Role created.
        RoleCreate = 30,
        /// Role updated.
        RoleUpdate = 31,
        /// Role deleted.
        RoleDelete = 32,
        /// Invite created.
        InviteCreate = 40,
        /// Invite updated.
        InviteUpdate = 41,
        /// Invite deleted.
        InviteDelete = 42,
        /// Webhook created.
        WebhookCreate = 50,
        /// Webhook updated.
        WebhookUpdate = 51,
        /// Webhook deleted.
        WebhookDelete = 52,
        /// Emoji created.
        EmojiCreate = 60,
        /// Emoji updated.
        EmojiUpdate = 61,
        /// Emoji deleted.
        EmojiDelete = 62,
        /// Message deleted.
        MessageDelete = 72,
        /// Messages bulk deleted.
        MessageBulkDelete = 73,
        /// Message pinned.
        MessagePin = 74,
        /// Message unpinned.
        MessageUnpin = 75,
        /// Integration created.
        IntegrationCreate = 80,
        /// Integration updated.
        IntegrationUpdate = 81,
        /// Integration deleted.
        IntegrationDelete = 82,
        /// Stage instance created.
        StageInstanceCreate = 83,
        /// Stage instance updated.
        StageInstanceUpdate = 84,
        /// Stage instance deleted.
        StageInstanceDelete = 85,
        /// Sticker created.
        StickerCreate = 90,
        /// Sticker updated.
        StickerUpdate = 91,
        /// Sticker deleted.
        StickerDelete = 92,
        /// Scheduled event created.
        GuildScheduledEventCreate = 100,
        /// Scheduled event updated.
        GuildScheduledEventUpdate = 101,
        /// Scheduled event cancelled.
        GuildScheduledEventDelete = 102,
        /// Thread created.
        ThreadCreate = 110,
        /// Thread updated.
        ThreadUpdate = 111,
        /// Thread deleted.
        ThreadDelete = 112,
        /// Command permissions updated.
        ApplicationCommandPermissionUpdate = 121,
        /// Soundboard sound created.
        SoundboardSoundCreate = 130,
        /// Soundboard sound updated.
        SoundboardSoundUpdate = 131,
        /// Soundboard sound deleted.
        SoundboardSoundDelete = 132,
        /// AutoMod rule created.
        AutoModerationRuleCreate = 140,
        /// AutoMod rule updated.
        AutoModerationRuleUpdate = 141,
        /// AutoMod rule deleted.
        AutoModerationRuleDelete = 142,
        /// AutoMod blocked a message.
        AutoModerationBlockMessage = 143,
        /// AutoMod flagged a message.
        AutoModerationFlagToChannel = 144,
        /// AutoMod timed out a member.
        AutoModerationUserCommunicationDisabled = 145,
        /// AutoMod quarantined a member.
        AutoModerationQuarantineUser = 146,
        /// Creator monetization request created.
        CreatorMonetizationRequestCreated = 150,
        /// Creator monetization terms accepted.
        CreatorMonetizationTermsAccepted = 151,
        /// Onboarding prompt created.
        OnboardingPromptCreate = 163,
        /// Onboarding prompt updated.
        OnboardingPromptUpdate = 164,
        /// Onboarding prompt deleted.
        OnboardingPromptDelete = 165,
        /// Onboarding created.
        OnboardingCreate = 166,
        /// Onboarding updated.
        OnboardingUpdate = 167,
        /// Home settings created.
        HomeSettingsCreate = 190,
        /// Home settings updated.
        HomeSettingsUpdate = 191,
    }
}

/// An audit log entry. GUILD_AUDIT_LOG_ENTRY_CREATE adds `guild_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Entry ID.
    pub id: AuditLogEntryId,
    /// Affected entity (webhook, user, role, …); a snowflake, read from a
    /// string or an integer.
    #[serde(default, deserialize_with = "string_or_int")]
    pub target_id: Option<String>,
    /// Changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<AuditLogChange>,
    /// Who made the change.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// Action.
    pub action_type: AuditLogEvent,
    /// Extra information for some actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<AuditLogEntryInfo>,
    /// Reason (1-512).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Gateway event: the guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
}

/// One changed key. Values are untyped (their type depends on `key`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLogChange {
    /// Changed key (`name`, `$add`, …).
    pub key: String,
    /// New value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<RawJson>,
    /// Old value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_value: Option<RawJson>,
}

/// Optional audit entry info. Numeric fields Discord documents as strings
/// are read from strings or integers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogEntryInfo {
    /// Application whose permissions changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// AutoMod rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_moderation_rule_name: Option<String>,
    /// AutoMod trigger type.
    #[serde(
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub auto_moderation_rule_trigger_type: Option<String>,
    /// Channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Entity count.
    #[serde(
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<String>,
    /// Prune days.
    #[serde(
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_member_days: Option<String>,
    /// Overwritten entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<GenericId>,
    /// Members pruned.
    #[serde(
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub members_removed: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// Role name of an overwrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Overwrite type (`"0"` role, `"1"` member).
    #[serde(
        rename = "type",
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
    /// Integration type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
}

/// A guild's audit log (`GET /guilds/{id}/audit-logs`): entries, newest
/// first, and the objects they refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    /// The entries.
    #[serde(default)]
    pub audit_log_entries: Vec<AuditLogEntry>,
    /// Users referenced by the entries.
    #[serde(default)]
    pub users: Vec<User>,
    /// Webhooks referenced by the entries.
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// Threads referenced by the entries.
    #[serde(default)]
    pub threads: Vec<Channel>,
    /// Integrations referenced by the entries (partial).
    #[serde(default)]
    pub integrations: Vec<Integration>,
    /// Application commands referenced by the entries.
    #[serde(default)]
    pub application_commands: Vec<ApplicationCommand>,
    /// AutoMod rules referenced by the entries.
    #[serde(default)]
    pub auto_moderation_rules: Vec<AutoModerationRule>,
    /// Scheduled events referenced by the entries.
    #[serde(default)]
    pub guild_scheduled_events: Vec<GuildScheduledEvent>,
}
