//! Virtual machines: password login, end-of-life images, patch orchestration, and forgotten
//! public dev servers.
//!
//! `properties`: `osProfile{linuxConfiguration{disablePasswordAuthentication, patchSettings
//! {patchMode}}, windowsConfiguration{enableAutomaticUpdates, patchSettings{patchMode}}}`,
//! `storageProfile{imageReference{publisher, offer, sku, version | id}, osDisk{osType}}`,
//! `networkProfile.networkInterfaces[{id}]`, `timeCreated` (ARM API 2021-11-01 and later) and,
//! in Resource Graph, `extended.instanceView{powerState{code}, osName, osVersion}`.
//!
//! A VM's public IP is not on the VM: it hangs off a network interface
//! (`ipConfigurations[].properties.publicIPAddress.id`) whose public IP resource holds the
//! address. The stale-server check is therefore decided at the end of the scan from a
//! [`VmRecord`] and the network interfaces and public IPs [`crate::estate`] collected.

use std::borrow::Cow;

use demarc_sdk::Finding;
use serde::Deserialize;

use super::{Context, governance};
use crate::json::{Flag, List, Obj, Text, id_key, last_segment};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("vm");

/// Tag keys that name a VM's environment (compared ignoring ASCII case).
pub const ENV_KEYS: [&str; 3] = ["environment", "env", "stage"];
/// Environment values of non-production machines.
pub const NON_PROD: [&str; 8] = [
    "dev",
    "development",
    "test",
    "testing",
    "staging",
    "sandbox",
    "qa",
    "demo",
];
/// Days after which a public non-production VM counts as forgotten.
pub const STALE_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
struct VmProperties<'a> {
    #[serde(rename = "osProfile", borrow, default)]
    os_profile: Obj<OsProfile<'a>>,
    #[serde(rename = "storageProfile", borrow, default)]
    storage: Obj<StorageProfile<'a>>,
    #[serde(rename = "networkProfile", borrow, default)]
    network: Obj<NetworkProfile<'a>>,
    #[serde(rename = "timeCreated", borrow, default)]
    time_created: Text<'a>,
    #[serde(borrow, default)]
    extended: Obj<Extended<'a>>,
    /// `az vm show -d` puts the power state at the top level.
    #[serde(rename = "powerState", borrow, default)]
    power_state: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct OsProfile<'a> {
    #[serde(rename = "adminUsername", borrow, default)]
    admin: Text<'a>,
    #[serde(rename = "linuxConfiguration", borrow, default)]
    linux: Obj<LinuxConfiguration<'a>>,
    #[serde(rename = "windowsConfiguration", borrow, default)]
    windows: Obj<WindowsConfiguration<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct LinuxConfiguration<'a> {
    #[serde(rename = "disablePasswordAuthentication", default)]
    disable_password: Flag,
    #[serde(rename = "patchSettings", borrow, default)]
    patch: Obj<PatchSettings<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct WindowsConfiguration<'a> {
    #[serde(rename = "enableAutomaticUpdates", default)]
    automatic_updates: Flag,
    #[serde(rename = "patchSettings", borrow, default)]
    patch: Obj<PatchSettings<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct PatchSettings<'a> {
    #[serde(rename = "patchMode", borrow, default)]
    mode: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct StorageProfile<'a> {
    #[serde(rename = "imageReference", borrow, default)]
    image: Obj<ImageReference<'a>>,
    #[serde(rename = "osDisk", borrow, default)]
    os_disk: Obj<OsDisk<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct ImageReference<'a> {
    #[serde(borrow, default)]
    publisher: Text<'a>,
    #[serde(borrow, default)]
    offer: Text<'a>,
    #[serde(borrow, default)]
    sku: Text<'a>,
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(rename = "sharedGalleryImageId", borrow, default)]
    gallery_id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct OsDisk<'a> {
    #[serde(rename = "osType", borrow, default)]
    os_type: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct NetworkProfile<'a> {
    #[serde(rename = "networkInterfaces", borrow, default)]
    nics: List<Reference<'a>>,
}

/// A `{id}` reference to another resource.
#[derive(Debug, Default, Deserialize)]
pub struct Reference<'a> {
    /// The referenced resource id.
    #[serde(borrow, default)]
    pub id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Extended<'a> {
    #[serde(rename = "instanceView", borrow, default)]
    instance_view: Obj<InstanceView<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct InstanceView<'a> {
    #[serde(rename = "powerState", borrow, default)]
    power_state: Obj<PowerState<'a>>,
    #[serde(rename = "osName", borrow, default)]
    os_name: Text<'a>,
    #[serde(rename = "osVersion", borrow, default)]
    os_version: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct PowerState<'a> {
    #[serde(borrow, default)]
    code: Text<'a>,
}

/// What the checks decided at the end of the scan need to know about a VM.
#[derive(Debug, Clone)]
pub struct VmRecord {
    /// The VM as findings describe it.
    pub subject: Subject<'static>,
    /// Join key of the VM id.
    pub key: String,
    /// Join keys of its network interfaces.
    pub nics: Vec<String>,
    /// The power state code (`PowerState/running`), when the export has one.
    pub power: Option<String>,
    /// `properties.timeCreated` as written.
    pub created: Option<String>,
    /// The environment tag, when it names a non-production environment.
    pub non_prod: Option<(String, String)>,
}

/// The findings of a VM made now, and what the end of the scan needs.
#[derive(Debug)]
pub struct VmOutcome {
    /// Findings decided from the VM alone.
    pub findings: Vec<Finding>,
    /// The record for the stale-server and backup checks.
    pub record: VmRecord,
}

/// Evaluate a virtual machine.
pub fn evaluate<'a>(resource: &Resource<'a>, ctx: &Context) -> Result<VmOutcome, FieldError<'a>> {
    let props: VmProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let findings = vec![
        password(&subject, &props),
        image_eol(&subject, &props, ctx),
        patching(&subject, &props),
        governance::owner_tag(&subject),
    ];
    let view = props.extended.get().and_then(|e| e.instance_view.get());
    let power = view
        .and_then(|v| v.power_state.get())
        .and_then(|p| p.code.non_empty())
        .or_else(|| props.power_state.non_empty())
        .map(str::to_string);
    let non_prod = subject
        .tags
        .iter()
        .find(|(k, v)| {
            ENV_KEYS.iter().any(|e| k.trim().eq_ignore_ascii_case(e))
                && NON_PROD.iter().any(|n| v.trim().eq_ignore_ascii_case(n))
        })
        .map(|(k, v)| (k.to_string(), v.to_string()));
    let record = VmRecord {
        key: id_key(&subject.id),
        nics: props
            .network
            .get()
            .map(|n| {
                n.nics
                    .iter()
                    .filter_map(|r| r.id.non_empty())
                    .map(id_key)
                    .collect()
            })
            .unwrap_or_default(),
        power,
        created: props.time_created.non_empty().map(str::to_string),
        non_prod,
        subject: subject.into_owned(),
    };
    Ok(VmOutcome { findings, record })
}

/// Whether the OS is Windows: a `windowsConfiguration`, or `osDisk.osType` Windows.
fn is_windows(props: &VmProperties<'_>) -> bool {
    props
        .os_profile
        .get()
        .is_some_and(|p| p.windows.get().is_some())
        || props
            .storage
            .get()
            .and_then(|s| s.os_disk.get())
            .is_some_and(|d| d.os_type.eq_ignore_case("Windows"))
}

fn password(subject: &Subject<'_>, props: &VmProperties<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&PASSWORD_AUTHENTICATION);
    if is_windows(props) {
        return builder.evidence("properties.storageProfile.osDisk.osType", "Windows").not_applicable(format!(
            "VM {label} runs Windows, which always has an administrator password; RDP exposure is checked by azure-nsg-admin-port-open."
        ));
    }
    let Some(profile) = props.os_profile.get() else {
        return builder.evidence("properties.osProfile", "(absent)").manual(format!(
            "VM {label} has no osProfile (it was created from a specialized disk), so the export does not say whether SSH accepts passwords; the guest's sshd configuration, audited by Azure Machine Configuration (`guestconfigurationresources`), decides it."
        ));
    };
    let flag = profile
        .linux
        .get()
        .map_or(Flag(None), |l| l.disable_password);
    let admin = profile.admin.non_empty().unwrap_or("?");
    let builder = builder
        .evidence(
            "properties.osProfile.linuxConfiguration.disablePasswordAuthentication",
            flag.describe(),
        )
        .evidence("properties.osProfile.adminUsername", admin);
    match flag.0 {
        Some(true) => builder.pass(format!(
            "VM {label} accepts SSH key login only (password authentication disabled)."
        )),
        Some(false) => builder.fail(format!(
            "VM {label} allows password login over SSH for {admin}: one weak or reused password gives an attacker the machine."
        )),
        None => builder.fail(format!(
            "VM {label} does not disable password authentication, so SSH accepts {admin}'s password."
        )),
    }
}

/// One end-of-life image family.
struct Eol {
    publisher: &'static str,
    offer_prefix: &'static str,
    sku_prefix: &'static str,
    label: &'static str,
    end: Timestamp,
}

/// Marketplace images and the end of their (standard or extended) security support.
const IMAGES: [Eol; 17] = [
    eol(
        "Canonical",
        "UbuntuServer",
        "12.04",
        "Ubuntu 12.04 LTS",
        Timestamp::ymd(2017, 4, 28),
    ),
    eol(
        "Canonical",
        "UbuntuServer",
        "14.04",
        "Ubuntu 14.04 LTS",
        Timestamp::ymd(2019, 4, 30),
    ),
    eol(
        "Canonical",
        "UbuntuServer",
        "16.04",
        "Ubuntu 16.04 LTS",
        Timestamp::ymd(2021, 4, 30),
    ),
    eol(
        "Canonical",
        "UbuntuServer",
        "18.04",
        "Ubuntu 18.04 LTS",
        Timestamp::ymd(2023, 5, 31),
    ),
    eol(
        "Canonical",
        "0001-com-ubuntu-server-focal",
        "20_04",
        "Ubuntu 20.04 LTS",
        Timestamp::ymd(2025, 5, 31),
    ),
    eol(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2008-R2",
        "Windows Server 2008 R2",
        Timestamp::ymd(2020, 1, 14),
    ),
    eol(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2012-R2",
        "Windows Server 2012 R2",
        Timestamp::ymd(2023, 10, 10),
    ),
    eol(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2012-",
        "Windows Server 2012",
        Timestamp::ymd(2023, 10, 10),
    ),
    eol(
        "OpenLogic",
        "CentOS",
        "6",
        "CentOS 6",
        Timestamp::ymd(2020, 11, 30),
    ),
    eol(
        "OpenLogic",
        "CentOS",
        "7",
        "CentOS 7",
        Timestamp::ymd(2024, 6, 30),
    ),
    eol(
        "OpenLogic",
        "CentOS",
        "8",
        "CentOS 8",
        Timestamp::ymd(2021, 12, 31),
    ),
    eol(
        "RedHat",
        "RHEL",
        "6",
        "Red Hat Enterprise Linux 6",
        Timestamp::ymd(2020, 11, 30),
    ),
    eol(
        "RedHat",
        "RHEL",
        "7",
        "Red Hat Enterprise Linux 7",
        Timestamp::ymd(2024, 6, 30),
    ),
    eol(
        "Debian",
        "debian-9",
        "",
        "Debian 9",
        Timestamp::ymd(2022, 6, 30),
    ),
    eol(
        "Debian",
        "debian-10",
        "",
        "Debian 10",
        Timestamp::ymd(2024, 6, 30),
    ),
    eol(
        "SUSE",
        "sles-12",
        "",
        "SUSE Linux Enterprise Server 12",
        Timestamp::ymd(2024, 10, 31),
    ),
    eol(
        "SUSE",
        "sles-11",
        "",
        "SUSE Linux Enterprise Server 11",
        Timestamp::ymd(2019, 3, 31),
    ),
];

const fn eol(
    publisher: &'static str,
    offer_prefix: &'static str,
    sku_prefix: &'static str,
    label: &'static str,
    end: Timestamp,
) -> Eol {
    Eol {
        publisher,
        offer_prefix,
        sku_prefix,
        label,
        end,
    }
}

/// Operating systems as the instance view names them (`osName`, `osVersion`).
const INSTANCE_OS: [(&str, &str, &str, Timestamp); 11] = [
    (
        "ubuntu",
        "14.04",
        "Ubuntu 14.04 LTS",
        Timestamp::ymd(2019, 4, 30),
    ),
    (
        "ubuntu",
        "16.04",
        "Ubuntu 16.04 LTS",
        Timestamp::ymd(2021, 4, 30),
    ),
    (
        "ubuntu",
        "18.04",
        "Ubuntu 18.04 LTS",
        Timestamp::ymd(2023, 5, 31),
    ),
    (
        "ubuntu",
        "20.04",
        "Ubuntu 20.04 LTS",
        Timestamp::ymd(2025, 5, 31),
    ),
    ("centos", "6", "CentOS 6", Timestamp::ymd(2020, 11, 30)),
    ("centos", "7", "CentOS 7", Timestamp::ymd(2024, 6, 30)),
    ("centos", "8", "CentOS 8", Timestamp::ymd(2021, 12, 31)),
    ("debian", "9", "Debian 9", Timestamp::ymd(2022, 6, 30)),
    ("debian", "10", "Debian 10", Timestamp::ymd(2024, 6, 30)),
    (
        "windows server 2008",
        "",
        "Windows Server 2008",
        Timestamp::ymd(2020, 1, 14),
    ),
    (
        "windows server 2012",
        "",
        "Windows Server 2012 / 2012 R2",
        Timestamp::ymd(2023, 10, 10),
    ),
];

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn image_eol(subject: &Subject<'_>, props: &VmProperties<'_>, ctx: &Context) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&OS_IMAGE_EOL);
    let verdict = |builder: demarc_sdk::FindingBuilder, os: &str, end: Timestamp| {
        if end <= ctx.now {
            builder.fail(format!(
                "VM {label} runs {os}, out of security support since {}: it gets no more patches.",
                end.date()
            ))
        } else {
            builder.pass(format!(
                "VM {label} runs {os}, supported until {}.",
                end.date()
            ))
        }
    };
    let view = props.extended.get().and_then(|e| e.instance_view.get());
    if let Some((name, version)) = view.and_then(|v| {
        Some((
            v.os_name.non_empty()?,
            v.os_version.non_empty().unwrap_or(""),
        ))
    }) {
        let builder = builder
            .evidence("properties.extended.instanceView.osName", name)
            .evidence("properties.extended.instanceView.osVersion", version);
        let lower = name.to_ascii_lowercase();
        return match INSTANCE_OS
            .iter()
            .find(|(os, v, _, _)| lower.contains(os) && version.starts_with(v))
        {
            Some((_, _, os, end)) => verdict(builder, os, *end),
            None => builder.pass(format!(
                "VM {label} runs {name} {version}, not a known end-of-life release."
            )),
        };
    }
    let image = props.storage.get().and_then(|s| s.image.get());
    let marketplace = image.and_then(|i| {
        Some((
            i.publisher.non_empty()?,
            i.offer.non_empty()?,
            i.sku.non_empty().unwrap_or(""),
        ))
    });
    if let Some((publisher, offer, sku)) = marketplace {
        let builder = builder.evidence(
            "properties.storageProfile.imageReference",
            format!("{publisher}:{offer}:{sku}"),
        );
        return match IMAGES.iter().find(|e| {
            publisher.eq_ignore_ascii_case(e.publisher)
                && starts_with_ignore_case(offer, e.offer_prefix)
                && starts_with_ignore_case(sku, e.sku_prefix)
        }) {
            Some(e) => verdict(builder, e.label, e.end),
            None => builder.pass(format!(
                "VM {label} was built from {publisher}:{offer}:{sku}, not a known end-of-life image."
            )),
        };
    }
    let custom = image
        .and_then(|i| i.id.non_empty().or_else(|| i.gallery_id.non_empty()))
        .unwrap_or("(none)");
    builder
        .evidence("properties.storageProfile.imageReference.id", custom)
        .manual(format!(
            "VM {label} was built from a custom or gallery image ({}) and the export has no instance view; its OS release is in `az vm get-instance-view` (osName, osVersion) or Resource Graph's `properties.extended.instanceView`.",
            last_segment(custom)
        ))
}

fn patching(subject: &Subject<'_>, props: &VmProperties<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&AUTOMATIC_PATCHING);
    let Some(profile) = props.os_profile.get() else {
        return builder.evidence("properties.osProfile", "(absent)").manual(format!(
            "VM {label} has no osProfile (created from a specialized disk), so the export does not record its patch mode; Azure Update Manager's assessment (Resource Graph `patchassessmentresources`) decides how it is patched."
        ));
    };
    if let Some(windows) = profile.windows.get() {
        let mode = windows.patch.get().map_or(Text(None), |p| p.mode.clone());
        let builder = builder.evidence(
            "properties.osProfile.windowsConfiguration.patchSettings.patchMode",
            mode.shown(),
        );
        let effective: Cow<'_, str> = match mode.non_empty() {
            Some(m) => Cow::Borrowed(m),
            // Without a patch mode, Windows follows enableAutomaticUpdates.
            None if windows.automatic_updates.is_false() => Cow::Borrowed("Manual"),
            None => Cow::Borrowed("AutomaticByOS"),
        };
        let builder = if mode.non_empty().is_none() {
            builder.evidence(
                "properties.osProfile.windowsConfiguration.enableAutomaticUpdates",
                windows.automatic_updates.describe(),
            )
        } else {
            builder
        };
        return if ["AutomaticByPlatform", "AutomaticByOS"]
            .iter()
            .any(|m| effective.eq_ignore_ascii_case(m))
        {
            builder.pass(format!(
                "VM {label} is patched automatically ({effective})."
            ))
        } else {
            builder.fail(format!(
                "VM {label} has patch mode {effective}: nobody patches its Windows guest unless someone remembers to."
            ))
        };
    }
    let mode = profile
        .linux
        .get()
        .and_then(|l| l.patch.get())
        .map_or(Text(None), |p| p.mode.clone());
    let builder = builder.evidence(
        "properties.osProfile.linuxConfiguration.patchSettings.patchMode",
        mode.shown(),
    );
    if mode.eq_ignore_case("AutomaticByPlatform") {
        builder.pass(format!(
            "VM {label} is patched by Azure (AutomaticByPlatform)."
        ))
    } else {
        let effective = mode.non_empty().unwrap_or("ImageDefault");
        builder.fail(format!(
            "VM {label} has patch mode {effective}: Azure does not orchestrate its guest patching and no Update Manager schedule can apply."
        ))
    }
}

/// One public IP reachable through a VM's network interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicAddress {
    /// The public IP resource id (as the network interface references it).
    pub ip_id: String,
    /// The address, when the public IP resource is in the export and has one.
    pub address: Option<String>,
}

/// How exposed a VM is, from its network interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Public IPs through its network interfaces.
    Public(Vec<PublicAddress>),
    /// No public IP.
    Private,
    /// Some network interface of the VM is not in the export.
    Unknown(Vec<String>),
}

/// The stale-server finding of a VM, decided with its exposure at the end of the scan.
pub fn stale_finding(vm: &VmRecord, exposure: &Exposure, ctx: &Context) -> Finding {
    let label = vm.subject.label();
    let mut builder = vm.subject.finding(&STALE_PUBLIC_DEV);
    if let Some(power) = &vm.power {
        builder = builder.evidence("properties.extended.instanceView.powerState.code", power);
        let running = power.to_ascii_lowercase().ends_with("running")
            || power.to_ascii_lowercase().ends_with("starting");
        if !running {
            return builder.not_applicable(format!("VM {label} is not running ({power})."));
        }
    }
    if let Some((k, v)) = &vm.non_prod {
        builder = builder.evidence(format!("tags.{k}"), v);
    }
    let created = vm.created.as_deref().and_then(Timestamp::parse);
    if let Some(raw) = &vm.created {
        builder = builder.evidence("properties.timeCreated", raw);
    }
    let old = created.is_some_and(|c| c.older_than(STALE_DAYS, ctx.now));
    match exposure {
        Exposure::Private => {
            builder.not_applicable(format!("VM {label} has no public IP address."))
        }
        Exposure::Unknown(nics) => {
            let builder = builder.evidence(
                "properties.networkProfile.networkInterfaces",
                nics.join(", "),
            );
            if vm.non_prod.is_some() && (old || created.is_none()) {
                builder.manual(format!(
                    "VM {label} is a non-production machine, but its network interfaces are not in the export; the Microsoft.Network/networkInterfaces and publicIPAddresses resources (Resource Graph `Resources`) decide whether it is public."
                ))
            } else {
                builder.not_applicable(format!(
                    "VM {label} is not an old non-production machine; its network interfaces are not in the export."
                ))
            }
        }
        Exposure::Public(addresses) => {
            let shown: Vec<String> = addresses
                .iter()
                .map(|a| match &a.address {
                    Some(ip) => format!("{ip} ({})", last_segment(&a.ip_id)),
                    None => last_segment(&a.ip_id).to_string(),
                })
                .collect();
            let builder = builder.evidence("publicIPAddresses", shown.join(", "));
            match (&vm.non_prod, created) {
                (None, _) => builder.pass(format!(
                    "VM {label} is public ({}) but not tagged as a dev, test or staging machine.",
                    shown.join(", ")
                )),
                (Some((_, env)), None) => builder.manual(format!(
                    "VM {label} is a public {env} machine, but the export has no properties.timeCreated (ARM API 2021-11-01 or later, or the VM's creation event in the activity log) to tell how old it is."
                )),
                (Some((_, env)), Some(c)) if old => builder.fail(format!(
                    "VM {label} is a {env} machine created {} ({} days ago) that is still reachable from the internet at {}.",
                    c.date(),
                    c.days_until(ctx.now),
                    shown.join(", ")
                )),
                (Some((_, env)), Some(c)) => builder.pass(format!(
                    "VM {label} is a public {env} machine, but only {} old.",
                    super::count(c.days_until(ctx.now), "day", "days")
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, only, resource, status};
    use demarc_sdk::Status;

    fn vm(props: &str, tags: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1","type":"microsoft.compute/virtualmachines","location":"westeurope","subscriptionId":"s1","tags":{tags},"properties":{props}}}"#
        )
    }

    const LINUX_GOOD: &str = r#"{"timeCreated":"2026-01-05T09:00:00.1234567+00:00",
        "osProfile":{"computerName":"vm1","adminUsername":"azureuser","linuxConfiguration":{"disablePasswordAuthentication":true,"patchSettings":{"patchMode":"AutomaticByPlatform","assessmentMode":"AutomaticByPlatform"}}},
        "storageProfile":{"imageReference":{"publisher":"Canonical","offer":"0001-com-ubuntu-server-jammy","sku":"22_04-lts-gen2","version":"latest"},"osDisk":{"osType":"Linux"}},
        "networkProfile":{"networkInterfaces":[{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic"}]},
        "extended":{"instanceView":{"powerState":{"code":"PowerState/running"}}}}"#;

    fn outcome(json: &str) -> VmOutcome {
        let r = resource(json);
        evaluate(&r, &ctx()).unwrap()
    }

    #[test]
    fn a_hardened_linux_vm_passes() {
        let o = outcome(&vm(LINUX_GOOD, r#"{"owner":"web"}"#));
        let f = &o.findings;
        for check in [
            &PASSWORD_AUTHENTICATION,
            &OS_IMAGE_EOL,
            &AUTOMATIC_PATCHING,
            &governance::OWNER_TAG,
        ] {
            assert_eq!(status(f, check.id), Status::Pass, "{}", check.id);
        }
        assert_eq!(
            o.record.nics,
            vec![
                "/subscriptions/s1/resourcegroups/rg/providers/microsoft.network/networkinterfaces/vm1-nic"
            ]
        );
        assert_eq!(o.record.power.as_deref(), Some("PowerState/running"));
        assert!(o.record.non_prod.is_none());
    }

    #[test]
    fn password_login_eol_image_and_image_default_patching_fail() {
        let props = r#"{"osProfile":{"adminUsername":"ubuntu","linuxConfiguration":{"disablePasswordAuthentication":false,"patchSettings":{"patchMode":"ImageDefault"}}},
            "storageProfile":{"imageReference":{"publisher":"Canonical","offer":"UbuntuServer","sku":"18.04-LTS","version":"latest"}}}"#;
        let o = outcome(&vm(props, r#"{"env":"Dev"}"#));
        let f = &o.findings;
        assert_eq!(status(f, PASSWORD_AUTHENTICATION.id), Status::Fail);
        let eol = only(f, OS_IMAGE_EOL.id);
        assert_eq!(eol.status, Status::Fail);
        assert!(eol.message.contains("Ubuntu 18.04 LTS"), "{}", eol.message);
        assert_eq!(
            evidence(eol, "properties.storageProfile.imageReference"),
            Some("Canonical:UbuntuServer:18.04-LTS")
        );
        assert_eq!(status(f, AUTOMATIC_PATCHING.id), Status::Fail);
        assert_eq!(
            o.record.non_prod,
            Some(("env".to_string(), "Dev".to_string()))
        );
        // Absent linuxConfiguration: password login is not disabled.
        let bare = outcome(&vm(r#"{"osProfile":{"adminUsername":"a"}}"#, "{}"));
        assert_eq!(
            status(&bare.findings, PASSWORD_AUTHENTICATION.id),
            Status::Fail
        );
        assert_eq!(status(&bare.findings, AUTOMATIC_PATCHING.id), Status::Fail);
    }

    #[test]
    fn windows_vms() {
        let props = r#"{"osProfile":{"adminUsername":"azadmin","windowsConfiguration":{"enableAutomaticUpdates":true,"patchSettings":{"patchMode":"Manual"}}},
            "storageProfile":{"imageReference":{"publisher":"MicrosoftWindowsServer","offer":"WindowsServer","sku":"2012-R2-Datacenter"},"osDisk":{"osType":"Windows"}}}"#;
        let o = outcome(&vm(props, "{}"));
        let f = &o.findings;
        assert_eq!(status(f, PASSWORD_AUTHENTICATION.id), Status::NotApplicable);
        assert_eq!(status(f, OS_IMAGE_EOL.id), Status::Fail);
        assert_eq!(status(f, AUTOMATIC_PATCHING.id), Status::Fail);
        let by_os = r#"{"osProfile":{"windowsConfiguration":{"enableAutomaticUpdates":true}},
            "storageProfile":{"imageReference":{"publisher":"MicrosoftWindowsServer","offer":"WindowsServer","sku":"2022-datacenter-azure-edition"}}}"#;
        let o = outcome(&vm(by_os, "{}"));
        assert_eq!(status(&o.findings, AUTOMATIC_PATCHING.id), Status::Pass);
        assert_eq!(status(&o.findings, OS_IMAGE_EOL.id), Status::Pass);
        let off = r#"{"osProfile":{"windowsConfiguration":{"enableAutomaticUpdates":false}}}"#;
        let o = outcome(&vm(off, "{}"));
        assert_eq!(status(&o.findings, AUTOMATIC_PATCHING.id), Status::Fail);
    }

    #[test]
    fn the_instance_view_and_custom_images() {
        let props = r#"{"osProfile":{"linuxConfiguration":{"disablePasswordAuthentication":true}},
            "storageProfile":{"imageReference":{"id":"/subscriptions/s1/resourceGroups/img/providers/Microsoft.Compute/galleries/g/images/base/versions/1.0.0"}},
            "extended":{"instanceView":{"osName":"centos","osVersion":"7.9.2009","powerState":{"code":"PowerState/deallocated"}}}}"#;
        let o = outcome(&vm(props, "{}"));
        let eol = only(&o.findings, OS_IMAGE_EOL.id);
        assert_eq!(eol.status, Status::Fail);
        assert!(eol.message.contains("CentOS 7"));
        let custom = r#"{"osProfile":{"linuxConfiguration":{"disablePasswordAuthentication":true}},
            "storageProfile":{"imageReference":{"id":"/subscriptions/s1/resourceGroups/img/providers/Microsoft.Compute/images/golden"}}}"#;
        let o = outcome(&vm(custom, "{}"));
        let eol = only(&o.findings, OS_IMAGE_EOL.id);
        assert_eq!(eol.status, Status::Manual);
        assert!(eol.message.contains("golden") && eol.message.contains("instanceView"));
        let specialized = outcome(&vm(
            r#"{"storageProfile":{"osDisk":{"osType":"Linux"}}}"#,
            "{}",
        ));
        assert_eq!(
            status(&specialized.findings, PASSWORD_AUTHENTICATION.id),
            Status::Manual
        );
        assert_eq!(
            status(&specialized.findings, AUTOMATIC_PATCHING.id),
            Status::Manual
        );
    }

    fn record(created: Option<&str>, env: Option<&str>, power: Option<&str>) -> VmRecord {
        let r = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/jump","name":"jump","type":"microsoft.compute/virtualmachines"}"#,
        );
        VmRecord {
            subject: r.subject().into_owned(),
            key: "k".into(),
            nics: vec!["nic".into()],
            power: power.map(str::to_string),
            created: created.map(str::to_string),
            non_prod: env.map(|e| ("environment".to_string(), e.to_string())),
        }
    }

    fn public() -> Exposure {
        Exposure::Public(vec![PublicAddress {
            ip_id: "/subscriptions/s1/x/publicIPAddresses/jump-ip".into(),
            address: Some("20.1.2.3".into()),
        }])
    }

    #[test]
    fn an_old_public_dev_vm_fails() {
        let vm = record(
            Some("2025-06-01T10:00:00Z"),
            Some("test"),
            Some("PowerState/running"),
        );
        let f = stale_finding(&vm, &public(), &ctx());
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("20.1.2.3"), "{}", f.message);
        assert_eq!(evidence(&f, "tags.environment"), Some("test"));
    }

    #[test]
    fn young_prod_private_or_stopped_vms_do_not_fail() {
        let young = record(Some("2026-10-01T00:00:00Z"), Some("dev"), None);
        assert_eq!(
            stale_finding(&young, &public(), &ctx()).status,
            Status::Pass
        );
        let prod = record(Some("2020-01-01T00:00:00Z"), None, None);
        assert_eq!(stale_finding(&prod, &public(), &ctx()).status, Status::Pass);
        let old_dev = record(Some("2020-01-01T00:00:00Z"), Some("dev"), None);
        assert_eq!(
            stale_finding(&old_dev, &Exposure::Private, &ctx()).status,
            Status::NotApplicable
        );
        let stopped = record(
            Some("2020-01-01T00:00:00Z"),
            Some("dev"),
            Some("PowerState/deallocated"),
        );
        assert_eq!(
            stale_finding(&stopped, &public(), &ctx()).status,
            Status::NotApplicable
        );
        let undated = record(None, Some("dev"), None);
        assert_eq!(
            stale_finding(&undated, &public(), &ctx()).status,
            Status::Manual
        );
        let unknown = Exposure::Unknown(vec!["nic".into()]);
        assert_eq!(
            stale_finding(&old_dev, &unknown, &ctx()).status,
            Status::Manual
        );
        assert_eq!(
            stale_finding(&prod, &unknown, &ctx()).status,
            Status::NotApplicable
        );
    }
}
