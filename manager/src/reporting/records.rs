//! Records: receipts, plays, day aggregates and their keys.

use super::*;

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
pub(crate) struct Cursor {
    /// Next proof-of-play seq to fold.
    pub(crate) next_seq: u64,
    /// The proof-of-play log (hour bucket) read last, and how far.
    #[serde(default)]
    pub(crate) play_bucket: String,
    #[serde(default)]
    pub(crate) play_pos: u64,
    /// Next transition key (µs) to fold.
    pub(crate) next_us: u64,
    /// Online since this instant, as far as folded.
    pub(crate) online_since: Option<DateTime<Utc>>,
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
    pub(crate) fn add_id(&mut self, id: &str) {
        if self.ids.len() < MAX_DAY_IDS {
            self.ids.insert(id.to_string());
        }
    }
}

/// The last report pushed for an item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sent {
    pub(crate) hash: String,
    pub(crate) at: DateTime<Utc>,
    /// When a push round first saw the item ended.
    #[serde(default)]
    pub(crate) ended_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) settled: bool,
}

/// Key part naming an item: 32 hex digits of SHA-256 of its board alert id
/// (CAP identifiers may hold any character; keys stay ASCII).
pub fn item_hash(alert_id: &str) -> String {
    hex::encode(&Sha256::digest(alert_id.as_bytes())[..16])
}

pub(crate) fn fetch_key(board: &str, version: u64) -> String {
    format!("rpt/fetch/{board}/{version:020}")
}
pub(crate) fn recv_key(item: &str, board: &str) -> String {
    format!("rpt/recv/{item}/{board}")
}
pub(crate) fn media_key(board: &str, sha: &str) -> String {
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
pub(crate) fn media_ready_at(
    store: &dyn Store,
    board: &str,
    shas: &[String],
) -> crate::store::Result<Option<DateTime<Utc>>> {
    let mut last: Option<DateTime<Utc>> = None;
    for sha in shas {
        match get_lenient::<DateTime<Utc>>(store, &media_key(board, sha))? {
            Some(t) => last = max_opt(last, Some(t)),
            None => return Ok(None),
        }
    }
    Ok(last)
}

pub(crate) fn play_key(item: &str, board: &str) -> String {
    format!("rpt/play/{item}/{board}")
}
pub(crate) fn cursor_key(board: &str) -> String {
    format!("rpt/cursor/{board}")
}
pub(crate) fn day_key(board: &str, date: NaiveDate) -> String {
    format!("rpt/day/{board}/{}", date.format("%Y-%m-%d"))
}
pub(crate) fn sent_key(source: &str, item: &str) -> String {
    format!("rpt/sent/{source}/{item}")
}

/// A record, or its default when absent or unreadable (derived records
/// must never block folding).
pub(crate) fn get_or_default<T: DeserializeOwned + Default>(store: &dyn Store, k: &str) -> crate::store::Result<T> {
    Ok(store
        .get(k)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

pub(crate) fn get_lenient<T: DeserializeOwned>(store: &dyn Store, k: &str) -> crate::store::Result<Option<T>> {
    Ok(store.get(k)?.and_then(|b| serde_json::from_slice(&b).ok()))
}
