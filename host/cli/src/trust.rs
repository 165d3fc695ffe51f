//! Which plugins a run trusts, decided before any plugin is compiled or run.
//!
//! - The lock file, `demarc.lock` beside the configuration (written by `demarc plugin lock`):
//!   the source, name, version, contract version and sha256 of every plugin of the
//!   configuration, built-in ones included. A scan with a lock file refuses a plugin whose
//!   digest differs from the locked one, one the lock does not list, and a lock entry that is
//!   no longer configured.
//! - Signatures: `PLUGIN.wasm.minisig` beside a `[[plugin]]` file, in the format of the
//!   standard `minisign` tool, verified against the configuration's `[[trusted_key]]`s. A
//!   signature that does not verify (the plugin or the signature was changed) is always
//!   refused; with `require_signed` (or `--require-signed`) an unsigned plugin, or one signed
//!   by a key that is not trusted, is refused too. Built-in plugins are part of the binary and
//!   need no signature.
//!
//! Every refusal is a configuration error naming the file and key (exit 2): the run does not
//! start, so nothing of a refused plugin runs and no report leaves out its targets unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use demarc_core::DataError;
use minisign_verify::{PublicKey, Signature};
use serde::{Deserialize, Serialize};

use crate::config::RawConfig;
use crate::plugins;

/// The lock file's name, beside the configuration.
pub const LOCK_FILE: &str = "demarc.lock";

/// The version of the lock file's format.
const LOCK_VERSION: u32 = 1;

/// `demarc.lock`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// The format version, 1.
    pub version: u32,
    /// Every plugin of the configuration, built-in ones first.
    #[serde(default)]
    pub plugin: Vec<LockEntry>,
}

/// One locked plugin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// `builtin:NAME`, or the `[[plugin]]` path as the configuration writes it.
    pub source: String,
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The contract version it was built against.
    pub contract: String,
    /// sha256 of its WebAssembly, hex.
    pub sha256: String,
}

/// Which lock file a run checks.
#[derive(Debug, Clone)]
pub enum Lock {
    /// `demarc.lock` beside the configuration, when there is one.
    Beside,
    /// This file, which must exist (`--lock FILE`).
    File(PathBuf),
    /// None (`demarc plugin lock`, which writes it).
    Ignore,
}

/// A `[[plugin]]` file, read and checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The path, resolved against the configuration's directory.
    pub path: PathBuf,
    /// The path as the configuration writes it.
    pub written: String,
    /// sha256 of the bytes that were checked, hex: the plugin is loaded only if its bytes still
    /// have it.
    pub sha256: String,
    /// The name of the trusted key that signed it.
    pub signed_by: Option<String>,
}

/// The outcome of the checks: every `[[plugin]]` file in configuration order.
#[derive(Debug, Default)]
pub struct Trust {
    /// The configured plugin files.
    pub configured: Vec<Checked>,
}

impl Trust {
    /// Key name of the signer of the plugin with this sha256, if it was signed by a trusted key.
    pub fn signer(&self, sha256: &str) -> Option<&str> {
        self.configured
            .iter()
            .find(|c| c.sha256.eq_ignore_ascii_case(sha256))
            .and_then(|c| c.signed_by.as_deref())
    }
}

/// What a plugin file's signature says.
#[derive(Debug, PartialEq, Eq)]
enum Sig {
    /// Verified with this trusted key.
    Trusted(String),
    /// No `.minisig` beside it.
    Unsigned,
    /// A well-formed signature by a key no `[[trusted_key]]` holds.
    Untrusted,
}

/// The path of a plugin's signature: `PLUGIN.wasm.minisig`.
pub fn signature_path(plugin: &Path) -> PathBuf {
    let mut name = plugin.file_name().unwrap_or_default().to_os_string();
    name.push(".minisig");
    plugin.with_file_name(name)
}

/// The trusted keys, with the problems of those that are not minisign public keys.
fn trusted_keys(raw: &RawConfig, file: &str) -> (Vec<(String, PublicKey)>, Vec<DataError>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    let mut names = BTreeSet::new();
    for (i, k) in raw.trusted_key.iter().enumerate() {
        if k.name.trim().is_empty() {
            errors.push(DataError::new(
                file,
                format!("trusted_key[{i}].name"),
                "a trusted key needs a name: it is recorded as the signer of the plugins it signed",
            ));
        } else if !names.insert(k.name.as_str()) {
            errors.push(DataError::new(
                file,
                format!("trusted_key[{i}].name"),
                format!("`{}` names two trusted keys", k.name.escape_debug()),
            ));
        }
        match PublicKey::from_base64(k.public_key.trim()) {
            Ok(pk) => keys.push((k.name.clone(), pk)),
            Err(e) => errors.push(DataError::new(
                file,
                format!("trusted_key[{i}].public_key"),
                format!(
                    "`{}` is not a minisign public key (the base64 line of the `.pub` file that \
                     `minisign -G` writes): {e}",
                    k.public_key
                        .chars()
                        .take(80)
                        .collect::<String>()
                        .escape_debug()
                ),
            )),
        }
    }
    (keys, errors)
}

/// Verify the signature beside `path` over `bytes`. An error is a signature that exists and
/// must be refused: unreadable, malformed, or not verifying with the trusted key that it names.
fn verify(path: &Path, bytes: &[u8], keys: &[(String, PublicKey)]) -> Result<Sig, String> {
    let sig_path = signature_path(path);
    let text = match std::fs::read_to_string(&sig_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Sig::Unsigned),
        Err(e) => return Err(format!("cannot read `{}`: {e}", sig_path.display())),
    };
    let sig = Signature::decode(&text)
        .map_err(|e| format!("`{}` is not a minisign signature: {e}", sig_path.display()))?;
    for (name, key) in keys {
        match key.verify(bytes, &sig, true) {
            Ok(()) => return Ok(Sig::Trusted(name.clone())),
            Err(minisign_verify::Error::UnexpectedKeyId) => continue,
            Err(e) => {
                return Err(format!(
                    "the signature `{}` by trusted key `{name}` does not verify ({e}): the \
                     plugin or its signature was changed after signing",
                    sig_path.display()
                ));
            }
        }
    }
    Ok(Sig::Untrusted)
}

/// Read every `[[plugin]]` file of the configuration, verify its signature and check it and the
/// built-in plugins against the lock file. `base` is the configuration's directory. Every
/// problem is returned at once.
pub fn check(
    raw: &RawConfig,
    file: &str,
    base: &Path,
    lock: &Lock,
    require_signed: bool,
) -> Result<Trust, Vec<DataError>> {
    let require_signed = require_signed || raw.require_signed;
    let (keys, mut errors) = trusted_keys(raw, file);
    let mut trust = Trust::default();
    for (i, p) in raw.plugin.iter().enumerate() {
        let key = format!("plugin[{i}].path");
        let path = base.join(&p.path);
        let shown = p.path.escape_debug().to_string();
        let bytes = match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                errors.push(DataError::new(
                    file,
                    key,
                    format!(
                        "plugin `{shown}` does not exist (looked for {})",
                        path.display()
                    ),
                ));
                continue;
            }
            Ok(m) if !m.is_file() => {
                errors.push(DataError::new(
                    file,
                    key,
                    format!("plugin `{shown}` is not a file ({})", path.display()),
                ));
                continue;
            }
            _ => match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    errors.push(DataError::new(
                        file,
                        key,
                        format!("plugin `{shown}` cannot be read ({}): {e}", path.display()),
                    ));
                    continue;
                }
            },
        };
        let signed_by = match verify(&path, &bytes, &keys) {
            Ok(Sig::Trusted(name)) => Some(name),
            Ok(Sig::Unsigned) if require_signed => {
                errors.push(DataError::new(
                    file,
                    key,
                    format!(
                        "plugin `{shown}` is not signed, and `require_signed` refuses it: sign it \
                         with `minisign -S -m {shown}` and trust the key in a `[[trusted_key]]`"
                    ),
                ));
                continue;
            }
            Ok(Sig::Untrusted) if require_signed => {
                errors.push(DataError::new(
                    file,
                    key,
                    format!(
                        "plugin `{shown}` is signed by a key that no `[[trusted_key]]` holds, \
                         and `require_signed` refuses it"
                    ),
                ));
                continue;
            }
            Ok(Sig::Untrusted) => {
                tracing::warn!(
                    plugin = %shown,
                    "plugin `{shown}` is signed by a key that no [[trusted_key]] holds; it is \
                     loaded as an unsigned plugin"
                );
                None
            }
            Ok(Sig::Unsigned) => None,
            Err(message) => {
                errors.push(DataError::new(
                    file,
                    key,
                    format!("plugin `{shown}` is refused: {message}"),
                ));
                continue;
            }
        };
        trust.configured.push(Checked {
            path,
            written: p.path.clone(),
            sha256: plugins::sha256_hex(&bytes),
            signed_by,
        });
    }
    let lock_path = match lock {
        Lock::Ignore => None,
        Lock::File(p) => Some(p.clone()),
        Lock::Beside => Some(base.join(LOCK_FILE)).filter(|p| p.exists()),
    };
    if let Some(lock_path) = lock_path {
        // A plugin whose file could not be read is already an error; the lock is checked
        // against the others only when every file was read, so that one problem is not
        // reported twice.
        let complete = trust.configured.len() == raw.plugin.len();
        errors.extend(check_lock(&lock_path, &trust, complete));
    }
    if errors.is_empty() {
        Ok(trust)
    } else {
        Err(errors)
    }
}

/// Read a lock file.
pub fn read_lock(path: &Path) -> Result<LockFile, DataError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| DataError::new(&shown, "-", format!("cannot read the lock file: {e}")))?;
    let lock: LockFile = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}")
            })
            .unwrap_or_else(|| "-".into());
        DataError::new(
            &shown,
            at,
            format!("not a demarc lock file: {}", e.message()),
        )
    })?;
    if lock.version != LOCK_VERSION {
        return Err(DataError::new(
            &shown,
            "version",
            format!(
                "lock file version {} is not {LOCK_VERSION}, the one this demarc reads; run \
                 `demarc plugin lock` again",
                lock.version
            ),
        ));
    }
    Ok(lock)
}

/// The problems of the run's plugins against the lock file: a digest that differs, a plugin the
/// lock does not list, an entry no longer configured.
fn check_lock(path: &Path, trust: &Trust, complete: bool) -> Vec<DataError> {
    let shown = path.display().to_string();
    let lock = match read_lock(path) {
        Ok(l) => l,
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    let mut by_source: BTreeMap<&str, (usize, &LockEntry)> = BTreeMap::new();
    for (j, e) in lock.plugin.iter().enumerate() {
        if by_source.insert(e.source.as_str(), (j, e)).is_some() {
            errors.push(DataError::new(
                &shown,
                format!("plugin[{j}].source"),
                format!("`{}` is locked twice", e.source.escape_debug()),
            ));
        }
    }
    let mut run: Vec<(String, String)> = plugins::builtin_names()
        .map(|n| {
            (
                format!("builtin:{n}"),
                plugins::sha256_hex(plugins::builtin_bytes(n).unwrap_or_default()),
            )
        })
        .collect();
    run.extend(
        trust
            .configured
            .iter()
            .map(|c| (c.written.clone(), c.sha256.clone())),
    );
    for (source, actual) in &run {
        match by_source.remove(source.as_str()) {
            None => errors.push(DataError::new(
                &shown,
                "plugin",
                format!(
                    "plugin `{}` is not in the lock file, so it is refused; run `demarc plugin \
                     lock` to lock the configuration's plugins as they are now",
                    source.escape_debug()
                ),
            )),
            Some((j, e)) if !e.sha256.eq_ignore_ascii_case(actual) => errors.push(DataError::new(
                &shown,
                format!("plugin[{j}].sha256"),
                format!(
                    "plugin `{}` (`{}`) is refused: the lock expects sha256 {}, the plugin \
                         has sha256 {actual}; if the change is intended, run `demarc plugin \
                         lock` again",
                    e.name.escape_debug(),
                    source.escape_debug(),
                    e.sha256.escape_debug(),
                ),
            )),
            Some(_) => {}
        }
    }
    if complete {
        for (source, (j, _)) in by_source {
            errors.push(DataError::new(
                &shown,
                format!("plugin[{j}].source"),
                format!(
                    "`{}` is locked but not a plugin of the configuration; run `demarc plugin \
                     lock` again",
                    source.escape_debug()
                ),
            ));
        }
    }
    errors
}

/// Write the lock file.
pub fn write_lock(path: &Path, entries: Vec<LockEntry>) -> anyhow::Result<()> {
    let lock = LockFile {
        version: LOCK_VERSION,
        plugin: entries,
    };
    let text = format!(
        "# Written by `demarc plugin lock`: a scan refuses a plugin whose sha256 differs from\n\
         # the one locked here. Run it again after changing a plugin on purpose.\n\n{}",
        toml::to_string(&lock)?
    );
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_beside_the_plugin() {
        assert_eq!(
            signature_path(Path::new("a/b/tiny.wasm")),
            PathBuf::from("a/b/tiny.wasm.minisig")
        );
    }

    #[test]
    fn a_lock_file_of_another_version_or_shape_names_the_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, "version = 2\n").unwrap();
        let e = read_lock(&path).unwrap_err().to_string();
        assert!(
            e.contains("demarc.lock: version: lock file version 2"),
            "{e}"
        );
        std::fs::write(&path, "version = 1\n[[plugin]]\nsource = \"x\"\nnom = 1\n").unwrap();
        let e = read_lock(&path).unwrap_err().to_string();
        assert!(e.contains("demarc.lock: line 4, column 1"), "{e}");
        assert!(e.contains("nom"), "{e}");
    }
}
