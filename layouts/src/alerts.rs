//! Alerts on a board: what preempts its programme now, and the bulletins
//! it shows between the items of its programme. The manager sends each
//! board a signed [`AlertSet`] — every alert and live bulletin for it — and
//! the board shows the most severe emergency full-screen until it expires
//! or the set no longer holds it, then returns exactly to its schedule.
//! Priority and (approved) normal bulletins are shown in *bulletin rounds*:
//! priority ones first, each for [`BULLETIN_TURN_SECONDS`]; a round starts
//! at once when a priority bulletin arrives (the head of the programme) and
//! otherwise every [`BULLETIN_ROUND_SECONDS`].
//!
//! Signed like the show (same key, same envelope): a board never shows an
//! alert it cannot verify came from its manager.

use crate::show::{ShowError, Signed};
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

pub const ALERTS_SCHEMA: &str = "bangtin.alerts/1";

/// Each bulletin of a round is on screen this long.
pub const BULLETIN_TURN_SECONDS: i64 = 15;

/// A board with bulletins in force starts a round this long after the last
/// one ended (sooner when a priority bulletin arrives).
pub const BULLETIN_ROUND_SECONDS: i64 = 300;

/// Every alert in force for one board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSet {
    pub schema: String,
    pub board: String,
    /// Increases with every change for this board; older sets are ignored.
    pub version: u64,
    pub issued_at: DateTime<Utc>,
    pub alerts: Vec<BoardAlert>,
    /// Seconds between bulletin rounds; absent: [`BULLETIN_ROUND_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_seconds: Option<u32>,
}

/// How an alert enters the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// An approved bulletin: shown in the bulletin rounds, after the
    /// priority ones.
    Normal,
    /// Goes to the head of the programme: a bulletin round starts at once.
    Priority,
    /// Preempts everything at once, full-screen.
    Emergency,
}

/// One alert as the board shows it (already in the board's language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardAlert {
    /// Unique within the manager (source and identifier).
    pub id: String,
    pub level: AlertLevel,
    /// 4 Extreme, 3 Severe, 2 Moderate, 1 Minor, 0 unknown: the order in
    /// which simultaneous alerts are shown (most severe first).
    pub severity: u8,
    /// Vietnamese disaster risk level 1–5, which sets the colour.
    #[serde(default)]
    pub risk_level: Option<u8>,
    /// e.g. "Bão số 3".
    pub event: String,
    pub headline: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub instruction: String,
    /// Text of the alert screen's ticker.
    #[serde(default)]
    pub ticker: String,
    /// Who issued it (e.g. "Ban Chỉ huy PCTT và TKCN tỉnh").
    #[serde(default)]
    pub sender: String,
    pub starts: DateTime<Utc>,
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    /// Daily windows `[start, end)` in minutes after local midnight (end up
    /// to 1440); empty: all day. Bulletins only: emergencies ignore them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<[u16; 2]>,
    /// ISO weekdays (1 Monday … 7 Sunday) it is shown on; empty: every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<u8>,
    /// Its turn in a bulletin round, seconds; absent:
    /// [`BULLETIN_TURN_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    /// Pictures and videos of a bulletin, shown beside its text once the
    /// board has them (fetched like a show's media, by hash).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<AlertMedia>,
    /// Bulletins: in how many rounds it is shown per daily slot (per day
    /// without slots); absent: every round while it is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<u32>,
}

/// Picture or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertMediaKind {
    Image,
    Video,
}

/// A picture or video of a bulletin, as the board fetches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertMedia {
    pub kind: AlertMediaKind,
    pub sha256: String,
    pub size: u64,
    pub mime: String,
    /// How long a picture stays before the next one, seconds (videos play
    /// through); absent: [`ALERT_PICTURE_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// A bulletin picture's default time on screen.
pub const ALERT_PICTURE_SECONDS: f64 = 10.0;

impl AlertMedia {
    /// The file as a show's media, for the board's download and cache.
    pub fn as_show_media(&self) -> crate::show::ShowMedia {
        crate::show::ShowMedia {
            sha256: self.sha256.clone(),
            size: self.size,
            mime: self.mime.clone(),
        }
    }
}

impl BoardAlert {
    /// How long its turn lasts (3 s to 10 min).
    pub fn turn_seconds(&self) -> i64 {
        self.seconds.map_or(BULLETIN_TURN_SECONDS, i64::from).clamp(3, 600)
    }

    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.starts <= now && self.expires.is_none_or(|e| now < e)
    }

    /// Which showing period `now` falls in for `repeats`: the local date
    /// and the start of the daily slot holding `now` (the date alone
    /// without slots).
    pub fn occurrence(&self, now: DateTime<Utc>, tz: Tz) -> String {
        let local = now.with_timezone(&tz);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let slot = self.slots.iter().find(|[s, e]| (*s..*e).contains(&minute));
        match slot {
            Some([s, _]) => format!("{} {s}", local.date_naive()),
            None => local.date_naive().to_string(),
        }
    }

    /// In force and inside its weekdays and daily windows at `now` in the
    /// board's time zone `tz`.
    pub fn shows_at(&self, now: DateTime<Utc>, tz: Tz) -> bool {
        if !self.in_force(now) {
            return false;
        }
        let local = now.with_timezone(&tz);
        let day = local.weekday().number_from_monday() as u8;
        let minute = (local.hour() * 60 + local.minute()) as u16;
        (self.weekdays.is_empty() || self.weekdays.contains(&day))
            && (self.slots.is_empty() || self.slots.iter().any(|[a, b]| *a <= minute && minute < *b))
    }
}

impl AlertSet {
    /// Every file its alerts show, once each.
    pub fn media(&self) -> Vec<crate::show::ShowMedia> {
        let mut out: Vec<crate::show::ShowMedia> = Vec::new();
        for m in self.alerts.iter().flat_map(|a| a.media.iter()) {
            if !out.iter().any(|o| o.sha256 == m.sha256) {
                out.push(m.as_show_media());
            }
        }
        out
    }

    /// Seconds between bulletin rounds (at least a minute).
    pub fn round_every(&self) -> i64 {
        self.round_seconds.map_or(BULLETIN_ROUND_SECONDS, i64::from).max(60)
    }

    /// Emergencies in force at `now`, most severe first (then highest risk
    /// level, then newest).
    pub fn emergencies(&self, now: DateTime<Utc>) -> Vec<&BoardAlert> {
        let mut v: Vec<&BoardAlert> = self
            .alerts
            .iter()
            .filter(|a| a.level == AlertLevel::Emergency && a.in_force(now))
            .collect();
        v.sort_by(|a, b| {
            (b.severity, b.risk_level.unwrap_or(0), b.starts).cmp(&(a.severity, a.risk_level.unwrap_or(0), a.starts))
        });
        v
    }

    /// Priority and normal bulletins to show at `now` (board time zone
    /// `tz`): priority first (most severe, then newest), then normal ones,
    /// newest first.
    pub fn bulletins(&self, now: DateTime<Utc>, tz: Tz) -> Vec<&BoardAlert> {
        let mut v: Vec<&BoardAlert> = self
            .alerts
            .iter()
            .filter(|a| a.level != AlertLevel::Emergency && a.shows_at(now, tz))
            .collect();
        v.sort_by(|a, b| (b.level, b.severity, b.starts, &a.id).cmp(&(a.level, a.severity, a.starts, &b.id)));
        v
    }

    /// The next instant at which what is in force changes (an alert starts
    /// or expires, a bulletin's daily window opens or closes), if any.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let windows = self
            .alerts
            .iter()
            .filter(|a| !a.slots.is_empty() || !a.weekdays.is_empty());
        // Windows move by whole minutes: wake at the next minute if any
        // bulletin has them (cheap, and exact across DST changes).
        let minute = windows.clone().next().map(|_| {
            let next = now + chrono::TimeDelta::seconds(60 - i64::from(now.second()));
            next.with_nanosecond(0).unwrap_or(next)
        });
        self.alerts
            .iter()
            .flat_map(|a| [Some(a.starts), a.expires])
            .flatten()
            .filter(|t| *t > now)
            .chain(minute.filter(|_| windows.clone().any(|a| a.in_force(now) || a.starts > now)))
            .min()
    }
}

/// Official colour of a Vietnamese disaster risk level (1 light blue,
/// 2 light yellow, 3 orange, 4 red, 5 purple) and a text colour readable on it.
pub fn risk_colour(level: u8) -> Option<(&'static str, &'static str)> {
    // Text colours keep a WCAG contrast of at least 4.5 on their band.
    match level {
        1 => Some(("#9fd8f5", "#000000")),
        2 => Some(("#fff29a", "#000000")),
        3 => Some(("#ff8c00", "#000000")),
        4 => Some(("#d7191c", "#ffffff")),
        5 => Some(("#7b2d8e", "#ffffff")),
        _ => None,
    }
}

pub fn sign(set: &AlertSet, key: &SigningKey) -> Signed {
    crate::show::sign_json(set, key)
}

pub fn verify(signed: &Signed, pinned: &VerifyingKey) -> Result<AlertSet, ShowError> {
    let set: AlertSet = crate::show::verify_json(signed, pinned)?;
    if set.schema != ALERTS_SCHEMA {
        return Err(ShowError::Schema(set.schema));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn alert(id: &str, level: AlertLevel, severity: u8, risk: Option<u8>, expires_in: Option<i64>) -> BoardAlert {
        let now = Utc::now();
        BoardAlert {
            id: id.into(),
            level,
            severity,
            risk_level: risk,
            event: "Bão số 3".into(),
            headline: "Cảnh báo bão".into(),
            description: String::new(),
            instruction: String::new(),
            ticker: String::new(),
            sender: String::new(),
            starts: now - TimeDelta::seconds(10),
            expires: expires_in.map(|s| now + TimeDelta::seconds(s)),
            slots: Vec::new(),
            weekdays: Vec::new(),
            seconds: None,
            media: Vec::new(),
            repeats: None,
        }
    }

    #[test]
    fn bulletins_priority_first_within_their_days_and_windows() {
        let tz: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        // Monday 23 November 2026, 09:30 in Vietnam.
        let now = DateTime::parse_from_rfc3339("2026-11-23T09:30:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let at = |a: BoardAlert, minutes: i64| BoardAlert {
            starts: now - TimeDelta::minutes(minutes),
            ..a
        };
        let mut morning = at(alert("morning", AlertLevel::Normal, 0, None, None), 5);
        morning.slots = vec![[8 * 60, 10 * 60]];
        let mut evening = at(alert("evening", AlertLevel::Normal, 0, None, None), 1);
        evening.slots = vec![[18 * 60, 22 * 60]];
        let mut sunday = at(alert("sunday", AlertLevel::Normal, 0, None, None), 1);
        sunday.weekdays = vec![7];
        let mut monday = at(alert("monday", AlertLevel::Normal, 0, None, None), 2);
        monday.weekdays = vec![1, 3];
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
            round_seconds: None,
            board: "brd_1".into(),
            version: 1,
            issued_at: now,
            alerts: vec![
                morning,
                evening,
                sunday,
                monday,
                at(alert("old-priority", AlertLevel::Priority, 1, None, None), 60),
                at(alert("new-priority", AlertLevel::Priority, 1, None, None), 3),
                at(alert("severe-priority", AlertLevel::Priority, 3, None, None), 90),
                at(alert("emergency", AlertLevel::Emergency, 4, None, None), 1),
                BoardAlert {
                    expires: Some(now - TimeDelta::seconds(1)),
                    ..at(alert("expired", AlertLevel::Normal, 0, None, None), 1)
                },
            ],
        };
        let ids: Vec<&str> = set.bulletins(now, tz).iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            ["severe-priority", "new-priority", "old-priority", "monday", "morning"],
            "priority first (severity, then newest), then normal newest first"
        );
        // 10:00 closes the morning window; windows wake the board each minute.
        let later = now + TimeDelta::minutes(30);
        assert!(!set.bulletins(later, tz).iter().any(|a| a.id == "morning"));
        let wake = set.next_change(now).unwrap();
        assert_eq!(wake, now + TimeDelta::minutes(1));
        // Old sets (no windows) parse as "all day, every day".
        let json =
            r#"{"id":"x","level":"normal","severity":0,"event":"","headline":"h","starts":"2026-11-23T00:00:00Z"}"#;
        let a: BoardAlert = serde_json::from_str(json).unwrap();
        assert!(a.slots.is_empty() && a.weekdays.is_empty() && a.shows_at(now, tz));
    }

    #[test]
    fn most_severe_emergency_first_expired_and_priority_left_out() {
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
            round_seconds: None,
            board: "brd_1".into(),
            version: 1,
            issued_at: Utc::now(),
            alerts: vec![
                alert("a", AlertLevel::Emergency, 3, Some(3), Some(3600)),
                alert("b", AlertLevel::Emergency, 4, Some(2), None),
                alert("c", AlertLevel::Emergency, 4, Some(5), Some(-1)),
                alert("d", AlertLevel::Priority, 4, Some(5), None),
            ],
        };
        let ids: Vec<&str> = set.emergencies(Utc::now()).iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(set.next_change(Utc::now()).is_some());
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let signed = sign(&set, &key);
        assert_eq!(verify(&signed, &key.verifying_key()).unwrap(), set);
        let other = SigningKey::from_bytes(&[1u8; 32]);
        assert!(verify(&signed, &other.verifying_key()).is_err());
    }

    #[test]
    fn risk_levels_have_their_colours() {
        assert_eq!(risk_colour(3).unwrap().0, "#ff8c00");
        assert_eq!(risk_colour(5).unwrap().0, "#7b2d8e");
        assert!(risk_colour(0).is_none() && risk_colour(6).is_none());
    }
}
