//! Test clips made on the spot with the ffmpeg CLI (no binary media in
//! git), and the readers that tell which frame of them a render shows.
//!
//! The workhorse is the *frame-bits* clip: frame N is drawn as ten 32-px
//! columns, column i bright when bit i of N (plus an offset that tells
//! clips apart) is set. Reading the centre of each column back gives the
//! frame number exactly, and anything else on screen — black, a zone's
//! background, a blend of two frames — reads as no frame at all.

use image::{Rgb, RgbImage, RgbaImage};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Frame-bits clips are this size; ten columns of 32 px.
pub const BITS_W: u32 = 320;
pub const BITS_H: u32 = 180;
/// Luma of a clear and a set bit: neither is black, so a black screen
/// never reads as frame 0.
const LO: u8 = 64;
const HI: u8 = 200;

fn ffmpeg_cmd() -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-nostats", "-loglevel", "error", "-y"]);
    c
}

/// Run ffmpeg with `args`; panics with its stderr if it fails.
pub fn ffmpeg(args: &[&str]) {
    let o = ffmpeg_cmd()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ffmpeg is installed (apt install ffmpeg)");
    assert!(
        o.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Run ffmpeg feeding `input` on its standard input.
pub fn ffmpeg_stdin(args: &[&str], input: Vec<u8>) {
    let mut child = ffmpeg_cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg is installed (apt install ffmpeg)");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        // ffmpeg may stop reading early on error; its stderr says why.
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().expect("ffmpeg ran");
    let _ = writer.join();
    assert!(
        o.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Names of the encoders this ffmpeg has (`ffmpeg -encoders`).
pub fn encoders() -> &'static str {
    static E: OnceLock<String> = OnceLock::new();
    E.get_or_init(|| {
        let o = Command::new("ffmpeg")
            .args(["-hide_banner", "-encoders"])
            .output()
            .expect("ffmpeg is installed");
        String::from_utf8_lossy(&o.stdout).into_owned()
    })
}

pub fn has_encoder(name: &str) -> bool {
    encoders().lines().any(|l| l.split_whitespace().nth(1) == Some(name))
}

/// Pixel formats an encoder accepts (`ffmpeg -h encoder=NAME`).
pub fn encoder_pix_fmts(name: &str) -> Vec<String> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-h", &format!("encoder={name}")])
        .output()
        .expect("ffmpeg is installed");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Supported pixel formats:"))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Raw yuv420p frames of a frame-bits picture sequence: frame `i` shows
/// the number `i + offset`.
pub fn bits_frames(frames: u32, offset: u32) -> Vec<u8> {
    let (w, h) = (BITS_W as usize, BITS_H as usize);
    let mut out = Vec::with_capacity(frames as usize * w * h * 3 / 2);
    for i in 0..frames {
        let n = i + offset;
        let row: Vec<u8> = (0..w).map(|x| if n >> (x / 32) & 1 == 1 { HI } else { LO }).collect();
        for _ in 0..h {
            out.extend_from_slice(&row);
        }
        out.resize(out.len() + w * h / 2, 128);
    }
    out
}

/// The usual encoding of test clips: H.264, nearly lossless, a key frame
/// every second.
pub const H264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-g", "25"];

/// A frame-bits clip of `frames` frames at `fps`, numbered from `offset`,
/// encoded with [`H264`] plus `extra` output options (filters, muxer).
pub fn bits_clip(dir: &Path, name: &str, fps: u32, frames: u32, offset: u32, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let (size, rate) = (format!("{BITS_W}x{BITS_H}"), fps.to_string());
    let mut args = vec![
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", &size, "-r", &rate, "-i", "-",
    ];
    args.extend_from_slice(H264);
    args.extend_from_slice(extra);
    let o = out.to_str().expect("UTF-8 temp path");
    args.push(o);
    ffmpeg_stdin(&args, bits_frames(frames, offset));
    out
}

/// The frame number shown in the board rectangle `(x, y, w, h)` where a
/// frame-bits clip is stretched, or why none is (black, background,
/// a blend, anything that is not ten clean grey columns).
pub fn read_bits(img: &RgbaImage, rect: (u32, u32, u32, u32)) -> Result<u32, String> {
    let (x0, y0, w, h) = rect;
    let mut n = 0u32;
    for i in 0..10u32 {
        let cx = x0 + (i * 32 + 16) * w / BITS_W;
        let cy = y0 + h / 2;
        let m = mean(img, cx - 3, cy - 3, 7, 7);
        let (lo, hi) = (
            m.iter().copied().fold(f64::MAX, f64::min),
            m.iter().copied().fold(0.0, f64::max),
        );
        let grey = hi - lo < 24.0;
        let v = m[1];
        if grey && (35.0..100.0).contains(&v) {
        } else if grey && (170.0..250.0).contains(&v) {
            n |= 1 << i;
        } else {
            return Err(format!(
                "column {i} at ({cx}, {cy}) is {m:.0?}, not a frame-bits column"
            ));
        }
    }
    Ok(n)
}

/// Mean RGB of a rectangle.
pub fn mean(img: &RgbaImage, x: u32, y: u32, w: u32, h: u32) -> [f64; 3] {
    let mut s = [0.0; 3];
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

/// Whether a mean colour is within `tol` of `want` in every channel.
pub fn near(got: [f64; 3], want: [u8; 3], tol: f64) -> bool {
    got.iter().zip(want).all(|(g, w)| (g - f64::from(w)).abs() <= tol)
}

/// A PNG picture: left half `left`, right half `right`.
pub fn png(dir: &Path, name: &str, left: [u8; 3], right: [u8; 3]) -> PathBuf {
    let img = RgbImage::from_fn(160, 90, |x, _| Rgb(if x < 80 { left } else { right }));
    let p = dir.join(name);
    img.save(&p).expect("PNG written");
    p
}

/// Raw rgb24 frames: `frames` copies of `img`.
fn rgb_frames(img: &RgbImage, frames: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..frames {
        v.extend_from_slice(img.as_raw());
    }
    v
}

/// Encode `frames` copies of an RGB picture at 25 fps: `filter` converts
/// it (e.g. to a colour matrix and pixel format), `out_args` choose the
/// encoder and tags.
pub fn rgb_clip(dir: &Path, name: &str, img: &RgbImage, frames: u32, filter: &str, out_args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let size = format!("{}x{}", img.width(), img.height());
    let mut args = vec![
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", &size, "-r", "25", "-i", "-", "-vf", filter,
    ];
    args.extend_from_slice(out_args);
    args.push(out.to_str().expect("UTF-8 temp path"));
    ffmpeg_stdin(&args, rgb_frames(img, frames));
    out
}

/// The solid colours of the colour test, as 64-px vertical stripes.
pub const STRIPES: [(&str, [u8; 3]); 5] = [
    ("red", [255, 0, 0]),
    ("green", [0, 255, 0]),
    ("blue", [0, 0, 255]),
    ("white", [255, 255, 255]),
    ("black", [0, 0, 0]),
];

pub fn stripes_image() -> RgbImage {
    RgbImage::from_fn(320, 64, |x, _| Rgb(STRIPES[(x / 64) as usize].1))
}

/// A grey picture with a red marker in its top-left corner and a blue
/// one in its top-right: any rotation or mirror moves them differently.
pub fn marker_image() -> RgbImage {
    RgbImage::from_fn(160, 96, |x, y| {
        Rgb(match (x, y) {
            (0..40, 0..32) => [255, 0, 0],
            (120..160, 0..32) => [0, 0, 255],
            _ => [128, 128, 128],
        })
    })
}

/// The first picture of `clip` as ffmpeg itself shows it (autorotated).
pub fn ffmpeg_first_frame(clip: &Path) -> RgbImage {
    let o = ffmpeg_cmd()
        .arg("-i")
        .arg(clip)
        .args(["-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"])
        .stdin(Stdio::null())
        .output()
        .expect("ffmpeg runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    image::load_from_memory(&o.stdout).expect("PNG from ffmpeg").to_rgb8()
}

/// One ffprobe value (`-show_entries ENTRIES -of csv=p=0`), trimmed.
pub fn ffprobe(clip: &Path, args: &[&str]) -> String {
    let o = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .args(["-of", "csv=p=0"])
        .arg(clip)
        .output()
        .expect("ffprobe is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Presentation times (seconds, exact from the stream's time base) of
/// every video frame of `clip`, in presentation order.
pub fn frame_times(clip: &Path) -> Vec<f64> {
    let tb = ffprobe(clip, &["-select_streams", "v:0", "-show_entries", "stream=time_base"]);
    let (num, den) = tb.split_once('/').expect("time base N/D");
    let tb = num.parse::<f64>().unwrap() / den.parse::<f64>().unwrap();
    let pts = ffprobe(
        clip,
        &["-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp"],
    );
    let mut v: Vec<f64> = pts
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_end_matches(',').parse::<i64>().expect("integer pts") as f64 * tb)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Deterministic junk (xorshift), so a failure is reproducible.
pub fn junk(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// Files no board can play, each with a name saying what is wrong. The
/// good clip `good_raw` (a few seconds of H.264 in an MP4 whose index
/// comes last, ffmpeg's default) is cut and patched to make some of them.
pub fn bad_files(dir: &Path, good_raw: &Path) -> Vec<PathBuf> {
    let p = |n: &str| dir.join(n);
    let s = |p: &Path| p.to_str().expect("UTF-8 temp path").to_string();
    let mut out = Vec::new();

    std::fs::write(p("rong.mp4"), b"").unwrap();
    out.push(p("rong.mp4"));

    // Cut in half: with the index first (faststart) the pictures stop
    // early; with the index last the index is gone.
    let fast = p("faststart-full.mp4");
    ffmpeg(&["-i", &s(good_raw), "-c", "copy", "-movflags", "+faststart", &s(&fast)]);
    for (src, name) in [
        (&fast, "cat-doi-faststart.mp4"),
        (&good_raw.to_path_buf(), "cat-doi.mp4"),
    ] {
        let bytes = std::fs::read(src).unwrap();
        std::fs::write(p(name), &bytes[..bytes.len() / 2]).unwrap();
        out.push(p(name));
    }
    std::fs::remove_file(&fast).unwrap();

    std::fs::write(p("ngau-nhien.mp4"), junk(64 * 1024, 0x5eed)).unwrap();
    out.push(p("ngau-nhien.mp4"));

    // An MP4 box header, then junk.
    let mut rac = b"\0\0\0\x18ftypisom\0\0\x02\0isommp41".to_vec();
    rac.extend(junk(32 * 1024, 7));
    std::fs::write(p("rac-sau-ftyp.mp4"), rac).unwrap();
    out.push(p("rac-sau-ftyp.mp4"));

    // A Matroska file whose video track names a codec nobody knows.
    let mkv = p("h264.mkv");
    ffmpeg(&["-i", &s(good_raw), "-c", "copy", &s(&mkv)]);
    let bytes = std::fs::read(&mkv).unwrap();
    let at = bytes
        .windows(15)
        .position(|w| w == b"V_MPEG4/ISO/AVC")
        .expect("Matroska codec id present");
    let mut patched = bytes.clone();
    patched[at..at + 15].copy_from_slice(b"V_BANGTIN/NONE!");
    std::fs::write(p("codec-la.mkv"), patched).unwrap();
    std::fs::remove_file(&mkv).unwrap();
    out.push(p("codec-la.mkv"));

    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=1",
        "-c:a",
        "aac",
        &s(&p("chi-am-thanh.mp4")),
    ]);
    out.push(p("chi-am-thanh.mp4"));

    // Wider than any side a board decodes, and more pixels than it decodes.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=8200x64:r=25:d=0.08",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        &s(&p("qua-rong-8200x64.mp4")),
    ]);
    out.push(p("qua-rong-8200x64.mp4"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=4800x2400:r=25:d=0.04",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        &s(&p("qua-lon-4800x2400.mp4")),
    ]);
    out.push(p("qua-lon-4800x2400.mp4"));

    std::fs::write(
        p("van-ban.mp4"),
        "Thông báo: lịch tiêm chủng tuần này.\nKhông phải video.\n".repeat(40),
    )
    .unwrap();
    out.push(p("van-ban.mp4"));
    out
}
