//! Guilds (discord-protocol.md §8.2, §7.2).

use serde::{Deserialize, Serialize};

use super::{
    int_enum, int_flags, str_enum, ApplicationId, Channel, ChannelId, Emoji, EmojiId, GuildId,
    GuildScheduledEvent, Member, Permissions, Presence, Role, SoundboardSound, StageInstance,
    Sticker, Timestamp, User, UserId, VoiceState,
};

int_enum! {
    /// Verification level required to chat.
    pub enum VerificationLevel: u16 {
        /// Unrestricted.
        None = 0,
        /// Verified email.
        Low = 1,
        /// Registered for more than five minutes.
        Medium = 2,
        /// Member for more than ten minutes.
        High = 3,
        /// Verified phone number.
        VeryHigh = 4,
    }
}

int_enum! {
    /// Default notification level.
    pub enum DefaultMessageNotificationLevel: u16 {
        /// All messages notify.
        AllMessages = 0,
        /// Only mentions notify.
        OnlyMentions = 1,
    }
}

int_enum! {
    /// Explicit content filter level.
    pub enum ExplicitContentFilterLevel: u16 {
        /// Not scanned.
        Disabled = 0,
        /// Members without roles are scanned.
        MembersWithoutRoles = 1,
        /// Everyone is scanned.
        AllMembers = 2,
    }
}

int_enum! {
    /// MFA requirement for moderation.
    pub enum MfaLevel: u16 {
        /// No requirement.
        None = 0,
        /// 2FA required for moderators.
        Elevated = 1,
    }
}

int_enum! {
    /// Boost tier.
    pub enum PremiumTier: u16 {
        /// No perks.
        None = 0,
        /// Tier 1.
        Tier1 = 1,
        /// Tier 2.
        Tier2 = 2,
        /// Tier 3.
        Tier3 = 3,
    }
}

int_enum! {
    /// Guild NSFW level.
    pub enum NsfwLevel: u16 {
        /// Not set.
        Default = 0,
        /// Explicit.
        Explicit = 1,
        /// Safe.
        Safe = 2,
        /// Age-restricted.
        AgeRestricted = 3,
    }
}

int_flags! {
    /// System channel flags.
    pub struct SystemChannelFlags: u64 {
        /// Suppress join notifications.
        const SUPPRESS_JOIN_NOTIFICATIONS = 1 << 0;
        /// Suppress boost notifications.
        const SUPPRESS_PREMIUM_SUBSCRIPTIONS = 1 << 1;
        /// Suppress setup tips.
        const SUPPRESS_GUILD_REMINDER_NOTIFICATIONS = 1 << 2;
        /// Hide sticker replies to join notifications.
        const SUPPRESS_JOIN_NOTIFICATION_REPLIES = 1 << 3;
        /// Suppress role subscription purchase notifications.
        const SUPPRESS_ROLE_SUBSCRIPTION_PURCHASE_NOTIFICATIONS = 1 << 4;
        /// Hide sticker replies to role subscription notifications.
        const SUPPRESS_ROLE_SUBSCRIPTION_PURCHASE_NOTIFICATION_REPLIES = 1 << 5;
    }
}

str_enum! {
    /// A guild feature string.
    pub enum GuildFeature {
        /// Animated banner.
        AnimatedBanner = "ANIMATED_BANNER",
        /// Animated icon.
        AnimatedIcon = "ANIMATED_ICON",
        /// Uses the old permissions configuration behaviour.
        ApplicationCommandPermissionsV2 = "APPLICATION_COMMAND_PERMISSIONS_V2",
        /// Auto moderation.
        AutoModeration = "AUTO_MODERATION",
        /// Banner.
        Banner = "BANNER",
        /// Community guild.
        Community = "COMMUNITY",
        /// Monetization enabled.
        CreatorMonetizableProvisional = "CREATOR_MONETIZABLE_PROVISIONAL",
        /// Role subscription promo page.
        CreatorStorePage = "CREATOR_STORE_PAGE",
        /// Developer support server.
        DeveloperSupportServer = "DEVELOPER_SUPPORT_SERVER",
        /// In discovery.
        Discoverable = "DISCOVERABLE",
        /// Featurable.
        Featurable = "FEATURABLE",
        /// Invites paused.
        InvitesDisabled = "INVITES_DISABLED",
        /// Invite splash.
        InviteSplash = "INVITE_SPLASH",
        /// Membership screening.
        MemberVerificationGateEnabled = "MEMBER_VERIFICATION_GATE_ENABLED",
        /// More soundboard slots.
        MoreSoundboard = "MORE_SOUNDBOARD",
        /// More sticker slots.
        MoreStickers = "MORE_STICKERS",
        /// News channels.
        News = "NEWS",
        /// Partnered.
        Partnered = "PARTNERED",
        /// Preview enabled.
        PreviewEnabled = "PREVIEW_ENABLED",
        /// Raid alerts disabled.
        RaidAlertsDisabled = "RAID_ALERTS_DISABLED",
        /// Role icons.
        RoleIcons = "ROLE_ICONS",
        /// Purchasable role subscriptions.
        RoleSubscriptionsAvailableForPurchase = "ROLE_SUBSCRIPTIONS_AVAILABLE_FOR_PURCHASE",
        /// Role subscriptions enabled.
        RoleSubscriptionsEnabled = "ROLE_SUBSCRIPTIONS_ENABLED",
        /// Soundboard.
        Soundboard = "SOUNDBOARD",
        /// Ticketed events.
        TicketedEventsEnabled = "TICKETED_EVENTS_ENABLED",
        /// Vanity URL.
        VanityUrl = "VANITY_URL",
        /// Verified.
        Verified = "VERIFIED",
        /// 384 kbps voice.
        VipRegions = "VIP_REGIONS",
        /// Welcome screen.
        WelcomeScreenEnabled = "WELCOME_SCREEN_ENABLED",
        /// Guest invites.
        GuestsEnabled = "GUESTS_ENABLED",
        /// Guild tags.
        GuildTags = "GUILD_TAGS",
        /// Gradient and holographic role colours.
        EnhancedRoleColors = "ENHANCED_ROLE_COLORS",
    }
}

/// A guild: the full object of GUILD_CREATE / GUILD_UPDATE and REST.
///
/// The GUILD_CREATE-only fields (`joined_at`, `members`, `channels`, …) are
/// empty or `None` elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guild {
    /// Guild ID.
    pub id: GuildId,
    /// Name (2-100 characters).
    pub name: String,
    /// Icon hash.
    #[serde(default)]
    pub icon: Option<String>,
    /// Icon hash (template objects only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_hash: Option<String>,
    /// Splash hash.
    #[serde(default)]
    pub splash: Option<String>,
    /// Discovery splash hash.
    #[serde(default)]
    pub discovery_splash: Option<String>,
    /// Whether the current user owns the guild (`GET /users/@me/guilds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    /// Owner's user ID.
    pub owner_id: UserId,
    /// The current user's permissions (`GET /users/@me/guilds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Voice region (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// AFK channel.
    #[serde(default)]
    pub afk_channel_id: Option<ChannelId>,
    /// AFK timeout in seconds.
    #[serde(default)]
    pub afk_timeout: u32,
    /// Widget enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_enabled: Option<bool>,
    /// Widget channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_channel_id: Option<ChannelId>,
    /// Verification level.
    pub verification_level: VerificationLevel,
    /// Default notification level.
    pub default_message_notifications: DefaultMessageNotificationLevel,
    /// Explicit content filter.
    pub explicit_content_filter: ExplicitContentFilterLevel,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Custom emojis.
    #[serde(default)]
    pub emojis: Vec<Emoji>,
    /// Enabled features.
    #[serde(default)]
    pub features: Vec<GuildFeature>,
    /// MFA level.
    pub mfa_level: MfaLevel,
    /// Creator application, if bot-created.
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// System message channel.
    #[serde(default)]
    pub system_channel_id: Option<ChannelId>,
    /// System channel flags.
    #[serde(default)]
    pub system_channel_flags: SystemChannelFlags,
    /// Rules channel.
    #[serde(default)]
    pub rules_channel_id: Option<ChannelId>,
    /// Maximum presences (null except for the largest guilds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_presences: Option<u64>,
    /// Maximum members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_members: Option<u64>,
    /// Vanity invite code.
    #[serde(default)]
    pub vanity_url_code: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Banner hash.
    #[serde(default)]
    pub banner: Option<String>,
    /// Boost tier.
    pub premium_tier: PremiumTier,
    /// Number of boosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_subscription_count: Option<u64>,
    /// Preferred locale.
    #[serde(default = "default_locale")]
    pub preferred_locale: String,
    /// Community updates channel.
    #[serde(default)]
    pub public_updates_channel_id: Option<ChannelId>,
    /// Max users in a video channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_video_channel_users: Option<u64>,
    /// Max users in a stage video channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stage_video_channel_users: Option<u64>,
    /// Approximate members (`with_counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    /// Approximate online members (`with_counts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
    /// Welcome screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_screen: Option<WelcomeScreen>,
    /// NSFW level.
    pub nsfw_level: NsfwLevel,
    /// Custom stickers.
    #[serde(default)]
    pub stickers: Vec<Sticker>,
    /// Boost progress bar shown.
    #[serde(default)]
    pub premium_progress_bar_enabled: bool,
    /// Safety alerts channel.
    #[serde(default)]
    pub safety_alerts_channel_id: Option<ChannelId>,
    /// Incident actions.
    #[serde(default)]
    pub incidents_data: Option<IncidentsData>,

    /// GUILD_CREATE: when the bot joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<Timestamp>,
    /// GUILD_CREATE: member count above `large_threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large: Option<bool>,
    /// GUILD_CREATE: unavailable because of an outage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<bool>,
    /// GUILD_CREATE: total members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    /// GUILD_CREATE: voice states (without `guild_id`).
    #[serde(default)]
    pub voice_states: Vec<VoiceState>,
    /// GUILD_CREATE: members.
    #[serde(default)]
    pub members: Vec<Member>,
    /// GUILD_CREATE: channels.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// GUILD_CREATE: active threads.
    #[serde(default)]
    pub threads: Vec<Channel>,
    /// GUILD_CREATE: presences.
    #[serde(default)]
    pub presences: Vec<Presence>,
    /// GUILD_CREATE: stage instances.
    #[serde(default)]
    pub stage_instances: Vec<StageInstance>,
    /// GUILD_CREATE: scheduled events.
    #[serde(default)]
    pub guild_scheduled_events: Vec<GuildScheduledEvent>,
    /// GUILD_CREATE: soundboard sounds.
    #[serde(default)]
    pub soundboard_sounds: Vec<SoundboardSound>,
}

fn default_locale() -> String {
    "en-US".to_owned()
}

/// `{id, unavailable}`: a guild in READY, GUILD_DELETE or an outage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnavailableGuild {
    /// Guild ID.
    pub id: GuildId,
    /// `Some(true)` during an outage; absent in GUILD_DELETE when the bot
    /// was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<bool>,
}

/// The partial guild in an interaction (`id`, `locale`, `features`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartialGuild {
    /// Guild ID.
    pub id: GuildId,
    /// Guild locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Features.
    #[serde(default)]
    pub features: Vec<GuildFeature>,
}

/// A guild's welcome screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeScreen {
    /// Server description.
    #[serde(default)]
    pub description: Option<String>,
    /// Up to five shown channels.
    #[serde(default)]
    pub welcome_channels: Vec<WelcomeScreenChannel>,
}

/// A channel shown on the welcome screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeScreenChannel {
    /// The channel.
    pub channel_id: ChannelId,
    /// Description shown.
    pub description: String,
    /// Custom emoji.
    #[serde(default)]
    pub emoji_id: Option<EmojiId>,
    /// Emoji name (Unicode or custom).
    #[serde(default)]
    pub emoji_name: Option<String>,
}

/// Incident actions in effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentsData {
    /// Invites disabled until.
    #[serde(default)]
    pub invites_disabled_until: Option<Timestamp>,
    /// DMs disabled until.
    #[serde(default)]
    pub dms_disabled_until: Option<Timestamp>,
    /// When DM spam was detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_spam_detected_at: Option<Timestamp>,
    /// When a raid was detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raid_detected_at: Option<Timestamp>,
}

/// A ban.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ban {
    /// Ban reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// The banned user.
    pub user: User,
}
