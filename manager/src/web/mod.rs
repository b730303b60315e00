//! The officers' web UI, served by the manager at `/` beside `/api/…`:
//! server-rendered pages (askama templates) with htmx for partial updates
//! and a few small scripts of our own. Every change goes through the same
//! functions as the API — the very handlers, called in-process — so rights,
//! validation, audit and request limits are one set of rules.

// A page's error carries the page context to render itself with; it is
// the rare path, and its size does not matter next to rendering a page.
#![allow(clippy::result_large_err)]

mod admin;
pub mod assets;
mod boards;
mod editor;
pub mod i18n;
mod info;
mod login;
mod media;
pub mod page;
mod reports;
mod schedules;
mod speakers;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy of every response: scripts and styles only
/// from our own origin (no inline script, no `eval`), no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                       media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                       base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The UI's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/boards") }))
        .route("/static/{name}", get(assets::serve))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/password", get(login::password_form).post(login::password_submit))
        .route("/lang/{code}", get(login::switch_lang))
        .merge(boards::routes())
        .merge(schedules::routes())
        .merge(media::routes())
        .merge(admin::routes())
        .merge(reports::routes())
        .merge(info::routes())
        .merge(speakers::routes())
        .merge(editor::routes())
}

/// Headers every response carries.
pub fn security_headers<S: Clone + Send + Sync + 'static>(r: Router<S>) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    r.layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// A path that is not a route: an HTML page for browsers, JSON under
/// `/api/`.
pub async fn not_found(
    axum::extract::State(s): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, _) = req.into_parts();
    if parts.uri.path().starts_with("/api/") {
        return crate::error::AppError::not_found("đường dẫn API (route)").into_response();
    }
    let ctx = page::anonymous(&parts, &s);
    page::error_page(&ctx, crate::error::AppError::not_found(parts.uri.path()))
}
