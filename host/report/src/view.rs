//! Views over a report that several renderers share: the tenants in display order, counts
//! recomputed from the findings, the owner × layer responsibility view per tenant, failing
//! findings by tenant × owner × severity, and findings ranked by urgency. Every map is a
//! `BTreeMap` and every ranking has a total order, so the renderers stay deterministic.

use std::collections::{BTreeMap, BTreeSet};

use demarc_core::report::TenantInfo;
use demarc_core::rollup::RollupStatus;
use demarc_core::summary::{Counts, Summary};
use demarc_core::{Finding, Layer, Owner, Party, Report, Severity, Status};

/// What the summarizing renderers (HTML, Markdown) need from the findings, gathered one finding
/// at a time so that a report never has to be held whole: counts, the owner × layer and
/// failing-by-severity views per tenant, the tenants that appear only in findings, and bounded
/// rankings (the [`crate::html::MAX_ROWS`] most urgent findings, the [`TOP`] most severe
/// failures overall and per tenant). Ties in a ranking keep the report's order.
#[derive(Debug, Default)]
pub struct Stats {
    summary: Summary,
    tenants: BTreeMap<String, TenantStats>,
    all: TenantStats,
    failing_parties: BTreeSet<String>,
    ranked: Top<(usize, std::cmp::Reverse<Severity>)>,
    seq: u64,
}

#[derive(Debug, Default)]
struct TenantStats {
    counts: Counts,
    responsibility: BTreeMap<(Layer, Owner), Counts>,
    failing: BTreeMap<Party, BTreeMap<Severity, u64>>,
    top_failing: Top<std::cmp::Reverse<Severity>>,
    providers: BTreeSet<String>,
    targets: BTreeSet<String>,
}

impl TenantStats {
    fn add(&mut self, f: &Finding, seq: u64) {
        self.counts.add(f.status);
        self.responsibility
            .entry((f.responsibility.layer, f.responsibility.owner))
            .or_default()
            .add(f.status);
        if f.status == Status::Fail {
            *self
                .failing
                .entry(f.must_act.party)
                .or_default()
                .entry(f.check.severity)
                .or_default() += 1;
            self.top_failing
                .offer(TOP, std::cmp::Reverse(f.check.severity), seq, f);
        }
    }
}

/// How many of the most severe failures are kept, overall and per tenant.
pub const TOP: usize = 25;

/// The `cap` smallest findings by key (ties by arrival), out of `total` offered.
#[derive(Debug)]
struct Top<K> {
    kept: Vec<(K, u64, Finding)>,
    total: usize,
    sorted: bool,
    threshold: Option<K>,
}

impl<K> Default for Top<K> {
    fn default() -> Self {
        Top {
            kept: Vec::new(),
            total: 0,
            sorted: true,
            threshold: None,
        }
    }
}

impl<K: Ord + Copy> Top<K> {
    fn offer(&mut self, cap: usize, key: K, seq: u64, f: &Finding) {
        self.total += 1;
        // A finding that ranks no better than the last of a full ranking arrived later, so it
        // ranks after every kept one.
        if self.threshold.is_some_and(|t| t <= key) {
            return;
        }
        self.kept.push((key, seq, f.clone()));
        self.sorted = false;
        if self.kept.len() >= cap.max(1) * 2 {
            self.settle(cap);
        }
    }

    fn settle(&mut self, cap: usize) {
        if !self.sorted {
            self.kept.sort_by_key(|(k, s, _)| (*k, *s));
            self.kept.truncate(cap);
            self.sorted = true;
            if self.kept.len() == cap {
                self.threshold = self.kept.last().map(|(k, _, _)| *k);
            }
        }
    }

    fn list(&self) -> Ranked<'_> {
        debug_assert!(self.sorted);
        Ranked {
            items: self.kept.iter().map(|(_, _, f)| f).collect(),
            total: self.total,
        }
    }
}

/// A ranking: the findings kept, best first, and how many were ranked in all.
#[derive(Debug)]
pub struct Ranked<'a> {
    /// The findings kept.
    pub items: Vec<&'a Finding>,
    /// How many findings were ranked (kept or not).
    pub total: usize,
}

impl Stats {
    /// Count one finding.
    pub fn add(&mut self, f: &Finding) {
        let seq = self.seq;
        self.seq += 1;
        self.summary.add(f);
        self.all.add(f, seq);
        let t = self.tenants.entry(f.tenant.clone()).or_default();
        t.add(f, seq);
        if !t.providers.contains(&f.provider) {
            t.providers.insert(f.provider.clone());
        }
        if !t.targets.contains(&f.target) {
            t.targets.insert(f.target.clone());
        }
        if f.status == Status::Fail
            && f.must_act.party == Party::ThirdParty
            && let Some(p) = &f.must_act.name
            && !self.failing_parties.contains(p)
        {
            self.failing_parties.insert(p.clone());
        }
        self.ranked.offer(crate::html::MAX_ROWS, urgency(f), seq, f);
    }

    /// Sort the rankings; call once after the last finding.
    pub fn finish(&mut self) {
        self.ranked.settle(crate::html::MAX_ROWS);
        self.all.top_failing.settle(TOP);
        for t in self.tenants.values_mut() {
            t.top_failing.settle(TOP);
        }
    }

    /// Gather the stats of every finding of `report`.
    #[cfg(test)]
    pub fn of(report: &Report) -> Stats {
        let mut s = Stats::default();
        for f in &report.findings {
            s.add(f);
        }
        s.finish();
        s
    }

    fn tenant(&self, tenant: Option<&str>) -> Option<&TenantStats> {
        match tenant {
            None => Some(&self.all),
            Some(t) => self.tenants.get(t),
        }
    }

    /// Status counts of one tenant's findings.
    pub fn counts(&self, tenant: &str) -> Counts {
        self.tenant(Some(tenant))
            .map(|t| t.counts.clone())
            .unwrap_or_default()
    }

    /// The third parties that must act on failing findings, sorted.
    pub fn failing_parties(&self) -> &BTreeSet<String> {
        &self.failing_parties
    }
}

/// Counts recomputed from the findings (through `stats`) and the report's gaps, so that every
/// view agrees with the findings it lists; `duplicates` is taken from the report (dropped
/// findings are not in it).
pub fn summary(report: &Report, stats: &Stats) -> Summary {
    let mut s = stats.summary.clone();
    for g in &report.gaps {
        s.add_gap(g);
    }
    s.duplicates = report.summary.duplicates;
    s.fused = report.summary.fused;
    s.contradictions = report.summary.contradictions;
    // The portfolio needs the run's targets and the roll-up's tallies: the scan computed it.
    s.portfolio = report.summary.portfolio.clone();
    // Staleness is the run's verdict on its suppressions, not a count of findings.
    s.stale_suppressions = report.summary.stale_suppressions.clone();
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
pub fn tenants(report: &Report, stats: &Stats) -> Vec<Tenant> {
    let mut out: Vec<Tenant> = report
        .tenants
        .iter()
        .map(|t| Tenant { info: t.clone() })
        .collect();
    let known: BTreeSet<&str> = report.tenants.iter().map(|t| t.id.as_str()).collect();
    let mut extra: BTreeSet<&str> = BTreeSet::new();
    for id in stats
        .tenants
        .keys()
        .map(String::as_str)
        .chain(report.gaps.iter().map(|g| g.tenant.as_str()))
    {
        if !id.is_empty() && !known.contains(id) {
            extra.insert(id);
        }
    }
    for id in extra {
        let (providers, targets) = match stats.tenants.get(id) {
            Some(t) => (
                t.providers.iter().cloned().collect(),
                t.targets.iter().cloned().collect(),
            ),
            None => (vec![], vec![]),
        };
        out.push(Tenant {
            info: TenantInfo {
                id: id.to_string(),
                name: id.to_string(),
                providers,
                targets,
                third_parties: vec![],
                group: None,
                labels: Default::default(),
            },
        });
    }
    out
}

/// Owner × layer counts of one tenant's findings (`None`: every tenant).
pub fn responsibility(stats: &Stats, tenant: Option<&str>) -> BTreeMap<(Layer, Owner), Counts> {
    stats
        .tenant(tenant)
        .map(|t| t.responsibility.clone())
        .unwrap_or_default()
}

/// Failing findings by who must act and severity for one tenant (`None`: every tenant).
pub fn failing(stats: &Stats, tenant: Option<&str>) -> BTreeMap<Party, BTreeMap<Severity, u64>> {
    stats
        .tenant(tenant)
        .map(|t| t.failing.clone())
        .unwrap_or_default()
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

/// The most urgent findings (at most [`crate::html::MAX_ROWS`]); ties keep the report's order.
pub fn ranked(stats: &Stats) -> Ranked<'_> {
    stats.ranked.list()
}

/// The failing findings, most severe first (at most [`TOP`]); ties keep the report's order.
pub fn top_failing<'a>(stats: &'a Stats, tenant: Option<&str>) -> Ranked<'a> {
    match stats.tenant(tenant) {
        Some(t) => t.top_failing.list(),
        None => Ranked {
            items: vec![],
            total: 0,
        },
    }
}

/// The owner as people name it, with the third party's name when the finding has one.
pub fn owner_label(f: &Finding) -> String {
    match (&f.responsibility.owner, &f.responsibility.party) {
        (Owner::ThirdParty, Some(p)) => format!("Third party: {p}"),
        (o, _) => crate::labels::owner(*o).to_string(),
    }
}

/// "Of the failures, 232 are the customer's to fix, 37 of them on controls shared with the
/// provider (…); 5 belong to third parties under contract (…) and 0 are the provider's." The
/// numbers go through `num` and the third parties' names through `name`, so that each format
/// can emphasise or escape them.
pub fn to_fix_sentence(
    s: &demarc_core::summary::Summary,
    parties: &BTreeSet<String>,
    num: impl Fn(u64) -> String,
    name: impl Fn(&str) -> String,
) -> String {
    let failing = |p: Party| -> u64 {
        s.to_fix
            .get(p.as_str())
            .map(|by_owner| by_owner.values().sum())
            .unwrap_or(0)
    };
    let shared = |p: Party| -> u64 {
        s.to_fix
            .get(p.as_str())
            .and_then(|by_owner| by_owner.get(Owner::Shared.as_str()))
            .copied()
            .unwrap_or(0)
    };
    let is = |n: u64| if n == 1 { "is" } else { "are" };
    let of_them = |n: u64, total: u64| {
        if n == 0 {
            String::new()
        } else if n == total {
            format!(
                ", {} on controls shared with the provider (the provider supplies the capability, the customer must use it)",
                if n == 1 { "it" } else { "all of them" }
            )
        } else {
            format!(
                ", {n} of them on controls shared with the provider (the provider supplies the capability, the customer must use it)"
            )
        }
    };
    let c = failing(Party::Customer);
    let mut clauses = vec![format!(
        "{} {} the customer's to fix{}",
        num(c),
        is(c),
        of_them(shared(Party::Customer), c)
    )];
    let t = failing(Party::ThirdParty);
    let names: Vec<String> = parties.iter().map(|p| name(p)).collect();
    clauses.push(format!(
        "{} {} to third parties under contract{}{}",
        num(t),
        if t == 1 { "belongs" } else { "belong" },
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        },
        of_them(shared(Party::ThirdParty), t).replace("the customer must", "the third party must")
    ));
    let p = failing(Party::Provider);
    clauses.push(format!("{} {} the provider's", num(p), is(p)));
    let last = clauses.pop().unwrap_or_default();
    format!("Of the failures, {}; and {last}.", clauses.join("; "))
}

/// Who must act, as people name it, with the third party's name when there is one.
pub fn must_act_label(f: &Finding) -> String {
    match (f.must_act.party, &f.must_act.name) {
        (Party::ThirdParty, Some(p)) => format!("Third party: {p}"),
        // An expired suppression hands the finding to whoever approved it.
        (p, Some(n)) => format!("{}: {n}", crate::labels::party(p)),
        (p, _) => crate::labels::party(p).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn recomputed_counts_match_the_cli_summary() {
        let r = fixture::report();
        assert_eq!(summary(&r, &Stats::of(&r)), r.summary);
    }

    #[test]
    fn tenants_keep_report_order_and_add_unknown_ones() {
        let mut r = fixture::report();
        r.findings[0].tenant = "zeta".into();
        let ids: Vec<String> = tenants(&r, &Stats::of(&r))
            .into_iter()
            .map(|t| t.info.id)
            .collect();
        assert_eq!(ids, ["northwind", "contoso-health", "fabrikam", "zeta"]);
    }

    #[test]
    fn responsibility_counts_every_finding_once() {
        let r = fixture::report();
        let stats = Stats::of(&r);
        let m = responsibility(&stats, None);
        let total: u64 = m.values().map(|c| c.total).sum();
        assert_eq!(total, r.findings.len() as u64);
        let nw = responsibility(&stats, Some("northwind"));
        assert_eq!(nw[&(Layer::GuestOs, Owner::ThirdParty)].fail, 1);
        assert_eq!(nw[&(Layer::GuestOs, Owner::ThirdParty)].error, 1);
    }

    #[test]
    fn ranking_puts_critical_failures_first() {
        let r = fixture::report();
        let stats = Stats::of(&r);
        let ranked = ranked(&stats);
        assert_eq!(ranked.total, r.findings.len());
        assert_eq!(ranked.items[0].status, Status::Fail);
        assert_eq!(ranked.items[0].check.severity, Severity::Critical);
        assert_eq!(ranked.items.last().unwrap().status, Status::NotApplicable);
        let top = top_failing(&stats, Some("contoso-health"));
        assert_eq!(top.items[0].check.severity, Severity::High);
        assert!(top.items.iter().all(|f| f.tenant == "contoso-health"));
    }

    /// The bounded rankings keep exactly what a full stable sort would put first.
    #[test]
    fn bounded_rankings_equal_a_full_stable_sort() {
        let base = fixture::report();
        let mut r = base.clone();
        // Enough findings to overflow every bound several times, statuses and severities mixed.
        r.findings.clear();
        for i in 0..(crate::html::MAX_ROWS * 3 + 7) {
            let mut f = base.findings[(i * 7) % base.findings.len()].clone();
            f.id = format!("f{i}");
            r.findings.push(f);
        }
        let stats = Stats::of(&r);
        let mut all: Vec<&Finding> = r.findings.iter().collect();
        all.sort_by_key(|f| urgency(f));
        let got: Vec<&str> = ranked(&stats).items.iter().map(|f| f.id.as_str()).collect();
        let want: Vec<&str> = all
            .iter()
            .take(crate::html::MAX_ROWS)
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(got, want);
        for tenant in [None, Some("northwind")] {
            let mut fails: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail && tenant.is_none_or(|t| f.tenant == t))
                .collect();
            fails.sort_by_key(|f| std::cmp::Reverse(f.check.severity));
            let top = top_failing(&stats, tenant);
            assert_eq!(top.total, fails.len());
            let got: Vec<&str> = top.items.iter().map(|f| f.id.as_str()).collect();
            let want: Vec<&str> = fails.iter().take(TOP).map(|f| f.id.as_str()).collect();
            assert_eq!(got, want);
        }
    }
}

/// One tool check of the report's `unmapped` findings, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedCheck<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// Target that imported it.
    pub target: &'a str,
    /// The tool (`tool` evidence), or the importer plugin.
    pub tool: &'a str,
    /// The tool's own check id (`tool.check` evidence), or demarc's id of it.
    pub check: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its severity.
    pub severity: Severity,
    /// Its findings.
    pub findings: u64,
    /// Of them, failing.
    pub failing: u64,
}

/// The report's `unmapped` findings by tenant, target and tool check, in that order.
pub fn unmapped_checks(report: &Report) -> Vec<UnmappedCheck<'_>> {
    let mut by: BTreeMap<(&str, &str, &str, &str), UnmappedCheck<'_>> = BTreeMap::new();
    for f in &report.unmapped {
        let tool = f.evidence("tool").unwrap_or(&f.source.plugin);
        let check = f.evidence("tool.check").unwrap_or(&f.check.id);
        let row = by
            .entry((&f.tenant, &f.target, tool, check))
            .or_insert_with(|| UnmappedCheck {
                tenant: &f.tenant,
                target: &f.target,
                tool,
                check,
                title: &f.check.title,
                severity: f.check.severity,
                findings: 0,
                failing: 0,
            });
        row.findings += 1;
        row.failing += u64::from(f.status == Status::Fail);
    }
    by.into_values().collect()
}

/// The report's failing `unmapped` findings, most severe first (report order among equals).
pub fn unmapped_failing(report: &Report) -> Vec<&demarc_core::UnmappedFinding> {
    let mut failing: Vec<_> = report
        .unmapped
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    failing.sort_by_key(|f| std::cmp::Reverse(f.check.severity));
    failing
}
