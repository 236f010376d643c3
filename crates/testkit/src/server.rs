//! The [`FakeDiscord`] handle: starting, observing and stopping the fake.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::{Config, FakeDiscordBuilder};
use crate::inject::Injection;
use crate::record::{lock, CounterSet, Counters, GatewayPayloadRecord, Log, RecordedRequest};
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
