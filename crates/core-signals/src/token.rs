//! [`Token`]: the credential, redacted everywhere it could leak.
//!
//! It lives here, below both the HTTP and the gateway layer, so that
//! `acord-core-http` (which writes it into the `Authorization` header) and
//! `acord-core-gateway` (which sends it in IDENTIFY, with or without its
//! runtime) share one type.

use std::fmt;

/// An authorization token: a bot token (`Authorization: Bot …`) or an OAuth2
/// access token (`Authorization: Bearer …`).
///
/// `Debug` and `Display` print `Token(<redacted>)`; the value is only ever
/// written into the `Authorization` header (by `acord-core-http`, marked
/// sensitive) or an IDENTIFY payload.
///
/// ```
/// use acord_core_signals::Token;
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
        let bot = Token::from(" Bot xyz ");
        assert!(bot.is_bot());
        assert_eq!(bot.expose_secret(), "xyz");
    }

    #[test]
    fn send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Token>();
    }
}
