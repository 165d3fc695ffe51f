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

pub(crate) struct World {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) attributor: Arc<Attributor>,
    pub(crate) hostile: Arc<Plugin>,
    pub(crate) aws: Arc<Plugin>,
}

pub(crate) fn world() -> World {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let mut catalog = Catalog::load(
        ("frameworks.toml", &read("schemas/catalog/frameworks.toml")),
        ("controls.toml", &read("schemas/catalog/controls.toml")),
    )
    .unwrap();
    // The benchmarks the plugins cite, as the CLI loads them.
    let mut benchmarks: Vec<_> = std::fs::read_dir(root().join("schemas/benchmarks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    benchmarks.sort();
    for p in benchmarks {
        let text = std::fs::read_to_string(&p).unwrap();
        let b = demarc_core::benchmark::Benchmark::load(&p.display().to_string(), &text, &catalog)
            .unwrap();
        catalog.add_benchmark(b).unwrap();
    }
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
        // The hostile plugin's provider has no matrix: its findings are attributed by an
        // accepted assumption, so that only what each test provokes is a gap.
        attributor: Arc::new(
            Attributor::new([aws_matrix])
                .accept_assumed("hostile", demarc_core::ServiceModel::Iaas),
        ),
        hostile,
        aws,
    }
}

impl World {
    pub(crate) fn job(
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
                egress: None,
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
    pub(crate) fn run_beside_aws(
        &self,
        behaviour: &str,
        limits: Limits,
    ) -> (TargetOutcome, TargetOutcome) {
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

pub(crate) fn assert_aws_intact(aws: &TargetOutcome) {
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

pub(crate) fn only_gap(o: &TargetOutcome) -> &demarc_core::Gap {
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
    // A generous margin: the epoch ticks stop the loop within milliseconds, but the other
    // integration tests share the 2 cores and the test runner's threads; an unbounded loop
    // would still be caught (it runs until the test harness gives up).
    let limit = deadline + Duration::from_secs(3);
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
    assert_eq!(h.gaps.len(), 2, "{:#?}", h.gaps);
    let gap = &h.gaps[0];
    assert_eq!(gap.kind, GapKind::PluginError, "{gap:?}");
    assert!(gap.message.contains("sandbox held"), "{}", gap.message);
    assert!(!gap.message.contains("ESCAPED"), "{}", gap.message);
    // The host names the attempt to leave the snapshot, whatever the plugin says.
    assert_eq!(h.gaps[1].kind, GapKind::PluginError);
    assert_eq!(
        h.gaps[1].message,
        "the sandbox refused 1 attempt by the plugin to open a file outside its snapshot; \
         the first: `../../../../etc/passwd` (a path out of it)"
    );
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

/// A plugin built against another contract version is refused with a message that names the
/// version and says to rebuild, not with the missing imports it would otherwise lead to.
#[test]
fn a_plugin_built_for_another_contract_is_refused_by_its_version() {
    let w = world();
    let bytes = std::fs::read(wasm("demarc-plugin-aws")).unwrap();
    // The first-party plugins are built against the newest version served.
    let newest = demarc_runtime::SUPPORTED_CONTRACTS.last().unwrap();
    let current = format!("@{newest}");
    assert_eq!(current.len(), "@0.1.0".len());
    // Every interface name of the contract, renamed to the previous version in place.
    let mut old = bytes.clone();
    let prefix = b"demarc:provider/";
    let mut renamed = 0;
    let mut i = 0;
    while let Some(at) = old[i..].windows(prefix.len()).position(|w| w == prefix) {
        let start = i + at + prefix.len();
        let end = (start..old.len().min(start + 64))
            .find(|&j| old[j] == b'@')
            .expect("versioned name");
        if old[end..].starts_with(current.as_bytes()) {
            old[end..end + current.len()].copy_from_slice(b"@0.1.0");
            renamed += 1;
        }
        i = end;
    }
    assert!(renamed >= 2, "the contract's import and export names");
    let err =
        w.rt.block_on(w.runtime.load(&old, "old-aws.wasm", None, &w.catalog))
            .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, demarc_runtime::LoadError::Contract { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("old-aws.wasm") && msg.contains("uses contract 0.1.0"),
        "{msg}"
    );
    assert!(msg.contains("rebuild"), "{msg}");
}

impl World {
    /// Run one target of `plugin` alone.
    fn run_one(
        &self,
        plugin: &Arc<Plugin>,
        target: &str,
        snapshot: &std::path::Path,
        limits: Limits,
    ) -> TargetOutcome {
        let _cpu = crate::shared_cpu();
        let jobs = vec![self.job(plugin, target, snapshot, &[], limits)];
        self.rt
            .block_on(scan_all(self.runtime.clone(), jobs, 1))
            .pop()
            .unwrap()
    }

    /// Run a hostile target on `snapshot` next to a real AWS scan of the demo's fabrikam account.
    pub(crate) fn run_in_beside_aws(
        &self,
        behaviour: &str,
        snapshot: &std::path::Path,
        limits: Limits,
    ) -> (TargetOutcome, TargetOutcome) {
        let _cpu = crate::shared_cpu();
        let demo = root().join("examples/demo/fabrikam/aws-prod");
        let jobs = vec![
            self.job(&self.hostile, behaviour, snapshot, &[], limits),
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
        (out.next().unwrap(), out.next().unwrap())
    }
}

/// Generous margin over a deadline for a plugin blocked outside guest code.
const MARGIN: Duration = Duration::from_secs(5);

#[test]
fn a_sleeping_plugin_is_stopped_at_the_wall_clock_deadline() {
    let w = world();
    let deadline = Duration::from_secs(2);
    let (h, aws) = w.run_beside_aws(
        "sleep",
        Limits {
            deadline,
            ..Limits::default()
        },
    );
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::Deadline, "{gap:?}");
    assert!(
        gap.message
            .starts_with("stopped at the deadline of 2.0 s after"),
        "{}",
        gap.message
    );
    assert!(h.elapsed >= deadline, "stopped early: {:?}", h.elapsed);
    assert!(
        h.elapsed <= deadline + MARGIN,
        "the sleeping plugin ran {:?} under a {deadline:?} deadline",
        h.elapsed
    );
    assert!(!h.completed);
    assert_aws_intact(&aws);
}

/// The hostile plugin with its `describe` patched to sleep for two minutes.
fn sleepy_describe() -> Vec<u8> {
    let mut bytes = std::fs::read(wasm("demarc-test-hostile")).unwrap();
    let (awake, sleeps) = (b"describe:awake!", b"describe:sleeps");
    let at: Vec<usize> = bytes
        .windows(awake.len())
        .enumerate()
        .filter(|(_, w)| w == awake)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the describe marker is in the component once");
    bytes[at[0]..at[0] + sleeps.len()].copy_from_slice(sleeps);
    bytes
}

#[test]
fn a_describe_that_sleeps_is_stopped_at_its_deadline() {
    let w = world();
    let deadline = Duration::from_secs(2);
    let runtime = Runtime::new(RuntimeOptions {
        describe_deadline: deadline,
        ..RuntimeOptions::default()
    })
    .unwrap();
    let bytes = sleepy_describe();
    let _cpu = crate::shared_cpu();
    let started = std::time::Instant::now();
    let err =
        w.rt.block_on(runtime.load(&bytes, "sleepy.wasm", None, &w.catalog))
            .unwrap_err();
    let elapsed = started.elapsed();
    let msg = err.to_string();
    assert!(
        msg.contains("sleepy.wasm") && msg.contains("stopped at the deadline of 2.0 s"),
        "{msg}"
    );
    assert!(elapsed >= deadline, "stopped early: {elapsed:?}");
    assert!(
        elapsed <= deadline + MARGIN + Duration::from_secs(10),
        "describe ran {elapsed:?} under a {deadline:?} deadline (compilation included)"
    );
}

/// A snapshot with one small data file.
pub(crate) fn snapshot_with_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.json"), "[]").unwrap();
    dir
}

#[test]
fn holding_thousands_of_files_stops_at_the_descriptor_cap() {
    let w = world();
    let snap = snapshot_with_data();
    let (h, aws) = w.run_in_beside_aws("hoard", snap.path(), Limits::default());
    assert!(!h.completed);
    let cap = h
        .gaps
        .iter()
        .find(|g| g.message.contains("cap of 256 open descriptors"))
        .unwrap_or_else(|| panic!("no descriptor cap gap: {:#?}", h.gaps));
    assert_eq!(cap.kind, GapKind::PluginError);
    // The plugin saw an ordinary error from WASI, past the cap (its snapshot directory is one
    // of the 256), and reported it; it was not killed by the host.
    let own = h
        .gaps
        .iter()
        .find(|g| g.message.contains("held 255 open files, then:"))
        .unwrap_or_else(|| panic!("the plugin did not see the cap: {:#?}", h.gaps));
    assert_eq!(own.kind, GapKind::PluginError);
    assert_eq!(h.gaps.len(), 2, "{:#?}", h.gaps);
    assert_aws_intact(&aws);

    // Past the cap on host resources of every kind the plugin is stopped.
    let (h, aws) = w.run_in_beside_aws(
        "hoard",
        snap.path(),
        Limits {
            max_descriptors: 100_000,
            max_resources: 1000,
            ..Limits::default()
        },
    );
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginTrap, "{gap:?}");
    assert!(
        gap.message.contains("cap of 1000 host resources"),
        "{}",
        gap.message
    );
    assert_aws_intact(&aws);
}

/// Read a LEB128 u32 at `*at`.
fn leb(bytes: &[u8], at: &mut usize) -> u32 {
    let (mut v, mut shift) = (0u32, 0);
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

fn put_leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    put_leb(out, content.len() as u32);
    out.extend_from_slice(content);
}

/// The component `component` with, for each of `pages`, one more core module declaring a
/// linear memory of that many 64 KiB pages, instantiated next to the plugin's own modules.
fn with_extra_memories(component: &[u8], pages: &[u32]) -> Vec<u8> {
    assert_eq!(&component[..8], b"\0asm\x0d\0\x01\0", "a component");
    // Core modules defined at the top level so far (section id 1 holds one module each).
    let (mut at, mut modules) = (8, 0u32);
    while at < component.len() {
        let id = component[at];
        at += 1;
        let size = leb(component, &mut at) as usize;
        modules += u32::from(id == 1);
        at += size;
    }
    let mut out = component.to_vec();
    for &n in pages {
        let mut memory = vec![1, 0x00]; // one memory, no maximum
        put_leb(&mut memory, n);
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        section(&mut module, 5, &memory);
        section(&mut out, 1, &module);
        let mut instance = vec![1, 0x00]; // one instance: instantiate
        put_leb(&mut instance, modules);
        instance.push(0); // no arguments
        section(&mut out, 2, &instance);
        modules += 1;
    }
    out
}

#[test]
fn the_memory_cap_covers_all_of_a_plugins_memories() {
    let w = world();
    let hostile = std::fs::read(wasm("demarc-test-hostile")).unwrap();
    let cap = 48usize << 20;
    let sixty_percent = (cap * 6 / 10 / 65536) as u32;
    let limits = Limits {
        memory: cap,
        ..Limits::default()
    };
    let load = |bytes: &[u8], name: &str| {
        Arc::new(
            w.rt.block_on(w.runtime.load(bytes, name, None, &w.catalog))
                .unwrap(),
        )
    };
    let empty = tempfile::tempdir().unwrap();

    // One extra memory of 60% of the cap: fine.
    let one = load(&with_extra_memories(&hostile, &[sixty_percent]), "one.wasm");
    let o = w.run_one(&one, "ok", empty.path(), limits);
    assert!(o.completed && o.gaps.is_empty(), "{:#?}", o.gaps);
    assert_eq!(o.findings, 2);

    // Two of them: 120% of the cap, refused although each is under it.
    let two = load(
        &with_extra_memories(&hostile, &[sixty_percent, sixty_percent]),
        "two.wasm",
    );
    let o = w.run_one(&two, "ok", empty.path(), limits);
    let gap = only_gap(&o);
    assert_eq!(gap.kind, GapKind::MemoryCap, "{gap:?}");
    assert!(gap.message.contains("48 MiB"), "{}", gap.message);
    assert!(!o.completed);

    // The plugin's own memory growing past what the other memory leaves: refused; alone, fine.
    let o = w.run_one(&w.hostile, "hold.24", empty.path(), limits);
    assert!(o.completed && o.gaps.is_empty(), "{:#?}", o.gaps);
    let o = w.run_one(&one, "hold.24", empty.path(), limits);
    let gap = only_gap(&o);
    assert_eq!(gap.kind, GapKind::MemoryCap, "{gap:?}");
}

/// A configuration running the hostile plugin on `target` (snapshot `snap` under `dir`) next
/// to an AWS target, with a deadline.
fn hostile_config(dir: &std::path::Path, target: &str, deadline_secs: u32) -> std::path::PathBuf {
    let wasm_path = wasm("demarc-test-hostile");
    let digest = sha256_hex(&std::fs::read(&wasm_path).unwrap());
    let fx = root().join("tests/fixtures/aws");
    crate::write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n[limits]\ndeadline_secs = {deadline_secs}\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"good-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n\n\
             [[tenant.target]]\nid = \"{target}\"\nprovider = \"hostile\"\nsnapshot = \"snap\"\n\
             inputs = [\"data.json\"]\n",
            wasm_path.display(),
            fx.display()
        ),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Run the binary, killing it if it outlives `limit`; returns its output and wall time.
fn demarc_within(
    args: &[&str],
    cwd: &std::path::Path,
    limit: Duration,
) -> (std::process::Output, Duration) {
    let _cpu = crate::shared_cpu();
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(args)
        .current_dir(cwd)
        .env("DEMARC_CACHE_DIR", cwd.join(".cache"))
        .env_remove("RUST_LOG")
        .env_remove("BUILT_WASM_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run demarc");
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "demarc still ran after {limit:?}; killed\n{}",
                crate::describe(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    (child.wait_with_output().unwrap(), elapsed)
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_snapshot_cannot_hang_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    std::fs::write(snap.join("data.json"), "[]").unwrap();
    let fifo = std::ffi::CString::new(snap.join("fifo").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let cfg = hostile_config(tmp.path(), "fifo", 3);
    let out_dir = tmp.path().join("out");
    let args = [
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    // The first run compiles the plugins into the cache; the second is timed.
    for run in ["first", "second"] {
        let (out, elapsed) = demarc_within(&args, tmp.path(), Duration::from_secs(120));
        assert_eq!(
            out.status.code(),
            Some(3),
            "{run} run\n{}",
            crate::describe(&out)
        );
        if run == "second" {
            assert!(
                elapsed <= Duration::from_secs(3) + MARGIN,
                "the scan took {elapsed:?} under a 3 s deadline"
            );
        }
    }
    let r = crate::report(&out_dir);
    let gaps = crate::gaps(&r);
    let refused = gaps
        .iter()
        .find(|g| g["kind"] == "missing-input" && g["target"] == "fifo")
        .unwrap_or_else(|| panic!("no gap for the FIFO: {gaps:#?}"));
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("`fifo` in the snapshot is a special file (a FIFO or the like), not a regular file: the sandbox refused to open it"),
        "{refused}"
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["target"] == "good-aws"),
        "the other target lost its findings"
    );
}

#[test]
fn a_plugin_cannot_forge_log_lines_or_gap_lines() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("snap")).unwrap();
    std::fs::write(tmp.path().join("snap/data.json"), "[]").unwrap();
    let cfg = hostile_config(tmp.path(), "forge-log", 60);
    let out_dir = tmp.path().join("out");
    let out = crate::demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let forged = "2026-11-01T00:00:00.000000Z ERROR demarc: FORGED host line";
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&format!("harmless\\n{forged}"))),
        "the plugin's line is not on one escaped line\n{}",
        crate::describe(&out)
    );
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains(forged) && !l.contains("harmless")),
        "a forged line\n{}",
        crate::describe(&out)
    );
    let r = crate::report(&out_dir);
    let gap = crate::gaps(&r)
        .into_iter()
        .find(|g| g["target"] == "forge-log")
        .unwrap_or_else(|| panic!("no gap\n{}", crate::describe(&out)));
    let msg = gap["message"].as_str().unwrap();
    assert!(msg.contains("first\\nFORGED gap line\\u{1b}[2K"), "{msg}");
    assert!(!msg.chars().any(char::is_control), "{msg:?}");
}
