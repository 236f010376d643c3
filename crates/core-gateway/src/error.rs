//! The crate's error type, [`GatewayError`], and the decoder's [`DecodeError`].

use std::time::Duration;

use acord_core_signals::CloseCode;

/// Why a WebSocket message could not be turned into a gateway payload.
///
/// Every variant means the connection's byte stream can no longer be trusted:
/// the driver closes the socket (keeping the session resumable) and
/// reconnects with a fresh decoder context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The (decompressed) message is not UTF-8 JSON text.
    #[error("gateway message is not valid UTF-8")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// The zlib stream is corrupt.
    #[error("zlib-stream is corrupt; reconnect with a fresh inflate context")]
    Zlib(#[source] flate2::DecompressError),
    /// The zlib-stream does not start with a zlib header (RFC 1950) for
    /// deflate with at most a 32 KiB window and no preset dictionary.
    #[error("zlib-stream has an invalid zlib header ({cmf:#04x} {flg:#04x})")]
    ZlibHeader {
        /// The first header byte (compression method and window size).
        cmf: u8,
        /// The second header byte (check bits and flags).
        flg: u8,
    },
    /// The zlib stream stopped making progress (truncated or malformed input).
    #[error("zlib-stream made no progress on a complete message; the stream is corrupt")]
    Stalled,
    /// A message grew beyond the configured limit (a decompression bomb or
    /// a broken stream).
    #[error("gateway message exceeds {limit} bytes")]
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The zstd stream is corrupt (or zstd could not allocate its
    /// decompression context); only from
    /// `ZstdStreamDecoder` (`zstd` feature).
    #[error("zstd-stream is corrupt ({reason}); reconnect with a fresh decompression context")]
    Zstd {
        /// zstd's description of the error.
        reason: &'static str,
    },
    /// An earlier error broke the inflate context; call `reset()` (the
    /// driver does so on reconnect).
    #[error("decoder was poisoned by an earlier error; reset it before reuse")]
    Poisoned,
    /// A binary frame arrived although this decoder only accepts text.
    #[error("unexpected binary frame for an uncompressed JSON connection")]
    UnexpectedBinary,
}

/// Everything that can go wrong in the gateway layer.
///
/// Use [`is_fatal`](Self::is_fatal) to decide whether retrying can help and
/// [`close_code`](Self::close_code) to read the gateway's verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The gateway closed with a code whose verdict is "do not reconnect";
    /// the message says what to fix.
    #[error("shard {shard}: gateway closed with {code}: {explanation}", explanation = code.explanation())]
    FatalClose {
        /// The shard id.
        shard: u32,
        /// The documented close code.
        code: CloseCode,
    },
    /// A WebSocket message could not be decoded.
    #[error("could not decode a gateway message")]
    Decode(#[from] DecodeError),
    /// A payload is not a valid gateway envelope (or its `d` does not match
    /// its opcode).
    #[error("malformed gateway payload: {context}")]
    Payload {
        /// What was expected.
        context: &'static str,
        /// The JSON error, when there is one.
        #[source]
        source: Option<serde_json::Error>,
    },
    /// A command to send exceeds Discord's 4096-byte payload limit.
    #[error("gateway command is {size} bytes; Discord closes with 4002 above {limit} bytes")]
    PayloadTooLarge {
        /// Size of the serialised command.
        size: usize,
        /// The limit (`limits::GATEWAY_MAX_PAYLOAD`).
        limit: usize,
    },
    /// A command could not be serialised.
    #[error("could not serialise a gateway command")]
    Serialize(#[source] serde_json::Error),
    /// The WebSocket transport failed (`runtime` feature).
    #[cfg(feature = "runtime")]
    #[error("gateway transport error")]
    Transport(#[source] Box<tokio_tungstenite::tungstenite::Error>),
    /// The gateway URL is not a valid `ws://` / `wss://` URL.
    #[error("invalid gateway URL {url:?}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// The parse error.
        #[source]
        source: url::ParseError,
    },
    /// `session_start_limit.remaining` is 0: identifying now would reset
    /// the bot token.
    #[error(
        "no session starts left (session_start_limit.remaining = 0); retry after {reset_after:?}"
    )]
    SessionStartLimit {
        /// Time until the limit resets.
        reset_after: Duration,
    },
    /// The shard (or manager) has stopped; the command was not sent.
    #[error("the shard is not running")]
    Closed,
    /// A shard id outside the configured shard count.
    #[error("shard {shard} is not below the shard count {count}")]
    InvalidShard {
        /// The shard id.
        shard: u32,
        /// The total shard count.
        count: u32,
    },
    /// A call to an outside service failed: the REST API (an `HttpError`
    /// from acord-core-http), or the store behind a shared
    /// [`IdentifyQueue`](crate::IdentifyQueue). The crate itself makes no
    /// such call; the variant carries the caller's error.
    #[error("a call to the REST API or another outside service failed")]
    Http(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl GatewayError {
    /// Whether the error ends the shard for good (retrying cannot help).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::FatalClose { .. }
                | Self::InvalidUrl { .. }
                | Self::InvalidShard { .. }
                | Self::SessionStartLimit { .. }
        )
    }

    /// The gateway close code, for [`GatewayError::FatalClose`].
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::FatalClose { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn payload(context: &'static str, source: serde_json::Error) -> Self {
        Self::Payload {
            context,
            source: Some(source),
        }
    }

    #[cfg(feature = "runtime")]
    pub(crate) fn transport(source: tokio_tungstenite::tungstenite::Error) -> Self {
        Self::Transport(Box::new(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync_static() {
        assert_send_sync::<GatewayError>();
        assert_send_sync::<DecodeError>();
    }

    #[test]
    fn fatal_close_says_what_to_fix() {
        let err = GatewayError::FatalClose {
            shard: 3,
            code: CloseCode::DisallowedIntents,
        };
        let text = err.to_string();
        assert!(text.contains("4014"), "{text}");
        assert!(text.contains("Developer Portal"), "{text}");
        assert!(text.contains("shard 3"), "{text}");
        assert!(err.is_fatal());
        assert_eq!(err.close_code(), Some(CloseCode::DisallowedIntents));
        assert!(!GatewayError::Closed.is_fatal());
    }
}
