//! Security groups: management ports and whole port ranges open to the internet.
//!
//! Ingress rules are `configuration.ipPermissions[]`: `ipProtocol` (`tcp`, `udp`, `icmp`, a
//! protocol number, or `-1` for all traffic, which has no ports), `fromPort`/`toPort`,
//! `ipv4Ranges[{cidrIp}]`, `ipv6Ranges[{cidrIpv6}]`, and on older items a flat
//! `ipRanges["0.0.0.0/0"]`. The internet is `0.0.0.0/0` or `::/0`.

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::Finding;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Evaluated, and_list};
use crate::config_item::{ConfigItem, Subject};
use demarc_sdk::json::{Int, List, Text};

demarc_sdk::include_checks!("security_group");

/// Management ports and their services.
pub const ADMIN_PORTS: [(i64, &str); 5] = [
    (22, "SSH"),
    (3389, "RDP"),
    (23, "Telnet"),
    (5985, "WinRM"),
    (5986, "WinRM over HTTPS"),
];

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct SecurityGroup<'a> {
        ingress: List<Permission<'a>> = ["ipPermissions", "IpPermissions"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Permission<'a> {
        protocol: Text<'a> = ["ipProtocol", "IpProtocol"],
        from_port: Int = ["fromPort", "FromPort"],
        to_port: Int = ["toPort", "ToPort"],
        ipv4: List<Cidr<'a>> = ["ipv4Ranges", "IpRanges4"],
        ipv6: List<Cidr<'a>> = ["ipv6Ranges", "Ipv6Ranges"],
        /// Legacy flat list of strings (or, in the EC2 API's spelling `IpRanges`, `{CidrIp}` objects).
        legacy: List<Cidr<'a>> = ["ipRanges", "IpRanges"],
    }
}

/// A CIDR: a string, or an object with `cidrIp` / `cidrIpv6` (any case).
#[derive(Debug, Default)]
struct Cidr<'a>(Text<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Cidr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cidr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIDR string or {cidrIp}")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cidr(Text(Some(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cidr(Text(Some(Cow::Owned(v.to_string())))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut cidr = Text::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let is_cidr = key.is_some_and(|k| {
                        k.eq_ignore_ascii_case("cidrIp") || k.eq_ignore_ascii_case("cidrIpv6")
                    });
                    if is_cidr && cidr.0.is_none() {
                        cidr = map.next_value()?;
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(Cidr(cidr))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cidr::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// What traffic a rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Traffic {
    /// Every protocol and port (`-1`).
    All,
    /// TCP ports `from..=to`.
    Tcp(i64, i64),
    /// UDP ports `from..=to`.
    Udp(i64, i64),
    /// ICMP or another protocol.
    Other,
}

impl Permission<'_> {
    fn traffic(&self) -> Traffic {
        let protocol = self
            .protocol
            .get()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let ports = || match (self.from_port.0, self.to_port.0) {
            (Some(-1), Some(-1)) | (None, None) => (0, 65535),
            (from, to) => (from.unwrap_or(0), to.or(from).unwrap_or(65535)),
        };
        match protocol.as_str() {
            "-1" | "all" => Traffic::All,
            "tcp" | "6" => {
                let (f, t) = ports();
                Traffic::Tcp(f, t)
            }
            "udp" | "17" => {
                let (f, t) = ports();
                Traffic::Udp(f, t)
            }
            _ => Traffic::Other,
        }
    }

    fn describe(&self) -> String {
        match self.traffic() {
            Traffic::All => "all traffic (ipProtocol -1)".to_string(),
            Traffic::Tcp(f, t) => format!("tcp {f}-{t}"),
            Traffic::Udp(f, t) => format!("udp {f}-{t}"),
            Traffic::Other => format!("ipProtocol {}", self.protocol.get().unwrap_or("?")),
        }
    }

    /// The internet-facing sources of the rule: evidence path and CIDR.
    fn internet_sources(&self, rule: usize) -> Vec<(String, String)> {
        let base = format!("configuration.ipPermissions[{rule}]");
        let mut out = Vec::new();
        let lists: [(&List<Cidr<'_>>, &str, &str); 3] = [
            (&self.ipv4, "ipv4Ranges", ".cidrIp"),
            (&self.ipv6, "ipv6Ranges", ".cidrIpv6"),
            (&self.legacy, "ipRanges", ""),
        ];
        for (list, field, leaf) in lists {
            for (i, cidr) in list.iter().enumerate() {
                if let Some(c) = cidr.0.non_empty().filter(|c| is_internet(c)) {
                    out.push((format!("{base}.{field}[{i}]{leaf}"), c.to_string()));
                }
            }
        }
        if out.is_empty() {
            // Blocks that only together cover every address (0.0.0.0/1 and 128.0.0.0/1).
            let blocks: Vec<&str> = lists
                .iter()
                .flat_map(|(list, _, _)| list.iter().filter_map(|c| c.0.non_empty()))
                .collect();
            if demarc_sdk::cidr::covers_everything(blocks.iter().copied()) {
                out.push((
                    base,
                    format!("{} (together every address)", blocks.join(" + ")),
                ));
            }
        }
        out
    }
}

/// Whether a CIDR is the whole internet.
pub fn is_internet(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0" | "::0/0")
}

/// Evaluate an `AWS::EC2::SecurityGroup` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let group: SecurityGroup<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject();
    if !super::recorded(item) {
        let describe = "aws ec2 describe-security-groups";
        return Ok(super::unrecorded(
            &subject,
            &[(&ADMIN_PORT_OPEN, describe), (&ALL_PORTS_OPEN, describe)],
            "configuration",
        ));
    }
    Ok(vec![
        admin_ports(&subject, &group),
        all_ports(&subject, &group),
    ])
}

/// The ingress rules open to the internet, for the evidence of a pass.
fn ingress_summary(group: &SecurityGroup<'_>) -> String {
    let open: Vec<String> = group
        .ingress
        .iter()
        .enumerate()
        .filter_map(|(rule, p)| {
            let sources = p.internet_sources(rule);
            (!sources.is_empty()).then(|| {
                let cidrs: Vec<&str> = sources.iter().map(|(_, c)| c.as_str()).collect();
                format!("{} from {}", p.describe(), cidrs.join(" and "))
            })
        })
        .collect();
    if open.is_empty() {
        format!(
            "{}, none from 0.0.0.0/0 or ::/0",
            super::count(
                group.ingress.0.len() as u64,
                "ingress rule",
                "ingress rules"
            )
        )
    } else {
        format!(
            "{}; internet-facing: {}",
            super::count(
                group.ingress.0.len() as u64,
                "ingress rule",
                "ingress rules"
            ),
            open.join("; ")
        )
    }
}

fn admin_ports(subject: &Subject<'_, '_>, group: &SecurityGroup<'_>) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&ADMIN_PORT_OPEN);
    let mut services: Vec<String> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    for (rule, permission) in group.ingress.iter().enumerate() {
        let traffic = permission.traffic();
        let exposed: Vec<(i64, &str)> = ADMIN_PORTS
            .iter()
            .copied()
            .filter(|(port, _)| match traffic {
                Traffic::All => true,
                Traffic::Tcp(from, to) => from <= *port && *port <= to,
                Traffic::Udp(..) | Traffic::Other => false,
            })
            .collect();
        if exposed.is_empty() {
            continue;
        }
        for (path, cidr) in permission.internet_sources(rule) {
            let ports: Vec<String> = exposed.iter().map(|(p, s)| format!("{p} ({s})")).collect();
            builder = builder.evidence(
                path,
                format!(
                    "{cidr} on {}: port {}",
                    permission.describe(),
                    ports.join(", ")
                ),
            );
            for (port, service) in &exposed {
                let s = format!("{service} ({port})");
                if !services.contains(&s) {
                    services.push(s);
                }
            }
            if !sources.contains(&cidr) {
                sources.push(cidr);
            }
        }
    }
    if services.is_empty() {
        builder
            .evidence("configuration.ipPermissions", ingress_summary(group))
            .pass(format!(
                "Security group {label} opens no management port (22, 3389, 23, 5985, 5986) to the internet."
            ))
    } else {
        builder.fail(format!(
            "Security group {label} allows {} from {}.",
            and_list(&services),
            and_list(&sources)
        ))
    }
}

fn all_ports(subject: &Subject<'_, '_>, group: &SecurityGroup<'_>) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&ALL_PORTS_OPEN);
    let mut offending: Vec<String> = Vec::new();
    for (rule, permission) in group.ingress.iter().enumerate() {
        let wide = match permission.traffic() {
            Traffic::All => true,
            // Port 0 is reserved: 1-65535 is every port as much as 0-65535.
            Traffic::Tcp(from, to) | Traffic::Udp(from, to) => from <= 1 && to >= 65535,
            Traffic::Other => false,
        };
        if !wide {
            continue;
        }
        for (path, cidr) in permission.internet_sources(rule) {
            let what = permission.describe();
            builder = builder.evidence(path, format!("{cidr} on {what}"));
            offending.push(format!("{what} from {cidr}"));
        }
    }
    if offending.is_empty() {
        builder
            .evidence("configuration.ipPermissions", ingress_summary(group))
            .pass(format!(
                "Security group {label} opens no full port range to the internet."
            ))
    } else {
        builder.fail(format!(
            "Security group {label} allows {}.",
            and_list(&offending)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item, only, status};
    use demarc_sdk::Status;

    fn run(permissions: &str) -> Vec<Finding> {
        let json = format!(
            r#"{{"configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"us-east-1",
            "resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-1","resourceName":"web",
            "ARN":"arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
            "configuration":{{"groupId":"sg-1","ipPermissions":{permissions},"ipPermissionsEgress":[{{"ipProtocol":"-1","ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}]}}]}}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    #[test]
    fn ssh_from_anywhere_fails_with_rule_range_and_port() {
        let findings = run(
            r#"[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"10.0.0.0/8"},{"cidrIp":"0.0.0.0/0"}]}]"#,
        );
        let f = only(&findings, ADMIN_PORT_OPEN.id);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(f, "configuration.ipPermissions[0].ipv4Ranges[1].cidrIp"),
            Some("0.0.0.0/0 on tcp 22-22: port 22 (SSH)")
        );
        assert!(f.message.contains("SSH (22)"), "{}", f.message);
        assert_eq!(status(&findings, ALL_PORTS_OPEN.id), Status::Pass);
    }

    #[test]
    fn all_traffic_without_ports_fails_both_checks() {
        let findings = run(r#"[{"ipProtocol":"-1","ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]}]"#);
        assert_eq!(status(&findings, ADMIN_PORT_OPEN.id), Status::Fail);
        let f = only(&findings, ALL_PORTS_OPEN.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("all traffic"));
    }

    #[test]
    fn ipv6_anywhere_and_legacy_flat_ranges_count() {
        let v6 = run(
            r#"[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipv6Ranges":[{"cidrIpv6":"::/0"}]}]"#,
        );
        assert_eq!(status(&v6, ADMIN_PORT_OPEN.id), Status::Fail);
        let legacy =
            run(r#"[{"ipProtocol":"tcp","fromPort":0,"toPort":65535,"ipRanges":["0.0.0.0/0"]}]"#);
        assert_eq!(status(&legacy, ADMIN_PORT_OPEN.id), Status::Fail);
        let f = only(&legacy, ALL_PORTS_OPEN.id);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(f, "configuration.ipPermissions[0].ipRanges[0]"),
            Some("0.0.0.0/0 on tcp 0-65535")
        );
    }

    #[test]
    fn ports_as_strings_and_ranges_covering_admin_ports() {
        let findings = run(
            r#"[{"ipProtocol":"6","fromPort":"5900","toPort":"6000","ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]},
            {"ipProtocol":"tcp","fromPort":"5980","toPort":"5990","ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]}]"#,
        );
        let f = only(&findings, ADMIN_PORT_OPEN.id);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("WinRM (5985)") && f.message.contains("WinRM over HTTPS (5986)")
        );
    }

    #[test]
    fn restricted_sources_udp_and_web_ports_pass() {
        let findings = run(
            r#"[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]},
            {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"192.0.2.0/24"}],"userIdGroupPairs":[{"groupId":"sg-2"}]},
            {"ipProtocol":"udp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]},
            {"ipProtocol":"icmp","fromPort":-1,"toPort":-1,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]}]"#,
        );
        assert_eq!(status(&findings, ADMIN_PORT_OPEN.id), Status::Pass);
        assert_eq!(status(&findings, ALL_PORTS_OPEN.id), Status::Pass);
        let empty = run("[]");
        assert_eq!(status(&empty, ADMIN_PORT_OPEN.id), Status::Pass);
    }

    #[test]
    fn udp_over_every_port_fails_all_ports_only() {
        let findings = run(
            r#"[{"ipProtocol":"udp","fromPort":0,"toPort":65535,"ipv6Ranges":[{"cidrIpv6":"::/0"}]}]"#,
        );
        assert_eq!(status(&findings, ALL_PORTS_OPEN.id), Status::Fail);
        assert_eq!(status(&findings, ADMIN_PORT_OPEN.id), Status::Pass);
    }

    #[test]
    fn every_spelling_of_a_security_group_at_once() {
        demarc_sdk::assert_every_spelling!(
            Permission<'_>,
            r#"{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}],"ipv6Ranges":[],"ipRanges":["0.0.0.0/0"]}"#
        );
        demarc_sdk::assert_every_spelling!(
            SecurityGroup<'_>,
            r#"{"ipPermissions":[{"ipProtocol":"-1"}]}"#
        );
    }

    #[test]
    fn every_port_whatever_the_range_is_written_as_and_never_for_icmp() {
        let sg = |permission: &str| {
            format!(
                r#"{{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-9","awsRegion":"eu-west-1","configuration":{{"groupId":"sg-9","ipPermissions":[{permission}]}}}}"#
            )
        };
        let run = |permission: &str| {
            let json = sg(permission);
            let i = item(&json);
            evaluate(&i).unwrap()
        };
        for (from, to) in [(1, 65535), (0, 65535)] {
            let f = run(&format!(
                r#"{{"ipProtocol":"tcp","fromPort":{from},"toPort":{to},"ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}]}}"#
            ));
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail, "{from}-{to}");
        }
        // ICMP (all types and codes: ports -1) opens no port.
        let f = run(
            r#"{"ipProtocol":"icmp","fromPort":-1,"toPort":-1,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]}"#,
        );
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        let f = run(
            r#"{"ipProtocol":"icmpv6","fromPort":-1,"toPort":-1,"ipv6Ranges":[{"cidrIpv6":"::/0"}]}"#,
        );
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
    }

    #[test]
    fn blocks_that_together_cover_every_address_are_the_internet() {
        let json = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-8","awsRegion":"eu-west-1","configuration":{"groupId":"sg-8","ipPermissions":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"0.0.0.0/1"},{"cidrIp":"128.0.0.0/1"}]},{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipv4Ranges":[{"cidrIp":"0.0.0.0/1"},{"cidrIp":"10.0.0.0/8"}]}]}}"#;
        let i = item(json);
        let f = evaluate(&i).unwrap();
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(admin.message.contains("SSH (22)"), "{}", admin.message);
        assert!(!admin.message.contains("3389"), "{}", admin.message);
        assert!(
            admin.message.contains("together every address"),
            "{}",
            admin.message
        );
    }
}
