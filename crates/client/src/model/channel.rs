//! Channels and threads of every type (discord-protocol.md §8.5).

use serde::{Deserialize, Serialize};

use super::{
    int_enum, int_flags, ApplicationId, ChannelId, EmojiId, GenericId, GuildId, Member, MessageId,
    Permissions, Presence, TagId, Timestamp, User, UserId,
};

int_enum! {
    /// A channel's type.
    pub enum ChannelType: u16 {
        /// Guild text channel.
        GuildText = 0,
        /// Direct message.
        Dm = 1,
        /// Guild voice channel.
        GuildVoice = 2,
        /// Group DM.
        GroupDm = 3,
        /// Category.
        GuildCategory = 4,
        /// Announcement channel.
        GuildAnnouncement = 5,
        /// Thread in an announcement channel.
        AnnouncementThread = 10,
        /// Public thread.
        PublicThread = 11,
        /// Private thread.
        PrivateThread = 12,
        /// Stage channel.
        GuildStageVoice = 13,
        /// Hub directory.
        GuildDirectory = 14,
        /// Forum channel.
        GuildForum = 15,
        /// Media channel.
        GuildMedia = 16,
    }
}

impl ChannelType {
    /// Whether this is one of the three thread types.
    pub const fn is_thread(self) -> bool {
        matches!(
            self,
            Self::AnnouncementThread | Self::PublicThread | Self::PrivateThread
        )
    }
}

int_enum! {
    /// Whom a permission overwrite applies to.
    pub enum OverwriteType: u16 {
        /// A role.
        Role = 0,
        /// A member.
        Member = 1,
    }
}

int_enum! {
    /// Voice video quality.
    pub enum VideoQualityMode: u16 {
        /// Chosen by Discord.
        Auto = 1,
        /// 720p.
        Full = 2,
    }
}

int_enum! {
    /// Default sort order of forum posts.
    pub enum SortOrderType: u16 {
        /// By latest activity.
        LatestActivity = 0,
        /// By creation date.
        CreationDate = 1,
    }
}

int_enum! {
    /// Default forum layout.
    pub enum ForumLayoutType: u16 {
        /// Not set.
        NotSet = 0,
        /// List.
        ListView = 1,
        /// Gallery.
        GalleryView = 2,
    }
}

int_flags! {
    /// Channel flags.
    pub struct ChannelFlags: u64 {
        /// Thread pinned in a forum or media channel.
        const PINNED = 1 << 1;
        /// Posts need a tag.
        const REQUIRE_TAG = 1 << 4;
        /// Hide media download options (media channels).
        const HIDE_MEDIA_DOWNLOAD_OPTIONS = 1 << 15;
        /// Spoiler channel.
        const IS_SPOILER_CHANNEL = 1 << 21;
    }
}

int_flags! {
    /// Thread member flags (notification settings; undocumented bits kept).
    pub struct ThreadMemberFlags: u64 {
        /// Has interacted with the thread.
        const HAS_INTERACTED = 1 << 0;
        /// All messages notify.
        const ALL_MESSAGES = 1 << 1;
        /// Only mentions notify.
        const ONLY_MENTIONS = 1 << 2;
        /// No notifications.
        const NO_MESSAGES = 1 << 3;
    }
}

/// A channel or thread of any type. Fields that apply only to some types are
/// `Option`s or empty `Vec`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Channel ID.
    pub id: ChannelId,
    /// Channel type.
    #[serde(rename = "type")]
    pub kind: ChannelType,
    /// Guild (may be missing in GUILD_CREATE channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Sorting position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i32>,
    /// Permission overwrites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permission_overwrites: Vec<PermissionOverwrite>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Age-restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    /// Last message (may not point to an existing message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<MessageId>,
    /// Voice bitrate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    /// Voice user limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_limit: Option<u32>,
    /// Slowmode seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_user: Option<u32>,
    /// DM recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<User>,
    /// Group DM icon hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Group DM owner or thread creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<UserId>,
    /// Creator application of a group DM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// Group DM managed by an application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
    /// Category, or parent channel of a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<ChannelId>,
    /// Last pin time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pin_timestamp: Option<Timestamp>,
    /// Voice region (`None` = automatic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtc_region: Option<String>,
    /// Video quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_quality_mode: Option<VideoQualityMode>,
    /// Thread message count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_count: Option<u32>,
    /// Thread member count (capped at 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    /// Thread metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_metadata: Option<ThreadMetadata>,
    /// The current user's thread membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<ThreadMember>,
    /// Default auto-archive minutes for new threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_auto_archive_duration: Option<u32>,
    /// Permissions of the invoking user (interaction resolved data only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Permissions of the app (interaction resolved data only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_permissions: Option<Permissions>,
    /// Channel flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<ChannelFlags>,
    /// Messages ever sent in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_message_sent: Option<u32>,
    /// Forum/media tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available_tags: Vec<ForumTag>,
    /// Tags applied to a forum/media thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_tags: Vec<TagId>,
    /// Default reaction emoji of forum posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_reaction_emoji: Option<DefaultReaction>,
    /// Default slowmode of new threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_thread_rate_limit_per_user: Option<u32>,
    /// Default post sort order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_sort_order: Option<SortOrderType>,
    /// Default forum layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_forum_layout: Option<ForumLayoutType>,
    /// THREAD_CREATE: the thread was just created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newly_created: Option<bool>,
}

/// A permission overwrite on a channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionOverwrite {
    /// Role or user ID (see `kind`).
    pub id: GenericId,
    /// Role or member.
    #[serde(rename = "type")]
    pub kind: OverwriteType,
    /// Allowed bits.
    pub allow: Permissions,
    /// Denied bits.
    pub deny: Permissions,
}

/// Thread-specific fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMetadata {
    /// Archived.
    pub archived: bool,
    /// Minutes of inactivity before archiving (60, 1440, 4320, 10080).
    pub auto_archive_duration: u32,
    /// When the archive status last changed.
    pub archive_timestamp: Timestamp,
    /// Locked (only MANAGE_THREADS can unarchive).
    #[serde(default)]
    pub locked: bool,
    /// Non-moderators can add others (private threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitable: Option<bool>,
    /// Creation time (threads after 2022-01-09).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_timestamp: Option<Timestamp>,
}

/// A user's membership in a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadMember {
    /// The thread (absent inside GUILD_CREATE threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ChannelId>,
    /// The user (absent inside GUILD_CREATE threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// When the user joined.
    pub join_timestamp: Timestamp,
    /// Notification flags.
    #[serde(default)]
    pub flags: ThreadMemberFlags,
    /// Guild member data (with `with_member`, and in THREAD_MEMBERS_UPDATE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// The user's presence (THREAD_MEMBERS_UPDATE, with GUILD_PRESENCES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Box<Presence>>,
}

/// A tag of a forum or media channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForumTag {
    /// Tag ID.
    pub id: TagId,
    /// Name (0-20 characters).
    pub name: String,
    /// Only MANAGE_THREADS may apply it.
    #[serde(default)]
    pub moderated: bool,
    /// Custom emoji.
    #[serde(default)]
    pub emoji_id: Option<EmojiId>,
    /// Unicode emoji.
    #[serde(default)]
    pub emoji_name: Option<String>,
}

/// Default reaction of forum posts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultReaction {
    /// Custom emoji.
    #[serde(default)]
    pub emoji_id: Option<EmojiId>,
    /// Unicode emoji.
    #[serde(default)]
    pub emoji_name: Option<String>,
}

/// A channel mentioned in a crossposted message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMention {
    /// Channel ID.
    pub id: ChannelId,
    /// Guild ID.
    pub guild_id: GuildId,
    /// Type.
    #[serde(rename = "type")]
    pub kind: ChannelType,
    /// Name.
    pub name: String,
}

/// Threads with the current user's memberships: List Active Guild Threads
/// and the archived-thread lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadsList {
    /// The threads.
    #[serde(default)]
    pub threads: Vec<Channel>,
    /// The current user's membership of each thread it has joined.
    #[serde(default)]
    pub members: Vec<ThreadMember>,
    /// Archived lists: more threads exist past this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}
