//! Which export an input is, and what a file that is not one of ours looks like.
//!
//! An input's format is declared in the host configuration (`aws-config-snapshot`,
//! `aws-credential-report`) or sniffed from its first bytes: a CSV whose header starts with
//! `user,arn` (or base64 of one, or the `get-credential-report` JSON response) is a credential
//! report; anything else is read as AWS Config JSON, and the first item tells whether it really
//! is. [`describe_foreign`] names what a JSON file that is not AWS Config resembles, so the error
//! says "this is an Azure Resource Graph export", not just "no resourceType".

use std::collections::BTreeMap;

use crate::credential_report;
use crate::json::Text;

/// The exports this plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AWS Config configuration items: a snapshot, a history file, an API dump or NDJSON.
    ConfigSnapshot,
    /// The IAM credential report.
    CredentialReport,
}

/// Declared format names accepted for each format.
const CONFIG_NAMES: [&str; 3] = ["aws-config-snapshot", "aws-config-history", "aws-config"];
const REPORT_NAMES: [&str; 1] = ["aws-credential-report"];

/// The format a declared name stands for; `Err` names the formats this plugin reads.
pub fn declared(name: &str) -> Result<Format, String> {
    let name = name.trim();
    if CONFIG_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        Ok(Format::ConfigSnapshot)
    } else if REPORT_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        Ok(Format::CredentialReport)
    } else {
        Err(format!(
            "declared format `{name}` is not one the aws plugin reads (aws-config-snapshot, aws-credential-report)"
        ))
    }
}

/// The outcome of sniffing the first bytes of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// Read it as this format.
    Format(Format),
    /// Not a format this plugin reads; says what it is.
    Unsupported(String),
}

/// The base64 encoding of `user,arn`'s first bytes: a base64 credential report starts with it.
const REPORT_BASE64_PREFIX: &[u8] = b"dXNlcixhcm";

/// Sniff an input from its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let body = body.trim_ascii_start();
    if let Some(what) = archive(body) {
        return Sniffed::Unsupported(what);
    }
    if credential_report::looks_like_report(body) || body.starts_with(REPORT_BASE64_PREFIX) {
        return Sniffed::Format(Format::CredentialReport);
    }
    if body.first() == Some(&b'{')
        && contains(body, b"\"Content\"")
        && contains(body, REPORT_BASE64_PREFIX)
    {
        return Sniffed::Format(Format::CredentialReport);
    }
    if matches!(body.first(), Some(b'{' | b'[') | None) {
        return Sniffed::Format(Format::ConfigSnapshot);
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or(body);
    if first_line.contains(&b',') && !first_line.contains(&b'{') {
        let header = String::from_utf8_lossy(&first_line[..first_line.len().min(80)])
            .trim()
            .to_string();
        return Sniffed::Unsupported(format!(
            "a CSV file whose header (`{header}`) is not the IAM credential report's (`user,arn,…`)"
        ));
    }
    // Anything else is handed to the JSON reader, which reports where it stops being JSON.
    Sniffed::Format(Format::ConfigSnapshot)
}

/// What a compressed input is, from its magic bytes: exports must be decompressed first, whatever
/// format they declare.
pub fn archive(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(
            "a gzip-compressed file; AWS Config delivers snapshots gzipped, decompress it first"
                .to_string(),
        )
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive; extract it first".to_string())
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the first item of a JSON file that is not AWS Config looks like, in words.
pub fn describe_foreign(first_item: &[u8]) -> String {
    let trimmed = first_item.trim_ascii_start();
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'"') => {
            return "a JSON list of strings, not AWS Config configuration items".to_string();
        }
        Some(b'[') => {
            return "a JSON list of lists, not AWS Config configuration items".to_string();
        }
        _ => return "a JSON list of scalars, not AWS Config configuration items".to_string(),
    }
    let Ok(fields) = serde_json::from_slice::<BTreeMap<String, Text<'_>>>(trimmed) else {
        return "JSON that is not AWS Config configuration items".to_string();
    };
    let has = |k: &str| fields.contains_key(k);
    let text_of = |k: &str| {
        fields
            .get(k)
            .and_then(|t| t.get())
            .map(str::to_ascii_lowercase)
    };
    if has("data") && (has("totalRecords") || has("total_records") || has("count")) {
        return "an Azure Resource Graph export (`totalRecords`/`count`/`data`), which the azure plugin reads".to_string();
    }
    if has("asset_type") || has("assetType") {
        return "a Google Cloud Asset Inventory export (`name`, `asset_type`), which the gcp plugin reads".to_string();
    }
    if has("class_uid") || has("category_uid") {
        return "OCSF findings (e.g. a Prowler export), which an importer plugin reads".to_string();
    }
    if has("runs") && (has("$schema") || has("version")) {
        return "a SARIF log, which an importer plugin reads".to_string();
    }
    if has("id") && has("type") && has("name") {
        let azure = text_of("id").is_some_and(|id| id.starts_with("/subscriptions/"))
            || text_of("type").is_some_and(|t| t.starts_with("microsoft."));
        if azure {
            return "Azure Resource Graph rows (`id`, `name`, `type`), which the azure plugin reads".to_string();
        }
    }
    let keys: Vec<&str> = fields.keys().map(String::as_str).take(8).collect();
    format!(
        "JSON whose first item has no `resourceType` (its keys: {})",
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
    fn sniffs_reports_snapshots_and_foreign_files() {
        assert_eq!(
            sniff(b"user,arn,user_creation_time\n"),
            Sniffed::Format(Format::CredentialReport)
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  user,arn"),
            Sniffed::Format(Format::CredentialReport)
        );
        assert_eq!(
            sniff(b"dXNlcixhcm4sdXNlcl9jcmVhdGlvbl90aW1l"),
            Sniffed::Format(Format::CredentialReport)
        );
        assert_eq!(
            sniff(br#"{"Content":"dXNlcixhcm4s","ReportFormat":"text/csv"}"#),
            Sniffed::Format(Format::CredentialReport)
        );
        assert_eq!(
            sniff(b"{\"fileVersion\":\"1.0\""),
            Sniffed::Format(Format::ConfigSnapshot)
        );
        assert_eq!(sniff(b"\n[ {"), Sniffed::Format(Format::ConfigSnapshot));
        assert_eq!(sniff(b""), Sniffed::Format(Format::ConfigSnapshot));
        assert_eq!(sniff(b"garbage"), Sniffed::Format(Format::ConfigSnapshot));
        assert!(
            matches!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Unsupported(m) if m.contains("gzip"))
        );
        assert!(
            matches!(sniff(b"name,type\na,b"), Sniffed::Unsupported(m) if m.contains("name,type"))
        );
    }

    #[test]
    fn declared_formats() {
        assert_eq!(declared("aws-config-snapshot"), Ok(Format::ConfigSnapshot));
        assert_eq!(
            declared("aws-credential-report"),
            Ok(Format::CredentialReport)
        );
        assert!(
            declared("azure-resource-graph")
                .unwrap_err()
                .contains("azure-resource-graph")
        );
    }

    #[test]
    fn names_what_foreign_json_looks_like() {
        let azure =
            br#"{"totalRecords":2,"count":2,"data":[],"facets":[],"resultTruncated":"false"}"#;
        assert!(describe_foreign(azure).contains("Azure Resource Graph export"));
        let rows = br#"{"id":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s","name":"s","type":"microsoft.storage/storageaccounts"}"#;
        assert!(describe_foreign(rows).contains("Azure Resource Graph rows"));
        let gcp = br#"{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket"}"#;
        assert!(describe_foreign(gcp).contains("Google Cloud Asset Inventory"));
        let other = br#"{"a":1,"b":2}"#;
        assert!(describe_foreign(other).contains("keys: a, b"));
        assert!(describe_foreign(b"\"x\"").contains("strings"));
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

    fn has(text: &[u8], needle: &str) -> bool {
        text.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, max_global_rejects: 1 << 16, ..ProptestConfig::default() })]

        /// Any JSON export, in any layout, reaches the JSON reader.
        #[test]
        fn json_goes_to_the_json_reader(export in export("configurationItems"), lead in lead()) {
            // One BOM at most, before the whitespace, as a real file has it.
            let mut text = lead;
            text.extend_from_slice(export.text.strip_prefix(BOM).unwrap_or(&export.text));
            prop_assume!(!has(&text, "\"Content\""));
            prop_assert_eq!(sniff(&text), Sniffed::Format(Format::ConfigSnapshot));
        }

        /// A damaged export that `serde_json` still reads as a JSON document reaches the JSON
        /// reader too.
        #[test]
        fn damaged_json_is_judged_as_serde_json_judges_it(
            export in export("configurationItems"),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let text = mutate(export.text, &mutations);
            prop_assume!(!has(&text, "\"Content\""));
            if is_json_document(&text) {
                prop_assert_eq!(sniff(&text), Sniffed::Format(Format::ConfigSnapshot));
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
