//! The compile cache: compiled plugin code keyed by the sha256 of the plugin's WebAssembly and
//! the engine's compatibility hash, so a plugin is compiled once per engine build.
//!
//! Only code this host compiled itself is ever loaded from the cache; precompiled code shipped
//! by plugin authors is never accepted. The cache directory is created private to the user.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

pub(crate) struct CompileCache {
    dir: PathBuf,
    engine_hash: String,
}

impl CompileCache {
    pub(crate) fn new(dir: &Path, engine: &Engine) -> Self {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        CompileCache {
            dir: dir.to_path_buf(),
            engine_hash: format!("{:016x}", h.finish()),
        }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}.cwasm", self.engine_hash))
    }

    /// The cached component for `sha256`, if present and loadable.
    pub(crate) fn get(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file was written by `put` below from a component this engine compiled,
        // under a name that binds it to the wasm digest and this engine's compatibility hash;
        // the directory is private to the user.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring unusable compile cache entry: {e}");
                None
            }
        }
    }

    /// Store a compiled component; failures only cost a recompile next time.
    pub(crate) fn put(&self, sha256: &str, component: &Component) {
        let result = (|| -> anyhow::Result<()> {
            create_private_dir(&self.dir)?;
            let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
            let tmp = self
                .dir
                .join(format!(".{sha256}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, self.path(sha256))?;
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!(dir = %self.dir.display(), "could not write the compile cache: {e}");
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
