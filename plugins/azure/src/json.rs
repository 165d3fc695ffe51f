//! The JSON value shapes only Azure exports use; the lenient readers every export needs
//! (`Text`, `Flag`, `Int`, `Obj`) are the SDK's ([`demarc_sdk::json`]).
//!
//! Resource Graph and ARM spell the same thing several ways: booleans as `true` or `"true"`,
//! numbers as `7` or `"7"`, `null` where a list or object is expected, and enum values in any
//! case (`Enabled`, `enabled`). The types here accept every spelling, borrow from the input
//! whenever the text has no escapes, and read a value of an unexpected type as absent, so one
//! odd field does not lose the rest of a resource.

pub use demarc_sdk::json::{Flag, Int, Obj, Text, text_to_bool};

/// A list that may be `null`, absent, a single object instead of a list, or a single scalar
/// (`sourceAddressPrefixes: "*"`).
pub use demarc_sdk::json::LooseList as List;

/// Tags, as the SDK reads them (an object, or a list of `{key, value}` pairs).
pub use demarc_sdk::json::Tags as TagSet;

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
    use std::borrow::Cow;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct S<'a> {
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
