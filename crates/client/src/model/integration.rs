//! Guild integrations.

use serde::{Deserialize, Serialize};

use super::{int_enum, ApplicationId, GuildId, IntegrationId, RoleId, Timestamp, User};

int_enum! {
    /// What happens when a subscription expires.
    pub enum IntegrationExpireBehavior: u16 {
        /// Remove the role.
        RemoveRole = 0,
        /// Kick.
        Kick = 1,
    }
}

/// A guild integration (INTEGRATION_CREATE/UPDATE add `guild_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    /// Integration ID.
    pub id: IntegrationId,
    /// Name.
    pub name: String,
    /// `twitch`, `youtube`, `discord` or `guild_subscription`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Syncing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syncing: Option<bool>,
    /// Subscriber role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<RoleId>,
    /// Emoticons synced (Twitch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_emoticons: Option<bool>,
    /// Expire behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_behavior: Option<IntegrationExpireBehavior>,
    /// Grace period in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_grace_period: Option<u32>,
    /// User (absent in gateway events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Account.
    pub account: IntegrationAccount,
    /// Last synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<Timestamp>,
    /// Subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_count: Option<u64>,
    /// Revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
    /// Bot application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<IntegrationApplication>,
    /// OAuth2 scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Gateway events: the guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
}

/// An integration's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationAccount {
    /// Account ID.
    pub id: String,
    /// Account name.
    pub name: String,
}

/// An integration's application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntegrationApplication {
    /// Application ID.
    pub id: ApplicationId,
    /// Name.
    pub name: String,
    /// Icon hash.
    #[serde(default)]
    pub icon: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Bot user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<User>,
}
