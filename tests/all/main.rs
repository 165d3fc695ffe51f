//! demarc's integration tests: one binary, one module per area. They run the real `demarc`
//! binary and the real wasmtime runtime on the real plugins (built for `wasm32-wasip2` by the
//! CLI's build script): there is no test double for the sandbox.

mod benchmarks; // benchmark requirements cited per check: coverage documents, drift, unverifiable citations
mod browser; // a real headless Chromium for HTML checks
mod cache; // the compile cache runs only what it compiled itself; unsafe caches and unpinned plugins are refused
mod config; // configuration errors: exit 2, every problem named with file and key
mod conformance; // one semantic case in every cloud's export shape: the same verdict and owner everywhere
mod contract; // contract 0.3.0 beside 0.4.0 in one scan; other versions refused; checks declared during a scan
mod credentials; // live AWS credentials per target: the SDK chain, profiles, AssumeRole with an external id, against moto
mod custom_provider; // the DigitalOcean example plugin, by README's steps: built, tested, pinned, scanned beside the demo
mod demo; // the bundled demo estate, end to end
mod diff; // demarc diff and scan --baseline --fail-on-new over real scans of a changed estate
mod egress; // outbound HTTP of plugins: denied unless granted; every refusal counted
mod formats; // every report format for the demo estate, validated against its official schema
mod history; // scan --history, demarc history and the trend in the HTML over three runs
mod hostile; // more hostile plugins: stack, recursion, huge strings, floods, probes, writes, sockets, links
mod importers; // other tools' output imported by the importer plugins: attributed, rolled up, unmapped checks counted
mod inputs; // bad inputs become gaps that name the file and position
mod live; // AWS live mode against the AWS API emulator: the same findings as the account's Config snapshot; throttling retried
mod matrix; // the customer responsibility matrix: golden files
mod merge; // demarc merge: shards merged give the single run's report, in any order and grouping
#[path = "../support/moto.rs"]
mod moto; // a real AWS API emulator (moto's server) on a loopback port, for live scanning
mod mssp; // a generated estate of many tenants: one broken export costs one target
mod plugintool; // plugin new generates a crate that builds, tests and scans; plugin test names every problem
mod providers; // a new provider is data: matrices, attestations and controls added; nothing silently attributed
mod publish; // one run at a time per output directory, its files published together
mod reference; // scripts/fetch-reference-data checks every digest and writes nothing on a mismatch
#[path = "../reference_data.rs"]
mod reference_data; // where the official SARIF, OCSF and OSCAL files are found, their sha256 checked
mod sandbox; // hostile plugins: the host survives and lists the gap
mod schema; // the committed JSON Schema matches the types, and reports validate against it
mod suppressions; // suppressions: every selector, expiry by the pinned clock, stale ones, every format, --fail-on
mod tenants; // tenants stay apart: ids, accounts, conflicts
mod tools; // several tools over one estate: findings fused across tools, demarc evaluate
mod trust; // demarc.lock pins every plugin; minisign signatures by trusted keys; --require-signed

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Tests that measure time take this exclusively; every other test shares it, so that a
/// timing test never runs while the 2-core machine is busy with the rest of the suite.
static CPU: RwLock<()> = RwLock::new(());

/// Share the machine with other ordinary tests.
pub fn shared_cpu() -> RwLockReadGuard<'static, ()> {
    CPU.read().unwrap_or_else(|e| e.into_inner())
}

/// Have the machine to this test alone.
pub fn exclusive_cpu() -> RwLockWriteGuard<'static, ()> {
    CPU.write().unwrap_or_else(|e| e.into_inner())
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where the build script put the plugins' WebAssembly.
pub fn wasm(name: &str) -> PathBuf {
    Path::new(env!("BUILT_WASM_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}

/// Keep the AWS SDK's credential chain of a `demarc` run off this machine's own AWS settings and
/// off the network: no `AWS_*` variable of the test's environment, no instance metadata, and
/// shared `config` / `credentials` files that do not exist in `dir` (a test writes them there
/// when it wants some).
pub fn isolate_aws<'a>(cmd: &'a mut Command, dir: &Path) -> &'a mut Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join(".aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join(".aws-credentials"))
}

/// Run the `demarc` binary with `args`, with a private compile cache.
pub fn demarc(args: &[&str], cwd: &Path) -> Output {
    demarc_with(args, cwd, &[])
}

/// [`demarc`], with `env` set after the isolation (e.g. an emulator's AWS keys).
pub fn demarc_with(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let _cpu = shared_cpu();
    isolate_aws(&mut Command::new(env!("CARGO_BIN_EXE_demarc")), cwd)
        .envs(env.iter().copied())
        .args(args)
        .current_dir(cwd)
        .env("DEMARC_CACHE_DIR", cwd.join(".cache"))
        .env_remove("RUST_LOG")
        .env_remove("BUILT_WASM_DIR")
        // Where the tests find the official schemas; to demarc it would be a configuration
        // key (`DEMARC_*` layers over the file), and an unknown one.
        .env_remove("DEMARC_REFERENCE_DATA")
        .output()
        .expect("run demarc")
}

/// The exit code, stdout and stderr of a run, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Read a report.
pub fn report(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// Write a configuration file into `dir` and return its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("demarc.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The gaps of a report.
pub fn gaps(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["gaps"].as_array().cloned().unwrap_or_default()
}
