//! Backups (administrators): the backups in `backup_dir`, newest first,
//! and "Sao lưu ngay", which takes one through `POST /api/v1/backups`'
//! handler — the same rights, retention (`backup_keep`) and audit entry.

use super::{Tab, admin_only, tabs, with_status};
use crate::api::backup::{BackupQuery, backups, create_backup};
use crate::backup::StoredBackup;
use crate::error::{AppJson, AppQuery};
use crate::state::AppState;
use crate::web::media::human_size;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug)]
struct Row {
    name: String,
    when: String,
    size: String,
    records: u64,
    media: u64,
    ours: bool,
}

#[derive(Debug, Template)]
#[template(path = "admin/backups.html")]
struct BackupsPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    dir: String,
    keep: u32,
    /// The notice after a backup: what it was and how many old ones went.
    done: Option<String>,
    errors: FormErrors,
}

/// `?done=NAME&pruned=N`: the backup just taken.
#[derive(Debug, Default, Deserialize)]
pub struct Taken {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    pruned: Option<u32>,
}

async fn page_of(s: &Arc<AppState>, web: Web, taken: Taken, errors: FormErrors) -> Result<Response, PageError> {
    let list: Vec<StoredBackup> = backups(s).await.or_page(&web.ctx)?;
    let ctx = &web.ctx;
    let rows: Vec<Row> = list
        .iter()
        .map(|b| Row {
            name: b.name.clone(),
            when: ctx.when(&b.manifest.taken_at),
            size: human_size(ctx, b.manifest.bytes),
            records: b.manifest.records,
            media: b.manifest.media,
            ours: b.ours,
        })
        .collect();
    let done = taken.done.as_deref().map(|name| {
        let mut m = match rows.iter().find(|r| r.name == name) {
            Some(r) => ctx.targs(
                "admin-backup-done",
                &[("name", name), ("when", &r.when), ("size", &r.size)],
            ),
            None => ctx.ta("admin-backup-done-gone", "name", name),
        };
        if let Some(n) = taken.pruned.filter(|n| *n > 0) {
            m.push(' ');
            m.push_str(&ctx.tn("admin-backup-pruned", i64::from(n)));
        }
        m
    });
    Ok(render(&BackupsPage {
        tabs: tabs(&web.ctx, "/admin/backups"),
        dir: s.cfg.backups().display().to_string(),
        keep: s.cfg.backup_keep,
        rows,
        done,
        errors,
        ctx: web.ctx,
    }))
}

pub async fn page(State(s): State<Arc<AppState>>, web: Web, Query(q): Query<Taken>) -> Result<Response, PageError> {
    admin_only(&web)?;
    page_of(&s, web, q, FormErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// "Sao lưu ngay": a backup through the API's handler, then back to the
/// list with what it did (a reload does not take another).
pub async fn create(State(s): State<Arc<AppState>>, p: Posted<Empty>) -> Result<Response, PageError> {
    let web = p.web;
    match create_backup(State(s.clone()), web.who.clone(), AppQuery(BackupQuery::default())).await {
        Ok((_, AppJson(r))) => Ok(see_other(&format!(
            "/admin/backups?done={}&pruned={}",
            urlencode(&r.name),
            r.pruned.len()
        ))),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(PageError(web.ctx, e)),
        Err(e) => {
            // Another backup running (409), or the copy failed: the
            // manager's reason, with the list as it is.
            let status = e.status;
            let errors = FormErrors::from_error(&e);
            let r = page_of(&s, web, Taken::default(), errors).await?;
            Ok(with_status(r, status))
        }
    }
}
