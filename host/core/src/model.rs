//! The normalized finding and the vocabulary around it: severities, statuses, layers, service
//! models, owners, and the gaps a run records when coverage is lost.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a failing check is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Minor hardening.
    Low,
    /// A weakness that helps an attacker once inside.
    Medium,
    /// Exposes data or access on its own.
    High,
    /// Exploited in the wild within hours.
    Critical,
}

impl Severity {
    /// All severities, least severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a kebab-case name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The outcome of one check against one resource.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Meets the check.
    Pass,
    /// Does not meet the check.
    Fail,
    /// Could not be evaluated.
    Error,
    /// The export does not hold what decides the check; a person must.
    Manual,
    /// The check does not apply.
    NotApplicable,
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::Manual,
        Status::NotApplicable,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Manual => "manual",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// Where in the stack a control sits. The layer, with the service model, decides the owner.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// Data centres, power, hardware.
    Physical,
    /// The provider's backbone and edge network.
    NetworkInfrastructure,
    /// Hypervisor and tenant isolation.
    Virtualization,
    /// The operating system of the provider's hosts.
    HostOs,
    /// The operating system or runtime inside the customer's workload.
    GuestOs,
    /// Firewalls, security groups, exposure of endpoints.
    NetworkControls,
    /// The customer's application and its runtime versions.
    Application,
    /// Identities, credentials, permissions.
    Identity,
    /// Data protection: encryption at rest and in transit, keys.
    Data,
    /// Audit logging, monitoring and alerting.
    Logging,
    /// Backups, versioning, recovery.
    Resilience,
    /// Documentation, ownership, reviews, training.
    Governance,
}

impl Layer {
    /// Every layer, bottom of the stack first.
    pub const ALL: [Layer; 12] = [
        Layer::Physical,
        Layer::NetworkInfrastructure,
        Layer::Virtualization,
        Layer::HostOs,
        Layer::GuestOs,
        Layer::NetworkControls,
        Layer::Application,
        Layer::Identity,
        Layer::Data,
        Layer::Logging,
        Layer::Resilience,
        Layer::Governance,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Physical => "physical",
            Layer::NetworkInfrastructure => "network-infrastructure",
            Layer::Virtualization => "virtualization",
            Layer::HostOs => "host-os",
            Layer::GuestOs => "guest-os",
            Layer::NetworkControls => "network-controls",
            Layer::Application => "application",
            Layer::Identity => "identity",
            Layer::Data => "data",
            Layer::Logging => "logging",
            Layer::Resilience => "resilience",
            Layer::Governance => "governance",
        }
    }

    /// Parse a kebab-case name.
    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// How much of the stack a cloud service hands to the customer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceModel {
    /// Virtual machines, disks, networks: the customer runs the guest OS.
    Iaas,
    /// Managed platforms and containers: the provider runs the OS, the customer configures.
    Paas,
    /// Functions: the provider runs OS and runtime patching, the customer picks runtimes.
    Faas,
    /// Abstracted services (object storage, IAM, KMS, audit trails): only configuration and
    /// data are the customer's.
    Abstracted,
}

impl ServiceModel {
    /// Every service model.
    pub const ALL: [ServiceModel; 4] = [
        ServiceModel::Iaas,
        ServiceModel::Paas,
        ServiceModel::Faas,
        ServiceModel::Abstracted,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceModel::Iaas => "iaas",
            ServiceModel::Paas => "paas",
            ServiceModel::Faas => "faas",
            ServiceModel::Abstracted => "abstracted",
        }
    }

    /// Parse a kebab-case name.
    pub fn parse(s: &str) -> Option<ServiceModel> {
        ServiceModel::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Who owns a control for a resource.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// The cloud provider (CSA CCM "CSP-owned").
    Provider,
    /// The customer (CCM "CSC-owned").
    Customer,
    /// Both, each for their part (CCM "shared").
    Shared,
    /// A named third party under the tenant's contract (CCM "third-party outsourced").
    ThirdParty,
}

impl Owner {
    /// Every owner.
    pub const ALL: [Owner; 4] = [
        Owner::Provider,
        Owner::Customer,
        Owner::Shared,
        Owner::ThirdParty,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Provider => "provider",
            Owner::Customer => "customer",
            Owner::Shared => "shared",
            Owner::ThirdParty => "third-party",
        }
    }
}

/// Who controls the setting a check decides on, as the check declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// A setting in the customer's own configuration.
    Customer,
    /// Evidence or a setting only the provider controls.
    Provider,
}

impl Actor {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Provider => "provider",
        }
    }
}

/// Who must act on a finding. Never `shared`: a shared control still has one party that
/// controls the setting a check looked at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The customer.
    Customer,
    /// The cloud provider.
    Provider,
    /// A named third party under the tenant's contract.
    ThirdParty,
}

impl Party {
    /// Every party, in the order reports list them.
    pub const ALL: [Party; 3] = [Party::Customer, Party::ThirdParty, Party::Provider];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Provider => "provider",
            Party::ThirdParty => "third-party",
        }
    }
}

/// Who must act on a finding, and why: the party that controls the setting its check decided
/// on. Kept apart from [`Responsibility`], which is the control's split in the provider's
/// matrix: on a shared control the provider supplies the capability and the customer must use
/// it, so a failing finding on a customer setting is the customer's to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MustAct {
    /// The party.
    pub party: Party,
    /// The third party's name, when `party` is `third-party`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What hands the setting to the party when it is not the check's declared actor: a
    /// contract clause (`contract:<tenant>/<n>`) or an attestation (`attestation:<tenant>/<control>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

impl MustAct {
    /// The customer, as the check declares.
    pub fn customer() -> MustAct {
        MustAct {
            party: Party::Customer,
            name: None,
            basis: None,
        }
    }

    /// Words for the party: `customer`, `provider` or the third party's name.
    pub fn label(&self) -> &str {
        match (&self.party, &self.name) {
            (Party::ThirdParty, Some(n)) => n,
            (p, _) => p.as_str(),
        }
    }
}

/// For a shared control, whether each side's part stands alone (`independent`) or one side's
/// part depends on the other's (`dependent`), as in the CCM implementation guidelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Sharing {
    /// Each party implements its part independently.
    Independent,
    /// One party's implementation depends on the other's.
    Dependent,
}

/// What decided an attribution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BasisKind {
    /// An entry of the provider's responsibility matrix.
    #[default]
    Matrix,
    /// A clause of the tenant's contract that hands the layer or control to a third party.
    Contract,
    /// The resource type has no service model in the data; the most customer-heavy model was
    /// assumed, and the basis says so.
    Assumed,
    /// A customer attestation names who performs the control.
    Attestation,
}

impl BasisKind {
    /// Whether this is [`BasisKind::Matrix`].
    pub fn is_matrix(&self) -> bool {
        *self == BasisKind::Matrix
    }
}

/// The basis of an attribution: which entry or clause decided it, and the document behind it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Basis {
    /// Matrix entry, contract clause, or assumption. In `report.json`, left out when it is
    /// `matrix`, the usual kind.
    #[serde(default, skip_serializing_if = "BasisKind::is_matrix")]
    pub kind: BasisKind,
    /// The entry that decided it, e.g. `aws/iaas/guest-os` or `contract:northwind/0`.
    pub entry: String,
    /// The document behind the entry (title and address), or the contract's reference. In
    /// `report.json`, left out where `run.bases` holds it for `entry`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Who owns a finding's control, and why.
///
/// In `report.json`, `service_model` and `layer` are left out where the basis entry names them
/// (a matrix cell or an assumption, `<provider>/<service model>/<layer>`); reading fills them in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(try_from = "RawResponsibility")]
pub struct Responsibility {
    /// The owner.
    pub owner: Owner,
    /// The named third party, when the owner is `third-party`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// For shared ownership, how the parts relate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing: Option<Sharing>,
    /// Service model of the resource.
    pub service_model: ServiceModel,
    /// Layer of the finding's primary control.
    pub layer: Layer,
    /// What decided it.
    pub basis: Basis,
    /// A plain-words warning where teams commonly assume the provider covers this. In
    /// `report.json`, left out where `run.notes` holds it for the provider and primary control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Responsibility {
    /// Whether the basis entry names the service model and layer (`<provider>/<model>/<layer>`).
    fn entry_names_model_and_layer(&self) -> bool {
        matches!(self.basis.kind, BasisKind::Matrix | BasisKind::Assumed)
            && entry_model_and_layer(&self.basis.entry) == Some((self.service_model, self.layer))
    }
}

/// The service model and layer a matrix entry `<provider>/<model>/<layer>` names.
fn entry_model_and_layer(entry: &str) -> Option<(ServiceModel, Layer)> {
    let mut parts = entry.rsplitn(3, '/');
    let layer = Layer::parse(parts.next()?)?;
    let model = ServiceModel::parse(parts.next()?)?;
    parts.next().filter(|p| !p.is_empty())?;
    Some((model, layer))
}

impl Serialize for Responsibility {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let named = self.entry_names_model_and_layer();
        let n = 2
            + usize::from(self.party.is_some())
            + usize::from(self.sharing.is_some())
            + if named { 0 } else { 2 }
            + usize::from(self.note.is_some());
        let mut st = s.serialize_struct("Responsibility", n)?;
        st.serialize_field("owner", &self.owner)?;
        if let Some(p) = &self.party {
            st.serialize_field("party", p)?;
        }
        if let Some(sh) = &self.sharing {
            st.serialize_field("sharing", sh)?;
        }
        if !named {
            st.serialize_field("service_model", &self.service_model)?;
            st.serialize_field("layer", &self.layer)?;
        }
        st.serialize_field("basis", &self.basis)?;
        if let Some(n) = &self.note {
            st.serialize_field("note", n)?;
        }
        st.end()
    }
}

/// Who owns a finding's control, and why, as `report.json` writes it.
#[derive(Deserialize, JsonSchema)]
#[serde(rename = "Responsibility")]
struct RawResponsibility {
    /// The owner.
    owner: Owner,
    /// The named third party, when the owner is `third-party`.
    #[serde(default)]
    party: Option<String>,
    /// For shared ownership, how the parts relate.
    #[serde(default)]
    sharing: Option<Sharing>,
    /// Service model of the resource; absent where `basis.entry` names it.
    #[serde(default)]
    service_model: Option<ServiceModel>,
    /// Layer of the finding's primary control; absent where `basis.entry` names it.
    #[serde(default)]
    layer: Option<Layer>,
    /// What decided it.
    basis: Basis,
    /// A plain-words warning where teams commonly assume the provider covers this (absent where
    /// `run.notes` holds it).
    #[serde(default)]
    note: Option<String>,
}

impl TryFrom<RawResponsibility> for Responsibility {
    type Error = String;

    fn try_from(r: RawResponsibility) -> Result<Self, String> {
        let named = entry_model_and_layer(&r.basis.entry);
        let (service_model, layer) = match (r.service_model, r.layer, named) {
            (Some(m), Some(l), _) => (m, l),
            (m, l, Some((nm, nl))) => (m.unwrap_or(nm), l.unwrap_or(nl)),
            _ => {
                return Err(format!(
                    "responsibility without `service_model` and `layer`, and its basis entry `{}` does not name them",
                    r.basis.entry
                ));
            }
        };
        Ok(Responsibility {
            owner: r.owner,
            party: r.party,
            sharing: r.sharing,
            service_model,
            layer,
            basis: r.basis,
            note: r.note,
        })
    }
}

/// The resource a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceRef {
    /// The cloud's identifier (ARN, resource id, full resource name).
    pub id: String,
    /// The cloud's native type name.
    #[serde(rename = "type")]
    pub native_type: String,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tags, in the order the cloud recorded them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// The check a finding evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckRef {
    /// Stable kebab-case id.
    pub id: String,
    /// Title, phrased as the desired state. In `report.json`, left out where it is the one the
    /// plugin declares (in `run.plugins[].checks[]`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
}

/// One configuration value that decided a finding. Written as a pair, `[key, value]`; read from
/// the pair or from the object form `{"key": ..., "value": ...}` of earlier reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Path of the value in the resource's configuration.
    pub key: String,
    /// The value as text.
    pub value: String,
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.key, &self.value).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "evidence: a `[key, value]` pair of strings")]
        enum Form {
            Pair(String, String),
            Object { key: String, value: String },
        }
        Ok(match Form::deserialize(d)? {
            Form::Pair(key, value) | Form::Object { key, value } => Evidence { key, value },
        })
    }
}

impl JsonSchema for Evidence {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Evidence".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One configuration value that decided a finding: `[key, value]`, the path of the value in the resource's configuration and the value as text.",
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "string"}],
            "items": false,
            "minItems": 2,
            "maxItems": 2
        })
    }
}

/// Where a finding came from: a plugin or an imported tool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// Plugin or tool name.
    pub plugin: String,
    /// Its version. In `report.json`, left out where `run.plugins` holds one version of the
    /// plugin.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// sha256 of the plugin's WebAssembly, hex. In `report.json`, left out where `run.plugins`
    /// holds it for the plugin and version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
}

/// One check evaluated against one resource, attributed to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Deterministic id: a hash of tenant, provider, account, region, resource id and check id.
    pub id: String,
    /// Tenant id.
    pub tenant: String,
    /// Target id within the tenant.
    pub target: String,
    /// Provider id (`aws`, `azure`, `gcp`, or custom).
    pub provider: String,
    /// Account, subscription or project.
    pub account: String,
    /// Region or `global`.
    pub region: String,
    /// The resource.
    pub resource: ResourceRef,
    /// The check.
    pub check: CheckRef,
    /// Outcome.
    pub status: Status,
    /// A sentence specific to this resource.
    pub message: String,
    /// Catalog control ids; the first is the primary control.
    pub controls: Vec<String>,
    /// The values that decided it.
    pub evidence: Vec<Evidence>,
    /// How to fix a failure. In `report.json`, left out where it is the check's own (in
    /// `run.plugins[].checks[]`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    /// When the cloud observed the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// The plugin that produced it.
    pub source: Source,
    /// Who owns its control, and why (the provider's matrix, or the tenant's contract).
    pub responsibility: Responsibility,
    /// Who must act on it: the party that controls the setting the check decided on.
    pub must_act: MustAct,
    /// The suppression that matched this failing finding, when one did: while it is in force
    /// the finding is accepted (it stays failing, and does not count toward `--fail-on`); once
    /// it has expired the finding fails again and its approver must act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionMark>,
    /// When findings of several tools on this resource and control were fused into this one
    /// (see [`crate::fuse`]): every tool's verdict, this finding's own among them. Its status is
    /// the most severe verdict's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<crate::fuse::Verdict>,
    /// True when the fused verdicts contradict each other: one tool says pass, another fail.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contradiction: bool,
}

/// A finding of another tool whose check maps to no catalog control: kept as the tool reported
/// it, with the tool, its version and its own check id in the evidence (`tool`, `tool.version`,
/// `tool.check`), but neither attributed (an owner is a control's, by its layer) nor rolled up.
/// Its check is declared like any other (in `run.plugins[].checks[]`, with no controls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmappedFinding {
    /// Deterministic id, as a finding's.
    pub id: String,
    /// Tenant id.
    pub tenant: String,
    /// Target id within the tenant.
    pub target: String,
    /// Provider id.
    pub provider: String,
    /// Account, subscription or project.
    pub account: String,
    /// Region or `global`.
    pub region: String,
    /// The resource.
    pub resource: ResourceRef,
    /// The tool's check, as demarc declares it.
    pub check: CheckRef,
    /// The tool's verdict.
    pub status: Status,
    /// The tool's sentence about this resource.
    pub message: String,
    /// The tool, its version, its check id and its name of the resource.
    pub evidence: Vec<Evidence>,
    /// When the tool observed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// The importer plugin that read it.
    pub source: Source,
}

impl UnmappedFinding {
    /// The value of evidence `key`, if the finding holds it.
    pub fn evidence(&self, key: &str) -> Option<&str> {
        self.evidence
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

/// The suppression a finding matched, as the finding carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionMark {
    /// The suppression's id.
    pub id: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who approved it.
    pub approved_by: String,
    /// The last day it is in force (`YYYY-MM-DD`).
    pub expires: String,
    /// True when the run's reference day is past `expires`: the suppression no longer
    /// suppresses, and the finding is its approver's to act on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

impl Finding {
    /// Whether a suppression in force covers this finding.
    pub fn is_suppressed(&self) -> bool {
        self.suppression.as_ref().is_some_and(|s| !s.expired)
    }
}

/// Why coverage was lost.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    /// An input file is missing.
    MissingInput,
    /// An input file is not valid for its format (truncated, empty, wrong types).
    MalformedInput,
    /// An input file is in a format the plugin does not read.
    UnsupportedFormat,
    /// The export itself says it is incomplete (e.g. a truncated query result).
    IncompleteInput,
    /// The plugin could not be loaded, verified or described.
    PluginLoad,
    /// The plugin returned an error.
    PluginError,
    /// The plugin ran past its deadline and was stopped.
    Deadline,
    /// The plugin reached its memory cap and was stopped.
    MemoryCap,
    /// The plugin reached its cap on findings or bytes emitted.
    EmitCap,
    /// The plugin trapped (panic, abort, sandbox violation).
    PluginTrap,
    /// The plugin emitted findings the host rejected (unknown check or control, oversize).
    InvalidFinding,
    /// No plugin is configured for the target's provider.
    NoPlugin,
    /// The plugin reported findings for accounts (subscriptions, projects) the target does not
    /// declare in `accounts`; the host rejected them.
    ForeignAccount,
    /// One account appears in targets of two different tenants.
    AccountClash,
    /// Two targets of one tenant report different statuses for the same check on the same
    /// resource; the first in plan order is in the report.
    Conflict,
    /// Findings whose provider has no responsibility matrix, or whose resource type no matrix
    /// entry covers, and for which the configuration accepts no assumed service model: their
    /// owner is a guess (the customer, under IaaS), not attributed.
    Unattributed,
}

impl GapKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::MissingInput => "missing-input",
            GapKind::MalformedInput => "malformed-input",
            GapKind::UnsupportedFormat => "unsupported-format",
            GapKind::IncompleteInput => "incomplete-input",
            GapKind::PluginLoad => "plugin-load",
            GapKind::PluginError => "plugin-error",
            GapKind::Deadline => "deadline",
            GapKind::MemoryCap => "memory-cap",
            GapKind::EmitCap => "emit-cap",
            GapKind::PluginTrap => "plugin-trap",
            GapKind::InvalidFinding => "invalid-finding",
            GapKind::NoPlugin => "no-plugin",
            GapKind::ForeignAccount => "foreign-account",
            GapKind::AccountClash => "account-clash",
            GapKind::Conflict => "conflict",
            GapKind::Unattributed => "unattributed",
        }
    }

    /// Parse a kebab-case name of a kind a plugin may report as a problem. The kinds only the
    /// host decides (`foreign-account`, `account-clash`, `conflict`, `unattributed`) are not
    /// among them.
    pub fn parse(s: &str) -> Option<GapKind> {
        [
            GapKind::MissingInput,
            GapKind::MalformedInput,
            GapKind::UnsupportedFormat,
            GapKind::IncompleteInput,
            GapKind::PluginLoad,
            GapKind::PluginError,
            GapKind::Deadline,
            GapKind::MemoryCap,
            GapKind::EmitCap,
            GapKind::PluginTrap,
            GapKind::InvalidFinding,
            GapKind::NoPlugin,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Coverage that a run lost, and why. Every gap is listed in the report; none is silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Gap {
    /// Why.
    pub kind: GapKind,
    /// Tenant id (empty for run-wide gaps).
    pub tenant: String,
    /// Target id (empty for run-wide gaps).
    pub target: String,
    /// The plugin involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The input file involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in the file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in the file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What happened, in words.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `report.json` leaves out what the basis entry names, and reads it back.
    #[test]
    fn responsibility_leaves_out_what_its_entry_names_and_reads_it_back() {
        let matrix = Responsibility {
            owner: Owner::Shared,
            party: None,
            sharing: Some(Sharing::Dependent),
            service_model: ServiceModel::Paas,
            layer: Layer::NetworkControls,
            basis: Basis {
                kind: BasisKind::Matrix,
                entry: "aws/paas/network-controls".into(),
                source: String::new(),
            },
            note: None,
        };
        let json = serde_json::to_string(&matrix).unwrap();
        assert_eq!(
            json,
            r#"{"owner":"shared","sharing":"dependent","basis":{"entry":"aws/paas/network-controls"}}"#
        );
        assert_eq!(
            serde_json::from_str::<Responsibility>(&json).unwrap(),
            matrix
        );
        // A contract clause names neither: both stay.
        let contract = Responsibility {
            owner: Owner::ThirdParty,
            party: Some("Bluefin".into()),
            sharing: None,
            basis: Basis {
                kind: BasisKind::Contract,
                entry: "contract:northwind/0".into(),
                source: "MSA".into(),
            },
            ..matrix.clone()
        };
        let json = serde_json::to_string(&contract).unwrap();
        assert!(
            json.contains(r#""service_model":"paas","layer":"network-controls""#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<Responsibility>(&json).unwrap(),
            contract
        );
        // Missing and not named: an error that says so.
        let err = serde_json::from_str::<Responsibility>(
            r#"{"owner":"customer","basis":{"kind":"contract","entry":"contract:t/0"}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not name them"), "{err}");
    }

    /// A plugin cannot report a gap that only the host decides: it would pass for the host's
    /// own verdict on accounts or conflicts.
    #[test]
    fn plugins_cannot_report_host_only_gap_kinds() {
        for k in [
            GapKind::ForeignAccount,
            GapKind::AccountClash,
            GapKind::Conflict,
        ] {
            assert_eq!(GapKind::parse(k.as_str()), None, "{k:?}");
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.as_str());
        }
        assert_eq!(
            GapKind::parse("malformed-input"),
            Some(GapKind::MalformedInput)
        );
    }
}
