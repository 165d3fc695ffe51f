//! Whether a snapshot's files may be read on the plugin's own thread.
//!
//! WASI hands every file operation of a plugin (each open, each read of at most 64 KiB) to a
//! blocking thread and waits for it, so that a read that never returns cannot hold the thread
//! that runs the plugin: the wall-clock deadline then still stops the target. That hand-over
//! costs more than the read: done on the plugin's thread, a 1M-resource scan's targets ran 12 to
//! 21% faster. It is safe where a read always returns: a snapshot on a local file system (the
//! host refuses FIFOs, sockets and devices before they are opened), with no other file system
//! mounted anywhere under it. A network or FUSE file system can hang a read for ever, so a
//! snapshot on one, or with one mounted inside it, keeps the hand-over. Only Linux is judged;
//! elsewhere every snapshot keeps it.

use std::path::Path;

/// Whether the files under `snapshot` may be read on the plugin's thread; see the module
/// documentation. Anything that cannot be established is a no.
pub(crate) fn reads_never_hang(snapshot: &Path) -> bool {
    imp::reads_never_hang(snapshot)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::path::Path;

    pub(super) fn reads_never_hang(snapshot: &Path) -> bool {
        let Ok(real) = snapshot.canonicalize() else {
            return false;
        };
        let Some(kind) = fs_type(&real) else {
            return false;
        };
        if !super::is_local(kind) {
            return false;
        }
        match std::fs::read_to_string("/proc/self/mountinfo") {
            Ok(table) => !super::mounted_under(&table, &real),
            Err(_) => false,
        }
    }

    /// The `f_type` of the file system `path` is on.
    fn fs_type(path: &Path) -> Option<i64> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: `statfs` only writes into the zeroed struct we own, and reads the
        // NUL-terminated path alive for the call.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
        #[allow(clippy::unnecessary_cast)] // `f_type`'s width differs between targets
        (rc == 0).then_some(st.f_type as i64)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn reads_never_hang(_snapshot: &std::path::Path) -> bool {
        false
    }
}

/// Local disk and memory file systems, by `statfs` magic number: ext2/3/4, XFS, Btrfs, tmpfs,
/// ramfs, overlayfs (containers' root), F2FS and ZFS. Any other (NFS, SMB, FUSE, Ceph, 9p, ...)
/// may not.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn is_local(kind: i64) -> bool {
    const LOCAL: [i64; 8] = [
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0x0102_1994, // tmpfs
        0x8584_58f6, // ramfs
        0x794c_7630, // overlayfs
        0xF2F5_2010, // F2FS
        0x2fc1_2fc1, // ZFS
    ];
    LOCAL.contains(&kind)
}

/// Whether `/proc/self/mountinfo` (`table`) lists a mount point strictly under `dir`. Mount
/// points are its fifth field, with spaces, tabs, newlines and backslashes written in octal.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn mounted_under(table: &str, dir: &Path) -> bool {
    table.lines().any(|line| {
        line.split(' ')
            .nth(4)
            .map(unescape)
            .is_some_and(|point| Path::new(&point).starts_with(dir) && Path::new(&point) != dir)
    })
}

/// A mountinfo field with its octal escapes (`\040`) decoded.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |n, b| n * 8 + u32::from(b - b'0')));
        match octal.and_then(|n| u8::try_from(n).ok()) {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
40 22 0:35 / /data/exports rw,relatime shared:20 - ext4 /dev/sdb1 rw
41 40 0:36 / /data/exports/acme\\040prod/nfs rw,relatime shared:21 - nfs4 filer:/acme rw
";

    #[test]
    fn a_mount_inside_the_snapshot_is_seen_and_one_above_it_is_not() {
        // The NFS mount is inside this snapshot (its name has a space, written `\040`).
        assert!(mounted_under(TABLE, Path::new("/data/exports/acme prod")));
        assert!(mounted_under(TABLE, Path::new("/data")));
        // A snapshot that is itself a mount point, or is under one, has nothing inside it.
        assert!(!mounted_under(
            TABLE,
            Path::new("/data/exports/acme prod/nfs")
        ));
        assert!(!mounted_under(TABLE, Path::new("/data/exports/globex")));
        // A name that only shares a prefix is not inside.
        assert!(!mounted_under(TABLE, Path::new("/data/exp")));
    }

    #[test]
    fn octal_escapes_are_decoded_and_other_backslashes_kept() {
        assert_eq!(unescape("/a\\040b\\011c\\134d"), "/a b\tc\\d");
        assert_eq!(unescape("/a\\9b\\04"), "/a\\9b\\04");
    }

    #[test]
    fn only_local_file_systems_are_local() {
        assert!(is_local(0xEF53));
        assert!(is_local(0x0102_1994));
        for network in [
            0x6969,
            0xFF53_4D42,
            0xFE53_4D42,
            0x6573_5546,
            0x00C3_6400,
            0x0102_1997,
        ] {
            assert!(!is_local(network), "{network:#x}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_temporary_directory_is_judged_and_a_missing_one_is_not_local() {
        let dir = tempfile::tempdir().unwrap();
        // Whatever file system holds it, the answer matches its type and the mount table.
        let expected = {
            let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
            let real = dir.path().canonicalize().unwrap();
            imp_fs_type_is_local(&real) && !mounted_under(&table, &real)
        };
        assert_eq!(reads_never_hang(dir.path()), expected);
        assert!(!reads_never_hang(&dir.path().join("missing")));
    }

    #[cfg(target_os = "linux")]
    fn imp_fs_type_is_local(path: &Path) -> bool {
        let out = std::process::Command::new("stat")
            .args(["-f", "-c", "%t"])
            .arg(path)
            .output()
            .unwrap();
        let hex = String::from_utf8(out.stdout).unwrap();
        is_local(i64::from_str_radix(hex.trim(), 16).unwrap())
    }
}
