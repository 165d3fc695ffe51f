//! The sandbox of one target: its limits, its store state and the WASI context that grants
//! nothing but a read-only view of the target's snapshot directory.

use std::path::Path;
use std::time::Duration;

use rand::SeedableRng as _;
use sha2::Digest as _;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable, Val};
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
    pub(crate) http: wasmtime_wasi_http::WasiHttpCtx,
    pub(crate) egress: crate::egress::Egress,
}

impl HostState {
    /// A store state with the given WASI context, memory cap and resource caps, and no
    /// outbound HTTP granted.
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
                writes: Refusals::default(),
                outside: Refusals::default(),
                network: Refusals::default(),
            },
            http: wasmtime_wasi_http::WasiHttpCtx::new(),
            egress: crate::egress::Egress::new(None),
        }
    }
}

impl wasmtime_wasi_http::WasiHttpView for HostState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
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
    /// Attempts to change the read-only snapshot (open for writing, create, delete, rename, link).
    pub(crate) writes: Refusals,
    /// Opens refused because the path leads out of the snapshot (`..`, a symbolic link).
    pub(crate) outside: Refusals,
    /// Attempts to use the network (create a socket, look up a name).
    pub(crate) network: Refusals,
}

/// Attempts of one kind the sandbox refused: how many, and the first one.
#[derive(Default)]
pub(crate) struct Refusals {
    pub(crate) count: u64,
    /// What the first attempt was, e.g. "create-directory-at `sub`".
    pub(crate) first: Option<String>,
}

impl Refusals {
    fn record(&mut self, what: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// What the sandbox tells the guest of the world, the same on every run so that a scan is
/// deterministic: the wall clock always reads the scan's reference time, the monotonic clock
/// always reads zero (time still passes for sleeps and timeouts, and the deadline is the
/// host's), and the random sources are seeded from the tenant and target ids.
#[derive(Debug, Clone)]
pub(crate) struct GuestWorld {
    /// What the wall clock reads: time since the Unix epoch.
    pub(crate) wall_clock: Duration,
    /// Seed of the random sources.
    pub(crate) seed: [u8; 32],
    /// Environment variables of the guest: only those that tell a live target's plugin what it
    /// was granted (see [`live_env`]); none for a snapshot target.
    pub(crate) env: Vec<(String, String)>,
}

/// The environment that tells a plugin it scans a live target: `DEMARC_LIVE_ENDPOINTS`, the
/// granted endpoints (`scheme://host:port`, space-separated), and `DEMARC_LIVE_REGIONS`, the
/// target's regions (space-separated; empty when it names endpoints only). Nothing else of
/// the host's environment, and never a credential, reaches a plugin.
pub(crate) fn live_env(grant: &crate::Grant) -> Vec<(String, String)> {
    let endpoints: Vec<String> = grant.endpoints.iter().map(|e| e.url()).collect();
    vec![
        ("DEMARC_LIVE_ENDPOINTS".to_string(), endpoints.join(" ")),
        ("DEMARC_LIVE_REGIONS".to_string(), grant.regions.join(" ")),
    ]
}

impl GuestWorld {
    /// The world of one target: the clock at `now` (RFC 3339; the Unix epoch when it does not
    /// parse), random seeded from the tenant and target ids.
    pub(crate) fn for_target(tenant: &str, target: &str, now: &str) -> GuestWorld {
        let wall_clock =
            time::OffsetDateTime::parse(now, &time::format_description::well_known::Rfc3339)
                .ok()
                .and_then(|t| u64::try_from(t.unix_timestamp_nanos()).ok())
                .map(Duration::from_nanos)
                .unwrap_or_default();
        let mut h = sha2::Sha256::new();
        for part in ["demarc sandbox random", tenant, target] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        GuestWorld {
            wall_clock,
            seed: h.finalize().into(),
            env: Vec::new(),
        }
    }
}

/// A wall clock stopped at one instant.
struct StoppedWallClock(Duration);

impl wasmtime_wasi::HostWallClock for StoppedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// A monotonic clock that always reads zero.
struct StoppedMonotonicClock;

impl wasmtime_wasi::HostMonotonicClock for StoppedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
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
    // Every other way to change the snapshot: refused as WASI would refuse it (the snapshot is
    // preopened read-only), and remembered for the gap.
    for func in [
        "create-directory-at",
        "unlink-file-at",
        "remove-directory-at",
        "rename-at",
        "symlink-at",
        "link-at",
    ] {
        refuse(
            linker,
            FS_TYPES,
            &format!("[method]descriptor.{func}"),
            "read-only",
            |fs| &mut fs.writes,
        )?;
    }
    // The network: no socket is ever created and no name looked up (WASI's own checks deny
    // them too); each attempt is remembered for the gap.
    for (interface, func) in [
        ("wasi:sockets/tcp-create-socket@0.2.12", "create-tcp-socket"),
        ("wasi:sockets/udp-create-socket@0.2.12", "create-udp-socket"),
        ("wasi:sockets/ip-name-lookup@0.2.12", "resolve-addresses"),
    ] {
        refuse(linker, interface, func, "access-denied", |fs| {
            &mut fs.network
        })?;
    }
    linker.allow_shadowing(false);
    Ok(())
}

/// Define `interface`.`func` (any signature returning `result<_, error-code>`) to fail with
/// `error` and record the attempt, named by the function and its last string argument.
fn refuse(
    linker: &mut Linker<HostState>,
    interface: &str,
    func: &str,
    error: &'static str,
    refusals: fn(&mut FsGuard) -> &mut Refusals,
) -> wasmtime::Result<()> {
    let name = func
        .strip_prefix("[method]descriptor.")
        .unwrap_or(func)
        .to_string();
    linker.instance(interface)?.func_new_async(
        func,
        move |mut store: StoreContextMut<'_, HostState>,
              _ty,
              params: &[Val],
              results: &mut [Val]| {
            let arg = params.iter().rev().find_map(|v| match v {
                Val::String(s) => Some(crate::host::truncate_id(s)),
                _ => None,
            });
            refusals(&mut store.data_mut().fs).record(|| match arg {
                Some(arg) => format!("{name} `{arg}`"),
                None => name.clone(),
            });
            results[0] = Val::Result(Err(Some(Box::new(Val::Enum(error.to_string())))));
            // The borrowed handles (the descriptor, the network) end with the call.
            let borrows: Vec<_> = params
                .iter()
                .filter_map(|v| match v {
                    Val::Resource(r) if !r.owned() => Some(*r),
                    _ => None,
                })
                .collect();
            Box::new(async move {
                for r in borrows {
                    r.resource_drop_async(&mut store).await?;
                }
                Ok(())
            })
        },
    )
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
        let writes = oflags
            .intersects(fs::OpenFlags::CREATE | fs::OpenFlags::EXCLUSIVE | fs::OpenFlags::TRUNCATE)
            || flags.intersects(fs::DescriptorFlags::WRITE | fs::DescriptorFlags::MUTATE_DIRECTORY);
        if writes {
            self.fs
                .writes
                .record(|| format!("open `{}` for writing", crate::host::truncate_id(&path)));
            return Ok(Err(fs::ErrorCode::ReadOnly));
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
            // Let `open-at` report what is wrong (no such file, ...), but a path that leads out
            // of the snapshot is refused here and remembered.
            Err(e) => {
                let code = self.filesystem().convert_error_code(e)?;
                if code == fs::ErrorCode::NotPermitted {
                    let link = self
                        .filesystem()
                        .stat_at(
                            Resource::new_borrow(dir.rep()),
                            fs::PathFlags::empty(),
                            path.clone(),
                        )
                        .await
                        .is_ok_and(|s| s.type_ == DescriptorType::SymbolicLink);
                    let how = if link {
                        "a symbolic link out of it"
                    } else {
                        "a path out of it"
                    };
                    self.fs
                        .outside
                        .record(|| format!("`{}` ({how})", crate::host::truncate_id(&path)));
                    return Ok(Err(code));
                }
                None
            }
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

/// Build the WASI context of a target: no environment but `world.env`, no arguments, no
/// sockets, no name lookups, no stdio; only `snapshot` (when given) preopened read-only at [`SNAPSHOT_ROOT`];
/// clocks and random sources as `world` says. Its files are read on the plugin's own thread
/// when [`crate::localfs::reads_never_hang`] says that is safe, and handed to a blocking
/// thread (under the wall-clock deadline) otherwise.
pub(crate) fn wasi_ctx(snapshot: Option<&Path>, world: &GuestWorld) -> wasmtime::Result<WasiCtx> {
    let mut b = WasiCtx::builder();
    if let Some(dir) = snapshot {
        let on_thread = crate::localfs::reads_never_hang(dir);
        tracing::debug!(on_thread, snapshot = %dir.display(), "snapshot file operations");
        b.allow_blocking_current_thread(on_thread);
    }
    let rng = |salt: u8| {
        let mut seed = world.seed;
        seed[0] ^= salt;
        rand::rngs::StdRng::from_seed(seed)
    };
    b.wall_clock(StoppedWallClock(world.wall_clock))
        .monotonic_clock(StoppedMonotonicClock)
        .secure_random(rng(1))
        .insecure_random(rng(2))
        .insecure_random_seed(u128::from_le_bytes(
            world.seed[16..].try_into().expect("16 bytes"),
        ));
    b.allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    for (key, value) in &world.env {
        b.env(key, value);
    }
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
    fn a_live_target_is_told_its_endpoints_and_regions_and_nothing_else() {
        let grant = crate::Grant {
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            ..crate::Grant::new(vec![
                crate::Endpoint::parse("http://127.0.0.1:5000").unwrap(),
                crate::Endpoint::parse("https://ec2.eu-west-1.amazonaws.com").unwrap(),
            ])
        };
        assert_eq!(
            super::live_env(&grant),
            [
                (
                    "DEMARC_LIVE_ENDPOINTS".to_string(),
                    "http://127.0.0.1:5000 https://ec2.eu-west-1.amazonaws.com:443".to_string()
                ),
                (
                    "DEMARC_LIVE_REGIONS".to_string(),
                    "eu-west-1 us-east-1".to_string()
                ),
            ]
        );
        let world = super::GuestWorld::for_target("t", "x", "2026-01-01T00:00:00Z");
        assert!(
            world.env.is_empty(),
            "a snapshot target gets no environment"
        );
    }

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
