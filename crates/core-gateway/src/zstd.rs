//! zstd-stream transport compression: [`ZstdStreamDecoder`] (`zstd` cargo
//! feature).
//!
//! With `compress=zstd-stream` in the gateway URL, Discord compresses the
//! whole connection as one zstd stream that is never ended: every gateway
//! message is flushed, so it decodes completely at the end of the WebSocket
//! message that carries it, through a decompression context that lives as
//! long as the connection ("Transport Compression" in Discord's gateway
//! docs: <https://discord.com/developers/docs/events/gateway#zstdstream>).

use std::fmt;

use acord_core_signals::Compression;
use zstd::zstd_safe::{self, DCtx, InBuffer, OutBuffer, ResetDirective};

use crate::decoder::{Decoder, Frame, DEFAULT_MAX_MESSAGE};
use crate::error::DecodeError;

/// Output kept for small messages: a buffer grown by one huge GUILD_CREATE
/// shrinks back to this when small messages follow.
const KEEP_CAPACITY: usize = 1024;

/// What `ZSTD_decompressStream` hints when it stopped at a block boundary
/// with nothing buffered: the size of the next block header. Inside a block
/// the hint is the rest of the block plus that header, so it is larger.
const BLOCK_HEADER_SIZE: usize = 3;

/// zstd-stream transport compression (`compress=zstd-stream`).
///
/// One zstd decompression context per connection (created on the first
/// message, reset by [`reset`](Decoder::reset)); each binary WebSocket
/// message is decompressed into one output buffer that is reused across
/// messages, and a text frame passes through as plain JSON.
///
/// Discord sends every gateway message as one WebSocket message (a message
/// fragmented into several WebSocket *frames* is reassembled by the
/// WebSocket library before it gets here). Should a message still arrive
/// split over several WebSocket messages, the decoder returns `Ok(None)`
/// until the zstd block in progress is complete; a split that falls exactly
/// between two blocks of one message (only messages above zstd's 128 KiB
/// block size have several) cannot be told from the end of a message.
///
/// Memory: the output never grows past the message limit (plus one byte),
/// and a message of more compressed bytes than the limit is refused before
/// it is decompressed. The context holds zstd's window, whose size the
/// sender chooses in the frame header (2 MiB at zstd's default level for a
/// stream of unknown size); zstd refuses windows above 128 MiB. A corrupt
/// stream is a [`DecodeError::Zstd`] and poisons the decoder until
/// [`reset`](Decoder::reset).
///
/// ```
/// use acord_core_gateway::{Decoder, ZstdStreamDecoder};
/// use acord_core_signals::Compression;
///
/// let decoder = ZstdStreamDecoder::new();
/// assert_eq!(decoder.compression(), Some(Compression::ZstdStream));
/// ```
pub struct ZstdStreamDecoder {
    context: Option<DCtx<'static>>,
    output: Vec<u8>,
    /// Compressed bytes of the message in progress (0 between messages).
    pending: usize,
    max_message: usize,
    poisoned: bool,
}

impl fmt::Debug for ZstdStreamDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZstdStreamDecoder")
            .field("pending", &self.pending)
            .field("max_message", &self.max_message)
            .field("context_bytes", &self.context.as_ref().map(DCtx::sizeof))
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl Default for ZstdStreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZstdStreamDecoder {
    /// A decoder with the default message limit ([`DEFAULT_MAX_MESSAGE`]).
    pub fn new() -> Self {
        Self::with_max_message(DEFAULT_MAX_MESSAGE)
    }

    /// A decoder refusing messages (compressed or not) above `max_message`
    /// bytes.
    pub fn with_max_message(max_message: usize) -> Self {
        Self {
            context: None,
            output: Vec::new(),
            pending: 0,
            max_message,
            poisoned: false,
        }
    }

    /// Decompresses one WebSocket message into `output`; `true` when a
    /// whole gateway message is there.
    fn decompress(&mut self, bytes: &[u8]) -> Result<bool, DecodeError> {
        if self.pending.saturating_add(bytes.len()) > self.max_message {
            return Err(DecodeError::TooLarge {
                limit: self.max_message,
            });
        }
        if self.pending == 0 {
            self.output.clear();
            // keep the buffer while messages stay about this size; give
            // memory back when a small message follows a big one
            let keep = KEEP_CAPACITY.max(bytes.len().saturating_mul(16));
            if self.output.capacity() > keep {
                self.output.shrink_to(keep);
            }
        }
        self.pending += bytes.len();
        let context = match &mut self.context {
            Some(context) => context,
            None => self
                .context
                .insert(DCtx::try_create().ok_or(DecodeError::Zstd {
                    reason: "zstd could not allocate a decompression context",
                })?),
        };
        // one byte past the limit is enough to know a message is too large:
        // the buffer never grows beyond that
        let ceiling = self.max_message.saturating_add(1);
        let mut input = InBuffer::around(bytes);
        loop {
            let spare = self.output.capacity() - self.output.len();
            if spare < 1024 {
                let len = self.output.len();
                let chunk = (bytes.len() * 4).clamp(512, 1024 * 1024);
                // geometric growth like `reserve`, but never past the ceiling
                let target = len
                    .saturating_add(chunk)
                    .max(self.output.capacity().saturating_mul(2))
                    .min(ceiling);
                if target > self.output.capacity() {
                    self.output.reserve_exact(target - len);
                }
            }
            let (read_before, wrote_before) = (input.pos(), self.output.len());
            let hint = {
                let mut output = OutBuffer::around_pos(&mut self.output, wrote_before);
                context.decompress_stream(&mut output, &mut input)
            }
            .map_err(|code| DecodeError::Zstd {
                reason: zstd_safe::get_error_name(code),
            })?;
            if self.output.len() > self.max_message {
                return Err(DecodeError::TooLarge {
                    limit: self.max_message,
                });
            }
            let output_full = self.output.len() == self.output.capacity();
            if input.pos() >= bytes.len() && !output_full {
                // all input used and all output flushed: a message ends
                // here if zstd stopped between two blocks (or at the end of
                // a frame) and produced something
                let complete = (hint == 0 || hint == BLOCK_HEADER_SIZE) && !self.output.is_empty();
                if complete {
                    self.pending = 0;
                }
                return Ok(complete);
            }
            if input.pos() == read_before && self.output.len() == wrote_before && !output_full {
                return Err(DecodeError::Zstd {
                    reason: "the stream made no progress",
                });
            }
        }
    }
}

impl Decoder for ZstdStreamDecoder {
    fn decode<'a>(&'a mut self, frame: Frame<'a>) -> Result<Option<&'a str>, DecodeError> {
        if self.poisoned {
            return Err(DecodeError::Poisoned);
        }
        let bytes = match frame {
            // binary frames carry the stream; a text frame is plain JSON
            Frame::Text(text) => return Ok(Some(text)),
            Frame::Binary(bytes) => bytes,
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        match self.decompress(bytes) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => {
                self.poisoned = true;
                self.pending = 0;
                self.output.clear();
                return Err(error);
            }
        }
        match std::str::from_utf8(&self.output) {
            Ok(text) => Ok(Some(text)),
            Err(error) => {
                self.poisoned = true;
                Err(DecodeError::NotUtf8(error))
            }
        }
    }

    fn reset(&mut self) {
        if let Some(context) = &mut self.context {
            if context.reset(ResetDirective::SessionOnly).is_err() {
                // a fresh context is made on the next message
                self.context = None;
            }
        }
        self.output = Vec::new();
        self.pending = 0;
        self.poisoned = false;
    }

    fn compression(&self) -> Option<Compression> {
        Some(Compression::ZstdStream)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use proptest::prelude::*;

    /// A zstd-stream compressor like Discord's (and the fake's): one frame
    /// per connection, never ended, every message flushed.
    struct Compressor(zstd::stream::write::Encoder<'static, Vec<u8>>);

    impl Compressor {
        fn new() -> Self {
            let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 0).unwrap();
            encoder.include_checksum(false).unwrap();
            encoder.include_contentsize(false).unwrap();
            Self(encoder)
        }

        fn message(&mut self, text: &str) -> Vec<u8> {
            self.0.write_all(text.as_bytes()).unwrap();
            self.0.flush().unwrap();
            std::mem::take(self.0.get_mut())
        }
    }

    fn text(decoder: &mut ZstdStreamDecoder, bytes: &[u8]) -> Option<String> {
        decoder
            .decode(Frame::Binary(bytes))
            .unwrap()
            .map(str::to_owned)
    }

    fn guild_create(members: usize) -> String {
        format!(
            r#"{{"op":0,"s":1,"t":"GUILD_CREATE","d":{{"members":[{}]}}}}"#,
            (0..members)
                .map(|i| format!(r#"{{"id":"{i}","name":"user {i}","roles":["{}"]}}"#, i * 7))
                .collect::<Vec<_>>()
                .join(",")
        )
    }

    #[test]
    fn one_context_across_messages() {
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::new();
        let msgs = [
            r#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
            r#"{"op":11}"#,
            r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"abc"}}"#,
            r#"{"op":11}"#,
        ];
        for m in msgs {
            assert_eq!(text(&mut d, &z.message(m)).unwrap(), m);
        }
        // a repeat refers back to the window: far fewer bytes, same text
        let big = guild_create(300);
        let first = z.message(&big);
        assert_eq!(text(&mut d, &first).unwrap(), big);
        let second = z.message(&big);
        assert!(
            second.len() * 10 < first.len(),
            "{} vs {}",
            second.len(),
            first.len()
        );
        assert_eq!(text(&mut d, &second).unwrap(), big);
        assert_eq!(d.compression(), Some(Compression::ZstdStream));
    }

    #[test]
    fn a_message_split_over_frames_waits_for_its_last_part() {
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::new();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for chunk in [1usize, 2, 3, 7, 64, 1000] {
            // fresh content each time, so the window cannot shrink it to
            // a few bytes
            let noise: String = (0..4000)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    format!("{:02x}", seed as u8)
                })
                .collect();
            let big = format!(r#"{{"op":0,"t":"GUILD_CREATE","d":{{"blob":"{noise}"}}}}"#);
            assert!(big.len() < 128 * 1024, "one zstd block");
            let frame = z.message(&big);
            let parts: Vec<&[u8]> = frame.chunks(chunk).collect();
            assert!(parts.len() > 1);
            for (i, part) in parts.iter().enumerate() {
                let out = text(&mut d, part);
                if i + 1 < parts.len() {
                    assert_eq!(out, None, "chunk {chunk}, part {i}");
                } else {
                    assert_eq!(out.as_deref(), Some(big.as_str()), "chunk {chunk}");
                }
            }
            let ack = z.message(r#"{"op":11}"#);
            assert_eq!(text(&mut d, &ack).unwrap(), r#"{"op":11}"#);
        }
    }

    #[test]
    fn the_first_message_split_anywhere_waits_for_the_rest() {
        let mut z = Compressor::new();
        let hello = r#"{"op":10,"d":{"heartbeat_interval":41250}}"#;
        let frame = z.message(hello);
        for cut in 1..frame.len() {
            let mut d = ZstdStreamDecoder::new();
            assert_eq!(text(&mut d, &frame[..cut]), None, "cut at {cut}");
            assert_eq!(text(&mut d, &frame[cut..]).as_deref(), Some(hello));
        }
    }

    #[test]
    fn corrupt_stream_is_a_typed_error_then_poisoned_until_reset() {
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::new();
        assert!(text(&mut d, &z.message(r#"{"op":11}"#)).is_some());
        // a block header of the reserved block type 3
        let corrupt = [0x06, 0x00, 0x00, 0xDE, 0xAD, 0xBE];
        let err = d.decode(Frame::Binary(&corrupt)).unwrap_err();
        assert!(matches!(err, DecodeError::Zstd { .. }), "{err:?}");
        assert!(err.to_string().contains("zstd-stream is corrupt"), "{err}");
        assert!(matches!(
            d.decode(Frame::Binary(&z.message(r#"{"op":11}"#))),
            Err(DecodeError::Poisoned)
        ));
        d.reset();
        let mut fresh = Compressor::new();
        let hello = r#"{"op":10,"d":{"heartbeat_interval":1}}"#;
        assert_eq!(text(&mut d, &fresh.message(hello)).as_deref(), Some(hello));
    }

    #[test]
    fn bytes_that_are_not_zstd_are_a_typed_error() {
        let mut d = ZstdStreamDecoder::new();
        assert!(matches!(
            d.decode(Frame::Binary(b"not zstd at all")),
            Err(DecodeError::Zstd { .. })
        ));
    }

    #[test]
    fn non_utf8_output_is_an_error() {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 0).unwrap();
        encoder.write_all(&[0xff, 0xfe, 0xfd]).unwrap();
        encoder.flush().unwrap();
        let mut d = ZstdStreamDecoder::new();
        assert!(matches!(
            d.decode(Frame::Binary(encoder.get_ref())),
            Err(DecodeError::NotUtf8(_))
        ));
    }

    #[test]
    fn text_frames_pass_through() {
        let mut d = ZstdStreamDecoder::new();
        assert_eq!(
            d.decode(Frame::Text("{\"op\":11}")).unwrap(),
            Some("{\"op\":11}")
        );
        assert_eq!(d.decode(Frame::Binary(&[])).unwrap(), None);
    }

    #[test]
    fn message_limit_is_enforced() {
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::with_max_message(1000);
        let big = format!(r#"{{"op":0,"d":"{}"}}"#, "a".repeat(5000));
        assert!(matches!(
            d.decode(Frame::Binary(&z.message(&big))),
            Err(DecodeError::TooLarge { limit: 1000 })
        ));
        // compressed bytes above the limit are refused before decompressing
        let mut d = ZstdStreamDecoder::with_max_message(10);
        assert!(matches!(
            d.decode(Frame::Binary(&[0u8; 11])),
            Err(DecodeError::TooLarge { limit: 10 })
        ));
        // and so are parts adding up to more than the limit
        let mut d = ZstdStreamDecoder::with_max_message(64);
        let frame = Compressor::new().message(&guild_create(50));
        assert!(frame.len() > 64);
        let mut result = Ok(None);
        for part in frame.chunks(16) {
            result = d.decode(Frame::Binary(part)).map(|t| t.map(str::to_owned));
            if result.is_err() {
                break;
            }
        }
        assert!(
            matches!(result, Err(DecodeError::TooLarge { limit: 64 })),
            "{result:?}"
        );
    }

    #[test]
    fn decompressing_past_the_limit_never_allocates_past_it() {
        const LIMIT: usize = 64 * 1024;
        // the buffer may hold one chunk of slack beyond the limit, never
        // anything like twice the limit
        const SLACK: usize = 1024;
        for payload_len in [LIMIT + 1, LIMIT + 100, LIMIT * 3 / 2, LIMIT * 2, LIMIT * 8] {
            let mut z = Compressor::new();
            let mut d = ZstdStreamDecoder::with_max_message(LIMIT);
            let body = "a".repeat(payload_len - r#"{"op":0,"d":""}"#.len());
            let frame = z.message(&format!(r#"{{"op":0,"d":"{body}"}}"#));
            assert!(
                matches!(
                    d.decode(Frame::Binary(&frame)),
                    Err(DecodeError::TooLarge { limit: LIMIT })
                ),
                "{payload_len} bytes"
            );
            assert!(
                d.output.capacity() <= LIMIT + SLACK,
                "{payload_len} bytes: output grew to {} for a {LIMIT} limit",
                d.output.capacity()
            );
        }
        // a message of exactly the limit still decodes
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::with_max_message(LIMIT);
        let body = "b".repeat(LIMIT - r#"{"op":0,"d":""}"#.len());
        let exact = format!(r#"{{"op":0,"d":"{body}"}}"#);
        assert_eq!(text(&mut d, &z.message(&exact)), Some(exact));
        assert!(d.output.capacity() <= LIMIT + SLACK);
    }

    #[test]
    fn output_buffer_is_reused_and_shrinks_after_a_big_message() {
        let mut z = Compressor::new();
        let mut d = ZstdStreamDecoder::new();
        let big = guild_create(2000);
        assert!(text(&mut d, &z.message(&big)).is_some());
        assert!(d.output.capacity() >= big.len());
        assert!(text(&mut d, &z.message("{\"op\":11}")).is_some());
        assert!(d.output.capacity() <= KEEP_CAPACITY.max(4096 + 1024));
        d.reset();
        assert_eq!(d.output.capacity(), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bytes_never_panic(frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..300), 1..8)) {
            let mut d = ZstdStreamDecoder::with_max_message(1 << 20);
            for f in &frames {
                let _ = d.decode(Frame::Binary(f));
            }
            // after a valid frame header too
            let mut d = ZstdStreamDecoder::with_max_message(1 << 20);
            let _ = d.decode(Frame::Binary(&Compressor::new().message("{}")));
            for f in &frames {
                let _ = d.decode(Frame::Binary(f));
            }
        }

        #[test]
        fn valid_stream_with_random_splits_round_trips(
            msgs in proptest::collection::vec("[ -~]{1,2000}", 1..8),
            split in 1usize..200,
        ) {
            let mut z = Compressor::new();
            let mut d = ZstdStreamDecoder::new();
            for m in &msgs {
                let frame = z.message(m);
                let parts: Vec<&[u8]> = frame.chunks(split).collect();
                for (i, part) in parts.iter().enumerate() {
                    let got = d.decode(Frame::Binary(part)).unwrap().map(str::to_owned);
                    if i + 1 < parts.len() {
                        prop_assert_eq!(got, None);
                    } else {
                        prop_assert_eq!(got.as_deref(), Some(m.as_str()));
                    }
                }
            }
        }
    }
}
