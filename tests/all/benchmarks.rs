//! Benchmark requirements are cited per check: the coverage documents are current, the data
//! cannot drift from the checks, and a citation the host cannot verify is dropped and said.

use std::path::{Path, PathBuf};

use crate::{demarc, describe, report, root};

/// Copy the built-in `schemas/` into `dir/schemas`.
fn copy_schemas(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &dest);
            } else {
                std::fs::copy(e.path(), dest).unwrap();
            }
        }
    }
    let out = dir.join("schemas");
    copy(&root().join("schemas"), &out);
    out
}

/// The benchmark file (path, text) written for `cloud` in `schemas`.
fn benchmark_file(schemas: &Path, cloud: &str) -> (PathBuf, String) {
    let mut found = Vec::new();
    for e in std::fs::read_dir(schemas.join("benchmarks")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        if text.contains(&format!("provider = \"{cloud}\"")) {
            found.push((p, text));
        }
    }
    assert_eq!(found.len(), 1, "one benchmark version per cloud");
    found.remove(0)
}

#[test]
fn the_coverage_documents_are_current_and_cover_every_cloud() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("coverage");
    let out = demarc(
        &[
            "frameworks",
            "coverage",
            "--out",
            generated.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", describe(&out));
    let docs = root().join("docs/coverage");
    if std::env::var_os("BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&docs);
        std::fs::create_dir_all(&docs).unwrap();
        for e in std::fs::read_dir(&generated).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), docs.join(e.file_name())).unwrap();
        }
    }
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert_eq!(
        names(&generated),
        names(&docs),
        "docs/coverage is stale: regenerate it with `demarc frameworks coverage --out docs/coverage` (or BLESS=1)"
    );
    for name in names(&generated) {
        assert!(
            std::fs::read_to_string(generated.join(&name)).unwrap()
                == std::fs::read_to_string(docs.join(&name)).unwrap(),
            "docs/coverage/{name} is stale: regenerate it with `demarc frameworks coverage --out docs/coverage` (or BLESS=1)"
        );
    }
    // One benchmark version per cloud, each with requirements tested by checks.
    let schemas = root().join("schemas");
    for cloud in ["aws", "azure", "gcp"] {
        let (path, _) = benchmark_file(&schemas, cloud);
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let doc = std::fs::read_to_string(generated.join(format!("{id}.md"))).unwrap();
        assert!(
            doc.lines().any(|l| l.contains(&format!("`{cloud}-"))),
            "{id}: no {cloud} check tests any requirement"
        );
    }
    let list = demarc(&["frameworks", "list"], tmp.path());
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("cited per check") && list.contains("crosswalked per control"));
}

#[test]
fn the_data_cannot_drift_from_the_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let schemas = copy_schemas(tmp.path());
    let (path, text) = benchmark_file(&schemas, "aws");
    // Drop the reason of the first automated requirement that no check tests.
    let start = text
        .find("\nnot_covered = ")
        .expect("the AWS benchmark has a requirement no check tests");
    let end = text[start + 1..].find('\n').unwrap() + start + 1;
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let out = demarc(
        &[
            "frameworks",
            "coverage",
            "--schemas",
            schemas.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is automated but no check tests it; give a not_covered reason"),
        "{err}"
    );
}

#[test]
fn a_citation_the_host_cannot_verify_is_dropped_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let schemas = copy_schemas(tmp.path());
    let (path, text) = benchmark_file(&schemas, "aws");
    // The AWS benchmark now claims to be Azure's: no AWS check may cite it.
    std::fs::write(
        &path,
        text.replacen("provider = \"aws\"", "provider = \"azure\"", 1),
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--schemas",
            schemas.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let dropped: Vec<String> = crate::gaps(&r)
        .iter()
        .filter(|g| g["kind"] == "plugin-load")
        .map(|g| g["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        dropped
            .iter()
            .any(|m| m.contains("not for this plugin's provider: the citation is dropped")),
        "{dropped:#?}"
    );
    // No AWS check keeps a citation of it.
    for p in r["run"]["plugins"].as_array().unwrap() {
        if p["name"] == "aws" {
            for c in p["checks"].as_array().unwrap() {
                assert!(c.get("requirements").is_none(), "{c}");
            }
        }
    }
}
