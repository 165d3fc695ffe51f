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
