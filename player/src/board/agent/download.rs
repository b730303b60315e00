//! Media downloads into the cache: a few files at once, each resumed from
//! its `.part` file and checked against its hash and size before use.

use super::Link;
use crate::board::cache::{Cache, sha256_file, sync_dir};
use anyhow::{Context, Result, anyhow, bail};
use bangtin_layouts::show::{Show, ShowMedia};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Files downloaded at once.
const PARALLEL_DOWNLOADS: usize = 3;

pub(super) async fn download_all(link: &Link, show: &Show) -> Result<()> {
    let missing: Vec<ShowMedia> = link.cache.missing(show).into_iter().cloned().collect();
    if missing.is_empty() {
        return Ok(());
    }
    let total: u64 = missing.iter().map(|m| m.size).sum();
    tracing::info!("tải {} tệp, {} byte (downloading media)", missing.len(), total);
    let sem = Arc::new(tokio::sync::Semaphore::new(PARALLEL_DOWNLOADS));
    let mut set = tokio::task::JoinSet::new();
    for m in missing {
        let sem = sem.clone();
        let http = link.http.clone();
        let url = link.url(&format!("/api/v1/board/media/{}", m.sha256));
        let cred = link.credential.clone();
        let cache = link.cache.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            download(&http, &url, &cred, &cache, &m).await
        });
    }
    let mut first_err = None;
    while let Some(r) = set.join_next().await {
        let r = r.map_err(|e| anyhow!("{e}")).and_then(|r| r);
        if let Err(e) = r
            && first_err.is_none()
        {
            first_err = Some(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Download one file into `<sha>.part`, resuming from its length, verify
/// its hash and size, then move it into place.
pub(super) async fn download(
    http: &reqwest::Client,
    url: &str,
    cred: &str,
    cache: &Cache,
    m: &ShowMedia,
) -> Result<()> {
    let part = cache.part_path(&m.sha256);
    let mut have = tokio::fs::metadata(&part).await.map(|md| md.len()).unwrap_or(0);
    if have > m.size {
        let _ = tokio::fs::remove_file(&part).await;
        have = 0;
    }
    if have < m.size {
        let mut req = http.get(url).bearer_auth(cred).timeout(Duration::from_secs(3600));
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let mut r = req.send().await.with_context(|| format!("tải {}", m.sha256))?;
        let append = match r.status() {
            StatusCode::PARTIAL_CONTENT => true,
            StatusCode::OK => false,
            StatusCode::RANGE_NOT_SATISFIABLE => {
                let _ = tokio::fs::remove_file(&part).await;
                bail!("tải {}: vị trí tiếp tục không hợp lệ, tải lại từ đầu", m.sha256);
            }
            s => bail!("tải {}: máy chủ trả lời {s}", m.sha256),
        };
        if have > 0 && append {
            tracing::info!("tiếp tục tải {} từ byte {have} (resuming)", m.sha256);
        }
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&part)
            .await
            .with_context(|| format!("không ghi được {}", part.display()))?;
        let mut got = if append { have } else { 0 };
        while let Some(chunk) = r.chunk().await.with_context(|| format!("tải {} bị ngắt", m.sha256))? {
            got += chunk.len() as u64;
            if got > m.size {
                drop(f);
                let _ = tokio::fs::remove_file(&part).await;
                bail!("tải {}: tệp dài hơn khai báo (larger than listed)", m.sha256);
            }
            f.write_all(&chunk).await.context("không ghi được tệp tải về")?;
        }
        f.sync_all().await.context("không ghi được tệp tải về")?;
    }
    let part2 = part.clone();
    let sha = tokio::task::spawn_blocking(move || sha256_file(&part2))
        .await
        .map_err(|e| anyhow!("{e}"))?
        .context("không đọc lại được tệp tải về")?;
    let len = tokio::fs::metadata(&part).await.map(|md| md.len()).unwrap_or(0);
    if len < m.size {
        bail!("tải {}: mới có {len}/{} byte", m.sha256, m.size);
    }
    if sha != m.sha256 {
        let _ = tokio::fs::remove_file(&part).await;
        bail!(
            "tệp tải về sai mã băm (got {sha}, want {}): đã xóa, sẽ tải lại (hash mismatch)",
            m.sha256
        );
    }
    let dest = cache.media_path(&m.sha256);
    tokio::fs::rename(&part, &dest)
        .await
        .with_context(|| format!("không đặt được {}", dest.display()))?;
    sync_dir(&cache.media_dir());
    Ok(())
}
