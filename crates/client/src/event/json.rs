//! Which JSON parser turns a dispatch's `d` into the typed models.
//!
//! The models are plain serde types; any serde deserializer can fill them.
//! acord always has [`serde_json`]; two faster, SIMD-based parsers can be
//! compiled in with a cargo feature each, the way the transport decoder is
//! chosen (`ShardConfig::builder(..).decoder(..)`):
//!
//! | Feature | Parser | On a generic `x86-64` build | Notes |
//! |---|---|---|---|
//! | (none) | [`JsonParser::SerdeJson`] | — | the reference: its errors are the ones [`EventError`](super::EventError) carries |
//! | `simd-json` | [`JsonParser::SimdJson`] | picks AVX2/SSE4.2 at run time | copies the text into a reused per-thread buffer (it parses in place) |
//! | `sonic-rs` | [`JsonParser::SonicRs`] | scalar fallback unless built with `-C target-feature=+avx2,+pclmulqdq` (or `target-cpu=native`) | SIMD is chosen at compile time |
//!
//! With a feature on, [`Event::from_dispatch`](super::Event::from_dispatch)
//! (and so the `Client`) uses that parser ([`JsonParser::DEFAULT`]);
//! [`Event::from_dispatch_with`](super::Event::from_dispatch_with) picks one
//! per call. Measure before turning one on: on a generic `x86-64` build
//! neither beat serde_json on acord's models (`docs/performance.md`, "CPU").
//!
//! A fast parser never decides alone that a payload is bad: when it fails,
//! serde_json parses the same text again, so errors (line, column, what was
//! expected) are serde_json's, and the few things only serde_json reads
//! ([`RawJson`](crate::model::RawJson), its `RawValue`) still parse. The
//! result is the same model either way; a test checks it on every event
//! fixture.
//!
//! ```
//! use acord::event::{Event, JsonParser};
//!
//! let raw = r#"{"id":"1","channel_id":"2","guild_id":"3"}"#;
//! for parser in JsonParser::available() {
//!     let event = Event::from_dispatch_with(*parser, "MESSAGE_DELETE", raw).unwrap();
//!     assert_eq!(event.guild_id().map(|g| g.get()), Some(3));
//! }
//! ```

use serde::de::DeserializeOwned;

/// A JSON parser for dispatch payloads (see the [module docs](self)).
///
/// Variants other than [`SerdeJson`](Self::SerdeJson) exist only with their
/// cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonParser {
    /// [`serde_json`]: always compiled in.
    SerdeJson,
    /// `simd-json` (cargo feature `simd-json`): SIMD chosen at run time.
    #[cfg(feature = "simd-json")]
    SimdJson,
    /// `sonic-rs` (cargo feature `sonic-rs`): SIMD chosen at compile time.
    #[cfg(feature = "sonic-rs")]
    SonicRs,
}

impl JsonParser {
    /// The parser [`Event::from_dispatch`](super::Event::from_dispatch) uses:
    /// the one a feature turned on (`simd-json` first, then `sonic-rs`),
    /// else serde_json.
    pub const DEFAULT: Self = {
        #[cfg(feature = "simd-json")]
        let parser = Self::SimdJson;
        #[cfg(all(feature = "sonic-rs", not(feature = "simd-json")))]
        let parser = Self::SonicRs;
        #[cfg(not(any(feature = "simd-json", feature = "sonic-rs")))]
        let parser = Self::SerdeJson;
        parser
    };

    /// Every parser compiled in, serde_json first.
    pub const fn available() -> &'static [Self] {
        &[
            Self::SerdeJson,
            #[cfg(feature = "simd-json")]
            Self::SimdJson,
            #[cfg(feature = "sonic-rs")]
            Self::SonicRs,
        ]
    }

    /// The parser's crate name (`"serde_json"`, `"simd-json"`, `"sonic-rs"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::SerdeJson => "serde_json",
            #[cfg(feature = "simd-json")]
            Self::SimdJson => "simd-json",
            #[cfg(feature = "sonic-rs")]
            Self::SonicRs => "sonic-rs",
        }
    }

    /// Parses `text` into `T`; if a fast parser fails, serde_json parses it
    /// again and its result (value or error) is the answer.
    pub(crate) fn parse<T: DeserializeOwned>(self, text: &str) -> Result<T, serde_json::Error> {
        match self {
            Self::SerdeJson => serde_json::from_str(text),
            #[cfg(feature = "simd-json")]
            Self::SimdJson => simd::from_str(text).or_else(|()| fall_back(text)),
            #[cfg(feature = "sonic-rs")]
            Self::SonicRs => sonic_rs::from_str(text).or_else(|_| fall_back(text)),
        }
    }
}

/// A fast parser failed: serde_json's answer.
#[cfg(any(feature = "simd-json", feature = "sonic-rs"))]
fn fall_back<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    #[cfg(test)]
    tests::FALLBACKS.with(|n| n.set(n.get() + 1));
    serde_json::from_str(text)
}

impl Default for JsonParser {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(feature = "simd-json")]
mod simd {
    use serde::de::DeserializeOwned;
    use std::cell::RefCell;

    /// A copy of the text (simd-json parses in place) and simd-json's own
    /// scratch buffers, reused by every parse on this thread.
    struct Scratch {
        input: Vec<u8>,
        buffers: simd_json::Buffers,
    }

    /// Above this size a buffer is not kept after the parse (one large
    /// GUILD_CREATE should not pin its size on every worker thread).
    const KEEP: usize = 256 * 1024;

    thread_local! {
        static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
            input: Vec::new(),
            buffers: simd_json::Buffers::default(),
        });
    }

    pub(super) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ()> {
        SCRATCH.with(|scratch| {
            // A parse re-entered on this thread (a Deserialize impl that
            // parses again) gets fresh buffers instead of a panic.
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                let mut input = text.as_bytes().to_vec();
                return simd_json::serde::from_slice(&mut input).map_err(drop);
            };
            let Scratch { input, buffers } = &mut *scratch;
            input.clear();
            input.extend_from_slice(text.as_bytes());
            let parsed = simd_json::serde::from_slice_with_buffers(input, buffers).map_err(drop);
            if input.capacity() > KEEP {
                *input = Vec::new();
                *buffers = simd_json::Buffers::default();
            }
            parsed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use std::cell::Cell;

    thread_local! {
        /// How many parses on this thread fell back to serde_json.
        pub(super) static FALLBACKS: Cell<usize> = const { Cell::new(0) };
    }

    /// The events that make up most of a gateway stream (by count or by
    /// bytes): a fast parser must read them without falling back.
    const HOT: [&str; 7] = [
        "MESSAGE_CREATE",
        "GUILD_CREATE",
        "PRESENCE_UPDATE",
        "TYPING_START",
        "GUILD_MEMBER_UPDATE",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
    ];

    /// Every event fixture parses to the same `Event` with every parser
    /// compiled in (run the tests with `--features simd-json,sonic-rs`).
    #[test]
    fn every_parser_reads_every_fixture_like_serde_json() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");
        let mut checked = 0;
        let mut fell_back = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let name = stem.split('.').next().unwrap().to_owned();
            let pretty = std::fs::read_to_string(&path).unwrap();
            // Compact, as the gateway sends it (and with keys in
            // serde_json's order: a fast parser writes `RawJson` fields out
            // again, compact and in that order).
            let value: serde_json::Value = serde_json::from_str(&pretty).unwrap();
            let text = value.to_string();
            let reference = Event::from_dispatch_with(JsonParser::SerdeJson, &name, &text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for parser in JsonParser::available() {
                let before = FALLBACKS.with(Cell::get);
                let event = Event::from_dispatch_with(*parser, &name, &text)
                    .unwrap_or_else(|e| panic!("{name} with {}: {e}", parser.name()));
                assert_eq!(event, reference, "{name} with {}", parser.name());
                // As sent (indented): the same JSON once written out again.
                let as_sent = Event::from_dispatch_with(*parser, &name, &pretty).unwrap();
                let json = |e: &Event| {
                    serde_json::from_str::<serde_json::Value>(&e.to_json().unwrap()).unwrap()
                };
                assert_eq!(
                    json(&as_sent),
                    json(&reference),
                    "{stem} with {}",
                    parser.name()
                );
                if FALLBACKS.with(Cell::get) != before {
                    fell_back.push(format!("{stem} ({})", parser.name()));
                }
            }
            checked += 1;
        }
        assert!(checked >= 70, "only {checked} fixtures");
        println!("fell back to serde_json: {fell_back:?}");
        for hot in HOT {
            assert!(
                !fell_back
                    .iter()
                    .any(|f| f.starts_with(hot) && !f.contains(".unavailable")),
                "{hot} fell back: {fell_back:?}"
            );
        }
    }

    /// The edge cases where parsers differ: u64 beyond i64, integers wider
    /// than u64 (a nonce), escapes, IDs as numbers, floats.
    #[test]
    fn every_parser_agrees_on_numbers_and_escapes() {
        let cases = [
            (
                "MESSAGE_DELETE",
                r#"{"id":"18446744073709551615","channel_id":2,"guild_id":"3"}"#,
            ),
            (
                "TYPING_START",
                r#"{"channel_id":"2","user_id":"18446744073709551615","timestamp":1700000000}"#,
            ),
        ];
        for (name, text) in cases {
            let reference = Event::from_dispatch_with(JsonParser::SerdeJson, name, text).unwrap();
            for parser in JsonParser::available() {
                assert_eq!(
                    Event::from_dispatch_with(*parser, name, text).unwrap(),
                    reference,
                    "{name} with {}",
                    parser.name()
                );
            }
        }
    }

    /// A bad payload gives serde_json's error whatever the parser, and
    /// never a panic.
    #[test]
    fn every_parser_reports_serde_json_errors() {
        for text in [
            r#"{"id":"1","channel_id":}"#,
            "",
            "[",
            r#"{"id":"0","channel_id":"2"}"#,
        ] {
            let reference =
                Event::from_dispatch_with(JsonParser::SerdeJson, "MESSAGE_DELETE", text)
                    .unwrap_err()
                    .json_error()
                    .to_string();
            for parser in JsonParser::available() {
                let err = Event::from_dispatch_with(*parser, "MESSAGE_DELETE", text).unwrap_err();
                assert_eq!(err.name(), "MESSAGE_DELETE");
                assert_eq!(err.json_error().to_string(), reference, "{}", parser.name());
            }
        }
    }
}
