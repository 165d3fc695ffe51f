//! SARIF 2.1.0 logs from any tool (Checkov, Trivy, KICS and others write them): one run per
//! tool, each result a check of a rule on a location.
//!
//! The log is streamed run by run (`runs[]`), so memory is bounded by the largest run. The
//! fields read: `runs[].tool.driver` (`name`, `version`, `semanticVersion`, `rules[]` with `id`,
//! `name`, `shortDescription`, `fullDescription`, `help`, `defaultConfiguration.level`,
//! `properties.security-severity`), `runs[].results[]` (`ruleId`, `rule.id`, `ruleIndex`,
//! `level`, `kind`, `message.text`, `locations[]` with
//! `physicalLocation.artifactLocation.uri`, `physicalLocation.region.startLine` and
//! `logicalLocations[].fullyQualifiedName`/`name`, `suppressions[]` with `kind` and `status`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use demarc_sdk::scan::{Flow, Opened, Scan, Stream};
use demarc_sdk::stream::Item;
use demarc_sdk::{Finding, InputError, Resource, ScanError, Severity, Status};

use crate::{Cloud, Described, ImportFormat, ImportScan, at, ev, excerpt};

/// One run.
#[derive(Debug, Deserialize)]
pub struct Run {
    /// The tool.
    #[serde(default)]
    pub tool: Option<Tool>,
    /// Its results.
    #[serde(default)]
    pub results: Option<Vec<SarifResult>>,
}

/// `tool`.
#[derive(Debug, Deserialize)]
pub struct Tool {
    /// `driver`.
    #[serde(default)]
    pub driver: Option<Driver>,
}

/// `tool.driver`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `Checkov`, `Trivy`, ...
    #[serde(default)]
    pub name: Option<String>,
    /// Its version.
    #[serde(default)]
    pub version: Option<String>,
    /// Its version, semantically.
    #[serde(default)]
    pub semantic_version: Option<String>,
    /// The rules.
    #[serde(default)]
    pub rules: Option<Vec<Rule>>,
}

/// One of `rules[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The rule id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `shortDescription.text`.
    #[serde(default)]
    pub short_description: Option<Message>,
    /// `fullDescription.text`.
    #[serde(default)]
    pub full_description: Option<Message>,
    /// `help.text`.
    #[serde(default)]
    pub help: Option<Message>,
    /// `defaultConfiguration.level`.
    #[serde(default)]
    pub default_configuration: Option<Configuration>,
    /// `properties` (`security-severity`).
    #[serde(default)]
    pub properties: Option<BTreeMap<String, Value>>,
}

/// A `message`-like object.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// Its text.
    #[serde(default)]
    pub text: Option<String>,
}

/// `defaultConfiguration`.
#[derive(Debug, Deserialize)]
pub struct Configuration {
    /// `error`, `warning`, `note`, `none`.
    #[serde(default)]
    pub level: Option<String>,
}

/// One of `results[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id.
    #[serde(default)]
    pub rule_id: Option<String>,
    /// The rule, by reference.
    #[serde(default)]
    pub rule: Option<RuleRef>,
    /// The rule's index in `rules[]`.
    #[serde(default)]
    pub rule_index: Option<usize>,
    /// `error`, `warning`, `note`, `none`.
    #[serde(default)]
    pub level: Option<String>,
    /// `pass`, `fail`, `review`, `open`, `notApplicable`, `informational` (default `fail`).
    #[serde(default)]
    pub kind: Option<String>,
    /// What it says.
    #[serde(default)]
    pub message: Option<Message>,
    /// Where.
    #[serde(default)]
    pub locations: Option<Vec<Location>>,
    /// Suppressions.
    #[serde(default)]
    pub suppressions: Option<Vec<Suppression>>,
}

/// `rule`.
#[derive(Debug, Deserialize)]
pub struct RuleRef {
    /// The rule's id.
    #[serde(default)]
    pub id: Option<String>,
}

/// One of `locations[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file.
    #[serde(default)]
    pub physical_location: Option<PhysicalLocation>,
    /// The code or cloud objects.
    #[serde(default)]
    pub logical_locations: Option<Vec<LogicalLocation>>,
}

/// `physicalLocation`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// `artifactLocation.uri`.
    #[serde(default)]
    pub artifact_location: Option<ArtifactLocation>,
    /// `region.startLine`.
    #[serde(default)]
    pub region: Option<Region>,
}

/// `artifactLocation`.
#[derive(Debug, Deserialize)]
pub struct ArtifactLocation {
    /// The file's URI.
    #[serde(default)]
    pub uri: Option<String>,
}

/// `region`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// The first line.
    #[serde(default)]
    pub start_line: Option<u64>,
}

/// One of `logicalLocations[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    /// The full name (a cloud resource's id, or `aws_s3_bucket.assets`).
    #[serde(default)]
    pub fully_qualified_name: Option<String>,
    /// Its short name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One of `suppressions[]`.
#[derive(Debug, Deserialize)]
pub struct Suppression {
    /// `inSource`, `external`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `accepted`, `underReview`, `rejected`.
    #[serde(default)]
    pub status: Option<String>,
}

/// Whether a name is a cloud resource's (an ARN, an Azure resource id, a Google Cloud full
/// resource name or self link) rather than code's.
pub fn is_cloud_resource(name: &str) -> bool {
    name.starts_with("arn:")
        || name.to_ascii_lowercase().starts_with("/subscriptions/")
        || name.starts_with("//")
        || name.starts_with("https://www.googleapis.com/")
}

/// The resource of a result: a cloud resource named by a logical location; otherwise its file
/// location (`uri#logical name`, `uri:line` or `uri`).
pub fn resource_of(result: &SarifResult) -> Option<String> {
    let locations = result.locations.as_deref().unwrap_or_default();
    let logical = locations
        .iter()
        .flat_map(|l| l.logical_locations.iter().flatten())
        .filter_map(|l| nonempty(&l.fully_qualified_name).or_else(|| nonempty(&l.name)));
    let mut code = None;
    for name in logical {
        if is_cloud_resource(name) {
            return Some(name.to_string());
        }
        code.get_or_insert(name);
    }
    let physical = locations
        .iter()
        .find_map(|l| l.physical_location.as_ref())?;
    let uri = physical
        .artifact_location
        .as_ref()
        .and_then(|a| nonempty(&a.uri))?;
    Some(
        match (code, physical.region.as_ref().and_then(|r| r.start_line)) {
            (Some(code), _) => format!("{uri}#{code}"),
            (None, Some(line)) => format!("{uri}:{line}"),
            (None, None) => uri.to_string(),
        },
    )
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A tool's name as a check id prefix (`Checkov` → `checkov`).
fn tool_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "sarif".into()
    } else {
        out.into()
    }
}

fn severity_of(rule: Option<&Rule>, level: Option<&str>) -> Severity {
    let score = rule
        .and_then(|r| r.properties.as_ref())
        .and_then(|p| p.get("security-severity"))
        .and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
    match score {
        Some(s) if s >= 9.0 => Severity::Critical,
        Some(s) if s >= 7.0 => Severity::High,
        Some(s) if s >= 4.0 => Severity::Medium,
        Some(s) if s > 0.0 => Severity::Low,
        Some(_) => Severity::Info,
        None => match level {
            Some("error") => Severity::High,
            Some("warning") => Severity::Medium,
            Some("note") => Severity::Low,
            _ => Severity::Info,
        },
    }
}

impl<C: Cloud> ImportScan<C> {
    /// Read one SARIF log.
    pub(crate) fn read_sarif(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let how = Stream {
            key: "runs",
            empty: "no SARIF runs",
            not_an_array: None,
        };
        scan.json_items(file, input.reader, how, |scan, item, _text| {
            // A log without `runs` is read as one value: it is not SARIF.
            let first: Option<Value> = (item.index == 0)
                .then(|| serde_json::from_slice(item.bytes).ok())
                .flatten();
            if let Some(v) = &first
                && v.get("tool").is_none()
                && v.get("results").is_none()
            {
                let message = crate::tools::another_tools(item.bytes, ImportFormat::Sarif)
                    .unwrap_or_else(|| {
                        "valid JSON but not a SARIF log: it has no `runs` of a `tool` and its `results`"
                            .to_string()
                    });
                scan.unsupported(file, message)?;
                return Ok(Flow::Stop);
            }
            let run: Run = match item.parse() {
                Ok(r) => r,
                Err(e) => {
                    scan.item_problem(InputError::at(file, e.line, e.column, e.message));
                    return Ok(Flow::Next);
                }
            };
            self.sarif_run(scan, file, item, &run)?;
            Ok(Flow::Next)
        })?;
        Ok(())
    }

    fn sarif_run(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        item: &Item<'_>,
        run: &Run,
    ) -> Result<(), ScanError> {
        let driver = run.tool.as_ref().and_then(|t| t.driver.as_ref());
        let Some(name) = driver.and_then(|d| nonempty(&d.name)) else {
            scan.item_problem(at(
                file,
                item,
                "run without `tool.driver.name`: its tool is unknown".into(),
            ));
            return Ok(());
        };
        let tool = tool_name(name);
        let version = driver.and_then(|d| nonempty(&d.semantic_version).or(nonempty(&d.version)));
        let rules = driver.and_then(|d| d.rules.as_deref()).unwrap_or_default();
        for (n, result) in run.results.iter().flatten().enumerate() {
            let rule_id = nonempty(&result.rule_id)
                .or_else(|| result.rule.as_ref().and_then(|r| nonempty(&r.id)))
                .or_else(|| {
                    result
                        .rule_index
                        .and_then(|i| rules.get(i))
                        .and_then(|r| nonempty(&r.id))
                });
            let Some(rule_id) = rule_id else {
                scan.item_problem(at(
                    file,
                    item,
                    format!("{tool} result {n}: no rule id (`ruleId`, `rule.id` or `ruleIndex`)"),
                ));
                continue;
            };
            let rule = rules.iter().find(|r| r.id.as_deref() == Some(rule_id));
            let level = nonempty(&result.level).or_else(|| {
                rule.and_then(|r| r.default_configuration.as_ref())
                    .and_then(|c| nonempty(&c.level))
            });
            let kind = nonempty(&result.kind).unwrap_or("fail");
            let status = match kind {
                "fail" => Status::Fail,
                "pass" => Status::Pass,
                "notApplicable" => Status::NotApplicable,
                "review" | "open" => Status::Manual,
                "informational" => Status::Pass,
                other => {
                    scan.item_problem(at(
                        file,
                        item,
                        format!(
                            "{tool} result {n} (rule `{}`): unknown `kind` `{}` (SARIF 2.1.0 names pass, fail, review, open, notApplicable, informational)",
                            excerpt(rule_id),
                            excerpt(other)
                        ),
                    ));
                    continue;
                }
            };
            let Some(resource) = resource_of(result) else {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "{tool} result {n} (rule `{}`): no location (`locations[]` with a logical location or an artifact URI)",
                        excerpt(rule_id)
                    ),
                ));
                continue;
            };
            let describe = || {
                let text =
                    |m: Option<&Message>| m.and_then(|m| nonempty(&m.text)).map(str::to_string);
                Described {
                    title: text(rule.and_then(|r| r.short_description.as_ref()))
                        .or_else(|| rule.and_then(|r| nonempty(&r.name)).map(str::to_string))
                        .unwrap_or_else(|| rule_id.to_string()),
                    severity: severity_of(rule, level),
                    rationale: text(rule.and_then(|r| r.full_description.as_ref()))
                        .unwrap_or_default(),
                    remediation: text(rule.and_then(|r| r.help.as_ref())).unwrap_or_default(),
                    resource_types: Vec::new(),
                    citations: Vec::new(),
                }
            };
            let check_id = self.learn(scan, &tool, rule_id, describe)?;
            let mut evidence = vec![ev("tool", &tool)];
            if let Some(v) = version {
                evidence.push(ev("tool.version", v));
            }
            evidence.push(ev("tool.check", rule_id));
            evidence.push(ev("sarif.kind", kind));
            if let Some(level) = level {
                evidence.push(ev("sarif.level", level));
            }
            let suppressed = result
                .suppressions
                .iter()
                .flatten()
                .find(|s| s.status.as_deref() != Some("rejected"));
            if let Some(s) = suppressed {
                evidence.push(ev(
                    "tool.suppressed",
                    nonempty(&s.kind).unwrap_or("suppressed"),
                ));
            }
            let text = result
                .message
                .as_ref()
                .and_then(|m| nonempty(&m.text))
                .unwrap_or(rule_id);
            let message = if suppressed.is_some() {
                format!("{text} (suppressed in {tool})")
            } else {
                text.to_string()
            };
            scan.emit([Finding {
                check_id,
                account: String::new(),
                region: "global".to_string(),
                resource: Resource {
                    id: resource,
                    native_type: String::new(),
                    name: None,
                    tags: Vec::new(),
                },
                status,
                message,
                evidence,
                extra_controls: Vec::new(),
                observed_at: None,
            }])?;
            scan.resources(1);
        }
        Ok(())
    }
}
