//! A real headless Chromium for the tests that check HTML as a browser renders it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `$DEMARC_CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on the PATH; a missing browser
/// fails the test with the command that installs it.
fn chromium() -> PathBuf {
    let candidate = match std::env::var_os("DEMARC_CHROMIUM") {
        Some(p) => PathBuf::from(p),
        None if Path::new("/usr/bin/chromium").exists() => PathBuf::from("/usr/bin/chromium"),
        None => PathBuf::from("chromium"),
    };
    match Command::new(&candidate).arg("--version").output() {
        Ok(o) if o.status.success() => candidate,
        _ => panic!(
            "chromium is not installed (tried `{}`): the HTML is checked in a real headless \
             browser. Install it (as root: `apt-get install -y chromium`; CI installs it) or \
             point DEMARC_CHROMIUM at a Chromium binary.",
            candidate.display()
        ),
    }
}

/// The DOM of `file` after its scripts ran.
pub fn dump_dom(file: &Path) -> String {
    let _cpu = crate::shared_cpu();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
