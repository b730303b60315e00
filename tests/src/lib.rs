//! Helpers for Bangtin's end-to-end and golden-image tests.
//!
//! Golden images follow wgpu's own tests: a frame is rendered (on lavapipe
//! in CI), compared with a reference PNG under `tests/golden/` with a
//! tolerance, and on failure `NAME-actual.png` and `NAME-difference.png` are
//! written beside the reference. `BANGTIN_BLESS=1` rewrites the references.
//!
//! [`harness`]: what the manager's and the player's own tests and benches
//! share (a dev-dependency on this crate). [`tools`]: the manager's load
//! tools, run by the `bangtin-load` binary.

pub mod harness;
pub mod tools;

use bangtin_layouts::{Layout, load_layout, parse_layout};
use bangtin_player::{At, FrameRequest, Gpu, Headless};
use image::{Rgba, RgbaImage};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub fn golden_dir() -> PathBuf {
    root().join("tests").join("golden")
}

pub fn scenes_dir() -> PathBuf {
    root().join("tests").join("scenes")
}

/// One GPU for the whole test binary; renders are serialised through it.
pub fn headless() -> std::sync::MutexGuard<'static, Headless> {
    static H: OnceLock<Mutex<Headless>> = OnceLock::new();
    H.get_or_init(|| {
        let gpu = Gpu::new(None).expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)");
        Mutex::new(Headless::new(Arc::new(gpu)))
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

pub fn instant(s: &str) -> At {
    s.parse().expect("valid instant")
}

/// Render `layout` at `at`.
pub fn render(layout: Layout, at: At) -> RgbaImage {
    let mut h = headless();
    bangtin_player::render_frame_with(
        &mut h,
        FrameRequest {
            layout,
            at,
            start: None,
            size: None,
        },
    )
    .expect("frame renders")
}

/// Load a layout from `tests/scenes/NAME.toml`.
pub fn scene(name: &str) -> Layout {
    load_layout(&scenes_dir().join(format!("{name}.toml"))).expect("scene parses")
}

/// Parse layout text whose media paths are relative to `tests/scenes/`.
pub fn layout_str(toml: &str) -> Layout {
    parse_layout(toml, Path::new("inline.toml"), &scenes_dir()).expect("inline layout parses")
}

/// How far two images may differ and still match.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// A pixel differs when any channel differs by more than this.
    pub channel: u8,
    /// At most this fraction of pixels may differ.
    pub fraction: f64,
}

/// Allows for rasteriser differences between GPUs (edge coverage, filter
/// rounding) but catches any misplaced, missing or wrongly coloured content.
pub const DEFAULT_TOLERANCE: Tolerance = Tolerance {
    channel: 24,
    fraction: 0.002,
};

/// Differing pixels and a visual difference image.
pub fn compare(a: &RgbaImage, b: &RgbaImage, tol: Tolerance) -> (usize, RgbaImage) {
    let mut diff = RgbaImage::new(a.width(), a.height());
    let mut n = 0;
    for (x, y, pa) in a.enumerate_pixels() {
        let pb = b.get_pixel(x, y);
        let d = (0..3).map(|c| pa[c].abs_diff(pb[c])).max().unwrap_or(0);
        if d > tol.channel {
            n += 1;
            diff.put_pixel(x, y, Rgba([255, 0, 255, 255]));
        } else {
            // Faded original, so the magenta stands out in context.
            let g = (u16::from(pa[0]) + u16::from(pa[1]) + u16::from(pa[2])) / 3;
            let g = (g / 3 + 170) as u8;
            diff.put_pixel(x, y, Rgba([g, g, g, 255]));
        }
    }
    (n, diff)
}

/// Compare `img` with `tests/golden/NAME.png`.
pub fn assert_golden(name: &str, img: &RgbaImage) {
    assert_golden_with(name, img, DEFAULT_TOLERANCE);
}

pub fn assert_golden_with(name: &str, img: &RgbaImage, tol: Tolerance) {
    let dir = golden_dir();
    let reference = dir.join(format!("{name}.png"));
    let actual = dir.join(format!("{name}-actual.png"));
    let difference = dir.join(format!("{name}-difference.png"));
    if std::env::var_os("BANGTIN_BLESS").is_some() {
        std::fs::create_dir_all(&dir).expect("golden dir");
        img.save(&reference).expect("write golden");
        let _ = std::fs::remove_file(&actual);
        let _ = std::fs::remove_file(&difference);
        return;
    }
    let want = match image::open(&reference) {
        Ok(i) => i.into_rgba8(),
        Err(e) => {
            img.save(&actual).expect("write actual");
            panic!(
                "no golden image {} ({e}); wrote {}. Check it and run with BANGTIN_BLESS=1 to accept.",
                reference.display(),
                actual.display()
            );
        }
    };
    if want.dimensions() != img.dimensions() {
        img.save(&actual).expect("write actual");
        panic!(
            "{name}: size {:?} differs from golden {:?}; wrote {}",
            img.dimensions(),
            want.dimensions(),
            actual.display()
        );
    }
    let (n, diff) = compare(img, &want, tol);
    let total = (img.width() * img.height()) as usize;
    if n as f64 > tol.fraction * total as f64 {
        img.save(&actual).expect("write actual");
        diff.save(&difference).expect("write difference");
        panic!(
            "{name}: {n} of {total} pixels differ from {} by more than {} (allowed {:.0}); wrote {} and {}",
            reference.display(),
            tol.channel,
            tol.fraction * total as f64,
            actual.display(),
            difference.display()
        );
    }
    let _ = std::fs::remove_file(&actual);
    let _ = std::fs::remove_file(&difference);
}

/// Mean colour of a rectangle.
pub fn mean(img: &RgbaImage, x: u32, y: u32, w: u32, h: u32) -> [f64; 3] {
    let mut s = [0.0f64; 3];
    for yy in y..y + h {
        for xx in x..x + w {
            let p = img.get_pixel(xx, yy);
            for c in 0..3 {
                s[c] += f64::from(p[c]);
            }
        }
    }
    let n = f64::from(w * h);
    s.map(|v| v / n)
}

/// Horizontal shift (pixels, positive = moved left) that best maps band
/// `a` onto band `b`, searched in `range`.
pub fn best_shift(a: &RgbaImage, b: &RgbaImage, range: std::ops::RangeInclusive<i64>) -> i64 {
    let (w, h) = a.dimensions();
    let mut best = (u64::MAX, 0);
    for s in range {
        let mut err = 0u64;
        for y in 0..h {
            for x in 0..w as i64 {
                let xa = x + s;
                if xa < 0 || xa >= i64::from(w) {
                    continue;
                }
                let pa = a.get_pixel(xa as u32, y);
                let pb = b.get_pixel(x as u32, y);
                err += (0..3).map(|c| u64::from(pa[c].abs_diff(pb[c]))).sum::<u64>();
            }
        }
        // Normalise by overlap so large shifts are not favoured.
        let overlap = (i64::from(w) - s.abs()).max(1) as u64;
        let e = err * 1000 / overlap;
        if e < best.0 {
            best = (e, s);
        }
    }
    best.1
}
