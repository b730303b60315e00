//! The approval queue of normal bulletins. A normal bulletin from a source
//! waits in the queue of every commune it targets (a province target: each
//! of its communes; a board: the board's commune); an editor of that
//! commune approves it — optionally changing its texts — or rejects it with
//! a reason. Only approved ones reach that commune's boards, in their
//! bulletin rounds. A decision can be changed while the bulletin is live
//! (rejecting an approved one takes it off the boards); a new version from
//! the source starts with no decisions.

use crate::audit::audit;
use crate::ingest::{INGEST, announce};
use crate::model::{Board, Unit, key};
use crate::records::{BulletinEdits, BulletinRecord, BulletinState, Decision, bulletin_key, state_name};
use crate::shared::Shared;
use crate::store::{Op, Store, StoreExt};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Longest edited title, summary, ticker or reason (characters).
pub const MAX_SHORT: usize = 500;
/// Longest edited main text (characters).
pub const MAX_TEXT: usize = 5_000;

/// Why a decision is refused.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    /// No such bulletin in this commune's queue.
    #[error("không tìm thấy {0}")]
    NotFound(&'static str),
    /// A text too long or empty.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Not a bulletin that waits for approval.
    #[error("{field}: {reason}")]
    Conflict { field: &'static str, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

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

/// An edited text, or a reason: present ones must not be blank nor longer
/// than `max` characters.
pub fn check_text(field: &'static str, v: Option<&str>, max: usize) -> Result<(), ApprovalError> {
    if let Some(t) = v {
        if t.trim().chars().count() == 0 {
            return Err(ApprovalError::Invalid {
                field,
                reason: "không được để trống (must not be empty)".into(),
            });
        }
        if t.chars().count() > max {
            return Err(ApprovalError::Invalid {
                field,
                reason: format!("dài quá {max} ký tự (longer than {max} characters)"),
            });
        }
    }
    Ok(())
}

/// Check an editor's changes before approving.
pub fn check_edits(e: &BulletinEdits) -> Result<(), ApprovalError> {
    check_text("title", e.title.as_deref(), MAX_SHORT)?;
    check_text("summary", e.summary.as_deref(), MAX_SHORT)?;
    check_text("ticker", e.ticker.as_deref(), MAX_SHORT)?;
    check_text("text", e.text.as_deref(), MAX_TEXT)
}

/// Record `decision`, made by `actor`, for commune `unit` on bulletin
/// `source`/`id`, then push the commune's boards their new sets. Returns
/// the bulletin as now kept. The caller checked the actor may decide for
/// `unit`.
pub async fn decide(
    s: &Arc<Shared>,
    actor: &str,
    unit: &str,
    source: &str,
    id: &str,
    decision: Decision,
) -> Result<BulletinRecord, ApprovalError> {
    let _g = crate::store::exclusive(&*s.store, &INGEST, "ingest").await?;
    let k = bulletin_key(source, id);
    let mut rec: BulletinRecord = s
        .store
        .get_json(&k)?
        .ok_or(ApprovalError::NotFound("bản tin (bulletin)"))?;
    if !communes_of(&*s.store, &rec)?.contains(unit) {
        return Err(ApprovalError::NotFound(
            "bản tin trong hàng chờ của đơn vị này (bulletin not addressed to this commune)",
        ));
    }
    if rec.priority != "normal" {
        return Err(ApprovalError::Conflict {
            field: "priority",
            reason: format!(
                "bản tin mức {} không cần duyệt (only normal bulletins are approved)",
                rec.priority
            ),
        });
    }
    if rec.state != BulletinState::Pending {
        let state = state_name(rec.state);
        return Err(ApprovalError::Conflict {
            field: "state",
            reason: format!("bản tin đang ở trạng thái {state}, không thể duyệt (bulletin is {state})"),
        });
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
        audit(&*s.store, actor, action, &target, Some(unit), Some(detail))?,
    ])
    .await?;
    announce(s, &[unit.to_string()], &[]).await?;
    Ok(rec)
}
