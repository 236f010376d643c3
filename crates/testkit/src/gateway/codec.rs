//! Server → client framing: plain JSON text frames, or zlib-stream
//! (discord-protocol.md §3.12): one deflate context per connection, every
//! message sync-flushed so it ends in `00 00 FF FF`, sent as binary frames.

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
    /// One zlib stream for the whole connection.
    Zlib(ZlibEncoder<Vec<u8>>),
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Plain => "Encoder::Plain",
            Encoder::Zlib(_) => "Encoder::Zlib",
        })
    }
}

impl Encoder {
    /// A zlib-stream encoder (zlib header, default level).
    pub fn zlib() -> Encoder {
        Encoder::Zlib(ZlibEncoder::new(Vec::new(), flate2::Compression::default()))
    }

    /// The WebSocket messages carrying one gateway message. With `split`,
    /// zlib output is cut into binary frames of at most that many bytes.
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
        }
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
