//! Views over a report that several renderers share: the tenants in display order, counts
//! recomputed from the findings, the owner × layer responsibility view per tenant, failing
//! findings by tenant × owner × severity, and findings ranked by urgency. Every map is a
//! `BTreeMap` and every ranking has a total order, so the renderers stay deterministic.

use std::collections::{BTreeMap, BTreeSet};

use demarc_core::report::TenantInfo;
use demarc_core::rollup::RollupStatus;
use demarc_core::summary::{Counts, Summary};
use demarc_core::{Finding, Layer, Owner, Report, Severity, Status};

/// Counts recomputed from the report's findings and gaps, so that every view agrees with the
/// findings it lists; `duplicates` is taken from the report (dropped findings are not in it).
pub fn summary(report: &Report) -> Summary {
    let mut s = Summary::default();
    for f in &report.findings {
        s.add(f);
    }
    for g in &report.gaps {
        s.add_gap(g);
    }
    s.duplicates = report.summary.duplicates;
    s
}

/// The count of one status.
pub fn of(c: &Counts, status: Status) -> u64 {
    match status {
        Status::Pass => c.pass,
        Status::Fail => c.fail,
        Status::Error => c.error,
        Status::Manual => c.manual,
        Status::NotApplicable => c.not_applicable,
    }
}

/// A tenant to show: the report's record, or a stand-in for a tenant that appears only in
/// findings or gaps (a merged or hand-edited report).
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The tenant's record.
    pub info: TenantInfo,
}

/// Every tenant, in the report's order, followed by tenants that appear only in findings or
/// gaps (sorted by id). Run-wide gaps (empty tenant) name no tenant.
pub fn tenants(report: &Report) -> Vec<Tenant> {
    let mut out: Vec<Tenant> = report
        .tenants
        .iter()
        .map(|t| Tenant { info: t.clone() })
        .collect();
    let known: BTreeSet<&str> = report.tenants.iter().map(|t| t.id.as_str()).collect();
    let mut extra: BTreeSet<&str> = BTreeSet::new();
    for id in report
        .findings
        .iter()
        .map(|f| f.tenant.as_str())
        .chain(report.gaps.iter().map(|g| g.tenant.as_str()))
    {
        if !id.is_empty() && !known.contains(id) {
            extra.insert(id);
        }
    }
    for id in extra {
        let providers: BTreeSet<String> = report
            .findings
            .iter()
            .filter(|f| f.tenant == id)
            .map(|f| f.provider.clone())
            .collect();
        let targets: BTreeSet<String> = report
            .findings
            .iter()
            .filter(|f| f.tenant == id)
            .map(|f| f.target.clone())
            .collect();
        out.push(Tenant {
            info: TenantInfo {
                id: id.to_string(),
                name: id.to_string(),
                providers: providers.into_iter().collect(),
                targets: targets.into_iter().collect(),
                third_parties: vec![],
            },
        });
    }
    out
}

/// Owner × layer counts of one tenant's findings (`None`: every tenant).
pub fn responsibility(report: &Report, tenant: Option<&str>) -> BTreeMap<(Layer, Owner), Counts> {
    let mut m: BTreeMap<(Layer, Owner), Counts> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| tenant.is_none_or(|t| f.tenant == t))
    {
        m.entry((f.responsibility.layer, f.responsibility.owner))
            .or_default()
            .add(f.status);
    }
    m
}

/// Failing findings by owner and severity for one tenant (`None`: every tenant).
pub fn failing(report: &Report, tenant: Option<&str>) -> BTreeMap<Owner, BTreeMap<Severity, u64>> {
    let mut m: BTreeMap<Owner, BTreeMap<Severity, u64>> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && tenant.is_none_or(|t| f.tenant == t))
    {
        *m.entry(f.responsibility.owner)
            .or_default()
            .entry(f.check.severity)
            .or_default() += 1;
    }
    m
}

/// Control roll-up rows counted by tenant, framework (in catalog order, unknown frameworks
/// last by id) and status.
pub fn rollup_counts(
    report: &Report,
    catalog: &demarc_core::Catalog,
    tenant: &str,
) -> Vec<(String, BTreeMap<RollupStatus, u64>)> {
    let mut by_fw: BTreeMap<&str, BTreeMap<RollupStatus, u64>> = BTreeMap::new();
    for row in report.controls.iter().filter(|r| r.tenant == tenant) {
        *by_fw
            .entry(row.framework.as_str())
            .or_default()
            .entry(row.status)
            .or_default() += 1;
    }
    let mut out = Vec::new();
    for fw in catalog.frameworks() {
        if let Some(c) = by_fw.remove(fw.id.as_str()) {
            out.push((fw.id.clone(), c));
        }
    }
    out.extend(by_fw.into_iter().map(|(k, v)| (k.to_string(), v)));
    out
}

/// How urgently a reader should look at a finding: failing before error before manual before
/// pass before not-applicable, then most severe first.
fn urgency(f: &Finding) -> (usize, std::cmp::Reverse<Severity>) {
    let rank = crate::labels::STATUSES
        .iter()
        .position(|s| *s == f.status)
        .unwrap_or(usize::MAX);
    (rank, std::cmp::Reverse(f.check.severity))
}

/// The findings ranked by urgency; ties keep the report's order.
pub fn ranked(report: &Report) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = report.findings.iter().collect();
    v.sort_by_key(|f| urgency(f));
    v
}

/// The failing findings, most severe first; ties keep the report's order.
pub fn top_failing<'a>(report: &'a Report, tenant: Option<&str>) -> Vec<&'a Finding> {
    let mut v: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && tenant.is_none_or(|t| f.tenant == t))
        .collect();
    v.sort_by_key(|f| std::cmp::Reverse(f.check.severity));
    v
}

/// The owner as people name it, with the third party's name when the finding has one.
pub fn owner_label(f: &Finding) -> String {
    match (&f.responsibility.owner, &f.responsibility.party) {
        (Owner::ThirdParty, Some(p)) => format!("Third party: {p}"),
        (o, _) => crate::labels::owner(*o).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn recomputed_counts_match_the_cli_summary() {
        let r = fixture::report();
        assert_eq!(summary(&r), r.summary);
    }

    #[test]
    fn tenants_keep_report_order_and_add_unknown_ones() {
        let mut r = fixture::report();
        r.findings[0].tenant = "zeta".into();
        let ids: Vec<String> = tenants(&r).into_iter().map(|t| t.info.id).collect();
        assert_eq!(ids, ["northwind", "contoso-health", "fabrikam", "zeta"]);
    }

    #[test]
    fn responsibility_counts_every_finding_once() {
        let r = fixture::report();
        let m = responsibility(&r, None);
        let total: u64 = m.values().map(|c| c.total).sum();
        assert_eq!(total, r.findings.len() as u64);
        let nw = responsibility(&r, Some("northwind"));
        assert_eq!(nw[&(Layer::GuestOs, Owner::ThirdParty)].fail, 1);
        assert_eq!(nw[&(Layer::GuestOs, Owner::ThirdParty)].error, 1);
    }

    #[test]
    fn ranking_puts_critical_failures_first() {
        let r = fixture::report();
        let ranked = ranked(&r);
        assert_eq!(ranked[0].status, Status::Fail);
        assert_eq!(ranked[0].check.severity, Severity::Critical);
        assert_eq!(ranked.last().unwrap().status, Status::NotApplicable);
        let top = top_failing(&r, Some("contoso-health"));
        assert_eq!(top[0].check.severity, Severity::High);
        assert!(top.iter().all(|f| f.tenant == "contoso-health"));
    }
}
