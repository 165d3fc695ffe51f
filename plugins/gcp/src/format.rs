//! Which export an input is, and what a file that is not one of ours looks like.
//!
//! An input's format is declared in the host configuration (`gcp-cloud-asset-inventory`,
//! `google-workspace-users`) or sniffed from its first bytes: asset fields (`asset_type`,
//! `assetType`) mean Cloud Asset Inventory, in any layout (NDJSON, a JSON array, or the
//! `{"assets": [...]}` response of `assets.list`); `primaryEmail` or `admin#directory#user`
//! means the Admin SDK Directory user list. Files that are recognisably another cloud's export
//! are refused before they are read, with a message naming the plugin that reads them; anything
//! else is read as Cloud Asset Inventory and its first item decides ([`describe_foreign`]).

use demarc_sdk::formats::{self, Format as Declared, Own};

/// The exports this plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Cloud Asset Inventory assets (resource and/or IAM policy content).
    AssetInventory,
    /// The Admin SDK Directory API user list (Cloud Identity / Google Workspace).
    Directory,
}

/// The declared format names of each format.
pub const FORMATS: [Declared<Format>; 2] = [
    Declared {
        names: &[
            "gcp-cloud-asset-inventory",
            "gcp-asset-inventory",
            "gcp-asset-export",
            "gcp-asset-search",
            "gcp-cai",
            "cloud-asset-inventory",
        ],
        format: Format::AssetInventory,
    },
    Declared {
        names: &[
            "google-workspace-users",
            "gcp-directory-users",
            "cloud-identity-users",
            "admin-directory-users",
        ],
        format: Format::Directory,
    },
];

/// How the plugin names what it reads, for messages about files that are not.
pub const OWN: Own = Own {
    plugin: "gcp",
    items: "Cloud Asset Inventory assets",
    required: "`asset_type`",
    advice: "",
};

/// The outcome of sniffing an input.
pub type Sniffed = formats::Sniffed<Format>;

/// The format a declared name stands for; `Err` names the formats this plugin reads.
pub fn declared(name: &str) -> Result<Format, String> {
    formats::declared(OWN.plugin, &FORMATS, name)
}

/// Sniff an input from its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    let body = formats::body(head);
    if let Some(what) = formats::archive(body, None) {
        return Sniffed::Unsupported(what);
    }
    if formats::contains(body, b"\"asset_type\"") || formats::contains(body, b"\"assetType\"") {
        return Sniffed::Format(Format::AssetInventory);
    }
    if formats::contains(body, b"\"primaryEmail\"")
        || formats::contains(body, b"admin#directory#user")
    {
        return Sniffed::Format(Format::Directory);
    }
    if let Some(what) = formats::foreign_head(body, OWN.plugin) {
        return Sniffed::Unsupported(what.to_string());
    }
    if let Some(header) = formats::csv_header(body) {
        let what = match formats::csv(&header, OWN.plugin) {
            Some(what) => what.to_string(),
            None => format!("a CSV file (header `{header}`)"),
        };
        return Sniffed::Unsupported(format!("{what}, not a Cloud Asset Inventory export"));
    }
    // Anything else goes to the JSON reader, which reports where it stops being JSON.
    Sniffed::Format(Format::AssetInventory)
}

/// What the first item of a JSON file that is not Cloud Asset Inventory looks like, in words:
/// the SDK's registry names other exports; `gcloud asset search-all-resources` summaries are
/// this plugin's own near miss.
pub fn describe_foreign(first_item: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Summary {
        #[serde(rename = "displayName")]
        _display_name: serde::de::IgnoredAny,
        #[serde(rename = "additionalAttributes")]
        _additional: serde::de::IgnoredAny,
    }
    if serde_json::from_slice::<Summary>(first_item.trim_ascii_start()).is_ok() {
        return "`gcloud asset search-all-resources` summaries (`displayName`, `additionalAttributes`) without the resource data; export full assets with `gcloud asset export` or `gcloud asset list --format=json` instead".to_string();
    }
    formats::describe_foreign(first_item, &OWN)
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
            Sniffed::Unsupported(m) if m.contains("credential report") && m.contains("not a Cloud Asset Inventory export")
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
/// breaks; no bytes make the sniffer panic (the properties are the SDK's).
#[cfg(test)]
mod props {
    use super::*;

    #[test]
    fn json_reaches_the_json_reader_and_leading_space_is_invisible() {
        demarc_sdk::arbitrary::assert_sniffer(
            "assets",
            sniff,
            |verdict| *verdict == Sniffed::Format(Format::AssetInventory),
            |text| {
                [
                    &b"\"primaryEmail\""[..],
                    b"admin#directory#user",
                    b"\"configurationItems\"",
                    b"\"configurationItemCaptureTime\"",
                    b"\"resultTruncated\"",
                    b"\"totalRecords\"",
                    b"\"asset_type\"",
                    b"\"assetType\"",
                ]
                .iter()
                .any(|needle| formats::contains(text, needle))
            },
        );
    }
}
