//! Scrolling text. Its position is a pure function of the item's own clock:
//! x(t) = start − speed·t, so it moves at exactly `speed` pixels per second
//! whatever the frame rate, and the same instant always draws the same frame.

use super::{CachedText, Moment};
use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, TextSystem};
use bangtin_layouts::{Align, Color, Direction, ItemKind};

/// Line box height relative to the font size.
const LINE: f32 = 1.25;

#[derive(Debug)]
pub struct TickerContent {
    /// One copy: the text followed by the separator.
    copy: String,
    size: f32,
    color: Color,
    bold: bool,
    speed: f64,
    direction: Direction,
    repeat: u32,
    buf: CachedText,
    /// Width of one copy in board pixels (measured at scale 1).
    copy_w: f64,
}

impl TickerContent {
    /// A ticker for a zone of `area`: text taller than the zone is made
    /// smaller, so its glyphs stay whole inside the band.
    pub fn new(kind: &ItemKind, area: RectF, ts: &mut TextSystem) -> Self {
        let ItemKind::Ticker {
            text,
            style,
            speed,
            direction,
            separator,
            repeat,
        } = kind
        else {
            unreachable!("TickerContent::new is only called for tickers")
        };
        let mut t = TickerContent {
            copy: format!("{text}{separator}"),
            size: style.size,
            color: style.color,
            bold: style.bold,
            speed: *speed,
            direction: *direction,
            repeat: *repeat,
            buf: CachedText::default(),
            copy_w: 0.0,
        };
        // Tallest Vietnamese capitals (Ẵ, Ẫ) reach above the line box;
        // measured as drawn, a few tries settle the size.
        for _ in 0..8 {
            let h = t.buf.get(ts, &t.copy, t.spec(1.0)).height();
            if h <= area.h || t.size <= 1.0 {
                break;
            }
            t.size = (t.size * area.h / h).floor().max(1.0);
        }
        // Advance, trailing spaces included: they are part of the separator
        // and of the rhythm of the loop.
        t.copy_w = f64::from(t.buf.get(ts, &t.copy, t.spec(1.0)).advance()).max(1.0);
        t
    }

    fn spec(&self, scale: f32) -> TextSpec {
        TextSpec {
            size: self.size * scale,
            line_height: LINE,
            bold: self.bold,
            align: Align::Left,
            width: None,
            wrap: false,
        }
    }

    /// Width of one copy (text + separator), board pixels.
    pub fn copy_width(&self) -> f64 {
        self.copy_w
    }

    /// With `repeat = N`, the item lasts until the N-th copy has crossed the
    /// zone: it enters at one edge and leaves at the other.
    pub fn natural_seconds(&self, area: RectF) -> Option<f64> {
        (self.repeat > 0).then(|| (f64::from(area.w) + f64::from(self.repeat) * self.copy_w) / self.speed)
    }

    /// Left edge (board px) of copy `k` at local time `t`.
    pub fn copy_x(&self, area: RectF, t: f64, k: i64) -> f64 {
        let travelled = self.speed * t;
        match self.direction {
            Direction::Left => f64::from(area.x + area.w) - travelled + k as f64 * self.copy_w,
            Direction::Right => f64::from(area.x) - self.copy_w + travelled - k as f64 * self.copy_w,
        }
    }

    /// In the steady state — every copy that could be visible exists, none
    /// entering or gone — the picture is periodic: returns (period, x of
    /// copy 0, velocity), board pixels and pixels per second.
    pub fn slide(&self, area: RectF, t: f64) -> Option<(f64, f64, f64)> {
        if self.repeat > 0 {
            return None;
        }
        let x0 = self.copy_x(area, t, 0);
        let (steady, v) = match self.direction {
            Direction::Left => (x0 <= f64::from(area.x), -self.speed),
            Direction::Right => (x0 + self.copy_w >= f64::from(area.x + area.w), self.speed),
        };
        steady.then_some((self.copy_w, x0, v))
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF, m: Moment) {
        let s = p.view.scale;
        let spec = self.spec(s);
        // Copies that overlap the zone now: k in [k0, k1].
        let x0 = self.copy_x(area, m.local, 0);
        let (lo, hi) = (f64::from(area.x) - self.copy_w, f64::from(area.x + area.w));
        let (mut k0, mut k1) = match self.direction {
            Direction::Left => (
                ((lo - x0) / self.copy_w).ceil() as i64,
                ((hi - x0) / self.copy_w).floor() as i64,
            ),
            Direction::Right => (
                ((x0 - hi) / self.copy_w).ceil() as i64,
                ((x0 - lo) / self.copy_w).floor() as i64,
            ),
        };
        k0 = k0.max(0);
        if self.repeat > 0 {
            k1 = k1.min(i64::from(self.repeat) - 1);
        }
        if k1 < k0 {
            return;
        }
        let (copy, color) = (self.copy.clone(), self.color);
        let buf = self.buf.get(p.text_system(), &copy, spec);
        let y = area.y + (area.h - buf.height() / s) / 2.0;
        let runs: Vec<_> = (k0..=k1)
            .map(|k| {
                let x = match self.direction {
                    Direction::Left => x0 + k as f64 * self.copy_w,
                    Direction::Right => x0 - k as f64 * self.copy_w,
                };
                (buf, x as f32, y, color)
            })
            .collect();
        p.moving_text(area, &runs);
    }
}
