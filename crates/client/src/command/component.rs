//! Building message and modal components.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::{check_count, check_len, check_range, ValidationError};
use super::limits::{
    ACTION_ROWS_PER_MESSAGE, BUTTONS_PER_ROW, BUTTON_LABEL, BUTTON_URL, COMPONENTS_V2_TOTAL,
    CUSTOM_ID, LABEL_DESCRIPTION, LABEL_TEXT, MODAL_CHOICES_MAX, MODAL_COMPONENTS, MODAL_TITLE,
    RADIO_GROUP_MIN_OPTIONS, SELECT_OPTIONS, SELECT_OPTION_TEXT, SELECT_PLACEHOLDER,
    SELECT_VALUES_MAX, TEXT_INPUT_LENGTH, TEXT_INPUT_PLACEHOLDER,
};
use crate::model::{
    ActionRow, Button, ButtonStyle, ChannelType, Component, GenericId, Label, PartialEmoji,
    SelectDefaultValue, SelectDefaultValueType, SelectMenu, SelectMenuType, SelectOption, SkuId,
    TextInput, TextInputStyle,
};

impl From<ActionRow> for Component {
    fn from(row: ActionRow) -> Self {
        Self::ActionRow(row)
    }
}

impl From<Button> for Component {
    fn from(button: Button) -> Self {
        Self::Button(button)
    }
}

impl From<SelectMenu> for Component {
    fn from(select: SelectMenu) -> Self {
        Self::SelectMenu(select)
    }
}

impl From<TextInput> for Component {
    fn from(input: TextInput) -> Self {
        Self::TextInput(input)
    }
}

/// Builds a [`Button`].
///
/// ```
/// use acord::command::{ActionRowBuilder, ButtonBuilder};
/// use acord::model::ButtonStyle;
/// let row = ActionRowBuilder::new()
///     .push(ButtonBuilder::new(ButtonStyle::Primary, "yes").label("Yes").build().unwrap())
///     .push(ButtonBuilder::link("https://docs.rs/acord").label("Docs").build().unwrap())
///     .build()
///     .unwrap();
/// # let _ = row;
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the button"]
pub struct ButtonBuilder {
    button: Button,
}

impl ButtonBuilder {
    /// An interactive button (Primary, Secondary, Success or Danger).
    pub fn new(style: ButtonStyle, custom_id: impl Into<String>) -> Self {
        Self::with(style, Some(custom_id.into()), None, None)
    }

    /// A link button.
    pub fn link(url: impl Into<String>) -> Self {
        Self::with(ButtonStyle::Link, None, Some(url.into()), None)
    }

    /// A premium (SKU) button.
    pub fn premium(sku_id: SkuId) -> Self {
        Self::with(ButtonStyle::Premium, None, None, Some(sku_id))
    }

    fn with(
        style: ButtonStyle,
        custom_id: Option<String>,
        url: Option<String>,
        sku_id: Option<SkuId>,
    ) -> Self {
        Self {
            button: Button {
                id: None,
                style,
                label: None,
                emoji: None,
                custom_id,
                sku_id,
                url,
                disabled: false,
            },
        }
    }

    /// Label (≤ 80).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.button.label = Some(label.into());
        self
    }

    /// Emoji.
    pub fn emoji(mut self, emoji: PartialEmoji) -> Self {
        self.button.emoji = Some(emoji);
        self
    }

    /// Disabled.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.button.disabled = disabled;
        self
    }

    /// Component ID.
    pub fn id(mut self, id: u32) -> Self {
        self.button.id = Some(id);
        self
    }

    /// Checks the limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for a label, URL or custom ID over its limit,
    /// or fields that do not fit the style.
    pub fn build(self) -> Result<Button, ValidationError> {
        validate_button(&self.button)?;
        Ok(self.button)
    }
}

/// Builds a [`SelectMenu`] of any kind.
///
/// ```
/// use acord::command::SelectMenuBuilder;
/// use acord::model::SelectMenuType;
/// let select = SelectMenuBuilder::new(SelectMenuType::String, "colour")
///     .option("Red", "red")
///     .option("Blue", "blue")
///     .placeholder("Pick a colour")
///     .build()
///     .unwrap();
/// assert_eq!(select.options.len(), 2);
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the select menu"]
pub struct SelectMenuBuilder {
    select: SelectMenu,
}

impl SelectMenuBuilder {
    /// A select of `kind` with a custom ID.
    pub fn new(kind: SelectMenuType, custom_id: impl Into<String>) -> Self {
        Self {
            select: SelectMenu {
                id: None,
                kind,
                custom_id: custom_id.into(),
                options: Vec::new(),
                placeholder: None,
                default_values: Vec::new(),
                min_values: None,
                max_values: None,
                required: None,
                disabled: false,
                channel_types: Vec::new(),
                values: Vec::new(),
            },
        }
    }

    /// Adds an option with a label and value (string selects).
    pub fn option(self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.option_full(SelectOption {
            label: label.into(),
            value: value.into(),
            description: None,
            emoji: None,
            default: None,
        })
    }

    /// Adds a fully specified option (string selects).
    pub fn option_full(mut self, option: SelectOption) -> Self {
        self.select.options.push(option);
        self
    }

    /// Placeholder (≤ 150).
    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.select.placeholder = Some(placeholder.into());
        self
    }

    /// Minimum picks (0-25).
    pub fn min_values(mut self, min: u8) -> Self {
        self.select.min_values = Some(min);
        self
    }

    /// Maximum picks (1-25).
    pub fn max_values(mut self, max: u8) -> Self {
        self.select.max_values = Some(max);
        self
    }

    /// Pre-selects an entity (user, role, mentionable and channel selects).
    pub fn default_value(mut self, id: GenericId, kind: SelectDefaultValueType) -> Self {
        self.select
            .default_values
            .push(SelectDefaultValue { id, kind });
        self
    }

    /// Allowed channel types (channel selects).
    pub fn channel_types(mut self, types: impl IntoIterator<Item = ChannelType>) -> Self {
        self.select.channel_types = types.into_iter().collect();
        self
    }

    /// Disabled (messages).
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.select.disabled = disabled;
        self
    }

    /// Required (modals).
    pub fn required(mut self, required: bool) -> Self {
        self.select.required = Some(required);
        self
    }

    /// Checks the limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for the custom ID, options, placeholder or value
    /// bounds.
    pub fn build(self) -> Result<SelectMenu, ValidationError> {
        validate_select(&self.select)?;
        Ok(self.select)
    }
}

/// Builds a [`TextInput`] for a modal.
#[derive(Clone, Debug)]
#[must_use = "call build() to get the text input"]
pub struct TextInputBuilder {
    input: TextInput,
}

impl TextInputBuilder {
    /// A text input with a custom ID and style.
    pub fn new(custom_id: impl Into<String>, style: TextInputStyle) -> Self {
        Self {
            input: TextInput {
                custom_id: custom_id.into(),
                style: Some(style),
                ..TextInput::default()
            },
        }
    }

    /// Minimum length (0-4000).
    pub fn min_length(mut self, min: u16) -> Self {
        self.input.min_length = Some(min);
        self
    }

    /// Maximum length (1-4000).
    pub fn max_length(mut self, max: u16) -> Self {
        self.input.max_length = Some(max);
        self
    }

    /// Required (default true).
    pub fn required(mut self, required: bool) -> Self {
        self.input.required = Some(required);
        self
    }

    /// Pre-filled value (≤ 4000).
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.input.value = Some(value.into());
        self
    }

    /// Placeholder (≤ 100).
    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.input.placeholder = Some(placeholder.into());
        self
    }

    /// Checks the limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for the custom ID, lengths, value or placeholder.
    pub fn build(self) -> Result<TextInput, ValidationError> {
        validate_text_input(&self.input)?;
        Ok(self.input)
    }
}

/// Builds an action row: up to five buttons, or exactly one select.
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the action row"]
pub struct ActionRowBuilder {
    row: ActionRow,
}

impl ActionRowBuilder {
    /// An empty row.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a component.
    pub fn push(mut self, component: impl Into<Component>) -> Self {
        self.row.components.push(component.into());
        self
    }

    /// Checks the row's rules.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] if the row is empty, mixes selects and buttons,
    /// or holds more than five buttons.
    pub fn build(self) -> Result<Component, ValidationError> {
        validate_row(&self.row)?;
        Ok(Component::ActionRow(self.row))
    }
}

/// A modal (interaction callback type 9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Modal {
    /// Custom ID (1-100).
    pub custom_id: String,
    /// Title (≤ 45).
    pub title: String,
    /// One to five top-level components (labels, text displays, or action
    /// rows with a text input).
    pub components: Vec<Component>,
}

/// Builds a [`Modal`].
///
/// ```
/// use acord::command::{ModalBuilder, TextInputBuilder};
/// use acord::model::TextInputStyle;
/// let modal = ModalBuilder::new("feedback", "Tell us")
///     .text_input("Your feedback", TextInputBuilder::new("text", TextInputStyle::Paragraph).build().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(modal.components.len(), 1);
/// assert!(ModalBuilder::new("feedback", "Tell us").build().is_err(), "needs a component");
/// ```
#[derive(Clone, Debug)]
#[must_use = "call build() to get the modal"]
pub struct ModalBuilder {
    modal: Modal,
}

impl ModalBuilder {
    /// A modal with a custom ID and title.
    pub fn new(custom_id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            modal: Modal {
                custom_id: custom_id.into(),
                title: title.into(),
                components: Vec::new(),
            },
        }
    }

    /// Adds a text input wrapped in a Label component.
    pub fn text_input(mut self, label: impl Into<String>, input: TextInput) -> Self {
        self.modal.components.push(Component::Label(Label {
            id: None,
            label: label.into(),
            description: None,
            component: Box::new(Component::TextInput(input)),
        }));
        self
    }

    /// Adds any top-level component.
    pub fn component(mut self, component: impl Into<Component>) -> Self {
        self.modal.components.push(component.into());
        self
    }

    /// Checks the limits.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] for the title, custom ID, the number of
    /// components or any component's own limits.
    pub fn build(self) -> Result<Modal, ValidationError> {
        validate_modal(&self.modal)?;
        Ok(self.modal)
    }
}

pub(crate) fn validate_custom_id(
    custom_id: &str,
    seen: &mut HashSet<String>,
) -> Result<(), ValidationError> {
    check_len("components[].custom_id", custom_id, 1, CUSTOM_ID)?;
    if !seen.insert(custom_id.to_owned()) {
        return Err(ValidationError::Invalid {
            field: "components[].custom_id",
            reason: "custom_id must be unique within the message",
        });
    }
    Ok(())
}

fn validate_button(button: &Button) -> Result<(), ValidationError> {
    if let Some(label) = &button.label {
        check_len("components[].label", label, 0, BUTTON_LABEL)?;
    }
    if let Some(url) = &button.url {
        check_len("components[].url", url, 1, BUTTON_URL)?;
    }
    if let Some(custom_id) = &button.custom_id {
        check_len("components[].custom_id", custom_id, 1, CUSTOM_ID)?;
    }
    let invalid = |reason| {
        Err(ValidationError::Invalid {
            field: "components[].style",
            reason,
        })
    };
    match button.style {
        ButtonStyle::Link => {
            if button.url.is_none() || button.custom_id.is_some() || button.sku_id.is_some() {
                return invalid("a link button needs a url and no custom_id or sku_id");
            }
        }
        ButtonStyle::Premium => {
            if button.sku_id.is_none()
                || button.custom_id.is_some()
                || button.label.is_some()
                || button.url.is_some()
                || button.emoji.is_some()
            {
                return invalid(
                    "a premium button needs a sku_id and no custom_id, label, url or emoji",
                );
            }
        }
        _ => {
            if button.custom_id.is_none() || button.url.is_some() || button.sku_id.is_some() {
                return invalid("an interactive button needs a custom_id and no url or sku_id");
            }
        }
    }
    Ok(())
}

fn validate_select(select: &SelectMenu) -> Result<(), ValidationError> {
    check_len("components[].custom_id", &select.custom_id, 1, CUSTOM_ID)?;
    if select.kind == SelectMenuType::String {
        check_count(
            "components[].options",
            select.options.len(),
            1,
            SELECT_OPTIONS,
        )?;
    } else if !select.options.is_empty() {
        return Err(ValidationError::Invalid {
            field: "components[].options",
            reason: "only string selects take options",
        });
    }
    for option in &select.options {
        check_len(
            "components[].options[].label",
            &option.label,
            1,
            SELECT_OPTION_TEXT,
        )?;
        check_len(
            "components[].options[].value",
            &option.value,
            1,
            SELECT_OPTION_TEXT,
        )?;
        if let Some(description) = &option.description {
            check_len(
                "components[].options[].description",
                description,
                0,
                SELECT_OPTION_TEXT,
            )?;
        }
    }
    if let Some(placeholder) = &select.placeholder {
        check_len(
            "components[].placeholder",
            placeholder,
            0,
            SELECT_PLACEHOLDER,
        )?;
    }
    let max_picks = i64::from(SELECT_VALUES_MAX);
    let min = select.min_values.map_or(1, i64::from);
    let max = select.max_values.map_or(1, i64::from);
    check_range("components[].min_values", min, 0, max_picks)?;
    check_range("components[].max_values", max, 1, max_picks)?;
    if min > max {
        return Err(ValidationError::Invalid {
            field: "components[].min_values",
            reason: "min_values must not exceed max_values",
        });
    }
    if select.kind == SelectMenuType::String && max > select.options.len() as i64 {
        return Err(ValidationError::Invalid {
            field: "components[].max_values",
            reason: "max_values must not exceed the number of options",
        });
    }
    Ok(())
}

fn validate_options(options: &[SelectOption]) -> Result<(), ValidationError> {
    for option in options {
        check_len(
            "components[].options[].label",
            &option.label,
            1,
            SELECT_OPTION_TEXT,
        )?;
        check_len(
            "components[].options[].value",
            &option.value,
            1,
            SELECT_OPTION_TEXT,
        )?;
        if let Some(description) = &option.description {
            check_len(
                "components[].options[].description",
                description,
                0,
                SELECT_OPTION_TEXT,
            )?;
        }
    }
    Ok(())
}

/// `0 <= min_values <= max`, `1 <= max_values <= max`, `min <= max`.
fn validate_picks(min: Option<u8>, max: Option<u8>, limit: usize) -> Result<(), ValidationError> {
    let limit = limit as i64;
    if let Some(min) = min {
        check_range("components[].min_values", i64::from(min), 0, limit)?;
    }
    if let Some(max) = max {
        check_range("components[].max_values", i64::from(max), 1, limit)?;
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(ValidationError::Invalid {
                field: "components[].min_values",
                reason: "min_values must not exceed max_values",
            });
        }
    }
    Ok(())
}

fn validate_text_input(input: &TextInput) -> Result<(), ValidationError> {
    check_len("components[].custom_id", &input.custom_id, 1, CUSTOM_ID)?;
    let limit = i64::from(TEXT_INPUT_LENGTH);
    if let Some(min) = input.min_length {
        check_range("components[].min_length", i64::from(min), 0, limit)?;
    }
    if let Some(max) = input.max_length {
        check_range("components[].max_length", i64::from(max), 1, limit)?;
    }
    if let (Some(min), Some(max)) = (input.min_length, input.max_length) {
        if min > max {
            return Err(ValidationError::Invalid {
                field: "components[].min_length",
                reason: "min_length must not exceed max_length",
            });
        }
    }
    if let Some(value) = &input.value {
        check_len(
            "components[].value",
            value,
            0,
            usize::from(TEXT_INPUT_LENGTH),
        )?;
    }
    if let Some(placeholder) = &input.placeholder {
        check_len(
            "components[].placeholder",
            placeholder,
            0,
            TEXT_INPUT_PLACEHOLDER,
        )?;
    }
    if let Some(label) = &input.label {
        check_len("components[].label", label, 1, LABEL_TEXT)?;
    }
    Ok(())
}

fn validate_row(row: &ActionRow) -> Result<(), ValidationError> {
    let selects = row
        .components
        .iter()
        .filter(|c| matches!(c, Component::SelectMenu(_)))
        .count();
    let text_inputs = row
        .components
        .iter()
        .filter(|c| matches!(c, Component::TextInput(_)))
        .count();
    if row.components.is_empty() {
        return Err(ValidationError::TooFew {
            field: "components[].components",
            actual: 0,
            min: 1,
        });
    }
    if (selects > 0 || text_inputs > 0) && row.components.len() != 1 {
        return Err(ValidationError::Invalid {
            field: "components[].components",
            reason: "an action row holds up to five buttons, or exactly one select or text input",
        });
    }
    check_count(
        "components[].components",
        row.components.len(),
        1,
        BUTTONS_PER_ROW,
    )?;
    if row
        .components
        .iter()
        .any(|c| matches!(c, Component::ActionRow(_)))
    {
        return Err(ValidationError::Invalid {
            field: "components[].components",
            reason: "action rows cannot be nested",
        });
    }
    Ok(())
}

/// Checks one component tree: per-type limits and unique custom IDs.
fn validate_tree(component: &Component, seen: &mut HashSet<String>) -> Result<(), ValidationError> {
    match component {
        Component::ActionRow(row) => {
            validate_row(row)?;
            for child in &row.components {
                validate_tree(child, seen)?;
            }
        }
        Component::Button(button) => {
            validate_button(button)?;
            if let Some(id) = &button.custom_id {
                validate_custom_id(id, seen)?;
            }
        }
        Component::SelectMenu(select) => {
            validate_select(select)?;
            validate_custom_id(&select.custom_id, seen)?;
        }
        Component::TextInput(input) => {
            validate_text_input(input)?;
            validate_custom_id(&input.custom_id, seen)?;
        }
        Component::Section(section) => {
            for child in &section.components {
                validate_tree(child, seen)?;
            }
            validate_tree(&section.accessory, seen)?;
        }
        Component::Container(container) => {
            for child in &container.components {
                validate_tree(child, seen)?;
            }
        }
        Component::Label(label) => {
            check_len("components[].label", &label.label, 1, LABEL_TEXT)?;
            if let Some(description) = &label.description {
                check_len(
                    "components[].description",
                    description,
                    0,
                    LABEL_DESCRIPTION,
                )?;
            }
            validate_tree(&label.component, seen)?;
        }
        Component::FileUpload(upload) => {
            validate_custom_id(&upload.custom_id, seen)?;
            validate_picks(upload.min_values, upload.max_values, MODAL_CHOICES_MAX)?;
        }
        Component::RadioGroup(group) => {
            validate_custom_id(&group.custom_id, seen)?;
            check_count(
                "components[].options",
                group.options.len(),
                RADIO_GROUP_MIN_OPTIONS,
                MODAL_CHOICES_MAX,
            )?;
            validate_options(&group.options)?;
        }
        Component::CheckboxGroup(group) => {
            validate_custom_id(&group.custom_id, seen)?;
            check_count(
                "components[].options",
                group.options.len(),
                1,
                MODAL_CHOICES_MAX,
            )?;
            validate_options(&group.options)?;
            validate_picks(group.min_values, group.max_values, MODAL_CHOICES_MAX)?;
        }
        Component::Checkbox(checkbox) => validate_custom_id(&checkbox.custom_id, seen)?,
        _ => {}
    }
    Ok(())
}

/// Checks the components of a message: ≤ 5 action rows at top level for
/// legacy messages, ≤ 40 components in total with IS_COMPONENTS_V2, and each
/// component's own limits.
pub(crate) fn validate_message_components(
    components: &[Component],
    v2: bool,
) -> Result<(), ValidationError> {
    if v2 {
        let total: usize = components.iter().map(Component::count).sum();
        check_count("components (total)", total, 0, COMPONENTS_V2_TOTAL)?;
    } else {
        check_count("components", components.len(), 0, ACTION_ROWS_PER_MESSAGE)?;
        if components
            .iter()
            .any(|c| !matches!(c, Component::ActionRow(_)))
        {
            return Err(ValidationError::Invalid {
                field: "components",
                reason: "without IS_COMPONENTS_V2 every top-level component must be an action row",
            });
        }
    }
    let mut seen = HashSet::new();
    for component in components {
        if matches!(component, Component::TextInput(_)) {
            return Err(ValidationError::Invalid {
                field: "components",
                reason: "text inputs belong in modals, not messages",
            });
        }
        validate_tree(component, &mut seen)?;
    }
    Ok(())
}

pub(crate) fn validate_modal(modal: &Modal) -> Result<(), ValidationError> {
    check_len("title", &modal.title, 1, MODAL_TITLE)?;
    check_len("custom_id", &modal.custom_id, 1, CUSTOM_ID)?;
    check_count("components", modal.components.len(), 1, MODAL_COMPONENTS)?;
    let mut seen = HashSet::new();
    for component in &modal.components {
        validate_tree(component, &mut seen)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn button(id: &str) -> Button {
        ButtonBuilder::new(ButtonStyle::Primary, id)
            .build()
            .unwrap()
    }

    #[test]
    fn button_rules() {
        assert!(ButtonBuilder::new(ButtonStyle::Danger, "").build().is_err());
        assert!(ButtonBuilder::new(ButtonStyle::Danger, "x".repeat(101))
            .build()
            .is_err());
        assert!(ButtonBuilder::link("https://a.b").build().is_ok());
        assert!(ButtonBuilder::link("x".repeat(513)).build().is_err());
        assert!(ButtonBuilder::new(ButtonStyle::Primary, "a")
            .label("l".repeat(81))
            .build()
            .is_err());
        let sku = SkuId::new(5).unwrap();
        assert!(ButtonBuilder::premium(sku).build().is_ok());
        assert!(ButtonBuilder::premium(sku).label("no").build().is_err());
    }

    #[test]
    fn rows_and_messages() {
        let mut row = ActionRowBuilder::new();
        for i in 0..6 {
            row = row.push(button(&format!("b{i}")));
        }
        assert!(matches!(
            row.build(),
            Err(ValidationError::TooMany { max: 5, .. })
        ));
        let select = SelectMenuBuilder::new(SelectMenuType::User, "u")
            .build()
            .unwrap();
        assert!(ActionRowBuilder::new()
            .push(select.clone())
            .push(button("b"))
            .build()
            .is_err());
        let one = ActionRowBuilder::new().push(button("a")).build().unwrap();
        assert!(
            validate_message_components(&vec![one.clone(); 5], false).is_err(),
            "duplicate ids"
        );
        let rows: Vec<Component> = (0..6)
            .map(|i| {
                ActionRowBuilder::new()
                    .push(button(&format!("b{i}")))
                    .build()
                    .unwrap()
            })
            .collect();
        assert!(matches!(
            validate_message_components(&rows, false),
            Err(ValidationError::TooMany { max: 5, .. })
        ));
        assert!(validate_message_components(&rows[..5], false).is_ok());
        assert!(validate_message_components(&[Component::Button(button("z"))], false).is_err());
        assert!(validate_message_components(&[Component::Button(button("z"))], true).is_ok());
    }

    #[test]
    fn select_rules() {
        assert!(SelectMenuBuilder::new(SelectMenuType::String, "s")
            .build()
            .is_err());
        let mut many = SelectMenuBuilder::new(SelectMenuType::String, "s");
        for i in 0..26 {
            many = many.option(format!("l{i}"), format!("v{i}"));
        }
        assert!(matches!(
            many.build(),
            Err(ValidationError::TooMany { max: 25, .. })
        ));
        assert!(SelectMenuBuilder::new(SelectMenuType::Role, "r")
            .max_values(26)
            .build()
            .is_err());
        assert!(SelectMenuBuilder::new(SelectMenuType::Role, "r")
            .min_values(3)
            .max_values(2)
            .build()
            .is_err());
        assert!(SelectMenuBuilder::new(SelectMenuType::Role, "r")
            .placeholder("p".repeat(151))
            .build()
            .is_err());
    }

    #[test]
    fn text_inputs_and_modals() {
        let input = TextInputBuilder::new("t", TextInputStyle::Short)
            .max_length(4001)
            .build();
        assert!(input.is_err());
        let ok = TextInputBuilder::new("t", TextInputStyle::Short)
            .build()
            .unwrap();
        assert!(ModalBuilder::new("m", "t".repeat(46))
            .text_input("x", ok.clone())
            .build()
            .is_err());
        let mut modal = ModalBuilder::new("m", "Title");
        for i in 0..6 {
            let input = TextInputBuilder::new(format!("t{i}"), TextInputStyle::Short)
                .build()
                .unwrap();
            modal = modal.text_input("label", input);
        }
        assert!(matches!(
            modal.build(),
            Err(ValidationError::TooMany { max: 5, .. })
        ));
        let modal = ModalBuilder::new("m", "Title")
            .text_input("l", ok)
            .build()
            .unwrap();
        let json = serde_json::to_value(&modal).unwrap();
        assert_eq!(json["components"][0]["type"], 18);
        assert_eq!(json["components"][0]["component"]["type"], 4);
        assert_eq!(json["components"][0]["component"]["style"], 1);
    }
}
