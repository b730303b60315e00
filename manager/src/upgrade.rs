//! Reading a data directory written by an older version: what it kept
//! in another form is moved into today's, once, at start.
//!
//! The directory records its format in a small file, `DATA/format` (the
//! number and a newline), read before anything else is opened: a manager
//! finding a format newer than [`FORMAT`] refuses to start and writes
//! nothing; one finding an older format (or none: a directory from before
//! formats were recorded counts as 0) runs the [`MIGRATIONS`] above it in
//! order, recording each version once its migration is done, so a stop
//! half-way resumes with the next. A file rather than a record in the
//! store: opening sled may write to its files, and a manager refusing a
//! newer directory must not touch it.

use crate::journal::Stream;
use crate::live::{BeatEntry, beat_bucket};
use crate::store::{Op, Result, Store, StoreExt, prefix_end};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// The format of data directories this manager writes.
///
/// | version | what changed |
/// |---|---|
/// | 0 | no `format` file: everything before formats were recorded |
/// | 1 | proof of play and heartbeat history in the logs (`journal/`), not in sled; a restored store's ids start above its backup's (`meta/id-floor`) |
pub const FORMAT: u32 = 1;

/// The file recording the format, in the data directory.
pub const FORMAT_FILE: &str = "format";

/// One step forward: what a directory of version `to - 1` needs to be `to`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub to: u32,
    pub what: &'static str,
    pub run: fn(&dyn Store) -> Result<()>,
}

/// Every migration, by version. Each must be safe to run again (a stop
/// before its version is recorded runs it once more).
pub const MIGRATIONS: &[Migration] = &[Migration {
    to: 1,
    what: "nhật ký phát và nhịp chuyển từ sled sang journal/ (proof of play and heartbeat history into the logs)",
    run: |store| {
        let moved = move_old_records(store, Utc::now())?;
        if moved > 0 {
            tracing::info!("đã chuyển {moved} bản ghi phát và nhịp cũ sang nhật ký (records moved to the journal)");
        }
        Ok(())
    },
}];

/// Why a data directory cannot be used by this manager.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "thư mục dữ liệu {dir} có định dạng {found}, mới hơn định dạng {known} mà bản bangtin-manager này \
         hiểu; hãy chạy bản mới hơn, hoặc khôi phục một bản sao lưu vào thư mục khác; không ghi gì vào thư mục \
         (data directory {dir} has format {found}, newer than format {known} this manager knows; nothing written)"
    )]
    Newer { dir: String, found: u32, known: u32 },
    #[error("tệp định dạng {path} hỏng: {content:?} (corrupt format file)")]
    Corrupt { path: String, content: String },
    #[error("không đọc hay ghi được {path}: {source} (cannot read or write the format file)")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn format_path(dir: &Path) -> PathBuf {
    dir.join(FORMAT_FILE)
}

/// The format a data directory records: `None` if it records none (a new
/// directory, or one from before formats were recorded). Writes nothing.
pub fn read_format(dir: &Path) -> std::result::Result<Option<u32>, FormatError> {
    let path = format_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| FormatError::Corrupt {
            path: path.display().to_string(),
            content: text.chars().take(40).collect(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FormatError::Io {
            path: path.display().to_string(),
            source: e,
        }),
    }
}

/// The format a data directory records (0: none), refusing one newer
/// than this manager knows. Writes nothing.
pub fn check_format(dir: &Path) -> std::result::Result<u32, FormatError> {
    let found = read_format(dir)?.unwrap_or(0);
    if found > FORMAT {
        return Err(FormatError::Newer {
            dir: dir.display().to_string(),
            found,
            known: FORMAT,
        });
    }
    Ok(found)
}

/// Record `version` as the directory's format: written beside, synced,
/// then renamed over the old record, so a crash leaves one or the other.
pub fn write_format(dir: &Path, version: u32) -> std::result::Result<(), FormatError> {
    use std::io::Write;
    let path = format_path(dir);
    let tmp = dir.join(format!("{FORMAT_FILE}.tmp"));
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| FormatError::Io { path: p, source }
    };
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(format!("{version}\n").as_bytes()).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    Ok(())
}

/// Bring a directory of format `found` to [`FORMAT`]: each migration
/// above it, in order, its version recorded once it is done.
pub fn migrate(dir: &Path, store: &dyn Store, found: u32) -> anyhow::Result<()> {
    use anyhow::Context;
    for m in MIGRATIONS.iter().filter(|m| m.to > found) {
        tracing::info!(
            "nâng định dạng dữ liệu lên {}: {} (migrating the data directory)",
            m.to,
            m.what
        );
        (m.run)(store).with_context(|| format!("không nâng được {} lên định dạng {}", dir.display(), m.to))?;
        store.flush()?;
        write_format(dir, m.to)?;
    }
    Ok(())
}

/// Records kept by versions before the journal — proof of play under
/// `play/{board}/{seq}` (indexed under `playday/…`) and heartbeat history
/// under `hbh/{board}/{µs}` — moved into the logs, a few thousand at a
/// time: proof of play into the bucket of `now` (kept `playlog_hours` from now),
/// beats into their days. Returns how many records moved.
pub fn move_old_records(store: &dyn Store, now: DateTime<Utc>) -> Result<usize> {
    let mut moved = 0;
    for (prefix, stream) in [("play/", Stream::Play), ("hbh/", Stream::Beats)] {
        loop {
            let chunk = store.range(prefix, &prefix_end(prefix), 4096, false)?;
            if chunk.is_empty() {
                break;
            }
            let mut logs: std::collections::BTreeMap<(String, String), Vec<Vec<u8>>> = Default::default();
            let mut ops = Vec::with_capacity(chunk.len());
            for (k, v) in chunk {
                let mut parts = k[prefix.len()..].splitn(2, '/');
                let (board, n) = (
                    parts.next().unwrap_or(""),
                    parts.next().and_then(|n| n.parse::<u64>().ok()),
                );
                if let Some(n) = n.filter(|_| !board.is_empty() && !board.contains(['.', '/'])) {
                    let line = match stream {
                        Stream::Play => Some(v),
                        Stream::Beats => serde_json::from_slice::<serde_json::Value>(&v).ok().map(|status| {
                            let at = DateTime::from_timestamp_micros(i64::try_from(n).unwrap_or(0)).unwrap_or_default();
                            serde_json::to_vec(&BeatEntry { at, status }).expect("serialises")
                        }),
                    };
                    if let Some(line) = line.filter(|l| !l.contains(&b'\n')) {
                        let bucket = match stream {
                            Stream::Play => crate::playlog::bucket(now),
                            Stream::Beats => beat_bucket(
                                DateTime::from_timestamp_micros(i64::try_from(n).unwrap_or(0)).unwrap_or_default(),
                            ),
                        };
                        logs.entry((bucket, board.to_string())).or_default().push(line);
                    }
                }
                ops.push(Op::Del(k));
            }
            for ((bucket, board), lines) in logs {
                moved += lines.len();
                store.journal().append(stream, &bucket, &board, &lines)?;
            }
            // The logs first, on disk, then the keys go.
            store.journal().sync()?;
            store.apply(ops)?;
        }
    }
    store.delete_prefix("playday/")?;
    store.flush()?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::beat_history;
    use crate::store::SledStore;

    /// A store written before the journal: its proof of play and heartbeat
    /// history move into the logs, and the old keys go.
    #[test]
    fn old_records_move_into_the_logs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let ev = |seq: u64| {
            serde_json::json!({"seq": seq, "kind": "end", "at": "2026-11-23T10:00:10Z",
                "started": "2026-11-23T10:00:00Z", "show_version": 1, "layout": "l@1", "zone": "z",
                "item": 0, "item_kind": "image", "label": "a"})
        };
        let mut ops: Vec<Op> = (1..=5u64)
            .map(|s| Op::put(format!("play/b1/{s:020}"), &ev(s)))
            .collect();
        ops.push(Op::put(format!("playday/b1/2026-11-23/{:020}", 1), &()));
        // 2026-11-23T10:00:00Z and the next day.
        for us in [1_795_428_000_000_000u64, 1_795_514_400_000_000] {
            ops.push(Op::put(format!("hbh/b1/{us:020}"), &serde_json::json!({"fps": 60})));
        }
        store.apply(ops).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-07T09:30:00Z").unwrap().to_utc();
        assert_eq!(move_old_records(&store, now).unwrap(), 7);
        assert!(store.scan("play/").unwrap().is_empty());
        assert!(store.scan("playday/").unwrap().is_empty());
        assert!(store.scan("hbh/").unwrap().is_empty());
        let raw = crate::playlog::raw(&store, "b1").unwrap();
        assert_eq!(raw.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(store.journal().buckets(Stream::Play).unwrap(), ["2026-12-07T0930"]);
        assert_eq!(
            store.journal().buckets(Stream::Beats).unwrap(),
            ["2026-11-23", "2026-11-24"]
        );
        let all = beat_history(&store, "b1", DateTime::UNIX_EPOCH, now, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].at > all[1].at, "newest first");
        assert_eq!(all[1].at.to_rfc3339(), "2026-11-23T10:00:00+00:00");
        assert_eq!(move_old_records(&store, now).unwrap(), 0, "once");
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::config::Config;
    use crate::shared::Shared;
    use crate::store::SledStore;
    use crate::testutil::tree;

    fn open(dir: &Path) -> anyhow::Result<Shared> {
        // sled lets go of its lock from a thread of its own after the last
        // handle: a reopen right after a close may wait a moment.
        let mut tries = 0;
        loop {
            match Shared::open(Config {
                data_dir: dir.to_path_buf(),
                ..Config::default()
            }) {
                Err(e) if tries < 50 && format!("{e:#}").contains("lock") => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                r => return r,
            }
        }
    }

    #[test]
    fn migrations_are_numbered_in_order_up_to_the_format() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.to).collect();
        assert_eq!(versions, (1..=FORMAT).collect::<Vec<_>>());
    }

    /// A directory from before formats were recorded (here with proof of
    /// play still in sled) is migrated, then stamped with today's format.
    #[test]
    fn an_unstamped_directory_is_migrated_and_stamped() {
        let dir = tempfile::tempdir().unwrap();
        {
            let old = SledStore::open_data_dir(dir.path(), 8).unwrap();
            old.commit(vec![Op::put(
                "play/b1/00000000000000000001",
                &serde_json::json!({"seq": 1, "kind": "start", "at": "2026-11-23T10:00:00Z",
                    "started": "2026-11-23T10:00:00Z", "show_version": 1, "layout": "l@1", "zone": "z",
                    "item": 0, "item_kind": "image", "label": "a"}),
            )])
            .unwrap();
        }
        assert_eq!(read_format(dir.path()).unwrap(), None);
        let s = open(dir.path()).unwrap();
        assert_eq!(read_format(dir.path()).unwrap(), Some(FORMAT));
        assert_eq!(
            std::fs::read_to_string(dir.path().join(FORMAT_FILE)).unwrap(),
            format!("{FORMAT}\n")
        );
        assert!(s.store.scan("play/").unwrap().is_empty(), "migrated");
        assert_eq!(crate::playlog::raw(&*s.store, "b1").unwrap().len(), 1);
    }

    /// A manager never writes into a directory a newer one wrote: it
    /// refuses, naming the directory and both formats, and touches nothing.
    #[test]
    fn a_newer_directory_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FORMAT_FILE), format!("{}\n", FORMAT + 1)).unwrap();
        std::fs::create_dir(dir.path().join("media")).unwrap();
        std::fs::write(dir.path().join("show-signing.key"), [7u8; 32]).unwrap();
        let before = tree(dir.path());
        let e = format!("{:#}", open(dir.path()).unwrap_err());
        for want in [
            dir.path().display().to_string(),
            format!("định dạng {}", FORMAT + 1),
            format!("format {FORMAT} this manager knows"),
        ] {
            assert!(e.contains(&want), "{want:?} in {e}");
        }
        assert_eq!(tree(dir.path()), before, "nothing written");
    }

    #[test]
    fn the_current_format_opens_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()).unwrap());
        let stamped = std::fs::metadata(dir.path().join(FORMAT_FILE))
            .unwrap()
            .modified()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        open(dir.path()).unwrap();
        assert_eq!(read_format(dir.path()).unwrap(), Some(FORMAT));
        assert_eq!(
            std::fs::metadata(dir.path().join(FORMAT_FILE))
                .unwrap()
                .modified()
                .unwrap(),
            stamped,
            "not rewritten"
        );
        std::fs::write(dir.path().join(FORMAT_FILE), "eins\n").unwrap();
        let e = format!("{:#}", open(dir.path()).unwrap_err());
        assert!(e.contains("corrupt format file"), "{e}");
    }
}
