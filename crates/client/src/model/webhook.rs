//! Webhooks.

use serde::{Deserialize, Serialize};

use super::{int_enum, ApplicationId, ChannelId, GuildId, User, WebhookId};

int_enum! {
    /// Webhook type.
    pub enum WebhookType: u16 {
        /// Posts messages with a token.
        Incoming = 1,
        /// Channel following.
        ChannelFollower = 2,
        /// Interaction webhooks.
        Application = 3,
    }
}

/// A webhook.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// Webhook ID.
    pub id: WebhookId,
    /// Type.
    #[serde(rename = "type")]
    pub kind: WebhookType,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Channel.
    #[serde(default)]
    pub channel_id: Option<ChannelId>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Default name.
    #[serde(default)]
    pub name: Option<String>,
    /// Default avatar hash.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Secure token (incoming webhooks); redacted in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Application that created it.
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// Followed guild (channel follower).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_guild: Option<WebhookGuild>,
    /// Followed channel (channel follower).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_channel: Option<WebhookChannel>,
    /// Execution URL (OAuth2 webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("guild_id", &self.guild_id)
            .field("channel_id", &self.channel_id)
            .field("user", &self.user)
            .field("name", &self.name)
            .field("avatar", &self.avatar)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("application_id", &self.application_id)
            .field("source_guild", &self.source_guild)
            .field("source_channel", &self.source_channel)
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The partial guild of a channel-follower webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookGuild {
    /// Guild ID.
    pub id: GuildId,
    /// Name.
    pub name: String,
    /// Icon hash.
    #[serde(default)]
    pub icon: Option<String>,
}

/// The partial channel of a channel-follower webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookChannel {
    /// Channel ID.
    pub id: ChannelId,
    /// Name.
    pub name: String,
}
