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
}
