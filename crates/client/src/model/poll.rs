//! Polls.

use serde::{Deserialize, Serialize};

use super::{int_enum, PartialEmoji, Timestamp};

int_enum! {
    /// Poll layout.
    pub enum PollLayoutType: u16 {
        /// The default layout.
        Default = 1,
    }
}

/// A poll on a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Poll {
    /// The question.
    pub question: PollMedia,
    /// Answers.
    #[serde(default)]
    pub answers: Vec<PollAnswer>,
    /// When it ends (null for non-expiring polls).
    #[serde(default)]
    pub expiry: Option<Timestamp>,
    /// Several answers may be picked.
    #[serde(default)]
    pub allow_multiselect: bool,
    /// Layout.
    pub layout_type: PollLayoutType,
    /// Results (may be absent while counting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<PollResults>,
}

/// Text and emoji of a question or answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollMedia {
    /// Text (question ≤ 300, answer ≤ 55).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Emoji (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<PartialEmoji>,
}

/// A poll answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswer {
    /// Answer ID (1-based within the poll).
    pub answer_id: u32,
    /// Text and emoji.
    pub poll_media: PollMedia,
}

/// Poll results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollResults {
    /// Votes are final.
    pub is_finalized: bool,
    /// Counts per answer (answers without votes are missing).
    #[serde(default)]
    pub answer_counts: Vec<PollAnswerCount>,
}

/// Votes for one answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswerCount {
    /// Answer ID.
    pub id: u32,
    /// Votes.
    pub count: u32,
    /// The current user voted for it.
    pub me_voted: bool,
}
