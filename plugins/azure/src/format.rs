//! Which export an input is, and what a file that is not one of ours looks like.
//!
//! The plugin reads one family of JSON: Azure resources, as
//! - the Resource Graph REST response `{totalRecords, count, resultTruncated, skipToken?,
//!   facets, data: [rows]}`,
//! - the Azure CLI's `az graph query` output `{count, data, skip_token, total_records}`, or, in
//!   older CLI versions, a bare array of rows,
//! - ARM resource objects: one object, a bare array, one object per line, or an ARM list
//!   response `{value: [...], nextLink}`.
//!
//! A declared format must be one of [`DECLARED`]; otherwise the first bytes rule out compressed
//! and CSV files, and the first item tells whether the JSON really is Azure resources.
//! [`describe_foreign`] names what a JSON file that is not looks like, so the error says "this is
//! an AWS Config snapshot", not just "no `type`".

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

use crate::resource::marks;

/// Declared format names the plugin accepts.
pub const DECLARED: [&str; 4] = [
    "azure-resource-graph",
    "azure-arm",
    "azure-resources",
    "azure",
];

/// Whether a declared format is one the plugin reads; `Err` names the ones it does.
pub fn declared(name: &str) -> Result<(), String> {
    if DECLARED.iter().any(|n| n.eq_ignore_ascii_case(name.trim())) {
        Ok(())
    } else {
        Err(format!(
            "declared format `{}` is not one the azure plugin reads ({})",
            name.trim(),
            DECLARED.join(", ")
        ))
    }
}

/// What the first bytes of a file rule out, in words; `None` when it may be JSON.
pub fn sniff(head: &[u8]) -> Option<String> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let body = body.trim_ascii_start();
    if body.starts_with(&[0x1f, 0x8b]) {
        return Some("a gzip-compressed file; decompress it first".to_string());
    }
    if body.starts_with(b"PK\x03\x04") {
        return Some("a zip archive; extract it first".to_string());
    }
    if matches!(body.first(), Some(b'{' | b'[') | None) {
        return None;
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or(body);
    if first_line.contains(&b',') {
        let header = String::from_utf8_lossy(&first_line[..first_line.len().min(80)])
            .trim()
            .to_string();
        if header.starts_with("user,arn") {
            return Some(
                "an AWS IAM credential report (CSV), which the aws plugin reads".to_string(),
            );
        }
        return Some(format!(
            "a CSV file (header `{header}`), not Azure Resource Graph or ARM JSON"
        ));
    }
    // Anything else goes to the JSON reader, which says where it stops being JSON.
    None
}

/// What the first item of a JSON file that is not Azure resources looks like, in words.
pub fn describe_foreign(first_item: &[u8], found: u8) -> String {
    if found & marks::AWS_SNAPSHOT != 0 {
        return "an AWS Config snapshot (`configurationItems`), which the aws plugin reads"
            .to_string();
    }
    if found & marks::AWS_ITEM != 0 {
        return "AWS Config configuration items (`resourceType`), which the aws plugin reads"
            .to_string();
    }
    if found & marks::GCP_ASSET != 0 {
        return "a Google Cloud Asset Inventory export (`name`, `asset_type`), which the gcp plugin reads".to_string();
    }
    if found & marks::OCSF != 0 {
        return "OCSF findings (e.g. a Prowler export), which an importer plugin reads".to_string();
    }
    if found & marks::TABLE != 0 {
        return "a Resource Graph result in table format (`columns`, `rows`); run the query with `resultFormat` `objectArray`".to_string();
    }
    let trimmed = first_item.trim_ascii_start();
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'"') => return "a JSON list of strings, not Azure resources".to_string(),
        Some(b'[') => return "a JSON list of lists, not Azure resources".to_string(),
        _ => return "a JSON list of scalars, not Azure resources".to_string(),
    }
    let Ok(fields) = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(trimmed) else {
        return "JSON that is not Azure resources".to_string();
    };
    let keys: Vec<&str> = fields.keys().map(String::as_str).take(8).collect();
    format!(
        "JSON whose first item has no `id` and `type` (its keys: {}); a Resource Graph query must keep `id`, `type` and `properties` (no `project` that drops them)",
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_compressed_csv_and_json() {
        assert!(sniff(&[0x1f, 0x8b, 8, 0]).unwrap().contains("gzip"));
        assert!(sniff(b"PK\x03\x04....").unwrap().contains("zip"));
        assert!(
            sniff(b"user,arn,user_creation_time\n")
                .unwrap()
                .contains("aws plugin")
        );
        assert!(sniff(b"name,type\na,b").unwrap().contains("name,type"));
        assert_eq!(sniff(b"\xEF\xBB\xBF  {\"data\":[]}"), None);
        assert_eq!(sniff(b"\n[ {"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"garbage"), None);
    }

    #[test]
    fn declared_formats() {
        assert!(declared("azure-resource-graph").is_ok());
        assert!(declared(" Azure-ARM ").is_ok());
        assert!(
            declared("aws-config-snapshot")
                .unwrap_err()
                .contains("aws-config-snapshot")
        );
    }

    #[test]
    fn names_what_foreign_json_looks_like() {
        assert!(describe_foreign(b"{}", marks::AWS_SNAPSHOT).contains("AWS Config snapshot"));
        assert!(describe_foreign(b"{}", marks::AWS_ITEM).contains("aws plugin"));
        assert!(describe_foreign(b"{}", marks::GCP_ASSET).contains("gcp plugin"));
        assert!(describe_foreign(b"{}", marks::TABLE).contains("objectArray"));
        assert!(describe_foreign(br#"{"b":1,"a":2}"#, 0).contains("keys: a, b"));
        assert!(describe_foreign(b"\"x\"", 0).contains("strings"));
        assert!(describe_foreign(b"7", 0).contains("scalars"));
    }
}

/// Property tests of the sniffer against `serde_json`: whatever a JSON export holds, and however
/// it starts (a BOM, whitespace), it reaches the JSON reader, which reports where a damaged file
/// breaks; no bytes make the sniffer panic.
#[cfg(test)]
mod props {
    use demarc_sdk::arbitrary::{export, mutate, mutation};
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    const BOM: &[u8] = b"\xEF\xBB\xBF";

    fn lead() -> impl Strategy<Value = Vec<u8>> {
        (any::<bool>(), "[ \t\r\n]{0,4}").prop_map(|(bom, ws)| {
            let mut lead = if bom { BOM.to_vec() } else { Vec::new() };
            lead.extend_from_slice(ws.as_bytes());
            lead
        })
    }

    /// `text` is a JSON object or array by `serde_json`'s reading.
    fn is_json_document(text: &[u8]) -> bool {
        let body = text.strip_prefix(BOM).unwrap_or(text);
        serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object() || v.is_array())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, max_global_rejects: 1 << 16, ..ProptestConfig::default() })]

        /// Any JSON export, in any layout, reaches the JSON reader.
        #[test]
        fn json_goes_to_the_json_reader(export in export("data"), lead in lead()) {
            // One BOM at most, before the whitespace, as a real file has it.
            let mut text = lead;
            text.extend_from_slice(export.text.strip_prefix(BOM).unwrap_or(&export.text));
            prop_assert_eq!(sniff(&text), None);
        }

        /// A damaged export that `serde_json` still reads as a JSON document reaches the JSON
        /// reader too.
        #[test]
        fn damaged_json_is_judged_as_serde_json_judges_it(
            export in export("data"),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let text = mutate(export.text, &mutations);
            if is_json_document(&text) {
                prop_assert_eq!(sniff(&text), None);
            }
        }

        /// A leading BOM and whitespace never change the verdict, on any bytes.
        #[test]
        fn leading_space_is_invisible(lead in lead(), body in prop::collection::vec(any::<u8>(), 0..96)) {
            prop_assume!(!body.starts_with(BOM) && !body.first().is_some_and(u8::is_ascii_whitespace));
            let mut text = lead;
            text.extend_from_slice(&body);
            prop_assert_eq!(sniff(&text), sniff(&body));
        }
    }
}
