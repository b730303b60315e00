//! Bulletin rounds: priority and approved normal bulletins take turns on
//! screen in rounds between the programme, priority first.
//!
//! Priority and approved normal bulletins never preempt an emergency and
//! never light a display the schedule has off. They are shown in *bulletin
//! rounds* ([`AlertSet::bulletins`]): each one full-screen for its turn
//! ([`BoardAlert::turn_seconds`], [`BULLETIN_TURN_SECONDS`](bangtin_layouts::alerts::BULLETIN_TURN_SECONDS) unless the
//! bulletin says), priority first; a round starts at once when a priority
//! bulletin arrives or changes (the head of the programme), and otherwise
//! [`AlertSet::round_every`] ([`BULLETIN_ROUND_SECONDS`]) after the last
//! one ended. Between
//! rounds the board shows its schedule; a bulletin cancelled during a round
//! is skipped.

use bangtin_layouts::alerts::{AlertLevel, AlertSet, BULLETIN_ROUND_SECONDS, BoardAlert};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};

/// A fingerprint of an alert's content: it changes when an update does.
pub(super) fn fingerprint(a: &BoardAlert) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{a:?}").hash(&mut h);
    h.finish()
}

/// The bulletin rounds of a board: the one under way and what past
/// rounds showed.
#[derive(Debug, Default)]
pub(super) struct Rounds {
    /// The bulletin round under way.
    round: Option<Round>,
    /// When the last bulletin round ended.
    last_round: Option<DateTime<Utc>>,
    /// Fingerprints of the priority bulletins a round has already opened
    /// with: a new or changed one starts a round at once.
    heralded: HashSet<u64>,
    /// Rounds each bulletin (by fingerprint) was in, per showing period
    /// (see `BoardAlert::occurrence`), for `repeats`.
    rounds_in: HashMap<(u64, String), u32>,
}

/// A bulletin round: the bulletins it shows (fixed when it starts), the one
/// on screen and since when.
#[derive(Debug, Clone)]
struct Round {
    ids: Vec<String>,
    index: usize,
    since: DateTime<Utc>,
}

impl Rounds {
    /// The bulletin of the round under way and its turn, if any.
    pub(super) fn bulletin_at<'a>(&self, alerts: Option<&'a AlertSet>) -> Option<(&'a BoardAlert, (usize, usize))> {
        let r = self.round.as_ref()?;
        let id = r.ids.get(r.index)?;
        let a = alerts?.alerts.iter().find(|a| &a.id == id)?;
        Some((a, (r.index, r.ids.len())))
    }

    /// Move the bulletin round on: next bulletin after its turn (or at once
    /// when it was cancelled), end it after the last; start one when a
    /// priority bulletin is new or changed, or when the last ended
    /// [`BULLETIN_ROUND_SECONDS`] ago. `open`: the board may show bulletins now (paired, a show installed,
    /// the display on by schedule); `tz` is the board's time zone.
    pub(super) fn update_round(&mut self, alerts: Option<&AlertSet>, open: bool, now: DateTime<Utc>, tz: Tz) {
        // Bulletins whose `repeats` are used up for this period sit out.
        let spent = |a: &BoardAlert| {
            a.repeats.is_some_and(|n| {
                self.rounds_in
                    .get(&(fingerprint(a), a.occurrence(now, tz)))
                    .is_some_and(|done| *done >= n)
            })
        };
        let present: Vec<(String, bool, u64, i64)> = match (alerts, open) {
            (Some(set), true) => set
                .bulletins(now, tz)
                .into_iter()
                .filter(|a| !spent(a))
                .map(|a| {
                    (
                        a.id.clone(),
                        a.level == AlertLevel::Priority,
                        fingerprint(a),
                        a.turn_seconds(),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let every = alerts.map_or(BULLETIN_ROUND_SECONDS, |a| a.round_every());
        if let Some(r) = &mut self.round {
            while let Some(id) = r.ids.get(r.index) {
                let here = present.iter().find(|(p, ..)| p == id);
                let turn = chrono::TimeDelta::seconds(here.map_or(0, |p| p.3));
                let here = here.is_some();
                if here && now < r.since + turn {
                    break;
                }
                // Keep the cadence, unless the board was held up.
                let next = if here { r.since + turn } else { now };
                r.index += 1;
                r.since = if now - next > chrono::TimeDelta::seconds(1) {
                    now
                } else {
                    next
                };
            }
            if r.index >= r.ids.len() {
                self.round = None;
                self.last_round = Some(now);
            }
        }
        if self.round.is_none() && !present.is_empty() {
            let news = present
                .iter()
                .any(|(_, prio, fp, _)| *prio && !self.heralded.contains(fp));
            let due = self
                .last_round
                .is_none_or(|t| now - t >= chrono::TimeDelta::seconds(every));
            if news || due {
                self.heralded = present.iter().filter(|p| p.1).map(|p| p.2).collect();
                if let Some(set) = alerts {
                    // Count this round for each of its bulletins; forget
                    // counts of bulletins no longer in the set.
                    let live: HashSet<u64> = set.alerts.iter().map(fingerprint).collect();
                    self.rounds_in.retain(|(fp, _), _| live.contains(fp));
                    for a in set.alerts.iter().filter(|a| present.iter().any(|p| p.0 == a.id)) {
                        *self
                            .rounds_in
                            .entry((fingerprint(a), a.occurrence(now, tz)))
                            .or_default() += 1;
                    }
                }
                self.round = Some(Round {
                    ids: present.into_iter().map(|p| p.0).collect(),
                    index: 0,
                    since: now,
                });
            }
        }
    }

    /// The round's next turn, or when the next round is due.
    pub(super) fn next_change(&self, alerts: Option<&AlertSet>, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match (&self.round, self.last_round, alerts) {
            (Some(r), _, _) => self
                .bulletin_at(alerts)
                .map(|(a, _)| r.since + chrono::TimeDelta::seconds(a.turn_seconds())),
            (None, Some(last), Some(set)) if !set.bulletins(now, tz).is_empty() => {
                Some(last + chrono::TimeDelta::seconds(set.round_every()))
            }
            _ => None,
        }
        .filter(|t| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::director::ScreenKey;
    use crate::board::director::fixture::*;
    use bangtin_layouts::alerts::AlertLevel;
    use chrono::TimeDelta;

    #[test]
    fn repeats_limit_a_bulletins_rounds_per_slot_and_per_day() {
        let mut b = board();
        let s = |t: &str| at(t);
        // 10:00 local; "twice" goes in 2 rounds a day, "slot" in 1 per slot
        // (09:00–11:00 and 14:00–16:00), "always" in every round.
        let twice = BoardAlert {
            repeats: Some(2),
            ..bulletin("twice", AlertLevel::Normal, "2026-11-23T01:00:00Z")
        };
        let slot = BoardAlert {
            repeats: Some(1),
            slots: vec![[540, 660], [840, 960]],
            ..bulletin("slot", AlertLevel::Normal, "2026-11-23T01:30:00Z")
        };
        let always = bulletin("always", AlertLevel::Normal, "2026-11-23T00:00:00Z");
        b.alerts(set(1, vec![twice, slot, always]));
        let round = |b: &mut Board, t: &str| {
            let mut ids = Vec::new();
            let mut when = s(t);
            while let Some((id, _)) = alert_id(&b.screen(when)) {
                ids.push(id.to_string());
                when += TimeDelta::seconds(15);
            }
            ids
        };
        assert_eq!(round(&mut b, "2026-11-23T03:00:00Z"), ["slot", "twice", "always"]);
        assert_eq!(round(&mut b, "2026-11-23T03:05:45Z"), ["twice", "always"]);
        assert_eq!(round(&mut b, "2026-11-23T03:11:15Z"), ["always"]);
        // The afternoon slot: "slot" once more; the next day, "twice" again.
        assert_eq!(round(&mut b, "2026-11-23T07:00:00Z"), ["slot", "always"]);
        assert_eq!(round(&mut b, "2026-11-24T02:00:00Z"), ["slot", "twice", "always"]);
    }

    #[test]
    fn bulletins_take_rounds_priority_first_and_a_new_priority_opens_one_at_once() {
        let mut b = board();
        let s = |t: &str| at(t);
        // 10:00 local: two approved normal bulletins.
        let t0 = s("2026-11-23T03:00:00Z");
        assert_eq!(b.screen(t0), scheduled());
        b.alerts(set(
            1,
            vec![
                bulletin("old", AlertLevel::Normal, "2026-11-23T01:00:00Z"),
                bulletin("new", AlertLevel::Normal, "2026-11-23T02:00:00Z"),
            ],
        ));
        // The first round starts at once, newest first, 15 s each.
        let k = b.screen(t0);
        assert_eq!(alert_id(&k), Some(("new", (0, 2))));
        assert!(matches!(
            k,
            ScreenKey::Alert {
                level: AlertLevel::Normal,
                ..
            }
        ));
        assert_eq!(k.layout_label().as_deref(), Some("alert:new"));
        assert_eq!(b.d.next_change(t0), Some(s("2026-11-23T03:00:15Z")));
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:00:14Z"))), Some(("new", (0, 2))));
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:00:15Z"))), Some(("old", (1, 2))));
        // Then the programme, until the next round five minutes later.
        assert_eq!(b.screen(s("2026-11-23T03:00:30Z")), scheduled());
        assert_eq!(
            b.d.next_change(s("2026-11-23T03:00:30Z")),
            Some(s("2026-11-23T03:05:30Z"))
        );
        assert_eq!(b.screen(s("2026-11-23T03:05:29Z")), scheduled());
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:05:30Z"))), Some(("new", (0, 2))));
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:05:45Z"))), Some(("old", (1, 2))));
        assert_eq!(b.screen(s("2026-11-23T03:06:00Z")), scheduled());
        // A priority bulletin arrives: a round at once, with it at the head.
        b.alerts(set(
            2,
            vec![
                bulletin("old", AlertLevel::Normal, "2026-11-23T01:00:00Z"),
                bulletin("new", AlertLevel::Normal, "2026-11-23T02:00:00Z"),
                bulletin("urgent", AlertLevel::Priority, "2026-11-23T03:07:00Z"),
            ],
        ));
        let t1 = s("2026-11-23T03:07:00Z");
        let k = b.screen(t1);
        assert_eq!(alert_id(&k), Some(("urgent", (0, 3))));
        // Not forced to full brightness (only emergencies are).
        assert!(b.d.dim(t1) < 1e-6);
        // Cancelled during the round (a newer set without "new"): skipped.
        b.alerts(set(
            3,
            vec![
                bulletin("old", AlertLevel::Normal, "2026-11-23T01:00:00Z"),
                bulletin("urgent", AlertLevel::Priority, "2026-11-23T03:07:00Z"),
            ],
        ));
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:07:15Z"))), Some(("old", (2, 3))));
        assert_eq!(b.screen(s("2026-11-23T03:07:30Z")), scheduled());
        // The same priority bulletin does not open another round early.
        assert_eq!(b.screen(s("2026-11-23T03:10:00Z")), scheduled());
        // An emergency still preempts a round.
        b.alerts(set(
            4,
            vec![
                bulletin("old", AlertLevel::Normal, "2026-11-23T01:00:00Z"),
                alert(
                    "bao",
                    AlertLevel::Emergency,
                    4,
                    "2026-11-23T03:12:00Z",
                    Some("2026-11-23T03:13:00Z"),
                ),
            ],
        ));
        assert_eq!(alert_id(&b.screen(s("2026-11-23T03:12:30Z"))).unwrap().0, "bao");
        // Display off from 22:00 local: no round lights the screen.
        assert_eq!(b.screen(s("2026-11-23T15:30:00Z")), ScreenKey::Off);
        assert_eq!(b.screen(s("2026-11-23T15:40:00Z")), ScreenKey::Off);
    }

    #[test]
    fn priority_alerts_take_a_round_and_alerts_not_yet_in_force_do_not_preempt() {
        let mut b = board();
        let t0 = at("2026-11-23T03:00:00Z");
        b.alerts(set(
            1,
            vec![
                alert("uu-tien", AlertLevel::Priority, 4, "2026-11-23T02:00:00Z", None),
                alert("sap-toi", AlertLevel::Emergency, 4, "2026-11-23T03:10:00Z", None),
            ],
        ));
        // The priority alert opens a bulletin round (not an emergency:
        // the schedule's brightness), then the programme comes back.
        let k = b.screen(t0);
        assert_eq!(alert_id(&k), Some(("uu-tien", (0, 1))));
        assert!(matches!(
            k,
            ScreenKey::Alert {
                level: AlertLevel::Priority,
                ..
            }
        ));
        assert_eq!(b.d.dim(t0), 0.0);
        assert_eq!(b.screen(at("2026-11-23T03:00:15Z")), scheduled());
        // The director wakes when the coming emergency starts, and shows it.
        assert_eq!(
            b.d.next_change(at("2026-11-23T03:00:15Z")),
            Some(at("2026-11-23T03:05:15Z")),
            "the next round"
        );
        assert_eq!(alert_id(&b.screen(at("2026-11-23T03:05:15Z"))).unwrap().0, "uu-tien");
        assert_eq!(b.screen(at("2026-11-23T03:05:30Z")), scheduled());
        assert_eq!(
            b.d.next_change(at("2026-11-23T03:05:30Z")),
            Some(at("2026-11-23T03:10:00Z"))
        );
        assert_eq!(alert_id(&b.screen(at("2026-11-23T03:10:00Z"))).unwrap().0, "sap-toi");
    }
}
