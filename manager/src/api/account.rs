//! Sign-in, accounts, API tokens, administrative units and the audit log.

use super::{CREATED, audit, new_id, now};
use crate::accounts::{
    self as accounts, NewUser, check_password_policy, check_units, hash_password, new_secret, secret_hash,
    verify_password,
};
use crate::auth::{ClientIp, Officer, SESSION_COOKIE, SessionOfficer};
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody};
use crate::model::{ApiToken, AuditEntry, Role, Session, Unit, User, UserView, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt, prefix_end};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub user: UserView,
    /// Send back as header `X-CSRF-Token` with every change made with the
    /// session cookie.
    pub csrf: String,
}

/// Sign in with user name and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "account", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Response> {
    s.limits.login(&ip, &req.username)?;
    let id: Option<String> = s.store.get_json(&key::username(&req.username))?;
    let user: Option<User> = match &id {
        Some(id) => s.store.get_json(&key::user(id))?,
        None => None,
    };
    let pw = req.password.clone();
    // Hash even for unknown names, so timing does not tell which exist.
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3q2Hh5UFa3w1C7YCWS7hgcsYTa6U0jkUM81eJGFJjyQ".into()
    });
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .map_err(AppError::internal)?;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            return Err(AppError::unauthorized_because(
                "sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản bị khóa (wrong user name or password)",
            ));
        }
    };
    let token = new_secret("");
    let csrf = new_secret("");
    let session = Session {
        user_id: user.id.clone(),
        csrf: csrf.clone(),
        created_at: now(),
        expires_at: now() + Duration::hours(s.cfg.session_hours as i64),
    };
    s.commit(vec![
        Op::put(key::session(&secret_hash(&token)), &session),
        audit(
            &*s.store,
            &format!("user:{}", user.username),
            "login",
            &user.id,
            None,
            None,
        )?,
    ])
    .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        s.cfg.session_hours * 3600,
        if s.cfg.secure_cookies { "; Secure" } else { "" }
    );
    let mut r = AppJson(LoginResponse {
        user: UserView::from(&user),
        csrf,
    })
    .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(r)
}

/// Sign out: ends the session of the cookie sent (with `X-CSRF-Token`).
/// API tokens have no session: revoke one with `DELETE /api/v1/tokens/{id}`.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "account",
    responses((status = 204, description = "Session ended; the cookie is cleared")), security(("session" = [])))]
pub async fn logout(State(s): State<Arc<AppState>>, who: SessionOfficer) -> ApiResult<Response> {
    s.commit(vec![Op::del(key::session(&who.session_hash))]).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bangtin_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(r)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn me(who: Officer) -> AppJson<UserView> {
    AppJson(UserView::from(&who.user))
}

/// Accounts (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "account",
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_users(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<UserView>>> {
    who.admin()?;
    let users: Vec<User> = s.store.scan_json("user/")?;
    Ok(AppJson(users.iter().map(UserView::from).collect()))
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "account", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such unit"), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_user(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(mut n): AppJson<NewUser>,
) -> ApiResult<(StatusCode, AppJson<UserView>)> {
    who.admin()?;
    n.must_change_password = true;
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let actor = who.actor();
    let s2 = s.clone();
    let user = tokio::task::spawn_blocking(move || accounts::create_user(&*s2.store, &actor, n))
        .await
        .map_err(AppError::internal)??;
    Ok((CREATED, AppJson(UserView::from(&user))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    pub password: Option<String>,
    pub role: Option<Role>,
    pub units: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// Change an account (administrators; anyone may change their own password
/// and display name).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "account", request_body = UserPatch,
    params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_user(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(p): AppJson<UserPatch>,
) -> ApiResult<AppJson<UserView>> {
    let own = who.user.id == id;
    if !own || p.role.is_some() || p.units.is_some() || p.disabled.is_some() {
        who.admin()?;
    }
    // As with deleting: an administrator who locks themselves out may
    // leave the province with none (the web UI offers neither).
    if own && (p.disabled == Some(true) || p.role.is_some_and(|r| r != who.user.role)) {
        return Err(AppError::conflict(
            "không tự khóa hay tự đổi vai trò của mình (cannot disable yourself or change your own role)",
        ));
    }
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let mut u: User = s
        .store
        .get_json(&key::user(&id))?
        .ok_or_else(|| AppError::not_found("tài khoản"))?;
    if let Some(d) = p.display_name {
        u.display_name = d;
    }
    if let Some(pw) = p.password {
        check_password_policy(&pw)?;
        u.password_hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(AppError::internal)??;
        // A password someone else chose is changed at the next sign-in.
        u.must_change_password = !own;
    }
    if let Some(r) = p.role {
        u.role = r;
    }
    if let Some(units) = p.units {
        u.units = units;
    }
    // An editor or a viewer without a unit: with what the account already
    // has, the change conflicts (409); a unit that does not exist is 404.
    check_units(&*s.store, u.role, &u.units).map_err(|e| match e {
        accounts::AccountError::Invalid { field, reason } => AppError::conflict(reason).field(field),
        other => other.into(),
    })?;
    if let Some(d) = p.disabled {
        u.disabled = d;
    }
    s.commit(vec![
        Op::put(key::user(&u.id), &u),
        audit(&*s.store, &who.actor(), "user.update", &u.id, None, None)?,
    ])
    .await?;
    Ok(AppJson(UserView::from(&u)))
}

/// Delete an account (administrators).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "account", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Your own account")),
    security(("session" = []), ("token" = [])))]
pub async fn delete_user(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    who.admin()?;
    if who.user.id == id {
        return Err(AppError::conflict(
            "không tự xóa tài khoản của mình (cannot delete yourself)",
        ));
    }
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let u: User = s
        .store
        .get_json(&key::user(&id))?
        .ok_or_else(|| AppError::not_found("tài khoản"))?;
    let mut ops = vec![Op::del(key::user(&id)), Op::del(key::username(&u.username))];
    for (k, v) in s.store.scan("token/")? {
        if serde_json::from_slice::<ApiToken>(&v).is_ok_and(|t| t.user_id == id) {
            ops.push(Op::Del(k));
        }
    }
    ops.push(audit(&*s.store, &who.actor(), "user.delete", &id, None, None)?);
    s.commit(ops).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1–100 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// Shown once: keep it; only its hash is stored.
    pub token: String,
    pub info: ApiToken,
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, body = [ApiToken])), security(("session" = []), ("token" = [])))]
pub async fn list_tokens(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<ApiToken>>> {
    let all: Vec<ApiToken> = s.store.scan_json("token/")?;
    Ok(AppJson(all.into_iter().filter(|t| t.user_id == who.user.id).collect()))
}

/// Create an API token for scripts (acts with your rights).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn create_token(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(n): AppJson<NewToken>,
) -> ApiResult<(StatusCode, AppJson<CreatedToken>)> {
    if n.name.trim().is_empty() || n.name.chars().count() > 100 {
        return Err(AppError::unprocessable("tên mã truy cập 1–100 ký tự (token name 1–100 chars)").field("name"));
    }
    let token = new_secret("bt_");
    let info = ApiToken {
        id: new_id(&*s.store, "tok")?,
        user_id: who.user.id.clone(),
        name: n.name,
        created_at: now(),
    };
    s.commit(vec![
        Op::put(key::token(&secret_hash(&token)), &info),
        audit(&*s.store, &who.actor(), "token.create", &info.id, None, None)?,
    ])
    .await?;
    Ok((CREATED, AppJson(CreatedToken { token, info })))
}

/// Revoke one of your API tokens (administrators: anyone's).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn delete_token(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    let found = s.store.scan("token/")?.into_iter().find(|(_, v)| {
        serde_json::from_slice::<ApiToken>(v).is_ok_and(|t| t.id == id && (t.user_id == who.user.id || who.is_admin()))
    });
    let (k, _) = found.ok_or_else(|| AppError::not_found("mã truy cập"))?;
    s.commit(vec![
        Op::Del(k),
        audit(&*s.store, &who.actor(), "token.delete", &id, None, None)?,
    ])
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Administrative units you may see.
#[utoipa::path(get, path = "/api/v1/units", tag = "account",
    responses((status = 200, body = [Unit])), security(("session" = []), ("token" = [])))]
pub async fn list_units(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<Unit>>> {
    let all: Vec<Unit> = s.store.scan_json("unit/")?;
    Ok(AppJson(all.into_iter().filter(|u| who.can_read(&u.code)).collect()))
}

/// Register an administrative unit by its official code (administrators).
#[utoipa::path(post, path = "/api/v1/units", tag = "account", request_body = Unit,
    responses((status = 201, body = Unit), (status = 404, body = ErrorBody, description = "No such parent unit"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_unit(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(u): AppJson<Unit>,
) -> ApiResult<(StatusCode, AppJson<Unit>)> {
    who.admin()?;
    let (s2, actor, u2) = (s.clone(), who.actor(), u.clone());
    tokio::task::spawn_blocking(move || accounts::create_unit(&*s2.store, &actor, &u2))
        .await
        .map_err(AppError::internal)??;
    Ok((CREATED, AppJson(u)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Most recent entries to return: 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u16>,
    /// Only entries older than this sequence number (to page back).
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub before: Option<i64>,
}

/// The audit log: who changed what, when (administrators: all; others:
/// their units).
#[utoipa::path(get, path = "/api/v1/audit", tag = "account", params(AuditQuery),
    responses((status = 200, body = [AuditEntry])), security(("session" = []), ("token" = [])))]
pub async fn audit_log(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppQuery(q): AppQuery<AuditQuery>,
) -> ApiResult<AppJson<Vec<AuditEntry>>> {
    let limit = usize::from(q.limit.unwrap_or(100));
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request("limit từ 1 đến 1000 (limit must be 1–1000)").field("limit"));
    }
    let before = match q.before {
        None => None,
        Some(b) => Some(u64::try_from(b).map_err(|_| {
            AppError::bad_request("before không được âm (before must not be negative)").field("before")
        })?),
    };
    // Newest first, a page at a time: the log only grows, and a listing
    // must not read all of it (it did, into memory, on every call).
    let mut end = before.map_or_else(|| prefix_end("audit/"), key::audit);
    let mut visible = Vec::new();
    while visible.len() < limit {
        let page = s.store.range("audit/", &end, AUDIT_PAGE, true)?;
        let Some((last, _)) = page.last() else { break };
        let full = page.len() == AUDIT_PAGE;
        end = last.clone();
        visible.extend(
            page.iter()
                .filter_map(|(_, v)| serde_json::from_slice::<AuditEntry>(v).ok())
                .filter(|e| who.is_admin() || e.unit.as_deref().is_some_and(|u| who.can_read(u)))
                .take(limit - visible.len()),
        );
        if !full {
            break;
        }
    }
    Ok(AppJson(visible))
}

/// Audit entries read from the store at a time.
const AUDIT_PAGE: usize = 500;
