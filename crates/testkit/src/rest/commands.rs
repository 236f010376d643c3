//! Application commands, global and per guild (discord-protocol.md §10.6,
//! limits §9).
//!
//! POST with a name that already exists (same type and scope) overwrites
//! that command and answers 200; a new command answers 201 (the protocol
//! document's interpretation).
//!
//! The list routes (`GET .../commands`) leave out the
//! `name_localizations` and `description_localizations` maps (of the
//! commands, their options and choices) unless asked for with
//! `?with_localizations=true`, as Discord documents ("Retrieving localized
//! commands"). Discord sends `name_localized`/`description_localized` for
//! the requester's locale instead; the fake has no locale, so it sends
//! neither (as Discord does when the locale has no translation).

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Value};

use super::error::{ApiError, FormErrors};
use super::{Ctx, Reply};
use crate::world::{id_of, World};

const CHAT_INPUT: u64 = 1;
const PRIMARY_ENTRY_POINT: u64 = 4;
const NAME_MAX: usize = 32;
const DESCRIPTION_MAX: usize = 100;
const OPTIONS_MAX: usize = 25;
const CHOICES_MAX: usize = 25;
const CHOICE_NAME_MAX: usize = 100;
const CHOICE_STRING_MAX: usize = 100;
const STRING_LENGTH_MAX: u64 = 6000;
const TOTAL_SIZE_MAX: usize = 8000;
/// Command creates allowed per day per guild (§2.1, §9: 30034).
const DAILY_CREATES: usize = 200;
const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The scope of a command route: global or one guild.
fn scope(ctx: &Ctx<'_>, world: &World) -> Result<Option<u64>, ApiError> {
    if ctx.params.id("application.id") != world.application_id {
        return Err(ApiError::code(
            JsonErrorCode::NotAuthorizedForApplication,
            "You are not authorized to perform this action on this application",
        ));
    }
    if !ctx.params.has("guild.id") {
        return Ok(None);
    }
    let guild_id = ctx.params.id("guild.id");
    if !world.guilds.contains_key(&guild_id) {
        return Err(ApiError::code(
            JsonErrorCode::MissingAccess,
            "Missing Access",
        ));
    }
    Ok(Some(guild_id))
}

fn in_scope(command: &Value, guild_id: Option<u64>) -> bool {
    match guild_id {
        Some(g) => id_of(&command["guild_id"]) == g,
        None => command.get("guild_id").is_none(),
    }
}

fn kind(command: &Value) -> u64 {
    command["type"].as_u64().unwrap_or(CHAT_INPUT)
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`, lower case where a lower
/// case exists (§9). Devanagari and Thai are letters or marks; marks are
/// accepted through their script ranges.
fn chat_input_name_ok(name: &str) -> bool {
    let len = chars(name);
    (1..=NAME_MAX).contains(&len)
        && name.chars().all(|c| {
            let script = matches!(c, '\u{0900}'..='\u{097F}' | '\u{0E00}'..='\u{0E7F}');
            (c.is_alphanumeric() || script || matches!(c, '-' | '_' | '\''))
                && c.to_lowercase().eq(std::iter::once(c))
        })
}

fn validate_options(
    options: &Value,
    path: &mut Vec<String>,
    errors: &mut FormErrors,
    size: &mut usize,
) {
    let add = |errors: &mut FormErrors, path: &[String], key: &str, code: &str, message: &str| {
        let mut full: Vec<&str> = path.iter().map(String::as_str).collect();
        if !key.is_empty() {
            full.push(key);
        }
        errors.add(&full, code, message);
    };
    let Some(list) = options.as_array() else {
        add(errors, path, "", "BASE_TYPE_ARRAY", "Must be an array.");
        return;
    };
    if list.len() > OPTIONS_MAX {
        add(
            errors,
            path,
            "",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        );
    }
    let mut seen_optional = false;
    for (i, option) in list.iter().enumerate() {
        path.push(i.to_string());
        let option_type = option["type"].as_u64().unwrap_or(0);
        if !(1..=11).contains(&option_type) {
            add(
                errors,
                path,
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {1, ..., 11}.",
            );
        }
        let name = option["name"].as_str().unwrap_or("");
        if !chat_input_name_ok(name) {
            add(
                errors,
                path,
                "name",
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            );
        }
        let description = option["description"].as_str().unwrap_or("");
        if !(1..=DESCRIPTION_MAX).contains(&chars(description)) {
            add(
                errors,
                path,
                "description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
        *size += chars(name) + chars(description);
        let required = option["required"].as_bool().unwrap_or(false);
        if required && seen_optional {
            add(
                errors,
                path,
                "required",
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            );
        }
        seen_optional |= !required && option_type > 2;
        if let Some(choices) = option["choices"].as_array() {
            if choices.len() > CHOICES_MAX {
                add(
                    errors,
                    path,
                    "choices",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                );
            }
            if option["autocomplete"].as_bool() == Some(true) {
                add(
                    errors,
                    path,
                    "autocomplete",
                    "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                    "Autocomplete cannot be set with choices",
                );
            }
            for choice in choices {
                let choice_name = choice["name"].as_str().unwrap_or("");
                if !(1..=CHOICE_NAME_MAX).contains(&chars(choice_name)) {
                    add(
                        errors,
                        path,
                        "choices",
                        "BASE_TYPE_BAD_LENGTH",
                        "Choice names must be between 1 and 100 in length.",
                    );
                }
                *size += chars(choice_name);
                if let Some(value) = choice["value"].as_str() {
                    if chars(value) > CHOICE_STRING_MAX {
                        add(
                            errors,
                            path,
                            "choices",
                            "BASE_TYPE_MAX_LENGTH",
                            "Choice values must be 100 or fewer in length.",
                        );
                    }
                    *size += chars(value);
                }
            }
        }
        if option["min_length"]
            .as_u64()
            .is_some_and(|n| n > STRING_LENGTH_MAX)
        {
            add(
                errors,
                path,
                "min_length",
                "NUMBER_TYPE_MAX",
                "Must be 6000 or less.",
            );
        }
        if option["max_length"]
            .as_u64()
            .is_some_and(|n| n == 0 || n > STRING_LENGTH_MAX)
        {
            add(
                errors,
                path,
                "max_length",
                "NUMBER_TYPE_MAX",
                "Must be between 1 and 6000.",
            );
        }
        if option.get("options").is_some_and(|o| !o.is_null()) {
            path.push("options".into());
            validate_options(&option["options"], path, errors, size);
            path.pop();
        }
        path.pop();
    }
}

/// Validates one command body; `prefix` is the path of the command in a
/// bulk body.
fn validate_command(body: &Value, prefix: &[String], errors: &mut FormErrors) {
    let add = |errors: &mut FormErrors, key: &str, code: &str, message: &str| {
        let mut full: Vec<&str> = prefix.iter().map(String::as_str).collect();
        if !key.is_empty() {
            full.push(key);
        }
        errors.add(&full, code, message);
    };
    if !body.is_object() {
        add(errors, "", "BASE_TYPE_OBJECT", "Must be an object.");
        return;
    }
    let command_type = kind(body);
    if !(1..=4).contains(&command_type) {
        add(
            errors,
            "type",
            "BASE_TYPE_CHOICES",
            "Value must be one of {1, 2, 3, 4}.",
        );
    }
    let Some(name) = body["name"].as_str() else {
        add(
            errors,
            "name",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        );
        return;
    };
    let name_ok = if command_type == CHAT_INPUT {
        chat_input_name_ok(name)
    } else {
        (1..=NAME_MAX).contains(&chars(name))
    };
    if !name_ok {
        add(
            errors,
            "name",
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        );
    }
    let description = body["description"].as_str().unwrap_or("");
    if command_type == CHAT_INPUT {
        if !(1..=DESCRIPTION_MAX).contains(&chars(description)) {
            add(
                errors,
                "description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
    } else if command_type != PRIMARY_ENTRY_POINT && !description.is_empty() {
        add(
            errors,
            "description",
            "APPLICATION_COMMAND_DESCRIPTION_NOT_EMPTY",
            "Description must be empty for this command type.",
        );
    }
    let mut size = chars(name) + chars(description);
    if body.get("options").is_some_and(|o| !o.is_null()) {
        if command_type != CHAT_INPUT {
            add(
                errors,
                "options",
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Only CHAT_INPUT commands have options.",
            );
        }
        let mut path: Vec<String> = prefix.to_vec();
        path.push("options".into());
        validate_options(&body["options"], &mut path, errors, &mut size);
    }
    if size > TOTAL_SIZE_MAX {
        add(
            errors,
            "",
            "APPLICATION_COMMAND_TOO_LARGE",
            "Command exceeds maximum size (8000)",
        );
    }
}

/// Per-type command limits (§9): 100 CHAT_INPUT, 15 USER, 15 MESSAGE,
/// 1 PRIMARY_ENTRY_POINT (global only).
fn max_commands(command_type: u64, guild: bool) -> usize {
    match command_type {
        CHAT_INPUT => 100,
        PRIMARY_ENTRY_POINT if guild => 0,
        PRIMARY_ENTRY_POINT => 1,
        _ => 15,
    }
}

/// A stored command from a request body.
fn build(world: &mut World, body: &Value, guild_id: Option<u64>, id: Option<u64>) -> Value {
    let id = id.unwrap_or_else(|| world.next_id());
    let version = world.next_id();
    let command_type = kind(body);
    let mut command = json!({
        "id": id.to_string(),
        "type": command_type,
        "application_id": world.application_id.to_string(),
        "name": body["name"],
        "name_localizations": body.get("name_localizations").cloned().unwrap_or(Value::Null),
        "description": body["description"].as_str().unwrap_or(""),
        "description_localizations": body.get("description_localizations").cloned().unwrap_or(Value::Null),
        "default_member_permissions": body.get("default_member_permissions").cloned().unwrap_or(Value::Null),
        "default_permission": true,
        "nsfw": body["nsfw"].as_bool().unwrap_or(false),
        "integration_types": body.get("integration_types").cloned().unwrap_or(json!([0])),
        "contexts": body.get("contexts").cloned().unwrap_or(Value::Null),
        "version": version.to_string(),
    });
    if let Some(options) = body.get("options").filter(|o| !o.is_null()) {
        command["options"] = options.clone();
    }
    if let Some(handler) = body.get("handler") {
        command["handler"] = handler.clone();
    }
    match guild_id {
        Some(guild_id) => command["guild_id"] = json!(guild_id.to_string()),
        None => command["dm_permission"] = json!(body["dm_permission"].as_bool().unwrap_or(true)),
    }
    command
}

fn find(world: &World, guild_id: Option<u64>, command_type: u64, name: &str) -> Option<u64> {
    world
        .commands
        .iter()
        .find(|(_, c)| in_scope(c, guild_id) && kind(c) == command_type && c["name"] == name)
        .map(|(id, _)| *id)
}

/// Removes the localisation maps of a command, its options and choices
/// (what the list routes do without `with_localizations=true`).
fn strip_localizations(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        object.remove("name_localizations");
        object.remove("description_localizations");
    }
    for key in ["options", "choices"] {
        if let Some(items) = value.get_mut(key).and_then(Value::as_array_mut) {
            items.iter_mut().for_each(strip_localizations);
        }
    }
}

/// `GET .../commands[?with_localizations=true]`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let with_localizations = ctx.query_bool("with_localizations");
    let world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    let list: Vec<Value> = world
        .commands
        .values()
        .filter(|c| in_scope(c, guild_id))
        .cloned()
        .map(|mut command| {
            if !with_localizations {
                strip_localizations(&mut command);
            }
            command
        })
        .collect();
    Ok(Reply::ok(Value::Array(list)))
}

/// `POST .../commands`: 201 new, 200 overwrite of the same name and type.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.json();
    let mut errors = FormErrors::default();
    validate_command(body, &[], &mut errors);
    errors.finish()?;
    let mut world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    let command_type = kind(body);
    let name = body["name"].as_str().unwrap_or("");
    let existing = find(&world, guild_id, command_type, name);
    let now = ctx.now;
    let creates = world.command_creates.entry(guild_id).or_default();
    creates.retain(|at| now.saturating_duration_since(*at) < DAY);
    if creates.len() >= DAILY_CREATES {
        return Err(ApiError::code(
            JsonErrorCode::MaxDailyApplicationCommandCreates,
            "Max number of daily application command creates has been reached (200)",
        ));
    }
    creates.push(now);
    if existing.is_none() {
        let count = world
            .commands
            .values()
            .filter(|c| in_scope(c, guild_id) && kind(c) == command_type)
            .count();
        if count >= max_commands(command_type, guild_id.is_some()) {
            return Err(ApiError::code(
                JsonErrorCode::MaxApplicationCommands,
                "Maximum number of application commands reached",
            ));
        }
    }
    let command = build(&mut world, body, guild_id, existing);
    world
        .commands
        .insert(id_of(&command["id"]), command.clone());
    Ok(Reply::json(
        if existing.is_some() { 200 } else { 201 },
        command,
    ))
}

/// `PUT .../commands`: replaces every command of the scope; commands whose
/// name and type survive keep their id.
pub(crate) fn bulk_overwrite(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.json();
    let Some(list) = body.as_array() else {
        return Err(ApiError::field(&[], "BASE_TYPE_ARRAY", "Must be an array."));
    };
    let mut errors = FormErrors::default();
    let mut seen: Vec<(u64, String)> = Vec::new();
    for (i, command) in list.iter().enumerate() {
        let prefix = [i.to_string()];
        validate_command(command, &prefix, &mut errors);
        let key = (
            kind(command),
            command["name"].as_str().unwrap_or("").to_owned(),
        );
        if seen.contains(&key) {
            errors.add(
                &[&prefix[0], "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            );
        }
        seen.push(key);
    }
    errors.finish()?;
    let mut world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    for command_type in 1..=4 {
        let count = seen.iter().filter(|(t, _)| *t == command_type).count();
        if count > max_commands(command_type, guild_id.is_some()) {
            return Err(ApiError::code(
                JsonErrorCode::MaxApplicationCommands,
                "Maximum number of application commands reached",
            ));
        }
    }
    let mut result = Vec::new();
    let mut keep = Vec::new();
    for command in list {
        let existing = find(
            &world,
            guild_id,
            kind(command),
            command["name"].as_str().unwrap_or(""),
        );
        let built = build(&mut world, command, guild_id, existing);
        keep.push(id_of(&built["id"]));
        result.push(built);
    }
    world
        .commands
        .retain(|id, c| !in_scope(c, guild_id) || keep.contains(id));
    for command in &result {
        world
            .commands
            .insert(id_of(&command["id"]), command.clone());
    }
    Ok(Reply::ok(Value::Array(result)))
}

fn command_id(ctx: &Ctx<'_>, world: &World, guild_id: Option<u64>) -> Result<u64, ApiError> {
    let id = ctx.params.id("command.id");
    world
        .commands
        .get(&id)
        .filter(|c| in_scope(c, guild_id))
        .map(|_| id)
        .ok_or_else(|| ApiError::unknown(JsonErrorCode::UnknownApplicationCommand))
}

/// `GET .../commands/{command.id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    let id = command_id(ctx, &world, guild_id)?;
    Ok(Reply::ok(world.commands[&id].clone()))
}

/// `PATCH .../commands/{command.id}`: fields present replace the old ones;
/// a name taken by another command of the same type is 40041.
pub(crate) fn edit(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let patch = ctx.json();
    let mut world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    let id = command_id(ctx, &world, guild_id)?;
    let mut merged = world.commands[&id].clone();
    if let (Some(target), Some(fields)) = (merged.as_object_mut(), patch.as_object()) {
        for (key, value) in fields {
            if key != "type" && key != "id" {
                target.insert(key.clone(), value.clone());
            }
        }
    }
    let mut errors = FormErrors::default();
    validate_command(&merged, &[], &mut errors);
    errors.finish()?;
    let name = merged["name"].as_str().unwrap_or("").to_owned();
    if find(&world, guild_id, kind(&merged), &name).is_some_and(|other| other != id) {
        return Err(ApiError::code(
            JsonErrorCode::CommandNameExists,
            "Application command with that name already exists",
        ));
    }
    let command = build(&mut world, &merged, guild_id, Some(id));
    world.commands.insert(id, command.clone());
    Ok(Reply::ok(command))
}

/// `DELETE .../commands/{command.id}`: 204.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut world = ctx.world();
    let guild_id = scope(ctx, &world)?;
    let id = command_id(ctx, &world, guild_id)?;
    world.commands.remove(&id);
    Ok(Reply::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(chat_input_name_ok("ping"));
        assert!(chat_input_name_ok("über-cool_'1"));
        assert!(!chat_input_name_ok("Ping"));
        assert!(!chat_input_name_ok("with space"));
        assert!(!chat_input_name_ok(""));
        assert!(!chat_input_name_ok(&"a".repeat(33)));
    }

    #[test]
    fn localizations_are_stripped_at_every_level() {
        let mut command = json!({
            "name": "pet",
            "name_localizations": {"de": "tier"},
            "description_localizations": null,
            "options": [{
                "name": "kind",
                "description_localizations": {"de": "Art"},
                "choices": [{"name": "Dog", "name_localizations": {"de": "Hund"}, "value": "dog"}],
                "options": [{"name": "x", "name_localizations": {}}],
            }],
        });
        strip_localizations(&mut command);
        assert_eq!(
            command,
            json!({
                "name": "pet",
                "options": [{
                    "name": "kind",
                    "choices": [{"name": "Dog", "value": "dog"}],
                    "options": [{"name": "x"}],
                }],
            })
        );
    }

    #[test]
    fn command_validation() {
        let mut errors = FormErrors::default();
        validate_command(
            &json!({"name": "ping", "description": "Pong!"}),
            &[],
            &mut errors,
        );
        assert!(errors.is_empty());
        let mut errors = FormErrors::default();
        validate_command(&json!({"name": "ping"}), &[], &mut errors);
        assert!(!errors.is_empty());
        let mut errors = FormErrors::default();
        validate_command(
            &json!({"name": "Report User", "type": 2, "description": ""}),
            &[],
            &mut errors,
        );
        assert!(errors.is_empty());
        let mut errors = FormErrors::default();
        let options = json!([
            {"type": 3, "name": "a", "description": "a"},
            {"type": 3, "name": "b", "description": "b", "required": true},
        ]);
        validate_command(
            &json!({"name": "x", "description": "x", "options": options}),
            &[],
            &mut errors,
        );
        let v = errors.into_value();
        assert!(v["options"]["1"]["required"]["_errors"].is_array(), "{v}");
    }
}
