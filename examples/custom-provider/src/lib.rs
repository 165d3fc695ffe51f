//! The `digitalocean` demarc plugin: checks over `doctl` exports of a DigitalOcean team.
//!
//! A snapshot directory holds one file per export, told apart by name (see [`export::Kind`]):
//!
//! | file | written by |
//! |---|---|
//! | `account.json` | `doctl account get -o json` |
//! | `droplets.json` | `doctl compute droplet list -o json` |
//! | `firewalls.json` | `doctl compute firewall list -o json` |
//! | `databases.json` | `doctl databases list -o json` |
//! | `database-firewall-CLUSTER_ID.json` | `doctl databases firewalls list CLUSTER_ID -o json`, per cluster |
//! | `spaces-acl-REGION-BUCKET.json` | `aws s3api get-bucket-acl --bucket BUCKET --endpoint-url https://REGION.digitaloceanspaces.com`, per bucket |
//!
//! `account.json` names the team every finding's `account` is (its `team.uuid`, or the user's
//! `uuid` without a team), so it is read first: the host lists a snapshot's files sorted by
//! name, and a configuration's `inputs` must put it first too.
//!
//! Droplets, firewalls, clusters and buckets are judged as they stream in; two checks are joins
//! decided after every input: a Droplet's SSH and RDP exposure (its firewalls, by id or tag) and
//! a cluster's trusted sources (its own rules file only).

pub mod database;
pub mod droplet;
pub mod export;
pub mod firewall;
pub mod spaces;

use std::collections::HashMap;

use demarc_sdk::dispatch::{Catalog, Dispatch, Reader};
use demarc_sdk::formats::{Format, Own, Sniffed};
use demarc_sdk::scan::{Driver, Flow, Opened, ProblemKind, Scan, Stream};
use demarc_sdk::time::Timestamp;
use demarc_sdk::{Emitter, Finding, InputError, PluginInfo, ScanError, ScanRequest, ScanSummary};
use serde::Deserialize;

use database::{
    DATABASE, DATABASE_ENGINE_SUPPORTED, DATABASE_PRIVATE_NETWORK, DATABASE_TRUSTED_SOURCES,
    Database, Rule,
};
use droplet::{DROPLET, DROPLET_ADMIN_PORTS, DROPLET_BACKUPS, Droplet};
use export::{Kind, One};
use firewall::{FIREWALL, FIREWALL_ALL_PORTS_OPEN, Firewall};
use spaces::{Acl, BUCKET, Bucket, SPACES_PUBLIC_ACL};

/// What every check is judged in: the team the resources belong to and the scan's time.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The team's uuid (the findings' `account`).
    pub account: &'a str,
    /// The scan's reference time.
    pub now: Timestamp,
}

/// A check over one typed resource.
#[derive(Debug, Clone, Copy)]
pub enum Evaluate {
    /// Over a Droplet.
    Droplet(fn(&Droplet, &Ctx<'_>) -> Finding),
    /// Over a Cloud Firewall.
    Firewall(fn(&Firewall, &Ctx<'_>) -> Finding),
    /// Over a database cluster.
    Database(fn(&Database, &Ctx<'_>) -> Finding),
    /// Over a Spaces bucket.
    Bucket(fn(&Bucket, &Ctx<'_>) -> Finding),
}

/// Every resource type with its checks: what `info()` declares and how items are dispatched.
pub static CATALOG: Catalog<Evaluate> = Catalog {
    readers: &[
        Reader {
            types: &[DROPLET],
            checks: &[&DROPLET_BACKUPS],
            evaluate: Evaluate::Droplet(droplet::droplet_backups),
        },
        Reader {
            types: &[FIREWALL],
            checks: &[&FIREWALL_ALL_PORTS_OPEN],
            evaluate: Evaluate::Firewall(firewall::firewall_all_ports_open),
        },
        Reader {
            types: &[DATABASE],
            checks: &[&DATABASE_PRIVATE_NETWORK],
            evaluate: Evaluate::Database(database::database_private_network),
        },
        Reader {
            types: &[DATABASE],
            checks: &[&DATABASE_ENGINE_SUPPORTED],
            evaluate: Evaluate::Database(database::database_engine_supported),
        },
        Reader {
            types: &[BUCKET],
            checks: &[&SPACES_PUBLIC_ACL],
            evaluate: Evaluate::Bucket(spaces::spaces_public_acl),
        },
    ],
    joins: &[&DROPLET_ADMIN_PORTS, &DATABASE_TRUSTED_SOURCES],
};

/// The formats this plugin reads: JSON, the kind of export told by the file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// A `doctl` (or `aws s3api`) JSON export.
    Json,
}

/// The largest whole-file export read (an account, a bucket ACL, a cluster's rules).
const SMALL_FILE: u64 = 4 * 1024 * 1024;

/// The scan of one target.
pub struct DigitalOceanScan {
    now: Timestamp,
    dispatch: Dispatch<Evaluate>,
    account: Option<String>,
    /// Droplets, kept for the firewall join.
    droplets: Vec<Droplet>,
    /// Firewalls; `None` until `firewalls.json` is read.
    firewalls: Option<Vec<Firewall>>,
    /// `firewalls.json` was damaged: the firewall join cannot be decided.
    firewalls_damaged: bool,
    /// Clusters, kept for the trusted-sources join.
    databases: Vec<Database>,
    /// Each cluster's trusted sources, from its own file.
    rules: HashMap<String, Vec<Rule>>,
}

/// `account.json`: the object, the API's `{"account": {...}}`, or an array of one.
#[derive(Debug, Deserialize)]
struct Account {
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    team: Option<Team>,
    #[serde(default)]
    account: Option<Box<Account>>,
}

#[derive(Debug, Deserialize)]
struct Team {
    #[serde(default)]
    uuid: Option<String>,
}

impl Account {
    fn id(self) -> Option<String> {
        if let Some(inner) = self.account {
            return inner.id();
        }
        let team = self.team.and_then(|t| t.uuid).filter(|u| !u.is_empty());
        team.or(self.uuid.filter(|u| !u.is_empty()))
    }
}

/// A serde error of a whole-file export at its line and column.
fn at(file: &str, e: &serde_json::Error, what: &str) -> InputError {
    InputError::at(
        file,
        e.line() as u64,
        e.column() as u64,
        format!("not {what}: {e}"),
    )
}

impl DigitalOceanScan {
    fn ctx(&self) -> Option<Ctx<'_>> {
        self.account.as_deref().map(|account| Ctx {
            account,
            now: self.now,
        })
    }

    fn read_account(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let bytes = match input.read_all(SMALL_FILE, "account.json is larger than 4 MiB") {
            Ok(b) => b,
            Err(e) => return scan.file_problem(ProblemKind::MalformedInput, e),
        };
        let text = String::from_utf8_lossy(&bytes);
        let what = "the output of `doctl account get -o json`";
        let parsed = match serde_json::from_str::<One<Account>>(&text) {
            Ok(One::Object(a)) => Ok(a),
            Ok(One::Array(mut list)) if list.len() == 1 => Ok(list.remove(0)),
            Ok(One::Array(list)) => Err(InputError::file(
                file,
                format!("{} accounts where one was expected", list.len()),
            )),
            Err(_) => {
                // Parse again as the object for the error's position and message.
                let e = serde_json::from_str::<Account>(&text)
                    .err()
                    .unwrap_or_else(|| serde::de::Error::custom("not an account"));
                Err(at(file, &e, what))
            }
        };
        match parsed.map(Account::id) {
            Ok(Some(id)) => {
                self.account = Some(id);
                Ok(())
            }
            Ok(None) => scan.file_problem(
                ProblemKind::MalformedInput,
                InputError::file(file, "names neither a `team.uuid` nor a `uuid`"),
            ),
            Err(e) => scan.file_problem(ProblemKind::MalformedInput, e),
        }
    }

    fn read_droplets(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let how = Stream {
            key: "droplets",
            empty: "no Droplets",
            not_an_array: None,
        };
        let mut droplets = Vec::new();
        {
            let Some(ctx) = self.ctx() else {
                return Ok(());
            };
            let dispatch = &self.dispatch;
            scan.json_items(file, input.reader, how, |scan, item, text| {
                let d: Droplet = match serde_json::from_str(text) {
                    Ok(d) => d,
                    Err(e) => {
                        scan.item_parse_error(file, item, &e);
                        return Ok(Flow::Next);
                    }
                };
                scan.resources(1);
                for reader in dispatch.readers(DROPLET) {
                    if let Evaluate::Droplet(check) = reader.evaluate {
                        scan.emit([check(&d, &ctx)])?;
                    }
                }
                droplets.push(d);
                Ok(Flow::Next)
            })?;
        }
        self.droplets.extend(droplets);
        Ok(())
    }

    fn read_firewalls(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let how = Stream {
            key: "firewalls",
            empty: "no Cloud Firewalls",
            not_an_array: None,
        };
        let mut firewalls = Vec::new();
        let mut damaged = false;
        let read = {
            let Some(ctx) = self.ctx() else {
                return Ok(());
            };
            let dispatch = &self.dispatch;
            scan.json_items(file, input.reader, how, |scan, item, text| {
                let fw: Firewall = match serde_json::from_str(text) {
                    Ok(fw) => fw,
                    Err(e) => {
                        damaged = true;
                        scan.item_parse_error(file, item, &e);
                        return Ok(Flow::Next);
                    }
                };
                scan.resources(1);
                for reader in dispatch.readers(FIREWALL) {
                    if let Evaluate::Firewall(check) = reader.evaluate {
                        scan.emit([check(&fw, &ctx)])?;
                    }
                }
                firewalls.push(fw);
                Ok(Flow::Next)
            })?
        };
        // A damaged or unfinished firewall list cannot clear or blame a Droplet.
        self.firewalls_damaged |= damaged || read.is_none();
        self.firewalls
            .get_or_insert_with(Vec::new)
            .extend(firewalls);
        Ok(())
    }

    fn read_databases(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let how = Stream {
            key: "databases",
            empty: "no database clusters",
            not_an_array: None,
        };
        let mut databases = Vec::new();
        {
            let Some(ctx) = self.ctx() else {
                return Ok(());
            };
            let dispatch = &self.dispatch;
            scan.json_items(file, input.reader, how, |scan, item, text| {
                let db: Database = match serde_json::from_str(text) {
                    Ok(db) => db,
                    Err(e) => {
                        scan.item_parse_error(file, item, &e);
                        return Ok(Flow::Next);
                    }
                };
                scan.resources(1);
                for reader in dispatch.readers(DATABASE) {
                    if let Evaluate::Database(check) = reader.evaluate {
                        scan.emit([check(&db, &ctx)])?;
                    }
                }
                databases.push(db);
                Ok(Flow::Next)
            })?;
        }
        self.databases.extend(databases);
        Ok(())
    }

    fn read_rules(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        cluster: String,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let bytes = match input.read_all(SMALL_FILE, "the rules file is larger than 4 MiB") {
            Ok(b) => b,
            Err(e) => return scan.file_problem(ProblemKind::MalformedInput, e),
        };
        let text = String::from_utf8_lossy(&bytes);
        let rules = match database::parse_rules(&text) {
            Ok(r) => r,
            Err(e) => {
                let what = "the output of `doctl databases firewalls list CLUSTER_ID -o json`";
                return scan.file_problem(ProblemKind::MalformedInput, at(file, &e, what));
            }
        };
        if let Some(other) = rules.iter().find(|r| r.cluster_uuid != cluster) {
            // The file is not this cluster's: its rules decide nothing about either cluster.
            return scan.file_problem(
                ProblemKind::MalformedInput,
                InputError::file(
                    file,
                    format!(
                        "rule `{}` belongs to cluster `{}`, not `{cluster}` the file is named \
                         for: the file's rules are not used",
                        other.uuid.as_deref().unwrap_or("?"),
                        other.cluster_uuid
                    ),
                ),
            );
        }
        self.rules.entry(cluster).or_default().extend(rules);
        Ok(())
    }

    fn read_acl(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        region: String,
        name: String,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let bytes = match input.read_all(SMALL_FILE, "the bucket ACL is larger than 4 MiB") {
            Ok(b) => b,
            Err(e) => return scan.file_problem(ProblemKind::MalformedInput, e),
        };
        let text = String::from_utf8_lossy(&bytes);
        let acl: Acl = match serde_json::from_str(&text) {
            Ok(acl) => acl,
            Err(e) => {
                let what = "a bucket ACL as `aws s3api get-bucket-acl` writes it";
                return scan.file_problem(ProblemKind::MalformedInput, at(file, &e, what));
            }
        };
        let bucket = Bucket { name, region, acl };
        scan.resources(1);
        let Some(ctx) = self.ctx() else {
            return Ok(());
        };
        for reader in self.dispatch.readers(BUCKET) {
            if let Evaluate::Bucket(check) = reader.evaluate {
                scan.emit([check(&bucket, &ctx)])?;
            }
        }
        Ok(())
    }
}

impl Driver for DigitalOceanScan {
    type Format = Export;
    const OWN: Own = Own {
        plugin: "digitalocean",
        items: "DigitalOcean resources",
        required: "`id` and `region`",
        advice: "",
    };
    const FORMATS: &'static [Format<Export>] = &[Format {
        names: &["digitalocean-json"],
        format: Export::Json,
    }];
    const NOT_OURS: &'static str = "not a DigitalOcean export this plugin reads: ";

    fn sniff(body: &[u8]) -> Sniffed<Export> {
        match body.first() {
            Some(b'{') | Some(b'[') | Some(b'n') => Sniffed::Format(Export::Json),
            _ => Sniffed::Unsupported("not JSON".to_string()),
        }
    }

    fn start(now: Timestamp) -> Self {
        DigitalOceanScan {
            now,
            dispatch: CATALOG.dispatch(),
            account: None,
            droplets: Vec::new(),
            firewalls: None,
            firewalls_damaged: false,
            databases: Vec::new(),
            rules: HashMap::new(),
        }
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        _format: Export,
    ) -> Result<(), ScanError> {
        let kind = match Kind::of(input.name) {
            Ok(kind) => kind,
            Err(message) => return scan.unsupported(input.name, message),
        };
        if kind == Kind::Account {
            return self.read_account(scan, input);
        }
        if self.account.is_none() {
            return scan.file_problem(
                ProblemKind::MissingInput,
                InputError::file(
                    input.name,
                    "read before a usable account.json (`doctl account get -o json`), which \
                     names the team the resources belong to: put it in the snapshot, first \
                     among the target's `inputs`",
                ),
            );
        }
        match kind {
            Kind::Account => Ok(()),
            Kind::Droplets => self.read_droplets(scan, input),
            Kind::Firewalls => self.read_firewalls(scan, input),
            Kind::Databases => self.read_databases(scan, input),
            Kind::DatabaseFirewall { cluster } => self.read_rules(scan, input, cluster),
            Kind::SpacesAcl { region, bucket } => self.read_acl(scan, input, region, bucket),
        }
    }

    fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        let Some(ctx) = self.ctx() else {
            return Ok(());
        };
        let firewalls = if self.firewalls_damaged {
            None
        } else {
            self.firewalls.as_deref()
        };
        for d in &self.droplets {
            let f = if self.firewalls_damaged {
                damaged_firewalls(d, &ctx)
            } else {
                droplet::droplet_admin_ports(d, firewalls, &ctx)
            };
            scan.emit([f])?;
        }
        for db in &self.databases {
            let rules = self.rules.get(&db.id).map(Vec::as_slice);
            scan.emit([database::database_trusted_sources(db, rules, &ctx)])?;
        }
        Ok(())
    }
}

/// The admin-port verdict when `firewalls.json` was damaged: a firewall that was not read may
/// be the one that applies, so nothing can be decided.
fn damaged_firewalls(d: &Droplet, ctx: &Ctx<'_>) -> Finding {
    let verdict = droplet::droplet_admin_ports(d, None, ctx);
    if verdict.status == demarc_sdk::Status::Manual {
        let mut f = verdict;
        f.message = "firewalls.json has damaged items (see the problems): which Cloud Firewalls \
                     apply to the Droplet cannot be told"
            .to_string();
        f
    } else {
        // No public address: no firewall matters.
        verdict
    }
}

/// The provider.
pub struct Digitalocean;

impl demarc_sdk::Provider for Digitalocean {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "digitalocean".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            provider: "digitalocean".to_string(),
            contract_version: demarc_sdk::CONTRACT_VERSION.to_string(),
            producer: None,
            checks: CATALOG.checks(),
        }
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<DigitalOceanScan>(request, out)
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Digitalocean);

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Provider;
    use demarc_sdk::Status;
    use demarc_sdk::testing::{self, Controls, NativeScan};

    const NOW: &str = "2026-11-01T00:00:00Z";

    fn sample() -> NativeScan {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshot");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        testing::scan_dir::<Digitalocean>(&dir, &names, NOW)
    }

    fn verdict(scan: &NativeScan, check: &str, resource: &str) -> Status {
        let found: Vec<&Finding> = scan
            .of_check(check)
            .filter(|f| f.resource.id == resource)
            .collect();
        assert_eq!(found.len(), 1, "{check} on {resource}: {found:#?}");
        found[0].status
    }

    #[test]
    fn the_sample_snapshot_has_clean_and_bad_resources_of_every_kind() {
        let scan = sample();
        let summary = scan.result.as_ref().expect("the sample scans");
        assert!(summary.problems.is_empty(), "{:#?}", summary.problems);
        let expect = [
            (
                "digitalocean-droplet-backups",
                "do:droplet:412839051",
                Status::Pass,
            ),
            (
                "digitalocean-droplet-backups",
                "do:droplet:412839177",
                Status::Fail,
            ),
            (
                "digitalocean-droplet-admin-ports-open",
                "do:droplet:412839051",
                Status::Pass,
            ),
            (
                "digitalocean-droplet-admin-ports-open",
                "do:droplet:412839177",
                Status::Fail,
            ),
            (
                "digitalocean-droplet-admin-ports-open",
                "do:droplet:412840233",
                Status::Fail,
            ),
            (
                "digitalocean-droplet-admin-ports-open",
                "do:droplet:412840310",
                Status::Pass,
            ),
            (
                "digitalocean-firewall-all-ports-open",
                "do:firewall:b1e5d3f0-6a2c-4c1e-9f3b-2d7e8a41c905",
                Status::Pass,
            ),
            (
                "digitalocean-firewall-all-ports-open",
                "do:firewall:7c20a4e9-51d8-4f37-8b62-e0f93c1d6a28",
                Status::Fail,
            ),
            (
                "digitalocean-database-open-to-all",
                "do:dbaas:3f6c2a91-8d4e-4b7f-a215-c9e07d5b1a64",
                Status::Pass,
            ),
            (
                "digitalocean-database-open-to-all",
                "do:dbaas:b84e1d07-2c9a-4f63-9e18-5a7d3c0f2b96",
                Status::Fail,
            ),
            (
                "digitalocean-database-open-to-all",
                "do:dbaas:e2d95b48-7f1c-4a06-b3e9-81c4f6a0d527",
                Status::Manual,
            ),
            (
                "digitalocean-database-no-vpc",
                "do:dbaas:3f6c2a91-8d4e-4b7f-a215-c9e07d5b1a64",
                Status::Pass,
            ),
            (
                "digitalocean-database-no-vpc",
                "do:dbaas:b84e1d07-2c9a-4f63-9e18-5a7d3c0f2b96",
                Status::Fail,
            ),
            (
                "digitalocean-database-engine-end-of-life",
                "do:dbaas:3f6c2a91-8d4e-4b7f-a215-c9e07d5b1a64",
                Status::Pass,
            ),
            (
                "digitalocean-database-engine-end-of-life",
                "do:dbaas:b84e1d07-2c9a-4f63-9e18-5a7d3c0f2b96",
                Status::Fail,
            ),
            (
                "digitalocean-spaces-public-acl",
                "do:space:harbor-invoices",
                Status::Pass,
            ),
            (
                "digitalocean-spaces-public-acl",
                "do:space:harbor-press-kit",
                Status::Fail,
            ),
        ];
        for (check, resource, status) in expect {
            assert_eq!(
                verdict(&scan, check, resource),
                status,
                "{check} on {resource}"
            );
        }
        assert!(
            scan.findings
                .iter()
                .all(|f| f.account == "4c7a2e19-b305-4d8f-9a61-e8f20b7c5d43"),
            "every finding is the team's"
        );
    }

    /// What the host checks when it loads the plugin and takes its findings: the declared
    /// checks against the built-in control catalog, and the sample's findings against the
    /// declared checks and the host's limits.
    #[test]
    fn declarations_are_valid() {
        let scan = sample();
        testing::validate_declarations(&Digitalocean::info(), &Controls::builtin(), &scan.findings)
            .unwrap();
        assert_eq!(Digitalocean::info().checks.len(), 7);
    }

    const ACCOUNT: &str =
        r#"{"email": "ops@example.com", "uuid": "u-1", "team": {"uuid": "t-1", "name": "Ops"}}"#;

    #[test]
    fn resources_read_before_the_account_are_a_problem_naming_it() {
        let droplets = r#"[{"id": 1, "region": {"slug": "nyc3"}, "features": ["backups"]}]"#;
        let scan = testing::scan_files::<Digitalocean>(
            &[("droplets.json", droplets), ("account.json", ACCOUNT)],
            NOW,
        );
        let problems = scan.result.expect("not fatal with two inputs").problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].error.file, "droplets.json");
        assert!(problems[0].error.message.contains("account.json"));
        assert!(scan.findings.is_empty());
        // In the host's order (sorted by name) the same files scan.
        let scan = testing::scan_files::<Digitalocean>(
            &[("account.json", ACCOUNT), ("droplets.json", droplets)],
            NOW,
        );
        assert!(scan.result.unwrap().problems.is_empty());
        assert!(scan.findings.iter().all(|f| f.account == "t-1"));
        // The API's wrapper and doctl's array of one name the same team.
        for account in [
            format!(r#"{{"account": {ACCOUNT}}}"#),
            format!("[{ACCOUNT}]"),
        ] {
            let scan = testing::scan_files::<Digitalocean>(
                &[("account.json", &account), ("droplets.json", droplets)],
                NOW,
            );
            assert!(
                scan.findings.iter().all(|f| f.account == "t-1"),
                "{account}"
            );
            assert_eq!(scan.findings.len(), 2, "{account}");
        }
    }

    #[test]
    fn a_damaged_droplet_is_a_problem_at_its_line_and_the_rest_is_judged() {
        let droplets = "[\n{\"id\": 1, \"region\": {\"slug\": \"nyc3\"}},\n{\"id\": \"two\", \"region\": {\"slug\": \"nyc3\"}}\n]";
        let scan = testing::scan_files::<Digitalocean>(
            &[("account.json", ACCOUNT), ("droplets.json", droplets)],
            NOW,
        );
        let problems = &scan
            .result
            .as_ref()
            .expect("a damaged item does not stop the scan")
            .problems;
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].error.line, Some(3));
        assert_eq!(scan.of_check("digitalocean-droplet-backups").count(), 1);
    }

    #[test]
    fn a_rules_file_of_another_cluster_is_a_problem_and_decides_nothing() {
        let databases =
            r#"[{"id": "c-1", "name": "orders", "region": "fra1", "private_network_uuid": "v-1"}]"#;
        let foreign =
            r#"[{"uuid": "r-1", "cluster_uuid": "c-2", "type": "ip_addr", "value": "0.0.0.0/0"}]"#;
        let scan = testing::scan_files::<Digitalocean>(
            &[
                ("account.json", ACCOUNT),
                ("database-firewall-c-1.json", foreign),
                ("databases.json", databases),
            ],
            NOW,
        );
        let problems = scan.result.unwrap().problems;
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].error.message.contains("`c-2`"));
        assert_eq!(
            testing::status(&scan.findings, "digitalocean-database-open-to-all"),
            Status::Manual
        );
    }

    #[test]
    fn a_damaged_firewall_list_leaves_the_ssh_verdict_undecided() {
        let droplets = r#"[{"id": 1, "region": {"slug": "nyc3"}, "networks": {"v4": [{"ip_address": "203.0.113.5", "type": "public"}]}}]"#;
        let firewalls = "[\n{\"id\": \"fw-1\", \"droplet_ids\": \"1\"}\n]";
        let scan = testing::scan_files::<Digitalocean>(
            &[
                ("account.json", ACCOUNT),
                ("droplets.json", droplets),
                ("firewalls.json", firewalls),
            ],
            NOW,
        );
        assert_eq!(scan.result.unwrap().problems.len(), 1);
        let f = testing::only(&scan.findings, "digitalocean-droplet-admin-ports-open");
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("damaged"), "{}", f.message);
    }

    #[test]
    fn a_file_of_another_name_is_unsupported() {
        let scan = testing::scan_files::<Digitalocean>(
            &[("account.json", ACCOUNT), ("volumes.json", "[]")],
            NOW,
        );
        let problems = scan.result.unwrap().problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::UnsupportedFormat);
        assert!(problems[0].error.message.contains("volumes.json"));
    }
}
