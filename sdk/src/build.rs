//! Builders for the contract's records: static check definitions and findings.

use crate::{Actor, Check, Evidence, Finding, Requirement, Resource, Severity, Status, Tag};

/// A check's metadata as a `static`, converted to the contract's [`Check`] by [`CheckDef::to_check`].
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// Title, phrased as the desired state.
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// Who controls the setting the check decides on, and so must act on a failure:
    /// [`Actor::Customer`] for anything in the customer's own configuration (the host hands it
    /// to a contracted third party where the tenant's contract says so), [`Actor::Provider`]
    /// only where the evidence is the provider's.
    pub actor: Actor,
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix a failure.
    pub remediation: &'static str,
    /// Catalog control ids; the first is the primary control.
    pub controls: &'static [&'static str],
    /// Native resource types evaluated.
    pub resource_types: &'static [&'static str],
    /// The requirements of check-granular benchmarks the check tests, by benchmark id:
    /// `&[("cis-aws-7.0", &["2.1.1"])]`. Cite exactly the requirements whose question the check
    /// answers, with the ids of that benchmark version; the host refuses (and reports) a
    /// citation of an unknown benchmark, of another cloud's benchmark, or of an id the benchmark
    /// does not have. `&[]` when it tests none.
    pub requirements: &'static [(&'static str, &'static [&'static str])],
}

impl CheckDef {
    /// The contract record for this check.
    pub fn to_check(&self) -> Check {
        Check {
            id: self.id.to_string(),
            title: self.title.to_string(),
            severity: self.severity,
            actor: self.actor,
            rationale: self.rationale.to_string(),
            remediation: self.remediation.to_string(),
            controls: self.controls.iter().map(|c| c.to_string()).collect(),
            resource_types: self.resource_types.iter().map(|t| t.to_string()).collect(),
            requirements: self
                .requirements
                .iter()
                .flat_map(|(benchmark, ids)| {
                    ids.iter().map(move |id| Requirement {
                        benchmark: benchmark.to_string(),
                        id: id.to_string(),
                    })
                })
                .collect(),
        }
    }
}

/// Builds a [`Finding`] for one check and one resource.
#[derive(Debug, Clone)]
pub struct FindingBuilder {
    finding: Finding,
}

impl FindingBuilder {
    /// Start a finding of `check` about the resource `id` of type `native_type`.
    pub fn new(check: &CheckDef, account: &str, region: &str, native_type: &str, id: &str) -> Self {
        FindingBuilder {
            finding: Finding {
                check_id: check.id.to_string(),
                account: account.to_string(),
                region: region.to_string(),
                resource: Resource {
                    id: id.to_string(),
                    native_type: native_type.to_string(),
                    name: None,
                    tags: Vec::new(),
                },
                status: Status::Pass,
                message: String::new(),
                evidence: Vec::new(),
                extra_controls: Vec::new(),
                observed_at: None,
            },
        }
    }

    /// The resource's human-readable name.
    pub fn name(mut self, name: Option<&str>) -> Self {
        self.finding.resource.name = name.filter(|n| !n.is_empty()).map(str::to_string);
        self
    }

    /// The resource's tags.
    pub fn tags<'t>(mut self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Self {
        self.finding.resource.tags = tags
            .into_iter()
            .map(|(k, v)| Tag {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect();
        self
    }

    /// When the configuration was observed (RFC 3339).
    pub fn observed_at(mut self, at: Option<&str>) -> Self {
        self.finding.observed_at = at.map(str::to_string);
        self
    }

    /// Add one piece of evidence.
    pub fn evidence(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.finding.evidence.push(Evidence {
            key: key.into(),
            value: value.to_string(),
        });
        self
    }

    /// Finish with `status` and a message specific to this resource.
    pub fn status(mut self, status: Status, message: impl Into<String>) -> Finding {
        self.finding.status = status;
        self.finding.message = message.into();
        self.finding
    }

    /// Finish as a pass.
    pub fn pass(self, message: impl Into<String>) -> Finding {
        self.status(Status::Pass, message)
    }

    /// Finish as a failure.
    pub fn fail(self, message: impl Into<String>) -> Finding {
        self.status(Status::Fail, message)
    }

    /// Finish as manual: the export does not hold what decides the check. The message must name
    /// the export that would.
    pub fn manual(self, message: impl Into<String>) -> Finding {
        self.status(Status::Manual, message)
    }

    /// Finish as not applicable.
    pub fn not_applicable(self, message: impl Into<String>) -> Finding {
        self.status(Status::NotApplicable, message)
    }
}
