//! The validated, typed layout. Built only by [`crate::validate`], so every
//! value here is already in range and every default applied.

use crate::color::Color;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Board pixel sizes we accept: from the smallest LED module cabinets
/// (e.g. 192×96, and smaller single modules) to 8K; 8192 is also the largest
/// texture side every wgpu backend guarantees.
pub const MIN_BOARD_SIDE: u32 = 16;
pub const MAX_BOARD_SIDE: u32 = 8192;

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub board: Board,
    /// In drawing order: lowest `z` first; equal `z` keep file order.
    pub zones: Vec<Zone>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub background: Color,
    pub background_image: Option<MediaRef>,
    /// Time zone for clocks and for validity written without an offset.
    pub timezone: Tz,
}

/// A media file named by the layout, resolved against the layout's folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaRef {
    /// As written in the layout (for messages).
    pub written: String,
    /// Where the player reads it.
    pub path: PathBuf,
    /// For media from the manager's library (`src = "sha256:<hex>"`): the
    /// content hash, which is also the file's name in the media folder.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub fn new(x: i32, y: i32, w: u32, h: u32) -> Self {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.w)
    }
    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.h)
    }
    pub fn intersect(&self, o: &Rect) -> Option<Rect> {
        let x0 = self.x.max(o.x);
        let y0 = self.y.max(o.y);
        let x1 = self.right().min(o.right());
        let y1 = self.bottom().min(o.bottom());
        if i64::from(x0) >= x1 || i64::from(y0) >= y1 {
            return None;
        }
        Some(Rect::new(
            x0,
            y0,
            (x1 - i64::from(x0)) as u32,
            (y1 - i64::from(y0)) as u32,
        ))
    }
    pub fn union(&self, o: &Rect) -> Rect {
        let x0 = self.x.min(o.x);
        let y0 = self.y.min(o.y);
        let x1 = self.right().max(o.right());
        let y1 = self.bottom().max(o.bottom());
        Rect::new(x0, y0, (x1 - i64::from(x0)) as u32, (y1 - i64::from(y0)) as u32)
    }
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: String,
    pub rect: Rect,
    pub z: i32,
    pub background: Option<Color>,
    pub looping: bool,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    Cut,
    Crossfade,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    pub kind: TransitionKind,
    /// Seconds; zero for a cut.
    pub seconds: f64,
}

impl Transition {
    pub const CUT: Transition = Transition {
        kind: TransitionKind::Cut,
        seconds: 0.0,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    /// Seconds on screen. `None`: the kind decides (a ticker's repeats, a
    /// video's length) or [`DEFAULT_ITEM_SECONDS`].
    pub duration: Option<f64>,
    /// How this item comes in (from the item before it).
    pub transition: Transition,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Painted over the zone's background while this item shows.
    pub background: Option<Color>,
}

/// Seconds an item stays when neither its duration nor its content says.
pub const DEFAULT_ITEM_SECONDS: f64 = 10.0;

impl Item {
    pub fn is_valid_at(&self, t: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| t >= f) && self.valid_to.is_none_or(|e| t < e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Whole picture visible, letterboxed.
    Fit,
    /// Zone covered, picture cropped.
    Fill,
    /// Zone covered, picture distorted.
    Stretch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    Justify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    Top,
    Middle,
    Bottom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Text enters at the right edge and moves left (Vietnamese reads left to right).
    Left,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockFormat {
    /// "Thứ Hai, 23/11/2026 — 14:05"
    DateTime,
    /// "Thứ Hai, 23/11/2026"
    Date,
    /// "14:05"
    Time,
    /// "Thứ Hai, ngày 23 tháng 11 năm 2026" over "14:05" (two lines)
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrEc {
    L,
    M,
    Q,
    H,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextStyle {
    pub size: f32,
    pub color: Color,
    pub bold: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Image {
        src: MediaRef,
        fit: Fit,
    },
    Text {
        title: Option<String>,
        body: Option<String>,
        title_style: TextStyle,
        body_style: TextStyle,
        align: Align,
        valign: VAlign,
        wrap: bool,
        /// Auto-shrink stops at this size (body; the title shrinks in proportion).
        min_size: f32,
        line_height: f32,
        /// Vertical and horizontal padding, board pixels.
        padding: [f32; 2],
    },
    Ticker {
        text: String,
        style: TextStyle,
        /// Pixels per second, > 0.
        speed: f64,
        direction: Direction,
        separator: String,
        /// Whole passes before the item ends; 0 = endless (the item then
        /// lasts its `duration`, or for ever when it is alone).
        repeat: u32,
    },
    Clock {
        format: ClockFormat,
        seconds: bool,
        timezone: Tz,
        style: TextStyle,
        align: Align,
    },
    Qr {
        data: String,
        caption: Option<String>,
        fg: Color,
        bg: Color,
        caption_size: f32,
        ec: QrEc,
    },
    Video {
        src: MediaRef,
        fit: Fit,
        looping: bool,
        mute: bool,
        volume: f32,
        start: f64,
    },
}

impl ItemKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ItemKind::Image { .. } => "image",
            ItemKind::Text { .. } => "text",
            ItemKind::Ticker { .. } => "ticker",
            ItemKind::Clock { .. } => "clock",
            ItemKind::Qr { .. } => "qr",
            ItemKind::Video { .. } => "video",
        }
    }

    /// The media file this item reads, if any.
    pub fn media(&self) -> Option<&MediaRef> {
        match self {
            ItemKind::Image { src, .. } | ItemKind::Video { src, .. } => Some(src),
            _ => None,
        }
    }
}

impl Layout {
    /// Every media file the layout names, each once, in first-use order.
    pub fn media(&self) -> Vec<&MediaRef> {
        let mut out: Vec<&MediaRef> = Vec::new();
        let all = self.board.background_image.iter().chain(
            self.zones
                .iter()
                .flat_map(|z| z.items.iter().filter_map(|i| i.kind.media())),
        );
        for m in all {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }
}
