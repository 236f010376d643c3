//! [`InteractionRouter`]: handlers by command path, component and modal
//! id prefix, and autocomplete option; checks, an error hook, auto-defer.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;

use super::{InteractionContext, RESPONSE_WINDOW};
use crate::command::InteractionResponse;
use crate::model::InteractionType;

/// What a handler may fail with: any error (`?` on anything that is an
/// `Error + Send + Sync`).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler<S> =
    Arc<dyn Fn(InteractionContext<S>) -> BoxFuture<Result<(), HandlerError>> + Send + Sync>;
type Check<S> = Arc<dyn Fn(InteractionContext<S>) -> BoxFuture<Result<(), String>> + Send + Sync>;
type ErrorHook<S> = Arc<dyn Fn(InteractionContext<S>, HandlerError) -> BoxFuture<()> + Send + Sync>;

fn boxed<S, F, Fut, E>(f: F) -> Handler<S>
where
    S: Send + Sync + 'static,
    F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<HandlerError> + 'static,
{
    Arc::new(move |ctx| {
        let fut = f(ctx);
        Box::pin(async move { fut.await.map_err(Into::into) })
    })
}

/// Routes interactions to handlers.
///
/// - commands by name and subcommand path (`"config set"`; a handler for
///   `"config"` also takes its subcommands that have none of their own),
///   including user and message context-menu commands (by name);
/// - components and modals by the longest registered prefix of their
///   `custom_id`, so the id can carry state (`"count:41"`) and buttons keep
///   working after a restart;
/// - autocomplete requests by command path and the focused option.
///
/// Checks run before every handler (a failed check answers the user
/// ephemerally with its message); a handler's error goes to the error hook
/// (by default: logged, and an ephemeral "something went wrong" answer);
/// with [`auto_defer`](Self::auto_defer) a handler that has not answered
/// by a share of the 3-second window is deferred for it. A handler that
/// returns without answering is logged as a warning.
pub struct InteractionRouter<S = ()> {
    commands: HashMap<String, Handler<S>>,
    components: Vec<(String, Handler<S>)>,
    modals: Vec<(String, Handler<S>)>,
    autocomplete: HashMap<(String, String), Handler<S>>,
    checks: Vec<Check<S>>,
    on_error: Option<ErrorHook<S>>,
    auto_defer: Option<(f64, bool)>,
}

impl<S> fmt::Debug for InteractionRouter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut commands: Vec<&String> = self.commands.keys().collect();
        commands.sort();
        f.debug_struct("InteractionRouter")
            .field("commands", &commands)
            .field(
                "components",
                &self.components.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .field(
                "modals",
                &self.modals.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .field("checks", &self.checks.len())
            .field("auto_defer", &self.auto_defer)
            .finish()
    }
}

impl<S: Send + Sync + 'static> Default for InteractionRouter<S> {
    fn default() -> Self {
        Self {
            commands: HashMap::new(),
            components: Vec::new(),
            modals: Vec::new(),
            autocomplete: HashMap::new(),
            checks: Vec::new(),
            on_error: None,
            auto_defer: None,
        }
    }
}

impl<S: Send + Sync + 'static> InteractionRouter<S> {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles the command `path`: its name, then its subcommand group and
    /// subcommand, separated by spaces (`"ping"`, `"config set"`,
    /// `"admin roles add"`). Also user and message commands, by name.
    pub fn command<F, Fut, E>(mut self, path: impl Into<String>, handler: F) -> Self
    where
        F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        self.commands
            .insert(normalize(&path.into()), boxed(handler));
        self
    }

    /// Handles components whose `custom_id` starts with `prefix` (the
    /// longest registered prefix wins).
    pub fn component<F, Fut, E>(mut self, prefix: impl Into<String>, handler: F) -> Self
    where
        F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        self.components.push((prefix.into(), boxed(handler)));
        self
    }

    /// Handles modal submits whose `custom_id` starts with `prefix`.
    pub fn modal<F, Fut, E>(mut self, prefix: impl Into<String>, handler: F) -> Self
    where
        F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        self.modals.push((prefix.into(), boxed(handler)));
        self
    }

    /// Handles autocomplete requests for `option` of the command `path`;
    /// answer with [`InteractionContext::autocomplete`].
    pub fn autocomplete<F, Fut, E>(
        mut self,
        path: impl Into<String>,
        option: impl Into<String>,
        handler: F,
    ) -> Self
    where
        F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        self.autocomplete
            .insert((normalize(&path.into()), option.into()), boxed(handler));
        self
    }

    /// Runs `check` before every handler (not before autocomplete, which
    /// cannot show an error). `Err(message)` stops the interaction there
    /// and shows the message to the user, ephemerally. See [`checks`].
    pub fn check<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(InteractionContext<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.checks
            .push(Arc::new(move |ctx| Box::pin(check(ctx)) as BoxFuture<_>));
        self
    }

    /// Replaces what happens when a handler fails (default: a
    /// `tracing::error!` and an ephemeral "Something went wrong" answer).
    pub fn on_error<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(InteractionContext<S>, HandlerError) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_error = Some(Arc::new(move |ctx, e| Box::pin(hook(ctx, e))));
        self
    }

    /// Defers for a handler that has not answered by `share` of the
    /// 3-second window (e.g. `0.6`: after 1.8 s). Commands and modals get a
    /// "thinking…" response (ephemeral when `ephemeral`), components a
    /// silent deferred update; the handler's later
    /// [`respond`](InteractionContext::respond) edits it. The share is
    /// clamped to 0.1..=0.9.
    pub fn auto_defer(mut self, share: f64, ephemeral: bool) -> Self {
        let share = if share.is_finite() {
            share.clamp(0.1, 0.9)
        } else {
            0.6
        };
        self.auto_defer = Some((share, ephemeral));
        self
    }

    /// The handler for an interaction, and how to name it in logs.
    fn route(&self, ctx: &InteractionContext<S>) -> Option<Handler<S>> {
        match ctx.kind() {
            InteractionType::ApplicationCommand => {
                let path = ctx.command_path()?;
                let mut key = path.as_str();
                loop {
                    if let Some(h) = self.commands.get(key) {
                        return Some(h.clone());
                    }
                    key = &key[..key.rfind(' ')?];
                }
            }
            InteractionType::ApplicationCommandAutocomplete => {
                let path = ctx.command_path()?;
                let focused = ctx.options().focused()?.name.clone();
                self.autocomplete.get(&(path, focused)).cloned()
            }
            InteractionType::MessageComponent => longest(&self.components, ctx.custom_id()?),
            InteractionType::ModalSubmit => longest(&self.modals, ctx.custom_id()?),
            _ => None,
        }
    }

    /// Routes one interaction and runs its handler to the end: checks,
    /// auto-defer, errors and the unanswered warning included. The client
    /// calls this for every INTERACTION_CREATE; call it yourself for
    /// interactions from elsewhere.
    pub async fn handle(&self, ctx: InteractionContext<S>) {
        let name = ctx.name();
        if ctx.kind() == InteractionType::Ping {
            // only the HTTP endpoint sees pings
            if let Err(e) = ctx.defer_with(&InteractionResponse::pong()).await {
                tracing::warn!(error = %e, "could not answer PING");
            }
            return;
        }
        let autocomplete = ctx.kind() == InteractionType::ApplicationCommandAutocomplete;
        let Some(handler) = self.route(&ctx) else {
            tracing::warn!(interaction = %name, "no handler for this interaction");
            if !autocomplete {
                let _ = ctx
                    .reply_ephemeral("This interaction is not handled by the bot.")
                    .await;
            }
            return;
        };
        if !autocomplete {
            for check in &self.checks {
                if let Err(message) = check(ctx.clone()).await {
                    tracing::info!(interaction = %name, reason = %message, "a check refused the interaction");
                    if let Err(e) = ctx.reply_ephemeral(message).await {
                        tracing::warn!(interaction = %name, error = %e, "could not tell the user a check failed");
                    }
                    return;
                }
            }
        }
        let timer = match self.auto_defer {
            Some((share, ephemeral)) if !autocomplete => {
                let ctx = ctx.clone();
                let at = ctx.received_at() + RESPONSE_WINDOW.mul_f64(share);
                Some(tokio::spawn(async move {
                    tokio::time::sleep_until(at.into()).await;
                    if !ctx.is_answered() {
                        match ctx.defer(ephemeral).await {
                            Ok(()) => tracing::debug!(interaction = %ctx.name(), "auto-deferred"),
                            Err(e) => {
                                tracing::debug!(interaction = %ctx.name(), error = %e, "auto-defer not sent")
                            }
                        }
                    }
                }))
            }
            _ => None,
        };
        let result = AssertUnwindSafe(handler(ctx.clone()))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(panicked(&*panic).into()));
        if let Some(timer) = timer {
            timer.abort();
        }
        if let Err(error) = result {
            match &self.on_error {
                Some(hook) => hook(ctx.clone(), error).await,
                None => default_error(&ctx, &error).await,
            }
        }
        if !ctx.is_answered() {
            tracing::warn!(
                interaction = %name,
                "the handler returned without answering; Discord shows \"The application did not respond\""
            );
        }
    }
}

/// Command paths compare with single spaces.
fn normalize(path: &str) -> String {
    path.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn longest<S>(handlers: &[(String, Handler<S>)], id: &str) -> Option<Handler<S>> {
    handlers
        .iter()
        .filter(|(prefix, _)| id.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, h)| h.clone())
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".to_owned());
    format!("the handler panicked: {message}")
}

/// The default error hook: log, and tell the user without details.
async fn default_error<S: Send + Sync + 'static>(
    ctx: &InteractionContext<S>,
    error: &HandlerError,
) {
    tracing::error!(interaction = %ctx.name(), %error, "interaction handler failed");
    if ctx.kind() == InteractionType::ApplicationCommandAutocomplete {
        // an autocomplete request cannot show a message: the log is all
        return;
    }
    const SORRY: &str = "Something went wrong while handling this.";
    let told = if ctx.is_answered() && !ctx.is_deferred() {
        let message = crate::command::InteractionMessage {
            content: Some(SORRY.to_owned()),
            flags: Some(crate::model::MessageFlags::EPHEMERAL),
            ..Default::default()
        };
        ctx.followup(&message).await.map(|_| ())
    } else {
        ctx.reply_ephemeral(SORRY).await
    };
    if let Err(e) = told {
        tracing::warn!(interaction = %ctx.name(), error = %e, "could not tell the user about the error");
    }
}

/// Ready-made checks for [`InteractionRouter::check`].
pub mod checks {
    use std::future::{ready, Ready};

    use super::InteractionContext;
    use crate::model::{Permissions, UserId};

    /// Refuses interactions outside a guild.
    pub fn guild_only<S: Send + Sync + 'static>(
    ) -> impl Fn(InteractionContext<S>) -> Ready<Result<(), String>> + Send + Sync + 'static {
        |ctx| {
            ready(match ctx.guild_id() {
                Some(_) => Ok(()),
                None => Err("This only works in a server.".to_owned()),
            })
        }
    }

    /// Admits only the given users (e.g. the bot's owners).
    pub fn users<S: Send + Sync + 'static>(
        allowed: impl IntoIterator<Item = UserId>,
    ) -> impl Fn(InteractionContext<S>) -> Ready<Result<(), String>> + Send + Sync + 'static {
        let allowed: Vec<UserId> = allowed.into_iter().collect();
        move |ctx| {
            ready(match ctx.user() {
                Some(u) if allowed.contains(&u.id) => Ok(()),
                _ => Err("You may not use this.".to_owned()),
            })
        }
    }

    /// Admits members with all of `needed` in the channel (from the
    /// interaction's member permissions, which include overwrites).
    pub fn permissions<S: Send + Sync + 'static>(
        needed: Permissions,
    ) -> impl Fn(InteractionContext<S>) -> Ready<Result<(), String>> + Send + Sync + 'static {
        move |ctx| {
            let has = ctx
                .member()
                .and_then(|m| m.permissions)
                .unwrap_or_else(Permissions::empty);
            ready(
                if has.contains(Permissions::ADMINISTRATOR) || has.contains(needed) {
                    Ok(())
                } else {
                    Err(format!("You need these permissions: {:?}", needed - has))
                },
            )
        }
    }
}
