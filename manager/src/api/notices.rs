//! Local notices over HTTP: an editor of a unit (or an administrator)
//! issues an emergency or priority notice for the unit's boards and
//! loudspeakers, lists them, cancels one. Viewers get 403, officers of
//! other units 404. The rules are [`crate::notices`]'.

use super::CREATED;
use crate::auth::Officer;
use crate::error::{ApiResult, AppJson, AppPath, ErrorBody};
use crate::notices::{self, NewNotice, Notice};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;

/// Issue a local emergency or priority notice for a unit's boards and
/// loudspeakers (editors of the unit, administrators). It travels as a CAP
/// alert of source `local:<unit>`: boards show it as they show a source's
/// alert, at once; an expiry is required (at most a week ahead).
#[utoipa::path(post, path = "/api/v1/units/{unit}/notices", tag = "ingest",
    params(("unit" = String, Path, description = "Commune (or province) code")),
    request_body = NewNotice,
    responses((status = 201, body = Notice), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_notice(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(n): AppJson<NewNotice>,
) -> ApiResult<(StatusCode, AppJson<Notice>)> {
    who.write(&unit, "đơn vị")?;
    let notice = notices::issue(&s.shared, &who.actor(), &unit, &n).await?;
    Ok((CREATED, AppJson(notice)))
}

/// A unit's local notices, newest first (officers of the unit).
#[utoipa::path(get, path = "/api/v1/units/{unit}/notices", tag = "ingest",
    params(("unit" = String, Path, description = "Commune (or province) code")),
    responses((status = 200, body = [Notice]), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list_notices(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<Notice>>> {
    who.read(&unit, "đơn vị")?;
    Ok(AppJson(notices::list(&s.shared, &unit)?))
}

/// Cancel a unit's local notice (editors of the unit, administrators): it
/// leaves the boards and loudspeakers at once.
#[utoipa::path(post, path = "/api/v1/units/{unit}/notices/{id}/cancel", tag = "ingest",
    params(("unit" = String, Path, description = "Commune (or province) code"), ("id" = String, Path, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn cancel_notice(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, id)): AppPath<(String, String)>,
) -> ApiResult<AppJson<Notice>> {
    who.write(&unit, "đơn vị")?;
    Ok(AppJson(notices::cancel(&s.shared, &who.actor(), &unit, &id).await?))
}
