//! Essential information in: source systems register with an
//! administrator, then send bulletins (`bangtin.bulletin/1` JSON) and CAP
//! 1.2 alerts, each request signed with the source's own key (see
//! [`crate::sources`]). What is accepted is stored whole, once per id and
//! version; what is refused gets a 4xx naming the field and the reason and
//! leaves nothing behind. The rules are [`crate::ingest`]'s; these
//! handlers check the signature and content type, call them and map
//! their refusals.

use super::{CREATED, audit, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, ErrorBody};
use crate::ingest::{self, Accepted};
use crate::model::{Unit, key};
use crate::records::BulletinRecord;
use crate::sources::{self, SourceRecord, SourceView};
use crate::state::AppState;
use crate::store::{Op, Store, StoreExt};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// A new source system.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
    /// Province or commune codes it may address (an unknown one: 404).
    #[schema(min_items = 1)]
    pub units: Vec<String>,
    /// Where the manager pushes changed reports (http or https, signed
    /// with the source's key); absent: none are pushed.
    #[serde(default)]
    #[schema(schema_with = crate::patterns::url_optional)]
    pub report_url: Option<String>,
    /// Seconds between pushes, 1–3600 (default 60).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3600)]
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
    responses((status = 201, body = CreatedSource), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such unit"), (status = 422, body = ErrorBody)),
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
    s.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.create", &rec.id, None, None)?,
    ])
    .await?;
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
        return Err(
            AppError::unprocessable("cần tên nguồn tin, 1–200 ký tự (name required, 1–200 characters)").field("name"),
        );
    }
    Ok(())
}

fn check_units(store: &dyn Store, units: &[String]) -> Result<(), AppError> {
    if units.is_empty() {
        return Err(AppError::unprocessable("cần ít nhất một đơn vị (at least one unit)").field("units"));
    }
    for u in units {
        if store.get(&key::unit(u))?.is_none() {
            return Err(AppError::not_found_because(format!("không có đơn vị {u} (unknown unit)")).field("units"));
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
    /// 1–200 characters, not only spaces.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: Option<String>,
    /// Province or commune codes it may address (an unknown one: 404).
    #[serde(default)]
    #[schema(min_items = 1)]
    pub units: Option<Vec<String>>,
    /// true: everything it sends is refused (401) until set false again —
    /// for a key that leaked or a system taken out of service.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New push address; "" stops pushing.
    #[serde(default)]
    #[schema(schema_with = crate::patterns::url_optional_or_empty)]
    pub report_url: Option<String>,
    /// Seconds between pushes, 1–3600.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3600)]
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
    s.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.update", &rec.id, None, None)?,
    ])
    .await?;
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
    s.commit(vec![
        Op::put(sources::key_of(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "source.rotate_key", &rec.id, None, None)?,
    ])
    .await?;
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

/// Send a bulletin (source systems; signed, see docs/source-system.md). Normal
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
    let src = super::signed_source(&*s.store, &headers, "POST", uri.path(), &body)?;
    content_type(&headers, &["application/json"])?;
    accepted(&s, "bulletin", ingest::bulletin(&s.shared, &src, &body).await?)
}

/// 202 for what was taken, 200 for a duplicate.
fn accepted(s: &AppState, kind: &str, a: Accepted) -> ApiResult<(StatusCode, AppJson<Accepted>)> {
    let status = if a.duplicate {
        StatusCode::OK
    } else {
        s.metrics
            .alerts_accepted
            .get_or_create(&crate::metrics::Kind { kind: kind.into() })
            .inc();
        StatusCode::ACCEPTED
    };
    Ok((status, AppJson(a)))
}

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
    let src = super::signed_source(&*s.store, &headers, "POST", uri.path(), &body)?;
    content_type(&headers, &["application/cap+xml", "application/xml", "text/xml"])?;
    accepted(&s, "cap", ingest::alert(&s.shared, &src, &body).await?)
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
        .map(|b| BulletinRecord { reading: None, ..b })
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
    // Compiled and stored whenever something changes for the board; only a
    // board that has never had a set (claimed since) gets it compiled here.
    let signed = match crate::alerting::stored(&s, &b.board.id)? {
        Some(signed) => Some(signed),
        None => {
            let board = b.board.clone();
            let shared = s.shared.clone();
            tokio::task::spawn_blocking(move || {
                crate::alerting::refresh(&shared, std::slice::from_ref(&board), now())?;
                crate::alerting::stored(&shared, &board.id)
            })
            .await
            .map_err(AppError::internal)??
        }
    };
    let Some(set) = signed else {
        return Err(AppError::not_found("cảnh báo (no alerts issued for this board)"));
    };
    let version = set.version;
    crate::reporting::fetched(&s, &b.board.id, version, &set.payload, now());
    let etag = format!("\"{version}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    // The envelope's bytes as stored: what `AppJson` would write again.
    let mut r = (StatusCode::OK, set.raw).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::ETAG,
        axum::http::HeaderValue::from_str(&etag).map_err(AppError::internal)?,
    );
    Ok(r)
}
