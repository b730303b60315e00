//! Compiling a board's show: its schedules (own, groups', unit's) resolved
//! to UTC slots through the tz database, the layouts they name, and the
//! media those use — versioned and signed.

use crate::error::Problem;
use crate::model::{Board, LayoutRecord, Media, ScheduleRecord, Target, Unit, key};
use crate::shared::Shared;
use crate::store::StoreExt;
use bangtin_layouts::schedule::{Layer, compile};
use bangtin_layouts::show::{SHOW_SCHEMA, Show, ShowMedia};
use bangtin_layouts::time::local_midnight;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Why a show could not be compiled; the HTTP side maps them to 404, 422
/// and 500.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The board's unit is gone.
    #[error("không có đơn vị hành chính {0} (unknown unit)")]
    NoUnit(String),
    /// Schedules name deleted layouts, layouts missing media: each named.
    #[error("{} vấn đề (problems)", .0.len())]
    Problems(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Schedules that apply to `board`, with their specificity.
pub fn schedules_for(state: &Shared, board: &Board) -> crate::store::Result<Vec<(ScheduleRecord, u8)>> {
    let all: Vec<ScheduleRecord> = state.store.scan_json("schedule/")?;
    Ok(all
        .into_iter()
        .filter(|s| s.unit == board.unit)
        .filter_map(|s| {
            let spec = match &s.target {
                Target::Unit(u) if *u == board.unit => 0,
                Target::Group(g) if board.groups.contains(g) => 1,
                Target::Board(b) if *b == board.id => 2,
                _ => return None,
            };
            Some((s, spec))
        })
        .collect())
}

/// Media (by hash) a layout uses.
pub fn layout_media(layout: &bangtin_layouts::raw::RawLayout) -> BTreeSet<String> {
    match bangtin_layouts::validate(layout, Path::new("/")) {
        Ok(l) => l.media().into_iter().filter_map(|m| m.sha256.clone()).collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The show `board` should play from `now` on (unsigned).
pub fn compile_show(state: &Shared, board: &Board, now: DateTime<Utc>) -> Result<Show, CompileError> {
    let unit: Unit = state
        .store
        .get_json(&key::unit(&board.unit))?
        .ok_or_else(|| CompileError::NoUnit(board.unit.clone()))?;
    let tz: Tz = unit.timezone.parse().unwrap_or(bangtin_layouts::time::DEFAULT_TZ);
    let scheds = schedules_for(state, board)?;
    let layers: Vec<Layer> = scheds
        .iter()
        .map(|(s, spec)| Layer {
            schedule: &s.schedule,
            specificity: *spec,
        })
        .collect();
    let from = local_midnight(now, tz);
    let to = from + Duration::days(i64::from(state.cfg.show_days.max(1)));
    let mut slots = compile(&layers, tz, from, to);
    let mut layouts = BTreeMap::new();
    let mut media = BTreeMap::new();
    let mut problems = Vec::new();
    for slot in &mut slots {
        let Some(id) = slot.layout.clone() else { continue };
        let rec: Option<LayoutRecord> = state.store.get_json(&key::layout(&id))?;
        let Some(rec) = rec else {
            problems.push(Problem {
                field: format!("schedule.layout {id}"),
                message: format!("lịch dùng bố cục {id} không còn tồn tại (schedule names a deleted layout)"),
            });
            continue;
        };
        let k = format!("{}@{}", rec.id, rec.version);
        for sha in layout_media(&rec.layout) {
            let m: Option<Media> = state.store.get_json(&key::media(&board.unit, &sha))?;
            match m {
                Some(m) => {
                    media.insert(
                        sha.clone(),
                        ShowMedia {
                            sha256: sha,
                            size: m.size,
                            mime: m.mime,
                        },
                    );
                }
                None => problems.push(Problem {
                    field: format!("layout {} media", rec.id),
                    message: format!(
                        "bố cục {} dùng tệp {sha} không có trong thư viện (missing media)",
                        rec.name
                    ),
                }),
            }
        }
        layouts.insert(k.clone(), rec.layout);
        slot.layout = Some(k);
    }
    if !problems.is_empty() {
        return Err(CompileError::Problems(problems));
    }
    Ok(Show {
        schema: SHOW_SCHEMA.into(),
        board: board.id.clone(),
        version: board.show_version + 1,
        issued_at: now,
        valid_from: from,
        valid_until: to,
        timezone: tz.name().to_string(),
        slots,
        layouts,
        media: media.into_values().collect(),
        display: board.display.clone(),
    })
}

/// Where a unit's media are used, by hash: the unit's layouts (their
/// current version) and the unit's boards whose published show lists the
/// file. A board only ever gets its own unit's media, so this is exactly
/// the use of that unit's library entry. (Playlists live inside layouts.)
#[derive(Debug, Default)]
pub struct MediaUsage {
    /// sha256 → (layout id, layout name)
    pub layouts: BTreeMap<String, Vec<(String, String)>>,
    /// sha256 → (board id, board name)
    pub boards: BTreeMap<String, Vec<(String, String)>>,
}

/// [`MediaUsage`] of `unit`'s library (scans its layouts and boards' shows).
pub fn media_usage(state: &Shared, unit: &str) -> crate::store::Result<MediaUsage> {
    let mut usage = MediaUsage::default();
    let layouts: Vec<LayoutRecord> = state.store.scan_json("layout/")?;
    for l in layouts.iter().filter(|l| l.unit == unit) {
        for sha in layout_media(&l.layout) {
            usage
                .layouts
                .entry(sha)
                .or_default()
                .push((l.id.clone(), l.name.clone()));
        }
    }
    let boards: Vec<Board> = state.store.scan_json("board/")?;
    for b in boards.iter().filter(|b| b.unit == unit) {
        let Some(signed) = state
            .store
            .get_json::<bangtin_layouts::show::Signed>(&key::show(&b.id))?
        else {
            continue;
        };
        let Ok(show) = serde_json::from_str::<Show>(&signed.payload) else {
            continue;
        };
        for m in show.media {
            usage
                .boards
                .entry(m.sha256)
                .or_default()
                .push((b.id.clone(), b.name.clone()));
        }
    }
    Ok(usage)
}

/// Does any published show use media `sha`?
pub fn media_in_use(state: &Shared, sha: &str) -> crate::store::Result<Vec<String>> {
    let shows: Vec<bangtin_layouts::show::Signed> = state.store.scan_json("show/")?;
    Ok(shows
        .iter()
        .filter_map(|s| serde_json::from_str::<Show>(&s.payload).ok())
        .filter(|s| s.media.iter().any(|m| m.sha256 == sha))
        .map(|s| s.board)
        .collect())
}
