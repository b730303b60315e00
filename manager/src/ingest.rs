//! Essential information taken in: the rules for a bulletin
//! (`bangtin.bulletin/1`) or a CAP 1.2 alert from an authenticated source
//! system — size, schema, targets inside the source's units, media fetched
//! and checked, the version rules (the same id and version again is a
//! duplicate, a different document under it or a lower version a
//! conflict), CAP `references` for Update and Cancel (only the source's own
//! alerts) — then stored whole with its audit entry, and the boards and
//! loudspeakers it concerns told. Used by `POST /api/v1/bulletins`,
//! `POST /api/v1/alerts` ([`crate::api::ingest`]) and the feed poller
//! ([`crate::feeds`]); nothing here knows of HTTP.

use crate::audit::audit;
use crate::bulletin::{self, Bulletin, Priority};
use crate::cap::{self, CapAlert, MsgType};
use crate::fetch::FetchError;
use crate::model::{Unit, key};
use crate::records::{
    AlertRecord, AlertState, BulletinRecord, BulletinState, alert_key, bulletin_key, sha_hex, state_name,
};
use crate::shared::Shared;
use crate::sources::{self, SourceRecord};
use crate::store::{Op, Store, StoreExt};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// Why a document was refused. Each names what is wrong and, where it
/// is one field, its JSON path; the HTTP side maps them to 413, 422, 403,
/// 409 and 500.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("tài liệu lớn hơn {0} byte (document too large)")]
    TooLarge(u64),
    /// Not valid by the schema, unknown targets, a reference to nothing.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A target or a referenced alert outside what the source may reach.
    #[error("{field}: {reason}")]
    Forbidden { field: String, reason: String },
    /// Against the version rules.
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What an ingest request did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Accepted {
    pub id: String,
    pub version: u64,
    pub state: String,
    /// The same id and version was already accepted: nothing changed.
    pub duplicate: bool,
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Normal => "normal",
        Priority::Priority => "priority",
        Priority::Emergency => "emergency",
    }
}

/// Every target must be a unit we know and inside the source's units; every
/// board id must exist there too.
fn check_targets(
    store: &dyn Store,
    src: &SourceRecord,
    areas: &[String],
    boards: &[String],
) -> Result<(), IngestError> {
    let parent_of = |c: &str| {
        store
            .get_json::<Unit>(&key::unit(c))
            .ok()
            .flatten()
            .and_then(|u| u.parent)
    };
    let unknown: Vec<&String> = areas
        .iter()
        .filter(|c| store.get(&key::unit(c)).ok().flatten().is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(IngestError::Invalid {
            field: "targets.areas".into(),
            reason: format!("không có đơn vị hành chính mã {unknown:?} (unknown target codes)"),
        });
    }
    if let Some(c) = areas.iter().find(|c| !sources::covers(&src.units, c, parent_of)) {
        return Err(IngestError::Forbidden {
            field: "targets.areas".into(),
            reason: format!("nguồn tin không được gửi tới đơn vị {c} (target outside the source's units)"),
        });
    }
    for b in boards {
        let board: Option<crate::model::Board> = store.get_json(&key::board(b))?;
        match board {
            Some(bd) if sources::covers(&src.units, &bd.unit, parent_of) => {}
            _ => {
                return Err(IngestError::Invalid {
                    field: "targets.boards".into(),
                    reason: format!("không có bảng tin {b} trong đơn vị của nguồn (unknown board)"),
                });
            }
        }
    }
    Ok(())
}

/// Take in one `bangtin.bulletin/1` document from source `src` (already
/// authenticated): validate, check targets, apply the version rules, store
/// and announce. Shared by the HTTP endpoint and the feed poller.
pub async fn bulletin(s: &Arc<Shared>, src: &SourceRecord, body: &[u8]) -> Result<Accepted, IngestError> {
    if body.len() > bulletin::MAX_BYTES {
        return Err(IngestError::TooLarge(bulletin::MAX_BYTES as u64));
    }
    let b: Bulletin = bulletin::parse(body).map_err(|e| IngestError::Invalid {
        field: e.path.clone(),
        reason: e.reason.clone(),
    })?;
    let areas: Vec<String> = b.area_codes().into_iter().map(str::to_string).collect();
    check_targets(&*s.store, src, &areas, &b.targets.boards)?;
    let k = bulletin_key(&src.id, &b.id);
    let sha = sha_hex(body);
    // Media by URL, fetched and checked before anything is stored (not
    // under the ingest lock: emergencies must not wait for downloads).
    // A version that will be refused below fetches nothing.
    let media = crate::fetch::refs(&b);
    let stale = s
        .store
        .get_json::<BulletinRecord>(&k)?
        .is_some_and(|old| old.version >= b.version);
    if !stale && !b.cancel {
        crate::fetch::fetch_all(s, &media).await?;
    }
    let _g = crate::store::exclusive(&*s.store, &INGEST, "ingest").await?;
    let previous = s.store.get_json::<BulletinRecord>(&k)?;
    if let Some(old) = previous.clone() {
        if old.version == b.version {
            if old.sha256 == sha {
                return Ok(Accepted {
                    id: old.id,
                    version: old.version,
                    state: state_name(old.state),
                    duplicate: true,
                });
            }
            return Err(IngestError::Conflict {
                field: "version".into(),
                reason: format!(
                    "phiên bản {} của bản tin {} đã nhận với nội dung khác; hãy tăng version (same version, different content)",
                    b.version, b.id
                ),
            });
        }
        if old.version > b.version {
            return Err(IngestError::Conflict {
                field: "version".into(),
                reason: format!(
                    "đã có phiên bản {} mới hơn của bản tin {} (a newer version exists)",
                    old.version, b.id
                ),
            });
        }
    }
    let state = if b.cancel {
        BulletinState::Cancelled
    } else {
        match b.priority {
            Priority::Normal => BulletinState::Pending,
            Priority::Priority | Priority::Emergency => BulletinState::Live,
        }
    };
    let mut ops = Vec::new();
    if let Some(other) = &b.supersedes {
        let ok = bulletin_key(&src.id, other);
        if let Some(mut o) = s.store.get_json::<BulletinRecord>(&ok)? {
            o.state = BulletinState::Superseded;
            ops.push(Op::put(ok, &o));
        }
    }
    // A cancel may name no targets: it withdraws the bulletin wherever it went.
    let (areas, boards) = match &previous {
        Some(p) if b.cancel && areas.is_empty() && b.targets.boards.is_empty() => (p.areas.clone(), p.boards.clone()),
        _ => (areas, b.targets.boards.clone()),
    };
    let rec = BulletinRecord {
        source: src.id.clone(),
        id: b.id.clone(),
        version: b.version,
        priority: priority_name(b.priority).to_string(),
        state,
        title: b.title.clone(),
        areas,
        boards,
        received: Utc::now(),
        sha256: sha,
        document: String::from_utf8_lossy(body).into_owned(),
        decisions: Default::default(),
        media: media.iter().map(|m| m.sha256.clone()).collect(),
        reading: None,
    };
    let rec = BulletinRecord {
        reading: Some(crate::interpret::bulletin(&b, &rec, |sha| s.media_path(sha))),
        ..rec
    };
    ops.push(Op::put(&k, &rec));
    ops.push(audit(
        &*s.store,
        &format!("source:{}", src.id),
        "bulletin.receive",
        &b.id,
        None,
        None,
    )?);
    s.commit(ops).await?;
    if b.priority != Priority::Normal || b.cancel || b.supersedes.is_some() || previous.is_some() {
        // Where it was shown before (an earlier version may have targeted
        // other places) and where it goes now.
        let mut areas = rec.areas.clone();
        let mut boards = rec.boards.clone();
        if let Some(p) = &previous {
            areas.extend(p.areas.iter().cloned());
            boards.extend(p.boards.iter().cloned());
        }
        announce(s, &areas, &boards).await?;
    }
    Ok(Accepted {
        id: rec.id,
        version: rec.version,
        state: state_name(state),
        duplicate: false,
    })
}

/// Serialises read-check-write of ingest records within this manager.
pub static INGEST: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Take in one CAP 1.2 alert from source `src` (already authenticated).
/// Only `status=Actual` goes live; Test and Exercise are kept. Update and
/// Cancel act on the alerts their `references` name. Urgency Immediate with
/// severity Extreme or Severe makes an emergency.
pub async fn alert(s: &Arc<Shared>, src: &SourceRecord, body: &[u8]) -> Result<Accepted, IngestError> {
    if body.len() > cap::MAX_BYTES {
        return Err(IngestError::TooLarge(cap::MAX_BYTES as u64));
    }
    let a: CapAlert = cap::parse(body).map_err(|e| IngestError::Invalid {
        field: e.path.clone(),
        reason: e.reason.clone(),
    })?;
    let areas = a.area_codes();
    check_targets(&*s.store, src, &areas, &[])?;
    let actor = format!("source:{}", src.id);
    keep_alert(s, &src.id, a, body, areas, (&actor, "alert.receive", None, None)).await
}

/// Who an alert's audit entry names: actor, action, unit, detail.
pub(crate) type AuditAs<'a> = (&'a str, &'a str, Option<&'a str>, Option<serde_json::Value>);

/// Store a parsed CAP alert from `source` (its targets already checked),
/// apply its `references`, and tell the boards and loudspeakers: the one
/// lane of every alert, from a source system or issued locally by an
/// officer ([`crate::notices`]).
pub(crate) async fn keep_alert(
    s: &Arc<Shared>,
    source: &str,
    a: CapAlert,
    body: &[u8],
    areas: Vec<String>,
    audit_as: AuditAs<'_>,
) -> Result<Accepted, IngestError> {
    let k = alert_key(&a.sender, &a.identifier);
    let sha = sha_hex(body);
    let _g = crate::store::exclusive(&*s.store, &INGEST, "ingest").await?;
    if let Some(old) = s.store.get_json::<AlertRecord>(&k)? {
        if sha_hex(old.document.as_bytes()) == sha {
            return Ok(Accepted {
                id: old.identifier,
                version: 1,
                state: state_name(old.state),
                duplicate: true,
            });
        }
        return Err(IngestError::Conflict {
            field: "identifier".into(),
            reason: format!(
                "cảnh báo {} của {} đã nhận với nội dung khác; CAP đổi nội dung bằng msgType Update (identifier reused)",
                a.identifier, a.sender
            ),
        });
    }
    let mut ops = Vec::new();
    if matches!(a.msg_type, MsgType::Update | MsgType::Cancel) {
        let mut found = 0;
        for r in &a.references {
            let rk = alert_key(&r.sender, &r.identifier);
            if let Some(mut o) = s.store.get_json::<AlertRecord>(&rk)? {
                if o.source != source {
                    return Err(IngestError::Forbidden {
                        field: "references".into(),
                        reason: format!(
                            "cảnh báo {} do nguồn khác gửi (referenced alert belongs to another source)",
                            r.identifier
                        ),
                    });
                }
                o.state = if a.msg_type == MsgType::Cancel {
                    AlertState::Cancelled
                } else {
                    AlertState::Updated
                };
                ops.push(Op::put(rk, &o));
                found += 1;
            }
        }
        if found == 0 {
            return Err(IngestError::Invalid {
                field: "references".into(),
                reason: "references không trỏ tới cảnh báo nào đã nhận (no referenced alert was received)".into(),
            });
        }
    }
    let info = a.board_info();
    let state = match (a.goes_live(), a.msg_type) {
        (_, MsgType::Cancel) => AlertState::Cancelled,
        (true, _) => AlertState::Live,
        (false, _) => AlertState::NotLive,
    };
    let rec = AlertRecord {
        source: source.to_string(),
        identifier: a.identifier.clone(),
        sender: a.sender.clone(),
        sent: a.sent,
        msg_type: state_name(a.msg_type),
        state,
        emergency: a.is_emergency(),
        risk_level: a.risk_level(),
        headline: info.and_then(|i| i.headline.clone()),
        areas,
        expires: a.expires(),
        received: Utc::now(),
        document: String::from_utf8_lossy(body).into_owned(),
        reading: None,
    };
    let rec = AlertRecord {
        reading: crate::interpret::alert(&a, &rec),
        ..rec
    };
    ops.push(Op::put(&k, &rec));
    let (actor, action, unit, detail) = audit_as;
    ops.push(audit(&*s.store, actor, action, &a.identifier, unit, detail)?);
    s.commit(ops).await?;
    // Cancelled and updated alerts may cover other areas than this one.
    let mut areas = rec.areas.clone();
    for r in &a.references {
        if let Some(o) = s.store.get_json::<AlertRecord>(&alert_key(&r.sender, &r.identifier))? {
            areas.extend(o.areas);
        }
    }
    announce(s, &areas, &[]).await?;
    Ok(Accepted {
        id: rec.identifier,
        version: 1,
        state: state_name(state),
        duplicate: false,
    })
}

/// Recompile and push the alert sets of the boards `areas`/`boards` cover,
/// and wake the loudspeakers. The sets are compiled on a blocking thread:
/// a province's boards must not hold up the requests of others.
pub async fn announce(s: &Arc<Shared>, areas: &[String], boards: &[String]) -> crate::store::Result<()> {
    let (s2, areas, boards) = (s.clone(), areas.to_vec(), boards.to_vec());
    let n = tokio::task::spawn_blocking(move || {
        let t = std::time::Instant::now();
        let affected = crate::alerting::boards_for(&s2, &areas, &boards)?;
        let found = t.elapsed();
        let n = crate::alerting::refresh(&s2, &affected, Utc::now())?;
        tracing::debug!(
            "announce: {} boards found in {found:?}, {n} sets changed in {:?}",
            affected.len(),
            t.elapsed() - found
        );
        Ok::<_, crate::store::StoreError>(n)
    })
    .await
    .map_err(|e| crate::store::StoreError::Backend(e.to_string()))??;
    s.wake_speakers();
    if n > 0 {
        tracing::info!("cảnh báo gửi tới {n} bảng tin (alert sets pushed)");
    }
    Ok(())
}
