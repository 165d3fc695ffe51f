//! `evaluation.md` and `evaluation.html`: the comparison of tools that `demarc evaluate` writes.
//! Contradictions come first in both; the HTML is self-contained (inline CSS and SVG, no
//! script, nothing loaded from elsewhere) with a tools × controls coverage matrix, a bar per
//! tenant of agreements, contradictions, differences and single-tool assessments, and each
//! tool's coverage of each framework.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use demarc_core::evaluate::{Assessment, Evaluation, Outcome};
use demarc_core::fuse::Verdict;

use crate::markdown::{code, text};

/// `evaluation.md`.
pub fn markdown(ev: &Evaluation) -> String {
    let mut md = String::new();
    let s = &ev.summary;
    let _ = writeln!(md, "# demarc evaluation\n");
    let _ = writeln!(
        md,
        "{} · tools: {}\n",
        ev.reports
            .iter()
            .map(|r| code(r))
            .collect::<Vec<_>>()
            .join(", "),
        ev.tools
            .iter()
            .map(|t| format!(
                "{}{}",
                text(&t.name),
                if t.versions.is_empty() {
                    String::new()
                } else {
                    format!(" {}", text(&t.versions.join("/")))
                }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        md,
        "**{} contradiction(s)** · {} agreement(s) · {} differing · {} single-tool ({}) · {} control(s) in scope no tool assessed · {} unmapped tool check(s)\n",
        s.contradictions,
        s.agreements,
        s.differing,
        s.single_tool.values().sum::<u64>(),
        s.single_tool
            .iter()
            .map(|(t, n)| format!("{} {n}", text(t)))
            .collect::<Vec<_>>()
            .join(", "),
        s.uncovered_controls,
        s.unmapped_checks
    );

    md.push_str("## Contradictions\n\n");
    if ev.contradictions.is_empty() {
        md.push_str("No tool passes what another fails.\n\n");
    } else {
        md.push_str("One tool passes what another fails: look at each tool's evidence.\n\n");
        md.push_str("| tenant | control | resource | verdicts |\n|---|---|---|---|\n");
        for a in &ev.contradictions {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                text(&a.tenant),
                code(&a.control),
                code(&a.resource),
                a.verdicts
                    .iter()
                    .map(|v| md_verdict(v, true))
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        md.push('\n');
    }

    md.push_str("## Coverage per framework\n\n");
    md.push_str(
        "Requirements of each framework in scope with at least one finding of the tool.\n\n",
    );
    let tools: Vec<&str> = ev.tools.iter().map(|t| t.name.as_str()).collect();
    let _ = writeln!(
        md,
        "| tenant | framework | requirements | {} | no tool |",
        tools
            .iter()
            .map(|t| text(t))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(md, "|---|---|---|{}---|", "---|".repeat(tools.len()));
    for c in &ev.coverage {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            text(&c.tenant),
            code(&c.framework),
            c.requirements,
            c.tools
                .iter()
                .map(|t| format!("{}% ({})", t.percent, t.covered))
                .collect::<Vec<_>>()
                .join(" | "),
            c.uncovered
        );
    }
    md.push('\n');

    md.push_str("## Not covered by any tool\n\n");
    if ev.uncovered.is_empty() {
        md.push_str("Every control in scope was assessed by at least one tool.\n\n");
    } else {
        md.push_str("| tenant | control | requirements (roll-up status) |\n|---|---|---|\n");
        for u in &ev.uncovered {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                text(&u.tenant),
                code(&u.control),
                text(&u.requirements.join(", "))
            );
        }
        md.push('\n');
    }

    if !ev.unmapped.is_empty() {
        md.push_str("## Tool checks that map to no control\n\n");
        md.push_str(
            "Kept in the reports' `unmapped` findings, neither attributed nor rolled up.\n\n\
             | tenant | target | tool | check | title | findings | failing |\n\
             |---|---|---|---|---|---:|---:|\n",
        );
        for u in &ev.unmapped {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                text(&u.tenant),
                code(&u.target),
                text(&u.tool),
                code(&u.check),
                text(&u.title),
                u.findings,
                u.failing
            );
        }
        md.push('\n');
    }

    for (title, outcome) in [
        ("Agreements", Outcome::Agreement),
        ("Differing verdicts", Outcome::Differing),
        ("Seen by one tool only", Outcome::SingleTool),
    ] {
        let list: Vec<&Assessment> = ev
            .assessments
            .iter()
            .filter(|a| a.outcome == outcome)
            .collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {title}\n");
        md.push_str("| tenant | control | resource | status | verdicts |\n|---|---|---|---|---|\n");
        for a in list {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                text(&a.tenant),
                code(&a.control),
                code(&a.resource),
                a.status.as_str(),
                a.verdicts
                    .iter()
                    .map(|v| md_verdict(v, false))
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        md.push('\n');
    }
    md
}

fn md_verdict(v: &Verdict, evidence: bool) -> String {
    let mut s = format!(
        "{} {}: **{}** — {}",
        text(&v.tool),
        code(&v.check),
        v.status.as_str(),
        text(&v.message)
    );
    if evidence && !v.evidence.is_empty() {
        let ev: Vec<String> = v
            .evidence
            .iter()
            .filter(|e| !e.key.starts_with("tool"))
            .map(|e| code(&format!("{}={}", e.key, e.value)))
            .collect();
        if !ev.is_empty() {
            let _ = write!(s, " ({})", ev.join(", "));
        }
    }
    s
}

/// HTML-escape text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d232a;background:#fff}\
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.2rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #dde;padding:.25rem .5rem;vertical-align:top;text-align:left}\
th{background:#f3f5f8}code{font:12px ui-monospace,monospace;background:#f3f5f8;padding:0 .2rem}\
.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{border:1px solid #dde;border-radius:6px;padding:.5rem 1rem}\
.kpi b{display:block;font-size:1.4rem}.bad b{color:#b3261e}\
td.m{width:1.4rem;text-align:center;font-weight:bold}\
.fail{background:#f6c9c4}.pass{background:#c8e6c9}.manual{background:#fff1b8}.error{background:#e0c3f0}.not-applicable{background:#eee}.none{background:#fff}\
.legend span{display:inline-block;padding:0 .4rem;margin-right:.4rem;border:1px solid #dde}\
svg text{font:12px system-ui,sans-serif}";

/// Colours of the outcomes in the charts.
const OUTCOMES: [(Outcome, &str); 4] = [
    (Outcome::Contradiction, "#b3261e"),
    (Outcome::Agreement, "#2e7d32"),
    (Outcome::Differing, "#f9a825"),
    (Outcome::SingleTool, "#78909c"),
];

/// `evaluation.html`.
pub fn html(ev: &Evaluation) -> String {
    let mut h = String::new();
    let s = &ev.summary;
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>demarc evaluation</title><style>{CSS}</style></head><body><h1>demarc evaluation</h1><p>{} · tools: {}</p>",
        ev.reports
            .iter()
            .map(|r| format!("<code>{}</code>", esc(r)))
            .collect::<Vec<_>>()
            .join(", "),
        ev.tools
            .iter()
            .map(|t| format!("{} {}", esc(&t.name), esc(&t.versions.join("/"))))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = write!(
        h,
        "<div class=\"kpi\" id=\"summary\"><div class=\"bad\"><b id=\"contradictions\">{}</b>contradictions</div><div><b>{}</b>agreements</div><div><b>{}</b>differing</div><div><b>{}</b>single-tool</div><div><b>{}</b>controls no tool assessed</div><div><b>{}</b>unmapped tool checks</div></div>",
        s.contradictions,
        s.agreements,
        s.differing,
        s.single_tool.values().sum::<u64>(),
        s.uncovered_controls,
        s.unmapped_checks
    );

    // Contradictions first.
    h.push_str("<h2>Contradictions</h2>");
    if ev.contradictions.is_empty() {
        h.push_str("<p>No tool passes what another fails.</p>");
    } else {
        h.push_str("<table id=\"contradiction-table\"><thead><tr><th>Tenant</th><th>Control</th><th>Resource</th><th>Verdicts and evidence</th></tr></thead><tbody>");
        for a in &ev.contradictions {
            let _ = write!(
                h,
                "<tr class=\"contradiction\"><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&a.tenant),
                esc(&a.control),
                esc(&a.resource),
                a.verdicts
                    .iter()
                    .map(html_verdict)
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        h.push_str("</tbody></table>");
    }

    // Agreement chart: one stacked bar per tenant.
    h.push_str("<h2>Agreement per tenant</h2><p class=\"legend\">");
    for (o, colour) in OUTCOMES {
        let _ = write!(
            h,
            "<span style=\"border-left:1rem solid {colour}\">{}</span>",
            o.as_str()
        );
    }
    h.push_str("</p>");
    let mut per_tenant: BTreeMap<&str, BTreeMap<Outcome, u64>> = BTreeMap::new();
    for a in ev.contradictions.iter().chain(&ev.assessments) {
        *per_tenant
            .entry(&a.tenant)
            .or_default()
            .entry(a.outcome)
            .or_default() += 1;
    }
    let (width, bar, label) = (520.0_f64, 22.0_f64, 140.0_f64);
    let _ = write!(
        h,
        "<svg id=\"agreement-chart\" role=\"img\" aria-label=\"assessments per tenant by outcome\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        label + width + 60.0,
        per_tenant.len() as f64 * (bar + 8.0) + 8.0,
        label + width + 60.0,
        per_tenant.len() as f64 * (bar + 8.0) + 8.0
    );
    for (i, (tenant, counts)) in per_tenant.iter().enumerate() {
        let y = 4.0 + i as f64 * (bar + 8.0);
        let total: u64 = counts.values().sum();
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + bar * 0.7,
            esc(tenant)
        );
        let mut x = label;
        for (o, colour) in OUTCOMES {
            let n = counts.get(&o).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let w = width * n as f64 / total.max(1) as f64;
            let _ = write!(
                h,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{colour}\"><title>{}: {n} {}</title></rect>",
                o.as_str(),
                esc(tenant),
                o.as_str()
            );
            x += w;
        }
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{}\">{total}</text>",
            label + width + 6.0,
            y + bar * 0.7
        );
    }
    h.push_str("</svg>");

    // Coverage per framework, with bars.
    h.push_str("<h2>Coverage per framework</h2><p>Requirements of each framework in scope with at least one finding of the tool.</p><table id=\"coverage\"><thead><tr><th>Tenant</th><th>Framework</th><th>Requirements</th>");
    for t in &ev.tools {
        let _ = write!(h, "<th>{}</th>", esc(&t.name));
    }
    h.push_str("<th>No tool</th></tr></thead><tbody>");
    for c in &ev.coverage {
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td>",
            esc(&c.tenant),
            esc(&c.framework),
            c.requirements
        );
        for t in &c.tools {
            let _ = write!(
                h,
                "<td data-tool=\"{}\"><svg width=\"80\" height=\"10\" aria-hidden=\"true\"><rect width=\"80\" height=\"10\" fill=\"#eceff1\"/><rect width=\"{:.1}\" height=\"10\" fill=\"#1565c0\"/></svg> {}% ({})</td>",
                esc(&t.tool),
                t.percent * 0.8,
                t.percent,
                t.covered
            );
        }
        let _ = write!(h, "<td>{}</td></tr>", c.uncovered);
    }
    h.push_str("</tbody></table>");

    // Tools × controls matrix: per tenant and control, each tool's worst verdict.
    h.push_str("<h2>Tools × controls</h2><p class=\"legend\"><span class=\"fail\">F fail</span><span class=\"manual\">M manual</span><span class=\"error\">E error</span><span class=\"pass\">P pass</span><span class=\"none\">· not assessed</span></p>");
    let mut cells: BTreeMap<(&str, &str), BTreeMap<&str, demarc_core::Status>> = BTreeMap::new();
    for a in ev.contradictions.iter().chain(&ev.assessments) {
        let row = cells.entry((&a.tenant, &a.control)).or_default();
        for v in &a.verdicts {
            let e = row.entry(&v.tool).or_insert(v.status);
            if demarc_core::fuse::status_rank(v.status) > demarc_core::fuse::status_rank(*e) {
                *e = v.status;
            }
        }
    }
    let uncovered: BTreeSet<(&str, &str)> = ev
        .uncovered
        .iter()
        .map(|u| (u.tenant.as_str(), u.control.as_str()))
        .collect();
    h.push_str("<table id=\"matrix\"><thead><tr><th>Tenant</th><th>Control</th>");
    for t in &ev.tools {
        let _ = write!(h, "<th>{}</th>", esc(&t.name));
    }
    h.push_str("</tr></thead><tbody>");
    let keys: BTreeSet<(&str, &str)> = cells
        .keys()
        .copied()
        .chain(uncovered.iter().copied())
        .collect();
    for key in keys {
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td>",
            esc(key.0),
            esc(key.1)
        );
        for t in &ev.tools {
            match cells.get(&key).and_then(|r| r.get(t.name.as_str())) {
                Some(st) => {
                    let _ = write!(
                        h,
                        "<td class=\"m {}\" title=\"{}: {}\">{}</td>",
                        st.as_str(),
                        esc(&t.name),
                        st.as_str(),
                        st.as_str()[..1].to_ascii_uppercase()
                    );
                }
                None => {
                    let _ = write!(
                        h,
                        "<td class=\"m none\" title=\"{}: not assessed\">·</td>",
                        esc(&t.name)
                    );
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");

    h.push_str("<h2>Not covered by any tool</h2>");
    if ev.uncovered.is_empty() {
        h.push_str("<p>Every control in scope was assessed by at least one tool.</p>");
    } else {
        h.push_str("<table id=\"uncovered\"><thead><tr><th>Tenant</th><th>Control</th><th>Requirements (roll-up status)</th></tr></thead><tbody>");
        for u in &ev.uncovered {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&u.tenant),
                esc(&u.control),
                esc(&u.requirements.join(", "))
            );
        }
        h.push_str("</tbody></table>");
    }
    if !ev.unmapped.is_empty() {
        h.push_str("<h2>Tool checks that map to no control</h2><table id=\"unmapped\"><thead><tr><th>Tenant</th><th>Target</th><th>Tool</th><th>Check</th><th>Title</th><th>Findings</th><th>Failing</th></tr></thead><tbody>");
        for u in &ev.unmapped {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&u.tenant),
                esc(&u.target),
                esc(&u.tool),
                esc(&u.check),
                esc(&u.title),
                u.findings,
                u.failing
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("<h2>Every assessment</h2><table id=\"assessments\"><thead><tr><th>Tenant</th><th>Control</th><th>Resource</th><th>Outcome</th><th>Verdicts</th></tr></thead><tbody>");
    for a in &ev.assessments {
        let _ = write!(
            h,
            "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            a.outcome.as_str(),
            esc(&a.tenant),
            esc(&a.control),
            esc(&a.resource),
            a.outcome.as_str(),
            a.verdicts
                .iter()
                .map(html_verdict)
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    h.push_str("</tbody></table></body></html>\n");
    h
}

fn html_verdict(v: &Verdict) -> String {
    let evidence: Vec<String> = v
        .evidence
        .iter()
        .filter(|e| !e.key.starts_with("tool"))
        .map(|e| {
            format!(
                "<code>{}</code> = <code>{}</code>",
                esc(&e.key),
                esc(&e.value)
            )
        })
        .collect();
    format!(
        "<span class=\"verdict {}\">{} <code>{}</code>: <b>{}</b></span> — {}{}",
        v.status.as_str(),
        esc(&v.tool),
        esc(&v.check),
        v.status.as_str(),
        esc(&v.message),
        if evidence.is_empty() {
            String::new()
        } else {
            format!(" ({})", evidence.join(", "))
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_core::evaluate::Evaluator;

    #[test]
    fn hostile_text_is_escaped_and_contradictions_come_first() {
        let ev = Evaluation {
            schema: demarc_core::evaluate::EVALUATION_SCHEMA.into(),
            reports: vec!["<script>r.json".into()],
            ..Evaluator::new().finish()
        };
        let h = html(&ev);
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;r.json"));
        assert!(!h.contains("http"), "nothing external: {h}");
        let md = markdown(&ev);
        let c = md.find("## Contradictions").unwrap();
        let cov = md.find("## Coverage per framework").unwrap();
        assert!(c < cov);
    }
}
