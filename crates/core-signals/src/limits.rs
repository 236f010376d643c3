//! Documented numeric limits (discord-protocol.md §2, §3, §9).

use std::time::Duration;

/// Global REST limit: requests per second per bot.
pub const GLOBAL_REQUESTS_PER_SECOND: u32 = 50;
/// Invalid requests (401/403/429) allowed per IP per window before a
/// Cloudflare ban.
pub const INVALID_REQUESTS_PER_WINDOW: u32 = 10_000;
/// The invalid-request window.
pub const INVALID_REQUEST_WINDOW: Duration = Duration::from_secs(600);
/// Gateway commands a connection may send per [`GATEWAY_SEND_WINDOW`].
pub const GATEWAY_SENDS_PER_WINDOW: u32 = 120;
/// The gateway send window.
pub const GATEWAY_SEND_WINDOW: Duration = Duration::from_secs(60);
/// Largest payload the client may send on the gateway, in bytes.
pub const GATEWAY_MAX_PAYLOAD: usize = 4096;
/// The window in which each identify bucket may IDENTIFY once.
pub const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);
/// Presence updates allowed per [`PRESENCE_UPDATE_WINDOW`].
pub const PRESENCE_UPDATES_PER_WINDOW: u32 = 5;
/// The presence update window.
pub const PRESENCE_UPDATE_WINDOW: Duration = Duration::from_secs(20);
/// Minimum and maximum IDENTIFY `large_threshold`.
pub const LARGE_THRESHOLD_RANGE: (u32, u32) = (50, 250);
/// Guilds per shard before Discord requires sharding.
pub const MAX_GUILDS_PER_SHARD: u32 = 2500;
/// Members per `GUILD_MEMBERS_CHUNK` dispatch (discord-protocol.md §5.2).
pub const GUILD_MEMBERS_PER_CHUNK: usize = 1000;
/// Members returned for a REQUEST_GUILD_MEMBERS `query` prefix, and
/// `user_ids` accepted per request (§5.2).
pub const REQUEST_GUILD_MEMBERS_MAX: usize = 100;
/// Longest REQUEST_GUILD_MEMBERS `nonce`, in bytes; a longer one is ignored.
pub const REQUEST_GUILD_MEMBERS_NONCE: usize = 32;
/// All-members requests (`query: ""`, `limit: 0`) allowed once per guild per
/// this window; excess requests get a `RATE_LIMITED` dispatch (§3.14).
pub const REQUEST_ALL_MEMBERS_WINDOW: Duration = Duration::from_secs(30);
/// Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Message content length, in characters.
pub const MESSAGE_CONTENT: usize = 2000;
/// Embeds per message.
pub const EMBEDS_PER_MESSAGE: usize = 10;
/// Total embed text per message.
pub const EMBED_TOTAL_TEXT: usize = 6000;
/// Attachments per message.
pub const ATTACHMENTS_PER_MESSAGE: usize = 10;
/// Top-level action rows in a legacy-components message.
pub const ACTION_ROWS_PER_MESSAGE: usize = 5;
/// Length of a component `custom_id`.
pub const CUSTOM_ID: usize = 100;
/// Length of an `X-Audit-Log-Reason`.
pub const AUDIT_LOG_REASON: usize = 512;

/// Embed title, in characters (§8.7, §9).
pub const EMBED_TITLE: usize = 256;
/// Embed description, in characters.
pub const EMBED_DESCRIPTION: usize = 4096;
/// Fields per embed.
pub const EMBED_FIELDS: usize = 25;
/// Embed field name, in characters.
pub const EMBED_FIELD_NAME: usize = 256;
/// Embed field value, in characters.
pub const EMBED_FIELD_VALUE: usize = 1024;
/// Embed footer text, in characters.
pub const EMBED_FOOTER_TEXT: usize = 2048;
/// Embed author name, in characters.
pub const EMBED_AUTHOR_NAME: usize = 256;
/// Message `nonce`, in characters.
pub const MESSAGE_NONCE: usize = 25;
/// `sticker_ids` per message.
pub const STICKERS_PER_MESSAGE: usize = 3;
/// Attachment description (alt text), in characters.
pub const ATTACHMENT_DESCRIPTION: usize = 1024;
/// IDs in `allowed_mentions.users` / `allowed_mentions.roles`, each.
pub const ALLOWED_MENTIONS_IDS: usize = 100;
/// Components in total in an IS_COMPONENTS_V2 message.
pub const COMPONENTS_V2_TOTAL: usize = 40;
/// Buttons per action row.
pub const BUTTONS_PER_ROW: usize = 5;
/// Button label, in characters.
pub const BUTTON_LABEL: usize = 80;
/// Button URL, in characters.
pub const BUTTON_URL: usize = 512;
/// Options per string select.
pub const SELECT_OPTIONS: usize = 25;
/// Select option label, value and description, in characters each.
pub const SELECT_OPTION_TEXT: usize = 100;
/// Select placeholder, in characters.
pub const SELECT_PLACEHOLDER: usize = 150;
/// Highest select `min_values` / `max_values`.
pub const SELECT_VALUES_MAX: u8 = 25;
/// Text input `min_length` / `max_length` / value, in characters.
pub const TEXT_INPUT_LENGTH: u16 = 4000;
/// Text input placeholder, in characters.
pub const TEXT_INPUT_PLACEHOLDER: usize = 100;
/// Modal title, in characters.
pub const MODAL_TITLE: usize = 45;
/// Top-level components in a modal.
pub const MODAL_COMPONENTS: usize = 5;
/// Options of a radio group or checkbox group, and files of a file upload
/// (modals).
pub const MODAL_CHOICES_MAX: usize = 10;
/// Fewest options of a radio group.
pub const RADIO_GROUP_MIN_OPTIONS: usize = 2;
/// Label component text, in characters.
pub const LABEL_TEXT: usize = 45;
/// Label component description, in characters.
pub const LABEL_DESCRIPTION: usize = 100;
/// Application command and option name, in characters.
pub const COMMAND_NAME: usize = 32;
/// CHAT_INPUT command and option description, in characters.
pub const COMMAND_DESCRIPTION: usize = 100;
/// Options per command or subcommand.
pub const COMMAND_OPTIONS: usize = 25;
/// Choices per option.
pub const COMMAND_CHOICES: usize = 25;
/// Choice name, in characters.
pub const CHOICE_NAME: usize = 100;
/// String choice value, in characters.
pub const CHOICE_STRING_VALUE: usize = 100;
/// STRING option `min_length` / `max_length`.
pub const STRING_OPTION_LENGTH: u16 = 6000;
/// Name + description + values of a command, its options and choices.
pub const COMMAND_TOTAL_SIZE: usize = 8000;
/// Largest INTEGER option bound (`2^53 - 1`; the smallest is its negation).
pub const INTEGER_OPTION_MAX: i64 = (1 << 53) - 1;
/// Autocomplete choices per response.
pub const AUTOCOMPLETE_CHOICES: usize = 25;
/// Poll question text, in characters.
pub const POLL_QUESTION: usize = 300;
/// Poll answer text, in characters.
pub const POLL_ANSWER: usize = 55;
/// Answers per poll.
pub const POLL_ANSWERS: usize = 10;
/// Longest poll duration, in hours (32 days).
pub const POLL_DURATION_HOURS: u32 = 768;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_request_limits_are_consistent() {
        // A query or user_ids answer always fits in one chunk.
        const { assert!(REQUEST_GUILD_MEMBERS_MAX <= GUILD_MEMBERS_PER_CHUNK) };
        assert_eq!(REQUEST_ALL_MEMBERS_WINDOW, Duration::from_secs(30));
        assert_eq!(REQUEST_GUILD_MEMBERS_NONCE, 32);
    }

    #[test]
    fn message_limits_match_section_9() {
        // A message's embed total can hold one maximal description, but not
        // every field of a maximal embed at once.
        const {
            assert!(EMBED_DESCRIPTION < EMBED_TOTAL_TEXT);
            let maximal_embed = EMBED_TITLE
                + EMBED_DESCRIPTION
                + EMBED_FIELDS * (EMBED_FIELD_NAME + EMBED_FIELD_VALUE)
                + EMBED_FOOTER_TEXT
                + EMBED_AUTHOR_NAME;
            assert!(maximal_embed > EMBED_TOTAL_TEXT);
        }
        assert_eq!(COMPONENTS_V2_TOTAL, 8 * BUTTONS_PER_ROW);
        assert_eq!(INTEGER_OPTION_MAX, 9_007_199_254_740_991);
        assert_eq!(POLL_DURATION_HOURS, 32 * 24);
        assert_eq!(SELECT_VALUES_MAX as usize, SELECT_OPTIONS);
    }
}
