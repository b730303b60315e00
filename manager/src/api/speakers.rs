//! Loudspeaker zones of a commune: administrators attach Snapcast servers
//! (the manager connects out to them, so only administrators may name
//! addresses); officers of the commune see them with their status and what
//! they announced.

use super::{CREATED, audit, new_id, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody};
use crate::model::{Board, key};
use crate::speakers::{ReadNow, SpeakerZone, Spoken, ZoneStatus, spoken_key, zone_key};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// A new loudspeaker zone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSpeakerZone {
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
    /// Snapcast JSON-RPC control, `host:port`.
    #[schema(schema_with = host_port_schema)]
    pub control: String,
    /// Snapcast TCP source (server mode, 48000:16:2 PCM), `host:port`.
    #[schema(schema_with = host_port_schema)]
    pub audio: String,
    /// The source's stream name, 1–64 of letters, digits, `_`, `-`;
    /// default `bangtin`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub stream: Option<String>,
    /// Emergency loudness 0–100 %; default 100.
    #[schema(minimum = 0, maximum = 100)]
    pub volume: Option<u8>,
    /// A board of the commune standing beside the speakers (another: 404).
    pub board: Option<String>,
}

fn host_port_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(crate::patterns::HOST_PORT))
        .description(Some("host:port, e.g. 10.0.0.5:1705"))
        .build()
}

/// A zone with its status and the announcements it made.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpeakerZoneView {
    #[serde(flatten)]
    pub zone: SpeakerZone,
    pub status: ZoneStatus,
    /// Announcements by alert or bulletin version (`cap:…`, `bulletin:…:v…`).
    pub spoken: Vec<SpokenItem>,
    /// Texts officers asked it to read now, waiting (oldest first).
    pub queued: Vec<ReadNow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpokenItem {
    pub item: String,
    #[serde(flatten)]
    pub spoken: Spoken,
}

/// `host:port` with a port and a host name or address, nothing else.
fn check_addr(v: &str, field: &str) -> Result<(), AppError> {
    let bad = || {
        AppError::unprocessable(format!(
            "địa chỉ dạng máy:cổng, ví dụ 10.0.0.5:1705 (expected host:port): {v:?}"
        ))
        .field(field)
    };
    if !crate::patterns::host_port(v) {
        return Err(bad());
    }
    Ok(())
}

fn view(s: &AppState, zone: SpeakerZone) -> Result<SpeakerZoneView, AppError> {
    let prefix = spoken_key(&zone.id, "");
    let mut spoken = Vec::new();
    for (k, v) in s.store.scan(&prefix)? {
        if let Ok(sp) = serde_json::from_slice::<Spoken>(&v) {
            spoken.push(SpokenItem {
                item: k[prefix.len()..].to_string(),
                spoken: sp,
            });
        }
    }
    Ok(SpeakerZoneView {
        status: s.speakers.status(&zone.id),
        queued: s.speakers.queued(&zone.id),
        zone,
        spoken,
    })
}

/// The commune's loudspeaker zones, their status and announcements.
#[utoipa::path(get, path = "/api/v1/units/{unit}/speakers", tag = "speakers", params(("unit" = String, Path)),
    responses((status = 200, body = [SpeakerZoneView]), (status = 403, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list_speakers(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<SpeakerZoneView>>> {
    who.read(&unit, "đơn vị")?;
    let zones = s.store.scan_json::<SpeakerZone>("speaker/")?;
    let out = zones
        .into_iter()
        .filter(|z| z.unit == unit)
        .map(|z| view(&s, z))
        .collect::<Result<_, _>>()?;
    Ok(AppJson(out))
}

/// Attach a loudspeaker zone (a Snapcast server) to a commune
/// (administrators).
#[utoipa::path(post, path = "/api/v1/units/{unit}/speakers", tag = "speakers", params(("unit" = String, Path)),
    request_body = NewSpeakerZone,
    responses((status = 201, body = SpeakerZone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create_speaker(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(n): AppJson<NewSpeakerZone>,
) -> ApiResult<(StatusCode, AppJson<SpeakerZone>)> {
    who.admin()?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    let name = n.name.trim().to_string();
    if name.is_empty() || n.name.chars().count() > 200 {
        return Err(AppError::unprocessable("cần tên 1–200 ký tự (name 1–200 chars)").field("name"));
    }
    check_addr(&n.control, "control")?;
    check_addr(&n.audio, "audio")?;
    let stream = n.stream.unwrap_or_else(|| "bangtin".into());
    if stream.is_empty()
        || stream.len() > 64
        || !stream
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        return Err(AppError::unprocessable("tên luồng 1–64 ký tự chữ, số, _ - (stream name)").field("stream"));
    }
    let volume = n.volume.unwrap_or(100);
    if volume > 100 {
        return Err(AppError::unprocessable("âm lượng 0–100 (volume 0–100)").field("volume"));
    }
    if let Some(b) = &n.board {
        match s.store.get_json::<Board>(&key::board(b))? {
            Some(bd) if bd.unit == unit => {}
            _ => {
                return Err(AppError::not_found_because(format!(
                    "không có bảng tin {b} trong đơn vị {unit} (no such board here)"
                ))
                .field("board"));
            }
        }
    }
    let zone = SpeakerZone {
        id: new_id(&*s.store, "spk")?,
        unit: unit.clone(),
        name,
        control: n.control,
        audio: n.audio,
        stream,
        volume,
        board: n.board,
        created_at: now(),
    };
    s.commit(vec![
        Op::put(zone_key(&zone.id), &zone),
        audit(&*s.store, &who.actor(), "speaker.create", &zone.id, Some(&unit), None)?,
    ])
    .await?;
    s.wake_speakers();
    Ok((CREATED, AppJson(zone)))
}

/// Detach a loudspeaker zone (administrators).
#[utoipa::path(delete, path = "/api/v1/speakers/{id}", tag = "speakers", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn delete_speaker(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    who.admin()?;
    let Some(zone) = s.store.get_json::<SpeakerZone>(&zone_key(&id))? else {
        return Err(AppError::not_found("cụm loa (speaker zone)"));
    };
    let mut ops = vec![
        Op::del(zone_key(&id)),
        audit(&*s.store, &who.actor(), "speaker.delete", &id, Some(&zone.unit), None)?,
    ];
    for (k, _) in s.store.scan(&spoken_key(&id, ""))? {
        ops.push(Op::del(k));
    }
    s.commit(ops).await?;
    s.wake_speakers();
    Ok(StatusCode::NO_CONTENT)
}

/// A text to read now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// Vietnamese text, 1–1000 characters (absent: refused at the field,
    /// after the rights).
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 1000,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub text: String,
}

/// "Đọc ngay": read a text on a loudspeaker zone at once, by
/// text-to-speech (editors of the zone's commune, administrators). It comes
/// after an emergency being read and before everything else; the speakers
/// are switched over and unmuted at the zone's volume, as for emergencies.
#[utoipa::path(post, path = "/api/v1/speakers/{id}/read", tag = "speakers", params(("id" = String, Path)),
    request_body = ReadRequest,
    responses((status = 202, body = ReadNow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn read_now(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(r): AppJson<ReadRequest>,
) -> ApiResult<(StatusCode, AppJson<ReadNow>)> {
    let Some(zone) = s.store.get_json::<SpeakerZone>(&zone_key(&id))? else {
        return Err(AppError::not_found("cụm loa (speaker zone)"));
    };
    who.write(&zone.unit, "cụm loa (speaker zone)")?;
    let read = crate::speakers::read_now(&s, &s.speakers, &zone, &who.actor(), &r.text, now())?;
    s.commit(vec![audit(
        &*s.store,
        &who.actor(),
        "speaker.read",
        &zone.id,
        Some(&zone.unit),
        Some(serde_json::json!({"text": read.text})),
    )?])
    .await?;
    Ok((StatusCode::ACCEPTED, AppJson(read)))
}

/// What "stop all" did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stopped {
    /// Zones of the unit.
    pub zones: usize,
    /// Announcements stopped or dropped.
    pub stopped: usize,
}

/// "Dừng tất cả": stop every loudspeaker zone of a unit (editors of the
/// unit, administrators): what is being read is cut, texts waiting to be
/// read now are dropped, and every item owed now counts as announced (an
/// emergency comes back after the repeat interval unless cancelled).
#[utoipa::path(post, path = "/api/v1/units/{unit}/speakers/stop", tag = "speakers", params(("unit" = String, Path)),
    responses((status = 200, body = Stopped), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn stop_all(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Stopped>> {
    who.write(&unit, "đơn vị")?;
    let zones: Vec<SpeakerZone> = s
        .store
        .scan_json::<SpeakerZone>("speaker/")?
        .into_iter()
        .filter(|z| z.unit == unit)
        .collect();
    let (shared, st, z2) = (s.shared.clone(), s.speakers.clone(), zones.clone());
    let stopped = tokio::task::spawn_blocking(move || crate::speakers::stop_all(&shared, &st, &z2, now()))
        .await
        .map_err(AppError::internal)??;
    s.commit(vec![audit(
        &*s.store,
        &who.actor(),
        "speaker.stop",
        &unit,
        Some(&unit),
        Some(serde_json::json!({"zones": zones.len(), "stopped": stopped})),
    )?])
    .await?;
    Ok(AppJson(Stopped {
        zones: zones.len(),
        stopped,
    }))
}
