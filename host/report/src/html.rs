//! `report.html`: one self-contained page an MSSP can hand to a client.
//!
//! It maps the report to, in reading order: a masthead (estate, run, scope); the coverage
//! banner, prominent and first when gaps lost coverage, listing every gap; an executive summary
//! (key figures, the attribution of failures in plain words, the most urgent findings); charts
//! as inline SVG (findings by owner, failing by severity, findings by provider and by tenant,
//! the status breakdown); a section per tenant with its figures, failing findings by owner and
//! severity, the responsibility view (layer × owner, failing / total), the control roll-up by
//! framework with the requirements not yet covered, and its gaps; the findings table, most
//! urgent first, with evidence, remediation and attribution basis in expandable rows; and the
//! run details (plugins with digests, targets, inputs).
//!
//! The page reads completely without JavaScript. A small inline script only filters the
//! findings table (tenant, owner, severity, status, free text); its controls stay hidden
//! without it, and it applies `?tenant=`, `?act=`, `?owner=`, `?severity=`, `?status=` and `?q=` from
//! the URL on load so a filtered view can be linked. Nothing is fetched: no network, CDN, font
//! or image; a Content-Security-Policy with `default-src 'none'` and SHA-256 hashes of the one
//! style and the one script enforces it. Every value from the report is HTML-escaped (resource
//! names, tags and messages are chosen by whoever controls the scanned cloud), and the CSP
//! would refuse any script that escaping had missed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use sha2::{Digest, Sha256};

use demarc_core::rollup::RollupStatus;
use demarc_core::summary::Counts;
use demarc_core::{Catalog, Finding, Gap, Layer, Owner, Party, Report, Severity, Status};

use crate::labels::{self, ROLLUP, SEVERITIES_DESC, STATUSES};
use crate::view;

/// At most this many findings are listed in the table (most urgent first); the page says so
/// when it lists fewer than the report holds.
pub const MAX_ROWS: usize = 10_000;

/// Escape text for HTML element content and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#b91c1c",
        Severity::High => "#ea580c",
        Severity::Medium => "#d97706",
        Severity::Low => "#2563eb",
        Severity::Info => "#64748b",
    }
}

fn status_color(s: Status) -> &'static str {
    match s {
        Status::Fail => "#dc2626",
        Status::Error => "#7c3aed",
        Status::Manual => "#ca8a04",
        Status::Pass => "#16a34a",
        Status::NotApplicable => "#94a3b8",
    }
}

fn rollup_class(s: RollupStatus) -> &'static str {
    s.as_str()
}

const STYLE: &str = r#"
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f1f5f9;--card:#fff;--navy:#0b1f3a;--accent:#0e7490}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
[hidden]{display:none!important}
a{color:var(--accent)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
code{background:#f1f5f9;border-radius:4px;padding:1px 4px;word-break:break-all}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
.masthead{background:linear-gradient(135deg,#0b1f3a 0%,#12355f 100%);color:#fff;padding:28px 0 22px}
.brand{display:flex;align-items:center;gap:10px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:#93c5fd}
.brand svg{flex:none}
.masthead h1{margin:8px 0 4px;font-size:28px;font-weight:650;letter-spacing:-.01em}
.masthead .sub{color:#cbd5e1;font-size:14px}
.masthead .meta{margin-top:14px;display:flex;flex-wrap:wrap;gap:8px}
.chip{display:inline-block;border:1px solid rgba(255,255,255,.25);border-radius:999px;padding:2px 10px;font-size:12px;color:#e2e8f0}
nav.toc{background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
nav.toc .wrap{display:flex;gap:18px;overflow-x:auto;white-space:nowrap;padding-top:10px;padding-bottom:10px}
nav.toc a{color:var(--ink);text-decoration:none;font-weight:550;font-size:13px}
nav.toc a:hover{color:var(--accent)}
main{padding:22px 0 40px}
section.block{margin:0 0 26px}
h2{font-size:20px;margin:0 0 12px;letter-spacing:-.01em}
h3{font-size:15px;margin:18px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.banner{border-radius:10px;padding:16px 20px;margin:0 0 22px;border:1px solid}
.banner h2{font-size:17px;margin:0 0 6px;display:flex;align-items:center;gap:8px}
.banner-gap{background:#fff7ed;border-color:#fb923c;border-left:6px solid #ea580c}
.banner-gap h2{color:#9a3412}
.banner-ok{background:#f0fdf4;border-color:#86efac;border-left:6px solid #16a34a}
.banner-ok h2{color:#166534}
.banner table{margin-top:10px;background:#fff}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:16px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.kpi .v{font-size:28px;font-weight:700;line-height:1.1}
.kpi .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em;margin-top:4px}
.kpi .s{font-size:12px;color:var(--muted);margin-top:2px}
.kpi.bad .v{color:#b91c1c}.kpi.warn .v{color:#b45309}.kpi.good .v{color:#15803d}
.lead{font-size:15px;max-width:920px;margin:0 0 10px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:14px}
figure{margin:0}
figcaption{font-weight:650;margin-bottom:8px}
.chart svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:7px 9px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);background:#f8fafc;font-weight:650}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even) td{background:#fcfdfe}
.scroll{overflow-x:auto}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:11.5px;font-weight:650;white-space:nowrap;border:1px solid transparent}
.sev-critical{background:#fee2e2;color:#991b1b;border-color:#fecaca}
.sev-high{background:#ffedd5;color:#9a3412;border-color:#fed7aa}
.sev-medium{background:#fef3c7;color:#92400e;border-color:#fde68a}
.sev-low{background:#dbeafe;color:#1e40af;border-color:#bfdbfe}
.sev-info{background:#f1f5f9;color:#475569;border-color:#e2e8f0}
.st-fail{background:#dc2626;color:#fff}.st-suppressed{background:#e5e7eb;color:#374151;border-color:#9ca3af;margin-left:4px}.st-error{background:#7c3aed;color:#fff}.st-manual{background:#fef9c3;color:#854d0e;border-color:#fde047}
.st-pass{background:#dcfce7;color:#166534;border-color:#bbf7d0}.st-not-applicable{background:#f1f5f9;color:#64748b;border-color:#e2e8f0}
.own{font-weight:600}.own-provider{color:#4338ca}.own-customer{color:#0369a1}.own-shared{color:#7e22ce}.own-third-party{color:#0f766e}
.ru-failing{background:#fee2e2;color:#991b1b}.ru-overdue{background:#ffedd5;color:#9a3412}.ru-partial{background:#fef3c7;color:#92400e}
.ru-not-assessed{background:#e2e8f0;color:#334155}.ru-attested{background:#ccfbf1;color:#115e59}.ru-satisfied{background:#dcfce7;color:#166534}.ru-inherited{background:#e0e7ff;color:#3730a3}
.tenant{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 18px}
.tenant header{display:flex;flex-wrap:wrap;align-items:baseline;gap:10px;margin-bottom:8px}
.tenant header h2{margin:0}
.tenant .tid{color:var(--muted)}
.tags{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 12px}
.tag{background:#f1f5f9;border:1px solid var(--line);border-radius:6px;padding:1px 8px;font-size:12px}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px}
td.cell{text-align:center;font-variant-numeric:tabular-nums;white-space:nowrap}
td.h0{background:#f0fdf4!important;color:#166534}td.h1{background:#fef3c7!important;color:#92400e}td.h2{background:#fee2e2!important;color:#991b1b;font-weight:650}td.empty{color:#cbd5e1}
.callout{background:#fff7ed;border:1px solid #fed7aa;border-radius:8px;padding:10px 12px;margin:10px 0}
.mini{display:flex;flex-wrap:wrap;gap:16px;margin:6px 0 4px;font-size:13px}
.mini b{font-size:18px;margin-right:4px}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:0 0 12px}
.filters label{display:flex;flex-direction:column;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);gap:3px}
.filters select,.filters input{font:inherit;font-size:13px;padding:6px 8px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;min-width:140px}
.filters input{min-width:240px}
.filters button{font:inherit;font-size:13px;padding:6px 12px;border:1px solid #cbd5e1;border-radius:6px;background:#f8fafc;cursor:pointer}
.count{color:var(--muted);font-size:13px;margin-left:auto}
table.findings td{font-size:12.5px}
table.findings td.msg{min-width:260px}
table.findings td.chk{min-width:190px}
table.findings td.rsc{max-width:320px}
table.findings td.rsc .res{word-break:break-all}
.res{display:block;color:var(--muted);font-size:11.5px}
details{margin-top:4px}
summary{cursor:pointer;color:var(--accent);font-size:12px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0 0;font-size:12px}
.kv dt{color:var(--muted)}.kv dd{margin:0}
.muted{color:var(--muted)}
footer{color:var(--muted);font-size:12px;padding:18px 0 40px;border-top:1px solid var(--line)}
@media print{nav.toc,.filters{display:none!important}body{background:#fff}.tenant,.card{break-inside:avoid;box-shadow:none}details{display:block}.masthead{background:#0b1f3a!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"#;

const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('filters');
  var table = document.getElementById('findings-table');
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr.finding'));
  var fields = ['tenant', 'act', 'owner', 'severity', 'status'];
  var count = document.getElementById('filter-count');
  function apply() {
    var want = {};
    fields.forEach(function (f) { want[f] = form.elements[f].value; });
    var text = form.elements.q.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = fields.every(function (f) { return !want[f] || row.getAttribute('data-' + f) === want[f]; });
      if (ok && text) { ok = row.textContent.toLowerCase().indexOf(text) !== -1; }
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + ' of ' + rows.length + ' findings shown';
    table.setAttribute('data-shown', String(shown));
  }
  var params = new URLSearchParams(window.location.search);
  fields.concat(['q']).forEach(function (f) {
    if (params.has(f)) { form.elements[f].value = params.get(f); }
  });
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  form.addEventListener('reset', function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
"#;

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The CSP source expression of an inline block.
fn csp_hash(block: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(block.as_bytes())))
}

/// Write the page.
#[cfg(test)]
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> std::io::Result<()> {
    render_stats(report, &view::Stats::of(report), catalog, out)
}

/// Write the page of `report` whose findings were gathered into `stats` (the findings of
/// `report` itself are not read). The page holds at most [`MAX_ROWS`] findings, so its size
/// does not grow with the report's.
pub fn render_stats(
    report: &Report,
    stats: &view::Stats,
    catalog: &Catalog,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rows = view::ranked(stats).items.len();
    let mut h = String::with_capacity(64 * 1024 + rows * 1200);
    page(&mut h, report, stats, catalog);
    out.write_all(h.as_bytes())
}

fn human_time(s: &str) -> String {
    match crate::timestamp::normalize(s) {
        Some(t) => format!("{} {} UTC", &t[..10], &t[11..19]),
        None => s.to_string(),
    }
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "–".into()
    } else {
        format!("{:.0}%", (n as f64) * 100.0 / (d as f64))
    }
}

fn pill_sev(s: Severity) -> String {
    format!(
        r#"<span class="pill sev-{}">{}</span>"#,
        s.as_str(),
        labels::severity(s)
    )
}

fn pill_status(s: Status) -> String {
    format!(
        r#"<span class="pill st-{}">{}</span>"#,
        s.as_str(),
        labels::status(s)
    )
}

/// The finding's status, and beside it whether a suppression accepted it (or did, and has
/// expired: the finding counts again).
fn status_cell(f: &Finding) -> String {
    let mut cell = pill_status(f.status);
    if let Some(s) = &f.suppression {
        let _ = write!(
            cell,
            r#"<span class="pill st-suppressed" title="{}: {} (approved by {}, until {})">{}</span>"#,
            esc(&s.id),
            esc(&s.justification),
            esc(&s.approved_by),
            esc(&s.expires),
            if s.expired {
                "suppression expired"
            } else {
                "suppressed"
            }
        );
    }
    cell
}

/// Who must act on the finding, and below it the control's owner where that says more (a
/// shared control, or an owner other than the party that acts).
fn owner_html(f: &Finding) -> String {
    let a = &f.must_act;
    let mut s = format!(
        r#"<span class="own own-{}">{}</span>"#,
        a.party.as_str(),
        labels::party(a.party)
    );
    if let Some(p) = &a.name {
        let _ = write!(s, r#"<span class="res">{}</span>"#, esc(p));
    }
    let o = f.responsibility.owner;
    if o.as_str() != a.party.as_str() {
        let _ = write!(
            s,
            r#"<span class="res">control: {}</span>"#,
            labels::owner(o).to_lowercase()
        );
    }
    s
}

fn resource_label(f: &Finding) -> String {
    match f.resource.name.as_deref().map(labels::one_line) {
        Some(n) if !n.is_empty() => n,
        _ => f.resource.id.clone(),
    }
}

fn page(h: &mut String, report: &Report, stats: &view::Stats, catalog: &Catalog) {
    let run = &report.run;
    let s = view::summary(report, stats);
    let tenants = view::tenants(report, stats);
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="{tool}">
<title>{estate} — demarc shared-responsibility report</title>
<style>{STYLE}</style>
</head>
<body>
"#,
        csp = esc(&csp),
        tool = esc(&run.tool),
        estate = esc(&run.estate),
    );

    // Masthead.
    let _ = write!(
        h,
        r##"<header class="masthead"><div class="wrap">
<div class="brand"><svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true"><rect x="1" y="1" width="20" height="20" rx="5" fill="none" stroke="#93c5fd" stroke-width="2"/><line x1="11" y1="4" x2="11" y2="18" stroke="#93c5fd" stroke-width="2" stroke-dasharray="3 2"/></svg>demarc · shared-responsibility report</div>
<h1>{estate}</h1>
<div class="sub">Who owns each control — the provider, the customer, both, or a third party — and is it met.</div>
<div class="meta"><span class="chip">Run finished {finished}</span><span class="chip">{tenants}</span><span class="chip">{targets}</span><span class="chip">{plugins}</span><span class="chip">{tool}</span>{shard}</div>
</div></header>
"##,
        estate = esc(&run.estate),
        finished = esc(&human_time(&run.finished)),
        tenants = labels::count(tenants.len() as u64, "tenant"),
        targets = labels::count(run.targets.len() as u64, "target"),
        plugins = labels::count(run.plugins.len() as u64, "plugin"),
        tool = esc(&run.tool),
        shard = run
            .shard
            .as_ref()
            .map(|x| format!(r#"<span class="chip">shard {}</span>"#, esc(x)))
            .unwrap_or_default(),
    );

    // Navigation.
    h.push_str(r##"<nav class="toc" aria-label="Sections"><div class="wrap"><a href="#coverage">Coverage</a>"##);
    if report.summary.portfolio.tenants.len() > 1 {
        h.push_str(r##"<a href="#portfolio">Portfolio</a>"##);
    }
    if report.trend.as_ref().is_some_and(|t| !t.runs.is_empty()) {
        h.push_str(r##"<a href="#trend">Over time</a>"##);
    }
    h.push_str(r##"<a href="#summary">Summary</a><a href="#charts">Charts</a>"##);
    for (i, t) in tenants.iter().enumerate() {
        let _ = write!(h, r##"<a href="#tenant-{i}">{}</a>"##, esc(&t.info.name));
    }
    if !report.run.suppressions.is_empty() {
        h.push_str(r##"<a href="#suppressions">Suppressions</a>"##);
    }
    h.push_str(r##"<a href="#findings">Findings</a>"##);
    if !report.unmapped.is_empty() {
        h.push_str(r##"<a href="#unmapped">Unmapped</a>"##);
    }
    h.push_str(
        r##"<a href="#run">Run details</a></div></nav>
<main class="wrap">
"##,
    );

    coverage(h, report);
    assumed_models(h, report);
    portfolio(h, report, catalog);
    trend(h, report);
    summary(h, report, stats, catalog, &s, &tenants);
    charts(h, &s, &tenants);
    for (i, t) in tenants.iter().enumerate() {
        tenant(h, report, stats, catalog, i, t);
    }
    suppressions(h, report);
    findings(h, stats, catalog, &tenants);
    unmapped(h, report);
    run_details(h, report);

    let _ = write!(
        h,
        r#"</main>
<footer><div class="wrap">Generated by {tool} from report schema <code>{schema}</code>. Run started {started}, finished {finished}; reference time {now}. This page is self-contained: it loads nothing from the network and works offline; the filters need JavaScript, everything else does not.</div></footer>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        tool = esc(&run.tool),
        schema = esc(&report.schema),
        started = esc(&human_time(&run.started)),
        finished = esc(&human_time(&run.finished)),
        now = esc(&human_time(&run.now)),
    );
}

/// Each tenant's posture across the runs of the history database (when the page is rendered
/// with one): its pass rate as a line, and per run its failing findings by owner and severity.
fn trend(h: &mut String, report: &Report) {
    let Some(trend) = report.trend.as_ref().filter(|t| !t.runs.is_empty()) else {
        return;
    };
    let name = |id: &str| {
        report
            .tenants
            .iter()
            .find(|t| t.id == id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    let _ = write!(
        h,
        r#"<section id="trend" class="block card"><h2>Posture over time: {}</h2><p class="muted">From the history database: each tenant's pass rate (passing of decided findings) and its failing findings per recorded run, oldest first.</p>"#,
        labels::count(trend.runs.len() as u64, "recorded run")
    );
    for tenant in trend.tenants() {
        let _ = write!(
            h,
            r#"<div class="trend" data-tenant="{}"><h3>{}</h3>"#,
            esc(tenant),
            esc(&name(tenant))
        );
        // The pass rate as a line over the runs that scanned the tenant.
        let points: Vec<(usize, f64)> = trend
            .runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, r.tenants.get(tenant)?.pass_rate()?)))
            .collect();
        if !points.is_empty() {
            let (w, top, height) = (520.0, 10.0, 80.0);
            let step = if trend.runs.len() > 1 {
                (w - 40.0) / (trend.runs.len() - 1) as f64
            } else {
                0.0
            };
            let xy =
                |(i, rate): (usize, f64)| (20.0 + step * i as f64, top + height * (1.0 - rate));
            let line: Vec<String> = points
                .iter()
                .map(|&p| {
                    let (x, y) = xy(p);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            let _ = write!(
                h,
                r##"<svg class="trend-line" viewBox="0 0 520 110" role="img" aria-label="Pass rate of {} over {}" xmlns="http://www.w3.org/2000/svg"><line x1="20" y1="{top}" x2="500" y2="{top}" stroke="#e2e8f0"/><line x1="20" y1="{bottom}" x2="500" y2="{bottom}" stroke="#e2e8f0"/><text x="0" y="{ty}" font-size="9" fill="#64748b">100%</text><text x="0" y="{by}" font-size="9" fill="#64748b">0%</text><polyline fill="none" stroke="#2563eb" stroke-width="2" points="{}"/>"##,
                esc(&name(tenant)),
                labels::count(trend.runs.len() as u64, "run"),
                line.join(" "),
                bottom = top + height,
                ty = top + 3.0,
                by = top + height + 3.0,
            );
            for &p in &points {
                let (x, y) = xy(p);
                let _ = write!(
                    h,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#2563eb"><title>run {}: {:.0}%</title></circle>"##,
                    trend.runs[p.0].run,
                    p.1 * 100.0
                );
            }
            h.push_str("</svg>");
        }
        h.push_str(r#"<div class="scroll"><table><thead><tr><th>Run</th><th>Finished</th><th class="n">Pass rate</th><th class="n">Failing</th>"#);
        for o in Owner::ALL {
            let _ = write!(h, r#"<th class="n">{}</th>"#, labels::owner(o));
        }
        for sev in labels::SEVERITIES_DESC {
            let _ = write!(h, r#"<th class="n">{}</th>"#, labels::severity(sev));
        }
        h.push_str("</tr></thead><tbody>");
        for r in &trend.runs {
            let Some(p) = r.tenants.get(tenant) else {
                let _ = write!(
                    h,
                    r#"<tr class="trend-run"><td>{}</td><td>{}</td><td colspan="{}" class="muted">not scanned in this run</td></tr>"#,
                    r.run,
                    esc(&human_time(&r.finished)),
                    2 + Owner::ALL.len() + labels::SEVERITIES_DESC.len()
                );
                continue;
            };
            let _ = write!(
                h,
                r#"<tr class="trend-run"><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td>"#,
                r.run,
                esc(&human_time(&r.finished)),
                pct(p.pass, p.pass + p.fail),
                p.fail
            );
            for o in Owner::ALL {
                let n = p.failing_by_owner.get(o.as_str()).copied().unwrap_or(0);
                let _ = write!(h, r#"<td class="n">{n}</td>"#);
            }
            for sev in labels::SEVERITIES_DESC {
                let n = p
                    .failing_by_severity
                    .get(sev.as_str())
                    .copied()
                    .unwrap_or(0);
                let _ = write!(h, r#"<td class="n">{n}</td>"#);
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div></div>");
    }
    h.push_str("</section>\n");
}

/// The portfolio, first for an MSSP: the tenants worst first with their failures by severity
/// and their coverage, and the controls that fail in the most tenants. Shown for two tenants
/// or more.
fn portfolio(h: &mut String, report: &Report, catalog: &Catalog) {
    let p = &report.summary.portfolio;
    if p.tenants.len() < 2 {
        return;
    }
    let name = |id: &str| {
        report
            .tenants
            .iter()
            .find(|t| t.id == id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    let _ = write!(
        h,
        r#"<section id="portfolio" class="block card"><h2>Portfolio: {}, worst first</h2><div class="scroll"><table><thead><tr><th>Tenant</th>"#,
        labels::count(p.tenants.len() as u64, "tenant")
    );
    for sev in labels::SEVERITIES_DESC {
        let _ = write!(h, r#"<th class="n">{}</th>"#, labels::severity(sev));
    }
    h.push_str(r#"<th class="n">Pass rate</th><th>Coverage</th></tr></thead><tbody>"#);
    for t in &p.tenants {
        let _ = write!(
            h,
            r#"<tr data-tenant="{}"><td>{}</td>"#,
            esc(&t.tenant),
            esc(&name(&t.tenant))
        );
        for sev in labels::SEVERITIES_DESC {
            let n = t
                .failing_by_severity
                .get(sev.as_str())
                .copied()
                .unwrap_or(0);
            let _ = write!(h, r#"<td class="n">{n}</td>"#);
        }
        let coverage = if t.targets == t.complete && t.gaps == 0 {
            format!("complete ({})", labels::count(t.targets, "target"))
        } else {
            format!(
                "{} of {} complete; {} partial, {} not assessed; {}",
                t.complete,
                labels::count(t.targets, "target"),
                t.partial,
                t.failed,
                labels::count(t.gaps, "gap")
            )
        };
        let _ = write!(
            h,
            r#"<td class="n">{}</td><td>{}</td></tr>"#,
            pct(t.findings.pass, t.findings.pass + t.findings.fail),
            esc(&coverage)
        );
    }
    h.push_str("</tbody></table></div>");
    let split: Vec<String> = report
        .summary
        .by_owner
        .iter()
        .filter(|(_, c)| c.fail > 0)
        .map(|(owner, c)| format!("{} {owner}", c.fail))
        .collect();
    if !split.is_empty() {
        let _ = write!(
            h,
            r#"<p id="owner-split">Failing findings by control owner, across all tenants: {}.</p>"#,
            esc(&split.join(", "))
        );
    }
    if !p.failing_controls.is_empty() {
        h.push_str(r#"<h3>Most common failing controls</h3><div class="scroll"><table><thead><tr><th>Control</th><th class="n">Tenants</th><th class="n">Failing findings</th></tr></thead><tbody>"#);
        for c in &p.failing_controls {
            let title = catalog
                .control(&c.control)
                .map(|x| x.title.as_str())
                .unwrap_or("");
            let _ = write!(
                h,
                r#"<tr><td><code>{}</code> {}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                esc(&c.control),
                esc(title),
                c.tenants,
                c.failing
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>\n");
}

fn gap_where(g: &Gap) -> String {
    let mut w = String::new();
    if let Some(f) = &g.file {
        let _ = write!(w, "<code>{}</code>", esc(f));
        if let Some(l) = g.line {
            let _ = write!(w, " line {l}");
            if let Some(c) = g.column {
                let _ = write!(w, ", column {c}");
            }
        }
    }
    w
}

fn gap_table(h: &mut String, gaps: &[&Gap], with_tenant: bool) {
    h.push_str(r#"<div class="scroll"><table class="gaps"><thead><tr>"#);
    if with_tenant {
        h.push_str("<th>Tenant</th>");
    }
    h.push_str("<th>Target</th><th>Kind</th><th>Plugin</th><th>Where</th><th>What happened</th></tr></thead><tbody>");
    for g in gaps {
        h.push_str("<tr>");
        if with_tenant {
            let _ = write!(
                h,
                "<td>{}</td>",
                if g.tenant.is_empty() {
                    "<span class=\"muted\">run</span>".to_string()
                } else {
                    esc(&g.tenant)
                }
            );
        }
        let _ = write!(
            h,
            r#"<td><code>{}</code></td><td><span class="pill ru-overdue">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&g.target),
            esc(g.kind.as_str()),
            g.plugin.as_deref().map(esc).unwrap_or_default(),
            gap_where(g),
            esc(&g.message)
        );
    }
    h.push_str("</tbody></table></div>");
}

/// Failing unmapped findings listed one by one, at most.
const UNMAPPED_LISTED: usize = 200;

/// Other tools' findings whose check maps to no catalog control: counted per check, the
/// failing ones listed, most severe first.
fn unmapped(h: &mut String, report: &Report) {
    if report.unmapped.is_empty() {
        return;
    }
    let checks = view::unmapped_checks(report);
    let failing = view::unmapped_failing(report);
    let _ = write!(
        h,
        r#"<section id="unmapped" class="block card"><h2>Other tools' findings that map to no control</h2><p>{} of {} map to no control of demarc's catalog: kept as the tools reported them ({} failing), neither attributed to an owner nor rolled up.</p><div class="scroll"><table><thead><tr><th>Tenant</th><th>Target</th><th>Tool</th><th>Check</th><th>Title</th><th>Severity</th><th class="n">Findings</th><th class="n">Failing</th></tr></thead><tbody>"#,
        labels::count(report.unmapped.len() as u64, "finding"),
        labels::count(checks.len() as u64, "tool check"),
        failing.len()
    );
    for c in &checks {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            esc(c.tenant),
            esc(c.target),
            esc(c.tool),
            esc(c.check),
            esc(c.title),
            pill_sev(c.severity),
            c.findings,
            c.failing
        );
    }
    h.push_str("</tbody></table></div>");
    if !failing.is_empty() {
        let _ = write!(
            h,
            r#"<h3>Failing, most severe first ({} of {})</h3><div class="scroll"><table id="unmapped-failing"><thead><tr><th>Severity</th><th>Tenant</th><th>Check</th><th>Resource</th><th>Finding</th></tr></thead><tbody>"#,
            failing.len().min(UNMAPPED_LISTED),
            failing.len()
        );
        for f in failing.iter().take(UNMAPPED_LISTED) {
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>"#,
                pill_sev(f.check.severity),
                esc(&f.tenant),
                esc(f.evidence("tool.check").unwrap_or(&f.check.id)),
                esc(&f.resource.id),
                esc(&f.message)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");
}

/// The run's suppressions, each with what it matched: stale ones (matched nothing) and expired
/// ones (their findings fail again, their approver must act) called out.
fn suppressions(h: &mut String, report: &Report) {
    let list = &report.run.suppressions;
    if list.is_empty() {
        return;
    }
    let suppressed: u64 = list.iter().filter(|s| !s.expired).map(|s| s.matched).sum();
    let _ = write!(
        h,
        r#"<section id="suppressions" class="block card"><h2>Suppressions</h2><p>{} accepted by {}; each in force until its expiry day.</p>"#,
        labels::count(suppressed, "failing finding"),
        labels::count(
            list.iter().filter(|s| !s.expired).count() as u64,
            "suppression in force"
        ),
    );
    let stale: Vec<String> = list
        .iter()
        .filter(|s| s.is_stale())
        .map(|s| format!("<code>{}</code>", esc(&s.id)))
        .collect();
    if !stale.is_empty() {
        let _ = write!(
            h,
            r#"<div class="banner banner-gap stale" role="status"><strong>{} stale:</strong> {} matched no failing finding; remove or correct {}.</div>"#,
            labels::count(stale.len() as u64, "suppression"),
            stale.join(", "),
            if stale.len() == 1 { "it" } else { "them" },
        );
    }
    h.push_str(r#"<div class="scroll"><table class="suppressions"><thead><tr><th>Suppression</th><th>Selects</th><th>Justification</th><th>Approved by</th><th>Expires</th><th>State</th><th class="n">Matched</th></tr></thead><tbody>"#);
    for s in list {
        let state = match (s.expired, s.is_stale()) {
            (_, true) => r#"<span class="pill ru-overdue">stale</span>"#,
            (true, false) => {
                r#"<span class="pill ru-overdue">expired: failing again, the approver must act</span>"#
            }
            (false, false) => r#"<span class="pill">in force</span>"#,
        };
        let by_tenant: Vec<String> = s
            .by_tenant
            .iter()
            .map(|(t, n)| format!("{} {n}", esc(t)))
            .collect();
        let _ = write!(
            h,
            r#"<tr data-suppression="{id}"><td><code>{id}</code><span class="res mono">{file}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td class="n">{}{}</td></tr>"#,
            esc(&s.selectors()),
            esc(&s.justification),
            esc(&s.approved_by),
            esc(&s.expires),
            s.matched,
            if by_tenant.is_empty() {
                String::new()
            } else {
                format!(r#"<span class="res">{}</span>"#, by_tenant.join(", "))
            },
            id = esc(&s.id),
            file = esc(&s.file),
        );
    }
    h.push_str("</tbody></table></div></section>\n");
}

/// The providers whose owners are assumed, as the configuration accepts, not documented.
fn assumed_models(h: &mut String, report: &Report) {
    let assumed = &report.run.assumed_service_models;
    if assumed.is_empty() {
        return;
    }
    let list: Vec<String> = assumed
        .iter()
        .map(|(p, m)| format!("<code>{}</code> ({})", esc(p), esc(m.as_str())))
        .collect();
    let _ = writeln!(
        h,
        r#"<section id="assumed" class="banner banner-gap"><h2>Attribution assumed</h2><div>No responsibility matrix covers some resources of {}: the configuration accepts that service model for them (<code>assume_service_model</code>), so their owners are assumed, not documented. Their findings have basis <code>assumed</code>.</div></section>"#,
        list.join(", ")
    );
}

fn coverage(h: &mut String, report: &Report) {
    if report.gaps.is_empty() {
        h.push_str(r#"<section id="coverage" class="banner banner-ok"><h2>✓ Coverage complete</h2><div>Every target was fully assessed: no plugin failed, no input was missing or malformed.</div></section>
"#);
        return;
    }
    let targets: std::collections::BTreeSet<(&str, &str)> = report
        .gaps
        .iter()
        .map(|g| (g.tenant.as_str(), g.target.as_str()))
        .collect();
    let _ = write!(
        h,
        r#"<section id="coverage" class="banner banner-gap" role="alert"><h2 id="gaps">⚠ Coverage incomplete: {} on {}</h2><div>Parts of the estate were not assessed. The findings and figures below do not cover what these gaps lost — treat them as unknown, not as passing.</div>"#,
        labels::count(report.gaps.len() as u64, "gap"),
        labels::count(targets.len() as u64, "target"),
    );
    let gaps: Vec<&Gap> = report.gaps.iter().collect();
    gap_table(h, &gaps, true);
    h.push_str("</section>\n");
}

fn summary(
    h: &mut String,
    report: &Report,
    stats: &view::Stats,
    catalog: &Catalog,
    s: &demarc_core::summary::Summary,
    tenants: &[view::Tenant],
) {
    let c = &s.findings;
    let failing = |sev: Severity| {
        s.failing_by_severity
            .get(sev.as_str())
            .copied()
            .unwrap_or(0)
    };
    let decided = c.pass + c.fail;
    let mut rollup: BTreeMap<RollupStatus, u64> = BTreeMap::new();
    for r in &report.controls {
        *rollup.entry(r.status).or_default() += 1;
    }
    let ru = |st: RollupStatus| rollup.get(&st).copied().unwrap_or(0);

    h.push_str(
        r#"<section id="summary" class="block"><h2>Executive summary</h2><div class="kpis">"#,
    );
    let kpi = |h: &mut String, class: &str, v: String, l: &str, sub: String| {
        let _ = write!(
            h,
            r#"<div class="kpi {class}"><div class="v">{v}</div><div class="l">{l}</div><div class="s">{sub}</div></div>"#
        );
    };
    kpi(
        h,
        "",
        c.total.to_string(),
        "Findings",
        format!(
            "{} across {}",
            labels::count(report.run.targets.len() as u64, "target"),
            labels::count(tenants.len() as u64, "tenant")
        ),
    );
    kpi(
        h,
        if c.fail > 0 { "bad" } else { "good" },
        c.fail.to_string(),
        "Failing",
        format!(
            "{} critical · {} high",
            failing(Severity::Critical),
            failing(Severity::High)
        ),
    );
    let rate_class = match (c.pass * 100).checked_div(decided) {
        Some(p) if p >= 90 => "good",
        Some(p) if p >= 70 => "warn",
        Some(_) => "bad",
        None => "",
    };
    kpi(
        h,
        rate_class,
        pct(c.pass, decided),
        "Pass rate",
        format!("{} of {} decided checks", c.pass, decided),
    );
    kpi(
        h,
        if c.manual + c.error > 0 { "warn" } else { "" },
        (c.manual + c.error).to_string(),
        "Need a person",
        format!("{} manual · {} not evaluable", c.manual, c.error),
    );
    kpi(
        h,
        if report.gaps.is_empty() {
            "good"
        } else {
            "bad"
        },
        report.gaps.len().to_string(),
        "Coverage gaps",
        if report.gaps.is_empty() {
            "complete coverage".into()
        } else {
            "see the banner above".into()
        },
    );
    if !report.controls.is_empty() {
        kpi(
            h,
            if ru(RollupStatus::Failing) > 0 {
                "bad"
            } else {
                "good"
            },
            format!("{} / {}", ru(RollupStatus::Failing), report.controls.len()),
            "Requirements failing",
            format!(
                "{} overdue · {} not assessed",
                ru(RollupStatus::Overdue),
                ru(RollupStatus::NotAssessed)
            ),
        );
    }
    h.push_str("</div>");

    // Who must act on the failures, in words.
    let to_fix = view::to_fix_sentence(
        s,
        stats.failing_parties(),
        |n| format!("<b>{n}</b>"),
        |p| esc(p).to_string(),
    );
    let _ = write!(
        h,
        r#"<div class="card"><p class="lead"><b>{fail}</b> of {total} checks fail across {tenants}. {to_fix} The most urgent are <b>{crit}</b> critical and <b>{high}</b> high.</p>"#,
        fail = c.fail,
        total = c.total,
        tenants = labels::count(tenants.len() as u64, "tenant"),
        crit = failing(Severity::Critical),
        high = failing(Severity::High),
    );
    if !report.controls.is_empty() {
        let _ = write!(
            h,
            r#"<p class="lead">Across {} framework requirements, {} are failing, {} overdue, {} partially covered and {} have no evidence yet; {} are satisfied, {} attested by the customer and {} inherited from the provider's attestations.</p>"#,
            report.controls.len(),
            ru(RollupStatus::Failing),
            ru(RollupStatus::Overdue),
            ru(RollupStatus::Partial),
            ru(RollupStatus::NotAssessed),
            ru(RollupStatus::Satisfied),
            ru(RollupStatus::Attested),
            ru(RollupStatus::Inherited),
        );
    }
    let top = view::top_failing(stats, None);
    if top.total > 0 {
        h.push_str("<h3>Most urgent</h3>");
        urgent_table(h, &top, catalog, 5, true);
    }
    h.push_str("</div></section>\n");
}

fn urgent_table(
    h: &mut String,
    top: &view::Ranked<'_>,
    catalog: &Catalog,
    n: usize,
    with_tenant: bool,
) {
    h.push_str(r#"<div class="scroll"><table><thead><tr><th>Severity</th>"#);
    if with_tenant {
        h.push_str("<th>Tenant</th>");
    }
    h.push_str(
        "<th>Must act</th><th>Check</th><th>Resource</th><th>Finding</th></tr></thead><tbody>",
    );
    for f in top.items.iter().take(n) {
        h.push_str("<tr>");
        let _ = write!(h, "<td>{}</td>", pill_sev(f.check.severity));
        if with_tenant {
            let _ = write!(h, "<td>{}</td>", esc(&f.tenant));
        }
        let control = f
            .controls
            .first()
            .and_then(|c| catalog.control(c))
            .map(|c| format!(r#"<span class="res">{}</span>"#, esc(&c.title)))
            .unwrap_or_default();
        let _ = write!(
            h,
            r#"<td>{}</td><td>{}{}</td><td>{}<span class="res mono">{}</span></td><td>{}</td></tr>"#,
            owner_html(f),
            esc(&f.check.title),
            control,
            esc(&resource_label(f)),
            esc(&f.resource.native_type),
            esc(&f.message)
        );
    }
    h.push_str("</tbody></table></div>");
    if top.total > n {
        let _ = write!(
            h,
            r##"<p class="muted">…and {} more in <a href="#findings">the findings table</a>.</p>"##,
            labels::count((top.total - n) as u64, "failing finding")
        );
    }
}

/// A horizontal stacked bar chart: one row per label, one segment per status.
fn stacked(rows: &[(String, Counts)], aria: &str) -> String {
    let label_w = 150.0;
    let bar_w = 250.0;
    let row_h = 28.0;
    let top = 30.0;
    let height = top + row_h * rows.len().max(1) as f64 + 6.0;
    let max = rows.iter().map(|(_, c)| c.total).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        r#"<svg viewBox="0 0 520 {height:.0}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(aria)
    );
    // Legend.
    let mut x = 0.0;
    for st in STATUSES {
        let _ = write!(
            s,
            r##"<rect x="{x:.0}" y="4" width="10" height="10" rx="2" fill="{}"/><text x="{:.0}" y="13" font-size="11" fill="#475569">{}</text>"##,
            status_color(st),
            x + 14.0,
            labels::status(st)
        );
        x += 14.0 + 8.0 * labels::status(st).len() as f64 + 14.0;
    }
    for (i, (label, c)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let mut text = label.clone();
        if text.chars().count() > 22 {
            text = text.chars().take(21).collect::<String>() + "…";
        }
        let _ = write!(
            s,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#0f172a">{}</text>"##,
            y + 15.0,
            esc(&text)
        );
        let mut x = label_w;
        for st in STATUSES {
            let n = view::of(c, st);
            if n == 0 {
                continue;
            }
            let w = bar_w * n as f64 / max;
            let _ = write!(
                s,
                r#"<rect x="{x:.2}" y="{:.1}" width="{w:.2}" height="18" fill="{}"><title>{}: {} {}</title></rect>"#,
                y + 2.0,
                status_color(st),
                esc(label),
                n,
                labels::status(st).to_lowercase()
            );
            x += w;
        }
        let _ = write!(
            s,
            r##"<text x="{:.2}" y="{:.1}" font-size="12" fill="#334155">{} <tspan fill="#dc2626">· {} fail</tspan></text>"##,
            x + 6.0,
            y + 15.0,
            c.total,
            c.fail
        );
    }
    s.push_str("</svg>");
    s
}

/// Failing findings by severity as horizontal bars.
fn severity_bars(s: &demarc_core::summary::Summary) -> String {
    let max = SEVERITIES_DESC
        .iter()
        .map(|sev| {
            s.failing_by_severity
                .get(sev.as_str())
                .copied()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut out = String::from(
        r#"<svg viewBox="0 0 520 176" role="img" aria-label="Failing findings by severity" xmlns="http://www.w3.org/2000/svg">"#,
    );
    for (i, sev) in SEVERITIES_DESC.iter().enumerate() {
        let n = s
            .failing_by_severity
            .get(sev.as_str())
            .copied()
            .unwrap_or(0);
        let y = 6.0 + 33.0 * i as f64;
        let w = 330.0 * n as f64 / max;
        let _ = write!(
            out,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#0f172a">{}</text><rect x="90" y="{:.1}" width="330" height="22" rx="4" fill="#f1f5f9"/><rect x="90" y="{:.1}" width="{w:.2}" height="22" rx="4" fill="{}"><title>{} failing {}</title></rect><text x="{:.2}" y="{:.1}" font-size="12" font-weight="600" fill="#0f172a">{n}</text>"##,
            y + 15.0,
            labels::severity(*sev),
            y,
            y,
            severity_color(*sev),
            n,
            sev.as_str(),
            90.0 + w.max(0.0) + 8.0,
            y + 15.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// The status breakdown as a donut with a legend.
fn donut(c: &Counts) -> String {
    let r = 62.0_f64;
    let circumference = 2.0 * std::f64::consts::PI * r;
    let total = c.total.max(1) as f64;
    let mut out = String::from(
        r##"<svg viewBox="0 0 520 180" role="img" aria-label="Findings by status" xmlns="http://www.w3.org/2000/svg"><circle cx="90" cy="90" r="62" fill="none" stroke="#f1f5f9" stroke-width="24"/>"##,
    );
    let mut offset = 0.0;
    for st in STATUSES {
        let n = view::of(c, st);
        if n == 0 {
            continue;
        }
        let len = circumference * n as f64 / total;
        let _ = write!(
            out,
            r#"<circle cx="90" cy="90" r="62" fill="none" stroke="{}" stroke-width="24" stroke-dasharray="{len:.2} {circumference:.2}" stroke-dashoffset="{:.2}" transform="rotate(-90 90 90)"><title>{} {}</title></circle>"#,
            status_color(st),
            -offset,
            n,
            labels::status(st).to_lowercase()
        );
        offset += len;
    }
    let _ = write!(
        out,
        r##"<text x="90" y="88" text-anchor="middle" font-size="26" font-weight="700" fill="#0f172a">{}</text><text x="90" y="107" text-anchor="middle" font-size="11" fill="#64748b">findings</text>"##,
        c.total
    );
    for (i, st) in STATUSES.iter().enumerate() {
        let n = view::of(c, *st);
        let y = 32.0 + 26.0 * i as f64;
        let _ = write!(
            out,
            r##"<rect x="200" y="{:.0}" width="12" height="12" rx="3" fill="{}"/><text x="220" y="{:.0}" font-size="12" fill="#0f172a">{}</text><text x="380" y="{:.0}" font-size="12" font-weight="600" text-anchor="end" fill="#0f172a">{n}</text><text x="430" y="{:.0}" font-size="12" text-anchor="end" fill="#64748b">{}</text>"##,
            y,
            status_color(*st),
            y + 10.0,
            labels::status(*st),
            y + 10.0,
            y + 10.0,
            pct(n, c.total)
        );
    }
    out.push_str("</svg>");
    out
}

fn charts(h: &mut String, s: &demarc_core::summary::Summary, tenants: &[view::Tenant]) {
    let owners: Vec<(String, Counts)> = Owner::ALL
        .iter()
        .filter_map(|o| {
            s.by_owner
                .get(o.as_str())
                .map(|c| (labels::owner(*o).to_string(), c.clone()))
        })
        .collect();
    let providers: Vec<(String, Counts)> = s
        .by_provider
        .iter()
        .map(|(p, c)| (labels::provider(p), c.clone()))
        .collect();
    let by_tenant: Vec<(String, Counts)> = tenants
        .iter()
        .map(|t| {
            (
                labels::one_line(&t.info.name),
                s.by_tenant.get(&t.info.id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    h.push_str(r#"<section id="charts" class="block"><h2>At a glance</h2><div class="grid">"#);
    let _ = write!(
        h,
        r#"<figure class="card chart"><figcaption>Findings by owner</figcaption>{}</figure>"#,
        stacked(&owners, "Findings by owner and status")
    );
    let _ = write!(
        h,
        r#"<figure class="card chart"><figcaption>Failing findings by severity</figcaption>{}</figure>"#,
        severity_bars(s)
    );
    let _ = write!(
        h,
        r#"<figure class="card chart"><figcaption>Findings by tenant</figcaption>{}</figure>"#,
        stacked(&by_tenant, "Findings by tenant and status")
    );
    let _ = write!(
        h,
        r#"<figure class="card chart"><figcaption>Status breakdown</figcaption>{}</figure>"#,
        donut(&s.findings)
    );
    let _ = write!(
        h,
        r#"<figure class="card chart"><figcaption>Findings by provider</figcaption>{}</figure>"#,
        stacked(&providers, "Findings by provider and status")
    );
    h.push_str("</div></section>\n");
}

fn tenant(
    h: &mut String,
    report: &Report,
    stats: &view::Stats,
    catalog: &Catalog,
    i: usize,
    t: &view::Tenant,
) {
    let info = &t.info;
    let c = stats.counts(&info.id);
    let gaps: Vec<&Gap> = report.gaps.iter().filter(|g| g.tenant == info.id).collect();
    let _ = write!(
        h,
        r#"<section class="tenant" id="tenant-{i}" data-tenant="{}"><header><h2>{}</h2><span class="tid mono">{}</span></header><div class="tags">"#,
        esc(&info.id),
        esc(&info.name),
        esc(&info.id)
    );
    for p in &info.providers {
        let _ = write!(
            h,
            r#"<span class="tag">{}</span>"#,
            esc(&labels::provider(p))
        );
    }
    for tg in &info.targets {
        let _ = write!(h, r#"<span class="tag mono">{}</span>"#, esc(tg));
    }
    for p in &info.third_parties {
        let _ = write!(h, r#"<span class="tag">third party: {}</span>"#, esc(p));
    }
    let _ = write!(
        h,
        r#"</div><div class="mini"><span><b>{}</b>{}</span><span><b>{}</b>failing</span><span><b>{}</b>passing</span><span><b>{}</b>need a person</span><span><b>{}</b>{}</span></div>"#,
        c.total,
        if c.total == 1 { "finding" } else { "findings" },
        c.fail,
        c.pass,
        c.manual + c.error,
        gaps.len(),
        if gaps.len() == 1 { "gap" } else { "gaps" },
    );
    if !gaps.is_empty() {
        let _ = write!(
            h,
            r#"<div class="callout"><b>⚠ {} lost coverage for this tenant.</b> Its figures do not include what was not assessed."#,
            labels::count(gaps.len() as u64, "gap")
        );
        gap_table(h, &gaps, false);
        h.push_str("</div>");
    }

    h.push_str(r#"<div class="two"><div>"#);
    // Failing by who must act × severity.
    h.push_str("<h3>Failing findings by who must act and severity</h3>");
    let failing = view::failing(stats, Some(&info.id));
    if failing.is_empty() {
        h.push_str(r#"<p class="muted">No failing findings.</p>"#);
    } else {
        h.push_str("<table><thead><tr><th>Must act</th>");
        for sev in SEVERITIES_DESC {
            let _ = write!(h, r#"<th class="n">{}</th>"#, labels::severity(sev));
        }
        h.push_str(r#"<th class="n">Total</th></tr></thead><tbody>"#);
        for (o, sevs) in &failing {
            let _ = write!(
                h,
                r#"<tr><td><span class="own own-{}">{}</span></td>"#,
                o.as_str(),
                labels::party(*o)
            );
            for sev in SEVERITIES_DESC {
                match sevs.get(&sev).copied().unwrap_or(0) {
                    0 => h.push_str(r#"<td class="n muted">·</td>"#),
                    n => {
                        let _ = write!(h, r#"<td class="n"><b>{n}</b></td>"#);
                    }
                }
            }
            let _ = write!(
                h,
                r#"<td class="n"><b>{}</b></td></tr>"#,
                sevs.values().sum::<u64>()
            );
        }
        h.push_str("</tbody></table>");
    }

    h.push_str("</div><div>");

    // Responsibility view: layer × owner.
    let m = view::responsibility(stats, Some(&info.id));
    h.push_str(
        r#"<h3>Responsibility by layer</h3><table class="matrix"><thead><tr><th>Layer</th>"#,
    );
    for o in Owner::ALL {
        let _ = write!(h, r#"<th class="n">{}</th>"#, labels::owner(o));
    }
    h.push_str("</tr></thead><tbody>");
    for layer in Layer::ALL {
        let _ = write!(h, "<tr><td>{}</td>", esc(labels::layer(layer)));
        for o in Owner::ALL {
            match m.get(&(layer, o)) {
                None => h.push_str(r#"<td class="cell empty">·</td>"#),
                Some(c) => {
                    let heat = if c.fail == 0 {
                        "h0"
                    } else if c.fail * 2 < c.total {
                        "h1"
                    } else {
                        "h2"
                    };
                    let _ = write!(
                        h,
                        r#"<td class="cell {heat}" title="{} failing of {} findings">{} / {}</td>"#,
                        c.fail, c.total, c.fail, c.total
                    );
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str(r#"</tbody></table><p class="muted">Cells: failing / total findings. Layers without a finding show ·; who owns them follows from the provider's responsibility matrix.</p>"#);
    h.push_str("</div></div>");

    // Control roll-up by framework.
    let rollup = view::rollup_counts(report, catalog, &info.id);
    if !rollup.is_empty() {
        h.push_str("<h3>Framework requirements</h3><div class=\"scroll\"><table><thead><tr><th>Framework</th>");
        for st in ROLLUP {
            let _ = write!(
                h,
                r#"<th class="n" title="{}">{}</th>"#,
                labels::rollup(st),
                labels::rollup(st)
            );
        }
        h.push_str("</tr></thead><tbody>");
        for (fw, counts) in &rollup {
            let _ = write!(h, "<tr><td>{}</td>", esc(labels::framework(catalog, fw)));
            for st in ROLLUP {
                match counts.get(&st).copied().unwrap_or(0) {
                    0 => h.push_str(r#"<td class="n muted">·</td>"#),
                    n => {
                        let _ = write!(
                            h,
                            r#"<td class="n"><span class="pill ru-{}">{n}</span></td>"#,
                            rollup_class(st)
                        );
                    }
                }
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div>");
    }

    // Requirements not covered.
    let open: Vec<_> = report
        .controls
        .iter()
        .filter(|r| {
            r.tenant == info.id
                && matches!(
                    r.status,
                    RollupStatus::NotAssessed | RollupStatus::Overdue | RollupStatus::Partial
                )
        })
        .collect();
    if !open.is_empty() {
        let _ = write!(
            h,
            r#"<details><summary>{} overdue, partially covered or without evidence</summary><div class="scroll"><table><thead><tr><th>Framework</th><th>Requirement</th><th>Owner</th><th>Status</th><th>Why</th></tr></thead><tbody>"#,
            labels::count(open.len() as u64, "requirement")
        );
        for r in open {
            let why = r.gap.clone().unwrap_or_else(|| r.evidence.join("; "));
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><span class="pill ru-{}">{}</span></td><td>{}</td></tr>"#,
                esc(labels::framework(catalog, &r.framework)),
                esc(&r.requirement),
                labels::owner(r.owner),
                rollup_class(r.status),
                labels::rollup(r.status),
                esc(&why)
            );
        }
        h.push_str("</tbody></table></div></details>");
    }

    let top = view::top_failing(stats, Some(&info.id));
    if top.total > 0 {
        h.push_str("<h3>Most urgent for this tenant</h3>");
        urgent_table(h, &top, catalog, 5, false);
    }
    h.push_str("</section>\n");
}

fn findings(h: &mut String, stats: &view::Stats, catalog: &Catalog, tenants: &[view::Tenant]) {
    let ranked = view::ranked(stats);
    let shown = ranked.items.len().min(MAX_ROWS);
    h.push_str(r#"<section id="findings" class="block card"><h2>Findings</h2>"#);
    let _ = write!(
        h,
        r#"<p class="muted">All {} findings, most urgent first{}. Expand a row for its evidence, remediation and the basis of its attribution.</p>"#,
        ranked.total,
        if shown < ranked.total {
            format!(
                "; the first {shown} are listed here, the rest are in report.csv and findings.jsonl"
            )
        } else {
            String::new()
        }
    );
    // Filters: hidden until the script shows them.
    h.push_str(r#"<form id="filters" class="filters" hidden><label>Tenant<select name="tenant"><option value="">All tenants</option>"#);
    for t in tenants {
        let _ = write!(
            h,
            r#"<option value="{}">{}</option>"#,
            esc(&t.info.id),
            esc(&t.info.name)
        );
    }
    h.push_str(
        r#"</select></label><label>Must act<select name="act"><option value="">Anyone</option>"#,
    );
    for p in Party::ALL {
        let _ = write!(
            h,
            r#"<option value="{}">{}</option>"#,
            p.as_str(),
            labels::party(p)
        );
    }
    h.push_str(
        r#"</select></label><label>Control owner<select name="owner"><option value="">All owners</option>"#,
    );
    for o in Owner::ALL {
        let _ = write!(
            h,
            r#"<option value="{}">{}</option>"#,
            o.as_str(),
            labels::owner(o)
        );
    }
    h.push_str(r#"</select></label><label>Severity<select name="severity"><option value="">All severities</option>"#);
    for s in SEVERITIES_DESC {
        let _ = write!(
            h,
            r#"<option value="{}">{}</option>"#,
            s.as_str(),
            labels::severity(s)
        );
    }
    h.push_str(r#"</select></label><label>Status<select name="status"><option value="">All statuses</option>"#);
    for s in STATUSES {
        let _ = write!(
            h,
            r#"<option value="{}">{}</option>"#,
            s.as_str(),
            labels::status(s)
        );
    }
    let _ = write!(
        h,
        r#"</select></label><label>Search<input type="search" name="q" placeholder="resource, check, message…"></label><button type="reset">Clear</button><span class="count" id="filter-count">{n} of {n} findings shown</span></form>"#,
        n = shown
    );
    let _ = write!(
        h,
        r#"<div class="scroll"><table class="findings" id="findings-table" data-total="{shown}"><thead><tr><th>Severity</th><th>Status</th><th>Tenant</th><th>Must act</th><th>Check</th><th>Resource</th><th>Finding</th></tr></thead><tbody>"#
    );
    for f in ranked.items.iter().take(MAX_ROWS) {
        finding_row(h, f, catalog);
    }
    h.push_str("</tbody></table></div></section>\n");
}

fn finding_row(h: &mut String, f: &Finding, catalog: &Catalog) {
    let r = &f.responsibility;
    let _ = write!(
        h,
        r#"<tr class="finding" data-tenant="{}" data-act="{}" data-owner="{}" data-severity="{}" data-status="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="chk">{}<span class="res mono">{}</span></td><td class="rsc">{}<span class="res mono">{}</span></td><td class="msg">{}<details><summary>Details</summary><dl class="kv">"#,
        esc(&f.tenant),
        f.must_act.party.as_str(),
        r.owner.as_str(),
        f.check.severity.as_str(),
        f.status.as_str(),
        pill_sev(f.check.severity),
        status_cell(f),
        esc(&f.tenant),
        owner_html(f),
        esc(&f.check.title),
        esc(&f.check.id),
        esc(&resource_label(f)),
        esc(&f.resource.id),
        esc(&f.message),
    );
    let mut kv = |k: &str, v: String| {
        if !v.is_empty() {
            let _ = write!(h, "<dt>{k}</dt><dd>{v}</dd>");
        }
    };
    if let Some(s) = &f.suppression {
        kv(
            if s.expired {
                "Expired suppression"
            } else {
                "Suppressed"
            },
            format!(
                "<code>{}</code>: {} (approved by {}, until {})",
                esc(&s.id),
                esc(&s.justification),
                esc(&s.approved_by),
                esc(&s.expires)
            ),
        );
    }
    kv(
        if f.contradiction {
            "Tools disagree"
        } else {
            "Tools"
        },
        f.verdicts
            .iter()
            .map(|v| {
                format!(
                    "{} <code>{}</code>: <b>{}</b> — {}{}",
                    esc(&v.tool),
                    esc(&v.check),
                    v.status.as_str(),
                    esc(&v.message),
                    if v.evidence.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            v.evidence
                                .iter()
                                .map(|e| format!(
                                    "<code>{}</code> = <code>{}</code>",
                                    esc(&e.key),
                                    esc(&e.value)
                                ))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    kv("Remediation", esc(&f.remediation));
    kv(
        "Evidence",
        f.evidence
            .iter()
            .map(|e| {
                format!(
                    "<code>{}</code> = <code>{}</code>",
                    esc(&e.key),
                    esc(&e.value)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    kv(
        "Controls",
        f.controls
            .iter()
            .map(|c| match catalog.control(c) {
                Some(ctl) => format!("<code>{}</code> {}", esc(c), esc(&ctl.title)),
                None => format!("<code>{}</code>", esc(c)),
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    kv(
        "Must act",
        format!(
            "{}{}",
            esc(&view::must_act_label(f)),
            f.must_act
                .basis
                .as_deref()
                .map(|b| format!(" · basis <code>{}</code>", esc(b)))
                .unwrap_or_default()
        ),
    );
    kv(
        "Control owner",
        format!(
            "{}{} · {} · {} · basis <code>{}</code> ({})",
            esc(&view::owner_label(f)),
            r.sharing
                .map(|s| match s {
                    demarc_core::Sharing::Independent => " (independent)",
                    demarc_core::Sharing::Dependent => " (dependent)",
                })
                .unwrap_or(""),
            labels::service_model(r.service_model),
            esc(labels::layer(r.layer)),
            esc(&r.basis.entry),
            esc(&r.basis.source)
        ),
    );
    kv("Note", r.note.as_deref().map(esc).unwrap_or_default());
    kv(
        "Where",
        format!(
            "{} · account <code>{}</code> · {} · target <code>{}</code> · {}",
            esc(&labels::provider(&f.provider)),
            esc(&f.account),
            esc(&f.region),
            esc(&f.target),
            esc(&f.resource.native_type)
        ),
    );
    kv(
        "Tags",
        f.resource
            .tags
            .iter()
            .map(|(k, v)| format!("<code>{}={}</code>", esc(k), esc(v)))
            .collect::<Vec<_>>()
            .join(" "),
    );
    kv(
        "Source",
        format!(
            "{} {} · observed {} · id <code>{}</code>",
            esc(&f.source.plugin),
            esc(&f.source.version),
            esc(f.observed_at.as_deref().unwrap_or("–")),
            esc(&f.id)
        ),
    );
    h.push_str("</dl></details></td></tr>");
}

fn run_details(h: &mut String, report: &Report) {
    let run = &report.run;
    h.push_str(r#"<section id="run" class="block card"><h2>Run details</h2><h3>Plugins</h3><div class="scroll"><table><thead><tr><th>Plugin</th><th>Version</th><th>Provider</th><th>Contract</th><th class="n">Checks</th><th>SHA-256</th></tr></thead><tbody>"#);
    for p in &run.plugins {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="mono">{}</td></tr>"#,
            esc(&p.name),
            esc(&p.version),
            esc(&labels::provider(&p.provider)),
            esc(&p.contract),
            p.checks.len(),
            esc(&p.sha256)
        );
    }
    h.push_str(r#"</tbody></table></div><h3>Targets</h3><div class="scroll"><table><thead><tr><th>Tenant</th><th>Target</th><th>Provider</th><th>Plugin</th><th>Outcome</th><th class="n">Resources</th><th class="n">Skipped</th><th class="n">Findings</th><th class="n">Time</th></tr></thead><tbody>"#);
    for t in &run.targets {
        let outcome = match t.outcome.as_str() {
            "complete" => "ru-satisfied",
            "partial" => "ru-partial",
            _ => "ru-failing",
        };
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="mono">{}</td><td>{}</td><td>{}</td><td><span class="pill {outcome}">{}</span></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{} ms</td></tr>"#,
            esc(&t.tenant),
            esc(&t.target),
            esc(&labels::provider(&t.provider)),
            esc(&t.plugin),
            esc(&t.outcome),
            t.resources,
            t.skipped,
            t.findings,
            t.millis
        );
    }
    let _ = write!(
        h,
        r#"</tbody></table></div><details><summary>{} read</summary><div class="scroll"><table><thead><tr><th>Tenant</th><th>Target</th><th>Path</th><th class="n">Bytes</th><th>SHA-256</th></tr></thead><tbody>"#,
        labels::count(run.inputs.len() as u64, "input file")
    );
    for i in &run.inputs {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="mono">{}</td><td class="mono">{}</td><td class="n">{}</td><td class="mono">{}</td></tr>"#,
            esc(&i.tenant),
            esc(&i.target),
            esc(&i.path),
            i.bytes.map(|b| b.to_string()).unwrap_or_else(|| "–".into()),
            esc(i.sha256.as_deref().unwrap_or("not read"))
        );
    }
    let _ = writeln!(
        h,
        r#"</tbody></table></div></details><p class="muted">Reference time for age-based checks: {}. Duplicates dropped: {}.</p></section>"#,
        esc(&human_time(&run.now)),
        report.summary.duplicates
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn rendered(r: &Report) -> String {
        let mut v = Vec::new();
        render(r, &fixture::catalog(), &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn the_portfolio_comes_first_worst_tenant_first() {
        let r = fixture::report();
        let html = rendered(&r);
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("no {needle} in the page"))
        };
        // After the coverage banner, before the executive summary.
        assert!(at(r#"id="coverage""#) < at(r#"id="portfolio""#));
        assert!(at(r#"id="portfolio""#) < at(r#"id="summary""#));
        let p = &r.summary.portfolio;
        assert_eq!(p.tenants.len(), 3);
        // Rows in the order the summary ranks them, the worst first.
        let rows: Vec<usize> = p
            .tenants
            .iter()
            .map(|t| at(&format!(r#"<tr data-tenant="{}">"#, esc(&t.tenant))))
            .collect();
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
        let crit = |t: &demarc_core::summary::TenantPosture| {
            t.failing_by_severity.get("critical").copied().unwrap_or(0)
        };
        assert!(crit(&p.tenants[0]) >= crit(&p.tenants[1]));
        assert!(html.contains("Most common failing controls"));
        assert!(html.contains(r#"<p id="owner-split">Failing findings by control owner"#));
        // A tenant's name is escaped like everywhere else.
        assert!(html.contains("Fabrikam, Inc. &lt;&quot;R&amp;D&quot;&gt;"));
    }

    /// A suppressed finding's row says so beside its status, with the suppression (escaped) in
    /// its title; an expired one says it expired.
    #[test]
    fn suppressed_rows_are_marked_beside_their_status() {
        let html = rendered(&fixture::suppressed_report());
        let rows: Vec<&str> = html
            .split(r#"<tr class="finding""#)
            .skip(1)
            .filter(|row| row.contains("pill st-suppressed"))
            .collect();
        assert_eq!(rows.len(), 2, "one row per suppressed finding");
        let accepted = rows
            .iter()
            .find(|row| row.contains(r#"title="accepted-risk: "#))
            .expect("the accepted finding's row");
        assert!(
            accepted.contains(r#"<span class="pill st-fail">"#)
                && accepted.contains(r#"<span class="pill st-suppressed" title="accepted-risk: compensating control: &lt;VPN only&gt; &amp; reviewed (approved by Dana Whitfield (CISO), until 2027-03-31)">suppressed</span>"#),
            "{accepted}"
        );
        assert!(
            rows.iter()
                .any(|row| row.contains(r#"title="lapsed-risk: "#)
                    && row.contains(">suppression expired</span>"))
        );
    }

    #[test]
    fn everything_from_the_report_is_escaped() {
        let html = rendered(&fixture::report());
        assert!(!html.contains(fixture::HOSTILE_NAME));
        assert!(html.contains(&esc(fixture::HOSTILE_NAME)));
        assert!(!html.contains("<b>bold?</b>"));
        assert!(html.contains("Fabrikam, Inc. &lt;&quot;R&amp;D&quot;&gt;"));
        assert_eq!(html.matches("<script").count(), 1, "only our own script");
        assert_eq!(html.matches("<img").count(), 0);
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn unmapped_findings_have_a_section_of_their_own_escaped() {
        let html = rendered(&fixture::unmapped_report());
        let section = html
            .split(r#"<section id="unmapped""#)
            .nth(1)
            .expect("the section")
            .split("</section>")
            .next()
            .unwrap();
        assert!(section.contains("3 findings of 2 tool checks"));
        assert!(section.contains("<code>guardduty_is_enabled</code>"));
        assert!(section.contains("Failing, most severe first (2 of 2)"));
        assert!(section.contains("Macie &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html.matches("<script").count(), 1, "only our own script");
        assert!(html.contains(r##"<a href="#unmapped">Unmapped</a>"##));
        let plain = rendered(&fixture::report());
        assert!(!plain.contains(r#"id="unmapped""#));
    }

    #[test]
    fn is_self_contained_and_locked_down_by_its_csp() {
        let html = rendered(&fixture::report());
        for banned in [
            "<link",
            "@import",
            "url(",
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "<iframe",
            "<object",
            "<embed",
        ] {
            assert!(!html.contains(banned), "found {banned}");
        }
        // The CSP hashes are those of the one style and the one script.
        let csp_at = html.find("Content-Security-Policy").unwrap();
        let csp = &html[csp_at..html[csp_at..].find('>').unwrap() + csp_at];
        assert!(csp.contains("default-src &#39;none&#39;"), "{csp}");
        assert!(csp.contains(&esc(&csp_hash(STYLE))), "{csp}");
        assert!(csp.contains(&esc(&csp_hash(SCRIPT))), "{csp}");
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
        assert_eq!(base64(b"demarc"), "ZGVtYXJj");
        assert_eq!(base64(b"de"), "ZGU=");
    }

    #[test]
    fn reads_without_javascript() {
        let r = fixture::report();
        let html = rendered(&r);
        // Sections, one per tenant, the gap banner first, all rows present and visible.
        assert_eq!(
            html.matches(r#"<section class="tenant""#).count(),
            r.tenants.len()
        );
        let banner = html
            .find(r#"id="coverage" class="banner banner-gap""#)
            .unwrap();
        assert!(banner < html.find(r#"id="summary""#).unwrap());
        assert!(html.contains("Coverage incomplete: 3 gaps on 3 targets"));
        assert_eq!(
            html.matches(r#"<tr class="finding""#).count(),
            r.findings.len()
        );
        assert!(!html.contains(r#"<tr class="finding" hidden"#));
        // The filter form is hidden until the script shows it.
        assert!(html.contains(r#"<form id="filters" class="filters" hidden>"#));
        // Charts are inline SVG.
        assert_eq!(html.matches("<svg viewBox").count(), 5);
    }

    #[test]
    fn a_clean_run_says_so() {
        let mut r = fixture::report();
        r.gaps.clear();
        let html = rendered(&r);
        assert!(html.contains("✓ Coverage complete"));
        assert!(!html.contains(r#"class="banner banner-gap""#));
    }

    /// The browser the HTML tests drive: `$DEMARC_CHROMIUM`, else `/usr/bin/chromium`, else
    /// `chromium` on the PATH.
    fn chromium() -> PathBuf {
        const INSTALL: &str = "chromium is not installed: the HTML report is tested in a real headless \
             browser. Install it (as root: `apt-get update && apt-get install -y chromium`; CI installs \
             it) or point DEMARC_CHROMIUM at a Chromium binary.";
        let candidate = match std::env::var_os("DEMARC_CHROMIUM") {
            Some(p) => PathBuf::from(p),
            None if Path::new("/usr/bin/chromium").exists() => PathBuf::from("/usr/bin/chromium"),
            None => PathBuf::from("chromium"),
        };
        match Command::new(&candidate).arg("--version").output() {
            Ok(o) if o.status.success() => candidate,
            _ => panic!("{INSTALL} (tried `{}`)", candidate.display()),
        }
    }

    fn headless(profile: &Path) -> Command {
        let mut c = Command::new(chromium());
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
        c
    }

    fn dump_dom(file: &Path, query: &str) -> String {
        let profile = tempfile::tempdir().unwrap();
        let out = headless(profile.path())
            .arg("--dump-dom")
            .arg(format!("file://{}{query}", file.display()))
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium --dump-dom failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn count_rows(dom: &str) -> (usize, usize) {
        let all = dom.matches(r#"<tr class="finding""#).count();
        let hidden = dom
            .split(r#"<tr class="finding""#)
            .skip(1)
            .filter(|row| row[..row.find('>').unwrap()].contains(" hidden"))
            .count();
        (all, hidden)
    }

    #[test]
    fn renders_and_filters_in_a_real_browser() {
        let r = fixture::report();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.html");
        std::fs::write(&file, rendered(&r)).unwrap();

        // Unfiltered: the script ran, showed the filters, hid nothing.
        let dom = dump_dom(&file, "");
        assert!(
            dom.contains(r#"<form id="filters" class="filters">"#),
            "the script did not run"
        );
        let (all, hidden) = count_rows(&dom);
        assert_eq!((all, hidden), (r.findings.len(), 0));
        assert!(dom.contains(&format!("{n} of {n} findings shown", n = r.findings.len())));
        assert_eq!(dom.matches(r#"<section class="tenant""#).count(), 3);
        assert!(dom.contains("Coverage incomplete: 3 gaps"));
        // Hostile names stayed text: no element was injected.
        assert_eq!(dom.matches("<script").count(), 1);
        assert_eq!(dom.matches("<img").count(), 0);
        assert!(dom.contains("&lt;script&gt;alert"));

        // Filtered by owner from the URL.
        let customer = r
            .findings
            .iter()
            .filter(|f| f.responsibility.owner == Owner::Customer)
            .count();
        let dom = dump_dom(&file, "?owner=customer");
        let (all, hidden) = count_rows(&dom);
        assert_eq!(all - hidden, customer);
        assert!(dom.contains(&format!(
            "{customer} of {} findings shown",
            r.findings.len()
        )));
        assert!(
            dom.contains(r#"<option value="customer" selected"#)
                || dom.contains(&format!(r#"data-shown="{customer}""#))
        );

        // Filtered by who must act: the customer acts on failures of shared controls too.
        let acts = |p: Party, o: Owner| {
            r.findings
                .iter()
                .filter(|f| f.must_act.party == p && f.responsibility.owner == o)
                .count()
        };
        assert!(acts(Party::Customer, Owner::Shared) > 0);
        let customer_acts = r
            .findings
            .iter()
            .filter(|f| f.must_act.party == Party::Customer)
            .count();
        assert!(customer_acts > customer);
        let dom = dump_dom(&file, "?act=customer");
        let (all, hidden) = count_rows(&dom);
        assert_eq!(all - hidden, customer_acts);
        let dom = dump_dom(&file, "?act=customer&owner=shared");
        let (all, hidden) = count_rows(&dom);
        assert_eq!(all - hidden, acts(Party::Customer, Owner::Shared));

        // Several filters and free text combine.
        let want = r
            .findings
            .iter()
            .filter(|f| f.tenant == "northwind" && f.status == Status::Fail)
            .filter(|f| f.message.to_lowercase().contains("publicly"))
            .count();
        assert_eq!(want, 1);
        let dom = dump_dom(&file, "?tenant=northwind&status=fail&q=PUBLICLY");
        let (all, hidden) = count_rows(&dom);
        assert_eq!(all - hidden, want);
    }

    #[test]
    fn screenshot_for_review() {
        let r = fixture::sample_report().unwrap_or_else(fixture::report);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.html");
        std::fs::write(&file, rendered(&fixture::report())).unwrap();
        let sample = dir.path().join("sample.html");
        std::fs::write(&sample, rendered(&r)).unwrap();
        let artifacts = fixture::artifacts_dir();
        for (html, png) in [(&file, "report.png"), (&sample, "report-sample.png")] {
            let target = artifacts.join(png);
            let _ = std::fs::remove_file(&target);
            let profile = tempfile::tempdir().unwrap();
            let out = headless(profile.path())
                .arg(format!("--screenshot={}", target.display()))
                .arg("--window-size=1400,2000")
                .arg(format!("file://{}", html.display()))
                .output()
                .expect("chromium runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let bytes = std::fs::read(&target).expect("the screenshot was written");
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
        }
    }
}
