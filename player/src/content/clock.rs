//! The clock and date, the Vietnamese way ("Thứ Hai, 23/11/2026 — 14:05").

use super::{CachedText, Moment};
use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, TextSystem};
use bangtin_layouts::time::{date_vi, datetime_vi, long_date_vi, time_vi, weekday_vi};
use bangtin_layouts::{Align, ClockFormat, Color, ItemKind};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;

/// The zone less a small margin: the box the clock's text stays in.
pub(crate) fn inner(area: RectF) -> RectF {
    area.inset((area.h * 0.05).min(area.w * 0.03))
}

#[derive(Debug)]
pub struct ClockContent {
    format: ClockFormat,
    seconds: bool,
    tz: Tz,
    size: f32,
    color: Color,
    bold: bool,
    align: Align,
    bufs: Vec<CachedText>,
    /// Size that fits the zone for the current text length, per scale.
    fitted: Option<(usize, f32, f32)>,
}

impl ClockContent {
    pub fn new(kind: &ItemKind) -> Self {
        let ItemKind::Clock {
            format,
            seconds,
            timezone,
            style,
            align,
        } = kind
        else {
            unreachable!("ClockContent::new is only called for clocks")
        };
        ClockContent {
            format: *format,
            seconds: *seconds,
            tz: *timezone,
            size: style.size,
            color: style.color,
            bold: style.bold,
            align: *align,
            bufs: Vec::new(),
            fitted: None,
        }
    }

    /// The text shown at `t`.
    pub fn text_at(&self, t: DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        match self.format {
            ClockFormat::DateTime => datetime_vi(t, self.tz, self.seconds),
            ClockFormat::Date => format!("{}, {}", weekday_vi(l), date_vi(l)),
            ClockFormat::Time => time_vi(l, self.seconds),
            ClockFormat::Long => format!("{}\n{}", long_date_vi(t, self.tz), time_vi(l, self.seconds)),
        }
    }

    /// When the shown text next changes: the next whole second or minute.
    /// Redrawing only then is what keeps an idle board's CPU near zero.
    pub fn next_tick(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let step = if self.seconds && self.format != ClockFormat::Date {
            TimeDelta::seconds(1)
        } else {
            TimeDelta::minutes(1)
        };
        // Offsets of Asia/Ho_Chi_Minh and nearly every zone are whole
        // minutes, so UTC minute boundaries are local ones too.
        t.duration_trunc(step).map_or(t + step, |b| b + step)
    }

    /// The lines shown at `t`, with their size relative to `size`: the long
    /// form puts a larger time under the date, where passers-by look first.
    fn lines_at(&self, t: DateTime<Utc>) -> Vec<(String, f32)> {
        match self.format {
            ClockFormat::Long => {
                let l = t.with_timezone(&self.tz);
                vec![(long_date_vi(t, self.tz), 1.0), (time_vi(l, self.seconds), 1.8)]
            }
            _ => vec![(self.text_at(t), 1.0)],
        }
    }

    /// Lay out `lines` at `size` (target px) for a box `width` wide: the
    /// blocks' total height, and whether every line fits the width.
    fn layout(&mut self, ts: &mut TextSystem, lines: &[(String, f32)], size: f32, width: f32) -> (f32, bool) {
        let (bold, align) = (self.bold, self.align);
        if self.bufs.len() < lines.len() {
            self.bufs.resize_with(lines.len(), CachedText::default);
        }
        let mut h = 0.0;
        let mut fits = true;
        for ((text, rel), buf) in lines.iter().zip(&mut self.bufs) {
            let spec = TextSpec {
                size: (size * rel).max(1.0),
                line_height: 1.25,
                bold,
                align,
                width: Some(width.max(0.0)),
                wrap: false,
            };
            let (lw, lh) = TextSystem::measure(buf.get(ts, text, spec));
            fits &= lw <= width;
            h += lh;
        }
        (h, fits)
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF, m: Moment) {
        let s = p.view.scale;
        let lines = self.lines_at(m.wall);
        let inner = inner(area);
        let (width, height) = (inner.w * s, inner.h * s);
        // Shrink once per text length (digits are the same width in Noto
        // Sans), so the clock never jitters in size from second to second;
        // a later text that is a pixel wider only ever shrinks it further.
        let len: usize = lines.iter().map(|(t, _)| t.chars().count()).sum();
        let cached = match self.fitted {
            Some((l, sc, size)) if l == len && sc == s => Some(size),
            _ => None,
        };
        let mut size = cached.unwrap_or(self.size * s);
        let (mut h, fits) = self.layout(p.text_system(), &lines, size, width);
        if !(fits && h <= height) {
            // The largest size at which the text fits, measured as drawn.
            let (mut lo, mut hi) = (0.0f32, size);
            for _ in 0..12 {
                let mid = (lo + hi) / 2.0;
                let (h, fits) = self.layout(p.text_system(), &lines, mid, width);
                if fits && h <= height {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            size = lo.max(1.0);
            h = self.layout(p.text_system(), &lines, size, width).0;
        }
        self.fitted = Some((len, s, size));
        let color = self.color;
        let mut y = inner.y + ((inner.h - h / s) / 2.0).max(0.0);
        let mut runs = Vec::with_capacity(lines.len());
        for buf in &self.bufs[..lines.len()] {
            let b = buf.block().expect("laid out above");
            runs.push((b, inner.x, y, color));
            y += b.height() / s;
        }
        p.text(inner, &runs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::TextStyle;

    fn clock(format: ClockFormat, seconds: bool) -> ClockContent {
        ClockContent::new(&ItemKind::Clock {
            format,
            seconds,
            timezone: bangtin_layouts::time::DEFAULT_TZ,
            style: TextStyle {
                size: 40.0,
                color: Color::BLACK,
                bold: true,
            },
            align: Align::Center,
        })
    }

    #[test]
    fn formats_and_ticks() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T14:05:09.250+07:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            clock(ClockFormat::DateTime, false).text_at(t),
            "Thứ Hai, 23/11/2026 — 14:05"
        );
        assert_eq!(clock(ClockFormat::Time, true).text_at(t), "14:05:09");
        assert_eq!(clock(ClockFormat::Date, false).text_at(t), "Thứ Hai, 23/11/2026");
        assert_eq!(
            clock(ClockFormat::Long, false).text_at(t),
            "Thứ Hai, ngày 23 tháng 11 năm 2026\n14:05"
        );
        let next = clock(ClockFormat::Time, true).next_tick(t);
        assert_eq!(next.to_rfc3339(), "2026-11-23T07:05:10+00:00");
        let next = clock(ClockFormat::DateTime, false).next_tick(t);
        assert_eq!(next.to_rfc3339(), "2026-11-23T07:06:00+00:00");
    }
}
