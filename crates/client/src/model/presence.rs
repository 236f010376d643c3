//! Presences and activities (discord-protocol.md §7.5, §8.13).

use serde::{Deserialize, Serialize};

use super::serde_util::{lenient, lenient_or_default, lenient_pair};
use super::{int_enum, int_flags, str_enum, ApplicationId, EmojiId, GuildId, PartialUser};

str_enum! {
    /// Online status.
    pub enum Status {
        /// Online.
        Online = "online",
        /// Do not disturb.
        Dnd = "dnd",
        /// Idle.
        Idle = "idle",
        /// Invisible (send only; received as offline).
        Invisible = "invisible",
        /// Offline.
        Offline = "offline",
    }
}

int_enum! {
    /// Activity type.
    pub enum ActivityType: u16 {
        /// "Playing {name}".
        Playing = 0,
        /// "Streaming {details}".
        Streaming = 1,
        /// "Listening to {name}".
        Listening = 2,
        /// "Watching {name}".
        Watching = 3,
        /// "{emoji} {state}".
        Custom = 4,
        /// "Competing in {name}".
        Competing = 5,
    }
}

int_enum! {
    /// Which field the status shows.
    pub enum StatusDisplayType: u16 {
        /// The name.
        Name = 0,
        /// The state.
        State = 1,
        /// The details.
        Details = 2,
    }
}

int_flags! {
    /// Activity flags.
    pub struct ActivityFlags: u64 {
        /// Instanced.
        const INSTANCE = 1 << 0;
        /// Joinable.
        const JOIN = 1 << 1;
        /// Spectatable.
        const SPECTATE = 1 << 2;
        /// Join requests.
        const JOIN_REQUEST = 1 << 3;
        /// Sync.
        const SYNC = 1 << 4;
        /// Play.
        const PLAY = 1 << 5;
        /// Party privacy: friends.
        const PARTY_PRIVACY_FRIENDS = 1 << 6;
        /// Party privacy: voice channel.
        const PARTY_PRIVACY_VOICE_CHANNEL = 1 << 7;
        /// Embedded.
        const EMBEDDED = 1 << 8;
    }
}

/// A user's presence in a guild (PRESENCE_UPDATE, GUILD_CREATE).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    /// The user (only `id` guaranteed).
    pub user: PartialUser,
    /// Guild (absent inside GUILD_CREATE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Status.
    pub status: Status,
    /// Activities.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Status per platform.
    #[serde(default)]
    pub client_status: ClientStatus,
}

/// Status per platform; an absent platform means offline or invisible there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStatus {
    /// Desktop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop: Option<Status>,
    /// Mobile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<Status>,
    /// Web.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<Status>,
    /// VR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vr: Option<Status>,
}

/// A received activity.
///
/// Games write activities through RPC, so the numbers in them are read
/// leniently: `created_at`, `timestamps` and `party.size` accept 64-bit
/// integers, their decimal text and whole floats, `flags` an integer or its
/// decimal text; any other value (a negative time, a size that is not two
/// integers) reads as absent (`created_at` as 0) instead of failing the
/// presence and the GUILD_CREATE that carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: ActivityType,
    /// Stream URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Unix ms when added to the session.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub created_at: u64,
    /// Start and end times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<ActivityTimestamps>,
    /// Application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
    /// Which field the status shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_display_type: Option<StatusDisplayType>,
    /// What the user is doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Link for the details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Party status or custom status text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Link for the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_url: Option<String>,
    /// Custom status emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<ActivityEmoji>,
    /// Party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<ActivityParty>,
    /// Images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<ActivityAssets>,
    /// Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<ActivitySecrets>,
    /// Instanced game session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<bool>,
    /// Flags.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub flags: Option<ActivityFlags>,
    /// Button labels (received form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
}

/// Activity times (Unix ms), read leniently (see [`Activity`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityTimestamps {
    /// Start.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub start: Option<u64>,
    /// End.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub end: Option<u64>,
}

/// Custom status emoji.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEmoji {
    /// Name.
    pub name: String,
    /// Custom emoji ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<EmojiId>,
    /// Animated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

/// Activity party.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityParty {
    /// Party ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `[current, max]`. 64-bit: games set it, and sizes above `u32::MAX`
    /// are seen; `None` if it is not two non-negative integers.
    #[serde(
        default,
        deserialize_with = "lenient_pair",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<[u64; 2]>,
}

/// Activity images and hover texts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityAssets {
    /// Large image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_image: Option<String>,
    /// Large image text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_text: Option<String>,
    /// Large image link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_url: Option<String>,
    /// Small image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_image: Option<String>,
    /// Small image text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_text: Option<String>,
    /// Small image link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_url: Option<String>,
}

/// Activity secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySecrets {
    /// Join secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
    /// Spectate secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spectate: Option<String>,
    /// Match secret.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub match_secret: Option<String>,
}
