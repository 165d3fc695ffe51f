//! The JSON value shapes Google Cloud exports really use, read without `serde_json::Value` trees.
//!
//! Cloud Asset Inventory copies each service's REST resource into `resource.data`, so the same
//! fact arrives in several spellings: int64 fields as strings (`"retentionPeriod": "2592000"`),
//! metadata flags as `"TRUE"`/`"FALSE"` strings, booleans as booleans, lists that are `null`.
//! The types here accept every spelling, borrow from the input when the text has no escapes, and
//! read a scalar of an unexpected type as absent so that one odd field does not lose the rest of
//! an asset. Lists are stricter: a list field holding a scalar is real structural damage and is
//! reported (with its position) as a malformed asset.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A scalar read as text: strings (borrowed when unescaped), numbers and booleans rendered as
/// text. `null`, objects and arrays read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The text, if present.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The text if present and not empty after trimming.
    pub fn non_empty(&self) -> Option<&str> {
        self.get().map(str::trim).filter(|s| !s.is_empty())
    }

    /// Whether the text equals `other`, ignoring ASCII case and surrounding blanks.
    pub fn is(&self, other: &str) -> bool {
        self.get()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(other))
    }

    /// The text for evidence: the value, or `(absent)`.
    pub fn describe(&self) -> &str {
        self.get().unwrap_or("(absent)")
    }

    /// An owned copy.
    pub fn into_owned(self) -> Text<'static> {
        Text(self.0.map(|c| Cow::Owned(c.into_owned())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Interpret export text as a boolean: `true`/`false` in any case (GCE metadata writes `TRUE`),
/// `1`/`0`, `yes`/`no`, `on`/`off`, `enabled`/`disabled`.
pub fn text_to_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if ["true", "1", "yes", "on", "enabled"]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t))
    {
        Some(true)
    } else if ["false", "0", "no", "off", "disabled"]
        .iter()
        .any(|f| s.eq_ignore_ascii_case(f))
    {
        Some(false)
    } else {
        None
    }
}

/// A boolean in any spelling; anything else (including `null` and absence) is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl Flag {
    /// True only when present and true.
    pub fn is_true(self) -> bool {
        self.0 == Some(true)
    }

    /// The value as evidence shows it.
    pub fn describe(self) -> &'static str {
        match self.0 {
            Some(true) => "true",
            Some(false) => "false",
            None => "(absent)",
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(d)?;
        Ok(Flag(text.get().and_then(text_to_bool)))
    }
}

/// An integer sent as a number or (int64 fields of Google APIs) a string; anything else is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Int(pub Option<i64>);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(d)?;
        Ok(Int(text.get().and_then(|s| {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        })))
    }
}

/// A list that may be `null`, absent, or a single object instead of a list. A scalar where a
/// list belongs is an error: that is damaged structure, not a spelling variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> List<T> {
    /// The elements.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element::<T>()? {
                    out.push(item);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let one = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(List(vec![one]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Labels: an object of key → value as Google APIs write them (also accepted: a list of
/// `{key, value}` pairs, as some re-exports write them). Anything else reads as no labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl Labels<'_> {
    /// Key/value pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The first label whose key is one of `keys` (ASCII case-insensitive) with a non-empty
    /// value.
    pub fn find_any(&self, keys: &[&str]) -> Option<(&str, &str)> {
        self.iter().find(|(k, v)| {
            !v.trim().is_empty() && keys.iter().any(|want| k.trim().eq_ignore_ascii_case(want))
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Labels<'static> {
        Labels(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Pair<'a> {
            #[serde(borrow, default)]
            key: Text<'a>,
            #[serde(borrow, default)]
            value: Text<'a>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("labels as an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((Text(k), Text(v))) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    if let Some(k) = k {
                        out.push((k, v.unwrap_or(Cow::Borrowed(""))));
                    }
                }
                Ok(Labels(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = seq.next_element::<Option<Pair<'de>>>()? {
                    if let Some(Pair {
                        key: Text(Some(k)),
                        value: Text(v),
                    }) = pair
                    {
                        out.push((k, v.unwrap_or(Cow::Borrowed(""))));
                    }
                }
                Ok(Labels(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Labels::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON error in one part of an asset: `at` is the slice of the asset's text that failed to
/// parse, so the driver can point at the failing value's position in the file.
#[derive(Debug)]
pub struct FieldError<'a> {
    /// The text that failed to parse (a sub-slice of the asset's text).
    pub at: &'a str,
    /// What went wrong.
    pub error: serde_json::Error,
    /// The asset field that held it, e.g. `resource.data`.
    pub field: &'static str,
}

/// Parse a raw JSON part of an asset into `T`; `None` when absent or `null`.
pub fn parse_part<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    field: &'static str,
) -> Result<Option<T>, FieldError<'a>> {
    let Some(raw) = raw else { return Ok(None) };
    let at = raw.get();
    if at == "null" {
        return Ok(None);
    }
    serde_json::from_str(at)
        .map(Some)
        .map_err(|error| FieldError { at, error, field })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct S<'a> {
        #[serde(default)]
        f: Flag,
        #[serde(default)]
        n: Int,
        #[serde(default, borrow)]
        t: Text<'a>,
        #[serde(default)]
        l: List<u32>,
        #[serde(default, borrow)]
        labels: Labels<'a>,
    }

    #[test]
    fn flags_in_every_spelling_gce_metadata_uses() {
        for (json, want) in [
            (r#"{"f":true}"#, Some(true)),
            (r#"{"f":"TRUE"}"#, Some(true)),
            (r#"{"f":"False"}"#, Some(false)),
            (r#"{"f":"1"}"#, Some(true)),
            (r#"{"f":0}"#, Some(false)),
            (r#"{"f":null}"#, None),
            (r#"{"f":"maybe"}"#, None),
            (r#"{"f":{"x":1}}"#, None),
            (r#"{}"#, None),
        ] {
            let s: S<'_> = serde_json::from_str(json).unwrap();
            assert_eq!(s.f.0, want, "{json}");
        }
    }

    #[test]
    fn int64_as_strings_and_text_borrowing() {
        let s: S<'_> = serde_json::from_str(r#"{"n":"2592000","t":"plain"}"#).unwrap();
        assert_eq!(s.n.0, Some(2_592_000));
        assert!(matches!(s.t.0, Some(Cow::Borrowed("plain"))));
        let s: S<'_> = serde_json::from_str(r#"{"n":7.0,"t":"a\"b"}"#).unwrap();
        assert_eq!(s.n.0, Some(7));
        assert_eq!(s.t.get(), Some("a\"b"));
        let s: S<'_> = serde_json::from_str(r#"{"t":42,"n":"x"}"#).unwrap();
        assert_eq!(s.t.get(), Some("42"));
        assert_eq!(s.n.0, None);
    }

    #[test]
    fn lists_null_single_and_damaged() {
        let s: S<'_> = serde_json::from_str(r#"{"l":null}"#).unwrap();
        assert!(s.l.is_empty());
        let s: S<'_> = serde_json::from_str(r#"{"l":[1,2]}"#).unwrap();
        assert_eq!(s.l.0, vec![1, 2]);
        assert!(serde_json::from_str::<S<'_>>(r#"{"l":7}"#).is_err());
    }

    #[test]
    fn labels_as_object_or_pairs() {
        let s: S<'_> =
            serde_json::from_str(r#"{"labels":{"owner":"web","env":"prod","n":3}}"#).unwrap();
        assert_eq!(s.labels.find_any(&["OWNER"]), Some(("owner", "web")));
        assert_eq!(s.labels.0.len(), 3);
        let s: S<'_> =
            serde_json::from_str(r#"{"labels":[{"key":"team","value":"data"},null]}"#).unwrap();
        assert_eq!(s.labels.find_any(&["team"]), Some(("team", "data")));
        let s: S<'_> = serde_json::from_str(r#"{"labels":"x"}"#).unwrap();
        assert!(s.labels.0.is_empty());
    }

    #[test]
    fn parts_parse_or_point_at_the_failing_text() {
        #[derive(Debug, Deserialize)]
        struct Doc {
            #[allow(dead_code)]
            a: u32,
        }
        let raw: &RawValue = serde_json::from_str(r#"{"a":1}"#).unwrap();
        assert!(parse_part::<Doc>(Some(raw), "x").unwrap().is_some());
        let null: &RawValue = serde_json::from_str("null").unwrap();
        assert!(parse_part::<Doc>(Some(null), "x").unwrap().is_none());
        assert!(parse_part::<Doc>(None, "x").unwrap().is_none());
        let bad: &RawValue = serde_json::from_str(r#"{"a":"no"}"#).unwrap();
        let err = parse_part::<Doc>(Some(bad), "resource.data").unwrap_err();
        assert_eq!(err.field, "resource.data");
        assert_eq!(err.at, r#"{"a":"no"}"#);
    }
}
