//! Layouts: created, validated with the player's own rules, versioned.

use super::{CREATED, audit, new_id, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody, Problem};
use crate::model::{LayoutRecord, Media, ScheduleRecord, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::StatusCode;
use bangtin_layouts::raw::RawLayout;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use utoipa::ToSchema;

/// A layout as JSON (`layout`) or as the TOML officers write (`toml`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub layout: Option<RawLayout>,
    #[serde(default)]
    pub toml: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    pub problems: Vec<ValidationProblem>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidationProblem {
    pub field: String,
    /// 1-based line in the TOML text, when the layout came as TOML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

/// Parse the body into a raw layout, or the problems with it.
fn raw_of(b: &LayoutBody) -> Result<RawLayout, Vec<ValidationProblem>> {
    match (&b.layout, &b.toml) {
        (Some(l), None) => Ok(l.clone()),
        (None, Some(t)) => bangtin_layouts::parse_raw(t, Path::new("layout.toml")).map_err(|e| {
            e.problems
                .into_iter()
                .map(|p| ValidationProblem {
                    field: p.field.to_string(),
                    line: (p.line > 0).then_some(p.line),
                    message: p.message,
                })
                .collect()
        }),
        _ => Err(vec![ValidationProblem {
            field: "layout".into(),
            line: None,
            message: "gửi đúng một trong hai: `layout` (JSON) hoặc `toml` (give exactly one of layout, toml)".into(),
        }]),
    }
}

/// Validate with the player's rules; media must come from `unit`'s library
/// (`src = "sha256:<hash>"`), which is how boards receive them.
fn check(s: &AppState, unit: &str, b: &LayoutBody) -> ApiResult<Result<RawLayout, Vec<ValidationProblem>>> {
    let raw = match raw_of(b) {
        Ok(r) => r,
        Err(p) => return Ok(Err(p)),
    };
    let toml_lines = b.toml.as_deref();
    let located = |field: String, message: String| ValidationProblem {
        line: toml_lines.and_then(|t| {
            bangtin_layouts::parse_layout(t, Path::new("l.toml"), Path::new("/"))
                .err()
                .and_then(|e| {
                    e.problems
                        .into_iter()
                        .find(|p| p.field.to_string() == field)
                        .map(|p| p.line)
                })
                .filter(|l| *l > 0)
        }),
        field,
        message,
    };
    let layout = match bangtin_layouts::validate(&raw, Path::new("/")) {
        Ok(l) => l,
        Err(problems) => {
            return Ok(Err(problems
                .into_iter()
                .map(|p| located(p.path.to_string(), p.message))
                .collect()));
        }
    };
    let mut problems = Vec::new();
    for (zi, z) in layout.zones.iter().enumerate() {
        for (ii, it) in z.items.iter().enumerate() {
            let Some(m) = it.kind.media() else { continue };
            let field = format!("zone[{zi}].item[{ii}].src");
            match &m.sha256 {
                None => problems.push(ValidationProblem {
                    field,
                    line: None,
                    message: format!(
                        "{:?}: trên máy chủ, tệp phải lấy từ thư viện dạng \"sha256:<mã>\" (use sha256:<hash> from the media library)",
                        m.written
                    ),
                }),
                Some(sha) if s.store.get_json::<Media>(&key::media(unit, sha))?.is_none() => {
                    problems.push(ValidationProblem {
                        field,
                        line: None,
                        message: format!("thư viện của đơn vị {unit} không có tệp {sha} (no such media in the library)"),
                    })
                }
                Some(_) => {}
            }
        }
    }
    if raw.board.as_ref().and_then(|b| b.background_image.as_ref()).is_some()
        && let Some(bg) = &layout.board.background_image
    {
        match &bg.sha256 {
            Some(sha) if s.store.get_json::<Media>(&key::media(unit, sha))?.is_some() => {}
            _ => problems.push(ValidationProblem {
                field: "board.background_image".into(),
                line: None,
                message: "ảnh nền phải là \"sha256:<mã>\" có trong thư viện (use a library picture)".into(),
            }),
        }
    }
    Ok(if problems.is_empty() { Ok(raw) } else { Err(problems) })
}

fn invalid(p: Vec<ValidationProblem>) -> AppError {
    AppError::invalid(
        p.into_iter()
            .map(|v| Problem {
                message: match v.line {
                    Some(l) => format!("dòng {l}: {}", v.message),
                    None => v.message,
                },
                field: v.field,
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The unit whose media library the layout may use.
    pub unit: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub layout: Option<RawLayout>,
    #[serde(default)]
    pub toml: Option<String>,
}

/// Check a layout without saving it.
#[utoipa::path(post, path = "/api/v1/layouts/validate", tag = "layouts", request_body = ValidateBody,
    responses((status = 200, body = Validation)), security(("session" = []), ("token" = [])))]
pub async fn validate_layout(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppJson(v): AppJson<ValidateBody>,
) -> ApiResult<AppJson<Validation>> {
    who.read(&v.unit, "đơn vị")?;
    let body = LayoutBody {
        name: None,
        layout: v.layout,
        toml: v.toml,
    };
    Ok(AppJson(match check(&s, &v.unit, &body)? {
        Ok(_) => Validation {
            valid: true,
            problems: vec![],
        },
        Err(problems) => Validation { valid: false, problems },
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LayoutSummary {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub version: u32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl From<&LayoutRecord> for LayoutSummary {
    fn from(l: &LayoutRecord) -> Self {
        LayoutSummary {
            id: l.id.clone(),
            unit: l.unit.clone(),
            name: l.name.clone(),
            version: l.version,
            updated_by: l.updated_by.clone(),
            updated_at: l.updated_at,
        }
    }
}

/// A unit's layouts.
#[utoipa::path(get, path = "/api/v1/units/{unit}/layouts", tag = "layouts", params(("unit" = String, Path)),
    responses((status = 200, body = [LayoutSummary]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_layouts(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<LayoutSummary>>> {
    who.read(&unit, "đơn vị")?;
    let all: Vec<LayoutRecord> = s.store.scan_json("layout/")?;
    Ok(AppJson(
        all.iter().filter(|l| l.unit == unit).map(LayoutSummary::from).collect(),
    ))
}

/// Create a layout (validated).
#[utoipa::path(post, path = "/api/v1/units/{unit}/layouts", tag = "layouts", params(("unit" = String, Path)),
    request_body = LayoutBody,
    responses((status = 201, body = LayoutRecord), (status = 422, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn create_layout(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(b): AppJson<LayoutBody>,
) -> ApiResult<(StatusCode, AppJson<LayoutRecord>)> {
    who.write(&unit, "đơn vị")?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    let name = b.name.clone().unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(AppError::unprocessable("cần tên bố cục, tối đa 200 ký tự (name required)").field("name"));
    }
    let raw = check(&s, &unit, &b)?.map_err(invalid)?;
    let rec = LayoutRecord {
        id: new_id(&*s.store, "lay")?,
        unit: unit.clone(),
        name,
        version: 1,
        layout: raw,
        updated_by: who.user.username.clone(),
        updated_at: now(),
    };
    s.commit(vec![
        Op::put(key::layout(&rec.id), &rec),
        Op::put(key::layout_version(&rec.id, 1), &rec),
        audit(&*s.store, &who.actor(), "layout.create", &rec.id, Some(&unit), None)?,
    ])
    .await?;
    Ok((CREATED, AppJson(rec)))
}

fn load(s: &AppState, who: &Officer, id: &str) -> ApiResult<LayoutRecord> {
    let rec: LayoutRecord = s
        .store
        .get_json(&key::layout(id))?
        .ok_or_else(|| AppError::not_found("bố cục"))?;
    who.read(&rec.unit, "bố cục")?;
    Ok(rec)
}

/// One layout, current version.
#[utoipa::path(get, path = "/api/v1/layouts/{id}", tag = "layouts", params(("id" = String, Path)),
    responses((status = 200, body = LayoutRecord), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn get_layout(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<LayoutRecord>> {
    Ok(AppJson(load(&s, &who, &id)?))
}

/// Save a new version of a layout (validated; earlier versions stay).
#[utoipa::path(put, path = "/api/v1/layouts/{id}", tag = "layouts", params(("id" = String, Path)), request_body = LayoutBody,
    responses((status = 200, body = LayoutRecord), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_layout(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(b): AppJson<LayoutBody>,
) -> ApiResult<AppJson<LayoutRecord>> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let mut rec = load(&s, &who, &id)?;
    who.write(&rec.unit, "bố cục")?;
    let raw = check(&s, &rec.unit, &b)?.map_err(invalid)?;
    if let Some(n) = b.name.filter(|n| !n.trim().is_empty()) {
        rec.name = n;
    }
    rec.layout = raw;
    rec.version += 1;
    rec.updated_by = who.user.username.clone();
    rec.updated_at = now();
    s.commit(vec![
        Op::put(key::layout(&rec.id), &rec),
        Op::put(key::layout_version(&rec.id, rec.version), &rec),
        audit(
            &*s.store,
            &who.actor(),
            "layout.update",
            &rec.id,
            Some(&rec.unit),
            Some(serde_json::json!({"version": rec.version})),
        )?,
    ])
    .await?;
    Ok(AppJson(rec))
}

/// Delete a layout. Refused while a schedule uses it.
#[utoipa::path(delete, path = "/api/v1/layouts/{id}", tag = "layouts", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn delete_layout(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let rec = load(&s, &who, &id)?;
    who.write(&rec.unit, "bố cục")?;
    let scheds: Vec<ScheduleRecord> = s.store.scan_json("schedule/")?;
    let users: Vec<&str> = scheds
        .iter()
        .filter(|sc| {
            sc.schedule.default_layout.as_deref() == Some(id.as_str())
                || sc.schedule.entries.iter().any(|e| e.layout == id)
        })
        .map(|sc| sc.name.as_str())
        .collect();
    if !users.is_empty() {
        return Err(AppError::conflict(format!(
            "bố cục đang được dùng trong lịch: {} (used by schedules)",
            users.join(", ")
        )));
    }
    let mut ops = vec![Op::del(key::layout(&id))];
    ops.extend(
        s.store
            .scan(&format!("layoutv/{id}/"))?
            .into_iter()
            .map(|(k, _)| Op::Del(k)),
    );
    ops.push(audit(
        &*s.store,
        &who.actor(),
        "layout.delete",
        &id,
        Some(&rec.unit),
        None,
    )?);
    s.commit(ops).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every saved version of a layout, newest last.
#[utoipa::path(get, path = "/api/v1/layouts/{id}/versions", tag = "layouts", params(("id" = String, Path)),
    responses((status = 200, body = [LayoutSummary]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn layout_versions(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<Vec<LayoutSummary>>> {
    load(&s, &who, &id)?;
    let v: Vec<LayoutRecord> = s.store.scan_json(&format!("layoutv/{id}/"))?;
    Ok(AppJson(v.iter().map(LayoutSummary::from).collect()))
}

/// One saved version of a layout.
#[utoipa::path(get, path = "/api/v1/layouts/{id}/versions/{version}", tag = "layouts",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = LayoutRecord), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn layout_version(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath((id, v)): AppPath<(String, u32)>,
) -> ApiResult<AppJson<LayoutRecord>> {
    load(&s, &who, &id)?;
    Ok(AppJson(
        s.store
            .get_json(&key::layout_version(&id, v))?
            .ok_or_else(|| AppError::not_found("phiên bản bố cục"))?,
    ))
}
