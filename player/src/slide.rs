//! Scrolling by copying: a ticker in its steady state is a fixed picture
//! that repeats every `period` pixels and slides sideways. On a software
//! GPU, redrawing its band 60 times a second costs ~5 ms of CPU a frame;
//! sliding a strip we rendered once costs a memcpy. The strip is cut from
//! frames the GPU rendered, so every pixel is one the renderer drew.

use crate::render::View;
use crate::scene::{Scene, Sliding};
use anyhow::Result;

/// One period of a sliding band, 4 bytes per pixel in the target's order.
#[derive(Debug, Clone)]
pub struct Strip {
    pub period: u32,
    pub height: u32,
    /// `period × height` pixels; pixel (u, y) is the band pixel at
    /// x ≡ x0 + u (mod period).
    px: Vec<u8>,
    covered: Vec<bool>,
}

impl Strip {
    pub fn new(period: u32, height: u32) -> Strip {
        Strip {
            period,
            height,
            px: vec![0; period as usize * height as usize * 4],
            covered: vec![false; period as usize],
        }
    }

    fn u_of(&self, x: i64, x0: i64) -> usize {
        (x - x0).rem_euclid(i64::from(self.period)) as usize
    }

    /// Learn from a rendered band `w` pixels wide whose copy starts at `x0`
    /// (band coordinates). `row(y)` gives the band's rows.
    pub fn learn<'a>(&mut self, w: u32, x0: i64, mut row: impl FnMut(usize) -> &'a [u8]) {
        let p = self.period as usize;
        for y in 0..self.height as usize {
            let src = row(y);
            for x in 0..w as usize {
                let u = self.u_of(x as i64, x0);
                let d = (y * p + u) * 4;
                self.px[d..d + 4].copy_from_slice(&src[x * 4..x * 4 + 4]);
            }
        }
        let n = (w as usize).min(p);
        for x in 0..n {
            let u = self.u_of(x as i64, x0);
            self.covered[u] = true;
        }
    }

    /// Every column of the period has been seen.
    pub fn complete(&self) -> bool {
        self.covered.iter().all(|c| *c)
    }

    /// Write the band (`w` × height, rows tightly packed) for a copy starting
    /// at `x0`.
    pub fn compose(&self, w: u32, x0: i64, out: &mut [u8]) {
        let p = self.period as usize;
        let w = w as usize;
        let u0 = self.u_of(0, x0);
        for y in 0..self.height as usize {
            let src = &self.px[y * p * 4..(y + 1) * p * 4];
            let dst = &mut out[y * w * 4..(y + 1) * w * 4];
            let mut x = 0;
            let mut u = u0;
            while x < w {
                let n = (p - u).min(w - x);
                dst[x * 4..(x + n) * 4].copy_from_slice(&src[u * 4..(u + n) * 4]);
                x += n;
                u = 0;
            }
        }
    }
}

/// Where copy 0 starts in a band drawn with `band` (a crop view): the same
/// arithmetic the painter uses, so strip and renderer agree to the pixel.
pub fn band_x0(band: &View, s: &Sliding) -> i64 {
    band.x(s.x0 as f32).round() as i64
}

/// Strip period in target pixels, if whole (it is at scale 1: hinted
/// advances are whole pixels); otherwise sliding cannot be exact.
pub fn period_px(view: &View, s: &Sliding) -> Option<u32> {
    let p = s.period * f64::from(view.scale);
    ((p - p.round()).abs() < 1e-3 && p >= 1.0).then(|| p.round() as u32)
}

/// The instants at which to render bands of zone `zi` (sliding at `t`) so
/// that together they show a whole period: each step moves the text by one
/// band width. Empty when the zone stops sliding before that.
pub fn plan(scene: &Scene, zi: usize, t: f64, band: &View) -> Vec<(f64, Sliding)> {
    let Some(s0) = scene.sliding(zi, t) else {
        return Vec::new();
    };
    let Some(p) = period_px(band, &s0) else {
        return Vec::new();
    };
    let step = f64::from(band.size[0]) / f64::from(band.scale) / s0.velocity.abs();
    let needed = p.div_ceil(band.size[0].max(1)) as usize + 1;
    let plan: Vec<(f64, Sliding)> = (0..needed.min(64))
        .map(|j| t + j as f64 * step)
        .map_while(|tj| scene.sliding(zi, tj).filter(|s| s.run == s0.run).map(|s| (tj, s)))
        .collect();
    if plan.len() < needed.min(64) { Vec::new() } else { plan }
}

/// Build a strip from bands rendered by `render(t, band)` at the planned
/// instants. `None` if they did not cover a period.
pub fn build(
    plan: &[(f64, Sliding)],
    band: View,
    mut render: impl FnMut(f64, &View) -> Result<Vec<u8>>,
) -> Result<Option<Strip>> {
    let Some((_, s0)) = plan.first() else { return Ok(None) };
    let Some(p) = period_px(&band, s0) else { return Ok(None) };
    let [w, h] = band.size;
    let mut strip = Strip::new(p, h);
    let row = w as usize * 4;
    for (tj, s) in plan {
        let px = render(*tj, &band)?;
        strip.learn(w, band_x0(&band, s), |y| &px[y * row..(y + 1) * row]);
        if strip.complete() {
            return Ok(Some(strip));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A band of a periodic pattern (value = (x - x0) mod p) composes back
    /// exactly, learnt from two narrow bands.
    #[test]
    fn learns_a_period_wider_than_the_band_and_composes_it() {
        let (p, h, w) = (7u32, 2u32, 5u32);
        let band = |x0: i64| -> Vec<u8> {
            let mut v = vec![0u8; (w * h * 4) as usize];
            for y in 0..h as usize {
                for x in 0..w as usize {
                    let u = (x as i64 - x0).rem_euclid(p as i64) as u8;
                    v[(y * w as usize + x) * 4..][..4].copy_from_slice(&[u, y as u8, 0, 255]);
                }
            }
            v
        };
        let mut s = Strip::new(p, h);
        let b1 = band(3);
        s.learn(w, 3, |y| &b1[y * (w * 4) as usize..(y + 1) * (w * 4) as usize]);
        assert!(!s.complete());
        let b2 = band(-2);
        s.learn(w, -2, |y| &b2[y * (w * 4) as usize..(y + 1) * (w * 4) as usize]);
        assert!(s.complete());
        for x0 in [-20i64, -1, 0, 4, 13] {
            let mut out = vec![0u8; (w * h * 4) as usize];
            s.compose(w, x0, &mut out);
            assert_eq!(out, band(x0), "x0 = {x0}");
        }
    }
}
