//! Message and modal components (discord-protocol.md §10.7).
//!
//! [`Component`] is an enum over the component types. It is read through a
//! superset of all component fields; a component of a type acord does not
//! model yet (or missing a field its type requires) becomes
//! [`Component::Unknown`] holding the raw JSON, so it never fails a message.
//! Reading a component needs a `serde_json` deserializer (text, bytes or a
//! `Value`): the raw JSON of unknown components is kept verbatim.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{nullable, RawJson};
use super::{int_enum, str_enum, AttachmentId, ChannelType, GenericId, PartialEmoji, SkuId};

int_enum! {
    /// Component type.
    pub enum ComponentType: u16 {
        /// Action row.
        ActionRow = 1,
        /// Button.
        Button = 2,
        /// String select.
        StringSelect = 3,
        /// Text input.
        TextInput = 4,
        /// User select.
        UserSelect = 5,
        /// Role select.
        RoleSelect = 6,
        /// Mentionable select.
        MentionableSelect = 7,
        /// Channel select.
        ChannelSelect = 8,
        /// Section (V2).
        Section = 9,
        /// Text display.
        TextDisplay = 10,
        /// Thumbnail (V2).
        Thumbnail = 11,
        /// Media gallery (V2).
        MediaGallery = 12,
        /// File (V2).
        File = 13,
        /// Separator (V2).
        Separator = 14,
        /// Container (V2).
        Container = 17,
        /// Label (modals).
        Label = 18,
        /// File upload (modals).
        FileUpload = 19,
        /// Radio group (modals).
        RadioGroup = 21,
        /// Checkbox group (modals).
        CheckboxGroup = 22,
        /// Checkbox (modals).
        Checkbox = 23,
    }
}

int_enum! {
    /// Button style.
    pub enum ButtonStyle: u16 {
        /// Blurple; needs `custom_id`.
        Primary = 1,
        /// Grey; needs `custom_id`.
        Secondary = 2,
        /// Green; needs `custom_id`.
        Success = 3,
        /// Red; needs `custom_id`.
        Danger = 4,
        /// Link; needs `url`.
        Link = 5,
        /// Premium; needs `sku_id`.
        Premium = 6,
    }
}

int_enum! {
    /// Text input style.
    pub enum TextInputStyle: u16 {
        /// Single line.
        Short = 1,
        /// Multiple lines.
        Paragraph = 2,
    }
}

int_enum! {
    /// Separator padding.
    pub enum SeparatorSpacing: u16 {
        /// Small padding.
        Small = 1,
        /// Large padding.
        Large = 2,
    }
}

str_enum! {
    /// Type of a select default value.
    pub enum SelectDefaultValueType {
        /// A user.
        User = "user",
        /// A role.
        Role = "role",
        /// A channel.
        Channel = "channel",
    }
}

/// Which kind of select menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectMenuType {
    /// Options defined by the app.
    String,
    /// Users.
    User,
    /// Roles.
    Role,
    /// Users and roles.
    Mentionable,
    /// Channels.
    Channel,
}

impl SelectMenuType {
    /// The component type of this select.
    pub const fn component_type(self) -> ComponentType {
        match self {
            Self::String => ComponentType::StringSelect,
            Self::User => ComponentType::UserSelect,
            Self::Role => ComponentType::RoleSelect,
            Self::Mentionable => ComponentType::MentionableSelect,
            Self::Channel => ComponentType::ChannelSelect,
        }
    }
}

/// A component.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Component {
    /// Action row.
    ActionRow(ActionRow),
    /// Button.
    Button(Button),
    /// Any select menu.
    SelectMenu(SelectMenu),
    /// Text input (modals).
    TextInput(TextInput),
    /// Section (V2).
    Section(Section),
    /// Text display.
    TextDisplay(TextDisplay),
    /// Thumbnail (V2).
    Thumbnail(Thumbnail),
    /// Media gallery (V2).
    MediaGallery(MediaGallery),
    /// File (V2).
    File(FileDisplay),
    /// Separator (V2).
    Separator(Separator),
    /// Container (V2).
    Container(Container),
    /// Label (modals).
    Label(Label),
    /// File upload (modals).
    FileUpload(FileUpload),
    /// Radio group (modals).
    RadioGroup(RadioGroup),
    /// Checkbox group (modals).
    CheckboxGroup(CheckboxGroup),
    /// Checkbox (modals).
    Checkbox(Checkbox),
    /// A component acord does not model, kept verbatim.
    Unknown(UnknownComponent),
}

impl Component {
    /// The component type.
    pub fn kind(&self) -> ComponentType {
        match self {
            Self::ActionRow(_) => ComponentType::ActionRow,
            Self::Button(_) => ComponentType::Button,
            Self::SelectMenu(s) => s.kind.component_type(),
            Self::TextInput(_) => ComponentType::TextInput,
            Self::Section(_) => ComponentType::Section,
            Self::TextDisplay(_) => ComponentType::TextDisplay,
            Self::Thumbnail(_) => ComponentType::Thumbnail,
            Self::MediaGallery(_) => ComponentType::MediaGallery,
            Self::File(_) => ComponentType::File,
            Self::Separator(_) => ComponentType::Separator,
            Self::Container(_) => ComponentType::Container,
            Self::Label(_) => ComponentType::Label,
            Self::FileUpload(_) => ComponentType::FileUpload,
            Self::RadioGroup(_) => ComponentType::RadioGroup,
            Self::CheckboxGroup(_) => ComponentType::CheckboxGroup,
            Self::Checkbox(_) => ComponentType::Checkbox,
            Self::Unknown(u) => u.kind,
        }
    }

    /// Number of components in this tree, this one included.
    pub fn count(&self) -> usize {
        1 + match self {
            Self::ActionRow(r) => r.components.iter().map(Self::count).sum(),
            Self::Section(s) => {
                s.components.iter().map(Self::count).sum::<usize>() + s.accessory.count()
            }
            Self::Container(c) => c.components.iter().map(Self::count).sum(),
            Self::Label(l) => l.component.count(),
            _ => 0,
        }
    }
}

/// A component of an unknown type (or missing a required field).
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownComponent {
    /// The `type` value.
    pub kind: ComponentType,
    /// The component JSON.
    pub raw: RawJson,
}

/// A row of up to five buttons or one select.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionRow {
    /// Component ID.
    pub id: Option<u32>,
    /// Children.
    pub components: Vec<Component>,
}

/// A button.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    /// Component ID.
    pub id: Option<u32>,
    /// Style.
    pub style: ButtonStyle,
    /// Label (≤ 80).
    pub label: Option<String>,
    /// Emoji.
    pub emoji: Option<PartialEmoji>,
    /// Custom ID (non-link, non-premium buttons).
    pub custom_id: Option<String>,
    /// SKU (premium buttons).
    pub sku_id: Option<SkuId>,
    /// URL (link buttons, ≤ 512).
    pub url: Option<String>,
    /// Disabled.
    pub disabled: bool,
}

/// A select menu of any kind.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectMenu {
    /// Component ID.
    pub id: Option<u32>,
    /// Kind.
    pub kind: SelectMenuType,
    /// Custom ID.
    pub custom_id: String,
    /// Options (string selects, ≤ 25).
    pub options: Vec<SelectOption>,
    /// Placeholder (≤ 150).
    pub placeholder: Option<String>,
    /// Default values (auto-populated selects).
    pub default_values: Vec<SelectDefaultValue>,
    /// Minimum picks (0-25, default 1).
    pub min_values: Option<u8>,
    /// Maximum picks (1-25, default 1).
    pub max_values: Option<u8>,
    /// Required (modals).
    pub required: Option<bool>,
    /// Disabled (messages).
    pub disabled: bool,
    /// Allowed channel types (channel selects).
    pub channel_types: Vec<ChannelType>,
    /// Submitted values (modal submit data).
    pub values: Vec<String>,
}

/// An option of a string select.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectOption {
    /// Label (≤ 100).
    pub label: String,
    /// Value (≤ 100).
    pub value: String,
    /// Description (≤ 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<PartialEmoji>,
    /// Selected by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

/// A default value of an auto-populated select.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectDefaultValue {
    /// User, role or channel ID.
    pub id: GenericId,
    /// What the ID is.
    #[serde(rename = "type")]
    pub kind: SelectDefaultValueType,
}

/// A text input (modals).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextInput {
    /// Component ID.
    pub id: Option<u32>,
    /// Custom ID.
    pub custom_id: String,
    /// Style (absent in submitted data).
    pub style: Option<TextInputStyle>,
    /// Deprecated label (use a [`Label`]).
    pub label: Option<String>,
    /// Minimum length (0-4000).
    pub min_length: Option<u16>,
    /// Maximum length (1-4000).
    pub max_length: Option<u16>,
    /// Required (default true).
    pub required: Option<bool>,
    /// Pre-filled or submitted value.
    pub value: Option<String>,
    /// Placeholder (≤ 100).
    pub placeholder: Option<String>,
}

/// A section: text with an accessory (V2).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Component ID.
    pub id: Option<u32>,
    /// One to three text displays.
    pub components: Vec<Component>,
    /// A thumbnail or button.
    pub accessory: Box<Component>,
}

/// Markdown text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextDisplay {
    /// Component ID.
    pub id: Option<u32>,
    /// Markdown content.
    pub content: String,
}

/// A media item reference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfurledMediaItem {
    /// URL or `attachment://name`.
    pub url: String,
    /// Proxied URL (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// Height (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Width (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// MIME type (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Attachment (received, for uploads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_id: Option<AttachmentId>,
    /// Thumbhash placeholder (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Placeholder version (received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder_version: Option<u32>,
    /// Flags (`IS_ANIMATED` = 1 << 0; received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
}

/// A thumbnail (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Thumbnail {
    /// Component ID.
    pub id: Option<u32>,
    /// The image.
    pub media: UnfurledMediaItem,
    /// Alt text.
    pub description: Option<String>,
    /// Blurred.
    pub spoiler: bool,
}

/// A gallery of up to ten media items (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaGallery {
    /// Component ID.
    pub id: Option<u32>,
    /// Items.
    pub items: Vec<MediaGalleryItem>,
}

/// An item of a media gallery.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaGalleryItem {
    /// The media.
    pub media: UnfurledMediaItem,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Blurred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoiler: Option<bool>,
}

/// An attached file (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileDisplay {
    /// Component ID.
    pub id: Option<u32>,
    /// `attachment://` reference.
    pub file: UnfurledMediaItem,
    /// Blurred.
    pub spoiler: bool,
    /// File name (received).
    pub name: Option<String>,
    /// Size in bytes (received).
    pub size: Option<u64>,
}

/// A divider / spacing (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Separator {
    /// Component ID.
    pub id: Option<u32>,
    /// Show a line (default true).
    pub divider: Option<bool>,
    /// Padding.
    pub spacing: Option<SeparatorSpacing>,
}

/// A visually grouped box of components (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    /// Component ID.
    pub id: Option<u32>,
    /// Children.
    pub components: Vec<Component>,
    /// Accent colour.
    pub accent_color: Option<u32>,
    /// Blurred.
    pub spoiler: bool,
}

/// A label wrapping one modal component.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Component ID.
    pub id: Option<u32>,
    /// Label (≤ 45; empty in submitted modal data).
    pub label: String,
    /// Description (≤ 100).
    pub description: Option<String>,
    /// The wrapped component.
    pub component: Box<Component>,
}

/// A file upload (modals).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileUpload {
    /// Component ID.
    pub id: Option<u32>,
    /// Custom ID.
    pub custom_id: String,
    /// Minimum files.
    pub min_values: Option<u8>,
    /// Maximum files.
    pub max_values: Option<u8>,
    /// Required.
    pub required: Option<bool>,
    /// Submitted attachment IDs.
    pub values: Vec<String>,
}

/// A radio group: pick exactly one option (modals, inside a [`Label`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RadioGroup {
    /// Component ID.
    pub id: Option<u32>,
    /// Custom ID.
    pub custom_id: String,
    /// Options (2-10; `emoji` is not used).
    pub options: Vec<SelectOption>,
    /// Required (default true).
    pub required: Option<bool>,
    /// Submitted value (`None` if nothing was picked).
    pub value: Option<String>,
}

/// A checkbox group: pick any number of options (modals, inside a
/// [`Label`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckboxGroup {
    /// Component ID.
    pub id: Option<u32>,
    /// Custom ID.
    pub custom_id: String,
    /// Options (1-10; `emoji` is not used).
    pub options: Vec<SelectOption>,
    /// Minimum picks (0-10, default 1).
    pub min_values: Option<u8>,
    /// Maximum picks (1-10, default the number of options).
    pub max_values: Option<u8>,
    /// Required (default true).
    pub required: Option<bool>,
    /// Submitted values.
    pub values: Vec<String>,
}

/// A single yes/no checkbox (modals, inside a [`Label`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checkbox {
    /// Component ID.
    pub id: Option<u32>,
    /// Custom ID.
    pub custom_id: String,
    /// Checked by default.
    pub default: Option<bool>,
    /// Submitted state.
    pub value: Option<bool>,
}

/// `value` is a string for text inputs and radio groups, a boolean for
/// checkboxes.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum ValueField {
    Bool(bool),
    Text(String),
}

/// Every field any component may carry; the wire form of [`Component`].
#[derive(Default, Serialize, Deserialize)]
struct RawComponent {
    #[serde(rename = "type")]
    kind: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    components: Option<Vec<Component>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    component: Option<Box<Component>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accessory: Option<Box<Component>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custom_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    style: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emoji: Option<PartialEmoji>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sku_id: Option<SkuId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<SelectOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_values: Option<Vec<SelectDefaultValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_values: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_values: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel_types: Option<Vec<ChannelType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_length: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<ValueField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media: Option<UnfurledMediaItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spoiler: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    items: Option<Vec<MediaGalleryItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<UnfurledMediaItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    divider: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spacing: Option<u16>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    accent_color: Option<Option<u32>>,
}

impl RawComponent {
    fn text_value(&mut self) -> Option<String> {
        match self.value.take() {
            Some(ValueField::Text(text)) => Some(text),
            Some(other) => {
                self.value = Some(other);
                None
            }
            None => None,
        }
    }

    /// Converts into a typed component; `None` when the type is unknown or a
    /// required field is missing.
    fn into_component(mut self) -> Option<Component> {
        let kind = ComponentType::from(self.kind);
        let id = self.id;
        Some(match kind {
            ComponentType::ActionRow => Component::ActionRow(ActionRow {
                id,
                components: self.components.unwrap_or_default(),
            }),
            ComponentType::Button => Component::Button(Button {
                id,
                style: ButtonStyle::from(self.style?),
                label: self.label,
                emoji: self.emoji,
                custom_id: self.custom_id,
                sku_id: self.sku_id,
                url: self.url,
                disabled: self.disabled.unwrap_or(false),
            }),
            ComponentType::StringSelect
            | ComponentType::UserSelect
            | ComponentType::RoleSelect
            | ComponentType::MentionableSelect
            | ComponentType::ChannelSelect => Component::SelectMenu(SelectMenu {
                id,
                kind: match kind {
                    ComponentType::StringSelect => SelectMenuType::String,
                    ComponentType::UserSelect => SelectMenuType::User,
                    ComponentType::RoleSelect => SelectMenuType::Role,
                    ComponentType::MentionableSelect => SelectMenuType::Mentionable,
                    _ => SelectMenuType::Channel,
                },
                custom_id: self.custom_id?,
                options: self.options.unwrap_or_default(),
                placeholder: self.placeholder,
                default_values: self.default_values.unwrap_or_default(),
                min_values: self.min_values,
                max_values: self.max_values,
                required: self.required,
                disabled: self.disabled.unwrap_or(false),
                channel_types: self.channel_types.unwrap_or_default(),
                values: self.values.unwrap_or_default(),
            }),
            ComponentType::TextInput => Component::TextInput(TextInput {
                id,
                value: self.text_value(),
                custom_id: self.custom_id?,
                style: self.style.map(TextInputStyle::from),
                label: self.label,
                min_length: self.min_length,
                max_length: self.max_length,
                required: self.required,
                placeholder: self.placeholder,
            }),
            ComponentType::Section => Component::Section(Section {
                id,
                components: self.components.unwrap_or_default(),
                accessory: self.accessory?,
            }),
            ComponentType::TextDisplay => Component::TextDisplay(TextDisplay {
                id,
                content: self.content?,
            }),
            ComponentType::Thumbnail => Component::Thumbnail(Thumbnail {
                id,
                media: self.media?,
                description: self.description,
                spoiler: self.spoiler.unwrap_or(false),
            }),
            ComponentType::MediaGallery => Component::MediaGallery(MediaGallery {
                id,
                items: self.items.unwrap_or_default(),
            }),
            ComponentType::File => Component::File(FileDisplay {
                id,
                file: self.file?,
                spoiler: self.spoiler.unwrap_or(false),
                name: self.name,
                size: self.size,
            }),
            ComponentType::Separator => Component::Separator(Separator {
                id,
                divider: self.divider,
                spacing: self.spacing.map(SeparatorSpacing::from),
            }),
            ComponentType::Container => Component::Container(Container {
                id,
                components: self.components.unwrap_or_default(),
                accent_color: self.accent_color.flatten(),
                spoiler: self.spoiler.unwrap_or(false),
            }),
            ComponentType::Label => Component::Label(Label {
                id,
                // Submitted modal data carries no label text.
                label: self.label.unwrap_or_default(),
                description: self.description,
                component: self.component?,
            }),
            ComponentType::FileUpload => Component::FileUpload(FileUpload {
                id,
                custom_id: self.custom_id?,
                min_values: self.min_values,
                max_values: self.max_values,
                required: self.required,
                values: self.values.unwrap_or_default(),
            }),
            ComponentType::RadioGroup => Component::RadioGroup(RadioGroup {
                id,
                value: self.text_value(),
                custom_id: self.custom_id?,
                options: self.options.unwrap_or_default(),
                required: self.required,
            }),
            ComponentType::CheckboxGroup => Component::CheckboxGroup(CheckboxGroup {
                id,
                custom_id: self.custom_id?,
                options: self.options.unwrap_or_default(),
                min_values: self.min_values,
                max_values: self.max_values,
                required: self.required,
                values: self.values.unwrap_or_default(),
            }),
            ComponentType::Checkbox => Component::Checkbox(Checkbox {
                id,
                custom_id: self.custom_id?,
                default: self.default,
                value: match self.value {
                    Some(ValueField::Bool(b)) => Some(b),
                    _ => None,
                },
            }),
            _ => return None,
        })
    }

    fn from_component(c: &Component) -> Self {
        let kind = c.kind().value();
        match c {
            Component::ActionRow(r) => Self {
                kind,
                id: r.id,
                components: Some(r.components.clone()),
                ..Self::default()
            },
            Component::Button(b) => Self {
                kind,
                id: b.id,
                style: Some(b.style.value()),
                label: b.label.clone(),
                emoji: b.emoji.clone(),
                custom_id: b.custom_id.clone(),
                sku_id: b.sku_id,
                url: b.url.clone(),
                disabled: b.disabled.then_some(true),
                ..Self::default()
            },
            Component::SelectMenu(s) => Self {
                kind,
                id: s.id,
                custom_id: Some(s.custom_id.clone()),
                options: (s.kind == SelectMenuType::String).then(|| s.options.clone()),
                placeholder: s.placeholder.clone(),
                default_values: (!s.default_values.is_empty()).then(|| s.default_values.clone()),
                min_values: s.min_values,
                max_values: s.max_values,
                required: s.required,
                disabled: s.disabled.then_some(true),
                channel_types: (!s.channel_types.is_empty()).then(|| s.channel_types.clone()),
                values: (!s.values.is_empty()).then(|| s.values.clone()),
                ..Self::default()
            },
            Component::TextInput(t) => Self {
                kind,
                id: t.id,
                custom_id: Some(t.custom_id.clone()),
                style: t.style.map(TextInputStyle::value),
                label: t.label.clone(),
                min_length: t.min_length,
                max_length: t.max_length,
                required: t.required,
                value: t.value.clone().map(ValueField::Text),
                placeholder: t.placeholder.clone(),
                ..Self::default()
            },
            Component::Section(s) => Self {
                kind,
                id: s.id,
                components: Some(s.components.clone()),
                accessory: Some(s.accessory.clone()),
                ..Self::default()
            },
            Component::TextDisplay(t) => Self {
                kind,
                id: t.id,
                content: Some(t.content.clone()),
                ..Self::default()
            },
            Component::Thumbnail(t) => Self {
                kind,
                id: t.id,
                media: Some(t.media.clone()),
                description: t.description.clone(),
                spoiler: t.spoiler.then_some(true),
                ..Self::default()
            },
            Component::MediaGallery(g) => Self {
                kind,
                id: g.id,
                items: Some(g.items.clone()),
                ..Self::default()
            },
            Component::File(f) => Self {
                kind,
                id: f.id,
                file: Some(f.file.clone()),
                spoiler: f.spoiler.then_some(true),
                name: f.name.clone(),
                size: f.size,
                ..Self::default()
            },
            Component::Separator(s) => Self {
                kind,
                id: s.id,
                divider: s.divider,
                spacing: s.spacing.map(SeparatorSpacing::value),
                ..Self::default()
            },
            Component::Container(c) => Self {
                kind,
                id: c.id,
                components: Some(c.components.clone()),
                accent_color: c.accent_color.map(Some),
                spoiler: c.spoiler.then_some(true),
                ..Self::default()
            },
            Component::Label(l) => Self {
                kind,
                id: l.id,
                label: Some(l.label.clone()),
                description: l.description.clone(),
                component: Some(l.component.clone()),
                ..Self::default()
            },
            Component::FileUpload(f) => Self {
                kind,
                id: f.id,
                custom_id: Some(f.custom_id.clone()),
                min_values: f.min_values,
                max_values: f.max_values,
                required: f.required,
                values: (!f.values.is_empty()).then(|| f.values.clone()),
                ..Self::default()
            },
            Component::RadioGroup(r) => Self {
                kind,
                id: r.id,
                custom_id: Some(r.custom_id.clone()),
                options: Some(r.options.clone()),
                required: r.required,
                value: r.value.clone().map(ValueField::Text),
                ..Self::default()
            },
            Component::CheckboxGroup(c) => Self {
                kind,
                id: c.id,
                custom_id: Some(c.custom_id.clone()),
                options: Some(c.options.clone()),
                min_values: c.min_values,
                max_values: c.max_values,
                required: c.required,
                values: (!c.values.is_empty()).then(|| c.values.clone()),
                ..Self::default()
            },
            Component::Checkbox(c) => Self {
                kind,
                id: c.id,
                custom_id: Some(c.custom_id.clone()),
                default: c.default,
                value: c.value.map(ValueField::Bool),
                ..Self::default()
            },
            Component::Unknown(_) => Self {
                kind,
                ..Self::default()
            },
        }
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unknown(u) => u.raw.serialize(serializer),
            other => RawComponent::from_component(other).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Component {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct TypeOnly {
            #[serde(rename = "type")]
            kind: u16,
        }
        let raw = RawJson::deserialize(deserializer)?;
        match serde_json::from_str::<RawComponent>(raw.get()) {
            Ok(parsed) => {
                let kind = ComponentType::from(parsed.kind);
                Ok(parsed
                    .into_component()
                    .unwrap_or(Component::Unknown(UnknownComponent { kind, raw })))
            }
            // A field typed differently than acord expects (a newer
            // component): keep it verbatim if at least `type` is readable.
            Err(err) => match serde_json::from_str::<TypeOnly>(raw.get()) {
                Ok(t) => Ok(Component::Unknown(UnknownComponent {
                    kind: ComponentType::from(t.kind),
                    raw,
                })),
                Err(_) => Err(D::Error::custom(err)),
            },
        }
    }
}

macro_rules! into_component {
    ($($ty:ident => $variant:ident,)*) => {
        $(
            impl From<$ty> for Component {
                fn from(value: $ty) -> Self {
                    Self::$variant(value)
                }
            }
        )*
    };
}

into_component! {
    Section => Section,
    TextDisplay => TextDisplay,
    Thumbnail => Thumbnail,
    MediaGallery => MediaGallery,
    FileDisplay => File,
    Separator => Separator,
    Container => Container,
    Label => Label,
    FileUpload => FileUpload,
    RadioGroup => RadioGroup,
    CheckboxGroup => CheckboxGroup,
    Checkbox => Checkbox,
}

impl UnfurledMediaItem {
    /// A media reference by URL (`https://…` or `attachment://name`).
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

impl TextDisplay {
    /// Markdown text.
    pub fn new(content: impl Into<String>) -> Self {
        Self {
            id: None,
            content: content.into(),
        }
    }
}

impl Section {
    /// One to three text displays with a thumbnail or button accessory.
    pub fn new(texts: Vec<TextDisplay>, accessory: impl Into<Component>) -> Self {
        Self {
            id: None,
            components: texts.into_iter().map(Component::TextDisplay).collect(),
            accessory: Box::new(accessory.into()),
        }
    }
}

impl Thumbnail {
    /// A thumbnail of an image URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            media: UnfurledMediaItem::url(url),
            ..Self::default()
        }
    }
}

impl MediaGallery {
    /// A gallery of media URLs.
    pub fn new<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            id: None,
            items: urls
                .into_iter()
                .map(|url| MediaGalleryItem {
                    media: UnfurledMediaItem::url(url),
                    ..MediaGalleryItem::default()
                })
                .collect(),
        }
    }
}

impl FileDisplay {
    /// An uploaded file, by `attachment://name`.
    pub fn new(attachment_url: impl Into<String>) -> Self {
        Self {
            file: UnfurledMediaItem::url(attachment_url),
            ..Self::default()
        }
    }
}

impl Container {
    /// A container around components.
    pub fn new(components: Vec<Component>) -> Self {
        Self {
            components,
            ..Self::default()
        }
    }
}

impl Label {
    /// A label around one modal component.
    pub fn new(label: impl Into<String>, component: impl Into<Component>) -> Self {
        Self {
            id: None,
            label: label.into(),
            description: None,
            component: Box::new(component.into()),
        }
    }
}

impl FileUpload {
    /// A file upload with a custom ID.
    pub fn new(custom_id: impl Into<String>) -> Self {
        Self {
            custom_id: custom_id.into(),
            ..Self::default()
        }
    }
}

impl RadioGroup {
    /// A radio group with options.
    pub fn new(custom_id: impl Into<String>, options: Vec<SelectOption>) -> Self {
        Self {
            custom_id: custom_id.into(),
            options,
            ..Self::default()
        }
    }
}

impl CheckboxGroup {
    /// A checkbox group with options.
    pub fn new(custom_id: impl Into<String>, options: Vec<SelectOption>) -> Self {
        Self {
            custom_id: custom_id.into(),
            options,
            ..Self::default()
        }
    }
}

impl Checkbox {
    /// A checkbox with a custom ID.
    pub fn new(custom_id: impl Into<String>) -> Self {
        Self {
            custom_id: custom_id.into(),
            ..Self::default()
        }
    }
}

impl SelectOption {
    /// An option with a label and value.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
            description: None,
            emoji: None,
            default: None,
        }
    }
}
