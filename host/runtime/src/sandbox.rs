//! The sandbox of one target: its limits, its store state and the WASI context that grants
//! nothing but a read-only view of the target's snapshot directory.

use std::path::Path;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use crate::host::EmitState;

/// Guest path of the snapshot directory.
pub const SNAPSHOT_ROOT: &str = "/snapshot";

/// Limits of one target's sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of one scan. By default 300 seconds.
    pub deadline: Duration,
    /// Cap on the plugin's linear memory, in bytes. By default 256 MiB.
    pub memory: usize,
    /// Cap on findings one target may emit. By default 20 million.
    pub max_findings: u64,
    /// Cap on bytes of findings one target may emit (sum of their strings). By default 8 GiB.
    pub max_emit_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(300),
            memory: 256 << 20,
            max_findings: 20_000_000,
            max_emit_bytes: 8 << 30,
        }
    }
}

/// Everything a store holds for one plugin instance.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) emit: EmitState,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Build the WASI context of a target: no environment, no arguments, no sockets, no name
/// lookups, no stdio; only `snapshot` (when given) preopened read-only at [`SNAPSHOT_ROOT`].
pub(crate) fn wasi_ctx(snapshot: Option<&Path>) -> wasmtime::Result<WasiCtx> {
    let mut b = WasiCtx::builder();
    b.allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    if let Some(dir) = snapshot {
        b.preopened_dir(dir, SNAPSHOT_ROOT, FsPerms::ReadOnly)?;
    }
    Ok(b.build())
}

/// Enforces the memory cap and remembers whether it refused a growth, so that the trap that
/// follows (a guest's allocation failure aborts) can be classified by its root cause.
pub(crate) struct MemoryLimiter {
    pub(crate) cap: usize,
    pub(crate) refused: Option<(usize, usize)>,
    /// The largest linear memory granted, in bytes.
    pub(crate) peak: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.refused = Some((current, desired));
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}
