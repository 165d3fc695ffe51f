//! Absent data is never a failure (nor a pass): every check, run over Azure Resource Graph
//! exports that lack what decides it, says `manual` and names the export that would decide it.
//!
//! The exports are built from the checks' own declarations (`checks::CATALOG.defs()` and each check's
//! `resource_types`), so a new check is driven the day it is added, or the test fails until it
//! is listed in `EXCUSED` with the reason it cannot be.

use demarc_plugin_azure::{Azure, checks};
use demarc_sdk::testing::{self, AbsentCase, NativeScan};

const NOW: &str = "2026-11-01T00:00:00Z";
const SUB: &str = "00000000-0000-0000-0000-00000000000a";

/// Checks that no absent export can drive, with the reason.
const EXCUSED: &[(&str, &str)] = &[];

fn scan(rows: &[String]) -> NativeScan {
    let text = format!(
        r#"{{"totalRecords":{n},"count":{n},"data":[{}],"facets":[],"resultTruncated":"false"}}"#,
        rows.join(","),
        n = rows.len()
    );
    testing::scan_files::<Azure>(&[("resources.json", &text)], NOW)
}

/// The ARM id of a resource of `resource_type` (`Provider/type/child/...`), each level named.
fn arm_id(resource_type: &str) -> String {
    let mut parts = resource_type.split('/');
    let namespace = parts.next().unwrap_or_default();
    let mut id = format!("/subscriptions/{SUB}/resourceGroups/rg-absent/providers/{namespace}");
    for (i, level) in parts.enumerate() {
        id.push_str(&format!("/{level}/r{i}"));
    }
    id
}

/// A Resource Graph row that records a resource by its identity only: a projection without
/// `properties`, `tags`, `sku` or `kind`.
fn envelope(resource_type: &str) -> String {
    let (id, kind) = match resource_type {
        checks::types::SUBSCRIPTION => (format!("/subscriptions/{SUB}"), None),
        checks::types::FUNCTION_APP => (arm_id(checks::types::SITE), Some("functionapp")),
        checks::types::DIAGNOSTIC_SETTING => (
            format!(
                "{}/providers/microsoft.insights/diagnosticSettings/d0",
                arm_id(checks::types::VAULT)
            ),
            None,
        ),
        t => (arm_id(t), None),
    };
    let native = match resource_type {
        checks::types::FUNCTION_APP => checks::types::SITE,
        t => t,
    };
    let name = id.rsplit('/').next().unwrap_or_default().to_string();
    let kind = kind.map_or(String::new(), |k| format!(r#","kind":"{k}""#));
    format!(
        r#"{{"id":"{id}","name":"{name}","type":"{}","location":"westeurope","resourceGroup":"rg-absent","subscriptionId":"{SUB}"{kind}}}"#,
        native.to_ascii_lowercase()
    )
}

/// An envelope-only export of every resource type each check declares.
fn envelope_cases() -> Vec<AbsentCase> {
    let mut types: Vec<&str> = checks::CATALOG
        .defs()
        .iter()
        .flat_map(|c| c.resource_types.iter().copied())
        .collect();
    types.sort_unstable();
    types.dedup();
    types
        .into_iter()
        .map(|t| AbsentCase {
            name: format!("{t} by identity only"),
            checks: None,
            scan: scan(&[envelope(t)]),
        })
        .collect()
}

/// Resources recorded in full whose deciding related resources the export lacks.
fn related_cases() -> Vec<AbsentCase> {
    let vault = format!(
        r#"{{"id":"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1","name":"kv1","type":"microsoft.keyvault/vaults","location":"westeurope","subscriptionId":"{SUB}","tags":{{"owner":"sec"}},"properties":{{"tenantId":"t","enableSoftDelete":true,"enablePurgeProtection":true,"softDeleteRetentionInDays":90,"sku":{{"family":"A","name":"standard"}}}}}}"#
    );
    let sql = format!(
        r#"{{"id":"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql1","name":"sql1","type":"microsoft.sql/servers","kind":"v12.0","location":"westeurope","subscriptionId":"{SUB}","tags":{{"owner":"db"}},"properties":{{"administratorLogin":"dbadmin","version":"12.0","state":"Ready","publicNetworkAccess":"Enabled","minimalTlsVersion":"1.2"}}}}"#
    );
    let vm = format!(
        r#"{{"id":"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1","type":"microsoft.compute/virtualmachines","location":"westeurope","subscriptionId":"{SUB}","tags":{{"owner":"ops"}},"properties":{{"vmId":"1","provisioningState":"Succeeded","timeCreated":"2026-01-01T00:00:00Z","hardwareProfile":{{"vmSize":"Standard_B2s"}},"storageProfile":{{"imageReference":{{"publisher":"Canonical","offer":"ubuntu-24_04-lts","sku":"server","version":"latest"}},"osDisk":{{"osType":"Linux","name":"d1"}}}},"osProfile":{{"computerName":"vm1","adminUsername":"azureuser","linuxConfiguration":{{"disablePasswordAuthentication":true,"patchSettings":{{"patchMode":"AutomaticByPlatform"}}}}}},"networkProfile":{{"networkInterfaces":[{{"id":"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1"}}]}},"extended":{{"instanceView":{{"powerState":{{"code":"PowerState/running"}}}}}}}}}}"#
    );
    vec![
        AbsentCase {
            name: "a key vault without diagnostic-settings rows or keys".into(),
            checks: Some(vec![checks::keyvault::AUDIT_LOGGING.id]),
            scan: scan(std::slice::from_ref(&vault)),
        },
        AbsentCase {
            name: "a database server open to public networks without firewall-rule rows".into(),
            checks: Some(vec![checks::database::PUBLIC_NETWORK_ACCESS.id]),
            scan: scan(std::slice::from_ref(&sql)),
        },
        AbsentCase {
            name: "a running VM without backup items or network interfaces".into(),
            checks: Some(vec![
                checks::backup::VM_BACKUP.id,
                checks::vm::STALE_PUBLIC_DEV.id,
            ]),
            scan: scan(std::slice::from_ref(&vm)),
        },
        AbsentCase {
            name: "a subscription without activity-log settings or MFA assessments".into(),
            checks: Some(vec![
                checks::monitor::ACTIVITY_LOG_EXPORTED.id,
                checks::identity::MFA_PRIVILEGED.id,
            ]),
            scan: scan(&[vault]),
        },
    ]
}

#[test]
fn absent_data_never_decides_a_check() {
    let mut cases = envelope_cases();
    cases.extend(related_cases());
    testing::assert_absence_undecided(&checks::CATALOG.defs(), &cases, EXCUSED);
}
