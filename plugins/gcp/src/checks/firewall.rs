//! VPC firewall rules: management ports and all ports open to the internet.
//!
//! The resource data is the Compute Engine API's `Firewall`: `direction` (`INGRESS` when
//! absent), `disabled`, `sourceRanges[]`, `sourceTags[]`, `sourceServiceAccounts[]` and
//! `allowed[{IPProtocol, ports[]}]`. The REST API spells the protocol `IPProtocol`; some tools
//! write `ipProtocol`; both are read. Protocols are names (`tcp`, `udp`, `icmp`, `all`) or
//! numbers (`6`, `17`); ports are strings, single (`"22"`) or ranges (`"1000-2000"`), and a rule
//! without `ports` allows every port of its protocol. An ingress rule with no source at all
//! applies to `0.0.0.0/0`. Each rule is one asset, judged on its own (a higher-priority deny
//! rule elsewhere is not taken into account).

use demarc_sdk::{CheckDef, Finding};
use serde::Deserialize;

use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Flag, List, Text, parse_part};

demarc_sdk::include_checks!("firewall");

/// Remote administration ports: SSH, Telnet, RDP, WinRM, WinRM over HTTPS.
pub const ADMIN_PORTS: [(u32, &str); 5] = [
    (22, "SSH"),
    (23, "Telnet"),
    (3389, "RDP"),
    (5985, "WinRM"),
    (5986, "WinRM over HTTPS"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FirewallData<'a> {
    #[serde(borrow, default)]
    direction: Text<'a>,
    #[serde(default)]
    disabled: Flag,
    #[serde(borrow, default)]
    source_ranges: List<Text<'a>>,
    #[serde(borrow, default)]
    source_tags: List<Text<'a>>,
    #[serde(borrow, default)]
    source_service_accounts: List<Text<'a>>,
    #[serde(borrow, default)]
    allowed: List<Allowed<'a>>,
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Allowed<'a> {
        protocol: Text<'a> = ["IPProtocol", "ipProtocol"],
        ports: List<Text<'a>> = ["ports"],
    }
}

/// A protocol of an allowed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    All,
    Tcp,
    Udp,
    Sctp,
    Other,
}

impl Protocol {
    fn parse(p: &str) -> Protocol {
        match p.trim().to_ascii_lowercase().as_str() {
            "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "sctp" | "132" => Protocol::Sctp,
            _ => Protocol::Other,
        }
    }

    fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Sctp)
    }
}

/// A port or port range, `"22"` or `"1000-2000"`.
fn port_range(text: &str) -> Option<(u32, u32)> {
    let t = text.trim();
    match t.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => t.parse().ok().map(|p| (p, p)),
    }
}

/// Whether port ranges together cover 1-65535 (port 0 is reserved).
fn every_port(ranges: impl Iterator<Item = (u32, u32)>) -> bool {
    let mut ranges: Vec<(u32, u32)> = ranges.collect();
    ranges.sort_unstable();
    let mut next = 1;
    for (a, b) in ranges {
        if a > next {
            return false;
        }
        next = next.max(b.saturating_add(1));
    }
    next > 65_535
}

/// Whether a source range is the whole internet.
fn is_internet(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0" | "0.0.0.0" | "*")
}

/// Evaluate a `compute.googleapis.com/Firewall` resource line.
pub fn evaluate<'a>(asset: &Asset<'a>) -> Result<Vec<Finding>, FieldError<'a>> {
    let data: FirewallData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::Firewall, Default::default());
    let scope = exposure(&data);
    Ok(vec![
        admin_ports(&subject, &data, &scope),
        all_ports(&subject, &data, &scope),
    ])
}

/// Whether, and from where, the rule admits internet traffic.
enum Scope {
    Egress,
    Disabled,
    Internal(String),
    Internet(String),
}

fn exposure(data: &FirewallData<'_>) -> Scope {
    if data.direction.eq_ignore_case("EGRESS") {
        return Scope::Egress;
    }
    if data.disabled.is_true() {
        return Scope::Disabled;
    }
    let ranges: Vec<&str> = data
        .source_ranges
        .iter()
        .filter_map(|r| r.non_empty())
        .collect();
    if let Some(open) = ranges.iter().copied().find(|r| is_internet(r)) {
        return Scope::Internet(open.to_string());
    }
    if demarc_sdk::cidr::covers_everything(ranges.iter().copied()) {
        // Ranges that only together cover every address (`0.0.0.0/1` and `128.0.0.0/1`).
        return Scope::Internet(format!("{} (together every address)", ranges.join(" + ")));
    }
    if ranges.is_empty() && data.source_tags.is_empty() && data.source_service_accounts.is_empty() {
        return Scope::Internet("0.0.0.0/0 (no source given: the default)".to_string());
    }
    let mut sources: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
    sources.extend(
        data.source_tags
            .iter()
            .filter_map(|t| t.non_empty())
            .map(|t| format!("tag {t}")),
    );
    sources.extend(
        data.source_service_accounts
            .iter()
            .filter_map(|t| t.non_empty())
            .map(|t| format!("service account {t}")),
    );
    Scope::Internal(sources.join(", "))
}

fn describe_allowed(data: &FirewallData<'_>) -> String {
    let parts: Vec<String> = data
        .allowed
        .iter()
        .map(|a| {
            let ports: Vec<&str> = a.ports.iter().filter_map(|p| p.non_empty()).collect();
            if ports.is_empty() {
                a.protocol.shown().to_string()
            } else {
                format!("{}:{}", a.protocol.shown(), ports.join(","))
            }
        })
        .collect();
    if parts.is_empty() {
        "(none)".to_string()
    } else {
        parts.join("; ")
    }
}

/// Common outcomes of both checks for rules that cannot expose anything.
fn unexposed(subject: &Subject<'_>, check: &CheckDef, scope: &Scope) -> Option<Finding> {
    let label = subject.label();
    let builder = subject.finding(check);
    match scope {
        Scope::Egress => Some(
            builder
                .evidence("direction", "EGRESS")
                .not_applicable(format!("Firewall rule {label} governs egress traffic.")),
        ),
        Scope::Disabled => Some(
            builder
                .evidence("disabled", "true")
                .pass(format!("Firewall rule {label} is disabled.")),
        ),
        Scope::Internal(sources) => Some(builder.evidence("sourceRanges", sources).pass(format!(
            "Firewall rule {label} admits traffic only from {sources}."
        ))),
        Scope::Internet(_) => None,
    }
}

fn admin_ports(subject: &Subject<'_>, data: &FirewallData<'_>, scope: &Scope) -> Finding {
    if let Some(f) = unexposed(subject, &ADMIN_PORT_OPEN, scope) {
        return f;
    }
    let Scope::Internet(source) = scope else {
        unreachable!("unexposed handles every other scope")
    };
    let label = subject.label();
    let mut open: Vec<String> = Vec::new();
    for (i, allowed) in data.allowed.iter().enumerate() {
        let protocol = Protocol::parse(allowed.protocol.get().unwrap_or(""));
        if !matches!(protocol, Protocol::All | Protocol::Tcp) {
            continue;
        }
        let ranges: Vec<(u32, u32)> = allowed
            .ports
            .iter()
            .filter_map(|p| p.get().and_then(port_range))
            .collect();
        let all_ports = protocol == Protocol::All || allowed.ports.is_empty();
        let services: Vec<String> = ADMIN_PORTS
            .iter()
            .filter(|(port, _)| all_ports || ranges.iter().any(|(a, b)| a <= port && port <= b))
            .map(|(port, service)| format!("{service} ({port})"))
            .collect();
        if !services.is_empty() {
            open.push(format!(
                "{} (allowed[{i}] {})",
                super::and_list(&services),
                allowed.protocol.shown()
            ));
        }
    }
    let builder = subject
        .finding(&ADMIN_PORT_OPEN)
        .evidence("sourceRanges", source)
        .evidence("allowed", describe_allowed(data));
    if open.is_empty() {
        builder.pass(format!(
            "Firewall rule {label} admits internet traffic but to no remote administration port."
        ))
    } else {
        builder.fail(format!(
            "Firewall rule {label} opens {} to {source}.",
            super::and_list(&open)
        ))
    }
}

fn all_ports(subject: &Subject<'_>, data: &FirewallData<'_>, scope: &Scope) -> Finding {
    if let Some(f) = unexposed(subject, &ALL_PORTS_OPEN, scope) {
        return f;
    }
    let Scope::Internet(source) = scope else {
        unreachable!("unexposed handles every other scope")
    };
    let label = subject.label();
    let mut wide: Vec<String> = Vec::new();
    for (i, allowed) in data.allowed.iter().enumerate() {
        let protocol = Protocol::parse(allowed.protocol.get().unwrap_or(""));
        let name = allowed.protocol.shown();
        if protocol == Protocol::All {
            wide.push(format!("every protocol (allowed[{i}] {name})"));
        } else if protocol.has_ports() {
            if allowed.ports.is_empty() {
                wide.push(format!("every {name} port (allowed[{i}] has no ports)"));
            } else if let Some(r) = allowed
                .ports
                .iter()
                .filter_map(|p| p.get())
                .find(|p| port_range(p).is_some_and(|(a, b)| a <= 1 && b >= 65_535))
            {
                wide.push(format!("every {name} port (allowed[{i}] {r})"));
            } else if every_port(
                allowed
                    .ports
                    .iter()
                    .filter_map(|p| p.get().and_then(port_range)),
            ) {
                let listed: Vec<&str> =
                    allowed.ports.iter().filter_map(|p| p.non_empty()).collect();
                wide.push(format!(
                    "every {name} port (allowed[{i}] {} together)",
                    listed.join(", ")
                ));
            }
        }
    }
    let builder = subject
        .finding(&ALL_PORTS_OPEN)
        .evidence("sourceRanges", source)
        .evidence("allowed", describe_allowed(data));
    if wide.is_empty() {
        builder.pass(format!(
            "Firewall rule {label} admits internet traffic only to specific ports."
        ))
    } else {
        builder.fail(format!(
            "Firewall rule {label} opens {} to {source}.",
            super::and_list(&wide)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, evidence, line, only, status};
    use demarc_sdk::Status;

    fn run(data: &str) -> Vec<Finding> {
        let json = line(
            "compute.googleapis.com/Firewall",
            "//compute.googleapis.com/projects/p/global/firewalls/fw",
            data,
        );
        let a = asset(&json);
        evaluate(&a).unwrap()
    }

    #[test]
    fn ssh_from_anywhere_fails_admin_but_not_all_ports() {
        let f = run(
            r#"{"name":"default-allow-ssh","direction":"INGRESS","priority":65534,"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}]}"#,
        );
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(admin.message.contains("SSH (22)"), "{}", admin.message);
        assert_eq!(evidence(admin, "allowed"), Some("tcp:22"));
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
    }

    #[test]
    fn ranges_protocol_all_and_missing_ports() {
        let f = run(
            r#"{"sourceRanges":["10.0.0.0/8","0.0.0.0/0"],"allowed":[{"ipProtocol":"tcp","ports":["20-25","8080"]}]}"#,
        );
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(admin.message.contains("SSH (22)") && admin.message.contains("Telnet (23)"));
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);

        let f = run(r#"{"sourceRanges":["::/0"],"allowed":[{"IPProtocol":"all"}]}"#);
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Fail);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail);

        let f = run(r#"{"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"udp"}]}"#);
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        let all = only(&f, ALL_PORTS_OPEN.id);
        assert_eq!(all.status, Status::Fail);
        assert!(all.message.contains("every udp port"));

        let f = run(
            r#"{"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"6","ports":["0-65535"]}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Fail);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail);
    }

    #[test]
    fn rules_that_expose_nothing() {
        let f = run(
            r#"{"sourceRanges":["35.235.240.0/20"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/0"],"disabled":true,"allowed":[{"IPProtocol":"tcp","ports":["3389"]}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        assert!(only(&f, ADMIN_PORT_OPEN.id).message.contains("disabled"));
        let f = run(
            r#"{"direction":"EGRESS","destinationRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"all"}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::NotApplicable);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::NotApplicable);
        let f = run(r#"{"sourceTags":["bastion"],"allowed":[{"IPProtocol":"all"}]}"#);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ports":["443"]},{"IPProtocol":"icmp"}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
    }

    #[test]
    fn an_ingress_rule_without_any_source_applies_to_everyone() {
        let f = run(r#"{"allowed":[{"IPProtocol":"tcp","ports":["3389"]}]}"#);
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(admin.message.contains("the default"));
    }

    #[test]
    fn ports_parse() {
        assert_eq!(port_range("22"), Some((22, 22)));
        assert_eq!(port_range(" 1000-2000 "), Some((1000, 2000)));
        assert_eq!(port_range("2000-1000"), None);
        assert_eq!(port_range("ssh"), None);
    }

    #[test]
    fn an_entry_with_both_protocol_spellings_is_read() {
        demarc_sdk::assert_every_spelling!(Allowed<'_>, r#"{"IPProtocol":"tcp","ports":["22"]}"#);
        // As some export paths record it: the rule is judged, not rejected as malformed.
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ipProtocol":"tcp","ports":["22"]}],"denied":[{"IPProtocol":"udp","ipProtocol":"udp"}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Fail);
    }

    #[test]
    fn every_port_in_any_spelling_and_never_for_icmp() {
        for ports in [
            r#"["1-65535"]"#,
            r#"["0-65535"]"#,
            r#"["1-32767","32768-65535"]"#,
        ] {
            let f = run(&format!(
                r#"{{"sourceRanges":["0.0.0.0/0"],"allowed":[{{"IPProtocol":"tcp","ports":{ports}}}]}}"#
            ));
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail, "{ports}");
        }
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ports":["1-32767","32769-65535"]}]}"#,
        );
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
        for protocol in ["icmp", "1", "esp", "ah", "ipip"] {
            let f = run(&format!(
                r#"{{"sourceRanges":["0.0.0.0/0"],"allowed":[{{"IPProtocol":"{protocol}"}}]}}"#
            ));
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass, "{protocol}");
            assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass, "{protocol}");
        }
    }

    #[test]
    fn ranges_that_together_cover_every_address_are_the_internet() {
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/1","128.0.0.0/1"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}]}"#,
        );
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(
            admin.message.contains("together every address"),
            "{}",
            admin.message
        );
        let f = run(
            r#"{"sourceRanges":["0.0.0.0/1","192.168.0.0/16"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}]}"#,
        );
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
    }
}
