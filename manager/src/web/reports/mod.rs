//! Reports (issue #13, page 9): online ratio and airtime per commune and
//! per day as charts, the delivery of each bulletin and alert to the
//! boards, and the CSV / JSON exports of the statistics for the reporting
//! periods (closing 30/5 and 15/12, see [`period`]).
//!
//! Everything is read through the API's handlers (`unit_stats`,
//! `unit_reports`, `list_units`), so an officer sees their units only and
//! another unit answers 404 as in the API. The per-day figures are the
//! statistics of each day, computed by the same domain function the
//! statistics route uses, once the route has let the officer read the unit.

mod chart;
mod period;

use super::page::{Ctx, FormErrors, OrPage, PageError, Web, render, urlencode};
use crate::api::account::list_units;
use crate::api::reports::{ReportsQuery, StatsQuery, unit_reports, unit_stats};
use crate::error::{AppError, AppPath, AppQuery};
use crate::model::Unit;
use crate::reporting::{self, BoardState, ItemKind, Report, Stats, World};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chart::{Chart, Point, Spec};
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use period::Period;
use serde::Deserialize;
use std::sync::Arc;

/// Days drawn in the per-day charts at most (the last of the period).
const MAX_DAYS: i64 = 31;
/// Bulletins and alerts listed in the delivery reports.
const DELIVERIES: &str = "20";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/reports", get(page))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    /// Deliveries of `bulletin`s, `alert`s, or both (empty).
    #[serde(default)]
    kind: Option<String>,
}

/// A unit to choose.
#[derive(Debug)]
struct Choice {
    code: String,
    label: String,
    on: bool,
}

/// A row of the statistics table.
#[derive(Debug)]
struct StatsRow {
    unit: String,
    name: String,
    boards: usize,
    ratio: String,
    online: String,
    airtime: String,
    bulletins: usize,
    alerts: usize,
    total: bool,
}

/// Export links of a period.
#[derive(Debug)]
struct Export {
    label: String,
    view: String,
    csv: String,
    json: String,
    kind: &'static str,
}

#[derive(Debug)]
struct BoardRow {
    name: String,
    board: String,
    unit: String,
    state: String,
    class: &'static str,
    received: String,
    shown: String,
    reason: String,
}

#[derive(Debug)]
struct Delivery {
    kind: String,
    id: String,
    source: String,
    title: String,
    priority: String,
    priority_class: &'static str,
    state: String,
    received_at: String,
    targeted: usize,
    received: usize,
    shown: usize,
    failed: usize,
    waiting: usize,
    seconds: String,
    boards: Vec<BoardRow>,
    json: String,
}

#[derive(Debug, Template)]
#[template(path = "reports/index.html")]
struct ReportsPage {
    ctx: Ctx,
    units: Vec<Choice>,
    unit: Option<Unit>,
    from: String,
    to: String,
    kind: String,
    errors: FormErrors,
    rows: Vec<StatsRow>,
    charts: Vec<Chart>,
    /// Which days the per-day charts show, when not all of the period.
    days_note: Option<String>,
    range: Option<Export>,
    presets: Vec<Export>,
    deliveries: Vec<Delivery>,
    deliveries_json: String,
    generated: String,
}

fn tz_of(u: &Unit, ctx: &Ctx) -> Tz {
    u.timezone.parse().unwrap_or(ctx.tz)
}

/// The unit shown when none is asked for: the province for
/// administrators, the officer's own first unit for others.
fn default_unit<'a>(units: &'a [Unit], web: &Web) -> Option<&'a Unit> {
    let own = web
        .who
        .user
        .units
        .iter()
        .find_map(|c| units.iter().find(|u| u.code == *c));
    own.or_else(|| units.iter().find(|u| u.parent.is_none()))
        .or_else(|| units.first())
}

/// A number with the language's decimal mark.
fn num(ctx: &Ctx, v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match ctx.lang {
        super::i18n::Lang::Vi => s.replace('.', ","),
        super::i18n::Lang::En => s,
    }
}

fn percent(ctx: &Ctx, r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{} %", num(ctx, r * 100.0, 1)))
}

/// Seconds in the unit a scale of `top` seconds reads best in.
fn duration(ctx: &Ctx, secs: f64, top: f64) -> String {
    if top >= 3.0 * 3600.0 {
        ctx.ta("reports-hours", "n", &num(ctx, secs / 3600.0, 1))
    } else if top >= 120.0 {
        ctx.ta("reports-minutes", "n", &num(ctx, secs / 60.0, 1))
    } else {
        ctx.ta("reports-seconds", "n", &num(ctx, secs, 0))
    }
}

fn stats_link(code: &str, from: NaiveDate, to: NaiveDate, csv: bool) -> String {
    format!(
        "/api/v1/units/{}/stats?from={from}&to={to}{}",
        urlencode(code),
        if csv { "&format=csv" } else { "" }
    )
}

fn view_link(code: &str, from: NaiveDate, to: NaiveDate) -> String {
    format!("/reports?unit={}&from={from}&to={to}", urlencode(code))
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn export(ctx: &Ctx, code: &str, p: &Period) -> Export {
    let label = ctx.ta(
        if p.kind == "half" {
            "reports-period-half"
        } else {
            "reports-period-year"
        },
        "range",
        &format!("{} – {}", dmy(p.from), dmy(p.to)),
    );
    Export {
        label,
        view: view_link(code, p.from, p.to),
        csv: stats_link(code, p.from, p.to, true),
        json: stats_link(code, p.from, p.to, false),
        kind: p.kind,
    }
}

/// The statistics of the period through `GET /api/v1/units/{unit}/stats`'
/// handler: the officer's rights on the unit and the dates are checked
/// there.
async fn period_stats(s: &Arc<AppState>, web: &Web, code: &str, from: &str, to: &str) -> Result<Stats, AppError> {
    let q = StatsQuery {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        format: None,
    };
    let r = unit_stats(
        State(s.clone()),
        web.who.clone(),
        AppPath(code.to_string()),
        AppQuery(q),
    )
    .await?;
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .map_err(AppError::internal)?;
    serde_json::from_slice(&bytes).map_err(AppError::internal)
}

/// The unit's total of each day `days`, by the statistics' own function.
async fn daily(s: &Arc<AppState>, code: &str, days: Vec<NaiveDate>) -> Result<Vec<(NaiveDate, Stats)>, AppError> {
    let s = s.clone();
    let code = code.to_string();
    tokio::task::spawn_blocking(move || {
        let world = World::load(&*s.store, &s.cfg.timezone)?;
        let now = Utc::now();
        days.into_iter()
            .map(|d| Ok((d, reporting::stats(&*s.store, &world, &code, d, d, now)?)))
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await
    .map_err(AppError::internal)?
}

fn stats_rows(ctx: &Ctx, st: &Stats) -> Vec<StatsRow> {
    let top = st
        .communes
        .iter()
        .map(|c| c.airtime_seconds)
        .fold(st.total.airtime_seconds, f64::max);
    let row = |c: &reporting::UnitStats, total: bool| StatsRow {
        unit: c.unit.clone(),
        name: c.name.clone(),
        boards: c.boards,
        ratio: percent(ctx, c.online_ratio),
        online: duration(ctx, c.online_seconds, c.online_seconds),
        airtime: duration(ctx, c.airtime_seconds, top),
        bulletins: c.bulletins_shown,
        alerts: c.alerts_shown,
        total,
    };
    let mut rows: Vec<StatsRow> = st.communes.iter().map(|c| row(c, false)).collect();
    // A province's total; a commune's one row is its total already.
    if !(st.communes.len() == 1 && st.communes[0].unit == st.unit) {
        rows.push(row(&st.total, true));
    }
    rows
}

fn commune_charts(ctx: &Ctx, st: &Stats, range: &str) -> Vec<Chart> {
    let ratio_points: Vec<Point> = st
        .communes
        .iter()
        .map(|c| Point {
            label: c.name.clone(),
            value: c.online_ratio.map(|r| r * 100.0),
            shown: percent(ctx, c.online_ratio),
        })
        .collect();
    let top = chart::nice_max(st.communes.iter().map(|c| c.airtime_seconds).fold(0.0, f64::max));
    let airtime_points: Vec<Point> = st
        .communes
        .iter()
        .map(|c| Point {
            label: c.name.clone(),
            value: Some(c.airtime_seconds),
            shown: duration(ctx, c.airtime_seconds, top),
        })
        .collect();
    let pct_axis = |v: f64| format!("{v:.0} %");
    let time_axis = |v: f64| duration(ctx, v, top);
    vec![
        chart::rows(
            Spec {
                id: "chart-ratio-communes",
                title: ctx.t("reports-chart-ratio-communes"),
                desc: ctx.ta("reports-chart-ratio-communes-desc", "range", range),
                class: "bar-ratio",
                head: (ctx.t("reports-commune"), ctx.t("reports-online-ratio")),
                top: 100.0,
                axis: &pct_axis,
            },
            &ratio_points,
        ),
        chart::rows(
            Spec {
                id: "chart-airtime-communes",
                title: ctx.t("reports-chart-airtime-communes"),
                desc: ctx.ta("reports-chart-airtime-communes-desc", "range", range),
                class: "bar-airtime",
                head: (ctx.t("reports-commune"), ctx.t("reports-airtime")),
                top,
                axis: &time_axis,
            },
            &airtime_points,
        ),
    ]
}

fn day_charts(ctx: &Ctx, days: &[(NaiveDate, Stats)], range: &str) -> Vec<Chart> {
    let label = |d: &NaiveDate| d.format("%d/%m/%Y").to_string();
    let ratio_points: Vec<Point> = days
        .iter()
        .map(|(d, st)| Point {
            label: label(d),
            value: st.total.online_ratio.map(|r| r * 100.0),
            shown: percent(ctx, st.total.online_ratio),
        })
        .collect();
    let top = chart::nice_max(days.iter().map(|(_, st)| st.total.airtime_seconds).fold(0.0, f64::max));
    let airtime_points: Vec<Point> = days
        .iter()
        .map(|(d, st)| Point {
            label: label(d),
            value: Some(st.total.airtime_seconds),
            shown: duration(ctx, st.total.airtime_seconds, top),
        })
        .collect();
    let pct_axis = |v: f64| format!("{v:.0} %");
    let time_axis = |v: f64| duration(ctx, v, top);
    vec![
        chart::columns(
            Spec {
                id: "chart-ratio-days",
                title: ctx.t("reports-chart-ratio-days"),
                desc: ctx.ta("reports-chart-ratio-days-desc", "range", range),
                class: "bar-ratio",
                head: (ctx.t("reports-day"), ctx.t("reports-online-ratio")),
                top: 100.0,
                axis: &pct_axis,
            },
            &ratio_points,
        ),
        chart::columns(
            Spec {
                id: "chart-airtime-days",
                title: ctx.t("reports-chart-airtime-days"),
                desc: ctx.ta("reports-chart-airtime-days-desc", "range", range),
                class: "bar-airtime",
                head: (ctx.t("reports-day"), ctx.t("reports-airtime")),
                top,
                axis: &time_axis,
            },
            &airtime_points,
        ),
    ]
}

fn board_state(ctx: &Ctx, s: BoardState) -> (String, &'static str) {
    let (key, class) = match s {
        BoardState::Waiting => ("reports-board-waiting", "warn"),
        BoardState::PendingApproval => ("reports-board-pending", "warn"),
        BoardState::Rejected => ("reports-board-rejected", "bad"),
        BoardState::Received => ("reports-board-received", ""),
        BoardState::Shown => ("reports-board-shown", "ok"),
        BoardState::Failed => ("reports-board-failed", "bad"),
        BoardState::Withdrawn => ("reports-board-withdrawn", ""),
    };
    (ctx.t(key), class)
}

fn item_state(ctx: &Ctx, s: &str) -> String {
    let key = match s {
        "pending" => "reports-item-pending",
        "live" => "reports-item-live",
        "rejected" => "reports-item-rejected",
        "cancelled" => "reports-item-cancelled",
        "superseded" => "reports-item-superseded",
        "not_live" => "reports-item-not-live",
        "updated" => "reports-item-updated",
        other => return other.to_string(),
    };
    ctx.t(key)
}

fn priority(ctx: &Ctx, p: &str) -> (String, &'static str) {
    match p {
        "emergency" => (ctx.t("reports-priority-emergency"), "bad"),
        "priority" => (ctx.t("reports-priority-priority"), "warn"),
        "normal" => (ctx.t("reports-priority-normal"), ""),
        other => (other.to_string(), ""),
    }
}

fn delivery(ctx: &Ctx, code: &str, r: Report) -> Delivery {
    let kind = match r.kind {
        ItemKind::Bulletin => "bulletin",
        ItemKind::Alert => "alert",
    };
    let (priority, priority_class) = priority(ctx, &r.priority);
    let boards = r
        .boards
        .iter()
        .map(|b| {
            let (state, class) = board_state(ctx, b.state);
            BoardRow {
                name: b.name.clone(),
                board: b.board.clone(),
                unit: b.unit.clone(),
                state,
                class,
                received: b.received.as_ref().map(|t| ctx.short(t)).unwrap_or_default(),
                shown: b
                    .shown
                    .as_ref()
                    .map(|s| {
                        format!(
                            "{} · {} · {}",
                            ctx.short(&s.first),
                            ctx.ta("reports-seconds", "n", &num(ctx, s.seconds, 0)),
                            ctx.tn("reports-plays", s.plays as i64)
                        )
                    })
                    .unwrap_or_default(),
                reason: b.reason.as_ref().map(|r| r.message.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Delivery {
        kind: ctx.t(if kind == "bulletin" {
            "reports-kind-bulletin"
        } else {
            "reports-kind-alert"
        }),
        json: format!(
            "/api/v1/units/{}/reports?kind={kind}&source={}&id={}",
            urlencode(code),
            urlencode(&r.source),
            urlencode(&r.id)
        ),
        id: r.id,
        source: r.source,
        title: r.title,
        priority,
        priority_class,
        state: item_state(ctx, &r.state),
        received_at: ctx.when(&r.received_at),
        targeted: r.summary.targeted,
        received: r.summary.received,
        shown: r.summary.shown,
        failed: r.summary.failed,
        waiting: r.summary.waiting + r.summary.pending_approval,
        seconds: ctx.ta("reports-seconds", "n", &num(ctx, r.summary.seconds, 0)),
        boards,
    }
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    web: Web,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let mut units = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?.0;
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let asked = q.unit.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let unit = match asked {
        // A unit not listed for the officer: the API's answer (404).
        Some(c) => match units.iter().find(|u| u.code == c) {
            Some(u) => Some(u.clone()),
            None => {
                return Err(PageError(web.ctx.clone(), AppError::not_found("đơn vị")));
            }
        },
        None => default_unit(&units, &web).cloned(),
    };
    let mut ctx = web.ctx.clone();
    let choices = units
        .iter()
        .map(|u| Choice {
            code: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            on: unit.as_ref().is_some_and(|x| x.code == u.code),
        })
        .collect();
    let kind = q.kind.clone().unwrap_or_default();
    let Some(unit) = unit else {
        return Ok(render(&ReportsPage {
            ctx,
            units: choices,
            unit: None,
            from: String::new(),
            to: String::new(),
            kind,
            errors: FormErrors::default(),
            rows: Vec::new(),
            charts: Vec::new(),
            days_note: None,
            range: None,
            presets: Vec::new(),
            deliveries: Vec::new(),
            deliveries_json: String::new(),
            generated: String::new(),
        }));
    };
    // Dates are the unit's local days.
    ctx.tz = tz_of(&unit, &web.ctx);
    let today = Utc::now().with_timezone(&ctx.tz).date_naive();
    let current = period::current(today);
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let from = text(&q.from).unwrap_or_else(|| current.from.to_string());
    let to = text(&q.to).unwrap_or_else(|| current.to.to_string());
    let code = unit.code.clone();

    let mut errors = FormErrors::default();
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    let mut days_note = None;
    let mut range = None;
    let mut generated = String::new();
    let mut status = None;
    match period_stats(&s, &web, &code, &from, &to).await {
        Ok(st) => {
            let shown_range = format!("{} – {}", dmy(st.from), dmy(st.to));
            rows = stats_rows(&ctx, &st);
            charts = commune_charts(&ctx, &st, &shown_range);
            generated = ctx.when(&st.generated_at);
            // Days of the period up to today, the last MAX_DAYS of them.
            let last = st.to.min(today);
            if last >= st.from {
                let first = st.from.max(last - chrono::Duration::days(MAX_DAYS - 1));
                if first > st.from {
                    days_note = Some(ctx.ta("reports-days-note", "range", &format!("{} – {}", dmy(first), dmy(last))));
                }
                let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
                let per_day = daily(&s, &code, days).await.or_page(&ctx)?;
                charts.extend(day_charts(&ctx, &per_day, &format!("{} – {}", dmy(first), dmy(last))));
            }
            range = Some(Export {
                label: shown_range,
                view: view_link(&code, st.from, st.to),
                csv: stats_link(&code, st.from, st.to, true),
                json: stats_link(&code, st.from, st.to, false),
                kind: "range",
            });
        }
        // Another unit: not found, as the API answers.
        Err(e) if matches!(e.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) => {
            return Err(PageError(ctx, e));
        }
        Err(e) => {
            status = Some(e.status);
            errors = FormErrors::from_error(&e);
        }
    }
    let year = period::year_of(today);
    let presets = period::of_year(year)
        .iter()
        .chain(period::of_year(year - 1).iter())
        .map(|p| export(&ctx, &code, p))
        .collect();

    let kind_q = match kind.as_str() {
        "bulletin" | "alert" => Some(kind.clone()),
        _ => None,
    };
    let rq = ReportsQuery {
        source: None,
        id: None,
        kind: kind_q.clone(),
        limit: Some(DELIVERIES.to_string()),
    };
    let reports = unit_reports(State(s.clone()), web.who.clone(), AppPath(code.clone()), AppQuery(rq))
        .await
        .or_page(&ctx)?
        .0;
    let deliveries = reports.into_iter().map(|r| delivery(&ctx, &code, r)).collect();
    let deliveries_json = format!(
        "/api/v1/units/{}/reports?limit={DELIVERIES}{}",
        urlencode(&code),
        kind_q.map(|k| format!("&kind={k}")).unwrap_or_default()
    );
    let mut r = render(&ReportsPage {
        ctx,
        units: choices,
        unit: Some(unit),
        from,
        to,
        kind,
        errors,
        rows,
        charts,
        days_note,
        range,
        presets,
        deliveries,
        deliveries_json,
        generated,
    });
    if let Some(st) = status {
        *r.status_mut() = st;
    }
    Ok(r)
}
