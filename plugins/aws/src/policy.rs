//! IAM policy documents as AWS Config records them.
//!
//! IAM documents in configuration items (`policyVersionList[].document`,
//! `assumeRolePolicyDocument`, `rolePolicyList[].policyDocument`, …) are URL-encoded JSON
//! strings; S3 `BucketPolicy.policyText` is a plain JSON string; re-exports sometimes inline the
//! document as an object. [`decode`] turns any of these into JSON text and [`PolicyDocument`]
//! reads its statements, where `Statement` is one object or a list and `Action`, `Resource` and
//! `Principal` are each a string or a list.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use demarc_sdk::json::{OneOrMany, Text};

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The JSON text of a policy document held in `raw`: an inline object, a JSON string, or a
/// URL-encoded JSON string. `Ok(None)` for `null` and empty strings.
pub fn decode(raw: &RawValue) -> Result<Option<Cow<'_, str>>, PolicyError> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'{') => Ok(Some(Cow::Borrowed(text))),
        Some(b'n') => Ok(None),
        Some(b'"') => {
            let Text(s) = serde_json::from_str::<Text<'_>>(text)
                .map_err(|e| PolicyError(format!("not a JSON string: {e}")))?;
            match s {
                None => Ok(None),
                Some(s) => decode_text(s),
            }
        }
        _ => Err(PolicyError(
            "expected a policy document (an object or a string)".to_string(),
        )),
    }
}

/// The JSON text of a policy document given as a string that may be URL-encoded.
pub fn decode_text(s: Cow<'_, str>) -> Result<Option<Cow<'_, str>>, PolicyError> {
    let trimmed = s.trim_start();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.starts_with('{') {
        return Ok(Some(s));
    }
    if trimmed.starts_with('%') {
        // Form-style encoders write spaces as '+'; a literal '+' is always encoded as %2B.
        let spaced = trimmed.replace('+', " ");
        let decoded = percent_decode_str(&spaced)
            .decode_utf8()
            .map_err(|e| PolicyError(format!("URL-encoded document is not UTF-8: {e}")))?;
        if decoded.trim_start().starts_with('{') {
            return Ok(Some(Cow::Owned(decoded.into_owned())));
        }
    }
    Err(PolicyError(
        "the document is neither JSON nor URL-encoded JSON".to_string(),
    ))
}

demarc_sdk::spelled_struct! {
    /// A policy document: its statements.
    #[derive(Debug)]
    pub struct PolicyDocument<'a> {
        /// `Statement`: one object or a list of them.
        pub statements: Statements<'a> = ["Statement", "statement"],
    }
}

impl<'a> PolicyDocument<'a> {
    /// Parse the JSON text of a document.
    pub fn parse(text: &'a str) -> Result<Self, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError(format!("not a policy document: {e}")))
    }
}

/// The statements of a document.
#[derive(Debug, Default)]
pub struct Statements<'a>(pub Vec<Statement<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Statements<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Statements<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a statement or a list of statements")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let one = Statement::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Statements(vec![one]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Statement<'de>>()? {
                    out.push(s);
                }
                Ok(Statements(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Statements::default())
            }
        }
        d.deserialize_any(V)
    }
}

demarc_sdk::spelled_struct! {
    /// One statement.
    #[derive(Debug)]
    pub struct Statement<'a> {
        /// `Sid`.
        pub sid: Text<'a> = ["Sid", "sid"],
        /// `Effect`: `Allow` or `Deny`.
        pub effect: Text<'a> = ["Effect", "effect"],
        /// `Principal`.
        pub principal: Option<Principal<'a>> = ["Principal", "principal"],
        /// `Action`.
        pub action: OneOrMany<'a> = ["Action", "action"],
        /// `Resource`.
        pub resource: OneOrMany<'a> = ["Resource", "resource"],
        /// `Condition`, kept raw; parsed by [`Statement::conditions`].
        pub condition: Option<&'a RawValue> = ["Condition", "condition"],
    }
}

/// One condition of a statement: operator, key and values, e.g. `Bool`,
/// `aws:SecureTransport`, `["false"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Operator, e.g. `Bool`, `StringEquals`.
    pub operator: String,
    /// Condition key, e.g. `aws:SecureTransport`.
    pub key: String,
    /// Values as text.
    pub values: Vec<String>,
}

impl Statement<'_> {
    /// Whether the statement allows.
    pub fn is_allow(&self) -> bool {
        self.effect.eq_ignore_case("Allow")
    }

    /// Whether the statement denies.
    pub fn is_deny(&self) -> bool {
        self.effect.eq_ignore_case("Deny")
    }

    /// Whether the statement has a non-empty `Condition`.
    pub fn has_condition(&self) -> bool {
        self.condition.is_some_and(|raw| {
            let t = raw.get().trim();
            !(t == "null" || t.chars().all(|c| c == '{' || c == '}' || c.is_whitespace()))
        })
    }

    /// Whether the principal is everyone: `"*"`, `{"AWS": "*"}` or an `AWS` list containing `*`.
    pub fn principal_is_public(&self) -> bool {
        self.principal.as_ref().is_some_and(Principal::is_public)
    }

    /// Whether `Action` grants every action (`*` or `*:*`).
    pub fn allows_all_actions(&self) -> bool {
        self.action.contains("*") || self.action.contains("*:*")
    }

    /// Whether `Resource` is every resource (`*`).
    pub fn on_all_resources(&self) -> bool {
        self.resource.contains("*")
    }

    /// The statement's conditions; unreadable conditions read as none.
    pub fn conditions(&self) -> Vec<Condition> {
        let Some(raw) = self.condition else {
            return Vec::new();
        };
        let Ok(map) =
            serde_json::from_str::<BTreeMap<String, BTreeMap<String, OneOrMany<'_>>>>(raw.get())
        else {
            return Vec::new();
        };
        map.into_iter()
            .flat_map(|(operator, keys)| {
                keys.into_iter().map(move |(key, values)| Condition {
                    operator: operator.clone(),
                    key,
                    values: values.0.into_iter().map(Cow::into_owned).collect(),
                })
            })
            .collect()
    }
}

/// `Principal`: `"*"` or an object of principal type → one or many ids.
#[derive(Debug, Default)]
pub struct Principal<'a> {
    /// The principal was the string `*` (everyone).
    pub everyone: bool,
    /// `AWS` principals (accounts, roles, users, `*`).
    pub aws: OneOrMany<'a>,
    /// Other principal types (`Service`, `Federated`, `CanonicalUser`) as type and ids.
    pub other: Vec<(Cow<'a, str>, OneOrMany<'a>)>,
}

impl Principal<'_> {
    /// Whether the principal is everyone.
    pub fn is_public(&self) -> bool {
        self.everyone || self.aws.contains("*")
    }

    /// The principal as text, for evidence.
    pub fn describe(&self) -> String {
        if self.everyone {
            return "*".to_string();
        }
        let mut parts = Vec::new();
        if !self.aws.0.is_empty() {
            parts.push(format!("AWS: {}", self.aws.joined()));
        }
        for (kind, ids) in &self.other {
            parts.push(format!("{kind}: {}", ids.joined()));
        }
        parts.join("; ")
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Principal<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Principal<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a principal (\"*\" or an object)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Principal {
                    everyone: v.trim() == "*",
                    ..Principal::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut p = Principal::default();
                while let Some(Text(kind)) = map.next_key::<Text<'de>>()? {
                    let ids: OneOrMany<'de> = map.next_value()?;
                    match kind {
                        Some(k) if k.eq_ignore_ascii_case("AWS") => p.aws.0.extend(ids.0),
                        Some(k) => p.other.push((k, ids)),
                        None => {}
                    }
                }
                Ok(p)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                // Not a valid shape, but read `["*"]` as everyone rather than failing.
                let ids = OneOrMany::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Principal {
                    everyone: ids.contains("*"),
                    ..Principal::default()
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Principal::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> &RawValue {
        serde_json::from_str(json).unwrap()
    }

    const ADMIN_ENCODED: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";

    #[test]
    fn decodes_url_encoded_plain_and_inline_documents() {
        let encoded = format!("\"{ADMIN_ENCODED}\"");
        let text = decode(raw(&encoded)).unwrap().unwrap();
        let doc = PolicyDocument::parse(&text).unwrap();
        assert_eq!(doc.statements.0.len(), 1);
        assert!(doc.statements.0[0].allows_all_actions());
        assert!(doc.statements.0[0].on_all_resources());

        let plain =
            r#""{\"Statement\":{\"Effect\":\"Deny\",\"Action\":[\"s3:*\"],\"Resource\":\"*\"}}""#;
        let text = decode(raw(plain)).unwrap().unwrap();
        let doc = PolicyDocument::parse(&text).unwrap();
        assert!(doc.statements.0[0].is_deny());

        let inline = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let text = decode(raw(inline)).unwrap().unwrap();
        assert!(matches!(text, Cow::Borrowed(_)));
        assert!(decode(raw("null")).unwrap().is_none());
        assert!(decode(raw("\"\"")).unwrap().is_none());
        assert!(decode(raw("\"garbage\"")).is_err());
        assert!(decode(raw("42")).is_err());
    }

    #[test]
    fn plus_signs_in_form_encoding_are_spaces() {
        let text = decode_text(Cow::Borrowed("%7B%22Statement%22%3A+%5B%5D%7D"))
            .unwrap()
            .unwrap();
        assert_eq!(text, "{\"Statement\": []}");
    }

    #[test]
    fn principals_in_every_shape() {
        for (json, public) in [
            (r#"{"Effect":"Allow","Principal":"*"}"#, true),
            (r#"{"Effect":"Allow","Principal":{"AWS":"*"}}"#, true),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]}}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}"#,
                false,
            ),
            (r#"{"Effect":"Allow"}"#, false),
        ] {
            let s: Statement<'_> = serde_json::from_str(json).unwrap();
            assert_eq!(s.principal_is_public(), public, "{json}");
        }
        let s: Statement<'_> =
            serde_json::from_str(r#"{"Principal":{"Service":["a","b"],"AWS":"1"}}"#).unwrap();
        assert_eq!(s.principal.unwrap().describe(), "AWS: 1; Service: a, b");
    }

    #[test]
    fn conditions_are_read_and_empty_ones_ignored() {
        let s: Statement<'_> = serde_json::from_str(
            r#"{"Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"k":["a","b"]}}}"#,
        )
        .unwrap();
        assert!(s.has_condition());
        let c = s.conditions();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].operator, "Bool");
        assert_eq!(c[0].values, vec!["false"]);
        let s: Statement<'_> = serde_json::from_str(r#"{"Condition":{}}"#).unwrap();
        assert!(!s.has_condition());
        let s: Statement<'_> =
            serde_json::from_str(r#"{"Condition":{"Bool":{"aws:SecureTransport":false}}}"#)
                .unwrap();
        assert_eq!(s.conditions()[0].values, vec!["false"]);
    }

    #[test]
    fn every_spelling_of_a_document_at_once() {
        demarc_sdk::assert_every_spelling!(
            Statement<'_>,
            r#"{"Sid":"s","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#
        );
        demarc_sdk::assert_every_spelling!(
            PolicyDocument<'_>,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        );
    }
}
