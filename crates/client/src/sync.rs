//! Command sync: bring Discord's application commands in line with the
//! definitions in your code, and send nothing when they already are.
//!
//! Registering commands at every start with a bulk overwrite works, but it
//! rewrites every command (new versions, clients reload them) and spends
//! the daily command-create budget on any command Discord did not have.
//! [`CommandSync`] does it in two steps:
//!
//! 1. `GET` the commands of the scope (global, or one guild), with their
//!    full localisations, and compare each with the definition of the same
//!    type and name, **semantically** (below);
//! 2. if anything differs, one bulk overwrite (`PUT`) of the whole list;
//!    if nothing does, no request at all.
//!
//! Either way a [`SyncReport`] says which commands were created, updated,
//! deleted and unchanged.
//!
//! # What counts as a difference
//!
//! Everything Discord shows or enforces: type, names, descriptions,
//! localisations, option types, `required`, choices (in order: Discord
//! shows them in order), nested options (in order: Discord shows options in
//! the order given, and required ones must come first), channel types,
//! value and length bounds, `autocomplete`, default member permissions,
//! `nsfw`, the entry point handler, and for global commands the interaction
//! contexts and installation types.
//!
//! What does not:
//!
//! - the order of the commands in the list (Discord keys them by type and
//!   name), of `channel_types`, `contexts` and `integration_types` (sets);
//! - fields Discord adds: `id`, `application_id`, `guild_id`, `version`,
//!   `name_localized`/`description_localized`;
//! - a documented default written out or left out: `type` 1, `required`,
//!   `autocomplete` and `nsfw` false, `default_member_permissions` null,
//!   `dm_permission` and `default_permission` true, empty or null
//!   localisation maps, localisations equal to the default text (Discord
//!   ignores those), `contexts` null = all three contexts, a number bound
//!   or choice written `5` or `5.0`;
//! - `integration_types` left out of a definition matches the app's
//!   installation contexts, which Discord fills in. A command Discord holds
//!   with `[GUILD_INSTALL]` matches without a request; any other set makes
//!   the sync read the app's `integration_types_config` once
//!   (`GET /applications/@me`);
//! - for guild commands, `contexts`, `integration_types` and
//!   `dm_permission` (documented for global commands only) are compared
//!   only when the definition sets them.
//!
//! A definition that leaves out `contexts` also expects Discord's
//! deprecated `dm_permission` to be true; one that sets `contexts` ignores
//! `dm_permission`, which Discord derives from it.
//!
//! # Example
//!
//! ```
//! use acord::command::CommandBuilder;
//! use acord::sync::CommandSync;
//! use acord::model::ApplicationId;
//! use acord::Http;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let fake = acord_testkit::FakeDiscord::builder().start().await?;
//! # let client = acord::core::http::HttpClient::builder(fake.token()).api_base(fake.api_base()).build()?;
//! # let application_id = ApplicationId::new(fake.bot_user_id()).unwrap();
//! let http = Http::new(client);
//! let commands = [
//!     CommandBuilder::chat_input("ping", "Checks the bot is alive").build()?,
//!     CommandBuilder::user("Show profile").build()?,
//! ];
//! let sync = CommandSync::new(&http, application_id);
//! let first = sync.sync_global(&commands).await?;
//! assert_eq!(first.created.len(), 2);
//! let again = sync.sync_global(&commands).await?; // one GET, no PUT
//! assert!(again.is_unchanged());
//! println!("{again}");
//! # fake.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use acord_core_http::route;
use serde::Deserialize;

use crate::command::CommandDefinition;
use crate::http::Http;
use crate::model::{
    ApplicationCommand, ApplicationId, ApplicationIntegrationType, ChoiceValue, CommandNumber,
    CommandOption, CommandOptionChoice, CommandOptionType, CommandType, GuildId,
    InteractionContextType, Localizations,
};
use crate::Result;

/// Synchronises application commands with definitions: one `GET`, and one
/// bulk overwrite only when something differs (see the
/// [module docs](self)).
///
/// Cheap to clone. Made with [`new`](Self::new) when the application ID is
/// at hand, with [`current_application`](Self::current_application)
/// otherwise, or from a client with
/// [`Client::commands`](crate::Client::commands).
#[derive(Clone, Debug)]
pub struct CommandSync {
    http: Http,
    application_id: Option<ApplicationId>,
    /// The app's installation contexts, once read.
    install_default: Arc<OnceLock<Vec<ApplicationIntegrationType>>>,
}

impl CommandSync {
    /// A sync for `application_id`'s commands, through `http` (an
    /// [`Http`], a [`Client`](crate::Client) or a
    /// [`Context`](crate::Context)).
    pub fn new(http: impl AsRef<Http>, application_id: ApplicationId) -> Self {
        Self {
            http: http.as_ref().clone(),
            application_id: Some(application_id),
            install_default: Arc::default(),
        }
    }

    /// A sync for the bot's own application: the ID READY gave `http`, or
    /// else the one `GET /applications/@me` answers, fetched once by the
    /// first sync and remembered by `http`.
    pub fn current_application(http: impl AsRef<Http>) -> Self {
        Self {
            http: http.as_ref().clone(),
            application_id: None,
            install_default: Arc::default(),
        }
    }

    /// Makes Discord's global commands match `definitions`: created,
    /// updated and deleted as needed with one
    /// `PUT /applications/{application.id}/commands`, or nothing sent when
    /// they already match. An empty list deletes every global command.
    ///
    /// # Errors
    ///
    /// [`ClientError::Validation`](crate::ClientError::Validation), before
    /// any request, when a definition breaks Discord's rules
    /// ([`ValidationError::InCommand`](crate::command::ValidationError::InCommand)
    /// names it), a type has too many commands (100 CHAT_INPUT, 15 USER,
    /// 15 MESSAGE, one PRIMARY_ENTRY_POINT) or two commands of one type
    /// share a name; [`ClientError::Http`](crate::ClientError::Http) when
    /// Discord refuses (30034: the daily command-create limit…).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the `PUT` was sent may or may not leave
    /// the commands overwritten; syncing again finishes the job (or sends
    /// nothing).
    pub async fn sync_global(&self, definitions: &[CommandDefinition]) -> Result<SyncReport> {
        self.sync(CommandScope::Global, definitions).await
    }

    /// Makes `guild_id`'s commands match `definitions`, as
    /// [`sync_global`](Self::sync_global) does, with one
    /// `PUT /applications/{application.id}/guilds/{guild.id}/commands` or
    /// nothing. Guild commands update at once, which makes them handy
    /// while developing; PRIMARY_ENTRY_POINT commands are global only.
    ///
    /// # Errors
    ///
    /// As [`sync_global`](Self::sync_global); 50001 Missing Access when
    /// the app is not in the guild with the `applications.commands` scope.
    ///
    /// # Cancel safety
    ///
    /// As [`sync_global`](Self::sync_global).
    pub async fn sync_guild(
        &self,
        guild_id: GuildId,
        definitions: &[CommandDefinition],
    ) -> Result<SyncReport> {
        self.sync(CommandScope::Guild(guild_id), definitions).await
    }

    async fn sync(
        &self,
        scope: CommandScope,
        definitions: &[CommandDefinition],
    ) -> Result<SyncReport> {
        let guild = matches!(scope, CommandScope::Guild(_));
        CommandDefinition::validate_list(definitions, guild)?;
        let application_id = self.application_id().await?;
        let current = match scope {
            CommandScope::Global => self.http.global_commands(application_id).await?,
            CommandScope::Guild(guild_id) => {
                self.http.guild_commands(application_id, guild_id).await?
            }
        };
        let install_default = if needs_install_default(definitions, &current, guild) {
            Some(self.install_default().await?)
        } else {
            self.install_default.get().map(Vec::as_slice)
        };
        let rules = Rules {
            guild,
            install_default: install_default.unwrap_or(&[ApplicationIntegrationType::GuildInstall]),
        };
        let mut report = diff(&current, definitions, &rules);
        report.scope = scope;
        if report.is_unchanged() {
            tracing::debug!(%report, "application commands already match");
            report.commands = current;
            return Ok(report);
        }
        report.commands = match scope {
            CommandScope::Global => {
                self.http
                    .set_global_commands(application_id, definitions)
                    .await?
            }
            CommandScope::Guild(guild_id) => {
                self.http
                    .set_guild_commands(application_id, guild_id, definitions)
                    .await?
            }
        };
        tracing::info!(%report, "application commands overwritten");
        Ok(report)
    }

    /// The application ID: given, known to `http`, or fetched (which also
    /// reads the app's installation contexts).
    async fn application_id(&self) -> Result<ApplicationId> {
        if let Some(id) = self.application_id.or_else(|| self.http.application_id()) {
            return Ok(id);
        }
        let app = self.fetch_application().await?;
        self.http.set_application_id(app.id);
        Ok(app.id)
    }

    /// The installation contexts Discord gives a command that sets none:
    /// the app's `integration_types_config`, read once.
    async fn install_default(&self) -> Result<&[ApplicationIntegrationType]> {
        if self.install_default.get().is_none() {
            self.fetch_application().await?;
        }
        Ok(self
            .install_default
            .get()
            .map_or(&[ApplicationIntegrationType::GuildInstall], Vec::as_slice))
    }

    async fn fetch_application(&self) -> Result<CurrentApplication> {
        let app: CurrentApplication = self
            .http
            .request(route!(GET "/applications/@me"))
            .send()
            .await?
            .json()?;
        let mut types: Vec<ApplicationIntegrationType> = app
            .integration_types_config
            .iter()
            .flat_map(|config| config.keys())
            .filter_map(|key| key.parse::<u16>().ok())
            .map(ApplicationIntegrationType::from)
            .collect();
        if types.is_empty() {
            types.push(ApplicationIntegrationType::GuildInstall);
        }
        let _ = self.install_default.set(types);
        Ok(app)
    }
}

/// What `GET /applications/@me` says that the sync needs.
#[derive(Deserialize)]
struct CurrentApplication {
    id: ApplicationId,
    #[serde(default)]
    integration_types_config: Option<HashMap<String, serde::de::IgnoredAny>>,
}

/// Where commands live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandScope {
    /// Global commands.
    Global,
    /// One guild's commands.
    Guild(GuildId),
}

impl fmt::Display for CommandScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("global commands"),
            Self::Guild(id) => write!(f, "commands of guild {id}"),
        }
    }
}

/// A command's type and name: what identifies it in a scope (names are
/// unique per type, so `/info` and a USER command "info" are two commands).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommandName {
    /// The type.
    pub kind: CommandType,
    /// The name.
    pub name: String,
}

impl CommandName {
    fn of(kind: CommandType, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
        }
    }
}

/// `/ping`, `Show profile (user)`, `Bookmark (message)`,
/// `launch (entry point)`.
impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            CommandType::ChatInput => write!(f, "/{}", self.name),
            CommandType::User => write!(f, "{} (user)", self.name),
            CommandType::Message => write!(f, "{} (message)", self.name),
            CommandType::PrimaryEntryPoint => write!(f, "{} (entry point)", self.name),
            other => write!(f, "{} (type {})", self.name, other.value()),
        }
    }
}

/// What a sync did, by command.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SyncReport {
    /// The scope synced.
    pub scope: CommandScope,
    /// Defined, and new to Discord.
    pub created: Vec<CommandName>,
    /// Defined, and different on Discord before the sync.
    pub updated: Vec<CommandName>,
    /// On Discord before the sync, and no longer defined.
    pub deleted: Vec<CommandName>,
    /// Defined, and already the same on Discord.
    pub unchanged: Vec<CommandName>,
    /// The commands as Discord holds them now: the overwrite's answer, or
    /// the commands read when nothing was sent.
    pub commands: Vec<ApplicationCommand>,
}

impl SyncReport {
    /// Whether everything matched, so nothing was sent.
    pub fn is_unchanged(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// `global commands: 2 created (/ping, Show profile (user)), 0 updated, 0
/// deleted, 1 unchanged (/help)`.
impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scope)?;
        let parts = [
            ("created", &self.created),
            ("updated", &self.updated),
            ("deleted", &self.deleted),
            ("unchanged", &self.unchanged),
        ];
        for (i, (label, names)) in parts.into_iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{} {label}", names.len())?;
            if !names.is_empty() {
                f.write_str(" (")?;
                for (j, name) in names.iter().enumerate() {
                    if j > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}")?;
                }
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

/// How defaults are read in one scope.
struct Rules<'a> {
    guild: bool,
    /// The installation contexts Discord fills in for a command that sets
    /// none.
    install_default: &'a [ApplicationIntegrationType],
}

fn key(kind: CommandType, name: &str) -> (CommandType, &str) {
    (kind, name)
}

/// Sorts the definitions into created / updated / unchanged and the
/// commands no definition names into deleted (`scope` and `commands` are
/// left for the caller).
fn diff(
    current: &[ApplicationCommand],
    definitions: &[CommandDefinition],
    rules: &Rules<'_>,
) -> SyncReport {
    let by_key: HashMap<_, _> = current.iter().map(|c| (key(c.kind, &c.name), c)).collect();
    let mut report = SyncReport {
        scope: CommandScope::Global,
        created: Vec::new(),
        updated: Vec::new(),
        deleted: Vec::new(),
        unchanged: Vec::new(),
        commands: Vec::new(),
    };
    let mut defined = HashSet::new();
    for definition in definitions {
        defined.insert(key(definition.kind, &definition.name));
        let name = CommandName::of(definition.kind, &definition.name);
        match by_key.get(&key(definition.kind, &definition.name)) {
            None => report.created.push(name),
            Some(command) if command_matches(definition, command, rules) => {
                report.unchanged.push(name)
            }
            Some(_) => report.updated.push(name),
        }
    }
    for command in current {
        if !defined.contains(&key(command.kind, &command.name)) {
            report
                .deleted
                .push(CommandName::of(command.kind, &command.name));
        }
    }
    report
}

/// Whether comparing needs the app's installation contexts: a global
/// command where one side leaves `integration_types` out and the other
/// holds something other than `[GUILD_INSTALL]`.
fn needs_install_default(
    definitions: &[CommandDefinition],
    current: &[ApplicationCommand],
    guild: bool,
) -> bool {
    let guild_only = [ApplicationIntegrationType::GuildInstall];
    current.iter().any(|command| {
        definitions
            .iter()
            .find(|d| d.kind == command.kind && d.name == command.name)
            .is_some_and(|definition| {
                match (&definition.integration_types, &command.integration_types) {
                    (None, _) if guild => false,
                    (None, Some(set)) | (Some(set), None) => {
                        int_set(set, |t| t.value()) != int_set(&guild_only, |t| t.value())
                    }
                    _ => false,
                }
            })
    })
}

fn int_set<T>(items: &[T], value: impl Fn(&T) -> u16) -> Vec<u16> {
    let mut values: Vec<u16> = items.iter().map(value).collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// A localisation map as Discord keeps it: no entry equal to the default
/// text, and empty = none.
fn localizations<'a>(default: &str, map: &'a Option<Localizations>) -> BTreeMap<&'a str, &'a str> {
    map.iter()
        .flatten()
        .filter(|(_, text)| text.as_str() != default)
        .map(|(locale, text)| (locale.as_str(), text.as_str()))
        .collect()
}

fn command_matches(
    definition: &CommandDefinition,
    command: &ApplicationCommand,
    rules: &Rules<'_>,
) -> bool {
    definition.kind == command.kind
        && definition.name == command.name
        && definition.description == command.description
        && localizations(&definition.name, &definition.name_localizations)
            == localizations(&command.name, &command.name_localizations)
        && localizations(
            &definition.description,
            &definition.description_localizations,
        ) == localizations(&command.description, &command.description_localizations)
        && options_match(&definition.options, &command.options)
        && definition.default_member_permissions == command.default_member_permissions
        && definition.nsfw.unwrap_or(false) == command.nsfw.unwrap_or(false)
        && command.default_permission.unwrap_or(true)
        && (definition.kind != CommandType::PrimaryEntryPoint
            || definition.handler == command.handler)
        && contexts_match(definition, command, rules)
        && integration_types_match(definition, command, rules)
}

/// `contexts` (null = all three) and the deprecated `dm_permission`.
fn contexts_match(
    definition: &CommandDefinition,
    command: &ApplicationCommand,
    rules: &Rules<'_>,
) -> bool {
    let all = [
        InteractionContextType::Guild,
        InteractionContextType::BotDm,
        InteractionContextType::PrivateChannel,
    ];
    let set = |contexts: &Option<Vec<InteractionContextType>>| {
        int_set(contexts.as_deref().unwrap_or(&all), |c| c.value())
    };
    match &definition.contexts {
        None if rules.guild => true,
        None => set(&None) == set(&command.contexts) && command.dm_permission.unwrap_or(true),
        Some(_) => set(&definition.contexts) == set(&command.contexts),
    }
}

/// `integration_types` (null = the app's installation contexts).
fn integration_types_match(
    definition: &CommandDefinition,
    command: &ApplicationCommand,
    rules: &Rules<'_>,
) -> bool {
    if rules.guild && definition.integration_types.is_none() {
        return true;
    }
    let set = |types: &Option<Vec<ApplicationIntegrationType>>| {
        int_set(types.as_deref().unwrap_or(rules.install_default), |t| {
            t.value()
        })
    };
    set(&definition.integration_types) == set(&command.integration_types)
}

fn options_match(defined: &[CommandOption], current: &[CommandOption]) -> bool {
    defined.len() == current.len()
        && defined
            .iter()
            .zip(current)
            .all(|(d, c)| option_matches(d, c))
}

fn option_matches(defined: &CommandOption, current: &CommandOption) -> bool {
    let nested = matches!(
        defined.kind,
        CommandOptionType::SubCommand | CommandOptionType::SubCommandGroup
    );
    defined.kind == current.kind
        && defined.name == current.name
        && defined.description == current.description
        && localizations(&defined.name, &defined.name_localizations)
            == localizations(&current.name, &current.name_localizations)
        && localizations(&defined.description, &defined.description_localizations)
            == localizations(&current.description, &current.description_localizations)
        && (nested || defined.required.unwrap_or(false) == current.required.unwrap_or(false))
        && choices_match(&defined.choices, &current.choices)
        && options_match(&defined.options, &current.options)
        && int_set(&defined.channel_types, |t| t.value())
            == int_set(&current.channel_types, |t| t.value())
        && bounds_match(defined.min_value, current.min_value)
        && bounds_match(defined.max_value, current.max_value)
        && defined.min_length == current.min_length
        && defined.max_length == current.max_length
        && defined.autocomplete.unwrap_or(false) == current.autocomplete.unwrap_or(false)
}

fn choices_match(defined: &[CommandOptionChoice], current: &[CommandOptionChoice]) -> bool {
    defined.len() == current.len()
        && defined.iter().zip(current).all(|(d, c)| {
            d.name == c.name
                && localizations(&d.name, &d.name_localizations)
                    == localizations(&c.name, &c.name_localizations)
                && match (&d.value, &c.value) {
                    (ChoiceValue::String(a), ChoiceValue::String(b)) => a == b,
                    (ChoiceValue::String(_), _) | (_, ChoiceValue::String(_)) => false,
                    (a, b) => choice_number(a) == choice_number(b),
                }
        })
}

/// A numeric choice as a double: `5` and `5.0` are one value. Exact for
/// the integers Discord accepts (±(2^53−1)).
fn choice_number(value: &ChoiceValue) -> Option<f64> {
    match value {
        ChoiceValue::Integer(i) => Some(*i as f64),
        ChoiceValue::Number(n) => Some(*n),
        ChoiceValue::String(_) => None,
    }
}

fn bounds_match(defined: Option<CommandNumber>, current: Option<CommandNumber>) -> bool {
    let number = |n: CommandNumber| match n {
        CommandNumber::Integer(i) => i as f64,
        CommandNumber::Number(n) => n,
    };
    defined.map(number) == current.map(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{CommandBuilder, CommandOptionBuilder};
    use crate::model::{ChannelType, Permissions};
    use serde_json::{json, Value};
    use CommandOptionType as T;

    const GUILD_ONLY: &[ApplicationIntegrationType] = &[ApplicationIntegrationType::GuildInstall];

    fn global() -> Rules<'static> {
        Rules {
            guild: false,
            install_default: GUILD_ONLY,
        }
    }

    fn guild() -> Rules<'static> {
        Rules {
            guild: true,
            install_default: GUILD_ONLY,
        }
    }

    /// The command as Discord returns it: every field Discord adds or
    /// defaults, written out.
    fn discord(command: &impl serde::Serialize, extra: Value) -> ApplicationCommand {
        let mut value = serde_json::to_value(command).unwrap();
        let object = value.as_object_mut().unwrap();
        for (k, v) in [
            ("id", json!("1300000000000000001")),
            ("application_id", json!("1200000000000000001")),
            ("version", json!("1300000000000000002")),
            ("default_member_permissions", Value::Null),
            ("dm_permission", json!(true)),
            ("default_permission", json!(true)),
            ("nsfw", json!(false)),
            ("integration_types", json!([0])),
            ("contexts", Value::Null),
            ("name_localizations", Value::Null),
            ("description_localizations", Value::Null),
            ("name_localized", json!("whatever")),
        ] {
            if !object.contains_key(k) || object[k].is_null() {
                object.insert(k.into(), v);
            }
        }
        for (k, v) in extra.as_object().unwrap() {
            object.insert(k.clone(), v.clone());
        }
        serde_json::from_value(value).unwrap()
    }

    fn echo() -> CommandBuilder {
        CommandBuilder::chat_input("echo", "Repeats text").option(
            CommandOptionBuilder::new(T::String, "text", "What to say")
                .required(true)
                .build()
                .unwrap(),
        )
    }

    fn same(definition: &CommandDefinition, command: &ApplicationCommand) -> bool {
        command_matches(definition, command, &global())
    }

    #[test]
    fn discords_added_fields_and_written_out_defaults_match() {
        let definition = echo().build().unwrap();
        let mut body = serde_json::to_value(&definition).unwrap();
        body["options"][0]["autocomplete"] = json!(false);
        body["options"][0]["name_localizations"] = json!({});
        body.as_object_mut().unwrap().remove("type");
        let command = discord(&body, json!({}));
        assert!(same(&definition, &command));
        // the defaults written out in the definition
        let explicit = echo()
            .nsfw(false)
            .contexts([
                InteractionContextType::PrivateChannel,
                InteractionContextType::Guild,
                InteractionContextType::BotDm,
            ])
            .integration_types([ApplicationIntegrationType::GuildInstall])
            .build()
            .unwrap();
        assert!(same(&explicit, &command));
    }

    #[test]
    fn what_users_see_is_a_difference() {
        let definition = echo().build().unwrap();
        let base = discord(&definition, json!({}));
        assert!(same(&definition, &base));
        let changed = |f: &dyn Fn(&mut CommandDefinition)| {
            let mut d = definition.clone();
            f(&mut d);
            !same(&d, &base)
        };
        assert!(changed(&|d| d.description = "Says text again".into()));
        assert!(changed(&|d| d.options[0].description = "Text".into()));
        assert!(changed(&|d| d.options[0].required = Some(false)));
        assert!(changed(&|d| d.options[0].max_length = Some(100)));
        assert!(changed(&|d| d.options[0].autocomplete = Some(true)));
        assert!(changed(&|d| d.nsfw = Some(true)));
        assert!(changed(
            &|d| d.default_member_permissions = Some(Permissions::empty())
        ));
        assert!(changed(
            &|d| d.contexts = Some(vec![InteractionContextType::Guild])
        ));
        assert!(changed(&|d| d.integration_types = Some(vec![
            ApplicationIntegrationType::GuildInstall,
            ApplicationIntegrationType::UserInstall
        ])));
        assert!(changed(&|d| d.options.clear()));
        // Discord-side state the definition cannot express
        let dm_off = discord(&definition, json!({"dm_permission": false}));
        assert!(!same(&definition, &dm_off));
        let disabled = discord(&definition, json!({"default_permission": false}));
        assert!(!same(&definition, &disabled));
    }

    #[test]
    fn localizations_compare_as_discord_keeps_them() {
        let plain = echo().build().unwrap();
        let command = discord(
            &plain,
            json!({"name_localizations": {}, "description_localizations": null}),
        );
        assert!(same(&plain, &command));
        // a translation equal to the default text is ignored by Discord
        let redundant = echo()
            .name_localization("en-US", "echo")
            .description_localization("en-GB", "Repeats text")
            .build()
            .unwrap();
        assert!(same(&redundant, &command));
        let german = echo()
            .name_localization("de", "wiederhole")
            .build()
            .unwrap();
        assert!(!same(&german, &command));
        let stored = discord(&german, json!({}));
        assert!(same(&german, &stored));
        let other = echo().name_localization("de", "echo-de").build().unwrap();
        assert!(!same(&other, &stored));
        // choices and options are localised too
        let choice = |de: &str| {
            CommandBuilder::chat_input("pet", "Picks a pet")
                .option(
                    CommandOptionBuilder::new(T::String, "kind", "Which")
                        .localized_choice("Dog", ChoiceValue::String("dog".into()), [("de", de)])
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        let stored = discord(&choice("Hund"), json!({}));
        assert!(same(&choice("Hund"), &stored));
        assert!(!same(&choice("Köter"), &stored));
    }

    #[test]
    fn order_matters_for_options_and_choices_not_for_sets() {
        let a = CommandOptionBuilder::new(T::String, "a", "A")
            .build()
            .unwrap();
        let b = CommandOptionBuilder::new(T::Channel, "b", "B")
            .channel_types([ChannelType::GuildText, ChannelType::GuildVoice])
            .build()
            .unwrap();
        let definition = CommandBuilder::chat_input("cmd", "d")
            .options([a.clone(), b.clone()])
            .contexts([InteractionContextType::Guild, InteractionContextType::BotDm])
            .build()
            .unwrap();
        let command = discord(&definition, json!({"contexts": [1, 0]}));
        assert!(same(&definition, &command));
        let mut swapped_channels = definition.clone();
        swapped_channels.options[1].channel_types.reverse();
        assert!(same(&swapped_channels, &command));
        let reordered = CommandBuilder::chat_input("cmd", "d")
            .options([b, a])
            .contexts([InteractionContextType::Guild, InteractionContextType::BotDm])
            .build()
            .unwrap();
        assert!(
            !same(&reordered, &command),
            "Discord shows options in order"
        );
        let choices = |first: &str, second: &str| {
            CommandBuilder::chat_input("cmd", "d")
                .option(
                    CommandOptionBuilder::new(T::String, "c", "d")
                        .choice(first, ChoiceValue::String(first.into()))
                        .choice(second, ChoiceValue::String(second.into()))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        let stored = discord(&choices("x", "y"), json!({}));
        assert!(same(&choices("x", "y"), &stored));
        assert!(
            !same(&choices("y", "x"), &stored),
            "Discord shows choices in order"
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        let definition = CommandBuilder::chat_input("roll", "d")
            .option(
                CommandOptionBuilder::new(T::Number, "sides", "d")
                    .min_value(CommandNumber::Number(2.0))
                    .choice("six", ChoiceValue::Number(6.0))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let mut body = serde_json::to_value(&definition).unwrap();
        body["options"][0]["min_value"] = json!(2);
        body["options"][0]["choices"][0]["value"] = json!(6);
        let command = discord(&body, json!({}));
        assert!(same(&definition, &command));
        body["options"][0]["min_value"] = json!(2.5);
        let command = discord(&body, json!({}));
        assert!(!same(&definition, &command));
    }

    #[test]
    fn nested_options_are_compared_all_the_way_down() {
        let tree = |description: &str, de: Option<&str>| {
            let mut leaf = CommandOptionBuilder::new(T::User, "member", description).required(true);
            if let Some(de) = de {
                leaf = leaf.description_localization("de", de);
            }
            let get = CommandOptionBuilder::new(T::SubCommand, "get", "Gets")
                .option(leaf.build().unwrap())
                .build()
                .unwrap();
            let group = CommandOptionBuilder::new(T::SubCommandGroup, "user", "Users")
                .option(get)
                .build()
                .unwrap();
            CommandBuilder::chat_input("permissions", "Permissions")
                .option(group)
                .build()
                .unwrap()
        };
        let stored = discord(&tree("Whom", Some("Wen")), json!({}));
        assert!(same(&tree("Whom", Some("Wen")), &stored));
        assert!(!same(&tree("Who", Some("Wen")), &stored));
        assert!(!same(&tree("Whom", Some("Wem")), &stored));
        assert!(!same(&tree("Whom", None), &stored));
        // subcommands carry no `required`; Discord may write it out as false
        let mut body = serde_json::to_value(tree("Whom", Some("Wen"))).unwrap();
        body["options"][0]["required"] = json!(false);
        let written = discord(&body, json!({}));
        assert!(same(&tree("Whom", Some("Wen")), &written));
    }

    #[test]
    fn contexts_and_installation_types_default_as_documented() {
        let definition = echo().build().unwrap();
        // contexts null, or all three
        let all = discord(&definition, json!({"contexts": [0, 1, 2]}));
        assert!(same(&definition, &all));
        let some = discord(&definition, json!({"contexts": [0]}));
        assert!(!same(&definition, &some));
        // integration_types: the app's default, whatever Discord wrote
        let both = discord(&definition, json!({"integration_types": [0, 1]}));
        assert!(!same(&definition, &both));
        let one = std::slice::from_ref(&definition);
        assert!(needs_install_default(
            one,
            std::slice::from_ref(&both),
            false
        ));
        assert!(!needs_install_default(
            one,
            &[discord(&definition, json!({}))],
            false
        ));
        let user_installable = [
            ApplicationIntegrationType::UserInstall,
            ApplicationIntegrationType::GuildInstall,
        ];
        let rules = Rules {
            guild: false,
            install_default: &user_installable,
        };
        assert!(command_matches(&definition, &both, &rules));
        // guild commands: contexts and installation types only when defined
        assert!(command_matches(&definition, &some, &guild()));
        assert!(command_matches(&definition, &both, &guild()));
        assert!(!needs_install_default(one, &[both], true));
        let guild_only = echo()
            .contexts([InteractionContextType::Guild])
            .build()
            .unwrap();
        assert!(command_matches(&guild_only, &some, &guild()));
        assert!(!command_matches(&guild_only, &all, &guild()));
        // with contexts set, the deprecated dm_permission is Discord's to derive
        let derived = discord(&guild_only, json!({"dm_permission": false}));
        assert!(same(&guild_only, &derived));
    }

    #[test]
    fn context_menu_commands_and_entry_points() {
        let user = CommandBuilder::user("Show profile").build().unwrap();
        assert!(same(&user, &discord(&user, json!({"description": ""}))));
        let entry = CommandBuilder::entry_point(
            "launch",
            "Launch",
            crate::model::EntryPointCommandHandlerType::DiscordLaunchActivity,
        )
        .build()
        .unwrap();
        assert!(same(&entry, &discord(&entry, json!({}))));
        assert!(!same(&entry, &discord(&entry, json!({"handler": 1}))));
    }

    #[test]
    fn the_diff_sorts_commands_by_type_and_name() {
        let ping = CommandBuilder::chat_input("ping", "Pong").build().unwrap();
        let info_slash = CommandBuilder::chat_input("info", "Info").build().unwrap();
        let info_user = CommandBuilder::user("info").build().unwrap();
        let old = CommandBuilder::chat_input("old", "Gone").build().unwrap();
        let current = vec![
            discord(
                &CommandBuilder::chat_input("ping", "Ping!").build().unwrap(),
                json!({}),
            ),
            discord(&info_slash, json!({})),
            discord(&old, json!({})),
        ];
        let report = diff(&current, &[info_user.clone(), ping, info_slash], &global());
        let names = |list: &[CommandName]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(names(&report.created), ["info (user)"]);
        assert_eq!(names(&report.updated), ["/ping"]);
        assert_eq!(names(&report.unchanged), ["/info"]);
        assert_eq!(names(&report.deleted), ["/old"]);
        assert!(!report.is_unchanged());
        assert_eq!(
            report.to_string(),
            "global commands: 1 created (info (user)), 1 updated (/ping), 1 deleted (/old), \
             1 unchanged (/info)"
        );
        // the same list in another order: nothing to do
        let current: Vec<_> = [&info_user, &old]
            .iter()
            .map(|d| discord(d, json!({})))
            .collect();
        let report = diff(&current, &[old.clone(), info_user.clone()], &global());
        assert!(report.is_unchanged());
        assert_eq!(report.unchanged.len(), 2);
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<CommandSync>();
        send_sync::<SyncReport>();
    }
}
