//! The C interface between the player and `libbangtin_video.so`.
//!
//! This one file is compiled into both sides (the player includes it with
//! `#[path]`), so the two can only disagree when a board runs a player and
//! a library of different builds, which [`ABI_VERSION`] catches at load.
//! The library exports one symbol, [`ENTRY`], returning the [`Api`] table.
//!
//! Ownership: a picture ([`Picture::handle`]) belongs to whoever received
//! it until given to [`Api::picture_free`]; an input ([`Api::open`]) and a
//! display converter ([`Api::display_new`]) likewise. Sound samples
//! returned by [`Api::next`] are valid until the next call on that input.
//! An input is used by one thread at a time; pictures may be read and
//! freed on any thread.

use std::ffi::c_void;

/// Raised whenever a signature or layout below changes.
pub const ABI_VERSION: u32 = 1;
/// The file the player looks for.
pub const LIB_FILE: &str = "libbangtin_video.so";
/// The exported symbol: `extern "C" fn() -> *const Api`.
pub const ENTRY: &[u8] = b"bangtin_video_api";

/// An error message (UTF-8, Vietnamese then English), cut to fit.
#[repr(C)]
#[derive(Debug)]
pub struct Error {
    pub len: u32,
    pub msg: [u8; 1024],
}

impl Default for Error {
    fn default() -> Self {
        Error { len: 0, msg: [0; 1024] }
    }
}

impl Error {
    pub fn set(&mut self, s: &str) {
        let mut n = s.len().min(self.msg.len());
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.msg[..n].copy_from_slice(&s.as_bytes()[..n]);
        self.len = n as u32;
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.msg[..(self.len as usize).min(self.msg.len())]).into_owned()
    }
}

/// What [`Api::probe`] found.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Info {
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation for display: 0, 90, 180, 270.
    pub rotation: u32,
    pub has_audio: u32,
    pub duration: f64,
    pub frame_rate: f64,
    pub codec_len: u32,
    pub codec: [u8; 32],
}

/// A decoded picture, planar 8-bit Y'CbCr 4:2:0.
#[repr(C)]
#[derive(Debug)]
pub struct Picture {
    pub handle: *mut c_void,
    pub width: u32,
    pub height: u32,
    /// Planes Y', Cb, Cr: start, bytes, bytes per row.
    pub data: [*const u8; 3],
    pub len: [usize; 3],
    pub stride: [usize; 3],
    /// 1: BT.709, 0: BT.601.
    pub bt709: u32,
    pub full_range: u32,
}

impl Default for Picture {
    fn default() -> Self {
        Picture {
            handle: std::ptr::null_mut(),
            width: 0,
            height: 0,
            data: [std::ptr::null(); 3],
            len: [0; 3],
            stride: [0; 3],
            bt709: 0,
            full_range: 0,
        }
    }
}

/// [`Event::kind`]: a picture ([`Event::picture`], now the caller's).
pub const EV_PICTURE: u32 = 1;
/// Sound resampled to the input's rate, stereo f32 interleaved.
pub const EV_SOUND: u32 = 2;
/// The video stream ended (after the last picture).
pub const EV_END: u32 = 3;
/// The file failed mid-play; the message is in the error.
pub const EV_ERROR: u32 = 4;

/// What [`Api::next`] produced.
#[repr(C)]
#[derive(Debug)]
pub struct Event {
    pub kind: u32,
    /// Clip seconds of the picture or the sound (from the stream's start).
    pub media: f64,
    pub picture: Picture,
    pub samples: *const f32,
    /// f32 values (two a sample frame).
    pub samples_len: usize,
}

impl Default for Event {
    fn default() -> Self {
        Event {
            kind: 0,
            media: 0.0,
            picture: Picture::default(),
            samples: std::ptr::null(),
            samples_len: 0,
        }
    }
}

/// Log levels for [`LogFn`].
pub const LOG_ERROR: u32 = 1;
pub const LOG_WARN: u32 = 2;
pub const LOG_DEBUG: u32 = 4;

/// Where the library's messages go (the player's log).
pub type LogFn = extern "C" fn(level: u32, msg: *const u8, len: usize);

/// The library's functions.
#[repr(C)]
#[derive(Debug)]
pub struct Api {
    pub abi: u32,
    pub set_log: extern "C" fn(LogFn),
    /// Open `path` (bytes of length `len`), check that its video decodes
    /// through to its declared length, and describe it.
    pub probe: unsafe extern "C" fn(path: *const u8, len: usize, info: *mut Info, err: *mut Error) -> bool,
    /// Open for playing with `threads` decoding threads; `sound_rate` 0
    /// leaves the sound out. `has_sound` says whether it is played. Null on
    /// failure, with the reason in `err`.
    pub open: unsafe extern "C" fn(
        path: *const u8,
        len: usize,
        threads: u32,
        sound_rate: u32,
        has_sound: *mut u32,
        err: *mut Error,
    ) -> *mut c_void,
    pub close: unsafe extern "C" fn(input: *mut c_void),
    /// Start decoding at clip second `at` (the keyframe before it, or the
    /// start if the file cannot seek); sound outside clip seconds
    /// [`sound_from`, `sound_to`) is dropped before resampling.
    pub seek: unsafe extern "C" fn(input: *mut c_void, at: f64, sound_from: f64, sound_to: f64),
    pub next: unsafe extern "C" fn(input: *mut c_void, ev: *mut Event, err: *mut Error),
    pub picture_free: unsafe extern "C" fn(handle: *mut c_void),
    pub display_new: extern "C" fn() -> *mut c_void,
    /// Scale and convert a picture into `w`×`h` BGRX rows (`w * 4` bytes
    /// each) in `buf` (`len` bytes).
    pub display_convert: unsafe extern "C" fn(
        display: *mut c_void,
        picture: *const c_void,
        bt709: u32,
        full_range: u32,
        w: u32,
        h: u32,
        buf: *mut u8,
        len: usize,
        err: *mut Error,
    ) -> bool,
    pub display_free: unsafe extern "C" fn(display: *mut c_void),
}
