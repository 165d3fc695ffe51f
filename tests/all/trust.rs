//! Which plugins a run trusts: `demarc plugin lock` pins every plugin of a configuration in
//! `demarc.lock`, and a scan refuses a plugin that differs from it; minisign signatures by the
//! configuration's trusted keys are verified before a plugin runs, and `--require-signed`
//! refuses unsigned and untrusted ones. Every refusal is a configuration error (exit 2): no
//! report is written, so nothing of the refused plugin runs.
//!
//! The signing keys are made afresh by each test (they are test keys, never written to the
//! repository), with the `minisign` crate, which writes the format of the `minisign` tool.

use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};

use crate::{demarc, describe, report, root, wasm, write_config};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A configuration in `dir` with one AWS target on the hand-checked fixtures and the AWS
/// plugin copied to `dir/aws.wasm` as a `[[plugin]]` pinned by its sha256; `extra` goes at the
/// top (e.g. `require_signed = true`), `trusted` after the plugin (e.g. `[[trusted_key]]`).
fn setup(dir: &Path, extra: &str, trusted: &str) -> PathBuf {
    let bytes = std::fs::read(wasm("demarc-plugin-aws")).unwrap();
    std::fs::write(dir.join("aws.wasm"), &bytes).unwrap();
    let fx = root().join("tests/fixtures/aws");
    write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n{extra}\n\
             [[plugin]]\npath = \"aws.wasm\"\nsha256 = \"{}\"\n\n{trusted}\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"acme-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n",
            sha256_hex(&bytes),
            fx.display()
        ),
    )
}

fn scan(dir: &Path, extra_args: &[&str]) -> Output {
    let cfg = dir.join("demarc.toml");
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
    ];
    args.extend_from_slice(extra_args);
    demarc(&args, dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Flip one byte of a file, near its end.
fn change_one_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn lock(dir: &Path, extra_args: &[&str]) -> Output {
    let cfg = dir.join("demarc.toml");
    let mut args = vec!["plugin", "lock", "--config", cfg.to_str().unwrap()];
    args.extend_from_slice(extra_args);
    demarc(&args, dir)
}

#[test]
fn plugin_lock_pins_every_plugin_and_one_changed_byte_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), "", "");
    let out = lock(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = std::fs::read_to_string(tmp.path().join("demarc.lock")).unwrap();
    let lock: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(lock["version"].as_integer(), Some(1), "{text}");
    let entries = lock["plugin"].as_array().unwrap();
    let sources: Vec<&str> = entries
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "builtin:aws",
            "builtin:azure",
            "builtin:gcp",
            "builtin:import-aws",
            "builtin:import-azure",
            "builtin:import-gcp",
            "aws.wasm"
        ],
        "{text}"
    );
    let aws_digest = sha256_hex(&std::fs::read(tmp.path().join("aws.wasm")).unwrap());
    let file = entries
        .iter()
        .find(|e| e["source"].as_str() == Some("aws.wasm"))
        .unwrap();
    assert_eq!(file["name"].as_str(), Some("aws"), "{text}");
    assert_eq!(file["sha256"].as_str(), Some(aws_digest.as_str()), "{text}");
    assert_eq!(file["contract"].as_str(), Some("0.4.0"), "{text}");
    assert!(
        file["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{text}"
    );

    // The lock beside the configuration is found and matches: the scan runs.
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    // One byte changed in the pinned plugin (and its pin in the configuration updated, as an
    // attacker who can write both would): the lock refuses it before it runs.
    change_one_byte(&tmp.path().join("aws.wasm"));
    let changed = sha256_hex(&std::fs::read(tmp.path().join("aws.wasm")).unwrap());
    let cfg = tmp.path().join("demarc.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(&aws_digest, &changed);
    std::fs::write(&cfg, text).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "demarc.lock: plugin[6].sha256: plugin `aws` (`aws.wasm`) is refused: the lock \
             expects sha256 {aws_digest}, the plugin has sha256 {changed}"
        )),
        "{err}"
    );
    assert!(!tmp.path().join("out/report.json").exists());
    // `config check` refuses it the same way.
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr(&out).contains(&changed), "{}", describe(&out));
}

#[test]
fn an_explicit_lock_must_list_every_plugin_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), "", "");
    let elsewhere = tmp.path().join("pins.lock");
    let out = lock(tmp.path(), &["--out", elsewhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(!tmp.path().join("demarc.lock").exists());
    let out = scan(tmp.path(), &["--lock", elsewhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    // The lock lacks the configured plugin, and holds one that is not configured.
    let text = std::fs::read_to_string(&elsewhere)
        .unwrap()
        .replace("source = \"aws.wasm\"", "source = \"old.wasm\"");
    std::fs::write(&elsewhere, text).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    let out = scan(tmp.path(), &["--lock", elsewhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("pins.lock: plugin: plugin `aws.wasm` is not in the lock file"),
        "{err}"
    );
    assert!(
        err.contains("pins.lock: plugin[6].source: `old.wasm` is locked but not a plugin"),
        "{err}"
    );
    assert!(!tmp.path().join("out/report.json").exists());

    // A --lock that does not exist is an error, not a scan without a lock.
    let missing = tmp.path().join("missing.lock");
    let out = scan(tmp.path(), &["--lock", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("missing.lock: -: cannot read the lock file"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_plugin_path_that_does_not_exist_is_a_configuration_error_naming_path_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = setup(tmp.path(), "", "");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("path = \"aws.wasm\"", "path = \"plugins/nope.wasm\"");
    std::fs::write(&cfg, text).unwrap();
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("demarc.toml: plugin[0].path: plugin `plugins/nope.wasm` does not exist"),
        "{err}"
    );
    assert!(!err.contains("loadable"), "{err}");
    assert!(!tmp.path().join("out/report.json").exists());
}

/// A fresh test key pair; its public key as the `[[trusted_key]]` table named `name`.
fn test_key(name: &str) -> (minisign::KeyPair, String) {
    let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let table = format!(
        "[[trusted_key]]\nname = \"{name}\"\npublic_key = \"{}\"\n",
        kp.pk.to_base64()
    );
    (kp, table)
}

/// Sign `path` with `kp` the way `minisign -S -m PATH` does: `PATH.minisig` beside it.
fn sign(kp: &minisign::KeyPair, path: &Path) -> PathBuf {
    let bytes = std::fs::read(path).unwrap();
    let sig = minisign::sign(
        Some(&kp.pk),
        &kp.sk,
        std::io::Cursor::new(bytes),
        Some("signed by a test key"),
        None,
    )
    .unwrap();
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(".minisig");
    let sig_path = path.with_file_name(name);
    std::fs::write(&sig_path, sig.into_string()).unwrap();
    sig_path
}

#[test]
fn a_good_signature_by_a_trusted_key_is_recorded_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (kp, table) = test_key("Tinycloud releases (test key)");
    setup(tmp.path(), "", &table);
    sign(&kp, &tmp.path().join("aws.wasm"));
    let out = scan(tmp.path(), &["--require-signed"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&tmp.path().join("out"));
    let plugins = r["run"]["plugins"].as_array().unwrap();
    let aws: Vec<_> = plugins.iter().filter(|p| p["name"] == "aws").collect();
    assert_eq!(aws.len(), 1, "{plugins:#?}");
    assert_eq!(aws[0]["signed_by"], "Tinycloud releases (test key)");
    assert!(!r["findings"].as_array().unwrap().is_empty());
    // `plugin list --config` names the file and its signer.
    let cfg = tmp.path().join("demarc.toml");
    let out = demarc(
        &["plugin", "list", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("from aws.wasm (signed by Tinycloud releases (test key)))"),
        "{text}"
    );
    assert!(text.contains("from builtin:gcp)"), "{text}");
}

#[test]
fn an_unsigned_plugin_is_refused_under_require_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_kp, table) = test_key("Tinycloud releases (test key)");
    setup(tmp.path(), "", &table);
    // Without --require-signed an unsigned plugin runs.
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&tmp.path().join("out"));
    assert!(
        r["run"]["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("signed_by").is_none())
    );
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();

    let out = scan(tmp.path(), &["--require-signed"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("demarc.toml: plugin[0].path: plugin `aws.wasm` is not signed"),
        "{err}"
    );
    assert!(!tmp.path().join("out/report.json").exists());

    // The configuration key does the same as the flag.
    setup(tmp.path(), "require_signed = true", &table);
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(stderr(&out).contains("is not signed"), "{}", describe(&out));
}

#[test]
fn a_signature_by_an_untrusted_key_is_refused_under_require_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_trusted, table) = test_key("Tinycloud releases (test key)");
    let (stranger, _) = test_key("stranger");
    setup(tmp.path(), "", &table);
    sign(&stranger, &tmp.path().join("aws.wasm"));
    let out = scan(tmp.path(), &["--require-signed"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out)
            .contains("plugin `aws.wasm` is signed by a key that no `[[trusted_key]]` holds"),
        "{}",
        describe(&out)
    );
    assert!(!tmp.path().join("out/report.json").exists());
}

#[test]
fn a_tampered_signature_or_plugin_is_refused_even_without_require_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let (kp, table) = test_key("Tinycloud releases (test key)");
    setup(tmp.path(), "", &table);
    let plugin = tmp.path().join("aws.wasm");
    let sig_path = sign(&kp, &plugin);
    let good = std::fs::read_to_string(&sig_path).unwrap();

    // The trusted comment changed: the global signature no longer verifies.
    let tampered = good.replace("signed by a test key", "signed by the vendor");
    assert_ne!(tampered, good);
    std::fs::write(&sig_path, &tampered).unwrap();
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("demarc.toml: plugin[0].path: plugin `aws.wasm` is refused: the signature")
            && err.contains("by trusted key `Tinycloud releases (test key)` does not verify"),
        "{err}"
    );
    assert!(!tmp.path().join("out/report.json").exists());

    // Garbage in place of the signature.
    std::fs::write(&sig_path, "untrusted comment: x\nnot base64 at all\n").unwrap();
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("is not a minisign signature"),
        "{}",
        describe(&out)
    );

    // The signature intact, one byte of the plugin changed (its pin updated too).
    std::fs::write(&sig_path, &good).unwrap();
    let before = sha256_hex(&std::fs::read(&plugin).unwrap());
    change_one_byte(&plugin);
    let after = sha256_hex(&std::fs::read(&plugin).unwrap());
    let cfg = tmp.path().join("demarc.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(&before, &after);
    std::fs::write(&cfg, text).unwrap();
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains("does not verify"),
        "{}",
        describe(&out)
    );
    assert!(!tmp.path().join("out/report.json").exists());
}

#[test]
fn a_trusted_key_that_is_not_a_minisign_key_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    setup(
        tmp.path(),
        "",
        "[[trusted_key]]\nname = \"vendor\"\npublic_key = \"RWQnotakey\"\n",
    );
    let out = scan(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr(&out).contains(
            "demarc.toml: trusted_key[0].public_key: `RWQnotakey` is not a minisign public key"
        ),
        "{}",
        describe(&out)
    );
}

#[test]
fn plugin_inspect_prints_what_a_built_plugin_declares_and_its_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let path = wasm("demarc-plugin-aws");
    let digest = sha256_hex(&std::fs::read(&path).unwrap());
    let out = demarc(&["plugin", "inspect", path.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "name      aws",
        "contract  0.4.0",
        "provider  aws",
        &format!("sha256    {digest}"),
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    let out = demarc(
        &["plugin", "inspect", "--json", path.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["name"], "aws");
    assert_eq!(doc["sha256"], digest.as_str());
    let checks = doc["checks"].as_array().unwrap();
    assert!(checks.len() >= 20, "{doc:#}");
    assert!(
        checks
            .iter()
            .all(|c| c["controls"].as_array().is_some_and(|v| !v.is_empty()))
    );
    assert!(
        checks
            .iter()
            .any(|c| c["requirements"].as_object().is_some_and(|r| !r.is_empty())),
        "{doc:#}"
    );

    let out = demarc(&["plugin", "inspect", "nope.wasm"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plugin `nope.wasm` does not exist"));
}
