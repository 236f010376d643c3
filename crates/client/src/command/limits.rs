//! Documented limits used by the builders (discord-protocol.md §9). The ones
//! core-signals already holds are re-exported from there.

pub(crate) use acord_core_signals::limits::{
    ACTION_ROWS_PER_MESSAGE, ATTACHMENTS_PER_MESSAGE, CUSTOM_ID, EMBEDS_PER_MESSAGE,
    EMBED_TOTAL_TEXT, GATEWAY_MAX_PAYLOAD, MESSAGE_CONTENT,
};

pub(crate) const EMBED_TITLE: usize = 256;
pub(crate) const EMBED_DESCRIPTION: usize = 4096;
pub(crate) const EMBED_FIELDS: usize = 25;
pub(crate) const EMBED_FIELD_NAME: usize = 256;
pub(crate) const EMBED_FIELD_VALUE: usize = 1024;
pub(crate) const EMBED_FOOTER_TEXT: usize = 2048;
pub(crate) const EMBED_AUTHOR_NAME: usize = 256;
pub(crate) const MESSAGE_NONCE: usize = 25;
pub(crate) const STICKERS_PER_MESSAGE: usize = 3;
pub(crate) const ATTACHMENT_DESCRIPTION: usize = 1024;
pub(crate) const ALLOWED_MENTIONS_IDS: usize = 100;
pub(crate) const COMPONENTS_V2_TOTAL: usize = 40;
pub(crate) const BUTTONS_PER_ROW: usize = 5;
pub(crate) const BUTTON_LABEL: usize = 80;
pub(crate) const BUTTON_URL: usize = 512;
pub(crate) const SELECT_OPTIONS: usize = 25;
pub(crate) const SELECT_OPTION_TEXT: usize = 100;
pub(crate) const SELECT_PLACEHOLDER: usize = 150;
pub(crate) const SELECT_VALUES_MAX: u8 = 25;
pub(crate) const TEXT_INPUT_LENGTH: u16 = 4000;
pub(crate) const TEXT_INPUT_PLACEHOLDER: usize = 100;
pub(crate) const MODAL_TITLE: usize = 45;
pub(crate) const MODAL_COMPONENTS: usize = 5;
pub(crate) const LABEL_TEXT: usize = 45;
pub(crate) const LABEL_DESCRIPTION: usize = 100;
pub(crate) const COMMAND_NAME: usize = 32;
pub(crate) const COMMAND_DESCRIPTION: usize = 100;
pub(crate) const COMMAND_OPTIONS: usize = 25;
pub(crate) const COMMAND_CHOICES: usize = 25;
pub(crate) const CHOICE_NAME: usize = 100;
pub(crate) const CHOICE_STRING_VALUE: usize = 100;
pub(crate) const STRING_OPTION_LENGTH: u16 = 6000;
pub(crate) const COMMAND_TOTAL_SIZE: usize = 8000;
pub(crate) const INTEGER_OPTION_MAX: i64 = (1 << 53) - 1;
pub(crate) const AUTOCOMPLETE_CHOICES: usize = 25;
pub(crate) const REQUEST_MEMBERS_USER_IDS: usize = 100;
pub(crate) const REQUEST_MEMBERS_NONCE: usize = 32;
pub(crate) const POLL_QUESTION: usize = 300;
pub(crate) const POLL_ANSWER: usize = 55;
pub(crate) const POLL_ANSWERS: usize = 10;
pub(crate) const POLL_DURATION_HOURS: u32 = 768;
