//! Show sync: fetch the newest signed show when the manager announces one,
//! verify it, download its media, then install it and hand it to the screen.

use super::download::download_all;
use super::{Link, backoff};
use crate::board::ToScreen;
use crate::board::director::Installed;
use anyhow::{Context, Result, anyhow, bail};
use bangtin_layouts::show::{Signed, verify};
use reqwest::StatusCode;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The manager has (at least) this version.
pub(super) fn announce(link: &Link, version: u64) {
    let prev = link.announced.fetch_max(version, Ordering::Relaxed);
    if version > link.installed.load(Ordering::Relaxed) && version > prev {
        link.sync_now.notify_one();
    }
}

/// Fetch, verify, download and install shows whenever told to.
pub(super) async fn sync_task(link: Arc<Link>) {
    let mut attempt = 0u32;
    loop {
        link.sync_now.notified().await;
        loop {
            match sync_once(&link).await {
                Ok(()) => {
                    attempt = 0;
                    break;
                }
                Err(e) => {
                    link.error(format!("đồng bộ chương trình: {e:#} (sync)"));
                    // A newer publish does not wait out the backoff.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(attempt)) => {}
                        _ = link.sync_now.notified() => {}
                    }
                    attempt += 1;
                    // Retry only while there is something newer to get.
                    if link.announced.load(Ordering::Relaxed) <= link.installed.load(Ordering::Relaxed) && attempt > 3 {
                        break;
                    }
                }
            }
        }
    }
}

async fn sync_once(link: &Link) -> Result<()> {
    let installed = link.installed.load(Ordering::Relaxed);
    let mut req = link.auth(link.http.get(link.url("/api/v1/board/show")));
    if installed > 0 {
        req = req.header(reqwest::header::IF_NONE_MATCH, format!("\"{installed}\""));
    }
    let r = req.send().await.context("không kết nối được máy chủ")?;
    match r.status() {
        StatusCode::NOT_MODIFIED => return Ok(()),
        StatusCode::NOT_FOUND => return Ok(()), // nothing published yet
        s if !s.is_success() => bail!("máy chủ trả lời {s}"),
        _ => {}
    }
    let signed: Signed = r
        .json()
        .await
        .context("chương trình không đọc được (unreadable show)")?;
    let show = verify(&signed, &link.key).map_err(|e| anyhow!("từ chối chương trình: {e}"))?;
    if show.board != link.board_id {
        bail!(
            "từ chối chương trình của bảng khác ({}) (show for another board)",
            show.board
        );
    }
    if show.version <= installed {
        if show.version < installed {
            tracing::warn!(
                "bỏ qua chương trình cũ hơn (v{} < v{installed}) (older show ignored)",
                show.version
            );
        }
        return Ok(());
    }
    link.pending.store(show.version, Ordering::Relaxed);
    download_all(link, &show).await?;
    // Everything is here and verified: switch atomically.
    let old = link.cache.current(&link.key).map(|(_, s)| s);
    link.cache.install(&signed, &show)?;
    link.installed.store(show.version, Ordering::Relaxed);
    tracing::info!(
        "chương trình v{} đã sẵn sàng: {} bố cục, {} tệp (show installed)",
        show.version,
        show.layouts.len(),
        show.media.len()
    );
    let inst = Installed::new(show.clone(), &link.cache.media_dir());
    for p in &inst.problems {
        link.error(p.clone());
    }
    link.send(ToScreen::Show(Arc::new(inst)));
    // Media of the show on screen until the switch stays; older goes.
    let alert_media = link
        .cache
        .alerts(&link.key, &link.board_id)
        .map(|(_, set)| set.media())
        .unwrap_or_default();
    let keep: HashSet<String> = show
        .media
        .iter()
        .chain(old.iter().flat_map(|o| o.media.iter()))
        .chain(alert_media.iter())
        .map(|m| m.sha256.clone())
        .collect();
    let n = link.cache.collect_garbage(&keep);
    if n > 0 {
        tracing::info!("đã xóa {n} tệp không còn dùng (media garbage-collected)");
    }
    Ok(())
}
