//! Each bulletin and CAP alert is read once, on arrival: the document is
//! parsed and turned into a [`Reading`] — the alert as boards show it, what
//! the loudspeakers say, what reports need — stored with the record.
//! Alert sets ([`crate::alerting`]), the loudspeakers and the reports work
//! from readings and never parse the document again. Records kept by an
//! older manager get theirs when the store opens ([`backfill`]).

use crate::bulletin::{BoardItem, Bulletin, Priority};
use crate::cap::CapAlert;
use crate::records::{AlertRecord, BulletinEdits, BulletinRecord, Reading, Speech};
use crate::store::{Op, Store, StoreExt};
use bangtin_layouts::alerts::{AlertLevel, AlertMedia, AlertMediaKind, BoardAlert};
use chrono::Utc;
use std::path::PathBuf;

fn severity_rank(s: &str) -> u8 {
    match s {
        "Extreme" => 4,
        "Severe" => 3,
        "Moderate" => 2,
        "Minor" => 1,
        _ => 0,
    }
}

/// A CAP alert as boards show it (its Vietnamese info block, else the
/// first); `None` when it has no info block.
pub fn alert(cap: &CapAlert, rec: &AlertRecord) -> Option<Reading> {
    let info = cap.board_info()?;
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
    let valid_from = info.effective.or(info.onset).map(|t| t.with_timezone(&Utc));
    let alert = BoardAlert {
        id: format!("cap:{}", rec.identifier),
        level: if rec.emergency {
            AlertLevel::Emergency
        } else {
            AlertLevel::Priority
        },
        severity: severity_rank(&info.severity),
        risk_level: rec.risk_level,
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
        // An alert goes on the boards when it arrives, even if it says it
        // takes effect later.
        starts: valid_from.map_or(rec.received, |t| t.min(rec.received)),
        expires: rec.expires.map(|e| e.with_timezone(&Utc)),
        slots: Vec::new(),
        weekdays: Vec::new(),
        seconds: None,
        media: Vec::new(),
        repeats: None,
    };
    Some(Reading {
        alert,
        speech: Some(Speech {
            key: format!("cap:{}", rec.identifier),
            text: Some(format!("{spoken}.")),
            sound: None,
            repeats: if rec.emergency { 2 } else { 1 },
        }),
        valid_from,
        has_media: false,
        board_media: Vec::new(),
    })
}

/// A bulletin as boards show it, before any commune's edits. Its pictures
/// and videos are described from the files in the media store
/// (`media_path`), fetched and checked on arrival; one that is not there
/// is left out.
pub fn bulletin(doc: &Bulletin, rec: &BulletinRecord, media_path: impl Fn(&str) -> PathBuf) -> Reading {
    let level = match doc.priority {
        Priority::Emergency => AlertLevel::Emergency,
        Priority::Priority => AlertLevel::Priority,
        Priority::Normal => AlertLevel::Normal,
    };
    let mut description = doc.summary.clone().unwrap_or_default();
    let mut ticker = String::new();
    for it in &doc.board.items {
        match it {
            BoardItem::Text { body, .. } if description.is_empty() => description = body.clone(),
            BoardItem::Ticker { text, .. } if ticker.is_empty() => ticker = text.clone(),
            _ => {}
        }
    }
    let speech = doc.audio.as_ref().map(|a| Speech {
        key: format!("bulletin:{}:{}:v{}", rec.source, rec.id, rec.version),
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
                BoardItem::Image {
                    sha256, duration_sec, ..
                } => (AlertMediaKind::Image, sha256, *duration_sec),
                BoardItem::Video {
                    sha256, duration_sec, ..
                } => (AlertMediaKind::Video, sha256, *duration_sec),
                _ => return None,
            };
            let path = media_path(sha);
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
    let board_media = doc
        .board
        .items
        .iter()
        .filter_map(|it| match it {
            BoardItem::Image { sha256, .. } | BoardItem::Video { sha256, .. } => Some(sha256.clone()),
            _ => None,
        })
        .collect();
    let alert = BoardAlert {
        id: format!("bulletin:{}:{}", rec.source, rec.id),
        level,
        severity: match level {
            AlertLevel::Emergency => 3,
            AlertLevel::Priority => 1,
            AlertLevel::Normal => 0,
        },
        risk_level: None,
        event: doc.category.clone().unwrap_or_default(),
        // Empty: the headline, once an editor's changes are in (`shown`).
        ticker,
        headline: doc.title.clone(),
        description,
        instruction: String::new(),
        sender: doc.source.author.clone().unwrap_or(doc.source.system.clone()),
        starts: doc.schedule.valid_from.map_or(rec.received, |t| t.with_timezone(&Utc)),
        expires: doc.schedule.valid_to.map(|t| t.with_timezone(&Utc)),
        slots: doc
            .schedule
            .slots
            .iter()
            .filter_map(|s| s.minutes())
            .map(|(a, b)| [a, b])
            .collect(),
        weekdays: doc.schedule.weekdays.clone(),
        seconds: turn_seconds(doc),
        media,
        repeats: doc.schedule.repeats,
    };
    Reading {
        alert,
        speech,
        valid_from: doc.schedule.valid_from.map(|t| t.with_timezone(&Utc)),
        has_media: !doc.media().is_empty(),
        board_media,
    }
}

/// A bulletin's turn in a round: the sum of its text pages' `durationSec`
/// (the board keeps it within 3 s – 10 min), or the board's default.
fn turn_seconds(doc: &Bulletin) -> Option<u32> {
    let total: f64 = doc
        .board
        .items
        .iter()
        .filter_map(|it| match it {
            BoardItem::Text { duration_sec, .. } => *duration_sec,
            _ => None,
        })
        .sum();
    (total > 0.0).then(|| total.round().clamp(1.0, 3600.0) as u32)
}

/// The alert as one commune's boards show it: with the changes its editor
/// made when approving, if any; a bulletin without a ticker line of its own
/// scrolls its headline.
pub fn shown(r: &Reading, edits: Option<&BulletinEdits>) -> BoardAlert {
    let mut a = r.alert.clone();
    if let Some(e) = edits {
        if let Some(t) = &e.title {
            a.headline = t.clone();
        }
        if let Some(t) = e.text.as_ref().or(e.summary.as_ref()) {
            a.description = t.clone();
        }
        if let Some(t) = &e.ticker {
            a.ticker = t.clone();
        }
    }
    if a.ticker.is_empty() {
        a.ticker = a.headline.clone();
    }
    a
}

/// Give every record that has no reading yet (kept by an older manager)
/// its reading; returns how many were read. Documents that no longer parse
/// are left as they are.
pub fn backfill(store: &dyn Store, media_path: impl Fn(&str) -> PathBuf) -> crate::store::Result<usize> {
    let mut ops = Vec::new();
    for (k, v) in store.scan("bulletin/")? {
        let Ok(mut rec) = serde_json::from_slice::<BulletinRecord>(&v) else {
            continue;
        };
        if rec.reading.is_some() {
            continue;
        }
        let Ok(doc) = crate::bulletin::parse(rec.document.as_bytes()) else {
            continue;
        };
        rec.reading = Some(bulletin(&doc, &rec, &media_path));
        ops.push(Op::put(k, &rec));
    }
    for (k, v) in store.scan("alert/")? {
        let Ok(mut rec) = serde_json::from_slice::<AlertRecord>(&v) else {
            continue;
        };
        if rec.reading.is_some() {
            continue;
        }
        let Ok(cap) = crate::cap::parse(rec.document.as_bytes()) else {
            continue;
        };
        let Some(r) = alert(&cap, &rec) else { continue };
        rec.reading = Some(r);
        ops.push(Op::put(k, &rec));
    }
    let n = ops.len();
    if n > 0 {
        store.commit(ops)?;
    }
    Ok(n)
}
