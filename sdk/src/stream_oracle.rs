//! The reference behaviour of [`JsonItems`](super::JsonItems), stated with `serde_json`: what
//! items a whole-document parse finds in an input, and whether the streaming reader agrees.
//!
//! Shared by the property tests (`stream_props.rs`) and the fuzz target (`fuzz/`), which include
//! this file as a child module of a scope where `JsonItems` is in reach as `super::JsonItems`.

use serde_json::Value;

/// What the streaming reader made of an input: every item parsed as a `Value`, or the first
/// error (of the scan or of an item's parse). Positions of the items ride along.
pub fn streamed(input: &[u8], key: &str, chunk: u64) -> Result<Vec<(Value, u64, u64)>, String> {
    let mut items = super::JsonItems::new(input, key).chunk_size(chunk);
    let mut out = Vec::new();
    while let Some(next) = items.next() {
        let item = next.map_err(|e| format!("stream: {e}"))?;
        let value: Value = item.parse().map_err(|e| format!("item: {e}"))?;
        out.push((value, item.line, item.column));
    }
    Ok(out)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The items a whole-document `serde_json` parse finds, under the layouts the reader accepts:
/// a bare array; an object whose `key` holds the array (and nothing after the object); or a
/// sequence of values whose first is an object without `key` (where, stricter than
/// `serde_json`'s stream, a bare scalar ends at whitespace). `None` when the input is not such a
/// document.
pub fn expected(input: &[u8], key: &str) -> Option<Vec<Value>> {
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let first = body.iter().copied().find(|b| !is_ws(*b))?;
    match first {
        b'[' => match serde_json::from_slice::<Value>(body).ok()? {
            Value::Array(items) => Some(items),
            _ => None,
        },
        b'{' => {
            let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
            let mut values = Vec::new();
            while let Some(value) = stream.next() {
                let value = value.ok()?;
                // serde_json reads `0{}` as two values; the reader, like NDJSON, wants a
                // number, `true`, `false` or `null` to end at whitespace or the end.
                let next = body.get(stream.byte_offset()).copied();
                let bare = matches!(value, Value::Number(_) | Value::Bool(_) | Value::Null);
                if bare && next.is_some_and(|b| !is_ws(b)) {
                    return None;
                }
                values.push(value);
            }
            let Some(Value::Object(head)) = values.first() else {
                return None;
            };
            match head.get(key) {
                Some(Value::Array(items)) if values.len() == 1 => Some(items.clone()),
                Some(_) => None,
                None => Some(values),
            }
        }
        _ => None,
    }
}

/// Panics when the streaming reader and `serde_json` disagree on `input`: one accepts what the
/// other refuses, or both accept and the items differ.
pub fn agree(input: &[u8], key: &str, chunk: u64) {
    let got = streamed(input, key, chunk);
    let want = expected(input, key);
    match (&got, &want) {
        (Ok(got), Some(want)) => {
            let got: Vec<&Value> = got.iter().map(|(v, _, _)| v).collect();
            let want: Vec<&Value> = want.iter().collect();
            assert_eq!(
                got,
                want,
                "items differ for {:?} (chunk {chunk})",
                String::from_utf8_lossy(input)
            );
        }
        (Err(_), None) => {}
        (Ok(items), None) => panic!(
            "the reader accepted {} items of {:?} (chunk {chunk}), which serde_json refuses",
            items.len(),
            String::from_utf8_lossy(input)
        ),
        (Err(e), Some(_)) => panic!(
            "the reader refused {:?} (chunk {chunk}), which serde_json accepts: {e}",
            String::from_utf8_lossy(input)
        ),
    }
}
