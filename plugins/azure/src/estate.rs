//! What a scan learns across its inputs, and the findings only the whole picture decides.
//!
//! A target's inputs arrive in any order (the `Resources` table, `authorizationresources`,
//! `securityresources`, `recoveryservicesresources`, ARM dumps of child resources), and within a
//! file a child may come before or after its parent. So some checks wait for the end of the
//! scan: a VM's exposure (VM → network interface → public IP) and backup item, a database
//! server's firewall rules, an app's `config/web`, a key vault's keys and diagnostic settings,
//! and each subscription's activity-log export and MFA assessments. [`Estate`] keeps exactly that state — small records,
//! not the resources streamed past it — and [`Estate::finish`] emits the deferred findings in
//! input order.

use std::collections::{BTreeMap, HashMap, HashSet};

use demarc_sdk::{Finding, ScanError};

use crate::checks::appservice::{self, SiteConfigValues, SiteRecord};
use crate::checks::backup::{self, BackupRecord};
use crate::checks::database::{self, DbServer, FirewallRule};
use crate::checks::identity::{self, MfaAssessment};
use crate::checks::monitor::{self, ArchiveRecord, DiagnosticSummary};
use crate::checks::storage::ArchiveProtection;
use crate::checks::vm::{self, Exposure, PublicAddress, VmRecord};
use crate::checks::{Context, keyvault, types};
use crate::resource::Subject;

/// What the scan knows about one subscription.
#[derive(Debug, Default)]
struct SubscriptionInfo {
    /// The subscription id as first seen.
    id: String,
    /// Its display name (Resource Graph `resourcecontainers`).
    name: Option<String>,
    /// Disabled or deleted: no subscription-level findings.
    gone: bool,
    /// Its subscription-level diagnostic settings.
    activity: Vec<DiagnosticSummary>,
    /// Its MFA assessments.
    mfa: Vec<MfaAssessment>,
}

/// Cross-input state of one scan.
#[derive(Debug, Default)]
pub struct Estate {
    /// Subscriptions by lowercased id.
    subscriptions: BTreeMap<String, SubscriptionInfo>,
    /// The subscription of the previous item, to skip the map lookup for runs of one.
    last_subscription: String,
    vms: Vec<VmRecord>,
    /// Network interface → the public IPs it references (join keys).
    nics: HashMap<String, Vec<String>>,
    /// Public IP → its address, when allocated.
    public_ips: HashMap<String, Option<String>>,
    servers: Vec<DbServer>,
    /// Server → its firewall rules.
    firewall: HashMap<String, Vec<FirewallRule>>,
    sites: Vec<SiteRecord>,
    /// App → its `config/web` values.
    site_configs: HashMap<String, SiteConfigValues>,
    /// Key vaults (join key, subject), for the key-rotation fallback.
    vaults: Vec<(String, Subject<'static>)>,
    /// Vaults with at least one key in the export.
    vaults_with_keys: HashSet<String>,
    /// Resource → its resource-level diagnostic settings (join keys).
    resource_settings: HashMap<String, Vec<DiagnosticSummary>>,
    /// Storage account → what protects its blobs (join keys).
    storage: HashMap<String, ArchiveProtection>,
    /// Subscription settings that archive the activity log in a storage account.
    archives: Vec<ArchiveRecord>,
    /// VM → the backup items protecting it.
    backups: HashMap<String, Vec<BackupRecord>>,
}

impl Estate {
    /// Note the subscription of a resource.
    pub fn saw_subscription(&mut self, subscription: Option<&str>) {
        let Some(sub) = subscription.map(str::trim).filter(|s| !s.is_empty()) else {
            return;
        };
        if sub.eq_ignore_ascii_case(&self.last_subscription) {
            return;
        }
        self.info(sub);
        self.last_subscription.clear();
        self.last_subscription.push_str(sub);
    }

    fn info(&mut self, sub: &str) -> &mut SubscriptionInfo {
        self.subscriptions
            .entry(sub.to_ascii_lowercase())
            .or_insert_with(|| SubscriptionInfo {
                id: sub.to_string(),
                ..SubscriptionInfo::default()
            })
    }

    /// Record a subscription row (`resourcecontainers`): its name, and whether it is disabled or
    /// deleted.
    pub fn subscription_row(&mut self, sub: &str, name: Option<&str>, gone: bool) {
        let info = self.info(sub);
        if let Some(name) = name {
            info.name = Some(name.to_string());
        }
        info.gone |= gone;
    }

    /// Keep a VM for the exposure and backup checks.
    pub fn vm(&mut self, record: VmRecord) {
        self.vms.push(record);
    }

    /// Record a network interface and the public IPs it references.
    pub fn nic(&mut self, key: String, public_ips: Vec<String>) {
        self.nics.insert(key, public_ips);
    }

    /// Record a public IP and its address.
    pub fn public_ip(&mut self, key: String, address: Option<String>) {
        self.public_ips.insert(key, address);
    }

    /// Keep a database server for the public-access check.
    pub fn server(&mut self, server: DbServer) {
        self.servers.push(server);
    }

    /// Record a firewall rule of the server `parent`.
    pub fn firewall_rule(&mut self, parent: String, rule: FirewallRule) {
        self.firewall.entry(parent).or_default().push(rule);
    }

    /// Keep an app for the TLS and runtime checks.
    pub fn site(&mut self, record: SiteRecord) {
        self.sites.push(record);
    }

    /// Record an app's `config/web`.
    pub fn site_config(&mut self, site: String, values: SiteConfigValues) {
        self.site_configs.insert(site, values);
    }

    /// Keep a key vault for the key-rotation fallback.
    pub fn vault(&mut self, key: String, subject: Subject<'static>) {
        self.vaults.push((key, subject));
    }

    /// Note that a key of the vault `vault` is in the export.
    pub fn vault_key(&mut self, vault: String) {
        self.vaults_with_keys.insert(vault);
    }

    /// Record a backup item protecting the VM `vm`.
    pub fn backup(&mut self, vm: String, record: BackupRecord) {
        self.backups.entry(vm).or_default().push(record);
    }

    /// Record a diagnostic setting of the resource `resource` (a join key).
    pub fn resource_setting(&mut self, resource: String, setting: DiagnosticSummary) {
        self.resource_settings
            .entry(resource)
            .or_default()
            .push(setting);
    }

    /// Record what protects the blobs of the storage account `key`.
    pub fn storage_account(&mut self, key: String, protection: ArchiveProtection) {
        self.storage.insert(key, protection);
    }

    /// Keep a subscription setting that archives the activity log in a storage account.
    pub fn archive(&mut self, record: ArchiveRecord) {
        self.archives.push(record);
    }

    /// Record a subscription-level diagnostic setting.
    pub fn activity_setting(&mut self, sub: &str, setting: DiagnosticSummary) {
        self.info(sub).activity.push(setting);
    }

    /// Record an MFA assessment of a subscription.
    pub fn mfa(&mut self, sub: &str, assessment: MfaAssessment) {
        self.info(sub).mfa.push(assessment);
    }

    fn exposure(&self, vm: &VmRecord) -> Exposure {
        let mut public = Vec::new();
        let mut unknown = Vec::new();
        for nic in &vm.nics {
            match self.nics.get(nic) {
                None => unknown.push(crate::json::last_segment(nic).to_string()),
                Some(ips) => {
                    for ip in ips {
                        match self.public_ips.get(ip) {
                            Some(None) => {}
                            Some(Some(address)) => public.push(PublicAddress {
                                ip_id: ip.clone(),
                                address: Some(address.clone()),
                            }),
                            None => public.push(PublicAddress {
                                ip_id: ip.clone(),
                                address: None,
                            }),
                        }
                    }
                }
            }
        }
        if !public.is_empty() {
            Exposure::Public(public)
        } else if !unknown.is_empty() || vm.nics.is_empty() {
            if unknown.is_empty() {
                unknown.push("(none recorded)".to_string());
            }
            Exposure::Unknown(unknown)
        } else {
            Exposure::Private
        }
    }

    /// Emit the findings that needed every input. Returns the number of resources (VMs, servers,
    /// apps, vaults and subscriptions) they are about that were not counted while streaming:
    /// the subscriptions.
    pub fn finish(
        self,
        ctx: &Context,
        mut emit: impl FnMut(Finding) -> Result<(), ScanError>,
    ) -> Result<u64, ScanError> {
        for vm in &self.vms {
            emit(vm::stale_finding(vm, &self.exposure(vm), ctx))?;
            // Each join uses only the related resources of this resource: another VM's backup
            // items, another server's firewall rules or another resource's diagnostic settings
            // say nothing about this one.
            let items = self.backups.get(&vm.key).map(Vec::as_slice);
            emit(backup::vm_finding(vm, items, ctx))?;
        }
        for server in &self.servers {
            let rules = self.firewall.get(&server.key).map(Vec::as_slice);
            emit(database::public_finding(server, rules))?;
        }
        for site in &self.sites {
            let config = match self.site_configs.get(&site.key) {
                Some(values) => values.clone().or(&site.config),
                None => site.config.clone(),
            };
            emit(appservice::tls_finding(site, &config))?;
            emit(appservice::runtime_finding(site, &config, ctx))?;
        }
        for (key, vault) in &self.vaults {
            if !self.vaults_with_keys.contains(key) {
                emit(keyvault::vault_without_keys(vault))?;
            }
            let settings = self.resource_settings.get(key).map(Vec::as_slice);
            emit(keyvault::audit_logging(vault, settings))?;
        }
        for record in &self.archives {
            let account = self.storage.get(&crate::json::id_key(&record.storage));
            emit(monitor::archive_finding(record, account))?;
        }
        let mut subscriptions = 0;
        for info in self.subscriptions.values().filter(|i| !i.gone) {
            let subject = Subject {
                account: info.id.clone().into(),
                region: "global".into(),
                native_type: types::SUBSCRIPTION.into(),
                id: format!("/subscriptions/{}", info.id).into(),
                name: info.name.clone().map(Into::into),
                tags: Default::default(),
            };
            emit(monitor::subscription_finding(&subject, &info.activity))?;
            emit(identity::subscription_finding(&subject, &info.mfa))?;
            subscriptions += 1;
        }
        Ok(subscriptions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, resource};
    use demarc_sdk::Status;

    fn finish(estate: Estate) -> Vec<Finding> {
        let mut out = Vec::new();
        estate
            .finish(&ctx(), |f| {
                out.push(f);
                Ok(())
            })
            .unwrap();
        out
    }

    fn vm_record(nics: &[&str]) -> VmRecord {
        let r = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dev1","name":"dev1","type":"microsoft.compute/virtualmachines","tags":{"env":"dev"}}"#,
        );
        VmRecord {
            subject: r.subject().into_owned(),
            key: "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/dev1".into(),
            nics: nics.iter().map(|n| n.to_string()).collect(),
            power: Some("PowerState/running".into()),
            created: Some("2024-01-01T00:00:00Z".into()),
            non_prod: Some(("env".into(), "dev".into())),
        }
    }

    #[test]
    fn vm_exposure_joins_nics_and_public_ips_in_any_order() {
        let mut estate = Estate::default();
        estate.vm(vm_record(&["nic1"]));
        estate.public_ip("ip1".into(), Some("52.1.1.1".into()));
        estate.nic("nic1".into(), vec!["ip1".into()]);
        let out = finish(estate);
        let stale = out
            .iter()
            .find(|f| f.check_id == vm::STALE_PUBLIC_DEV.id)
            .unwrap();
        assert_eq!(stale.status, Status::Fail);
        let backup = out
            .iter()
            .find(|f| f.check_id == backup::VM_BACKUP.id)
            .unwrap();
        assert_eq!(backup.status, Status::Manual, "no recovery data at all");

        let mut estate = Estate::default();
        estate.vm(vm_record(&["nic1"]));
        estate.nic("nic1".into(), vec!["ip1".into()]);
        estate.public_ip("ip1".into(), None);
        let out = finish(estate);
        assert_eq!(
            out[0].status,
            Status::NotApplicable,
            "unallocated public IP"
        );

        let mut estate = Estate::default();
        estate.vm(vm_record(&["nic-missing"]));
        assert_eq!(finish(estate)[0].status, Status::Manual);
    }

    #[test]
    fn subscriptions_get_account_level_findings_unless_gone() {
        let mut estate = Estate::default();
        estate.saw_subscription(Some("AAAA"));
        estate.saw_subscription(Some("aaaa"));
        estate.saw_subscription(Some("bbbb"));
        estate.saw_subscription(None);
        estate.subscription_row("bbbb", Some("Old sandbox"), true);
        estate.subscription_row("aaaa", Some("Prod"), false);
        let out = finish(estate);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].resource.id, "/subscriptions/AAAA");
        assert_eq!(out[0].resource.name.as_deref(), Some("Prod"));
        assert_eq!(out[0].check_id, monitor::ACTIVITY_LOG_EXPORTED.id);
        assert_eq!(out[0].status, Status::Manual, "no setting in the export");
        assert_eq!(out[1].check_id, identity::MFA_PRIVILEGED.id);
        assert_eq!(out[1].status, Status::Manual);
    }

    #[test]
    fn vaults_without_keys_get_the_manual_fallback() {
        let mut estate = Estate::default();
        let kv = |name: &str| {
            resource(&format!(r#"{{"id":"/subscriptions/s1/x/vaults/{name}","name":"{name}","type":"microsoft.keyvault/vaults"}}"#))
                .subject()
                .into_owned()
        };
        estate.vault("v1".into(), kv("v1"));
        estate.vault("v2".into(), kv("v2"));
        estate.vault_key("v1".into());
        let out: Vec<_> = finish(estate)
            .into_iter()
            .filter(|f| f.check_id == keyvault::KEY_ROTATION.id)
            .collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].resource.id, "/subscriptions/s1/x/vaults/v2");
    }

    #[test]
    fn activity_log_archives_join_their_storage_account_ignoring_case() {
        let setting = resource(
            r#"{"id":"/subscriptions/s1/providers/microsoft.insights/diagnosticSettings/archive","name":"archive","type":"Microsoft.Insights/diagnosticSettings","properties":{"storageAccountId":"/subscriptions/S1/resourceGroups/RG-Audit/providers/Microsoft.Storage/storageAccounts/Audit01"}}"#,
        );
        let record = monitor::archive(&setting).unwrap().unwrap_err();
        let mut estate = Estate::default();
        estate.archive(record.clone());
        estate.storage_account(
            "/subscriptions/s1/resourcegroups/rg-audit/providers/microsoft.storage/storageaccounts/audit01".into(),
            ArchiveProtection {
                immutable: Some(true),
                policy_state: Some("Locked".into()),
                policy_days: Some(400),
                key_source: Some("Microsoft.Storage".into()),
            },
        );
        let of = |out: Vec<Finding>| -> Vec<Status> {
            out.into_iter()
                .filter(|f| f.check_id == monitor::LOG_STORAGE_PROTECTED.id)
                .map(|f| f.status)
                .collect()
        };
        assert_eq!(of(finish(estate)), vec![Status::Pass]);
        let mut estate = Estate::default();
        estate.archive(record);
        assert_eq!(
            of(finish(estate)),
            vec![Status::Manual],
            "account not in the export"
        );
    }

    #[test]
    fn vault_audit_logging_joins_resource_settings() {
        let kv = |name: &str| {
            resource(&format!(r#"{{"id":"/subscriptions/s1/x/vaults/{name}","name":"{name}","type":"microsoft.keyvault/vaults"}}"#))
                .subject()
                .into_owned()
        };
        let audit = |name: &str| DiagnosticSummary {
            name: name.into(),
            destinations: vec!["workspace law".into()],
            categories: vec!["AuditEvent".into()],
        };
        let statuses = |estate: Estate| -> Vec<(String, Status)> {
            finish(estate)
                .into_iter()
                .filter(|f| f.check_id == keyvault::AUDIT_LOGGING.id)
                .map(|f| (f.resource.id.clone(), f.status))
                .collect()
        };
        // No resource-level setting anywhere in the export: manual.
        let mut estate = Estate::default();
        estate.vault("v1".into(), kv("v1"));
        assert_eq!(
            statuses(estate),
            vec![("/subscriptions/s1/x/vaults/v1".into(), Status::Manual)]
        );
        // Settings in the export (in any order): the vault with one passes; the other vault's
        // setting says nothing about v2, which stays manual.
        let mut estate = Estate::default();
        estate.resource_setting("v1".into(), audit("kv-audit"));
        estate.vault("v1".into(), kv("v1"));
        estate.vault("v2".into(), kv("v2"));
        assert_eq!(
            statuses(estate),
            vec![
                ("/subscriptions/s1/x/vaults/v1".into(), Status::Pass),
                ("/subscriptions/s1/x/vaults/v2".into(), Status::Manual)
            ]
        );
        // A setting of its own that keeps no audit events fails.
        let mut estate = Estate::default();
        estate.vault("v2".into(), kv("v2"));
        estate.resource_setting(
            "v2".into(),
            DiagnosticSummary {
                categories: vec!["AzurePolicyEvaluationDetails".into()],
                ..audit("policy-only")
            },
        );
        assert_eq!(
            statuses(estate),
            vec![("/subscriptions/s1/x/vaults/v2".into(), Status::Fail)]
        );
    }

    fn of_check(out: &[Finding], check: &str) -> Vec<(String, Status)> {
        out.iter()
            .filter(|f| f.check_id == check)
            .map(|f| (f.resource.id.clone(), f.status))
            .collect()
    }

    #[test]
    fn a_vm_is_judged_by_its_own_backup_items_only() {
        let other = |name: &str| {
            let mut r = vm_record(&["nic1"]);
            r.key = format!("vm-{name}");
            r.subject.id = format!("/subscriptions/s1/vms/{name}").into();
            r
        };
        let mut estate = Estate::default();
        estate.vm(other("a"));
        estate.vm(other("b"));
        estate.backup(
            "vm-a".into(),
            BackupRecord {
                vault: "rsv1".into(),
                state: Some("Protected".into()),
                last_backup: Some("2026-10-31T02:00:00Z".into()),
                last_status: Some("Completed".into()),
                policy: Some("daily".into()),
            },
        );
        let out = finish(estate);
        let statuses = of_check(&out, backup::VM_BACKUP.id);
        assert_eq!(
            statuses,
            vec![
                ("/subscriptions/s1/vms/a".into(), Status::Pass),
                ("/subscriptions/s1/vms/b".into(), Status::Manual),
            ],
            "vm a's backup item does not decide vm b"
        );
        let b = out
            .iter()
            .find(|f| f.check_id == backup::VM_BACKUP.id && f.resource.id.ends_with("/b"))
            .unwrap();
        assert!(
            b.message.contains("az backup protection check-vm"),
            "{}",
            b.message
        );
    }

    #[test]
    fn a_server_is_judged_by_its_own_firewall_rules_only() {
        let server = |name: &str| {
            let json = format!(
                r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/servers/{name}","name":"{name}","type":"microsoft.sql/servers","properties":{{"publicNetworkAccess":"Enabled"}}}}"#
            );
            let r = resource(&json);
            DbServer {
                subject: r.subject().into_owned(),
                key: name.into(),
                engine: crate::checks::database::Engine::Sql,
                public_access: Some("Enabled".into()),
                subnet: None,
            }
        };
        let mut estate = Estate::default();
        estate.server(server("sql-a"));
        estate.server(server("sql-b"));
        estate.firewall_rule(
            "sql-a".into(),
            FirewallRule {
                name: "office".into(),
                start: "203.0.113.0".into(),
                end: "203.0.113.255".into(),
            },
        );
        let out = finish(estate);
        let statuses: Vec<Status> = of_check(&out, database::PUBLIC_NETWORK_ACCESS.id)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            statuses,
            vec![Status::Pass, Status::Manual],
            "sql-a's rules do not decide sql-b"
        );
    }

    #[test]
    fn a_subscription_is_judged_by_its_own_settings_and_assessments_only() {
        let mut estate = Estate::default();
        estate.saw_subscription(Some("aaaa"));
        estate.saw_subscription(Some("bbbb"));
        estate.activity_setting(
            "aaaa",
            DiagnosticSummary {
                name: "all".into(),
                destinations: vec!["workspace law".into()],
                categories: vec!["allLogs".into()],
            },
        );
        estate.mfa(
            "aaaa",
            MfaAssessment {
                scope: "owner",
                name: "MFA should be enabled on accounts with owner permissions".into(),
                status: "Healthy".into(),
            },
        );
        let out = finish(estate);
        for check in [
            monitor::ACTIVITY_LOG_EXPORTED.id,
            identity::MFA_PRIVILEGED.id,
        ] {
            assert_eq!(
                of_check(&out, check),
                vec![
                    ("/subscriptions/aaaa".into(), Status::Pass),
                    ("/subscriptions/bbbb".into(), Status::Manual),
                ],
                "{check}"
            );
        }
    }

    #[test]
    fn a_vm_is_exposed_only_through_its_own_interfaces() {
        let mut a = vm_record(&["nic-a"]);
        a.subject.id = "/subscriptions/s1/vms/a".into();
        let mut b = vm_record(&["nic-b"]);
        b.subject.id = "/subscriptions/s1/vms/b".into();
        let mut estate = Estate::default();
        estate.vm(a);
        estate.vm(b);
        estate.nic("nic-a".into(), vec!["ip-a".into()]);
        estate.public_ip("ip-a".into(), Some("52.1.1.1".into()));
        let out = finish(estate);
        assert_eq!(
            of_check(&out, vm::STALE_PUBLIC_DEV.id),
            vec![
                ("/subscriptions/s1/vms/a".into(), Status::Fail),
                ("/subscriptions/s1/vms/b".into(), Status::Manual),
            ],
            "vm a's public address does not decide vm b"
        );
    }

    #[test]
    fn an_app_is_judged_by_its_own_config_only() {
        let site = |name: &str| {
            let json = format!(
                r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/{name}","name":"{name}","type":"microsoft.web/sites","kind":"app"}}"#
            );
            SiteRecord {
                subject: resource(&json).subject().into_owned(),
                key: name.into(),
                config: SiteConfigValues::default(),
            }
        };
        let mut estate = Estate::default();
        estate.site(site("app-a"));
        estate.site(site("app-b"));
        estate.site_config(
            "app-a".into(),
            SiteConfigValues {
                min_tls: Some("1.2".into()),
                ..SiteConfigValues::default()
            },
        );
        let out = finish(estate);
        let statuses: Vec<Status> = of_check(&out, appservice::MIN_TLS.id)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            statuses,
            vec![Status::Pass, Status::Manual],
            "app-a's config/web does not decide app-b"
        );
    }

    #[test]
    fn an_archive_is_judged_by_its_own_storage_account_only() {
        let setting = resource(
            r#"{"id":"/subscriptions/s1/providers/microsoft.insights/diagnosticSettings/archive","name":"archive","type":"Microsoft.Insights/diagnosticSettings","properties":{"storageAccountId":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/audit01"}}"#,
        );
        let record = monitor::archive(&setting).unwrap().unwrap_err();
        let mut estate = Estate::default();
        estate.archive(record);
        estate.storage_account(
            "/subscriptions/s1/resourcegroups/rg/providers/microsoft.storage/storageaccounts/other02".into(),
            ArchiveProtection {
                immutable: Some(true),
                policy_state: Some("Locked".into()),
                policy_days: Some(400),
                key_source: Some("Microsoft.Keyvault".into()),
            },
        );
        let out = finish(estate);
        assert_eq!(
            of_check(&out, monitor::LOG_STORAGE_PROTECTED.id)[0].1,
            Status::Manual,
            "another account's protection does not decide the archive"
        );
    }
}
