//! The official reference data the format tests validate against (the SARIF 2.1.0 schema, the
//! OCSF 1.8.0 sources, the OSCAL assessment-results schema), found in a documented order and
//! checked against the sha256 pinned in `tests/reference-data.sha256`:
//!
//! 1. the directory named by `DEMARC_REFERENCE_DATA`, when it is set (and then only there);
//! 2. `../shared/data` next to the repository;
//! 3. `target/reference-data`, where `scripts/fetch-reference-data` puts the files it downloads
//!    from their publishers.
//!
//! A file that is in none of them, or whose digest differs from the pinned one, fails the test
//! with a message naming `scripts/fetch-reference-data`: a format test never passes without the
//! official files. Shared by the report crate's unit tests and the integration tests.

use std::path::{Path, PathBuf};

/// The pinned files, as `sha256sum` writes them: `<sha256>  <path>` per line.
pub const PINNED: &str = include_str!("reference-data.sha256");

/// The variable that names a directory of reference data.
pub const VAR: &str = "DEMARC_REFERENCE_DATA";

/// The pinned sha256 of a reference file, if it is pinned.
pub fn pinned(path: &str) -> Option<&'static str> {
    PINNED
        .lines()
        .filter_map(|l| l.split_once("  "))
        .find(|(_, p)| *p == path)
        .map(|(d, _)| d)
}

/// The directories to look in, in order: `$DEMARC_REFERENCE_DATA` alone when it is set,
/// otherwise `../shared/data` and `target/reference-data` of the repository at `root`.
pub fn candidates(root: &Path, var: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    match var.filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            root.join("../shared/data"),
            root.join("target/reference-data"),
        ],
    }
}

/// Find the pinned reference file `path` in `dirs` and check its digest.
pub fn find_in(path: &str, dirs: &[PathBuf]) -> Result<PathBuf, String> {
    let Some(want) = pinned(path) else {
        return Err(format!(
            "reference file `{path}` is not pinned in tests/reference-data.sha256: add its \
             sha256 there (and its source to scripts/fetch-reference-data)"
        ));
    };
    let tried: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let Some(file) = dirs.iter().map(|d| d.join(path)).find(|f| f.is_file()) else {
        return Err(format!(
            "reference file `{path}` was found in none of {} (set {VAR} to a directory that \
             holds it); run `scripts/fetch-reference-data` to download the pinned official \
             files into target/reference-data",
            tried.join(", ")
        ));
    };
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let got = sha256_hex(&bytes);
    if got != want {
        return Err(format!(
            "reference file {} has sha256 {got}, not the pinned {want}: it is not the official \
             file; run `scripts/fetch-reference-data` to download the pinned one",
            file.display()
        ));
    }
    Ok(file)
}

/// Find the pinned reference file `path` for the repository at `root`; panics naming
/// `scripts/fetch-reference-data` when it cannot.
pub fn find(root: &Path, path: &str) -> PathBuf {
    let dirs = candidates(root, std::env::var_os(VAR).as_deref());
    find_in(path, &dirs).unwrap_or_else(|e| panic!("{e}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_list_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for line in PINNED.lines() {
            let (d, p) = line.split_once("  ").expect("`<sha256>  <path>`");
            assert!(
                d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()),
                "{line}"
            );
            assert!(!p.starts_with('/') && !p.contains(".."), "{line}");
            assert!(seen.insert(p), "{p} twice");
        }
        assert!(pinned("sarif/sarif-schema-2.1.0.json").is_some());
    }

    #[test]
    fn a_missing_file_fails_naming_the_fetch_script_and_a_wrong_one_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = "sarif/sarif-schema-2.1.0.json";
        let e = find_in(path, &[tmp.path().to_path_buf()]).unwrap_err();
        assert!(e.contains("scripts/fetch-reference-data"), "{e}");
        assert!(e.contains(&tmp.path().display().to_string()), "{e}");

        std::fs::create_dir_all(tmp.path().join("sarif")).unwrap();
        std::fs::write(tmp.path().join(path), "{}").unwrap();
        let e = find_in(path, &[tmp.path().to_path_buf()]).unwrap_err();
        assert!(
            e.contains("not the pinned") && e.contains("scripts/fetch-reference-data"),
            "{e}"
        );

        let e = find_in("sarif/other.json", &[tmp.path().to_path_buf()]).unwrap_err();
        assert!(e.contains("is not pinned"), "{e}");
    }

    #[test]
    fn the_variable_replaces_the_default_places() {
        let root = Path::new("/repo");
        assert_eq!(
            candidates(root, None),
            [
                root.join("../shared/data"),
                root.join("target/reference-data")
            ]
        );
        assert_eq!(
            candidates(root, Some(std::ffi::OsStr::new("/data"))),
            [PathBuf::from("/data")]
        );
    }
}
