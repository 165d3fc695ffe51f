//! `demarc plugin lock` and the configured plugins of `demarc plugin list`.

use std::path::{Path, PathBuf};

use demarc_core::DataErrors;
use demarc_runtime::{Plugin, Runtime};

use crate::trust::{self, LockEntry};
use crate::{ExitCode, config, data, plugins};

/// A configured plugin, loaded.
pub struct Loaded {
    /// The `[[plugin]]` path as the configuration writes it.
    pub written: String,
    /// The plugin.
    pub plugin: Plugin,
    /// The trusted key that signed it.
    pub signed_by: Option<String>,
}

/// Read the configuration, check its plugin files (existence, signatures and, unless `lock` is
/// [`trust::Lock::Ignore`], the lock file) and load each one. Any problem is printed and is a
/// configuration error.
fn load_configured(
    config: &Path,
    data: &data::Data,
    lock: &trust::Lock,
    require_signed: bool,
) -> Result<Vec<Loaded>, ExitCode> {
    let file = config.display().to_string();
    let raw = match config::read(config, std::env::vars()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return Err(ExitCode::Usage);
        }
    };
    let base = config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // An unpinned plugin is listed and locked: the lock pins it.
    let mut errors = raw.pin_errors(&file, true);
    match trust::check(&raw, &file, &base, lock, require_signed) {
        Ok(t) if errors.is_empty() => {
            let runtime = Runtime::new(Default::default()).map_err(|e| {
                eprintln!("error: cannot start the WebAssembly runtime: {e:#}");
                ExitCode::Usage
            })?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| {
                    eprintln!("error: cannot start the async runtime: {e}");
                    ExitCode::Usage
                })?;
            let mut out = Vec::new();
            for (i, (p, c)) in raw.plugin.iter().zip(t.configured).enumerate() {
                let pin = p.sha256.as_deref().unwrap_or(&c.sha256);
                match rt.block_on(plugins::load_file(
                    &runtime,
                    &c.path,
                    Some(pin),
                    &data.catalog,
                )) {
                    Ok(plugin) => out.push(Loaded {
                        written: c.written,
                        plugin,
                        signed_by: c.signed_by,
                    }),
                    Err(e) => errors.push(demarc_core::DataError::new(
                        &file,
                        format!("plugin[{i}].path"),
                        e.to_string(),
                    )),
                }
            }
            if errors.is_empty() {
                return Ok(out);
            }
        }
        Ok(_) => {}
        Err(e) => errors.extend(e),
    }
    eprintln!("error: invalid configuration: {}", DataErrors(errors));
    Err(ExitCode::Usage)
}

/// The configured plugins for `demarc plugin list --config`, each with where it comes from.
pub fn configured(config: &Path, data: &data::Data) -> Result<Vec<(String, Plugin)>, ExitCode> {
    Ok(load_configured(config, data, &trust::Lock::Beside, false)?
        .into_iter()
        .map(|l| {
            let source = match &l.signed_by {
                Some(k) => format!("{} (signed by {k})", l.written),
                None => l.written,
            };
            (source, l.plugin)
        })
        .collect())
}

/// `demarc plugin lock`: write the lock file of a configuration.
pub fn lock(config: &Path, out: Option<&Path>, require_signed: bool) -> ExitCode {
    let data = match data::load(None) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: invalid data files: {e}");
            return ExitCode::Usage;
        }
    };
    let configured = match load_configured(config, &data, &trust::Lock::Ignore, require_signed) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let builtin = match crate::builtin_plugins(&data) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::Usage;
        }
    };
    let entry = |source: String, p: &Plugin| LockEntry {
        source,
        name: p.name.clone(),
        version: p.version.clone(),
        contract: p.contract.clone(),
        sha256: p.sha256.clone(),
    };
    let mut entries: Vec<LockEntry> = builtin
        .iter()
        .map(|p| entry(format!("builtin:{}", p.name), p))
        .collect();
    entries.extend(
        configured
            .iter()
            .map(|l| entry(l.written.clone(), &l.plugin)),
    );
    let path = out.map(Path::to_path_buf).unwrap_or_else(|| {
        config
            .parent()
            .unwrap_or(Path::new("."))
            .join(trust::LOCK_FILE)
    });
    for e in &entries {
        println!(
            "{} {} {} (contract {}, sha256 {})",
            e.source, e.name, e.version, e.contract, e.sha256
        );
    }
    match trust::write_lock(&path, entries) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::Clean
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::Usage
        }
    }
}

/// `demarc plugin inspect`: load one plugin file (unpinned: inspecting it is how one learns its
/// digest) and print what it declares. A file that is missing or not a plugin is exit 2.
pub fn inspect(path: &Path, json: bool) -> ExitCode {
    let loaded = (|| -> anyhow::Result<Plugin> {
        let data = data::load(None)?;
        if !path.is_file() {
            anyhow::bail!(
                "plugin `{}` does not exist or is not a file",
                path.display()
            );
        }
        let runtime = Runtime::new(Default::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(rt.block_on(plugins::load_file(&runtime, path, None, &data.catalog))?)
    })();
    let p = match loaded {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::Usage;
        }
    };
    if json {
        let checks: Vec<serde_json::Value> = p
            .checks
            .values()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "title": c.title,
                    "severity": c.severity.as_str(),
                    "controls": c.controls,
                    "requirements": c.requirements,
                    "resource_types": c.resource_types,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "name": p.name,
            "version": p.version,
            "contract": p.contract,
            "provider": p.provider,
            "sha256": p.sha256,
            "producer": p.producer.as_ref().map(|d| serde_json::json!({
                "name": d.name,
                "version": d.version,
            })),
            "checks": checks,
            "warnings": p.warnings,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("name      {}", p.name);
        println!("version   {}", p.version);
        println!("contract  {}", p.contract);
        println!("provider  {}", p.provider);
        println!("sha256    {}", p.sha256);
        if let Some(d) = &p.producer {
            println!("producer  {} {}", d.name, d.version);
        }
        println!("checks    {}", p.checks.len());
        for c in p.checks.values() {
            let reqs: Vec<String> = c
                .requirements
                .iter()
                .map(|(b, ids)| format!("{b} {}", ids.join(" ")))
                .collect();
            println!(
                "  {:<40} {:<8} [{}]{}",
                c.id,
                c.severity.as_str(),
                c.controls.join(", "),
                if reqs.is_empty() {
                    String::new()
                } else {
                    format!(" {}", reqs.join("; "))
                }
            );
        }
        for w in &p.warnings {
            println!("warning   {w}");
        }
    }
    ExitCode::Clean
}

/// What `demarc plugin test` runs.
pub struct TestArgs<'a> {
    /// The plugin file.
    pub plugin: &'a Path,
    /// The snapshot directory.
    pub snapshot: &'a Path,
    /// The inputs, relative to the snapshot; empty for every file in it.
    pub inputs: &'a [String],
    /// The format declared for every input, if any.
    pub format: Option<&'a str>,
    /// A configuration whose `[data]` (controls, matrices, attestations) is added.
    pub config: Option<&'a Path>,
    /// The reference time; by default the current time.
    pub now: Option<&'a str>,
    /// JSON output.
    pub json: bool,
}

/// `demarc plugin test`: run one plugin in the real sandbox on one snapshot, print its findings
/// and every problem the host raises (checks it dropped, findings it rejected, the plugin's
/// problems, gaps). Exit 0 without problems, 3 with any, 2 when the plugin or the data cannot
/// be loaded.
pub fn test(args: &TestArgs<'_>) -> ExitCode {
    match run_test(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::Usage
        }
    }
}

fn run_test(args: &TestArgs<'_>) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;

    use demarc_core::{Gap, GapKind};
    use demarc_runtime::{ScanContext, TargetSpec};

    let mut data = data::load(None).map_err(|e| anyhow::anyhow!("invalid data files: {e}"))?;
    if let Some(config) = args.config {
        let raw = config::read(config, std::env::vars())
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        data = data::extend(
            data,
            &raw.additions(config.parent().unwrap_or(Path::new("."))),
        )
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    }
    if !args.plugin.is_file() {
        anyhow::bail!(
            "plugin `{}` does not exist or is not a file",
            args.plugin.display()
        );
    }
    if !args.snapshot.is_dir() {
        anyhow::bail!(
            "snapshot `{}` does not exist or is not a directory",
            args.snapshot.display()
        );
    }
    let runtime = Runtime::new(Default::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let plugin = Arc::new(rt.block_on(plugins::load_file(
        &runtime,
        args.plugin,
        None,
        &data.catalog,
    ))?);

    // The target is named after the snapshot directory, as a configuration would name it.
    let dir_name = std::path::absolute(args.snapshot)?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".to_string());
    let (tenant, target) = ("plugin-test", dir_name.as_str());
    let mut gaps: Vec<Gap> = Vec::new();
    let configured = (!args.inputs.is_empty()).then_some(args.inputs);
    let vetted = crate::inputs::vet(args.snapshot, configured)
        .map_err(|e| anyhow::anyhow!("cannot read snapshot `{}`: {e}", args.snapshot.display()))?;
    for r in &vetted.refused {
        gaps.push(Gap {
            kind: GapKind::MissingInput,
            tenant: tenant.into(),
            target: target.into(),
            plugin: Some(plugin.name.clone()),
            file: Some(r.file.clone()),
            line: None,
            column: None,
            message: format!("{}: {}", r.file, r.reason),
        });
    }
    let inputs = vetted.readable();
    let now = args
        .now
        .map(str::to_string)
        .unwrap_or_else(crate::scan::now_rfc3339);
    let mut findings: Vec<demarc_core::Finding> = Vec::new();
    let mut unmapped: Vec<demarc_core::UnmappedFinding> = Vec::new();
    if inputs.is_empty() {
        gaps.push(Gap {
            kind: GapKind::MissingInput,
            tenant: tenant.into(),
            target: target.into(),
            plugin: Some(plugin.name.clone()),
            file: None,
            line: None,
            column: None,
            message: format!(
                "snapshot {} holds no readable input; nothing was scanned",
                args.snapshot.display()
            ),
        });
    } else {
        let spec = TargetSpec {
            tenant: tenant.into(),
            target: target.into(),
            snapshot: args.snapshot.to_path_buf(),
            inputs: inputs
                .into_iter()
                .map(|p| (p, args.format.map(str::to_string)))
                .collect(),
            now,
            limits: Default::default(),
            accounts: None,
            egress: None,
        };
        let ctx = Arc::new(ScanContext {
            tenant: tenant.into(),
            target: target.into(),
            provider: plugin.provider.clone(),
            plugin: plugin.clone(),
            catalog: data.catalog.clone(),
            attributor: data.attributor.clone(),
            contracts: Vec::new(),
        });
        let collected = Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
        let outcome = rt.block_on(runtime.scan(&spec, ctx, Box::new(Collect(collected.clone()))));
        gaps.extend(outcome.gaps);
        drop(outcome.sink);
        (findings, unmapped) =
            std::mem::take(&mut *collected.lock().unwrap_or_else(|e| e.into_inner()));
    }
    // Dropped checks and dropped citations, as `describe` was validated.
    let problems = plugin.warnings.len() + gaps.len();
    if args.json {
        let doc = serde_json::json!({
            "plugin": {
                "name": plugin.name,
                "version": plugin.version,
                "provider": plugin.provider,
                "contract": plugin.contract,
                "sha256": plugin.sha256,
            },
            "findings": findings.iter().map(|f| serde_json::json!({
                "check": f.check.id,
                "status": f.status.as_str(),
                "resource": f.resource.id,
                "native_type": f.resource.native_type,
                "account": f.account,
                "region": f.region,
                "message": f.message,
                "owner": f.responsibility.owner,
                "basis": f.responsibility.basis.kind,
                "basis_entry": f.responsibility.basis.entry,
            })).collect::<Vec<_>>(),
            "unmapped": unmapped.iter().map(|f| serde_json::json!({
                "check": f.check.id,
                "status": f.status.as_str(),
                "resource": f.resource.id,
                "native_type": f.resource.native_type,
                "account": f.account,
                "region": f.region,
                "message": f.message,
            })).collect::<Vec<_>>(),
            "declaration_problems": plugin.warnings,
            "gaps": gaps,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "{} {} (provider {}, sha256 {})",
            plugin.name, plugin.version, plugin.provider, plugin.sha256
        );
        let mut rows = vec![[
            "check".to_string(),
            "status".to_string(),
            "resource".to_string(),
            "message".to_string(),
        ]];
        for f in &findings {
            rows.push([
                f.check.id.clone(),
                f.status.as_str().to_string(),
                f.resource.id.clone(),
                f.message.clone(),
            ]);
        }
        for f in &unmapped {
            rows.push([
                format!("{} (unmapped)", f.check.id),
                f.status.as_str().to_string(),
                f.resource.id.clone(),
                f.message.clone(),
            ]);
        }
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for r in &rows {
            println!("{:<w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]);
        }
        let mut by_status: std::collections::BTreeMap<&str, usize> = Default::default();
        for f in &findings {
            *by_status.entry(f.status.as_str()).or_default() += 1;
        }
        let counts: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
        println!(
            "{} finding(s){}",
            findings.len(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(": {}", counts.join(", "))
            }
        );
        if !unmapped.is_empty() {
            println!(
                "{} finding(s) of other tools' checks that map to no control (not attributed)",
                unmapped.len()
            );
        }
        for w in &plugin.warnings {
            println!("problem: declaration: {w}");
        }
        for g in &gaps {
            let at = match (&g.file, g.line, g.column) {
                (Some(f), Some(l), Some(c)) => format!(" {f}:{l}:{c}:"),
                (Some(f), Some(l), None) => format!(" {f}:{l}:"),
                (Some(f), None, _) => format!(" {f}:"),
                _ => String::new(),
            };
            println!("problem: {}:{at} {}", g.kind.as_str(), g.message);
        }
        if problems == 0 {
            println!("no problems");
        }
    }
    Ok(if problems == 0 {
        ExitCode::Clean
    } else {
        ExitCode::Incomplete
    })
}

/// The findings of a `plugin test` run, kept in memory (one target): attributed, and another
/// tool's that map to no control.
type Collected = (Vec<demarc_core::Finding>, Vec<demarc_core::UnmappedFinding>);
struct Collect(std::sync::Arc<std::sync::Mutex<Collected>>);

impl demarc_runtime::FindingSink for Collect {
    fn accept(&mut self, finding: demarc_core::Finding) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|_| "the finding list is poisoned".to_string())?
            .0
            .push(finding);
        Ok(())
    }

    fn accept_unmapped(&mut self, finding: demarc_core::UnmappedFinding) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|_| "the finding list is poisoned".to_string())?
            .1
            .push(finding);
        Ok(())
    }
}
