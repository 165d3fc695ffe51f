//! Contract versions: the host serves 0.3.0 (frozen) beside 0.4.0 in one scan, refuses a
//! component of any other version naming the versions it serves, and validates checks a 0.4.0
//! plugin declares during its scan as it validates those of `describe`.

use std::path::Path;
use std::sync::Arc;

use demarc_core::{Attributor, Catalog, Finding, GapKind, Matrix, ServiceModel};
use demarc_runtime::schedule::{Job, scan_all};
use demarc_runtime::{
    Limits, LoadError, Plugin, Runtime, RuntimeOptions, SUPPORTED_CONTRACTS, ScanContext,
    TargetSpec,
};

use crate::{demarc, describe, gaps, report, root, wasm, write_config};

fn catalog() -> Catalog {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    Catalog::load(
        ("frameworks.toml", &read("schemas/catalog/frameworks.toml")),
        ("controls.toml", &read("schemas/catalog/controls.toml")),
    )
    .unwrap()
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The legacy (0.3.0) plugin's component with every `demarc:provider` interface name moved to
/// package version 0.9.0: a well-formed component of a contract version nobody serves.
fn legacy_as_0_9() -> Vec<u8> {
    let mut bytes = std::fs::read(wasm("demarc-test-legacy")).unwrap();
    let mut patched = 0;
    for iface in ["types", "host"] {
        let from = format!("demarc:provider/{iface}@0.3.0");
        let to = format!("demarc:provider/{iface}@0.9.0");
        let at: Vec<usize> = bytes
            .windows(from.len())
            .enumerate()
            .filter(|(_, w)| *w == from.as_bytes())
            .map(|(i, _)| i)
            .collect();
        for i in at {
            bytes[i..i + to.len()].copy_from_slice(to.as_bytes());
            patched += 1;
        }
    }
    assert!(patched >= 2, "the component names both interfaces");
    bytes
}

#[test]
fn the_host_serves_0_3_0_and_0_4_0() {
    assert_eq!(SUPPORTED_CONTRACTS, ["0.3.0", "0.4.0"]);
    // The SDK builds plugins against the newest.
    let sdk = std::fs::read_to_string(root().join("sdk/src/lib.rs")).unwrap();
    assert!(sdk.contains("pub const CONTRACT_VERSION: &str = \"0.4.0\";"));
    let wit = std::fs::read_to_string(root().join("sdk/wit/provider.wit")).unwrap();
    assert!(wit.contains("package demarc:provider@0.4.0;"));
    let frozen = std::fs::read_to_string(root().join("sdk/wit/0.3.0/provider.wit")).unwrap();
    assert!(frozen.contains("package demarc:provider@0.3.0;"));
}

#[test]
fn a_plugin_of_each_version_loads_with_its_version_detected() {
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let rt = tokio();
    let catalog = catalog();
    let _cpu = crate::shared_cpu();
    for (name, contract) in [
        ("demarc-test-legacy", "0.3.0"),
        ("demarc-test-hostile", "0.4.0"),
    ] {
        let bytes = std::fs::read(wasm(name)).unwrap();
        let plugin = rt
            .block_on(runtime.load(&bytes, name, None, &catalog))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plugin.contract, contract, "{name}");
        // Only 0.4.0 can name the producer of the data a plugin reads.
        let producer = plugin
            .producer
            .as_ref()
            .map(|p| (p.name.as_str(), p.version.as_str()));
        let want = (contract == "0.4.0").then_some(("hostile-scanner", "9.9"));
        assert_eq!(producer, want, "{name}");
    }
}

#[test]
fn a_component_of_an_unsupported_version_is_refused_naming_the_supported_ones() {
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let rt = tokio();
    let catalog = catalog();
    let _cpu = crate::shared_cpu();
    let err = rt
        .block_on(runtime.load(&legacy_as_0_9(), "future.wasm", None, &catalog))
        .unwrap_err();
    assert!(matches!(err, LoadError::Contract { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plugin `future.wasm` uses contract 0.9.0; this host supports 0.3.0, 0.4.0 \
         (rebuild the plugin with the matching demarc-sdk)"
    );

    // An empty component: valid WebAssembly, no contract at all.
    let empty = b"\0asm\x0d\x00\x01\x00";
    let err = rt
        .block_on(runtime.load(empty, "empty.wasm", None, &catalog))
        .unwrap_err();
    assert!(matches!(err, LoadError::NotAPlugin { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`empty.wasm` is not a demarc plugin: it neither exports nor imports any \
         `demarc:provider` interface; this host supports contract 0.3.0, 0.4.0"
    );
}

#[test]
fn plugin_inspect_refuses_an_unsupported_version() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("future.wasm");
    std::fs::write(&path, legacy_as_0_9()).unwrap();
    let out = demarc(&["plugin", "inspect", path.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("uses contract 0.9.0; this host supports 0.3.0, 0.4.0"),
        "{}",
        describe(&out)
    );
}

fn job(plugin: &Arc<Plugin>, catalog: &Arc<Catalog>, target: &str, snapshot: &Path) -> Job {
    Job {
        spec: TargetSpec {
            tenant: "t".into(),
            target: target.into(),
            snapshot: snapshot.to_path_buf(),
            inputs: vec![],
            now: "2026-11-01T00:00:00Z".into(),
            limits: Limits::default(),
            accounts: None,
            egress: None,
        },
        ctx: Arc::new(ScanContext {
            tenant: "t".into(),
            target: target.into(),
            provider: plugin.provider.clone(),
            plugin: plugin.clone(),
            catalog: catalog.clone(),
            attributor: Arc::new(
                Attributor::new(Vec::<Matrix>::new()).accept_assumed("hostile", ServiceModel::Iaas),
            ),
            contracts: vec![],
        }),
        sink: Box::new(Vec::<Finding>::new()),
    }
}

#[test]
fn checks_declared_during_a_scan_are_validated_like_described_ones() {
    let runtime = Arc::new(Runtime::new(RuntimeOptions::default()).unwrap());
    let rt = tokio();
    let catalog = Arc::new(catalog());
    let _cpu = crate::shared_cpu();
    let bytes = std::fs::read(wasm("demarc-test-hostile")).unwrap();
    let hostile = Arc::new(
        rt.block_on(runtime.load(&bytes, "hostile", None, &catalog))
            .unwrap(),
    );
    let empty = tempfile::tempdir().unwrap();
    let mut outcomes = rt.block_on(scan_all(
        runtime,
        vec![
            job(&hostile, &catalog, "declare", empty.path()),
            // Declarations hold for the scan that made them only.
            job(&hostile, &catalog, "ok", empty.path()),
        ],
        2,
    ));
    let ok = outcomes.pop().unwrap();
    let d = outcomes.pop().unwrap();
    assert!(d.completed);
    // The well-formed check is accepted, and so is the one whose citation alone is dropped.
    let ids: Vec<&str> = d.declared.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["hostile-cites", "hostile-learned"]);
    let learned = &d.declared[1];
    assert_eq!(learned.title, "A rule `hostile-learned` of the data read");
    assert_eq!(learned.controls, ["mfa"]);
    assert!(d.declared[0].requirements.is_empty());
    // Findings of `hostile-check` and the two accepted checks are kept; the one of the refused
    // check is rejected.
    assert_eq!(d.findings, 3);
    let by_kind = |kind: GapKind| -> Vec<&str> {
        d.gaps
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| g.message.as_str())
            .collect()
    };
    let load = by_kind(GapKind::PluginLoad);
    assert_eq!(
        load,
        [
            "plugin `hostile` check `hostile-cites` cites unknown benchmark `no-such-benchmark`: \
             the citation is dropped",
            "plugin `hostile` check `hostile-check` dropped: it collides with a check of the \
             same id declared by describe",
            "plugin `hostile` check `hostile-unknown-control` dropped: it names unknown control \
             `no-such-control`",
        ],
        "{:?}",
        d.gaps
    );
    let invalid = by_kind(GapKind::InvalidFinding);
    assert_eq!(invalid.len(), 1, "{:?}", d.gaps);
    assert!(
        invalid[0].contains("unknown check `hostile-unknown-control`"),
        "{}",
        invalid[0]
    );
    assert_eq!(d.gaps.len(), 4, "{:?}", d.gaps);

    assert!(ok.completed);
    assert!(ok.declared.is_empty());
    assert!(ok.gaps.is_empty(), "{:?}", ok.gaps);
    // The describe-time table is unchanged by a scan's declarations.
    assert_eq!(hostile.checks.keys().collect::<Vec<_>>(), ["hostile-check"]);
}

/// One scan, one tenant: a 0.3.0 plugin and a 0.4.0 plugin (which also declares checks during
/// its scan) each scan a target, and the report holds the findings of both.
#[test]
fn one_scan_gets_findings_from_a_plugin_of_each_version() {
    use sha2::Digest;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let legacy = wasm("demarc-test-legacy");
    let hostile = wasm("demarc-test-hostile");
    let digest = |p: &Path| hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()));
    std::fs::create_dir_all(dir.join("legacy")).unwrap();
    std::fs::write(
        dir.join("legacy/things.csv"),
        "thing-a,on\nthing-b,off\nno comma here\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("hostile")).unwrap();
    std::fs::write(dir.join("hostile/data.json"), "[]").unwrap();
    let cfg = write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n\
             [providers.legacy]\nassume_service_model = \"iaas\"\n\n\
             [providers.hostile]\nassume_service_model = \"iaas\"\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{}\"\n\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"things\"\nprovider = \"legacy\"\nsnapshot = \"legacy\"\n\n\
             [[tenant.target]]\nid = \"declare\"\nprovider = \"hostile\"\nsnapshot = \"hostile\"\n",
            legacy.display(),
            digest(&legacy),
            hostile.display(),
            digest(&hostile),
        ),
    );
    let out_dir = dir.join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "json,csv",
        ],
        dir,
    );
    // The malformed line and the refused declarations are gaps: the scan is incomplete.
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let plugins = r["run"]["plugins"].as_array().unwrap();
    let contract = |name: &str| {
        plugins
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["contract"].clone())
    };
    assert_eq!(contract("legacy"), Some("0.3.0".into()));
    assert_eq!(contract("hostile"), Some("0.4.0".into()));
    let hostile_record = plugins.iter().find(|p| p["name"] == "hostile").unwrap();
    assert_eq!(
        hostile_record["producer"],
        serde_json::json!({"name": "hostile-scanner", "version": "9.9"})
    );
    let legacy_record = plugins.iter().find(|p| p["name"] == "legacy").unwrap();
    assert!(legacy_record.get("producer").is_none());

    let findings = r["findings"].as_array().unwrap();
    let of = |target: &str| -> Vec<(String, String, String)> {
        let mut v: Vec<_> = findings
            .iter()
            .filter(|f| f["target"] == target)
            .map(|f| {
                (
                    f["check"]["id"].as_str().unwrap().to_string(),
                    f["resource"]["id"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        of("things"),
        [
            s("legacy-thing-enabled", "thing-a", "pass"),
            s("legacy-thing-enabled", "thing-b", "fail"),
        ]
    );
    assert_eq!(
        of("declare"),
        [
            s("hostile-check", "thing-1", "pass"),
            s("hostile-cites", "thing-4", "fail"),
            s("hostile-learned", "thing-2", "fail"),
        ]
    );
    // The checks declared during the scan join the plugin's table, which findings refer to.
    let table: Vec<(String, String)> =
        plugins.iter().find(|p| p["name"] == "hostile").unwrap()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["title"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    let t = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        table,
        [
            t("hostile-check", "A check that exists"),
            t("hostile-cites", "A rule `hostile-cites` of the data read"),
            t(
                "hostile-learned",
                "A rule `hostile-learned` of the data read"
            ),
        ]
    );
    // The 0.3.0 plugin's problem, a string kind, is a positioned gap of that kind.
    let g = gaps(&r);
    let malformed: Vec<_> = g
        .iter()
        .filter(|g| g["kind"] == "malformed-input")
        .collect();
    assert_eq!(malformed.len(), 1, "{g:#?}");
    assert_eq!(malformed[0]["target"], "things");
    assert_eq!(malformed[0]["file"], "things.csv");
    assert_eq!(malformed[0]["line"], 3);
    assert_eq!(malformed[0]["message"], "a line is `id,state`");
    // Rendered from the report, a finding of a declared check has its title from the table.
    let csv = std::fs::read_to_string(out_dir.join("report.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("hostile-learned"))
        .expect("a row of the declared check");
    assert!(
        row.contains("A rule `hostile-learned` of the data read"),
        "{row}"
    );
}
