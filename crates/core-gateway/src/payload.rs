//! The gateway payload envelope (`op`, `d`, `s`, `t`), parsed without copying
//! `d`, and the dispatch events handed to consumers.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::GatewayError;

/// One gateway payload, borrowed from the decoded message text.
///
/// Only `op`, `s` and `t` are parsed; `d` stays a borrowed [`RawValue`]
/// (a slice of the input), so a 5 MB GUILD_CREATE costs one scan and no
/// allocation until someone asks for it.
///
/// ```
/// use acord_core_gateway::Envelope;
/// let text = r#"{"op":0,"s":42,"t":"MESSAGE_CREATE","d":{"content":"ping"}}"#;
/// let env = Envelope::parse(text).unwrap();
/// assert_eq!(env.op(), 0);
/// assert_eq!(env.seq(), Some(42));
/// assert_eq!(env.event_name(), Some("MESSAGE_CREATE"));
/// assert_eq!(env.data().unwrap().get(), r#"{"content":"ping"}"#);
/// ```
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    op: u8,
    #[serde(default)]
    s: Option<u64>,
    #[serde(borrow, default)]
    t: Option<MaybeBorrowed<'a>>,
    #[serde(borrow, default)]
    d: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// Parses the envelope of one decoded gateway message.
    ///
    /// # Errors
    /// [`GatewayError::Payload`] when the text is not a JSON object with an
    /// integer `op` (0-255), an optional integer `s` and an optional string
    /// `t`.
    pub fn parse(text: &'a str) -> Result<Self, GatewayError> {
        serde_json::from_str(text).map_err(|e| GatewayError::payload("gateway envelope", e))
    }

    /// The opcode (`op`).
    pub fn op(&self) -> u8 {
        self.op
    }

    /// The sequence number (`s`), set on dispatches.
    pub fn seq(&self) -> Option<u64> {
        self.s
    }

    /// The event name (`t`), set on dispatches.
    pub fn event_name(&self) -> Option<&str> {
        self.t.as_ref().map(|t| &*t.0)
    }

    /// The raw event data (`d`); `None` when absent or `null`.
    pub fn data(&self) -> Option<&'a RawValue> {
        self.d
    }
}

/// A string that borrows from the input unless it contains escapes.
/// (`Option<Cow<str>>` alone always allocates with serde's derive.)
#[derive(Debug)]
pub(crate) struct MaybeBorrowed<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeBorrowed<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = MaybeBorrowed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A dispatch event (op 0) as handed to consumers: the name, the sequence
/// number and the raw JSON of `d`.
///
/// Cloning is cheap (two reference-count bumps), so one dispatch can fan
/// out to many tasks. Deserialise [`raw`](Self::raw) into a typed event only
/// when a handler needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Dispatch {
    name: Arc<str>,
    seq: u64,
    raw: Bytes,
}

impl Dispatch {
    /// Builds a dispatch from its parts (useful in tests and custom drivers).
    pub fn new(name: impl Into<Arc<str>>, seq: u64, raw: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            seq,
            raw: raw.into(),
        }
    }

    /// The event name, e.g. `"MESSAGE_CREATE"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The raw JSON bytes of `d` (`null` when the payload had none).
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The raw JSON of `d` as text.
    pub fn as_str(&self) -> &str {
        // cannot fail in practice: `raw` is copied from a `&str`; fall back
        // to an empty string instead of panicking if a caller built it from
        // invalid bytes with `Dispatch::new`.
        std::str::from_utf8(&self.raw).unwrap_or("")
    }

    /// Deserialises `d` into `T`.
    ///
    /// # Errors
    /// The JSON error when `d` does not match `T`.
    pub fn deserialize<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.raw)
    }
}

impl fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch")
            .field("name", &self.name)
            .field("seq", &self.seq)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

/// The `RATE_LIMITED` dispatch: Discord refused a gateway command (for now
/// only REQUEST_GUILD_MEMBERS, opcode 8) and says when to retry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct RateLimited {
    /// The opcode of the refused command.
    pub opcode: u8,
    /// Seconds to wait before retrying.
    pub retry_after: f64,
    /// Opcode-specific details (for opcode 8: `guild_id`, `nonce`).
    #[serde(default)]
    pub meta: serde_json::Map<String, serde_json::Value>,
}

impl RateLimited {
    /// `retry_after` as a duration (negative or non-finite values become 0).
    pub fn retry_after(&self) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(self.retry_after).unwrap_or_default()
    }

    /// The `meta.guild_id` of a refused REQUEST_GUILD_MEMBERS, if any.
    pub fn guild_id(&self) -> Option<&str> {
        self.meta.get("guild_id").and_then(|v| v.as_str())
    }

    /// The `meta.nonce` of a refused REQUEST_GUILD_MEMBERS, if any.
    pub fn nonce(&self) -> Option<&str> {
        self.meta.get("nonce").and_then(|v| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_is_borrowed_not_copied() {
        let text = r#"{"t":"X","s":1,"op":0,"d":{"a":[1,2,{"b":"c"}]}}"#;
        let env = Envelope::parse(text).unwrap();
        let d = env.data().unwrap().get();
        // the raw value points into the input buffer
        let start = d.as_ptr() as usize - text.as_ptr() as usize;
        assert_eq!(&text[start..start + d.len()], d);
        assert_eq!(d, r#"{"a":[1,2,{"b":"c"}]}"#);
        assert!(matches!(env.t, Some(MaybeBorrowed(Cow::Borrowed(_)))));
    }

    #[test]
    fn null_and_missing_fields() {
        let env = Envelope::parse(r#"{"op":11}"#).unwrap();
        assert_eq!((env.op(), env.seq(), env.event_name()), (11, None, None));
        assert!(env.data().is_none());
        let env = Envelope::parse(r#"{"op":11,"d":null,"s":null,"t":null}"#).unwrap();
        assert!(env.data().is_none());
        let env = Envelope::parse(r#"{"op":9,"d":false,"extra":{"x":1}}"#).unwrap();
        assert_eq!(env.data().unwrap().get(), "false");
    }

    #[test]
    fn escaped_event_names_still_parse() {
        let env = Envelope::parse(r#"{"op":0,"s":2,"t":"A\u0042C","d":{}}"#).unwrap();
        assert_eq!(env.event_name(), Some("ABC"));
    }

    #[test]
    fn bad_envelopes_are_errors() {
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"op":"1"}"#,
            r#"{"op":300}"#,
            r#"{"op":-1}"#,
            r#"{"op":0,"s":"x"}"#,
            r#"{"op":0,"t":5}"#,
            "{\"op\":0,\"d\":",
            "null",
        ] {
            assert!(Envelope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rate_limited_model() {
        let rl: RateLimited = serde_json::from_str(
            r#"{"opcode":8,"retry_after":1.5,"meta":{"guild_id":"1","nonce":"n"}}"#,
        )
        .unwrap();
        assert_eq!(rl.retry_after(), std::time::Duration::from_millis(1500));
        assert_eq!(rl.guild_id(), Some("1"));
        assert_eq!(rl.nonce(), Some("n"));
        let neg: RateLimited = serde_json::from_str(r#"{"opcode":8,"retry_after":-1}"#).unwrap();
        assert_eq!(neg.retry_after(), std::time::Duration::ZERO);
    }

    #[test]
    fn dispatch_is_cheap_to_clone() {
        let d = Dispatch::new("MESSAGE_CREATE", 7, Bytes::from_static(b"{\"x\":1}"));
        let c = d.clone();
        assert_eq!(c.raw().as_ptr(), d.raw().as_ptr());
        assert_eq!(c.as_str(), "{\"x\":1}");
        let v: serde_json::Value = c.deserialize().unwrap();
        assert_eq!(v["x"], 1);
        assert!(format!("{d:?}").contains("MESSAGE_CREATE"));
    }
}
