//! Lenient readers for the JSON value shapes cloud exports really use, without building
//! `serde_json::Value` trees.
//!
//! Exports spell the same thing several ways depending on the cloud, the type, the item version
//! and whether the item came from a delivered snapshot or an API: booleans as `true`, `"true"`
//! or `"Enabled"`, numbers as `7` or `"7"`, one string or a list of strings, `null` where a list
//! or object is expected, and whole documents either inline or as a JSON string holding the
//! document. The types here accept every spelling, borrow from the input whenever the text has
//! no escapes, and never fail on a scalar of an unexpected type: they read it as absent, so one
//! odd field does not lose the rest of a resource. A [`FieldError`] keeps the slice of the item
//! that failed, so the scan driver can point at its line and column in the file.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Consume and discard the rest of a map.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consume and discard the rest of a sequence.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

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
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.get()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(other))
    }

    /// The text for evidence: the value, or `(absent)`.
    pub fn shown(&self) -> &str {
        self.get().unwrap_or("(absent)")
    }

    /// An owned copy, for state kept past the input it was read from.
    pub fn into_owned(self) -> Text<'static> {
        Text(self.0.map(|c| Cow::Owned(c.into_owned())))
    }

    /// A text value, for tests and defaults.
    pub fn from_static(s: &'static str) -> Text<'static> {
        Text(Some(Cow::Borrowed(s)))
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
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq)?;
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Interpret export text as a boolean: `true`/`false` in any case, `1`/`0`, `yes`/`no`,
/// `enabled`/`disabled`.
pub fn text_to_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    for t in ["true", "1", "yes", "enabled"] {
        if s.eq_ignore_ascii_case(t) {
            return Some(true);
        }
    }
    for f in ["false", "0", "no", "disabled"] {
        if s.eq_ignore_ascii_case(f) {
            return Some(false);
        }
    }
    None
}

/// A boolean that may arrive as `true`, `"true"`, `"TRUE"`, `1`, `"1"` or `"Enabled"`; anything else
/// (including `null` and absence) is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl Flag {
    /// True only when the value is present and true.
    pub fn is_true(self) -> bool {
        self.0 == Some(true)
    }

    /// False only when the value is present and false.
    pub fn is_false(self) -> bool {
        self.0 == Some(false)
    }

    /// The value as the evidence shows it.
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

/// An integer that may arrive as a number or a string; anything else is `None`.
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

/// One scalar or a list of scalars (IAM `Action`, `Resource`, `Principal.AWS`, condition
/// values), read as text. Objects, arrays and `null` inside the list are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOrMany<'a>(pub Vec<Cow<'a, str>>);

impl OneOrMany<'_> {
    /// Whether any element equals `value` exactly.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v.trim() == value)
    }

    /// The elements joined for evidence.
    pub fn joined(&self) -> String {
        self.0.join(", ")
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for OneOrMany<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Owned(v)]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(item)) = seq.next_element::<Text<'de>>()? {
                    if let Some(item) = item {
                        out.push(item);
                    }
                }
                Ok(OneOrMany(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(OneOrMany::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                })]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![Cow::Owned(v.to_string())]))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list that may be `null`, absent, or a single object instead of a list; elements that do not
/// fit `T` are an error (they are real structure, not a spelling variant), and so is a scalar
/// where the list should be (use [`LooseList`] for exports that write one element bare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

/// A [`List`] that also reads a single scalar as a one-element list: Azure Resource Graph writes
/// `sourceAddressPrefixes: "*"` as well as `["*"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseList<T>(pub Vec<T>);

macro_rules! list_methods {
    ($list:ident) => {
        impl<T> Default for $list<T> {
            fn default() -> Self {
                $list(Vec::new())
            }
        }

        impl<T> $list<T> {
            /// The elements.
            pub fn iter(&self) -> std::slice::Iter<'_, T> {
                self.0.iter()
            }

            /// Whether the list has no elements.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Number of elements.
            pub fn len(&self) -> usize {
                self.0.len()
            }
        }
    };
}
list_methods!(List);
list_methods!(LooseList);

/// Reads a list in every spelling [`List`] accepts, and with `SCALAR` a bare scalar as one
/// element.
struct ListVisitor<T, const SCALAR: bool>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>, const SCALAR: bool> Visitor<'de> for ListVisitor<T, SCALAR> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<T>()? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(vec![T::deserialize(
            de::value::MapAccessDeserializer::new(map),
        )?])
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        if !SCALAR {
            return Err(E::invalid_type(de::Unexpected::Str(v), &self));
        }
        Ok(vec![T::deserialize(
            de::value::BorrowedStrDeserializer::new(v),
        )?])
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if !SCALAR {
            return Err(E::invalid_type(de::Unexpected::Str(v), &self));
        }
        Ok(vec![T::deserialize(de::value::StringDeserializer::new(
            v.to_string(),
        ))?])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor::<T, false>(std::marker::PhantomData))
            .map(List)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor::<T, true>(std::marker::PhantomData))
            .map(LooseList)
    }
}

/// An object that may be `null` (read as absent, like a missing field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    /// The object, if present.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Obj(Option::<T>::deserialize(d)?))
    }
}

/// Tags or labels: an object of key → value (ARM, Resource Graph, Google APIs), or a list of
/// `{key, value}` pairs (`Key`/`Value` and `name` are read too), as some re-exports write them.
/// A scalar reads as no tags; a pair without a key is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl Tags<'_> {
    /// Key/value pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The first pair whose key is one of `keys` (ASCII case-insensitive) with a non-empty value.
    pub fn find_any(&self, keys: &[&str]) -> Option<(&str, &str)> {
        self.iter().find(|(k, v)| {
            !v.trim().is_empty() && keys.iter().any(|want| k.trim().eq_ignore_ascii_case(want))
        })
    }

    /// Whether there is no pair at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An owned copy, for state kept past the input it was read from.
    pub fn into_owned(self) -> Tags<'static> {
        Tags(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Tags<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::spelled_struct! {
            struct Pair<'a> {
                key: Text<'a> = ["key", "Key", "name"],
                value: Text<'a> = ["value", "Value"],
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("tags as an object or a list of {key, value}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((Text(k), Text(v))) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    if let Some(k) = k {
                        out.push((k, v.unwrap_or(Cow::Borrowed(""))));
                    }
                }
                Ok(Tags(out))
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
                Ok(Tags(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Tags::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// For envelope deserializers: read the next map value into `slot` unless an earlier spelling
/// of the field already filled it (then the value is skipped, never a duplicate-field error).
pub fn first_text<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Text<'de>,
) -> Result<(), A::Error> {
    if slot.0.is_some() {
        map.next_value::<IgnoredAny>()?;
    } else {
        *slot = map.next_value()?;
    }
    Ok(())
}

/// As [`first_text`], for a raw document (`null` reads as absent).
pub fn first_raw<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Option<&'de RawValue>,
) -> Result<(), A::Error> {
    if slot.is_some() {
        map.next_value::<IgnoredAny>()?;
    } else {
        let value: &'de RawValue = map.next_value()?;
        *slot = (value.get() != "null").then_some(value);
    }
    Ok(())
}

/// A document that may be inline JSON or a JSON string holding the document text (AWS Config
/// API items, for one, carry `configuration` and every `supplementaryConfiguration` entry as
/// strings).
#[derive(Debug, Clone, Copy)]
pub struct Embedded<'a>(pub &'a RawValue);

impl<'a> Embedded<'a> {
    /// The document's JSON text, or `None` for `null` and empty strings.
    pub fn text(&self) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
        let raw = self.0.get();
        match raw.as_bytes().first() {
            Some(b'"') => {
                let Text(s) = serde_json::from_str::<Text<'a>>(raw)?;
                Ok(s.filter(|s| !s.trim().is_empty()))
            }
            Some(b'n') => Ok(None),
            _ => Ok(Some(Cow::Borrowed(raw))),
        }
    }
}

/// A JSON error located in a slice of an item (`at` is the slice that failed to parse), so the
/// driver can point at the failing field's position in the file.
#[derive(Debug)]
pub struct FieldError<'a> {
    /// The text that failed to parse; a sub-slice of the item when the document was inline.
    pub at: &'a str,
    /// What went wrong.
    pub error: serde_json::Error,
    /// The item field that held the document, e.g. `configuration` or `properties`.
    pub field: &'static str,
}

/// Parse an inline-or-string document of an item into `T`. Documents held in a string are
/// decoded into `buf` first; `None` when the field is absent or `null`.
pub fn parse_embedded<'a, 'b, T: Deserialize<'b>>(
    raw: Option<&'a RawValue>,
    field: &'static str,
    buf: &'b mut Option<String>,
) -> Result<Option<T>, FieldError<'a>>
where
    'a: 'b,
{
    let Some(raw) = raw else { return Ok(None) };
    let at = raw.get();
    let text = Embedded(raw)
        .text()
        .map_err(|error| FieldError { at, error, field })?;
    let text: &'b str = match text {
        None => return Ok(None),
        Some(Cow::Borrowed(s)) => s,
        Some(Cow::Owned(s)) => buf.insert(s).as_str(),
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| FieldError { at, error, field })
}

/// Parse a raw JSON part of an item (a sub-slice of its text, e.g. `resource.data`) into `T`;
/// `None` when absent or `null`. The error keeps the slice, so it can be located in the file.
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
        #[serde(default, borrow)]
        m: OneOrMany<'a>,
        #[serde(default)]
        l: List<u32>,
    }

    #[test]
    fn flags_in_every_spelling() {
        for (json, want) in [
            (r#"{"f":true}"#, Some(true)),
            (r#"{"f":"TRUE"}"#, Some(true)),
            (r#"{"f":"True"}"#, Some(true)),
            (r#"{"f":"Enabled"}"#, Some(true)),
            (r#"{"f":"disabled"}"#, Some(false)),
            (r#"{"f":"false"}"#, Some(false)),
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
    fn numbers_as_strings_and_text_borrowing() {
        let s: S<'_> = serde_json::from_str(r#"{"n":"7","t":"plain"}"#).unwrap();
        assert_eq!(s.n.0, Some(7));
        assert!(matches!(s.t.0, Some(Cow::Borrowed("plain"))));
        let s: S<'_> = serde_json::from_str(r#"{"n":7.0,"t":"a\"b"}"#).unwrap();
        assert_eq!(s.n.0, Some(7));
        assert_eq!(s.t.get(), Some("a\"b"));
        let s: S<'_> = serde_json::from_str(r#"{"t":42}"#).unwrap();
        assert_eq!(s.t.get(), Some("42"));
    }

    #[test]
    fn one_or_many_and_lists() {
        let s: S<'_> = serde_json::from_str(r#"{"m":"*","l":null}"#).unwrap();
        assert!(s.m.contains("*"));
        assert!(s.l.is_empty());
        let s: S<'_> = serde_json::from_str(r#"{"m":["s3:Get*",{},"*"],"l":[1,2]}"#).unwrap();
        assert_eq!(s.m.0.len(), 2);
        assert_eq!(s.l.0, vec![1, 2]);
        // A bare scalar is damage to a strict list, one element of a loose one.
        assert!(serde_json::from_str::<S<'_>>(r#"{"l":"7"}"#).is_err());
        assert!(serde_json::from_str::<S<'_>>(r#"{"l":7}"#).is_err());
        #[derive(Deserialize)]
        struct L<'a> {
            #[serde(default, borrow)]
            l: LooseList<Text<'a>>,
        }
        let l: L<'_> = serde_json::from_str(r#"{"l":"*"}"#).unwrap();
        assert_eq!(l.l.0[0].get(), Some("*"));
        let l: L<'_> = serde_json::from_str(r#"{"l":["a","b\"c"]}"#).unwrap();
        assert_eq!(
            l.l.iter().filter_map(Text::get).collect::<Vec<_>>(),
            ["a", "b\"c"]
        );
        let l: L<'_> = serde_json::from_str(r#"{"l":null}"#).unwrap();
        assert!(l.l.is_empty());
        let l: L<'_> = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(l.l.len(), 0);
    }

    #[test]
    fn tags_as_an_object_or_pairs_in_any_spelling_and_scalars_as_none() {
        #[derive(Deserialize)]
        struct T<'a> {
            #[serde(borrow, default)]
            tags: Tags<'a>,
        }
        let t: T<'_> = serde_json::from_str(r#"{"tags":{"Owner":"ops","n":3,"e":null}}"#).unwrap();
        assert_eq!(t.tags.find_any(&["owner"]), Some(("Owner", "ops")));
        assert_eq!(
            t.tags.iter().collect::<Vec<_>>(),
            [("Owner", "ops"), ("n", "3"), ("e", "")]
        );
        let t: T<'_> = serde_json::from_str(
            r#"{"tags":[{"key":"team","value":"data"},{"Key":"env","Value":"prod"},{"name":"x"},{"value":"lost"},null]}"#,
        )
        .unwrap();
        assert_eq!(t.tags.find_any(&["TEAM"]), Some(("team", "data")));
        assert_eq!(t.tags.find_any(&["env"]), Some(("env", "prod")));
        assert_eq!(t.tags.0.len(), 3, "a pair without a key is dropped");
        for scalar in ["\"x\"", "true", "7", "null"] {
            let text = format!(r#"{{"tags":{scalar}}}"#);
            let one: T<'_> = serde_json::from_str(&text).unwrap();
            assert!(one.tags.is_empty(), "{scalar}");
        }
        assert!(t.tags.into_owned().find_any(&["team"]).is_some());
    }

    #[test]
    fn parts_parse_or_keep_the_failing_text() {
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
        assert_eq!((err.field, err.at), ("resource.data", r#"{"a":"no"}"#));
    }

    #[test]
    fn embedded_documents_inline_or_as_strings() {
        #[derive(Debug, Deserialize)]
        struct Doc {
            a: u32,
        }
        let inline: &RawValue = serde_json::from_str(r#"{"a":1}"#).unwrap();
        let mut buf = None;
        let d: Doc = parse_embedded(Some(inline), "x", &mut buf)
            .unwrap()
            .unwrap();
        assert_eq!(d.a, 1);

        let string: &RawValue = serde_json::from_str(r#""{\"a\":2}""#).unwrap();
        let mut buf = None;
        let d: Doc = parse_embedded(Some(string), "x", &mut buf)
            .unwrap()
            .unwrap();
        assert_eq!(d.a, 2);

        let null: &RawValue = serde_json::from_str("null").unwrap();
        let mut buf = None;
        assert!(
            parse_embedded::<Doc>(Some(null), "x", &mut buf)
                .unwrap()
                .is_none()
        );

        let bad: &RawValue = serde_json::from_str(r#""{not json""#).unwrap();
        let mut buf = None;
        let err = parse_embedded::<Doc>(Some(bad), "x", &mut buf).unwrap_err();
        assert_eq!(err.field, "x");
    }
}
