//! Droplets (`doctl compute droplet list -o json`): backups, and whether the internet reaches
//! their administration ports through the Cloud Firewalls that apply to them.

use demarc_sdk::{Actor, CheckDef, Finding, FindingBuilder, Severity, cidr};
use serde::Deserialize;

use crate::Ctx;
use crate::export::nullable;
use crate::firewall::Firewall;

/// The native type of a Droplet.
pub const DROPLET: &str = "digitalocean/droplet";

/// A Droplet has backups turned on.
pub static DROPLET_BACKUPS: CheckDef = CheckDef {
    id: "digitalocean-droplet-backups",
    title: "Droplets have automated backups turned on",
    severity: Severity::Medium,
    actor: Actor::Customer,
    rationale: "DigitalOcean backs up a Droplet only when its owner turns backups on; without them \
                a deleted, corrupted or encrypted disk cannot be restored.",
    remediation: "Turn on backups for the Droplet (`doctl compute droplet-action enable-backups`), \
                  or back its data up another way and record it.",
    controls: &["backup-retention"],
    resource_types: &[DROPLET],
    requirements: &[],
};

/// SSH and RDP of a Droplet are not reachable from the internet.
pub static DROPLET_ADMIN_PORTS: CheckDef = CheckDef {
    id: "digitalocean-droplet-admin-ports-open",
    title: "Droplets do not expose SSH or RDP to the internet",
    severity: Severity::High,
    actor: Actor::Customer,
    rationale: "SSH and RDP open to every address are scanned and brute-forced within minutes of a \
                Droplet getting a public address; a Droplet without a Cloud Firewall has every \
                port open at the network edge.",
    remediation: "Apply a Cloud Firewall that allows SSH (22) and RDP (3389) only from the \
                  administrators' addresses or a bastion, or reach the Droplet through its VPC.",
    controls: &["mgmt-port-exposure"],
    resource_types: &[DROPLET],
    requirements: &[],
};

/// The administration ports the join looks at: (protocol, port, what it is).
pub const ADMIN_PORTS: &[(&str, u16, &str)] = &[("tcp", 22, "SSH"), ("tcp", 3389, "RDP")];

/// One Droplet, with the fields the checks read (the export has many more).
#[derive(Debug, Clone, Deserialize)]
pub struct Droplet {
    /// Its id (an integer).
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `new`, `active`, `off` or `archive`.
    #[serde(default)]
    pub status: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Features turned on: `backups`, `monitoring`, `ipv6`, `private_networking`.
    #[serde(default, deserialize_with = "nullable")]
    pub features: Vec<String>,
    /// The backups taken so far.
    #[serde(default, deserialize_with = "nullable")]
    pub backup_ids: Vec<u64>,
    /// The next backup window, when backups are on.
    #[serde(default)]
    pub next_backup_window: Option<BackupWindow>,
    /// Its addresses.
    #[serde(default)]
    pub networks: Networks,
    /// Its region.
    pub region: Region,
    /// Its tags.
    #[serde(default, deserialize_with = "nullable")]
    pub tags: Vec<String>,
    /// The VPC it is in.
    #[serde(default)]
    pub vpc_uuid: Option<String>,
}

/// A backup window.
#[derive(Debug, Clone, Deserialize)]
pub struct BackupWindow {
    /// When it starts.
    #[serde(default)]
    pub start: Option<String>,
}

/// A Droplet's addresses.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Networks {
    /// IPv4 addresses.
    #[serde(default, deserialize_with = "nullable")]
    pub v4: Vec<Address>,
    /// IPv6 addresses.
    #[serde(default, deserialize_with = "nullable")]
    pub v6: Vec<Address>,
}

/// One address of a Droplet.
#[derive(Debug, Clone, Deserialize)]
pub struct Address {
    /// The address.
    pub ip_address: String,
    /// `public` or `private`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A region.
#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    /// Its slug (`nyc3`, `fra1`).
    pub slug: String,
}

impl Droplet {
    /// The resource id demarc reports: DigitalOcean's URN.
    pub fn urn(&self) -> String {
        format!("do:droplet:{}", self.id)
    }

    /// Its public addresses, IPv4 then IPv6.
    pub fn public_addresses(&self) -> Vec<&str> {
        self.networks
            .v4
            .iter()
            .chain(&self.networks.v6)
            .filter(|a| a.kind == "public")
            .map(|a| a.ip_address.as_str())
            .collect()
    }

    fn finding(&self, check: &CheckDef, ctx: &Ctx<'_>) -> FindingBuilder {
        FindingBuilder::new(check, ctx.account, &self.region.slug, DROPLET, &self.urn())
            .name(self.name.as_deref())
            .tags(self.tags.iter().map(|t| tag_pair(t)))
    }
}

/// A DigitalOcean tag as a key and value: `env:prod` is `env` = `prod`, `web` is `web` = ``.
pub fn tag_pair(tag: &str) -> (&str, &str) {
    tag.split_once(':').unwrap_or((tag, ""))
}

/// Judge one Droplet's backups.
pub fn droplet_backups(d: &Droplet, ctx: &Ctx<'_>) -> Finding {
    let f = d
        .finding(&DROPLET_BACKUPS, ctx)
        .evidence("features", format!("[{}]", d.features.join(", ")))
        .evidence("backup_ids", d.backup_ids.len());
    if d.features.iter().any(|x| x == "backups") {
        let f = match d
            .next_backup_window
            .as_ref()
            .and_then(|w| w.start.as_deref())
        {
            Some(start) => f.evidence("next_backup_window.start", start),
            None => f,
        };
        f.pass("backups are turned on")
    } else {
        f.fail("backups are turned off: DigitalOcean keeps no backup of this Droplet")
    }
}

/// Judge whether the internet reaches a Droplet's SSH or RDP through the firewalls of the
/// snapshot (`None`: the snapshot holds no firewall export, so it cannot be told).
pub fn droplet_admin_ports(d: &Droplet, firewalls: Option<&[Firewall]>, ctx: &Ctx<'_>) -> Finding {
    let f = d.finding(&DROPLET_ADMIN_PORTS, ctx);
    let public = d.public_addresses();
    if public.is_empty() {
        return f
            .evidence("public_addresses", "none")
            .pass("the Droplet has no public address");
    }
    let f = f.evidence("public_addresses", public.join(", "));
    let Some(firewalls) = firewalls else {
        return f.manual(
            "the snapshot holds no firewall export (firewalls.json): which Cloud Firewalls apply \
             to the Droplet cannot be told",
        );
    };
    let applied: Vec<&Firewall> = firewalls
        .iter()
        .filter(|fw| fw.applies_to(d.id, &d.tags))
        .collect();
    if applied.is_empty() {
        return f.evidence("firewalls", "none").fail(
            "no Cloud Firewall applies to the Droplet and it has a public address: SSH, RDP and \
             every other port are open at the network edge",
        );
    }
    let names: Vec<&str> = applied
        .iter()
        .map(|fw| fw.name.as_deref().unwrap_or(&fw.id))
        .collect();
    let f = f.evidence("firewalls", names.join(", "));
    // Firewalls add up: a port is open from everywhere when the sources of every rule of every
    // firewall that admits it together cover the address space.
    let open: Vec<&str> = ADMIN_PORTS
        .iter()
        .filter(|(protocol, port, _)| {
            cidr::covers_everything(applied.iter().flat_map(|fw| fw.sources_of(protocol, *port)))
        })
        .map(|(_, _, what)| *what)
        .collect();
    if open.is_empty() {
        f.pass("its Cloud Firewalls admit SSH and RDP from no more than some addresses")
    } else {
        f.evidence("open_to_internet", open.join(", "))
            .fail(format!(
                "its Cloud Firewalls admit {} from every address",
                open.join(" and ")
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Status;
    use demarc_sdk::testing;

    const CTX: Ctx<'static> = Ctx {
        account: "team-1",
        now: demarc_sdk::time::Timestamp(0),
    };

    fn droplet(extra: &str) -> Droplet {
        serde_json::from_str(&format!(
            r#"{{"id": 7, "name": "web-01", "region": {{"slug": "ams3", "name": "Amsterdam 3"}},
                 "tags": ["env:prod"], {extra}}}"#
        ))
        .expect("a test droplet parses")
    }

    fn public() -> &'static str {
        r#""networks": {"v4": [{"ip_address": "10.110.0.4", "type": "private"},
                              {"ip_address": "203.0.113.10", "type": "public"}], "v6": null}"#
    }

    fn firewalls(rules: &str) -> Vec<Firewall> {
        vec![
            serde_json::from_str(&format!(
                r#"{{"id": "fw-1", "name": "edge", "droplet_ids": [7], "inbound_rules": {rules}}}"#
            ))
            .unwrap(),
        ]
    }

    #[test]
    fn backups_on_pass_and_off_fail() {
        let on = droplet(
            r#""features": ["backups", "ipv6"], "backup_ids": [1, 2],
               "next_backup_window": {"start": "2026-11-02T00:00:00Z", "end": "2026-11-02T23:00:00Z"}"#,
        );
        let f = droplet_backups(&on, &CTX);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(
            testing::evidence(&f, "next_backup_window.start"),
            Some("2026-11-02T00:00:00Z")
        );
        assert_eq!(f.resource.id, "do:droplet:7");
        assert_eq!(f.region, "ams3");
        assert_eq!(f.resource.tags[0].key, "env");
        assert_eq!(f.resource.tags[0].value, "prod");
        let off =
            droplet(r#""features": ["monitoring"], "backup_ids": [], "next_backup_window": null"#);
        assert_eq!(droplet_backups(&off, &CTX).status, Status::Fail);
        let null = droplet(r#""features": null"#);
        assert_eq!(droplet_backups(&null, &CTX).status, Status::Fail);
    }

    #[test]
    fn ssh_from_anywhere_fails_from_an_office_passes() {
        let d = droplet(public());
        let open = firewalls(
            r#"[{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
                {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0"]}}]"#,
        );
        let f = droplet_admin_ports(&d, Some(&open), &CTX);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(testing::evidence(&f, "open_to_internet"), Some("SSH"));
        let all = firewalls(
            r#"[{"protocol": "tcp", "ports": "1-65535", "sources": {"addresses": ["::/0"]}}]"#,
        );
        let f = droplet_admin_ports(&d, Some(&all), &CTX);
        assert_eq!(testing::evidence(&f, "open_to_internet"), Some("SSH, RDP"));
        let office = firewalls(
            r#"[{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["198.51.100.0/24"]}}]"#,
        );
        assert_eq!(
            droplet_admin_ports(&d, Some(&office), &CTX).status,
            Status::Pass
        );
    }

    #[test]
    fn firewalls_add_up_to_everything() {
        let d = droplet(public());
        let mut two = firewalls(
            r#"[{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/1"]}}]"#,
        );
        two.push(
            serde_json::from_str(
                r#"{"id": "fw-2", "tags": ["env:prod"], "inbound_rules": [
                     {"protocol": "tcp", "ports": "20-30", "sources": {"addresses": ["128.0.0.0/1"]}}]}"#,
            )
            .unwrap(),
        );
        assert_eq!(
            droplet_admin_ports(&d, Some(&two), &CTX).status,
            Status::Fail
        );
        assert_eq!(
            droplet_admin_ports(&d, Some(&two[..1]), &CTX).status,
            Status::Pass
        );
    }

    #[test]
    fn no_firewall_fails_no_public_address_passes_no_export_is_manual() {
        let d = droplet(public());
        let other: Vec<Firewall> =
            vec![serde_json::from_str(r#"{"id": "fw-9", "droplet_ids": [8]}"#).unwrap()];
        assert_eq!(
            droplet_admin_ports(&d, Some(&other), &CTX).status,
            Status::Fail
        );
        assert_eq!(droplet_admin_ports(&d, None, &CTX).status, Status::Manual);
        let private =
            droplet(r#""networks": {"v4": [{"ip_address": "10.110.0.5", "type": "private"}]}"#);
        assert_eq!(
            droplet_admin_ports(&private, None, &CTX).status,
            Status::Pass
        );
    }
}
