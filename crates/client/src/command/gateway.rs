//! Gateway commands a bot sends: presence updates and member requests.

use serde::{Deserialize, Serialize};

use acord_core_signals::GatewayOpcode;

use super::error::{check_count, ValidationError};
use super::limits::{GATEWAY_MAX_PAYLOAD, REQUEST_GUILD_MEMBERS_MAX, REQUEST_GUILD_MEMBERS_NONCE};
use crate::model::{ActivityType, ChannelId, GuildId, Status, UserId};

/// An activity a bot sets (bots may only set `name`, `state`, `type` and
/// `url`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityCreate {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: ActivityType,
    /// Stream URL (Streaming only; Twitch or YouTube).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Custom status text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl ActivityCreate {
    /// "Playing {name}".
    pub fn playing(name: impl Into<String>) -> Self {
        Self::of(ActivityType::Playing, name.into())
    }

    /// "Listening to {name}".
    pub fn listening(name: impl Into<String>) -> Self {
        Self::of(ActivityType::Listening, name.into())
    }

    /// "Watching {name}".
    pub fn watching(name: impl Into<String>) -> Self {
        Self::of(ActivityType::Watching, name.into())
    }

    /// "Competing in {name}".
    pub fn competing(name: impl Into<String>) -> Self {
        Self::of(ActivityType::Competing, name.into())
    }

    /// A custom status.
    pub fn custom(state: impl Into<String>) -> Self {
        let mut activity = Self::of(ActivityType::Custom, "Custom Status".to_owned());
        activity.state = Some(state.into());
        activity
    }

    /// "Streaming" with a Twitch or YouTube URL.
    pub fn streaming(name: impl Into<String>, url: impl Into<String>) -> Self {
        let mut activity = Self::of(ActivityType::Streaming, name.into());
        activity.url = Some(url.into());
        activity
    }

    fn of(kind: ActivityType, name: String) -> Self {
        Self {
            name,
            kind,
            url: None,
            state: None,
        }
    }
}

/// UPDATE_PRESENCE (op 3) `d` payload, also IDENTIFY's `presence`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePresence {
    /// Unix ms since idle, `None` if not idle.
    pub since: Option<u64>,
    /// Activities.
    pub activities: Vec<ActivityCreate>,
    /// Status.
    pub status: Status,
    /// AFK.
    pub afk: bool,
}

impl UpdatePresence {
    /// Starts a builder with a status.
    pub fn builder(status: Status) -> UpdatePresenceBuilder {
        UpdatePresenceBuilder {
            presence: UpdatePresence {
                since: None,
                activities: Vec::new(),
                status,
                afk: false,
            },
        }
    }

    /// The full gateway frame `{"op":3,"d":…}`.
    ///
    /// # Errors
    ///
    /// The serde error (cannot happen for these types in practice).
    pub fn to_gateway_json(&self) -> Result<String, serde_json::Error> {
        frame(GatewayOpcode::PresenceUpdate, self)
    }
}

/// Builds an [`UpdatePresence`].
///
/// ```
/// use acord::command::{ActivityCreate, UpdatePresence};
/// use acord::model::Status;
/// let presence = UpdatePresence::builder(Status::Online)
///     .activity(ActivityCreate::playing("with types"))
///     .build()
///     .unwrap();
/// assert!(presence.to_gateway_json().unwrap().starts_with(r#"{"op":3,"d":"#));
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the presence"]
pub struct UpdatePresenceBuilder {
    presence: UpdatePresence,
}

impl UpdatePresenceBuilder {
    /// Adds an activity.
    pub fn activity(mut self, activity: ActivityCreate) -> Self {
        self.presence.activities.push(activity);
        self
    }

    /// Marks idle since a Unix ms time.
    pub fn since(mut self, unix_ms: u64) -> Self {
        self.presence.since = Some(unix_ms);
        self
    }

    /// AFK.
    pub fn afk(mut self, afk: bool) -> Self {
        self.presence.afk = afk;
        self
    }

    /// Checks the status, streaming URLs and the 4096-byte frame limit.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the problem.
    pub fn build(self) -> Result<UpdatePresence, ValidationError> {
        if let Status::Unknown(_) = self.presence.status {
            return Err(ValidationError::Invalid {
                field: "status",
                reason: "status must be online, dnd, idle, invisible or offline",
            });
        }
        for activity in &self.presence.activities {
            if activity.kind == ActivityType::Streaming {
                let url = activity.url.as_deref().unwrap_or("");
                let ok = [
                    "https://twitch.tv/",
                    "https://www.twitch.tv/",
                    "https://youtube.com/",
                    "https://www.youtube.com/",
                ]
                .iter()
                .any(|prefix| url.starts_with(prefix));
                if !ok {
                    return Err(ValidationError::Invalid {
                        field: "activities[].url",
                        reason:
                            "streaming URLs must be https://twitch.tv/… or https://youtube.com/…",
                    });
                }
            }
        }
        check_frame(&self.presence, GatewayOpcode::PresenceUpdate)?;
        Ok(self.presence)
    }
}

/// REQUEST_GUILD_MEMBERS (op 8) `d` payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestGuildMembers {
    /// Guild.
    pub guild_id: GuildId,
    /// Username prefix (`""` = all, needs GUILD_MEMBERS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Maximum members (`0` with `query: ""` = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Include presences (needs GUILD_PRESENCES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presences: Option<bool>,
    /// Specific users (≤ 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<UserId>>,
    /// Echoed in the chunks (≤ 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl RequestGuildMembers {
    /// Every member (`query: ""`, `limit: 0`; needs GUILD_MEMBERS).
    pub fn all(guild_id: GuildId) -> RequestGuildMembersBuilder {
        Self::query(guild_id, "", 0)
    }

    /// Members whose username starts with `prefix` (at most `limit`).
    pub fn query(
        guild_id: GuildId,
        prefix: impl Into<String>,
        limit: u32,
    ) -> RequestGuildMembersBuilder {
        RequestGuildMembersBuilder {
            request: RequestGuildMembers {
                guild_id,
                query: Some(prefix.into()),
                limit: Some(limit),
                presences: None,
                user_ids: None,
                nonce: None,
            },
        }
    }

    /// Specific users (1-100).
    pub fn user_ids(
        guild_id: GuildId,
        ids: impl IntoIterator<Item = UserId>,
    ) -> RequestGuildMembersBuilder {
        RequestGuildMembersBuilder {
            request: RequestGuildMembers {
                guild_id,
                query: None,
                limit: None,
                presences: None,
                user_ids: Some(ids.into_iter().collect()),
                nonce: None,
            },
        }
    }

    /// The full gateway frame `{"op":8,"d":…}`.
    ///
    /// # Errors
    ///
    /// The serde error (cannot happen for these types in practice).
    pub fn to_gateway_json(&self) -> Result<String, serde_json::Error> {
        frame(GatewayOpcode::RequestGuildMembers, self)
    }
}

/// Builds a [`RequestGuildMembers`].
///
/// ```
/// use acord::command::RequestGuildMembers;
/// use acord::model::GuildId;
/// let guild = GuildId::new(1).unwrap();
/// let req = RequestGuildMembers::all(guild).nonce("n1").build().unwrap();
/// assert_eq!(
///     req.to_gateway_json().unwrap(),
///     r#"{"op":8,"d":{"guild_id":"1","query":"","limit":0,"nonce":"n1"}}"#
/// );
/// assert!(RequestGuildMembers::all(guild).nonce("x".repeat(33)).build().is_err());
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the request"]
pub struct RequestGuildMembersBuilder {
    request: RequestGuildMembers,
}

impl RequestGuildMembersBuilder {
    /// Include presences.
    pub fn presences(mut self, presences: bool) -> Self {
        self.request.presences = Some(presences);
        self
    }

    /// Nonce echoed in the chunks (≤ 32 bytes).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.request.nonce = Some(nonce.into());
        self
    }

    /// Checks the documented limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a nonce over 32 bytes or a `user_ids` list
    /// that is empty or longer than 100.
    pub fn build(self) -> Result<RequestGuildMembers, ValidationError> {
        if let Some(nonce) = &self.request.nonce {
            if nonce.len() > REQUEST_GUILD_MEMBERS_NONCE {
                return Err(ValidationError::TooLong {
                    field: "nonce (bytes)",
                    actual: nonce.len(),
                    max: REQUEST_GUILD_MEMBERS_NONCE,
                });
            }
        }
        if let Some(ids) = &self.request.user_ids {
            check_count("user_ids", ids.len(), 1, REQUEST_GUILD_MEMBERS_MAX)?;
        }
        check_frame(&self.request, GatewayOpcode::RequestGuildMembers)?;
        Ok(self.request)
    }
}

/// UPDATE_VOICE_STATE (op 4) `d` payload: join, move or leave a voice
/// channel. Discord answers with VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE.
///
/// ```
/// use acord::command::UpdateVoiceState;
/// use acord::model::{ChannelId, GuildId};
/// let join = UpdateVoiceState::join(GuildId::new(1).unwrap(), ChannelId::new(2).unwrap());
/// assert_eq!(
///     join.to_gateway_json().unwrap(),
///     r#"{"op":4,"d":{"guild_id":"1","channel_id":"2","self_mute":false,"self_deaf":false}}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVoiceState {
    /// Guild.
    pub guild_id: GuildId,
    /// Channel to join or move to; `None` disconnects.
    pub channel_id: Option<ChannelId>,
    /// Self-muted.
    pub self_mute: bool,
    /// Self-deafened.
    pub self_deaf: bool,
}

impl UpdateVoiceState {
    /// Joins (or moves to) a voice channel, unmuted and undeafened.
    pub fn join(guild_id: GuildId, channel_id: ChannelId) -> Self {
        Self {
            guild_id,
            channel_id: Some(channel_id),
            self_mute: false,
            self_deaf: false,
        }
    }

    /// Leaves voice in a guild.
    pub fn leave(guild_id: GuildId) -> Self {
        Self {
            guild_id,
            channel_id: None,
            self_mute: false,
            self_deaf: false,
        }
    }

    /// The full gateway frame `{"op":4,"d":…}`.
    ///
    /// # Errors
    ///
    /// The serde error (cannot happen for these types in practice).
    pub fn to_gateway_json(&self) -> Result<String, serde_json::Error> {
        frame(GatewayOpcode::VoiceStateUpdate, self)
    }
}

/// REQUEST_SOUNDBOARD_SOUNDS (op 31) `d` payload; answered by one
/// SOUNDBOARD_SOUNDS dispatch per guild.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSoundboardSounds {
    /// Guilds to list sounds of.
    pub guild_ids: Vec<GuildId>,
}

impl RequestSoundboardSounds {
    /// Builds the request, checking the 4096-byte frame limit.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] if the list is empty or the frame too large.
    pub fn new(guild_ids: impl IntoIterator<Item = GuildId>) -> Result<Self, ValidationError> {
        let request = Self {
            guild_ids: guild_ids.into_iter().collect(),
        };
        check_count("guild_ids", request.guild_ids.len(), 1, usize::MAX)?;
        check_frame(&request, GatewayOpcode::RequestSoundboardSounds)?;
        Ok(request)
    }

    /// The full gateway frame `{"op":31,"d":…}`.
    ///
    /// # Errors
    ///
    /// The serde error (cannot happen for these types in practice).
    pub fn to_gateway_json(&self) -> Result<String, serde_json::Error> {
        frame(GatewayOpcode::RequestSoundboardSounds, self)
    }
}

/// REQUEST_CHANNEL_INFO (op 43) `d` payload; answered by CHANNEL_INFO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestChannelInfo {
    /// Guild.
    pub guild_id: GuildId,
    /// Fields wanted: `"status"`, `"voice_start_time"`.
    pub fields: Vec<String>,
}

impl RequestChannelInfo {
    /// Asks for the voice status and start time of every channel.
    pub fn all_fields(guild_id: GuildId) -> Self {
        Self {
            guild_id,
            fields: vec!["status".to_owned(), "voice_start_time".to_owned()],
        }
    }

    /// The full gateway frame `{"op":43,"d":…}`.
    ///
    /// # Errors
    ///
    /// The serde error (cannot happen for these types in practice).
    pub fn to_gateway_json(&self) -> Result<String, serde_json::Error> {
        frame(GatewayOpcode::RequestChannelInfo, self)
    }
}

#[derive(Serialize)]
struct Frame<'a, T> {
    op: GatewayOpcode,
    d: &'a T,
}

fn frame<T: Serialize>(op: GatewayOpcode, d: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Frame { op, d })
}

/// Counts the bytes written to it, so a frame's size is known without
/// building the string.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check_frame<T: Serialize>(d: &T, op: GatewayOpcode) -> Result<(), ValidationError> {
    let mut count = ByteCount(0);
    serde_json::to_writer(&mut count, &Frame { op, d }).map_err(|_| ValidationError::Invalid {
        field: "d",
        reason: "the payload could not be serialised",
    })?;
    let len = count.0;
    if len > GATEWAY_MAX_PAYLOAD {
        return Err(ValidationError::TooLong {
            field: "gateway payload (bytes)",
            actual: len,
            max: GATEWAY_MAX_PAYLOAD,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_rules() {
        let ok = UpdatePresence::builder(Status::Idle)
            .activity(ActivityCreate::streaming("live", "https://twitch.tv/acord"))
            .since(5)
            .build()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(&ok.to_gateway_json().unwrap()).unwrap();
        assert_eq!(json["op"], 3);
        assert_eq!(json["d"]["status"], "idle");
        assert_eq!(json["d"]["activities"][0]["type"], 1);
        assert!(UpdatePresence::builder(Status::Online)
            .activity(ActivityCreate::streaming("live", "https://example.com/x"))
            .build()
            .is_err());
        assert!(UpdatePresence::builder(Status::from("away"))
            .build()
            .is_err());
        let big = UpdatePresence::builder(Status::Online)
            .activity(ActivityCreate::custom("x".repeat(5000)))
            .build();
        assert!(matches!(
            big,
            Err(ValidationError::TooLong { max: 4096, .. })
        ));
    }

    #[test]
    fn frame_size_is_the_serialised_length() {
        let guild = GuildId::new(1).unwrap();
        let request = RequestSoundboardSounds {
            guild_ids: (1..=300)
                .map(|i| GuildId::new(i * 1_000_000_000_000).unwrap())
                .collect(),
        };
        let expected = request.to_gateway_json().unwrap().len();
        assert_eq!(
            check_frame(&request, GatewayOpcode::RequestSoundboardSounds),
            Err(ValidationError::TooLong {
                field: "gateway payload (bytes)",
                actual: expected,
                max: GATEWAY_MAX_PAYLOAD,
            })
        );
        // Exactly at the limit passes; one byte more does not.
        let base = RequestChannelInfo {
            guild_id: guild,
            fields: vec![String::new()],
        };
        let overhead = base.to_gateway_json().unwrap().len();
        let at_limit = RequestChannelInfo {
            guild_id: guild,
            fields: vec!["f".repeat(GATEWAY_MAX_PAYLOAD - overhead)],
        };
        assert_eq!(
            at_limit.to_gateway_json().unwrap().len(),
            GATEWAY_MAX_PAYLOAD
        );
        assert!(check_frame(&at_limit, GatewayOpcode::RequestChannelInfo).is_ok());
        let over = RequestChannelInfo {
            guild_id: guild,
            fields: vec!["f".repeat(GATEWAY_MAX_PAYLOAD - overhead + 1)],
        };
        assert!(check_frame(&over, GatewayOpcode::RequestChannelInfo).is_err());
    }

    #[test]
    fn voice_soundboard_channel_info() {
        let guild = GuildId::new(1).unwrap();
        assert_eq!(
            UpdateVoiceState::leave(guild).to_gateway_json().unwrap(),
            r#"{"op":4,"d":{"guild_id":"1","channel_id":null,"self_mute":false,"self_deaf":false}}"#
        );
        assert!(RequestSoundboardSounds::new([]).is_err());
        let many = (1..=300).map(|i| GuildId::new(i * 1_000_000_000_000).unwrap());
        assert!(matches!(
            RequestSoundboardSounds::new(many),
            Err(ValidationError::TooLong { max: 4096, .. })
        ));
        assert_eq!(
            RequestSoundboardSounds::new([guild])
                .unwrap()
                .to_gateway_json()
                .unwrap(),
            r#"{"op":31,"d":{"guild_ids":["1"]}}"#
        );
        assert_eq!(
            RequestChannelInfo::all_fields(guild)
                .to_gateway_json()
                .unwrap(),
            r#"{"op":43,"d":{"guild_id":"1","fields":["status","voice_start_time"]}}"#
        );
    }

    #[test]
    fn member_request_rules() {
        let guild = GuildId::new(1).unwrap();
        let ids = (1..=101).map(|i| UserId::new(i).unwrap());
        assert!(RequestGuildMembers::user_ids(guild, ids).build().is_err());
        assert!(RequestGuildMembers::user_ids(guild, []).build().is_err());
        let ok = RequestGuildMembers::user_ids(guild, [UserId::new(9).unwrap()])
            .presences(true)
            .build()
            .unwrap();
        assert_eq!(
            ok.to_gateway_json().unwrap(),
            r#"{"op":8,"d":{"guild_id":"1","presences":true,"user_ids":["9"]}}"#
        );
    }
}
