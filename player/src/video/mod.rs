//! Video files: probed and decoded with FFmpeg, one decoding thread per
//! playing item, a small bounded queue of decoded pictures. FFmpeg itself
//! is in `libbangtin_video.so`, opened when a video first needs it
//! ([`lib`]); this module decides what plays when.
//!
//! Pictures leave this module as 8-bit 4:2:0 planes (what nearly every
//! video is); the GPU converts them to RGB in a shader
//! ([`crate::render::yuv`]). Any other pixel format is converted once here
//! by swscale.
//!
//! Time: a [`Session`] plays one *run* of a playlist item. Its clock is the
//! item's own (seconds since the run started, "session time"), the same
//! clock the playlist timeline gives the scene, so the picture shown at an
//! instant is a pure function of that instant. A run lasts whole *cycles*
//! of the item's slot (a lone item in a looping zone repeats as one run);
//! within a cycle the clip plays from its start offset, repeats when the
//! item loops, and otherwise holds its last picture until the slot ends.

mod decode;
pub mod lib;
pub mod probe;

pub use decode::{Msg, Session, SessionPlan};
pub use probe::{Info, probe};

use lib::abi;

/// Decoded pictures buffered ahead of the screen per playing item, at most.
pub const QUEUE_FRAMES: usize = 6;
/// The queue holds this much of the clip ahead of the screen.
const QUEUE_MS: f64 = 100.0;
/// Pixels a second one decoding thread is given: 720p at 30 frames/s.
/// FFmpeg's H.264 decoder does several times that here (`bench-video`:
/// 761 frames/s of 720p on two threads); slower boards' clips above
/// 720p30 get more threads.
const PIXELS_PER_THREAD: f64 = 1280.0 * 720.0 * 30.0;

/// The clip's frame rate, or 30 where the file does not say.
fn rate_of(info: &Info) -> f64 {
    if info.frame_rate.is_finite() && info.frame_rate > 0.0 {
        info.frame_rate.min(240.0)
    } else {
        30.0
    }
}

/// Pictures buffered ahead for a clip of `info`: about 100 ms of it, at
/// least two. Each queued picture is a whole decoded frame (1.4 MB at
/// 720p) held from the decoder's pool; the screen takes one picture per
/// frame and the decoder refills the queue long before 100 ms pass, so
/// more only costs memory (6 pictures: +4 MiB at 720p, for nothing seen).
/// Except when its sound plays: the same thread decodes the sound, which
/// runs only as far ahead as the pictures, and the output must be fed
/// through a stall of the board (the A/V tests drop samples with 100 ms).
pub fn queue_frames(info: &Info, sound: bool) -> usize {
    if sound {
        return QUEUE_FRAMES;
    }
    ((rate_of(info) * QUEUE_MS / 1000.0).ceil() as usize).clamp(2, QUEUE_FRAMES)
}

/// FFmpeg frame threads for a clip of `info` on a machine of `cores`
/// cores: one per 720p30's worth of pixels a second, up to the cores (at
/// most 4). Every frame thread holds pictures of its own in flight and
/// adds a frame of delay, so a 720p clip decoded by `cores` threads held
/// ≈ 6 MiB more than one thread, which keeps up with it several times over.
pub fn decoder_threads(info: &Info, cores: usize) -> usize {
    let (w, h) = (f64::from(info.width.max(1)), f64::from(info.height.max(1)));
    let wanted = (w * h * rate_of(info) / PIXELS_PER_THREAD).ceil() as usize;
    wanted.clamp(1, cores.clamp(1, 4))
}

/// How to turn Y'CbCr into R'G'B'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    Bt601,
    Bt709,
}

/// One decoded picture: planar 8-bit Y'CbCr 4:2:0, as FFmpeg's frame.
pub struct Frame {
    /// Session time at which it is shown (seconds).
    pub t: f64,
    /// Which seek produced it (frames of an abandoned seek are dropped).
    pub generation: u64,
    pub matrix: Matrix,
    pub full_range: bool,
    pic: Picture,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("t", &self.t)
            .field("size", &(self.width(), self.height()))
            .field("matrix", &self.matrix)
            .field("full_range", &self.full_range)
            .finish()
    }
}

impl Frame {
    pub fn width(&self) -> u32 {
        self.pic.0.width
    }
    pub fn height(&self) -> u32 {
        self.pic.0.height
    }
    /// Plane `i` (0 = Y', 1 = Cb, 2 = Cr): bytes and bytes per row.
    pub fn plane(&self, i: usize) -> (&[u8], usize) {
        let p = &self.pic.0;
        if i >= 3 || p.data[i].is_null() {
            return (&[], 0);
        }
        // SAFETY: the library's picture holds `len[i]` bytes at `data[i]`
        // until `picture_free`, which only our Drop calls.
        #[allow(unsafe_code)]
        let bytes = unsafe { std::slice::from_raw_parts(p.data[i], p.len[i]) };
        (bytes, p.stride[i])
    }
}

/// A decoded picture owned by the player, freed by the library on drop.
struct Picture(abi::Picture);

// SAFETY: an FFmpeg frame is reference-counted data with no tie to the
// thread that decoded it; the library's `picture_free` may run anywhere.
#[allow(unsafe_code)]
unsafe impl Send for Picture {}
// SAFETY: shared use only reads the planes.
#[allow(unsafe_code)]
unsafe impl Sync for Picture {}

impl Drop for Picture {
    fn drop(&mut self) {
        if let Ok(api) = lib::api() {
            // SAFETY: the handle came from the library's `next` and is
            // freed once, here.
            #[allow(unsafe_code)]
            unsafe {
                (api.picture_free)(self.0.handle)
            };
        }
    }
}

/// Pictures converted on the CPU straight into a display's BGRX pixels, at
/// the size they are shown: the fast path of a board without a GPU, where
/// the "GPU" is a software rasteriser paying ~17 ns per textured pixel
/// while swscale's SIMD code converts and scales in a fraction of that.
#[derive(Default)]
pub struct ToDisplay {
    converter: Option<std::ptr::NonNull<std::ffi::c_void>>,
}

impl std::fmt::Debug for ToDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToDisplay").finish_non_exhaustive()
    }
}

// SAFETY: the converter is used by one owner at a time (`&mut self`).
#[allow(unsafe_code)]
unsafe impl Send for ToDisplay {}

impl ToDisplay {
    /// Write `f` scaled to `w`×`h` as BGRX rows (`w * 4` bytes each) into `buf`.
    pub fn convert(&mut self, f: &Frame, w: u32, h: u32, buf: &mut [u8]) -> Result<(), String> {
        let api = lib::api()?;
        let d = *self
            .converter
            .get_or_insert_with(|| std::ptr::NonNull::new((api.display_new)()).expect("Box::into_raw is never null"));
        let mut err = abi::Error::default();
        // SAFETY: `d` is ours; the picture is alive (borrowed); `buf` is
        // writable for its length; `err` is ours.
        #[allow(unsafe_code)]
        let ok = unsafe {
            (api.display_convert)(
                d.as_ptr(),
                f.pic.0.handle,
                u32::from(f.matrix == Matrix::Bt709),
                u32::from(f.full_range),
                w,
                h,
                buf.as_mut_ptr(),
                buf.len(),
                &mut err,
            )
        };
        if ok { Ok(()) } else { Err(err.text()) }
    }
}

impl Drop for ToDisplay {
    fn drop(&mut self) {
        if let (Some(d), Ok(api)) = (self.converter.take(), lib::api()) {
            // SAFETY: made by `display_new`, freed once, here.
            #[allow(unsafe_code)]
            unsafe {
                (api.display_free)(d.as_ptr())
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(width: u32, height: u32, frame_rate: f64) -> Info {
        Info {
            path: "clip.mp4".into(),
            width,
            height,
            rotation: 0,
            duration: 10.0,
            frame_rate,
            has_audio: false,
            codec: "h264".into(),
        }
    }

    /// Issue #14: decoder threads and queued pictures follow the clip, not
    /// the machine — each holds decoded frames.
    #[test]
    fn decoding_is_sized_to_the_clip() {
        // 720p30 (the peer board's clip): one thread on any machine.
        assert_eq!(decoder_threads(&clip(1280, 720, 30.0), 2), 1);
        assert_eq!(decoder_threads(&clip(1280, 720, 30.0), 16), 1);
        assert_eq!(decoder_threads(&clip(640, 360, 25.0), 4), 1);
        // More pixels a second get more threads, up to the cores, at most 4.
        assert_eq!(decoder_threads(&clip(1280, 720, 60.0), 8), 2);
        assert_eq!(decoder_threads(&clip(1920, 1080, 30.0), 8), 3);
        assert_eq!(decoder_threads(&clip(1920, 1080, 30.0), 2), 2);
        assert_eq!(decoder_threads(&clip(3840, 2160, 30.0), 16), 4);
        assert_eq!(decoder_threads(&clip(3840, 2160, 30.0), 1), 1);
        // A file that does not say its rate counts as 30 frames/s.
        assert_eq!(decoder_threads(&clip(1920, 1080, 0.0), 8), 3);
        // About 100 ms of pictures, at least 2, at most QUEUE_FRAMES.
        assert_eq!(queue_frames(&clip(1280, 720, 30.0), false), 3);
        assert_eq!(queue_frames(&clip(1280, 720, 25.0), false), 3);
        assert_eq!(queue_frames(&clip(1280, 720, 60.0), false), 6);
        assert_eq!(queue_frames(&clip(1280, 720, 10.0), false), 2);
        assert_eq!(queue_frames(&clip(1280, 720, 240.0), false), QUEUE_FRAMES);
        assert_eq!(queue_frames(&clip(1280, 720, f64::NAN), false), 3);
        // A clip whose sound plays keeps the full queue: the sound is
        // decoded beside the pictures and must stay ahead of the output.
        assert_eq!(queue_frames(&clip(1280, 720, 30.0), true), QUEUE_FRAMES);
    }
}
