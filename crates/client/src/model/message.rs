//! Messages (discord-protocol.md §8.6, §8.8, §8.9, §8.11, §7.4).

use serde::{Deserialize, Serialize};

use super::serde_util::{nullable, RawJson};
use super::{
    int_enum, int_flags, ApplicationId, AttachmentId, AuthorizingIntegrationOwners,
    AvatarDecorationData, Channel, ChannelId, ChannelMention, ChannelType, Component, Embed,
    GuildId, InteractionId, InteractionResolved, InteractionType, Member, MessageId,
    PartialApplication, PartialEmoji, Poll, RoleId, SkuId, Sticker, StickerItem, Timestamp, User,
    UserFlags, UserId, WebhookId,
};

int_enum! {
    /// Message type.
    pub enum MessageType: u16 {
        /// Normal message.
        Default = 0,
        /// Recipient added to a group DM.
        RecipientAdd = 1,
        /// Recipient removed from a group DM.
        RecipientRemove = 2,
        /// Call.
        Call = 3,
        /// Channel name changed.
        ChannelNameChange = 4,
        /// Channel icon changed.
        ChannelIconChange = 5,
        /// Message pinned.
        ChannelPinnedMessage = 6,
        /// Member joined.
        UserJoin = 7,
        /// Guild boosted.
        GuildBoost = 8,
        /// Boost tier 1 reached.
        GuildBoostTier1 = 9,
        /// Boost tier 2 reached.
        GuildBoostTier2 = 10,
        /// Boost tier 3 reached.
        GuildBoostTier3 = 11,
        /// Channel followed.
        ChannelFollowAdd = 12,
        /// Discovery disqualified.
        GuildDiscoveryDisqualified = 14,
        /// Discovery requalified.
        GuildDiscoveryRequalified = 15,
        /// Discovery grace period, first warning.
        GuildDiscoveryGracePeriodInitialWarning = 16,
        /// Discovery grace period, final warning.
        GuildDiscoveryGracePeriodFinalWarning = 17,
        /// Thread created.
        ThreadCreated = 18,
        /// Reply.
        Reply = 19,
        /// Slash command response.
        ChatInputCommand = 20,
        /// First message of a thread.
        ThreadStarterMessage = 21,
        /// Invite reminder.
        GuildInviteReminder = 22,
        /// Context menu command response.
        ContextMenuCommand = 23,
        /// AutoMod action.
        AutoModerationAction = 24,
        /// Role subscription purchase.
        RoleSubscriptionPurchase = 25,
        /// Premium upsell.
        InteractionPremiumUpsell = 26,
        /// Stage started.
        StageStart = 27,
        /// Stage ended.
        StageEnd = 28,
        /// Stage speaker.
        StageSpeaker = 29,
        /// Stage topic.
        StageTopic = 31,
        /// App premium subscription.
        GuildApplicationPremiumSubscription = 32,
        /// Incident alert mode enabled.
        GuildIncidentAlertModeEnabled = 36,
        /// Incident alert mode disabled.
        GuildIncidentAlertModeDisabled = 37,
        /// Raid reported.
        GuildIncidentReportRaid = 38,
        /// False alarm reported.
        GuildIncidentReportFalseAlarm = 39,
        /// Purchase notification.
        PurchaseNotification = 44,
        /// Poll result.
        PollResult = 46,
    }
}

int_flags! {
    /// Message flags.
    pub struct MessageFlags: u64 {
        /// Published to following channels.
        const CROSSPOSTED = 1 << 0;
        /// A crosspost from another channel.
        const IS_CROSSPOST = 1 << 1;
        /// No embeds are shown.
        const SUPPRESS_EMBEDS = 1 << 2;
        /// The crossposted source was deleted.
        const SOURCE_MESSAGE_DELETED = 1 << 3;
        /// Urgent system message.
        const URGENT = 1 << 4;
        /// Has a thread.
        const HAS_THREAD = 1 << 5;
        /// Only visible to the invoking user.
        const EPHEMERAL = 1 << 6;
        /// Deferred interaction response.
        const LOADING = 1 << 7;
        /// Some roles could not be mentioned in the thread.
        const FAILED_TO_MENTION_SOME_ROLES_IN_THREAD = 1 << 8;
        /// No push or desktop notifications.
        const SUPPRESS_NOTIFICATIONS = 1 << 12;
        /// A voice message.
        const IS_VOICE_MESSAGE = 1 << 13;
        /// Has a snapshot (forward).
        const HAS_SNAPSHOT = 1 << 14;
        /// Uses components V2.
        const IS_COMPONENTS_V2 = 1 << 15;
    }
}

int_flags! {
    /// Attachment flags.
    pub struct AttachmentFlags: u64 {
        /// A clip.
        const IS_CLIP = 1 << 0;
        /// A thumbnail.
        const IS_THUMBNAIL = 1 << 1;
        /// Edited with remix.
        const IS_REMIX = 1 << 2;
        /// A spoiler.
        const IS_SPOILER = 1 << 3;
        /// Animated.
        const IS_ANIMATED = 1 << 5;
    }
}

int_enum! {
    /// Message reference type.
    pub enum MessageReferenceType: u16 {
        /// A reply.
        Default = 0,
        /// A forward.
        Forward = 1,
    }
}

int_enum! {
    /// Rich presence activity type of a message.
    pub enum MessageActivityType: u16 {
        /// Join.
        Join = 1,
        /// Spectate.
        Spectate = 2,
        /// Listen.
        Listen = 3,
        /// Join request.
        JoinRequest = 5,
    }
}

int_enum! {
    /// Reaction type.
    pub enum ReactionType: u16 {
        /// Normal reaction.
        Normal = 0,
        /// Super reaction.
        Burst = 1,
    }
}

/// A message, as received in MESSAGE_CREATE and from REST.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Message ID.
    pub id: MessageId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Author (a pseudo-user for webhook messages).
    pub author: User,
    /// Text (empty without MESSAGE_CONTENT).
    #[serde(default)]
    pub content: String,
    /// When it was sent.
    pub timestamp: Timestamp,
    /// When it was last edited.
    #[serde(default)]
    pub edited_timestamp: Option<Timestamp>,
    /// Text-to-speech.
    #[serde(default)]
    pub tts: bool,
    /// Mentions @everyone.
    #[serde(default)]
    pub mention_everyone: bool,
    /// Mentioned users (gateway: each with an optional partial member).
    #[serde(default)]
    pub mentions: Vec<Mention>,
    /// Mentioned roles.
    #[serde(default)]
    pub mention_roles: Vec<RoleId>,
    /// Mentioned channels (crossposts only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mention_channels: Vec<ChannelMention>,
    /// Attachments.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Embeds.
    #[serde(default)]
    pub embeds: Vec<Embed>,
    /// Reactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Nonce for send confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// Pinned.
    #[serde(default)]
    pub pinned: bool,
    /// Webhook that sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<WebhookId>,
    /// Message type.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// Rich presence activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<MessageActivity>,
    /// Rich presence application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<PartialApplication>,
    /// Application of an interaction or application webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// Flags.
    #[serde(default)]
    pub flags: MessageFlags,
    /// Reply or forward source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// Forwarded message snapshots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_snapshots: Vec<MessageSnapshot>,
    /// The replied-to message: absent if not loaded, `Some(None)` if it was
    /// deleted.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub referenced_message: Option<Option<Box<Message>>>,
    /// Interaction metadata, if this is an interaction response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_metadata: Option<Box<MessageInteractionMetadata>>,
    /// Deprecated interaction summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<Box<MessageInteraction>>,
    /// Thread started from this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Box<Channel>>,
    /// Components.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Stickers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sticker_items: Vec<StickerItem>,
    /// Deprecated full stickers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stickers: Vec<Sticker>,
    /// Approximate position in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Role subscription purchase data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_subscription_data: Option<RoleSubscriptionData>,
    /// Resolved data of components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Box<InteractionResolved>>,
    /// Poll (omitted without MESSAGE_CONTENT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Box<Poll>>,
    /// Call data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<MessageCall>,
    /// Shared client theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_client_theme: Option<RawJson>,
    /// Gateway: the guild (absent for DMs and ephemeral messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Gateway: the author's partial member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// Gateway: the channel type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<ChannelType>,
}

/// A mentioned user, with the partial member Discord adds in guild
/// messages on the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// User ID.
    pub id: UserId,
    /// Username.
    #[serde(default)]
    pub username: String,
    /// Legacy tag.
    #[serde(default)]
    pub discriminator: String,
    /// Display name.
    #[serde(default)]
    pub global_name: Option<String>,
    /// Avatar hash.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Bot.
    #[serde(default, skip_serializing_if = "super::serde_util::is_false")]
    pub bot: bool,
    /// Public flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_flags: Option<UserFlags>,
    /// Avatar decoration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_decoration_data: Option<Box<AvatarDecorationData>>,
    /// Partial member (guild messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
}

/// A nonce: integer or string. Any JSON number or string is accepted, so a
/// nonce never fails its event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Nonce {
    /// Integer nonce that fits an `i64`.
    Integer(i64),
    /// Integer nonce above `i64::MAX`.
    Unsigned(u64),
    /// String nonce (also a number wider than 64 bits, as its text).
    String(String),
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Nonce;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a nonce (integer or string)")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Nonce, E> {
                Ok(Nonce::Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Nonce, E> {
                Ok(i64::try_from(v).map_or(Nonce::Unsigned(v), Nonce::Integer))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Nonce, E> {
                Ok(Nonce::String(v.to_string()))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Nonce, E> {
                Ok(Nonce::String(v.to_owned()))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// Attachment ID.
    pub id: AttachmentId,
    /// File name.
    pub filename: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Alt text (≤ 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Signed CDN URL.
    pub url: String,
    /// Proxied URL.
    pub proxy_url: String,
    /// Image height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Image width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Thumbhash placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Placeholder version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder_version: Option<u32>,
    /// Ephemeral (deleted after a while).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    /// Voice message duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<f64>,
    /// Voice message waveform (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waveform: Option<String>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<AttachmentFlags>,
    /// Users in a clip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clip_participants: Vec<User>,
    /// When a clip was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_created_at: Option<Timestamp>,
    /// Application recorded in a clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<PartialApplication>,
}

/// A reaction on a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// Total count, including super reactions.
    pub count: u32,
    /// Normal and super counts.
    #[serde(default)]
    pub count_details: ReactionCountDetails,
    /// The current user reacted.
    #[serde(default)]
    pub me: bool,
    /// The current user super-reacted.
    #[serde(default)]
    pub me_burst: bool,
    /// Emoji.
    pub emoji: PartialEmoji,
    /// Super reaction colours (`#rrggbb`).
    #[serde(default)]
    pub burst_colors: Vec<String>,
}

/// Reaction counts by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionCountDetails {
    /// Super reactions.
    #[serde(default)]
    pub burst: u32,
    /// Normal reactions.
    #[serde(default)]
    pub normal: u32,
}

/// Reply or forward source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReference {
    /// Reply (default) or forward.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageReferenceType>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// Channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Sending only: fail if the target is missing (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_if_not_exists: Option<bool>,
}

/// A forwarded message's snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageSnapshot {
    /// The partial message.
    pub message: SnapshotMessage,
}

/// The fields of a message kept in a snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMessage {
    /// Type.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// Content.
    #[serde(default)]
    pub content: String,
    /// Embeds.
    #[serde(default)]
    pub embeds: Vec<Embed>,
    /// Attachments.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Sent at.
    pub timestamp: Timestamp,
    /// Edited at.
    #[serde(default)]
    pub edited_timestamp: Option<Timestamp>,
    /// Flags.
    #[serde(default)]
    pub flags: MessageFlags,
    /// Mentioned users.
    #[serde(default)]
    pub mentions: Vec<User>,
    /// Mentioned roles.
    #[serde(default)]
    pub mention_roles: Vec<RoleId>,
    /// Stickers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sticker_items: Vec<StickerItem>,
    /// Components.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// Rich presence activity of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageActivity {
    /// Activity type.
    #[serde(rename = "type")]
    pub kind: MessageActivityType,
    /// Party ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_id: Option<String>,
}

/// Metadata of the interaction a message answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageInteractionMetadata {
    /// Interaction ID.
    pub id: InteractionId,
    /// Interaction type.
    #[serde(rename = "type")]
    pub kind: InteractionType,
    /// Invoking user.
    pub user: User,
    /// Installation contexts.
    #[serde(default)]
    pub authorizing_integration_owners: AuthorizingIntegrationOwners,
    /// Original response (follow-ups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_response_message_id: Option<MessageId>,
    /// Target user (user commands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<User>,
    /// Target message (message commands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_message_id: Option<MessageId>,
    /// Message holding the component (component interactions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interacted_message_id: Option<MessageId>,
    /// Interaction that opened the modal (modal submits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggering_interaction_metadata: Option<Box<MessageInteractionMetadata>>,
}

/// Deprecated interaction summary on a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageInteraction {
    /// Interaction ID.
    pub id: InteractionId,
    /// Interaction type.
    #[serde(rename = "type")]
    pub kind: InteractionType,
    /// Command name (with subcommands).
    pub name: String,
    /// Invoking user.
    pub user: User,
    /// Invoking member (guild, partial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
}

/// Role subscription purchase data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSubscriptionData {
    /// Listing (SKU).
    pub role_subscription_listing_id: SkuId,
    /// Tier name.
    pub tier_name: String,
    /// Months subscribed.
    pub total_months_subscribed: u32,
    /// A renewal.
    pub is_renewal: bool,
}

/// Call data of a call message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCall {
    /// Participants.
    #[serde(default)]
    pub participants: Vec<UserId>,
    /// When the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_timestamp: Option<Timestamp>,
}

/// One pinned message of Get Channel Pins (`GET
/// /channels/{id}/messages/pins`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessagePin {
    /// When it was pinned.
    pub pinned_at: Timestamp,
    /// The message.
    pub message: Message,
}

/// A page of Get Channel Pins: `{items, has_more}`, newest pin first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelPins {
    /// The pins of this page.
    #[serde(default)]
    pub items: Vec<MessagePin>,
    /// More pins exist before the last one (page with `before` set to its
    /// `pinned_at`).
    #[serde(default)]
    pub has_more: bool,
}

#[cfg(test)]
mod nonce_tests {
    use super::Nonce;

    #[test]
    fn a_nonce_of_any_integer_size_never_fails() {
        let big: Nonce = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(big, Nonce::Unsigned(u64::MAX));
        assert_eq!(serde_json::to_string(&big).unwrap(), "18446744073709551615");
        let small: Nonce = serde_json::from_str("-5").unwrap();
        assert_eq!(small, Nonce::Integer(-5));
        let text: Nonce = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(text, Nonce::String("abc".into()));
        // wider than 64 bits: kept as its text
        let wider: Nonce = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert!(matches!(wider, Nonce::String(_)), "{wider:?}");
    }
}
