//! `report.md`: a GitHub-flavoured Markdown digest fit for a ticket or a pull-request comment.
//!
//! It maps the report to: a headline and run line; a coverage-gap alert first when coverage was
//! lost (GitHub's `> [!WARNING]` alert, a plain block quote elsewhere) with a table of every gap;
//! the status summary overall and by owner; failing findings by tenant × owner × severity; the
//! responsibility matrix (layer × owner counts, failing/total) per tenant; the control roll-up
//! (framework requirements per tenant by status) with the requirements that are overdue,
//! partial or without evidence; and the top failing
//! findings, most severe first, capped at [`TOP`] with a pointer to the full formats.
//!
//! Everything that comes from the scanned estate is escaped: free text has every Markdown
//! metacharacter backslash-escaped (so `<b>`, `[link](…)`, `|`, `*` and `@mentions` render as
//! typed and cannot break a table or ping anyone), line breaks become spaces, and identifiers
//! are shown in code spans whose fence is longer than any backtick run inside them.

use std::fmt::Write as _;
use std::io::Write;

use demarc_core::rollup::RollupStatus;
use demarc_core::{Catalog, Layer, Owner, Party, Report};

use crate::labels::{self, SEVERITIES_DESC, one_line};
use crate::view;

/// How many failing findings the digest lists.
pub const TOP: usize = view::TOP;

/// Write the digest.
#[cfg(test)]
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> std::io::Result<()> {
    render_stats(report, &view::Stats::of(report), catalog, out)
}

/// Write the digest of `report` whose findings were gathered into `stats` (the findings of
/// `report` itself are not read).
pub fn render_stats(
    report: &Report,
    stats: &view::Stats,
    catalog: &Catalog,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    out.write_all(digest(report, stats, catalog).as_bytes())
}

/// Escape free text for Markdown: one line, every metacharacter backslash-escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        // Only what is markup in the middle of a line: `-`, `+`, `!`, `(`, `)` only matter at
        // a line start or after an (escaped) `]`.
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '@' | '&' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A fused finding's verdicts, ` — demarc `check`: pass; prowler `check`: fail`, or nothing.
fn verdicts(f: &demarc_core::Finding) -> String {
    if f.verdicts.is_empty() {
        return String::new();
    }
    let list: Vec<String> = f
        .verdicts
        .iter()
        .map(|v| {
            format!(
                "{} {}: {}",
                text(&v.tool),
                code(&v.check),
                v.status.as_str()
            )
        })
        .collect();
    format!(
        " — {}{}",
        list.join("; "),
        if f.contradiction {
            " **(contradiction)**"
        } else {
            ""
        }
    )
}

/// An identifier in a code span that is safe inside a table cell.
pub fn code(s: &str) -> String {
    let s = one_line(s);
    if s.is_empty() {
        return String::new();
    }
    // In a GFM table an unescaped `|` ends the cell even inside a code span.
    let s = s.replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// The suppressions of the run, each with what it matched; stale and expired ones called out.
/// Failing unmapped findings listed one by one, at most.
const UNMAPPED_LISTED: usize = 50;

/// Other tools' findings whose check maps to no catalog control: counted per check, the
/// failing ones listed.
fn unmapped(md: &mut String, report: &Report) {
    if report.unmapped.is_empty() {
        return;
    }
    let checks = view::unmapped_checks(report);
    let failing = view::unmapped_failing(report);
    let _ = writeln!(
        md,
        "## Other tools' findings that map to no control

{} of {} map to no control of \
         demarc's catalog: kept as the tools reported them ({} failing), neither attributed \
         to an owner nor rolled up.\n",
        labels::count(report.unmapped.len() as u64, "finding"),
        labels::count(checks.len() as u64, "tool check"),
        failing.len()
    );
    md.push_str("| tenant | target | tool | check | title | severity | findings | failing |\n|---|---|---|---|---|---|---:|---:|\n");
    for c in &checks {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            text(c.tenant),
            code(c.target),
            text(c.tool),
            code(c.check),
            text(c.title),
            labels::severity(c.severity),
            c.findings,
            c.failing
        );
    }
    md.push('\n');
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "Failing, most severe first ({} of {}):\n",
        failing.len().min(UNMAPPED_LISTED),
        failing.len()
    );
    md.push_str("| severity | tenant | check | resource | finding |\n|---|---|---|---|---|\n");
    for f in failing.iter().take(UNMAPPED_LISTED) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            labels::severity(f.check.severity),
            text(&f.tenant),
            code(f.evidence("tool.check").unwrap_or(&f.check.id)),
            code(&f.resource.id),
            text(&f.message)
        );
    }
    md.push('\n');
}

fn suppressions(md: &mut String, report: &Report) {
    let list = &report.run.suppressions;
    if list.is_empty() {
        return;
    }
    md.push_str("## Suppressions\n\n");
    let stale: Vec<String> = list
        .iter()
        .filter(|s| s.is_stale())
        .map(|s| code(&s.id))
        .collect();
    if !stale.is_empty() {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> **{} stale:** {} matched no failing finding; remove {} or fix {}.\n",
            labels::count(stale.len() as u64, "suppression"),
            stale.join(", "),
            if stale.len() == 1 { "it" } else { "them" },
            if stale.len() == 1 {
                "its selectors"
            } else {
                "their selectors"
            },
        );
    }
    let expired: Vec<String> = list
        .iter()
        .filter(|s| s.expired && !s.is_stale())
        .map(|s| code(&s.id))
        .collect();
    if !expired.is_empty() {
        let _ = writeln!(
            md,
            "> [!CAUTION]\n> **Expired:** {}: the findings they matched fail again, and whoever approved each must act.\n",
            expired.join(", ")
        );
    }
    md.push_str(
        "| suppression | selects | justification | approved by | expires | state | matched |\n",
    );
    md.push_str("|---|---|---|---|---|---|--:|\n");
    for s in list {
        let state = match (s.expired, s.is_stale()) {
            (_, true) => "**stale**",
            (true, false) => "**expired**",
            (false, false) => "in force",
        };
        let by_tenant: Vec<String> = s
            .by_tenant
            .iter()
            .map(|(t, n)| format!("{} {n}", text(t)))
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {state} | {}{} |",
            code(&s.id),
            text(&s.selectors()),
            text(&s.justification),
            text(&s.approved_by),
            text(&s.expires),
            s.matched,
            if by_tenant.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_tenant.join(", "))
            }
        );
    }
    md.push('\n');
}

fn digest(report: &Report, stats: &view::Stats, catalog: &Catalog) -> String {
    let mut md = String::new();
    let s = view::summary(report, stats);
    let tenants = view::tenants(report, stats);
    let run = &report.run;

    let _ = writeln!(md, "# demarc report: {}\n", text(&run.estate));
    let _ = writeln!(
        md,
        "{} · finished {} · {} · {} · {}{}\n",
        text(&run.tool),
        text(&run.finished),
        labels::count(tenants.len() as u64, "tenant"),
        labels::count(run.targets.len() as u64, "target"),
        labels::count(s.findings.total, "finding"),
        run.shard
            .as_ref()
            .map(|sh| format!(" · shard {}", text(sh)))
            .unwrap_or_default(),
    );

    // Gaps first: they change how every number below reads.
    if !run.assumed_service_models.is_empty() {
        let list: Vec<String> = run
            .assumed_service_models
            .iter()
            .map(|(p, m)| format!("{} ({})", code(p), m.as_str()))
            .collect();
        let _ = writeln!(
            md,
            "> [!IMPORTANT]\n> **Attribution assumed:** no responsibility matrix covers some \
             resources of {}: the configuration accepts that service model for them \
             (`assume_service_model`), so their owners are assumed, not documented; their \
             findings have basis `assumed`.\n",
            list.join(", ")
        );
    }
    if report.gaps.is_empty() {
        md.push_str(
            "> [!NOTE]\n> **Coverage complete:** no gaps; every target was fully assessed.\n\n",
        );
    } else {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> **Coverage incomplete: {}.** The findings below do not cover what these gaps lost; \
             see [Coverage gaps](#coverage-gaps).\n",
            labels::count(report.gaps.len() as u64, "gap")
        );
    }

    // Summary.
    md.push_str("## Summary\n\n");
    let failing_sev: Vec<String> = SEVERITIES_DESC
        .iter()
        .map(|sev| {
            format!(
                "{} {}",
                s.failing_by_severity
                    .get(sev.as_str())
                    .copied()
                    .unwrap_or(0),
                sev.as_str()
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "**{} failing** of {} ({}){}. {}\n",
        s.findings.fail,
        labels::count(s.findings.total, "finding"),
        failing_sev.join(" · "),
        if s.findings.suppressed > 0 {
            format!(
                "; {} of them suppressed (see [Suppressions](#suppressions))",
                s.findings.suppressed
            )
        } else {
            String::new()
        },
        view::to_fix_sentence(&s, stats.failing_parties(), |n| format!("**{n}**"), text)
    );
    md.push_str(
        "| | total | fail | error | manual | pass | n/a |\n|---|--:|--:|--:|--:|--:|--:|\n",
    );
    let row = |md: &mut String, name: &str, c: &demarc_core::summary::Counts| {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            c.total, c.fail, c.error, c.manual, c.pass, c.not_applicable
        );
    };
    row(&mut md, "**all findings**", &s.findings);
    for p in Party::ALL {
        if let Some(c) = s.by_must_act.get(p.as_str()) {
            row(&mut md, &format!("must act: {}", labels::party(p)), c);
        }
    }
    for o in Owner::ALL {
        if let Some(c) = s.by_owner.get(o.as_str()) {
            row(&mut md, &format!("control owner: {}", labels::owner(o)), c);
        }
    }
    for (p, c) in &s.by_provider {
        row(
            &mut md,
            &format!("provider: {}", text(&labels::provider(p))),
            c,
        );
    }
    md.push('\n');

    // Failing by tenant × owner × severity.
    md.push_str("## Failing findings by tenant, who must act and severity\n\n");
    if s.findings.fail == 0 {
        md.push_str("No failing findings.\n\n");
    } else {
        md.push_str("| tenant | must act | critical | high | medium | low | info | total |\n");
        md.push_str("|---|---|--:|--:|--:|--:|--:|--:|\n");
        for t in &tenants {
            for (party, sevs) in view::failing(stats, Some(&t.info.id)) {
                let total: u64 = sevs.values().sum();
                let cells: Vec<String> = SEVERITIES_DESC
                    .iter()
                    .map(|sev| sevs.get(sev).copied().unwrap_or(0).to_string())
                    .collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | **{total}** |",
                    text(&t.info.name),
                    labels::party(party),
                    cells.join(" | ")
                );
            }
        }
        md.push('\n');
    }

    // Responsibility matrix.
    md.push_str("## Responsibility matrix\n\n");
    md.push_str(
        "Findings per layer and owner, as *failing / total*. The owner comes from the provider's \
         responsibility matrix for the resource's service model, or from the tenant's contract.\n\n",
    );
    for t in &tenants {
        let m = view::responsibility(stats, Some(&t.info.id));
        if m.is_empty() {
            continue;
        }
        let owners: Vec<Owner> = Owner::ALL
            .into_iter()
            .filter(|o| m.keys().any(|(_, mo)| mo == o))
            .collect();
        let _ = writeln!(md, "### {}\n", text(&t.info.name));
        if !t.info.third_parties.is_empty() {
            let parties: Vec<String> = t.info.third_parties.iter().map(|p| text(p)).collect();
            let _ = writeln!(
                md,
                "Third parties under contract: {}.\n",
                parties.join(", ")
            );
        }
        md.push_str("| layer |");
        for o in &owners {
            let _ = write!(md, " {} |", labels::owner(*o));
        }
        md.push_str("\n|---|");
        for _ in &owners {
            md.push_str("--:|");
        }
        md.push('\n');
        for layer in Layer::ALL {
            if !m.keys().any(|(l, _)| *l == layer) {
                continue;
            }
            let _ = write!(md, "| {} |", text(labels::layer(layer)));
            for o in &owners {
                match m.get(&(layer, *o)) {
                    Some(c) if c.fail > 0 => {
                        let _ = write!(md, " **{}** / {} |", c.fail, c.total);
                    }
                    Some(c) => {
                        let _ = write!(md, " 0 / {} |", c.total);
                    }
                    None => md.push_str(" · |"),
                }
            }
            md.push('\n');
        }
        md.push('\n');
    }

    // Control roll-up.
    if !report.controls.is_empty() {
        md.push_str("## Control roll-up\n\n");
        md.push_str(
            "Framework requirements per tenant by status: the customer responsibility matrix, built \
             from the findings, the provider's attestations and the tenant's own attestations.\n\n",
        );
        md.push_str("| tenant | framework |");
        for st in labels::ROLLUP {
            let _ = write!(md, " {} |", labels::rollup(st).to_lowercase());
        }
        md.push_str(" total |\n|---|---|");
        for _ in labels::ROLLUP {
            md.push_str("--:|");
        }
        md.push_str("--:|\n");
        for t in &tenants {
            for (fw, counts) in view::rollup_counts(report, catalog, &t.info.id) {
                let _ = write!(
                    md,
                    "| {} | {} |",
                    text(&t.info.name),
                    text(labels::framework(catalog, &fw))
                );
                for st in labels::ROLLUP {
                    match counts.get(&st).copied().unwrap_or(0) {
                        0 => md.push_str(" · |"),
                        n => {
                            let _ = write!(md, " {n} |");
                        }
                    }
                }
                let _ = writeln!(md, " {} |", counts.values().sum::<u64>());
            }
        }
        md.push('\n');
        let unassessed: Vec<_> = report
            .controls
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    RollupStatus::NotAssessed | RollupStatus::Overdue | RollupStatus::Partial
                )
            })
            .collect();
        if !unassessed.is_empty() {
            let _ = writeln!(
                md,
                "**Not covered yet:** {} overdue, partial or without evidence{}.\n",
                labels::count(unassessed.len() as u64, "requirement"),
                if unassessed.len() > TOP {
                    format!(" (first {TOP} listed)")
                } else {
                    String::new()
                }
            );
            md.push_str("| tenant | framework | requirement | owner | status | why |\n|---|---|---|---|---|---|\n");
            for r in unassessed.iter().take(TOP) {
                let why = r.gap.clone().unwrap_or_else(|| r.evidence.join("; "));
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    text(&r.tenant),
                    code(&r.framework),
                    code(&r.requirement),
                    labels::owner(r.owner),
                    labels::rollup(r.status),
                    text(&why)
                );
            }
            md.push('\n');
        }
    }

    // Gaps.
    if !report.gaps.is_empty() {
        md.push_str("## Coverage gaps\n\n");
        md.push_str("| tenant | target | kind | plugin | where | what happened |\n|---|---|---|---|---|---|\n");
        for g in &report.gaps {
            let mut at = g.file.as_deref().map(code).unwrap_or_default();
            if let Some(line) = g.line {
                let _ = write!(at, " line {line}");
                if let Some(col) = g.column {
                    let _ = write!(at, ", column {col}");
                }
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                if g.tenant.is_empty() {
                    "*(run)*".to_string()
                } else {
                    text(&g.tenant)
                },
                code(&g.target),
                g.kind.as_str(),
                g.plugin.as_deref().map(code).unwrap_or_default(),
                at.trim(),
                text(&g.message)
            );
        }
        md.push('\n');
    }

    suppressions(&mut md, report);
    unmapped(&mut md, report);

    if s.fused > 0 {
        let _ = writeln!(
            md,
            "> [!NOTE]\n> **Tools compared:** {} of one tool folded into another tool's finding \
             on the same resource and control; {} (one tool passes what another fails). \
             `demarc evaluate report.json` compares the tools control by control.\n",
            labels::count(s.fused, "finding"),
            labels::count(s.contradictions, "contradiction")
        );
    }
    // Top failing findings.
    let top = view::top_failing(stats, None);
    if top.total > 0 {
        let _ = writeln!(
            md,
            "## Top failing findings\n\n{} of {}, most severe first.\n",
            top.total.min(TOP),
            labels::count(top.total as u64, "failing finding")
        );
        md.push_str("| severity | tenant | must act | check | resource | finding | control |\n");
        md.push_str("|---|---|---|---|---|---|---|\n");
        for f in top.items.iter().take(TOP) {
            let resource = match f.resource.name.as_deref().map(one_line) {
                Some(n) if !n.is_empty() && n != f.resource.id => {
                    format!("{} {}", text(&n), code(&f.resource.id))
                }
                _ => code(&f.resource.id),
            };
            let control = f
                .controls
                .first()
                .map(|c| match catalog.control(c) {
                    Some(ctl) => format!("{} {}", code(c), text(&ctl.title)),
                    None => code(c),
                })
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| **{}** | {} | {} | {} {} | {} | {}{} | {} |",
                labels::severity(f.check.severity),
                text(&f.tenant),
                text(&view::must_act_label(f)),
                text(&f.check.title),
                code(&f.check.id),
                resource,
                text(&f.message),
                verdicts(f),
                control
            );
        }
        if top.total > TOP {
            let _ = writeln!(
                md,
                "\n…and {} more: see `report.html`, `report.csv` or `findings.jsonl`.",
                labels::count((top.total - TOP) as u64, "failing finding")
            );
        }
        md.push('\n');
    }

    let manual = s.findings.manual + s.findings.error;
    if manual > 0 {
        let _ = writeln!(
            md,
            "{} need a person: {} manual, {} could not be evaluated.\n",
            labels::count(manual, "finding"),
            s.findings.manual,
            s.findings.error
        );
    }
    let _ = writeln!(
        md,
        "<sub>Generated by {} from report schema {}. Status counts: {}.</sub>",
        text(&run.tool),
        text(&report.schema),
        labels::STATUSES
            .iter()
            .map(|st| format!("{} {}", view::of(&s.findings, *st), st.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    fn rendered(r: &Report) -> String {
        let mut v = Vec::new();
        render(r, &fixture::catalog(), &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn has_every_section_and_the_right_counts() {
        let r = fixture::report();
        let md = rendered(&r);
        for heading in [
            "# demarc report: Bluefin Managed Security: client estate",
            "## Summary",
            "## Failing findings by tenant, who must act and severity",
            "## Responsibility matrix",
            "### Northwind Traders",
            "### Contoso Health",
            "## Control roll-up",
            "## Coverage gaps",
            "## Top failing findings",
        ] {
            assert!(md.contains(heading), "missing {heading}\n{md}");
        }
        assert!(md.contains("> [!WARNING]\n> **Coverage incomplete: 3 gaps.**"));
        assert!(md.contains(&format!(
            "**{} failing** of {} findings",
            r.summary.findings.fail,
            r.findings.len()
        )));
        // Who must act on the failures, in words: the customer's on shared controls too.
        let shared = r
            .findings
            .iter()
            .filter(|f| {
                f.status == demarc_core::Status::Fail
                    && f.must_act.party == Party::Customer
                    && f.responsibility.owner == Owner::Shared
            })
            .count();
        assert!(shared > 0);
        let customer = r.summary.to_fix["customer"].values().sum::<u64>();
        assert!(
            md.contains(&format!(
                "Of the failures, **{customer}** are the customer's to fix, {shared} of them on controls shared with the provider (the provider supplies the capability, the customer must use it); **1** belongs to third parties under contract (Bluefin Managed Security); and **0** are the provider's."
            )),
            "{md}"
        );
        assert!(!md.contains("shared with the provider:"));
        // Northwind's third-party failures: one critical.
        assert!(
            md.contains("| Northwind Traders | Third party | 1 | 0 | 0 | 0 | 0 | **1** |"),
            "{md}"
        );
        // The matrix shows failing / total; guest OS is the third party's for Northwind.
        assert!(
            md.contains("| Guest OS / runtime | · | · | · | **1** / 2 |"),
            "{md}"
        );
        // The roll-up counts every status per tenant and framework.
        assert!(md.contains("## Control roll-up"));
        assert!(
            md.contains(
                "| Fabrikam, Inc. \\<\"R\\&D\"\\> | PCI DSS v4.0 | 1 | · | · | 1 | · | · | · | 2 |"
            ),
            "{md}"
        );
        assert!(md.contains("**Not covered yet:** 3 requirements"));
        // The most severe failure leads the top list.
        let top = md.split("## Top failing findings").nth(1).unwrap();
        let first_row = top.lines().find(|l| l.starts_with("| **")).unwrap();
        assert!(first_row.starts_with("| **Critical** |"), "{first_row}");
    }

    #[test]
    fn hostile_text_cannot_break_tables_or_inject_markup() {
        let md = rendered(&fixture::report());
        assert!(!md.contains("<script>"), "raw HTML leaked");
        assert!(!md.contains("<b>"), "raw HTML leaked");
        assert!(md.contains("\\<script\\>"));
        // Every table row keeps its column count despite `|` in names and ids.
        for block in md.split("\n\n") {
            let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
            if rows.len() < 2 {
                continue;
            }
            let cells = |l: &str| {
                let bytes = l.as_bytes();
                (0..bytes.len())
                    .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
                    .count()
            };
            let want = cells(rows[0]);
            for r in &rows {
                assert_eq!(cells(r), want, "broken row: {r}");
            }
        }
        // Mentions are escaped.
        assert!(md.contains("\\@alice"));
        assert!(!md.contains(" @alice"));
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("  "), "");
        assert_eq!(text("a\nb *c*"), "a b \\*c\\*");
    }

    #[test]
    fn unmapped_findings_are_counted_per_check_and_the_failing_listed() {
        let md = rendered(&fixture::unmapped_report());
        let section = md
            .split("## Other tools' findings that map to no control")
            .nth(1)
            .expect("the section");
        assert!(section.contains("3 findings of 2 tool checks"), "{section}");
        assert!(section.contains("(2 failing)"));
        assert!(section.contains("| northwind | `nw-prowler` | prowler | `guardduty_is_enabled` | guardduty\\_is\\_enabled holds | High | 2 | 1 |"), "{section}");
        assert!(section.contains("Failing, most severe first (2 of 2)"));
        assert!(!section.contains("<script>"));
        assert!(!rendered(&fixture::report()).contains("map to no control"));
    }

    #[test]
    fn a_clean_run_says_so() {
        let mut r = fixture::report();
        r.gaps.clear();
        let md = rendered(&r);
        assert!(md.contains("**Coverage complete:**"));
        assert!(!md.contains("## Coverage gaps"));
    }
}
