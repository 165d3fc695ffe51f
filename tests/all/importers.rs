//! Importers: another tool's output configured as a target (`importer = "prowler-ocsf"`), read by
//! the built-in importer plugin of its cloud, its findings attributed and rolled up like native
//! ones, its unmapped checks reported with counts; an unknown importer is a configuration error.

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
            "demarc.toml: tenant[0].target[0].importer: unknown importer `prowler-csv` (known: prowler-ocsf)"
        ),
        "{err}"
    );
    assert!(
        err.contains("tenant[0].target[1].importer: no built-in importer imports findings of provider `tinycloud`"),
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
    // The unmapped checks are gaps: the run says it is incomplete.
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
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

    // Unmapped checks: one gap each, with counts, at the file and position of the first finding.
    let unmapped: Vec<serde_json::Value> = gaps(&r)
        .into_iter()
        .filter(|g| {
            g["message"]
                .as_str()
                .unwrap_or_default()
                .contains("unmapped")
        })
        .collect();
    assert_eq!(unmapped.len(), 2, "{:#?}", gaps(&r));
    for g in &unmapped {
        assert_eq!(g["target"], "nw-aws-prowler");
        assert!(
            g["file"].as_str().unwrap().ends_with("aws.ocsf.json"),
            "{g}"
        );
        assert!(g["line"].as_u64().is_some());
    }
    assert!(unmapped.iter().any(|g| {
        g["message"]
            .as_str()
            .unwrap()
            .contains("`guardduty_is_enabled` maps to no catalog control")
            && g["message"]
                .as_str()
                .unwrap()
                .contains("2 finding(s), 1 failing")
    }));

    // Rolled up into the controls like native findings.
    let rollup = r["controls"].to_string();
    assert!(
        rollup.contains("enc-in-transit"),
        "no roll-up of enc-in-transit"
    );
    assert!(rollup.contains("mgmt-port-exposure"));
}
