//! The error every builder's `build()` returns.

/// A payload breaks a documented limit (discord-protocol.md §9). Each
/// variant names the field (JSON path) and the limit, so the caller can fix
/// the input before Discord answers 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A text is longer than allowed.
    #[error("{field} is {actual} characters long; Discord allows at most {max}")]
    TooLong {
        /// The field, as a JSON path (`embeds[0].title`).
        field: &'static str,
        /// Its length in characters (bytes for byte limits).
        actual: usize,
        /// The documented limit.
        max: usize,
    },
    /// A text is shorter than allowed.
    #[error("{field} is {actual} characters long; Discord requires at least {min}")]
    TooShort {
        /// The field.
        field: &'static str,
        /// Its length.
        actual: usize,
        /// The documented minimum.
        min: usize,
    },
    /// A list has too many items.
    #[error("{field} has {actual} items; Discord allows at most {max}")]
    TooMany {
        /// The field.
        field: &'static str,
        /// Number of items.
        actual: usize,
        /// The documented limit.
        max: usize,
    },
    /// A list has too few items.
    #[error("{field} has {actual} items; Discord requires at least {min}")]
    TooFew {
        /// The field.
        field: &'static str,
        /// Number of items.
        actual: usize,
        /// The documented minimum.
        min: usize,
    },
    /// A number is outside its documented range.
    #[error("{field} is {actual}; Discord allows {min}..={max}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value.
        actual: i64,
        /// Lowest allowed.
        min: i64,
        /// Highest allowed.
        max: i64,
    },
    /// A message has nothing to send.
    #[error(
        "the message is empty: set content, embeds, sticker_ids, components, attachments or a poll"
    )]
    EmptyMessage,
    /// A combination Discord rejects.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// A value that must be unique appears twice (two options of one
    /// command, two commands of one type in one scope).
    #[error("{field}: {value:?} appears more than once; Discord requires it to be unique")]
    Duplicate {
        /// The field.
        field: &'static str,
        /// The repeated value.
        value: String,
    },
    /// One command of a list breaks a rule (bulk overwrite, sync); the
    /// source says which.
    #[error("command {name:?} is invalid")]
    InCommand {
        /// The command's name.
        name: String,
        /// The rule it breaks.
        #[source]
        source: Box<ValidationError>,
    },
}

impl ValidationError {
    /// The field (JSON path) at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::TooLong { field, .. }
            | Self::TooShort { field, .. }
            | Self::TooMany { field, .. }
            | Self::TooFew { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::Invalid { field, .. }
            | Self::Duplicate { field, .. } => field,
            Self::InCommand { source, .. } => source.field(),
            Self::EmptyMessage => "content",
        }
    }
}

/// Characters in a string, as Discord counts them (Unicode scalar values).
pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks `min <= chars(s) <= max`; returns the character count.
pub(crate) fn check_len(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<usize, ValidationError> {
    let actual = chars(s);
    if actual > max {
        Err(ValidationError::TooLong { field, actual, max })
    } else if actual < min {
        Err(ValidationError::TooShort { field, actual, min })
    } else {
        Ok(actual)
    }
}

/// Checks `min <= len <= max` for a list.
pub(crate) fn check_count(
    field: &'static str,
    actual: usize,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if actual > max {
        Err(ValidationError::TooMany { field, actual, max })
    } else if actual < min {
        Err(ValidationError::TooFew { field, actual, min })
    } else {
        Ok(())
    }
}

/// Checks `min <= value <= max`.
pub(crate) fn check_range(
    field: &'static str,
    actual: i64,
    min: i64,
    max: i64,
) -> Result<(), ValidationError> {
    if (min..=max).contains(&actual) {
        Ok(())
    } else {
        Err(ValidationError::OutOfRange {
            field,
            actual,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_and_limit() {
        let err = check_len("content", &"a".repeat(2001), 0, 2000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "content is 2001 characters long; Discord allows at most 2000"
        );
        assert_eq!(err.field(), "content");
        assert!(
            check_len("name", "é", 1, 1).is_ok(),
            "counts characters, not bytes"
        );
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<ValidationError>();
    }

    #[test]
    fn a_command_in_a_list_is_named_and_the_rule_is_the_source() {
        let err = ValidationError::InCommand {
            name: "ping".into(),
            source: Box::new(ValidationError::Duplicate {
                field: "options[].name",
                value: "user".into(),
            }),
        };
        assert_eq!(err.to_string(), "command \"ping\" is invalid");
        assert_eq!(err.field(), "options[].name");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(
            source,
            "options[].name: \"user\" appears more than once; Discord requires it to be unique"
        );
    }
}
