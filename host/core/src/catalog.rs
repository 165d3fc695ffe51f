//! The control catalog: demarc's own controls, the layer each sits in, and their crosswalk to
//! framework requirements.
//!
//! Loaded from `schemas/catalog/frameworks.toml` and `schemas/catalog/controls.toml` (text and
//! file name handed in by the caller) and validated in one pass that reports every problem.
//!
//! A control may say, per cloud, why no check can cover it there (`not_applicable = { azure =
//! "reason" }`): the cloud has no such concept, or its exports carry no such data. The parity
//! table shows `n/a` with that reason instead of a gap. Which clouds' plugins do cover a control
//! is only known once the plugins are loaded, so [`Catalog::check_not_applicable`] validates
//! that part against them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{DataError, DataErrors, Layer};

/// A framework controls are crosswalked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    /// Kebab-case id, e.g. `pci-dss-4.0`.
    pub id: String,
    /// Full title.
    pub title: String,
    /// For a check-granular benchmark (see [`crate::benchmark`]): the cloud it is written for.
    /// `None` for a framework crosswalked per control.
    pub provider: Option<String>,
}

/// One catalog control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Stable kebab-case id.
    pub id: String,
    /// Title in demarc's words.
    pub title: String,
    /// Layer of the stack; decides the owner through the responsibility matrix.
    pub layer: Layer,
    /// Failure class of DESIGN.md (1-12; 0 for provider-side controls).
    pub class: u8,
    /// Met by attestation rather than by scanning.
    pub manual: bool,
    /// Framework id → requirement ids.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Provider id → why no check can cover the control there. Which providers exist is
    /// known once the data and plugins are loaded: [`Catalog::check_providers`].
    pub not_applicable: BTreeMap<String, String>,
    /// Where the roll-up needs evidence before it calls the control met.
    pub scope: Scope,
    /// Position of the control in its file, for error keys (`control[N]`).
    pub position: usize,
    /// The file that defines it.
    pub file: String,
}

/// Where a scanned control must be evidenced before the roll-up calls it met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Wherever the resources its checks evaluate exist: a cloud or account without such
    /// resources has nothing to meet (the default).
    #[default]
    Resource,
    /// In every account of the tenant on every cloud where a check covers it (an audit trail,
    /// its integrity): an account whose export gave the checks nothing to evaluate lacks
    /// evidence, and the control is at most partial.
    Account,
}

/// The validated catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    frameworks: Vec<Framework>,
    benchmarks: Vec<crate::benchmark::Benchmark>,
    controls: BTreeMap<String, Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworks {
    #[serde(default)]
    framework: Vec<RawFramework>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControls {
    #[serde(default)]
    control: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    title: String,
    layer: String,
    class: u8,
    #[serde(default)]
    manual: bool,
    #[serde(default)]
    frameworks: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    not_applicable: BTreeMap<String, String>,
    #[serde(default)]
    scope: Option<String>,
}

/// True for a stable kebab-case identifier: lowercase ASCII letters, digits, `-` and `.`.
pub fn is_kebab_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl Catalog {
    /// Parse and validate the catalog from its two files: `(name, text)` of frameworks and of
    /// controls.
    pub fn load(frameworks: (&str, &str), controls: (&str, &str)) -> Result<Catalog, DataErrors> {
        let mut errors = Vec::new();
        let (fw_file, fw_text) = frameworks;
        let (ctl_file, ctl_text) = controls;
        let raw_fw: RawFrameworks = match toml::from_str(fw_text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(DataError::new(fw_file, "-", e.to_string().trim()));
                RawFrameworks { framework: vec![] }
            }
        };
        let raw_ctl: RawControls = match toml::from_str(ctl_text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(DataError::new(ctl_file, "-", e.to_string().trim()));
                RawControls { control: vec![] }
            }
        };

        let mut catalog = Catalog::default();
        let mut fw_ids = BTreeSet::new();
        for (i, f) in raw_fw.framework.into_iter().enumerate() {
            let key = format!("framework[{i}].id");
            if !is_kebab_id(&f.id) {
                errors.push(DataError::new(
                    fw_file,
                    key,
                    format!("`{}` is not a kebab-case id", f.id),
                ));
            } else if !fw_ids.insert(f.id.clone()) {
                errors.push(DataError::new(
                    fw_file,
                    key,
                    format!("framework `{}` is defined twice", f.id),
                ));
            } else {
                catalog.frameworks.push(Framework {
                    id: f.id,
                    title: f.title,
                    provider: None,
                });
            }
        }

        catalog.add_controls(ctl_file, raw_ctl, fw_file, &mut errors);
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(DataErrors(errors))
        }
    }

    /// Controls from a further file (`controls.toml` layout) on top of those loaded: a catalog
    /// extension that adds controls for a new provider. A control id that already exists is an
    /// error naming the file and key, as is every other problem of the file.
    pub fn extend(&mut self, file: &str, text: &str) -> Result<(), DataErrors> {
        let mut errors = Vec::new();
        match toml::from_str::<RawControls>(text) {
            Ok(raw) => self.add_controls(file, raw, "the catalog's frameworks", &mut errors),
            Err(e) => errors.push(DataError::new(file, "-", e.to_string().trim())),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DataErrors(errors))
        }
    }

    /// Validate and add the controls of `ctl_file`; problems go to `errors`.
    fn add_controls(
        &mut self,
        ctl_file: &str,
        raw_ctl: RawControls,
        fw_file: &str,
        errors: &mut Vec<DataError>,
    ) {
        let fw_ids: BTreeSet<String> = self
            .frameworks
            .iter()
            .filter(|f| f.provider.is_none())
            .map(|f| f.id.clone())
            .collect();
        let mut seen = BTreeSet::new();
        for (i, c) in raw_ctl.control.into_iter().enumerate() {
            let at = |field: &str| format!("control[{i}].{field}");
            let mut ok = true;
            if !is_kebab_id(&c.id) {
                errors.push(DataError::new(
                    ctl_file,
                    at("id"),
                    format!("`{}` is not a kebab-case id", c.id),
                ));
                ok = false;
            } else if let Some(other) = self.controls.get(&c.id).map(|o| &o.file) {
                let twice = if other == ctl_file {
                    "is defined twice".to_string()
                } else {
                    format!(
                        "already exists (in {other}): an extension adds controls, it cannot redefine one"
                    )
                };
                errors.push(DataError::new(
                    ctl_file,
                    at("id"),
                    format!("control `{}` {twice}", c.id),
                ));
                ok = false;
            } else if !seen.insert(c.id.clone()) {
                errors.push(DataError::new(
                    ctl_file,
                    at("id"),
                    format!("control `{}` is defined twice", c.id),
                ));
                ok = false;
            }
            let layer = Layer::parse(&c.layer);
            if layer.is_none() {
                errors.push(DataError::new(
                    ctl_file,
                    at("layer"),
                    format!(
                        "unknown layer `{}` (known: {})",
                        c.layer,
                        Layer::ALL.map(Layer::as_str).join(", ")
                    ),
                ));
                ok = false;
            }
            if c.class > 12 {
                errors.push(DataError::new(
                    ctl_file,
                    at("class"),
                    format!("failure class {} is not 0-12", c.class),
                ));
                ok = false;
            }
            for (fw, reqs) in &c.frameworks {
                if !fw_ids.contains(fw.as_str()) {
                    errors.push(DataError::new(
                        ctl_file,
                        at(&format!("frameworks.{fw}")),
                        format!("unknown framework `{fw}` (not in {fw_file})"),
                    ));
                    ok = false;
                }
                if reqs.is_empty() || reqs.iter().any(|r| r.trim().is_empty()) {
                    errors.push(DataError::new(
                        ctl_file,
                        at(&format!("frameworks.{fw}")),
                        "requirement ids must be non-empty",
                    ));
                    ok = false;
                }
            }
            for (cloud, reason) in &c.not_applicable {
                if !is_kebab_id(cloud) {
                    errors.push(DataError::new(
                        ctl_file,
                        at(&format!("not_applicable.{cloud}")),
                        format!("`{cloud}` is not a kebab-case provider id"),
                    ));
                    ok = false;
                }
                if reason.trim().is_empty() {
                    errors.push(DataError::new(
                        ctl_file,
                        at(&format!("not_applicable.{cloud}")),
                        "the reason must be non-empty: it is the footnote of the parity table",
                    ));
                    ok = false;
                }
            }
            if c.manual && !c.not_applicable.is_empty() {
                errors.push(DataError::new(
                    ctl_file,
                    at("not_applicable"),
                    "a manual control is met by attestation on every cloud; it cannot be not applicable to one",
                ));
                ok = false;
            }
            let scope = match c.scope.as_deref() {
                None | Some("resource") => Scope::Resource,
                Some("account") if c.manual => {
                    errors.push(DataError::new(
                        ctl_file,
                        at("scope"),
                        "a manual control is met by attestation, not evidenced per account",
                    ));
                    ok = false;
                    Scope::Resource
                }
                Some("account") => Scope::Account,
                Some(other) => {
                    errors.push(DataError::new(
                        ctl_file,
                        at("scope"),
                        format!("unknown scope `{other}` (known: resource, account)"),
                    ));
                    ok = false;
                    Scope::Resource
                }
            };
            if let (true, Some(layer)) = (ok, layer) {
                self.controls.insert(
                    c.id.clone(),
                    Control {
                        id: c.id,
                        title: c.title,
                        layer,
                        class: c.class,
                        manual: c.manual,
                        frameworks: c.frameworks,
                        not_applicable: c.not_applicable,
                        scope,
                        position: i,
                        file: ctl_file.to_string(),
                    },
                );
            }
        }
    }

    /// Check that every `not_applicable` entry names a provider in `known` (those of the loaded
    /// responsibility matrices and plugins); every unknown one is reported with file and key.
    pub fn check_providers(&self, known: &BTreeSet<String>) -> Result<(), DataErrors> {
        let mut errors = Vec::new();
        for control in self.controls.values() {
            for cloud in control.not_applicable.keys() {
                if !known.contains(cloud) {
                    errors.push(DataError::new(
                        &control.file,
                        format!("control[{}].not_applicable.{cloud}", control.position),
                        format!(
                            "unknown provider `{cloud}` (known: {})",
                            known.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DataErrors(errors))
        }
    }

    /// A control by id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.get(id)
    }

    /// Every control, by id.
    pub fn controls(&self) -> impl Iterator<Item = &Control> {
        self.controls.values()
    }

    /// Check the `not_applicable` entries against what the loaded plugins cover: `covering(cloud,
    /// control)` names the checks of that cloud's plugin that cover the control (empty when
    /// none do). An entry for a cloud whose plugin covers the control is an error; every such
    /// entry is reported.
    pub fn check_not_applicable<'c>(
        &self,
        covering: impl Fn(&str, &str) -> Vec<&'c str>,
    ) -> Result<(), DataErrors> {
        let mut errors = Vec::new();
        for control in self.controls.values() {
            for cloud in control.not_applicable.keys() {
                let checks = covering(cloud, &control.id);
                if !checks.is_empty() {
                    errors.push(DataError::new(
                        &control.file,
                        format!("control[{}].not_applicable.{cloud}", control.position),
                        format!(
                            "control `{}` is marked not applicable on {cloud}, but the {cloud} plugin covers it with {}",
                            control.id,
                            checks
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DataErrors(errors))
        }
    }

    /// Every framework, in file order, then every benchmark (with its `provider`).
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    /// Add a loaded benchmark version (see [`crate::benchmark`]); it is also listed among the
    /// frameworks, so configurations, attestations and reports name it like any framework.
    pub fn add_benchmark(&mut self, b: crate::benchmark::Benchmark) -> Result<(), DataError> {
        if self.frameworks.iter().any(|f| f.id == b.id) {
            return Err(DataError::new(
                &b.file,
                "id",
                format!(
                    "`{}` is defined twice (a framework or another benchmark)",
                    b.id
                ),
            ));
        }
        self.frameworks.push(Framework {
            id: b.id.clone(),
            title: b.title.clone(),
            provider: Some(b.provider.clone()),
        });
        self.benchmarks.push(b);
        Ok(())
    }

    /// Every benchmark version.
    pub fn benchmarks(&self) -> &[crate::benchmark::Benchmark] {
        &self.benchmarks
    }

    /// A benchmark version by id.
    pub fn benchmark(&self, id: &str) -> Option<&crate::benchmark::Benchmark> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FW: &str = "[[framework]]\nid = \"pci-dss-4.0\"\ntitle = \"PCI DSS\"\n";

    #[test]
    fn the_shipped_catalog_loads() {
        let cat = Catalog::load(
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
        assert!(cat.control("mgmt-port-exposure").is_some());
        // Every failure class of DESIGN.md has at least one control.
        for class in 1..=12 {
            assert!(
                cat.controls().any(|c| c.class == class),
                "class {class} has no control"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_file_and_key() {
        let controls = r#"
[[control]]
id = "a"
title = "A"
layer = "stratosphere"
class = 3
frameworks = { nist = ["AC-1"] }

[[control]]
id = "a"
title = "A again"
layer = "data"
class = 1
"#;
        let err = Catalog::load(("fw.toml", FW), ("controls.toml", controls)).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 3, "{text}");
        assert!(
            text.contains("controls.toml: control[0].layer: unknown layer `stratosphere`"),
            "{text}"
        );
        assert!(
            text.contains("control[0].frameworks.nist: unknown framework `nist`"),
            "{text}"
        );
        assert!(
            text.contains("control[1].id: control `a` is defined twice"),
            "{text}"
        );
    }

    #[test]
    fn scopes_are_validated_and_the_shipped_account_duties_are_marked() {
        let controls = r#"
[[control]]
id = "a"
title = "A"
layer = "logging"
class = 9
scope = "tenant"

[[control]]
id = "b"
title = "B"
layer = "governance"
class = 12
manual = true
scope = "account"

[[control]]
id = "c"
title = "C"
layer = "logging"
class = 9
scope = "account"
"#;
        let err = Catalog::load(("fw.toml", FW), ("controls.toml", controls))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("control[0].scope: unknown scope `tenant` (known: resource, account)"),
            "{err}"
        );
        assert!(
            err.contains("control[1].scope: a manual control is met by attestation"),
            "{err}"
        );
        assert!(!err.contains("control[2]"), "{err}");
        let cat = Catalog::load(
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
        let account: Vec<&str> = cat
            .controls()
            .filter(|c| c.scope == Scope::Account)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            account,
            ["audit-logging", "log-integrity", "root-account-protection"]
        );
    }

    #[test]
    fn not_applicable_entries_are_validated_all_at_once() {
        let controls = r#"
[[control]]
id = "root"
title = "Root"
layer = "identity"
class = 8
not_applicable = { azure = "no root user", "Oracle Cloud" = "x", gcp = "  " }

[[control]]
id = "drill"
title = "Drill"
layer = "governance"
class = 10
manual = true
not_applicable = { aws = "attested" }
"#;
        let err = Catalog::load(("fw.toml", FW), ("controls.toml", controls)).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 3, "{text}");
        assert!(
            text.contains("controls.toml: control[0].not_applicable.Oracle Cloud: `Oracle Cloud` is not a kebab-case provider id"),
            "{text}"
        );
        assert!(
            text.contains(
                "controls.toml: control[0].not_applicable.gcp: the reason must be non-empty"
            ),
            "{text}"
        );
        assert!(
            text.contains("controls.toml: control[1].not_applicable: a manual control"),
            "{text}"
        );
    }

    /// The providers are those of the loaded data and plugins, not a list in the code: a new
    /// provider's id is accepted once it is known, and an unknown one is named with file and key.
    #[test]
    fn not_applicable_providers_come_from_the_loaded_data() {
        let controls = r#"
[[control]]
id = "root"
title = "Root"
layer = "identity"
class = 8
not_applicable = { digitalocean = "no root user", oracle = "x" }
"#;
        let catalog = Catalog::load(("fw.toml", FW), ("controls.toml", controls)).unwrap();
        let known: BTreeSet<String> = ["aws", "digitalocean"].map(String::from).into();
        let err = catalog.check_providers(&known).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(
            err.0[0].to_string(),
            "controls.toml: control[0].not_applicable.oracle: unknown provider `oracle` (known: aws, digitalocean)"
        );
        let known: BTreeSet<String> = ["digitalocean", "oracle"].map(String::from).into();
        catalog.check_providers(&known).unwrap();
    }

    /// An extension adds controls; one that exists already is an error naming file and key.
    #[test]
    fn an_extension_adds_controls_and_cannot_redefine_one() {
        let base = r#"
[[control]]
id = "root"
title = "Root"
layer = "identity"
class = 8
"#;
        let mut catalog = Catalog::load(("fw.toml", FW), ("controls.toml", base)).unwrap();
        let extra = r#"
[[control]]
id = "droplet-backups"
title = "Droplet backups"
layer = "data"
class = 5

[[control]]
id = "root"
title = "Root again"
layer = "identity"
class = 8
"#;
        let err = catalog.extend("do/controls.toml", extra).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(
            err.0[0].to_string(),
            "do/controls.toml: control[1].id: control `root` already exists (in controls.toml): an extension adds controls, it cannot redefine one"
        );
        let ok = r#"
[[control]]
id = "droplet-backups"
title = "Droplet backups"
layer = "data"
class = 5
"#;
        let mut catalog = Catalog::load(("fw.toml", FW), ("controls.toml", base)).unwrap();
        catalog.extend("do/controls.toml", ok).unwrap();
        let c = catalog.control("droplet-backups").unwrap();
        assert_eq!(c.file, "do/controls.toml");
        assert!(catalog.control("root").is_some());
    }

    #[test]
    fn not_applicable_must_not_hide_a_covering_plugin() {
        let controls = r#"
[[control]]
id = "mgmt"
title = "Mgmt"
layer = "identity"
class = 7

[[control]]
id = "root"
title = "Root"
layer = "identity"
class = 8
not_applicable = { azure = "no root user", gcp = "no root user" }
"#;
        let cat = Catalog::load(("fw.toml", FW), ("c.toml", controls)).unwrap();
        let root = cat.control("root").unwrap();
        assert_eq!(root.position, 1);
        assert_eq!(root.not_applicable["azure"], "no root user");
        assert!(cat.control("mgmt").unwrap().not_applicable.is_empty());
        assert!(cat.check_not_applicable(|_, _| vec![]).is_ok());
        let err = cat
            .check_not_applicable(|cloud, control| match (cloud, control) {
                ("gcp", "root") => vec!["gcp-a", "gcp-b"],
                ("azure", "root") => vec!["azure-x"],
                ("aws", "mgmt") => vec!["aws-y"],
                _ => vec![],
            })
            .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 2, "{text}");
        assert!(
            text.contains("c.toml: control[1].not_applicable.gcp: control `root` is marked not applicable on gcp, but the gcp plugin covers it with `gcp-a`, `gcp-b`"),
            "{text}"
        );
        assert!(text.contains("control[1].not_applicable.azure"), "{text}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Catalog::load(
            (
                "fw.toml",
                "[[framework]]\nid=\"x\"\ntitle=\"X\"\ncolour=1\n",
            ),
            ("c.toml", ""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("fw.toml"), "{err}");
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
