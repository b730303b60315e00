//! The audit log, newest first, with filters.
//!
//! The API pages the log by sequence number (`before`) and filters nothing
//! but rights, so the filters here are applied to the pages it returns: the
//! page reads the API's pages of [`READ`] entries from `before` on, keeps
//! the entries that match until it has [`SHOWN`] of them or has looked at
//! [`MAX_LOOK`] entries, and links "older" from the last entry it looked
//! at. A date range stops the reading once entries are older than its
//! first day.

use super::{Tab, admin_only, tabs};
use crate::api::account::{AuditQuery, audit_log};
use crate::error::AppQuery;
use crate::model::AuditEntry;
use crate::state::AppState;
use crate::web::page::{Ctx, FormErrors, OrPage, PageError, Web, render, urlencode};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use std::sync::Arc;

/// Entries asked of the API at a time.
const READ: u16 = 500;
/// Matching entries on a page.
const SHOWN: usize = 50;
/// Entries looked at for one page at most (a rare action over a long log
/// is found page by page, not in one long request).
const MAX_LOOK: usize = 5000;
/// Entries are written a moment after their time is taken, so the log is
/// ordered by time only within this much.
const SLACK_S: i64 = 300;

/// Actions offered in the filter's list (any text may be typed).
const ACTIONS: &[&str] = &[
    "login",
    "user",
    "user.create",
    "user.update",
    "user.delete",
    "unit.create",
    "token.create",
    "token.delete",
    "source.create",
    "source.update",
    "source.rotate_key",
    "board.claim",
    "layout.create",
    "schedule.create",
    "show.publish",
    "bulletin.receive",
    "bulletin.approve",
    "bulletin.reject",
    "alert.receive",
];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<u64>,
}

impl Filters {
    /// The query string of these filters, without `before`.
    fn query(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("unit", &self.unit),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// What an entry must be to be shown.
#[derive(Debug)]
struct Wanted {
    actor: String,
    action: String,
    unit: String,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl Wanted {
    fn matches(&self, e: &AuditEntry) -> bool {
        // Actor: a part of it ("tinh" finds "user:tinh"), any case.
        (self.actor.is_empty() || e.actor.to_lowercase().contains(&self.actor))
            // Action: itself or its family ("user" finds "user.create").
            && (self.action.is_empty()
                || e.action == self.action
                || e.action.starts_with(&format!("{}.", self.action)))
            && (self.unit.is_empty() || e.unit.as_deref() == Some(self.unit.as_str()))
            && self.from.is_none_or(|f| e.at >= f)
            && self.to.is_none_or(|t| e.at < t)
    }

    /// Entries this old, and all before them, are before the range.
    fn past(&self, e: &AuditEntry) -> bool {
        self.from.is_some_and(|f| e.at < f - Duration::seconds(SLACK_S))
    }
}

#[derive(Debug)]
struct Row {
    seq: u64,
    at: String,
    actor: String,
    action: String,
    target: String,
    unit: String,
    detail: String,
}

#[derive(Debug, Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: Ctx,
    tabs: Vec<Tab>,
    f: Filters,
    actions: &'static [&'static str],
    rows: Vec<Row>,
    errors: FormErrors,
    /// Link to the older entries, when there are some.
    older: Option<String>,
    /// Link back to the newest entries, when paged back.
    newest: Option<String>,
    /// Entries looked at without filling the page.
    looked: usize,
    cut_short: bool,
}

fn day(v: &str, field: &str, ctx: &Ctx, errors: &mut FormErrors) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.fields.push((field.into(), ctx.t("admin-audit-bad-date")));
            errors.general = Some(ctx.t("admin-audit-bad-date"));
            None
        }
    }
}

fn start_of(d: NaiveDate, ctx: &Ctx) -> DateTime<Utc> {
    crate::reporting::day_start(d, ctx.tz)
}

pub async fn page(State(s): State<Arc<AppState>>, web: Web, Query(f): Query<Filters>) -> Result<Response, PageError> {
    admin_only(&web)?;
    let ctx = &web.ctx;
    let mut errors = FormErrors::default();
    let from = day(&f.from, "from", ctx, &mut errors);
    let to = day(&f.to, "to", ctx, &mut errors);
    let wanted = Wanted {
        actor: f.actor.trim().to_lowercase(),
        action: f.action.trim().to_string(),
        unit: f.unit.trim().to_string(),
        from: from.map(|d| start_of(d, ctx)),
        to: to.and_then(|d| d.succ_opt()).map(|d| start_of(d, ctx)),
    };
    let mut rows = Vec::new();
    let mut before = f.before;
    let mut looked = 0;
    let mut older = None;
    let mut cut_short = false;
    'pages: loop {
        let q = AuditQuery {
            limit: Some(READ),
            before: before.map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
        };
        let page = audit_log(State(s.clone()), web.who.clone(), AppQuery(q))
            .await
            .or_page(ctx)?
            .0;
        let full = page.len() == usize::from(READ);
        for e in page {
            looked += 1;
            before = Some(e.seq);
            if wanted.past(&e) {
                break 'pages;
            }
            if wanted.matches(&e) {
                rows.push(row(ctx, e));
                if rows.len() == SHOWN {
                    older = before;
                    break 'pages;
                }
            }
        }
        if !full {
            break;
        }
        if looked >= MAX_LOOK {
            older = before;
            cut_short = true;
            break;
        }
    }
    let query = f.query();
    let link = |b: Option<u64>| {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.clone());
        }
        if let Some(b) = b {
            parts.push(format!("before={b}"));
        }
        if parts.is_empty() {
            "/admin/audit".to_string()
        } else {
            format!("/admin/audit?{}", parts.join("&"))
        }
    };
    // Only the page link whose entries exist: "older" from the last entry
    // looked at (it may be the very first: then there is nothing older).
    let older = older.filter(|b| *b > 0).map(|b| link(Some(b)));
    let newest = f.before.map(|_| link(None));
    Ok(render(&AuditPage {
        tabs: tabs(ctx, "/admin/audit"),
        ctx: web.ctx.clone(),
        f,
        actions: ACTIONS,
        rows,
        errors,
        older,
        newest,
        looked,
        cut_short,
    }))
}

fn row(ctx: &Ctx, e: AuditEntry) -> Row {
    let local = e.at.with_timezone(&ctx.tz);
    let detail = e
        .detail
        .as_ref()
        .map(|d| {
            let s = d.to_string();
            if s.chars().count() > 200 {
                format!("{}…", s.chars().take(200).collect::<String>())
            } else {
                s
            }
        })
        .unwrap_or_default();
    Row {
        seq: e.seq,
        at: format!("{} {}", local.format("%d/%m/%Y"), local.time().format("%H:%M:%S")),
        actor: e.actor,
        action: e.action,
        target: e.target,
        unit: e.unit.unwrap_or_default(),
        detail,
    }
}
