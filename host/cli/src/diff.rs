//! `demarc diff OLD NEW` and `demarc scan --baseline OLD --fail-on-new SEVERITY`: what changed
//! between two runs, per tenant and owner.
//!
//! Findings are matched by id (stable across runs: tenant, target, check, resource). A failure
//! is **new** when the new run fails it and the old one did not (or did not report it);
//! **resolved** when the old run failed it and the new run reports it passing, not applicable or
//! gone from a target the new run scanned completely; **unverified** when the old run failed it
//! and the new run did not scan its target completely (a failed or partial target proves
//! nothing, so it is not called resolved); **persisting** when both fail it. **Changed** lists
//! findings of both runs whose severity or owner changed, or whose status changed other than
//! to or from failing (e.g. pass to manual). Both reports are streamed: only a compact record of
//! each old finding is held.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use demarc_core::{Owner, Report, Severity, Status};
use demarc_report::html_escape;
use serde::Serialize;

/// What the diff keeps of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Finding id.
    pub id: String,
    /// Tenant id.
    pub tenant: String,
    /// Target id.
    pub target: String,
    /// Check id.
    pub check: String,
    /// Resource id.
    pub resource: String,
    /// Status.
    pub status: Status,
    /// Severity of its check.
    pub severity: Severity,
    /// Control owner.
    pub owner: Owner,
    /// A suppression in force covers it (accepted: `--fail-on-new` does not count it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

impl Entry {
    /// What the diff keeps of `f`.
    pub fn of(f: &demarc_core::Finding) -> Entry {
        Entry {
            id: f.id.clone(),
            tenant: f.tenant.clone(),
            target: f.target.clone(),
            check: f.check.id.clone(),
            resource: f.resource.id.clone(),
            status: f.status,
            severity: f.check.severity,
            owner: f.responsibility.owner,
            suppressed: f.is_suppressed(),
        }
    }
}

/// A finding present in both runs whose severity, owner or status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The finding in the old run.
    pub old: Entry,
    /// The finding in the new run.
    pub new: Entry,
}

/// One tenant's changes.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct TenantDiff {
    /// Failing now, not before.
    pub new: Vec<Entry>,
    /// Failing before; now passing, not applicable, or gone from a completely scanned target.
    pub resolved: Vec<Entry>,
    /// Failing before; its target was not scanned completely now, so nothing is known.
    pub unverified: Vec<Entry>,
    /// Failing in both.
    pub persisting: Vec<Entry>,
    /// Severity, owner or (other) status changed.
    pub changed: Vec<Changed>,
}

/// The diff of two runs.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old report's run end.
    pub old_run: String,
    /// The new report's run end.
    pub new_run: String,
    /// Tenant id → its changes.
    pub tenants: BTreeMap<String, TenantDiff>,
}

fn open(path: &Path) -> anyhow::Result<std::io::BufReader<std::fs::File>> {
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    Ok(std::io::BufReader::with_capacity(1 << 20, f))
}

/// Every finding of a report as an [`Entry`], by id; and its frame.
fn entries(path: &Path) -> anyhow::Result<(Report, HashMap<String, Entry>)> {
    let (frame, _) = demarc_report::stream::read_frame(open(path)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = HashMap::new();
    demarc_report::stream::for_each_finding(open(path)?, |f| {
        out.insert(f.id.clone(), Entry::of(&f));
        Ok(())
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((frame, out))
}

/// The diff of the reports at `old` and `new`.
pub fn diff(old: &Path, new: &Path) -> anyhow::Result<Diff> {
    let (old_frame, before) = entries(old)?;
    let (new_frame, _) = demarc_report::stream::read_frame(open(new)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", new.display()))?;
    let mut differ = Differ::new(
        old_frame.run.finished.clone(),
        new_frame.run.finished.clone(),
        before,
    );
    demarc_report::stream::for_each_finding(open(new)?, |f| {
        differ.add(Entry::of(&f));
        Ok(())
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", new.display()))?;
    let complete = new_frame
        .run
        .targets
        .iter()
        .filter(|t| t.outcome == "complete")
        .map(|t| (t.tenant.clone(), t.target.clone()))
        .collect();
    Ok(differ.finish(&complete))
}

/// Builds a [`Diff`] from the old run's findings and the new run's, fed one at a time.
pub struct Differ {
    d: Diff,
    before: HashMap<String, Entry>,
}

impl Differ {
    /// A diff from `old_run` (whose findings, by id, are `before`) to `new_run`.
    pub fn new(old_run: String, new_run: String, before: HashMap<String, Entry>) -> Differ {
        Differ {
            d: Diff {
                old_run,
                new_run,
                tenants: BTreeMap::new(),
            },
            before,
        }
    }

    /// One finding of the new run.
    pub fn add(&mut self, now: Entry) {
        let t = self.d.tenants.entry(now.tenant.clone()).or_default();
        match self.before.remove(&now.id) {
            None if now.status == Status::Fail => t.new.push(now),
            None => {}
            Some(was) => {
                let (failed, fails) = (was.status == Status::Fail, now.status == Status::Fail);
                match (failed, fails) {
                    (false, true) => t.new.push(now.clone()),
                    (true, false) => t.resolved.push(now.clone()),
                    (true, true) => t.persisting.push(now.clone()),
                    (false, false) => {}
                }
                let status_changed = was.status != now.status && !(failed ^ fails);
                if status_changed || was.severity != now.severity || was.owner != now.owner {
                    t.changed.push(Changed { old: was, new: now });
                }
            }
        }
    }

    /// The diff, once every finding of the new run was added; `complete` holds the (tenant,
    /// target) pairs the new run scanned completely.
    pub fn finish(self, complete: &BTreeSet<(String, String)>) -> Diff {
        let Differ { mut d, before } = self;
        // Old failures the new run did not report: resolved only where the new run scanned
        // their target completely.
        let mut gone: Vec<Entry> = before
            .into_values()
            .filter(|e| e.status == Status::Fail)
            .collect();
        gone.sort_by(|a, b| a.id.cmp(&b.id));
        for e in gone {
            let t = d.tenants.entry(e.tenant.clone()).or_default();
            if complete.contains(&(e.tenant.clone(), e.target.clone())) {
                t.resolved.push(e);
            } else {
                t.unverified.push(e);
            }
        }
        d.tenants.retain(|_, t| {
            !(t.new.is_empty()
                && t.resolved.is_empty()
                && t.unverified.is_empty()
                && t.persisting.is_empty()
                && t.changed.is_empty())
        });
        for t in d.tenants.values_mut() {
            let key = |e: &Entry| (std::cmp::Reverse(e.severity), e.owner, e.id.clone());
            t.new.sort_by_key(key);
            t.resolved.sort_by_key(key);
            t.unverified.sort_by_key(key);
            t.persisting.sort_by_key(key);
            t.changed.sort_by_key(|c| key(&c.new));
        }
        d
    }
}

/// The number of new failures at or above `threshold` that no suppression in force covers.
pub fn new_failures(d: &Diff, threshold: Severity) -> usize {
    d.tenants
        .values()
        .flat_map(|t| &t.new)
        .filter(|e| e.severity >= threshold && !e.suppressed)
        .count()
}

/// Per owner: how many entries.
fn by_owner(entries: &[Entry]) -> BTreeMap<Owner, usize> {
    let mut m = BTreeMap::new();
    for e in entries {
        *m.entry(e.owner).or_default() += 1;
    }
    m
}

fn owners_text(entries: &[Entry]) -> String {
    let m = by_owner(entries);
    if m.is_empty() {
        return "0".into();
    }
    let parts: Vec<String> = m
        .iter()
        .map(|(o, n)| format!("{n} {}", o.as_str()))
        .collect();
    format!("{} ({})", entries.len(), parts.join(", "))
}

/// At most this many findings are listed per tenant and kind in Markdown and HTML; JSON lists
/// them all.
const LIST_MAX: usize = 200;

fn line(e: &Entry) -> String {
    format!(
        "{} {} — `{}` on `{}` ({}, {})",
        e.severity.as_str(),
        e.status.as_str(),
        e.check,
        e.resource,
        e.owner.as_str(),
        e.target
    )
}

/// Markdown.
pub fn markdown(d: &Diff) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Changes from {} to {}\n", d.old_run, d.new_run);
    if d.tenants.is_empty() {
        let _ = writeln!(s, "No failing finding in either run, and nothing changed.");
        return s;
    }
    let _ = writeln!(
        s,
        "| tenant | new | resolved | unverified | persisting | changed |\n|---|---|---|---|---|---|"
    );
    for (id, t) in &d.tenants {
        let _ = writeln!(
            s,
            "| {id} | {} | {} | {} | {} | {} |",
            owners_text(&t.new),
            owners_text(&t.resolved),
            owners_text(&t.unverified),
            owners_text(&t.persisting),
            t.changed.len()
        );
    }
    for (id, t) in &d.tenants {
        let _ = writeln!(s, "\n## {id}");
        for (title, list) in [
            ("New failures", &t.new),
            ("Resolved", &t.resolved),
            (
                "Unverified (the new run did not scan their target completely)",
                &t.unverified,
            ),
            ("Persisting", &t.persisting),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n### {title}: {}\n", list.len());
            for e in list.iter().take(LIST_MAX) {
                let _ = writeln!(s, "- {}", md_escape(&line(e)));
            }
            if list.len() > LIST_MAX {
                let _ = writeln!(
                    s,
                    "- … and {} more (see the JSON diff)",
                    list.len() - LIST_MAX
                );
            }
        }
        if !t.changed.is_empty() {
            let _ = writeln!(s, "\n### Changed: {}\n", t.changed.len());
            for c in t.changed.iter().take(LIST_MAX) {
                let _ = writeln!(
                    s,
                    "- `{}` on `{}`: {}",
                    md_escape(&c.new.check),
                    md_escape(&c.new.resource),
                    change_text(c)
                );
            }
        }
    }
    s
}

fn change_text(c: &Changed) -> String {
    let mut parts = Vec::new();
    if c.old.status != c.new.status {
        parts.push(format!(
            "status {} → {}",
            c.old.status.as_str(),
            c.new.status.as_str()
        ));
    }
    if c.old.severity != c.new.severity {
        parts.push(format!(
            "severity {} → {}",
            c.old.severity.as_str(),
            c.new.severity.as_str()
        ));
    }
    if c.old.owner != c.new.owner {
        parts.push(format!(
            "owner {} → {}",
            c.old.owner.as_str(),
            c.new.owner.as_str()
        ));
    }
    parts.join("; ")
}

fn md_escape(s: &str) -> String {
    s.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

/// A self-contained HTML page.
pub fn html(d: &Diff) -> String {
    let mut s = String::new();
    let title = format!("demarc: changes from {} to {}", d.old_run, d.new_run);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{}</title><style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}</style></head><body><h1>{}</h1>",
        html_escape(&title),
        html_escape(&title)
    );
    if d.tenants.is_empty() {
        s.push_str("<p>No failing finding in either run, and nothing changed.</p>");
    } else {
        s.push_str("<table id=\"summary\"><thead><tr><th>tenant</th><th>new</th><th>resolved</th><th>unverified</th><th>persisting</th><th>changed</th></tr></thead><tbody>");
        for (id, t) in &d.tenants {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(id),
                html_escape(&owners_text(&t.new)),
                html_escape(&owners_text(&t.resolved)),
                html_escape(&owners_text(&t.unverified)),
                html_escape(&owners_text(&t.persisting)),
                t.changed.len()
            );
        }
        s.push_str("</tbody></table>");
        for (id, t) in &d.tenants {
            let _ = write!(s, "<h2>{}</h2>", html_escape(id));
            for (kind, title, list) in [
                ("new", "New failures", &t.new),
                ("resolved", "Resolved", &t.resolved),
                ("unverified", "Unverified", &t.unverified),
                ("persisting", "Persisting", &t.persisting),
            ] {
                if list.is_empty() {
                    continue;
                }
                let _ = write!(s, "<h3>{title}: {}</h3><ul class=\"{kind}\">", list.len());
                for e in list.iter().take(LIST_MAX) {
                    let _ = write!(s, "<li>{}</li>", html_escape(&line(e)));
                }
                if list.len() > LIST_MAX {
                    let _ = write!(
                        s,
                        "<li>… and {} more (see the JSON diff)</li>",
                        list.len() - LIST_MAX
                    );
                }
                s.push_str("</ul>");
            }
            if !t.changed.is_empty() {
                let _ = write!(
                    s,
                    "<h3>Changed: {}</h3><ul class=\"changed\">",
                    t.changed.len()
                );
                for c in t.changed.iter().take(LIST_MAX) {
                    let _ = write!(
                        s,
                        "<li>{} on {}: {}</li>",
                        html_escape(&c.new.check),
                        html_escape(&c.new.resource),
                        html_escape(&change_text(c))
                    );
                }
                s.push_str("</ul>");
            }
        }
    }
    s.push_str("</body></html>\n");
    s
}
