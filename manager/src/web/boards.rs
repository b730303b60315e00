//! The boards: the dashboard (a card per board, offline first, filters,
//! paging, bulk actions, claiming by pairing code) and a board's own page
//! (screenshot and "chụp ngay", name and groups, a week of online time,
//! heartbeats and problems, today's proof of play, commands, display plan).
//! Every read and change calls the API's own handlers.

use super::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use crate::api::account::list_units;
use crate::api::boards::{BoardPatch, ClaimBody, claim_board, get_board, publish_board, update_board};
use crate::api::live::{CommandBody, HistoryQuery, board_heartbeats, board_status, put_display, send_command};
use crate::api::playlog::{PlayReport, ReportQuery, playlog_report};
use crate::api::schedules::list_groups;
use crate::api::watch::{get_watch, offline_boards, put_watch};
use crate::error::{AppError, AppJson, AppPath, AppQuery};
use crate::model::{Group, ShotRecord, Unit, key};
use crate::overview::{BoardCard, BoardFilter, BoardPage, Liveness, overview};
use crate::state::AppState;
use crate::store::StoreExt;
use crate::watch::{LongOffline, WatchSettings};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bangtin_layouts::schedule::Window;
use bangtin_layouts::wire::{Action, BrightnessStep, DisplayPlan};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/boards", get(dashboard))
        .route("/boards/live", get(live))
        .route("/boards/bulk", post(bulk))
        .route("/boards/claim", post(claim))
        .route("/boards/watch", get(watch_page))
        .route("/boards/watch/{unit}", post(watch_save))
        .route("/boards/{id}", get(board).post(rename))
        .route("/boards/{id}/command", post(command))
        .route("/boards/{id}/shot", get(shot))
        .route("/boards/{id}/display", post(display))
}

type PageResult = Result<Response, PageError>;

/// Units and groups for the filters and forms.
async fn units_and_groups(s: &Arc<AppState>, web: &Web) -> Result<(Vec<Unit>, Vec<Group>), PageError> {
    let AppJson(units) = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?;
    let mut groups = Vec::new();
    for u in &units {
        let AppJson(g) = list_groups(State(s.clone()), web.who.clone(), AppPath(u.code.clone()))
            .await
            .or_page(&web.ctx)?;
        groups.extend(g);
    }
    Ok((units, groups))
}

#[derive(Debug, Deserialize, Default)]
pub struct DashQuery {
    unit: Option<String>,
    group: Option<String>,
    status: Option<String>,
    q: Option<String>,
    page: Option<usize>,
}

impl DashQuery {
    fn filter(&self) -> BoardFilter {
        let some = |v: &Option<String>| v.clone().filter(|x| !x.is_empty());
        BoardFilter {
            unit: some(&self.unit),
            group: some(&self.group),
            status: match self.status.as_deref() {
                Some("online") => Some(Liveness::Online),
                Some("offline") => Some(Liveness::Offline),
                Some("errors") => Some(Liveness::Errors),
                _ => None,
            },
            q: some(&self.q),
            page: self
                .page
                .filter(|p| *p > 0)
                .map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
            per_page: None,
        }
    }

    /// The query string of this filter at another page.
    fn at_page(&self, page: usize) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("unit", &self.unit),
            ("group", &self.group),
            ("status", &self.status),
            ("q", &self.q),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        }
        parts.push(format!("page={page}"));
        parts.join("&")
    }
}

/// A card's live part: the dot, when last heard, what plays, the alert,
/// problems and the thumbnail (refreshed in place by the page).
#[derive(Debug)]
pub struct LiveCard {
    pub c: BoardCard,
    pub seen: String,
    pub thumb: Option<String>,
}

fn live_card(ctx: &Ctx, c: BoardCard) -> LiveCard {
    let seen = match (&c.last_seen, c.online) {
        (None, _) => ctx.t("boards-never-seen"),
        (Some(t), true) => ctx.ta("boards-seen", "ago", &ctx.ago(Some(t))),
        (Some(t), false) => ctx.ta("boards-offline-for", "span", &ctx.span((Utc::now() - *t).num_seconds())),
    };
    let thumb = c.thumb_at.map(|t| {
        format!(
            "/api/v1/boards/{}/screenshot?kind=thumb&t={}",
            c.id,
            t.timestamp_millis()
        )
    });
    LiveCard { c, seen, thumb }
}

#[derive(Template)]
#[template(path = "boards/dashboard.html")]
struct Dashboard {
    ctx: Ctx,
    q: DashQuery,
    page: BoardPage,
    cards: Vec<LiveCard>,
    units: Vec<Unit>,
    groups: Vec<Group>,
    writable_units: Vec<Unit>,
    ids: String,
    prev: Option<String>,
    next: Option<String>,
    notice: Option<String>,
    errors: FormErrors,
    claim_code: String,
    claim_name: String,
    long: Vec<(LongOffline, String)>,
    long_total: usize,
}

async fn dashboard(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<DashQuery>) -> PageResult {
    dashboard_page(&s, web, q, None, FormErrors::default(), (String::new(), String::new())).await
}

async fn dashboard_page(
    s: &Arc<AppState>,
    web: Web,
    q: DashQuery,
    notice: Option<String>,
    errors: FormErrors,
    claim: (String, String),
) -> PageResult {
    let (units, groups) = units_and_groups(s, &web).await?;
    let f = q.filter();
    let who = web.who.clone();
    let shared = s.shared.clone();
    let page = tokio::task::spawn_blocking(move || overview(&shared, |u| who.can_read(u), &f))
        .await
        .map_err(|e| PageError(web.ctx.clone(), AppError::internal(e)))?
        .or_page(&web.ctx)?;
    let ids = page
        .boards
        .iter()
        .map(|b| format!("ids={}", urlencode(&b.id)))
        .collect::<Vec<_>>()
        .join("&");
    let cards = page.boards.iter().cloned().map(|c| live_card(&web.ctx, c)).collect();
    let writable_units = units.iter().filter(|u| web.who.can_write(&u.code)).cloned().collect();
    let AppJson(long_all) = offline_boards(State(s.clone()), web.who.clone())
        .await
        .or_page(&web.ctx)?;
    let long_total = long_all.len();
    let long = long_all
        .into_iter()
        .take(10)
        .map(|l| {
            let since = match l.last_seen {
                Some(t) => web.ctx.span((Utc::now() - t).num_seconds()),
                None => web.ctx.t("boards-never-seen"),
            };
            (l, since)
        })
        .collect();
    let prev = (page.page > 1).then(|| q.at_page(page.page - 1));
    let next = (page.page < page.pages).then(|| q.at_page(page.page + 1));
    let mut r = render(&Dashboard {
        ctx: web.ctx,
        q,
        page,
        cards,
        units,
        groups,
        writable_units,
        ids,
        prev,
        next,
        notice,
        claim_code: claim.0,
        claim_name: claim.1,
        long,
        long_total,
        errors: errors.clone(),
    });
    if errors.any() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "boards/live.html")]
struct LiveParts {
    ctx: Ctx,
    cards: Vec<LiveCard>,
}

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    ids: Vec<String>,
}

/// The live parts of some cards, for htmx to swap in place (out of band,
/// by id), so ticked boxes and the scroll position stay.
async fn live(
    State(s): State<Arc<AppState>>,
    web: Web,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> PageResult {
    let q: LiveQuery = serde_html_form::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| PageError(web.ctx.clone(), AppError::bad_request(e.to_string())))?;
    let mut cards = Vec::new();
    for id in q.ids.iter().take(crate::overview::MAX_PER_PAGE) {
        // The API's own read: 404 for boards the officer may not see.
        let Ok(AppJson(v)) = get_board(State(s.clone()), web.who.clone(), AppPath(id.clone())).await else {
            continue;
        };
        let online = v.online;
        let seen = v.board.last_seen;
        let c = crate::overview::card(&s, v.board, online, seen);
        cards.push(live_card(&web.ctx, c));
    }
    Ok(render(&LiveParts { ctx: web.ctx, cards }))
}

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    ids: Vec<String>,
    action: String,
    #[serde(default)]
    group: String,
}

#[derive(Template)]
#[template(path = "boards/bulk.html")]
struct BulkResult {
    ctx: Ctx,
    action: String,
    results: Vec<(String, String, Option<String>)>,
}

/// Several boards at once: publish, reload, or put them in a group. Each
/// board goes through the API's handler and gets its own result line.
async fn bulk(State(s): State<Arc<AppState>>, p: Posted<BulkForm>) -> PageResult {
    let Posted { web, form } = p;
    if form.ids.is_empty() {
        return Err(PageError(
            web.ctx.clone(),
            AppError::unprocessable(web.ctx.t("boards-bulk-none")).field("ids"),
        ));
    }
    let mut results = Vec::new();
    for id in form.ids.iter().take(crate::overview::MAX_PER_PAGE) {
        let st = State(s.clone());
        let who = web.who.clone();
        let r: Result<(), AppError> = match form.action.as_str() {
            "publish" => publish_board(st, who, AppPath(id.clone())).await.map(|_| ()),
            "reload" => send_command(
                st,
                who,
                AppPath(id.clone()),
                AppJson(CommandBody { action: Action::Reload }),
            )
            .await
            .map(|_| ()),
            "group" => match get_board(State(s.clone()), web.who.clone(), AppPath(id.clone())).await {
                Ok(AppJson(v)) => {
                    let mut groups = v.board.groups.clone();
                    if !form.group.is_empty() && !groups.contains(&form.group) {
                        groups.push(form.group.clone());
                    }
                    update_board(
                        st,
                        who,
                        AppPath(id.clone()),
                        AppJson(BoardPatch {
                            name: None,
                            groups: Some(groups),
                            disabled: None,
                        }),
                    )
                    .await
                    .map(|_| ())
                }
                Err(e) => Err(e),
            },
            _ => Err(AppError::unprocessable(web.ctx.t("boards-bulk-bad-action")).field("action")),
        };
        let name = s
            .store
            .get_json::<crate::model::Board>(&key::board(id))
            .ok()
            .flatten()
            .filter(|b| web.who.can_read(&b.unit))
            .map_or_else(|| id.clone(), |b| b.name);
        results.push((id.clone(), name, r.err().map(|e| e.detail.message)));
    }
    let action = web.ctx.t(match form.action.as_str() {
        "publish" => "boards-bulk-publish",
        "reload" => "boards-bulk-reload",
        _ => "boards-bulk-group",
    });
    Ok(render(&BulkResult {
        ctx: web.ctx,
        action,
        results,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ClaimForm {
    unit: String,
    code: String,
    name: String,
}

/// Claim a board by the code on its screen, through the API's claim.
async fn claim(State(s): State<Arc<AppState>>, p: Posted<ClaimForm>) -> PageResult {
    let Posted { web, form } = p;
    let r = claim_board(
        State(s.clone()),
        web.who.clone(),
        AppPath(form.unit.clone()),
        AppJson(ClaimBody {
            code: form.code.clone(),
            name: form.name.clone(),
            groups: Vec::new(),
        }),
    )
    .await;
    match r {
        Ok((_, AppJson(b))) => Ok(see_other(&format!("/boards/{}?claimed=1", b.id))),
        Err(e) => {
            let errors = FormErrors::from_error(&e);
            dashboard_page(&s, web, DashQuery::default(), None, errors, (form.code, form.name)).await
        }
    }
}

/// A stretch of the week: from, to (0–1000 on the time line), online?
#[derive(Debug)]
pub struct Stretch {
    pub x: i64,
    pub w: i64,
    pub online: bool,
    pub label: String,
}

#[derive(Debug)]
pub struct BeatRow {
    pub at: String,
    pub version: u64,
    pub fps: String,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "boards/board.html")]
struct BoardPageT {
    ctx: Ctx,
    b: BoardCard,
    seen: String,
    can_write: bool,
    unit_name: String,
    groups: Vec<(Group, bool)>,
    full: Option<(String, String)>,
    thumb: Option<(String, String)>,
    week: Vec<Stretch>,
    week_online: String,
    week_days: Vec<(i64, String)>,
    beats: Vec<BeatRow>,
    plays: Option<PlayReport>,
    play_rows: Vec<(String, String, u64, String)>,
    off: Vec<(String, String)>,
    bright: Vec<(String, String)>,
    waiting: Option<String>,
    notice: Option<String>,
    errors: FormErrors,
    name: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct BoardQuery {
    shot: Option<String>,
    claimed: Option<String>,
    saved: Option<String>,
}

async fn board(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let notice = if q.claimed.is_some() {
        Some(web.ctx.t("boards-claimed"))
    } else if q.saved.is_some() {
        Some(web.ctx.t("saved"))
    } else {
        None
    };
    board_page(&s, web, &id, q.shot, notice, FormErrors::default(), None).await
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

async fn board_page(
    s: &Arc<AppState>,
    web: Web,
    id: &str,
    waiting: Option<String>,
    notice: Option<String>,
    errors: FormErrors,
    name: Option<String>,
) -> PageResult {
    let ctx = web.ctx.clone();
    let AppJson(v) = get_board(State(s.clone()), web.who.clone(), AppPath(id.to_string()))
        .await
        .or_page(&ctx)?;
    let board = v.board.clone();
    let AppJson(live) = board_status(State(s.clone()), web.who.clone(), AppPath(id.to_string()))
        .await
        .or_page(&ctx)?;
    let card = crate::overview::card(s, v.board, live.online, live.last_seen);
    let can_write = web.who.can_write(&board.unit);
    let unit: Option<Unit> = s.store.get_json(&key::unit(&board.unit)).or_page(&ctx)?;
    let mut ctx = ctx;
    if let Some(tz) = unit.as_ref().and_then(|u| u.timezone.parse().ok()) {
        ctx.tz = tz;
    }
    let AppJson(groups) = list_groups(State(s.clone()), web.who.clone(), AppPath(board.unit.clone()))
        .await
        .or_page(&ctx)?;
    let groups = groups
        .into_iter()
        .map(|g| {
            let on = board.groups.contains(&g.id);
            (g, on)
        })
        .collect();
    let shot = |kind: &str| -> Option<(String, String)> {
        s.store
            .get_json::<ShotRecord>(&key::screenshot(&board.id, kind))
            .ok()
            .flatten()
            .map(|r| {
                (
                    format!(
                        "/api/v1/boards/{}/screenshot?kind={kind}&t={}",
                        board.id,
                        r.taken_at.timestamp_millis()
                    ),
                    ctx.when(&r.taken_at),
                )
            })
    };
    let (full, thumb) = (shot("full"), shot("thumb"));
    // A week of online time, from the API's history of transitions.
    let now = Utc::now();
    let from = now - Duration::days(7);
    let AppJson(h) = board_heartbeats(
        State(s.clone()),
        web.who.clone(),
        AppPath(id.to_string()),
        AppQuery(HistoryQuery {
            from: Some(from),
            to: Some(now),
            limit: Some(50),
        }),
    )
    .await
    .or_page(&ctx)?;
    let (week, share) = week_line(&ctx, from, now, board.claimed_at, live.online, &h.transitions);
    let week_days = (0..7)
        .map(|d| {
            let t = from + Duration::days(d);
            (d * 1000 / 7, t.with_timezone(&ctx.tz).format("%d/%m").to_string())
        })
        .collect();
    let beats = h
        .beats
        .iter()
        .take(30)
        .map(|b| BeatRow {
            at: ctx.short(&b.at),
            version: b.status.get("show_version").and_then(|x| x.as_u64()).unwrap_or(0),
            fps: b
                .status
                .get("fps")
                .and_then(|x| x.as_f64())
                .map_or_else(String::new, |f| format!("{f:.0}")),
            errors: b
                .status
                .get("errors")
                .and_then(|x| x.as_array())
                .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        })
        .collect();
    // Today's proof of play (the board's local day), from the API's report.
    let plays = match playlog_report(
        State(s.clone()),
        web.who.clone(),
        AppPath(id.to_string()),
        AppQuery(ReportQuery {
            date: None,
            format: None,
            raw: None,
        }),
    )
    .await
    {
        Ok(r) => {
            let bytes = axum::body::to_bytes(r.into_body(), 8 << 20).await.unwrap_or_default();
            serde_json::from_slice::<PlayReport>(&bytes).ok()
        }
        Err(_) => None,
    };
    let play_rows = plays
        .as_ref()
        .map(|p| {
            p.rows
                .iter()
                .map(|r| {
                    (
                        format!("{} / {}", r.layout, r.zone),
                        format!("{} — {}", r.item_kind, r.label),
                        r.plays,
                        ctx.span(r.seconds as i64),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut off: Vec<(String, String)> = board.display.off.iter().map(|w| (hhmm(w.start), hhmm(w.end))).collect();
    let mut bright: Vec<(String, String)> = board
        .display
        .brightness
        .iter()
        .map(|b| (hhmm(b.from), b.percent.to_string()))
        .collect();
    // Two empty rows to add to, without script.
    off.extend([(String::new(), String::new()), (String::new(), String::new())]);
    bright.extend([(String::new(), String::new()), (String::new(), String::new())]);
    let seen = live_card(&ctx, card.clone()).seen;
    let mut r = render(&BoardPageT {
        b: card,
        seen,
        can_write,
        unit_name: unit.map_or_else(|| board.unit.clone(), |u| u.name),
        groups,
        full,
        thumb,
        week,
        week_online: share,
        week_days,
        beats,
        plays,
        play_rows,
        off,
        bright,
        waiting,
        notice,
        errors: errors.clone(),
        name: name.unwrap_or(board.name),
        ctx,
    });
    if errors.any() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The week as stretches on a 0–1000 line, and the share of it online.
fn week_line(
    ctx: &Ctx,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    claimed: DateTime<Utc>,
    online_now: bool,
    transitions: &[crate::live::Transition],
) -> (Vec<Stretch>, String) {
    let span = (now - from).num_seconds().max(1);
    let x = |t: DateTime<Utc>| (t - from).num_seconds().clamp(0, span) * 1000 / span;
    let mut ts: Vec<_> = transitions.iter().filter(|t| t.at >= from && t.at <= now).collect();
    ts.sort_by_key(|t| t.at);
    let start = claimed.max(from);
    // Before the first change in the week the board was in the opposite
    // state; with no change at all, as it is now.
    let mut state = ts.first().map_or(online_now, |t| !t.online);
    let mut at = start;
    let mut out = Vec::new();
    let mut on_s = 0;
    for t in ts.iter().filter(|t| t.at >= start) {
        out.push((at, t.at, state));
        at = t.at;
        state = t.online;
    }
    out.push((at, now, state));
    let stretches = out
        .into_iter()
        .filter(|(a, b, _)| b > a)
        .map(|(a, b, on)| {
            if on {
                on_s += (b - a).num_seconds();
            }
            Stretch {
                x: x(a),
                w: (x(b) - x(a)).max(1),
                online: on,
                label: format!(
                    "{} {} → {}",
                    ctx.t(if on { "boards-online" } else { "boards-offline" }),
                    ctx.short(&a),
                    ctx.short(&b)
                ),
            }
        })
        .collect();
    let known = (now - start).num_seconds().max(1);
    (stretches, format!("{:.0}%", on_s as f64 * 100.0 / known as f64))
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    name: String,
    #[serde(default)]
    groups: Vec<String>,
}

async fn rename(State(s): State<Arc<AppState>>, Path(id): Path<String>, p: Posted<RenameForm>) -> PageResult {
    let Posted { web, form } = p;
    let r = update_board(
        State(s.clone()),
        web.who.clone(),
        AppPath(id.clone()),
        AppJson(BoardPatch {
            name: Some(form.name.clone()),
            groups: Some(form.groups),
            disabled: None,
        }),
    )
    .await;
    match r {
        Ok(_) => Ok(see_other(&format!("/boards/{id}?saved=1"))),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            board_page(&s, web, &id, None, None, FormErrors::from_error(&e), Some(form.name)).await
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CommandForm {
    action: String,
}

/// Reload, restart or "chụp ngay": a full screenshot, whose progress the
/// page then follows until the picture arrives.
async fn command(State(s): State<Arc<AppState>>, Path(id): Path<String>, p: Posted<CommandForm>) -> PageResult {
    let Posted { web, form } = p;
    let action = match form.action.as_str() {
        "reload" => Action::Reload,
        "restart" => Action::Restart,
        "screenshot" => Action::Screenshot,
        _ => {
            return Err(PageError(
                web.ctx.clone(),
                AppError::unprocessable(web.ctx.t("boards-bulk-bad-action")).field("action"),
            ));
        }
    };
    let (_, AppJson(sent)) = send_command(
        State(s.clone()),
        web.who.clone(),
        AppPath(id.clone()),
        AppJson(CommandBody { action }),
    )
    .await
    .or_page(&web.ctx)?;
    if action == Action::Screenshot {
        if web.csrf_header_ok {
            // htmx: answer with the progress part, which polls by itself.
            return shot_part(&s, &web, &id, &sent.id, Utc::now()).await;
        }
        return Ok(see_other(&format!("/boards/{id}?shot={}", urlencode(&sent.id))));
    }
    Ok(see_other(&format!("/boards/{id}?saved=1")))
}

#[derive(Debug, Deserialize)]
pub struct ShotQuery {
    cmd: String,
    since: Option<i64>,
}

#[derive(Template)]
#[template(path = "boards/shot.html")]
struct ShotPart {
    ctx: Ctx,
    id: String,
    cmd: String,
    since: i64,
    waited: i64,
    done: Option<(String, String)>,
}

/// The "chụp ngay" progress: waiting (polled every second) until the full
/// screenshot answering command `cmd` is in, then the picture.
async fn shot(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<ShotQuery>,
) -> PageResult {
    let since = q
        .since
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_else(Utc::now);
    shot_part(&s, &web, &id, &q.cmd, since).await
}

async fn shot_part(s: &Arc<AppState>, web: &Web, id: &str, cmd: &str, since: DateTime<Utc>) -> PageResult {
    // The API's read first: 404 for another commune's board.
    get_board(State(s.clone()), web.who.clone(), AppPath(id.to_string()))
        .await
        .or_page(&web.ctx)?;
    let done = s
        .store
        .get_json::<ShotRecord>(&key::screenshot(id, "full"))
        .or_page(&web.ctx)?
        .filter(|r| r.command.as_deref() == Some(cmd))
        .map(|r| {
            (
                format!(
                    "/api/v1/boards/{id}/screenshot?kind=full&t={}",
                    r.taken_at.timestamp_millis()
                ),
                web.ctx.when(&r.taken_at),
            )
        });
    Ok(render(&ShotPart {
        ctx: web.ctx.clone(),
        id: id.to_string(),
        cmd: cmd.to_string(),
        since: since.timestamp_millis(),
        waited: (Utc::now() - since).num_seconds().max(0),
        done,
    })
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct DisplayForm {
    #[serde(default)]
    off_start: Vec<String>,
    #[serde(default)]
    off_end: Vec<String>,
    #[serde(default)]
    bright_from: Vec<String>,
    #[serde(default)]
    bright_percent: Vec<String>,
}

/// The display plan as a form: rows of off windows and brightness steps;
/// empty rows are skipped, the API checks the rest.
async fn display(State(s): State<Arc<AppState>>, Path(id): Path<String>, p: Posted<DisplayForm>) -> PageResult {
    let Posted { web, form } = p;
    let time = |v: &str, field: String| -> Result<NaiveTime, AppError> {
        NaiveTime::parse_from_str(v.trim(), "%H:%M")
            .map_err(|_| AppError::unprocessable(format!("giờ dạng HH:MM: «{v}» (time as HH:MM)")).field(field))
    };
    let mut plan = DisplayPlan::default();
    let mut problems = Vec::new();
    for (i, (a, b)) in form.off_start.iter().zip(&form.off_end).enumerate() {
        if a.trim().is_empty() && b.trim().is_empty() {
            continue;
        }
        match (time(a, format!("off[{i}].start")), time(b, format!("off[{i}].end"))) {
            (Ok(start), Ok(end)) => plan.off.push(Window { start, end }),
            (a, b) => problems.extend([a.err(), b.err()].into_iter().flatten()),
        }
    }
    for (i, (f, pc)) in form.bright_from.iter().zip(&form.bright_percent).enumerate() {
        if f.trim().is_empty() && pc.trim().is_empty() {
            continue;
        }
        let percent = pc.trim().parse::<u8>().map_err(|_| {
            AppError::unprocessable("phần trăm 1–100 (percent 1–100)").field(format!("brightness[{i}].percent"))
        });
        match (time(f, format!("brightness[{i}].from")), percent) {
            (Ok(from), Ok(percent)) => plan.brightness.push(BrightnessStep { from, percent }),
            (a, b) => problems.extend([a.err(), b.err()].into_iter().flatten()),
        }
    }
    let result = if problems.is_empty() {
        put_display(State(s.clone()), web.who.clone(), AppPath(id.clone()), AppJson(plan))
            .await
            .map(|_| ())
    } else {
        let mut e = AppError::invalid(
            problems
                .iter()
                .map(|p| crate::error::Problem {
                    field: p.detail.field.clone().unwrap_or_default(),
                    message: p.detail.message.clone(),
                })
                .collect(),
        );
        e.detail.message = problems[0].detail.message.clone();
        Err(e)
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/boards/{id}?saved=1#display"))),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            board_page(&s, web, &id, None, None, FormErrors::from_error(&e), None).await
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

#[derive(Template)]
#[template(path = "boards/watch.html")]
struct WatchPage {
    ctx: Ctx,
    rows: Vec<(Unit, WatchSettings)>,
    can_edit: bool,
    errors: FormErrors,
    failed_unit: String,
    notice: Option<String>,
}

async fn watch_page(
    State(s): State<Arc<AppState>>,
    web: Web,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let notice = q
        .as_deref()
        .is_some_and(|q| q.contains("saved=1"))
        .then(|| web.ctx.t("saved"));
    watch_render(&s, web, FormErrors::default(), String::new(), notice).await
}

async fn watch_render(
    s: &Arc<AppState>,
    web: Web,
    errors: FormErrors,
    failed_unit: String,
    notice: Option<String>,
) -> PageResult {
    let AppJson(units) = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?;
    let mut rows = Vec::new();
    for u in units {
        let AppJson(w) = get_watch(State(s.clone()), web.who.clone(), AppPath(u.code.clone()))
            .await
            .or_page(&web.ctx)?;
        rows.push((u, w));
    }
    let mut r = render(&WatchPage {
        can_edit: web.who.is_admin(),
        ctx: web.ctx,
        rows,
        errors: errors.clone(),
        failed_unit,
        notice,
    });
    if errors.any() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct WatchForm {
    minutes: String,
    #[serde(default)]
    webhook_url: String,
}

async fn watch_save(State(s): State<Arc<AppState>>, Path(unit): Path<String>, p: Posted<WatchForm>) -> PageResult {
    let Posted { web, form } = p;
    let Ok(minutes) = form.minutes.trim().parse::<u32>() else {
        let e = AppError::unprocessable(web.ctx.t("watch-bad-minutes")).field("offline_after_s");
        return watch_render(&s, web, FormErrors::from_error(&e), unit, None).await;
    };
    let w = WatchSettings {
        offline_after_s: minutes.saturating_mul(60),
        webhook_url: Some(form.webhook_url.trim().to_string()).filter(|u| !u.is_empty()),
    };
    match put_watch(State(s.clone()), web.who.clone(), AppPath(unit.clone()), AppJson(w)).await {
        Ok(_) => Ok(see_other("/boards/watch?saved=1")),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            watch_render(&s, web, FormErrors::from_error(&e), unit, None).await
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}
