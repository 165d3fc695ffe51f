//! The engine: one wasmtime [`Engine`] for the process, configured for sandboxing, the thread
//! that advances its epoch (deadlines), the linker with the host imports, and the compile cache.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::{v0_3, v0_4};
use crate::cache::CompileCache;
use crate::sandbox::HostState;

/// Options of a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Directory of the compile cache. By default `None`: every run compiles plugins afresh.
    pub cache_dir: Option<PathBuf>,
    /// Interval at which the epoch advances; deadlines are accurate to about this. By default
    /// 10 ms.
    pub epoch_tick: Duration,
    /// Wall-clock budget of a plugin's `describe` call (instantiation included). By default 10
    /// seconds.
    pub describe_deadline: Duration,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            cache_dir: None,
            epoch_tick: Duration::from_millis(10),
            describe_deadline: Duration::from_secs(10),
        }
    }
}

/// The plugin runtime. Cheap to share behind an `Arc`; one per process.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) cache: Option<CompileCache>,
    pub(crate) tick: Duration,
    pub(crate) describe_deadline: Duration,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Build the engine, the linker (WASI with nothing granted, plus the contract's host
    /// interface), open the compile cache and start the epoch thread. A compile cache directory
    /// or key that others could write (or that is not the user's) is refused with a
    /// [`CacheError`](crate::CacheError) in the error chain.
    pub fn new(options: RuntimeOptions) -> wasmtime::Result<Runtime> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        crate::sandbox::guard_filesystem(&mut linker)?;
        // Outbound HTTP: every request goes through the target's grant (`egress`), and a
        // target without one is refused every request.
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        // Every contract version served: their interfaces are of different packages
        // (`demarc:provider/host@0.3.0`, `@0.4.0`), so both live in one linker.
        v0_3::Provider::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
        v0_4::Provider::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
        let cache = match options.cache_dir.as_deref() {
            Some(d) => CompileCache::open(d, &engine)?,
            None => None,
        };

        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            let tick = options.epoch_tick;
            std::thread::Builder::new()
                .name("demarc-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| wasmtime::Error::msg(format!("cannot start the epoch thread: {e}")))?
        };
        Ok(Runtime {
            engine,
            linker,
            cache,
            tick: options.epoch_tick,
            describe_deadline: options.describe_deadline,
            stop,
            ticker: Some(ticker),
        })
    }

    /// Epoch ticks that make up `d` (at least one).
    pub(crate) fn ticks(&self, d: Duration) -> u64 {
        (d.as_nanos() / self.tick.as_nanos().max(1)).max(1) as u64
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
