//! Turning WebSocket messages into gateway payload text: the [`Decoder`]
//! trait, [`JsonDecoder`] and [`ZlibStreamDecoder`].

use std::fmt;

use acord_core_signals::{Compression, ZLIB_SUFFIX};
use flate2::{Decompress, FlushDecompress, Status};

use crate::error::DecodeError;

/// One WebSocket data message as read from the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// Turns WebSocket messages into gateway payload text (one JSON document).
///
/// A decoder lives as long as one connection: the driver calls
/// [`reset`](Self::reset) before every new connection, so stateful
/// decoders (zlib-stream) start a fresh context. Choose one at build time
/// with `ShardConfig::builder(..).decoder(..)`; implement the trait to add an
/// encoding (zstd-stream, ETF converted to JSON, metrics around another
/// decoder, ...).
pub trait Decoder: Send + fmt::Debug + 'static {
    /// Decodes one message.
    ///
    /// Returns `Ok(None)` when the message is only part of a payload (a
    /// zlib-stream message split over several frames) and more frames are
    /// needed. The returned text may borrow the decoder's own buffers, which
    /// are reused by the next call.
    ///
    /// # Errors
    /// A [`DecodeError`] when the stream is corrupt; the driver then
    /// reconnects (keeping the session resumable) and calls `reset`.
    fn decode<'a>(&'a mut self, frame: Frame<'a>) -> Result<Option<&'a str>, DecodeError>;

    /// Forgets all per-connection state; called before each new connection.
    fn reset(&mut self);

    /// The transport compression to request in the gateway URL
    /// (`compress=`), or `None` for plain JSON.
    fn compression(&self) -> Option<Compression>;

    /// Gives back memory kept for large messages when none came lately.
    ///
    /// Decoders keep their buffers at the size of the largest recent
    /// message, so a busy connection does not shrink and regrow them for
    /// every large GUILD_CREATE. The `Shard` calls this once per heartbeat
    /// interval: a decoder then shrinks what no message since the previous
    /// call needed, so an idle shard holds little. The default does
    /// nothing.
    fn trim(&mut self) {}
}

/// Plain JSON: text frames pass through, binary frames must be UTF-8.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonDecoder;

impl JsonDecoder {
    /// A new JSON decoder.
    pub fn new() -> Self {
        Self
    }
}

impl Decoder for JsonDecoder {
    fn decode<'a>(&'a mut self, frame: Frame<'a>) -> Result<Option<&'a str>, DecodeError> {
        match frame {
            Frame::Text(text) => Ok(Some(text)),
            Frame::Binary(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(DecodeError::NotUtf8),
        }
    }

    fn reset(&mut self) {}

    fn compression(&self) -> Option<Compression> {
        None
    }
}

/// The default largest decompressed message (64 MiB): GUILD_CREATE of huge
/// guilds stays well below, a decompression bomb does not.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The smallest buffer a trim leaves (enough for HEARTBEAT_ACK and most
/// small dispatches).
const KEEP_CAPACITY: usize = 1024;

/// Messages after which the decoder trims itself, for drivers that never
/// call [`Decoder::trim`].
const TRIM_EVERY: u32 = 4096;

/// zlib-stream transport compression (`compress=zlib-stream`).
///
/// One inflate context per connection; binary frames are buffered until
/// the buffer ends with `00 00 FF FF` (`ZLIB_SUFFIX`), then inflated as one
/// message, so a message split across several frames works. A corrupt
/// stream is a [`DecodeError`] and poisons the decoder until
/// [`reset`](Decoder::reset).
///
/// # Buffers
///
/// Input and output buffers are reused across messages and keep the size
/// of the largest recent message: a stream of GUILD_CREATEs between small
/// events inflates into the same allocation instead of shrinking and
/// regrowing it each time. A buffer more than twice the largest message
/// since the previous trim shrinks to that size (at least 1 KiB) at
/// [`trim`](Decoder::trim), which the `Shard` calls once per heartbeat
/// interval, or by itself every 4,096 messages. An idle shard therefore
/// holds about 1 KiB of output within two heartbeat intervals of its last
/// large message.
///
/// # No checksum
///
/// The decoder reads the stream's two-byte zlib header itself and inflates
/// the rest as raw deflate, so no Adler-32 checksum is computed over the
/// inflated text. A zlib-stream connection never ends its stream, so the
/// checksum (in the trailer after the final block) would never be
/// compared; computing it cost about 6 % of the CPU of a typed ingest.
/// TCP and TLS already guard the bytes in transit.
pub struct ZlibStreamDecoder {
    inflate: Decompress,
    /// The zlib header bytes read so far (two in all, `header_len` of them).
    header: [u8; 2],
    header_len: u8,
    input: Vec<u8>,
    output: Vec<u8>,
    max_message: usize,
    poisoned: bool,
    /// The largest inflated message and the largest buffered input since
    /// the last trim.
    peak_output: usize,
    peak_input: usize,
    /// Messages since the last trim.
    since_trim: u32,
}

impl fmt::Debug for ZlibStreamDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZlibStreamDecoder")
            .field("buffered", &self.input.len())
            .field("max_message", &self.max_message)
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl Default for ZlibStreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZlibStreamDecoder {
    /// A decoder with the default message limit ([`DEFAULT_MAX_MESSAGE`]).
    pub fn new() -> Self {
        Self::with_max_message(DEFAULT_MAX_MESSAGE)
    }

    /// A decoder refusing messages (compressed or not) above `max_message`
    /// bytes.
    pub fn with_max_message(max_message: usize) -> Self {
        Self {
            inflate: Decompress::new(false),
            header: [0; 2],
            header_len: 0,
            input: Vec::new(),
            output: Vec::new(),
            max_message,
            poisoned: false,
            peak_output: 0,
            peak_input: 0,
            since_trim: 0,
        }
    }

    /// Shrinks each buffer that is more than twice the largest use since
    /// the last trim down to that use (at least [`KEEP_CAPACITY`]).
    fn trim_buffers(&mut self) {
        fn shrink(buf: &mut Vec<u8>, peak: usize) {
            let keep = peak.max(KEEP_CAPACITY).max(buf.len());
            if buf.capacity() > keep.saturating_mul(2) {
                buf.shrink_to(keep);
            }
        }
        // the output holds only the last message's text, which nobody
        // borrows between two calls
        self.output.clear();
        shrink(&mut self.output, self.peak_output);
        // the input may hold the first frames of a split message
        shrink(&mut self.input, self.peak_input);
        self.peak_output = 0;
        self.peak_input = 0;
        self.since_trim = 0;
    }

    fn inflate_buffered(&mut self, from_frame: Option<&[u8]>) -> Result<(), DecodeError> {
        let mut input: &[u8] = match from_frame {
            Some(frame) => frame,
            None => &self.input,
        };
        if usize::from(self.header_len) < self.header.len() {
            input = read_header(&mut self.header, &mut self.header_len, input)?;
        }
        // the buffer keeps its size between messages (see the type's docs
        // on buffers): no shrink here, trims happen between messages
        self.output.clear();
        // one byte past the limit is enough to know a message is too large:
        // the buffer never grows beyond that, however far the message
        // would inflate
        let ceiling = self.max_message.saturating_add(1);
        let mut consumed = 0usize;
        loop {
            let spare = self.output.capacity() - self.output.len();
            if spare < 1024 {
                let len = self.output.len();
                let chunk = (input.len() * 4).clamp(512, 1024 * 1024);
                // grow geometrically like `reserve` (few copies for a big
                // GUILD_CREATE), but never past the ceiling: `reserve` alone
                // may double the capacity to about twice the limit
                let target = len
                    .saturating_add(chunk)
                    .max(self.output.capacity().saturating_mul(2))
                    .min(ceiling);
                if target > self.output.capacity() {
                    self.output.reserve_exact(target - len);
                }
            }
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress_vec(&input[consumed..], &mut self.output, FlushDecompress::Sync)
                .map_err(DecodeError::Zlib)?;
            let read = (self.inflate.total_in() - in_before) as usize;
            let wrote = (self.inflate.total_out() - out_before) as usize;
            consumed += read;
            if self.output.len() > self.max_message {
                return Err(DecodeError::TooLarge {
                    limit: self.max_message,
                });
            }
            let output_full = self.output.len() == self.output.capacity();
            if consumed >= input.len() && !output_full {
                return Ok(());
            }
            if status == Status::StreamEnd {
                // data after the end of the zlib stream (other than its
                // four-byte checksum trailer) is not zlib-stream
                return if input.len() - consumed <= 4 {
                    Ok(())
                } else {
                    Err(DecodeError::Stalled)
                };
            }
            if read == 0 && wrote == 0 && !output_full {
                return Err(DecodeError::Stalled);
            }
        }
    }
}

/// Reads the stream's two-byte zlib header (RFC 1950), which may arrive in
/// pieces, into `header`; returns the input after it.
fn read_header<'a>(
    header: &mut [u8; 2],
    len: &mut u8,
    input: &'a [u8],
) -> Result<&'a [u8], DecodeError> {
    let mut rest = input;
    while usize::from(*len) < header.len() {
        let Some((&byte, tail)) = rest.split_first() else {
            return Ok(rest);
        };
        header[usize::from(*len)] = byte;
        *len += 1;
        rest = tail;
    }
    let [cmf, flg] = *header;
    // deflate (method 8) with a window of at most 32 KiB, a valid header
    // check, and no preset dictionary (Discord sets none)
    let valid = cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
        && flg & 0x20 == 0;
    if valid {
        Ok(rest)
    } else {
        Err(DecodeError::ZlibHeader { cmf, flg })
    }
}

impl Decoder for ZlibStreamDecoder {
    fn decode<'a>(&'a mut self, frame: Frame<'a>) -> Result<Option<&'a str>, DecodeError> {
        if self.poisoned {
            return Err(DecodeError::Poisoned);
        }
        let bytes = match frame {
            // Discord sends binary frames on zlib-stream connections; a text
            // frame is uncompressed JSON and passes through.
            Frame::Text(text) => return Ok(Some(text)),
            Frame::Binary(bytes) => bytes,
        };
        if self.since_trim >= TRIM_EVERY {
            self.trim_buffers();
        }
        if self.input.len() + bytes.len() > self.max_message {
            self.poisoned = true;
            self.input.clear();
            return Err(DecodeError::TooLarge {
                limit: self.max_message,
            });
        }
        let result = if self.input.is_empty() && bytes.ends_with(&ZLIB_SUFFIX) {
            // fast path: a whole message in one frame, inflate it in place
            self.inflate_buffered(Some(bytes))
        } else {
            self.input.extend_from_slice(bytes);
            self.peak_input = self.peak_input.max(self.input.len());
            if !self.input.ends_with(&ZLIB_SUFFIX) {
                return Ok(None);
            }
            let r = self.inflate_buffered(None);
            self.input.clear();
            r
        };
        if let Err(e) = result {
            self.poisoned = true;
            return Err(e);
        }
        self.since_trim += 1;
        self.peak_output = self.peak_output.max(self.output.len());
        match std::str::from_utf8(&self.output) {
            Ok(text) => Ok(Some(text)),
            Err(e) => {
                self.poisoned = true;
                Err(DecodeError::NotUtf8(e))
            }
        }
    }

    fn reset(&mut self) {
        self.inflate.reset(false);
        self.header_len = 0;
        self.input = Vec::new();
        self.output = Vec::new();
        self.poisoned = false;
        self.peak_output = 0;
        self.peak_input = 0;
        self.since_trim = 0;
    }

    fn compression(&self) -> Option<Compression> {
        Some(Compression::ZlibStream)
    }

    fn trim(&mut self) {
        self.trim_buffers();
    }
}

/// Test and bench helper: a zlib-stream compressor that sync-flushes each
/// message, like Discord (and the fake) do.
#[cfg(test)]
pub(crate) mod test_support {
    use flate2::{Compress, Compression, FlushCompress};

    pub(crate) struct Deflater(Compress);

    impl Deflater {
        pub(crate) fn new() -> Self {
            Self(Compress::new(Compression::default(), true))
        }

        pub(crate) fn message(&mut self, text: &str) -> Vec<u8> {
            let mut out = Vec::with_capacity(text.len() + 64);
            let mut consumed = 0;
            loop {
                out.reserve(4096);
                let before = self.0.total_in();
                self.0
                    .compress_vec(&text.as_bytes()[consumed..], &mut out, FlushCompress::Sync)
                    .unwrap();
                consumed += (self.0.total_in() - before) as usize;
                if consumed >= text.len() && out.len() < out.capacity() {
                    break;
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::Deflater;
    use super::*;
    use proptest::prelude::*;

    fn text(decoder: &mut impl Decoder, frame: Frame<'_>) -> Option<String> {
        decoder.decode(frame).unwrap().map(str::to_owned)
    }

    #[test]
    fn json_decoder_passes_text_and_checks_binary() {
        let mut d = JsonDecoder::new();
        assert_eq!(
            text(&mut d, Frame::Text("{\"op\":11}")).unwrap(),
            "{\"op\":11}"
        );
        assert_eq!(text(&mut d, Frame::Binary(b"{}")).unwrap(), "{}");
        assert!(matches!(
            d.decode(Frame::Binary(&[0xff, 0xfe])),
            Err(DecodeError::NotUtf8(_))
        ));
        assert_eq!(d.compression(), None);
    }

    #[test]
    fn zlib_stream_shares_one_context_across_messages() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let msgs = [
            r#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
            r#"{"op":11}"#,
            r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"abc"}}"#,
            r#"{"op":11}"#,
        ];
        for m in msgs {
            let frame = z.message(m);
            assert!(frame.ends_with(&ZLIB_SUFFIX));
            assert_eq!(text(&mut d, Frame::Binary(&frame)).unwrap(), m);
        }
        assert_eq!(d.compression(), Some(Compression::ZlibStream));
    }

    #[test]
    fn zlib_stream_message_split_across_frames() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let big: String = format!(
            r#"{{"op":0,"s":1,"t":"GUILD_CREATE","d":{{"members":[{}]}}}}"#,
            (0..500)
                .map(|i| format!(r#"{{"id":"{i}","name":"user {i}"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        for chunk in [1usize, 3, 7, 64, 1000] {
            let frame = z.message(&big);
            let parts: Vec<&[u8]> = frame.chunks(chunk).collect();
            for (i, part) in parts.iter().enumerate() {
                let out = text(&mut d, Frame::Binary(part));
                if i + 1 < parts.len() {
                    // a part that happens to end in the suffix would be a
                    // premature inflate; only the last part completes here
                    if out.is_some() {
                        assert!(part.ends_with(&ZLIB_SUFFIX));
                    }
                } else {
                    assert_eq!(out.as_deref(), Some(big.as_str()), "chunk {chunk}");
                }
            }
            // the next message still decodes through the same context
            let frame = z.message(r#"{"op":11}"#);
            assert_eq!(text(&mut d, Frame::Binary(&frame)).unwrap(), r#"{"op":11}"#);
        }
    }

    #[test]
    fn corrupt_stream_is_an_error_then_poisoned_until_reset() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let ok = z.message(r#"{"op":11}"#);
        assert!(text(&mut d, Frame::Binary(&ok)).is_some());
        let mut garbage = vec![0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x99];
        garbage.extend_from_slice(&ZLIB_SUFFIX);
        assert!(d.decode(Frame::Binary(&garbage)).is_err());
        assert!(matches!(
            d.decode(Frame::Binary(&ok)),
            Err(DecodeError::Poisoned)
        ));
        d.reset();
        let mut fresh = Deflater::new();
        let again = fresh.message(r#"{"op":10,"d":{"heartbeat_interval":1}}"#);
        assert_eq!(
            text(&mut d, Frame::Binary(&again)).unwrap(),
            r#"{"op":10,"d":{"heartbeat_interval":1}}"#
        );
    }

    #[test]
    fn a_bad_header_is_an_error() {
        let mut d = ZlibStreamDecoder::new();
        let mut frame = b"not zlib at all".to_vec();
        frame.extend_from_slice(&ZLIB_SUFFIX);
        assert!(matches!(
            d.decode(Frame::Binary(&frame)),
            Err(DecodeError::ZlibHeader {
                cmf: b'n',
                flg: b'o'
            })
        ));
        // a valid check but a preset dictionary, which Discord never uses
        let mut d = ZlibStreamDecoder::new();
        // FDICT (0x20) set, check bits making 0x783f a multiple of 31
        let (cmf, flg) = (0x78u8, 0x3fu8);
        assert_eq!((u16::from(cmf) << 8 | u16::from(flg)) % 31, 0);
        let frame = [&[cmf, flg][..], &ZLIB_SUFFIX].concat();
        assert!(matches!(
            d.decode(Frame::Binary(&frame)),
            Err(DecodeError::ZlibHeader { .. })
        ));
        assert!(matches!(
            d.decode(Frame::Binary(&frame)),
            Err(DecodeError::Poisoned)
        ));
    }

    #[test]
    fn the_header_may_come_one_byte_at_a_time() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let first = z.message(r#"{"op":10,"d":{"heartbeat_interval":1}}"#);
        assert_eq!(d.decode(Frame::Binary(&first[..1])).unwrap(), None);
        assert_eq!(
            text(&mut d, Frame::Binary(&first[1..])).unwrap(),
            r#"{"op":10,"d":{"heartbeat_interval":1}}"#
        );
        let second = z.message(r#"{"op":11}"#);
        assert_eq!(
            text(&mut d, Frame::Binary(&second)).unwrap(),
            r#"{"op":11}"#
        );
    }

    #[test]
    fn data_after_a_finished_stream_is_an_error() {
        // Discord never finishes a zlib-stream; after a final block and its
        // four-byte checksum, anything more is not zlib-stream
        let mut c = flate2::Compress::new(flate2::Compression::default(), true);
        let mut first = Vec::with_capacity(256);
        c.compress_vec(br#"{"op":11}"#, &mut first, flate2::FlushCompress::Sync)
            .unwrap();
        let mut end = Vec::with_capacity(64);
        c.compress_vec(&[], &mut end, flate2::FlushCompress::Finish)
            .unwrap();
        end.extend_from_slice(&ZLIB_SUFFIX);
        let mut d = ZlibStreamDecoder::new();
        assert_eq!(text(&mut d, Frame::Binary(&first)).unwrap(), r#"{"op":11}"#);
        assert!(matches!(
            d.decode(Frame::Binary(&end)),
            Err(DecodeError::Stalled)
        ));
    }

    #[test]
    fn non_utf8_inflated_payload_is_an_error() {
        let mut c = flate2::Compress::new(flate2::Compression::default(), true);
        let mut out = Vec::with_capacity(256);
        c.compress_vec(&[0xff, 0xfe, 0xfd], &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        let mut d = ZlibStreamDecoder::new();
        assert!(matches!(
            d.decode(Frame::Binary(&out)),
            Err(DecodeError::NotUtf8(_))
        ));
    }

    #[test]
    fn message_limit_is_enforced() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::with_max_message(1000);
        let big = format!(r#"{{"op":0,"d":"{}"}}"#, "a".repeat(5000));
        let frame = z.message(&big);
        assert!(matches!(
            d.decode(Frame::Binary(&frame)),
            Err(DecodeError::TooLarge { limit: 1000 })
        ));
    }

    #[test]
    fn inflating_past_the_limit_never_allocates_past_it() {
        const LIMIT: usize = 64 * 1024;
        // the buffer may hold one chunk of slack beyond the limit, never
        // anything like twice the limit
        const SLACK: usize = 1024;
        for payload_len in [LIMIT + 1, LIMIT + 100, LIMIT * 3 / 2, LIMIT * 2, LIMIT * 8] {
            let mut z = Deflater::new();
            let mut d = ZlibStreamDecoder::with_max_message(LIMIT);
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
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::with_max_message(LIMIT);
        let body = "b".repeat(LIMIT - r#"{"op":0,"d":""}"#.len());
        let exact = format!(r#"{{"op":0,"d":"{body}"}}"#);
        assert_eq!(text(&mut d, Frame::Binary(&z.message(&exact))), Some(exact));
        assert!(d.output.capacity() <= LIMIT + SLACK);
    }

    /// Under load the output buffer keeps the size of the large messages
    /// (no shrink and regrow per GUILD_CREATE); once no large message came
    /// between two trims it goes back to [`KEEP_CAPACITY`], so an idle
    /// shard does not pin a GUILD_CREATE-sized buffer.
    #[test]
    fn output_buffer_is_reused_and_bounded() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let big = format!(r#"{{"op":0,"d":"{}"}}"#, "x".repeat(200_000));
        let small = r#"{"op":0,"t":"TYPING_START","d":{"channel_id":"1"}}"#;
        assert!(text(&mut d, Frame::Binary(&z.message(&big))).is_some());
        let (ptr, cap) = (d.output.as_ptr(), d.output.capacity());
        assert!(cap >= big.len());
        // a busy stream: large messages between small ones, a trim now and
        // then; the buffer is neither reallocated nor grown
        for round in 0..20 {
            for _ in 0..10 {
                assert!(text(&mut d, Frame::Binary(&z.message(small))).is_some());
            }
            assert!(text(&mut d, Frame::Binary(&z.message(&big))).is_some());
            if round % 5 == 0 {
                d.trim();
            }
            assert_eq!((d.output.as_ptr(), d.output.capacity()), (ptr, cap));
        }
        // a trim right after a large message keeps the buffer ...
        d.trim();
        assert_eq!(d.output.capacity(), cap);
        // ... one after a quiet interval (small messages only) gives it back
        assert!(text(&mut d, Frame::Binary(&z.message("{\"op\":11}"))).is_some());
        d.trim();
        assert!(
            d.output.capacity() <= KEEP_CAPACITY,
            "{}",
            d.output.capacity()
        );
        // and the decoder still works with the small buffer
        assert_eq!(
            text(&mut d, Frame::Binary(&z.message(&big))).as_deref(),
            Some(big.as_str())
        );
    }

    /// A driver that never calls `trim` still gets the memory back: the
    /// decoder trims itself every [`TRIM_EVERY`] messages.
    #[test]
    fn output_buffer_shrinks_without_trim_calls() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let big = format!(r#"{{"op":0,"d":"{}"}}"#, "y".repeat(100_000));
        assert!(text(&mut d, Frame::Binary(&z.message(&big))).is_some());
        assert!(d.output.capacity() >= big.len());
        for _ in 0..=(2 * TRIM_EVERY) {
            assert!(text(&mut d, Frame::Binary(&z.message("{\"op\":11}"))).is_some());
        }
        assert!(
            d.output.capacity() <= KEEP_CAPACITY,
            "{}",
            d.output.capacity()
        );
    }

    /// A message split over frames: the input buffer is kept while split
    /// messages keep coming and given back by a trim after a quiet
    /// interval, never while it holds part of a message.
    #[test]
    fn input_buffer_is_trimmed_between_messages_only() {
        let mut z = Deflater::new();
        let mut d = ZlibStreamDecoder::new();
        let big: String = format!(
            r#"{{"op":0,"d":[{}]}}"#,
            (0..4000)
                .map(|i| format!(r#"{{"id":"{}"}}"#, i * 7919 % 100_003))
                .collect::<Vec<_>>()
                .join(",")
        );
        let frame = z.message(&big);
        assert!(frame.len() > 4 * KEEP_CAPACITY, "{}", frame.len());
        let (first, rest) = frame.split_at(frame.len() / 2);
        assert!(text(&mut d, Frame::Binary(first)).is_none());
        // a trim in the middle of a message keeps its first part
        d.trim();
        d.trim();
        assert_eq!(
            text(&mut d, Frame::Binary(rest)).as_deref(),
            Some(big.as_str())
        );
        assert!(d.input.capacity() >= frame.len());
        d.trim();
        assert!(text(&mut d, Frame::Binary(&z.message("{\"op\":11}"))).is_some());
        d.trim();
        assert!(
            d.input.capacity() <= KEEP_CAPACITY,
            "{}",
            d.input.capacity()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_bytes_never_panic(frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..300), 1..8)) {
            let mut d = ZlibStreamDecoder::with_max_message(1 << 20);
            let mut j = JsonDecoder::new();
            for f in &frames {
                let _ = d.decode(Frame::Binary(f));
                let _ = j.decode(Frame::Binary(f));
                let mut with_suffix = f.clone();
                with_suffix.extend_from_slice(&ZLIB_SUFFIX);
                let _ = d.decode(Frame::Binary(&with_suffix));
            }
        }

        #[test]
        fn valid_stream_with_random_splits_round_trips(
            // non-empty, as every gateway message is: a sync flush with
            // no new input writes nothing with zlib (and zlib-rs), so an
            // empty message has no frame to send
            msgs in proptest::collection::vec("[ -~]{1,200}", 1..6),
            split in 1usize..50,
        ) {
            let mut z = Deflater::new();
            let mut d = ZlibStreamDecoder::new();
            for m in &msgs {
                let frame = z.message(m);
                let mut got = None;
                for part in frame.chunks(split) {
                    if let Some(t) = d.decode(Frame::Binary(part)).unwrap() {
                        got = Some(t.to_owned());
                    }
                }
                prop_assert_eq!(got.as_deref(), Some(m.as_str()));
            }
        }
    }
}
