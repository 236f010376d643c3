//! [`Context`]: what every handler gets.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use acord_core_gateway::{Command, ShardInfo, ShardManager, ShardMessenger};
use acord_core_signals::GatewayOpcode;

use super::delivery::EventMeta;
use super::dispatch::{self, Wants};
use super::ShutdownHandle;
use crate::cache::{Cache, InMemoryCache, Previous};
use crate::command::{RequestGuildMembers, UpdatePresence, UpdateVoiceState};
use crate::error::ClientError;
use crate::event::{EventKind, EventTypeFlags};
use crate::http::Http;

/// What the client shares with every context.
pub(crate) struct Shared {
    pub(crate) http: Http,
    pub(crate) manager: ShardManager,
    pub(crate) shutdown: ShutdownHandle,
    pub(crate) wants: Wants,
    pub(crate) hook: super::dispatch::ErrorHook,
    pub(crate) tasks: super::dispatch::InFlight,
    /// The in-memory cache ([`Context::cache`]).
    pub(crate) cache: Arc<InMemoryCache>,
    /// Where events are applied: the in-memory cache, or the user's store.
    pub(crate) store: Arc<dyn Cache>,
    /// The events the store reads.
    pub(crate) cache_events: EventTypeFlags,
}

/// Marks a context made for no particular handler (listeners, the client).
pub(crate) const NO_HANDLER: u32 = u32::MAX;

/// The part of a [`Context`] that does not depend on the state type: what
/// the (non-generic) event loop hands a handler, which adds its state.
#[derive(Clone)]
pub(crate) struct BaseContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) shard_id: u32,
    pub(crate) handler: u32,
    pub(crate) previous: Option<Arc<Previous>>,
    /// Where a broker delivery came from.
    pub(crate) meta: Option<Arc<EventMeta>>,
}

impl<S> Context<S> {
    pub(crate) fn from_base(base: BaseContext, data: Arc<S>) -> Self {
        Self {
            shared: base.shared,
            data,
            shard_id: base.shard_id,
            handler: base.handler,
            previous: base.previous,
            meta: base.meta,
        }
    }
}

/// Handed to every handler and listener: typed REST ([`http`](Self::http)),
/// the shard the event came from ([`shard`](Self::shard)), the shared
/// state ([`data`](Self::data)), collectors ([`wait_for`](Self::wait_for))
/// and [`shutdown`](Self::shutdown).
///
/// Cheap to clone (two `Arc`s): clone it into tasks you spawn.
pub struct Context<S = ()> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) data: Arc<S>,
    pub(crate) shard_id: u32,
    pub(crate) handler: u32,
    pub(crate) previous: Option<Arc<Previous>>,
    pub(crate) meta: Option<Arc<EventMeta>>,
}

impl<S> Clone for Context<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            data: self.data.clone(),
            shard_id: self.shard_id,
            handler: self.handler,
            previous: self.previous.clone(),
            meta: self.meta.clone(),
        }
    }
}

impl<S> fmt::Debug for Context<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("shard_id", &self.shard_id)
            .finish_non_exhaustive()
    }
}

impl<S> AsRef<Http> for Context<S> {
    fn as_ref(&self) -> &Http {
        &self.shared.http
    }
}

impl<S: Send + Sync + 'static> Context<S> {
    /// Typed REST endpoints, and raw [`Route`](acord_core_http::Route)
    /// requests through the same rate limiter ([`Http::request`]).
    pub fn http(&self) -> &Http {
        &self.shared.http
    }

    /// The shared state given to
    /// [`ClientBuilder::data`](crate::ClientBuilder::data); its type is
    /// the client's `S`, checked at compile time.
    pub fn data(&self) -> &S {
        &self.data
    }

    /// The shared state as an `Arc`, to move into a task.
    pub fn data_arc(&self) -> Arc<S> {
        self.data.clone()
    }

    /// The cache: guilds, channels, roles, members, users, presences,
    /// voice states and recent messages, updated before this handler was
    /// called (see [`ClientBuilder::cache`](crate::ClientBuilder::cache)).
    /// Reads hand out `Arc`s or copies, never a lock, so holding what
    /// they return across an `.await` blocks nothing.
    pub fn cache(&self) -> &InMemoryCache {
        &self.shared.cache
    }

    /// What the event replaced or removed in the cache, where it was
    /// cached: the message before a MESSAGE_UPDATE, the deleted message of
    /// a MESSAGE_DELETE, the member before a GUILD_MEMBER_UPDATE, …
    /// [`Previous::None`] for other events, and when nothing was cached.
    pub fn previous(&self) -> &Previous {
        static NONE: Previous = Previous::None;
        self.previous.as_deref().unwrap_or(&NONE)
    }

    /// The id of the shard the event came from.
    pub fn shard_id(&self) -> u32 {
        self.shard_id
    }

    /// Where the event came from when it was delivered by an event broker
    /// ([`Client::run_deliveries`](crate::Client::run_deliveries), e.g.
    /// acord-redis): shard, sequence number and session. Broker delivery
    /// is at-least-once, so the same `(shard, seq, session)` may be
    /// handled twice (once by a worker that died mid-event, once by the
    /// worker that re-claimed it); compare them to skip repeats. `None`
    /// for events from the client's own shards.
    ///
    /// ```no_run
    /// # use acord::Context;
    /// # fn f(ctx: Context, seen: &std::sync::Mutex<std::collections::HashSet<acord::EventMeta>>) {
    /// if let Some(meta) = ctx.event_meta() {
    ///     if !seen.lock().unwrap().insert(meta.clone()) {
    ///         return; // handled before
    ///     }
    /// }
    /// # }
    /// ```
    pub fn event_meta(&self) -> Option<&EventMeta> {
        self.meta.as_deref()
    }

    /// The shard the event came from: presence updates, member requests,
    /// voice state, latency.
    pub fn shard(&self) -> ShardHandle {
        ShardHandle {
            id: self.shard_id,
            messenger: self.shared.manager.messenger(self.shard_id),
        }
    }

    /// The shard that receives `guild_id`'s events, if this process runs
    /// it.
    pub fn shard_for_guild(&self, guild_id: crate::model::GuildId) -> Option<ShardHandle> {
        let messenger = self.shared.manager.messenger_for_guild(guild_id.get())?;
        Some(ShardHandle {
            id: messenger.shard_id(),
            messenger: Some(messenger),
        })
    }

    /// Stops the client: every shard closes with code 1000 and
    /// [`Client::start`](crate::Client::start) returns `Ok(())`.
    pub fn shutdown(&self) {
        self.shared.shutdown.shutdown();
    }

    /// A handle that stops the client from anywhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shared.shutdown.clone()
    }

    /// Waits for the next event of kind `E` for which `filter` holds.
    ///
    /// The collector is registered when this method returns, before the
    /// future is first polled: nothing that arrives after the call is
    /// missed. Only the events a collector waits for are deserialised for
    /// it.
    ///
    /// ```no_run
    /// # use acord::Context;
    /// use std::time::Duration;
    /// use acord::event::kind::MessageCreate;
    ///
    /// # async fn f(ctx: Context, channel: acord::model::ChannelId) -> Result<(), acord::ClientError> {
    /// let answer = ctx
    ///     .wait_for::<MessageCreate>(move |m| m.channel_id == channel, Duration::from_secs(30))
    ///     .await?;
    /// println!("answered: {}", answer.content);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Timeout`] when nothing matched within `timeout`;
    /// [`ClientError::Closed`] when the client shut down first.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future removes the collector.
    pub fn wait_for<E: EventKind>(
        &self,
        filter: impl Fn(&E::Payload) -> bool + Send + Sync + 'static,
        timeout: Duration,
    ) -> impl Future<Output = Result<E::Payload, ClientError>> + Send + 'static {
        dispatch::wait_for::<E>(&self.shared, filter, timeout)
    }

    /// Called by [`EventHandler`](crate::EventHandler) methods that keep
    /// their default body: this handler does not want `flag`'s events, so
    /// the client stops deserialising them for it.
    #[doc(hidden)]
    pub fn skip_for_handler(&self, flag: EventTypeFlags) {
        self.shared.wants.skip_for_handler(self.handler, flag);
    }

    /// As [`skip_for_handler`](Self::skip_for_handler), for `raw_event`.
    #[doc(hidden)]
    pub fn skip_raw_for_handler(&self) {
        self.shared.wants.skip_raw_for_handler(self.handler);
    }
}

/// The shard an event came from, for gateway commands (typed, validated by
/// [`crate::command`]) and health.
#[derive(Clone, Debug)]
pub struct ShardHandle {
    id: u32,
    messenger: Option<ShardMessenger>,
}

impl ShardHandle {
    /// The shard id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Status, latency and counters, while the shard runs.
    pub fn info(&self) -> Option<ShardInfo> {
        self.messenger.as_ref().map(ShardMessenger::info)
    }

    /// The latest heartbeat round trip, once measured.
    pub fn latency(&self) -> Option<Duration> {
        self.info().and_then(|i| i.latency)
    }

    fn messenger(&self) -> Result<&ShardMessenger, ClientError> {
        self.messenger.as_ref().ok_or(ClientError::Gateway(
            acord_core_gateway::GatewayError::Closed,
        ))
    }

    /// Sends any gateway command (raw, size-checked by
    /// [`Command::new`]); it goes out once the session is live and the
    /// shard's send limiter has room.
    ///
    /// # Errors
    /// [`ClientError::Gateway`] when the shard has stopped.
    ///
    /// # Cancel safety
    /// Cancel safe: if dropped before completing, nothing was queued.
    pub async fn send(&self, command: Command) -> Result<(), ClientError> {
        Ok(self.messenger()?.send(command).await?)
    }

    /// UPDATE_PRESENCE (op 3). Discord allows 5 per 20 s.
    ///
    /// # Errors
    /// As [`send`](Self::send), or a payload above 4096 bytes.
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn update_presence(&self, presence: &UpdatePresence) -> Result<(), ClientError> {
        self.send(Command::new(GatewayOpcode::PresenceUpdate, presence)?)
            .await
    }

    /// REQUEST_GUILD_MEMBERS (op 8); the members arrive as
    /// `GUILD_MEMBERS_CHUNK` events (collect them with
    /// [`Context::wait_for`]). A refusal arrives as `RATE_LIMITED`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn request_guild_members(
        &self,
        request: &RequestGuildMembers,
    ) -> Result<(), ClientError> {
        self.send(Command::new(GatewayOpcode::RequestGuildMembers, request)?)
            .await
    }

    /// UPDATE_VOICE_STATE (op 4): join, move or leave a voice channel.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn update_voice_state(&self, state: &UpdateVoiceState) -> Result<(), ClientError> {
        self.send(Command::new(GatewayOpcode::VoiceStateUpdate, state)?)
            .await
    }

    /// Reconnects the shard, resuming (or, with `resume: false`,
    /// identifying afresh).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn restart(&self, resume: bool) -> Result<(), ClientError> {
        Ok(self.messenger()?.restart(resume).await?)
    }
}
