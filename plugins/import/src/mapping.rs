//! The mapping of a tool's checks onto demarc's catalog, from the data in `schemas/mappings/`.
//!
//! Two ways, in order: through the frameworks the tool cites (a citation of a benchmark version
//! demarc holds maps through [`Crosswalk`], the controls behind each requirement as demarc's own
//! checks test it), then through the tool's table of check id → controls. The data is compiled
//! into the plugin, so the plugin declares each check it learns with its controls, and the host
//! validates them (known controls, verifiable citations) as it validates every check.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The crosswalk of the benchmarks demarc holds: requirement → catalog controls, generated from
/// the first-party plugins' checks (a test keeps it current).
pub const CROSSWALK: &str = include_str!("../../../schemas/mappings/crosswalk.toml");
/// Prowler's mapping.
pub const PROWLER: &str = include_str!("../../../schemas/mappings/prowler.toml");
/// AWS Security Hub's mapping (its control ids).
pub const SECURITYHUB: &str = include_str!("../../../schemas/mappings/securityhub.toml");

/// Microsoft Defender for Cloud's mapping (its assessment keys).
pub const DEFENDER: &str = include_str!("../../../schemas/mappings/defender.toml");

/// Google Security Command Center's mapping (its finding categories).
pub const SCC: &str = include_str!("../../../schemas/mappings/scc.toml");

/// Checkov's mapping (its check ids, as its SARIF output names its rules).
pub const CHECKOV: &str = include_str!("../../../schemas/mappings/checkov.toml");

/// Every tool's mapping file: (tool, the file's text), the tool as a finding's `tool` evidence
/// names it and as `schemas/mappings/<tool>.toml` is named.
pub const TOOLS: &[(&str, &str)] = &[
    ("prowler", PROWLER),
    ("securityhub", SECURITYHUB),
    ("defender", DEFENDER),
    ("scc", SCC),
    ("checkov", CHECKOV),
];

/// benchmark id → requirement id → controls.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Crosswalk(pub BTreeMap<String, BTreeMap<String, Vec<String>>>);

/// A tool's framework name that stands for a benchmark demarc holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// The cloud whose findings cite it.
    pub provider: String,
    /// The tool's name for it (`CIS-7.0`).
    pub name: String,
    /// demarc's benchmark id (`cis-aws-7.0`).
    pub benchmark: String,
}

/// One tool's mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolMapping {
    /// The tool.
    pub tool: String,
    /// Framework names it cites that demarc holds.
    #[serde(default)]
    pub framework: Vec<Framework>,
    /// provider → tool check id → controls.
    #[serde(default)]
    pub checks: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// What a tool's check maps to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// Catalog controls, the first primary; empty when the check maps to nothing.
    pub controls: Vec<String>,
    /// (benchmark, requirement) citations demarc holds.
    pub requirements: Vec<(String, String)>,
    /// How it was mapped: `framework`, `table`, or both joined with `+`; empty when unmapped.
    pub by: String,
}

/// The mapping of one tool on one cloud.
#[derive(Debug, Clone)]
pub struct Mapping {
    crosswalk: Crosswalk,
    frameworks: BTreeMap<String, String>,
    table: BTreeMap<String, Vec<String>>,
}

impl Mapping {
    /// Parse `tool_text` (a mapping file) and `crosswalk_text` for `provider`.
    pub fn parse(tool_text: &str, crosswalk_text: &str, provider: &str) -> Result<Self, String> {
        let tool: ToolMapping =
            toml::from_str(tool_text).map_err(|e| format!("mapping file: {e}"))?;
        let crosswalk: Crosswalk =
            toml::from_str(crosswalk_text).map_err(|e| format!("crosswalk.toml: {e}"))?;
        Ok(Mapping {
            crosswalk,
            frameworks: tool
                .framework
                .into_iter()
                .filter(|f| f.provider == provider)
                .map(|f| (f.name, f.benchmark))
                .collect(),
            table: tool.checks.get(provider).cloned().unwrap_or_default(),
        })
    }

    /// Prowler's mapping for `provider` (the data compiled into the plugin).
    pub fn prowler(provider: &str) -> Self {
        Mapping::of("prowler", provider)
    }

    /// The mapping of `tool` for `provider` (the data compiled into the plugin); a tool demarc
    /// has no mapping file for maps nothing (its checks are reported unmapped).
    pub fn of(tool: &str, provider: &str) -> Self {
        let empty = || Mapping {
            crosswalk: Crosswalk::default(),
            frameworks: BTreeMap::new(),
            table: BTreeMap::new(),
        };
        match TOOLS.iter().find(|(name, _)| *name == tool) {
            // The data is checked by this crate's tests; a parse failure here is a build defect.
            Some((_, text)) => {
                Mapping::parse(text, CROSSWALK, provider).unwrap_or_else(|_| empty())
            }
            None => empty(),
        }
    }

    /// Map a check `check` that cites `citations` (framework name → requirement ids).
    pub fn map<'c>(
        &self,
        check: &str,
        citations: impl IntoIterator<Item = (&'c str, &'c [String])>,
    ) -> Mapped {
        let mut out = Mapped::default();
        for (framework, ids) in citations {
            let Some(benchmark) = self.frameworks.get(framework) else {
                continue;
            };
            let Some(requirements) = self.crosswalk.0.get(benchmark) else {
                continue;
            };
            for id in ids {
                let Some(controls) = requirements.get(id.as_str()) else {
                    continue;
                };
                let cited = (benchmark.clone(), id.clone());
                if !out.requirements.contains(&cited) {
                    out.requirements.push(cited);
                }
                push_all(&mut out.controls, controls);
            }
        }
        if !out.controls.is_empty() {
            out.by = "framework".into();
        }
        if let Some(controls) = self.table.get(check) {
            // The table's primary control stays primary when a citation also maps.
            let cited = std::mem::take(&mut out.controls);
            push_all(&mut out.controls, controls);
            push_all(&mut out.controls, &cited);
            out.by = if out.by.is_empty() {
                "table".into()
            } else {
                "framework+table".into()
            };
        }
        out
    }
}

fn push_all(into: &mut Vec<String>, from: &[String]) {
    for c in from {
        if !into.contains(c) {
            into.push(c.clone());
        }
    }
}
