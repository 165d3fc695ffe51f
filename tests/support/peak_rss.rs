//! The peak resident set of a child process, for the benchmarks.

/// Wait for `child`; its exit code and its own peak resident set in MiB (Linux reports KiB).
pub fn wait_with_peak_rss(mut child: std::process::Child) -> (Option<i32>, f64) {
    // The kernel's ru_maxrss of a child counts the parent's memory at the moment it was spawned
    // (the high-water mark survives exec), and this process has just parsed gigabytes. So the
    // child's own high-water mark, VmHWM, is read from /proc while it runs; it only grows, and
    // the last reading is at most 5 ms before the child exits.
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for the scan") {
            return (status.code(), peak_kib as f64 / 1024.0);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
