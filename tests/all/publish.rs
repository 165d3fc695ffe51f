//! Runs never trample each other: one run at a time per output directory (a kernel lock), a
//! run's files published together, and whatever a killed run left cleaned by the next one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::{demarc, describe, report, root, wasm, write_config};

/// A quick estate: one AWS target on the test fixtures.
fn quick_config(dir: &Path) -> PathBuf {
    let fx = root().join("tests/fixtures/aws");
    write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n[[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"acme-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n",
            fx.display()
        ),
    )
}

/// A slow estate: a hostile plugin that spins until its 3 s deadline, before the same AWS
/// target (which, coming second in plan order, spills its findings while the first spins).
fn slow_config(dir: &Path) -> PathBuf {
    let fx = root().join("tests/fixtures/aws");
    let plugin = wasm("demarc-test-hostile");
    let digest = hex::encode(Sha256::digest(std::fs::read(&plugin).unwrap()));
    let cfg = dir.join("slow.toml");
    std::fs::write(
        &cfg,
        format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n[limits]\ndeadline_secs = 3\nconcurrency = 2\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n\n[[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"loop.spin\"\nprovider = \"hostile\"\nsnapshot = \"{fx}\"\n\
             inputs = [\"minimal.json\"]\n\n\
             [[tenant.target]]\nid = \"acme-aws\"\nprovider = \"aws\"\nsnapshot = \"{fx}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n",
            plugin.display(),
            fx = fx.display()
        ),
    )
    .unwrap();
    cfg
}

fn scan(cfg: &Path, out: &Path, format: &str, cwd: &Path) -> std::process::Output {
    let _cpu = crate::shared_cpu();
    scan_unlocked(cfg, out, format, cwd)
}

/// [`scan`] for a test that already shares the machine.
fn scan_unlocked(cfg: &Path, out: &Path, format: &str, cwd: &Path) -> std::process::Output {
    spawn_scan(cfg, out, format, cwd)
        .wait_with_output()
        .expect("run demarc")
}

/// Start a scan without waiting for it.
fn spawn_scan(cfg: &Path, out: &Path, format: &str, cwd: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["scan", "--quiet", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(["--format", format])
        .current_dir(cwd)
        .env("DEMARC_CACHE_DIR", cwd.join(".cache"))
        .env_remove("RUST_LOG")
        .env_remove("BUILT_WASM_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start demarc")
}

/// Wait until `ready` holds, or fail after a minute (the child is killed first).
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("demarc exited ({status}) before {what}");
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("demarc did not reach: {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn holder(out: &Path) -> String {
    std::fs::read_to_string(out.join(".demarc.lock"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn staging_exists(out: &Path) -> bool {
    std::fs::read_dir(out).is_ok_and(|d| {
        d.filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(".run-"))
    })
}

#[test]
fn a_second_run_into_the_same_directory_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let _cpu = crate::shared_cpu();
    let mut first = spawn_scan(&slow_config(tmp.path()), &out, "json,html", tmp.path());
    let pid = first.id().to_string();
    wait_for(&mut first, "the first run holds the lock", || {
        holder(&out) == pid && staging_exists(&out)
    });

    let second = scan_unlocked(&quick_config(tmp.path()), &out, "json", tmp.path());
    assert_eq!(second.status.code(), Some(2), "{}", describe(&second));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains(&out.display().to_string()), "{err}");
    assert!(
        err.contains(&format!("another demarc run (pid {pid})")),
        "{err}"
    );

    let first = first.wait_with_output().unwrap();
    // The spinning plugin is a gap: exit 3, and the report is whole.
    assert_eq!(first.status.code(), Some(3), "{}", describe(&first));
    let r = report(&out);
    crate::schema::assert_valid(&r);
    assert!(
        r["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["target"] == "loop.spin"),
        "{r:#}"
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["target"] == "acme-aws")
    );
    assert_eq!(
        listing(&out),
        [".demarc.lock", "report.html", "report.json"]
    );
}

/// The lock is the kernel's, not the lock file's: a run is refused exactly while another
/// process holds the lock, and the file staying behind never blocks anyone.
#[test]
fn the_lock_is_held_by_a_process_not_by_a_file() {
    use std::os::fd::AsRawFd;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let cfg = quick_config(tmp.path());
    let lock = std::fs::File::create(out.join(".demarc.lock")).unwrap();
    // SAFETY: a valid open descriptor.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let refused = scan(&cfg, &out, "json", tmp.path());
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("another demarc run"),
        "{}",
        describe(&refused)
    );
    assert_eq!(listing(&out), [".demarc.lock"], "nothing written");
    drop(lock);
    let ok = scan(&cfg, &out, "json", tmp.path());
    assert_eq!(ok.status.code(), Some(0), "{}", describe(&ok));
    crate::schema::assert_valid(&report(&out));
}

/// kill -9 in the middle of a scan: the previous run's files are untouched, the lock goes with
/// the process, and the next run removes the killed run's staging directory and spills (and
/// the leftovers of older versions' fixed names) and leaves only its own files.
#[test]
fn a_killed_run_leaves_the_previous_files_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let quick = quick_config(tmp.path());
    let done = scan(&quick, &out, "all", tmp.path());
    assert_eq!(done.status.code(), Some(0), "{}", describe(&done));
    let before = std::fs::read(out.join("report.json")).unwrap();
    let before_listing = listing(&out);
    assert_eq!(before_listing.len(), 9, "{before_listing:?}");

    let mut killed = {
        let _cpu = crate::shared_cpu();
        let mut child = spawn_scan(&slow_config(tmp.path()), &out, "json,html", tmp.path());
        let pid = child.id().to_string();
        // Wait until the AWS target, second in plan order, has spilled its findings.
        wait_for(&mut child, "the run spills", || {
            holder(&out) == pid
                && std::fs::read_dir(&out).is_ok_and(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().starts_with(".run-"))
                        .any(|e| {
                            std::fs::read_dir(e.path()).is_ok_and(|s| {
                                s.filter_map(Result::ok).any(|x| {
                                    x.file_name().to_string_lossy().starts_with(".spill-")
                                        && std::fs::read_dir(x.path())
                                            .is_ok_and(|mut f| f.next().is_some())
                                })
                            })
                        })
                })
        });
        child.kill().unwrap();
        child
    };
    killed.wait().unwrap();
    assert!(staging_exists(&out), "the killed run left its staging");
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);
    let mut left = listing(&out);
    left.retain(|n| !n.starts_with(".run-"));
    assert_eq!(left, before_listing, "the previous run's files are intact");

    // What older versions and killed runs left under fixed names.
    std::fs::create_dir(out.join(".spill-999999")).unwrap();
    std::fs::write(out.join(".spill-999999/0.ndjson"), "{}\n").unwrap();
    std::fs::write(out.join(".report.json.tmp"), "{\"schema\":").unwrap();
    std::fs::write(out.join(".report.html.tmp"), "<html>").unwrap();
    std::fs::write(out.join(".publish.tmp"), "{").unwrap();

    let next = scan(&quick, &out, "json", tmp.path());
    assert_eq!(next.status.code(), Some(0), "{}", describe(&next));
    assert_eq!(listing(&out), [".demarc.lock", "report.json"]);
    crate::schema::assert_valid(&report(&out));
}

/// An earlier `--format all` leaves no stale formats beside a later `--format json`; more
/// formats of the same report rendered later join it.
#[test]
fn a_run_replaces_every_file_of_the_previous_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let quick = quick_config(tmp.path());
    let all = scan(&quick, &out, "all", tmp.path());
    assert_eq!(all.status.code(), Some(0), "{}", describe(&all));
    assert!(out.join("report.sarif").is_file());
    let json = scan(&quick, &out, "json", tmp.path());
    assert_eq!(json.status.code(), Some(0), "{}", describe(&json));
    assert_eq!(listing(&out), [".demarc.lock", "report.json"]);

    let more = demarc(
        &[
            "report",
            "--in",
            out.join("report.json").to_str().unwrap(),
            "--format",
            "sarif",
        ],
        tmp.path(),
    );
    assert_eq!(more.status.code(), Some(0), "{}", describe(&more));
    assert_eq!(
        listing(&out),
        [".demarc.lock", "report.json", "report.sarif"]
    );

    // Rendering another directory's report here replaces this run's files.
    let other = tmp.path().join("other");
    let again = scan(&quick, &other, "json", tmp.path());
    assert_eq!(again.status.code(), Some(0), "{}", describe(&again));
    let elsewhere = demarc(
        &[
            "report",
            "--in",
            other.join("report.json").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "md",
        ],
        tmp.path(),
    );
    assert_eq!(elsewhere.status.code(), Some(0), "{}", describe(&elsewhere));
    assert_eq!(listing(&out), [".demarc.lock", "report.md"]);
}

/// A run killed after it committed its publish journal, with one of its files moved: the
/// directory holds the new report.json beside the old report.html. The next command to take the
/// directory (here `demarc report`) finishes the publish before anything else.
#[test]
fn an_interrupted_publish_is_rolled_forward_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let quick = quick_config(tmp.path());
    let out = tmp.path().join("out");
    let old = scan(&quick, &out, "json,html", tmp.path());
    assert_eq!(old.status.code(), Some(0), "{}", describe(&old));
    // The new run's files, as its staging directory held them.
    let new = tmp.path().join("new");
    let ran = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            quick.to_str().unwrap(),
            "--out",
            new.to_str().unwrap(),
            "--format",
            "json,sarif",
            "--pin-time",
            "2026-11-02T00:00:00Z",
        ],
        tmp.path(),
    );
    assert_eq!(ran.status.code(), Some(0), "{}", describe(&ran));
    let new_json = std::fs::read(new.join("report.json")).unwrap();
    let new_sarif = std::fs::read(new.join("report.sarif")).unwrap();
    assert_ne!(std::fs::read(out.join("report.json")).unwrap(), new_json);

    let staging = out.join(".run-4242-dead");
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join("report.sarif"), &new_sarif).unwrap();
    std::fs::write(out.join("report.json"), &new_json).unwrap();
    std::fs::write(
        out.join(".publish"),
        r#"{"run":"4242-dead","staging":".run-4242-dead","files":["report.json","report.sarif"],"replace":true}"#,
    )
    .unwrap();

    let md = demarc(
        &[
            "report",
            "--in",
            out.join("report.json").to_str().unwrap(),
            "--format",
            "md",
        ],
        tmp.path(),
    );
    assert_eq!(md.status.code(), Some(0), "{}", describe(&md));
    assert_eq!(
        listing(&out),
        [".demarc.lock", "report.json", "report.md", "report.sarif"]
    );
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), new_json);
    assert_eq!(std::fs::read(out.join("report.sarif")).unwrap(), new_sarif);
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("acme")
    );
}

/// Output path problems are the operator's to fix: exit 2 with the path, before any plugin is
/// loaded.
#[test]
fn an_output_path_that_cannot_be_a_directory_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let slow = slow_config(tmp.path());
    for (out, want) in [
        (file.clone(), "is not a directory"),
        (file.join("sub"), "cannot be created"),
    ] {
        // A fresh working directory, whose compile cache exists once any plugin is loaded.
        let cwd = tempfile::tempdir().unwrap();
        let run = scan(&slow, &out, "json", cwd.path());
        assert_eq!(run.status.code(), Some(2), "{}", describe(&run));
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(&out.display().to_string()), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!cwd.path().join(".cache").exists(), "no plugin was loaded");
    }
    // A directory nobody may create files in, not even root (as these tests may run).
    #[cfg(target_os = "linux")]
    {
        let cwd = tempfile::tempdir().unwrap();
        let run = scan(&slow, Path::new("/proc/self"), "json", cwd.path());
        assert_eq!(run.status.code(), Some(2), "{}", describe(&run));
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("--out /proc/self: is not writable"), "{err}");
        assert!(!cwd.path().join(".cache").exists(), "no plugin was loaded");
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "not a directory",
        "the file is untouched"
    );
    let rendered = demarc(
        &[
            "report",
            "--in",
            "nowhere/report.json",
            "--out",
            file.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(rendered.status.code(), Some(2), "{}", describe(&rendered));
    assert!(String::from_utf8_lossy(&rendered.stderr).contains("is not a directory"));
}
