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
        } = parts;
        self.findings.add_n(status, n);
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

    /// Count one gap.
    pub fn add_gap(&mut self, g: &Gap) {
        *self.gaps.entry(g.kind.as_str().to_string()).or_default() += 1;
    }
}
