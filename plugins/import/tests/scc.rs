//! The Google Security Command Center importer, natively: `gcloud scc findings list
//! --format=json` output (a bare array) and the API's page (`listFindingsResults`), and
//! malformed input (truncated, another tool's format, an unknown state, a missing resource id),
//! each a problem at its file and position with nothing else lost.

mod common;
use common::{Run, run};
use demarc_sdk::testing::evidence;
use demarc_sdk::{Finding, ProblemKind, ScanError, ScanSummary, Severity, Status};

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");
demarc_plugin_import::export_importer!(Gcp, "gcp", "import-gcp");

const SCC: &str = include_str!("fixtures/scc-findings.json");
const DEFENDER: &str = include_str!("fixtures/defender-assessments.arg.json");

impl Run {
    fn summary(&self) -> &ScanSummary {
        self.result.as_ref().expect("the scan ran to its end")
    }
    fn one(&self, id: &str) -> &Finding {
        let of: Vec<&Finding> = self.findings.iter().filter(|f| f.check_id == id).collect();
        assert_eq!(of.len(), 1, "{id}: {:#?}", self.findings);
        of[0]
    }
    fn problems(&self, kind: ProblemKind) -> Vec<&str> {
        self.summary()
            .problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.error.message.as_str())
            .collect()
    }
    fn unsupported(&self) -> String {
        match &self.result {
            Err(ScanError::UnsupportedFormat(e)) => e.message.clone(),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn gcloud_findings_are_imported_by_category() {
    let r = run::<Gcp>(&[("scc.json", SCC)], Some("scc"));
    let s = r.summary();
    // Five findings: three imported, one inactive (skipped), one of an unmapped category.
    assert_eq!(r.findings.len(), 3, "{:#?}", r.findings);
    assert_eq!(s.skipped, 1);
    let bucket = r.one("scc-public-bucket-acl");
    assert_eq!(bucket.status, Status::Fail);
    assert_eq!(
        bucket.resource.id,
        "//storage.googleapis.com/nw-retail-prod-web-assets"
    );
    // SCC's legacy type name, as Cloud Asset Inventory and demarc's gcp plugin name it.
    assert_eq!(bucket.resource.native_type, "storage.googleapis.com/Bucket");
    assert_eq!(
        r.one("scc-sql-public-ip").resource.native_type,
        "sqladmin.googleapis.com/Instance"
    );
    // The project number of `resource.projectName`, as demarc's gcp plugin names the account.
    assert_eq!(bucket.account, "481209374652");
    assert_eq!(bucket.region, "global");
    assert_eq!(evidence(bucket, "tool"), Some("scc"));
    assert_eq!(evidence(bucket, "tool.check"), Some("PUBLIC_BUCKET_ACL"));
    assert_eq!(evidence(bucket, "finding.state"), Some("ACTIVE"));
    let check = r.declared("scc-public-bucket-acl");
    assert_eq!(check.controls, ["public-resource-access"]);
    assert_eq!(check.severity, Severity::High);
    // SCC's CIS versions are not the one demarc holds: mapped by the table.
    assert!(check.requirements.is_empty());

    // INACTIVE: not current (fixed, deleted or marked so), no verdict: not a pass.
    assert!(r.findings.iter().all(|f| f.check_id != "scc-open-ssh-port"));
    assert!(r.declared.iter().all(|c| c.id != "scc-open-ssh-port"));
    // Muted: kept, with its mute in evidence.
    let sql = r.one("scc-sql-public-ip");
    assert_eq!(sql.status, Status::Fail);
    assert_eq!(evidence(sql, "tool.mute"), Some("MUTED"));
    assert!(sql.message.contains("muted in Security Command Center"));
    // The location in the resource name.
    assert_eq!(r.one("scc-kms-key-not-rotated").region, "europe-west1");

    // The unmapped category: declared with no control, its finding kept.
    assert!(r.declared("scc-web-ui-enabled").controls.is_empty());
    assert_eq!(r.unmapped_of("scc-web-ui-enabled").0, 1);
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
}

#[test]
fn the_api_page_is_read_sniffed_and_said_to_be_incomplete() {
    let rows: serde_json::Value = serde_json::from_str(SCC).unwrap();
    let page = serde_json::to_string_pretty(&serde_json::json!({
        "listFindingsResults": rows,
        "readTime": "2026-11-01T07:00:00Z",
        "nextPageToken": "CiBvcmdhbml6YXRpb25zLzgwNDUxNzMyOTE1Ng",
        "totalSize": 212
    }))
    .unwrap();
    let r = run::<Gcp>(&[("page.json", &page)], None);
    assert_eq!(r.findings.len(), 3);
    let incomplete = r.problems(ProblemKind::IncompleteInput);
    assert_eq!(incomplete.len(), 1);
    assert!(incomplete[0].contains("`nextPageToken`"));
}

/// The account: the project number of `resource.projectName`, else the project id
/// (`resource.projectDisplayName`), else the project in the resource's name.
#[test]
fn the_account_is_the_project_number_else_the_project_id() {
    assert_eq!(
        demarc_plugin_import::scc::project_number(
            "//cloudresourcemanager.googleapis.com/projects/418203957711"
        ),
        Some("418203957711")
    );
    assert_eq!(
        demarc_plugin_import::scc::project_number(
            "//cloudresourcemanager.googleapis.com/projects/nw-retail-prod"
        ),
        None
    );
    let text = edited(|v| {
        v[0]["resource"]
            .as_object_mut()
            .unwrap()
            .remove("projectName");
        let r = v[2]["resource"].as_object_mut().unwrap();
        r.remove("projectName");
        r.remove("projectDisplayName");
    });
    let r = run::<Gcp>(&[("scc.json", &text)], Some("scc"));
    assert_eq!(r.one("scc-public-bucket-acl").account, "nw-retail-prod");
    // `//sqladmin.googleapis.com/projects/nw-retail-prod/instances/...`
    assert_eq!(r.one("scc-sql-public-ip").account, "nw-retail-prod");
    assert_eq!(r.one("scc-kms-key-not-rotated").account, "481209374652");
}

fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(SCC).unwrap();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn unknown_state_and_missing_resource_id_are_problems_and_nothing_else_is_lost() {
    let text = edited(|v| {
        v[0]["finding"]["state"] = "STATE_UNSPECIFIED".into();
        v[1]["finding"]["state"] = "ACTIVE".into();
        v[1]["finding"]
            .as_object_mut()
            .unwrap()
            .remove("resourceName");
        v[1]["resource"].as_object_mut().unwrap().remove("name");
    });
    let r = run::<Gcp>(&[("e.json", &text)], Some("scc"));
    let bad = r.problems(ProblemKind::MalformedInput);
    assert_eq!(bad.len(), 2, "{bad:#?}");
    assert!(bad[0].contains("item 0: category `PUBLIC_BUCKET_ACL`: unknown `finding.state` `STATE_UNSPECIFIED` (Security Command Center writes ACTIVE or INACTIVE)"), "{}", bad[0]);
    assert!(
        bad[1]
            .contains("item 1: category `OPEN_SSH_PORT`: no resource id (`finding.resourceName`)"),
        "{}",
        bad[1]
    );
    let line = text.lines().position(|l| l == "  {").map(|i| i as u32 + 1);
    assert_eq!(r.summary().problems[0].error.line, line);
    assert_eq!(r.findings.len(), 2);
}

#[test]
fn a_truncated_export_keeps_what_came_before() {
    let cut = &SCC[..SCC.find("KMS_KEY_NOT_ROTATED").unwrap()];
    let r = run::<Gcp>(&[("cut.json", cut)], Some("scc"));
    let Err(ScanError::MalformedInput(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert_eq!(e.file, "cut.json");
    assert!(e.line.is_some());
    assert_eq!(r.findings.len(), 2);
}

#[test]
fn another_tools_format_is_named() {
    let r = run::<Gcp>(&[("d.json", DEFENDER)], Some("scc"));
    assert!(r.unsupported().contains(
        "this is Microsoft Defender for Cloud assessments, not SCC findings; import it with `importer = \"defender\"`"
    ), "{}", r.unsupported());
    let r = run::<Aws>(&[("scc.json", SCC)], Some("scc"));
    assert!(r.unsupported().contains("are gcp findings"));
    let r = run::<Aws>(&[("scc.json", SCC)], Some("asff"));
    assert!(r.unsupported().contains(
        "this is Google Security Command Center findings, not ASFF; import it with `importer = \"scc\"`"
    ), "{}", r.unsupported());
}
