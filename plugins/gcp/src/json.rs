//! The JSON value shapes Google Cloud exports really use, read without `serde_json::Value` trees;
//! the lenient readers every export needs are the SDK's ([`demarc_sdk::json`]), labels are here.
//!
//! Cloud Asset Inventory copies each service's REST resource into `resource.data`, so the same
//! fact arrives in several spellings: int64 fields as strings (`"retentionPeriod": "2592000"`),
//! metadata flags as `"TRUE"`/`"FALSE"` strings, booleans as booleans, lists that are `null`.
//! The types here accept every spelling, borrow from the input when the text has no escapes, and
//! read a scalar of an unexpected type as absent so that one odd field does not lose the rest of
//! an asset. Lists are stricter: a list field holding a scalar is real structural damage and is
//! reported (with its position) as a malformed asset.

pub use demarc_sdk::json::{FieldError, Flag, Int, List, Text, parse_part, text_to_bool};

/// Labels, as the SDK reads them (an object, or a list of `{key, value}` pairs).
pub use demarc_sdk::json::Tags as Labels;

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde::Deserialize;

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
}
