//! Report back and statistics over HTTP (see [`crate::reporting`]).
//!
//! - Sources, signed like ingest (`GET`, empty body, the path as sent):
//!   `GET /api/v1/bulletins/{bulletin}/report` and
//!   `GET /api/v1/alerts/{identifier}/report` — only their own items; any
//!   other id answers 404.
//! - Officers, with read rights on the unit:
//!   `GET /api/v1/units/{unit}/reports` — the reports of the items that
//!   concern the unit, limited to the unit's boards (a province: its
//!   communes' boards), newest first, filtered by `source`, `id`, `kind`;
//!   `GET /api/v1/units/{unit}/stats` — figures per commune over a period.

use super::now;
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody};
use crate::model::{Board, Unit, key};
use crate::records::{AlertRecord, BulletinRecord, bulletin_key};
use crate::reporting::{self, Item, ItemKind, Report, Stats, World};
use crate::state::AppState;
use crate::store::StoreExt;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::time::DEFAULT_TZ;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;

/// Most reports one officer request returns.
pub const MAX_REPORTS: usize = 500;
/// Longest statistics period, days.
pub const MAX_STATS_DAYS: i64 = 3700;

/// Run blocking report work off the async threads.
async fn blocking<T: Send + 'static>(
    s: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(AppError::internal)?
}

/// The report of `item` over every board it targets.
async fn whole_report(s: &Arc<AppState>, item: Item) -> Result<Report, AppError> {
    blocking(s, move |s| {
        let world = World::load(&*s.store, &s.cfg.timezone)?;
        let mut folded = std::collections::HashSet::new();
        Ok(reporting::build(
            &*s.store,
            &s.live,
            &world,
            &item,
            reporting::Scope::all(),
            &mut folded,
            now(),
        )?)
    })
    .await
}

/// For sources: where one of their bulletins stands on every board it
/// targets — received, shown (first, last, seconds), failed and why.
/// Signed like ingest requests (method `GET`, empty body); another
/// source's bulletin answers 404.
#[utoipa::path(get, path = "/api/v1/bulletins/{bulletin}/report", tag = "ingest",
    params(("bulletin" = String, Path, description = "Bulletin id")),
    responses((status = 200, body = Report), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("source" = [])))]
pub async fn bulletin_report(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<Report>> {
    let src = super::signed_source(&*s.store, &headers, "GET", uri.path(), b"")?;
    let rec: BulletinRecord = s
        .store
        .get_json(&bulletin_key(&src.id, &id))?
        .ok_or_else(|| AppError::not_found("bản tin (bulletin)"))?;
    Ok(AppJson(whole_report(&s, Item::from_bulletin(&rec)).await?))
}

/// For sources: the same report for one of their CAP alerts, by
/// identifier (percent-encoded in the path, signed as sent).
#[utoipa::path(get, path = "/api/v1/alerts/{identifier}/report", tag = "ingest",
    params(("identifier" = String, Path, description = "CAP identifier")),
    responses((status = 200, body = Report), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("source" = [])))]
pub async fn alert_report(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    AppPath(identifier): AppPath<String>,
) -> ApiResult<AppJson<Report>> {
    let src = super::signed_source(&*s.store, &headers, "GET", uri.path(), b"")?;
    let rec: AlertRecord = reporting::find_alert(&*s.store, &src.id, &identifier)?
        .ok_or_else(|| AppError::not_found("cảnh báo (alert)"))?;
    Ok(AppJson(whole_report(&s, Item::from_alert(&rec)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// Only this source's items (`src_12`; empty: all).
    pub source: Option<String>,
    /// Only this bulletin id or CAP identifier (empty: all).
    pub id: Option<String>,
    /// `bulletin` or `alert` (empty: both).
    #[param(pattern = "^(|bulletin|alert)$")]
    pub kind: Option<String>,
    /// At most this many, newest first: 1–500 (empty: 50).
    #[param(pattern = "^(|[1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$")]
    pub limit: Option<String>,
}

fn unit_of(s: &AppState, who: &Officer, code: &str) -> Result<Unit, AppError> {
    who.read(code, "đơn vị")?;
    s.store
        .get_json::<Unit>(&key::unit(code))?
        .ok_or_else(|| AppError::not_found("đơn vị"))
}

/// An empty parameter is an absent one (forms send them so).
fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// For officers: the reports of the bulletins and alerts that concern a
/// unit, limited to its boards (a province: its communes' boards), newest
/// first.
#[utoipa::path(get, path = "/api/v1/units/{unit}/reports", tag = "ingest",
    params(("unit" = String, Path, description = "Commune or province code"), ReportsQuery),
    responses((status = 200, body = [Report]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn unit_reports(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(code): AppPath<String>,
    AppQuery(q): AppQuery<ReportsQuery>,
) -> ApiResult<AppJson<Vec<Report>>> {
    unit_of(&s, &who, &code)?;
    let kind = match non_empty(&q.kind) {
        None => None,
        Some("bulletin") => Some(ItemKind::Bulletin),
        Some("alert") => Some(ItemKind::Alert),
        Some(_) => {
            return Err(
                AppError::bad_request("kind phải là bulletin hoặc alert (kind must be bulletin or alert)")
                    .field("kind"),
            );
        }
    };
    let limit = match non_empty(&q.limit) {
        None => 50,
        Some(v) => Some(v)
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0'))
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| (1..=MAX_REPORTS).contains(n))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "limit phải là số từ 1 đến {MAX_REPORTS} (limit must be 1–{MAX_REPORTS})"
                ))
                .field("limit")
            })?,
    };
    let source = non_empty(&q.source).map(str::to_string);
    let id = non_empty(&q.id).map(str::to_string);
    let out = blocking(&s, move |s| {
        let store = &*s.store;
        let world = World::load(store, &s.cfg.timezone)?;
        let wanted = |src: &str, i: &str, k: ItemKind| {
            source.as_deref().is_none_or(|x| x == src)
                && id.as_deref().is_none_or(|x| x == i)
                && kind.is_none_or(|x| x == k)
        };
        let mut items: Vec<Item> = Vec::new();
        if kind != Some(ItemKind::Alert) {
            let prefix = source
                .as_deref()
                .map_or("bulletin/".to_string(), |x| format!("bulletin/{x}/"));
            items.extend(
                store
                    .scan_json::<BulletinRecord>(&prefix)?
                    .iter()
                    .filter(|b| wanted(&b.source, &b.id, ItemKind::Bulletin))
                    .map(Item::from_bulletin),
            );
        }
        if kind != Some(ItemKind::Bulletin) {
            items.extend(
                store
                    .scan_json::<AlertRecord>("alert/")?
                    .iter()
                    .filter(|a| wanted(&a.source, &a.identifier, ItemKind::Alert))
                    .map(Item::from_alert),
            );
        }
        items.retain(|i| world.concerns(i, &code));
        items.sort_by_key(|b| std::cmp::Reverse(b.received_at));
        items.truncate(limit);
        let keep = |b: &Board| world.within(b, &code);
        let keep_unit = |u: &str| world.unit_within(u, &code);
        let t = now();
        let mut folded = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(items.len());
        for i in &items {
            let scope = reporting::Scope {
                boards: &keep,
                units: &keep_unit,
            };
            out.push(reporting::build(store, &s.live, &world, i, scope, &mut folded, t)?);
        }
        Ok(out)
    })
    .await?;
    Ok(AppJson(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First local day, YYYY-MM-DD (empty: 1 January of this year).
    #[param(example = "2026-01-01", schema_with = crate::patterns::date_or_empty)]
    pub from: Option<String>,
    /// Last local day, inclusive (empty: today); not before `from`, and
    /// fewer than 3700 days after it.
    #[param(example = "2026-06-30", schema_with = crate::patterns::date_or_empty)]
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(|json|csv)$")]
    pub format: Option<String>,
}

fn date(v: &Option<String>, field: &str) -> Result<Option<NaiveDate>, AppError> {
    match non_empty(v) {
        None => Ok(None),
        // Exactly YYYY-MM-DD, as the OpenAPI `date` format (chrono alone
        // would also take `2026-1-5`).
        Some(t) => Some(t)
            .filter(|t| {
                t.len() == 10
                    && t.bytes().enumerate().all(|(i, b)| {
                        if i == 4 || i == 7 {
                            b == b'-'
                        } else {
                            b.is_ascii_digit()
                        }
                    })
            })
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| {
                let shown: String = t.chars().take(40).collect();
                AppError::bad_request(format!(
                    "{field} phải là ngày dạng YYYY-MM-DD, nhận {shown:?} (date must be YYYY-MM-DD)"
                ))
                .field(field)
            }),
    }
}

/// For officers: statistics for yearly and half-yearly reports, per
/// commune of the unit (a province: each of its communes and the total)
/// over local days `from`–`to`: boards, the fraction of the time they were
/// online, distinct bulletins and alerts shown, and their seconds on
/// screen. `format=csv` downloads it (UTF-8, header row).
#[utoipa::path(get, path = "/api/v1/units/{unit}/stats", tag = "ingest",
    params(("unit" = String, Path, description = "Commune or province code"), StatsQuery),
    responses((status = 200, description = "JSON, or CSV (UTF-8, header row) with format=csv",
            content((Stats = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn unit_stats(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(code): AppPath<String>,
    AppQuery(q): AppQuery<StatsQuery>,
) -> ApiResult<Response> {
    let unit = unit_of(&s, &who, &code)?;
    let csv = match non_empty(&q.format) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(
                AppError::bad_request("format phải là json hoặc csv (format must be json or csv)").field("format"),
            );
        }
    };
    let tz: Tz = unit
        .timezone
        .parse()
        .or_else(|_| s.cfg.timezone.parse())
        .unwrap_or(DEFAULT_TZ);
    let today = now().with_timezone(&tz).date_naive();
    let from = date(&q.from, "from")?
        .or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1))
        .unwrap_or(today);
    let to = date(&q.to, "to")?.unwrap_or(today);
    if to < from {
        return Err(AppError::unprocessable("ngày kết thúc trước ngày bắt đầu (to is before from)").field("to"));
    }
    if (to - from).num_days() >= MAX_STATS_DAYS {
        return Err(AppError::unprocessable(format!(
            "khoảng thời gian dài quá {MAX_STATS_DAYS} ngày (period longer than {MAX_STATS_DAYS} days)"
        ))
        .field("to"));
    }
    let c = code.clone();
    let stats = blocking(&s, move |s| {
        let world = World::load(&*s.store, &s.cfg.timezone)?;
        Ok(reporting::stats(&*s.store, &world, &c, from, to, now())?)
    })
    .await?;
    if !csv {
        return Ok(AppJson(stats).into_response());
    }
    let safe: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let mut r = (StatusCode::OK, reporting::stats_csv(&stats)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disp = format!("attachment; filename=\"thong-ke-{safe}-{from}-{to}.csv\"");
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disp).map_err(AppError::internal)?,
    );
    Ok(r)
}
