//! Which alerts each board must show: every live emergency or priority
//! alert (CAP) and bulletin whose targets cover the board — its commune,
//! its province, or the board itself — and every normal bulletin an editor
//! of the board's commune approved (with the editor's changes), compiled
//! into a signed
//! `bangtin.alerts/1` set per board, stored, and announced over the
//! board's event stream at once. Boards that were offline fetch the set
//! when they reconnect; expiry is applied by the board itself from the
//! times in the set, so an alert ends on time even without network.

use crate::model::{Board, Unit, key};
use crate::records::{AlertRecord, AlertState, BulletinRecord, BulletinState};
use crate::shared::Shared;
use crate::store::{Op, StoreExt};
use bangtin_layouts::alerts::{ALERTS_SCHEMA, AlertLevel, AlertMedia, AlertMediaKind, AlertSet, BoardAlert};
use bangtin_layouts::show::Signed;
use bangtin_layouts::wire::Push;
use chrono::{DateTime, Utc};

/// Where a board's current signed set is kept.
pub fn set_key(board: &str) -> String {
    format!("alerts/{board}")
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "Extreme" => 4,
        "Severe" => 3,
        "Moderate" => 2,
        "Minor" => 1,
        _ => 0,
    }
}

fn covers(areas: &[String], unit: &str, province: Option<&str>) -> bool {
    areas.iter().any(|a| a == unit || Some(a.as_str()) == province)
}

/// What the loudspeakers read or play for an alert or bulletin.
#[derive(Debug, Clone, PartialEq)]
pub struct Speech {
    /// Changes when the content changes (a new CAP message or bulletin
    /// version): announcements are remembered under it.
    pub key: String,
    /// Text to read aloud (Vietnamese).
    pub text: Option<String>,
    /// SHA-256 of a sound file in the media store, played after the text.
    pub sound: Option<String>,
    /// Times read in one announcement (`schedule.repeats`, default 1; 2 for
    /// emergencies).
    pub repeats: u32,
}

/// The alerts in force or to come for `board` (expired ones left out).
pub fn alerts_for(s: &Shared, board: &Board, now: DateTime<Utc>) -> crate::store::Result<Vec<BoardAlert>> {
    Ok(items_for(s, &board.unit, Some(&board.id), now)?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// The alerts and bulletins in force or to come for a place in commune
/// `unit` (a board, or with `board` `None` its loudspeakers), each with what
/// the loudspeakers say for it, if anything. Expired ones are left out.
pub fn items_for(
    s: &Shared,
    unit: &str,
    board: Option<&str>,
    now: DateTime<Utc>,
) -> crate::store::Result<Vec<(BoardAlert, Option<Speech>)>> {
    let province = s.store.get_json::<Unit>(&key::unit(unit))?.and_then(|u| u.parent);
    let mut out = Vec::new();
    for a in s.store.scan_json::<AlertRecord>("alert/")? {
        if a.state != AlertState::Live || !covers(&a.areas, unit, province.as_deref()) {
            continue;
        }
        if a.expires.is_some_and(|e| e.with_timezone(&Utc) <= now) {
            continue;
        }
        let Ok(cap) = crate::cap::parse(a.document.as_bytes()) else {
            continue;
        };
        let Some(info) = cap.board_info() else { continue };
        let headline = info.headline.clone().unwrap_or_else(|| info.event.clone());
        let instruction = info.instruction.clone().unwrap_or_default();
        let spoken = [
            info.event.as_str(),
            headline.as_str(),
            info.description.as_deref().unwrap_or_default(),
            instruction.as_str(),
        ]
        .iter()
        .map(|t| t.trim().trim_end_matches(['.', '!', ';']))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(". ");
        let speech = Speech {
            key: format!("cap:{}", a.identifier),
            text: Some(format!("{spoken}.")),
            sound: None,
            repeats: if a.emergency { 2 } else { 1 },
        };
        let alert = BoardAlert {
            id: format!("cap:{}", a.identifier),
            level: if a.emergency {
                AlertLevel::Emergency
            } else {
                AlertLevel::Priority
            },
            severity: severity_rank(&info.severity),
            risk_level: a.risk_level,
            event: info.event.clone(),
            ticker: [headline.as_str(), instruction.as_str()]
                .iter()
                .filter(|t| !t.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" — "),
            headline,
            description: info.description.clone().unwrap_or_default(),
            instruction,
            sender: info.sender_name.clone().unwrap_or_else(|| cap.sender.clone()),
            starts: info
                .effective
                .or(info.onset)
                .map_or(a.received, |t| t.with_timezone(&Utc))
                .min(now.max(a.received)),
            expires: a.expires.map(|e| e.with_timezone(&Utc)),
            slots: Vec::new(),
            weekdays: Vec::new(),
            seconds: None,
            media: Vec::new(),
            repeats: None,
        };
        out.push((alert, Some(speech)));
    }
    let boards_of = |b: &BulletinRecord| board.is_some_and(|id| b.boards.iter().any(|x| x == id));
    for b in s.store.scan_json::<BulletinRecord>("bulletin/")? {
        if !(covers(&b.areas, unit, province.as_deref()) || boards_of(&b)) {
            continue;
        }
        // Normal bulletins: only where the board's commune approved them.
        let approved = b.decisions.get(unit).filter(|d| d.approved);
        let shown = match b.state {
            BulletinState::Live => true,
            BulletinState::Pending => approved.is_some(),
            _ => false,
        };
        if !shown {
            continue;
        }
        let Ok(doc) = crate::bulletin::parse(b.document.as_bytes()) else {
            continue;
        };
        let level = match doc.priority {
            crate::bulletin::Priority::Emergency => AlertLevel::Emergency,
            crate::bulletin::Priority::Priority => AlertLevel::Priority,
            crate::bulletin::Priority::Normal => AlertLevel::Normal,
        };
        let expires = doc.schedule.valid_to.map(|t| t.with_timezone(&Utc));
        if expires.is_some_and(|e| e <= now) {
            continue;
        }
        let mut description = doc.summary.clone().unwrap_or_default();
        let mut ticker = String::new();
        for it in &doc.board.items {
            match it {
                crate::bulletin::BoardItem::Text { body, .. } if description.is_empty() => description = body.clone(),
                crate::bulletin::BoardItem::Ticker { text, .. } if ticker.is_empty() => ticker = text.clone(),
                _ => {}
            }
        }
        let mut headline = doc.title.clone();
        if let Some(e) = approved.and_then(|d| d.edits.as_ref()) {
            if let Some(t) = &e.title {
                headline = t.clone();
            }
            if let Some(t) = e.text.as_ref().or(e.summary.as_ref()) {
                description = t.clone();
            }
            if let Some(t) = &e.ticker {
                ticker = t.clone();
            }
        }
        let speech = doc.audio.as_ref().map(|a| Speech {
            key: format!("bulletin:{}:{}:v{}", b.source, b.id, b.version),
            text: a.tts.clone(),
            sound: a.sha256.clone(),
            repeats: doc
                .schedule
                .repeats
                .unwrap_or(if level == AlertLevel::Emergency { 2 } else { 1 }),
        });
        let media = doc
            .board
            .items
            .iter()
            .filter_map(|it| {
                let (kind, sha, seconds) = match it {
                    crate::bulletin::BoardItem::Image {
                        sha256, duration_sec, ..
                    } => (AlertMediaKind::Image, sha256, *duration_sec),
                    crate::bulletin::BoardItem::Video {
                        sha256, duration_sec, ..
                    } => (AlertMediaKind::Video, sha256, *duration_sec),
                    _ => return None,
                };
                // Fetched and checked when the bulletin arrived.
                let path = s.media_path(sha);
                let size = std::fs::metadata(&path).ok()?.len();
                let mut head = [0u8; 8192];
                let n = std::io::Read::read(&mut std::fs::File::open(&path).ok()?, &mut head).ok()?;
                let mime = crate::media::sniff(&head[..n]).map_or("application/octet-stream", |(m, _)| m);
                Some(AlertMedia {
                    kind,
                    sha256: sha.clone(),
                    size,
                    mime: mime.to_string(),
                    seconds,
                })
            })
            .collect();
        let alert = BoardAlert {
            id: format!("bulletin:{}:{}", b.source, b.id),
            level,
            severity: match level {
                AlertLevel::Emergency => 3,
                AlertLevel::Priority => 1,
                AlertLevel::Normal => 0,
            },
            risk_level: None,
            event: doc.category.clone().unwrap_or_default(),
            ticker: if ticker.is_empty() { headline.clone() } else { ticker },
            headline,
            description,
            instruction: String::new(),
            sender: doc.source.author.clone().unwrap_or(doc.source.system.clone()),
            starts: doc.schedule.valid_from.map_or(b.received, |t| t.with_timezone(&Utc)),
            expires,
            slots: doc
                .schedule
                .slots
                .iter()
                .filter_map(|s| s.minutes())
                .map(|(a, b)| [a, b])
                .collect(),
            weekdays: doc.schedule.weekdays.clone(),
            seconds: turn_seconds(&doc),
            media,
            repeats: doc.schedule.repeats,
        };
        out.push((alert, speech));
    }
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(out)
}

/// A bulletin's turn in a round: the sum of its text pages' `durationSec`
/// (the board keeps it within 3 s – 10 min), or the board's default.
fn turn_seconds(doc: &crate::bulletin::Bulletin) -> Option<u32> {
    let total: f64 = doc
        .board
        .items
        .iter()
        .filter_map(|it| match it {
            crate::bulletin::BoardItem::Text { duration_sec, .. } => *duration_sec,
            _ => None,
        })
        .sum();
    (total > 0.0).then(|| total.round().clamp(1.0, 3600.0) as u32)
}

/// Recompile the sets of `boards`; store, sign and push those that changed.
/// Returns how many changed.
pub fn refresh(s: &Shared, boards: &[Board], now: DateTime<Utc>) -> crate::store::Result<usize> {
    // All boards' sets in one batch, made durable once (one fsync, not one
    // per board), then announced together.
    let mut ops = Vec::new();
    let mut pushes = Vec::new();
    for b in boards {
        let alerts = alerts_for(s, b, now)?;
        let old: Option<Signed> = s.store.get_json(&set_key(&b.id))?;
        let old: Option<AlertSet> = old.and_then(|o| serde_json::from_str(&o.payload).ok());
        let round_seconds = Some(s.cfg.bulletin_round_s);
        if old
            .as_ref()
            .is_some_and(|o| o.alerts == alerts && o.round_seconds == round_seconds)
            || (old.is_none() && alerts.is_empty())
        {
            continue;
        }
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
            board: b.id.clone(),
            version: old.map_or(1, |o| o.version + 1),
            issued_at: now,
            alerts,
            round_seconds,
        };
        let signed = bangtin_layouts::alerts::sign(&set, &s.key.0);
        ops.push(Op::put(set_key(&b.id), &signed));
        pushes.push((b.id.as_str(), set.version));
    }
    if ops.is_empty() {
        return Ok(0);
    }
    s.store.commit(ops)?;
    for (id, version) in &pushes {
        s.live.hub.push(id, &Push::Alerts { version: *version });
    }
    Ok(pushes.len())
}

/// Boards covered by `areas` (commune or province codes) or named in `ids`.
pub fn boards_for(s: &Shared, areas: &[String], ids: &[String]) -> crate::store::Result<Vec<Board>> {
    let boards: Vec<Board> = s.store.scan_json("board/")?;
    let mut out = Vec::new();
    for b in boards {
        let province = s.store.get_json::<Unit>(&key::unit(&b.unit))?.and_then(|u| u.parent);
        if covers(areas, &b.unit, province.as_deref()) || ids.contains(&b.id) {
            out.push(b);
        }
    }
    Ok(out)
}
