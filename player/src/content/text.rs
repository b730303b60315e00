//! Text blocks: a title over a body, wrapped and aligned, shrunk to fit.

use super::CachedText;
use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, TextSystem};
use bangtin_layouts::{Align, ItemKind, TextStyle, VAlign};

/// The zone less its `[vertical, horizontal]` padding: the box the text is
/// laid out in, and no pixel of it is drawn outside.
pub(crate) fn padded(area: RectF, [pv, ph]: [f32; 2]) -> RectF {
    RectF::new(
        area.x + ph,
        area.y + pv,
        (area.w - 2.0 * ph).max(0.0),
        (area.h - 2.0 * pv).max(0.0),
    )
}

#[derive(Debug)]
pub struct TextContent {
    title: Option<String>,
    body: Option<String>,
    title_style: TextStyle,
    body_style: TextStyle,
    align: Align,
    valign: VAlign,
    wrap: bool,
    min_size: f32,
    line_height: f32,
    padding: [f32; 2],
    title_buf: CachedText,
    body_buf: CachedText,
    /// (area w, area h, scale) → chosen shrink factor.
    fitted: Option<([f32; 3], f32)>,
}

/// Heights (target px) of a laid-out block.
struct Measured {
    title_h: f32,
    gap: f32,
    body_h: f32,
    max_w: f32,
}

impl TextContent {
    pub fn new(kind: &ItemKind) -> Self {
        let ItemKind::Text {
            title,
            body,
            title_style,
            body_style,
            align,
            valign,
            wrap,
            min_size,
            line_height,
            padding,
        } = kind
        else {
            unreachable!("TextContent::new is only called for text items")
        };
        TextContent {
            title: title.clone(),
            body: body.clone(),
            title_style: title_style.clone(),
            body_style: body_style.clone(),
            align: *align,
            valign: *valign,
            wrap: *wrap,
            min_size: *min_size,
            line_height: *line_height,
            padding: *padding,
            title_buf: CachedText::default(),
            body_buf: CachedText::default(),
            fitted: None,
        }
    }

    fn specs(&self, k: f32, scale: f32, inner_w: f32) -> (TextSpec, TextSpec) {
        let spec = |style: &TextStyle, lh: f32| TextSpec {
            size: (style.size * k * scale).max(1.0),
            line_height: lh,
            bold: style.bold,
            align: self.align,
            width: Some(inner_w.max(0.0)),
            wrap: self.wrap,
        };
        (spec(&self.title_style, 1.2), spec(&self.body_style, self.line_height))
    }

    fn measure(&mut self, ts: &mut TextSystem, k: f32, scale: f32, inner_w: f32) -> Measured {
        let (ts_spec, bs_spec) = self.specs(k, scale, inner_w);
        let mut m = Measured {
            title_h: 0.0,
            gap: 0.0,
            body_h: 0.0,
            max_w: 0.0,
        };
        if let Some(t) = &self.title {
            let (w, h) = TextSystem::measure(self.title_buf.get(ts, t, ts_spec));
            m.title_h = h;
            m.max_w = m.max_w.max(w);
        }
        if let Some(b) = &self.body {
            let (w, h) = TextSystem::measure(self.body_buf.get(ts, b, bs_spec));
            m.body_h = h;
            m.max_w = m.max_w.max(w);
        }
        if self.title.is_some() && self.body.is_some() {
            m.gap = bs_spec.size * 0.6;
        }
        m
    }

    /// Largest shrink factor (≤ 1) at which the block fits; the body never
    /// goes below `min_size`. It fits by the measure drawing uses: every
    /// pixel of every line, where it will be drawn, inside the box.
    fn fit(&mut self, ts: &mut TextSystem, scale: f32, inner_w: f32, inner_h: f32) -> f32 {
        let fits = |m: &Measured| m.title_h + m.gap + m.body_h <= inner_h && m.max_w <= inner_w;
        let m = self.measure(ts, 1.0, scale, inner_w);
        if fits(&m) {
            return 1.0;
        }
        let k_min = (self.min_size / self.body_style.size).min(1.0);
        let (mut lo, mut hi) = (k_min, 1.0f32);
        let m = self.measure(ts, lo, scale, inner_w);
        if !fits(&m) {
            tracing::warn!(
                "văn bản không vừa vùng kể cả ở cỡ chữ nhỏ nhất {} px; phần thừa bị cắt (text does not fit even at min_size)",
                self.min_size
            );
            return lo;
        }
        for _ in 0..10 {
            let mid = (lo + hi) / 2.0;
            let m = self.measure(ts, mid, scale, inner_w);
            if fits(&m) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF) {
        let s = p.view.scale;
        let inner = padded(area, self.padding);
        let (inner_w, inner_h) = (inner.w * s, inner.h * s);
        let key = [area.w, area.h, s];
        let k = match self.fitted {
            Some((kk, k)) if kk == key => k,
            _ => {
                let k = self.fit(p.text_system(), s, inner_w, inner_h);
                self.fitted = Some((key, k));
                k
            }
        };
        let m = self.measure(p.text_system(), k, s, inner_w);
        let total = (m.title_h + m.gap + m.body_h) / s;
        let y0 = match self.valign {
            VAlign::Top => inner.y,
            VAlign::Middle => inner.y + ((inner.h - total) / 2.0).max(0.0),
            VAlign::Bottom => inner.y + (inner.h - total).max(0.0),
        };
        let (ts_spec, bs_spec) = self.specs(k, s, inner_w);
        let mut runs = Vec::with_capacity(2);
        if let Some(t) = &self.title {
            let buf = self.title_buf.get(p.text_system(), t, ts_spec);
            runs.push((buf, inner.x, y0, self.title_style.color));
        }
        if let Some(b) = &self.body {
            let buf = self.body_buf.get(p.text_system(), b, bs_spec);
            runs.push((buf, inner.x, y0 + (m.title_h + m.gap) / s, self.body_style.color));
        }
        p.text(inner, &runs);
    }
}
