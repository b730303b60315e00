//! The clock and date, the Vietnamese way ("Thứ Hai, 23/11/2026 — 14:05").

use super::{CachedText, Moment};
use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, TextSystem};
use bangtin_layouts::time::{date_vi, datetime_vi, long_date_vi, time_vi, weekday_vi};
use bangtin_layouts::{Align, ClockFormat, Color, ItemKind};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;

#[derive(Debug)]
pub struct ClockContent {
    format: ClockFormat,
    seconds: bool,
    tz: Tz,
    size: f32,
    color: Color,
    bold: bool,
    align: Align,
    buf: CachedText,
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
            buf: CachedText::default(),
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

    fn spec(&self, size: f32, width: f32) -> TextSpec {
        TextSpec {
            size,
            line_height: 1.25,
            bold: self.bold,
            align: self.align,
            width: Some(width.max(1.0)),
            wrap: false,
        }
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF, m: Moment) {
        let s = p.view.scale;
        let text = self.text_at(m.wall);
        let pad = (area.h * 0.05).min(area.w * 0.03);
        let inner = area.inset(pad);
        let width = inner.w * s;
        // Shrink once per text length (digits are the same width in Noto
        // Sans), so the clock never jitters in size from second to second.
        let len = text.chars().count();
        let size = match self.fitted {
            Some((l, sc, size)) if l == len && sc == s => size,
            _ => {
                let mut size = self.size * s;
                let spec = self.spec(size, f32::MAX / 4.0);
                let (w, h) = TextSystem::measure(self.buf.get(p.text_system(), &text, spec));
                let kw = if w > width { width / w } else { 1.0 };
                let kh = if h > inner.h * s { inner.h * s / h } else { 1.0 };
                let k = kw.min(kh);
                if k < 1.0 {
                    // A little margin: hinting can round widths up.
                    size *= k * 0.98;
                }
                self.fitted = Some((len, s, size));
                size
            }
        };
        let spec = self.spec(size, width);
        let color = self.color;
        let buf = self.buf.get(p.text_system(), &text, spec);
        let (_, h) = TextSystem::measure(buf);
        let y = inner.y + (inner.h - h / s) / 2.0;
        p.text(&[(buf, inner.x, y, color)]);
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
