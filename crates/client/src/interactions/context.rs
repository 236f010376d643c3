//! [`InteractionContext`]: one interaction, its options, and the ways to
//! answer it within Discord's deadlines.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Notify};

use super::options::{descend, Options};
use super::{InteractionError, RESPONSE_WINDOW};
use crate::cache::InMemoryCache;
use crate::command::{EditMessage, InteractionMessage, InteractionResponse, Modal};
use crate::http::Http;
use crate::model::{
    ChannelId, CommandData, CommandOptionChoice, Component, GuildId, Interaction, InteractionData,
    InteractionType, Member, Message, MessageFlags, MessageId, Permissions, User,
};
use crate::Context;

const UNANSWERED: u8 = 0;
const ANSWERING: u8 = 1;
const ANSWERED: u8 = 2;
const DEFERRING: u8 = 3;
const DEFERRED: u8 = 4;

/// Whether and how the interaction was answered, shared by every clone of
/// its context (and the auto-defer timer).
#[derive(Debug, Default)]
pub(crate) struct ResponseState {
    state: AtomicU8,
    /// Wakes whoever waits for a defer in flight.
    settled: Notify,
    /// Where the initial response goes: `None` through REST (gateway
    /// interactions), else into the HTTP reply of the interactions
    /// endpoint.
    reply: std::sync::Mutex<Option<oneshot::Sender<InteractionResponse>>>,
    http_reply: bool,
}

impl ResponseState {
    /// A state whose initial response goes into an HTTP reply.
    pub(crate) fn for_http_reply() -> (Self, oneshot::Receiver<InteractionResponse>) {
        let (tx, rx) = oneshot::channel();
        let state = Self {
            reply: std::sync::Mutex::new(Some(tx)),
            http_reply: true,
            ..Self::default()
        };
        (state, rx)
    }
}

/// One interaction: what was invoked, with which options, by whom, and
/// the ways to answer it.
///
/// Discord needs an initial response within 3 seconds
/// ([`time_left`](Self::time_left)); a handler that needs longer
/// [`defer`](Self::defer)s first and edits the response later (or lets the
/// router's auto-defer do so). After a defer, [`respond`](Self::respond)
/// edits the deferred response, so a handler need not know whether it was
/// deferred. Cheap to clone.
pub struct InteractionContext<S = ()> {
    pub(crate) interaction: Arc<Interaction>,
    pub(crate) http: Http,
    pub(crate) data: Arc<S>,
    pub(crate) client: Option<Context<S>>,
    pub(crate) received: Instant,
    pub(crate) state: Arc<ResponseState>,
    pub(crate) cache: Option<Arc<InMemoryCache>>,
}

impl<S> Clone for InteractionContext<S> {
    fn clone(&self) -> Self {
        Self {
            interaction: self.interaction.clone(),
            http: self.http.clone(),
            data: self.data.clone(),
            client: self.client.clone(),
            received: self.received,
            state: self.state.clone(),
            cache: self.cache.clone(),
        }
    }
}

impl<S> fmt::Debug for InteractionContext<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractionContext")
            .field("interaction", &self.interaction.id)
            .field("kind", &self.interaction.kind)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> InteractionContext<S> {
    /// A context for `interaction`, received at `received`, answered
    /// through `http` (no gateway client: the HTTP endpoint, or tests).
    pub fn new(interaction: Interaction, http: Http, data: Arc<S>, received: Instant) -> Self {
        Self {
            interaction: Arc::new(interaction),
            http,
            data,
            client: None,
            received,
            state: Arc::default(),
            cache: None,
        }
    }

    /// A context whose initial response is handed to the returned
    /// receiver (the interactions endpoint writes it into the HTTP reply)
    /// instead of being sent through REST.
    #[allow(dead_code)] // used by the interactions endpoint
    pub(crate) fn for_http_reply(
        interaction: Interaction,
        http: Http,
        data: Arc<S>,
        received: Instant,
    ) -> (Self, oneshot::Receiver<InteractionResponse>) {
        let (state, rx) = ResponseState::for_http_reply();
        let ctx = Self {
            state: Arc::new(state),
            ..Self::new(interaction, http, data, received)
        };
        (ctx, rx)
    }

    /// The interactions endpoint answered in the HTTP reply on the
    /// handler's behalf (a defer when `deferred`, else a final answer such
    /// as empty autocomplete choices) because the handler had not answered
    /// in time. From now on [`respond`](Self::respond) edits the deferred
    /// response. False when the handler's own answer is already on its way
    /// (the endpoint then waits for it).
    #[cfg(feature = "http-interactions")]
    pub(crate) fn mark_answered_by_server(&self, deferred: bool) -> bool {
        let next = if deferred { DEFERRED } else { ANSWERED };
        let won = self
            .state
            .state
            .compare_exchange(UNANSWERED, next, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            // nothing goes into the HTTP reply any more
            drop(
                self.state
                    .reply
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take(),
            );
            self.state.settled.notify_waiters();
        }
        won
    }

    pub(crate) fn from_client(
        ctx: Context<S>,
        interaction: Interaction,
        received: Instant,
    ) -> Self {
        Self {
            interaction: Arc::new(interaction),
            http: ctx.http().clone(),
            data: ctx.data_arc(),
            cache: Some(ctx.shared.cache.clone()),
            client: Some(ctx),
            received,
            state: Arc::default(),
        }
    }

    // ----- what it is -----------------------------------------------------

    /// The interaction as Discord sent it.
    pub fn interaction(&self) -> &Interaction {
        &self.interaction
    }

    /// The shared state of the client or server.
    pub fn data(&self) -> &S {
        &self.data
    }

    /// Typed REST.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The client's context (shard, cache, collectors), when the
    /// interaction came over the gateway.
    pub fn client(&self) -> Option<&Context<S>> {
        self.client.as_ref()
    }

    /// The client's cache, when the interaction came over the gateway.
    pub fn cache(&self) -> Option<&InMemoryCache> {
        self.cache.as_deref()
    }

    /// The interaction's kind.
    pub fn kind(&self) -> InteractionType {
        self.interaction.kind
    }

    /// The command data of a command or autocomplete interaction.
    pub fn command(&self) -> Option<&CommandData> {
        match &self.interaction.data {
            Some(InteractionData::ApplicationCommand(c)) => Some(c),
            _ => None,
        }
    }

    /// The command's name (`None` for components and modals).
    pub fn command_name(&self) -> Option<&str> {
        self.command().map(|c| c.name.as_str())
    }

    /// The command and its subcommand path: `"config set"` for
    /// `/config set …`, `"ping"` for `/ping`.
    pub fn command_path(&self) -> Option<String> {
        let command = self.command()?;
        let (path, _) = descend(&command.options);
        let mut full = command.name.clone();
        for part in path {
            full.push(' ');
            full.push_str(part);
        }
        Some(full)
    }

    /// The options below the subcommand path, typed.
    pub fn options(&self) -> Options<'_> {
        match self.command() {
            Some(c) => Options::new(descend(&c.options).1, c.resolved.as_ref()),
            None => Options::new(&[], None),
        }
    }

    /// A component's or modal's `custom_id`.
    pub fn custom_id(&self) -> Option<&str> {
        match &self.interaction.data {
            Some(InteractionData::MessageComponent(c)) => Some(&c.custom_id),
            Some(InteractionData::ModalSubmit(m)) => Some(&m.custom_id),
            _ => None,
        }
    }

    /// The values chosen in a select menu.
    pub fn values(&self) -> &[String] {
        match &self.interaction.data {
            Some(InteractionData::MessageComponent(c)) => &c.values,
            _ => &[],
        }
    }

    /// The value a modal's text input (by its `custom_id`) was submitted
    /// with, wherever it sits (action row or label).
    pub fn field(&self, custom_id: &str) -> Option<&str> {
        fn find<'a>(components: &'a [Component], id: &str) -> Option<&'a str> {
            components.iter().find_map(|c| match c {
                Component::TextInput(t) if t.custom_id == id => t.value.as_deref(),
                Component::ActionRow(row) => find(&row.components, id),
                Component::Label(label) => find(std::slice::from_ref(&*label.component), id),
                _ => None,
            })
        }
        match &self.interaction.data {
            Some(InteractionData::ModalSubmit(m)) => find(&m.components, custom_id),
            _ => None,
        }
    }

    /// The message a component sits on.
    pub fn message(&self) -> Option<&Message> {
        self.interaction.message.as_deref()
    }

    /// Who invoked it.
    pub fn user(&self) -> Option<&User> {
        self.interaction.author()
    }

    /// The invoking member (in a guild); its `permissions` are their
    /// permissions in the channel.
    pub fn member(&self) -> Option<&Member> {
        self.interaction.member.as_deref()
    }

    /// The guild it was invoked in.
    pub fn guild_id(&self) -> Option<GuildId> {
        self.interaction.guild_id
    }

    /// The channel it was invoked in.
    pub fn channel_id(&self) -> Option<ChannelId> {
        self.interaction
            .channel_id
            .or_else(|| self.interaction.channel.as_ref().map(|c| c.id))
    }

    /// The bot's permissions where it was invoked.
    pub fn app_permissions(&self) -> Permissions {
        self.interaction.app_permissions
    }

    /// A name for logs: the command path, or the custom id.
    pub fn name(&self) -> String {
        self.command_path()
            .or_else(|| self.custom_id().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", self.interaction.kind))
    }

    // ----- deadlines --------------------------------------------------------

    /// When the interaction was received.
    pub fn received_at(&self) -> Instant {
        self.received
    }

    /// How long ago it was received.
    pub fn elapsed(&self) -> Duration {
        self.received.elapsed()
    }

    /// What is left of the 3-second window for the initial response.
    pub fn time_left(&self) -> Duration {
        RESPONSE_WINDOW.saturating_sub(self.elapsed())
    }

    /// Whether an initial response (or a defer) was sent or is on its way.
    pub fn is_answered(&self) -> bool {
        self.state.state.load(Ordering::Acquire) != UNANSWERED
    }

    /// Whether the interaction was deferred.
    pub fn is_deferred(&self) -> bool {
        matches!(
            self.state.state.load(Ordering::Acquire),
            DEFERRING | DEFERRED
        )
    }

    // ----- answering --------------------------------------------------------

    fn already(&self) -> InteractionError {
        InteractionError::AlreadyAnswered {
            interaction: self.interaction.id,
            name: self.name(),
            elapsed: self.elapsed(),
        }
    }

    /// Sends the initial response, once, within the window.
    async fn initial(&self, response: &InteractionResponse) -> Result<(), InteractionError> {
        if self
            .state
            .state
            .compare_exchange(UNANSWERED, ANSWERING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(self.already());
        }
        let elapsed = self.elapsed();
        if elapsed >= RESPONSE_WINDOW {
            // Discord no longer takes it (10062): say so without sending
            self.state.state.store(ANSWERED, Ordering::Release);
            return Err(InteractionError::TooLate {
                interaction: self.interaction.id,
                name: self.name(),
                elapsed,
            });
        }
        let sent = self.send_initial(response).await;
        match sent {
            Ok(()) => {
                self.state.state.store(ANSWERED, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                // not answered: a retry may still make it
                self.state.state.store(UNANSWERED, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Sends an initial response (or defer): through REST, or into the
    /// HTTP reply of the interactions endpoint.
    async fn send_initial(&self, response: &InteractionResponse) -> Result<(), InteractionError> {
        if !self.state.http_reply {
            return Ok(self
                .http
                .create_interaction_response(self.interaction.id, &self.interaction.token, response)
                .await?);
        }
        let sender = self
            .state
            .reply
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match sender.map(|tx| tx.send(response.clone())) {
            Some(Ok(())) => Ok(()),
            _ => Err(InteractionError::ReplyClosed {
                interaction: self.interaction.id,
                name: self.name(),
            }),
        }
    }

    /// Waits for a defer in flight; true when the interaction is
    /// deferred (so the answer is an edit of the deferred response).
    async fn deferred(&self) -> bool {
        loop {
            let notified = self.state.settled.notified();
            match self.state.state.load(Ordering::Acquire) {
                DEFERRING => notified.await,
                DEFERRED => return true,
                _ => return false,
            }
        }
    }

    /// Sends a defer (type 5, or 6 for components) unless answered.
    pub(crate) async fn defer_with(
        &self,
        response: &InteractionResponse,
    ) -> Result<(), InteractionError> {
        if self
            .state
            .state
            .compare_exchange(UNANSWERED, DEFERRING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(self.already());
        }
        let elapsed = self.elapsed();
        let result = if elapsed >= RESPONSE_WINDOW {
            Err(InteractionError::TooLate {
                interaction: self.interaction.id,
                name: self.name(),
                elapsed,
            })
        } else {
            self.send_initial(response).await
        };
        let next = match &result {
            Ok(()) => DEFERRED,
            Err(InteractionError::TooLate { .. }) => ANSWERED,
            Err(_) => UNANSWERED,
        };
        self.state.state.store(next, Ordering::Release);
        self.state.settled.notify_waiters();
        result
    }

    /// Answers with a message: the initial response, or — after a defer —
    /// an edit of the deferred response (whose ephemerality was chosen
    /// when deferring).
    ///
    /// # Errors
    /// [`InteractionError::AlreadyAnswered`] the second time,
    /// [`InteractionError::TooLate`] after the 3-second window (defer
    /// sooner), [`InteractionError::Client`] when Discord refuses.
    pub async fn respond(&self, message: InteractionMessage) -> Result<(), InteractionError> {
        if self.deferred().await {
            self.edit_response(&edit_of(message)).await?;
            return Ok(());
        }
        let response = InteractionResponse::message(message).map_err(crate::ClientError::from)?;
        self.initial(&response).await
    }

    /// Answers with text.
    ///
    /// # Errors
    /// As [`respond`](Self::respond).
    pub async fn reply(&self, content: impl Into<String>) -> Result<(), InteractionError> {
        self.respond(text(content, false)).await
    }

    /// Answers with text only the invoking user sees.
    ///
    /// # Errors
    /// As [`respond`](Self::respond).
    pub async fn reply_ephemeral(
        &self,
        content: impl Into<String>,
    ) -> Result<(), InteractionError> {
        self.respond(text(content, true)).await
    }

    /// Acknowledges now, answers later (the user sees "thinking…"): type 5
    /// for commands and modals, type 6 (no visible change) for components.
    /// Then [`respond`](Self::respond) or
    /// [`edit_response`](Self::edit_response) within 15 minutes.
    ///
    /// # Errors
    /// As [`respond`](Self::respond).
    pub async fn defer(&self, ephemeral: bool) -> Result<(), InteractionError> {
        let response = if self.interaction.kind == InteractionType::MessageComponent {
            InteractionResponse::deferred_update()
        } else {
            InteractionResponse::deferred_message(ephemeral)
        };
        self.defer_with(&response).await
    }

    /// Edits the response (after [`respond`](Self::respond) or a defer):
    /// `PATCH …/messages/@original`.
    ///
    /// # Errors
    /// [`InteractionError::Client`] when Discord refuses (nothing to edit
    /// yet, token expired after 15 minutes).
    pub async fn edit_response(&self, edit: &EditMessage) -> Result<Message, InteractionError> {
        Ok(self
            .http
            .edit_original_response(
                self.interaction.application_id,
                &self.interaction.token,
                edit,
            )
            .await?)
    }

    /// Deletes the response.
    ///
    /// # Errors
    /// As [`edit_response`](Self::edit_response).
    pub async fn delete_response(&self) -> Result<(), InteractionError> {
        Ok(self
            .http
            .delete_original_response(self.interaction.application_id, &self.interaction.token)
            .await?)
    }

    /// Sends a follow-up message (after the initial response).
    ///
    /// # Errors
    /// As [`edit_response`](Self::edit_response).
    pub async fn followup(
        &self,
        message: &InteractionMessage,
    ) -> Result<Message, InteractionError> {
        Ok(self
            .http
            .create_followup(
                self.interaction.application_id,
                &self.interaction.token,
                message,
            )
            .await?)
    }

    /// Edits a follow-up message.
    ///
    /// # Errors
    /// As [`edit_response`](Self::edit_response).
    pub async fn edit_followup(
        &self,
        message_id: MessageId,
        edit: &EditMessage,
    ) -> Result<Message, InteractionError> {
        Ok(self
            .http
            .edit_followup(
                self.interaction.application_id,
                &self.interaction.token,
                message_id,
                edit,
            )
            .await?)
    }

    /// Deletes a follow-up message.
    ///
    /// # Errors
    /// As [`edit_response`](Self::edit_response).
    pub async fn delete_followup(&self, message_id: MessageId) -> Result<(), InteractionError> {
        Ok(self
            .http
            .delete_followup(
                self.interaction.application_id,
                &self.interaction.token,
                message_id,
            )
            .await?)
    }

    /// Replaces the message a component sits on (type 7; after a defer,
    /// an edit of that message).
    ///
    /// # Errors
    /// [`InteractionError::WrongKind`] for anything but a component
    /// interaction; otherwise as [`respond`](Self::respond).
    pub async fn update_message(
        &self,
        message: InteractionMessage,
    ) -> Result<(), InteractionError> {
        if self.interaction.kind != InteractionType::MessageComponent {
            return Err(InteractionError::WrongKind {
                name: self.name(),
                wanted: "a component interaction (update_message)",
            });
        }
        if self.deferred().await {
            self.edit_response(&edit_of(message)).await?;
            return Ok(());
        }
        self.initial(&InteractionResponse::update_message(message))
            .await
    }

    /// Opens a modal (not possible after a defer, nor for a modal submit).
    ///
    /// # Errors
    /// [`InteractionError::WrongKind`] for a modal submit or an
    /// autocomplete request; otherwise as [`respond`](Self::respond).
    pub async fn open_modal(&self, modal: Modal) -> Result<(), InteractionError> {
        if matches!(
            self.interaction.kind,
            InteractionType::ModalSubmit | InteractionType::ApplicationCommandAutocomplete
        ) {
            return Err(InteractionError::WrongKind {
                name: self.name(),
                wanted: "a command or component interaction (open_modal)",
            });
        }
        self.initial(&InteractionResponse::modal(modal)).await
    }

    /// Answers an autocomplete request with up to 25 choices.
    ///
    /// # Errors
    /// [`InteractionError::WrongKind`] for anything but an autocomplete
    /// request; a validation error for more than 25 choices or long
    /// names; otherwise as [`respond`](Self::respond).
    pub async fn autocomplete(
        &self,
        choices: Vec<CommandOptionChoice>,
    ) -> Result<(), InteractionError> {
        if self.interaction.kind != InteractionType::ApplicationCommandAutocomplete {
            return Err(InteractionError::WrongKind {
                name: self.name(),
                wanted: "an autocomplete interaction (autocomplete)",
            });
        }
        let response =
            InteractionResponse::autocomplete(choices).map_err(crate::ClientError::from)?;
        self.initial(&response).await
    }
}

fn text(content: impl Into<String>, ephemeral: bool) -> InteractionMessage {
    InteractionMessage {
        content: Some(content.into()),
        flags: ephemeral.then_some(MessageFlags::EPHEMERAL),
        ..InteractionMessage::default()
    }
}

/// The edit that turns a deferred response into `message`.
fn edit_of(message: InteractionMessage) -> EditMessage {
    fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
        (!v.is_empty()).then_some(v)
    }
    EditMessage {
        content: message.content.map(Some),
        embeds: non_empty(message.embeds),
        components: non_empty(message.components),
        allowed_mentions: message.allowed_mentions,
        attachments: non_empty(message.attachments),
        ..EditMessage::default()
    }
}
