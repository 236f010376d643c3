//! The gateway payload envelope (`op`, `d`, `s`, `t`), parsed without copying
//! `d`, and the dispatch events handed to consumers.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::GatewayError;

/// One gateway payload, borrowed from the decoded message text.
///
/// Only `op`, `s` and `t` are parsed; `d` stays a borrowed slice of the
/// input, so a 5 MB GUILD_CREATE costs one quick structural scan (string
/// and bracket boundaries, not a JSON parse) and no allocation until
/// someone asks for it. `d` is checked as JSON when it is deserialised.
///
/// ```
/// use acord_core_gateway::Envelope;
/// let text = r#"{"op":0,"s":42,"t":"MESSAGE_CREATE","d":{"content":"ping"}}"#;
/// let env = Envelope::parse(text).unwrap();
/// assert_eq!(env.op(), 0);
/// assert_eq!(env.seq(), Some(42));
/// assert_eq!(env.event_name(), Some("MESSAGE_CREATE"));
/// assert_eq!(env.data(), Some(r#"{"content":"ping"}"#));
/// ```
#[derive(Debug)]
pub struct Envelope<'a> {
    op: u8,
    s: Option<u64>,
    t: Option<MaybeBorrowed<'a>>,
    d: Option<&'a str>,
    /// `d` was bounded by the members after it, not by its own brackets:
    /// it may run on over further members (see [`Envelope::parse_dispatch`]).
    d_unchecked: bool,
}

/// The envelope as serde reads it: the fallback of the quick scan, for
/// escaped keys and names, and for the error message of a bad envelope.
#[derive(Deserialize)]
struct SerdeEnvelope<'a> {
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
        Self::parse_with(text, false)
    }

    /// [`parse`](Self::parse) for the dispatch path, without walking `d`'s
    /// brackets where the members around it say where it ends.
    ///
    /// When `op`, `s` and `t` are all read from the members before `d` and
    /// the plain members after it (Discord sends exactly these four), `d` is
    /// taken to run up to the first of the members after it. A payload
    /// with a further object or array member between them leaves that
    /// member inside this `d`: the first JSON value of it is `d`, the rest
    /// starts with a comma. [`data`](Self::data) is always exact; the
    /// [`Dispatch`] made from [`data_unchecked`](Self::data_unchecked) finds
    /// the exact end when someone asks for it, and a parse of the whole
    /// text that fails is retried on the exact `d` ([`Dispatch::parse_text`]).
    pub(crate) fn parse_dispatch(text: &'a str) -> Result<Self, GatewayError> {
        Self::parse_with(text, true)
    }

    fn parse_with(text: &'a str, unchecked: bool) -> Result<Self, GatewayError> {
        if let Some(env) = scan::envelope(text, unchecked) {
            return Ok(env);
        }
        let env: SerdeEnvelope<'a> =
            serde_json::from_str(text).map_err(|e| GatewayError::payload("gateway envelope", e))?;
        Ok(Self {
            op: env.op,
            s: env.s,
            t: env.t,
            d: env.d.map(RawValue::get),
            d_unchecked: false,
        })
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

    /// The raw JSON text of the event data (`d`); `None` when absent or
    /// `null`.
    pub fn data(&self) -> Option<&'a str> {
        match self.d {
            Some(d) if self.d_unchecked => Some(&d[..scan::checked_len(d)]),
            d => d,
        }
    }

    /// `d` as found, and whether its end is unchecked (it may run on over
    /// further members; see [`parse_dispatch`](Self::parse_dispatch)).
    pub(crate) fn data_unchecked(&self) -> (Option<&'a str>, bool) {
        (self.d, self.d_unchecked)
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

/// The quick envelope scan: reads `op`, `s` and `t` and finds where `d`
/// starts and ends by string and bracket boundaries alone. It gives up
/// (`None`, and serde decides) on anything unusual: escaped keys or names,
/// duplicate fields, numbers serde would read differently.
mod scan {
    use std::borrow::Cow;

    use super::{Envelope, MaybeBorrowed};

    fn ws(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }

    /// The end (one past the closing quote) of the string starting at
    /// `i` (an opening quote), and whether it holds escapes.
    fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
        let mut j = i + 1;
        // keys and event names are short: a plain loop over their first
        // bytes beats setting up a vectorised search
        for (k, &c) in b.get(j..)?.iter().take(24).enumerate() {
            match c {
                b'"' => return Some((j + k + 1, false)),
                b'\\' => break,
                _ => {}
            }
        }
        let mut escaped = false;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
            if b[k] == b'"' {
                return Some((k + 1, escaped));
            }
            escaped = true;
            j = k + 2;
        }
    }

    /// The end of the JSON value starting at `i`, found by structure only.
    fn value_end(b: &[u8], i: usize) -> Option<usize> {
        match *b.get(i)? {
            b'"' => string_end(b, i).map(|(end, _)| end),
            b'{' | b'[' => super::blocks::container_end(b, i),
            _ => {
                let mut j = i;
                while let Some(&c) = b.get(j) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    j += 1;
                }
                (j > i).then_some(j)
            }
        }
    }

    /// A plain non-negative integer (no sign, fraction or exponent).
    fn integer(b: &[u8], i: usize) -> Option<(u64, usize)> {
        let mut j = i;
        let mut n: u64 = 0;
        while let Some(c @ b'0'..=b'9') = b.get(j).copied() {
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            j += 1;
        }
        if j == i || (b[i] == b'0' && j > i + 1) {
            return None;
        }
        match b.get(j) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some((n, j)),
        }
    }

    fn null(b: &[u8], i: usize) -> Option<usize> {
        b.get(i..i + 4).filter(|w| *w == b"null").map(|_| i + 4)
    }

    /// The length of `d` at the start of `found`, a `d` bounded by the
    /// members after it: `d`'s own end when only further members follow it
    /// (`, "key": value`, none of them a second `op`, `s`, `t` or `d`),
    /// else all of `found`, which is then not one JSON value and fails to
    /// parse.
    pub(super) fn checked_len(found: &str) -> usize {
        let b = found.as_bytes();
        match value_end(b, 0) {
            Some(end) if further_members(found, end) => end,
            _ => b.len(),
        }
    }

    /// `text[i..]` is a list of members, each after a comma.
    fn further_members(text: &str, mut i: usize) -> bool {
        let b = text.as_bytes();
        loop {
            i = ws(b, i);
            match b.get(i) {
                None => return true,
                Some(b',') => i = ws(b, i + 1),
                Some(_) => return false,
            }
            if b.get(i) != Some(&b'"') {
                return false;
            }
            let Some((key_end, escaped)) = string_end(b, i) else {
                return false;
            };
            let key = &text[i..key_end];
            let key: Cow<'_, str> = if escaped {
                match serde_json::from_str(key) {
                    Ok(key) => key,
                    Err(_) => return false,
                }
            } else {
                Cow::Borrowed(&key[1..key.len() - 1])
            };
            if matches!(&*key, "op" | "s" | "t" | "d") {
                return false;
            }
            i = ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return false;
            }
            match value_end(b, ws(b, i + 1)) {
                Some(end) => i = end,
                None => return false,
            }
        }
    }

    fn ws_back(b: &[u8], mut j: usize) -> usize {
        while j > 0 && matches!(b[j - 1], b' ' | b'\t' | b'\n' | b'\r') {
            j -= 1;
        }
        j
    }

    /// Bits of [`tail`]'s member set.
    const OP: u8 = 1;
    const S: u8 = 2;
    const T: u8 = 4;

    /// Reads the object's last members backwards while they are `"op"`,
    /// `"s"` or `"t"` with a plain value (digits, `null`, a string without
    /// escapes): the index where they start (the comma before the first of
    /// them, or the closing brace when there are none) and which of them
    /// were found. Only boundaries are found here: the forward scan reads
    /// and checks these members again from that comma.
    fn tail(b: &[u8]) -> Option<(usize, u8)> {
        let close = ws_back(b, b.len()).checked_sub(1)?;
        if b[close] != b'}' {
            return None;
        }
        let (mut start, mut found) = (close, 0u8);
        loop {
            let value_end = ws_back(b, start);
            let value_start = match b.get(value_end.checked_sub(1)?)? {
                b'"' => {
                    let open = memchr::memrchr(b'"', &b[..value_end - 1])?;
                    if memchr::memchr(b'\\', &b[open.saturating_sub(1)..value_end]).is_some() {
                        break;
                    }
                    open
                }
                b'0'..=b'9' | b'l' => {
                    let mut k = value_end;
                    while k > 0 && b[k - 1].is_ascii_alphanumeric() {
                        k -= 1;
                    }
                    k
                }
                _ => break,
            };
            let colon = ws_back(b, value_start);
            if colon == 0 || b[colon - 1] != b':' {
                break;
            }
            let key_end = ws_back(b, colon - 1);
            let (bit, key_start) = match b.get(key_end.saturating_sub(4)..key_end) {
                Some(br#""op""#) => (OP, key_end - 4),
                _ => match b.get(key_end.saturating_sub(3)..key_end) {
                    Some(br#""s""#) => (S, key_end - 3),
                    Some(br#""t""#) => (T, key_end - 3),
                    _ => break,
                },
            };
            let comma = ws_back(b, key_start);
            if found & bit != 0 || comma == 0 || b[comma - 1] != b',' {
                break;
            }
            found |= bit;
            start = comma - 1;
        }
        Some((start, found))
    }

    /// `unchecked`: `d` may be bounded by [`tail`] (see
    /// [`Envelope::parse_dispatch`]).
    pub(super) fn envelope(text: &str, unchecked: bool) -> Option<Envelope<'_>> {
        let b = text.as_bytes();
        let mut i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        let (mut op, mut s, mut t, mut d) = (None, None, None, None);
        let (mut seen_s, mut seen_t) = (false, false);
        let mut d_unchecked = false;
        loop {
            i = ws(b, i);
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let (key_end, escaped) = string_end(b, i)?;
            if escaped {
                return None;
            }
            let key = &b[i + 1..key_end - 1];
            i = ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            match key {
                b"op" => {
                    let (n, end) = integer(b, i)?;
                    if op.replace(u8::try_from(n).ok()?).is_some() {
                        return None;
                    }
                    i = end;
                }
                b"s" => {
                    if std::mem::replace(&mut seen_s, true) {
                        return None;
                    }
                    i = match null(b, i) {
                        Some(end) => end,
                        None => {
                            let (n, end) = integer(b, i)?;
                            s = Some(n);
                            end
                        }
                    };
                }
                b"t" => {
                    if std::mem::replace(&mut seen_t, true) {
                        return None;
                    }
                    i = match null(b, i) {
                        Some(end) => end,
                        None => {
                            if b.get(i) != Some(&b'"') {
                                return None;
                            }
                            let (end, escaped) = string_end(b, i)?;
                            if escaped {
                                return None;
                            }
                            t = Some(MaybeBorrowed(Cow::Borrowed(text.get(i + 1..end - 1)?)));
                            end
                        }
                    };
                }
                b"d" => {
                    if d.is_some() {
                        return None;
                    }
                    let bit = |seen: bool, bit: u8| if seen { bit } else { 0 };
                    let before = bit(op.is_some(), OP) | bit(seen_s, S) | bit(seen_t, T);
                    let bounded = match (unchecked, b.get(i)) {
                        (true, Some(&open @ (b'{' | b'['))) => tail(b)
                            .filter(|&(start, after)| {
                                start > i && before & after == 0 && before | after == OP | S | T
                            })
                            .map(|(start, _)| (ws_back(b, start), open + 2))
                            // `{`..`}` and `[`..`]` are two apart in ASCII
                            .filter(|&(end, close)| end > i + 1 && b[end - 1] == close),
                        _ => None,
                    };
                    let end = match bounded {
                        Some((end, _)) => {
                            d_unchecked = true;
                            end
                        }
                        None => value_end(b, i)?,
                    };
                    d = Some(text.get(i..end)?);
                    i = end;
                }
                _ => i = value_end(b, i)?,
            }
            i = ws(b, i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => break,
                _ => return None,
            }
        }
        if ws(b, i + 1) != b.len() {
            return None;
        }
        Some(Envelope {
            op: op?,
            s,
            t,
            d: d.filter(|d| *d != "null"),
            d_unchecked,
        })
    }
}

/// Finding the end of an object or array 64 bytes at a time: the bytes of
/// each block are classified into bit masks (quotes, backslashes, opening
/// and closing brackets), escapes and string interiors are worked out on
/// the masks, and only the brackets outside strings are walked, one by one.
/// A 90 KB GUILD_CREATE is about 1,400 blocks, not 90,000 steps of a byte
/// loop.
mod blocks {
    /// The classes of the bytes of one 64-byte block, one bit per byte.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Masks {
        pub(super) quote: u64,
        pub(super) backslash: u64,
        /// `{` and `[`
        pub(super) open: u64,
        /// `}` and `]`
        pub(super) close: u64,
    }

    /// Classifies with SSE2 (part of every x86-64 CPU, so no detection at
    /// run time): 16 bytes per comparison. `{`/`[` and `}`/`]` differ only
    /// in bit 0x20, so one OR folds each pair into one comparison.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[allow(unsafe_code)]
    pub(super) fn classify(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        let mut m = Masks::default();
        for k in 0..4 {
            // SAFETY: this build enables SSE2 (the cfg above; every x86-64
            // CPU has it), and the unaligned 16-byte load at 16 * k, k < 4,
            // stays inside the 64-byte block.
            let [quote, backslash, open, close] = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                [
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8))),
                ]
            };
            // movemask sets the low 16 bits only; the casts keep them
            let bits = |x: i32| u64::from(x as u16) << (16 * k);
            m.quote |= bits(quote);
            m.backslash |= bits(backslash);
            m.open |= bits(open);
            m.close |= bits(close);
        }
        m
    }

    /// Classifies one byte at a time (other CPUs, and the reference the
    /// SSE2 version is tested against).
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn classify_bytes(block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (i, &c) in block.iter().enumerate() {
            let bit = 1u64 << i;
            match c {
                b'"' => m.quote |= bit,
                b'\\' => m.backslash |= bit,
                b'{' | b'[' => m.open |= bit,
                b'}' | b']' => m.close |= bit,
                _ => {}
            }
        }
        m
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    use classify_bytes as classify;

    /// The bytes escaped by a backslash (the byte after each backslash that
    /// is not itself escaped). `carry`: the block starts with an escaped
    /// byte; updated for the next block.
    fn escaped(backslash: u64, carry: &mut bool) -> u64 {
        let mut escaped = u64::from(*carry);
        *carry = false;
        let mut rest = backslash;
        while rest != 0 {
            let i = rest.trailing_zeros();
            rest &= rest - 1;
            if escaped & (1 << i) != 0 {
                continue;
            }
            if i == 63 {
                *carry = true;
            } else {
                escaped |= 1 << (i + 1);
            }
        }
        escaped
    }

    /// Bit i is the XOR of bits 0 to i: between an opening quote
    /// (included) and its closing quote (excluded) the bits are set.
    fn prefix_xor(mut x: u64) -> u64 {
        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        x
    }

    /// The end (one past the closing bracket) of the object or array that
    /// starts at `start`, or `None` when the text ends first.
    pub(super) fn container_end(b: &[u8], start: usize) -> Option<usize> {
        let mut depth: u32 = 0;
        let mut in_string = 0u64;
        let mut carry = false;
        let mut pos = start;
        let mut padded = [b' '; 64];
        while pos < b.len() {
            let block = match b[pos..].first_chunk::<64>() {
                Some(block) => block,
                None => {
                    let tail = &b[pos..];
                    padded[..tail.len()].copy_from_slice(tail);
                    &padded
                }
            };
            let m = classify(block);
            let quotes = m.quote & !escaped(m.backslash, &mut carry);
            let strings = prefix_xor(quotes) ^ in_string;
            in_string = 0u64.wrapping_sub(strings >> 63);
            let open = m.open & !strings;
            let close = m.close & !strings;
            // walked bracket by bracket: Discord's JSON has one or two per
            // block, cheaper than counting bits on CPUs without POPCNT
            let mut rest = open | close;
            while rest != 0 {
                let i = rest.trailing_zeros();
                rest &= rest - 1;
                if open & (1 << i) != 0 {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(pos + i as usize + 1);
                    }
                }
            }
            pos += 64;
        }
        None
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn sse2_and_bytewise_classification_agree() {
            let text = r#"{"a":"x\"y}]","b":[1,{"c":null}],"\\":"{["} é☃ \ ab"#.as_bytes();
            let mut block = [b' '; 64];
            for start in 0..text.len() {
                let n = (text.len() - start).min(64);
                block[..n].copy_from_slice(&text[start..start + n]);
                assert_eq!(classify(&block), classify_bytes(&block));
            }
        }

        #[test]
        fn escapes_carry_across_blocks() {
            let mut carry = true;
            // the first byte is escaped by the previous block; a backslash at
            // bit 1 escapes bit 2; one at 63 escapes the next block's first
            let e = escaped((1 << 1) | (1 << 63), &mut carry);
            assert_eq!(e, 1 | (1 << 2));
            assert!(carry);
            // an escaped backslash escapes nothing
            let mut carry = true;
            assert_eq!(escaped(1, &mut carry), 1);
            assert!(!carry);
        }

        #[test]
        fn long_values_with_strings_across_block_edges() {
            for pad in 0..130 {
                let filler = "x".repeat(pad);
                let text = format!(
                    r#"{{"k":"{filler}","e":"\\","q":"\"}}{{[","n":[[{{}}],[]],"z":"{filler}\\"}}"#
                );
                let end = container_end(text.as_bytes(), 0);
                assert_eq!(end, Some(text.len()), "{text}");
                let prefixed = format!("  {text} ,\"x\":1");
                assert_eq!(container_end(prefixed.as_bytes(), 2), Some(2 + text.len()));
                assert_eq!(container_end(&text.as_bytes()[..text.len() - 1], 0), None);
            }
        }
    }
}

/// A dispatch event (op 0) as handed to consumers: the name, the sequence
/// number and the raw JSON of `d`.
///
/// Cloning is cheap (reference-count bumps), so one dispatch can fan out to
/// many tasks. The JSON is kept as text checked once as UTF-8 when it was
/// decoded, so deserialising it into a typed event needs no second check.
/// The shard does not walk `d` to find where it ends (see
/// [`parse_text`](Self::parse_text), the quickest way to parse it): the
/// first call to [`text`](Self::text), [`as_str`](Self::as_str),
/// [`as_bytes`](Self::as_bytes) or [`raw`](Self::raw) of a shard's
/// dispatch finds that end with one quick structural scan, and later calls
/// are free. Deserialise only when a handler needs it.
#[derive(Clone)]
pub struct Dispatch {
    name: Arc<str>,
    seq: u64,
    data: Arc<Data>,
    /// [`raw`](Self::raw), made on first use.
    raw: OnceLock<Bytes>,
}

/// The shared part of a dispatch: its JSON and what is released with it.
struct Data {
    /// The text of `d`, or bytes a caller gave that are not UTF-8.
    body: Result<Box<str>, Bytes>,
    /// The text may run on past `d` over further members of the payload
    /// (see `Envelope::parse_dispatch`); `len` then holds `d`'s exact
    /// length once someone asked for it.
    unchecked: bool,
    len: OnceLock<usize>,
    /// The shard's backlog charge, given back when the last copy goes.
    #[cfg(feature = "runtime")]
    charge: Option<crate::shard::Charge>,
}

/// The owner of the bytes of [`Dispatch::raw`]: the shared data itself.
struct SharedData(Arc<Data>);

impl AsRef<[u8]> for SharedData {
    fn as_ref(&self) -> &[u8] {
        self.0.bytes()
    }
}

#[cfg(feature = "runtime")]
impl Drop for Data {
    fn drop(&mut self) {
        if let (Some(charge), Ok(text)) = (&self.charge, &mut self.body) {
            charge.give_back(std::mem::take(text));
        }
    }
}

impl Data {
    fn new(body: Result<Box<str>, Bytes>, unchecked: bool) -> Self {
        Self {
            body,
            unchecked,
            len: OnceLock::new(),
            #[cfg(feature = "runtime")]
            charge: None,
        }
    }

    /// The exact text of `d`.
    fn text(&self) -> Option<&str> {
        let text = self.body.as_deref().ok()?;
        if !self.unchecked {
            return Some(text);
        }
        Some(&text[..*self.len.get_or_init(|| scan::checked_len(text))])
    }

    fn bytes(&self) -> &[u8] {
        match &self.body {
            Ok(_) => self.text().unwrap_or_default().as_bytes(),
            Err(bytes) => bytes,
        }
    }
}

impl Dispatch {
    /// Builds a dispatch from its parts (useful in tests, custom drivers
    /// and brokers). `raw` should be UTF-8 JSON; bytes that are not UTF-8
    /// are kept as given (then [`text`](Self::text) is `None`).
    pub fn new(name: impl Into<Arc<str>>, seq: u64, raw: impl Into<Bytes>) -> Self {
        let raw: Bytes = raw.into();
        let body = match std::str::from_utf8(&raw) {
            Ok(text) => Ok(Box::from(text)),
            Err(_) => Err(raw),
        };
        Self::with_body(name.into(), seq, body)
    }

    /// Builds a dispatch whose `d` is `text`, without copying it when it is
    /// a `String` of exact capacity (or a `Box<str>`).
    pub fn from_text(name: impl Into<Arc<str>>, seq: u64, text: impl Into<Box<str>>) -> Self {
        Self::with_body(name.into(), seq, Ok(text.into()))
    }

    /// A dispatch whose text is `d` followed, maybe, by further members of
    /// the payload (`Envelope::parse_dispatch`).
    pub(crate) fn from_unchecked_text(name: Arc<str>, seq: u64, text: Box<str>) -> Self {
        Self::with_data(name, seq, Data::new(Ok(text), true))
    }

    fn with_body(name: Arc<str>, seq: u64, body: Result<Box<str>, Bytes>) -> Self {
        Self::with_data(name, seq, Data::new(body, false))
    }

    fn with_data(name: Arc<str>, seq: u64, data: Data) -> Self {
        Self {
            name,
            seq,
            data: Arc::new(data),
            raw: OnceLock::new(),
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

    /// The raw JSON of `d` as text (`null` when the payload had none); `None`
    /// only for bytes given to [`new`](Self::new) that are not UTF-8.
    pub fn text(&self) -> Option<&str> {
        self.data.text()
    }

    /// The raw JSON of `d` as text; empty for bytes given to
    /// [`new`](Self::new) that are not UTF-8.
    pub fn as_str(&self) -> &str {
        self.text().unwrap_or("")
    }

    /// The raw JSON bytes of `d`.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The raw JSON bytes of `d` as [`Bytes`] sharing this dispatch's
    /// memory (made on first use).
    pub fn raw(&self) -> &Bytes {
        self.raw.get_or_init(|| match &self.data.body {
            Err(bytes) => bytes.clone(),
            Ok(_) => Bytes::from_owner(SharedData(Arc::clone(&self.data))),
        })
    }

    /// Deserialises `d` into `T`.
    ///
    /// # Errors
    /// The JSON error when `d` does not match `T`.
    pub fn deserialize<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        match self.parse_text(serde_json::from_str) {
            Some(result) => result,
            None => serde_json::from_slice(self.as_bytes()),
        }
    }

    /// Runs a parser of a whole JSON text on `d`; `None` for bytes given to
    /// [`new`](Self::new) that are not UTF-8.
    ///
    /// The quickest way to parse a dispatch the shard made. Its text may
    /// run on past `d` over further members of the payload (the shard
    /// bounds `d` by the `op`, `s` and `t` members after it and does not
    /// walk `d`'s brackets; Discord sends no other members): `parse` first
    /// sees that text, and only when it fails, the exact `d`. `parse` must
    /// therefore refuse trailing characters after the value, as
    /// `serde_json::from_str` does. [`text`](Self::text) is always the
    /// exact `d`, found on first use.
    ///
    /// ```
    /// use acord_core_gateway::Dispatch;
    /// let dispatch = Dispatch::from_text("MESSAGE_CREATE", 1, r#"{"content":"ping"}"#);
    /// let message: serde_json::Value = dispatch.parse_text(serde_json::from_str).unwrap()?;
    /// assert_eq!(message["content"], "ping");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn parse_text<'a, T, E>(
        &'a self,
        parse: impl Fn(&'a str) -> Result<T, E>,
    ) -> Option<Result<T, E>> {
        let body = self.data.body.as_deref().ok()?;
        if !self.data.unchecked {
            return Some(parse(body));
        }
        Some(parse(body).or_else(|error| match self.text() {
            Some(exact) if exact.len() < body.len() => parse(exact),
            _ => Err(error),
        }))
    }

    /// The bytes this dispatch holds (its text may run on past `d`; see
    /// [`parse_text`](Self::parse_text)), without finding `d`'s exact end.
    #[cfg(feature = "runtime")]
    pub(crate) fn held_len(&self) -> usize {
        match &self.data.body {
            Ok(text) => text.len(),
            Err(bytes) => bytes.len(),
        }
    }

    /// Attaches the shard's backlog charge, released with the last copy of
    /// the data. A dispatch is charged once, right after the connection
    /// made it, while it has no other copy.
    #[cfg(feature = "runtime")]
    pub(crate) fn charge(mut self, charge: crate::shard::Charge) -> Self {
        if let Some(data) = Arc::get_mut(&mut self.data) {
            data.charge = Some(charge);
        } else {
            // shared already (a caller's clone): charge a copy of the text
            let body = match &self.data.body {
                Ok(text) => Ok(text.clone()),
                Err(bytes) => Err(bytes.clone()),
            };
            let mut data = Data::new(body, self.data.unchecked);
            data.charge = Some(charge);
            self.data = Arc::new(data);
            self.raw = OnceLock::new();
        }
        self
    }
}

impl PartialEq for Dispatch {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.seq == other.seq && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Dispatch {}

impl fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch")
            .field("name", &self.name)
            .field("seq", &self.seq)
            .field("bytes", &self.as_bytes().len())
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
        let text = r#"{"t":"X","s":1,"op":0,"d":{"a":[1,2,{"b":"c\"}]"}]}}"#;
        // the quick scan reads Discord's usual payloads (no fallback)
        assert!(scan::envelope(text, false).is_some());
        let env = Envelope::parse(text).unwrap();
        let d = env.data().unwrap();
        // the raw value points into the input buffer
        let start = d.as_ptr() as usize - text.as_ptr() as usize;
        assert_eq!(&text[start..start + d.len()], d);
        assert_eq!(d, r#"{"a":[1,2,{"b":"c\"}]"}]}"#);
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
        assert_eq!(env.data().unwrap(), "false");
    }

    #[test]
    fn escaped_event_names_still_parse() {
        let env = Envelope::parse(r#"{"op":0,"s":2,"t":"A\u0042C","d":{}}"#).unwrap();
        assert_eq!(env.event_name(), Some("ABC"));
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            // quotes, backslashes, brackets and non-ASCII inside strings
            "[a-z\\\\\"{}\\[\\],: é☃\\n\\u{1F600}]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z\\\\\"]{0,4}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Wherever the quick scan answers, it answers what serde does:
        /// the same `op`, `s` and `t`, and `d` as the same slice of text.
        #[test]
        fn the_quick_scan_agrees_with_serde(
            op in 0u64..300,
            s in proptest::option::of(0u64..u64::MAX),
            t in proptest::option::of("[A-Z_\\\\\"]{1,12}"),
            d in json_value(),
            extra in json_value(),
            order in proptest::collection::vec(0usize..5, 5),
            pretty in proptest::bool::ANY,
        ) {
            let mut fields: Vec<(&str, serde_json::Value)> = vec![
                ("op", op.into()),
                ("s", s.map_or(serde_json::Value::Null, serde_json::Value::from)),
                ("t", t.map_or(serde_json::Value::Null, serde_json::Value::from)),
                ("d", d),
                ("extra", extra),
            ];
            // a permutation of the fields, from the random keys
            let mut keyed: Vec<(usize, (&str, serde_json::Value))> =
                order.into_iter().zip(fields.drain(..)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            let object: serde_json::Map<String, serde_json::Value> =
                keyed.into_iter().map(|(_, (k, v))| (k.to_owned(), v)).collect();
            let text = if pretty {
                serde_json::to_string_pretty(&object).unwrap()
            } else {
                serde_json::to_string(&object).unwrap()
            };
            let serde: Result<SerdeEnvelope<'_>, _> = serde_json::from_str(&text);
            if let Some(quick) = scan::envelope(&text, false) {
                let serde = serde.expect("the quick scan accepted what serde refuses");
                proptest::prop_assert_eq!(quick.op, serde.op);
                proptest::prop_assert_eq!(quick.s, serde.s);
                proptest::prop_assert_eq!(
                    quick.t.as_ref().map(|t| t.0.as_ref()),
                    serde.t.as_ref().map(|t| t.0.as_ref())
                );
                proptest::prop_assert_eq!(quick.d, serde.d.map(RawValue::get));
            }
            // and the public parse (scan, else serde) never disagrees either
            match (Envelope::parse(&text), serde_json::from_str::<SerdeEnvelope<'_>>(&text)) {
                (Ok(env), Ok(serde)) => proptest::prop_assert_eq!(env.d, serde.d.map(RawValue::get)),
                (Err(_), Err(_)) => {}
                (a, b) => proptest::prop_assert!(false, "parse {:?} vs serde {:?}", a.is_ok(), b.is_ok()),
            }
            // nor the dispatch path, which may leave `d` unchecked
            match (Envelope::parse_dispatch(&text), serde_json::from_str::<SerdeEnvelope<'_>>(&text)) {
                (Ok(env), Ok(serde)) => {
                    let exact = serde.d.map(RawValue::get);
                    proptest::prop_assert_eq!((env.op, env.s), (serde.op, serde.s));
                    proptest::prop_assert_eq!(env.event_name(), serde.t.as_ref().map(|t| &*t.0));
                    proptest::prop_assert_eq!(env.data(), exact);
                    let (found, unchecked) = env.data_unchecked();
                    if let (Some(found), Some(exact)) = (found, exact) {
                        // `d`, then nothing or the further members
                        let rest = found.strip_prefix(exact).unwrap_or("?").trim_start();
                        proptest::prop_assert!(rest.is_empty() || (unchecked && rest.starts_with(',')), "{found:?}");
                        if unchecked {
                            check_unchecked_dispatch(found, exact)?;
                        }
                    }
                }
                (Err(_), Err(_)) => {}
                (a, b) => proptest::prop_assert!(false, "dispatch {:?} vs serde {:?}", a.is_ok(), b.is_ok()),
            }
        }

        /// The block scan finds the end of any object or array, whatever
        /// its alignment to the 64-byte blocks, long strings included.
        #[test]
        fn the_block_scan_finds_the_end_of_any_container(
            items in proptest::collection::vec(json_value(), 0..40),
            lead in 0usize..70,
            pretty in proptest::bool::ANY,
        ) {
            let value = serde_json::Value::Array(items);
            let json = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            let text = format!("{}{json},\"after\":[1]}}", " ".repeat(lead));
            proptest::prop_assert_eq!(
                blocks::container_end(text.as_bytes(), lead),
                Some(lead + json.len())
            );
        }

        /// Any text: no panic.
        #[test]
        fn the_quick_scan_never_panics(text in "\\PC{0,64}") {
            let _ = scan::envelope(&text, false);
            let _ = scan::envelope(&text, true);
            let _ = Envelope::parse(&text);
        }
    }

    /// A dispatch made from `found` (`d`, maybe followed by further
    /// members) reads as `exact` does, through every accessor.
    fn check_unchecked_dispatch(
        found: &str,
        exact: &str,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let dispatch = Dispatch::from_unchecked_text("X".into(), 1, found.into());
        let value = |text| serde_json::from_str::<serde_json::Value>(text);
        let want = value(exact).map_err(|e| e.to_string());
        proptest::prop_assert_eq!(
            dispatch
                .parse_text(value)
                .map(|r| r.map_err(|e| e.to_string())),
            Some(want.clone())
        );
        proptest::prop_assert_eq!(
            dispatch
                .deserialize::<serde_json::Value>()
                .map_err(|e| e.to_string()),
            want
        );
        proptest::prop_assert_eq!(dispatch.text(), Some(exact));
        proptest::prop_assert_eq!(dispatch.as_bytes(), exact.as_bytes());
        proptest::prop_assert_eq!(&dispatch.raw()[..], exact.as_bytes());
        Ok(())
    }

    #[test]
    fn the_dispatch_path_bounds_d_by_the_members_after_it() {
        // Discord's order and the fake's (serde_json's sorted keys), pretty
        // printed too: `d` found without walking its brackets
        for text in [
            r#"{"t":"X","s":1,"op":0,"d":{"a":[1,"]}"]}}"#,
            r#"{"d":{"a":[1,"]}"]},"op":0,"s":1,"t":"X"}"#,
            "{\n  \"d\": {\"a\": [1, \"]}\"]} ,\n  \"op\": 0,\n  \"s\": 1,\n  \"t\": \"X\"\n}\n",
            r#"{"s":1,"d":{"a":[1,"]}"]},"t":"X","op":0}"#,
        ] {
            let env = Envelope::parse_dispatch(text).unwrap();
            assert_eq!(
                (env.op(), env.seq(), env.event_name()),
                (0, Some(1), Some("X"))
            );
            let exact = Envelope::parse(text).unwrap().data();
            assert_eq!(env.data_unchecked(), (exact, true), "{text}");
        }
        // a missing member, a duplicate, an escape in the tail, a string
        // `d`: the brackets are walked as by `parse`
        for text in [
            r#"{"d":{"a":1},"op":0,"s":1}"#,
            r#"{"op":0,"d":{"a":1},"op":0,"s":1,"t":"X"}"#,
            r#"{"d":{"a":1},"op":0,"s":1,"t":"\u0058"}"#,
            r#"{"d":"{}","op":0,"s":1,"t":"X"}"#,
        ] {
            let checked = Envelope::parse_dispatch(text).map(|e| e.data_unchecked());
            assert!(matches!(checked, Ok((_, false)) | Err(_)), "{text}");
        }
    }

    #[test]
    fn a_further_member_after_d_stays_out_of_it() {
        let text = r#"{"d":{"a":1},"extra":{"x":[1]},"op":0,"s":7,"t":"X"}"#;
        let env = Envelope::parse_dispatch(text).unwrap();
        let (found, unchecked) = env.data_unchecked();
        assert_eq!(found, Some(r#"{"a":1},"extra":{"x":[1]}"#));
        assert!(unchecked);
        assert_eq!(env.data(), Some(r#"{"a":1}"#));
        check_unchecked_dispatch(found.unwrap(), r#"{"a":1}"#).unwrap();
    }

    #[test]
    fn what_follows_an_unchecked_d_must_be_further_members() {
        for text in [
            // not members
            r#"{"d":{"a":1} x,"op":0,"s":7,"t":"X"}"#,
            r#"{"d":{"a":1},"x" 1,"op":0,"s":7,"t":"X"}"#,
            // a second `s` or `d`, even escaped
            r#"{"d":{"a":1},"s":{"b":2},"op":0,"s":7,"t":"X"}"#,
            r#"{"d":{"a":1},"\u0064":[2],"op":0,"s":7,"t":"X"}"#,
        ] {
            assert!(Envelope::parse(text).is_err(), "{text}");
            // refused at once, or `d` is not trimmed to `{"a":1}`: the text
            // is no JSON value, and reading it is an error
            let Ok(env) = Envelope::parse_dispatch(text) else {
                continue;
            };
            let (found, unchecked) = env.data_unchecked();
            assert!(unchecked, "{text}");
            assert_eq!(env.data(), found, "{text}");
            let dispatch = Dispatch::from_unchecked_text("X".into(), 7, found.unwrap().into());
            assert!(
                dispatch.deserialize::<serde_json::Value>().is_err(),
                "{text}"
            );
        }
        // an escaped key that is not one of the four is a further member
        let text = r#"{"d":{"a":1},"\u0078":[2],"op":0,"s":7,"t":"X"}"#;
        let env = Envelope::parse_dispatch(text).unwrap();
        assert_eq!(env.data(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn an_unchecked_d_that_is_not_json_is_an_error_when_read() {
        let text = r#"{"d":{"a":[1},"op":0,"s":7,"t":"X"}"#;
        let env = Envelope::parse_dispatch(text).unwrap();
        let (found, unchecked) = env.data_unchecked();
        assert!(unchecked);
        let dispatch = Dispatch::from_unchecked_text("X".into(), 7, found.unwrap().into());
        assert!(dispatch.deserialize::<serde_json::Value>().is_err());
        // the brackets never close: all of it is `d`
        assert_eq!(dispatch.text(), Some(r#"{"a":[1}"#));
        // `parse` refuses it outright, as serde does
        assert!(Envelope::parse(text).is_err());
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
            assert!(Envelope::parse_dispatch(bad).is_err(), "{bad:?}");
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
        assert_eq!(c.as_bytes().as_ptr(), d.as_bytes().as_ptr());
        assert_eq!(c.raw().as_ptr(), d.as_bytes().as_ptr());
        assert_eq!(c.as_str(), "{\"x\":1}");
        let v: serde_json::Value = c.deserialize().unwrap();
        assert_eq!(v["x"], 1);
        assert!(format!("{d:?}").contains("MESSAGE_CREATE"));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept_as_given() {
        let d = Dispatch::new("X", 1, Bytes::from_static(b"{\"a\":\"\xff\"}"));
        assert_eq!(d.text(), None);
        assert_eq!(d.as_str(), "");
        assert_eq!(d.as_bytes(), b"{\"a\":\"\xff\"}");
        assert_eq!(&d.raw()[..], d.as_bytes());
        assert!(d.deserialize::<serde_json::Value>().is_err());
        let t = Dispatch::from_text("X", 2, String::from("[1]"));
        assert_eq!((t.text(), t.raw().as_ref()), (Some("[1]"), &b"[1]"[..]));
    }
}
