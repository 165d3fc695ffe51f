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

/// Load the built-ins and the configured plugin files.
pub async fn load_all(
    runtime: &Runtime,
    configured: &[(std::path::PathBuf, Option<String>)],
    catalog: &Catalog,
) -> Loaded {
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
    for (path, pinned) in configured {
        let origin = path.display().to_string();
        match load_file(runtime, path, pinned.as_deref(), catalog).await {
            Ok(p) => {
                if pinned.is_none() {
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
