//! Essential information (issue #13, page 7): the approval queue as
//! preview cards (approve, optionally with edits, or reject with a reason),
//! the alerts and bulletins in force with their risk colour, area, expiry
//! and delivery per board, and local notices — an emergency or priority
//! notice an editor issues for the unit's boards and loudspeakers, after a
//! confirmation page showing what will be shown and where. Every change
//! calls the API's own handler.

use super::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use crate::api::approval::{Rejection, approve as api_approve, reject as api_reject};
use crate::api::ingest::unit_bulletins;
use crate::api::notices::{cancel_notice, create_notice};
use crate::api::reports::{ReportsQuery, unit_reports};
use crate::bulletin::BoardItem;
use crate::error::{AppError, AppJson, AppPath, AppQuery};
use crate::model::Unit;
use crate::notices::{self, NewNotice};
use crate::records::{AlertRecord, BulletinEdits, BulletinRecord, BulletinState};
use crate::reporting::{BoardState, Report};
use crate::state::AppState;
use crate::store::StoreExt;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/info", get(page))
        .route("/info/{unit}/bulletins/{source}/{id}/approve", post(approve))
        .route("/info/{unit}/bulletins/{source}/{id}/reject", post(reject))
        .route("/info/{unit}/notice", get(notice_form).post(notice_issue))
        .route("/info/{unit}/notice/preview", post(notice_preview))
        .route("/info/{unit}/notices/{id}/cancel", post(notice_cancel))
}

/// A unit to choose.
#[derive(Debug, Clone)]
pub struct UnitOpt {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// The units the officer may read (the API's unit list) and the one asked
/// for — else the first commune — with the page's times in its time zone.
pub(super) async fn pick_unit(
    s: &Arc<AppState>,
    web: &mut Web,
    wanted: Option<&str>,
) -> Result<(Vec<UnitOpt>, Unit), PageError> {
    let AppJson(mut all) = crate::api::account::list_units(State(s.clone()), web.who.clone())
        .await
        .or_page(&web.ctx)?;
    all.sort_by(|a, b| (a.parent.is_none(), &a.code).cmp(&(b.parent.is_none(), &b.code)));
    let unit = match wanted.filter(|w| !w.is_empty()) {
        Some(w) => all
            .iter()
            .find(|u| u.code == w)
            .cloned()
            .ok_or_else(|| PageError(web.ctx.clone(), AppError::not_found("đơn vị")))?,
        None => all
            .first()
            .cloned()
            .ok_or_else(|| PageError(web.ctx.clone(), AppError::not_found("đơn vị")))?,
    };
    if let Ok(tz) = unit.timezone.parse::<Tz>() {
        web.ctx.tz = tz;
    }
    let opts = all
        .iter()
        .map(|u| UnitOpt {
            code: u.code.clone(),
            name: u.name.clone(),
            selected: u.code == unit.code,
        })
        .collect();
    Ok((opts, unit))
}

fn is_htmx(h: &HeaderMap) -> bool {
    h.contains_key("hx-request")
}

fn priority_label(ctx: &Ctx, p: &str) -> String {
    match p {
        "emergency" => ctx.t("info-level-emergency"),
        "priority" => ctx.t("info-level-priority"),
        _ => ctx.t("info-level-normal"),
    }
}

fn priority_class(p: &str) -> &'static str {
    match p {
        "emergency" => "bad",
        "priority" => "warn",
        _ => "",
    }
}

fn risk_label(ctx: &Ctx, r: Option<u8>) -> String {
    r.map_or_else(String::new, |r| ctx.tn("info-risk", i64::from(r)))
}

fn excerpt(t: &str, n: usize) -> String {
    let t = t.trim();
    if t.chars().count() <= n {
        t.to_string()
    } else {
        format!("{}…", t.chars().take(n).collect::<String>().trim_end())
    }
}

// ---------------------------------------------------------------------------
// The page

/// A bulletin waiting in the unit's queue, as a card.
#[derive(Debug, Clone, Default)]
pub struct Card {
    /// DOM id, stable per bulletin.
    pub dom: String,
    /// `source/id`, for the browser tests (`data-bulletin`).
    pub key: String,
    pub action: String,
    pub title: String,
    pub excerpt: String,
    pub priority: String,
    pub priority_class: &'static str,
    pub category: String,
    pub source: String,
    pub communes: String,
    pub received: String,
    /// The source's texts, to edit before approving.
    pub summary: String,
    pub text: String,
    pub ticker: String,
    /// After a decision (htmx): what was decided.
    pub decided: Option<String>,
    pub errors: FormErrors,
}

/// One board's delivery of an item in force.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub name: String,
    pub state: String,
    pub class: &'static str,
    pub received: String,
}

/// An alert or bulletin in force for the unit.
#[derive(Debug, Clone)]
pub struct Active {
    pub dom: String,
    pub title: String,
    pub level: String,
    pub level_class: &'static str,
    pub risk: Option<u8>,
    pub risk_label: String,
    pub area: String,
    pub expires: String,
    pub source: String,
    pub received: usize,
    pub targeted: usize,
    pub boards: Vec<Delivery>,
}

/// A local notice, with a cancel button while it is in force.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    pub dom: String,
    pub title: String,
    pub level: String,
    pub level_class: &'static str,
    pub risk: Option<u8>,
    pub risk_label: String,
    pub state: String,
    pub live: bool,
    pub expires: String,
    pub issued: String,
    pub cancel: String,
}

#[derive(Template)]
#[template(path = "info/page.html")]
struct InfoPage {
    ctx: Ctx,
    units: Vec<UnitOpt>,
    unit: Unit,
    can_write: bool,
    cards: Vec<Card>,
    active: Vec<Active>,
    notices: Vec<NoticeRow>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "info/card.html")]
struct CardFragment {
    ctx: Ctx,
    can_write: bool,
    c: Card,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    unit: Option<String>,
    done: Option<String>,
}

fn dom_of(prefix: &str, parts: &[&str]) -> String {
    let h = crate::records::sha_hex(parts.join("\n").as_bytes());
    format!("{prefix}-{}", &h[..12])
}

fn unit_names(s: &AppState) -> HashMap<String, String> {
    s.store
        .scan_json::<Unit>("unit/")
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect()
}

fn names(codes: &[String], names: &HashMap<String, String>) -> String {
    codes
        .iter()
        .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn source_name(s: &AppState, ctx: &Ctx, id: &str) -> String {
    if let Some(u) = id.strip_prefix("local:") {
        return ctx.ta("info-local-source", "unit", u);
    }
    s.store
        .get_json::<crate::sources::SourceRecord>(&crate::sources::key_of(id))
        .ok()
        .flatten()
        .map_or_else(|| id.to_string(), |r| r.name)
}

/// The card of a bulletin waiting in `unit`'s queue.
fn card_of(s: &AppState, ctx: &Ctx, unit: &str, b: &BulletinRecord, units: &HashMap<String, String>) -> Card {
    let doc = crate::bulletin::parse(b.document.as_bytes()).ok();
    let mut text = String::new();
    let mut ticker = String::new();
    if let Some(d) = &doc {
        for it in &d.board.items {
            match it {
                BoardItem::Text { body, .. } if text.is_empty() => text = body.clone(),
                BoardItem::Ticker { text: t, .. } if ticker.is_empty() => ticker = t.clone(),
                _ => {}
            }
        }
    }
    let summary = doc.as_ref().and_then(|d| d.summary.clone()).unwrap_or_default();
    let communes: Vec<String> = crate::approval::communes_of(&*s.store, b)
        .unwrap_or_default()
        .into_iter()
        .collect();
    Card {
        dom: dom_of("card", &[&b.source, &b.id]),
        key: format!("{}/{}", b.source, b.id),
        action: format!(
            "/info/{}/bulletins/{}/{}",
            urlencode(unit),
            urlencode(&b.source),
            urlencode(&b.id)
        ),
        title: b.title.clone(),
        excerpt: excerpt(if summary.is_empty() { &text } else { &summary }, 280),
        priority: priority_label(ctx, &b.priority),
        priority_class: priority_class(&b.priority),
        category: doc.and_then(|d| d.category).unwrap_or_default(),
        source: source_name(s, ctx, &b.source),
        communes: names(&communes, units),
        received: ctx.when(&b.received),
        summary,
        text,
        ticker,
        decided: None,
        errors: FormErrors::default(),
    }
}

fn board_state(ctx: &Ctx, st: BoardState) -> (String, &'static str) {
    let (k, c) = match st {
        BoardState::Waiting => ("info-board-waiting", "warn"),
        BoardState::PendingApproval => ("info-board-pending", "warn"),
        BoardState::Rejected => ("info-board-rejected", "bad"),
        BoardState::Received => ("info-board-received", ""),
        BoardState::Shown => ("info-board-shown", ""),
        BoardState::Failed => ("info-board-failed", "bad"),
        BoardState::Withdrawn => ("info-board-withdrawn", ""),
    };
    (ctx.t(k), c)
}

/// Everything the page shows for `unit`.
async fn load(
    s: &Arc<AppState>,
    web: &Web,
    unit: &Unit,
) -> Result<(Vec<Card>, Vec<Active>, Vec<NoticeRow>), PageError> {
    let ctx = &web.ctx;
    let code = unit.code.clone();
    let AppJson(bulletins) = unit_bulletins(State(s.clone()), web.who.clone(), AppPath(code.clone()))
        .await
        .or_page(ctx)?;
    let units = unit_names(s);
    let is_commune = unit.parent.is_some();
    let cards: Vec<Card> = bulletins
        .iter()
        .filter(|b| b.priority == "normal" && b.state == BulletinState::Pending)
        .filter(|b| is_commune && !b.decisions.contains_key(&code))
        .map(|b| card_of(s, ctx, &code, b, &units))
        .collect();
    let AppJson(reports) = unit_reports(
        State(s.clone()),
        web.who.clone(),
        AppPath(code.clone()),
        AppQuery(ReportsQuery {
            source: None,
            id: None,
            kind: None,
            limit: Some("500".into()),
        }),
    )
    .await
    .or_page(ctx)?;
    let alerts: HashMap<(String, String), AlertRecord> = s
        .store
        .scan_json::<AlertRecord>("alert/")
        .map_err(AppError::from)
        .or_page(ctx)?
        .into_iter()
        .map(|a| ((a.source.clone(), a.identifier.clone()), a))
        .collect();
    let by_id: HashMap<(String, String), &BulletinRecord> = bulletins
        .iter()
        .map(|b| ((b.source.clone(), b.id.clone()), b))
        .collect();
    let active = reports
        .iter()
        .filter(|r| !r.ended)
        .filter_map(|r| active_of(s, ctx, &code, r, &alerts, &by_id, &units))
        .collect();
    let can_write = web.who.can_write(&code);
    let notices = notices::list(s, &code)
        .map_err(AppError::from)
        .or_page(ctx)?
        .into_iter()
        .map(|n| NoticeRow {
            dom: dom_of("notice", &[&n.id]),
            level: priority_label(ctx, &n.level),
            level_class: priority_class(&n.level),
            risk: n.risk_level,
            risk_label: risk_label(ctx, n.risk_level),
            state: match n.state.as_str() {
                "live" => ctx.t("info-notice-live"),
                "cancelled" => ctx.t("info-notice-cancelled"),
                _ => ctx.t("info-notice-expired"),
            },
            live: n.state == "live" && can_write,
            expires: ctx.when(&n.expires),
            issued: format!(
                "{} — {}",
                ctx.when(&n.issued_at),
                n.issued_by.trim_start_matches("user:")
            ),
            cancel: format!("/info/{}/notices/{}/cancel", urlencode(&code), urlencode(&n.id)),
            title: n.title,
        })
        .collect();
    Ok((cards, active, notices))
}

/// An item in force as the unit's boards have it; `None` for a normal
/// bulletin the unit has not approved (it is in the queue, or rejected).
fn active_of(
    s: &AppState,
    ctx: &Ctx,
    unit: &str,
    r: &Report,
    alerts: &HashMap<(String, String), AlertRecord>,
    bulletins: &HashMap<(String, String), &BulletinRecord>,
    units: &HashMap<String, String>,
) -> Option<Active> {
    let k = (r.source.clone(), r.id.clone());
    let (risk, areas) = match r.kind {
        crate::reporting::ItemKind::Alert => {
            let a = alerts.get(&k)?;
            if r.state != "live" {
                return None;
            }
            (a.risk_level, a.areas.clone())
        }
        crate::reporting::ItemKind::Bulletin => {
            let b = bulletins.get(&k)?;
            let approved = b.decisions.get(unit).is_some_and(|d| d.approved);
            if !(b.state == BulletinState::Live || approved) {
                return None;
            }
            let mut areas = b.areas.clone();
            areas.extend(b.boards.iter().cloned());
            (None, areas)
        }
    };
    let boards = r
        .boards
        .iter()
        .map(|b| {
            let (state, class) = board_state(ctx, b.state);
            Delivery {
                name: b.name.clone(),
                state,
                class,
                received: b.received.as_ref().map_or_else(String::new, |t| ctx.short(t)),
            }
        })
        .collect();
    Some(Active {
        dom: dom_of("alert", &[&r.source, &r.id]),
        title: r.title.clone(),
        level: priority_label(ctx, &r.priority),
        level_class: priority_class(&r.priority),
        risk,
        risk_label: risk_label(ctx, risk),
        area: names(&areas, units),
        expires: r
            .valid_to
            .as_ref()
            .map_or_else(|| ctx.t("info-no-expiry"), |t| ctx.when(t)),
        source: source_name(s, ctx, &r.source),
        received: r.summary.received,
        targeted: r.summary.targeted,
        boards,
    })
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    mut web: Web,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (units, unit) = pick_unit(&s, &mut web, q.unit.as_deref()).await?;
    let (cards, active, notices) = load(&s, &web, &unit).await?;
    let done = q.done.as_deref().and_then(|d| match d {
        "approved" => Some(web.ctx.t("info-done-approved")),
        "rejected" => Some(web.ctx.t("info-done-rejected")),
        "issued" => Some(web.ctx.t("info-done-issued")),
        "cancelled" => Some(web.ctx.t("info-done-cancelled")),
        _ => None,
    });
    Ok(render(&InfoPage {
        can_write: web.who.can_write(&unit.code),
        ctx: web.ctx,
        units,
        unit,
        cards,
        active,
        notices,
        done,
    }))
}

// ---------------------------------------------------------------------------
// Approve, reject

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    ticker: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// A field the editor changed: sent only when it differs from the source's.
/// Browsers send a textarea's line breaks as CR LF.
fn changed(new: Option<String>, old: &str) -> Option<String> {
    let norm = |t: &str| t.replace("\r\n", "\n").trim().to_string();
    new.map(|n| norm(&n)).filter(|n| *n != norm(old))
}

/// After a decision: htmx gets the card in its new state (or with the
/// refusal at its fields); a plain form goes back to the page (or, refused,
/// gets the page with the refusal on the card).
async fn decided(
    s: &Arc<AppState>,
    headers: &HeaderMap,
    mut web: Web,
    (unit, source, id): (&str, &str, &str),
    outcome: Result<String, AppError>,
    done: &str,
) -> Result<Response, PageError> {
    let rec: Option<BulletinRecord> = s
        .store
        .get_json(&crate::records::bulletin_key(source, id))
        .map_err(AppError::from)
        .or_page(&web.ctx)?;
    let (units, u) = pick_unit(s, &mut web, Some(unit)).await?;
    let can_write = web.who.can_write(unit);
    match outcome {
        Ok(msg) if is_htmx(headers) => {
            let mut c = rec
                .map(|b| card_of(s, &web.ctx, unit, &b, &unit_names(s)))
                .unwrap_or_default();
            c.decided = Some(msg);
            Ok(render(&CardFragment {
                ctx: web.ctx,
                can_write,
                c,
            }))
        }
        Ok(_) => Ok(see_other(&format!("/info?unit={}&done={done}", urlencode(unit)))),
        Err(e) => {
            // Not ours to show (another commune's, or none): the API's answer.
            let Some(b) = rec.filter(|_| e.status != StatusCode::NOT_FOUND) else {
                return Err(PageError(web.ctx, e));
            };
            // htmx swaps only 2xx answers: the refusal comes as a 200
            // fragment, the page without script gets the API's status.
            let status = if is_htmx(headers) { StatusCode::OK } else { e.status };
            let mut c = card_of(s, &web.ctx, unit, &b, &unit_names(s));
            c.errors = FormErrors::from_error(&e);
            let mut r = if is_htmx(headers) {
                render(&CardFragment {
                    ctx: web.ctx,
                    can_write,
                    c,
                })
            } else {
                let (mut cards, active, notices) = load(s, &web, &u).await?;
                match cards.iter_mut().find(|x| x.dom == c.dom) {
                    Some(x) => *x = c,
                    None => cards.insert(0, c),
                }
                render(&InfoPage {
                    can_write,
                    ctx: web.ctx,
                    units,
                    unit: u,
                    cards,
                    active,
                    notices,
                    done: None,
                })
            };
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

pub async fn approve(
    State(s): State<Arc<AppState>>,
    Path((unit, source, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    p: Posted<ApproveForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let original: Option<BulletinRecord> = s
        .store
        .get_json(&crate::records::bulletin_key(&source, &id))
        .map_err(AppError::from)
        .or_page(&web.ctx)?;
    let c = original.map(|b| card_of(&s, &web.ctx, &unit, &b, &HashMap::new()));
    let c = c.unwrap_or_default();
    let edits = BulletinEdits {
        title: changed(form.title, &c.title),
        summary: changed(form.summary, &c.summary),
        text: changed(form.text, &c.text),
        ticker: changed(form.ticker, &c.ticker),
    };
    let r = api_approve(
        State(s.clone()),
        web.who.clone(),
        AppPath((unit.clone(), source.clone(), id.clone())),
        AppJson(edits),
    )
    .await
    .map(|_| web.ctx.ta("info-approved-by", "name", &web.who.user.display_name));
    decided(&s, &headers, web, (&unit, &source, &id), r, "approved").await
}

pub async fn reject(
    State(s): State<Arc<AppState>>,
    Path((unit, source, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    p: Posted<RejectForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let r = api_reject(
        State(s.clone()),
        web.who.clone(),
        AppPath((unit.clone(), source.clone(), id.clone())),
        AppJson(Rejection { reason: form.reason }),
    )
    .await
    .map(|_| web.ctx.ta("info-rejected-by", "name", &web.who.user.display_name));
    decided(&s, &headers, web, (&unit, &source, &id), r, "rejected").await
}

// ---------------------------------------------------------------------------
// Local notices: form → confirmation → issued; cancel

/// The notice form's fields, as typed (the expiry in the unit's local time,
/// `YYYY-MM-DDTHH:MM` from a `datetime-local` input).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoticeFields {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub instruction: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub risk: String,
    #[serde(default)]
    pub expires: String,
}

impl NoticeFields {
    /// The API's request: the local expiry read in the unit's time zone (a
    /// value that is no date passes as typed, for the rules to refuse at
    /// the field).
    fn to_new(&self, tz: Tz) -> NewNotice {
        let e = self.expires.trim();
        let expires = if e.is_empty() {
            None
        } else {
            Some(
                NaiveDateTime::parse_from_str(e, "%Y-%m-%dT%H:%M")
                    .or_else(|_| NaiveDateTime::parse_from_str(e, "%Y-%m-%dT%H:%M:%S"))
                    .ok()
                    .and_then(|n| tz.from_local_datetime(&n).earliest())
                    .map_or_else(|| e.to_string(), |t| t.to_rfc3339()),
            )
        };
        NewNotice {
            title: self.title.clone(),
            text: self.text.clone(),
            instruction: Some(self.instruction.clone()).filter(|i| !i.trim().is_empty()),
            level: self.level.clone(),
            risk_level: self.risk.trim().parse().ok(),
            expires,
        }
    }
}

#[derive(Template)]
#[template(path = "info/notice.html")]
struct NoticeFormPage {
    ctx: Ctx,
    unit: Unit,
    f: NoticeFields,
    errors: FormErrors,
    /// Risk levels to pick: (value, label, selected).
    risks: Vec<(String, String, bool)>,
    /// Earliest and latest expiry for the picker, local.
    min: String,
    max: String,
}

/// What the confirmation shows: the alert screen as the boards will draw
/// it, and where it goes.
#[derive(Template)]
#[template(path = "info/confirm.html")]
struct ConfirmPage {
    ctx: Ctx,
    unit: Unit,
    f: NoticeFields,
    emergency: bool,
    risk: Option<u8>,
    risk_label: String,
    event: String,
    headline: String,
    description: String,
    instruction: String,
    sender: String,
    expires: String,
    boards: Vec<String>,
    zones: Vec<String>,
    boards_label: String,
    zones_label: String,
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

fn form_page(ctx: Ctx, unit: Unit, f: NoticeFields, errors: FormErrors) -> Response {
    let now = Utc::now();
    let (min, max) = (
        local(now, ctx.tz),
        local(now + chrono::Duration::hours(notices::MAX_HOURS), ctx.tz),
    );
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let risks = (1..=5u8)
        .map(|r| (r.to_string(), risk_label(&ctx, Some(r)), f.risk.trim() == r.to_string()))
        .collect();
    let mut r = render(&NoticeFormPage {
        ctx,
        unit,
        f,
        errors,
        risks,
        min,
        max,
    });
    *r.status_mut() = status;
    r
}

/// The officer must be allowed to issue for `unit` before any form is
/// shown: the API's rule (editors of the unit, administrators).
fn may_issue(web: &Web, unit: &str) -> Result<(), AppError> {
    web.who.write(unit, "đơn vị")
}

pub async fn notice_form(
    State(s): State<Arc<AppState>>,
    Path(unit): Path<String>,
    mut web: Web,
) -> Result<Response, PageError> {
    let (_, u) = pick_unit(&s, &mut web, Some(&unit)).await?;
    may_issue(&web, &unit).or_page(&web.ctx)?;
    let f = NoticeFields {
        level: "emergency".into(),
        ..NoticeFields::default()
    };
    Ok(form_page(web.ctx, u, f, FormErrors::default()))
}

pub async fn notice_preview(
    State(s): State<Arc<AppState>>,
    Path(unit): Path<String>,
    p: Posted<NoticeFields>,
) -> Result<Response, PageError> {
    let Posted { mut web, form } = p;
    let (_, u) = pick_unit(&s, &mut web, Some(&unit)).await?;
    may_issue(&web, &unit).or_page(&web.ctx)?;
    let n = form.to_new(web.ctx.tz);
    let (s2, actor, code) = (s.shared.clone(), web.who.actor(), unit.clone());
    let pv = tokio::task::spawn_blocking(move || notices::preview(&s2, &actor, &code, &n))
        .await
        .map_err(|e| PageError(web.ctx.clone(), AppError::internal(e)))?
        .map_err(AppError::from);
    let pv = match pv {
        Ok(pv) => pv,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            return Ok(form_page(web.ctx, u, form, FormErrors::from_error(&e)));
        }
        Err(e) => return Err(PageError(web.ctx, e)),
    };
    let a = pv.alert;
    Ok(render(&ConfirmPage {
        emergency: a.level == bangtin_layouts::alerts::AlertLevel::Emergency,
        risk: a.risk_level,
        risk_label: risk_label(&web.ctx, a.risk_level),
        event: a.event,
        headline: a.headline,
        description: a.description,
        instruction: a.instruction,
        sender: a.sender,
        expires: a.expires.as_ref().map_or_else(String::new, |t| web.ctx.when(t)),
        boards_label: web.ctx.tn("info-confirm-boards", pv.boards.len() as i64),
        zones_label: web.ctx.tn("info-confirm-zones", pv.zones.len() as i64),
        boards: pv.boards.into_iter().map(|b| b.name).collect(),
        zones: pv.zones.into_iter().map(|z| z.name).collect(),
        ctx: web.ctx,
        unit: u,
        f: form,
    }))
}

#[derive(Debug, Deserialize)]
pub struct Confirmed {
    #[serde(flatten)]
    f: NoticeFields,
    /// Set by the confirmation page's button; without it nothing is issued.
    #[serde(default)]
    confirm: String,
    /// "Sửa lại": back to the form with the values.
    #[serde(default)]
    edit: String,
}

pub async fn notice_issue(
    State(s): State<Arc<AppState>>,
    Path(unit): Path<String>,
    p: Posted<Confirmed>,
) -> Result<Response, PageError> {
    let Posted { mut web, form } = p;
    let (_, u) = pick_unit(&s, &mut web, Some(&unit)).await?;
    may_issue(&web, &unit).or_page(&web.ctx)?;
    if form.confirm != "yes" || !form.edit.is_empty() {
        return Ok(form_page(web.ctx, u, form.f, FormErrors::default()).into_response());
    }
    let n = form.f.to_new(web.ctx.tz);
    match create_notice(State(s.clone()), web.who.clone(), AppPath(unit.clone()), AppJson(n)).await {
        Ok(_) => Ok(see_other(&format!("/info?unit={}&done=issued", urlencode(&unit)))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            Ok(form_page(web.ctx, u, form.f, FormErrors::from_error(&e)))
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

pub async fn notice_cancel(
    State(s): State<Arc<AppState>>,
    Path((unit, id)): Path<(String, String)>,
    p: Posted<Nothing>,
) -> Result<Response, PageError> {
    let web = p.web;
    cancel_notice(State(s.clone()), web.who.clone(), AppPath((unit.clone(), id)))
        .await
        .or_page(&web.ctx)?;
    Ok(see_other(&format!("/info?unit={}&done=cancelled", urlencode(&unit))))
}
