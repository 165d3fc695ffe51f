//! The host's own reading of a snapshot directory: which files are inputs, and opening them to
//! digest them for `run.inputs`.
//!
//! The host reads only what the sandbox would hand a plugin: regular files inside the snapshot.
//! It never follows a symbolic link (not in the file name, not in a directory on the way to it),
//! never opens a FIFO, socket or device, and reads at most the size it measured on the open
//! descriptor. Everything it refuses is named, so that the report can list it as a gap.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

/// Why the host would not read an input.
#[derive(Debug)]
pub enum Refusal {
    /// There is no such file.
    NotFound,
    /// The file, or a directory on the way to it, is a symbolic link.
    Symlink {
        /// The link, relative to the snapshot.
        link: String,
    },
    /// Not a regular file: a directory, FIFO, socket or device.
    NotRegular(&'static str),
    /// The name is not a plain relative path inside the snapshot.
    BadName,
    /// Any other I/O error.
    Io(io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotFound => write!(f, "no such file in the snapshot"),
            Refusal::Symlink { link } => write!(
                f,
                "`{}` is a symbolic link; the host does not follow links in a snapshot, so it was not read",
                escape(link)
            ),
            Refusal::NotRegular(what) => {
                write!(f, "is a {what}, not a regular file, so it was not read")
            }
            Refusal::BadName => write!(
                f,
                "is not a relative path inside the snapshot, so it was not read"
            ),
            Refusal::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// One input the host refused, with the reason.
#[derive(Debug)]
pub struct Refused {
    /// The name as listed or configured (escaped for display).
    pub file: String,
    /// Why.
    pub reason: Refusal,
}

/// The inputs of one target, after the host looked at them.
#[derive(Debug, Default)]
pub struct Vetted {
    /// Every input in order (listing or configuration order), readable or not.
    pub all: Vec<(String, bool)>,
    /// Hidden files skipped by the listing (names starting with `.`).
    pub hidden: usize,
    /// The inputs refused.
    pub refused: Vec<Refused>,
}

impl Vetted {
    /// The inputs the plugin may read.
    pub fn readable(&self) -> Vec<String> {
        self.all
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// Control characters and other unprintable characters escaped, so that a file name from a
/// snapshot cannot forge a line of a log or a message.
pub fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Look at the inputs of a target: `configured` when the configuration lists them, else every
/// non-hidden entry directly in `root`. An error means the snapshot directory itself cannot be
/// read.
pub fn vet(root: &Path, configured: Option<&[String]>) -> io::Result<Vetted> {
    let dir = open_dir(root)?;
    let mut v = Vetted::default();
    let check = |v: &mut Vetted, name: String| match open_in(&dir, &name) {
        Ok(_) => v.all.push((name, true)),
        Err(reason) => {
            v.all.push((name.clone(), false));
            v.refused.push(Refused {
                file: escape(&name),
                reason,
            });
        }
    };
    match configured {
        Some(list) => {
            for name in list {
                check(&mut v, name.clone());
            }
        }
        None => {
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(root)? {
                let entry = entry?;
                entries.push((entry.file_name(), entry.file_type()?));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, kind) in entries {
                if name.as_bytes().starts_with(b".") {
                    v.hidden += 1;
                    continue;
                }
                let Some(text) = name.to_str() else {
                    let shown = escape(&name.to_string_lossy());
                    v.refused.push(Refused {
                        file: shown,
                        reason: Refusal::Io(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the file name is not valid UTF-8",
                        )),
                    });
                    continue;
                };
                if kind.is_dir() {
                    // Subdirectories are not inputs unless the configuration names a file in
                    // them.
                    continue;
                }
                if kind.is_symlink() {
                    v.all.push((text.to_string(), false));
                    v.refused.push(Refused {
                        file: escape(text),
                        reason: Refusal::Symlink {
                            link: text.to_string(),
                        },
                    });
                    continue;
                }
                check(&mut v, text.to_string());
            }
        }
    }
    Ok(v)
}

/// Open `rel` inside `root` for reading: a regular file, reached without following any link.
/// Returns the file and its size as measured on the open descriptor.
pub fn open(root: &Path, rel: &str) -> Result<(File, u64), Refusal> {
    let dir = open_dir(root).map_err(Refusal::Io)?;
    open_in(&dir, rel)
}

/// The sha256 and size of an input, reading at most the size measured when it was opened.
pub fn digest(root: &Path, rel: &str) -> Result<(String, u64), Refusal> {
    let (file, size) = open(root, rel)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let mut bounded = file.take(size);
    loop {
        let n = bounded.read(&mut buf).map_err(Refusal::Io)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), total))
}

fn open_dir(root: &Path) -> io::Result<OwnedFd> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)?;
    Ok(OwnedFd::from(f))
}

fn cstring(name: &OsStr) -> Result<CString, Refusal> {
    CString::new(name.as_bytes()).map_err(|_| Refusal::BadName)
}

fn openat(dir: &OwnedFd, name: &CString, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: `dir` is an open descriptor and `name` a NUL-terminated string, both alive for
    // the call; openat does not retain either.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `lstat` of `name` in `dir`: what it is, without following a link or opening it.
fn lstat_at(dir: &OwnedFd, name: &CString) -> io::Result<libc::mode_t> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `dir` is open, `name` NUL-terminated, `st` a valid out-pointer for the call.
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.st_mode & libc::S_IFMT)
}

fn kind_of(mode: libc::mode_t) -> Option<&'static str> {
    match mode {
        libc::S_IFREG => None,
        libc::S_IFDIR => Some("directory"),
        libc::S_IFIFO => Some("FIFO"),
        libc::S_IFSOCK => Some("socket"),
        libc::S_IFCHR => Some("character device"),
        libc::S_IFBLK => Some("block device"),
        _ => Some("special file"),
    }
}

fn open_in(root: &OwnedFd, rel: &str) -> Result<(File, u64), Refusal> {
    let parts: Vec<&OsStr> = Path::new(rel)
        .components()
        .map(|c| match c {
            Component::Normal(p) => Ok(p),
            _ => Err(Refusal::BadName),
        })
        .collect::<Result<_, _>>()?;
    let Some((last, dirs)) = parts.split_last() else {
        return Err(Refusal::BadName);
    };
    let not_found = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => Refusal::NotFound,
        _ => Refusal::Io(e),
    };
    let mut walked = Vec::new();
    let mut here: Option<OwnedFd> = None;
    for d in dirs {
        let dir = here.as_ref().unwrap_or(root);
        let name = cstring(d)?;
        walked.push(d.to_string_lossy().into_owned());
        let mode = lstat_at(dir, &name).map_err(not_found)?;
        if mode == libc::S_IFLNK {
            return Err(Refusal::Symlink {
                link: walked.join("/"),
            });
        }
        if mode != libc::S_IFDIR {
            return Err(Refusal::NotFound);
        }
        let next = openat(
            dir,
            &name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        )
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => Refusal::Symlink {
                link: walked.join("/"),
            },
            _ => not_found(e),
        })?;
        here = Some(next);
    }
    let dir = here.as_ref().unwrap_or(root);
    let name = cstring(last)?;
    let mode = lstat_at(dir, &name).map_err(not_found)?;
    if mode == libc::S_IFLNK {
        return Err(Refusal::Symlink {
            link: rel.to_string(),
        });
    }
    if let Some(what) = kind_of(mode) {
        return Err(Refusal::NotRegular(what));
    }
    // O_NONBLOCK: should the file have been swapped for a FIFO since the lstat, opening it does
    // not wait for a writer; the fstat below then refuses it.
    let fd = openat(
        dir,
        &name,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
    )
    .map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => Refusal::Symlink {
            link: rel.to_string(),
        },
        _ => not_found(e),
    })?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(Refusal::Io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            "FIFO"
        } else if ft.is_char_device() {
            "character device"
        } else if ft.is_block_device() {
            "block device"
        } else if ft.is_socket() {
            "socket"
        } else if ft.is_dir() {
            "directory"
        } else {
            "special file"
        };
        return Err(Refusal::NotRegular(what));
    }
    Ok((file, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_names_on_one_line() {
        assert_eq!(escape("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(escape("config-snapshot.json"), "config-snapshot.json");
    }

    #[test]
    fn a_link_in_a_directory_on_the_way_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("sub")).unwrap();
        std::fs::create_dir(tmp.path().join("real")).unwrap();
        std::fs::write(tmp.path().join("real/ok.json"), "[1]").unwrap();
        match open(tmp.path(), "sub/secret.json") {
            Err(Refusal::Symlink { link }) => assert_eq!(link, "sub"),
            other => panic!("{other:?}"),
        }
        let (_, size) = open(tmp.path(), "real/ok.json").unwrap();
        assert_eq!(size, 3);
        assert!(matches!(open(tmp.path(), "../x"), Err(Refusal::BadName)));
        assert!(matches!(
            open(tmp.path(), "real"),
            Err(Refusal::NotRegular(_))
        ));
        assert!(matches!(open(tmp.path(), "nope"), Err(Refusal::NotFound)));
    }
}
