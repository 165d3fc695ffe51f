//! Publishing a run's files into the output directory: one run at a time, all its files at once.
//!
//! A run first takes an exclusive lock on `.demarc.lock` in the output directory (`flock`, so
//! the kernel releases it when the process ends, however it ends) and writes its pid there for
//! the error a second run prints. Holding the lock, it finishes what a dead run left: a publish
//! journal is rolled forward, and every staging directory, spill directory and temporary file is
//! removed.
//!
//! The run then writes every file (report.json, its spills, each format) into a staging
//! directory of its own, `.run-<pid>-<time>`. When all are complete they are flushed to disk, and
//! a journal, `.publish`, naming the staging directory and the files, is written and flushed.
//! Then each staged file is renamed into place, the files of an earlier run that this run does
//! not produce are removed (an earlier `--format all` leaves no stale `report.sarif` beside a new
//! `report.json`), and the journal is removed. A run that finds a journal rolls it forward
//! first, so a kill at any point leaves the directory holding either the previous run's files
//! or this run's, never a mix.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use demarc_report::Format;
use serde::{Deserialize, Serialize};

/// The lock file in the output directory; it is never removed.
pub const LOCK: &str = ".demarc.lock";
/// The publish journal: present only while a run's files are being moved into place.
pub const JOURNAL: &str = ".publish";
/// Where the journal is written before it is renamed into place.
const JOURNAL_TMP: &str = ".publish.tmp";
/// Prefix of a run's staging directory.
const STAGING_PREFIX: &str = ".run-";
/// Prefix of the spill directories older versions wrote straight into the output directory.
const SPILL_PREFIX: &str = ".spill-";

/// Every file name a run may publish: report.json and each format's file.
pub fn managed_names() -> impl Iterator<Item = &'static str> {
    Format::ALL.into_iter().map(Format::file_name)
}

fn is_managed(name: &str) -> bool {
    managed_names().any(|m| m == name)
}

/// Whether `name` is a leftover of a run that is gone: a staging or spill directory, the
/// journal's temporary file, or the temporary file of a managed file (`.report.json.tmp`).
fn is_leftover(name: &str) -> bool {
    name.starts_with(STAGING_PREFIX)
        || name.starts_with(SPILL_PREFIX)
        || name == JOURNAL_TMP
        || name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .is_some_and(is_managed)
}

/// What a publish moves into place, written before the first file is moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    /// The run's identity.
    pub run: String,
    /// The staging directory, a name inside the output directory.
    pub staging: String,
    /// The files published, names inside the staging and the output directory.
    pub files: Vec<String>,
    /// Whether managed files not in `files` are removed (a new run), or kept (more formats of
    /// the same run's report).
    pub replace: bool,
}

impl Journal {
    /// Refuse a journal that would move or remove anything but the run's own files.
    fn check(&self) -> Result<(), String> {
        let plain = |n: &str| !n.is_empty() && !n.contains('/') && n != "." && n != "..";
        if !self.staging.starts_with(STAGING_PREFIX) || !plain(&self.staging) {
            return Err(format!(
                "staging `{}` is not a run's staging directory",
                self.staging.escape_debug()
            ));
        }
        if let Some(f) = self.files.iter().find(|f| !is_managed(f)) {
            return Err(format!(
                "file `{}` is not a report file demarc writes",
                f.escape_debug()
            ));
        }
        Ok(())
    }
}

/// The output directory, locked for this run, with the run's staging directory.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    run: String,
    /// Holds the lock until dropped.
    _lock: File,
    published: bool,
}

impl OutputDir {
    /// Prepare `dir` for a run: create it, lock it, finish what a dead run left, and create
    /// this run's staging directory. Every error is the operator's to fix (exit 2): `dir` is a
    /// file, cannot be created or written, another run holds it, or its journal is damaged.
    pub fn open(dir: &Path) -> Result<OutputDir, String> {
        let shown = dir.display();
        if let Ok(meta) = std::fs::metadata(dir)
            && !meta.is_dir()
        {
            return Err(format!(
                "--out {shown}: it exists and is not a directory; name a directory"
            ));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--out {shown}: cannot create the output directory: {e}"))?;
        let lock_path = dir.join(LOCK);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| {
                format!(
                    "--out {shown}: the output directory is not writable: cannot create {}: {e}",
                    lock_path.display()
                )
            })?;
        lock_exclusive(&lock).map_err(|e| match e {
            LockError::Held => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                let holder = holder.trim();
                let pid = if !holder.is_empty() && holder.bytes().all(|b| b.is_ascii_digit()) {
                    format!("pid {holder}")
                } else {
                    "pid unknown".to_string()
                };
                format!(
                    "--out {shown}: another demarc run ({pid}) is writing to this directory; \
                     wait for it to finish or choose another --out"
                )
            }
            LockError::Io(e) => format!("--out {shown}: cannot lock {}: {e}", lock_path.display()),
        })?;
        let pid = std::process::id();
        let _ = lock
            .set_len(0)
            .and_then(|()| lock.write_all(format!("{pid}\n").as_bytes()));

        recover(dir)?;
        remove_leftovers(dir)?;

        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let run = format!("{pid}-{nanos:x}");
        let staging = dir.join(format!("{STAGING_PREFIX}{run}"));
        std::fs::create_dir(&staging).map_err(|e| {
            format!(
                "--out {shown}: the output directory is not writable: cannot create {}: {e}",
                staging.display()
            )
        })?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staging,
            run,
            _lock: lock,
            published: false,
        })
    }

    /// The directory this run writes its files into before they are published.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Move the staged `files` into the output directory together; with `replace`, remove the
    /// report files of an earlier run that this run does not produce. Returns the published
    /// paths. The lock is released when this returns.
    pub fn publish(mut self, files: &[&str], replace: bool) -> anyhow::Result<Vec<PathBuf>> {
        use anyhow::Context;
        for f in files {
            let path = self.staging.join(f);
            File::open(&path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let journal = Journal {
            run: self.run.clone(),
            staging: self
                .staging
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string(),
            files: files.iter().map(|f| f.to_string()).collect(),
            replace,
        };
        journal.check().map_err(|e| anyhow::anyhow!("{e}"))?;
        let tmp = self.dir.join(JOURNAL_TMP);
        let path = self.dir.join(JOURNAL);
        (|| -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(&journal)?)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &path)?;
            sync_dir(&self.dir)
        })()
        .with_context(|| format!("cannot write {}", path.display()))?;
        // From here on the run's files are committed: a kill leaves the journal, and the next
        // run finishes the move.
        self.published = true;
        roll_forward(&self.dir, &journal)?;
        Ok(files.iter().map(|f| self.dir.join(f)).collect())
    }
}

impl Drop for OutputDir {
    /// A run that does not publish leaves the previous run's files as they were.
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

enum LockError {
    Held,
    Io(std::io::Error),
}

#[cfg(unix)]
fn lock_exclusive(file: &File) -> Result<(), LockError> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: the descriptor is open for as long as `file` lives; flock has no other
        // preconditions.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Err(LockError::Held),
            _ => return Err(LockError::Io(e)),
        }
    }
}

#[cfg(not(unix))]
fn lock_exclusive(file: &File) -> Result<(), LockError> {
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => LockError::Held,
        std::fs::TryLockError::Error(e) => LockError::Io(e),
    })
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Roll forward the journal a dead run left in `dir`, if any. The caller holds the lock.
pub fn recover(dir: &Path) -> Result<(), String> {
    let path = dir.join(JOURNAL);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let journal: Journal = serde_json::from_slice(&text)
        .map_err(|e| e.to_string())
        .and_then(|j: Journal| j.check().map(|()| j))
        .map_err(|e| {
            format!(
                "{}: not a publish journal demarc wrote ({e}); it names the files an interrupted \
                 run was publishing: check the directory, then remove the journal",
                path.display()
            )
        })?;
    tracing::warn!(
        dir = %dir.display(),
        run = %journal.run,
        "finishing the publish of an interrupted run"
    );
    roll_forward(dir, &journal).map_err(|e| format!("{e:#}"))
}

/// Move the journal's staged files into place, remove what they replace, then the staging
/// directory and the journal. Every step can be repeated, so a kill anywhere in here is
/// finished by the next run.
fn roll_forward(dir: &Path, journal: &Journal) -> anyhow::Result<()> {
    use anyhow::Context;
    let staging = dir.join(&journal.staging);
    for f in &journal.files {
        let from = staging.join(f);
        let to = dir.join(f);
        match std::fs::symlink_metadata(&from) {
            Ok(_) => std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?,
            // Moved before the kill.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", from.display())),
        }
    }
    if journal.replace {
        for name in managed_names().filter(|m| !journal.files.iter().any(|f| f == m)) {
            let path = dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
            }
        }
    }
    remove_entry(&staging).with_context(|| format!("cannot remove {}", staging.display()))?;
    sync_dir(dir).with_context(|| format!("cannot write {}", dir.display()))?;
    let path = dir.join(JOURNAL);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    sync_dir(dir).with_context(|| format!("cannot write {}", dir.display()))
}

/// Remove a file or a directory tree; a symlink is removed, never followed.
fn remove_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Remove every staging directory, spill directory and temporary file of runs that are gone.
/// The caller holds the lock, so no live run owns any of them.
fn remove_leftovers(dir: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if is_leftover(name) {
            let path = entry.path();
            tracing::info!(path = %path.display(), "removing what an interrupted run left");
            remove_entry(&path).map_err(|e| {
                format!(
                    "cannot remove {}, left by an earlier run: {e}",
                    path.display()
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn stage(out: &OutputDir, files: &[(&str, &str)]) {
        for (name, text) in files {
            std::fs::write(out.staging().join(name), text).unwrap();
        }
    }

    #[test]
    fn a_publish_replaces_the_previous_runs_files_and_leaves_only_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutputDir::open(tmp.path()).unwrap();
        stage(
            &out,
            &[
                ("report.json", "old"),
                ("report.sarif", "old"),
                ("report.html", "old"),
            ],
        );
        out.publish(&["report.json", "report.sarif", "report.html"], true)
            .unwrap();
        let out = OutputDir::open(tmp.path()).unwrap();
        stage(&out, &[("report.json", "new"), ("report.html", "new")]);
        let published = out.publish(&["report.json", "report.html"], true).unwrap();
        assert_eq!(published[0], tmp.path().join("report.json"));
        assert_eq!(names(tmp.path()), [LOCK, "report.html", "report.json"]);
        for f in ["report.html", "report.json"] {
            assert_eq!(std::fs::read_to_string(tmp.path().join(f)).unwrap(), "new");
        }
    }

    #[test]
    fn a_run_that_does_not_publish_leaves_the_previous_files_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutputDir::open(tmp.path()).unwrap();
        stage(&out, &[("report.json", "old")]);
        out.publish(&["report.json"], true).unwrap();
        let out = OutputDir::open(tmp.path()).unwrap();
        stage(&out, &[("report.json", "half")]);
        drop(out);
        assert_eq!(names(tmp.path()), [LOCK, "report.json"]);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("report.json")).unwrap(),
            "old"
        );
    }

    #[test]
    fn the_lock_is_refused_while_held_and_free_once_released() {
        let tmp = tempfile::tempdir().unwrap();
        let first = OutputDir::open(tmp.path()).unwrap();
        // flock locks belong to the open file description: a second open in this process is
        // refused just as another process would be.
        let err = OutputDir::open(tmp.path()).unwrap_err();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains(&tmp.path().display().to_string()), "{err}");
        drop(first);
        OutputDir::open(tmp.path()).unwrap();
    }

    /// A kill after the journal was written and after `moved` of the files were renamed: the
    /// next run finishes the publish, whatever `moved` was.
    #[test]
    fn a_journal_is_rolled_forward_from_any_point_of_the_move() {
        let files = ["report.json", "report.sarif", "report.md"];
        for moved in 0..=files.len() {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            for f in ["report.json", "report.html", "report.sarif"] {
                std::fs::write(dir.join(f), "old").unwrap();
            }
            let staging = dir.join(".run-77-abc");
            std::fs::create_dir(&staging).unwrap();
            for f in files {
                std::fs::write(staging.join(f), "new").unwrap();
            }
            let journal = Journal {
                run: "77-abc".into(),
                staging: ".run-77-abc".into(),
                files: files.iter().map(|f| f.to_string()).collect(),
                replace: true,
            };
            std::fs::write(dir.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
            for f in &files[..moved] {
                std::fs::rename(staging.join(f), dir.join(f)).unwrap();
            }
            let out = OutputDir::open(dir).unwrap();
            let own = out
                .staging()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let mut want = vec![LOCK.to_string(), own];
            want.extend(["report.json", "report.md", "report.sarif"].map(String::from));
            want.sort();
            assert_eq!(names(dir), want, "after {moved} moved");
            for f in files {
                assert_eq!(std::fs::read_to_string(dir.join(f)).unwrap(), "new");
            }
        }
    }

    #[test]
    fn a_journal_naming_other_files_is_refused() {
        for (staging, file) in [
            (".run-1", "../escape"),
            (".run-1", "demarc.toml"),
            ("..", "report.json"),
            ("snapshots", "report.json"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let journal = Journal {
                run: "1".into(),
                staging: staging.into(),
                files: vec![file.into()],
                replace: true,
            };
            std::fs::write(
                tmp.path().join(JOURNAL),
                serde_json::to_vec(&journal).unwrap(),
            )
            .unwrap();
            std::fs::write(tmp.path().join("report.json"), "kept").unwrap();
            let err = OutputDir::open(tmp.path()).unwrap_err();
            assert!(err.contains(JOURNAL), "{err}");
            assert_eq!(
                std::fs::read_to_string(tmp.path().join("report.json")).unwrap(),
                "kept"
            );
        }
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(JOURNAL), "{not json").unwrap();
        let err = OutputDir::open(tmp.path()).unwrap_err();
        assert!(err.contains("not a publish journal"), "{err}");
    }

    #[test]
    fn leftovers_are_recognized_by_name_only() {
        for name in [
            ".run-12-ab",
            ".spill-999999",
            ".report.json.tmp",
            ".report.sarif.tmp",
            ".findings.jsonl.tmp",
            ".publish.tmp",
        ] {
            assert!(is_leftover(name), "{name}");
        }
        for name in [
            LOCK,
            JOURNAL,
            "report.json",
            "notes.tmp",
            ".notes.tmp",
            "run-1",
        ] {
            assert!(!is_leftover(name), "{name}");
        }
    }
}
