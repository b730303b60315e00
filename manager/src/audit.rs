//! The audit log: who changed what, when. Every change writes its entry in
//! the change's own batch, so a change and its record are stored together
//! or not at all. Entries are keyed by a sequence number (newest last);
//! `GET /api/v1/audit` lists them a page at a time, newest first.

use crate::model::{AuditEntry, key};
use crate::store::{Op, Store};
use chrono::Utc;

/// The audit record of a change, to go in the change's own batch.
pub fn audit(
    store: &dyn Store,
    actor: &str,
    action: &str,
    target: &str,
    unit: Option<&str>,
    detail: Option<serde_json::Value>,
) -> crate::store::Result<Op> {
    let seq = store.next_id()?;
    Ok(Op::put(
        key::audit(seq),
        &AuditEntry {
            seq,
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            unit: unit.map(str::to_string),
            detail,
        },
    ))
}

/// A fresh id with a type prefix: `lay_12`, `brd_40`, …
pub fn new_id(store: &dyn Store, prefix: &str) -> crate::store::Result<String> {
    Ok(format!("{prefix}_{}", store.next_id()?))
}
