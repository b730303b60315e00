//! Text: the bundled fonts, shaping (cosmic-text), glyph rasterising (swash)
//! and a glyph atlas drawn by the same quad pipeline as everything else.
//!
//! Why not glyphon's text pipeline: on a board without a GPU every pipeline
//! is compiled to machine code by LLVM at startup, and glyphon's cost 86 ms
//! of the ~300 ms a cold start takes (measured, docs/player.md "How it draws"). Glyphs
//! in an RGBA atlas go through the one quad shader instead, in the same draw
//! stream as pictures and fills, so z-order and crossfades need nothing
//! special.

use super::quad::QuadPipeline;
use super::{Filter, QuadInstance, Tex};
use crate::gpu::Gpu;
use bangtin_layouts::{Align, Color};
use cosmic_text::{
    Attrs, Buffer, CacheKey, Family, FontSystem, Hinting, Metrics, ShapeGlyph, ShapeWord, Shaping, SwashCache,
    SwashContent, Weight, Wrap, fontdb,
};
use std::collections::HashMap;

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
    /// Width of the box the text must stay in; `None` for unbounded lines
    /// (tickers).
    pub width: Option<f32>,
    pub wrap: bool,
}

/// A glyph placed in whole pixels, relative to its block's origin: its
/// bitmap's origin is (`x`, `y`), baseline included. Measuring and drawing
/// read the same positions and the same bitmap (`key`), so what is
/// measured is exactly what is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub key: CacheKey,
    pub x: i32,
    pub y: i32,
    /// The pixels its bitmap covers, `[x0, y0, x1, y1)`; `None` for a
    /// glyph without any (a space).
    pub ink: Option<[i32; 4]>,
}

impl Placed {
    fn shift(&mut self, dx: i32, dy: i32) {
        self.x += dx;
        self.y += dy;
        if let Some(i) = &mut self.ink {
            *i = [i[0] + dx, i[1] + dy, i[2] + dx, i[3] + dy];
        }
    }
}

/// Pixels a glyph's bitmap covers, relative to its origin, as swash
/// rasterises it: bearings and antialiasing included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ink {
    left: i32,
    top: i32,
    w: i32,
    h: i32,
}

/// Columns and rows `[x0, y0, x1, y1)` that glyphs cover.
type Area = [i32; 4];

fn union(a: Option<Area>, b: Option<Area>) -> Option<Area> {
    match (a, b) {
        (Some(a), Some(b)) => Some([a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]),
        (a, None) => a,
        (None, b) => b,
    }
}

/// One line of a block.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub glyphs: Vec<Placed>,
    /// Top of the line box and its height.
    pub top: f32,
    pub height: f32,
    /// What the glyphs cover, `[x0, y0, x1, y1)`; `None` without pixels.
    pub ink: Option<[i32; 4]>,
    /// Where the pen ends (trailing spaces included; tickers repeat by it).
    pub advance: i32,
    /// Sum of the font's advances (alignment), where the word spaces are
    /// (justification), and whether the paragraph goes on after it.
    design_w: f32,
    blanks: Vec<usize>,
    broken: bool,
}

/// Laid-out text: lines of glyphs in whole pixels, and the area they take.
///
/// The player breaks and aligns lines itself, from cosmic-text's shaping:
/// cosmic-text breaks lines by the font's fractional advances but, with
/// hinting, places glyphs by advances rounded to whole pixels, so a full
/// line could be drawn several pixels wider than its box (issue #14: the
/// last letter of a 14 px line cut at the board's edge); and a glyph's
/// pixels may reach past its advance (bearings, antialiasing). Here a
/// line holds a word only if the pixels of its glyphs, where they will be
/// drawn, fit the box; a word longer than the line breaks between
/// grapheme clusters.
pub struct TextBlock {
    /// Shaping (font fallback, clusters, advances), kept by cosmic-text.
    buf: Buffer,
    lines: Vec<Line>,
    /// Rows `[top, bottom)` the block takes: its line boxes and its ink.
    top: i32,
    bottom: f32,
}

impl std::fmt::Debug for TextBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextBlock")
            .field("lines", &self.lines.len())
            .field("size", &(self.width(), self.height()))
            .finish_non_exhaustive()
    }
}

impl TextBlock {
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Every glyph, line after line.
    pub fn glyphs(&self) -> impl Iterator<Item = &Placed> {
        self.lines.iter().flat_map(|l| l.glyphs.iter())
    }

    /// Width of the widest line's pixels: the block fits a box of width
    /// `W` exactly when this is at most `W`.
    pub fn width(&self) -> f32 {
        self.lines
            .iter()
            .filter_map(|l| l.ink)
            .map(|i| (i[2] - i[0]) as f32)
            .fold(0.0, f32::max)
    }

    /// Height from the top of the first line box (or of the highest mark
    /// above it) to the bottom of the last line box (or of the lowest
    /// pixel below it).
    pub fn height(&self) -> f32 {
        self.bottom - self.top as f32
    }

    /// Where the block's top is relative to its origin (0, or above it
    /// when marks reach over the first line box).
    pub fn top(&self) -> i32 {
        self.top
    }

    /// Pen advance of the longest line (tickers: one copy's length).
    pub fn advance(&self) -> f32 {
        self.lines.iter().map(|l| l.advance).max().unwrap_or(0) as f32
    }
}

/// Where a rasterised glyph sits in the atlas.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    left: i32,
    top: i32,
    /// Colour glyphs (emoji) keep their colours; masks take the text colour.
    colored: bool,
}

/// Rasterised glyphs in one RGBA texture: masks are stored as white with
/// coverage in alpha, so `texel × colour` is the glyph in that colour.
struct Atlas {
    tex: Tex,
    /// Width (fixed) and height (grows) in texels.
    w: u32,
    h: u32,
    alloc: etagere::AtlasAllocator,
    glyphs: HashMap<CacheKey, Option<Glyph>>,
}

/// The atlas is this wide and starts this high; it grows in height only,
/// so a board with a few hundred glyphs holds 1–2 MB, not 4.
const ATLAS_W: u32 = 1024;
const ATLAS_START_H: u32 = 256;
/// An atlas taller than this (4 MiB) is dropped at the next scene.
const ATLAS_KEEP_H: u32 = 1024;
/// Glyph extents kept across scenes (≈ 50 bytes each; one alert screen's
/// shrink-to-fit measures a few thousand).
const INK_KEEP: usize = 8192;
/// Room between glyphs so filtering never reads a neighbour.
const PAD: u32 = 1;

/// Shaping state and the glyph atlas, shared by all content.
pub struct TextSystem {
    pub fonts: FontSystem,
    swash: SwashCache,
    atlas: Option<Atlas>,
    /// The pixels each glyph bitmap covers, for laying out by them.
    ink: HashMap<CacheKey, Option<Ink>>,
    /// Letters left out so far because they did not fit their box whole:
    /// `[in lines below the box, past the end of lines too wide]`.
    left_out: [u64; 2],
}

impl std::fmt::Debug for TextSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextSystem")
            .field("atlas", &self.atlas.as_ref().map(|a| (a.w, a.h, a.glyphs.len())))
            .finish_non_exhaustive()
    }
}

impl Default for TextSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl TextSystem {
    pub fn new() -> Self {
        TextSystem {
            fonts: font_system(),
            swash: SwashCache::new(),
            atlas: None,
            ink: HashMap::new(),
            left_out: [0, 0],
        }
    }

    /// Lay out `text` as a new block.
    pub fn layout(&mut self, text: &str, spec: TextSpec) -> TextBlock {
        let buf = Buffer::new(&mut self.fonts, Metrics::new(spec.size, spec.size * spec.line_height));
        let mut block = TextBlock {
            buf,
            lines: Vec::new(),
            top: 0,
            bottom: 0.0,
        };
        self.relayout(&mut block, text, spec);
        block
    }

    /// Lay out an existing block again (reuses its allocations).
    pub fn relayout(&mut self, block: &mut TextBlock, text: &str, spec: TextSpec) {
        let buf = &mut block.buf;
        let fs = &mut self.fonts;
        buf.set_metrics(Metrics::new(spec.size, (spec.size * spec.line_height).max(1.0)));
        // Hinting snaps advances to whole pixels: crisp stems on LED boards,
        // and text that moves by whole pixels looks the same everywhere.
        buf.set_hinting(Hinting::Enabled);
        // cosmic-text's own lines are used only for right-to-left paragraphs
        // (see `lines_of`); left-to-right ones are broken here.
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
            Align::Left => cosmic_text::Align::Left,
            Align::Center => cosmic_text::Align::Center,
            Align::Right => cosmic_text::Align::Right,
            Align::Justify => cosmic_text::Align::Justified,
        };
        buf.set_text(text, &attrs, Shaping::Advanced, Some(align));
        buf.shape_until_scroll(fs, false);
        let mut lines = std::mem::take(&mut block.lines);
        lines.clear();
        self.lines_of(&block.buf, spec, &mut lines);
        let line_h = (spec.size * spec.line_height).max(1.0);
        let mut top = 0;
        let mut bottom = 0.0f32;
        for (i, l) in lines.iter_mut().enumerate() {
            l.top = i as f32 * line_h;
            l.height = line_h;
            bottom = bottom.max(l.top + l.height);
            if let Some(ink) = l.ink {
                top = top.min(ink[1]);
                bottom = bottom.max(ink[3] as f32);
            }
        }
        block.lines = lines;
        block.top = top;
        block.bottom = bottom;
    }

    /// Width and height of a laid-out block: what [`TextBlock::width`] and
    /// [`TextBlock::height`] say, the very pixels drawing covers.
    pub fn measure(block: &TextBlock) -> (f32, f32) {
        (block.width(), block.height())
    }

    /// Pixels of a glyph's bitmap, rasterised once and remembered.
    fn ink_of(&mut self, key: CacheKey) -> Option<Ink> {
        if let Some(i) = self.ink.get(&key) {
            return *i;
        }
        let ink = self
            .swash
            .get_image_uncached(&mut self.fonts, key)
            .filter(|i| i.placement.width > 0 && i.placement.height > 0)
            .map(|i| Ink {
                left: i.placement.left,
                top: i.placement.top,
                w: i.placement.width as i32,
                h: i.placement.height as i32,
            });
        self.ink.insert(key, ink);
        ink
    }

    /// Place `g` with its pen at `pen` on baseline 0.
    fn place(&mut self, g: &ShapeGlyph, size: f32, pen: i32) -> Placed {
        let fs = g.metrics_opt.map_or(size, |m| m.font_size);
        // As `LayoutGlyph::physical` does: x to a subpixel bin, y truncated.
        let (key, x, y) = CacheKey::new(
            g.font_id,
            g.glyph_id,
            fs,
            (pen as f32 + fs * g.x_offset, (-fs * g.y_offset).trunc()),
            g.font_weight,
            g.cache_key_flags,
        );
        self.placed(key, x, y)
    }

    /// A glyph whose bitmap `key` has its origin at (`x`, `y`).
    fn placed(&mut self, key: CacheKey, x: i32, y: i32) -> Placed {
        let ink = self.ink_of(key).map(|i| {
            let (x0, y0) = (x + i.left, y - i.top);
            [x0, y0, x0 + i.w, y0 + i.h]
        });
        Placed { key, x, y, ink }
    }

    /// The lines of every paragraph of `buf`, positioned horizontally and
    /// on their baselines (line boxes are set by the caller).
    fn lines_of(&mut self, buf: &Buffer, spec: TextSpec, out: &mut Vec<Line>) {
        let size = spec.size;
        let line_h = (spec.size * spec.line_height).max(1.0);
        // The box in whole pixels: drawing starts at a whole pixel, so
        // `floor(width)` columns are always inside it.
        let fit_w = spec.width.map(|w| w.floor().max(0.0) as i32);
        for bl in &buf.lines {
            let Some(shape) = bl.shape_opt() else { continue };
            let first = out.len();
            let rtl = shape.rtl || shape.spans.iter().any(|s| s.level.is_rtl());
            if rtl {
                // Bidirectional reordering is cosmic-text's, and so are the
                // line breaks (the fonts the player carries have no
                // right-to-left script): a line that comes out too wide
                // loses the letters past the box's edge when drawn.
                for ll in bl.layout_opt().into_iter().flatten() {
                    let baseline = baseline(out.len(), line_h, ll.max_ascent, ll.max_descent);
                    let mut line = Line::default();
                    for g in &ll.glyphs {
                        let pg = g.physical((0.0, 0.0), 1.0);
                        let p = self.placed(pg.cache_key, pg.x, pg.y + baseline);
                        line.ink = union(line.ink, p.ink);
                        line.advance = line.advance.max((g.x + g.w).round() as i32);
                        line.glyphs.push(p);
                    }
                    if let (Some(w), Some(ink)) = (fit_w, line.ink)
                        && ink[2] - ink[0] <= w
                    {
                        shift(&mut line, (-ink[0]).max(0).min(w - ink[2]));
                    }
                    out.push(line);
                }
            } else {
                let mut b = Breaker {
                    ts: self,
                    size,
                    line_h,
                    fit_w: if spec.wrap { fit_w } else { None },
                    out,
                    cur: Building::default(),
                };
                for span in &shape.spans {
                    for word in &span.words {
                        b.word(word);
                    }
                }
                b.finish();
            }
            let last = out.len();
            if last == first {
                // An empty paragraph still takes a line.
                out.push(Line::default());
            }
            if !rtl {
                align(&mut out[first..], spec, fit_w);
            }
        }
    }

    /// Letters left out since the start because they did not fit their box
    /// whole, for tests and diagnostics: `[in lines that did not fit below
    /// the others (text too long even at its smallest size), past the end
    /// of lines wider than their box (unwrapped text, or a letter wider
    /// than the box)]`.
    pub fn left_out(&self) -> [u64; 2] {
        self.left_out
    }

    /// Glyphs in the atlas (for tests and diagnostics).
    pub fn atlas_glyphs(&self) -> usize {
        self.atlas.as_ref().map_or(0, |a| a.glyphs.len())
    }

    /// Let go of a grown atlas (called when a new scene is prepared): the
    /// glyphs are rasterised again as they are next drawn. Without this
    /// the atlas only grew — every alert screen shrinks its text to its
    /// own sizes, and each size is a new set of glyphs — until its 16 MiB
    /// cap (`bangtin-player soak`: +8 MiB after 45 board minutes of show
    /// changes and alerts). Quads are made from the atlas each frame, so
    /// nothing keeps positions in the old one.
    pub fn trim_atlas(&mut self) {
        if self.atlas.as_ref().is_some_and(|a| a.h > ATLAS_KEEP_H) {
            tracing::debug!("bỏ atlas chữ lớn khi đổi màn hình (glyph atlas dropped)");
            self.atlas = None;
        }
        // Shrink-to-fit measures glyphs at many sizes; like the atlas, the
        // record of their pixels must not only grow.
        if self.ink.len() > INK_KEEP {
            self.ink = HashMap::new();
        }
    }

    /// Width and height of the atlas texture, texels (for diagnostics).
    pub fn atlas_size(&self) -> [u32; 2] {
        self.atlas.as_ref().map_or([0, 0], |a| [a.w, a.h])
    }

    fn new_atlas(gpu: &Gpu, quads: &QuadPipeline, w: u32, h: u32) -> Atlas {
        Atlas {
            tex: Tex::empty(gpu, quads, w, h, Filter::Linear, "glyph atlas"),
            w,
            h,
            alloc: etagere::AtlasAllocator::new(etagere::size2(w as i32, h as i32)),
            glyphs: HashMap::new(),
        }
    }

    /// Find or rasterise a glyph; `None` for glyphs with no pixels. The
    /// glyph lives in the current atlas.
    fn glyph(&mut self, gpu: &Gpu, quads: &QuadPipeline, key: CacheKey) -> Option<Glyph> {
        let max = gpu.max_texture_side().min(4096);
        let width = ATLAS_W.min(max);
        let atlas = self
            .atlas
            .get_or_insert_with(|| Self::new_atlas(gpu, quads, width, ATLAS_START_H));
        if let Some(found) = atlas.glyphs.get(&key) {
            return *found;
        }
        let image = self.swash.get_image_uncached(&mut self.fonts, key);
        let Some(image) = image.filter(|i| i.placement.width > 0 && i.placement.height > 0) else {
            atlas.glyphs.insert(key, None);
            return None;
        };
        let (w, h) = (image.placement.width, image.placement.height);
        let rgba: Vec<u8> = match image.content {
            SwashContent::Mask => image.data.iter().flat_map(|a| [255, 255, 255, *a]).collect(),
            SwashContent::Color => image.data.clone(),
            // Not produced unless asked for; treat as grey coverage.
            SwashContent::SubpixelMask => image
                .data
                .chunks_exact(4)
                .flat_map(|p| {
                    [
                        255,
                        255,
                        255,
                        ((u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2])) / 3) as u8,
                    ]
                })
                .collect(),
        };
        let want = etagere::size2((w + 2 * PAD) as i32, (h + 2 * PAD) as i32);
        let mut slot = atlas.alloc.allocate(want);
        if slot.is_none() {
            // Full: start a bigger atlas (or a fresh one at the limit).
            // Quads already issued keep the old texture alive this frame.
            let h = (atlas.h * 2).min(max);
            tracing::debug!("atlas đầy, tạo mới {width}×{h} (glyph atlas full, new one)");
            *atlas = Self::new_atlas(gpu, quads, width, h);
            slot = atlas.alloc.allocate(want);
        }
        let Some(slot) = slot else {
            tracing::warn!("chữ quá lớn cho atlas ({w}×{h}) (glyph larger than the atlas)");
            atlas.glyphs.insert(key, None);
            return None;
        };
        let (x, y) = (slot.rectangle.min.x as u32 + PAD, slot.rectangle.min.y as u32 + PAD);
        gpu.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &atlas.tex.texture,
                mip_level: 0,
                origin: wgpu::Origin3d { x, y, z: 0 },
                aspect: wgpu::TextureAspect::All,
            },
            &rgba,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(4 * w),
                rows_per_image: Some(h),
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        let g = Glyph {
            x,
            y,
            w,
            h,
            left: image.placement.left,
            top: image.placement.top,
            colored: matches!(image.content, SwashContent::Color),
        };
        atlas.glyphs.insert(key, Some(g));
        Some(g)
    }

    /// Quads for the glyphs of `block` with its origin at `at`.
    pub(crate) fn quads(
        &mut self,
        gpu: &Gpu,
        quads: &QuadPipeline,
        block: &TextBlock,
        at: Placement,
        mut emit: impl FnMut(&wgpu::BindGroup, QuadInstance),
    ) {
        let Placement {
            x,
            y,
            color,
            clip,
            whole,
        } = at;
        let tint = color.to_f32();
        for line in block.lines() {
            let Some(li) = line.ink else { continue };
            if let Some(b) = whole
                && (y + li[1] < b[1] || y + li[3] > b[3])
            {
                // A line that does not fit below the others is left out
                // whole, not cut through its letters.
                self.left_out[0] += line.glyphs.iter().filter(|g| g.ink.is_some()).count() as u64;
                continue;
            }
            for p in &line.glyphs {
                let Some(ink) = p.ink else { continue };
                if let Some(b) = whole
                    && (x + ink[0] < b[0] || x + ink[2] > b[2])
                {
                    // An unwrapped line wider than its box ends with the
                    // last letter that fits whole.
                    self.left_out[1] += 1;
                    continue;
                }
                let (left, top) = ((x + ink[0]) as f32, (y + ink[1]) as f32);
                let (w, h) = ((ink[2] - ink[0]) as f32, (ink[3] - ink[1]) as f32);
                if left >= clip[2] || left + w <= clip[0] || top >= clip[3] || top + h <= clip[1] {
                    continue;
                }
                let Some(gl) = self.glyph(gpu, quads, p.key) else {
                    continue;
                };
                let Some(atlas) = &self.atlas else { continue };
                let (aw, ah) = (atlas.w as f32, atlas.h as f32);
                emit(
                    &atlas.tex.bind,
                    QuadInstance {
                        rect: [
                            (x + p.x + gl.left) as f32,
                            (y + p.y - gl.top) as f32,
                            gl.w as f32,
                            gl.h as f32,
                        ],
                        uv: [
                            gl.x as f32 / aw,
                            gl.y as f32 / ah,
                            (gl.x + gl.w) as f32 / aw,
                            (gl.y + gl.h) as f32 / ah,
                        ],
                        color: if gl.colored { [1.0, 1.0, 1.0, tint[3]] } else { tint },
                    },
                );
            }
        }
    }
}

/// Where a block goes: its origin in target pixels (whole pixels), its
/// colour, the visible area [x0, y0, x1, y1], and the box outside which
/// no letter is drawn even in part (`None`: letters may be cut at the
/// visible area's edges, as a ticker's are).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub x: i32,
    pub y: i32,
    pub color: Color,
    pub clip: [f32; 4],
    pub whole: Option<[i32; 4]>,
}

/// Baseline of line `i` (whole pixels), placed in its box as cosmic-text
/// places it: the glyphs' ascent and descent centred in the line height.
fn baseline(i: usize, line_h: f32, ascent: f32, descent: f32) -> i32 {
    let top = i as f32 * line_h;
    (top + (line_h - (ascent + descent)) / 2.0 + ascent).round() as i32
}

fn shift(line: &mut Line, dx: i32) {
    if dx == 0 {
        return;
    }
    for g in &mut line.glyphs {
        g.shift(dx, 0);
    }
    if let Some(i) = &mut line.ink {
        i[0] += dx;
        i[2] += dx;
    }
    line.advance += dx;
}

/// How far a line being filled had got: enough to take back what came
/// after.
#[derive(Debug, Default, Clone, Copy)]
struct Mark {
    words: bool,
    glyphs: usize,
    blanks: usize,
    pen: i32,
    ink: Option<Area>,
    design_w: f32,
    ascent: f32,
    descent: f32,
}

/// A line being filled.
#[derive(Debug, Default)]
struct Building {
    glyphs: Vec<Placed>,
    /// Index in `glyphs` of each space after a word, for justification.
    blanks: Vec<usize>,
    /// A word (not only spaces) is on the line.
    words: bool,
    /// Where the pen is, whole pixels.
    pen: i32,
    ink: Option<Area>,
    /// Sum of the font's (unhinted) advances: alignment uses it, as
    /// cosmic-text does, so text that fits lands where it always did.
    design_w: f32,
    ascent: f32,
    descent: f32,
    /// The line before its trailing spaces: a break drops them.
    before_blanks: Option<Mark>,
}

impl Building {
    fn mark(&self) -> Mark {
        Mark {
            words: self.words,
            glyphs: self.glyphs.len(),
            blanks: self.blanks.len(),
            pen: self.pen,
            ink: self.ink,
            design_w: self.design_w,
            ascent: self.ascent,
            descent: self.descent,
        }
    }

    fn back_to(&mut self, m: Mark) {
        self.words = m.words;
        self.glyphs.truncate(m.glyphs);
        self.blanks.truncate(m.blanks);
        self.pen = m.pen;
        self.ink = m.ink;
        self.design_w = m.design_w;
        self.ascent = m.ascent;
        self.descent = m.descent;
    }
}

/// Greedy line breaking on the pixels drawing will cover.
struct Breaker<'a> {
    ts: &'a mut TextSystem,
    size: f32,
    line_h: f32,
    /// Columns a line may cover; `None`: no wrapping.
    fit_w: Option<i32>,
    out: &'a mut Vec<Line>,
    cur: Building,
}

impl Breaker<'_> {
    /// Append `glyphs` to the current line, on baseline 0 (moved to the
    /// line's own baseline when it is finished).
    fn extend(&mut self, glyphs: &[ShapeGlyph]) {
        let cur = &mut self.cur;
        for g in glyphs {
            let fs = g.metrics_opt.map_or(self.size, |m| m.font_size);
            let p = self.ts.place(g, self.size, cur.pen);
            cur.ink = union(cur.ink, p.ink);
            cur.glyphs.push(p);
            cur.pen += (fs * g.x_advance).round() as i32;
            cur.design_w += g.width(self.size);
            cur.ascent = cur.ascent.max(fs * g.ascent);
            cur.descent = cur.descent.max(fs * g.descent);
        }
    }

    fn fits(&self) -> bool {
        match (self.fit_w, self.cur.ink) {
            (Some(w), Some(i)) => i[2] - i[0] <= w,
            _ => true,
        }
    }

    /// Append the glyphs of a word if the line still fits with them;
    /// otherwise leave the line as it was.
    fn try_extend(&mut self, glyphs: &[ShapeGlyph]) -> bool {
        let m = self.cur.mark();
        self.extend(glyphs);
        if self.fits() {
            self.cur.words = true;
            return true;
        }
        self.cur.back_to(m);
        false
    }

    fn word(&mut self, word: &ShapeWord) {
        if word.blank {
            if self.cur.before_blanks.is_none() {
                self.cur.before_blanks = Some(self.cur.mark());
            }
            // Spaces before the first word would only move the line.
            if self.cur.words && !word.glyphs.is_empty() {
                let at = self.cur.glyphs.len();
                self.cur.blanks.push(at);
            }
            self.extend(&word.glyphs);
            return;
        }
        if self.try_extend(&word.glyphs) {
            self.cur.before_blanks = None;
            return;
        }
        // Not on this line: on the next, if this one holds anything.
        if !self.cur.glyphs.is_empty() {
            self.break_line();
            if self.try_extend(&word.glyphs) {
                return;
            }
        }
        // Longer than a whole line: break it between grapheme clusters
        // (a base letter and its marks share a cluster), never inside one.
        let mut rest = &word.glyphs[..];
        while !rest.is_empty() {
            let n = rest.iter().take_while(|g| g.start == rest[0].start).count();
            let (cluster, tail) = rest.split_at(n);
            if !self.try_extend(cluster) {
                if !self.cur.glyphs.is_empty() {
                    self.break_line();
                }
                // Alone on its line even if it is wider than the box (the
                // text is then shrunk, or clipped at its smallest size).
                self.extend(cluster);
                self.cur.words = true;
            }
            rest = tail;
        }
        self.cur.before_blanks = None;
    }

    /// End the current line at a break: its trailing spaces go.
    fn break_line(&mut self) {
        if let Some(m) = self.cur.before_blanks.take() {
            self.cur.back_to(m);
        }
        let cur = std::mem::take(&mut self.cur);
        self.push(cur, true);
    }

    /// End of the paragraph: the last line keeps its spaces (a ticker's
    /// separator is part of its rhythm).
    fn finish(&mut self) {
        let cur = std::mem::take(&mut self.cur);
        if !cur.glyphs.is_empty() {
            self.push(cur, false);
        }
    }

    fn push(&mut self, b: Building, broken: bool) {
        let base = baseline(self.out.len(), self.line_h, b.ascent, b.descent);
        let mut glyphs = b.glyphs;
        for g in &mut glyphs {
            g.shift(0, base);
        }
        self.out.push(Line {
            glyphs,
            top: 0.0,
            height: 0.0,
            ink: b.ink.map(|i| [i[0], i[1] + base, i[2], i[3] + base]),
            advance: b.pen,
            design_w: b.design_w,
            blanks: b.blanks,
            broken,
        });
    }
}

/// Align the lines of one left-to-right paragraph in a box `spec.width`
/// wide (`fit_w` whole pixels): as cosmic-text aligns them, then moved
/// just enough to keep every pixel inside the box. Justified lines (all
/// but a paragraph's last) share the room left between their words in
/// whole pixels, so their pixels end exactly at the box's right edge.
fn align(lines: &mut [Line], spec: TextSpec, fit_w: Option<i32>) {
    let width = spec
        .width
        .unwrap_or_else(|| lines.iter().map(|l| l.design_w).fold(0.0, f32::max));
    for line in lines {
        let room = (width - line.design_w).max(0.0);
        let natural = match spec.align {
            Align::Left | Align::Justify => 0.0,
            Align::Center => room / 2.0,
            Align::Right => room,
        }
        .round() as i32;
        let (Some(w), Some(ink)) = (fit_w, line.ink) else {
            shift(line, natural);
            continue;
        };
        if ink[2] - ink[0] > w {
            // Wider than the box (unwrapped, or one letter wider than the
            // line): starts at its left edge; drawing leaves out the
            // letters past the right one.
            shift(line, -ink[0]);
            continue;
        }
        shift(line, natural.clamp(-ink[0], w - ink[2]));
        if spec.align == Align::Justify && line.broken && !line.blanks.is_empty() {
            justify(line, w);
        }
    }
}

/// Spread the room between a line's pixels and the box's right edge over
/// its word spaces, whole pixels each.
fn justify(line: &mut Line, w: i32) {
    let Some(ink) = line.ink else { return };
    let room = w - ink[2];
    if room <= 0 || line.blanks.is_empty() {
        return;
    }
    let n = line.blanks.len() as i32;
    let mut extra = 0;
    let mut next = line.blanks.iter().enumerate().peekable();
    for (i, g) in line.glyphs.iter_mut().enumerate() {
        // A space widens: every glyph after it moves.
        while let Some((k, _)) = next.next_if(|(_, b)| **b < i) {
            // The first `room % n` spaces take one pixel more.
            extra += room / n + i32::from((k as i32) < room % n);
        }
        g.shift(extra, 0);
    }
    line.advance += extra;
    line.ink = line.glyphs.iter().fold(None, |a, g| union(a, g.ink));
}
