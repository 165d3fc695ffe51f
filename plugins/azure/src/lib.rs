//! demarc's Azure provider plugin.
//!
//! The plugin reads offline Azure exports from a target's read-only snapshot directory and emits
//! one normalized finding per check and resource:
//!
//! - **Azure Resource Graph results** — the REST response `{totalRecords, count,
//!   resultTruncated, skipToken, data: [...]}`, the Azure CLI's `az graph query` output `{count,
//!   data, skip_token, total_records}`, or the bare array older CLI versions print — from the
//!   `Resources`, `ResourceContainers`, `AuthorizationResources`, `SecurityResources` and
//!   `RecoveryServicesResources` tables.
//! - **ARM resource objects** (`id, name, type, location, tags, sku, kind, identity,
//!   properties`) — one object, a bare array, one object per line, or an ARM list response
//!   `{value: [...], nextLink}` — including role assignments, diagnostic settings, SQL firewall
//!   rules, App Service `config/web` and Key Vault keys where they appear as resources.
//!
//! Resources are streamed one at a time, so memory is bounded by the largest resource (plus
//! small join records), not the estate; resources of types without checks are read no further
//! than their envelope. Resource Graph lowercases types (`microsoft.storage/storageaccounts`)
//! where ARM gives the canonical case (`Microsoft.Storage/storageAccounts`): types are compared
//! ignoring case, and findings carry the type as the export wrote it. Function apps
//! (`Microsoft.Web/sites` whose `kind` contains `functionapp`) carry the native type
//! `Microsoft.Web/sites/functionapp`, so that the responsibility data can tell Functions (FaaS)
//! from App Service (PaaS).
//!
//! The 30 checks cover the twelve failure classes of the design: customer-managed keys and key
//! rotation, password login and SQL authentication, databases open to the internet, broad and
//! external role assignments and anonymous blobs, forgotten public dev VMs, end-of-life images,
//! patch orchestration and runtimes, management ports, MFA and storage access-key age,
//! activity-log export, retention and archive protection, Key Vault audit events, backups and
//! recoverable key vaults, TLS and HTTPS, and ownership. Every evaluated resource gets a finding for every check
//! of its type — pass, fail, manual when the export does not hold the deciding value (naming the
//! export that does: e.g. Microsoft Entra ID for MFA), or not-applicable. A truncated Resource
//! Graph result is scanned as far as it goes and reported as an `incomplete-input` gap.
//!
//! What the plugin deliberately does not do: call Azure (it reads exports; it holds no
//! credentials), decompress archives, read any other cloud's export (it says which plugin does),
//! attribute responsibility (the host does), or use the wall clock (ages are measured from the
//! scan request's pinned `now`).
//!
//! Layout: [`scan`] drives a scan; [`format`](mod@format) decides what an input is;
//! [`resource`] and [`json`] read the exports; [`checks`] holds one module per service with the
//! check definitions and their pure evaluation functions; [`estate`] keeps what spans resources
//! and inputs (VM → NIC → public IP, servers and firewall rules, apps and their config, vaults
//! and keys, backup items, subscriptions) for the findings decided at the end.

pub mod checks;
pub mod estate;
pub mod format;
pub mod json;
pub mod resource;
pub mod scan;

use demarc_sdk::{Emitter, PluginInfo, ScanError, ScanRequest, ScanSummary};

/// The Azure provider.
pub struct Azure;

impl demarc_sdk::Provider for Azure {
    fn info() -> PluginInfo {
        demarc_sdk::provider_info("azure", env!("CARGO_PKG_VERSION"), checks::CATALOG.checks())
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<scan::AzureScan>(request, out)
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Azure);

/// What the host checks when it loads the plugin and takes its findings, checked natively over
/// the demo estate's azure targets.
#[cfg(test)]
#[test]
fn declarations_and_the_demo_findings_are_valid() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    demarc_sdk::testing::assert_sample_estate_valid::<Azure>(
        &demo,
        "azure-",
        "2026-11-01T00:00:00Z",
        &demarc_sdk::testing::Controls::builtin(),
    );
}
