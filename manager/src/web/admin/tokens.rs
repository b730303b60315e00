//! The signed-in officer's own API tokens (every officer may hold them, as
//! in the API): create — the token is in the answer to that one request and
//! nowhere else —, revoke; administrators may revoke anyone's by id (the
//! API allows it; the ids are in the audit log, `token.create`).

use super::{Done, Tab, tabs, with_status};
use crate::api::account::{CreatedToken, NewToken, create_token, delete_token, list_tokens};
use crate::error::{AppJson, AppPath};
use crate::model::ApiToken;
use crate::state::AppState;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    tokens: Vec<ApiToken>,
    /// The token just created: shown in this answer only.
    created: Option<CreatedToken>,
    name: String,
    errors: FormErrors,
    /// Errors of the administrators' revoke-by-id form.
    revoke_errors: FormErrors,
    revoke_id: String,
    done: Option<String>,
}

#[derive(Default)]
struct Extra {
    created: Option<CreatedToken>,
    name: String,
    errors: FormErrors,
    revoke_errors: FormErrors,
    revoke_id: String,
    done: Option<String>,
}

async fn page_of(s: &Arc<AppState>, web: Web, x: Extra) -> Result<Response, PageError> {
    let mut tokens = list_tokens(State(s.clone()), web.who.clone())
        .await
        .or_page(&web.ctx)?
        .0;
    tokens.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    let done = x.done.as_deref().and_then(|d| match d {
        "revoked" => Some(web.ctx.t("admin-token-revoked")),
        _ => None,
    });
    let secret = x.created.is_some();
    let mut r = render(&TokensPage {
        tabs: tabs(&web.ctx, "/admin/tokens"),
        ctx: web.ctx,
        tokens,
        created: x.created,
        name: x.name,
        errors: x.errors,
        revoke_errors: x.revoke_errors,
        revoke_id: x.revoke_id,
        done,
    });
    if secret {
        // A token in the page: not to be kept by any cache.
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(r)
}

pub async fn page(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<Done>) -> Result<Response, PageError> {
    page_of(
        &s,
        web,
        Extra {
            done: q.done,
            ..Extra::default()
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// A new token through `POST /api/v1/tokens`' handler. The answer shows
/// it once; a later look at the list has only its name.
pub async fn create(State(s): State<Arc<AppState>>, p: Posted<NameForm>) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    match create_token(
        State(s.clone()),
        web.who.clone(),
        AppJson(NewToken {
            name: form.name.trim().to_string(),
        }),
    )
    .await
    {
        Ok((status, AppJson(created))) => {
            let r = page_of(
                &s,
                web,
                Extra {
                    created: Some(created),
                    ..Extra::default()
                },
            )
            .await?;
            Ok(with_status(r, status))
        }
        Err(e) => {
            let status = e.status;
            let r = page_of(
                &s,
                web,
                Extra {
                    name: form.name,
                    errors: FormErrors::from_error(&e),
                    ..Extra::default()
                },
            )
            .await?;
            Ok(with_status(r, status))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// Revoke one of the list's tokens.
pub async fn revoke(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<Empty>,
) -> Result<Response, PageError> {
    let web = p.web;
    delete_token(State(s), web.who.clone(), AppPath(id))
        .await
        .or_page(&web.ctx)?;
    Ok(see_other("/admin/tokens?done=revoked"))
}

#[derive(Debug, Default, Deserialize)]
pub struct IdForm {
    #[serde(default)]
    id: String,
}

/// Revoke a token by id: one's own, or (administrators) anyone's — the
/// API decides; an id it does not let one see is "not found" at the field.
pub async fn revoke_by_id(State(s): State<Arc<AppState>>, p: Posted<IdForm>) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let id = form.id.trim().to_string();
    match delete_token(State(s.clone()), web.who.clone(), AppPath(id)).await {
        Ok(_) => Ok(see_other("/admin/tokens?done=revoked")),
        Err(e) => {
            let status = e.status;
            let mut errors = FormErrors::from_error(&e);
            if status == StatusCode::NOT_FOUND {
                errors.fields.push(("id".into(), web.ctx.t("admin-token-not-found")));
            }
            let r = page_of(
                &s,
                web,
                Extra {
                    revoke_errors: errors,
                    revoke_id: form.id,
                    ..Extra::default()
                },
            )
            .await?;
            Ok(with_status(r, status))
        }
    }
}
