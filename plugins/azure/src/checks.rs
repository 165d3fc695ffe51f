//! The checks: their definitions and the pure functions that evaluate them.
//!
//! One module per service. Each check is a `static` [`CheckDef`] and each module exposes
//! evaluation functions over a [`Resource`](crate::resource::Resource) of its type that return
//! every finding for that resource: one per check the type is subject to, pass or fail (or
//! manual / not-applicable), so clean resources show up as passes. Checks that need more than
//! one resource — a virtual machine's public IP (VM → network interface → public IP), a
//! database server's firewall rules, an App Service app's `config/web`, a VM's backup item,
//! a subscription's activity-log export and MFA assessments, a key vault whose keys are not in
//! the export — keep what they need in [`crate::estate`] and are decided at the end of the
//! scan.

use demarc_sdk::{CheckDef, Finding};

use crate::resource::{FieldError, Subject};
use crate::time::Timestamp;

pub mod appservice;
pub mod backup;
pub mod database;
pub mod disk;
pub mod governance;
pub mod identity;
pub mod keyvault;
pub mod monitor;
pub mod network;
pub mod rbac;
pub mod storage;
pub mod vm;

/// Canonical (ARM) spellings of the resource types the plugin reads. Types are always compared
/// ignoring case: Resource Graph lowercases them.
pub mod types {
    /// Storage accounts.
    pub const STORAGE: &str = "Microsoft.Storage/storageAccounts";
    /// Managed disks.
    pub const DISK: &str = "Microsoft.Compute/disks";
    /// Virtual machines.
    pub const VM: &str = "Microsoft.Compute/virtualMachines";
    /// Network interfaces (joined to VMs for their public IPs).
    pub const NIC: &str = "Microsoft.Network/networkInterfaces";
    /// Public IP addresses.
    pub const PUBLIC_IP: &str = "Microsoft.Network/publicIPAddresses";
    /// Network security groups.
    pub const NSG: &str = "Microsoft.Network/networkSecurityGroups";
    /// Azure SQL logical servers.
    pub const SQL_SERVER: &str = "Microsoft.Sql/servers";
    /// Azure SQL server firewall rules.
    pub const SQL_FIREWALL: &str = "Microsoft.Sql/servers/firewallRules";
    /// Azure Database for PostgreSQL flexible servers.
    pub const POSTGRES: &str = "Microsoft.DBforPostgreSQL/flexibleServers";
    /// Their firewall rules.
    pub const POSTGRES_FIREWALL: &str = "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules";
    /// Azure Database for MySQL flexible servers.
    pub const MYSQL: &str = "Microsoft.DBforMySQL/flexibleServers";
    /// Their firewall rules.
    pub const MYSQL_FIREWALL: &str = "Microsoft.DBforMySQL/flexibleServers/firewallRules";
    /// Key vaults.
    pub const VAULT: &str = "Microsoft.KeyVault/vaults";
    /// Key vault keys.
    pub const VAULT_KEY: &str = "Microsoft.KeyVault/vaults/keys";
    /// Role assignments (Resource Graph `authorizationresources`).
    pub const ROLE_ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";
    /// App Service apps and function apps.
    pub const SITE: &str = "Microsoft.Web/sites";
    /// Function apps as findings name them (see `Resource::native_type`).
    pub const FUNCTION_APP: &str = "Microsoft.Web/sites/functionapp";
    /// An app's configuration (`config/web`).
    pub const SITE_CONFIG: &str = "Microsoft.Web/sites/config";
    /// Diagnostic settings (subscription activity log, or a resource's logs).
    pub const DIAGNOSTIC_SETTING: &str = "Microsoft.Insights/diagnosticSettings";
    /// Log Analytics workspaces.
    pub const WORKSPACE: &str = "Microsoft.OperationalInsights/workspaces";
    /// Defender for Cloud assessments (Resource Graph `securityresources`).
    pub const ASSESSMENT: &str = "Microsoft.Security/assessments";
    /// Subscriptions (Resource Graph `resourcecontainers`), and subscription-level findings.
    pub const SUBSCRIPTION: &str = "Microsoft.Resources/subscriptions";
    /// Recovery Services vaults.
    pub const RECOVERY_VAULT: &str = "Microsoft.RecoveryServices/vaults";
    /// Items a Recovery Services vault backs up (Resource Graph `recoveryservicesresources`).
    pub const PROTECTED_ITEM: &str =
        "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems";
}

/// The CIS benchmark version whose requirement ids the checks cite (`CheckDef::requirements`):
/// the CIS Microsoft Azure Foundations Benchmark v6.0.0, whose requirements are listed in
/// `schemas/benchmarks/cis-azure-6.0.toml`.
pub const CIS_AZURE: &str = "cis-azure-6.0";

/// What every evaluation may consult besides the resource.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The scan's reference time (`ScanRequest.now`).
    pub now: Timestamp,
}

/// The findings of one resource, or the field of the resource that could not be read.
pub type Evaluated<'a> = Result<Vec<Finding>, FieldError<'a>>;

/// Every check this plugin can emit, in a stable order.
pub static ALL: [&CheckDef; 30] = [
    &storage::CMK_ENCRYPTION,
    &disk::CMK_ENCRYPTION,
    &keyvault::KEY_ROTATION,
    &vm::PASSWORD_AUTHENTICATION,
    &database::SQL_ENTRA_ONLY,
    &database::PUBLIC_NETWORK_ACCESS,
    &rbac::PRIVILEGED_ROLE_USER,
    &rbac::EXTERNAL_PRINCIPAL,
    &storage::BLOB_PUBLIC_ACCESS,
    &vm::STALE_PUBLIC_DEV,
    &vm::OS_IMAGE_EOL,
    &vm::AUTOMATIC_PATCHING,
    &appservice::RUNTIME_SUPPORTED,
    &network::ADMIN_PORT_OPEN,
    &network::ALL_PORTS_OPEN,
    &identity::MFA_PRIVILEGED,
    &storage::KEY_ROTATION,
    &monitor::ACTIVITY_LOG_EXPORTED,
    &monitor::LOG_RETENTION,
    &keyvault::AUDIT_LOGGING,
    &monitor::LOG_STORAGE_PROTECTED,
    &backup::VM_BACKUP,
    &database::BACKUP_RETENTION,
    &keyvault::RECOVERABLE,
    &storage::SECURE_TRANSFER,
    &storage::MIN_TLS,
    &database::SQL_MIN_TLS,
    &appservice::HTTPS_ONLY,
    &appservice::MIN_TLS,
    &governance::OWNER_TAG,
];

/// The findings of a resource the export records without its properties (a Resource Graph
/// projection of identity columns): each check of its type is manual, naming what decides it;
/// the owner tag is still read from tags the row does carry.
pub fn unrecorded(subject: &Subject<'_>, tags_recorded: bool) -> Vec<Finding> {
    let label = subject.label();
    let kind = &subject.native_type;
    ALL.iter()
        .filter(|c| c.resource_types.iter().any(|t| t.eq_ignore_ascii_case(kind)))
        .map(|check| {
            if check.id == governance::OWNER_TAG.id && tags_recorded {
                return governance::owner_tag(subject);
            }
            let (part, what) = if check.id == governance::OWNER_TAG.id {
                ("tags", "its tags")
            } else {
                ("properties", "its properties")
            };
            subject.finding(check).evidence(part, "(absent)").manual(format!(
                "The export records {kind} {label} without {what}, so it cannot decide this check; `az resource show --ids {}` (or a Resource Graph query that projects `properties` and `tags`) decides it.",
                subject.id
            ))
        })
        .collect()
}

/// `1 rule`, `2 rules`: a count with its noun, singular or plural.
pub fn count(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A list for messages: `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// Whether a TLS version as Azure spells it (`TLS1_2`, `1.2`, `TLS1_3`) is 1.2 or newer.
/// `None` for values that are not a version (`None`, `Disabled`, absent).
pub fn tls_at_least_1_2(version: &str) -> Option<bool> {
    let v = version.trim().to_ascii_lowercase();
    let v = v.trim_start_matches("tls").trim_start_matches('v');
    let v = v.replace('_', ".");
    let mut parts = v.split('.');
    let major: u32 = parts.next()?.trim().parse().ok()?;
    let minor: u32 = parts.next().unwrap_or("0").trim().parse().ok()?;
    Some((major, minor) >= (1, 2))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the check modules' tests.

    use demarc_sdk::{Finding, Status};

    use super::Context;
    use crate::resource::Resource;
    use crate::time::Timestamp;

    /// The reference time of the tests (the demo estate's).
    pub const NOW: &str = "2026-11-01T00:00:00Z";

    pub fn ctx() -> Context {
        Context {
            now: Timestamp::parse(NOW).unwrap(),
        }
    }

    pub fn resource(json: &str) -> Resource<'_> {
        Resource::parse(json).expect("test resource parses")
    }

    /// The single finding of `check` among `findings`.
    pub fn only<'f>(findings: &'f [Finding], check: &str) -> &'f Finding {
        let mut of = findings.iter().filter(|f| f.check_id == check);
        let first = of
            .next()
            .unwrap_or_else(|| panic!("no finding of {check}: {findings:#?}"));
        assert!(of.next().is_none(), "more than one finding of {check}");
        first
    }

    pub fn status(findings: &[Finding], check: &str) -> Status {
        only(findings, check).status
    }

    pub fn evidence<'f>(finding: &'f Finding, key: &str) -> Option<&'f str> {
        finding
            .evidence
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn check_ids_are_unique_kebab_case_and_controls_are_catalog_ids() {
        let catalog = include_str!("../../../schemas/catalog/controls.toml");
        let mut seen = BTreeSet::new();
        for check in ALL {
            assert!(seen.insert(check.id), "duplicate {}", check.id);
            assert!(check.id.starts_with("azure-"));
            assert!(
                check
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(!check.controls.is_empty() && !check.resource_types.is_empty());
            assert!(!check.title.is_empty() && !check.rationale.is_empty());
            assert!(!check.remediation.is_empty());
            for control in check.controls {
                assert!(
                    catalog.contains(&format!("id = \"{control}\"")),
                    "{}: unknown control {control}",
                    check.id
                );
            }
        }
        assert!(ALL.len() >= 20);
    }

    const LAYERS: [&str; 12] = [
        "physical",
        "network-infrastructure",
        "virtualization",
        "host-os",
        "guest-os",
        "network-controls",
        "application",
        "identity",
        "data",
        "logging",
        "resilience",
        "governance",
    ];

    /// `schemas/responsibility/azure.toml` is read by the host; check here that it gives every
    /// type this plugin emits a service model, defines every layer of every model in use with a
    /// known source, names only catalog controls, and that no guest-OS check can land on a
    /// platform or function resource.
    #[test]
    fn responsibility_data_covers_every_type_and_layer() {
        let data: toml::Value =
            toml::from_str(include_str!("../../../schemas/responsibility/azure.toml")).unwrap();
        let catalog: toml::Value =
            toml::from_str(include_str!("../../../schemas/catalog/controls.toml")).unwrap();
        let layer_of = |control: &str| -> String {
            catalog["control"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"].as_str() == Some(control))
                .map(|c| c["layer"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("unknown control {control}"))
        };
        assert_eq!(data["provider"].as_str(), Some("azure"));
        let sources = data["sources"].as_table().unwrap();
        let models = data["service-models"].as_table().unwrap();
        let model_of = |ty: &str| -> String {
            models
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(ty))
                .map(|(_, m)| m.as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("no service model for {ty}"))
        };
        let mut lower: Vec<String> = models.keys().map(|k| k.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), models.len(), "a type is listed twice");
        for (_, model) in models {
            let model = model.as_str().unwrap();
            assert!(["iaas", "paas", "faas", "abstracted"].contains(&model));
            let matrix = data["matrix"][model].as_table().unwrap();
            for layer in LAYERS {
                let cell = &matrix[layer];
                let owner = cell["owner"].as_str().unwrap();
                assert!(
                    ["provider", "customer", "shared"].contains(&owner),
                    "{model}.{layer}"
                );
                assert_eq!(
                    cell.get("sharing").is_some(),
                    owner == "shared",
                    "{model}.{layer}"
                );
                assert!(
                    sources.contains_key(cell["source"].as_str().unwrap()),
                    "{model}.{layer}"
                );
            }
            assert_eq!(matrix.len(), LAYERS.len());
        }
        for control in data["misattribution"].as_table().unwrap().keys() {
            layer_of(control);
        }
        for check in ALL {
            let layer = layer_of(check.controls[0]);
            for ty in check.resource_types {
                let model = model_of(ty);
                if layer == "guest-os" {
                    assert_eq!(
                        model, "iaas",
                        "{} makes guest-OS findings on {ty}",
                        check.id
                    );
                }
            }
        }
        assert_eq!(model_of("microsoft.web/sites"), "paas");
        assert_eq!(model_of(types::FUNCTION_APP), "faas");
        assert_eq!(
            data["matrix"]["paas"]["guest-os"]["owner"].as_str(),
            Some("provider")
        );
        assert_eq!(
            data["matrix"]["faas"]["guest-os"]["owner"].as_str(),
            Some("provider")
        );
        assert_eq!(
            data["matrix"]["iaas"]["guest-os"]["owner"].as_str(),
            Some("customer")
        );
    }

    #[test]
    fn tls_versions_in_every_spelling() {
        assert_eq!(tls_at_least_1_2("TLS1_2"), Some(true));
        assert_eq!(tls_at_least_1_2("TLS1_3"), Some(true));
        assert_eq!(tls_at_least_1_2("1.2"), Some(true));
        assert_eq!(tls_at_least_1_2("1.0"), Some(false));
        assert_eq!(tls_at_least_1_2("TLS1_1"), Some(false));
        assert_eq!(tls_at_least_1_2("None"), None);
        assert_eq!(tls_at_least_1_2(""), None);
    }

    #[test]
    fn and_lists() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
