//! Property-test strategies for plugin authors: arbitrary JSON values, exports in every layout
//! the streaming reader accepts (a bare array, a wrapper object, NDJSON) with the byte offset of
//! each item, and damage to apply to them. With them a plugin's tests can state properties such
//! as "any JSON export reaches the JSON reader" or "no damaged input panics the scan".
//!
//! Enabled by the `proptest` feature (use it from `[dev-dependencies]`).

use proptest::prelude::*;
use serde_json::Value;

/// Keys that wrap the item array of common exports; generated objects use them as keys too, so
/// that a reader looking for one meets it where it must not stop.
pub const WRAPPER_KEYS: [&str; 5] = ["configurationItems", "data", "assets", "value", "Findings"];

/// Any JSON value, with strings that need escaping (quotes, backslashes, control characters,
/// non-ASCII) and keys that include the common wrapper keys.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[\"\\\\{}\\[\\],:\n\t\u{1}é𝄞]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        "[a-zA-Z_]{1,8}",
                        prop::sample::select(&WRAPPER_KEYS[..]).prop_map(String::from),
                        "\\PC{0,6}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// An item of an export: a top-level item is an object in the wrapped and NDJSON layouts (as
/// in every cloud export); any value in a bare array.
pub fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-zA-Z]{1,10}", value()), 0..6)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

/// The layout of a generated export.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A bare array of items.
    Array,
    /// An object holding the items under a key, with other fields before and after.
    Wrapped,
    /// One object per line.
    Ndjson,
}

/// Whitespace between tokens of the outer layout.
pub fn ws() -> impl Strategy<Value = String> {
    "[ \t\r\n]{0,3}"
}

/// A generated export and where each of its items starts (byte offsets).
#[derive(Debug, Clone)]
pub struct Export {
    /// The file's bytes.
    pub text: Vec<u8>,
    /// Its items, as `serde_json` reads them back.
    pub items: Vec<Value>,
    /// Byte offset where each item starts.
    pub starts: Vec<usize>,
}

/// An export in any layout whose wrapper object (when it has one) holds the items under `key`.
pub fn export(key: &'static str) -> impl Strategy<Value = Export> {
    (
        prop_oneof![
            Just(Shape::Array),
            Just(Shape::Wrapped),
            Just(Shape::Ndjson)
        ],
        any::<bool>(),
        prop::collection::vec((object(), value(), any::<bool>(), ws()), 0..8),
        ws(),
        prop::collection::vec(("[a-z]{1,6}", value()), 0..3),
    )
        .prop_map(move |(shape, bom, entries, lead, fields)| {
            let mut text = Vec::new();
            if bom {
                text.extend_from_slice(b"\xEF\xBB\xBF");
            }
            text.extend_from_slice(lead.as_bytes());
            let field_text = |fields: &[(String, Value)]| {
                fields
                    .iter()
                    .filter(|(k, _)| k != key)
                    .map(|(k, v)| format!("{}:{},", Value::from(k.as_str()), v))
                    .collect::<String>()
            };
            match shape {
                Shape::Array => text.push(b'['),
                Shape::Wrapped => {
                    text.extend_from_slice(b"{");
                    text.extend_from_slice(field_text(&fields).as_bytes());
                    text.extend_from_slice(format!("{} : [", Value::from(key)).as_bytes());
                }
                Shape::Ndjson => {}
            }
            let mut items: Vec<Value> = Vec::new();
            let mut starts = Vec::new();
            for (i, (obj, any_value, pretty, gap)) in entries.into_iter().enumerate() {
                let item = match shape {
                    Shape::Array => any_value,
                    Shape::Wrapped | Shape::Ndjson => obj,
                };
                if i > 0 {
                    match shape {
                        Shape::Array | Shape::Wrapped => text.push(b','),
                        Shape::Ndjson => text.push(b'\n'),
                    }
                }
                text.extend_from_slice(gap.as_bytes());
                starts.push(text.len());
                let rendered = if pretty {
                    serde_json::to_vec_pretty(&item)
                } else {
                    serde_json::to_vec(&item)
                }
                .expect("a Value serializes");
                text.extend_from_slice(&rendered);
                // What the text says, which is not always the generated value to the last bit:
                // serde_json's float parsing does not round-trip every f64.
                items.push(
                    serde_json::from_slice(&rendered).expect("serde_json reads its own output"),
                );
            }
            match shape {
                Shape::Array => text.extend_from_slice(b"\n]\n"),
                Shape::Wrapped => {
                    text.extend_from_slice(b"],");
                    text.extend_from_slice(field_text(&fields).as_bytes());
                    text.extend_from_slice(b"\"fileVersion\":\"1.0\"}\n");
                }
                Shape::Ndjson => text.push(b'\n'),
            }
            // An NDJSON export of no line, or whose first line holds the wrapper key, is not
            // one: keep the generator to exports that are what they say.
            if matches!(shape, Shape::Ndjson)
                && items.first().is_none_or(|first| first.get(key).is_some())
            {
                items.clear();
                starts.clear();
                text = b"[]".to_vec();
            }
            Export {
                text,
                items,
                starts,
            }
        })
}

/// A change to an export: overwrite, delete or insert a byte, or cut the file short.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Overwrite the byte at (index modulo length).
    Set(usize, u8),
    /// Delete the byte at (index modulo length).
    Delete(usize),
    /// Insert a byte before (index modulo length + 1).
    Insert(usize, u8),
    /// Cut the file at (index modulo length + 1).
    Truncate(usize),
}

/// One mutation, biased to the bytes that matter to a JSON scanner.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to the scanner, and some that do not.
    let byte = prop_oneof![
        prop::sample::select(b"{}[]\",:\\ \n\r\t0-e.nu/".to_vec()),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Apply `mutations` in order.
pub fn mutate(mut text: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = text.len();
        match *m {
            Mutation::Set(i, b) if len > 0 => text[i % len] = b,
            Mutation::Delete(i) if len > 0 => {
                text.remove(i % len);
            }
            Mutation::Insert(i, b) => text.insert(i % (len + 1), b),
            Mutation::Truncate(i) => text.truncate(i % (len + 1)),
            _ => {}
        }
    }
    text
}

/// The properties every format sniffer must have, each checked on 512 generated cases:
///
/// - any JSON export with `key` as its wrapper's array key, in every layout and after a byte
///   order mark and blanks, reaches the JSON reader (`reads_json(&sniff(text))`);
/// - a damaged export that `serde_json` still reads as a JSON object or array reaches it too;
/// - a leading byte order mark and blanks never change the verdict, on any bytes.
///
/// Cases for which `fingerprinted(text)` holds (the text holds a fingerprint the sniffer acts
/// on, e.g. another cloud's field name) are left out of the first two. Panics with the failing
/// case.
pub fn assert_sniffer<S: PartialEq + std::fmt::Debug>(
    key: &'static str,
    sniff: impl Fn(&[u8]) -> S,
    reads_json: impl Fn(&S) -> bool,
    fingerprinted: impl Fn(&[u8]) -> bool,
) {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let lead = (any::<bool>(), "[ \t\r\n]{0,4}").prop_map(|(bom, ws)| {
        let mut lead = if bom { BOM.to_vec() } else { Vec::new() };
        lead.extend_from_slice(ws.as_bytes());
        lead
    });
    let config = Config {
        cases: 512,
        max_global_rejects: 1 << 16,
        failure_persistence: None,
        ..Config::default()
    };
    let json = |text: &[u8]| -> Result<(), TestCaseError> {
        if fingerprinted(text) {
            return Err(TestCaseError::reject("holds a fingerprint"));
        }
        let verdict = sniff(text);
        prop_assert!(
            reads_json(&verdict),
            "{verdict:?} for {:?}",
            String::from_utf8_lossy(text)
        );
        Ok(())
    };
    TestRunner::new(config.clone())
        .run(&(export(key), lead.clone()), |(export, lead)| {
            // One byte order mark at most, before the blanks, as a real file has it.
            let mut text = lead;
            text.extend_from_slice(export.text.strip_prefix(BOM).unwrap_or(&export.text));
            json(&text)
        })
        .unwrap();
    TestRunner::new(config.clone())
        .run(
            &(export(key), prop::collection::vec(mutation(), 1..4)),
            |(export, mutations)| {
                let text = mutate(export.text, &mutations);
                let body = text.strip_prefix(BOM).unwrap_or(&text);
                match serde_json::from_slice::<Value>(body) {
                    Ok(v) if v.is_object() || v.is_array() => json(&text),
                    _ => Ok(()),
                }
            },
        )
        .unwrap();
    TestRunner::new(config)
        .run(
            &(lead, prop::collection::vec(any::<u8>(), 0..96)),
            |(lead, body)| {
                if body.starts_with(BOM) || body.first().is_some_and(u8::is_ascii_whitespace) {
                    return Err(TestCaseError::reject("leads with a blank"));
                }
                let mut text = lead;
                text.extend_from_slice(&body);
                prop_assert_eq!(sniff(&text), sniff(&body));
                Ok(())
            },
        )
        .unwrap();
}

#[cfg(test)]
mod sniffer_tests {
    use super::*;

    #[test]
    fn a_sniffer_that_reads_json_passes() {
        assert_sniffer(
            "data",
            |head: &[u8]| {
                let body = crate::formats::body(head);
                !body.starts_with(b"PK")
            },
            |json| *json,
            |_| false,
        );
    }

    #[test]
    #[should_panic]
    fn a_sniffer_that_refuses_arrays_is_caught() {
        assert_sniffer(
            "data",
            |head: &[u8]| crate::formats::body(head).first() != Some(&b'['),
            |json| *json,
            |_| false,
        );
    }

    #[test]
    #[should_panic]
    fn a_sniffer_that_sees_leading_blanks_is_caught() {
        assert_sniffer(
            "data",
            |head: &[u8]| head.first() == Some(&b' '),
            |_| true,
            |_| false,
        );
    }
}
