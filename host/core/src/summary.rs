//! Roll-ups of a report's findings: counts by tenant, owner, severity, provider and status,
//! built incrementally so that a report can be summarized while its findings stream past.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Gap, Owner, Party, Severity, Status};

/// Counts of findings by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Total findings.
    pub total: u64,
    /// Passing.
    pub pass: u64,
    /// Failing.
    pub fail: u64,
    /// Not evaluable.
    pub error: u64,
    /// Needing a person.
    pub manual: u64,
    /// Not applicable.
    pub not_applicable: u64,
    /// Of the failing, those a suppression in force covers: accepted, and not counted toward
    /// `--fail-on`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    /// Whether it counts nothing.
    pub fn is_zero(&self) -> bool {
        self.total == 0
    }

    /// Count one finding of `status`.
    pub fn add(&mut self, status: Status) {
        self.add_n(status, 1);
    }

    /// Count `n` findings of `status`.
    pub fn add_n(&mut self, status: Status, n: u64) {
        self.total += n;
        match status {
            Status::Pass => self.pass += n,
            Status::Fail => self.fail += n,
            Status::Error => self.error += n,
            Status::Manual => self.manual += n,
            Status::NotApplicable => self.not_applicable += n,
        }
    }
}

/// The report's summary section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// All findings.
    pub findings: Counts,
    /// Failing findings by severity.
    pub failing_by_severity: BTreeMap<String, u64>,
    /// Findings by owner (`provider`, `customer`, `shared`, `third-party`).
    pub by_owner: BTreeMap<String, Counts>,
    /// Findings by who must act (`customer`, `third-party`, `provider`): the party that controls
    /// the setting the check decided on.
    pub by_must_act: BTreeMap<String, Counts>,
    /// Failing findings by who must act, then by the owner of their control in the matrix: e.g.
    /// `customer.shared` counts the customer's failures on controls shared with the provider
    /// (the provider supplies the capability, the customer must use it).
    pub to_fix: BTreeMap<String, BTreeMap<String, u64>>,
    /// Findings by provider.
    pub by_provider: BTreeMap<String, Counts>,
    /// Findings by tenant.
    pub by_tenant: BTreeMap<String, Counts>,
    /// Failing findings by tenant, who must act, and severity.
    pub failing: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    /// Gaps by kind.
    pub gaps: BTreeMap<String, u64>,
    /// Findings dropped as duplicates of another finding with the same id.
    pub duplicates: u64,
    /// Findings of one tool folded into another tool's finding on the same resource and control
    /// (`findings[].verdicts`): counted once, as the fused finding.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fused: u64,
    /// Fused findings whose tools contradict each other (one pass, another fail).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub contradictions: u64,
    /// Failing findings a suppression in force covers, by severity (they are in
    /// `failing_by_severity` too; `--fail-on` counts the difference).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub suppressed_by_severity: BTreeMap<String, u64>,
    /// Ids of the suppressions that matched no failing finding (stale: to be removed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_suppressions: Vec<String>,
    /// Other tools' findings whose check maps to no catalog control (`unmapped`): not in the
    /// counts above, which are of attributed findings.
    #[serde(default, skip_serializing_if = "Counts::is_zero")]
    pub unmapped: Counts,
    /// Failing unmapped findings by severity: `--fail-on` counts them too (a failure another
    /// tool reported is a failure, whether or not demarc's catalog names its control).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unmapped_failing_by_severity: BTreeMap<String, u64>,
    /// Across all tenants: the worst tenants, the most common failing controls, each tenant's
    /// coverage. Empty for a report that does not compute it.
    #[serde(default, skip_serializing_if = "Portfolio::is_empty")]
    pub portfolio: Portfolio,
}

/// The portfolio view of a run over many tenants: what an MSSP looks at first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Portfolio {
    /// Every tenant, worst first: most critical failures, then high, medium, low and info, then
    /// most gaps, then id.
    pub tenants: Vec<TenantPosture>,
    /// The catalog controls that fail in the most tenants (then with the most failing findings),
    /// at most [`Portfolio::TOP_CONTROLS`].
    pub failing_controls: Vec<ControlFailures>,
}

/// One tenant in the portfolio.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPosture {
    /// Tenant id.
    pub tenant: String,
    /// Its findings by status.
    pub findings: Counts,
    /// Its failing findings by severity.
    pub failing_by_severity: BTreeMap<String, u64>,
    /// Targets of the tenant in the run.
    pub targets: u64,
    /// Of them, assessed completely.
    pub complete: u64,
    /// Of them, assessed in part (a gap lost some coverage).
    pub partial: u64,
    /// Of them, not assessed at all.
    pub failed: u64,
    /// Gaps of the tenant.
    pub gaps: u64,
}

/// A control failing across tenants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlFailures {
    /// Catalog control id.
    pub control: String,
    /// Tenants with at least one failing finding on it.
    pub tenants: u64,
    /// Failing findings on it.
    pub failing: u64,
}

impl Portfolio {
    /// How many failing controls the portfolio names.
    pub const TOP_CONTROLS: usize = 10;

    /// True when nothing was computed.
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty() && self.failing_controls.is_empty()
    }

    /// Build it from the summary's counts, the failing findings per tenant and control, and
    /// each target's (tenant, outcome) and each gap's tenant.
    pub fn build<'a>(
        summary: &Summary,
        failing: &BTreeMap<String, BTreeMap<String, u64>>,
        targets: impl IntoIterator<Item = (&'a str, &'a str)>,
        gaps: impl IntoIterator<Item = &'a str>,
    ) -> Portfolio {
        let mut by_tenant: BTreeMap<String, TenantPosture> = BTreeMap::new();
        for (tenant, outcome) in targets {
            let p = by_tenant
                .entry(tenant.to_string())
                .or_insert_with(|| TenantPosture {
                    tenant: tenant.to_string(),
                    ..Default::default()
                });
            p.targets += 1;
            match outcome {
                "complete" => p.complete += 1,
                "partial" => p.partial += 1,
                _ => p.failed += 1,
            }
        }
        for tenant in gaps {
            if let Some(p) = by_tenant.get_mut(tenant) {
                p.gaps += 1;
            }
        }
        for (tenant, counts) in &summary.by_tenant {
            let p = by_tenant
                .entry(tenant.clone())
                .or_insert_with(|| TenantPosture {
                    tenant: tenant.clone(),
                    ..Default::default()
                });
            p.findings = counts.clone();
        }
        for (tenant, by_party) in &summary.failing {
            if let Some(p) = by_tenant.get_mut(tenant) {
                for by_sev in by_party.values() {
                    for (sev, n) in by_sev {
                        *p.failing_by_severity.entry(sev.clone()).or_default() += n;
                    }
                }
            }
        }
        let mut tenants: Vec<TenantPosture> = by_tenant.into_values().collect();
        let rank = |p: &TenantPosture| {
            let n = |s: Severity| p.failing_by_severity.get(s.as_str()).copied().unwrap_or(0);
            (
                std::cmp::Reverse((
                    n(Severity::Critical),
                    n(Severity::High),
                    n(Severity::Medium),
                    n(Severity::Low),
                    n(Severity::Info),
                    p.gaps + p.failed,
                )),
                p.tenant.clone(),
            )
        };
        tenants.sort_by_key(rank);
        let mut controls: BTreeMap<&str, ControlFailures> = BTreeMap::new();
        for by_control in failing.values() {
            for (control, n) in by_control.iter().filter(|(_, n)| **n > 0) {
                let c = controls.entry(control).or_insert_with(|| ControlFailures {
                    control: control.clone(),
                    ..Default::default()
                });
                c.tenants += 1;
                c.failing += n;
            }
        }
        let mut failing_controls: Vec<ControlFailures> = controls.into_values().collect();
        failing_controls.sort_by(|a, b| {
            (b.tenants, b.failing)
                .cmp(&(a.tenants, a.failing))
                .then_with(|| a.control.cmp(&b.control))
        });
        failing_controls.truncate(Self::TOP_CONTROLS);
        Portfolio {
            tenants,
            failing_controls,
        }
    }
}

/// The parts of a finding that the summary counts.
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// Provider id.
    pub provider: &'a str,
    /// Owner of the finding's control.
    pub owner: Owner,
    /// Who must act on it.
    pub must_act: Party,
    /// Outcome.
    pub status: Status,
    /// Severity of its check.
    pub severity: Severity,
    /// Whether a suppression in force covers it.
    pub suppressed: bool,
}

impl<'a> Parts<'a> {
    /// The parts of `f`.
    pub fn of(f: &'a Finding) -> Self {
        Parts {
            tenant: &f.tenant,
            provider: &f.provider,
            owner: f.responsibility.owner,
            must_act: f.must_act.party,
            status: f.status,
            severity: f.check.severity,
            suppressed: f.status == Status::Fail && f.is_suppressed(),
        }
    }
}

impl Summary {
    /// Count one finding.
    pub fn add(&mut self, f: &Finding) {
        self.add_n(Parts::of(f), 1);
    }

    /// Count `n` findings that share the parts the summary uses.
    pub fn add_n(&mut self, parts: Parts<'_>, n: u64) {
        let Parts {
            tenant,
            provider,
            owner,
            must_act,
            status,
            severity,
            suppressed,
        } = parts;
        let suppressed = suppressed && status == Status::Fail;
        self.findings.add_n(status, n);
        if suppressed {
            self.findings.suppressed += n;
            *self
                .suppressed_by_severity
                .entry(severity.as_str().to_string())
                .or_default() += n;
        }
        let owner = owner.as_str();
        let party = must_act.as_str();
        if !self.by_must_act.contains_key(party) {
            self.by_must_act
                .insert(party.to_string(), Counts::default());
        }
        if let Some(c) = self.by_must_act.get_mut(party) {
            c.add_n(status, n);
        }
        if !self.by_owner.contains_key(owner) {
            self.by_owner.insert(owner.to_string(), Counts::default());
        }
        if let Some(c) = self.by_owner.get_mut(owner) {
            c.add_n(status, n);
        }
        if !self.by_provider.contains_key(provider) {
            self.by_provider
                .insert(provider.to_string(), Counts::default());
        }
        if let Some(c) = self.by_provider.get_mut(provider) {
            c.add_n(status, n);
        }
        if !self.by_tenant.contains_key(tenant) {
            self.by_tenant.insert(tenant.to_string(), Counts::default());
        }
        if let Some(c) = self.by_tenant.get_mut(tenant) {
            c.add_n(status, n);
            if suppressed {
                c.suppressed += n;
            }
        }
        if status == Status::Fail {
            let sev = severity.as_str();
            *self.failing_by_severity.entry(sev.to_string()).or_default() += n;
            *self
                .to_fix
                .entry(party.to_string())
                .or_default()
                .entry(owner.to_string())
                .or_default() += n;
            *self
                .failing
                .entry(tenant.to_string())
                .or_default()
                .entry(party.to_string())
                .or_default()
                .entry(sev.to_string())
                .or_default() += n;
        }
    }

    /// Failing findings at or above `threshold` that no suppression in force covers: what
    /// `--fail-on` counts.
    pub fn unsuppressed_failing_at_least(&self, threshold: Severity) -> u64 {
        self.failing_by_severity
            .iter()
            .filter(|(sev, _)| Severity::parse(sev).is_some_and(|s| s >= threshold))
            .map(|(sev, n)| {
                n.saturating_sub(self.suppressed_by_severity.get(sev).copied().unwrap_or(0))
            })
            .sum::<u64>()
            + self
                .unmapped_failing_by_severity
                .iter()
                .filter(|(sev, _)| Severity::parse(sev).is_some_and(|s| s >= threshold))
                .map(|(_, n)| n)
                .sum::<u64>()
    }

    /// Count one unmapped finding.
    pub fn add_unmapped(&mut self, f: &crate::model::UnmappedFinding) {
        self.add_unmapped_verdict(f.status, f.check.severity);
    }

    /// Count one unmapped finding by its status and its check's severity.
    pub fn add_unmapped_verdict(&mut self, status: Status, severity: Severity) {
        self.unmapped.add(status);
        if status == Status::Fail {
            *self
                .unmapped_failing_by_severity
                .entry(severity.as_str().to_string())
                .or_default() += 1;
        }
    }

    /// Count one gap.
    pub fn add_gap(&mut self, g: &Gap) {
        *self.gaps.entry(g.kind.as_str().to_string()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_counts_failing_unmapped_findings_of_other_tools() {
        let mut s = Summary::default();
        let f: crate::UnmappedFinding = serde_json::from_value(serde_json::json!({
            "id": "x", "tenant": "t", "target": "t-p", "provider": "aws", "account": "1",
            "region": "us-east-1", "resource": {"id": "r", "type": "T"},
            "check": {"id": "prowler-x", "title": "X", "severity": "high"},
            "status": "fail", "message": "m", "evidence": [], "source": {"plugin": "import-aws"}
        }))
        .unwrap();
        assert_eq!(s.unsuppressed_failing_at_least(Severity::High), 0);
        s.add_unmapped(&f);
        assert_eq!(s.unmapped.total, 1);
        assert_eq!(s.unsuppressed_failing_at_least(Severity::High), 1);
        assert_eq!(s.unsuppressed_failing_at_least(Severity::Critical), 0);
        // Not counted among the attributed findings.
        assert_eq!(s.findings.total, 0);
    }

    #[test]
    fn the_portfolio_puts_the_worst_tenant_first_and_counts_controls_across_tenants() {
        let mut s = Summary::default();
        let mut fail = |tenant: &str, sev: &str, n: u64| {
            *s.failing
                .entry(tenant.into())
                .or_default()
                .entry("customer".into())
                .or_default()
                .entry(sev.into())
                .or_default() += n;
        };
        fail("calm", "low", 9);
        fail("hot", "critical", 1);
        fail("warm", "high", 5);
        let failing: BTreeMap<String, BTreeMap<String, u64>> = [
            ("calm".to_string(), [("mfa".to_string(), 9)].into()),
            (
                "hot".to_string(),
                [("mfa".to_string(), 1), ("db-public-access".to_string(), 0)].into(),
            ),
            (
                "warm".to_string(),
                [("db-public-access".to_string(), 5)].into(),
            ),
        ]
        .into();
        let p = Portfolio::build(
            &s,
            &failing,
            [
                ("calm", "complete"),
                ("hot", "complete"),
                ("warm", "partial"),
                ("quiet", "failed"),
            ],
            ["warm", "quiet"],
        );
        let order: Vec<&str> = p.tenants.iter().map(|t| t.tenant.as_str()).collect();
        // Severity first; a tenant with no failure but a lost target ranks after the failing ones.
        assert_eq!(order, ["hot", "warm", "calm", "quiet"]);
        let warm = &p.tenants[1];
        assert_eq!((warm.targets, warm.partial, warm.gaps), (1, 1, 1));
        assert_eq!(p.tenants[3].failed, 1);
        // mfa fails in two tenants, db-public-access in one (a zero count is no failure).
        assert_eq!(p.failing_controls[0].control, "mfa");
        assert_eq!(
            (p.failing_controls[0].tenants, p.failing_controls[0].failing),
            (2, 10)
        );
        assert_eq!(p.failing_controls[1].tenants, 1);
        assert!(!p.is_empty());
    }
}
