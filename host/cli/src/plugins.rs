//! The plugins of a run: the built-in ones compiled from `plugins/*` into this binary, plus any
//! configured `[[plugin]]` files, each loaded, verified and described by the runtime.

use std::path::Path;
use std::sync::Arc;

use demarc_core::Catalog;
use demarc_runtime::{LoadError, Plugin, Runtime};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}

/// The loaded plugins, and the errors of those that failed.
pub struct Loaded {
    /// Plugins that loaded, in order: built-ins first, then configured ones.
    pub plugins: Vec<Arc<Plugin>>,
    /// Plugins that did not load, with why.
    pub failed: Vec<(String, LoadError)>,
}

/// A configured plugin file to load.
pub struct Configured {
    /// Its path.
    pub path: std::path::PathBuf,
    /// The sha256 the configuration pins, if any.
    pub pinned: Option<String>,
    /// The sha256 of the bytes whose signature and lock entry were checked before loading: the
    /// bytes loaded must still have it.
    pub checked: String,
}

/// Load the built-ins and the configured plugin files.
pub async fn load_all(runtime: &Runtime, configured: &[Configured], catalog: &Catalog) -> Loaded {
    let mut loaded = Loaded {
        plugins: Vec::new(),
        failed: Vec::new(),
    };
    for (name, bytes) in builtin::BUILTIN {
        let origin = format!("builtin:{name}");
        match runtime.load(bytes, &origin, None, catalog).await {
            Ok(p) => loaded.plugins.push(Arc::new(p)),
            Err(e) => loaded.failed.push((origin, e)),
        }
    }
    for c in configured {
        let origin = c.path.display().to_string();
        let pin = c.pinned.as_deref().unwrap_or(&c.checked);
        match load_file(runtime, &c.path, Some(pin), catalog).await {
            Ok(p) => {
                if c.pinned.is_none() {
                    tracing::warn!(
                        plugin = %origin,
                        sha256 = %p.sha256,
                        "plugin `{origin}` is not pinned by sha256 and was loaded because of \
                         --allow-unpinned; its sha256 is {}",
                        p.sha256
                    );
                }
                // A configured plugin replaces a built-in one of the same name.
                loaded.plugins.retain(|q| q.name != p.name);
                loaded.plugins.push(Arc::new(p));
            }
            Err(e) => loaded.failed.push((origin, e)),
        }
    }
    loaded
}

/// Load one plugin file.
pub async fn load_file(
    runtime: &Runtime,
    path: &Path,
    pinned: Option<&str>,
    catalog: &Catalog,
) -> Result<Plugin, LoadError> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError::Compile {
        origin: origin.clone(),
        message: format!("cannot read: {e}"),
    })?;
    runtime.load(&bytes, &origin, pinned, catalog).await
}

/// sha256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Names of the built-in plugins.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    builtin::BUILTIN.iter().map(|(n, _)| *n)
}

/// The bytes of a built-in plugin.
pub fn builtin_bytes(name: &str) -> Option<&'static [u8]> {
    builtin::BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
}
