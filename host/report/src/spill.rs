//! Groups of findings set aside while a report streams: formats that group findings (SARIF
//! writes one run per plugin) collect each group here and copy it out at the end. A group lives
//! in memory or in a temporary file of the caller's directory, named with the caller's prefix
//! ([`crate::Spill`]); the files are removed when the groups are dropped, on success and on
//! error alike.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
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

impl Groups {
    /// An owned reader of group `i` from its start; a group in memory is moved into the reader
    /// (and left empty).
    pub fn take_reader(&mut self, i: usize) -> std::io::Result<Box<dyn BufRead>> {
        Ok(match &mut self.groups[i] {
            Group::Memory(v) => Box::new(std::io::Cursor::new(std::mem::take(v))),
            Group::File { path, w } => {
                w.flush()?;
                Box::new(BufReader::with_capacity(1 << 16, File::open(&*path)?))
            }
        })
    }

    /// A reader of group `i` from byte `offset`.
    pub fn read_at(&mut self, i: usize, offset: u64) -> std::io::Result<Box<dyn BufRead + '_>> {
        Ok(match &mut self.groups[i] {
            Group::Memory(v) => Box::new(&v[offset as usize..]),
            Group::File { path, w } => {
                w.flush()?;
                let mut file = File::open(&*path)?;
                file.seek(SeekFrom::Start(offset))?;
                Box::new(BufReader::with_capacity(1 << 16, file))
            }
        })
    }
}

/// Records `(key, seq, payload)` sorted by key, then seq, in bounded memory: records are
/// buffered up to a budget, each full buffer is sorted and set aside as a run (see [`Groups`]),
/// and the runs are merged at the end. Keys and payloads must not contain a line break.
pub struct Sorter {
    runs: Groups,
    buf: Vec<(String, u64, String)>,
    bytes: usize,
    budget: usize,
}

impl Sorter {
    /// An empty sorter that sets aside runs named with `tag` once `budget` bytes are buffered.
    pub fn new(spill: &Spill, tag: &'static str, budget: usize) -> Sorter {
        Sorter {
            runs: Groups::new(spill, tag),
            buf: Vec::new(),
            bytes: 0,
            budget,
        }
    }

    /// Add a record.
    pub fn push(&mut self, key: String, seq: u64, payload: String) -> std::io::Result<()> {
        self.bytes += key.len() + payload.len() + 64;
        self.buf.push((key, seq, payload));
        if self.bytes >= self.budget {
            self.set_aside()?;
        }
        Ok(())
    }

    fn set_aside(&mut self) -> std::io::Result<()> {
        self.buf
            .sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let i = self.runs.create()?;
        let w = self.runs.writer(i);
        for (key, seq, payload) in self.buf.drain(..) {
            serde_json::to_writer(&mut *w, &key)?;
            writeln!(w, "\t{seq}\t{payload}")?;
        }
        self.bytes = 0;
        Ok(())
    }

    /// Every record, in order.
    pub fn merge(mut self) -> std::io::Result<Merge> {
        if self.runs.groups.is_empty() {
            self.buf
                .sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            let buf = std::mem::take(&mut self.buf);
            return Ok(Merge {
                _runs: self.runs,
                memory: buf.into_iter(),
                readers: Vec::new(),
                heap: std::collections::BinaryHeap::new(),
            });
        }
        if !self.buf.is_empty() {
            self.set_aside()?;
        }
        let mut readers = Vec::new();
        for i in 0..self.runs.groups.len() {
            readers.push(self.runs.take_reader(i)?);
        }
        let mut m = Merge {
            _runs: std::mem::replace(&mut self.runs, Groups::new(&Spill::Memory, "")),
            memory: Vec::new().into_iter(),
            readers,
            heap: std::collections::BinaryHeap::new(),
        };
        for i in 0..m.readers.len() {
            m.refill(i)?;
        }
        Ok(m)
    }
}

type Entry = std::cmp::Reverse<(String, u64, String, usize)>;

/// The merged records of a [`Sorter`]; its temporary files are removed when it is dropped.
pub struct Merge {
    _runs: Groups,
    memory: std::vec::IntoIter<(String, u64, String)>,
    readers: Vec<Box<dyn BufRead>>,
    heap: std::collections::BinaryHeap<Entry>,
}

impl Merge {
    fn refill(&mut self, i: usize) -> std::io::Result<()> {
        let mut line = String::new();
        if self.readers[i].read_line(&mut line)? == 0 {
            return Ok(());
        }
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "corrupt sort run");
        let line = line.strip_suffix('\n').ok_or_else(bad)?;
        let (key, rest) = line.split_once('\t').ok_or_else(bad)?;
        let (seq, payload) = rest.split_once('\t').ok_or_else(bad)?;
        let key: String = serde_json::from_str(key)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        self.heap
            .push(std::cmp::Reverse((key, seq, payload.to_string(), i)));
        Ok(())
    }

    /// The next record.
    pub fn next_record(&mut self) -> std::io::Result<Option<(String, u64, String)>> {
        if self.readers.is_empty() {
            return Ok(self.memory.next());
        }
        let Some(std::cmp::Reverse((key, seq, payload, i))) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(i)?;
        Ok(Some((key, seq, payload)))
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
