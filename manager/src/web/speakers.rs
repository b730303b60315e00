//! Loudspeakers (issue #13, page 8): a unit's speaker zones with whether
//! they can be reached now, their speakers and volumes, what they are
//! reading; for editors of the unit and administrators "đọc ngay" (read a
//! text now on a zone) and "dừng tất cả" (stop every zone). Changes call
//! the API's handlers.

use super::info::{UnitOpt, pick_unit};
use super::page::{Ctx, FormErrors, OrPage, PageError, Posted, Web, render, see_other, urlencode};
use crate::api::speakers::{
    ReadRequest, SpeakerZoneView, list_speakers, read_now as api_read_now, stop_all as api_stop_all,
};
use crate::error::{AppError, AppJson, AppPath};
use crate::model::Unit;
use crate::speakers::SpeakerZone;
use crate::speakers::snapcast::{Control, connected};
use crate::state::AppState;
use crate::store::StoreExt;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/speakers", get(page))
        .route("/speakers/{zone}/read", post(read))
        .route("/speakers/unit/{unit}/stop", post(stop))
}

/// A zone as the page shows it.
#[derive(Debug, Clone, Default)]
pub struct ZoneRow {
    pub id: String,
    pub name: String,
    /// Reached now, not reached, or unknown.
    pub reach: String,
    pub reach_class: &'static str,
    pub reachable: bool,
    /// "2/3 loa kết nối".
    pub clients: String,
    /// Each speaker: name and volume ("Loa 1: 80 %", "tắt tiếng").
    pub volumes: Vec<String>,
    /// Emergency volume of the zone.
    pub volume: u8,
    pub playing: String,
    pub last: String,
    pub error: String,
    pub queued: Vec<String>,
    pub read_action: String,
    pub text_error: Option<String>,
}

#[derive(Template)]
#[template(path = "speakers/page.html")]
struct SpeakersPage {
    ctx: Ctx,
    units: Vec<UnitOpt>,
    unit: Unit,
    can_write: bool,
    zones: Vec<ZoneRow>,
    done: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    unit: Option<String>,
    done: Option<String>,
    n: Option<usize>,
}

/// What the zone's Snapcast server says now (at most 1.5 s): its groups.
async fn probe(z: &SpeakerZone) -> Result<Vec<serde_json::Value>, String> {
    let work = async {
        let mut c = Control::connect(&z.control).await?;
        c.groups().await
    };
    match tokio::time::timeout(Duration::from_millis(1500), work).await {
        Ok(Ok(g)) => Ok(g),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err("quá giờ (timed out)".into()),
    }
}

fn row_of(ctx: &Ctx, v: &SpeakerZoneView, probed: Result<Vec<serde_json::Value>, String>) -> ZoneRow {
    let z = &v.zone;
    let (reach, reach_class, reachable, clients, volumes, error) = match probed {
        Ok(groups) => {
            let all: Vec<&serde_json::Value> = groups
                .iter()
                .flat_map(|g| g["clients"].as_array().into_iter().flatten())
                .collect();
            let volumes = all
                .iter()
                .map(|c| {
                    let name = c["config"]["name"]
                        .as_str()
                        .filter(|n| !n.is_empty())
                        .or_else(|| c["host"]["name"].as_str())
                        .or_else(|| c["id"].as_str())
                        .unwrap_or("?");
                    let vol = &c["config"]["volume"];
                    let muted = vol["muted"].as_bool().unwrap_or(false);
                    let pct = vol["percent"].as_i64().unwrap_or(0);
                    let on = c["connected"].as_bool().unwrap_or(false);
                    format!(
                        "{name}: {pct} %{}{}",
                        if muted {
                            format!(" ({})", ctx.t("speakers-muted"))
                        } else {
                            String::new()
                        },
                        if on {
                            String::new()
                        } else {
                            format!(" ({})", ctx.t("speakers-client-off"))
                        }
                    )
                })
                .collect();
            (
                ctx.t("speakers-reachable"),
                "",
                true,
                format!("{}/{} {}", connected(&groups), all.len(), ctx.t("speakers-connected")),
                volumes,
                v.status.error.clone().unwrap_or_default(),
            )
        }
        Err(e) => (
            ctx.t("speakers-unreachable"),
            "bad",
            false,
            String::new(),
            Vec::new(),
            e,
        ),
    };
    ZoneRow {
        id: z.id.clone(),
        name: z.name.clone(),
        reach,
        reach_class,
        reachable,
        clients,
        volumes,
        volume: z.volume,
        playing: v.status.playing.clone().unwrap_or_default(),
        last: match (&v.status.last, &v.status.last_at) {
            (Some(l), Some(t)) => format!("{l} — {}", ctx.ago(Some(t))),
            _ => ctx.t("never"),
        },
        error,
        queued: v.queued.iter().map(|r| r.text.clone()).collect(),
        read_action: format!("/speakers/{}/read", urlencode(&z.id)),
        text_error: None,
    }
}

async fn rows(s: &Arc<AppState>, web: &Web, unit: &str) -> Result<Vec<ZoneRow>, PageError> {
    let AppJson(views) = list_speakers(State(s.clone()), web.who.clone(), AppPath(unit.to_string()))
        .await
        .or_page(&web.ctx)?;
    let probes = futures_util::future::join_all(views.iter().map(|v| probe(&v.zone))).await;
    Ok(views.iter().zip(probes).map(|(v, p)| row_of(&web.ctx, v, p)).collect())
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    mut web: Web,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (units, unit) = pick_unit(&s, &mut web, q.unit.as_deref()).await?;
    let zones = rows(&s, &web, &unit.code).await?;
    let done = match q.done.as_deref() {
        Some("read") => Some(web.ctx.t("speakers-done-read")),
        Some("stopped") => Some(web.ctx.tn("speakers-done-stopped", q.n.unwrap_or(0) as i64)),
        _ => None,
    };
    Ok(render(&SpeakersPage {
        can_write: web.who.can_write(&unit.code),
        ctx: web.ctx,
        units,
        unit,
        zones,
        done,
        error: None,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    text: String,
}

pub async fn read(
    State(s): State<Arc<AppState>>,
    Path(zone): Path<String>,
    p: Posted<ReadForm>,
) -> Result<Response, PageError> {
    let Posted { mut web, form } = p;
    // The zone's unit, for the way back; a zone one may not see is the
    // API's 404 below.
    let unit = s
        .store
        .get_json::<SpeakerZone>(&crate::speakers::zone_key(&zone))
        .map_err(AppError::from)
        .or_page(&web.ctx)?
        .map(|z| z.unit);
    let r = api_read_now(
        State(s.clone()),
        web.who.clone(),
        AppPath(zone.clone()),
        AppJson(ReadRequest { text: form.text }),
    )
    .await;
    let unit = unit.unwrap_or_default();
    match r {
        Ok(_) => Ok(see_other(&format!("/speakers?unit={}&done=read", urlencode(&unit)))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            let (units, u) = pick_unit(&s, &mut web, Some(&unit)).await?;
            let mut zones = rows(&s, &web, &unit).await?;
            let errors = FormErrors::from_error(&e);
            if let Some(z) = zones.iter_mut().find(|z| z.id == zone) {
                z.text_error = errors.at("text").or(errors.general.clone());
            }
            let mut resp = render(&SpeakersPage {
                can_write: web.who.can_write(&unit),
                ctx: web.ctx,
                units,
                unit: u,
                zones,
                done: None,
                error: errors.general,
            });
            *resp.status_mut() = e.status;
            Ok(resp)
        }
        Err(e) => Err(PageError(web.ctx, e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

pub async fn stop(
    State(s): State<Arc<AppState>>,
    Path(unit): Path<String>,
    p: Posted<Nothing>,
) -> Result<Response, PageError> {
    let web = p.web;
    let AppJson(done) = api_stop_all(State(s.clone()), web.who.clone(), AppPath(unit.clone()))
        .await
        .map_err(|e: AppError| PageError(web.ctx.clone(), e))?;
    Ok(see_other(&format!(
        "/speakers?unit={}&done=stopped&n={}",
        urlencode(&unit),
        done.stopped
    )))
}
