//! The run configuration: one TOML file layered with `DEMARC_*` environment variables.
//!
//! Raw structs mirror the file (`deny_unknown_fields`, so a misspelt key is an error naming the
//! key and the file); [`RawConfig::validate`] checks everything at once, without touching the
//! file system, and yields a [`Config`] that the rest of the program uses.
//!
//! Environment variables use `__` between nesting levels: `DEMARC_LIMITS__DEADLINE_SECS=60`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use demarc_core::catalog::is_kebab_id;
use demarc_core::{Catalog, Contract, DataError, DataErrors, Layer};
use serde::Deserialize;

/// `DEMARC_*` environment variables that are not run configuration: those of the command line,
/// and those the test suite and tools read (where the official reference schemas are, which
/// browser checks the HTML). Setting one must not make every scan fail on an unknown key.
const CLI_ENV: &[&str] = &[
    "DEMARC_CONFIG",
    "DEMARC_LOG_FORMAT",
    "DEMARC_CACHE_DIR",
    "DEMARC_REFERENCE_DATA",
    "DEMARC_CHROMIUM",
];

/// The most targets scanned at once that `limits.concurrency` accepts.
const MAX_CONCURRENCY: usize = 1024;

/// The configuration file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Name of the estate, shown in reports.
    #[serde(default)]
    pub name: Option<String>,
    /// Reference time (RFC 3339) for age-based checks. By default the start of the run.
    #[serde(default)]
    pub now: Option<String>,
    /// Sandbox limits for every target.
    #[serde(default)]
    pub limits: RawLimits,
    /// Plugins beyond the built-in ones.
    #[serde(default)]
    pub plugin: Vec<RawPlugin>,
    /// Refuse every `[[plugin]]` file without a valid minisign signature (`PLUGIN.wasm.minisig`)
    /// by a `[[trusted_key]]`; `demarc scan --require-signed` does the same.
    #[serde(default)]
    pub require_signed: bool,
    /// Public keys whose minisign signatures of plugin files are trusted.
    #[serde(default)]
    pub trusted_key: Vec<RawTrustedKey>,
    /// Extra provider attestation files, relative to this file; an entry with the same `id` as
    /// a built-in one replaces it (e.g. a lapsed report).
    #[serde(default)]
    pub provider_attestations: Vec<String>,
    /// Data files added on top of the built-in set (or the `--schemas` set).
    #[serde(default)]
    pub data: RawData,
    /// Settings per provider id: `[providers.digitalocean] assume_service_model = "iaas"`.
    #[serde(default)]
    pub providers: std::collections::BTreeMap<String, RawProvider>,
    /// Files of more tenants, relative to this file: `include = ["tenants/*.toml"]`. `*` and
    /// `?` match within the file name; each file holds `[[tenant]]` tables, and paths in it are
    /// relative to it. A pattern that matches no file is an error.
    #[serde(default)]
    pub include: Vec<String>,
    /// Files of suppressions, relative to this file: `suppressions = ["mutes/*.toml"]`, each
    /// holding `[[suppression]]` tables (see `crate::suppress`). A pattern that matches no file
    /// is an error.
    #[serde(default)]
    pub suppressions: Vec<String>,
    /// Client tenants.
    #[serde(default)]
    pub tenant: Vec<RawTenant>,
    /// `(key, variable)` of every `DEMARC_*` environment variable that set a key, so that a
    /// problem with its value names the variable rather than the file.
    #[serde(skip)]
    pub env: Vec<(String, String)>,
    /// Problems found reading the included files; [`RawConfig::validate`] reports them with
    /// its own, so that every problem of every file is reported at once.
    #[serde(skip)]
    pub problems: Vec<DataError>,
}

/// `[data]`: files added to the loaded data, relative to the configuration file. An addition
/// never replaces what is loaded: a control id, a provider's matrix or an attestation id that
/// exists already is an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    /// Catalog extensions (`controls.toml` layout): more controls.
    #[serde(default)]
    pub controls: Vec<String>,
    /// Responsibility matrices of providers that have none.
    #[serde(default)]
    pub responsibility: Vec<String>,
    /// Provider attestation files (`attestations/*.toml` layout) with new ids.
    #[serde(default)]
    pub attestations: Vec<String>,
}

/// `[providers.ID]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    /// The service model (`iaas`, `paas`, `faas`, `abstracted`) to assume for the provider's
    /// resources that no responsibility matrix entry covers. Without it their findings are
    /// `unattributed` gaps; with it they are attributed with basis `assumed`.
    #[serde(default)]
    pub assume_service_model: Option<String>,
}

impl RawConfig {
    /// Targets scanned at once: `limits.concurrency` when it is in range, else one more than
    /// the cores. A target keeps its plugin's thread busy and its report writer's thread partly
    /// so, and the extra one fills the cores that the last targets leave idle (measured in
    /// `benches/scale.rs`).
    pub fn concurrency(&self) -> usize {
        match self.limits.concurrency {
            Some(n) if (1..=MAX_CONCURRENCY).contains(&n) => n,
            _ => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .saturating_add(1)
                .min(MAX_CONCURRENCY),
        }
    }

    /// The `[data]` files, resolved against the configuration file's directory `base`.
    pub fn additions(&self, base: &Path) -> crate::data::Additions {
        let resolve = |list: &[String]| list.iter().map(|p| base.join(p)).collect();
        crate::data::Additions {
            controls: resolve(&self.data.controls),
            responsibility: resolve(&self.data.responsibility),
            attestations: resolve(&self.data.attestations),
        }
    }
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Seconds one target may run. By default 300.
    pub deadline_secs: Option<f64>,
    /// Memory cap of one plugin instance, MiB. By default 256.
    pub memory_mib: Option<u64>,
    /// Findings one target may emit. By default 20 million.
    pub max_findings: Option<u64>,
    /// MiB of findings one target may emit. By default 8192.
    pub max_emit_mib: Option<u64>,
    /// Targets scanned at once. By default one more than the number of cores.
    pub concurrency: Option<usize>,
    /// HTTP requests one live target may send. By default 10,000.
    pub http_requests: Option<u64>,
    /// MiB of one HTTP response body. By default 64.
    pub http_response_mib: Option<u64>,
    /// Seconds from sending an HTTP request to its response head. By default 30.
    pub http_timeout_secs: Option<f64>,
}

/// `[[plugin]]`: a plugin loaded from a file, pinned by digest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlugin {
    /// Path of the `.wasm` component, relative to the configuration file.
    pub path: String,
    /// Required sha256 of the file, 64 hex digits; a different file is refused. Without it
    /// the plugin is refused unless `demarc scan --allow-unpinned` is given.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// `[[trusted_key]]`: a publisher's minisign public key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrustedKey {
    /// Who holds the key; recorded as `run.plugins[].signed_by` of a plugin it signed.
    pub name: String,
    /// The public key as `minisign -G` writes it: the base64 line of `minisign.pub`.
    pub public_key: String,
}

impl RawConfig {
    /// Problems with the `sha256` pins of the `[[plugin]]` entries, keyed `plugin[N].sha256`: a
    /// pin that is not 64 hex digits, or a missing one unless `allow_unpinned`. A plugin with
    /// such a problem must not be loaded.
    pub fn pin_errors(&self, file: &str, allow_unpinned: bool) -> Vec<DataError> {
        let mut errors = Vec::new();
        for (i, p) in self.plugin.iter().enumerate() {
            let key = format!("plugin[{i}].sha256");
            match &p.sha256 {
                Some(d) if d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()) => errors
                    .push(DataError::new(
                        file,
                        key,
                        format!(
                            "`{}` is not a sha256: it must be 64 hex digits ({} characters given)",
                            d.chars().take(80).collect::<String>().escape_debug(),
                            d.chars().count()
                        ),
                    )),
                Some(_) => {}
                None if allow_unpinned => {}
                None => errors.push(DataError::new(
                    file,
                    key,
                    format!(
                        "plugin `{}` is not pinned: add its sha256 (e.g. from `sha256sum`), or \
                         pass --allow-unpinned to load it anyway",
                        p.path.escape_debug()
                    ),
                )),
            }
        }
        errors
    }
}

/// `[[tenant]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenant {
    /// Stable kebab-case id.
    pub id: String,
    /// Display name. By default the id.
    #[serde(default)]
    pub name: Option<String>,
    /// What to scan.
    #[serde(default)]
    pub target: Vec<RawTarget>,
    /// Clauses that hand layers or controls to a third party.
    #[serde(default)]
    pub contract: Vec<RawContract>,
    /// The tenant's attestation file (manual and process controls), relative to this file.
    #[serde(default)]
    pub attestations: Option<String>,
    /// Frameworks in scope for the roll-up. By default every framework that applies to the
    /// tenant's providers.
    #[serde(default)]
    pub frameworks: Vec<String>,
    /// The group the tenant belongs to (kebab-case), e.g. a service tier or region; `demarc
    /// scan --group` scans a group.
    #[serde(default)]
    pub group: Option<String>,
    /// Free labels, `{ tier = "gold", region = "emea" }`; `demarc scan --label KEY=VALUE`
    /// selects by them.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The file the tenant was read from when it came from an `include`, with the tenant's
    /// position in that file.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

/// Where an included tenant was written.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file, as messages name it.
    pub file: String,
    /// Its directory: paths in the tenant are relative to it.
    pub base: PathBuf,
    /// The tenant's position among the file's `[[tenant]]` tables.
    pub index: usize,
}

/// A file of tenants named by `include`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenantFile {
    #[serde(default)]
    tenant: Vec<RawTenant>,
}

/// `[[tenant.target]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// Stable kebab-case id, unique in the run.
    pub id: String,
    /// Provider id; the plugin of that provider scans it.
    pub provider: String,
    /// Plugin name, when several plugins scan the same provider. By default the plugin whose
    /// provider is `provider`.
    #[serde(default)]
    pub plugin: Option<String>,
    /// Another scanner's output to import instead of a cloud export: the format of every input
    /// (one of [`IMPORTERS`], e.g. `prowler-ocsf`). The target is scanned by the built-in
    /// importer of its provider (`import-<provider>`) unless `plugin` names another.
    #[serde(default)]
    pub importer: Option<String>,
    /// Snapshot directory, relative to the configuration file.
    pub snapshot: String,
    /// Files inside `snapshot` to read. By default every non-hidden file in it.
    #[serde(default)]
    pub inputs: Option<Vec<String>>,
    /// The accounts the target holds (AWS account ids, Azure subscription ids, GCP project
    /// ids: what the plugin puts in `finding.account`). Findings for other accounts are
    /// rejected. By default the accounts are learned from the findings.
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
    /// `snapshot` (the default: the plugin reads exports and may reach no network) or `live`
    /// (the plugin may also send HTTP requests to the endpoints of `regions` and `endpoints`).
    #[serde(default)]
    pub mode: Option<String>,
    /// Live mode: the regions whose service endpoints the plugin may reach (AWS: the
    /// `SERVICE.REGION.amazonaws.com` endpoints of the services scanned).
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Live mode: endpoints named explicitly (`https://host[:port]`, or `http://` on a loopback
    /// address, such as a local emulator).
    #[serde(default)]
    pub endpoints: Option<Vec<String>>,
    /// Live AWS target: the named profile of the shared `config` / `credentials` files whose
    /// credentials sign its requests (alone: the environment's keys do not stand in for it). By
    /// default the AWS SDK's default credential chain.
    #[serde(default)]
    pub profile: Option<String>,
    /// Live AWS target: the IAM role the host assumes (STS `AssumeRole`) with the credentials of
    /// `profile` or the default chain, and signs with.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Live AWS target with `role_arn`: the external id the role's trust policy requires.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Live AWS target with `role_arn`: the role session name. By default `demarc-TENANT`.
    #[serde(default)]
    pub role_session_name: Option<String>,
    /// Live AWS target with `role_arn`: where `AssumeRole` is sent (`https://host[:port]`, or
    /// `http://` on a loopback address, such as a local emulator) instead of the STS endpoint of
    /// the target's first region.
    #[serde(default)]
    pub sts_endpoint: Option<String>,
}

/// The other scanners' output formats a target's `importer` may name.
pub const IMPORTERS: &[&str] = &["prowler-ocsf", "asff", "defender", "scc", "sarif"];
/// The importers whose findings are of one cloud only: (importer, provider).
pub const IMPORTER_CLOUDS: &[(&str, &str)] =
    &[("asff", "aws"), ("defender", "azure"), ("scc", "gcp")];
/// The providers whose findings the built-in importers import (`import-<provider>`).
pub const IMPORTER_PROVIDERS: &[&str] = &["aws", "azure", "gcp"];

/// `[[tenant.contract]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContract {
    /// The third party that takes the work over.
    pub party: String,
    /// Layers handed over.
    #[serde(default)]
    pub layers: Vec<String>,
    /// Catalog controls handed over.
    #[serde(default)]
    pub controls: Vec<String>,
    /// Providers the clause covers. By default all.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Where the clause is written (contract, schedule).
    #[serde(default)]
    pub reference: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Estate name.
    pub name: String,
    /// Pinned reference time, if any.
    pub now: Option<String>,
    /// Limits.
    pub limits: demarc_runtime::Limits,
    /// Targets at once.
    pub concurrency: usize,
    /// Limits of a live target's outbound HTTP.
    pub http_limits: demarc_runtime::EgressLimits,
    /// Extra provider attestation files.
    pub provider_attestations: Vec<PathBuf>,
    /// Providers whose uncovered resources the configuration accepts to attribute by an assumed
    /// service model.
    pub assumed: std::collections::BTreeMap<String, demarc_core::model::ServiceModel>,
    /// Tenants in file order.
    pub tenants: Vec<Tenant>,
}

/// A validated tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Targets in file order.
    pub targets: Vec<Target>,
    /// Contract clauses in file order.
    pub contracts: Vec<Contract>,
    /// Attestation file.
    pub attestations: Option<PathBuf>,
    /// Frameworks in scope (empty: all that apply).
    pub frameworks: Vec<String>,
    /// Group, if any.
    pub group: Option<String>,
    /// Labels.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The file that defines it.
    pub file: String,
    /// Its position among that file's `[[tenant]]` tables, for error keys.
    pub position: usize,
}

/// A validated target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider: String,
    /// Plugin name, if pinned (for an import target, its importer plugin).
    pub plugin: Option<String>,
    /// The other scanner's output format its inputs hold, for an import target.
    pub importer: Option<String>,
    /// Absolute snapshot directory.
    pub snapshot: PathBuf,
    /// Input files, relative to `snapshot`; `None` means every file in it.
    pub inputs: Option<Vec<String>>,
    /// Declared accounts; `None` means learned from the findings.
    pub accounts: Option<Vec<String>>,
    /// Live mode: the endpoints the plugin may reach over HTTP. `None`: a snapshot target,
    /// which reaches nothing.
    pub endpoints: Option<Vec<demarc_runtime::Endpoint>>,
    /// Live mode: the regions named (`regions`), in order (told to the plugin, and the
    /// regions the host signs for); empty for a snapshot target.
    pub regions: Vec<String>,
    /// Live AWS target: where the credentials that sign its requests come from. `None` for a
    /// snapshot target and a target of another provider.
    pub aws_credentials: Option<demarc_runtime::credentials::AwsCredentialSource>,
}

/// The credential settings of a target as written.
struct CredentialKeys<'a> {
    profile: Option<&'a str>,
    role_arn: Option<&'a str>,
    external_id: Option<&'a str>,
    role_session_name: Option<&'a str>,
    sts_endpoint: Option<&'a str>,
}

/// The credential source of a target: `None` unless it is a live `aws` target. Every problem
/// is reported through `err` under the target's key; no message shows an external id.
fn credential_source(
    tenant: &str,
    provider: &str,
    live: bool,
    regions: &[String],
    keys: &CredentialKeys<'_>,
    at: &dyn Fn(&str) -> String,
    err: &mut dyn FnMut(String, String),
) -> Option<demarc_runtime::credentials::AwsCredentialSource> {
    use demarc_runtime::credentials as c;
    let given = [
        ("profile", keys.profile.is_some()),
        ("role_arn", keys.role_arn.is_some()),
        ("external_id", keys.external_id.is_some()),
        ("role_session_name", keys.role_session_name.is_some()),
        ("sts_endpoint", keys.sts_endpoint.is_some()),
    ];
    if provider != "aws" {
        for (key, _) in given.iter().filter(|(_, set)| *set) {
            err(
                at(key),
                format!(
                    "applies to a live `aws` target only (the host signs requests to AWS endpoints), not to provider `{}`",
                    provider.escape_debug()
                ),
            );
        }
        return None;
    }
    if !live {
        for (key, _) in given.iter().filter(|(_, set)| *set) {
            err(
                at(key),
                "applies to a live target only; add `mode = \"live\"`".into(),
            );
        }
        return None;
    }
    if let Some(p) = keys.profile
        && (p.is_empty()
            || p.len() > 128
            || p.chars().any(|ch| ch.is_whitespace() || ch.is_control()))
    {
        err(
            at("profile"),
            format!(
                "`{}` is not a profile name (1 to 128 characters, no spaces)",
                p.chars().take(80).collect::<String>().escape_debug()
            ),
        );
    }
    let Some(arn) = keys.role_arn else {
        for key in ["external_id", "role_session_name", "sts_endpoint"] {
            if given.iter().any(|(k, set)| *k == key && *set) {
                err(
                    at(key),
                    "applies with `role_arn` only: it is a setting of the role the host assumes"
                        .into(),
                );
            }
        }
        return Some(c::AwsCredentialSource {
            profile: keys.profile.map(String::from),
            assume_role: None,
            region: regions.first().cloned(),
        });
    };
    if !c::is_role_arn(arn) {
        err(
            at("role_arn"),
            format!(
                "`{}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
                arn.chars().take(120).collect::<String>().escape_debug()
            ),
        );
    }
    if let Some(id) = keys.external_id
        && !c::is_external_id(id)
    {
        // The external id is not shown, not even in part.
        err(
            at("external_id"),
            format!(
                "is not a valid external id: 2 to 1224 letters, digits and `+=,.@:/-_` ({} characters given)",
                id.chars().count()
            ),
        );
    }
    let session_name = match keys.role_session_name {
        Some(n) => {
            if !c::is_session_name(n) {
                err(
                    at("role_session_name"),
                    format!(
                        "`{}` is not a role session name: 2 to 64 letters, digits and `+=,.@-_`",
                        n.chars().take(80).collect::<String>().escape_debug()
                    ),
                );
            }
            n.to_string()
        }
        None => c::default_session_name(tenant),
    };
    let sts_endpoint =
        keys.sts_endpoint
            .and_then(|url| match demarc_runtime::Endpoint::parse(url) {
                Ok(e) => Some(e),
                Err(e) => {
                    err(at("sts_endpoint"), e);
                    None
                }
            });
    Some(c::AwsCredentialSource {
        profile: keys.profile.map(String::from),
        assume_role: Some(c::AssumeRole {
            role_arn: arn.to_string(),
            external_id: keys.external_id.map(String::from),
            session_name,
            sts_endpoint,
        }),
        region: regions.first().cloned(),
    })
}

/// The endpoints a target's configuration grants: `None` for a snapshot target; for a live one,
/// the service endpoints of its regions (AWS) and the endpoints it names. Every problem is
/// reported through `err` under the target's key.
fn live_endpoints(
    provider: &str,
    mode: Option<&str>,
    regions: Option<&[String]>,
    endpoints: Option<&[String]>,
    at: &dyn Fn(&str) -> String,
    err: &mut dyn FnMut(String, String),
) -> Option<Vec<demarc_runtime::Endpoint>> {
    match mode {
        None | Some("snapshot") => {
            for (key, set) in [
                ("regions", regions.is_some()),
                ("endpoints", endpoints.is_some()),
            ] {
                if set {
                    err(
                        at(key),
                        "applies to a live target only; add `mode = \"live\"`".into(),
                    );
                }
            }
            return None;
        }
        Some("live") => {}
        Some(other) => {
            err(
                at("mode"),
                format!(
                    "`{}` is not a mode (`snapshot` or `live`)",
                    other.escape_debug()
                ),
            );
            return None;
        }
    }
    let mut out = Vec::new();
    if let Some(regions) = regions {
        if regions.is_empty() {
            err(at("regions"), "lists no region".into());
        }
        if provider == "aws" {
            match demarc_runtime::egress::aws_endpoints(regions) {
                Ok(e) => out.extend(e),
                Err(e) => err(at("regions"), e),
            }
        } else {
            err(
                at("regions"),
                format!(
                    "endpoints are derived from regions for provider `aws` only; name the endpoints of `{provider}` in `endpoints`"
                ),
            );
        }
    }
    for (i, url) in endpoints.unwrap_or_default().iter().enumerate() {
        match demarc_runtime::Endpoint::parse(url) {
            Ok(e) => out.push(e),
            Err(e) => err(at(&format!("endpoints[{i}]")), e),
        }
    }
    if regions.is_none() && endpoints.is_none_or(|e| e.is_empty()) {
        err(
            at("mode"),
            "a live target needs `regions` or `endpoints`: what it may reach".into(),
        );
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Read `path` and the `DEMARC_*` environment into raw configuration.
pub fn read(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<RawConfig, DataErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        DataErrors(vec![DataError::new(
            &file,
            "-",
            format!("cannot read: {e}"),
        )])
    })?;
    if let Err(e) = toml::from_str::<toml::Table>(&text) {
        let (key, message) = toml_problem(&text, &e);
        return Err(DataErrors(vec![DataError::new(&file, key, message)]));
    }
    let overrides: config::Map<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("DEMARC_") && !CLI_ENV.contains(&k.as_str()))
        .collect();
    let vars: Vec<(String, String)> = overrides.keys().map(|v| (env_key(v), v.clone())).collect();
    let origin = |key: &str| -> String {
        match env_var_of(&vars, key) {
            Some(var) => var.to_string(),
            None => file.clone(),
        }
    };
    let built = config::Config::builder()
        .add_source(config::File::from_str(&text, config::FileFormat::Toml))
        .add_source(
            config::Environment::with_prefix("DEMARC")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(overrides)),
        )
        .build()
        .map_err(|e| {
            let key = key_of(&e);
            DataErrors(vec![DataError::new(&origin(&key), key, e.to_string())])
        })?;
    let mut raw = built.try_deserialize::<RawConfig>().map_err(|e| {
        let key = key_of(&e);
        DataErrors(vec![DataError::new(&origin(&key), key, e.to_string())])
    })?;
    raw.env = vars.clone();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut errors = Vec::new();
    for (pi, pattern) in raw.include.clone().iter().enumerate() {
        let key = format!("include[{pi}]");
        let files = match expand(base, pattern) {
            Ok(files) if files.is_empty() => {
                errors.push(DataError::new(
                    &origin(&key),
                    key,
                    format!("`{pattern}` matches no file; an MSSP's tenant files must not go missing silently"),
                ));
                continue;
            }
            Ok(files) => files,
            Err(message) => {
                errors.push(DataError::new(&origin(&key), key, message));
                continue;
            }
        };
        for f in files {
            let name = f.display().to_string();
            let text = match std::fs::read_to_string(&f) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(DataError::new(&name, "-", format!("cannot read: {e}")));
                    continue;
                }
            };
            match toml::from_str::<RawTenantFile>(&text) {
                Ok(tf) => {
                    if tf.tenant.is_empty() {
                        errors.push(DataError::new(
                            &name,
                            "tenant",
                            "the file holds no [[tenant]]",
                        ));
                    }
                    for (index, mut t) in tf.tenant.into_iter().enumerate() {
                        t.origin = Some(Origin {
                            file: name.clone(),
                            base: f.parent().unwrap_or(Path::new(".")).to_path_buf(),
                            index,
                        });
                        raw.tenant.push(t);
                    }
                }
                Err(e) => {
                    let (key, message) = toml_problem(&text, &e);
                    let key = if key == "-" {
                        serde_key(&e).unwrap_or(key)
                    } else {
                        key
                    };
                    errors.push(DataError::new(&name, key, message));
                }
            }
        }
    }
    raw.problems = errors;
    Ok(raw)
}

/// The key a deserialization error of the toml crate names, when it names one.
fn serde_key(e: &toml::de::Error) -> Option<String> {
    let m = e.message();
    let i = m.find('`')?;
    let rest = &m[i + 1..];
    Some(rest[..rest.find('`')?].to_string())
}

/// The files an `include` pattern names, sorted: `*` and `?` match within the last path
/// component only.
pub(crate) fn expand(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let p = Path::new(pattern);
    let (dir, name) = match (p.parent(), p.file_name()) {
        (Some(d), Some(n)) => (base.join(d), n.to_string_lossy().into_owned()),
        _ => return Err(format!("`{pattern}` names no file")),
    };
    if dir.to_string_lossy().contains(['*', '?']) {
        return Err(format!(
            "`{pattern}`: wildcards are allowed in the file name only"
        ));
    }
    if !name.contains(['*', '?']) {
        let f = dir.join(&name);
        return Ok(if f.is_file() { vec![f] } else { vec![] });
    }
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("`{pattern}`: cannot read {}: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// `*` matches any run of characters, `?` one character; hidden files match only a pattern
/// that starts with `.`.
fn wildcard(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The key and a one-line message of a TOML syntax error: the config crate drops the position.
pub(crate) fn toml_problem(text: &str, e: &toml::de::Error) -> (String, String) {
    let Some(span) = e.span() else {
        return ("-".into(), e.message().to_string());
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    let key = match line.split_once('=') {
        Some((k, _)) if !line.trim_start().starts_with('[') => {
            let k = k.trim().trim_matches('"').to_string();
            match table {
                Some(t) => format!("{t}.{k}"),
                None => k,
            }
        }
        _ => "-".into(),
    };
    (key, format!("line {line_no}: {}", e.message().trim_end()))
}

/// The key a `DEMARC_*` variable sets: `DEMARC_LIMITS__DEADLINE_SECS` -> `limits.deadline_secs`.
fn env_key(var: &str) -> String {
    var.trim_start_matches("DEMARC_")
        .split("__")
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

/// The variable that set `key` (or a key inside it, or the table holding it), if any.
fn env_var_of<'a>(vars: &'a [(String, String)], key: &str) -> Option<&'a str> {
    if key == "-" || key.is_empty() {
        return None;
    }
    let inside = |outer: &str, inner: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    vars.iter()
        .find(|(k, _)| k == key)
        .or_else(|| vars.iter().find(|(k, _)| inside(key, k) || inside(k, key)))
        .map(|(_, v)| v.as_str())
}

fn key_of(e: &config::ConfigError) -> String {
    let s = e.to_string();
    // The config crate phrases it "... for key `tenant[0].target`".
    // From the environment it adds "` in the environment": the key ends at the backtick.
    match s.rfind("for key `") {
        Some(i) => {
            let rest = &s[i + 9..];
            rest[..rest.find('`').unwrap_or(rest.len())]
                .trim_end_matches('.')
                .to_string()
        }
        // An unknown key at the top level names no key but the field.
        None => match s.find("unknown field `") {
            Some(i) => {
                let rest = &s[i + 15..];
                rest[..rest.find('`').unwrap_or(rest.len())].to_string()
            }
            None => "-".to_string(),
        },
    }
}

impl RawConfig {
    /// Validate everything at once. `base` is the configuration file's directory, `file` its
    /// name for messages, `providers` the providers the loaded plugins scan (`None` when a
    /// plugin failed to load: its targets then become gaps rather than errors).
    pub fn validate(
        mut self,
        file: &str,
        base: &Path,
        catalog: &Catalog,
        providers: Option<&BTreeSet<String>>,
    ) -> Result<Config, DataErrors> {
        let mut errors = std::mem::take(&mut self.problems);
        let env = std::mem::take(&mut self.env);
        let mut err = |key: String, message: String| {
            let origin = env_var_of(&env, &key).unwrap_or(file);
            errors.push(DataError::new(origin, key, message))
        };

        if let Some(now) = &self.now
            && time::OffsetDateTime::parse(now, &time::format_description::well_known::Rfc3339)
                .is_err()
        {
            err(
                "now".into(),
                format!("`{now}` is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)"),
            );
        }
        let mut assumed = std::collections::BTreeMap::new();
        for (id, p) in &self.providers {
            let key = format!("providers.{id}");
            if !is_kebab_id(id) {
                err(
                    key.clone(),
                    format!("`{id}` is not a kebab-case provider id"),
                );
            }
            match p.assume_service_model.as_deref() {
                None => {}
                Some(m) => match demarc_core::model::ServiceModel::parse(m) {
                    Some(model) => {
                        assumed.insert(id.clone(), model);
                    }
                    None => err(
                        format!("{key}.assume_service_model"),
                        format!(
                            "unknown service model `{}` (known: {})",
                            m.escape_debug(),
                            demarc_core::model::ServiceModel::ALL
                                .map(|m| m.as_str())
                                .join(", ")
                        ),
                    ),
                },
            }
        }
        let defaults = demarc_runtime::Limits::default();
        let mut limits = defaults;
        if let Some(s) = self.limits.deadline_secs {
            if !(0.001..=86_400.0).contains(&s) {
                err(
                    "limits.deadline_secs".into(),
                    format!("{s} is not between 0.001 and 86400 (seconds)"),
                );
            } else {
                limits.deadline = std::time::Duration::from_secs_f64(s);
            }
        }
        if let Some(m) = self.limits.memory_mib {
            if !(1..=4096).contains(&m) {
                err(
                    "limits.memory_mib".into(),
                    format!("{m} is not between 1 and 4096"),
                );
            } else {
                limits.memory = (m as usize) << 20;
            }
        }
        if let Some(n) = self.limits.max_findings {
            if n == 0 {
                err(
                    "limits.max_findings".into(),
                    "must be at least 1 (0 would refuse every finding)".into(),
                );
            } else {
                limits.max_findings = n;
            }
        }
        if let Some(m) = self.limits.max_emit_mib {
            match m.checked_mul(1 << 20) {
                Some(bytes) if m >= 1 => limits.max_emit_bytes = bytes,
                _ => err(
                    "limits.max_emit_mib".into(),
                    format!("{m} is not between 1 and {} (MiB)", u64::MAX >> 20),
                ),
            }
        }
        let mut http_limits = demarc_runtime::EgressLimits::default();
        if let Some(n) = self.limits.http_requests {
            if !(1..=10_000_000).contains(&n) {
                err(
                    "limits.http_requests".into(),
                    format!("{n} is not between 1 and 10000000"),
                );
            } else {
                http_limits.max_requests = n;
            }
        }
        if let Some(m) = self.limits.http_response_mib {
            if !(1..=4096).contains(&m) {
                err(
                    "limits.http_response_mib".into(),
                    format!("{m} is not between 1 and 4096 (MiB)"),
                );
            } else {
                http_limits.max_response_bytes = m << 20;
            }
        }
        if let Some(s) = self.limits.http_timeout_secs {
            if !(0.001..=3600.0).contains(&s) {
                err(
                    "limits.http_timeout_secs".into(),
                    format!("{s} is not between 0.001 and 3600 (seconds)"),
                );
            } else {
                http_limits.request_timeout = std::time::Duration::from_secs_f64(s);
            }
        }
        let concurrency = match self.limits.concurrency {
            Some(n) if !(1..=MAX_CONCURRENCY).contains(&n) => {
                err(
                    "limits.concurrency".into(),
                    format!("{n} is not between 1 and {MAX_CONCURRENCY}"),
                );
                1
            }
            _ => self.concurrency(),
        };
        if self.tenant.is_empty() {
            err(
                "tenant".into(),
                "no tenant is configured, so nothing would be scanned; add a [[tenant]] with a [[tenant.target]]".into(),
            );
        }
        let mut tenant_ids = BTreeSet::new();
        let mut target_ids = BTreeSet::new();
        // (provider, account) → the tenant and key that declared it first.
        let mut declared: std::collections::BTreeMap<(String, String), (String, String)> =
            Default::default();
        let mut tenants = Vec::new();
        for (i, t) in self.tenant.into_iter().enumerate() {
            // An included tenant's problems name its own file and position, and its paths are
            // relative to that file.
            let (tfile, ti, tbase) = match &t.origin {
                Some(o) => (o.file.clone(), o.index, o.base.clone()),
                None => (file.to_string(), i, base.to_path_buf()),
            };
            let mut err = |key: String, message: String| {
                let origin = env_var_of(&env, &key).unwrap_or(&tfile);
                errors.push(DataError::new(origin, key, message))
            };
            let at = |k: &str| format!("tenant[{ti}].{k}");
            if !is_kebab_id(&t.id) {
                err(at("id"), format!("`{}` is not a kebab-case id", t.id));
            } else if !tenant_ids.insert(t.id.clone()) {
                err(at("id"), format!("tenant `{}` is defined twice", t.id));
            }
            let mut targets = Vec::new();
            for (gi, g) in t.target.into_iter().enumerate() {
                let at = |k: &str| format!("tenant[{ti}].target[{gi}].{k}");
                if !is_kebab_id(&g.id) {
                    err(at("id"), format!("`{}` is not a kebab-case id", g.id));
                } else if !target_ids.insert(g.id.clone()) {
                    err(
                        at("id"),
                        format!(
                            "target `{}` is defined twice (target ids are unique in a run)",
                            g.id
                        ),
                    );
                }
                if let Some(providers) = providers
                    && !providers.contains(&g.provider)
                {
                    err(
                        at("provider"),
                        format!(
                            "no plugin scans provider `{}` (loaded: {})",
                            g.provider,
                            providers.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                if let Some(inputs) = &g.inputs {
                    let mut seen = BTreeSet::new();
                    for (ii, input) in inputs.iter().enumerate() {
                        let p = Path::new(input);
                        let plain = !input.is_empty()
                            && !input.contains('\0')
                            && p.components()
                                .all(|c| matches!(c, std::path::Component::Normal(_)));
                        if !plain {
                            err(
                                at(&format!("inputs[{ii}]")),
                                format!(
                                    "`{}` must be a relative path inside the snapshot directory (no `..`, no `.`, not absolute)",
                                    input.escape_debug()
                                ),
                            );
                        } else if !seen.insert(p.components().collect::<PathBuf>()) {
                            err(
                                at(&format!("inputs[{ii}]")),
                                format!("`{}` is listed twice", input.escape_debug()),
                            );
                        }
                    }
                }
                if let Some(accounts) = &g.accounts {
                    if accounts.is_empty() {
                        err(
                            at("accounts"),
                            "lists no account; list the accounts the target holds, or leave the key out to learn them".into(),
                        );
                    }
                    for (ai, a) in accounts.iter().enumerate() {
                        let key = at(&format!("accounts[{ai}]"));
                        if a.trim().is_empty() || a.len() > 256 || a.chars().any(char::is_control) {
                            err(
                                key,
                                format!(
                                    "{:?} is not an account id (1 to 256 characters, no control characters)",
                                    a.chars().take(80).collect::<String>()
                                ),
                            );
                            continue;
                        }
                        match declared.get(&(g.provider.clone(), a.clone())) {
                            Some((tenant, first)) if *tenant != t.id => err(
                                key,
                                format!(
                                    "{} account `{a}` is already declared by tenant `{tenant}` ({first}); an account belongs to one tenant",
                                    g.provider
                                ),
                            ),
                            Some(_) => {}
                            None => {
                                declared
                                    .insert((g.provider.clone(), a.clone()), (t.id.clone(), key));
                            }
                        }
                    }
                }
                let endpoints = live_endpoints(
                    &g.provider,
                    g.mode.as_deref(),
                    g.regions.as_deref(),
                    g.endpoints.as_deref(),
                    &at,
                    &mut err,
                );
                let aws_credentials = credential_source(
                    &t.id,
                    &g.provider,
                    endpoints.is_some(),
                    g.regions.as_deref().unwrap_or_default(),
                    &CredentialKeys {
                        profile: g.profile.as_deref(),
                        role_arn: g.role_arn.as_deref(),
                        external_id: g.external_id.as_deref(),
                        role_session_name: g.role_session_name.as_deref(),
                        sts_endpoint: g.sts_endpoint.as_deref(),
                    },
                    &at,
                    &mut err,
                );
                let mut plugin = g.plugin;
                if let Some(importer) = &g.importer {
                    if !IMPORTERS.contains(&importer.as_str()) {
                        err(
                            at("importer"),
                            format!(
                                "unknown importer `{}` (known: {})",
                                importer.escape_debug(),
                                IMPORTERS.join(", ")
                            ),
                        );
                    } else if let Some((_, cloud)) = IMPORTER_CLOUDS
                        .iter()
                        .find(|(name, cloud)| name == importer && *cloud != g.provider)
                    {
                        err(
                            at("importer"),
                            format!(
                                "importer `{importer}` imports {cloud} findings: its target's provider must be `{cloud}`, not `{}`",
                                g.provider.escape_debug()
                            ),
                        );
                    } else if plugin.is_none() {
                        if IMPORTER_PROVIDERS.contains(&g.provider.as_str()) {
                            plugin = Some(format!("import-{}", g.provider));
                        } else {
                            err(
                                at("importer"),
                                format!(
                                    "no built-in importer imports findings of provider `{}` (they import {}); name the importer plugin in `plugin`",
                                    g.provider,
                                    IMPORTER_PROVIDERS.join(", ")
                                ),
                            );
                        }
                    }
                }
                targets.push(Target {
                    id: g.id,
                    provider: g.provider,
                    plugin,
                    importer: g.importer,
                    snapshot: tbase.join(&g.snapshot),
                    inputs: g.inputs,
                    accounts: g.accounts,
                    endpoints,
                    regions: g.regions.unwrap_or_default(),
                    aws_credentials,
                });
            }
            if targets.is_empty() {
                err(
                    at("target"),
                    format!(
                        "tenant `{}` has no target, so nothing would be scanned for it; add a [[tenant.target]]",
                        t.id
                    ),
                );
            }
            let mut contracts = Vec::new();
            for (ci, c) in t.contract.into_iter().enumerate() {
                let at = |k: &str| format!("tenant[{ti}].contract[{ci}].{k}");
                if c.party.trim().is_empty() {
                    err(at("party"), "must name the third party".into());
                }
                if c.layers.is_empty() && c.controls.is_empty() {
                    err(
                        at("layers"),
                        "a clause must hand over at least one layer or control".into(),
                    );
                }
                let mut layers = Vec::new();
                for (li, l) in c.layers.iter().enumerate() {
                    match Layer::parse(l) {
                        Some(layer) => layers.push(layer),
                        None => err(at(&format!("layers[{li}]")), format!("unknown layer `{l}`")),
                    }
                }
                for (ki, k) in c.controls.iter().enumerate() {
                    if catalog.control(k).is_none() {
                        err(
                            at(&format!("controls[{ki}]")),
                            format!("unknown control `{k}`"),
                        );
                    }
                }
                let reference = c
                    .reference
                    .unwrap_or_else(|| format!("contract of tenant `{}` with {}", t.id, c.party));
                contracts.push(Contract {
                    party: c.party,
                    layers,
                    controls: c.controls,
                    providers: c.providers,
                    reference,
                });
            }
            // No overlaps: one layer or control has one third party per provider.
            for (i, a) in contracts.iter().enumerate() {
                for (j, b) in contracts.iter().enumerate().skip(i + 1) {
                    let same_scope = a.providers.is_empty()
                        || b.providers.is_empty()
                        || a.providers.iter().any(|p| b.providers.contains(p));
                    let shared_layer = a
                        .layers
                        .iter()
                        .find(|l| b.layers.contains(l))
                        .map(|l| l.as_str().to_string());
                    let shared_control =
                        a.controls.iter().find(|c| b.controls.contains(c)).cloned();
                    if let (true, Some(what)) = (
                        same_scope && a.party != b.party,
                        shared_layer.or(shared_control),
                    ) {
                        err(
                            format!("tenant[{ti}].contract[{j}]"),
                            format!(
                                "`{what}` is already given to `{}` by contract[{i}]; a control has one owner",
                                a.party
                            ),
                        );
                    }
                }
            }
            for (fi, f) in t.frameworks.iter().enumerate() {
                if !catalog.frameworks().iter().any(|x| &x.id == f) {
                    err(
                        format!("tenant[{ti}].frameworks[{fi}]"),
                        format!("unknown framework `{f}`"),
                    );
                }
            }
            if let Some(g) = &t.group
                && !is_kebab_id(g)
            {
                err(at("group"), format!("`{g}` is not a kebab-case id"));
            }
            for (k, v) in &t.labels {
                if !is_kebab_id(k) {
                    err(
                        format!("tenant[{ti}].labels.{k}"),
                        format!("`{k}` is not a kebab-case label name"),
                    );
                }
                if v.trim().is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
                    err(
                        format!("tenant[{ti}].labels.{k}"),
                        "a label value has 1 to 256 characters and no control characters".into(),
                    );
                }
            }
            tenants.push(Tenant {
                group: t.group,
                labels: t.labels,
                file: tfile.clone(),
                position: ti,
                name: t.name.unwrap_or_else(|| t.id.clone()),
                id: t.id,
                targets,
                contracts,
                attestations: t.attestations.map(|a| tbase.join(a)),
                frameworks: t.frameworks,
            });
        }
        if errors.is_empty() {
            Ok(Config {
                assumed,
                name: self.name.unwrap_or_else(|| "demarc estate".into()),
                now: self.now,
                limits,
                concurrency,
                http_limits,
                provider_attestations: self
                    .provider_attestations
                    .iter()
                    .map(|p| base.join(p))
                    .collect(),
                tenants,
            })
        } else {
            Err(DataErrors(errors))
        }
    }
}

/// Top-level system directories that can never be a snapshot.
const SYSTEM_ROOTS: &[&str] = &[
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
    "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
];

/// System directories that no snapshot may be inside of either (pseudo-filesystems, the
/// system's configuration and boot files).
const SYSTEM_TREES: &[&str] = &["/boot", "/dev", "/etc", "/proc", "/sys"];

/// The absolute form of `p` with every symbolic link resolved, as far as it exists; the rest
/// is appended with `.` and `..` resolved by name.
pub fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return abs,
        }
    }
}

/// Where the run writes and what it reads besides the snapshots, for [`check_paths`].
pub struct RunPaths<'a> {
    /// The configuration file.
    pub config: &'a Path,
    /// The output directory.
    pub out: &'a Path,
    /// The compile cache directory, if one is used.
    pub cache: Option<&'a Path>,
    /// Every other file that steers the run, with what it is: `[data]` files, attestation
    /// files, suppression files, plugins, the lock file.
    pub files: Vec<(&'static str, PathBuf)>,
}

/// Snapshots are confined: none is a system directory, none holds the configuration, a file
/// that steers the run (data, attestations, suppressions, plugins, the lock), the output or
/// the cache directory, and the snapshots of different tenants do not overlap (one
/// equal to or inside another). Two targets of one tenant may share a snapshot. Every problem is
/// listed, naming the key of the snapshot.
pub fn check_paths(config: &Config, run: &RunPaths<'_>) -> Result<(), DataErrors> {
    let mut errors = Vec::new();
    let config_file = resolve(run.config);
    // Every file of the configuration: the main one and each included tenant file.
    let mut config_files = vec![config_file.clone()];
    for t in &config.tenants {
        let f = resolve(Path::new(&t.file));
        if !config_files.contains(&f) {
            config_files.push(f);
        }
    }
    let out = resolve(run.out);
    let cache = run.cache.map(resolve);
    let mut roots: Vec<(usize, String, String, PathBuf)> = Vec::new();
    for (ti, t) in config.tenants.iter().enumerate() {
        for (gi, g) in t.targets.iter().enumerate() {
            let key = format!("tenant[{}].target[{gi}].snapshot", t.position);
            let root = resolve(&g.snapshot);
            let mut err =
                |message: String| errors.push(DataError::new(&t.file, key.clone(), message));
            let shown = root.display();
            if SYSTEM_ROOTS.iter().any(|s| root == Path::new(s)) {
                err(format!(
                    "`{shown}` is a system directory; a snapshot must be a directory of exports"
                ));
            } else if let Some(sys) = SYSTEM_TREES.iter().find(|s| root.starts_with(Path::new(s))) {
                err(format!(
                    "`{shown}` is inside the system directory {sys}; a snapshot must be a directory of exports"
                ));
            }
            for f in config_files.iter().filter(|f| f.starts_with(&root)) {
                err(format!(
                    "`{shown}` contains the configuration file {}; a plugin would read it",
                    f.display()
                ));
            }
            for (what, f) in &run.files {
                let f = resolve(f);
                if f.starts_with(&root) {
                    err(format!(
                        "`{shown}` contains the {what} {}; the run must not read what steers it from where exports are dropped",
                        f.display()
                    ));
                }
            }
            if out.starts_with(&root) {
                err(format!(
                    "`{shown}` contains the output directory {}; a plugin would read reports",
                    out.display()
                ));
            }
            if let Some(cache) = &cache
                && cache.starts_with(&root)
            {
                err(format!(
                    "`{shown}` contains the compile cache {}",
                    cache.display()
                ));
            }
            for (oi, other_tenant, other_key, other) in &roots {
                if *oi != ti && (root.starts_with(other) || other.starts_with(&root)) {
                    err(format!(
                        "`{shown}` overlaps `{}`, the snapshot of tenant `{other_tenant}` ({other_key}); the snapshots of different tenants may not overlap",
                        other.display()
                    ));
                }
            }
            roots.push((ti, t.id.clone(), key, root));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DataErrors(errors))
    }
}
