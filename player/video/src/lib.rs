//! `libbangtin_video.so`: everything of the board player that touches
//! FFmpeg — probing a file, demuxing and decoding a run of it (pictures
//! and sound), converting pictures for a display without a GPU.
//!
//! Why a library of its own: Debian's FFmpeg links ≈ 120 other libraries
//! (x265, aom, rav1e, librsvg, gnutls…), and a program linked with it
//! maps and relocates all of them at start — ≈ 20 MiB of a picture
//! board's memory for codecs it never uses (issue #14). The player opens
//! this library with dlopen when a video first needs it
//! (`player/src/video/lib.rs`); what a run plays, when, and how pictures
//! are queued stays in the player. The interface is [`abi`], C types only.

// The C interface is unsafe by nature: every `extern "C"` function takes
// pointers from the player. Each says what it relies on.
#![allow(unsafe_code)]

pub mod abi;
mod display;
mod input;
mod probe;

use abi::{Api, Error, LogFn};
use ffmpeg_next as ff;
use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Largest picture decoded: 4096 × 2304 pixels (above 4K UHD), sides up
/// to 8192; the manager refuses larger files at upload.
const MAX_PIXELS: u64 = 4096 * 2304;
const MAX_SIDE: u32 = 8192;

static LOG: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn set_log(f: LogFn) {
    LOG.store(f as *mut (), Ordering::Relaxed);
}

/// To the player's log, if it gave one.
fn log(level: u32, msg: &str) {
    let p = LOG.load(Ordering::Relaxed);
    if !p.is_null() {
        // SAFETY: only `set_log` stores here, and only a `LogFn`.
        let f: LogFn = unsafe { std::mem::transmute::<*mut (), LogFn>(p) };
        f(level, msg.as_ptr(), msg.len());
    }
}

/// FFmpeg's global set-up, once; its own logging kept quiet (the player
/// reports problems itself, in Vietnamese, with the file's name).
fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = ff::init() {
            log(
                abi::LOG_ERROR,
                &format!("không khởi động được FFmpeg: {e} (FFmpeg init failed)"),
            );
        }
        ff::util::log::set_level(ff::util::log::Level::Fatal);
    });
}

/// The path the player passed.
///
/// # Safety
/// `p` points to `len` readable bytes.
unsafe fn path_of<'a>(p: *const u8, len: usize) -> &'a std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: as the caller promises.
    let bytes = unsafe { std::slice::from_raw_parts(p, len) };
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes))
}

/// Write `msg` into the caller's error, if it gave one.
///
/// # Safety
/// `err` is null or points to a writable [`Error`].
unsafe fn fail(err: *mut Error, msg: &str) {
    // SAFETY: as the caller promises.
    if let Some(e) = unsafe { err.as_mut() } {
        e.set(msg);
    }
}

/// The next packet of `ictx`, in a packet of its own.
///
/// Never read into a packet that still holds one: FFmpeg 5.1's
/// `av_read_frame` (Debian 12's) overwrites the packet without releasing
/// the buffer it held, and ffmpeg-next's `Packet::read` does not release it
/// either (rust-ffmpeg issue #260). Reusing one `Packet` leaked every
/// packet read — a looping clip grew the board by its file size on each
/// pass (≈ 20 MiB a minute for a 720p clip) and every probe by the whole
/// file. A fresh packet is dropped (`av_packet_unref`) when the caller is
/// done with it.
fn read_packet(ictx: &mut ff::format::context::Input) -> Result<ff::Packet, ff::Error> {
    let mut packet = ff::Packet::empty();
    packet.read(ictx)?;
    Ok(packet)
}

/// The colour matrix (true: BT.709) and range of a decoded picture. Files
/// that do not say follow the usual convention: HD and larger are BT.709,
/// SD BT.601.
fn colour_of(pic: &ff::frame::Video) -> (bool, bool) {
    use ff::util::color::{Range, Space};
    let bt709 = match pic.color_space() {
        Space::BT709 => true,
        Space::BT470BG | Space::SMPTE170M | Space::FCC | Space::SMPTE240M => false,
        _ => pic.height() >= 720,
    };
    let full = pic.color_range() == Range::JPEG || pic.format() == ff::format::Pixel::YUVJ420P;
    (bt709, full)
}

/// Clockwise rotation (0, 90, 180, 270) a display matrix asks for, like
/// FFmpeg's `av_display_rotation_get` (which returns counter-clockwise).
fn rotation_of(matrix: &[u8]) -> u16 {
    if matrix.len() < 36 {
        return 0;
    }
    let m = |i: usize| {
        let b = [matrix[i * 4], matrix[i * 4 + 1], matrix[i * 4 + 2], matrix[i * 4 + 3]];
        f64::from(i32::from_ne_bytes(b)) / 65536.0
    };
    let (s0, s1) = ((m(0)).hypot(m(3)), (m(1)).hypot(m(4)));
    if s0 == 0.0 || s1 == 0.0 {
        return 0;
    }
    let ccw = -(m(1) / s1).atan2(m(0) / s0).to_degrees();
    let cw = (-ccw).rem_euclid(360.0);
    (((cw / 90.0).round() as u16) % 4) * 90
}

static API: Api = Api {
    abi: abi::ABI_VERSION,
    set_log,
    probe: probe::probe,
    open: input::open,
    close: input::close,
    seek: input::seek,
    next: input::next,
    picture_free: input::picture_free,
    display_new: display::new,
    display_convert: display::convert,
    display_free: display::free,
};

/// The library's one entry point.
#[unsafe(no_mangle)]
pub extern "C" fn bangtin_video_api() -> *const Api {
    &API
}

/// For `input::picture_free` and `display::convert`: the frame behind a
/// picture handle.
///
/// # Safety
/// `h` came from a [`abi::Picture`] this library made and was not freed.
unsafe fn frame_of<'a>(h: *const c_void) -> &'a ff::frame::Video {
    // SAFETY: as the caller promises: a leaked `Box<ff::frame::Video>`.
    unsafe { &*(h as *const ff::frame::Video) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(deg_ccw: f64) -> Vec<u8> {
        // av_display_rotation_set: [cos -sin 0; sin cos 0; 0 0 1] scaled 16.16.
        let r = deg_ccw.to_radians();
        let v = [r.cos(), -r.sin(), 0.0, r.sin(), r.cos(), 0.0, 0.0, 0.0, 1.0];
        v.iter()
            .enumerate()
            .flat_map(|(i, x)| {
                let scale = if i == 8 { f64::from(1u32 << 30) } else { 65536.0 };
                ((x * scale).round() as i32).to_ne_bytes()
            })
            .collect()
    }

    #[test]
    fn display_matrix_rotation() {
        // FFmpeg stores "rotate=90" (clockwise display) as -90 counter-clockwise.
        assert_eq!(rotation_of(&matrix(0.0)), 0);
        assert_eq!(rotation_of(&matrix(-90.0)), 90);
        assert_eq!(rotation_of(&matrix(180.0)), 180);
        assert_eq!(rotation_of(&matrix(90.0)), 270);
        assert_eq!(rotation_of(&[1, 2, 3]), 0);
    }

    #[test]
    fn errors_are_cut_on_a_character_boundary() {
        let mut e = Error::default();
        let long = "ố".repeat(600); // 3 bytes each: 1800 bytes
        e.set(&long);
        assert!(e.len as usize <= e.msg.len());
        assert_eq!(e.text(), "ố".repeat(e.len as usize / 3));
        assert_eq!(e.len % 3, 0);
    }
}
