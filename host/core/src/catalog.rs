//! The control catalog: demarc's own controls, the layer each sits in, and their crosswalk to
//! framework requirements.
//!
//! Loaded from `schemas/catalog/frameworks.toml` and `schemas/catalog/controls.toml` (text and
//! file name handed in by the caller) and validated in one pass that reports every problem.

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
}

/// The validated catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    frameworks: Vec<Framework>,
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
        let mut control_ids = BTreeSet::new();
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
                });
            }
        }

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
            } else if !control_ids.insert(c.id.clone()) {
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
                if !fw_ids.contains(fw) {
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
            if let (true, Some(layer)) = (ok, layer) {
                catalog.controls.insert(
                    c.id.clone(),
                    Control {
                        id: c.id,
                        title: c.title,
                        layer,
                        class: c.class,
                        manual: c.manual,
                        frameworks: c.frameworks,
                    },
                );
            }
        }
        if errors.is_empty() {
            Ok(catalog)
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

    /// Every framework, in file order.
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
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
