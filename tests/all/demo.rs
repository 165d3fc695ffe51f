//! The bundled demo estate, end to end through the real binary: the report validates, every
//! finding is attributed with a basis, every planted failure is found, nothing clean or deleted
//! is flagged, and the output is reproducible.

use std::collections::{BTreeMap, BTreeSet};

use crate::{demarc, describe, report, root, schema::assert_valid};

const PIN: &str = "2026-11-02T00:00:00Z";

fn scan_demo(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let config = root().join("examples/demo/demarc.toml");
    let mut args = vec![
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--pin-time",
        PIN,
    ];
    args.extend_from_slice(extra);
    demarc(&args, out.parent().unwrap())
}

/// The (check, resource) pairs of every `examples/demo/<stem>*.json` file of a cloud.
fn expected_pairs(stem: &str) -> BTreeSet<(String, String)> {
    let dir = root().join("examples/demo");
    let mut pairs = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !(name.starts_with(stem) && name.ends_with(".json")) {
            continue;
        }
        files += 1;
        let map: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&std::fs::read_to_string(dir.join(&name)).unwrap()).unwrap();
        for (check, ids) in map {
            for id in ids {
                pairs.insert((check.clone(), id));
            }
        }
    }
    assert!(files > 0, "no {stem}*.json in {}", dir.display());
    pairs
}

#[test]
fn demo_estate_report_is_complete_attributed_and_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = scan_demo(&out_dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("coverage: complete"), "{stdout}");

    // The report is the golden one (which the renderers' tests also read); BLESS=1 rewrites it.
    let written = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    let golden = root().join("tests/golden/demo-report.json");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &written).unwrap();
    }
    assert!(
        std::fs::read_to_string(&golden).unwrap_or_default() == written,
        "the demo report differs from tests/golden/demo-report.json: rerun with BLESS=1 and review the diff"
    );

    let r = report(&out_dir);
    assert_valid(&r);
    assert!(r["gaps"].as_array().unwrap().is_empty(), "{:#}", r["gaps"]);
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.len() > 200, "only {} findings", findings.len());

    // Every finding has an owner and a basis naming its source, once in `run.bases`; its
    // remediation is its check's, once in `run.plugins[].checks[]`.
    let bases = r["run"]["bases"].as_object().unwrap();
    let remediation = |f: &serde_json::Value| -> String {
        r["run"]["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                // The run holds one version of each plugin: findings leave it out.
                p["name"] == f["source"]["plugin"]
                    && (f["source"].get("version").is_none()
                        || p["version"] == f["source"]["version"])
            })
            .flat_map(|p| p["checks"].as_array().unwrap())
            .find(|c| c["id"] == f["check"]["id"])
            .map(|c| c["remediation"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    for f in findings {
        let resp = &f["responsibility"];
        assert!(resp["owner"].is_string(), "{f:#}");
        let entry = resp["basis"]["entry"].as_str().unwrap();
        assert!(!entry.is_empty(), "{f:#}");
        if resp["basis"]["kind"] == "attestation" {
            // An overdue attestation's basis and remediation are its own: they stay inline.
            assert!(resp["basis"]["source"].is_string(), "{f:#}");
            assert!(f["remediation"].is_string(), "{f:#}");
            continue;
        }
        assert!(resp["basis"].get("source").is_none(), "{f:#}");
        assert!(!bases[entry].as_str().unwrap().is_empty(), "{entry}");
        assert!(f.get("remediation").is_none(), "{f:#}");
        assert!(f["source"].get("sha256").is_none(), "{f:#}");
        assert!(f["source"].get("version").is_none(), "{f:#}");
        // Evidence is written as `[key, value]` pairs.
        for e in f["evidence"].as_array().unwrap() {
            let pair = e.as_array().unwrap();
            assert!(
                pair.len() == 2 && pair.iter().all(|v| v.is_string()),
                "{f:#}"
            );
        }
        assert!(!remediation(f).is_empty(), "{f:#}");
        assert_ne!(
            resp["basis"]["kind"], "assumed",
            "demo types all have a service model: {f:#}"
        );
    }

    // The failing findings are exactly the planted ones, on every cloud.
    let expected = expected_pairs("expected-failures");
    let actual: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["status"] == "fail" && f["provider"] != "demarc")
        .map(|f| {
            (
                f["check"]["id"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let missed: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "planted failures not found: {missed:#?}\nclean resources flagged: {extra:#?}"
    );

    // Overdue customer attestations are failing findings owned by whoever attested them.
    let overdue: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["check"]["id"] == "attestation-current")
        .map(|f| {
            (
                f["resource"]["id"].as_str().unwrap().to_string(),
                f["responsibility"]["owner"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("attestation:northwind/access-review", "third-party"),
        ("attestation:northwind/risk-assessment", "customer"),
        ("attestation:contoso-health/backup-restore-test", "customer"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(overdue, want);

    // Deleted and unrecorded resources produce nothing.
    let skipped: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/demo/expected-skipped.json")).unwrap(),
    )
    .unwrap();
    for id in skipped["skipped"].as_array().unwrap() {
        assert!(
            !findings.iter().any(|f| &f["resource"]["id"] == id),
            "deleted resource {id} has findings"
        );
    }

    // Each of the twelve failure classes of DESIGN.md is found.
    let catalog: toml::Value = toml::from_str(
        &std::fs::read_to_string(root().join("schemas/catalog/controls.toml")).unwrap(),
    )
    .unwrap();
    let class_of: BTreeMap<String, i64> = catalog["control"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["class"].as_integer().unwrap(),
            )
        })
        .collect();
    let found: BTreeSet<i64> = findings
        .iter()
        .filter(|f| f["status"] == "fail")
        .flat_map(|f| f["controls"].as_array().unwrap().iter())
        .map(|c| class_of[c.as_str().unwrap()])
        .collect();
    assert_eq!(found, (1..=12).collect(), "failure classes found");

    // Three tenants, and the summary agrees with the findings.
    assert_eq!(r["tenants"].as_array().unwrap().len(), 3);
    let fails = findings.iter().filter(|f| f["status"] == "fail").count() as u64;
    assert_eq!(r["summary"]["findings"]["fail"].as_u64(), Some(fails));
    assert_eq!(
        r["summary"]["findings"]["total"].as_u64(),
        Some(findings.len() as u64)
    );
}

#[test]
fn attribution_follows_the_matrix_and_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = scan_demo(&out_dir, &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    let by = |tenant: &str, check: &str| {
        findings
            .iter()
            .filter(|f| f["tenant"] == tenant && f["check"]["id"] == check)
            .collect::<Vec<_>>()
    };
    // Guest OS patching on EC2: the customer's, except where the contract hands it to the MSSP.
    for f in by("contoso-health", "aws-ec2-patch-compliance") {
        assert_eq!(f["responsibility"]["owner"], "customer", "{f:#}");
        assert_eq!(f["responsibility"]["basis"]["entry"], "aws/iaas/guest-os");
    }
    let nw = by("northwind", "aws-ec2-patch-compliance");
    assert!(!nw.is_empty());
    for f in nw {
        assert_eq!(f["responsibility"]["owner"], "third-party", "{f:#}");
        assert_eq!(f["responsibility"]["party"], "Bluefin Managed Security");
        assert_eq!(f["responsibility"]["basis"]["kind"], "contract");
    }
    // A public RDS instance: shared network controls on a managed platform, with the warning.
    let rds = by("northwind", "aws-rds-publicly-accessible");
    let public = rds
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("a public RDS instance");
    // The basis entry names the service model and layer; report.json does not repeat them.
    assert_eq!(
        public["responsibility"]["basis"]["entry"],
        "aws/paas/network-controls"
    );
    assert!(public["responsibility"].get("service_model").is_none());
    assert_eq!(public["responsibility"]["owner"], "shared");
    assert_eq!(public["responsibility"]["sharing"], "dependent");
    // ...and still the customer's to fix: `publiclyAccessible` is the customer's setting.
    assert_eq!(public["must_act"], serde_json::json!({"party": "customer"}));
    // The MSSP patches Northwind's EC2 instances under its contract: it must act on them.
    for f in by("northwind", "aws-ec2-patch-compliance") {
        assert_eq!(f["must_act"]["party"], "third-party", "{f:#}");
        assert_eq!(f["must_act"]["name"], "Bluefin Managed Security");
        assert_eq!(f["must_act"]["basis"], "contract:northwind/0");
    }
    // The warning is stated once per provider and control, in `run.notes`.
    let note = |f: &serde_json::Value| {
        assert!(f["responsibility"].get("note").is_none(), "{f:#}");
        r["run"]["notes"][f["provider"].as_str().unwrap()][f["controls"][0].as_str().unwrap()]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(note(public).contains("not private because it is managed"));
    // S3 without a customer key: the misattribution warning says the provider default is not it.
    let s3 = by("northwind", "aws-s3-bucket-cmk-encryption");
    let f = s3
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("an S3 bucket without CMK");
    assert!(note(f).contains("SSE-S3"), "{f:#}");
}

/// Every check of the built-in plugins decides on the customer's own configuration, so no
/// failing finding is anyone's to fix but the customer's or the third party its contract names;
/// the summary says so in words, and counts failures on shared controls apart.
#[test]
fn every_failing_finding_names_who_must_act_and_it_is_never_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = scan_demo(&out_dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    let (mut customer, mut on_shared, mut third) = (0, 0, 0);
    for f in findings.iter().filter(|f| f["status"] == "fail") {
        let party = f["must_act"]["party"].as_str().unwrap();
        match party {
            "customer" => {
                customer += 1;
                assert!(f["must_act"].get("name").is_none(), "{f:#}");
                if f["responsibility"]["owner"] == "shared" {
                    on_shared += 1;
                }
            }
            "third-party" => {
                third += 1;
                // Only a tenant's contract names a third party.
                let basis = f["must_act"]["basis"].as_str().unwrap();
                assert!(
                    basis.starts_with(&format!("contract:{}/", f["tenant"].as_str().unwrap()))
                        || basis.starts_with("attestation:"),
                    "{f:#}"
                );
                assert!(f["must_act"]["name"].is_string(), "{f:#}");
            }
            other => panic!("a failing customer setting is the {other}'s to fix: {f:#}"),
        }
    }
    assert!(on_shared > 0, "the demo has failures on shared controls");
    let s = &r["summary"];
    assert_eq!(s["to_fix"]["customer"]["shared"], on_shared);
    assert_eq!(
        s["by_must_act"]["customer"]["fail"].as_u64().unwrap()
            + s["by_must_act"]["third-party"]["fail"].as_u64().unwrap(),
        s["findings"]["fail"].as_u64().unwrap()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let sentence = format!(
        "Of the failures, {customer} are the customer's to fix, {on_shared} of them on controls shared with the provider (the provider supplies the capability, the customer must use it); {third} belong to third parties under contract; and 0 are the provider's."
    );
    assert!(stdout.contains(&sentence), "{stdout}");
    assert!(!stdout.contains("shared with the provider\n"), "{stdout}");
}

#[test]
fn the_same_input_gives_byte_identical_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    assert_eq!(scan_demo(&a, &["--quiet"]).status.code(), Some(0));
    assert_eq!(scan_demo(&b, &["--quiet"]).status.code(), Some(0));
    let ra = std::fs::read(a.join("report.json")).unwrap();
    let rb = std::fs::read(b.join("report.json")).unwrap();
    assert!(
        ra == rb,
        "reports differ between two runs of the same input"
    );
}

#[test]
fn fail_on_sets_exit_code_one_and_tenant_filters() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = scan_demo(&out_dir, &["--fail-on", "critical", "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    // fabrikam has no critical failure: exit 0 at that threshold, 1 at low.
    let out = scan_demo(
        &out_dir,
        &["--tenant", "fabrikam", "--fail-on", "critical", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["tenant"] == "fabrikam")
    );
    let out = scan_demo(
        &out_dir,
        &["--tenant", "fabrikam", "--fail-on", "low", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    let out = scan_demo(&out_dir, &["--tenant", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn shards_cover_the_plan_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    assert_eq!(scan_demo(&full, &["--quiet"]).status.code(), Some(0));
    let all: BTreeSet<String> = report(&full)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let mut union = BTreeSet::new();
    for i in 1..=3 {
        let dir = tmp.path().join(format!("s{i}"));
        let shard = format!("{i}/3");
        assert_eq!(
            scan_demo(&dir, &["--shard", &shard, "--quiet"])
                .status
                .code(),
            Some(0)
        );
        let r = report(&dir);
        assert_eq!(r["run"]["shard"], shard.as_str());
        for f in r["findings"].as_array().unwrap() {
            assert!(
                union.insert(f["id"].as_str().unwrap().to_string()),
                "finding in two shards"
            );
        }
    }
    assert_eq!(union, all);
}

#[test]
fn cross_cloud_report_attributes_each_cloud_by_its_own_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = scan_demo(&out_dir, &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();

    // One report, every cloud, every tenant on more than one cloud.
    let clouds: BTreeSet<&str> = ["aws", "azure", "gcp"].into();
    let mut per_tenant: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f["provider"] != "demarc") {
        per_tenant
            .entry(f["tenant"].as_str().unwrap())
            .or_default()
            .insert(f["provider"].as_str().unwrap());
    }
    for (tenant, providers) in &per_tenant {
        assert!(clouds.is_subset(providers), "{tenant} is on {providers:?}");
    }
    // The summary agrees with the findings, cloud by cloud.
    for cloud in &clouds {
        let fails = findings
            .iter()
            .filter(|f| f["provider"] == *cloud && f["status"] == "fail")
            .count() as u64;
        let total = findings.iter().filter(|f| f["provider"] == *cloud).count() as u64;
        assert!(fails > 0, "{cloud} has no failing finding");
        assert_eq!(
            r["summary"]["by_provider"][cloud]["fail"].as_u64(),
            Some(fails),
            "{cloud}"
        );
        assert_eq!(
            r["summary"]["by_provider"][cloud]["total"].as_u64(),
            Some(total),
            "{cloud}"
        );
    }

    // A matrix basis entry is `<provider>/<service model>/<layer>`.
    let entry = |f: &serde_json::Value| {
        f["responsibility"]["basis"]["entry"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A guest-OS finding on an Azure VM is the customer's (no contract covers Azure).
    let guest_os: Vec<_> = findings
        .iter()
        .filter(|f| f["provider"] == "azure" && entry(f).ends_with("/guest-os"))
        .collect();
    assert!(!guest_os.is_empty());
    for f in &guest_os {
        assert_eq!(
            f["resource"]["type"].as_str().unwrap().to_ascii_lowercase(),
            "microsoft.compute/virtualmachines",
            "{f:#}"
        );
        assert_eq!(f["responsibility"]["owner"], "customer", "{f:#}");
        assert_eq!(entry(f), "azure/iaas/guest-os", "{f:#}");
    }
    // App Service and Functions (PaaS/FaaS) get no guest-OS finding at all.
    for f in findings {
        let ty = f["resource"]["type"].as_str().unwrap().to_ascii_lowercase();
        if ty.starts_with("microsoft.web/sites") {
            assert!(!entry(f).ends_with("/guest-os"), "{f:#}");
            assert!(
                entry(f).starts_with("azure/paas/") || entry(f).starts_with("azure/faas/"),
                "{f:#}"
            );
        }
    }
    assert!(findings.iter().any(|f| {
        f["resource"]["type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("microsoft.web/sites")
    }));
}

/// Standard error is not a terminal here: progress comes as plain lines, the last one saying
/// where the scan ended; `--quiet` shows none.
#[test]
fn progress_is_plain_lines_off_a_terminal_and_nothing_when_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let config = root().join("examples/demo/demarc.toml");
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "scan",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out,
            "--progress-every",
            "0.01",
        ];
        args.extend_from_slice(extra);
        crate::demarc(&args, tmp.path())
    };
    let out = run(&[], "loud");
    assert!(out.status.success(), "{}", crate::describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rfind(|l| l.starts_with("progress: "))
        .unwrap_or_else(|| panic!("no progress line in {err}"));
    // The demo's targets are in the file its configuration includes.
    let targets: usize = std::fs::read_to_string(root().join("examples/demo/tenants.toml"))
        .unwrap()
        .matches("[[tenant.target]]")
        .count();
    assert!(targets > 0);
    assert!(
        last.starts_with(&format!("progress: {targets}/{targets} targets · "))
            && last.ends_with("(scan done)"),
        "{last}"
    );
    let quiet = run(&["--quiet"], "quiet");
    assert!(quiet.status.success(), "{}", crate::describe(&quiet));
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("progress:"),
        "{}",
        crate::describe(&quiet)
    );
}
