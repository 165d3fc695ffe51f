//! The summary printed after a scan: failing findings by tenant, who must act and severity, totals by
//! status, and every gap.

use std::fmt::Write;
use std::path::PathBuf;

use demarc_core::summary::Summary;
use demarc_core::{Party, Severity};

use crate::output::Tail;
use demarc_core::report::TenantInfo;

/// Render the summary as plain text.
pub fn render(tail: &Tail, tenants: &[TenantInfo], summary: &Summary, files: &[PathBuf]) -> String {
    let mut s = String::new();
    let f = &summary.findings;
    let _ = writeln!(
        s,
        "demarc: {} — {}, {}",
        tail.run.estate,
        count(tenants.len() as u64, "tenant", "tenants"),
        count(tail.run.targets.len() as u64, "target", "targets")
    );
    let _ = writeln!(
        s,
        "findings: {} total · {} fail · {} pass · {} manual · {} not applicable · {} error",
        f.total, f.fail, f.pass, f.manual, f.not_applicable, f.error
    );
    let _ = writeln!(s);
    let sevs: Vec<Severity> = Severity::ALL.iter().rev().copied().collect();
    let _ = write!(s, "{:<20} {:<12}", "failing: tenant", "must act");
    for sev in &sevs {
        let _ = write!(s, " {:>8}", sev.as_str());
    }
    let _ = writeln!(s, " {:>8}", "total");
    let _ = writeln!(s, "{}", "-".repeat(20 + 1 + 12 + 9 * (sevs.len() + 1)));
    for t in tenants {
        let by_party = summary.failing.get(&t.id);
        for party in Party::ALL {
            let row = by_party.and_then(|o| o.get(party.as_str()));
            let Some(row) = row else { continue };
            let _ = write!(s, "{:<20} {:<12}", t.id, party.as_str());
            let mut total = 0;
            for sev in &sevs {
                let n = row.get(sev.as_str()).copied().unwrap_or(0);
                total += n;
                let _ = write!(s, " {n:>8}");
            }
            let _ = writeln!(s, " {total:>8}");
        }
        if by_party.is_none() {
            let _ = writeln!(s, "{:<20} {:<12} no failing findings", t.id, "-");
        }
    }
    if f.fail > 0 {
        let _ = writeln!(
            s,
            "{}",
            demarc_report::to_fix_sentence(
                summary,
                &Default::default(),
                |n| n.to_string(),
                str::to_string
            )
        );
    }
    let u = &summary.unmapped;
    if u.total > 0 {
        let _ = writeln!(
            s,
            "unmapped: {} of other tools' checks that map to no control ({} fail), kept in report.json's `unmapped`, not attributed",
            count(u.total, "finding", "findings"),
            u.fail
        );
    }
    if !tail.run.suppressions.is_empty() {
        let expired = tail.run.suppressions.iter().filter(|x| x.expired).count() as u64;
        let _ = writeln!(
            s,
            "suppressions: {} suppressed (accepted, not counted by --fail-on) by {}{}",
            count(f.suppressed, "failing finding", "failing findings"),
            count(
                tail.run.suppressions.len() as u64,
                "suppression",
                "suppressions"
            ),
            if expired > 0 {
                format!(
                    "; {} expired: what they matched fails again, and their approvers must act",
                    count(expired, "suppression", "suppressions")
                )
            } else {
                String::new()
            }
        );
        for x in tail.run.suppressions.iter().filter(|x| x.is_stale()) {
            let _ = writeln!(
                s,
                "  warning: suppression `{}` ({}) is stale: it matched no failing finding; remove it",
                x.id, x.file
            );
        }
    }
    let _ = writeln!(s);
    for (provider, model) in &tail.run.assumed_service_models {
        let _ = writeln!(
            s,
            "attribution: ASSUMED for `{provider}` ({}): no matrix covers some of its resources; \
             the configuration accepts the assumption",
            model.as_str()
        );
    }
    if tail.gaps.is_empty() {
        let _ = writeln!(s, "coverage: complete (no gaps)");
    } else {
        let n = tail.gaps.len();
        let _ = writeln!(
            s,
            "coverage: INCOMPLETE — {n} {}:",
            if n == 1 { "gap" } else { "gaps" }
        );
        for g in &tail.gaps {
            let target = if g.target.is_empty() { "-" } else { &g.target };
            let at = match (&g.file, g.line, g.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                (Some(f), Some(l), None) => format!("{f}:{l}: "),
                (Some(f), None, _) => format!("{f}: "),
                (None, ..) => String::new(),
            };
            let _ = writeln!(s, "  [{}] {}: {at}{}", g.kind.as_str(), target, g.message);
        }
    }
    for f in files {
        let _ = writeln!(s, "wrote {}", f.display());
    }
    s
}

/// `1 tenant`, `2 tenants`: a count with its noun in the number it needs.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
