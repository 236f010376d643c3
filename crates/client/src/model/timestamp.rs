//! ISO 8601 timestamps as Discord sends them
//! (`"2017-03-13T19:19:14.040000+00:00"`, discord-protocol.md §1.3).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant read from (or written as) an ISO 8601 string.
///
/// Stored in UTC with nanosecond resolution. The number of fractional digits
/// of the parsed text is remembered, so a timestamp read from Discord is
/// written back with the same precision; other offsets are normalised to UTC.
///
/// ```
/// use acord::model::Timestamp;
/// let ts: Timestamp = "2017-03-13T19:19:14.040000+00:00".parse().unwrap();
/// assert_eq!(ts.as_unix_micros(), 1_489_432_754_040_000);
/// assert_eq!(ts.to_string(), "2017-03-13T19:19:14.040000+00:00");
/// ```
#[derive(Clone, Copy)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
    digits: u8,
    zulu: bool,
}

impl Timestamp {
    /// Builds a timestamp from Unix microseconds (written with six
    /// fractional digits).
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self {
            secs: micros.div_euclid(1_000_000),
            nanos: (micros.rem_euclid(1_000_000) * 1000) as u32,
            digits: 6,
            zulu: false,
        }
    }

    /// Builds a timestamp from whole Unix seconds (written without a
    /// fraction).
    pub const fn from_unix_secs(secs: i64) -> Self {
        Self {
            secs,
            nanos: 0,
            digits: 0,
            zulu: false,
        }
    }

    /// Builds a timestamp from a [`SystemTime`] (microsecond precision).
    pub fn from_system_time(time: SystemTime) -> Self {
        let micros = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
        };
        Self::from_unix_micros(micros)
    }

    /// Seconds since the Unix epoch (floor).
    pub const fn as_unix_secs(self) -> i64 {
        self.secs
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_unix_micros(self) -> i64 {
        self.secs
            .saturating_mul(1_000_000)
            .saturating_add((self.nanos / 1000) as i64)
    }

    /// The sub-second part, in nanoseconds.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The instant as a [`SystemTime`]; `None` if the platform cannot
    /// represent it.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let whole = if self.secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(self.secs.unsigned_abs()))
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_secs(self.secs.unsigned_abs()))
        };
        whole?.checked_add(Duration::from_nanos(u64::from(self.nanos)))
    }

    /// Parses an ISO 8601 / RFC 3339 date-time with an offset (`Z` or
    /// `±HH:MM`) and an optional fraction of up to nine digits.
    ///
    /// # Errors
    ///
    /// [`TimestampParseError`] if the text is not such a date-time.
    pub fn parse(text: &str) -> Result<Self, TimestampParseError> {
        parse(text.as_bytes()).ok_or_else(|| TimestampParseError {
            input: text.chars().take(64).collect(),
        })
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        (self.secs, self.nanos) == (other.secs, other.nanos)
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.secs, self.nanos).hash(state);
    }
}

/// The text given to [`Timestamp::parse`] is not an ISO 8601 date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an ISO 8601 date-time like 2017-03-13T19:19:14.040000+00:00")]
pub struct TimestampParseError {
    input: String,
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The value of two ASCII digits.
#[inline(always)]
fn two(hi: u8, lo: u8) -> Option<u32> {
    let (hi, lo) = (hi.wrapping_sub(b'0'), lo.wrapping_sub(b'0'));
    if hi > 9 || lo > 9 {
        return None;
    }
    Some(u32::from(hi) * 10 + u32::from(lo))
}

/// `10^(9 - n)`: nanoseconds per unit of an `n`-digit fraction.
const NANOS_PER_UNIT: [u32; 10] = [
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// Every timestamp of every event goes through here (each member's
/// `joined_at`, each message's `timestamp`): Discord's two usual shapes
/// word by word, anything else by [`parse_any`].
fn parse(b: &[u8]) -> Option<Timestamp> {
    parse_discord(b).or_else(|| parse_any(b))
}

/// Eight bytes from `at` as a little-endian word (the caller checked the
/// length).
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Whether the bytes of `w` that `mask` selects (0xFF per byte) are ASCII
/// digits: high nibble 3, and adding 6 does not carry out of the low one.
#[inline(always)]
fn all_digits(w: u64, mask: u64) -> bool {
    let high = mask & 0xF0F0_F0F0_F0F0_F0F0;
    let three = mask & 0x3030_3030_3030_3030;
    let six = mask & 0x0606_0606_0606_0606;
    w & high == three && w.wrapping_add(six) & high == three
}

/// The two-digit value at bytes `i` and `i + 1` of a word whose bytes
/// there are digits.
#[inline(always)]
fn pair(w: u64, i: u32) -> u32 {
    let w = w >> (8 * i);
    ((w & 0xF) * 10 + ((w >> 8) & 0xF)) as u32
}

/// `2017-03-13T19:19:14.040000+00:00` (32 bytes) and
/// `2017-03-13T19:19:14+00:00` (25 bytes), the forms Discord writes, read
/// as three or four words: separators compared under a mask, digits
/// checked eight at a time. `None` for anything else, valid or not.
fn parse_discord(b: &[u8]) -> Option<Timestamp> {
    let fraction = match b.len() {
        32 => true,
        25 => false,
        _ => return None,
    };
    // "YYYY-MM-": '-' at bytes 4 and 7.
    let w0 = word(b, 0);
    // "DDTHH:MM": 'T' at byte 2, ':' at byte 5.
    let w1 = word(b, 8);
    // The last eight: "ff+00:00" or "SS+00:00".
    let tail = word(b, b.len() - 8);
    if w0 & 0xFF00_00FF_0000_0000 != 0x2D00_002D_0000_0000
        || w1 & 0x0000_FF00_00FF_0000 != 0x0000_3A00_0054_0000
        || tail & 0xFFFF_FFFF_FFFF_0000 != 0x3030_3A30_302B_0000
        || !all_digits(w0, 0x00FF_FF00_FFFF_FFFF)
        || !all_digits(w1, 0xFFFF_00FF_FF00_FFFF)
        || !all_digits(tail, 0xFFFF)
    {
        return None;
    }
    let (second, nanos, digits) = if fraction {
        // ":SS.ffff": ':' at byte 0, '.' at byte 3.
        let w2 = word(b, 16);
        if w2 & 0x0000_0000_FF00_00FF != 0x0000_0000_2E00_003A
            || !all_digits(w2, 0xFFFF_FFFF_00FF_FF00)
        {
            return None;
        }
        let micros = pair(w2, 4) * 10_000 + pair(w2, 6) * 100 + pair(tail, 0);
        (pair(w2, 1), micros * 1_000, 6)
    } else {
        if b[16] != b':' {
            return None;
        }
        (pair(tail, 0), 0, 0)
    };
    let year = pair(w0, 0) * 100 + pair(w0, 2);
    let (month, day) = (pair(w0, 5), pair(w1, 0));
    let (hour, minute) = (pair(w1, 3), pair(w1, 6));
    let year = i64::from(year);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Some(Timestamp {
        secs,
        nanos,
        digits,
        zulu: false,
    })
}

/// Any RFC 3339 date-time acord reads: `T`, `t` or a space between date
/// and time, 0 to 9 fractional digits, `Z` or an offset.
fn parse_any(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = i64::from(two(b[0], b[1])? * 100 + two(b[2], b[3])?);
    let month = two(b[5], b[6])?;
    let day = two(b[8], b[9])?;
    let hour = two(b[11], b[12])?;
    let minute = two(b[14], b[15])?;
    let second = two(b[17], b[18])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    let mut count = 0u8;
    if b[at] == b'.' {
        at += 1;
        let mut frac = 0u32;
        while let Some(d) = b.get(at).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            if count == 9 {
                return None;
            }
            frac = frac * 10 + u32::from(d);
            count += 1;
            at += 1;
        }
        if count == 0 {
            return None;
        }
        nanos = frac * NANOS_PER_UNIT[usize::from(count)];
    }
    let (offset, zulu) = match &b[at..] {
        [b'Z' | b'z'] => (0i64, true),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(two(*h1, *h2)?);
            let m = i64::from(two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            (if *sign == b'-' { -off } else { off }, false)
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset;
    Some(Timestamp {
        secs,
        nanos,
        digits: count,
        zulu,
    })
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )?;
        if self.digits > 0 {
            let digits = u32::from(self.digits);
            let frac = self.nanos / 10u32.pow(9 - digits);
            write!(f, ".{frac:0width$}", width = self.digits as usize)?;
        }
        f.write_str(if self.zulu { "Z" } else { "+00:00" })
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO 8601 date-time string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Timestamp::parse(v).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_discord_forms() {
        let ts = Timestamp::parse("2017-03-13T19:19:14.040000+00:00").unwrap();
        assert_eq!(ts.as_unix_secs(), 1_489_432_754);
        // Discord's two shapes take the word path.
        assert_eq!(parse_discord(b"2017-03-13T19:19:14.040000+00:00"), Some(ts));
        let whole = parse_discord(b"2017-03-13T19:19:14+00:00").unwrap();
        assert_eq!(whole.as_unix_secs(), 1_489_432_754);
        assert_eq!(whole.to_string(), "2017-03-13T19:19:14+00:00");
        assert_eq!(ts.subsec_nanos(), 40_000_000);
        let z = Timestamp::parse("2017-03-13T19:19:14.04Z").unwrap();
        assert_eq!(ts, z);
        assert_eq!(z.to_string(), "2017-03-13T19:19:14.04Z");
        let off = Timestamp::parse("2017-03-13T21:19:14.040+02:00").unwrap();
        assert_eq!(off, ts);
        assert_eq!(off.to_string(), "2017-03-13T19:19:14.040+00:00");
        let whole = Timestamp::parse("2015-01-01T00:00:00+00:00").unwrap();
        assert_eq!(whole.as_unix_micros(), 1_420_070_400_000_000);
        assert_eq!(whole.to_string(), "2015-01-01T00:00:00+00:00");
        assert_eq!(
            whole.to_system_time().unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_420_070_400)
        );
        // Extremes never panic; whether they fit a SystemTime is up to the
        // platform.
        for extreme in [i64::MIN, i64::MAX] {
            if let Some(t) = Timestamp::from_unix_secs(extreme).to_system_time() {
                assert_eq!(t < UNIX_EPOCH, extreme < 0);
            }
        }
        assert!(!Timestamp::from_unix_secs(i64::MIN).to_string().is_empty());
        let old = Timestamp::parse("1969-12-31T23:59:59.5+00:00").unwrap();
        assert_eq!(old.as_unix_micros(), -500_000);
        assert_eq!(old.to_string(), "1969-12-31T23:59:59.5+00:00");
    }

    #[test]
    fn fractions_of_every_length() {
        for n in 1..=9u32 {
            let frac: String = "123456789".chars().take(n as usize).collect();
            let text = format!("2017-03-13T19:19:14.{frac}+00:00");
            let ts = Timestamp::parse(&text).unwrap();
            let value: u32 = frac.parse().unwrap();
            assert_eq!(ts.subsec_nanos(), value * 10u32.pow(9 - n), "{text}");
            assert_eq!(ts.as_unix_secs(), 1_489_432_754);
            assert_eq!(ts.to_string(), text);
            let zulu = Timestamp::parse(&format!("2017-03-13T19:19:14.{frac}Z")).unwrap();
            assert_eq!(zulu, ts);
        }
        // Digits after the ninth, or a fraction cut off by the end.
        assert!(Timestamp::parse("2017-03-13T19:19:14.1234567891").is_err());
        assert!(Timestamp::parse("2017-03-13T19:19:14.123").is_err());
        assert!(Timestamp::parse("2017-03-13T19:19:14.").is_err());
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2017-03-13",
            "2017-13-13T19:19:14+00:00",
            "2017-02-30T19:19:14+00:00",
            "2017-03-13T25:19:14+00:00",
            "2017-03-13T19:19:14",
            "2017-03-13T19:19:14.+00:00",
            "2017-03-13T19:19:14.0000000000+00:00",
            "2017-03-13T19:19:14+0000",
            "２017-03-13T19:19:14+00:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }

    #[test]
    fn multibyte_text_is_an_error_not_a_panic() {
        // Multi-byte characters where the parser expects ASCII separators,
        // digits, fraction or offset: it works on bytes, so no slice can
        // fall inside a character.
        for bad in [
            "2017é03-13T19:19:14+00:00",
            "2017-03-13T19:19:1é+00:00",
            "2017-03-13T19:19:14.04é+00:00",
            "2017-03-13T19:19:14.040000+00:0é",
            "2017-03-13T19:19:14.040000€",
            "éééééééééééééééééééééé",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        // The error keeps at most 64 characters of a long, multi-byte input.
        let long = "日".repeat(100);
        let err = Timestamp::parse(&long).unwrap_err().to_string();
        assert_eq!(err.matches('日').count(), 64);
        let json = format!("\"{long}\"");
        assert!(serde_json::from_str::<Timestamp>(&json).is_err());
    }

    proptest! {
        /// Discord's shapes read word by word exactly as the general
        /// parser reads them (in range or not), and the word path never
        /// accepts what the general parser rejects.
        #[test]
        fn word_path_agrees_with_the_general_parser(
            date in (0u32..10_000, 0u32..14, 0u32..33),
            time in (0u32..25, 0u32..61, 0u32..62),
            micros in proptest::option::of(0u32..1_000_000),
            noise in "[0-9:+.T/ Z-]{25}|[0-9:+.T/ Z-]{32}",
        ) {
            let ((y, mo, d), (h, mi, se)) = (date, time);
            let fraction = micros.map(|m| format!(".{m:06}")).unwrap_or_default();
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}{fraction}+00:00");
            let fast = parse_discord(text.as_bytes());
            prop_assert_eq!(fast, parse_any(text.as_bytes()));
            if let Some(ts) = fast {
                prop_assert_eq!(fast.map(|t| t.digits), parse_any(text.as_bytes()).map(|t| t.digits));
                // A leap second (:60) is written as the next minute's :00.
                if &text[17..19] != "60" {
                    prop_assert_eq!(ts.to_string(), text);
                }
            }
            if let Some(ts) = parse_discord(noise.as_bytes()) {
                prop_assert_eq!(Some(ts), parse_any(noise.as_bytes()));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = Timestamp::parse(&text);
        }

        #[test]
        fn near_miss_text_never_panics(text in "[0-9:+.TZ-]{15,40}") {
            if let Ok(ts) = Timestamp::parse(&text) {
                prop_assert_eq!(Timestamp::parse(&ts.to_string()).unwrap(), ts);
            }
        }

        #[test]
        fn round_trip(micros in -2_000_000_000_000_000i64..8_000_000_000_000_000i64) {
            let ts = Timestamp::from_unix_micros(micros);
            let text = ts.to_string();
            let back: Timestamp = text.parse().unwrap();
            prop_assert_eq!(back.as_unix_micros(), micros);
            prop_assert_eq!(back.to_string(), text);
            let json = serde_json::to_string(&ts).unwrap();
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), ts);
        }
    }
}
