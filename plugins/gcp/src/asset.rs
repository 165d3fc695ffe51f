//! One Cloud Asset Inventory asset, read borrowed and shallow, and what a finding needs about it.
//!
//! `gcloud asset export` writes one asset per line in proto field names (`asset_type`,
//! `iam_policy`, `update_time`, `resource.discovery_name`); `gcloud asset list --format=json`,
//! the REST `assets.list` response and most tools write the same objects in JSON names
//! (`assetType`, `iamPolicy`, `updateTime`). Both are accepted. A resource export and an
//! IAM-policy export carry the same `name` on separate lines; [`Asset`] holds whichever parts
//! its line has, with `resource.data` and `iam_policy` left as raw JSON slices so that an asset
//! whose type has no checks is never parsed past its envelope. Real-time feeds and
//! `get-history` wrap the asset in a `TemporalAsset` (`{"asset": …, "deleted": …, "window":
//! …}`); [`Asset::temporal`] unwraps it.
//!
//! Asset types are matched case-insensitively in their current form
//! (`storage.googleapis.com/Bucket`) and in the legacy form of very old exports
//! (`google.cloud.storage.Bucket`); findings always carry the current form.

use std::borrow::Cow;

use demarc_sdk::{CheckDef, FindingBuilder};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{Flag, Labels, List, Text};

demarc_sdk::spelled_struct! {
    /// The envelope of one asset line.
    #[derive(Debug)]
    pub struct Asset<'a> {
        /// Full resource name, e.g. `//storage.googleapis.com/my-bucket`.
        pub name: Text<'a> = ["name"],
        /// `asset_type` (JSON form `assetType`).
        pub asset_type: Text<'a> = ["asset_type", "assetType"],
        /// The resource content, when the line has it.
        pub resource: Option<ResourceBody<'a>> = ["resource"],
        /// The IAM policy content (`iam_policy`, JSON form `iamPolicy`), when the line has it.
        pub iam_policy: Option<&'a RawValue> = ["iam_policy", "iamPolicy"],
        /// `projects/N`, `folders/N`, `organizations/N`, nearest first.
        pub ancestors: List<Text<'a>> = ["ancestors"],
        /// When the content was last updated (`update_time`, JSON form `updateTime`).
        pub update_time: Text<'a> = ["update_time", "updateTime"],
        /// `TemporalAsset.asset`: the asset itself, when this line is a temporal asset.
        pub asset: Option<&'a RawValue> = ["asset"],
        /// `TemporalAsset.deleted`.
        pub deleted: Flag = ["deleted"],
    }
}

/// `resource`: the service's own representation of the asset.
#[derive(Debug, Default, Deserialize)]
pub struct ResourceBody<'a> {
    /// The REST resource, camelCase as the service's API returns it.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    /// Region, zone, multi-region (`eu`) or `global`.
    #[serde(borrow, default)]
    pub location: Text<'a>,
    /// Full resource name of the parent, e.g. `//cloudresourcemanager.googleapis.com/projects/123`.
    #[serde(borrow, default)]
    pub parent: Text<'a>,
}

impl<'a> Asset<'a> {
    /// The asset inside a `TemporalAsset` line (`{"asset": {...}, "deleted": false}`), parsed
    /// from the same text; `None` when this line is a plain asset.
    pub fn temporal(&self) -> Option<Result<Asset<'a>, serde_json::Error>> {
        let raw = self.asset?;
        Some(serde_json::from_str(raw.get()))
    }

    /// The asset type as written (empty when absent).
    pub fn type_name(&self) -> &str {
        self.asset_type.get().map(str::trim).unwrap_or("")
    }

    /// The full resource name (`unknown` when absent).
    pub fn id(&self) -> &str {
        self.name.non_empty().unwrap_or("unknown")
    }

    /// The resource data, when the line has resource content.
    pub fn data(&self) -> Option<&'a RawValue> {
        self.resource
            .as_ref()
            .and_then(|r| r.data)
            .filter(|d| d.get() != "null")
    }

    /// Whether the line carries resource content.
    pub fn has_resource(&self) -> bool {
        self.data().is_some()
    }

    /// The account of the asset: the project number from `ancestors` (else from `parent`, else
    /// the project named in `name`); folders and organizations are their own account
    /// (`folders/N`, `organizations/N`).
    pub fn account(&self) -> Cow<'a, str> {
        for ancestor in self.ancestors.iter() {
            if let Some(a) = ancestor.non_empty()
                && let Some(n) = a.strip_prefix("projects/")
            {
                return owned_or_borrowed(&ancestor.0, n);
            }
        }
        if let Some(parent) = self.resource.as_ref().map(|r| &r.parent)
            && let Some(p) = parent.non_empty()
            && let Some(n) = after_segment(p, "projects/")
        {
            return owned_or_borrowed(&parent.0, n);
        }
        if let Some(n) = self.name.non_empty() {
            if let Some(p) = after_segment(n, "projects/") {
                return owned_or_borrowed(&self.name.0, p);
            }
            for scope in ["folders/", "organizations/"] {
                if let Some(i) = n.find(scope) {
                    let rest = &n[i..];
                    let end = rest[scope.len()..]
                        .find('/')
                        .map_or(rest.len(), |e| e + scope.len());
                    return Cow::Owned(rest[..end].to_string());
                }
            }
        }
        if let Some(first) = self.ancestors.iter().find_map(|a| a.non_empty()) {
            return Cow::Owned(first.to_string());
        }
        Cow::Borrowed("unknown")
    }

    /// The nearest project of the asset (`projects/N` in `ancestors`), as its number.
    pub fn project_number(&self) -> Option<&str> {
        self.ancestors
            .iter()
            .filter_map(|a| a.non_empty())
            .find_map(|a| a.strip_prefix("projects/"))
            .filter(|n| !n.is_empty())
    }

    /// The region: `resource.location`, else `global`.
    pub fn region(&self) -> Cow<'a, str> {
        match self.resource.as_ref().map(|r| &r.location) {
            Some(Text(Some(Cow::Borrowed(l)))) if !l.trim().is_empty() => {
                Cow::Borrowed((*l).trim())
            }
            Some(t) => match t.non_empty() {
                Some(l) => Cow::Owned(l.to_string()),
                None => Cow::Borrowed("global"),
            },
            None => Cow::Borrowed("global"),
        }
    }

    /// The subject of findings about this asset, of kind `kind`, with `labels`.
    pub fn subject(&self, kind: Kind, labels: Labels<'a>) -> Subject<'a> {
        let id: Cow<'a, str> = match &self.name.0 {
            Some(Cow::Borrowed(n)) if !n.trim().is_empty() => Cow::Borrowed((*n).trim()),
            Some(n) if !n.trim().is_empty() => Cow::Owned(n.trim().to_string()),
            _ => Cow::Borrowed("unknown"),
        };
        let name = match &id {
            Cow::Borrowed(id) => last_segment(id).map(Cow::Borrowed),
            Cow::Owned(id) => last_segment(id).map(|s| Cow::Owned(s.to_string())),
        };
        Subject {
            native_type: kind.native_type(self.type_name()),
            account: self.account(),
            region: self.region(),
            name,
            labels,
            observed_at: match &self.update_time.0 {
                Some(t) if !t.trim().is_empty() => Some(t.clone()),
                _ => None,
            },
            id,
        }
    }
}

fn owned_or_borrowed<'a>(source: &Option<Cow<'a, str>>, part: &str) -> Cow<'a, str> {
    // When `part` is a sub-slice of a borrowed `source`, hand out the borrowed slice (up to the
    // next `/`) instead of allocating.
    if let Some(Cow::Borrowed(s)) = source {
        let start = (part.as_ptr() as usize).checked_sub(s.as_ptr() as usize);
        if let Some(start) = start.filter(|st| st + part.len() <= s.len())
            && s.is_char_boundary(start)
            && s.is_char_boundary(start + part.len())
        {
            let slice = &s[start..start + part.len()];
            return Cow::Borrowed(slice.split('/').next().unwrap_or(slice));
        }
    }
    Cow::Owned(part.split('/').next().unwrap_or(part).to_string())
}

/// The text after the first `seg` in `s`, when non-empty.
fn after_segment<'s>(s: &'s str, seg: &str) -> Option<&'s str> {
    let i = s.find(seg)?;
    let rest = &s[i + seg.len()..];
    (!rest.is_empty() && !rest.starts_with('/')).then_some(rest)
}

/// The last `/`-separated segment of a resource name.
pub fn last_segment(name: &str) -> Option<&str> {
    name.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// The asset types this plugin reads, by their current and legacy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `storage.googleapis.com/Bucket`.
    Bucket,
    /// `compute.googleapis.com/Instance`.
    Instance,
    /// `compute.googleapis.com/Project` (project-wide instance metadata).
    ComputeProject,
    /// `compute.googleapis.com/Disk`.
    Disk,
    /// `compute.googleapis.com/Firewall`.
    Firewall,
    /// `sqladmin.googleapis.com/Instance`.
    SqlInstance,
    /// `cloudkms.googleapis.com/CryptoKey`.
    CryptoKey,
    /// `cloudkms.googleapis.com/KeyRing`.
    KeyRing,
    /// `cloudresourcemanager.googleapis.com/Project`.
    Project,
    /// `cloudresourcemanager.googleapis.com/Folder`.
    Folder,
    /// `cloudresourcemanager.googleapis.com/Organization`.
    Organization,
    /// `iam.googleapis.com/ServiceAccountKey`.
    ServiceAccountKey,
    /// `cloudfunctions.googleapis.com/CloudFunction` (1st gen, API v1).
    FunctionV1,
    /// `cloudfunctions.googleapis.com/Function` (2nd gen, API v2).
    FunctionV2,
    /// `run.googleapis.com/Service`.
    RunService,
    /// `logging.googleapis.com/LogSink`.
    LogSink,
    /// Any other type: read no further than the envelope.
    Other,
}

/// Current name, legacy names, kind.
const TYPES: &[(&str, &[&str], Kind)] = &[
    (
        "storage.googleapis.com/Bucket",
        &["google.cloud.storage.Bucket"],
        Kind::Bucket,
    ),
    (
        "compute.googleapis.com/Instance",
        &["google.compute.Instance"],
        Kind::Instance,
    ),
    (
        "compute.googleapis.com/Project",
        &["google.compute.Project"],
        Kind::ComputeProject,
    ),
    (
        "compute.googleapis.com/Disk",
        &["google.compute.Disk"],
        Kind::Disk,
    ),
    (
        "compute.googleapis.com/Firewall",
        &["google.compute.Firewall"],
        Kind::Firewall,
    ),
    (
        "sqladmin.googleapis.com/Instance",
        &["google.cloud.sql.Instance"],
        Kind::SqlInstance,
    ),
    (
        "cloudkms.googleapis.com/CryptoKey",
        &["google.cloud.kms.CryptoKey"],
        Kind::CryptoKey,
    ),
    (
        "cloudkms.googleapis.com/KeyRing",
        &["google.cloud.kms.KeyRing"],
        Kind::KeyRing,
    ),
    (
        "cloudresourcemanager.googleapis.com/Project",
        &["google.cloud.resourcemanager.Project"],
        Kind::Project,
    ),
    (
        "cloudresourcemanager.googleapis.com/Folder",
        &["google.cloud.resourcemanager.Folder"],
        Kind::Folder,
    ),
    (
        "cloudresourcemanager.googleapis.com/Organization",
        &["google.cloud.resourcemanager.Organization"],
        Kind::Organization,
    ),
    (
        "iam.googleapis.com/ServiceAccountKey",
        &["google.iam.ServiceAccountKey"],
        Kind::ServiceAccountKey,
    ),
    (
        "cloudfunctions.googleapis.com/CloudFunction",
        &["google.cloud.functions.CloudFunction"],
        Kind::FunctionV1,
    ),
    (
        "cloudfunctions.googleapis.com/Function",
        &["google.cloud.functions.Function"],
        Kind::FunctionV2,
    ),
    (
        "run.googleapis.com/Service",
        &["google.cloud.run.Service"],
        Kind::RunService,
    ),
    // Log sinks came to Cloud Asset Inventory after the legacy names were retired.
    ("logging.googleapis.com/LogSink", &[], Kind::LogSink),
];

/// Legacy names of types without checks, mapped so that findings-free types still read right
/// in logs and so that a legacy export is recognised as one.
const OTHER_LEGACY: &[(&str, &str)] = &[
    ("google.compute.Network", "compute.googleapis.com/Network"),
    (
        "google.compute.Subnetwork",
        "compute.googleapis.com/Subnetwork",
    ),
    ("google.compute.Address", "compute.googleapis.com/Address"),
    (
        "google.iam.ServiceAccount",
        "iam.googleapis.com/ServiceAccount",
    ),
    (
        "google.appengine.Application",
        "appengine.googleapis.com/Application",
    ),
    (
        "google.container.Cluster",
        "container.googleapis.com/Cluster",
    ),
    (
        "google.cloud.bigquery.Dataset",
        "bigquery.googleapis.com/Dataset",
    ),
    ("google.pubsub.Topic", "pubsub.googleapis.com/Topic"),
];

impl Kind {
    /// The kind of an asset type, current or legacy name, compared ignoring ASCII case.
    pub fn of(asset_type: &str) -> Kind {
        let t = asset_type.trim();
        for (current, legacy, kind) in TYPES {
            if current.eq_ignore_ascii_case(t) || legacy.iter().any(|l| l.eq_ignore_ascii_case(t)) {
                return *kind;
            }
        }
        Kind::Other
    }

    /// The current asset type name for findings (`written` for types without checks, mapped
    /// from its legacy name where known).
    pub fn native_type(self, written: &str) -> &'static str {
        if let Some((current, _, _)) = TYPES.iter().find(|(_, _, k)| *k == self) {
            return current;
        }
        let t = written.trim();
        OTHER_LEGACY
            .iter()
            .find(|(legacy, current)| {
                legacy.eq_ignore_ascii_case(t) || current.eq_ignore_ascii_case(t)
            })
            .map(|(_, current)| *current)
            .unwrap_or("other")
    }

    /// Whether `asset_type` is a legacy (`google.…`) name.
    pub fn is_legacy_name(asset_type: &str) -> bool {
        let t = asset_type.trim();
        t.len() > 7 && t[..7].eq_ignore_ascii_case("google.")
    }
}

/// The resource a finding is about, borrowed from an asset line or owned for findings decided at
/// the end of the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'a> {
    /// Full resource name.
    pub id: Cow<'a, str>,
    /// Current asset type.
    pub native_type: &'static str,
    /// Project number (or `folders/N`, `organizations/N`, a Workspace customer id).
    pub account: Cow<'a, str>,
    /// Location or `global`.
    pub region: Cow<'a, str>,
    /// Short name (project id, bucket name, instance name).
    pub name: Option<Cow<'a, str>>,
    /// Labels.
    pub labels: Labels<'a>,
    /// `update_time` of the line that described it.
    pub observed_at: Option<Cow<'a, str>>,
}

impl Subject<'_> {
    /// A readable label for messages: the short name, else the full name.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// Start a finding of `check` about this resource.
    pub fn finding(&self, check: &CheckDef) -> FindingBuilder {
        FindingBuilder::new(
            check,
            &self.account,
            &self.region,
            self.native_type,
            &self.id,
        )
        .name(self.name.as_deref())
        .tags(self.labels.iter())
        .observed_at(self.observed_at.as_deref())
    }

    /// An owned copy, for findings decided at the end of the scan.
    pub fn into_owned(self) -> Subject<'static> {
        Subject {
            id: Cow::Owned(self.id.into_owned()),
            native_type: self.native_type,
            account: Cow::Owned(self.account.into_owned()),
            region: Cow::Owned(self.region.into_owned()),
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            labels: self.labels.into_owned(),
            observed_at: self.observed_at.map(|t| Cow::Owned(t.into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT_LINE: &str = r#"{"name":"//storage.googleapis.com/nw-assets","asset_type":"storage.googleapis.com/Bucket","resource":{"version":"v1","discovery_document_uri":"https://www.googleapis.com/discovery/v1/apis/storage/v1/rest","discovery_name":"Bucket","parent":"//cloudresourcemanager.googleapis.com/projects/418203957711","data":{"name":"nw-assets"},"location":"eu"},"ancestors":["projects/418203957711","folders/3308124461","organizations/5581920374"],"update_time":"2026-10-30T07:12:40.551234Z"}"#;

    #[test]
    fn reads_the_export_envelope_borrowed() {
        let a: Asset<'_> = serde_json::from_str(EXPORT_LINE).unwrap();
        assert_eq!(Kind::of(a.type_name()), Kind::Bucket);
        assert!(matches!(a.account(), Cow::Borrowed("418203957711")));
        assert!(matches!(a.region(), Cow::Borrowed("eu")));
        assert_eq!(a.project_number(), Some("418203957711"));
        assert!(a.has_resource());
        assert!(a.iam_policy.is_none());
        let s = a.subject(Kind::Bucket, Labels::default());
        assert_eq!(s.id, "//storage.googleapis.com/nw-assets");
        assert_eq!(s.name.as_deref(), Some("nw-assets"));
        assert_eq!(s.native_type, "storage.googleapis.com/Bucket");
        assert_eq!(
            s.observed_at.as_deref(),
            Some("2026-10-30T07:12:40.551234Z")
        );
    }

    #[test]
    fn reads_the_json_names_of_list_and_search_output() {
        let json = r#"{"name":"//compute.googleapis.com/projects/p/global/firewalls/f","assetType":"compute.googleapis.com/Firewall",
            "resource":{"discoveryName":"Firewall","parent":"//cloudresourcemanager.googleapis.com/projects/77","data":{},"location":"global"},
            "updateTime":"2026-10-01T00:00:00Z","iamPolicy":{"bindings":[]}}"#;
        let a: Asset<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(Kind::of(a.type_name()), Kind::Firewall);
        assert_eq!(a.account(), "77", "from parent when no ancestors");
        assert!(a.iam_policy.is_some());
        assert_eq!(a.update_time.get(), Some("2026-10-01T00:00:00Z"));
    }

    #[test]
    fn accounts_without_ancestors_or_parent() {
        let a: Asset<'_> = serde_json::from_str(
            r#"{"name":"//compute.googleapis.com/projects/nw-sandbox/zones/z/instances/i","asset_type":"google.compute.Instance"}"#,
        )
        .unwrap();
        assert_eq!(a.account(), "nw-sandbox");
        assert_eq!(a.region(), "global");
        let f: Asset<'_> = serde_json::from_str(
            r#"{"name":"//cloudresourcemanager.googleapis.com/folders/3308124461","asset_type":"cloudresourcemanager.googleapis.com/Folder","ancestors":["folders/3308124461","organizations/1"]}"#,
        )
        .unwrap();
        assert_eq!(f.account(), "folders/3308124461");
        let none: Asset<'_> = serde_json::from_str(r#"{"asset_type":"x/Y"}"#).unwrap();
        assert_eq!(none.account(), "unknown");
        assert_eq!(none.id(), "unknown");
    }

    #[test]
    fn legacy_and_current_type_names() {
        for (name, kind) in [
            ("google.cloud.storage.Bucket", Kind::Bucket),
            ("google.compute.Firewall", Kind::Firewall),
            ("GOOGLE.COMPUTE.INSTANCE", Kind::Instance),
            ("google.cloud.sql.Instance", Kind::SqlInstance),
            ("google.cloud.resourcemanager.Project", Kind::Project),
            ("sqladmin.googleapis.com/Instance", Kind::SqlInstance),
            ("run.googleapis.com/Service", Kind::RunService),
            ("LOGGING.googleapis.com/logsink", Kind::LogSink),
            ("compute.googleapis.com/Network", Kind::Other),
        ] {
            assert_eq!(Kind::of(name), kind, "{name}");
        }
        assert_eq!(
            Kind::Firewall.native_type("google.compute.Firewall"),
            "compute.googleapis.com/Firewall"
        );
        assert_eq!(
            Kind::Other.native_type("google.compute.Network"),
            "compute.googleapis.com/Network"
        );
        assert!(Kind::is_legacy_name("google.compute.Disk"));
        assert!(!Kind::is_legacy_name("compute.googleapis.com/Disk"));
    }

    #[test]
    fn temporal_assets_unwrap() {
        let line = format!(
            r#"{{"window":{{"startTime":"2026-10-01T00:00:00Z"}},"deleted":true,"asset":{EXPORT_LINE}}}"#
        );
        let t: Asset<'_> = serde_json::from_str(&line).unwrap();
        assert!(t.deleted.is_true());
        let inner = t.temporal().unwrap().unwrap();
        assert_eq!(inner.id(), "//storage.googleapis.com/nw-assets");
        let plain: Asset<'_> = serde_json::from_str(EXPORT_LINE).unwrap();
        assert!(plain.temporal().is_none());
    }

    #[test]
    fn subjects_become_owned() {
        let a: Asset<'_> = serde_json::from_str(EXPORT_LINE).unwrap();
        let s = a.subject(Kind::Bucket, Labels::default());
        let owned: Subject<'static> = s.clone().into_owned();
        assert_eq!(owned, s);
        assert_eq!(owned.label(), "nw-assets");
    }

    #[test]
    fn every_spelling_of_the_envelope_at_once() {
        demarc_sdk::assert_every_spelling!(
            Asset<'_>,
            r#"{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket","iam_policy":{"bindings":[]},"update_time":"2026-01-01T00:00:00Z"}"#
        );
    }
}
