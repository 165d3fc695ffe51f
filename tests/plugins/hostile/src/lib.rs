//! A hostile plugin for the sandbox tests. What it does depends on the id of the target it is
//! asked to scan (the prefix before the first `.`):
//!
//! - `ok`: emits two valid findings.
//! - `loop`: spins forever.
//! - `bomb`: allocates until memory runs out.
//! - `escape`: tries to read files outside its snapshot and reports what it could read.
//! - `unknown-control` / `unknown-check` / `oversize`: emits one valid finding and one invalid.
//! - `flood`: emits findings forever, ignoring the host's refusal.
//! - `polite-flood`: emits findings until the host refuses, then stops as it should.
//! - `panic`: panics.
//! - `sleep`: sleeps for two minutes (blocked in WASI, not running guest code).
//! - `fifo`: reads the file `fifo` of its snapshot (a FIFO nobody writes to, in the tests).
//! - `hoard`: opens `data.json` of its snapshot 20,000 times, keeping every handle.
//! - `hold.N`: holds N MiB of its memory, then emits two valid findings.
//! - `forge-log`: logs a message with a newline and a fake log line after it, then fails with a
//!   message holding a newline and a terminal escape.
//!
//! `describe` sleeps for two minutes when [`DESCRIBE_MARKER`] reads `describe:sleeps`: the tests
//! patch those bytes in a copy of the component to get a plugin whose `describe` never ends.

use demarc_sdk::{
    Actor, CONTRACT_VERSION, CheckDef, Emitter, FindingBuilder, PluginInfo, Provider, ScanError,
    ScanRequest, ScanSummary, Severity,
};

/// The one check the plugin declares.
pub const CHECK: CheckDef = CheckDef {
    id: "hostile-check",
    title: "A check that exists",
    severity: Severity::Low,
    actor: Actor::Customer,
    rationale: "Used by the sandbox tests.",
    remediation: "None.",
    controls: &["asset-ownership-documented"],
    resource_types: &["Hostile::Thing"],
    requirements: &[],
};

/// Patched in a copy of the component by the tests; see the crate documentation.
pub static DESCRIBE_MARKER: [u8; 15] = *b"describe:awake!";

/// The hostile provider.
pub struct Hostile;

fn finding(n: u64) -> demarc_sdk::Finding {
    FindingBuilder::new(
        &CHECK,
        "000000000000",
        "global",
        "Hostile::Thing",
        &format!("thing-{n}"),
    )
    .pass("fine")
}

impl Provider for Hostile {
    fn info() -> PluginInfo {
        // Read through an opaque reference so that the bytes stay in the data section.
        let marker: &[u8; 15] = std::hint::black_box(&DESCRIBE_MARKER);
        if marker == b"describe:sleeps" {
            std::thread::sleep(std::time::Duration::from_secs(120));
        }
        PluginInfo {
            name: "hostile".into(),
            version: "0.0.1".into(),
            provider: "hostile".into(),
            contract_version: CONTRACT_VERSION.into(),
            checks: vec![CHECK.to_check()],
        }
    }

    fn scan(req: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        let behaviour = req.target.split('.').next().unwrap_or_default();
        let done = |n| {
            Ok(ScanSummary {
                resources: n,
                skipped: 0,
                problems: vec![],
            })
        };
        match behaviour {
            "ok" => {
                out.emit(finding(1))?;
                out.emit(finding(2))?;
                done(2)
            }
            "loop" => {
                let mut x = 0u64;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "escape" => {
                let mut read = Vec::new();
                let mut denied = Vec::new();
                for path in [
                    "/etc/passwd",
                    "/snapshot/../../../../etc/passwd",
                    "/proc/self/environ",
                    "/",
                ] {
                    match std::fs::read_to_string(path) {
                        Ok(text) => read.push(format!(
                            "{path}: {}",
                            text.chars().take(40).collect::<String>()
                        )),
                        Err(e) => denied.push(format!("{path}: {e}")),
                    }
                }
                let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                if !read.is_empty() || !env.is_empty() {
                    return Err(ScanError::Internal(format!(
                        "ESCAPED read={read:?} env={env:?}"
                    )));
                }
                Err(ScanError::Internal(format!(
                    "sandbox held: {}",
                    denied.join("; ")
                )))
            }
            "unknown-control" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.extra_controls = vec!["no-such-control".into()];
                out.emit(bad)?;
                done(2)
            }
            "unknown-check" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.check_id = "never-declared".into();
                out.emit(bad)?;
                done(2)
            }
            "oversize" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.message = "x".repeat(1 << 20);
                out.emit(bad)?;
                done(2)
            }
            "flood" => {
                #[cfg(target_arch = "wasm32")]
                {
                    let mut n = 0;
                    loop {
                        let batch: Vec<_> = (0..100).map(|i| finding(n + i)).collect();
                        // Ignore the host's refusal on purpose.
                        let _ = demarc_sdk::bindings::demarc::provider::host::emit(&batch);
                        n += 100;
                    }
                }
                #[cfg(not(target_arch = "wasm32"))]
                done(0)
            }
            "polite-flood" => {
                let mut n = 0;
                loop {
                    out.emit(finding(n))?;
                    n += 1;
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(120));
                done(0)
            }
            "fifo" => match std::fs::read(format!("{}/fifo", req.snapshot_root)) {
                Ok(bytes) => Err(ScanError::Internal(format!(
                    "read {} bytes from the FIFO",
                    bytes.len()
                ))),
                Err(e) => Err(ScanError::Internal(format!("cannot read the FIFO: {e}"))),
            },
            "hoard" => {
                let path = format!("{}/data.json", req.snapshot_root);
                let mut held = Vec::new();
                while held.len() < 20_000 {
                    match std::fs::File::open(&path) {
                        Ok(f) => held.push(f),
                        Err(e) => {
                            return Err(ScanError::Internal(format!(
                                "held {} open files, then: {e}",
                                held.len()
                            )));
                        }
                    }
                }
                Err(ScanError::Internal(format!(
                    "held {} open files",
                    held.len()
                )))
            }
            "hold" => {
                let mib: usize = req
                    .target
                    .split('.')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                let held = vec![7u8; mib << 20];
                std::hint::black_box(&held);
                out.emit(finding(1))?;
                out.emit(finding(2))?;
                done(2)
            }
            "forge-log" => {
                demarc_sdk::log::warn(
                    "harmless\n2026-11-01T00:00:00.000000Z ERROR demarc: FORGED host line",
                );
                Err(ScanError::Internal(
                    "first\nFORGED gap line\u{1b}[2K".into(),
                ))
            }
            other => Err(ScanError::Internal(format!("unknown behaviour `{other}`"))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Hostile);
