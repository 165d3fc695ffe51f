//! Configuration errors: exit 2, with every problem named by file and key, before anything is
//! scanned. Environment variables layer over the file.

use crate::{demarc, describe, root, write_config};

#[test]
fn unknown_keys_name_the_key_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "[[tenant]]\nid = \"acme\"\ncolour = \"blue\"\n");
    let out = demarc(&["scan", "--config", cfg.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("colour"), "{err}");
    assert!(err.contains("demarc.toml"), "{err}");
}

#[test]
fn every_invalid_value_is_listed_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        r#"now = "yesterday"
[limits]
memory_mib = 0
[[tenant]]
id = "Acme Corp"
[[tenant.target]]
id = "t1"
provider = "tinycloud"
snapshot = "x"
inputs = ["../../etc/passwd"]
[[tenant.contract]]
party = "MSSP"
layers = ["roof"]
controls = ["no-such-control"]
"#,
    );
    let out = demarc(&["scan", "--config", cfg.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "demarc.toml: now: `yesterday` is not an RFC 3339 time",
        "demarc.toml: limits.memory_mib:",
        "demarc.toml: tenant[0].id: `Acme Corp` is not a kebab-case id",
        "demarc.toml: tenant[0].target[0].provider: no plugin scans provider `tinycloud`",
        "demarc.toml: tenant[0].target[0].inputs[0]:",
        "demarc.toml: tenant[0].contract[0].layers[0]: unknown layer `roof`",
        "demarc.toml: tenant[0].contract[0].controls[0]: unknown control `no-such-control`",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
}

#[test]
fn environment_variables_override_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let _cpu = crate::shared_cpu();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["scan", "--quiet", "--out"])
        .arg(tmp.path().join("out"))
        .arg("--config")
        .arg(root().join("examples/demo/demarc.toml"))
        .env("DEMARC_CACHE_DIR", tmp.path().join("cache"))
        .env("DEMARC_LIMITS__MEMORY_MIB", "0")
        .env_remove("BUILT_WASM_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limits.memory_mib"));
}

#[test]
fn bad_data_files_are_rejected_at_start_up_with_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let schemas = tmp.path().join("schemas");
    std::fs::create_dir_all(schemas.join("catalog")).unwrap();
    std::fs::create_dir_all(schemas.join("responsibility")).unwrap();
    std::fs::copy(
        root().join("schemas/catalog/frameworks.toml"),
        schemas.join("catalog/frameworks.toml"),
    )
    .unwrap();
    let controls = std::fs::read_to_string(root().join("schemas/catalog/controls.toml"))
        .unwrap()
        .replacen("layer = \"data\"", "layer = \"basement\"", 1);
    std::fs::write(schemas.join("catalog/controls.toml"), controls).unwrap();
    let aws = std::fs::read_to_string(root().join("schemas/responsibility/aws.toml"))
        .unwrap()
        .replacen("owner = \"customer\"", "owner = \"nobody\"", 1);
    std::fs::write(schemas.join("responsibility/aws.toml"), aws).unwrap();
    let out = demarc(
        &[
            "scan",
            "--schemas",
            schemas.to_str().unwrap(),
            "--config",
            root().join("examples/demo/demarc.toml").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("controls.toml: control[0].layer: unknown layer `basement`"),
        "{err}"
    );
}
