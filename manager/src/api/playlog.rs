//! Proof of play: boards upload what went on screen; officers get a report
//! per local day (JSON or CSV). How it is stored and kept bounded:
//! [`crate::playlog`].

use super::boards::load;
use super::now;
use crate::auth::{BoardAuth, Officer};
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody, Problem};
use crate::model::{Unit, key};
pub use crate::playlog::PlayRow;
use crate::playlog::report_rows;
use crate::state::AppState;
use crate::store::StoreExt;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::time::DEFAULT_TZ;
use bangtin_layouts::wire::{MAX_PLAYLOG_BATCH, PlayEvent, PlayKind, PlaylogAck, PlaylogBatch};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

fn too_many(n: usize) -> AppError {
    let mut e = AppError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        ..AppError::unprocessable(format!(
            "quá nhiều sự kiện trong một lần gửi: {n}, tối đa {MAX_PLAYLOG_BATCH} (too many events in one batch)"
        ))
    }
    .field("events");
    e.detail.code = "too_large";
    e
}

fn check_event(i: usize, e: &PlayEvent, out: &mut Vec<Problem>) {
    for (name, v, max) in [
        ("layout", &e.layout, 200),
        ("zone", &e.zone, 200),
        ("item_kind", &e.item_kind, 40),
        ("label", &e.label, 1000),
    ] {
        if v.chars().count() > max {
            out.push(Problem {
                field: format!("events[{i}].{name}"),
                message: format!("dài quá {max} ký tự (longer than {max} characters)"),
            });
        }
    }
    if e.kind != PlayKind::Start && e.at < e.started {
        out.push(Problem {
            field: format!("events[{i}].at"),
            message: "kết thúc trước khi bắt đầu (ends before it started)".into(),
        });
    }
}

/// For boards: proof-of-play events (at most 1000 a batch). Stored once per
/// seq and on disk before the answer, so the board may then delete them.
#[utoipa::path(post, path = "/api/v1/board/playlog", tag = "board",
    request_body(content = Object, description = "wire::PlaylogBatch {events: [wire::PlayEvent]}"),
    responses((status = 200, body = Object, description = "wire::PlaylogAck {stored, last_seq}"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("token" = [])))]
pub async fn upload_playlog(
    State(s): State<Arc<AppState>>,
    b: BoardAuth,
    AppJson(batch): AppJson<PlaylogBatch>,
) -> ApiResult<AppJson<PlaylogAck>> {
    let id = &b.board.id;
    s.limits.upload(&format!("play:{id}"))?;
    if batch.events.len() > MAX_PLAYLOG_BATCH {
        return Err(too_many(batch.events.len()));
    }
    let mut problems = Vec::new();
    for (i, e) in batch.events.iter().enumerate() {
        check_event(i, e, &mut problems);
    }
    if !problems.is_empty() {
        problems.truncate(20);
        return Err(AppError::invalid(problems));
    }
    let stored = {
        let (lock, name) = s.live.playlog_lock(id);
        let _g = crate::store::exclusive(&*s.store, lock, name).await?;
        crate::playlog::store_events(&*s.store, &s.live.play_seqs, id, &batch.events, now())?
    };
    // On disk before the board hears it may forget them.
    s.flusher.durable().await?;
    let last_seq = crate::playlog::last_seq(&*s.store, &s.live.play_seqs, id)?;
    Ok(AppJson(PlaylogAck { stored, last_seq }))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Local day (the board unit's time zone), YYYY-MM-DD; default today.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-23")]
    pub date: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// `1`: also list the day's events (JSON only).
    pub raw: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlayReport {
    pub board: String,
    #[schema(value_type = String, example = "2026-11-23")]
    pub date: NaiveDate,
    pub timezone: String,
    pub rows: Vec<PlayRow>,
    pub total_seconds: f64,
    /// With `raw=1`: the events stored for the day, by seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub events: Option<Vec<PlayEvent>>,
}

/// RFC 4180: quote fields holding a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rows: &[PlayRow]) -> String {
    let mut out = String::from("layout,zone,item,item_kind,label,plays,seconds,interrupted,first_start,last_end\r\n");
    for r in rows {
        let fields = [
            csv_field(&r.layout),
            csv_field(&r.zone),
            r.item.to_string(),
            csv_field(&r.item_kind),
            csv_field(&r.label),
            r.plays.to_string(),
            format!("{:.3}", r.seconds),
            r.interrupted.to_string(),
            r.first_start.clone(),
            r.last_end.clone(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Proof of play for one local day: per layout, zone and item, how many
/// plays and how many seconds on screen. `format=csv` downloads it.
#[utoipa::path(get, path = "/api/v1/boards/{id}/playlog", tag = "boards", params(("id" = String, Path), ReportQuery),
    responses((status = 200, description = "JSON, or CSV (UTF-8, header row) with format=csv",
            content((PlayReport = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn playlog_report(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    let b = load(&s, &who, &id)?;
    let unit: Option<Unit> = s.store.get_json(&key::unit(&b.unit))?;
    let tz: Tz = unit
        .and_then(|u| u.timezone.parse().ok())
        .or_else(|| s.cfg.timezone.parse().ok())
        .unwrap_or(DEFAULT_TZ);
    let date = q.date.unwrap_or_else(|| now().with_timezone(&tz).date_naive());
    if date.succ_opt().is_none() {
        return Err(AppError::bad_request("ngày không hợp lệ (invalid date)").field("date"));
    };
    let (rows, events) = crate::playlog::day(&*s.store, &b.id, date, tz)?;
    let (rows, total_seconds) = report_rows(rows, tz);
    if q.format.unwrap_or_default() == ReportFormat::Csv {
        let safe: String =
            b.id.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
        let mut r = (StatusCode::OK, csv(&rows)).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let disp = format!("attachment; filename=\"playlog-{safe}-{date}.csv\"");
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disp).map_err(AppError::internal)?,
        );
        return Ok(r);
    }
    let raw = matches!(q.raw.as_deref(), Some("1" | "true"));
    Ok(AppJson(PlayReport {
        board: b.id,
        date,
        timezone: tz.name().to_string(),
        rows,
        total_seconds,
        events: raw.then_some(events),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let row = PlayRow {
            layout: "lay_1@1".into(),
            zone: "z".into(),
            item: 0,
            item_kind: "image".into(),
            label: "b, \"c\"".into(),
            plays: 1,
            seconds: 2.0,
            interrupted: 0,
            first_start: "2026-11-22T23:59:58+07:00".into(),
            last_end: "2026-11-23T00:00:03+07:00".into(),
        };
        let text = csv(&[row]);
        assert!(text.starts_with("layout,zone,item,item_kind,label,plays,seconds,interrupted,"));
        assert!(text.contains(",\"b, \"\"c\"\"\",1,2.000,0,"), "{text}");
    }
}
