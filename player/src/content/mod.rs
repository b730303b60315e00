//! One module per kind of content. Each prepares its resources once (decode,
//! upload, shape) and paints itself into a zone at an instant.

pub mod clock;
pub mod image;
pub mod qr;
pub mod text;
pub mod ticker;
pub mod video;

use crate::render::text::TextSpec;
use crate::render::{Painter, RectF, Renderer, TextBlock, TextSystem};
use bangtin_layouts::{Align, Color, ItemKind};
use chrono::{DateTime, Utc};

/// What content knows about the instant it is painted at.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// Seconds since this item came on screen.
    pub local: f64,
    /// Wall-clock instant (clocks show it).
    pub wall: DateTime<Utc>,
    /// Identifies the item's run (its start): a new run starts its clip over.
    pub run: u64,
    /// The item's slot: one cycle of a run (a lone item's run repeats it).
    pub slot: f64,
    /// How long this run lasts (infinite for a lone item); past it the
    /// item is fading out under the next one.
    pub run_len: f64,
    /// Live playback (kiosk, board): never wait for decoders. Offline
    /// renders (PNG files, golden tests) are exact and may wait.
    pub live: bool,
    /// Monotonic instant this frame stands for, when painted live.
    pub at: Option<std::time::Instant>,
}

/// How a piece of content changes over time, for the frame scheduler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Motion {
    /// Looks the same until the item changes.
    Still,
    /// Changes every frame (tickers, video).
    Continuous,
    /// Changes at this wall-clock instant next (clocks).
    At(DateTime<Utc>),
}

/// A prepared playlist item.
#[derive(Debug)]
pub enum Content {
    Image(image::ImageContent),
    Text(text::TextContent),
    Ticker(ticker::TickerContent),
    Clock(clock::ClockContent),
    Qr(qr::QrContent),
    Video(Box<video::VideoContent>),
}

impl Content {
    /// Load and prepare an item for a zone of `area` (board pixels) drawn
    /// at `scale` target pixels per board pixel.
    pub fn prepare(kind: &ItemKind, area: RectF, scale: f32, r: &mut Renderer) -> Content {
        match kind {
            ItemKind::Image { src, fit } => Content::Image(image::ImageContent::load(src, *fit, area, scale, r)),
            ItemKind::Text { .. } => Content::Text(text::TextContent::new(kind)),
            ItemKind::Ticker { .. } => Content::Ticker(ticker::TickerContent::new(kind, area, &mut r.text)),
            ItemKind::Clock { .. } => Content::Clock(clock::ClockContent::new(kind)),
            ItemKind::Qr { .. } => Content::Qr(qr::QrContent::new(kind, r)),
            ItemKind::Video { .. } => Content::Video(Box::new(video::VideoContent::new(kind))),
        }
    }

    /// Length the content itself asks for (a ticker's passes), if any.
    pub fn natural_seconds(&self, area: RectF) -> Option<f64> {
        match self {
            Content::Ticker(t) => t.natural_seconds(area),
            Content::Video(v) => v.natural_seconds(),
            _ => None,
        }
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF, m: Moment) {
        match self {
            Content::Image(c) => c.paint(p, area),
            Content::Text(c) => c.paint(p, area),
            Content::Ticker(c) => c.paint(p, area, m),
            Content::Clock(c) => c.paint(p, area, m),
            Content::Qr(c) => c.paint(p, area),
            Content::Video(c) => c.paint(p, area, m),
        }
    }

    pub fn motion(&self, m: Moment) -> Motion {
        match self {
            Content::Ticker(_) => Motion::Continuous,
            Content::Clock(c) => Motion::At(c.next_tick(m.wall)),
            Content::Video(c) => c.motion(m),
            _ => Motion::Still,
        }
    }

    /// See [`ticker::TickerContent::slide`].
    pub fn slide(&self, area: RectF, local: f64) -> Option<(f64, f64, f64)> {
        match self {
            Content::Ticker(t) => t.slide(area, local),
            _ => None,
        }
    }

    /// A problem preparing this item (missing or corrupt file, …).
    pub fn error(&self) -> Option<&str> {
        match self {
            Content::Image(c) => c.error(),
            Content::Qr(c) => c.error(),
            Content::Video(c) => c.error(),
            _ => None,
        }
    }

    /// A failure met while playing (a file that broke mid-play), once.
    pub fn take_failure(&mut self) -> Option<String> {
        match self {
            Content::Video(c) => c.take_failure(),
            _ => None,
        }
    }

    /// This item cannot be played at all and is left out of its playlist.
    pub fn unplayable(&self) -> bool {
        matches!(self, Content::Video(c) if c.unplayable().is_some())
    }

    /// Get ready for a run starting soon (see [`video::VideoContent::warm`]).
    pub fn warm(&mut self, run: u64, slot: f64, live: bool) {
        if let Content::Video(c) = self {
            c.warm(run, slot, live);
        }
    }

    /// Neither on screen nor next: release what playing holds.
    pub fn idle(&mut self) {
        if let Content::Video(c) = self {
            c.idle();
        }
    }
}

/// The box an item's text belongs in, board pixels: no pixel of its text
/// is drawn outside it. A text item's zone less its padding, a clock's
/// zone less its margin, a ticker's or a QR code's zone.
pub fn text_box(kind: &ItemKind, area: RectF) -> RectF {
    match kind {
        ItemKind::Text { padding, .. } => text::padded(area, *padding),
        ItemKind::Clock { .. } => clock::inner(area),
        _ => area,
    }
}

/// A laid-out block kept until its text or layout changes.
#[derive(Default)]
pub struct CachedText {
    key: Option<(String, TextSpecKey)>,
    buf: Option<TextBlock>,
}

impl std::fmt::Debug for CachedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedText")
            .field("text", &self.key.as_ref().map(|k| &k.0))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct TextSpecKey(TextSpec);

impl CachedText {
    pub fn get(&mut self, ts: &mut TextSystem, text: &str, spec: TextSpec) -> &TextBlock {
        let fresh = matches!(&self.key, Some((t, s)) if t == text && s.0 == spec);
        if !fresh || self.buf.is_none() {
            match &mut self.buf {
                Some(b) => ts.relayout(b, text, spec),
                None => self.buf = Some(ts.layout(text, spec)),
            }
            self.key = Some((text.to_string(), TextSpecKey(spec)));
        }
        self.buf.as_ref().expect("set above")
    }

    /// The block laid out last, if any.
    pub fn block(&self) -> Option<&TextBlock> {
        self.buf.as_ref()
    }
}

/// Neutral stand-in for content that cannot be shown (missing or corrupt
/// file): a calm grey panel that neither alarms citizens nor leaves a hole.
pub fn paint_unavailable(p: &mut Painter, area: RectF, label: &mut CachedText) {
    p.fill(area, Color::rgb(0xd6, 0xd9, 0xde));
    let border = (area.w.min(area.h) * 0.03).clamp(1.0, 6.0);
    p.fill(area.inset(border), Color::rgb(0xe8, 0xea, 0xee));
    let s = p.view.scale;
    let size = (area.h * 0.08).clamp(8.0, 28.0) * s;
    let inner = area.inset(border);
    let spec = TextSpec {
        size,
        line_height: 1.25,
        bold: false,
        align: Align::Center,
        width: Some(inner.w.max(0.0) * s),
        wrap: true,
    };
    let buf = label.get(p.text_system(), "Nội dung tạm thời chưa hiển thị được", spec);
    let (_, h) = TextSystem::measure(buf);
    let y = inner.y + ((inner.h - h / s) / 2.0).max(0.0);
    p.text(inner, &[(buf, inner.x, y, Color::rgb(0x6b, 0x72, 0x80))]);
}
