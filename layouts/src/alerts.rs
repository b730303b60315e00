//! Alerts on a board: what preempts its programme now. The manager sends
//! each board a signed [`AlertSet`] — every alert in force for it — and the
//! board shows the most severe emergency full-screen until it expires or
//! the set no longer holds it, then returns exactly to its schedule.
//!
//! Signed like the show (same key, same envelope): a board never shows an
//! alert it cannot verify came from its manager.

use crate::show::{ShowError, SignedShow};
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

pub const ALERTS_SCHEMA: &str = "bangtin.alerts/1";

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
}

/// How an alert enters the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// Goes to the head of the programme (shown between items).
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
}

impl BoardAlert {
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.starts <= now && self.expires.is_none_or(|e| now < e)
    }
}

impl AlertSet {
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

    /// The next instant at which what is in force changes (an alert starts
    /// or expires), if any.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.alerts
            .iter()
            .flat_map(|a| [Some(a.starts), a.expires])
            .flatten()
            .filter(|t| *t > now)
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

pub fn sign(set: &AlertSet, key: &SigningKey) -> SignedShow {
    crate::show::sign_json(set, key)
}

pub fn verify(signed: &SignedShow, pinned: &VerifyingKey) -> Result<AlertSet, ShowError> {
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
        }
    }

    #[test]
    fn most_severe_emergency_first_expired_and_priority_left_out() {
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
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
