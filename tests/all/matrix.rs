//! `demarc matrix` on the demo estate: golden files of the customer responsibility matrix for
//! two tenants and two frameworks each, and for the well-run tenant's PCI DSS, in which
//! inherited, satisfied, failing, partial, attested, overdue and not-assessed requirements all
//! occur. Set `BLESS=1` to rewrite them
//! after an intended change, and review the diff.

use std::collections::BTreeSet;

use crate::{demarc, describe, root};

const CASES: &[(&str, &str)] = &[
    ("northwind", "pci-dss-4.0"),
    ("northwind", "hipaa-security"),
    ("contoso-health", "hipaa-security"),
    ("contoso-health", "iso-27001-2022"),
    ("northwind", "cis-aws-7.0"),
    ("northwind", "cis-azure-6.0"),
    ("northwind", "cis-gcp-5.0"),
    ("fabrikam", "pci-dss-4.0"),
];

#[test]
fn the_customer_responsibility_matrix_matches_its_golden_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let config = root().join("examples/demo/demarc.toml");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--pin-time",
            "2026-11-02T00:00:00Z",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = out_dir.join("report.json");
    let mut statuses = BTreeSet::new();
    for (tenant, framework) in CASES {
        let out = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
            ],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let golden = root().join(format!("tests/golden/matrix-{tenant}-{framework}.txt"));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        assert!(
            text == want,
            "{} differs from the output; rerun with BLESS=1 and review the diff.\n--- output\n{text}",
            golden.display()
        );

        let json = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
                "--format",
                "json",
            ],
            tmp.path(),
        );
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let rows = v["requirements"].as_array().unwrap();
        assert!(!rows.is_empty());
        for r in rows {
            statuses.insert(r["status"].as_str().unwrap().to_string());
            // Every requirement has an owner, and evidence or a named gap.
            assert!(r["owner"].is_string());
            assert!(
                !r["evidence"].as_array().unwrap().is_empty() || r["gap"].is_string(),
                "{r:#}"
            );
        }
        let csv = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
                "--format",
                "csv",
            ],
            tmp.path(),
        );
        let csv = String::from_utf8(csv.stdout).unwrap();
        assert!(csv.starts_with(
            "requirement,controls,owner,parties,status,evidence,attestations,gap,checks\n"
        ));
        assert_eq!(csv.lines().count(), rows.len() + 1);

        // Each provider attestation is stated once, numbered, and the rows cite it by number.
        let cited = v["attestations"].as_array().unwrap();
        for (i, a) in cited.iter().enumerate() {
            let id = a["id"].as_str().unwrap();
            let described = format!(
                "{id} — {}: {}; period ",
                a["provider"].as_str().unwrap(),
                a["title"].as_str().unwrap()
            );
            assert_eq!(
                text.matches(&described).count(),
                1,
                "{described} in\n{text}"
            );
            let table = &text[text.find("\nrequirement ").unwrap()..];
            assert!(
                !table.contains(a["title"].as_str().unwrap()) && !table.contains("valid until"),
                "the table repeats {id}:\n{text}"
            );
            assert!(text.contains(&format!("  [{}] {id} — ", i + 1)), "{text}");
            assert!(
                rows.iter().any(|r| r["attestations"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|x| x == id))),
                "{id} is listed but cited by no row"
            );
        }
    }
    for want in [
        "inherited",
        "satisfied",
        "failing",
        "partial",
        "attested",
        "overdue",
        "not-assessed",
    ] {
        assert!(
            statuses.contains(want),
            "no `{want}` requirement in the golden cases: {statuses:?}"
        );
    }
}

/// PCI DSS 10.3.2 and 10.3.4 (log integrity) were `satisfied` on the demo although only the
/// AWS production account evidenced them: the Azure and Google Cloud checks found nothing to
/// evaluate, and the AWS dev account has no trail. The roll-up claims only what it saw.
#[test]
fn log_integrity_is_partial_and_names_every_account_without_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let config = root().join("examples/demo/demarc.toml");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    for req in ["10.3.2", "10.3.4"] {
        let row = report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["tenant"] == "northwind"
                    && r["framework"] == "pci-dss-4.0"
                    && r["requirement"] == req
            })
            .unwrap();
        assert_eq!(row["status"], "partial", "{row:#}");
        let gap = row["gap"].as_str().unwrap();
        for want in [
            "aws 482913650388 (no finding",
            "azure 5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71 (3 not-applicable findings",
            "azure 9a4e2b71-c3d5-4f86-b0a2-e7d1c5f3b894 (no finding",
            "gcp 418203957711 (2 not-applicable findings",
            "gcp 418203961152 (no finding",
        ] {
            assert!(gap.contains(want), "{req}: missing {want:?} in {gap}");
        }
        // The evidenced account, and the management group, folder and organization (which
        // hold no logs), are not listed.
        for not in [
            "482913650271",
            "mg-northwind-prod",
            "folders/",
            "organizations/",
        ] {
            assert!(!gap.contains(not), "{req}: {not} in {gap}");
        }
    }
    // The attestations the rows cite are each described once in the run.
    let described: Vec<&str> = report["run"]["provider_attestations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for row in report["controls"].as_array().unwrap() {
        for id in row["attestations"].as_array().into_iter().flatten() {
            assert!(described.contains(&id.as_str().unwrap()), "{id} in {row:#}");
        }
    }
}

#[test]
fn the_matrix_names_unknown_tenants_and_frameworks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = demarc(
        &[
            "matrix",
            "--tenant",
            "x",
            "--framework",
            "y",
            "--in",
            "nope.json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.json"));
}
