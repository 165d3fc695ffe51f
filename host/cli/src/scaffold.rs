//! `demarc plugin new`: a new out-of-tree provider plugin crate, ready to build, test and scan.
//!
//! The crate holds one check with its unit tests and a test of its declarations
//! (`demarc_sdk::testing::validate_declarations`), a sample snapshot with a clean and a failing
//! resource, a responsibility matrix for the provider in the layout of
//! `schemas/responsibility/*.toml`, a `demarc.toml` that scans the sample with the plugin, and a
//! README.

use std::path::{Path, PathBuf};

use crate::ExitCode;

/// What `demarc plugin new` creates.
pub struct NewArgs<'a> {
    /// The plugin's name (kebab-case); the crate is `demarc-plugin-NAME`.
    pub name: &'a str,
    /// The provider id it scans (kebab-case).
    pub provider: &'a str,
    /// The directory to create (default: `demarc-plugin-NAME` in the current directory).
    pub dir: Option<&'a Path>,
    /// The SDK to depend on (default: the SDK of the source tree this binary was built from).
    pub sdk: Option<&'a Path>,
}

/// The SDK of the source tree this binary was built from.
fn built_from_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk")
}

/// `demarc plugin new`.
pub fn new(args: &NewArgs<'_>) -> ExitCode {
    match create(args) {
        Ok(dir) => {
            println!("created {}", dir.display());
            println!("next: cd {} && cargo test", dir.display());
            println!("      cargo build --release --target wasm32-wasip2");
            println!(
                "      demarc plugin test {} --snapshot snapshot --config demarc.toml",
                wasm_path(args.name)
            );
            ExitCode::Clean
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::Usage
        }
    }
}

fn wasm_path(name: &str) -> String {
    format!(
        "target/wasm32-wasip2/release/demarc_plugin_{}.wasm",
        name.replace(['-', '.'], "_")
    )
}

/// A plugin name or provider id as the host requires them, also usable in Rust and file names:
/// lowercase letters, digits and inner `-`, starting with a letter.
fn valid_id(s: &str) -> bool {
    s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn create(args: &NewArgs<'_>) -> anyhow::Result<PathBuf> {
    for (what, v) in [("NAME", args.name), ("--provider", args.provider)] {
        if !valid_id(v) {
            anyhow::bail!(
                "{what} `{v}` must be a kebab-case id: lowercase letters, digits and single inner \
                 `-`, starting with a letter, at most 64 characters"
            );
        }
    }
    if ["aws", "azure", "gcp"].contains(&args.provider) {
        anyhow::bail!(
            "--provider `{}` is a built-in provider, which has its responsibility matrix already; \
             a new plugin for it replaces the built-in plugin of the same name instead (choose \
             another provider id for a new cloud)",
            args.provider
        );
    }
    let dir = args
        .dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("demarc-plugin-{}", args.name)));
    if dir.exists() || dir.symlink_metadata().is_ok() {
        anyhow::bail!(
            "`{}` already exists: plugin new never overwrites; choose another --dir",
            dir.display()
        );
    }
    let (sdk, sdk_note) = match args.sdk {
        Some(p) => {
            let p = std::path::absolute(p)?;
            if !p.join("Cargo.toml").is_file() {
                anyhow::bail!("--sdk `{}` holds no Cargo.toml", p.display());
            }
            (p.clone(), format!("`{}`, given with `--sdk`", p.display()))
        }
        None => {
            let p = built_from_sdk();
            let Ok(p) = p.canonicalize() else {
                anyhow::bail!(
                    "the SDK of the source tree demarc was built from ({}) no longer exists: \
                     give the path of a demarc `sdk` directory with --sdk",
                    p.display()
                );
            };
            (
                p.clone(),
                format!(
                    "`{}`, the SDK of the source tree the `demarc` binary that generated this \
                     crate was built from (`--sdk PATH` chooses another)",
                    p.display()
                ),
            )
        }
    };
    let sdk_text = sdk
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the SDK path `{}` is not UTF-8", sdk.display()))?;
    let vars = Vars {
        name: args.name,
        provider: args.provider,
        sdk: sdk_text,
        sdk_note: &sdk_note,
    };
    let files: [(&str, &str); 7] = [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("snapshot/buckets.json", SNAPSHOT),
        ("responsibility/PROVIDER.toml", MATRIX),
        ("demarc.toml", CONFIG),
        ("README.md", README),
        (".gitignore", "/target\n/demarc-report\n"),
    ];
    // Written under a temporary name beside the destination, then renamed: a failure leaves no
    // half-made crate behind, and a directory that appeared meanwhile is not overwritten.
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let staging = parent.join(format!(".demarc-plugin-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| -> anyhow::Result<()> {
        for (path, template) in files {
            let path = path.replace("PROVIDER", args.provider);
            let full = staging.join(&path);
            if let Some(p) = full.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(&full, vars.fill(template))?;
        }
        // `rename` onto an existing directory may succeed when it is empty: refuse it first.
        if dir.symlink_metadata().is_ok() {
            anyhow::bail!(
                "`{}` already exists: plugin new never overwrites; choose another --dir",
                dir.display()
            );
        }
        std::fs::rename(&staging, &dir)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result?;
    Ok(dir)
}

struct Vars<'a> {
    name: &'a str,
    provider: &'a str,
    sdk: &'a str,
    sdk_note: &'a str,
}

impl Vars<'_> {
    fn fill(&self, template: &str) -> String {
        let type_name: String = self
            .provider
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        template
            .replace("{{name}}", self.name)
            .replace("{{lib}}", &self.name.replace('-', "_"))
            .replace("{{provider}}", self.provider)
            .replace("{{Provider}}", &type_name)
            .replace(
                "{{sdk}}",
                &self.sdk.replace('\\', "\\\\").replace('"', "\\\""),
            )
            .replace("{{sdk_note}}", self.sdk_note)
            .replace(
                "{{contract}}",
                demarc_runtime::SUPPORTED_CONTRACTS
                    .last()
                    .copied()
                    .unwrap_or_default(),
            )
    }
}

const CARGO_TOML: &str = r#"[package]
name = "demarc-plugin-{{name}}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the WebAssembly component demarc loads; rlib: the native unit tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
demarc-sdk = { path = "{{sdk}}" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[profile.release]
lto = true
codegen-units = 1

# A crate of its own, not a member of an enclosing workspace.
[workspace]
"#;

const LIB_RS: &str = r##"//! The `{{name}}` demarc plugin: checks over `{{provider}}` bucket exports.
//!
//! The export it reads is a JSON object `{"buckets": [...]}` (or a bare array, or one bucket per
//! line), each bucket with `id`, `name`, `account`, `region` and `public_read`.

use demarc_sdk::dispatch::{Catalog, Reader};
use demarc_sdk::formats::{Format, Own, Sniffed};
use demarc_sdk::scan::{Driver, Flow, Opened, Scan, Stream};
use demarc_sdk::time::Timestamp;
use demarc_sdk::{
    Actor, CheckDef, Emitter, Finding, FindingBuilder, PluginInfo, ScanError, ScanRequest,
    ScanSummary, Severity,
};
use serde::Deserialize;

/// The native type of a bucket, as findings name it (and the responsibility matrix maps it).
pub const BUCKET: &str = "{{provider}}/bucket";

/// A bucket must not be readable by anyone on the internet.
pub static BUCKET_PUBLIC_READ: CheckDef = CheckDef {
    id: "{{provider}}-bucket-public-read",
    title: "Buckets are not readable by anyone on the internet",
    severity: Severity::High,
    actor: Actor::Customer,
    rationale: "A publicly readable bucket hands its objects to anyone who finds its address.",
    remediation: "Turn off public read on the bucket and grant access to named principals.",
    controls: &["public-resource-access"],
    resource_types: &[BUCKET],
    requirements: &[],
};

/// One bucket of the export.
#[derive(Debug, Deserialize)]
pub struct Bucket {
    /// The provider's id of the bucket.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// The account it belongs to.
    pub account: String,
    /// Its region.
    pub region: String,
    /// Whether anyone may read it; absent when the export does not say.
    #[serde(default)]
    pub public_read: Option<bool>,
}

/// Judge one bucket.
pub fn bucket_public_read(b: &Bucket) -> Finding {
    let f = FindingBuilder::new(&BUCKET_PUBLIC_READ, &b.account, &b.region, BUCKET, &b.id)
        .name(b.name.as_deref());
    match b.public_read {
        Some(true) => f
            .evidence("public_read", "true")
            .fail("the bucket is readable by anyone on the internet"),
        Some(false) => f
            .evidence("public_read", "false")
            .pass("the bucket is not publicly readable"),
        None => f.manual("the export does not say whether the bucket is publicly readable"),
    }
}

/// Every resource type with its checks: what `info()` declares and how items are dispatched.
pub static CATALOG: Catalog<fn(&Bucket) -> Finding> = Catalog {
    readers: &[Reader {
        types: &[BUCKET],
        checks: &[&BUCKET_PUBLIC_READ],
        evaluate: bucket_public_read,
    }],
    joins: &[],
};

/// The formats this plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// The bucket list.
    Buckets,
}

/// The scan of one target.
pub struct BucketScan;

impl Driver for BucketScan {
    type Format = Export;
    const OWN: Own = Own {
        plugin: "{{name}}",
        items: "{{provider}} buckets",
        required: "`id`, `account` and `region`",
        advice: "",
    };
    const FORMATS: &'static [Format<Export>] = &[Format {
        names: &["{{provider}}-buckets"],
        format: Export::Buckets,
    }];
    const NOT_OURS: &'static str = "not a {{provider}} export this plugin reads: ";

    fn sniff(body: &[u8]) -> Sniffed<Export> {
        match body.first() {
            Some(b'{') | Some(b'[') => Sniffed::Format(Export::Buckets),
            _ => Sniffed::Unsupported("not JSON".to_string()),
        }
    }

    fn start(_now: Timestamp) -> Self {
        BucketScan
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        _format: Export,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let how = Stream {
            key: "buckets",
            empty: "no buckets",
            not_an_array: None,
        };
        let dispatch = CATALOG.dispatch();
        scan.json_items(file, input.reader, how, |scan, item, text| {
            let bucket: Bucket = match serde_json::from_str(text) {
                Ok(b) => b,
                Err(e) => {
                    scan.item_parse_error(file, item, &e);
                    return Ok(Flow::Next);
                }
            };
            scan.resources(1);
            for reader in dispatch.readers(BUCKET) {
                scan.emit([(reader.evaluate)(&bucket)])?;
            }
            Ok(Flow::Next)
        })?;
        Ok(())
    }

    fn finish(self, _scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        Ok(())
    }
}

/// The provider.
pub struct {{Provider}};

impl demarc_sdk::Provider for {{Provider}} {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            provider: "{{provider}}".to_string(),
            contract_version: demarc_sdk::CONTRACT_VERSION.to_string(),
            producer: None,
            checks: CATALOG.checks(),
        }
    }

    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        demarc_sdk::scan::run::<BucketScan>(request, out)
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!({{Provider}});

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Provider;
    use demarc_sdk::Status;
    use demarc_sdk::testing::{self, Controls};

    const NOW: &str = "2026-11-01T00:00:00Z";

    fn bucket(json: &str) -> Finding {
        bucket_public_read(&serde_json::from_str(json).expect("a test bucket parses"))
    }

    #[test]
    fn a_public_bucket_fails_a_private_one_passes_and_silence_is_manual() {
        let b = r#"{"id": "b1", "account": "a", "region": "r""#;
        assert_eq!(bucket(&format!("{b}, \"public_read\": true}}")).status, Status::Fail);
        assert_eq!(bucket(&format!("{b}, \"public_read\": false}}")).status, Status::Pass);
        assert_eq!(bucket(&format!("{b}}}")).status, Status::Manual);
    }

    #[test]
    fn the_sample_snapshot_has_one_pass_and_one_fail() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshot");
        let scan = testing::scan_dir::<{{Provider}}>(&dir, &["buckets.json"], NOW);
        assert!(scan.result.is_ok(), "{:?}", scan.result);
        let statuses: Vec<Status> = scan.findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [Status::Pass, Status::Fail]);
    }

    #[test]
    fn a_damaged_bucket_is_a_problem_at_its_line() {
        let scan = testing::scan_files::<{{Provider}}>(
            &[("b.json", "{\"buckets\": [\n{\"id\": 1}\n]}")],
            NOW,
        );
        let problems = scan.result.expect("a damaged item does not stop the scan").problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].error.line, Some(2));
    }

    /// What the host checks when it loads the plugin and takes its findings: the declared
    /// checks against the control catalog (the built-in one; add your `[data] controls` file
    /// with `Controls::builtin_with`), and the sample's findings against the declared checks
    /// and the host's limits.
    #[test]
    fn declarations_are_valid() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshot");
        let scan = testing::scan_dir::<{{Provider}}>(&dir, &["buckets.json"], NOW);
        testing::validate_declarations(&{{Provider}}::info(), &Controls::builtin(), &scan.findings)
            .unwrap();
    }
}
"##;

const SNAPSHOT: &str = r#"{
  "buckets": [
    {
      "id": "{{provider}}:bucket:acct-1001/eu-1/reports",
      "name": "reports",
      "account": "acct-1001",
      "region": "eu-1",
      "public_read": false
    },
    {
      "id": "{{provider}}:bucket:acct-1001/eu-1/marketing-assets",
      "name": "marketing-assets",
      "account": "acct-1001",
      "region": "eu-1",
      "public_read": true
    }
  ]
}
"#;

const MATRIX: &str = r#"# Who owns what on {{provider}}, by service model and layer (the layout of demarc's
# schemas/responsibility/*.toml). Every cell names the document it rests on: replace the source
# below with the provider's own shared responsibility document and review every cell against it.
provider = "{{provider}}"

[sources]
ccm = { title = "CSA Cloud Controls Matrix v4: Shared Security Responsibility Model guidance", url = "https://cloudsecurityalliance.org/research/cloud-controls-matrix" }

# Native resource type -> service model (iaas, paas, faas, abstracted).
[service-models]
"{{provider}}/bucket" = "abstracted"

# Object storage: the provider runs everything under the service; who may read the data and
# how it is protected are the customer's settings.
[matrix.abstracted]
physical = { owner = "provider", source = "ccm" }
network-infrastructure = { owner = "provider", source = "ccm" }
virtualization = { owner = "provider", source = "ccm" }
host-os = { owner = "provider", source = "ccm" }
guest-os = { owner = "provider", source = "ccm" }
network-controls = { owner = "shared", sharing = "dependent", source = "ccm" }
application = { owner = "provider", source = "ccm" }
identity = { owner = "customer", source = "ccm" }
data = { owner = "shared", sharing = "dependent", source = "ccm" }
logging = { owner = "customer", source = "ccm" }
resilience = { owner = "shared", sharing = "dependent", source = "ccm" }
governance = { owner = "customer", source = "ccm" }
"#;

const CONFIG: &str = r#"# Scans the sample snapshot with this plugin: `demarc scan --config demarc.toml`.
name = "{{name}} plugin: sample estate"
now = "2026-11-01T00:00:00Z"

[[plugin]]
path = "target/wasm32-wasip2/release/demarc_plugin_{{lib}}.wasm"
# Pin the build you trust: sha256 = "<the output of `sha256sum` on the file above>"
# (until then, scan with --allow-unpinned).

[data]
responsibility = ["responsibility/{{provider}}.toml"]

[[tenant]]
id = "sample"
name = "Sample tenant"

[[tenant.target]]
id = "sample-{{provider}}"
provider = "{{provider}}"
snapshot = "snapshot"
"#;

const README: &str = r#"# demarc-plugin-{{name}}

A demarc provider plugin for `{{provider}}`, generated by `demarc plugin new`.

- `src/lib.rs` — the plugin: one check (`{{provider}}-bucket-public-read`) over a bucket export,
  its unit tests, and `declarations_are_valid`, which checks the declared checks and the sample's
  findings as the host will (`demarc_sdk::testing::validate_declarations`).
- `snapshot/buckets.json` — a sample export: one clean bucket, one publicly readable.
- `responsibility/{{provider}}.toml` — the provider's responsibility matrix (review every cell
  against the provider's own documents).
- `demarc.toml` — scans the sample with the plugin, the matrix added through `[data]`.

The SDK dependency is a path: {{sdk_note}}. The SDK is not published; point `Cargo.toml` at the
`sdk` directory of the demarc source your host is built from (contract {{contract}}).

```sh
cargo test                                        # the checks, natively
rustup target add wasm32-wasip2
cargo build --release --target wasm32-wasip2      # the component
demarc plugin test target/wasm32-wasip2/release/demarc_plugin_{{lib}}.wasm \
    --snapshot snapshot --config demarc.toml      # in the sandbox: findings and problems
demarc scan --config demarc.toml --allow-unpinned --out demarc-report
```

Pin the plugin (`sha256` in `[[plugin]]`) before using it for real.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("tinycloud") && valid_id("tiny-cloud2"));
        for bad in [
            "",
            "Tiny",
            "9cloud",
            "tiny-",
            "tiny--cloud",
            "tiny_cloud",
            "tiny.cloud",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn templates_are_filled_everywhere() {
        let v = Vars {
            name: "tiny",
            provider: "tiny-cloud",
            sdk: "/src/demarc/sdk",
            sdk_note: "note",
        };
        for t in [CARGO_TOML, LIB_RS, SNAPSHOT, MATRIX, CONFIG, README] {
            let out = v.fill(t);
            assert!(!out.contains("{{"), "{out}");
        }
        assert!(v.fill(LIB_RS).contains("pub struct TinyCloud;"));
    }
}
