//! Google Security Command Center findings: what `gcloud scc findings list --format=json` writes
//! (a JSON array of `{"finding": {...}, "resource": {...}}`), or the API's page
//! (`{"listFindingsResults": [...], "nextPageToken": ...}`).
//!
//! The fields read: `finding.name`, `finding.category` (the check: `PUBLIC_BUCKET_ACL`,
//! `OPEN_FIREWALL`, ...), `finding.state` (`ACTIVE`, `INACTIVE`), `finding.resourceName` (the
//! resource's full name, `//storage.googleapis.com/BUCKET`), `finding.severity`,
//! `finding.mute`, `finding.findingClass`, `finding.description`, `finding.nextSteps`,
//! `finding.eventTime`, `finding.compliances[]` (`standard`, `version`, `ids`), and
//! `resource.name`, `resource.type`, `resource.projectName`, `resource.projectDisplayName`,
//! `resource.displayName`. Everything else is skipped unread.
//!
//! What a finding's state means for its verdict: an `ACTIVE` finding is a failure of its check
//! now. An `INACTIVE` one is not current — Security Command Center sets it when the problem was
//! fixed, when the resource was deleted, or when someone marked it so — and it says nothing of
//! the resource as it is: it is no verdict, skipped and counted in the target's `skipped`
//! (Security Command Center writes no finding for what passes). A muted finding (`mute` MUTED)
//! is still current: it keeps its verdict, with the mute in its message and evidence
//! (`tool.mute`), since another tool's mute is not a demarc suppression (those have an owner, a
//! reason and an expiry).

use std::borrow::Cow;

use serde::Deserialize;

use demarc_sdk::json::Text;
use demarc_sdk::scan::{Flow, Opened, Scan, Stream};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{Finding, InputError, ProblemKind, Resource, ScanError, Status};

use crate::{Cloud, Described, ImportFormat, ImportScan, at, ev, excerpt, severity};

/// One result of `gcloud scc findings list`.
#[derive(Debug, Deserialize)]
pub struct ListResult<'a> {
    /// The finding.
    #[serde(borrow, default)]
    pub finding: Option<SccFinding<'a>>,
    /// The resource it is about.
    #[serde(borrow, default)]
    pub resource: Option<SccResource<'a>>,
}

/// `finding`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SccFinding<'a> {
    /// `organizations/ORG/sources/SRC/findings/ID`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// The check (`PUBLIC_BUCKET_ACL`).
    #[serde(borrow, default)]
    pub category: Option<Cow<'a, str>>,
    /// `ACTIVE` or `INACTIVE` (no longer current: fixed, deleted or marked so).
    #[serde(borrow, default)]
    pub state: Option<Cow<'a, str>>,
    /// The resource's full name.
    #[serde(borrow, default)]
    pub resource_name: Option<Cow<'a, str>>,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`.
    #[serde(borrow, default)]
    pub severity: Option<Cow<'a, str>>,
    /// `MUTED`, `UNMUTED`, `UNDEFINED`.
    #[serde(borrow, default)]
    pub mute: Option<Cow<'a, str>>,
    /// `MISCONFIGURATION`, `THREAT`, `VULNERABILITY`, ...
    #[serde(borrow, default)]
    pub finding_class: Option<Cow<'a, str>>,
    /// What it found.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// How to fix it.
    #[serde(borrow, default)]
    pub next_steps: Option<Cow<'a, str>>,
    /// When it was observed (RFC 3339).
    #[serde(borrow, default)]
    pub event_time: Option<Cow<'a, str>>,
    /// The requirements it is cited for.
    #[serde(default)]
    pub compliances: Option<Vec<SccCompliance>>,
}

/// One of `finding.compliances[]`.
#[derive(Debug, Deserialize)]
pub struct SccCompliance {
    /// `cis`, `pci`, `nist`, `iso`, ...
    #[serde(default)]
    pub standard: Option<String>,
    /// `1.0`, `2.0`, ...
    #[serde(default)]
    pub version: Option<String>,
    /// Requirement ids.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

/// `resource`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SccResource<'a> {
    /// Its full name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// `google.cloud.storage.Bucket`, `google.compute.Firewall`, ...
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// The project's full name (`//cloudresourcemanager.googleapis.com/projects/NUMBER`).
    #[serde(borrow, default)]
    pub project_name: Option<Cow<'a, str>>,
    /// The project's id.
    #[serde(borrow, default)]
    pub project_display_name: Option<Cow<'a, str>>,
    /// The resource's short name.
    #[serde(borrow, default)]
    pub display_name: Option<Cow<'a, str>>,
}

/// A citation as the mapping reads it: `"<standard> <version>"` (or the standard alone) and ids.
pub fn citation(c: &SccCompliance) -> Option<(String, Vec<String>)> {
    let standard = c
        .standard
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    let ids: Vec<String> = c
        .ids
        .iter()
        .flatten()
        .filter(|i| !i.trim().is_empty())
        .cloned()
        .collect();
    if ids.is_empty() {
        return None;
    }
    let framework = match c
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => format!("{standard} {v}"),
        None => standard.to_string(),
    };
    Some((framework, ids))
}

/// The project id in a Google Cloud full resource name (`.../projects/P/...`).
fn project_of(name: &str) -> Option<&str> {
    let mut parts = name.split('/');
    while let Some(p) = parts.next() {
        if p == "projects" {
            return parts.next().filter(|p| !p.is_empty());
        }
    }
    None
}

/// The project number in a project's full name
/// (`//cloudresourcemanager.googleapis.com/projects/418203957711`): the account demarc's gcp
/// plugin names, so that a target's `accounts` holds both tools' findings.
pub fn project_number(project_name: &str) -> Option<&str> {
    let (_, n) = project_name
        .trim_end_matches('/')
        .rsplit_once("/projects/")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// Security Command Center's resource types (`resource.type`, the legacy names such as
/// `google.cloud.sql.Instance`) as Cloud Asset Inventory names them today, as demarc's gcp plugin
/// does: `instance` alone would be Compute Engine's or Cloud SQL's. Others are kept as written.
const TYPES: &[(&str, &str)] = &[
    (
        "google.cloud.storage.Bucket",
        "storage.googleapis.com/Bucket",
    ),
    ("google.compute.Instance", "compute.googleapis.com/Instance"),
    ("google.compute.Disk", "compute.googleapis.com/Disk"),
    ("google.compute.Firewall", "compute.googleapis.com/Firewall"),
    ("google.compute.Network", "compute.googleapis.com/Network"),
    (
        "google.compute.Subnetwork",
        "compute.googleapis.com/Subnetwork",
    ),
    ("google.compute.Project", "compute.googleapis.com/Project"),
    (
        "google.cloud.sql.Instance",
        "sqladmin.googleapis.com/Instance",
    ),
    (
        "google.cloud.kms.CryptoKey",
        "cloudkms.googleapis.com/CryptoKey",
    ),
    (
        "google.cloud.kms.KeyRing",
        "cloudkms.googleapis.com/KeyRing",
    ),
    (
        "google.iam.ServiceAccount",
        "iam.googleapis.com/ServiceAccount",
    ),
    (
        "google.iam.ServiceAccountKey",
        "iam.googleapis.com/ServiceAccountKey",
    ),
    (
        "google.cloud.resourcemanager.Project",
        "cloudresourcemanager.googleapis.com/Project",
    ),
    (
        "google.cloud.resourcemanager.Folder",
        "cloudresourcemanager.googleapis.com/Folder",
    ),
    (
        "google.cloud.resourcemanager.Organization",
        "cloudresourcemanager.googleapis.com/Organization",
    ),
    (
        "google.cloud.bigquery.Dataset",
        "bigquery.googleapis.com/Dataset",
    ),
    (
        "google.cloud.functions.CloudFunction",
        "cloudfunctions.googleapis.com/CloudFunction",
    ),
    ("google.logging.LogSink", "logging.googleapis.com/LogSink"),
];

/// The Cloud Asset Inventory name of a Security Command Center resource type.
pub fn asset_type(scc_type: &str) -> &str {
    TYPES
        .iter()
        .find(|(legacy, _)| legacy.eq_ignore_ascii_case(scc_type))
        .map_or(scc_type, |(_, current)| current)
}

/// The location in a full resource name (`.../zones/Z/...`, `.../regions/R/...`,
/// `.../locations/L/...`).
fn location_of(name: &str) -> Option<&str> {
    let mut parts = name.split('/');
    while let Some(p) = parts.next() {
        if matches!(p, "zones" | "regions" | "locations") {
            return parts.next().filter(|p| !p.is_empty());
        }
    }
    None
}

impl<C: Cloud> ImportScan<C> {
    /// Read one SCC findings export.
    pub(crate) fn read_scc(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let mut inactive = 0u64;
        let how = Stream {
            key: "listFindingsResults",
            empty: "no Security Command Center findings",
            not_an_array: None,
        };
        let read = scan.json_items(file, input.reader, how, |scan, item, _text| {
            let result: ListResult<'_> = match item.parse() {
                Ok(r) => r,
                Err(e) => {
                    scan.item_problem(InputError::at(file, e.line, e.column, e.message));
                    return Ok(Flow::Next);
                }
            };
            let Some(finding) = &result.finding else {
                if item.index == 0 {
                    let message = crate::tools::another_tools(item.bytes, ImportFormat::Scc)
                        .unwrap_or_else(|| {
                            format!(
                                "valid JSON but not Security Command Center findings: it looks like {}",
                                demarc_sdk::formats::describe_foreign(item.bytes, &OWN)
                            )
                        });
                    scan.unsupported(file, message)?;
                    return Ok(Flow::Stop);
                }
                scan.item_problem(at(file, item, "no `finding`".into()));
                return Ok(Flow::Next);
            };
            self.scc_item(scan, file, item, finding, result.resource.as_ref(), &mut inactive)?;
            Ok(Flow::Next)
        })?;
        if inactive > 0 {
            demarc_sdk::log::info(&format!(
                "{file}: {inactive} inactive finding(s) (`finding.state` INACTIVE) skipped: not current, no verdict"
            ));
        }
        if let Some(items) = &read
            && let Some((_, raw)) = items.fields().iter().find(|(k, _)| k == "nextPageToken")
            && serde_json::from_str::<Text<'_>>(raw)
                .ok()
                .is_some_and(|t| t.non_empty().is_some())
        {
            scan.record(
                ProblemKind::IncompleteInput,
                InputError::file(
                    file,
                    "one page of the findings: it ends with a `nextPageToken`, so Security \
                     Command Center holds more (what it holds was imported); export every page",
                ),
            );
        }
        Ok(())
    }

    fn scc_item(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        item: &Item<'_>,
        f: &SccFinding<'_>,
        resource: Option<&SccResource<'_>>,
        inactive: &mut u64,
    ) -> Result<(), ScanError> {
        let Some(category) = text(&f.category) else {
            scan.item_problem(at(
                file,
                item,
                "`finding.category` (the check) is missing".into(),
            ));
            return Ok(());
        };
        let raw_state = text(&f.state);
        let status = match raw_state {
            // An active finding is a failure of its check now.
            Some(s) if s.eq_ignore_ascii_case("ACTIVE") => Status::Fail,
            // An inactive one is not current (fixed, deleted or marked so): no verdict.
            Some(s) if s.eq_ignore_ascii_case("INACTIVE") => {
                *inactive += 1;
                scan.skipped();
                return Ok(());
            }
            Some(other) => {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "category `{}`: unknown `finding.state` `{}` (Security Command Center writes ACTIVE or INACTIVE)",
                        excerpt(category),
                        excerpt(other)
                    ),
                ));
                return Ok(());
            }
            None => {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "category `{}`: `finding.state` is missing",
                        excerpt(category)
                    ),
                ));
                return Ok(());
            }
        };
        let Some(resource_name) =
            text(&f.resource_name).or_else(|| resource.and_then(|r| text(&r.name)))
        else {
            scan.item_problem(at(
                file,
                item,
                format!(
                    "category `{}`: no resource id (`finding.resourceName`)",
                    excerpt(category)
                ),
            ));
            return Ok(());
        };
        let native_type =
            asset_type(resource.and_then(|r| text(&r.kind)).unwrap_or_default()).to_string();
        let check_id = self.learn(scan, "scc", category, || Described {
            title: category.to_string(),
            severity: severity(text(&f.severity)),
            rationale: text(&f.description).unwrap_or_default().to_string(),
            remediation: text(&f.next_steps).unwrap_or_default().to_string(),
            resource_types: (!native_type.is_empty())
                .then(|| native_type.clone())
                .into_iter()
                .collect(),
            citations: f
                .compliances
                .iter()
                .flatten()
                .filter_map(citation)
                .collect(),
        })?;
        let account = resource
            .and_then(|r| text(&r.project_name))
            .and_then(project_number)
            .or_else(|| resource.and_then(|r| text(&r.project_display_name)))
            .or_else(|| project_of(resource_name))
            .unwrap_or_default();
        let region = location_of(resource_name).unwrap_or("global");
        let muted = text(&f.mute).is_some_and(|m| m.eq_ignore_ascii_case("MUTED"));
        let description = text(&f.description).unwrap_or(category);
        let message = if muted {
            format!("{description} (muted in Security Command Center)")
        } else {
            description.to_string()
        };
        let mut evidence = vec![
            ev("tool", "scc"),
            ev("tool.check", category),
            ev("finding.state", raw_state.unwrap_or_default()),
        ];
        if let Some(name) = text(&f.name) {
            evidence.push(ev("finding.name", name));
        }
        if let Some(class) = text(&f.finding_class) {
            evidence.push(ev("finding.class", class));
        }
        if let Some(mute) = text(&f.mute) {
            evidence.push(ev("tool.mute", mute));
        }
        scan.emit([Finding {
            check_id,
            account: account.to_string(),
            region: region.to_string(),
            resource: Resource {
                id: resource_name.to_string(),
                native_type,
                name: resource
                    .and_then(|r| text(&r.display_name))
                    .map(str::to_string),
                tags: Vec::new(),
            },
            status,
            message,
            evidence,
            extra_controls: Vec::new(),
            observed_at: text(&f.event_time)
                .filter(|t| Timestamp::parse(t).is_some())
                .map(str::to_string),
        }])?;
        scan.resources(1);
        Ok(())
    }
}

const OWN: demarc_sdk::formats::Own = demarc_sdk::formats::Own {
    plugin: "importer",
    items: "Security Command Center findings",
    required: "`finding`",
    advice: "; `gcloud scc findings list --format=json` writes them",
};

fn text<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    crate::prowler::text(v)
}
