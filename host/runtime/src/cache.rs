//! The compile cache: compiled plugin code, so a plugin is compiled once per engine build.
//!
//! Compiled code is native code that runs inside the host, so the cache executes an entry only
//! if it can prove that this cache wrote it for exactly these WebAssembly bytes and this engine:
//!
//! - The directory holds a secret `key` (32 random bytes, mode 0600) made when the cache is
//!   first used.
//! - An entry is a header (magic, format version, sha256 of the WebAssembly, hash of the
//!   engine's compatibility settings, length of the code), then HMAC-SHA256 under the key of the
//!   header and the code, then the code. Its file name is derived from the key, the digest and
//!   the engine, so it cannot be predicted without the key.
//! - Loading reads the whole entry into memory (at most [`MAX_ENTRY`] bytes), checks the header
//!   against what is being loaded and the MAC in constant time, and only then deserializes the
//!   verified bytes in memory: nothing is read twice. Anything else (another plugin's entry,
//!   corrupted, truncated, planted or written under another key) is discarded with a warning
//!   naming the entry, and the plugin is compiled afresh; the new entry replaces it.
//! - The directory must be a real directory (not a symbolic link) owned by the user and not
//!   writable by group or others, and the key a regular file owned by the user and private to
//!   it; otherwise the cache is refused with a [`CacheError`] that says why and how to fix it.
//!
//! Entries are written to a unique temporary file (created exclusively, mode 0600) and renamed
//! into place. Precompiled code shipped by plugin authors is never accepted.

use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// First bytes of every entry.
const MAGIC: &[u8; 8] = b"demarc\xCA\xC3";
/// Version of the entry layout.
const FORMAT: u32 = 1;
/// magic, format, wasm sha256, engine hash, code length.
const HEADER_LEN: usize = 8 + 4 + 32 + 32 + 8;
/// HMAC-SHA256.
const MAC_LEN: usize = 32;
/// Largest entry the cache reads; anything larger is discarded unread.
const MAX_ENTRY: u64 = 1 << 30;
/// Name of the key file in the cache directory.
const KEY_FILE: &str = "key";
/// Length of the key.
const KEY_LEN: usize = 32;

/// Why a compile cache directory is refused.
#[derive(Debug, thiserror::Error)]
#[error("compile cache `{}` refused: {reason}", path.display())]
pub struct CacheError {
    /// The directory or key file at fault.
    pub path: PathBuf,
    /// Why, and how to fix it.
    pub reason: String,
}

/// Opening failed: the cache is unsafe (refuse the run) or merely unusable (warn, run without).
enum OpenError {
    Unsafe(CacheError),
    Io(PathBuf, std::io::Error),
}

impl From<CacheError> for OpenError {
    fn from(e: CacheError) -> Self {
        OpenError::Unsafe(e)
    }
}

pub(crate) struct CompileCache {
    dir: PathBuf,
    key: [u8; KEY_LEN],
    engine_hash: [u8; 32],
}

impl CompileCache {
    /// Open (creating if need be) the cache in `dir`. `Ok(None)` when it cannot be used for an
    /// ordinary reason (e.g. it cannot be created), which is logged: plugins are then compiled
    /// every run. An unsafe directory or key is an error.
    pub(crate) fn open(dir: &Path, engine: &Engine) -> Result<Option<Self>, CacheError> {
        match Self::try_open(dir, engine) {
            Ok(c) => Ok(Some(c)),
            Err(OpenError::Unsafe(e)) => Err(e),
            Err(OpenError::Io(path, e)) => {
                tracing::warn!(
                    path = %path.display(),
                    "compile cache unusable, plugins are compiled afresh: {e}"
                );
                Ok(None)
            }
        }
    }

    fn try_open(dir: &Path, engine: &Engine) -> Result<Self, OpenError> {
        let io = |e| OpenError::Io(dir.to_path_buf(), e);
        match std::fs::symlink_metadata(dir) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(dir).map_err(io)?
            }
            Err(e) => return Err(io(e)),
        }
        check_dir(dir)?;
        let key = load_or_create_key(dir)?;
        let mut h = ShaHasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
        Ok(CompileCache {
            dir: dir.to_path_buf(),
            key,
            engine_hash: h.0.finalize().into(),
        })
    }

    /// The entry's path: keyed, so that names cannot be predicted without the key.
    fn path(&self, digest: &[u8; 32]) -> PathBuf {
        let mut mac = Hmac::new(&self.key);
        mac.update(b"demarc compile cache entry name\0");
        mac.update(digest);
        mac.update(&self.engine_hash);
        self.dir
            .join(format!("{}.cwasm", hex::encode(mac.finalize())))
    }

    fn header(&self, digest: &[u8; 32], len: u64) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&FORMAT.to_le_bytes());
        h[12..44].copy_from_slice(digest);
        h[44..76].copy_from_slice(&self.engine_hash);
        h[76..84].copy_from_slice(&len.to_le_bytes());
        h
    }

    fn mac(&self, header: &[u8], code: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = Hmac::new(&self.key);
        mac.update(header);
        mac.update(code);
        mac.finalize()
    }

    /// The code of a whole entry, if this cache wrote it for `digest` and this engine.
    fn verify<'a>(&self, digest: &[u8; 32], entry: &'a [u8]) -> Result<&'a [u8], String> {
        if entry.len() < HEADER_LEN + MAC_LEN {
            return Err(format!(
                "it is truncated ({} bytes, shorter than a header)",
                entry.len()
            ));
        }
        let (header, rest) = entry.split_at(HEADER_LEN);
        let (mac, code) = rest.split_at(MAC_LEN);
        if &header[..8] != MAGIC {
            return Err("it is not a demarc compile cache entry".into());
        }
        let format = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
        if format != FORMAT {
            return Err(format!(
                "it has layout version {format}, this demarc writes {FORMAT}"
            ));
        }
        if header[12..44] != digest[..] {
            return Err(format!(
                "it was made for WebAssembly with sha256 {}, not {}",
                hex::encode(&header[12..44]),
                hex::encode(digest)
            ));
        }
        if header[44..76] != self.engine_hash[..] {
            return Err("it was made by another engine build".into());
        }
        let len = u64::from_le_bytes(header[76..84].try_into().unwrap_or_default());
        if len != code.len() as u64 {
            return Err(format!(
                "its header announces {len} bytes of code but it holds {}",
                code.len()
            ));
        }
        if !constant_time_eq(mac, &self.mac(header, code)) {
            return Err(
                "its authentication code does not match: it was not written by this cache for \
                 these bytes, or it was altered since"
                    .into(),
            );
        }
        Ok(code)
    }

    /// The cached component for `sha256` (hex), if there is a verified entry for it.
    pub(crate) fn get(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let digest = parse_digest(sha256)?;
        let path = self.path(&digest);
        let discard = |reason: &str| {
            tracing::warn!(
                entry = %path.display(),
                "discarding compile cache entry {}: {reason}; compiling the plugin afresh",
                path.display()
            );
        };
        let entry = match read_entry(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(reason) => {
                discard(&reason);
                return None;
            }
        };
        let code = match self.verify(&digest, &entry) {
            Ok(code) => code,
            Err(reason) => {
                discard(&reason);
                return None;
            }
        };
        // SAFETY: `code` is the in-memory copy whose MAC, under this cache's private key, binds
        // it to these WebAssembly bytes and this engine; only `put` below computes such MACs,
        // over code this engine serialized. It is never read from the file again.
        match unsafe { Component::deserialize(engine, code) } {
            Ok(c) => Some(c),
            Err(e) => {
                discard(&format!("the engine could not load it: {e}"));
                None
            }
        }
    }

    /// Store a compiled component; failures only cost a recompile next time.
    pub(crate) fn put(&self, sha256: &str, component: &Component) {
        let Some(digest) = parse_digest(sha256) else {
            return;
        };
        let result = (|| -> std::io::Result<()> {
            let code = component.serialize().map_err(std::io::Error::other)?;
            let header = self.header(&digest, code.len() as u64);
            let mac = self.mac(&header, &code);
            let tmp = write_private_tmp(&self.dir, &[&header, &mac, &code])?;
            std::fs::rename(&tmp, self.path(&digest)).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        })();
        if let Err(e) = result {
            tracing::warn!(dir = %self.dir.display(), "could not write the compile cache: {e}");
        }
    }
}

fn parse_digest(sha256: &str) -> Option<[u8; 32]> {
    hex::decode(sha256).ok()?.try_into().ok()
}

/// The whole entry, `None` when there is none, or why it cannot be read.
fn read_entry(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let file = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if is_symlink_error(&e) => return Err("it is a symbolic link".into()),
        Err(e) => return Err(format!("it cannot be opened: {e}")),
    };
    let md = file
        .metadata()
        .map_err(|e| format!("it cannot be examined: {e}"))?;
    if !md.is_file() {
        return Err("it is not a regular file".into());
    }
    if md.len() > MAX_ENTRY {
        return Err(format!(
            "it is {} bytes, more than the {MAX_ENTRY} an entry may have",
            md.len()
        ));
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    file.take(MAX_ENTRY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("it cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_ENTRY {
        return Err(format!(
            "it grew past the {MAX_ENTRY} bytes an entry may have"
        ));
    }
    Ok(Some(bytes))
}

/// Open for reading without following a symbolic link in the last component and without
/// blocking on a FIFO.
fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o.open(path)
}

fn is_symlink_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The directory is a real directory, owned by the user, not writable by group or others.
fn check_dir(dir: &Path) -> Result<(), OpenError> {
    let refuse = |reason: String| {
        OpenError::Unsafe(CacheError {
            path: dir.to_path_buf(),
            reason,
        })
    };
    let md = std::fs::symlink_metadata(dir).map_err(|e| OpenError::Io(dir.to_path_buf(), e))?;
    if md.file_type().is_symlink() {
        return Err(refuse(
            "it is a symbolic link; give the real directory with --cache-dir".into(),
        ));
    }
    if !md.is_dir() {
        return Err(refuse(
            "it is not a directory; remove it or choose another with --cache-dir".into(),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if md.uid() != euid() {
            return Err(refuse(format!(
                "it is owned by uid {}, not by this user (uid {}), who could not trust the code \
                 in it; use a directory of your own with --cache-dir, or --no-cache",
                md.uid(),
                euid()
            )));
        }
        let mode = md.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(refuse(format!(
                "it is writable by group or others (mode {mode:04o}), who could plant code in \
                 it; make it private with `chmod 700 {}`",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The cache key: read, after checking it is private, or made afresh.
fn load_or_create_key(dir: &Path) -> Result<[u8; KEY_LEN], OpenError> {
    let path = dir.join(KEY_FILE);
    let io = |e| OpenError::Io(path.clone(), e);
    match open_nofollow(&path) {
        Ok(f) => return read_key(f, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if is_symlink_error(&e) => {
            return Err(CacheError {
                path,
                reason: "the key is a symbolic link; remove it (a new key is made and the \
                         cache rebuilt)"
                    .into(),
            }
            .into());
        }
        Err(e) => return Err(io(e)),
    }
    let mut key = [0u8; KEY_LEN];
    random(&mut key).map_err(io)?;
    let tmp = write_private_tmp(dir, &[&key]).map_err(io)?;
    // A hard link never replaces an existing file: when another run made the key meanwhile,
    // use that one.
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(open_nofollow(&path).map_err(io)?, &path)
        }
        Err(e) => Err(io(e)),
    }
}

fn read_key(mut file: File, path: &Path) -> Result<[u8; KEY_LEN], OpenError> {
    let refuse = |reason: String| {
        OpenError::Unsafe(CacheError {
            path: path.to_path_buf(),
            reason,
        })
    };
    let io = |e| OpenError::Io(path.to_path_buf(), e);
    let md = file.metadata().map_err(io)?;
    if !md.is_file() {
        return Err(refuse(
            "the key is not a regular file; remove it (a new key is made and the cache rebuilt)"
                .into(),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if md.uid() != euid() {
            return Err(refuse(format!(
                "the key is owned by uid {}, not by this user (uid {}); remove it (a new key is \
                 made and the cache rebuilt)",
                md.uid(),
                euid()
            )));
        }
        let mode = md.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(refuse(format!(
                "the key is readable or writable by group or others (mode {mode:04o}), so it \
                 may be known; remove it (a new key is made and the cache rebuilt)"
            )));
        }
    }
    if md.len() != KEY_LEN as u64 {
        return Err(refuse(format!(
            "the key is {} bytes, not {KEY_LEN}; remove it (a new key is made and the cache \
             rebuilt)",
            md.len()
        )));
    }
    let mut key = [0u8; KEY_LEN];
    file.read_exact(&mut key).map_err(io)?;
    Ok(key)
}

/// Fill `buf` from the operating system's random source.
fn random(buf: &mut [u8]) -> std::io::Result<()> {
    File::open("/dev/urandom")?.read_exact(buf)
}

/// Write `parts` to a fresh file of a unique name in `dir`, created exclusively and private to
/// the user, synced; its path.
fn write_private_tmp(dir: &Path, parts: &[&[u8]]) -> std::io::Result<PathBuf> {
    let mut last = None;
    for _ in 0..16 {
        let mut nonce = [0u8; 8];
        random(&mut nonce)?;
        let path = dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            hex::encode(nonce)
        ));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        match o.open(&path) {
            Ok(mut f) => {
                let written = parts
                    .iter()
                    .try_for_each(|p| f.write_all(p))
                    .and_then(|()| f.sync_all());
                return match written {
                    Ok(()) => Ok(path),
                    Err(e) => {
                        let _ = std::fs::remove_file(&path);
                        Err(e)
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no unique temporary name")))
}

/// Feeds what is hashed into SHA-256, to turn wasmtime's compatibility hash into a stable digest.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

/// HMAC-SHA256 (RFC 2104).
struct Hmac {
    inner: Sha256,
    outer_pad: [u8; 64],
}

impl Hmac {
    fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut inner_pad = k;
        let mut outer_pad = k;
        inner_pad.iter_mut().for_each(|b| *b ^= 0x36);
        outer_pad.iter_mut().for_each(|b| *b ^= 0x5c);
        let mut inner = Sha256::new();
        inner.update(inner_pad);
        Hmac { inner, outer_pad }
    }

    fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    fn finalize(self) -> [u8; 32] {
        let mut outer = Sha256::new();
        outer.update(self.outer_pad);
        outer.update(self.inner.finalize());
        outer.finalize().into()
    }
}

/// Equal, in time that depends only on the length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac(key: &[u8], data: &[u8]) -> String {
        let mut m = Hmac::new(key);
        m.update(data);
        hex::encode(m.finalize())
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hmac(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn constant_time_eq_compares_every_byte_and_the_length() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"bbcd"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
    }
}
