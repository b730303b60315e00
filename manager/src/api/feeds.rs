//! Feeds (RSS 2.0, Atom, JSON Feed) that administrators attach to a
//! registered source; the poller in [`crate::feeds`] takes their entries
//! in as that source's bulletins.

use super::{CREATED, audit, new_id, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody};
use crate::feeds::{self, FEED_LOCK, FeedRecord, NewFeed};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;

/// Attach a feed to a source (administrators). It is polled at once, then
/// every `interval_s`; its entries arrive as the source's bulletins (normal
/// ones wait for approval in each targeted commune).
#[utoipa::path(post, path = "/api/v1/feeds", tag = "ingest", request_body = NewFeed,
    responses((status = 201, body = FeedRecord), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such source"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_feed(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(n): AppJson<NewFeed>,
) -> ApiResult<(StatusCode, AppJson<FeedRecord>)> {
    who.admin()?;
    let _g = crate::store::exclusive(&*s.store, &FEED_LOCK, "feeds").await?;
    let id = new_id(&*s.store, "feed")?;
    let rec = feeds::check_new(&s, n, id, who.actor(), now())?;
    s.commit(vec![
        Op::put(feeds::key_of(&rec.id), &rec),
        audit(
            &*s.store,
            &who.actor(),
            "feed.create",
            &rec.id,
            None,
            Some(serde_json::json!({"source": rec.source, "url": rec.url})),
        )?,
    ])
    .await?;
    Ok((CREATED, AppJson(rec)))
}

/// Feeds and how their polling goes: last poll, last success, last error
/// and entries taken (administrators).
#[utoipa::path(get, path = "/api/v1/feeds", tag = "ingest",
    responses((status = 200, body = [FeedRecord]), (status = 403, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list_feeds(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<FeedRecord>>> {
    who.admin()?;
    Ok(AppJson(s.store.scan_json("feed/")?))
}

/// Stop polling a feed (administrators). Bulletins already taken stay.
#[utoipa::path(delete, path = "/api/v1/feeds/{feed}", tag = "ingest", params(("feed" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn delete_feed(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    who.admin()?;
    let _g = crate::store::exclusive(&*s.store, &FEED_LOCK, "feeds").await?;
    let k = feeds::key_of(&id);
    if id.contains('/') || s.store.get(&k)?.is_none() {
        return Err(AppError::not_found("feed"));
    }
    s.commit(vec![
        Op::del(k),
        audit(&*s.store, &who.actor(), "feed.delete", &id, None, None)?,
    ])
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
