//! Cloud Firewalls (`doctl compute firewall list -o json`): which traffic they let in, and the
//! check of a firewall that opens every port to the internet.
//!
//! A firewall applies to the Droplets it lists in `droplet_ids` and to every Droplet carrying
//! one of its `tags`. Its inbound rules are allow rules; traffic no rule of any firewall of a
//! Droplet allows is dropped.

use demarc_sdk::{Actor, CheckDef, Finding, FindingBuilder, Severity, cidr};
use serde::Deserialize;

use crate::Ctx;
use crate::export::nullable;

/// The native type of a Cloud Firewall.
pub const FIREWALL: &str = "digitalocean/firewall";

/// A firewall must not open every port to the internet.
pub static FIREWALL_ALL_PORTS_OPEN: CheckDef = CheckDef {
    id: "digitalocean-firewall-all-ports-open",
    title: "Cloud Firewalls do not open every port to the internet",
    severity: Severity::High,
    actor: Actor::Customer,
    rationale: "An inbound rule for all ports from 0.0.0.0/0 or ::/0 exposes every service of the \
                Droplets behind the firewall, including ones never meant to be public.",
    remediation: "Replace the rule with rules for the ports the workload serves, from the sources \
                  that need them.",
    controls: &["network-ingress-restriction"],
    resource_types: &[FIREWALL],
    requirements: &[],
};

/// One Cloud Firewall.
#[derive(Debug, Clone, Deserialize)]
pub struct Firewall {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `waiting`, `succeeded` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Its inbound rules.
    #[serde(default, deserialize_with = "nullable")]
    pub inbound_rules: Vec<InboundRule>,
    /// The Droplets it applies to by id.
    #[serde(default, deserialize_with = "nullable")]
    pub droplet_ids: Vec<u64>,
    /// The tags whose Droplets it applies to.
    #[serde(default, deserialize_with = "nullable")]
    pub tags: Vec<String>,
    /// Droplets being added or removed.
    #[serde(default, deserialize_with = "nullable")]
    pub pending_changes: Vec<PendingChange>,
}

/// An inbound rule.
#[derive(Debug, Clone, Deserialize)]
pub struct InboundRule {
    /// `tcp`, `udp` or `icmp`.
    pub protocol: String,
    /// `"22"`, `"8000-9000"`, `"0"` or `"all"` (every port); absent for ICMP.
    #[serde(default)]
    pub ports: Option<String>,
    /// Where the traffic may come from.
    #[serde(default)]
    pub sources: Sources,
}

/// The sources of an inbound rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Sources {
    /// IPv4 and IPv6 addresses and CIDR blocks.
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<String>,
}

/// A Droplet whose firewall membership is being changed.
#[derive(Debug, Clone, Deserialize)]
pub struct PendingChange {
    /// The Droplet.
    pub droplet_id: u64,
    /// Whether it is being removed from the firewall.
    #[serde(default)]
    pub removing: bool,
}

/// The ports a rule's `ports` names, as an inclusive range; `None` when it is not a port, a
/// range or a word for all ports.
pub fn port_range(ports: Option<&str>) -> Option<(u16, u16)> {
    let text = ports.map(str::trim).unwrap_or("0");
    match text {
        "" | "0" | "all" => return Some((1, 65535)),
        _ => {}
    }
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?);
            (a >= 1 && a <= b).then_some((a, b))
        }
        None => {
            let p = text.parse::<u16>().ok()?;
            (p >= 1).then_some((p, p))
        }
    }
}

impl InboundRule {
    /// Whether the rule lets `protocol` traffic in on `port`.
    pub fn admits(&self, protocol: &str, port: u16) -> bool {
        self.protocol.eq_ignore_ascii_case(protocol)
            && port_range(self.ports.as_deref()).is_some_and(|(a, b)| a <= port && port <= b)
    }

    /// Whether its sources, taken together, are every IPv4 or every IPv6 address.
    pub fn from_anywhere(&self) -> bool {
        cidr::covers_everything(self.addresses())
    }

    fn addresses(&self) -> impl Iterator<Item = &str> {
        self.sources.addresses.iter().map(String::as_str)
    }

    /// The rule as a short text: `tcp 22 from 0.0.0.0/0, ::/0`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} from {}",
            self.protocol,
            self.ports.as_deref().unwrap_or("0"),
            self.sources.addresses.join(", ")
        )
    }
}

impl Firewall {
    /// Whether the firewall applies to the Droplet `id` tagged `tags` (a Droplet being removed
    /// from it still counts until the change is applied).
    pub fn applies_to(&self, id: u64, tags: &[String]) -> bool {
        self.droplet_ids.contains(&id)
            || self
                .pending_changes
                .iter()
                .any(|c| c.droplet_id == id && !c.removing)
            || self.tags.iter().any(|t| tags.contains(t))
    }

    /// The resource id demarc reports: DigitalOcean's URN.
    pub fn urn(&self) -> String {
        format!("do:firewall:{}", self.id)
    }

    /// The addresses that, through the firewall's rules, may reach `protocol` `port`.
    pub fn sources_of<'a>(&'a self, protocol: &'a str, port: u16) -> impl Iterator<Item = &'a str> {
        self.inbound_rules
            .iter()
            .filter(move |r| r.admits(protocol, port))
            .flat_map(InboundRule::addresses)
    }
}

/// Judge one firewall: a TCP or UDP rule for every port from anywhere fails.
pub fn firewall_all_ports_open(fw: &Firewall, ctx: &Ctx<'_>) -> Finding {
    let f = FindingBuilder::new(
        &FIREWALL_ALL_PORTS_OPEN,
        ctx.account,
        "global",
        FIREWALL,
        &fw.urn(),
    )
    .name(fw.name.as_deref())
    .evidence("inbound_rules", fw.inbound_rules.len());
    let open: Vec<String> = fw
        .inbound_rules
        .iter()
        .filter(|r| r.protocol != "icmp")
        .filter(|r| port_range(r.ports.as_deref()) == Some((1, 65535)) && r.from_anywhere())
        .map(InboundRule::describe)
        .collect();
    if open.is_empty() {
        f.pass("no inbound rule opens every port to the internet")
    } else {
        f.evidence("open_rules", open.join("; "))
            .fail("an inbound rule opens every port to the internet")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Status;

    const CTX: Ctx<'static> = Ctx {
        account: "team-1",
        now: demarc_sdk::time::Timestamp(0),
    };

    fn fw(rules: &str) -> Firewall {
        serde_json::from_str(&format!(
            r#"{{"id": "fw-1", "name": "web", "inbound_rules": {rules}, "droplet_ids": [7],
                 "tags": ["web"], "pending_changes": null}}"#
        ))
        .expect("a test firewall parses")
    }

    #[test]
    fn ports_are_single_ranges_or_all() {
        assert_eq!(port_range(Some("22")), Some((22, 22)));
        assert_eq!(port_range(Some("8000-9000")), Some((8000, 9000)));
        assert_eq!(port_range(Some("0")), Some((1, 65535)));
        assert_eq!(port_range(Some("all")), Some((1, 65535)));
        assert_eq!(port_range(None), Some((1, 65535)));
        for bad in ["ssh", "9000-8000", "70000", "-1"] {
            assert_eq!(port_range(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn every_port_from_anywhere_fails_and_a_narrow_rule_passes() {
        let open = fw(
            r#"[{"protocol": "tcp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}]"#,
        );
        let f = firewall_all_ports_open(&open, &CTX);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.resource.id, "do:firewall:fw-1");
        // The halves of the address space are everything too.
        let halves = fw(
            r#"[{"protocol": "udp", "ports": "all", "sources": {"addresses": ["0.0.0.0/1", "128.0.0.0/1"]}}]"#,
        );
        assert_eq!(firewall_all_ports_open(&halves, &CTX).status, Status::Fail);
        let narrow = fw(
            r#"[{"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0"]}},
                {"protocol": "tcp", "ports": "0", "sources": {"addresses": ["10.10.0.0/16"]}},
                {"protocol": "icmp", "sources": {"addresses": ["0.0.0.0/0"]}}]"#,
        );
        assert_eq!(firewall_all_ports_open(&narrow, &CTX).status, Status::Pass);
    }

    #[test]
    fn a_firewall_applies_by_id_tag_or_pending_addition() {
        let f = fw("[]");
        assert!(f.applies_to(7, &[]));
        assert!(f.applies_to(8, &["web".to_string()]));
        assert!(!f.applies_to(8, &["db".to_string()]));
        let pending: Firewall = serde_json::from_str(
            r#"{"id": "fw-2", "pending_changes": [{"droplet_id": 9, "removing": false, "status": "waiting"}]}"#,
        )
        .unwrap();
        assert!(pending.applies_to(9, &[]));
    }
}
