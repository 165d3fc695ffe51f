//! `demarc scan --history`, `demarc history` and the trend in the HTML report, over three real
//! scans of a changing estate.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{demarc, describe, report, root, write_config};

fn snapshot(dir: &Path, items: &[Value]) {
    let snap = dir.join("snap");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(
        snap.join("config-snapshot.json"),
        serde_json::to_vec(&serde_json::json!({ "configurationItems": items })).unwrap(),
    )
    .unwrap();
}

fn scan(dir: &Path, cfg: &Path, out: &str, db: &Path, at: &str) -> PathBuf {
    let out_dir = dir.join(out);
    let o = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "json,html",
            "--pin-time",
            at,
            "--history",
            db.to_str().unwrap(),
        ],
        dir,
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    out_dir
}

fn history(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["history"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = demarc(&all, dir);
    assert!(o.status.success(), "{}", describe(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The fail count of tenant `fab` in a report's summary.
fn failing(r: &Value) -> u64 {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .count() as u64
}

#[test]
fn three_runs_are_recorded_listed_diffed_and_drawn_as_a_trend() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = std::fs::read_to_string(
        root().join("examples/demo/fabrikam/aws-prod/config-snapshot.json"),
    )
    .unwrap();
    let items: Vec<Value> = serde_json::from_str::<Value>(&text).unwrap()["configurationItems"]
        .as_array()
        .unwrap()
        .clone();
    let cfg = write_config(
        dir,
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"fab\"\n[[tenant.target]]\nid = \"fab-aws\"\nprovider = \"aws\"\nsnapshot = \"snap\"\n",
    );
    let db = dir.join("posture.db");

    // Run 1: the estate as exported.
    snapshot(dir, &items);
    let r1 = report(&scan(dir, &cfg, "r1", &db, "2026-11-02T00:00:00Z"));
    // Run 2: a failing resource held by one item is gone (fixed and deleted).
    let victim = r1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .find_map(|f| {
            let id = f["resource"]["id"].as_str().unwrap();
            let at: Vec<usize> = (0..items.len())
                .filter(|&n| items[n].to_string().contains(id))
                .collect();
            (at.len() == 1 && id.len() > 8).then(|| (id.to_string(), at[0]))
        })
        .expect("a failing resource held by one item");
    let mut fewer = items.clone();
    fewer.remove(victim.1);
    snapshot(dir, &fewer);
    let r2 = report(&scan(dir, &cfg, "r2", &db, "2026-11-09T00:00:00Z"));
    // Run 3: it comes back, twice (the original and a copy under another id).
    let copy: Value = serde_json::from_str(
        &items[victim.1]
            .to_string()
            .replace(&victim.0, &format!("{}-copy", victim.0)),
    )
    .unwrap();
    let mut more = items.clone();
    more.push(copy);
    snapshot(dir, &more);
    let out3 = scan(dir, &cfg, "r3", &db, "2026-11-16T00:00:00Z");
    let r3 = report(&out3);
    let (f1, f2, f3) = (failing(&r1), failing(&r2), failing(&r3));
    assert!(f2 < f1 && f3 > f1, "{f1} {f2} {f3}");

    // The same report again (same input, same pinned time) is recorded once.
    scan(dir, &cfg, "r3-again", &db, "2026-11-16T00:00:00Z");

    let runs = history(dir, &["list", db.to_str().unwrap()]);
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 3, "{runs:#?}");
    let got: Vec<(i64, u64, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["run"].as_i64().unwrap(),
                r["failing"].as_u64().unwrap(),
                r["finished"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, f1, "2026-11-02T00:00:00Z"),
            (2, f2, "2026-11-09T00:00:00Z"),
            (3, f3, "2026-11-16T00:00:00Z")
        ]
    );
    assert!(
        runs.iter()
            .all(|r| r["tenants"] == serde_json::json!(["fab"]))
    );

    // Diff of runs 1 and 2: the victim's failures are resolved; of 2 and 3 (the default pair,
    // `last-1` to `last`): new, twice over.
    let d = history(dir, &["diff", db.to_str().unwrap(), "1", "2"]);
    let resolved: Vec<&str> = d["tenants"]["fab"]["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].as_str().unwrap())
        .collect();
    assert!(
        !resolved.is_empty() && resolved.iter().all(|r| *r == victim.0),
        "{d:#}"
    );
    assert!(d["tenants"]["fab"]["new"].as_array().unwrap().is_empty());
    let d = history(dir, &["diff", db.to_str().unwrap()]);
    let new: Vec<&str> = d["tenants"]["fab"]["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].as_str().unwrap())
        .collect();
    assert_eq!(new.len(), 2 * resolved.len(), "{d:#}");
    assert_eq!(
        d["new_run"], "2026-11-16T00:00:00Z",
        "the default pair is the last two runs"
    );

    // The trend equals each run's own report.
    let t = history(dir, &["trend", db.to_str().unwrap()]);
    let points: Vec<(u64, u64)> = t["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = &r["tenants"]["fab"];
            (p["pass"].as_u64().unwrap(), p["fail"].as_u64().unwrap())
        })
        .collect();
    let passing = |r: &Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "pass")
            .count() as u64
    };
    assert_eq!(
        points,
        [(passing(&r1), f1), (passing(&r2), f2), (passing(&r3), f3)]
    );
    let by_sev: u64 = t["runs"][2]["tenants"]["fab"]["failing_by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_sev, f3);
    let last = history(dir, &["trend", db.to_str().unwrap(), "--last", "1"]);
    assert_eq!(last["runs"].as_array().unwrap().len(), 1);

    // The HTML of run 3 draws the three runs, in a real browser.
    let dom = crate::browser::dump_dom(&out3.join("report.html"));
    assert_eq!(dom.matches(r#"<section id="trend""#).count(), 1);
    assert_eq!(
        dom.matches(r#"<tr class="trend-run""#).count(),
        3,
        "one row per run"
    );
    assert!(dom.matches("<circle").count() >= 3);
    assert!(dom.contains("Posture over time: 3 recorded runs"));

    // Re-rendered from report.json with the database, the HTML shows the same trend; without
    // it, none.
    let o = demarc(
        &[
            "report",
            "--in",
            out3.join("report.json").to_str().unwrap(),
            "--out",
            dir.join("again").to_str().unwrap(),
            "--history",
            db.to_str().unwrap(),
        ],
        dir,
    );
    assert!(o.status.success(), "{}", describe(&o));
    let html = std::fs::read_to_string(dir.join("again/report.html")).unwrap();
    assert_eq!(html.matches(r#"<tr class="trend-run""#).count(), 3);
    let plain = std::fs::read_to_string(dir.join("r1/report.html")).unwrap();
    assert!(
        plain.contains(r#"<section id="trend""#),
        "run 1 recorded too"
    );
    assert_eq!(plain.matches(r#"<tr class="trend-run""#).count(), 1);
}

#[test]
fn history_commands_refuse_a_missing_or_foreign_database_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing.db");
    let o = demarc(&["history", "list", missing.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing.db"));
    assert!(!missing.exists(), "reading never creates a database");

    let foreign = tmp.path().join("report.json");
    std::fs::write(&foreign, b"{\"schema\": \"demarc.report/0.2\", \"padding\": \"................................................................\"}").unwrap();
    let o = demarc(&["history", "trend", foreign.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("report.json") && err.contains("not a demarc history"),
        "{err}"
    );
}
