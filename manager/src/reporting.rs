//! Report back to the source systems, and statistics for officers.
//!
//! For every bulletin and CAP alert a source sent, and every board it
//! targets, the manager knows when the board **received** it (first fetched
//! a signed alert set holding it — `GET /api/v1/board/alerts`, a 304 counts
//! too), when it was **shown** (first and last time on screen and the
//! seconds in all, from proof of play: an alert or bulletin on screen is
//! logged under the layout label `alert:<BoardAlert id>`, the id being
//! `bulletin:<source>:<id>` or `cap:<identifier>`), and why it **failed**
//! where that is known. Sources read the report (signed, like ingest) and,
//! with a `report_url`, get the reports that changed pushed to them.
//!
//! Proof of play and the online/offline transitions are *folded* into small
//! aggregates per board, from a cursor, so neither a report nor a year of
//! statistics scans raw events (and the transitions, kept only
//! `heartbeat_days`, live on as daily totals). Records:
//!
//! | key | value |
//! |---|---|
//! | `rpt/fetch/{board}/{set version}` | first fetch of that alert set version (kept [`FETCH_KEEP_DAYS`]) |
//! | `rpt/recv/{item}/{board}` | [`Receipt`]: first fetch of a set holding the item |
//! | `rpt/play/{item}/{board}` | [`PlayAgg`]: the item's plays on the board |
//! | `rpt/cursor/{board}` | how far proof of play and transitions are folded |
//! | `rpt/day/{board}/{local date}` | [`DayAgg`]: online time and airtime that day |
//! | `rpt/sent/{source}/{item}` | the last report pushed to the source |
//!
//! `{item}` is the first 32 hex digits of SHA-256 of the board alert id.

use crate::live::{Beat, Live, Transition};
use crate::model::{AuditEntry, Board, Unit};
use crate::records::{AlertRecord, AlertState, BulletinRecord, BulletinState, Decision, bulletin_key};
use crate::shared::Shared;
use crate::sources::SourceRecord;
use crate::store::{Op, Store, StoreExt, prefix_end};
use bangtin_layouts::alerts::AlertSet;
use bangtin_layouts::time::{DEFAULT_TZ, local_midnight, local_to_utc};
use bangtin_layouts::wire::{PlayEvent, PlayKind};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use utoipa::ToSchema;

/// Pushes to a source happen this often unless its registration says.
pub const DEFAULT_REPORT_EVERY_S: u32 = 60;
/// Longest wait between two pushes, also after failures.
pub const MAX_REPORT_EVERY_S: u32 = 3600;
/// A received bulletin with no proof of play this long after it expired
/// counts as not shown (boards upload proof of play in batches).
pub const NOT_SHOWN_GRACE_MINUTES: i64 = 60;
/// Pushes of an item stop this long after it ended, once its last report
/// went out unchanged (its report stays readable).
pub const SETTLE_HOURS: i64 = 24;
/// Fetch records (`rpt/fetch/…`) older than this are dropped.
pub const FETCH_KEEP_DAYS: i64 = 30;
/// Reports in one push request at most.
pub const MAX_REPORTS_PER_PUSH: usize = 100;
/// Board entries in one push request at most (a report of a province-wide
/// bulletin lists thousands; one larger report still goes alone).
pub const MAX_BOARDS_PER_PUSH: usize = 10_000;
/// Schema name of a push body.
pub const PUSH_SCHEMA: &str = "bangtin.reports/1";
/// How often every board's proof of play and transitions are folded.
const FOLD_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// How often removed boards' records and old fetch records are dropped.
const CLEAN_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Events folded per store batch.
const FOLD_CHUNK: usize = 2000;
/// Distinct items remembered per board and day.
const MAX_DAY_IDS: usize = 500;
/// A play or online stretch is split over at most this many local days.
const MAX_SPLIT_DAYS: i64 = 400;
/// Audit entries this much older than the last look are looked at again
/// (entries are committed a moment after their time is taken).
const AUDIT_SLACK_S: i64 = 120;

// ---------------------------------------------------------------------------
// Records

/// A board's first fetch of a set holding an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub first: DateTime<Utc>,
    /// Newest bulletin version the board fetched (0 for CAP alerts).
    pub version: u64,
    /// When it first fetched that version.
    pub version_at: DateTime<Utc>,
}

/// An item's plays on one board.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlayAgg {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub micros: i64,
    pub plays: u64,
    pub interrupted: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    /// Next proof-of-play seq to fold.
    next_seq: u64,
    /// Next transition key (µs) to fold.
    next_us: u64,
    /// Online since this instant, as far as folded.
    online_since: Option<DateTime<Utc>>,
}

/// One board's local day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayAgg {
    /// Microseconds the manager counted the board online.
    pub online_us: i64,
    /// Microseconds bulletins / CAP alerts were on screen.
    pub bulletin_us: i64,
    pub alert_us: i64,
    /// Board alert ids on screen that day.
    pub ids: BTreeSet<String>,
}

impl DayAgg {
    fn add_id(&mut self, id: &str) {
        if self.ids.len() < MAX_DAY_IDS {
            self.ids.insert(id.to_string());
        }
    }
}

/// The last report pushed for an item.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sent {
    hash: String,
    at: DateTime<Utc>,
    /// When a push round first saw the item ended.
    #[serde(default)]
    ended_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    settled: bool,
}

/// Key part naming an item: 32 hex digits of SHA-256 of its board alert id
/// (CAP identifiers may hold any character; keys stay ASCII).
pub fn item_hash(alert_id: &str) -> String {
    hex::encode(&Sha256::digest(alert_id.as_bytes())[..16])
}

fn fetch_key(board: &str, version: u64) -> String {
    format!("rpt/fetch/{board}/{version:020}")
}
fn recv_key(item: &str, board: &str) -> String {
    format!("rpt/recv/{item}/{board}")
}
fn media_key(board: &str, sha: &str) -> String {
    format!("rpt/media/{board}/{sha}")
}

/// The changes recording when `board` first reported each of `shas` (its
/// alert media) complete in its cache.
pub fn media_on_board(
    store: &dyn Store,
    board: &str,
    shas: &[String],
    at: DateTime<Utc>,
) -> crate::store::Result<Vec<Op>> {
    let mut ops = Vec::new();
    for sha in shas {
        let k = media_key(board, sha);
        if store.get(&k)?.is_none() {
            ops.push(Op::put(k, &at));
        }
    }
    Ok(ops)
}

/// When every file of `shas` was on `board` (the last one's first report),
/// if they all are.
fn media_ready_at(store: &dyn Store, board: &str, shas: &[String]) -> crate::store::Result<Option<DateTime<Utc>>> {
    let mut last: Option<DateTime<Utc>> = None;
    for sha in shas {
        match get_lenient::<DateTime<Utc>>(store, &media_key(board, sha))? {
            Some(t) => last = max_opt(last, Some(t)),
            None => return Ok(None),
        }
    }
    Ok(last)
}

fn play_key(item: &str, board: &str) -> String {
    format!("rpt/play/{item}/{board}")
}
fn cursor_key(board: &str) -> String {
    format!("rpt/cursor/{board}")
}
fn day_key(board: &str, date: NaiveDate) -> String {
    format!("rpt/day/{board}/{}", date.format("%Y-%m-%d"))
}
fn sent_key(source: &str, item: &str) -> String {
    format!("rpt/sent/{source}/{item}")
}

/// A record, or its default when absent or unreadable (derived records
/// must never block folding).
fn get_or_default<T: DeserializeOwned + Default>(store: &dyn Store, k: &str) -> crate::store::Result<T> {
    Ok(store
        .get(k)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

fn get_lenient<T: DeserializeOwned>(store: &dyn Store, k: &str) -> crate::store::Result<Option<T>> {
    Ok(store.get(k)?.and_then(|b| serde_json::from_slice(&b).ok()))
}

// ---------------------------------------------------------------------------
// Receipts: called from `GET /api/v1/board/alerts`

/// Board `board` holds alert set `version` (its payload `payload`): it was
/// sent now, or the board answered 304 for it. The first time, each item
/// of the set gets its receipt. Never fails the board's request: a problem
/// is logged.
pub fn fetched(s: &Shared, board: &str, version: u64, payload: &str, now: DateTime<Utc>) {
    if let Err(e) = record_fetch(&*s.store, board, version, payload, now) {
        tracing::warn!(
            "không ghi được việc bảng tin {board} nhận bộ cảnh báo {version}: {e} (fetch not recorded for reports)"
        );
    }
}

fn record_fetch(
    store: &dyn Store,
    board: &str,
    version: u64,
    payload: &str,
    now: DateTime<Utc>,
) -> crate::store::Result<()> {
    let fk = fetch_key(board, version);
    if store.get(&fk)?.is_some() {
        return Ok(());
    }
    let set: AlertSet = serde_json::from_str(payload).map_err(|e| crate::store::StoreError::Corrupt {
        key: fk.clone(),
        msg: e.to_string(),
    })?;
    let mut ops = vec![Op::put(fk, &now)];
    for a in &set.alerts {
        let v = bulletin_version(store, &a.id)?;
        let rk = recv_key(&item_hash(&a.id), board);
        let r = match get_lenient::<Receipt>(store, &rk)? {
            None => Receipt {
                first: now,
                version: v,
                version_at: now,
            },
            Some(mut r) if v > r.version => {
                r.version = v;
                r.version_at = now;
                r
            }
            Some(_) => continue,
        };
        ops.push(Op::put(rk, &r));
    }
    // Like heartbeats: frequent, applied without waiting for the disk.
    store.apply(ops)
}

/// The version of the bulletin a board alert id names (0: a CAP alert).
fn bulletin_version(store: &dyn Store, alert_id: &str) -> crate::store::Result<u64> {
    let Some((source, id)) = alert_id.strip_prefix("bulletin:").and_then(|r| r.split_once(':')) else {
        return Ok(0);
    };
    Ok(get_lenient::<BulletinRecord>(store, &bulletin_key(source, id))?.map_or(0, |b| b.version))
}

// ---------------------------------------------------------------------------
// Folding proof of play and transitions

static FOLD: Mutex<()> = Mutex::new(());

/// Midnight starting local `date` in `tz` (the first minute of it where a
/// DST change skips midnight).
pub fn day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let noon = date.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
    let t = local_to_utc(noon, tz).unwrap_or_else(|| noon.and_utc());
    local_midnight(t, tz)
}

/// `[from, to)` cut at local midnights: microseconds per local date.
pub fn split_days(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<(NaiveDate, i64)> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let mut cur = from.max(to - Duration::days(MAX_SPLIT_DAYS));
    while cur < to && out.len() < MAX_SPLIT_DAYS as usize + 2 {
        let d = cur.with_timezone(&tz).date_naive();
        let next = d.succ_opt().map_or(to, |n| day_start(n, tz));
        let end = next.min(to);
        if end <= cur {
            break;
        }
        out.push((d, (end - cur).num_microseconds().unwrap_or(0)));
        cur = end;
    }
    out
}

fn entry<'a, T: DeserializeOwned + Default>(
    store: &dyn Store,
    m: &'a mut BTreeMap<String, T>,
    k: String,
) -> crate::store::Result<&'a mut T> {
    Ok(match m.entry(k) {
        Entry::Occupied(o) => o.into_mut(),
        Entry::Vacant(v) => {
            let val = get_or_default(store, v.key())?;
            v.insert(val)
        }
    })
}

fn key_number(k: &str) -> Option<u64> {
    k.rsplit('/').next()?.parse().ok()
}

/// Fold what board `board` uploaded and the transitions recorded since the
/// last fold (its days are local days in `tz`).
pub fn fold_board(store: &dyn Store, board: &str, tz: Tz) -> crate::store::Result<()> {
    let _g = FOLD.lock().unwrap_or_else(PoisonError::into_inner);
    while fold_chunk(store, board, tz)? {}
    Ok(())
}

/// One batch; true when there is more.
fn fold_chunk(store: &dyn Store, board: &str, tz: Tz) -> crate::store::Result<bool> {
    let ck = cursor_key(board);
    let mut cur: Cursor = get_or_default(store, &ck)?;
    let pp = format!("play/{board}/");
    let plays = store.range(
        &format!("{pp}{:020}", cur.next_seq),
        &prefix_end(&pp),
        FOLD_CHUNK,
        false,
    )?;
    let ep = format!("boardevent/{board}/");
    let events = store.range(&format!("{ep}{:020}", cur.next_us), &prefix_end(&ep), FOLD_CHUNK, false)?;
    if plays.is_empty() && events.is_empty() {
        return Ok(false);
    }
    let more = plays.len() == FOLD_CHUNK || events.len() == FOLD_CHUNK;
    let mut aggs: BTreeMap<String, PlayAgg> = BTreeMap::new();
    let mut days: BTreeMap<String, DayAgg> = BTreeMap::new();
    for (k, v) in &plays {
        if let Some(seq) = key_number(k) {
            cur.next_seq = cur.next_seq.max(seq.saturating_add(1));
        }
        let Ok(e) = serde_json::from_slice::<PlayEvent>(v) else {
            continue;
        };
        let Some(id) = e.layout.strip_prefix("alert:") else {
            continue;
        };
        let bulletin = id.starts_with("bulletin:");
        let agg = entry(store, &mut aggs, play_key(&item_hash(id), board))?;
        let from = e.started.min(e.at);
        agg.first = Some(agg.first.map_or(from, |f| f.min(from)));
        if e.kind == PlayKind::Start {
            let d = e.at.with_timezone(&tz).date_naive();
            entry(store, &mut days, day_key(board, d))?.add_id(id);
            continue;
        }
        let to = e.at.max(e.started);
        agg.last = Some(agg.last.map_or(to, |l| l.max(to)));
        agg.micros += (to - e.started).num_microseconds().unwrap_or(0).max(0);
        agg.plays += 1;
        agg.interrupted += u64::from(e.kind == PlayKind::Interrupted);
        let parts = split_days(e.started, to, tz);
        if parts.is_empty() {
            let d = to.with_timezone(&tz).date_naive();
            entry(store, &mut days, day_key(board, d))?.add_id(id);
        }
        for (d, us) in parts {
            let day = entry(store, &mut days, day_key(board, d))?;
            if bulletin {
                day.bulletin_us += us;
            } else {
                day.alert_us += us;
            }
            day.add_id(id);
        }
    }
    for (k, v) in &events {
        if let Some(us) = key_number(k) {
            cur.next_us = cur.next_us.max(us.saturating_add(1));
        }
        let Ok(t) = serde_json::from_slice::<Transition>(v) else {
            continue;
        };
        if t.online {
            cur.online_since.get_or_insert(t.at);
        } else if let Some(since) = cur.online_since.take() {
            for (d, us) in split_days(since, t.at, tz) {
                entry(store, &mut days, day_key(board, d))?.online_us += us;
            }
        }
    }
    let mut ops: Vec<Op> = aggs.iter().map(|(k, a)| Op::put(k.clone(), a)).collect();
    ops.extend(days.iter().map(|(k, d)| Op::put(k.clone(), d)));
    ops.push(Op::put(ck, &cur));
    // Derived data, atomic with its cursor: a crash loses both or neither.
    store.apply(ops)?;
    Ok(more)
}

// ---------------------------------------------------------------------------
// What reports are built from

/// Boards and units, loaded once per report or round.
#[derive(Debug)]
pub struct World {
    pub boards: Vec<Board>,
    pub units: HashMap<String, Unit>,
    default_tz: Tz,
}

impl World {
    pub fn load(store: &dyn Store, default_tz: &str) -> crate::store::Result<World> {
        let units: Vec<Unit> = store.scan_json("unit/")?;
        Ok(World {
            boards: store.scan_json("board/")?,
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
            default_tz: default_tz.parse().unwrap_or(DEFAULT_TZ),
        })
    }

    fn province_of(&self, unit: &str) -> Option<&str> {
        self.units.get(unit)?.parent.as_deref()
    }

    /// Time zone of `unit`'s boards.
    pub fn tz(&self, unit: &str) -> Tz {
        self.units
            .get(unit)
            .and_then(|u| u.timezone.parse().ok())
            .unwrap_or(self.default_tz)
    }

    /// Is `board` inside unit `code` (the commune itself, or its province)?
    pub fn within(&self, board: &Board, code: &str) -> bool {
        self.unit_within(&board.unit, code)
    }

    /// Is commune `unit` unit `code` itself, or in province `code`?
    pub fn unit_within(&self, unit: &str, code: &str) -> bool {
        unit == code || self.province_of(unit) == Some(code)
    }

    /// Does `item` concern unit `code`: its areas name the unit, the unit's
    /// province or one of its communes, or it targets one of its boards?
    pub fn concerns(&self, item: &Item, code: &str) -> bool {
        item.areas
            .iter()
            .any(|a| a == code || Some(a.as_str()) == self.province_of(code) || self.province_of(a) == Some(code))
            || self
                .targeted(&item.areas, &item.boards)
                .iter()
                .any(|b| self.within(b, code))
    }

    /// Boards covered by `areas` or named in `ids` (as the alert sets are
    /// compiled, `crate::alerting`).
    fn targeted(&self, areas: &[String], ids: &[String]) -> Vec<&Board> {
        self.boards
            .iter()
            .filter(|b| {
                ids.contains(&b.id)
                    || areas
                        .iter()
                        .any(|a| *a == b.unit || Some(a.as_str()) == self.province_of(&b.unit))
            })
            .collect()
    }
}

/// Bulletin or CAP alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Bulletin,
    Alert,
}

/// One bulletin or alert, as reports see it.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub source: String,
    pub id: String,
    pub version: Option<u64>,
    pub title: String,
    pub priority: String,
    pub state: String,
    pub received_at: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub has_media: bool,
    /// SHA-256 of its pictures and videos (what boards download).
    pub board_media: Vec<String>,
    pub areas: Vec<String>,
    pub boards: Vec<String>,
    /// Off the boards for good: `cancelled`, `superseded`, `updated`.
    withdrawn: Option<&'static str>,
    /// When it was withdrawn, where known.
    withdrawn_at: Option<DateTime<Utc>>,
    /// CAP Test, Exercise, System, Draft: never sent to boards.
    not_live: bool,
    /// Normal bulletins waiting for approval: each commune's decision.
    decisions: Option<BTreeMap<String, Decision>>,
    rejected: bool,
}

fn name_of<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Item {
    pub fn from_bulletin(r: &BulletinRecord) -> Item {
        let doc = crate::bulletin::parse(r.document.as_bytes()).ok();
        let withdrawn = match r.state {
            BulletinState::Cancelled => Some("cancelled"),
            BulletinState::Superseded => Some("superseded"),
            _ => None,
        };
        Item {
            kind: ItemKind::Bulletin,
            source: r.source.clone(),
            id: r.id.clone(),
            version: Some(r.version),
            title: r.title.clone(),
            priority: r.priority.clone(),
            state: name_of(r.state),
            received_at: r.received,
            valid_from: doc
                .as_ref()
                .and_then(|d| d.schedule.valid_from)
                .map(|t| t.with_timezone(&Utc)),
            valid_to: doc
                .as_ref()
                .and_then(|d| d.schedule.valid_to)
                .map(|t| t.with_timezone(&Utc)),
            has_media: doc.as_ref().is_some_and(|d| !d.media().is_empty()),
            board_media: doc
                .as_ref()
                .map(|d| {
                    d.board
                        .items
                        .iter()
                        .filter_map(|it| match it {
                            crate::bulletin::BoardItem::Image { sha256, .. }
                            | crate::bulletin::BoardItem::Video { sha256, .. } => Some(sha256.clone()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            areas: r.areas.clone(),
            boards: r.boards.clone(),
            withdrawn,
            // A cancel is a new version: its receipt is the cancel's time.
            withdrawn_at: (r.state == BulletinState::Cancelled).then_some(r.received),
            not_live: false,
            decisions: (r.priority == "normal" && r.state == BulletinState::Pending).then(|| r.decisions.clone()),
            rejected: r.state == BulletinState::Rejected,
        }
    }

    pub fn from_alert(r: &AlertRecord) -> Item {
        let cap = crate::cap::parse(r.document.as_bytes()).ok();
        let info = cap.as_ref().and_then(|c| c.board_info());
        Item {
            kind: ItemKind::Alert,
            source: r.source.clone(),
            id: r.identifier.clone(),
            version: None,
            title: r
                .headline
                .clone()
                .or_else(|| info.map(|i| i.event.clone()))
                .unwrap_or_default(),
            priority: if r.emergency { "emergency" } else { "priority" }.into(),
            state: name_of(r.state),
            received_at: r.received,
            valid_from: info
                .and_then(|i| i.effective.or(i.onset))
                .map(|t| t.with_timezone(&Utc)),
            valid_to: r.expires.map(|t| t.with_timezone(&Utc)),
            has_media: false,
            board_media: Vec::new(),
            areas: r.areas.clone(),
            boards: Vec::new(),
            withdrawn: match r.state {
                AlertState::Cancelled => Some("cancelled"),
                AlertState::Updated => Some("updated"),
                _ => None,
            },
            withdrawn_at: None,
            not_live: r.state == AlertState::NotLive,
            decisions: None,
            rejected: false,
        }
    }

    /// The id boards know it by (and log as `alert:<id>`).
    pub fn alert_id(&self) -> String {
        match self.kind {
            ItemKind::Bulletin => format!("bulletin:{}:{}", self.source, self.id),
            ItemKind::Alert => format!("cap:{}", self.id),
        }
    }

    fn expired(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.valid_to.filter(|t| *t <= now)
    }

    /// Over for good: expired, withdrawn, rejected or never live.
    pub fn ended(&self, now: DateTime<Utc>) -> bool {
        self.expired(now).is_some() || self.withdrawn.is_some() || self.not_live || self.rejected
    }

    /// When it ended, where known.
    fn ended_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.expired(now)
            .or(self.withdrawn_at)
            .or(self.not_live.then_some(self.received_at))
    }
}

// ---------------------------------------------------------------------------
// Reports

/// Where a bulletin stands on one board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardState {
    /// Not fetched yet, still in force (see `reason` when the board is offline).
    Waiting,
    /// A normal bulletin the board's commune has not decided on yet.
    PendingApproval,
    /// The board's commune rejected it (`reason` holds why).
    Rejected,
    /// Fetched, not on screen yet.
    Received,
    /// On screen at least once.
    Shown,
    /// Not delivered or not shown in time (`reason`).
    Failed,
    /// Cancelled, superseded or updated before it was shown.
    Withdrawn,
}

/// Why: a stable code and a message in Vietnamese with its English meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// `offline`, `not_fetched`, `not_shown`, `disabled`, `rejected`,
    /// `cancelled`, `superseded`, `updated`.
    pub code: String,
    pub message: String,
}

fn reason(code: &str, message: impl Into<String>) -> Option<Reason> {
    Some(Reason {
        code: code.into(),
        message: message.into(),
    })
}

/// Time on screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Shown {
    /// First time on screen.
    pub first: DateTime<Utc>,
    /// End of the latest play that ended (null while the first is on screen).
    pub last: Option<DateTime<Utc>>,
    /// Seconds on screen, plays that ended or were cut short.
    pub seconds: f64,
    pub plays: u64,
    /// Of `plays`, those cut short (another emergency, display off, restart).
    pub interrupted: u64,
}

/// One targeted board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardReport {
    pub board: String,
    pub name: String,
    /// Commune code.
    pub unit: String,
    pub state: BoardState,
    /// First fetch of a signed alert set holding it.
    pub received: Option<DateTime<Utc>>,
    /// Bulletins: newest version the board fetched, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_received: Option<DateTime<Utc>>,
    /// When everything it needs was on the board: `received` for text-only
    /// bulletins and CAP alerts; null while media referenced by URL are not
    /// delivered.
    pub media_ready: Option<DateTime<Utc>>,
    pub shown: Option<Shown>,
    pub reason: Option<Reason>,
}

/// Counts over the boards of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub targeted: usize,
    /// Boards that fetched it (shown ones included).
    pub received: usize,
    pub media_ready: usize,
    pub shown: usize,
    pub waiting: usize,
    pub pending_approval: usize,
    pub rejected: usize,
    pub failed: usize,
    pub withdrawn: usize,
    /// Seconds on screen over all boards.
    pub seconds: f64,
    pub first_received: Option<DateTime<Utc>>,
    pub first_shown: Option<DateTime<Utc>>,
    pub last_shown: Option<DateTime<Utc>>,
}

/// The report of one bulletin or CAP alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub kind: ItemKind,
    pub source: String,
    /// Bulletin id or CAP identifier.
    pub id: String,
    /// Bulletins: the version the manager holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    pub title: String,
    /// `normal`, `priority`, `emergency`.
    pub priority: String,
    /// The item's own state: bulletins `pending`, `live`, `rejected`,
    /// `cancelled`, `superseded`; alerts `live`, `not_live`, `updated`,
    /// `cancelled`.
    pub state: String,
    /// Expired, withdrawn, rejected or never live.
    pub ended: bool,
    /// When the manager accepted it.
    pub received_at: DateTime<Utc>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Images, videos or sound referenced by URL.
    pub has_media: bool,
    pub summary: Summary,
    /// Targeted boards, by commune then id.
    pub boards: Vec<BoardReport>,
    /// Loudspeaker zones of the targeted communes that announced it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speakers: Vec<SpeakerReport>,
    pub generated_at: DateTime<Utc>,
}

/// What a report covers: boards and (for loudspeaker zones) communes.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub boards: &'a dyn Fn(&Board) -> bool,
    pub units: &'a dyn Fn(&str) -> bool,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scope")
    }
}

impl Scope<'static> {
    /// Everything the item targets (sources' reports and pushes).
    pub fn all() -> Scope<'static> {
        fn any_board(_: &Board) -> bool {
            true
        }
        fn any_unit(_: &str) -> bool {
            true
        }
        Scope {
            boards: &any_board,
            units: &any_unit,
        }
    }
}

/// How often a loudspeaker zone announced an item (all its versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpeakerReport {
    pub zone: String,
    pub name: String,
    pub unit: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub times: u32,
}

/// The announcements of `item` by zones whose commune `unit_scope` lets
/// through and that the item targets.
fn spoken(
    store: &dyn Store,
    world: &World,
    item: &Item,
    unit_scope: &dyn Fn(&str) -> bool,
) -> crate::store::Result<Vec<SpeakerReport>> {
    let mut out = Vec::new();
    for z in store.scan_json::<crate::speakers::SpeakerZone>("speaker/")? {
        let targeted = item.areas.iter().any(|a| world.unit_within(&z.unit, a))
            || z.board.as_ref().is_some_and(|b| item.boards.contains(b));
        if !targeted || !unit_scope(&z.unit) {
            continue;
        }
        // A bulletin's versions are announced apiece; a CAP message once.
        let prefix = match item.kind {
            ItemKind::Bulletin => crate::speakers::spoken_key(&z.id, &format!("{}:v", item.alert_id())),
            ItemKind::Alert => crate::speakers::spoken_key(&z.id, &item.alert_id()),
        };
        let mut acc: Option<SpeakerReport> = None;
        for (k, v) in store.scan(&prefix)? {
            if item.kind == ItemKind::Alert && k != prefix {
                continue;
            }
            let Ok(sp) = serde_json::from_slice::<crate::speakers::Spoken>(&v) else {
                continue;
            };
            let r = acc.get_or_insert_with(|| SpeakerReport {
                zone: z.id.clone(),
                name: z.name.clone(),
                unit: z.unit.clone(),
                first: sp.first,
                last: sp.last,
                times: 0,
            });
            r.first = r.first.min(sp.first);
            r.last = r.last.max(sp.last);
            r.times += sp.times;
        }
        out.extend(acc);
    }
    Ok(out)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn seconds(us: i64) -> f64 {
    round3(us as f64 / 1e6)
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn withdrawn_reason(code: &str) -> Option<Reason> {
    match code {
        "cancelled" => reason(code, "nguồn tin đã hủy bản tin (cancelled by the source)"),
        "superseded" => reason(code, "đã được thay bằng bản tin khác (superseded)"),
        _ => reason(code, "đã được thay bằng bản cập nhật (replaced by an update)"),
    }
}

/// Where `item` stands on `board`.
fn board_report(
    item: &Item,
    board: &Board,
    receipt: Option<Receipt>,
    media_at: Option<DateTime<Utc>>,
    plays: Option<PlayAgg>,
    beat: Option<Beat>,
    now: DateTime<Utc>,
) -> BoardReport {
    let shown = plays.and_then(|p| {
        Some(Shown {
            first: p.first?,
            last: p.last,
            seconds: seconds(p.micros),
            plays: p.plays,
            interrupted: p.interrupted,
        })
    });
    let decision = item.decisions.as_ref().map(|d| d.get(&board.unit));
    let rejection = match decision {
        Some(Some(d)) if !d.approved => Some(d.reason.clone().unwrap_or_default()),
        _ if item.rejected => Some(String::new()),
        _ => None,
    };
    let rejected = || {
        let why = rejection.clone().unwrap_or_default();
        let msg = if why.is_empty() {
            "cán bộ xã từ chối bản tin (rejected by the commune)".to_string()
        } else {
            format!("cán bộ xã từ chối: {why} (rejected by the commune)")
        };
        (BoardState::Rejected, reason("rejected", msg))
    };
    let (state, why) = if shown.is_some() {
        (BoardState::Shown, None)
    } else if receipt.is_some() {
        if let Some(w) = item.withdrawn {
            (BoardState::Withdrawn, withdrawn_reason(w))
        } else if rejection.is_some() {
            rejected()
        } else if item
            .expired(now)
            .is_some_and(|t| now >= t + Duration::minutes(NOT_SHOWN_GRACE_MINUTES))
        {
            (
                BoardState::Failed,
                reason(
                    "not_shown",
                    "đã nhận nhưng không có nhật ký phát nào trước khi hết hiệu lực (received, no proof of play before it expired)",
                ),
            )
        } else {
            (BoardState::Received, None)
        }
    } else if let Some(w) = item.withdrawn {
        (BoardState::Withdrawn, withdrawn_reason(w))
    } else if rejection.is_some() {
        rejected()
    } else if matches!(decision, Some(None)) {
        (BoardState::PendingApproval, None)
    } else if board.disabled {
        (
            BoardState::Failed,
            reason("disabled", "bảng tin đã bị khóa (board disabled)"),
        )
    } else if let Some(end) = item.expired(now) {
        if beat.is_none_or(|b| b.last < end) {
            (
                BoardState::Failed,
                reason(
                    "offline",
                    "bảng tin mất kết nối, không nhận được trước khi hết hiệu lực (board offline, never fetched before expiry)",
                ),
            )
        } else {
            (
                BoardState::Failed,
                reason(
                    "not_fetched",
                    "bảng tin có kết nối nhưng không tải bộ cảnh báo trước khi hết hiệu lực (board online, never fetched before expiry)",
                ),
            )
        }
    } else if !beat.is_some_and(|b| b.online) {
        (
            BoardState::Waiting,
            reason("offline", "bảng tin đang mất kết nối (board offline)"),
        )
    } else {
        (BoardState::Waiting, None)
    };
    let bulletin = item.kind == ItemKind::Bulletin;
    BoardReport {
        board: board.id.clone(),
        name: board.name.clone(),
        unit: board.unit.clone(),
        state,
        received: receipt.as_ref().map(|r| r.first),
        received_version: receipt.as_ref().filter(|_| bulletin).map(|r| r.version),
        version_received: receipt.as_ref().filter(|_| bulletin).map(|r| r.version_at),
        // Pictures and videos: when the last was in the board's cache
        // (its heartbeats say); a sound file is the speakers', not the
        // board's.
        media_ready: receipt.as_ref().and_then(|r| {
            if item.board_media.is_empty() {
                Some(r.first)
            } else {
                media_at.map(|t| t.max(r.first))
            }
        }),
        shown,
        reason: why,
    }
}

/// The report of `item` over the boards it targets that `scope` keeps,
/// folding first the proof of play of those not in `folded` (which a
/// caller building several reports keeps). Blocking.
pub fn build(
    store: &dyn Store,
    live: &Live,
    world: &World,
    item: &Item,
    scope: Scope<'_>,
    folded: &mut HashSet<String>,
    now: DateTime<Utc>,
) -> crate::store::Result<Report> {
    let Scope {
        boards: scope,
        units: unit_scope,
    } = scope;
    let mut targeted = if item.not_live {
        Vec::new()
    } else {
        world.targeted(&item.areas, &item.boards)
    };
    targeted.retain(|b| scope(b));
    targeted.sort_by(|a, b| (&a.unit, &a.id).cmp(&(&b.unit, &b.id)));
    let h = item_hash(&item.alert_id());
    let mut boards = Vec::with_capacity(targeted.len());
    let mut sum = Summary::default();
    let mut micros = 0i64;
    for b in targeted {
        if folded.insert(b.id.clone()) {
            fold_board(store, &b.id, world.tz(&b.unit))?;
        }
        let receipt = get_lenient::<Receipt>(store, &recv_key(&h, &b.id))?;
        let plays = get_lenient::<PlayAgg>(store, &play_key(&h, &b.id))?;
        micros += plays.as_ref().map_or(0, |p| p.micros);
        let media_at = if item.board_media.is_empty() {
            None
        } else {
            media_ready_at(store, &b.id, &item.board_media)?
        };
        let r = board_report(item, b, receipt, media_at, plays, live.get(&b.id), now);
        sum.targeted += 1;
        sum.received += usize::from(r.received.is_some());
        sum.media_ready += usize::from(r.media_ready.is_some());
        match r.state {
            BoardState::Shown => sum.shown += 1,
            BoardState::Waiting => sum.waiting += 1,
            BoardState::Received => {}
            BoardState::PendingApproval => sum.pending_approval += 1,
            BoardState::Rejected => sum.rejected += 1,
            BoardState::Failed => sum.failed += 1,
            BoardState::Withdrawn => sum.withdrawn += 1,
        }
        sum.first_received = min_opt(sum.first_received, r.received);
        sum.first_shown = min_opt(sum.first_shown, r.shown.as_ref().map(|s| s.first));
        sum.last_shown = max_opt(sum.last_shown, r.shown.as_ref().and_then(|s| s.last));
        boards.push(r);
    }
    sum.seconds = seconds(micros);
    Ok(Report {
        kind: item.kind,
        source: item.source.clone(),
        id: item.id.clone(),
        version: item.version,
        title: item.title.clone(),
        priority: item.priority.clone(),
        state: item.state.clone(),
        ended: item.ended(now),
        received_at: item.received_at,
        valid_from: item.valid_from,
        valid_to: item.valid_to,
        has_media: item.has_media,
        summary: sum,
        boards,
        speakers: spoken(store, world, item, unit_scope)?,
        generated_at: now,
    })
}

/// What changes when a report changes (everything but when it was made).
fn report_hash(r: &Report) -> String {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("generated_at");
    }
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// A source's CAP alert by identifier (the newest, if several senders of
/// the source used it).
pub fn find_alert(store: &dyn Store, source: &str, identifier: &str) -> crate::store::Result<Option<AlertRecord>> {
    Ok(store
        .scan_json::<AlertRecord>("alert/")?
        .into_iter()
        .filter(|a| a.source == source && a.identifier == identifier)
        .max_by_key(|a| a.received))
}

// ---------------------------------------------------------------------------
// Statistics

/// One commune's figures over a period (or the total of a province).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitStats {
    pub unit: String,
    pub name: String,
    /// Boards of the unit claimed before the period ended.
    pub boards: usize,
    /// `online_seconds / expected_seconds`, 4 decimals; null when no board
    /// existed in the period.
    pub online_ratio: Option<f64>,
    /// Seconds the manager counted the boards online (a beat within 3
    /// heartbeat periods), summed over boards.
    pub online_seconds: f64,
    /// Seconds of the period each board existed (from its claim, up to
    /// now), summed over boards.
    pub expected_seconds: f64,
    /// Distinct bulletins / CAP alerts on screen at least once.
    pub bulletins_shown: usize,
    pub alerts_shown: usize,
    /// Seconds on screen, summed over boards.
    pub bulletin_seconds: f64,
    pub alert_seconds: f64,
    pub airtime_seconds: f64,
}

/// Statistics of a commune, or of a province and each of its communes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub unit: String,
    pub name: String,
    /// First and last local day, inclusive.
    #[schema(value_type = String, example = "2026-01-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2026-06-30")]
    pub to: NaiveDate,
    /// One row per commune.
    pub communes: Vec<UnitStats>,
    /// Over all of them (distinct counts are distinct over the whole unit).
    pub total: UnitStats,
    pub generated_at: DateTime<Utc>,
}

#[derive(Default)]
struct Acc {
    boards: usize,
    online_us: i64,
    expected_us: i64,
    bulletin_us: i64,
    alert_us: i64,
    ids: BTreeSet<String>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.boards += o.boards;
        self.online_us += o.online_us;
        self.expected_us += o.expected_us;
        self.bulletin_us += o.bulletin_us;
        self.alert_us += o.alert_us;
        self.ids.extend(o.ids.iter().cloned());
    }

    fn row(&self, unit: &str, name: &str) -> UnitStats {
        let bulletins = self.ids.iter().filter(|i| i.starts_with("bulletin:")).count();
        UnitStats {
            unit: unit.into(),
            name: name.into(),
            boards: self.boards,
            online_ratio: (self.expected_us > 0)
                .then(|| ((self.online_us as f64 / self.expected_us as f64) * 10_000.0).round() / 10_000.0),
            online_seconds: seconds(self.online_us),
            expected_seconds: seconds(self.expected_us),
            bulletins_shown: bulletins,
            alerts_shown: self.ids.len() - bulletins,
            bulletin_seconds: seconds(self.bulletin_us),
            alert_seconds: seconds(self.alert_us),
            airtime_seconds: seconds(self.bulletin_us + self.alert_us),
        }
    }
}

fn overlap(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> i64 {
    let (from, to) = (a.0.max(b.0), a.1.min(b.1));
    if to > from {
        (to - from).num_microseconds().unwrap_or(0)
    } else {
        0
    }
}

/// One board over local days `from..=to`. Blocking.
fn board_stats(
    store: &dyn Store,
    board: &Board,
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> crate::store::Result<Acc> {
    fold_board(store, &board.id, tz)?;
    let start = day_start(from, tz);
    let end = to.succ_opt().map_or(now, |d| day_start(d, tz));
    let exists = (board.claimed_at, now);
    let mut acc = Acc {
        boards: 1,
        expected_us: overlap((start, end), exists),
        ..Acc::default()
    };
    let p = format!("rpt/day/{}/", board.id);
    let lo = day_key(&board.id, from);
    let hi = to.succ_opt().map_or_else(|| prefix_end(&p), |d| day_key(&board.id, d));
    for (_, v) in store.range(&lo, &hi, usize::MAX, false)? {
        let Ok(d) = serde_json::from_slice::<DayAgg>(&v) else {
            continue;
        };
        acc.online_us += d.online_us;
        acc.bulletin_us += d.bulletin_us;
        acc.alert_us += d.alert_us;
        acc.ids.extend(d.ids);
    }
    // Online now: the stretch since the last "online" transition is not
    // folded into days until it ends.
    let cur: Cursor = get_or_default(store, &cursor_key(&board.id))?;
    if let Some(since) = cur.online_since {
        acc.online_us += overlap((since, now), (start, end));
    }
    acc.online_us = acc.online_us.min(acc.expected_us);
    Ok(acc)
}

/// Statistics of unit `code` over local days `from..=to`. Blocking.
pub fn stats(
    store: &dyn Store,
    world: &World,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> crate::store::Result<Stats> {
    let name = |c: &str| world.units.get(c).map(|u| u.name.clone()).unwrap_or_default();
    let commune = world.units.get(code).is_some_and(|u| u.parent.is_some());
    let mut rows: Vec<String> = if commune {
        vec![code.to_string()]
    } else {
        let mut v: Vec<String> = world
            .units
            .values()
            .filter(|u| u.parent.as_deref() == Some(code))
            .map(|u| u.code.clone())
            .collect();
        if world.boards.iter().any(|b| b.unit == code) {
            v.push(code.to_string());
        }
        v
    };
    rows.sort();
    let last = to.succ_opt().map_or(now, |d| day_start(d, world.tz(code)));
    let mut total = Acc::default();
    let mut communes = Vec::with_capacity(rows.len());
    for c in &rows {
        let mut acc = Acc::default();
        for b in world.boards.iter().filter(|b| b.unit == *c && b.claimed_at < last) {
            acc.add(&board_stats(store, b, world.tz(c), from, to, now)?);
        }
        communes.push(acc.row(c, &name(c)));
        total.add(&acc);
    }
    Ok(Stats {
        unit: code.to_string(),
        name: name(code),
        from,
        to,
        communes,
        total: total.row(code, &name(code)),
        generated_at: now,
    })
}

/// RFC 4180: quote fields holding a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub const STATS_CSV_HEADER: &str = "unit,name,boards,online_ratio,online_seconds,expected_seconds,\
bulletins_shown,alerts_shown,bulletin_seconds,alert_seconds,airtime_seconds";

/// The statistics as CSV: a header, one row per commune, and for a
/// province a last row with its total. UTF-8, CRLF.
pub fn stats_csv(s: &Stats) -> String {
    let mut out = format!("{STATS_CSV_HEADER}\r\n");
    let province = s.communes.len() != 1 || s.communes.first().is_some_and(|c| c.unit != s.unit);
    let rows = s.communes.iter().chain(province.then_some(&s.total));
    for r in rows {
        let fields = [
            csv_field(&r.unit),
            csv_field(&r.name),
            r.boards.to_string(),
            r.online_ratio.map(|x| format!("{x:.4}")).unwrap_or_default(),
            format!("{:.3}", r.online_seconds),
            format!("{:.3}", r.expected_seconds),
            r.bulletins_shown.to_string(),
            r.alerts_shown.to_string(),
            format!("{:.3}", r.bulletin_seconds),
            format!("{:.3}", r.alert_seconds),
            format!("{:.3}", r.airtime_seconds),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

// ---------------------------------------------------------------------------
// Sources' push settings

/// A source's push setting refused: which field and why (HTTP 422).
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BadSetting {
    pub field: &'static str,
    pub reason: String,
}

/// Check a source's `report_url`: http or https, a host, no credentials,
/// at most 2000 characters.
pub fn check_report_url(s: &str) -> Result<String, BadSetting> {
    let bad = |m: &str| {
        Err(BadSetting {
            field: "report_url",
            reason: m.to_string(),
        })
    };
    if s.chars().count() > 2000 {
        return bad("URL dài quá 2000 ký tự (URL longer than 2000 characters)");
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad(
            "URL không được chứa khoảng trắng hay ký tự điều khiển (URL must not contain spaces or control characters)",
        );
    }
    let Ok(u) = reqwest::Url::parse(s) else {
        return bad("URL không hợp lệ (invalid URL)");
    };
    if !matches!(u.scheme(), "http" | "https") {
        return bad("chỉ nhận URL http hoặc https (only http or https URLs)");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return bad("URL không được chứa tên người dùng hay mật khẩu (URL must not contain credentials)");
    }
    if u.host_str().is_none_or(str::is_empty) {
        return bad("URL thiếu máy chủ (URL has no host)");
    }
    Ok(s.to_string())
}

/// Check a source's `report_every_s`: 1–3600.
pub fn check_report_every(v: u32) -> Result<u32, BadSetting> {
    if (1..=MAX_REPORT_EVERY_S).contains(&v) {
        Ok(v)
    } else {
        Err(BadSetting {
            field: "report_every_s",
            reason: format!(
                "chu kỳ gửi báo cáo phải từ 1 đến {MAX_REPORT_EVERY_S} giây (report_every_s must be 1–{MAX_REPORT_EVERY_S})"
            ),
        })
    }
}

// ---------------------------------------------------------------------------
// Pushing reports to the sources

/// The body of a push: `POST <report_url>`, signed like ingest requests
/// but with the source's key by the manager (`X-Bangtin-Source` names the
/// source the reports are for).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportPush {
    /// `bangtin.reports/1`.
    pub schema: String,
    pub source: String,
    pub sent_at: DateTime<Utc>,
    /// Reports that changed since the last successful push.
    pub reports: Vec<Report>,
}

/// An item a source sent, as the push rounds track it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ItemRef {
    Bulletin(String),
    Alert(String),
}

/// Items each source may still get pushes for (by source id).
type Open = BTreeMap<String, BTreeSet<ItemRef>>;

/// The items an audit entry says changed (receipt, approval, rejection).
fn item_of(e: &AuditEntry) -> Option<(String, ItemRef)> {
    let source = || e.actor.strip_prefix("source:").map(str::to_string);
    match e.action.as_str() {
        "bulletin.receive" => Some((source()?, ItemRef::Bulletin(e.target.clone()))),
        "alert.receive" => Some((source()?, ItemRef::Alert(e.target.clone()))),
        a if a.starts_with("bulletin.") => {
            let (src, id) = e.target.split_once('/')?;
            Some((src.to_string(), ItemRef::Bulletin(id.to_string())))
        }
        _ => None,
    }
}

fn is_settled(store: &dyn Store, source: &str, alert_id: &str) -> crate::store::Result<bool> {
    Ok(get_lenient::<Sent>(store, &sent_key(source, &item_hash(alert_id)))?.is_some_and(|s| s.settled))
}

/// Every item not settled yet (once, when the manager starts).
fn seed(store: &dyn Store) -> crate::store::Result<Open> {
    let mut open = Open::new();
    for b in store.scan_json::<BulletinRecord>("bulletin/")? {
        if !is_settled(store, &b.source, &format!("bulletin:{}:{}", b.source, b.id))? {
            open.entry(b.source).or_default().insert(ItemRef::Bulletin(b.id));
        }
    }
    for a in store.scan_json::<AlertRecord>("alert/")? {
        if !is_settled(store, &a.source, &format!("cap:{}", a.identifier))? {
            open.entry(a.source).or_default().insert(ItemRef::Alert(a.identifier));
        }
    }
    Ok(open)
}

/// Add the items audit entries since `since` (with some slack) name.
fn tail_audit(store: &dyn Store, open: &mut Open, since: DateTime<Utc>) -> crate::store::Result<()> {
    let from = since - Duration::seconds(AUDIT_SLACK_S);
    let mut end = prefix_end("audit/");
    loop {
        let page = store.range("audit/", &end, 500, true)?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        let full = page.len() == 500;
        end = last.clone();
        for (_, v) in &page {
            let Ok(e) = serde_json::from_slice::<AuditEntry>(v) else {
                continue;
            };
            if e.at < from {
                return Ok(());
            }
            if let Some((src, item)) = item_of(&e) {
                open.entry(src).or_default().insert(item);
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// A push round's work for one source: reports that changed, and items
/// that need no more pushes.
struct Round {
    changed: Vec<(ItemRef, Report, Sent)>,
    settled: Vec<ItemRef>,
    ops: Vec<Op>,
}

/// Build the reports of `items` of `src` and keep those that changed since
/// the last push. Blocking.
fn round(s: &Shared, src: &SourceRecord, items: &BTreeSet<ItemRef>, now: DateTime<Utc>) -> crate::store::Result<Round> {
    let store = &*s.store;
    let world = World::load(store, &s.cfg.timezone)?;
    let alerts: Vec<AlertRecord> = if items.iter().any(|i| matches!(i, ItemRef::Alert(_))) {
        store
            .scan_json::<AlertRecord>("alert/")?
            .into_iter()
            .filter(|a| a.source == src.id)
            .collect()
    } else {
        Vec::new()
    };
    let mut folded = HashSet::new();
    let mut out = Round {
        changed: Vec::new(),
        settled: Vec::new(),
        ops: Vec::new(),
    };
    for r in items {
        let item = match r {
            ItemRef::Bulletin(id) => {
                get_lenient::<BulletinRecord>(store, &bulletin_key(&src.id, id))?.map(|b| Item::from_bulletin(&b))
            }
            ItemRef::Alert(idf) => alerts
                .iter()
                .filter(|a| a.identifier == *idf)
                .max_by_key(|a| a.received)
                .map(Item::from_alert),
        };
        let Some(item) = item else {
            out.settled.push(r.clone());
            continue;
        };
        let report = build(store, &s.live, &world, &item, Scope::all(), &mut folded, now)?;
        let hash = report_hash(&report);
        let sk = sent_key(&src.id, &item_hash(&item.alert_id()));
        let old = get_lenient::<Sent>(store, &sk)?;
        let ended = item.ended(now);
        let ended_seen = old
            .as_ref()
            .and_then(|o| o.ended_seen)
            .or(ended.then_some(now))
            .filter(|_| ended);
        match old {
            Some(o) if o.hash == hash => {
                let since = item.ended_at(now).or(ended_seen);
                if ended && since.is_some_and(|t| now - t >= Duration::hours(SETTLE_HOURS)) {
                    out.ops.push(Op::put(
                        sk,
                        &Sent {
                            settled: true,
                            ended_seen,
                            ..o
                        },
                    ));
                    out.settled.push(r.clone());
                } else if o.ended_seen != ended_seen {
                    out.ops.push(Op::put(sk, &Sent { ended_seen, ..o }));
                }
            }
            _ => out.changed.push((
                r.clone(),
                report,
                Sent {
                    hash,
                    at: now,
                    ended_seen,
                    settled: false,
                },
            )),
        }
    }
    Ok(out)
}

/// POST `reports` to `src`'s report URL, signed with its key.
async fn push(http: &reqwest::Client, src: &SourceRecord, url: &str, reports: &[Report]) -> Result<(), String> {
    use base64::Engine;
    use rand::Rng;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&src.key)
        .map_err(|e| format!("khóa hỏng (bad key): {e}"))?;
    let u = reqwest::Url::parse(url).map_err(|e| format!("URL hỏng (bad URL): {e}"))?;
    let body = serde_json::to_vec(&ReportPush {
        schema: PUSH_SCHEMA.into(),
        source: src.id.clone(),
        sent_at: Utc::now(),
        reports: reports.to_vec(),
    })
    .map_err(|e| e.to_string())?;
    let ts = Utc::now().timestamp().to_string();
    let nonce: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    let sig = crate::sources::sign(&key, &ts, &nonce, "POST", u.path(), &body);
    let r = http
        .post(u)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::sources::HEADER_SOURCE, &src.id)
        .header(crate::sources::HEADER_TIMESTAMP, ts)
        .header(crate::sources::HEADER_NONCE, nonce)
        .header(crate::sources::HEADER_SIGNATURE, sig)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", r.status()))
    }
}

/// When a source is due next, and its failures in a row.
#[derive(Debug, Clone, Copy)]
struct Due {
    at: tokio::time::Instant,
    failures: u32,
}

fn fold_all(s: &Shared) -> crate::store::Result<()> {
    let world = World::load(&*s.store, &s.cfg.timezone)?;
    for b in &world.boards {
        fold_board(&*s.store, &b.id, world.tz(&b.unit))?;
    }
    Ok(())
}

/// Drop fetch records older than [`FETCH_KEEP_DAYS`], and the per-board
/// records of removed boards (their proof of play is gone with them).
fn clean(s: &Shared, now: DateTime<Utc>) -> crate::store::Result<()> {
    let store = &*s.store;
    let cut = now - Duration::days(FETCH_KEEP_DAYS);
    let old: Vec<Op> = store
        .scan("rpt/fetch/")?
        .into_iter()
        .filter(|(_, v)| serde_json::from_slice::<DateTime<Utc>>(v).ok().is_none_or(|t| t < cut))
        .map(|(k, _)| Op::Del(k))
        .collect();
    if !old.is_empty() {
        store.apply(old)?;
    }
    for (k, _) in store.scan("rpt/cursor/")? {
        let Some(board) = k.strip_prefix("rpt/cursor/") else {
            continue;
        };
        if store.get(&crate::model::key::board(board))?.is_none() {
            store.delete_prefix(&format!("rpt/day/{board}/"))?;
            store.delete_prefix(&format!("rpt/fetch/{board}/"))?;
            store.apply(vec![Op::Del(k.clone())])?;
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> crate::store::Result<T> + Send + 'static,
) -> Result<T, String> {
    let s = s.clone();
    match tokio::task::spawn_blocking(move || f(&s)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The background work: fold every board's proof of play and transitions
/// every minute, clean up hourly, and push changed reports to each source
/// with a `report_url` every `report_every_s` (failures back off, doubling
/// up to an hour). Runs until aborted.
pub async fn run(s: Arc<Shared>) {
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("không tạo được HTTP client để gửi báo cáo: {e} (report pushes disabled)");
            return;
        }
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    let mut next_fold = start + std::time::Duration::from_secs(5);
    let mut next_clean = start + CLEAN_EVERY;
    let mut open: Option<Open> = None;
    let mut audit_seen = Utc::now();
    let mut due: HashMap<String, Due> = HashMap::new();
    loop {
        tick.tick().await;
        let now = tokio::time::Instant::now();
        if now >= next_fold {
            next_fold = now + FOLD_EVERY;
            if let Err(e) = blocking(&s, fold_all).await {
                tracing::warn!("tổng hợp nhật ký phát lỗi: {e} (folding proof of play failed)");
            }
        }
        if now >= next_clean {
            next_clean = now + CLEAN_EVERY;
            if let Err(e) = blocking(&s, |s| clean(s, Utc::now())).await {
                tracing::warn!("dọn dữ liệu báo cáo lỗi: {e} (report cleanup failed)");
            }
        }
        let sources = match blocking(&s, |s| s.store.scan_json::<SourceRecord>("source/")).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("không đọc được danh sách nguồn tin: {e} (cannot list sources)");
                continue;
            }
        };
        let pushing: Vec<SourceRecord> = sources
            .into_iter()
            .filter(|src| !src.disabled && src.report_url.is_some())
            .collect();
        if pushing.is_empty() {
            continue;
        }
        // Items that changed: every unsettled one at start, then those the
        // audit log names.
        let looked = Utc::now();
        let prev = open.take();
        let since = audit_seen;
        match blocking(&s, move |s| {
            let mut o = match prev {
                Some(o) => o,
                None => seed(&*s.store)?,
            };
            tail_audit(&*s.store, &mut o, since)?;
            Ok(o)
        })
        .await
        {
            Ok(o) => {
                open = Some(o);
                audit_seen = looked;
            }
            Err(e) => {
                tracing::warn!("không đọc được nhật ký thay đổi: {e} (cannot read the audit log)");
                continue;
            }
        }
        for src in pushing {
            let d = due.get(&src.id).copied().unwrap_or(Due { at: now, failures: 0 });
            if now < d.at {
                continue;
            }
            let every = u64::from(src.report_every_s.unwrap_or(DEFAULT_REPORT_EVERY_S));
            let items = open.as_ref().and_then(|o| o.get(&src.id)).cloned().unwrap_or_default();
            let src2 = src.clone();
            let r = blocking(&s, move |s| {
                let r = round(s, &src2, &items, Utc::now())?;
                s.store.apply(r.ops.clone())?;
                Ok(r)
            })
            .await;
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(
                        "không lập được báo cáo cho nguồn {}: {e} (building reports failed)",
                        src.id
                    );
                    due.insert(
                        src.id.clone(),
                        Due {
                            at: now + std::time::Duration::from_secs(every),
                            failures: d.failures,
                        },
                    );
                    continue;
                }
            };
            if let Some(set) = open.as_mut().and_then(|o| o.get_mut(&src.id)) {
                for i in &r.settled {
                    set.remove(i);
                }
            }
            let url = src.report_url.clone().unwrap_or_default();
            let mut failed = None;
            for chunk in push_chunks(&r.changed) {
                let reports: Vec<Report> = chunk.iter().map(|(_, rep, _)| rep.clone()).collect();
                if let Err(e) = push(&http, &src, &url, &reports).await {
                    failed = Some(e);
                    break;
                }
                let ops: Vec<Op> = chunk
                    .iter()
                    .map(|(_, rep, sent)| Op::put(sent_key(&src.id, &item_hash(&alert_id_of(rep))), sent))
                    .collect();
                if let Err(e) = blocking(&s, move |s| s.store.apply(ops)).await {
                    tracing::warn!("không ghi được báo cáo đã gửi: {e} (cannot record pushed reports)");
                }
            }
            let next = match failed {
                None => Due {
                    at: now + std::time::Duration::from_secs(every),
                    failures: 0,
                },
                Some(e) => {
                    let failures = d.failures.saturating_add(1);
                    let wait = every
                        .saturating_mul(1u64 << failures.min(16))
                        .min(u64::from(MAX_REPORT_EVERY_S));
                    tracing::warn!(
                        "không gửi được báo cáo tới nguồn {} ({url}): {e}; thử lại sau {wait} s (report push failed, retrying)",
                        src.id
                    );
                    Due {
                        at: now + std::time::Duration::from_secs(wait),
                        failures,
                    }
                }
            };
            due.insert(src.id.clone(), next);
        }
    }
}

/// The changed reports cut into requests of at most
/// [`MAX_REPORTS_PER_PUSH`] reports and [`MAX_BOARDS_PER_PUSH`] boards.
fn push_chunks<T>(changed: &[(T, Report, Sent)]) -> Vec<&[(T, Report, Sent)]> {
    let mut out = Vec::new();
    let (mut start, mut boards) = (0, 0);
    for (i, (_, r, _)) in changed.iter().enumerate() {
        let n = r.boards.len();
        if i > start && (i - start >= MAX_REPORTS_PER_PUSH || boards + n > MAX_BOARDS_PER_PUSH) {
            out.push(&changed[start..i]);
            (start, boards) = (i, 0);
        }
        boards += n;
    }
    if start < changed.len() {
        out.push(&changed[start..]);
    }
    out
}

fn alert_id_of(r: &Report) -> String {
    match r.kind {
        ItemKind::Bulletin => format!("bulletin:{}:{}", r.source, r.id),
        ItemKind::Alert => format!("cap:{}", r.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn stretches_are_cut_at_local_midnight() {
        // 23:59:50 to 00:00:10 in Hà Nội (UTC+7).
        let parts = split_days(at("2026-11-22T16:59:50Z"), at("2026-11-22T17:00:10Z"), DEFAULT_TZ);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            parts,
            vec![(d("2026-11-22"), 10_000_000), (d("2026-11-23"), 10_000_000)]
        );
        assert!(split_days(at("2026-11-22T17:00:10Z"), at("2026-11-22T17:00:10Z"), DEFAULT_TZ).is_empty());
        let long = split_days(at("2020-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), DEFAULT_TZ);
        assert!(long.len() <= MAX_SPLIT_DAYS as usize + 2);
    }

    #[test]
    fn report_urls_are_http_without_credentials() {
        assert!(check_report_url("https://htttn.example/bao-cao").is_ok());
        assert!(check_report_url("http://127.0.0.1:9000/r?x=1").is_ok());
        for bad in [
            "ftp://x/y",
            "https://u:p@x/",
            "không phải URL",
            "http://",
            "https://x/ a",
        ] {
            let e = check_report_url(bad).unwrap_err();
            assert_eq!(e.field, "report_url", "{bad}");
        }
        assert!(check_report_every(0).is_err() && check_report_every(3601).is_err());
        assert_eq!(check_report_every(60).unwrap(), 60);
    }

    #[test]
    fn pushes_are_cut_by_reports_and_boards() {
        let now = Utc::now();
        let report = |boards: usize| Report {
            kind: ItemKind::Bulletin,
            source: "src_1".into(),
            id: "b".into(),
            version: Some(1),
            title: String::new(),
            priority: "emergency".into(),
            state: "live".into(),
            ended: false,
            received_at: now,
            valid_from: None,
            valid_to: None,
            has_media: false,
            summary: Summary::default(),
            boards: vec![
                BoardReport {
                    board: "brd_1".into(),
                    name: String::new(),
                    unit: "05443".into(),
                    state: BoardState::Waiting,
                    received: None,
                    received_version: None,
                    version_received: None,
                    media_ready: None,
                    shown: None,
                    reason: None,
                };
                boards
            ],
            speakers: Vec::new(),
            generated_at: now,
        };
        let sent = || Sent {
            hash: String::new(),
            at: now,
            ended_seen: None,
            settled: false,
        };
        let small: Vec<((), Report, Sent)> = (0..250).map(|_| ((), report(1), sent())).collect();
        let sizes: Vec<usize> = push_chunks(&small).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let big: Vec<((), Report, Sent)> = [6000, 6000, 20_000, 10]
            .into_iter()
            .map(|n| ((), report(n), sent()))
            .collect();
        let sizes: Vec<usize> = push_chunks(&big).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [1, 1, 1, 1]);
        assert!(push_chunks::<()>(&[]).is_empty());
    }

    #[test]
    fn audit_entries_name_the_items_they_change() {
        let e = |actor: &str, action: &str, target: &str| AuditEntry {
            seq: 1,
            at: Utc::now(),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            unit: None,
            detail: None,
        };
        assert_eq!(
            item_of(&e("source:src_1", "bulletin.receive", "tn:1")),
            Some(("src_1".into(), ItemRef::Bulletin("tn:1".into())))
        );
        assert_eq!(
            item_of(&e("user:xa", "bulletin.reject", "src_1/tn:1")),
            Some(("src_1".into(), ItemRef::Bulletin("tn:1".into())))
        );
        assert_eq!(
            item_of(&e("source:src_2", "alert.receive", "VN/1")),
            Some(("src_2".into(), ItemRef::Alert("VN/1".into())))
        );
        assert_eq!(item_of(&e("user:a", "layout.create", "lay_1")), None);
    }
}
