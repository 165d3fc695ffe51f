//! Roll-ups of a report's findings: counts by tenant, owner, severity, provider and status,
//! built incrementally so that a report can be summarized while its findings stream past.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Gap, Owner, Severity, Status};

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
}

impl Counts {
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
    /// Findings by provider.
    pub by_provider: BTreeMap<String, Counts>,
    /// Findings by tenant.
    pub by_tenant: BTreeMap<String, Counts>,
    /// Failing findings by tenant, owner and severity.
    pub failing: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    /// Gaps by kind.
    pub gaps: BTreeMap<String, u64>,
    /// Findings dropped as duplicates of another finding with the same id.
    pub duplicates: u64,
}

impl Summary {
    /// Count one finding.
    pub fn add(&mut self, f: &Finding) {
        self.add_parts(
            &f.tenant,
            &f.provider,
            f.responsibility.owner,
            f.status,
            f.check.severity,
        );
    }

    /// Count one finding given only the parts the summary uses.
    pub fn add_parts(
        &mut self,
        tenant: &str,
        provider: &str,
        owner: Owner,
        status: Status,
        severity: Severity,
    ) {
        self.add_parts_n(tenant, provider, owner, status, severity, 1);
    }

    /// Count `n` findings that share the parts the summary uses.
    pub fn add_parts_n(
        &mut self,
        tenant: &str,
        provider: &str,
        owner: Owner,
        status: Status,
        severity: Severity,
        n: u64,
    ) {
        self.findings.add_n(status, n);
        let owner = owner.as_str();
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
        }
        if status == Status::Fail {
            let sev = severity.as_str();
            *self.failing_by_severity.entry(sev.to_string()).or_default() += n;
            *self
                .failing
                .entry(tenant.to_string())
                .or_default()
                .entry(owner.to_string())
                .or_default()
                .entry(sev.to_string())
                .or_default() += n;
        }
    }

    /// Count one gap.
    pub fn add_gap(&mut self, g: &Gap) {
        *self.gaps.entry(g.kind.as_str().to_string()).or_default() += 1;
    }
}
