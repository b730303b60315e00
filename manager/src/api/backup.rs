//! Backups taken while the manager serves (see `crate::backup`):
//! administrators only, since a backup holds the show-signing key.

use super::{CREATED, audit};
use crate::auth::Officer;
use crate::backup::BackupReport;
use crate::error::{ApiResult, AppError, AppJson, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;

/// Take a backup of the data directory while the manager serves
/// (administrators): every record of the store, the proof-of-play and
/// heartbeat logs, media, thumbnails, screenshots and the show-signing
/// key, as they were at one instant. Written on the manager's machine
/// into a new directory under `backup_dir` (default `DATA/backups`),
/// readable by the manager's user only; restore it with
/// `bangtin-manager restore --from DIR --data NEW_DIR`. Writes are held
/// only while the instant is marked (`writes_held_ms`); removals of files
/// wait until the copy ends. One backup at a time.
#[utoipa::path(post, path = "/api/v1/backups", tag = "backup",
    responses((status = 201, body = BackupReport, description = "Backup written"),
        (status = 403, body = ErrorBody, description = "Not an administrator"),
        (status = 409, body = ErrorBody, description = "Another backup is being taken")),
    security(("session" = []), ("token" = [])))]
pub async fn create_backup(
    State(s): State<Arc<AppState>>,
    who: Officer,
) -> ApiResult<(StatusCode, AppJson<BackupReport>)> {
    who.admin()?;
    let shared = s.shared.clone();
    let into = s.cfg.backups();
    let report = tokio::task::spawn_blocking(move || crate::backup::take(&shared, &into))
        .await
        .map_err(AppError::internal)??;
    let m = &report.manifest;
    s.commit(vec![audit(
        &*s.store,
        &who.actor(),
        "backup.create",
        &report.name,
        None,
        Some(serde_json::json!({
            "path": report.path, "taken_at": m.taken_at, "records": m.records,
            "bytes": m.bytes, "writes_held_ms": m.writes_held_ms,
        })),
    )?])
    .await?;
    Ok((CREATED, AppJson(report)))
}
