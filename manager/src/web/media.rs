//! The media library page: list with thumbnails, search and where each file
//! is used; multi-file upload (a plain multipart form without script, one
//! XMLHttpRequest per file with a progress bar with `media.js`); a file's
//! preview and delete. Every read and change goes through the API's own
//! handlers (`crate::api::content`), called in-process, so scoping,
//! probing, limits and audit are the API's.

use super::page::{Ctx, OrPage, PageError, Web, error_page, render, see_other, urlencode};
use crate::api::account::list_units;
use crate::api::content::{UploadQuery, delete_media, get_media, list_media, upload_media};
use crate::error::{AppError, AppJson, AppPath, AppQuery};
use crate::model::{Media, MediaKind, Unit};
use crate::shows::{MediaUsage, media_usage};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// Files one no-script form may carry; more are reported, not stored.
const MAX_FILES: usize = 50;
/// Items per page of the library.
const PER_PAGE: usize = 60;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/media", get(index))
        .route("/media/list", get(list_fragment))
        // The whole form is bounded in the handler (files × the API's
        // per-file limit), not by the JSON limit every route has.
        .route("/media/upload", post(upload).layer(DefaultBodyLimit::disable()))
        .route("/media/{unit}/{sha}", get(detail))
        .route("/media/{unit}/{sha}/delete", post(delete))
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    unit: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    page: Option<usize>,
    deleted: Option<String>,
}

/// A unit the officer may open, for the unit picker.
#[derive(Debug)]
struct UnitChoice {
    code: String,
    name: String,
    selected: bool,
}

/// One file of the list.
#[derive(Debug)]
struct Item {
    name: String,
    kind: &'static str,
    kind_label: String,
    details: String,
    thumb: Option<String>,
    href: String,
    uploaded: String,
    /// "Dùng trong 2 bố cục", when used.
    layouts: Option<String>,
    /// "Đang phát trên 1 bảng", when in a published show.
    boards: Option<String>,
}

/// What became of one file of an upload.
#[derive(Debug)]
struct UploadResult {
    name: String,
    ok: bool,
    message: String,
    href: Option<String>,
}

#[derive(Template, Debug)]
#[template(path = "media/index.html")]
struct IndexPage {
    ctx: Ctx,
    units: Vec<UnitChoice>,
    unit: String,
    unit_name: String,
    can_write: bool,
    q: String,
    kind: String,
    items: Vec<Item>,
    count: String,
    page: usize,
    pages: usize,
    results: Vec<UploadResult>,
    notice: Option<String>,
    qs: String,
    api_upload: String,
    max_bytes: u64,
    too_large: String,
    list_url: String,
}

#[derive(Template, Debug)]
#[template(path = "media/list.html")]
struct ListFragment {
    ctx: Ctx,
    qs: String,
    q: String,
    kind: String,
    items: Vec<Item>,
    count: String,
    page: usize,
    pages: usize,
}

#[derive(Template, Debug)]
#[template(path = "media/detail.html")]
struct DetailPage {
    ctx: Ctx,
    m: Media,
    kind: &'static str,
    facts: Vec<(String, String)>,
    content: String,
    layouts: Vec<(String, String)>,
    boards: Vec<(String, String)>,
    can_write: bool,
    back: String,
    error: Option<String>,
}

/// Lower case, Vietnamese marks and đ folded away: "Ảnh chợ" matches "anh cho".
pub(crate) fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c == 'đ' || c == 'Đ' { 'd' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// "1,2 MB" (Vietnamese decimal comma) / "1.2 MB".
pub(super) fn human_size(ctx: &Ctx, bytes: u64) -> String {
    let (v, unit) = match bytes {
        0..1024 => return format!("{bytes} B"),
        1024..1_048_576 => (bytes as f64 / 1024.0, "KB"),
        1_048_576..1_073_741_824 => (bytes as f64 / 1_048_576.0, "MB"),
        _ => (bytes as f64 / 1_073_741_824.0, "GB"),
    };
    let s = format!("{v:.1} {unit}");
    if ctx.lang.code() == "vi" {
        s.replace('.', ",")
    } else {
        s
    }
}

fn clock_len(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

fn kind_key(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Image => "image",
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
    }
}

/// The list's query string (unit, search, type), URL-encoded.
fn list_qs(unit: &str, q: &ListQuery) -> String {
    format!(
        "unit={}&q={}&kind={}",
        urlencode(unit),
        urlencode(&q.q),
        urlencode(&q.kind)
    )
}

fn api_base(unit: &str, sha: &str) -> String {
    format!("/api/v1/units/{unit}/media/{sha}")
}

fn detail_href(m: &Media) -> String {
    format!("/media/{}/{}", m.unit, m.sha256)
}

/// Type, size, dimensions and duration in one line.
fn details(ctx: &Ctx, m: &Media) -> String {
    let mut parts = vec![human_size(ctx, m.size)];
    if let (Some(w), Some(h)) = (m.width, m.height) {
        parts.push(format!("{w}×{h}"));
    }
    if let Some(d) = m.duration {
        parts.push(clock_len(d));
    }
    parts.join(" · ")
}

fn item(ctx: &Ctx, m: &Media, usage: &MediaUsage) -> Item {
    let kind = kind_key(m.kind);
    Item {
        name: m.name.clone(),
        kind,
        kind_label: ctx.t(&format!("media-kind-{kind}")),
        details: details(ctx, m),
        thumb: m
            .has_thumbnail
            .then(|| format!("{}/thumbnail", api_base(&m.unit, &m.sha256))),
        href: detail_href(m),
        uploaded: ctx.short(&m.uploaded_at),
        layouts: usage
            .layouts
            .get(&m.sha256)
            .map(|l| ctx.tn("media-in-layouts", l.len() as i64)),
        boards: usage
            .boards
            .get(&m.sha256)
            .map(|b| ctx.tn("media-on-boards", b.len() as i64)),
    }
}

/// The unit's time zone for the page's times.
fn with_unit_tz(mut ctx: Ctx, units: &[Unit], unit: &str) -> Ctx {
    if let Some(tz) = units
        .iter()
        .find(|u| u.code == unit)
        .and_then(|u| u.timezone.parse().ok())
    {
        ctx.tz = tz;
    }
    ctx
}

/// Everything the list shows, for `unit` (404 through the API's own
/// scoping when the officer may not read it).
struct Listing {
    units: Vec<Unit>,
    unit: String,
    ctx: Ctx,
    items: Vec<Item>,
    total: usize,
    page: usize,
    pages: usize,
}

async fn listing(s: &Arc<AppState>, web: &Web, q: &ListQuery) -> Result<Listing, PageError> {
    let ctx = &web.ctx;
    let AppJson(units) = list_units(State(s.clone()), web.who.clone()).await.or_page(ctx)?;
    // Without a choice: the first unit the officer may change, else the
    // first one they may see.
    let unit = match q.unit.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => units
            .iter()
            .find(|u| web.who.can_write(&u.code))
            .or(units.first())
            .map(|u| u.code.clone())
            .ok_or_else(|| PageError(ctx.clone(), AppError::not_found("đơn vị")))?,
    };
    let AppJson(mut all) = list_media(State(s.clone()), web.who.clone(), AppPath(unit.clone()))
        .await
        .or_page(ctx)?;
    let usage = {
        let (s2, u2) = (s.clone(), unit.clone());
        tokio::task::spawn_blocking(move || media_usage(&s2, &u2))
            .await
            .map_err(AppError::internal)
            .and_then(|r| r.map_err(AppError::from))
            .or_page(ctx)?
    };
    let needle = fold(q.q.trim());
    all.retain(|m| {
        (needle.is_empty() || fold(&m.name).contains(&needle) || m.sha256.starts_with(&needle))
            && (q.kind.is_empty() || kind_key(m.kind) == q.kind)
    });
    all.sort_by(|a, b| b.uploaded_at.cmp(&a.uploaded_at).then_with(|| a.name.cmp(&b.name)));
    let total = all.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let ctx = with_unit_tz(ctx.clone(), &units, &unit);
    let items = all
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|m| item(&ctx, m, &usage))
        .collect();
    Ok(Listing {
        units,
        unit,
        ctx,
        items,
        total,
        page,
        pages,
    })
}

fn index_page(s: &AppState, web: &Web, q: &ListQuery, l: Listing, results: Vec<UploadResult>) -> IndexPage {
    let unit_name = l
        .units
        .iter()
        .find(|u| u.code == l.unit)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| l.unit.clone());
    let notice = q.deleted.as_deref().map(|name| l.ctx.ta("media-deleted", "name", name));
    IndexPage {
        units: l
            .units
            .iter()
            .map(|u| UnitChoice {
                code: u.code.clone(),
                name: u.name.clone(),
                selected: u.code == l.unit,
            })
            .collect(),
        can_write: web.who.can_write(&l.unit),
        api_upload: format!("/api/v1/units/{}/media", l.unit),
        max_bytes: s.cfg.max_upload_bytes,
        too_large: AppError::too_large(s.cfg.max_upload_bytes).detail.message,
        list_url: format!("/media/list?{}", list_qs(&l.unit, q)),
        qs: list_qs(&l.unit, q),
        unit: l.unit,
        unit_name,
        q: q.q.clone(),
        kind: q.kind.clone(),
        count: l.ctx.tn("media-count", l.total as i64),
        items: l.items,
        page: l.page,
        pages: l.pages,
        results,
        notice,
        ctx: l.ctx,
    }
}

/// GET /media?unit=&q=&kind=&page=
pub async fn index(
    State(s): State<Arc<AppState>>,
    web: Web,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let l = listing(&s, &web, &q).await?;
    Ok(render(&index_page(&s, &web, &q, l, Vec::new())))
}

/// GET /media/list: the list alone, for htmx's search and for `media.js`
/// after uploads.
pub async fn list_fragment(
    State(s): State<Arc<AppState>>,
    web: Web,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let l = listing(&s, &web, &q).await?;
    Ok(render(&ListFragment {
        qs: list_qs(&l.unit, &q),
        count: l.ctx.tn("media-count", l.total as i64),
        ctx: l.ctx,
        q: q.q.clone(),
        kind: q.kind.clone(),
        items: l.items,
        page: l.page,
        pages: l.pages,
    }))
}

/// Only the last part of a path some browsers send as the file name.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).trim().to_string()
}

/// Feeds one multipart file through the API's own upload handler, streamed:
/// the field's chunks go into the handler's body through a small channel.
/// When the handler answers early (refused), the rest of the field is read
/// and thrown away so the next file can be reached.
async fn feed_one(
    s: &Arc<AppState>,
    web: &Web,
    unit: &str,
    name: String,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<Result<(StatusCode, Media), AppError>, axum::extract::multipart::MultipartError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let up = async {
        upload_media(
            State(s.clone()),
            web.who.clone(),
            AppPath(unit.to_string()),
            AppQuery(UploadQuery { name }),
            HeaderMap::new(),
            body,
        )
        .await
        .map(|(st, AppJson(m))| (st, m))
    };
    let pump = async move {
        let mut tx = Some(tx);
        loop {
            match field.chunk().await {
                Ok(Some(b)) => {
                    if let Some(t) = &tx
                        && t.send(Ok(b)).await.is_err()
                    {
                        tx = None;
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    if let Some(t) = &tx {
                        let _ = t.send(Err(std::io::Error::other(e.to_string()))).await;
                    }
                    return Err(e);
                }
            }
        }
    };
    let (r, p) = tokio::join!(up, pump);
    p?;
    Ok(r)
}

/// POST /media/upload (multipart/form-data: `_csrf`, `unit`, then `files`
/// repeated): each file through the API's upload, a result per file.
pub async fn upload(State(s): State<Arc<AppState>>, web: Web, req: Request) -> Result<Response, PageError> {
    let ctx = web.ctx.clone();
    // The whole form: every file at the API's limit, plus the small fields.
    let bound = s
        .cfg
        .max_upload_bytes
        .saturating_mul(MAX_FILES as u64)
        .saturating_add(1 << 20);
    let (parts, body) = req.into_parts();
    let limited = Body::new(http_body_util::Limited::new(
        body,
        usize::try_from(bound).unwrap_or(usize::MAX),
    ));
    let mut mp = Multipart::from_request(Request::from_parts(parts, limited), &s)
        .await
        .map_err(|e| {
            PageError(
                ctx.clone(),
                AppError::bad_request(format!("biểu mẫu không hợp lệ (bad form): {e}")),
            )
        })?;
    let mut csrf_ok = web.csrf_header_ok;
    let mut unit: Option<String> = None;
    let mut results = Vec::new();
    let mut first_error: Option<StatusCode> = None;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                results.push(UploadResult {
                    name: String::new(),
                    ok: false,
                    message: format!("{} ({e})", ctx.t("media-upload-cut")),
                    href: None,
                });
                first_error.get_or_insert(StatusCode::BAD_REQUEST);
                break;
            }
        };
        match field.name().unwrap_or_default() {
            "_csrf" => {
                let v = field.text().await.unwrap_or_default();
                csrf_ok |= v == ctx.csrf;
            }
            "unit" => unit = field.text().await.ok(),
            "files" => {
                // The token must come before any file: nothing is stored
                // for a forged form.
                if !csrf_ok {
                    return Err(PageError(
                        ctx,
                        AppError::forbidden("thiếu hoặc sai mã chống giả mạo (missing or wrong CSRF token)"),
                    ));
                }
                let Some(unit) = unit.clone() else {
                    return Err(PageError(
                        ctx,
                        AppError::bad_request("thiếu đơn vị (unit missing)").field("unit"),
                    ));
                };
                let name = base_name(field.file_name().unwrap_or_default());
                if name.is_empty() {
                    // An empty file input still sends one nameless part.
                    while let Ok(Some(_)) = field.chunk().await {}
                    continue;
                }
                if results.len() >= MAX_FILES {
                    while let Ok(Some(_)) = field.chunk().await {}
                    results.push(UploadResult {
                        message: ctx.tn("media-too-many", MAX_FILES as i64),
                        name,
                        ok: false,
                        href: None,
                    });
                    continue;
                }
                match feed_one(&s, &web, &unit, name.clone(), &mut field).await {
                    Ok(Ok((st, m))) => results.push(UploadResult {
                        message: if st == StatusCode::CREATED {
                            ctx.t("media-upload-ok")
                        } else {
                            ctx.ta("media-upload-dup", "name", &m.name)
                        },
                        href: Some(detail_href(&m)),
                        name,
                        ok: true,
                    }),
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e.status);
                        results.push(UploadResult {
                            name,
                            ok: false,
                            message: e.detail.message,
                            href: None,
                        });
                    }
                    Err(e) => {
                        first_error.get_or_insert(StatusCode::BAD_REQUEST);
                        results.push(UploadResult {
                            name,
                            ok: false,
                            message: format!("{} ({e})", ctx.t("media-upload-cut")),
                            href: None,
                        });
                        break;
                    }
                }
            }
            _ => while let Ok(Some(_)) = field.chunk().await {},
        }
    }
    if !csrf_ok {
        return Err(PageError(
            ctx,
            AppError::forbidden("thiếu hoặc sai mã chống giả mạo (missing or wrong CSRF token)"),
        ));
    }
    if results.is_empty() {
        results.push(UploadResult {
            name: String::new(),
            ok: false,
            message: ctx.t("media-upload-none"),
            href: None,
        });
        first_error.get_or_insert(StatusCode::BAD_REQUEST);
    }
    let q = ListQuery {
        unit: unit.clone(),
        ..ListQuery::default()
    };
    let l = listing(&s, &web, &q).await?;
    let any_ok = results.iter().any(|r| r.ok);
    let mut r = render(&index_page(&s, &web, &q, l, results));
    // Some stored: 200 with the list; none: the first refusal's status.
    if !any_ok && let Some(st) = first_error {
        *r.status_mut() = st;
    }
    Ok(r)
}

async fn detail_page(s: &Arc<AppState>, web: &Web, unit: String, sha: String) -> Result<DetailPage, PageError> {
    let AppJson(m) = get_media(State(s.clone()), web.who.clone(), AppPath((unit.clone(), sha.clone())))
        .await
        .or_page(&web.ctx)?;
    let AppJson(units) = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?;
    let ctx = with_unit_tz(web.ctx.clone(), &units, &unit);
    let mut usage = {
        let (s2, u2) = (s.clone(), unit.clone());
        tokio::task::spawn_blocking(move || media_usage(&s2, &u2))
            .await
            .map_err(AppError::internal)
            .and_then(|r| r.map_err(AppError::from))
            .or_page(&ctx)?
    };
    let kind = kind_key(m.kind);
    let mut facts = vec![
        (
            ctx.t("media-fact-kind"),
            format!("{} ({})", ctx.t(&format!("media-kind-{kind}")), m.mime),
        ),
        (ctx.t("media-fact-size"), human_size(&ctx, m.size)),
    ];
    if let (Some(w), Some(h)) = (m.width, m.height) {
        facts.push((ctx.t("media-fact-dimensions"), format!("{w}×{h}")));
    }
    if let Some(d) = m.duration {
        facts.push((ctx.t("media-fact-duration"), clock_len(d)));
    }
    if let Some(c) = &m.codec {
        facts.push((ctx.t("media-fact-codec"), c.clone()));
    }
    facts.push((
        ctx.t("media-fact-uploaded"),
        format!("{} — {}", ctx.when(&m.uploaded_at), m.uploaded_by),
    ));
    facts.push(("SHA-256".into(), m.sha256.clone()));
    Ok(DetailPage {
        kind,
        facts,
        content: format!("{}/content", api_base(&unit, &sha)),
        layouts: usage.layouts.remove(&sha).unwrap_or_default(),
        boards: usage.boards.remove(&sha).unwrap_or_default(),
        can_write: web.who.can_write(&unit),
        back: format!("/media?unit={}", urlencode(&unit)),
        error: None,
        m,
        ctx,
    })
}

/// GET /media/{unit}/{sha}: preview, facts, where used, delete.
pub async fn detail(
    State(s): State<Arc<AppState>>,
    web: Web,
    axum::extract::Path((unit, sha)): axum::extract::Path<(String, String)>,
) -> Result<Response, PageError> {
    Ok(render(&detail_page(&s, &web, unit, sha).await?))
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// POST /media/{unit}/{sha}/delete: the API's delete; refused → the page
/// again with the manager's reason.
pub async fn delete(
    State(s): State<Arc<AppState>>,
    axum::extract::Path((unit, sha)): axum::extract::Path<(String, String)>,
    p: super::page::Posted<Empty>,
) -> Result<Response, PageError> {
    let web = p.web;
    // The name for the notice (and the API's 404 for others' files).
    let AppJson(m) = get_media(State(s.clone()), web.who.clone(), AppPath((unit.clone(), sha.clone())))
        .await
        .or_page(&web.ctx)?;
    match delete_media(State(s.clone()), web.who.clone(), AppPath((unit.clone(), sha.clone()))).await {
        Ok(_) => Ok(see_other(&format!(
            "/media?unit={}&deleted={}",
            urlencode(&unit),
            urlencode(&m.name)
        ))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let mut page = detail_page(&s, &web, unit, sha).await?;
            page.error = Some(e.detail.message);
            let mut r = render(&page);
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Ok(error_page(&web.ctx, e).into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::{base_name, fold};

    #[test]
    fn search_ignores_case_and_vietnamese_marks() {
        assert_eq!(fold("Ảnh Chợ ĐÊM.png"), "anh cho dem.png");
        assert!(fold("Thông báo bão số 3").contains(&fold("bao so")));
    }

    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(base_name("C:\\Users\\x\\ảnh.png"), "ảnh.png");
        assert_eq!(base_name("a/b/c.mp4"), "c.mp4");
        assert_eq!(base_name("plain.jpg"), "plain.jpg");
    }
}
