//! What every page shares: who asks and in which language ([`Web`]), the
//! forms they post ([`Posted`], CSRF-checked), the page frame, error pages
//! and Vietnamese dates.

use super::assets;
use super::i18n::{LANG_COOKIE, Lang, text};
use crate::auth::{CSRF_HEADER, Officer, cookie_value, session_cookie, session_officer};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use fluent_bundle::FluentValue;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The page's context: language, the signed-in officer (if any), the CSRF
/// token forms carry, the path (for the navigation) and the time zone.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<Officer>,
    pub csrf: String,
    pub path: String,
    pub tz: Tz,
}

/// A navigation entry: (path, catalogue key).
pub const NAV: &[(&str, &str)] = &[
    ("/boards", "nav-boards"),
    ("/media", "nav-media"),
    ("/layouts", "editor-nav"),
    ("/schedules", "nav-schedules"),
    ("/info", "nav-info"),
    ("/speakers", "nav-speakers"),
    ("/reports", "nav-reports"),
    ("/admin", "nav-admin"),
];

impl Ctx {
    /// A catalogue string.
    pub fn t(&self, key: &str) -> String {
        text(self.lang, key, &[])
    }

    /// A catalogue string with a number `$n`.
    pub fn tn(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        text(self.lang, key, &[("n", FluentValue::from(*n.borrow()))])
    }

    /// A catalogue string with one named text argument.
    pub fn ta(&self, key: &str, name: &str, value: &str) -> String {
        text(self.lang, key, &[(name, FluentValue::from(value.to_string()))])
    }

    /// A catalogue string with several named text arguments.
    pub fn targs(&self, key: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(&str, FluentValue)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(v.to_string())))
            .collect();
        text(self.lang, key, &args)
    }

    /// "Trang 2 / 7".
    pub fn page_of(&self, page: impl std::borrow::Borrow<usize>, pages: impl std::borrow::Borrow<usize>) -> String {
        text(
            self.lang,
            "page-of",
            &[
                ("page", FluentValue::from(*page.borrow())),
                ("pages", FluentValue::from(*pages.borrow())),
            ],
        )
    }

    /// The long-cache URL of a static file.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(Officer::is_admin)
    }

    pub fn user_name(&self) -> String {
        self.user
            .as_ref()
            .map(|o| o.user.display_name.clone())
            .unwrap_or_default()
    }

    /// The navigation, with the current section marked.
    pub fn nav(&self) -> Vec<(&'static str, String, bool)> {
        NAV.iter()
            .filter(|(p, _)| *p != "/admin" || self.is_admin())
            .map(|(p, k)| {
                (
                    *p,
                    self.t(k),
                    self.path == *p || self.path.starts_with(&format!("{p}/")),
                )
            })
            .collect()
    }

    /// "Thứ Hai, 23/11/2026 — 14:05" in the page's time zone.
    pub fn when(&self, t: &DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        format!(
            "{}, {} — {}",
            self.t(&format!("weekday-{}", l.weekday().num_days_from_sunday())),
            l.format("%d/%m/%Y"),
            l.format("%H:%M")
        )
    }

    /// "23/11 14:05" in the page's time zone.
    pub fn short(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%d/%m %H:%M").to_string()
    }

    /// "14:05:09" in the page's time zone.
    pub fn clock(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%H:%M:%S").to_string()
    }

    /// "3 phút trước", or "chưa bao giờ".
    pub fn ago(&self, t: Option<&DateTime<Utc>>) -> String {
        let Some(t) = t else { return self.t("never") };
        let s = (Utc::now() - *t).num_seconds().max(0);
        match s {
            0..60 => self.t("ago-now"),
            60..3600 => self.tn("ago-minutes", s / 60),
            3600..86400 => self.tn("ago-hours", s / 3600),
            _ => self.tn("ago-days", s / 86400),
        }
    }

    /// A duration: "12 phút", "3 giờ", "2 ngày".
    pub fn span(&self, seconds: i64) -> String {
        match seconds.max(0) {
            s @ 0..3600 => self.tn("for-minutes", (s / 60).max(1)),
            s @ 3600..86400 => self.tn("for-hours", s / 3600),
            s => self.tn("for-days", s / 86400),
        }
    }
}

fn lang_of(parts: &Parts) -> Lang {
    cookie_value(parts, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

fn tz_of(state: &AppState) -> Tz {
    state.cfg.timezone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}

/// The page context for someone not signed in.
pub fn anonymous(parts: &Parts, state: &AppState) -> Ctx {
    Ctx {
        lang: lang_of(parts),
        user: None,
        csrf: String::new(),
        path: parts.uri.path().to_string(),
        tz: tz_of(state),
    }
}

fn is_htmx(parts: &Parts) -> bool {
    parts.headers.contains_key("hx-request")
}

/// Where to go to sign in, coming back here afterwards. htmx requests get
/// `HX-Redirect`, so the login page replaces the whole page, not a part.
fn to_login(parts: &Parts) -> Response {
    let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let to = format!("/login?next={}", urlencode(next));
    if is_htmx(parts) {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        Redirect::to(&to).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A signed-in officer on a page: the same session, rights and request
/// limits as the API. Not signed in → the sign-in page; an account whose
/// password an administrator set → the password page first.
#[derive(Debug, Clone)]
pub struct Web {
    pub who: Officer,
    pub ctx: Ctx,
    /// The request carried the right `X-CSRF-Token` header (htmx does).
    pub csrf_header_ok: bool,
}

impl FromRequestParts<Arc<AppState>> for Web {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let mut ctx = anonymous(parts, state);
        let Some(sid) = session_cookie(parts) else {
            return Err(to_login(parts));
        };
        let who = match session_officer(state, sid) {
            Ok(w) => w,
            Err(e) if e.status == StatusCode::UNAUTHORIZED => return Err(to_login(parts)),
            Err(e) => return Err(error_page(&ctx, e)),
        };
        if who.user.must_change_password && parts.uri.path() != "/password" && parts.uri.path() != "/logout" {
            return Err(Redirect::to("/password").into_response());
        }
        let csrf = who.csrf.clone().unwrap_or_default();
        let csrf_header_ok = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == csrf);
        ctx.csrf = csrf;
        ctx.user = Some(who.clone());
        Ok(Web {
            who,
            ctx,
            csrf_header_ok,
        })
    }
}

/// A posted form (`application/x-www-form-urlencoded`, repeated keys for
/// lists) from a signed-in officer, whose CSRF token — the `_csrf` field,
/// or the header htmx sends — matched the session's.
#[derive(Debug)]
pub struct Posted<T> {
    pub web: Web,
    pub form: T,
}

/// Largest form body, bytes (uploads go to the media routes).
const FORM_LIMIT: usize = 256 * 1024;

impl<T: DeserializeOwned + Send> FromRequest<Arc<AppState>> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let web = Web::from_request_parts(&mut parts, state).await?;
        if parts.method == Method::GET {
            return Err(StatusCode::METHOD_NOT_ALLOWED.into_response());
        }
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| error_page(&web.ctx, AppError::too_large(FORM_LIMIT as u64)))?;
        let sent = serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|kv| kv.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v));
        if !(web.csrf_header_ok || sent.as_deref() == Some(web.ctx.csrf.as_str())) {
            return Err(error_page(
                &web.ctx,
                AppError::forbidden("thiếu hoặc sai mã chống giả mạo (missing or wrong CSRF token)"),
            ));
        }
        let form = serde_html_form::from_bytes::<T>(&bytes).map_err(|e| {
            error_page(
                &web.ctx,
                AppError::bad_request(format!("biểu mẫu không hợp lệ (bad form): {e}")),
            )
        })?;
        Ok(Posted { web, form })
    }
}

/// Render a template as a page.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    title: String,
    message: String,
    field: Option<String>,
}

/// An error as a page: the manager's own message (Vietnamese with its
/// English meaning) and the field it names, with the API's status.
pub fn error_page(ctx: &Ctx, e: AppError) -> Response {
    let title = match e.status {
        StatusCode::NOT_FOUND => ctx.t("not-found-title"),
        StatusCode::FORBIDDEN => ctx.t("forbidden-title"),
        _ => ctx.t("error-title"),
    };
    let message = if e.status == StatusCode::NOT_FOUND {
        format!("{} ({})", ctx.t("not-found-text"), e.detail.message)
    } else {
        e.detail.message.clone()
    };
    let mut r = render(&ErrorPage {
        ctx,
        title,
        message,
        field: e.detail.field.clone(),
    });
    *r.status_mut() = e.status;
    if let Some(s) = e.retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    r
}

/// A page's error: renders itself as an error page.
#[derive(Debug)]
pub struct PageError(pub Ctx, pub AppError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&self.0, self.1)
    }
}

/// Attach the page context to a domain error.
pub trait OrPage<T> {
    fn or_page(self, ctx: &Ctx) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, ctx: &Ctx) -> Result<T, PageError> {
        self.map_err(|e| PageError(ctx.clone(), e.into()))
    }
}

/// Errors of a form, shown at their fields: the validator's problems
/// (`field` → message) and one general message.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub general: Option<String>,
    pub fields: Vec<(String, String)>,
}

impl FormErrors {
    pub fn from_error(e: &AppError) -> FormErrors {
        let mut fields: Vec<(String, String)> = e
            .detail
            .problems
            .iter()
            .map(|p| (p.field.clone(), p.message.clone()))
            .collect();
        if let Some(f) = &e.detail.field {
            fields.push((f.clone(), e.detail.message.clone()));
        }
        FormErrors {
            general: Some(e.detail.message.clone()),
            fields,
        }
    }

    pub fn message(msg: impl Into<String>) -> FormErrors {
        FormErrors {
            general: Some(msg.into()),
            fields: Vec::new(),
        }
    }

    /// The message for `field`, if it has one.
    pub fn at(&self, field: &str) -> Option<String> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone())
    }

    pub fn any(&self) -> bool {
        self.general.is_some() || !self.fields.is_empty()
    }
}

/// Back to `to` after a change (htmx follows `HX-Location` for a partial
/// request; without script, a 303 See Other).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
