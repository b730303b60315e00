//! Administration (issue #13, page 10): administrative units, accounts,
//! API tokens, the province's source systems, the audit log and backups.
//!
//! Every read and change calls the API's own handler in-process, so the
//! rights (administrators only: `Officer::admin`, the API's check), the
//! validation, the audit entries and the "shown once" secrets are exactly
//! the API's. The one page open to every officer is their own API tokens,
//! because the API lets everyone hold tokens.

mod audit;
mod backups;
mod sources;
mod tokens;
mod units;
mod users;

use super::page::{Ctx, OrPage, PageError, Web};
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

/// The administration's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/units", get(units::page).post(units::create))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}", get(users::page))
        .route("/admin/users/{id}/access", post(users::access))
        .route("/admin/users/{id}/password", post(users::password))
        .route("/admin/users/{id}/disabled", post(users::disabled))
        .route("/admin/tokens", get(tokens::page).post(tokens::create))
        .route("/admin/tokens/revoke", post(tokens::revoke_by_id))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/sources", get(sources::page).post(sources::create))
        .route("/admin/sources/{id}/key", post(sources::rotate))
        .route("/admin/sources/{id}/disabled", post(sources::disabled))
        .route("/admin/audit", get(audit::page))
        .route("/admin/backups", get(backups::page).post(backups::create))
}

/// `/admin`: the accounts for administrators; others are refused as the
/// API refuses them.
async fn home(web: Web) -> Result<Response, PageError> {
    admin_only(&web)?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// The API's own rule for administrators' routes (403 for others).
pub(super) fn admin_only(web: &Web) -> Result<(), PageError> {
    web.who.admin().or_page(&web.ctx)
}

/// A tab of the administration's own navigation.
#[derive(Debug, Clone)]
pub struct Tab {
    pub href: &'static str,
    pub label: String,
    pub here: bool,
}

const TABS: &[(&str, &str, bool)] = &[
    ("/admin/units", "admin-tab-units", true),
    ("/admin/users", "admin-tab-users", true),
    ("/admin/tokens", "admin-tab-tokens", false),
    ("/admin/sources", "admin-tab-sources", true),
    ("/admin/audit", "admin-tab-audit", true),
    ("/admin/backups", "admin-tab-backups", true),
];

/// The tabs this officer may use (tokens only, for non-administrators).
pub(super) fn tabs(ctx: &Ctx, here: &str) -> Vec<Tab> {
    TABS.iter()
        .filter(|(_, _, admin)| !admin || ctx.is_admin())
        .map(|(href, key, _)| Tab {
            href,
            label: ctx.t(key),
            here: *href == here,
        })
        .collect()
}

/// `?done=…`: what the last change did, for the notice after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: Option<String>,
}

/// A page with the status of the error it shows.
pub(super) fn with_status(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r
}

/// Checkbox lists post a key per ticked box, or nothing at all.
pub(super) fn ticked(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A unit to pick in a form: code, "code — name", ticked.
#[derive(Debug, Clone)]
pub struct Pick {
    pub code: String,
    pub label: String,
    pub on: bool,
}

pub(super) fn picks(units: &[crate::model::Unit], chosen: &[String]) -> Vec<Pick> {
    let mut v: Vec<Pick> = units
        .iter()
        .map(|u| Pick {
            code: u.code.clone(),
            label: format!("{} — {}", u.code, u.name),
            on: chosen.contains(&u.code),
        })
        .collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v
}
