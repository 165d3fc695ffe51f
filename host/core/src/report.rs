//! The report model: one run's findings, gaps, tenants and summaries. Its JSON form is
//! demarc's canonical output; `schemas/json/report.schema.json` is generated from these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rollup::{AttestationRecord, ControlRow};
use crate::summary::Summary;
use crate::{Finding, Gap};

/// The version of the report format written in `schema`.
pub const REPORT_SCHEMA: &str = "demarc.report/0.1";

/// A whole report.
///
/// The fields are in the order `demarc scan` writes them: the findings are streamed into the
/// file while the targets are scanned, so what is known only at the end (the run's timings and
/// inputs, gaps, roll-up and summary) follows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Report format version, `demarc.report/0.1`.
    pub schema: String,
    /// Tenants covered.
    pub tenants: Vec<TenantInfo>,
    /// Every finding, attributed.
    pub findings: Vec<Finding>,
    /// What ran, on what, when.
    pub run: Run,
    /// Every loss of coverage.
    pub gaps: Vec<Gap>,
    /// The control roll-up: every in-scope framework requirement per tenant, its owner, status
    /// and evidence (the customer responsibility matrix).
    pub controls: Vec<ControlRow>,
    /// Counts by tenant, owner, severity, provider and status.
    pub summary: Summary,
}

/// Metadata of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// demarc version.
    pub tool: String,
    /// Estate name from the configuration.
    pub estate: String,
    /// When the run started (RFC 3339).
    pub started: String,
    /// When it finished (RFC 3339).
    pub finished: String,
    /// Reference time used by age-based checks (RFC 3339).
    pub now: String,
    /// The shard this report covers, `I/N`, when sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Plugins that ran.
    pub plugins: Vec<PluginRecord>,
    /// Input files read, with digests.
    pub inputs: Vec<InputRecord>,
    /// Per-target timings.
    pub targets: Vec<TargetRecord>,
    /// The provider attestations in effect for the run's clouds, each stated once; the control
    /// roll-up's rows refer to them by id (`controls[].attestations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_attestations: Vec<AttestationRecord>,
}

/// A plugin that took part in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginRecord {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Provider it scans.
    pub provider: String,
    /// sha256 of its WebAssembly, hex.
    pub sha256: String,
    /// Contract version it was built against.
    pub contract: String,
    /// Number of checks it declares.
    pub checks: usize,
}

/// An input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputRecord {
    /// Tenant id.
    pub tenant: String,
    /// Target id.
    pub target: String,
    /// Path relative to the configuration file's directory.
    pub path: String,
    /// sha256 of the file, hex; absent when the file could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// How one target's scan went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRecord {
    /// Tenant id.
    pub tenant: String,
    /// Target id.
    pub target: String,
    /// Provider id.
    pub provider: String,
    /// Plugin that scanned it.
    pub plugin: String,
    /// `complete`, `partial` (problems or gaps) or `failed` (no result).
    pub outcome: String,
    /// Resources evaluated, as the plugin reports.
    pub resources: u64,
    /// Items skipped (deleted or unrecorded resources).
    pub skipped: u64,
    /// Findings accepted from this target.
    pub findings: u64,
    /// The accounts (AWS accounts, Azure subscriptions, GCP projects, as the plugin names them
    /// in `finding.account`) of the findings accepted from this target, sorted. When the target
    /// declares `accounts`, only those are accepted; otherwise these are what the host learned.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Wall time of the scan, milliseconds. Zero when timings are pinned.
    pub millis: u64,
}

/// A tenant covered by the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantInfo {
    /// Tenant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Providers its targets are on.
    pub providers: Vec<String>,
    /// Targets scanned.
    pub targets: Vec<String>,
    /// Third parties that own layers or controls under the tenant's contract.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub third_parties: Vec<String>,
}
