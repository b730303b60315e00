//! Accounts: the list, a new account (it must change its password at the
//! first sign-in — the API marks it), and per account: role and communes,
//! disable / enable, a new password (marked to be changed again).

use super::{Done, Pick, Tab, admin_only, picks, tabs, ticked, with_status};
use crate::accounts::NewUser;
use crate::api::account::{UserPatch, create_user, list_units, list_users, update_user};
use crate::error::{AppError, AppJson, AppPath};
use crate::model::{Role, Unit, UserView};
use crate::state::AppState;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// Roles in the order the forms offer them.
const ROLES: &[(&str, &str)] = &[
    ("editor", "admin-role-editor"),
    ("viewer", "admin-role-viewer"),
    ("admin", "admin-role-admin"),
];

fn role_code(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

fn parse_role(s: &str) -> Result<Role, AppError> {
    match s {
        "admin" => Ok(Role::Admin),
        "editor" => Ok(Role::Editor),
        "viewer" => Ok(Role::Viewer),
        _ => Err(AppError::unprocessable("vai trò không hợp lệ (unknown role)").field("role")),
    }
}

/// A role to pick: code, label, chosen.
#[derive(Debug)]
struct RolePick {
    code: &'static str,
    label: String,
    on: bool,
}

fn role_picks(ctx: &Ctx, chosen: &str) -> Vec<RolePick> {
    ROLES
        .iter()
        .map(|(code, key)| RolePick {
            code,
            label: ctx.t(key),
            on: *code == chosen,
        })
        .collect()
}

#[derive(Debug)]
struct Row {
    user: UserView,
    role: String,
    units: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    units: Vec<String>,
}

#[derive(Debug, Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    roles: Vec<RolePick>,
    units: Vec<Pick>,
    form: NewUserForm,
    errors: FormErrors,
    done: Option<String>,
}

async fn units_of(s: &Arc<AppState>, web: &Web) -> Result<Vec<Unit>, PageError> {
    Ok(list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?.0)
}

async fn users_of(s: &Arc<AppState>, web: &Web) -> Result<Vec<UserView>, PageError> {
    let mut users = list_users(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?.0;
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(users)
}

fn role_label(ctx: &Ctx, r: Role) -> String {
    ctx.t(&format!("admin-role-{}", role_code(r)))
}

async fn list_page(
    s: &Arc<AppState>,
    web: Web,
    form: NewUserForm,
    errors: FormErrors,
    done: Option<String>,
) -> Result<Response, PageError> {
    let users = users_of(s, &web).await?;
    let units = units_of(s, &web).await?;
    let rows = users
        .into_iter()
        .map(|u| Row {
            role: role_label(&web.ctx, u.role),
            units: u.units.join(", "),
            user: u,
        })
        .collect();
    let role = if form.role.is_empty() {
        "editor"
    } else {
        form.role.as_str()
    };
    Ok(render(&UsersPage {
        tabs: tabs(&web.ctx, "/admin/users"),
        roles: role_picks(&web.ctx, role),
        units: picks(&units, &form.units),
        ctx: web.ctx,
        rows,
        form,
        errors,
        done,
    }))
}

pub async fn list(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<Done>) -> Result<Response, PageError> {
    admin_only(&web)?;
    list_page(&s, web, NewUserForm::default(), FormErrors::default(), q.done).await
}

/// A new account through `POST /api/v1/users`' handler, which marks it to
/// change its password at the first sign-in.
pub async fn create(State(s): State<Arc<AppState>>, p: Posted<NewUserForm>) -> Result<Response, PageError> {
    let Posted { web, mut form } = p;
    form.units = ticked(&form.units);
    let r = match parse_role(&form.role) {
        Ok(role) => {
            let n = NewUser {
                username: form.username.trim().to_string(),
                display_name: form.display_name.trim().to_string(),
                password: form.password.clone(),
                role,
                units: form.units.clone(),
                must_change_password: true,
            };
            create_user(State(s.clone()), web.who.clone(), AppJson(n)).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok((_, AppJson(u))) => Ok(see_other(&format!("/admin/users?done={}", urlencode(&u.username)))),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(PageError(web.ctx, e)),
        Err(e) => {
            let status = e.status;
            // A password is never sent back in a page.
            form.password.clear();
            let page = list_page(&s, web, form, FormErrors::from_error(&e), None).await?;
            Ok(with_status(page, status))
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    user: UserView,
    role_text: String,
    roles: Vec<RolePick>,
    units: Vec<Pick>,
    /// The form values shown (what was posted, after a refusal).
    display_name: String,
    /// Which form the errors belong to: `access`, `password`, `disabled`.
    form: &'static str,
    errors: FormErrors,
    done: Option<String>,
    is_self: bool,
}

/// The account `id`, as the administrators' list shows it (404 if none).
async fn one(s: &Arc<AppState>, web: &Web, id: &str) -> Result<UserView, PageError> {
    users_of(s, web)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| PageError(web.ctx.clone(), AppError::not_found("tài khoản")))
}

struct Shown {
    role: String,
    units: Vec<String>,
    display_name: String,
    form: &'static str,
    errors: FormErrors,
    done: Option<String>,
}

async fn user_page(s: &Arc<AppState>, web: Web, user: UserView, shown: Shown) -> Result<Response, PageError> {
    let units = units_of(s, &web).await?;
    let done_text = shown.done.as_deref().and_then(|d| {
        let key = match d {
            "access" => "admin-user-done-access",
            "password" => "admin-user-done-password",
            "disabled" => "admin-user-done-disabled",
            "enabled" => "admin-user-done-enabled",
            _ => return None,
        };
        Some(web.ctx.t(key))
    });
    Ok(render(&UserPage {
        tabs: tabs(&web.ctx, "/admin/users"),
        role_text: role_label(&web.ctx, user.role),
        roles: role_picks(&web.ctx, &shown.role),
        units: picks(&units, &shown.units),
        is_self: web.who.user.id == user.id,
        ctx: web.ctx,
        user,
        display_name: shown.display_name,
        form: shown.form,
        errors: shown.errors,
        done: done_text,
    }))
}

fn as_stored(u: &UserView, done: Option<String>) -> Shown {
    Shown {
        role: role_code(u.role).to_string(),
        units: u.units.clone(),
        display_name: u.display_name.clone(),
        form: "",
        errors: FormErrors::default(),
        done,
    }
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    admin_only(&web)?;
    let user = one(&s, &web, &id).await?;
    let shown = as_stored(&user, q.done);
    user_page(&s, web, user, shown).await
}

/// Apply `patch` through `PATCH /api/v1/users/{id}`' handler; back to the
/// account's page with `done`, or the page with the refusal at its field.
async fn patch(
    s: Arc<AppState>,
    web: Web,
    id: String,
    patch: UserPatch,
    form: &'static str,
    done: &str,
    posted: Shown,
) -> Result<Response, PageError> {
    match update_user(State(s.clone()), web.who.clone(), AppPath(id.clone()), AppJson(patch)).await {
        Ok(_) => Ok(see_other(&format!("/admin/users/{}?done={done}", urlencode(&id)))),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => Err(PageError(web.ctx, e)),
        Err(e) => {
            let status = e.status;
            let user = one(&s, &web, &id).await?;
            let shown = Shown {
                form,
                errors: FormErrors::from_error(&e),
                ..posted
            };
            Ok(with_status(user_page(&s, web, user, shown).await?, status))
        }
    }
}

fn empty_patch() -> UserPatch {
    UserPatch {
        display_name: None,
        password: None,
        role: None,
        units: None,
        disabled: None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    units: Vec<String>,
}

/// Name, role and communes.
pub async fn access(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<AccessForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let units = ticked(&form.units);
    let posted = Shown {
        role: form.role.clone(),
        units: units.clone(),
        display_name: form.display_name.clone(),
        form: "access",
        errors: FormErrors::default(),
        done: None,
    };
    let role = match parse_role(&form.role) {
        Ok(r) => r,
        Err(e) => {
            web.who.admin().or_page(&web.ctx)?;
            let user = one(&s, &web, &id).await?;
            let shown = Shown {
                errors: FormErrors::from_error(&e),
                ..posted
            };
            return Ok(with_status(user_page(&s, web, user, shown).await?, e.status));
        }
    };
    let name = form.display_name.trim();
    let p = UserPatch {
        display_name: (!name.is_empty()).then(|| name.to_string()),
        role: Some(role),
        units: Some(units),
        ..empty_patch()
    };
    patch(s, web, id, p, "access", "access", posted).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// A new password an administrator chose: the API marks the account to
/// change it at the next sign-in.
pub async fn password(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<PasswordForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let user = one(&s, &web, &id).await?;
    let posted = as_stored(&user, None);
    let p = UserPatch {
        password: Some(form.password),
        ..empty_patch()
    };
    patch(s, web, id, p, "password", "password", posted).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DisabledForm {
    #[serde(default)]
    disabled: String,
}

/// Lock or unlock an account (a locked one cannot sign in).
pub async fn disabled(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<DisabledForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let off = form.disabled == "true";
    let user = one(&s, &web, &id).await?;
    let posted = as_stored(&user, None);
    let p = UserPatch {
        disabled: Some(off),
        ..empty_patch()
    };
    let done = if off { "disabled" } else { "enabled" };
    patch(s, web, id, p, "disabled", done, posted).await
}
