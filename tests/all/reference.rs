//! `scripts/fetch-reference-data` checks every file it fetches against the pinned sha256 and
//! writes nothing unless all match. Run offline: the source is a local `file://` copy of the
//! reference data the tests themselves found.

use std::path::Path;
use std::process::Command;

use crate::{describe, reference_data, root};

/// A `file://` source holding every pinned file, copied from where the tests find them.
fn source(dir: &Path) {
    for line in reference_data::PINNED.lines() {
        let (_, path) = line.split_once("  ").unwrap();
        let from = reference_data::find(&root(), path);
        let to = dir.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

fn fetch(src: &Path, dest: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(root().join("scripts/fetch-reference-data"))
        .arg(dest)
        .env(
            "DEMARC_REFERENCE_SOURCE",
            format!("file://{}", src.display()),
        )
        .output()
        .unwrap()
}

#[test]
fn the_fetch_script_checks_every_digest_and_writes_nothing_on_a_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    source(&src);

    let dest = tmp.path().join("dest");
    let out = fetch(&src, &dest);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let dirs = [dest.clone()];
    for line in reference_data::PINNED.lines() {
        let (_, path) = line.split_once("  ").unwrap();
        reference_data::find_in(path, &dirs).unwrap_or_else(|e| panic!("{e}"));
    }

    // One changed byte in the source: refused, named with both digests, nothing written.
    let changed = "ocsf-1.8.0/dictionary.json";
    let mut bytes = std::fs::read(src.join(changed)).unwrap();
    bytes[10] ^= 1;
    std::fs::write(src.join(changed), bytes).unwrap();
    let fresh = tmp.path().join("fresh");
    let out = fetch(&src, &fresh);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = reference_data::pinned(changed).unwrap();
    assert!(
        err.contains(&format!("{changed} from file://"))
            && err.contains(&format!("not the pinned {want}")),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    let left: Vec<_> = walk(&fresh);
    assert!(left.is_empty(), "{left:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
