//! The report model: one run's findings, gaps, tenants and summaries. Its JSON form is
//! demarc's canonical output; `schemas/json/report.schema.json` is generated from these types.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rollup::{AttestationRecord, ControlRow};
use crate::summary::Summary;
use crate::{Actor, BasisKind, Finding, Gap, Severity};

/// The version of the report format written in `schema`.
pub const REPORT_SCHEMA: &str = "demarc.report/0.2";

/// A whole report.
///
/// The fields are in the order `demarc scan` writes them: the findings are streamed into the
/// file while the targets are scanned, so what is known only at the end (the run's timings and
/// inputs, gaps, roll-up and summary) follows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Report format version, `demarc.report/0.2`.
    pub schema: String,
    /// Tenants covered.
    pub tenants: Vec<TenantInfo>,
    /// Every finding, attributed.
    pub findings: Vec<Finding>,
    /// What ran, on what, when.
    pub run: Run,
    /// Every loss of coverage.
    pub gaps: Vec<Gap>,
    /// Other tools' findings whose check maps to no catalog control: kept, neither attributed
    /// nor rolled up (counted in `summary.unmapped`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmapped: Vec<crate::model::UnmappedFinding>,
    /// The control roll-up: every in-scope framework requirement per tenant, its owner, status
    /// and evidence (the customer responsibility matrix).
    pub controls: Vec<ControlRow>,
    /// Counts by tenant, owner, severity, provider and status.
    pub summary: Summary,
    /// Each tenant's posture across the runs recorded in a history database, when the report is
    /// rendered with one (`demarc scan --history`, `demarc report --history`). It comes from the
    /// database, not from `report.json`, which holds one run.
    #[serde(skip)]
    #[schemars(skip)]
    pub trend: Option<crate::trend::Trend>,
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
    /// The shards this report covers, when not every one: `I/N` for a shard of a sharded
    /// run, `I,J,.../N` for shards merged by `demarc merge` (which leaves it out once every
    /// shard is merged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Plugins that ran.
    pub plugins: Vec<PluginRecord>,
    /// Input files read, with digests.
    pub inputs: Vec<InputRecord>,
    /// Per-target timings.
    pub targets: Vec<TargetRecord>,
    /// The document behind every responsibility basis that findings name by `basis.entry`
    /// without repeating its `source`: each matrix cell (`aws/paas/network-controls`) and
    /// contract clause (`contract:<tenant>/<n>`) of the run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bases: BTreeMap<String, String>,
    /// Misattribution warnings by provider and control id (`notes.aws["db-public-access"]`):
    /// the `responsibility.note` of every finding of that provider whose primary control it is.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, BTreeMap<String, String>>,
    /// The provider attestations in effect for the run's clouds, each stated once; the control
    /// roll-up's rows refer to them by id (`controls[].attestations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_attestations: Vec<AttestationRecord>,
    /// Providers whose resources no responsibility matrix entry covers and that the
    /// configuration accepts to attribute by an assumed service model
    /// (`[providers.ID] assume_service_model`): their findings have basis `assumed`, an owner
    /// the configuration chose rather than one a matrix documents.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assumed_service_models: BTreeMap<String, crate::ServiceModel>,
    /// The configured suppressions, each with what it matched in this run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionRecord>,
}

/// A configured suppression and what it matched in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRecord {
    /// Its id.
    pub id: String,
    /// The file that holds it.
    pub file: String,
    /// Tenant it is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Target it is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Check it is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Catalog control it is limited to (any of a finding's controls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// Resource id pattern (`*` any run of characters, `?` one character).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Resource tag it is limited to, `key=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who approved it.
    pub approved_by: String,
    /// The last day it is in force (`YYYY-MM-DD`).
    pub expires: String,
    /// True when the run's reference day is past `expires`: it no longer suppresses.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
    /// Failing findings it matched in this run (suppressed while in force; failing again,
    /// the approver's to act on, once expired).
    pub matched: u64,
    /// Of them, per tenant.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_tenant: BTreeMap<String, u64>,
}

impl SuppressionRecord {
    /// A suppression that matched no failing finding: the risk it accepts is gone (or it never
    /// matched), and it should be removed.
    pub fn is_stale(&self) -> bool {
        self.matched == 0
    }

    /// Its selectors in words: `tenant=acme, check=aws-s3-encryption, resource=arn:*`.
    pub fn selectors(&self) -> String {
        [
            ("tenant", &self.tenant),
            ("target", &self.target),
            ("check", &self.check),
            ("control", &self.control),
            ("resource", &self.resource),
            ("tag", &self.tag),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
    }
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
    /// The name of the trusted key (`[[trusted_key]]` of the configuration) whose minisign
    /// signature of the plugin file was verified before it was loaded; absent for a built-in
    /// plugin and an unsigned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The tool that produced the data the plugin reads, when the plugin names one (an
    /// importer of another scanner's output; contract 0.4.0 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<ProducerRecord>,
    /// Every check it declares: what its findings refer to by `check.id` (the title, why it
    /// matters, and the remediation a finding leaves out when it is this one).
    pub checks: Vec<CheckRecord>,
}

/// The tool that produced the data a plugin reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProducerRecord {
    /// Tool name.
    pub name: String,
    /// Tool version as the data states it (may be empty).
    pub version: String,
}

/// A check a plugin declares (in `describe`, or during a scan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRecord {
    /// Stable id.
    pub id: String,
    /// Title, phrased as the desired state.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// Who controls the setting it decides on.
    pub actor: Actor,
    /// Why it matters.
    pub rationale: String,
    /// How to fix a failure.
    pub remediation: String,
    /// Catalog controls; the first is primary.
    pub controls: Vec<String>,
    /// Native types it evaluates.
    pub resource_types: Vec<String>,
    /// Benchmark id → the requirements of it the check tests (verified against the benchmark
    /// data when the plugin was loaded). A finding of the check cites exactly these.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requirements: BTreeMap<String, Vec<String>>,
}

/// What each check of a run tests: (plugin, check id) → benchmark id → requirement ids, from
/// the run's plugin table. A finding cites exactly the benchmark requirements of its check.
#[derive(Debug, Clone, Default)]
pub struct Citations(HashMap<String, HashMap<String, BTreeMap<String, Vec<String>>>>);

impl Citations {
    /// The citations of every check in `run`.
    pub fn new(run: &Run) -> Citations {
        let mut by_plugin: HashMap<String, HashMap<String, BTreeMap<String, Vec<String>>>> =
            HashMap::new();
        for p in &run.plugins {
            for c in p.checks.iter().filter(|c| !c.requirements.is_empty()) {
                by_plugin
                    .entry(p.name.clone())
                    .or_default()
                    .insert(c.id.clone(), c.requirements.clone());
            }
        }
        Citations(by_plugin)
    }

    /// The benchmark requirements a finding's check tests (empty when none).
    pub fn of(&self, f: &Finding) -> Option<&BTreeMap<String, Vec<String>>> {
        self.0.get(&f.source.plugin)?.get(&f.check.id)
    }
}

/// A plugin's checks by id: (title, remediation).
type Checks = HashMap<String, (String, String)>;

/// Resolves what a finding in `report.json` refers to by id instead of repeating it — its
/// check's title and remediation, its plugin's version (when the run holds one version of it)
/// and sha256, its basis's source document, its control's misattribution note — from the run's
/// tables, and leaves those out again for writing.
///
/// A finding whose value differs from the table's (an attestation's own remediation, an
/// assumed basis) keeps it inline, so [`Resolver::strip`] then [`Resolver::fill`] gives back the
/// finding it started from.
#[derive(Debug, Default)]
pub struct Resolver {
    /// plugin → version → (sha256, check id → (title, remediation)).
    plugins: HashMap<String, Vec<(String, String, Checks)>>,
    bases: HashMap<String, String>,
    notes: HashMap<String, HashMap<String, String>>,
}

impl Resolver {
    /// The tables of `run`.
    pub fn new(run: &Run) -> Resolver {
        Resolver::from_tables(&run.plugins, &run.bases, &run.notes)
    }

    /// The tables a run will hold, before the run is over: its plugins with their checks, the
    /// basis documents and the notes.
    pub fn from_tables(
        plugin_records: &[PluginRecord],
        bases: &BTreeMap<String, String>,
        notes: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Resolver {
        let mut plugins: HashMap<String, Vec<_>> = HashMap::new();
        for p in plugin_records {
            plugins.entry(p.name.clone()).or_default().push((
                p.version.clone(),
                p.sha256.clone(),
                p.checks
                    .iter()
                    .map(|c| (c.id.clone(), (c.title.clone(), c.remediation.clone())))
                    .collect(),
            ));
        }
        Resolver {
            plugins,
            bases: bases.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            notes: notes
                .iter()
                .map(|(p, n)| {
                    (
                        p.clone(),
                        n.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    )
                })
                .collect(),
        }
    }

    fn plugin(&self, f: &Finding) -> Option<&(String, String, Checks)> {
        self.plugins
            .get(&f.source.plugin)?
            .iter()
            .find(|(v, _, _)| *v == f.source.version)
    }

    /// The version of `f`'s plugin when the run holds exactly one version of it.
    fn only_version(&self, f: &Finding) -> Option<&String> {
        match self.plugins.get(&f.source.plugin)?.as_slice() {
            [(v, _, _)] => Some(v),
            _ => None,
        }
    }

    fn check(&self, f: &Finding) -> Option<&(String, String)> {
        self.plugin(f)?.2.get(&f.check.id)
    }

    fn remediation(&self, f: &Finding) -> Option<&String> {
        self.check(f).map(|c| &c.1)
    }

    fn title(&self, f: &Finding) -> Option<&String> {
        self.check(f).map(|c| &c.0)
    }

    fn base(&self, f: &Finding) -> Option<&String> {
        match f.responsibility.basis.kind {
            BasisKind::Matrix | BasisKind::Contract => {
                self.bases.get(&f.responsibility.basis.entry)
            }
            BasisKind::Assumed | BasisKind::Attestation => None,
        }
    }

    fn note(&self, f: &Finding) -> Option<&String> {
        self.notes.get(&f.provider)?.get(f.controls.first()?)
    }

    /// Fill in what `f` leaves to the tables.
    pub fn fill(&self, f: &mut Finding) {
        // First: every other table is looked up by the plugin's version.
        if f.source.version.is_empty()
            && let Some(v) = self.only_version(f)
        {
            f.source.version = v.clone();
        }
        if f.check.title.is_empty()
            && let Some(t) = self.title(f)
        {
            f.check.title = t.clone();
        }
        if f.remediation.is_empty()
            && let Some(r) = self.remediation(f)
        {
            f.remediation = r.clone();
        }
        if f.source.sha256.is_empty()
            && let Some((_, sha, _)) = self.plugin(f)
        {
            f.source.sha256 = sha.clone();
        }
        if f.responsibility.basis.source.is_empty()
            && let Some(s) = self.base(f)
        {
            f.responsibility.basis.source = s.clone();
        }
        if f.responsibility.note.is_none() {
            f.responsibility.note = self.note(f).cloned();
        }
    }

    /// Leave out of `f` what the tables hold. A note that the table holds for the finding's
    /// provider and control is always the matrix's, so the note is left out whenever the table
    /// has one; [`Resolver::fill`] puts it back.
    pub fn strip(&self, f: &mut Finding) {
        if self.title(f) == Some(&f.check.title) {
            f.check.title.clear();
        }
        if self.remediation(f) == Some(&f.remediation) {
            f.remediation.clear();
        }
        if self.plugin(f).map(|p| &p.1) == Some(&f.source.sha256) {
            f.source.sha256.clear();
        }
        if self.base(f) == Some(&f.responsibility.basis.source) {
            f.responsibility.basis.source.clear();
        }
        if self.note(f).is_some() && self.note(f) == f.responsibility.note.as_ref() {
            f.responsibility.note = None;
        }
        // Last: the lookups above need the version.
        self.strip_version(f);
    }

    /// Leave out of `f` its plugin's version when the run holds only that version of the
    /// plugin ([`Resolver::fill`] puts it back).
    pub fn strip_version(&self, f: &mut Finding) {
        if self.only_version(f) == Some(&f.source.version) {
            f.source.version.clear();
        }
    }
}

impl Report {
    /// Fill every finding's references from the run's tables (see [`Resolver`]).
    pub fn resolve(&mut self) {
        let r = Resolver::new(&self.run);
        for f in &mut self.findings {
            r.fill(f);
        }
    }
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
    /// A live target (`mode = "live"`): what its plugin could reach over HTTP, what it sent and
    /// what the host refused. Absent for a snapshot target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveRecord>,
}

/// The outbound HTTP of a live target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveRecord {
    /// The endpoints granted (`https://host:port`), sorted.
    pub endpoints: Vec<String>,
    /// A live `aws` target: where the credentials that signed its requests came from
    /// (`the default credential chain`, `profile prod`, `assumed role
    /// arn:aws:iam::111111111111:role/Audit (session demarc-acme, with an external id) from the
    /// default credential chain`). Never a secret, nor the external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// Requests sent.
    pub requests: u64,
    /// Requests the host refused (each reason is counted in the target's gap).
    pub refused: u64,
    /// Every request sent, in the order their responses arrived: what it cost in time.
    pub calls: Vec<ApiCall>,
}

/// One HTTP request a plugin sent through the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCall {
    /// `METHOD https://host:port/path` (no query).
    pub request: String,
    /// The AWS API action of a signed request, when the request names one (`x-amz-target`, or
    /// the `Action` of a Query API form): `DescribeInstances`, `ListKeys`. A REST API's is its
    /// method and path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The response status.
    pub status: u16,
    /// Milliseconds from sending to the response head. Zero when timings are pinned.
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
    /// The tenant's group in the configuration, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The tenant's labels in the configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Basis, CheckRef, Evidence, Layer, MustAct, Owner, ResourceRef, Responsibility,
        ServiceModel, Source, Status,
    };

    fn plugin(version: &str, sha256: &str) -> PluginRecord {
        PluginRecord {
            name: "aws".into(),
            version: version.into(),
            provider: "aws".into(),
            sha256: sha256.into(),
            contract: "0.3.0".into(),
            signed_by: None,
            producer: None,
            checks: vec![CheckRecord {
                id: "aws-check".into(),
                title: format!("title of {version}"),
                severity: Severity::High,
                actor: Actor::Customer,
                rationale: "why".into(),
                remediation: format!("fix of {version}"),
                controls: vec!["ctl".into()],
                resource_types: vec!["AWS::T".into()],
                requirements: BTreeMap::new(),
            }],
        }
    }

    fn finding(version: &str) -> Finding {
        Finding {
            id: "0".repeat(32),
            tenant: "t".into(),
            target: "g".into(),
            provider: "aws".into(),
            account: "1".into(),
            region: "eu-west-1".into(),
            resource: ResourceRef {
                id: "r".into(),
                native_type: "AWS::T".into(),
                name: None,
                tags: vec![],
            },
            check: CheckRef {
                id: "aws-check".into(),
                title: format!("title of {version}"),
                severity: Severity::High,
            },
            status: Status::Fail,
            message: "m".into(),
            controls: vec!["ctl".into()],
            evidence: vec![Evidence {
                key: "configuration.x".into(),
                value: "on".into(),
            }],
            remediation: format!("fix of {version}"),
            observed_at: None,
            source: Source {
                plugin: "aws".into(),
                version: version.into(),
                sha256: format!("sha-{version}"),
            },
            responsibility: Responsibility {
                owner: Owner::Customer,
                party: None,
                sharing: None,
                service_model: ServiceModel::Iaas,
                layer: Layer::NetworkControls,
                basis: Basis {
                    kind: crate::BasisKind::Matrix,
                    entry: "aws/iaas/network-controls".into(),
                    source: String::new(),
                },
                note: None,
            },
            must_act: MustAct::customer(),
            suppression: None,
            verdicts: Vec::new(),
            contradiction: false,
        }
    }

    /// A run with one version of a plugin: findings leave the version out, with the title,
    /// remediation and sha256 that it keys, and get all of them back.
    #[test]
    fn the_only_version_of_a_plugin_is_left_out_and_filled_back() {
        let r = Resolver::from_tables(&[plugin("1.0.0", "sha-1.0.0")], &[].into(), &[].into());
        let full = finding("1.0.0");
        let mut lean = full.clone();
        r.strip(&mut lean);
        assert_eq!(lean.source.version, "");
        assert_eq!(lean.source.sha256, "");
        assert_eq!(lean.remediation, "");
        assert_eq!(lean.check.title, "");
        let json = serde_json::to_string(&lean.source).unwrap();
        assert_eq!(json, r#"{"plugin":"aws"}"#);
        let mut back: Finding =
            serde_json::from_str(&serde_json::to_string(&lean).unwrap()).unwrap();
        r.fill(&mut back);
        assert_eq!(back, full);
    }

    /// Two versions of one plugin in a run (merged shards of different releases): the version
    /// stays in every finding, and each resolves against its own version's tables.
    #[test]
    fn two_versions_of_a_plugin_keep_the_version_inline() {
        let r = Resolver::from_tables(
            &[plugin("1.0.0", "sha-1.0.0"), plugin("2.0.0", "sha-2.0.0")],
            &[].into(),
            &[].into(),
        );
        for version in ["1.0.0", "2.0.0"] {
            let full = finding(version);
            let mut lean = full.clone();
            r.strip(&mut lean);
            assert_eq!(lean.source.version, version);
            assert_eq!(lean.source.sha256, "");
            assert_eq!(lean.remediation, "");
            r.fill(&mut lean);
            assert_eq!(lean, full);
        }
        // A finding of a version the run does not hold keeps everything.
        let mut other = finding("3.0.0");
        r.strip(&mut other);
        assert_eq!(other, finding("3.0.0"));
    }

    /// Evidence is written as a pair, and read from the pair or the object of earlier reports.
    #[test]
    fn evidence_is_a_pair_and_reads_the_object_form_too() {
        let e = Evidence {
            key: "configuration.x".into(),
            value: "on".into(),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"["configuration.x","on"]"#
        );
        for form in [
            r#"["configuration.x","on"]"#,
            r#"{"key":"configuration.x","value":"on"}"#,
        ] {
            assert_eq!(serde_json::from_str::<Evidence>(form).unwrap(), e, "{form}");
        }
        for bad in [
            r#"["configuration.x"]"#,
            r#"["a","b","c"]"#,
            r#"{"key":"a"}"#,
            "7",
        ] {
            let err = serde_json::from_str::<Evidence>(bad).unwrap_err();
            assert!(
                err.to_string().contains("`[key, value]` pair"),
                "{bad}: {err}"
            );
        }
    }
}
