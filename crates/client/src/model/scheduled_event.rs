//! Guild scheduled events.

use serde::{Deserialize, Serialize};

use super::serde_util::string_or_int;
use super::{int_enum, ChannelId, GuildId, ScheduledEventId, Timestamp, User, UserId};

int_enum! {
    /// Scheduled event privacy.
    pub enum ScheduledEventPrivacyLevel: u16 {
        /// Guild members only.
        GuildOnly = 2,
    }
}

int_enum! {
    /// Scheduled event status.
    pub enum ScheduledEventStatus: u16 {
        /// Scheduled.
        Scheduled = 1,
        /// Active.
        Active = 2,
        /// Completed.
        Completed = 3,
        /// Cancelled.
        Canceled = 4,
    }
}

int_enum! {
    /// Where a scheduled event happens.
    pub enum ScheduledEventEntityType: u16 {
        /// Stage channel.
        StageInstance = 1,
        /// Voice channel.
        Voice = 2,
        /// Elsewhere.
        External = 3,
    }
}

/// A scheduled event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildScheduledEvent {
    /// Event ID.
    pub id: ScheduledEventId,
    /// Guild.
    pub guild_id: GuildId,
    /// Channel (null for external events).
    #[serde(default)]
    pub channel_id: Option<ChannelId>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<UserId>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Start.
    pub scheduled_start_time: Timestamp,
    /// End (required for external events).
    #[serde(default)]
    pub scheduled_end_time: Option<Timestamp>,
    /// Privacy.
    pub privacy_level: ScheduledEventPrivacyLevel,
    /// Status.
    pub status: ScheduledEventStatus,
    /// Entity type.
    pub entity_type: ScheduledEventEntityType,
    /// Entity ID (a snowflake, read from a string or an integer).
    #[serde(default, deserialize_with = "string_or_int")]
    pub entity_id: Option<String>,
    /// Entity metadata (external: location).
    #[serde(default)]
    pub entity_metadata: Option<EntityMetadata>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<User>,
    /// Interested users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u32>,
    /// Cover image hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Recurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence_rule: Option<RecurrenceRule>,
}

/// Extra data of an external event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityMetadata {
    /// Location (1-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// How an event repeats (a subset of iCalendar RRULE).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceRule {
    /// Start of the interval.
    pub start: Timestamp,
    /// End of the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// 0 yearly, 1 monthly, 2 weekly, 3 daily.
    pub frequency: u8,
    /// Spacing between events.
    pub interval: u32,
    /// Weekdays (0 = Monday).
    #[serde(default)]
    pub by_weekday: Option<Vec<u8>>,
    /// Nth weekday of the month.
    #[serde(default)]
    pub by_n_weekday: Option<Vec<NWeekday>>,
    /// Months (1-12).
    #[serde(default)]
    pub by_month: Option<Vec<u8>>,
    /// Days of the month.
    #[serde(default)]
    pub by_month_day: Option<Vec<u8>>,
    /// Days of the year.
    #[serde(default)]
    pub by_year_day: Option<Vec<u16>>,
    /// Occurrences.
    #[serde(default)]
    pub count: Option<u32>,
}

/// The nth weekday of a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NWeekday {
    /// Week (1-5).
    pub n: u8,
    /// Weekday (0 = Monday).
    pub day: u8,
}
