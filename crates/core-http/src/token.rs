//! [`Token`]: the credential, redacted everywhere it could leak.

use std::fmt;

use reqwest::header::HeaderValue;

/// An authorization token: a bot token (`Authorization: Bot …`) or an OAuth2
/// access token (`Authorization: Bearer …`).
///
/// `Debug` and `Display` print `Token(<redacted>)`; the value is only ever
/// written into the `Authorization` header, which is marked sensitive.
///
/// ```
/// use acord_core_http::Token;
///
/// let token = Token::bot("MTIz.secret");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.to_string(), "Token(<redacted>)");
/// // A leading "Bot " is accepted and not doubled.
/// assert_eq!(Token::bot("Bot MTIz.secret"), token);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    kind: TokenKind,
    secret: Box<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Bot,
    Bearer,
}

impl Token {
    /// A bot token. A leading `Bot ` is stripped.
    pub fn bot(token: impl Into<String>) -> Self {
        Self::with_kind(TokenKind::Bot, token.into(), "Bot ")
    }

    /// An OAuth2 access token. A leading `Bearer ` is stripped.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::with_kind(TokenKind::Bearer, token.into(), "Bearer ")
    }

    fn with_kind(kind: TokenKind, token: String, prefix: &str) -> Self {
        let trimmed = token.trim();
        let secret = trimmed.strip_prefix(prefix).unwrap_or(trimmed).trim();
        Self {
            kind,
            secret: secret.into(),
        }
    }

    /// Whether this is a bot token.
    pub fn is_bot(&self) -> bool {
        self.kind == TokenKind::Bot
    }

    /// Whether this is an OAuth2 bearer token.
    pub fn is_bearer(&self) -> bool {
        self.kind == TokenKind::Bearer
    }

    /// The raw secret, for the rare caller that must hand it on (e.g. a
    /// gateway IDENTIFY). Do not log it.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The `Authorization` header value, marked sensitive so HTTP
    /// libraries do not log it. `None` if the token holds characters a
    /// header cannot carry.
    pub(crate) fn header_value(&self) -> Option<HeaderValue> {
        let prefix = match self.kind {
            TokenKind::Bot => "Bot ",
            TokenKind::Bearer => "Bearer ",
        };
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.secret)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<String> for Token {
    /// A bot token (a `Bearer ` prefix makes it a bearer token).
    fn from(token: String) -> Self {
        if token.trim_start().starts_with("Bearer ") {
            Self::bearer(token)
        } else {
            Self::bot(token)
        }
    }
}

impl From<&str> for Token {
    /// A bot token (a `Bearer ` prefix makes it a bearer token).
    fn from(token: &str) -> Self {
        Self::from(token.to_owned())
    }
}

impl From<&Token> for Token {
    /// A copy (lets APIs taking `impl Into<Token>` accept a borrowed token).
    fn from(token: &Token) -> Self {
        token.clone()
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
