//! QR codes (e.g. a link to the commune's portal), drawn with whole-pixel
//! modules so phones read them even on coarse LED boards.

use super::{CachedText, paint_unavailable};
use crate::render::text::TextSpec;
use crate::render::{Filter, Painter, RectF, Renderer, Tex};
use bangtin_layouts::{Align, Color, ItemKind, QrEc};
use qrcode::{EcLevel, QrCode};

/// Light modules around the code, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

#[derive(Debug)]
pub struct QrContent {
    caption: Option<String>,
    fg: Color,
    caption_size: f32,
    /// The code with its quiet zone, one texel per module.
    tex: Result<(Tex, usize), String>,
    label: CachedText,
    caption_buf: CachedText,
}

/// Encode `data` into a square of modules (true = dark), quiet zone included.
pub fn modules(data: &str, ec: QrEc) -> Result<(Vec<bool>, usize), String> {
    let ec = match ec {
        QrEc::L => EcLevel::L,
        QrEc::M => EcLevel::M,
        QrEc::Q => EcLevel::Q,
        QrEc::H => EcLevel::H,
    };
    let code = QrCode::with_error_correction_level(data.as_bytes(), ec)
        .map_err(|e| format!("không tạo được mã QR: {e} (cannot encode QR code)"))?;
    let w = code.width();
    let total = w + 2 * QUIET_ZONE;
    let colors = code.into_colors();
    let mut out = vec![false; total * total];
    for y in 0..w {
        for x in 0..w {
            out[(y + QUIET_ZONE) * total + x + QUIET_ZONE] = colors[y * w + x] == qrcode::Color::Dark;
        }
    }
    Ok((out, total))
}

impl QrContent {
    pub fn new(kind: &ItemKind, r: &Renderer) -> Self {
        let ItemKind::Qr {
            data,
            caption,
            fg,
            bg,
            caption_size,
            ec,
        } = kind
        else {
            unreachable!("QrContent::new is only called for QR items")
        };
        let tex = modules(data, *ec).map(|(m, n)| {
            let px: Vec<u8> = m
                .iter()
                .flat_map(|dark| {
                    let c = if *dark { *fg } else { *bg };
                    [c.r, c.g, c.b, 255]
                })
                .collect();
            (r.texture(n as u32, n as u32, &px, Filter::Nearest, "qr"), n)
        });
        if let Err(e) = &tex {
            tracing::error!("{e}");
        }
        QrContent {
            caption: caption.clone(),
            fg: *fg,
            caption_size: *caption_size,
            tex,
            label: CachedText::default(),
            caption_buf: CachedText::default(),
        }
    }

    pub fn error(&self) -> Option<&str> {
        self.tex.as_ref().err().map(String::as_str)
    }

    pub fn paint(&mut self, p: &mut Painter, area: RectF) {
        let (tex, n) = match &self.tex {
            Ok((t, n)) => (t, *n),
            Err(_) => return paint_unavailable(p, area, &mut self.label),
        };
        let s = p.view.scale;
        let gap = area.h.min(area.w) * 0.03;
        // The caption on one line across the zone, smaller if it is wider.
        let caption = self.caption.clone().map(|c| {
            let spec = |size: f32| TextSpec {
                size: size.max(1.0),
                line_height: 1.3,
                bold: false,
                align: Align::Center,
                width: Some(area.w * s),
                wrap: false,
            };
            let ts = p.text_system();
            let mut size = self.caption_size * s;
            if self.caption_buf.get(ts, &c, spec(size)).width() > area.w * s {
                let (mut lo, mut hi) = (0.0f32, size);
                for _ in 0..12 {
                    let mid = (lo + hi) / 2.0;
                    if self.caption_buf.get(ts, &c, spec(mid)).width() <= area.w * s {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                size = lo;
            }
            let h = self.caption_buf.get(ts, &c, spec(size)).height() / s;
            (c, spec(size), h)
        });
        let caption_h = caption.as_ref().map_or(0.0, |(_, _, h)| h + gap);
        let avail = area.w.min(area.h - caption_h).max(1.0);
        // Whole target pixels per module where at least one fits.
        let module_px = ((avail * s) / n as f32).floor().max(1.0);
        let side = if module_px * n as f32 <= avail * s {
            module_px * n as f32 / s
        } else {
            avail
        };
        let x = (area.x + (area.w - side) / 2.0).round();
        let y = (area.y + (area.h - side - caption_h) / 2.0).round();
        p.image(tex, RectF::new(x, y, side, side), [0.0, 0.0, 1.0, 1.0], 1.0);
        if let Some((c, spec, _)) = caption {
            let buf = self.caption_buf.get(p.text_system(), &c, spec);
            p.text(area, &[(buf, area.x, y + side + gap, self.fg)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_with_quiet_zone() {
        let (m, n) = modules("https://dinhhoa.thainguyen.gov.vn", QrEc::M).unwrap();
        assert_eq!(m.len(), n * n);
        // Version 3 (29 modules) plus 4 on each side.
        assert_eq!(n, 29 + 8);
        // Quiet zone is light, finder pattern corner is dark.
        assert!(!m[0]);
        assert!(m[QUIET_ZONE * n + QUIET_ZONE]);
    }

    #[test]
    fn refuses_oversized_data() {
        assert!(modules(&"x".repeat(5000), QrEc::M).is_err());
    }
}
