//! Typed answers of `GET /gateway`, `GET /gateway/bot` and `GET /users/@me`
//! (discord-protocol.md §3.1, §8.1): the few shapes the core layers need.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Accepts a snowflake as a JSON string or integer (discord-protocol.md §1.2).
fn snowflake<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Str(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(v) => Ok(v),
        Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

/// `GET /gateway`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GatewayInfo {
    /// The WSS URL to connect to.
    pub url: String,
}

/// `GET /gateway/bot`: what `acord-core-gateway`'s `ShardManager` starts
/// from.
///
/// Get it with [`HttpClient::fetch_gateway_bot`](crate::HttpClient::fetch_gateway_bot),
/// parse a body you fetched yourself with `serde_json::from_slice`, or build
/// it with [`GatewayBotInfo::new`] (tests, or values from elsewhere).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GatewayBotInfo {
    /// The WSS URL to connect to.
    pub url: String,
    /// Recommended shard count.
    pub shards: u32,
    /// How many sessions may still be started.
    pub session_start_limit: SessionStartLimit,
}

impl GatewayBotInfo {
    /// Gateway info from its parts, as `GET /gateway/bot` would return them.
    ///
    /// # Examples
    ///
    /// ```
    /// use acord_core_http::{GatewayBotInfo, SessionStartLimit};
    ///
    /// let info = GatewayBotInfo::new("wss://gateway.discord.gg", 4, SessionStartLimit::default());
    /// assert_eq!(info.shards, 4);
    /// ```
    pub fn new(
        url: impl Into<String>,
        shards: u32,
        session_start_limit: SessionStartLimit,
    ) -> Self {
        Self {
            url: url.into(),
            shards,
            session_start_limit,
        }
    }
}

/// The `session_start_limit` of `GET /gateway/bot`; the identify queue of
/// `acord-core-gateway` paces IDENTIFYs by it.
///
/// The [`Default`] is a fresh small bot's: 1000 starts, 1000 left, a reset
/// in 24 hours, `max_concurrency` 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SessionStartLimit {
    /// Session starts allowed per period.
    pub total: u32,
    /// Starts left.
    pub remaining: u32,
    /// Time until `remaining` resets (sent in milliseconds).
    #[serde(rename = "reset_after", deserialize_with = "millis")]
    pub reset_after: Duration,
    /// IDENTIFY requests allowed per 5 seconds, per rate-limit key.
    pub max_concurrency: u32,
}

impl SessionStartLimit {
    /// A limit from its parts, as `GET /gateway/bot` would return them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use acord_core_http::SessionStartLimit;
    ///
    /// let limit = SessionStartLimit::new(1000, 999, Duration::from_secs(3600), 16);
    /// assert_eq!(limit.max_concurrency, 16);
    /// ```
    pub const fn new(
        total: u32,
        remaining: u32,
        reset_after: Duration,
        max_concurrency: u32,
    ) -> Self {
        Self {
            total,
            remaining,
            reset_after,
            max_concurrency,
        }
    }
}

impl Default for SessionStartLimit {
    fn default() -> Self {
        Self::new(1000, 1000, Duration::from_secs(24 * 60 * 60), 1)
    }
}

fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

/// The user a token belongs to (`GET /users/@me`), as returned by
/// [`HttpClient::login`](crate::HttpClient::login).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CurrentUser {
    /// The user id.
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    /// The username.
    pub username: String,
    /// Whether it is a bot account.
    #[serde(default)]
    pub bot: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_decodes() {
        let g: GatewayBotInfo = serde_json::from_str(
            r#"{"url":"wss://gateway.discord.gg/","shards":9,"session_start_limit":{"total":1000,"remaining":999,"reset_after":14400000,"max_concurrency":1}}"#,
        )
        .unwrap();
        assert_eq!(
            g,
            GatewayBotInfo::new(
                "wss://gateway.discord.gg/",
                9,
                SessionStartLimit::new(1000, 999, Duration::from_secs(14_400), 1)
            )
        );
        assert!(serde_json::from_slice::<GatewayBotInfo>(b"{}").is_err());
        assert!(serde_json::from_str::<GatewayBotInfo>(
            r#"{"url":"wss://g","shards":-1,"session_start_limit":{"total":1,"remaining":1,"reset_after":0,"max_concurrency":1}}"#
        )
        .is_err());
        let u: CurrentUser = serde_json::from_str(
            r#"{"id":"80351110224678912","username":"Nelly","bot":true,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(u.id, 80351110224678912);
        let u: CurrentUser = serde_json::from_str(r#"{"id":123,"username":"x"}"#).unwrap();
        assert!(!u.bot);
        assert!(serde_json::from_str::<CurrentUser>(r#"{"id":"abc","username":"x"}"#).is_err());
    }

    #[test]
    fn default_session_start_limit_is_a_fresh_bots() {
        assert_eq!(
            SessionStartLimit::default(),
            SessionStartLimit::new(1000, 1000, Duration::from_secs(86_400), 1)
        );
    }
}
