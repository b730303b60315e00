//! Feeds: sources that only publish RSS 2.0, Atom or JSON Feed 1.1. An
//! administrator attaches a feed URL to a registered source; a background
//! task polls it at its interval and turns every entry into a
//! `bangtin.bulletin/1` document that goes through exactly the same ingest
//! path as `POST /api/v1/bulletins` ([`crate::ingest::bulletin`]),
//! so the same targets, version and duplicate rules hold.
//!
//! Each entry's document is rendered deterministically from the entry and
//! the feed's configuration, so an unchanged entry renders the very bytes
//! already stored and is a duplicate (never re-announced), while an edited
//! one (other title, text, category, date) becomes the next version of the
//! same bulletin. The bulletin id is derived from the entry's guid / id /
//! link and the feed URL, so it is stable across polls and restarts.
//!
//! One bad poll never stops the poller: an unreachable server, an HTTP
//! error, a body over [`MAX_FEED_BYTES`], XML that declares entities or
//! nests too deep, or a document that is no feed is recorded in the feed's
//! status (Vietnamese reason, English in parentheses) and tried again at
//! the next interval.

use crate::bulletin::{
    self, AreaLevel, AreaTarget, BoardContent, BoardItem, Bulletin, Priority, Schedule, Source, Targets,
};
use crate::model::{Board, Unit, key};
use crate::records::{BulletinRecord, bulletin_key};
use crate::shared::Shared;
use crate::sources::{self, SourceRecord};
use crate::store::{Op, Store, StoreExt};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// Largest feed body read; a larger one is refused (and not read further).
pub const MAX_FEED_BYTES: usize = 2 * 1024 * 1024;
/// Most entries taken from one poll, in document order (newest first in
/// practice); the rest wait for a later poll, if they are still there.
pub const MAX_ENTRIES: usize = 100;
/// Deepest element nesting accepted in an XML feed.
pub const MAX_XML_DEPTH: usize = 64;
/// Longest interval an administrator may set: one week.
pub const MAX_INTERVAL_S: u64 = 7 * 24 * 3600;
/// Whole request, connection to last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the poller looks for feeds that are due.
const TICK: Duration = Duration::from_secs(1);
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5";

/// Where a feed's entries go (codes of administrative units, board ids);
/// each must be inside the units of the feed's source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedTargets {
    /// Province (2 digits) or commune (5 digits) codes.
    #[serde(default)]
    pub areas: Vec<String>,
    /// Board ids.
    #[serde(default)]
    pub boards: Vec<String>,
}

/// A new feed (administrators).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    /// A registered source: the feed's entries arrive as its bulletins and
    /// may only target its units.
    pub source: String,
    /// http or https URL of an RSS 2.0, Atom or JSON Feed document.
    pub url: String,
    /// Seconds between polls: at least 60 (`min_feed_interval_s`), at most
    /// a week. Default 900.
    #[serde(default = "default_interval")]
    pub interval_s: u64,
    pub targets: FeedTargets,
    /// `normal` (default: waits for an editor's approval), `priority` or
    /// `emergency`.
    #[serde(default)]
    pub priority: Option<String>,
    /// Category given to every bulletin (at most 100 characters); absent:
    /// the entry's first category.
    #[serde(default)]
    pub category: Option<String>,
    /// Entries published longer ago than this many days are left out
    /// (0: none is). Default 7.
    #[serde(default = "default_max_age")]
    pub max_age_days: u32,
    /// Each entry stays in force this many days after it was published
    /// (or first read, when the feed gives no date), 1–365. Default 7.
    #[serde(default = "default_keep_days")]
    #[schema(minimum = 1, maximum = 365)]
    pub keep_days: u32,
}

fn default_interval() -> u64 {
    900
}

fn default_max_age() -> u32 {
    7
}

/// A feed has no way to say when an entry stops being news, and one polled
/// for months would otherwise keep every entry it ever had in force: every
/// board's alert set, bulletin rounds and loudspeaker list growing without
/// end (measured with `bangtin-manager soak`).
fn default_keep_days() -> u32 {
    7
}

/// Longest `keep_days`.
pub const MAX_KEEP_DAYS: u32 = 365;

/// What the poller knows of a feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeedStatus {
    /// Last attempt, successful or not.
    pub last_poll: Option<DateTime<Utc>>,
    /// Last time the feed was fetched and read (or answered 304).
    pub last_ok: Option<DateTime<Utc>>,
    /// The latest problem, Vietnamese with the English meaning; kept after
    /// later successes (see `failing`).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Whether the latest poll failed.
    pub failing: bool,
    /// Failed polls in a row.
    pub consecutive_failures: u32,
    /// Bulletins (new ones and new versions) taken from the feed, in all.
    pub entries_taken: u64,
    /// Entries in the feed at the latest successful read.
    pub entries_seen: u32,
    /// Validators of the latest complete read, sent back for a conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A feed as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeedRecord {
    pub id: String,
    pub source: String,
    pub url: String,
    pub interval_s: u64,
    pub targets: FeedTargets,
    pub priority: Priority,
    pub category: Option<String>,
    pub max_age_days: u32,
    /// Days each entry stays in force (feeds stored before it existed: 7).
    #[serde(default = "default_keep_days")]
    pub keep_days: u32,
    pub created: DateTime<Utc>,
    /// Who created it (`user:<name>`).
    pub created_by: String,
    #[serde(default)]
    pub status: FeedStatus,
}

pub fn key_of(id: &str) -> String {
    format!("feed/{id}")
}

/// Serialises read-modify-write of feed records (the poller's status
/// against an administrator's delete), so a deleted feed stays deleted.
pub(crate) static FEED_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Why a feed was refused: the field at fault and why (HTTP 422), the same
/// URL twice for a source (409), or the store.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn invalid(field: &str, m: impl Into<String>) -> FeedError {
    FeedError::Invalid {
        field: field.to_string(),
        reason: m.into(),
    }
}

/// An entry's refusal as the feed's status shows it: the reason, then the
/// field of the bulletin it was turned into.
fn describe(e: &crate::ingest::IngestError) -> String {
    use crate::fetch::FetchError;
    use crate::ingest::IngestError as E;
    match e {
        E::Invalid { field, reason }
        | E::Forbidden { field, reason }
        | E::Conflict { field, reason }
        | E::Fetch(FetchError::Refused { field, reason }) => format!("{reason} [trường {field}]"),
        E::Fetch(FetchError::TooLarge { field, .. }) => format!("{e} [trường {field}]"),
        other => other.to_string(),
    }
}

/// Check a new feed against the store and the configuration; on success
/// the record to store (status empty). Every refusal names its field.
pub fn check_new(s: &Shared, n: NewFeed, id: String, by: String, now: DateTime<Utc>) -> Result<FeedRecord, FeedError> {
    let src: SourceRecord = s.store.get_json(&sources::key_of(&n.source))?.ok_or_else(|| {
        invalid(
            "source",
            format!("không có nguồn tin {} (unknown source)", echo(&n.source)),
        )
    })?;
    if src.disabled {
        return Err(invalid(
            "source",
            format!("nguồn tin {} đã bị khóa (source disabled)", src.id),
        ));
    }
    let url = check_url(&n.url)?;
    let min = s.cfg.min_feed_interval_s.max(1);
    if n.interval_s < min || n.interval_s > MAX_INTERVAL_S {
        return Err(invalid(
            "interval_s",
            format!(
                "chu kỳ lấy tin phải từ {min} đến {MAX_INTERVAL_S} giây, nhận {} \
                 (interval must be between {min} and {MAX_INTERVAL_S} seconds)",
                n.interval_s
            ),
        ));
    }
    let priority = match n.priority.as_deref().map(str::trim) {
        None | Some("") | Some("normal") => Priority::Normal,
        Some("priority") => Priority::Priority,
        Some("emergency") => Priority::Emergency,
        Some(other) => {
            return Err(invalid(
                "priority",
                format!(
                    "mức ưu tiên \"{}\" không hợp lệ; chỉ nhận normal, priority, emergency \
                     (unknown priority; expected normal, priority or emergency)",
                    echo(other)
                ),
            ));
        }
    };
    let category = n.category.map(|c| clean_line(&c)).filter(|c| !c.is_empty());
    if category.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(invalid(
            "category",
            "chủ đề tối đa 100 ký tự (category: at most 100 characters)",
        ));
    }
    if n.max_age_days > 3650 {
        return Err(invalid(
            "max_age_days",
            "tối đa 3650 ngày; 0 là không giới hạn (at most 3650 days; 0 means no limit)",
        ));
    }
    if !(1..=MAX_KEEP_DAYS).contains(&n.keep_days) {
        return Err(invalid(
            "keep_days",
            format!(
                "mỗi tin giữ từ 1 đến {MAX_KEEP_DAYS} ngày, nhận {} (keep_days must be between 1 and {MAX_KEEP_DAYS})",
                n.keep_days
            ),
        ));
    }
    check_targets(&*s.store, &src, &n.targets)?;
    let dup = s
        .store
        .scan_json::<FeedRecord>("feed/")?
        .into_iter()
        .any(|f| f.source == src.id && f.url == url);
    if dup {
        return Err(FeedError::Conflict {
            field: "url".into(),
            reason: "nguồn tin này đã có feed với URL này (this source already has a feed with this URL)".into(),
        });
    }
    let rec = FeedRecord {
        id,
        source: src.id.clone(),
        url,
        interval_s: n.interval_s,
        targets: n.targets,
        priority,
        category,
        max_age_days: n.max_age_days,
        keep_days: n.keep_days,
        created: now,
        created_by: by,
        status: FeedStatus::default(),
    };
    // A sample entry through the very validator ingest uses: whatever the
    // configuration contributes to documents is known to pass.
    let probe = Entry {
        raw_id: "kiem-tra".into(),
        title: Some("Kiểm tra".into()),
        summary: None,
        text: None,
        category: None,
        author: None,
        published: Some(now),
    };
    let doc = render(&rec, &src, "vi", &probe, 1, now);
    if let Err(e) = bulletin::parse(&doc) {
        let field = match e.path.as_str() {
            p if p.starts_with("targets") => p.to_string(),
            "category" => "category".to_string(),
            _ => "$".to_string(),
        };
        return Err(invalid(&field, e.reason));
    }
    Ok(rec)
}

fn check_url(raw: &str) -> Result<String, FeedError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > bulletin::MAX_URL_CHARS {
        return Err(invalid(
            "url",
            format!(
                "cần URL, tối đa {} ký tự (URL required, at most {} characters)",
                bulletin::MAX_URL_CHARS,
                bulletin::MAX_URL_CHARS
            ),
        ));
    }
    let u = reqwest::Url::parse(raw).map_err(|e| invalid("url", format!("URL không hợp lệ (invalid URL: {e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(invalid(
            "url",
            format!(
                "chỉ nhận URL http hoặc https, không nhận \"{}\" (only http or https URLs)",
                echo(u.scheme())
            ),
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(invalid(
            "url",
            "URL không được chứa tên người dùng hay mật khẩu (URL must not contain credentials)",
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "URL thiếu máy chủ (URL has no host)"));
    }
    Ok(u.to_string())
}

/// The same rules as ingest: known units and boards, inside the source's
/// units; at least one target.
fn check_targets(store: &dyn Store, src: &SourceRecord, t: &FeedTargets) -> Result<(), FeedError> {
    if t.areas.is_empty() && t.boards.is_empty() {
        return Err(invalid(
            "targets",
            "cần ít nhất một đơn vị hoặc bảng tin nhận (at least one target in areas or boards)",
        ));
    }
    let parent_of = |c: &str| {
        store
            .get_json::<Unit>(&key::unit(c))
            .ok()
            .flatten()
            .and_then(|u| u.parent)
    };
    let mut seen = HashSet::new();
    for c in &t.areas {
        if !seen.insert(c) {
            return Err(invalid(
                "targets.areas",
                format!("mã {} bị lặp (duplicate code)", echo(c)),
            ));
        }
        if !matches!(c.len(), 2 | 5) || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "targets.areas",
                format!(
                    "mã đơn vị \"{}\" phải gồm 2 chữ số (tỉnh) hoặc 5 chữ số (xã) \
                     (unit code must be 2 digits for a province or 5 for a commune)",
                    echo(c)
                ),
            ));
        }
        if store.get(&key::unit(c))?.is_none() {
            return Err(invalid(
                "targets.areas",
                format!("không có đơn vị hành chính mã {c} (unknown unit)"),
            ));
        }
        if !sources::covers(&src.units, c, parent_of) {
            return Err(invalid(
                "targets.areas",
                format!(
                    "nguồn tin {} không được gửi tới đơn vị {c} (target outside the source's units)",
                    src.id
                ),
            ));
        }
    }
    let mut seen = HashSet::new();
    for b in &t.boards {
        if !seen.insert(b) {
            return Err(invalid(
                "targets.boards",
                format!("bảng tin {} bị lặp (duplicate board)", echo(b)),
            ));
        }
        let board: Option<Board> = if b.is_empty() || b.contains('/') {
            None
        } else {
            store.get_json(&key::board(b))?
        };
        match board {
            Some(bd) if sources::covers(&src.units, &bd.unit, parent_of) => {}
            _ => {
                return Err(invalid(
                    "targets.boards",
                    format!(
                        "không có bảng tin {} trong đơn vị của nguồn (unknown board, or outside the source's units)",
                        echo(b)
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Polling.

/// The poller: started with the server, runs until aborted. Each due feed
/// is polled in its own task, never two polls of one feed at once.
pub async fn run(s: Arc<Shared>) {
    let client = match reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("bangtin-manager/", env!("CARGO_PKG_VERSION"), " (feed poller)"))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("không tạo được HTTP client cho feed: {e} (feed poller not started)");
            return;
        }
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Dropping this (the task aborted at shutdown) aborts the polls too.
    let mut polls = tokio::task::JoinSet::new();
    let mut busy: HashMap<tokio::task::Id, String> = HashMap::new();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            Some(done) = polls.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::error!("một lần lấy feed bị dừng bất thường: {e} (feed poll task failed)");
                        e.id()
                    }
                };
                busy.remove(&id);
                continue;
            }
        }
        let feeds = match s.store.scan_json::<FeedRecord>("feed/") {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("không đọc được danh sách feed: {e} (cannot list feeds)");
                continue;
            }
        };
        let now = Utc::now();
        for f in feeds {
            let due = f
                .status
                .last_poll
                .is_none_or(|t| now.signed_duration_since(t).num_milliseconds() >= (f.interval_s as i64) * 1000);
            if !due || busy.values().any(|b| *b == f.id) {
                continue;
            }
            let (s, client, id) = (s.clone(), client.clone(), f.id.clone());
            let h = polls.spawn(async move { poll_one(&s, &client, f).await });
            busy.insert(h.id(), id);
        }
    }
}

/// What one poll found.
#[derive(Debug, Default)]
struct Polled {
    /// 304: nothing changed since the last complete read.
    not_modified: bool,
    etag: Option<String>,
    last_modified: Option<String>,
    seen: u32,
    taken: u64,
    /// Entries that could not be taken; the poll itself worked.
    entry_errors: Vec<String>,
}

/// Poll one feed now and record the outcome in its status.
pub async fn poll_one(s: &Arc<Shared>, client: &reqwest::Client, feed: FeedRecord) {
    let started = Utc::now();
    let outcome = fetch_and_take(s, client, &feed).await;
    if let Err(e) = &outcome {
        tracing::warn!(feed = %feed.id, url = %feed.url, "lấy feed không được: {e}");
    }
    let _g = FEED_LOCK.lock().await;
    let k = key_of(&feed.id);
    let mut f = match s.store.get_json::<FeedRecord>(&k) {
        Ok(Some(f)) => f,
        // Deleted while it was being polled: nothing to record.
        Ok(None) => return,
        Err(e) => {
            tracing::warn!("không đọc được feed {}: {e}", feed.id);
            return;
        }
    };
    let st = &mut f.status;
    st.last_poll = Some(started);
    match outcome {
        Ok(p) => {
            st.last_ok = Some(started);
            st.failing = false;
            st.consecutive_failures = 0;
            st.entries_taken += p.taken;
            if !p.not_modified {
                st.entries_seen = p.seen;
            }
            if let Some(e) = p.entry_errors.first() {
                let more = p.entry_errors.len() - 1;
                st.last_error = Some(if more > 0 {
                    format!("{e} (và {more} mục khác — and {more} more entries)")
                } else {
                    e.clone()
                });
                st.last_error_at = Some(started);
            } else if !p.not_modified {
                // Only a read that took every entry may be skipped next
                // time on the server's word that nothing changed.
                st.etag = p.etag;
                st.last_modified = p.last_modified;
            }
        }
        Err(e) => {
            st.failing = true;
            st.consecutive_failures = st.consecutive_failures.saturating_add(1);
            st.last_error = Some(e);
            st.last_error_at = Some(started);
        }
    }
    // Status only: no need to wait for the disk.
    if let Err(e) = s.store.apply(vec![Op::put(&k, &f)]) {
        tracing::warn!("không ghi được trạng thái feed {}: {e}", feed.id);
    }
}

async fn fetch_and_take(s: &Arc<Shared>, client: &reqwest::Client, feed: &FeedRecord) -> Result<Polled, String> {
    let src = s
        .store
        .get_json::<SourceRecord>(&sources::key_of(&feed.source))
        .map_err(|e| format!("lỗi kho dữ liệu: {e} (store error)"))?
        .filter(|s| !s.disabled)
        .ok_or_else(|| {
            format!(
                "nguồn tin {} không còn hoặc đã bị khóa (source unknown or disabled)",
                feed.source
            )
        })?;
    let fetched = fetch(client, feed).await?;
    let Some((body, etag, last_modified)) = fetched else {
        return Ok(Polled {
            not_modified: true,
            ..Polled::default()
        });
    };
    let url = feed.url.clone();
    let max_age = feed.max_age_days;
    let (language, entries, seen) = tokio::task::spawn_blocking(move || read_feed(&body, &url, max_age, Utc::now()))
        .await
        .map_err(|e| format!("lỗi khi đọc feed: {e} (parser task failed)"))??;
    let mut p = Polled {
        etag,
        last_modified,
        seen,
        ..Polled::default()
    };
    for e in entries {
        match take(s, feed, &src, &language, &e).await {
            Ok(true) => p.taken += 1,
            Ok(false) => {}
            Err(err) => p.entry_errors.push(format!(
                "mục \"{}\": {} (entry refused)",
                echo(&e.raw_id),
                describe(&err)
            )),
        }
    }
    Ok(p)
}

/// GET the feed, conditionally; `None` for 304. The body is read in pieces
/// and given up as soon as it passes [`MAX_FEED_BYTES`].
async fn fetch(
    client: &reqwest::Client,
    feed: &FeedRecord,
) -> Result<Option<(Vec<u8>, Option<String>, Option<String>)>, String> {
    use reqwest::header::{self, HeaderValue};
    let mut req = client.get(&feed.url).header(header::ACCEPT, ACCEPT);
    if let Some(v) = feed.status.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
        req = req.header(header::IF_NONE_MATCH, v);
    }
    if let Some(v) = feed
        .status
        .last_modified
        .as_deref()
        .and_then(|m| HeaderValue::from_str(m).ok())
    {
        req = req.header(header::IF_MODIFIED_SINCE, v);
    }
    let mut resp = req.send().await.map_err(|e| fetch_error(&e))?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    if !status.is_success() {
        let code = status.as_u16();
        return Err(format!(
            "máy chủ của feed trả lời HTTP {code} (feed server answered HTTP {code})"
        ));
    }
    let too_large = || {
        format!(
            "feed lớn hơn {} MiB, không đọc (feed larger than {} MiB)",
            MAX_FEED_BYTES / (1024 * 1024),
            MAX_FEED_BYTES / (1024 * 1024)
        )
    };
    if resp.content_length().is_some_and(|n| n > MAX_FEED_BYTES as u64) {
        return Err(too_large());
    }
    let header_text = |h: header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .filter(|v| v.len() <= 512)
    };
    let etag = header_text(header::ETAG);
    let last_modified = header_text(header::LAST_MODIFIED);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| fetch_error(&e))? {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some((body, etag, last_modified)))
}

fn fetch_error(e: &reqwest::Error) -> String {
    // The innermost cause says most (connection refused, DNS, TLS).
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        format!("quá thời gian chờ {} giây (timed out)", FETCH_TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("không kết nối được tới máy chủ của feed (cannot connect: {cause})")
    } else if e.is_redirect() {
        "chuyển hướng quá nhiều lần (too many redirects)".to_string()
    } else {
        format!("lỗi khi tải feed (fetch failed: {cause})")
    }
}

/// One feed entry, reduced to what a bulletin carries, as plain text.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// guid / id / link as the feed gives it.
    raw_id: String,
    title: Option<String>,
    summary: Option<String>,
    text: Option<String>,
    category: Option<String>,
    author: Option<String>,
    published: Option<DateTime<Utc>>,
}

/// Parse a feed body: its language and its entries (at most
/// [`MAX_ENTRIES`], none older than `max_age_days` unless 0), and how many
/// entries it has in all.
fn read_feed(
    body: &[u8],
    url: &str,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Entry>, u32), String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => check_xml(body)?,
        Some(b'{') => {}
        _ => {
            return Err("không phải feed RSS, Atom hay JSON Feed (not an RSS, Atom or JSON Feed document)".to_string());
        }
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .id_generator(|links, title, _| {
            // Stable for entries without an id: their link, else their title.
            if let Some(l) = links.first() {
                l.href.clone()
            } else if let Some(t) = title {
                format!("title:{}", t.content)
            } else {
                String::new()
            }
        })
        .build();
    let feed = parser.parse(body).map_err(|e| {
        format!(
            "không đọc được feed RSS/Atom/JSON: {} (cannot parse feed)",
            echo_long(&e.to_string())
        )
    })?;
    let language = feed
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| crate::bulletin::is_language_tag(l))
        .unwrap_or("vi")
        .to_string();
    let seen = u32::try_from(feed.entries.len()).unwrap_or(u32::MAX);
    let oldest = (max_age_days > 0).then(|| now - chrono::Duration::days(i64::from(max_age_days)));
    let mut out = Vec::new();
    for e in feed.entries {
        if out.len() >= MAX_ENTRIES {
            break;
        }
        let published = e.published.or(e.updated);
        if let (Some(oldest), Some(p)) = (oldest, published)
            && p < oldest
        {
            continue;
        }
        let html = |t: &feed_rs::model::Text| {
            if is_html(t.content_type.subty().as_str()) {
                html_to_text(&t.content)
            } else {
                clean_text(&decode_entities(&t.content))
            }
        };
        let title = e.title.as_ref().map(html).filter(|t| !t.is_empty());
        let summary = e.summary.as_ref().map(html).filter(|t| !t.is_empty());
        let text = e
            .content
            .as_ref()
            .and_then(|c| {
                let body = c.body.as_deref()?;
                Some(if is_html(c.content_type.subty().as_str()) {
                    html_to_text(body)
                } else {
                    clean_text(&decode_entities(body))
                })
            })
            .filter(|t| !t.is_empty());
        let category = e
            .categories
            .iter()
            .map(|c| clean_line(c.label.as_deref().unwrap_or(&c.term)))
            .find(|c| !c.is_empty());
        let author = e
            .authors
            .iter()
            .filter_map(|a| a.name.as_deref())
            .map(clean_line)
            .find(|a| !a.is_empty());
        let mut raw_id = e.id.trim().to_string();
        if raw_id.is_empty() {
            // Nothing to tell it by: its text is its identity.
            raw_id = format!(
                "sha256:{}",
                hex::encode(Sha256::digest(format!("{title:?}{summary:?}{text:?}").as_bytes()))
            );
        }
        if title.is_none() && summary.is_none() && text.is_none() {
            continue;
        }
        out.push(Entry {
            raw_id,
            title,
            summary,
            text,
            category,
            author,
            published,
        });
    }
    Ok((language, out, seen))
}

fn is_html(subtype: &str) -> bool {
    matches!(subtype, "html" | "xhtml" | "xhtml+xml")
}

/// Take one entry: render it at the stored version; the very bytes already
/// stored are a duplicate (nothing to do), anything else goes in as the
/// next version. `Ok(true)` when a bulletin or version was taken.
async fn take(
    s: &Arc<Shared>,
    feed: &FeedRecord,
    src: &SourceRecord,
    language: &str,
    e: &Entry,
) -> Result<bool, crate::ingest::IngestError> {
    let id = bulletin_id(&feed.url, &e.raw_id);
    let existing = s.store.get_json::<BulletinRecord>(&bulletin_key(&src.id, &id))?;
    // An entry without a date is in force from when it was first read:
    // that instant travels in the stored document, so a re-poll renders
    // the same bytes.
    let first_seen = existing
        .as_ref()
        .and_then(|old| bulletin::parse(old.document.as_bytes()).ok())
        .and_then(|b| b.schedule.valid_from)
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let version = match &existing {
        Some(old) => {
            let same = render(feed, src, language, e, old.version, first_seen);
            if hex::encode(Sha256::digest(&same)) == old.sha256 {
                return Ok(false);
            }
            old.version + 1
        }
        None => 1,
    };
    let doc = render(feed, src, language, e, version, first_seen);
    let accepted = crate::ingest::bulletin(s, src, &doc).await?;
    Ok(!accepted.duplicate)
}

/// The bulletin id of an entry: a readable part of its guid / id / link and
/// a hash of feed URL and raw id (so two feeds never share ids, and ids
/// that read alike never collide). Only `A–Z a–z 0–9 . _ : -`, at most 117
/// characters.
pub fn bulletin_id(feed_url: &str, raw_id: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("{feed_url}\n{raw_id}").as_bytes()));
    let readable = raw_id
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let mut slug = String::new();
    for c in readable.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':') {
            c
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
        if slug.len() >= 100 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        format!("feed-{}", &h[..16])
    } else {
        format!("{slug}-{}", &h[..16])
    }
}

/// The `bangtin.bulletin/1` document of an entry. Deterministic: the same
/// entry, feed, version and `first_seen` always give the same bytes. In
/// force from its publication (or `first_seen`) for the feed's
/// `keep_days`.
fn render(
    feed: &FeedRecord,
    src: &SourceRecord,
    language: &str,
    e: &Entry,
    version: u64,
    first_seen: DateTime<Utc>,
) -> Vec<u8> {
    let from = e.published.unwrap_or(first_seen).with_timezone(&vietnam());
    let to = from + chrono::Duration::days(i64::from(feed.keep_days.clamp(1, MAX_KEEP_DAYS)));
    let title = e
        .title
        .clone()
        .or_else(|| e.summary.as_deref().or(e.text.as_deref()).map(first_line))
        .map(|t| truncate(&one_line(&t), 200))
        .unwrap_or_else(|| "Tin mới".to_string());
    let body = e.text.as_deref().or(e.summary.as_deref()).unwrap_or(&title).to_string();
    let b = Bulletin {
        id: bulletin_id(&feed.url, &e.raw_id),
        version,
        source: Source {
            system: truncate(&src.name, 200),
            author: e.author.as_deref().map(|a| truncate(a, 200)),
        },
        priority: feed.priority,
        category: feed
            .category
            .clone()
            .or_else(|| e.category.clone())
            .map(|c| truncate(&c, 100)),
        language: language.to_string(),
        title: title.clone(),
        summary: e.summary.as_deref().map(|t| truncate(t, 1000)),
        board: BoardContent {
            items: vec![BoardItem::Text {
                headline: Some(title),
                body: truncate(&body, 5000),
                duration_sec: None,
            }],
        },
        audio: None,
        targets: Targets {
            areas: feed
                .targets
                .areas
                .iter()
                .map(|c| AreaTarget {
                    level: if c.len() == 2 {
                        AreaLevel::Province
                    } else {
                        AreaLevel::Commune
                    },
                    code: c.clone(),
                })
                .collect(),
            boards: feed.targets.boards.clone(),
        },
        schedule: Schedule {
            valid_from: Some(from),
            valid_to: Some(to),
            ..Schedule::default()
        },
        supersedes: None,
        cancel: false,
    };
    serde_json::to_vec(&b).unwrap_or_default()
}

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

// ---------------------------------------------------------------------------
// XML safety.

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Refuse, before any parser sees it, XML that declares entities (the
/// trick behind "billion laughs" and external-entity reads) or nests deeper
/// than [`MAX_XML_DEPTH`]. The parser itself expands no DTD either: this
/// makes the refusal explicit and bounds what it walks.
fn check_xml(body: &[u8]) -> Result<(), String> {
    let entity = || {
        "feed khai báo thực thể XML (<!ENTITY>) hoặc DTD nội bộ, bị từ chối \
         (XML entity declarations are refused)"
            .to_string()
    };
    let (mut i, mut depth) = (0usize, 0usize);
    while let Some(off) = body[i..].iter().position(|&b| b == b'<') {
        let p = i + off;
        let rest = &body[p..];
        let skip_to = |end: &[u8]| find(rest, end).map_or(body.len(), |e| p + e + end.len());
        if rest.starts_with(b"<!--") {
            i = skip_to(b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(b"?>");
        } else if rest.starts_with(b"<!") {
            // A declaration (DOCTYPE), with its internal subset in [ ].
            let (mut brackets, mut quote, mut end) = (0usize, None, body.len());
            for (j, &b) in rest.iter().enumerate().skip(2) {
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'[') => brackets += 1,
                    (None, b']') => brackets = brackets.saturating_sub(1),
                    (None, b'>') if brackets == 0 => {
                        end = p + j + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let decl = body[p..end].to_ascii_uppercase();
            if find(&decl, b"<!ENTITY").is_some() || find(&decl[2..], b"[").is_some() {
                return Err(entity());
            }
            i = end;
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = p + 2;
        } else {
            // A start tag: its end is the first '>' outside quotes.
            let mut quote = None;
            let mut end = None;
            for (j, &b) in rest.iter().enumerate().skip(1) {
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'>') => {
                        end = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                // Unterminated: the parser will say so.
                return Ok(());
            };
            if rest[end - 1] != b'/' {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(format!(
                        "XML lồng nhau quá sâu: tối đa {MAX_XML_DEPTH} cấp (XML nested deeper than {MAX_XML_DEPTH} levels)"
                    ));
                }
            }
            i = p + end + 1;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Text.

/// HTML to plain text: tags dropped (script and style with their content),
/// block elements and `<br>` as line breaks, entities decoded, spaces
/// collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        if let Some(c) = after.strip_prefix("<!--") {
            rest = c.find("-->").map_or("", |e| &c[e + 3..]);
            continue;
        }
        if let Some(c) = after.strip_prefix("<![CDATA[") {
            let e = c.find("]]>").unwrap_or(c.len());
            out.push_str(&c[..e]);
            rest = c.get(e + 3..).unwrap_or("");
            continue;
        }
        let next = after[1..].chars().next();
        if !next.is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?') {
            // A lone '<' is text.
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let Some(end) = tag_end(after) else {
            break;
        };
        let tag = &after[1..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[end + 1..];
        match name.as_str() {
            "script" | "style" | "head" | "template" if !closing => {
                let close = format!("</{name}");
                rest = find_ci(rest, &close)
                    .and_then(|i| rest[i..].find('>').map(|e| &rest[i + e + 1..]))
                    .unwrap_or("");
            }
            "br" | "p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "table"
            | "blockquote" | "section" | "article" | "header" | "footer" | "pre" | "hr" | "dd" | "dt" | "figure"
            | "figcaption" => out.push('\n'),
            "li" if !closing => out.push_str("\n• "),
            "td" | "th" => out.push(' '),
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    clean_text(&out)
}

/// First position of ASCII `needle` in `hay`, ignoring ASCII case; stops at
/// the first match and allocates nothing (a feed may hold many tags).
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

/// Index of the `>` that ends the tag starting at `s[0] == '<'`, skipping
/// quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Decode HTML character references: numeric ones and the named ones
/// feeds use (Latin-1 letters among them, which cover many Vietnamese
/// vowels). Unknown names stay as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // References are short: look no further than that for the ';'.
        let semi = after.char_indices().take(33).find(|&(_, c)| c == ';').map(|(i, _)| i);
        let decoded = semi.and_then(|i| {
            let name = &after[..i];
            if let Some(num) = name.strip_prefix('#') {
                let v = match num.strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => num.parse::<u32>().ok(),
                }?;
                // NUL, surrogates and controls are not text.
                char::from_u32(v)
                    .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                    .map(|c| (c.to_string(), i))
                    .or(Some((String::new(), i)))
            } else {
                named_entity(name).map(|c| (c.to_string(), i))
            }
        });
        match decoded {
            Some((text, i)) => {
                out.push_str(&text);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<&'static str> {
    const LATIN1: &[(&str, &str)] = &[
        ("Agrave", "À"),
        ("Aacute", "Á"),
        ("Acirc", "Â"),
        ("Atilde", "Ã"),
        ("Egrave", "È"),
        ("Eacute", "É"),
        ("Ecirc", "Ê"),
        ("Igrave", "Ì"),
        ("Iacute", "Í"),
        ("Ograve", "Ò"),
        ("Oacute", "Ó"),
        ("Ocirc", "Ô"),
        ("Otilde", "Õ"),
        ("Ugrave", "Ù"),
        ("Uacute", "Ú"),
        ("Yacute", "Ý"),
        ("agrave", "à"),
        ("aacute", "á"),
        ("acirc", "â"),
        ("atilde", "ã"),
        ("egrave", "è"),
        ("eacute", "é"),
        ("ecirc", "ê"),
        ("igrave", "ì"),
        ("iacute", "í"),
        ("ograve", "ò"),
        ("oacute", "ó"),
        ("ocirc", "ô"),
        ("otilde", "õ"),
        ("ugrave", "ù"),
        ("uacute", "ú"),
        ("yacute", "ý"),
        ("Auml", "Ä"),
        ("auml", "ä"),
        ("Ouml", "Ö"),
        ("ouml", "ö"),
        ("Uuml", "Ü"),
        ("uuml", "ü"),
        ("Ccedil", "Ç"),
        ("ccedil", "ç"),
        ("Ntilde", "Ñ"),
        ("ntilde", "ñ"),
        ("szlig", "ß"),
    ];
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "deg" => "°",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "times" => "×",
        "divide" => "÷",
        "euro" => "€",
        "sect" => "§",
        "para" => "¶",
        "shy" => "",
        other => return LATIN1.iter().find(|(n, _)| *n == other).map(|(_, c)| *c),
    })
}

/// Bidirectional embeddings, overrides and isolates, which bulletins refuse.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Plain text as bulletins accept it: no control characters but line
/// feeds, spaces collapsed within lines, at most one empty line in a row,
/// trimmed.
pub fn clean_text(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in s.split('\n') {
        let mut l = String::with_capacity(line.len());
        for c in line.chars() {
            if is_bidi_control(c) {
                continue;
            }
            let c = if c.is_whitespace() || c.is_control() { ' ' } else { c };
            if !(c == ' ' && (l.is_empty() || l.ends_with(' '))) {
                l.push(c);
            }
        }
        let l = l.trim_end().to_string();
        if l.is_empty() && lines.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

/// One line of clean text.
fn clean_line(s: &str) -> String {
    one_line(&clean_text(s))
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// At most `max` characters, ending in "…" when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Text from outside, safe to echo: escaped, at most 64 characters.
fn echo(s: &str) -> String {
    let mut out: String = s.chars().take(64).flat_map(char::escape_debug).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

fn echo_long(s: &str) -> String {
    truncate(s, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let t = html_to_text(
            "<p>Th&ocirc;ng b&aacute;o <b>l&#7883;ch</b> ti&ecirc;m&nbsp;ch&#x1EE7;ng</p>\
             <script>alert('x')</script><ul><li>M&#7897;t</li><li>Hai &amp; ba</li></ul>\
             <p title=\"a > b\">3 &lt; 4 &unknown; &#0;</p>",
        );
        assert_eq!(t, "Thông báo lịch tiêm chủng\n\n• Một\n• Hai & ba\n\n3 < 4 &unknown;");
        assert_eq!(html_to_text("a < b, 2<3"), "a < b, 2<3");
        assert_eq!(clean_text("  a\r\n\u{202E}b\t c \n\n\n\nd  "), "a\nb c\n\nd");
    }

    #[test]
    fn ids_are_stable_allowed_and_distinct() {
        let a = bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1");
        assert_eq!(a, bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1"));
        assert!(a.starts_with("ubnd.vn-tin-b"), "{a}");
        assert!(a.len() <= 128);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)));
        assert_ne!(a, bulletin_id("https://x.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=2"));
        assert_ne!(a, bulletin_id("https://y.vn/rss", "https://ubnd.vn/tin/bão-số-3?id=1"));
        let long = bulletin_id("u", &"x".repeat(5000));
        assert!(long.len() <= 128, "{long}");
        assert!(bulletin_id("u", "///").starts_with("feed-"));
    }

    #[test]
    fn xml_entity_declarations_and_deep_nesting_are_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><rss version="2.0"><channel><title>&b;</title></channel></rss>"#;
        assert!(check_xml(bomb).unwrap_err().contains("ENTITY"));
        let xxe = br#"<!DOCTYPE rss SYSTEM "file:///etc/passwd" [ ]><rss/>"#;
        assert!(check_xml(xxe).is_err());
        let plain_doctype = br#"<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel/></rss>"#;
        assert!(check_xml(plain_doctype).is_ok());
        let deep = format!("<rss>{}{}</rss>", "<a>".repeat(100), "</a>".repeat(100));
        assert!(check_xml(deep.as_bytes()).is_err());
        let ok = br#"<rss version="2.0"><channel><item><title a=">">x</title><br/><!-- <!ENTITY --><![CDATA[<!ENTITY]]></item></channel></rss>"#;
        assert!(check_xml(ok).is_ok());
    }

    #[test]
    fn rss_entries_render_to_valid_bulletins() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>UBND</title><language>vi-vn</language>
<item><guid>https://ubnd.vn/tin/1</guid><title>Lịch tiêm chủng &amp;amp; khám</title>
<description>&lt;p&gt;Tiêm chủng &lt;b&gt;mở rộng&lt;/b&gt; tại trạm y tế&lt;/p&gt;</description>
<category>y tế</category><pubDate>Mon, 01 Jun 2026 08:00:00 +0700</pubDate></item>
<item><link>https://ubnd.vn/tin/2</link><title>Không có guid</title></item>
</channel></rss>"#;
        let now = DateTime::parse_from_rfc3339("2026-06-02T00:00:00Z").unwrap().to_utc();
        let (lang, entries, seen) = read_feed(rss.as_bytes(), "https://ubnd.vn/rss", 7, now).unwrap();
        assert_eq!((lang.as_str(), seen, entries.len()), ("vi-vn", 2, 2));
        let e = &entries[0];
        assert_eq!(e.title.as_deref(), Some("Lịch tiêm chủng & khám"));
        assert_eq!(e.summary.as_deref(), Some("Tiêm chủng mở rộng tại trạm y tế"));
        assert_eq!(entries[1].raw_id, "https://ubnd.vn/tin/2");
        let src = SourceRecord {
            id: "src_1".into(),
            name: "Cổng thông tin xã".into(),
            units: vec!["19".into()],
            created: now,
            key: String::new(),
            disabled: false,
            report_url: None,
            report_every_s: None,
        };
        let feed = FeedRecord {
            id: "feed_1".into(),
            source: "src_1".into(),
            url: "https://ubnd.vn/rss".into(),
            interval_s: 60,
            targets: FeedTargets {
                areas: vec!["05443".into()],
                boards: vec![],
            },
            priority: Priority::Normal,
            category: None,
            max_age_days: 7,
            keep_days: 7,
            created: now,
            created_by: "user:x".into(),
            status: FeedStatus::default(),
        };
        let doc = render(&feed, &src, &lang, e, 3, now);
        assert_eq!(doc, render(&feed, &src, &lang, e, 3, now), "deterministic");
        let b = bulletin::parse(&doc).unwrap();
        assert_eq!(b.version, 3);
        assert_eq!(b.category.as_deref(), Some("y tế"));
        assert_eq!(b.schedule.valid_from.unwrap().to_rfc3339(), "2026-06-01T08:00:00+07:00");
        // In force for the feed's keep_days, from its date…
        assert_eq!(b.schedule.valid_to.unwrap().to_rfc3339(), "2026-06-08T08:00:00+07:00");
        // …or, undated, from when it was first read.
        let undated = bulletin::parse(&render(&feed, &src, &lang, &entries[1], 1, now)).unwrap();
        assert_eq!(undated.schedule.valid_from.unwrap().to_utc(), now);
        assert_eq!(
            undated.schedule.valid_to.unwrap().to_utc(),
            now + chrono::Duration::days(7)
        );
        // Too old for a 7-day window.
        let later = now + chrono::Duration::days(30);
        let (_, entries, _) = read_feed(rss.as_bytes(), "https://ubnd.vn/rss", 7, later).unwrap();
        assert_eq!(entries.len(), 1, "the undated entry stays");
    }

    #[test]
    fn json_feed_and_garbage() {
        let j = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[
            {"id":"a1","title":"Mất điện","content_html":"<p>Cắt điện từ 8h&ndash;10h</p>","tags":["điện"]}]}"#;
        let now = Utc::now();
        let (lang, entries, _) = read_feed(j.as_bytes(), "https://x.vn/feed.json", 7, now).unwrap();
        assert_eq!(lang, "vi");
        assert_eq!(entries[0].text.as_deref(), Some("Cắt điện từ 8h–10h"));
        assert!(read_feed(b"hello", "u", 7, now).is_err());
        assert!(read_feed(b"<html><body>x</body></html>", "u", 7, now).is_err());
        assert!(read_feed(b"{\"a\":1}", "u", 7, now).is_err());
    }
}
