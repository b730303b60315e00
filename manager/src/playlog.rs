//! Proof of play as the manager keeps it: what boards upload, the report of
//! a local day, and the compaction that keeps the store's size bounded.
//!
//! | key | value |
//! |---|---|
//! | `play/{board}/{seq}` | a [`PlayEvent`] as uploaded, kept `playlog_hours` |
//! | `playday/{board}/{UTC date}/{seq}` | index: the event's play covers that date |
//! | `playtot/{board}/{local date}` | [`DayTotals`]: that day's rows of events no longer kept raw |
//! | `playcut/{board}/seq` | the highest seq compacted |
//!
//! A board uploads every event once (a re-sent batch changes nothing).
//! Events older than `playlog_hours` are *compacted*: each one's share of
//! every local day it overlaps is added to that day's totals and the event
//! deleted, in one atomic batch, so an event is counted either raw or in
//! the totals, never both, and a day's report — totals plus the raw events
//! still kept — stays exact however old the day is. Boards upload oldest
//! first, so an event at or below `playcut` was stored and compacted
//! before: a re-send of it is acknowledged and not stored again.

use crate::model::key;
use crate::store::{Op, Store, StoreExt, prefix_end};
use bangtin_layouts::time::day_start;
use bangtin_layouts::wire::{PlayEvent, PlayKind};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A play is indexed under at most this many UTC dates (its last ones),
/// and counted in at most this many local days.
pub const MAX_INDEX_DAYS: i64 = 32;
/// Events compacted per store batch.
const COMPACT_CHUNK: usize = 500;

/// UTC dates (YYYY-MM-DD) an event's play covers.
pub fn index_dates(e: &PlayEvent) -> Vec<String> {
    let (lo, hi) = span(e);
    let (first, last) = (lo.date_naive(), hi.date_naive());
    let first = first.max(last - Duration::days(MAX_INDEX_DAYS - 1));
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
}

/// From when to when the event's play ran (a start: its instant).
fn span(e: &PlayEvent) -> (DateTime<Utc>, DateTime<Utc>) {
    match e.kind {
        PlayKind::Start => (e.at, e.at),
        _ => (e.started.min(e.at), e.at.max(e.started)),
    }
}

/// Does `e` belong to the day `[start, end)`: a start within it, or a play
/// overlapping it (a zero-length one on its own day)?
pub fn in_day(e: &PlayEvent, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    if e.kind == PlayKind::Start {
        return start <= e.at && e.at < end;
    }
    let (from, to) = (e.started, e.at.max(e.started));
    from < end && (to > start || (to == start && from == to))
}

/// One (layout, zone, item) on screen during the day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlayRow {
    pub layout: String,
    pub zone: String,
    pub item: usize,
    pub item_kind: String,
    pub label: String,
    /// Plays that ended (or were cut short) and overlap the day.
    pub plays: u64,
    /// Seconds on screen within the day (each play clipped to the day).
    pub seconds: f64,
    /// Of `plays`, those cut short.
    pub interrupted: u64,
    /// Earliest start of those plays, RFC 3339 in local time.
    pub first_start: String,
    /// Latest end of those plays, RFC 3339 in local time.
    pub last_end: String,
}

/// What identifies a row: layout, zone, item, kind, label.
pub type RowKey = (String, String, usize, String, String);

/// One row's totals; adding two is exact (sums, earliest, latest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub plays: u64,
    pub micros: i64,
    pub interrupted: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

impl Totals {
    fn merge(&mut self, o: &Totals) {
        self.plays += o.plays;
        self.micros += o.micros;
        self.interrupted += o.interrupted;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, o.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A local day's rows, by key.
pub type Rows = BTreeMap<RowKey, Totals>;

/// The rows of a local day whose events were compacted, as stored under
/// `playtot/{board}/{date}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DayTotals {
    pub rows: Vec<(RowKey, Totals)>,
}

/// Add `e`'s share of the day `[start, end)` to `rows` (a start event, or
/// a play outside the day, adds nothing).
pub fn add(rows: &mut Rows, e: &PlayEvent, start: DateTime<Utc>, end: DateTime<Utc>) {
    if e.kind == PlayKind::Start || !in_day(e, start, end) {
        return;
    }
    let (from, to) = (e.started, e.at.max(e.started));
    let shown = (to.min(end) - from.max(start)).num_microseconds().unwrap_or(0).max(0);
    rows.entry((
        e.layout.clone(),
        e.zone.clone(),
        e.item,
        e.item_kind.clone(),
        e.label.clone(),
    ))
    .or_default()
    .merge(&Totals {
        plays: 1,
        micros: shown,
        interrupted: u64::from(e.kind == PlayKind::Interrupted),
        first: Some(from),
        last: Some(to),
    });
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The report's rows (times in `tz`) and the day's total seconds.
pub fn report_rows(rows: Rows, tz: Tz) -> (Vec<PlayRow>, f64) {
    let local = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut total = 0i64;
    let rows = rows
        .into_iter()
        .map(|((layout, zone, item, item_kind, label), a)| {
            total += a.micros;
            PlayRow {
                layout,
                zone,
                item,
                item_kind,
                label,
                plays: a.plays,
                seconds: round3(a.micros as f64 / 1e6),
                interrupted: a.interrupted,
                first_start: local(a.first),
                last_end: local(a.last),
            }
        })
        .collect();
    (rows, round3(total as f64 / 1e6))
}

fn totals_key(board: &str, date: NaiveDate) -> String {
    format!("playtot/{board}/{}", date.format("%Y-%m-%d"))
}

fn cut_key(board: &str) -> String {
    format!("playcut/{board}/seq")
}

/// The highest seq compacted for `board` (0: none).
pub fn compacted_to(store: &dyn Store, board: &str) -> crate::store::Result<u64> {
    Ok(store.get_json::<u64>(&cut_key(board))?.unwrap_or(0))
}

/// A local day of a board: its rows (compacted totals and the raw events
/// still kept, each counted once) and those raw events.
pub fn day(store: &dyn Store, board: &str, date: NaiveDate, tz: Tz) -> crate::store::Result<(Rows, Vec<PlayEvent>)> {
    let start = day_start(date, tz);
    let end = date.succ_opt().map_or(start + Duration::days(1), |n| day_start(n, tz));
    let mut rows: Rows = store
        .get_json::<DayTotals>(&totals_key(board, date))?
        .map(|t| t.rows.into_iter().collect())
        .unwrap_or_default();
    let mut seqs = BTreeSet::new();
    let (d0, d1) = (start.date_naive(), (end - Duration::microseconds(1)).date_naive());
    for d in d0.iter_days().take_while(|d| *d <= d1) {
        let p = format!("playday/{board}/{}/", d.format("%Y-%m-%d"));
        for (k, _) in store.scan(&p)? {
            if let Some(seq) = k.rsplit('/').next().and_then(|v| v.parse::<u64>().ok()) {
                seqs.insert(seq);
            }
        }
    }
    let mut events = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(e) = store.get_json::<PlayEvent>(&key::play(board, seq))? {
            events.push(e);
        }
    }
    // The UTC dates scanned reach past the local day: keep the day's own.
    events.retain(|e| in_day(e, start, end));
    for e in &events {
        add(&mut rows, e, start, end);
    }
    Ok((rows, events))
}

/// Store the events of an upload not stored before: the ops to apply and
/// how many events they store. Call under the manager's proof-of-play lock
/// (it reads before it writes).
pub fn store_ops(store: &dyn Store, board: &str, events: &[PlayEvent]) -> crate::store::Result<(Vec<Op>, usize)> {
    let cut = compacted_to(store, board)?;
    let mut seen = BTreeSet::new();
    let mut ops = Vec::new();
    let mut stored = 0;
    for e in events {
        let k = key::play(board, e.seq);
        if e.seq <= cut || !seen.insert(e.seq) || store.get(&k)?.is_some() {
            continue;
        }
        for d in index_dates(e) {
            ops.push(Op::Put(key::play_day(board, &d, e.seq), Vec::new()));
        }
        ops.push(Op::put(k, e));
        stored += 1;
    }
    Ok((ops, stored))
}

/// The highest seq the manager holds for `board`, raw or compacted (what a
/// board may forget up to).
pub fn last_seq(store: &dyn Store, board: &str) -> crate::store::Result<u64> {
    let p = format!("play/{board}/");
    let raw = store
        .range(&p, &prefix_end(&p), 1, true)?
        .first()
        .and_then(|(k, _)| k.rsplit('/').next()?.parse().ok())
        .unwrap_or(0);
    Ok(raw.max(compacted_to(store, board)?))
}

/// Local days `[from, to]` of a play, at most [`MAX_INDEX_DAYS`] (its last).
fn local_days(e: &PlayEvent, tz: Tz) -> Vec<NaiveDate> {
    let (lo, hi) = span(e);
    let last = hi.with_timezone(&tz).date_naive();
    let first = lo
        .with_timezone(&tz)
        .date_naive()
        .max(last - Duration::days(MAX_INDEX_DAYS - 1));
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// Compact `board`'s events that ended before `before` and whose seq is
/// below `below` (what the reports have folded): add them to their days'
/// totals and delete them with their index entries. Returns how many.
/// `uploads` (the uploads' lock) is held around each batch; blocking.
pub fn compact(
    store: &dyn Store,
    board: &str,
    tz: Tz,
    before: DateTime<Utc>,
    below: u64,
    uploads: &tokio::sync::Mutex<()>,
) -> crate::store::Result<usize> {
    let p = format!("play/{board}/");
    let mut done = 0;
    // The oldest event alone first: most minutes most boards have nothing
    // old enough, and reading all their events to learn it would cost.
    let mut chunk = 1;
    loop {
        let _g = uploads.blocking_lock();
        let events = store.range(&p, &prefix_end(&p), chunk, false)?;
        let full = events.len() == chunk;
        chunk = COMPACT_CHUNK;
        let mut cut = compacted_to(store, board)?;
        let mut days: BTreeMap<NaiveDate, Rows> = BTreeMap::new();
        let mut ops = Vec::new();
        let mut stopped = false;
        for (k, v) in events {
            let seq = k.rsplit('/').next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            if seq >= below {
                stopped = true;
                break;
            }
            if let Ok(e) = serde_json::from_slice::<PlayEvent>(&v) {
                if span(&e).1 >= before {
                    stopped = true;
                    break;
                }
                for d in local_days(&e, tz) {
                    let (start, end) = (day_start(d, tz), d.succ_opt().map_or(before, |n| day_start(n, tz)));
                    let rows = match days.entry(d) {
                        std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                        std::collections::btree_map::Entry::Vacant(v) => v.insert(
                            store
                                .get_json::<DayTotals>(&totals_key(board, d))?
                                .map(|t| t.rows.into_iter().collect())
                                .unwrap_or_default(),
                        ),
                    };
                    add(rows, &e, start, end);
                }
                for d in index_dates(&e) {
                    ops.push(Op::Del(key::play_day(board, &d, seq)));
                }
            }
            ops.push(Op::Del(k));
            cut = cut.max(seq);
            done += 1;
        }
        if ops.is_empty() {
            return Ok(done);
        }
        for (d, rows) in days {
            ops.push(Op::put(
                totals_key(board, d),
                &DayTotals {
                    rows: rows.into_iter().collect(),
                },
            ));
        }
        ops.push(Op::put(cut_key(board), &cut));
        store.apply(ops)?;
        if stopped || !full {
            return Ok(done);
        }
    }
}

/// Drop `board`'s day totals of local days before `before`.
pub fn prune_totals(store: &dyn Store, board: &str, before: NaiveDate) -> crate::store::Result<()> {
    let p = format!("playtot/{board}/");
    store.delete_range(&p, &format!("{p}{}", before.format("%Y-%m-%d")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::time::DEFAULT_TZ;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ev(seq: u64, kind: PlayKind, started: &str, end: &str, label: &str) -> PlayEvent {
        PlayEvent {
            seq,
            kind,
            at: at(end),
            started: at(started),
            show_version: 1,
            layout: "lay_1@1".into(),
            zone: "z".into(),
            item: 0,
            item_kind: "image".into(),
            label: label.into(),
        }
    }

    /// A board's events over two local days, some across midnight: the
    /// reports of both days are the same before and after compaction at
    /// every cut-off, re-sent events are not counted again, and the board
    /// may forget what it sent.
    #[test]
    fn compaction_keeps_every_days_report_exact() {
        let tz = DEFAULT_TZ;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let no_lock = tokio::sync::Mutex::new(());
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let d2 = d1.succ_opt().unwrap();
        // Local midnight of the 24th is 2026-11-23T17:00Z.
        let events = vec![
            ev(1, PlayKind::Start, "2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z", "a"),
            ev(2, PlayKind::End, "2026-11-23T10:00:00Z", "2026-11-23T10:00:10Z", "a"),
            ev(
                3,
                PlayKind::Interrupted,
                "2026-11-23T12:00:00Z",
                "2026-11-23T12:00:04Z",
                "b",
            ),
            ev(4, PlayKind::End, "2026-11-23T16:59:50Z", "2026-11-23T17:00:20Z", "a"),
            ev(5, PlayKind::End, "2026-11-23T18:00:00Z", "2026-11-23T18:00:15Z", "b"),
            ev(6, PlayKind::End, "2026-11-24T01:00:00Z", "2026-11-24T01:00:15Z", "a"),
        ];
        let (ops, n) = store_ops(&store, "b1", &events).unwrap();
        store.apply(ops).unwrap();
        assert_eq!(n, 6);
        let report = |d| {
            let (rows, _) = day(&store, "b1", d, tz).unwrap();
            report_rows(rows, tz)
        };
        let before = (report(d1), report(d2));
        assert_eq!(
            before.0.1,
            10.0 + 4.0 + 10.0,
            "the 23rd: a 10 s, b 4 s, a 10 s before midnight"
        );
        assert_eq!(before.1.1, 20.0 + 15.0 + 15.0);
        for cut in [
            "2026-11-23T11:00:00Z",
            "2026-11-23T17:00:10Z",
            "2026-11-23T17:00:30Z",
            "2026-11-30T00:00:00Z",
        ] {
            compact(&store, "b1", tz, at(cut), u64::MAX, &no_lock).unwrap();
            let after = (report(d1), report(d2));
            for (a, b) in [(&before.0, &after.0), (&before.1, &after.1)] {
                assert_eq!(a.1, b.1, "total after compacting before {cut}");
                let rows = |r: &(Vec<PlayRow>, f64)| {
                    r.0.iter()
                        .map(|r| {
                            (
                                r.label.clone(),
                                r.plays,
                                r.seconds,
                                r.interrupted,
                                r.first_start.clone(),
                                r.last_end.clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(rows(a), rows(b), "rows after compacting before {cut}");
            }
        }
        assert!(store.scan("play/b1/").unwrap().is_empty(), "every raw event compacted");
        assert!(store.scan("playday/b1/").unwrap().is_empty(), "and its index entries");
        assert_eq!(last_seq(&store, "b1").unwrap(), 6, "the board may forget all six");
        let (ops, n) = store_ops(&store, "b1", &events).unwrap();
        assert_eq!((ops.len(), n), (0, 0), "a re-sent batch is not counted twice");
        assert_eq!(report(d1).1, before.0.1);
        // Below the reports' fold: nothing newer than `below` goes.
        let later = vec![ev(
            7,
            PlayKind::End,
            "2026-11-25T01:00:00Z",
            "2026-11-25T01:00:05Z",
            "a",
        )];
        let (ops, _) = store_ops(&store, "b1", &later).unwrap();
        store.apply(ops).unwrap();
        assert_eq!(
            compact(&store, "b1", tz, at("2026-12-30T00:00:00Z"), 7, &no_lock).unwrap(),
            0
        );
        assert_eq!(store.scan("play/b1/").unwrap().len(), 1);
        prune_totals(&store, "b1", d2).unwrap();
        assert_eq!(report(d1).1, 0.0, "the 23rd's totals pruned");
        assert_eq!(report(d2).1, before.1.1, "the 24th's kept");
    }

    #[test]
    fn plays_across_local_midnight_are_clipped_to_the_day() {
        let tz = DEFAULT_TZ;
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let (start, end) = (day_start(date, tz), day_start(date.succ_opt().unwrap(), tz));
        assert_eq!(start, at("2026-11-22T17:00:00Z"));
        let events = vec![
            // 23:59:50 the day before → 00:00:10: 10 s on this day.
            ev(1, PlayKind::End, "2026-11-22T16:59:50Z", "2026-11-22T17:00:10Z", "a"),
            ev(2, PlayKind::Start, "2026-11-22T18:00:00Z", "2026-11-22T18:00:00Z", "a"),
            ev(
                3,
                PlayKind::Interrupted,
                "2026-11-22T18:00:00Z",
                "2026-11-22T18:00:05.5Z",
                "a",
            ),
            // 23:59:58 → 00:00:03 the day after: 2 s.
            ev(
                4,
                PlayKind::End,
                "2026-11-23T16:59:58Z",
                "2026-11-23T17:00:03Z",
                "b, \"c\"",
            ),
            // Entirely the day before.
            ev(5, PlayKind::End, "2026-11-22T10:00:00Z", "2026-11-22T10:00:08Z", "a"),
        ];
        let mut acc = Rows::new();
        for e in &events {
            add(&mut acc, e, start, end);
        }
        let (rows, total) = report_rows(acc, tz);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].label.as_str(), rows[0].plays, rows[0].interrupted),
            ("a", 2, 1)
        );
        assert_eq!(rows[0].seconds, 15.5);
        assert_eq!(rows[0].first_start, "2026-11-22T23:59:50+07:00");
        assert_eq!(rows[0].last_end, "2026-11-23T01:00:05+07:00");
        assert_eq!(rows[1].seconds, 2.0);
        assert_eq!(total, 17.5);
        assert_eq!(index_dates(&events[0]), ["2026-11-22"]);
        assert_eq!(index_dates(&events[3]), ["2026-11-23"]);
        let long = ev(9, PlayKind::End, "2026-01-01T00:00:00Z", "2026-11-23T00:00:00Z", "x");
        assert_eq!(index_dates(&long).len(), MAX_INDEX_DAYS as usize);
    }
}
