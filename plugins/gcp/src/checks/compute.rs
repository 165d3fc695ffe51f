//! Compute Engine instances: login paths into the guest, the default service account (as an
//! identity, and with full API scope), forgotten public dev servers, end-of-life images,
//! Shielded VM.
//!
//! The resource data is the Compute Engine API's `Instance`: `status`, `creationTimestamp`,
//! `labels`, `networkInterfaces[].accessConfigs[].natIP` (the public address),
//! `metadata.items[{key, value}]` with string values (`"TRUE"`/`"FALSE"`),
//! `serviceAccounts[{email, scopes}]`, `shieldedInstanceConfig` and `disks[{boot, source,
//! licenses}]`.
//!
//! Three checks read instance metadata that the project can set for every instance
//! (`compute.googleapis.com/Project` `commonInstanceMetadata`; an instance's own value wins),
//! and the OS check may need the boot disk's `compute.googleapis.com/Disk` asset (its
//! `sourceImage`) when the instance's disk carries no public-image license. When the instance
//! alone does not decide them, [`evaluate`] hands back a [`PendingInstance`] that
//! [`crate::estate`] finishes at the end of the scan, when every project and disk asset of the
//! target has been read. Without the project or disk asset the outcome is manual, naming it.

use std::collections::HashMap;

use demarc_sdk::Finding;
use serde::Deserialize;

use super::{Context, governance};
use crate::asset::{Asset, Kind, Subject, last_segment};
use crate::iam::is_default_compute_sa;
use crate::json::{FieldError, Flag, Labels, List, Text, parse_part, text_to_bool};
use crate::time::Timestamp;

demarc_sdk::include_checks!("compute");

/// Labels Google puts on the nodes of a GKE cluster; such nodes run as whatever the node pool
/// says and are judged on the node pool, not as stand-alone instances.
pub const GKE_NODE_LABELS: [&str; 2] = ["goog-gke-node", "goog-k8s-cluster-name"];

/// Label keys naming an environment, and the values that mean "not production".
pub const ENV_KEYS: [&str; 4] = ["env", "environment", "stage", "tier"];
/// Environment values that mark a non-production instance.
pub const NONPROD: [&str; 8] = [
    "dev",
    "development",
    "test",
    "testing",
    "staging",
    "sandbox",
    "qa",
    "demo",
];
/// Days a non-production instance may stay public.
pub const STALE_DAYS: i64 = 90;

/// OAuth scope that grants every API the service account's roles allow.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// OS releases by public-image name prefix, with their end of life (standard support end;
/// paid extended support such as Ubuntu Pro / RHEL ELS is a separate image family).
pub const OS_RELEASES: &[(&str, &str, &str)] = &[
    ("debian-8", "Debian 8 (jessie)", "2020-06-30"),
    ("debian-9", "Debian 9 (stretch)", "2022-06-30"),
    ("debian-10", "Debian 10 (buster)", "2024-06-30"),
    ("debian-11", "Debian 11 (bullseye)", "2026-08-31"),
    ("debian-12", "Debian 12 (bookworm)", "2028-06-30"),
    ("centos-6", "CentOS 6", "2020-11-30"),
    ("centos-7", "CentOS 7", "2024-06-30"),
    ("centos-8", "CentOS Linux 8", "2021-12-31"),
    ("centos-stream-8", "CentOS Stream 8", "2024-05-31"),
    ("centos-stream-9", "CentOS Stream 9", "2027-05-31"),
    ("ubuntu-1404", "Ubuntu 14.04 LTS", "2019-04-30"),
    ("ubuntu-1604", "Ubuntu 16.04 LTS", "2021-04-30"),
    ("ubuntu-1804", "Ubuntu 18.04 LTS", "2023-05-31"),
    ("ubuntu-2004", "Ubuntu 20.04 LTS", "2025-05-31"),
    ("ubuntu-2204", "Ubuntu 22.04 LTS", "2027-06-01"),
    ("rhel-6", "Red Hat Enterprise Linux 6", "2020-11-30"),
    ("rhel-7", "Red Hat Enterprise Linux 7", "2024-06-30"),
    ("rhel-8", "Red Hat Enterprise Linux 8", "2029-05-31"),
    ("sles-11", "SUSE Linux Enterprise Server 11", "2019-03-31"),
    ("sles-12", "SUSE Linux Enterprise Server 12", "2024-10-31"),
    ("windows-server-2008", "Windows Server 2008", "2020-01-14"),
    ("windows-server-2012", "Windows Server 2012", "2023-10-10"),
    ("windows-server-2016", "Windows Server 2016", "2027-01-12"),
    ("windows-server-2019", "Windows Server 2019", "2029-01-09"),
];

/// Public-image families recognised as an operating system even without a release in
/// [`OS_RELEASES`] (newer releases: supported).
pub const OS_FAMILIES: &[&str] = &[
    "debian-",
    "centos-",
    "ubuntu-",
    "rhel-",
    "rocky-linux-",
    "almalinux-",
    "sles-",
    "opensuse-",
    "windows-server-",
    "cos-",
    "fedora-coreos-",
    "oracle-linux-",
];

/// What an image or license name says about the OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsRelease {
    /// Human name of the release or family.
    pub label: &'static str,
    /// End of life, if known.
    pub eol: Option<&'static str>,
}

/// Recognise the OS of a public image or license name (a URL or a bare name).
pub fn os_of(name: &str) -> Option<OsRelease> {
    let short = last_segment(name.trim())?.to_ascii_lowercase();
    let short = short
        .strip_prefix("ubuntu-minimal-")
        .map(|rest| format!("ubuntu-{rest}"))
        .unwrap_or(short);
    for (prefix, label, eol) in OS_RELEASES {
        if short == *prefix
            || short
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-'))
        {
            return Some(OsRelease {
                label,
                eol: Some(eol),
            });
        }
    }
    OS_FAMILIES
        .iter()
        .find(|f| short.starts_with(*f))
        .map(|f| OsRelease {
            label: f.trim_end_matches('-'),
            eol: None,
        })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstanceData<'a> {
    #[serde(borrow, default)]
    status: Text<'a>,
    #[serde(borrow, default)]
    creation_timestamp: Text<'a>,
    #[serde(borrow, default)]
    labels: Labels<'a>,
    #[serde(borrow, default)]
    network_interfaces: List<NetworkInterface<'a>>,
    #[serde(borrow, default)]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    service_accounts: List<ServiceAccount<'a>>,
    #[serde(default)]
    shielded_instance_config: Option<ShieldedConfig>,
    #[serde(borrow, default)]
    disks: List<AttachedDisk<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NetworkInterface<'a> {
    #[serde(borrow, default)]
    access_configs: List<AccessConfig<'a>>,
    #[serde(borrow, default)]
    ipv6_access_configs: List<Ipv6AccessConfig<'a>>,
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct AccessConfig<'a> {
        nat_ip: Text<'a> = ["natIP", "natIp"],
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ipv6AccessConfig<'a> {
    #[serde(borrow, default)]
    external_ipv6: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata<'a> {
    #[serde(borrow, default)]
    items: List<MetadataItem<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct MetadataItem<'a> {
    #[serde(borrow, default)]
    key: Text<'a>,
    #[serde(borrow, default)]
    value: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct ServiceAccount<'a> {
    #[serde(borrow, default)]
    email: Text<'a>,
    #[serde(borrow, default)]
    scopes: List<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShieldedConfig {
    #[serde(default)]
    enable_secure_boot: Flag,
    #[serde(default)]
    enable_vtpm: Flag,
    #[serde(default)]
    enable_integrity_monitoring: Flag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachedDisk<'a> {
    #[serde(default)]
    boot: Flag,
    #[serde(borrow, default)]
    source: Text<'a>,
    #[serde(borrow, default)]
    licenses: List<Text<'a>>,
    #[serde(borrow, default)]
    initialize_params: Option<InitializeParams<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitializeParams<'a> {
    #[serde(borrow, default)]
    source_image: Text<'a>,
}

/// The login-related metadata of an instance or a project, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginMetadata {
    /// `enable-oslogin`.
    pub os_login: Option<String>,
    /// `block-project-ssh-keys` (instances only).
    pub block_project_keys: Option<String>,
    /// `serial-port-enable`.
    pub serial_port: Option<String>,
}

/// A metadata flag: present and TRUE-ish is on; present with any other value is off.
fn flag(raw: &Option<String>) -> Option<bool> {
    raw.as_deref().map(|v| text_to_bool(v).unwrap_or(false))
}

impl LoginMetadata {
    fn read(metadata: Option<&Metadata<'_>>) -> LoginMetadata {
        let mut out = LoginMetadata::default();
        for item in metadata.iter().flat_map(|m| m.items.iter()) {
            let Some(key) = item.key.non_empty() else {
                continue;
            };
            let slot = if key.eq_ignore_ascii_case("enable-oslogin") {
                &mut out.os_login
            } else if key.eq_ignore_ascii_case("block-project-ssh-keys") {
                &mut out.block_project_keys
            } else if key.eq_ignore_ascii_case("serial-port-enable") {
                &mut out.serial_port
            } else {
                continue;
            };
            *slot = Some(item.value.get().unwrap_or("").trim().to_string());
        }
        out
    }

    /// Whether the instance alone decides all three metadata checks.
    fn decides_alone(&self) -> bool {
        self.os_login.is_some() && self.serial_port.is_some()
    }
}

/// What `compute.googleapis.com/Project` says for every instance of the project.
pub type ProjectMetadata = LoginMetadata;

/// The OS of a disk's image, from its `compute.googleapis.com/Disk` asset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskImage {
    /// The first license or image naming a recognised OS: (evidence key, value).
    pub recognised: Option<(&'static str, String)>,
    /// `sourceImage`, as written.
    pub source_image: Option<String>,
}

/// Boot-disk images by disk key (`projects/P/zones/Z/disks/D`).
pub type Disks = HashMap<String, DiskImage>;

/// The part of a resource name from `projects/` on, the key that joins an instance's
/// `disks[].source` URL with a disk asset's name.
pub fn disk_key(name: &str) -> Option<String> {
    let i = name.find("projects/")?;
    Some(name[i..].trim_end_matches('/').to_string())
}

/// The project id in a Compute Engine resource name (`//compute.googleapis.com/projects/ID/…`).
pub fn compute_project_id(name: &str) -> Option<&str> {
    let i = name.find("projects/")?;
    let rest = &name[i + "projects/".len()..];
    let id = rest.split('/').next().unwrap_or(rest);
    (!id.is_empty()).then_some(id)
}

/// An instance whose metadata or OS checks wait for the end of the scan.
#[derive(Debug, Clone)]
pub struct PendingInstance {
    /// The instance.
    pub subject: Subject<'static>,
    /// Its project id, to find the project's common metadata.
    pub project: String,
    /// Its own metadata, when the three metadata checks wait for the project's.
    pub metadata: Option<LoginMetadata>,
    /// Its boot disk's key, when the OS check waits for the disk asset.
    pub boot_disk: Option<String>,
}

/// The findings decided now, and what waits for the end of the scan.
pub struct Outcome {
    /// Findings decided by the instance (and what was already known of its project and disk).
    pub findings: Vec<Finding>,
    /// What is left, if anything.
    pub pending: Option<PendingInstance>,
}

/// Evaluate an instance's resource line. `project` is its project's common metadata when the
/// target's `compute.googleapis.com/Project` asset has been read already; `disks` holds the
/// disk assets read so far.
pub fn evaluate<'a>(
    asset: &Asset<'a>,
    ctx: &Context,
    project: Option<&ProjectMetadata>,
    disks: &Disks,
) -> Result<Outcome, FieldError<'a>> {
    let data: InstanceData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::Instance, data.labels.clone());
    let mut findings = vec![
        default_sa(&subject, &data),
        default_identity(&subject, &data),
        stale_public(&subject, &data, ctx),
        shielded_vm(&subject, &data),
        governance::owner_label(&subject),
    ];
    let meta = LoginMetadata::read(data.metadata.as_ref());
    let metadata_pending = if meta.decides_alone() || project.is_some() {
        findings.extend(metadata_findings(&subject, &meta, project, true));
        None
    } else {
        Some(meta)
    };
    let boot_disk = match boot_image(&data) {
        BootImage::Recognised(key, value) => {
            findings.push(os_image(&subject, Some((key, &value)), None, ctx));
            None
        }
        BootImage::Disk(key) => match disks.get(&key) {
            Some(disk) => {
                findings.push(os_image_from_disk(&subject, &key, Some(disk), ctx));
                None
            }
            None => Some(key),
        },
        BootImage::Unknown => {
            findings.push(os_image(&subject, None, None, ctx));
            None
        }
    };
    let pending = (metadata_pending.is_some() || boot_disk.is_some()).then(|| PendingInstance {
        project: compute_project_id(&subject.id).unwrap_or("").to_string(),
        subject: subject.clone().into_owned(),
        metadata: metadata_pending,
        boot_disk,
    });
    Ok(Outcome { findings, pending })
}

/// Finish a pending instance once every project and disk asset has been read.
pub fn finish(
    pending: &PendingInstance,
    project: Option<&ProjectMetadata>,
    disks: &Disks,
    ctx: &Context,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(meta) = &pending.metadata {
        out.extend(metadata_findings(&pending.subject, meta, project, false));
    }
    if let Some(key) = &pending.boot_disk {
        out.push(os_image_from_disk(
            &pending.subject,
            key,
            disks.get(key),
            ctx,
        ));
    }
    out
}

/// Read the project-wide metadata of a `compute.googleapis.com/Project` resource line; returns
/// the project id and its metadata.
pub fn project_metadata<'a>(
    asset: &Asset<'a>,
) -> Result<Option<(String, ProjectMetadata)>, FieldError<'a>> {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct ComputeProject<'a> {
        #[serde(borrow, default)]
        name: Text<'a>,
        #[serde(borrow, default)]
        common_instance_metadata: Option<Metadata<'a>>,
    }
    let data: ComputeProject<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let id = compute_project_id(asset.id())
        .map(str::to_string)
        .or_else(|| data.name.non_empty().map(str::to_string));
    Ok(id.map(|id| {
        (
            id,
            LoginMetadata::read(data.common_instance_metadata.as_ref()),
        )
    }))
}

/// Read a `compute.googleapis.com/Disk` resource line: its key and image.
pub fn disk_image<'a>(asset: &Asset<'a>) -> Result<Option<(String, DiskImage)>, FieldError<'a>> {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct DiskData<'a> {
        #[serde(borrow, default)]
        source_image: Text<'a>,
        #[serde(borrow, default)]
        licenses: List<Text<'a>>,
    }
    let data: DiskData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let Some(key) = disk_key(asset.id()) else {
        return Ok(None);
    };
    let recognised = data
        .licenses
        .iter()
        .filter_map(|l| l.non_empty())
        .find(|l| os_of(l).is_some())
        .map(|l| ("disk.licenses", l.to_string()))
        .or_else(|| {
            data.source_image
                .non_empty()
                .filter(|i| os_of(i).is_some())
                .map(|i| ("disk.sourceImage", i.to_string()))
        });
    Ok(Some((
        key,
        DiskImage {
            recognised,
            source_image: data.source_image.non_empty().map(str::to_string),
        },
    )))
}

enum BootImage {
    Recognised(&'static str, String),
    Disk(String),
    Unknown,
}

fn boot_image(data: &InstanceData<'_>) -> BootImage {
    let Some(boot) = data
        .disks
        .iter()
        .find(|d| d.boot.is_true())
        .or_else(|| data.disks.iter().next())
    else {
        return BootImage::Unknown;
    };
    if let Some(l) = boot
        .licenses
        .iter()
        .filter_map(|l| l.non_empty())
        .find(|l| os_of(l).is_some())
    {
        return BootImage::Recognised("disks[boot].licenses", l.to_string());
    }
    if let Some(i) = boot
        .initialize_params
        .as_ref()
        .and_then(|p| p.source_image.non_empty())
        .filter(|i| os_of(i).is_some())
    {
        return BootImage::Recognised("disks[boot].initializeParams.sourceImage", i.to_string());
    }
    match boot.source.non_empty().and_then(disk_key) {
        Some(key) => BootImage::Disk(key),
        None => BootImage::Unknown,
    }
}

fn os_image_from_disk(
    subject: &Subject<'_>,
    key: &str,
    disk: Option<&DiskImage>,
    ctx: &Context,
) -> Finding {
    match disk {
        Some(DiskImage {
            recognised: Some((k, v)),
            ..
        }) => os_image(subject, Some((k, v)), None, ctx),
        Some(DiskImage { source_image, .. }) => os_image(
            subject,
            None,
            Some(format!(
                "its boot disk {key} was made from {}",
                source_image.as_deref().unwrap_or("no recorded image")
            )),
            ctx,
        ),
        None => os_image(
            subject,
            None,
            Some(format!(
                "the export holds no compute.googleapis.com/Disk asset for its boot disk {key}"
            )),
            ctx,
        ),
    }
}

fn os_image(
    subject: &Subject<'_>,
    source: Option<(&str, &str)>,
    why_unknown: Option<String>,
    ctx: &Context,
) -> Finding {
    let label = subject.label();
    let Some((key, value)) = source else {
        let why = why_unknown
            .unwrap_or_else(|| "its boot disk carries no public-image license".to_string());
        return subject
            .finding(&OS_IMAGE_EOL)
            .evidence("boot image", "(not recognised)")
            .manual(format!(
                "The export does not tell which operating system instance {label} runs ({why}); decide it from VM Manager OS inventory (`gcloud compute os-config inventories describe`) or the boot disk's compute.googleapis.com/Disk asset."
            ));
    };
    let Some(os) = os_of(value) else {
        unreachable!("only recognised names are passed")
    };
    let builder = subject.finding(&OS_IMAGE_EOL).evidence(key, value);
    match os.eol {
        Some(date) => {
            let builder = builder.evidence("end of life", date);
            match Timestamp::parse(date) {
                Some(eol) if eol <= ctx.now => builder.fail(format!(
                    "Instance {label} runs {}, which reached end of life on {date}: its guest OS gets no more security fixes.",
                    os.label
                )),
                _ => builder.pass(format!(
                    "Instance {label} runs {}, supported until {date}.",
                    os.label
                )),
            }
        }
        None => builder.pass(format!(
            "Instance {label} runs a {} image with no end of life on or before now.",
            os.label
        )),
    }
}

fn metadata_findings(
    subject: &Subject<'_>,
    meta: &LoginMetadata,
    project: Option<&ProjectMetadata>,
    early: bool,
) -> Vec<Finding> {
    debug_assert!(!early || meta.decides_alone() || project.is_some());
    vec![
        os_login(subject, meta, project),
        serial_port(subject, meta, project),
        project_ssh_keys(subject, meta, project),
    ]
}

/// A metadata value resolved through the instance and, when it does not set it, the project.
struct Resolved<'m> {
    /// The effective value (`None` when set nowhere).
    value: Option<bool>,
    /// The value as written, or `(unset)`.
    raw: &'m str,
    /// Where it comes from, in words, for messages and evidence.
    from: &'static str,
}

impl Resolved<'_> {
    /// `enable-oslogin FALSE in instance metadata`, `serial-port-enable is set neither …`.
    fn describe(&self, key: &str) -> String {
        if self.value.is_none() {
            format!("{key} is set neither on the instance nor project-wide")
        } else {
            format!("{key} {} in {}", self.raw, self.from)
        }
    }
}

/// Resolve a metadata key; `None` when the instance leaves it unset and the project's metadata
/// is not in the export.
fn resolve<'m>(
    instance: &'m Option<String>,
    project: Option<&'m ProjectMetadata>,
    pick: impl Fn(&'m ProjectMetadata) -> &'m Option<String>,
) -> Option<Resolved<'m>> {
    if let Some(raw) = instance {
        return Some(Resolved {
            value: flag(instance),
            raw,
            from: "instance metadata",
        });
    }
    let value = pick(project?);
    Some(match value {
        Some(raw) => Resolved {
            value: flag(value),
            raw,
            from: "project metadata",
        },
        None => Resolved {
            value: None,
            raw: "(unset)",
            from: "neither instance nor project metadata",
        },
    })
}

const PROJECT_EXPORT: &str = "a Cloud Asset Inventory resource export that includes the project's compute.googleapis.com/Project asset (its commonInstanceMetadata)";

fn os_login(
    subject: &Subject<'_>,
    meta: &LoginMetadata,
    project: Option<&ProjectMetadata>,
) -> Finding {
    let label = subject.label();
    if let Some(why) = gke_node(subject) {
        return subject
            .finding(&OS_LOGIN)
            .evidence("GKE node", &why)
            .not_applicable(format!(
                "Instance {label} is a GKE node ({why}): GKE writes its login metadata from the node pool, which this check does not judge."
            ));
    }
    let Some(r) = resolve(&meta.os_login, project, |p| &p.os_login) else {
        return subject
            .finding(&OS_LOGIN)
            .evidence("metadata.enable-oslogin", "(unset)")
            .manual(format!(
                "Instance {label} does not set enable-oslogin, so the project-wide setting decides; the export does not hold it: decide it from {PROJECT_EXPORT}."
            ));
    };
    let builder = subject
        .finding(&OS_LOGIN)
        .evidence("enable-oslogin", r.raw)
        .evidence("from", r.from);
    if r.value == Some(true) {
        builder.pass(format!(
            "Instance {label} uses OS Login ({}): SSH access follows IAM.",
            r.describe("enable-oslogin")
        ))
    } else {
        builder.fail(format!(
            "Instance {label} does not use OS Login ({}): SSH access rests on metadata keys outside IAM.",
            r.describe("enable-oslogin")
        ))
    }
}

fn serial_port(
    subject: &Subject<'_>,
    meta: &LoginMetadata,
    project: Option<&ProjectMetadata>,
) -> Finding {
    let label = subject.label();
    let Some(r) = resolve(&meta.serial_port, project, |p| &p.serial_port) else {
        return subject
            .finding(&SERIAL_PORT)
            .evidence("metadata.serial-port-enable", "(unset)")
            .manual(format!(
                "Instance {label} does not set serial-port-enable, so the project-wide setting decides; the export does not hold it: decide it from {PROJECT_EXPORT}."
            ));
    };
    let builder = subject
        .finding(&SERIAL_PORT)
        .evidence("serial-port-enable", r.raw)
        .evidence("from", r.from);
    if r.value == Some(true) {
        builder.fail(format!(
            "Instance {label} accepts interactive serial console connections ({}), which bypass the firewall.",
            r.describe("serial-port-enable")
        ))
    } else {
        builder.pass(format!(
            "Instance {label} does not accept interactive serial console connections ({}).",
            r.describe("serial-port-enable")
        ))
    }
}

fn project_ssh_keys(
    subject: &Subject<'_>,
    meta: &LoginMetadata,
    project: Option<&ProjectMetadata>,
) -> Finding {
    let label = subject.label();
    let block = flag(&meta.block_project_keys);
    let builder = subject.finding(&PROJECT_SSH_KEYS).evidence(
        "block-project-ssh-keys",
        meta.block_project_keys.as_deref().unwrap_or("(unset)"),
    );
    if block == Some(true) {
        return builder.pass(format!("Instance {label} blocks project-wide SSH keys."));
    }
    match resolve(&meta.os_login, project, |p| &p.os_login) {
        Some(r) if r.value == Some(true) => builder
            .evidence("enable-oslogin", r.raw)
            .pass(format!(
                "Instance {label} uses OS Login ({}), which ignores project-wide SSH keys.",
                r.describe("enable-oslogin")
            )),
        Some(r) => builder.evidence("enable-oslogin", r.raw).fail(format!(
            "Instance {label} accepts project-wide SSH keys: it does not set block-project-ssh-keys and does not use OS Login ({}).",
            r.describe("enable-oslogin")
        )),
        None => builder.manual(format!(
            "Instance {label} does not block project-wide SSH keys, and whether OS Login (which ignores them) is on depends on project metadata the export does not hold: decide it from {PROJECT_EXPORT}."
        )),
    }
}

fn default_sa(subject: &Subject<'_>, data: &InstanceData<'_>) -> Finding {
    let label = subject.label();
    if let Some(why) = gke_node(subject) {
        return subject
            .finding(&DEFAULT_SA_FULL_ACCESS)
            .evidence("GKE node", &why)
            .not_applicable(format!(
                "Instance {label} is a GKE node ({why}): its service account and access scopes are set on the node pool, which this check does not judge."
            ));
    }
    let accounts: Vec<(&str, bool)> =
        data.service_accounts
            .iter()
            .filter_map(|sa| {
                let email = sa.email.non_empty()?;
                let full =
                    sa.scopes.iter().filter_map(|s| s.non_empty()).any(|s| {
                        s == CLOUD_PLATFORM_SCOPE || s.eq_ignore_ascii_case("cloud-platform")
                    });
                Some((email, full))
            })
            .collect();
    let builder = subject.finding(&DEFAULT_SA_FULL_ACCESS).evidence(
        "serviceAccounts",
        if accounts.is_empty() {
            "(none)".to_string()
        } else {
            accounts
                .iter()
                .map(|(e, full)| format!("{e}{}", if *full { " [cloud-platform]" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    match accounts.iter().find(|(e, _)| is_default_compute_sa(e)) {
        Some((email, true)) => builder.fail(format!(
            "Instance {label} runs as the default compute service account {email} with the cloud-platform scope: code on the instance can use every permission the account holds (roles/editor by default)."
        )),
        Some((email, false)) => builder.pass(format!(
            "Instance {label} runs as the default compute service account {email}, but with limited access scopes."
        )),
        None => match accounts.first() {
            Some((email, _)) => builder.pass(format!(
                "Instance {label} runs as the dedicated service account {email}."
            )),
            None => builder.pass(format!(
                "Instance {label} runs without a service account."
            )),
        },
    }
}

/// Whether an instance is a GKE node: a GKE label, or the `gke-` name GKE gives its nodes.
fn gke_node(subject: &Subject<'_>) -> Option<String> {
    if let Some((key, _)) = subject.labels.iter().find(|(k, _)| {
        GKE_NODE_LABELS
            .iter()
            .any(|g| k.trim().eq_ignore_ascii_case(g))
    }) {
        return Some(format!("label {key}"));
    }
    subject
        .name
        .as_deref()
        .filter(|n| n.trim().to_ascii_lowercase().starts_with("gke-"))
        .map(|n| format!("name {n}"))
}

fn default_identity(subject: &Subject<'_>, data: &InstanceData<'_>) -> Finding {
    let label = subject.label();
    let emails: Vec<&str> = data
        .service_accounts
        .iter()
        .filter_map(|sa| sa.email.non_empty())
        .collect();
    let builder = subject.finding(&DEFAULT_SERVICE_ACCOUNT).evidence(
        "serviceAccounts[].email",
        if emails.is_empty() {
            "(none)".to_string()
        } else {
            emails.join(", ")
        },
    );
    if let Some(why) = gke_node(subject) {
        return builder.evidence("GKE node", &why).not_applicable(format!(
            "Instance {label} is a GKE node ({why}): its service account is set on the node pool, which this check does not judge."
        ));
    }
    let Some(email) = emails.iter().find(|e| is_default_compute_sa(e)) else {
        return match emails.first() {
            Some(email) => builder.pass(format!(
                "Instance {label} runs as the dedicated service account {email}."
            )),
            None => builder.pass(format!(
                "Instance {label} runs without a service account: it holds no Google credential."
            )),
        };
    };
    let owner = email.split('-').next().unwrap_or("");
    let whose = if subject.account.as_ref() == owner {
        "this project's".to_string()
    } else {
        format!("project {owner}'s")
    };
    builder.fail(format!(
        "Instance {label} runs as {whose} default compute service account {email}: it shares one identity, and every role granted to it, with every other instance left on the default."
    ))
}

fn stale_public(subject: &Subject<'_>, data: &InstanceData<'_>, ctx: &Context) -> Finding {
    let label = subject.label();
    let status = data.status.non_empty().unwrap_or("(absent)");
    let mut builder = subject.finding(&STALE_PUBLIC).evidence("status", status);
    if !data.status.eq_ignore_case("RUNNING") {
        return builder.not_applicable(format!("Instance {label} is not running ({status})."));
    }
    let addresses: Vec<&str> = data
        .network_interfaces
        .iter()
        .flat_map(|nic| {
            nic.access_configs
                .iter()
                .filter_map(|a| a.nat_ip.non_empty())
                .chain(
                    nic.ipv6_access_configs
                        .iter()
                        .filter_map(|a| a.external_ipv6.non_empty()),
                )
        })
        .collect();
    if addresses.is_empty() {
        return builder
            .evidence("networkInterfaces[].accessConfigs[].natIP", "(none)")
            .not_applicable(format!("Instance {label} has no external IP address."));
    }
    builder = builder.evidence(
        "networkInterfaces[].accessConfigs[].natIP",
        addresses.join(", "),
    );
    let env = subject.labels.find_any(&ENV_KEYS);
    let nonprod = env.filter(|(_, v)| NONPROD.iter().any(|n| v.trim().eq_ignore_ascii_case(n)));
    if let Some((k, v)) = env {
        builder = builder.evidence(format!("labels.{k}"), v);
    }
    let Some((_, env_value)) = nonprod else {
        return builder.pass(format!(
            "Instance {label} is public ({}) but not labelled as a non-production server.",
            addresses.join(", ")
        ));
    };
    let created = data.creation_timestamp.non_empty();
    builder = builder.evidence("creationTimestamp", created.unwrap_or("(absent)"));
    match created.and_then(Timestamp::parse) {
        Some(t) if t.older_than(STALE_DAYS, ctx.now) => builder.fail(format!(
            "Instance {label} is a {env_value} server that has been on the internet at {} since {} ({} days).",
            addresses.join(", "),
            t.date(),
            t.days_until(ctx.now)
        )),
        Some(t) => builder.pass(format!(
            "Instance {label} is a public {env_value} server created {} days ago, within {STALE_DAYS} days.",
            t.days_until(ctx.now)
        )),
        None => builder.manual(format!(
            "Instance {label} is a public {env_value} server whose creation time is not recorded; check it with `gcloud compute instances describe`."
        )),
    }
}

fn shielded_vm(subject: &Subject<'_>, data: &InstanceData<'_>) -> Finding {
    let label = subject.label();
    let Some(c) = &data.shielded_instance_config else {
        return subject
            .finding(&SHIELDED_VM)
            .evidence("shieldedInstanceConfig", "(absent)")
            .fail(format!(
                "Instance {label} is not a Shielded VM: nothing measures or verifies its boot chain."
            ));
    };
    let builder = subject
        .finding(&SHIELDED_VM)
        .evidence(
            "shieldedInstanceConfig.enableSecureBoot",
            c.enable_secure_boot.describe(),
        )
        .evidence(
            "shieldedInstanceConfig.enableVtpm",
            c.enable_vtpm.describe(),
        )
        .evidence(
            "shieldedInstanceConfig.enableIntegrityMonitoring",
            c.enable_integrity_monitoring.describe(),
        );
    let mut off = Vec::new();
    if !c.enable_vtpm.is_true() {
        off.push("vTPM");
    }
    if !c.enable_integrity_monitoring.is_true() {
        off.push("integrity monitoring");
    }
    if off.is_empty() {
        builder.pass(format!(
            "Instance {label} runs as a Shielded VM with vTPM and integrity monitoring{}.",
            if c.enable_secure_boot.is_true() {
                " and Secure Boot"
            } else {
                ""
            }
        ))
    } else {
        builder.fail(format!(
            "Instance {label} runs with Shielded VM {} off: a tampered boot chain would go unnoticed.",
            super::and_list(&off)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, ctx, evidence, line, only, status};
    use demarc_sdk::Status;

    const NAME: &str =
        "//compute.googleapis.com/projects/nw-retail-prod/zones/europe-west1-b/instances/web-1";

    fn eval(data: &str, project: Option<&ProjectMetadata>, disks: &Disks) -> Outcome {
        let json = line("compute.googleapis.com/Instance", NAME, data);
        let a = asset(&json);
        evaluate(&a, &ctx(), project, disks).unwrap()
    }

    fn run(data: &str) -> Vec<Finding> {
        let project = ProjectMetadata::default();
        let o = eval(data, Some(&project), &Disks::new());
        assert!(o.pending.is_none());
        o.findings
    }

    const HARDENED: &str = r#"{"name":"web-1","status":"RUNNING","creationTimestamp":"2024-02-10T08:12:00.000-08:00",
        "labels":{"env":"prod","owner":"storefront"},
        "networkInterfaces":[{"network":"n","networkIP":"10.0.0.2","accessConfigs":[{"name":"External NAT","natIP":"34.76.10.20","type":"ONE_TO_ONE_NAT"}]}],
        "metadata":{"items":[{"key":"enable-oslogin","value":"TRUE"},{"key":"block-project-ssh-keys","value":"true"},{"key":"serial-port-enable","value":"FALSE"},{"key":"startup-script","value":"apt-get -qy upgrade"}]},
        "serviceAccounts":[{"email":"web@nw-retail-prod.iam.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/cloud-platform"]}],
        "shieldedInstanceConfig":{"enableSecureBoot":true,"enableVtpm":true,"enableIntegrityMonitoring":true},
        "disks":[{"boot":true,"source":"https://www.googleapis.com/compute/v1/projects/nw-retail-prod/zones/europe-west1-b/disks/web-1",
                  "licenses":["https://www.googleapis.com/compute/v1/projects/debian-cloud/global/licenses/debian-12-bookworm"]}]}"#;

    #[test]
    fn a_hardened_instance_passes_everything_without_waiting() {
        let o = eval(HARDENED, None, &Disks::new());
        assert!(o.pending.is_none(), "instance metadata decides alone");
        let with_project: Vec<_> = run(HARDENED)
            .into_iter()
            .map(|f| (f.check_id, f.status, f.message))
            .collect();
        let alone: Vec<_> = o
            .findings
            .iter()
            .map(|f| (f.check_id.clone(), f.status, f.message.clone()))
            .collect();
        assert_eq!(alone, with_project, "the project cannot change the outcome");
        let findings = o.findings;
        assert_eq!(findings.len(), 9);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
        }
        let os = only(&findings, OS_IMAGE_EOL.id);
        assert!(os.message.contains("Debian 12"));
    }

    #[test]
    fn a_neglected_dev_box_fails_each_check() {
        let findings = run(
            r#"{"status":"RUNNING","creationTimestamp":"2025-03-14T09:00:00.000-07:00","labels":{"env":"dev"},
            "networkInterfaces":[{"accessConfigs":[{"natIP":"34.140.2.9"}]}],
            "metadata":{"items":[{"key":"enable-oslogin","value":"FALSE"},{"key":"serial-port-enable","value":"1"}]},
            "serviceAccounts":[{"email":"418203961152-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/cloud-platform"]}],
            "disks":[{"boot":true,"licenses":["https://www.googleapis.com/compute/v1/projects/centos-cloud/global/licenses/centos-7"]}]}"#,
        );
        for check in [
            &OS_LOGIN,
            &SERIAL_PORT,
            &PROJECT_SSH_KEYS,
            &DEFAULT_SA_FULL_ACCESS,
            &DEFAULT_SERVICE_ACCOUNT,
            &STALE_PUBLIC,
            &OS_IMAGE_EOL,
            &SHIELDED_VM,
            &governance::OWNER_LABEL,
        ] {
            assert_eq!(status(&findings, check.id), Status::Fail, "{}", check.id);
        }
        let stale = only(&findings, STALE_PUBLIC.id);
        assert!(
            stale.message.contains("since 2025-03-14"),
            "{}",
            stale.message
        );
        assert_eq!(evidence(stale, "labels.env"), Some("dev"));
        assert!(
            only(&findings, OS_IMAGE_EOL.id)
                .message
                .contains("CentOS 7")
        );
    }

    #[test]
    fn project_metadata_decides_what_the_instance_leaves_unset() {
        let data = r#"{"status":"TERMINATED","disks":[{"boot":true,"licenses":["projects/ubuntu-os-cloud/global/licenses/ubuntu-2404-lts"]}]}"#;
        let on = ProjectMetadata {
            os_login: Some("TRUE".into()),
            ..Default::default()
        };
        let f = eval(data, Some(&on), &Disks::new()).findings;
        assert_eq!(status(&f, OS_LOGIN.id), Status::Pass);
        assert_eq!(
            evidence(only(&f, OS_LOGIN.id), "from"),
            Some("project metadata")
        );
        assert_eq!(status(&f, PROJECT_SSH_KEYS.id), Status::Pass);
        assert_eq!(status(&f, SERIAL_PORT.id), Status::Pass);
        assert_eq!(status(&f, STALE_PUBLIC.id), Status::NotApplicable);
        let serial = ProjectMetadata {
            serial_port: Some("TRUE".into()),
            ..Default::default()
        };
        let f = eval(data, Some(&serial), &Disks::new()).findings;
        assert_eq!(status(&f, SERIAL_PORT.id), Status::Fail);
        assert_eq!(
            status(&f, OS_LOGIN.id),
            Status::Fail,
            "unset everywhere: off"
        );
        assert_eq!(status(&f, PROJECT_SSH_KEYS.id), Status::Fail);
        // An instance-level FALSE overrides a project-level TRUE.
        let f = eval(
            r#"{"metadata":{"items":[{"key":"enable-oslogin","value":"false"}]}}"#,
            Some(&on),
            &Disks::new(),
        )
        .findings;
        assert_eq!(status(&f, OS_LOGIN.id), Status::Fail);
    }

    #[test]
    fn unknown_project_metadata_waits_then_is_manual() {
        let o = eval(r#"{"status":"RUNNING"}"#, None, &Disks::new());
        let pending = o.pending.expect("waits for the project");
        assert_eq!(pending.project, "nw-retail-prod");
        assert!(o.findings.iter().all(|f| f.check_id != OS_LOGIN.id));
        // No disks at all: the OS check is decided (manual) at once.
        assert_eq!(status(&o.findings, OS_IMAGE_EOL.id), Status::Manual);
        let f = finish(&pending, None, &Disks::new(), &ctx());
        assert_eq!(f.len(), 3);
        for finding in &f {
            assert_eq!(finding.status, Status::Manual, "{}", finding.check_id);
            assert!(finding.message.contains("compute.googleapis.com/Project"));
        }
        let on = ProjectMetadata {
            os_login: Some("TRUE".into()),
            ..Default::default()
        };
        let f = finish(&pending, Some(&on), &Disks::new(), &ctx());
        assert_eq!(status(&f, OS_LOGIN.id), Status::Pass);
    }

    #[test]
    fn the_boot_disk_asset_decides_the_os_when_the_instance_cannot() {
        let data = r#"{"metadata":{"items":[{"key":"enable-oslogin","value":"TRUE"},{"key":"serial-port-enable","value":"FALSE"}]},
            "disks":[{"boot":false,"source":"https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/data"},
                     {"boot":true,"source":"https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/root"}]}"#;
        let o = eval(data, None, &Disks::new());
        let pending = o.pending.expect("waits for the disk");
        assert_eq!(
            pending.boot_disk.as_deref(),
            Some("projects/p/zones/z/disks/root")
        );
        assert!(pending.metadata.is_none());
        let disk = line(
            "compute.googleapis.com/Disk",
            "//compute.googleapis.com/projects/p/zones/z/disks/root",
            r#"{"sourceImage":"https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-minimal-1804-bionic-v20230130"}"#,
        );
        let d = asset(&disk);
        let (key, image) = disk_image(&d).unwrap().unwrap();
        let mut disks = Disks::new();
        disks.insert(key, image);
        let f = finish(&pending, None, &disks, &ctx());
        let os = only(&f, OS_IMAGE_EOL.id);
        assert_eq!(os.status, Status::Fail);
        assert!(os.message.contains("Ubuntu 18.04"));
        // Known already: decided at once.
        let o = eval(data, None, &disks);
        assert!(o.pending.is_none());
        assert_eq!(status(&o.findings, OS_IMAGE_EOL.id), Status::Fail);
        // A custom image is not recognised: manual.
        let custom = DiskImage {
            recognised: None,
            source_image: Some("projects/p/global/images/golden-2026-09".into()),
        };
        disks.insert("projects/p/zones/z/disks/root".into(), custom);
        let f = finish(&pending, None, &disks, &ctx());
        let os = only(&f, OS_IMAGE_EOL.id);
        assert_eq!(os.status, Status::Manual);
        assert!(os.message.contains("golden-2026-09"));
        let f = finish(&pending, None, &Disks::new(), &ctx());
        assert!(
            only(&f, OS_IMAGE_EOL.id)
                .message
                .contains("no compute.googleapis.com/Disk asset")
        );
    }

    #[test]
    fn os_names_and_end_of_life() {
        for (name, label, eol) in [
            ("debian-10-buster", "Debian 10 (buster)", true),
            (
                "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-11-bullseye-v20260610",
                "Debian 11 (bullseye)",
                true,
            ),
            ("ubuntu-1604-xenial-v20210429", "Ubuntu 16.04 LTS", true),
            (
                "ubuntu-minimal-2004-focal-v20250101",
                "Ubuntu 20.04 LTS",
                true,
            ),
            ("windows-server-2012-r2-dc", "Windows Server 2012", true),
            ("rhel-8-v20260901", "Red Hat Enterprise Linux 8", false),
            ("centos-stream-9-v20260901", "CentOS Stream 9", false),
        ] {
            let os = os_of(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(os.label, label, "{name}");
            let date = Timestamp::parse(os.eol.unwrap()).unwrap();
            assert_eq!(date <= ctx().now, eol, "{name}");
        }
        assert_eq!(os_of("ubuntu-pro-1804-bionic").unwrap().eol, None);
        assert_eq!(os_of("cos-stable-117").unwrap().label, "cos");
        assert_eq!(
            os_of("debian-1-x"),
            Some(OsRelease {
                label: "debian",
                eol: None
            })
        );
        assert!(os_of("golden-image-2026").is_none());
        assert!(os_of("").is_none());
    }

    #[test]
    fn service_account_scopes() {
        let f = run(
            r#"{"serviceAccounts":[{"email":"111-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/devstorage.read_only","https://www.googleapis.com/auth/logging.write"]}]}"#,
        );
        let sa = only(&f, DEFAULT_SA_FULL_ACCESS.id);
        assert_eq!(sa.status, Status::Pass);
        assert!(sa.message.contains("limited access scopes"));
        assert_eq!(status(&run("{}"), DEFAULT_SA_FULL_ACCESS.id), Status::Pass);
    }

    #[test]
    fn the_default_identity_fails_whatever_its_scopes() {
        // Limited scopes pass the full-access check but not this one.
        let f = run(
            r#"{"name":"web-1","serviceAccounts":[{"email":"111-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/devstorage.read_only"]}]}"#,
        );
        assert_eq!(status(&f, DEFAULT_SA_FULL_ACCESS.id), Status::Pass);
        let d = only(&f, DEFAULT_SERVICE_ACCOUNT.id);
        assert_eq!(d.status, Status::Fail);
        assert!(
            d.message.contains("this project's default"),
            "{}",
            d.message
        );
        assert_eq!(
            evidence(d, "serviceAccounts[].email"),
            Some("111-compute@developer.gserviceaccount.com")
        );
        // Another project's default account, spelled in upper case, a lone object for the list.
        let f = run(
            r#"{"serviceAccounts":{"email":"418203961152-COMPUTE@developer.gserviceaccount.com"}}"#,
        );
        let d = only(&f, DEFAULT_SERVICE_ACCOUNT.id);
        assert_eq!(d.status, Status::Fail);
        assert!(
            d.message.contains("project 418203961152's"),
            "{}",
            d.message
        );
        // A dedicated account, or none, passes; a look-alike name is not the default.
        for data in [
            r#"{"serviceAccounts":[{"email":"web@p.iam.gserviceaccount.com"}]}"#,
            r#"{"serviceAccounts":[{"email":"web-compute@developer.gserviceaccount.com"}]}"#,
            r#"{"serviceAccounts":[]}"#,
            "{}",
        ] {
            assert_eq!(
                status(&run(data), DEFAULT_SERVICE_ACCOUNT.id),
                Status::Pass,
                "{data}"
            );
        }
    }

    #[test]
    fn gke_nodes_are_not_judged_on_their_identity() {
        let sa = r#""serviceAccounts":[{"email":"111-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/cloud-platform"]}]"#;
        for labels in [
            r#"{"goog-gke-node":"","goog-k8s-cluster-name":"prod-1"}"#,
            r#"{"GOOG-K8S-CLUSTER-NAME":"prod-1"}"#,
        ] {
            let f = run(&format!(r#"{{"labels":{labels},{sa}}}"#));
            let d = only(&f, DEFAULT_SERVICE_ACCOUNT.id);
            assert_eq!(d.status, Status::NotApplicable, "{labels}");
            assert!(d.message.contains("GKE node (label"), "{}", d.message);
        }
        // By the name GKE gives its nodes, through the legacy asset type.
        let json = line(
            "google.compute.Instance",
            "//compute.googleapis.com/projects/p/zones/z/instances/gke-prod-1-default-pool-3f2a1b7c-x9q2",
            &format!("{{{sa}}}"),
        );
        let a = asset(&json);
        let o = evaluate(&a, &ctx(), Some(&ProjectMetadata::default()), &Disks::new()).unwrap();
        let d = only(&o.findings, DEFAULT_SERVICE_ACCOUNT.id);
        assert_eq!(d.status, Status::NotApplicable);
        assert_eq!(d.resource.native_type, "compute.googleapis.com/Instance");
        // A node without GKE's marks is an ordinary instance.
        let f = run(&format!(r#"{{"labels":{{"gke":"no"}},{sa}}}"#));
        assert_eq!(status(&f, DEFAULT_SERVICE_ACCOUNT.id), Status::Fail);
    }

    #[test]
    fn gke_nodes_are_not_judged_on_os_login_or_full_api_access() {
        // GKE writes enable-oslogin=false into its nodes' metadata and gives them the node
        // pool's service account and scopes; CIS Google Cloud 5.0 4.2 and 4.4 leave GKE nodes
        // out, and so do the checks that cite them.
        let data = r#"{"labels":{"goog-k8s-cluster-name":"prod-1"},
            "metadata":{"items":[{"key":"enable-oslogin","value":"false"}]},
            "serviceAccounts":[{"email":"111-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/cloud-platform"]}]}"#;
        let f = run(data);
        for check in [OS_LOGIN.id, DEFAULT_SA_FULL_ACCESS.id] {
            let d = only(&f, check);
            assert_eq!(d.status, Status::NotApplicable, "{check}");
            assert!(
                d.message
                    .contains("is a GKE node (label goog-k8s-cluster-name)"),
                "{}",
                d.message
            );
            assert_eq!(evidence(d, "GKE node"), Some("label goog-k8s-cluster-name"));
        }
        // The node is still judged on what no benchmark excuses: it accepts project-wide keys.
        assert_eq!(status(&f, PROJECT_SSH_KEYS.id), Status::Fail);
        // By the name GKE gives its nodes.
        let json = line(
            "compute.googleapis.com/Instance",
            "//compute.googleapis.com/projects/p/zones/z/instances/gke-prod-1-default-pool-3f2a1b7c-x9q2",
            &data.replace("goog-k8s-cluster-name", "team"),
        );
        let a = asset(&json);
        let o = evaluate(&a, &ctx(), Some(&ProjectMetadata::default()), &Disks::new()).unwrap();
        assert_eq!(status(&o.findings, OS_LOGIN.id), Status::NotApplicable);
        assert_eq!(
            status(&o.findings, DEFAULT_SA_FULL_ACCESS.id),
            Status::NotApplicable
        );
        // The same instance without GKE's marks fails both.
        let f = run(&data.replace("goog-k8s-cluster-name", "team"));
        assert_eq!(status(&f, OS_LOGIN.id), Status::Fail);
        assert_eq!(status(&f, DEFAULT_SA_FULL_ACCESS.id), Status::Fail);
    }

    #[test]
    fn recent_or_production_public_servers_pass() {
        let f = run(
            r#"{"status":"RUNNING","creationTimestamp":"2026-09-01T00:00:00Z","labels":{"environment":"staging"},"networkInterfaces":[{"accessConfigs":[{"natIP":"35.1.2.3"}]}]}"#,
        );
        assert_eq!(status(&f, STALE_PUBLIC.id), Status::Pass);
        let f = run(
            r#"{"status":"RUNNING","labels":{"env":"test"},"networkInterfaces":[{"accessConfigs":[{"natIP":"35.1.2.3"}]}]}"#,
        );
        assert_eq!(status(&f, STALE_PUBLIC.id), Status::Manual);
        let f =
            run(r#"{"status":"RUNNING","networkInterfaces":[{"accessConfigs":[{"name":"nat"}]}]}"#);
        assert_eq!(status(&f, STALE_PUBLIC.id), Status::NotApplicable);
    }

    #[test]
    fn shielded_vm_needs_vtpm_and_integrity_monitoring() {
        let f = run(
            r#"{"shieldedInstanceConfig":{"enableSecureBoot":false,"enableVtpm":true,"enableIntegrityMonitoring":true}}"#,
        );
        assert_eq!(status(&f, SHIELDED_VM.id), Status::Pass);
        let f = run(
            r#"{"shieldedInstanceConfig":{"enableSecureBoot":true,"enableVtpm":false,"enableIntegrityMonitoring":false}}"#,
        );
        let s = only(&f, SHIELDED_VM.id);
        assert_eq!(s.status, Status::Fail);
        assert!(s.message.contains("vTPM and integrity monitoring off"));
    }

    #[test]
    fn names_and_keys() {
        assert_eq!(compute_project_id(NAME), Some("nw-retail-prod"));
        assert_eq!(
            compute_project_id("//compute.googleapis.com/projects/p"),
            Some("p")
        );
        assert_eq!(compute_project_id("//storage.googleapis.com/b"), None);
        assert_eq!(
            disk_key("https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/d").as_deref(),
            Some("projects/p/zones/z/disks/d")
        );
        let p = line(
            "compute.googleapis.com/Project",
            "//compute.googleapis.com/projects/nw-retail-prod",
            r#"{"name":"nw-retail-prod","commonInstanceMetadata":{"items":[{"key":"enable-oslogin","value":"TRUE"},{"key":"ssh-keys","value":"alice:ssh-ed25519 AAAA"}]}}"#,
        );
        let a = asset(&p);
        let (id, meta) = project_metadata(&a).unwrap().unwrap();
        assert_eq!(id, "nw-retail-prod");
        assert_eq!(meta.os_login.as_deref(), Some("TRUE"));
        assert_eq!(meta.serial_port, None);
    }

    #[test]
    fn every_spelling_of_an_access_config_at_once() {
        demarc_sdk::assert_every_spelling!(AccessConfig<'_>, r#"{"natIP":"34.1.2.3"}"#);
    }
}
