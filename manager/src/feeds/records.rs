//! Feeds as kept, and the checks a new feed passes.

use super::*;

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
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(20);
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the poller looks for feeds that are due.
pub(crate) const TICK: Duration = Duration::from_secs(1);
pub(crate) const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
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
    #[schema(schema_with = crate::patterns::url_required)]
    pub url: String,
    /// Seconds between polls: at least 60 (`min_feed_interval_s`, which a
    /// configuration may lower), at most a week. Default 900.
    #[serde(default = "default_interval")]
    #[schema(minimum = 60, maximum = 604800)]
    pub interval_s: u64,
    pub targets: FeedTargets,
    /// `normal` (default: waits for an editor's approval), `priority` or
    /// `emergency`; `""` is `normal`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(|normal|priority|emergency)$")]
    pub priority: Option<String>,
    /// Category given to every bulletin (at most 100 characters); absent:
    /// the entry's first category.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub category: Option<String>,
    /// Entries published longer ago than this many days are left out
    /// (0: none is). Default 7.
    #[serde(default = "default_max_age")]
    #[schema(minimum = 0, maximum = 3650)]
    pub max_age_days: u32,
    /// Each entry stays in force this many days after it was published
    /// (or first read, when the feed gives no date), 1–365. Default 7.
    #[serde(default = "default_keep_days")]
    #[schema(minimum = 1, maximum = 365)]
    pub keep_days: u32,
}

pub(crate) fn default_interval() -> u64 {
    900
}

pub(crate) fn default_max_age() -> u32 {
    7
}

/// A feed has no way to say when an entry stops being news, and one polled
/// for months would otherwise keep every entry it ever had in force: every
/// board's alert set, bulletin rounds and loudspeaker list growing without
/// end (measured with `bangtin-load soak`).
pub(crate) fn default_keep_days() -> u32 {
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
/// URL twice for a source or a disabled source (409), an unknown source
/// (404), or the store.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    /// The feed names a source that does not exist (404).
    #[error("{field}: {reason}")]
    Unknown { field: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

pub(crate) fn invalid(field: &str, m: impl Into<String>) -> FeedError {
    FeedError::Invalid {
        field: field.to_string(),
        reason: m.into(),
    }
}

/// An entry's refusal as the feed's status shows it: the reason, then the
/// field of the bulletin it was turned into.
pub(crate) fn describe(e: &crate::ingest::IngestError) -> String {
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
    let src: SourceRecord = s
        .store
        .get_json(&sources::key_of(&n.source))?
        .ok_or_else(|| FeedError::Unknown {
            field: "source".into(),
            reason: format!("không có nguồn tin {} (unknown source)", echo(&n.source)),
        })?;
    if src.disabled {
        return Err(FeedError::Conflict {
            field: "source".into(),
            reason: format!("nguồn tin {} đã bị khóa (source disabled)", src.id),
        });
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
    let priority = match n.priority.as_deref() {
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
    if n.category.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(invalid(
            "category",
            "chủ đề tối đa 100 ký tự (category: at most 100 characters)",
        ));
    }
    let category = n.category.map(|c| clean_line(&c)).filter(|c| !c.is_empty());
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

pub(crate) fn check_url(raw: &str) -> Result<String, FeedError> {
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
    // The grammar the OpenAPI document states (`crate::patterns::URL`).
    if !crate::patterns::url(raw) {
        return Err(invalid(
            "url",
            "URL không hợp lệ: cần dạng http(s)://máy[:cổng][/đường-dẫn], máy là địa chỉ IPv4 hoặc tên miền \
             (invalid URL: expected http(s)://host[:port][/path] with an IPv4 address or a name)",
        ));
    }
    Ok(u.to_string())
}

/// The same rules as ingest: known units and boards, inside the source's
/// units; at least one target.
pub(crate) fn check_targets(store: &dyn Store, src: &SourceRecord, t: &FeedTargets) -> Result<(), FeedError> {
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
