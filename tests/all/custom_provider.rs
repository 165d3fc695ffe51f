//! The custom-provider example (`examples/custom-provider`, a DigitalOcean plugin outside the
//! workspace) followed as README's "Adding a provider" walks it: its own tests, the build for
//! `wasm32-wasip2`, `demarc plugin test` on its snapshot, `demarc plugin lock`, and one scan of
//! the demo estate's tenants beside its DigitalOcean tenant, attributed by its matrix.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{demarc, describe, report, root};

const NOW: &str = "2026-11-01T00:00:00Z";

/// Copy the files of `from` into `to`, leaving out build output and run files.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["target", "demarc-report", "demarc.lock"].contains(&name.to_str().unwrap()) {
            continue;
        }
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// The example laid out as in the repository (`examples/custom-provider` beside `examples/demo`,
/// the SDK at `../../sdk`), at a fixed place under `target/` so that cargo's incremental builds
/// carry over between runs.
fn checkout() -> PathBuf {
    let base = root().join("target/test-scratch/custom-provider");
    let _ = std::fs::remove_dir_all(&base);
    copy_tree(
        &root().join("examples/custom-provider"),
        &base.join("examples/custom-provider"),
    );
    copy_tree(&root().join("examples/demo"), &base.join("examples/demo"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(root().join("sdk"), base.join("sdk")).unwrap();
    #[cfg(not(unix))]
    copy_tree(&root().join("sdk"), &base.join("sdk"));
    base.join("examples/custom-provider")
}

/// Run cargo in the example, offline with its own lock file, sharing a target directory with
/// the `plugin new` test (the same SDK and dependencies).
fn cargo(krate: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let _cpu = crate::shared_cpu();
    let out = Command::new(cargo)
        .args(args)
        .args(["--offline", "--locked"])
        .current_dir(krate)
        .env("CARGO_TARGET_DIR", root().join("target/plugin-new"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo");
    assert!(out.status.success(), "cargo {args:?}: {}", describe(&out));
}

fn finding<'r>(
    report: &'r serde_json::Value,
    check: &str,
    resource: &str,
) -> &'r serde_json::Value {
    let found: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"]["id"] == check && f["resource"]["id"] == resource)
        .collect();
    assert_eq!(found.len(), 1, "{check} on {resource}: {found:#?}");
    found[0]
}

fn finding_ids(report: &serde_json::Value, tenant: &str) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["tenant"] == tenant)
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_digitalocean_example_builds_tests_and_scans_beside_the_demo_estate() {
    let krate = checkout();
    let scratch = krate.parent().unwrap().parent().unwrap().to_path_buf();

    // 3. Its own tests, then the component.
    cargo(&krate, &["test"]);
    cargo(&krate, &["build", "--release", "--target", "wasm32-wasip2"]);
    let plugin = "target/wasm32-wasip2/release/demarc_plugin_digitalocean.wasm";
    let placed = krate.join(plugin);
    std::fs::create_dir_all(placed.parent().unwrap()).unwrap();
    std::fs::copy(
        root().join("target/plugin-new/wasm32-wasip2/release/demarc_plugin_digitalocean.wasm"),
        &placed,
    )
    .unwrap();

    // 4. In the sandbox: every finding attributed by the example's matrix, no problem.
    let out = demarc(
        &[
            "plugin",
            "test",
            plugin,
            "--snapshot",
            "snapshot",
            "--config",
            "demarc.toml",
            "--now",
            NOW,
        ],
        &krate,
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("21 finding(s): 8 fail, 1 manual, 12 pass"),
        "{text}"
    );
    assert!(text.contains("no problems"), "{text}");

    // 5. Pinned by the lock, scanned with the demo's tenants in one run.
    let out = demarc(&["plugin", "lock", "--config", "demarc.toml"], &krate);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let lock = std::fs::read_to_string(krate.join("demarc.lock")).unwrap();
    assert!(lock.contains("name = \"digitalocean\""), "{lock}");
    let merged_dir = scratch.join("merged");
    let out = demarc(
        &[
            "scan",
            "--config",
            "demarc.toml",
            "--allow-unpinned",
            "--out",
            merged_dir.to_str().unwrap(),
            "--pin-time",
            NOW,
            "--quiet",
        ],
        &krate,
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let merged = report(&merged_dir);
    assert!(
        merged["gaps"].as_array().unwrap().is_empty(),
        "{:#}",
        merged["gaps"]
    );

    // Fail and pass verdicts, each attributed by the DigitalOcean matrix entry of its
    // resource's service model and its control's layer, the customer to act on each failure.
    for (check, resource, status, entry, owner) in [
        (
            "digitalocean-droplet-admin-ports-open",
            "do:droplet:412839177",
            "fail",
            "digitalocean/iaas/network-controls",
            "customer",
        ),
        (
            "digitalocean-droplet-admin-ports-open",
            "do:droplet:412839051",
            "pass",
            "digitalocean/iaas/network-controls",
            "customer",
        ),
        (
            "digitalocean-droplet-backups",
            "do:droplet:412839177",
            "fail",
            "digitalocean/iaas/resilience",
            "customer",
        ),
        (
            "digitalocean-database-open-to-all",
            "do:dbaas:b84e1d07-2c9a-4f63-9e18-5a7d3c0f2b96",
            "fail",
            "digitalocean/paas/network-controls",
            "shared",
        ),
        (
            "digitalocean-database-open-to-all",
            "do:dbaas:3f6c2a91-8d4e-4b7f-a215-c9e07d5b1a64",
            "pass",
            "digitalocean/paas/network-controls",
            "shared",
        ),
        (
            "digitalocean-database-open-to-all",
            "do:dbaas:e2d95b48-7f1c-4a06-b3e9-81c4f6a0d527",
            "manual",
            "digitalocean/paas/network-controls",
            "shared",
        ),
        (
            "digitalocean-database-engine-end-of-life",
            "do:dbaas:b84e1d07-2c9a-4f63-9e18-5a7d3c0f2b96",
            "fail",
            "digitalocean/paas/application",
            "shared",
        ),
        (
            "digitalocean-spaces-public-acl",
            "do:space:harbor-press-kit",
            "fail",
            "digitalocean/abstracted/identity",
            "customer",
        ),
        (
            "digitalocean-spaces-public-acl",
            "do:space:harbor-invoices",
            "pass",
            "digitalocean/abstracted/identity",
            "customer",
        ),
    ] {
        let f = finding(&merged, check, resource);
        assert_eq!(f["status"], status, "{f:#}");
        assert_eq!(f["tenant"], "harbor-logistics", "{f:#}");
        assert_eq!(
            f["account"], "4c7a2e19-b305-4d8f-9a61-e8f20b7c5d43",
            "{f:#}"
        );
        let r = &f["responsibility"];
        // The report leaves out the default kind, `matrix`.
        assert!(
            r["basis"]["kind"].is_null() || r["basis"]["kind"] == "matrix",
            "{f:#}"
        );
        assert_eq!(r["basis"]["entry"], entry, "{f:#}");
        assert_eq!(r["owner"], owner, "{f:#}");
        if status == "fail" {
            assert_eq!(f["must_act"]["party"], "customer", "{f:#}");
        }
    }
    let ours = merged["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["provider"] == "digitalocean")
        .count();
    assert_eq!(ours, 21);

    // The demo tenants' findings are all there, as the demo's own scan makes them.
    let demo_dir = scratch.join("demo");
    let out = demarc(
        &[
            "scan",
            "--config",
            "../demo/demarc.toml",
            "--out",
            demo_dir.to_str().unwrap(),
            "--pin-time",
            NOW,
            "--quiet",
        ],
        &krate,
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let demo = report(&demo_dir);
    for tenant in ["northwind", "contoso-health", "fabrikam"] {
        let ids = finding_ids(&demo, tenant);
        assert!(!ids.is_empty(), "{tenant}");
        assert_eq!(finding_ids(&merged, tenant), ids, "{tenant}");
    }

    // The lock pins the build: other bytes at the plugin's path are refused before they run.
    let mut bytes = std::fs::read(&placed).unwrap();
    bytes.extend_from_slice(b"\0");
    std::fs::write(&placed, bytes).unwrap();
    let out = demarc(
        &[
            "scan",
            "--config",
            "demarc.toml",
            "--allow-unpinned",
            "--out",
            scratch.join("refused").to_str().unwrap(),
            "--pin-time",
            NOW,
        ],
        &krate,
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the lock expects sha256"),
        "{}",
        describe(&out)
    );
}
