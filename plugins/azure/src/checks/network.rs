//! Network security groups: management ports and whole port ranges open to the internet; and the
//! network interfaces and public IPs that tell whether a VM is public.
//!
//! Rules are `properties.securityRules[]`, each `{name, properties{access (Allow | Deny),
//! direction (Inbound | Outbound), protocol (Tcp | Udp | Icmp | Esp | Ah | *), priority,
//! sourceAddressPrefix | sourceAddressPrefixes[], destinationPortRange |
//! destinationPortRanges[]}}`; `az network nsg show` prints the same rule fields without the
//! `properties` level, and both are read. The internet is a source of `*`, `Internet`, `Any` or
//! a `/0` prefix; ports are a single port, a range (`1-65535`) or `*`. The default rules
//! (`defaultSecurityRules`) never admit the internet and are not read. An Allow rule is shadowed
//! when a Deny rule with a lower priority number covers the same traffic from the internet.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::vm::Reference;
use super::{Evaluated, and_list};
use crate::json::{Int, List, Obj, Text, id_key};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;

demarc_sdk::include_checks!("network");

/// Management ports and their services.
pub const ADMIN_PORTS: [(u32, &str); 5] = [
    (22, "SSH"),
    (3389, "RDP"),
    (23, "Telnet"),
    (5985, "WinRM"),
    (5986, "WinRM over HTTPS"),
];

#[derive(Debug, Default, Deserialize)]
struct NsgProperties<'a> {
    #[serde(rename = "securityRules", borrow, default)]
    rules: List<Rule<'a>>,
}

/// A rule with its fields under `properties` (ARM, Resource Graph) or at the top (Azure CLI).
#[derive(Debug, Default, Deserialize)]
struct Rule<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    properties: Obj<Box<Rule<'a>>>,
    #[serde(borrow, default)]
    access: Text<'a>,
    #[serde(borrow, default)]
    direction: Text<'a>,
    #[serde(borrow, default)]
    protocol: Text<'a>,
    #[serde(default)]
    priority: Int,
    #[serde(rename = "sourceAddressPrefix", borrow, default)]
    source: Text<'a>,
    #[serde(rename = "sourceAddressPrefixes", borrow, default)]
    sources: List<Text<'a>>,
    #[serde(rename = "destinationPortRange", borrow, default)]
    port: Text<'a>,
    #[serde(rename = "destinationPortRanges", borrow, default)]
    ports: List<Text<'a>>,
}

impl<'a> Rule<'a> {
    /// The rule's fields, wherever they are.
    fn fields(&self) -> &Rule<'a> {
        self.properties.get().map_or(self, |p| p.as_ref())
    }

    fn inbound(&self) -> bool {
        self.fields().direction.eq_ignore_case("Inbound")
    }

    fn allows(&self) -> bool {
        self.fields().access.eq_ignore_case("Allow")
    }

    fn denies(&self) -> bool {
        self.fields().access.eq_ignore_case("Deny")
    }

    /// Whether the rule's protocol carries TCP (`Tcp` or any).
    fn tcp(&self) -> bool {
        let p = &self.fields().protocol;
        p.non_empty().is_none()
            || p.eq_ignore_case("Tcp")
            || p.eq_ignore_case("*")
            || p.eq_ignore_case("Any")
    }

    fn priority(&self) -> i64 {
        self.fields().priority.0.unwrap_or(i64::MAX)
    }

    /// The internet-facing source prefixes of the rule: those that are the internet on their
    /// own, else all of them when together they cover every address (`0.0.0.0/1` and
    /// `128.0.0.0/1`).
    fn internet_sources(&self) -> Vec<&str> {
        let f = self.fields();
        let all: Vec<&str> = f
            .source
            .non_empty()
            .into_iter()
            .chain(f.sources.iter().filter_map(Text::non_empty))
            .collect();
        let open: Vec<&str> = all.iter().copied().filter(|s| is_internet(s)).collect();
        if open.is_empty() && demarc_sdk::cidr::covers_everything(all.iter().copied()) {
            return all;
        }
        open
    }

    /// Whether the rule's protocol has no ports (ICMP, ESP, AH): such a rule never opens a port.
    fn portless(&self) -> bool {
        let p = &self.fields().protocol;
        ["Icmp", "Esp", "Ah"].iter().any(|n| p.eq_ignore_case(n))
    }

    /// The destination port ranges, inclusive.
    fn port_ranges(&self) -> Vec<(u32, u32)> {
        let f = self.fields();
        f.port
            .non_empty()
            .into_iter()
            .chain(f.ports.iter().filter_map(Text::non_empty))
            .filter_map(parse_ports)
            .collect()
    }

    fn name(&self) -> &str {
        self.name
            .non_empty()
            .or_else(|| self.fields().name.non_empty())
            .unwrap_or("?")
    }

    fn describe(&self) -> String {
        let f = self.fields();
        let ports: Vec<String> = f
            .port
            .non_empty()
            .into_iter()
            .chain(f.ports.iter().filter_map(Text::non_empty))
            .map(str::to_string)
            .collect();
        format!(
            "{}: {} {} port {} from {} (priority {})",
            self.name(),
            f.access.shown(),
            f.protocol.non_empty().unwrap_or("*"),
            if ports.is_empty() {
                "*".to_string()
            } else {
                ports.join(",")
            },
            self.internet_sources().join(","),
            f.priority.0.map_or("?".to_string(), |p| p.to_string()),
        )
    }
}

/// Whether a source address prefix is the whole internet.
pub fn is_internet(prefix: &str) -> bool {
    let p = prefix.trim();
    ["*", "Internet", "Any"]
        .iter()
        .any(|i| p.eq_ignore_ascii_case(i))
        || p == "0.0.0.0"
        || p.ends_with("/0")
}

/// Parse a port spec: `22`, `1000-2000`, `*`. `None` for anything else.
pub fn parse_ports(spec: &str) -> Option<(u32, u32)> {
    let s = spec.trim();
    if s == "*" || s.eq_ignore_ascii_case("any") {
        return Some((0, 65535));
    }
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => s.parse().ok().map(|p| (p, p)),
    }
}

/// Whether a rule's ranges cover every port.
fn covers_all(ranges: &[(u32, u32)]) -> bool {
    ranges.iter().any(|(a, b)| *a <= 1 && *b >= 65535)
}

/// Whether a higher-priority Deny rule from the internet covers `from..=to` over TCP (or, with
/// `any_protocol`, over every protocol).
fn shadowed(
    rules: &List<Rule<'_>>,
    allow: &Rule<'_>,
    from: u32,
    to: u32,
    any_protocol: bool,
) -> bool {
    rules.iter().any(|deny| {
        deny.inbound()
            && deny.denies()
            && deny.priority() < allow.priority()
            && !deny.internet_sources().is_empty()
            && (if any_protocol {
                deny.fields()
                    .protocol
                    .non_empty()
                    .is_none_or(|p| p == "*" || p.eq_ignore_ascii_case("any"))
            } else {
                deny.tcp()
            })
            && deny
                .port_ranges()
                .iter()
                .any(|(a, b)| *a <= from && to <= *b)
    })
}

/// Evaluate a network security group.
pub fn evaluate<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: NsgProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    Ok(vec![
        admin_ports(&subject, &props),
        all_ports(&subject, &props),
    ])
}

fn open_rules<'r, 'a>(props: &'r NsgProperties<'a>) -> impl Iterator<Item = (usize, &'r Rule<'a>)> {
    props
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.inbound() && r.allows() && !r.internet_sources().is_empty())
}

fn admin_ports(subject: &Subject<'_>, props: &NsgProperties<'_>) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&ADMIN_PORT_OPEN);
    let mut exposed: Vec<String> = Vec::new();
    for (i, rule) in open_rules(props) {
        if !rule.tcp() {
            continue;
        }
        let ranges = rule.port_ranges();
        let hits: Vec<String> = ADMIN_PORTS
            .iter()
            .filter(|(port, _)| {
                ranges.iter().any(|(a, b)| a <= port && port <= b)
                    && !shadowed(&props.rules, rule, *port, *port, false)
            })
            .map(|(port, service)| format!("{port} ({service})"))
            .collect();
        if hits.is_empty() {
            continue;
        }
        builder = builder.evidence(format!("properties.securityRules[{i}]"), rule.describe());
        exposed.push(format!("{} via rule {}", and_list(&hits), rule.name()));
    }
    if exposed.is_empty() {
        builder
            .evidence(
                "properties.securityRules",
                format!(
                    "{}, none admitting SSH, RDP, Telnet or WinRM from the internet",
                    super::count(props.rules.len() as u64, "rule", "rules")
                ),
            )
            .pass(format!(
                "Network security group {label} opens no management port to the internet."
            ))
    } else {
        builder.fail(format!(
            "Network security group {label} opens {} to the whole internet.",
            exposed.join("; ")
        ))
    }
}

fn all_ports(subject: &Subject<'_>, props: &NsgProperties<'_>) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&ALL_PORTS_OPEN);
    let mut open: Vec<&str> = Vec::new();
    for (i, rule) in open_rules(props) {
        if rule.portless() {
            continue;
        }
        let ranges = rule.port_ranges();
        let any_protocol =
            !rule.tcp() || rule.fields().protocol.non_empty().is_none_or(|p| p == "*");
        if covers_all(&ranges) && !shadowed(&props.rules, rule, 1, 65535, any_protocol) {
            builder = builder.evidence(format!("properties.securityRules[{i}]"), rule.describe());
            open.push(rule.name());
        }
    }
    if open.is_empty() {
        builder
            .evidence(
                "properties.securityRules",
                format!(
                    "{}, none opening every port to the internet",
                    super::count(props.rules.len() as u64, "rule", "rules")
                ),
            )
            .pass(format!(
                "Network security group {label} opens no full port range to the internet."
            ))
    } else {
        builder.fail(format!(
            "Network security group {label} allows every port from the internet (rule {}).",
            and_list(&open)
        ))
    }
}

#[derive(Debug, Default, Deserialize)]
struct NicProperties<'a> {
    #[serde(rename = "ipConfigurations", borrow, default)]
    ip_configurations: List<IpConfiguration<'a>>,
}

demarc_sdk::spelled_struct! {
    /// An IP configuration, with its fields under `properties` (ARM) or at the top (Azure CLI).
    #[derive(Debug)]
    struct IpConfiguration<'a> {
        properties: Obj<Box<IpConfiguration<'a>>> = ["properties"],
        public_ip: Obj<Reference<'a>> = ["publicIPAddress", "publicIpAddress"],
    }
}

/// The public IP resources a network interface references, as join keys.
pub fn nic_public_ips<'a>(resource: &Resource<'a>) -> Result<Vec<String>, FieldError<'a>> {
    let props: NicProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(props
        .ip_configurations
        .iter()
        .filter_map(|c| {
            let c = c.properties.get().map_or(c, |p| p.as_ref());
            c.public_ip.get().and_then(|r| r.id.non_empty()).map(id_key)
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
struct PublicIpProperties<'a> {
    #[serde(rename = "ipAddress", borrow, default)]
    address: Text<'a>,
}

/// The address of a public IP resource, when one is allocated.
pub fn public_ip_address<'a>(resource: &Resource<'a>) -> Result<Option<String>, FieldError<'a>> {
    let props: PublicIpProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(props.address.non_empty().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, only, resource, status};
    use demarc_sdk::Status;

    fn nsg(rules: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1","name":"nsg1","type":"microsoft.network/networksecuritygroups","location":"westeurope","properties":{{"securityRules":[{rules}],"defaultSecurityRules":[{{"name":"AllowInternetOutBound","properties":{{"access":"Allow","direction":"Outbound","sourceAddressPrefix":"*","destinationPortRange":"*","protocol":"*","priority":65001}}}}]}}}}"#
        )
    }

    fn rule(
        name: &str,
        access: &str,
        protocol: &str,
        source: &str,
        ports: &str,
        priority: u32,
    ) -> String {
        format!(
            r#"{{"name":"{name}","properties":{{"access":"{access}","direction":"Inbound","protocol":"{protocol}","sourceAddressPrefix":"{source}","sourcePortRange":"*","destinationAddressPrefix":"*","destinationPortRange":"{ports}","priority":{priority}}}}}"#
        )
    }

    fn eval(json: &str) -> Vec<Finding> {
        let r = resource(json);
        evaluate(&r).unwrap()
    }

    #[test]
    fn ssh_from_anywhere_fails_in_every_spelling() {
        for source in ["*", "Internet", "Any", "0.0.0.0/0"] {
            let f = eval(&nsg(&rule("ssh", "Allow", "Tcp", source, "22", 100)));
            let admin = only(&f, ADMIN_PORT_OPEN.id);
            assert_eq!(admin.status, Status::Fail, "{source}");
            assert!(admin.message.contains("22 (SSH)"), "{}", admin.message);
            assert!(
                evidence(admin, "properties.securityRules[0]")
                    .unwrap()
                    .contains("priority 100")
            );
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
        }
    }

    #[test]
    fn ranges_lists_and_prefix_lists() {
        let plural = r#"{"name":"mgmt","properties":{"access":"Allow","direction":"Inbound","protocol":"*","sourceAddressPrefixes":["10.0.0.0/8","0.0.0.0/0"],"destinationPortRanges":["443","3380-3390"],"priority":200}}"#;
        let f = eval(&nsg(plural));
        let admin = only(&f, ADMIN_PORT_OPEN.id);
        assert_eq!(admin.status, Status::Fail);
        assert!(admin.message.contains("3389 (RDP)"));
        // A flattened (Azure CLI) rule with every port.
        let flat = r#"{"name":"any","access":"Allow","direction":"Inbound","protocol":"*","sourceAddressPrefix":"Internet","destinationPortRange":"1-65535","priority":300}"#;
        let f = eval(&nsg(flat));
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Fail);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail);
        let star = eval(&nsg(&rule("star", "Allow", "Udp", "*", "*", 310)));
        assert_eq!(status(&star, ALL_PORTS_OPEN.id), Status::Fail);
        assert_eq!(
            status(&star, ADMIN_PORT_OPEN.id),
            Status::Pass,
            "UDP carries no SSH/RDP here"
        );
    }

    #[test]
    fn restricted_outbound_denied_or_shadowed_rules_pass() {
        let rules = [
            rule("ssh-office", "Allow", "Tcp", "203.0.113.0/24", "22", 100),
            rule("https", "Allow", "Tcp", "Internet", "443", 110),
            rule("deny-rdp", "Deny", "Tcp", "*", "3389", 120),
            rule("rdp-shadowed", "Allow", "Tcp", "*", "3389", 130),
            r#"{"name":"out","properties":{"access":"Allow","direction":"Outbound","protocol":"*","sourceAddressPrefix":"*","destinationPortRange":"*","priority":140}}"#.to_string(),
            rule("vnet", "Allow", "Tcp", "VirtualNetwork", "*", 150),
        ];
        let f = eval(&nsg(&rules.join(",")));
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
        assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass);
        let empty = eval(&nsg(""));
        assert_eq!(status(&empty, ADMIN_PORT_OPEN.id), Status::Pass);
        // A Deny with a *higher* priority number does not shadow.
        let late = [
            rule("ssh", "Allow", "Tcp", "*", "22", 100),
            rule("deny", "Deny", "*", "*", "*", 4000),
        ];
        assert_eq!(
            status(&eval(&nsg(&late.join(","))), ADMIN_PORT_OPEN.id),
            Status::Fail
        );
    }

    #[test]
    fn port_specs() {
        assert_eq!(parse_ports("22"), Some((22, 22)));
        assert_eq!(parse_ports(" 1-65535 "), Some((1, 65535)));
        assert_eq!(parse_ports("*"), Some((0, 65535)));
        assert_eq!(parse_ports("9-1"), None);
        assert_eq!(parse_ports("ssh"), None);
        assert!(
            is_internet("::/0") && !is_internet("10.0.0.0/8") && !is_internet("AzureLoadBalancer")
        );
    }

    #[test]
    fn nics_and_public_ips() {
        let nic = resource(
            r#"{"id":"/subscriptions/s1/x/nic1","type":"microsoft.network/networkinterfaces","properties":{"ipConfigurations":[
            {"name":"ipconfig1","properties":{"privateIPAddress":"10.0.0.4","publicIPAddress":{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/IP1"}}},
            {"name":"ipconfig2","publicIpAddress":{"id":"/subscriptions/s1/x/ip2"}},
            {"name":"ipconfig3","properties":{"privateIPAddress":"10.0.0.5"}}]}}"#,
        );
        assert_eq!(
            nic_public_ips(&nic).unwrap(),
            vec![
                "/subscriptions/s1/resourcegroups/rg/providers/microsoft.network/publicipaddresses/ip1",
                "/subscriptions/s1/x/ip2"
            ]
        );
        let ip = resource(
            r#"{"id":"/subscriptions/s1/x/ip2","type":"microsoft.network/publicipaddresses","properties":{"ipAddress":"20.4.5.6","publicIPAllocationMethod":"Static"}}"#,
        );
        assert_eq!(public_ip_address(&ip).unwrap().as_deref(), Some("20.4.5.6"));
        let none = resource(
            r#"{"id":"/subscriptions/s1/x/ip3","type":"microsoft.network/publicipaddresses","properties":{"publicIPAllocationMethod":"Dynamic"}}"#,
        );
        assert_eq!(public_ip_address(&none).unwrap(), None);
    }

    #[test]
    fn every_spelling_of_an_ip_configuration_at_once() {
        demarc_sdk::assert_every_spelling!(
            IpConfiguration<'_>,
            r#"{"publicIPAddress":{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/publicIPAddresses/p"}}"#
        );
    }

    #[test]
    fn icmp_opens_no_port_and_every_port_range_spelling_opens_all() {
        for protocol in ["Icmp", "ICMP", "Esp", "Ah"] {
            let f = eval(&nsg(&rule("ping", "Allow", protocol, "*", "*", 100)));
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Pass, "{protocol}");
            assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass, "{protocol}");
        }
        for ports in ["*", "0-65535", "1-65535"] {
            let f = eval(&nsg(&rule("all", "Allow", "Tcp", "Internet", ports, 100)));
            assert_eq!(status(&f, ALL_PORTS_OPEN.id), Status::Fail, "{ports}");
        }
    }

    #[test]
    fn prefixes_that_together_cover_every_address_are_the_internet() {
        let halves = r#"{"name":"halves","properties":{"access":"Allow","direction":"Inbound","protocol":"Tcp","sourceAddressPrefixes":["0.0.0.0/1","128.0.0.0/1"],"destinationPortRange":"3389","priority":100}}"#;
        let f = eval(&nsg(halves));
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Fail);
        let half = r#"{"name":"half","properties":{"access":"Allow","direction":"Inbound","protocol":"Tcp","sourceAddressPrefixes":["0.0.0.0/1","10.0.0.0/8"],"destinationPortRange":"3389","priority":100}}"#;
        let f = eval(&nsg(half));
        assert_eq!(status(&f, ADMIN_PORT_OPEN.id), Status::Pass);
    }
}
