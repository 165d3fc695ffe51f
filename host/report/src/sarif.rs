//! `report.sarif`: SARIF 2.1.0 for code-scanning dashboards and SARIF viewers.
//!
//! One `run` per plugin (name, version and sha256 of the finding's `source`; plugins that ran
//! but found nothing get a run too), sorted by name, version and digest. Each run's
//! `tool.driver` carries the plugin's name and version, `properties.sha256` (and the provider and
//! contract when the run metadata has them), and one `rule` per check the run reported, sorted
//! by id: `shortDescription` is the check title, `fullDescription` names the primary catalog
//! control, `help` is the remediation, `defaultConfiguration.level` follows the severity, and
//! `properties` carry the severity, GitHub's `security-severity`, the controls (also as `tags`)
//! and their framework crosswalk.
//!
//! Each finding is one `result`, in report order, with `ruleId`/`ruleIndex`, the finding's
//! message, and the resource both as an artifact location (the resource id percent-encoded into a
//! URI reference, see [`resource_uri`]) and as a logical location of kind `resource` whose
//! `fullyQualifiedName` is the id verbatim. Status maps to SARIF's `kind` (§3.27.9), and `level`
//! is `none` whenever `kind` is not `fail` (§3.27.10):
//!
//! | demarc | kind | level |
//! |---|---|---|
//! | fail | `fail` | critical/high → `error`, medium → `warning`, low/info → `note` |
//! | pass | `pass` | `none` |
//! | manual | `review` ("requires review by a human") | `none` |
//! | not-applicable | `notApplicable` | `none` |
//! | error | `open` ("insufficient information to decide") | `none` |
//!
//! `error` is `open` rather than `fail` because the check was not decided; the coverage that was
//! lost is reported separately. Owner, party, sharing, service model, layer, basis, tenant,
//! account, region, controls and evidence go in the result's `properties`;
//! `partialFingerprints["demarcFindingId/v1"]` is the finding id, stable across runs.
//! A finding under a suppression in force carries one `suppressions[]` entry (§3.35): kind
//! `external`, accepted, with its justification and the suppression's id, approver and expiry in
//! its `properties`; under an expired one it carries none, and `properties.expiredSuppression`
//! names the suppression that lapsed.
//!
//! Other tools' findings whose check maps to no catalog control (the report's `unmapped`) are
//! results of their importer's run too, after its other results, with rules of their own after
//! the others (`properties.unmapped` true, no controls, the tool and its check id) and no
//! attribution in their `properties`.
//!
//! Gaps become `toolExecutionNotifications` (level `error`, with the input file and line and
//! column as a location when known) on the run's single `invocation`, whose
//! `executionSuccessful` is false when the plugin had a gap. Gaps that name no plugin go to a
//! run of the `demarc` host itself.

use std::collections::BTreeMap;
use std::io::Write;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use demarc_core::{Catalog, Finding, Gap, Report, Severity, Status, UnmappedFinding};

use crate::spill::Groups;
use crate::timestamp;

/// The `$schema` written into the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// What may stay literal in a URI path: unreserved, sub-delims, `:`, `@` and `/`.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

/// A path segment that may not hold `:` (the first segment of a scheme-less reference) or an
/// authority that may not hold `:` or `@`.
const NO_COLON: &AsciiSet = &PATH.add(b':').add(b'@').add(b'/');

/// The resource id as an RFC 3986 URI reference.
///
/// Ids that already look like URIs keep their scheme (`arn:aws:s3:::bucket`); GCP full resource
/// names keep their `//service/…` form; Azure ids stay absolute paths. Everything a URI cannot
/// carry literally (`%`, `?`, `#`, spaces, brackets, non-ASCII, …) is percent-encoded as UTF-8;
/// a `:` that would be misread as a scheme separator and `:`/`@` in a `//` authority are
/// encoded too. The id itself is always in the logical location, verbatim.
pub fn resource_uri(id: &str) -> String {
    let scheme_end = id.find(':').filter(|&i| {
        let scheme = &id[..i];
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if let Some(i) = scheme_end {
        let (scheme, rest) = (&id[..=i], &id[i + 1..]);
        // After a scheme, `//` would start an authority the id does not have.
        let (lead, rest) = match rest.strip_prefix("//") {
            Some(r) => ("/%2F", r),
            None => ("", rest),
        };
        return format!("{scheme}{lead}{}", utf8_percent_encode(rest, PATH));
    }
    if let Some(rest) = id.strip_prefix("//") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        return format!(
            "//{}{}",
            utf8_percent_encode(authority, NO_COLON),
            utf8_percent_encode(path, PATH)
        );
    }
    let (first, rest) = id.split_at(id.find('/').unwrap_or(id.len()));
    format!(
        "{}{}",
        utf8_percent_encode(first, NO_COLON),
        utf8_percent_encode(rest, PATH)
    )
}

/// The level of a failing check of this severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// `kind` and `level` of a result.
pub fn kind_and_level(status: Status, severity: Severity) -> (&'static str, &'static str) {
    match status {
        Status::Fail => ("fail", level(severity)),
        Status::Pass => ("pass", "none"),
        Status::Manual => ("review", "none"),
        Status::NotApplicable => ("notApplicable", "none"),
        Status::Error => ("open", "none"),
    }
}

/// GitHub code scanning's `security-severity` score for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// One run's identity: plugin name, version, sha256.
type RunKey = (String, String, String);

/// What a run needs from its findings before its results can be written: per check, the
/// first finding (which describes the rule) and every control named, in order of appearance;
/// the findings themselves wait in the run's group.
#[derive(Default)]
struct RunData<'a> {
    group: Option<usize>,
    checks: BTreeMap<String, (Finding, Vec<String>)>,
    /// Other tools' findings of this run's plugin that map to no control: their rules follow
    /// the others', their results follow the others'.
    unmapped: Vec<&'a UnmappedFinding>,
}

/// The SARIF log, written as findings arrive: each finding goes to its run's group (in memory
/// or a temporary file, see [`crate::Spill`]); at the end the runs are written in order, each
/// with its rules, and its group's results copied behind them.
pub struct Sink<'a, W: Write> {
    report: &'a Report,
    catalog: &'a Catalog,
    out: W,
    runs: BTreeMap<RunKey, RunData<'a>>,
    groups: Groups,
}

/// Write the SARIF log of a whole report.
#[cfg(test)]
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> serde_json::Result<()> {
    let mut sink = Sink::new(report, catalog, out, &crate::Spill::Memory);
    for f in &report.findings {
        sink.finding(f)?;
    }
    sink.finish()
}

impl<'a, W: Write> Sink<'a, W> {
    /// A log of `report` (whose findings are passed to [`Sink::finding`]) into `out`.
    pub fn new(report: &'a Report, catalog: &'a Catalog, out: W, spill: &crate::Spill) -> Self {
        Sink {
            report,
            catalog,
            out,
            runs: BTreeMap::new(),
            groups: Groups::new(spill, "sarif"),
        }
    }

    /// Take one finding.
    pub fn finding(&mut self, f: &Finding) -> serde_json::Result<()> {
        let s = &f.source;
        let key = (s.plugin.clone(), s.version.clone(), s.sha256.clone());
        let data = self.runs.entry(key).or_default();
        let group = match data.group {
            Some(g) => g,
            None => {
                let g = self.groups.create().map_err(serde_json::Error::io)?;
                data.group = Some(g);
                g
            }
        };
        match data.checks.get_mut(f.check.id.as_str()) {
            Some((_, controls)) => {
                for c in &f.controls {
                    if !controls.contains(c) {
                        controls.push(c.clone());
                    }
                }
            }
            None => {
                let mut controls: Vec<String> = Vec::new();
                for c in &f.controls {
                    if !controls.contains(c) {
                        controls.push(c.clone());
                    }
                }
                data.checks
                    .insert(f.check.id.clone(), (f.clone(), controls));
            }
        }
        let w = self.groups.writer(group);
        serde_json::to_writer(&mut *w, f)?;
        w.write_all(b"\n").map_err(serde_json::Error::io)
    }

    /// Write the log.
    pub fn finish(mut self) -> serde_json::Result<()> {
        let io = serde_json::Error::io;
        let report = self.report;
        for p in &report.run.plugins {
            self.runs
                .entry((p.name.clone(), p.version.clone(), p.sha256.clone()))
                .or_default();
        }
        let host = (
            "demarc".to_string(),
            report
                .run
                .tool
                .strip_prefix("demarc ")
                .unwrap_or(&report.run.tool)
                .to_string(),
            String::new(),
        );
        let mut gaps: BTreeMap<RunKey, Vec<&Gap>> = BTreeMap::new();
        for g in &report.gaps {
            let key = match &g.plugin {
                Some(name) => self
                    .runs
                    .keys()
                    .find(|(n, _, _)| n == name)
                    .cloned()
                    .unwrap_or_else(|| (name.clone(), String::new(), String::new())),
                None => host.clone(),
            };
            gaps.entry(key).or_default().push(g);
        }
        for key in gaps.keys() {
            if !self.runs.contains_key(key) {
                self.runs.insert(key.clone(), RunData::default());
            }
        }
        for u in &report.unmapped {
            let key = self
                .runs
                .keys()
                .find(|(n, v, _)| {
                    *n == u.source.plugin && (u.source.version.is_empty() || *v == u.source.version)
                })
                .cloned()
                .unwrap_or_else(|| {
                    (
                        u.source.plugin.clone(),
                        u.source.version.clone(),
                        String::new(),
                    )
                });
            self.runs.entry(key).or_default().unmapped.push(u);
        }
        // The log with a marker in place of each run's results, then the results spliced in.
        let marker = |i: usize| format!("\u{0}demarc-results-{i}");
        let runs: Vec<Value> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, (key, data))| {
                let no_gaps = Vec::new();
                let g = gaps.get(key).unwrap_or(&no_gaps);
                run(report, self.catalog, key, data, g, json!(marker(i)))
            })
            .collect();
        let skeleton = serde_json::to_string_pretty(&json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": runs,
        }))?;
        let mut rest = skeleton.as_str();
        for (i, data) in self.runs.values().enumerate() {
            let needle = format!("\"results\": {}", serde_json::to_string(&marker(i))?);
            let Some(at) = rest.find(&needle) else {
                return Err(serde_json::Error::io(std::io::Error::other(
                    "the SARIF results marker is missing",
                )));
            };
            let indent = rest[..at].len() - rest[..at].trim_end_matches(' ').len();
            self.out
                .write_all(&rest.as_bytes()[..at])
                .and_then(|()| self.out.write_all(b"\"results\": "))
                .map_err(io)?;
            rest = &rest[at + needle.len()..];
            if data.group.is_none() && data.unmapped.is_empty() {
                self.out.write_all(b"[]").map_err(io)?;
                continue;
            }
            let index: BTreeMap<&str, usize> = data
                .checks
                .keys()
                .enumerate()
                .map(|(i, k)| (k.as_str(), i))
                .collect();
            let unmapped_index = unmapped_rules(&data.unmapped);
            let pad = format!("\n{}", " ".repeat(indent + 2));
            self.out.write_all(b"[").map_err(io)?;
            let mut first = true;
            let mut write = |out: &mut W, result: Value| -> serde_json::Result<()> {
                let text = serde_json::to_string_pretty(&result)?;
                out.write_all(if first { b"" } else { b"," })
                    .and_then(|()| out.write_all(pad.as_bytes()))
                    .and_then(|()| out.write_all(text.replace('\n', &pad).as_bytes()))
                    .map_err(io)?;
                first = false;
                Ok(())
            };
            if let Some(group) = data.group {
                for line in self.groups.read(group).map_err(io)? {
                    let f: Finding = serde_json::from_str(&line.map_err(io)?)?;
                    let help = &data.checks[f.check.id.as_str()].0.remediation;
                    write(&mut self.out, result(&f, index[f.check.id.as_str()], help))?;
                }
            }
            for u in &data.unmapped {
                let at = index.len() + unmapped_index[u.check.id.as_str()].0;
                write(&mut self.out, unmapped_result(u, at))?;
            }
            self.out
                .write_all(format!("\n{}]", " ".repeat(indent)).as_bytes())
                .map_err(io)?;
        }
        self.out
            .write_all(rest.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| self.out.flush())
            .map_err(io)
    }
}

fn run(
    report: &Report,
    catalog: &Catalog,
    key: &RunKey,
    data: &RunData<'_>,
    gaps: &[&Gap],
    results: Value,
) -> Value {
    let (name, version, sha256) = key;
    let citations = demarc_core::report::Citations::new(&report.run);

    // Rules: one per check, sorted by id; the first finding of a check describes it. Then one
    // per check of another tool that maps to no control, sorted by id.
    let mut rules: Vec<Value> = data
        .checks
        .values()
        .map(|(first, controls)| rule(catalog, first, controls, citations.of(first)))
        .collect();
    rules.extend(
        unmapped_rules(&data.unmapped)
            .values()
            .map(|(_, first)| unmapped_rule(first)),
    );

    let mut driver = Map::new();
    driver.insert("name".into(), json!(name));
    if !version.is_empty() {
        driver.insert("version".into(), json!(version));
    }
    let mut props = Map::new();
    if !sha256.is_empty() {
        props.insert("sha256".into(), json!(sha256));
    }
    if let Some(p) = report
        .run
        .plugins
        .iter()
        .find(|p| &p.name == name && &p.version == version && &p.sha256 == sha256)
    {
        props.insert("provider".into(), json!(p.provider));
        props.insert("contract".into(), json!(p.contract));
    }
    if !props.is_empty() {
        driver.insert("properties".into(), Value::Object(props));
    }
    driver.insert("rules".into(), Value::Array(rules));

    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(gaps.is_empty()));
    if let Some(t) = timestamp::normalize(&report.run.started) {
        invocation.insert("startTimeUtc".into(), json!(t));
    }
    if let Some(t) = timestamp::normalize(&report.run.finished) {
        invocation.insert("endTimeUtc".into(), json!(t));
    }
    if !gaps.is_empty() {
        let notes: Vec<Value> = gaps.iter().map(|g| notification(g)).collect();
        invocation.insert("toolExecutionNotifications".into(), Value::Array(notes));
    }

    let mut run_props = Map::new();
    run_props.insert("estate".into(), json!(report.run.estate));
    if let Some(shard) = &report.run.shard {
        run_props.insert("shard".into(), json!(shard));
    }
    json!({
        "tool": { "driver": Value::Object(driver) },
        "invocations": [Value::Object(invocation)],
        "results": results,
        "properties": Value::Object(run_props),
    })
}

fn rule(
    catalog: &Catalog,
    first: &Finding,
    controls: &[String],
    cited: Option<&BTreeMap<String, Vec<String>>>,
) -> Value {
    let controls: Vec<&str> = controls.iter().map(String::as_str).collect();
    let mut frameworks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &controls {
        if let Some(ctl) = catalog.control(c) {
            for (fw, reqs) in &ctl.frameworks {
                let e = frameworks.entry(fw).or_default();
                for r in reqs {
                    if !e.contains(&r.as_str()) {
                        e.push(r);
                    }
                }
            }
        }
    }
    // Benchmark requirements: exactly those the check tests.
    for (bench, reqs) in cited.into_iter().flatten() {
        frameworks
            .entry(bench)
            .or_default()
            .extend(reqs.iter().map(String::as_str));
    }
    let severity = first.check.severity;
    let mut tags: Vec<&str> = vec!["security"];
    tags.extend(controls.iter().copied().filter(|c| *c != "security"));
    let primary = first.controls.first().map(|c| match catalog.control(c) {
        Some(ctl) => format!("Primary control {c}: {}.", ctl.title),
        None => format!("Primary control {c}."),
    });
    let mut rule = Map::new();
    rule.insert("id".into(), json!(first.check.id));
    rule.insert(
        "shortDescription".into(),
        json!({ "text": first.check.title }),
    );
    if let Some(p) = primary {
        rule.insert("fullDescription".into(), json!({ "text": p }));
    }
    if !first.remediation.is_empty() {
        rule.insert("help".into(), json!({ "text": first.remediation }));
    }
    rule.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(severity) }),
    );
    rule.insert(
        "properties".into(),
        json!({
            "tags": tags,
            "severity": severity.as_str(),
            "security-severity": security_severity(severity),
            "controls": controls,
            "frameworks": frameworks,
        }),
    );
    Value::Object(rule)
}

/// Evidence as objects, as SARIF consumers have always read them (report.json writes pairs).
fn evidence(evidence: &[demarc_core::Evidence]) -> Value {
    evidence
        .iter()
        .map(|e| json!({"key": e.key, "value": e.value}))
        .collect()
}

/// A result's locations: the resource as an artifact location (its id as a URI reference) and
/// as a logical location of kind `resource` whose fully qualified name is the id verbatim.
fn locations(r: &demarc_core::ResourceRef) -> Value {
    json!([{
        "physicalLocation": {
            "artifactLocation": { "uri": resource_uri(&r.id) }
        },
        "logicalLocations": [{
            "name": r.name.as_deref().unwrap_or(&r.id),
            "fullyQualifiedName": r.id,
            "kind": "resource",
            "properties": { "type": r.native_type },
        }],
    }])
}

/// The checks of `unmapped`, by id: (index among them, first finding).
fn unmapped_rules<'a>(
    unmapped: &[&'a UnmappedFinding],
) -> BTreeMap<&'a str, (usize, &'a UnmappedFinding)> {
    let mut rules: BTreeMap<&str, (usize, &UnmappedFinding)> = BTreeMap::new();
    for u in unmapped {
        rules.entry(u.check.id.as_str()).or_insert((0, u));
    }
    for (i, r) in rules.values_mut().enumerate() {
        r.0 = i;
    }
    rules
}

/// The rule of another tool's check that maps to no control.
fn unmapped_rule(first: &UnmappedFinding) -> Value {
    let severity = first.check.severity;
    let mut props = json!({
        "tags": ["security", "unmapped"],
        "severity": severity.as_str(),
        "security-severity": security_severity(severity),
        "controls": [],
        "unmapped": true,
    });
    if let (Some(tool), Some(obj)) = (first.evidence("tool"), props.as_object_mut()) {
        obj.insert("tool".into(), json!(tool));
        if let Some(check) = first.evidence("tool.check") {
            obj.insert("toolCheck".into(), json!(check));
        }
    }
    json!({
        "id": first.check.id,
        "shortDescription": { "text": first.check.title },
        "fullDescription": { "text": "Another tool's check that maps to no control of demarc's catalog: not attributed, not rolled up." },
        "defaultConfiguration": { "level": level(severity) },
        "properties": props,
    })
}

/// The result of another tool's finding that maps to no control: as a finding's, without
/// attribution.
fn unmapped_result(f: &UnmappedFinding, rule_index: usize) -> Value {
    let (kind, level) = kind_and_level(f.status, f.check.severity);
    let mut props = Map::new();
    props.insert("findingId".into(), json!(f.id));
    props.insert("tenant".into(), json!(f.tenant));
    props.insert("target".into(), json!(f.target));
    props.insert("provider".into(), json!(f.provider));
    props.insert("account".into(), json!(f.account));
    props.insert("region".into(), json!(f.region));
    props.insert("status".into(), json!(f.status.as_str()));
    props.insert("severity".into(), json!(f.check.severity.as_str()));
    props.insert("unmapped".into(), json!(true));
    props.insert("controls".into(), json!([]));
    if !f.evidence.is_empty() {
        props.insert("evidence".into(), evidence(&f.evidence));
    }
    if let Some(t) = &f.observed_at {
        props.insert("observedAt".into(), json!(t));
    }
    let message = if f.message.is_empty() {
        &f.check.title
    } else {
        &f.message
    };
    json!({
        "ruleId": f.check.id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": { "text": message },
        "locations": locations(&f.resource),
        "partialFingerprints": { "demarcFindingId/v1": f.id },
        "properties": Value::Object(props),
    })
}

fn result(f: &Finding, rule_index: usize, rule_help: &str) -> Value {
    let (kind, level) = kind_and_level(f.status, f.check.severity);
    let r = &f.responsibility;
    let mut props = Map::new();
    props.insert("findingId".into(), json!(f.id));
    props.insert("tenant".into(), json!(f.tenant));
    props.insert("target".into(), json!(f.target));
    props.insert("provider".into(), json!(f.provider));
    props.insert("account".into(), json!(f.account));
    props.insert("region".into(), json!(f.region));
    props.insert("status".into(), json!(f.status.as_str()));
    props.insert("severity".into(), json!(f.check.severity.as_str()));
    props.insert("mustAct".into(), json!(f.must_act.party.as_str()));
    if let Some(n) = &f.must_act.name {
        props.insert("mustActName".into(), json!(n));
    }
    if let Some(b) = &f.must_act.basis {
        props.insert("mustActBasis".into(), json!(b));
    }
    props.insert("owner".into(), json!(r.owner.as_str()));
    if let Some(p) = &r.party {
        props.insert("party".into(), json!(p));
    }
    if let Some(s) = &r.sharing {
        props.insert("sharing".into(), json!(s));
    }
    props.insert("serviceModel".into(), json!(r.service_model.as_str()));
    props.insert("layer".into(), json!(r.layer.as_str()));
    props.insert("basis".into(), json!(r.basis));
    if let Some(n) = &r.note {
        props.insert("note".into(), json!(n));
    }
    props.insert("controls".into(), json!(f.controls));
    if !f.evidence.is_empty() {
        props.insert("evidence".into(), evidence(&f.evidence));
    }
    if f.remediation != rule_help && !f.remediation.is_empty() {
        props.insert("remediation".into(), json!(f.remediation));
    }
    if let Some(t) = &f.observed_at {
        props.insert("observedAt".into(), json!(t));
    }
    if !f.verdicts.is_empty() {
        // A finding fused across tools: every tool's verdict, and whether they contradict.
        props.insert("verdicts".into(), json!(f.verdicts));
        props.insert("contradiction".into(), json!(f.contradiction));
    }
    let message = if f.message.is_empty() {
        &f.check.title
    } else {
        &f.message
    };
    // A suppression in force is an accepted, external suppression (§3.35); an expired one
    // suppresses nothing, and the result says which it was. The published SARIF 2.1.0 schema
    // names the acceptance `state` (and allows no other key beside it), so that is what is
    // written.
    let suppressions = match &f.suppression {
        Some(s) if !s.expired => json!([{
            "kind": "external",
            "state": "accepted",
            "justification": s.justification,
            "properties": {
                "suppressionId": s.id,
                "approvedBy": s.approved_by,
                "expires": s.expires,
            },
        }]),
        _ => Value::Null,
    };
    if let Some(s) = f.suppression.as_ref().filter(|s| s.expired) {
        props.insert(
            "expiredSuppression".into(),
            json!({"id": s.id, "approvedBy": s.approved_by, "expires": s.expires,
                   "justification": s.justification}),
        );
    }
    let mut result = json!({
        "ruleId": f.check.id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": { "text": message },
        "locations": locations(&f.resource),
        "partialFingerprints": { "demarcFindingId/v1": f.id },
        "properties": Value::Object(props),
    });
    if let (Value::Array(list), Some(obj)) = (suppressions, result.as_object_mut()) {
        obj.insert("suppressions".into(), Value::Array(list));
    }
    result
}

fn notification(g: &Gap) -> Value {
    let mut n = Map::new();
    let scope = match (g.tenant.is_empty(), g.target.is_empty()) {
        (true, _) => String::from("run"),
        (false, true) => g.tenant.clone(),
        (false, false) => format!("{}/{}", g.tenant, g.target),
    };
    n.insert(
        "message".into(),
        json!({ "text": format!("{} ({}): {}", g.kind.as_str(), scope, g.message) }),
    );
    n.insert("level".into(), json!("error"));
    n.insert("descriptor".into(), json!({ "id": g.kind.as_str() }));
    if let Some(file) = &g.file {
        let mut phys = Map::new();
        phys.insert(
            "artifactLocation".into(),
            json!({ "uri": resource_uri(file) }),
        );
        if let Some(line) = g.line.filter(|l| *l >= 1) {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(line));
            if let Some(col) = g.column.filter(|c| *c >= 1) {
                region.insert("startColumn".into(), json!(col));
            }
            phys.insert("region".into(), Value::Object(region));
        }
        n.insert(
            "locations".into(),
            json!([{ "physicalLocation": Value::Object(phys) }]),
        );
    }
    let mut props = Map::new();
    props.insert("kind".into(), json!(g.kind.as_str()));
    props.insert("tenant".into(), json!(g.tenant));
    props.insert("target".into(), json!(g.target));
    if let Some(p) = &g.plugin {
        props.insert("plugin".into(), json!(p));
    }
    n.insert("properties".into(), Value::Object(props));
    Value::Object(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    fn rendered(r: &Report) -> Value {
        let mut v = Vec::new();
        render(r, &fixture::catalog(), &mut v).unwrap();
        serde_json::from_slice(&v).unwrap()
    }

    /// The published SARIF 2.1.0 schema's `language` pattern has a stray `]`
    /// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) that the jsonschema crate's ECMAScript
    /// regex check rejects while meta-validating the schema, so the schema does not compile as
    /// published. The test swaps in the intended pattern for that one keyword (demarc never
    /// writes `language`) and checks the erratum is still there, so a fixed schema is noticed.
    fn validator() -> jsonschema::Validator {
        const ERRATUM: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
        let text = std::fs::read_to_string(fixture::shared_data("sarif/sarif-schema-2.1.0.json"))
            .expect("the SARIF schema is in shared/data");
        assert_eq!(
            text.matches(ERRATUM).count(),
            2,
            "the language-pattern erratum moved"
        );
        let schema: Value =
            serde_json::from_str(&text.replace(ERRATUM, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#))
                .unwrap();
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    }

    /// A finding under a suppression in force carries one accepted external suppression with
    /// its justification; one under an expired suppression carries none (it is not suppressed)
    /// and says which suppression lapsed. The log validates.
    #[test]
    fn suppressed_results_carry_an_accepted_external_suppression() {
        let r = fixture::suppressed_report();
        let v = rendered(&r);
        assert_valid(&v);
        let results: Vec<&Value> = v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|run| run["results"].as_array().unwrap())
            .collect();
        let with: Vec<&&Value> = results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .collect();
        assert_eq!(with.len(), 1);
        assert_eq!(
            with[0]["suppressions"],
            json!([{
                "kind": "external",
                "state": "accepted",
                "justification": "compensating control: <VPN only> & reviewed",
                "properties": {
                    "suppressionId": "accepted-risk",
                    "approvedBy": "Dana Whitfield (CISO)",
                    "expires": "2027-03-31"
                }
            }])
        );
        assert_eq!(with[0]["kind"], "fail", "a suppressed result still fails");
        let lapsed = results
            .iter()
            .find(|r| r["properties"].get("expiredSuppression").is_some())
            .unwrap();
        assert_eq!(
            lapsed["properties"]["expiredSuppression"]["id"],
            "lapsed-risk"
        );
        assert_eq!(lapsed["properties"]["mustActName"], "Dana Whitfield (CISO)");
        assert_eq!(lapsed["kind"], "fail");
    }

    fn assert_valid(v: &Value) {
        let errors: Vec<String> = validator()
            .iter_errors(v)
            .take(20)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "SARIF does not validate:\n{}",
            errors.join("\n")
        );
    }

    #[test]
    fn validates_against_the_sarif_2_1_0_schema() {
        assert_valid(&rendered(&fixture::report()));
        assert_valid(&rendered(&fixture::empty_report()));
        if let Some(sample) = fixture::sample_report() {
            assert_valid(&rendered(&sample));
        }
    }

    /// Other tools' findings that map to no control are results of their importer's run,
    /// after its others, each pointing at a rule of its own marked `unmapped`; the log still
    /// validates.
    #[test]
    fn unmapped_findings_are_results_with_rules_of_their_own() {
        let r = fixture::unmapped_report();
        let v = rendered(&r);
        assert_valid(&v);
        let runs = v["runs"].as_array().unwrap();
        let results: usize = runs
            .iter()
            .map(|r| r["results"].as_array().unwrap().len())
            .sum();
        assert_eq!(results, r.findings.len() + r.unmapped.len());
        let run = runs
            .iter()
            .find(|x| x["tool"]["driver"]["name"] == "import-aws")
            .expect("a run of the importer");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|x| x["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["prowler-guardduty-is-enabled", "prowler-macie-is-enabled"]
        );
        for rule in rules {
            assert_eq!(rule["properties"]["unmapped"], true);
            assert_eq!(rule["properties"]["tool"], "prowler");
            assert_eq!(rule["properties"]["controls"], json!([]));
        }
        let res = run["results"].as_array().unwrap();
        assert_eq!(res.len(), 3);
        for x in res {
            let i = x["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], x["ruleId"]);
            assert_eq!(x["properties"]["unmapped"], true);
            assert!(x["properties"].get("owner").is_none());
        }
        assert_eq!(
            (res[0]["kind"].as_str(), res[0]["level"].as_str()),
            (Some("fail"), Some("error"))
        );
        assert_eq!(
            (res[1]["kind"].as_str(), res[1]["level"].as_str()),
            (Some("pass"), Some("none"))
        );
    }

    #[test]
    fn one_run_per_plugin_with_rules_and_every_finding() {
        let r = fixture::report();
        let v = rendered(&r);
        let runs = v["runs"].as_array().unwrap();
        let names: Vec<(&str, &str)> = runs
            .iter()
            .map(|run| {
                let d = &run["tool"]["driver"];
                (d["name"].as_str().unwrap(), d["version"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            names,
            [
                ("aws", "0.1.0"),
                ("azure", "0.1.0"),
                ("demarc", "0.1.0"),
                ("gcp", "0.1.0"),
                ("import-prowler", "5.1.0")
            ]
        );
        let aws = &runs[0];
        assert_eq!(
            aws["tool"]["driver"]["properties"]["sha256"],
            r.run.plugins[0].sha256.as_str()
        );
        let total: usize = runs
            .iter()
            .map(|run| run["results"].as_array().unwrap().len())
            .sum();
        assert_eq!(total, r.findings.len());
        // Every result points at an existing rule with its id.
        for run in runs {
            let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
            for res in run["results"].as_array().unwrap() {
                let i = res["ruleIndex"].as_u64().unwrap() as usize;
                assert_eq!(rules[i]["id"], res["ruleId"]);
            }
        }
        let rule = aws["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "aws-s3-public-access")
            .unwrap();
        assert_eq!(
            rule["shortDescription"]["text"],
            "Buckets block public access"
        );
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(
            rule["properties"]["tags"],
            json!(["security", "public-resource-access", "iam-least-privilege"])
        );
        assert!(rule["properties"]["frameworks"]["pci-dss-4.0"].is_array());
        // The benchmark requirement the check tests, and no other.
        assert_eq!(
            rule["properties"]["frameworks"]["cis-aws-fixture-1.0"],
            json!(["2.1.4"])
        );
        let cited: Vec<&Value> = runs
            .iter()
            .flat_map(|r| r["tool"]["driver"]["rules"].as_array().unwrap())
            .filter(|r| {
                r["properties"]["frameworks"]
                    .as_object()
                    .is_some_and(|f| f.keys().any(|k| k.starts_with("cis-")))
            })
            .collect();
        assert_eq!(cited.len(), 1, "only the citing check's rule: {cited:#?}");
    }

    #[test]
    fn statuses_map_to_kinds_and_levels() {
        let r = fixture::report();
        let v = rendered(&r);
        let results: Vec<&Value> = v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|run| run["results"].as_array().unwrap())
            .collect();
        for res in &results {
            let status = res["properties"]["status"].as_str().unwrap();
            let sev = res["properties"]["severity"].as_str().unwrap();
            let (kind, level) = (
                res["kind"].as_str().unwrap(),
                res["level"].as_str().unwrap(),
            );
            let want = kind_and_level(
                Status::ALL
                    .into_iter()
                    .find(|s| s.as_str() == status)
                    .unwrap(),
                Severity::parse(sev).unwrap(),
            );
            assert_eq!((kind, level), want);
            if kind != "fail" {
                assert_eq!(level, "none", "§3.27.10: level is none unless kind is fail");
            }
        }
        let kinds: std::collections::BTreeSet<&str> = results
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            ["fail", "notApplicable", "open", "pass", "review"]
        );
        assert_eq!(
            kind_and_level(Status::Fail, Severity::Critical),
            ("fail", "error")
        );
        assert_eq!(
            kind_and_level(Status::Fail, Severity::Medium),
            ("fail", "warning")
        );
        assert_eq!(
            kind_and_level(Status::Fail, Severity::Info),
            ("fail", "note")
        );
    }

    #[test]
    fn results_carry_the_resource_and_the_attribution() {
        let r = fixture::report();
        let v = rendered(&r);
        let res = v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|run| run["results"].as_array().unwrap())
            .find(|res| res["properties"]["owner"] == "third-party" && res["kind"] == "fail")
            .unwrap();
        let loc = &res["locations"][0];
        assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "arn:aws:ec2:us-east-1:482913650271:instance/i-0abc123def4567890"
        );
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "arn:aws:ec2:us-east-1:482913650271:instance/i-0abc123def4567890"
        );
        let p = &res["properties"];
        assert_eq!(p["party"], "Bluefin Managed Security");
        assert_eq!(p["serviceModel"], "iaas");
        assert_eq!(p["layer"], "guest-os");
        assert_eq!(p["basis"]["kind"], "contract");
        assert_eq!(p["controls"], json!(["guest-patching"]));
        assert_eq!(
            res["partialFingerprints"]["demarcFindingId/v1"],
            r.findings[0].id.as_str()
        );
    }

    #[test]
    fn gaps_are_tool_execution_notifications() {
        let v = rendered(&fixture::report());
        let runs = v["runs"].as_array().unwrap();
        let azure = runs
            .iter()
            .find(|r| r["tool"]["driver"]["name"] == "azure")
            .unwrap();
        let inv = &azure["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = &inv["toolExecutionNotifications"][0];
        assert_eq!(n["level"], "error");
        assert_eq!(n["descriptor"]["id"], "malformed-input");
        let phys = &n["locations"][0]["physicalLocation"];
        assert_eq!(
            phys["artifactLocation"]["uri"],
            "northwind/azure-prod/resources%20page%202.json"
        );
        assert_eq!(phys["region"], json!({"startLine": 120, "startColumn": 7}));
        let host = runs
            .iter()
            .find(|r| r["tool"]["driver"]["name"] == "demarc")
            .unwrap();
        assert_eq!(host["results"], json!([]));
        assert_eq!(
            host["invocations"][0]["toolExecutionNotifications"][0]["descriptor"]["id"],
            "no-plugin"
        );
        let aws = runs
            .iter()
            .find(|r| r["tool"]["driver"]["name"] == "aws")
            .unwrap();
        assert_eq!(aws["invocations"][0]["executionSuccessful"], true);
    }

    #[test]
    fn resource_ids_become_valid_uri_references() {
        let cases = [
            ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket"),
            ("i-0abc", "i-0abc"),
            (
                "//compute.googleapis.com/projects/p/zones/z/instances/i",
                "//compute.googleapis.com/projects/p/zones/z/instances/i",
            ),
            (
                fixture::AWKWARD_ID,
                "/subscriptions/0000-1111/resourceGroups/rg%201/providers/Microsoft.Storage/storageAccounts/st%231%3Fx=%2541&%C3%A9",
            ),
            ("my weird:thing/x", "my%20weird%3Athing/x"),
            ("//host:notaport@x/y z", "//host%3Anotaport%40x/y%20z"),
            ("urn://x", "urn:/%2Fx"),
            (
                "[::1]|`{}`\\^\"<>",
                "%5B%3A%3A1%5D%7C%60%7B%7D%60%5C%5E%22%3C%3E",
            ),
            ("", ""),
        ];
        let schema = json!({"type": "string", "format": "uri-reference"});
        let v = jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        for (id, want) in cases {
            let uri = resource_uri(id);
            assert_eq!(uri, want, "{id}");
            assert!(v.is_valid(&json!(uri)), "{uri} is not a uri-reference");
        }
        // The validator does reject what we encode away.
        assert!(!v.is_valid(&json!("rg 1#a#b")));
    }
}
