//! Several tools over one estate: demarc's own findings and Prowler's imported ones for the same
//! resources fused into one finding with every tool's verdict (fail closed, contradictions
//! marked) in every format.

use crate::{demarc, describe, report, root};

/// Scan the demo with its Prowler imports (`examples/demo/tools.toml`) into `out`.
pub fn scan_tools(out: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let config = root().join("examples/demo/tools.toml");
    let mut args = vec![
        "scan",
        "--quiet",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--pin-time",
        "2026-11-02T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    let run = demarc(&args, out.parent().unwrap());
    // The Prowler checks that map to no control are gaps: the run says it is incomplete.
    assert_eq!(run.status.code(), Some(3), "{}", describe(&run));
    report(out)
}

fn verdicts(f: &serde_json::Value) -> Vec<(String, String, String)> {
    f["verdicts"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    (
                        v["tool"].as_str().unwrap().to_string(),
                        v["check"].as_str().unwrap().to_string(),
                        v["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn t(tool: &str, check: &str, status: &str) -> (String, String, String) {
    (tool.into(), check.into(), status.into())
}

#[test]
fn findings_of_two_tools_on_one_resource_and_control_are_fused_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = scan_tools(&out, &["--tenant", "fabrikam", "--format", "all"]);
    let findings = r["findings"].as_array().unwrap();
    let find = |resource: &str, control: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| f["resource"]["id"] == resource && f["controls"][0] == control)
            .collect()
    };

    // A contradiction: demarc fails the key's rotation, Prowler passes it. Fail closed, with
    // both verdicts and each tool's evidence.
    let user = "arn:aws:iam::905817263340:user/terraform-ci";
    let rotation = find(user, "credential-rotation");
    assert_eq!(rotation.len(), 1, "{rotation:#?}");
    let f = rotation[0];
    assert_eq!(f["status"], "fail");
    assert_eq!(f["contradiction"], true);
    assert_eq!(f["check"]["id"], "aws-iam-access-key-rotation");
    assert_eq!(
        verdicts(f),
        [
            t("demarc", "aws-iam-access-key-rotation", "fail"),
            t("prowler", "iam_rotate_access_key_90_days", "pass"),
        ]
    );
    let prowler = &f["verdicts"][1];
    assert_eq!(prowler["version"], "5.14.1");
    assert_eq!(
        prowler["declared_as"],
        "prowler-iam-rotate-access-key-90-days"
    );
    assert!(
        prowler["message"]
            .as_str()
            .unwrap()
            .contains("does not have access keys older than 90 days"),
        "{prowler}"
    );
    assert!(!f["verdicts"][0]["evidence"].as_array().unwrap().is_empty());

    // An agreement: one finding, no contradiction.
    let logging = find(
        "arn:aws:s3:::fabrikam-tf-state-905817263340",
        "access-logging",
    );
    assert_eq!(logging.len(), 1);
    assert_eq!(logging[0]["status"], "fail");
    assert!(logging[0].get("contradiction").is_none());
    assert_eq!(verdicts(logging[0]).len(), 2);

    // One tool's findings are never fused with each other: each fused finding holds one
    // verdict per tool, and demarc's two public-access checks of a bucket stay two findings.
    for f in findings.iter().filter(|f| f["verdicts"].is_array()) {
        let tools: std::collections::BTreeSet<String> =
            verdicts(f).into_iter().map(|v| v.0).collect();
        assert_eq!(tools.len(), verdicts(f).len(), "{f:#}");
    }
    assert_eq!(
        find(
            "arn:aws:s3:::fabrikam-app-data-905817263340",
            "public-resource-access"
        )
        .len(),
        2
    );

    // Counted: the fabrikam import holds 9 findings; guardduty's maps to nothing, the other
    // 8 meet a demarc finding each.
    assert_eq!(r["summary"]["fused"], 8, "{:#}", r["summary"]);
    assert_eq!(r["summary"]["contradictions"], 1);
    let imported_alone = findings
        .iter()
        .filter(|f| f["source"]["plugin"] == "import-aws")
        .count();
    assert_eq!(
        imported_alone, 0,
        "every imported fabrikam finding was fused"
    );
    assert_eq!(
        r["summary"]["findings"]["total"].as_u64().unwrap(),
        findings.len() as u64
    );

    // Every renderer shows the verdicts.
    let csv = std::fs::read_to_string(out.join("report.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",verdicts,contradiction"), "{header}");
    let row = csv
        .lines()
        .find(|l| l.contains(user) && l.contains("credential-rotation"))
        .unwrap();
    assert!(
        row.contains(r#"[[""demarc"",""fail""],[""prowler"",""pass""]]"#),
        "{row}"
    );
    assert!(row.ends_with(",true"), "{row}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("**Tools compared:** 8 findings"), "{md}");
    assert!(md.contains("1 contradiction"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<dt>Tools disagree</dt>"));
    assert!(html.contains("iam_rotate_access_key_90_days"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.sarif")).unwrap()).unwrap();
    crate::formats::validate_sarif(&sarif);
    let fused_result = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["results"].as_array().unwrap())
        .find(|r| r["properties"]["contradiction"] == true)
        .expect("a SARIF result with the contradiction");
    assert_eq!(fused_result["properties"]["verdicts"][1]["tool"], "prowler");
    let oscal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.oscal.json")).unwrap())
            .unwrap();
    crate::formats::validate_oscal(&oscal);
    let oscal_text = oscal.to_string();
    assert!(
        oscal_text.contains("prowler iam_rotate_access_key_90_days pass"),
        "OSCAL observation props carry the verdicts"
    );
    let ocsf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.ocsf.json")).unwrap())
            .unwrap();
    assert!(
        ocsf.as_array()
            .unwrap()
            .iter()
            .any(|e| e["unmapped"]["contradiction"] == true
                && e["unmapped"]["verdicts"][1]["check"] == "iam_rotate_access_key_90_days")
    );
}

/// `tools-tenants.toml` is `tenants.toml` and the import targets between its `# [import]`
/// marks: the plain demo and the two-tool demo scan the same estate.
#[test]
fn the_two_tool_demo_has_the_demo_tenants_and_its_imports_only() {
    let plain = std::fs::read_to_string(root().join("examples/demo/tenants.toml")).unwrap();
    let tools = std::fs::read_to_string(root().join("examples/demo/tools-tenants.toml")).unwrap();
    let mut kept = Vec::new();
    let mut inside = false;
    let mut blocks = 0;
    for line in tools.lines() {
        if line.starts_with("# [import] begin") {
            assert!(!inside, "nested import block");
            inside = true;
            blocks += 1;
        } else if line.starts_with("# [import] end") {
            inside = false;
        } else if !inside {
            kept.push(line);
        }
    }
    assert!(!inside, "an import block is not closed");
    assert_eq!(blocks, 3);
    // Each block is followed or preceded by one blank line of its own.
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(strip(&kept.join("\n")), strip(&plain));
}

fn validate_against(schema: &serde_json::Value, doc: &serde_json::Value) {
    let v = jsonschema::options()
        .build(schema)
        .expect("the schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// `demarc evaluate` over the two-tool demo: the agreements, contradictions, unmapped checks and
/// uncovered controls by id, in evaluation.json (valid against its schema), evaluation.md
/// (contradictions first) and evaluation.html (self-contained, as Chromium renders it).
#[test]
fn evaluate_names_contradictions_agreements_unmapped_checks_and_uncovered_controls() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    scan_tools(&out, &[]);
    let eval_dir = tmp.path().join("evaluation");
    let run = demarc(
        &[
            "evaluate",
            out.join("report.json").to_str().unwrap(),
            "--out",
            eval_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(run.status.code(), Some(0), "{}", describe(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.starts_with("5 contradiction(s), 20 agreement(s)"),
        "{stdout}"
    );

    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval_dir.join("evaluation.json")).unwrap())
            .unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/json/evaluation.schema.json")).unwrap(),
    )
    .unwrap();
    validate_against(&schema, &ev);
    assert_eq!(ev["schema"], "demarc.evaluation/0.1");

    let key = |a: &serde_json::Value| {
        format!(
            "{} {} {}",
            a["tenant"].as_str().unwrap(),
            a["control"].as_str().unwrap(),
            a["resource"].as_str().unwrap()
        )
    };
    let contradictions: Vec<String> = ev["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(
        contradictions,
        [
            "contoso-health enc-at-rest arn:aws:ec2:us-east-2:731204958826:volume/vol-00641b68504739e08",
            "contoso-health mfa arn:aws:iam::731204958826:user/m.garcia",
            "fabrikam credential-rotation arn:aws:iam::905817263340:user/terraform-ci",
            "northwind mgmt-port-exposure arn:aws:ec2:us-east-1:482913650271:security-group/sg-05470745b06189377",
            "northwind access-logging arn:aws:s3:::nw-prod-assets-482913650271",
        ]
    );
    // Each contradiction names both tools with their evidence.
    let sg = &ev["contradictions"][3];
    assert_eq!(sg["verdicts"][0]["tool"], "demarc");
    assert_eq!(sg["verdicts"][0]["status"], "fail");
    assert!(
        sg["verdicts"][0]["evidence"]
            .to_string()
            .contains("port 22 (SSH)")
    );
    assert_eq!(sg["verdicts"][1]["tool"], "prowler");
    assert_eq!(
        sg["verdicts"][1]["check"],
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    );
    assert_eq!(sg["verdicts"][1]["status"], "pass");

    let by_outcome = |outcome: &str| -> Vec<String> {
        ev["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["outcome"] == outcome)
            .map(key)
            .collect()
    };
    let agreements = by_outcome("agreement");
    assert_eq!(agreements.len(), 20);
    for a in [
        "northwind db-public-access arn:aws:rds:us-east-1:482913650271:db:nw-prod-reporting",
        "contoso-health root-account-protection arn:aws:iam::731204958826:root",
        "fabrikam access-logging arn:aws:s3:::fabrikam-tf-state-905817263340",
    ] {
        assert!(agreements.iter().any(|x| x == a), "{a}: {agreements:#?}");
    }
    // Prowler alone: a check demarc lacks, and resources demarc's snapshot does not hold.
    let alone = by_outcome("single-tool");
    for a in [
        "northwind enc-at-rest arn:aws:s3:::nw-prod-assets-482913650271",
        "northwind public-resource-access arn:aws:s3:::nw-marketing-site-482913650271",
        "contoso-health enc-at-rest arn:aws:s3:::contoso-dicom-staging",
    ] {
        assert!(alone.iter().any(|x| x == a), "{a}");
    }
    assert_eq!(ev["summary"]["single_tool"]["prowler"], 4);

    // Unmapped Prowler checks, by tenant and check id.
    let unmapped: Vec<String> = ev["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {}",
                u["tenant"].as_str().unwrap(),
                u["tool"].as_str().unwrap(),
                u["check"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        unmapped,
        [
            "contoso-health prowler account_security_contact_information_is_registered",
            "fabrikam prowler guardduty_is_enabled",
            "northwind prowler account_maintain_current_contact_details",
            "northwind prowler guardduty_is_enabled",
        ]
    );

    // Controls in scope no tool assessed, e.g. Contoso Health's security training (HIPAA).
    let uncovered: Vec<String> = ev["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {}",
                u["tenant"].as_str().unwrap(),
                u["control"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!uncovered.is_empty());
    assert!(
        uncovered.iter().all(|u| !u.ends_with(" enc-at-rest")),
        "enc-at-rest is assessed everywhere: {uncovered:#?}"
    );

    // Coverage per tool and framework: prowler covers a part of what demarc covers.
    let pci = ev["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tenant"] == "fabrikam" && c["framework"] == "pci-dss-4.0")
        .expect("fabrikam is assessed against PCI DSS");
    let pct = |tool: &str| -> f64 {
        pci["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tool"] == tool)
            .unwrap()["percent"]
            .as_f64()
            .unwrap()
    };
    assert!(
        pct("demarc") > pct("prowler") && pct("prowler") > 0.0,
        "{pci:#}"
    );

    let md = std::fs::read_to_string(eval_dir.join("evaluation.md")).unwrap();
    let first = md.find("## ").unwrap();
    assert_eq!(&md[first..first + 17], "## Contradictions");
    assert!(md.contains("`terraform-ci`") || md.contains("terraform-ci"));

    let html_path = eval_dir.join("evaluation.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    for external in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(!html.contains(external), "evaluation.html loads {external}");
    }
    let dom = crate::browser::dump_dom(&html_path);
    assert!(dom.contains("id=\"agreement-chart\""), "the chart renders");
    assert!(dom.contains("<b id=\"contradictions\">5</b>"), "{dom}");
    assert_eq!(dom.matches("<tr class=\"contradiction\">").count(), 5);
    assert!(dom.contains("id=\"matrix\""));
    assert!(dom.find("Contradictions").unwrap() < dom.find("Coverage per framework").unwrap());
}

/// Bad input to `demarc evaluate`: exit 2 naming the file.
#[test]
fn evaluate_refuses_what_is_not_a_report_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let not_json = tmp.path().join("notes.txt");
    std::fs::write(&not_json, "hello").unwrap();
    let other = tmp.path().join("old.json");
    std::fs::write(
        &other,
        r#"{"schema":"demarc.report/0.1","tenants":[],"findings":[]}"#,
    )
    .unwrap();
    let missing = tmp.path().join("missing.json");
    for (file, words) in [
        (&not_json, "not a demarc report"),
        (&other, "demarc.report/0.1"),
        (&missing, "cannot read"),
    ] {
        let run = demarc(
            &[
                "evaluate",
                file.to_str().unwrap(),
                "--out",
                tmp.path().join("o").to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(run.status.code(), Some(2), "{}", describe(&run));
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            err.contains(file.to_str().unwrap()) && err.contains(words),
            "{err}"
        );
    }
}

/// A two-tool report merged again (`demarc merge` of the run's own report) is the same report:
/// its fused findings are kept whole, in place, and counted again the same.
#[test]
fn a_fused_report_merges_into_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let single = scan_tools(&whole, &["--tenant", "fabrikam", "--tenant", "northwind"]);
    let config = root().join("examples/demo/tools.toml");
    let merged = tmp.path().join("merged");
    let run = demarc(
        &[
            "merge",
            whole.join("report.json").to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(run.status.code(), Some(3), "{}", describe(&run));
    let m = report(&merged);
    assert_eq!(single["summary"]["fused"], 17, "{:#}", single["summary"]);
    assert_eq!(m["findings"], single["findings"]);
    assert_eq!(m["summary"], single["summary"]);
}
