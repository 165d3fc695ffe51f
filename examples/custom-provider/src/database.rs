//! Managed database clusters (`doctl databases list -o json`) and their trusted sources
//! (`doctl databases firewalls list CLUSTER_ID -o json`, one file per cluster).
//!
//! A cluster's trusted-sources verdict uses only the rules of its own file: a cluster whose file
//! is missing is `manual`, never pass or fail, and a rule in a file that names another cluster
//! is a problem of that file, not evidence for either cluster.

use demarc_sdk::time::Timestamp;
use demarc_sdk::{Actor, CheckDef, Finding, FindingBuilder, Severity, cidr};
use serde::Deserialize;

use crate::Ctx;
use crate::droplet::tag_pair;
use crate::export::nullable;

/// The native type of a managed database cluster.
pub const DATABASE: &str = "digitalocean/database-cluster";

/// A cluster admits only trusted sources.
pub static DATABASE_TRUSTED_SOURCES: CheckDef = CheckDef {
    id: "digitalocean-database-open-to-all",
    title: "Managed databases accept connections only from trusted sources",
    severity: Severity::Critical,
    actor: Actor::Customer,
    rationale: "A cluster without trusted sources, or with one for every address, accepts \
                connections from the whole internet: only its password stands between an \
                attacker and the data.",
    remediation: "Add trusted sources for the Droplets, Kubernetes clusters, apps or addresses \
                  that use the cluster (`doctl databases firewalls append`), and remove any rule \
                  for 0.0.0.0/0.",
    controls: &["db-public-access"],
    resource_types: &[DATABASE],
    requirements: &[],
};

/// A cluster is in a VPC network.
pub static DATABASE_PRIVATE_NETWORK: CheckDef = CheckDef {
    id: "digitalocean-database-no-vpc",
    title: "Managed databases are in a VPC network",
    severity: Severity::Medium,
    actor: Actor::Customer,
    rationale: "A cluster outside a VPC can be reached only through its public endpoint, so its \
                applications' traffic crosses the public network.",
    remediation: "Migrate the cluster into the VPC of its applications and connect through the \
                  private host.",
    controls: &["db-public-access"],
    resource_types: &[DATABASE],
    requirements: &[],
};

/// A cluster's engine version is still supported.
pub static DATABASE_ENGINE_SUPPORTED: CheckDef = CheckDef {
    id: "digitalocean-database-engine-end-of-life",
    title: "Managed databases run an engine version before its end of life",
    severity: Severity::High,
    actor: Actor::Customer,
    rationale: "After a version's end of life DigitalOcean no longer ships its security fixes; \
                upgrading the cluster is its owner's decision.",
    remediation: "Upgrade the cluster to a supported major version \
                  (`doctl databases upgrade`), after testing the application against it.",
    controls: &["runtime-supported"],
    resource_types: &[DATABASE],
    requirements: &[],
};

/// One database cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct Database {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `pg`, `mysql`, `redis`, `valkey`, `mongodb`, `kafka`, `opensearch`.
    #[serde(default)]
    pub engine: Option<String>,
    /// The engine's major version.
    #[serde(default)]
    pub version: Option<String>,
    /// When the version reaches its end of life; absent when none is announced.
    #[serde(default)]
    pub version_end_of_life: Option<String>,
    /// Its region slug.
    pub region: String,
    /// The VPC it is in; empty or absent for a cluster outside any.
    #[serde(default)]
    pub private_network_uuid: Option<String>,
    /// Its tags.
    #[serde(default, deserialize_with = "nullable")]
    pub tags: Vec<String>,
}

/// One trusted source of a cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    /// The rule's id.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The cluster it belongs to.
    pub cluster_uuid: String,
    /// `ip_addr`, `droplet`, `tag`, `k8s` or `app`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The address, Droplet id, tag, Kubernetes cluster id or app id.
    pub value: String,
}

/// The rules of one rules file: `doctl`'s array, the API's `{"rules": [...]}`, or `null` for
/// none. A parse error keeps its line and column.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Wrapped {
        #[serde(deserialize_with = "nullable")]
        rules: Vec<Rule>,
    }
    if text.trim_start().starts_with('{') {
        Ok(serde_json::from_str::<Wrapped>(text)?.rules)
    } else {
        Ok(serde_json::from_str::<Option<Vec<Rule>>>(text)?.unwrap_or_default())
    }
}

impl Database {
    /// The resource id demarc reports: DigitalOcean's URN.
    pub fn urn(&self) -> String {
        format!("do:dbaas:{}", self.id)
    }

    fn finding(&self, check: &CheckDef, ctx: &Ctx<'_>) -> FindingBuilder {
        let f = FindingBuilder::new(check, ctx.account, &self.region, DATABASE, &self.urn())
            .name(self.name.as_deref())
            .tags(self.tags.iter().map(|t| tag_pair(t)));
        match &self.engine {
            Some(engine) => f.evidence(
                "engine",
                format!("{engine} {}", self.version.as_deref().unwrap_or("")).trim_end(),
            ),
            None => f,
        }
    }
}

/// Judge a cluster's trusted sources: `rules` is the content of its own rules file, `None` when
/// the snapshot holds none for it.
pub fn database_trusted_sources(db: &Database, rules: Option<&[Rule]>, ctx: &Ctx<'_>) -> Finding {
    let f = db.finding(&DATABASE_TRUSTED_SOURCES, ctx);
    let Some(rules) = rules else {
        return f.manual(format!(
            "the snapshot holds no trusted sources for this cluster \
             (database-firewall-{}.json): whether it is open cannot be told",
            db.id
        ));
    };
    let f = f.evidence("trusted_sources", rules.len());
    if rules.is_empty() {
        return f
            .fail("the cluster has no trusted sources: it accepts connections from any address");
    }
    let addresses = rules
        .iter()
        .filter(|r| r.kind == "ip_addr")
        .map(|r| r.value.as_str());
    if cidr::covers_everything(addresses) {
        let open: Vec<&str> = rules
            .iter()
            .filter(|r| r.kind == "ip_addr")
            .map(|r| r.value.as_str())
            .collect();
        return f
            .evidence("ip_addr", open.join(", "))
            .fail("its trusted sources admit every address");
    }
    let kinds: Vec<String> = ["ip_addr", "droplet", "tag", "k8s", "app"]
        .iter()
        .filter_map(|k| {
            let n = rules.iter().filter(|r| r.kind == *k).count();
            (n > 0).then(|| format!("{k}: {n}"))
        })
        .collect();
    f.evidence("kinds", kinds.join(", "))
        .pass("the cluster accepts connections only from its trusted sources")
}

/// Judge whether a cluster is in a VPC network.
pub fn database_private_network(db: &Database, ctx: &Ctx<'_>) -> Finding {
    let f = db.finding(&DATABASE_PRIVATE_NETWORK, ctx);
    match db.private_network_uuid.as_deref().map(str::trim) {
        Some(vpc) if !vpc.is_empty() => f
            .evidence("private_network_uuid", vpc)
            .pass("the cluster is in a VPC network"),
        _ => f.evidence("private_network_uuid", "none").fail(
            "the cluster is in no VPC network: it is reachable only over its public endpoint",
        ),
    }
}

/// Judge a cluster's engine version against its end of life at the scan's reference time.
pub fn database_engine_supported(db: &Database, ctx: &Ctx<'_>) -> Finding {
    let f = db.finding(&DATABASE_ENGINE_SUPPORTED, ctx);
    let Some(text) = db.version_end_of_life.as_deref().filter(|t| !t.is_empty()) else {
        // `doctl` leaves the field out when DigitalOcean has announced no end of life.
        return f
            .evidence("version_end_of_life", "none announced")
            .pass("no end of life is announced for the engine version");
    };
    let f = f.evidence("version_end_of_life", text);
    match Timestamp::parse(text) {
        Some(eol) if eol.0 <= ctx.now.0 => f.fail(format!(
            "the engine version reached its end of life on {}",
            eol.date()
        )),
        Some(eol) => f.pass(format!(
            "the engine version is supported until {}",
            eol.date()
        )),
        None => f.manual(format!(
            "`version_end_of_life` ({text}) is not a date: support cannot be told"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Status;
    use demarc_sdk::testing;

    fn ctx() -> Ctx<'static> {
        Ctx {
            account: "team-1",
            now: Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
        }
    }

    fn db(extra: &str) -> Database {
        serde_json::from_str(&format!(
            r#"{{"id": "c-1", "name": "orders", "engine": "pg", "version": "16", "region": "fra1"{extra}}}"#
        ))
        .expect("a test cluster parses")
    }

    fn rules(json: &str) -> Vec<Rule> {
        parse_rules(json).unwrap()
    }

    #[test]
    fn trusted_sources_decide_only_with_the_cluster_rules() {
        let d = db("");
        let ctx = ctx();
        assert_eq!(
            database_trusted_sources(&d, None, &ctx).status,
            Status::Manual
        );
        assert_eq!(
            database_trusted_sources(&d, Some(&rules("[]")), &ctx).status,
            Status::Fail
        );
        assert_eq!(
            database_trusted_sources(&d, Some(&rules("null")), &ctx).status,
            Status::Fail
        );
        let open = rules(
            r#"{"rules": [{"uuid": "r1", "cluster_uuid": "c-1", "type": "ip_addr", "value": "0.0.0.0/0"}]}"#,
        );
        let f = database_trusted_sources(&d, Some(&open), &ctx);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(testing::evidence(&f, "ip_addr"), Some("0.0.0.0/0"));
        let narrow = rules(
            r#"[{"uuid": "r1", "cluster_uuid": "c-1", "type": "ip_addr", "value": "198.51.100.7"},
                {"uuid": "r2", "cluster_uuid": "c-1", "type": "tag", "value": "backend"}]"#,
        );
        let f = database_trusted_sources(&d, Some(&narrow), &ctx);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(testing::evidence(&f, "kinds"), Some("ip_addr: 1, tag: 1"));
        assert_eq!(testing::evidence(&f, "engine"), Some("pg 16"));
    }

    #[test]
    fn a_cluster_outside_a_vpc_fails() {
        let ctx = ctx();
        let inside = db(r#", "private_network_uuid": "5a4981aa-9653-4bd1-bef5-d6bff52042e4""#);
        assert_eq!(database_private_network(&inside, &ctx).status, Status::Pass);
        assert_eq!(
            database_private_network(&db(r#", "private_network_uuid": """#), &ctx).status,
            Status::Fail
        );
        assert_eq!(database_private_network(&db(""), &ctx).status, Status::Fail);
    }

    #[test]
    fn an_engine_past_its_end_of_life_fails() {
        let ctx = ctx();
        let old = db(r#", "version_end_of_life": "2025-11-13T00:00:00Z""#);
        let f = database_engine_supported(&old, &ctx);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("2025-11-13"), "{}", f.message);
        let current = db(r#", "version_end_of_life": "2028-11-09T00:00:00Z""#);
        assert_eq!(
            database_engine_supported(&current, &ctx).status,
            Status::Pass
        );
        assert_eq!(
            database_engine_supported(&db(""), &ctx).status,
            Status::Pass
        );
        let garbled = db(r#", "version_end_of_life": "soon""#);
        assert_eq!(
            database_engine_supported(&garbled, &ctx).status,
            Status::Manual
        );
    }
}
