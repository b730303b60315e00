//! The approval queue of normal bulletins. A normal bulletin from a source
//! waits in the queue of every commune it targets (a province target: each
//! of its communes; a board: the board's commune); an editor of that
//! commune approves it — optionally changing its texts — or rejects it with
//! a reason. Only approved ones reach that commune's boards, in their
//! bulletin rounds. A decision can be changed while the bulletin is live
//! (rejecting an approved one takes it off the boards); a new version from
//! the source starts with no decisions.

use super::{audit, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody};
use crate::ingest::{INGEST, announce};
use crate::model::{Board, Unit, key};
use crate::records::{BulletinEdits, BulletinRecord, BulletinState, Decision, bulletin_key};
use crate::state::AppState;
use crate::store::{Op, Store, StoreExt};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use utoipa::ToSchema;

/// Longest edited title, summary or ticker (characters).
const MAX_SHORT: usize = 500;
/// Longest edited main text (characters).
const MAX_TEXT: usize = 5_000;

/// The communes whose queues a bulletin waits in.
pub fn communes_of(store: &dyn Store, rec: &BulletinRecord) -> crate::store::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let units: Vec<Unit> = store.scan_json("unit/")?;
    for a in &rec.areas {
        match units.iter().find(|u| u.code == *a) {
            Some(u) if u.parent.is_some() => {
                out.insert(u.code.clone());
            }
            Some(_) => out.extend(
                units
                    .iter()
                    .filter(|c| c.parent.as_deref() == Some(a.as_str()))
                    .map(|c| c.code.clone()),
            ),
            None => {}
        }
    }
    for b in &rec.boards {
        if let Some(board) = store.get_json::<Board>(&key::board(b))? {
            out.insert(board.unit);
        }
    }
    Ok(out)
}

/// Why a bulletin is refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Shown to the source in its report, 1–500 characters.
    pub reason: String,
}

/// A bulletin in one commune's queue, with that commune's decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decided {
    pub source: String,
    pub id: String,
    pub version: u64,
    pub unit: String,
    /// `approved` or `rejected`.
    pub decision: String,
}

fn check_text(field: &str, v: &Option<String>, max: usize) -> Result<(), AppError> {
    if let Some(t) = v {
        let n = t.trim().chars().count();
        if n == 0 {
            return Err(AppError::unprocessable("không được để trống (must not be empty)").field(field));
        }
        if t.chars().count() > max {
            return Err(
                AppError::unprocessable(format!("dài quá {max} ký tự (longer than {max} characters)")).field(field),
            );
        }
    }
    Ok(())
}

/// Record `decision` for commune `unit` on bulletin `source`/`id`, then
/// push the commune's boards their new sets.
async fn decide(
    s: &Arc<AppState>,
    who: &Officer,
    unit: &str,
    source: &str,
    id: &str,
    decision: Decision,
) -> ApiResult<AppJson<Decided>> {
    who.write(unit, "đơn vị")?;
    let _g = INGEST.lock().await;
    let k = bulletin_key(source, id);
    let mut rec: BulletinRecord = s
        .store
        .get_json(&k)?
        .ok_or_else(|| AppError::not_found("bản tin (bulletin)"))?;
    if !communes_of(&*s.store, &rec)?.contains(unit) {
        return Err(AppError::not_found(
            "bản tin trong hàng chờ của đơn vị này (bulletin not addressed to this commune)",
        ));
    }
    if rec.priority != "normal" {
        return Err(AppError::conflict(format!(
            "bản tin mức {} không cần duyệt (only normal bulletins are approved)",
            rec.priority
        ))
        .field("priority"));
    }
    if rec.state != BulletinState::Pending {
        let state = serde_json::to_value(rec.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        return Err(AppError::conflict(format!(
            "bản tin đang ở trạng thái {state}, không thể duyệt (bulletin is {state})"
        ))
        .field("state"));
    }
    let approved = decision.approved;
    let detail = serde_json::json!({
        "version": rec.version,
        "approved": approved,
        "reason": decision.reason,
        "edited": decision.edits.is_some(),
    });
    rec.decisions.insert(unit.to_string(), decision);
    let action = if approved {
        "bulletin.approve"
    } else {
        "bulletin.reject"
    };
    let target = format!("{source}/{id}");
    s.commit(vec![
        Op::put(&k, &rec),
        audit(&*s.store, &who.actor(), action, &target, Some(unit), Some(detail))?,
    ])
    .await?;
    announce(&s.shared, &[unit.to_string()], &[]).await?;
    Ok(AppJson(Decided {
        source: rec.source,
        id: rec.id,
        version: rec.version,
        unit: unit.to_string(),
        decision: if approved { "approved" } else { "rejected" }.into(),
    }))
}

/// Approve a normal bulletin for a commune (editors of that commune),
/// optionally changing its title, summary, main text or ticker for that
/// commune's boards. The commune's boards get it at once and show it in
/// their bulletin rounds.
#[utoipa::path(post, path = "/api/v1/units/{unit}/bulletins/{source}/{id}/approve", tag = "ingest",
    params(("unit" = String, Path, description = "Commune code"), ("source" = String, Path, description = "Source id"),
        ("id" = String, Path, description = "Bulletin id")),
    request_body(content = BulletinEdits, description = "Changed texts ({} keeps the source's)"),
    responses((status = 200, body = Decided), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn approve(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, source, id)): AppPath<(String, String, String)>,
    AppJson(edits): AppJson<BulletinEdits>,
) -> ApiResult<AppJson<Decided>> {
    check_text("title", &edits.title, MAX_SHORT)?;
    check_text("summary", &edits.summary, MAX_SHORT)?;
    check_text("ticker", &edits.ticker, MAX_SHORT)?;
    check_text("text", &edits.text, MAX_TEXT)?;
    let edited = edits != BulletinEdits::default();
    let decision = Decision {
        approved: true,
        by: who.actor(),
        at: now(),
        reason: None,
        edits: edited.then_some(edits),
    };
    decide(&s, &who, &unit, &source, &id, decision).await
}

/// Reject a normal bulletin for a commune (editors of that commune), with a
/// reason the source sees in its report. An approved bulletin rejected
/// later leaves that commune's boards at once.
#[utoipa::path(post, path = "/api/v1/units/{unit}/bulletins/{source}/{id}/reject", tag = "ingest",
    params(("unit" = String, Path, description = "Commune code"), ("source" = String, Path, description = "Source id"),
        ("id" = String, Path, description = "Bulletin id")),
    request_body = Rejection,
    responses((status = 200, body = Decided), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn reject(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((unit, source, id)): AppPath<(String, String, String)>,
    AppJson(r): AppJson<Rejection>,
) -> ApiResult<AppJson<Decided>> {
    check_text("reason", &Some(r.reason.clone()), MAX_SHORT)?;
    let decision = Decision {
        approved: false,
        by: who.actor(),
        at: now(),
        reason: Some(r.reason.trim().to_string()),
        edits: None,
    };
    decide(&s, &who, &unit, &source, &id, decision).await
}
