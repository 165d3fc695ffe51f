//! The `demarc` command line: thin glue over the runtime, the core and the renderers.
//!
//! Exit codes: 0 clean, 1 failing findings at or above `--fail-on`, 2 usage or configuration
//! error, 3 scan incomplete (a gap lost coverage; this wins over 1).

use anyhow::Context as _;

mod config;
mod data;
mod diff;
mod evaluate;
mod frameworks;
mod history;
mod inputs;
mod matrix;
mod merge;
mod output;
mod plugin_cmd;
mod plugins;
mod progress;
mod publish;
mod render;
mod scaffold;
mod scan;
mod suppress;
mod table;
mod trust;
mod writeback;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use demarc_core::Severity;

/// The process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing at or above the threshold, full coverage.
    Clean = 0,
    /// Failing findings at or above `--fail-on`.
    Findings = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Coverage was lost: the report lists the gaps.
    Incomplete = 3,
}

#[derive(Parser)]
#[command(
    name = "demarc",
    version,
    about = "Who owns each cloud control — provider, customer, or both — and is it met?"
)]
struct Cli {
    /// Log format on standard error; verbosity comes from RUST_LOG (default `warn`).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "DEMARC_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Scan the estate of a configuration (by default the bundled demo estate).
    Scan(ScanArgs),
    /// Merge the report.json files of the shards of one run (`scan --shard I/N`) into the
    /// report a single run makes.
    Merge(MergeArgs),
    /// Inspect the plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Render an existing report.json in other formats.
    Report(ReportArgs),
    /// The customer responsibility matrix of a tenant for a framework, from a report.
    Matrix(MatrixArgs),
    /// The frameworks and benchmark versions, and which check tests which benchmark
    /// requirement.
    #[command(subcommand)]
    Frameworks(FrameworksCommand),
    /// What changed between two reports, per tenant and owner: new, resolved, unverified and
    /// persisting failures, and findings whose severity, owner or status changed.
    Diff(DiffArgs),
    /// Check a configuration without scanning.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The runs recorded by `demarc scan --history FILE`: list them, diff any two, and each
    /// tenant's posture over time.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Compare the tools of one estate control by control: which tools assessed each control
    /// of each resource, where they agree and contradict each other, what only one sees, what
    /// none covers, and each tool's coverage of each framework.
    Evaluate(EvaluateArgs),
    /// Print the JSON Schema of report.json (or of evaluation.json: `schema evaluation`).
    Schema {
        /// `report` (the default) or `evaluation`.
        #[arg(default_value = "report")]
        which: String,
    },
}

#[derive(clap::Args)]
struct EvaluateArgs {
    /// The report.json files: one that holds several tools, or several of the same estate.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "demarc-evaluation")]
    out: PathBuf,
    /// Formats to write: json, md, html (comma-separated).
    #[arg(long, default_value = "json,md,html")]
    format: String,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The older report.json.
    old: PathBuf,
    /// The newer report.json.
    new: PathBuf,
    /// md, json or html.
    #[arg(long, default_value = "md")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum HistoryCommand {
    /// List the recorded runs, oldest first.
    List {
        /// The history database.
        db: PathBuf,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// What changed between two recorded runs (numbers, `last` or `last-K`), like `demarc diff`.
    Diff {
        /// The history database.
        db: PathBuf,
        /// The older run.
        #[arg(default_value = "last-1")]
        from: String,
        /// The newer run.
        #[arg(default_value = "last")]
        to: String,
        /// md, json or html.
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Each tenant's pass rate and failing findings by owner and severity, per recorded run.
    Trend {
        /// The history database.
        db: PathBuf,
        /// Only this tenant (repeatable).
        #[arg(long = "tenant")]
        tenants: Vec<String>,
        /// Only the last N runs.
        #[arg(long)]
        last: Option<usize>,
        /// md or json.
        #[arg(long, default_value = "md")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration, every included tenant file, the plugins it names and the
    /// attestation files: every problem of every file is reported at once (exit 2); nothing
    /// is scanned.
    Check {
        /// The configuration file. By default the bundled demo estate's.
        #[arg(long, env = "DEMARC_CONFIG")]
        config: Option<PathBuf>,
        /// Read the catalog from this directory instead of the built-in `schemas/`.
        #[arg(long)]
        schemas: Option<PathBuf>,
        /// Load `[[plugin]]` entries without a `sha256`.
        #[arg(long)]
        allow_unpinned: bool,
        #[command(flatten)]
        trust: TrustArgs,
    },
}

#[derive(Subcommand)]
enum FrameworksCommand {
    /// List the frameworks (crosswalked per control) and benchmark versions (cited per check).
    List {
        /// Read the catalog and benchmarks from this directory instead of the built-in
        /// `schemas/`.
        #[arg(long)]
        schemas: Option<PathBuf>,
    },
    /// Per benchmark version, every requirement with the checks that test it, manual, or not
    /// covered and why; and the table of (check, requirement) pairs. Fails when the benchmark
    /// data and the checks disagree.
    Coverage {
        /// Write `<benchmark>.md` and `checks.md` into this directory instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Read the catalog and benchmarks from this directory instead of the built-in
        /// `schemas/`.
        #[arg(long)]
        schemas: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The report to render.
    #[arg(long = "in", default_value = "demarc-report/report.json")]
    input: PathBuf,
    /// Formats, comma-separated: json, html, sarif, ocsf, oscal, csv, md, jsonl.
    #[arg(long, default_value = "html")]
    format: String,
    /// Output directory. By default the directory of `--in`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Read the catalog from this directory instead of the built-in `schemas/`.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Show each tenant's trend across the runs recorded in this history database in the HTML.
    #[arg(long)]
    history: Option<PathBuf>,
}

#[derive(clap::Args)]
struct MatrixArgs {
    /// Tenant id.
    #[arg(long)]
    tenant: String,
    /// Framework id (e.g. pci-dss-4.0, nist-800-53-r5, hipaa-security, iso-27001-2022, csa-ccm-4, cis-aws-7.0).
    #[arg(long)]
    framework: String,
    /// The report to read.
    #[arg(long = "in", default_value = "demarc-report/report.json")]
    input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: matrix::MatrixFormat,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shards' report.json files (merged reports too, in any order).
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// The configuration the shards were scanned with: it gives the plan order, the control
    /// roll-up (contracts, attestations, frameworks) and the suppressions. By default the
    /// bundled demo estate.
    #[arg(long, env = "DEMARC_CONFIG")]
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "demarc-report")]
    out: PathBuf,
    /// Formats to write, comma-separated: json, html, sarif, ocsf, oscal, csv, md, jsonl (or
    /// `all`). report.json is always written.
    #[arg(long, default_value = "json,html")]
    format: String,
    /// Exit 1 when a failing finding is at least this severe.
    #[arg(long, value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Directory of data files overriding the built-in `schemas/` data.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Configuration file. By default the bundled demo estate, `examples/demo/demarc.toml`.
    #[arg(long, env = "DEMARC_CONFIG")]
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "demarc-report")]
    out: PathBuf,
    /// Exit 1 when a failing finding is at least this severe.
    #[arg(long, value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Formats to write, comma-separated: json, html, sarif, ocsf, oscal, csv, md, jsonl (or
    /// `all`). report.json is always written.
    #[arg(long, default_value = "json,html")]
    format: String,
    /// Scan only this tenant (repeatable).
    #[arg(long = "tenant")]
    tenants: Vec<String>,
    /// Seconds between progress lines when standard error is not a terminal (on a terminal a
    /// live line is shown; `--quiet` shows neither).
    #[arg(long, default_value_t = 10.0)]
    progress_every: f64,
    /// Record this run in the SQLite history database FILE (created when missing); the HTML
    /// report then shows each tenant's trend across the recorded runs.
    #[arg(long)]
    history: Option<PathBuf>,
    /// A previous report.json to compare with: the summary says how many failures are new.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// With --baseline: exit 1 only when a failure that the baseline did not have is at least
    /// this severe (info, low, medium, high, critical).
    #[arg(long, value_parser = parse_severity, requires = "baseline")]
    fail_on_new: Option<Severity>,
    /// Scan only the tenants of this group (repeatable).
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Scan only the tenants with this label, KEY=VALUE (repeatable: all must match).
    #[arg(long = "label", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// Scan only shard I of N (1-based), e.g. `2/4`; shards merge into the full report.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// Read the catalog and responsibility data from this directory instead of the built-in
    /// copy of `schemas/`.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Compile cache directory. By default `$XDG_CACHE_HOME/demarc` or `~/.cache/demarc`.
    #[arg(long, env = "DEMARC_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not use a compile cache.
    #[arg(long)]
    no_cache: bool,
    /// Load `[[plugin]]` entries that have no `sha256` pin (each with a warning; the report
    /// still records its digest). Without it such a plugin is a configuration error.
    #[arg(long)]
    allow_unpinned: bool,
    #[command(flatten)]
    trust: TrustArgs,
    /// Pin the run's timestamps to this RFC 3339 time and zero the timings, so that the same
    /// input gives byte-identical output.
    #[arg(long)]
    pin_time: Option<String>,
    /// Do not print the summary table.
    #[arg(long, short)]
    quiet: bool,
}

/// Which plugins a run trusts.
#[derive(clap::Args)]
struct TrustArgs {
    /// The lock file the plugins must match. By default `demarc.lock` beside the
    /// configuration, when there is one (`demarc plugin lock` writes it).
    #[arg(long)]
    lock: Option<PathBuf>,
    /// Refuse every `[[plugin]]` file without a valid minisign signature
    /// (`PLUGIN.wasm.minisig`) by a `[[trusted_key]]` of the configuration.
    #[arg(long)]
    require_signed: bool,
}

impl TrustArgs {
    fn lock(&self) -> trust::Lock {
        match &self.lock {
            Some(p) => trust::Lock::File(p.clone()),
            None => trust::Lock::Beside,
        }
    }
}

#[derive(Subcommand)]
enum PluginCommand {
    /// List the built-in plugins and their checks, and with `--config` the configured ones.
    List {
        /// Also list the `[[plugin]]` files of this configuration.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Describe a plugin file in the sandbox and print its name, version, contract version,
    /// provider, checks (id, severity, controls, benchmark requirements) and sha256.
    Inspect {
        /// The plugin's WebAssembly component.
        plugin: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run one plugin file in the sandbox on one snapshot directory and print its findings
    /// (check, status, resource, message) and every problem the host raises: checks it drops
    /// (unknown control, bad id), findings it rejects (undeclared check, oversize field), the
    /// plugin's input problems and other gaps. Exit 3 when there is any problem.
    Test {
        /// The plugin's WebAssembly component.
        plugin: PathBuf,
        /// The snapshot directory to scan.
        #[arg(long)]
        snapshot: PathBuf,
        /// An input file, relative to the snapshot (repeatable; default: every file in it).
        #[arg(long = "input")]
        inputs: Vec<String>,
        /// The export format declared for every input (default: the plugin detects it).
        #[arg(long)]
        format: Option<String>,
        /// A configuration whose `[data]` (controls, responsibility matrices) is added to the
        /// built-in data.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The reference time (RFC 3339) for age-based checks (default: now).
        #[arg(long)]
        now: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Create a new out-of-tree provider plugin crate: one check with its tests, a sample
    /// snapshot, a responsibility matrix for the provider, a demarc.toml and a README. Never
    /// overwrites: an existing directory is an error.
    New {
        /// The plugin's name (kebab-case); the crate is `demarc-plugin-NAME`.
        name: String,
        /// The provider id the plugin scans (kebab-case, not a built-in provider).
        #[arg(long)]
        provider: String,
        /// The directory to create (default: `demarc-plugin-NAME`).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The demarc SDK directory to depend on by path (default: the SDK of the source tree
        /// this binary was built from, while it exists).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Write `demarc.lock` beside the configuration: the source, name, version, contract
    /// version and sha256 of every plugin, built-in ones included. A scan refuses a plugin
    /// that differs from it.
    Lock {
        /// The configuration file. By default the bundled demo estate's.
        #[arg(long, env = "DEMARC_CONFIG")]
        config: Option<PathBuf>,
        /// Write the lock file here instead of `demarc.lock` beside the configuration.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Refuse `[[plugin]]` files without a valid signature by a trusted key.
        #[arg(long)]
        require_signed: bool,
    },
    /// Print the parity table (Markdown): which check covers which catalog control on which
    /// cloud.
    Parity,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("`{s}` is not one of info, low, medium, high, critical"))
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.is_empty() => {
            Ok((k.trim().to_string(), v.to_string()))
        }
        _ => Err("expected KEY=VALUE, e.g. tier=gold".into()),
    }
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 2/4")?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("`{i}` is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("demarc"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/demarc"))
}

fn default_config() -> PathBuf {
    let local = PathBuf::from("examples/demo/demarc.toml");
    if local.is_file() {
        return local;
    }
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo/demarc.toml"
    ))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // The AWS SDK's `trace` events print whole requests and responses, and an STS response
    // carries the secret access key and session token of the credentials it hands out: they are
    // never written, whatever RUST_LOG asks for.
    let no_sdk_trace = tracing_subscriber::filter::filter_fn(|meta| {
        !(*meta.level() == tracing::Level::TRACE && is_sdk_target(meta.target()))
    });
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry.with(layer.with_filter(no_sdk_trace)).init(),
        LogFormat::Json => registry.with(layer.json().with_filter(no_sdk_trace)).init(),
    }
}

/// Whether a log event's target is in the AWS SDK or the HTTP stack under it.
fn is_sdk_target(target: &str) -> bool {
    ["aws_", "hyper", "h2", "rustls", "tower"]
        .iter()
        .any(|p| target.starts_with(p))
}

// The host allocates a few small strings per finding on one thread and frees them on the
// report writer's; mimalloc handles that pattern with less contention than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Like any Unix filter, stop quietly when the reader of stdout goes away
    // (`demarc plugin parity | head`) instead of failing on the write.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let code = match cli.command {
        Command::Scan(args) => {
            if let Some(t) = &args.pin_time
                && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .is_err()
            {
                eprintln!("error: --pin-time `{t}` is not an RFC 3339 time");
                return std::process::ExitCode::from(ExitCode::Usage as u8);
            }
            let formats = match parse_formats(&args.format) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: --format: {e}");
                    return std::process::ExitCode::from(ExitCode::Usage as u8);
                }
            };
            let opts = scan::ScanOptions {
                formats,
                config: args.config.unwrap_or_else(default_config),
                out: args.out,
                fail_on: args.fail_on,
                tenants: args.tenants,
                groups: args.groups,
                labels: args.labels,
                shard: args.shard,
                schemas: args.schemas,
                cache_dir: if args.no_cache {
                    None
                } else {
                    args.cache_dir.or_else(default_cache_dir)
                },
                pin_time: args.pin_time,
                allow_unpinned: args.allow_unpinned,
                lock: args.trust.lock(),
                require_signed: args.trust.require_signed,
                print_summary: !args.quiet,
                progress: progress::Mode::detect(
                    args.quiet,
                    std::time::Duration::from_secs_f64(args.progress_every.clamp(0.01, 3600.0)),
                ),
                baseline: args.baseline,
                fail_on_new: args.fail_on_new,
                history: args.history,
                check_only: false,
            };
            match scan::run(&opts) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::Incomplete
                }
            }
        }
        Command::Merge(args) => {
            let formats = match parse_formats(&args.format) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: --format: {e}");
                    return std::process::ExitCode::from(ExitCode::Usage as u8);
                }
            };
            let opts = merge::MergeOptions {
                inputs: args.reports,
                config: args.config.unwrap_or_else(default_config),
                out: args.out,
                formats,
                fail_on: args.fail_on,
                schemas: args.schemas,
                print_summary: !args.quiet,
            };
            match merge::run(&opts) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::Incomplete
                }
            }
        }
        Command::Config(ConfigCommand::Check {
            config,
            schemas,
            allow_unpinned,
            trust,
        }) => {
            let opts = scan::ScanOptions {
                formats: Vec::new(),
                config: config.unwrap_or_else(default_config),
                out: PathBuf::from("demarc-report"),
                fail_on: None,
                tenants: Vec::new(),
                groups: Vec::new(),
                labels: Vec::new(),
                shard: None,
                history: None,
                schemas,
                cache_dir: default_cache_dir(),
                pin_time: None,
                allow_unpinned,
                lock: trust.lock(),
                require_signed: trust.require_signed,
                print_summary: false,
                progress: progress::Mode::Off,
                baseline: None,
                fail_on_new: None,
                check_only: true,
            };
            match scan::run(&opts) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::Usage
                }
            }
        }
        Command::History(cmd) => match history_command(&cmd) {
            Ok(()) => ExitCode::Clean,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Diff(args) => match run_diff(&args) {
            Ok(()) => ExitCode::Clean,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Plugin(PluginCommand::Parity) => match plugin_parity() {
            Ok(()) => ExitCode::Clean,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Frameworks(cmd) => match frameworks_command(&cmd) {
            Ok(()) => ExitCode::Clean,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Plugin(PluginCommand::List { config }) => match plugin_list(config.as_deref()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Plugin(PluginCommand::Inspect { plugin, json }) => {
            plugin_cmd::inspect(&plugin, json)
        }
        Command::Plugin(PluginCommand::New {
            name,
            provider,
            dir,
            sdk,
        }) => scaffold::new(&scaffold::NewArgs {
            name: &name,
            provider: &provider,
            dir: dir.as_deref(),
            sdk: sdk.as_deref(),
        }),
        Command::Plugin(PluginCommand::Test {
            plugin,
            snapshot,
            inputs,
            format,
            config,
            now,
            json,
        }) => plugin_cmd::test(&plugin_cmd::TestArgs {
            plugin: &plugin,
            snapshot: &snapshot,
            inputs: &inputs,
            format: format.as_deref(),
            config: config.as_deref(),
            now: now.as_deref(),
            json,
        }),
        Command::Plugin(PluginCommand::Lock {
            config,
            out,
            require_signed,
        }) => plugin_cmd::lock(
            &config.unwrap_or_else(default_config),
            out.as_deref(),
            require_signed,
        ),
        Command::Report(args) => match run_report(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Matrix(args) => match run_matrix(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::Usage
            }
        },
        Command::Evaluate(args) => evaluate::run(&args.reports, &args.out, &args.format),
        Command::Schema { which } => {
            let schema = match which.as_str() {
                "report" => schemars::schema_for!(demarc_core::Report),
                "evaluation" => schemars::schema_for!(demarc_core::evaluate::Evaluation),
                other => {
                    eprintln!("error: no schema `{other}` (known: report, evaluation)");
                    std::process::exit(ExitCode::Usage as i32);
                }
            };
            match serde_json::to_string_pretty(&schema) {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::Clean
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::Usage
                }
            }
        }
    };
    std::process::ExitCode::from(code as u8)
}

fn parse_formats(list: &str) -> Result<Vec<demarc_report::Format>, demarc_report::Error> {
    if list.trim() == "all" {
        return Ok(demarc_report::Format::ALL.to_vec());
    }
    demarc_report::Format::parse_list(list)
}

fn run_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let formats = parse_formats(&args.format)?;
    let data = data::load(args.schemas.as_deref())?;
    let out = args
        .out
        .clone()
        .or_else(|| {
            args.input
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("."));
    // Locked like a scan's, and published the same way: after the lock, since a journal an
    // interrupted run left may still have to move the input into place.
    let out = publish::OutputDir::open(&out).map_err(|e| anyhow::anyhow!("{e}"))?;
    let trend = match &args.history {
        Some(db) => {
            let (frame, _) = demarc_report::stream::read_frame(std::io::BufReader::new(
                std::fs::File::open(&args.input)
                    .with_context(|| format!("cannot read {}", args.input.display()))?,
            ))
            .with_context(|| format!("cannot read {}", args.input.display()))?;
            let tenants: Vec<String> = frame.tenants.iter().map(|t| t.id.clone()).collect();
            Some(history::History::open_existing(db)?.trend(&tenants, None)?)
        }
        None => None,
    };
    render::write_all(&args.input, &data.catalog, &formats, out.staging(), trend)?;
    let names: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    // More formats of the report already in the directory join its files; a report from
    // elsewhere replaces them, so that the directory never mixes two runs.
    let replace = !same_file(&args.input, &out.dir().join("report.json"));
    for path in out.publish(&names, replace)? {
        println!("{}", path.display());
    }
    Ok(ExitCode::Clean)
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(a), Ok(b)) => {
            use std::os::unix::fs::MetadataExt;
            a.dev() == b.dev() && a.ino() == b.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => a.canonicalize().ok() == b.canonicalize().ok(),
        _ => false,
    }
}

fn run_matrix(args: &MatrixArgs) -> anyhow::Result<ExitCode> {
    let report = matrix::read_report(&args.input)?;
    if !report.tenants.iter().any(|t| t.id == args.tenant) {
        anyhow::bail!(
            "no tenant `{}` in {} (tenants: {})",
            args.tenant,
            args.input.display(),
            report
                .tenants
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !report
        .controls
        .iter()
        .any(|r| r.tenant == args.tenant && r.framework == args.framework)
    {
        let mut fws: Vec<&str> = report
            .controls
            .iter()
            .filter(|r| r.tenant == args.tenant)
            .map(|r| r.framework.as_str())
            .collect();
        fws.dedup();
        anyhow::bail!(
            "framework `{}` is not in scope for tenant `{}` (in scope: {})",
            args.framework,
            args.tenant,
            fws.join(", ")
        );
    }
    print!(
        "{}",
        matrix::render(&report, &args.tenant, &args.framework, args.format)?
    );
    Ok(ExitCode::Clean)
}

fn builtin_plugins(data: &data::Data) -> anyhow::Result<Vec<demarc_runtime::Plugin>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let runtime =
        demarc_runtime::Runtime::new(Default::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let mut out = Vec::new();
    for name in plugins::builtin_names() {
        let bytes = plugins::builtin_bytes(name).unwrap_or_default();
        out.push(rt.block_on(runtime.load(
            bytes,
            &format!("builtin:{name}"),
            None,
            &data.catalog,
        ))?);
    }
    Ok(out)
}

fn history_command(cmd: &HistoryCommand) -> anyhow::Result<()> {
    let text = match cmd {
        HistoryCommand::List { db, format } => {
            let runs = history::History::open_existing(db)?.runs()?;
            match format.as_str() {
                "text" => history::runs_text(&runs),
                "json" => serde_json::to_string_pretty(&runs)? + "\n",
                other => anyhow::bail!("--format {other}: expected text or json"),
            }
        }
        HistoryCommand::Diff {
            db,
            from,
            to,
            format,
        } => {
            let h = history::History::open_existing(db)?;
            let d = h.diff(h.resolve(from)?, h.resolve(to)?)?;
            match format.as_str() {
                "md" => diff::markdown(&d),
                "html" => diff::html(&d),
                "json" => serde_json::to_string_pretty(&d)? + "\n",
                other => anyhow::bail!("--format {other}: expected md, json or html"),
            }
        }
        HistoryCommand::Trend {
            db,
            tenants,
            last,
            format,
        } => {
            let t = history::History::open_existing(db)?.trend(tenants, *last)?;
            match format.as_str() {
                "md" => history::trend_markdown(&t),
                "json" => serde_json::to_string_pretty(&t)? + "\n",
                other => anyhow::bail!("--format {other}: expected md or json"),
            }
        }
    };
    print!("{text}");
    Ok(())
}

fn run_diff(args: &DiffArgs) -> anyhow::Result<()> {
    let render: fn(&diff::Diff) -> anyhow::Result<String> = match args.format.as_str() {
        "md" => |d| Ok(diff::markdown(d)),
        "html" => |d| Ok(diff::html(d)),
        "json" => |d| Ok(serde_json::to_string_pretty(d)? + "\n"),
        other => anyhow::bail!("--format `{other}`: expected md, json or html"),
    };
    let d = diff::diff(&args.old, &args.new)?;
    let text = render(&d)?;
    match &args.out {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn frameworks_command(cmd: &FrameworksCommand) -> anyhow::Result<()> {
    match cmd {
        FrameworksCommand::List { schemas } => {
            let data = data::load(schemas.as_deref())?;
            print!("{}", frameworks::list(&data));
            Ok(())
        }
        FrameworksCommand::Coverage { out, schemas } => {
            let data = data::load(schemas.as_deref())?;
            let plugins = builtin_plugins(&data)?;
            frameworks::coverage(&data, &plugins, out.as_deref())
        }
    }
}

fn plugin_parity() -> anyhow::Result<()> {
    let data = data::load(None)?;
    // The providers' own checks; importers learn theirs from other tools' output.
    let mut plugins = builtin_plugins(&data)?;
    plugins.retain(|p| p.producer.is_none());
    data.catalog
        .check_not_applicable(|cloud, control| {
            plugins
                .iter()
                .filter(|p| p.provider == cloud)
                .flat_map(|p| p.checks.values())
                .filter(|k| k.controls.iter().any(|x| x == control))
                .map(|k| k.id.as_str())
                .collect()
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("# Check parity across clouds\n");
    println!("Which built-in check covers which catalog control on which cloud. Generated by");
    println!(
        "`demarc plugin parity`; a test keeps this file equal to its output. A dash means the"
    );
    println!(
        "cloud's plugin has no check for that control: a gap. `n/a` means no check can exist there"
    );
    println!(
        "(the cloud has no such concept, or its exports carry no such data); its footnote gives the"
    );
    println!(
        "reason, recorded as the control's `not_applicable` entry in `schemas/catalog/controls.toml`.\n"
    );
    let mut header = String::from("| # | control | layer |");
    let mut rule = String::from("|---|---|---|");
    for p in &plugins {
        header.push_str(&format!(" {} |", p.provider));
        rule.push_str("---|");
    }
    println!("{header}\n{rule}");
    let mut controls: Vec<&demarc_core::catalog::Control> = data
        .catalog
        .controls()
        .filter(|c| !c.manual && c.class > 0)
        .collect();
    controls.sort_by_key(|c| (c.class, c.id.clone()));
    // Footnotes in order of first use; one per distinct reason.
    let mut notes: Vec<&str> = Vec::new();
    for c in controls {
        let mut row = format!("| {} | `{}` | {} |", c.class, c.id, c.layer.as_str());
        for p in &plugins {
            let checks: Vec<String> = p
                .checks
                .values()
                .filter(|k| k.controls.iter().any(|x| x == &c.id))
                .map(|k| format!("`{}`", k.id))
                .collect();
            let cell = match (checks.is_empty(), c.not_applicable.get(&p.provider)) {
                (false, _) => checks.join("<br>"),
                (true, Some(reason)) => {
                    let n = match notes.iter().position(|r| *r == reason.as_str()) {
                        Some(i) => i + 1,
                        None => {
                            notes.push(reason);
                            notes.len()
                        }
                    };
                    format!("n/a[^{n}]")
                }
                (true, None) => "—".to_string(),
            };
            row.push_str(&format!(" {cell} |"));
        }
        println!("{row}");
    }
    if !notes.is_empty() {
        println!();
        for (i, reason) in notes.iter().enumerate() {
            println!("[^{}]: {reason}", i + 1);
        }
    }
    Ok(())
}

fn plugin_list(config: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let data = data::load(None)?;
    let mut plugins: Vec<(String, demarc_runtime::Plugin)> = builtin_plugins(&data)?
        .into_iter()
        .map(|p| (format!("builtin:{}", p.name), p))
        .collect();
    if let Some(config) = config {
        match plugin_cmd::configured(config, &data) {
            Ok(more) => plugins.extend(more),
            Err(code) => return Ok(code),
        }
    }
    for (source, p) in plugins {
        println!(
            "{} {} (provider {}, contract {}, sha256 {}, from {source})",
            p.name, p.version, p.provider, p.contract, p.sha256
        );
        for c in p.checks.values() {
            println!(
                "  {:<40} {:<8} {}  [{}]",
                c.id,
                c.severity.as_str(),
                c.title,
                c.controls.join(", ")
            );
        }
    }
    Ok(ExitCode::Clean)
}
