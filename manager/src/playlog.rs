//! Proof of play as the manager keeps it: what boards upload, the report of
//! a local day, and the compaction that keeps its size bounded.
//!
//! | where | what |
//! |---|---|
//! | log `play/{UTC 10 minutes}/{board}` ([`crate::journal`]) | each [`PlayEvent`] as uploaded, in the ten minutes it arrived; kept `playlog_hours` |
//! | key `playtot/{board}/{local date}` | [`DayTotals`]: that day's rows of events no longer kept raw |
//! | key `playcut/{board}/seq` | the highest seq compacted |
//!
//! A board uploads every event once, oldest first (a re-sent batch changes
//! nothing: events at or below the highest seq held are acknowledged and
//! not stored again). A log whose ten minutes ended `playlog_hours` ago is
//! *compacted*: each event's share of every local day it overlaps is added
//! to that day's totals, with the new `playcut`, in one atomic batch, and
//! then the log is removed — so an event is counted raw (seq above
//! `playcut`) or in the totals, never both, even if the manager stops
//! between the two, and a day's report — totals plus the raw events still
//! kept — stays exact however old the day is. Removing whole files, not
//! deleting records one by one, is what keeps the disk bounded.

use crate::journal::Stream;
use crate::store::{Op, Store, StoreExt};
use bangtin_layouts::time::day_start;
use bangtin_layouts::wire::{PlayEvent, PlayKind};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use utoipa::ToSchema;

/// A play is counted in at most this many local days (its last ones).
pub const MAX_INDEX_DAYS: i64 = 32;

/// Minutes of arrivals in one log: raw proof of play is kept
/// `playlog_hours` and at most this much longer.
pub const BUCKET_MINUTES: u32 = 10;

/// The log bucket of an instant: its UTC ten minutes (`2026-12-07T0910`).
pub fn bucket(at: DateTime<Utc>) -> String {
    use chrono::Timelike;
    let m = at.minute() / BUCKET_MINUTES * BUCKET_MINUTES;
    format!("{}{m:02}", at.format("%Y-%m-%dT%H"))
}

/// When a bucket ends (None: not a bucket name).
pub fn bucket_end(b: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(b, "%Y-%m-%dT%H%M")
        .ok()
        .map(|t| t.and_utc() + Duration::minutes(i64::from(BUCKET_MINUTES)))
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

/// The events of a board's log of one bucket from position `from`, and
/// the position after them (unreadable records are skipped).
pub fn read_log(
    store: &dyn Store,
    bucket: &str,
    board: &str,
    from: u64,
) -> crate::store::Result<(Vec<PlayEvent>, u64)> {
    let r = store.journal().read(Stream::Play, bucket, board, from)?;
    let events = r
        .records
        .iter()
        .filter_map(|l| serde_json::from_slice::<PlayEvent>(l).ok())
        .collect();
    Ok((events, r.end))
}

/// Every raw event a board's logs hold (compacted ones left out).
pub fn raw(store: &dyn Store, board: &str) -> crate::store::Result<Vec<PlayEvent>> {
    let cut = compacted_to(store, board)?;
    let mut out = Vec::new();
    for b in store.journal().buckets(Stream::Play)? {
        let (events, _) = read_log(store, &b, board, 0)?;
        out.extend(events.into_iter().filter(|e| e.seq > cut));
    }
    Ok(out)
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
    let mut events = raw(store, board)?;
    events.retain(|e| in_day(e, start, end));
    events.sort_by_key(|e| e.seq);
    for e in &events {
        add(&mut rows, e, start, end);
    }
    Ok((rows, events))
}

/// The highest seq each board's proof of play reached, raw or compacted
/// (read from its logs once, then kept up to date by [`store_events`]).
#[derive(Debug, Default)]
pub struct Seqs(Mutex<HashMap<String, u64>>);

impl Seqs {
    fn get(&self, board: &str) -> Option<u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(board)
            .copied()
    }
    fn set(&self, board: &str, seq: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(board.to_string(), seq);
    }
    /// Forget a board (deleted).
    pub fn forget(&self, board: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(board);
    }
}

/// Store the events of an upload not stored before, in the log of the
/// bucket of `now`; returns how many. Call under the manager's proof-of-play lock
/// (it reads before it writes); durable at the store's next flush.
pub fn store_events(
    store: &dyn Store,
    seqs: &Seqs,
    board: &str,
    events: &[PlayEvent],
    now: DateTime<Utc>,
) -> crate::store::Result<usize> {
    let last = last_seq(store, seqs, board)?;
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    for e in events {
        if e.seq <= last || !seen.insert(e.seq) {
            continue;
        }
        lines.push(serde_json::to_vec(e).expect("events always serialise"));
    }
    store.journal().append(Stream::Play, &bucket(now), board, &lines)?;
    if let Some(top) = seen.last() {
        remember(store, seqs, board, last.max(*top))?;
    }
    Ok(lines.len())
}

/// Where a store several managers share keeps a board's highest seq: no
/// manager's memory knows what another stored.
fn seq_key(board: &str) -> String {
    format!("playseq/{board}/last")
}

fn remember(store: &dyn Store, seqs: &Seqs, board: &str, top: u64) -> crate::store::Result<()> {
    if store.shared_by_processes() {
        // After the append: a crash between the two stores a batch sent
        // again twice, never loses one.
        store.apply(vec![crate::store::Op::put(seq_key(board), &top)])
    } else {
        seqs.set(board, top);
        Ok(())
    }
}

fn remembered(store: &dyn Store, seqs: &Seqs, board: &str) -> crate::store::Result<Option<u64>> {
    if store.shared_by_processes() {
        store.get_json(&seq_key(board))
    } else {
        Ok(seqs.get(board))
    }
}

/// The highest seq the manager holds for `board`, raw or compacted (what a
/// board may forget up to).
pub fn last_seq(store: &dyn Store, seqs: &Seqs, board: &str) -> crate::store::Result<u64> {
    if let Some(s) = remembered(store, seqs, board)? {
        return Ok(s);
    }
    let cut = compacted_to(store, board)?;
    let top = raw(store, board)?.iter().map(|e| e.seq).max().unwrap_or(0).max(cut);
    remember(store, seqs, board, top)?;
    Ok(top)
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

/// Compact `board`'s logs of buckets that ended by `before`, oldest first,
/// as long as every event in them is below `below` (what the reports have
/// folded): add the events to their days' totals, then remove the log.
/// Returns how many events. Blocking.
pub fn compact(
    store: &dyn Store,
    board: &str,
    tz: Tz,
    before: DateTime<Utc>,
    below: u64,
) -> crate::store::Result<usize> {
    let mut done = 0;
    for b in store.journal().buckets(Stream::Play)? {
        if bucket_end(&b).is_none_or(|end| end > before) {
            break;
        }
        let (events, _) = read_log(store, &b, board, 0)?;
        if events.iter().any(|e| e.seq >= below) {
            break;
        }
        let mut cut = compacted_to(store, board)?;
        let mut days: BTreeMap<NaiveDate, Rows> = BTreeMap::new();
        let mut n = 0;
        for e in events.iter().filter(|e| e.seq > cut) {
            for d in local_days(e, tz) {
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
                add(rows, e, start, end);
            }
            n += 1;
        }
        if let Some(top) = events.iter().map(|e| e.seq).max().filter(|top| *top > cut) {
            cut = top;
            let mut ops: Vec<Op> = days
                .into_iter()
                .map(|(d, rows)| {
                    Op::put(
                        totals_key(board, d),
                        &DayTotals {
                            rows: rows.into_iter().collect(),
                        },
                    )
                })
                .collect();
            ops.push(Op::put(cut_key(board), &cut));
            store.apply(ops)?;
        }
        store.journal().remove(Stream::Play, &b, board)?;
        done += n;
    }
    Ok(done)
}

/// After every board's [`compact`]: remove the logs of boards that no
/// longer exist from hours that ended by `before`, and those hours' empty
/// buckets.
pub fn sweep(store: &dyn Store, before: DateTime<Utc>, boards: &HashSet<&str>) -> crate::store::Result<()> {
    let j = store.journal();
    for b in j.buckets(Stream::Play)? {
        if bucket_end(&b).is_none_or(|end| end > before) {
            break;
        }
        for board in j.boards(Stream::Play, &b)? {
            if !boards.contains(board.as_str()) {
                j.remove(Stream::Play, &b, &board)?;
            }
        }
        j.drop_if_empty(Stream::Play, &b)?;
    }
    Ok(())
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

    /// A board's events over two local days, some across midnight, sent in
    /// three uploads an hour apart: the reports of both days are the same
    /// before and after compaction at every cut-off, re-sent events are not
    /// counted again, the board may forget what it sent, and what is
    /// compacted leaves the disk.
    #[test]
    fn compaction_keeps_every_days_report_exact() {
        let tz = DEFAULT_TZ;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let seqs = Seqs::default();
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
        // Uploads at 18:30, 19:30 (with a re-send of 3–4) and 01:30.
        let ups = [
            (&events[0..3], "2026-11-23T18:30:00Z"),
            (&events[2..5], "2026-11-23T19:30:00Z"),
            (&events[5..6], "2026-11-24T01:30:00Z"),
        ];
        let mut n = 0;
        for (batch, when) in ups {
            n += store_events(&store, &seqs, "b1", batch, at(when)).unwrap();
        }
        assert_eq!(n, 6, "3–4 sent twice, stored once");
        assert_eq!(
            store.journal().buckets(Stream::Play).unwrap(),
            ["2026-11-23T1830", "2026-11-23T1930", "2026-11-24T0130"]
        );
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
        // Not folded by the reports yet (below 4): the first hour waits.
        assert_eq!(compact(&store, "b1", tz, at("2026-11-30T00:00:00Z"), 3).unwrap(), 0);
        assert_eq!(store.journal().buckets(Stream::Play).unwrap().len(), 3);
        for cut in [
            "2026-11-23T18:39:59Z",
            "2026-11-23T18:40:00Z",
            "2026-11-23T19:40:00Z",
            "2026-11-30T00:00:00Z",
        ] {
            compact(&store, "b1", tz, at(cut), u64::MAX).unwrap();
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
        assert!(raw(&store, "b1").unwrap().is_empty(), "every raw event compacted");
        sweep(&store, at("2026-11-30T00:00:00Z"), &HashSet::from(["b1"])).unwrap();
        assert!(store.journal().buckets(Stream::Play).unwrap().is_empty());
        assert_eq!(store.journal().size(), 0, "and its logs removed");
        assert_eq!(
            last_seq(&store, &Seqs::default(), "b1").unwrap(),
            6,
            "the board may forget all six"
        );
        assert_eq!(
            store_events(&store, &Seqs::default(), "b1", &events, at("2026-11-25T00:00:00Z")).unwrap(),
            0,
            "a re-sent batch is not counted twice"
        );
        assert_eq!(report(d1).1, before.0.1);
        // A board's logs left after it was deleted are swept.
        store_events(&store, &seqs, "gone", &events[..1], at("2026-11-25T00:00:00Z")).unwrap();
        sweep(&store, at("2026-11-30T00:00:00Z"), &HashSet::from(["b1"])).unwrap();
        assert!(store.journal().buckets(Stream::Play).unwrap().is_empty());
        prune_totals(&store, "b1", d2).unwrap();
        assert_eq!(report(d1).1, 0.0, "the 23rd's totals pruned");
        assert_eq!(report(d2).1, before.1.1, "the 24th's kept");
    }

    /// A crash between the totals and the log's removal: the next
    /// compaction removes the log without counting its events again.
    #[test]
    fn a_compaction_cut_short_counts_nothing_twice() {
        let tz = DEFAULT_TZ;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let e = vec![ev(
            1,
            PlayKind::End,
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:10Z",
            "a",
        )];
        store_events(&store, &Seqs::default(), "b1", &e, at("2026-11-23T10:10:00Z")).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        compact(&store, "b1", tz, at("2026-11-24T00:00:00Z"), u64::MAX).unwrap();
        // As if the manager had stopped before removing the log.
        store
            .journal()
            .append(
                Stream::Play,
                "2026-11-23T1010",
                "b1",
                &[serde_json::to_vec(&e[0]).unwrap()],
            )
            .unwrap();
        assert_eq!(day(&store, "b1", d, tz).unwrap().1.len(), 0, "compacted: not raw");
        compact(&store, "b1", tz, at("2026-11-24T00:00:00Z"), u64::MAX).unwrap();
        let (rows, _) = day(&store, "b1", d, tz).unwrap();
        assert_eq!(report_rows(rows, tz).1, 10.0);
        assert!(
            store
                .journal()
                .buckets(Stream::Play)
                .unwrap()
                .iter()
                .all(|b| { store.journal().boards(Stream::Play, b).unwrap().is_empty() })
        );
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
        let long = ev(9, PlayKind::End, "2026-01-01T00:00:00Z", "2026-11-23T00:00:00Z", "x");
        assert_eq!(local_days(&long, tz).len(), MAX_INDEX_DAYS as usize);
        assert_eq!(bucket(at("2026-11-23T17:59:59Z")), "2026-11-23T1750");
        assert_eq!(bucket(at("2026-11-23T17:00:00Z")), "2026-11-23T1700");
        assert_eq!(bucket_end("2026-11-23T1750"), Some(at("2026-11-23T18:00:00Z")));
        assert_eq!(bucket_end("junk"), None);
    }
}
