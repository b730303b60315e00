//! The approval queue's routes: approve or reject a normal bulletin for a
//! commune. The rules are in [`crate::approval`].

use super::now;
use crate::approval::{self, MAX_SHORT, check_edits, check_text};
use crate::auth::Officer;
use crate::error::{ApiResult, AppJson, AppPath, ErrorBody};
use crate::records::{BulletinEdits, Decision};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Why a bulletin is refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Shown to the source in its report, 1–500 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
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

/// Record `decision` for commune `unit` (the officer must be its editor).
async fn decide(
    s: &Arc<AppState>,
    who: &Officer,
    unit: &str,
    source: &str,
    id: &str,
    decision: Decision,
) -> ApiResult<AppJson<Decided>> {
    who.write(unit, "đơn vị")?;
    let approved = decision.approved;
    let rec = approval::decide(&s.shared, &who.actor(), unit, source, id, decision).await?;
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
    check_edits(&edits)?;
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
    check_text("reason", Some(&r.reason), MAX_SHORT)?;
    let decision = Decision {
        approved: false,
        by: who.actor(),
        at: now(),
        reason: Some(r.reason.trim().to_string()),
        edits: None,
    };
    decide(&s, &who, &unit, &source, &id, decision).await
}
