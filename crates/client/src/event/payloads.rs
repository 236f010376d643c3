//! Payload types of dispatch events that are not a plain model object.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::serde_util::nullable;
use crate::model::{
    ApplicationId, Attachment, AutoModerationAction, AutoModerationRuleId,
    AutoModerationTriggerType, AvatarDecorationData, Channel, ChannelId, ChannelType, Collectibles,
    Component, Embed, Emoji, Guild, GuildId, IntegrationId, Member, MemberFlags, Mention, Message,
    MessageFlags, MessageId, MessageInteractionMetadata, MessageReference, MessageType,
    PartialApplication, PartialEmoji, Poll, Presence, Reaction, ReactionType, Role, RoleId,
    ScheduledEventId, SoundId, SoundboardSound, Sticker, StickerItem, ThreadMember, Timestamp,
    UnavailableGuild, User, UserId, WebhookId,
};

/// READY: the session is established.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ready {
    /// API version.
    pub v: u8,
    /// The bot user.
    pub user: User,
    /// Every guild, unavailable until its GUILD_CREATE.
    #[serde(default)]
    pub guilds: Vec<UnavailableGuild>,
    /// Session ID for RESUME.
    pub session_id: String,
    /// Where to RESUME.
    pub resume_gateway_url: String,
    /// `[shard_id, num_shards]` if sharding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// The application (`id`, `flags`).
    pub application: PartialApplication,
}

/// RESUMED: replay finished. Its payload has no documented fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resumed;

impl<'de> Deserialize<'de> for Resumed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Resumed)
    }
}

impl Serialize for Resumed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_none()
    }
}

/// RATE_LIMITED: a send event was rate limited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimited {
    /// The rate-limited opcode.
    pub opcode: u8,
    /// Seconds to wait.
    pub retry_after: f64,
    /// Request details (documented for opcode 8).
    #[serde(default)]
    pub meta: RateLimitedMeta,
}

/// The `meta` of RATE_LIMITED for REQUEST_GUILD_MEMBERS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitedMeta {
    /// Guild of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Nonce of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// AUTO_MODERATION_ACTION_EXECUTION.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoModerationActionExecution {
    /// Guild.
    pub guild_id: GuildId,
    /// Action taken.
    pub action: AutoModerationAction,
    /// Rule.
    pub rule_id: AutoModerationRuleId,
    /// Rule trigger type.
    pub rule_trigger_type: AutoModerationTriggerType,
    /// Member.
    pub user_id: UserId,
    /// Channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Message (absent if blocked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// Alert message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_system_message_id: Option<MessageId>,
    /// Content (needs MESSAGE_CONTENT).
    #[serde(default)]
    pub content: String,
    /// Matched keyword.
    #[serde(default)]
    pub matched_keyword: Option<String>,
    /// Matched content (needs MESSAGE_CONTENT).
    #[serde(default)]
    pub matched_content: Option<String>,
}

/// CHANNEL_INFO: answer to REQUEST_CHANNEL_INFO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    /// Guild.
    pub guild_id: GuildId,
    /// Channels.
    #[serde(default)]
    pub channels: Vec<ChannelInfoEntry>,
}

/// One channel of CHANNEL_INFO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfoEntry {
    /// Channel.
    pub id: ChannelId,
    /// Voice status: absent if not requested, `Some(None)` if unset.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<Option<String>>,
    /// Voice start time (Unix s): absent if not requested, `Some(None)` if
    /// nobody is connected.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub voice_start_time: Option<Option<u64>>,
}

/// CHANNEL_PINS_UPDATE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPinsUpdate {
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Channel.
    pub channel_id: ChannelId,
    /// Latest pin time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pin_timestamp: Option<Timestamp>,
}

/// THREAD_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadDelete {
    /// Thread.
    pub id: ChannelId,
    /// Guild.
    pub guild_id: GuildId,
    /// Parent channel.
    #[serde(default)]
    pub parent_id: Option<ChannelId>,
    /// Thread type.
    #[serde(rename = "type")]
    pub kind: ChannelType,
}

/// THREAD_LIST_SYNC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadListSync {
    /// Guild.
    pub guild_id: GuildId,
    /// Parent channels synced (absent = whole guild).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_ids: Option<Vec<ChannelId>>,
    /// Active threads.
    #[serde(default)]
    pub threads: Vec<Channel>,
    /// The current user's memberships.
    #[serde(default)]
    pub members: Vec<ThreadMember>,
}

/// THREAD_MEMBER_UPDATE: the current user's thread member plus `guild_id`.
///
/// The member's fields sit beside `guild_id` on the wire; they are read into
/// [`ThreadMember`] through `#[serde(flatten)]`, which is fine here: the event
/// is only sent when the bot's own membership of a thread changes, so it is
/// never on a hot path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadMemberUpdate {
    /// The bot's thread member (its `id` and `user_id` are set here).
    #[serde(flatten)]
    pub member: ThreadMember,
    /// Guild.
    pub guild_id: GuildId,
}

/// THREAD_MEMBERS_UPDATE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadMembersUpdate {
    /// Thread.
    pub id: ChannelId,
    /// Guild.
    pub guild_id: GuildId,
    /// Approximate members (capped at 50).
    pub member_count: u32,
    /// Added members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_members: Vec<ThreadMember>,
    /// Removed users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_member_ids: Vec<UserId>,
}

/// GUILD_CREATE: an available guild, or an unavailable one during outages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum GuildCreate {
    /// The full guild.
    Available(Guild),
    /// `{id, unavailable: true}`.
    Unavailable(UnavailableGuild),
}

impl GuildCreate {
    /// Parses GUILD_CREATE straight from JSON text without buffering: a
    /// full guild first, then (only if that fails) an unavailable one.
    pub(crate) fn from_str(
        parser: super::JsonParser,
        raw: &str,
    ) -> Result<Self, serde_json::Error> {
        match parser.parse::<Guild>(raw) {
            Ok(guild) => Ok(Self::Available(guild)),
            Err(err) => match serde_json::from_str::<UnavailableGuild>(raw) {
                Ok(g) if g.unavailable == Some(true) => Ok(Self::Unavailable(g)),
                _ => Err(err),
            },
        }
    }

    /// The guild's ID.
    pub fn id(&self) -> GuildId {
        match self {
            Self::Available(g) => g.id,
            Self::Unavailable(g) => g.id,
        }
    }
}

/// GUILD_BAN_ADD / GUILD_BAN_REMOVE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildBan {
    /// Guild.
    pub guild_id: GuildId,
    /// User.
    pub user: User,
}

/// GUILD_EMOJIS_UPDATE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildEmojisUpdate {
    /// Guild.
    pub guild_id: GuildId,
    /// All emojis.
    #[serde(default)]
    pub emojis: Vec<Emoji>,
}

/// GUILD_STICKERS_UPDATE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildStickersUpdate {
    /// Guild.
    pub guild_id: GuildId,
    /// All stickers.
    #[serde(default)]
    pub stickers: Vec<Sticker>,
}

/// GUILD_INTEGRATIONS_UPDATE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildIntegrationsUpdate {
    /// Guild.
    pub guild_id: GuildId,
}

/// GUILD_MEMBER_ADD: a member plus `guild_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildMemberAdd {
    /// Guild.
    pub guild_id: GuildId,
    /// The member.
    #[serde(flatten)]
    pub member: Member,
}

/// GUILD_MEMBER_REMOVE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildMemberRemove {
    /// Guild.
    pub guild_id: GuildId,
    /// User.
    pub user: User,
}

/// GUILD_MEMBER_UPDATE (discord-protocol.md §7.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildMemberUpdate {
    /// Guild.
    pub guild_id: GuildId,
    /// Role IDs.
    #[serde(default)]
    pub roles: Vec<RoleId>,
    /// User.
    pub user: User,
    /// Nickname: absent = unchanged/unknown, `Some(None)` = no nickname.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub nick: Option<Option<String>>,
    /// Guild avatar hash.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Guild banner hash.
    #[serde(default)]
    pub banner: Option<String>,
    /// Joined at.
    #[serde(default)]
    pub joined_at: Option<Timestamp>,
    /// Boosting since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_since: Option<Timestamp>,
    /// Server-deafened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deaf: Option<bool>,
    /// Server-muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
    /// Pending screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    /// Timeout end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_disabled_until: Option<Timestamp>,
    /// Member flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MemberFlags>,
    /// Avatar decoration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_decoration_data: Option<Box<AvatarDecorationData>>,
    /// Collectibles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectibles: Option<Box<Collectibles>>,
}

/// GUILD_MEMBERS_CHUNK.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildMembersChunk {
    /// Guild.
    pub guild_id: GuildId,
    /// Members.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Index of this chunk.
    pub chunk_index: u32,
    /// Total chunks.
    pub chunk_count: u32,
    /// Requested IDs not found (may arrive as integers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_found: Vec<UserId>,
    /// Presences (when requested).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub presences: Vec<Presence>,
    /// Request nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// GUILD_ROLE_CREATE / GUILD_ROLE_UPDATE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuildRoleUpsert {
    /// Guild.
    pub guild_id: GuildId,
    /// Role.
    pub role: Role,
}

/// GUILD_ROLE_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildRoleDelete {
    /// Guild.
    pub guild_id: GuildId,
    /// Role.
    pub role_id: RoleId,
}

/// GUILD_SCHEDULED_EVENT_USER_ADD / _REMOVE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildScheduledEventUser {
    /// Event.
    pub guild_scheduled_event_id: ScheduledEventId,
    /// User.
    pub user_id: UserId,
    /// Guild.
    pub guild_id: GuildId,
}

/// GUILD_SOUNDBOARD_SOUND_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildSoundboardSoundDelete {
    /// Sound.
    pub sound_id: SoundId,
    /// Guild.
    pub guild_id: GuildId,
}

/// GUILD_SOUNDBOARD_SOUNDS_UPDATE and SOUNDBOARD_SOUNDS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoundboardSounds {
    /// Sounds.
    #[serde(default)]
    pub soundboard_sounds: Vec<SoundboardSound>,
    /// Guild.
    pub guild_id: GuildId,
}

/// INTEGRATION_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationDelete {
    /// Integration.
    pub id: IntegrationId,
    /// Guild.
    pub guild_id: GuildId,
    /// Bot application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
}

/// INVITE_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteDelete {
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Code.
    pub code: String,
}

/// MESSAGE_UPDATE: possibly partial; only `id` and `channel_id` are
/// guaranteed (discord-protocol.md §7.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageUpdate {
    /// Message.
    pub id: MessageId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<User>,
    /// Author's member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// Content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Sent at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Edited at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_timestamp: Option<Timestamp>,
    /// TTS (always false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts: Option<bool>,
    /// Mentions @everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_everyone: Option<bool>,
    /// Mentioned users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<Mention>>,
    /// Mentioned roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_roles: Option<Vec<RoleId>>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    /// Embeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeds: Option<Vec<Embed>>,
    /// Reactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<Reaction>>,
    /// Pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<WebhookId>,
    /// Type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageType>,
    /// Application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
    /// Reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// Replied-to message (`Some(None)` = deleted).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub referenced_message: Option<Option<Box<Message>>>,
    /// Interaction metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_metadata: Option<Box<MessageInteractionMetadata>>,
    /// Thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Box<Channel>>,
    /// Components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Component>>,
    /// Stickers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticker_items: Option<Vec<StickerItem>>,
    /// Poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Box<Poll>>,
    /// Channel type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<ChannelType>,
}

/// MESSAGE_DELETE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDelete {
    /// Message.
    pub id: MessageId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
}

/// MESSAGE_DELETE_BULK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDeleteBulk {
    /// Messages.
    pub ids: Vec<MessageId>,
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
}

/// MESSAGE_REACTION_ADD.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageReactionAdd {
    /// Reacting user.
    pub user_id: UserId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Message.
    pub message_id: MessageId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Reacting member (guilds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// Emoji.
    pub emoji: PartialEmoji,
    /// Author of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_author_id: Option<UserId>,
    /// Super reaction.
    #[serde(default)]
    pub burst: bool,
    /// Super reaction colours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub burst_colors: Vec<String>,
    /// Reaction type.
    #[serde(rename = "type", default = "normal")]
    pub kind: ReactionType,
}

fn normal() -> ReactionType {
    ReactionType::Normal
}

/// MESSAGE_REACTION_REMOVE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReactionRemove {
    /// User.
    pub user_id: UserId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Message.
    pub message_id: MessageId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Emoji.
    pub emoji: PartialEmoji,
    /// Super reaction.
    #[serde(default)]
    pub burst: bool,
    /// Reaction type.
    #[serde(rename = "type", default = "normal")]
    pub kind: ReactionType,
}

/// MESSAGE_REACTION_REMOVE_ALL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReactionRemoveAll {
    /// Channel.
    pub channel_id: ChannelId,
    /// Message.
    pub message_id: MessageId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
}

/// MESSAGE_REACTION_REMOVE_EMOJI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReactionRemoveEmoji {
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Message.
    pub message_id: MessageId,
    /// Emoji removed.
    pub emoji: PartialEmoji,
}

/// MESSAGE_POLL_VOTE_ADD / _REMOVE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePollVote {
    /// Voter.
    pub user_id: UserId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Message.
    pub message_id: MessageId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Answer.
    pub answer_id: u32,
}

/// TYPING_START.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypingStart {
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// User.
    pub user_id: UserId,
    /// Unix seconds.
    pub timestamp: u64,
    /// Member (guilds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
}

/// VOICE_CHANNEL_EFFECT_SEND.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoiceChannelEffectSend {
    /// Channel.
    pub channel_id: ChannelId,
    /// Guild.
    pub guild_id: GuildId,
    /// User.
    pub user_id: UserId,
    /// Emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<PartialEmoji>,
    /// 0 premium, 1 basic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation_type: Option<u8>,
    /// Animation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation_id: Option<u64>,
    /// Soundboard sound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound_id: Option<SoundId>,
    /// Volume, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound_volume: Option<f64>,
}

/// VOICE_CHANNEL_START_TIME_UPDATE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceChannelStartTimeUpdate {
    /// Channel.
    pub id: ChannelId,
    /// Guild.
    pub guild_id: GuildId,
    /// Unix seconds; `None` when the call ended.
    #[serde(default)]
    pub voice_start_time: Option<u64>,
}

/// VOICE_CHANNEL_STATUS_UPDATE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceChannelStatusUpdate {
    /// Channel.
    pub id: ChannelId,
    /// Guild.
    pub guild_id: GuildId,
    /// Status text.
    #[serde(default)]
    pub status: Option<String>,
}

/// VOICE_SERVER_UPDATE. The voice token is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceServerUpdate {
    /// Voice connection token.
    pub token: String,
    /// Guild.
    pub guild_id: GuildId,
    /// Voice host; `None` while the server is reallocated.
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl fmt::Debug for VoiceServerUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoiceServerUpdate")
            .field("token", &"<redacted>")
            .field("guild_id", &self.guild_id)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// WEBHOOKS_UPDATE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksUpdate {
    /// Guild.
    pub guild_id: GuildId,
    /// Channel.
    pub channel_id: ChannelId,
}
