//! The control roll-up: for each tenant and each requirement of each framework, who owns it and
//! whether it is met — the customer responsibility matrix (CRM) that auditors ask for, built
//! from evidence.
//!
//! A catalog control is evaluated per tenant from the tally of its findings, the responsibility
//! matrix, the provider's attestations and the tenant's own attestations; a framework
//! requirement combines the controls that crosswalk to it. Statuses:
//! `inherited` (provider-owned and covered by a valid provider attestation), `satisfied`
//! (scanned, every finding passes), `failing` (a finding fails), `partial` (shared and one side
//! is missing, or only part of it could be assessed), `attested` (a current customer
//! attestation), `overdue` (an attestation past its review interval) and `not-assessed` (no
//! evidence: listed as a gap, never silently met).
//!
//! The roll-up claims only what it saw. Findings are counted per cloud and account; a control
//! whose catalog scope is `account` (an audit trail, its integrity, the root user) is met only
//! when every account of the tenant that holds resources, on every cloud where a check covers
//! it, has evidence — otherwise it is `partial`, naming each cloud and account without evidence
//! and why. Provider attestations are named once, by id, in [`ControlRow::attestations`] (and in
//! the report's `run.provider_attestations`), not spelled out on every row.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::attestation::{CustomerAttestation, ProviderAttestation};
use crate::catalog::{Control, Scope};
use crate::summary::Counts;
use crate::{Attributor, Catalog, Contract, Layer, Owner, ServiceModel, Status};

/// Status of a control or requirement for a tenant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RollupStatus {
    /// Provider-owned and covered by a valid provider attestation.
    Inherited,
    /// Scanned and every finding passes.
    Satisfied,
    /// At least one finding fails.
    Failing,
    /// Shared with one side missing, or only partly assessed.
    Partial,
    /// Met by a current customer attestation.
    Attested,
    /// The customer attestation is past its review interval.
    Overdue,
    /// No evidence either way: a gap.
    NotAssessed,
}

impl RollupStatus {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RollupStatus::Inherited => "inherited",
            RollupStatus::Satisfied => "satisfied",
            RollupStatus::Failing => "failing",
            RollupStatus::Partial => "partial",
            RollupStatus::Attested => "attested",
            RollupStatus::Overdue => "overdue",
            RollupStatus::NotAssessed => "not-assessed",
        }
    }
}

/// One row of the roll-up: a framework requirement for a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlRow {
    /// Tenant id.
    pub tenant: String,
    /// Framework id.
    pub framework: String,
    /// Requirement id within the framework.
    pub requirement: String,
    /// The catalog controls that crosswalk to it (for a benchmark requirement: the primary
    /// controls of the checks that test it).
    pub controls: Vec<String>,
    /// For a benchmark requirement: the checks that test it. Only their findings count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// Who owns it (`shared` when its controls have different owners).
    pub owner: Owner,
    /// Third parties that own part of it under the tenant's contract.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<String>,
    /// Whether it is met.
    pub status: RollupStatus,
    /// What the status rests on, one line per control.
    pub evidence: Vec<String>,
    /// The provider attestations the provider's side rests on, by id (each described once in
    /// the report's `run.provider_attestations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<String>,
    /// Why it could not be assessed, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<String>,
}

/// A provider attestation as the report states it, once; roll-up rows refer to it by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationRecord {
    /// Stable id, e.g. `aws-pci-dss-aoc`.
    pub id: String,
    /// Provider id.
    pub provider: String,
    /// Certification or report, e.g. `SOC 2 Type II report`.
    pub title: String,
    /// First day of the period it covers (`YYYY-MM-DD`).
    pub period_start: String,
    /// Last day of the period it covers.
    pub period_end: String,
    /// Last day it may be relied on.
    pub expires: String,
    /// Frameworks that may rely on it; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<String>,
    /// Where the report can be obtained.
    pub source: String,
}

impl From<&ProviderAttestation> for AttestationRecord {
    fn from(a: &ProviderAttestation) -> Self {
        AttestationRecord {
            id: a.id.clone(),
            provider: a.provider.clone(),
            title: a.title.clone(),
            period_start: a.period_start.to_string(),
            period_end: a.period_end.to_string(),
            expires: a.expires.to_string(),
            frameworks: a.frameworks.clone(),
            source: a.source.clone(),
        }
    }
}

/// Findings of one control for one tenant, counted by check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlTally {
    /// Check id → counts by status.
    pub checks: BTreeMap<String, Counts>,
    /// Owners the findings were attributed to.
    pub owners: BTreeSet<Owner>,
    /// (provider, account) → counts by status: where the evidence comes from.
    pub units: BTreeMap<(String, String), Counts>,
    /// Check id → what [`ControlTally::owners`] and [`ControlTally::units`] hold, for that
    /// check alone: a benchmark requirement counts only the checks that test it.
    pub by_check: BTreeMap<String, (BTreeSet<Owner>, Units)>,
}

/// (provider, account) → counts by status.
pub type Units = BTreeMap<(String, String), Counts>;

impl ControlTally {
    /// Count one finding.
    pub fn add(&mut self, check: &str, owner: Owner, status: Status) {
        self.add_n(check, owner, status, 1);
    }

    /// Count `n` findings of one check, owner and status.
    pub fn add_n(&mut self, check: &str, owner: Owner, status: Status, n: u64) {
        if !self.checks.contains_key(check) {
            self.checks.insert(check.to_string(), Counts::default());
        }
        if let Some(c) = self.checks.get_mut(check) {
            c.add_n(status, n);
        }
        self.owners.insert(owner);
        if !self.by_check.contains_key(check) {
            self.by_check.insert(check.to_string(), Default::default());
        }
        if let Some((owners, _)) = self.by_check.get_mut(check) {
            owners.insert(owner);
        }
    }

    /// The tally of one check alone.
    pub fn only(&self, check: &str) -> ControlTally {
        let mut t = ControlTally::default();
        if let Some(c) = self.checks.get(check) {
            t.checks.insert(check.to_string(), c.clone());
        }
        if let Some((owners, units)) = self.by_check.get(check) {
            t.owners = owners.clone();
            t.units = units.clone();
            t.by_check
                .insert(check.to_string(), (owners.clone(), units.clone()));
        }
        t
    }

    /// Count `n` findings of one check, owner and status made on `account` of `provider`.
    pub fn add_in(
        &mut self,
        provider: &str,
        account: &str,
        check: &str,
        owner: Owner,
        status: Status,
        n: u64,
    ) {
        self.add_n(check, owner, status, n);
        let key = (provider.to_string(), account.to_string());
        if let Some((_, units)) = self.by_check.get_mut(check) {
            units.entry(key.clone()).or_default().add_n(status, n);
        }
        self.units.entry(key).or_default().add_n(status, n);
    }

    fn total(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.checks.values() {
            t.total += c.total;
            t.pass += c.pass;
            t.fail += c.fail;
            t.error += c.error;
            t.manual += c.manual;
            t.not_applicable += c.not_applicable;
        }
        t
    }
}

/// What the roll-up knows of one tenant.
pub struct TenantScope<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// The clouds (provider ids) of the tenant's targets, scanned or not.
    pub clouds: BTreeSet<String>,
    /// (provider, service model) pairs the tenant's resources use.
    pub footprint: BTreeSet<(String, ServiceModel)>,
    /// The tenant's contract clauses.
    pub contracts: &'a [Contract],
    /// The tenant's attestations.
    pub attestations: &'a [CustomerAttestation],
    /// Frameworks in scope; empty means every framework that applies to its providers.
    pub frameworks: &'a [String],
    /// Findings by control.
    pub tallies: &'a BTreeMap<String, ControlTally>,
}

/// Everything the roll-up reasons with.
pub struct Rollup<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The responsibility matrices.
    pub attributor: &'a Attributor,
    /// Every provider attestation.
    pub provider_attestations: &'a [ProviderAttestation],
    /// The day statuses are judged on.
    pub day: Date,
    /// The run's checks by id: their controls (the first is primary) and the benchmark
    /// requirements they test (benchmark id → requirement ids).
    pub checks: &'a BTreeMap<String, CheckCitations>,
}

/// What the roll-up needs to know of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckCitations {
    /// Catalog controls; the first is primary.
    pub controls: Vec<String>,
    /// Benchmark id → the requirement ids of it the check tests.
    pub requirements: BTreeMap<String, Vec<String>>,
}

/// A control's evaluation for a tenant.
#[derive(Debug, Clone)]
struct ControlEval {
    owners: BTreeSet<Owner>,
    parties: BTreeSet<String>,
    status: RollupStatus,
    evidence: String,
    gap: Option<String>,
    /// Ids of the provider attestations its provider side rests on.
    attested_by: BTreeSet<String>,
}

/// Provider → the tenant's accounts on it that hold resources: those with a finding, of any
/// status, on a scanned control outside the identity layer. Accounts with identity findings
/// only are directories and nodes of the resource hierarchy (a management group, folder,
/// organization or Cloud Identity customer), where no log, network or data lives.
fn resource_accounts(
    catalog: &Catalog,
    tallies: &BTreeMap<String, ControlTally>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (control, tally) in tallies {
        let Some(c) = catalog.control(control) else {
            continue;
        };
        if c.manual || c.layer == Layer::Identity {
            continue;
        }
        for ((provider, account), counts) in &tally.units {
            if counts.total > 0 {
                out.entry(provider.clone())
                    .or_default()
                    .insert(account.clone());
            }
        }
    }
    out
}

fn has_evidence(c: &Counts) -> bool {
    c.pass + c.fail + c.manual + c.error > 0
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Rollup<'_> {
    /// The rows of one tenant, by framework then requirement.
    pub fn tenant(&self, scope: &TenantScope<'_>) -> Vec<ControlRow> {
        let providers: BTreeSet<&str> = scope.footprint.iter().map(|(p, _)| p.as_str()).collect();
        let seen = Seen {
            clouds: scope
                .clouds
                .iter()
                .map(String::as_str)
                .chain(providers.iter().copied())
                .collect(),
            accounts: resource_accounts(self.catalog, scope.tallies),
        };
        let mut rows = Vec::new();
        for fw in self.catalog.frameworks() {
            let in_scope = if scope.frameworks.is_empty() {
                // A cloud's benchmark applies only to tenants on that cloud.
                match &fw.provider {
                    Some(cloud) => providers.contains(cloud.as_str()),
                    None => true,
                }
            } else {
                scope.frameworks.contains(&fw.id)
            };
            if !in_scope {
                continue;
            }
            if let Some(bench) = self.catalog.benchmark(&fw.id) {
                rows.extend(self.benchmark(bench, scope, &seen));
                continue;
            }
            let mut evals: BTreeMap<&str, ControlEval> = BTreeMap::new();
            for control in self.catalog.controls() {
                if control.frameworks.contains_key(&fw.id) {
                    let tally = scope.tallies.get(&control.id);
                    evals.insert(
                        &control.id,
                        self.control(control, scope, &seen, &fw.id, tally, &control.id),
                    );
                }
            }
            let mut reqs: BTreeMap<&str, Vec<&Control>> = BTreeMap::new();
            for c in self.catalog.controls() {
                for r in c.frameworks.get(&fw.id).into_iter().flatten() {
                    reqs.entry(r.as_str()).or_default().push(c);
                }
            }
            for (req, controls) in reqs {
                let parts: Vec<(&Control, &ControlEval)> = controls
                    .iter()
                    .map(|c| (*c, &evals[c.id.as_str()]))
                    .collect();
                rows.push(combine(scope.tenant, &fw.id, req, &parts));
            }
        }
        rows
    }

    /// The rows of one benchmark version for the tenant: one per requirement, in the
    /// benchmark's order. A requirement counts only the findings of the checks that test it,
    /// each evaluated against its primary control's owner, scope and attestations; a manual one
    /// is met by the attestation of the controls it names; anything else is a gap that says why.
    fn benchmark(
        &self,
        bench: &crate::benchmark::Benchmark,
        scope: &TenantScope<'_>,
        seen: &Seen<'_>,
    ) -> Vec<ControlRow> {
        let citing = crate::benchmark::citing_checks(
            &bench.id,
            self.checks
                .iter()
                .map(|(id, c)| (id.as_str(), &c.requirements)),
        );
        let mut rows = Vec::new();
        for req in &bench.requirements {
            let checks = citing.get(&req.id).cloned().unwrap_or_default();
            let mut evals: Vec<(&Control, ControlEval)> = Vec::new();
            for check in &checks {
                let Some(primary) = self.checks[check]
                    .controls
                    .first()
                    .and_then(|c| self.catalog.control(c))
                else {
                    continue;
                };
                let tally = scope.tallies.get(&primary.id).map(|t| t.only(check));
                evals.push((
                    primary,
                    self.control(primary, scope, seen, &bench.id, tally.as_ref(), check),
                ));
            }
            if evals.is_empty() {
                for c in req.controls.iter().filter_map(|c| self.catalog.control(c)) {
                    let tally = scope.tallies.get(&c.id);
                    evals.push((c, self.control(c, scope, seen, &bench.id, tally, &c.id)));
                }
            }
            if evals.is_empty() {
                let (evidence, gap) = match (&req.not_covered, req.assessment) {
                    (Some(why), _) => (
                        format!("not covered: {why}"),
                        format!(
                            "{} {} is not covered by any demarc check: {why}",
                            bench.id, req.id
                        ),
                    ),
                    (None, crate::benchmark::Assessment::Manual) => (
                        "manual: the benchmark leaves it to review".to_string(),
                        format!(
                            "{} {} is a manual requirement: review it and keep the evidence; no check can decide it",
                            bench.id, req.id
                        ),
                    ),
                    (None, crate::benchmark::Assessment::Automated) => (
                        "no check in the run tests it".to_string(),
                        format!("{} {} is tested by no check in the run", bench.id, req.id),
                    ),
                };
                rows.push(ControlRow {
                    tenant: scope.tenant.to_string(),
                    framework: bench.id.clone(),
                    requirement: req.id.clone(),
                    controls: Vec::new(),
                    checks: Vec::new(),
                    owner: Owner::Customer,
                    parties: Vec::new(),
                    status: RollupStatus::NotAssessed,
                    evidence: vec![evidence],
                    attestations: Vec::new(),
                    gap: Some(gap),
                });
                continue;
            }
            let parts: Vec<(&Control, &ControlEval)> = evals.iter().map(|(c, e)| (*c, e)).collect();
            let mut row = combine(scope.tenant, &bench.id, &req.id, &parts);
            row.controls.sort();
            row.controls.dedup();
            row.checks = checks;
            rows.push(row);
        }
        rows
    }

    /// Evaluate `control` for the tenant from `tally` (its findings, or only those of the checks
    /// that test a benchmark requirement), naming it `label` in the evidence and gap.
    fn control(
        &self,
        control: &Control,
        scope: &TenantScope<'_>,
        seen: &Seen<'_>,
        framework: &str,
        tally: Option<&ControlTally>,
        label: &str,
    ) -> ControlEval {
        let contract = scope
            .contracts
            .iter()
            .find(|c| c.layers.contains(&control.layer) || c.controls.contains(&control.id));
        if control.manual {
            let owner = if contract.is_some() {
                Owner::ThirdParty
            } else {
                Owner::Customer
            };
            let parties: BTreeSet<String> = contract.map(|c| c.party.clone()).into_iter().collect();
            return match scope.attestations.iter().find(|a| a.control == control.id) {
                Some(a) => {
                    let who = match &a.party {
                        Some(p) => format!("{} ({p})", a.owner),
                        None => a.owner.clone(),
                    };
                    let mut parties = parties;
                    parties.extend(a.party.clone());
                    let owner = if a.party.is_some() {
                        Owner::ThirdParty
                    } else {
                        owner
                    };
                    if a.overdue(self.day) {
                        ControlEval {
                            owners: [owner].into(),
                            parties,
                            status: RollupStatus::Overdue,
                            evidence: format!(
                                "{}: overdue — last done {} by {who}, due {} (every {} days); evidence {}",
                                label,
                                a.date,
                                a.due(),
                                a.interval_days,
                                a.evidence
                            ),
                            gap: None,
                            attested_by: BTreeSet::new(),
                        }
                    } else {
                        ControlEval {
                            owners: [owner].into(),
                            parties,
                            status: RollupStatus::Attested,
                            evidence: format!(
                                "{}: attested — done {} by {who}, next due {}; evidence {}",
                                label,
                                a.date,
                                a.due(),
                                a.evidence
                            ),
                            gap: None,
                            attested_by: BTreeSet::new(),
                        }
                    }
                }
                None => ControlEval {
                    owners: [owner].into(),
                    parties,
                    status: RollupStatus::NotAssessed,
                    evidence: format!("{label}: no attestation on file"),
                    gap: Some(format!(
                        "`{}` needs a customer attestation; none is on file",
                        label
                    )),
                    attested_by: BTreeSet::new(),
                },
            };
        }

        // Who owns the control's layer across the tenant's footprint.
        let mut matrix_owners = BTreeSet::new();
        for (provider, model) in &scope.footprint {
            if let Some(cell) = self
                .attributor
                .matrix(provider)
                .and_then(|m| m.cell(*model, control.layer))
            {
                matrix_owners.insert(cell.owner);
            }
        }
        let provider_side =
            matrix_owners.contains(&Owner::Provider) || matrix_owners.contains(&Owner::Shared);
        let providers: BTreeSet<&str> = scope.footprint.iter().map(|(p, _)| p.as_str()).collect();
        let attested_by: Vec<&ProviderAttestation> = self
            .provider_attestations
            .iter()
            .filter(|a| {
                providers.contains(a.provider.as_str())
                    && a.covers(&control.id, control.layer, framework, self.day)
            })
            .collect();
        let unattested: Vec<&str> = providers
            .iter()
            .copied()
            .filter(|p| !attested_by.iter().any(|a| a.provider == *p))
            .collect();
        let attestation_ids: BTreeSet<String> = attested_by.iter().map(|a| a.id.clone()).collect();
        let counts = tally.map(ControlTally::total).unwrap_or_default();
        let mut owners: BTreeSet<Owner> = tally.map(|t| t.owners.clone()).unwrap_or_default();
        if owners.is_empty() {
            owners = matrix_owners.clone();
        }
        let parties: BTreeSet<String> = if owners.contains(&Owner::ThirdParty) {
            contract.map(|c| c.party.clone()).into_iter().collect()
        } else {
            BTreeSet::new()
        };

        if counts.pass + counts.fail + counts.manual + counts.error == 0 {
            // Nothing scanned: provider-owned layers are inherited through attestations.
            if !matrix_owners.is_empty() && matrix_owners.iter().all(|o| *o == Owner::Provider) {
                return if unattested.is_empty() {
                    ControlEval {
                        owners: [Owner::Provider].into(),
                        parties,
                        status: RollupStatus::Inherited,
                        evidence: format!(
                            "{}: inherited — a valid provider attestation covers it on every cloud",
                            label
                        ),
                        gap: None,
                        attested_by: attestation_ids,
                    }
                } else {
                    ControlEval {
                        owners: [Owner::Provider].into(),
                        parties,
                        status: RollupStatus::NotAssessed,
                        evidence: format!(
                            "{}: provider-owned, no valid attestation for {}",
                            label,
                            unattested.join(", ")
                        ),
                        gap: Some(format!(
                            "`{}` is provider-owned but no valid provider attestation covers it for {}",
                            label,
                            unattested.join(", ")
                        )),
                        attested_by: attestation_ids,
                    }
                };
            }
            let why = if scope.footprint.is_empty() {
                "no resources were scanned".to_string()
            } else if counts.not_applicable > 0 {
                format!(
                    "its checks found nothing to evaluate ({})",
                    plural(counts.not_applicable, "not-applicable finding")
                )
            } else {
                "no check in the run covers it for this tenant's resources".to_string()
            };
            return ControlEval {
                owners,
                parties,
                status: RollupStatus::NotAssessed,
                evidence: format!("{label}: no evidence ({why})"),
                gap: Some(format!("`{label}` has no evidence: {why}")),
                attested_by: BTreeSet::new(),
            };
        }

        let detail = tally
            .map(|t| {
                t.checks
                    .iter()
                    .map(|(check, c)| {
                        let mut parts = Vec::new();
                        for (n, word) in [
                            (c.fail, "fail"),
                            (c.pass, "pass"),
                            (c.manual, "manual"),
                            (c.error, "error"),
                            (c.not_applicable, "not-applicable"),
                        ] {
                            if n > 0 {
                                parts.push(format!("{n} {word}"));
                            }
                        }
                        format!("{check} {}", parts.join(" "))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let only_cloud = self
            .catalog
            .frameworks()
            .iter()
            .find(|f| f.id == framework)
            .and_then(|f| f.provider.as_deref());
        let (missing, idle) = seen.missing(control, tally, only_cloud);
        let missing_text = missing.join(", ");
        let (status, gap) = if counts.fail > 0 {
            (RollupStatus::Failing, None)
        } else if counts.pass == 0 {
            (
                RollupStatus::NotAssessed,
                Some(format!(
                    "`{}`: {} finding(s) need data the exports do not hold (manual)",
                    label, counts.manual
                )),
            )
        } else if counts.manual + counts.error > 0 {
            let mut gap = format!(
                "`{}`: {} resource(s) could not be assessed",
                label,
                counts.manual + counts.error
            );
            if !missing.is_empty() {
                gap.push_str(&format!("; no evidence on {missing_text}"));
            }
            (RollupStatus::Partial, Some(gap))
        } else if !missing.is_empty() {
            (
                RollupStatus::Partial,
                Some(format!(
                    "`{}` must be evidenced in every account; there is none on {missing_text}",
                    label
                )),
            )
        } else if provider_side && matrix_owners.contains(&Owner::Shared) && !unattested.is_empty()
        {
            (
                RollupStatus::Partial,
                Some(format!(
                    "`{}` is shared: the customer side passes, the provider side has no valid attestation for {}",
                    label,
                    unattested.join(", ")
                )),
            )
        } else {
            (RollupStatus::Satisfied, None)
        };
        let mut evidence = format!("{}: {status} — {detail}", label, status = status.as_str());
        if !missing.is_empty() {
            evidence.push_str(&format!("; no evidence on {missing_text}"));
        }
        if !idle.is_empty() {
            evidence.push_str(&format!("; nothing to evaluate on {}", idle.join(", ")));
        }
        ControlEval {
            owners,
            parties,
            status,
            evidence,
            gap,
            attested_by: if provider_side {
                attestation_ids
            } else {
                BTreeSet::new()
            },
        }
    }
}

/// Where the tenant's findings come from: its clouds, and on each its accounts that hold
/// resources.
struct Seen<'a> {
    clouds: BTreeSet<&'a str>,
    accounts: BTreeMap<String, BTreeSet<String>>,
}

impl Seen<'_> {
    /// For a scanned control under `framework`: the clouds and accounts in its scope that lack
    /// evidence, with why (for an account-scope control: these make it at most partial), and the
    /// clouds where a resource-scope control had nothing to evaluate (said, but not held against
    /// it). A cloud's benchmark (`only_cloud`) looks at that cloud only.
    fn missing(
        &self,
        control: &Control,
        tally: Option<&ControlTally>,
        only_cloud: Option<&str>,
    ) -> (Vec<String>, Vec<String>) {
        let mut missing = Vec::new();
        let mut idle = Vec::new();
        let empty = Counts::default();
        for cloud in &self.clouds {
            if control.not_applicable.contains_key(*cloud) {
                continue;
            }
            // A cloud's benchmark asks nothing of the tenant's other clouds.
            if only_cloud.is_some_and(|only| only != *cloud) {
                continue;
            }
            let unit = |account: &str| {
                tally
                    .and_then(|t| t.units.get(&(cloud.to_string(), account.to_string())))
                    .unwrap_or(&empty)
            };
            let why = |c: &Counts| {
                if c.not_applicable > 0 {
                    format!(
                        "{}: nothing its checks could evaluate",
                        plural(c.not_applicable, "not-applicable finding")
                    )
                } else {
                    "no finding: the export holds nothing its checks evaluate".to_string()
                }
            };
            let accounts = self.accounts.get(*cloud);
            match control.scope {
                Scope::Account => match accounts {
                    None => {
                        missing.push(format!("{cloud} (no account with resources was scanned)"))
                    }
                    Some(accounts) => {
                        for a in accounts {
                            let c = unit(a);
                            if !has_evidence(c) {
                                missing.push(format!("{cloud} {a} ({})", why(c)));
                            }
                        }
                    }
                },
                Scope::Resource => {
                    let mut total = Counts::default();
                    for ((p, _), c) in tally.map(|t| &t.units).into_iter().flatten() {
                        if p == cloud {
                            total.pass += c.pass;
                            total.fail += c.fail;
                            total.manual += c.manual;
                            total.error += c.error;
                            total.not_applicable += c.not_applicable;
                        }
                    }
                    if !has_evidence(&total) {
                        idle.push(format!("{cloud} ({})", why(&total)));
                    }
                }
            }
        }
        (missing, idle)
    }
}

/// Combine the controls of one requirement.
fn combine(
    tenant: &str,
    framework: &str,
    requirement: &str,
    parts: &[(&Control, &ControlEval)],
) -> ControlRow {
    let statuses: Vec<RollupStatus> = parts.iter().map(|(_, e)| e.status).collect();
    let has = |s: RollupStatus| statuses.contains(&s);
    let met = |s: &RollupStatus| {
        matches!(
            s,
            RollupStatus::Satisfied | RollupStatus::Inherited | RollupStatus::Attested
        )
    };
    let status = if has(RollupStatus::Failing) {
        RollupStatus::Failing
    } else if has(RollupStatus::Overdue) {
        RollupStatus::Overdue
    } else if statuses.iter().all(|s| *s == RollupStatus::NotAssessed) {
        RollupStatus::NotAssessed
    } else if has(RollupStatus::Partial) || has(RollupStatus::NotAssessed) {
        RollupStatus::Partial
    } else if statuses.iter().all(|s| *s == RollupStatus::Inherited) {
        RollupStatus::Inherited
    } else if statuses.iter().all(|s| *s == RollupStatus::Attested) {
        RollupStatus::Attested
    } else {
        debug_assert!(statuses.iter().all(met));
        RollupStatus::Satisfied
    };
    let owners: BTreeSet<Owner> = parts
        .iter()
        .flat_map(|(_, e)| e.owners.iter().copied())
        .collect();
    let owner = if owners.len() == 1 {
        *owners.iter().next().expect("one owner")
    } else if owners.is_empty() {
        Owner::Customer
    } else {
        Owner::Shared
    };
    let parties: BTreeSet<String> = parts
        .iter()
        .flat_map(|(_, e)| e.parties.iter().cloned())
        .collect();
    let gaps: Vec<&str> = parts.iter().filter_map(|(_, e)| e.gap.as_deref()).collect();
    let attestations: BTreeSet<String> = parts
        .iter()
        .flat_map(|(_, e)| e.attested_by.iter().cloned())
        .collect();
    ControlRow {
        tenant: tenant.to_string(),
        framework: framework.to_string(),
        requirement: requirement.to_string(),
        controls: parts.iter().map(|(c, _)| c.id.clone()).collect(),
        checks: Vec::new(),
        owner,
        parties: parties.into_iter().collect(),
        status,
        evidence: parts.iter().map(|(_, e)| e.evidence.clone()).collect(),
        attestations: attestations.into_iter().collect(),
        gap: (!gaps.is_empty() && !matches!(status, RollupStatus::Failing | RollupStatus::Overdue))
            .then(|| gaps.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::{load_customer, load_provider};
    use crate::{Layer, Matrix};

    fn catalog() -> Catalog {
        Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap()
    }

    fn day(s: &str) -> Date {
        crate::attestation::day_of(s).unwrap()
    }

    const PROVIDER: &str = r#"
provider = "aws"
[[attestation]]
id = "soc2"
title = "SOC 2 Type II"
period_start = "2025-10-01"
period_end = "2026-03-31"
expires = "2027-03-31"
frameworks = ["pci-dss-4.0"]
layers = ["physical", "network-controls", "logging"]
source = "https://example.com/soc2"
"#;

    const CUSTOMER: &str = r#"
tenant = "acme"
[[attestation]]
control = "security-awareness-training"
owner = "HR"
date = "2026-01-10"
interval_days = 365
evidence = "https://example.com/training"
[[attestation]]
control = "risk-assessment"
owner = "CISO"
date = "2025-01-10"
interval_days = 365
evidence = "https://example.com/risk"
"#;

    /// A hand-written estate: one EC2 instance (IaaS) and one RDS instance (PaaS).
    fn rows(
        provider_text: &str,
        day_s: &str,
        tallies: &BTreeMap<String, ControlTally>,
        contracts: &[Contract],
    ) -> Vec<ControlRow> {
        let cat = catalog();
        let attr = Attributor::new([Matrix::load(
            "aws.toml",
            include_str!("../../../schemas/responsibility/aws.toml"),
            &cat,
        )
        .unwrap()]);
        let provider = load_provider("p.toml", provider_text, &cat).unwrap();
        let customer = load_customer("c.toml", CUSTOMER, &cat).unwrap();
        let checks = BTreeMap::new();
        let rollup = Rollup {
            catalog: &cat,
            attributor: &attr,
            provider_attestations: &provider,
            day: day(day_s),
            checks: &checks,
        };
        rollup.tenant(&TenantScope {
            tenant: "acme",
            clouds: ["aws".to_string()].into(),
            footprint: [
                ("aws".to_string(), ServiceModel::Iaas),
                ("aws".to_string(), ServiceModel::Paas),
            ]
            .into(),
            contracts,
            attestations: &customer,
            frameworks: &["pci-dss-4.0".to_string()],
            tallies,
        })
    }

    fn status(rows: &[ControlRow], req: &str) -> RollupStatus {
        rows.iter()
            .find(|r| r.requirement == req)
            .unwrap_or_else(|| panic!("no {req}"))
            .status
    }

    fn tally(pairs: &[(&str, &str, Owner, Status)]) -> BTreeMap<String, ControlTally> {
        let mut t: BTreeMap<String, ControlTally> = BTreeMap::new();
        for (control, check, owner, st) in pairs {
            t.entry(control.to_string()).or_default().add_in(
                "aws",
                "111122223333",
                check,
                *owner,
                *st,
                1,
            );
        }
        t
    }

    const BENCH: &str = r#"
id = "cis-aws-test-1.0"
title = "Test benchmark"
provider = "aws"
source = "https://example.org/benchmark"

[[requirement]]
id = "1.1"
title = "Contact details are current"
assessment = "manual"
profile = 1

[[requirement]]
id = "5.2"
title = "No security group admits admin ports from anywhere"
assessment = "automated"
profile = 1

[[requirement]]
id = "5.3"
title = "No security group admits all ports from anywhere"
assessment = "automated"
profile = 1

[[requirement]]
id = "5.9"
title = "Something no export shows"
assessment = "automated"
profile = 2
not_covered = "the exports carry no such field"
"#;

    /// Rows of the test benchmark for a tenant on `clouds`, with `frameworks` in scope.
    fn bench_rows(
        tallies: &BTreeMap<String, ControlTally>,
        clouds: &[&str],
        frameworks: &[String],
    ) -> Vec<ControlRow> {
        let mut cat = catalog();
        let b = crate::benchmark::Benchmark::load("b.toml", BENCH, &cat).unwrap();
        cat.add_benchmark(b).unwrap();
        let attr = Attributor::new([Matrix::load(
            "aws.toml",
            include_str!("../../../schemas/responsibility/aws.toml"),
            &cat,
        )
        .unwrap()]);
        let cite = |ids: &[&str]| CheckCitations {
            controls: vec!["mgmt-port-exposure".into()],
            requirements: [(
                "cis-aws-test-1.0".to_string(),
                ids.iter().map(|s| s.to_string()).collect(),
            )]
            .into(),
        };
        let checks: BTreeMap<String, CheckCitations> = [
            ("sg-admin".to_string(), cite(&["5.2"])),
            ("sg-all".to_string(), cite(&["5.3"])),
        ]
        .into();
        let rollup = Rollup {
            catalog: &cat,
            attributor: &attr,
            provider_attestations: &[],
            day: day("2026-11-01"),
            checks: &checks,
        };
        rollup
            .tenant(&TenantScope {
                tenant: "acme",
                clouds: clouds.iter().map(|c| c.to_string()).collect(),
                footprint: clouds
                    .iter()
                    .map(|c| (c.to_string(), ServiceModel::Iaas))
                    .collect(),
                contracts: &[],
                attestations: &[],
                frameworks,
                tallies,
            })
            .into_iter()
            .filter(|r| r.framework == "cis-aws-test-1.0")
            .collect()
    }

    #[test]
    fn a_benchmark_requirement_counts_only_the_checks_that_test_it() {
        // One control, two checks: the admin-port check fails, the all-ports check passes.
        let t = tally(&[
            (
                "mgmt-port-exposure",
                "sg-admin",
                Owner::Customer,
                Status::Fail,
            ),
            (
                "mgmt-port-exposure",
                "sg-all",
                Owner::Customer,
                Status::Pass,
            ),
        ]);
        let r = bench_rows(&t, &["aws"], &[]);
        let ids: Vec<&str> = r.iter().map(|r| r.requirement.as_str()).collect();
        assert_eq!(
            ids,
            ["1.1", "5.2", "5.3", "5.9"],
            "every requirement, in order"
        );
        let row = |id: &str| r.iter().find(|r| r.requirement == id).unwrap();
        assert_eq!(row("5.2").status, RollupStatus::Failing);
        assert_eq!(row("5.2").checks, ["sg-admin"]);
        assert_eq!(row("5.2").controls, ["mgmt-port-exposure"]);
        assert!(row("5.2").evidence[0].starts_with("sg-admin: failing — sg-admin 1 fail"));
        // The sibling's failure does not leak into the requirement it does not test.
        assert_eq!(
            row("5.3").status,
            RollupStatus::Satisfied,
            "{:?}",
            row("5.3")
        );
        assert_eq!(row("5.3").checks, ["sg-all"]);
        assert_eq!(row("1.1").status, RollupStatus::NotAssessed);
        assert!(
            row("1.1")
                .gap
                .as_deref()
                .unwrap()
                .contains("manual requirement")
        );
        assert_eq!(row("5.9").status, RollupStatus::NotAssessed);
        assert!(
            row("5.9")
                .gap
                .as_deref()
                .unwrap()
                .contains("not covered by any demarc check: the exports carry no such field")
        );
        // A checks' requirement with no finding is a gap, not met.
        let none = bench_rows(&BTreeMap::new(), &["aws"], &[]);
        assert!(none.iter().all(|r| r.status == RollupStatus::NotAssessed));
    }

    #[test]
    fn a_benchmark_applies_to_tenants_on_its_cloud_unless_chosen() {
        assert!(bench_rows(&BTreeMap::new(), &["azure"], &[]).is_empty());
        let chosen = bench_rows(&BTreeMap::new(), &["azure"], &["cis-aws-test-1.0".into()]);
        assert_eq!(chosen.len(), 4);
    }

    #[test]
    fn every_status_arises_where_it_should() {
        let t = tally(&[
            ("mgmt-port-exposure", "sg", Owner::Customer, Status::Fail),
            ("mgmt-port-exposure", "sg", Owner::Customer, Status::Pass),
            (
                "network-ingress-restriction",
                "all",
                Owner::Customer,
                Status::Pass,
            ),
            ("audit-logging", "trail", Owner::Shared, Status::Pass),
            ("access-logging", "s3", Owner::Customer, Status::Manual),
        ]);
        let r = rows(PROVIDER, "2026-11-01", &t, &[]);
        assert_eq!(status(&r, "1.3.1"), RollupStatus::Failing);
        assert_eq!(status(&r, "1.2.5"), RollupStatus::Satisfied);
        // Physical security: provider-owned, covered by a valid attestation.
        assert_eq!(status(&r, "9.2.1"), RollupStatus::Inherited);
        assert_eq!(
            r.iter().find(|x| x.requirement == "9.2.1").unwrap().owner,
            Owner::Provider
        );
        // Shared logging: the customer side passes and the provider side is attested.
        let row = r.iter().find(|x| x.requirement == "10.2.1").unwrap();
        assert_eq!(row.status, RollupStatus::Satisfied, "{row:?}");
        // Only manual findings: no evidence.
        assert_eq!(status(&r, "10.2.1.1"), RollupStatus::NotAssessed);
        assert_eq!(status(&r, "12.6.1"), RollupStatus::Attested);
        assert_eq!(status(&r, "12.3.1"), RollupStatus::Overdue);
        // No attestation on file for the documentation control.
        let doc = r.iter().find(|x| x.requirement == "12.1.1").unwrap();
        assert_eq!(doc.status, RollupStatus::NotAssessed);
        assert!(
            doc.gap
                .as_deref()
                .unwrap()
                .contains("app-control-documentation")
        );
    }

    #[test]
    fn an_expired_attestation_turns_inherited_into_a_gap_and_shared_into_partial() {
        let t = tally(&[("audit-logging", "trail", Owner::Shared, Status::Pass)]);
        let r = rows(PROVIDER, "2027-04-01", &t, &[]);
        let phys = r.iter().find(|x| x.requirement == "9.2.1").unwrap();
        assert_eq!(phys.status, RollupStatus::NotAssessed);
        assert!(
            phys.gap
                .as_deref()
                .unwrap()
                .contains("no valid provider attestation"),
            "{phys:?}"
        );
        assert_eq!(status(&r, "10.2.1"), RollupStatus::Partial);
        // An attestation for another framework does not count.
        let other = PROVIDER.replace("pci-dss-4.0", "iso-27001-2022");
        let r = rows(&other, "2026-11-01", &t, &[]);
        assert_eq!(status(&r, "9.2.1"), RollupStatus::NotAssessed);
    }

    #[test]
    fn a_contract_makes_the_third_party_the_owner() {
        let t = tally(&[("guest-patching", "patch", Owner::ThirdParty, Status::Pass)]);
        let contracts = [Contract {
            party: "Bluefin".into(),
            layers: vec![Layer::GuestOs],
            controls: vec![],
            providers: vec![],
            reference: "MSA".into(),
        }];
        let r = rows(PROVIDER, "2026-11-01", &t, &contracts);
        let row = r.iter().find(|x| x.requirement == "6.3.3").unwrap();
        assert_eq!(row.parties, vec!["Bluefin".to_string()]);
        assert!(
            matches!(row.owner, Owner::ThirdParty | Owner::Shared),
            "{row:?}"
        );
    }

    /// Rows of a tenant on three clouds; only the AWS matrix is loaded, which is all the owners
    /// of these controls need.
    fn rows_on_three_clouds(tallies: &BTreeMap<String, ControlTally>) -> Vec<ControlRow> {
        rows_on_three_clouds_for(tallies, "pci-dss-4.0")
    }

    fn rows_on_three_clouds_for(
        tallies: &BTreeMap<String, ControlTally>,
        framework: &str,
    ) -> Vec<ControlRow> {
        let mut cat = catalog();
        // One benchmark per cloud, each with one requirement its log-integrity check tests.
        let mut checks = BTreeMap::new();
        for (cloud, req, check) in [
            ("aws", "3.2", "trail-validation"),
            ("azure", "5.1.4", "activity-log-storage"),
        ] {
            let id = format!("cis-{cloud}-test-1.0");
            let text = format!(
                "id = \"{id}\"\ntitle = \"t\"\nprovider = \"{cloud}\"\nsource = \"s\"\n\
                 [[requirement]]\nid = \"{req}\"\ntitle = \"t\"\nassessment = \"automated\"\nprofile = 1\n"
            );
            let b = crate::benchmark::Benchmark::load("b.toml", &text, &cat).unwrap();
            cat.add_benchmark(b).unwrap();
            checks.insert(
                check.to_string(),
                CheckCitations {
                    controls: vec!["log-integrity".into()],
                    requirements: [(id, vec![req.to_string()])].into(),
                },
            );
        }
        let attr = Attributor::new([Matrix::load(
            "aws.toml",
            include_str!("../../../schemas/responsibility/aws.toml"),
            &cat,
        )
        .unwrap()]);
        let provider = load_provider("p.toml", PROVIDER, &cat).unwrap();
        let rollup = Rollup {
            catalog: &cat,
            attributor: &attr,
            provider_attestations: &provider,
            day: day("2026-11-01"),
            checks: &checks,
        };
        rollup.tenant(&TenantScope {
            tenant: "acme",
            clouds: ["aws", "azure", "gcp"].map(String::from).into(),
            footprint: [
                ("aws".to_string(), ServiceModel::Iaas),
                ("azure".to_string(), ServiceModel::Abstracted),
                ("gcp".to_string(), ServiceModel::Abstracted),
            ]
            .into(),
            contracts: &[],
            attestations: &[],
            frameworks: &[framework.to_string()],
            tallies,
        })
    }

    fn row<'a>(rows: &'a [ControlRow], req: &str) -> &'a ControlRow {
        rows.iter()
            .find(|r| r.requirement == req)
            .unwrap_or_else(|| panic!("no {req}"))
    }

    /// The demo's PCI DSS 10.3.2: log integrity passed on one AWS account, while the Azure
    /// subscription's checks found only not-applicable resources, a Google Cloud project had no
    /// log-integrity finding at all, and a second AWS account had no trail. One cloud of three
    /// is not `satisfied`.
    #[test]
    fn an_account_scope_control_is_satisfied_only_when_every_account_has_evidence() {
        fn add(
            t: &mut BTreeMap<String, ControlTally>,
            control: &str,
            provider: &str,
            account: &str,
            check: &str,
            st: Status,
        ) {
            t.entry(control.to_string()).or_default().add_in(
                provider,
                account,
                check,
                Owner::Customer,
                st,
                1,
            );
        }
        let mut t: BTreeMap<String, ControlTally> = BTreeMap::new();
        // Every account holds resources: it has findings outside the identity layer.
        for (p, a) in [
            ("aws", "111122223333"),
            ("aws", "444455556666"),
            ("azure", "sub-1"),
            ("gcp", "project-1"),
        ] {
            add(
                &mut t,
                "network-ingress-restriction",
                p,
                a,
                "fw",
                Status::Pass,
            );
        }
        // A hierarchy node with identity findings only is no account that keeps logs.
        add(
            &mut t,
            "iam-least-privilege",
            "gcp",
            "organizations/1",
            "iam",
            Status::Pass,
        );
        add(
            &mut t,
            "log-integrity",
            "aws",
            "111122223333",
            "trail-validation",
            Status::Pass,
        );
        add(
            &mut t,
            "log-integrity",
            "azure",
            "sub-1",
            "activity-log-storage",
            Status::NotApplicable,
        );
        add(
            &mut t,
            "log-integrity",
            "azure",
            "sub-1",
            "activity-log-storage",
            Status::NotApplicable,
        );
        let rows = rows_on_three_clouds(&t);
        let r = row(&rows, "10.3.2");
        assert_eq!(r.status, RollupStatus::Partial, "{r:#?}");
        let gap = r.gap.as_deref().unwrap();
        for want in [
            "`log-integrity` must be evidenced in every account; there is none on",
            "aws 444455556666 (no finding: the export holds nothing its checks evaluate)",
            "azure sub-1 (2 not-applicable findings: nothing its checks could evaluate)",
            "gcp project-1 (no finding: the export holds nothing its checks evaluate)",
        ] {
            assert!(gap.contains(want), "missing {want:?} in {gap}");
        }
        assert!(!gap.contains("111122223333"), "{gap}");
        assert!(!gap.contains("organizations/1"), "{gap}");
        // The evidence says the same, and counts the not-applicable findings.
        assert!(
            r.evidence[0].contains("activity-log-storage 2 not-applicable"),
            "{:?}",
            r.evidence
        );
        assert!(r.evidence[0].contains("no evidence on aws 444455556666"));
        // A cloud's CIS benchmark asks for evidence on that cloud's accounts only.
        let cis = rows_on_three_clouds_for(&t, "cis-aws-test-1.0");
        let gap = row(&cis, "3.2").gap.clone().unwrap();
        assert!(gap.contains("aws 444455556666"), "{gap}");
        assert!(!gap.contains("azure") && !gap.contains("gcp"), "{gap}");
        let cis = rows_on_three_clouds_for(&t, "cis-azure-test-1.0");
        let gap = row(&cis, "5.1.4").gap.clone().unwrap();
        assert!(
            gap.contains("2 not-applicable findings") && !gap.contains("aws"),
            "{gap}"
        );

        // Evidence on every account: satisfied.
        add(
            &mut t,
            "log-integrity",
            "aws",
            "444455556666",
            "trail-validation",
            Status::Pass,
        );
        add(
            &mut t,
            "log-integrity",
            "azure",
            "sub-1",
            "activity-log-export",
            Status::Pass,
        );
        add(
            &mut t,
            "log-integrity",
            "gcp",
            "project-1",
            "sink-locked",
            Status::Pass,
        );
        let rows = rows_on_three_clouds(&t);
        let r = row(&rows, "10.3.2");
        assert_eq!(r.status, RollupStatus::Satisfied, "{r:#?}");
        assert_eq!(r.gap, None);

        // A failure anywhere still fails, and the evidence still names what is missing.
        let mut t2 = t.clone();
        t2.get_mut("log-integrity")
            .unwrap()
            .units
            .remove(&("gcp".to_string(), "project-1".to_string()));
        t2.get_mut("log-integrity").unwrap().add_in(
            "aws",
            "111122223333",
            "trail-kms",
            Owner::Customer,
            Status::Fail,
            1,
        );
        let rows = rows_on_three_clouds(&t2);
        let r = row(&rows, "10.3.2");
        assert_eq!(r.status, RollupStatus::Failing);
        assert!(
            r.evidence[0].contains("no evidence on gcp project-1"),
            "{r:#?}"
        );

        // A cloud where the catalog says no check can cover the control is not held against
        // it: root-account protection exists on AWS only.
        add(
            &mut t,
            "root-account-protection",
            "aws",
            "111122223333",
            "root-mfa",
            Status::Pass,
        );
        let rows = rows_on_three_clouds(&t);
        let r = row(&rows, "8.2.2");
        assert_eq!(r.status, RollupStatus::Partial, "{r:#?}");
        assert!(r.gap.as_deref().unwrap().contains("aws 444455556666"));
        assert!(!r.gap.as_deref().unwrap().contains("azure"), "{r:#?}");
        add(
            &mut t,
            "root-account-protection",
            "aws",
            "444455556666",
            "root-mfa",
            Status::Pass,
        );
        let rows = rows_on_three_clouds(&t);
        assert_eq!(row(&rows, "8.2.2").status, RollupStatus::Satisfied);
    }

    /// A resource-scope control is held only where its resources are; a cloud without them is
    /// named, not counted against it.
    #[test]
    fn a_resource_scope_control_names_clouds_with_nothing_to_evaluate() {
        let mut t: BTreeMap<String, ControlTally> = BTreeMap::new();
        t.entry("network-ingress-restriction".into())
            .or_default()
            .add_in(
                "aws",
                "111122223333",
                "sg",
                Owner::Customer,
                Status::Pass,
                1,
            );
        t.entry("network-ingress-restriction".into())
            .or_default()
            .add_in(
                "gcp",
                "project-1",
                "fw",
                Owner::Customer,
                Status::NotApplicable,
                1,
            );
        let rows = rows_on_three_clouds(&t);
        let r = row(&rows, "1.2.5");
        assert_eq!(r.status, RollupStatus::Satisfied, "{r:#?}");
        assert!(
            r.evidence[0].ends_with(
                "; nothing to evaluate on azure (no finding: the export holds nothing its checks evaluate), gcp (1 not-applicable finding: nothing its checks could evaluate)"
            ),
            "{:?}",
            r.evidence
        );
    }

    /// Only not-applicable findings are no evidence, and the gap says so rather than that no
    /// check covers the control.
    #[test]
    fn only_not_applicable_findings_are_no_evidence() {
        let mut t: BTreeMap<String, ControlTally> = BTreeMap::new();
        t.entry("network-ingress-restriction".into())
            .or_default()
            .add_in(
                "aws",
                "111122223333",
                "sg",
                Owner::Customer,
                Status::NotApplicable,
                2,
            );
        let rows = rows_on_three_clouds(&t);
        let r = row(&rows, "1.2.5");
        assert_eq!(r.status, RollupStatus::NotAssessed, "{r:#?}");
        assert_eq!(
            r.gap.as_deref(),
            Some(
                "`network-ingress-restriction` has no evidence: its checks found nothing to evaluate (2 not-applicable findings)"
            )
        );
    }

    /// The provider attestations are named once, by id, not spelled out on every row.
    #[test]
    fn rows_cite_provider_attestations_by_id() {
        let t = tally(&[("audit-logging", "trail", Owner::Shared, Status::Pass)]);
        let r = rows(PROVIDER, "2026-11-01", &t, &[]);
        for req in ["9.2.1", "10.2.1"] {
            let row = r.iter().find(|x| x.requirement == req).unwrap();
            assert_eq!(row.attestations, vec!["soc2".to_string()], "{row:#?}");
            assert!(
                row.evidence.iter().all(|e| !e.contains("SOC 2 Type II")),
                "{row:#?}"
            );
        }
        // A customer-owned requirement with no provider side cites none.
        let row = r.iter().find(|x| x.requirement == "8.2.2").unwrap();
        assert!(row.attestations.is_empty(), "{row:#?}");
        // The record the report states once carries what the rows used to repeat.
        let cat = catalog();
        let p = load_provider("p.toml", PROVIDER, &cat).unwrap();
        let rec = AttestationRecord::from(&p[0]);
        assert_eq!(
            (rec.id.as_str(), rec.title.as_str(), rec.expires.as_str()),
            ("soc2", "SOC 2 Type II", "2027-03-31")
        );
    }

    #[test]
    fn invalid_attestations_are_rejected_with_every_problem() {
        let cat = catalog();
        let bad = r#"
tenant = "acme"
[[attestation]]
control = "security-awareness-training"
owner = "HR"
date = "2026-13-45"
interval_days = 365
evidence = "x"
[[attestation]]
control = "security-awareness-training"
owner = "MSSP"
date = "2026-01-01"
interval_days = 0
evidence = "x"
[[attestation]]
control = "mgmt-port-exposure"
owner = "Ops"
date = "2026-01-01"
interval_days = 30
evidence = "x"
"#;
        let err = load_customer("acme.toml", bad, &cat)
            .unwrap_err()
            .to_string();
        for want in [
            "acme.toml: attestation[0].date: `2026-13-45` is not a date",
            "acme.toml: attestation[1].interval_days: must be at least 1",
            "acme.toml: attestation[2].control: control `mgmt-port-exposure` is assessed by scanning",
        ] {
            assert!(err.contains(want), "missing {want:?} in\n{err}");
        }
        let twice = bad.replace("2026-13-45", "2026-01-01");
        let err = load_customer("acme.toml", &twice, &cat)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is attested twice"), "{err}");
        let err = load_provider(
            "p.toml",
            &PROVIDER
                .replace("pci-dss-4.0", "pci-9")
                .replace("\"network-controls\"", "\"attic\""),
            &cat,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("p.toml: attestation[0].frameworks[0]: unknown framework `pci-9`"),
            "{err}"
        );
        assert!(
            err.contains("p.toml: attestation[0].layers[1]: unknown layer `attic`"),
            "{err}"
        );
    }
}
