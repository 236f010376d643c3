//! Configuration of a fake Discord, set through [`FakeDiscordBuilder`].

use std::net::SocketAddr;
use std::time::Duration;

use acord_core_signals::Intents;

use crate::server::FakeDiscord;

/// Application flags (Discord's application object) that say a privileged
/// intent is enabled in the Developer Portal.
const APP_FLAG_GATEWAY_PRESENCE: u64 = 1 << 12;
const APP_FLAG_GATEWAY_GUILD_MEMBERS: u64 = 1 << 14;
const APP_FLAG_GATEWAY_MESSAGE_CONTENT: u64 = 1 << 18;

/// The application's `flags` for the privileged intents "enabled in the
/// Developer Portal" (READY `application.flags`, `GET
/// /applications/@me`).
pub(crate) fn application_flags(privileged: Intents) -> u64 {
    let mut flags = 0;
    if privileged.contains(Intents::GUILD_PRESENCES) {
        flags |= APP_FLAG_GATEWAY_PRESENCE;
    }
    if privileged.contains(Intents::GUILD_MEMBERS) {
        flags |= APP_FLAG_GATEWAY_GUILD_MEMBERS;
    }
    if privileged.contains(Intents::MESSAGE_CONTENT) {
        flags |= APP_FLAG_GATEWAY_MESSAGE_CONTENT;
    }
    flags
}

/// The default bot token a fake accepts when none is configured.
pub const DEFAULT_TOKEN: &str = "acord-testkit.fake.token";

/// Everything a fake Discord can be configured with. Its `Debug` output
/// leaves the token out (house rule: tokens never appear in `Debug`).
#[derive(Clone)]
pub(crate) struct Config {
    pub token: String,
    pub rest_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    pub shards: u32,
    pub max_concurrency: u32,
    pub session_start_total: u32,
    pub session_start_remaining: u32,
    pub session_start_reset_after: Duration,
    pub identify_window: Duration,
    pub heartbeat_interval: Duration,
    pub resume_window: Duration,
    pub rate_limits: bool,
    pub bucket_limit: u32,
    pub bucket_window: Duration,
    pub global_limit: u32,
    pub global_window: Duration,
    pub privileged_intents: Intents,
    pub guilds: usize,
    pub members_per_guild: usize,
    pub seed: u64,
    pub control_api: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("token", &"<redacted>")
            .field("rest_addr", &self.rest_addr)
            .field("gateway_addr", &self.gateway_addr)
            .field("shards", &self.shards)
            .field("max_concurrency", &self.max_concurrency)
            .field("session_start_total", &self.session_start_total)
            .field("session_start_remaining", &self.session_start_remaining)
            .field("session_start_reset_after", &self.session_start_reset_after)
            .field("identify_window", &self.identify_window)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("resume_window", &self.resume_window)
            .field("rate_limits", &self.rate_limits)
            .field("bucket_limit", &self.bucket_limit)
            .field("bucket_window", &self.bucket_window)
            .field("global_limit", &self.global_limit)
            .field("global_window", &self.global_window)
            .field("privileged_intents", &self.privileged_intents)
            .field("guilds", &self.guilds)
            .field("members_per_guild", &self.members_per_guild)
            .field("seed", &self.seed)
            .field("control_api", &self.control_api)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            rest_addr: loopback,
            gateway_addr: loopback,
            shards: 1,
            max_concurrency: 1,
            session_start_total: 1000,
            session_start_remaining: 1000,
            session_start_reset_after: Duration::from_secs(14_400),
            identify_window: acord_core_signals::limits::IDENTIFY_WINDOW,
            heartbeat_interval: Duration::from_millis(41_250),
            resume_window: Duration::from_secs(120),
            rate_limits: true,
            bucket_limit: 5,
            bucket_window: Duration::from_secs(5),
            global_limit: acord_core_signals::limits::GLOBAL_REQUESTS_PER_SECOND,
            global_window: Duration::from_secs(1),
            privileged_intents: Intents::empty(),
            guilds: 2,
            members_per_guild: 8,
            seed: 0x00ac_0bd5,
            control_api: false,
        }
    }
}

/// Builds and starts a [`FakeDiscord`].
///
/// Every setting has a default that behaves like Discord; shorten intervals
/// and windows so tests run in milliseconds.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use std::time::Duration;
/// let fake = acord_testkit::FakeDiscord::builder()
///     .heartbeat_interval(Duration::from_millis(500))
///     .bucket_limit(5)
///     .bucket_window(Duration::from_millis(200))
///     .start()
///     .await?;
/// println!("REST at {}, gateway at {}", fake.api_base(), fake.gateway_url());
/// fake.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `start` is awaited"]
pub struct FakeDiscordBuilder {
    pub(crate) config: Config,
}

impl FakeDiscordBuilder {
    /// The bot token the fake accepts (without the `Bot ` prefix).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.token = token.into();
        self
    }

    /// Binds REST to this address instead of 127.0.0.1 on a free port.
    /// Only loopback addresses make sense here.
    pub fn rest_addr(mut self, addr: SocketAddr) -> Self {
        self.config.rest_addr = addr;
        self
    }

    /// Binds the gateway to this address instead of 127.0.0.1 on a free port.
    pub fn gateway_addr(mut self, addr: SocketAddr) -> Self {
        self.config.gateway_addr = addr;
        self
    }

    /// The shard count reported by `/gateway/bot` and required in IDENTIFY.
    pub fn shards(mut self, shards: u32) -> Self {
        self.config.shards = shards.max(1);
        self
    }

    /// `session_start_limit.max_concurrency`.
    pub fn max_concurrency(mut self, max_concurrency: u32) -> Self {
        self.config.max_concurrency = max_concurrency.max(1);
        self
    }

    /// `session_start_limit.total` and `.remaining` (IDENTIFYs left).
    pub fn session_start_limit(mut self, total: u32, remaining: u32) -> Self {
        self.config.session_start_total = total;
        self.config.session_start_remaining = remaining.min(total);
        self
    }

    /// The window in which each identify bucket may IDENTIFY once
    /// (Discord: 5 s).
    pub fn identify_window(mut self, window: Duration) -> Self {
        self.config.identify_window = window;
        self
    }

    /// The `heartbeat_interval` sent in HELLO.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.config.heartbeat_interval = interval;
        self
    }

    /// How long a dropped session stays resumable (team choice: 120 s).
    pub fn resume_window(mut self, window: Duration) -> Self {
        self.config.resume_window = window;
        self
    }

    /// Turns every REST rate limit on (the default) or off.
    pub fn rate_limits(mut self, enabled: bool) -> Self {
        self.config.rate_limits = enabled;
        self
    }

    /// Requests allowed per route bucket and major parameter per window.
    pub fn bucket_limit(mut self, limit: u32) -> Self {
        self.config.bucket_limit = limit.max(1);
        self
    }

    /// The per-route bucket window.
    pub fn bucket_window(mut self, window: Duration) -> Self {
        self.config.bucket_window = window;
        self
    }

    /// Requests allowed per global window (Discord: 50 per second).
    pub fn global_limit(mut self, limit: u32) -> Self {
        self.config.global_limit = limit.max(1);
        self
    }

    /// The global window (Discord: 1 s).
    pub fn global_window(mut self, window: Duration) -> Self {
        self.config.global_window = window;
        self
    }

    /// The privileged intents "enabled in the Developer Portal"; IDENTIFY
    /// with any other privileged intent is closed with 4014.
    pub fn privileged_intents(mut self, intents: Intents) -> Self {
        self.config.privileged_intents = intents & Intents::PRIVILEGED;
        self
    }

    /// How many fixture guilds the bot is in.
    pub fn guilds(mut self, guilds: usize) -> Self {
        self.config.guilds = guilds;
        self
    }

    /// Members generated per fixture guild.
    pub fn members_per_guild(mut self, members: usize) -> Self {
        self.config.members_per_guild = members;
        self
    }

    /// The seed of the fixture generator (same seed, same world).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Serves the HTTP control API under `/__testkit/` on the REST port
    /// (off by default; `serve` turns it on): the same controls as this
    /// handle's methods, for tests written in any language. See
    /// `docs/testing.md`. Its requests are neither logged nor counted, and
    /// Discord never uses the prefix.
    pub fn control_api(mut self, enabled: bool) -> Self {
        self.config.control_api = enabled;
        self
    }

    /// Binds both listeners and starts serving.
    ///
    /// # Errors
    ///
    /// Fails when a listener cannot be bound.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves nothing running.
    pub async fn start(self) -> std::io::Result<FakeDiscord> {
        FakeDiscord::start(self.config).await
    }
}
