//! Typed access to a command's options.

use crate::model::{
    Attachment, Channel, CommandDataOption, CommandOptionType, InteractionResolved, Member,
    OptionValue, Role, User,
};

/// Why an option could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// The interaction has no option of that name (an optional option the
    /// user left out, or a name the command does not have).
    #[error("the command has no option `{0}`")]
    Missing(String),
    /// The option has another type than the one asked for.
    #[error("option `{name}` is a {actual:?}, not a {expected}")]
    WrongType {
        /// The option's name.
        name: String,
        /// What was asked for.
        expected: &'static str,
        /// What the option is.
        actual: CommandOptionType,
    },
    /// The option names a user, role, channel or attachment that the
    /// interaction's resolved data does not carry.
    #[error("option `{0}` is not in the interaction's resolved data")]
    Unresolved(String),
}

/// A mentionable option: a user or a role.
#[derive(Clone, Copy, Debug)]
pub enum Mentionable<'a> {
    /// A user (with their member, in a guild).
    User(&'a User, Option<&'a Member>),
    /// A role.
    Role(&'a Role),
}

/// The options of a command, below its subcommand path; see
/// [`InteractionContext::options`](super::InteractionContext::options).
///
/// ```
/// # fn f(ctx: &acord::interactions::InteractionContext) -> Result<(), acord::interactions::OptionError> {
/// let options = ctx.options();
/// let query: &str = options.string("query")?;
/// let limit: i64 = options.integer("limit").unwrap_or(10); // optional
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    options: &'a [CommandDataOption],
    resolved: Option<&'a InteractionResolved>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(
        options: &'a [CommandDataOption],
        resolved: Option<&'a InteractionResolved>,
    ) -> Self {
        Self { options, resolved }
    }

    /// Every option given (below the subcommand path).
    pub fn all(&self) -> &'a [CommandDataOption] {
        self.options
    }

    /// The option named `name`, whatever its type.
    pub fn get(&self, name: &str) -> Option<&'a CommandDataOption> {
        self.options.iter().find(|o| o.name == name)
    }

    /// Whether the option was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The option being typed in an autocomplete request.
    pub fn focused(&self) -> Option<&'a CommandDataOption> {
        self.options.iter().find(|o| o.focused == Some(true))
    }

    fn typed(
        &self,
        name: &str,
        expected: &'static str,
        kinds: &[CommandOptionType],
    ) -> Result<&'a CommandDataOption, OptionError> {
        let option = self
            .get(name)
            .ok_or_else(|| OptionError::Missing(name.to_owned()))?;
        if kinds.contains(&option.kind) {
            Ok(option)
        } else {
            Err(OptionError::WrongType {
                name: name.to_owned(),
                expected,
                actual: option.kind,
            })
        }
    }

    fn value(
        &self,
        name: &str,
        expected: &'static str,
        kind: CommandOptionType,
    ) -> Result<&'a OptionValue, OptionError> {
        let option = self.typed(name, expected, &[kind])?;
        option.value.as_ref().ok_or_else(|| OptionError::WrongType {
            name: name.to_owned(),
            expected,
            actual: option.kind,
        })
    }

    fn wrong(&self, name: &str, expected: &'static str, kind: CommandOptionType) -> OptionError {
        OptionError::WrongType {
            name: name.to_owned(),
            expected,
            actual: kind,
        }
    }

    /// A STRING option (also what the user has typed so far in an
    /// autocomplete request).
    ///
    /// # Errors
    /// [`OptionError`] when it is missing or not a string.
    pub fn string(&self, name: &str) -> Result<&'a str, OptionError> {
        self.value(name, "string", CommandOptionType::String)?
            .as_str()
            .ok_or_else(|| self.wrong(name, "string", CommandOptionType::String))
    }

    /// An INTEGER option.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing or not an integer.
    pub fn integer(&self, name: &str) -> Result<i64, OptionError> {
        self.value(name, "integer", CommandOptionType::Integer)?
            .as_i64()
            .ok_or_else(|| self.wrong(name, "integer", CommandOptionType::Integer))
    }

    /// A NUMBER option.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing or not a number.
    pub fn number(&self, name: &str) -> Result<f64, OptionError> {
        self.value(name, "number", CommandOptionType::Number)?
            .as_f64()
            .ok_or_else(|| self.wrong(name, "number", CommandOptionType::Number))
    }

    /// A BOOLEAN option.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing or not a boolean.
    pub fn boolean(&self, name: &str) -> Result<bool, OptionError> {
        self.value(name, "boolean", CommandOptionType::Boolean)?
            .as_bool()
            .ok_or_else(|| self.wrong(name, "boolean", CommandOptionType::Boolean))
    }

    /// The snowflake an id-valued option carries.
    fn id(
        &self,
        name: &str,
        expected: &'static str,
        kinds: &[CommandOptionType],
    ) -> Result<u64, OptionError> {
        let option = self.typed(name, expected, kinds)?;
        option
            .value
            .as_ref()
            .and_then(OptionValue::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.wrong(name, expected, option.kind))
    }

    fn resolved(&self, name: &str) -> Result<&'a InteractionResolved, OptionError> {
        self.resolved
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// A USER option's user.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not a user, or not resolved.
    pub fn user(&self, name: &str) -> Result<&'a User, OptionError> {
        let id = self.id(name, "user", &[CommandOptionType::User])?;
        self.resolved(name)?
            .users
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, u)| u)
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// A USER option's member (in a guild; partial: without `user`, `deaf`
    /// and `mute`).
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not a user, or the user is not
    /// a member of the guild.
    pub fn member(&self, name: &str) -> Result<&'a Member, OptionError> {
        let id = self.id(name, "user", &[CommandOptionType::User])?;
        self.resolved(name)?
            .members
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, m)| m)
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// A ROLE option.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not a role, or not resolved.
    pub fn role(&self, name: &str) -> Result<&'a Role, OptionError> {
        let id = self.id(name, "role", &[CommandOptionType::Role])?;
        self.resolved(name)?
            .roles
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, r)| r)
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// A CHANNEL option (a partial channel).
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not a channel, or not resolved.
    pub fn channel(&self, name: &str) -> Result<&'a Channel, OptionError> {
        let id = self.id(name, "channel", &[CommandOptionType::Channel])?;
        self.resolved(name)?
            .channels
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, c)| c)
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// An ATTACHMENT option.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not an attachment, or not
    /// resolved.
    pub fn attachment(&self, name: &str) -> Result<&'a Attachment, OptionError> {
        let id = self.id(name, "attachment", &[CommandOptionType::Attachment])?;
        self.resolved(name)?
            .attachments
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, a)| a)
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }

    /// A MENTIONABLE option: a user (with their member) or a role.
    ///
    /// # Errors
    /// [`OptionError`] when it is missing, not mentionable, or not
    /// resolved.
    pub fn mentionable(&self, name: &str) -> Result<Mentionable<'a>, OptionError> {
        let id = self.id(name, "mentionable", &[CommandOptionType::Mentionable])?;
        let resolved = self.resolved(name)?;
        if let Some((_, user)) = resolved.users.iter().find(|(k, _)| k.get() == id) {
            let member = resolved
                .members
                .iter()
                .find(|(k, _)| k.get() == id)
                .map(|(_, m)| m);
            return Ok(Mentionable::User(user, member));
        }
        resolved
            .roles
            .iter()
            .find(|(k, _)| k.get() == id)
            .map(|(_, r)| Mentionable::Role(r))
            .ok_or_else(|| OptionError::Unresolved(name.to_owned()))
    }
}

/// Splits a command's options into its subcommand path and the options
/// below it.
pub(crate) fn descend(mut options: &[CommandDataOption]) -> (Vec<&str>, &[CommandDataOption]) {
    let mut path = Vec::new();
    while let [only] = options {
        if matches!(
            only.kind,
            CommandOptionType::SubCommand | CommandOptionType::SubCommandGroup
        ) {
            path.push(only.name.as_str());
            options = &only.options;
        } else {
            break;
        }
    }
    (path, options)
}
