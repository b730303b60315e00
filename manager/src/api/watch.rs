//! Offline boards: each unit's threshold and webhook, and the boards past
//! their threshold (see `crate::watch`).

use super::audit;
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody};
use crate::state::AppState;
use crate::watch::{LongOffline, WatchSettings, check, long_offline, put, settings};
use axum::extract::State;
use std::sync::Arc;

/// A unit's offline threshold and webhook.
#[utoipa::path(get, path = "/api/v1/units/{unit}/watch", tag = "boards", params(("unit" = String, Path)),
    responses((status = 200, body = WatchSettings), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn get_watch(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<WatchSettings>> {
    who.read(&unit, "đơn vị")?;
    Ok(AppJson(settings(&s, &unit)?))
}

/// Set a unit's offline threshold and webhook (administrators: the
/// manager calls the URL, so only they may choose it).
#[utoipa::path(put, path = "/api/v1/units/{unit}/watch", tag = "boards", params(("unit" = String, Path)),
    request_body = WatchSettings,
    responses((status = 200, body = WatchSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn put_watch(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(w): AppJson<WatchSettings>,
) -> ApiResult<AppJson<WatchSettings>> {
    who.read(&unit, "đơn vị")?;
    who.admin()?;
    if s.store.get(&crate::model::key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    let w = check(&w, s.cfg.min_offline_alert_s).map_err(|(f, m)| AppError::unprocessable(m).field(f))?;
    s.commit(vec![
        put(&unit, &w),
        audit(
            &*s.store,
            &who.actor(),
            "unit.watch",
            &unit,
            Some(&unit),
            Some(serde_json::json!({"offline_after_s": w.offline_after_s, "webhook": w.webhook_url.is_some()})),
        )?,
    ])
    .await?;
    Ok(AppJson(w))
}

/// Boards silent longer than their unit's threshold, the longest first.
#[utoipa::path(get, path = "/api/v1/boards/offline", tag = "boards",
    responses((status = 200, body = [LongOffline])),
    security(("session" = []), ("token" = [])))]
pub async fn offline_boards(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<LongOffline>>> {
    let shared = s.shared.clone();
    let list = tokio::task::spawn_blocking(move || long_offline(&shared, |u| who.can_read(u), chrono::Utc::now()))
        .await
        .map_err(AppError::internal)??;
    Ok(AppJson(list))
}
