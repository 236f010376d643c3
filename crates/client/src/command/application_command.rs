//! Application command definitions (discord-protocol.md §10.6, §9).
//!
//! [`CommandBuilder`] and [`CommandOptionBuilder`] build what
//! Create / Edit / Bulk Overwrite application command take, and check
//! Discord's rules in `build()`:
//!
//! - names: 1-32 characters; CHAT_INPUT command names and every option
//!   name match `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` and are
//!   lowercase where a lowercase form exists; USER and MESSAGE names may
//!   hold capitals and spaces. Localised names follow the same rules;
//! - descriptions: 1-100 characters for CHAT_INPUT commands and every
//!   option; empty for USER and MESSAGE commands, which take no options;
//! - at most 25 options per level and 25 choices per option; option names
//!   unique per level; required options before optional ones;
//! - nesting: a command holds subcommands and groups, or value options,
//!   not both; a group holds only subcommands; a subcommand holds only
//!   value options;
//! - choices only on STRING, INTEGER and NUMBER options, of the option's
//!   type, and never with `autocomplete`; `channel_types` only on CHANNEL,
//!   `min_value`/`max_value` only on INTEGER and NUMBER (integers within
//!   ±(2^53−1), numbers within ±2^53), `min_length`/`max_length` only on
//!   STRING (0-6000 / 1-6000), each minimum at most its maximum;
//! - at most 8000 characters of names, descriptions and choice names and
//!   values per command, counting for each field the longest of its
//!   default and its localisations.
//!
//! The counts per scope (100 CHAT_INPUT, 15 USER, 15 MESSAGE, one global
//! PRIMARY_ENTRY_POINT) and unique names per type are checked on the whole
//! list, by bulk overwrite and by [`CommandSync`](crate::sync::CommandSync).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::{chars, check_count, check_len, check_range, ValidationError};
use super::interaction::validate_choice;
use super::limits::{
    CHAT_INPUT_COMMANDS, CHOICE_NAME, COMMAND_CHOICES, COMMAND_DESCRIPTION, COMMAND_NAME,
    COMMAND_OPTIONS, COMMAND_TOTAL_SIZE, ENTRY_POINT_COMMANDS, INTEGER_OPTION_MAX,
    MESSAGE_COMMANDS, NUMBER_OPTION_MAX, STRING_OPTION_LENGTH, USER_COMMANDS,
};
use crate::model::{
    ApplicationIntegrationType, ChannelType, ChoiceValue, CommandNumber, CommandOption,
    CommandOptionChoice, CommandOptionType, CommandType, EntryPointCommandHandlerType,
    InteractionContextType, Localizations, Permissions,
};

/// The body of Create / Edit / Bulk Overwrite application command.
///
/// Build it with [`CommandBuilder`], which checks Discord's rules; one
/// made by hand or read from a file can be checked with
/// [`validate`](Self::validate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandDefinition {
    /// Type.
    #[serde(rename = "type")]
    pub kind: CommandType,
    /// Name (1-32).
    pub name: String,
    /// Localised names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<Localizations>,
    /// Description (CHAT_INPUT 1-100; empty for USER/MESSAGE).
    pub description: String,
    /// Localised descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_localizations: Option<Localizations>,
    /// Options (CHAT_INPUT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandOption>,
    /// Permissions required by default (`None` = everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_member_permissions: Option<Permissions>,
    /// Installation types (global commands; `None` = the app's installation
    /// contexts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_types: Option<Vec<ApplicationIntegrationType>>,
    /// Contexts where usable (global commands; `None` = all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<InteractionContextType>>,
    /// Age-restricted (`None` = false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    /// Entry point handler (PRIMARY_ENTRY_POINT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<EntryPointCommandHandlerType>,
}

impl CommandDefinition {
    /// Checks the command against Discord's rules (see the
    /// [module docs](crate::command)): what [`CommandBuilder::build`] checks.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first rule broken.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let slash = self.kind == CommandType::ChatInput;
        validate_name("name", &self.name, slash)?;
        for name in localized(&self.name_localizations) {
            validate_name("name_localizations", name, slash)?;
        }
        match self.kind {
            CommandType::User | CommandType::Message => {
                if !self.description.is_empty()
                    || localized(&self.description_localizations).count() > 0
                {
                    return Err(ValidationError::Invalid {
                        field: "description",
                        reason: "USER and MESSAGE commands must have an empty description",
                    });
                }
            }
            _ => {
                check_len("description", &self.description, 1, COMMAND_DESCRIPTION)?;
                for d in localized(&self.description_localizations) {
                    check_len("description_localizations", d, 1, COMMAND_DESCRIPTION)?;
                }
            }
        }
        if !slash && !self.options.is_empty() {
            return Err(ValidationError::Invalid {
                field: "options",
                reason: "only CHAT_INPUT commands take options",
            });
        }
        if self.handler.is_some() && self.kind != CommandType::PrimaryEntryPoint {
            return Err(ValidationError::Invalid {
                field: "handler",
                reason: "only PRIMARY_ENTRY_POINT commands have a handler",
            });
        }
        validate_options(&self.options, Parent::Command)?;
        let total = longest(&self.name, &self.name_localizations)
            + longest(&self.description, &self.description_localizations)
            + options_size(&self.options);
        if total > COMMAND_TOTAL_SIZE {
            return Err(ValidationError::TooLong {
                field: "command (names, descriptions, choices; longest localisation of each)",
                actual: total,
                max: COMMAND_TOTAL_SIZE,
            });
        }
        Ok(())
    }
}

impl CommandDefinition {
    /// Checks a whole list of commands for one scope (global, or one
    /// guild): see [`validate_command_list`].
    pub(crate) fn validate_list(
        commands: &[CommandDefinition],
        guild: bool,
    ) -> Result<(), ValidationError> {
        validate_command_list(commands, guild)
    }
}

/// Checks a whole list of commands for one scope (global, or one guild):
/// each command's rules, at most 100 CHAT_INPUT, 15 USER, 15 MESSAGE and
/// one PRIMARY_ENTRY_POINT command (none in a guild), and names unique per
/// type (discord-protocol.md §9, §10.6).
fn validate_command_list(
    commands: &[CommandDefinition],
    guild: bool,
) -> Result<(), ValidationError> {
    for command in commands {
        command
            .validate()
            .map_err(|source| ValidationError::InCommand {
                name: command.name.clone(),
                source: Box::new(source),
            })?;
    }
    let count = |kind: CommandType| commands.iter().filter(|c| c.kind == kind).count();
    check_count(
        "commands (CHAT_INPUT)",
        count(CommandType::ChatInput),
        0,
        CHAT_INPUT_COMMANDS,
    )?;
    check_count(
        "commands (USER)",
        count(CommandType::User),
        0,
        USER_COMMANDS,
    )?;
    check_count(
        "commands (MESSAGE)",
        count(CommandType::Message),
        0,
        MESSAGE_COMMANDS,
    )?;
    let entry_points = count(CommandType::PrimaryEntryPoint);
    if guild && entry_points > 0 {
        return Err(ValidationError::Invalid {
            field: "commands (PRIMARY_ENTRY_POINT)",
            reason: "PRIMARY_ENTRY_POINT commands can only be global",
        });
    }
    check_count(
        "commands (PRIMARY_ENTRY_POINT)",
        entry_points,
        0,
        ENTRY_POINT_COMMANDS,
    )?;
    let mut seen = HashSet::new();
    for command in commands {
        if !seen.insert((command.kind, command.name.as_str())) {
            return Err(ValidationError::Duplicate {
                field: "commands[].name (per type)",
                value: command.name.clone(),
            });
        }
    }
    Ok(())
}

/// Builds a [`CommandDefinition`].
///
/// ```
/// use acord::command::{CommandBuilder, CommandOptionBuilder};
/// use acord::model::{ChoiceValue, CommandOptionType, InteractionContextType, Permissions};
/// let cmd = CommandBuilder::chat_input("echo", "Repeats what you say")
///     .description_localization("de", "Wiederholt, was du sagst")
///     .option(
///         CommandOptionBuilder::new(CommandOptionType::String, "text", "What to say")
///             .required(true)
///             .max_length(200)
///             .build()
///             .unwrap(),
///     )
///     .option(
///         CommandOptionBuilder::new(CommandOptionType::Integer, "times", "How often")
///             .choice("once", ChoiceValue::Integer(1))
///             .choice("twice", ChoiceValue::Integer(2))
///             .build()
///             .unwrap(),
///     )
///     .default_member_permissions(Permissions::SEND_MESSAGES)
///     .contexts([InteractionContextType::Guild])
///     .build()
///     .unwrap();
/// assert_eq!(cmd.options.len(), 2);
/// assert!(CommandBuilder::chat_input("Echo", "capitals are not allowed").build().is_err());
/// // context-menu commands: a name, no description, no options
/// let report = CommandBuilder::message("Report message").build().unwrap();
/// assert!(report.description.is_empty());
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the command"]
pub struct CommandBuilder {
    command: CommandDefinition,
}

impl CommandBuilder {
    fn new(kind: CommandType, name: String, description: String) -> Self {
        Self {
            command: CommandDefinition {
                kind,
                name,
                name_localizations: None,
                description,
                description_localizations: None,
                options: Vec::new(),
                default_member_permissions: None,
                integration_types: None,
                contexts: None,
                nsfw: None,
                handler: None,
            },
        }
    }

    /// A slash command.
    pub fn chat_input(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(CommandType::ChatInput, name.into(), description.into())
    }

    /// A user context-menu command (no description, no options).
    pub fn user(name: impl Into<String>) -> Self {
        Self::new(CommandType::User, name.into(), String::new())
    }

    /// A message context-menu command (no description, no options).
    pub fn message(name: impl Into<String>) -> Self {
        Self::new(CommandType::Message, name.into(), String::new())
    }

    /// An activity entry point command.
    pub fn entry_point(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: EntryPointCommandHandlerType,
    ) -> Self {
        let mut b = Self::new(
            CommandType::PrimaryEntryPoint,
            name.into(),
            description.into(),
        );
        b.command.handler = Some(handler);
        b
    }

    /// Adds an option, subcommand or subcommand group (≤ 25).
    pub fn option(mut self, option: CommandOption) -> Self {
        self.command.options.push(option);
        self
    }

    /// Adds options, subcommands or groups (≤ 25 in all).
    pub fn options(mut self, options: impl IntoIterator<Item = CommandOption>) -> Self {
        self.command.options.extend(options);
        self
    }

    /// Adds a localised name (`"de"`, `"en-GB"`, …; Discord ignores one
    /// equal to the default name).
    pub fn name_localization(mut self, locale: impl Into<String>, name: impl Into<String>) -> Self {
        self.command
            .name_localizations
            .get_or_insert_with(Default::default)
            .insert(locale.into(), name.into());
        self
    }

    /// Adds a localised description.
    pub fn description_localization(
        mut self,
        locale: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.command
            .description_localizations
            .get_or_insert_with(Default::default)
            .insert(locale.into(), description.into());
        self
    }

    /// Permissions a member needs by default (`Permissions::empty()`:
    /// administrators only).
    pub fn default_member_permissions(mut self, permissions: Permissions) -> Self {
        self.command.default_member_permissions = Some(permissions);
        self
    }

    /// Installation types (global commands; default: the app's).
    pub fn integration_types(
        mut self,
        types: impl IntoIterator<Item = ApplicationIntegrationType>,
    ) -> Self {
        self.command.integration_types = Some(types.into_iter().collect());
        self
    }

    /// Interaction contexts (global commands; default: all).
    pub fn contexts(mut self, contexts: impl IntoIterator<Item = InteractionContextType>) -> Self {
        self.command.contexts = Some(contexts.into_iter().collect());
        self
    }

    /// Age-restricted (default false).
    pub fn nsfw(mut self, nsfw: bool) -> Self {
        self.command.nsfw = Some(nsfw);
        self
    }

    /// Checks the command (see the [module docs](crate::command)).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first rule broken.
    pub fn build(self) -> Result<CommandDefinition, ValidationError> {
        self.command.validate()?;
        Ok(self.command)
    }
}

/// Builds a [`CommandOption`]: a value option, a subcommand or a
/// subcommand group.
///
/// ```
/// use acord::command::{CommandBuilder, CommandOptionBuilder};
/// use acord::model::{ChannelType, CommandOptionType as T};
/// let channel = CommandOptionBuilder::new(T::Channel, "channel", "Where")
///     .channel_types([ChannelType::GuildText])
///     .required(true)
///     .build()
///     .unwrap();
/// let set = CommandOptionBuilder::new(T::SubCommand, "set", "Sets the log channel")
///     .option(channel)
///     .build()
///     .unwrap();
/// let log = CommandOptionBuilder::new(T::SubCommandGroup, "log", "Logging")
///     .option(set)
///     .build()
///     .unwrap();
/// let config = CommandBuilder::chat_input("config", "Settings").option(log).build();
/// assert!(config.is_ok());
/// // a subcommand inside a subcommand is not allowed
/// let inner = CommandOptionBuilder::new(T::SubCommand, "inner", "d").build().unwrap();
/// assert!(CommandOptionBuilder::new(T::SubCommand, "outer", "d").option(inner).build().is_err());
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the option"]
pub struct CommandOptionBuilder {
    option: CommandOption,
}

impl CommandOptionBuilder {
    /// An option of `kind`.
    pub fn new(
        kind: CommandOptionType,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            option: CommandOption {
                kind,
                name: name.into(),
                name_localizations: None,
                description: description.into(),
                description_localizations: None,
                required: None,
                choices: Vec::new(),
                options: Vec::new(),
                channel_types: Vec::new(),
                min_value: None,
                max_value: None,
                min_length: None,
                max_length: None,
                autocomplete: None,
            },
        }
    }

    /// Required (default false; not for subcommands and groups).
    pub fn required(mut self, required: bool) -> Self {
        self.option.required = Some(required);
        self
    }

    /// Adds a choice (≤ 25; STRING, INTEGER and NUMBER options, a value of
    /// the option's type).
    pub fn choice(mut self, name: impl Into<String>, value: ChoiceValue) -> Self {
        self.option.choices.push(CommandOptionChoice {
            name: name.into(),
            name_localizations: None,
            value,
        });
        self
    }

    /// Adds a choice with localised names (`[("de", "Hund")]`).
    pub fn localized_choice<L, N>(
        mut self,
        name: impl Into<String>,
        value: ChoiceValue,
        localizations: impl IntoIterator<Item = (L, N)>,
    ) -> Self
    where
        L: Into<String>,
        N: Into<String>,
    {
        let localizations: Localizations = localizations
            .into_iter()
            .map(|(l, n)| (l.into(), n.into()))
            .collect();
        self.option.choices.push(CommandOptionChoice {
            name: name.into(),
            name_localizations: Some(localizations),
            value,
        });
        self
    }

    /// Adds a nested option: subcommands in a group, value options in a
    /// subcommand.
    pub fn option(mut self, option: CommandOption) -> Self {
        self.option.options.push(option);
        self
    }

    /// Allowed channel types (CHANNEL; default all).
    pub fn channel_types(mut self, types: impl IntoIterator<Item = ChannelType>) -> Self {
        self.option.channel_types = types.into_iter().collect();
        self
    }

    /// Minimum value (INTEGER/NUMBER).
    pub fn min_value(mut self, min: CommandNumber) -> Self {
        self.option.min_value = Some(min);
        self
    }

    /// Maximum value (INTEGER/NUMBER).
    pub fn max_value(mut self, max: CommandNumber) -> Self {
        self.option.max_value = Some(max);
        self
    }

    /// Minimum length (STRING, 0-6000).
    pub fn min_length(mut self, min: u16) -> Self {
        self.option.min_length = Some(min);
        self
    }

    /// Maximum length (STRING, 1-6000).
    pub fn max_length(mut self, max: u16) -> Self {
        self.option.max_length = Some(max);
        self
    }

    /// Autocomplete (STRING, INTEGER and NUMBER; not with choices).
    pub fn autocomplete(mut self, autocomplete: bool) -> Self {
        self.option.autocomplete = Some(autocomplete);
        self
    }

    /// Adds a localised name.
    pub fn name_localization(mut self, locale: impl Into<String>, name: impl Into<String>) -> Self {
        self.option
            .name_localizations
            .get_or_insert_with(Default::default)
            .insert(locale.into(), name.into());
        self
    }

    /// Adds a localised description.
    pub fn description_localization(
        mut self,
        locale: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.option
            .description_localizations
            .get_or_insert_with(Default::default)
            .insert(locale.into(), description.into());
        self
    }

    /// Checks the option's rules (recursively; see the
    /// [module docs](crate::command)).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first rule broken.
    pub fn build(self) -> Result<CommandOption, ValidationError> {
        validate_option(&self.option)?;
        Ok(self.option)
    }
}

/// What holds a list of options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    Command,
    Group,
    SubCommand,
}

fn is_subcommand(kind: CommandOptionType) -> bool {
    matches!(
        kind,
        CommandOptionType::SubCommand | CommandOptionType::SubCommandGroup
    )
}

/// The localised values of a field.
fn localized(map: &Option<Localizations>) -> impl Iterator<Item = &String> {
    map.iter().flat_map(|m| m.values())
}

/// The longest of a field's default and its localisations: what the
/// 8000-character total counts.
fn longest(default: &str, map: &Option<Localizations>) -> usize {
    localized(map)
        .map(|s| chars(s))
        .fold(chars(default), usize::max)
}

/// `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`, lowercase where a
/// lowercase form exists (CHAT_INPUT commands and all option names); 1-32
/// characters of anything for USER/MESSAGE commands.
fn validate_name(field: &'static str, name: &str, strict: bool) -> Result<(), ValidationError> {
    check_len(field, name, 1, COMMAND_NAME)?;
    if !strict {
        return Ok(());
    }
    for c in name.chars() {
        let script = matches!(c, '\u{0900}'..='\u{097F}' | '\u{0E00}'..='\u{0E7F}');
        if !(c.is_alphanumeric() || matches!(c, '-' | '_' | '\'') || script) {
            return Err(ValidationError::Invalid {
                field,
                reason: "names may only hold letters, numbers, '-', '_' and '\\''",
            });
        }
        if c.to_lowercase().ne(std::iter::once(c)) {
            return Err(ValidationError::Invalid {
                field,
                reason: "CHAT_INPUT command and option names must be lowercase",
            });
        }
    }
    Ok(())
}

fn validate_options(options: &[CommandOption], parent: Parent) -> Result<(), ValidationError> {
    check_count("options", options.len(), 0, COMMAND_OPTIONS)?;
    let nested = options.iter().filter(|o| is_subcommand(o.kind)).count();
    match parent {
        Parent::Command if nested != 0 && nested != options.len() => {
            return Err(ValidationError::Invalid {
                field: "options",
                reason: "subcommands and groups cannot be mixed with value options",
            })
        }
        Parent::Group
            if options
                .iter()
                .any(|o| o.kind != CommandOptionType::SubCommand) =>
        {
            return Err(ValidationError::Invalid {
                field: "options[].options",
                reason: "a subcommand group holds only subcommands",
            })
        }
        Parent::SubCommand if nested != 0 => {
            return Err(ValidationError::Invalid {
                field: "options[].options",
                reason: "a subcommand holds only value options (groups hold subcommands, \
                         not the other way round)",
            })
        }
        _ => {}
    }
    let mut names = HashSet::new();
    let mut seen_optional = false;
    for option in options {
        if !names.insert(option.name.as_str()) {
            return Err(ValidationError::Duplicate {
                field: "options[].name",
                value: option.name.clone(),
            });
        }
        if !is_subcommand(option.kind) {
            if option.required == Some(true) {
                if seen_optional {
                    return Err(ValidationError::Invalid {
                        field: "options[].required",
                        reason: "required options must come before optional ones",
                    });
                }
            } else {
                seen_optional = true;
            }
        }
        validate_option(option)?;
    }
    Ok(())
}

fn validate_option(option: &CommandOption) -> Result<(), ValidationError> {
    use CommandOptionType as T;
    validate_name("options[].name", &option.name, true)?;
    for name in localized(&option.name_localizations) {
        validate_name("options[].name_localizations", name, true)?;
    }
    check_len(
        "options[].description",
        &option.description,
        1,
        COMMAND_DESCRIPTION,
    )?;
    for d in localized(&option.description_localizations) {
        check_len(
            "options[].description_localizations",
            d,
            1,
            COMMAND_DESCRIPTION,
        )?;
    }
    match option.kind {
        T::SubCommand | T::SubCommandGroup => {
            if option.required == Some(true) {
                return Err(ValidationError::Invalid {
                    field: "options[].required",
                    reason: "subcommands and groups cannot be required",
                });
            }
            let parent = if option.kind == T::SubCommand {
                Parent::SubCommand
            } else {
                Parent::Group
            };
            validate_options(&option.options, parent)?;
        }
        _ if !option.options.is_empty() => {
            return Err(ValidationError::Invalid {
                field: "options[].options",
                reason: "only subcommands and groups have nested options",
            })
        }
        _ => {}
    }
    let typed = matches!(option.kind, T::String | T::Integer | T::Number);
    check_count(
        "options[].choices",
        option.choices.len(),
        0,
        COMMAND_CHOICES,
    )?;
    if !option.choices.is_empty() {
        if !typed {
            return Err(ValidationError::Invalid {
                field: "options[].choices",
                reason: "only STRING, INTEGER and NUMBER options take choices",
            });
        }
        if option.autocomplete == Some(true) {
            return Err(ValidationError::Invalid {
                field: "options[].autocomplete",
                reason: "autocomplete cannot be combined with choices",
            });
        }
    }
    for choice in &option.choices {
        validate_choice(choice)?;
        for name in localized(&choice.name_localizations) {
            check_len("choices[].name_localizations", name, 1, CHOICE_NAME)?;
        }
        check_choice_value(option.kind, &choice.value)?;
    }
    if option.autocomplete == Some(true) && !typed {
        return Err(ValidationError::Invalid {
            field: "options[].autocomplete",
            reason: "only STRING, INTEGER and NUMBER options autocomplete",
        });
    }
    if !option.channel_types.is_empty() && option.kind != T::Channel {
        return Err(ValidationError::Invalid {
            field: "options[].channel_types",
            reason: "only CHANNEL options take channel_types",
        });
    }
    if option.min_length.is_some() || option.max_length.is_some() {
        if option.kind != T::String {
            return Err(ValidationError::Invalid {
                field: "options[].min_length",
                reason: "only STRING options take min_length and max_length",
            });
        }
        let limit = i64::from(STRING_OPTION_LENGTH);
        if let Some(min) = option.min_length {
            check_range("options[].min_length", i64::from(min), 0, limit)?;
        }
        if let Some(max) = option.max_length {
            check_range("options[].max_length", i64::from(max), 1, limit)?;
        }
        if let (Some(min), Some(max)) = (option.min_length, option.max_length) {
            if min > max {
                return Err(ValidationError::Invalid {
                    field: "options[].min_length",
                    reason: "min_length must not exceed max_length",
                });
            }
        }
    }
    if option.min_value.is_some() || option.max_value.is_some() {
        if !matches!(option.kind, T::Integer | T::Number) {
            return Err(ValidationError::Invalid {
                field: "options[].min_value",
                reason: "only INTEGER and NUMBER options take min_value and max_value",
            });
        }
        let min = option
            .min_value
            .map(|v| check_bound("options[].min_value", option.kind, v))
            .transpose()?;
        let max = option
            .max_value
            .map(|v| check_bound("options[].max_value", option.kind, v))
            .transpose()?;
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                return Err(ValidationError::Invalid {
                    field: "options[].min_value",
                    reason: "min_value must not exceed max_value",
                });
            }
        }
    }
    Ok(())
}

/// Checks a bound or a choice value of an INTEGER (±(2^53−1), whole) or
/// NUMBER (±2^53, finite) option; returns it as a double.
fn check_bound(
    field: &'static str,
    kind: CommandOptionType,
    value: CommandNumber,
) -> Result<f64, ValidationError> {
    let integer = kind == CommandOptionType::Integer;
    let max = if integer {
        INTEGER_OPTION_MAX
    } else {
        INTEGER_OPTION_MAX + 1
    };
    match value {
        CommandNumber::Integer(v) => {
            check_range(field, v, -max, max)?;
            // cannot lose precision: |v| <= 2^53
            Ok(v as f64)
        }
        CommandNumber::Number(v) if integer && v.fract() != 0.0 => Err(ValidationError::Invalid {
            field,
            reason: "INTEGER options take whole numbers",
        }),
        CommandNumber::Number(v) if !v.is_finite() || v.abs() > NUMBER_OPTION_MAX => {
            Err(ValidationError::Invalid {
                field,
                reason: "NUMBER values must be finite and within ±2^53",
            })
        }
        CommandNumber::Number(v) => {
            if integer {
                // whole and within ±2^53 (checked above), so exact in i64
                check_range(field, v as i64, -max, max)?;
            }
            Ok(v)
        }
    }
}

/// A choice's value has its option's type.
fn check_choice_value(kind: CommandOptionType, value: &ChoiceValue) -> Result<(), ValidationError> {
    const FIELD: &str = "options[].choices[].value";
    match (kind, value) {
        (CommandOptionType::String, ChoiceValue::String(_)) => Ok(()),
        (CommandOptionType::Integer | CommandOptionType::Number, ChoiceValue::Integer(v)) => {
            check_bound(FIELD, kind, CommandNumber::Integer(*v)).map(drop)
        }
        (CommandOptionType::Integer | CommandOptionType::Number, ChoiceValue::Number(v)) => {
            check_bound(FIELD, kind, CommandNumber::Number(*v)).map(drop)
        }
        _ => Err(ValidationError::Invalid {
            field: FIELD,
            reason: "a choice's value must have its option's type (string, integer or number)",
        }),
    }
}

fn choice_len(value: &ChoiceValue) -> usize {
    match value {
        ChoiceValue::String(s) => chars(s),
        ChoiceValue::Integer(i) => i.to_string().len(),
        ChoiceValue::Number(n) => n.to_string().len(),
    }
}

fn options_size(options: &[CommandOption]) -> usize {
    options
        .iter()
        .map(|o| {
            longest(&o.name, &o.name_localizations)
                + longest(&o.description, &o.description_localizations)
                + o.choices
                    .iter()
                    .map(|c| longest(&c.name, &c.name_localizations) + choice_len(&c.value))
                    .sum::<usize>()
                + options_size(&o.options)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandOptionType as T;

    fn string(name: &str, required: bool) -> CommandOption {
        CommandOptionBuilder::new(T::String, name, "d")
            .required(required)
            .build()
            .unwrap()
    }

    fn sub(name: &str) -> CommandOptionBuilder {
        CommandOptionBuilder::new(T::SubCommand, name, "d")
    }

    fn invalid(result: Result<impl std::fmt::Debug, ValidationError>) -> &'static str {
        match result.unwrap_err() {
            ValidationError::Invalid { reason, .. } => reason,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn names() {
        assert!(CommandBuilder::chat_input("ping", "d").build().is_ok());
        assert!(CommandBuilder::chat_input("pi ng", "d").build().is_err());
        assert!(CommandBuilder::chat_input("ПИНГ", "d").build().is_err());
        assert!(CommandBuilder::chat_input("пинг", "d").build().is_ok());
        assert!(CommandBuilder::chat_input("नमस्ते", "d").build().is_ok());
        assert!(CommandBuilder::chat_input("x".repeat(33), "d")
            .build()
            .is_err());
        assert!(CommandBuilder::user("Show Profile").build().is_ok());
        assert!(CommandBuilder::chat_input("ping", "").build().is_err());
        assert!(CommandBuilder::chat_input("ping", "d".repeat(101))
            .build()
            .is_err());
        let mut user = CommandBuilder::user("Profile");
        user.command.description = "no".into();
        assert!(user.build().is_err());
        assert!(CommandBuilder::user("Profile")
            .description_localization("de", "Profil")
            .build()
            .is_err());
        assert!(CommandBuilder::user("")
            .build()
            .is_err_and(|e| e.field() == "name"));
    }

    #[test]
    fn every_option_type_builds() {
        for kind in [
            T::String,
            T::Integer,
            T::Boolean,
            T::User,
            T::Channel,
            T::Role,
            T::Mentionable,
            T::Number,
            T::Attachment,
        ] {
            let option = CommandOptionBuilder::new(kind, "value", "A value")
                .required(true)
                .build()
                .unwrap();
            assert!(CommandBuilder::chat_input("cmd", "d")
                .option(option)
                .build()
                .is_ok());
        }
        let full = CommandOptionBuilder::new(T::String, "text", "Text")
            .min_length(0)
            .max_length(6000)
            .autocomplete(true)
            .name_localization("de", "text")
            .description_localization("de", "Der Text")
            .build();
        assert!(full.is_ok());
        let numbers = CommandOptionBuilder::new(T::Number, "x", "d")
            .min_value(CommandNumber::Number(-0.5))
            .max_value(CommandNumber::Integer(1 << 53))
            .build();
        assert!(numbers.is_ok());
        let channel = CommandOptionBuilder::new(T::Channel, "c", "d")
            .channel_types([ChannelType::GuildText, ChannelType::GuildVoice])
            .build();
        assert!(channel.is_ok());
        let choices = CommandOptionBuilder::new(T::String, "animal", "d")
            .choice("Dog", ChoiceValue::String("dog".into()))
            .localized_choice("Cat", ChoiceValue::String("cat".into()), [("de", "Katze")])
            .build()
            .unwrap();
        assert_eq!(
            choices.choices[1].name_localizations.as_ref().unwrap()["de"],
            "Katze"
        );
    }

    #[test]
    fn option_rules() {
        let err = CommandBuilder::chat_input("a", "d")
            .option(string("opt", false))
            .option(string("req", true))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "options[].required");
        let mut many = CommandBuilder::chat_input("a", "d");
        for i in 0..26 {
            many = many.option(string(&format!("o{i}"), false));
        }
        assert!(matches!(
            many.build(),
            Err(ValidationError::TooMany { max: 25, .. })
        ));
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .choice("a", ChoiceValue::String("a".into()))
            .autocomplete(true)
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .choice("a", ChoiceValue::String("v".repeat(101)))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .max_length(6001)
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Integer, "i", "d")
            .max_value(CommandNumber::Integer(1 << 53))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Boolean, "b", "d")
            .choice("a", ChoiceValue::Integer(1))
            .build()
            .is_err());
        let mut choices = CommandOptionBuilder::new(T::Integer, "i", "d");
        for i in 0..26 {
            choices = choices.choice(format!("c{i}"), ChoiceValue::Integer(i));
        }
        assert!(matches!(
            choices.build(),
            Err(ValidationError::TooMany { max: 25, .. })
        ));
    }

    #[test]
    fn fields_only_on_the_option_types_they_belong_to() {
        let reason = invalid(
            CommandOptionBuilder::new(T::String, "s", "d")
                .channel_types([ChannelType::GuildText])
                .build(),
        );
        assert!(reason.contains("CHANNEL"));
        assert!(invalid(
            CommandOptionBuilder::new(T::Integer, "i", "d")
                .min_length(1)
                .build()
        )
        .contains("STRING"));
        assert!(invalid(
            CommandOptionBuilder::new(T::String, "s", "d")
                .min_value(CommandNumber::Integer(1))
                .build()
        )
        .contains("INTEGER and NUMBER"));
        assert!(invalid(
            CommandOptionBuilder::new(T::Boolean, "b", "d")
                .autocomplete(true)
                .build()
        )
        .contains("autocomplete"));
        assert!(CommandOptionBuilder::new(T::Boolean, "b", "d")
            .autocomplete(false)
            .build()
            .is_ok());
        // minimum above maximum
        assert!(invalid(
            CommandOptionBuilder::new(T::String, "s", "d")
                .min_length(10)
                .max_length(5)
                .build()
        )
        .contains("min_length"));
        assert!(invalid(
            CommandOptionBuilder::new(T::Number, "n", "d")
                .min_value(CommandNumber::Number(2.5))
                .max_value(CommandNumber::Integer(2))
                .build()
        )
        .contains("min_value"));
        // whole numbers for INTEGER, finite within ±2^53 for NUMBER
        assert!(CommandOptionBuilder::new(T::Integer, "i", "d")
            .min_value(CommandNumber::Number(1.5))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Integer, "i", "d")
            .min_value(CommandNumber::Number(2.0))
            .build()
            .is_ok());
        assert!(CommandOptionBuilder::new(T::Number, "n", "d")
            .max_value(CommandNumber::Number(1e16))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Number, "n", "d")
            .max_value(CommandNumber::Number(f64::NAN))
            .build()
            .is_err());
    }

    #[test]
    fn choices_have_their_options_type() {
        assert!(CommandOptionBuilder::new(T::Integer, "i", "d")
            .choice("a", ChoiceValue::String("1".into()))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Integer, "i", "d")
            .choice("a", ChoiceValue::Number(1.5))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .choice("a", ChoiceValue::Integer(1))
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::Number, "n", "d")
            .choice("a", ChoiceValue::Integer(1))
            .choice("b", ChoiceValue::Number(1.5))
            .build()
            .is_ok());
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .localized_choice(
                "a",
                ChoiceValue::String("a".into()),
                [("de", "x".repeat(101))]
            )
            .build()
            .is_err_and(|e| e.field() == "choices[].name_localizations"));
    }

    #[test]
    fn subcommands_nest_only_as_discord_documents() {
        let leaf = || sub("leaf").option(string("x", true)).build().unwrap();
        let group = |inner: CommandOption| {
            CommandOptionBuilder::new(T::SubCommandGroup, "group", "d").option(inner)
        };
        // command > group > subcommand, next to a plain subcommand: valid
        let ok = CommandBuilder::chat_input("a", "d")
            .option(group(leaf()).build().unwrap())
            .option(sub("plain").build().unwrap())
            .build();
        assert!(ok.is_ok());
        // a subcommand in a subcommand
        assert!(invalid(sub("outer").option(leaf()).build()).contains("value options"));
        // a group in a group
        let inner = group(leaf()).build().unwrap();
        assert!(invalid(group(inner.clone()).build()).contains("only subcommands"));
        // a group in a subcommand
        assert!(sub("s").option(inner).build().is_err());
        // value options straight in a group
        assert!(group(string("v", false)).build().is_err());
        // subcommands mixed with value options
        assert!(invalid(
            CommandBuilder::chat_input("a", "d")
                .option(leaf())
                .option(string("y", false))
                .build()
        )
        .contains("mixed"));
        // options below a value option
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .option(string("x", false))
            .build()
            .is_err());
        // subcommands are never required
        assert!(invalid(sub("s").required(true).build()).contains("required"));
    }

    #[test]
    fn option_names_are_unique_per_level() {
        let err = CommandBuilder::chat_input("a", "d")
            .option(string("same", true))
            .option(string("same", false))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ValidationError::Duplicate {
                field: "options[].name",
                value: "same".into()
            }
        );
        // the same name at different levels is fine
        let ok = CommandBuilder::chat_input("a", "d")
            .option(sub("x").option(string("x", false)).build().unwrap())
            .build();
        assert!(ok.is_ok());
    }

    #[test]
    fn localizations_follow_the_rules_of_their_field() {
        assert!(CommandBuilder::chat_input("ping", "d")
            .name_localization("de", "Ping")
            .build()
            .is_err_and(|e| e.field() == "name_localizations"));
        assert!(CommandBuilder::chat_input("ping", "d")
            .description_localization("de", "")
            .build()
            .is_err());
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .name_localization("de", "mit leerzeichen")
            .build()
            .is_err_and(|e| e.field() == "options[].name_localizations"));
        assert!(CommandOptionBuilder::new(T::String, "s", "d")
            .description_localization("de", "d".repeat(101))
            .build()
            .is_err());
        // context-menu names may be localised with capitals and spaces
        assert!(CommandBuilder::user("Profile")
            .name_localization("de", "Profil Zeigen")
            .build()
            .is_ok());
    }

    #[test]
    fn only_chat_input_takes_options_and_only_entry_points_a_handler() {
        let mut entry = CommandBuilder::entry_point(
            "launch",
            "Launch",
            EntryPointCommandHandlerType::DiscordLaunchActivity,
        );
        assert!(entry.clone().build().is_ok());
        entry = entry.option(string("x", false));
        assert!(entry.build().is_err_and(|e| e.field() == "options"));
        let mut slash = CommandBuilder::chat_input("a", "d");
        slash.command.handler = Some(EntryPointCommandHandlerType::AppHandler);
        assert!(slash.build().is_err_and(|e| e.field() == "handler"));
    }

    #[test]
    fn total_size() {
        let mut cmd = CommandBuilder::chat_input("a", "d".repeat(100));
        for i in 0..25 {
            let mut option = CommandOptionBuilder::new(T::String, format!("o{i}"), "d".repeat(100));
            for j in 0..25 {
                option = option.choice(format!("c{j}"), ChoiceValue::String("v".repeat(100)));
            }
            cmd = cmd.option(option.build().unwrap());
        }
        assert!(matches!(
            cmd.build(),
            Err(ValidationError::TooLong { max: 8000, .. })
        ));
    }

    #[test]
    fn total_size_counts_the_longest_localisation_of_each_field() {
        // "a" + "d" + 25 options of 3 + 100 + 3 * (3 + 68) characters: 7902
        let build = |localised: bool| {
            let mut cmd = CommandBuilder::chat_input("a", "d");
            for i in 0..25 {
                let mut option =
                    CommandOptionBuilder::new(T::String, format!("o{i:02}"), "d".repeat(100));
                for j in 0..3 {
                    option = option.choice(format!("c{j:02}"), ChoiceValue::String("v".repeat(68)));
                }
                cmd = cmd.option(option.build().unwrap());
            }
            if localised {
                // the description's longest form is now 100 characters: +99
                cmd = cmd.description_localization("de", "b".repeat(100));
            }
            cmd.build()
        };
        assert!(build(false).is_ok());
        assert!(matches!(
            build(true),
            Err(ValidationError::TooLong {
                actual: 8001,
                max: 8000,
                ..
            })
        ));
    }

    #[test]
    fn lists_check_counts_unique_names_and_each_command() {
        let users: Vec<_> = (0..16)
            .map(|i| CommandBuilder::user(format!("User {i}")).build().unwrap())
            .collect();
        assert!(validate_command_list(&users[..15], false).is_ok());
        assert!(matches!(
            validate_command_list(&users, false),
            Err(ValidationError::TooMany { max: 15, .. })
        ));
        let ping = CommandBuilder::chat_input("ping", "d").build().unwrap();
        let dup = [ping.clone(), ping.clone()];
        assert_eq!(
            validate_command_list(&dup, false),
            Err(ValidationError::Duplicate {
                field: "commands[].name (per type)",
                value: "ping".into()
            })
        );
        // one name, two types: allowed
        let user_ping = CommandBuilder::user("ping").build().unwrap();
        assert!(validate_command_list(&[ping.clone(), user_ping], false).is_ok());
        // entry points are global only
        let entry = CommandBuilder::entry_point(
            "launch",
            "Launch",
            EntryPointCommandHandlerType::AppHandler,
        )
        .build()
        .unwrap();
        assert!(validate_command_list(std::slice::from_ref(&entry), false).is_ok());
        assert!(validate_command_list(&[entry], true).is_err());
        // a broken command is named
        let mut broken = ping;
        broken.name = "Ping".into();
        let err = validate_command_list(&[broken], false).unwrap_err();
        assert!(matches!(&err, ValidationError::InCommand { name, .. } if name == "Ping"));
        assert_eq!(err.field(), "name");
    }
}
