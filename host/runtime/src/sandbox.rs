//! The sandbox of one target: its limits, its store state and the WASI context that grants
//! nothing but a read-only view of the target's snapshot directory.

use std::path::Path;
use std::time::Duration;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    self as fs, DescriptorType, Host as _, HostDescriptor as _,
};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use crate::host::EmitState;

/// Guest path of the snapshot directory.
pub const SNAPSHOT_ROOT: &str = "/snapshot";

/// Limits of one target's sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of one scan. By default 300 seconds.
    pub deadline: Duration,
    /// Cap on the plugin's memory, in bytes: the sum of all its linear memories, however many
    /// the component declares. By default 256 MiB.
    pub memory: usize,
    /// Cap on findings one target may emit. By default 20 million.
    pub max_findings: u64,
    /// Cap on bytes of findings one target may emit (sum of their strings). By default 8 GiB.
    pub max_emit_bytes: u64,
    /// Cap on files and directories the plugin holds open at once (its preopened snapshot
    /// included). Opening past it fails in the guest with a WASI error and the target gets a
    /// `plugin-error` gap. By default 256.
    pub max_descriptors: usize,
    /// Cap on host resources the plugin holds at once (descriptors, streams, pollables, ...).
    /// Past it the plugin is stopped. By default 4096.
    pub max_resources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(300),
            memory: 256 << 20,
            max_findings: 20_000_000,
            max_emit_bytes: 8 << 30,
            max_descriptors: 256,
            max_resources: 4096,
        }
    }
}

/// Everything a store holds for one plugin instance.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) emit: EmitState,
    pub(crate) fs: FsGuard,
}

impl HostState {
    /// A store state with the given WASI context, memory cap and resource caps.
    pub(crate) fn new(wasi: WasiCtx, limits: &Limits, emit: EmitState) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.max_resources);
        HostState {
            wasi,
            table,
            limiter: MemoryLimiter::new(limits.memory),
            emit,
            fs: FsGuard {
                max_descriptors: limits.max_descriptors,
                refused_at_cap: 0,
                refused_kind: None,
            },
        }
    }
}

/// What the filesystem guard refused, for the gaps.
pub(crate) struct FsGuard {
    pub(crate) max_descriptors: usize,
    /// Opens refused because the plugin held `max_descriptors` open already.
    pub(crate) refused_at_cap: u64,
    /// The first open refused because its target is not a regular file or directory: (guest
    /// path, what it is).
    pub(crate) refused_kind: Option<(String, &'static str)>,
}

/// Name of the WASI interface whose `open-at` the guard replaces (the version the linker
/// defines; guests importing an older 0.2 version are matched to it).
const FS_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replace WASI's `descriptor.open-at` with a guarded one: past the descriptor cap an open fails
/// with `quota`, and only regular files and directories are opened (a FIFO, socket or device in
/// the snapshot would block the opening thread or never end; it fails with `access`). Everything
/// else is WASI's own `open-at`, still confined to the preopened snapshot and read-only.
pub(crate) fn guard_filesystem(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance(FS_TYPES)?.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, HostState>,
         (dir, path_flags, path, oflags, flags): (
            Resource<Descriptor>,
            fs::PathFlags,
            String,
            fs::OpenFlags,
            fs::DescriptorFlags,
        )| {
            Box::new(async move {
                let r = store
                    .data_mut()
                    .guarded_open_at(dir, path_flags, path, oflags, flags)
                    .await?;
                Ok((r,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

impl HostState {
    async fn guarded_open_at(
        &mut self,
        dir: Resource<Descriptor>,
        path_flags: fs::PathFlags,
        path: String,
        oflags: fs::OpenFlags,
        flags: fs::DescriptorFlags,
    ) -> wasmtime::Result<Result<Resource<Descriptor>, fs::ErrorCode>> {
        let open = self
            .table
            .iter_mut()
            .filter(|entry| entry.is::<Descriptor>())
            .count();
        if open >= self.fs.max_descriptors {
            self.fs.refused_at_cap += 1;
            return Ok(Err(fs::ErrorCode::Quota));
        }
        // `stat-at` never blocks on what it looks at, unlike opening a FIFO for reading.
        let stat = self
            .filesystem()
            .stat_at(Resource::new_borrow(dir.rep()), path_flags, path.clone())
            .await;
        let kind = match stat {
            // Opened without following, a symlink fails by itself; followed, `stat-at` has
            // already followed it (inside the snapshot only).
            Ok(stat) => match stat.type_ {
                DescriptorType::RegularFile
                | DescriptorType::Directory
                | DescriptorType::SymbolicLink => None,
                DescriptorType::Fifo => Some("a FIFO"),
                DescriptorType::Socket => Some("a socket"),
                DescriptorType::CharacterDevice => Some("a character device"),
                DescriptorType::BlockDevice => Some("a block device"),
                // What WASI calls a FIFO is reported as `unknown` by the host side.
                DescriptorType::Unknown => Some("a special file (a FIFO or the like)"),
            },
            // Let `open-at` report what is wrong (no such file, outside the snapshot, ...).
            Err(_) => None,
        };
        if let Some(kind) = kind {
            if self.fs.refused_kind.is_none() {
                self.fs.refused_kind = Some((path, kind));
            }
            return Ok(Err(fs::ErrorCode::Access));
        }
        let mut view = self.filesystem();
        match view.open_at(dir, path_flags, path, oflags, flags).await {
            Ok(fd) => Ok(Ok(fd)),
            Err(e) => Ok(Err(view.convert_error_code(e)?)),
        }
    }
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

/// Enforces the memory cap over the sum of all the plugin's linear memories (a component may
/// declare several; each growth, creation included, adds `desired - current`), and remembers
/// whether it refused a growth, so that the trap that follows (a guest's allocation failure
/// aborts) can be classified by its root cause. Tables are capped the same way, in elements.
pub(crate) struct MemoryLimiter {
    pub(crate) cap: usize,
    /// (total before, total asked) of the refused growth, in bytes.
    pub(crate) refused: Option<(usize, usize)>,
    /// The largest total granted, in bytes.
    pub(crate) peak: usize,
    /// Bytes of all linear memories now.
    pub(crate) total: usize,
    /// Bytes of the last granted growth, taken back if the growth fails after all.
    pending: usize,
    /// Elements of all tables now.
    table_total: usize,
    table_pending: usize,
}

/// Cap on the elements of all of a plugin's tables together.
const TABLE_ELEMENTS: usize = 1 << 20;

impl MemoryLimiter {
    pub(crate) fn new(cap: usize) -> Self {
        MemoryLimiter {
            cap,
            refused: None,
            peak: 0,
            total: 0,
            pending: 0,
            table_total: 0,
            table_pending: 0,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let delta = desired.saturating_sub(current);
        let asked = self.total.saturating_add(delta);
        if asked > self.cap {
            self.refused = Some((self.total, asked));
            return Ok(false);
        }
        self.total = asked;
        self.pending = delta;
        self.peak = self.peak.max(asked);
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.total -= std::mem::take(&mut self.pending);
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let delta = desired.saturating_sub(current);
        let asked = self.table_total.saturating_add(delta);
        if asked > TABLE_ELEMENTS {
            return Ok(false);
        }
        self.table_total = asked;
        self.table_pending = delta;
        Ok(true)
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.table_total -= std::mem::take(&mut self.table_pending);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryLimiter;
    use wasmtime::ResourceLimiter;

    #[test]
    fn the_cap_is_on_the_sum_of_all_memories() {
        let mut l = MemoryLimiter::new(100);
        // One memory created at 60% of the cap, then a second one of the same size.
        assert!(l.memory_growing(0, 60, None).unwrap());
        assert!(!l.memory_growing(0, 60, None).unwrap());
        assert_eq!(l.refused, Some((60, 120)));
        // The first memory may still grow into what is left, and no further.
        assert!(l.memory_growing(60, 100, None).unwrap());
        assert!(!l.memory_growing(100, 101, None).unwrap());
        assert_eq!(l.peak, 100);
    }

    #[test]
    fn a_growth_that_fails_after_all_is_given_back() {
        let mut l = MemoryLimiter::new(100);
        assert!(l.memory_growing(0, 80, None).unwrap());
        l.memory_grow_failed(wasmtime::Error::msg("no memory"))
            .unwrap();
        assert!(l.memory_growing(0, 90, None).unwrap());
    }
}
