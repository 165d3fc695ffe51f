//! The cross-cloud conformance table (`tests/conformance/cases.toml`): the same semantic case,
//! written in each cloud's export shape, gives the same verdict, the same owner and the same party
//! that must act (the customer) on each cloud,
//! through the real `demarc` binary. A cloud's column may differ only with a stated reason, and a
//! case may lack a cloud's column only with a stated reason.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{demarc, describe, report, root, write_config};

/// The keys a case and a column may have.
const CASE_KEYS: [&str; 5] = ["id", "what", "verdict", "owner", "missing"];
const COLUMN_KEYS: [&str; 8] = [
    "check", "resource", "file", "export", "verdict", "owner", "reason", "missing",
];

/// One cloud's column of a case, checked for shape.
struct Column {
    case: String,
    provider: String,
    target: String,
    check: Option<String>,
    resource: Option<String>,
    file: String,
    export: Option<String>,
    verdict: String,
    owner: Option<String>,
}

fn text(table: &toml::Table, key: &str) -> Option<String> {
    table.get(key).map(|v| {
        v.as_str()
            .unwrap_or_else(|| panic!("`{key}` is not a string: {v}"))
            .to_string()
    })
}

/// Read the table and check its shape; every problem is listed at once.
fn columns(table: &toml::Table) -> (Vec<Column>, Vec<String>) {
    let providers: Vec<String> = table["providers"]
        .as_array()
        .expect("`providers` is a list")
        .iter()
        .map(|p| p.as_str().expect("a provider name").to_string())
        .collect();
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let cases = table["case"].as_array().expect("`[[case]]` entries");
    let mut seen = BTreeMap::new();
    for case in cases {
        let case = case.as_table().expect("a case is a table");
        let id = text(case, "id").expect("every case has an id");
        if seen.insert(id.clone(), ()).is_some() {
            problems.push(format!("case {id}: the id is used twice"));
        }
        for key in case.keys() {
            if !CASE_KEYS.contains(&key.as_str()) && !providers.contains(key) {
                problems.push(format!(
                    "case {id}: `{key}` is neither a case key nor a provider in `providers`"
                ));
            }
        }
        let Some(verdict) = text(case, "verdict") else {
            problems.push(format!("case {id}: no `verdict`"));
            continue;
        };
        let owner = text(case, "owner");
        if owner.is_none() && !verdict.starts_with("gap:") {
            problems.push(format!("case {id}: no `owner` for a `{verdict}` verdict"));
        }
        for provider in &providers {
            let Some(column) = case.get(provider).and_then(|c| c.as_table()) else {
                problems.push(format!(
                    "case {id}: no `{provider}` column (write the case in {provider}'s export shape, or `missing = \"why\"`)"
                ));
                continue;
            };
            for key in column.keys() {
                if !COLUMN_KEYS.contains(&key.as_str()) {
                    problems.push(format!("case {id}, {provider}: unknown key `{key}`"));
                }
            }
            if let Some(why) = text(column, "missing") {
                if why.trim().is_empty() {
                    problems.push(format!("case {id}, {provider}: `missing` without a reason"));
                }
                continue;
            }
            let differs = column.contains_key("verdict") || column.contains_key("owner");
            if differs && text(column, "reason").is_none_or(|r| r.trim().is_empty()) {
                problems.push(format!(
                    "case {id}, {provider}: a verdict or owner of its own needs a `reason`"
                ));
            }
            let verdict = text(column, "verdict").unwrap_or_else(|| verdict.clone());
            let Some(file) = text(column, "file") else {
                problems.push(format!("case {id}, {provider}: no `file`"));
                continue;
            };
            let (check, resource) = (text(column, "check"), text(column, "resource"));
            if !verdict.starts_with("gap:") && (check.is_none() || resource.is_none()) {
                problems.push(format!(
                    "case {id}, {provider}: a `{verdict}` verdict needs `check` and `resource`"
                ));
                continue;
            }
            out.push(Column {
                case: id.clone(),
                provider: provider.clone(),
                target: format!("{id}-{provider}"),
                check,
                resource,
                file,
                export: text(column, "export"),
                verdict,
                owner: text(column, "owner").or_else(|| owner.clone()),
            });
        }
    }
    (out, problems)
}

/// Write every column's export under `dir` and a configuration with one target per column.
fn estate(dir: &Path, columns: &[Column]) -> std::path::PathBuf {
    let mut config = String::from(
        "now = \"2026-11-01T00:00:00Z\"\n\n[[tenant]]\nid = \"conformance\"\nname = \"Cross-cloud conformance\"\n",
    );
    for c in columns {
        let snapshot = dir.join("estate").join(&c.case).join(&c.provider);
        std::fs::create_dir_all(&snapshot).unwrap();
        if let Some(export) = &c.export {
            std::fs::write(snapshot.join(&c.file), export.trim_start()).unwrap();
        }
        config.push_str(&format!(
            "\n[[tenant.target]]\nid = \"{}\"\nprovider = \"{}\"\nsnapshot = \"{}\"\ninputs = [\"{}\"]\n",
            c.target,
            c.provider,
            snapshot.display(),
            c.file
        ));
    }
    write_config(dir, &config)
}

fn load() -> toml::Table {
    let path = root().join("tests/conformance/cases.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_case_gives_the_same_verdict_and_owner_on_every_cloud() {
    let (columns, problems) = columns(&load());
    assert!(
        problems.is_empty(),
        "tests/conformance/cases.toml:\n{}",
        problems.join("\n")
    );
    let tmp = tempfile::tempdir().unwrap();
    let cfg = estate(tmp.path(), &columns);
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(
        out_dir.join("report.json").exists(),
        "no report: {}",
        describe(&out)
    );
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    let gaps = r["gaps"].as_array().unwrap();
    let mut wrong = Vec::new();
    for c in &columns {
        let place = format!("case {} on {}", c.case, c.provider);
        if let Some(kind) = c.verdict.strip_prefix("gap:") {
            let found = gaps
                .iter()
                .any(|g| g["target"] == c.target.as_str() && g["kind"] == kind);
            let judged = findings.iter().any(|f| f["target"] == c.target.as_str());
            if !found || judged {
                wrong.push(format!(
                    "{place}: expected a `{kind}` gap and no finding; gaps {:?}, {} finding(s)",
                    gaps.iter()
                        .filter(|g| g["target"] == c.target.as_str())
                        .map(|g| g["kind"].to_string())
                        .collect::<Vec<_>>(),
                    findings
                        .iter()
                        .filter(|f| f["target"] == c.target.as_str())
                        .count()
                ));
            }
            continue;
        }
        let (check, resource) = (c.check.as_deref().unwrap(), c.resource.as_deref().unwrap());
        let mine: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| {
                f["target"] == c.target.as_str()
                    && f["check"]["id"] == check
                    && f["resource"]["id"] == resource
            })
            .collect();
        let [f] = mine.as_slice() else {
            let target_gaps: Vec<&serde_json::Value> = gaps
                .iter()
                .filter(|g| g["target"] == c.target.as_str())
                .collect();
            wrong.push(format!(
                "{place}: {} finding(s) of {check} on {resource} (gaps of the target: {target_gaps:?})",
                mine.len()
            ));
            continue;
        };
        if f["status"] != c.verdict.as_str() {
            wrong.push(format!(
                "{place}: {check} is {} (expected {}): {}",
                f["status"], c.verdict, f["message"]
            ));
        }
        // Whatever the control's split, every case is a setting of the customer's own
        // configuration: the customer must act on it, on every cloud.
        if f["must_act"]["party"] != "customer" {
            wrong.push(format!(
                "{place}: {check} is for {} to act on (expected the customer)",
                f["must_act"]
            ));
        }
        if let Some(owner) = &c.owner
            && f["responsibility"]["owner"] != owner.as_str()
        {
            wrong.push(format!(
                "{place}: {check} is owned by {} (expected {owner}; basis {})",
                f["responsibility"]["owner"], f["responsibility"]["basis"]["entry"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_case_without_a_column_of_a_provider_or_its_reason_is_refused() {
    let mut table = load();
    // A new provider joins without writing its column: every case is named.
    table["providers"]
        .as_array_mut()
        .unwrap()
        .push("tinycloud".into());
    let cases = table["case"].as_array().unwrap().len();
    let (_, problems) = columns(&table);
    let missing: Vec<&String> = problems
        .iter()
        .filter(|p| p.contains("no `tinycloud` column"))
        .collect();
    assert_eq!(missing.len(), cases, "{problems:#?}");

    // A column that differs without a reason, and an empty `missing`.
    let mut table = load();
    let case = table["case"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap();
    case["gcp"]
        .as_table_mut()
        .unwrap()
        .insert("verdict".into(), "pass".into());
    case["azure"] = toml::Value::Table(toml::Table::from_iter([(
        "missing".to_string(),
        toml::Value::from(" "),
    )]));
    let (_, problems) = columns(&table);
    assert!(
        problems.iter().any(|p| p.contains("needs a `reason`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`missing` without a reason")),
        "{problems:#?}"
    );
}
