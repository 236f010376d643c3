//! Create and edit message payloads.

use serde::{Deserialize, Serialize};

use super::component::validate_message_components;
use super::embed::validate_embeds;
use super::error::{check_count, check_len, check_range, ValidationError};
use super::limits::{
    ALLOWED_MENTIONS_IDS, ATTACHMENTS_PER_MESSAGE, ATTACHMENT_DESCRIPTION, EMBEDS_PER_MESSAGE,
    MESSAGE_CONTENT, MESSAGE_NONCE, POLL_ANSWER, POLL_ANSWERS, POLL_DURATION_HOURS, POLL_QUESTION,
    STICKERS_PER_MESSAGE,
};
use crate::model::{
    str_enum, ChannelId, Component, Embed, GuildId, MessageFlags, MessageId, MessageReference,
    MessageReferenceType, Nonce, PollLayoutType, PollMedia, RoleId, StickerId, UserId,
};

str_enum! {
    /// A mention type for `allowed_mentions.parse`.
    pub enum MentionType {
        /// Role mentions.
        Roles = "roles",
        /// User mentions.
        Users = "users",
        /// @everyone and @here.
        Everyone = "everyone",
    }
}

/// Which mentions in a message notify (discord-protocol.md §8.10).
///
/// `AllowedMentions::default()` (empty `parse`) suppresses every mention.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedMentions {
    /// Mention types parsed from the content.
    #[serde(default)]
    pub parse: Vec<MentionType>,
    /// Roles allowed (≤ 100; not with `parse: roles`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleId>,
    /// Users allowed (≤ 100; not with `parse: users`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// Mention the replied-to author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_user: Option<bool>,
}

impl AllowedMentions {
    /// Checks the documented rules.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for more than 100 IDs, or `parse` naming a type
    /// whose ID list is also set.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_count(
            "allowed_mentions.roles",
            self.roles.len(),
            0,
            ALLOWED_MENTIONS_IDS,
        )?;
        check_count(
            "allowed_mentions.users",
            self.users.len(),
            0,
            ALLOWED_MENTIONS_IDS,
        )?;
        if self.parse.contains(&MentionType::Roles) && !self.roles.is_empty() {
            return Err(ValidationError::Invalid {
                field: "allowed_mentions.parse",
                reason: "\"roles\" in parse cannot be combined with a roles list",
            });
        }
        if self.parse.contains(&MentionType::Users) && !self.users.is_empty() {
            return Err(ValidationError::Invalid {
                field: "allowed_mentions.parse",
                reason: "\"users\" in parse cannot be combined with a users list",
            });
        }
        Ok(())
    }
}

/// Metadata for an uploaded file, referencing a multipart part `files[id]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Index of the file part (`files[{id}]`), or an existing attachment ID
    /// when editing.
    pub id: u64,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Alt text (≤ 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A poll to send with a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PollCreate {
    /// Question (text ≤ 300).
    pub question: PollMedia,
    /// Answers (1-10, text ≤ 55).
    pub answers: Vec<PollAnswerCreate>,
    /// Hours open (1-768, default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Several answers may be picked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_multiselect: Option<bool>,
    /// Layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_type: Option<PollLayoutType>,
}

/// An answer of a poll to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswerCreate {
    /// Text and emoji.
    pub poll_media: PollMedia,
}

impl PollCreate {
    /// A poll with a question and text answers.
    pub fn new<I, S>(question: impl Into<String>, answers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            question: PollMedia {
                text: Some(question.into()),
                emoji: None,
            },
            answers: answers
                .into_iter()
                .map(|a| PollAnswerCreate {
                    poll_media: PollMedia {
                        text: Some(a.into()),
                        emoji: None,
                    },
                })
                .collect(),
            duration: None,
            allow_multiselect: None,
            layout_type: None,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_len(
            "poll.question.text",
            self.question.text.as_deref().unwrap_or(""),
            1,
            POLL_QUESTION,
        )?;
        check_count("poll.answers", self.answers.len(), 1, POLL_ANSWERS)?;
        for answer in &self.answers {
            if let Some(text) = &answer.poll_media.text {
                check_len("poll.answers[].poll_media.text", text, 1, POLL_ANSWER)?;
            }
        }
        if let Some(hours) = self.duration {
            check_range(
                "poll.duration",
                i64::from(hours),
                1,
                i64::from(POLL_DURATION_HOURS),
            )?;
        }
        Ok(())
    }
}

/// The body of Create Message (`POST /channels/{id}/messages`), also used
/// for webhook executions and follow-ups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateMessage {
    /// Text (≤ 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Nonce (≤ 25 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// Deduplicate by nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_nonce: Option<bool>,
    /// Text-to-speech.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts: Option<bool>,
    /// Embeds (≤ 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<Embed>,
    /// Allowed mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_mentions: Option<AllowedMentions>,
    /// Reply or forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// Components.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Stickers (≤ 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sticker_ids: Vec<StickerId>,
    /// Attachment metadata for uploaded files (≤ 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentInfo>,
    /// Flags (SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE,
    /// IS_COMPONENTS_V2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
    /// Poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollCreate>,
}

impl CreateMessage {
    /// Starts a builder.
    pub fn builder() -> CreateMessageBuilder {
        CreateMessageBuilder::default()
    }
}

/// Builds a [`CreateMessage`], checking the documented limits in
/// [`build`](Self::build).
///
/// ```
/// use acord::command::{CreateMessage, EmbedBuilder, ValidationError};
/// let msg = CreateMessage::builder()
///     .content("hello")
///     .embed(EmbedBuilder::new().title("hi").build().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(msg.content.as_deref(), Some("hello"));
///
/// let err = CreateMessage::builder().content("x".repeat(2001)).build().unwrap_err();
/// assert!(matches!(err, ValidationError::TooLong { field: "content", max: 2000, .. }));
/// assert_eq!(CreateMessage::builder().build(), Err(ValidationError::EmptyMessage));
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the message"]
pub struct CreateMessageBuilder {
    message: CreateMessage,
}

impl CreateMessageBuilder {
    /// Text (≤ 2000).
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.message.content = Some(content.into());
        self
    }

    /// Nonce (≤ 25), with Discord deduplicating by it when `enforce`.
    pub fn nonce(mut self, nonce: impl Into<String>, enforce: bool) -> Self {
        self.message.nonce = Some(Nonce::String(nonce.into()));
        self.message.enforce_nonce = Some(enforce);
        self
    }

    /// Text-to-speech.
    pub fn tts(mut self, tts: bool) -> Self {
        self.message.tts = Some(tts);
        self
    }

    /// Adds an embed (≤ 10).
    pub fn embed(mut self, embed: Embed) -> Self {
        self.message.embeds.push(embed);
        self
    }

    /// Sets the allowed mentions.
    pub fn allowed_mentions(mut self, allowed: AllowedMentions) -> Self {
        self.message.allowed_mentions = Some(allowed);
        self
    }

    /// Replies to a message. With `fail_if_not_exists: false` a missing
    /// target sends a normal message instead of an error.
    pub fn reply(
        mut self,
        channel_id: ChannelId,
        message_id: MessageId,
        fail_if_not_exists: bool,
    ) -> Self {
        self.message.message_reference = Some(MessageReference {
            kind: Some(MessageReferenceType::Default),
            message_id: Some(message_id),
            channel_id: Some(channel_id),
            guild_id: None,
            fail_if_not_exists: Some(fail_if_not_exists),
        });
        self
    }

    /// Forwards a message (the message may then carry nothing else).
    pub fn forward(
        mut self,
        guild_id: Option<GuildId>,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> Self {
        self.message.message_reference = Some(MessageReference {
            kind: Some(MessageReferenceType::Forward),
            message_id: Some(message_id),
            channel_id: Some(channel_id),
            guild_id,
            fail_if_not_exists: None,
        });
        self
    }

    /// Adds a top-level component (an action row, or any V2 component).
    pub fn component(mut self, component: impl Into<Component>) -> Self {
        self.message.components.push(component.into());
        self
    }

    /// Adds a sticker (≤ 3).
    pub fn sticker(mut self, sticker: StickerId) -> Self {
        self.message.sticker_ids.push(sticker);
        self
    }

    /// Describes an uploaded file part `files[id]`.
    pub fn attachment(
        mut self,
        id: u64,
        filename: impl Into<String>,
        description: Option<String>,
    ) -> Self {
        self.message.attachments.push(AttachmentInfo {
            id,
            filename: Some(filename.into()),
            description,
        });
        self
    }

    /// Sets flags.
    pub fn flags(mut self, flags: MessageFlags) -> Self {
        self.message.flags = Some(flags);
        self
    }

    /// Attaches a poll.
    pub fn poll(mut self, poll: PollCreate) -> Self {
        self.message.poll = Some(poll);
        self
    }

    /// Checks the documented limits (discord-protocol.md §9).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first limit broken, or
    /// [`ValidationError::EmptyMessage`].
    pub fn build(self) -> Result<CreateMessage, ValidationError> {
        let m = &self.message;
        let forward = m
            .message_reference
            .as_ref()
            .is_some_and(|r| r.kind == Some(MessageReferenceType::Forward));
        let empty = m.content.as_deref().is_none_or(str::is_empty)
            && m.embeds.is_empty()
            && m.sticker_ids.is_empty()
            && m.components.is_empty()
            && m.attachments.is_empty()
            && m.poll.is_none();
        if empty && !forward {
            return Err(ValidationError::EmptyMessage);
        }
        let allowed = MessageFlags::SUPPRESS_EMBEDS
            | MessageFlags::SUPPRESS_NOTIFICATIONS
            | MessageFlags::IS_VOICE_MESSAGE
            | MessageFlags::IS_COMPONENTS_V2;
        let flags = m.flags.unwrap_or_default();
        if !allowed.contains(flags) {
            return Err(ValidationError::Invalid {
                field: "flags",
                reason: "Create Message accepts only SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE and IS_COMPONENTS_V2",
            });
        }
        validate_body(
            m.content.as_deref(),
            &m.embeds,
            m.allowed_mentions.as_ref(),
            &m.components,
            &m.attachments,
            m.poll.as_ref(),
            flags,
        )?;
        if let Some(Nonce::String(nonce)) = &m.nonce {
            check_len("nonce", nonce, 0, MESSAGE_NONCE)?;
        }
        check_count("sticker_ids", m.sticker_ids.len(), 0, STICKERS_PER_MESSAGE)?;
        if flags.contains(MessageFlags::IS_COMPONENTS_V2) && !m.sticker_ids.is_empty() {
            return Err(ValidationError::Invalid {
                field: "flags",
                reason:
                    "IS_COMPONENTS_V2 messages cannot carry content, embeds, stickers or a poll",
            });
        }
        Ok(self.message)
    }
}

/// Checks the parts shared by create, edit and interaction messages.
pub(crate) fn validate_body(
    content: Option<&str>,
    embeds: &[Embed],
    allowed_mentions: Option<&AllowedMentions>,
    components: &[Component],
    attachments: &[AttachmentInfo],
    poll: Option<&PollCreate>,
    flags: MessageFlags,
) -> Result<(), ValidationError> {
    if let Some(content) = content {
        check_len("content", content, 0, MESSAGE_CONTENT)?;
    }
    check_count("embeds", embeds.len(), 0, EMBEDS_PER_MESSAGE)?;
    validate_embeds(embeds)?;
    if let Some(allowed) = allowed_mentions {
        allowed.validate()?;
    }
    let v2 = flags.contains(MessageFlags::IS_COMPONENTS_V2);
    validate_message_components(components, v2)?;
    check_count("attachments", attachments.len(), 0, ATTACHMENTS_PER_MESSAGE)?;
    for attachment in attachments {
        if let Some(description) = &attachment.description {
            check_len(
                "attachments[].description",
                description,
                0,
                ATTACHMENT_DESCRIPTION,
            )?;
        }
    }
    if let Some(poll) = poll {
        poll.validate()?;
    }
    if v2 && (content.is_some_and(|c| !c.is_empty()) || !embeds.is_empty() || poll.is_some()) {
        return Err(ValidationError::Invalid {
            field: "flags",
            reason: "IS_COMPONENTS_V2 messages cannot carry content, embeds, stickers or a poll",
        });
    }
    Ok(())
}

/// The body of Edit Message (`PATCH /channels/{id}/messages/{id}`). Fields
/// left `None` are unchanged; `Some(None)` / an empty list clears.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EditMessage {
    /// New text (`Some(None)` removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Option<String>>,
    /// New embeds (empty removes all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeds: Option<Vec<Embed>>,
    /// Flags (SUPPRESS_EMBEDS, IS_COMPONENTS_V2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
    /// Allowed mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_mentions: Option<AllowedMentions>,
    /// New components (empty removes all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Component>>,
    /// Attachments to keep plus new uploads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentInfo>>,
}

impl EditMessage {
    /// Starts a builder.
    pub fn builder() -> EditMessageBuilder {
        EditMessageBuilder::default()
    }
}

/// Builds an [`EditMessage`].
///
/// ```
/// use acord::command::EditMessage;
/// let edit = EditMessage::builder().content(Some("fixed typo")).build().unwrap();
/// assert_eq!(serde_json::to_string(&edit).unwrap(), r#"{"content":"fixed typo"}"#);
/// let clear = EditMessage::builder().content(None::<String>).build().unwrap();
/// assert_eq!(serde_json::to_string(&clear).unwrap(), r#"{"content":null}"#);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the edit"]
pub struct EditMessageBuilder {
    edit: EditMessage,
}

impl EditMessageBuilder {
    /// New text, or `None` to remove it.
    pub fn content(mut self, content: Option<impl Into<String>>) -> Self {
        self.edit.content = Some(content.map(Into::into));
        self
    }

    /// Replaces the embeds.
    pub fn embeds(mut self, embeds: Vec<Embed>) -> Self {
        self.edit.embeds = Some(embeds);
        self
    }

    /// Sets flags.
    pub fn flags(mut self, flags: MessageFlags) -> Self {
        self.edit.flags = Some(flags);
        self
    }

    /// Sets allowed mentions.
    pub fn allowed_mentions(mut self, allowed: AllowedMentions) -> Self {
        self.edit.allowed_mentions = Some(allowed);
        self
    }

    /// Replaces the components.
    pub fn components(mut self, components: Vec<Component>) -> Self {
        self.edit.components = Some(components);
        self
    }

    /// Sets the attachments to keep and upload.
    pub fn attachments(mut self, attachments: Vec<AttachmentInfo>) -> Self {
        self.edit.attachments = Some(attachments);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first limit broken.
    pub fn build(self) -> Result<EditMessage, ValidationError> {
        let e = &self.edit;
        let flags = e.flags.unwrap_or_default();
        if !(MessageFlags::SUPPRESS_EMBEDS | MessageFlags::IS_COMPONENTS_V2).contains(flags) {
            return Err(ValidationError::Invalid {
                field: "flags",
                reason: "Edit Message accepts only SUPPRESS_EMBEDS and IS_COMPONENTS_V2",
            });
        }
        let components = e.components.as_deref().unwrap_or_default();
        validate_body(
            e.content.as_ref().and_then(Option::as_deref),
            e.embeds.as_deref().unwrap_or_default(),
            e.allowed_mentions.as_ref(),
            components,
            e.attachments.as_deref().unwrap_or_default(),
            None,
            flags,
        )?;
        Ok(self.edit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{ActionRowBuilder, ButtonBuilder, EmbedBuilder};
    use crate::model::ButtonStyle;

    #[test]
    fn create_message_limits() {
        let ok = CreateMessage::builder().content("x".repeat(2000)).build();
        assert!(ok.is_ok());
        let mut eleven = CreateMessage::builder();
        for _ in 0..11 {
            eleven = eleven.embed(EmbedBuilder::new().title("t").build().unwrap());
        }
        assert!(matches!(
            eleven.build(),
            Err(ValidationError::TooMany {
                field: "embeds",
                max: 10,
                ..
            })
        ));
        assert!(CreateMessage::builder()
            .content("hi")
            .nonce("n".repeat(26), true)
            .build()
            .is_err());
        let mut stickers = CreateMessage::builder();
        for i in 1..=4 {
            stickers = stickers.sticker(StickerId::new(i).unwrap());
        }
        assert!(stickers.build().is_err());
        assert!(CreateMessage::builder()
            .content("x")
            .flags(MessageFlags::EPHEMERAL)
            .build()
            .is_err());
        let forward = CreateMessage::builder()
            .forward(None, ChannelId::new(1).unwrap(), MessageId::new(2).unwrap())
            .build()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&forward).unwrap()["message_reference"]["type"],
            1
        );
    }

    #[test]
    fn allowed_mentions_rules() {
        let bad = AllowedMentions {
            parse: vec![MentionType::Users],
            users: vec![UserId::new(1).unwrap()],
            ..AllowedMentions::default()
        };
        let err = CreateMessage::builder()
            .content("hi")
            .allowed_mentions(bad)
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "allowed_mentions.parse");
        let too_many = AllowedMentions {
            roles: (1..=101).map(|i| RoleId::new(i).unwrap()).collect(),
            ..AllowedMentions::default()
        };
        assert!(too_many.validate().is_err());
        let none = serde_json::to_string(&AllowedMentions::default()).unwrap();
        assert_eq!(none, r#"{"parse":[]}"#);
    }

    #[test]
    fn components_v2_and_polls() {
        let row = ActionRowBuilder::new()
            .push(
                ButtonBuilder::new(ButtonStyle::Success, "ok")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert!(CreateMessage::builder()
            .component(row.clone())
            .build()
            .is_ok());
        assert!(CreateMessage::builder()
            .content("no")
            .component(row)
            .flags(MessageFlags::IS_COMPONENTS_V2)
            .build()
            .is_err());
        let poll = PollCreate::new("Best?", ["a", "b"]);
        assert!(CreateMessage::builder().poll(poll).build().is_ok());
        let long = PollCreate::new("q", ["x".repeat(56)]);
        assert!(CreateMessage::builder().poll(long).build().is_err());
        let many = PollCreate::new("q", (0..11).map(|i| i.to_string()));
        assert!(CreateMessage::builder().poll(many).build().is_err());
    }

    #[test]
    fn components_v2_message() {
        use crate::model::{Container, MediaGallery, Section, Separator, TextDisplay, Thumbnail};
        let layout = Container::new(vec![
            TextDisplay::new("# Release").into(),
            Section::new(
                vec![TextDisplay::new("acord 0.1")],
                Thumbnail::new("https://example.com/logo.png"),
            )
            .into(),
            Separator::default().into(),
            MediaGallery::new(["attachment://a.png"]).into(),
        ]);
        let msg = CreateMessage::builder()
            .component(layout)
            .flags(MessageFlags::IS_COMPONENTS_V2)
            .build()
            .unwrap();
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(json["components"][0]["type"], 17);
        assert_eq!(
            json["components"][0]["components"][1]["accessory"]["type"],
            11
        );
        assert_eq!(json["flags"], 1 << 15);
        let back: CreateMessage = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(back, msg);
        let from_value: CreateMessage = serde_json::from_value(json).unwrap();
        assert_eq!(from_value, msg);
        let too_many: Vec<Component> = (0..41)
            .map(|i| TextDisplay::new(i.to_string()).into())
            .collect();
        let mut builder = CreateMessage::builder().flags(MessageFlags::IS_COMPONENTS_V2);
        for c in too_many {
            builder = builder.component(c);
        }
        assert!(matches!(
            builder.build(),
            Err(ValidationError::TooMany { max: 40, .. })
        ));
    }

    #[test]
    fn edit_message() {
        assert!(EditMessage::builder()
            .flags(MessageFlags::SUPPRESS_NOTIFICATIONS)
            .build()
            .is_err());
        assert!(EditMessage::builder()
            .content(Some("x".repeat(2001)))
            .build()
            .is_err());
        let edit = EditMessage::builder().embeds(vec![]).build().unwrap();
        assert_eq!(serde_json::to_string(&edit).unwrap(), r#"{"embeds":[]}"#);
    }
}
