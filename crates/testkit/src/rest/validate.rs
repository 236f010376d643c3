//! The limits of discord-protocol.md §9, checked the way Discord answers
//! them: 400 / 50035 with a field-level `errors` tree, unless the table
//! names another code (50006 empty message, 30015 too many attachments).

use acord_core_signals::{limits, JsonErrorCode};
use serde_json::Value;

use super::error::{ApiError, FormErrors};

/// SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE,
/// IS_COMPONENTS_V2: the flags Create Message accepts (§8.6).
pub(crate) const CREATE_MESSAGE_FLAGS: u64 = 4 | 4096 | 8192 | 32768;
/// SUPPRESS_EMBEDS and IS_COMPONENTS_V2: the flags Edit Message accepts.
pub(crate) const EDIT_MESSAGE_FLAGS: u64 = 4 | 32768;
/// The flags an interaction response or follow-up accepts (§10.3): the
/// create flags plus EPHEMERAL.
pub(crate) const INTERACTION_MESSAGE_FLAGS: u64 = CREATE_MESSAGE_FLAGS | 64;
/// IS_COMPONENTS_V2.
const COMPONENTS_V2: u64 = 32768;

const EMBED_TITLE: usize = 256;
const EMBED_DESCRIPTION: usize = 4096;
const EMBED_FIELDS: usize = 25;
const EMBED_FIELD_NAME: usize = 256;
const EMBED_FIELD_VALUE: usize = 1024;
const EMBED_FOOTER_TEXT: usize = 2048;
const EMBED_AUTHOR_NAME: usize = 256;
const NONCE: usize = 25;
const STICKERS: usize = 3;
const ATTACHMENT_DESCRIPTION: usize = 1024;
const ALLOWED_MENTION_IDS: usize = 100;
const COMPONENTS_V2_TOTAL: usize = 40;
const BUTTONS_PER_ROW: usize = 5;
const BUTTON_LABEL: usize = 80;
const BUTTON_URL: usize = 512;
const SELECT_OPTIONS: usize = 25;
const SELECT_OPTION_TEXT: usize = 100;
const SELECT_PLACEHOLDER: usize = 150;

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Length of embed text after trimming, as Discord counts it (§8.7).
fn trimmed(value: &Value) -> usize {
    value.as_str().map_or(0, |s| chars(s.trim()))
}

/// How a message body is being used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MessageUse {
    /// Create Message / Execute Webhook / type-4 callback: must not be
    /// empty.
    Create,
    /// Edit Message: every field optional.
    Edit,
}

/// Validates a message body with `files` uploaded alongside it.
///
/// # Errors
///
/// 400 / 50035 with `errors`, 400 / 50006 for an empty message, 400 /
/// 30015 for more than 10 attachments.
pub(crate) fn message(
    body: &Value,
    files: usize,
    usage: MessageUse,
    allowed_flags: u64,
) -> Result<(), ApiError> {
    let empty = serde_json::Map::new();
    let obj = match body {
        Value::Null => &empty,
        Value::Object(obj) => obj,
        _ => {
            return Err(ApiError::field(
                &[],
                "BASE_TYPE_OBJECT",
                "The request body must be an object.",
            ))
        }
    };
    let mut errors = FormErrors::default();
    let field = |key: &str| obj.get(key).filter(|v| !v.is_null());

    let content = field("content");
    if let Some(content) = content {
        match content.as_str() {
            Some(text) if chars(text) > limits::MESSAGE_CONTENT => {
                errors.max_length(&["content"], limits::MESSAGE_CONTENT);
            }
            Some(_) => {}
            None => errors.add(&["content"], "BASE_TYPE_STRING", "Must be a string."),
        }
    }

    let embeds = field("embeds");
    if let Some(embeds) = embeds {
        validate_embeds(embeds, &mut errors);
    }

    if let Some(nonce) = field("nonce") {
        match nonce {
            Value::String(s) if chars(s) > NONCE => errors.max_length(&["nonce"], NONCE),
            Value::String(_) | Value::Number(_) => {}
            _ => errors.add(
                &["nonce"],
                "BASE_TYPE_STRING",
                "Must be a string or integer.",
            ),
        }
    }
    let stickers = field("sticker_ids");
    if let Some(stickers) = stickers {
        if stickers.as_array().is_some_and(|s| s.len() > STICKERS) {
            errors.add(
                &["sticker_ids"],
                "BASE_TYPE_MAX_LENGTH",
                &format!("Must be {STICKERS} or fewer in length."),
            );
        }
    }

    let flags = match field("flags") {
        None => 0,
        Some(flags) => match flags.as_u64() {
            Some(bits) => bits,
            None => {
                errors.add(&["flags"], "NUMBER_TYPE_COERCE", "Must be an integer.");
                0
            }
        },
    };
    if flags & !allowed_flags != 0 {
        errors.add(
            &["flags"],
            "MESSAGE_FLAGS_INVALID",
            "Invalid message flags.",
        );
    }

    let components = field("components");
    if let Some(components) = components {
        validate_components(components, flags & COMPONENTS_V2 != 0, &mut errors);
    }
    if flags & COMPONENTS_V2 != 0 {
        for key in ["content", "embeds", "sticker_ids", "poll"] {
            let present = match field(key) {
                Some(Value::String(s)) => !s.is_empty(),
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
                None => false,
            };
            if present {
                errors.add(
                    &[key],
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "The 'IS_COMPONENTS_V2' flag cannot be used with this field.",
                );
            }
        }
    }

    if let Some(mentions) = field("allowed_mentions") {
        validate_allowed_mentions(mentions, &mut errors);
    }

    let attachments = field("attachments").and_then(Value::as_array);
    if let Some(list) = attachments {
        for (i, attachment) in list.iter().enumerate() {
            if trimmed(&attachment["description"]) > ATTACHMENT_DESCRIPTION {
                errors.max_length(
                    &["attachments", &i.to_string(), "description"],
                    ATTACHMENT_DESCRIPTION,
                );
            }
        }
    }
    errors.finish()?;

    let attachment_count = attachments.map_or(0, Vec::len).max(files);
    if attachment_count > limits::ATTACHMENTS_PER_MESSAGE {
        return Err(ApiError::code(
            JsonErrorCode::MaxAttachments,
            "Maximum number of attachments in a message reached (10)",
        ));
    }

    if usage == MessageUse::Create {
        let non_empty = |v: Option<&Value>| match v {
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(_)) => true,
            _ => false,
        };
        let forward = obj
            .get("message_reference")
            .is_some_and(|r| r["type"].as_u64() == Some(1));
        let has_something = non_empty(content)
            || non_empty(embeds)
            || non_empty(stickers)
            || non_empty(components)
            || files > 0
            || non_empty(field("poll"))
            || non_empty(field("shared_client_theme"))
            || forward;
        if !has_something {
            return Err(ApiError::code(
                JsonErrorCode::EmptyMessage,
                "Cannot send an empty message",
            ));
        }
    }
    Ok(())
}

fn validate_embeds(embeds: &Value, errors: &mut FormErrors) {
    let Some(list) = embeds.as_array() else {
        errors.add(&["embeds"], "BASE_TYPE_ARRAY", "Must be an array.");
        return;
    };
    if list.len() > limits::EMBEDS_PER_MESSAGE {
        errors.max_length(&["embeds"], limits::EMBEDS_PER_MESSAGE);
    }
    let mut total = 0;
    for (i, embed) in list.iter().enumerate() {
        let i = i.to_string();
        let mut check = |path: &[&str], value: &Value, max: usize| {
            let len = trimmed(value);
            total += len;
            if len > max {
                let mut full = vec!["embeds", i.as_str()];
                full.extend_from_slice(path);
                errors.max_length(&full, max);
            }
        };
        check(&["title"], &embed["title"], EMBED_TITLE);
        check(&["description"], &embed["description"], EMBED_DESCRIPTION);
        check(
            &["footer", "text"],
            &embed["footer"]["text"],
            EMBED_FOOTER_TEXT,
        );
        check(
            &["author", "name"],
            &embed["author"]["name"],
            EMBED_AUTHOR_NAME,
        );
        if let Some(fields) = embed["fields"].as_array() {
            if fields.len() > EMBED_FIELDS {
                errors.max_length(&["embeds", &i, "fields"], EMBED_FIELDS);
            }
            for (f, field) in fields.iter().enumerate() {
                let f = f.to_string();
                for (key, max) in [("name", EMBED_FIELD_NAME), ("value", EMBED_FIELD_VALUE)] {
                    let path = ["embeds", i.as_str(), "fields", f.as_str(), key];
                    if !field[key].is_string() {
                        errors.add(&path, "BASE_TYPE_REQUIRED", "This field is required");
                        continue;
                    }
                    let len = trimmed(&field[key]);
                    total += len;
                    if len > max {
                        errors.max_length(&path, max);
                    }
                }
            }
        }
    }
    if total > limits::EMBED_TOTAL_TEXT {
        errors.add(
            &["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            &format!(
                "Embed size exceeds maximum size of {}",
                limits::EMBED_TOTAL_TEXT
            ),
        );
    }
}

fn validate_allowed_mentions(mentions: &Value, errors: &mut FormErrors) {
    let parse: Vec<&str> = mentions["parse"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for item in &parse {
        if !matches!(*item, "roles" | "users" | "everyone") {
            errors.add(
                &["allowed_mentions", "parse"],
                "BASE_TYPE_CHOICES",
                "Value must be one of {'roles', 'users', 'everyone'}.",
            );
        }
    }
    for key in ["users", "roles"] {
        let ids = mentions[key].as_array().map_or(0, Vec::len);
        if ids > ALLOWED_MENTION_IDS {
            errors.max_length(&["allowed_mentions", key], ALLOWED_MENTION_IDS);
        }
        if ids > 0 && parse.contains(&key) {
            errors.add(
                &["allowed_mentions"],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                &format!("parse:[\"{key}\"] and {key}: [ids...] are mutually exclusive."),
            );
        }
    }
}

fn validate_components(components: &Value, v2: bool, errors: &mut FormErrors) {
    let Some(rows) = components.as_array() else {
        errors.add(&["components"], "BASE_TYPE_ARRAY", "Must be an array.");
        return;
    };
    let mut custom_ids: Vec<String> = Vec::new();
    if v2 {
        let total = count_components(components);
        if total > COMPONENTS_V2_TOTAL {
            errors.max_length(&["components"], COMPONENTS_V2_TOTAL);
        }
    } else if rows.len() > limits::ACTION_ROWS_PER_MESSAGE {
        errors.max_length(&["components"], limits::ACTION_ROWS_PER_MESSAGE);
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r.to_string();
        if !v2 && row["type"].as_u64() != Some(1) {
            errors.add(
                &["components", &r, "type"],
                "BASE_TYPE_CHOICES",
                "Top-level components must be action rows.",
            );
            continue;
        }
        let children = row["components"].as_array().map_or(&[][..], Vec::as_slice);
        let selects = children
            .iter()
            .filter(|c| matches!(c["type"].as_u64(), Some(3 | 5..=8)))
            .count();
        if selects > 0 && children.len() != 1 {
            errors.add(
                &["components", &r, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "An action row with a select menu holds exactly one component.",
            );
        } else if children.len() > BUTTONS_PER_ROW {
            errors.max_length(&["components", &r, "components"], BUTTONS_PER_ROW);
        }
        for (c, child) in children.iter().enumerate() {
            let c = c.to_string();
            let path = ["components", r.as_str(), "components", c.as_str()];
            validate_component(child, &path, &mut custom_ids, errors);
        }
    }
}

fn count_components(value: &Value) -> usize {
    value.as_array().map_or(0, |list| {
        list.iter()
            .map(|c| {
                1 + count_components(&c["components"]) + usize::from(c.get("accessory").is_some())
            })
            .sum()
    })
}

fn validate_component(
    component: &Value,
    path: &[&str],
    custom_ids: &mut Vec<String>,
    errors: &mut FormErrors,
) {
    let with = |key: &str| {
        let mut full = path.to_vec();
        full.push(key);
        full.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let add = |errors: &mut FormErrors, key: &str, code: &str, message: &str| {
        let owned = with(key);
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        errors.add(&refs, code, message);
    };
    if let Some(id) = component["custom_id"].as_str() {
        let len = chars(id);
        if len == 0 || len > limits::CUSTOM_ID {
            add(
                errors,
                "custom_id",
                "BASE_TYPE_BAD_LENGTH",
                &format!("Must be between 1 and {} in length.", limits::CUSTOM_ID),
            );
        } else if custom_ids.iter().any(|seen| seen == id) {
            add(
                errors,
                "custom_id",
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            );
        } else {
            custom_ids.push(id.to_owned());
        }
    }
    match component["type"].as_u64() {
        Some(2) => {
            if trimmed(&component["label"]) > BUTTON_LABEL {
                add(
                    errors,
                    "label",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 80 or fewer in length.",
                );
            }
            let style = component["style"].as_u64().unwrap_or(0);
            let has_url = component["url"].is_string();
            let has_id = component["custom_id"].is_string();
            match style {
                1..=4 if !has_id || has_url => add(
                    errors,
                    "custom_id",
                    "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                    "A custom id is required (and a url is not allowed) for this style",
                ),
                5 if !has_url || has_id => add(
                    errors,
                    "url",
                    "BUTTON_COMPONENT_URL_REQUIRED",
                    "A url is required (and a custom id is not allowed) for link buttons",
                ),
                1..=6 => {}
                _ => add(
                    errors,
                    "style",
                    "BASE_TYPE_CHOICES",
                    "Invalid button style.",
                ),
            }
            if chars(component["url"].as_str().unwrap_or("")) > BUTTON_URL {
                add(
                    errors,
                    "url",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 512 or fewer in length.",
                );
            }
        }
        Some(3) => {
            let options = component["options"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            if options.is_empty() || options.len() > SELECT_OPTIONS {
                add(
                    errors,
                    "options",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 25 in length.",
                );
            }
            for option in options {
                for key in ["label", "value", "description"] {
                    if chars(option[key].as_str().unwrap_or("")) > SELECT_OPTION_TEXT {
                        add(
                            errors,
                            "options",
                            "BASE_TYPE_MAX_LENGTH",
                            "Option text too long.",
                        );
                    }
                }
            }
            check_select(component, &add, errors);
        }
        Some(5..=8) => check_select(component, &add, errors),
        _ => {}
    }
}

fn check_select(
    component: &Value,
    add: &impl Fn(&mut FormErrors, &str, &str, &str),
    errors: &mut FormErrors,
) {
    if chars(component["placeholder"].as_str().unwrap_or("")) > SELECT_PLACEHOLDER {
        add(
            errors,
            "placeholder",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 150 or fewer in length.",
        );
    }
    if component["min_values"].as_u64().is_some_and(|v| v > 25) {
        add(
            errors,
            "min_values",
            "NUMBER_TYPE_MAX",
            "Must be 25 or less.",
        );
    }
    if component["max_values"]
        .as_u64()
        .is_some_and(|v| v == 0 || v > 25)
    {
        add(
            errors,
            "max_values",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 25.",
        );
    }
}

/// Validates a string field's length range (`min..=max` characters).
pub(crate) fn length(errors: &mut FormErrors, body: &Value, key: &str, min: usize, max: usize) {
    match &body[key] {
        Value::Null => {}
        Value::String(s) => {
            let len = chars(s);
            if len < min || len > max {
                errors.add(
                    &[key],
                    "BASE_TYPE_BAD_LENGTH",
                    &format!("Must be between {min} and {max} in length."),
                );
            }
        }
        _ => errors.add(&[key], "BASE_TYPE_STRING", "Must be a string."),
    }
}

/// The image types an image data URI may carry (§1.3; emojis also take
/// WebP and AVIF).
const IMAGE_TYPES: [&str; 5] = ["png", "jpeg", "gif", "webp", "avif"];

/// Reads an image data URI (§1.3, `data:image/png;base64,...`): the image
/// subtype (`png`, `gif`...) and the decoded size in bytes, or `None` when
/// it is not one (wrong prefix, unknown type, invalid base64, no data).
pub(crate) fn image_data(text: &str) -> Option<(&str, usize)> {
    let rest = text.strip_prefix("data:image/")?;
    let (subtype, data) = rest.split_once(";base64,")?;
    let subtype = if subtype == "jpg" { "jpeg" } else { subtype };
    if !IMAGE_TYPES.contains(&subtype) || data.is_empty() || data.len() % 4 != 0 {
        return None;
    }
    let body = data.trim_end_matches('=');
    let padding = data.len() - body.len();
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    if padding > 2 || !body.bytes().all(alphabet) {
        return None;
    }
    Some((subtype, data.len() / 4 * 3 - padding))
}

/// Validates an integer field's range.
pub(crate) fn range(errors: &mut FormErrors, body: &Value, key: &str, min: i64, max: i64) {
    match &body[key] {
        Value::Null => {}
        value => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => {}
            Some(_) => errors.add(
                &[key],
                "NUMBER_TYPE_MAX",
                &format!("Must be between {min} and {max}."),
            ),
            None => errors.add(&[key], "NUMBER_TYPE_COERCE", "Must be an integer."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(body: Value) -> Result<(), ApiError> {
        message(&body, 0, MessageUse::Create, CREATE_MESSAGE_FLAGS)
    }

    #[test]
    fn image_data_uris() {
        assert_eq!(
            image_data("data:image/png;base64,iVBORw0KGgo="),
            Some(("png", 8))
        );
        assert_eq!(image_data("data:image/gif;base64,R0lG"), Some(("gif", 3)));
        assert_eq!(image_data("data:image/jpg;base64,/9j/"), Some(("jpeg", 3)));
        for bad in [
            "iVBORw0KGgo=",
            "data:image/png;base64,",
            "data:image/bmp;base64,AAAA",
            "data:image/png;base64,AAA",
            "data:image/png;base64,A===",
            "data:image/png;base64,AA!A",
            "data:text/plain;base64,AAAA",
        ] {
            assert_eq!(image_data(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_and_emptiness() {
        assert!(create(json!({"content": "hi"})).is_ok());
        let err = create(json!({"content": ""})).unwrap_err();
        assert_eq!(err.body["code"], 50006);
        let err = create(json!({})).unwrap_err();
        assert_eq!(err.body["code"], 50006);
        assert!(message(&json!({}), 1, MessageUse::Create, CREATE_MESSAGE_FLAGS).is_ok());
        assert!(message(&json!({}), 0, MessageUse::Edit, EDIT_MESSAGE_FLAGS).is_ok());
        let long = "x".repeat(2001);
        let err = create(json!({"content": long})).unwrap_err();
        assert_eq!(err.body["code"], 50035);
        assert_eq!(
            err.body["errors"]["content"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        // 2000 multi-byte characters are fine.
        assert!(create(json!({"content": "é".repeat(2000)})).is_ok());
    }

    #[test]
    fn embeds() {
        let embed = json!({"title": "t".repeat(257)});
        let err = create(json!({"embeds": [embed]})).unwrap_err();
        assert!(err.body["errors"]["embeds"]["0"]["title"]["_errors"].is_array());
        let many: Vec<Value> = (0..11).map(|_| json!({"title": "x"})).collect();
        assert_eq!(create(json!({"embeds": many})).unwrap_err().status, 400);
        let big: Vec<Value> = (0..2)
            .map(|_| json!({"description": "d".repeat(3001)}))
            .collect();
        let err = create(json!({"embeds": big})).unwrap_err();
        assert_eq!(
            err.body["errors"]["embeds"]["_errors"][0]["code"],
            "MAX_EMBED_SIZE_EXCEEDED"
        );
        let fields: Vec<Value> = (0..26)
            .map(|_| json!({"name": "n", "value": "v"}))
            .collect();
        assert!(create(json!({"embeds": [{"fields": fields}]})).is_err());
        let missing = json!({"embeds": [{"fields": [{"name": "n"}]}]});
        assert!(create(missing).is_err());
    }

    #[test]
    fn components_and_flags() {
        let row = |n: usize| {
            let buttons: Vec<Value> = (0..n)
                .map(|i| json!({"type": 2, "style": 1, "custom_id": format!("b{i}"), "label": "x"}))
                .collect();
            json!({"type": 1, "components": buttons})
        };
        assert!(create(json!({"components": [row(5)]})).is_ok());
        assert!(create(json!({"components": [row(6)]})).is_err());
        let rows: Vec<Value> = (0..6)
            .map(|_| json!({"type": 1, "components": []}))
            .collect();
        assert!(create(json!({"components": rows})).is_err());
        let dup = json!({"components": [row(2), row(1)]});
        let err = create(dup).unwrap_err();
        assert_eq!(
            err.body["errors"]["components"]["1"]["components"]["0"]["custom_id"]["_errors"][0]
                ["code"],
            "COMPONENT_CUSTOM_ID_DUPLICATED"
        );
        let select =
            json!({"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]});
        let button = json!({"type": 2, "style": 5, "url": "https://x", "label": "l"});
        assert!(
            create(json!({"components": [{"type": 1, "components": [select.clone()]}]})).is_ok()
        );
        assert!(
            create(json!({"components": [{"type": 1, "components": [select, button]}]})).is_err()
        );
        assert!(create(json!({"content": "x", "flags": 64})).is_err());
        assert!(create(json!({"content": "x", "flags": 4096})).is_ok());
        assert!(create(json!({"content": "x", "flags": 32768})).is_err());
    }

    #[test]
    fn mentions_nonce_attachments() {
        let bad = json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}});
        assert!(create(bad).is_err());
        let ok = json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": []}});
        assert!(create(ok).is_ok());
        assert!(create(json!({"content": "x", "nonce": "n".repeat(26)})).is_err());
        assert!(create(json!({"content": "x", "nonce": 123})).is_ok());
        let err = message(&json!({}), 11, MessageUse::Create, CREATE_MESSAGE_FLAGS).unwrap_err();
        assert_eq!(err.body["code"], 30015);
        assert!(create(json!({"content": "x", "sticker_ids": ["1", "2", "3", "4"]})).is_err());
        assert_eq!(create(json!([1])).unwrap_err().body["code"], 50035);
    }
}
