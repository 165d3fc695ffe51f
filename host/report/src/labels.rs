//! Words for people: how the human-readable formats (HTML, Markdown) name owners, layers,
//! statuses, severities and service models. Machine formats keep the kebab-case ids.

use demarc_core::rollup::RollupStatus;
use demarc_core::{Layer, Owner, Party, ServiceModel, Severity, Status};

/// "Provider", "Customer", "Shared", "Third party".
pub fn owner(o: Owner) -> &'static str {
    match o {
        Owner::Provider => "Provider",
        Owner::Customer => "Customer",
        Owner::Shared => "Shared",
        Owner::ThirdParty => "Third party",
    }
}

/// "Customer", "Third party", "Provider": who must act.
pub fn party(p: Party) -> &'static str {
    match p {
        Party::Customer => "Customer",
        Party::ThirdParty => "Third party",
        Party::Provider => "Provider",
    }
}

/// The layer's name in the words of the shared responsibility model.
pub fn layer(l: Layer) -> &'static str {
    match l {
        Layer::Physical => "Physical",
        Layer::NetworkInfrastructure => "Network infrastructure",
        Layer::Virtualization => "Virtualization",
        Layer::HostOs => "Host OS",
        Layer::GuestOs => "Guest OS / runtime",
        Layer::NetworkControls => "Network controls",
        Layer::Application => "Application",
        Layer::Identity => "Identity & access",
        Layer::Data => "Data & encryption",
        Layer::Logging => "Logging & monitoring",
        Layer::Resilience => "Resilience & backup",
        Layer::Governance => "Governance & documentation",
    }
}

/// "Pass", "Fail", "Error", "Manual", "Not applicable".
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        Status::Fail => "Fail",
        Status::Error => "Error",
        Status::Manual => "Manual",
        Status::NotApplicable => "Not applicable",
    }
}

/// "Critical" … "Info".
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// "IaaS", "PaaS", "FaaS", "Abstracted".
pub fn service_model(m: ServiceModel) -> &'static str {
    match m {
        ServiceModel::Iaas => "IaaS",
        ServiceModel::Paas => "PaaS",
        ServiceModel::Faas => "FaaS",
        ServiceModel::Abstracted => "Abstracted",
    }
}

/// A provider id as people write it: `aws` → "AWS", `gcp` → "GCP", `azure` → "Azure";
/// anything else as given.
pub fn provider(p: &str) -> String {
    match p {
        "aws" => "AWS".into(),
        "azure" => "Azure".into(),
        "gcp" => "GCP".into(),
        "oci" => "OCI".into(),
        other => other.to_string(),
    }
}

/// A control roll-up status in words.
pub fn rollup(s: RollupStatus) -> &'static str {
    match s {
        RollupStatus::Inherited => "Inherited",
        RollupStatus::Satisfied => "Satisfied",
        RollupStatus::Failing => "Failing",
        RollupStatus::Partial => "Partial",
        RollupStatus::Attested => "Attested",
        RollupStatus::Overdue => "Overdue",
        RollupStatus::NotAssessed => "Not assessed",
    }
}

/// Roll-up statuses, what needs action first.
pub const ROLLUP: [RollupStatus; 7] = [
    RollupStatus::Failing,
    RollupStatus::Overdue,
    RollupStatus::Partial,
    RollupStatus::NotAssessed,
    RollupStatus::Attested,
    RollupStatus::Satisfied,
    RollupStatus::Inherited,
];

/// The framework's title from the catalog, or its id.
pub fn framework<'a>(catalog: &'a demarc_core::Catalog, id: &'a str) -> &'a str {
    catalog
        .frameworks()
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.title.as_str())
        .unwrap_or(id)
}

/// Severities, most severe first: the order of every severity column.
pub const SEVERITIES_DESC: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Statuses in the order a reader wants them: what needs action first.
pub const STATUSES: [Status; 5] = [
    Status::Fail,
    Status::Error,
    Status::Manual,
    Status::Pass,
    Status::NotApplicable,
];

/// Plural-aware count: `count(1, "finding")` → "1 finding", `count(3, "finding")` →
/// "3 findings".
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Flatten text to one line: every run of whitespace (newlines included) becomes one space,
/// control characters are dropped, and the ends are trimmed.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else if c.is_control() {
            continue;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_whitespace_and_drops_controls() {
        assert_eq!(one_line("  a\n\tb \u{7}c  "), "a b c");
        assert_eq!(one_line(" \n "), "");
    }

    #[test]
    fn counts_are_plural_aware() {
        assert_eq!(count(1, "gap"), "1 gap");
        assert_eq!(count(0, "gap"), "0 gaps");
    }
}
