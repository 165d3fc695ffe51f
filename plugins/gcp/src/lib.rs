//! demarc's Google Cloud provider plugin.
//!
//! The plugin reads offline Google Cloud exports from a target's read-only snapshot directory
//! and emits one normalized finding per check and resource:
//!
//! - **Cloud Asset Inventory** — `gcloud asset export` output (one asset per line, resource and
//!   IAM-policy content types usually in separate files), the JSON array of `gcloud asset list
//!   --format=json`, or the `{"assets": [...]}` response of the `assets.list` API; current asset
//!   type names (`storage.googleapis.com/Bucket`) and the legacy names of very old exports
//!   (`google.cloud.storage.Bucket`). Assets are streamed one at a time, so memory is bounded by
//!   the largest asset plus the small join state of [`estate`]; assets of types without checks
//!   are read no further than their envelope.
//! - **The Admin SDK Directory user list** (Cloud Identity / Google Workspace) — the only export
//!   that records 2-Step Verification; without it the 2SV check is manual for every project.
//!
//! The 30 checks cover the twelve failure classes of the design (customer-managed keys and key
//! rotation, password-style login paths into VMs and the default compute identity, exposed databases, broad and public access,
//! forgotten dev servers, end-of-life OS images and function runtimes, open management ports,
//! 2-Step Verification and key rotation, audit and access logging and locked log archives,
//! backups and versioning, encryption in transit, ownership). Every evaluated resource gets a finding for every check of
//! its type — pass, fail, manual when the export does not hold the deciding value (naming the
//! export that does), or not-applicable.
//!
//! What the plugin deliberately does not do: call Google Cloud (it reads exports and holds no
//! credentials), decompress exports, read another cloud's export (it says which plugin does),
//! evaluate organization policy constraints, attribute responsibility (the host does, from
//! `schemas/responsibility/gcp.toml`), or use the wall clock (ages are measured from the scan
//! request's pinned `now`).
//!
//! Layout: [`scan`] drives a scan; [`format`] decides what an input is; [`asset`] and [`iam`]
//! read the Cloud Asset Inventory envelope and IAM policies; [`checks`] holds one module per
//! service with the check definitions and their pure evaluation functions; [`estate`] joins
//! what spans asset lines (a bucket and its IAM policy, an instance and its project's metadata,
//! a project and its ancestors' audit configuration, a log sink and its destination bucket) and
//! emits those findings at the end.

pub mod asset;
pub mod checks;
pub mod estate;
pub mod format;
pub mod iam;
pub mod json;
pub mod scan;
pub mod time;

use demarc_sdk::{Emitter, PluginInfo, ScanError, ScanRequest, ScanSummary};

/// The Google Cloud provider.
pub struct Gcp;

impl demarc_sdk::Provider for Gcp {
    fn info() -> PluginInfo {
        demarc_sdk::provider_info(
            "gcp",
            env!("CARGO_PKG_VERSION"),
            checks::ALL.iter().map(|c| c.to_check()).collect(),
        )
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<scan::GcpScan>(request, out)
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Gcp);

/// What the host checks when it loads the plugin and takes its findings, checked natively over
/// the demo estate's gcp targets.
#[cfg(test)]
#[test]
fn declarations_and_the_demo_findings_are_valid() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    demarc_sdk::testing::assert_sample_estate_valid::<Gcp>(
        &demo,
        "gcp-",
        "2026-11-01T00:00:00Z",
        &demarc_sdk::testing::Controls::builtin(),
    );
}
