//! Append-only logs bucketed by time, for what arrives all day and is
//! dropped by age: boards' proof of play and heartbeat history.
//!
//! Why not the key-value store: sled is a log-structured store that gives
//! back the space of deleted and rewritten records only when it cleans a
//! segment, and under a province's steady stream of inserts and deletes it
//! did not (issue #14: 4,000 boards grew the data directory by 13 MiB a
//! minute once old proof of play was deleted, and the manager's memory
//! with it). Here a record is written once, at the end of a file, and
//! retention removes whole files: the disk holds what is kept and no more.
//!
//! A log is `{root}/{stream}/{bucket}/{board}.jsonl`: one JSON record a
//! line. A *bucket* names a period (`2026-12-07` or `2026-12-07T0910`), so
//! names sort by time, and dropping a period removes one directory.
//! Appends are durable at the store's next flush ([`Journal::sync`]); a
//! line torn by a crash is skipped by readers and never glued to the next
//! record. A PostgreSQL store (issue #16) keeps the same logs as a table
//! partitioned by bucket. A backup copies the logs as they were at one
//! instant while appends go on ([`crate::freeze`]): an append keeps the
//! log's length first, and removals wait for the copy.

use crate::freeze::Freeze;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The logs of one kind of record (a directory under the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Proof of play as uploaded, bucketed by the UTC ten minutes it arrived.
    Play,
    /// Heartbeat history, bucketed by UTC date.
    Beats,
}

impl Stream {
    pub const ALL: [Stream; 2] = [Stream::Play, Stream::Beats];

    pub fn dir(self) -> &'static str {
        match self {
            Stream::Play => "play",
            Stream::Beats => "beats",
        }
    }
}

/// Complete records read from a log, and the position after the last one
/// (where the next read starts).
#[derive(Debug, Default)]
pub struct Records {
    pub records: Vec<Vec<u8>>,
    pub end: u64,
}

/// What went wrong, and with which file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct JournalError {
    pub path: String,
    pub source: std::io::Error,
}

pub type Result<T> = std::result::Result<T, JournalError>;

fn io_err(path: &Path, e: std::io::Error) -> JournalError {
    JournalError {
        path: path.display().to_string(),
        source: e,
    }
}

/// A bucket or board name: what can be a file name and sorts as written.
fn safe(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Logs kept elsewhere than in files: a PostgreSQL store's table
/// ([`crate::pg`]). Names reach it already checked; positions are its own
/// (0 is the start), opaque to readers.
pub trait Logs: Send + Sync + std::fmt::Debug {
    fn append(&self, stream: &str, bucket: &str, board: &str, records: &[Vec<u8>]) -> Result<()>;
    fn read(&self, stream: &str, bucket: &str, board: &str, from: u64) -> Result<Records>;
    /// Oldest first.
    fn buckets(&self, stream: &str) -> Result<Vec<String>>;
    fn boards(&self, stream: &str, bucket: &str) -> Result<Vec<String>>;
    fn remove(&self, stream: &str, bucket: &str, board: &str) -> Result<()>;
    fn drop_bucket(&self, stream: &str, bucket: &str) -> Result<()>;
    fn forget(&self, board: &str) -> Result<()>;
    fn size(&self) -> u64;
}

/// The files under one directory, or [`Logs`] kept elsewhere.
#[derive(Debug)]
pub struct Journal {
    /// Empty for logs kept elsewhere.
    root: PathBuf,
    other: Option<Box<dyn Logs>>,
    /// Files appended to since the last [`Journal::sync`].
    dirty: Mutex<BTreeSet<PathBuf>>,
    /// Shared with the store the logs belong to.
    freeze: Arc<Freeze>,
}

impl Journal {
    pub fn open(root: &Path) -> Result<Journal> {
        std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
        Ok(Journal {
            root: root.to_path_buf(),
            other: None,
            dirty: Mutex::default(),
            freeze: Freeze::new(),
        })
    }

    /// Logs kept by `logs` (a database), not in files.
    pub fn with_logs(logs: Box<dyn Logs>) -> Journal {
        Journal {
            root: PathBuf::new(),
            other: Some(logs),
            dirty: Mutex::default(),
            freeze: Freeze::new(),
        }
    }

    /// Where the logs are: None when not in files.
    pub fn root(&self) -> Option<&Path> {
        self.other.is_none().then_some(self.root.as_path())
    }

    /// The point-in-time machinery of these logs and their store.
    pub fn freeze(&self) -> &Arc<Freeze> {
        &self.freeze
    }

    fn file(&self, stream: Stream, bucket: &str, board: &str) -> Result<PathBuf> {
        if !safe(bucket) || !safe(board) {
            return Err(io_err(
                &Path::new(stream.dir()).join(bucket).join(board),
                std::io::Error::new(ErrorKind::InvalidInput, "tên nhật ký không hợp lệ (bad log name)"),
            ));
        }
        Ok(self.root.join(stream.dir()).join(bucket).join(format!("{board}.jsonl")))
    }

    /// Append `records` (JSON, no newline inside) to a board's log of a
    /// bucket, in one write. Durable at the next [`Journal::sync`].
    pub fn append(&self, stream: Stream, bucket: &str, board: &str, records: &[Vec<u8>]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let path = self.file(stream, bucket, board)?;
        if let Some(l) = &self.other {
            return l.append(stream.dir(), bucket, board, records);
        }
        let mut buf = Vec::with_capacity(records.iter().map(|r| r.len() + 1).sum::<usize>() + 1);
        // Held until written: a backup's instant falls before or after.
        let writing = self.freeze.writing();
        let mut f = match OpenOptions::new().read(true).append(true).open(&path) {
            Ok(f) => {
                // A crash mid-write leaves a line without its newline:
                // end it, so the torn record is skipped alone.
                let len = f.metadata().map_err(|e| io_err(&path, e))?.len();
                if let Some(frozen) = writing.as_ref() {
                    frozen.keep_log(&path, len);
                }
                let mut last = [0u8];
                if len > 0 && f.read_exact_at(&mut last, len - 1).is_ok() && last[0] != b'\n' {
                    buf.push(b'\n');
                }
                f
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if let Some(frozen) = writing.as_ref() {
                    frozen.keep_log(&path, 0);
                }
                let dir = path.parent().expect("a log has a directory");
                std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                let f = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .map_err(|e| io_err(&path, e))?;
                // The new name must survive a crash too.
                self.mark(dir.to_path_buf());
                if let Some(stream_dir) = dir.parent() {
                    self.mark(stream_dir.to_path_buf());
                }
                f
            }
            Err(e) => return Err(io_err(&path, e)),
        };
        for r in records {
            debug_assert!(!r.contains(&b'\n'));
            buf.extend_from_slice(r);
            buf.push(b'\n');
        }
        f.write_all(&buf).map_err(|e| io_err(&path, e))?;
        drop(writing);
        self.mark(path);
        Ok(())
    }

    fn mark(&self, path: PathBuf) {
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner).insert(path);
    }

    /// Make every append so far durable (one `fdatasync` a file written).
    pub fn sync(&self) -> Result<()> {
        // Logs kept elsewhere commit each append.
        let files = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner));
        for p in files {
            match File::open(&p) {
                Ok(f) => f.sync_data().map_err(|e| io_err(&p, e))?,
                // Removed since (compacted, pruned, its board deleted).
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&p, e)),
            }
        }
        Ok(())
    }

    /// The complete records of a board's log from position `from` (0: the
    /// start). A missing log reads as empty; a torn line is skipped.
    pub fn read(&self, stream: Stream, bucket: &str, board: &str, from: u64) -> Result<Records> {
        let path = self.file(stream, bucket, board)?;
        if let Some(l) = &self.other {
            return l.read(stream.dir(), bucket, board, from);
        }
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Ok(Records {
                    records: Vec::new(),
                    end: from,
                });
            }
            Err(e) => return Err(io_err(&path, e)),
        };
        f.seek(SeekFrom::Start(from)).map_err(|e| io_err(&path, e))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(|e| io_err(&path, e))?;
        // Only up to the last newline: a record being written is not read.
        let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let records = buf[..complete]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        Ok(Records {
            records,
            end: from + complete as u64,
        })
    }

    /// A stream's buckets, oldest first.
    pub fn buckets(&self, stream: Stream) -> Result<Vec<String>> {
        if let Some(l) = &self.other {
            return l.buckets(stream.dir());
        }
        let mut v = names(&self.root.join(stream.dir()), true)?;
        v.sort();
        Ok(v)
    }

    /// The boards with a log in a bucket.
    pub fn boards(&self, stream: Stream, bucket: &str) -> Result<Vec<String>> {
        if !safe(bucket) {
            return Ok(Vec::new());
        }
        if let Some(l) = &self.other {
            return l.boards(stream.dir(), bucket);
        }
        Ok(names(&self.root.join(stream.dir()).join(bucket), false)?
            .into_iter()
            .filter_map(|n| n.strip_suffix(".jsonl").map(str::to_string))
            .collect())
    }

    /// Remove a board's log of a bucket (gone already: fine).
    pub fn remove(&self, stream: Stream, bucket: &str, board: &str) -> Result<()> {
        let path = self.file(stream, bucket, board)?;
        if let Some(l) = &self.other {
            return l.remove(stream.dir(), bucket, board);
        }
        let _copied = self.freeze.removing();
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err(&path, e)),
            _ => Ok(()),
        }
    }

    /// Remove a bucket and every log in it.
    pub fn drop_bucket(&self, stream: Stream, bucket: &str) -> Result<()> {
        if !safe(bucket) {
            return Ok(());
        }
        if let Some(l) = &self.other {
            return l.drop_bucket(stream.dir(), bucket);
        }
        let dir = self.root.join(stream.dir()).join(bucket);
        let _copied = self.freeze.removing();
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err(&dir, e)),
            _ => Ok(()),
        }
    }

    /// Remove a bucket if no log is left in it.
    pub fn drop_if_empty(&self, stream: Stream, bucket: &str) -> Result<()> {
        if self.boards(stream, bucket)?.is_empty() {
            self.drop_bucket(stream, bucket)?;
        }
        Ok(())
    }

    /// Remove every log of a board (the board was deleted).
    pub fn forget(&self, board: &str) -> Result<()> {
        if let Some(l) = &self.other {
            return l.forget(board);
        }
        for stream in Stream::ALL {
            for bucket in self.buckets(stream)? {
                self.remove(stream, &bucket, board)?;
            }
        }
        Ok(())
    }

    /// Bytes in every log.
    pub fn size(&self) -> u64 {
        if let Some(l) = &self.other {
            return l.size();
        }
        dir_bytes(&self.root)
    }
}

/// Bytes of the files under `p`, however deep (0 when it cannot be read).
pub fn dir_bytes(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => dir_bytes(&e.path()),
                    _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Names in `dir` (directories or files, as asked); a missing `dir` has none.
fn names(dir: &Path, dirs: bool) -> Result<Vec<String>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir, e)),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| io_err(dir, e))?;
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir == dirs
            && let Some(n) = e.file_name().to_str()
            && safe(n)
        {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(r: &Records) -> Vec<String> {
        r.records
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn appends_read_back_from_a_position_and_buckets_go_whole() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        j.append(
            Stream::Play,
            "2026-12-07T09",
            "b1",
            &[b"{\"a\":1}".to_vec(), b"{\"a\":2}".to_vec()],
        )
        .unwrap();
        j.append(Stream::Play, "2026-12-07T10", "b1", &[b"{\"a\":3}".to_vec()])
            .unwrap();
        j.append(Stream::Play, "2026-12-07T10", "b2", &[b"{\"b\":1}".to_vec()])
            .unwrap();
        j.sync().unwrap();
        assert_eq!(j.buckets(Stream::Play).unwrap(), ["2026-12-07T09", "2026-12-07T10"]);
        assert!(j.buckets(Stream::Beats).unwrap().is_empty());
        let mut boards = j.boards(Stream::Play, "2026-12-07T10").unwrap();
        boards.sort();
        assert_eq!(boards, ["b1", "b2"]);
        let r = j.read(Stream::Play, "2026-12-07T09", "b1", 0).unwrap();
        assert_eq!(lines(&r), ["{\"a\":1}", "{\"a\":2}"]);
        j.append(Stream::Play, "2026-12-07T09", "b1", &[b"{\"a\":4}".to_vec()])
            .unwrap();
        let more = j.read(Stream::Play, "2026-12-07T09", "b1", r.end).unwrap();
        assert_eq!(lines(&more), ["{\"a\":4}"], "only what came after the position");
        let none = j.read(Stream::Play, "2026-12-07T09", "nobody", 7).unwrap();
        assert!(none.records.is_empty());
        assert_eq!(none.end, 7);
        j.forget("b1").unwrap();
        assert!(
            j.read(Stream::Play, "2026-12-07T10", "b1", 0)
                .unwrap()
                .records
                .is_empty()
        );
        j.drop_if_empty(Stream::Play, "2026-12-07T09").unwrap();
        j.drop_if_empty(Stream::Play, "2026-12-07T10").unwrap();
        assert_eq!(j.buckets(Stream::Play).unwrap(), ["2026-12-07T10"], "b2's log is left");
        j.drop_bucket(Stream::Play, "2026-12-07T10").unwrap();
        assert!(j.buckets(Stream::Play).unwrap().is_empty());
        assert_eq!(j.size(), 0, "the disk holds nothing once dropped");
        assert!(j.append(Stream::Play, "../x", "b1", &[b"{}".to_vec()]).is_err());
        assert!(j.append(Stream::Play, "2026", "../b1", &[b"{}".to_vec()]).is_err());
    }

    /// A crash mid-write leaves half a record: readers skip it, and the
    /// next append starts on a line of its own; an unfinished last line is
    /// not read until it is finished.
    #[test]
    fn a_torn_record_is_skipped_alone() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        j.append(Stream::Beats, "2026-12-07", "b1", &[b"{\"n\":1}".to_vec()])
            .unwrap();
        let path = dir.path().join("beats/2026-12-07/b1.jsonl");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"n\":2, \"to").unwrap();
        let r = j.read(Stream::Beats, "2026-12-07", "b1", 0).unwrap();
        assert_eq!(lines(&r), ["{\"n\":1}"], "the unfinished line is not read");
        j.append(Stream::Beats, "2026-12-07", "b1", &[b"{\"n\":3}".to_vec()])
            .unwrap();
        let r = j.read(Stream::Beats, "2026-12-07", "b1", 0).unwrap();
        assert_eq!(lines(&r), ["{\"n\":1}", "{\"n\":2, \"to", "{\"n\":3}"]);
        let parsed: Vec<serde_json::Value> = r
            .records
            .iter()
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        assert_eq!(parsed.len(), 2, "the torn record alone is lost");
    }
}
