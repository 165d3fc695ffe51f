//! Suppressions over real scans of the demo estate (whose reference time is pinned to
//! 2026-11-01): each selector matches what it names and nothing else, a suppression expires by
//! the scan's reference day and then hands its findings to its approver, one that matched
//! nothing is stale, every format says so its own way, `--fail-on` ignores what is suppressed,
//! and malformed entries are errors naming file and key.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{demarc, describe, root};

/// A copy of the demo estate in `dir` whose configuration names `suppressions/*.toml`, with
/// `mutes` as `suppressions/mutes.toml`.
pub(crate) fn estate(dir: &Path, mutes: &str) -> PathBuf {
    copy_dir(&root().join("examples/demo"), dir);
    let config = dir.join("demarc.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    // Top-level keys go before any table: first.
    let text = format!("suppressions = [\"suppressions/*.toml\"]\n{text}");
    std::fs::write(&config, text).unwrap();
    std::fs::create_dir_all(dir.join("suppressions")).unwrap();
    std::fs::write(dir.join("suppressions/mutes.toml"), mutes).unwrap();
    config
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn scan(dir: &Path, config: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let out_dir = dir.join(out);
    let mut args = vec![
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--pin-time",
        "2026-11-02T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    demarc(&args, dir)
}

pub(crate) const MUTES: &str = r#"
[[suppression]]
id = "fabrikam-key-rotation"
tenant = "fabrikam"
check = "aws-iam-access-key-rotation"
justification = "terraform-ci is replaced by OIDC federation in Q1"
approved_by = "Dana Whitfield (Fabrikam CISO)"
expires = "2027-03-31"

[[suppression]]
id = "dev-ingress"
target = "northwind-aws-dev"
control = "network-ingress-restriction"
justification = "the dev VPC is reachable only through the client VPN"
approved_by = "Sam Okafor (Northwind IT)"
expires = 2026-11-01            # a TOML date; the last day in force is the reference day itself

[[suppression]]
id = "legacy-lambdas"
resource = "arn:aws:lambda:*:482913650271:function:nw-legacy-*"
justification = "the thumbnailer is retired with the old storefront"
approved_by = "Sam Okafor (Northwind IT)"
expires = "2027-01-15"

[[suppression]]
id = "jenkins-managed"
tag = "ManagedBy=jenkins"
justification = "CI identities are reviewed monthly by the platform team"
approved_by = "Priya Natarajan (Bluefin SOC lead)"
expires = "2027-06-30"

[[suppression]]
id = "dev-admin-ports"
tenant = "northwind"
target = "northwind-aws-dev"
check = "aws-ec2-sg-admin-port-open"
justification = "bastion hardening project"
approved_by = "Sam Okafor (Northwind IT)"
expires = "2026-10-31"          # the day before the reference day: expired

[[suppression]]
id = "old-buckets"
resource = "arn:aws:s3:::nw-archive-*"
justification = "archive buckets were migrated"
approved_by = "Sam Okafor (Northwind IT)"
expires = "2027-01-01"
"#;

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap()
}

fn tags(f: &Value) -> Vec<(String, String)> {
    f["resource"]["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The suppression id each failing finding must carry, decided here from the selectors the
/// file above writes (first in force, else first expired): an independent statement of the
/// matching rules.
fn expected(f: &Value) -> Option<&'static str> {
    if f["status"] != "fail" {
        return None;
    }
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
    let check = f["check"]["id"].as_str().unwrap();
    let resource = f["resource"]["id"].as_str().unwrap();
    let controls: Vec<&str> = f["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    if s("tenant") == "fabrikam" && check == "aws-iam-access-key-rotation" {
        return Some("fabrikam-key-rotation");
    }
    if s("target") == "northwind-aws-dev" && controls.contains(&"network-ingress-restriction") {
        return Some("dev-ingress");
    }
    if resource.starts_with("arn:aws:lambda:")
        && resource.contains(":482913650271:function:nw-legacy-")
    {
        return Some("legacy-lambdas");
    }
    if tags(f).contains(&("ManagedBy".into(), "jenkins".into())) {
        return Some("jenkins-managed");
    }
    if s("target") == "northwind-aws-dev" && check == "aws-ec2-sg-admin-port-open" {
        return Some("dev-admin-ports");
    }
    None
}

/// Each selector matches exactly the failing findings it names; the one that expired the day
/// before the reference day marks its findings as failing again, owned by its approver, while
/// the one expiring on the reference day still suppresses; the unmatched one is stale. The
/// summary counts the suppressed findings in all and per tenant, and every format carries them.
#[test]
fn suppressions_match_by_every_selector_expire_go_stale_and_show_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let config = estate(tmp.path(), MUTES);
    let out = scan(tmp.path(), &config, "out", &["--format", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("suppression `old-buckets`") && stdout.contains("is stale"),
        "{stdout}"
    );
    let dir = tmp.path().join("out");
    let report = crate::report(&dir);
    let mut suppressed: std::collections::BTreeMap<String, u64> = Default::default();
    let mut matched: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut expired_seen = 0;
    for f in findings(&report) {
        let want = expected(&f);
        let got = f["suppression"]["id"].as_str();
        assert_eq!(got, want, "{f:#}");
        let Some(id) = want else { continue };
        *matched.entry(id).or_default() += 1;
        let mark = &f["suppression"];
        assert!(mark["justification"].is_string() && mark["approved_by"].is_string());
        if id == "dev-admin-ports" {
            expired_seen += 1;
            assert_eq!(mark["expired"], true, "{f:#}");
            assert_eq!(mark["expires"], "2026-10-31");
            assert_eq!(f["must_act"]["name"], "Sam Okafor (Northwind IT)", "{f:#}");
            assert_eq!(f["must_act"]["basis"], "suppression:dev-admin-ports");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("Suppression `dev-admin-ports` expired on 2026-10-31"),
                "{f:#}"
            );
        } else {
            assert!(mark.get("expired").is_none(), "{f:#}");
            *suppressed
                .entry(f["tenant"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    // Every selector matched something (the demo estate plants each).
    for id in [
        "fabrikam-key-rotation",
        "dev-ingress",
        "legacy-lambdas",
        "jenkins-managed",
        "dev-admin-ports",
    ] {
        assert!(
            matched.get(id).copied().unwrap_or(0) > 0,
            "{id} matched nothing"
        );
    }
    assert!(expired_seen > 0);

    // The summary: suppressed in all, per tenant and by severity; the stale suppression.
    let summary = &report["summary"];
    let total: u64 = suppressed.values().sum();
    assert_eq!(summary["findings"]["suppressed"], total);
    for (tenant, n) in &suppressed {
        assert_eq!(summary["by_tenant"][tenant]["suppressed"], *n, "{tenant}");
    }
    let by_sev: u64 = summary["suppressed_by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_sev, total);
    assert_eq!(
        summary["stale_suppressions"],
        serde_json::json!(["old-buckets"])
    );
    // The run records every suppression with what it matched.
    let records = report["run"]["suppressions"].as_array().unwrap();
    assert_eq!(records.len(), 6);
    for r in records {
        let id = r["id"].as_str().unwrap();
        assert_eq!(r["matched"], matched.get(id).copied().unwrap_or(0), "{r:#}");
        assert!(r["file"].as_str().unwrap().ends_with("mutes.toml"));
    }
    let expired = records
        .iter()
        .find(|r| r["id"] == "dev-admin-ports")
        .unwrap();
    assert_eq!(expired["expired"], true);
    assert_eq!(
        expired["by_tenant"]["northwind"],
        matched["dev-admin-ports"]
    );

    // SARIF: an accepted external suppression on each suppressed result, none on the expired.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.sarif")).unwrap()).unwrap();
    let mut sarif_suppressed = 0;
    for run in sarif["runs"].as_array().unwrap() {
        for r in run["results"].as_array().unwrap() {
            let id = r["properties"]["findingId"].as_str().unwrap();
            let f = findings(&report)
                .into_iter()
                .find(|f| f["id"] == id)
                .unwrap();
            match (
                f["suppression"]["id"].as_str(),
                f["suppression"]["expired"] == true,
            ) {
                (Some(sid), false) => {
                    sarif_suppressed += 1;
                    let s = &r["suppressions"][0];
                    assert_eq!(s["kind"], "external");
                    assert_eq!(s["state"], "accepted");
                    assert_eq!(s["justification"], f["suppression"]["justification"]);
                    assert_eq!(s["properties"]["suppressionId"], sid);
                }
                (Some(sid), true) => {
                    assert!(r.get("suppressions").is_none(), "{r:#}");
                    assert_eq!(r["properties"]["expiredSuppression"]["id"], sid);
                }
                (None, _) => assert!(r.get("suppressions").is_none(), "{r:#}"),
            }
        }
    }
    assert_eq!(sarif_suppressed, total);
    crate::formats::validate_sarif(&sarif);

    // OCSF: Suppressed, the compliance status still Fail; an expired one is New again.
    let ocsf: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.ocsf.json")).unwrap())
            .unwrap();
    let mut ocsf_suppressed = 0;
    for e in ocsf.as_array().unwrap() {
        match e["unmapped"]["suppression"]["expired"].as_bool() {
            Some(true) => assert_eq!(e["status_id"], 1, "{e:#}"),
            Some(false) | None if e["unmapped"]["suppression"].is_object() => {
                ocsf_suppressed += 1;
                assert_eq!(
                    (&e["status_id"], &e["status"]),
                    (&3.into(), &"Suppressed".into())
                );
                assert_eq!(
                    e["compliance"]["status_id"], 3,
                    "compliance status stays Fail"
                );
                assert!(e["status_detail"].as_str().unwrap().contains("approved by"));
            }
            _ => assert_eq!(e["status_id"], 1),
        }
    }
    assert_eq!(ocsf_suppressed, total);

    // OSCAL: a suppression in force makes the risk an approved deviation, with the suppression
    // as props; an expired one leaves it open.
    let oscal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.oscal.json")).unwrap())
            .unwrap();
    let risks = oscal["assessment-results"]["results"][0]["risks"]
        .as_array()
        .unwrap();
    let prop = |r: &Value, name: &str| {
        r["props"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["value"].as_str())
            .map(String::from)
    };
    let (mut deviations, mut reopened) = (0, 0);
    for r in risks {
        match prop(r, "suppression-state").as_deref() {
            Some("in-force") => {
                deviations += 1;
                assert_eq!(r["status"], "deviation-approved", "{r:#}");
                assert!(prop(r, "suppression-approved-by").is_some(), "{r:#}");
                assert!(prop(r, "suppression-expires").is_some(), "{r:#}");
            }
            Some("expired") => {
                reopened += 1;
                assert_eq!(r["status"], "open", "{r:#}");
                assert_eq!(prop(r, "suppression").as_deref(), Some("dev-admin-ports"));
            }
            Some(other) => panic!("suppression-state {other}"),
            None => assert_eq!(r["status"], "open", "{r:#}"),
        }
    }
    assert_eq!((deviations, reopened), (total, expired_seen));
    crate::formats::validate_oscal(&oscal);

    // CSV: the suppression columns, appended.
    let mut csv = ::csv::Reader::from_path(dir.join("report.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c_id, c_status) = (col("suppression"), col("suppression_status"));
    // Appended after the columns before them; only the fused verdicts' columns and the mark of
    // other tools' unmapped findings follow.
    assert_eq!(
        &header[header.len() - 4..],
        [
            "suppression_expires",
            "verdicts",
            "contradiction",
            "unmapped"
        ]
    );
    let mut rows = (0, 0);
    for rec in csv.records() {
        let rec = rec.unwrap();
        match &rec[c_status] {
            "suppressed" => rows.0 += 1,
            "expired" => {
                rows.1 += 1;
                assert_eq!(&rec[c_id], "dev-admin-ports");
            }
            "" => assert_eq!(&rec[c_id], ""),
            other => panic!("suppression_status {other}"),
        }
    }
    assert_eq!(rows, (total, expired_seen));

    // JSON Lines: the mark travels with the finding.
    let jsonl = std::fs::read_to_string(dir.join("findings.jsonl")).unwrap();
    let marked = jsonl
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["suppression"].is_object())
        .count() as u64;
    assert_eq!(marked, total + expired_seen);

    // Markdown and HTML: a section listing each suppression with what it matched.
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let section = md
        .split("## Suppressions")
        .nth(1)
        .expect("a Suppressions section");
    assert!(
        section.contains("**1 suppression stale:** `old-buckets`"),
        "{section}"
    );
    assert!(
        section.contains("**Expired:** `dev-admin-ports`"),
        "{section}"
    );
    let row = section
        .lines()
        .find(|l| l.starts_with("| `fabrikam-key-rotation`"))
        .unwrap();
    assert!(
        row.contains("tenant=fabrikam, check=aws-iam-access-key-rotation")
            && row.contains("in force")
            && row.ends_with(&format!(
                "| {n} (fabrikam {n}) |",
                n = matched["fabrikam-key-rotation"]
            )),
        "{row}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let section = html
        .split(r#"<section id="suppressions""#)
        .nth(1)
        .expect("a suppressions section")
        .split("</section>")
        .next()
        .unwrap();
    assert!(section.contains("1 suppression stale:"), "{section}");
    for id in [
        "fabrikam-key-rotation",
        "dev-ingress",
        "legacy-lambdas",
        "old-buckets",
    ] {
        assert!(
            section.contains(&format!(r#"<tr data-suppression="{id}">"#)),
            "{id}"
        );
    }
    assert!(section.contains("expired: failing again, the approver must act"));
}

/// `--fail-on` does not count what a suppression in force covers: fabrikam's failures, all
/// suppressed, exit 0 at `--fail-on info` (the unmatched suppressions of other tenants are
/// stale, a warning); without the suppression, or with it expired by the reference day, the
/// same scan exits 1.
#[test]
fn fail_on_ignores_suppressed_findings_until_they_expire() {
    let all = |expires: &str| {
        format!(
            r#"
[[suppression]]
id = "fabrikam-accepted"
tenant = "fabrikam"
justification = "posture accepted at the quarterly review"
approved_by = "Dana Whitfield (Fabrikam CISO)"
expires = "{expires}"
"#
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, mutes: &str| {
        let dir = tmp.path().join(name);
        let config = estate(&dir, mutes);
        let out = scan(
            &dir,
            &config,
            "out",
            &["--tenant", "fabrikam", "--fail-on", "info"],
        );
        (out, dir)
    };
    let (out, dir) = run("in-force", &all("2026-11-01"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = crate::report(&dir.join("out"));
    let fail = report["summary"]["findings"]["fail"].as_u64().unwrap();
    assert!(fail > 0, "fabrikam has failing findings");
    assert_eq!(report["summary"]["findings"]["suppressed"], fail);

    let (out, _) = run("expired", &all("2026-10-31"));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    // Without it: the failures count.
    let (out, dir) = run(
        "other",
        &all("2027-01-01").replace("tenant = \"fabrikam\"", "tenant = \"northwind\""),
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let report = crate::report(&dir.join("out"));
    assert_eq!(
        report["summary"]["stale_suppressions"],
        serde_json::json!(["fabrikam-accepted"])
    );
}

/// `--fail-on-new` against an empty baseline does not count new failures that a suppression
/// in force covers.
#[test]
fn fail_on_new_ignores_suppressed_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let mutes = r#"
[[suppression]]
id = "fabrikam-accepted"
tenant = "fabrikam"
justification = "posture accepted at the quarterly review"
approved_by = "Dana Whitfield (Fabrikam CISO)"
expires = "2027-01-01"
"#;
    let config = estate(tmp.path(), mutes);
    // A baseline with no finding of fabrikam: every failure is new.
    let base = scan(tmp.path(), &config, "base", &["--tenant", "contoso-health"]);
    assert_eq!(base.status.code(), Some(0), "{}", describe(&base));
    let baseline = tmp.path().join("base/report.json");
    let out = scan(
        tmp.path(),
        &config,
        "new",
        &[
            "--tenant",
            "fabrikam",
            "--baseline",
            baseline.to_str().unwrap(),
            "--fail-on-new",
            "info",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 new failing finding(s)"),
        "{}",
        describe(&out)
    );
}

/// Every malformed entry of every file is reported at once, naming the file and the key:
/// missing fields, a bad date, a bad glob, an unknown key, a tenant, target, check or control
/// that does not exist, a duplicate id, a tag that is not key=value, an entry that selects
/// everything. `demarc config check` reports the same, and nothing is scanned.
#[test]
fn malformed_suppressions_are_reported_at_once_with_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = r#"
[[suppression]]
id = "no-approval"
tenant = "fabrikam"
justification = "x"

[[suppression]]
id = "bad-date"
check = "aws-iam-access-key-rotation"
justification = "x"
approved_by = "y"
expires = "31/03/2027"

[[suppression]]
id = "bad-glob"
resource = "vm-[0-9]*"
justification = "x"
approved_by = "y"
expires = "2027-01-01"
reviewer = "z"

[[suppression]]
id = "unknown-names"
tenant = "globex"
target = "globex-aws"
check = "aws-no-such-check"
control = "no-such-control"
justification = "x"
approved_by = "y"
expires = "2027-01-01"

[[suppression]]
id = "bad-date"
tag = "Environment"
justification = "x"
approved_by = "y"
expires = "2027-01-01"

[[suppression]]
id = "everything"
resource = "*"
justification = "x"
approved_by = "y"
expires = "2027-01-01"
"#;
    let config = estate(tmp.path(), bad);
    std::fs::write(
        tmp.path().join("suppressions/second.toml"),
        "[[suppression]]\nid = \"wrong-owner\"\ntenant = \"fabrikam\"\ntarget = \"northwind-aws-dev\"\njustification = \"x\"\napproved_by = \"y\"\nexpires = \"2027-02-30\"\n",
    )
    .unwrap();
    let out = scan(tmp.path(), &config, "out", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let mutes = tmp.path().join("suppressions/mutes.toml");
    let second = tmp.path().join("suppressions/second.toml");
    let (m, s) = (mutes.display().to_string(), second.display().to_string());
    for (file, want) in [
        (&m, "suppression[0].approved_by: is required"),
        (&m, "suppression[0].expires: is required"),
        (&m, "suppression[1].expires: `31/03/2027` is not a date"),
        (
            &m,
            "suppression[2].resource: `vm-[0-9]*`: `[` at character 4 is not supported",
        ),
        (&m, "suppression[2].reviewer: unknown key"),
        (&m, "suppression[3].tenant: no tenant `globex`"),
        (&m, "suppression[3].target: no target `globex-aws`"),
        (
            &m,
            "suppression[3].check: no loaded plugin has check `aws-no-such-check`",
        ),
        (
            &m,
            "suppression[3].control: unknown control `no-such-control`",
        ),
        (
            &m,
            "suppression[4].id: suppression `bad-date` is already defined",
        ),
        (&m, "suppression[4].tag: `Environment` is not `key=value`"),
        (&m, "suppression[5]: selects every failing finding"),
        (
            &s,
            "suppression[0].target: target `northwind-aws-dev` belongs to tenant `northwind`",
        ),
        (&s, "suppression[0].expires: `2027-02-30` is not a date"),
    ] {
        assert!(
            err.contains(&format!("{file}: {want}")),
            "missing `{file}: {want}`:\n{err}"
        );
    }
    assert!(!tmp.path().join("out/report.json").exists());

    let check = demarc(
        &["config", "check", "--config", config.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(check.status.code(), Some(2), "{}", describe(&check));
    assert!(String::from_utf8_lossy(&check.stderr).contains("suppression[1].expires"));

    // A pattern that matches no file is an error too: accepted risks do not vanish silently.
    std::fs::remove_file(&mutes).unwrap();
    std::fs::remove_file(&second).unwrap();
    let out = scan(tmp.path(), &config, "out", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("suppressions[0]: `suppressions/*.toml` matches no file"),
        "{}",
        describe(&out)
    );
}
