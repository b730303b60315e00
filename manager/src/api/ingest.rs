//! Essential information in: source systems register with an
//! administrator, then send bulletins (`bangtin.bulletin/1` JSON) and CAP
//! 1.2 alerts, each request signed with the source's own key (see
//! [`crate::sources`]). What is accepted is stored whole, once per id and
//! version; what is refused gets a 4xx naming the field and the reason and
//! leaves nothing behind.

use super::{CREATED, audit, now};
use crate::auth::Officer;
use crate::bulletin::{self, Bulletin, Priority};
use crate::cap::{self, CapAlert, MsgType};
use crate::error::{ApiResult, AppError, AppJson, ErrorBody};
use crate::model::{Unit, key};
use crate::sources::{self, SourceRecord, SourceView};
use crate::state::AppState;
use crate::store::{Op, Store, StoreExt};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::ToSchema;

/// A new source system.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSource {
    pub name: String,
    /// Province or commune codes it may address.
    pub units: Vec<String>,
    /// Where the manager pushes changed reports (http or https, signed
    /// with the source's key); absent: none are pushed.
    #[serde(default)]
    pub report_url: Option<String>,
    /// Seconds between pushes, 1–3600 (default 60).
    #[serde(default)]
    pub report_every_s: Option<u32>,
}

/// A registered source and its key — shown this once only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedSource {
    pub source: SourceView,
    /// HMAC-SHA256 key, base64: give it to the source system.
    pub key: String,
}

/// Register a source information system (administrators).
#[utoipa::path(post, path = "/api/v1/sources", tag = "ingest", request_body = NewSource,
    responses((status = 201, body = CreatedSource), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_source(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(n): AppJson<NewSource>,
) -> ApiResult<(StatusCode, AppJson<CreatedSource>)> {
    who.admin()?;
    check_name(&n.name)?;
    check_units(&*s.store, &n.units)?;
    let report_url = n
        .report_url
        .as_deref()
        .map(crate::reporting::check_report_url)
        .transpose()?;
    let report_every_s = n.report_every_s.map(crate::reporting::check_report_every).transpose()?;
    let key_b64 = new_key();
    let rec = SourceRecord {
        id: super::new_id(&*s.store, "src")?,
        name: n.name.trim().to_string(),
        units: n.units,
        created: now(),
        key: key_b64.clone(),
        disabled: false,
        report_url,
        report_every_s,
    };
    s.store.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.create", &rec.id, None, None)?,
    ])?;
    Ok((
        CREATED,
        AppJson(CreatedSource {
            source: SourceView::from(&rec),
            key: key_b64,
        }),
    ))
}

fn check_name(name: &str) -> Result<(), AppError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(AppError::unprocessable("cần tên nguồn tin, tối đa 200 ký tự (name required)").field("name"));
    }
    Ok(())
}

fn check_units(store: &dyn Store, units: &[String]) -> Result<(), AppError> {
    if units.is_empty() {
        return Err(AppError::unprocessable("cần ít nhất một đơn vị (at least one unit)").field("units"));
    }
    for u in units {
        if store.get(&key::unit(u))?.is_none() {
            return Err(AppError::unprocessable(format!("không có đơn vị {u} (unknown unit)")).field("units"));
        }
    }
    Ok(())
}

/// A fresh 32-byte HMAC key, base64.
fn new_key() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Changes to a registered source; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub units: Option<Vec<String>>,
    /// true: everything it sends is refused (401) until set false again —
    /// for a key that leaked or a system taken out of service.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New push address; "" stops pushing.
    #[serde(default)]
    pub report_url: Option<String>,
    /// Seconds between pushes, 1–3600.
    #[serde(default)]
    pub report_every_s: Option<u32>,
}

fn load_source(store: &dyn Store, id: &str) -> Result<SourceRecord, AppError> {
    store
        .get_json::<SourceRecord>(&sources::key_of(id))?
        .ok_or_else(|| AppError::not_found("nguồn tin (source)"))
}

/// Change a source (administrators): name, units, disabled, report push.
#[utoipa::path(patch, path = "/api/v1/sources/{source}", tag = "ingest", request_body = SourcePatch,
    params(("source" = String, Path, description = "Source id")),
    responses((status = 200, body = SourceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_source(
    State(s): State<Arc<AppState>>,
    who: Officer,
    crate::error::AppPath(id): crate::error::AppPath<String>,
    AppJson(p): AppJson<SourcePatch>,
) -> ApiResult<AppJson<SourceView>> {
    who.admin()?;
    let mut rec = load_source(&*s.store, &id)?;
    if let Some(name) = &p.name {
        check_name(name)?;
        rec.name = name.trim().to_string();
    }
    if let Some(units) = p.units {
        check_units(&*s.store, &units)?;
        rec.units = units;
    }
    if let Some(d) = p.disabled {
        rec.disabled = d;
    }
    match p.report_url.as_deref() {
        Some("") => rec.report_url = None,
        Some(u) => rec.report_url = Some(crate::reporting::check_report_url(u)?),
        None => {}
    }
    if let Some(e) = p.report_every_s {
        rec.report_every_s = Some(crate::reporting::check_report_every(e)?);
    }
    s.store.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.update", &rec.id, None, None)?,
    ])?;
    Ok(AppJson(SourceView::from(&rec)))
}

/// Give a source a new key (administrators); the old one stops working at
/// once. The new key is shown this once only.
#[utoipa::path(post, path = "/api/v1/sources/{source}/key", tag = "ingest",
    params(("source" = String, Path, description = "Source id")),
    responses((status = 200, body = CreatedSource), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn rotate_source_key(
    State(s): State<Arc<AppState>>,
    who: Officer,
    crate::error::AppPath(id): crate::error::AppPath<String>,
) -> ApiResult<AppJson<CreatedSource>> {
    who.admin()?;
    let mut rec = load_source(&*s.store, &id)?;
    let key_b64 = new_key();
    rec.key = key_b64.clone();
    s.store.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.rotate_key", &rec.id, None, None)?,
    ])?;
    Ok(AppJson(CreatedSource {
        source: SourceView::from(&rec),
        key: key_b64,
    }))
}

/// Registered source systems (administrators; keys are never shown again).
#[utoipa::path(get, path = "/api/v1/sources", tag = "ingest",
    responses((status = 200, body = [SourceView]), (status = 403, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list_sources(State(s): State<Arc<AppState>>, who: Officer) -> ApiResult<AppJson<Vec<SourceView>>> {
    who.admin()?;
    let all: Vec<SourceRecord> = s.store.scan_json("source/")?;
    Ok(AppJson(all.iter().map(SourceView::from).collect()))
}

/// Where a bulletin stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulletinState {
    /// A normal bulletin waiting for an editor of its commune.
    Pending,
    /// Approved, or priority/emergency (no approval needed): to be shown.
    Live,
    Rejected,
    Cancelled,
    /// A newer version or another bulletin replaced it.
    Superseded,
}

/// A bulletin as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulletinRecord {
    pub source: String,
    pub id: String,
    pub version: u64,
    pub priority: String,
    pub state: BulletinState,
    pub title: String,
    /// Administrative codes and board ids it targets.
    pub areas: Vec<String>,
    pub boards: Vec<String>,
    pub received: DateTime<Utc>,
    /// SHA-256 of the document as received.
    pub sha256: String,
    /// The document as received.
    pub document: String,
    /// Normal bulletins: each targeted commune's editor's decision, by
    /// commune code (absent: still waiting there). A new version starts
    /// with none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub decisions: std::collections::BTreeMap<String, Decision>,
    /// SHA-256 of every file it references (fetched and checked on
    /// arrival, kept in the media store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<String>,
}

/// An editor's decision on a normal bulletin for one commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub approved: bool,
    /// Who decided (`user:<name>`).
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the editor changed before approving (shown instead of the
    /// source's text on that commune's boards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edits: Option<BulletinEdits>,
}

/// Texts an editor may change when approving; absent fields keep the
/// source's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletinEdits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The main text on the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticker: Option<String>,
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

pub(crate) fn bulletin_key(source: &str, id: &str) -> String {
    format!("bulletin/{source}/{id}")
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Every target must be a unit we know and inside the source's units; every
/// board id must exist there too.
fn check_targets(store: &dyn Store, src: &SourceRecord, areas: &[String], boards: &[String]) -> Result<(), AppError> {
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
        return Err(AppError::unprocessable(format!(
            "không có đơn vị hành chính mã {unknown:?} (unknown target codes)"
        ))
        .field("targets.areas"));
    }
    if let Some(c) = areas.iter().find(|c| !sources::covers(&src.units, c, parent_of)) {
        return Err(AppError::forbidden(format!(
            "nguồn tin không được gửi tới đơn vị {c} (target outside the source's units)"
        ))
        .field("targets.areas"));
    }
    for b in boards {
        let board: Option<crate::model::Board> = store.get_json(&key::board(b))?;
        match board {
            Some(bd) if sources::covers(&src.units, &bd.unit, parent_of) => {}
            _ => {
                return Err(AppError::unprocessable(format!(
                    "không có bảng tin {b} trong đơn vị của nguồn (unknown board)"
                ))
                .field("targets.boards"));
            }
        }
    }
    Ok(())
}

/// Send a bulletin (source systems; signed, see the README). Normal
/// bulletins wait for an editor of each targeted commune; priority and
/// emergency ones go live at once. The same id and version sent again is
/// accepted once; a lower version is refused.
#[utoipa::path(post, path = "/api/v1/bulletins", tag = "ingest",
    request_body(content = Object, description = "bangtin.bulletin/1 document", content_type = "application/json"),
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("source" = [])))]
pub async fn post_bulletin(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> ApiResult<(StatusCode, AppJson<Accepted>)> {
    let src = sources::verify(&*s.store, &headers, "POST", uri.path(), &body, now())?;
    content_type(&headers, &["application/json"])?;
    let (status, accepted) = ingest_bulletin(&s, &src, &body).await?;
    Ok((status, AppJson(accepted)))
}

/// Take in one `bangtin.bulletin/1` document from source `src` (already
/// authenticated): validate, check targets, apply the version rules, store
/// and announce. Shared by the HTTP endpoint and the feed poller. Returns
/// 202 for a new version, 200 for a duplicate.
pub async fn ingest_bulletin(
    s: &Arc<AppState>,
    src: &SourceRecord,
    body: &[u8],
) -> Result<(StatusCode, Accepted), AppError> {
    if body.len() > bulletin::MAX_BYTES {
        return Err(AppError::too_large(bulletin::MAX_BYTES as u64));
    }
    let b: Bulletin = bulletin::parse(body).map_err(|e| AppError::unprocessable(e.reason.clone()).field(e.path))?;
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
    let _g = INGEST.lock().await;
    let previous = s.store.get_json::<BulletinRecord>(&k)?;
    if let Some(old) = previous.clone() {
        if old.version == b.version {
            if old.sha256 == sha {
                return Ok((
                    StatusCode::OK,
                    Accepted {
                        id: old.id,
                        version: old.version,
                        state: state_name(old.state),
                        duplicate: true,
                    },
                ));
            }
            return Err(AppError::conflict(format!(
                "phiên bản {} của bản tin {} đã nhận với nội dung khác; hãy tăng version (same version, different content)",
                b.version, b.id
            ))
            .field("version"));
        }
        if old.version > b.version {
            return Err(AppError::conflict(format!(
                "đã có phiên bản {} mới hơn của bản tin {} (a newer version exists)",
                old.version, b.id
            ))
            .field("version"));
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
        received: now(),
        sha256: sha,
        document: String::from_utf8_lossy(body).into_owned(),
        decisions: Default::default(),
        media: media.iter().map(|m| m.sha256.clone()).collect(),
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
    s.store.commit(ops)?;
    if b.priority != Priority::Normal || b.cancel || b.supersedes.is_some() || previous.is_some() {
        // Where it was shown before (an earlier version may have targeted
        // other places) and where it goes now.
        let mut areas = rec.areas.clone();
        let mut boards = rec.boards.clone();
        if let Some(p) = &previous {
            areas.extend(p.areas.iter().cloned());
            boards.extend(p.boards.iter().cloned());
        }
        announce(s, &areas, &boards)?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Accepted {
            id: rec.id,
            version: rec.version,
            state: state_name(state),
            duplicate: false,
        },
    ))
}

/// Serialises read-check-write of ingest records within this manager.
pub(crate) static INGEST: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn content_type(h: &HeaderMap, allowed: &[&str]) -> Result<(), AppError> {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if allowed.contains(&ct.as_str()) {
        Ok(())
    } else {
        Err(AppError::unsupported(format!(
            "cần Content-Type {} (got {ct:?})",
            allowed.join(" hoặc ")
        )))
    }
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Normal => "normal",
        Priority::Priority => "priority",
        Priority::Emergency => "emergency",
    }
}

fn state_name<T: Serialize>(s: T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Actual and in force.
    Live,
    /// Test, Exercise, System or Draft: kept and previewable, never shown.
    NotLive,
    /// Replaced by an Update.
    Updated,
    Cancelled,
}

/// A CAP alert as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertRecord {
    pub source: String,
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<chrono::FixedOffset>,
    pub msg_type: String,
    pub state: AlertState,
    pub emergency: bool,
    pub risk_level: Option<u8>,
    pub headline: Option<String>,
    pub areas: Vec<String>,
    pub expires: Option<DateTime<chrono::FixedOffset>>,
    pub received: DateTime<Utc>,
    pub document: String,
}

fn alert_key(sender: &str, identifier: &str) -> String {
    format!("alert/{}", sha_hex(format!("{sender},{identifier}").as_bytes()))
}

/// Send a CAP 1.2 alert (source systems; signed). Only `status=Actual`
/// goes live; Test and Exercise are kept. Update and Cancel act on the
/// alerts their `references` name. Urgency Immediate with severity
/// Extreme or Severe makes an emergency.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "ingest",
    request_body(content = String, description = "CAP 1.2 XML", content_type = "application/cap+xml"),
    responses((status = 202, body = Accepted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("source" = [])))]
pub async fn post_alert(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> ApiResult<(StatusCode, AppJson<Accepted>)> {
    let src = sources::verify(&*s.store, &headers, "POST", uri.path(), &body, now())?;
    content_type(&headers, &["application/cap+xml", "application/xml", "text/xml"])?;
    if body.len() > cap::MAX_BYTES {
        return Err(AppError::too_large(cap::MAX_BYTES as u64));
    }
    let a: CapAlert = cap::parse(&body).map_err(|e| AppError::unprocessable(e.reason.clone()).field(e.path))?;
    let areas = a.area_codes();
    check_targets(&*s.store, &src, &areas, &[])?;
    let k = alert_key(&a.sender, &a.identifier);
    let sha = sha_hex(&body);
    let _g = INGEST.lock().await;
    if let Some(old) = s.store.get_json::<AlertRecord>(&k)? {
        if sha_hex(old.document.as_bytes()) == sha {
            return Ok((
                StatusCode::OK,
                AppJson(Accepted {
                    id: old.identifier,
                    version: 1,
                    state: state_name(old.state),
                    duplicate: true,
                }),
            ));
        }
        return Err(AppError::conflict(format!(
            "cảnh báo {} của {} đã nhận với nội dung khác; CAP đổi nội dung bằng msgType Update (identifier reused)",
            a.identifier, a.sender
        ))
        .field("identifier"));
    }
    let mut ops = Vec::new();
    if matches!(a.msg_type, MsgType::Update | MsgType::Cancel) {
        let mut found = 0;
        for r in &a.references {
            let rk = alert_key(&r.sender, &r.identifier);
            if let Some(mut o) = s.store.get_json::<AlertRecord>(&rk)? {
                if o.source != src.id {
                    return Err(AppError::forbidden(format!(
                        "cảnh báo {} do nguồn khác gửi (referenced alert belongs to another source)",
                        r.identifier
                    ))
                    .field("references"));
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
            return Err(AppError::unprocessable(
                "references không trỏ tới cảnh báo nào đã nhận (no referenced alert was received)",
            )
            .field("references"));
        }
    }
    let info = a.board_info();
    let state = match (a.goes_live(), a.msg_type) {
        (_, MsgType::Cancel) => AlertState::Cancelled,
        (true, _) => AlertState::Live,
        (false, _) => AlertState::NotLive,
    };
    let rec = AlertRecord {
        source: src.id.clone(),
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
        received: now(),
        document: String::from_utf8_lossy(&body).into_owned(),
    };
    ops.push(Op::put(&k, &rec));
    ops.push(audit(
        &*s.store,
        &format!("source:{}", src.id),
        "alert.receive",
        &a.identifier,
        None,
        None,
    )?);
    s.store.commit(ops)?;
    // Cancelled and updated alerts may cover other areas than this one.
    let mut areas = rec.areas.clone();
    for r in &a.references {
        if let Some(o) = s.store.get_json::<AlertRecord>(&alert_key(&r.sender, &r.identifier))? {
            areas.extend(o.areas);
        }
    }
    announce(&s, &areas, &[])?;
    Ok((
        StatusCode::ACCEPTED,
        AppJson(Accepted {
            id: rec.identifier,
            version: 1,
            state: state_name(state),
            duplicate: false,
        }),
    ))
}

/// Bulletins addressed to a unit (its own code, its province's, or one of
/// its boards), newest first: the commune's queue of what waits for
/// approval and what is live.
#[utoipa::path(get, path = "/api/v1/units/{unit}/bulletins", tag = "ingest",
    params(("unit" = String, Path, description = "Commune or province code")),
    responses((status = 200, body = [BulletinRecord]), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn unit_bulletins(
    State(s): State<Arc<AppState>>,
    who: Officer,
    crate::error::AppPath(code): crate::error::AppPath<String>,
) -> ApiResult<AppJson<Vec<BulletinRecord>>> {
    who.read(&code, "đơn vị")?;
    let unit: Unit = s
        .store
        .get_json(&key::unit(&code))?
        .ok_or_else(|| AppError::not_found("đơn vị"))?;
    let boards: Vec<crate::model::Board> = s.store.scan_json("board/")?;
    let own: Vec<String> = boards.into_iter().filter(|b| b.unit == code).map(|b| b.id).collect();
    let mut out: Vec<BulletinRecord> = s
        .store
        .scan_json::<BulletinRecord>("bulletin/")?
        .into_iter()
        .filter(|b| {
            b.areas
                .iter()
                .any(|a| *a == code || unit.parent.as_deref() == Some(a.as_str()))
                || b.boards.iter().any(|x| own.contains(x))
        })
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.received));
    Ok(AppJson(out))
}

/// For boards: the signed set of alerts in force for them
/// (`bangtin.alerts/1`). `If-None-Match: "<version>"` answers 304 when
/// nothing changed; 404 when no alert ever concerned the board.
#[utoipa::path(get, path = "/api/v1/board/alerts", tag = "board",
    responses((status = 200, body = Object), (status = 304), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
pub async fn own_alerts(
    State(s): State<Arc<AppState>>,
    b: crate::auth::BoardAuth,
    headers: HeaderMap,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    crate::alerting::refresh(&s, std::slice::from_ref(&b.board), now())?;
    let Some(signed) = s
        .store
        .get_json::<bangtin_layouts::show::SignedShow>(&crate::alerting::set_key(&b.board.id))?
    else {
        return Err(AppError::not_found("cảnh báo (no alerts issued for this board)"));
    };
    let version = serde_json::from_str::<bangtin_layouts::alerts::AlertSet>(&signed.payload)
        .map_err(AppError::internal)?
        .version;
    crate::reporting::fetched(&s, &b.board.id, version, &signed.payload, now());
    let etag = format!("\"{version}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut r = AppJson(signed).into_response();
    r.headers_mut().insert(
        header::ETAG,
        axum::http::HeaderValue::from_str(&etag).map_err(AppError::internal)?,
    );
    Ok(r)
}

/// Recompile and push the alert sets of the boards `areas`/`boards` cover.
pub(crate) fn announce(s: &AppState, areas: &[String], boards: &[String]) -> Result<(), AppError> {
    let affected = crate::alerting::boards_for(s, areas, boards)?;
    let n = crate::alerting::refresh(s, &affected, now())?;
    s.speakers.wake();
    if n > 0 {
        tracing::info!("cảnh báo gửi tới {n} bảng tin (alert sets pushed)");
    }
    Ok(())
}
