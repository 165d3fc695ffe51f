//! Check-granular benchmarks: a cloud's CIS benchmark, one version, as a list of requirements.
//!
//! A framework of the catalog (NIST SP 800-53, ISO 27001, PCI DSS, ...) is crosswalked per
//! control. A benchmark is different: its requirements are narrow ("the default security group
//! restricts all traffic") and a finding that cites one is read as that requirement's verdict,
//! so each *check* states which requirements it tests (`CheckDef::requirements` in the SDK, the
//! contract's `check.requirements`), and the host verifies every citation against the
//! benchmark's data here. One file per benchmark version under `schemas/benchmarks/`:
//!
//! ```toml
//! id = "cis-aws-7.0"
//! title = "CIS Amazon Web Services Foundations Benchmark v7.0.0"
//! provider = "aws"
//! source = "https://www.cisecurity.org/benchmark/amazon_web_services"
//!
//! [[requirement]]
//! id = "2.1.1"
//! title = "..."              # demarc's own short words, never the benchmark's text
//! assessment = "automated"   # or "manual"
//! profile = 1                # level 1 or 2
//! not_covered = "..."        # an automated requirement no check tests: why
//! controls = ["..."]         # optional: catalog controls whose evidence or attestation meets it
//! ```
//!
//! An automated requirement is either tested by a check or says why not (`not_covered`); a
//! manual one is met by review and attestation ([`Requirement::controls`] names the catalog
//! controls whose attestation meets it). [`coverage`] joins a benchmark with the checks of the
//! loaded plugins; [`Benchmark::check_coverage`] turns a requirement whose coverage and data
//! disagree into an error, so the data cannot drift from the checks.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Catalog, DataError, DataErrors};

/// How the benchmark assesses a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assessment {
    /// Decidable from configuration.
    Automated,
    /// Needs a person's review.
    Manual,
}

impl Assessment {
    /// `automated` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Automated => "automated",
            Assessment::Manual => "manual",
        }
    }
}

/// One requirement of a benchmark version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The benchmark's own id, e.g. `2.1.1`.
    pub id: String,
    /// demarc's short title.
    pub title: String,
    /// Automated or manual.
    pub assessment: Assessment,
    /// Profile level (1 or 2).
    pub profile: u8,
    /// Why no check tests an automated requirement.
    pub not_covered: Option<String>,
    /// Catalog controls whose evidence or attestation meets it (manual requirements).
    pub controls: Vec<String>,
}

/// One benchmark version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benchmark {
    /// Kebab-case id, e.g. `cis-aws-7.0`.
    pub id: String,
    /// Full title.
    pub title: String,
    /// The cloud (provider id) it is written for; only that provider's checks may cite it.
    pub provider: String,
    /// Where the benchmark is published.
    pub source: String,
    /// Requirements in the benchmark's order.
    pub requirements: Vec<Requirement>,
    /// The file it was read from, for errors found later.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBenchmark {
    id: String,
    title: String,
    provider: String,
    source: String,
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    title: String,
    assessment: String,
    profile: u8,
    #[serde(default)]
    not_covered: Option<String>,
    #[serde(default)]
    controls: Vec<String>,
}

/// True for a requirement id: dot-separated decimal numbers, `2.1.1`.
fn is_requirement_id(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Benchmark {
    /// Parse and validate one benchmark file, reporting every problem with its key.
    pub fn load(file: &str, text: &str, catalog: &Catalog) -> Result<Benchmark, DataErrors> {
        let raw: RawBenchmark = toml::from_str(text)
            .map_err(|e| DataErrors(vec![DataError::new(file, "-", e.to_string().trim())]))?;
        let mut errors = Vec::new();
        if !crate::catalog::is_kebab_id(&raw.id) {
            errors.push(DataError::new(
                file,
                "id",
                format!("`{}` is not a kebab-case id", raw.id),
            ));
        }
        if catalog.frameworks().iter().any(|f| f.id == raw.id) {
            errors.push(DataError::new(
                file,
                "id",
                format!("`{}` is also a framework of the catalog", raw.id),
            ));
        }
        if !crate::catalog::is_kebab_id(&raw.provider) {
            errors.push(DataError::new(
                file,
                "provider",
                format!("`{}` is not a provider id", raw.provider),
            ));
        }
        for (key, v) in [("title", &raw.title), ("source", &raw.source)] {
            if v.trim().is_empty() {
                errors.push(DataError::new(file, key, "must be non-empty"));
            }
        }
        let mut seen = BTreeSet::new();
        let mut requirements = Vec::new();
        for (i, r) in raw.requirement.into_iter().enumerate() {
            let at = |field: &str| format!("requirement[{i}].{field}");
            if !is_requirement_id(&r.id) {
                errors.push(DataError::new(
                    file,
                    at("id"),
                    format!(
                        "`{}` is not a requirement id (numbers joined by dots)",
                        r.id
                    ),
                ));
            } else if !seen.insert(r.id.clone()) {
                errors.push(DataError::new(
                    file,
                    at("id"),
                    format!("requirement `{}` is listed twice", r.id),
                ));
            }
            if r.title.trim().is_empty() {
                errors.push(DataError::new(file, at("title"), "must be non-empty"));
            }
            let assessment = match r.assessment.as_str() {
                "automated" => Assessment::Automated,
                "manual" => Assessment::Manual,
                other => {
                    errors.push(DataError::new(
                        file,
                        at("assessment"),
                        format!("unknown assessment `{other}` (known: automated, manual)"),
                    ));
                    Assessment::Manual
                }
            };
            if !(1..=2).contains(&r.profile) {
                errors.push(DataError::new(
                    file,
                    at("profile"),
                    format!("profile level {} is not 1 or 2", r.profile),
                ));
            }
            if let Some(why) = &r.not_covered {
                if why.trim().is_empty() {
                    errors.push(DataError::new(
                        file,
                        at("not_covered"),
                        "the reason must be non-empty",
                    ));
                }
                if assessment == Assessment::Manual {
                    errors.push(DataError::new(
                        file,
                        at("not_covered"),
                        "a manual requirement is met by review; only an automated one can be not covered",
                    ));
                }
            }
            for c in &r.controls {
                if catalog.control(c).is_none() {
                    errors.push(DataError::new(
                        file,
                        at("controls"),
                        format!("unknown control `{c}`"),
                    ));
                }
            }
            requirements.push(Requirement {
                id: r.id,
                title: r.title,
                assessment,
                profile: r.profile,
                not_covered: r.not_covered,
                controls: r.controls,
            });
        }
        if !errors.is_empty() {
            return Err(DataErrors(errors));
        }
        Ok(Benchmark {
            id: raw.id,
            title: raw.title,
            provider: raw.provider,
            source: raw.source,
            requirements,
            file: file.to_string(),
        })
    }

    /// The requirement with this id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// Errors where the data and the checks disagree: an automated requirement that no check
    /// tests and that does not say why, or one that says it is not covered although a check
    /// tests it. `tested` is the requirement ids some check cites.
    pub fn check_coverage(&self, tested: &BTreeSet<String>) -> Vec<DataError> {
        let mut errors = Vec::new();
        for (i, r) in self.requirements.iter().enumerate() {
            let covered = tested.contains(&r.id);
            match (&r.not_covered, covered) {
                (Some(_), true) => errors.push(DataError::new(
                    &self.file,
                    format!("requirement[{i}].not_covered"),
                    format!(
                        "{} {} is tested by a check; remove its not_covered reason",
                        self.id, r.id
                    ),
                )),
                (None, false) if r.assessment == Assessment::Automated => {
                    errors.push(DataError::new(
                        &self.file,
                        format!("requirement[{i}]"),
                        format!(
                            "{} {} is automated but no check tests it; give a not_covered reason",
                            self.id, r.id
                        ),
                    ))
                }
                _ => {}
            }
        }
        errors
    }
}

/// How a requirement is covered, for the coverage tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// These checks test it.
    Checks(Vec<String>),
    /// A manual requirement: review and attest.
    Manual,
    /// Automated, but no check tests it, for this reason.
    NotCovered(String),
}

/// Benchmark requirement id → the checks citing it, from (check id, citations) pairs where a
/// citation is `(benchmark, requirement)`.
pub fn citing_checks<'a>(
    benchmark: &str,
    checks: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, Vec<String>>)>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (check, cites) in checks {
        for id in cites.get(benchmark).into_iter().flatten() {
            out.entry(id.clone()).or_default().push(check.to_string());
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

/// Each requirement of `benchmark` with its coverage, given requirement id → citing checks.
pub fn coverage<'a>(
    benchmark: &'a Benchmark,
    citing: &BTreeMap<String, Vec<String>>,
) -> Vec<(&'a Requirement, Coverage)> {
    benchmark
        .requirements
        .iter()
        .map(|r| {
            let cov = match citing.get(&r.id) {
                Some(checks) if !checks.is_empty() => Coverage::Checks(checks.clone()),
                _ => match (&r.not_covered, r.assessment) {
                    (Some(why), _) => Coverage::NotCovered(why.clone()),
                    (None, Assessment::Manual) => Coverage::Manual,
                    (None, Assessment::Automated) => {
                        Coverage::NotCovered("no check tests it".to_string())
                    }
                },
            };
            (r, cov)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap()
    }

    const GOOD: &str = r#"
id = "cis-test-1.0"
title = "A test benchmark"
provider = "aws"
source = "https://example.org/benchmark"

[[requirement]]
id = "1.1"
title = "Keep contact details current"
assessment = "manual"
profile = 1

[[requirement]]
id = "2.1"
title = "Rotate keys"
assessment = "automated"
profile = 2

[[requirement]]
id = "2.2"
title = "Something no export shows"
assessment = "automated"
profile = 1
not_covered = "the exports carry no such field"
"#;

    #[test]
    fn loads_and_joins_coverage() {
        let b = Benchmark::load("b.toml", GOOD, &catalog()).unwrap();
        assert_eq!(b.requirements.len(), 3);
        let cites: BTreeMap<String, Vec<String>> =
            [("cis-test-1.0".to_string(), vec!["2.1".to_string()])].into();
        let citing = citing_checks("cis-test-1.0", [("aws-kms-key-rotation", &cites)]);
        let cov = coverage(&b, &citing);
        assert_eq!(cov[0].1, Coverage::Manual);
        assert_eq!(
            cov[1].1,
            Coverage::Checks(vec!["aws-kms-key-rotation".into()])
        );
        assert!(matches!(&cov[2].1, Coverage::NotCovered(w) if w.contains("no such field")));
        let tested: BTreeSet<String> = citing.keys().cloned().collect();
        assert!(b.check_coverage(&tested).is_empty());
    }

    #[test]
    fn coverage_drift_is_an_error_naming_the_key() {
        let b = Benchmark::load("b.toml", GOOD, &catalog()).unwrap();
        // Nothing tests 2.1, and a check tests 2.2 although it says it is not covered.
        let tested: BTreeSet<String> = ["2.2".to_string()].into();
        let errors = b.check_coverage(&tested);
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].contains("requirement[1]") && text[0].contains("no check tests it"));
        assert!(text[1].contains("requirement[2].not_covered"));
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let bad = r#"
id = "Bad Id"
title = ""
provider = "aws"
source = "x"

[[requirement]]
id = "1.a"
title = "t"
assessment = "sometimes"
profile = 3
controls = ["no-such-control"]

[[requirement]]
id = "1.1"
title = "t"
assessment = "manual"
profile = 1
not_covered = "why"

[[requirement]]
id = "1.1"
title = "t"
assessment = "manual"
profile = 1
"#;
        let err = Benchmark::load("bad.toml", bad, &catalog()).unwrap_err();
        let text = err.to_string();
        for want in [
            "bad.toml: id: `Bad Id` is not a kebab-case id",
            "title: must be non-empty",
            "requirement[0].id: `1.a` is not a requirement id",
            "requirement[0].assessment: unknown assessment `sometimes`",
            "requirement[0].profile: profile level 3 is not 1 or 2",
            "requirement[0].controls: unknown control `no-such-control`",
            "requirement[1].not_covered: a manual requirement",
            "requirement[2].id: requirement `1.1` is listed twice",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
    }
}
