//! Managed databases: Azure SQL logical servers and PostgreSQL / MySQL flexible servers.
//!
//! SQL server `properties`: `publicNetworkAccess` (`Enabled` | `Disabled`),
//! `minimalTlsVersion` (`1.0`, `1.1`, `1.2`, `1.3`, `None`), `administratorLogin`,
//! `administrators{azureADOnlyAuthentication, login}`. Flexible server `properties`:
//! `network{publicNetworkAccess, delegatedSubnetResourceId}`, `backup{backupRetentionDays}`.
//! Firewall rules are child resources (`…/firewallRules`, `startIpAddress`/`endIpAddress`):
//! `0.0.0.0`–`0.0.0.0` is Azure's "allow Azure services" rule, `0.0.0.0`–`255.255.255.255`
//! lets in everyone. Whether a server is reachable from the internet is therefore decided at the
//! end of the scan, from a [`DbServer`] and the rules [`crate::estate`] collected.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::{governance, tls_at_least_1_2, types};
use crate::json::{Flag, Int, Obj, Text, id_key};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;

demarc_sdk::include_checks!("database");

/// Least retention, in days.
pub const MIN_BACKUP_DAYS: i64 = 7;
/// A firewall rule wider than this many addresses (a /8) is treated as open to the internet.
pub const INTERNET_WIDE: u64 = 1 << 24;

/// Which family of server; firewall rules are collected per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Engine {
    /// Azure SQL logical server.
    Sql,
    /// PostgreSQL flexible server.
    Postgres,
    /// MySQL flexible server.
    Mysql,
}

impl Engine {
    /// The engine of a server type, if it is one.
    pub fn of_server(resource: &Resource<'_>) -> Option<Engine> {
        if resource.is(types::SQL_SERVER) {
            Some(Engine::Sql)
        } else if resource.is(types::POSTGRES) {
            Some(Engine::Postgres)
        } else if resource.is(types::MYSQL) {
            Some(Engine::Mysql)
        } else {
            None
        }
    }

    /// The engine of a firewall-rule type, if it is one.
    pub fn of_rule(resource: &Resource<'_>) -> Option<Engine> {
        if resource.is(types::SQL_FIREWALL) {
            Some(Engine::Sql)
        } else if resource.is(types::POSTGRES_FIREWALL) {
            Some(Engine::Postgres)
        } else if resource.is(types::MYSQL_FIREWALL) {
            Some(Engine::Mysql)
        } else {
            None
        }
    }

    fn rule_type(self) -> &'static str {
        match self {
            Engine::Sql => types::SQL_FIREWALL,
            Engine::Postgres => types::POSTGRES_FIREWALL,
            Engine::Mysql => types::MYSQL_FIREWALL,
        }
    }

    fn rule_list_command(self) -> &'static str {
        match self {
            Engine::Sql => "az sql server firewall-rule list",
            Engine::Postgres => "az postgres flexible-server firewall-rule list",
            Engine::Mysql => "az mysql flexible-server firewall-rule list",
        }
    }
}

/// What the public-access check needs about a server at the end of the scan.
#[derive(Debug, Clone)]
pub struct DbServer {
    /// The server as findings describe it.
    pub subject: Subject<'static>,
    /// Join key of its id.
    pub key: String,
    /// Its engine family.
    pub engine: Engine,
    /// `publicNetworkAccess` as written.
    pub public_access: Option<String>,
    /// A flexible server's delegated subnet (private access through VNet integration).
    pub subnet: Option<String>,
}

/// One firewall rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRule {
    /// Rule name.
    pub name: String,
    /// `startIpAddress`.
    pub start: String,
    /// `endIpAddress`.
    pub end: String,
}

#[derive(Debug, Default, Deserialize)]
struct SqlProperties<'a> {
    #[serde(rename = "publicNetworkAccess", borrow, default)]
    public_access: Text<'a>,
    #[serde(rename = "minimalTlsVersion", borrow, default)]
    min_tls: Text<'a>,
    #[serde(rename = "administratorLogin", borrow, default)]
    admin_login: Text<'a>,
    #[serde(borrow, default)]
    administrators: Obj<Administrators<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Administrators<'a> {
    #[serde(rename = "azureADOnlyAuthentication", default)]
    entra_only: Flag,
    #[serde(borrow, default)]
    login: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct FlexibleProperties<'a> {
    #[serde(borrow, default)]
    network: Obj<FlexibleNetwork<'a>>,
    #[serde(borrow, default)]
    backup: Obj<FlexibleBackup<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct FlexibleNetwork<'a> {
    #[serde(rename = "publicNetworkAccess", borrow, default)]
    public_access: Text<'a>,
    #[serde(rename = "delegatedSubnetResourceId", borrow, default)]
    subnet: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct FlexibleBackup<'a> {
    #[serde(rename = "backupRetentionDays", default)]
    retention_days: Int,
    #[serde(rename = "geoRedundantBackup", borrow, default)]
    geo: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct RuleProperties<'a> {
    #[serde(rename = "startIpAddress", borrow, default)]
    start: Text<'a>,
    #[serde(rename = "endIpAddress", borrow, default)]
    end: Text<'a>,
}

/// The findings of a database server made now, and its record for the public-access check.
#[derive(Debug)]
pub struct DbOutcome {
    /// Findings decided from the server alone.
    pub findings: Vec<Finding>,
    /// The record for the end of the scan.
    pub server: DbServer,
}

/// Evaluate an Azure SQL server.
pub fn evaluate_sql<'a>(resource: &Resource<'a>) -> Result<DbOutcome, FieldError<'a>> {
    let props: SqlProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let admins = props.administrators.get();
    let entra_only = admins.map_or(Flag(None), |a| a.entra_only);
    let mut entra = subject.finding(&SQL_ENTRA_ONLY).evidence(
        "properties.administrators.azureADOnlyAuthentication",
        entra_only.describe(),
    );
    if let Some(login) = props.admin_login.non_empty() {
        entra = entra.evidence("properties.administratorLogin", login);
    }
    let entra = if entra_only.is_true() {
        let who = admins.and_then(|a| a.login.non_empty()).unwrap_or("?");
        entra.pass(format!(
            "SQL server {label} accepts Microsoft Entra authentication only (admin {who})."
        ))
    } else {
        let login = props.admin_login.non_empty().unwrap_or("the server admin");
        entra.fail(format!(
            "SQL server {label} accepts SQL authentication: the password of {login} bypasses MFA and Conditional Access."
        ))
    };
    let tls = props.min_tls.shown();
    let tls_builder = subject
        .finding(&SQL_MIN_TLS)
        .evidence("properties.minimalTlsVersion", tls);
    let tls_finding = match props.min_tls.get().and_then(tls_at_least_1_2) {
        Some(true) => tls_builder.pass(format!("SQL server {label} requires TLS {tls} or newer.")),
        Some(false) => tls_builder.fail(format!(
            "SQL server {label} accepts TLS {tls}, a deprecated version."
        )),
        None => tls_builder.fail(format!(
            "SQL server {label} sets no minimum TLS version ({tls}), so it accepts TLS 1.0 and 1.1."
        )),
    };
    let findings = vec![entra, tls_finding, governance::owner_tag(&subject)];
    let server = DbServer {
        key: id_key(&subject.id),
        engine: Engine::Sql,
        public_access: props.public_access.non_empty().map(str::to_string),
        subnet: None,
        subject: subject.into_owned(),
    };
    Ok(DbOutcome { findings, server })
}

/// Evaluate a PostgreSQL or MySQL flexible server.
pub fn evaluate_flexible<'a>(
    resource: &Resource<'a>,
    engine: Engine,
) -> Result<DbOutcome, FieldError<'a>> {
    let props: FlexibleProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let backup = props.backup.get();
    let days = backup.and_then(|b| b.retention_days.0);
    let mut builder = subject.finding(&BACKUP_RETENTION).evidence(
        "properties.backup.backupRetentionDays",
        days.map_or("(absent)".to_string(), |d| d.to_string()),
    );
    if let Some(geo) = backup.and_then(|b| b.geo.non_empty()) {
        builder = builder.evidence("properties.backup.geoRedundantBackup", geo);
    }
    let retention = match days {
        Some(d) if d >= MIN_BACKUP_DAYS => builder.pass(format!(
            "Server {label} keeps automated backups for {d} days."
        )),
        Some(d) => builder.fail(format!(
            "Server {label} keeps automated backups for only {}, less than {MIN_BACKUP_DAYS}.",
            super::count(d, "day", "days")
        )),
        None => builder.manual(format!(
            "The export does not record the backup retention of server {label}; `az postgres flexible-server show` / `az mysql flexible-server show` (properties.backup) decides it."
        )),
    };
    let network = props.network.get();
    let findings = vec![retention, governance::owner_tag(&subject)];
    let server = DbServer {
        key: id_key(&subject.id),
        engine,
        public_access: network
            .and_then(|n| n.public_access.non_empty())
            .map(str::to_string),
        subnet: network
            .and_then(|n| n.subnet.non_empty())
            .map(str::to_string),
        subject: subject.into_owned(),
    };
    Ok(DbOutcome { findings, server })
}

/// Read a firewall rule.
pub fn firewall_rule<'a>(resource: &Resource<'a>) -> Result<FirewallRule, FieldError<'a>> {
    let props: RuleProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(FirewallRule {
        name: resource.label().to_string(),
        start: props.start.non_empty().unwrap_or("").to_string(),
        end: props.end.non_empty().unwrap_or("").to_string(),
    })
}

fn ipv4(text: &str) -> Option<u32> {
    text.trim()
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(u32::from)
}

impl FirewallRule {
    /// Azure's "allow Azure services" rule (`0.0.0.0`–`0.0.0.0`).
    pub fn is_azure_services(&self) -> bool {
        ipv4(&self.start) == Some(0) && ipv4(&self.end) == Some(0)
    }

    /// Whether the rule admits the whole internet, or a range wider than a /8.
    pub fn is_internet_wide(&self) -> bool {
        match (ipv4(&self.start), ipv4(&self.end)) {
            (Some(a), Some(b)) if b >= a => u64::from(b - a) + 1 >= INTERNET_WIDE,
            _ => false,
        }
    }

    fn shown(&self) -> String {
        format!("{}: {}-{}", self.name, self.start, self.end)
    }
}

/// The public-access finding of a server, with its firewall rules (`None` when the export holds
/// no firewall rule of this server: other servers' rules say nothing about it).
pub fn public_finding(server: &DbServer, rules: Option<&[FirewallRule]>) -> Finding {
    let label = server.subject.label();
    let access = server.public_access.as_deref();
    let mut builder = server.subject.finding(&PUBLIC_NETWORK_ACCESS).evidence(
        match server.engine {
            Engine::Sql => "properties.publicNetworkAccess",
            _ => "properties.network.publicNetworkAccess",
        },
        access.unwrap_or("(absent)"),
    );
    if access.is_some_and(|a| a.eq_ignore_ascii_case("Disabled")) {
        return builder.pass(format!(
            "Server {label} has public network access disabled."
        ));
    }
    if let Some(subnet) = &server.subnet {
        return builder
            .evidence("properties.network.delegatedSubnetResourceId", subnet)
            .pass(format!(
                "Server {label} is reachable only inside its virtual network (private access)."
            ));
    }
    let Some(rules) = rules else {
        return builder.manual(format!(
            "Server {label} allows public network access, but the export holds no {} of this server; its firewall rules (`{}` or the ARM child resources) decide who can reach it.",
            server.engine.rule_type(),
            server.engine.rule_list_command()
        ));
    };
    let shown: Vec<String> = rules.iter().map(FirewallRule::shown).collect();
    builder = builder.evidence(
        "firewallRules",
        if shown.is_empty() {
            "(none)".to_string()
        } else {
            shown.join("; ")
        },
    );
    let open: Vec<&FirewallRule> = rules.iter().filter(|r| r.is_internet_wide()).collect();
    if let Some(first) = open.first() {
        return builder.fail(format!(
            "Server {label} is open to the internet: public network access is on and firewall rule {} admits {}-{}.",
            first.name, first.start, first.end
        ));
    }
    // Rules that only together admit every address are as open as 0.0.0.0-255.255.255.255.
    let ranges: Vec<(u32, u32)> = rules
        .iter()
        .filter_map(|r| Some((ipv4(&r.start)?, ipv4(&r.end)?)))
        .collect();
    if demarc_sdk::cidr::covers_all_v4(&ranges) {
        return builder.fail(format!(
            "Server {label} is open to the internet: public network access is on and its firewall rules together admit every address ({}).",
            shown.join("; ")
        ));
    }
    let azure = rules.iter().any(FirewallRule::is_azure_services);
    builder.pass(if azure {
        format!(
            "Server {label} admits only listed addresses and Azure services (0.0.0.0-0.0.0.0: any Azure tenant's resources), not the whole internet."
        )
    } else if rules.is_empty() {
        format!("Server {label} has public network access on but no firewall rule, so nobody outside Azure's private paths can connect.")
    } else {
        format!("Server {label} admits only the addresses its firewall rules list.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, resource, status};
    use demarc_sdk::Status;

    const SQL: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/servers/sql1";

    fn sql(props: &str) -> String {
        format!(
            r#"{{"id":"{SQL}","name":"sql1","type":"microsoft.sql/servers","kind":"v12.0","location":"westeurope","tags":{{"team":"db"}},"properties":{props}}}"#
        )
    }

    #[test]
    fn sql_server_entra_only_and_tls() {
        let good = sql(
            r#"{"administratorLogin":"sqladminuser","minimalTlsVersion":"1.2","publicNetworkAccess":"Disabled","administrators":{"administratorType":"ActiveDirectory","login":"dba-group","azureADOnlyAuthentication":true}}"#,
        );
        let r = resource(&good);
        let o = evaluate_sql(&r).unwrap();
        assert_eq!(status(&o.findings, SQL_ENTRA_ONLY.id), Status::Pass);
        assert_eq!(status(&o.findings, SQL_MIN_TLS.id), Status::Pass);
        assert_eq!(o.server.public_access.as_deref(), Some("Disabled"));
        assert_eq!(public_finding(&o.server, None).status, Status::Pass);

        let bad = sql(
            r#"{"administratorLogin":"sqladmin","minimalTlsVersion":"None","publicNetworkAccess":"Enabled"}"#,
        );
        let r = resource(&bad);
        let o = evaluate_sql(&r).unwrap();
        assert_eq!(status(&o.findings, SQL_ENTRA_ONLY.id), Status::Fail);
        assert_eq!(status(&o.findings, SQL_MIN_TLS.id), Status::Fail);
        let old = sql(
            r#"{"minimalTlsVersion":"1.0","administrators":{"azureADOnlyAuthentication":false}}"#,
        );
        let r = resource(&old);
        let o = evaluate_sql(&r).unwrap();
        assert_eq!(status(&o.findings, SQL_MIN_TLS.id), Status::Fail);
        assert_eq!(status(&o.findings, SQL_ENTRA_ONLY.id), Status::Fail);
    }

    fn rule(name: &str, start: &str, end: &str) -> FirewallRule {
        FirewallRule {
            name: name.into(),
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn firewall_rules_decide_public_access() {
        let json = sql(r#"{"publicNetworkAccess":"Enabled"}"#);
        let r = resource(&json);
        let server = evaluate_sql(&r).unwrap().server;
        let open = [
            rule("AllowAzureServices", "0.0.0.0", "0.0.0.0"),
            rule("AllowAll", "0.0.0.0", "255.255.255.255"),
        ];
        let f = public_finding(&server, Some(&open));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("AllowAll"), "{}", f.message);
        let azure = [
            rule("AllowAllWindowsAzureIps", "0.0.0.0", "0.0.0.0"),
            rule("office", "203.0.113.10", "203.0.113.20"),
        ];
        let f = public_finding(&server, Some(&azure));
        assert_eq!(f.status, Status::Pass);
        assert!(f.message.contains("Azure services"));
        assert_eq!(public_finding(&server, Some(&[])).status, Status::Pass);
        let wide = [rule("half", "0.0.0.0", "127.255.255.255")];
        assert_eq!(public_finding(&server, Some(&wide)).status, Status::Fail);
        let f = public_finding(&server, None);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("Microsoft.Sql/servers/firewallRules"));
        // Narrow rules that together admit every address.
        let quarters: Vec<FirewallRule> = (0..512u32)
            .map(|i| {
                let start = std::net::Ipv4Addr::from(i << 23).to_string();
                let end = std::net::Ipv4Addr::from((i << 23) | 0x007f_ffff).to_string();
                rule(&format!("r{i}"), &start, &end)
            })
            .collect();
        assert!(quarters.iter().all(|r| !r.is_internet_wide()));
        let f = public_finding(&server, Some(&quarters));
        assert_eq!(f.status, Status::Fail, "{}", f.message);
        assert!(f.message.contains("together admit every address"));
        assert_eq!(
            public_finding(&server, Some(&quarters[1..])).status,
            Status::Pass
        );
        let bad = [rule("typo", "10.0.0.300", "nope")];
        assert_eq!(public_finding(&server, Some(&bad)).status, Status::Pass);
    }

    #[test]
    fn flexible_servers() {
        let pg = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1","name":"pg1","type":"microsoft.dbforpostgresql/flexibleservers","location":"westeurope",
            "properties":{"version":"16","network":{"publicNetworkAccess":"Enabled"},"backup":{"backupRetentionDays":3,"geoRedundantBackup":"Disabled"}}}"#,
        );
        let o = evaluate_flexible(&pg, Engine::Postgres).unwrap();
        let f = &o.findings;
        assert_eq!(status(f, BACKUP_RETENTION.id), Status::Fail);
        assert_eq!(
            evidence(&f[0], "properties.backup.backupRetentionDays"),
            Some("3")
        );
        let open = [rule("all", "0.0.0.0", "255.255.255.255")];
        let p = public_finding(&o.server, Some(&open));
        assert_eq!(p.status, Status::Fail);
        assert_eq!(
            evidence(&p, "properties.network.publicNetworkAccess"),
            Some("Enabled")
        );

        let my = resource(
            r#"{"id":"/subscriptions/s1/x/my1","type":"Microsoft.DBforMySQL/flexibleServers","properties":{"network":{"publicNetworkAccess":"Disabled","delegatedSubnetResourceId":"/subscriptions/s1/x/subnets/db"},"backup":{"backupRetentionDays":"14"}}}"#,
        );
        let o = evaluate_flexible(&my, Engine::Mysql).unwrap();
        assert_eq!(status(&o.findings, BACKUP_RETENTION.id), Status::Pass);
        assert_eq!(public_finding(&o.server, None).status, Status::Pass);
        let vnet = resource(
            r#"{"id":"/subscriptions/s1/x/my2","type":"Microsoft.DBforMySQL/flexibleServers","properties":{"network":{"delegatedSubnetResourceId":"/subscriptions/s1/x/subnets/db"}}}"#,
        );
        let o = evaluate_flexible(&vnet, Engine::Mysql).unwrap();
        assert_eq!(status(&o.findings, BACKUP_RETENTION.id), Status::Manual);
        assert_eq!(public_finding(&o.server, None).status, Status::Pass);
    }

    #[test]
    fn rule_types_and_rules() {
        let json = format!(
            r#"{{"id":"{SQL}/firewallRules/AllowAll","name":"AllowAll","type":"microsoft.sql/servers/firewallrules","properties":{{"startIpAddress":"0.0.0.0","endIpAddress":"255.255.255.255"}}}}"#
        );
        let r = resource(&json);
        assert_eq!(Engine::of_rule(&r), Some(Engine::Sql));
        let rule = firewall_rule(&r).unwrap();
        assert!(rule.is_internet_wide() && !rule.is_azure_services());
        assert_eq!(crate::json::parent_key(r.id()), id_key(SQL));
    }
}
