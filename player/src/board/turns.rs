//! Emergency turns: which of the emergencies in force is on screen now,
//! most severe first, each for [`ALERT_TURN_SECONDS`] at a time.
//!
//! Emergencies come first. While the installed [`AlertSet`] holds an
//! emergency in force ([`AlertSet::emergencies`]), the board shows it
//! full-screen ([`super::alert_screen`]) — over the show, the standby screen
//! and a display-off window alike, at full brightness. Several at once take
//! turns of [`ALERT_TURN_SECONDS`] in severity order, starting with the most
//! severe whenever the set of emergencies in force changes. When none is
//! left (expired: the director wakes at [`AlertSet::next_change`]; or
//! cancelled: a newer set no longer holds it) the board goes back to
//! exactly what its schedule says for that instant.

use bangtin_layouts::alerts::{AlertSet, BoardAlert};
use chrono::{DateTime, Utc};

/// Emergencies shown at the same time take turns of this many seconds.
pub const ALERT_TURN_SECONDS: i64 = 15;

/// The emergencies taking turns.
#[derive(Debug, Default)]
pub(super) struct Turns {
    /// Ids of the emergencies in force (most severe first) and since when
    /// exactly these: the turns start there.
    turns: Option<(Vec<String>, DateTime<Utc>)>,
}

impl Turns {
    /// The emergency to show at `now` and its turn (index, count), if any.
    pub(super) fn alert_at<'a>(
        &self,
        alerts: Option<&'a AlertSet>,
        now: DateTime<Utc>,
    ) -> Option<(&'a BoardAlert, (usize, usize))> {
        let em = alerts?.emergencies(now);
        let n = em.len();
        let first = *em.first()?;
        let i = match &self.turns {
            Some((ids, since)) if n > 1 && ids.len() == n && ids.iter().zip(&em).all(|(id, a)| *id == a.id) => {
                ((now - *since).num_seconds().max(0) / ALERT_TURN_SECONDS) as usize % n
            }
            _ => 0,
        };
        Some((em.get(i).copied().unwrap_or(first), (i, n)))
    }

    /// A new list of emergencies in force starts its turns now, with the
    /// most severe.
    pub(super) fn update_turns(&mut self, alerts: Option<&AlertSet>, now: DateTime<Utc>) {
        let ids: Vec<String> = alerts
            .map(|s| s.emergencies(now).iter().map(|a| a.id.clone()).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            self.turns = None;
        } else if self.turns.as_ref().is_none_or(|(old, _)| *old != ids) {
            self.turns = Some((ids, now));
        }
    }

    /// When the next emergency's turn starts (None: fewer than two).
    pub(super) fn next_turn(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.turns.as_ref().filter(|(ids, _)| ids.len() > 1).map(|(_, since)| {
            let done = (now - *since).num_seconds().max(0) / ALERT_TURN_SECONDS;
            *since + chrono::TimeDelta::seconds((done + 1) * ALERT_TURN_SECONDS)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::board::director::fixture::*;
    use bangtin_layouts::alerts::AlertLevel;
    use chrono::TimeDelta;

    #[test]
    fn most_severe_first_then_turns_in_severity_order() {
        let mut b = board();
        let t0 = at("2026-11-23T03:00:00Z");
        b.alerts(set(
            1,
            vec![
                alert("moderate", AlertLevel::Emergency, 2, "2026-11-23T02:00:00Z", None),
                alert("extreme", AlertLevel::Emergency, 4, "2026-11-23T01:00:00Z", None),
                alert("severe", AlertLevel::Emergency, 3, "2026-11-23T02:30:00Z", None),
            ],
        ));
        let turns: Vec<(String, (usize, usize))> = [0, 14, 15, 29, 30, 45, 61]
            .into_iter()
            .map(|s| {
                let k = b.screen(t0 + TimeDelta::seconds(s));
                let (id, turn) = alert_id(&k).unwrap();
                (id.to_string(), turn)
            })
            .collect();
        let want = [
            ("extreme", 0),
            ("extreme", 0),
            ("severe", 1),
            ("severe", 1),
            ("moderate", 2),
            ("extreme", 0),
            ("severe", 1),
        ];
        for (got, (id, i)) in turns.iter().zip(want) {
            assert_eq!((got.0.as_str(), got.1), (id, (i, 3)));
        }
        // The headless loop wakes for the next turn.
        assert_eq!(
            b.d.next_change(t0 + TimeDelta::seconds(61)),
            Some(t0 + TimeDelta::seconds(75))
        );
        // A new emergency restarts the turns with the most severe.
        let t1 = t0 + TimeDelta::seconds(100);
        b.alerts(set(
            2,
            vec![
                alert("extreme", AlertLevel::Emergency, 4, "2026-11-23T01:00:00Z", None),
                alert("moderate", AlertLevel::Emergency, 2, "2026-11-23T02:00:00Z", None),
            ],
        ));
        assert_eq!(alert_id(&b.screen(t1)), Some(("extreme", (0, 2))));
        assert_eq!(
            alert_id(&b.screen(t1 + TimeDelta::seconds(15))),
            Some(("moderate", (1, 2)))
        );
    }
}
