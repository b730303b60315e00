//! A layout brought to life: its media loaded, its playlists compiled
//! against an anchor instant, painted at any instant.

use crate::content::{Content, Moment, Motion};
use crate::render::{Painter, RectF, Renderer};
use bangtin_layouts::{Fit, Layout, Rect, Showing, ZoneState, ZoneTimeline};
use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug)]
struct ZoneRt {
    rect: Rect,
    timeline: ZoneTimeline,
    items: Vec<Content>,
    natural: Vec<Option<f64>>,
}

impl ZoneRt {
    fn timeline(
        zone: &bangtin_layouts::Zone,
        items: &[Content],
        natural: &[Option<f64>],
        anchor: DateTime<Utc>,
    ) -> ZoneTimeline {
        let mut tl = ZoneTimeline::new(zone, natural, anchor);
        for (i, c) in items.iter().enumerate() {
            if c.unplayable() {
                tl.skip(i);
            }
        }
        tl
    }

    /// What item `sh` knows of the instant `t`.
    fn moment(&self, sh: Showing, t: f64, wall: DateTime<Utc>, live: bool) -> Moment {
        Moment {
            local: sh.local(t),
            wall,
            run: sh.started.to_bits() ^ (sh.index as u64).rotate_left(48),
            slot: self.timeline.slot(sh.index),
            run_len: sh.ends - sh.started,
            live,
            at: None,
        }
    }
}

/// Videos of the next item start decoding this long before its turn.
const WARM_AHEAD_S: f64 = 3.0;

/// The scene of one layout.
#[derive(Debug)]
pub struct Scene {
    pub layout: Layout,
    /// Wall-clock instant at which the playlists started (t = 0).
    pub anchor: DateTime<Utc>,
    zones: Vec<ZoneRt>,
    background: Option<crate::content::image::ImageContent>,
    errors: Vec<String>,
    /// Output brightness as the fraction of black laid over everything
    /// (0 = full brightness): LED boards are dimmed at night.
    pub dim: f32,
    /// Distinguishes scenes, so a target knows whose frame it holds.
    id: u64,
    /// Painted live (kiosk, board): content never waits for decoders.
    /// Offline renders leave it false and get exactly the frame of `t`.
    pub live: bool,
    /// Monotonic instant the frame being painted stands for (live only;
    /// sound is clocked by it). Unset: the moment of painting.
    pub at: Option<std::time::Instant>,
}

/// A zone whose picture only slides sideways (a ticker in its steady
/// state), so it can be redrawn by shifting a strip; see [`crate::slide`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sliding {
    /// Identifies the run (item and its start): a new run needs a new strip.
    pub run: (usize, u64),
    /// Board pixels.
    pub period: f64,
    /// Board x of a copy's left edge now.
    pub x0: f64,
    /// Board pixels per second, signed.
    pub velocity: f64,
}

/// What a zone does next, for the frame scheduler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity {
    pub rect: Rect,
    /// Changes every frame now (ticker, crossfade, video).
    pub animating: bool,
    /// Seconds since the anchor at which it next changes by itself.
    pub next_change: f64,
}

impl Scene {
    /// Prepare every item (decode pictures, shape text) for drawing at
    /// `scale` target pixels per board pixel.
    pub fn new(layout: Layout, anchor: DateTime<Utc>, r: &mut Renderer, scale: f32) -> Scene {
        r.text.trim_atlas();
        let board = RectF::new(0.0, 0.0, layout.board.width as f32, layout.board.height as f32);
        let background = layout
            .board
            .background_image
            .as_ref()
            .map(|src| crate::content::image::ImageContent::load(src, Fit::Fill, board, scale, r));
        let mut errors = Vec::new();
        if let Some(e) = background.as_ref().and_then(|b| b.error()) {
            errors.push(format!("board.background_image: {e}"));
        }
        let zones = layout
            .zones
            .iter()
            .map(|z| {
                let area = RectF::from(z.rect);
                let items: Vec<Content> = z
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| {
                        let c = Content::prepare(&it.kind, area, scale, r);
                        if let Some(e) = c.error() {
                            let skipped = if c.unplayable() {
                                " — bỏ qua mục này (item skipped)"
                            } else {
                                ""
                            };
                            errors.push(format!("vùng {:?}, mục {i}: {e}{skipped}", z.id));
                        }
                        c
                    })
                    .collect();
                let natural: Vec<Option<f64>> = items.iter().map(|c| c.natural_seconds(area)).collect();
                ZoneRt {
                    rect: z.rect,
                    timeline: ZoneRt::timeline(z, &items, &natural, anchor),
                    items,
                    natural,
                }
            })
            .collect();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Scene {
            layout,
            anchor,
            zones,
            background,
            errors,
            dim: 0.0,
            live: false,
            at: None,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Identity of this scene and its anchor (a re-anchored scene is a new
    /// picture as far as cached frames go).
    pub fn id(&self) -> (u64, i64) {
        (self.id, self.anchor.timestamp_micros())
    }

    /// Zones whose picture may differ between `t_prev` and `t`: moving at
    /// either instant, or due to change in between. Everything else shows
    /// exactly the same pixels at both instants.
    pub fn changed_between(&self, t_prev: f64, t: f64) -> Vec<Rect> {
        let (a, b) = (self.activity(t_prev), self.activity(t));
        a.iter()
            .zip(&b)
            .filter(|(a, b)| a.animating || b.animating || a.next_change <= t || t < t_prev)
            .map(|(a, _)| a.rect)
            .collect()
    }

    /// Restart the playlists at a new anchor (e.g. at local midnight),
    /// keeping every prepared resource.
    pub fn reanchor(&mut self, anchor: DateTime<Utc>) {
        self.anchor = anchor;
        for (z, rt) in self.layout.zones.iter().zip(&mut self.zones) {
            rt.timeline = ZoneRt::timeline(z, &rt.items, &rt.natural, anchor);
        }
    }

    /// Problems met while playing since the last call (a video that broke
    /// mid-play holds its last picture to the end of its slot), for the
    /// board's reports.
    pub fn take_failures(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (z, rt) in self.layout.zones.iter().zip(&mut self.zones) {
            for (i, c) in rt.items.iter_mut().enumerate() {
                if let Some(e) = c.take_failure() {
                    out.push(format!("vùng {:?}, mục {i}: {e}", z.id));
                }
            }
        }
        out
    }

    /// Problems met while preparing (each also logged once).
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    pub fn size(&self) -> [u32; 2] {
        [self.layout.board.width, self.layout.board.height]
    }

    /// Wall-clock instant of scene time `t`.
    pub fn wall(&self, t: f64) -> DateTime<Utc> {
        self.anchor + TimeDelta::microseconds((t * 1e6).round() as i64)
    }

    /// Scene time of a wall-clock instant.
    pub fn t_of(&self, wall: DateTime<Utc>) -> f64 {
        (wall - self.anchor)
            .num_microseconds()
            .map_or(0.0, |us| us as f64 / 1e6)
    }

    pub fn zone_state(&self, zone: usize, t: f64) -> ZoneState {
        self.zones[zone].timeline.state_at(t)
    }

    /// Paint the whole board at `t` seconds since the anchor.
    pub fn paint(&mut self, p: &mut Painter, t: f64) {
        let wall = self.wall(t);
        let board = RectF::new(
            0.0,
            0.0,
            self.layout.board.width as f32,
            self.layout.board.height as f32,
        );
        if p.set_clip(board) {
            p.fill(board, self.layout.board.background);
            if let Some(bg) = &mut self.background {
                bg.paint(p, board);
            }
        }
        for (zi, z) in self.zones.iter_mut().enumerate() {
            let area = RectF::from(z.rect);
            if !p.set_clip(area) {
                continue;
            }
            if let Some(bg) = self.layout.zones[zi].background {
                p.fill(area, bg);
            }
            let st = z.timeline.state_at(t);
            let items = &self.layout.zones[zi].items;
            let (live, at) = (self.live, self.at);
            let mut paint_item = |p: &mut Painter, sh: Showing| {
                if let Some(bg) = items[sh.index].background {
                    p.fill(area, bg);
                }
                let m = Moment {
                    at,
                    ..z.moment(sh, t, wall, live)
                };
                z.items[sh.index].paint(p, area, m);
            };
            match (st.current, st.previous) {
                (Some(cur), Some(prev)) if st.in_transition() => {
                    paint_item(p, prev);
                    p.crossfade_in(area, st.mix, |p| {
                        if let Some(bg) = self.layout.zones[zi].background {
                            p.fill(area, bg);
                        }
                        paint_item(p, cur);
                    });
                }
                (Some(cur), _) => paint_item(p, cur),
                (None, _) => {}
            }
        }
        if self.dim > 0.0 && p.set_clip(board) {
            let a = (self.dim.clamp(0.0, 1.0) * 255.0).round() as u8;
            p.fill(board, bangtin_layouts::Color::rgba(0, 0, 0, a));
        }
        self.prepare_ahead(t);
    }

    /// Get the next item of each zone ready before its turn (videos start
    /// decoding), and let go of items that are neither showing nor next.
    /// Called after each painted frame.
    pub fn prepare_ahead(&mut self, t: f64) {
        for z in &mut self.zones {
            let st = z.timeline.state_at(t);
            let mut keep: Vec<usize> = st.current.iter().chain(st.previous.iter()).map(|s| s.index).collect();
            if let Some(cur) = st.current
                && cur.ends.is_finite()
                && cur.ends - t <= WARM_AHEAD_S
                && let Some(next) = z.timeline.state_at(cur.ends).current
                && next.started >= cur.ends - 1e-9
            {
                let run = z.moment(next, next.started, self.anchor, self.live).run;
                let slot = z.timeline.slot(next.index);
                z.items[next.index].warm(run, slot, self.live);
                keep.push(next.index);
            }
            for (i, c) in z.items.iter_mut().enumerate() {
                if !keep.contains(&i) {
                    c.idle();
                }
            }
        }
    }

    /// Whether zone `zi` is [`Sliding`] at `t`: its current item slides, no
    /// crossfade runs, it paints its whole rectangle opaque, and no zone
    /// above it overlaps it.
    pub fn sliding(&self, zi: usize, t: f64) -> Option<Sliding> {
        let z = &self.zones[zi];
        let st = z.timeline.state_at(t);
        if st.in_transition() {
            return None;
        }
        let cur = st.current?;
        let zl = &self.layout.zones[zi];
        let opaque = zl.background.is_some_and(|c| c.is_opaque())
            || zl.items[cur.index].background.is_some_and(|c| c.is_opaque());
        let covered = self.zones[zi + 1..].iter().any(|o| o.rect.intersect(&z.rect).is_some());
        if !opaque || covered {
            return None;
        }
        let (period, x0, velocity) = z.items[cur.index].slide(RectF::from(z.rect), cur.local(t))?;
        Some(Sliding {
            run: (cur.index, cur.started.to_bits()),
            period,
            x0,
            velocity,
        })
    }

    /// Whether zone `zi` shows only a video picture at `t` that covers it
    /// exactly (no crossfade, no dimming, nothing above it), with its
    /// picture ready: then [`Scene::write_video_direct`] can put it
    /// straight into a display buffer without the GPU (software boards).
    pub fn video_direct_ready(&mut self, zi: usize, t: f64) -> bool {
        if self.dim > 0.0 {
            return false;
        }
        let z = &self.zones[zi];
        let st = z.timeline.state_at(t);
        let Some(cur) = st.current.filter(|_| !st.in_transition()) else {
            return false;
        };
        let covered = self.zones[zi + 1..].iter().any(|o| o.rect.intersect(&z.rect).is_some());
        let m = Moment {
            at: self.at,
            ..z.moment(cur, t, self.wall(t), self.live)
        };
        let area = RectF::from(z.rect);
        match &mut self.zones[zi].items[cur.index] {
            Content::Video(v) if !covered && v.covers_exactly(area) => v.ready_direct(m),
            _ => false,
        }
    }

    /// Write zone `zi`'s video picture (made ready by
    /// [`Scene::video_direct_ready`] at `t`) as `w`×`h` BGRX rows.
    pub fn write_video_direct(&mut self, zi: usize, t: f64, w: u32, h: u32, buf: &mut [u8]) -> anyhow::Result<()> {
        let z = &mut self.zones[zi];
        let cur = z
            .timeline
            .state_at(t)
            .current
            .ok_or_else(|| anyhow::anyhow!("vùng {zi} không có mục (no item)"))?;
        match &mut z.items[cur.index] {
            Content::Video(v) => v.write_direct(w, h, buf).map_err(anyhow::Error::msg),
            _ => anyhow::bail!("vùng {zi} không phát video (not a video)"),
        }
    }

    /// What each zone does next after `t`, for damage-only redraws.
    pub fn activity(&self, t: f64) -> Vec<Activity> {
        let wall = self.wall(t);
        self.zones
            .iter()
            .map(|z| {
                let st = z.timeline.state_at(t);
                let mut a = Activity {
                    rect: z.rect,
                    animating: st.in_transition(),
                    next_change: st.next_change,
                };
                if let Some(cur) = st.current {
                    match z.items[cur.index].motion(z.moment(cur, t, wall, self.live)) {
                        Motion::Still => {}
                        Motion::Continuous => a.animating = true,
                        Motion::At(w) => a.next_change = a.next_change.min(self.t_of(w)),
                    }
                }
                a
            })
            .collect()
    }
}
