//! `report.ocsf.json`: OCSF 1.8.0 events for SIEMs and security data lakes, a JSON array with
//! one Compliance Finding per finding, in report order.
//!
//! Classification is computed the way the schema defines it: `category_uid` 2 (Findings),
//! `class_uid` = category × 1000 + class 3 = 2003 (Compliance Finding), `activity_id` 1 (Create:
//! the scan created the finding), `type_uid` = class × 100 + activity = 200301; captions
//! (`category_name`, `class_name`, `activity_name`, `type_name`) accompany the ids.
//!
//! | demarc | OCSF |
//! |---|---|
//! | finding id, check title, message, catalog controls | `finding_info.uid`, `.title`, `.desc`, `.types` |
//! | check id and title | `finding_info.analytic` (type Rule), `compliance.checks[]` |
//! | severity info/low/medium/high/critical | `severity_id` 1/2/3/4/5 with `severity` caption |
//! | status pass / fail / manual | `compliance.status_id` 1 Pass / 3 Fail / 2 Warning ("no result due to missing information") |
//! | status error / not-applicable | `compliance.status_id` 99 Other, `compliance.status` "Error" / "Not Applicable" |
//! | (every finding) | `status_id` 1 New: the finding's workflow state is the consumer's to change |
//! | a suppression in force | `status_id` 3 Suppressed (the compliance status stays Fail), `status_detail` and `unmapped.suppression` |
//! | an expired suppression | `status_id` 1 New, `unmapped.suppression` with `expired` |
//! | status as demarc writes it | `compliance.status_code` |
//! | primary catalog control and its title | `compliance.control`, `compliance.desc` |
//! | framework crosswalk of the controls | `compliance.standards` (framework titles), `.requirements` (`<framework> <requirement>`) |
//! | evidence | `compliance.control_parameters` (`{name, value}`) |
//! | provider, account, region | `cloud.provider` (AWS, Azure, GCP or as given), `cloud.account.uid` (+ type), `cloud.region` |
//! | resource | `resources[0]`: `uid`, `type`, `name`, `region`, `tags` (`{name, value}`), `role_id` 1 Target |
//! | remediation | `remediation.desc` |
//! | run end (the finding's creation) | `time` (ms since the epoch, UTC) and `finding_info.created_time` |
//! | tenant | `metadata.tenant_uid` |
//! | responsibility, must_act, tenant, target, source plugin, observed_at, status | `unmapped` |
//!
//! Other tools' findings whose check maps to no catalog control (the report's `unmapped`)
//! follow, one Compliance Finding each, with no `compliance.control`, standards or requirements
//! and no attribution: `unmapped.unmapped` is true.
//!
//! `metadata` is `{version "1.8.0", product {name "demarc", vendor_name "demarc", version},
//! profiles ["cloud"]}`: the cloud profile is applied, which is what makes `cloud` required.
//! A run end that is not RFC 3339 gives `time` 0 rather than a guessed clock. The tests check
//! every emitted attribute, enum value and type against the OCSF sources in `shared/data`.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Map, Value, json};

use demarc_core::{Catalog, Finding, Report, ResourceRef, Severity, Status, UnmappedFinding};

use crate::timestamp;

/// OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.8.0";
/// Findings category.
pub const CATEGORY_UID: i64 = 2;
/// Compliance Finding's uid within the category.
pub const CLASS_IN_CATEGORY: i64 = 3;
/// `class_uid` of Compliance Finding.
pub const CLASS_UID: i64 = CATEGORY_UID * 1000 + CLASS_IN_CATEGORY;
/// Activity: Create.
pub const ACTIVITY_CREATE: i64 = 1;
/// `type_uid` of a Compliance Finding: Create.
pub const TYPE_UID: i64 = CLASS_UID * 100 + ACTIVITY_CREATE;

/// `severity_id` and its caption.
pub fn severity(s: Severity) -> (i64, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// `compliance.status_id` and `compliance.status`.
pub fn compliance_status(s: Status) -> (i64, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::Manual => (2, "Warning"),
        Status::Fail => (3, "Fail"),
        Status::Error => (99, "Error"),
        Status::NotApplicable => (99, "Not Applicable"),
    }
}

/// `cloud.provider` as OCSF's examples spell it.
fn provider(p: &str) -> String {
    match p {
        "aws" => "AWS".into(),
        "azure" => "Azure".into(),
        "gcp" => "GCP".into(),
        other => other.to_string(),
    }
}

/// `cloud.account.type_id` and `type` for the providers OCSF names.
fn account_type(p: &str) -> Option<(i64, &'static str)> {
    match p {
        "aws" => Some((10, "AWS Account")),
        "gcp" => Some((11, "GCP Project")),
        "azure" => Some((13, "Azure Subscription")),
        _ => None,
    }
}

/// Write the JSON array of events.
#[cfg(test)]
pub fn render(report: &Report, catalog: &Catalog, out: &mut dyn Write) -> serde_json::Result<()> {
    let mut sink = Sink::new(report, out)?;
    for f in &report.findings {
        sink.finding(f, catalog)?;
    }
    sink.finish(&report.unmapped)
}

/// The event array, written one finding at a time.
pub struct Sink<W: Write> {
    out: W,
    citations: demarc_core::report::Citations,
    time: i64,
    version: String,
    first: bool,
}

impl<W: Write> Sink<W> {
    /// Start the array of `report`'s events (its findings are passed to [`Sink::finding`]).
    pub fn new(report: &Report, mut out: W) -> serde_json::Result<Self> {
        let time = timestamp::parse(&report.run.finished)
            .map(timestamp::millis)
            .unwrap_or(0);
        let version = report
            .run
            .tool
            .strip_prefix("demarc ")
            .unwrap_or(&report.run.tool)
            .to_string();
        out.write_all(b"[").map_err(serde_json::Error::io)?;
        Ok(Sink {
            out,
            citations: demarc_core::report::Citations::new(&report.run),
            time,
            version,
            first: true,
        })
    }

    /// Write the event of one finding.
    pub fn finding(&mut self, f: &Finding, catalog: &Catalog) -> serde_json::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })
            .map_err(serde_json::Error::io)?;
        self.first = false;
        let cited = self.citations.of(f);
        serde_json::to_writer(
            &mut self.out,
            &event(f, catalog, cited, self.time, &self.version),
        )
    }

    /// Write the events of other tools' findings that map to no control, then close the array.
    pub fn finish(mut self, unmapped: &[UnmappedFinding]) -> serde_json::Result<()> {
        for f in unmapped {
            self.out
                .write_all(if self.first { b"\n" } else { b",\n" })
                .map_err(serde_json::Error::io)?;
            self.first = false;
            serde_json::to_writer(&mut self.out, &unmapped_event(f, self.time, &self.version))?;
        }
        self.out
            .write_all(if self.first { b"]\n" } else { b"\n]\n" })
            .and_then(|()| self.out.flush())
            .map_err(serde_json::Error::io)
    }
}

/// The `cloud.account` object.
fn account(provider: &str, uid: &str) -> Map<String, Value> {
    let mut account = Map::new();
    account.insert("uid".into(), json!(uid));
    if let Some((id, caption)) = account_type(provider) {
        account.insert("type_id".into(), json!(id));
        account.insert("type".into(), json!(caption));
    }
    account
}

/// The `resources[0]` object: the target of the finding.
fn resource(r: &ResourceRef, region: &str) -> Map<String, Value> {
    let mut resource = Map::new();
    resource.insert("uid".into(), json!(r.id));
    resource.insert("type".into(), json!(r.native_type));
    if let Some(name) = &r.name {
        resource.insert("name".into(), json!(name));
    }
    resource.insert("region".into(), json!(region));
    if !r.tags.is_empty() {
        let tags: Vec<Value> = r
            .tags
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect();
        resource.insert("tags".into(), Value::Array(tags));
    }
    resource.insert("role_id".into(), json!(1));
    resource.insert("role".into(), json!("Target"));
    resource
}

/// The result half of a `compliance` object: the status (as OCSF and as demarc writes it), the
/// check with its severity, and the evidence as `control_parameters`.
fn compliance_result(
    compliance: &mut Map<String, Value>,
    check: &demarc_core::CheckRef,
    status: Status,
    evidence: &[demarc_core::Evidence],
) {
    let (severity_id, severity_caption) = severity(check.severity);
    let (cstatus_id, cstatus) = compliance_status(status);
    compliance.insert("status_id".into(), json!(cstatus_id));
    compliance.insert("status".into(), json!(cstatus));
    compliance.insert("status_code".into(), json!(status.as_str()));
    compliance.insert(
        "checks".into(),
        json!([{
            "uid": check.id,
            "name": check.title,
            "severity_id": severity_id,
            "severity": severity_caption,
            "status_id": cstatus_id,
            "status": cstatus,
        }]),
    );
    if !evidence.is_empty() {
        let params: Vec<Value> = evidence
            .iter()
            .map(|e| json!({ "name": e.key, "value": e.value }))
            .collect();
        compliance.insert("control_parameters".into(), Value::Array(params));
    }
}

/// The Compliance Finding of another tool's finding whose check maps to no catalog control: as
/// a finding's, with no control, standards or requirements, and `unmapped.unmapped` true in
/// place of an attribution.
pub fn unmapped_event(f: &UnmappedFinding, time: i64, version: &str) -> Value {
    let (severity_id, severity_caption) = severity(f.check.severity);
    let mut compliance = Map::new();
    compliance_result(&mut compliance, &f.check, f.status, &f.evidence);
    let mut unmapped = Map::new();
    unmapped.insert("tenant".into(), json!(f.tenant));
    unmapped.insert("target".into(), json!(f.target));
    unmapped.insert("status".into(), json!(f.status.as_str()));
    unmapped.insert("source".into(), json!(f.source));
    unmapped.insert("unmapped".into(), json!(true));
    if let Some(t) = &f.observed_at {
        unmapped.insert("observed_at".into(), json!(t));
    }
    json!({
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity_caption,
        "status_id": 1,
        "status": "New",
        "time": time,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "demarc",
                "vendor_name": "demarc",
                "version": version,
            },
            "profiles": ["cloud"],
            "tenant_uid": f.tenant,
        },
        "cloud": {
            "provider": provider(&f.provider),
            "account": Value::Object(account(&f.provider, &f.account)),
            "region": f.region,
        },
        "finding_info": {
            "uid": f.id,
            "title": f.check.title,
            "desc": f.message,
            "created_time": time,
            "analytic": {
                "uid": f.check.id,
                "name": f.check.title,
                "type_id": 1,
                "type": "Rule",
            },
        },
        "compliance": Value::Object(compliance),
        "resources": [Value::Object(resource(&f.resource, &f.region))],
        "unmapped": Value::Object(unmapped),
    })
}

/// One Compliance Finding.
pub fn event(
    f: &Finding,
    catalog: &Catalog,
    cited: Option<&BTreeMap<String, Vec<String>>>,
    time: i64,
    version: &str,
) -> Value {
    let (severity_id, severity_caption) = severity(f.check.severity);

    let mut standards: Vec<&str> = Vec::new();
    let mut requirements: Vec<String> = Vec::new();
    for fw in catalog.frameworks() {
        for c in &f.controls {
            if let Some(reqs) = catalog
                .control(c)
                .and_then(|ctl| ctl.frameworks.get(&fw.id))
            {
                if !standards.contains(&fw.title.as_str()) {
                    standards.push(&fw.title);
                }
                for r in reqs {
                    let req = format!("{} {r}", fw.id);
                    if !requirements.contains(&req) {
                        requirements.push(req);
                    }
                }
            }
        }
        // A benchmark's requirements: exactly those the finding's check tests.
        if let Some(reqs) = cited.and_then(|c| c.get(&fw.id)) {
            if !standards.contains(&fw.title.as_str()) {
                standards.push(&fw.title);
            }
            for r in reqs {
                let req = format!("{} {r}", fw.id);
                if !requirements.contains(&req) {
                    requirements.push(req);
                }
            }
        }
    }

    let mut compliance = Map::new();
    if let Some(primary) = f.controls.first() {
        compliance.insert("control".into(), json!(primary));
        if let Some(ctl) = catalog.control(primary) {
            compliance.insert("desc".into(), json!(ctl.title));
        }
    }
    if !standards.is_empty() {
        compliance.insert("standards".into(), json!(standards));
    }
    if !requirements.is_empty() {
        compliance.insert("requirements".into(), json!(requirements));
    }
    compliance_result(&mut compliance, &f.check, f.status, &f.evidence);

    let account = account(&f.provider, &f.account);
    let resource = resource(&f.resource, &f.region);

    let mut unmapped = Map::new();
    unmapped.insert("tenant".into(), json!(f.tenant));
    unmapped.insert("target".into(), json!(f.target));
    unmapped.insert("status".into(), json!(f.status.as_str()));
    unmapped.insert("responsibility".into(), json!(f.responsibility));
    unmapped.insert("must_act".into(), json!(f.must_act));
    unmapped.insert("source".into(), json!(f.source));
    if let Some(t) = &f.observed_at {
        unmapped.insert("observed_at".into(), json!(t));
    }
    if let Some(s) = &f.suppression {
        unmapped.insert("suppression".into(), json!(s));
    }
    if !f.verdicts.is_empty() {
        unmapped.insert("verdicts".into(), json!(f.verdicts));
        unmapped.insert("contradiction".into(), json!(f.contradiction));
    }
    let (status_id, status) = if f.is_suppressed() {
        (3, "Suppressed")
    } else {
        (1, "New")
    };

    let mut event = json!({
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity_caption,
        "status_id": status_id,
        "status": status,
        "time": time,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "demarc",
                "vendor_name": "demarc",
                "version": version,
            },
            "profiles": ["cloud"],
            "tenant_uid": f.tenant,
        },
        "cloud": {
            "provider": provider(&f.provider),
            "account": Value::Object(account),
            "region": f.region,
        },
        "finding_info": {
            "uid": f.id,
            "title": f.check.title,
            "desc": f.message,
            "types": f.controls,
            "created_time": time,
            "analytic": {
                "uid": f.check.id,
                "name": f.check.title,
                "type_id": 1,
                "type": "Rule",
            },
        },
        "compliance": Value::Object(compliance),
        "resources": [Value::Object(resource)],
        "remediation": { "desc": f.remediation },
        "unmapped": Value::Object(unmapped),
    });
    if let (Some(s), Some(obj)) = (f.suppression.as_ref(), event.as_object_mut())
        && !s.expired
    {
        obj.insert(
            "status_detail".into(),
            json!(format!(
                "suppressed by `{}`, approved by {} until {}: {}",
                s.id, s.approved_by, s.expires, s.justification
            )),
        );
    }
    event
}

#[cfg(test)]
mod tests {
    //! The validator below reads the OCSF 1.8.0 sources the way the OCSF compiler does: a class
    //! is its `extends` chain (compliance_finding → finding → base_event), each level's
    //! `$include`d profiles, and its own attributes deep-merged over its parent's; every
    //! attribute is completed from `dictionary.json` (type, enum, sibling), with enum members
    //! merged (the class's captions win, the dictionary adds the rest). Objects resolve the same
    //! way through `objects/*.json`.

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::fixture;

    struct Ocsf {
        dictionary: Map<String, Value>,
        types: Map<String, Value>,
        categories: Map<String, Value>,
    }

    fn read(path: &str) -> Value {
        fixture::shared_json(&format!("ocsf-1.8.0/{path}"))
    }

    /// Deep-merge `over` onto `base`: objects merge key by key, anything else is replaced.
    fn merge(base: &mut Value, over: &Value) {
        match (base, over) {
            (Value::Object(b), Value::Object(o)) => {
                for (k, v) in o {
                    match b.get_mut(k) {
                        Some(bv) => merge(bv, v),
                        None => {
                            b.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (b, o) => *b = o.clone(),
        }
    }

    /// A resolved definition: attributes (name → merged definition) and constraints.
    struct Def {
        name: String,
        attributes: Map<String, Value>,
        constraints: Option<Value>,
        category: Option<String>,
        uid: Option<i64>,
    }

    impl Ocsf {
        fn load() -> Ocsf {
            let dict = read("dictionary.json");
            assert_eq!(read("version.json")["version"], "1.8.0");
            Ocsf {
                dictionary: dict["attributes"].as_object().unwrap().clone(),
                types: dict["types"]["attributes"].as_object().unwrap().clone(),
                categories: read("categories.json")["attributes"]
                    .as_object()
                    .unwrap()
                    .clone(),
            }
        }

        /// Attributes of a file's own `attributes`, with `$include`d files merged under them
        /// (attributes from a profile remember the profile's name).
        fn own_attributes(&self, file: &Value) -> Map<String, Value> {
            let mut merged = Map::new();
            let attrs = file["attributes"].as_object().cloned().unwrap_or_default();
            if let Some(includes) = attrs.get("$include") {
                let includes: Vec<&str> = match includes {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for inc in includes {
                    let included = read(inc);
                    let profile = included["name"].as_str().unwrap().to_string();
                    let is_profile = included["meta"] == "profile";
                    for (k, v) in self.own_attributes(&included) {
                        let mut v = v.clone();
                        if is_profile && v.get("profile").is_none() {
                            v["profile"] = json!(profile);
                        }
                        merged.insert(k, v);
                    }
                }
            }
            for (k, v) in attrs {
                if k == "$include" {
                    continue;
                }
                let mut base = merged.remove(&k).unwrap_or(json!({}));
                merge(&mut base, &v);
                merged.insert(k, base);
            }
            merged
        }

        /// Resolve a class (`events/...`) or object (`objects/...`) with its `extends` chain.
        fn resolve(&self, path: &str, dir: &str) -> Def {
            let file = read(path);
            let own = self.own_attributes(&file);
            let (mut attributes, mut constraints, mut category) = (Map::new(), None, None);
            if let Some(parent) = file["extends"].as_str() {
                let parent_path = if dir == "objects" {
                    format!("objects/{parent}.json")
                } else if parent == "base_event" {
                    "events/base_event.json".to_string()
                } else {
                    format!("{dir}/{parent}.json")
                };
                let p = self.resolve(&parent_path, dir);
                attributes = p.attributes;
                constraints = p.constraints;
                category = p.category;
            }
            for (k, v) in own {
                let mut base = attributes.remove(&k).unwrap_or(json!({}));
                merge(&mut base, &v);
                attributes.insert(k, base);
            }
            // Complete each attribute from the dictionary; the definition's own keys win.
            for (k, v) in attributes.iter_mut() {
                if let Some(d) = self.dictionary.get(k) {
                    let mut full = d.clone();
                    merge(&mut full, v);
                    *v = full;
                }
            }
            if file.get("constraints").is_some() {
                constraints = file.get("constraints").cloned();
            }
            if let Some(c) = file["category"].as_str() {
                category = Some(c.to_string());
            }
            Def {
                name: file["name"].as_str().unwrap().to_string(),
                attributes,
                constraints,
                category,
                uid: file["uid"].as_i64(),
            }
        }

        /// The base type of a type name (`timestamp_t` → `long_t`), or `None` for objects.
        fn primitive(&self, t: &str) -> Option<String> {
            let def = self.types.get(t)?;
            Some(match def.get("type").and_then(Value::as_str) {
                Some(base) if base != t => self.primitive(base).unwrap_or(base.to_string()),
                _ => t.to_string(),
            })
        }

        /// Check `value` against a resolved definition; push every problem with its path.
        fn check(
            &self,
            def: &Def,
            value: &Value,
            profiles: &BTreeSet<String>,
            path: &str,
            errors: &mut Vec<String>,
        ) {
            let Some(obj) = value.as_object() else {
                errors.push(format!("{path}: expected an object ({})", def.name));
                return;
            };
            for (name, attr) in &def.attributes {
                let required = attr["requirement"] == "required";
                let profile_ok = match attr.get("profile") {
                    Some(Value::String(p)) => profiles.contains(p),
                    _ => true,
                };
                if required && profile_ok && !obj.contains_key(name) {
                    errors.push(format!(
                        "{path}: required attribute `{name}` missing ({})",
                        def.name
                    ));
                }
            }
            if let Some(c) = &def.constraints {
                if let Some(any) = c["at_least_one"].as_array()
                    && !any.iter().any(|a| obj.contains_key(a.as_str().unwrap()))
                {
                    errors.push(format!("{path}: needs at least one of {any:?}"));
                }
                if let Some(one) = c["just_one"].as_array() {
                    let n = one
                        .iter()
                        .filter(|a| obj.contains_key(a.as_str().unwrap()))
                        .count();
                    if n != 1 {
                        errors.push(format!("{path}: needs exactly one of {one:?}"));
                    }
                }
            }
            for (name, v) in obj {
                let at = format!("{path}.{name}");
                let Some(attr) = def.attributes.get(name) else {
                    errors.push(format!(
                        "{at}: `{name}` is not an attribute of {}",
                        def.name
                    ));
                    continue;
                };
                if attr.get("@deprecated").is_some() {
                    errors.push(format!("{at}: `{name}` is deprecated in {}", def.name));
                }
                if let Some(Value::String(p)) = attr.get("profile")
                    && !profiles.contains(p)
                {
                    errors.push(format!("{at}: profile `{p}` is not in metadata.profiles"));
                }
                let ty = attr["type"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}: no type"));
                let items: Vec<(String, &Value)> = if attr["is_array"] == true {
                    match v.as_array() {
                        Some(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{at}[{i}]"), x))
                            .collect(),
                        None => {
                            errors.push(format!("{at}: expected an array of {ty}"));
                            continue;
                        }
                    }
                } else {
                    if v.is_array() {
                        errors.push(format!("{at}: expected one {ty}, not an array"));
                        continue;
                    }
                    vec![(at.clone(), v)]
                };
                for (p, x) in items {
                    self.check_value(ty, attr, x, obj, profiles, &p, errors);
                }
            }
        }

        #[allow(clippy::too_many_arguments)]
        fn check_value(
            &self,
            ty: &str,
            attr: &Value,
            x: &Value,
            parent: &Map<String, Value>,
            profiles: &BTreeSet<String>,
            p: &str,
            errors: &mut Vec<String>,
        ) {
            match self.primitive(ty).as_deref() {
                Some("string_t") if !x.is_string() => {
                    errors.push(format!("{p}: expected a string"))
                }
                Some("integer_t" | "long_t") if !(x.is_i64() || x.is_u64()) => {
                    errors.push(format!("{p}: expected an integer"))
                }
                Some("float_t") if !x.is_number() => errors.push(format!("{p}: expected a number")),
                Some("boolean_t") if !x.is_boolean() => {
                    errors.push(format!("{p}: expected a boolean"))
                }
                Some(_) => {}
                None if ty == "object" => {
                    if !x.is_object() {
                        errors.push(format!("{p}: expected an object"));
                    }
                }
                None => {
                    let def = self.resolve(&format!("objects/{ty}.json"), "objects");
                    self.check(&def, x, profiles, p, errors);
                }
            }
            if let Some(values) = attr["enum"].as_object() {
                let key = match x {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match values.get(&key) {
                    None => errors.push(format!(
                        "{p}: {key} is not in the enum ({:?})",
                        values.keys().collect::<Vec<_>>()
                    )),
                    Some(member) => {
                        if member.get("@deprecated").is_some() {
                            errors.push(format!("{p}: enum value {key} is deprecated"));
                        }
                        // The sibling holds the caption (free text only for 99 Other).
                        if let Some(sib) = attr["sibling"].as_str()
                            && let Some(s) = parent.get(sib)
                            && key != "99"
                            && s != &member["caption"]
                        {
                            errors.push(format!(
                                "{p}: sibling `{sib}` is {s}, caption is {}",
                                member["caption"]
                            ));
                        }
                    }
                }
            }
        }
    }

    fn events(r: &Report) -> Vec<Value> {
        let mut v = Vec::new();
        render(r, &fixture::catalog(), &mut v).unwrap();
        serde_json::from_slice::<Value>(&v)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// Validate events against the Compliance Finding class; every problem, with its path.
    fn validate(events: &[Value]) -> Vec<String> {
        let ocsf = Ocsf::load();
        let mut class = ocsf.resolve("events/findings/compliance_finding.json", "events/findings");
        let mut errors = Vec::new();
        // Classification as the schema computes it; like the OCSF compiler, the class's own
        // uids replace base_event's placeholder enums.
        let category = class.category.clone().expect("the class has a category");
        let category_uid = ocsf.categories[&category]["uid"].as_i64().unwrap();
        let class_uid = category_uid * 1000 + class.uid.unwrap();
        let caption = read("events/findings/compliance_finding.json")["caption"].clone();
        class.attributes["category_uid"]["enum"] = json!({
            category_uid.to_string(): { "caption": ocsf.categories[&category]["caption"] }
        });
        class.attributes["class_uid"]["enum"] =
            json!({ class_uid.to_string(): { "caption": caption } });
        let mut types = Map::new();
        for (id, member) in class.attributes["activity_id"]["enum"].as_object().unwrap() {
            let uid = class_uid * 100 + id.parse::<i64>().unwrap();
            let name = format!(
                "{}: {}",
                caption.as_str().unwrap(),
                member["caption"].as_str().unwrap()
            );
            types.insert(uid.to_string(), json!({ "caption": name }));
        }
        class.attributes["type_uid"]["enum"] = Value::Object(types);
        for (i, e) in events.iter().enumerate() {
            let at = format!("[{i}]");
            let profiles: BTreeSet<String> = e["metadata"]["profiles"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            for p in &profiles {
                let f = fixture::shared_data(&format!("ocsf-1.8.0/profiles/{p}.json"));
                if !f.exists() {
                    errors.push(format!("{at}: unknown profile {p}"));
                }
            }
            ocsf.check(&class, e, &profiles, &at, &mut errors);
            if e["category_uid"] != category_uid || e["class_uid"] != class_uid {
                errors.push(format!(
                    "{at}: classification is not {category_uid}/{class_uid}"
                ));
            }
            let activity = e["activity_id"].as_i64().unwrap_or(-1);
            if e["type_uid"] != class_uid * 100 + activity {
                errors.push(format!(
                    "{at}: type_uid is not class_uid * 100 + activity_id"
                ));
            }
            let activity_caption =
                &class.attributes["activity_id"]["enum"][activity.to_string()]["caption"];
            if e["type_name"]
                != json!(format!(
                    "Compliance Finding: {}",
                    activity_caption.as_str().unwrap_or("")
                ))
            {
                errors.push(format!("{at}: type_name does not match the activity"));
            }
            if e["class_name"] != "Compliance Finding"
                || e["category_name"] != ocsf.categories[&category]["caption"]
            {
                errors.push(format!("{at}: class or category name is wrong"));
            }
        }
        errors
    }

    #[test]
    fn every_event_validates_against_the_ocsf_1_8_0_sources() {
        let r = fixture::report();
        let events = events(&r);
        assert_eq!(events.len(), r.findings.len());
        let errors = validate(&events);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        if let Some(sample) = fixture::sample_report() {
            let errors = validate(&super::tests::events(&sample));
            assert!(errors.is_empty(), "sample: {}", errors.join("\n"));
        }
    }

    /// Other tools' findings that map to no control are Compliance Findings too, after the
    /// others, valid against the sources, with no control and no attribution.
    #[test]
    fn unmapped_findings_are_valid_compliance_findings_without_a_control() {
        let r = fixture::unmapped_report();
        let events = events(&r);
        assert_eq!(events.len(), r.findings.len() + r.unmapped.len());
        let errors = validate(&events);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        let tail = &events[r.findings.len()..];
        for (e, f) in tail.iter().zip(&r.unmapped) {
            assert_eq!(e["finding_info"]["uid"], f.id);
            assert_eq!(e["unmapped"]["unmapped"], true);
            assert!(e["unmapped"].get("responsibility").is_none());
            assert!(e["compliance"].get("control").is_none());
            assert_eq!(e["compliance"]["status_code"], f.status.as_str());
        }
        assert_eq!(tail[0]["compliance"]["status_id"], 3);
        assert_eq!(tail[0]["severity_id"], 4);
    }

    /// A suppressed finding is `status_id` 3 Suppressed with its compliance status still Fail
    /// and a status detail naming the suppression; an expired one is New again. Both validate.
    #[test]
    fn suppressed_findings_are_suppressed_events_that_still_fail_compliance() {
        let r = fixture::suppressed_report();
        let events = events(&r);
        let errors = validate(&events);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        let by_id = |id: &str| {
            events
                .iter()
                .find(|e| e["unmapped"]["suppression"]["id"] == id)
                .unwrap_or_else(|| panic!("no event suppressed by {id}"))
        };
        let e = by_id("accepted-risk");
        assert_eq!(
            (&e["status_id"], &e["status"]),
            (&json!(3), &json!("Suppressed"))
        );
        assert_eq!(
            e["compliance"]["status_id"], 3,
            "the compliance status stays Fail"
        );
        assert_eq!(e["compliance"]["status"], "Fail");
        assert!(
            e["status_detail"].as_str().unwrap().starts_with(
                "suppressed by `accepted-risk`, approved by Dana Whitfield (CISO) until 2027-03-31"
            ),
            "{e:#}"
        );
        let e = by_id("lapsed-risk");
        assert_eq!((&e["status_id"], &e["status"]), (&json!(1), &json!("New")));
        assert!(e.get("status_detail").is_none());
        assert_eq!(e["unmapped"]["suppression"]["expired"], true);
        let unsuppressed = events
            .iter()
            .filter(|e| e["unmapped"].get("suppression").is_none())
            .count();
        assert_eq!(unsuppressed, r.findings.len() - 2);
        assert!(events.iter().filter(|e| e["status_id"] == 3).count() == 1);
    }

    #[test]
    fn the_validator_catches_what_it_should() {
        let r = fixture::report();
        let good = events(&r)[0].clone();
        let broken = |f: &dyn Fn(&mut Value)| {
            let mut e = good.clone();
            f(&mut e);
            validate(&[e])
        };
        type Break = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Break)> = vec![
            ("not an attribute", Box::new(|e| e["colour"] = json!("red"))),
            (
                "not an attribute",
                Box::new(|e| e["cloud"]["colour"] = json!(1)),
            ),
            (
                "required attribute `time`",
                Box::new(|e| {
                    e.as_object_mut().unwrap().remove("time");
                }),
            ),
            (
                "required attribute `cloud`",
                Box::new(|e| {
                    e.as_object_mut().unwrap().remove("cloud");
                }),
            ),
            (
                "required attribute `desc`",
                Box::new(|e| e["remediation"] = json!({})),
            ),
            ("not in the enum", Box::new(|e| e["severity_id"] = json!(7))),
            (
                "not in the enum",
                Box::new(|e| e["compliance"]["status_id"] = json!(4)),
            ),
            (
                "expected an integer",
                Box::new(|e| e["time"] = json!("2026-11-02")),
            ),
            (
                "expected an array",
                Box::new(|e| e["finding_info"]["types"] = json!("x")),
            ),
            ("sibling", Box::new(|e| e["severity"] = json!("Low"))),
            (
                "sibling",
                Box::new(|e| e["type_name"] = json!("Compliance Finding: Close")),
            ),
            ("type_uid", Box::new(|e| e["type_uid"] = json!(200302))),
            ("class_uid", Box::new(|e| e["class_uid"] = json!(2004))),
            (
                "deprecated",
                Box::new(|e| e["resource"] = json!({"uid": "x"})),
            ),
            (
                "at least one",
                Box::new(|e| e["resources"][0] = json!({"region": "x"})),
            ),
        ];
        for (want, f) in cases {
            let errors = broken(&*f);
            assert!(
                errors.iter().any(|e| e.contains(want)),
                "expected `{want}` in {errors:#?}"
            );
        }
    }

    #[test]
    fn a_finding_cites_exactly_the_benchmark_requirements_its_check_tests() {
        let r = fixture::report();
        let events = events(&r);
        let mut citing = 0;
        for (f, e) in r.findings.iter().zip(&events) {
            let reqs: Vec<&str> = e["compliance"]["requirements"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let bench: Vec<&&str> = reqs.iter().filter(|q| q.starts_with("cis-")).collect();
            if f.check.id == "aws-s3-public-access" {
                citing += 1;
                assert_eq!(bench, [&"cis-aws-fixture-1.0 2.1.4"], "{reqs:?}");
                assert!(
                    e["compliance"]["standards"]
                        .as_array()
                        .unwrap()
                        .contains(&json!("Fixture AWS benchmark v1.0"))
                );
            } else {
                assert!(bench.is_empty(), "{} cites {bench:?}", f.check.id);
            }
        }
        assert!(citing > 0);
    }

    #[test]
    fn maps_classification_severity_status_and_responsibility() {
        let r = fixture::report();
        let events = events(&r);
        assert_eq!((CLASS_UID, TYPE_UID), (2003, 200301));
        let e = &events[0];
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["type_uid"], 200301);
        assert_eq!(e["severity_id"], 5);
        assert_eq!(e["time"], 1_793_577_607_250_i64);
        assert_eq!(e["cloud"]["provider"], "AWS");
        assert_eq!(e["cloud"]["account"]["uid"], "482913650271");
        assert_eq!(e["resources"][0]["uid"], r.findings[0].resource.id.as_str());
        assert_eq!(e["compliance"]["control"], "guest-patching");
        assert_eq!(e["compliance"]["status_id"], 3);
        assert!(
            e["compliance"]["requirements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x.as_str().unwrap().starts_with("nist-800-53-r5 "))
        );
        assert_eq!(e["unmapped"]["responsibility"]["owner"], "third-party");
        assert_eq!(e["unmapped"]["must_act"]["party"], "third-party");
        assert_eq!(
            e["unmapped"]["must_act"]["name"],
            "Bluefin Managed Security"
        );
        assert_eq!(
            e["unmapped"]["responsibility"]["party"],
            "Bluefin Managed Security"
        );
        assert_eq!(e["metadata"]["tenant_uid"], "northwind");
        let by_status: BTreeMap<String, (i64, String)> = events
            .iter()
            .map(|e| {
                (
                    e["unmapped"]["status"].as_str().unwrap().to_string(),
                    (
                        e["compliance"]["status_id"].as_i64().unwrap(),
                        e["compliance"]["status"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect();
        assert_eq!(by_status["pass"], (1, "Pass".into()));
        assert_eq!(by_status["manual"], (2, "Warning".into()));
        assert_eq!(by_status["error"], (99, "Error".into()));
        assert_eq!(by_status["not-applicable"], (99, "Not Applicable".into()));
    }
}
