//! Sign in and out, the first-login password change, the language switch.

use super::i18n::{LANG_COOKIE, Lang};
use super::page::{Ctx, FormErrors, Posted, Web, anonymous, render, see_other};
use crate::api::account::{LoginRequest, UserPatch, login as api_login, logout as api_logout, update_user};
use crate::auth::ClientIp;
use crate::error::{AppJson, AppPath};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    username: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only our own paths: `next` must not send an officer to another site.
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/boards".to_string(),
    }
}

pub async fn form(State(s): State<Arc<AppState>>, Query(q): Query<Next>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    render(&LoginPage {
        ctx: anonymous(&parts, &s),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        errors: FormErrors::default(),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Signs in through the API's own login (same limits, same audit), then
/// carries its session cookie over to a redirect.
pub async fn submit(State(s): State<Arc<AppState>>, ip: ClientIp, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = anonymous(&parts, &s);
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let Ok(f) = serde_html_form::from_bytes::<LoginForm>(&bytes) else {
        return (StatusCode::BAD_REQUEST, "bad form").into_response();
    };
    let next = safe_next(f.next.as_deref());
    let r = api_login(
        State(s.clone()),
        ip,
        AppJson(LoginRequest {
            username: f.username.clone(),
            password: f.password,
        }),
    )
    .await;
    match r {
        Ok(ok) => {
            let mut to = see_other(&next);
            if let Some(c) = ok.headers().get(header::SET_COOKIE) {
                to.headers_mut().insert(header::SET_COOKIE, c.clone());
            }
            to
        }
        Err(e) => {
            let status = e.status;
            let mut r = render(&LoginPage {
                ctx,
                next,
                username: f.username,
                errors: FormErrors::from_error(&e),
            });
            *r.status_mut() = status;
            r
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

pub async fn logout(State(s): State<Arc<AppState>>, req_headers: axum::http::HeaderMap, p: Posted<Empty>) -> Response {
    if let Some(sid) = crate::auth::header_cookie(&req_headers, crate::auth::SESSION_COOKIE) {
        let who = crate::auth::SessionOfficer {
            officer: p.web.who,
            session_hash: crate::accounts::secret_hash(sid),
        };
        let _ = api_logout(State(s), who).await;
    }
    let mut r = see_other("/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bangtin_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: Ctx,
    must: bool,
    errors: FormErrors,
    done: bool,
}

pub async fn password_form(web: Web) -> Response {
    render(&PasswordPage {
        must: web.who.user.must_change_password,
        ctx: web.ctx,
        errors: FormErrors::default(),
        done: false,
    })
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    password: String,
    repeat: String,
}

/// The officer's own password, through the API's account change (same
/// password policy, same audit); clears the must-change mark.
pub async fn password_submit(State(s): State<Arc<AppState>>, p: Posted<PasswordForm>) -> Response {
    let Posted { web, form } = p;
    let must = web.who.user.must_change_password;
    if form.password != form.repeat {
        let mut errors = FormErrors::message(web.ctx.t("password-mismatch"));
        errors.fields.push(("repeat".into(), web.ctx.t("password-mismatch")));
        let mut r = render(&PasswordPage {
            ctx: web.ctx,
            must,
            errors,
            done: false,
        });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    let id = web.who.user.id.clone();
    let r = update_user(
        State(s),
        web.who.clone(),
        AppPath(id),
        AppJson(UserPatch {
            display_name: None,
            password: Some(form.password),
            role: None,
            units: None,
            disabled: None,
        }),
    )
    .await;
    match r {
        Ok(_) if must => see_other("/boards"),
        Ok(_) => render(&PasswordPage {
            ctx: web.ctx,
            must: false,
            errors: FormErrors::default(),
            done: true,
        }),
        Err(e) => {
            let status = e.status;
            let mut errors = FormErrors::from_error(&e);
            if errors.fields.is_empty() {
                errors.fields.push(("password".into(), e.detail.message.clone()));
            }
            let mut r = render(&PasswordPage {
                ctx: web.ctx,
                must,
                errors,
                done: false,
            });
            *r.status_mut() = status;
            r
        }
    }
}

/// Switch language (a cookie for a year), back to where the officer was.
pub async fn switch_lang(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut r = see_other(&safe_next(q.next.as_deref()));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000",
        lang.code()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/boards/b1")), "/boards/b1");
        assert_eq!(safe_next(Some("//evil.example/")), "/boards");
        assert_eq!(safe_next(Some("https://evil.example/")), "/boards");
        assert_eq!(safe_next(Some("/\\evil.example")), "/boards");
        assert_eq!(safe_next(None), "/boards");
    }
}
