//! Bangtin's board player.
//!
//! The renderer ([`render`], [`content`]) draws a [`scene::Scene`] with wgpu
//! and knows nothing of networks; [`headless`] reads the same frames back for
//! PNG files and screenshots; [`kiosk`] shows them in a fullscreen window,
//! presenting only what changed when the GPU is a software one.

pub mod audio;
pub mod bench;
pub mod bench_video;
pub mod board;
pub mod content;
pub mod gpu;
pub mod headless;
pub mod kiosk;
pub mod notify;
pub mod program;
pub mod render;
pub mod scene;
pub mod settings;
pub mod slide;
pub mod soak;
pub mod video;
pub mod x11shm;

use anyhow::{Context, Result};
use bangtin_layouts::{Layout, time::local_midnight};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use image::RgbaImage;
use std::path::Path;
use std::sync::Arc;

pub use gpu::Gpu;
pub use headless::Headless;
pub use render::View;
pub use scene::Scene;

/// Input the user got wrong: the CLI exits with status 2 and the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// When to render: an absolute instant, or seconds after the playlists started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    Instant(DateTime<Utc>),
    Offset(f64),
}

impl std::str::FromStr for At {
    type Err = String;
    fn from_str(s: &str) -> Result<At, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix('+') {
            return match rest.parse::<f64>() {
                Ok(v) if (0.0..1e9).contains(&v) => Ok(At::Offset(v)),
                _ => Err(format!(
                    "{s:?}: cần số giây không âm sau dấu +, ví dụ +1.5 (expected +SECONDS)"
                )),
            };
        }
        DateTime::parse_from_rfc3339(s).map(|t| At::Instant(t.with_timezone(&Utc))).map_err(|_| {
            format!("{s:?}: cần thời điểm RFC 3339 (2026-11-23T14:05:00+07:00) hoặc +GIÂY (expected RFC 3339 or +SECONDS)")
        })
    }
}

/// The anchor (t = 0) of the playlists and the scene time for a render.
///
/// Playlists start at local midnight of the board's day unless `start` says
/// otherwise, so every board showing a layout is at the same place in it,
/// and a restarted player resumes where it was. `+S` means S seconds after
/// that start (of today, when no `start` is given).
pub fn resolve_time(at: At, start: Option<DateTime<Utc>>, tz: Tz, now: DateTime<Utc>) -> (DateTime<Utc>, f64) {
    match at {
        At::Instant(t) => {
            let anchor = start.unwrap_or_else(|| local_midnight(t, tz));
            (
                anchor,
                (t - anchor).num_microseconds().map_or(0.0, |us| us as f64 / 1e6),
            )
        }
        At::Offset(s) => (start.unwrap_or_else(|| local_midnight(now, tz)), s),
    }
}

/// A one-zone layout showing a single picture or video full-screen,
/// fitted: "how will this file look on our board?" A file that is not a
/// picture is taken for a video; either must be playable.
pub fn media_preview_layout(media: &Path, size: [u32; 2]) -> Result<Layout, BadInput> {
    let picture = image::ImageReader::open(media)
        .ok()
        .and_then(|r| r.with_guessed_format().ok())
        .is_some_and(|r| r.format().is_some());
    let kind = if picture {
        drop(content::image::decode(media).map_err(BadInput)?);
        "image"
    } else {
        video::probe(media).map_err(BadInput)?;
        "video"
    };
    let path = media.to_string_lossy().replace('\\', "\\\\").replace('"', "\\\"");
    let toml = format!(
        "[board]\nname = \"preview\"\nwidth = {w}\nheight = {h}\nbackground = \"#000000\"\n\n\
         [[zone]]\nid = \"media\"\nx = 0\ny = 0\nwidth = {w}\nheight = {h}\n\n\
         [[zone.item]]\ntype = \"{kind}\"\nsrc = \"{path}\"\nfit = \"fit\"\n",
        w = size[0],
        h = size[1],
    );
    bangtin_layouts::parse_layout(&toml, media, Path::new(".")).map_err(|e| BadInput(e.to_string()))
}

/// Everything needed for one deterministic frame.
#[derive(Debug, Clone)]
pub struct FrameRequest {
    pub layout: Layout,
    pub at: At,
    pub start: Option<DateTime<Utc>>,
    /// Output size; the board is scaled to fit (letterboxed). Default: the board's size.
    pub size: Option<[u32; 2]>,
}

/// Render one frame offscreen.
pub fn render_frame(gpu: Arc<Gpu>, req: FrameRequest) -> Result<RgbaImage> {
    let mut h = Headless::new(gpu);
    render_frame_with(&mut h, req)
}

/// Render one frame with an existing headless renderer (tests render many).
pub fn render_frame_with(h: &mut Headless, req: FrameRequest) -> Result<RgbaImage> {
    let board = [req.layout.board.width, req.layout.board.height];
    let view = match req.size {
        Some(s) if s != board => View::fit(board, s),
        _ => View::identity(board[0], board[1]),
    };
    let (anchor, t) = resolve_time(req.at, req.start, req.layout.board.timezone, Utc::now());
    let mut scene = Scene::new(req.layout, anchor, &mut h.renderer, view.scale);
    h.frame(&mut scene, t, view)
        .context("không đọc lại được khung hình (frame readback failed)")
}

/// Parse "WxH".
pub fn parse_size(s: &str) -> Result<[u32; 2], String> {
    let bad = || format!("{s:?}: cần dạng RỘNGxCAO, ví dụ 384x192 (expected WxH)");
    let (w, h) = s.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    let (lo, hi) = (bangtin_layouts::MIN_BOARD_SIDE, bangtin_layouts::MAX_BOARD_SIDE);
    if !(lo..=hi).contains(&w) || !(lo..=hi).contains(&h) {
        return Err(format!(
            "{s:?}: mỗi cạnh phải trong khoảng {lo}…{hi} (each side must be {lo}…{hi})"
        ));
    }
    Ok([w, h])
}

/// Parse "WxH+X+Y" (X11 geometry) for `run --window`.
pub fn parse_geometry(s: &str) -> Result<([u32; 2], [i32; 2]), String> {
    let bad = || format!("{s:?}: cần dạng RỘNGxCAO+X+Y, ví dụ 384x192+0+0 (expected WxH+X+Y)");
    let (size, pos) = match s.find(['+', '-']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "+0+0"),
    };
    let size = parse_size(size)?;
    let mut nums = Vec::new();
    let mut cur = String::new();
    for c in pos.chars() {
        if (c == '+' || c == '-') && !cur.is_empty() {
            nums.push(cur.parse::<i32>().map_err(|_| bad())?);
            cur.clear();
        }
        cur.push(c);
    }
    nums.push(cur.parse::<i32>().map_err(|_| bad())?);
    match nums[..] {
        [x, y] => Ok((size, [x, y])),
        _ => Err(bad()),
    }
}

/// Write a PNG atomically (temporary file, then rename): a reader polling
/// the file never sees half a picture.
pub fn write_png(img: &RgbaImage, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("không tạo được thư mục {}", dir.display()))?;
    }
    let tmp = out.with_extension("png.tmp");
    img.save_with_format(&tmp, image::ImageFormat::Png)
        .with_context(|| format!("không ghi được {} (cannot write PNG)", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("không ghi được {} (cannot write PNG)", out.display()))?;
    Ok(())
}

/// Large blocks (≥ 256 KiB: decoded pictures, video frames, readbacks)
/// are mapped and unmapped on their own instead of carved from the heap.
///
/// glibc's default threshold moves up to the size of the largest block
/// freed (up to 32 MiB), after which every picture-sized block comes from
/// the heaps of the threads that touched it, and a board that changes
/// screens — new scenes, new decoder threads, each with its own heap —
/// keeps the holes: RSS wandered between 240 and 310 MiB with a slope of
/// +63 MiB/h over 30 board minutes of show changes and alerts
/// (`bangtin-player soak`, scenario f of `xtask/soak.sh`), and stays at
/// 170–190 MiB with no slope with the threshold fixed. Setting it also
/// turns glibc's dynamic adjustment off. FFmpeg allocates through the
/// same malloc, so its buffers follow the rule too. Call once, first
/// thing in `main`.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc's malloc parameters; called before
    // any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Seconds as a TimeDelta (for schedulers).
pub fn secs(s: f64) -> TimeDelta {
    TimeDelta::microseconds((s * 1e6) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_parses_both_forms() {
        assert_eq!("+1.5".parse::<At>().unwrap(), At::Offset(1.5));
        assert!(matches!(
            "2026-11-23T14:05:00+07:00".parse::<At>().unwrap(),
            At::Instant(_)
        ));
        assert!("+-1".parse::<At>().is_err());
        assert!("tomorrow".parse::<At>().is_err());
    }

    #[test]
    fn instants_anchor_at_local_midnight() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T14:05:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let (anchor, s) = resolve_time(At::Instant(t), None, bangtin_layouts::time::DEFAULT_TZ, Utc::now());
        assert_eq!(anchor.to_rfc3339(), "2026-11-22T17:00:00+00:00");
        assert_eq!(s, 14.0 * 3600.0 + 5.0 * 60.0);
    }

    #[test]
    fn sizes_and_geometry() {
        assert_eq!(parse_size("384x192").unwrap(), [384, 192]);
        assert!(parse_size("0x10").is_err());
        assert_eq!(parse_geometry("384x192+10+20").unwrap(), ([384, 192], [10, 20]));
        assert_eq!(parse_geometry("384x192-5+0").unwrap(), ([384, 192], [-5, 0]));
        assert_eq!(parse_geometry("1920x1080").unwrap(), ([1920, 1080], [0, 0]));
        assert!(parse_geometry("384x192+1").is_err());
    }
}
