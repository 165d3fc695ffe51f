//! Which export an input is.
//!
//! The plugin reads one family of JSON: Azure resources, as
//! - the Resource Graph REST response `{totalRecords, count, resultTruncated, skipToken?,
//!   facets, data: [rows]}`,
//! - the Azure CLI's `az graph query` output `{count, data, skip_token, total_records}`, or, in
//!   older CLI versions, a bare array of rows,
//! - ARM resource objects: one object, a bare array, one object per line, or an ARM list
//!   response `{value: [...], nextLink}`.
//!
//! A declared format must be one of [`FORMATS`]; otherwise the first bytes rule out CSV files
//! (compressed ones the SDK's driver refuses), and the first item tells whether the JSON really
//! is Azure resources. What a file that is not looks like is named by the SDK's registry of
//! fingerprints ([`demarc_sdk::formats`]), so the error says "this is an AWS Config snapshot",
//! not just "no `type`".

use demarc_sdk::formats::{self, Format as Declared, Own};

/// Declared format names the plugin accepts.
pub const FORMATS: [Declared<()>; 1] = [Declared {
    names: &[
        "azure-resource-graph",
        "azure-arm",
        "azure-resources",
        "azure",
    ],
    format: (),
}];

/// How the plugin names what it reads, for messages about files that are not.
pub const OWN: Own = Own {
    plugin: "azure",
    items: "Azure resources",
    required: "`id` and `type`",
    advice: "; a Resource Graph query must keep `id`, `type` and `properties` (no `project` that drops them)",
};

/// The outcome of sniffing an input.
pub type Sniffed = formats::Sniffed<()>;

/// Whether a declared format is one the plugin reads; `Err` names the ones it does.
pub fn declared(name: &str) -> Result<(), String> {
    formats::declared(OWN.plugin, &FORMATS, name)
}

/// What the first bytes of a file rule out; JSON (or what may be) is read.
pub fn sniff(head: &[u8]) -> Sniffed {
    let body = formats::body(head);
    if let Some(what) = formats::archive(body, None) {
        return Sniffed::Unsupported(what);
    }
    match formats::csv_header(body) {
        Some(header) => Sniffed::Unsupported(match formats::csv(&header, OWN.plugin) {
            Some(what) => what.to_string(),
            None => format!("a CSV file (header `{header}`), not Azure Resource Graph or ARM JSON"),
        }),
        // Anything else goes to the JSON reader, which says where it stops being JSON.
        None => Sniffed::Format(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(head: &[u8]) -> String {
        match sniff(head) {
            Sniffed::Unsupported(what) => what,
            Sniffed::Format(()) => panic!("{head:?} was read as JSON"),
        }
    }

    #[test]
    fn sniffs_compressed_csv_and_json() {
        assert!(refused(&[0x1f, 0x8b, 8, 0]).contains("gzip"));
        assert!(refused(b"PK\x03\x04....").contains("zip"));
        assert!(refused(b"user,arn,user_creation_time\n").contains("aws plugin"));
        assert!(refused(b"name,type\na,b").contains("name,type"));
        for json in [
            &b"\xEF\xBB\xBF  {\"data\":[]}"[..],
            b"\n[ {",
            b"",
            b"garbage",
        ] {
            assert_eq!(sniff(json), Sniffed::Format(()));
        }
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
        let describe = |item: &[u8]| formats::describe_foreign(item, &OWN);
        assert!(
            describe(br#"{"fileVersion":"1.0","configurationItems":[]}"#)
                .contains("AWS Config snapshot")
        );
        assert!(
            describe(br#"{"resourceType":"AWS::S3::Bucket","configurationItemStatus":"OK"}"#)
                .contains("aws plugin")
        );
        assert!(describe(br#"{"name":"n","assetType":"x"}"#).contains("gcp plugin"));
        assert!(describe(br#"{"b":1,"a":2}"#).contains("keys: a, b"));
        assert!(describe(br#"{"b":1,"a":2}"#).contains("no `project` that drops them"));
        assert!(describe(b"\"x\"").contains("strings"));
        assert!(describe(b"7").contains("scalars"));
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
            "data",
            sniff,
            |verdict| *verdict == Sniffed::Format(()),
            |_| false,
        );
    }
}
