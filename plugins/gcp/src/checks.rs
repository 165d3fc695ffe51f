//! The checks: their definitions and the pure functions that evaluate them.
//!
//! One module per service. Each check is a `static` [`CheckDef`] and each module exposes
//! evaluation functions over the typed `resource.data` (or IAM policy) of its asset type that
//! return every finding for that asset: one per check the type is subject to, pass or fail, or
//! manual (the export does not hold the deciding value; the message names the export that
//! does), not-applicable, so that clean resources show up as passes. Checks that need more
//! than one asset line (a bucket's data and its IAM policy, an instance and its project's
//! metadata or boot disk, a project and the audit configuration of its folders and
//! organization) are finished by [`crate::estate`] from small records the modules hand it.
//!
//! No check emits a guest-OS finding (`guest-patching`, `compute-credential-exposure`) on
//! anything but a Compute Engine instance: Cloud Run, App Engine and Cloud SQL are PaaS and
//! Cloud Functions FaaS, where Google runs the operating system.

use demarc_sdk::{CheckDef, Finding};

use crate::asset::Subject;
use crate::time::Timestamp;

pub mod compute;
pub mod firewall;
pub mod functions;
pub mod governance;
pub mod iam;
pub mod identity;
pub mod kms;
pub mod logging;
pub mod service_account;
pub mod sql;
pub mod storage;

/// What every evaluation may consult besides the asset.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The scan's reference time (`ScanRequest.now`).
    pub now: Timestamp,
}

/// Every check this plugin can emit, in a stable order (by failure class of the design).
pub static ALL: &[&CheckDef] = &[
    // 1. encryption and keys
    &storage::CMEK,
    &sql::CMEK,
    &kms::KEY_ROTATION,
    // 2. default credentials and password-style login on VMs
    &compute::OS_LOGIN,
    &compute::SERIAL_PORT,
    &compute::PROJECT_SSH_KEYS,
    &compute::DEFAULT_SERVICE_ACCOUNT,
    // 3. databases open to the internet
    &sql::PUBLIC_ACCESS,
    &sql::PUBLIC_IP,
    // 4. broad access
    &iam::PRIMITIVE_ROLE_HUMAN,
    &iam::SERVICE_ACCOUNT_ADMIN,
    &iam::PUBLIC_PRINCIPAL,
    &compute::DEFAULT_SA_FULL_ACCESS,
    &storage::PUBLIC_ACCESS,
    &storage::UNIFORM_ACCESS,
    // 5. forgotten dev servers
    &compute::STALE_PUBLIC,
    // 6. unpatched / end-of-life OS and runtimes
    &compute::OS_IMAGE_EOL,
    &compute::SHIELDED_VM,
    &functions::RUNTIME_SUPPORTED,
    // 7. management ports open to the world
    &firewall::ADMIN_PORT_OPEN,
    &firewall::ALL_PORTS_OPEN,
    // 8. MFA and credential rotation
    &identity::TWO_STEP_VERIFICATION,
    &identity::STALE_USER,
    &service_account::KEY_ROTATION,
    // 9. audit logging
    &iam::AUDIT_LOGGING,
    &storage::ACCESS_LOGGING,
    &logging::SINK_BUCKET_LOCKED,
    // 10. backups
    &sql::BACKUPS,
    &storage::VERSIONING,
    // 11. encryption in transit
    &sql::SSL_REQUIRED,
    &functions::HTTPS_ONLY,
    // 12. undocumented ownership
    &governance::OWNER_LABEL,
];

/// The export command that records resource content, for manual findings.
pub const RESOURCE_EXPORT: &str =
    "a Cloud Asset Inventory resource export (`gcloud asset export --content-type=resource`)";

/// The export command that records IAM policies, for manual findings.
pub const IAM_EXPORT: &str =
    "a Cloud Asset Inventory IAM policy export (`gcloud asset export --content-type=iam-policy`)";

pub use demarc_sdk::words::{and_list, count};

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the check modules' tests.

    use super::Context;
    use crate::asset::Asset;
    use crate::time::Timestamp;

    /// The reference time of the tests (the demo estate's).
    pub const NOW: &str = "2026-11-01T00:00:00Z";

    pub fn ctx() -> Context {
        Context {
            now: Timestamp::parse(NOW).unwrap(),
        }
    }

    pub fn asset(json: &str) -> Asset<'_> {
        serde_json::from_str(json).expect("test asset parses")
    }

    /// A resource-content line of `asset_type` named `name` with `data`.
    pub fn line(asset_type: &str, name: &str, data: &str) -> String {
        format!(
            r#"{{"name":"{name}","asset_type":"{asset_type}","resource":{{"version":"v1","parent":"//cloudresourcemanager.googleapis.com/projects/111","data":{data},"location":"europe-west1"}},"ancestors":["projects/111","organizations/9"],"update_time":"2026-10-30T00:00:00Z"}}"#
        )
    }

    pub use demarc_sdk::testing::{evidence, only, status};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn check_ids_are_unique_kebab_case_and_controls_are_catalog_ids() {
        let catalog = include_str!("../../../schemas/catalog/controls.toml");
        demarc_sdk::testing::assert_check_defs(ALL, "gcp-", catalog);
    }

    #[test]
    fn every_failure_class_is_covered() {
        let catalog = demarc_core::Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap();
        let classes: BTreeSet<u8> = ALL
            .iter()
            .flat_map(|c| c.controls.iter())
            .map(|id| catalog.control(id).unwrap().class)
            .collect();
        assert_eq!(classes, (1..=12).collect::<BTreeSet<u8>>());
    }
}

/// The findings of an asset the export names without its content (a line with neither
/// `resource` nor `iam_policy`, as `gcloud asset export` writes without `--content-type`): every
/// check of its type is manual, naming the export that decides it. Projects are left to the end
/// of the scan, which decides their checks from every line about them.
pub fn unrecorded(subject: &Subject<'_>) -> Vec<Finding> {
    let kind = subject.native_type;
    if kind == "cloudresourcemanager.googleapis.com/Project" {
        return Vec::new();
    }
    let label = subject.label();
    ALL.iter()
        .filter(|c| c.resource_types.contains(&kind))
        .map(|check| {
            let content = if [iam::PRIMITIVE_ROLE_HUMAN.id, iam::SERVICE_ACCOUNT_ADMIN.id, iam::PUBLIC_PRINCIPAL.id]
                .contains(&check.id)
            {
                "iam-policy"
            } else {
                "resource"
            };
            subject
                .finding(check)
                .evidence("content", "(name and type only)")
                .manual(format!(
                    "The export names {kind} {label} without its content, so it cannot decide this check; a Cloud Asset Inventory export with `--content-type={content}` decides it."
                ))
        })
        .collect()
}
