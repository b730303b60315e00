//! Receipts: called from `GET /api/v1/board/alerts`.

use super::*;

/// Board `board` holds alert set `version` (its payload `payload`): it was
/// sent now, or the board answered 304 for it. The first time, each item
/// of the set gets its receipt. Never fails the board's request: a problem
/// is logged.
pub fn fetched(s: &Shared, board: &str, version: u64, payload: &str, now: DateTime<Utc>) {
    if let Err(e) = record_fetch(&*s.store, board, version, payload, now) {
        tracing::warn!(
            "không ghi được việc bảng tin {board} nhận bộ cảnh báo {version}: {e} (fetch not recorded for reports)"
        );
    }
}

pub(crate) fn record_fetch(
    store: &dyn Store,
    board: &str,
    version: u64,
    payload: &str,
    now: DateTime<Utc>,
) -> crate::store::Result<()> {
    let fk = fetch_key(board, version);
    if store.get(&fk)?.is_some() {
        return Ok(());
    }
    // Only the alerts' ids are needed: the rest of the set is not read.
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct Ids {
        alerts: Vec<Id>,
    }
    let set: Ids = serde_json::from_str(payload).map_err(|e| crate::store::StoreError::Corrupt {
        key: fk.clone(),
        msg: e.to_string(),
    })?;
    let mut ops = vec![Op::put(fk, &now)];
    for a in &set.alerts {
        let v = bulletin_version(store, &a.id)?;
        let rk = recv_key(&item_hash(&a.id), board);
        let r = match get_lenient::<Receipt>(store, &rk)? {
            None => Receipt {
                first: now,
                version: v,
                version_at: now,
            },
            Some(mut r) if v > r.version => {
                r.version = v;
                r.version_at = now;
                r
            }
            Some(_) => continue,
        };
        ops.push(Op::put(rk, &r));
    }
    // Like heartbeats: frequent, applied without waiting for the disk.
    store.apply(ops)
}

/// The version of the bulletin a board alert id names (0: a CAP alert).
pub(crate) fn bulletin_version(store: &dyn Store, alert_id: &str) -> crate::store::Result<u64> {
    let Some((source, id)) = alert_id.strip_prefix("bulletin:").and_then(|r| r.split_once(':')) else {
        return Ok(0);
    };
    Ok(get_lenient::<BulletinRecord>(store, &bulletin_key(source, id))?.map_or(0, |b| b.version))
}
