//! Which item each zone shows at an instant — a pure function of time.
//!
//! Time is `f64` seconds since the playlists' anchor (the moment they
//! started). The same layout, anchor and instant always give the same
//! answer, whatever the frame rate or however the player got there, so
//! headless renders, screenshots and the live board agree to the frame.

use crate::model::{DEFAULT_ITEM_SECONDS, Item, ItemKind, Transition, TransitionKind, Zone};
use chrono::{DateTime, Utc};

/// Shortest slot we accept from content-derived durations (a zero-length
/// video must not spin the timeline).
pub const MIN_SLOT_S: f64 = 0.1;

/// Default slot of an endless ticker that shares its zone with other items.
pub const DEFAULT_TICKER_SECONDS: f64 = 30.0;

/// One item's time on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Showing {
    pub index: usize,
    /// When it started, seconds since the anchor; its own clock (ticker
    /// position, video time) is `t - started`.
    pub started: f64,
    /// When it ends (may be `f64::INFINITY`).
    pub ends: f64,
}

impl Showing {
    pub fn local(&self, t: f64) -> f64 {
        (t - self.started).max(0.0)
    }
}

/// What a zone shows at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneState {
    pub current: Option<Showing>,
    /// The item fading out under a crossfade, if one is running.
    pub previous: Option<Showing>,
    /// Opacity of `current` over `previous`, 0..=1 (1 outside transitions).
    pub mix: f32,
    /// Next instant at which this state changes by itself (an item ends, a
    /// transition ends, an item becomes valid). `t` itself while a
    /// transition runs.
    pub next_change: f64,
}

impl ZoneState {
    pub const EMPTY: ZoneState = ZoneState {
        current: None,
        previous: None,
        mix: 1.0,
        next_change: f64::INFINITY,
    };

    pub fn in_transition(&self) -> bool {
        self.previous.is_some() && self.mix < 1.0
    }
}

/// A zone's playlist compiled against an anchor instant.
#[derive(Debug, Clone)]
pub struct ZoneTimeline {
    slots: Vec<f64>,
    transitions: Vec<Transition>,
    /// Validity windows in seconds since the anchor.
    valid: Vec<(f64, f64)>,
    looping: bool,
    /// Sorted finite validity edges.
    edges: Vec<f64>,
}

/// The slot length of an item: its `duration`, else what its content says
/// (`natural`: a ticker's passes, a video's length), else the default.
pub fn slot_seconds(item: &Item, natural: Option<f64>) -> f64 {
    let s = match (item.duration, natural, &item.kind) {
        (Some(d), _, _) => d,
        (None, Some(n), _) => n,
        (None, None, ItemKind::Ticker { .. }) => DEFAULT_TICKER_SECONDS,
        (None, None, _) => DEFAULT_ITEM_SECONDS,
    };
    if s.is_finite() {
        s.max(MIN_SLOT_S)
    } else {
        DEFAULT_ITEM_SECONDS
    }
}

impl ZoneTimeline {
    /// `natural[i]`: content-derived length of item `i` (see [`slot_seconds`]).
    pub fn new(zone: &Zone, natural: &[Option<f64>], anchor: DateTime<Utc>) -> Self {
        let secs = |t: DateTime<Utc>| {
            (t - anchor).num_microseconds().map_or_else(
                || if t > anchor { f64::INFINITY } else { f64::NEG_INFINITY },
                |us| us as f64 / 1e6,
            )
        };
        let slots = zone
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| slot_seconds(it, natural.get(i).copied().flatten()))
            .collect();
        let valid: Vec<(f64, f64)> = zone
            .items
            .iter()
            .map(|it| {
                (
                    it.valid_from.map_or(f64::NEG_INFINITY, secs),
                    it.valid_to.map_or(f64::INFINITY, secs),
                )
            })
            .collect();
        let mut edges: Vec<f64> = valid
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .filter(|e| e.is_finite())
            .collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        ZoneTimeline {
            slots,
            transitions: zone.items.iter().map(|i| i.transition).collect(),
            valid,
            looping: zone.looping,
            edges,
        }
    }

    pub fn slot(&self, i: usize) -> f64 {
        self.slots[i]
    }

    /// Leave item `i` out of the playlist (its file cannot be played): the
    /// zone moves on to the next item as if `i` were never valid.
    pub fn skip(&mut self, i: usize) {
        if let Some(v) = self.valid.get_mut(i) {
            *v = (f64::INFINITY, f64::INFINITY);
        }
    }

    fn valid_at(&self, i: usize, t: f64) -> bool {
        let (a, b) = self.valid[i];
        t >= a && t < b
    }

    fn next_edge_after(&self, t: f64) -> f64 {
        self.edges.iter().copied().find(|e| *e > t).unwrap_or(f64::INFINITY)
    }

    /// First item valid at `pos`, searching from `from` (wrapping when the
    /// zone loops). `None` if nothing is valid or a non-looping list ran out.
    fn pick(&self, pos: f64, from: usize) -> Option<usize> {
        let n = self.slots.len();
        let span = if self.looping { n } else { n.saturating_sub(from) };
        (0..span).map(|k| (from + k) % n).find(|&i| self.valid_at(i, pos))
    }

    /// The state at `t` seconds since the anchor.
    pub fn state_at(&self, t: f64) -> ZoneState {
        let n = self.slots.len();
        if n == 0 {
            return ZoneState::EMPTY;
        }
        let t = if t.is_finite() { t.max(0.0) } else { 0.0 };
        let mut pos = 0.0f64;
        let mut from = 0usize;
        let mut prev: Option<Showing> = None;
        // Each pass advances `pos` by a slot, a whole number of cycles, or
        // to a validity edge; the cap only guards against float pathologies.
        for _ in 0..1_000_000 {
            let Some(i) = self.pick(pos, from) else {
                if !self.looping && from >= n {
                    // A finished one-shot playlist holds its last item.
                    if let Some(last) = prev {
                        let held = Showing {
                            ends: self.valid[last.index].1.max(last.ends),
                            ..last
                        };
                        if t < held.ends {
                            return self.finish(t, held, None);
                        }
                    }
                    return ZoneState {
                        next_change: f64::INFINITY,
                        ..ZoneState::EMPTY
                    };
                }
                let nb = self.next_edge_after(pos);
                if t < nb {
                    return ZoneState {
                        next_change: nb,
                        ..ZoneState::EMPTY
                    };
                }
                pos = nb;
                from = 0;
                prev = None;
                continue;
            };

            // Skip whole cycles when the valid set cannot change before `t`.
            let nb = self.next_edge_after(pos);
            if self.looping && prev.is_some() && i == self.pick(pos, 0).unwrap_or(i) {
                let valid: Vec<usize> = (0..n).filter(|&k| self.valid_at(k, pos)).collect();
                let cycle: f64 = valid.iter().map(|&k| self.slots[k]).sum();
                let whole = ((t.min(nb) - pos) / cycle).floor();
                if valid.len() > 1 && whole >= 2.0 {
                    // Keep the last cycle to step through, so the item
                    // before `t` is known for crossfades.
                    pos += (whole - 1.0) * cycle;
                    let last = *valid.last().unwrap_or(&i);
                    prev = Some(Showing {
                        index: last,
                        started: pos - self.slots[last],
                        ends: pos,
                    });
                } else if let Some(p) =
                    prev.filter(|p| valid.len() == 1 && whole >= 1.0 && p.index == i && p.ends == pos)
                {
                    // A lone item: extend its run in one step.
                    pos += whole * cycle;
                    prev = Some(Showing { ends: pos, ..p });
                    // Something else may be valid at the new position.
                    from = (i + 1) % n;
                    continue;
                }
            }

            let ends = (pos + self.slots[i]).min(self.valid[i].1);
            let showing = match prev {
                // The same item again right away (it is alone): one run.
                Some(p) if p.index == i && p.ends == pos => Showing { ends, ..p },
                _ => Showing {
                    index: i,
                    started: pos,
                    ends,
                },
            };
            if t < ends {
                let before = prev.filter(|p| p.index != i && p.ends == showing.started);
                return self.finish(t, showing, before);
            }
            prev = Some(showing);
            pos = ends;
            from = i + 1;
            if self.looping {
                from %= n;
            }
        }
        ZoneState::EMPTY
    }

    fn finish(&self, t: f64, cur: Showing, before: Option<Showing>) -> ZoneState {
        let tr = self.transitions[cur.index];
        if let Some(b) = before
            && tr.kind == TransitionKind::Crossfade
            && tr.seconds > 0.0
        {
            let fade_end = cur.started + tr.seconds.min(cur.ends - cur.started);
            if t < fade_end {
                let mix = ((t - cur.started) / tr.seconds).clamp(0.0, 1.0) as f32;
                return ZoneState {
                    current: Some(cur),
                    previous: Some(b),
                    mix,
                    next_change: t,
                };
            }
        }
        ZoneState {
            current: Some(cur),
            previous: None,
            mix: 1.0,
            next_change: cur.ends,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use chrono::TimeZone;

    fn item(d: f64, tr: Transition) -> Item {
        Item {
            kind: ItemKind::Qr {
                data: "x".into(),
                caption: None,
                fg: crate::Color::BLACK,
                bg: crate::Color::WHITE,
                caption_size: 10.0,
                ec: QrEc::M,
            },
            duration: Some(d),
            transition: tr,
            valid_from: None,
            valid_to: None,
            background: None,
        }
    }

    fn zone(items: Vec<Item>, looping: bool) -> Zone {
        Zone {
            id: "z".into(),
            rect: Rect::new(0, 0, 10, 10),
            z: 0,
            background: None,
            looping,
            items,
        }
    }

    fn anchor() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 17, 0, 0).unwrap()
    }

    fn idx(tl: &ZoneTimeline, t: f64) -> Option<usize> {
        tl.state_at(t).current.map(|s| s.index)
    }

    #[test]
    fn items_follow_each_other_and_loop() {
        let z = zone(vec![item(5.0, Transition::CUT), item(3.0, Transition::CUT)], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        assert_eq!(idx(&tl, 0.0), Some(0));
        assert_eq!(idx(&tl, 4.999), Some(0));
        assert_eq!(idx(&tl, 5.0), Some(1));
        assert_eq!(idx(&tl, 7.9), Some(1));
        assert_eq!(idx(&tl, 8.0), Some(0));
        let s = tl.state_at(8.0 * 1000.0 + 6.0);
        assert_eq!(s.current.unwrap().index, 1);
        assert_eq!(s.current.unwrap().started, 8005.0);
        assert_eq!(s.next_change, 8008.0);
    }

    #[test]
    fn crossfade_midpoint_mixes_half() {
        let fade = Transition {
            kind: TransitionKind::Crossfade,
            seconds: 1.0,
        };
        let z = zone(vec![item(5.0, fade), item(5.0, fade)], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        // The very first item cuts in: nothing was before it.
        assert!(!tl.state_at(0.2).in_transition());
        let s = tl.state_at(5.5);
        assert_eq!(s.current.unwrap().index, 1);
        assert_eq!(s.previous.unwrap().index, 0);
        assert!((s.mix - 0.5).abs() < 1e-6);
        // Previous keeps its own clock running through the fade.
        assert!((s.previous.unwrap().local(5.5) - 5.5).abs() < 1e-9);
        assert!(!tl.state_at(6.0).in_transition());
        // Also after many cycles (exercises the fast-forward).
        let s = tl.state_at(10.0 * 777.0 + 0.25);
        assert_eq!(s.previous.unwrap().index, 1);
        assert!((s.mix - 0.25).abs() < 1e-4);
    }

    #[test]
    fn skipped_items_leave_no_gap() {
        let z = zone(
            vec![
                item(5.0, Transition::CUT),
                item(3.0, Transition::CUT),
                item(2.0, Transition::CUT),
            ],
            true,
        );
        let mut tl = ZoneTimeline::new(&z, &[], anchor());
        tl.skip(1);
        assert_eq!(idx(&tl, 4.9), Some(0));
        assert_eq!(idx(&tl, 5.0), Some(2));
        assert_eq!(idx(&tl, 7.0), Some(0));
        tl.skip(0);
        tl.skip(2);
        assert_eq!(idx(&tl, 1.0), None, "nothing playable: the zone shows its background");
    }

    #[test]
    fn a_lone_item_runs_continuously() {
        let z = zone(vec![item(10.0, Transition::CUT)], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        let s = tl.state_at(95.0).current.unwrap();
        assert_eq!(s.started, 0.0, "a ticker alone must not jump back every slot");
    }

    #[test]
    fn invalid_items_are_skipped_and_come_back() {
        let mut a = item(5.0, Transition::CUT);
        let b = item(5.0, Transition::CUT);
        // `a` valid only from 100 s after the anchor.
        a.valid_from = Some(anchor() + chrono::Duration::seconds(100));
        let z = zone(vec![a, b], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        assert_eq!(idx(&tl, 50.0), Some(1));
        // At 100 s `b`'s run (started at 0) ends and `a` takes its turn.
        assert_eq!(idx(&tl, 100.5), Some(0));
        assert_eq!(idx(&tl, 106.0), Some(1));
    }

    #[test]
    fn an_item_is_cut_at_its_expiry() {
        let mut a = item(60.0, Transition::CUT);
        a.valid_to = Some(anchor() + chrono::Duration::seconds(30));
        let b = item(10.0, Transition::CUT);
        let z = zone(vec![a, b], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        assert_eq!(idx(&tl, 29.0), Some(0));
        assert_eq!(idx(&tl, 30.0), Some(1));
        assert_eq!(idx(&tl, 45.0), Some(1));
    }

    #[test]
    fn nothing_valid_shows_the_background_until_something_is() {
        let mut a = item(5.0, Transition::CUT);
        a.valid_from = Some(anchor() + chrono::Duration::seconds(20));
        let z = zone(vec![a], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        let s = tl.state_at(10.0);
        assert!(s.current.is_none());
        assert_eq!(s.next_change, 20.0);
        assert_eq!(idx(&tl, 21.0), Some(0));
    }

    #[test]
    fn one_shot_playlist_holds_its_last_item() {
        let z = zone(vec![item(5.0, Transition::CUT), item(5.0, Transition::CUT)], false);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        assert_eq!(idx(&tl, 3.0), Some(0));
        assert_eq!(idx(&tl, 7.0), Some(1));
        assert_eq!(idx(&tl, 700.0), Some(1));
    }

    #[test]
    fn fast_forward_agrees_with_stepping() {
        let fade = Transition {
            kind: TransitionKind::Crossfade,
            seconds: 0.7,
        };
        let z = zone(vec![item(3.3, fade), item(7.1, Transition::CUT), item(1.9, fade)], true);
        let tl = ZoneTimeline::new(&z, &[], anchor());
        let cycle = 3.3 + 7.1 + 1.9;
        for k in [0.01, 0.35, 3.5, 5.0, 10.5, 10.9, 12.0] {
            let near = tl.state_at(k + cycle);
            let far = tl.state_at(k + cycle * 5000.0);
            assert_eq!(near.current.map(|s| s.index), far.current.map(|s| s.index), "at {k}");
            assert_eq!(near.in_transition(), far.in_transition(), "at {k}");
            assert!((near.mix - far.mix).abs() < 1e-3, "at {k}");
        }
    }
}
