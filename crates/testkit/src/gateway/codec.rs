//! Server → client framing: plain JSON text frames, zlib-stream
//! (discord-protocol.md §3.12): one deflate context per connection, every
//! message sync-flushed so it ends in `00 00 FF FF`, sent as binary frames;
//! or zstd-stream (with the `zstd` feature): one zstd frame per connection
//! that is never ended, every message flushed (`ZSTD_e_flush`) so the
//! client's streaming decompressor yields all of it from that one binary
//! message.

use std::io::Write;

use acord_core_signals::ZLIB_SUFFIX;
use bytes::Bytes;
use flate2::write::ZlibEncoder;
use tokio_tungstenite::tungstenite::Message;

/// Bytes that are not a valid deflate block (the first byte has block type
/// 3, which is reserved), terminated like a message.
const CORRUPT_DEFLATE: [u8; 6] = [0xDE, 0xAD, 0xBE, 0xEF, 0x13, 0x37];

/// Encodes the messages of one connection.
pub(crate) enum Encoder {
    /// JSON text frames.
    Plain,
    /// One zlib stream for the whole connection (boxed: with zlib-rs the
    /// deflate state is kept inline and is large).
    Zlib(Box<ZlibEncoder<Vec<u8>>>),
    /// One zstd stream (one never-ending frame) for the whole connection.
    #[cfg(feature = "zstd")]
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

/// A zstd block header (3 bytes, little endian) whose block type is 3,
/// which is reserved: a decoder in the middle of a frame fails on it.
#[cfg(feature = "zstd")]
const CORRUPT_ZSTD: [u8; 6] = [0x06, 0x00, 0x00, 0xDE, 0xAD, 0xBE];

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Plain => "Encoder::Plain",
            Encoder::Zlib(_) => "Encoder::Zlib",
            #[cfg(feature = "zstd")]
            Encoder::Zstd(_) => "Encoder::Zstd",
        })
    }
}

impl Encoder {
    /// A zlib-stream encoder (zlib header, default level).
    pub fn zlib() -> Encoder {
        Encoder::Zlib(Box::new(ZlibEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        )))
    }

    /// A zstd-stream encoder (zstd's default level; its frame header is
    /// written with the first message).
    ///
    /// # Errors
    ///
    /// Fails if zstd cannot allocate its compression context.
    #[cfg(feature = "zstd")]
    pub fn zstd() -> std::io::Result<Encoder> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 0)?;
        // No checksum and no content size: the frame never ends.
        encoder.include_checksum(false)?;
        encoder.include_contentsize(false)?;
        Ok(Encoder::Zstd(encoder))
    }

    /// The WebSocket messages carrying one gateway message. With `split`,
    /// zlib output is cut into binary messages of at most that many bytes;
    /// zstd-stream output stays one WebSocket message (as on Discord), sent
    /// as WebSocket frames of at most that many bytes (a binary frame, then
    /// continuation frames, which the client's WebSocket library joins).
    ///
    /// # Errors
    ///
    /// Fails only if the deflate stream fails (writing into a `Vec` does
    /// not).
    pub fn encode(&mut self, text: &str, split: Option<usize>) -> std::io::Result<Vec<Message>> {
        match self {
            Encoder::Plain => Ok(vec![Message::Text(text.into())]),
            Encoder::Zlib(encoder) => {
                encoder.write_all(text.as_bytes())?;
                // `flush` on a flate2 writer performs a Z_SYNC_FLUSH.
                encoder.flush()?;
                let bytes = std::mem::take(encoder.get_mut());
                Ok(split_frames(bytes, split))
            }
            #[cfg(feature = "zstd")]
            Encoder::Zstd(encoder) => {
                encoder.write_all(text.as_bytes())?;
                // `flush` on a zstd writer ends the current block
                // (ZSTD_e_flush) without ending the frame.
                encoder.flush()?;
                let bytes = std::mem::take(encoder.get_mut());
                Ok(fragment(bytes, split))
            }
        }
    }

    /// A message the client cannot decode.
    pub fn corrupt(&self) -> Message {
        match self {
            Encoder::Plain => Message::Text("{\"op\":0,\"t\":\"MESS".into()),
            Encoder::Zlib(_) => {
                let mut bytes = CORRUPT_DEFLATE.to_vec();
                bytes.extend_from_slice(&ZLIB_SUFFIX);
                Message::Binary(Bytes::from(bytes))
            }
            #[cfg(feature = "zstd")]
            Encoder::Zstd(_) => Message::Binary(Bytes::from_static(&CORRUPT_ZSTD)),
        }
    }
}

/// One binary WebSocket message as WebSocket frames of at most `split`
/// bytes: a binary frame without FIN, continuation frames, the last with
/// FIN (RFC 6455 fragmentation).
#[cfg(feature = "zstd")]
fn fragment(bytes: Vec<u8>, split: Option<usize>) -> Vec<Message> {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    match split {
        Some(n) if n > 0 && bytes.len() > n => {
            let last = bytes.len().div_ceil(n) - 1;
            bytes
                .chunks(n)
                .enumerate()
                .map(|(i, chunk)| {
                    let opcode = if i == 0 { Data::Binary } else { Data::Continue };
                    Message::Frame(Frame::message(
                        Bytes::copy_from_slice(chunk),
                        OpCode::Data(opcode),
                        i == last,
                    ))
                })
                .collect()
        }
        _ => vec![Message::Binary(Bytes::from(bytes))],
    }
}

fn split_frames(bytes: Vec<u8>, split: Option<usize>) -> Vec<Message> {
    match split {
        Some(n) if n > 0 && bytes.len() > n => bytes
            .chunks(n)
            .map(|chunk| Message::Binary(Bytes::copy_from_slice(chunk)))
            .collect(),
        _ => vec![Message::Binary(Bytes::from(bytes))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    fn inflate(ctx: &mut Decompress, input: &[u8]) -> String {
        let mut out = Vec::with_capacity(4096);
        let mut consumed = 0;
        loop {
            let before_in = ctx.total_in();
            out.reserve(4096);
            ctx.decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
                .unwrap();
            consumed += (ctx.total_in() - before_in) as usize;
            if consumed >= input.len() {
                break;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_message_ends_in_the_sync_flush_suffix_and_shares_one_context() {
        let mut enc = Encoder::zlib();
        let mut ctx = Decompress::new(true);
        for text in ["{\"op\":10}", "{\"op\":11}", "{\"op\":10}"] {
            let frames = enc.encode(text, None).unwrap();
            assert_eq!(frames.len(), 1);
            let Message::Binary(bytes) = &frames[0] else {
                panic!("binary expected")
            };
            assert!(bytes.ends_with(&ZLIB_SUFFIX));
            assert_eq!(inflate(&mut ctx, bytes), text);
        }
    }

    #[test]
    fn split_frames_reassemble() {
        let mut enc = Encoder::zlib();
        let text = "{\"op\":0,\"d\":\"".to_owned() + &"abc".repeat(200) + "\"}";
        let frames = enc.encode(&text, Some(7)).unwrap();
        assert!(frames.len() > 1);
        let mut all = Vec::new();
        for frame in &frames {
            let Message::Binary(bytes) = frame else {
                panic!("binary expected")
            };
            assert!(bytes.len() <= 7);
            all.extend_from_slice(bytes);
        }
        assert!(all.ends_with(&ZLIB_SUFFIX));
        assert_eq!(inflate(&mut Decompress::new(true), &all), text);
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_messages_decode_at_their_boundary_through_one_context() {
        use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
        let mut enc = Encoder::zstd().unwrap();
        let mut dec = Decoder::new().unwrap();
        for (i, text) in ["{\"op\":10}", "{\"op\":11}", "{\"op\":10}"]
            .iter()
            .enumerate()
        {
            let Message::Binary(bytes) = enc.encode(text, None).unwrap().remove(0) else {
                panic!("binary expected")
            };
            // The frame header comes once, with the first message.
            assert_eq!(bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]), i == 0);
            let mut input = InBuffer::around(&bytes);
            let mut buffer = [0u8; 256];
            let mut output = OutBuffer::around(&mut buffer[..]);
            dec.run(&mut input, &mut output).unwrap();
            assert_eq!(input.pos(), bytes.len());
            let produced = output.pos();
            assert_eq!(&buffer[..produced], text.as_bytes());
        }
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn a_split_zstd_message_is_one_fragmented_websocket_message() {
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
        let mut enc = Encoder::zstd().unwrap();
        let text = "{\"op\":0,\"d\":\"".to_owned() + &"abc".repeat(200) + "\"}";
        let whole = {
            let mut again = Encoder::zstd().unwrap();
            let Message::Binary(bytes) = again.encode(&text, None).unwrap().remove(0) else {
                panic!("binary expected")
            };
            bytes
        };
        let frames = enc.encode(&text, Some(5)).unwrap();
        assert!(frames.len() > 1);
        let mut joined = Vec::new();
        for (i, message) in frames.iter().enumerate() {
            let Message::Frame(frame) = message else {
                panic!("raw frames expected")
            };
            let expected = if i == 0 { Data::Binary } else { Data::Continue };
            assert_eq!(frame.header().opcode, OpCode::Data(expected));
            assert_eq!(frame.header().is_final, i + 1 == frames.len());
            assert!(frame.payload().len() <= 5);
            joined.extend_from_slice(frame.payload());
        }
        assert_eq!(joined, whole.to_vec());
    }

    #[test]
    fn corrupt_bytes_fail_to_inflate() {
        let mut enc = Encoder::zlib();
        let mut ctx = Decompress::new(true);
        let Message::Binary(first) = enc.encode("{}", None).unwrap().remove(0) else {
            panic!("binary expected")
        };
        inflate(&mut ctx, &first);
        let Message::Binary(bad) = enc.corrupt() else {
            panic!("binary expected")
        };
        let mut out = Vec::with_capacity(64);
        assert!(ctx
            .decompress_vec(&bad, &mut out, FlushDecompress::Sync)
            .is_err());
    }
}
