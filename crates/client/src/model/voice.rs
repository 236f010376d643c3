//! Voice states (discord-protocol.md §7.7).

use serde::{Deserialize, Serialize};

use super::{ChannelId, GuildId, Member, Timestamp, UserId};

/// A user's voice connection state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoiceState {
    /// Guild (absent inside GUILD_CREATE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Channel; `None` when disconnected.
    #[serde(default)]
    pub channel_id: Option<ChannelId>,
    /// User.
    pub user_id: UserId,
    /// Member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// Session ID.
    pub session_id: String,
    /// Server-deafened.
    #[serde(default)]
    pub deaf: bool,
    /// Server-muted.
    #[serde(default)]
    pub mute: bool,
    /// Self-deafened.
    #[serde(default)]
    pub self_deaf: bool,
    /// Self-muted.
    #[serde(default)]
    pub self_mute: bool,
    /// Streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_stream: Option<bool>,
    /// Camera on.
    #[serde(default)]
    pub self_video: bool,
    /// Suppressed (stage audience).
    #[serde(default)]
    pub suppress: bool,
    /// When the user asked to speak.
    #[serde(default)]
    pub request_to_speak_timestamp: Option<Timestamp>,
}
