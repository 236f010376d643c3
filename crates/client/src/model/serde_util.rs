//! Small serde helpers shared by the model types.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// For `field?: ?T` where absent and `null` mean different things:
/// absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
/// Use with `#[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// For fields "typed null" whose presence means `true` (role tags):
/// any value, including `null`, reads as `true`; absent is `false` via
/// `#[serde(default)]`.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// Writes a presence flag back as `null`.
pub(crate) fn write_null<S: Serializer>(_: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

/// `skip_serializing_if` helper.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Reads a string or an integer into a string (fields Discord documents as
/// strings but has been seen sending as numbers).
pub(crate) fn string_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an integer")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A scalar a lenient field can be read from. A JSON value of another type
/// (or one out of range) reads as absent instead of failing the event.
///
/// For fields whose types Discord does not validate (the user object of
/// PRESENCE_UPDATE) or that games write through RPC (activity times and
/// party sizes). Every method defaults to "not this type".
pub(crate) trait LenientScalar: Sized {
    /// From a JSON string.
    fn from_json_str(_: &str) -> Option<Self> {
        None
    }
    /// From a non-negative JSON integer.
    fn from_json_u64(_: u64) -> Option<Self> {
        None
    }
    /// From a negative JSON integer.
    fn from_json_i64(_: i64) -> Option<Self> {
        None
    }
    /// From a JSON number with a fraction or an exponent.
    fn from_json_f64(_: f64) -> Option<Self> {
        None
    }
    /// From a JSON boolean.
    fn from_json_bool(_: bool) -> Option<Self> {
        None
    }
}

impl LenientScalar for String {
    fn from_json_str(v: &str) -> Option<Self> {
        Some(v.to_owned())
    }
}

impl LenientScalar for bool {
    fn from_json_bool(v: bool) -> Option<Self> {
        Some(v)
    }
}

/// Integers, decimal text (`"1507665886000"`) and whole non-negative floats
/// (`1.507665886e12`, truncated); negative or non-finite values are absent.
impl LenientScalar for u64 {
    fn from_json_str(v: &str) -> Option<Self> {
        v.parse().ok()
    }
    fn from_json_u64(v: u64) -> Option<Self> {
        Some(v)
    }
    fn from_json_f64(v: f64) -> Option<Self> {
        // Up to 2^64 (NaN and infinities are outside); `as` truncates the
        // fraction.
        (0.0..18_446_744_073_709_551_616.0)
            .contains(&v)
            .then_some(v as u64)
    }
}

struct LenientVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: LenientScalar> serde::de::Visitor<'de> for LenientVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(T::from_json_bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(match u64::try_from(v) {
            Ok(v) => T::from_json_u64(v),
            Err(_) => T::from_json_i64(v),
        })
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(T::from_json_u64(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(T::from_json_f64(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::from_json_str(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
}

/// Reads a [`LenientScalar`]; a value of any other type is `None`. Only
/// malformed JSON is an error. Use with `#[serde(default, deserialize_with =
/// "lenient")]` on an `Option<T>`.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: LenientScalar,
{
    d.deserialize_any(LenientVisitor(std::marker::PhantomData))
}

/// [`lenient`] for a non-`Option` field: a value of another type reads as
/// the default, like an absent one.
pub(crate) fn lenient_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: LenientScalar + Default,
{
    lenient(d).map(Option::unwrap_or_default)
}

/// A `[current, max]` pair of [`lenient`] integers (activity party size):
/// anything but an array of exactly two readable integers is `None`.
pub(crate) fn lenient_pair<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u64; 2]>, D::Error> {
    struct Element(Option<u64>);
    impl<'de> Deserialize<'de> for Element {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            lenient(d).map(Element)
        }
    }
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<[u64; 2]>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<Element>()?;
            let second = seq.next_element::<Element>()?;
            let mut extra = false;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                extra = true;
            }
            Ok(match (first, second) {
                (Some(Element(Some(now))), Some(Element(Some(max)))) if !extra => Some([now, max]),
                _ => None,
            })
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// An untyped JSON value kept verbatim (for genuinely untyped fields such as
/// audit-log change values or components of an unknown type).
///
/// Compares by its text.
///
/// Read by any serde deserializer: serde_json hands over the text as it
/// was; another (the SIMD parsers of `acord::event::JsonParser`) reads a
/// `serde_json::Value` that is written out again (compact).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<serde_json::value::RawValue>);

/// The newtype name serde_json's `RawValue` asks for: serde_json answers it
/// with a one-entry map (this name, the verbatim text).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawJson;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            // serde_json: the verbatim text behind the token.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawJson, A::Error> {
                match map.next_key::<std::borrow::Cow<'de, str>>()? {
                    Some(key) if key == RAW_VALUE_TOKEN => {
                        let text: String = map.next_value()?;
                        serde_json::value::RawValue::from_string(text)
                            .map(RawJson)
                            .map_err(A::Error::custom)
                    }
                    _ => Err(A::Error::custom("expected serde_json's raw value")),
                }
            }

            // Any other deserializer: the value, written out again.
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<RawJson, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                serde_json::value::to_raw_value(&value)
                    .map(RawJson)
                    .map_err(D::Error::custom)
            }
        }
        deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, RawVisitor)
    }
}

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the JSON into a type.
    ///
    /// # Errors
    ///
    /// The serde error if the JSON does not match `T`.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "lenient")]
        text: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "lenient_or_default")]
        number: u64,
        #[serde(default, deserialize_with = "lenient_pair")]
        pair: Option<[u64; 2]>,
    }

    fn read(json: &str) -> Fields {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn lenient_fields_read_their_type_and_skip_any_other() {
        let f = read(r#"{"text":"a","flag":true,"number":7,"pair":[1,2]}"#);
        assert_eq!(
            (f.text.as_deref(), f.flag, f.number, f.pair),
            (Some("a"), Some(true), 7, Some([1, 2]))
        );
        for odd in [
            "null",
            "1",
            "-1",
            "1.5",
            "\"x\"",
            "true",
            "[1,[2],{\"a\":[3]}]",
            "{\"a\":{\"b\":[1]}}",
        ] {
            let json =
                format!(r#"{{"text":{odd},"flag":{odd},"number":{odd},"pair":{odd},"after":1}}"#);
            let f = read(&json);
            assert!(f.text.is_none() || odd == "\"x\"", "{odd}");
            assert!(f.flag.is_none() || odd == "true", "{odd}");
            assert!(f.pair.is_none(), "{odd}");
            // only non-negative integers, their text and whole floats count
            let whole = if odd == "1" || odd == "1.5" { 1 } else { 0 };
            assert_eq!(f.number, whole, "{odd}");
        }
    }

    #[test]
    fn lenient_numbers_take_text_floats_and_full_width() {
        let f = read(r#"{"number":"18446744073709551615","pair":[" 1",2]}"#);
        assert_eq!(f.number, u64::MAX);
        assert_eq!(f.pair, None, "text with a space is not a number");
        let f = read(r#"{"number":1.5076658860e12,"pair":["3",5000000000]}"#);
        assert_eq!(f.number, 1_507_665_886_000);
        assert_eq!(f.pair, Some([3, 5_000_000_000]));
        for odd in ["1e30", "-0.5", "\"-3\"", "\"1.5\""] {
            assert_eq!(read(&format!(r#"{{"number":{odd}}}"#)).number, 0, "{odd}");
        }
        for odd in ["[1]", "[1,2,3]", "[1,-2]", "[]"] {
            assert_eq!(read(&format!(r#"{{"pair":{odd}}}"#)).pair, None, "{odd}");
        }
        // malformed JSON is still an error
        assert!(serde_json::from_str::<Fields>(r#"{"number":[1,}"#).is_err());
    }
}
