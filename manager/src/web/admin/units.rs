//! Administrative units: the list and a new unit by its official code.

use super::{Done, Tab, admin_only, tabs, with_status};
use crate::api::account::{create_unit, list_units};
use crate::error::AppJson;
use crate::model::Unit;
use crate::state::AppState;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// The time zone a new unit gets unless changed (the country's).
const DEFAULT_TZ: &str = "Asia/Ho_Chi_Minh";

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    timezone: String,
}

#[derive(Debug)]
struct Row {
    code: String,
    name: String,
    parent: String,
    timezone: String,
    communes: usize,
}

#[derive(Debug, Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    /// Possible parents (provinces: units without a parent).
    parents: Vec<(String, String)>,
    form: UnitForm,
    errors: FormErrors,
    done: Option<String>,
}

async fn load(s: &Arc<AppState>, web: &Web) -> Result<Vec<Unit>, PageError> {
    let mut units = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?.0;
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(units)
}

fn page_of(web: Web, units: &[Unit], form: UnitForm, errors: FormErrors, done: Option<String>) -> Response {
    let name_of = |c: &str| units.iter().find(|u| u.code == c).map_or("", |u| u.name.as_str());
    let rows = units
        .iter()
        .map(|u| Row {
            code: u.code.clone(),
            name: u.name.clone(),
            parent: u
                .parent
                .as_deref()
                .map_or(String::new(), |p| format!("{p} — {}", name_of(p))),
            timezone: u.timezone.clone(),
            communes: units.iter().filter(|c| c.parent.as_deref() == Some(&u.code)).count(),
        })
        .collect();
    let parents = units
        .iter()
        .filter(|u| u.parent.is_none())
        .map(|u| (u.code.clone(), format!("{} — {}", u.code, u.name)))
        .collect();
    render(&UnitsPage {
        tabs: tabs(&web.ctx, "/admin/units"),
        ctx: web.ctx,
        rows,
        parents,
        form,
        errors,
        done,
    })
}

pub async fn page(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<Done>) -> Result<Response, PageError> {
    admin_only(&web)?;
    let units = load(&s, &web).await?;
    let form = UnitForm {
        timezone: DEFAULT_TZ.into(),
        ..UnitForm::default()
    };
    Ok(page_of(web, &units, form, FormErrors::default(), q.done))
}

/// A new unit through `POST /api/v1/units`' handler (code, name, parent and
/// time zone checked there; refusals shown at their field).
pub async fn create(State(s): State<Arc<AppState>>, p: Posted<UnitForm>) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let unit = Unit {
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        parent: Some(form.parent.trim().to_string()).filter(|p| !p.is_empty()),
        timezone: form.timezone.trim().to_string(),
    };
    match create_unit(State(s.clone()), web.who.clone(), AppJson(unit)).await {
        Ok((_, AppJson(u))) => Ok(see_other(&format!("/admin/units?done={}", urlencode(&u.code)))),
        Err(e) => {
            // Refused for rights: the error page, as the API answers.
            if e.status == axum::http::StatusCode::FORBIDDEN {
                return Err(PageError(web.ctx, e));
            }
            let units = load(&s, &web).await?;
            let status = e.status;
            Ok(with_status(
                page_of(web, &units, form, FormErrors::from_error(&e), None),
                status,
            ))
        }
    }
}
