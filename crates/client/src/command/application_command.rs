//! Application command definitions (discord-protocol.md §10.6, §9).

use serde::{Deserialize, Serialize};

use super::error::{chars, check_count, check_len, check_range, ValidationError};
use super::interaction::validate_choice;
use super::limits::{
    COMMAND_CHOICES, COMMAND_DESCRIPTION, COMMAND_NAME, COMMAND_OPTIONS, COMMAND_TOTAL_SIZE,
    INTEGER_OPTION_MAX, STRING_OPTION_LENGTH,
};
use crate::model::{
    ApplicationIntegrationType, ChannelType, ChoiceValue, CommandNumber, CommandOption,
    CommandOptionChoice, CommandOptionType, CommandType, EntryPointCommandHandlerType,
    InteractionContextType, Localizations, Permissions,
};

/// The body of Create / Edit / Bulk Overwrite application command.
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
    /// Installation types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_types: Option<Vec<ApplicationIntegrationType>>,
    /// Contexts where usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<InteractionContextType>>,
    /// Age-restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    /// Entry point handler (PRIMARY_ENTRY_POINT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<EntryPointCommandHandlerType>,
}

/// Builds a [`CommandDefinition`].
///
/// ```
/// use acord::command::{CommandBuilder, CommandOptionBuilder};
/// use acord::model::CommandOptionType;
/// let cmd = CommandBuilder::chat_input("echo", "Repeats what you say")
///     .option(
///         CommandOptionBuilder::new(CommandOptionType::String, "text", "What to say")
///             .required(true)
///             .max_length(200)
///             .build()
///             .unwrap(),
///     )
///     .build()
///     .unwrap();
/// assert_eq!(cmd.options.len(), 1);
/// assert!(CommandBuilder::chat_input("Echo", "capitals are not allowed").build().is_err());
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

    /// A user context-menu command.
    pub fn user(name: impl Into<String>) -> Self {
        Self::new(CommandType::User, name.into(), String::new())
    }

    /// A message context-menu command.
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

    /// Adds an option or subcommand (≤ 25).
    pub fn option(mut self, option: CommandOption) -> Self {
        self.command.options.push(option);
        self
    }

    /// Adds a localised name.
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

    /// Permissions a member needs by default.
    pub fn default_member_permissions(mut self, permissions: Permissions) -> Self {
        self.command.default_member_permissions = Some(permissions);
        self
    }

    /// Installation types.
    pub fn integration_types(
        mut self,
        types: impl IntoIterator<Item = ApplicationIntegrationType>,
    ) -> Self {
        self.command.integration_types = Some(types.into_iter().collect());
        self
    }

    /// Contexts.
    pub fn contexts(mut self, contexts: impl IntoIterator<Item = InteractionContextType>) -> Self {
        self.command.contexts = Some(contexts.into_iter().collect());
        self
    }

    /// Age-restricted.
    pub fn nsfw(mut self, nsfw: bool) -> Self {
        self.command.nsfw = Some(nsfw);
        self
    }

    /// Checks names, descriptions, option rules and the 8000-character
    /// total.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first rule broken.
    pub fn build(self) -> Result<CommandDefinition, ValidationError> {
        let c = &self.command;
        let slash = c.kind == CommandType::ChatInput;
        validate_name("name", &c.name, slash)?;
        for name in c.name_localizations.iter().flat_map(|m| m.values()) {
            validate_name("name_localizations", name, slash)?;
        }
        match c.kind {
            CommandType::User | CommandType::Message => {
                if !c.description.is_empty() {
                    return Err(ValidationError::Invalid {
                        field: "description",
                        reason: "USER and MESSAGE commands must have an empty description",
                    });
                }
                if !c.options.is_empty() {
                    return Err(ValidationError::Invalid {
                        field: "options",
                        reason: "only CHAT_INPUT commands take options",
                    });
                }
            }
            _ => {
                check_len("description", &c.description, 1, COMMAND_DESCRIPTION)?;
                for d in c.description_localizations.iter().flat_map(|m| m.values()) {
                    check_len("description_localizations", d, 1, COMMAND_DESCRIPTION)?;
                }
            }
        }
        validate_options(&c.options, 0)?;
        let total = chars(&c.name) + chars(&c.description) + options_size(&c.options);
        if total > COMMAND_TOTAL_SIZE {
            return Err(ValidationError::TooLong {
                field: "command (name, descriptions, values)",
                actual: total,
                max: COMMAND_TOTAL_SIZE,
            });
        }
        Ok(self.command)
    }
}

/// Builds a [`CommandOption`].
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

    /// Required (default false).
    pub fn required(mut self, required: bool) -> Self {
        self.option.required = Some(required);
        self
    }

    /// Adds a choice (≤ 25).
    pub fn choice(mut self, name: impl Into<String>, value: ChoiceValue) -> Self {
        self.option.choices.push(CommandOptionChoice {
            name: name.into(),
            name_localizations: None,
            value,
        });
        self
    }

    /// Adds a nested option (subcommands and groups).
    pub fn option(mut self, option: CommandOption) -> Self {
        self.option.options.push(option);
        self
    }

    /// Allowed channel types (CHANNEL).
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

    /// Autocomplete (not with choices).
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

    /// Checks the option's rules (recursively).
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first rule broken.
    pub fn build(self) -> Result<CommandOption, ValidationError> {
        validate_option(&self.option, 0)?;
        Ok(self.option)
    }
}

fn is_subcommand(kind: CommandOptionType) -> bool {
    matches!(
        kind,
        CommandOptionType::SubCommand | CommandOptionType::SubCommandGroup
    )
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

fn validate_options(options: &[CommandOption], depth: u8) -> Result<(), ValidationError> {
    check_count("options", options.len(), 0, COMMAND_OPTIONS)?;
    let subs = options.iter().filter(|o| is_subcommand(o.kind)).count();
    if subs != 0 && subs != options.len() {
        return Err(ValidationError::Invalid {
            field: "options",
            reason: "subcommands and groups cannot be mixed with value options",
        });
    }
    let mut seen_optional = false;
    for option in options {
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
        validate_option(option, depth)?;
    }
    Ok(())
}

fn validate_option(option: &CommandOption, depth: u8) -> Result<(), ValidationError> {
    validate_name("options[].name", &option.name, true)?;
    check_len(
        "options[].description",
        &option.description,
        1,
        COMMAND_DESCRIPTION,
    )?;
    match option.kind {
        CommandOptionType::SubCommandGroup if depth > 0 => {
            return Err(ValidationError::Invalid {
                field: "options[].type",
                reason: "subcommand groups can only be at the top level",
            })
        }
        CommandOptionType::SubCommand if depth > 1 => {
            return Err(ValidationError::Invalid {
                field: "options[].type",
                reason: "subcommands nest at most inside one group",
            })
        }
        CommandOptionType::SubCommandGroup
            if option
                .options
                .iter()
                .any(|o| o.kind != CommandOptionType::SubCommand) =>
        {
            return Err(ValidationError::Invalid {
                field: "options[].options",
                reason: "a subcommand group holds only subcommands",
            })
        }
        _ => {}
    }
    if !is_subcommand(option.kind) && !option.options.is_empty() {
        return Err(ValidationError::Invalid {
            field: "options[].options",
            reason: "only subcommands and groups have nested options",
        });
    }
    validate_options(&option.options, depth + 1)?;
    check_count(
        "options[].choices",
        option.choices.len(),
        0,
        COMMAND_CHOICES,
    )?;
    if !option.choices.is_empty() {
        if !matches!(
            option.kind,
            CommandOptionType::String | CommandOptionType::Integer | CommandOptionType::Number
        ) {
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
    }
    let len_limit = i64::from(STRING_OPTION_LENGTH);
    if let Some(min) = option.min_length {
        check_range("options[].min_length", i64::from(min), 0, len_limit)?;
    }
    if let Some(max) = option.max_length {
        check_range("options[].max_length", i64::from(max), 1, len_limit)?;
    }
    for (field, value) in [
        ("options[].min_value", option.min_value),
        ("options[].max_value", option.max_value),
    ] {
        if let Some(CommandNumber::Integer(v)) = value {
            check_range(field, v, -INTEGER_OPTION_MAX, INTEGER_OPTION_MAX)?;
        }
    }
    Ok(())
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
            chars(&o.name)
                + chars(&o.description)
                + o.choices
                    .iter()
                    .map(|c| chars(&c.name) + choice_len(&c.value))
                    .sum::<usize>()
                + options_size(&o.options)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(name: &str, required: bool) -> CommandOption {
        CommandOptionBuilder::new(CommandOptionType::String, name, "d")
            .required(required)
            .build()
            .unwrap()
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
        assert!(
            CommandOptionBuilder::new(CommandOptionType::String, "s", "d")
                .choice("a", ChoiceValue::String("a".into()))
                .autocomplete(true)
                .build()
                .is_err()
        );
        assert!(
            CommandOptionBuilder::new(CommandOptionType::String, "s", "d")
                .choice("a", ChoiceValue::String("v".repeat(101)))
                .build()
                .is_err()
        );
        assert!(
            CommandOptionBuilder::new(CommandOptionType::String, "s", "d")
                .max_length(6001)
                .build()
                .is_err()
        );
        assert!(
            CommandOptionBuilder::new(CommandOptionType::Integer, "i", "d")
                .max_value(CommandNumber::Integer(1 << 53))
                .build()
                .is_err()
        );
        assert!(
            CommandOptionBuilder::new(CommandOptionType::Boolean, "b", "d")
                .choice("a", ChoiceValue::Integer(1))
                .build()
                .is_err()
        );
        let sub = CommandOptionBuilder::new(CommandOptionType::SubCommand, "sub", "d")
            .option(string("x", true))
            .build()
            .unwrap();
        assert!(CommandBuilder::chat_input("a", "d")
            .option(sub.clone())
            .option(string("y", false))
            .build()
            .is_err());
        let group = CommandOptionBuilder::new(CommandOptionType::SubCommandGroup, "g", "d")
            .option(sub)
            .build()
            .unwrap();
        assert!(CommandBuilder::chat_input("a", "d")
            .option(group)
            .build()
            .is_ok());
    }

    #[test]
    fn total_size() {
        let mut cmd = CommandBuilder::chat_input("a", "d".repeat(100));
        for i in 0..25 {
            let mut option = CommandOptionBuilder::new(
                CommandOptionType::String,
                format!("o{i}"),
                "d".repeat(100),
            );
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
}
