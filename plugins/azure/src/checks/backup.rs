//! Backups of virtual machines by Azure Backup (Recovery Services vaults).
//!
//! A VM's backup is not on the VM: it is a protected item of a Recovery Services vault
//! (Resource Graph `recoveryservicesresources`, type
//! `microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems`) with
//! `properties{sourceResourceId, protectionState (Protected | IRPending | ProtectionStopped |
//! ProtectionPaused | ProtectionError), lastBackupTime, lastBackupStatus, policyName}`. The check
//! is decided at the end of the scan by joining each VM with its own items; a VM without one is
//! manual (an export may leave out the vault that protects it), whatever other VMs' items say.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::Context;
use super::vm::VmRecord;
use crate::json::{Text, id_key};
use crate::resource::Resource;
use demarc_sdk::json::FieldError;
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("backup");

/// Days after which the last backup of a protected VM is too old.
pub const STALE_BACKUP_DAYS: i64 = 7;

#[derive(Debug, Default, Deserialize)]
struct ProtectedItemProperties<'a> {
    #[serde(rename = "sourceResourceId", borrow, default)]
    source: Text<'a>,
    #[serde(rename = "protectionState", borrow, default)]
    state: Text<'a>,
    #[serde(rename = "lastBackupTime", borrow, default)]
    last_backup: Text<'a>,
    #[serde(rename = "lastBackupStatus", borrow, default)]
    last_status: Text<'a>,
    #[serde(rename = "policyName", borrow, default)]
    policy: Text<'a>,
}

/// One backup item protecting a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRecord {
    /// The vault's name.
    pub vault: String,
    /// `protectionState`.
    pub state: Option<String>,
    /// `lastBackupTime`.
    pub last_backup: Option<String>,
    /// `lastBackupStatus`.
    pub last_status: Option<String>,
    /// `policyName`.
    pub policy: Option<String>,
}

/// The VM (join key) a protected item backs up, and the item.
pub fn protected_item<'a>(
    resource: &Resource<'a>,
) -> Result<Option<(String, BackupRecord)>, FieldError<'a>> {
    let props: ProtectedItemProperties<'_> = resource.properties()?.unwrap_or_default();
    let Some(source) = props.source.non_empty() else {
        return Ok(None);
    };
    let vault = {
        let parts: Vec<&str> = resource.id().split('/').collect();
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case("vaults"))
            .and_then(|i| parts.get(i + 1))
            .copied()
            .unwrap_or("?")
            .to_string()
    };
    let own = |t: &Text<'_>| t.non_empty().map(str::to_string);
    Ok(Some((
        id_key(source),
        BackupRecord {
            vault,
            state: own(&props.state),
            last_backup: own(&props.last_backup),
            last_status: own(&props.last_status),
            policy: own(&props.policy),
        },
    )))
}

fn protecting(state: Option<&str>) -> bool {
    state
        .is_some_and(|s| s.eq_ignore_ascii_case("Protected") || s.eq_ignore_ascii_case("IRPending"))
}

/// The backup finding of a VM. `items` is `None` when the export holds no protected item of this
/// VM.
pub fn vm_finding(vm: &VmRecord, items: Option<&[BackupRecord]>, ctx: &Context) -> Finding {
    let label = vm.subject.label();
    let mut builder = vm.subject.finding(&VM_BACKUP);
    let Some(items) = items else {
        return builder
            .evidence("protectedItems", "(none in the export)")
            .manual(format!(
                "The export holds no Recovery Services protected item of VM {label}: an unprotected VM has none, but neither does a VM whose vault the export left out. `az backup protection check-vm --vm {}` (or Resource Graph `recoveryservicesresources` of every vault of its subscription) decides it.",
                vm.subject.id
            ));
    };
    if items.is_empty() {
        return builder.evidence("protectedItems", "(none)").fail(format!(
            "VM {label} is not protected by any Recovery Services vault: nothing can restore it after deletion, corruption or ransomware."
        ));
    }
    for item in items {
        builder = builder.evidence(
            format!("vaults/{}/protectedItems", item.vault),
            format!(
                "{} (policy {}, last backup {} {})",
                item.state.as_deref().unwrap_or("(no state)"),
                item.policy.as_deref().unwrap_or("?"),
                item.last_backup.as_deref().unwrap_or("never"),
                item.last_status.as_deref().unwrap_or(""),
            )
            .trim_end()
            .to_string(),
        );
    }
    let Some(active) = items.iter().find(|i| protecting(i.state.as_deref())) else {
        let state = items[0].state.as_deref().unwrap_or("(no state)");
        return builder.fail(format!(
            "VM {label} is registered in vault {} but its protection is {state}: no new backups are taken.",
            items[0].vault
        ));
    };
    if active
        .last_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Unhealthy") || s.eq_ignore_ascii_case("Failed"))
    {
        return builder.fail(format!(
            "VM {label}'s last backup in vault {} failed.",
            active.vault
        ));
    }
    match active.last_backup.as_deref().and_then(Timestamp::parse) {
        Some(t) if t.older_than(STALE_BACKUP_DAYS, ctx.now) => builder.fail(format!(
            "VM {label}'s last backup in vault {} is from {} ({} days ago): the schedule is not running.",
            active.vault,
            t.date(),
            t.days_until(ctx.now)
        )),
        _ => builder.pass(format!(
            "VM {label} is backed up in vault {} (policy {}).",
            active.vault,
            active.policy.as_deref().unwrap_or("?")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, resource};
    use demarc_sdk::Status;

    const VM: &str =
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/app1";

    fn vm() -> VmRecord {
        let json =
            format!(r#"{{"id":"{VM}","name":"app1","type":"microsoft.compute/virtualmachines"}}"#);
        let r = resource(&json);
        VmRecord {
            subject: r.subject().into_owned(),
            key: id_key(VM),
            nics: vec![],
            power: None,
            created: None,
            non_prod: None,
        }
    }

    fn item(state: &str, last: &str, status: &str) -> BackupRecord {
        let json = format!(
            r#"{{"id":"/subscriptions/s1/resourceGroups/bk/providers/Microsoft.RecoveryServices/vaults/rsv1/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;app1/protectedItems/VM;iaasvmcontainerv2;rg;app1",
            "type":"microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems",
            "properties":{{"sourceResourceId":"{VM}","protectionState":"{state}","lastBackupTime":"{last}","lastBackupStatus":"{status}","policyName":"DailyPolicy","workloadType":"VM"}}}}"#
        );
        let r = resource(&json);
        let (key, record) = protected_item(&r).unwrap().unwrap();
        assert_eq!(key, id_key(VM));
        assert_eq!(record.vault, "rsv1");
        record
    }

    #[test]
    fn a_recent_protected_backup_passes() {
        let f = vm_finding(
            &vm(),
            Some(&[item("Protected", "2026-10-31T22:00:00Z", "Healthy")]),
            &ctx(),
        );
        assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn missing_stopped_stale_or_failed_backups_fail() {
        assert_eq!(vm_finding(&vm(), Some(&[]), &ctx()).status, Status::Fail);
        let stopped = item("ProtectionStopped", "2026-05-01T22:00:00Z", "Healthy");
        assert_eq!(
            vm_finding(&vm(), Some(&[stopped]), &ctx()).status,
            Status::Fail
        );
        let stale = item("Protected", "2026-09-01T22:00:00Z", "Healthy");
        let f = vm_finding(&vm(), Some(&[stale]), &ctx());
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("2026-09-01"));
        let failed = item("Protected", "2026-10-31T22:00:00Z", "Unhealthy");
        assert_eq!(
            vm_finding(&vm(), Some(&[failed]), &ctx()).status,
            Status::Fail
        );
    }

    #[test]
    fn no_recovery_data_is_manual() {
        let f = vm_finding(&vm(), None, &ctx());
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("recoveryservicesresources"));
    }
}
