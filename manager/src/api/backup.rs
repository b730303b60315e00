//! Backups taken while the manager serves (see `crate::backup`):
//! administrators only, since a backup holds the show-signing key.

use super::{CREATED, audit};
use crate::auth::Officer;
use crate::backup::{BackupReport, StoredBackup};
use crate::error::{ApiResult, AppError, AppJson, AppQuery, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

/// Largest `keep` a request may ask for.
pub const MAX_KEEP: u32 = 1000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BackupQuery {
    /// Backups to keep after this one, this one counted: 0–1000, 0 keeps
    /// all (default: `backup_keep` of the configuration, 7).
    #[param(minimum = 0, maximum = 1000)]
    pub keep: Option<u32>,
}

/// Take a backup for `actor` (already allowed), keep `keep` (or the
/// configuration's `backup_keep`), and audit it: the API's route, the
/// web UI's button and the local control socket (`crate::control`) all
/// come here.
pub async fn run_backup(s: &Arc<AppState>, actor: &str, keep: Option<u32>) -> ApiResult<BackupReport> {
    let keep = match keep {
        Some(k) if k > MAX_KEEP => {
            return Err(
                AppError::bad_request(format!("keep từ 0 đến {MAX_KEEP} (keep must be 0–{MAX_KEEP})")).field("keep"),
            );
        }
        Some(k) => k,
        None => s.cfg.backup_keep,
    };
    let shared = s.shared.clone();
    let into = s.cfg.backups();
    let report = tokio::task::spawn_blocking(move || crate::backup::take_keeping(&shared, &into, keep))
        .await
        .map_err(AppError::internal)??;
    let m = &report.manifest;
    s.commit(vec![audit(
        &*s.store,
        actor,
        "backup.create",
        &report.name,
        None,
        Some(serde_json::json!({
            "path": report.path, "taken_at": m.taken_at, "records": m.records,
            "bytes": m.bytes, "writes_held_ms": m.writes_held_ms,
            "keep": keep, "pruned": report.pruned, "prune_error": report.prune_error,
        })),
    )?])
    .await?;
    Ok(report)
}

/// Take a backup of the data directory while the manager serves
/// (administrators): every record of the store, the proof-of-play and
/// heartbeat logs, media, thumbnails, screenshots and the show-signing
/// key, as they were at one instant. Written on the manager's machine
/// into a new directory under `backup_dir` (default `DATA/backups`),
/// readable by the manager's user only; restore it with
/// `bangtin-manager restore --from DIR --data NEW_DIR`. Writes are held
/// only while the instant is marked (`writes_held_ms`); removals of files
/// wait until the copy ends. One backup at a time. Once it is written,
/// this manager's oldest backups beyond `keep` (default `backup_keep`)
/// are removed (`pruned`); nothing else in the folder is touched.
#[utoipa::path(post, path = "/api/v1/backups", tag = "backup", params(BackupQuery),
    responses((status = 201, body = BackupReport, description = "Backup written"),
        (status = 403, body = ErrorBody, description = "Not an administrator"),
        (status = 409, body = ErrorBody, description = "Another backup is being taken")),
    security(("session" = []), ("token" = [])))]
pub async fn create_backup(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppQuery(q): AppQuery<BackupQuery>,
) -> ApiResult<(StatusCode, AppJson<BackupReport>)> {
    who.admin()?;
    let report = run_backup(&s, &who.actor(), q.keep).await?;
    Ok((CREATED, AppJson(report)))
}

/// The backups in `backup_dir` (administrators), newest first: each
/// directory there with a backup's name and a manifest this manager
/// reads, with its manifest (`taken_at`, `bytes`, …). `ours`: taken by
/// this manager (its signing key), so counted and removed by
/// `backup_keep`; others are listed and never removed.
#[utoipa::path(get, path = "/api/v1/backups", tag = "backup",
    responses((status = 200, body = [StoredBackup], description = "Backups, newest first"),
        (status = 403, body = ErrorBody, description = "Not an administrator")),
    security(("session" = []), ("token" = [])))]
pub async fn list_backups(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<StoredBackup>>> {
    who.admin()?;
    Ok(AppJson(backups(&s).await?))
}

/// [`list_backups`] without the check, for pages that made it.
pub async fn backups(s: &Arc<AppState>) -> ApiResult<Vec<StoredBackup>> {
    let dir = s.cfg.backups();
    let key = s.shared.public_key_b64();
    tokio::task::spawn_blocking(move || crate::backup::list(&dir, &key))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::from)
}
