//! One registry of export fingerprints, so a plugin that is handed another cloud's export can say
//! which plugin reads it without knowing that cloud itself.
//!
//! A plugin declares its own formats ([`Format`]: the names a configuration may declare, and
//! a sniffing rule); everything else it meets goes through [`describe_foreign`] (the first item of
//! a JSON file), [`archive`] (compressed files) and [`csv`] (comma-separated files), which name
//! what the file is and, where one exists, the plugin that reads it. The registry skips the
//! asking plugin's own fingerprints, so a damaged export of its own is never called foreign.

use std::collections::BTreeMap;

use crate::json::Text;

/// A format a plugin reads: the names a configuration may declare for it, and the plugin's value
/// for it.
#[derive(Debug, Clone, Copy)]
pub struct Format<F: 'static> {
    /// Declared names, compared ignoring ASCII case and surrounding blanks; the first is the one
    /// error messages show.
    pub names: &'static [&'static str],
    /// The plugin's value for this format.
    pub format: F,
}

/// The format a declared name stands for; `Err` names the formats `plugin` reads.
pub fn declared<F: Copy>(plugin: &str, formats: &[Format<F>], name: &str) -> Result<F, String> {
    let name = name.trim();
    formats
        .iter()
        .find(|f| f.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .map(|f| f.format)
        .ok_or_else(|| {
            let first: Vec<&str> = formats
                .iter()
                .filter_map(|f| f.names.first().copied())
                .collect();
            format!(
                "declared format `{name}` is not one the {plugin} plugin reads ({})",
                first.join(", ")
            )
        })
}

/// The outcome of sniffing the first bytes of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed<F> {
    /// Read it as this format.
    Format(F),
    /// Not a format this plugin reads; says what it is.
    Unsupported(String),
}

/// The first bytes of an input without a UTF-8 byte order mark and leading blanks.
pub fn body(head: &[u8]) -> &[u8] {
    head.strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start()
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a compressed input is, from its magic bytes: exports must be decompressed first,
/// whatever format they declare. `note` (e.g. "AWS Config delivers snapshots gzipped") is put
/// before the advice for gzip.
pub fn archive(head: &[u8], note: Option<&str>) -> Option<String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(match note {
            Some(note) => format!("a gzip-compressed file; {note}, decompress it first"),
            None => "a gzip-compressed file; decompress it first".to_string(),
        })
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive; extract it first".to_string())
    } else {
        None
    }
}

/// The header of a comma-separated file (its first line, at most 80 bytes), when the input is
/// not JSON and its first line holds a comma and no `{`.
pub fn csv_header(body: &[u8]) -> Option<String> {
    if matches!(body.first(), Some(b'{' | b'[') | None) {
        return None;
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or(body);
    if !first_line.contains(&b',') || first_line.contains(&b'{') {
        return None;
    }
    Some(
        String::from_utf8_lossy(&first_line[..first_line.len().min(80)])
            .trim()
            .to_string(),
    )
}

/// What a comma-separated file with this header is, naming the plugin that reads it; `None`
/// for a CSV no plugin reads (or one `own` reads).
pub fn csv(header: &str, own: &str) -> Option<&'static str> {
    (own != "aws" && header.starts_with("user,arn"))
        .then_some("an AWS IAM credential report (CSV), which the aws plugin reads")
}

/// Substrings in the first bytes of a file that only one cloud's export holds, for a plugin that
/// would otherwise read any JSON as its own. `None` when none is present (or only `own`'s).
pub fn foreign_head(body: &[u8], own: &str) -> Option<&'static str> {
    const HEADS: [(&str, &[&[u8]], &str); 3] = [
        (
            "aws",
            &[
                b"\"configurationItems\"",
                b"\"configurationItemCaptureTime\"",
            ],
            "an AWS Config snapshot (`configurationItems`), which the aws plugin reads",
        ),
        (
            "azure",
            &[b"\"resultTruncated\"", b"\"totalRecords\""],
            "an Azure Resource Graph export (`totalRecords`/`data`), which the azure plugin reads",
        ),
        (
            "gcp",
            &[b"\"asset_type\"", b"\"assetType\""],
            "a Google Cloud Asset Inventory export (`name`, `asset_type`), which the gcp plugin reads",
        ),
    ];
    HEADS
        .iter()
        .filter(|(reader, _, _)| *reader != own)
        .find(|(_, needles, _)| needles.iter().any(|n| contains(body, n)))
        .map(|(_, _, what)| *what)
}

/// The top-level fields of a JSON object, as the fingerprints see them.
pub struct Fields<'a>(BTreeMap<String, Text<'a>>);

impl Fields<'_> {
    /// Whether the object has field `key`.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The scalar value of `key`, lowercased.
    pub fn lower(&self, key: &str) -> Option<String> {
        self.0
            .get(key)
            .and_then(|t| t.get())
            .map(str::to_ascii_lowercase)
    }

    /// The first eight field names, for a message.
    pub fn keys(&self) -> String {
        let keys: Vec<&str> = self.0.keys().map(String::as_str).take(8).collect();
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    }
}

/// One fingerprint: the plugin that reads the export (or `importer`), the test, the words.
struct Fingerprint {
    reader: &'static str,
    test: fn(&Fields<'_>) -> bool,
    what: &'static str,
}

/// Every export some plugin reads, by the fields of its first item.
const FINGERPRINTS: [Fingerprint; 8] = [
    Fingerprint {
        reader: "aws",
        test: |f| f.has("configurationItems"),
        what: "an AWS Config snapshot (`configurationItems`), which the aws plugin reads",
    },
    Fingerprint {
        reader: "aws",
        test: |f| {
            f.has("configurationItemStatus")
                || (f.has("resourceType") && (f.has("awsRegion") || f.has("awsAccountId")))
        },
        what: "AWS Config configuration items (`resourceType`), which the aws plugin reads",
    },
    Fingerprint {
        reader: "azure",
        test: |f| {
            f.has("data") && (f.has("totalRecords") || f.has("total_records") || f.has("count"))
        },
        what: "an Azure Resource Graph export (`totalRecords`/`count`/`data`), which the azure plugin reads",
    },
    Fingerprint {
        reader: "gcp",
        test: |f| f.has("asset_type") || f.has("assetType"),
        what: "a Google Cloud Asset Inventory export (`name`, `asset_type`), which the gcp plugin reads",
    },
    Fingerprint {
        reader: "importer",
        test: |f| f.has("class_uid") || f.has("category_uid"),
        what: "OCSF findings (e.g. a Prowler export), which an importer plugin reads",
    },
    Fingerprint {
        reader: "importer",
        test: |f| f.has("runs") && (f.has("$schema") || f.has("version")),
        what: "a SARIF log, which an importer plugin reads",
    },
    Fingerprint {
        reader: "azure",
        test: |f| {
            f.has("id")
                && f.has("type")
                && (f.has("subscriptionId")
                    || f.has("resourceGroup")
                    || f.lower("id")
                        .is_some_and(|id| id.starts_with("/subscriptions/"))
                    || f.lower("type").is_some_and(|t| t.starts_with("microsoft.")))
        },
        what: "Azure Resource Graph rows (`id`, `name`, `type`), which the azure plugin reads",
    },
    Fingerprint {
        reader: "azure",
        test: |f| f.has("columns") && f.has("rows"),
        what: "a Resource Graph result in table format (`columns`, `rows`), which the azure plugin reads when the query runs with `resultFormat` `objectArray`",
    },
];

/// How a plugin names what it reads, for the messages about what it does not.
#[derive(Debug, Clone, Copy)]
pub struct Own {
    /// The plugin's name (`aws`): its own fingerprints are skipped.
    pub plugin: &'static str,
    /// What its items are, in "a JSON list of strings, not …" (`AWS Config configuration items`).
    pub items: &'static str,
    /// The fields an item must have, in "JSON whose first item has no …" (`` `resourceType` ``).
    pub required: &'static str,
    /// Advice after the list of keys (may be empty), e.g. "; a query must keep `id`".
    pub advice: &'static str,
}

/// What the first item of a JSON file that is not `own`'s export looks like, in words, naming
/// the plugin that reads it when the registry knows one.
pub fn describe_foreign(first_item: &[u8], own: &Own) -> String {
    let trimmed = first_item.trim_ascii_start();
    let items = own.items;
    match trimmed.first() {
        Some(b'{') => {}
        Some(b'"') => return format!("a JSON list of strings, not {items}"),
        Some(b'[') => return format!("a JSON list of lists, not {items}"),
        _ => return format!("a JSON list of scalars, not {items}"),
    }
    let Ok(fields) = serde_json::from_slice::<BTreeMap<String, Text<'_>>>(trimmed) else {
        return format!("JSON that is not {items}");
    };
    let fields = Fields(fields);
    if let Some(print) = FINGERPRINTS
        .iter()
        .filter(|p| p.reader != own.plugin)
        .find(|p| (p.test)(&fields))
    {
        return print.what.to_string();
    }
    format!(
        "JSON whose first item has no {} (its keys: {}){}",
        own.required,
        fields.keys(),
        own.advice
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS: Own = Own {
        plugin: "aws",
        items: "AWS Config configuration items",
        required: "`resourceType`",
        advice: "",
    };
    const GCP: Own = Own {
        plugin: "gcp",
        items: "Cloud Asset Inventory assets",
        required: "`asset_type`",
        advice: "",
    };

    #[test]
    fn names_the_plugin_that_reads_a_foreign_export() {
        let azure =
            br#"{"totalRecords":2,"count":2,"data":[],"facets":[],"resultTruncated":"false"}"#;
        assert!(describe_foreign(azure, &AWS).contains("which the azure plugin reads"));
        let rows = br#"{"id":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s","name":"s","type":"microsoft.storage/storageaccounts"}"#;
        assert!(describe_foreign(rows, &AWS).contains("Azure Resource Graph rows"));
        let gcp = br#"{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket"}"#;
        assert!(describe_foreign(gcp, &AWS).contains("Google Cloud Asset Inventory"));
        let aws = br#"{"resourceType":"AWS::S3::Bucket","awsRegion":"eu-west-1"}"#;
        assert!(describe_foreign(aws, &GCP).contains("which the aws plugin reads"));
        let ocsf = br#"{"class_uid":2003,"severity_id":4}"#;
        assert!(describe_foreign(ocsf, &GCP).contains("importer"));
        let sarif = br#"{"version":"2.1.0","runs":[]}"#;
        assert!(describe_foreign(sarif, &GCP).contains("SARIF"));
    }

    #[test]
    fn never_calls_a_plugins_own_export_foreign() {
        // An AWS item the AWS plugin could not read is described by its keys, not as AWS's.
        let aws = br#"{"resourceType":"AWS::S3::Bucket","awsRegion":"eu-west-1"}"#;
        let said = describe_foreign(aws, &AWS);
        assert!(!said.contains("plugin reads"), "{said}");
        assert!(said.contains("no `resourceType`"), "{said}");
        assert!(said.contains("keys: awsRegion, resourceType"), "{said}");
        let gcp = br#"{"asset_type":"x"}"#;
        assert!(!describe_foreign(gcp, &GCP).contains("plugin reads"));
        assert_eq!(foreign_head(b"{\"asset_type\":1}", "gcp"), None);
        assert_eq!(csv("user,arn,x", "aws"), None);
    }

    #[test]
    fn lists_of_non_objects_say_what_they_hold() {
        assert!(describe_foreign(b"\"x\"", &AWS).contains("list of strings, not AWS Config"));
        assert!(describe_foreign(b"[1]", &GCP).contains("list of lists"));
        assert!(describe_foreign(b"7", &GCP).contains("list of scalars"));
        assert!(describe_foreign(b"{\"a\":", &GCP).contains("JSON that is not Cloud Asset"));
        assert!(describe_foreign(b"{}", &GCP).contains("keys: none"));
    }

    #[test]
    fn archives_csv_and_heads() {
        assert_eq!(
            archive(
                &[0x1f, 0x8b, 8],
                Some("AWS Config delivers snapshots gzipped")
            )
            .unwrap(),
            "a gzip-compressed file; AWS Config delivers snapshots gzipped, decompress it first"
        );
        assert!(
            archive(b"PK\x03\x04..", None)
                .unwrap()
                .contains("zip archive")
        );
        assert_eq!(archive(b"{}", None), None);
        assert_eq!(csv_header(b"name,type\na,b").as_deref(), Some("name,type"));
        assert_eq!(csv_header(b"{\"a\":1,\"b\":2}"), None);
        assert_eq!(csv_header(b"plain words"), None);
        assert!(
            csv("user,arn,user_creation_time", "gcp")
                .unwrap()
                .contains("aws plugin")
        );
        assert!(
            foreign_head(b"{\"totalRecords\":1", "gcp")
                .unwrap()
                .contains("azure plugin")
        );
        assert!(
            foreign_head(b"{\"configurationItems\":[", "azure")
                .unwrap()
                .contains("aws plugin")
        );
        assert_eq!(body(b"\xEF\xBB\xBF \n{"), b"{");
    }

    #[test]
    fn declared_names_any_case_and_the_error_lists_the_first_names() {
        const FORMATS: [Format<u8>; 2] = [
            Format {
                names: &["a-one", "a-1"],
                format: 1,
            },
            Format {
                names: &["a-two"],
                format: 2,
            },
        ];
        assert_eq!(declared("a", &FORMATS, " A-1 "), Ok(1));
        assert_eq!(declared("a", &FORMATS, "a-two"), Ok(2));
        assert_eq!(
            declared("a", &FORMATS, "b-three").unwrap_err(),
            "declared format `b-three` is not one the a plugin reads (a-one, a-two)"
        );
    }
}
