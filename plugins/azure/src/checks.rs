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

use demarc_sdk::dispatch::{Catalog, Reader};
use demarc_sdk::json::{FieldError, Text};
use demarc_sdk::time::Timestamp;
use demarc_sdk::{CheckDef, Finding};

use crate::checks::database::Engine;
use crate::estate::Estate;
use crate::json::{id_key, parent_key};
use crate::resource::{Resource, Subject};

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

/// What one resource came to.
#[derive(Debug)]
pub enum Outcome {
    /// Evaluated (findings now or at the end of the scan).
    Evaluated(Vec<Finding>),
    /// Deleted or being deleted.
    Skipped,
    /// A type without checks of its own, or only joined into other resources' findings.
    Other,
}

/// How one reader evaluates a resource: what it came to, after noting in the estate what the
/// joins at the end need.
pub type Evaluate =
    for<'a> fn(&Resource<'a>, &mut Estate, &Context) -> Result<Outcome, FieldError<'a>>;

/// Every resource type this plugin reads (lowercased: the lookup lowercases a resource's type),
/// the checks of each — those decided at the end from what its reader notes included, in the
/// order an unrecorded resource's manual findings are given — and how it is evaluated. Items
/// are dispatched from this table, and `describe` declares its checks.
pub static CATALOG: Catalog<Evaluate> = Catalog {
    readers: &[
        Reader {
            types: &["microsoft.storage/storageaccounts"],
            checks: &[
                &storage::CMK_ENCRYPTION,
                &storage::BLOB_PUBLIC_ACCESS,
                &storage::KEY_ROTATION,
                &storage::SECURE_TRANSFER,
                &storage::MIN_TLS,
                &governance::OWNER_TAG,
            ],
            evaluate: |r, estate, ctx| {
                let protection = storage::archive_protection(r)?;
                estate.storage_account(id_key(r.id()), protection);
                Ok(Outcome::Evaluated(storage::evaluate(r, ctx)?))
            },
        },
        Reader {
            types: &["microsoft.compute/disks"],
            checks: &[&disk::CMK_ENCRYPTION],
            evaluate: |r, _, _| Ok(Outcome::Evaluated(disk::evaluate(r)?)),
        },
        Reader {
            types: &["microsoft.compute/virtualmachines"],
            checks: &[
                &vm::PASSWORD_AUTHENTICATION,
                &vm::STALE_PUBLIC_DEV,
                &vm::OS_IMAGE_EOL,
                &vm::AUTOMATIC_PATCHING,
                &backup::VM_BACKUP,
                &governance::OWNER_TAG,
            ],
            evaluate: |r, estate, ctx| {
                let outcome = vm::evaluate(r, ctx)?;
                estate.vm(outcome.record);
                Ok(Outcome::Evaluated(outcome.findings))
            },
        },
        Reader {
            types: &["microsoft.network/networksecuritygroups"],
            checks: &[&network::ADMIN_PORT_OPEN, &network::ALL_PORTS_OPEN],
            evaluate: |r, _, _| Ok(Outcome::Evaluated(network::evaluate(r)?)),
        },
        Reader {
            types: &["microsoft.network/networkinterfaces"],
            checks: &[],
            evaluate: |r, estate, _| {
                estate.nic(id_key(r.id()), network::nic_public_ips(r)?);
                Ok(Outcome::Other)
            },
        },
        Reader {
            types: &["microsoft.network/publicipaddresses"],
            checks: &[],
            evaluate: |r, estate, _| {
                estate.public_ip(id_key(r.id()), network::public_ip_address(r)?);
                Ok(Outcome::Other)
            },
        },
        Reader {
            types: &[
                "microsoft.sql/servers",
                "microsoft.dbforpostgresql/flexibleservers",
                "microsoft.dbformysql/flexibleservers",
            ],
            checks: &[
                &database::SQL_ENTRA_ONLY,
                &database::PUBLIC_NETWORK_ACCESS,
                &database::BACKUP_RETENTION,
                &database::SQL_MIN_TLS,
                &governance::OWNER_TAG,
            ],
            evaluate: |r, estate, _| {
                let outcome = match Engine::of_server(r) {
                    Some(Engine::Sql) | None => database::evaluate_sql(r)?,
                    Some(engine) => database::evaluate_flexible(r, engine)?,
                };
                estate.server(outcome.server);
                Ok(Outcome::Evaluated(outcome.findings))
            },
        },
        Reader {
            types: &[
                "microsoft.sql/servers/firewallrules",
                "microsoft.dbforpostgresql/flexibleservers/firewallrules",
                "microsoft.dbformysql/flexibleservers/firewallrules",
            ],
            checks: &[],
            evaluate: |r, estate, _| {
                if Engine::of_rule(r).is_some() {
                    let rule = database::firewall_rule(r)?;
                    estate.firewall_rule(parent_key(r.id()), rule);
                }
                Ok(Outcome::Other)
            },
        },
        Reader {
            types: &["microsoft.keyvault/vaults"],
            checks: &[
                &keyvault::KEY_ROTATION,
                &keyvault::AUDIT_LOGGING,
                &keyvault::RECOVERABLE,
                &governance::OWNER_TAG,
            ],
            evaluate: |r, estate, _| {
                let findings = keyvault::evaluate_vault(r)?;
                estate.vault(id_key(r.id()), r.subject().into_owned());
                Ok(Outcome::Evaluated(findings))
            },
        },
        Reader {
            types: &["microsoft.keyvault/vaults/keys"],
            checks: &[&keyvault::KEY_ROTATION],
            evaluate: |r, estate, _| {
                estate.vault_key(parent_key(r.id()));
                Ok(Outcome::Evaluated(keyvault::evaluate_key(r)?))
            },
        },
        Reader {
            types: &["microsoft.authorization/roleassignments"],
            checks: &[&rbac::PRIVILEGED_ROLE_USER, &rbac::EXTERNAL_PRINCIPAL],
            evaluate: |r, _, _| Ok(Outcome::Evaluated(rbac::evaluate(r)?)),
        },
        Reader {
            types: &["microsoft.web/sites"],
            checks: &[
                &appservice::RUNTIME_SUPPORTED,
                &appservice::HTTPS_ONLY,
                &appservice::MIN_TLS,
                &governance::OWNER_TAG,
            ],
            evaluate: |r, estate, _| {
                let outcome = appservice::evaluate_site(r)?;
                estate.site(outcome.record);
                Ok(Outcome::Evaluated(outcome.findings))
            },
        },
        Reader {
            types: &["microsoft.web/sites/config"],
            checks: &[],
            evaluate: |r, estate, _| {
                if let Some((site, values)) = appservice::config_item(r)? {
                    estate.site_config(site, values);
                }
                Ok(Outcome::Other)
            },
        },
        Reader {
            types: &["microsoft.insights/diagnosticsettings"],
            checks: &[&monitor::LOG_RETENTION, &monitor::LOG_STORAGE_PROTECTED],
            evaluate: |r, estate, _| {
                if let Some((sub, setting)) = monitor::subscription_setting(r)? {
                    estate.activity_setting(&sub, setting);
                } else if let Some((parent, setting)) = monitor::resource_setting(r)? {
                    estate.resource_setting(parent, setting);
                }
                let mut findings = monitor::evaluate_setting(r)?;
                match monitor::archive(r)? {
                    Ok(finding) => findings.push(finding),
                    Err(record) => estate.archive(record),
                }
                Ok(Outcome::Evaluated(findings))
            },
        },
        Reader {
            types: &["microsoft.operationalinsights/workspaces"],
            checks: &[&monitor::LOG_RETENTION],
            evaluate: |r, _, _| Ok(Outcome::Evaluated(monitor::evaluate_workspace(r)?)),
        },
        Reader {
            types: &["microsoft.security/assessments"],
            checks: &[],
            evaluate: |r, estate, _| {
                if let Some((sub, assessment)) = identity::mfa_assessment(r)? {
                    estate.mfa(&sub, assessment);
                }
                Ok(Outcome::Other)
            },
        },
        // Subscription rows: their findings are decided at the end, for every subscription seen.
        Reader {
            types: &["microsoft.resources/subscriptions"],
            checks: &[&identity::MFA_PRIVILEGED, &monitor::ACTIVITY_LOG_EXPORTED],
            evaluate: |r, estate, _| {
                let state = subscription_state(r)?;
                let gone = state.as_deref().is_some_and(|s| {
                    s.eq_ignore_ascii_case("Disabled") || s.eq_ignore_ascii_case("Deleted")
                });
                if let Some(sub) = r.subscription() {
                    estate.subscription_row(sub, r.name.non_empty(), gone);
                }
                Ok(if gone {
                    Outcome::Skipped
                } else {
                    Outcome::Other
                })
            },
        },
        Reader {
            types: &["microsoft.recoveryservices/vaults"],
            checks: &[],
            evaluate: |_, _, _| Ok(Outcome::Other),
        },
        Reader {
            types: &[
                "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems",
            ],
            checks: &[],
            evaluate: |r, estate, _| {
                if let Some((vm, record)) = backup::protected_item(r)? {
                    estate.backup(vm, record);
                }
                Ok(Outcome::Other)
            },
        },
    ],
    joins: &[],
};

/// `properties.state` of a subscription row (`Enabled`, `Disabled`, `Deleted`, `Warned`,
/// `PastDue`).
fn subscription_state<'a>(r: &Resource<'a>) -> Result<Option<String>, FieldError<'a>> {
    #[derive(serde::Deserialize, Default)]
    struct State<'a> {
        #[serde(borrow, default)]
        state: Text<'a>,
    }
    let s: State<'_> = r.properties()?.unwrap_or_default();
    Ok(s.state.non_empty().map(str::to_string))
}

/// The findings of a resource the export records without its properties (a Resource Graph
/// projection of identity columns): each of `checks` (those of its readers) that applies to its
/// type is manual, naming what decides it;
/// the owner tag is still read from tags the row does carry.
pub fn unrecorded(
    subject: &Subject<'_>,
    checks: impl Iterator<Item = &'static CheckDef>,
    tags_recorded: bool,
) -> Vec<Finding> {
    let label = subject.label();
    let kind = &subject.native_type;
    checks
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

pub use demarc_sdk::words::{and_list, count};

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

    use super::Context;
    use crate::resource::Resource;
    use demarc_sdk::time::Timestamp;

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

    pub use demarc_sdk::testing::{evidence, only, status};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_kebab_case_and_controls_are_catalog_ids() {
        let catalog = include_str!("../../../schemas/catalog/controls.toml");
        demarc_sdk::testing::assert_check_defs(&CATALOG.defs(), "azure-", catalog);
        assert!(CATALOG.defs().len() >= 20);
    }

    #[test]
    fn every_reader_reads_the_types_its_checks_declare() {
        // The metadata drives dispatch: each type a reader with checks takes is declared by
        // one of its checks, each of its checks declares one of its types, and every type a
        // check declares is read by some reader (function apps are sites).
        let declares = |check: &CheckDef, ty: &str| {
            check
                .resource_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(ty))
        };
        for reader in CATALOG.readers.iter().filter(|r| !r.checks.is_empty()) {
            for ty in reader.types {
                assert!(
                    reader.checks.iter().any(|c| declares(c, ty)),
                    "no check of the reader of {ty} declares it"
                );
                assert_eq!(
                    *ty,
                    ty.to_ascii_lowercase(),
                    "types are looked up lowercased"
                );
            }
            for check in reader.checks {
                assert!(
                    reader.types.iter().any(|ty| declares(check, ty)),
                    "{} declares none of {:?}",
                    check.id,
                    reader.types
                );
            }
        }
        for check in CATALOG.defs() {
            for ty in check.resource_types {
                let ty = if *ty == types::FUNCTION_APP {
                    types::SITE
                } else {
                    ty
                };
                assert!(
                    CATALOG
                        .readers
                        .iter()
                        .any(|r| r.types.iter().any(|t| t.eq_ignore_ascii_case(ty))),
                    "{}: no reader of {ty}",
                    check.id
                );
            }
        }
        assert_eq!(CATALOG.defs().len(), 30);
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
        for check in CATALOG.defs() {
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
}
