//! Boards online. The last beat of every board is kept in memory, so
//! marking boards offline never scans the store; boards hold an event
//! stream open, through which publishes and commands reach them at once;
//! background work sweeps for silent boards every second and prunes the
//! heartbeat history every hour.

use crate::journal::Stream;
use crate::model::key;
use crate::store::{Op, Store, StoreExt, prefix_end};
use bangtin_layouts::wire::{BoardStatus, Command, DEFAULT_HEARTBEAT_SECONDS, MISSED_BEATS_OFFLINE, Push};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, watch};
use utoipa::ToSchema;

/// How often silent boards are looked for (an in-memory scan).
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How often a manager sharing its store reads every board's latest beat
/// (boards that beat at another manager).
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How often old heartbeat history is deleted.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Most history entries kept per board a UTC day (one every 30 s): a board
/// whose status changes faster than that is seen in its latest beat only.
pub const MAX_BEATS_A_DAY: u32 = 2_880;
/// Longest heartbeat period a board may announce.
pub const MAX_INTERVAL_S: u32 = 86_400;
/// Event streams one board may hold open; a newer one closes the oldest
/// (a board reconnecting after a network cut may not have closed its old one).
pub const STREAMS_PER_BOARD: usize = 4;
/// Pushes waiting in one stream before further ones count as not pushed.
const STREAM_BUFFER: usize = 64;
/// Commands not handed over within this many hours are dropped.
pub const COMMAND_HOURS: i64 = 24;

/// Microseconds since 1970 (0 before), for keys that sort by time.
pub fn micros(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp_micros()).unwrap_or(0)
}

pub fn from_micros(us: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(i64::try_from(us).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// The latest beat of a board, stored under `heartbeat/{board}` (the status
/// as JSON, so records from older boards still load).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastBeat {
    pub at: DateTime<Utc>,
    pub status: serde_json::Value,
}

impl LastBeat {
    /// How far the board's clock was from ours when this beat came
    /// (seconds, + ahead): its `clock` stamp against the time it arrived.
    /// None for boards that do not send one.
    pub fn clock_skew_s(&self) -> Option<f64> {
        let clock = self.status.get("clock")?.as_str()?.parse::<DateTime<Utc>>().ok()?;
        Some(bangtin_layouts::wire::clock_skew_s(clock, self.at))
    }
}

/// When a board last beat, its heartbeat interval and whether it
/// acknowledges commands, under `seen/{board}`: written beside
/// `heartbeat/` where managers share the store, so that the others'
/// liveness refresh ([`Live::refresh_from`], every few seconds) reads
/// about 70 bytes a board instead of its whole status (≈ 600).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub at: DateTime<Utc>,
    pub interval_s: u32,
    pub acks: bool,
}

impl Seen {
    pub fn of(b: &LastBeat) -> Seen {
        Seen {
            at: b.at,
            interval_s: interval_of(&b.status),
            acks: b.status.get("commands_done").is_some(),
        }
    }
}

/// A board coming online or going offline, under `boardevent/{board}/{µs}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub online: bool,
}

/// A command waiting for its board, under `cmd/{board}/{seq}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCommand {
    pub command: Command,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// What the manager knows of a board's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beat {
    /// When its last heartbeat arrived.
    pub last: DateTime<Utc>,
    pub interval_s: u32,
    pub online: bool,
    /// Offline unless a beat comes before this.
    deadline: DateTime<Utc>,
    /// History entries written since the last prune.
    written: u32,
    /// History entries kept on a UTC day.
    today: (NaiveDate, u32),
    /// When the last history entry was written, and a digest of what
    /// mattered in it (see [`Live::keep_in_history`]).
    kept: Option<(DateTime<Utc>, u64)>,
    /// When errors were last kept, and a digest of them: the same errors
    /// beat after beat (a standing problem, such as a mistake in the
    /// board's settings file) are kept once a period, not every beat.
    kept_errors: Option<(DateTime<Utc>, u64)>,
    /// Its last beat acknowledged commands (`commands_done`).
    pub acks: bool,
    /// The alert set version it last reported (since this start).
    alerts_seen: Option<u64>,
}

fn deadline(from: DateTime<Utc>, interval_s: u32) -> DateTime<Utc> {
    from + Duration::seconds(i64::from(interval_s) * i64::from(MISSED_BEATS_OFFLINE))
}

/// A board's heartbeat period from its stored status (older records may
/// lack one).
fn interval_of(status: &serde_json::Value) -> u32 {
    status
        .get("interval_s")
        .and_then(serde_json::Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| (1..=MAX_INTERVAL_S).contains(v))
        .unwrap_or(DEFAULT_HEARTBEAT_SECONDS)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent through every panic point (none is known).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The names of the proof-of-play locks, every manager on a shared
/// database taking the same one for a board (an advisory lock and a
/// connection each, per manager).
pub const PLAYLOG_LOCKS: [&str; 8] = [
    "playlog/0",
    "playlog/1",
    "playlog/2",
    "playlog/3",
    "playlog/4",
    "playlog/5",
    "playlog/6",
    "playlog/7",
];

/// Boards online and their event streams.
#[derive(Debug)]
pub struct Live {
    beats: Mutex<HashMap<String, Beat>>,
    pub hub: Arc<Hub>,
    /// Serialise proof-of-play writes of a board (read whether a seq is
    /// stored, then store it), so a batch sent twice at once is counted
    /// once: boards hash onto [`PLAYLOG_LOCKS`], and uploads of boards on
    /// different locks run side by side ([`Live::playlog_lock`]).
    playlog: [tokio::sync::Mutex<()>; PLAYLOG_LOCKS.len()],
    /// The highest proof-of-play seq of each board.
    pub play_seqs: crate::playlog::Seqs,
    /// Serialises the swap of a board's latest screenshot file.
    pub screens: tokio::sync::Mutex<()>,
    stop: watch::Sender<bool>,
}

impl Live {
    /// The lock of `board`'s proof of play and its name: the same on
    /// every manager (a hash of the id that does not depend on the process).
    pub fn playlog_lock(&self, board: &str) -> (&tokio::sync::Mutex<()>, &'static str) {
        let h = board
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let i = h as usize % PLAYLOG_LOCKS.len();
        (&self.playlog[i], PLAYLOG_LOCKS[i])
    }

    /// Last beats from the store. A board online when the manager stopped
    /// gets a full grace period from `now` before it counts as offline: it
    /// could not reach the manager while it was down.
    pub fn load(store: &dyn Store, now: DateTime<Utc>) -> crate::store::Result<Live> {
        let mut beats = HashMap::new();
        for (k, v) in store.scan("heartbeat/")? {
            let Some(id) = k.strip_prefix("heartbeat/") else {
                continue;
            };
            let Ok(b) = serde_json::from_slice::<LastBeat>(&v) else {
                continue;
            };
            let interval_s = interval_of(&b.status);
            let p = format!("boardevent/{id}/");
            let online = store
                .range(&p, &prefix_end(&p), 1, true)?
                .first()
                .and_then(|(_, v)| serde_json::from_slice::<Transition>(v).ok())
                .is_none_or(|t| t.online);
            beats.insert(
                id.to_string(),
                Beat {
                    last: b.at,
                    interval_s,
                    online,
                    deadline: deadline(b.at.max(now), interval_s),
                    written: 0,
                    today: (NaiveDate::MIN, 0),
                    kept: None,
                    kept_errors: None,
                    acks: b.status.get("commands_done").is_some(),
                    alerts_seen: None,
                },
            );
        }
        Ok(Live {
            beats: Mutex::new(beats),
            hub: Arc::new(Hub::default()),
            playlog: Default::default(),
            play_seqs: crate::playlog::Seqs::default(),
            screens: tokio::sync::Mutex::new(()),
            stop: watch::channel(false).0,
        })
    }

    /// Record a beat; true when the board was offline (or never seen), so
    /// an "online" transition is due.
    pub fn beat(&self, board: &str, at: DateTime<Utc>, interval_s: u32) -> bool {
        self.beat_acking(board, at, interval_s, false)
    }

    /// [`Live::beat`], noting whether the board acknowledges commands.
    pub fn beat_acking(&self, board: &str, at: DateTime<Utc>, interval_s: u32, acks: bool) -> bool {
        let mut m = lock(&self.beats);
        let e = m.entry(board.to_string()).or_insert(Beat {
            last: at,
            interval_s,
            online: false,
            deadline: at,
            written: 0,
            today: (NaiveDate::MIN, 0),
            kept: None,
            kept_errors: None,
            acks: false,
            alerts_seen: None,
        });
        let came = !e.online;
        e.last = at;
        e.interval_s = interval_s;
        e.online = true;
        e.deadline = deadline(at, interval_s);
        e.acks = acks;
        came
    }

    /// Whether the beat `status` of `board` at `at` goes into the history:
    /// the first after a restart, one at least every `every`, a beat that
    /// brings the board back online (`came`), and every
    /// beat that reports an error or changes what matters — the show
    /// (version on screen and pending), layout, display power and
    /// brightness, player version, heartbeat period, alert media. A steady
    /// board's beats in between live on only as the latest beat and its
    /// online/offline transitions. Counts what it keeps (for pruning).
    pub fn keep_in_history(
        &self,
        board: &str,
        at: DateTime<Utc>,
        status: &BoardStatus,
        every: Duration,
        came: bool,
    ) -> bool {
        let d = digest(status);
        let errors = errors_digest(status);
        let mut m = lock(&self.beats);
        let Some(e) = m.get_mut(board) else { return true };
        let fresh = |kept: Option<(DateTime<Utc>, u64)>, now: u64| {
            kept.is_none_or(|(when, was)| was != now || at - when >= every || at < when)
        };
        let new_errors = !status.errors.is_empty() && fresh(e.kept_errors, errors);
        let keep = came || new_errors || fresh(e.kept, d);
        let day = at.date_naive();
        if e.today.0 != day {
            e.today = (day, 0);
        }
        let keep = keep && e.today.1 < MAX_BEATS_A_DAY;
        if keep {
            e.kept = Some((at, d));
            if !status.errors.is_empty() {
                e.kept_errors = Some((at, errors));
            }
            e.written = e.written.saturating_add(1);
            e.today.1 += 1;
        }
        keep
    }

    /// Whether `board` reports alert set version `v` for the first time
    /// since this start (then worth comparing with the stored set).
    pub fn alerts_reported(&self, board: &str, v: u64) -> bool {
        let mut m = lock(&self.beats);
        let Some(e) = m.get_mut(board) else { return true };
        let new = e.alerts_seen != Some(v);
        e.alerts_seen = Some(v);
        new
    }

    pub fn get(&self, board: &str) -> Option<Beat> {
        lock(&self.beats).get(board).copied()
    }

    /// Boards whose deadline passed: marked offline, with the instant each
    /// went silent for [`MISSED_BEATS_OFFLINE`] periods.
    pub fn sweep(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let mut out = Vec::new();
        for (id, b) in lock(&self.beats).iter_mut() {
            if b.online && b.deadline < now {
                b.online = false;
                out.push((id.clone(), b.deadline));
            }
        }
        out
    }

    /// Take the latest beat of `board` in the store if it is newer than
    /// this manager's (another manager took it); true when it was.
    pub fn heard_elsewhere(&self, store: &dyn Store, board: &str) -> bool {
        match store.get_json::<LastBeat>(&key::heartbeat(board)) {
            Ok(Some(b)) => self.merge(board, Seen::of(&b)),
            _ => false,
        }
    }

    /// Every board's latest beat from the store ([`Seen`]), where newer
    /// than this manager's: what boards beating at other managers did.
    /// Returns how many were newer.
    pub fn refresh_from(&self, store: &dyn Store) -> crate::store::Result<usize> {
        let mut n = 0;
        for (k, v) in store.scan("seen/")? {
            if let (Some(id), Ok(b)) = (k.strip_prefix("seen/"), serde_json::from_slice::<Seen>(&v))
                && self.merge(id, b)
            {
                n += 1;
            }
        }
        Ok(n)
    }

    /// A beat another manager took, if newer than the last one here.
    fn merge(&self, board: &str, b: Seen) -> bool {
        let interval_s = b.interval_s;
        let mut m = lock(&self.beats);
        let e = m.entry(board.to_string()).or_insert(Beat {
            last: DateTime::<Utc>::MIN_UTC,
            interval_s,
            online: false,
            deadline: b.at,
            written: 0,
            today: (NaiveDate::MIN, 0),
            kept: None,
            kept_errors: None,
            acks: b.acks,
            alerts_seen: None,
        });
        if e.last >= b.at {
            return false;
        }
        e.last = b.at;
        e.interval_s = interval_s;
        e.deadline = deadline(b.at, interval_s);
        e.online = e.deadline >= Utc::now();
        true
    }

    /// A deleted board: no liveness, no streams.
    pub fn forget(&self, board: &str) {
        lock(&self.beats).remove(board);
        self.play_seqs.forget(board);
        self.hub.disconnect(board);
    }

    /// Boards and the history entries each wrote since the last call.
    fn take_written(&self) -> Vec<(String, u32)> {
        lock(&self.beats)
            .iter_mut()
            .map(|(id, b)| (id.clone(), std::mem::take(&mut b.written)))
            .collect()
    }

    /// End the background work and every event stream (graceful shutdown:
    /// the server waits for open responses, and streams never end alone).
    pub fn shut_down(&self) {
        self.stop.send_replace(true);
        self.hub.close();
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

/// One board's open streams, each with its id.
type Streams = Vec<(u64, mpsc::Sender<Push>)>;

/// Open event streams, by board.
#[derive(Debug, Default)]
pub struct Hub {
    streams: Mutex<HashMap<String, Streams>>,
    next: AtomicU64,
    closed: AtomicBool,
    /// Pushes an open stream took, and pushes none did (the board learns
    /// at its next heartbeat).
    pushed: AtomicU64,
    missed: AtomicU64,
    /// Where pushes and disconnects also go when other managers share the
    /// store: they hold other boards' streams ([`Hub::heard`] on theirs).
    relay: std::sync::OnceLock<Relay>,
}

/// This manager's id among others, and what sends a message to all.
pub struct Relay(pub String, pub Box<dyn Fn(String) + Send + Sync>);

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Relay")
    }
}

/// A push or a disconnect one manager tells the others.
#[derive(Debug, Serialize, Deserialize)]
struct Relayed {
    board: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    push: Option<Push>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    disconnect: bool,
}

/// One open stream; leaves the hub when dropped (the board hung up).
#[derive(Debug)]
pub struct Subscription {
    pub rx: mpsc::Receiver<Push>,
    _guard: StreamGuard,
}

#[derive(Debug)]
struct StreamGuard {
    hub: Arc<Hub>,
    board: String,
    id: u64,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut m = lock(&self.hub.streams);
        if let Some(v) = m.get_mut(&self.board) {
            v.retain(|(id, _)| *id != self.id);
            if v.is_empty() {
                m.remove(&self.board);
            }
        }
    }
}

impl Hub {
    /// Open a stream for `board`; None once the server is shutting down.
    pub fn subscribe(self: &Arc<Self>, board: &str) -> Option<Subscription> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut m = lock(&self.streams);
        let v = m.entry(board.to_string()).or_default();
        while v.len() >= STREAMS_PER_BOARD {
            // Dropping the sender ends that stream.
            v.remove(0);
        }
        v.push((id, tx));
        Some(Subscription {
            rx,
            _guard: StreamGuard {
                hub: self.clone(),
                board: board.to_string(),
                id,
            },
        })
    }

    /// Send `push` to every open stream of `board`, here and (where
    /// managers share the store) at every other manager; true if one of
    /// this manager's took it.
    pub fn push(&self, board: &str, push: &Push) -> bool {
        if let Some(r) = self.relay.get() {
            let m = Relayed {
                board: board.to_string(),
                push: Some(push.clone()),
                disconnect: false,
            };
            (r.1)(serde_json::to_string(&m).expect("pushes always serialise"));
        }
        self.deliver(board, push)
    }

    /// Tell other managers through `relay` from now on.
    pub fn relay_to(&self, relay: Relay) {
        let _ = self.relay.set(relay);
    }

    /// A message from manager `from`: this one's own are done already.
    pub fn heard_from(&self, from: &str, message: &str) {
        if self.relay.get().is_none_or(|r| r.0 != from) {
            self.heard(message);
        }
    }

    /// A message another manager sent: pushed or closed here only.
    pub fn heard(&self, message: &str) {
        match serde_json::from_str::<Relayed>(message) {
            Ok(Relayed {
                board, push: Some(p), ..
            }) => {
                self.deliver(&board, &p);
            }
            Ok(Relayed {
                board,
                disconnect: true,
                ..
            }) => {
                lock(&self.streams).remove(&board);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("tin từ máy quản lý khác không đọc được (unreadable message): {e}"),
        }
    }

    fn deliver(&self, board: &str, push: &Push) -> bool {
        let mut m = lock(&self.streams);
        let Some(v) = m.get_mut(board) else {
            self.missed.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        let mut delivered = false;
        v.retain(|(_, tx)| match tx.try_send(push.clone()) {
            Ok(()) => {
                delivered = true;
                true
            }
            // A stalled stream keeps its place; the heartbeat catches up.
            Err(mpsc::error::TrySendError::Full(_)) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        if v.is_empty() {
            m.remove(board);
        }
        if delivered {
            self.pushed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.missed.fetch_add(1, Ordering::Relaxed);
        }
        delivered
    }

    /// Boards holding an event stream, streams open, pushes taken and
    /// pushes no stream took, since the start.
    pub fn counts(&self) -> (usize, usize, u64, u64) {
        let m = lock(&self.streams);
        (
            m.len(),
            m.values().map(Vec::len).sum(),
            self.pushed.load(Ordering::Relaxed),
            self.missed.load(Ordering::Relaxed),
        )
    }

    pub fn connected(&self, board: &str) -> bool {
        lock(&self.streams).get(board).is_some_and(|v| !v.is_empty())
    }

    /// Close every stream of `board` (deleted or disabled).
    pub fn disconnect(&self, board: &str) {
        lock(&self.streams).remove(board);
        if let Some(r) = self.relay.get() {
            let m = Relayed {
                board: board.to_string(),
                push: None,
                disconnect: true,
            };
            (r.1)(serde_json::to_string(&m).expect("always serialises"));
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        lock(&self.streams).clear();
    }
}

/// The commands waiting for `board`, oldest first, and the ops that remove
/// what is done with: commands older than [`COMMAND_HOURS`] (not handed
/// over), those the board names in `done`, and — for a board that does not
/// acknowledge (`acks` false, a player from before acknowledgements) —
/// every command handed over now. A board that acknowledges gets a command
/// again until it names it, so one pushed into an event stream that died
/// silently still arrives; it runs each id once.
pub fn take_commands(
    store: &dyn Store,
    board: &str,
    now: DateTime<Utc>,
    acks: bool,
    done: &[String],
) -> crate::store::Result<(Vec<Command>, Vec<Op>)> {
    let p = format!("cmd/{board}/");
    let mut cmds = Vec::new();
    let mut ops = Vec::new();
    for (k, v) in store.range(&p, &prefix_end(&p), 100, false)? {
        match serde_json::from_slice::<PendingCommand>(&v) {
            Ok(c) if now - c.at < Duration::hours(COMMAND_HOURS) && !done.contains(&c.command.id) => {
                cmds.push(c.command);
                if !acks {
                    ops.push(Op::Del(k));
                }
            }
            _ => ops.push(Op::Del(k)),
        }
    }
    Ok((cmds, ops))
}

/// A status as kept in history and as the latest: long lists and strings
/// cut, so an entry stays a few hundred bytes as boards send them and a few
/// kilobytes at worst, whatever a board sends.
pub fn compact(mut s: BoardStatus) -> BoardStatus {
    fn cut(s: &mut String, n: usize) {
        if let Some((i, _)) = s.char_indices().nth(n) {
            s.truncate(i);
        }
    }
    cut(&mut s.player_version, 40);
    if let Some(l) = s.layout.as_mut() {
        cut(l, 100);
    }
    s.zones.truncate(12);
    if let Some(d) = s.commands_done.as_mut() {
        d.truncate(bangtin_layouts::wire::MAX_COMMANDS_DONE);
        for id in d.iter_mut() {
            cut(id, 40);
        }
    }
    for z in &mut s.zones {
        cut(&mut z.zone, 40);
        cut(&mut z.kind, 20);
        cut(&mut z.label, 80);
    }
    s.errors.truncate(6);
    for e in &mut s.errors {
        cut(e, 160);
    }
    s.alert_media.truncate(MAX_ALERT_MEDIA);
    s.alert_media
        .retain(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    s
}

/// What about a status makes its beat worth keeping in the history when
/// it changes (see [`Live::keep_in_history`]); not the counters (uptime,
/// fps, dropped frames, free disk) nor what each zone plays this second.
fn digest(s: &BoardStatus) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &s.player_version,
        s.interval_s,
        s.show_version,
        s.pending_version,
        &s.layout,
        s.display_on,
        s.brightness,
        &s.alert_media,
    )
        .hash(&mut h);
    h.finish()
}

fn errors_digest(s: &BoardStatus) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.errors.hash(&mut h);
    h.finish()
}

/// Most alert media hashes a heartbeat's record keeps.
pub const MAX_ALERT_MEDIA: usize = 100;

/// Mark silent boards offline and record the transitions.
pub fn sweep(store: &dyn Store, live: &Live, now: DateTime<Utc>) {
    let mut gone = live.sweep(now);
    if store.shared_by_processes() {
        // A board silent here may beat at another manager: its latest
        // beat in the store says.
        gone.retain(|(id, _)| !live.heard_elsewhere(store, id));
    }
    if gone.is_empty() {
        return;
    }
    let ops = gone
        .iter()
        .map(|(id, at)| {
            Op::put(
                key::board_event(id, micros(*at)),
                &Transition { at: *at, online: false },
            )
        })
        .collect();
    if let Err(e) = store.apply(ops) {
        tracing::error!("không ghi được bảng tin mất kết nối (cannot record offline boards): {e}");
    }
    tracing::info!("{} bảng tin mất kết nối (boards went offline)", gone.len());
}

/// The log bucket of a history entry: its UTC date.
pub fn beat_bucket(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A heartbeat kept in the history: one line of the board's log of the
/// day (`beats/{UTC date}/{board}`, see [`crate::journal`]).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BeatEntry {
    pub at: DateTime<Utc>,
    /// The `wire::BoardStatus` the board sent.
    #[schema(value_type = Object)]
    pub status: serde_json::Value,
}

/// Keep a beat in the board's history (durable at the next flush).
pub fn keep_beat(store: &dyn Store, board: &str, beat: &BeatEntry) -> crate::store::Result<()> {
    let line = serde_json::to_vec(beat).expect("beats always serialise");
    Ok(store
        .journal()
        .append(Stream::Beats, &beat_bucket(beat.at), board, &[line])?)
}

/// The board's history entries in `[from, to]`, newest first, at most
/// `limit`.
pub fn beat_history(
    store: &dyn Store,
    board: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> crate::store::Result<Vec<BeatEntry>> {
    let (lo, hi) = (beat_bucket(from), beat_bucket(to));
    let mut out = Vec::new();
    for b in store.journal().buckets(Stream::Beats)?.into_iter().rev() {
        if b > hi {
            continue;
        }
        if b < lo || out.len() >= limit {
            break;
        }
        let r = store.journal().read(Stream::Beats, &b, board, 0)?;
        let mut day: Vec<BeatEntry> = r
            .records
            .iter()
            .filter_map(|l| serde_json::from_slice::<BeatEntry>(l).ok())
            .filter(|e| from <= e.at && e.at <= to)
            .collect();
        day.sort_by_key(|e| std::cmp::Reverse(e.at));
        out.extend(day);
    }
    out.truncate(limit);
    Ok(out)
}

/// Delete history older than the retention (whole days of every board's
/// history at once: `days` days are kept, plus today), transitions older
/// than the retention, and stale commands. Blocking.
pub fn prune(store: &dyn Store, live: &Live, days: u32, now: DateTime<Utc>) -> crate::store::Result<()> {
    let days = days.max(1);
    let cut_at = now - Duration::days(i64::from(days));
    let cut = micros(cut_at);
    let keep_from = beat_bucket(cut_at);
    for b in store.journal().buckets(Stream::Beats)? {
        if b >= keep_from {
            break;
        }
        store.journal().drop_bucket(Stream::Beats, &b)?;
    }
    for (board, _) in live.take_written() {
        if live.stopping() {
            return Ok(());
        }
        let p = format!("boardevent/{board}/");
        store.delete_range(&p, &format!("{p}{cut:020}"))?;
    }
    let stale: Vec<Op> = store
        .scan("cmd/")?
        .into_iter()
        .filter(|(_, v)| {
            serde_json::from_slice::<PendingCommand>(v)
                .ok()
                .is_none_or(|c| now - c.at >= Duration::hours(COMMAND_HOURS))
        })
        .map(|(k, _)| Op::Del(k))
        .collect();
    if !stale.is_empty() {
        store.apply(stale)?;
    }
    Ok(())
}

/// The background work, until [`Live::shut_down`]: sweeps for silent
/// boards, prunes history older than `heartbeat_days`.
pub async fn run(store: Arc<dyn Store>, live: Arc<Live>, heartbeat_days: u32) {
    let mut stop = live.stop.subscribe();
    if *stop.borrow_and_update() {
        return;
    }
    let mut sweep_tick = tokio::time::interval(SWEEP_EVERY);
    // Where managers share the store: what boards beating at the others did.
    let mut refresh_tick = std::time::Instant::now();
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prune_tick = tokio::time::interval_at(tokio::time::Instant::now() + PRUNE_EVERY, PRUNE_EVERY);
    prune_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = sweep_tick.tick() => {
                if store.shared_by_processes() && refresh_tick.elapsed() >= REFRESH_EVERY {
                    refresh_tick = std::time::Instant::now();
                    let (store, live) = (store.clone(), live.clone());
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || live.refresh_from(&*store)).await {
                        tracing::warn!("không đọc được nhịp từ kho dữ liệu chung (cannot read beats): {e}");
                    }
                }
                sweep(&*store, &live, Utc::now())
            }
            _ = prune_tick.tick() => {
                let (store, live) = (store.clone(), live.clone());
                // Stops between boards when the server stops.
                match tokio::task::spawn_blocking(move || prune(&*store, &live, heartbeat_days, Utc::now())).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!("dọn lịch sử nhịp lỗi (history pruning failed): {e}"),
                    Err(e) => tracing::error!("dọn lịch sử nhịp lỗi (history pruning failed): {e}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(s), 0).unwrap()
    }

    #[test]
    fn silent_boards_go_offline_after_missed_beats_and_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let live = Live::load(&store, t(0)).unwrap();
        assert!(live.beat("b1", t(0), 10), "a first beat is a transition");
        assert!(!live.beat("b1", t(10), 10));
        assert!(live.sweep(t(40)).is_empty(), "exactly 3 periods: still online");
        assert_eq!(live.sweep(t(41)), vec![("b1".to_string(), t(40))]);
        assert!(live.sweep(t(100)).is_empty(), "recorded once");
        assert!(!live.get("b1").unwrap().online);
        assert!(live.beat("b1", t(101), 10));
    }

    #[test]
    fn history_keeps_changes_errors_and_one_beat_per_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let live = Live::load(&store, t(0)).unwrap();
        let mut st: BoardStatus = serde_json::from_value(serde_json::json!({
            "player_version": "0.1.0", "uptime_s": 1, "interval_s": 30, "show_version": 4,
            "fps": 60.0, "dropped_frames": 0, "disk_free_bytes": 1, "display_on": true, "brightness": 100,
        }))
        .unwrap();
        let every = Duration::seconds(900);
        let mut kept = Vec::new();
        for i in 0..120u32 {
            let at = t(i * 30);
            live.beat("b", at, 30);
            st.uptime_s = u64::from(i) * 30;
            st.fps = 59.0 + f64::from(i % 2);
            st.errors = if i == 40 { vec!["tệp hỏng".into()] } else { vec![] };
            st.show_version = if i >= 70 { 5 } else { 4 };
            if live.keep_in_history("b", at, &st, every, false) {
                kept.push(i);
            }
        }
        // The first beat, 900 s later, the error at 40, the new show at 70
        // and 900 s after it; counters alone change nothing.
        assert_eq!(kept, vec![0, 30, 40, 70, 100]);
        assert_eq!(live.take_written(), vec![("b".to_string(), 5)]);

        // A standing error (the same one every beat): kept when it first
        // comes, then once a period; another error is kept at once.
        let mut kept = Vec::new();
        for i in 120..240u32 {
            let at = t(i * 30);
            live.beat("b", at, 30);
            st.errors = vec![
                if i < 200 {
                    "player.toml:2: sound.volume: 150"
                } else {
                    "tệp hỏng"
                }
                .into(),
            ];
            if live.keep_in_history("b", at, &st, every, false) {
                kept.push(i);
            }
        }
        assert_eq!(kept, vec![120, 150, 180, 200, 230]);
    }

    /// History lives in a log per board and UTC day: read back newest
    /// first within a range, capped per day, pruned by whole days.
    #[test]
    fn history_is_read_by_range_capped_a_day_and_pruned_by_days() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let live = Live::load(&store, t(0)).unwrap();
        let day = 86_400;
        // t(0) is 2027-01-15T08:00Z: beats on three days, one an hour.
        for h in 0..72u32 {
            let at = t(h * 3600);
            let status = serde_json::json!({"h": h});
            keep_beat(&store, "b", &BeatEntry { at, status }).unwrap();
            keep_beat(
                &store,
                "other",
                &BeatEntry {
                    at,
                    status: serde_json::json!({}),
                },
            )
            .unwrap();
        }
        let got = beat_history(&store, "b", t(10 * 3600), t(30 * 3600), 100).unwrap();
        let hours: Vec<u64> = got.iter().map(|e| e.status["h"].as_u64().unwrap()).collect();
        assert_eq!(
            hours,
            (10..=30).rev().collect::<Vec<u64>>(),
            "newest first, both ends in"
        );
        let few = beat_history(&store, "b", t(0), t(72 * 3600), 5).unwrap();
        assert_eq!(few.len(), 5);
        assert_eq!(few[0].status["h"], 71);
        assert!(
            beat_history(&store, "nobody", t(0), t(72 * 3600), 5)
                .unwrap()
                .is_empty()
        );
        // Kept one day: the days before yesterday's go whole.
        let now = t(71 * 3600);
        prune(&store, &live, 1, now).unwrap();
        let left = beat_history(&store, "b", t(0), now, 1000).unwrap();
        let first = left.last().unwrap().at;
        assert_eq!(
            first,
            day_start_utc(now - Duration::days(1)),
            "from yesterday's midnight (UTC)"
        );
        assert!(left.iter().all(|e| e.at >= first));
        assert_eq!(store.journal().buckets(Stream::Beats).unwrap().len(), 2);
        // A board whose status changes at every beat: no more than the cap a day.
        let mut st: BoardStatus = serde_json::from_value(serde_json::json!({
            "player_version": "0.1.0", "uptime_s": 1, "interval_s": 1, "show_version": 4,
            "fps": 60.0, "dropped_frames": 0, "disk_free_bytes": 1, "display_on": true, "brightness": 100,
        }))
        .unwrap();
        let mut n = 0;
        for i in 0..(MAX_BEATS_A_DAY + 100) {
            let at =
                DateTime::from_timestamp(1_800_000_000 - 1_800_000_000 % i64::from(day) + i64::from(i), 0).unwrap();
            live.beat("fast", at, 1);
            st.show_version = u64::from(i);
            n += u32::from(live.keep_in_history("fast", at, &st, Duration::seconds(900), false));
        }
        assert_eq!(n, MAX_BEATS_A_DAY);
        let next_day =
            DateTime::from_timestamp(1_800_000_000 - 1_800_000_000 % i64::from(day) + i64::from(day), 0).unwrap();
        live.beat("fast", next_day, 1);
        assert!(live.keep_in_history("fast", next_day, &st, Duration::seconds(900), true));
    }

    fn day_start_utc(t: DateTime<Utc>) -> DateTime<Utc> {
        t.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn beats_taken_elsewhere_are_read_from_the_compact_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let live = Live::load(&store, t(0)).unwrap();
        let status = serde_json::json!({"interval_s": 10, "commands_done": []});
        let last = LastBeat { at: t(5), status };
        let seen = Seen::of(&last);
        assert_eq!(
            seen,
            Seen {
                at: t(5),
                interval_s: 10,
                acks: true
            }
        );
        // The full status alone is not what the refresh reads.
        store.apply(vec![Op::put(key::heartbeat("b1"), &last)]).unwrap();
        assert_eq!(live.refresh_from(&store).unwrap(), 0);
        store.apply(vec![Op::put(key::seen("b1"), &seen)]).unwrap();
        assert_eq!(live.refresh_from(&store).unwrap(), 1);
        assert_eq!(live.refresh_from(&store).unwrap(), 0, "not newer the second time");
        let b = live.get("b1").unwrap();
        assert_eq!((b.last, b.interval_s, b.acks), (t(5), 10, true));
    }

    #[test]
    fn a_restart_gives_online_boards_a_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(dir.path()).unwrap();
        let beat = |id: &str, at| {
            Op::put(
                format!("heartbeat/{id}"),
                &LastBeat {
                    at,
                    status: serde_json::json!({"interval_s": 10}),
                },
            )
        };
        store
            .apply(vec![
                beat("on", t(0)),
                beat("off", t(0)),
                Op::put(
                    key::board_event("off", micros(t(30))),
                    &Transition {
                        at: t(30),
                        online: false,
                    },
                ),
            ])
            .unwrap();
        let live = Live::load(&store, t(1000)).unwrap();
        assert_eq!(live.get("on").unwrap().last, t(0));
        assert!(live.get("on").unwrap().online);
        assert!(!live.get("off").unwrap().online);
        assert!(live.sweep(t(1030)).is_empty());
        assert_eq!(live.sweep(t(1031)).len(), 1);
    }

    #[tokio::test]
    async fn pushes_reach_open_streams_and_closed_ones_leave() {
        let hub = Arc::new(Hub::default());
        let p = Push::Show { version: 3 };
        assert!(!hub.push("b", &p));
        let mut s1 = hub.subscribe("b").unwrap();
        assert!(hub.push("b", &p));
        assert_eq!(s1.rx.recv().await, Some(p.clone()));
        drop(s1);
        assert!(!hub.connected("b"));
        let mut subs: Vec<Subscription> = (0..STREAMS_PER_BOARD + 1)
            .map(|_| hub.subscribe("b").unwrap())
            .collect();
        assert_eq!(subs[0].rx.recv().await, None, "the oldest stream is closed");
        hub.close();
        assert_eq!(subs[1].rx.recv().await, None);
        assert!(hub.subscribe("b").is_none());
    }

    #[test]
    fn statuses_are_kept_small() {
        let s: BoardStatus = serde_json::from_value(serde_json::json!({
            "player_version": "0.1.0", "uptime_s": 1, "interval_s": 30, "show_version": 1,
            "fps": 60.0, "dropped_frames": 0, "disk_free_bytes": 1, "display_on": true, "brightness": 100,
            "zones": (0..100).map(|i| serde_json::json!({"zone": format!("z{i}"), "kind": "text", "label": "ư".repeat(500)})).collect::<Vec<_>>(),
            "errors": (0..100).map(|_| "lỗi ".repeat(300)).collect::<Vec<_>>(),
        }))
        .unwrap();
        let c = compact(s);
        assert!(serde_json::to_vec(&c).unwrap().len() < 6000);
        assert_eq!(c.zones[0].label.chars().count(), 80);
        assert_eq!((c.zones.len(), c.errors.len()), (12, 6));
    }
}
