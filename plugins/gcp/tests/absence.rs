//! Absent data is never a failure (nor a pass): every check, run over Cloud Asset Inventory
//! exports that lack what decides it, says `manual` and names the export that would decide it.
//!
//! The exports are built from the checks' own declarations (`checks::ALL` and each check's
//! `resource_types`), so a new check is driven the day it is added, or the test fails until it
//! is listed in `EXCUSED` with the reason it cannot be.

use demarc_plugin_gcp::{Gcp, checks};
use demarc_sdk::testing::{self, AbsentCase, NativeScan};

const NOW: &str = "2026-11-01T00:00:00Z";
const PROJECT: &str = "projects/123456789012";

/// Checks that no absent export can drive, with the reason.
const EXCUSED: &[(&str, &str)] = &[];

fn scan(lines: &[String]) -> NativeScan {
    testing::scan_files::<Gcp>(&[("resources.json", &lines.join("\n"))], NOW)
}

/// The asset name of a resource of `asset_type` (`service.googleapis.com/Kind`).
fn asset_name(asset_type: &str) -> String {
    let (service, kind) = asset_type.split_once('/').unwrap_or((asset_type, "Thing"));
    match asset_type {
        "cloudresourcemanager.googleapis.com/Project" => {
            format!("//cloudresourcemanager.googleapis.com/{PROJECT}")
        }
        "cloudresourcemanager.googleapis.com/Organization" => {
            "//cloudresourcemanager.googleapis.com/organizations/1".to_string()
        }
        "cloudresourcemanager.googleapis.com/Folder" => {
            "//cloudresourcemanager.googleapis.com/folders/2".to_string()
        }
        _ => format!(
            "//{service}/projects/absent-project/locations/europe-west1/{}s/r0",
            kind.to_ascii_lowercase()
        ),
    }
}

/// A resource line that records an asset by its identity only: the export holds the asset's
/// name and type but not its `resource.data` (nor its IAM policy).
fn envelope(asset_type: &str) -> String {
    format!(
        r#"{{"name":"{}","assetType":"{asset_type}","ancestors":["{PROJECT}","organizations/1"],"updateTime":"2026-10-30T00:00:00Z"}}"#,
        asset_name(asset_type)
    )
}

/// A Directory API user list whose one user is recorded by name only.
fn directory_user() -> String {
    r#"{"kind":"admin#directory#users","users":[{"kind":"admin#directory#user","id":"100000000000000000001","primaryEmail":"someone@example.com"}]}"#.to_string()
}

fn envelope_cases() -> Vec<AbsentCase> {
    let mut types: Vec<&str> = checks::ALL
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
            scan: if t == checks::identity::USER_TYPE {
                testing::scan_files::<Gcp>(
                    &[
                        (
                            "resources.json",
                            &envelope("compute.googleapis.com/Network"),
                        ),
                        ("users.json", &directory_user()),
                    ],
                    NOW,
                )
            } else {
                scan(&[envelope(t)])
            },
        })
        .collect()
}

#[test]
fn absent_data_never_decides_a_check() {
    let cases = envelope_cases();
    testing::assert_absence_undecided(checks::ALL, &cases, EXCUSED);
}
