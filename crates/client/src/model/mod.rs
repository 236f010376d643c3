//! Discord's objects as Rust types.
//!
//! Every type reads what Discord documents (discord-protocol.md §8, §10 and
//! Discord's object tables): a field documented optional (`field?`) or
//! nullable (`?type`) is an `Option`; arrays default to empty; unknown
//! fields are ignored; enums with documented values keep an `Unknown`
//! variant so a value Discord adds tomorrow never fails an event; bitfields
//! keep unknown bits.
//!
//! A few fields are read leniently, where Discord documents odd values or
//! other libraries have met them: snowflakes, and the audit-log numbers
//! Discord documents as strings, from strings or integers; the user of a
//! presence, whose field types Discord does not validate (a field of another
//! type reads as `None`); activity times, party sizes and flags, which games
//! write (any width, decimal text, whole floats). Interaction `data` acord
//! cannot read is kept as [`InteractionData::Unknown`]. Everywhere else a
//! field of the wrong type is an error naming the event.
//!
//! IDs are typed ([`Id`]), timestamps are [`Timestamp`], permission sets
//! are [`Permissions`].

mod macros;
pub(crate) mod serde_util;

mod application;
mod application_command;
mod audit_log;
mod auto_moderation;
mod channel;
mod component;
mod embed;
mod emoji;
mod guild;
mod id;
mod integration;
mod interaction;
mod invite;
mod member;
mod message;
mod monetization;
mod permissions;
mod poll;
mod presence;
mod role;
mod scheduled_event;
mod stage;
mod timestamp;
mod user;
mod voice;
mod webhook;

pub(crate) use macros::{int_enum, int_flags, str_enum};

pub use application::{ApplicationFlags, PartialApplication};
pub use application_command::{
    ApplicationCommand, ChoiceValue, CommandNumber, CommandOption, CommandOptionChoice,
    CommandOptionType, CommandPermission, CommandPermissionType, CommandType,
    EntryPointCommandHandlerType, GuildCommandPermissions, Localizations,
};
pub use audit_log::{AuditLog, AuditLogChange, AuditLogEntry, AuditLogEntryInfo, AuditLogEvent};
pub use auto_moderation::{
    AutoModerationAction, AutoModerationActionMetadata, AutoModerationActionType,
    AutoModerationEventType, AutoModerationRule, AutoModerationTriggerType, KeywordPresetType,
    TriggerMetadata,
};
pub use channel::{
    Channel, ChannelFlags, ChannelMention, ChannelType, DefaultReaction, ForumLayoutType, ForumTag,
    OverwriteType, PermissionOverwrite, SortOrderType, ThreadMember, ThreadMemberFlags,
    ThreadMetadata, ThreadsList, VideoQualityMode,
};
pub use component::{
    ActionRow, Button, ButtonStyle, Checkbox, CheckboxGroup, Component, ComponentType, Container,
    FileDisplay, FileUpload, Label, MediaGallery, MediaGalleryItem, RadioGroup, Section,
    SelectDefaultValue, SelectDefaultValueType, SelectMenu, SelectMenuType, SelectOption,
    Separator, SeparatorSpacing, TextDisplay, TextInput, TextInputStyle, Thumbnail,
    UnfurledMediaItem, UnknownComponent,
};
pub use embed::{
    Embed, EmbedAuthor, EmbedField, EmbedFlags, EmbedFooter, EmbedMedia, EmbedProvider,
};
pub use emoji::{
    Emoji, PartialEmoji, SoundboardSound, Sticker, StickerFormatType, StickerItem, StickerType,
};
pub use guild::{
    Ban, DefaultMessageNotificationLevel, ExplicitContentFilterLevel, Guild, GuildFeature,
    IncidentsData, MfaLevel, NsfwLevel, PartialGuild, PremiumTier, SystemChannelFlags,
    UnavailableGuild, VerificationLevel, WelcomeScreen, WelcomeScreenChannel,
};
pub use id::*;
pub use integration::{
    Integration, IntegrationAccount, IntegrationApplication, IntegrationExpireBehavior,
};
pub use interaction::{
    ApplicationIntegrationType, AuthorizingIntegrationOwners, CommandData, CommandDataOption,
    ComponentData, Interaction, InteractionContextType, InteractionData, InteractionResolved,
    InteractionToken, InteractionType, ModalSubmitData, OptionValue,
};
pub use invite::{Invite, InviteCreate, InviteGuild, InviteTargetType, InviteType};
pub use member::{Member, MemberFlags};
pub use message::{
    Attachment, AttachmentFlags, ChannelPins, Mention, Message, MessageActivity,
    MessageActivityType, MessageCall, MessageFlags, MessageInteraction, MessageInteractionMetadata,
    MessagePin, MessageReference, MessageReferenceType, MessageSnapshot, MessageType, Nonce,
    Reaction, ReactionCountDetails, ReactionType, RoleSubscriptionData, SnapshotMessage,
};
pub use monetization::{Entitlement, EntitlementType, Subscription, SubscriptionStatus};
pub use permissions::Permissions;
pub use poll::{Poll, PollAnswer, PollAnswerCount, PollLayoutType, PollMedia, PollResults};
pub use presence::{
    Activity, ActivityAssets, ActivityEmoji, ActivityFlags, ActivityParty, ActivitySecrets,
    ActivityTimestamps, ActivityType, ClientStatus, Presence, Status, StatusDisplayType,
};
pub use role::{Role, RoleColors, RoleFlags, RoleTags};
pub use scheduled_event::{
    EntityMetadata, GuildScheduledEvent, NWeekday, RecurrenceRule, ScheduledEventEntityType,
    ScheduledEventPrivacyLevel, ScheduledEventStatus,
};
pub use serde_util::RawJson;
pub use stage::{StageInstance, StagePrivacyLevel};
pub use timestamp::{Timestamp, TimestampParseError};
pub use user::{
    AvatarDecorationData, Collectibles, Nameplate, PartialUser, PremiumType, PrimaryGuild, User,
    UserFlags,
};
pub use voice::VoiceState;
pub use webhook::{Webhook, WebhookChannel, WebhookGuild, WebhookType};
