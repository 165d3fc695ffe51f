//! The Microsoft Defender for Cloud importer, natively: assessments as Azure Resource Graph
//! exports them (the REST response, `az graph query` output, a bare array of rows), and malformed
//! input (truncated, another tool's format, an unknown status, a missing resource id), each a
//! problem at its file and position with nothing else lost.

mod common;
use common::{Run, run};
use demarc_plugin_import::defender::{assessed_resource, resource_type};
use demarc_sdk::testing::evidence;
use demarc_sdk::{Finding, ProblemKind, ScanError, ScanSummary, Severity, Status};

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");
demarc_plugin_import::export_importer!(Azure, "azure", "import-azure");

const ARG: &str = include_str!("fixtures/defender-assessments.arg.json");
const AZ: &str = include_str!("fixtures/defender-assessments.az.json");
const SECURITY_HUB: &str = include_str!("fixtures/securityhub.asff.json");
const SUB: &str = "5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71";
const TRANSFER: &str = "defender-1c5de8e1-f68d-6a17-e0d2-ec259c42768c";

impl Run {
    fn summary(&self) -> &ScanSummary {
        self.result.as_ref().expect("the scan ran to its end")
    }
    fn of(&self, id: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check_id == id).collect()
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
fn resource_graph_assessments_are_imported_by_assessment_key() {
    let r = run::<Azure>(&[("arg.json", ARG)], Some("defender"));
    let s = r.summary();
    // Eight rows: six imported, one of an AWS connector's resource (skipped), one unmapped
    // (kept as such).
    assert_eq!(r.findings.len(), 6, "{:#?}", r.findings);
    assert_eq!(r.unmapped.len(), 1, "{:#?}", r.unmapped);
    assert_eq!(s.resources, 7);
    assert_eq!(s.skipped, 1);

    let transfer = r.of(TRANSFER);
    assert_eq!(transfer.len(), 2);
    let web = transfer
        .iter()
        .find(|f| f.resource.id.ends_with("/nwwebdata"))
        .unwrap();
    assert_eq!(web.status, Status::Fail);
    assert_eq!(
        web.resource.id,
        format!(
            "/subscriptions/{SUB}/resourceGroups/RG-NW-WEB/providers/Microsoft.Storage/storageAccounts/nwwebdata"
        )
    );
    assert_eq!(
        web.resource.native_type,
        "microsoft.storage/storageaccounts"
    );
    assert_eq!(web.account, SUB);
    assert_eq!(web.region, "global");
    assert_eq!(evidence(web, "tool"), Some("defender"));
    assert_eq!(
        evidence(web, "tool.check"),
        Some("1c5de8e1-f68d-6a17-e0d2-ec259c42768c")
    );
    assert_eq!(evidence(web, "status.code"), Some("Unhealthy"));
    // `resourceDetails.ResourceId` read as well as `Id`.
    let archive = transfer
        .iter()
        .find(|f| f.resource.id.ends_with("/nwarchive01"))
        .unwrap();
    assert_eq!(archive.status, Status::Pass);
    let check = r.declared(TRANSFER);
    assert_eq!(check.controls, ["enc-in-transit"]);
    assert_eq!(
        check.title,
        "Secure transfer to storage accounts should be enabled"
    );
    assert_eq!(check.severity, Severity::High);
    assert!(check.requirements.is_empty());

    // NotApplicable, with its cause.
    let cmk = &r.of("defender-ca98bba7-719e-48ee-e193-0b76766cdb07")[0];
    assert_eq!(cmk.status, Status::NotApplicable);
    assert_eq!(evidence(cmk, "status.cause"), Some("OffByPolicy"));
    assert!(
        cmk.message.contains("disabled by policy"),
        "{}",
        cmk.message
    );
    // The type from the id, else `ResourceProvider` and `ResourceType` (`vaults` alone is Key
    // Vault's or Recovery Services').
    use demarc_plugin_import::defender::{ResourceDetails, assessed_type};
    let details: ResourceDetails<'_> = serde_json::from_str(
        r#"{"Source": "Azure", "ResourceProvider": "Microsoft.KeyVault", "ResourceType": "vaults"}"#,
    )
    .unwrap();
    assert_eq!(
        assessed_type(
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
            ),
            Some(&details)
        ),
        "microsoft.keyvault/vaults"
    );
    assert_eq!(
        assessed_type("kv", Some(&details)),
        "microsoft.keyvault/vaults"
    );
    // A subscription-level assessment.
    let mfa = &r.of("defender-94290b00-4d0c-d7b4-7cea-064a9554e681")[0];
    assert_eq!(mfa.resource.id, format!("/subscriptions/{SUB}"));
    assert_eq!(
        mfa.resource.native_type,
        "microsoft.resources/subscriptions"
    );
    assert_eq!(
        r.declared("defender-bc303248-3d14-44c2-96a0-55f5c326b5fe")
            .controls,
        ["mgmt-port-exposure"]
    );

    let unmapped = "defender-620671b8-6661-273a-38ac-4574967750ec";
    assert!(r.declared(unmapped).controls.is_empty());
    assert_eq!(r.unmapped_of(unmapped), (1, 1));
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
}

#[test]
fn the_cli_output_and_a_bare_array_are_read_and_sniffed() {
    let r = run::<Azure>(&[("az.json", AZ)], Some("defender"));
    assert_eq!(r.findings.len(), 3);
    assert!(
        r.summary().problems.is_empty(),
        "{:#?}",
        r.summary().problems
    );
    let rows: serde_json::Value = serde_json::from_str(AZ).unwrap();
    let bare = serde_json::to_string_pretty(&rows["data"]).unwrap();
    let r = run::<Azure>(&[("bare.json", &bare), ("arg.json", ARG)], None);
    assert_eq!(r.findings.len(), 3 + 6);
}

/// The Resource Graph export with its rows edited.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(ARG).unwrap();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn a_paged_or_truncated_result_is_imported_and_said_to_be_incomplete() {
    let page = edited(|v| {
        v["$skipToken"] = "ew0KICAiJGlkIjogIjEiLA0KfQ==".into();
        v["totalRecords"] = 120.into();
    });
    let r = run::<Azure>(&[("page.json", &page)], Some("defender"));
    assert_eq!(r.findings.len(), 6);
    let incomplete = r.problems(ProblemKind::IncompleteInput);
    assert_eq!(incomplete.len(), 1);
    assert!(incomplete[0].contains("more pages follow (`$skipToken` is set)"));
    assert!(incomplete[0].contains("totalRecords is 120 but the file holds 8 row(s)"));
}

#[test]
fn unknown_status_and_missing_resource_id_are_problems_and_nothing_else_is_lost() {
    let text = edited(|v| {
        let rows = &mut v["data"];
        rows[0]["properties"]["status"]["code"] = "Unknown".into();
        rows[2]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("resourceDetails");
        rows[2]["id"] =
            "/providers/Microsoft.Security/assessments/51fd8bb1-0db4-bbf1-7e2b-cfcba7eb66a6".into();
        rows[3]["type"] = "microsoft.security/securescores".into();
    });
    let r = run::<Azure>(&[("e.json", &text)], Some("defender"));
    let bad = r.problems(ProblemKind::MalformedInput);
    assert_eq!(bad.len(), 3, "{bad:#?}");
    assert!(bad[0].contains("item 0: assessment `1c5de8e1-f68d-6a17-e0d2-ec259c42768c`: unknown `properties.status.code` `Unknown` (Defender for Cloud writes Healthy, Unhealthy or NotApplicable)"), "{}", bad[0]);
    assert!(
        bad[1]
            .contains("item 2: assessment `51fd8bb1-0db4-bbf1-7e2b-cfcba7eb66a6`: no resource id"),
        "{}",
        bad[1]
    );
    assert!(
        bad[2].contains("item 3: `type` is `microsoft.security/securescores`"),
        "{}",
        bad[2]
    );
    let line = text
        .lines()
        .position(|l| l == "    {")
        .map(|i| i as u32 + 1);
    assert_eq!(r.summary().problems[0].error.line, line);
    assert_eq!(r.findings.len(), 3);
}

#[test]
fn a_truncated_export_keeps_what_came_before() {
    let cut = &ARG[..ARG.find("ca98bba7-719e-48ee-e193-0b76766cdb07").unwrap()];
    let r = run::<Azure>(&[("cut.json", cut)], Some("defender"));
    let Err(ScanError::MalformedInput(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert_eq!(e.file, "cut.json");
    assert!(e.line.is_some() && e.column.is_some());
    assert_eq!(r.findings.len(), 3);
}

#[test]
fn another_tools_format_is_named() {
    let r = run::<Azure>(&[("sh.json", SECURITY_HUB)], Some("defender"));
    assert!(r.unsupported().contains(
        "this is AWS Security Hub findings (ASFF), not Defender for Cloud assessments; import it with `importer = \"asff\"`"
    ), "{}", r.unsupported());
    // Resource Graph rows of resources, for the azure plugin.
    let rows = format!(
        r#"{{"totalRecords":1,"count":1,"data":[{{"id":"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s","name":"s","type":"microsoft.storage/storageaccounts","subscriptionId":"{SUB}"}}]}}"#
    );
    let r = run::<Azure>(&[("rows.json", &rows)], Some("defender"));
    assert!(
        r.unsupported()
            .contains("Resource Graph rows of type `microsoft.storage/storageaccounts`"),
        "{}",
        r.unsupported()
    );
    // Defender's assessments declared as Security Hub's.
    let r = run::<Aws>(&[("arg.json", ARG)], Some("asff"));
    assert!(r.unsupported().contains(
        "this is Microsoft Defender for Cloud assessments, not ASFF; import it with `importer = \"defender\"`"
    ), "{}", r.unsupported());
    // On an aws target.
    let r = run::<Aws>(&[("arg.json", ARG)], Some("defender"));
    assert!(r.unsupported().contains("are azure findings"));
}

#[test]
fn resource_ids_and_types_come_from_the_assessment_id() {
    let id = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db1/providers/Microsoft.Security/assessments/k"
    );
    assert_eq!(
        assessed_resource(&id),
        Some(format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db1").as_str())
    );
    assert_eq!(
        resource_type(assessed_resource(&id).unwrap()),
        "microsoft.sql/servers/databases"
    );
    assert_eq!(
        assessed_resource("/providers/Microsoft.Security/assessments/k"),
        None
    );
    assert_eq!(
        resource_type(&format!("/subscriptions/{SUB}")),
        "microsoft.resources/subscriptions"
    );
}
