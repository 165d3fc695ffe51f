//! `demarc diff` and `demarc scan --baseline --fail-on-new` over real scans of a changed estate.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{demarc, describe, report, root, write_config};

/// An estate of one tenant with one AWS target whose snapshot is `items`.
fn estate(dir: &Path, items: &[Value]) -> PathBuf {
    let snap = dir.join("snap");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(
        snap.join("config-snapshot.json"),
        serde_json::to_vec(&serde_json::json!({ "configurationItems": items })).unwrap(),
    )
    .unwrap();
    write_config(
        dir,
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"fab\"\n[[tenant.target]]\nid = \"fab-aws\"\nprovider = \"aws\"\nsnapshot = \"snap\"\n",
    )
}

fn scan(dir: &Path, cfg: &Path, out: &str, extra: &[&str]) -> (Option<i32>, PathBuf) {
    let out_dir = dir.join(out);
    let mut args = vec![
        "scan",
        "--quiet",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--pin-time",
        "2026-11-02T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    let o = demarc(&args, dir);
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "{}",
        describe(&o)
    );
    (o.status.code(), out_dir)
}

#[test]
fn a_changed_estate_diffs_into_new_resolved_unverified_and_persisting() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        root().join("examples/demo/fabrikam/aws-prod/config-snapshot.json"),
    )
    .unwrap();
    let snapshot: Value = serde_json::from_str(&text).unwrap();
    let items: Vec<Value> = snapshot["configurationItems"].as_array().unwrap().clone();
    let cfg = estate(tmp.path(), &items);
    let (_, old) = scan(tmp.path(), &cfg, "old", &[]);
    let r = report(&old);
    assert_eq!(
        r["run"]["targets"][0]["outcome"], "complete",
        "{:#}",
        r["run"]["targets"]
    );

    // A failing resource held by exactly one item: it is replaced by a copy under another id.
    let failing: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .collect();
    let holds = |id: &str| -> Vec<usize> {
        items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.to_string().contains(id))
            .map(|(n, _)| n)
            .collect()
    };
    let (victim, at) = failing
        .iter()
        .find_map(|f| {
            let id = f["resource"]["id"].as_str().unwrap();
            let at = holds(id);
            (at.len() == 1 && id.len() > 8).then(|| (id.to_string(), at[0]))
        })
        .expect("a failing resource held by one item");
    let copy: Value = serde_json::from_str(
        &items[at]
            .to_string()
            .replace(&victim, &format!("{victim}-copy")),
    )
    .unwrap();
    let mut changed = items.clone();
    changed[at] = copy;
    std::fs::write(
        tmp.path().join("snap/config-snapshot.json"),
        serde_json::to_vec(&serde_json::json!({ "configurationItems": changed })).unwrap(),
    )
    .unwrap();
    let (_, new) = scan(tmp.path(), &cfg, "new", &[]);

    let out = demarc(
        &[
            "diff",
            old.join("report.json").to_str().unwrap(),
            new.join("report.json").to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", describe(&out));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &d["tenants"]["fab"];
    let ids = |kind: &str| -> Vec<String> {
        t[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"].as_str().unwrap().to_string())
            .collect()
    };
    let victim_fails = failing
        .iter()
        .filter(|f| f["resource"]["id"] == victim.as_str())
        .count();
    assert!(victim_fails > 0);
    // The original's failures are resolved (gone from a completely scanned target), the copy's
    // are new, every other failure persists.
    assert_eq!(ids("resolved"), vec![victim.clone(); victim_fails], "{t:#}");
    assert_eq!(
        ids("new"),
        vec![format!("{victim}-copy"); victim_fails],
        "{t:#}"
    );
    assert_eq!(ids("persisting").len(), failing.len() - victim_fails);
    assert!(t["unverified"].as_array().unwrap().is_empty());

    // Markdown and HTML say the same.
    let md = demarc(
        &[
            "diff",
            old.join("report.json").to_str().unwrap(),
            new.join("report.json").to_str().unwrap(),
        ],
        tmp.path(),
    );
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains(&format!("### New failures: {victim_fails}")),
        "{md}"
    );
    assert!(
        md.contains(&format!("### Resolved: {victim_fails}")),
        "{md}"
    );
    let html_path = tmp.path().join("diff.html");
    let html = demarc(
        &[
            "diff",
            old.join("report.json").to_str().unwrap(),
            new.join("report.json").to_str().unwrap(),
            "--format",
            "html",
            "--out",
            html_path.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(html.status.success(), "{}", describe(&html));
    let page = std::fs::read_to_string(&html_path).unwrap();
    assert!(page.contains("<ul class=\"new\">") && page.contains(&format!("{victim}-copy")));

    // A pipeline gate: new failures fail the run, the same estate again does not.
    let baseline = old.join("report.json");
    let (code, _) = scan(
        tmp.path(),
        &cfg,
        "gate",
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--fail-on-new",
            "info",
        ],
    );
    assert_eq!(code, Some(1));
    let (code, _) = scan(
        tmp.path(),
        &cfg,
        "gate-critical-only",
        &[
            "--baseline",
            new.join("report.json").to_str().unwrap(),
            "--fail-on-new",
            "info",
        ],
    );
    assert_eq!(code, Some(0), "nothing is new against the same estate");

    // A broken export proves nothing: the old failures are unverified, not resolved.
    std::fs::write(
        tmp.path().join("snap/config-snapshot.json"),
        "{\"configurationItems\": [",
    )
    .unwrap();
    let (code, broken) = scan(tmp.path(), &cfg, "broken", &[]);
    assert_eq!(code, Some(3));
    let out = demarc(
        &[
            "diff",
            new.join("report.json").to_str().unwrap(),
            broken.join("report.json").to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp.path(),
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &d["tenants"]["fab"];
    assert!(t["resolved"].as_array().unwrap().is_empty(), "{t:#}");
    assert_eq!(t["unverified"].as_array().unwrap().len(), failing.len());
}

#[test]
fn a_baseline_that_is_not_a_report_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = estate(tmp.path(), &[]);
    std::fs::write(tmp.path().join("old.json"), "{\"not\": \"a report\"}").unwrap();
    let o = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--baseline",
            tmp.path().join("old.json").to_str().unwrap(),
            "--fail-on-new",
            "high",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--baseline"));
}
