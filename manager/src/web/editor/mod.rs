//! The layout editor (`/layouts`): the layouts of the officer's units with
//! their versions, a new layout from a template or a blank board, the board
//! drawn to scale with its zones (dragged by `editor.js`, typed as numbers
//! without it), each zone's playlist as forms generated from
//! [`kinds`], errors at their fields from the layouts crate's validator
//! (through the API's handlers, called in-process), and previews drawn by
//! the player's own renderer ([`preview`]).

mod draft;
mod kinds;
mod preview;
mod starters;
mod view;

use super::page::{Ctx, OrPage, PageError, Posted, Web, error_page, render, see_other};
use crate::api::layouts::{
    LayoutBody, LayoutSummary, ValidateBody, create_layout, get_layout, layout_version, layout_versions, list_layouts,
    update_layout, validate_layout,
};
use crate::error::{AppError, AppJson, AppPath};
use crate::model::{LayoutRecord, Unit};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use draft::{Draft, ItemDraft, ZoneDraft};
use preview::{PreviewError, Previewer};
use serde::Deserialize;
use std::sync::Arc;
use view::EditorView;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/layouts", get(list))
        .route("/layouts/new", get(new_layout))
        .route("/layouts/edit", post(edit))
        .route("/layouts/preview", post(preview_draft))
        .route("/layouts/{id}", get(open))
        .route("/layouts/{id}/versions", get(history))
        .route("/layouts/{id}/versions/{version}/preview.png", get(preview_version))
        .layer(Extension(Previewer::default()))
}

// ---- the list -------------------------------------------------------------

#[derive(Debug)]
struct UnitLayouts {
    unit: Unit,
    /// Newest first, with when each was saved.
    layouts: Vec<(LayoutSummary, String)>,
    writable: bool,
}

#[derive(Template)]
#[template(path = "editor/list.html")]
struct ListPage {
    ctx: Ctx,
    units: Vec<UnitLayouts>,
    starters: Vec<(&'static str, String, String)>,
    any_writable: bool,
}

async fn list(State(s): State<Arc<AppState>>, web: Web) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    let AppJson(units) = crate::api::account::list_units(State(s.clone()), web.who.clone())
        .await
        .or_page(&ctx)?;
    let mut out = Vec::new();
    for u in units {
        let AppJson(mut layouts) = list_layouts(State(s.clone()), web.who.clone(), AppPath(u.code.clone()))
            .await
            .or_page(&ctx)?;
        layouts.sort_by_key(|l| std::cmp::Reverse(l.updated_at));
        out.push(UnitLayouts {
            writable: web.who.can_write(&u.code),
            unit: u,
            layouts: layouts
                .into_iter()
                .map(|l| {
                    let when = ctx.when(&l.updated_at);
                    (l, when)
                })
                .collect(),
        });
    }
    Ok(render(&ListPage {
        starters: starters::STARTERS
            .iter()
            .map(|st| (st.key, ctx.t(st.label), format!("{}×{}", st.size.0, st.size.1)))
            .collect(),
        any_writable: out.iter().any(|u| u.writable),
        units: out,
        ctx,
    }))
}

// ---- the editor -----------------------------------------------------------

#[derive(Template)]
#[template(path = "editor/edit.html")]
struct EditPage {
    ctx: Ctx,
    v: EditorView,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    unit: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    width: Option<String>,
    #[serde(default)]
    height: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// A new layout's first draft (nothing saved until the officer saves).
async fn new_layout(
    State(s): State<Arc<AppState>>,
    web: Web,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    web.who.read(&q.unit, "đơn vị").or_page(&ctx)?;
    let num = |v: &Option<String>, d: i64| v.as_deref().and_then(|v| v.trim().parse().ok()).unwrap_or(d);
    let raw = starters::starter(&q.template, (num(&q.width, 1920), num(&q.height, 1080)));
    let name = q
        .name
        .filter(|n| !n.trim().is_empty())
        .or_else(|| raw.board.as_ref().and_then(|b| b.name.clone()))
        .unwrap_or_else(|| ctx.t("editor-new-name"));
    let d = Draft::from_layout(None, &q.unit, &name, &raw);
    Ok(editor_page(&s, &web, d, Vec::new(), None, None, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    saved: Option<u32>,
}

/// The editor on a saved layout (its current version, or an earlier one to
/// start the next version from).
async fn open(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<OpenQuery>,
) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    let AppJson(current) = get_layout(State(s.clone()), web.who.clone(), AppPath(id.clone()))
        .await
        .or_page(&ctx)?;
    let rec: LayoutRecord = match q.version {
        Some(v) if v != current.version => {
            layout_version(State(s.clone()), web.who.clone(), AppPath((id.clone(), v)))
                .await
                .or_page(&ctx)?
                .0
        }
        _ => current.clone(),
    };
    let d = Draft::from_layout(Some(id), &rec.unit, &rec.name, &rec.layout);
    let mut r = editor_page(
        &s,
        &web,
        d,
        Vec::new(),
        Some((current.version, rec.version)),
        q.saved,
        StatusCode::OK,
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The editor page for a draft, with errors at their fields.
fn editor_page(
    s: &AppState,
    web: &Web,
    d: Draft,
    errors: Vec<(String, String)>,
    versions: Option<(u32, u32)>,
    saved: Option<u32>,
    status: StatusCode,
) -> Response {
    let media = view::library(s, &d.unit);
    let tz = board_tz(&d, web.ctx.tz);
    let v = EditorView::build(
        &web.ctx,
        &d,
        &errors,
        &media,
        versions,
        saved,
        web.who.can_write(&d.unit),
        tz,
    );
    let mut r = render(&EditPage {
        ctx: web.ctx.clone(),
        v,
    });
    *r.status_mut() = status;
    r
}

fn board_tz(d: &Draft, default: Tz) -> Tz {
    d.board
        .get("timezone")
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(default)
}

/// What a posted editor form asks for, besides its fields.
#[derive(Debug, PartialEq)]
enum Action {
    Save,
    AddZone,
    RemoveZone(usize),
    AddItem(usize, String),
    Up(usize, usize),
    Down(usize, usize),
    RemoveItem(usize, usize),
    /// Just show the draft again (e.g. after a drag without script).
    Refresh,
}

fn action(kv: &[(String, String)]) -> Action {
    let a = kv.iter().find(|(k, _)| k == "action").map_or("", |(_, v)| v.as_str());
    let parts: Vec<&str> = a.split(':').collect();
    let n = |i: usize| parts.get(i).and_then(|p| p.parse::<usize>().ok());
    match (parts.first().copied().unwrap_or(""), n(1), n(2)) {
        ("save", _, _) => Action::Save,
        ("add-zone", _, _) => Action::AddZone,
        ("remove-zone", Some(z), _) => Action::RemoveZone(z),
        ("add-item", Some(z), _) => Action::AddItem(z, parts.get(2).unwrap_or(&"text").to_string()),
        ("up", Some(z), Some(i)) => Action::Up(z, i),
        ("down", Some(z), Some(i)) => Action::Down(z, i),
        ("remove-item", Some(z), Some(i)) => Action::RemoveItem(z, i),
        _ => Action::Refresh,
    }
}

/// A new zone: a quarter of the board in its top-left corner, with an id
/// no other zone has.
fn new_zone(d: &Draft) -> ZoneDraft {
    let (w, h) = d.board_size();
    let mut n = d.zones.len() + 1;
    let taken = |id: &str| {
        d.zones
            .iter()
            .any(|z| z.values.get("id").is_some_and(|v| v.trim() == id))
    };
    while taken(&format!("vung-{n}")) {
        n += 1;
    }
    let mut z = ZoneDraft::default();
    for (k, v) in [
        ("id", format!("vung-{n}")),
        ("x", "0".into()),
        ("y", "0".into()),
        ("width", (w / 2).max(1).to_string()),
        ("height", (h / 2).max(1).to_string()),
    ] {
        z.values.insert(k.into(), v);
    }
    z
}

/// Apply a change to the draft's lists (no saving).
fn apply(d: &mut Draft, a: &Action) {
    match *a {
        Action::AddZone if d.zones.len() < bangtin_layouts::validate::MAX_ZONES => {
            let z = new_zone(d);
            d.zones.push(z);
        }
        Action::RemoveZone(z) if z < d.zones.len() => {
            d.zones.remove(z);
        }
        Action::AddItem(z, ref kind) if z < d.zones.len() => {
            let kind = kinds::kind(kind).map_or("text", |k| k.kind);
            d.zones[z].items.push(ItemDraft {
                kind: kind.to_string(),
                values: Default::default(),
            });
        }
        Action::Up(z, i) if z < d.zones.len() && i > 0 && i < d.zones[z].items.len() => {
            d.zones[z].items.swap(i - 1, i);
        }
        Action::Down(z, i) if z < d.zones.len() && i + 1 < d.zones[z].items.len() => {
            d.zones[z].items.swap(i, i + 1);
        }
        Action::RemoveItem(z, i) if z < d.zones.len() && i < d.zones[z].items.len() => {
            d.zones[z].items.remove(i);
        }
        _ => {}
    }
}

/// The form's typing errors, in the page's language.
fn typing_errors(ctx: &Ctx, errs: Vec<(String, &'static str)>) -> Vec<(String, String)> {
    errs.into_iter().map(|(p, k)| (p, ctx.t(k))).collect()
}

/// The API's refusal as (field, message) pairs.
fn api_errors(e: &AppError) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = e
        .detail
        .problems
        .iter()
        .map(|p| (p.field.clone(), p.message.clone()))
        .collect();
    if v.is_empty() {
        v.push((e.detail.field.clone().unwrap_or_default(), e.detail.message.clone()));
    }
    v
}

/// Every button of the editor posts here: save (through the API's create or
/// update, so rights, validation and audit are the API's), or change the
/// draft's lists and show it again — which is how the page works without
/// script.
async fn edit(State(s): State<Arc<AppState>>, p: Posted<Vec<(String, String)>>) -> Response {
    let Posted { web, form } = p;
    let mut d = Draft::from_form(&form);
    let a = action(&form);
    if a != Action::Save {
        apply(&mut d, &a);
        return editor_page(&s, &web, d, Vec::new(), None, None, StatusCode::OK);
    }
    let raw = match d.to_layout() {
        Ok(r) => r,
        Err(errs) => {
            let errs = typing_errors(&web.ctx, errs);
            return editor_page(&s, &web, d, errs, None, None, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let body = LayoutBody {
        name: Some(d.name.clone()),
        layout: Some(raw),
        toml: None,
    };
    let saved = match &d.id {
        Some(id) => update_layout(State(s.clone()), web.who.clone(), AppPath(id.clone()), AppJson(body))
            .await
            .map(|r| r.0),
        None => create_layout(
            State(s.clone()),
            web.who.clone(),
            AppPath(d.unit.clone()),
            AppJson(body),
        )
        .await
        .map(|r| (r.1).0),
    };
    match saved {
        Ok(rec) => see_other(&format!("/layouts/{}?saved={}", rec.id, rec.version)),
        // Another unit's layout, or a unit one may not see: as the API.
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(&web.ctx, e),
        Err(e) => {
            let status = e.status;
            let errs = api_errors(&e);
            editor_page(&s, &web, d, errs, None, None, status)
        }
    }
}

// ---- previews -------------------------------------------------------------

/// The instant a preview shows: the officer's `YYYY-MM-DDTHH:MM` in the
/// board's time zone, or now.
fn instant(at: Option<&str>, tz: Tz) -> DateTime<FixedOffset> {
    let parsed = at.map(str::trim).filter(|a| !a.is_empty()).and_then(|a| {
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(a, f).ok())
    });
    let local = match parsed.and_then(|n| tz.from_local_datetime(&n).earliest()) {
        Some(t) => t,
        None => Utc::now().with_timezone(&tz),
    };
    local.fixed_offset()
}

fn png(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// A preview failure as the manager's error: what happened, in words.
fn preview_error(ctx: &Ctx, e: PreviewError) -> AppError {
    let (status, msg) = match e {
        PreviewError::Missing(looked) => (
            StatusCode::SERVICE_UNAVAILABLE,
            ctx.ta("editor-preview-missing", "looked", &looked),
        ),
        PreviewError::Busy => (StatusCode::SERVICE_UNAVAILABLE, ctx.t("editor-preview-busy")),
        PreviewError::Timeout(sec) => (
            StatusCode::GATEWAY_TIMEOUT,
            ctx.tn("editor-preview-timeout", sec as i64),
        ),
        PreviewError::Failed(why) => (StatusCode::BAD_GATEWAY, ctx.ta("editor-preview-failed", "why", &why)),
        PreviewError::Io(why) => {
            tracing::error!("xem trước (preview): {why}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                ctx.ta("editor-preview-failed", "why", &why),
            )
        }
    };
    let mut err = AppError::unprocessable(msg);
    err.status = status;
    err
}

/// The draft as the board would show it: validated by the API's validate
/// handler, then drawn by the player. A PNG, or an error page.
async fn preview_draft(
    State(s): State<Arc<AppState>>,
    Extension(pv): Extension<Previewer>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { web, form } = p;
    let d = Draft::from_form(&form);
    let at = form.iter().find(|(k, _)| k == "preview_at").map(|(_, v)| v.as_str());
    let raw = match d.to_layout() {
        Ok(r) => r,
        Err(errs) => {
            let problems = typing_errors(&web.ctx, errs);
            return error_page(&web.ctx, problems_error(problems));
        }
    };
    let checked = validate_layout(
        State(s.clone()),
        web.who.clone(),
        AppJson(ValidateBody {
            unit: d.unit.clone(),
            layout: Some(raw.clone()),
            toml: None,
        }),
    )
    .await;
    match checked {
        Err(e) => return error_page(&web.ctx, e),
        Ok(AppJson(v)) if !v.valid => {
            let problems = v.problems.into_iter().map(|p| (p.field, p.message)).collect();
            return error_page(&web.ctx, problems_error(problems));
        }
        Ok(_) => {}
    }
    let at = instant(at, board_tz(&d, web.ctx.tz));
    match preview::render(&s, &pv, &raw, at).await {
        Ok(b) => png(b),
        Err(e) => error_page(&web.ctx, preview_error(&web.ctx, e)),
    }
}

/// Problems as one error whose message lists them (for the error page).
fn problems_error(p: Vec<(String, String)>) -> AppError {
    let msg = p
        .iter()
        .map(|(f, m)| format!("{f}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    AppError::unprocessable(msg)
}

#[derive(Debug, Deserialize)]
struct AtQuery {
    #[serde(default)]
    at: Option<String>,
}

/// A saved version drawn by the player.
async fn preview_version(
    State(s): State<Arc<AppState>>,
    Extension(pv): Extension<Previewer>,
    web: Web,
    Path((id, version)): Path<(String, u32)>,
    Query(q): Query<AtQuery>,
) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    let AppJson(rec) = layout_version(State(s.clone()), web.who.clone(), AppPath((id, version)))
        .await
        .or_page(&ctx)?;
    let d = Draft::from_layout(None, &rec.unit, &rec.name, &rec.layout);
    let at = instant(q.at.as_deref(), board_tz(&d, ctx.tz));
    preview::render(&s, &pv, &rec.layout, at)
        .await
        .map(png)
        .map_err(|e| PageError(ctx.clone(), preview_error(&ctx, e)))
}

// ---- history --------------------------------------------------------------

#[derive(Template)]
#[template(path = "editor/history.html")]
struct HistoryPage {
    ctx: Ctx,
    id: String,
    name: String,
    current: u32,
    /// (version, when saved, title, preview's alt text), newest first.
    versions: Vec<(LayoutSummary, String, String, String)>,
    at: String,
}

async fn history(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    let AppJson(rec) = get_layout(State(s.clone()), web.who.clone(), AppPath(id.clone()))
        .await
        .or_page(&ctx)?;
    let AppJson(mut versions) = layout_versions(State(s.clone()), web.who.clone(), AppPath(id.clone()))
        .await
        .or_page(&ctx)?;
    versions.reverse();
    let d = Draft::from_layout(None, &rec.unit, &rec.name, &rec.layout);
    let at = instant(q.at.as_deref(), board_tz(&d, ctx.tz))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    Ok(render(&HistoryPage {
        versions: versions
            .into_iter()
            .map(|v| {
                let when = ctx.when(&v.updated_at);
                let n = i64::from(v.version);
                let (title, alt) = (ctx.tn("editor-version-n", n), ctx.tn("editor-preview-of", n));
                (v, when, title, alt)
            })
            .collect(),
        id,
        name: rec.name,
        current: rec.version,
        at,
        ctx,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_from_the_button() {
        let a = |v: &str| action(&[("action".to_string(), v.to_string())]);
        assert_eq!(a("save"), Action::Save);
        assert_eq!(a("up:1:2"), Action::Up(1, 2));
        assert_eq!(a("add-item:0:ticker"), Action::AddItem(0, "ticker".into()));
        assert_eq!(a("remove-zone:x"), Action::Refresh);
    }

    #[test]
    fn moving_items_keeps_them_all() {
        let mut d = Draft::default();
        d.zones.push(ZoneDraft::default());
        for k in ["text", "clock", "qr"] {
            apply(&mut d, &Action::AddItem(0, k.into()));
        }
        apply(&mut d, &Action::Up(0, 2));
        apply(&mut d, &Action::Down(0, 0));
        apply(&mut d, &Action::Up(0, 0));
        let kinds: Vec<&str> = d.zones[0].items.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, ["qr", "text", "clock"]);
    }
}
