//! The province's source systems (HTTTN): the list, a new source — its
//! signing key shown in that answer only —, a new key (the old one stops
//! working at once; the new one shown once), disable / enable.

use super::{Pick, Tab, admin_only, picks, tabs, ticked, with_status};
use crate::api::account::list_units;
use crate::api::ingest::{
    CreatedSource, NewSource, SourcePatch, create_source, list_sources, rotate_source_key, update_source,
};
use crate::error::{AppError, AppJson, AppPath};
use crate::sources::SourceView;
use crate::state::AppState;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    report_url: String,
    #[serde(default)]
    report_every_s: String,
}

#[derive(Debug, Template)]
#[template(path = "admin/sources.html")]
struct SourcesPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    sources: Vec<SourceView>,
    units: Vec<Pick>,
    /// A key just made (new source or new key): shown in this answer only.
    key: Option<CreatedSource>,
    /// `created` or `rotated`, with `key`.
    key_for: &'static str,
    form: SourceForm,
    errors: FormErrors,
    done: Option<String>,
}

struct Extra {
    key: Option<CreatedSource>,
    key_for: &'static str,
    form: SourceForm,
    errors: FormErrors,
    done: Option<String>,
}

fn extra() -> Extra {
    Extra {
        key: None,
        key_for: "",
        form: SourceForm::default(),
        errors: FormErrors::default(),
        done: None,
    }
}

async fn page_of(s: &Arc<AppState>, web: Web, x: Extra) -> Result<Response, PageError> {
    let mut sources = list_sources(State(s.clone()), web.who.clone())
        .await
        .or_page(&web.ctx)?
        .0;
    sources.sort_by_key(|a| a.created);
    let units = list_units(State(s.clone()), web.who.clone()).await.or_page(&web.ctx)?.0;
    let done = x.done.as_deref().and_then(|d| match d {
        "disabled" => Some(web.ctx.t("admin-source-done-disabled")),
        "enabled" => Some(web.ctx.t("admin-source-done-enabled")),
        _ => None,
    });
    let secret = x.key.is_some();
    let mut r = render(&SourcesPage {
        tabs: tabs(&web.ctx, "/admin/sources"),
        units: picks(&units, &x.form.units),
        ctx: web.ctx,
        sources,
        key: x.key,
        key_for: x.key_for,
        form: x.form,
        errors: x.errors,
        done,
    });
    if secret {
        // A key in the page: not to be kept by any cache.
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<DoneQuery>) -> Result<Response, PageError> {
    admin_only(&web)?;
    page_of(
        &s,
        web,
        Extra {
            done: q.done,
            ..extra()
        },
    )
    .await
}

/// A new source through `POST /api/v1/sources`' handler.
pub async fn create(State(s): State<Arc<AppState>>, p: Posted<SourceForm>) -> Result<Response, PageError> {
    let Posted { web, mut form } = p;
    form.units = ticked(&form.units);
    let every = form.report_every_s.trim();
    let report_every_s = if every.is_empty() {
        Ok(None)
    } else {
        every.parse::<u32>().map(Some).map_err(|_| {
            AppError::unprocessable("số giây phải là số nguyên 1–3600 (seconds: a whole number 1–3600)")
                .field("report_every_s")
        })
    };
    let url = form.report_url.trim();
    let r = match report_every_s {
        Ok(report_every_s) => {
            let n = NewSource {
                name: form.name.clone(),
                units: form.units.clone(),
                report_url: (!url.is_empty()).then(|| url.to_string()),
                report_every_s,
            };
            create_source(State(s.clone()), web.who.clone(), AppJson(n)).await
        }
        Err(e) => {
            web.who.admin().or_page(&web.ctx)?;
            Err(e)
        }
    };
    match r {
        Ok((status, AppJson(created))) => {
            let x = Extra {
                key: Some(created),
                key_for: "created",
                ..extra()
            };
            Ok(with_status(page_of(&s, web, x).await?, status))
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(PageError(web.ctx, e)),
        Err(e) => {
            let status = e.status;
            let x = Extra {
                errors: FormErrors::from_error(&e),
                form,
                ..extra()
            };
            Ok(with_status(page_of(&s, web, x).await?, status))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// A new key through `POST /api/v1/sources/{id}/key`' handler.
pub async fn rotate(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<Empty>,
) -> Result<Response, PageError> {
    let web = p.web;
    let AppJson(created) = rotate_source_key(State(s.clone()), web.who.clone(), AppPath(id))
        .await
        .or_page(&web.ctx)?;
    let x = Extra {
        key: Some(created),
        key_for: "rotated",
        ..extra()
    };
    page_of(&s, web, x).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DisabledForm {
    #[serde(default)]
    disabled: String,
}

/// Stop (or let again) everything a source sends.
pub async fn disabled(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    p: Posted<DisabledForm>,
) -> Result<Response, PageError> {
    let Posted { web, form } = p;
    let off = form.disabled == "true";
    let patch = SourcePatch {
        name: None,
        units: None,
        disabled: Some(off),
        report_url: None,
        report_every_s: None,
    };
    update_source(State(s), web.who.clone(), AppPath(id), AppJson(patch))
        .await
        .or_page(&web.ctx)?;
    Ok(see_other(if off {
        "/admin/sources?done=disabled"
    } else {
        "/admin/sources?done=enabled"
    }))
}
