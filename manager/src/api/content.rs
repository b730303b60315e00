//! The media library of each unit.

use super::{CREATED, audit, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody};
use crate::media::{probe, save_thumbnail};
use crate::model::{Media, key};
use crate::shared::thumb_blob;
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// File name to show officers (the type is told by content): 1–200
    /// characters, not only spaces, no control characters.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\u{0}-\u{1f}\u{7f}-\u{9f}]*[^\u{0}-\u{20}\u{7f}-\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}][^\u{0}-\u{1f}\u{7f}-\u{9f}]*$"
    )]
    pub name: String,
}

fn check_sha(sha: &str) -> Result<(), AppError> {
    if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(
            AppError::bad_request("mã SHA-256 cần 64 chữ số hex thường (expected 64 lowercase hex digits)")
                .field("sha256"),
        )
    }
}

/// Bytes of a refused upload read and thrown away before answering, so that a
/// client sending a little too much gets the 413 and its reason rather than a
/// connection reset mid-send; bigger bodies are cut off with the connection.
const DRAIN_BYTES: u64 = 8 << 20;

/// Reads and discards up to [`DRAIN_BYTES`] of `body` (for at most 5 s).
async fn drain(body: &mut Body) {
    let mut seen = 0u64;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while seen < DRAIN_BYTES {
            match body.frame().await {
                Some(Ok(f)) => seen += f.data_ref().map_or(0, |d| d.len() as u64),
                _ => break,
            }
        }
    })
    .await;
}

/// Upload a file (raw body, streamed). Stored once by SHA-256, probed and
/// thumbnailed; refused with a reason if a board could not play it.
#[utoipa::path(post, path = "/api/v1/units/{unit}/media", tag = "media",
    params(("unit" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Media), (status = 200, body = Media, description = "already in the library"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn upload_media(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppQuery(q): AppQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, AppJson<Media>)> {
    who.write(&unit, "đơn vị")?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    let name = q.name.trim().to_string();
    if name.is_empty() || q.name.chars().count() > 200 || q.name.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "tên tệp 1–200 ký tự, không có ký tự điều khiển (file name 1–200 chars, no control characters)",
        )
        .field("name"));
    }
    let limit = s.cfg.max_upload_bytes;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        let mut body = body;
        drain(&mut body).await;
        return Err(AppError::too_large(limit));
    }
    // Stream to a temporary file, hashing as it comes.
    let tmp = s.tmp_dir.join(format!("upload-{}", s.store.next_id()?));
    let result = async {
        let mut f = tokio::fs::File::create(&tmp).await.map_err(AppError::internal)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| AppError::bad_request(format!("tải lên bị ngắt: {e} (upload interrupted)")))?;
            if let Ok(data) = frame.into_data() {
                size += data.len() as u64;
                if size > limit {
                    drain(&mut body).await;
                    return Err(AppError::too_large(limit));
                }
                hasher.update(&data);
                f.write_all(&data).await.map_err(AppError::internal)?;
            }
        }
        f.sync_all().await.map_err(AppError::internal)?;
        Ok((hex::encode(hasher.finalize()), size))
    }
    .await;
    let (sha, size) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    if let Some(existing) = s.store.get_json::<Media>(&key::media(&unit, &sha))? {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Ok((StatusCode::OK, AppJson(existing)));
    }
    let t2 = tmp.clone();
    let probed = tokio::task::spawn_blocking(move || probe(&t2))
        .await
        .map_err(AppError::internal)?;
    let p = match probed {
        Ok(p) => p,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
    };
    let dest = s.media_path(&sha);
    if let Some(dir) = dest.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(AppError::internal)?;
    }
    if tokio::fs::metadata(&dest).await.is_ok() {
        let _ = tokio::fs::remove_file(&tmp).await;
    } else {
        tokio::fs::rename(&tmp, &dest).await.map_err(AppError::internal)?;
    }
    // Every manager on a shared database serves it from the moment the
    // officer is told it is saved.
    s.share_file(sha.clone(), dest.clone())
        .await
        .map_err(AppError::internal)?;
    let has_thumbnail = match &p.thumbnail {
        Some(t) => {
            let (t, path) = (t.clone(), s.thumb_path(&sha));
            let p2 = path.clone();
            let saved = tokio::task::spawn_blocking(move || save_thumbnail(&t, &p2))
                .await
                .map_err(AppError::internal)?
                .is_ok();
            if saved {
                s.share_file(thumb_blob(&sha), path).await.map_err(AppError::internal)?;
            }
            saved
        }
        None => false,
    };
    let m = Media {
        sha256: sha.clone(),
        unit: unit.clone(),
        name,
        kind: p.kind,
        mime: p.mime,
        size,
        width: p.width,
        height: p.height,
        duration: p.duration,
        codec: p.codec,
        has_thumbnail,
        uploaded_by: who.user.username.clone(),
        uploaded_at: now(),
    };
    s.commit(vec![
        Op::put(key::media(&unit, &sha), &m),
        audit(
            &*s.store,
            &who.actor(),
            "media.upload",
            &sha,
            Some(&unit),
            Some(serde_json::json!({"name": m.name, "size": size, "mime": m.mime})),
        )?,
    ])
    .await?;
    Ok((CREATED, AppJson(m)))
}

/// A unit's media library.
#[utoipa::path(get, path = "/api/v1/units/{unit}/media", tag = "media", params(("unit" = String, Path)),
    responses((status = 200, body = [Media]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_media(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<Media>>> {
    who.read(&unit, "đơn vị")?;
    Ok(AppJson(s.store.scan_json(&format!("media/{unit}/"))?))
}

fn find(s: &AppState, who: &Officer, unit: &str, sha: &str) -> ApiResult<Media> {
    who.read(unit, "tệp")?;
    check_sha(sha)?;
    s.store
        .get_json(&key::media(unit, sha))?
        .ok_or_else(|| AppError::not_found("tệp"))
}

/// One file's details.
#[utoipa::path(get, path = "/api/v1/units/{unit}/media/{sha256}", tag = "media",
    params(("unit" = String, Path), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the file, 64 lowercase hex digits")),
    responses((status = 200, body = Media), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn get_media(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, sha)): AppPath<(String, String)>,
) -> ApiResult<AppJson<Media>> {
    Ok(AppJson(find(&s, &who, &unit, &sha)?))
}

/// Remove a file from the library. Refused while a published show uses it.
#[utoipa::path(delete, path = "/api/v1/units/{unit}/media/{sha256}", tag = "media",
    params(("unit" = String, Path), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the file, 64 lowercase hex digits")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn delete_media(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, sha)): AppPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let m = find(&s, &who, &unit, &sha)?;
    who.write(&unit, "tệp")?;
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let boards = crate::shows::media_in_use(&s, &sha)?;
    if !boards.is_empty() {
        return Err(AppError::conflict(format!(
            "tệp đang được dùng trong chương trình đã phát hành của bảng {} (used by a published show)",
            boards.join(", ")
        )));
    }
    s.commit(vec![
        Op::del(key::media(&unit, &sha)),
        audit(
            &*s.store,
            &who.actor(),
            "media.delete",
            &sha,
            Some(&unit),
            Some(serde_json::json!({"name": m.name})),
        )?,
    ])
    .await?;
    // Removing the file may wait for a backup: not holding up other
    // changes meanwhile.
    drop(_w);
    // The bytes go only when no unit's library has them any more.
    let still = s
        .store
        .scan("media/")?
        .into_iter()
        .any(|(k, _)| k.ends_with(&format!("/{sha}")));
    if !still {
        let _ = s
            .shared
            .remove_paths(vec![s.media_path(&sha), s.thumb_path(&sha)])
            .await;
        let _ = s.unshare(sha.clone(), true).await;
        let _ = s.unshare(thumb_blob(&sha), true).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A file of the data directory, or of the database on PostgreSQL
/// ([`crate::shared::Shared::local_media`]): one no manager has is not
/// found, any other failure an internal error.
pub(crate) fn local(r: std::io::Result<std::path::PathBuf>) -> ApiResult<std::path::PathBuf> {
    r.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AppError::not_found("nội dung tệp"),
        _ => AppError::internal(e),
    })
}

pub(crate) async fn send_file(path: std::path::PathBuf, mime: &str) -> ApiResult<Response> {
    let f = tokio::fs::File::open(&path)
        .await
        .map_err(|_| AppError::not_found("nội dung tệp"))?;
    let len = f.metadata().await.map_err(AppError::internal)?.len();
    let stream = tokio_util::io::ReaderStream::new(f);
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).map_err(AppError::internal)?,
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(r)
}

/// The file's bytes.
#[utoipa::path(get, path = "/api/v1/units/{unit}/media/{sha256}/content", tag = "media",
    params(("unit" = String, Path), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the file, 64 lowercase hex digits")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn media_content(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, sha)): AppPath<(String, String)>,
) -> ApiResult<Response> {
    let m = find(&s, &who, &unit, &sha)?;
    send_file(local(s.shared.local_media(&sha).await)?, &m.mime).await
}

/// A small JPEG preview (pictures and videos).
#[utoipa::path(get, path = "/api/v1/units/{unit}/media/{sha256}/thumbnail", tag = "media",
    params(("unit" = String, Path), ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "SHA-256 of the file, 64 lowercase hex digits")),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn media_thumbnail(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, sha)): AppPath<(String, String)>,
) -> ApiResult<Response> {
    let m = find(&s, &who, &unit, &sha)?;
    if !m.has_thumbnail {
        return Err(AppError::not_found("ảnh thu nhỏ"));
    }
    send_file(local(s.shared.local_thumb(&sha).await)?, "image/jpeg").await
}
