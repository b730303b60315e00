//! Screenshots: boards upload what is on screen (a thumbnail now and then,
//! a full picture when asked); officers look at the latest.
//!
//! Only the latest of each kind is kept per board, as a file
//! `DATA/screens/{board}/{kind}-{n}.png` written to a temporary file and
//! renamed into place; the record `screen/{board}/{kind}` in the store names
//! the file, when it was taken and the command it answers. A new upload
//! replaces the record, then the old file goes.

use super::boards::load;
use super::now;
use crate::auth::{BoardAuth, Officer};
use crate::error::{ApiResult, AppError, AppPath, AppQuery, ErrorBody};
use crate::model::key;
use crate::shared::screen_blob;
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::wire::{MAX_SCREENSHOT_BYTES, MAX_THUMBNAIL_BYTES};
use chrono::SecondsFormat;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// Largest picture side we accept (an 8K screen is 7680 wide).
const MAX_SIDE: u32 = 16_384;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShotKind {
    /// Small, sent with heartbeats (≤ 512 KiB).
    #[default]
    Thumb,
    /// Full resolution, on request (≤ 24 MiB).
    Full,
}

impl ShotKind {
    fn name(self) -> &'static str {
        match self {
            ShotKind::Thumb => "thumb",
            ShotKind::Full => "full",
        }
    }

    fn limit(self) -> usize {
        match self {
            ShotKind::Thumb => MAX_THUMBNAIL_BYTES,
            ShotKind::Full => MAX_SCREENSHOT_BYTES,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `thumb` (default) or `full`.
    #[serde(default)]
    #[param(inline, value_type = Option<ShotKind>)]
    pub kind: ShotKind,
    /// The id of the command this answers, if any.
    pub command: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// `thumb` (default) or `full`.
    #[serde(default)]
    #[param(inline, value_type = Option<ShotKind>)]
    pub kind: ShotKind,
}

pub use crate::model::ShotRecord;

/// A PNG signature and header with sane dimensions.
fn check_png(b: &[u8]) -> Result<(), AppError> {
    let refuse = |why: &str| AppError::unsupported(format!("không phải ảnh PNG hợp lệ: {why} (not a PNG picture)"));
    if b.len() < 24 || !b.starts_with(PNG_SIGNATURE) {
        return Err(refuse("thiếu chữ ký PNG"));
    }
    if &b[12..16] != b"IHDR" {
        return Err(refuse("thiếu phần đầu IHDR"));
    }
    let side = |r: std::ops::Range<usize>| b.get(r).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes);
    match (side(16..20), side(20..24)) {
        (Some(w), Some(h)) if (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h) => Ok(()),
        _ => Err(refuse("kích thước ảnh không hợp lệ")),
    }
}

fn check_command_id(c: &str) -> Result<(), AppError> {
    if !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) {
        Ok(())
    } else {
        Err(AppError::bad_request("mã lệnh không hợp lệ (invalid command id)").field("command"))
    }
}

/// For boards: the picture on screen now, as PNG (the raw body). Only the
/// latest of each kind is kept.
#[utoipa::path(put, path = "/api/v1/board/screenshot", tag = "board", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("token" = [])))]
pub async fn upload_screenshot(
    State(s): State<Arc<AppState>>,
    b: BoardAuth,
    AppQuery(q): AppQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let id = b.board.id;
    s.limits.upload(&format!("shot:{id}"))?;
    if let Some(c) = &q.command {
        check_command_id(c)?;
    }
    let limit = q.kind.limit();
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64)
    {
        return Err(AppError::too_large(limit as u64));
    }
    let mut bytes = Vec::new();
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| AppError::bad_request(format!("tải lên bị ngắt: {e} (upload interrupted)")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(AppError::too_large(limit as u64));
            }
            bytes.extend_from_slice(&data);
        }
    }
    check_png(&bytes)?;
    let n = s.store.next_id()?;
    let kind = q.kind.name();
    let file = format!("{kind}-{n}.png");
    let dir = s.screens_dir(&id);
    let tmp = s.tmp_dir.join(format!("screen-{n}.png"));
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(&bytes).await?;
        // Thumbnails are replaced every few beats; full pictures are asked for.
        if q.kind == ShotKind::Full {
            f.sync_all().await?;
        }
        drop(f);
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(&tmp, dir.join(&file)).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(AppError::internal(e));
    }
    // An officer may ask another manager on a shared database.
    s.share_file(screen_blob(&id, &file), dir.join(&file))
        .await
        .map_err(AppError::internal)?;
    let rec = ShotRecord {
        file,
        taken_at: now(),
        command: q.command,
        size: bytes.len() as u64,
    };
    let k = key::screenshot(&id, kind);
    let old = {
        let _g = crate::store::exclusive(&*s.store, &s.live.screens, "screens").await?;
        let old: Option<ShotRecord> = s.store.get_json(&k)?;
        s.store.apply(vec![Op::put(&k, &rec)])?;
        old
    };
    if let Some(old) = old {
        // In the background: while a backup copies the data directory,
        // removals wait for it, and the board need not.
        let shared = s.shared.clone();
        let blob = screen_blob(&id, &old.file);
        tokio::spawn(async move {
            let _ = shared.unshare(blob, true).await;
            shared.remove_paths(vec![dir.join(old.file)]).await
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The board's latest screenshot (PNG), with `X-Bangtin-Taken-At` and,
/// when it answered a command, `X-Bangtin-Command`.
#[utoipa::path(get, path = "/api/v1/boards/{id}/screenshot", tag = "boards", params(("id" = String, Path), ViewQuery),
    responses((status = 200, content_type = "image/png"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn get_screenshot(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<ViewQuery>,
) -> ApiResult<Response> {
    let b = load(&s, &who, &id)?;
    let rec: ShotRecord = s
        .store
        .get_json(&key::screenshot(&b.id, q.kind.name()))?
        .ok_or_else(|| AppError::not_found("ảnh chụp màn hình"))?;
    let path = s
        .shared
        .local_screen(&b.id, &rec.file)
        .await
        .map_err(|_| AppError::not_found("ảnh chụp màn hình"))?;
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|_| AppError::not_found("ảnh chụp màn hình"))?;
    let len = f.metadata().await.map_err(AppError::internal)?.len();
    let mut r = Body::from_stream(tokio_util::io::ReaderStream::new(f)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    let taken = rec.taken_at.to_rfc3339_opts(SecondsFormat::Millis, true);
    h.insert(
        "x-bangtin-taken-at",
        HeaderValue::from_str(&taken).map_err(AppError::internal)?,
    );
    if let Some(c) = rec.command.as_deref().and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("x-bangtin-command", c);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pngs_with_sane_sizes_pass() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&320u32.to_be_bytes());
        png.extend_from_slice(&180u32.to_be_bytes());
        assert!(check_png(&png).is_ok());
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(check_png(&huge).is_err());
        assert!(check_png(b"\xff\xd8\xff\xe0 a jpeg, not a png at all").is_err());
        assert!(check_png(&png[..20]).is_err());
        assert!(check_command_id("cmd_12").is_ok());
        assert!(check_command_id("cmd 12\r\n").is_err());
    }
}
