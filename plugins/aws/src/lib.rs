//! demarc's AWS provider plugin.
//!
//! The plugin reads two offline AWS exports from a target's read-only snapshot directory and
//! emits one normalized finding per check and resource:
//!
//! - **AWS Config configuration items** — a snapshot delivered by `deliver-config-snapshot`
//!   (`{"fileVersion", "configSnapshotId", "configurationItems": [...]}`, decompressed), a bare
//!   array of items, or one item per line (history files, `get-resource-config-history` dumps,
//!   NDJSON re-exports). Items are streamed one at a time, so memory is bounded by the largest
//!   item, not the estate; items of types without checks are read no further than their
//!   envelope.
//! - **The IAM credential report** — the CSV of `aws iam get-credential-report`, decoded or as
//!   the base64 / JSON response the API returns. It is the only export that records MFA,
//!   password use and access key age.
//!
//! The 30 checks of `aws-checks.md` cover the twelve failure classes of the design (encryption
//! and keys, default credentials, exposed databases, broad access, forgotten servers, patching
//! and runtimes, open management ports, MFA and stale credentials, audit logging, backups,
//! encryption in transit, ownership). Every evaluated resource gets a finding for every check of
//! its type — pass, fail, manual when the export does not hold the deciding value (naming the
//! export that does), not-applicable, or error when a document in the item cannot be read.
//!
//! A **live** target's plugin reads the AWS APIs instead, through the host, which signs each
//! request: [`live`] turns their answers into the same configuration items, so every check has
//! one code path whichever way its resource was filled (see the README's "AWS live mode").
//!
//! What the plugin deliberately does not do: hold credentials (the host signs), decompress gzip (the host or the user does), read any other cloud's export
//! (it says which plugin does), attribute responsibility or deduplicate findings across history
//! versions (the host does both), or use the wall clock (ages are measured from the scan
//! request's pinned `now`).
//!
//! Layout: [`scan`] configures the SDK's scan driver; [`format`](mod@format) declares the formats;
//! [`config_item`], [`credential_report`] and [`policy`] read the exports; [`checks`] holds one
//! module per service with the check definitions and their pure evaluation functions, and
//! [`checks::CATALOG`] the table of resource types and checks that drives dispatch;
//! [`estate`] keeps what spans inputs (accounts, trails, running instances, IAM users) for the
//! findings decided at the end.

pub mod checks;
pub mod config_item;
pub mod credential_report;
pub mod estate;
pub mod format;
pub mod live;
pub mod policy;
pub mod scan;

use demarc_sdk::{Emitter, PluginInfo, ScanError, ScanRequest, ScanSummary};

/// The AWS provider.
pub struct Aws;

impl demarc_sdk::Provider for Aws {
    fn info() -> PluginInfo {
        demarc_sdk::provider_info("aws", env!("CARGO_PKG_VERSION"), checks::CATALOG.checks())
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<scan::AwsScan>(request, out)
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Aws);

/// What the host checks when it loads the plugin and takes its findings, checked natively over
/// the demo estate's aws targets.
#[cfg(test)]
#[test]
fn declarations_and_the_demo_findings_are_valid() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    demarc_sdk::testing::assert_sample_estate_valid::<Aws>(
        &demo,
        "aws-",
        "2026-11-01T00:00:00Z",
        &demarc_sdk::testing::Controls::builtin(),
    );
}
