//! demarc's importers: other scanners' findings, read as demarc findings.
//!
//! An importer is a plugin like the providers, on the same contract and in the same sandbox;
//! its input is another tool's output instead of a cloud's export. This crate holds the readers
//! and the mapping; `plugins/import-aws`, `import-azure` and `import-gcp` are the components, one
//! per cloud (a plugin scans one provider, and a finding is attributed by its provider's
//! responsibility matrix), each a line of [`export_importer!`].
//!
//! Formats read (declared by a target's `importer` key, or sniffed):
//!
//! - `prowler-ocsf` — Prowler's JSON-OCSF output ([`prowler`]), streamed item by item;
//! - `asff` — AWS Security Hub findings ([`asff`]): Security Hub's control findings, Prowler's
//!   `json-asff`, and other products' findings (named by their product);
//! - `defender` — Microsoft Defender for Cloud assessments as Azure Resource Graph exports them
//!   ([`defender`]);
//! - `scc` — Google Security Command Center findings ([`scc`]);
//! - `sarif` — SARIF 2.1.0 logs from any tool ([`sarif`]), streamed run by run.
//!
//! A file of another tool's output is named as such ([`tools`]).
//!
//! Each tool check met in the input is declared to the host once (`host.declare`), as
//! `<tool>-<check id>` with the controls [`mapping`] gives it; each finding keeps the tool,
//! its version and its own check id as evidence (`tool`, `tool.version`, `tool.check`). A tool
//! check that maps to no catalog control is declared with no control: the host keeps its
//! findings in the report's `unmapped` list, neither attributed nor rolled up, and counts them.

pub mod asff;
pub mod defender;
pub mod mapping;
pub mod prowler;
pub mod sarif;
pub mod scc;
pub mod tools;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use demarc_sdk::formats::{Format, Own, Sniffed};
use demarc_sdk::scan::{Driver, Flow, Opened, Scan, Stream};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{
    Actor, Check, Emitter, Evidence, Finding, InputError, PluginInfo, Producer, Provider,
    Requirement, Resource, ScanError, ScanRequest, ScanSummary, Severity, Status,
};

use crate::mapping::Mapping;
use crate::prowler::{DETECTION_FINDING, OcsfFinding, text};

/// The cloud an importer component serves.
pub trait Cloud: 'static {
    /// The provider id: `aws`, `azure`, `gcp`.
    const PROVIDER: &'static str;
    /// The plugin's name: `import-aws`.
    const PLUGIN: &'static str;
}

/// The importer of one cloud's findings.
pub struct Importer<C>(PhantomData<C>);

/// The tool the importers read; the version of each finding's tool is in its evidence.
pub const PRODUCER: &str = "prowler";

impl<C: Cloud> Provider for Importer<C> {
    fn info() -> PluginInfo {
        PluginInfo {
            name: C::PLUGIN.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            provider: C::PROVIDER.to_string(),
            contract_version: demarc_sdk::CONTRACT_VERSION.to_string(),
            // Every check is learnt from the input and declared during the scan.
            checks: Vec::new(),
            // One component reads every format; each finding names its own tool, version and
            // check in its evidence (`tool`, `tool.version`, `tool.check`).
            producer: Some(Producer {
                name: format!(
                    "other scanners' output: {}",
                    ImportFormat::ALL.map(ImportFormat::name).join(", ")
                ),
                version: String::new(),
            }),
        }
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<ImportScan<C>>(request, out)
    }
}

/// Export an importer component for a cloud: `export_importer!(Aws, "aws", "import-aws");`.
#[macro_export]
macro_rules! export_importer {
    ($cloud:ident, $provider:literal, $plugin:literal) => {
        /// The cloud this component serves.
        pub struct $cloud;
        impl $crate::Cloud for $cloud {
            const PROVIDER: &'static str = $provider;
            const PLUGIN: &'static str = $plugin;
        }
        #[cfg(target_arch = "wasm32")]
        demarc_sdk::export_provider!($crate::Importer<$cloud>);
    };
}

/// The formats the importers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Prowler `-M json-ocsf`.
    ProwlerOcsf,
    /// AWS Security Hub findings (`aws securityhub get-findings`, Prowler `-M json-asff`).
    Asff,
    /// Microsoft Defender for Cloud assessments as Azure Resource Graph exports them.
    Defender,
    /// Google Security Command Center findings (`gcloud scc findings list --format=json`).
    Scc,
    /// SARIF 2.1.0 logs from any tool.
    Sarif,
}

impl ImportFormat {
    /// Every format the importers read.
    pub const ALL: [ImportFormat; 5] = [
        ImportFormat::ProwlerOcsf,
        ImportFormat::Asff,
        ImportFormat::Defender,
        ImportFormat::Scc,
        ImportFormat::Sarif,
    ];

    /// The name a target's `importer` gives it.
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::ProwlerOcsf => "prowler-ocsf",
            ImportFormat::Asff => "asff",
            ImportFormat::Defender => "defender",
            ImportFormat::Scc => "scc",
            ImportFormat::Sarif => "sarif",
        }
    }

    /// What its files are, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ImportFormat::ProwlerOcsf => "Prowler JSON-OCSF",
            ImportFormat::Asff => "AWS Security Hub findings (ASFF)",
            ImportFormat::Defender => "Microsoft Defender for Cloud assessments",
            ImportFormat::Scc => "Google Security Command Center findings",
            ImportFormat::Sarif => "a SARIF log",
        }
    }

    /// Its short name, in "this is X, not <short>".
    pub fn short(self) -> &'static str {
        match self {
            ImportFormat::ProwlerOcsf => "Prowler JSON-OCSF",
            ImportFormat::Asff => "ASFF",
            ImportFormat::Defender => "Defender for Cloud assessments",
            ImportFormat::Scc => "SCC findings",
            ImportFormat::Sarif => "SARIF",
        }
    }

    /// The cloud whose findings it holds, when only one.
    pub fn cloud(self) -> Option<&'static str> {
        match self {
            ImportFormat::ProwlerOcsf => None,
            ImportFormat::Asff => Some("aws"),
            ImportFormat::Defender => Some("azure"),
            ImportFormat::Scc => Some("gcp"),
            ImportFormat::Sarif => None,
        }
    }
}

/// One scan of an importer.
pub struct ImportScan<C> {
    /// The mapping of each tool met, loaded when its first check is.
    mappings: BTreeMap<String, Mapping>,
    /// tool → tool check → the demarc check declared for it.
    checks: BTreeMap<String, BTreeMap<String, String>>,
    _cloud: PhantomData<C>,
}

const OWN: Own = Own {
    plugin: "importer",
    items: "OCSF Detection Findings",
    required: "`class_uid` 2004 and `metadata.event_code`",
    advice: "; Prowler writes them with `-M json-ocsf`",
};

impl<C: Cloud> Driver for ImportScan<C> {
    type Format = ImportFormat;
    const OWN: Own = OWN;
    const FORMATS: &'static [Format<ImportFormat>] = &[
        Format {
            names: &["prowler-ocsf"],
            format: ImportFormat::ProwlerOcsf,
        },
        Format {
            names: &["asff"],
            format: ImportFormat::Asff,
        },
        Format {
            names: &["defender"],
            format: ImportFormat::Defender,
        },
        Format {
            names: &["scc"],
            format: ImportFormat::Scc,
        },
        Format {
            names: &["sarif"],
            format: ImportFormat::Sarif,
        },
    ];
    const NOT_OURS: &'static str = "not another tool's output this importer reads (prowler-ocsf, asff, defender, scc, sarif): ";
    const GZIP_NOTE: Option<&'static str> = None;

    fn sniff(body: &[u8]) -> Sniffed<ImportFormat> {
        use demarc_sdk::formats::contains;
        if body.first() == Some(&b'[') && contains(body, b"\"class_uid\"") {
            Sniffed::Format(ImportFormat::ProwlerOcsf)
        } else if contains(body, b"\"SchemaVersion\"")
            && (contains(body, b"\"GeneratorId\"") || contains(body, b"\"ProductArn\""))
        {
            Sniffed::Format(ImportFormat::Asff)
        } else if contains(&body.to_ascii_lowercase(), defender::ASSESSMENTS.as_bytes()) {
            Sniffed::Format(ImportFormat::Defender)
        } else if contains(body, b"\"finding\"")
            && (contains(body, b"\"category\"") || contains(body, b"\"resourceName\""))
        {
            Sniffed::Format(ImportFormat::Scc)
        } else if contains(body, b"\"runs\"") && contains(body, b"\"version\"") {
            Sniffed::Format(ImportFormat::Sarif)
        } else {
            Sniffed::Unsupported(
                "it holds no OCSF findings (`class_uid`), ASFF findings (`SchemaVersion`, `GeneratorId`), Defender assessments (`microsoft.security/assessments`) SCC findings (`finding`) or a SARIF log (`runs`)"
                    .to_string(),
            )
        }
    }

    fn start(_now: Timestamp) -> Self {
        ImportScan {
            mappings: BTreeMap::new(),
            checks: BTreeMap::new(),
            _cloud: PhantomData,
        }
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        format: ImportFormat,
    ) -> Result<(), ScanError> {
        if let Some(cloud) = format.cloud()
            && cloud != C::PROVIDER
        {
            return scan.unsupported(
                input.name,
                format!(
                    "{} are {cloud} findings: import them in a target whose provider is `{cloud}`, not `{}`",
                    format.describe(),
                    C::PROVIDER
                ),
            );
        }
        match format {
            ImportFormat::ProwlerOcsf => self.read_prowler(scan, input),
            ImportFormat::Asff => self.read_asff(scan, input),
            ImportFormat::Defender => self.read_defender(scan, input),
            ImportFormat::Scc => self.read_scc(scan, input),
            ImportFormat::Sarif => self.read_sarif(scan, input),
        }
    }

    /// Every finding was emitted as it was read, those of unmapped checks too.
    fn finish(self, _scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        Ok(())
    }
}

/// Counts of one input.
#[derive(Default)]
struct Counts {
    ours: u64,
    other_clouds: BTreeMap<String, u64>,
}

impl<C: Cloud> ImportScan<C> {
    fn read_prowler(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let mut counts = Counts::default();
        let how = Stream {
            key: "findings",
            empty: "no OCSF findings",
            not_an_array: None,
        };
        let read = scan.json_items(file, input.reader, how, |scan, item, _text| {
            let finding: OcsfFinding<'_> = match item.parse() {
                Ok(f) => f,
                Err(e) => {
                    scan.item_problem(InputError::at(file, e.line, e.column, e.message));
                    return Ok(Flow::Next);
                }
            };
            if finding.class_uid != Some(DETECTION_FINDING) {
                if item.index == 0 {
                    // Not Prowler's output at all: say what it is, once, for the whole file.
                    if let Some(message) =
                        tools::another_tools(item.bytes, ImportFormat::ProwlerOcsf)
                    {
                        scan.unsupported(file, message)?;
                        return Ok(Flow::Stop);
                    }
                    let message = match (finding.class_uid, &finding.class_name) {
                        (Some(uid), name) => format!(
                            "valid JSON but not Prowler JSON-OCSF: its findings are OCSF class {uid}{}, not Detection Finding ({DETECTION_FINDING})",
                            name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                        ),
                        (None, _) => format!(
                            "valid JSON but not Prowler JSON-OCSF: it looks like {}",
                            demarc_sdk::formats::describe_foreign(item.bytes, &OWN)
                        ),
                    };
                    scan.unsupported(file, message)?;
                    return Ok(Flow::Stop);
                }
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "`class_uid` is {}, not an OCSF Detection Finding ({DETECTION_FINDING})",
                        finding
                            .class_uid
                            .map_or("missing".to_string(), |u| u.to_string())
                    ),
                ));
                return Ok(Flow::Next);
            }
            self.prowler_item(scan, file, item, &finding, &mut counts)?;
            Ok(Flow::Next)
        })?;
        if read.is_some() && counts.ours == 0 && !counts.other_clouds.is_empty() {
            let others: Vec<String> = counts
                .other_clouds
                .iter()
                .map(|(cloud, n)| format!("{n} of {cloud}"))
                .collect();
            scan.unsupported(
                file,
                format!(
                    "it holds no {} findings ({}): import it in a target whose provider is the findings' cloud",
                    C::PROVIDER,
                    others.join(", ")
                ),
            )?;
        }
        Ok(())
    }

    fn prowler_item(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        item: &Item<'_>,
        f: &OcsfFinding<'_>,
        counts: &mut Counts,
    ) -> Result<(), ScanError> {
        let cloud = f.cloud.as_ref();
        let provider = cloud.and_then(|c| text(&c.provider)).unwrap_or_default();
        if !provider.eq_ignore_ascii_case(C::PROVIDER) {
            if provider.is_empty() {
                scan.item_problem(at(file, item, "`cloud.provider` is missing".into()));
            } else {
                *counts
                    .other_clouds
                    .entry(provider.to_ascii_lowercase())
                    .or_default() += 1;
                scan.skipped();
            }
            return Ok(());
        }
        counts.ours += 1;
        let meta = f.metadata.as_ref();
        let Some(tool_check) = meta.and_then(|m| text(&m.event_code)) else {
            scan.item_problem(at(
                file,
                item,
                "`metadata.event_code` (the Prowler check id) is missing".into(),
            ));
            return Ok(());
        };
        let status = match text(&f.status_code) {
            Some(s) if s.eq_ignore_ascii_case("PASS") => Status::Pass,
            Some(s) if s.eq_ignore_ascii_case("FAIL") => Status::Fail,
            Some(s) if s.eq_ignore_ascii_case("MANUAL") => Status::Manual,
            Some(other) => {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "unknown `status_code` `{}` (Prowler writes PASS, FAIL or MANUAL)",
                        excerpt(other)
                    ),
                ));
                return Ok(());
            }
            None => {
                scan.item_problem(at(file, item, "`status_code` is missing".into()));
                return Ok(());
            }
        };
        let resources: Vec<_> = f
            .resources
            .iter()
            .flatten()
            .filter(|r| text(&r.uid).is_some())
            .collect();
        if resources.is_empty() {
            scan.item_problem(at(
                file,
                item,
                format!("Prowler check `{tool_check}`: no resource id (`resources[].uid`)"),
            ));
            return Ok(());
        }
        let check_id = self.known(scan, f, tool_check)?;
        let account = cloud
            .and_then(|c| c.account.as_ref())
            .and_then(|a| text(&a.uid))
            .unwrap_or_default();
        let cloud_region = cloud.and_then(|c| text(&c.region));
        let version = meta
            .and_then(|m| m.product.as_ref())
            .and_then(|p| text(&p.version))
            .unwrap_or_default();
        let observed_at = text(&f.time_dt)
            .filter(|t| Timestamp::parse(t).is_some())
            .map(str::to_string);
        let message = text(&f.status_detail)
            .or_else(|| text(&f.message))
            .unwrap_or(tool_check);
        for r in resources {
            let region = text(&r.region).or(cloud_region).unwrap_or("global");
            let mut evidence = vec![
                ev("tool", PRODUCER),
                ev("tool.version", version),
                ev("tool.check", tool_check),
            ];
            if let Some(code) = text(&f.status_code) {
                evidence.push(ev("status_code", code));
            }
            scan.emit([Finding {
                check_id: check_id.clone(),
                account: account.to_string(),
                region: region.to_string(),
                resource: Resource {
                    id: text(&r.uid).unwrap_or_default().to_string(),
                    native_type: text(&r.kind).unwrap_or_default().to_string(),
                    name: text(&r.name).map(str::to_string),
                    tags: Vec::new(),
                },
                status,
                message: message.to_string(),
                evidence,
                extra_controls: Vec::new(),
                observed_at: observed_at.clone(),
            }])?;
            scan.resources(1);
        }
        Ok(())
    }

    /// The demarc check of `tool_check`, declared the first time it is met.
    fn known(
        &mut self,
        scan: &mut Scan<'_, '_>,
        f: &OcsfFinding<'_>,
        tool_check: &str,
    ) -> Result<String, ScanError> {
        self.learn(scan, PRODUCER, tool_check, || Described {
            title: f
                .finding_info
                .as_ref()
                .and_then(|i| text(&i.title))
                .unwrap_or(tool_check)
                .to_string(),
            severity: severity(text(&f.severity)),
            rationale: text(&f.risk_details).unwrap_or_default().to_string(),
            remediation: f
                .remediation
                .as_ref()
                .and_then(|r| text(&r.desc))
                .unwrap_or_default()
                .to_string(),
            resource_types: f
                .resources
                .iter()
                .flatten()
                .filter_map(|r| text(&r.kind))
                .map(str::to_string)
                .collect(),
            citations: f
                .unmapped
                .as_ref()
                .and_then(|u| u.compliance.as_ref())
                .map(|c| c.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
                .unwrap_or_default(),
        })
    }

    /// The demarc check of `tool`'s check `tool_check`, declared the first time it is met with
    /// the controls the tool's mapping gives it (`describe` says what the input says of it). A
    /// check that maps to no control is declared with none: the host keeps its findings as
    /// unmapped, neither attributed nor rolled up, and the report counts them.
    pub(crate) fn learn(
        &mut self,
        scan: &mut Scan<'_, '_>,
        tool: &str,
        tool_check: &str,
        describe: impl FnOnce() -> Described,
    ) -> Result<String, ScanError> {
        if let Some(id) = self
            .checks
            .get(tool)
            .and_then(|checks| checks.get(tool_check))
        {
            return Ok(id.clone());
        }
        let described = describe();
        let mapping = self
            .mappings
            .entry(tool.to_string())
            .or_insert_with(|| Mapping::of(tool, C::PROVIDER));
        let mapped = mapping.map(
            tool_check,
            described
                .citations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice())),
        );
        let checks = self.checks.entry(tool.to_string()).or_default();
        let id = tool_check_id(tool, tool_check);
        let check = Check {
            id: id.clone(),
            title: described.title,
            severity: described.severity,
            actor: Actor::Customer,
            rationale: described.rationale,
            remediation: described.remediation,
            controls: mapped.controls,
            resource_types: described.resource_types,
            requirements: mapped
                .requirements
                .into_iter()
                .map(|(benchmark, id)| Requirement { benchmark, id })
                .collect(),
        };
        scan.declare(&[check])?;
        checks.insert(tool_check.to_string(), id.clone());
        Ok(id)
    }
}

/// What the input says of a tool check, for its declaration.
pub(crate) struct Described {
    /// The check's title.
    pub title: String,
    /// Its severity.
    pub severity: Severity,
    /// Why it matters.
    pub rationale: String,
    /// How to fix it.
    pub remediation: String,
    /// The tool's resource types it was met on.
    pub resource_types: Vec<String>,
    /// Framework name → requirement ids the tool cites.
    pub citations: Vec<(String, Vec<String>)>,
}

/// demarc's id of a check of `tool`: the tool, `-`, and the check id in kebab case
/// (`securityhub-s3.8`).
pub fn tool_check_id(tool: &str, tool_check: &str) -> String {
    let mut id = String::with_capacity(tool.len() + tool_check.len() + 1);
    id.push_str(tool);
    id.push('-');
    for c in tool_check.chars() {
        match c {
            'a'..='z' | '0'..='9' | '.' => id.push(c),
            'A'..='Z' => id.push(c.to_ascii_lowercase()),
            _ if !id.ends_with('-') => id.push('-'),
            _ => {}
        }
    }
    id.trim_end_matches('-').to_string()
}

/// demarc's id of a Prowler check: `prowler-` and the check id in kebab case.
pub fn check_id(tool_check: &str) -> String {
    tool_check_id(PRODUCER, tool_check)
}

/// Prowler's severity words.
fn severity(s: Option<&str>) -> Severity {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => Severity::Critical,
        Some("high") => Severity::High,
        Some("medium") => Severity::Medium,
        Some("low") => Severity::Low,
        _ => Severity::Info,
    }
}

fn ev(key: &str, value: &str) -> Evidence {
    Evidence {
        key: key.to_string(),
        value: value.to_string(),
    }
}

fn at(file: &str, item: &Item<'_>, message: String) -> InputError {
    InputError::at(
        file,
        item.line,
        item.column,
        format!("item {}: {message}", item.index),
    )
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).flat_map(char::escape_debug).collect()
}
