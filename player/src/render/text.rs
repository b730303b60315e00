//! Text: the bundled fonts, shaping (cosmic-text) and glyph drawing (glyphon).

use super::Clip;
use bangtin_layouts::{Align, Color};
use glyphon::{
    Attrs, Buffer, Cache, ColorMode, Family, FontSystem, Metrics, Resolution, Shaping, SwashCache, TextArea, TextAtlas,
    TextBounds, TextRenderer, Viewport, Weight, Wrap, cosmic_text::Hinting, fontdb,
};

/// The fonts compiled into the player. Boards never read system fonts, so
/// every board, preview and golden image shows the same glyphs.
pub const FONTS: &[(&str, &[u8])] = &[
    (
        "NotoSans-Regular.ttf",
        include_bytes!("../../../fonts/NotoSans-Regular.ttf"),
    ),
    ("NotoSans-Bold.ttf", include_bytes!("../../../fonts/NotoSans-Bold.ttf")),
    (
        "NotoSansTaiViet-Regular.ttf",
        include_bytes!("../../../fonts/NotoSansTaiViet-Regular.ttf"),
    ),
];

pub const FAMILY: &str = "Noto Sans";

/// A font database holding only the bundled fonts.
pub fn font_system() -> FontSystem {
    let mut db = fontdb::Database::new();
    for (_, data) in FONTS {
        db.load_font_source(fontdb::Source::Binary(std::sync::Arc::new(*data)));
    }
    db.set_sans_serif_family(FAMILY);
    FontSystem::new_with_locale_and_db("vi-VN".to_string(), db)
}

/// How a block of text is laid out. Sizes are in target pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSpec {
    pub size: f32,
    pub line_height: f32,
    pub bold: bool,
    pub align: Align,
    /// Wrap width; `None` for a single unbounded line (tickers).
    pub width: Option<f32>,
    pub wrap: bool,
}

/// The glyph pipeline and the shaping state, shared by all content.
pub struct TextSystem {
    pub fonts: FontSystem,
    swash: SwashCache,
    atlas: TextAtlas,
    viewport: Viewport,
    slots: Vec<TextRenderer>,
    used: usize,
    cache: Cache,
    format: wgpu::TextureFormat,
}

impl std::fmt::Debug for TextSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextSystem")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl TextSystem {
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue, format: wgpu::TextureFormat) -> Self {
        let cache = Cache::new(device);
        // Web colour mode: sRGB values blended as browsers do, on a
        // non-sRGB target (cheaper to present; matches officers' previews).
        let atlas = TextAtlas::with_color_mode(device, queue, &cache, format, ColorMode::Web);
        let viewport = Viewport::new(device, &cache);
        TextSystem {
            fonts: font_system(),
            swash: SwashCache::new(),
            atlas,
            viewport,
            slots: Vec::new(),
            used: 0,
            cache,
            format,
        }
    }

    /// Shape `text` into a new buffer.
    pub fn layout(&mut self, text: &str, spec: TextSpec) -> Buffer {
        let mut buf = Buffer::new(&mut self.fonts, Metrics::new(spec.size, spec.size * spec.line_height));
        self.relayout(&mut buf, text, spec);
        buf
    }

    /// Re-shape an existing buffer (reuses its allocations).
    pub fn relayout(&mut self, buf: &mut Buffer, text: &str, spec: TextSpec) {
        let fs = &mut self.fonts;
        buf.set_metrics(Metrics::new(spec.size, (spec.size * spec.line_height).max(1.0)));
        // Hinting snaps advances to whole pixels: crisp stems on LED boards.
        buf.set_hinting(Hinting::Enabled);
        buf.set_wrap(if spec.wrap && spec.width.is_some() {
            Wrap::WordOrGlyph
        } else {
            Wrap::None
        });
        buf.set_size(spec.width, None);
        let attrs =
            Attrs::new()
                .family(Family::Name(FAMILY))
                .weight(if spec.bold { Weight::BOLD } else { Weight::NORMAL });
        let align = match spec.align {
            Align::Left => glyphon::cosmic_text::Align::Left,
            Align::Center => glyphon::cosmic_text::Align::Center,
            Align::Right => glyphon::cosmic_text::Align::Right,
            Align::Justify => glyphon::cosmic_text::Align::Justified,
        };
        buf.set_text(text, &attrs, Shaping::Advanced, Some(align));
        buf.shape_until_scroll(fs, false);
    }

    /// Width of the widest line and total height of a laid-out buffer.
    pub fn measure(buf: &Buffer) -> (f32, f32) {
        let mut w = 0.0f32;
        let mut h = 0.0f32;
        for run in buf.layout_runs() {
            w = w.max(run.line_w);
            h = h.max(run.line_top + run.line_height);
        }
        (w, h)
    }

    pub(crate) fn begin_frame(&mut self, queue: &wgpu::Queue, size: [u32; 2]) {
        self.used = 0;
        self.viewport.update(
            queue,
            Resolution {
                width: size[0],
                height: size[1],
            },
        );
    }

    pub(crate) fn end_frame(&mut self) {
        // Lets glyphs unused this frame be evicted when the atlas fills.
        self.atlas.trim();
    }

    /// Upload the glyphs of `runs` (positions in target pixels) into a new
    /// slot; returns the slot to draw, or `None` if nothing to draw.
    pub(crate) fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        runs: &[(&Buffer, f32, f32, Color)],
        clip: Clip,
    ) -> Option<usize> {
        if self.used == self.slots.len() {
            self.slots.push(TextRenderer::new(
                &mut self.atlas,
                device,
                wgpu::MultisampleState::default(),
                None,
            ));
        }
        let slot = self.used;
        let bounds = TextBounds {
            left: clip.x as i32,
            top: clip.y as i32,
            right: (clip.x + clip.w) as i32,
            bottom: (clip.y + clip.h) as i32,
        };
        let areas = runs.iter().map(|(buffer, x, y, c)| TextArea {
            buffer,
            left: *x,
            top: *y,
            scale: 1.0,
            bounds,
            default_color: glyphon::Color::rgba(c.r, c.g, c.b, c.a),
            custom_glyphs: &[],
        });
        match self.slots[slot].prepare(
            device,
            queue,
            &mut self.fonts,
            &mut self.atlas,
            &self.viewport,
            areas,
            &mut self.swash,
        ) {
            Ok(()) => {
                self.used += 1;
                Some(slot)
            }
            Err(e) => {
                tracing::error!("không chuẩn bị được chữ để vẽ (text prepare failed): {e}");
                None
            }
        }
    }

    pub(crate) fn render(&self, slot: usize, pass: &mut wgpu::RenderPass<'_>) {
        if let Err(e) = self.slots[slot].render(&self.atlas, &self.viewport, pass) {
            tracing::error!("không vẽ được chữ (text render failed): {e}");
        }
    }

    /// The target format this text system draws into.
    pub fn format(&self) -> wgpu::TextureFormat {
        let _ = &self.cache;
        self.format
    }
}
