//! Bad input — truncated JSON, the wrong cloud's export, an empty file, a missing file, a
//! malformed item — gives an error naming the file (and the position where the parser knows
//! it), is recorded as a gap, the scan exits 3, and every other target keeps its findings.

use crate::{demarc, describe, gaps, report, root, write_config};

/// A configuration with a good target first (findings are deduplicated by id in plan order,
/// and some fixtures repeat its resources) and then one target per fixture.
fn config(dir: &std::path::Path, fixtures: &[(&str, &str)]) -> std::path::PathBuf {
    let fx = root().join("tests/fixtures/aws");
    // The good tenant has a copy of its own: the snapshots of two tenants may not overlap.
    let good = dir.join("good");
    std::fs::create_dir_all(&good).unwrap();
    for f in ["minimal.json", "credential-report.csv"] {
        std::fs::copy(fx.join(f), good.join(f)).unwrap();
    }
    let mut text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n\n[[tenant]]\nid = \"good\"\n\n[[tenant.target]]\nid = \"good-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\ninputs = [\"minimal.json\", \"credential-report.csv\"]\n\n[[tenant]]\nid = \"acme\"\n",
        good.display()
    );
    for (id, file) in fixtures {
        text.push_str(&format!(
            "\n[[tenant.target]]\nid = \"{id}\"\nprovider = \"aws\"\nsnapshot = \"{}\"\ninputs = [\"{file}\"]\n",
            fx.display()
        ));
    }
    write_config(dir, &text)
}

fn scan(fixtures: &[(&str, &str)]) -> (std::process::Output, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), fixtures);
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let r = report(&out_dir);
    crate::schema::assert_valid(&r);
    (out, r)
}

/// The gap of `target` about its input. Every fixture is in the good target's account, under
/// another tenant, so a target that reports findings also has an `account-clash` gap: that one
/// is left out here.
fn gap_of<'a>(gaps: &'a [serde_json::Value], target: &str) -> &'a serde_json::Value {
    let mine: Vec<_> = gaps
        .iter()
        .filter(|g| g["target"] == target && g["kind"] != "account-clash")
        .collect();
    assert_eq!(mine.len(), 1, "gaps of {target}: {mine:#?}");
    mine[0]
}

fn assert_good_target_intact(r: &serde_json::Value) {
    let good: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "good-aws")
        .collect();
    assert!(
        good.iter().any(|f| f["status"] == "fail"
            && f["check"]["id"] == "aws-ec2-sg-admin-port-open"
            && f["resource"]["id"]
                == "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0d3297cc5de50b97e"),
        "the good target lost its findings"
    );
    assert!(
        good.iter()
            .any(|f| f["check"]["id"] == "aws-iam-user-console-mfa" && f["status"] == "fail")
    );
}

#[test]
fn every_bad_input_is_a_named_gap_and_the_rest_of_the_scan_goes_on() {
    let (out, r) = scan(&[
        ("truncated", "truncated.json"),
        ("azure", "azure-resource-graph.json"),
        ("empty", "empty.json"),
        ("missing", "no-such-export.json"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("coverage: INCOMPLETE"), "{stdout}");
    let gaps = gaps(&r);
    // The fixtures share the good tenant's account: a clash the report names.
    assert!(
        gaps.iter()
            .any(|g| g["kind"] == "account-clash" && g["tenant"] == "acme"),
        "{gaps:#?}"
    );

    let g = gap_of(&gaps, "truncated");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "truncated.json");
    assert!(g["line"].as_u64().unwrap() > 1, "{g:#}");
    // The position is stated once: in file, line and column, not again in the message; the
    // summary on standard output puts it in front of the message, once.
    let message = g["message"].as_str().unwrap();
    let shown = format!("truncated.json:{}:{}: {message}", g["line"], g["column"]);
    assert_eq!(stdout.matches(&shown).count(), 1, "{stdout}");
    assert!(!message.contains("truncated.json"), "{g:#}");
    assert!(
        !message.contains(&format!(":{}:", g["line"])) && !message.contains(" at line "),
        "{g:#}"
    );

    let g = gap_of(&gaps, "azure");
    assert_eq!(g["kind"], "unsupported-format", "{g:#}");
    assert_eq!(g["file"], "azure-resource-graph.json");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["target"] != "azure")
    );

    let g = gap_of(&gaps, "empty");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "empty.json");
    assert!(g["message"].as_str().unwrap().contains("empty"), "{g:#}");

    // The missing file, and the target left with nothing to read.
    let mine: Vec<_> = gaps.iter().filter(|g| g["target"] == "missing").collect();
    assert_eq!(mine.len(), 2, "{mine:#?}");
    assert!(
        mine.iter().all(|g| g["kind"] == "missing-input"),
        "{mine:#?}"
    );
    assert!(
        mine.iter().any(|g| g["file"] == "no-such-export.json"
            && g["message"]
                .as_str()
                .unwrap()
                .contains("no such file in the snapshot")),
        "{mine:#?}"
    );
    assert!(
        mine.iter().any(|g| g["message"]
            .as_str()
            .unwrap()
            .contains("target `missing` has no readable input")),
        "{mine:#?}"
    );

    assert_good_target_intact(&r);
    // The run records what it read, with digests, and what it could not.
    let inputs = r["run"]["inputs"].as_array().unwrap();
    let missing = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("no-such-export.json"))
        .unwrap();
    assert!(missing.get("sha256").is_none());
    let minimal = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("minimal.json"))
        .unwrap();
    assert_eq!(minimal["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_malformed_item_is_a_gap_at_its_line_and_its_neighbours_still_scan() {
    let (out, r) = scan(&[("bad-item", "bad-item.ndjson")]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let gaps = gaps(&r);
    let g = gap_of(&gaps, "bad-item");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "bad-item.ndjson");
    assert_eq!(g["line"], 2, "{g:#}");
    let findings: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "bad-item")
        .collect();
    let failing = |check: &str, id: &str| {
        findings.iter().any(|f| {
            f["check"]["id"] == check && f["resource"]["id"] == id && f["status"] == "fail"
        })
    };
    assert!(failing(
        "aws-ec2-sg-admin-port-open",
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-07bd0a5b248c47f07"
    ));
    assert!(failing(
        "aws-ebs-volume-encrypted",
        "arn:aws:ec2:us-east-1:123456789012:volume/vol-0e65c89a09a8b1f8c"
    ));
    assert!(!findings.iter().any(|f| {
        f["resource"]["id"]
            .as_str()
            .unwrap()
            .contains("sg-0903d9541735b249b")
    }));
    assert_good_target_intact(&r);
}

#[test]
fn a_missing_snapshot_directory_is_a_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "[[tenant]]\nid = \"acme\"\n[[tenant.target]]\nid = \"gone\"\nprovider = \"aws\"\nsnapshot = \"nowhere\"\n",
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let gaps = gaps(&r);
    let g = gap_of(&gaps, "gone");
    assert_eq!(g["kind"], "missing-input", "{g:#}");
    assert!(g["message"].as_str().unwrap().contains("nowhere"), "{g:#}");
}

/// Run `demarc scan` on `cfg` into `out_dir`, failing the test (and killing the run) when it
/// has not finished after `secs` seconds.
fn scan_within(
    cfg: &std::path::Path,
    out_dir: &std::path::Path,
    secs: u64,
) -> std::process::Output {
    let _cpu = crate::shared_cpu();
    let cwd = cfg.parent().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["scan", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out_dir)
        .current_dir(cwd)
        .env("DEMARC_CACHE_DIR", cwd.join(".cache"))
        .env_remove("RUST_LOG")
        .env_remove("BUILT_WASM_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run demarc");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("demarc scan did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A snapshot directory under `dir` holding a copy of the small AWS fixture.
fn aws_snapshot(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let snap = dir.join(name);
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/aws/minimal.json"),
        snap.join("minimal.json"),
    )
    .unwrap();
    snap
}

fn target(id: &str, snapshot: &std::path::Path, inputs: Option<&[&str]>) -> String {
    let mut t = format!(
        "\n[[tenant.target]]\nid = \"{id}\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n",
        snapshot.display()
    );
    if let Some(list) = inputs {
        let quoted: Vec<String> = list.iter().map(|i| format!("\"{i}\"")).collect();
        t.push_str(&format!("inputs = [{}]\n", quoted.join(", ")));
    }
    t
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn symlinks_out_of_a_snapshot_are_reported_and_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    // Another tenant's export, which a link in acme's snapshot points at.
    let other = aws_snapshot(tmp.path(), "other");
    let listed = aws_snapshot(tmp.path(), "listed");
    std::os::unix::fs::symlink("/etc/passwd", listed.join("passwd.json")).unwrap();
    std::os::unix::fs::symlink(other.join("minimal.json"), listed.join("theirs.json")).unwrap();
    let named = aws_snapshot(tmp.path(), "named");
    std::os::unix::fs::symlink("/etc/passwd", named.join("passwd.json")).unwrap();
    // A link inside the snapshot, through a linked directory.
    std::os::unix::fs::symlink(&other, named.join("sub")).unwrap();
    let text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"acme\"\n{}{}[[tenant]]\nid = \"other\"\n{}",
        target("listed", &listed, None),
        target(
            "named",
            &named,
            Some(&["minimal.json", "passwd.json", "sub/minimal.json"])
        ),
        target("other-aws", &other, None),
    );
    let cfg = write_config(tmp.path(), &text);
    let out_dir = tmp.path().join("out");
    let out = scan_within(&cfg, &out_dir, 120);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    crate::schema::assert_valid(&r);
    let gaps = gaps(&r);
    let refused = |target: &str, file: &str| {
        gaps.iter().find(|g| {
            g["target"] == target
                && g["kind"] == "missing-input"
                && g["file"] == file
                && g["message"]
                    .as_str()
                    .unwrap()
                    .contains("is a symbolic link")
        })
    };
    assert!(refused("listed", "passwd.json").is_some(), "{gaps:#?}");
    assert!(refused("listed", "theirs.json").is_some(), "{gaps:#?}");
    assert!(refused("named", "passwd.json").is_some(), "{gaps:#?}");
    let through = refused("named", "sub/minimal.json").expect("the linked directory is a gap");
    assert!(
        through["message"].as_str().unwrap().contains("`sub`"),
        "{through:#}"
    );
    // The links are recorded without a digest; nothing of /etc/passwd is in the report.
    let passwd = sha256_hex(&std::fs::read("/etc/passwd").unwrap());
    let text = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(
        !text.contains(&passwd),
        "the digest of /etc/passwd is in the report"
    );
    let inputs = r["run"]["inputs"].as_array().unwrap();
    for (target, file) in [
        ("listed", "passwd.json"),
        ("listed", "theirs.json"),
        ("named", "passwd.json"),
        ("named", "sub/minimal.json"),
    ] {
        let rec = inputs
            .iter()
            .find(|i| i["target"] == target && i["path"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("no run.inputs record of {target}/{file}: {inputs:#?}"));
        assert!(rec.get("sha256").is_none(), "{rec:#}");
        assert!(rec.get("bytes").is_none(), "{rec:#}");
    }
    // The regular files beside the links were read and scanned.
    for target in ["listed", "named", "other-aws"] {
        let rec = inputs
            .iter()
            .find(|i| {
                i["target"] == target && i["path"].as_str().unwrap().ends_with("minimal.json")
            })
            .unwrap();
        assert_eq!(rec["sha256"].as_str().unwrap().len(), 64, "{rec:#}");
        assert_scanned(&r, target);
    }
    // A target that lost an input is partly covered, not complete.
    let listed = r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "listed")
        .unwrap();
    assert_eq!(listed["outcome"], "partial", "{listed:#}");
}

/// The plugin ran on `target` and evaluated resources.
fn assert_scanned(r: &serde_json::Value, target: &str) {
    let rec = r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("{target} was not scanned: {:#}", r["run"]["targets"]));
    assert!(rec["resources"].as_u64().unwrap() > 0, "{rec:#}");
}

#[test]
fn a_fifo_or_a_link_to_dev_zero_is_refused_and_the_scan_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = aws_snapshot(tmp.path(), "snap");
    let fifo = std::ffi::CString::new(snap.join("fifo.json").to_str().unwrap()).unwrap();
    // SAFETY: `fifo` is a NUL-terminated path alive for the call.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", snap.join("zero.json")).unwrap();
    let listed = aws_snapshot(tmp.path(), "listed");
    // SAFETY: as above.
    let fifo2 = std::ffi::CString::new(listed.join("fifo.json").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo2.as_ptr(), 0o644) }, 0);
    let text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"acme\"\n{}{}",
        target(
            "named",
            &snap,
            Some(&["fifo.json", "zero.json", "minimal.json"])
        ),
        target("listed", &listed, None),
    );
    let cfg = write_config(tmp.path(), &text);
    let out_dir = tmp.path().join("out");
    // A FIFO opened for reading waits for a writer forever, and /dev/zero never ends: either
    // read by the host would hang the scan. The default deadline is 300 s; this is far less.
    let out = scan_within(&cfg, &out_dir, 90);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let gaps = gaps(&r);
    let has = |target: &str, file: &str, says: &str| {
        gaps.iter().any(|g| {
            g["target"] == target
                && g["kind"] == "missing-input"
                && g["file"] == file
                && g["message"].as_str().unwrap().contains(says)
        })
    };
    assert!(has("named", "fifo.json", "is a FIFO"), "{gaps:#?}");
    assert!(has("named", "zero.json", "is a symbolic link"), "{gaps:#?}");
    assert!(has("listed", "fifo.json", "is a FIFO"), "{gaps:#?}");
    let inputs = r["run"]["inputs"].as_array().unwrap();
    for i in inputs {
        let path = i["path"].as_str().unwrap();
        if path.ends_with("fifo.json") || path.ends_with("zero.json") {
            assert!(i.get("sha256").is_none(), "{i:#}");
        } else {
            assert_eq!(i["sha256"].as_str().unwrap().len(), 64, "{i:#}");
        }
    }
    for target in ["named", "listed"] {
        assert_scanned(&r, target);
    }
}

#[test]
fn a_target_with_nothing_to_read_is_a_missing_input_gap_never_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let dots = tmp.path().join("dots");
    std::fs::create_dir_all(&dots).unwrap();
    std::fs::write(dots.join(".config-snapshot.json"), "[]").unwrap();
    let links = tmp.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    std::os::unix::fs::symlink(
        root().join("tests/fixtures/aws/minimal.json"),
        links.join("minimal.json"),
    )
    .unwrap();
    let none = aws_snapshot(tmp.path(), "none");
    let text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"acme\"\n{}{}{}{}",
        target("empty", &empty, None),
        target("dots", &dots, None),
        target("links", &links, None),
        target("none", &none, Some(&[])),
    );
    let cfg = write_config(tmp.path(), &text);
    let out_dir = tmp.path().join("out");
    let out = scan_within(&cfg, &out_dir, 120);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("coverage: INCOMPLETE"), "{stdout}");
    let r = report(&out_dir);
    crate::schema::assert_valid(&r);
    let gaps = gaps(&r);
    for (target, snap, why) in [
        ("empty", &empty, "holds no file"),
        ("dots", &dots, "only hidden files"),
        ("links", &links, "every input was refused"),
        ("none", &none, "`inputs = []`"),
    ] {
        let g = gaps
            .iter()
            .find(|g| {
                g["target"] == target
                    && g["message"]
                        .as_str()
                        .unwrap()
                        .contains("has no readable input")
            })
            .unwrap_or_else(|| panic!("no gap for {target}: {gaps:#?}"));
        assert_eq!(g["kind"], "missing-input", "{g:#}");
        let message = g["message"].as_str().unwrap();
        assert!(message.contains(&format!("target `{target}`")), "{g:#}");
        assert!(message.contains(&snap.display().to_string()), "{g:#}");
        assert!(message.contains(why), "{g:#}");
    }
    // The symlink itself is reported by name, not skipped.
    assert!(
        gaps.iter()
            .any(|g| g["target"] == "links" && g["file"] == "minimal.json"),
        "{gaps:#?}"
    );
}

#[test]
fn file_names_from_a_snapshot_cannot_forge_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = aws_snapshot(tmp.path(), "snap");
    let forged = "x\nerror: forged line.json";
    std::os::unix::fs::symlink("/etc/passwd", snap.join(forged)).unwrap();
    let text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"acme\"\n{}",
        target("t", &snap, None),
    );
    let cfg = write_config(tmp.path(), &text);
    let out_dir = tmp.path().join("out");
    let out = scan_within(&cfg, &out_dir, 120);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let g = gaps(&r)
        .into_iter()
        .find(|g| g["message"].as_str().unwrap().contains("forged"))
        .expect("the link is a gap");
    assert_eq!(g["file"], "x\\nerror: forged line.json", "{g:#}");
    assert!(!g["message"].as_str().unwrap().contains('\n'), "{g:#}");
}
