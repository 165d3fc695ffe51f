//! Several tools over one estate: demarc's own findings and the imported ones of Prowler, AWS
//! Security Hub, Defender for Cloud and Security Command Center for the same resources fused
//! into one finding with every tool's verdict (fail closed, contradictions marked) in every
//! format, and compared by `demarc evaluate`.

use crate::{demarc, describe, report, root};

/// Scan the demo with its imports of other tools (`examples/demo/tools.toml`) into `out`.
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
    let r = report(out);
    // The tool checks that map to no control lose nothing (their findings are kept under
    // `unmapped`); the one loss is Northwind's GuardDuty detection in the Security Hub output,
    // which is no control result and is not imported: the run says it is incomplete then.
    let gaps = r["gaps"].as_array().unwrap();
    for g in gaps {
        assert_eq!(g["target"], "northwind-aws-securityhub", "{g}");
        assert!(
            g["message"]
                .as_str()
                .unwrap()
                .contains("of GuardDuty have no `Compliance.Status`"),
            "{g}"
        );
    }
    let want = if gaps.is_empty() { 0 } else { 3 };
    assert_eq!(run.status.code(), Some(want), "{}", describe(&run));
    r
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
    assert!(
        header.ends_with(",verdicts,contradiction,unmapped"),
        "{header}"
    );
    let row = csv
        .lines()
        .find(|l| l.contains(user) && l.contains("credential-rotation"))
        .unwrap();
    assert!(
        row.contains(r#"[[""demarc"",""fail""],[""prowler"",""pass""]]"#),
        "{row}"
    );
    assert!(row.ends_with(",true,"), "{row}");
    // Fabrikam's Prowler check that maps to no control (GuardDuty) is a marked row, a SARIF
    // result of its own rule and an OCSF event, none of them attributed.
    assert!(
        csv.lines()
            .any(|l| l.contains("guardduty_is_enabled") && l.ends_with(",true")),
        "no unmapped CSV row"
    );
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
    let unmapped_result = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["results"].as_array().unwrap())
        .find(|r| r["properties"]["unmapped"] == true)
        .expect("a SARIF result of an unmapped check");
    assert_eq!(unmapped_result["ruleId"], "prowler-guardduty-is-enabled");
    assert!(unmapped_result["properties"].get("owner").is_none());
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
    assert!(
        ocsf.as_array()
            .unwrap()
            .iter()
            .any(|e| e["unmapped"]["unmapped"] == true
                && e["finding_info"]["analytic"]["uid"] == "prowler-guardduty-is-enabled"
                && e["compliance"].get("control").is_none())
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
    // Prowler for each tenant's AWS account; Security Hub, Defender and SCC for Northwind's.
    assert_eq!(blocks, 6);
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
        stdout.starts_with("10 contradiction(s), 42 agreement(s), 1 differing"),
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
            "northwind mgmt-port-exposure arn:aws:ec2:eu-west-1:482913650271:security-group/sg-09d9faf96cbf0edf7",
            "northwind mgmt-port-exposure arn:aws:ec2:us-east-1:482913650271:security-group/sg-05470745b06189377",
            "northwind runtime-supported arn:aws:lambda:us-east-1:482913650271:function:nw-legacy-thumbnailer",
            "northwind access-logging arn:aws:s3:::nw-prod-assets-482913650271",
            "northwind data-versioning /subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourcegroups/rg-nw-security/providers/microsoft.keyvault/vaults/kv-nw-prod",
            "northwind enc-in-transit /subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourcegroups/rg-nw-web/providers/microsoft.storage/storageaccounts/nwprodweblogs",
            "northwind network-ingress-restriction //compute.googleapis.com/projects/nw-retail-prod/global/firewalls/nw-allow-https",
        ]
    );
    // Each contradiction names both tools with their evidence.
    let sg = &ev["contradictions"][4];
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
    // Security Hub's port-22 control sides with demarc.
    assert_eq!(sg["verdicts"][2]["tool"], "securityhub");
    assert_eq!(sg["verdicts"][2]["check"], "EC2.13");
    assert_eq!(sg["verdicts"][2]["status"], "fail");

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
    assert_eq!(agreements.len(), 42);
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
        "contoso-health enc-at-rest arn:aws:s3:::contoso-dicom-staging",
    ] {
        assert!(alone.iter().any(|x| x == a), "{a}");
    }
    // The marketing site's bucket, which demarc's snapshot does not hold: Prowler and Security
    // Hub agree on it.
    assert!(agreements.iter().any(
        |x| x == "northwind public-resource-access arn:aws:s3:::nw-marketing-site-482913650271"
    ));
    assert_eq!(
        ev["summary"]["single_tool"],
        serde_json::json!({"defender": 4, "demarc": 808, "prowler": 3, "scc": 2, "securityhub": 1})
    );

    // Tool checks that map to no control, by tenant and check id, with their findings (kept in
    // the report's `unmapped`) and of them the failing ones.
    let unmapped: Vec<String> = ev["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {} {}/{}",
                u["tenant"].as_str().unwrap(),
                u["tool"].as_str().unwrap(),
                u["check"].as_str().unwrap(),
                u["failing"],
                u["findings"]
            )
        })
        .collect();
    assert_eq!(
        unmapped,
        [
            "contoso-health prowler account_security_contact_information_is_registered 0/1",
            "fabrikam prowler guardduty_is_enabled 0/1",
            "northwind prowler account_maintain_current_contact_details 0/1",
            "northwind prowler guardduty_is_enabled 1/1",
            "northwind securityhub Config.1 1/1",
            "northwind defender ffff0522-1e88-47fc-8382-2a80ba848f5d 2/2",
        ]
    );
    let r = report(&out);
    assert_eq!(r["unmapped"].as_array().unwrap().len(), 7);
    assert_eq!(r["summary"]["unmapped"]["total"], 7);

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
    assert!(dom.contains("<b id=\"contradictions\">10</b>"), "{dom}");
    assert_eq!(dom.matches("<tr class=\"contradiction\">").count(), 10);
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
    assert_eq!(single["summary"]["fused"], 49, "{:#}", single["summary"]);
    assert_eq!(m["findings"], single["findings"]);
    assert_eq!(m["summary"], single["summary"]);
}

/// Northwind assessed by five tools: demarc, Prowler, and what AWS Security Hub, Defender for
/// Cloud and Security Command Center hold for its AWS account, Azure subscription and Google Cloud
/// project. `demarc evaluate` names where the new tools agree and contradict, what they alone
/// assess, and what no tool covers; archived (Security Hub) and inactive (SCC) findings are no
/// verdict at all, while suppressed (Security Hub) and muted (SCC) ones keep theirs and say so.
#[test]
fn security_hub_defender_and_scc_are_compared_and_archived_or_inactive_findings_are_no_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = scan_tools(&out, &["--tenant", "northwind"]);
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
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval_dir.join("evaluation.json")).unwrap())
            .unwrap();

    // Every assessment: "control resource" → [(tool, tool check, status)].
    let mut all = std::collections::BTreeMap::new();
    for a in ev["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(ev["assessments"].as_array().unwrap())
    {
        let key = format!(
            "{} {}",
            a["control"].as_str().unwrap(),
            a["resource"].as_str().unwrap()
        );
        let mut vs = verdicts(a);
        vs.sort();
        all.insert(key, (a["outcome"].as_str().unwrap().to_string(), vs));
    }
    let of = |key: &str| -> &(String, Vec<(String, String, String)>) {
        all.get(key).unwrap_or_else(|| panic!("{key} not assessed"))
    };
    let sub = "/subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourcegroups";
    let sg_eu = "arn:aws:ec2:eu-west-1:482913650271:security-group/sg-09d9faf96cbf0edf7";

    // Contradictions of each new tool with demarc.
    for (key, tool, check, status) in [
        // Security Hub's EC2.13 looks at port 22; the group opens RDP to the internet.
        (
            format!("mgmt-port-exposure {sg_eu}"),
            "securityhub",
            "EC2.13",
            "pass",
        ),
        // The account widened Lambda.2's `runtime` parameter to a deprecated runtime.
        (
            "runtime-supported arn:aws:lambda:us-east-1:482913650271:function:nw-legacy-thumbnailer"
                .to_string(),
            "securityhub",
            "Lambda.2",
            "pass",
        ),
        // Defender checks soft delete; demarc fails the vault for its missing purge protection.
        (
            format!(
                "data-versioning {sub}/rg-nw-security/providers/microsoft.keyvault/vaults/kv-nw-prod"
            ),
            "defender",
            "78211c00-15a9-336e-17c4-0b48613dadf4",
            "pass",
        ),
        // SCC flags every rule open to the internet; demarc passes one that opens port 443 only.
        (
            "network-ingress-restriction //compute.googleapis.com/projects/nw-retail-prod/global/firewalls/nw-allow-https"
                .to_string(),
            "scc",
            "OPEN_FIREWALL",
            "fail",
        ),
    ] {
        let (outcome, vs) = of(&key);
        assert_eq!(outcome, "contradiction", "{key}: {vs:?}");
        assert!(vs.contains(&t(tool, check, status)), "{key}: {vs:?}");
        assert!(vs.iter().any(|v| v.0 == "demarc"), "{key}: {vs:?}");
    }

    // Agreements: three tools on the public reporting database and the unrotated key, Defender
    // on the subscription's owners without MFA, SCC on the SSH rule and the public Cloud SQL
    // instance.
    for (key, tools) in [
        (
            "db-public-access arn:aws:rds:us-east-1:482913650271:db:nw-prod-reporting".to_string(),
            &["demarc", "prowler", "securityhub"][..],
        ),
        (
            "key-rotation arn:aws:kms:us-east-1:482913650271:key/a18dd654-8ce7-5710-b36c-985d965b426c"
                .to_string(),
            &["demarc", "prowler", "securityhub"],
        ),
        (
            "mfa /subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71".to_string(),
            &["defender", "demarc"],
        ),
        (
            format!("public-resource-access {sub}/rg-nw-web/providers/microsoft.storage/storageaccounts/nwprodassets"),
            &["defender", "demarc"],
        ),
        (
            "mgmt-port-exposure //compute.googleapis.com/projects/nw-retail-prod/global/firewalls/default-allow-ssh"
                .to_string(),
            &["demarc", "scc"],
        ),
        (
            "db-public-access //cloudsql.googleapis.com/projects/nw-retail-prod/instances/nw-orders-pg"
                .to_string(),
            &["demarc", "scc"],
        ),
    ] {
        let (outcome, vs) = of(&key);
        assert_eq!(outcome, "agreement", "{key}: {vs:?}");
        let met: std::collections::BTreeSet<&str> = vs.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(met.into_iter().collect::<Vec<_>>(), tools, "{key}");
        assert!(vs.iter().all(|v| v.2 == "fail"), "{key}: {vs:?}");
    }
    // Defender's exemption is its not-applicable: differing from demarc's pass, no contradiction.
    let (outcome, vs) = of(&format!(
        "public-resource-access {sub}/rg-nw-web/providers/microsoft.storage/storageaccounts/nwprodweblogs"
    ));
    assert_eq!(outcome, "differing");
    assert!(vs.contains(&t(
        "defender",
        "51fd8bb1-0db4-bbf1-7e2b-cfcba7eb66a6",
        "not-applicable"
    )));

    // What one new tool alone assesses: an account setting demarc does not read (EBS default
    // encryption), the VMs' management ports (demarc reads their security groups), a storage
    // account demarc has no finding for, the log bucket's locked retention.
    for (key, tool) in [
        (
            "enc-at-rest arn:aws:iam::482913650271:root".to_string(),
            "securityhub",
        ),
        (
            format!(
                "mgmt-port-exposure {sub}/rg-nw-web/providers/microsoft.compute/virtualmachines/nw-jump-01"
            ),
            "defender",
        ),
        (
            format!(
                "enc-in-transit {sub}/rg-nw-legacy/providers/microsoft.storage/storageaccounts/nwprodoldexports"
            ),
            "defender",
        ),
        (
            "log-integrity //storage.googleapis.com/nw-retail-prod-access-logs".to_string(),
            "scc",
        ),
    ] {
        let (outcome, vs) = of(&key);
        assert_eq!(outcome, "single-tool", "{key}: {vs:?}");
        assert!(vs.iter().all(|v| v.0 == tool), "{key}: {vs:?}");
    }
    let single = &ev["summary"]["single_tool"];
    assert_eq!(single["securityhub"], 1, "{single}");
    assert_eq!(single["defender"], 4, "{single}");
    // SCC: the log bucket's locked retention and the project's OS Login.
    assert_eq!(single["scc"], 2, "{single}");

    // Archived and inactive findings are no verdict: not a pass, not a contradiction.
    // Security Hub's archived S3.8 on the exports bucket (demarc passes it) left nothing behind,
    // nor did its archived S3.5 on a deleted bucket.
    let (_, vs) = of("public-resource-access arn:aws:s3:::nw-prod-orders-exports-482913650271");
    assert!(vs.iter().all(|v| v.0 == "demarc"), "{vs:?}");
    assert!(all.keys().all(|k| !k.contains("nw-prod-tmp-exports")));
    // SCC's inactive findings: the disabled RDP rule, the invoices bucket made private.
    for key in [
        "mgmt-port-exposure //compute.googleapis.com/projects/nw-retail-prod/global/firewalls/nw-allow-rdp-legacy",
        "public-resource-access //storage.googleapis.com/nw-retail-prod-invoices",
    ] {
        let (outcome, vs) = of(key);
        assert_eq!(outcome, "single-tool", "{key}");
        assert!(vs.iter().all(|v| v.0 == "demarc"), "{key}: {vs:?}");
    }
    // Each skipped, counted by its target.
    let skipped = |target: &str| {
        r["run"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == target)
            .unwrap()["skipped"]
            .clone()
    };
    assert_eq!(skipped("northwind-aws-securityhub"), 2);
    assert_eq!(skipped("northwind-gcp-scc"), 2);
    assert_eq!(skipped("northwind-azure-defender"), 0);

    // Suppressed in Security Hub, resolved by hand, muted in SCC: each keeps its verdict and says so.
    let findings = r["findings"].as_array().unwrap();
    let verdict_of = |resource: &str, control: &str, tool: &str| -> serde_json::Value {
        findings
            .iter()
            .filter(|f| f["resource"]["id"] == resource && f["controls"][0] == control)
            .flat_map(|f| f["verdicts"].as_array().cloned().unwrap_or_default())
            .find(|v| v["tool"] == tool)
            .unwrap_or_else(|| panic!("no {tool} verdict on {control} of {resource}"))
    };
    // Evidence is written as `[key, value]` pairs.
    let evidence = |v: &serde_json::Value, key: &str| -> Option<String> {
        v["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[0] == key)
            .map(|e| e[1].as_str().unwrap().to_string())
    };
    let suppressed = verdict_of(
        "arn:aws:s3:::nw-prod-cloudtrail-482913650271",
        "access-logging",
        "securityhub",
    );
    assert_eq!(suppressed["status"], "fail");
    assert_eq!(
        evidence(&suppressed, "tool.workflow").as_deref(),
        Some("SUPPRESSED")
    );
    assert!(
        suppressed["message"]
            .as_str()
            .unwrap()
            .contains("suppressed in securityhub"),
        "{suppressed}"
    );
    let resolved = verdict_of(
        "arn:aws:s3:::nw-prod-s3-access-logs-482913650271",
        "access-logging",
        "securityhub",
    );
    assert_eq!(resolved["status"], "fail");
    assert!(
        resolved["message"]
            .as_str()
            .unwrap()
            .contains("but its last evaluation is FAILED"),
        "{resolved}"
    );
    let muted = verdict_of(
        "//cloudsql.googleapis.com/projects/nw-retail-prod/instances/nw-orders-pg",
        "enc-in-transit",
        "scc",
    );
    assert_eq!(muted["status"], "fail");
    assert_eq!(evidence(&muted, "tool.mute").as_deref(), Some("MUTED"));
    assert!(
        muted["message"]
            .as_str()
            .unwrap()
            .contains("muted in Security Command Center"),
        "{muted}"
    );

    // Controls in scope no tool assessed for Northwind: those the provider's or the customer's
    // attestations answer, and the drills and tests no scanner sees.
    let uncovered: Vec<&str> = ev["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["control"].as_str().unwrap())
        .collect();
    assert_eq!(
        uncovered,
        [
            "app-control-documentation",
            "backup-restore-test",
            "host-os-patching",
            "hypervisor-isolation",
            "incident-response-drill",
            "infrastructure-network",
            "physical-security",
            "security-awareness-training",
        ]
    );
    // Coverage: each new tool covers part of PCI DSS, less than demarc.
    let pci = ev["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["framework"] == "pci-dss-4.0")
        .unwrap();
    let covered = |tool: &str| -> u64 {
        pci["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tool"] == tool)
            .unwrap()["covered"]
            .as_u64()
            .unwrap()
    };
    for tool in ["securityhub", "defender", "scc"] {
        assert!(
            covered(tool) > 0 && covered(tool) < covered("demarc"),
            "{tool}: {pci:#}"
        );
    }
    // No finding of the new tools went unattributed.
    assert!(
        r["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["kind"] != "unattributed"),
        "{:#}",
        r["gaps"]
    );
}
