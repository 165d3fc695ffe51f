//! Importers: another tool's output configured as a target (`importer = "prowler-ocsf"`), read by
//! the built-in importer plugin of its cloud, its findings attributed and rolled up like native
//! ones, the findings of its checks that map to no control kept in the report's `unmapped` list
//! and counted; an unknown importer is a configuration error.

use crate::{demarc, describe, gaps, report, root, write_config};

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("plugins/import/tests/fixtures").join(name)
}

#[test]
fn an_unknown_importer_is_a_configuration_error_naming_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-prowler"
provider = "aws"
importer = "prowler-csv"
snapshot = "prowler"
[[tenant.target]]
id = "nw-other"
provider = "tinycloud"
importer = "prowler-ocsf"
snapshot = "prowler"
[[tenant.target]]
id = "nw-azure-hub"
provider = "azure"
importer = "asff"
snapshot = "securityhub"
"#,
    );
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "demarc.toml: tenant[0].target[0].importer: unknown importer `prowler-csv` (known: prowler-ocsf, asff, defender, scc, sarif)"
        ),
        "{err}"
    );
    assert!(
        err.contains("tenant[0].target[1].importer: no built-in importer imports findings of provider `tinycloud`"),
        "{err}"
    );
    assert!(
        err.contains("tenant[0].target[2].importer: importer `asff` imports aws findings: its target's provider must be `aws`, not `azure`"),
        "{err}"
    );
}

#[test]
fn prowler_findings_are_imported_attributed_and_rolled_up_and_unmapped_checks_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("prowler");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(fixture("prowler-aws.ocsf.json"), snap.join("aws.ocsf.json")).unwrap();
    std::fs::copy(fixture("prowler-gcp.ocsf.json"), snap.join("gcp.ocsf.json")).unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "2026-11-01T12:00:00Z"
[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-aws-prowler"
provider = "aws"
importer = "prowler-ocsf"
snapshot = "prowler"
inputs = ["aws.ocsf.json"]
[[tenant.target]]
id = "nw-gcp-prowler"
provider = "gcp"
importer = "prowler-ocsf"
snapshot = "prowler"
inputs = ["gcp.ocsf.json"]
"#,
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    // The unmapped checks lose nothing, and every resource type is placed: no gap.
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    let by_check = |id: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["check"]["id"] == id).collect()
    };
    let ev = |f: &serde_json::Value, key: &str| -> Option<String> {
        f["evidence"]
            .as_array()?
            .iter()
            .find_map(|e| (e[0] == key).then(|| e[1].as_str().unwrap_or_default().to_string()))
    };

    let transport = by_check("prowler-s3-bucket-secure-transport-policy");
    assert_eq!(transport.len(), 1, "{findings:#?}");
    let t = transport[0];
    assert_eq!(t["status"], "fail");
    assert_eq!(t["provider"], "aws");
    assert_eq!(t["source"]["plugin"], "import-aws");
    assert_eq!(t["controls"], serde_json::json!(["enc-in-transit"]));
    assert_eq!(ev(t, "tool").as_deref(), Some("prowler"));
    assert_eq!(ev(t, "tool.version").as_deref(), Some("5.14.1"));
    assert_eq!(
        ev(t, "tool.check").as_deref(),
        Some("s3_bucket_secure_transport_policy")
    );
    // Attributed by the responsibility model like a native finding: Prowler's `AwsS3Bucket` is
    // the matrix's `AWS::S3::Bucket` (abstracted; data is shared), no assumed owner.
    assert_eq!(t["responsibility"]["owner"], "shared", "{t:#}");
    assert_eq!(
        t["responsibility"]["basis"]["entry"], "aws/abstracted/data",
        "{t:#}"
    );
    assert_eq!(t["resource"]["type"], "AwsS3Bucket");
    assert!(
        !gaps(&r)
            .iter()
            .any(|g| g["kind"] == "unattributed" && g["target"] == "nw-aws-prowler"),
        "{:#?}",
        gaps(&r)
    );

    // A bare Google Cloud firewall name, renamed as demarc names it; the tool's name is kept.
    let fw = by_check("prowler-compute-firewall-ssh-access-from-the-internet-allowed");
    assert_eq!(fw.len(), 1);
    assert_eq!(
        fw[0]["resource"]["id"],
        "//compute.googleapis.com/projects/nw-retail-prod/global/firewalls/default-allow-ssh"
    );
    assert_eq!(
        ev(fw[0], "tool.resource").as_deref(),
        Some("default-allow-ssh")
    );
    // Prowler's `FirewallRule` is the matrix's `compute.googleapis.com/Firewall` by a spelling
    // the matrix states (its letters alone do not give it): a VPC firewall is infrastructure,
    // its rules the customer's, and the owner is not assumed.
    assert_eq!(fw[0]["resource"]["type"], "FirewallRule");
    assert_eq!(fw[0]["responsibility"]["owner"], "customer", "{:#}", fw[0]);
    let basis = &fw[0]["responsibility"]["basis"];
    assert!(
        basis["kind"].is_null(),
        "a matrix basis, not assumed: {basis:#}"
    );
    assert!(
        basis["entry"].as_str().unwrap().starts_with("gcp/iaas/"),
        "{basis:#}"
    );

    // The aws file's gcp finding belongs to the gcp target, which reads its own file only.
    assert!(by_check("prowler-cloudstorage-bucket-public-access").is_empty());
    assert_eq!(findings.len(), 3 + 2, "{findings:#?}");

    // The declared checks are the plugin's, with their mapping and citation.
    let plugins = r["run"]["plugins"].as_array().unwrap();
    let import_aws = plugins.iter().find(|p| p["name"] == "import-aws").unwrap();
    let text = import_aws.to_string();
    assert!(
        text.contains("prowler-s3-bucket-secure-transport-policy"),
        "{text}"
    );
    assert!(text.contains("cis-aws-7.0"), "{text}");

    // Unmapped checks: no gap; their findings are kept in `unmapped`, as the tool reported
    // them, not attributed, and counted in the summary.
    let kinds: Vec<(String, String)> = gaps(&r)
        .iter()
        .map(|g| (g["kind"].to_string(), g["target"].to_string()))
        .collect();
    assert_eq!(kinds, []);
    let unmapped = r["unmapped"].as_array().expect("unmapped findings");
    assert_eq!(unmapped.len(), 3, "{unmapped:#?}");
    for u in unmapped {
        assert_eq!(u["target"], "nw-aws-prowler");
        assert_eq!(u["source"]["plugin"], "import-aws");
        assert!(u.get("responsibility").is_none() && u.get("controls").is_none());
    }
    let guardduty: Vec<_> = unmapped
        .iter()
        .filter(|u| ev(u, "tool.check").as_deref() == Some("guardduty_is_enabled"))
        .collect();
    assert_eq!(guardduty.len(), 2);
    assert_eq!(
        guardduty.iter().filter(|u| u["status"] == "fail").count(),
        1
    );
    assert_eq!(guardduty[0]["check"]["id"], "prowler-guardduty-is-enabled");
    assert_eq!(r["summary"]["unmapped"]["total"], 3);
    assert_eq!(r["summary"]["unmapped"]["fail"], 1);
    // Declared with no control.
    let declared = import_aws["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "prowler-guardduty-is-enabled")
        .expect("the unmapped check is declared");
    assert_eq!(declared["controls"], serde_json::json!([]));
    // The HTML report counts them per check.
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.contains(r#"<section id="unmapped""#) && html.contains("3 findings of 2 tool checks"),
        "no unmapped section"
    );
    // `--fail-on` counts them by severity like any other failure (see the summary's unit test).
    assert_eq!(
        r["summary"]["unmapped_failing_by_severity"],
        serde_json::json!({"medium": 1})
    );

    // Rolled up into the controls like native findings.
    let rollup = r["controls"].to_string();
    assert!(
        rollup.contains("enc-in-transit"),
        "no roll-up of enc-in-transit"
    );
    assert!(rollup.contains("mgmt-port-exposure"));
}

#[test]
fn security_hub_findings_are_imported_by_control_and_archived_ones_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("securityhub");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(fixture("securityhub.asff.json"), snap.join("findings.json")).unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "2026-11-01T12:00:00Z"
[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-aws-securityhub"
provider = "aws"
importer = "asff"
snapshot = "securityhub"
"#,
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    // A GuardDuty detection (no control result) is a gap: the run says it is incomplete. The
    // unmapped control's finding is kept under `unmapped`.
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6, "{findings:#?}");
    let of = |id: &str| -> &serde_json::Value {
        findings
            .iter()
            .find(|f| f["check"]["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let ev = |f: &serde_json::Value, key: &str| -> Option<String> {
        f["evidence"]
            .as_array()?
            .iter()
            .find_map(|e| (e[0] == key).then(|| e[1].as_str().unwrap_or_default().to_string()))
    };
    let s38 = of("securityhub-s3.8");
    assert_eq!(s38["status"], "fail");
    assert_eq!(s38["source"]["plugin"], "import-aws");
    assert_eq!(
        s38["controls"],
        serde_json::json!(["public-resource-access"])
    );
    assert_eq!(ev(s38, "tool").as_deref(), Some("securityhub"));
    assert_eq!(ev(s38, "tool.check").as_deref(), Some("S3.8"));
    assert_eq!(
        s38["resource"]["id"],
        "arn:aws:s3:::nw-prod-assets-482913650271"
    );
    let kms = of("securityhub-kms.4");
    assert_eq!(kms["status"], "fail");
    assert_eq!(ev(kms, "tool.workflow").as_deref(), Some("SUPPRESSED"));
    assert_eq!(of("securityhub-ec2.8")["status"], "manual");
    assert_eq!(of("securityhub-rds.2")["status"], "error");
    // The archived finding is counted as skipped, not imported.
    let target = r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "nw-aws-securityhub")
        .unwrap();
    assert_eq!(target["skipped"], 1, "{target:#}");
    assert!(!findings.iter().any(|f| {
        f["resource"]["id"]
            .as_str()
            .unwrap_or_default()
            .contains("nw-old-exports")
    }));
    let gap_text = serde_json::to_string(&gaps(&r)).unwrap();
    assert_eq!(gaps(&r).len(), 1, "{gap_text}");
    assert!(
        gap_text.contains("1 finding(s) of GuardDuty have no `Compliance.Status`"),
        "{gap_text}"
    );
    let unmapped = r["unmapped"].as_array().unwrap();
    assert_eq!(unmapped.len(), 1, "{unmapped:#?}");
    assert_eq!(
        ev(&unmapped[0], "tool.check").as_deref(),
        Some("GuardDuty.1")
    );
    assert_eq!(unmapped[0]["status"], "fail");
    // Rolled up like native findings.
    let rollup = r["controls"].to_string();
    assert!(rollup.contains("public-resource-access"));
    assert!(rollup.contains("key-rotation"));
}

#[test]
fn defender_assessments_are_imported_by_assessment_key() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("defender");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(
        fixture("defender-assessments.arg.json"),
        snap.join("assessments.json"),
    )
    .unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "2026-11-01T12:00:00Z"
[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-azure-defender"
provider = "azure"
importer = "defender"
snapshot = "defender"
"#,
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    // The unmapped assessment is kept under `unmapped`: nothing lost, the run is complete.
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6, "{findings:#?}");
    let transfer: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["check"]["id"] == "defender-1c5de8e1-f68d-6a17-e0d2-ec259c42768c")
        .collect();
    assert_eq!(transfer.len(), 2);
    let web = transfer
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("the failing storage account");
    assert_eq!(web["source"]["plugin"], "import-azure");
    assert_eq!(web["controls"], serde_json::json!(["enc-in-transit"]));
    // Named as demarc names Azure resources (lower case); Defender's spelling kept.
    assert_eq!(
        web["resource"]["id"],
        "/subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourcegroups/rg-nw-web/providers/microsoft.storage/storageaccounts/nwwebdata"
    );
    let text = web.to_string();
    assert!(text.contains("tool.resource"), "{text}");
    assert!(text.contains("RG-NW-WEB"), "{text}");
    let target = r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "nw-azure-defender")
        .unwrap();
    assert_eq!(target["skipped"], 1, "{target:#}");
    assert!(gaps(&r).is_empty(), "{:#?}", gaps(&r));
    let unmapped = r["unmapped"].as_array().unwrap();
    assert_eq!(unmapped.len(), 1, "{unmapped:#?}");
    assert_eq!(
        unmapped[0]["check"]["id"],
        "defender-620671b8-6661-273a-38ac-4574967750ec"
    );
    let rollup = r["controls"].to_string();
    assert!(rollup.contains("enc-in-transit"));
    assert!(rollup.contains("mgmt-port-exposure"));
}

#[test]
fn scc_findings_are_imported_by_category() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("scc");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(fixture("scc-findings.json"), snap.join("findings.json")).unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "2026-11-01T12:00:00Z"
[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-gcp-scc"
provider = "gcp"
importer = "scc"
snapshot = "scc"
"#,
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    // The unmapped category is kept under `unmapped`: the run is complete.
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    // The inactive finding is not current: no verdict, counted as skipped.
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let target = &r["run"]["targets"][0];
    assert_eq!(target["skipped"], 1, "{target:#}");
    let bucket = findings
        .iter()
        .find(|f| f["check"]["id"] == "scc-public-bucket-acl")
        .unwrap();
    assert_eq!(bucket["status"], "fail");
    assert_eq!(bucket["source"]["plugin"], "import-gcp");
    assert_eq!(
        bucket["controls"],
        serde_json::json!(["public-resource-access"])
    );
    assert_eq!(
        bucket["resource"]["id"],
        "//storage.googleapis.com/nw-retail-prod-web-assets"
    );
    assert_eq!(bucket["account"], "481209374652");
    assert_eq!(bucket["resource"]["type"], "storage.googleapis.com/Bucket");
    assert!(
        findings
            .iter()
            .all(|f| f["check"]["id"] != "scc-open-ssh-port")
    );
    assert!(gaps(&r).is_empty(), "{:#?}", gaps(&r));
    let unmapped = r["unmapped"].as_array().unwrap();
    assert_eq!(unmapped.len(), 1, "{unmapped:#?}");
    assert_eq!(unmapped[0]["check"]["id"], "scc-web-ui-enabled");
    let rollup = r["controls"].to_string();
    assert!(rollup.contains("public-resource-access"));
    assert!(rollup.contains("key-rotation"));
}

#[test]
fn sarif_results_are_imported_by_rule_id_at_their_file_location() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("iac");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(fixture("iac.sarif"), snap.join("results.sarif")).unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "2026-11-01T12:00:00Z"
[[tenant]]
id = "northwind"
[[tenant.target]]
id = "nw-aws-iac"
provider = "aws"
importer = "sarif"
snapshot = "iac"
"#,
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    // Checkov's unmapped rule and Trivy's (no mapping) are kept under `unmapped`; the gap is
    // that results located in IaC files have no resource type a matrix covers.
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let acl = findings
        .iter()
        .find(|f| f["check"]["id"] == "checkov-ckv-aws-20")
        .unwrap();
    assert_eq!(acl["status"], "fail");
    assert_eq!(acl["source"]["plugin"], "import-aws");
    assert_eq!(acl["resource"]["id"], "infra/storage.tf:12");
    assert_eq!(
        acl["controls"],
        serde_json::json!(["public-resource-access"])
    );
    assert!(
        gaps(&r).iter().all(|g| g["kind"] == "unattributed"),
        "{:#?}",
        gaps(&r)
    );
    let unmapped: Vec<&str> = r["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["check"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(unmapped, ["checkov-ckv-aws-144", "trivy-avd-aws-0086"]);
}
