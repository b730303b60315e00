//! Schedules: a week view per schedule (what each day shows, hour by
//! hour, for the commune, group or board it targets), named dayparts
//! (giờ hành chính, sáng, tối…), default layout, validity dates, conflicts
//! shown, and publish with a live result per board (received, pending,
//! offline). Every change goes through the API's schedule handlers.

use super::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use crate::api::account::list_units;
use crate::api::boards::{get_board, publish_board};
use crate::api::layouts::{LayoutSummary, list_layouts};
use crate::api::schedules::{
    ScheduleBody, create_schedule, get_schedule, list_groups, list_schedules, update_schedule,
};
use crate::error::{AppError, AppJson, AppPath};
use crate::model::{Board, Group, ScheduleRecord, Target, Unit, key};
use crate::state::AppState;
use crate::store::StoreExt;
use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use bangtin_layouts::schedule::{Entry, Layer, Schedule, Window, compile, conflicts};
use bangtin_layouts::time::local_midnight;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/schedules", get(list))
        .route("/schedules/new", post(create))
        .route("/schedules/{id}", get(show).post(save))
        .route("/schedules/{id}/publish", post(publish))
        .route("/schedules/{id}/published", get(published))
}

type PageResult = Result<Response, PageError>;

/// A named daypart: weekdays (1 = Monday; empty = every day) and windows.
#[derive(Debug, Clone, Copy)]
pub struct Daypart {
    pub id: &'static str,
    pub weekdays: &'static [u8],
    pub windows: &'static [(&'static str, &'static str)],
}

/// The dayparts officers pick from; an entry that matches one exactly is
/// shown by its name.
pub const DAYPARTS: &[Daypart] = &[
    Daypart {
        id: "office",
        weekdays: &[1, 2, 3, 4, 5],
        windows: &[("07:00", "11:30"), ("13:30", "17:00")],
    },
    Daypart {
        id: "morning",
        weekdays: &[],
        windows: &[("05:00", "11:00")],
    },
    Daypart {
        id: "noon",
        weekdays: &[],
        windows: &[("11:00", "13:30")],
    },
    Daypart {
        id: "afternoon",
        weekdays: &[],
        windows: &[("13:30", "18:00")],
    },
    Daypart {
        id: "evening",
        weekdays: &[],
        windows: &[("18:00", "22:00")],
    },
    Daypart {
        id: "night",
        weekdays: &[],
        windows: &[("22:00", "05:00")],
    },
    Daypart {
        id: "weekend",
        weekdays: &[6, 7],
        windows: &[],
    },
];

fn hm(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(NaiveTime::MIN)
}

impl Daypart {
    fn windows(&self) -> Vec<Window> {
        self.windows
            .iter()
            .map(|(a, b)| Window {
                start: hm(a),
                end: hm(b),
            })
            .collect()
    }

    fn matches(&self, e: &Entry) -> bool {
        let mut wd = e.weekdays.clone();
        wd.sort_unstable();
        wd == self.weekdays && e.windows == self.windows()
    }
}

/// A layout, its name, and its colour on the week view.
#[derive(Debug, Clone)]
pub struct LayoutOpt {
    pub id: String,
    pub name: String,
    pub colour: usize,
}

async fn layouts_of(s: &Arc<AppState>, web: &Web, unit: &str) -> Result<Vec<LayoutOpt>, PageError> {
    let AppJson(mut ls) = list_layouts(State(s.clone()), web.who.clone(), AppPath(unit.to_string()))
        .await
        .or_page(&web.ctx)?;
    ls.sort_by(|a: &LayoutSummary, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(ls
        .into_iter()
        .enumerate()
        .map(|(i, l)| LayoutOpt {
            id: l.id,
            name: l.name,
            colour: i % 8,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "schedules/list.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<(ScheduleRecord, String, String)>,
    writable: Vec<Unit>,
    errors: FormErrors,
}

async fn list(State(s): State<Arc<AppState>>, web: Web) -> PageResult {
    list_page(&s, web, FormErrors::default()).await
}

async fn list_page(s: &Arc<AppState>, web: Web, errors: FormErrors) -> PageResult {
    let AppJson(units) = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?;
    let mut rows = Vec::new();
    for u in &units {
        let AppJson(list) = list_schedules(State(s.clone()), web.who.clone(), AppPath(u.code.clone()))
            .await
            .or_page(&web.ctx)?;
        for r in list {
            let target = target_label(s, &web.ctx, &r.target);
            rows.push((r, u.name.clone(), target));
        }
    }
    let writable = units.into_iter().filter(|u| web.who.can_write(&u.code)).collect();
    let mut r = render(&ListPage {
        ctx: web.ctx,
        rows,
        writable,
        errors: errors.clone(),
    });
    if errors.any() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn target_label(s: &AppState, ctx: &Ctx, t: &Target) -> String {
    // A record's name by its key, or the id when it is gone.
    fn name<T: serde::de::DeserializeOwned>(s: &AppState, k: &str, id: &str, f: impl Fn(T) -> String) -> String {
        s.store
            .get_json::<T>(k)
            .ok()
            .flatten()
            .map_or_else(|| id.to_string(), f)
    }
    let (msg, n) = match t {
        Target::Unit(u) => ("sched-target-unit-is", name(s, &key::unit(u), u, |x: Unit| x.name)),
        Target::Group(g) => ("sched-target-group-is", name(s, &key::group(g), g, |x: Group| x.name)),
        Target::Board(b) => ("sched-target-board-is", name(s, &key::board(b), b, |x: Board| x.name)),
    };
    ctx.ta(msg, "name", &n)
}

fn form_get<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(a, _)| a == k).map_or("", |(_, v)| v.trim())
}

async fn create(State(s): State<Arc<AppState>>, p: Posted<Vec<(String, String)>>) -> PageResult {
    let Posted { web, form } = p;
    let unit = form_get(&form, "unit").to_string();
    let body = ScheduleBody {
        name: form_get(&form, "name").to_string(),
        target: Target::Unit(unit.clone()),
        schedule: Schedule::default(),
    };
    match create_schedule(State(s.clone()), web.who.clone(), AppPath(unit), AppJson(body)).await {
        Ok((_, AppJson(r))) => Ok(see_other(&format!("/schedules/{}", r.id))),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            list_page(&s, web, FormErrors::from_error(&e)).await
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

/// One day of the week view: label and (x, width, layout name, colour).
#[derive(Debug)]
pub struct DayRow {
    pub label: String,
    pub y: i64,
    pub bars: Vec<(i64, i64, String, Option<usize>, String)>,
}

/// An entry as a form row.
#[derive(Debug, Default, Clone)]
pub struct Row {
    pub layout: String,
    pub daypart: String,
    pub weekdays: Vec<u8>,
    pub w1: (String, String),
    pub w2: (String, String),
    pub from: String,
    pub to: String,
    pub priority: String,
    pub errors: Vec<String>,
}

fn rows_of(sch: &Schedule) -> Vec<Row> {
    let t = |w: Option<&Window>| {
        w.map_or((String::new(), String::new()), |w| {
            (w.start.format("%H:%M").to_string(), w.end.format("%H:%M").to_string())
        })
    };
    let mut rows: Vec<Row> = sch
        .entries
        .iter()
        .map(|e| Row {
            layout: e.layout.clone(),
            daypart: DAYPARTS.iter().find(|d| d.matches(e)).map_or("", |d| d.id).to_string(),
            weekdays: e.weekdays.clone(),
            w1: t(e.windows.first()),
            w2: t(e.windows.get(1)),
            from: e.from.map(|d| d.to_string()).unwrap_or_default(),
            to: e.to.map(|d| d.to_string()).unwrap_or_default(),
            priority: e.priority.to_string(),
            errors: Vec::new(),
        })
        .collect();
    rows.push(Row {
        priority: "0".into(),
        ..Row::default()
    });
    rows
}

#[derive(Template)]
#[template(path = "schedules/show.html")]
struct ShowPage {
    ctx: Ctx,
    r: ScheduleRecord,
    can_write: bool,
    target: String,
    target_kind: String,
    target_id: String,
    groups: Vec<Group>,
    boards: Vec<Board>,
    layouts: Vec<LayoutOpt>,
    days: Vec<DayRow>,
    hours: Vec<(i64, String)>,
    clashes: Vec<String>,
    rows: Vec<Row>,
    errors: FormErrors,
    notice: Option<String>,
    name: String,
    default_layout: String,
    weekday_names: Vec<(u8, String)>,
    dayparts: Vec<(String, String)>,
}

async fn show(State(s): State<Arc<AppState>>, web: Web, Path(id): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let notice = q
        .as_deref()
        .is_some_and(|q| q.contains("saved=1"))
        .then(|| web.ctx.t("saved"));
    let AppJson(r) = get_schedule(State(s.clone()), web.who.clone(), AppPath(id))
        .await
        .or_page(&web.ctx)?;
    let rows = rows_of(&r.schedule);
    let name = r.name.clone();
    show_page(&s, web, r, rows, FormErrors::default(), notice, name).await
}

fn tz_of(s: &AppState, unit: &str) -> Option<Tz> {
    s.store
        .get_json::<Unit>(&key::unit(unit))
        .ok()
        .flatten()
        .and_then(|u| u.timezone.parse().ok())
}

async fn show_page(
    s: &Arc<AppState>,
    web: Web,
    r: ScheduleRecord,
    mut rows: Vec<Row>,
    errors: FormErrors,
    notice: Option<String>,
    name: String,
) -> PageResult {
    let mut ctx = web.ctx.clone();
    if let Some(tz) = tz_of(s, &r.unit) {
        ctx.tz = tz;
    }
    let layouts = layouts_of(s, &web, &r.unit).await?;
    let AppJson(groups) = list_groups(State(s.clone()), web.who.clone(), AppPath(r.unit.clone()))
        .await
        .or_page(&ctx)?;
    let mut boards: Vec<Board> = s
        .store
        .scan_json::<Board>("board/")
        .or_page(&ctx)?
        .into_iter()
        .filter(|b| b.unit == r.unit)
        .collect();
    boards.sort_by(|a, b| a.name.cmp(&b.name));
    // The week from today's local midnight, this schedule alone.
    let from = local_midnight(Utc::now(), ctx.tz);
    let to = from + Duration::days(7);
    let layer = Layer {
        schedule: &r.schedule,
        specificity: 0,
    };
    let slots = compile(&[layer], ctx.tz, from, to);
    let name_of = |id: &str| layouts.iter().find(|l| l.id == id).map(|l| (l.name.clone(), l.colour));
    let mut days = Vec::new();
    for d in 0..7i64 {
        let day_start = from + Duration::days(d);
        let day_end = day_start + Duration::days(1);
        let local = day_start.with_timezone(&ctx.tz);
        let label = format!(
            "{} {}",
            ctx.t(&format!("weekday-{}", local.weekday().num_days_from_sunday())),
            local.format("%d/%m")
        );
        let mut bars = Vec::new();
        for sl in slots.iter().filter(|x| x.end > day_start && x.start < day_end) {
            let a = (sl.start.max(day_start) - day_start).num_minutes();
            let b = (sl.end.min(day_end) - day_start).num_minutes();
            let (lname, colour) = match sl.layout.as_deref() {
                Some(l) => name_of(l).map_or((l.to_string(), None), |(n, c)| (n, Some(c))),
                None => (ctx.t("sched-standby"), None),
            };
            let title = format!(
                "{lname}: {}–{}",
                sl.start.max(day_start).with_timezone(&ctx.tz).format("%H:%M"),
                sl.end.min(day_end).with_timezone(&ctx.tz).format("%H:%M")
            );
            bars.push((a * 1000 / 1440, ((b - a) * 1000 / 1440).max(1), lname, colour, title));
        }
        days.push(DayRow { label, y: d * 34, bars });
    }
    let clashes = conflicts(&r.schedule, ctx.tz, from, to)
        .into_iter()
        .map(|(i, j, a, b)| {
            ctx.ta(
                "sched-conflict",
                "what",
                &format!(
                    "{} {} & {}: {} → {}",
                    ctx.t("sched-entry"),
                    i + 1,
                    j + 1,
                    ctx.when(&a),
                    b.with_timezone(&ctx.tz).format("%H:%M")
                ),
            )
        })
        .collect();
    // Entry n of the schedule is the n-th row with a layout (empty rows
    // are no entries).
    let entry_rows: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.layout.is_empty())
        .map(|(i, _)| i)
        .collect();
    for (f, m) in &errors.fields {
        if let Some(rest) = f.strip_prefix("schedule.entries[")
            && let Some((i, _)) = rest.split_once(']')
            && let Ok(i) = i.parse::<usize>()
            && let Some(row) = entry_rows.get(i).and_then(|&r| rows.get_mut(r))
        {
            row.errors.push(m.clone());
        }
    }
    let (target_kind, target_id) = match &r.target {
        Target::Unit(u) => ("unit", u.clone()),
        Target::Group(g) => ("group", g.clone()),
        Target::Board(b) => ("board", b.clone()),
    };
    let weekday_names = (1..=7u8).map(|n| (n, ctx.t(&format!("weekday-{}", n % 7)))).collect();
    let dayparts = DAYPARTS
        .iter()
        .map(|d| (d.id.to_string(), ctx.t(&format!("daypart-{}", d.id))))
        .collect();
    let mut resp = render(&ShowPage {
        can_write: web.who.can_write(&r.unit),
        target: target_label(s, &ctx, &r.target),
        target_kind: target_kind.into(),
        target_id,
        groups,
        boards,
        default_layout: r.schedule.default_layout.clone().unwrap_or_default(),
        layouts,
        days,
        hours: (0..6).map(|h| (h * 1000 / 6, format!("{:02}:00", h * 4))).collect(),
        clashes,
        rows,
        errors: errors.clone(),
        notice,
        name,
        weekday_names,
        dayparts,
        r,
        ctx,
    });
    if errors.any() {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The posted form as a schedule, or the problems of its fields.
fn read_form(form: &[(String, String)], ctx: &Ctx) -> (ScheduleBody, Vec<Row>, Vec<crate::error::Problem>) {
    let mut problems = Vec::new();
    let kind = form_get(form, "target_kind");
    let target = match kind {
        "group" => Target::Group(form_get(form, "target_group").to_string()),
        "board" => Target::Board(form_get(form, "target_board").to_string()),
        _ => Target::Unit(form_get(form, "target_unit").to_string()),
    };
    let default_layout = Some(form_get(form, "default_layout").to_string()).filter(|x| !x.is_empty());
    let mut entries = Vec::new();
    let mut rows = Vec::new();
    let count = form_get(form, "rows").parse::<usize>().unwrap_or(0).min(100);
    for i in 0..count {
        let g = |k: &str| form_get(form, &format!("{k}_{i}")).to_string();
        let weekdays: Vec<u8> = form
            .iter()
            .filter(|(k, _)| *k == format!("wd_{i}"))
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        let row = Row {
            layout: g("layout"),
            daypart: g("daypart"),
            weekdays: weekdays.clone(),
            w1: (g("start"), g("end")),
            w2: (g("start2"), g("end2")),
            from: g("from"),
            to: g("to"),
            priority: g("prio"),
            errors: Vec::new(),
        };
        if row.layout.is_empty() {
            // An empty row is no entry; the form always offers one.
            rows.push(row);
            continue;
        }
        let n = entries.len();
        let bad = |field: &str, msg: String| crate::error::Problem {
            field: format!("schedule.entries[{n}].{field}"),
            message: msg,
        };
        let mut windows = Vec::new();
        let (weekdays, dp_windows) = match DAYPARTS.iter().find(|d| d.id == row.daypart) {
            Some(d) => (d.weekdays.to_vec(), Some(d.windows())),
            None => (weekdays, None),
        };
        match dp_windows {
            Some(w) => windows = w,
            None => {
                for (a, b) in [&row.w1, &row.w2] {
                    if a.is_empty() && b.is_empty() {
                        continue;
                    }
                    match (
                        NaiveTime::parse_from_str(a, "%H:%M"),
                        NaiveTime::parse_from_str(b, "%H:%M"),
                    ) {
                        (Ok(start), Ok(end)) => windows.push(Window { start, end }),
                        _ => problems.push(bad("windows", ctx.t("sched-bad-time"))),
                    }
                }
            }
        }
        let date = |v: &str, field: &str, problems: &mut Vec<crate::error::Problem>| -> Option<NaiveDate> {
            if v.is_empty() {
                return None;
            }
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| problems.push(bad(field, ctx.t("sched-bad-date"))))
                .ok()
        };
        let from = date(&row.from, "from", &mut problems);
        let to = date(&row.to, "to", &mut problems);
        let priority = if row.priority.is_empty() {
            0
        } else {
            row.priority.parse::<i32>().unwrap_or_else(|_| {
                problems.push(bad("priority", ctx.t("sched-bad-priority")));
                0
            })
        };
        entries.push(Entry {
            layout: row.layout.clone(),
            from,
            to,
            weekdays,
            windows,
            priority,
        });
        rows.push(row);
    }
    let body = ScheduleBody {
        name: form_get(form, "name").to_string(),
        target,
        schedule: Schedule {
            default_layout,
            entries,
        },
    };
    (body, rows, problems)
}

async fn save(State(s): State<Arc<AppState>>, Path(id): Path<String>, p: Posted<Vec<(String, String)>>) -> PageResult {
    let Posted { web, form } = p;
    let AppJson(r) = get_schedule(State(s.clone()), web.who.clone(), AppPath(id.clone()))
        .await
        .or_page(&web.ctx)?;
    let (mut body, mut rows, problems) = read_form(&form, &web.ctx);
    if let Target::Unit(u) = &mut body.target
        && u.is_empty()
    {
        *u = r.unit.clone();
    }
    let name = body.name.clone();
    let result = if problems.is_empty() {
        update_schedule(State(s.clone()), web.who.clone(), AppPath(id.clone()), AppJson(body))
            .await
            .map(|_| ())
    } else {
        let mut e = AppError::invalid(problems);
        e.detail.message = web.ctx.t("sched-fix-fields");
        Err(e)
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/schedules/{id}?saved=1"))),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            // Keep what the officer typed, with one empty row to add to.
            if rows.last().is_none_or(|r| !r.layout.is_empty()) {
                rows.push(Row {
                    priority: "0".into(),
                    ..Row::default()
                });
            }
            show_page(&s, web, r, rows, FormErrors::from_error(&e), None, name).await
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

/// The boards a schedule reaches.
fn boards_of(s: &AppState, r: &ScheduleRecord) -> Result<Vec<Board>, AppError> {
    let all: Vec<Board> = s.store.scan_json("board/")?;
    Ok(all
        .into_iter()
        .filter(|b| b.unit == r.unit && !b.disabled)
        .filter(|b| match &r.target {
            Target::Unit(_) => true,
            Target::Group(g) => b.groups.contains(g),
            Target::Board(id) => b.id == *id,
        })
        .collect())
}

/// Publish to every board the schedule reaches, each through the API's
/// publish; then follow each board until its screen has the new show.
async fn publish(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> PageResult {
    let Posted { web, .. } = p;
    let AppJson(r) = get_schedule(State(s.clone()), web.who.clone(), AppPath(id.clone()))
        .await
        .or_page(&web.ctx)?;
    web.who.write(&r.unit, "lịch").or_page(&web.ctx)?;
    let boards = boards_of(&s, &r).or_page(&web.ctx)?;
    let mut q = Vec::new();
    for b in boards {
        match publish_board(State(s.clone()), web.who.clone(), AppPath(b.id.clone())).await {
            Ok(AppJson(p)) => q.push(format!("b={}:{}", urlencode(&b.id), p.version)),
            Err(e) => q.push(format!("e={}:{}", urlencode(&b.id), urlencode(&e.detail.message))),
        }
    }
    Ok(see_other(&format!("/schedules/{id}/published?{}", q.join("&"))))
}

/// One board's publish result.
#[derive(Debug)]
pub struct Delivery {
    pub id: String,
    pub name: String,
    pub version: u64,
    /// "received", "pending", "offline" or "failed".
    pub state: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "schedules/published.html")]
struct PublishedPage {
    ctx: Ctx,
    id: String,
    query: String,
    rows: Vec<Delivery>,
    done: bool,
    counts: (usize, usize, usize, usize),
}

/// The same, only the results (what htmx polls).
#[derive(Template)]
#[template(path = "schedules/published_part.html")]
struct PublishedPart {
    ctx: Ctx,
    id: String,
    query: String,
    rows: Vec<Delivery>,
    done: bool,
    counts: (usize, usize, usize, usize),
}

async fn published(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let query = q.unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_html_form::from_str(&query).unwrap_or_default();
    let mut rows = Vec::new();
    for (k, v) in pairs.iter().take(2000) {
        let Some((board, rest)) = v.split_once(':') else {
            continue;
        };
        // The API's read: a board the officer may not see is skipped.
        let Ok(AppJson(view)) = get_board(State(s.clone()), web.who.clone(), AppPath(board.to_string())).await else {
            continue;
        };
        let name = view.board.name.clone();
        if k == "e" {
            rows.push(Delivery {
                id: board.into(),
                name,
                version: 0,
                state: "failed",
                detail: rest.to_string(),
            });
            continue;
        }
        let version: u64 = rest.parse().unwrap_or(0);
        let on_screen = crate::overview::last_status(&s, board).map_or(0, |st| st.show_version);
        let state = if on_screen >= version {
            "received"
        } else if view.online {
            "pending"
        } else {
            "offline"
        };
        rows.push(Delivery {
            id: board.into(),
            name,
            version,
            state,
            detail: if state == "offline" {
                web.ctx.ago(view.board.last_seen.as_ref())
            } else {
                String::new()
            },
        });
    }
    let c = |st: &str| rows.iter().filter(|r| r.state == st).count();
    let counts = (c("received"), c("pending"), c("offline"), c("failed"));
    let done = counts.1 == 0;
    if headers.contains_key("hx-request") {
        return Ok(render(&PublishedPart {
            ctx: web.ctx,
            id,
            query,
            rows,
            done,
            counts,
        }));
    }
    Ok(render(&PublishedPage {
        ctx: web.ctx,
        id,
        query,
        rows,
        done,
        counts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dayparts_are_valid_and_recognised() {
        for d in DAYPARTS {
            let e = Entry {
                layout: "x".into(),
                from: None,
                to: None,
                weekdays: d.weekdays.to_vec(),
                windows: d.windows(),
                priority: 0,
            };
            assert!(d.matches(&e), "{}", d.id);
            let sch = Schedule {
                default_layout: None,
                entries: vec![e],
            };
            assert!(bangtin_layouts::schedule::check(&sch, |_| true).is_empty(), "{}", d.id);
        }
        // Office hours: two windows on weekdays.
        assert_eq!(DAYPARTS[0].windows().len(), 2);
    }
}
