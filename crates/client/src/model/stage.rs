//! Stage instances.

use serde::{Deserialize, Serialize};

use super::{int_enum, ChannelId, GuildId, ScheduledEventId, StageId};

int_enum! {
    /// Stage privacy level.
    pub enum StagePrivacyLevel: u16 {
        /// Deprecated public level.
        Public = 1,
        /// Guild members only.
        GuildOnly = 2,
    }
}

/// A live stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInstance {
    /// Stage instance ID.
    pub id: StageId,
    /// Guild.
    pub guild_id: GuildId,
    /// Stage channel.
    pub channel_id: ChannelId,
    /// Topic (1-120).
    pub topic: String,
    /// Privacy level.
    pub privacy_level: StagePrivacyLevel,
    /// Deprecated discovery flag.
    #[serde(default)]
    pub discoverable_disabled: bool,
    /// Associated scheduled event.
    #[serde(default)]
    pub guild_scheduled_event_id: Option<ScheduledEventId>,
}
