//! Pinned code is the code that runs: the compile cache executes only entries it can prove it
//! wrote for exactly these WebAssembly bytes and this engine; a substituted, corrupted,
//! truncated or planted entry is discarded with a warning and the plugin compiled afresh. An
//! unsafe cache directory or key is refused (exit 2), and `[[plugin]]` needs a valid `sha256`
//! unless `--allow-unpinned` is given.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};

use crate::{demarc, describe, report, root, wasm, write_config};

/// Where the WebAssembly digest sits in an entry's header (after the magic and the version).
const DIGEST_AT: std::ops::Range<usize> = 12..44;
/// Header (magic, version, wasm digest, engine hash, length) and MAC: the code follows.
const CODE_AT: usize = 84 + 32;

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn aws_wasm() -> Vec<u8> {
    std::fs::read(wasm("demarc-plugin-aws")).unwrap()
}

fn gcp_wasm() -> Vec<u8> {
    std::fs::read(wasm("demarc-plugin-gcp")).unwrap()
}

/// One AWS target on the hand-checked fixtures, plus `extra` configuration text.
fn config(dir: &Path, extra: &str) -> PathBuf {
    let fx = root().join("tests/fixtures/aws");
    write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n{extra}\n[[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"acme-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n",
            fx.display()
        ),
    )
}

/// `demarc scan` of [`config`] in `dir` with the compile cache `cache`, writing `dir/out`.
fn scan(dir: &Path, cache: &Path, extra_args: &[&str]) -> Output {
    let cfg = dir.join("demarc.toml");
    if !cfg.exists() {
        config(dir, "");
    }
    let out = dir.join("out");
    let mut args = vec![
        "scan",
        "--quiet",
        "--pin-time",
        "2026-11-01T00:00:00Z",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra_args);
    demarc(&args, dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The cache entries of `cache`, by the WebAssembly digest their header names.
fn entries(cache: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    v.sort();
    v
}

/// The entry made for `wasm_bytes`: its path and contents.
fn entry_for(cache: &Path, wasm_bytes: &[u8]) -> (PathBuf, Vec<u8>) {
    let digest = sha256(wasm_bytes);
    let all = entries(cache);
    let mut mine: Vec<_> = all
        .into_iter()
        .filter(|(_, b)| b.len() > CODE_AT && b[DIGEST_AT] == digest)
        .collect();
    assert_eq!(mine.len(), 1, "one entry per plugin in {}", cache.display());
    mine.pop().unwrap()
}

/// A first scan that fills the cache; its report's findings.
fn baseline(dir: &Path, cache: &Path) -> serde_json::Value {
    let out = scan(dir, cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !stderr(&out).contains("compile cache"),
        "a fresh cache warns of nothing: {}",
        describe(&out)
    );
    report(&dir.join("out"))["findings"].clone()
}

/// Replace the AWS plugin's entry by `tamper(its bytes)`, scan again, and check that the
/// entry was discarded with a warning naming it and saying `reason`, that the AWS plugin's
/// own code ran (the same findings as before, from the pinned digest), and that a fresh, valid
/// entry replaced the tampered one.
fn tampered_entry_is_discarded(tamper: impl FnOnce(&Path, Vec<u8>) -> Vec<u8>, reason: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let before = baseline(tmp.path(), &cache);
    let aws = aws_wasm();
    let (path, bytes) = entry_for(&cache, &aws);
    let tampered = tamper(&cache, bytes);
    std::fs::write(&path, &tampered).unwrap();

    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let err = stderr(&out);
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        err.contains("discarding compile cache entry") && err.contains(name),
        "no warning naming {name}: {}",
        describe(&out)
    );
    assert!(
        err.contains(reason),
        "expected {reason:?}: {}",
        describe(&out)
    );
    let r = report(&tmp.path().join("out"));
    assert_eq!(r["findings"], before, "the AWS plugin's own checks ran");
    let plugin = r["run"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws")
        .unwrap()
        .clone();
    assert_eq!(plugin["sha256"], hex::encode(sha256(&aws)));
    let fresh = std::fs::read(&path).unwrap();
    assert_ne!(fresh, tampered, "the fresh entry replaced the tampered one");
    assert_eq!(fresh[DIGEST_AT], sha256(&aws));
}

#[test]
fn another_plugins_entry_under_the_name_is_discarded_and_the_pinned_plugin_runs() {
    tampered_entry_is_discarded(
        |cache, _| entry_for(cache, &gcp_wasm()).1,
        &format!(
            "it was made for WebAssembly with sha256 {}",
            hex::encode(sha256(&gcp_wasm()))
        ),
    );
}

#[test]
fn another_plugins_code_under_the_right_header_is_discarded() {
    // Keep the AWS header and MAC, put the GCP plugin's compiled code after them (with the
    // header's length fixed up, as a careful forger would).
    tampered_entry_is_discarded(
        |cache, mut bytes| {
            let gcp = entry_for(cache, &gcp_wasm()).1;
            bytes.truncate(CODE_AT);
            bytes[76..84].copy_from_slice(&((gcp.len() - CODE_AT) as u64).to_le_bytes());
            bytes.extend_from_slice(&gcp[CODE_AT..]);
            bytes
        },
        "its authentication code does not match",
    );
}

#[test]
fn an_entry_with_its_code_overwritten_is_discarded_without_a_crash() {
    // Once this killed the host with SIGTRAP: breakpoints over the middle of the code.
    tampered_entry_is_discarded(
        |_, mut bytes| {
            let mid = CODE_AT + (bytes.len() - CODE_AT) / 2;
            let end = (mid + 4096).min(bytes.len());
            bytes[mid..end].fill(0xCC);
            bytes
        },
        "its authentication code does not match",
    );
}

#[test]
fn a_truncated_entry_is_discarded() {
    tampered_entry_is_discarded(
        |_, mut bytes| {
            bytes.truncate(bytes.len() / 2);
            bytes
        },
        "its header announces",
    );
    tampered_entry_is_discarded(
        |_, mut bytes| {
            bytes.truncate(40);
            bytes
        },
        "it is truncated",
    );
}

#[test]
fn random_bytes_planted_as_an_entry_are_discarded() {
    tampered_entry_is_discarded(
        |_, bytes| {
            let mut h = Sha256::digest(b"planted");
            (0..bytes.len())
                .map(|i| {
                    if i % 32 == 0 {
                        h = Sha256::digest(h);
                    }
                    h[i % 32]
                })
                .collect()
        },
        "it is not a demarc compile cache entry",
    );
}

#[test]
fn a_valid_serialization_without_the_mac_is_discarded() {
    // Native code this very engine would load, planted bare, as wasmtime serializes it.
    tampered_entry_is_discarded(
        |_, bytes| bytes[CODE_AT..].to_vec(),
        "it is not a demarc compile cache entry",
    );
}

#[test]
fn an_entry_made_under_another_key_is_discarded() {
    // A complete, well-formed entry for these very bytes and this engine, from another cache
    // (another key): what someone who can write the directory but not read the key can make.
    let other = tempfile::tempdir().unwrap();
    let other_cache = other.path().join("cache");
    baseline(other.path(), &other_cache);
    let foreign = entry_for(&other_cache, &aws_wasm()).1;
    tampered_entry_is_discarded(|_, _| foreign, "its authentication code does not match");
}

#[test]
fn a_fresh_cache_is_private_and_a_second_run_uses_it_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let before = baseline(tmp.path(), &cache);
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    let key = cache.join("key");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(std::fs::metadata(&key).unwrap().len(), 32);
    let all = entries(&cache);
    // aws, azure, gcp and the importers import-aws, import-azure, import-gcp.
    assert_eq!(all.len(), 6, "one entry per built-in plugin");
    for (p, _) in &all {
        assert_eq!(mode(p), 0o600, "{}", p.display());
        // Names are derived from the key, not the digest: they cannot be predicted.
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(!name.contains(&hex::encode(sha256(&aws_wasm()))), "{name}");
    }
    // Nothing else is left behind (no temporary files).
    let names: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");

    let stamp = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let stamps: Vec<_> = all.iter().map(|(p, _)| stamp(p)).collect();
    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !stderr(&out).contains("compile cache"),
        "{}",
        describe(&out)
    );
    assert_eq!(report(&tmp.path().join("out"))["findings"], before);
    let again: Vec<_> = all.iter().map(|(p, _)| stamp(p)).collect();
    assert_eq!(stamps, again, "valid entries are used, not rewritten");

    // Another cache (another key) names the same plugin's entry differently.
    let other = tmp.path().join("other-cache");
    let out = scan(tmp.path(), &other, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_ne!(
        entry_for(&cache, &aws_wasm()).0.file_name(),
        entry_for(&other, &aws_wasm()).0.file_name()
    );
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A scan with `cache` is refused: exit 2, no report, and the error names `path` and says
/// `why`.
fn assert_refused(tmp: &Path, cache: &Path, path: &Path, why: &[&str]) {
    let _ = std::fs::remove_dir_all(tmp.join("out"));
    let out = scan(tmp, cache, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("compile cache `{}` refused", path.display())),
        "{}",
        describe(&out)
    );
    for w in why {
        assert!(err.contains(w), "expected {w:?}: {}", describe(&out));
    }
    assert!(!tmp.join("out/report.json").exists());
}

#[test]
fn a_world_or_group_writable_cache_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    baseline(tmp.path(), &cache);
    for mode in [0o777, 0o770, 0o702] {
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(mode)).unwrap();
        assert_refused(
            tmp.path(),
            &cache,
            &cache,
            &[
                "writable by group or others",
                &format!("mode {mode:04o}"),
                &format!("chmod 700 {}", cache.display()),
            ],
        );
    }
    // A directory that exists already, made by someone else's umask, is not fixed silently.
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_refused(
        tmp.path(),
        &shared,
        &shared,
        &["writable by group or others"],
    );
    assert_eq!(
        std::fs::read_dir(&shared).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_cache_directory_owned_by_another_user_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    // uid 65534 is `nobody`; only root can give a directory away.
    if !is_root() {
        eprintln!("not run: giving a directory to another user needs root");
        return;
    }
    std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
    assert_refused(
        tmp.path(),
        &cache,
        &cache,
        &["owned by uid 65534, not by this user", "--cache-dir"],
    );
}

#[test]
fn a_symlinked_cache_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    baseline(tmp.path(), &real);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_refused(tmp.path(), &link, &link, &["symbolic link"]);
}

#[test]
fn a_key_others_can_read_or_replace_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    baseline(tmp.path(), &cache);
    let key = cache.join("key");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        assert_refused(
            tmp.path(),
            &cache,
            &key,
            &[
                "readable or writable by group or others",
                &format!("mode {mode:04o}"),
                "remove it",
            ],
        );
    }
    // Removing it, as the message says, rebuilds the cache under a new key.
    std::fs::remove_file(&key).unwrap();
    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A key that is a link to a file elsewhere, or of the wrong size, is refused too.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::copy(&key, &elsewhere).unwrap();
    std::fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &key).unwrap();
    assert_refused(tmp.path(), &cache, &key, &["symbolic link"]);
    std::fs::remove_file(&key).unwrap();
    std::fs::write(&key, b"short").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_refused(tmp.path(), &cache, &key, &["5 bytes, not 32"]);
}

#[test]
fn a_key_owned_by_another_user_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    baseline(tmp.path(), &cache);
    let key = cache.join("key");
    if !is_root() {
        eprintln!("not run: giving a file to another user needs root");
        return;
    }
    std::os::unix::fs::chown(&key, Some(65534), Some(65534)).unwrap();
    assert_refused(
        tmp.path(),
        &cache,
        &key,
        &["owned by uid 65534, not by this user"],
    );
}

/// A configuration with the AWS plugin as a `[[plugin]]` file; `pins` are the `sha256 = ...`
/// lines of one `[[plugin]]` each (empty for none).
fn plugin_config(dir: &Path, pins: &[&str]) {
    std::fs::copy(wasm("demarc-plugin-aws"), dir.join("aws.wasm")).unwrap();
    let mut extra = String::new();
    for pin in pins {
        extra.push_str(&format!("\n[[plugin]]\npath = \"aws.wasm\"\n{pin}\n"));
    }
    config(dir, &extra);
}

#[test]
fn a_plugin_without_a_pin_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    plugin_config(tmp.path(), &[""]);
    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("demarc.toml: plugin[0].sha256: plugin `aws.wasm` is not pinned"),
        "{err}"
    );
    assert!(err.contains("--allow-unpinned"), "{err}");
    assert!(!tmp.path().join("out/report.json").exists());

    let out = scan(tmp.path(), &cache, &["--allow-unpinned"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let digest = hex::encode(sha256(&aws_wasm()));
    let err = stderr(&out);
    assert!(
        err.contains("is not pinned by sha256") && err.contains(&digest),
        "a warning names the plugin and its digest: {}",
        describe(&out)
    );
    let r = report(&tmp.path().join("out"));
    let plugins = r["run"]["plugins"].as_array().unwrap();
    let aws: Vec<_> = plugins.iter().filter(|p| p["name"] == "aws").collect();
    assert_eq!(aws.len(), 1, "{plugins:#?}");
    assert_eq!(aws[0]["sha256"], digest.as_str());
    assert!(!r["findings"].as_array().unwrap().is_empty());
}

#[test]
fn a_malformed_pin_is_a_configuration_error_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let digest = hex::encode(sha256(&aws_wasm()));
    plugin_config(
        tmp.path(),
        &[
            "sha256 = \"not-hex\"",
            &format!("sha256 = \"{}\"", &digest[..63]),
            &format!("sha256 = \"{digest}0\""),
            &format!("sha256 = \"{}g\"", &digest[..63]),
        ],
    );
    // Every problem at once, each with its key; even --allow-unpinned does not excuse them.
    let out = scan(tmp.path(), &cache, &["--allow-unpinned"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    for want in [
        "demarc.toml: plugin[0].sha256: `not-hex` is not a sha256: it must be 64 hex digits (7 characters given)",
        "demarc.toml: plugin[1].sha256:",
        "(63 characters given)",
        "demarc.toml: plugin[2].sha256:",
        "(65 characters given)",
        "demarc.toml: plugin[3].sha256:",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    assert!(!tmp.path().join("out/report.json").exists());
}

#[test]
fn a_valid_pin_loads_and_a_wrong_one_is_a_plugin_load_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let digest = hex::encode(sha256(&aws_wasm()));
    plugin_config(
        tmp.path(),
        &[&format!("sha256 = \"{}\"", digest.to_uppercase())],
    );
    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(!stderr(&out).contains("not pinned"), "{}", describe(&out));

    let other = hex::encode(sha256(b"another plugin"));
    plugin_config(tmp.path(), &[&format!("sha256 = \"{other}\"")]);
    let out = scan(tmp.path(), &cache, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&tmp.path().join("out"));
    let gaps = crate::gaps(&r);
    assert!(
        gaps.iter()
            .any(|g| g["kind"] == "plugin-load" && g["message"].as_str().unwrap().contains(&other)),
        "{gaps:#?}"
    );
}
