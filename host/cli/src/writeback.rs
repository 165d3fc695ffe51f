//! A file written front to back (the report being assembled) whose written parts are handed to
//! the kernel for writing back while the run goes on, so that the `fsync` that publishes the
//! file (see `publish`) finds little left to write. At 1M resources the report is about 2 GB:
//! left to the end, its writeback held publication up for more than half a second.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// Bytes written between two requests for writeback.
const STEP: u64 = 32 << 20;

/// A new file, written only through this (its length is what was written).
pub struct Writeback {
    file: File,
    written: u64,
    /// Where the part not yet handed to the kernel starts.
    started: u64,
}

impl Writeback {
    pub fn new(file: File) -> Writeback {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }

    /// Append `len` bytes of `from`, starting at its offset `at`: copied within the kernel
    /// where the platform can (`copy_file_range` on Linux), never through a buffer of ours.
    pub fn append_from(&mut self, from: &File, at: u64, len: u64) -> std::io::Result<()> {
        let mut from = from;
        from.seek(SeekFrom::Start(at))?;
        let copied = std::io::copy(&mut from.take(len), &mut &self.file)?;
        self.advance(copied);
        if copied != len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{copied} of {len} bytes could be read"),
            ));
        }
        Ok(())
    }

    fn advance(&mut self, n: u64) {
        self.written += n;
        if self.written - self.started >= STEP {
            start_writeback(&self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Ask the kernel to start writing `len` bytes of `file` from `offset` back to the disk,
/// without waiting for it. Advice only: where it cannot be given, the `fsync` does it all.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is open for as long as `file` lives; sync_file_range reads no
    // memory of ours. Its result is advice only (see above), so an error is ignored.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_appends_ranges_of_another_file_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let src_path = dir.path().join("src");
        // Larger than a writeback step, so that writeback is requested along the way.
        let big: Vec<u8> = (0..(STEP as usize + 4096))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&src_path, &big).unwrap();
        let src = File::open(&src_path).unwrap();
        let out_path = dir.path().join("out");
        let mut w = Writeback::new(File::create(&out_path).unwrap());
        w.write_all(b"head:").unwrap();
        w.append_from(&src, 10, 5).unwrap();
        w.append_from(&src, 0, big.len() as u64).unwrap();
        w.write_all(b":tail").unwrap();
        w.flush().unwrap();
        let mut expected = b"head:".to_vec();
        expected.extend_from_slice(&big[10..15]);
        expected.extend_from_slice(&big);
        expected.extend_from_slice(b":tail");
        assert_eq!(std::fs::read(&out_path).unwrap(), expected);
        assert_eq!(w.written, expected.len() as u64);
        assert!(w.started > 0, "no writeback was requested");
        // A range past the end of the source is an error, not a short file.
        let err = w.append_from(&src, big.len() as u64 - 2, 10).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
