//! Serde helpers for the odd types real exports contain: booleans sent as strings (`"true"`,
//! `"TRUE"`), numbers sent as strings, and `null` where a list is expected.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A boolean that may arrive as `true`, `"true"`, `"TRUE"`, `"True"`, `1` or `"1"`; anything
/// else (including `null`) is `None`.
pub fn bool_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(as_bool(&Value::deserialize(d)?))
}

/// Interpret a JSON value as a boolean the way exports spell them.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "enabled" => Some(true),
            "false" | "0" | "no" | "disabled" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// An integer that may arrive as a number or a string; anything else is `None`.
pub fn i64_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A list that may be `null` or absent (both read as empty).
pub fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A value that may be a single item or a list of items (IAM `Action`, `Resource`).
pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_in_every_spelling() {
        assert_eq!(as_bool(&json!(true)), Some(true));
        assert_eq!(as_bool(&json!("TRUE")), Some(true));
        assert_eq!(as_bool(&json!("false")), Some(false));
        assert_eq!(as_bool(&json!(0)), Some(false));
        assert_eq!(as_bool(&json!(null)), None);
        assert_eq!(as_bool(&json!("maybe")), None);
    }

    #[test]
    fn one_or_many_reads_both_shapes() {
        #[derive(Deserialize)]
        struct S {
            #[serde(deserialize_with = "one_or_many")]
            a: Vec<String>,
        }
        let one: S = serde_json::from_str(r#"{"a":"s3:*"}"#).unwrap();
        let many: S = serde_json::from_str(r#"{"a":["s3:Get*","iam:*"]}"#).unwrap();
        assert_eq!(one.a, vec!["s3:*"]);
        assert_eq!(many.a.len(), 2);
    }
}
