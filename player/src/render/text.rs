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
    Attrs, Buffer, CacheKey, Family, FontSystem, Hinting, Metrics, Shaping, SwashCache, SwashContent, Weight, Wrap,
    fontdb,
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
    /// Wrap width; `None` for a single unbounded line (tickers).
    pub width: Option<f32>,
    pub wrap: bool,
}

/// Where a text buffer goes: its top-left corner in target pixels (whole
/// pixels), its colour, and the visible area [x0, y0, x1, y1].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub x: f32,
    pub y: f32,
    pub color: Color,
    pub clip: [f32; 4],
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
/// Room between glyphs so filtering never reads a neighbour.
const PAD: u32 = 1;

/// Shaping state and the glyph atlas, shared by all content.
pub struct TextSystem {
    pub fonts: FontSystem,
    swash: SwashCache,
    atlas: Option<Atlas>,
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
        // Hinting snaps advances to whole pixels: crisp stems on LED boards,
        // and text that moves by whole pixels looks the same everywhere.
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
            Align::Left => cosmic_text::Align::Left,
            Align::Center => cosmic_text::Align::Center,
            Align::Right => cosmic_text::Align::Right,
            Align::Justify => cosmic_text::Align::Justified,
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

    /// Quads for the glyphs of `buf` placed by `at`.
    pub(crate) fn quads(
        &mut self,
        gpu: &Gpu,
        quads: &QuadPipeline,
        buf: &Buffer,
        at: Placement,
        mut emit: impl FnMut(&wgpu::BindGroup, QuadInstance),
    ) {
        let Placement { x, y, color, clip } = at;
        let tint = color.to_f32();
        for run in buf.layout_runs() {
            if y + run.line_top > clip[3] || y + run.line_top + run.line_height < clip[1] {
                continue;
            }
            for g in run.glyphs {
                let pg = g.physical((x, y), 1.0);
                // Cheap reject before rasterising: glyphs are at most about
                // one em wide.
                let gx = pg.x as f32;
                if gx > clip[2] || gx + g.w + g.font_size < clip[0] {
                    continue;
                }
                let Some(gl) = self.glyph(gpu, quads, pg.cache_key) else {
                    continue;
                };
                let Some(atlas) = &self.atlas else { continue };
                let (tex, aw, ah) = (&atlas.tex, atlas.w as f32, atlas.h as f32);
                let left = (pg.x + gl.left) as f32;
                let top = ((run.line_y).round() as i32 + pg.y - gl.top) as f32;
                if left > clip[2] || left + gl.w as f32 <= clip[0] || top > clip[3] || top + gl.h as f32 <= clip[1] {
                    continue;
                }
                emit(
                    &tex.bind,
                    QuadInstance {
                        rect: [left, top, gl.w as f32, gl.h as f32],
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
