//! Alert sets for this board, ahead of everything else, and their
//! pictures and videos.
//!
//! Alerts have their own task ([`alerts_task`]), so an emergency never
//! waits behind a show's downloads. It fetches `GET /api/v1/board/alerts`
//! (`If-None-Match: "<installed version>"`) on a `{"type":"alerts"}` push
//! newer than the installed set, on every (re)connection of the event
//! stream (a board that was offline catches up at once), at start, and
//! with every periodic heartbeat (the fallback when a push is lost). A set
//! is verified with the pinned key, must be for this board and newer than
//! the installed one, goes to the screen at once ([`ToScreen::Alerts`],
//! which also rings the render loop) and is then kept in the cache
//! (`show/alerts.json`) for offline restarts.

use super::download::download;
use super::{Link, backoff};
use crate::board::ToScreen;
use anyhow::{Context, Result, anyhow, bail};
use bangtin_layouts::alerts::AlertSet;
use bangtin_layouts::show::Signed;
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The manager has (at least) this alert set version.
pub(super) fn announce_alerts(link: &Link, version: u64) {
    link.alerts_announced.fetch_max(version, Ordering::Relaxed);
    if version > link.alerts_installed.load(Ordering::Relaxed) {
        link.alerts_now.notify_one();
    }
}

/// Fetch, verify, show and keep alert sets whenever told to.
pub(super) async fn alerts_task(link: Arc<Link>) {
    let mut attempt = 0u32;
    loop {
        link.alerts_now.notified().await;
        loop {
            match fetch_alerts(&link).await {
                Ok(()) => {
                    attempt = 0;
                    // Pictures and videos follow; the texts are on screen.
                    tokio::spawn(alert_media(link.clone()));
                    break;
                }
                Err(e) => {
                    link.error(format!("cập nhật cảnh báo: {e:#} (alerts)"));
                    // Emergencies do not wait out long backoffs (≤ 8 s);
                    // a new push or a reconnection retries at once.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(attempt.min(3))) => {}
                        _ = link.alerts_now.notified() => {}
                    }
                    attempt += 1;
                    // Retry only while there is something newer to get.
                    if link.alerts_announced.load(Ordering::Relaxed) <= link.alerts_installed.load(Ordering::Relaxed)
                        && attempt > 3
                    {
                        break;
                    }
                }
            }
        }
    }
}

/// Download the pictures and videos of the kept alert set that are not
/// cached yet, telling the screen as each arrives. A failed file is tried
/// again at the next alert fetch (a push, a reconnection).
async fn alert_media(link: Arc<Link>) {
    let _one = link.alert_media.lock().await;
    let Some((_, set)) = link.cache.alerts(&link.key, &link.board_id) else {
        return;
    };
    for m in set.media() {
        if link.cache.has(&m) {
            continue;
        }
        let url = link.url(&format!("/api/v1/board/media/{}", m.sha256));
        match download(&link.http, &url, &link.credential, &link.cache, &m).await {
            Ok(()) => {
                link.send(ToScreen::AlertMedia);
                // The manager reports it ready from the next heartbeat.
                link.beat_now.notify_one();
            }
            Err(e) => link.error(format!("tải ảnh/video của cảnh báo {}: {e:#} (alert media)", m.sha256)),
        }
    }
}

/// What to do with a verified alert set, given the installed version.
fn judge_alerts(set: &AlertSet, board: &str, installed: u64) -> Result<bool, String> {
    if set.board != board {
        return Err(format!(
            "từ chối bộ cảnh báo của bảng khác ({}) (alert set for another board)",
            set.board
        ));
    }
    if set.version < installed {
        return Err(format!(
            "từ chối bộ cảnh báo cũ hơn (v{} < v{installed}) (older alert set refused)",
            set.version
        ));
    }
    Ok(set.version > installed)
}

async fn fetch_alerts(link: &Link) -> Result<()> {
    let installed = link.alerts_installed.load(Ordering::Relaxed);
    let mut req = link
        .auth(link.http.get(link.url("/api/v1/board/alerts")))
        .timeout(Duration::from_secs(20));
    if installed > 0 {
        req = req.header(reqwest::header::IF_NONE_MATCH, format!("\"{installed}\""));
    }
    let r = req.send().await.context("không kết nối được máy chủ")?;
    match r.status() {
        StatusCode::NOT_MODIFIED => return Ok(()),
        // Nothing was ever issued for this board.
        StatusCode::NOT_FOUND => return Ok(()),
        s if !s.is_success() => bail!("máy chủ trả lời {s}"),
        _ => {}
    }
    let signed: Signed = r
        .json()
        .await
        .context("bộ cảnh báo không đọc được (unreadable alert set)")?;
    let set = bangtin_layouts::alerts::verify(&signed, &link.key).map_err(|e| anyhow!("từ chối bộ cảnh báo: {e}"))?;
    match judge_alerts(&set, &link.board_id, installed) {
        // Fetching again would get the same answer: report, do not retry.
        Err(msg) => {
            link.error(msg);
            return Ok(());
        }
        Ok(false) => return Ok(()),
        Ok(true) => {}
    }
    link.alerts_installed.store(set.version, Ordering::Relaxed);
    let now = chrono::Utc::now();
    let emergencies: Vec<String> = set.emergencies(now).iter().map(|a| a.id.clone()).collect();
    tracing::info!(
        "bộ cảnh báo v{}: {} cảnh báo, khẩn cấp đang hiệu lực: {emergencies:?} (alert set installed)",
        set.version,
        set.alerts.len()
    );
    // The screen first: keeping it on disk can wait a few milliseconds.
    link.send(ToScreen::Alerts(Arc::new(set)));
    if let Err(e) = link.cache.install_alerts(&signed) {
        link.error(format!("không lưu được bộ cảnh báo: {e:#} (alert set not kept)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::wire::Push;

    #[test]
    fn alert_sets_for_other_boards_or_older_are_refused() {
        let set = |board: &str, version| AlertSet {
            schema: bangtin_layouts::alerts::ALERTS_SCHEMA.into(),
            board: board.into(),
            version,
            issued_at: chrono::Utc::now(),
            alerts: vec![],
            round_seconds: None,
        };
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 2), Ok(true));
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 0), Ok(true));
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 3), Ok(false));
        assert!(
            judge_alerts(&set("brd_1", 2), "brd_1", 3)
                .unwrap_err()
                .contains("cũ hơn")
        );
        assert!(
            judge_alerts(&set("brd_2", 9), "brd_1", 3)
                .unwrap_err()
                .contains("bảng khác")
        );
        // An alerts push is understood.
        assert_eq!(
            serde_json::from_str::<Push>(r#"{"type":"alerts","version":4}"#).unwrap(),
            Push::Alerts { version: 4 }
        );
    }
}
