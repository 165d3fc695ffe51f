//! Which export an input is, and what a file that is not one of ours looks like.
//!
//! An input's format is declared in the host configuration (`gcp-cloud-asset-inventory`,
//! `google-workspace-users`) or sniffed from its first bytes: asset fields (`asset_type`,
//! `assetType`) mean Cloud Asset Inventory, in any layout (NDJSON, a JSON array, or the
//! `{"assets": [...]}` response of `assets.list`); `primaryEmail` or `admin#directory#user`
//! means the Admin SDK Directory user list. Files that are recognisably another cloud's export
//! are refused before they are read, with a message naming the plugin that reads them; anything
//! else is read as Cloud Asset Inventory and its first item decides ([`describe_foreign`]).

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

/// The exports this plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Cloud Asset Inventory assets (resource and/or IAM policy content).
    AssetInventory,
    /// The Admin SDK Directory API user list (Cloud Identity / Google Workspace).
    Directory,
}

const ASSET_NAMES: [&str; 6] = [
    "gcp-cloud-asset-inventory",
    "gcp-asset-inventory",
    "gcp-asset-export",
    "gcp-asset-search",
    "gcp-cai",
    "cloud-asset-inventory",
];
const DIRECTORY_NAMES: [&str; 4] = [
    "google-workspace-users",
    "gcp-directory-users",
    "cloud-identity-users",
    "admin-directory-users",
];

/// The format a declared name stands for; `Err` names the formats this plugin reads.
pub fn declared(name: &str) -> Result<Format, String> {
    let name = name.trim();
    if ASSET_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        Ok(Format::AssetInventory)
    } else if DIRECTORY_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        Ok(Format::Directory)
    } else {
        Err(format!(
            "declared format `{name}` is not one the gcp plugin reads (gcp-cloud-asset-inventory, google-workspace-users)"
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a compressed input is, from its magic bytes.
pub fn archive(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("a gzip-compressed file; decompress it first".to_string())
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive; extract it first".to_string())
    } else {
        None
    }
}

/// Sniff an input from its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let body = body.trim_ascii_start();
    if let Some(what) = archive(body) {
        return Sniffed::Unsupported(what);
    }
    if contains(body, b"\"asset_type\"") || contains(body, b"\"assetType\"") {
        return Sniffed::Format(Format::AssetInventory);
    }
    if contains(body, b"\"primaryEmail\"") || contains(body, b"admin#directory#user") {
        return Sniffed::Format(Format::Directory);
    }
    if contains(body, b"\"configurationItems\"")
        || contains(body, b"\"configurationItemCaptureTime\"")
    {
        return Sniffed::Unsupported(
            "an AWS Config snapshot (`configurationItems`), which the aws plugin reads".to_string(),
        );
    }
    if contains(body, b"\"resultTruncated\"") || contains(body, b"\"totalRecords\"") {
        return Sniffed::Unsupported(
            "an Azure Resource Graph export (`totalRecords`/`data`), which the azure plugin reads"
                .to_string(),
        );
    }
    if !matches!(body.first(), Some(b'{' | b'[') | None) {
        let first_line = body.split(|b| *b == b'\n').next().unwrap_or(body);
        if first_line.contains(&b',') {
            let header = String::from_utf8_lossy(&first_line[..first_line.len().min(80)])
                .trim()
                .to_string();
            let what = if header.starts_with("user,arn") {
                "the AWS IAM credential report, which the aws plugin reads".to_string()
            } else {
                format!("a CSV file (header `{header}`)")
            };
            return Sniffed::Unsupported(format!("{what}, not a Cloud Asset Inventory export"));
        }
    }
    // Anything else goes to the JSON reader, which reports where it stops being JSON.
    Sniffed::Format(Format::AssetInventory)
}

/// What the first item of a JSON file that is not Cloud Asset Inventory looks like, in words.
pub fn describe_foreign(first_item: &[u8]) -> String {
    let trimmed = first_item.trim_ascii_start();
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'"') => {
            return "a JSON list of strings, not Cloud Asset Inventory assets".to_string();
        }
        Some(b'[') => return "a JSON list of lists, not Cloud Asset Inventory assets".to_string(),
        _ => return "a JSON list of scalars, not Cloud Asset Inventory assets".to_string(),
    }
    let Ok(fields) = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(trimmed) else {
        return "JSON that is not Cloud Asset Inventory assets".to_string();
    };
    let has = |k: &str| fields.contains_key(k);
    if has("configurationItems")
        || (has("resourceType") && (has("configurationItemStatus") || has("awsRegion")))
    {
        return "AWS Config configuration items, which the aws plugin reads".to_string();
    }
    if has("data") && (has("totalRecords") || has("total_records") || has("count")) {
        return "an Azure Resource Graph export (`totalRecords`/`count`/`data`), which the azure plugin reads".to_string();
    }
    if has("id") && has("type") && (has("subscriptionId") || has("resourceGroup")) {
        return "Azure Resource Graph rows (`id`, `type`, `subscriptionId`), which the azure plugin reads".to_string();
    }
    if has("class_uid") || has("category_uid") {
        return "OCSF findings (e.g. a Prowler export), which an importer plugin reads".to_string();
    }
    if has("runs") && (has("$schema") || has("version")) {
        return "a SARIF log, which an importer plugin reads".to_string();
    }
    if has("displayName") && has("additionalAttributes") {
        return "`gcloud asset search-all-resources` summaries (`displayName`, `additionalAttributes`) without the resource data; export full assets with `gcloud asset export` or `gcloud asset list --format=json` instead".to_string();
    }
    let keys: Vec<&str> = fields.keys().map(String::as_str).take(8).collect();
    format!(
        "JSON whose first item has no `asset_type` (its keys: {})",
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
    fn sniffs_our_exports_and_names_foreign_ones() {
        assert_eq!(
            sniff(br#"{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket"}"#),
            Sniffed::Format(Format::AssetInventory)
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF[\n {\"assetType\": \"x\"}"),
            Sniffed::Format(Format::AssetInventory)
        );
        assert_eq!(
            sniff(br#"{"kind":"admin#directory#users","users":[{"primaryEmail":"a@x.org"}]}"#),
            Sniffed::Format(Format::Directory)
        );
        assert!(matches!(
            sniff(br#"{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":["#),
            Sniffed::Unsupported(m) if m.contains("aws plugin")
        ));
        assert!(matches!(
            sniff(br#"{"totalRecords":2,"count":2,"data":[],"resultTruncated":"false"}"#),
            Sniffed::Unsupported(m) if m.contains("azure plugin")
        ));
        assert!(matches!(
            sniff(b"user,arn,user_creation_time\n<root_account>,arn:aws:iam::1:root"),
            Sniffed::Unsupported(m) if m.contains("credential report")
        ));
        assert!(
            matches!(sniff(b"name,type\na,b"), Sniffed::Unsupported(m) if m.contains("`name,type`"))
        );
        assert!(
            matches!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Unsupported(m) if m.contains("gzip"))
        );
        assert_eq!(sniff(b""), Sniffed::Format(Format::AssetInventory));
        assert_eq!(sniff(b"garbage"), Sniffed::Format(Format::AssetInventory));
    }

    #[test]
    fn declared_formats() {
        assert_eq!(
            declared("gcp-cloud-asset-inventory"),
            Ok(Format::AssetInventory)
        );
        assert_eq!(declared("GOOGLE-WORKSPACE-USERS"), Ok(Format::Directory));
        assert!(
            declared("aws-config-snapshot")
                .unwrap_err()
                .contains("aws-config-snapshot")
        );
    }

    #[test]
    fn describes_foreign_items() {
        assert!(
            describe_foreign(
                br#"{"resourceType":"AWS::S3::Bucket","configurationItemStatus":"OK"}"#
            )
            .contains("aws plugin")
        );
        assert!(describe_foreign(br#"{"id":"/subscriptions/s/x","type":"microsoft.compute/virtualmachines","subscriptionId":"s"}"#).contains("azure plugin"));
        assert!(
            describe_foreign(br#"{"name":"//x","displayName":"x","additionalAttributes":{}}"#)
                .contains("search-all-resources")
        );
        assert!(describe_foreign(br#"{"a":1,"b":2}"#).contains("keys: a, b"));
        assert!(describe_foreign(b"3").contains("scalars"));
        assert!(describe_foreign(b"{nope").contains("not Cloud Asset Inventory"));
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
        fn json_goes_to_the_json_reader(export in export("assets"), lead in lead()) {
            // One BOM at most, before the whitespace, as a real file has it.
            let mut text = lead;
            text.extend_from_slice(export.text.strip_prefix(BOM).unwrap_or(&export.text));
            prop_assume!(!has(&text, "\"primaryEmail\""));
            prop_assume!(!has(&text, "admin#directory#user"));
            prop_assume!(!has(&text, "\"configurationItems\""));
            prop_assume!(!has(&text, "\"configurationItemCaptureTime\""));
            prop_assume!(!has(&text, "\"resultTruncated\""));
            prop_assume!(!has(&text, "\"totalRecords\""));
            prop_assume!(!has(&text, "\"asset_type\""));
            prop_assume!(!has(&text, "\"assetType\""));
            prop_assert_eq!(sniff(&text), Sniffed::Format(Format::AssetInventory));
        }

        /// A damaged export that `serde_json` still reads as a JSON document reaches the JSON
        /// reader too.
        #[test]
        fn damaged_json_is_judged_as_serde_json_judges_it(
            export in export("assets"),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let text = mutate(export.text, &mutations);
            prop_assume!(!has(&text, "\"primaryEmail\""));
            prop_assume!(!has(&text, "admin#directory#user"));
            prop_assume!(!has(&text, "\"configurationItems\""));
            prop_assume!(!has(&text, "\"configurationItemCaptureTime\""));
            prop_assume!(!has(&text, "\"resultTruncated\""));
            prop_assume!(!has(&text, "\"totalRecords\""));
            prop_assume!(!has(&text, "\"asset_type\""));
            prop_assume!(!has(&text, "\"assetType\""));
            if is_json_document(&text) {
                prop_assert_eq!(sniff(&text), Sniffed::Format(Format::AssetInventory));
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
