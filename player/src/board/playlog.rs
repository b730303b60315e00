//! Proof of play, kept on the board until the manager has it.
//!
//! Every item start, end and interruption is appended as one JSON line to
//! `playlog/pending.jsonl` and synced before the player goes on, so a power
//! cut loses at most the line being written (a torn last line is skipped
//! on reading). Uploads send the oldest events in batches; once the manager
//! acknowledges a batch the file is rewritten without them. Sequence
//! numbers only grow (the last one is kept in `playlog/seq`), so the
//! manager stores a re-sent event once.

use anyhow::{Context, Result};
use bangtin_layouts::wire::PlayEvent;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct PlayLog {
    dir: PathBuf,
    file: std::fs::File,
    last_seq: u64,
}

impl PlayLog {
    pub fn open(data_dir: &Path) -> Result<PlayLog> {
        let dir = data_dir.join("playlog");
        std::fs::create_dir_all(&dir).with_context(|| format!("không tạo được thư mục {}", dir.display()))?;
        let stored: u64 = std::fs::read_to_string(dir.join("seq"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let pending = read_events(&dir.join("pending.jsonl"));
        let last_seq = pending.iter().map(|e| e.seq).max().unwrap_or(0).max(stored);
        let mut file = Self::open_append(&dir)?;
        // After a torn last line, start on a fresh line.
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > 0 && std::fs::read(dir.join("pending.jsonl")).is_ok_and(|b| b.last() != Some(&b'\n')) {
            file.write_all(b"\n").context("không ghi được nhật ký phát")?;
        }
        Ok(PlayLog { dir, file, last_seq })
    }

    fn open_append(dir: &Path) -> Result<std::fs::File> {
        let p = dir.join("pending.jsonl");
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .with_context(|| format!("không mở được {} (cannot open play log)", p.display()))
    }

    /// Append events (their `seq` is assigned here) and sync.
    pub fn append(&mut self, events: impl IntoIterator<Item = PlayEvent>) -> Result<()> {
        let mut buf = Vec::new();
        for mut e in events {
            self.last_seq += 1;
            e.seq = self.last_seq;
            serde_json::to_writer(&mut buf, &e).context("sự kiện không tuần tự hóa được")?;
            buf.push(b'\n');
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&buf)
            .and_then(|_| self.file.sync_data())
            .context("không ghi được nhật ký phát (cannot write play log)")
    }

    /// The oldest `max` events not yet acknowledged.
    pub fn pending(&self, max: usize) -> Vec<PlayEvent> {
        let mut v = read_events(&self.dir.join("pending.jsonl"));
        v.truncate(max);
        v
    }

    /// The manager holds every event up to `seq`: forget them.
    pub fn acknowledge(&mut self, seq: u64) -> Result<()> {
        crate::board::cache::write_atomic(&self.dir.join("seq"), self.last_seq.to_string().as_bytes(), 0o644)?;
        let rest: Vec<PlayEvent> = read_events(&self.dir.join("pending.jsonl"))
            .into_iter()
            .filter(|e| e.seq > seq)
            .collect();
        let mut buf = Vec::new();
        for e in &rest {
            serde_json::to_writer(&mut buf, e).context("sự kiện không tuần tự hóa được")?;
            buf.push(b'\n');
        }
        crate::board::cache::write_atomic(&self.dir.join("pending.jsonl"), &buf, 0o644)?;
        self.file = Self::open_append(&self.dir)?;
        Ok(())
    }
}

fn read_events(path: &Path) -> Vec<PlayEvent> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        // A line torn by a power cut does not parse and is dropped.
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::wire::PlayKind;

    fn ev(kind: PlayKind) -> PlayEvent {
        let now = chrono::Utc::now();
        PlayEvent {
            seq: 0,
            kind,
            at: now,
            started: now,
            show_version: 1,
            layout: "l".into(),
            zone: "z".into(),
            item: 0,
            item_kind: "text".into(),
            label: "Thông báo".into(),
        }
    }

    #[test]
    fn survives_reopen_torn_lines_and_acknowledgement() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = PlayLog::open(dir.path()).unwrap();
        log.append([ev(PlayKind::Start), ev(PlayKind::End), ev(PlayKind::Start)])
            .unwrap();
        // A torn last line, as after a power cut.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("playlog/pending.jsonl"))
            .unwrap()
            .write_all(b"{\"seq\":4,\"ki")
            .unwrap();
        drop(log);
        let mut log = PlayLog::open(dir.path()).unwrap();
        let p = log.pending(10);
        assert_eq!(p.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        log.acknowledge(2).unwrap();
        assert_eq!(log.pending(10).iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
        log.acknowledge(3).unwrap();
        drop(log);
        // Numbers are never reused, even with nothing pending.
        let mut log = PlayLog::open(dir.path()).unwrap();
        log.append([ev(PlayKind::End)]).unwrap();
        assert_eq!(log.pending(10)[0].seq, 4);
    }
}
