//! Builds the first-party plugins (`plugins/*`) for `wasm32-wasip2` and embeds them in the
//! `demarc` binary as its built-in plugins.
//!
//! The nested cargo uses its own target directory (`<target>/wasm-plugins`) so that it never
//! waits on the lock of the build that runs this script.

use std::path::{Path, PathBuf};
use std::process::Command;

/// First-party plugins embedded as built-ins: (name, package).
const PLUGINS: &[(&str, &str)] = &[
    ("aws", "demarc-plugin-aws"),
    ("azure", "demarc-plugin-azure"),
    ("gcp", "demarc-plugin-gcp"),
    ("import-aws", "demarc-plugin-import-aws"),
    ("import-azure", "demarc-plugin-import-azure"),
    ("import-gcp", "demarc-plugin-import-gcp"),
];
/// Plugins built for the integration tests only, found through `BUILT_WASM_DIR`.
const TEST_PLUGINS: &[&str] = &["demarc-test-hostile", "demarc-test-legacy"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../..").canonicalize().unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out (or with a triple in between).
    let target_dir = out
        .ancestors()
        .find(|p| p.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    let wasm_target_dir = target_dir.join("wasm-plugins");

    for dir in [
        "plugins",
        "sdk",
        "schemas/benchmarks",
        "schemas/mappings",
        "tests/plugins",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    // The workspace manifest holds the plugins' build profile and dependency versions.
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }

    embed_benchmarks(&root.join("schemas/benchmarks"), &out);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--profile", "plugin", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&wasm_target_dir);
    for package in PLUGINS
        .iter()
        .map(|(_, p)| *p)
        .chain(TEST_PLUGINS.iter().copied())
    {
        cmd.args(["-p", package]);
    }
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // Reproducible plugins: the digest of a plugin must not depend on where the repository or
    // the cargo home sits, since plugins are pinned and reported by sha256.
    let mut flags = vec![format!("--remap-path-prefix={}=/demarc", root.display())];
    if let Some(home) = std::env::var_os("CARGO_HOME").or_else(|| {
        std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo").into())
    }) {
        flags.push(format!(
            "--remap-path-prefix={}=/cargo",
            std::path::Path::new(&home).display()
        ));
    }
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    let status = cmd.status().expect("cannot run cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
    );

    let built_dir = wasm_target_dir.join("wasm32-wasip2/plugin");
    println!("cargo:rustc-env=BUILT_WASM_DIR={}", built_dir.display());
    let mut embed = String::new();
    for (name, package) in PLUGINS {
        let file = format!("{}.wasm", package.replace('-', "_"));
        let built = wasm_target_dir.join("wasm32-wasip2/plugin").join(&file);
        let dest = out.join(&file);
        std::fs::copy(&built, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", built.display()));
        embed.push_str(&format!(
            "    (\"{name}\", include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\"))),\n"
        ));
    }
    std::fs::write(
        out.join("builtin_plugins.rs"),
        format!("/// Built-in plugins: (name, WebAssembly component).\npub const BUILTIN: &[(&str, &[u8])] = &[\n{embed}];\n"),
    )
    .unwrap();
}

/// Every `schemas/benchmarks/*.toml`, copied into `OUT_DIR` and listed in `builtin_benchmarks.rs`
/// as (file name, text), so a new benchmark version needs no code change.
fn embed_benchmarks(dir: &Path, out: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let bench_out = out.join("benchmarks");
    std::fs::create_dir_all(&bench_out).unwrap();
    let mut embed = String::new();
    for name in &names {
        std::fs::copy(dir.join(name), bench_out.join(name))
            .unwrap_or_else(|e| panic!("copy benchmark {name}: {e}"));
        embed.push_str(&format!(
            "    (\"benchmarks/{name}\", include_str!(concat!(env!(\"OUT_DIR\"), \"/benchmarks/{name}\"))),\n"
        ));
    }
    std::fs::write(
        out.join("builtin_benchmarks.rs"),
        format!("/// Built-in benchmark versions: (file under `schemas/`, text).\npub const BENCHMARKS: &[(&str, &str)] = &[\n{embed}];\n"),
    )
    .unwrap();
}
