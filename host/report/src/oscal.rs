//! `report.oscal.json`: NIST OSCAL assessment results (JSON, `oscal-version` 1.0.6) for
//! auditors' tooling and GRC platforms.
//!
//! One `assessment-results` document with one `result` covering the run:
//!
//! - `metadata`: title, last-modified (the run's end), the tool as `version`, and every tenant
//!   and named third party as an organization `party`.
//! - `import-ap`: demarc does not run from an OSCAL assessment plan, so `href` is `#<uuid>`, a
//!   reference to a `back-matter` resource that records the plan actually in effect (the
//!   plugins with their digests and every input file with its SHA-256), with a link to
//!   `report.json`. That is a real, resolvable reference inside the document, not a placeholder.
//! - `local-definitions`: each plugin as a `software` component (the tool that made the
//!   observations) and each scanned resource as an `inventory-item`.
//! - `observations`: one per finding, `methods` TEST, `types` control-objective, the plugin as
//!   origin, the resource as subject, every evidence value as a `relevant-evidence` entry,
//!   `collected` from the finding's `observed_at` (the run's start when absent or unusable),
//!   and check, status, severity, owner, party, sharing, service model, layer, basis, controls,
//!   tenant, account and region as props.
//! - `risks`: one per failing finding, status `open`, with the remediation as a
//!   `recommendation` response and the owner as props.
//! - `findings`: one per row of the control roll-up (tenant × framework requirement), target
//!   type `objective-id`, state `satisfied` for satisfied, attested and inherited requirements
//!   and `not-satisfied` otherwise (reason `pass`, `fail` or `other`; the demarc status is a
//!   prop and the evidence and gap are in the description and remarks), related to the
//!   observations and risks of the tenant's findings on the requirement's controls. For NIST SP
//!   800-53 the target is the control's assessment objective in the NIST OSCAL catalog
//!   (`AC-2(3)` → `ac-2.3_obj`); other frameworks have no OSCAL catalog ids, so the target is
//!   demarc's crosswalk id `<framework>_<requirement>` made a token (`pci-dss-4.0_3.5.1`).
//! - Gaps: `assessment-log` entries and the result's remarks.
//!
//! UUIDs are deterministic: version-5-style (name-based; SHA-256 of a kind and a key such as the
//! finding id, truncated to 128 bits, with the version nibble 5 and the RFC 4122 variant), and
//! the document's own uuid derives from a digest of the whole report. Text that the schema
//! constrains (non-empty single-line strings, tokens, date-times with a year 1900-2999) is
//! normalized, never dropped silently: an unusable value falls back as documented on each
//! helper. Props that are demarc's own use the namespace [`NS`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use demarc_core::rollup::{ControlRow, RollupStatus};
use demarc_core::{Catalog, Finding, Report, Status};

use crate::{labels, timestamp};

/// The OSCAL version the document declares.
pub const OSCAL_VERSION: &str = "1.0.6";
/// Namespace of demarc's own props.
pub const NS: &str = "https://github.com/demarc-dev/demarc/ns/oscal";

/// A deterministic, version-5-style UUID for `key` of `kind`.
pub fn uuid(kind: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"demarc/oscal/");
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A non-empty single-line string (OSCAL's StringDatatype), or `None` when nothing is left.
pub fn string(s: &str) -> Option<String> {
    let s = labels::one_line(s);
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    (!s.is_empty()).then(|| s.to_string())
}

/// A token (OSCAL's TokenDatatype, an NCName): letters, digits, `.`, `-`, `_`, starting with a
/// letter or `_`. `(` becomes `.`, `)` is dropped, anything else becomes `-`, and a leading
/// digit or punctuation gets a `_` in front.
pub fn token(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        match c {
            '(' => out.push('.'),
            ')' => {}
            c if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') => out.push(c),
            _ => out.push('-'),
        }
    }
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The finding target of a framework requirement, see the module docs.
pub fn target_id(framework: &str, requirement: &str) -> String {
    let id = control_id(framework, requirement);
    if framework.starts_with("nist-800-53") {
        format!("{id}_obj")
    } else {
        id
    }
}

/// The control id of a framework requirement in `reviewed-controls`: NIST SP 800-53 in the NIST
/// OSCAL catalog's form (`ac-2.3`), others as `<framework>_<requirement>`.
pub fn control_id(framework: &str, requirement: &str) -> String {
    if framework.starts_with("nist-800-53") {
        token(&requirement.to_lowercase())
    } else {
        token(&format!("{framework}_{requirement}"))
    }
}

/// An OSCAL date-time: RFC 3339 normalized to UTC, years 1900-2999 (the schema's pattern).
pub fn datetime(s: &str) -> Option<String> {
    let t = timestamp::parse(s)?;
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(1900..=2999).contains(&t.year()) {
        return None;
    }
    timestamp::utc(t)
}

fn prop(name: &str, value: &str) -> Option<Value> {
    string(value).map(|v| json!({ "name": name, "ns": NS, "value": v }))
}

fn props(pairs: &[(&str, &str)]) -> Vec<Value> {
    pairs.iter().filter_map(|(n, v)| prop(n, v)).collect()
}

fn put(obj: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        obj.insert(key.into(), Value::Array(items));
    }
}

/// Write the document.
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> serde_json::Result<()> {
    let doc = document(report, catalog)?;
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

fn component_key(plugin: &str, version: &str, sha256: &str) -> String {
    format!("{plugin}\0{version}\0{sha256}")
}

fn document(report: &Report, catalog: &Catalog) -> serde_json::Result<Value> {
    let digest: String = Sha256::digest(serde_json::to_vec(report)?)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let run = &report.run;
    let start = datetime(&run.started).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let end = datetime(&run.finished).unwrap_or_else(|| start.clone());
    let stats = crate::view::Stats::of(report);
    let tenants = crate::view::tenants(report, &stats);
    let tenant_name: BTreeMap<&str, &str> = tenants
        .iter()
        .map(|t| (t.info.id.as_str(), t.info.name.as_str()))
        .collect();

    // Parties: tenants and third parties.
    let mut parties = Vec::new();
    for t in &tenants {
        let mut p = Map::new();
        p.insert(
            "uuid".into(),
            json!(uuid("party", &format!("tenant\0{}", t.info.id))),
        );
        p.insert("type".into(), json!("organization"));
        if let Some(name) = string(&t.info.name).or_else(|| string(&t.info.id)) {
            p.insert("name".into(), json!(name));
        }
        if let Some(short) = string(&t.info.id) {
            p.insert("short-name".into(), json!(short));
        }
        put(
            &mut p,
            "props",
            props(&[("role", "tenant"), ("tenant", &t.info.id)]),
        );
        parties.push(Value::Object(p));
    }
    let mut third: BTreeSet<&str> = BTreeSet::new();
    for t in &tenants {
        third.extend(t.info.third_parties.iter().map(String::as_str));
    }
    third.extend(
        report
            .findings
            .iter()
            .filter_map(|f| f.responsibility.party.as_deref()),
    );
    third.extend(
        report
            .controls
            .iter()
            .flat_map(|r| r.parties.iter().map(String::as_str)),
    );
    for name in third {
        let Some(n) = string(name) else { continue };
        parties.push(json!({
            "uuid": uuid("party", &format!("third-party\0{name}")),
            "type": "organization",
            "name": n,
            "props": props(&[("role", "third-party")]),
        }));
    }

    // Components: one per plugin.
    let mut plugins: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for p in &run.plugins {
        plugins.insert(
            component_key(&p.name, &p.version, &p.sha256),
            (p.name.clone(), p.version.clone(), p.sha256.clone()),
        );
    }
    for f in &report.findings {
        let s = &f.source;
        plugins
            .entry(component_key(&s.plugin, &s.version, &s.sha256))
            .or_insert_with(|| (s.plugin.clone(), s.version.clone(), s.sha256.clone()));
    }
    let components: Vec<Value> = plugins
        .iter()
        .map(|(key, (name, version, sha256))| {
            let record = run
                .plugins
                .iter()
                .find(|p| &p.name == name && &p.version == version && &p.sha256 == sha256);
            let mut c = Map::new();
            c.insert("uuid".into(), json!(uuid("component", key)));
            c.insert("type".into(), json!("software"));
            c.insert(
                "title".into(),
                json!(format!(
                    "{} {}",
                    labels::one_line(name),
                    labels::one_line(version)
                )),
            );
            c.insert(
                "description".into(),
                json!(match record {
                    Some(r) => format!(
                        "demarc provider plugin for {} (contract {}, {} checks).",
                        r.provider, r.contract, r.checks
                    ),
                    None => "Source of imported findings.".to_string(),
                }),
            );
            put(
                &mut c,
                "props",
                props(&[("plugin", name), ("version", version), ("sha256", sha256)]),
            );
            c.insert("status".into(), json!({ "state": "operational" }));
            Value::Object(c)
        })
        .collect();

    // Inventory: one item per resource of a tenant.
    let mut inventory: BTreeMap<String, Value> = BTreeMap::new();
    let inventory_key = |f: &Finding| {
        format!(
            "{}\0{}\0{}\0{}",
            f.tenant, f.provider, f.account, f.resource.id
        )
    };
    for f in &report.findings {
        let key = inventory_key(f);
        if inventory.contains_key(&key) {
            continue;
        }
        let mut item = Map::new();
        item.insert("uuid".into(), json!(uuid("inventory-item", &key)));
        item.insert(
            "description".into(),
            json!(format!("{} {}", f.resource.native_type, f.resource.id)),
        );
        let mut p = props(&[
            ("resource-id", &f.resource.id),
            ("resource-type", &f.resource.native_type),
            ("resource-name", f.resource.name.as_deref().unwrap_or("")),
            ("tenant", &f.tenant),
            ("provider", &f.provider),
            ("account", &f.account),
            ("region", &f.region),
        ]);
        for (k, v) in &f.resource.tags {
            p.extend(prop("tag", &format!("{k}={v}")));
        }
        put(&mut item, "props", p);
        inventory.insert(key, Value::Object(item));
    }

    // Observations and risks.
    let mut observations = Vec::with_capacity(report.findings.len());
    let mut risks = Vec::new();
    let mut by_control: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        for c in &f.controls {
            by_control
                .entry((f.tenant.as_str(), c.as_str()))
                .or_default()
                .push(f);
        }
        observations.push(observation(f, &start, &inventory_key(f)));
        if f.status == Status::Fail {
            risks.push(risk(f));
        }
    }

    // Findings: the control roll-up.
    let mut findings = Vec::with_capacity(report.controls.len());
    for row in &report.controls {
        findings.push(finding(row, catalog, &tenant_name, &by_control));
    }

    // Reviewed controls: every requirement of the roll-up, by framework.
    let mut selected: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for row in &report.controls {
        selected
            .entry(row.framework.as_str())
            .or_default()
            .insert(control_id(&row.framework, &row.requirement));
    }
    let mut selections: Vec<Value> = Vec::new();
    let order: Vec<&str> = catalog
        .frameworks()
        .iter()
        .map(|f| f.id.as_str())
        .chain(selected.keys().copied())
        .collect();
    let mut seen = BTreeSet::new();
    for fw in order {
        let Some(ids) = selected.get(fw) else {
            continue;
        };
        if !seen.insert(fw) {
            continue;
        }
        let include: Vec<Value> = ids.iter().map(|id| json!({ "control-id": id })).collect();
        selections.push(json!({
            "description": labels::framework(catalog, fw),
            "props": props(&[("framework", fw)]),
            "include-controls": include,
        }));
    }
    if selections.is_empty() {
        selections.push(json!({
            "description": "No framework requirement was in scope for this run.",
        }));
    }

    // Gaps: the assessment log.
    let log: Vec<Value> = report
        .gaps
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut e = Map::new();
            e.insert(
                "uuid".into(),
                json!(uuid(
                    "gap",
                    &format!("{i}\0{}\0{}\0{}", g.tenant, g.target, g.message)
                )),
            );
            e.insert(
                "title".into(),
                json!(format!("Coverage gap: {}", g.kind.as_str())),
            );
            e.insert("description".into(), json!(gap_text(g)));
            e.insert("start".into(), json!(start));
            put(
                &mut e,
                "props",
                props(&[
                    ("gap-kind", g.kind.as_str()),
                    ("tenant", &g.tenant),
                    ("target", &g.target),
                    ("plugin", g.plugin.as_deref().unwrap_or("")),
                    ("file", g.file.as_deref().unwrap_or("")),
                ]),
            );
            Value::Object(e)
        })
        .collect();

    let s = crate::view::summary(report, &stats);
    let mut result = Map::new();
    result.insert("uuid".into(), json!(uuid("result", &digest)));
    result.insert(
        "title".into(),
        json!(format!("demarc scan: {}", labels::one_line(&run.estate))),
    );
    result.insert(
        "description".into(),
        json!(format!(
            "{} across {}: {} fail, {} pass, {} manual, {} error, {} not applicable; {} of {}.",
            labels::count(s.findings.total, "finding"),
            labels::count(tenants.len() as u64, "tenant"),
            s.findings.fail,
            s.findings.pass,
            s.findings.manual,
            s.findings.error,
            s.findings.not_applicable,
            labels::count(report.gaps.len() as u64, "coverage gap"),
            labels::count(report.controls.len() as u64, "control roll-up row")
        )),
    );
    result.insert("start".into(), json!(start));
    result.insert("end".into(), json!(end));
    put(
        &mut result,
        "props",
        props(&[
            ("estate", &run.estate),
            ("tool", &run.tool),
            ("report-schema", &report.schema),
            ("shard", run.shard.as_deref().unwrap_or("")),
        ]),
    );
    let mut local = Map::new();
    put(&mut local, "components", components);
    put(
        &mut local,
        "inventory-items",
        inventory.into_values().collect(),
    );
    if !local.is_empty() {
        result.insert("local-definitions".into(), Value::Object(local));
    }
    result.insert(
        "reviewed-controls".into(),
        json!({ "control-selections": selections }),
    );
    if !log.is_empty() {
        result.insert("assessment-log".into(), json!({ "entries": log }));
    }
    put(&mut result, "observations", observations);
    put(&mut result, "risks", risks);
    put(&mut result, "findings", findings);
    result.insert(
        "remarks".into(),
        json!(if report.gaps.is_empty() {
            "Coverage complete: no gaps.".to_string()
        } else {
            format!(
                "Coverage incomplete: {}. The observations do not cover what they lost:\n{}",
                labels::count(report.gaps.len() as u64, "gap"),
                report
                    .gaps
                    .iter()
                    .map(|g| format!("- {}", gap_text(g)))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }),
    );

    // The plan in effect, referenced by import-ap and linked from the result.
    let plan = uuid("assessment-plan", &digest);
    result.insert(
        "links".into(),
        json!([{ "href": format!("#{plan}"), "rel": "reference", "text": "Assessment plan in effect" }]),
    );
    let mut rlinks = vec![json!({ "href": "report.json", "media-type": "application/json" })];
    for input in &run.inputs {
        let mut l = Map::new();
        l.insert(
            "href".into(),
            json!(crate::sarif::resource_uri(&input.path)),
        );
        if let Some(sha) = input.sha256.as_deref().and_then(string) {
            l.insert(
                "hashes".into(),
                json!([{ "algorithm": "SHA-256", "value": sha }]),
            );
        }
        rlinks.push(Value::Object(l));
    }
    let mut plan_props = Vec::new();
    for p in &run.plugins {
        plan_props.extend(prop(
            "plugin",
            &format!("{} {} sha256:{}", p.name, p.version, p.sha256),
        ));
    }
    let mut resource = Map::new();
    resource.insert("uuid".into(), json!(plan));
    resource.insert("title".into(), json!("Assessment plan in effect"));
    resource.insert(
        "description".into(),
        json!(format!(
            "demarc runs without an OSCAL assessment plan. The plan in effect was the demarc \
             configuration of the estate {}: the plugins listed here (pinned by SHA-256) \
             evaluated every input file linked here (with its SHA-256), from {} to {}.",
            labels::one_line(&run.estate),
            start,
            end
        )),
    );
    put(&mut resource, "props", plan_props);
    resource.insert("rlinks".into(), Value::Array(rlinks));

    let mut metadata = Map::new();
    metadata.insert(
        "title".into(),
        json!(format!(
            "demarc assessment results: {}",
            labels::one_line(&run.estate)
        )),
    );
    metadata.insert("last-modified".into(), json!(end));
    metadata.insert(
        "version".into(),
        json!(string(&run.tool).unwrap_or_else(|| "demarc".into())),
    );
    metadata.insert("oscal-version".into(), json!(OSCAL_VERSION));
    put(&mut metadata, "parties", parties);

    Ok(json!({
        "assessment-results": {
            "uuid": uuid("assessment-results", &digest),
            "metadata": Value::Object(metadata),
            "import-ap": {
                "href": format!("#{plan}"),
                "remarks": "demarc does not run from an OSCAL assessment plan; this reference resolves to \
                            the back-matter resource that records the plan in effect (plugins, inputs and \
                            their digests).",
            },
            "results": [Value::Object(result)],
            "back-matter": { "resources": [Value::Object(resource)] },
        }
    }))
}

fn gap_text(g: &demarc_core::Gap) -> String {
    let mut s = g.kind.as_str().to_string();
    if !g.tenant.is_empty() {
        s.push_str(&format!(" in {}/{}", g.tenant, g.target));
    }
    if let Some(p) = &g.plugin {
        s.push_str(&format!(" (plugin {p})"));
    }
    if let Some(file) = &g.file {
        s.push_str(&format!(", {file}"));
        if let Some(l) = g.line {
            s.push_str(&format!(" line {l}"));
            if let Some(c) = g.column {
                s.push_str(&format!(" column {c}"));
            }
        }
    }
    format!("{s}: {}", labels::one_line(&g.message))
}

fn observation(f: &Finding, start: &str, inventory_key: &str) -> Value {
    let r = &f.responsibility;
    let mut o = Map::new();
    o.insert("uuid".into(), json!(uuid("observation", &f.id)));
    o.insert("title".into(), json!(f.check.title));
    o.insert(
        "description".into(),
        json!(if f.message.trim().is_empty() {
            &f.check.title
        } else {
            &f.message
        }),
    );
    let sharing = r.sharing.map(|s| match s {
        demarc_core::Sharing::Independent => "independent",
        demarc_core::Sharing::Dependent => "dependent",
    });
    let mut p = props(&[
        ("finding-id", &f.id),
        ("check-id", &f.check.id),
        ("status", f.status.as_str()),
        ("severity", f.check.severity.as_str()),
        ("owner", r.owner.as_str()),
        ("party", r.party.as_deref().unwrap_or("")),
        ("sharing", sharing.unwrap_or("")),
        ("service-model", r.service_model.as_str()),
        ("layer", r.layer.as_str()),
        ("basis", &r.basis.entry),
        ("basis-source", &r.basis.source),
        ("tenant", &f.tenant),
        ("target", &f.target),
        ("provider", &f.provider),
        ("account", &f.account),
        ("region", &f.region),
    ]);
    for c in &f.controls {
        p.extend(prop("control", c));
    }
    put(&mut o, "props", p);
    o.insert("methods".into(), json!(["TEST"]));
    o.insert("types".into(), json!(["control-objective"]));
    o.insert(
        "origins".into(),
        json!([{ "actors": [{
            "type": "tool",
            "actor-uuid": uuid("component", &component_key(&f.source.plugin, &f.source.version, &f.source.sha256)),
        }]}]),
    );
    let mut subject = Map::new();
    subject.insert(
        "subject-uuid".into(),
        json!(uuid("inventory-item", inventory_key)),
    );
    subject.insert("type".into(), json!("inventory-item"));
    subject.insert(
        "title".into(),
        json!(
            f.resource
                .name
                .as_deref()
                .and_then(string)
                .unwrap_or_else(|| f.resource.id.clone())
        ),
    );
    o.insert("subjects".into(), json!([Value::Object(subject)]));
    let evidence: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| json!({ "description": format!("{} = {}", e.key, e.value) }))
        .collect();
    put(&mut o, "relevant-evidence", evidence);
    o.insert(
        "collected".into(),
        json!(
            f.observed_at
                .as_deref()
                .and_then(datetime)
                .unwrap_or_else(|| start.to_string())
        ),
    );
    if let Some(note) = &r.note {
        o.insert("remarks".into(), json!(note));
    }
    Value::Object(o)
}

fn risk(f: &Finding) -> Value {
    let r = &f.responsibility;
    let owner = crate::view::owner_label(f);
    let resource = f
        .resource
        .name
        .as_deref()
        .and_then(string)
        .unwrap_or_else(|| f.resource.id.clone());
    let mut statement = format!(
        "{} is not met for {} ({}). Severity {}. Owner: {} (basis {}).",
        f.check.title,
        resource,
        f.resource.native_type,
        f.check.severity.as_str(),
        owner,
        r.basis.entry
    );
    if let Some(note) = &r.note {
        statement.push(' ');
        statement.push_str(note);
    }
    let owner_props = props(&[
        ("owner", r.owner.as_str()),
        ("party", r.party.as_deref().unwrap_or("")),
    ]);
    let mut risk = Map::new();
    risk.insert("uuid".into(), json!(uuid("risk", &f.id)));
    risk.insert(
        "title".into(),
        json!(format!(
            "{}: {}",
            f.check.title,
            labels::one_line(&resource)
        )),
    );
    risk.insert("description".into(), json!(f.message));
    risk.insert("statement".into(), json!(statement));
    let mut p = props(&[
        ("finding-id", &f.id),
        ("severity", f.check.severity.as_str()),
        ("tenant", &f.tenant),
    ]);
    p.extend(owner_props.iter().cloned());
    put(&mut risk, "props", p);
    risk.insert("status".into(), json!("open"));
    risk.insert(
        "origins".into(),
        json!([{ "actors": [{
            "type": "tool",
            "actor-uuid": uuid("component", &component_key(&f.source.plugin, &f.source.version, &f.source.sha256)),
        }]}]),
    );
    if !f.remediation.trim().is_empty() {
        let mut response = Map::new();
        response.insert("uuid".into(), json!(uuid("remediation", &f.id)));
        response.insert("lifecycle".into(), json!("recommendation"));
        response.insert("title".into(), json!(format!("Remediate {}", f.check.id)));
        response.insert("description".into(), json!(f.remediation));
        put(&mut response, "props", owner_props);
        risk.insert("remediations".into(), json!([Value::Object(response)]));
    }
    risk.insert(
        "related-observations".into(),
        json!([{ "observation-uuid": uuid("observation", &f.id) }]),
    );
    Value::Object(risk)
}

fn finding(
    row: &ControlRow,
    catalog: &Catalog,
    tenant_name: &BTreeMap<&str, &str>,
    by_control: &BTreeMap<(&str, &str), Vec<&Finding>>,
) -> Value {
    let (state, reason) = match row.status {
        RollupStatus::Satisfied | RollupStatus::Attested | RollupStatus::Inherited => {
            ("satisfied", "pass")
        }
        RollupStatus::Failing | RollupStatus::Overdue => ("not-satisfied", "fail"),
        RollupStatus::Partial | RollupStatus::NotAssessed => ("not-satisfied", "other"),
    };
    let tenant = tenant_name
        .get(row.tenant.as_str())
        .copied()
        .unwrap_or(&row.tenant);
    let mut related: Vec<&Finding> = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &row.controls {
        for f in by_control
            .get(&(row.tenant.as_str(), c.as_str()))
            .into_iter()
            .flatten()
        {
            if seen.insert(&f.id) {
                related.push(f);
            }
        }
    }
    let mut description = row.evidence.join("\n");
    if let Some(gap) = &row.gap {
        description.push_str(&format!("\nGap: {gap}"));
    }
    if description.trim().is_empty() {
        description = format!("{} for {}.", labels::rollup(row.status), tenant);
    }
    let mut p = props(&[
        ("tenant", &row.tenant),
        ("framework", &row.framework),
        ("requirement", &row.requirement),
        ("rollup-status", row.status.as_str()),
        ("owner", row.owner.as_str()),
    ]);
    for party in &row.parties {
        p.extend(prop("party", party));
    }
    for c in &row.controls {
        p.extend(prop("control", c));
    }
    let mut target = Map::new();
    target.insert("type".into(), json!("objective-id"));
    target.insert(
        "target-id".into(),
        json!(target_id(&row.framework, &row.requirement)),
    );
    let mut status = Map::new();
    status.insert("state".into(), json!(state));
    status.insert("reason".into(), json!(reason));
    status.insert(
        "remarks".into(),
        json!(format!(
            "demarc roll-up status: {}.",
            labels::rollup(row.status)
        )),
    );
    target.insert("status".into(), Value::Object(status));

    let mut f = Map::new();
    f.insert(
        "uuid".into(),
        json!(uuid(
            "finding",
            &format!("{}\0{}\0{}", row.tenant, row.framework, row.requirement)
        )),
    );
    f.insert(
        "title".into(),
        json!(format!(
            "{} {} — {}",
            labels::framework(catalog, &row.framework),
            row.requirement,
            labels::one_line(tenant)
        )),
    );
    f.insert("description".into(), json!(description));
    put(&mut f, "props", p);
    f.insert("target".into(), Value::Object(target));
    put(
        &mut f,
        "related-observations",
        related
            .iter()
            .map(|x| json!({ "observation-uuid": uuid("observation", &x.id) }))
            .collect(),
    );
    put(
        &mut f,
        "related-risks",
        related
            .iter()
            .filter(|x| x.status == Status::Fail)
            .map(|x| json!({ "risk-uuid": uuid("risk", &x.id) }))
            .collect(),
    );
    if let Some(gap) = &row.gap {
        f.insert("remarks".into(), json!(gap));
    }
    Value::Object(f)
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

    fn validator() -> jsonschema::Validator {
        let schema = fixture::shared_json("oscal/oscal_assessment-results_schema-1.0.6.json");
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the OSCAL schema compiles")
    }

    fn errors(v: &Value) -> Vec<String> {
        validator()
            .iter_errors(v)
            .take(20)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    }

    #[test]
    fn validates_against_the_oscal_1_0_6_schema() {
        for r in [fixture::report(), fixture::empty_report()] {
            let errs = errors(&rendered(&r));
            assert!(errs.is_empty(), "{}", errs.join("\n"));
        }
        if let Some(sample) = fixture::sample_report() {
            let errs = errors(&rendered(&sample));
            assert!(errs.is_empty(), "sample: {}", errs.join("\n"));
        }
    }

    #[test]
    fn the_schema_is_enforced_including_its_patterns() {
        // The schema's regular expressions (UUID, token with \p{L}, date-time, string) compile
        // and bite: a broken document is rejected for the reason we broke it.
        let mut v = rendered(&fixture::report());
        let ar = &mut v["assessment-results"];
        ar["uuid"] = json!("not-a-uuid");
        ar["metadata"]["last-modified"] = json!("2026-13-45T00:00:00Z");
        ar["results"][0]["findings"][0]["target"]["target-id"] = json!("3.5.1");
        ar["results"][0]["observations"][0]["props"][0]["value"] = json!(" padded ");
        let errs = errors(&v).join("\n");
        for want in [
            "/assessment-results/uuid",
            "/metadata/last-modified",
            "/target/target-id",
            "/props/0/value",
        ] {
            assert!(errs.contains(want), "no error at {want}:\n{errs}");
        }
    }

    #[test]
    fn uuids_are_deterministic_version_5_style_and_distinct() {
        let a = uuid("observation", "3cf682bfaf39e16367722f3349eec06b");
        assert_eq!(a, uuid("observation", "3cf682bfaf39e16367722f3349eec06b"));
        assert_ne!(a, uuid("risk", "3cf682bfaf39e16367722f3349eec06b"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        // Every uuid in the document is unique, and every reference resolves.
        let v = rendered(&fixture::report());
        let text = v.to_string();
        let mut defined = BTreeSet::new();
        fn walk(v: &Value, defined: &mut BTreeSet<String>, refs: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    for (k, x) in o {
                        match (k.as_str(), x) {
                            ("uuid", Value::String(s)) => {
                                assert!(defined.insert(s.clone()), "duplicate uuid {s}")
                            }
                            (
                                "observation-uuid" | "risk-uuid" | "subject-uuid" | "actor-uuid",
                                Value::String(s),
                            ) => refs.push(s.clone()),
                            _ => walk(x, defined, refs),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, defined, refs)),
                _ => {}
            }
        }
        let mut refs = Vec::new();
        walk(&v, &mut defined, &mut refs);
        for r in refs {
            assert!(defined.contains(&r), "dangling reference {r}");
        }
        let href = v["assessment-results"]["import-ap"]["href"]
            .as_str()
            .unwrap();
        assert_eq!(
            href,
            format!(
                "#{}",
                v["assessment-results"]["back-matter"]["resources"][0]["uuid"]
                    .as_str()
                    .unwrap()
            )
        );
        assert!(!text.contains("placeholder"));
    }

    #[test]
    fn findings_follow_the_control_roll_up() {
        let r = fixture::report();
        let v = rendered(&r);
        let result = &v["assessment-results"]["results"][0];
        assert_eq!(
            result["observations"].as_array().unwrap().len(),
            r.findings.len()
        );
        let failing = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count();
        assert_eq!(result["risks"].as_array().unwrap().len(), failing);
        let findings = result["findings"].as_array().unwrap();
        assert_eq!(findings.len(), r.controls.len());
        let target = |i: usize| &findings[i]["target"];
        // NIST AC-3 for northwind: failing, tied to the S3 and RDS observations and risks.
        assert_eq!(target(0)["target-id"], "ac-3_obj");
        assert_eq!(target(0)["status"]["state"], "not-satisfied");
        assert_eq!(findings[0]["related-risks"].as_array().unwrap().len(), 2);
        assert_eq!(target(1)["target-id"], "ac-6.1_obj");
        // Inherited and attested requirements are satisfied.
        let by_req = |req: &str| {
            findings
                .iter()
                .find(|f| {
                    f["props"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["name"] == "requirement" && p["value"] == req)
                })
                .unwrap()
        };
        assert_eq!(by_req("PE-3")["target"]["status"]["state"], "satisfied");
        assert_eq!(by_req("12.6.1")["target"]["status"]["state"], "satisfied");
        assert_eq!(
            by_req("12.6.1")["target"]["target-id"],
            "pci-dss-4.0_12.6.1"
        );
        assert_eq!(
            by_req("164.312(a)(2)(iv)")["target"]["target-id"],
            "hipaa-security_164.312.a.2.iv"
        );
        let na = by_req("10.7.2");
        assert_eq!(na["target"]["status"]["state"], "not-satisfied");
        assert_eq!(na["target"]["status"]["reason"], "other");
        assert!(na["remarks"].as_str().unwrap().contains("no evidence"));
        // Evidence is carried on the observation.
        let obs = &result["observations"][0];
        assert_eq!(
            obs["relevant-evidence"][0]["description"],
            "patchState.missingCritical = 14"
        );
        assert_eq!(obs["collected"], "2026-10-29T05:48:11.364Z");
        // Gaps are logged.
        assert_eq!(
            result["assessment-log"]["entries"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn tokens_and_strings_are_normalized() {
        assert_eq!(token("3.5.1"), "_3.5.1");
        assert_eq!(token("AC-2(3)"), "AC-2.3");
        assert_eq!(control_id("nist-800-53-r5", "SC-28(1)"), "sc-28.1");
        assert_eq!(target_id("nist-800-53-r5", "SC-28(1)"), "sc-28.1_obj");
        assert_eq!(target_id("csa-ccm-4", "CEK-03"), "csa-ccm-4_CEK-03");
        assert_eq!(string("  a\n b "), Some("a b".into()));
        assert_eq!(string(" \u{feff} "), None);
        assert_eq!(datetime("1850-01-01T00:00:00Z"), None);
    }
}
