//! Plugin author tooling: `demarc plugin new` generates a crate that builds for
//! `wasm32-wasip2`, passes its own tests and scans; `demarc plugin test` runs one plugin in the
//! sandbox on one snapshot and prints its findings and every problem the host raises.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{demarc, describe, root, wasm};

/// A directory under the workspace's `target/` (the generated crate then uses the workspace's
/// toolchain), removed at the end.
fn scratch() -> tempfile::TempDir {
    let base = root().join("target/test-scratch");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix("plugintool-")
        .tempdir_in(base)
        .unwrap()
}

/// Run cargo in the generated crate, offline, with the workspace's lock file and a target
/// directory shared between runs of this test.
fn cargo(krate: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let _cpu = crate::shared_cpu();
    let out = Command::new(cargo)
        .args(args)
        .arg("--offline")
        .current_dir(krate)
        .env("CARGO_TARGET_DIR", root().join("target/plugin-new"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo");
    assert!(out.status.success(), "cargo {args:?}: {}", describe(&out));
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(out)))
}

#[test]
fn a_new_plugin_builds_passes_its_tests_and_scans_with_its_matrix() {
    let tmp = scratch();
    let krate = tmp.path().join("tiny");
    let dir = krate.to_str().unwrap();
    let out = demarc(
        &[
            "plugin",
            "new",
            "tiny",
            "--provider",
            "tinycloud",
            "--dir",
            dir,
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    for f in [
        "Cargo.toml",
        "src/lib.rs",
        "snapshot/buckets.json",
        "responsibility/tinycloud.toml",
        "demarc.toml",
        "README.md",
    ] {
        assert!(krate.join(f).is_file(), "{f} missing");
    }
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    let sdk = root().join("sdk");
    assert!(
        manifest.contains(&format!("demarc-sdk = {{ path = \"{}\" }}", sdk.display())),
        "{manifest}"
    );
    let readme = std::fs::read_to_string(krate.join("README.md")).unwrap();
    assert!(readme.contains("built from"), "{readme}");

    // It never overwrites, not even an empty directory.
    let again = demarc(
        &[
            "plugin",
            "new",
            "tiny",
            "--provider",
            "tinycloud",
            "--dir",
            dir,
        ],
        tmp.path(),
    );
    assert_eq!(again.status.code(), Some(2), "{}", describe(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = demarc(
        &[
            "plugin",
            "new",
            "x",
            "--provider",
            "tinycloud",
            "--dir",
            empty.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = demarc(
        &["plugin", "new", "Bad_Name", "--provider", "tinycloud"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME `Bad_Name`"));

    // Built and tested with the workspace's dependency versions, nothing resolved afresh.
    std::fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    cargo(&krate, &["build", "--release", "--target", "wasm32-wasip2"]);
    cargo(&krate, &["test"]);
    let built = root().join("target/plugin-new/wasm32-wasip2/release/demarc_plugin_tiny.wasm");
    let placed = krate.join("target/wasm32-wasip2/release/demarc_plugin_tiny.wasm");
    std::fs::create_dir_all(placed.parent().unwrap()).unwrap();
    std::fs::copy(&built, &placed).unwrap();

    // In the sandbox: one pass, one fail, attributed by the generated matrix, no problem.
    let now = "2026-11-01T00:00:00Z";
    let plugin = placed.to_str().unwrap();
    let snapshot = krate.join("snapshot");
    let snapshot = snapshot.to_str().unwrap();
    let config = krate.join("demarc.toml");
    let config = config.to_str().unwrap();
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            snapshot,
            "--config",
            config,
            "--now",
            now,
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 finding(s): 1 fail, 1 pass"), "{text}");
    assert!(text.contains("no problems"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("check ")
            && l.contains("status")
            && l.contains("resource")
            && l.contains("message")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tinycloud-bucket-public-read")
                && l.contains(" fail ")
                && l.contains("marketing-assets")),
        "{text}"
    );
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            snapshot,
            "--config",
            config,
            "--now",
            now,
            "--json",
        ],
        tmp.path(),
    );
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    let statuses: Vec<&str> = findings
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass", "fail"], "{doc:#}");
    assert!(findings.iter().all(|f| f["basis"] == "matrix"), "{doc:#}");
    assert!(doc["gaps"].as_array().unwrap().is_empty(), "{doc:#}");

    // Without the matrix the host cannot attribute the findings: a problem, exit 3.
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            snapshot,
            "--now",
            now,
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("problem: unattributed:"),
        "{}",
        describe(&out)
    );

    // A damaged bucket is a problem at its file, line and column; the rest is still judged.
    let damaged = tmp.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::write(
        damaged.join("buckets.json"),
        "{\"buckets\": [\n  {\"id\": \"b1\", \"account\": \"a\", \"region\": \"r\", \"public_read\": false},\n  {\"id\": 7}\n]}\n",
    )
    .unwrap();
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            damaged.to_str().unwrap(),
            "--config",
            config,
            "--now",
            now,
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 finding(s): 1 pass"), "{text}");
    assert!(
        text.contains("problem: malformed-input: buckets.json:3:"),
        "{text}"
    );

    // The generated configuration scans the sample: the plugin's findings in the merged
    // report, attributed by the matrix entry for a bucket's identity layer.
    let report_dir = tmp.path().join("report");
    let out = demarc(
        &[
            "scan",
            "--config",
            config,
            "--allow-unpinned",
            "--out",
            report_dir.to_str().unwrap(),
            "--pin-time",
            now,
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        describe(&out)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    let ours: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["provider"] == "tinycloud")
        .collect();
    assert_eq!(ours.len(), 2, "{report:#}");
    for f in &ours {
        // The report leaves out the default kind, `matrix`.
        let basis = &f["responsibility"]["basis"];
        assert!(
            basis["kind"].is_null() || basis["kind"] == "matrix",
            "{f:#}"
        );
        assert_eq!(
            f["responsibility"]["basis"]["entry"], "tinycloud/abstracted/identity",
            "{f:#}"
        );
    }
    assert!(
        report["gaps"].as_array().unwrap().is_empty(),
        "{:#}",
        report["gaps"]
    );
}

fn hostile_snapshot(tmp: &Path, behaviour: &str) -> PathBuf {
    let dir = tmp.join(behaviour);
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("input.json"), "{}").unwrap();
    dir
}

#[test]
fn plugin_test_names_every_finding_the_host_rejects() {
    let tmp = scratch();
    let plugin = wasm("demarc-test-hostile");
    let plugin = plugin.to_str().unwrap();
    for (behaviour, needle) in [
        ("unknown-check", "unknown check `never-declared`"),
        ("unknown-control", "unknown control `no-such-control`"),
        ("oversize", "message is 1048576 bytes (limit 8192)"),
    ] {
        let snapshot = hostile_snapshot(tmp.path(), behaviour);
        let out = demarc(
            &[
                "plugin",
                "test",
                plugin,
                "--snapshot",
                snapshot.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "{behaviour}: {}",
            describe(&out)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("1 finding(s): 1 pass"), "{behaviour}: {text}");
        let problem = text
            .lines()
            .find(|l| l.starts_with("problem: invalid-finding:"))
            .unwrap_or_else(|| panic!("{behaviour}: no invalid-finding problem in {text}"));
        assert!(problem.contains(needle), "{behaviour}: {problem}");
    }
    let snapshot = hostile_snapshot(tmp.path(), "panic");
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let doc = json(&out);
    assert!(
        doc["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "plugin-trap"),
        "{doc:#}"
    );

    // Bad usage: no such plugin, no such snapshot.
    let out = demarc(
        &["plugin", "test", "missing.wasm", "--snapshot", "."],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = demarc(
        &["plugin", "test", plugin, "--snapshot", "no-such-dir"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-dir"));
}

#[test]
fn plugin_test_runs_a_builtin_plugin_on_a_demo_target() {
    let tmp = scratch();
    let snapshot = root().join("examples/demo/northwind/aws-prod");
    let out = demarc(
        &[
            "plugin",
            "test",
            wasm("demarc-plugin-aws").to_str().unwrap(),
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--now",
            "2026-11-01T00:00:00Z",
            "--json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["status"] == "fail"), "{doc:#}");
    assert!(findings.iter().any(|f| f["status"] == "pass"), "{doc:#}");
    assert!(findings.iter().all(|f| f["basis"] == "matrix"), "{doc:#}");
}
