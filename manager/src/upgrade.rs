//! Reading a data directory written by an older version: what it kept
//! in another form is moved into today's, once, at start.

use crate::journal::Stream;
use crate::live::{BeatEntry, beat_bucket};
use crate::store::{Op, Result, Store, StoreExt, prefix_end};
use chrono::{DateTime, Utc};

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
