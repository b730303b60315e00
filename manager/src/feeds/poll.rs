//! Polling: the background task, one poll of a feed, fetching its body.

use super::*;

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
pub(crate) struct Polled {
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
    let _g = match crate::store::exclusive(&*s.store, &FEED_LOCK, "feeds").await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!("không ghi được kết quả feed {} (lock): {e}", feed.id);
            return;
        }
    };
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

pub(crate) async fn fetch_and_take(
    s: &Arc<Shared>,
    client: &reqwest::Client,
    feed: &FeedRecord,
) -> Result<Polled, String> {
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
pub(crate) async fn fetch(
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

pub(crate) fn fetch_error(e: &reqwest::Error) -> String {
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
pub(crate) struct Entry {
    /// guid / id / link as the feed gives it.
    pub(crate) raw_id: String,
    pub(crate) title: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) published: Option<DateTime<Utc>>,
}
