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

/// An untyped JSON value kept verbatim (for genuinely untyped fields such as
/// audit-log change values or components of an unknown type).
///
/// Compares by its text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<serde_json::value::RawValue>);

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
