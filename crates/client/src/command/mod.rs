//! What a bot sends: validated payloads and their builders.
//!
//! Every builder checks the limits Discord documents (discord-protocol.md §9)
//! in `build()` and returns a [`ValidationError`] naming the field and the
//! limit, instead of letting Discord answer 400:
//!
//! - messages: [`CreateMessage`], [`EditMessage`], [`AllowedMentions`],
//!   [`EmbedBuilder`], [`PollCreate`];
//! - components: [`ActionRowBuilder`], [`ButtonBuilder`],
//!   [`SelectMenuBuilder`], [`TextInputBuilder`], [`ModalBuilder`];
//! - interactions: [`InteractionResponse`], [`InteractionMessage`];
//! - application commands: [`CommandBuilder`], [`CommandOptionBuilder`];
//! - gateway commands: [`UpdatePresence`], [`RequestGuildMembers`],
//!   [`UpdateVoiceState`], [`RequestSoundboardSounds`], [`RequestChannelInfo`].

mod application_command;
mod component;
mod embed;
mod error;
mod gateway;
mod interaction;
mod limits;
mod message;

pub use application_command::{CommandBuilder, CommandDefinition, CommandOptionBuilder};
pub use component::{
    ActionRowBuilder, ButtonBuilder, Modal, ModalBuilder, SelectMenuBuilder, TextInputBuilder,
};
pub use embed::EmbedBuilder;
pub use error::ValidationError;
pub use gateway::{
    ActivityCreate, RequestChannelInfo, RequestGuildMembers, RequestGuildMembersBuilder,
    RequestSoundboardSounds, UpdatePresence, UpdatePresenceBuilder, UpdateVoiceState,
};
pub use interaction::{
    AutocompleteResult, InteractionCallbackData, InteractionCallbackType, InteractionMessage,
    InteractionMessageBuilder, InteractionResponse,
};
pub use message::{
    AllowedMentions, AttachmentInfo, CreateMessage, CreateMessageBuilder, EditMessage,
    EditMessageBuilder, MentionType, PollAnswerCreate, PollCreate,
};
