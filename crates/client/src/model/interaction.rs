//! Interactions (discord-protocol.md §10.1, §10.2).

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{string_or_int, RawJson};
use super::{
    int_enum, ApplicationId, Attachment, AttachmentId, Channel, ChannelId, CommandId,
    CommandOptionType, CommandType, Component, ComponentType, Entitlement, GenericId, GuildId,
    InteractionId, Member, Message, MessageId, PartialGuild, Permissions, Role, RoleId, User,
    UserId,
};

int_enum! {
    /// Interaction type.
    pub enum InteractionType: u16 {
        /// Endpoint check.
        Ping = 1,
        /// Slash, user or message command.
        ApplicationCommand = 2,
        /// Button or select.
        MessageComponent = 3,
        /// Autocomplete request.
        ApplicationCommandAutocomplete = 4,
        /// Modal submitted.
        ModalSubmit = 5,
    }
}

int_enum! {
    /// Where an interaction can be used / was triggered.
    pub enum InteractionContextType: u16 {
        /// In a guild.
        Guild = 0,
        /// In the bot's DM.
        BotDm = 1,
        /// In group DMs and other DMs.
        PrivateChannel = 2,
    }
}

int_enum! {
    /// How an app is installed.
    pub enum ApplicationIntegrationType: u16 {
        /// Installed to a guild.
        GuildInstall = 0,
        /// Installed to a user.
        UserInstall = 1,
    }
}

/// The installations that authorised an interaction: keys `"0"` (guild
/// install: the guild ID, or `"0"` in the bot's DM) and `"1"` (user install:
/// the user ID).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizingIntegrationOwners {
    /// Guild installation: guild ID, or `"0"` when in the bot's DM. Read
    /// from a string or an integer, like every snowflake.
    #[serde(
        rename = "0",
        default,
        deserialize_with = "string_or_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub guild_install: Option<String>,
    /// User installation: the user ID.
    #[serde(rename = "1", default, skip_serializing_if = "Option::is_none")]
    pub user_install: Option<UserId>,
}

impl AuthorizingIntegrationOwners {
    /// The guild of a guild installation (`None` in the bot's DM).
    pub fn guild_id(&self) -> Option<GuildId> {
        self.guild_install.as_deref().and_then(|s| s.parse().ok())
    }
}

/// An interaction continuation token (valid 15 minutes). Its `Debug` output
/// is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InteractionToken(String);

impl InteractionToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token text, for building webhook routes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InteractionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InteractionToken(<redacted>)")
    }
}

/// An interaction (INTERACTION_CREATE or the HTTP endpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Interaction ID.
    pub id: InteractionId,
    /// Application ID.
    pub application_id: ApplicationId,
    /// Type.
    #[serde(rename = "type")]
    pub kind: InteractionType,
    /// Payload (types 2-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<InteractionData>,
    /// Partial guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild: Option<PartialGuild>,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Partial channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Box<Channel>>,
    /// Channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Invoking member (guilds; includes `permissions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Box<Member>>,
    /// Invoking user (DMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// Continuation token.
    pub token: InteractionToken,
    /// Always 1.
    #[serde(default = "one")]
    pub version: u8,
    /// Message of a component interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Message>>,
    /// The app's permissions where the interaction was sent.
    #[serde(default)]
    pub app_permissions: Permissions,
    /// The user's locale (not on PING).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The guild's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_locale: Option<String>,
    /// Entitlements of the user and guild.
    #[serde(default)]
    pub entitlements: Vec<Entitlement>,
    /// Installations that authorised it.
    #[serde(default)]
    pub authorizing_integration_owners: AuthorizingIntegrationOwners,
    /// Context it was triggered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<InteractionContextType>,
    /// Maximum attachment size in bytes.
    #[serde(default)]
    pub attachment_size_limit: u64,
}

fn one() -> u8 {
    1
}

impl Interaction {
    /// The invoking user: `member.user` in guilds, `user` in DMs.
    pub fn author(&self) -> Option<&User> {
        self.member
            .as_ref()
            .and_then(|m| m.user.as_ref())
            .or(self.user.as_deref())
    }
}

/// The `data` of an interaction, by shape.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InteractionData {
    /// APPLICATION_COMMAND / AUTOCOMPLETE.
    ApplicationCommand(Box<CommandData>),
    /// MESSAGE_COMPONENT.
    MessageComponent(Box<ComponentData>),
    /// MODAL_SUBMIT.
    ModalSubmit(Box<ModalSubmitData>),
    /// A shape acord does not recognise, or fields of a type it does not
    /// expect (a newer component's values), kept verbatim.
    Unknown(RawJson),
}

/// Every field any interaction `data` may carry: read in one pass, then
/// sorted into the right variant by shape.
#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    id: Option<CommandId>,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<CommandType>,
    #[serde(default)]
    resolved: Option<InteractionResolved>,
    #[serde(default)]
    options: Vec<CommandDataOption>,
    #[serde(default)]
    guild_id: Option<GuildId>,
    #[serde(default)]
    target_id: Option<GenericId>,
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    component_type: Option<ComponentType>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    components: Vec<Component>,
}

impl<'de> Deserialize<'de> for InteractionData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawJson::deserialize(deserializer)?;
        // Data acord cannot read must not fail the interaction: the bot
        // still gets its ID and token and can answer.
        let Ok(data) = serde_json::from_str::<RawData>(raw.get()) else {
            return Ok(Self::Unknown(raw));
        };
        Ok(match data {
            RawData {
                custom_id: Some(custom_id),
                component_type: Some(component_type),
                values,
                resolved,
                ..
            } => Self::MessageComponent(Box::new(ComponentData {
                custom_id,
                component_type,
                values,
                resolved,
            })),
            RawData {
                custom_id: Some(custom_id),
                component_type: None,
                components,
                resolved,
                ..
            } => Self::ModalSubmit(Box::new(ModalSubmitData {
                custom_id,
                components,
                resolved,
            })),
            RawData {
                id: Some(id),
                name: Some(name),
                kind,
                resolved,
                options,
                guild_id,
                target_id,
                custom_id: None,
                ..
            } => Self::ApplicationCommand(Box::new(CommandData {
                id,
                name,
                kind: kind.unwrap_or(CommandType::ChatInput),
                resolved,
                options,
                guild_id,
                target_id,
            })),
            _ => Self::Unknown(raw),
        })
    }
}

impl Serialize for InteractionData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::ApplicationCommand(d) => d.serialize(serializer),
            Self::MessageComponent(d) => d.serialize(serializer),
            Self::ModalSubmit(d) => d.serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

/// Data of a command or autocomplete interaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandData {
    /// Command ID.
    pub id: CommandId,
    /// Command name.
    pub name: String,
    /// Command type.
    #[serde(rename = "type")]
    pub kind: CommandType,
    /// Resolved users, roles, channels, attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<InteractionResolved>,
    /// Options (subcommands and values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandDataOption>,
    /// Guild of a guild command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Target user or message (context-menu commands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<GenericId>,
}

/// An option received with a command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandDataOption {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: CommandOptionType,
    /// Value (leaf options).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<OptionValue>,
    /// Nested options (subcommands and groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandDataOption>,
    /// Being autocompleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focused: Option<bool>,
}

/// A received option value. IDs (user, channel, role, mentionable,
/// attachment) arrive as strings; autocomplete sends partial input as a
/// string even for numeric options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// Boolean.
    Bool(bool),
    /// Integer.
    Integer(i64),
    /// Number.
    Number(f64),
    /// String or ID.
    String(String),
    /// Any other JSON value (an option type acord does not know yet), kept
    /// as it came so the interaction still parses.
    Unknown(serde_json::Value),
}

impl OptionValue {
    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as a number (integers widen).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The value as a boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Data of a component interaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentData {
    /// The component's custom ID.
    pub custom_id: String,
    /// The component type.
    pub component_type: ComponentType,
    /// Selected values (selects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Resolved entities of auto-populated selects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<InteractionResolved>,
}

/// Data of a modal submit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModalSubmitData {
    /// The modal's custom ID.
    pub custom_id: String,
    /// Submitted values.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Resolved entities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<InteractionResolved>,
}

/// Entities referenced by an interaction, by ID.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InteractionResolved {
    /// Users.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub users: HashMap<UserId, User>,
    /// Partial members (no `user`, `deaf`, `mute`).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub members: HashMap<UserId, Member>,
    /// Roles.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub roles: HashMap<RoleId, Role>,
    /// Partial channels.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub channels: HashMap<ChannelId, Channel>,
    /// Partial messages.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub messages: HashMap<MessageId, Message>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub attachments: HashMap<AttachmentId, Attachment>,
}

#[cfg(test)]
mod option_value_tests {
    use super::{CommandDataOption, OptionValue};

    #[test]
    fn an_option_of_an_unknown_type_with_a_non_scalar_value_is_kept() {
        let option: CommandDataOption =
            serde_json::from_str(r#"{"name":"future","type":99,"value":{"a":[1,2]}}"#).unwrap();
        assert_eq!(
            option.value,
            Some(OptionValue::Unknown(serde_json::json!({"a": [1, 2]})))
        );
        // and written back as it came
        let back = serde_json::to_value(&option).unwrap();
        assert_eq!(back["value"], serde_json::json!({"a": [1, 2]}));
        let list: CommandDataOption =
            serde_json::from_str(r#"{"name":"n","type":3,"value":["x"]}"#).unwrap();
        assert!(matches!(list.value, Some(OptionValue::Unknown(_))));
    }
}
