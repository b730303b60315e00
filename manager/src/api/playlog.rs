//! Proof of play: boards upload what went on screen; officers get a report
//! per local day (JSON or CSV).
//!
//! Each event is stored once under `play/{board}/{seq}` (a board re-sending
//! a batch after a lost answer changes nothing), and indexed under
//! `playday/{board}/{UTC date}/{seq}` for every UTC date its play covers,
//! so a local day (two UTC dates in Vietnam) finds every play that
//! overlaps it, also one running across midnight.

use super::boards::load;
use super::now;
use crate::auth::{BoardAuth, Officer};
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody, Problem};
use crate::model::{Unit, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt, prefix_end};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::time::{DEFAULT_TZ, local_midnight, local_to_utc};
use bangtin_layouts::wire::{MAX_PLAYLOG_BATCH, PlayEvent, PlayKind, PlaylogAck, PlaylogBatch};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// A play is indexed under at most this many UTC dates (its last ones).
const MAX_INDEX_DAYS: i64 = 32;

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

/// UTC dates (YYYY-MM-DD) an event's play covers.
fn index_dates(e: &PlayEvent) -> Vec<String> {
    let (lo, hi) = match e.kind {
        PlayKind::Start => (e.at, e.at),
        _ => (e.started.min(e.at), e.at.max(e.started)),
    };
    let (first, last) = (lo.date_naive(), hi.date_naive());
    let first = first.max(last - Duration::days(MAX_INDEX_DAYS - 1));
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
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
    let mut stored = 0;
    {
        let _g = s.live.playlog.lock().await;
        let mut seen = BTreeSet::new();
        let mut ops = Vec::new();
        for e in &batch.events {
            let k = key::play(id, e.seq);
            if !seen.insert(e.seq) || s.store.get(&k)?.is_some() {
                continue;
            }
            for d in index_dates(e) {
                ops.push(Op::Put(key::play_day(id, &d, e.seq), Vec::new()));
            }
            ops.push(Op::put(k, e));
            stored += 1;
        }
        if !ops.is_empty() {
            s.store.apply(ops)?;
        }
    }
    // On disk before the board hears it may forget them.
    s.flusher.durable().await?;
    let p = format!("play/{id}/");
    let last_seq = s
        .store
        .range(&p, &prefix_end(&p), 1, true)?
        .first()
        .and_then(|(k, _)| k.rsplit('/').next()?.parse().ok())
        .unwrap_or(0);
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

/// One (layout, zone, item) on screen during the day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlayRow {
    pub layout: String,
    pub zone: String,
    pub item: usize,
    pub item_kind: String,
    pub label: String,
    /// Plays that ended (or were cut short) and overlap the day.
    pub plays: u64,
    /// Seconds on screen within the day (each play clipped to the day).
    pub seconds: f64,
    /// Of `plays`, those cut short.
    pub interrupted: u64,
    /// Earliest start of those plays, RFC 3339 in local time.
    pub first_start: String,
    /// Latest end of those plays, RFC 3339 in local time.
    pub last_end: String,
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

/// Midnight starting local `date` in `tz` (the first existing minute of it
/// where DST skips midnight).
fn day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let noon = date.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
    let t = local_to_utc(noon, tz).unwrap_or_else(|| noon.and_utc());
    local_midnight(t, tz)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Does `e` belong to the day `[start, end)`: a start within it, or a play
/// overlapping it (a zero-length one on its own day)?
fn in_day(e: &PlayEvent, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    if e.kind == PlayKind::Start {
        return start <= e.at && e.at < end;
    }
    let (from, to) = (e.started, e.at.max(e.started));
    from < end && (to > start || (to == start && from == to))
}

/// Build the report of `events` for the local day `[start, end)`.
fn report_rows(events: &[PlayEvent], start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> (Vec<PlayRow>, f64) {
    type Key = (String, String, usize, String, String);
    #[derive(Default)]
    struct Acc {
        plays: u64,
        micros: i64,
        interrupted: u64,
        first: Option<DateTime<Utc>>,
        last: Option<DateTime<Utc>>,
    }
    let mut rows: BTreeMap<Key, Acc> = BTreeMap::new();
    for e in events {
        if e.kind == PlayKind::Start {
            continue;
        }
        if !in_day(e, start, end) {
            continue;
        }
        let (from, to) = (e.started, e.at.max(e.started));
        let shown = (to.min(end) - from.max(start)).num_microseconds().unwrap_or(0).max(0);
        let a = rows
            .entry((
                e.layout.clone(),
                e.zone.clone(),
                e.item,
                e.item_kind.clone(),
                e.label.clone(),
            ))
            .or_default();
        a.plays += 1;
        a.micros += shown;
        a.interrupted += u64::from(e.kind == PlayKind::Interrupted);
        a.first = Some(a.first.map_or(from, |f| f.min(from)));
        a.last = Some(a.last.map_or(to, |l| l.max(to)));
    }
    let local = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut total = 0i64;
    let rows = rows
        .into_iter()
        .map(|((layout, zone, item, item_kind, label), a)| {
            total += a.micros;
            PlayRow {
                layout,
                zone,
                item,
                item_kind,
                label,
                plays: a.plays,
                seconds: round3(a.micros as f64 / 1e6),
                interrupted: a.interrupted,
                first_start: local(a.first),
                last_end: local(a.last),
            }
        })
        .collect();
    (rows, round3(total as f64 / 1e6))
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
    let Some(next) = date.succ_opt() else {
        return Err(AppError::bad_request("ngày không hợp lệ (invalid date)").field("date"));
    };
    let (start, end) = (day_start(date, tz), day_start(next, tz));
    let mut seqs = BTreeSet::new();
    let (d0, d1) = (start.date_naive(), (end - Duration::microseconds(1)).date_naive());
    for d in d0.iter_days().take_while(|d| *d <= d1) {
        let p = format!("playday/{}/{}/", b.id, d.format("%Y-%m-%d"));
        for (k, _) in s.store.scan(&p)? {
            if let Some(seq) = k.rsplit('/').next().and_then(|v| v.parse::<u64>().ok()) {
                seqs.insert(seq);
            }
        }
    }
    let mut events = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(e) = s.store.get_json::<PlayEvent>(&key::play(&b.id, seq))? {
            events.push(e);
        }
    }
    // The UTC dates scanned reach past the local day: keep the day's own.
    events.retain(|e| in_day(e, start, end));
    let (rows, total_seconds) = report_rows(&events, start, end, tz);
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

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ev(seq: u64, kind: PlayKind, started: &str, end: &str, label: &str) -> PlayEvent {
        PlayEvent {
            seq,
            kind,
            at: at(end),
            started: at(started),
            show_version: 1,
            layout: "lay_1@1".into(),
            zone: "z".into(),
            item: 0,
            item_kind: "image".into(),
            label: label.into(),
        }
    }

    #[test]
    fn plays_across_local_midnight_are_clipped_to_the_day() {
        let tz = DEFAULT_TZ;
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let (start, end) = (day_start(date, tz), day_start(date.succ_opt().unwrap(), tz));
        assert_eq!(start, at("2026-11-22T17:00:00Z"));
        let events = vec![
            // 23:59:50 the day before → 00:00:10: 10 s on this day.
            ev(1, PlayKind::End, "2026-11-22T16:59:50Z", "2026-11-22T17:00:10Z", "a"),
            ev(2, PlayKind::Start, "2026-11-22T18:00:00Z", "2026-11-22T18:00:00Z", "a"),
            ev(
                3,
                PlayKind::Interrupted,
                "2026-11-22T18:00:00Z",
                "2026-11-22T18:00:05.5Z",
                "a",
            ),
            // 23:59:58 → 00:00:03 the day after: 2 s.
            ev(
                4,
                PlayKind::End,
                "2026-11-23T16:59:58Z",
                "2026-11-23T17:00:03Z",
                "b, \"c\"",
            ),
            // Entirely the day before.
            ev(5, PlayKind::End, "2026-11-22T10:00:00Z", "2026-11-22T10:00:08Z", "a"),
        ];
        let (rows, total) = report_rows(&events, start, end, tz);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].label.as_str(), rows[0].plays, rows[0].interrupted),
            ("a", 2, 1)
        );
        assert_eq!(rows[0].seconds, 15.5);
        assert_eq!(rows[0].first_start, "2026-11-22T23:59:50+07:00");
        assert_eq!(rows[0].last_end, "2026-11-23T01:00:05+07:00");
        assert_eq!(rows[1].seconds, 2.0);
        assert_eq!(total, 17.5);
        let text = csv(&rows);
        assert!(text.starts_with("layout,zone,item,item_kind,label,plays,seconds,interrupted,"));
        assert!(text.contains(",\"b, \"\"c\"\"\",1,2.000,0,"), "{text}");
        assert_eq!(index_dates(&events[0]), ["2026-11-22"]);
        assert_eq!(index_dates(&events[3]), ["2026-11-23"]);
        let long = ev(9, PlayKind::End, "2026-01-01T00:00:00Z", "2026-11-23T00:00:00Z", "x");
        assert_eq!(index_dates(&long).len(), MAX_INDEX_DAYS as usize);
    }
}
