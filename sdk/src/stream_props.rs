//! Property tests of the chunked item scanner against `serde_json`: on generated exports in
//! every layout (with pretty and compact items, odd whitespace, a BOM, and chunks as small as one
//! byte) the reader yields exactly the items a whole-document parse finds, at the right line and
//! column; on mutated exports it never panics and accepts exactly what `serde_json` accepts.

use proptest::prelude::*;
use serde_json::Value;

use super::JsonItems;
use crate::arbitrary::{export, mutate, mutation};

#[path = "stream_oracle.rs"]
mod oracle;

const KEY: &str = "configurationItems";

/// 1-based line and byte column of `offset` in `text`.
fn position(text: &[u8], offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, (offset - line_start) as u64 + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every item of a well-formed export, in every layout and at every chunk size, is found
    /// whole, in order, at the position where it starts.
    #[test]
    fn finds_what_serde_json_finds(export in export(KEY), chunk in 1u64..48) {
        let got = oracle::streamed(&export.text, KEY, chunk)
            .map_err(|e| TestCaseError::fail(format!("{e} in {:?}", String::from_utf8_lossy(&export.text))))?;
        let values: Vec<&Value> = got.iter().map(|(v, _, _)| v).collect();
        prop_assert_eq!(values, export.items.iter().collect::<Vec<_>>());
        prop_assert_eq!(oracle::expected(&export.text, KEY), Some(export.items.clone()));
        for ((_, line, column), start) in got.iter().zip(&export.starts) {
            prop_assert_eq!((*line, *column), position(&export.text, *start));
        }
    }

    /// A damaged export never panics the reader, and it accepts exactly what `serde_json`
    /// accepts (a damaged item is an error, never a silently different item).
    #[test]
    fn agrees_with_serde_json_on_damaged_exports(
        export in export(KEY),
        mutations in prop::collection::vec(mutation(), 1..4),
        chunk in 1u64..48,
    ) {
        let text = mutate(export.text, &mutations);
        oracle::agree(&text, KEY, chunk);
    }

    /// Arbitrary bytes: no panic, and nothing accepted that `serde_json` refuses.
    #[test]
    fn agrees_with_serde_json_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        chunk in 1u64..16,
    ) {
        oracle::agree(&bytes, KEY, chunk);
    }

    /// The chunk size never changes what is read.
    #[test]
    fn chunk_size_is_invisible(
        export in export(KEY),
        mutations in prop::collection::vec(mutation(), 0..3),
        a in 1u64..64,
        b in 64u64..4096,
    ) {
        let text = mutate(export.text, &mutations);
        let small = oracle::streamed(&text, KEY, a);
        let large = oracle::streamed(&text, KEY, b);
        prop_assert_eq!(small.is_ok(), large.is_ok());
        if let (Ok(small), Ok(large)) = (small, large) {
            prop_assert_eq!(small, large);
        }
    }
}

#[test]
fn reader_keeps_its_chunk_size_at_least_one() {
    let mut items = JsonItems::new(&b"[1,2]"[..], KEY).chunk_size(0);
    assert_eq!(items.next().unwrap().unwrap().bytes, b"1");
    assert_eq!(items.next().unwrap().unwrap().bytes, b"2");
    assert!(items.next().is_none());
}
