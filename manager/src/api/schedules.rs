//! Board groups and schedules.

use super::{CREATED, audit, new_id, now};
use crate::auth::Officer;
use crate::error::{ApiResult, AppError, AppJson, AppPath, ErrorBody, Problem};
use crate::model::{Board, Group, LayoutRecord, ScheduleRecord, Target, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::StatusCode;
use bangtin_layouts::schedule::Schedule;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// 1–200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub name: String,
}

fn check_name(n: &str) -> ApiResult<()> {
    if n.trim().is_empty() || n.chars().count() > 200 {
        return Err(AppError::unprocessable("cần tên, tối đa 200 ký tự (name required)").field("name"));
    }
    Ok(())
}

/// A unit's board groups.
#[utoipa::path(get, path = "/api/v1/units/{unit}/groups", tag = "boards", params(("unit" = String, Path)),
    responses((status = 200, body = [Group]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_groups(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<Group>>> {
    who.read(&unit, "đơn vị")?;
    let all: Vec<Group> = s.store.scan_json("group/")?;
    Ok(AppJson(all.into_iter().filter(|g| g.unit == unit).collect()))
}

/// Create a board group (e.g. "boards at the market").
#[utoipa::path(post, path = "/api/v1/units/{unit}/groups", tag = "boards", params(("unit" = String, Path)), request_body = GroupBody,
    responses((status = 201, body = Group), (status = 422, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn create_group(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(b): AppJson<GroupBody>,
) -> ApiResult<(StatusCode, AppJson<Group>)> {
    who.write(&unit, "đơn vị")?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    check_name(&b.name)?;
    let g = Group {
        id: new_id(&*s.store, "grp")?,
        unit: unit.clone(),
        name: b.name,
    };
    s.commit(vec![
        Op::put(key::group(&g.id), &g),
        audit(&*s.store, &who.actor(), "group.create", &g.id, Some(&unit), None)?,
    ])
    .await?;
    Ok((CREATED, AppJson(g)))
}

fn load_group(s: &AppState, who: &Officer, id: &str) -> ApiResult<Group> {
    let g: Group = s
        .store
        .get_json(&key::group(id))?
        .ok_or_else(|| AppError::not_found("nhóm"))?;
    who.read(&g.unit, "nhóm")?;
    Ok(g)
}

/// Rename a group.
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "boards", params(("id" = String, Path)), request_body = GroupBody,
    responses((status = 200, body = Group), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_group(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(b): AppJson<GroupBody>,
) -> ApiResult<AppJson<Group>> {
    let mut g = load_group(&s, &who, &id)?;
    who.write(&g.unit, "nhóm")?;
    check_name(&b.name)?;
    g.name = b.name;
    s.commit(vec![
        Op::put(key::group(&g.id), &g),
        audit(&*s.store, &who.actor(), "group.update", &g.id, Some(&g.unit), None)?,
    ])
    .await?;
    Ok(AppJson(g))
}

/// Delete a group; its boards leave it, its schedules are refused first.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "boards", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn delete_group(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let g = load_group(&s, &who, &id)?;
    who.write(&g.unit, "nhóm")?;
    let scheds: Vec<ScheduleRecord> = s.store.scan_json("schedule/")?;
    if scheds.iter().any(|sc| sc.target == Target::Group(id.clone())) {
        return Err(AppError::conflict(
            "nhóm còn lịch riêng; xóa lịch trước (the group still has schedules)",
        ));
    }
    let mut ops = vec![Op::del(key::group(&id))];
    let boards: Vec<Board> = s.store.scan_json("board/")?;
    for mut b in boards.into_iter().filter(|b| b.groups.contains(&id)) {
        b.groups.retain(|x| *x != id);
        ops.push(Op::put(key::board(&b.id), &b));
    }
    ops.push(audit(
        &*s.store,
        &who.actor(),
        "group.delete",
        &id,
        Some(&g.unit),
        None,
    )?);
    s.commit(ops).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub name: String,
    pub target: Target,
    #[schema(value_type = Object)]
    pub schedule: Schedule,
}

/// Check a schedule against the unit's layouts, boards and groups.
fn check_schedule(s: &AppState, unit: &str, b: &ScheduleBody) -> ApiResult<()> {
    check_name(&b.name)?;
    let layouts: Vec<LayoutRecord> = s.store.scan_json("layout/")?;
    let mut problems: Vec<Problem> =
        bangtin_layouts::schedule::check(&b.schedule, |id| layouts.iter().any(|l| l.id == id && l.unit == unit))
            .into_iter()
            .map(|(f, m)| Problem {
                field: format!("schedule.{f}"),
                message: m,
            })
            .collect();
    let target_ok = match &b.target {
        Target::Unit(u) => u == unit,
        Target::Group(g) => s
            .store
            .get_json::<Group>(&key::group(g))?
            .is_some_and(|g| g.unit == unit),
        Target::Board(id) => s
            .store
            .get_json::<Board>(&key::board(id))?
            .is_some_and(|b| b.unit == unit),
    };
    if !target_ok {
        problems.push(Problem {
            field: "target".into(),
            message: format!("đối tượng của lịch phải thuộc đơn vị {unit} (target must be in this unit)"),
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(problems))
    }
}

/// A unit's schedules.
#[utoipa::path(get, path = "/api/v1/units/{unit}/schedules", tag = "schedules", params(("unit" = String, Path)),
    responses((status = 200, body = [ScheduleRecord]), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn list_schedules(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
) -> ApiResult<AppJson<Vec<ScheduleRecord>>> {
    who.read(&unit, "đơn vị")?;
    let all: Vec<ScheduleRecord> = s.store.scan_json("schedule/")?;
    Ok(AppJson(all.into_iter().filter(|x| x.unit == unit).collect()))
}

/// Create a schedule: a default layout plus dated, weekday and time-window
/// entries with priorities, for the unit, a group or one board.
#[utoipa::path(post, path = "/api/v1/units/{unit}/schedules", tag = "schedules", params(("unit" = String, Path)),
    request_body = ScheduleBody,
    responses((status = 201, body = ScheduleRecord), (status = 422, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn create_schedule(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(unit): AppPath<String>,
    AppJson(b): AppJson<ScheduleBody>,
) -> ApiResult<(StatusCode, AppJson<ScheduleRecord>)> {
    who.write(&unit, "đơn vị")?;
    if s.store.get(&key::unit(&unit))?.is_none() {
        return Err(AppError::not_found("đơn vị"));
    }
    check_schedule(&s, &unit, &b)?;
    let rec = ScheduleRecord {
        id: new_id(&*s.store, "sch")?,
        unit: unit.clone(),
        name: b.name,
        target: b.target,
        schedule: b.schedule,
        updated_by: who.user.username.clone(),
        updated_at: now(),
    };
    s.commit(vec![
        Op::put(key::schedule(&rec.id), &rec),
        audit(&*s.store, &who.actor(), "schedule.create", &rec.id, Some(&unit), None)?,
    ])
    .await?;
    Ok((CREATED, AppJson(rec)))
}

fn load(s: &AppState, who: &Officer, id: &str) -> ApiResult<ScheduleRecord> {
    let r: ScheduleRecord = s
        .store
        .get_json(&key::schedule(id))?
        .ok_or_else(|| AppError::not_found("lịch"))?;
    who.read(&r.unit, "lịch")?;
    Ok(r)
}

/// One schedule.
#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleRecord), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn get_schedule(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<ScheduleRecord>> {
    Ok(AppJson(load(&s, &who, &id)?))
}

/// Replace a schedule.
#[utoipa::path(put, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path)), request_body = ScheduleBody,
    responses((status = 200, body = ScheduleRecord), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update_schedule(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(b): AppJson<ScheduleBody>,
) -> ApiResult<AppJson<ScheduleRecord>> {
    let mut r = load(&s, &who, &id)?;
    who.write(&r.unit, "lịch")?;
    check_schedule(&s, &r.unit, &b)?;
    r.name = b.name;
    r.target = b.target;
    r.schedule = b.schedule;
    r.updated_by = who.user.username.clone();
    r.updated_at = now();
    s.commit(vec![
        Op::put(key::schedule(&r.id), &r),
        audit(&*s.store, &who.actor(), "schedule.update", &r.id, Some(&r.unit), None)?,
    ])
    .await?;
    Ok(AppJson(r))
}

/// Delete a schedule.
#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("session" = []), ("token" = [])))]
pub async fn delete_schedule(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    let r = load(&s, &who, &id)?;
    who.write(&r.unit, "lịch")?;
    s.commit(vec![
        Op::del(key::schedule(&id)),
        audit(&*s.store, &who.actor(), "schedule.delete", &id, Some(&r.unit), None)?,
    ])
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
