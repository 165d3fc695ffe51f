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

#[cfg(test)]
mod tests {
    //! The shape of each tool's check ids, so that an id written from memory in the wrong form (a
    //! Security Hub control of another standard's numbering, a Prowler check under a service
    //! Prowler does not have, a Checkov id in another cloud's table) fails here. That every mapped
    //! control is in the catalog is tested with the crosswalk (`tests/crosswalk.rs`).

    use super::*;

    fn tables(text: &str) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
        let mapping: ToolMapping = toml::from_str(text).unwrap();
        mapping.checks
    }

    fn clouds(text: &str) -> Vec<String> {
        tables(text).into_keys().collect()
    }

    /// Every check id of `text`'s tables, with its cloud.
    fn ids(text: &str) -> Vec<(String, String)> {
        tables(text)
            .into_iter()
            .flat_map(|(cloud, table)| table.into_keys().map(move |id| (cloud.clone(), id)))
            .collect()
    }

    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
    }

    #[test]
    fn each_tool_has_tables_only_for_the_clouds_it_assesses() {
        assert_eq!(clouds(SECURITYHUB), ["aws"]);
        assert_eq!(clouds(DEFENDER), ["azure"]);
        assert_eq!(clouds(SCC), ["gcp"]);
        for text in [PROWLER, CHECKOV] {
            assert_eq!(clouds(text), ["aws", "azure", "gcp"]);
        }
    }

    /// `S3.8`, `EC2.19`, `CloudTrail.4`: a service name, a dot, a control number.
    #[test]
    fn security_hub_ids_are_a_service_and_a_number() {
        let ok = |id: &str| {
            id.split_once('.').is_some_and(|(service, n)| {
                service.starts_with(|c: char| c.is_ascii_uppercase())
                    && service.bytes().all(|b| b.is_ascii_alphanumeric())
                    && digits(n)
            })
        };
        for (_, id) in ids(SECURITYHUB) {
            assert!(ok(&id), "not a Security Hub control id: {id}");
        }
        for bad in ["S3", "s3.8", "S3.08", "EC2-19", "IAM.1.2", ".4"] {
            assert!(!ok(bad), "{bad}");
        }
    }

    /// `PUBLIC_BUCKET_ACL`: upper-case words joined by underscores.
    #[test]
    fn scc_categories_are_upper_snake_case() {
        let ok = |id: &str| {
            id.starts_with(|c: char| c.is_ascii_uppercase())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && !id.ends_with('_')
                && !id.contains("__")
        };
        for (_, id) in ids(SCC) {
            assert!(ok(&id), "not a Security Command Center category: {id}");
        }
        for bad in [
            "public_bucket_acl",
            "Public Bucket ACL",
            "_OPEN_FIREWALL",
            "OPEN__PORT",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    /// `CKV_AWS_20`, `CKV2_GCP_3`: the cloud in the id is the cloud of the table it is in.
    #[test]
    fn checkov_ids_name_the_cloud_of_their_table() {
        let cloud_of = |id: &str| -> Option<&'static str> {
            let rest = id
                .strip_prefix("CKV_")
                .or_else(|| id.strip_prefix("CKV2_"))?;
            let (cloud, n) = rest.rsplit_once('_')?;
            let cloud = match cloud {
                "AWS" => "aws",
                "AZURE" => "azure",
                "GCP" => "gcp",
                _ => return None,
            };
            digits(n).then_some(cloud)
        };
        for (cloud, id) in ids(CHECKOV) {
            assert_eq!(
                cloud_of(&id),
                Some(cloud.as_str()),
                "{id} in [checks.{cloud}]"
            );
        }
        for bad in [
            "CKV_AWS",
            "CKV_AWS_",
            "CKV_AWS_020",
            "CKV3_AWS_1",
            "CKV_K8S_1",
            "ckv_aws_1",
        ] {
            assert_eq!(cloud_of(bad), None, "{bad}");
        }
    }

    /// An assessment key is a GUID, as Resource Graph writes it: lower case, 8-4-4-4-12.
    #[test]
    fn defender_keys_are_lower_case_guids() {
        let ok = |id: &str| {
            let groups: Vec<&str> = id.split('-').collect();
            groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
                && groups.iter().all(|g| {
                    g.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                })
        };
        for (_, id) in ids(DEFENDER) {
            assert!(ok(&id), "not an assessment key: {id}");
        }
        for bad in [
            "1C5DE8E1-F68D-6A17-E0D2-EC259C42768C",
            "1c5de8e1f68d6a17e0d2ec259c42768c",
            "1c5de8e1-f68d-6a17-e0d2-ec259c42768",
            "Secure transfer to storage accounts should be enabled",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    /// A Prowler check id is snake case and starts with the name of the Prowler service (its folder
    /// under `prowler/providers/<cloud>/services/`) it belongs to: `awslambda_…`, not `lambda_…`;
    /// `sqlserver_…` on Azure and `cloudsql_…` on Google Cloud, not `sql_…`.
    #[test]
    fn prowler_ids_are_snake_case_under_a_service_of_their_cloud() {
        let services = |cloud: &str| -> &'static [&'static str] {
            match cloud {
                "aws" => &[
                    "account",
                    "awslambda",
                    "cloudtrail",
                    "ec2",
                    "eks",
                    "guardduty",
                    "iam",
                    "kms",
                    "rds",
                    "redshift",
                    "s3",
                ],
                "azure" => &[
                    "entra",
                    "keyvault",
                    "monitor",
                    "network",
                    "sqlserver",
                    "storage",
                ],
                "gcp" => &[
                    "cloudsql",
                    "cloudstorage",
                    "compute",
                    "iam",
                    "kms",
                    "logging",
                ],
                _ => &[],
            }
        };
        let ok = |cloud: &str, id: &str| {
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !id.contains("__")
                && !id.ends_with('_')
                && services(cloud).iter().any(|s| {
                    id.strip_prefix(s)
                        .is_some_and(|r| r.len() > 1 && r.starts_with('_'))
                })
        };
        for (cloud, id) in ids(PROWLER) {
            assert!(ok(&cloud, &id), "not a Prowler {cloud} check id: {id}");
        }
        for (cloud, bad) in [
            ("aws", "lambda_function_using_supported_runtimes"),
            ("azure", "sql_server_unrestricted_inbound_access"),
            ("gcp", "storage_bucket_public_access"),
            ("aws", "S3_bucket_object_versioning"),
            ("aws", "s3_"),
            ("gcp", "s3_bucket_object_versioning"),
        ] {
            assert!(!ok(cloud, bad), "{bad}");
        }
    }

    /// A tool's check maps to controls a scan can test: never twice the same, never one met only
    /// by attestations (`manual`) or one of the provider's own layers (`class = 0`).
    #[test]
    fn tool_checks_map_to_scannable_controls_each_once() {
        let catalog: toml::Table =
            toml::from_str(include_str!("../../../schemas/catalog/controls.toml")).unwrap();
        let not_scanned: Vec<&str> = catalog["control"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c.get("manual").and_then(|m| m.as_bool()) == Some(true)
                    || c.get("class").and_then(|m| m.as_integer()) == Some(0)
            })
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(not_scanned.contains(&"physical-security"));
        assert!(not_scanned.contains(&"access-review"));
        for (tool, text) in TOOLS {
            for (cloud, table) in tables(text) {
                for (id, controls) in table {
                    let mut seen = controls.clone();
                    seen.sort();
                    seen.dedup();
                    assert_eq!(
                        seen.len(),
                        controls.len(),
                        "{tool} {cloud} {id}: {controls:?}"
                    );
                    for c in &controls {
                        assert!(
                            !not_scanned.contains(&c.as_str()),
                            "{tool} {cloud} {id} maps to {c}, which no scan can test"
                        );
                    }
                }
            }
        }
    }
}
