//! Charts as SVG drawn on the server: the geometry is computed here, the
//! template writes the elements (so every text is escaped by askama). No
//! chart library, no script: a chart is bars, a few grid lines and labels,
//! with a `<title>` and `<desc>`, and its numbers in a table beside it.

/// A bar: geometry in the chart's own units, and its value in words (the
/// tooltip, `<title>` inside the bar).
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub tip: String,
}

/// A text in the chart.
#[derive(Debug, Clone)]
pub struct Label {
    pub x: String,
    pub y: String,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    pub text: String,
    pub class: &'static str,
}

/// A grid line.
#[derive(Debug, Clone)]
pub struct Line {
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
}

/// A chart and its data table.
#[derive(Debug, Clone)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub width: u32,
    pub height: u32,
    /// `bar-ratio` or `bar-airtime`: the colour, from reports.css.
    pub class: &'static str,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub grid: Vec<Line>,
    /// Table header: category, value.
    pub head: (String, String),
    pub rows: Vec<(String, String)>,
}

/// One category's value; `None`: nothing to measure (no board).
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    /// The value as shown (table, tooltip, label).
    pub shown: String,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// Cut a label to `max` characters for the drawing (the table has it whole).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// The scale's top: at least `max`, a round number.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= max {
            return step * mag;
        }
    }
    10.0 * mag
}

/// The common parts of a chart.
pub struct Spec<'a> {
    pub id: &'a str,
    pub title: String,
    pub desc: String,
    pub class: &'static str,
    pub head: (String, String),
    /// Top of the scale and how to write a value on the axis.
    pub top: f64,
    pub axis: &'a dyn Fn(f64) -> String,
}

const WIDTH: u32 = 640;

/// Horizontal bars, one row per category (communes: names are long).
pub fn rows(spec: Spec<'_>, points: &[Point]) -> Chart {
    let (left, right, row, pad_top) = (170.0, 90.0, 30.0, 26.0);
    let plot = f64::from(WIDTH) - left - right;
    let height = (pad_top + row * points.len().max(1) as f64 + 8.0).ceil() as u32;
    let bottom = f64::from(height) - 8.0;
    let mut c = empty(&spec, height, points);
    for i in 0..=2 {
        let v = spec.top * f64::from(i) / 2.0;
        let x = left + plot * f64::from(i) / 2.0;
        c.grid.push(Line {
            x1: n(x),
            y1: n(pad_top - 4.0),
            x2: n(x),
            y2: n(bottom),
        });
        c.labels.push(Label {
            x: n(x),
            y: n(pad_top - 10.0),
            anchor: "middle",
            text: (spec.axis)(v),
            class: "axis",
        });
    }
    for (i, p) in points.iter().enumerate() {
        let y = pad_top + row * i as f64;
        c.labels.push(Label {
            x: n(left - 8.0),
            y: n(y + row * 0.62),
            anchor: "end",
            text: cut(&p.label, 22),
            class: "cat",
        });
        let w = p.value.map_or(0.0, |v| (v / spec.top).clamp(0.0, 1.0) * plot);
        if p.value.is_some() {
            c.bars.push(Bar {
                x: n(left),
                y: n(y + 5.0),
                w: n(w.max(1.0)),
                h: n(row - 10.0),
                tip: format!("{}: {}", p.label, p.shown),
            });
        }
        c.labels.push(Label {
            x: n(left + w + 6.0),
            y: n(y + row * 0.62),
            anchor: "start",
            text: p.shown.clone(),
            class: "value",
        });
    }
    c
}

/// Vertical columns, one per category in order (days).
pub fn columns(spec: Spec<'_>, points: &[Point]) -> Chart {
    let height = 240u32;
    let (left, right, top, bottom) = (64.0, 10.0, 14.0, 204.0);
    let plot_w = f64::from(WIDTH) - left - right;
    let plot_h = bottom - top;
    let mut c = empty(&spec, height, points);
    for i in 0..=2 {
        let v = spec.top * f64::from(i) / 2.0;
        let y = bottom - plot_h * f64::from(i) / 2.0;
        c.grid.push(Line {
            x1: n(left),
            y1: n(y),
            x2: n(f64::from(WIDTH) - right),
            y2: n(y),
        });
        c.labels.push(Label {
            x: n(left - 6.0),
            y: n(y + 4.0),
            anchor: "end",
            text: (spec.axis)(v),
            class: "axis",
        });
    }
    let count = points.len().max(1);
    let slot = plot_w / count as f64;
    // About ten labels along the bottom, whatever the number of days.
    let every = count.div_ceil(10);
    for (i, p) in points.iter().enumerate() {
        let x = left + slot * i as f64;
        if let Some(v) = p.value {
            let h = (v / spec.top).clamp(0.0, 1.0) * plot_h;
            c.bars.push(Bar {
                x: n(x + slot * 0.15),
                y: n(bottom - h.max(1.0)),
                w: n(slot * 0.7),
                h: n(h.max(1.0)),
                tip: format!("{}: {}", p.label, p.shown),
            });
        }
        if i % every == 0 || i + 1 == count {
            c.labels.push(Label {
                x: n(x + slot / 2.0),
                y: n(bottom + 18.0),
                anchor: "middle",
                text: p.label.chars().take(5).collect(),
                class: "axis",
            });
        }
    }
    c
}

fn empty(spec: &Spec<'_>, height: u32, points: &[Point]) -> Chart {
    Chart {
        id: spec.id.to_string(),
        title: spec.title.clone(),
        desc: spec.desc.clone(),
        width: WIDTH,
        height,
        class: spec.class,
        bars: Vec::new(),
        labels: Vec::new(),
        grid: Vec::new(),
        head: spec.head.clone(),
        rows: points.iter().map(|p| (p.label.clone(), p.shown.clone())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> Spec<'static> {
        Spec {
            id: Box::leak(id.to_string().into_boxed_str()),
            title: "t".into(),
            desc: "d".into(),
            class: "bar-ratio",
            head: ("a".into(), "b".into()),
            top: 100.0,
            axis: &|v| format!("{v}"),
        }
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(38.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(1234.0), 2000.0);
    }

    #[test]
    fn bars_are_as_long_as_their_values_and_missing_values_draw_none() {
        let pts = vec![
            Point {
                label: "Xã Định Hóa".into(),
                value: Some(50.0),
                shown: "50 %".into(),
            },
            Point {
                label: "Xã Phú Đình".into(),
                value: None,
                shown: "—".into(),
            },
        ];
        let c = rows(spec("c"), &pts);
        assert_eq!(c.bars.len(), 1);
        // Plot 380 wide: half of it.
        assert_eq!(c.bars[0].w, "190.0");
        assert_eq!(c.rows.len(), 2);
        let c = columns(spec("d"), &pts);
        assert_eq!(c.bars.len(), 1);
        assert_eq!(c.bars[0].h, "95.0");
    }
}
