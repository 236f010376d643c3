//! Application commands as Discord returns them (discord-protocol.md §10.6).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    int_enum, ApplicationId, ApplicationIntegrationType, ChannelType, CommandId, GenericId,
    GuildId, InteractionContextType, Permissions,
};

int_enum! {
    /// Command type.
    pub enum CommandType: u16 {
        /// Slash command.
        ChatInput = 1,
        /// User context menu.
        User = 2,
        /// Message context menu.
        Message = 3,
        /// Activity entry point.
        PrimaryEntryPoint = 4,
    }
}

int_enum! {
    /// Command option type.
    pub enum CommandOptionType: u16 {
        /// Subcommand.
        SubCommand = 1,
        /// Subcommand group.
        SubCommandGroup = 2,
        /// String.
        String = 3,
        /// Integer (−2^53..2^53).
        Integer = 4,
        /// Boolean.
        Boolean = 5,
        /// User.
        User = 6,
        /// Channel.
        Channel = 7,
        /// Role.
        Role = 8,
        /// User or role.
        Mentionable = 9,
        /// Double.
        Number = 10,
        /// Attachment.
        Attachment = 11,
    }
}

int_enum! {
    /// Entry point command handler.
    pub enum EntryPointCommandHandlerType: u16 {
        /// The app handles the interaction.
        AppHandler = 1,
        /// Discord launches the activity.
        DiscordLaunchActivity = 2,
    }
}

int_enum! {
    /// What a command permission targets.
    pub enum CommandPermissionType: u16 {
        /// A role.
        Role = 1,
        /// A user.
        User = 2,
        /// A channel.
        Channel = 3,
    }
}

/// Localised strings by locale (`"de"`, `"en-US"`, …).
pub type Localizations = HashMap<String, String>;

/// An application command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationCommand {
    /// Command ID.
    pub id: CommandId,
    /// Type (default CHAT_INPUT).
    #[serde(rename = "type", default = "chat_input")]
    pub kind: CommandType,
    /// Application.
    pub application_id: ApplicationId,
    /// Guild of a guild command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Name (1-32).
    pub name: String,
    /// Localised names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<Localizations>,
    /// Description (1-100; empty for USER/MESSAGE).
    #[serde(default)]
    pub description: String,
    /// Localised descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_localizations: Option<Localizations>,
    /// Options (CHAT_INPUT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandOption>,
    /// Permissions needed by default.
    #[serde(default)]
    pub default_member_permissions: Option<Permissions>,
    /// Deprecated: usable in DMs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_permission: Option<bool>,
    /// To be deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_permission: Option<bool>,
    /// Age-restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    /// Installation types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_types: Option<Vec<ApplicationIntegrationType>>,
    /// Contexts where usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<InteractionContextType>>,
    /// Version snowflake.
    pub version: GenericId,
    /// Entry point handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<EntryPointCommandHandlerType>,
}

fn chat_input() -> CommandType {
    CommandType::ChatInput
}

/// A command option (or subcommand).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandOption {
    /// Type.
    #[serde(rename = "type")]
    pub kind: CommandOptionType,
    /// Name (1-32).
    pub name: String,
    /// Localised names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<Localizations>,
    /// Description (1-100).
    pub description: String,
    /// Localised descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_localizations: Option<Localizations>,
    /// Required (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Choices (≤ 25).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<CommandOptionChoice>,
    /// Nested options (subcommands, groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandOption>,
    /// Allowed channel types (CHANNEL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_types: Vec<ChannelType>,
    /// Minimum (INTEGER/NUMBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<CommandNumber>,
    /// Maximum (INTEGER/NUMBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<CommandNumber>,
    /// Minimum length (STRING, 0-6000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u16>,
    /// Maximum length (STRING, 1-6000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u16>,
    /// Autocomplete enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<bool>,
}

/// An integer or a double (option bounds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandNumber {
    /// Integer.
    Integer(i64),
    /// Double.
    Number(f64),
}

/// A predefined choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandOptionChoice {
    /// Name (1-100).
    pub name: String,
    /// Localised names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<Localizations>,
    /// Value.
    pub value: ChoiceValue,
}

/// A choice value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChoiceValue {
    /// Integer.
    Integer(i64),
    /// Double.
    Number(f64),
    /// String (≤ 100).
    String(String),
}

/// Permissions of one command in a guild
/// (APPLICATION_COMMAND_PERMISSIONS_UPDATE).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildCommandPermissions {
    /// Command ID, or the application ID for app-wide permissions.
    pub id: GenericId,
    /// Application.
    pub application_id: ApplicationId,
    /// Guild.
    pub guild_id: GuildId,
    /// Overrides (≤ 100).
    #[serde(default)]
    pub permissions: Vec<CommandPermission>,
}

/// One command permission override.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandPermission {
    /// Role, user or channel ID (guild ID = @everyone, guild ID − 1 = all
    /// channels).
    pub id: GenericId,
    /// Target type.
    #[serde(rename = "type")]
    pub kind: CommandPermissionType,
    /// Allowed.
    pub permission: bool,
}
