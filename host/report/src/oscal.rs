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
//! - `risks`: one per failing finding, status `open` (`deviation-approved` while a suppression
//!   is in force, with the suppression's id, justification, approver and expiry as props), with
//!   the remediation as a `recommendation` response and the owner as props.
//! - `findings`: one per row of the control roll-up (tenant × framework requirement), target
//!   type `objective-id`, state `satisfied` for satisfied, attested and inherited requirements
//!   and `not-satisfied` otherwise (reason `pass`, `fail` or `other`; the demarc status is a
//!   prop and the evidence and gap are in the description and remarks), related to the
//!   observations and risks of the tenant's findings on the requirement's controls. For NIST SP
//!   800-53 the target is the control's assessment objective in the NIST OSCAL catalog
//!   (`AC-2(3)` → `ac-2.3_obj`); other frameworks have no OSCAL catalog ids, so the target is
//!   demarc's crosswalk id `<framework>_<requirement>` made a token (`pci-dss-4.0_3.5.1`).
//! - Gaps: `assessment-log` entries and the result's remarks.
//! - Other tools' findings whose check maps to no catalog control (`report.json`'s `unmapped`)
//!   assess no control objective, so they are not observations here: the result's remarks
//!   count them and name where they are (`report.json`, CSV, SARIF, OCSF, HTML, Markdown).
//!
//! UUIDs are deterministic: version-5-style (name-based; SHA-256 of a kind and a key such as the
//! finding id, truncated to 128 bits, with the version nibble 5 and the RFC 4122 variant), and
//! the document's own uuid derives from a digest of the whole report. Text that the schema
//! constrains (non-empty single-line strings, tokens, date-times with a year 1900-2999) is
//! normalized, never dropped silently: an unusable value falls back as documented on each
//! helper. Props that are demarc's own use the namespace [`NS`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use demarc_core::rollup::{ControlRow, RollupStatus};
use demarc_core::{Catalog, Finding, Report, Status};

use crate::spill::{Groups, Sorter};
use crate::{labels, timestamp};

/// The OSCAL version the document declares.
pub const OSCAL_VERSION: &str = "1.0.6";
/// Namespace of demarc's own props.
pub const NS: &str = "https://github.com/demarc-dev/demarc/ns/oscal";

/// A deterministic, version-5-style UUID for `key` of `kind`.
pub fn uuid(kind: &str, key: &str) -> String {
    uuid_text(uuid_bytes(kind, key))
}

fn uuid_bytes(kind: &str, key: &str) -> u128 {
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
    u128::from_be_bytes(b)
}

fn uuid_text(u: u128) -> String {
    let hex = format!("{u:032x}");
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

/// Write the document of a whole report (through [`Sink`], with its groups in memory).
#[cfg(test)]
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> serde_json::Result<()> {
    let stats = crate::view::Stats::of(report);
    let mut sink = Sink::new(report, catalog, out, &crate::Spill::Memory)?;
    for f in &report.findings {
        sink.finding(f)?;
    }
    sink.finish(&stats)
}

/// Bytes buffered by each sorter before it sets a sorted run aside.
const SORT_BUDGET: usize = 16 << 20;

/// The start of the strings that stand for arrays streamed from temporary files while the
/// document is written: it holds the report digest, which no text of the report can contain.
fn lazy_marker(digest: &str) -> String {
    format!("\u{0}demarc-oscal-lazy-{digest}:")
}

/// Streams the document: each finding is hashed into the report digest (the compact
/// serialization of the whole report, as the uuids of the document and result derive from it)
/// and reduced to small per-key aggregates (third parties, plugins, counts); its observation
/// and risk go to temporary files (groups, see [`crate::Spill`]), its resource's inventory item
/// and its (tenant, control) memberships to bounded external sorters. [`Sink::finish`] writes
/// the document, copying the observations and risks, the sorted and deduplicated inventory and,
/// per roll-up row, the related observations and risks from an index of the sorted
/// memberships. Temporary files are removed when the sink is dropped, finished or not.
pub struct Sink<'a, W: Write> {
    frame: &'a Report,
    catalog: &'a Catalog,
    out: W,
    hash: Sha256,
    seq: u64,
    fails: u64,
    start: String,
    parties: BTreeSet<String>,
    plugins: BTreeMap<String, (String, String, String)>,
    groups: Groups,
    inventory: Sorter,
    last_resource: Option<String>,
    related: Sorter,
    spill: crate::Spill,
}

const OBSERVATIONS: usize = 0;
const RISKS: usize = 1;

struct Hashing<'h>(&'h mut Sha256);

impl Write for Hashing<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn io(e: std::io::Error) -> serde_json::Error {
    serde_json::Error::io(e)
}

impl<'a, W: Write> Sink<'a, W> {
    /// Start the document of `frame` (whose findings are ignored).
    pub fn new(
        frame: &'a Report,
        catalog: &'a Catalog,
        out: W,
        spill: &crate::Spill,
    ) -> serde_json::Result<Self> {
        let mut hash = Sha256::new();
        {
            let mut h = Hashing(&mut hash);
            h.write_all(b"{\"schema\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.schema)?;
            h.write_all(b",\"tenants\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.tenants)?;
            h.write_all(b",\"findings\":[").map_err(io)?;
        }
        let mut groups = Groups::new(spill, "oscal");
        groups.create().map_err(io)?;
        groups.create().map_err(io)?;
        let start = datetime(&frame.run.started).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        Ok(Sink {
            frame,
            catalog,
            out,
            hash,
            seq: 0,
            fails: 0,
            start,
            parties: BTreeSet::new(),
            plugins: BTreeMap::new(),
            groups,
            inventory: Sorter::new(spill, "oscal-inventory", SORT_BUDGET),
            last_resource: None,
            related: Sorter::new(spill, "oscal-related", SORT_BUDGET),
            spill: spill.clone(),
        })
    }

    /// Set sorted runs aside every `budget` bytes (tests force the external merge with it).
    #[cfg(test)]
    fn with_sort_budget(mut self, budget: usize) -> Self {
        self.inventory = Sorter::new(&self.spill, "oscal-inventory", budget);
        self.related = Sorter::new(&self.spill, "oscal-related", budget);
        self
    }

    /// Take the next finding.
    pub fn finding(&mut self, f: &Finding) -> serde_json::Result<()> {
        {
            let mut h = Hashing(&mut self.hash);
            if self.seq > 0 {
                h.write_all(b",").map_err(io)?;
            }
            serde_json::to_writer(&mut h, f)?;
        }
        let seq = self.seq;
        self.seq += 1;
        for p in [&f.responsibility.party, &f.must_act.name]
            .into_iter()
            .flatten()
        {
            if !self.parties.contains(p) {
                self.parties.insert(p.clone());
            }
        }
        let s = &f.source;
        let ck = component_key(&s.plugin, &s.version, &s.sha256);
        self.plugins
            .entry(ck)
            .or_insert_with(|| (s.plugin.clone(), s.version.clone(), s.sha256.clone()));
        let key = inventory_key(f);
        if self.last_resource.as_deref() != Some(key.as_str()) {
            let item = serde_json::to_string(&inventory_item(f, &key))?;
            self.inventory.push(key.clone(), seq, item).map_err(io)?;
            self.last_resource = Some(key.clone());
        }
        let w = self.groups.writer(OBSERVATIONS);
        serde_json::to_writer(&mut *w, &observation(f, &self.start, &key))?;
        w.write_all(b"\n").map_err(io)?;
        let obs = uuid_bytes("observation", &f.id);
        let mut payload = format!("{obs:032x}");
        if f.status == Status::Fail {
            self.fails += 1;
            let w = self.groups.writer(RISKS);
            serde_json::to_writer(&mut *w, &risk(f))?;
            w.write_all(b"\n").map_err(io)?;
            payload.push_str(&format!(" {:032x}", uuid_bytes("risk", &f.id)));
        }
        for c in &f.controls {
            self.related
                .push(format!("{}\0{c}", f.tenant), seq, payload.clone())
                .map_err(io)?;
        }
        // A benchmark requirement's row relates the findings of the checks that test it.
        self.related
            .push(
                format!("{}\0check:{}", f.tenant, f.check.id),
                seq,
                payload.clone(),
            )
            .map_err(io)?;
        Ok(())
    }

    /// Write the document; `stats` are those of every finding taken.
    pub fn finish(mut self, stats: &crate::view::Stats) -> serde_json::Result<()> {
        let frame = self.frame;
        {
            let mut h = Hashing(&mut self.hash);
            h.write_all(b"],\"run\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.run)?;
            h.write_all(b",\"gaps\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.gaps)?;
            if !frame.unmapped.is_empty() {
                h.write_all(b",\"unmapped\":").map_err(io)?;
                serde_json::to_writer(&mut h, &frame.unmapped)?;
            }
            h.write_all(b",\"controls\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.controls)?;
            h.write_all(b",\"summary\":").map_err(io)?;
            serde_json::to_writer(&mut h, &frame.summary)?;
            h.write_all(b"}").map_err(io)?;
        }
        let digest: String = std::mem::take(&mut self.hash)
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();

        // The memberships sorted by (tenant, control), indexed by their offsets.
        let mut sorted = Groups::new(&self.spill, "oscal-related-sorted");
        sorted.create().map_err(io)?;
        let mut index: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
        {
            let related =
                std::mem::replace(&mut self.related, Sorter::new(&crate::Spill::Memory, "", 0));
            let mut merge = related.merge().map_err(io)?;
            let w = sorted.writer(0);
            let mut offset = 0u64;
            while let Some((key, _, payload)) = merge.next_record().map_err(io)? {
                let span = index.entry(key).or_insert(Span {
                    offset,
                    count: 0,
                    fails: 0,
                });
                span.count += 1;
                if payload.len() > 32 {
                    span.fails += 1;
                }
                w.write_all(payload.as_bytes()).map_err(io)?;
                w.write_all(b"\n").map_err(io)?;
                offset += payload.len() as u64 + 1;
            }
        }
        let inventory = std::mem::replace(
            &mut self.inventory,
            Sorter::new(&crate::Spill::Memory, "", 0),
        );
        let mut lazy = Lazy {
            groups: std::mem::replace(&mut self.groups, Groups::new(&crate::Spill::Memory, "")),
            inventory: Some(inventory),
            sorted,
            index,
            rows: &frame.controls,
            seen: std::collections::HashSet::new(),
        };
        let marker = lazy_marker(&digest);
        let agg = Aggregates {
            marker: marker.clone(),
            digest,
            findings: self.seq,
            fails: self.fails,
            parties: &self.parties,
            plugins: &self.plugins,
        };
        let doc = document(frame, self.catalog, &agg, stats, &mut lazy)?;
        let lazy = std::cell::RefCell::new(lazy);
        serde_json::to_writer_pretty(
            &mut self.out,
            &Doc {
                v: &doc,
                lazy: &lazy,
                marker: &marker,
            },
        )?;
        self.out.write_all(b"\n").map_err(io)?;
        self.out.flush().map_err(io)
    }
}

/// Where the findings of one (tenant, control) are in the sorted memberships.
struct Span {
    offset: u64,
    count: u64,
    fails: u64,
}

/// What the document needs about every finding, gathered while they stream.
struct Aggregates<'x> {
    marker: String,
    digest: String,
    findings: u64,
    fails: u64,
    parties: &'x BTreeSet<String>,
    plugins: &'x BTreeMap<String, (String, String, String)>,
}

/// The arrays written from temporary files.
struct Lazy<'x> {
    groups: Groups,
    inventory: Option<Sorter>,
    sorted: Groups,
    index: std::collections::HashMap<String, Span>,
    rows: &'x [ControlRow],
    seen: std::collections::HashSet<u128>,
}

fn parse_membership(line: &str) -> std::io::Result<(u128, Option<u128>)> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt membership");
    let mut parts = line.split(' ');
    let obs = u128::from_str_radix(parts.next().ok_or_else(bad)?, 16).map_err(|_| bad())?;
    let risk = match parts.next() {
        Some(r) => Some(u128::from_str_radix(r, 16).map_err(|_| bad())?),
        None => None,
    };
    Ok((obs, risk))
}

/// The index keys of the findings related to a roll-up row: those of the checks that test a
/// benchmark requirement, or else those on the requirement's controls.
fn related_keys(row: &ControlRow) -> Vec<String> {
    if row.checks.is_empty() {
        row.controls
            .iter()
            .map(|c| format!("{}\0{c}", row.tenant))
            .collect()
    } else {
        row.checks
            .iter()
            .map(|c| format!("{}\0check:{c}", row.tenant))
            .collect()
    }
}

impl Lazy<'_> {
    /// Call `each` with the related findings of roll-up row `row` (observation and risk uuid),
    /// deduplicated and in order, until it returns `false`.
    fn related(
        &mut self,
        row: usize,
        mut each: impl FnMut(u128, Option<u128>) -> std::io::Result<bool>,
    ) -> std::io::Result<()> {
        self.seen.clear();
        for key in related_keys(&self.rows[row]) {
            let Some(span) = self.index.get(&key) else {
                continue;
            };
            let mut r = self.sorted.read_at(0, span.offset)?;
            let mut line = String::new();
            for _ in 0..span.count {
                line.clear();
                r.read_line(&mut line)?;
                let (obs, risk) = parse_membership(line.trim_end_matches('\n'))?;
                if self.seen.insert(obs) && !each(obs, risk)? {
                    self.seen.clear();
                    return Ok(());
                }
            }
        }
        self.seen.clear();
        self.seen.shrink_to(1 << 10);
        Ok(())
    }

    fn has_observations(&self, row: usize) -> bool {
        related_keys(&self.rows[row])
            .iter()
            .any(|k| self.index.contains_key(k))
    }

    fn has_risks(&mut self, row: usize) -> std::io::Result<bool> {
        if !related_keys(&self.rows[row])
            .iter()
            .any(|k| self.index.get(k).is_some_and(|s| s.fails > 0))
        {
            return Ok(false);
        }
        let mut found = false;
        self.related(row, |_, risk| {
            found = risk.is_some();
            Ok(!found)
        })?;
        Ok(found)
    }

    fn write<S: serde::Serializer>(&mut self, what: &str, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let err = |e: std::io::Error| S::Error::custom(e);
        let mut seq = s.serialize_seq(None)?;
        let lines = |groups: &mut Groups, i: usize, seq: &mut S::SerializeSeq| {
            let mut r = groups.take_reader(i).map_err(err)?;
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).map_err(err)? == 0 {
                    return Ok::<(), S::Error>(());
                }
                let v: Value = serde_json::from_str(&line).map_err(S::Error::custom)?;
                seq.serialize_element(&v)?;
            }
        };
        match what {
            "observations" => lines(&mut self.groups, OBSERVATIONS, &mut seq)?,
            "risks" => lines(&mut self.groups, RISKS, &mut seq)?,
            "inventory" => {
                let sorter = self
                    .inventory
                    .take()
                    .expect("the inventory is written once");
                let mut merge = sorter.merge().map_err(err)?;
                let mut last: Option<String> = None;
                while let Some((key, _, item)) = merge.next_record().map_err(err)? {
                    if last.as_deref() == Some(key.as_str()) {
                        continue;
                    }
                    let v: Value = serde_json::from_str(&item).map_err(S::Error::custom)?;
                    seq.serialize_element(&v)?;
                    last = Some(key);
                }
            }
            other => {
                let (kind, row) = other.split_once(':').expect("a lazy row array");
                let row: usize = row.parse().expect("a row index");
                let mut failed = None;
                self.related(row, |obs, risk| {
                    let v = match (kind, risk) {
                        ("observations", _) => json!({ "observation-uuid": uuid_text(obs) }),
                        (_, Some(risk)) => json!({ "risk-uuid": uuid_text(risk) }),
                        _ => return Ok(true),
                    };
                    match seq.serialize_element(&v) {
                        Ok(()) => Ok(true),
                        Err(e) => {
                            failed = Some(e);
                            Ok(false)
                        }
                    }
                })
                .map_err(err)?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
        }
        seq.end()
    }
}

/// A document whose lazy strings (see [`lazy_marker`]) are written from [`Lazy`].
struct Doc<'x, 'l> {
    v: &'x Value,
    lazy: &'x std::cell::RefCell<Lazy<'l>>,
    marker: &'x str,
}

impl serde::Serialize for Doc<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.v {
            Value::String(t) if t.starts_with(self.marker) => {
                self.lazy.borrow_mut().write(&t[self.marker.len()..], s)
            }
            Value::Array(a) => {
                let mut q = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    q.serialize_element(&Doc {
                        v,
                        lazy: self.lazy,
                        marker: self.marker,
                    })?;
                }
                q.end()
            }
            Value::Object(m) => {
                let mut q = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    q.serialize_entry(
                        k,
                        &Doc {
                            v,
                            lazy: self.lazy,
                            marker: self.marker,
                        },
                    )?;
                }
                q.end()
            }
            other => other.serialize(s),
        }
    }
}

fn lazy(agg: &Aggregates<'_>, what: &str) -> Value {
    Value::String(format!("{}{what}", agg.marker))
}

fn inventory_key(f: &Finding) -> String {
    format!(
        "{}\0{}\0{}\0{}",
        f.tenant, f.provider, f.account, f.resource.id
    )
}

fn inventory_item(f: &Finding, key: &str) -> Value {
    let mut item = Map::new();
    item.insert("uuid".into(), json!(uuid("inventory-item", key)));
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
    Value::Object(item)
}

fn component_key(plugin: &str, version: &str, sha256: &str) -> String {
    format!("{plugin}\0{version}\0{sha256}")
}

/// The document of the frame `report` with the aggregates of its findings; the arrays of
/// findings are lazy strings written from `lazy`.
fn document(
    report: &Report,
    catalog: &Catalog,
    agg: &Aggregates<'_>,
    stats: &crate::view::Stats,
    lazy_rows: &mut Lazy<'_>,
) -> serde_json::Result<Value> {
    let digest = &agg.digest;
    let run = &report.run;
    let start = datetime(&run.started).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let end = datetime(&run.finished).unwrap_or_else(|| start.clone());
    let tenants = crate::view::tenants(report, stats);
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
    third.extend(agg.parties.iter().map(String::as_str));
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
    for (key, value) in agg.plugins {
        plugins.entry(key.clone()).or_insert_with(|| value.clone());
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
                        r.provider,
                        r.contract,
                        r.checks.len()
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

    // Findings: the control roll-up.
    let mut findings = Vec::with_capacity(report.controls.len());
    for (i, row) in report.controls.iter().enumerate() {
        let observations = lazy_rows
            .has_observations(i)
            .then(|| lazy(agg, &format!("observations:{i}")));
        let risks = lazy_rows
            .has_risks(i)
            .map_err(serde_json::Error::io)?
            .then(|| lazy(agg, &format!("risks:{i}")));
        findings.push(finding(row, catalog, &tenant_name, observations, risks));
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

    let s = crate::view::summary(report, stats);
    let mut result = Map::new();
    result.insert("uuid".into(), json!(uuid("result", digest)));
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
    if agg.findings > 0 {
        local.insert("inventory-items".into(), lazy(agg, "inventory"));
    }
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
    if agg.findings > 0 {
        result.insert("observations".into(), lazy(agg, "observations"));
    }
    if agg.fails > 0 {
        result.insert("risks".into(), lazy(agg, "risks"));
    }
    put(&mut result, "findings", findings);
    let mut remarks = if report.gaps.is_empty() {
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
    };
    if !report.unmapped.is_empty() {
        let failing = report
            .unmapped
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count();
        remarks.push_str(&format!(
            "\nOther tools reported {} ({failing} failing) of checks that map to no control of \
             demarc's catalog: they assess no control objective and are not observations here; \
             report.json lists them under `unmapped`.",
            labels::count(report.unmapped.len() as u64, "finding")
        ));
    }
    result.insert("remarks".into(), json!(remarks));

    // The plan in effect, referenced by import-ap and linked from the result.
    let plan = uuid("assessment-plan", digest);
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
            "uuid": uuid("assessment-results", digest),
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
        ("must-act", f.must_act.party.as_str()),
        ("must-act-party", f.must_act.name.as_deref().unwrap_or("")),
        ("must-act-basis", f.must_act.basis.as_deref().unwrap_or("")),
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
    // A finding fused across tools: each tool's verdict, `tool check status`.
    for v in &f.verdicts {
        p.extend(prop(
            "verdict",
            &format!("{} {} {}", v.tool, v.check, v.status.as_str()),
        ));
    }
    if f.contradiction {
        p.extend(prop("contradiction", "true"));
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
    let must_act = crate::view::must_act_label(f);
    let resource = f
        .resource
        .name
        .as_deref()
        .and_then(string)
        .unwrap_or_else(|| f.resource.id.clone());
    let mut statement = format!(
        "{} is not met for {} ({}). Severity {}. Must act: {}. Control owner: {} (basis {}).",
        f.check.title,
        resource,
        f.resource.native_type,
        f.check.severity.as_str(),
        must_act,
        owner,
        r.basis.entry
    );
    if let Some(note) = &r.note {
        statement.push(' ');
        statement.push_str(note);
    }
    let owner_props = props(&[
        ("must-act", f.must_act.party.as_str()),
        ("must-act-party", f.must_act.name.as_deref().unwrap_or("")),
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
    // A suppression in force is an approved deviation: the risk stays, accepted by the named
    // approver until the expiry day. An expired one is an open risk again, its approver's.
    let status = match &f.suppression {
        Some(s) => {
            p.extend(props(&[
                ("suppression", &s.id),
                ("suppression-justification", &s.justification),
                ("suppression-approved-by", &s.approved_by),
                ("suppression-expires", &s.expires),
                (
                    "suppression-state",
                    if s.expired { "expired" } else { "in-force" },
                ),
            ]));
            if s.expired {
                "open"
            } else {
                "deviation-approved"
            }
        }
        None => "open",
    };
    put(&mut risk, "props", p);
    risk.insert("status".into(), json!(status));
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
    related_observations: Option<Value>,
    related_risks: Option<Value>,
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
    let mut description = row.evidence.join("\n");
    if !row.attestations.is_empty() {
        description.push_str(&format!(
            "\nProvider side: {}.",
            row.attestations.join(", ")
        ));
    }
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
    for c in &row.checks {
        p.extend(prop("check-id", c));
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
    if let Some(v) = related_observations {
        f.insert("related-observations".into(), v);
    }
    if let Some(v) = related_risks {
        f.insert("related-risks".into(), v);
    }
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

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn reports() -> Vec<Report> {
        let mut v = vec![fixture::report(), fixture::empty_report()];
        v.extend(fixture::sample_report());
        v
    }

    /// With the groups in files and sorted runs set aside after every few records (so the
    /// inventory and the related observations go through the external merge), the document is
    /// the one rendered in memory, byte for byte, and no temporary file is left.
    #[test]
    fn spilled_and_merged_output_is_byte_identical_and_leaves_no_file() {
        let catalog = fixture::catalog();
        for r in reports() {
            let mut want = Vec::new();
            render(&r, &catalog, &mut want).unwrap();
            let stats = crate::view::Stats::of(&r);
            for budget in [1, 700, 1 << 14] {
                let dir = tempfile::tempdir().unwrap();
                let spill = crate::Spill::Dir {
                    dir: dir.path().to_path_buf(),
                    prefix: ".t-".into(),
                };
                let mut got = Vec::new();
                let mut sink = Sink::new(&r, &catalog, &mut got, &spill)
                    .unwrap()
                    .with_sort_budget(budget);
                for f in &r.findings {
                    sink.finding(f).unwrap();
                }
                let spilled = names(dir.path());
                assert!(
                    spilled.iter().all(|n| n.starts_with(".t-oscal")),
                    "{spilled:?}"
                );
                if !r.findings.is_empty() && budget == 1 {
                    assert!(
                        spilled.iter().any(|n| n.starts_with(".t-oscal-related-")),
                        "{spilled:?}"
                    );
                }
                sink.finish(&stats).unwrap();
                assert!(got == want, "budget {budget}: output differs");
                assert_eq!(names(dir.path()), Vec::<String>::new(), "left behind");
            }
        }
    }

    /// A failing output (here after 100 KiB, while the spilled arrays are being copied) fails
    /// the render and removes every temporary file.
    #[test]
    fn a_write_error_removes_the_temporary_files() {
        struct Limited(usize);
        impl Write for Limited {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if self.0 < b.len() {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let catalog = fixture::catalog();
        let r = fixture::sample_report().unwrap();
        let stats = crate::view::Stats::of(&r);
        let dir = tempfile::tempdir().unwrap();
        let spill = crate::Spill::Dir {
            dir: dir.path().to_path_buf(),
            prefix: ".t-".into(),
        };
        let mut sink = Sink::new(&r, &catalog, Limited(100 << 10), &spill)
            .unwrap()
            .with_sort_budget(1);
        for f in &r.findings {
            sink.finding(f).unwrap();
        }
        assert!(!names(dir.path()).is_empty());
        let err = sink.finish(&stats).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(names(dir.path()), Vec::<String>::new(), "left behind");
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

    /// A suppression in force makes the finding's risk an approved deviation carrying the
    /// suppression; an expired one leaves the risk open, marked expired. Both validate.
    #[test]
    fn suppressed_findings_are_approved_deviations_until_they_expire() {
        let v = rendered(&fixture::suppressed_report());
        let risks = v["assessment-results"]["results"][0]["risks"]
            .as_array()
            .unwrap();
        let prop = |r: &Value, name: &str| {
            r["props"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["value"].clone())
        };
        let by = |id: &str| {
            risks
                .iter()
                .find(|r| prop(r, "suppression") == Some(json!(id)))
                .unwrap_or_else(|| panic!("no risk suppressed by {id}"))
        };
        let r = by("accepted-risk");
        assert_eq!(r["status"], "deviation-approved");
        assert_eq!(
            prop(r, "suppression-approved-by"),
            Some(json!("Dana Whitfield (CISO)"))
        );
        assert_eq!(prop(r, "suppression-expires"), Some(json!("2027-03-31")));
        assert_eq!(prop(r, "suppression-state"), Some(json!("in-force")));
        let r = by("lapsed-risk");
        assert_eq!(r["status"], "open");
        assert_eq!(prop(r, "suppression-state"), Some(json!("expired")));
        let open = risks.iter().filter(|r| r["status"] == "open").count();
        assert_eq!(open, risks.len() - 1);
        let errs = errors(&v);
        assert!(errs.is_empty(), "{}", errs.join("\n"));
    }

    #[test]
    fn validates_against_the_oscal_1_0_6_schema() {
        for r in [fixture::report(), fixture::empty_report()] {
            let errs = errors(&rendered(&r));
            assert!(errs.is_empty(), "{}", errs.join("\n"));
        }
        // Other tools' unmapped findings are no observations; the result's remarks count them.
        let r = fixture::unmapped_report();
        let v = rendered(&r);
        let errs = errors(&v);
        assert!(errs.is_empty(), "{}", errs.join("\n"));
        let result = &v["assessment-results"]["results"][0];
        assert_eq!(
            result["observations"].as_array().unwrap().len(),
            r.findings.len()
        );
        assert!(result["remarks"].as_str().unwrap().contains(
            "Other tools reported 3 findings (2 failing) of checks that map to no control"
        ));
        assert_ne!(
            v["assessment-results"]["uuid"],
            rendered(&fixture::report())["assessment-results"]["uuid"]
        );
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
        // A benchmark requirement relates only the findings of the check that tests it (AC-3,
        // on the same control, also relates the RDS finding).
        let cis = by_req("2.1.4");
        assert_eq!(cis["target"]["target-id"], "cis-aws-fixture-1.0_2.1.4");
        let s3_fails = r
            .findings
            .iter()
            .filter(|f| f.check.id == "aws-s3-public-access" && f.status == Status::Fail)
            .count();
        assert!(s3_fails > 0);
        assert_eq!(
            cis["related-risks"].as_array().unwrap().len(),
            s3_fails,
            "{cis:#}"
        );
        assert!(
            cis["props"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "check-id" && p["value"] == "aws-s3-public-access")
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
