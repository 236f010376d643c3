//! Interaction responses (discord-protocol.md §10.3).

use serde::{Deserialize, Serialize};

use super::component::Modal;
use super::error::{check_count, check_len, ValidationError};
use super::limits::{AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_STRING_VALUE};
use super::message::{validate_body, AllowedMentions, AttachmentInfo, PollCreate};
use crate::model::{int_enum, ChoiceValue, CommandOptionChoice, Component, Embed, MessageFlags};

int_enum! {
    /// Interaction callback type.
    pub enum InteractionCallbackType: u16 {
        /// Answer a PING.
        Pong = 1,
        /// Reply with a message.
        ChannelMessageWithSource = 4,
        /// Acknowledge now, edit the response later (shows loading).
        DeferredChannelMessageWithSource = 5,
        /// Components only: acknowledge, edit the message later.
        DeferredUpdateMessage = 6,
        /// Components only: edit the message the component is on.
        UpdateMessage = 7,
        /// Autocomplete choices.
        ApplicationCommandAutocompleteResult = 8,
        /// Open a modal.
        Modal = 9,
        /// Deprecated premium upsell.
        PremiumRequired = 10,
        /// Launch the app's activity.
        LaunchActivity = 12,
    }
}

/// The body of an interaction callback.
///
/// ```
/// use acord::command::{InteractionMessage, InteractionResponse};
/// let reply = InteractionMessage::builder().content("pong").ephemeral().build().unwrap();
/// let response = InteractionResponse::message(reply).unwrap();
/// assert_eq!(
///     serde_json::to_string(&response).unwrap(),
///     r#"{"type":4,"data":{"content":"pong","flags":64}}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InteractionResponse {
    /// Callback type.
    #[serde(rename = "type")]
    pub kind: InteractionCallbackType,
    /// Callback data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<InteractionCallbackData>,
}

/// The `data` of an interaction callback.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum InteractionCallbackData {
    /// A message (types 4, 5, 7).
    Message(Box<InteractionMessage>),
    /// Autocomplete choices (type 8).
    Autocomplete(AutocompleteResult),
    /// A modal (type 9).
    Modal(Box<Modal>),
}

/// Autocomplete choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutocompleteResult {
    /// Up to 25 choices.
    pub choices: Vec<CommandOptionChoice>,
}

impl InteractionResponse {
    /// PONG (answer to PING).
    pub fn pong() -> Self {
        Self {
            kind: InteractionCallbackType::Pong,
            data: None,
        }
    }

    /// Replies with a message (type 4).
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyMessage`] if the message carries nothing.
    pub fn message(message: InteractionMessage) -> Result<Self, ValidationError> {
        if message.is_empty() {
            return Err(ValidationError::EmptyMessage);
        }
        Ok(Self {
            kind: InteractionCallbackType::ChannelMessageWithSource,
            data: Some(InteractionCallbackData::Message(Box::new(message))),
        })
    }

    /// Acknowledges now and edits `@original` later (type 5); the only
    /// allowed flag is EPHEMERAL.
    pub fn deferred_message(ephemeral: bool) -> Self {
        Self {
            kind: InteractionCallbackType::DeferredChannelMessageWithSource,
            data: ephemeral.then(|| {
                InteractionCallbackData::Message(Box::new(InteractionMessage {
                    flags: Some(MessageFlags::EPHEMERAL),
                    ..InteractionMessage::default()
                }))
            }),
        }
    }

    /// Components only: acknowledges without a loading state (type 6).
    pub fn deferred_update() -> Self {
        Self {
            kind: InteractionCallbackType::DeferredUpdateMessage,
            data: None,
        }
    }

    /// Components only: edits the message the component is on (type 7).
    pub fn update_message(message: InteractionMessage) -> Self {
        Self {
            kind: InteractionCallbackType::UpdateMessage,
            data: Some(InteractionCallbackData::Message(Box::new(message))),
        }
    }

    /// Autocomplete choices (type 8).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for more than 25 choices or a choice over its
    /// limits.
    pub fn autocomplete(choices: Vec<CommandOptionChoice>) -> Result<Self, ValidationError> {
        check_count("data.choices", choices.len(), 0, AUTOCOMPLETE_CHOICES)?;
        for choice in &choices {
            validate_choice(choice)?;
        }
        Ok(Self {
            kind: InteractionCallbackType::ApplicationCommandAutocompleteResult,
            data: Some(InteractionCallbackData::Autocomplete(AutocompleteResult {
                choices,
            })),
        })
    }

    /// Opens a modal (type 9); build it with
    /// [`ModalBuilder`](super::ModalBuilder), which checks its limits.
    pub fn modal(modal: Modal) -> Self {
        Self {
            kind: InteractionCallbackType::Modal,
            data: Some(InteractionCallbackData::Modal(Box::new(modal))),
        }
    }

    /// Launches the app's activity (type 12).
    pub fn launch_activity() -> Self {
        Self {
            kind: InteractionCallbackType::LaunchActivity,
            data: None,
        }
    }
}

pub(crate) fn validate_choice(choice: &CommandOptionChoice) -> Result<(), ValidationError> {
    check_len("choices[].name", &choice.name, 1, CHOICE_NAME)?;
    if let ChoiceValue::String(value) = &choice.value {
        check_len("choices[].value", value, 0, CHOICE_STRING_VALUE)?;
    }
    Ok(())
}

/// A message in an interaction callback, follow-up or `@original` edit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InteractionMessage {
    /// Text-to-speech.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tts: Option<bool>,
    /// Text (≤ 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Embeds (≤ 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<Embed>,
    /// Allowed mentions (default for interactions: users only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_mentions: Option<AllowedMentions>,
    /// Flags (SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2,
    /// IS_VOICE_MESSAGE, SUPPRESS_NOTIFICATIONS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
    /// Components.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Attachment metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentInfo>,
    /// Poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollCreate>,
}

impl InteractionMessage {
    /// Starts a builder.
    pub fn builder() -> InteractionMessageBuilder {
        InteractionMessageBuilder::default()
    }

    fn is_empty(&self) -> bool {
        self.content.as_deref().is_none_or(str::is_empty)
            && self.embeds.is_empty()
            && self.components.is_empty()
            && self.attachments.is_empty()
            && self.poll.is_none()
    }
}

/// Builds an [`InteractionMessage`].
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the message"]
pub struct InteractionMessageBuilder {
    message: InteractionMessage,
}

impl InteractionMessageBuilder {
    /// Text (≤ 2000).
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.message.content = Some(content.into());
        self
    }

    /// Text-to-speech.
    pub fn tts(mut self, tts: bool) -> Self {
        self.message.tts = Some(tts);
        self
    }

    /// Adds an embed.
    pub fn embed(mut self, embed: Embed) -> Self {
        self.message.embeds.push(embed);
        self
    }

    /// Sets allowed mentions.
    pub fn allowed_mentions(mut self, allowed: AllowedMentions) -> Self {
        self.message.allowed_mentions = Some(allowed);
        self
    }

    /// Only the invoking user sees it (flag 64).
    pub fn ephemeral(mut self) -> Self {
        self.message.flags = Some(self.message.flags.unwrap_or_default() | MessageFlags::EPHEMERAL);
        self
    }

    /// Sets flags.
    pub fn flags(mut self, flags: MessageFlags) -> Self {
        self.message.flags = Some(flags);
        self
    }

    /// Adds a top-level component.
    pub fn component(mut self, component: impl Into<Component>) -> Self {
        self.message.components.push(component.into());
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

    /// Attaches a poll.
    pub fn poll(mut self, poll: PollCreate) -> Self {
        self.message.poll = Some(poll);
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first limit broken.
    pub fn build(self) -> Result<InteractionMessage, ValidationError> {
        let m = &self.message;
        let flags = m.flags.unwrap_or_default();
        let allowed = MessageFlags::SUPPRESS_EMBEDS
            | MessageFlags::EPHEMERAL
            | MessageFlags::IS_COMPONENTS_V2
            | MessageFlags::IS_VOICE_MESSAGE
            | MessageFlags::SUPPRESS_NOTIFICATIONS;
        if !allowed.contains(flags) {
            return Err(ValidationError::Invalid {
                field: "flags",
                reason: "interaction messages accept only SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2, IS_VOICE_MESSAGE and SUPPRESS_NOTIFICATIONS",
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
        Ok(self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{ModalBuilder, TextInputBuilder};
    use crate::model::TextInputStyle;

    #[test]
    fn response_shapes() {
        assert_eq!(
            serde_json::to_string(&InteractionResponse::pong()).unwrap(),
            r#"{"type":1}"#
        );
        assert_eq!(
            serde_json::to_string(&InteractionResponse::deferred_message(true)).unwrap(),
            r#"{"type":5,"data":{"flags":64}}"#
        );
        assert_eq!(
            serde_json::to_string(&InteractionResponse::deferred_message(false)).unwrap(),
            r#"{"type":5}"#
        );
        let input = TextInputBuilder::new("t", TextInputStyle::Short)
            .build()
            .unwrap();
        let modal = ModalBuilder::new("m", "Title")
            .text_input("Name", input)
            .build()
            .unwrap();
        let json = serde_json::to_value(InteractionResponse::modal(modal)).unwrap();
        assert_eq!(json["type"], 9);
        assert_eq!(json["data"]["title"], "Title");
        assert_eq!(
            InteractionResponse::message(InteractionMessage::default()),
            Err(ValidationError::EmptyMessage)
        );
    }

    #[test]
    fn autocomplete_limits() {
        let choice = |name: String| CommandOptionChoice {
            name,
            name_localizations: None,
            value: ChoiceValue::String("v".into()),
        };
        let many: Vec<_> = (0..26).map(|i| choice(i.to_string())).collect();
        assert!(InteractionResponse::autocomplete(many).is_err());
        assert!(InteractionResponse::autocomplete(vec![choice(String::new())]).is_err());
        let ok = InteractionResponse::autocomplete(vec![choice("a".into())]).unwrap();
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"type":8,"data":{"choices":[{"name":"a","value":"v"}]}}"#
        );
    }

    #[test]
    fn interaction_flags() {
        assert!(InteractionMessage::builder()
            .content("x")
            .flags(MessageFlags::CROSSPOSTED)
            .build()
            .is_err());
        assert!(InteractionMessage::builder()
            .content("x".repeat(2001))
            .build()
            .is_err());
    }

    #[test]
    fn interaction_polls_are_validated() {
        let ok = PollCreate::new("Best?", ["a", "b"]);
        assert!(InteractionMessage::builder()
            .poll(ok.clone())
            .build()
            .is_ok());
        let long = PollCreate::new("q".repeat(301), ["a"]);
        assert!(matches!(
            InteractionMessage::builder().poll(long).build(),
            Err(ValidationError::TooLong { .. })
        ));
        let many = PollCreate::new("Best?", (0..11).map(|i| i.to_string()));
        assert!(InteractionMessage::builder().poll(many).build().is_err());
        assert!(InteractionMessage::builder()
            .flags(MessageFlags::IS_COMPONENTS_V2)
            .poll(ok)
            .build()
            .is_err());
    }
}
