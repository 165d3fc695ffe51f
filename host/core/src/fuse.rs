//! Fusion of one tenant's findings across tools.
//!
//! When a tenant is assessed by more than one tool (demarc's own plugins and an imported
//! scanner's output, or two scanners), the same check of the same resource often arrives twice,
//! once from each tool. Findings of *different* tools for the same resource (by
//! [`resource_key`](crate::identity::resource_key)) and the same primary catalog control are
//! fused into one finding that keeps every tool's verdict ([`Verdict`]). The fused status is the
//! most severe (fail, then error, then manual, then pass, then not-applicable: fail closed), and
//! a fused finding whose tools say both pass and fail is marked as a contradiction.
//!
//! Findings of one tool are never fused with each other: a tool's two checks of one resource
//! and control are two verdicts of that tool. Where a tool has several findings in one group,
//! its first meets the other tools' first, its second their second, and so on, in the order
//! the findings arrived.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::identity::{Hint, resource_key};
use crate::{Evidence, Finding, Severity, Status};

/// The tool name of demarc's own findings.
pub const DEMARC: &str = "demarc";

/// One tool's verdict on a fused finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The tool: `demarc` for demarc's own plugins, the imported tool's name otherwise.
    pub tool: String,
    /// The tool's version, as its output states it (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The tool's own check id (`s3_bucket_default_encryption`; demarc's check id for demarc).
    pub check: String,
    /// The id of the finding the verdict was (`findings[].id` before fusion).
    pub finding: String,
    /// The check as the run declares it (`run.plugins[].checks[].id`).
    pub declared_as: String,
    /// The plugin that produced the finding.
    pub plugin: String,
    /// The tool's outcome.
    pub status: Status,
    /// Severity of a failure, as the check declares it.
    pub severity: Severity,
    /// The tool's sentence about the resource.
    pub message: String,
    /// The values that decided it for that tool.
    pub evidence: Vec<Evidence>,
}

/// The tool, tool version and tool check of a finding: its `tool`, `tool.version` and
/// `tool.check` evidence when it was imported, `demarc`, the plugin's version and the check id
/// otherwise.
pub fn tool_of(f: &Finding) -> (&str, &str, &str) {
    let ev = |key: &str| {
        f.evidence
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    };
    match ev("tool") {
        Some(tool) => (
            tool,
            ev("tool.version").unwrap_or_default(),
            ev("tool.check").unwrap_or(&f.check.id),
        ),
        None => (DEMARC, f.source.version.as_str(), f.check.id.as_str()),
    }
}

/// How severe a status is when verdicts are fused: higher wins.
pub fn status_rank(s: Status) -> u8 {
    match s {
        Status::NotApplicable => 0,
        Status::Pass => 1,
        Status::Manual => 2,
        Status::Error => 3,
        Status::Fail => 4,
    }
}

/// Whether verdicts contradict each other: one tool says pass, another fail.
pub fn contradicts(statuses: impl IntoIterator<Item = Status>) -> bool {
    let (mut pass, mut fail) = (false, false);
    for s in statuses {
        pass |= s == Status::Pass;
        fail |= s == Status::Fail;
    }
    pass && fail
}

fn verdict(f: &Finding) -> Verdict {
    let (tool, version, check) = tool_of(f);
    Verdict {
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
    }
}

/// What fusing a tenant's findings gave.
#[derive(Debug, Default)]
pub struct Fused<T> {
    /// The findings after fusion, each with the tag of the finding it was built on (the first
    /// verdict of the most severe status, demarc's own first), at that finding's place.
    pub findings: Vec<(T, Finding)>,
    /// Findings folded into another (members of fused findings, less one per fused finding).
    pub folded: u64,
    /// Fused findings whose tools contradict each other.
    pub contradictions: u64,
}

/// Fuse one tenant's findings (in the order they arrived, each with a tag the caller keeps, e.g.
/// the target it came from). Findings of other tenants are never given together: the caller
/// fuses tenant by tenant.
pub fn fuse<T>(findings: Vec<(T, Finding)>) -> Fused<T> {
    // Group: (provider, resource key, primary control) → per tool, the members in order.
    type GroupKey = (String, String, String);
    let mut groups: Vec<Vec<(String, Vec<usize>)>> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    let mut alone: Vec<usize> = Vec::new();
    for (i, (_, f)) in findings.iter().enumerate() {
        if !f.verdicts.is_empty() {
            // Fused already (a report of a run read again, e.g. by `demarc merge`): kept whole.
            alone.push(i);
            continue;
        }
        let hint = Hint {
            kind: Some(&f.resource.native_type),
            account: Some(&f.account),
            region: Some(&f.region),
        };
        let (Some(key), Some(control)) = (
            resource_key(&f.provider, &f.resource.id, &hint),
            f.controls.first(),
        ) else {
            // A resource that cannot be placed, or a finding without a control, meets nothing.
            alone.push(i);
            continue;
        };
        let tool = tool_of(f).0.to_string();
        let g = *index
            .entry((f.provider.clone(), key, control.clone()))
            .or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
        match groups[g].iter_mut().find(|(t, _)| *t == tool) {
            Some((_, members)) => members.push(i),
            None => groups[g].push((tool, vec![i])),
        }
    }
    // Each fused set: the indices of its members, one per tool.
    let mut sets: Vec<Vec<usize>> = alone.into_iter().map(|i| vec![i]).collect();
    for g in groups {
        let depth = g.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        for n in 0..depth {
            sets.push(g.iter().filter_map(|(_, m)| m.get(n).copied()).collect());
        }
    }
    sets.iter_mut().for_each(|s| s.sort_unstable());

    let mut slots: Vec<Option<(T, Finding)>> = findings.into_iter().map(Some).collect();
    let mut out = Fused {
        findings: Vec::with_capacity(sets.len()),
        folded: 0,
        contradictions: 0,
    };
    // Each output at the place of the finding it is built on: what remains of a run's findings
    // once fused keeps their order, so fusing them again changes nothing.
    let mut placed: Vec<(usize, (T, Finding))> = Vec::with_capacity(sets.len());
    for set in sets {
        if let [only] = set[..] {
            if let Some((tag, f)) = slots[only].take() {
                out.folded += f.verdicts.len().saturating_sub(1) as u64;
                out.contradictions += u64::from(f.contradiction);
                placed.push((only, (tag, f)));
            }
            continue;
        }
        let members: Vec<(T, Finding)> = set.iter().filter_map(|i| slots[*i].take()).collect();
        let verdicts: Vec<Verdict> = members.iter().map(|(_, f)| verdict(f)).collect();
        let worst = verdicts
            .iter()
            .map(|v| status_rank(v.status))
            .max()
            .unwrap_or(0);
        // The finding it is built on: the first verdict of the worst status, demarc's own first.
        let base = (0..members.len())
            .filter(|i| status_rank(verdicts[*i].status) == worst)
            .min_by_key(|i| (verdicts[*i].tool != DEMARC, *i))
            .unwrap_or(0);
        let severity = verdicts
            .iter()
            .filter(|v| status_rank(v.status) == worst)
            .map(|v| v.severity)
            .max()
            .unwrap_or(Severity::Info);
        let contradiction = contradicts(verdicts.iter().map(|v| v.status));
        out.folded += members.len() as u64 - 1;
        out.contradictions += u64::from(contradiction);
        let (tag, mut f) = members
            .into_iter()
            .nth(base)
            .expect("the base is one of the members");
        f.check.severity = severity;
        f.verdicts = verdicts;
        f.contradiction = contradiction;
        placed.push((set[base], (tag, f)));
    }
    placed.sort_unstable_by_key(|(at, _)| *at);
    out.findings = placed.into_iter().map(|(_, x)| x).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Basis, BasisKind, CheckRef, Layer, MustAct, Owner, ResourceRef, Responsibility,
        ServiceModel, Source,
    };

    fn finding(
        tool: Option<&str>,
        check: &str,
        resource: &str,
        control: &str,
        s: Status,
    ) -> Finding {
        let mut evidence = vec![Evidence {
            key: "configuration.x".into(),
            value: check.into(),
        }];
        if let Some(t) = tool {
            evidence.insert(
                0,
                Evidence {
                    key: "tool".into(),
                    value: t.into(),
                },
            );
            evidence.insert(
                1,
                Evidence {
                    key: "tool.version".into(),
                    value: "5.1".into(),
                },
            );
            evidence.insert(
                2,
                Evidence {
                    key: "tool.check".into(),
                    value: format!("{t}_{check}"),
                },
            );
        }
        Finding {
            id: format!("{}-{check}-{resource}", tool.unwrap_or(DEMARC)),
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
                severity: if s == Status::Fail {
                    Severity::High
                } else {
                    Severity::Medium
                },
            },
            status: s,
            message: format!("{check} says {}", s.as_str()),
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

    const B: &str = "arn:aws:s3:::logs";

    #[test]
    fn two_tools_on_one_resource_and_control_fuse_and_fail_closed() {
        let out = fuse(vec![
            (0, finding(None, "enc", B, "enc-at-rest", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "enc", B, "enc-at-rest", Status::Fail),
            ),
            (
                1,
                finding(Some("prowler"), "log", B, "logging", Status::Pass),
            ),
        ]);
        assert_eq!(out.folded, 1);
        assert_eq!(out.contradictions, 1);
        assert_eq!(out.findings.len(), 2);
        let (tag, f) = &out.findings[0];
        // Built on the failing verdict, the importer's.
        assert_eq!(*tag, 1);
        assert_eq!(f.status, Status::Fail);
        assert!(f.contradiction);
        assert_eq!(f.check.severity, Severity::High);
        let tools: Vec<(&str, &str, Status)> = f
            .verdicts
            .iter()
            .map(|v| (v.tool.as_str(), v.check.as_str(), v.status))
            .collect();
        assert_eq!(
            tools,
            [
                ("demarc", "enc", Status::Pass),
                ("prowler", "prowler_enc", Status::Fail)
            ]
        );
        assert_eq!(f.verdicts[1].version, "5.1");
        assert!(out.findings[1].1.verdicts.is_empty());
    }

    #[test]
    fn manual_beats_pass_and_agreement_is_no_contradiction() {
        let out = fuse(vec![
            (0, finding(None, "enc", B, "enc-at-rest", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "enc", B, "enc-at-rest", Status::Manual),
            ),
        ]);
        let f = &out.findings[0].1;
        assert_eq!(f.status, Status::Manual);
        assert!(!f.contradiction);
        assert_eq!(out.contradictions, 0);

        let out = fuse(vec![
            (0, finding(None, "enc", B, "enc-at-rest", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "enc", B, "enc-at-rest", Status::Pass),
            ),
        ]);
        let (tag, f) = &out.findings[0];
        // On a tie demarc's own finding is the base.
        assert_eq!(*tag, 0);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.id, "demarc-enc-arn:aws:s3:::logs");
    }

    #[test]
    fn one_tool_is_never_fused_with_itself_and_other_resources_or_controls_stay_apart() {
        let out = fuse(vec![
            (0, finding(None, "a", B, "enc-at-rest", Status::Fail)),
            (0, finding(None, "b", B, "enc-at-rest", Status::Pass)),
            (
                0,
                finding(None, "c", "arn:aws:s3:::other", "enc-at-rest", Status::Pass),
            ),
            (1, finding(Some("prowler"), "d", B, "logging", Status::Fail)),
        ]);
        assert_eq!(out.folded, 0);
        assert_eq!(out.findings.len(), 4);
        assert!(out.findings.iter().all(|(_, f)| f.verdicts.is_empty()));

        // Two of one tool and one of another: the first of each meet, the second stays alone.
        let out = fuse(vec![
            (0, finding(None, "a", B, "enc-at-rest", Status::Fail)),
            (0, finding(None, "b", B, "enc-at-rest", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "d", B, "enc-at-rest", Status::Fail),
            ),
        ]);
        assert_eq!(out.folded, 1);
        assert_eq!(out.findings.len(), 2);
        assert_eq!(out.findings[0].1.verdicts.len(), 2);
        assert_eq!(out.findings[0].1.check.id, "a");
        assert_eq!(out.findings[1].1.check.id, "b");
    }

    #[test]
    fn fusing_fused_findings_again_changes_nothing() {
        let input = vec![
            (0, finding(None, "enc", B, "enc-at-rest", Status::Pass)),
            (0, finding(None, "log", B, "logging", Status::Pass)),
            (
                1,
                finding(Some("prowler"), "enc", B, "enc-at-rest", Status::Fail),
            ),
            (
                1,
                finding(Some("prowler"), "ver", B, "versioning", Status::Pass),
            ),
        ];
        let once = fuse(input);
        // Built on the importer's failing finding, placed where it was.
        let order: Vec<&str> = once
            .findings
            .iter()
            .map(|(_, f)| f.check.id.as_str())
            .collect();
        assert_eq!(order, ["log", "enc", "ver"]);
        assert_eq!(once.findings[1].0, 1);
        let twice = fuse(once.findings.clone());
        assert_eq!(twice.findings, once.findings);
        assert_eq!(
            (twice.folded, twice.contradictions),
            (once.folded, once.contradictions)
        );
    }

    #[test]
    fn two_imported_tools_fuse_and_unplaceable_resources_meet_nothing() {
        let out = fuse(vec![
            (
                0,
                finding(Some("prowler"), "e", B, "enc-at-rest", Status::Pass),
            ),
            (
                1,
                finding(Some("scout"), "e", B, "enc-at-rest", Status::Pass),
            ),
            (
                0,
                finding(Some("prowler"), "e", "", "enc-at-rest", Status::Pass),
            ),
            (
                1,
                finding(Some("scout"), "e", "", "enc-at-rest", Status::Fail),
            ),
        ]);
        assert_eq!(out.folded, 1);
        assert_eq!(out.findings.len(), 3);
        assert_eq!(out.findings[0].1.verdicts[1].tool, "scout");
    }
}
