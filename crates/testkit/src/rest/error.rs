//! Discord's JSON error bodies (discord-protocol.md §1.7).

use acord_core_signals::JsonErrorCode;
use serde_json::{json, Map, Value};

/// An error answer: a status and a JSON body `{code, message, errors?}`.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl ApiError {
    /// An error with a JSON error code, paired with its usual status
    /// (`JsonErrorCode::usual_status`, the §1.8 interpretation).
    pub fn code(code: JsonErrorCode, message: &str) -> ApiError {
        ApiError::with_status(code.usual_status(), code, message)
    }

    /// An error with an explicit status.
    pub fn with_status(status: u16, code: JsonErrorCode, message: &str) -> ApiError {
        ApiError {
            status,
            body: json!({"code": code.code(), "message": message}),
        }
    }

    /// `404: Not Found` for a path the API does not have (code 0, as
    /// Discord answers unknown routes).
    pub fn unknown_route() -> ApiError {
        ApiError::with_status(404, JsonErrorCode::GeneralError, "404: Not Found")
    }

    /// `405: Method Not Allowed` (code 0).
    pub fn method_not_allowed() -> ApiError {
        ApiError::with_status(405, JsonErrorCode::GeneralError, "405: Method Not Allowed")
    }

    /// `401: Unauthorized` with code 40001 (§1.8).
    pub fn unauthorized() -> ApiError {
        ApiError::code(JsonErrorCode::Unauthorized, "401: Unauthorized")
    }

    /// 400 with code 50035 and an `errors` object.
    pub fn form(errors: FormErrors) -> ApiError {
        let mut error = ApiError::code(JsonErrorCode::InvalidFormBody, "Invalid Form Body");
        error.body["errors"] = errors.into_value();
        error
    }

    /// 400 / 50035 with one error at `path`.
    pub fn field(path: &[&str], code: &str, message: &str) -> ApiError {
        let mut errors = FormErrors::default();
        errors.add(path, code, message);
        ApiError::form(errors)
    }

    /// The "Unknown X" 404s.
    pub fn unknown(code: JsonErrorCode) -> ApiError {
        let message = match code {
            JsonErrorCode::UnknownChannel => "Unknown Channel",
            JsonErrorCode::UnknownGuild => "Unknown Guild",
            JsonErrorCode::UnknownMember => "Unknown Member",
            JsonErrorCode::UnknownMessage => "Unknown Message",
            JsonErrorCode::UnknownRole => "Unknown Role",
            JsonErrorCode::UnknownUser => "Unknown User",
            JsonErrorCode::UnknownEmoji => "Unknown Emoji",
            JsonErrorCode::UnknownWebhook => "Unknown Webhook",
            JsonErrorCode::UnknownBan => "Unknown Ban",
            JsonErrorCode::UnknownInvite => "Unknown Invite",
            JsonErrorCode::UnknownInteraction => "Unknown interaction",
            JsonErrorCode::UnknownApplication => "Unknown Application",
            JsonErrorCode::UnknownApplicationCommand => "Unknown application command",
            _ => "Unknown resource",
        };
        ApiError::code(code, message)
    }
}

/// A field-level `errors` tree: keys mirror the request body, array indexes
/// are strings, leaves hold `_errors: [{code, message}]` (§1.7).
#[derive(Clone, Debug, Default)]
pub(crate) struct FormErrors {
    root: Map<String, Value>,
}

impl FormErrors {
    /// Adds an error at `path` (empty path = request-level error).
    pub fn add(&mut self, path: &[&str], code: &str, message: &str) {
        let mut node = &mut self.root;
        for key in path {
            let entry = node
                .entry((*key).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else {
                return;
            };
            node = next;
        }
        let errors = node
            .entry("_errors".to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = errors {
            list.push(json!({"code": code, "message": message}));
        }
    }

    /// Adds a "must be N or fewer in length" error.
    pub fn max_length(&mut self, path: &[&str], max: usize) {
        self.add(
            path,
            "BASE_TYPE_MAX_LENGTH",
            &format!("Must be {max} or fewer in length."),
        );
    }

    /// Whether no error was added.
    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// `Err(ApiError::form)` if any error was added.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::form(self))
        }
    }

    /// The `errors` object.
    pub fn into_value(self) -> Value {
        Value::Object(self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_nest_like_the_body() {
        let mut errors = FormErrors::default();
        errors.add(
            &["embeds", "0", "title"],
            "BASE_TYPE_MAX_LENGTH",
            "too long",
        );
        errors.add(&["embeds", "0", "title"], "X", "again");
        errors.add(&[], "CONTENT_TYPE_INVALID", "bad");
        let v = ApiError::form(errors).body;
        assert_eq!(v["code"], 50035);
        assert_eq!(
            v["errors"]["embeds"]["0"]["title"]["_errors"][1]["code"],
            "X"
        );
        assert_eq!(v["errors"]["_errors"][0]["code"], "CONTENT_TYPE_INVALID");
        assert_eq!(ApiError::unknown(JsonErrorCode::UnknownChannel).status, 404);
        assert_eq!(ApiError::unauthorized().status, 401);
    }
}
