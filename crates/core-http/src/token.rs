//! [`Token`]: the credential, redacted everywhere it could leak.
//!
//! The type is acord-core-signals' (one `Token` across the workspace, which
//! the gateway crate uses without this crate); what is HTTP-specific, the
//! sensitive `Authorization` header value, is written here.

use reqwest::header::HeaderValue;

pub use acord_core_signals::Token;

/// The `Authorization` header value of a [`Token`].
pub(crate) trait TokenHeader {
    /// The header value, marked sensitive so HTTP libraries do not log it.
    /// `None` if the token holds characters a header cannot carry.
    fn header_value(&self) -> Option<HeaderValue>;
}

impl TokenHeader for Token {
    fn header_value(&self) -> Option<HeaderValue> {
        let prefix = if self.is_bearer() { "Bearer " } else { "Bot " };
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.expose_secret())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let t = Token::from("Bearer abc.def");
        assert!(t.is_bearer());
        assert_eq!(t.expose_secret(), "abc.def");
        assert!(!format!("{t:?} {t} {:?}", Some(&t)).contains("abc"));
        let value = t.header_value().unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), "Bearer abc.def");
        assert!(!format!("{value:?}").contains("abc"));
        let bot = Token::from(" Bot xyz ");
        assert!(bot.is_bot());
        assert_eq!(bot.header_value().unwrap().to_str().unwrap(), "Bot xyz");
        assert!(Token::bot("bad\nvalue").header_value().is_none());
    }

    #[test]
    fn send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Token>();
    }
}
