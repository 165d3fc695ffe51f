//! The JSON value shapes Azure exports really use, read without building `serde_json::Value`
//! trees.
//!
//! Resource Graph and ARM spell the same thing several ways: booleans as `true` or `"true"`,
//! numbers as `7` or `"7"`, `null` where a list or object is expected, and enum values in any
//! case (`Enabled`, `enabled`). The types here accept every spelling, borrow from the input
//! whenever the text has no escapes, and read a value of an unexpected type as absent, so one
//! odd field does not lose the rest of a resource.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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
    if ["true", "1", "yes", "enabled"]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t))
    {
        Some(true)
    } else if ["false", "0", "no", "disabled"]
        .iter()
        .any(|f| s.eq_ignore_ascii_case(f))
    {
        Some(false)
    } else {
        None
    }
}

/// A boolean that may arrive as `true`, `"true"`, `"True"`, `1` or `"Enabled"`; anything else
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

/// A list that may be `null`, absent, a single object instead of a list, or a single scalar
/// (`sourceAddressPrefixes: "*"`); elements that do not fit `T` are an error (they are real
/// structure, not a spelling variant).
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

    /// Whether the list has no elements.
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
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::BorrowedStrDeserializer::new(v))?;
                Ok(List(vec![one]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let one = T::deserialize(de::value::StringDeserializer::new(v.to_string()))?;
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

/// Tags: an object of key → value (ARM and Resource Graph), or a list of `{key, value}` objects
/// (some re-exports).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> TagSet<'a> {
    /// Key/value pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The first tag whose key is one of `keys` (ASCII case-insensitive) with a non-empty value.
    pub fn find_any(&self, keys: &[&str]) -> Option<(&str, &str)> {
        self.iter().find(|(k, v)| {
            !v.trim().is_empty() && keys.iter().any(|want| k.trim().eq_ignore_ascii_case(want))
        })
    }

    /// Whether there is no tag at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An owned copy, for state kept past the input it was read from.
    pub fn into_owned(self) -> TagSet<'static> {
        TagSet(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TagSet<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        demarc_sdk::spelled_struct! {
            struct Pair<'a> {
                key: Text<'a> = ["key", "Key", "name"],
                value: Text<'a> = ["value", "Value"],
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagSet<'de>;
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
                Ok(TagSet(out))
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
                Ok(TagSet(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(TagSet::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(TagSet::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(TagSet::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// The last `/`-separated segment of an Azure id, e.g. the GUID of a role definition id.
pub fn last_segment(id: &str) -> &str {
    id.trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
}

/// An Azure resource id in the form used as a join key: lowercased, no trailing `/`.
pub fn id_key(id: &str) -> String {
    id.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The parent resource id of a child resource id (`…/servers/s/firewallRules/r` → `…/servers/s`),
/// as a join key.
pub fn parent_key(id: &str) -> String {
    let key = id_key(id);
    let mut parts = key.rsplitn(3, '/');
    let _name = parts.next();
    let _kind = parts.next();
    parts.next().unwrap_or("").to_string()
}

/// The subscription id in an Azure resource id (`/subscriptions/{id}/…`), if any.
pub fn subscription_of(id: &str) -> Option<&str> {
    let mut parts = id.trim().trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some(s), Some(sub)) if s.eq_ignore_ascii_case("subscriptions") && !sub.is_empty() => {
            Some(sub)
        }
        _ => None,
    }
}

/// The management group in an id (`/providers/Microsoft.Management/managementGroups/{name}/…`),
/// if any.
pub fn management_group_of(id: &str) -> Option<&str> {
    let mut parts = id.trim().trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(ns), Some(mg), Some(name))
            if p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.Management")
                && mg.eq_ignore_ascii_case("managementGroups")
                && !name.is_empty() =>
        {
            Some(name)
        }
        _ => None,
    }
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
        s: List<Text<'a>>,
        #[serde(default, borrow)]
        tags: TagSet<'a>,
    }

    #[test]
    fn flags_in_every_spelling() {
        for (json, want) in [
            (r#"{"f":true}"#, Some(true)),
            (r#"{"f":"True"}"#, Some(true)),
            (r#"{"f":"Enabled"}"#, Some(true)),
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
    fn numbers_text_and_lists() {
        let s: S<'_> = serde_json::from_str(r#"{"n":"7","t":"plain","l":null}"#).unwrap();
        assert_eq!(s.n.0, Some(7));
        assert!(matches!(s.t.0, Some(Cow::Borrowed("plain"))));
        assert!(s.l.is_empty());
        let s: S<'_> = serde_json::from_str(r#"{"n":7.0,"t":"a\"b","l":[1,2],"s":"*"}"#).unwrap();
        assert_eq!(s.n.0, Some(7));
        assert_eq!(s.t.get(), Some("a\"b"));
        assert_eq!(s.l.0, vec![1, 2]);
        assert_eq!(s.s.0[0].get(), Some("*"));
        assert!(serde_json::from_str::<S<'_>>(r#"{"l":["x"]}"#).is_err());
    }

    #[test]
    fn tags_as_object_or_list() {
        let s: S<'_> = serde_json::from_str(r#"{"tags":{"Owner":"ops","empty":null}}"#).unwrap();
        assert_eq!(s.tags.find_any(&["owner"]), Some(("Owner", "ops")));
        assert_eq!(s.tags.0.len(), 2);
        let s: S<'_> = serde_json::from_str(r#"{"tags":[{"key":"team","value":"data"}]}"#).unwrap();
        assert_eq!(s.tags.find_any(&["TEAM"]), Some(("team", "data")));
        // Several spellings of one pair at once: read, not rejected as a duplicate field.
        let s: S<'_> = serde_json::from_str(
            r#"{"tags":[{"name":"team","Key":"team","key":"team","Value":"data","value":"data"}]}"#,
        )
        .unwrap();
        assert_eq!(s.tags.find_any(&["TEAM"]), Some(("team", "data")));
        let s: S<'_> = serde_json::from_str(r#"{"tags":null}"#).unwrap();
        assert!(s.tags.is_empty());
    }

    #[test]
    fn ids() {
        let id = "/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/firewallRules/AllowAll/";
        assert_eq!(last_segment(id), "AllowAll");
        assert_eq!(
            parent_key(id),
            "/subscriptions/1111/resourcegroups/rg/providers/microsoft.sql/servers/s1"
        );
        assert_eq!(subscription_of(id), Some("1111"));
        assert_eq!(subscription_of("/providers/Microsoft.Management/x"), None);
        assert_eq!(
            management_group_of(
                "/providers/Microsoft.Management/managementGroups/mg-1/providers/x"
            ),
            Some("mg-1")
        );
        assert_eq!(management_group_of(id), None);
        assert_eq!(
            last_segment(
                "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
            ),
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
        );
    }
}
