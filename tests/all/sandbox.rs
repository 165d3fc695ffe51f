//! Hostile plugins in the real runtime: a loop, a memory bomb, an escape attempt, invalid
//! findings, a flood past the cap, a panic. In every case the host survives, the other targets'
//! findings are intact, and the outcome lists the gap.

use std::sync::Arc;
use std::time::Duration;

use demarc_core::{Attributor, Catalog, Finding, GapKind, Matrix};
use demarc_runtime::schedule::{Job, scan_all};
use demarc_runtime::{
    Limits, Plugin, Runtime, RuntimeOptions, ScanContext, TargetOutcome, TargetSpec,
};

use crate::{root, wasm};

struct World {
    runtime: Arc<Runtime>,
    rt: tokio::runtime::Runtime,
    catalog: Arc<Catalog>,
    attributor: Arc<Attributor>,
    hostile: Arc<Plugin>,
    aws: Arc<Plugin>,
}

fn world() -> World {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let catalog = Catalog::load(
        ("frameworks.toml", &read("schemas/catalog/frameworks.toml")),
        ("controls.toml", &read("schemas/catalog/controls.toml")),
    )
    .unwrap();
    let aws_matrix = Matrix::load(
        "aws.toml",
        &read("schemas/responsibility/aws.toml"),
        &catalog,
    )
    .unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeOptions::default()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let load = |name: &str| {
        let bytes = std::fs::read(wasm(name)).unwrap();
        Arc::new(
            rt.block_on(runtime.load(&bytes, name, None, &catalog))
                .unwrap(),
        )
    };
    let hostile = load("demarc-test-hostile");
    let aws = load("demarc-plugin-aws");
    World {
        runtime,
        rt,
        catalog: Arc::new(catalog),
        attributor: Arc::new(Attributor::new([aws_matrix])),
        hostile,
        aws,
    }
}

impl World {
    fn job(
        &self,
        plugin: &Arc<Plugin>,
        target: &str,
        snapshot: &std::path::Path,
        inputs: &[&str],
        limits: Limits,
    ) -> Job {
        Job {
            spec: TargetSpec {
                tenant: "t".into(),
                target: target.into(),
                snapshot: snapshot.to_path_buf(),
                inputs: inputs.iter().map(|i| (i.to_string(), None)).collect(),
                now: "2026-11-01T00:00:00Z".into(),
                limits,
                accounts: None,
            },
            ctx: Arc::new(ScanContext {
                tenant: "t".into(),
                target: target.into(),
                provider: plugin.provider.clone(),
                plugin: plugin.clone(),
                catalog: self.catalog.clone(),
                attributor: self.attributor.clone(),
                contracts: vec![],
            }),
            sink: Box::new(Vec::<Finding>::new()),
        }
    }

    /// Run a hostile target next to a real AWS scan of the demo's fabrikam account.
    fn run_beside_aws(&self, behaviour: &str, limits: Limits) -> (TargetOutcome, TargetOutcome) {
        let _cpu = crate::shared_cpu();
        self.run_beside_aws_unlocked(behaviour, limits)
    }

    fn run_beside_aws_unlocked(
        &self,
        behaviour: &str,
        limits: Limits,
    ) -> (TargetOutcome, TargetOutcome) {
        let empty = tempfile::tempdir().unwrap();
        let demo = root().join("examples/demo/fabrikam/aws-prod");
        let jobs = vec![
            self.job(&self.hostile, behaviour, empty.path(), &[], limits),
            self.job(
                &self.aws,
                "fabrikam",
                &demo,
                &["config-snapshot.json", "credential-report.csv"],
                Limits::default(),
            ),
        ];
        let mut out = self
            .rt
            .block_on(scan_all(self.runtime.clone(), jobs, 2))
            .into_iter();
        let hostile = out.next().unwrap();
        let aws = out.next().unwrap();
        (hostile, aws)
    }
}

fn assert_aws_intact(aws: &TargetOutcome) {
    assert!(
        aws.completed,
        "the AWS target did not complete: {:?}",
        aws.gaps
    );
    assert!(
        aws.gaps.is_empty(),
        "the AWS target has gaps: {:?}",
        aws.gaps
    );
    assert!(
        aws.findings > 50,
        "the AWS target lost findings: {}",
        aws.findings
    );
}

fn only_gap(o: &TargetOutcome) -> &demarc_core::Gap {
    assert_eq!(o.gaps.len(), 1, "{:#?}", o.gaps);
    &o.gaps[0]
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let w = world();
    let deadline = Duration::from_millis(1500);
    let _alone = crate::exclusive_cpu();
    let (h, aws) = w.run_beside_aws_unlocked(
        "loop",
        Limits {
            deadline,
            ..Limits::default()
        },
    );
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::Deadline, "{gap:?}");
    let limit = deadline.mul_f64(1.1) + Duration::from_millis(50);
    assert!(h.elapsed >= deadline, "stopped early: {:?}", h.elapsed);
    assert!(
        h.elapsed <= limit,
        "stopped after {:?}, limit {limit:?}",
        h.elapsed
    );
    assert!(!h.completed);
    assert_aws_intact(&aws);
}

#[test]
fn a_memory_bomb_is_stopped_at_the_cap() {
    let w = world();
    let (h, aws) = w.run_beside_aws(
        "bomb",
        Limits {
            memory: 64 << 20,
            ..Limits::default()
        },
    );
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::MemoryCap, "{gap:?}");
    assert!(gap.message.contains("64 MiB"), "{}", gap.message);
    assert_aws_intact(&aws);
}

#[test]
fn reads_outside_the_snapshot_and_the_environment_are_denied() {
    let w = world();
    // SAFETY-free check that there is something to leak: the host has environment variables.
    assert!(std::env::vars().next().is_some());
    let (h, aws) = w.run_beside_aws("escape", Limits::default());
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginError, "{gap:?}");
    assert!(gap.message.contains("sandbox held"), "{}", gap.message);
    assert!(!gap.message.contains("ESCAPED"), "{}", gap.message);
    assert_aws_intact(&aws);
}

#[test]
fn invalid_findings_are_rejected_and_the_valid_ones_kept() {
    let w = world();
    for (behaviour, needle) in [
        ("unknown-control", "unknown control `no-such-control`"),
        ("unknown-check", "unknown check `never-declared`"),
        ("oversize", "message is 1048576 bytes"),
    ] {
        let (h, aws) = w.run_beside_aws(behaviour, Limits::default());
        assert!(h.completed, "{behaviour}");
        assert_eq!(h.findings, 1, "{behaviour}: the valid finding is kept");
        let gap = only_gap(&h);
        assert_eq!(gap.kind, GapKind::InvalidFinding, "{behaviour}: {gap:?}");
        assert!(gap.message.contains(needle), "{behaviour}: {}", gap.message);
        assert_aws_intact(&aws);
    }
}

#[test]
fn emitting_past_the_cap_is_refused_and_ignoring_the_refusal_traps() {
    let w = world();
    let limits = Limits {
        max_findings: 1000,
        ..Limits::default()
    };
    let (h, aws) = w.run_beside_aws("polite-flood", limits);
    assert_eq!(h.findings, 1000);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::EmitCap, "{gap:?}");
    assert!(gap.message.contains("1000"), "{}", gap.message);
    assert_aws_intact(&aws);

    let (h, aws) = w.run_beside_aws("flood", limits);
    assert_eq!(h.findings, 1000);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::EmitCap, "{gap:?}");
    assert!(
        gap.message.contains("emitted again after the host refused"),
        "{}",
        gap.message
    );
    assert_aws_intact(&aws);

    let byte_cap = Limits {
        max_emit_bytes: 10_000,
        ..Limits::default()
    };
    let (h, _) = w.run_beside_aws("polite-flood", byte_cap);
    assert!(h.findings > 0 && h.findings < 1000, "{}", h.findings);
    assert_eq!(only_gap(&h).kind, GapKind::EmitCap);
}

#[test]
fn a_guest_panic_is_a_trap_and_a_gap() {
    let w = world();
    let (h, aws) = w.run_beside_aws("panic", Limits::default());
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginTrap, "{gap:?}");
    assert!(!h.completed);
    assert_aws_intact(&aws);
    // The same runtime keeps working after all of this.
    let (ok, _) = w.run_beside_aws("ok", Limits::default());
    assert!(
        ok.completed && ok.gaps.is_empty() && ok.findings == 2,
        "{:?}",
        ok.gaps
    );
}

#[test]
fn a_tampered_plugin_is_refused_by_its_pinned_digest() {
    let w = world();
    let bytes = std::fs::read(wasm("demarc-test-hostile")).unwrap();
    let err =
        w.rt.block_on(
            w.runtime
                .load(&bytes, "hostile.wasm", Some(&"0".repeat(64)), &w.catalog),
        )
        .unwrap_err();
    assert!(err.to_string().contains("pins 0000"), "{err}");
    let err =
        w.rt.block_on(w.runtime.load(b"not wasm", "junk.wasm", None, &w.catalog))
            .unwrap_err();
    assert!(err.to_string().contains("junk.wasm"), "{err}");
}
