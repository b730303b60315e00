//! Proof of play from the frames drawn: which item each zone of the screen
//! shows, and the start, end and interruption events between two looks.
//! The events go to the board's [`PlayLog`](super::playlog::PlayLog).

use crate::scene::Scene;
use bangtin_layouts::ItemKind;
use bangtin_layouts::wire::{PlayEvent, PlayKind, ZoneNow};

/// One zone's item on screen, for proof of play.
#[derive(Debug, Clone, PartialEq)]
struct Playing {
    index: usize,
    started: f64,
    /// When it ends as far as known at the last look (a lone looping
    /// item's run grows as time goes on).
    ends: f64,
}

impl Playing {
    /// A play is one item from one start.
    fn key(&self) -> (usize, u64) {
        (self.index, self.started.to_bits())
    }
}

impl From<bangtin_layouts::Showing> for Playing {
    fn from(s: bangtin_layouts::Showing) -> Playing {
        Playing {
            index: s.index,
            started: s.started,
            ends: s.ends,
        }
    }
}

/// What each zone of the screen on view plays, as the last look saw it.
#[derive(Debug, Default)]
pub(super) struct Plays {
    playing: Vec<Option<Playing>>,
}

impl Plays {
    /// A new screen: nothing of the old one plays on.
    pub(super) fn clear(&mut self) {
        self.playing.clear();
    }

    /// Look at `scene` at scene time `t`: the plays that started and ended
    /// since the last look, recorded under `version` and `layout` for every
    /// zone (`only`: that one zone), and whether any zone changed.
    pub(super) fn look(
        &mut self,
        scene: &Scene,
        t: f64,
        version: u64,
        layout: &str,
        only: Option<usize>,
    ) -> (Vec<PlayEvent>, bool) {
        let n = scene.layout.zones.len();
        if self.playing.len() != n {
            self.playing = vec![None; n];
        }
        let mut events = Vec::new();
        let mut changed = false;
        for zi in 0..n {
            let counts = only.is_none_or(|o| o == zi);
            let at_t = scene.zone_state(zi, t).current.map(Playing::from);
            if at_t.as_ref().map(Playing::key) == self.playing[zi].as_ref().map(Playing::key) {
                continue;
            }
            changed = true;
            // Walk the plays between the last look and now, so a short
            // item between two looks is still recorded.
            let mut cursor = self.playing[zi].as_ref().map_or(t, |p| p.started.clamp(0.0, t));
            for _ in 0..10_000 {
                let cur = scene.zone_state(zi, cursor).current.map(Playing::from);
                if cur.as_ref().map(Playing::key) != self.playing[zi].as_ref().map(Playing::key) {
                    if let Some(prev) = self.playing[zi].take()
                        && counts
                    {
                        // A play ends where the next begins.
                        let end_t = cur.as_ref().map_or(cursor, |c| c.started.max(prev.started)).min(t);
                        events.push(event(scene, zi, &prev, PlayKind::End, end_t, version, layout));
                    }
                    if let Some(c) = &cur
                        && counts
                    {
                        events.push(event(scene, zi, c, PlayKind::Start, c.started, version, layout));
                    }
                    self.playing[zi] = cur.clone();
                }
                if cur.as_ref().map(Playing::key) == at_t.as_ref().map(Playing::key) {
                    break;
                }
                cursor = match cur {
                    Some(c) if c.ends.is_finite() && c.ends > cursor && c.ends <= t => c.ends,
                    _ => t,
                };
            }
        }
        (events, changed)
    }

    /// Everything playing stops at `t`: its interruptions, recorded as by
    /// [`Plays::look`].
    pub(super) fn interrupt(
        &mut self,
        scene: &Scene,
        t: f64,
        version: u64,
        layout: &str,
        only: Option<usize>,
    ) -> Vec<PlayEvent> {
        let mut events = Vec::new();
        for zi in 0..self.playing.len().min(scene.layout.zones.len()) {
            if let Some(p) = self.playing[zi].take()
                && only.is_none_or(|o| o == zi)
            {
                events.push(event(scene, zi, &p, PlayKind::Interrupted, t, version, layout));
            }
        }
        self.playing.clear();
        events
    }

    /// What each zone shows, for the board's status.
    pub(super) fn zones_now(&self, scene: &Scene) -> Vec<ZoneNow> {
        scene
            .layout
            .zones
            .iter()
            .zip(&self.playing)
            .map(|(z, p)| match p {
                Some(p) => {
                    let (kind, label) = describe(&z.items[p.index].kind);
                    ZoneNow {
                        zone: z.id.clone(),
                        item: Some(p.index),
                        kind,
                        label,
                    }
                }
                None => ZoneNow {
                    zone: z.id.clone(),
                    item: None,
                    kind: "none".into(),
                    label: String::new(),
                },
            })
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn event(scene: &Scene, zi: usize, p: &Playing, kind: PlayKind, at_t: f64, version: u64, layout: &str) -> PlayEvent {
    let z = &scene.layout.zones[zi];
    let (item_kind, label) = describe(&z.items[p.index].kind);
    PlayEvent {
        seq: 0,
        kind,
        at: scene.wall(at_t),
        started: scene.wall(p.started),
        show_version: version,
        layout: layout.to_string(),
        zone: z.id.clone(),
        item: p.index,
        item_kind,
        label,
    }
}

/// Item kind and a label for people.
pub fn describe(k: &ItemKind) -> (String, String) {
    let label = match k {
        ItemKind::Image { src, .. } | ItemKind::Video { src, .. } => src.written.clone(),
        ItemKind::Text { title, body, .. } => title.clone().or_else(|| body.clone()).unwrap_or_default(),
        ItemKind::Ticker { text, .. } => text.clone(),
        ItemKind::Clock { .. } => "đồng hồ".into(),
        ItemKind::Qr { data, .. } => data.clone(),
    };
    let label: String = label.chars().take(120).collect();
    (k.type_name().to_string(), label)
}
