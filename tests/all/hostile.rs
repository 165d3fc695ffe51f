//! More hostile plugins in the real runtime: a stack overflow, deep recursion, one huge string,
//! millions of tiny findings, probes of the clocks, environment and random sources, writes to
//! the read-only snapshot, sockets, and symbolic links out of the snapshot. In every case the
//! host survives, the AWS target scanned beside it keeps its findings, and the outcome names
//! the gap (or, for the probe, the guest sees a world that is the same on every run).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use demarc_core::{Finding, GapKind};
use demarc_runtime::schedule::scan_all;
use demarc_runtime::{FindingSink, Limits, TargetOutcome};

use crate::root;
use crate::sandbox::{World, assert_aws_intact, only_gap, snapshot_with_data, world};

/// The gaps of `o` that the plugin itself reported (`the plugin failed: ...`), and the others.
fn gap_with<'a>(o: &'a TargetOutcome, needle: &str) -> &'a demarc_core::Gap {
    o.gaps
        .iter()
        .find(|g| g.message.contains(needle))
        .unwrap_or_else(|| panic!("no gap containing {needle:?}: {:#?}", o.gaps))
}

#[test]
fn a_stack_overflow_is_a_trap_and_a_gap() {
    let w = world();
    let (h, aws) = w.run_beside_aws("stack", Limits::default());
    assert!(!h.completed);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginTrap, "{gap:?}");
    assert!(!gap.message.contains("survived"), "{}", gap.message);
    assert_aws_intact(&aws);
}

#[test]
fn deep_recursion_exhausts_the_call_stack_and_is_a_gap() {
    let w = world();
    let (h, aws) = w.run_beside_aws("recurse", Limits::default());
    assert!(!h.completed);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginTrap, "{gap:?}");
    assert_eq!(
        gap.message,
        "the plugin exhausted its call stack (runaway or too deep recursion) and was stopped"
    );
    assert_aws_intact(&aws);
    // The same runtime keeps working afterwards.
    let (ok, _) = w.run_beside_aws("ok", Limits::default());
    assert!(ok.completed && ok.gaps.is_empty() && ok.findings == 2);
}

#[test]
fn one_huge_string_never_reaches_the_host_and_one_past_memory_stops_at_the_cap() {
    let w = world();
    // 200 MiB in one message, within a 512 MiB memory cap: the host never copies it in (it
    // takes at most 128 MiB in one call); the plugin is stopped and the gap says why.
    let (h, aws) = w.run_beside_aws(
        "huge.200",
        Limits {
            memory: 512 << 20,
            ..Limits::default()
        },
    );
    assert!(!h.completed);
    assert_eq!(h.findings, 0, "the call carrying the string was not kept");
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::PluginTrap, "{gap:?}");
    assert_eq!(
        gap.message,
        "the plugin tried to hand the host more than 128 MiB in one call (a finding with a huge \
         field?) and was stopped; nothing of that call was kept"
    );
    assert_aws_intact(&aws);

    // 4 MiB: copied, and the finding rejected by its length; the one before it is kept.
    let (h, aws) = w.run_beside_aws("huge.4", Limits::default());
    assert!(h.completed, "{:#?}", h.gaps);
    assert_eq!(h.findings, 1);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::InvalidFinding, "{gap:?}");
    assert!(
        gap.message
            .contains(&format!("message is {} bytes", 4u64 << 20)),
        "{}",
        gap.message
    );
    assert_aws_intact(&aws);

    // 2000 MiB in one string: past the memory cap, the plugin is stopped at it.
    let (h, aws) = w.run_beside_aws("huge.2000", Limits::default());
    assert!(!h.completed);
    let gap = only_gap(&h);
    assert_eq!(gap.kind, GapKind::MemoryCap, "{gap:?}");
    assert!(gap.message.contains("256 MiB"), "{}", gap.message);
    assert_aws_intact(&aws);
}

/// A sink that only counts, so that millions of findings cost the test no memory.
struct Counter(Arc<AtomicU64>);

impl FindingSink for Counter {
    fn accept(&mut self, _finding: Finding) -> Result<(), String> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn accept_unmapped(&mut self, _: demarc_core::UnmappedFinding) -> Result<(), String> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl World {
    /// Run `behaviour` beside the AWS target with a counting sink; returns the outcomes and
    /// the count of findings the sink took.
    fn run_counted(&self, behaviour: &str, limits: Limits) -> (TargetOutcome, TargetOutcome, u64) {
        let _cpu = crate::shared_cpu();
        let empty = tempfile::tempdir().unwrap();
        let demo = root().join("examples/demo/fabrikam/aws-prod");
        let counted = Arc::new(AtomicU64::new(0));
        let mut hostile = self.job(&self.hostile, behaviour, empty.path(), &[], limits);
        hostile.sink = Box::new(Counter(counted.clone()));
        let jobs = vec![
            hostile,
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
        let (h, aws) = (out.next().unwrap(), out.next().unwrap());
        (h, aws, counted.load(Ordering::Relaxed))
    }
}

#[test]
fn millions_of_tiny_findings_are_all_taken_or_capped() {
    let w = world();
    let (h, aws, counted) = w.run_counted("tiny.2000000", Limits::default());
    assert!(h.completed, "{:#?}", h.gaps);
    assert!(h.gaps.is_empty(), "{:#?}", h.gaps);
    assert_eq!(h.findings, 2_000_000);
    assert_eq!(counted, 2_000_000, "every finding reached the sink");
    assert_aws_intact(&aws);

    let (h, aws, counted) = w.run_counted(
        "tiny.2000000",
        Limits {
            max_findings: 1_000_000,
            ..Limits::default()
        },
    );
    assert_eq!(h.findings, 1_000_000);
    assert_eq!(counted, 1_000_000);
    let gap = gap_with(&h, "1000000");
    assert_eq!(gap.kind, GapKind::EmitCap, "{gap:?}");
    assert_aws_intact(&aws);
}

/// The value of `key=` in a probe message, up to the next space.
fn field<'a>(msg: &'a str, key: &str) -> &'a str {
    let at = msg
        .find(&format!(" {key}="))
        .unwrap_or_else(|| panic!("no {key} in {msg}"));
    let rest = &msg[at + key.len() + 2..];
    rest.split(' ').next().unwrap()
}

#[test]
fn the_guest_sees_a_stopped_clock_no_environment_and_seeded_random() {
    let w = world();
    // There is an environment to leak.
    assert!(std::env::vars().next().is_some());
    let probe = |target: &str| {
        let (h, aws) = w.run_beside_aws(target, Limits::default());
        assert_aws_intact(&aws);
        let gap = only_gap(&h);
        assert_eq!(gap.kind, GapKind::PluginError, "{gap:?}");
        assert!(gap.message.contains("probe: "), "{}", gap.message);
        gap.message.clone()
    };
    let first = probe("probe");
    // The wall clock reads the scan's reference time (2026-11-01T00:00:00Z), before and after a
    // sleep; the monotonic clock reads zero, so the sleep measured nothing.
    assert_eq!(field(&first, "wall"), "1793491200000000000", "{first}");
    assert_eq!(field(&first, "wall_after_sleep"), "1793491200000000000");
    assert_eq!(field(&first, "slept_ns"), "0", "{first}");
    assert_eq!(field(&first, "monotonic"), "0", "{first}");
    // No environment, no arguments, no working directory (the guest library says `/`).
    assert_eq!(field(&first, "env"), "[]", "{first}");
    assert_eq!(field(&first, "args"), "[]", "{first}");
    assert_eq!(field(&first, "cwd"), "/", "{first}");
    // Random is granted, seeded from the tenant and target: not constant, the same on every run.
    let random = field(&first, "random");
    assert_eq!(random.len(), 32, "{first}");
    assert_ne!(random, "0".repeat(32));
    assert_ne!(random, field(&first, "insecure"));
    let again = probe("probe");
    assert_eq!(first, again, "a second run saw another world");
    // Another target has other random numbers (and the same clock).
    let other = probe("probe.other");
    assert_ne!(field(&other, "random"), random);
    assert_ne!(field(&other, "seed"), field(&first, "seed"));
    assert_eq!(field(&other, "wall"), field(&first, "wall"));
}

#[test]
fn writing_to_the_read_only_snapshot_is_refused_and_named() {
    let w = world();
    let snap = snapshot_with_data();
    let (h, aws) = w.run_in_beside_aws("write", snap.path(), Limits::default());
    assert_aws_intact(&aws);
    let own = gap_with(&h, "the plugin failed: write: ");
    assert!(own.message.contains("write: denied"), "{}", own.message);
    let refused = gap_with(&h, "to change its read-only snapshot");
    assert_eq!(refused.kind, GapKind::PluginError);
    assert_eq!(
        refused.message,
        "the sandbox refused 6 attempts by the plugin to change its read-only snapshot; \
         the first: open `data.json` for writing"
    );
    assert_eq!(h.gaps.len(), 2, "{:#?}", h.gaps);
    // Nothing changed on disk.
    let entries: Vec<_> = std::fs::read_dir(snap.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["data.json"]);
    assert_eq!(
        std::fs::read_to_string(snap.path().join("data.json")).unwrap(),
        "[]"
    );
}

#[test]
fn opening_a_socket_is_refused_and_named() {
    let w = world();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let (h, aws) = w.run_beside_aws(&format!("socket.{port}"), Limits::default());
    assert_aws_intact(&aws);
    let own = gap_with(&h, "the plugin failed: socket: ");
    for escaped in ["CONNECTED", "SENT", "RESOLVED"] {
        assert!(!own.message.contains(escaped), "{}", own.message);
    }
    let refused = gap_with(&h, "to use the network");
    assert_eq!(refused.kind, GapKind::PluginError);
    assert!(
        refused
            .message
            .starts_with("the sandbox refused 3 attempts by the plugin to use the network"),
        "{}",
        refused.message
    );
    assert!(
        refused.message.contains("the first: create-tcp-socket"),
        "{}",
        refused.message
    );
    assert_eq!(h.gaps.len(), 2, "{:#?}", h.gaps);
    // Nothing arrived.
    tcp.set_nonblocking(true).unwrap();
    assert_eq!(
        tcp.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    udp.set_nonblocking(true).unwrap();
    assert_eq!(
        udp.recv(&mut [0; 64]).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_snapshot_is_not_followed() {
    let w = world();
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), "TOPSECRET").unwrap();
    let snap = tmp.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    std::fs::write(snap.join("data.json"), "[]").unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), snap.join("link")).unwrap();
    std::os::unix::fs::symlink(&outside, snap.join("linkdir")).unwrap();
    let (h, aws) = w.run_in_beside_aws("symlink", &snap, Limits::default());
    assert_aws_intact(&aws);
    for g in &h.gaps {
        assert!(!g.message.contains("TOPSECRET"), "{}", g.message);
        assert!(!g.message.contains("READ"), "{}", g.message);
    }
    let own = gap_with(&h, "the plugin failed: symlink: ");
    assert!(own.message.contains("link: denied"), "{}", own.message);
    let refused = gap_with(&h, "to open a file outside its snapshot");
    assert_eq!(refused.kind, GapKind::PluginError);
    assert_eq!(
        refused.message,
        "the sandbox refused 2 attempts by the plugin to open a file outside its snapshot; \
         the first: `link` (a symbolic link out of it)"
    );
    assert_eq!(h.gaps.len(), 2, "{:#?}", h.gaps);
}
