//! Raw document → typed [`Layout`], collecting every problem with the path of
//! the field it concerns (`zone[1].item[0].speed`). [`crate::parse`] turns
//! paths into file lines; the manager's API returns them as they are.

use crate::color::Color;
use crate::model::*;
use crate::raw::{RawBoard, RawItem, RawLayout, RawZone};
use crate::time::{DEFAULT_TZ, parse_instant, parse_tz};
use chrono_tz::Tz;
use std::fmt;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

/// A step in a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where in the document a problem is: `zone[1].item[0].speed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn key(&self, k: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// One thing wrong with a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: FieldPath,
    pub message: String,
}

/// Limits that keep a hostile or mistaken layout from exhausting a board.
pub const MAX_ZONES: usize = 64;
pub const MAX_ITEMS_PER_ZONE: usize = 500;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_QR_BYTES: usize = 2_000;
pub const MAX_DURATION_S: f64 = 86_400.0;
pub const MAX_TRANSITION_MS: i64 = 10_000;
pub const DEFAULT_TRANSITION_MS: i64 = 600;

/// Which fields, besides the shared ones, each item type reads.
fn fields_for(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "image" => &["src", "fit"],
        "video" => &["src", "fit", "loop", "mute", "volume", "start"],
        "text" => &[
            "title",
            "body",
            "title_size",
            "title_color",
            "min_size",
            "line_height",
            "wrap",
            "valign",
            "padding",
            "size",
            "color",
            "bold",
            "align",
        ],
        "ticker" => &[
            "text",
            "speed",
            "direction",
            "separator",
            "repeat",
            "size",
            "color",
            "bold",
        ],
        "clock" => &["format", "seconds", "timezone", "size", "color", "bold", "align"],
        "qr" => &["data", "caption", "color", "size"],
        _ => return None,
    })
}

const SHARED_ITEM_FIELDS: &[&str] = &[
    "duration",
    "transition",
    "transition_ms",
    "valid_from",
    "valid_to",
    "background",
];

struct Ctx<'a> {
    problems: Vec<Problem>,
    base_dir: &'a Path,
}

impl Ctx<'_> {
    fn err(&mut self, path: FieldPath, message: impl Into<String>) {
        self.problems.push(Problem {
            path,
            message: message.into(),
        });
    }

    fn required<T: Clone>(&mut self, v: &Option<T>, path: FieldPath) -> Option<T> {
        if v.is_none() {
            self.err(path, "thiếu trường bắt buộc (missing required field)");
        }
        v.clone()
    }

    fn color(&mut self, v: &Option<String>, path: FieldPath) -> Option<Color> {
        let s = v.as_ref()?;
        match s.parse::<Color>() {
            Ok(c) => Some(c),
            Err(e) => {
                self.err(path, e.to_string());
                None
            }
        }
    }

    fn int_range(&mut self, v: i64, lo: i64, hi: i64, path: FieldPath) -> Option<i64> {
        if v < lo || v > hi {
            self.err(path, format!("giá trị {v} ngoài khoảng {lo}…{hi} (out of range)"));
            return None;
        }
        Some(v)
    }

    fn float_range(&mut self, v: f64, lo: f64, hi: f64, path: FieldPath) -> Option<f64> {
        if !v.is_finite() || v < lo || v > hi {
            self.err(path, format!("giá trị {v} ngoài khoảng {lo}…{hi} (out of range)"));
            return None;
        }
        Some(v)
    }

    fn positive(&mut self, v: f64, hi: f64, path: FieldPath) -> Option<f64> {
        if !v.is_finite() || v <= 0.0 || v > hi {
            self.err(
                path,
                format!("cần số dương không quá {hi}, nhận {v} (must be > 0 and ≤ {hi})"),
            );
            return None;
        }
        Some(v)
    }

    /// NFC-normalised text: decomposed input (e.g. from some Mac or Windows
    /// keyboards) would otherwise shape with stacked combining marks.
    fn text(&mut self, v: &Option<String>, path: FieldPath) -> Option<String> {
        let s = v.as_ref()?;
        let n: String = s
            .nfc()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
        if n.chars().count() > MAX_TEXT_CHARS {
            self.err(
                path,
                format!("văn bản quá dài, tối đa {MAX_TEXT_CHARS} ký tự (text too long)"),
            );
            return None;
        }
        Some(n)
    }

    fn choice<T: Copy>(&mut self, v: &Option<String>, path: FieldPath, options: &[(&str, T)], default: T) -> T {
        let Some(s) = v else { return default };
        if let Some((_, t)) = options.iter().find(|(name, _)| name.eq_ignore_ascii_case(s.trim())) {
            return *t;
        }
        let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        self.err(
            path,
            format!(
                "giá trị {s:?} không hợp lệ, chọn một trong {} (expected one of these)",
                names.join(", ")
            ),
        );
        default
    }

    fn media(&mut self, v: &Option<String>, path: FieldPath) -> Option<MediaRef> {
        let s = v.as_ref()?;
        let t = s.trim();
        if t.is_empty() {
            self.err(path, "đường dẫn tệp trống (empty file path)");
            return None;
        }
        if t.contains("://") {
            self.err(
                path,
                "chỉ nhận tệp cục bộ; nội dung từ mạng phải đi qua thư viện của máy chủ quản lý \
                 (only local files; network media comes through the manager)",
            );
            return None;
        }
        if let Some(hex) = t.strip_prefix("sha256:") {
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                self.err(
                    path,
                    "cần \"sha256:\" và 64 chữ số hex thường (expected sha256:<64 lowercase hex>)",
                );
                return None;
            }
            return Some(MediaRef {
                written: t.to_string(),
                path: self.base_dir.join(hex),
                sha256: Some(hex.to_string()),
            });
        }
        let p = Path::new(t);
        let path_buf = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        };
        Some(MediaRef {
            written: t.to_string(),
            path: path_buf,
            sha256: None,
        })
    }
}

/// Validate a raw layout. `base_dir` resolves relative media paths.
pub fn validate(raw: &RawLayout, base_dir: &Path) -> Result<Layout, Vec<Problem>> {
    let mut cx = Ctx {
        problems: Vec::new(),
        base_dir,
    };
    let root = FieldPath::default();
    let board = match &raw.board {
        Some(b) => board(&mut cx, b, root.key("board")),
        None => {
            cx.err(
                root.key("board"),
                "thiếu bảng [board] với width và height (missing [board] table)",
            );
            None
        }
    };
    if raw.zones.len() > MAX_ZONES {
        cx.err(
            root.key("zone"),
            format!("quá nhiều vùng, tối đa {MAX_ZONES} (too many zones)"),
        );
    }
    let tz = board.as_ref().map_or(DEFAULT_TZ, |b| b.timezone);
    let mut zones = Vec::new();
    for (i, z) in raw.zones.iter().enumerate().take(MAX_ZONES) {
        if let Some(z) = zone(&mut cx, z, root.key("zone").index(i), board.as_ref(), tz) {
            if let Some(prev) = zones.iter().position(|p: &Zone| p.id == z.id) {
                cx.err(
                    root.key("zone").index(i).key("id"),
                    format!("mã vùng {:?} bị trùng với zone[{prev}] (duplicate zone id)", z.id),
                );
            }
            zones.push(z);
        }
    }
    if cx.problems.is_empty()
        && let Some(board) = board
    {
        // Stable: equal z keeps file order.
        zones.sort_by_key(|z| z.z);
        return Ok(Layout { board, zones });
    }
    Err(cx.problems)
}

fn board(cx: &mut Ctx, b: &RawBoard, p: FieldPath) -> Option<Board> {
    let range = i64::from(MIN_BOARD_SIDE)..=i64::from(MAX_BOARD_SIDE);
    let w = cx
        .required(&b.width, p.key("width"))
        .and_then(|w| cx.int_range(w, *range.start(), *range.end(), p.key("width")));
    let h = cx
        .required(&b.height, p.key("height"))
        .and_then(|h| cx.int_range(h, *range.start(), *range.end(), p.key("height")));
    let background = cx.color(&b.background, p.key("background")).unwrap_or(Color::BLACK);
    let background_image = cx.media(&b.background_image, p.key("background_image"));
    let timezone = match &b.timezone {
        Some(s) => parse_tz(s).map_err(|e| cx.err(p.key("timezone"), e)).ok()?,
        None => DEFAULT_TZ,
    };
    let name = cx.text(&b.name, p.key("name")).unwrap_or_default();
    Some(Board {
        name,
        width: w? as u32,
        height: h? as u32,
        background,
        background_image,
        timezone,
    })
}

fn transition(cx: &mut Ctx, kind: &Option<String>, ms: &Option<i64>, p: &FieldPath, inherit: Transition) -> Transition {
    let kind = cx.choice(
        kind,
        p.key("transition"),
        &[
            ("cut", TransitionKind::Cut),
            ("crossfade", TransitionKind::Crossfade),
            ("fade", TransitionKind::Crossfade),
        ],
        inherit.kind,
    );
    let seconds = match ms {
        Some(ms) => cx
            .int_range(*ms, 0, MAX_TRANSITION_MS, p.key("transition_ms"))
            .map_or(inherit.seconds, |ms| ms as f64 / 1000.0),
        None if inherit.seconds > 0.0 => inherit.seconds,
        None => DEFAULT_TRANSITION_MS as f64 / 1000.0,
    };
    match kind {
        TransitionKind::Cut => Transition::CUT,
        TransitionKind::Crossfade => Transition { kind, seconds },
    }
}

fn zone(cx: &mut Ctx, z: &RawZone, p: FieldPath, board: Option<&Board>, tz: Tz) -> Option<Zone> {
    let id = cx.required(&z.id, p.key("id")).and_then(|id| {
        let id = id.trim().to_string();
        if id.is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
            cx.err(
                p.key("id"),
                "mã vùng phải có 1–64 ký tự, không chứa ký tự điều khiển (bad zone id)",
            );
            None
        } else {
            Some(id)
        }
    });
    let max = i64::from(MAX_BOARD_SIDE);
    let x = cx
        .required(&z.x, p.key("x"))
        .and_then(|v| cx.int_range(v, 0, max, p.key("x")));
    let y = cx
        .required(&z.y, p.key("y"))
        .and_then(|v| cx.int_range(v, 0, max, p.key("y")));
    let w = cx
        .required(&z.width, p.key("width"))
        .and_then(|v| cx.int_range(v, 1, max, p.key("width")));
    let h = cx
        .required(&z.height, p.key("height"))
        .and_then(|v| cx.int_range(v, 1, max, p.key("height")));
    let zi = z.z.and_then(|v| cx.int_range(v, -1000, 1000, p.key("z"))).unwrap_or(0);
    if let (Some(b), Some(x), Some(y), Some(w), Some(h)) = (board, x, y, w, h) {
        if x + w > i64::from(b.width) {
            cx.err(
                p.key("width"),
                format!(
                    "vùng vượt ra ngoài mép phải của bảng: x + width = {} > {} (zone extends past the board's right edge)",
                    x + w,
                    b.width
                ),
            );
        }
        if y + h > i64::from(b.height) {
            cx.err(
                p.key("height"),
                format!(
                    "vùng vượt ra ngoài mép dưới của bảng: y + height = {} > {} (zone extends past the board's bottom edge)",
                    y + h,
                    b.height
                ),
            );
        }
    }
    let background = cx.color(&z.background, p.key("background"));
    let default_transition = transition(cx, &z.transition, &z.transition_ms, &p, Transition::CUT);
    if z.items.len() > MAX_ITEMS_PER_ZONE {
        cx.err(
            p.key("item"),
            format!("quá nhiều mục, tối đa {MAX_ITEMS_PER_ZONE} (too many items)"),
        );
    }
    let rect = Rect::new(
        x.unwrap_or(0) as i32,
        y.unwrap_or(0) as i32,
        w.unwrap_or(1) as u32,
        h.unwrap_or(1) as u32,
    );
    let mut items = Vec::new();
    for (i, it) in z.items.iter().enumerate().take(MAX_ITEMS_PER_ZONE) {
        if let Some(item) = item(cx, it, p.key("item").index(i), rect, tz, default_transition) {
            items.push(item);
        }
    }
    Some(Zone {
        id: id?,
        rect: Rect::new(x? as i32, y? as i32, w? as u32, h? as u32),
        z: zi as i32,
        background,
        looping: z.looping.unwrap_or(true),
        items,
    })
}

const ALIGNS: &[(&str, Align)] = &[
    ("left", Align::Left),
    ("center", Align::Center),
    ("centre", Align::Center),
    ("right", Align::Right),
    ("justify", Align::Justify),
];
const FITS: &[(&str, Fit)] = &[("fit", Fit::Fit), ("fill", Fit::Fill), ("stretch", Fit::Stretch)];

fn item(cx: &mut Ctx, it: &RawItem, p: FieldPath, zone: Rect, tz: Tz, zone_transition: Transition) -> Option<Item> {
    let kind_name = cx.required(&it.kind, p.key("type"))?;
    let kind_name = kind_name.trim().to_ascii_lowercase();
    let Some(allowed) = fields_for(&kind_name) else {
        cx.err(
            p.key("type"),
            format!(
                "kiểu mục {kind_name:?} không có; các kiểu: \"image\", \"text\", \"ticker\", \"clock\", \"qr\", \"video\" (unknown item type)"
            ),
        );
        return None;
    };
    for f in it.present_fields() {
        if !allowed.contains(&f) && !SHARED_ITEM_FIELDS.contains(&f) {
            cx.err(
                p.key(f),
                format!("trường `{f}` không dùng cho mục kiểu `{kind_name}` (field does not apply to this type)"),
            );
        }
    }
    let duration = it
        .duration
        .and_then(|d| cx.positive(d, MAX_DURATION_S, p.key("duration")));
    let transition = transition(cx, &it.transition, &it.transition_ms, &p, zone_transition);
    if let Some(d) = duration
        && transition.seconds > d
    {
        cx.err(
            p.key("transition_ms"),
            format!(
                "chuyển cảnh dài {:.0} ms hơn thời lượng mục {d} s (transition longer than the item)",
                transition.seconds * 1000.0
            ),
        );
    }
    let valid_from = it
        .valid_from
        .as_ref()
        .and_then(|s| parse_instant(s, tz).map_err(|e| cx.err(p.key("valid_from"), e)).ok());
    let valid_to = it
        .valid_to
        .as_ref()
        .and_then(|s| parse_instant(s, tz).map_err(|e| cx.err(p.key("valid_to"), e)).ok());
    if let (Some(f), Some(t)) = (valid_from, valid_to)
        && f >= t
    {
        cx.err(
            p.key("valid_to"),
            "valid_to phải sau valid_from (valid_to must be after valid_from)",
        );
    }
    let background = cx.color(&it.background, p.key("background"));

    let min_side = zone.w.min(zone.h) as f64;
    let size = |cx: &mut Ctx, default: f64| -> f32 {
        it.size
            .and_then(|s| cx.positive(s, 2000.0, p.key("size")))
            .unwrap_or(default)
            .max(1.0) as f32
    };
    let color =
        |cx: &mut Ctx, key: &str, v: &Option<String>, default: Color| cx.color(v, p.key(key)).unwrap_or(default);

    let kind = match kind_name.as_str() {
        "image" => ItemKind::Image {
            src: cx
                .required(&it.src, p.key("src"))
                .and_then(|_| cx.media(&it.src, p.key("src")))?,
            fit: cx.choice(&it.fit, p.key("fit"), FITS, Fit::Fit),
        },
        "video" => ItemKind::Video {
            src: cx
                .required(&it.src, p.key("src"))
                .and_then(|_| cx.media(&it.src, p.key("src")))?,
            fit: cx.choice(&it.fit, p.key("fit"), FITS, Fit::Fit),
            looping: it.looping.unwrap_or(false),
            mute: it.mute.unwrap_or(false),
            volume: it
                .volume
                .and_then(|v| cx.float_range(v, 0.0, 1.0, p.key("volume")))
                .unwrap_or(1.0) as f32,
            start: it
                .start
                .and_then(|v| cx.float_range(v, 0.0, MAX_DURATION_S, p.key("start")))
                .unwrap_or(0.0),
        },
        "text" => {
            let title = cx.text(&it.title, p.key("title")).filter(|s| !s.trim().is_empty());
            let body = cx.text(&it.body, p.key("body")).filter(|s| !s.trim().is_empty());
            if title.is_none() && body.is_none() {
                cx.err(
                    p.key("body"),
                    "mục văn bản cần `title` hoặc `body` (text item needs a title or a body)",
                );
            }
            let body_size = size(cx, (zone.h as f64 / 12.0).clamp(10.0, 48.0));
            let title_size = it
                .title_size
                .and_then(|s| cx.positive(s, 2000.0, p.key("title_size")))
                .map_or(body_size * 1.35, |s| s as f32);
            let text_color = color(cx, "color", &it.color, Color::rgb(0x1a, 0x1a, 0x1a));
            let bold = it.bold.unwrap_or(false);
            ItemKind::Text {
                title,
                body,
                title_style: TextStyle {
                    size: title_size,
                    color: color(cx, "title_color", &it.title_color, text_color),
                    bold: true,
                },
                body_style: TextStyle {
                    size: body_size,
                    color: text_color,
                    bold,
                },
                align: cx.choice(&it.align, p.key("align"), ALIGNS, Align::Left),
                valign: cx.choice(
                    &it.valign,
                    p.key("valign"),
                    &[
                        ("top", VAlign::Top),
                        ("middle", VAlign::Middle),
                        ("center", VAlign::Middle),
                        ("bottom", VAlign::Bottom),
                    ],
                    VAlign::Top,
                ),
                wrap: it.wrap.unwrap_or(true),
                min_size: it
                    .min_size
                    .and_then(|s| cx.positive(s, 2000.0, p.key("min_size")))
                    .map_or(8.0f32.min(body_size), |s| s as f32),
                line_height: it
                    .line_height
                    .and_then(|v| cx.float_range(v, 0.8, 3.0, p.key("line_height")))
                    .unwrap_or(1.3) as f32,
                padding: {
                    let default = (min_side * 0.05).round().min(64.0);
                    let (v, h) = match it.padding {
                        None => (default, default),
                        Some(crate::raw::Padding::All(v)) => (v, v),
                        Some(crate::raw::Padding::Pair([v, h])) => (v, h),
                    };
                    let v = cx
                        .float_range(v, 0.0, f64::from(zone.h) / 2.0, p.key("padding"))
                        .unwrap_or(default);
                    let h = cx
                        .float_range(h, 0.0, f64::from(zone.w) / 2.0, p.key("padding"))
                        .unwrap_or(default);
                    [v as f32, h as f32]
                },
            }
        }
        "ticker" => {
            let text = cx
                .required(&it.text, p.key("text"))
                .and_then(|_| cx.text(&it.text, p.key("text")));
            let text = text.map(|t| t.replace('\n', " "));
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                cx.err(p.key("text"), "dòng chữ chạy trống (empty ticker text)");
            }
            ItemKind::Ticker {
                text: text?,
                style: TextStyle {
                    size: size(cx, (zone.h as f64 * 0.55).max(8.0)),
                    color: color(cx, "color", &it.color, Color::WHITE),
                    bold: it.bold.unwrap_or(true),
                },
                speed: it
                    .speed
                    .and_then(|s| cx.positive(s, 5000.0, p.key("speed")))
                    .unwrap_or(100.0),
                direction: cx.choice(
                    &it.direction,
                    p.key("direction"),
                    &[("left", Direction::Left), ("right", Direction::Right)],
                    Direction::Left,
                ),
                separator: cx
                    .text(&it.separator, p.key("separator"))
                    .unwrap_or_else(|| "   •   ".to_string()),
                repeat: it
                    .repeat
                    .and_then(|r| cx.int_range(r, 0, 10_000, p.key("repeat")))
                    .unwrap_or(0) as u32,
            }
        }
        "clock" => {
            let format = cx.choice(
                &it.format,
                p.key("format"),
                &[
                    ("datetime", ClockFormat::DateTime),
                    ("date", ClockFormat::Date),
                    ("time", ClockFormat::Time),
                    ("long", ClockFormat::Long),
                ],
                ClockFormat::DateTime,
            );
            let default_size = match format {
                ClockFormat::Time => zone.h as f64 * 0.6,
                ClockFormat::Long => zone.h as f64 * 0.25,
                _ => zone.h as f64 * 0.4,
            };
            ItemKind::Clock {
                format,
                seconds: it.seconds.unwrap_or(false),
                timezone: match &it.timezone {
                    Some(s) => parse_tz(s).map_err(|e| cx.err(p.key("timezone"), e)).unwrap_or(tz),
                    None => tz,
                },
                style: TextStyle {
                    size: size(cx, default_size.max(8.0)),
                    color: color(cx, "color", &it.color, Color::rgb(0x1a, 0x1a, 0x1a)),
                    bold: it.bold.unwrap_or(true),
                },
                align: cx.choice(&it.align, p.key("align"), ALIGNS, Align::Center),
            }
        }
        "qr" => {
            let data = cx.required(&it.data, p.key("data"))?;
            if data.is_empty() || data.len() > MAX_QR_BYTES {
                cx.err(
                    p.key("data"),
                    format!("nội dung mã QR phải có 1–{MAX_QR_BYTES} byte (QR data must be 1–{MAX_QR_BYTES} bytes)"),
                );
            }
            ItemKind::Qr {
                data,
                caption: cx.text(&it.caption, p.key("caption")).filter(|c| !c.trim().is_empty()),
                fg: color(cx, "color", &it.color, Color::BLACK),
                bg: cx.color(&it.background, p.key("background")).unwrap_or(Color::WHITE),
                caption_size: size(cx, (zone.h as f64 * 0.08).clamp(8.0, 40.0)),
                ec: QrEc::M,
            }
        }
        _ => unreachable!("fields_for accepted the kind"),
    };
    Some(Item {
        kind,
        duration,
        transition,
        valid_from,
        valid_to,
        background,
    })
}
