//! Microsoft Defender for Cloud assessments as Azure Resource Graph exports them: the rows of
//! `securityresources | where type == "microsoft.security/assessments"`, as the Resource Graph
//! REST response (`{totalRecords, count, resultTruncated, data: [...]}`), the Azure CLI's
//! `az graph query` output (`{count, data, skip_token, total_records}`) or a bare array.
//!
//! The fields read: `id` (the assessed resource's id, then
//! `/providers/Microsoft.Security/assessments/<key>`), `name` (the assessment key, a GUID: the
//! recommendation), `type`, `subscriptionId`, `location`, and under `properties`:
//! `displayName`, `status.code` (`Healthy`, `Unhealthy`, `NotApplicable`), `status.cause`,
//! `status.description`, `resourceDetails` (`Source`, `Id`, `ResourceId`, `ResourceProvider`,
//! `ResourceType`),
//! `metadata` (`displayName`, `severity`, `description`, `remediationDescription`). Everything
//! else is skipped unread.

use std::borrow::Cow;

use serde::Deserialize;

use demarc_sdk::json::Text;
use demarc_sdk::scan::{Flow, Opened, Scan, Stream};
use demarc_sdk::stream::Item;
use demarc_sdk::{Finding, InputError, ProblemKind, Resource, ScanError, Status};

use crate::{Cloud, Described, ImportFormat, ImportScan, at, ev, excerpt, severity};

/// The Resource Graph type of an assessment row.
pub const ASSESSMENTS: &str = "microsoft.security/assessments";
/// What separates the assessed resource's id from the assessment's in a row's `id`.
const ASSESSMENT_SEGMENT: &str = "/providers/microsoft.security/assessments/";

/// One assessment row, with the strings borrowed from the input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentRow<'a> {
    /// `<resource id>/providers/Microsoft.Security/assessments/<key>`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// The assessment key.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// `microsoft.security/assessments`.
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// The subscription.
    #[serde(borrow, default)]
    pub subscription_id: Option<Cow<'a, str>>,
    /// Usually empty for assessments.
    #[serde(borrow, default)]
    pub location: Option<Cow<'a, str>>,
    /// The assessment.
    #[serde(borrow, default)]
    pub properties: Option<Properties<'a>>,
}

/// `properties`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties<'a> {
    /// The recommendation's title.
    #[serde(borrow, default)]
    pub display_name: Option<Cow<'a, str>>,
    /// The result.
    #[serde(borrow, default)]
    pub status: Option<AssessmentStatus<'a>>,
    /// The assessed resource.
    #[serde(borrow, default)]
    pub resource_details: Option<ResourceDetails<'a>>,
    /// The recommendation's metadata.
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
}

/// `properties.status`.
#[derive(Debug, Deserialize)]
pub struct AssessmentStatus<'a> {
    /// `Healthy`, `Unhealthy`, `NotApplicable`.
    #[serde(borrow, default)]
    pub code: Option<Cow<'a, str>>,
    /// Why (`OffByPolicy`, `Exempt`, ...).
    #[serde(borrow, default)]
    pub cause: Option<Cow<'a, str>>,
    /// In words.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
}

/// `properties.resourceDetails` (Defender capitalises its fields).
#[derive(Debug, Deserialize)]
pub struct ResourceDetails<'a> {
    /// `Azure`, `OnPremise`, `OnPremiseSql`, `Aws`, `Gcp`, ...
    #[serde(borrow, default, rename = "Source", alias = "source")]
    pub source: Option<Cow<'a, str>>,
    /// The assessed resource's id.
    #[serde(borrow, default, rename = "Id", alias = "id")]
    pub id: Option<Cow<'a, str>>,
    /// The same, in some API versions.
    #[serde(borrow, default, rename = "ResourceId", alias = "resourceId")]
    pub resource_id: Option<Cow<'a, str>>,
    /// Its type, when given: the type alone (`vaults`) beside `ResourceProvider`, or whole.
    #[serde(borrow, default, rename = "ResourceType", alias = "resourceType")]
    pub resource_type: Option<Cow<'a, str>>,
    /// Its resource provider (`Microsoft.KeyVault`), when given.
    #[serde(
        borrow,
        default,
        rename = "ResourceProvider",
        alias = "resourceProvider"
    )]
    pub resource_provider: Option<Cow<'a, str>>,
}

/// The assessed resource's type as Resource Graph writes it (`microsoft.keyvault/vaults`): from
/// its id, else `resourceDetails` (`ResourceProvider` and `ResourceType`, which alone is
/// ambiguous: `vaults` are Key Vault's and Recovery Services').
pub fn assessed_type(resource_id: &str, details: Option<&ResourceDetails<'_>>) -> String {
    let from_id = resource_type(resource_id);
    if !from_id.is_empty() {
        return from_id;
    }
    let kind = details
        .and_then(|d| text(&d.resource_type))
        .unwrap_or_default();
    match details.and_then(|d| text(&d.resource_provider)) {
        Some(provider) if !kind.is_empty() && !kind.contains('/') => {
            format!("{provider}/{kind}").to_ascii_lowercase()
        }
        _ => kind.to_ascii_lowercase(),
    }
}

/// `properties.metadata`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata<'a> {
    /// The recommendation's title.
    #[serde(borrow, default)]
    pub display_name: Option<Cow<'a, str>>,
    /// `Low`, `Medium`, `High`.
    #[serde(borrow, default)]
    pub severity: Option<Cow<'a, str>>,
    /// What it checks.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// How to fix it.
    #[serde(borrow, default)]
    pub remediation_description: Option<Cow<'a, str>>,
}

/// The assessed resource's id in an assessment's `id` (the part before
/// `/providers/Microsoft.Security/assessments/`, compared ignoring case).
pub fn assessed_resource(assessment_id: &str) -> Option<&str> {
    let at = assessment_id
        .to_ascii_lowercase()
        .rfind(ASSESSMENT_SEGMENT)?;
    let resource = &assessment_id[..at];
    (!resource.is_empty()).then_some(resource)
}

/// The type of an Azure resource id, lower-cased as Resource Graph writes it
/// (`microsoft.storage/storageaccounts`); a subscription's is `microsoft.resources/subscriptions`.
pub fn resource_type(resource_id: &str) -> String {
    let lower = resource_id.to_ascii_lowercase();
    let Some(at) = lower.rfind("/providers/") else {
        return if lower.trim_end_matches('/').matches('/').count() == 2 {
            "microsoft.resources/subscriptions".to_string()
        } else {
            String::new()
        };
    };
    let parts: Vec<&str> = lower[at + "/providers/".len()..].split('/').collect();
    // namespace / type / name [/ child type / child name ...]
    let mut kind = parts.first().copied().unwrap_or_default().to_string();
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i % 2 == 1 {
            kind.push('/');
            kind.push_str(p);
        }
    }
    kind
}

/// The subscription of an Azure resource id.
fn subscription_of(resource_id: &str) -> Option<&str> {
    let mut parts = resource_id.trim_start_matches('/').split('/');
    (parts.next()?.eq_ignore_ascii_case("subscriptions"))
        .then(|| parts.next())
        .flatten()
        .filter(|s| !s.is_empty())
}

impl<C: Cloud> ImportScan<C> {
    /// Read one Resource Graph export of Defender assessments.
    pub(crate) fn read_defender(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let mut other_sources: std::collections::BTreeMap<String, u64> = Default::default();
        let how = Stream {
            key: "data",
            empty: "no Defender for Cloud assessments",
            not_an_array: None,
        };
        let read = scan.json_items(file, input.reader, how, |scan, item, _text| {
            let row: AssessmentRow<'_> = match item.parse() {
                Ok(r) => r,
                Err(e) => {
                    scan.item_problem(InputError::at(file, e.line, e.column, e.message));
                    return Ok(Flow::Next);
                }
            };
            let kind = text(&row.kind).unwrap_or_default();
            if !kind.eq_ignore_ascii_case(ASSESSMENTS) {
                if item.index == 0 {
                    let message = crate::tools::another_tools(item.bytes, ImportFormat::Defender)
                        .unwrap_or_else(|| {
                            let what = if kind.is_empty() {
                                demarc_sdk::formats::describe_foreign(item.bytes, &OWN)
                            } else {
                                format!(
                                    "Resource Graph rows of type `{}` (the azure plugin reads resources)",
                                    excerpt(kind)
                                )
                            };
                            format!(
                                "valid JSON but not Defender for Cloud assessments (`type` {ASSESSMENTS}): it looks like {what}"
                            )
                        });
                    scan.unsupported(file, message)?;
                    return Ok(Flow::Stop);
                }
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "`type` is `{}`, not {ASSESSMENTS}",
                        excerpt(if kind.is_empty() { "missing" } else { kind })
                    ),
                ));
                return Ok(Flow::Next);
            }
            self.defender_row(scan, file, item, &row, &mut other_sources)?;
            Ok(Flow::Next)
        })?;
        if let Some(items) = &read
            && let Some(why) = incompleteness(items.fields(), items.count())
        {
            scan.record(
                ProblemKind::IncompleteInput,
                InputError::file(
                    file,
                    format!("{why}: the assessments it holds were imported; export every page"),
                ),
            );
        }
        for (source, n) in other_sources {
            demarc_sdk::log::info(&format!(
                "{file}: {n} assessment(s) of {source} resources skipped: an azure target imports Azure resources' assessments"
            ));
        }
        Ok(())
    }

    fn defender_row(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        item: &Item<'_>,
        row: &AssessmentRow<'_>,
        other_sources: &mut std::collections::BTreeMap<String, u64>,
    ) -> Result<(), ScanError> {
        let props = row.properties.as_ref();
        let details = props.and_then(|p| p.resource_details.as_ref());
        if let Some(source) = details.and_then(|d| text(&d.source))
            && !source.eq_ignore_ascii_case("Azure")
        {
            *other_sources.entry(source.to_string()).or_default() += 1;
            scan.skipped();
            return Ok(());
        }
        let id = text(&row.id);
        let key = text(&row.name).or_else(|| {
            id.and_then(|id| {
                let lower = id.to_ascii_lowercase();
                lower
                    .rfind(ASSESSMENT_SEGMENT)
                    .map(|at| &id[at + ASSESSMENT_SEGMENT.len()..])
            })
            .filter(|k| !k.is_empty())
        });
        let Some(key) = key else {
            scan.item_problem(at(
                file,
                item,
                "no assessment key (`name`, or the end of `id`)".into(),
            ));
            return Ok(());
        };
        let raw_status = props
            .and_then(|p| p.status.as_ref())
            .and_then(|s| text(&s.code));
        let status = match raw_status {
            Some(s) if s.eq_ignore_ascii_case("Healthy") => Status::Pass,
            Some(s) if s.eq_ignore_ascii_case("Unhealthy") => Status::Fail,
            Some(s) if s.eq_ignore_ascii_case("NotApplicable") => Status::NotApplicable,
            Some(other) => {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "assessment `{}`: unknown `properties.status.code` `{}` (Defender for Cloud writes Healthy, Unhealthy or NotApplicable)",
                        excerpt(key),
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
                        "assessment `{}`: `properties.status.code` is missing",
                        excerpt(key)
                    ),
                ));
                return Ok(());
            }
        };
        let resource_id = details
            .and_then(|d| text(&d.id).or_else(|| text(&d.resource_id)))
            .or_else(|| id.and_then(assessed_resource));
        let Some(resource_id) = resource_id else {
            scan.item_problem(at(
                file,
                item,
                format!(
                    "assessment `{}`: no resource id (`properties.resourceDetails.Id`, or `id` before /providers/Microsoft.Security/assessments/)",
                    excerpt(key)
                ),
            ));
            return Ok(());
        };
        let meta = props.and_then(|p| p.metadata.as_ref());
        let title = props
            .and_then(|p| text(&p.display_name))
            .or_else(|| meta.and_then(|m| text(&m.display_name)))
            .unwrap_or(key);
        let native_type = assessed_type(resource_id, details);
        let check_id = self.learn(scan, "defender", key, || Described {
            title: title.to_string(),
            severity: severity(meta.and_then(|m| text(&m.severity))),
            rationale: meta
                .and_then(|m| text(&m.description))
                .unwrap_or_default()
                .to_string(),
            remediation: meta
                .and_then(|m| text(&m.remediation_description))
                .unwrap_or_default()
                .to_string(),
            resource_types: vec![native_type.clone()],
            citations: Vec::new(),
        })?;
        let account = text(&row.subscription_id)
            .or_else(|| subscription_of(resource_id))
            .unwrap_or_default();
        let region = text(&row.location).unwrap_or("global");
        let status_of = props.and_then(|p| p.status.as_ref());
        let message = status_of
            .and_then(|s| text(&s.description))
            .map_or_else(|| title.to_string(), |d| format!("{title}: {d}"));
        let mut evidence = vec![
            ev("tool", "defender"),
            ev("tool.check", key),
            ev("status.code", raw_status.unwrap_or_default()),
        ];
        if let Some(cause) = status_of.and_then(|s| text(&s.cause)) {
            evidence.push(ev("status.cause", cause));
        }
        scan.emit([Finding {
            check_id,
            account: account.to_string(),
            region: region.to_string(),
            resource: Resource {
                id: resource_id.to_string(),
                native_type,
                name: resource_id
                    .rsplit('/')
                    .next()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
                tags: Vec::new(),
            },
            status,
            message,
            evidence,
            extra_controls: Vec::new(),
            observed_at: None,
        }])?;
        scan.resources(1);
        Ok(())
    }
}

/// Why a Resource Graph wrapper says it holds only part of the result, if it does.
fn incompleteness(fields: &[(String, String)], count: u64) -> Option<String> {
    let value = |name: &str| -> Option<String> {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, raw)| serde_json::from_str::<Text<'_>>(raw).ok())
            .and_then(|t| t.non_empty().map(str::to_string))
    };
    let mut reasons = Vec::new();
    if let Some(t) = value("resultTruncated").filter(|t| t.eq_ignore_ascii_case("true")) {
        reasons.push(format!(
            "the Resource Graph result is truncated (resultTruncated \"{t}\")"
        ));
    }
    for token in ["skipToken", "skip_token", "$skipToken"] {
        if value(token).is_some() {
            reasons.push(format!("more pages follow (`{token}` is set)"));
        }
    }
    for total in ["totalRecords", "total_records"] {
        if let Some(n) = value(total).and_then(|t| t.parse::<u64>().ok())
            && n > count
        {
            reasons.push(format!("{total} is {n} but the file holds {count} row(s)"));
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

const OWN: demarc_sdk::formats::Own = demarc_sdk::formats::Own {
    plugin: "importer",
    items: "Defender for Cloud assessments",
    required: "`type` microsoft.security/assessments",
    advice: "; query `securityresources | where type == \"microsoft.security/assessments\"`",
};

fn text<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    crate::prowler::text(v)
}
