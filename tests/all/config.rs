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

/// The variables that locate the reference schemas and the browser for the tests are not
/// configuration keys: a user who sets them as documented can still scan.
#[test]
fn tool_variables_are_not_configuration_keys() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["config", "check", "--config"])
        .arg(root().join("examples/demo/demarc.toml"))
        .env("DEMARC_REFERENCE_DATA", root().join("no-such-dir"))
        .env("DEMARC_CHROMIUM", "chromium")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["config", "check", "--config"])
        .arg(root().join("examples/demo/demarc.toml"))
        .env("DEMARC_NO_SUCH_KEY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("DEMARC_NO_SUCH_KEY"),
        "{}",
        describe(&out)
    );
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

/// `demarc scan --config <cfg> --out <dir>/out` in `dir`; the exit code must be 2 and stderr is
/// returned. Nothing is scanned: no report is written.
fn usage_error(dir: &std::path::Path, cfg: &std::path::Path, extra: &[&str]) -> String {
    let out_dir = dir.join("out");
    let mut args = vec![
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = demarc(&args, dir);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(!out_dir.join("report.json").exists());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn snapshot_dir(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("config-snapshot.json"), "[]").unwrap();
    p
}

#[test]
fn an_empty_configuration_is_an_error_not_an_empty_report() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "");
    let err = usage_error(tmp.path(), &cfg, &[]);
    assert!(
        err.contains("demarc.toml: tenant: no tenant is configured"),
        "{err}"
    );

    let cfg = write_config(tmp.path(), "[[tenant]]\nid = \"acme\"\n");
    let err = usage_error(tmp.path(), &cfg, &[]);
    assert!(
        err.contains("demarc.toml: tenant[0].target: tenant `acme` has no target"),
        "{err}"
    );
}

#[test]
fn every_bad_limit_is_named_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot_dir(tmp.path(), "snap");
    let target = format!(
        "[[tenant]]\nid = \"acme\"\n[[tenant.target]]\nid = \"t\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n",
        snap.display()
    );
    // 2^44 MiB is 2^64 bytes: it used to wrap to a cap of zero bytes.
    let cfg = write_config(
        tmp.path(),
        &format!(
            "[limits]\ndeadline_secs = nan\nmemory_mib = 100000\nmax_findings = 0\nmax_emit_mib = 17592186044416\nconcurrency = 0\n{target}"
        ),
    );
    let err = usage_error(tmp.path(), &cfg, &[]);
    for want in [
        "demarc.toml: limits.deadline_secs: NaN is not between",
        "demarc.toml: limits.memory_mib: 100000 is not between 1 and 4096",
        "demarc.toml: limits.max_findings: must be at least 1",
        "demarc.toml: limits.max_emit_mib: 17592186044416 is not between 1 and",
        "demarc.toml: limits.concurrency: 0 is not between 1 and",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    for (limits, want) in [
        (
            "deadline_secs = inf",
            "limits.deadline_secs: inf is not between",
        ),
        (
            "deadline_secs = -1.0",
            "limits.deadline_secs: -1 is not between",
        ),
        (
            "deadline_secs = 0.0",
            "limits.deadline_secs: 0 is not between",
        ),
        (
            "deadline_secs = 90000.0",
            "limits.deadline_secs: 90000 is not between",
        ),
        ("memory_mib = 0", "limits.memory_mib: 0 is not between"),
        ("max_emit_mib = 0", "limits.max_emit_mib: 0 is not between"),
        (
            "concurrency = 100000",
            "limits.concurrency: 100000 is not between",
        ),
        ("memory_mib = -1", "limits.memory_mib"),
        // Larger than any TOML integer: a parse error at the key's line.
        (
            "max_emit_mib = 18446744073709551615",
            "demarc.toml: limits.max_emit_mib: line 2: ",
        ),
    ] {
        let cfg = write_config(tmp.path(), &format!("[limits]\n{limits}\n{target}"));
        let err = usage_error(tmp.path(), &cfg, &[]);
        assert!(err.contains(want), "{limits}: missing {want:?} in\n{err}");
        assert!(err.contains("demarc.toml"), "{limits}: {err}");
    }
}

#[test]
fn errors_from_environment_variables_name_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot_dir(tmp.path(), "snap");
    let cfg = write_config(
        tmp.path(),
        &format!(
            "[[tenant]]\nid = \"acme\"\n[[tenant.target]]\nid = \"t\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n",
            snap.display()
        ),
    );
    for (var, value, want) in [
        (
            "DEMARC_LIMITS__DEADLINE_SECS",
            "soon",
            "DEMARC_LIMITS__DEADLINE_SECS: limits.deadline_secs: ",
        ),
        (
            "DEMARC_LIMITS__MEMORY_MIB",
            "0",
            "DEMARC_LIMITS__MEMORY_MIB: limits.memory_mib: 0 is not between",
        ),
        (
            "DEMARC_LIMITS__MAX_EMIT_MIB",
            "18446744073709551615",
            "DEMARC_LIMITS__MAX_EMIT_MIB: limits.max_emit_mib: ",
        ),
    ] {
        let _cpu = crate::shared_cpu();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
            .args(["scan", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .env("DEMARC_CACHE_DIR", tmp.path().join("cache"))
            .env(var, value)
            .env_remove("BUILT_WASM_DIR")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}: {}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{var}: missing {want:?} in\n{err}");
        assert!(
            !err.contains("demarc.toml:"),
            "{var}: names the file\n{err}"
        );
    }
}

#[test]
fn snapshots_of_different_tenants_may_not_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = snapshot_dir(tmp.path(), "shared");
    let inner = snapshot_dir(&shared, "inner");
    let t = |tenant: &str, id: &str, snap: &std::path::Path| {
        format!(
            "[[tenant]]\nid = \"{tenant}\"\n[[tenant.target]]\nid = \"{id}\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n",
            snap.display()
        )
    };
    // The same directory, one inside the other, and the same directory by another name.
    std::os::unix::fs::symlink(&shared, tmp.path().join("alias")).unwrap();
    for (a, b) in [
        (&shared, shared.clone()),
        (&shared, inner.clone()),
        (&inner, shared.clone()),
        (&shared, tmp.path().join("alias")),
    ] {
        let cfg = write_config(
            tmp.path(),
            &format!("{}{}", t("acme", "a", a), t("globex", "b", &b)),
        );
        let err = usage_error(tmp.path(), &cfg, &[]);
        assert!(
            err.contains("demarc.toml: tenant[1].target[0].snapshot: ")
                && err.contains("the snapshot of tenant `acme` (tenant[0].target[0].snapshot)"),
            "{} / {}: {err}",
            a.display(),
            b.display()
        );
    }
    // Two targets of one tenant may share a snapshot.
    let cfg = write_config(
        tmp.path(),
        &format!(
            "{}[[tenant.target]]\nid = \"a2\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n",
            t("acme", "a", &shared),
            shared.display()
        ),
    );
    let out = demarc(
        &["scan", "--config", cfg.to_str().unwrap(), "--out", "out"],
        tmp.path(),
    );
    assert_ne!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn a_snapshot_may_not_be_a_system_directory_or_hold_what_the_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg_for = |snap: &str| {
        write_config(
            tmp.path(),
            &format!(
                "[[tenant]]\nid = \"acme\"\n[[tenant.target]]\nid = \"t\"\nprovider = \"aws\"\nsnapshot = \"{snap}\"\n"
            ),
        )
    };
    for (snap, want) in [
        ("/", "`/` is a system directory"),
        ("/etc", "`/etc` is a system directory"),
        ("/proc/self", "inside the system directory /proc"),
        ("/etc/ssl", "inside the system directory /etc"),
    ] {
        let err = usage_error(tmp.path(), &cfg_for(snap), &[]);
        assert!(
            err.contains("demarc.toml: tenant[0].target[0].snapshot: ") && err.contains(want),
            "{snap}: {err}"
        );
    }
    // The configuration's own directory holds the configuration, the output and the cache.
    let err = usage_error(tmp.path(), &cfg_for("."), &[]);
    for want in [
        "contains the configuration file",
        "contains the output directory",
        "contains the compile cache",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    // An output directory inside a snapshot, named by --out.
    let snap = snapshot_dir(tmp.path(), "snap");
    let cfg = cfg_for(snap.to_str().unwrap());
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            snap.join("report").to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("contains the output directory"),
        "{}",
        describe(&out)
    );
    assert!(!snap.join("report").exists());
    // A compile cache inside a snapshot, named by --cache-dir.
    let err = usage_error(
        tmp.path(),
        &cfg,
        &["--cache-dir", snap.join("cache").to_str().unwrap()],
    );
    assert!(err.contains("contains the compile cache"), "{err}");
}

#[test]
fn an_output_path_that_cannot_be_a_directory_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.txt");
    std::fs::write(&file, "not a directory").unwrap();
    let demo = root().join("examples/demo/demarc.toml");
    for (out_dir, want) in [
        (file.clone(), "is not a directory"),
        (file.join("sub"), "cannot be created"),
    ] {
        let out = demarc(
            &[
                "scan",
                "--config",
                demo.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--out") && err.contains(want), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

/// An MSSP's configuration: a main file that includes one file per tenant, each with its own
/// relative paths, groups and labels.
fn mssp_estate(dir: &std::path::Path) -> std::path::PathBuf {
    let demo = root().join("examples/demo");
    std::fs::create_dir_all(dir.join("tenants/exports")).unwrap();
    // Each tenant file's snapshot path is relative to that file.
    for (name, src) in [
        ("north", "northwind/aws-prod"),
        ("fab", "fabrikam/aws-prod"),
    ] {
        let snap = dir.join("tenants/exports").join(name);
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::copy(
            demo.join(src).join("config-snapshot.json"),
            snap.join("config-snapshot.json"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("tenants/north.toml"),
        r#"[[tenant]]
id = "north"
group = "retail"
labels = { tier = "gold", region = "emea" }
[[tenant.target]]
id = "north-aws"
provider = "aws"
snapshot = "exports/north"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("tenants/fab.toml"),
        r#"[[tenant]]
id = "fab"
group = "saas"
labels = { tier = "silver" }
[[tenant.target]]
id = "fab-aws"
provider = "aws"
snapshot = "exports/fab"
"#,
    )
    .unwrap();
    // A file that does not match the pattern is not read.
    std::fs::write(dir.join("tenants/notes.txt"), "not a tenant").unwrap();
    write_config(
        dir,
        "name = \"MSSP\"\nnow = \"2026-11-01T00:00:00Z\"\ninclude = [\"tenants/*.toml\"]\n",
    )
}

#[test]
fn tenants_are_included_from_their_own_files_and_checked_without_scanning() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = mssp_estate(tmp.path());
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("valid — 2 tenant(s), 2 target(s), 2 file(s)"),
        "{text}"
    );
    assert!(text.contains("group retail: 1 tenant(s)"), "{text}");
    assert!(
        !tmp.path().join("demarc-report").exists(),
        "nothing is written"
    );

    // `--group` and `--label` pick tenants; the report carries group and labels.
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--label",
            "tier=gold",
        ],
        tmp.path(),
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        describe(&out)
    );
    let r = crate::report(&out_dir);
    let tenants = r["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 1, "{tenants:#?}");
    assert_eq!(tenants[0]["id"], "north");
    assert_eq!(tenants[0]["group"], "retail");
    assert_eq!(tenants[0]["labels"]["region"], "emea");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["tenant"] == "north")
    );
    let none = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            tmp.path().join("none").to_str().unwrap(),
            "--group",
            "healthcare",
        ],
        tmp.path(),
    );
    assert_eq!(none.status.code(), Some(2), "{}", describe(&none));
}

#[test]
fn every_problem_of_every_included_file_is_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = mssp_estate(tmp.path());
    // One file with an unknown key, one with bad values; a pattern that matches nothing.
    std::fs::write(
        tmp.path().join("tenants/fab.toml"),
        "[[tenant]]\nid = \"fab\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("tenants/north.toml"),
        r#"[[tenant]]
id = "north"
group = "Retail Group"
labels = { tier = "" }
[[tenant.target]]
id = "north-aws"
provider = "tinycloud"
snapshot = "exports/north"
"#,
    )
    .unwrap();
    std::fs::write(
        &cfg,
        "include = [\"tenants/*.toml\", \"clients/*.toml\"]\n[[tenant]]\nid = \"Main Tenant\"\n",
    )
    .unwrap();
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "demarc.toml: include[1]: `clients/*.toml`: cannot read",
        "fab.toml: tenant.colour: line 3: unknown field `colour`",
        "north.toml: tenant[0].group: `Retail Group` is not a kebab-case id",
        "north.toml: tenant[0].labels.tier: a label value has 1 to 256 characters",
        "north.toml: tenant[0].target[0].provider: no plugin scans provider `tinycloud`",
        "demarc.toml: tenant[0].id: `Main Tenant` is not a kebab-case id",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn a_snapshot_may_not_hold_an_included_tenant_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = mssp_estate(tmp.path());
    // The tenant's snapshot is the directory of the tenant files: a plugin would read them.
    std::fs::write(
        tmp.path().join("tenants/north.toml"),
        "[[tenant]]\nid = \"north\"\n[[tenant.target]]\nid = \"north-aws\"\nprovider = \"aws\"\nsnapshot = \".\"\n",
    )
    .unwrap();
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("north.toml: tenant[0].target[0].snapshot")
            && err.contains("contains the configuration file")
            && err.contains("fab.toml"),
        "{err}"
    );
}

#[test]
fn a_snapshot_may_not_hold_a_file_that_steers_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot_dir(tmp.path(), "snap");
    let demo = root().join("examples/demo");
    for (from, to) in [
        ("attestations/northwind.toml", "northwind-attestations.toml"),
        ("provider-attestations.toml", "provider-attestations.toml"),
    ] {
        std::fs::copy(demo.join(from), snap.join(to)).unwrap();
    }
    let cfg = write_config(
        tmp.path(),
        "provider_attestations = [\"snap/provider-attestations.toml\"]\n\
         [[tenant]]\nid = \"northwind\"\nattestations = \"snap/northwind-attestations.toml\"\n\
         [[tenant.target]]\nid = \"t\"\nprovider = \"aws\"\nsnapshot = \"snap\"\n",
    );
    let err = usage_error(tmp.path(), &cfg, &[]);
    for want in [
        "demarc.toml: tenant[0].target[0].snapshot: ",
        "contains the attestation file",
        "northwind-attestations.toml",
        "provider-attestations.toml",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    // Outside the snapshot, the same files are fine.
    for f in ["northwind-attestations.toml", "provider-attestations.toml"] {
        std::fs::rename(snap.join(f), tmp.path().join(f)).unwrap();
    }
    let cfg = write_config(
        tmp.path(),
        "provider_attestations = [\"provider-attestations.toml\"]\n\
         [[tenant]]\nid = \"northwind\"\nattestations = \"northwind-attestations.toml\"\n\
         [[tenant.target]]\nid = \"t\"\nprovider = \"aws\"\nsnapshot = \"snap\"\n",
    );
    let out = demarc(
        &["config", "check", "--config", cfg.to_str().unwrap()],
        tmp.path(),
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("contains the"),
        "{}",
        describe(&out)
    );
}
