//! The [`FakeDiscord`] handle: starting, observing and stopping the fake.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::{Config, FakeDiscordBuilder};
use crate::inject::Injection;
use crate::record::{
    lock, CounterSet, Counters, GatewayPayloadRecord, Log, RecordedRequest, RequestFilter,
};
use crate::world::World;
use crate::{gateway, rest};

/// State shared by the REST server, the gateway server and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub api_base: String,
    pub gateway_url: String,
    pub world: Mutex<World>,
    pub log: Log,
    pub counters: CounterSet,
    pub injections: Mutex<Vec<Injection>>,
    pub rest: rest::RestState,
    pub gateway: gateway::Hub,
    pub cancel: CancellationToken,
}

impl Shared {
    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.counters
            .snapshot(self.log.invalid_in_window(Instant::now()))
    }
}

/// Why a [`FakeDiscord`] control call could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No guild channel or DM with this id.
    #[error(
        "unknown channel {0}: use a channel id of `channel_ids(guild)` or one the bot created"
    )]
    UnknownChannel(u64),
    /// The channel is a category, directory, forum or media channel.
    #[error("channel {0} does not take messages (category, directory, forum or media)")]
    NotTextChannel(u64),
    /// No guild with this id.
    #[error("unknown guild {0}: the bot is not in it")]
    UnknownGuild(u64),
    /// No user with this id (or it is the bot, which speaks through REST).
    #[error("unknown user {0} (the bot itself speaks through REST)")]
    UnknownUser(u64),
    /// The user exists but is not in the channel's guild (or DM).
    #[error("user {user} cannot speak in channel {channel}: not a member there")]
    NotAMember {
        /// The user.
        user: u64,
        /// The channel.
        channel: u64,
    },
    /// The guild has no member but the bot, so no one can speak.
    #[error("no one but the bot is in channel {0}'s guild; add a member first")]
    NoAuthor(u64),
    /// No registered chat-input command has this name and subcommand path
    /// (in the channel's guild or globally).
    #[error("unknown command `{0}`: register it first (and name a subcommand if it has some)")]
    UnknownCommand(String),
    /// An option the command's definition does not allow.
    #[error("option `{option}` {reason}")]
    BadOption {
        /// The option's name.
        option: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No stored message with this id in the channel.
    #[error("unknown message {0} in this channel")]
    UnknownMessage(u64),
    /// The message has no component with this `custom_id`.
    #[error("the message has no component with custom_id `{0}`")]
    UnknownComponent(String),
}

/// A fake Discord running on loopback: REST under `api_base()` and a gateway
/// at `gateway_url()`.
///
/// Cheap to clone; every clone controls the same fake. Start one with
/// [`FakeDiscord::builder`]; stop it with [`FakeDiscord::shutdown`].
#[derive(Clone, Debug)]
pub struct FakeDiscord {
    pub(crate) shared: Arc<Shared>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FakeDiscord {
    /// A builder with Discord's defaults.
    pub fn builder() -> FakeDiscordBuilder {
        FakeDiscordBuilder::default()
    }

    pub(crate) async fn start(config: Config) -> std::io::Result<FakeDiscord> {
        let rest_listener = TcpListener::bind(config.rest_addr).await?;
        let gateway_listener = TcpListener::bind(config.gateway_addr).await?;
        let api_base = format!("http://{}/api", rest_listener.local_addr()?);
        let gateway_url = format!("ws://{}", gateway_listener.local_addr()?);
        let world = World::generate(&config);
        let shared = Arc::new(Shared {
            rest: rest::RestState::new(&config),
            gateway: gateway::Hub::new(&config),
            config,
            api_base,
            gateway_url,
            world: Mutex::new(world),
            log: Log::default(),
            counters: CounterSet::default(),
            injections: Mutex::new(Vec::new()),
            cancel: CancellationToken::new(),
        });
        let rest_task = tokio::spawn(
            rest::serve(rest_listener, Arc::clone(&shared))
                .instrument(tracing::info_span!("fake_rest", base = %shared.api_base)),
        );
        let gateway_task = tokio::spawn(
            gateway::serve(gateway_listener, Arc::clone(&shared))
                .instrument(tracing::info_span!("fake_gateway", url = %shared.gateway_url)),
        );
        Ok(FakeDiscord {
            shared,
            tasks: Arc::new(Mutex::new(vec![rest_task, gateway_task])),
        })
    }

    /// The REST base URL, `http://127.0.0.1:P/api` (versions go after it).
    pub fn api_base(&self) -> &str {
        &self.shared.api_base
    }

    /// The gateway URL, `ws://127.0.0.1:Q`.
    pub fn gateway_url(&self) -> &str {
        &self.shared.gateway_url
    }

    /// The bot token the fake accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The id of the bot user.
    pub fn bot_user_id(&self) -> u64 {
        lock(&self.shared.world).bot_user_id()
    }

    /// A handle on the same fake for the control API (which holds only the
    /// shared state); its `shutdown` stops the servers but waits for
    /// nothing.
    pub(crate) fn from_shared(shared: Arc<Shared>) -> FakeDiscord {
        FakeDiscord {
            shared,
            tasks: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The ids of the guilds the bot is in.
    pub fn guild_ids(&self) -> Vec<u64> {
        lock(&self.shared.world).guild_ids()
    }

    /// The text channels of a guild (empty for an unknown guild).
    pub fn channel_ids(&self, guild_id: u64) -> Vec<u64> {
        lock(&self.shared.world).text_channel_ids(guild_id)
    }

    /// Every REST request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.requests()
    }

    /// Every gateway payload received from clients so far, oldest first.
    pub fn gateway_payloads(&self) -> Vec<GatewayPayloadRecord> {
        self.shared.log.payloads()
    }

    /// Every close frame clients sent so far (code and shard), oldest
    /// first: how a test sees that a bot shut down with 1000 (session
    /// ended) or 4000 (resumable).
    pub fn client_closes(&self) -> Vec<crate::record::ClientCloseRecord> {
        self.shared.log.closes()
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// The user ids of a guild's members, the bot included (empty for an
    /// unknown guild).
    pub fn member_ids(&self, guild_id: u64) -> Vec<u64> {
        lock(&self.shared.world)
            .members(guild_id)
            .iter()
            .map(|m| crate::world::id_of(&m["user"]))
            .collect()
    }

    /// Makes a user say `content` in a channel, as Discord does when a
    /// person posts: the message is stored (the bot can fetch it, reply to
    /// it, react to it) and MESSAGE_CREATE goes to the shard of the
    /// channel's guild (DMs: shard 0) with the author's partial `member`
    /// and the `mentions` found in the content, under the same intent and
    /// MESSAGE_CONTENT rules as every dispatch (without MESSAGE_CONTENT a
    /// session gets empty `content` unless the bot is mentioned).
    ///
    /// `author_id` `None` picks the guild's first member who is not the
    /// bot (in a DM, its recipient). Returns the MESSAGE_CREATE `d` as sent
    /// to a session with every intent.
    ///
    /// # Errors
    ///
    /// [`ControlError`] for an unknown or non-text channel, an unknown
    /// author or one who is not a member of the channel's guild, or a
    /// guild where only the bot could speak.
    pub fn send_user_message(
        &self,
        channel_id: u64,
        author_id: Option<u64>,
        content: &str,
    ) -> Result<serde_json::Value, ControlError> {
        use crate::rest::UserMessageError as E;
        let result = crate::rest::user_message(
            &mut lock(&self.shared.world),
            channel_id,
            author_id,
            content,
        );
        let (guild_id, d) = result.map_err(|err| match err {
            E::UnknownChannel => ControlError::UnknownChannel(channel_id),
            E::NotTextChannel => ControlError::NotTextChannel(channel_id),
            E::UnknownAuthor => ControlError::UnknownUser(author_id.unwrap_or(0)),
            E::NotAMember => ControlError::NotAMember {
                user: author_id.unwrap_or(0),
                channel: channel_id,
            },
            E::NoAuthor => ControlError::NoAuthor(channel_id),
        })?;
        self.shared
            .gateway
            .emit(guild_id, "MESSAGE_CREATE", d.clone());
        Ok(d)
    }

    /// Adds a guild the bot joins now: `@everyone`, a `general` text
    /// channel and the bot as its only member. GUILD_CREATE goes to the
    /// guild's shard, as when a bot is added to a server. Returns the
    /// guild's id.
    pub fn add_guild(&self, name: &str) -> u64 {
        let (guild_id, d) = {
            let mut world = lock(&self.shared.world);
            let guild_id = world.add_guild(name);
            (guild_id, world.guild_create(guild_id))
        };
        if let Some(d) = d {
            self.shared.gateway.emit(Some(guild_id), "GUILD_CREATE", d);
        }
        guild_id
    }

    /// Adds a text channel to a guild and sends CHANNEL_CREATE. Returns the
    /// channel object.
    ///
    /// # Errors
    ///
    /// [`ControlError::UnknownGuild`] when the bot is not in the guild.
    pub fn add_channel(
        &self,
        guild_id: u64,
        name: &str,
    ) -> Result<serde_json::Value, ControlError> {
        let channel = lock(&self.shared.world)
            .add_text_channel(guild_id, name)
            .ok_or(ControlError::UnknownGuild(guild_id))?;
        self.shared
            .gateway
            .emit(Some(guild_id), "CHANNEL_CREATE", channel.clone());
        Ok(channel)
    }

    /// Adds a new user as a member of a guild and sends GUILD_MEMBER_ADD
    /// (only sessions with GUILD_MEMBERS get it). Returns the member, with
    /// its `user`.
    ///
    /// # Errors
    ///
    /// [`ControlError::UnknownGuild`] when the bot is not in the guild.
    pub fn add_member(
        &self,
        guild_id: u64,
        username: &str,
    ) -> Result<serde_json::Value, ControlError> {
        let member = lock(&self.shared.world)
            .add_member(guild_id, username)
            .ok_or(ControlError::UnknownGuild(guild_id))?;
        let mut d = member.clone();
        d["guild_id"] = serde_json::json!(guild_id.to_string());
        self.shared
            .gateway
            .emit(Some(guild_id), "GUILD_MEMBER_ADD", d);
        Ok(member)
    }

    /// Sets every counter back to zero, the invalid requests of the last
    /// 10 minutes included. The request and payload logs are kept.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
        self.shared.log.clear_invalid();
    }

    /// The recorded REST requests that pass `filter`, oldest first.
    pub fn requests_matching(&self, filter: &RequestFilter) -> Vec<RecordedRequest> {
        let (found, _) = self.shared.log.requests_matching(filter);
        found.into_iter().map(|(_, r)| r).collect()
    }

    /// Waits until a recorded REST request passes `filter`, for at most
    /// `timeout`; returns the first one. The request's own gateway events
    /// are already queued when it is returned.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads the log.
    pub async fn wait_for_request_matching(
        &self,
        filter: &RequestFilter,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        self.wait_for_request_at(filter, timeout)
            .await
            .map(|(_, r)| r)
    }

    /// [`FakeDiscord::wait_for_request_matching`] with the request's
    /// position in the log.
    pub(crate) async fn wait_for_request_at(
        &self,
        filter: &RequestFilter,
        timeout: Duration,
    ) -> Option<(usize, RecordedRequest)> {
        let log = &self.shared.log;
        wait_until(log, timeout, || log.find_request_matching(filter)).await
    }

    /// Scripts the answer to the next matching REST requests.
    pub fn inject(&self, injection: Injection) {
        lock(&self.shared.injections).push(injection);
    }

    /// Waits until a recorded REST request matches `pred`, for at most
    /// `timeout`; returns the first match.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads the log.
    pub async fn wait_for_request(
        &self,
        mut pred: impl FnMut(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        let log = &self.shared.log;
        wait_until(log, timeout, || log.find_request(&mut pred)).await
    }

    /// Waits until a received gateway payload matches `pred`, for at most
    /// `timeout`; returns the first match.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads the log.
    pub async fn wait_for_gateway_payload(
        &self,
        mut pred: impl FnMut(&GatewayPayloadRecord) -> bool,
        timeout: Duration,
    ) -> Option<GatewayPayloadRecord> {
        let log = &self.shared.log;
        wait_until(log, timeout, || log.find_payload(&mut pred)).await
    }

    /// Stops both servers, closes every connection and waits for the tasks.
    ///
    /// # Cancel safety
    ///
    /// The servers are told to stop before the first await; dropping the
    /// future only skips waiting for them.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        let tasks: Vec<_> = lock(&self.tasks).drain(..).collect();
        for task in tasks {
            if let Err(err) = task.await {
                tracing::warn!(%err, "fake Discord task ended abnormally");
            }
        }
    }
}

async fn wait_until<T>(
    log: &Log,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = log.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(found) = check() {
            return Some(found);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return check();
        }
    }
}
