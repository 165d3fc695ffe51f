//! Groups of findings set aside while a report streams: formats that group findings (SARIF
//! writes one run per plugin) collect each group here and copy it out at the end. A group lives
//! in memory or in a temporary file of the caller's directory, named with the caller's prefix
//! ([`crate::Spill`]); the files are removed when the groups are dropped, on success and on
//! error alike.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use crate::Spill;

enum Group {
    Memory(Vec<u8>),
    File { path: PathBuf, w: BufWriter<File> },
}

/// Line-oriented groups (one JSON value per line).
pub struct Groups {
    spill: Spill,
    tag: &'static str,
    groups: Vec<Group>,
}

impl Groups {
    /// No groups yet; files, if any, are named `<prefix><tag>-<n>.tmp`.
    pub fn new(spill: &Spill, tag: &'static str) -> Groups {
        Groups {
            spill: spill.clone(),
            tag,
            groups: Vec::new(),
        }
    }

    /// A new, empty group.
    pub fn create(&mut self) -> std::io::Result<usize> {
        let g = match &self.spill {
            Spill::Memory => Group::Memory(Vec::new()),
            Spill::Dir { dir, prefix } => {
                let path = dir.join(format!("{prefix}{}-{}.tmp", self.tag, self.groups.len()));
                let file = File::options()
                    .write(true)
                    .read(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                Group::File {
                    path,
                    w: BufWriter::with_capacity(1 << 16, file),
                }
            }
        };
        self.groups.push(g);
        Ok(self.groups.len() - 1)
    }

    /// Where to append to group `i`.
    pub fn writer(&mut self, i: usize) -> &mut dyn Write {
        match &mut self.groups[i] {
            Group::Memory(v) => v,
            Group::File { w, .. } => w,
        }
    }

    /// The lines of group `i`, from its start.
    pub fn read(
        &mut self,
        i: usize,
    ) -> std::io::Result<Box<dyn Iterator<Item = std::io::Result<String>> + '_>> {
        Ok(match &mut self.groups[i] {
            Group::Memory(v) => Box::new(v.as_slice().lines()),
            Group::File { path, w } => {
                w.flush()?;
                let file = File::open(&*path)?;
                Box::new(BufReader::with_capacity(1 << 16, file).lines())
            }
        })
    }
}

impl Drop for Groups {
    fn drop(&mut self) {
        for g in &self.groups {
            if let Group::File { path, .. } = g {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
