//! The evaluation of tools over one estate (`demarc evaluate`): which tools assessed each
//! control of each resource and with what verdict, where they agree, where they contradict each
//! other, what only one tool sees, what no tool covers, and how much of each framework in scope
//! each tool covers.
//!
//! It reads what a report already holds — findings (fused across tools or not, see
//! [`crate::fuse`]) and the control roll-up's rows, the framework requirements in scope — and is
//! built incrementally: [`Evaluator::frame`] takes each report's rows and gaps,
//! [`Evaluator::finding`] each finding as it streams past, [`Evaluator::finish`] the result.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fuse::{Verdict, contradicts, status_rank, tool_of};
use crate::identity::{Hint, resource_key};
use crate::rollup::{ControlRow, RollupStatus};
use crate::{Finding, Status, UnmappedFinding};

/// The version of the evaluation format written in `schema`.
pub const EVALUATION_SCHEMA: &str = "demarc.evaluation/0.1";

/// A whole evaluation: `evaluation.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Evaluation format version, `demarc.evaluation/0.1`.
    pub schema: String,
    /// The reports evaluated, as named on the command line.
    pub reports: Vec<String>,
    /// The tools met in them.
    pub tools: Vec<ToolRecord>,
    /// The counts, contradictions first.
    pub summary: EvaluationSummary,
    /// Every (tenant, resource, control) where one tool passes what another fails: each tool's
    /// verdict with its evidence. Listed first, since these are where the tools must be looked at.
    pub contradictions: Vec<Assessment>,
    /// Every other (tenant, resource, control) assessed: by several tools that agree or differ
    /// without contradicting each other (e.g. pass and manual), or by one tool alone.
    pub assessments: Vec<Assessment>,
    /// Per tenant and framework in scope, how many of its requirements each tool covers.
    pub coverage: Vec<FrameworkCoverage>,
    /// Per tenant, the catalog controls of the frameworks in scope that no tool assessed.
    pub uncovered: Vec<UncoveredControl>,
    /// Tool checks that map to no catalog control: their findings are not in the report.
    pub unmapped: Vec<UnmappedCheck>,
}

/// A tool met in the evaluated reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolRecord {
    /// Tool name (`demarc`, `prowler`, ...).
    pub name: String,
    /// The versions its findings state.
    pub versions: Vec<String>,
    /// The plugins that produced its findings.
    pub plugins: Vec<String>,
    /// Its verdicts.
    pub verdicts: u64,
    /// Of them, failing.
    pub failing: u64,
}

/// The evaluation's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSummary {
    /// Assessments where one tool passes what another fails.
    pub contradictions: u64,
    /// Assessments by several tools that all say the same.
    pub agreements: u64,
    /// Assessments by several tools that differ without contradicting (e.g. pass and manual).
    pub differing: u64,
    /// Assessments by one tool alone, by tool.
    pub single_tool: BTreeMap<String, u64>,
    /// Every (tenant, resource, control) assessed.
    pub assessments: u64,
    /// Catalog controls in scope that no tool assessed, over all tenants.
    pub uncovered_controls: u64,
    /// Tool checks that map to no catalog control.
    pub unmapped_checks: u64,
}

/// How the tools' verdicts on one assessment relate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// One tool passes, another fails.
    Contradiction,
    /// Several tools, one status.
    Agreement,
    /// Several tools, different statuses but not pass against fail.
    Differing,
    /// One tool alone.
    SingleTool,
}

impl Outcome {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Contradiction => "contradiction",
            Outcome::Agreement => "agreement",
            Outcome::Differing => "differing",
            Outcome::SingleTool => "single-tool",
        }
    }
}

/// One control of one resource of one tenant, and what each tool said about it. A tool's
/// verdict on the control is its most severe one (fail closed): the tools contradict each other
/// when one of them passes the control and another fails it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Tenant id.
    pub tenant: String,
    /// Provider id.
    pub provider: String,
    /// The resource, as demarc names it.
    pub resource: String,
    /// Its native type.
    pub resource_type: String,
    /// The catalog control (the findings' primary control).
    pub control: String,
    /// The tenant's framework requirements the control crosswalks to, `framework/requirement`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// How the verdicts relate.
    pub outcome: Outcome,
    /// The most severe verdict's status (fail closed).
    pub status: Status,
    /// Each tool's verdict.
    pub verdicts: Vec<Verdict>,
}

/// How much of one framework one tool covers for one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkCoverage {
    /// Tenant id.
    pub tenant: String,
    /// Framework id.
    pub framework: String,
    /// Requirements of the framework in scope for the tenant.
    pub requirements: u64,
    /// Requirements no tool has a finding for.
    pub uncovered: u64,
    /// Per tool: requirements with at least one of its findings.
    pub tools: Vec<ToolCoverage>,
}

/// One tool's share of a framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolCoverage {
    /// Tool name.
    pub tool: String,
    /// Requirements with at least one finding of the tool.
    pub covered: u64,
    /// `covered` over the framework's requirements, in percent (one decimal).
    pub percent: f64,
}

/// A catalog control in scope that no tool assessed for a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UncoveredControl {
    /// Tenant id.
    pub tenant: String,
    /// Catalog control id.
    pub control: String,
    /// The requirements that rest on it, `framework/requirement (roll-up status)`.
    pub requirements: Vec<String>,
}

/// A tool check that maps to no catalog control: the findings the run kept of it
/// (`report.unmapped`), counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmappedCheck {
    /// Tenant id.
    pub tenant: String,
    /// Target that imported it.
    pub target: String,
    /// The tool (`tool` evidence), or the importer plugin when the findings do not name it.
    pub tool: String,
    /// The tool's own check id (`tool.check` evidence), or demarc's id of it.
    pub check: String,
    /// The check's title, as the tool's output gives it.
    pub title: String,
    /// Its findings, and of them the failing ones.
    pub findings: u64,
    /// Of them, failing.
    pub failing: u64,
}

type Key = (String, String, String, String);

/// Of one tool check that maps to no control: its title, the ids of its findings and of the
/// failing ones.
type UnmappedTally = (String, BTreeSet<String>, BTreeSet<String>);

/// Builds an [`Evaluation`] from reports read one after another.
#[derive(Debug, Default)]
pub struct Evaluator {
    reports: Vec<String>,
    rows: BTreeMap<(String, String, String), ControlRow>,
    /// (tenant, provider, resource key, control) → (resource type, verdicts).
    groups: BTreeMap<Key, (String, Vec<Verdict>)>,
    /// tool → (versions, plugins, verdicts, failing).
    tools: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, u64, u64)>,
    /// (tenant, target, tool, tool check) → (title, finding ids, failing ids): a finding met in
    /// two reports counts once.
    unmapped: BTreeMap<Key, UnmappedTally>,
}

impl Evaluator {
    /// A new, empty evaluation.
    pub fn new() -> Evaluator {
        Evaluator::default()
    }

    /// Take a report's name, control roll-up rows and the findings it kept of tool checks that
    /// map to no control (before or after its findings).
    pub fn frame(&mut self, name: &str, rows: &[ControlRow], unmapped: &[UnmappedFinding]) {
        self.reports.push(name.to_string());
        for r in rows {
            self.rows
                .entry((r.tenant.clone(), r.framework.clone(), r.requirement.clone()))
                .or_insert_with(|| r.clone());
        }
        for f in unmapped {
            let tool = f.evidence("tool").unwrap_or(&f.source.plugin).to_string();
            let check = f.evidence("tool.check").unwrap_or(&f.check.id).to_string();
            let (_, all, failing) = self
                .unmapped
                .entry((f.tenant.clone(), f.target.clone(), tool, check))
                .or_insert_with(|| (f.check.title.clone(), BTreeSet::new(), BTreeSet::new()));
            all.insert(f.id.clone());
            if f.status == Status::Fail {
                failing.insert(f.id.clone());
            }
        }
    }

    /// Take one finding (with what the report's tables hold filled in).
    pub fn finding(&mut self, f: &Finding) {
        let Some(control) = f.controls.first() else {
            return;
        };
        let hint = Hint {
            kind: Some(&f.resource.native_type),
            account: Some(&f.account),
            region: Some(&f.region),
        };
        let key = resource_key(&f.provider, &f.resource.id, &hint)
            .unwrap_or_else(|| f.resource.id.clone());
        let verdicts = if f.verdicts.is_empty() {
            let (tool, version, check) = tool_of(f);
            vec![Verdict {
                tool: tool.to_string(),
                version: version.to_string(),
                check: check.to_string(),
                finding: f.id.clone(),
                declared_as: f.check.id.clone(),
                plugin: f.source.plugin.clone(),
                status: f.status,
                severity: f.check.severity,
                message: f.message.clone(),
                evidence: f.evidence.clone(),
            }]
        } else {
            f.verdicts.clone()
        };
        let (_, held) = self
            .groups
            .entry((f.tenant.clone(), f.provider.clone(), key, control.clone()))
            .or_insert_with(|| (f.resource.native_type.clone(), Vec::new()));
        for v in verdicts {
            // The same finding read twice (one report named twice, or two of one run) counts once.
            if held
                .iter()
                .any(|h| h.finding == v.finding && h.tool == v.tool)
            {
                continue;
            }
            let t = self.tools.entry(v.tool.clone()).or_default();
            if !v.version.is_empty() {
                t.0.insert(v.version.clone());
            }
            t.1.insert(v.plugin.clone());
            t.2 += 1;
            t.3 += u64::from(v.status == Status::Fail);
            held.push(v);
        }
    }

    /// The evaluation.
    pub fn finish(self) -> Evaluation {
        // tenant → control → requirements resting on it.
        let mut by_control: BTreeMap<&str, BTreeMap<&str, Vec<&ControlRow>>> = BTreeMap::new();
        for row in self.rows.values() {
            for c in &row.controls {
                by_control
                    .entry(&row.tenant)
                    .or_default()
                    .entry(c)
                    .or_default()
                    .push(row);
            }
        }
        let mut summary = EvaluationSummary::default();
        let (mut contradictions, mut assessments) = (Vec::new(), Vec::new());
        // tenant → tool → (controls, declared checks) it assessed.
        type Seen<'a> = BTreeMap<&'a str, (BTreeSet<&'a str>, BTreeSet<&'a str>)>;
        let mut seen: BTreeMap<&str, Seen<'_>> = BTreeMap::new();
        for ((tenant, provider, resource, control), (kind, verdicts)) in &self.groups {
            let tools: BTreeSet<&str> = verdicts.iter().map(|v| v.tool.as_str()).collect();
            for v in verdicts {
                let s = seen
                    .entry(tenant)
                    .or_default()
                    .entry(v.tool.as_str())
                    .or_default();
                s.0.insert(control.as_str());
                s.1.insert(v.declared_as.as_str());
            }
            // Each tool's verdict on the control of the resource: its most severe (a tool with
            // two checks of one control, one failing, says the control is not met).
            let per_tool: Vec<Status> = tools
                .iter()
                .filter_map(|t| {
                    verdicts
                        .iter()
                        .filter(|v| v.tool == *t)
                        .map(|v| v.status)
                        .max_by_key(|s| status_rank(*s))
                })
                .collect();
            let outcome = if tools.len() < 2 {
                Outcome::SingleTool
            } else if contradicts(per_tool.iter().copied()) {
                Outcome::Contradiction
            } else if per_tool.iter().all(|s| *s == per_tool[0]) {
                Outcome::Agreement
            } else {
                Outcome::Differing
            };
            let status = verdicts
                .iter()
                .map(|v| v.status)
                .max_by_key(|s| status_rank(*s))
                .unwrap_or(Status::NotApplicable);
            let requirements = by_control
                .get(tenant.as_str())
                .and_then(|m| m.get(control.as_str()))
                .map(|rows| {
                    rows.iter()
                        .map(|r| format!("{}/{}", r.framework, r.requirement))
                        .collect()
                })
                .unwrap_or_default();
            let a = Assessment {
                tenant: tenant.clone(),
                provider: provider.clone(),
                resource: resource.clone(),
                resource_type: kind.clone(),
                control: control.clone(),
                requirements,
                outcome,
                status,
                verdicts: verdicts.clone(),
            };
            summary.assessments += 1;
            match outcome {
                Outcome::Contradiction => {
                    summary.contradictions += 1;
                    contradictions.push(a);
                }
                Outcome::Agreement => {
                    summary.agreements += 1;
                    assessments.push(a);
                }
                Outcome::Differing => {
                    summary.differing += 1;
                    assessments.push(a);
                }
                Outcome::SingleTool => {
                    if let Some(t) = tools.first() {
                        *summary.single_tool.entry(t.to_string()).or_default() += 1;
                    }
                    assessments.push(a);
                }
            }
        }

        // Coverage per tenant, framework and tool.
        let tool_names: Vec<&str> = self.tools.keys().map(String::as_str).collect();
        let mut frameworks: BTreeMap<(&str, &str), Vec<&ControlRow>> = BTreeMap::new();
        for row in self.rows.values() {
            frameworks
                .entry((&row.tenant, &row.framework))
                .or_default()
                .push(row);
        }
        let covers = |tenant: &str, tool: &str, row: &ControlRow| -> bool {
            let Some((controls, checks)) = seen.get(tenant).and_then(|s| s.get(tool)) else {
                return false;
            };
            if row.checks.is_empty() {
                row.controls.iter().any(|c| controls.contains(c.as_str()))
            } else {
                // A benchmark requirement counts only the checks that test it.
                row.checks.iter().any(|c| checks.contains(c.as_str()))
            }
        };
        let mut coverage = Vec::new();
        for ((tenant, framework), rows) in &frameworks {
            let total = rows.len() as u64;
            let uncovered = rows
                .iter()
                .filter(|r| !tool_names.iter().any(|t| covers(tenant, t, r)))
                .count() as u64;
            let tools = tool_names
                .iter()
                .map(|t| {
                    let covered = rows.iter().filter(|r| covers(tenant, t, r)).count() as u64;
                    ToolCoverage {
                        tool: t.to_string(),
                        covered,
                        percent: percent(covered, total),
                    }
                })
                .collect();
            coverage.push(FrameworkCoverage {
                tenant: tenant.to_string(),
                framework: framework.to_string(),
                requirements: total,
                uncovered,
                tools,
            });
        }

        // Controls in scope that no tool assessed.
        let mut uncovered = Vec::new();
        for (tenant, controls) in &by_control {
            let assessed: BTreeSet<&str> = seen
                .get(tenant)
                .map(|s| s.values().flat_map(|(c, _)| c.iter().copied()).collect())
                .unwrap_or_default();
            for (control, rows) in controls {
                if assessed.contains(control) {
                    continue;
                }
                uncovered.push(UncoveredControl {
                    tenant: tenant.to_string(),
                    control: control.to_string(),
                    requirements: rows
                        .iter()
                        .map(|r| {
                            format!("{}/{} ({})", r.framework, r.requirement, r.status.as_str())
                        })
                        .collect(),
                });
            }
        }
        summary.uncovered_controls = uncovered.len() as u64;
        let unmapped: Vec<UnmappedCheck> = self
            .unmapped
            .into_iter()
            .map(
                |((tenant, target, tool, check), (title, all, failing))| UnmappedCheck {
                    tenant,
                    target,
                    tool,
                    check,
                    title,
                    findings: all.len() as u64,
                    failing: failing.len() as u64,
                },
            )
            .collect();
        summary.unmapped_checks = unmapped.len() as u64;
        Evaluation {
            schema: EVALUATION_SCHEMA.to_string(),
            reports: self.reports,
            tools: self
                .tools
                .into_iter()
                .map(
                    |(name, (versions, plugins, verdicts, failing))| ToolRecord {
                        name,
                        versions: versions.into_iter().collect(),
                        plugins: plugins.into_iter().collect(),
                        verdicts,
                        failing,
                    },
                )
                .collect(),
            summary,
            contradictions,
            assessments,
            coverage,
            uncovered,
            unmapped,
        }
    }
}

/// `part` of `whole` in percent, to one decimal (0 of nothing is 0).
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

/// Whether a roll-up status rests on something other than tool findings (the provider's or
/// the customer's attestation): a requirement no tool covers is expected there.
pub fn rests_on_attestation(s: RollupStatus) -> bool {
    matches!(
        s,
        RollupStatus::Inherited | RollupStatus::Attested | RollupStatus::Overdue
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuse::fuse;
    use crate::{
        Basis, BasisKind, CheckRef, Evidence, Layer, MustAct, Owner, ResourceRef, Responsibility,
        ServiceModel, Source,
    };

    fn finding(
        tool: Option<&str>,
        check: &str,
        resource: &str,
        control: &str,
        s: Status,
    ) -> Finding {
        let mut evidence = vec![];
        if let Some(t) = tool {
            evidence.push(Evidence {
                key: "tool".into(),
                value: t.into(),
            });
            evidence.push(Evidence {
                key: "tool.check".into(),
                value: format!("{t}_{check}"),
            });
        }
        Finding {
            id: format!("{}-{check}-{resource}", tool.unwrap_or("demarc")),
            tenant: "t".into(),
            target: "g".into(),
            provider: "aws".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            resource: ResourceRef {
                id: resource.into(),
                native_type: "AWS::S3::Bucket".into(),
                name: None,
                tags: vec![],
            },
            check: CheckRef {
                id: check.into(),
                title: String::new(),
                severity: crate::Severity::High,
            },
            status: s,
            message: format!("{check}: {}", s.as_str()),
            controls: vec![control.into()],
            evidence,
            remediation: String::new(),
            observed_at: None,
            source: Source {
                plugin: if tool.is_some() {
                    "import-aws".into()
                } else {
                    "aws".into()
                },
                version: "1.0.0".into(),
                sha256: String::new(),
            },
            responsibility: Responsibility {
                owner: Owner::Customer,
                party: None,
                sharing: None,
                service_model: ServiceModel::Abstracted,
                layer: Layer::Data,
                basis: Basis {
                    kind: BasisKind::Matrix,
                    entry: "aws/abstracted/data".into(),
                    source: String::new(),
                },
                note: None,
            },
            must_act: MustAct::customer(),
            suppression: None,
            verdicts: vec![],
            contradiction: false,
        }
    }

    fn row(framework: &str, requirement: &str, controls: &[&str], checks: &[&str]) -> ControlRow {
        ControlRow {
            tenant: "t".into(),
            framework: framework.into(),
            requirement: requirement.into(),
            controls: controls.iter().map(|c| c.to_string()).collect(),
            checks: checks.iter().map(|c| c.to_string()).collect(),
            owner: Owner::Customer,
            parties: vec![],
            status: RollupStatus::Failing,
            evidence: vec![],
            attestations: vec![],
            gap: None,
        }
    }

    #[test]
    fn contradictions_agreements_single_tool_coverage_and_uncovered() {
        let a = "arn:aws:s3:::a";
        let b = "arn:aws:s3:::b";
        let findings = vec![
            (0, finding(None, "enc", a, "enc-at-rest", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "enc", a, "enc-at-rest", Status::Fail),
            ),
            (0, finding(None, "enc", b, "enc-at-rest", Status::Fail)),
            (
                1,
                finding(Some("prowler"), "enc", b, "enc-at-rest", Status::Fail),
            ),
            (
                1,
                finding(Some("prowler"), "log", b, "logging", Status::Manual),
            ),
        ];
        // Fused as a scan fuses them, then evaluated: the same as unfused findings give.
        let fused: Vec<Finding> = fuse(findings.clone())
            .findings
            .into_iter()
            .map(|x| x.1)
            .collect();
        let rows = [
            row("pci", "3.5.1", &["enc-at-rest"], &[]),
            row("pci", "10.2", &["logging"], &[]),
            row("pci", "8.3", &["mfa"], &[]),
            row("cis", "2.1.1", &["enc-at-rest"], &["prowler-enc"]),
        ];
        for input in [fused, findings.into_iter().map(|x| x.1).collect()] {
            let mut e = Evaluator::new();
            e.frame("report.json", &rows, &[]);
            for f in &input {
                e.finding(f);
            }
            let ev = e.finish();
            assert_eq!(ev.summary.contradictions, 1);
            assert_eq!(ev.summary.agreements, 1);
            assert_eq!(ev.summary.single_tool["prowler"], 1);
            let c = &ev.contradictions[0];
            assert_eq!(c.resource, a);
            assert_eq!(c.status, Status::Fail);
            assert_eq!(c.requirements, ["cis/2.1.1", "pci/3.5.1"]);
            let tools: Vec<_> = c
                .verdicts
                .iter()
                .map(|v| (v.tool.as_str(), v.status))
                .collect();
            assert_eq!(tools, [("demarc", Status::Pass), ("prowler", Status::Fail)]);
            let pci = ev.coverage.iter().find(|c| c.framework == "pci").unwrap();
            assert_eq!(pci.requirements, 3);
            assert_eq!(pci.uncovered, 1);
            let pct: Vec<_> = pci
                .tools
                .iter()
                .map(|t| (t.tool.as_str(), t.percent))
                .collect();
            assert_eq!(pct, [("demarc", 33.3), ("prowler", 66.7)]);
            // The benchmark requirement counts only the check that tests it.
            let cis = ev.coverage.iter().find(|c| c.framework == "cis").unwrap();
            let pct: Vec<_> = cis
                .tools
                .iter()
                .map(|t| (t.tool.as_str(), t.covered))
                .collect();
            assert_eq!(pct, [("demarc", 0), ("prowler", 0)]);
            assert_eq!(ev.uncovered.len(), 1);
            assert_eq!(ev.uncovered[0].control, "mfa");
            assert_eq!(ev.uncovered[0].requirements, ["pci/8.3 (failing)"]);
        }
    }

    #[test]
    fn unmapped_findings_are_counted_per_tool_check_and_a_report_read_twice_counts_once() {
        let unmapped = |resource: &str, status: Status| -> UnmappedFinding {
            serde_json::from_value(serde_json::json!({
                "id": crate::id::finding_id("t", "aws", "1", "us-east-1", resource, "prowler-guardduty-is-enabled"),
                "tenant": "t", "target": "t-prowler", "provider": "aws", "account": "1",
                "region": "us-east-1",
                "resource": {"id": resource, "type": "AwsGuardDutyDetector"},
                "check": {"id": "prowler-guardduty-is-enabled", "title": "GuardDuty is enabled", "severity": "medium"},
                "status": status,
                "message": "m",
                "evidence": [["tool", "prowler"], ["tool.version", "5.0.0"], ["tool.check", "guardduty_is_enabled"]],
                "source": {"plugin": "import-aws"}
            }))
            .unwrap()
        };
        let kept = [
            unmapped("detector/a", Status::Fail),
            unmapped("detector/b", Status::Pass),
        ];
        let mut e = Evaluator::new();
        let f = finding(None, "enc", "arn:aws:s3:::a", "enc-at-rest", Status::Pass);
        for _ in 0..2 {
            e.frame("r.json", &[], &kept);
            e.finding(&f);
        }
        let ev = e.finish();
        assert_eq!(ev.unmapped.len(), 1);
        let u = &ev.unmapped[0];
        assert_eq!(
            (u.tool.as_str(), u.check.as_str()),
            ("prowler", "guardduty_is_enabled")
        );
        assert_eq!(u.title, "GuardDuty is enabled");
        assert_eq!((u.findings, u.failing), (2, 1));
        assert_eq!(ev.summary.single_tool["demarc"], 1);
        assert_eq!(ev.assessments[0].verdicts.len(), 1);
        assert_eq!(ev.tools[0].verdicts, 1);
    }
}
