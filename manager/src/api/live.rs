//! Boards online: heartbeats and the event stream boards hold open; for
//! officers, a board's status and history, commands, the display plan.

use super::boards::{Published, load, publish, publish_as};
use super::{audit, now};
use crate::auth::{BoardAuth, Officer};
use crate::error::{ApiResult, AppError, AppJson, AppPath, AppQuery, ErrorBody, Problem};
use crate::live::{LastBeat, MAX_INTERVAL_S, PendingCommand, Transition, compact, from_micros, micros, take_commands};
use crate::model::{Board, key};
use crate::state::AppState;
use crate::store::{Op, StoreExt};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bangtin_layouts::wire::{Action, BoardStatus, Command, DisplayPlan, HeartbeatReply, Push};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Keep-alive comments on idle event streams (proxies drop silent ones).
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);
/// Most history entries one request returns.
pub const MAX_HISTORY: usize = 1000;

/// For boards: their status, every heartbeat period and on a change. The
/// answer names the newest show published for the board and hands over
/// commands that could not be pushed.
#[utoipa::path(post, path = "/api/v1/board/heartbeat", tag = "board",
    request_body(content = Object, description = "wire::BoardStatus"),
    responses((status = 200, body = Object, description = "wire::HeartbeatReply {show_version, commands, manager_time}"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
pub async fn heartbeat(
    State(s): State<Arc<AppState>>,
    b: BoardAuth,
    AppJson(status): AppJson<BoardStatus>,
) -> ApiResult<AppJson<HeartbeatReply>> {
    if !(1..=MAX_INTERVAL_S).contains(&status.interval_s) {
        return Err(AppError::unprocessable(format!(
            "chu kỳ nhịp phải từ 1 đến {MAX_INTERVAL_S} giây (interval_s must be 1–{MAX_INTERVAL_S})"
        ))
        .field("interval_s"));
    }
    // Microseconds, as history keys keep it.
    let at = from_micros(micros(now()));
    let id = &b.board.id;
    let status = compact(status);
    let acks = status.commands_done.is_some();
    let done = status.commands_done.as_deref().unwrap_or_default();
    let (commands, mut ops) = take_commands(&*s.store, id, at, acks, done)?;
    let value = serde_json::to_value(&status).map_err(AppError::internal)?;
    let came = s.live.beat_acking(id, at, status.interval_s, acks);
    if came {
        ops.push(Op::put(
            key::board_event(id, micros(at)),
            &Transition { at, online: true },
        ));
    }
    ops.extend(crate::reporting::media_on_board(
        &*s.store,
        id,
        &status.alert_media,
        at,
    )?);
    let every = Duration::seconds(i64::from(s.cfg.beat_history_every_s));
    if s.live.keep_in_history(id, at, &status, every, came) {
        crate::live::keep_beat(
            &*s.store,
            id,
            &BeatEntry {
                at,
                status: value.clone(),
            },
        )?;
    }
    let last = LastBeat { at, status: value };
    if s.store.shared_by_processes() {
        ops.push(Op::put(key::seen(id), &crate::live::Seen::of(&last)));
    }
    ops.push(Op::put(key::heartbeat(id), &last));
    // Frequent and replaceable: applied without waiting for the disk.
    s.store.apply(ops)?;
    catch_up(&s, &b.board, &status);
    Ok(AppJson(HeartbeatReply {
        show_version: b.board.show_version,
        commands,
        manager_time: Some(now()),
    }))
}

/// A board ahead of the manager — it holds a show or alert set version
/// above the manager's own, so the store went back in time (restored from
/// an older backup, or recreated with the same signing key) — is issued a
/// show or set above what it holds, in the background; otherwise it would
/// ignore every publish until the manager's count passed its own.
fn catch_up(s: &Arc<AppState>, board: &Board, status: &BoardStatus) {
    use bangtin_layouts::wire::MAX_CATCH_UP_VERSION;
    use tracing::Instrument;
    let show = status.show_version;
    if show > board.show_version && show < MAX_CATCH_UP_VERSION {
        let (s, id) = (s.clone(), board.id.clone());
        tokio::spawn(async move {
            let Ok(_w) = crate::store::exclusive(&*s.store, &s.writes, "writes").await else {
                return;
            };
            let b: Option<Board> = s.store.get_json(&key::board(&id)).ok().flatten();
            let Some(mut b) = b.filter(|b| b.show_version < show) else {
                return;
            };
            tracing::warn!(
                "bảng tin {id} giữ chương trình số {show}, mới hơn của máy chủ ({}): phát hành lại (the manager was behind this board's show)",
                b.show_version
            );
            b.show_version = show;
            if let Err(e) = publish_as(&s, "system:catch-up", b, Vec::new()).await {
                tracing::warn!(
                    "bảng tin {id}: không phát hành lại được: {} (catch-up publish failed)",
                    e.detail.message
                );
            }
        }
        // Its log lines keep the heartbeat's request id, route and board.
        .in_current_span());
    }
    // Compared once per start and version (a restore means a restart).
    if let Some(seen) = status
        .alerts_version
        .filter(|v| *v < MAX_CATCH_UP_VERSION && s.live.alerts_reported(&board.id, *v))
    {
        let (s, b) = (s.clone(), board.clone());
        tokio::spawn(
            async move {
                let now = now();
                let span = tracing::Span::current();
                let _ =
                    tokio::task::spawn_blocking(move || span.in_scope(|| crate::alerting::catch_up(&s, &b, seen, now)))
                        .await;
            }
            .in_current_span(),
        );
    }
}

fn event(p: &Push) -> Event {
    Event::default().data(serde_json::to_string(p).unwrap_or_default())
}

/// For boards: a Server-Sent Events stream. Each event's `data` is one
/// line of JSON, a `wire::Push`: first `{"type":"show","version":N}` (the
/// newest show, so a reconnecting board catches up), then commands waiting
/// for it, then pushes as they happen. A comment line every 15 s keeps it
/// open through proxies.
#[utoipa::path(get, path = "/api/v1/board/events", tag = "board",
    responses((status = 200, content_type = "text/event-stream", description = "data: wire::Push (JSON), one per event"),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("token" = [])))]
pub async fn events(State(s): State<Arc<AppState>>, b: BoardAuth) -> ApiResult<Response> {
    let id = b.board.id;
    let sub = s.live.hub.subscribe(&id).ok_or_else(|| AppError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        ..AppError::conflict("máy chủ đang dừng, hãy kết nối lại sau (server is stopping)")
    })?;
    // Read after subscribing: a publish from here on is pushed, one before
    // is in the record.
    let board: Board = s.store.get_json(&key::board(&id))?.ok_or_else(AppError::unauthorized)?;
    let acks = s.live.get(&id).is_some_and(|b| b.acks);
    let (cmds, ops) = take_commands(&*s.store, &id, now(), acks, &[])?;
    if !ops.is_empty() {
        s.store.apply(ops)?;
    }
    let mut first = vec![Push::Show {
        version: board.show_version,
    }];
    first.extend(cmds.into_iter().map(Push::Command));
    let pushes = futures_util::stream::unfold(sub, |mut sub| async move { sub.rx.recv().await.map(|p| (p, sub)) });
    let stream = futures_util::stream::iter(first)
        .chain(pushes)
        .map(|p| Ok::<_, std::convert::Infallible>(event(&p)));
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        sse,
    )
        .into_response())
}

/// A board's liveness and latest status, for officers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardLive {
    pub board: String,
    /// Beating within [`bangtin_layouts::wire::MISSED_BEATS_OFFLINE`]
    /// periods of its own heartbeat interval.
    pub online: bool,
    /// Holding its event stream open now (pushes reach it at once).
    pub connected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u32>,
    /// The latest `wire::BoardStatus`; null before the first heartbeat.
    #[schema(value_type = Option<Object>)]
    pub status: Option<BoardStatus>,
}

/// Is the board online, and what did it last report?
#[utoipa::path(get, path = "/api/v1/boards/{id}/status", tag = "boards", params(("id" = String, Path)),
    responses((status = 200, body = BoardLive), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn board_status(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
) -> ApiResult<AppJson<BoardLive>> {
    let b = load(&s, &who, &id)?;
    let beat = s.live.get(&b.id);
    let status = s
        .store
        .get_json::<LastBeat>(&key::heartbeat(&b.id))?
        .and_then(|l| serde_json::from_value(l.status).ok());
    Ok(AppJson(BoardLive {
        online: beat.is_some_and(|x| x.online),
        connected: s.live.hub.connected(&b.id),
        last_seen: beat.map(|x| x.last),
        interval_s: beat.map(|x| x.interval_s),
        status,
        board: b.id,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// RFC 3339; default 24 hours before `to`.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; default now.
    pub to: Option<DateTime<Utc>>,
    /// Most beats returned, newest first (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u16>,
}

pub use crate::live::BeatEntry;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub board: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Newest first, at most `limit`.
    pub beats: Vec<BeatEntry>,
    /// Online/offline transitions in the range, newest first (at most 1000).
    pub transitions: Vec<Transition>,
}

/// A board's heartbeats and its online/offline transitions in a range.
#[utoipa::path(get, path = "/api/v1/boards/{id}/heartbeats", tag = "boards", params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = History), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn board_heartbeats(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<HistoryQuery>,
) -> ApiResult<AppJson<History>> {
    let b = load(&s, &who, &id)?;
    let to = q.to.unwrap_or_else(now);
    let from = q.from.unwrap_or(to - Duration::hours(24));
    if from > to {
        return Err(AppError::unprocessable("`from` phải trước `to` (from must not be after to)").field("from"));
    }
    let limit = usize::from(q.limit.unwrap_or(100));
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(
            AppError::unprocessable(format!("limit từ 1 đến {MAX_HISTORY} (limit must be 1–{MAX_HISTORY})"))
                .field("limit"),
        );
    }
    let (lo, hi) = (micros(from), micros(to).saturating_add(1));
    let range = |coll: &str, limit: usize| {
        let p = format!("{coll}/{}/", b.id);
        s.store
            .range(&format!("{p}{lo:020}"), &format!("{p}{hi:020}"), limit, true)
    };
    let beats = crate::live::beat_history(&*s.store, &b.id, from, to, limit)?;
    let transitions = range("boardevent", MAX_HISTORY)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    Ok(AppJson(History {
        board: b.id,
        from,
        to,
        beats,
        transitions,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    /// "reload", "screenshot" or "restart".
    #[schema(value_type = String, pattern = "^(reload|screenshot|restart)$", example = "screenshot")]
    pub action: Action,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommandSent {
    /// The board echoes it (e.g. with the screenshot it uploads).
    pub id: String,
    /// Sent at once over the board's open event stream. Either way it is
    /// kept (up to 24 hours) and handed over with every heartbeat reply and
    /// new stream until the board acknowledges it (`commands_done`).
    pub pushed: bool,
}

/// Tell a board to reload its show, upload a screenshot, or restart.
#[utoipa::path(post, path = "/api/v1/boards/{id}/commands", tag = "boards", params(("id" = String, Path)),
    request_body = CommandBody,
    responses((status = 202, body = CommandSent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn send_command(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<CommandBody>,
) -> ApiResult<(StatusCode, AppJson<CommandSent>)> {
    let b = load(&s, &who, &id)?;
    who.write(&b.unit, "bảng tin")?;
    let seq = s.store.next_id()?;
    let command = Command {
        id: format!("cmd_{seq}"),
        action: body.action,
    };
    let pushed = s.live.hub.push(&b.id, &Push::Command(command.clone()));
    let mut ops = vec![audit(
        &*s.store,
        &who.actor(),
        "board.command",
        &b.id,
        Some(&b.unit),
        Some(serde_json::json!({"id": command.id, "action": command.action, "pushed": pushed})),
    )?];
    // Kept until the board acknowledges it, pushed or not (a stream may
    // have died without the manager knowing); a board that does not
    // acknowledge keeps the old rule: kept only when not pushed.
    if !pushed || s.live.get(&b.id).is_some_and(|x| x.acks) {
        ops.push(Op::put(
            key::command(&b.id, seq),
            &PendingCommand {
                command: command.clone(),
                at: now(),
                by: who.actor(),
            },
        ));
    }
    s.commit(ops).await?;
    Ok((StatusCode::ACCEPTED, AppJson(CommandSent { id: command.id, pushed })))
}

/// Most display-off windows or brightness steps in a plan.
const MAX_PLAN_ENTRIES: usize = 48;

/// Set when the board's display is off and how bright it is; the board's
/// show is published again at once (the plan travels in the signed show)
/// and pushed to it.
#[utoipa::path(put, path = "/api/v1/boards/{id}/display", tag = "boards", params(("id" = String, Path)),
    request_body(content = Object, description = "wire::DisplayPlan, e.g. {\"off\": [{\"start\": \"22:00\", \"end\": \"05:00\"}], \"brightness\": [{\"from\": \"18:00\", \"percent\": 40}]}"),
    responses((status = 200, body = Published), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn put_display(
    State(s): State<Arc<AppState>>,
    who: Officer,
    AppPath(id): AppPath<String>,
    AppJson(plan): AppJson<DisplayPlan>,
) -> ApiResult<AppJson<Published>> {
    let _w = crate::store::exclusive(&*s.store, &s.writes, "writes").await?;
    let mut b = load(&s, &who, &id)?;
    who.write(&b.unit, "bảng tin")?;
    let mut problems: Vec<Problem> = plan
        .check()
        .into_iter()
        .map(|(field, message)| Problem { field, message })
        .collect();
    for (field, n) in [("off", plan.off.len()), ("brightness", plan.brightness.len())] {
        if n > MAX_PLAN_ENTRIES {
            problems.push(Problem {
                field: field.into(),
                message: format!("tối đa {MAX_PLAN_ENTRIES} mục (at most {MAX_PLAN_ENTRIES} entries)"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid(problems));
    }
    let detail = serde_json::to_value(&plan).map_err(AppError::internal)?;
    b.display = plan;
    let extra = vec![audit(
        &*s.store,
        &who.actor(),
        "board.display",
        &b.id,
        Some(&b.unit),
        Some(detail),
    )?];
    Ok(AppJson(publish(&s, &who, b, extra).await?))
}
