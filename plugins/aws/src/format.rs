//! Which export an input is, and what a file that is not one of ours looks like.
//!
//! An input's format is declared in the host configuration (`aws-config-snapshot`,
//! `aws-credential-report`) or sniffed from its first bytes: a CSV whose header starts with
//! `user,arn` (or base64 of one, or the `get-credential-report` JSON response) is a credential
//! report; anything else is read as AWS Config JSON, and the first item tells whether it really
//! is. What a JSON file that is not AWS Config resembles is named, so the error
//! says "this is an Azure Resource Graph export", not just "no resourceType" (the SDK's
//! registry of fingerprints, [`demarc_sdk::formats`], names the plugin that reads it).

use demarc_sdk::formats::{self, Format as Declared, Own};

use crate::credential_report;

/// The exports this plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AWS Config configuration items: a snapshot, a history file, an API dump or NDJSON.
    ConfigSnapshot,
    /// The IAM credential report.
    CredentialReport,
}

/// The declared format names of each format.
pub const FORMATS: [Declared<Format>; 2] = [
    Declared {
        names: &["aws-config-snapshot", "aws-config-history", "aws-config"],
        format: Format::ConfigSnapshot,
    },
    Declared {
        names: &["aws-credential-report"],
        format: Format::CredentialReport,
    },
];

/// How the plugin names what it reads, for messages about files that are not.
pub const OWN: Own = Own {
    plugin: "aws",
    items: "AWS Config configuration items",
    required: "`resourceType`",
    advice: "",
};

/// The outcome of sniffing an input.
pub type Sniffed = formats::Sniffed<Format>;

/// The format a declared name stands for; `Err` names the formats this plugin reads.
pub fn declared(name: &str) -> Result<Format, String> {
    formats::declared(OWN.plugin, &FORMATS, name)
}

/// The base64 encoding of `user,arn`'s first bytes: a base64 credential report starts with it.
const REPORT_BASE64_PREFIX: &[u8] = b"dXNlcixhcm";

/// Sniff an input from its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    let body = formats::body(head);
    if let Some(what) = formats::archive(body, Some("AWS Config delivers snapshots gzipped")) {
        return Sniffed::Unsupported(what);
    }
    if credential_report::looks_like_report(body) || body.starts_with(REPORT_BASE64_PREFIX) {
        return Sniffed::Format(Format::CredentialReport);
    }
    if body.first() == Some(&b'{')
        && formats::contains(body, b"\"Content\"")
        && formats::contains(body, REPORT_BASE64_PREFIX)
    {
        return Sniffed::Format(Format::CredentialReport);
    }
    if let Some(header) = formats::csv_header(body) {
        return Sniffed::Unsupported(format!(
            "a CSV file whose header (`{header}`) is not the IAM credential report's (`user,arn,…`)"
        ));
    }
    // Anything else is handed to the JSON reader, which reports where it stops being JSON.
    Sniffed::Format(Format::ConfigSnapshot)
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
        let describe_foreign = |item: &[u8]| formats::describe_foreign(item, &OWN);
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
/// breaks; no bytes make the sniffer panic (the properties are the SDK's).
#[cfg(test)]
mod props {
    use super::*;

    #[test]
    fn json_reaches_the_json_reader_and_leading_space_is_invisible() {
        demarc_sdk::arbitrary::assert_sniffer(
            "configurationItems",
            sniff,
            |verdict| *verdict == Sniffed::Format(Format::ConfigSnapshot),
            |text| formats::contains(text, b"\"Content\""),
        );
    }
}
