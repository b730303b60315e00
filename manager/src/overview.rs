//! The fleet at a glance: one summary per board — online or not and since
//! when, what plays, the alert on screen, problems, the latest thumbnail —
//! filtered and paged on the server, offline boards first. The boards
//! dashboard and `GET /api/v1/boards` both read it, so a province of
//! thousands of boards never travels whole to a browser.

use crate::error::AppError;
use crate::live::LastBeat;
use crate::model::{Board, ShotRecord, key};
use crate::shared::Shared;
use crate::store::StoreExt;
use bangtin_layouts::alerts::AlertSet;
use bangtin_layouts::wire::BoardStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which boards by liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    #[default]
    All,
    Online,
    Offline,
    /// Online, with problems reported in the latest heartbeat.
    Errors,
}

/// A page of the fleet: filters and the page wanted.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardFilter {
    /// Only this unit's boards (an official code).
    pub unit: Option<String>,
    /// Only boards in this group (an id).
    pub group: Option<String>,
    /// all (default), online, offline or errors.
    #[param(inline)]
    pub status: Option<Liveness>,
    /// Part of a board's name or id, any case.
    pub q: Option<String>,
    /// 1-based page (default 1; past the last: the last).
    #[param(minimum = 1, maximum = 4294967295_i64)]
    pub page: Option<u32>,
    /// Boards per page, 1–200 (default 24).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// The alert a board shows now (its most urgent).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardAlert {
    pub headline: String,
    /// "normal", "priority" or "emergency".
    pub level: String,
    /// Disaster risk level 1–5, when the alert has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<u8>,
}

/// One board on the dashboard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardCard {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub groups: Vec<String>,
    pub disabled: bool,
    pub online: bool,
    /// Holding its event stream open (pushes reach it at once).
    pub connected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Newest show published for it, and the one on its screen.
    pub show_version: u64,
    pub on_screen_version: u64,
    /// What each zone plays now ("zone: label").
    pub playing: Vec<String>,
    /// Problems the latest heartbeat reported, and a warning when the
    /// board's clock is more than 30 s off the manager's.
    pub errors: Vec<String>,
    /// How far the board's clock was from the manager's at its latest
    /// beat, in seconds (+ ahead, − behind); absent for boards that do not
    /// send their clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<CardAlert>,
    /// When the latest thumbnail was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_at: Option<DateTime<Utc>>,
}

/// A page of boards.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardPage {
    /// Boards matching the filter (all pages).
    pub total: usize,
    /// Of the boards the officer may see (whatever the filter), how many
    /// are offline now.
    pub offline: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    pub boards: Vec<BoardCard>,
}

/// Default and largest page sizes.
pub const PER_PAGE: usize = 24;
pub const MAX_PER_PAGE: usize = 200;

/// The boards `visible` allows, filtered, sorted — offline first (the
/// longest silent at the top), then by name — and one page of them
/// summarised. Only that page's heartbeats, alert sets and thumbnails are
/// read.
pub fn overview(s: &Shared, visible: impl Fn(&str) -> bool, f: &BoardFilter) -> Result<BoardPage, AppError> {
    let per_page = f.per_page.map_or(PER_PAGE, |p| p as usize);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(AppError::bad_request(format!(
            "per_page từ 1 đến {MAX_PER_PAGE} (per_page must be 1–{MAX_PER_PAGE})"
        ))
        .field("per_page"));
    }
    if f.page == Some(0) {
        return Err(AppError::bad_request("page bắt đầu từ 1 (page starts at 1)").field("page"));
    }
    let want = f.status.unwrap_or_default();
    let q =
        f.q.as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
    let all: Vec<Board> = s.store.scan_json("board/")?;
    let mut offline = 0;
    let mut rows: Vec<(Board, bool, Option<DateTime<Utc>>)> = Vec::new();
    for b in all.into_iter().filter(|b| visible(&b.unit)) {
        let beat = s.live.get(&b.id);
        let online = beat.is_some_and(|x| x.online);
        if !online && !b.disabled {
            offline += 1;
        }
        if f.unit.as_deref().is_some_and(|u| u != b.unit)
            || f.group.as_deref().is_some_and(|g| !b.groups.iter().any(|x| x == g))
            || q.as_deref()
                .is_some_and(|q| !b.name.to_lowercase().contains(q) && !b.id.to_lowercase().contains(q))
        {
            continue;
        }
        match want {
            Liveness::Online | Liveness::Errors if !online => continue,
            Liveness::Offline if online => continue,
            _ => {}
        }
        rows.push((b, online, beat.map(|x| x.last)));
    }
    let mut cards: Vec<BoardCard> = Vec::new();
    if want == Liveness::Errors {
        // Only the latest heartbeat knows: read them for the online boards.
        rows.retain(|(b, _, _)| last_status(s, &b.id).is_some_and(|st| !st.errors.is_empty()));
    }
    // Offline first, the longest silent first (never heard of: first of
    // all); then by name.
    rows.sort_by(|(a, a_on, a_seen), (b, b_on, b_seen)| {
        a_on.cmp(b_on)
            .then_with(|| {
                if !a_on {
                    a_seen.cmp(b_seen)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = rows.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = f.page.map_or(1, |p| p as usize).clamp(1, pages);
    for (b, online, last_seen) in rows.into_iter().skip((page - 1) * per_page).take(per_page) {
        cards.push(card(s, b, online, last_seen));
    }
    Ok(BoardPage {
        total,
        offline,
        page,
        per_page,
        pages,
        boards: cards,
    })
}

/// The latest heartbeat's status of a board.
pub fn last_status(s: &Shared, board: &str) -> Option<BoardStatus> {
    s.store
        .get_json::<LastBeat>(&key::heartbeat(board))
        .ok()
        .flatten()
        .and_then(|l| serde_json::from_value(l.status).ok())
}

/// One board's summary.
pub fn card(s: &Shared, b: Board, online: bool, last_seen: Option<DateTime<Utc>>) -> BoardCard {
    let last = s.store.get_json::<LastBeat>(&key::heartbeat(&b.id)).ok().flatten();
    let clock_skew_s = last.as_ref().and_then(LastBeat::clock_skew_s);
    let status = last.and_then(|l| serde_json::from_value::<BoardStatus>(l.status).ok());
    let alert = crate::alerting::stored(s, &b.id)
        .ok()
        .flatten()
        .and_then(|set| serde_json::from_str::<AlertSet>(&set.payload).ok())
        .and_then(|set| {
            let now = Utc::now();
            set.alerts
                .into_iter()
                .filter(|a| a.starts <= now && a.expires.is_none_or(|e| e > now))
                .max_by_key(|a| (a.level, a.severity))
        })
        .map(|a| CardAlert {
            headline: a.headline,
            level: format!("{:?}", a.level).to_lowercase(),
            risk_level: a.risk_level,
        });
    let thumb_at = s
        .store
        .get_json::<ShotRecord>(&key::screenshot(&b.id, "thumb"))
        .ok()
        .flatten()
        .map(|r| r.taken_at);
    BoardCard {
        connected: s.live.hub.connected(&b.id),
        on_screen_version: status.as_ref().map_or(0, |st| st.show_version),
        playing: status
            .as_ref()
            .map(|st| st.zones.iter().map(|z| format!("{}: {}", z.zone, z.label)).collect())
            .unwrap_or_default(),
        errors: status
            .map(|st| st.errors)
            .unwrap_or_default()
            .into_iter()
            .chain(clock_skew_s.and_then(bangtin_layouts::wire::clock_skew_warning))
            .collect(),
        clock_skew_s,
        alert,
        thumb_at,
        id: b.id,
        name: b.name,
        unit: b.unit,
        groups: b.groups,
        disabled: b.disabled,
        online,
        last_seen,
        show_version: b.show_version,
    }
}
