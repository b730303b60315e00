//! Pictures: PNG, JPEG, WebP — fit, fill or stretch.

use super::{CachedText, paint_unavailable};
use crate::render::{Filter, Painter, RectF, Renderer, Tex};
use bangtin_layouts::{Fit, MediaRef};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbaImage, imageops::FilterType};

/// Pictures larger than this on a side are refused: a board has no use for
/// them and decoding one could exhaust a small board's memory.
pub const MAX_PICTURE_SIDE: u32 = 16_384;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug)]
enum State {
    Ready {
        tex: Tex,
        /// Size of the original picture (after EXIF rotation).
        w: u32,
        h: u32,
    },
    Failed(String),
}

#[derive(Debug)]
pub struct ImageContent {
    fit: Fit,
    state: State,
    label: CachedText,
}

/// Decode a picture file, whatever its name says, turned upright per EXIF.
pub fn decode(path: &std::path::Path) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::open(path)
        .map_err(|e| format!("không mở được tệp ảnh {}: {e} (cannot open picture)", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("không đọc được tệp ảnh {}: {e} (cannot read picture)", path.display()))?;
    if reader.format().is_none() {
        return Err(format!(
            "{} không phải ảnh PNG, JPEG hay WebP (not a PNG, JPEG or WebP picture)",
            path.display()
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PICTURE_SIDE);
    limits.max_image_height = Some(MAX_PICTURE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("ảnh {} hỏng hoặc quá lớn: {e} (corrupt or too large)", path.display()))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|e| format!("ảnh {} hỏng: {e} (corrupt picture)", path.display()))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Where a `w`×`h` picture goes inside `area`, and which part of it (uv).
pub fn place(fit: Fit, w: u32, h: u32, area: RectF) -> (RectF, [f32; 4]) {
    let (iw, ih) = (w as f32, h as f32);
    match fit {
        Fit::Stretch => (area, [0.0, 0.0, 1.0, 1.0]),
        Fit::Fit => {
            let s = (area.w / iw).min(area.h / ih);
            let (dw, dh) = (iw * s, ih * s);
            (
                RectF::new(area.x + (area.w - dw) / 2.0, area.y + (area.h - dh) / 2.0, dw, dh),
                [0.0, 0.0, 1.0, 1.0],
            )
        }
        Fit::Fill => {
            let s = (area.w / iw).max(area.h / ih);
            let (uw, uh) = (area.w / (iw * s), area.h / (ih * s));
            (
                area,
                [(1.0 - uw) / 2.0, (1.0 - uh) / 2.0, (1.0 + uw) / 2.0, (1.0 + uh) / 2.0],
            )
        }
    }
}

/// Shrink a picture to what it will cover on screen (never enlarge): a
/// 24-megapixel photo on a 384×192 board should cost 300 KB, not 96 MB.
fn shrink_for(img: RgbaImage, fit: Fit, area: RectF, scale: f32, max_side: u32) -> RgbaImage {
    let (w, h) = img.dimensions();
    let (dst, uv) = place(fit, w, h, area);
    // Pixels of the picture that land on screen, per axis.
    let shown_w = (uv[2] - uv[0]) * w as f32;
    let shown_h = (uv[3] - uv[1]) * h as f32;
    let sx = (dst.w * scale / shown_w).min(1.0);
    let sy = (dst.h * scale / shown_h).min(1.0);
    let limit = (max_side as f32 / w.max(h) as f32).min(1.0);
    let (sx, sy) = (sx.min(limit), sy.min(limit));
    if sx > 0.8 && sy > 0.8 && limit >= 1.0 {
        return img;
    }
    let nw = ((w as f32 * sx).round() as u32).max(1);
    let nh = ((h as f32 * sy).round() as u32).max(1);
    image::imageops::resize(&img, nw, nh, FilterType::Triangle)
}

impl ImageContent {
    pub fn load(src: &MediaRef, fit: Fit, area: RectF, scale: f32, r: &Renderer) -> Self {
        let state = match decode(&src.path) {
            Ok(img) => {
                let (w, h) = (img.width(), img.height());
                let rgba = shrink_for(img.into_rgba8(), fit, area, scale, r.gpu.max_texture_side());
                let tex = r.texture(rgba.width(), rgba.height(), rgba.as_raw(), Filter::Linear, &src.written);
                State::Ready { tex, w, h }
            }
            Err(e) => {
                tracing::error!("{e}; vùng sẽ hiện khung trung tính (the zone shows a neutral panel)");
                State::Failed(e)
            }
        };
        ImageContent {
            fit,
            state,
            label: CachedText::default(),
        }
    }

    pub fn error(&self) -> Option<&str> {
        match &self.state {
            State::Failed(e) => Some(e),
            State::Ready { .. } => None,
        }
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF) {
        match &self.state {
            State::Ready { tex, w, h } => {
                let (dst, uv) = place(self.fit, *w, *h, area);
                p.image(tex, dst, uv, 1.0);
            }
            State::Failed(_) => paint_unavailable(p, area, &mut self.label),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_letterboxes_and_fill_crops() {
        let area = RectF::new(0.0, 0.0, 400.0, 200.0);
        let (dst, uv) = place(Fit::Fit, 100, 100, area);
        assert_eq!((dst.x, dst.w, dst.h), (100.0, 200.0, 200.0));
        assert_eq!(uv, [0.0, 0.0, 1.0, 1.0]);
        let (dst, uv) = place(Fit::Fill, 100, 100, area);
        assert_eq!(dst, area);
        assert_eq!(uv, [0.0, 0.25, 1.0, 0.75]);
        let (dst, _) = place(Fit::Stretch, 100, 100, area);
        assert_eq!(dst, area);
    }

    #[test]
    fn big_pictures_shrink_to_what_the_zone_shows() {
        let img = RgbaImage::new(4000, 3000);
        let small = shrink_for(img, Fit::Fit, RectF::new(0.0, 0.0, 384.0, 192.0), 1.0, 8192);
        assert_eq!(small.dimensions(), (256, 192));
    }
}
