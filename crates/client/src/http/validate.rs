//! Local checks of the limits Discord documents for REST parameters
//! (discord-protocol.md §9), run before a request leaves, and the
//! `X-Audit-Log-Reason` helper every audited endpoint shares.

use acord_core_http::RequestBuilder;
use acord_core_signals::limits::AUDIT_LOG_REASON;

use crate::command::ValidationError;
use crate::Result;

/// Checks `min <= chars(s) <= max` (Unicode scalar values, as Discord
/// counts).
pub(crate) fn check_len(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let actual = s.chars().count();
    if actual > max {
        Err(ValidationError::TooLong { field, actual, max })
    } else if actual < min {
        Err(ValidationError::TooShort { field, actual, min })
    } else {
        Ok(())
    }
}

/// Checks `min <= count <= max` for a list.
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

/// Checks an optional number against a range.
pub(crate) fn check_opt_range<T: Copy + Into<i64>>(
    field: &'static str,
    value: Option<T>,
    min: i64,
    max: i64,
) -> Result<(), ValidationError> {
    match value {
        Some(v) => check_range(field, v.into(), min, max),
        None => Ok(()),
    }
}

/// Slowmode: 0-21600 seconds.
pub(crate) const RATE_LIMIT_PER_USER_MAX: i64 = 21_600;
/// Channel and thread names: 1-100 characters.
pub(crate) const CHANNEL_NAME_MAX: usize = 100;
/// The auto-archive durations Discord accepts, in minutes.
pub(crate) const AUTO_ARCHIVE_DURATIONS: [u32; 4] = [60, 1440, 4320, 10080];

/// Checks a thread auto-archive duration (60, 1440, 4320 or 10080).
pub(crate) fn check_auto_archive(
    field: &'static str,
    minutes: Option<u32>,
) -> Result<(), ValidationError> {
    match minutes {
        Some(m) if !AUTO_ARCHIVE_DURATIONS.contains(&m) => Err(ValidationError::Invalid {
            field,
            reason: "must be 60, 1440, 4320 or 10080 minutes",
        }),
        _ => Ok(()),
    }
}

/// Sets `X-Audit-Log-Reason` when a reason is given, after checking its
/// documented length (1-512 characters). core-http percent-encodes it.
pub(crate) fn with_reason(request: RequestBuilder, reason: Option<&str>) -> Result<RequestBuilder> {
    match reason {
        Some(reason) => {
            check_len("X-Audit-Log-Reason", reason, 1, AUDIT_LOG_REASON)?;
            Ok(request.audit_log_reason(reason))
        }
        None => Ok(request),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_field() {
        assert!(check_len("name", "é", 1, 1).is_ok());
        assert!(matches!(
            check_len("name", "", 1, 100),
            Err(ValidationError::TooShort { field: "name", .. })
        ));
        assert!(matches!(
            check_count("messages", 1, 2, 100),
            Err(ValidationError::TooFew { min: 2, .. })
        ));
        assert!(check_opt_range("limit", Some(0u8), 1, 100).is_err());
        assert!(check_opt_range::<u8>("limit", None, 1, 100).is_ok());
        assert!(check_auto_archive("auto_archive_duration", Some(61)).is_err());
        assert!(check_auto_archive("auto_archive_duration", Some(60)).is_ok());
    }
}
