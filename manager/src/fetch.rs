//! Media a bulletin references by URL (`board.items[].url`, `audio.url`):
//! fetched by the manager when the bulletin arrives, checked against the
//! SHA-256 the source gave, probed like an upload (a file boards could not
//! decode is refused), and only then stored — all of a bulletin's files or
//! none: a bulletin whose media cannot be fetched or does not match is
//! refused with a 422 naming the item, and nothing of it is kept.
//!
//! Files already in the media store (same SHA-256) are not fetched again.
//! Limits: http and https only, at most 3 redirects, 10 s to connect, 120 s
//! per file, [`crate::config::Config::max_upload_bytes`] per file.

use crate::bulletin::{Audio, BoardItem, Bulletin};
use crate::media::probe;
use crate::model::MediaKind;
use crate::shared::Shared;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Why a bulletin's media was not taken. Each names the JSON path of the
/// field at fault (`board.items[2].url`); the HTTP side maps them to
/// 413, 422 and 500.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Larger than the manager takes.
    #[error("tệp lớn hơn {limit} byte (media too large)")]
    TooLarge { field: String, limit: u64 },
    /// Unreachable, not the declared file, or not media a board can play.
    #[error("{reason}")]
    Refused { field: String, reason: String },
    /// The manager's own disk or store failed.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl FetchError {
    fn internal(e: impl std::fmt::Display) -> Self {
        FetchError::Internal(e.to_string())
    }
}

/// One file a bulletin references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    /// JSON path of the item, e.g. `board.items[2]`.
    pub path: String,
    pub url: String,
    pub sha256: String,
    pub kind: MediaKind,
}

/// Every file `b` references, with where it is in the document.
pub fn refs(b: &Bulletin) -> Vec<MediaRef> {
    let mut out: Vec<MediaRef> = b
        .board
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match it {
            BoardItem::Image { url, sha256, .. } => Some((i, url, sha256, MediaKind::Image)),
            BoardItem::Video { url, sha256, .. } => Some((i, url, sha256, MediaKind::Video)),
            BoardItem::Text { .. } | BoardItem::Ticker { .. } => None,
        })
        .map(|(i, url, sha, kind)| MediaRef {
            path: format!("board.items[{i}]"),
            url: url.clone(),
            sha256: sha.to_ascii_lowercase(),
            kind,
        })
        .collect();
    if let Some(Audio {
        url: Some(u),
        sha256: Some(h),
        ..
    }) = &b.audio
    {
        out.push(MediaRef {
            path: "audio".into(),
            url: u.clone(),
            sha256: h.to_ascii_lowercase(),
            kind: MediaKind::Audio,
        });
    }
    out
}

fn kind_vi(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Image => "ảnh",
        MediaKind::Video => "video",
        MediaKind::Audio => "âm thanh",
    }
}

fn unfetchable(r: &MediaRef, why: impl std::fmt::Display) -> FetchError {
    FetchError::Refused {
        field: format!("{}.url", r.path),
        reason: format!("không tải được tệp {}: {why} (could not fetch the media)", r.url),
    }
}

/// Download `r` into `tmp`, hashing as it comes; the hash must match.
async fn download(s: &Shared, client: &reqwest::Client, r: &MediaRef, tmp: &PathBuf) -> Result<u64, FetchError> {
    let limit = s.cfg.max_upload_bytes;
    let resp = client.get(&r.url).send().await.map_err(|e| unfetchable(r, e))?;
    if !resp.status().is_success() {
        return Err(unfetchable(r, format!("HTTP {}", resp.status().as_u16())));
    }
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(FetchError::TooLarge {
            field: format!("{}.url", r.path),
            limit,
        });
    }
    let mut f = tokio::fs::File::create(tmp).await.map_err(FetchError::internal)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut resp = resp;
    while let Some(chunk) = resp.chunk().await.map_err(|e| unfetchable(r, e))? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(FetchError::TooLarge {
                field: format!("{}.url", r.path),
                limit,
            });
        }
        hasher.update(&chunk);
        f.write_all(&chunk).await.map_err(FetchError::internal)?;
    }
    f.sync_all().await.map_err(FetchError::internal)?;
    let got = hex::encode(hasher.finalize());
    if got != r.sha256 {
        return Err(FetchError::Refused {
            field: format!("{}.sha256", r.path),
            reason: format!(
                "tệp tại {} có SHA-256 {got}, không khớp {} đã khai (media hash mismatch)",
                r.url, r.sha256
            ),
        });
    }
    Ok(size)
}

/// Fetch, check and probe every file of `refs` not yet stored, then move
/// them all into the media store. On any error nothing is stored.
pub async fn fetch_all(s: &Arc<Shared>, refs: &[MediaRef]) -> Result<(), FetchError> {
    // What another manager on a shared database stored comes from there.
    let mut missing: Vec<&MediaRef> = Vec::new();
    for r in refs {
        match s.local_media(&r.sha256).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push(r),
            Err(e) => return Err(FetchError::internal(e)),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(FetchError::internal)?;
    let mut fetched: Vec<(PathBuf, &MediaRef)> = Vec::new();
    let mut result = Ok(());
    for r in missing {
        // Files are known by hash: one fetched is one for every item
        // naming that hash.
        if fetched.iter().any(|(_, f)| f.sha256 == r.sha256) {
            continue;
        }
        let tmp = s.tmp_dir.join(format!("fetch-{}", s.store.next_id()?));
        let got = download(s, &client, r, &tmp).await;
        let got = match got {
            Ok(_) => {
                let t2 = tmp.clone();
                tokio::task::spawn_blocking(move || probe(&t2))
                    .await
                    .map_err(FetchError::internal)
                    .and_then(|p| {
                        p.map_err(|e| FetchError::Refused {
                            field: format!("{}.url", r.path),
                            reason: format!("tệp tại {}: {e} (media refused)", r.url),
                        })
                    })
                    .and_then(|p| {
                        if p.kind == r.kind {
                            Ok(())
                        } else {
                            Err(FetchError::Refused {
                                field: format!("{}.url", r.path),
                                reason: format!(
                                    "tệp tại {} là {}, không phải {} (media of another kind)",
                                    r.url,
                                    kind_vi(p.kind),
                                    kind_vi(r.kind)
                                ),
                            })
                        }
                    })
            }
            Err(e) => Err(e),
        };
        fetched.push((tmp, r));
        if let Err(e) = got {
            result = Err(e);
            break;
        }
    }
    if result.is_ok() {
        for (tmp, r) in &fetched {
            let dest = s.media_path(&r.sha256);
            if let Some(dir) = dest.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(FetchError::internal)?;
            }
            tokio::fs::rename(tmp, &dest).await.map_err(FetchError::internal)?;
            s.share_file(r.sha256.clone(), dest)
                .await
                .map_err(FetchError::internal)?;
        }
    }
    for (tmp, _) in &fetched {
        let _ = tokio::fs::remove_file(tmp).await;
    }
    result
}
