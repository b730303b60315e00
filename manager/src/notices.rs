//! Local notices: an emergency or priority notice an officer issues for
//! their own unit's boards and loudspeakers (editors of that unit and
//! administrators; viewers never — the rights are checked by the callers
//! with `Officer::write`, as for every change to a unit).
//!
//! A notice travels the very lane of a source's CAP alert: it is written as
//! a CAP 1.2 document (sender `local-<unit>@bangtin`, the unit's
//! administrative code as its area), parsed by the same parser, interpreted
//! by the same [`crate::interpret::alert`] and stored by
//! [`crate::ingest::keep_alert`] as an alert record of source
//! `local:<unit>` — so alert sets, boards, loudspeakers and reports treat
//! it exactly as a source's alert. An expiry is required (at most
//! [`MAX_HOURS`] ahead); cancelling ends it on the boards at once. Issuing
//! and cancelling are audited (`notice.issue`, `notice.cancel`).

use crate::audit::audit;
use crate::cap::{self, CapAlert};
use crate::ingest::{INGEST, IngestError, announce, keep_alert};
use crate::model::{Board, Unit, key};
use crate::records::{AlertRecord, AlertState, alert_key, state_name};
use crate::shared::Shared;
use crate::speakers::SpeakerZone;
use crate::store::{Op, StoreExt};
use bangtin_layouts::alerts::BoardAlert;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Longest title (characters).
pub const MAX_TITLE: usize = 200;
/// Longest text (characters).
pub const MAX_TEXT: usize = 2000;
/// Longest instruction (characters).
pub const MAX_INSTRUCTION: usize = 500;
/// Latest expiry: a week ahead. A local notice is for an event at hand; a
/// longer one would be forgotten on the boards.
pub const MAX_HOURS: i64 = 7 * 24;

/// A notice to issue.
/// Absent fields are refused by [`check`] at their field, after the rights
/// are checked (so `{}` from a viewer is a 403, not a 422).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NewNotice {
    /// The headline on the boards, 1–200 characters, not only spaces.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub title: String,
    /// What happens, 1–2000 characters, not only spaces.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = "[^\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub text: String,
    /// What people should do (optional, ≤ 500 characters; blank: none).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub instruction: Option<String>,
    /// `emergency` (full screen at once, chime on the loudspeakers, read
    /// twice) or `priority` (bulletin rounds, read once).
    #[schema(required = true, pattern = "^(emergency|priority)$")]
    pub level: String,
    /// Vietnamese disaster risk level 1–5 (the band's colour); optional.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub risk_level: Option<u8>,
    /// Required: when it ends, RFC 3339 (`2026-12-07T18:00:00+07:00`),
    /// in the future and at most a week ahead.
    #[serde(default)]
    #[schema(required = true, value_type = String, format = DateTime)]
    pub expires: Option<String>,
}

/// A local notice as kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notice {
    /// Its CAP identifier.
    pub id: String,
    pub unit: String,
    pub title: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// `emergency` or `priority`.
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<u8>,
    pub issued_at: DateTime<Utc>,
    /// `user:<name>`.
    pub issued_by: String,
    pub expires: DateTime<Utc>,
    /// `live`, `cancelled` or `expired`.
    pub state: String,
}

/// Why a notice is refused.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("không tìm thấy {0}")]
    NotFound(&'static str),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{field}: {reason}")]
    Conflict { field: &'static str, reason: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The source id local notices of `unit` are kept under.
pub fn source_of(unit: &str) -> String {
    format!("local:{unit}")
}

/// The CAP sender of `unit`'s local notices.
pub fn sender_of(unit: &str) -> String {
    format!("local-{unit}@bangtin")
}

/// A notice checked: trimmed texts, level, expiry.
#[derive(Debug, Clone)]
pub struct Checked {
    pub title: String,
    pub text: String,
    pub instruction: Option<String>,
    pub emergency: bool,
    pub risk_level: Option<u8>,
    pub expires: DateTime<Utc>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> NoticeError {
    NoticeError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn text_field(field: &'static str, v: &str, max: usize) -> Result<String, NoticeError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(invalid(field, "không được để trống (must not be empty)"));
    }
    // Counted as sent, as the OpenAPI document's maxLength counts.
    if v.chars().count() > max {
        return Err(invalid(
            field,
            format!("dài quá {max} ký tự (longer than {max} characters)"),
        ));
    }
    Ok(t.to_string())
}

/// Check a notice against the rules, at `now`.
pub fn check(n: &NewNotice, now: DateTime<Utc>) -> Result<Checked, NoticeError> {
    let title = text_field("title", &n.title, MAX_TITLE)?;
    let text = text_field("text", &n.text, MAX_TEXT)?;
    let instruction = match n.instruction.as_deref() {
        None => None,
        Some(i) if i.trim().is_empty() && i.chars().count() <= MAX_INSTRUCTION => None,
        Some(i) => Some(text_field("instruction", i, MAX_INSTRUCTION)?),
    };
    let emergency = match n.level.as_str() {
        "emergency" => true,
        "priority" => false,
        _ => {
            return Err(invalid(
                "level",
                "mức phải là emergency (khẩn cấp) hoặc priority (quan trọng) (level must be emergency or priority)",
            ));
        }
    };
    if let Some(r) = n.risk_level
        && !(1..=5).contains(&r)
    {
        return Err(invalid("risk_level", "cấp độ rủi ro từ 1 đến 5 (risk level 1–5)"));
    }
    let raw = n.expires.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(invalid(
            "expires",
            "bắt buộc có thời điểm hết hiệu lực (an expiry is required)",
        ));
    }
    let expires = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| {
            invalid(
                "expires",
                "thời điểm không hợp lệ, cần dạng 2026-12-07T18:00:00+07:00 (expected RFC 3339)",
            )
        })?
        .with_timezone(&Utc);
    if expires <= now + chrono::Duration::minutes(1) {
        return Err(invalid(
            "expires",
            "thời điểm hết hiệu lực phải ở tương lai (the expiry must be in the future)",
        ));
    }
    if expires > now + chrono::Duration::hours(MAX_HOURS) {
        return Err(invalid(
            "expires",
            format!("hiệu lực tối đa {MAX_HOURS} giờ (at most {MAX_HOURS} hours ahead)"),
        ));
    }
    Ok(Checked {
        title,
        text,
        instruction,
        emergency,
        risk_level: n.risk_level,
        expires,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unit_tz(u: &Unit) -> Tz {
    u.timezone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}

/// The notice as a CAP 1.2 document of `unit`, issued by `actor` at `now`.
fn document(c: &Checked, unit: &Unit, identifier: &str, actor: &str, now: DateTime<Utc>) -> String {
    let tz = unit_tz(unit);
    let t = |d: DateTime<Utc>| {
        d.with_timezone(&tz)
            .fixed_offset()
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    };
    let (urgency, severity) = if c.emergency {
        ("Immediate", "Extreme")
    } else {
        ("Expected", "Moderate")
    };
    let instruction = c
        .instruction
        .as_deref()
        .map(|i| format!("<instruction>{}</instruction>", esc(i)))
        .unwrap_or_default();
    let risk = c
        .risk_level
        .map(|r| format!("<parameter><valueName>VN_RISK_LEVEL</valueName><value>{r}</value></parameter>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>{id}</identifier><sender>{sender}</sender><sent>{sent}</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><note>{note}</note>
<info><language>vi-VN</language><category>Safety</category><event>{event}</event>
<urgency>{urgency}</urgency><severity>{severity}</severity><certainty>Observed</certainty>
<effective>{sent}</effective><expires>{expires}</expires><senderName>{sender_name}</senderName>
<headline>{headline}</headline><description>{description}</description>{instruction}{risk}
<area><areaDesc>{area}</areaDesc><geocode><valueName>VN-ADMIN</valueName><value>{code}</value></geocode></area>
</info>
</alert>"#,
        id = esc(identifier),
        sender = esc(&sender_of(&unit.code)),
        sent = t(now),
        note = esc(actor),
        event = esc(&format!("Thông báo của {}", unit.name)),
        expires = t(c.expires),
        sender_name = esc(&unit.name),
        headline = esc(&c.title),
        description = esc(&c.text),
        area = esc(&unit.name),
        code = esc(&unit.code),
    )
}

fn unit_of(s: &Shared, code: &str) -> Result<Unit, NoticeError> {
    s.store
        .get_json::<Unit>(&key::unit(code))?
        .ok_or(NoticeError::NotFound("đơn vị (unit)"))
}

fn parse(doc: &str) -> Result<CapAlert, NoticeError> {
    cap::parse(doc.as_bytes()).map_err(|e| {
        NoticeError::Ingest(IngestError::Invalid {
            field: e.path,
            reason: e.reason,
        })
    })
}

/// What issuing `n` for `unit` would do, without doing it: the alert as
/// every board will show it, the boards and the loudspeaker zones that
/// will get it. The confirmation step shows this.
#[derive(Debug, Clone)]
pub struct Preview {
    pub alert: BoardAlert,
    pub boards: Vec<Board>,
    pub zones: Vec<SpeakerZone>,
}

/// The boards and loudspeaker zones a notice for `unit` reaches (a
/// province: its communes').
pub fn reach(s: &Shared, unit: &str) -> crate::store::Result<(Vec<Board>, Vec<SpeakerZone>)> {
    let boards = crate::alerting::boards_for(s, &[unit.to_string()], &[])?;
    let units: Vec<Unit> = s.store.scan_json("unit/")?;
    let covered = |z: &str| z == unit || units.iter().any(|u| u.code == z && u.parent.as_deref() == Some(unit));
    let zones = s
        .store
        .scan_json::<SpeakerZone>("speaker/")?
        .into_iter()
        .filter(|z| covered(&z.unit))
        .collect();
    Ok((boards, zones))
}

/// Check `n` and show what it would become (see [`Preview`]).
pub fn preview(s: &Shared, actor: &str, unit: &str, n: &NewNotice) -> Result<Preview, NoticeError> {
    let now = Utc::now();
    let c = check(n, now)?;
    let u = unit_of(s, unit)?;
    let doc = document(&c, &u, "preview", actor, now);
    let a = parse(&doc)?;
    let rec = record_of(&a, unit, &doc, now);
    let reading = crate::interpret::alert(&a, &rec).ok_or(NoticeError::NotFound("info"))?;
    let (boards, zones) = reach(s, unit)?;
    Ok(Preview {
        alert: crate::interpret::shown(&reading, None),
        boards,
        zones,
    })
}

/// A provisional record for interpreting a document before it is kept.
fn record_of(a: &CapAlert, unit: &str, doc: &str, now: DateTime<Utc>) -> AlertRecord {
    AlertRecord {
        source: source_of(unit),
        identifier: a.identifier.clone(),
        sender: a.sender.clone(),
        sent: a.sent,
        msg_type: "alert".into(),
        state: AlertState::Live,
        emergency: a.is_emergency(),
        risk_level: a.risk_level(),
        headline: a.board_info().and_then(|i| i.headline.clone()),
        areas: a.area_codes(),
        expires: a.expires(),
        received: now,
        document: doc.to_string(),
        reading: None,
    }
}

/// Issue `n` for `unit` as `actor` (the caller checked the actor may
/// change `unit`): kept as an alert record and sent to the unit's boards
/// and loudspeakers at once.
pub async fn issue(s: &Arc<Shared>, actor: &str, unit: &str, n: &NewNotice) -> Result<Notice, NoticeError> {
    let now = Utc::now();
    let c = check(n, now)?;
    let u = unit_of(s, unit)?;
    let identifier = format!("tb-{}-{}", u.code, s.store.next_id()?);
    let doc = document(&c, &u, &identifier, actor, now);
    let a = parse(&doc)?;
    let detail = serde_json::json!({
        "level": n.level,
        "title": c.title,
        "expires": c.expires,
    });
    keep_alert(
        s,
        &source_of(unit),
        a,
        doc.as_bytes(),
        vec![u.code.clone()],
        (actor, "notice.issue", Some(unit), Some(detail)),
    )
    .await?;
    find(s, unit, &identifier)?.ok_or(NoticeError::NotFound("thông báo (notice)"))
}

/// The notice `id` of `unit`, if there is one.
pub fn find(s: &Shared, unit: &str, id: &str) -> crate::store::Result<Option<Notice>> {
    let rec: Option<AlertRecord> = s.store.get_json(&alert_key(&sender_of(unit), id))?;
    Ok(rec
        .filter(|r| r.source == source_of(unit))
        .and_then(|r| notice_of(&r, unit, Utc::now())))
}

/// A record of a local notice as a [`Notice`].
fn notice_of(r: &AlertRecord, unit: &str, now: DateTime<Utc>) -> Option<Notice> {
    let a = cap::parse(r.document.as_bytes()).ok()?;
    let info = a.board_info()?;
    let expires = r.expires?.with_timezone(&Utc);
    let state = match r.state {
        AlertState::Live if expires <= now => "expired".to_string(),
        st => state_name(st),
    };
    Some(Notice {
        id: r.identifier.clone(),
        unit: unit.to_string(),
        title: info.headline.clone().unwrap_or_default(),
        text: info.description.clone().unwrap_or_default(),
        instruction: info.instruction.clone(),
        level: if r.emergency { "emergency" } else { "priority" }.into(),
        risk_level: r.risk_level,
        issued_at: r.received,
        issued_by: a.note.clone().unwrap_or_default(),
        expires,
        state,
    })
}

/// `unit`'s local notices, newest first.
pub fn list(s: &Shared, unit: &str) -> crate::store::Result<Vec<Notice>> {
    let src = source_of(unit);
    let now = Utc::now();
    let mut out: Vec<Notice> = s
        .store
        .scan_json::<AlertRecord>("alert/")?
        .iter()
        .filter(|r| r.source == src)
        .filter_map(|r| notice_of(r, unit, now))
        .collect();
    out.sort_by_key(|n| std::cmp::Reverse(n.issued_at));
    Ok(out)
}

/// Cancel `unit`'s notice `id` as `actor` (the caller checked the actor
/// may change `unit`): it leaves the boards and loudspeakers at once.
pub async fn cancel(s: &Arc<Shared>, actor: &str, unit: &str, id: &str) -> Result<Notice, NoticeError> {
    let k = alert_key(&sender_of(unit), id);
    {
        let _g = crate::store::exclusive(&*s.store, &INGEST, "ingest").await?;
        let mut rec: AlertRecord = s
            .store
            .get_json(&k)?
            .filter(|r: &AlertRecord| r.source == source_of(unit))
            .ok_or(NoticeError::NotFound("thông báo (notice)"))?;
        if rec.state != AlertState::Live {
            return Err(NoticeError::Conflict {
                field: "state",
                reason: format!(
                    "thông báo đang ở trạng thái {0}, không hủy được (notice is {0})",
                    state_name(rec.state)
                ),
            });
        }
        if rec.expires.is_some_and(|e| e.with_timezone(&Utc) <= Utc::now()) {
            return Err(NoticeError::Conflict {
                field: "state",
                reason: "thông báo đã hết hiệu lực (notice already expired)".into(),
            });
        }
        rec.state = AlertState::Cancelled;
        s.commit(vec![
            Op::put(&k, &rec),
            audit(&*s.store, actor, "notice.cancel", id, Some(unit), None)?,
        ])
        .await?;
    }
    announce(s, &[unit.to_string()], &[]).await?;
    find(s, unit, id)?.ok_or(NoticeError::NotFound("thông báo (notice)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Unit {
        Unit {
            code: "05443".into(),
            name: "Xã Định Hóa <&>".into(),
            parent: Some("19".into()),
            timezone: "Asia/Ho_Chi_Minh".into(),
        }
    }

    fn notice(level: &str, expires: Option<String>) -> NewNotice {
        NewNotice {
            title: "Vỡ đê: sơ tán ngay".into(),
            text: "Đê bao thôn 3 bị vỡ lúc 14h & nước lên nhanh.".into(),
            instruction: Some("Di chuyển lên trường học.".into()),
            level: level.into(),
            risk_level: Some(4),
            expires,
        }
    }

    #[test]
    fn a_notice_is_a_cap_alert_the_parser_takes() {
        let now = Utc::now();
        let n = notice("emergency", Some((now + chrono::Duration::hours(3)).to_rfc3339()));
        let c = check(&n, now).unwrap();
        let doc = document(&c, &unit(), "tb-05443-1", "user:xa.a", now);
        let a = cap::parse(doc.as_bytes()).unwrap();
        assert!(a.is_emergency());
        assert_eq!(a.risk_level(), Some(4));
        assert_eq!(a.area_codes(), ["05443"]);
        assert_eq!(a.note.as_deref(), Some("user:xa.a"));
        let info = a.board_info().unwrap();
        assert_eq!(info.description.as_deref(), Some(n.text.as_str()));
        assert_eq!(info.sender_name.as_deref(), Some("Xã Định Hóa <&>"));
        assert_eq!(a.expires().unwrap().timestamp(), c.expires.timestamp());
        let p = check(&notice("priority", n.expires.clone()), now).unwrap();
        let a = cap::parse(document(&p, &unit(), "tb-05443-2", "user:xa.a", now).as_bytes()).unwrap();
        assert!(!a.is_emergency());
    }

    #[test]
    fn expiry_is_required_in_the_future_and_within_a_week() {
        let now = Utc::now();
        let field = |e: Option<String>| match check(&notice("emergency", e), now) {
            Err(NoticeError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(None), "expires");
        assert_eq!(field(Some(" ".into())), "expires");
        assert_eq!(field(Some("mai".into())), "expires");
        assert_eq!(field(Some((now - chrono::Duration::hours(1)).to_rfc3339())), "expires");
        assert_eq!(field(Some((now + chrono::Duration::days(8)).to_rfc3339())), "expires");
        let bad_level = check(
            &notice("urgent", Some((now + chrono::Duration::hours(1)).to_rfc3339())),
            now,
        );
        assert!(matches!(bad_level, Err(NoticeError::Invalid { field: "level", .. })));
    }
}
