//! The GPU renderer: long-lived pipelines, per-frame data.
//!
//! A frame is painted in two steps, as glyphon and re_renderer do: content
//! modules first *prepare* — they push rectangles and text through a
//! [`Painter`], which uploads glyphs and collects draw commands — then
//! [`Renderer::render`] records the passes that only replay those commands.
//! The renderer knows nothing of playlists or networks; it draws what the
//! scene tells it, in board coordinates mapped onto any target by a [`View`].

mod quad;
pub mod text;
pub mod texture;
pub mod yuv;

pub use quad::QuadInstance;
pub use text::{TextBlock, TextSystem};
pub use texture::{Filter, Tex};
pub use yuv::YuvTex;

use crate::gpu::Gpu;
use bangtin_layouts::{Color, Rect};
use std::ops::Range;
use std::sync::Arc;

/// How the picture is turned on the output, clockwise, for screens hung
/// portrait (or upside down) whose output stays landscape: the frame is
/// painted upright at the turned size and the last pass turns it onto the
/// target (the vertex shader and the scissor), at no extra cost per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    #[default]
    None,
    /// A quarter turn clockwise: the board's top is on the output's right.
    Cw90,
    Half,
    /// A quarter turn counter-clockwise: the board's top is on the output's left.
    Cw270,
}

impl Rotation {
    /// From degrees clockwise: 0, 90, 180 or 270.
    pub fn from_degrees(d: u32) -> Option<Rotation> {
        match d {
            0 => Some(Rotation::None),
            90 => Some(Rotation::Cw90),
            180 => Some(Rotation::Half),
            270 => Some(Rotation::Cw270),
            _ => None,
        }
    }

    pub fn degrees(self) -> u32 {
        self.quarters() * 90
    }

    fn quarters(self) -> u32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 1,
            Rotation::Half => 2,
            Rotation::Cw270 => 3,
        }
    }

    /// Width and height trade places.
    pub fn swaps(self) -> bool {
        matches!(self, Rotation::Cw90 | Rotation::Cw270)
    }

    /// The upright size painted for an output of size `out` (and back).
    pub fn turn_size(self, out: [u32; 2]) -> [u32; 2] {
        if self.swaps() { [out[1], out[0]] } else { out }
    }

    /// Where the upright rectangle `c` of a `size` frame lands on the output.
    pub fn clip_on_output(self, c: Clip, size: [u32; 2]) -> Clip {
        let [w, h] = size;
        match self {
            Rotation::None => c,
            Rotation::Cw90 => Clip {
                x: h - (c.y + c.h),
                y: c.x,
                w: c.h,
                h: c.w,
            },
            Rotation::Half => Clip {
                x: w - (c.x + c.w),
                y: h - (c.y + c.h),
                w: c.w,
                h: c.h,
            },
            Rotation::Cw270 => Clip {
                x: c.y,
                y: w - (c.x + c.w),
                w: c.h,
                h: c.w,
            },
        }
    }
}

/// How board coordinates map onto the target: `target = board * scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub scale: f32,
    pub offset: [f32; 2],
    /// Target size in pixels, upright (before `rotation`).
    pub size: [u32; 2],
    /// Colour outside the board (letterbox).
    pub clear: Color,
    /// How the finished frame is turned onto the target.
    pub rotation: Rotation,
}

impl View {
    /// The board drawn 1:1 on a target of its own size.
    pub fn identity(w: u32, h: u32) -> View {
        View {
            scale: 1.0,
            offset: [0.0, 0.0],
            size: [w, h],
            clear: Color::BLACK,
            rotation: Rotation::None,
        }
    }

    /// The board scaled to fit a target, centred, letterboxed.
    pub fn fit(board: [u32; 2], target: [u32; 2]) -> View {
        let s = (target[0] as f32 / board[0] as f32).min(target[1] as f32 / board[1] as f32);
        View {
            scale: s,
            offset: [
                ((target[0] as f32 - board[0] as f32 * s) / 2.0).round(),
                ((target[1] as f32 - board[1] as f32 * s) / 2.0).round(),
            ],
            size: target,
            clear: Color::BLACK,
            rotation: Rotation::None,
        }
    }

    /// The board fitted onto an output turned by `rotation` (identity when
    /// the board is the upright output's size).
    pub fn fit_turned(board: [u32; 2], output: [u32; 2], rotation: Rotation) -> View {
        let upright = rotation.turn_size(output);
        let v = if board == upright {
            View::identity(board[0], board[1])
        } else {
            View::fit(board, upright)
        };
        View { rotation, ..v }
    }

    /// The part `crop` (in board pixels) of an identity view, for damage
    /// redraws: the target is `crop`'s size.
    pub fn crop(crop: Rect) -> View {
        View {
            scale: 1.0,
            offset: [-(crop.x as f32), -(crop.y as f32)],
            size: [crop.w, crop.h],
            clear: Color::BLACK,
            rotation: Rotation::None,
        }
    }

    pub fn x(&self, bx: f32) -> f32 {
        bx * self.scale + self.offset[0]
    }
    pub fn y(&self, by: f32) -> f32 {
        by * self.scale + self.offset[1]
    }

    /// A board rectangle in target pixels, snapped to whole pixels and
    /// clipped to the target; `None` if nothing of it is visible.
    pub fn clip_of(&self, r: RectF) -> Option<Clip> {
        let x0 = self.x(r.x).round().max(0.0);
        let y0 = self.y(r.y).round().max(0.0);
        let x1 = self.x(r.x + r.w).round().min(self.size[0] as f32);
        let y1 = self.y(r.y + r.h).round().min(self.size[1] as f32);
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        Some(Clip {
            x: x0 as u32,
            y: y0 as u32,
            w: (x1 - x0) as u32,
            h: (y1 - y0) as u32,
        })
    }
}

/// A rectangle in board coordinates, fractional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RectF {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl RectF {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        RectF { x, y, w, h }
    }
    pub fn inset(&self, d: f32) -> RectF {
        let d = d.min(self.w / 2.0).min(self.h / 2.0);
        RectF::new(self.x + d, self.y + d, self.w - 2.0 * d, self.h - 2.0 * d)
    }
}

impl From<Rect> for RectF {
    fn from(r: Rect) -> Self {
        RectF::new(r.x as f32, r.y as f32, r.w as f32, r.h as f32)
    }
}

/// A scissor rectangle in target pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clip {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Clip {
    fn intersect(&self, o: &Clip) -> Option<Clip> {
        let x0 = self.x.max(o.x);
        let y0 = self.y.max(o.y);
        let x1 = (self.x + self.w).min(o.x + o.w);
        let y1 = (self.y + self.h).min(o.y + o.h);
        (x1 > x0 && y1 > y0).then(|| Clip {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        })
    }
    fn overlaps(&self, o: &Clip) -> bool {
        self.intersect(o).is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blend {
    /// Ordinary content: straight alpha.
    Straight,
    /// Compositing an offscreen layer, whose colours are premultiplied.
    Premultiplied,
    /// A video picture's planes, converted to RGB in the shader; straight
    /// alpha (the picture is opaque, the instance colour fades it).
    Yuv,
}

#[derive(Debug)]
enum Cmd {
    Quads {
        bind: wgpu::BindGroup,
        blend: Blend,
        range: Range<u32>,
        clip: Clip,
    },
}

/// An offscreen target the size of the frame, for crossfades: the incoming
/// item is drawn here, then composited over the outgoing one with its
/// opacity, so the blend is exactly that of the two finished pictures.
#[derive(Debug)]
struct Layer {
    tex: Tex,
    cmds: Vec<Cmd>,
    used: Vec<Clip>,
}

/// Long-lived GPU state: pipelines, glyph atlas, buffers.
pub struct Renderer {
    pub gpu: Arc<Gpu>,
    pub format: wgpu::TextureFormat,
    quads: quad::QuadPipeline,
    pub text: TextSystem,
    white: Tex,
    instances: Vec<QuadInstance>,
    instance_buf: wgpu::Buffer,
    main_cmds: Vec<Cmd>,
    /// This frame only repaints damage: load, do not clear, the target.
    keep: bool,
    /// Clear colour of this frame's main pass (see [`Painter::fill`]).
    clear: Color,
    layers: Vec<Layer>,
    layers_used: usize,
    /// Clip text to its box (and zone) with the scissor; always on, except
    /// in tests that show where text would go without it: laid out to fit
    /// (and with what does not fit left out whole), text needs no clip to
    /// stay inside, the clip only makes sure of it.
    pub clip_text: bool,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// `format`: the target's. Non-sRGB formats are preferred (see DESIGN §6).
    pub fn new(gpu: Arc<Gpu>, format: wgpu::TextureFormat) -> Self {
        let quads = quad::QuadPipeline::new(&gpu.device, format);
        let text = TextSystem::new();
        let white = Tex::from_rgba(&gpu, &quads, 1, 1, &[255, 255, 255, 255], Filter::Linear, "white");
        let instance_buf = quad::instance_buffer(&gpu.device, 256);
        Renderer {
            gpu,
            format,
            quads,
            text,
            white,
            instances: Vec::new(),
            instance_buf,
            main_cmds: Vec::new(),
            keep: false,
            clear: Color::BLACK,
            layers: Vec::new(),
            layers_used: 0,
            clip_text: true,
        }
    }

    /// Textures for `w`×`h` video pictures shown turned by `rotation`.
    pub fn video_texture(&self, w: u32, h: u32, rotation: u16) -> YuvTex {
        YuvTex::new(&self.gpu, &self.quads, w, h, rotation)
    }

    /// Upload an RGBA8 picture as a texture the painter can draw.
    pub fn texture(&self, w: u32, h: u32, rgba: &[u8], filter: Filter, label: &str) -> Tex {
        Tex::from_rgba(&self.gpu, &self.quads, w, h, rgba, filter, label)
    }

    /// Start painting a frame for `view`.
    pub fn painter(&mut self, view: View) -> Painter<'_> {
        self.painter_in(view, None)
    }

    /// Start painting only `damage` (target pixels) of a frame whose other
    /// pixels the target already holds: the pass keeps the target's content
    /// and nothing outside `damage` is drawn.
    pub fn painter_in(&mut self, view: View, damage: Option<Clip>) -> Painter<'_> {
        self.keep = damage.is_some();
        self.instances.clear();
        self.main_cmds.clear();
        self.clear = view.clear;
        for l in &mut self.layers {
            l.cmds.clear();
            l.used.clear();
        }
        self.layers_used = 0;
        let whole = Clip {
            x: 0,
            y: 0,
            w: view.size[0],
            h: view.size[1],
        };
        let full = damage.and_then(|d| d.intersect(&whole)).unwrap_or(whole);
        Painter {
            r: self,
            view,
            clip: full,
            full,
            target: None,
        }
    }

    /// Record and submit the frame painted since [`Renderer::painter`] into `target`.
    pub fn render(&mut self, target: &wgpu::TextureView, view: &View) {
        let gpu = self.gpu.clone();
        let bytes: &[u8] = bytemuck::cast_slice(&self.instances);
        if bytes.len() as u64 > self.instance_buf.size() {
            self.instance_buf = quad::instance_buffer(&gpu.device, self.instances.len().next_power_of_two());
        }
        if !bytes.is_empty() {
            gpu.queue.write_buffer(&self.instance_buf, 0, bytes);
        }
        self.quads.set_params(&gpu.queue, view.size, view.rotation);
        let mut enc = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        for layer in &self.layers[..self.layers_used] {
            let mut pass = begin_pass(&mut enc, &layer.tex.view, Some(wgpu::Color::TRANSPARENT), "layer");
            self.replay(&mut pass, &layer.cmds, None);
        }
        {
            let c = self.clear.to_f32();
            let clear = wgpu::Color {
                r: f64::from(c[0]),
                g: f64::from(c[1]),
                b: f64::from(c[2]),
                a: 1.0,
            };
            let mut pass = begin_pass(&mut enc, target, (!self.keep).then_some(clear), "main");
            self.replay(&mut pass, &self.main_cmds, Some(view));
        }
        gpu.queue.submit([enc.finish()]);
    }

    /// `main`: the frame's view when replaying onto the target (turned by
    /// its rotation); `None` for the upright offscreen layers.
    fn replay(&self, pass: &mut wgpu::RenderPass<'_>, cmds: &[Cmd], main: Option<&View>) {
        for c in cmds {
            match c {
                Cmd::Quads {
                    bind,
                    blend,
                    range,
                    clip,
                } => {
                    let clip = main.map_or(*clip, |v| v.rotation.clip_on_output(*clip, v.size));
                    pass.set_scissor_rect(clip.x, clip.y, clip.w, clip.h);
                    self.quads
                        .draw(pass, main.is_some(), *blend, bind, &self.instance_buf, range.clone());
                }
            }
        }
    }

    fn layer_for(&mut self, clip: Clip, size: [u32; 2]) -> usize {
        if let Some(i) = self.layers[..self.layers_used]
            .iter()
            .position(|l| l.used.iter().all(|u| !u.overlaps(&clip)))
        {
            self.layers[i].used.push(clip);
            return i;
        }
        let i = self.layers_used;
        self.layers_used += 1;
        let fits = self.layers.get(i).is_some_and(|l| [l.tex.width, l.tex.height] == size);
        if !fits {
            let tex = Tex::render_target(&self.gpu, &self.quads, size[0], size[1], self.format, "crossfade layer");
            let layer = Layer {
                tex,
                cmds: Vec::new(),
                used: Vec::new(),
            };
            if i < self.layers.len() {
                self.layers[i] = layer;
            } else {
                self.layers.push(layer);
            }
        }
        self.layers[i].used.push(clip);
        i
    }
}

fn begin_pass<'e>(
    enc: &'e mut wgpu::CommandEncoder,
    view: &wgpu::TextureView,
    clear: Option<wgpu::Color>,
    label: &str,
) -> wgpu::RenderPass<'e> {
    enc.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: clear.map_or(wgpu::LoadOp::Load, wgpu::LoadOp::Clear),
                store: wgpu::StoreOp::Store,
            },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

/// What content modules draw with during a frame. Coordinates are board
/// pixels; the painter maps them through the frame's [`View`].
pub struct Painter<'r> {
    r: &'r mut Renderer,
    pub view: View,
    clip: Clip,
    full: Clip,
    /// `Some(layer)` while painting an incoming crossfade item.
    target: Option<usize>,
}

impl std::fmt::Debug for Painter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Painter")
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl Painter<'_> {
    pub fn text_system(&mut self) -> &mut TextSystem {
        &mut self.r.text
    }

    pub fn renderer(&self) -> &Renderer {
        self.r
    }

    /// Restrict drawing to `r` (board pixels). Returns false if `r` is not
    /// visible in this frame at all, so the caller can skip it.
    pub fn set_clip(&mut self, r: RectF) -> bool {
        match self.view.clip_of(r).and_then(|c| c.intersect(&self.full)) {
            Some(c) => {
                self.clip = c;
                true
            }
            None => false,
        }
    }

    pub fn clip(&self) -> Clip {
        self.clip
    }

    fn cmds(&mut self) -> &mut Vec<Cmd> {
        match self.target {
            Some(l) => &mut self.r.layers[l].cmds,
            None => &mut self.r.main_cmds,
        }
    }

    fn push_quad(&mut self, bind: &wgpu::BindGroup, blend: Blend, inst: QuadInstance) {
        let i = self.r.instances.len() as u32;
        self.r.instances.push(inst);
        let clip = self.clip;
        let cmds = self.cmds();
        // Consecutive quads with the same texture and clip share one draw.
        if let Some(Cmd::Quads {
            bind: b,
            blend: bl,
            range,
            clip: c,
        }) = cmds.last_mut()
            && *b == *bind
            && *bl == blend
            && *c == clip
            && range.end == i
        {
            range.end = i + 1;
            return;
        }
        cmds.push(Cmd::Quads {
            bind: bind.clone(),
            blend,
            range: i..i + 1,
            clip,
        });
    }

    fn target_rect(&self, r: RectF) -> [f32; 4] {
        let x0 = self.view.x(r.x);
        let y0 = self.view.y(r.y);
        [x0, y0, self.view.x(r.x + r.w) - x0, self.view.y(r.y + r.h) - y0]
    }

    /// Fill a rectangle. Edges snap to whole target pixels, so adjacent
    /// zones never leave a hairline between them.
    pub fn fill(&mut self, r: RectF, color: Color) {
        if color.a == 0 {
            return;
        }
        let x0 = self.view.x(r.x).round();
        let y0 = self.view.y(r.y).round();
        let rect = [
            x0,
            y0,
            self.view.x(r.x + r.w).round() - x0,
            self.view.y(r.y + r.h).round() - y0,
        ];
        // An opaque fill of the whole target before anything else is drawn
        // is the clear colour: a software rasteriser clears almost for free
        // but pays ~10 ms for a 1080p quad.
        let whole = rect[0] <= 0.0
            && rect[1] <= 0.0
            && rect[0] + rect[2] >= self.view.size[0] as f32
            && rect[1] + rect[3] >= self.view.size[1] as f32;
        if whole && color.is_opaque() && self.target.is_none() && self.r.main_cmds.is_empty() && !self.r.keep {
            self.r.clear = color;
            return;
        }
        let white = self.r.white.bind.clone();
        self.push_quad(
            &white,
            Blend::Straight,
            QuadInstance {
                rect,
                uv: [-1.0; 4],
                color: color.to_f32(),
            },
        );
    }

    /// Draw `uv` (normalised) of a texture into `dst`, multiplied by `opacity`.
    pub fn image(&mut self, tex: &Tex, dst: RectF, uv: [f32; 4], opacity: f32) {
        let rect = self.target_rect(dst);
        self.push_quad(
            &tex.bind,
            Blend::Straight,
            QuadInstance {
                rect,
                uv,
                color: [1.0, 1.0, 1.0, opacity],
            },
        );
    }

    /// Draw `uv` (normalised, as displayed) of a video picture into `dst`.
    pub fn video(&mut self, tex: &YuvTex, dst: RectF, uv: [f32; 4], opacity: f32) {
        let rect = self.target_rect(dst);
        self.push_quad(
            &tex.bind,
            Blend::Yuv,
            QuadInstance {
                rect,
                uv,
                color: [1.0, 1.0, 1.0, opacity],
            },
        );
    }

    /// Draw laid-out text blocks inside `bounds` (board pixels), the box
    /// the text belongs in: nothing of them is drawn outside it, and no
    /// letter in part — a line that does not fit below the others, or a
    /// letter past the end of an unwrapped line, is left out whole. Each
    /// run is a block, the left edge of the box it was laid out for and
    /// the top of the area it takes ([`TextBlock::top`]), in board pixels;
    /// positions snap to whole target pixels for crisp glyphs at LED sizes.
    ///
    /// Text laid out to fit its box loses nothing here: a box of width `W`
    /// starting at `x` covers target columns `round(x)` to `round(x + W)`,
    /// which hold the `floor(W)` columns lines are fitted to, and likewise
    /// for rows.
    pub fn text(&mut self, bounds: RectF, runs: &[(&TextBlock, f32, f32, Color)]) {
        self.text_in(bounds, true, runs);
    }

    /// Draw text moving through `bounds` (a ticker): letters are cut at
    /// its edges as they enter and leave.
    pub fn moving_text(&mut self, bounds: RectF, runs: &[(&TextBlock, f32, f32, Color)]) {
        self.text_in(bounds, false, runs);
    }

    fn text_in(&mut self, bounds: RectF, whole: bool, runs: &[(&TextBlock, f32, f32, Color)]) {
        let clip = if self.r.clip_text {
            self.view.clip_of(bounds).and_then(|b| b.intersect(&self.clip))
        } else {
            Some(self.full)
        };
        let Some(c) = clip else { return };
        let visible = [c.x as f32, c.y as f32, (c.x + c.w) as f32, (c.y + c.h) as f32];
        // The box itself, not what is visible of it: a frame that repaints
        // only part of the box must leave out the very same letters.
        let whole = whole.then(|| {
            [
                self.view.x(bounds.x).round() as i32,
                self.view.y(bounds.y).round() as i32,
                self.view.x(bounds.x + bounds.w).round() as i32,
                self.view.y(bounds.y + bounds.h).round() as i32,
            ]
        });
        let mut glyphs: Vec<(wgpu::BindGroup, QuadInstance)> = Vec::new();
        let gpu = self.r.gpu.clone();
        for (block, x, y, color) in runs {
            let at = text::Placement {
                x: self.view.x(*x).round() as i32,
                y: self.view.y(*y).round() as i32 - block.top(),
                color: *color,
                clip: visible,
                whole,
            };
            self.r
                .text
                .quads(&gpu, &self.r.quads, block, at, |b, q| match glyphs.last() {
                    Some((last, _)) if last == b => glyphs.push((last.clone(), q)),
                    _ => glyphs.push((b.clone(), q)),
                });
        }
        let zone = self.clip;
        self.clip = c;
        for (b, q) in glyphs {
            self.push_quad(&b, Blend::Straight, q);
        }
        self.clip = zone;
    }

    /// Paint the incoming item of a crossfade: `paint` draws into an
    /// offscreen layer, which is then composited at `opacity` over what is
    /// already drawn in `zone`.
    pub fn crossfade_in(&mut self, zone: RectF, opacity: f32, paint: impl FnOnce(&mut Self)) {
        if self.target.is_some() {
            // Nested layers do not happen: zones do not contain zones.
            paint(self);
            return;
        }
        let clip = self.clip;
        let layer = self.r.layer_for(clip, self.view.size);
        self.target = Some(layer);
        paint(self);
        self.target = None;
        self.clip = clip;
        let bind = self.r.layers[layer].tex.bind.clone();
        let rect = self.target_rect(zone);
        let [w, h] = self.view.size.map(|v| v as f32);
        let o = opacity.clamp(0.0, 1.0);
        self.push_quad(
            &bind,
            Blend::Premultiplied,
            QuadInstance {
                rect,
                uv: [
                    rect[0] / w,
                    rect[1] / h,
                    (rect[0] + rect[2]) / w,
                    (rect[1] + rect[3]) / h,
                ],
                color: [o, o, o, o],
            },
        );
    }
}
