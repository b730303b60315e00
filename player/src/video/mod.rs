//! Video files: probed and decoded with FFmpeg (ffmpeg-next), one decoding
//! thread per playing item, a small bounded queue of decoded pictures.
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
pub mod probe;

pub use decode::{Msg, Session, SessionPlan};
pub use probe::{Info, probe};

use ffmpeg_next as ff;

/// Largest picture we decode: 4096 × 2304 pixels (above 4K UHD), sides up
/// to 8192. Larger files are refused by the manager at upload and skipped
/// here: decoding them would exhaust a small board.
pub const MAX_PIXELS: u64 = 4096 * 2304;
pub const MAX_SIDE: u32 = 8192;

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
    pic: ff::frame::Video,
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
        self.pic.width()
    }
    pub fn height(&self) -> u32 {
        self.pic.height()
    }
    /// Plane `i` (0 = Y', 1 = Cb, 2 = Cr): bytes and bytes per row.
    pub fn plane(&self, i: usize) -> (&[u8], usize) {
        (self.pic.data(i), self.pic.stride(i))
    }
}

/// What a scaler was made for: source format and size, output size, colour.
type ScaleKey = (ff::format::Pixel, u32, u32, u32, u32, Matrix, bool);

/// Pictures converted on the CPU straight into a display's BGRX pixels, at
/// the size they are shown: the fast path of a board without a GPU, where
/// the "GPU" is a software rasteriser paying ~17 ns per textured pixel
/// while swscale's SIMD code converts and scales in a fraction of that.
#[derive(Default)]
pub struct ToDisplay {
    sws: Option<(ff::software::scaling::Context, ScaleKey)>,
}

impl std::fmt::Debug for ToDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToDisplay").finish_non_exhaustive()
    }
}

impl ToDisplay {
    /// Write `f` scaled to `w`×`h` as BGRX rows (`w * 4` bytes each) into `buf`.
    pub fn convert(&mut self, f: &Frame, w: u32, h: u32, buf: &mut [u8]) -> Result<(), String> {
        use ff::format::Pixel;
        let fmt = f.pic.format();
        let key = (fmt, f.width(), f.height(), w, h, f.matrix, f.full_range);
        if self.sws.as_ref().is_none_or(|(_, k)| *k != key) {
            let mut ctx = ff::software::scaling::Context::get(
                fmt,
                f.width(),
                f.height(),
                Pixel::BGRA,
                w,
                h,
                ff::software::scaling::Flags::BILINEAR,
            )
            .map_err(|e| format!("không chuyển được hình video: {e} (swscale)"))?;
            set_colour(&mut ctx, f.matrix, f.full_range);
            self.sws = Some((ctx, key));
        }
        let row = w as usize * 4;
        if buf.len() < row * h as usize {
            return Err("vùng đệm hiển thị quá nhỏ (display buffer too small)".into());
        }
        let Some((sws, _)) = &mut self.sws else { return Ok(()) };
        // Straight into the display's buffer: no picture-sized frame of our
        // own in between (2 MiB for a 960×540 zone) and no copy of it.
        // SAFETY: the source planes and strides are the decoded frame's,
        // alive for this call; the destination is one plane of `h` rows of
        // `row` bytes, checked to fit in `buf` above, which swscale fills
        // for the `w`×`h` output the context was made for (the key).
        #[allow(unsafe_code)]
        let done = unsafe {
            let src = f.pic.as_ptr();
            let dst = [
                buf.as_mut_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            ];
            let dst_stride = [row as std::ffi::c_int, 0, 0, 0];
            ff::ffi::sws_scale(
                sws.as_mut_ptr(),
                (*src).data.as_ptr() as *const *const u8,
                (*src).linesize.as_ptr(),
                0,
                f.height() as std::ffi::c_int,
                dst.as_ptr(),
                dst_stride.as_ptr(),
            )
        };
        if done != h as std::ffi::c_int {
            return Err(format!(
                "không chuyển được hình video: swscale wrote {done} of {h} rows (swscale)"
            ));
        }
        Ok(())
    }
}

/// Tell swscale the picture's matrix and range (it assumes BT.601 otherwise).
fn set_colour(ctx: &mut ff::software::scaling::Context, matrix: Matrix, full: bool) {
    let cs = match matrix {
        Matrix::Bt601 => ff::ffi::SWS_CS_ITU601,
        Matrix::Bt709 => ff::ffi::SWS_CS_ITU709,
    };
    // SAFETY: the context pointer is live for this call (we own `ctx`);
    // sws_getCoefficients returns a pointer to a static table;
    // sws_setColorspaceDetails copies what it needs. Brightness 0,
    // contrast and saturation 1.0 in 16.16 fixed point are its defaults.
    #[allow(unsafe_code)]
    unsafe {
        let table = ff::ffi::sws_getCoefficients(cs);
        let dst = ff::ffi::sws_getCoefficients(ff::ffi::SWS_CS_DEFAULT);
        ff::ffi::sws_setColorspaceDetails(ctx.as_mut_ptr(), table, i32::from(full), dst, 1, 0, 1 << 16, 1 << 16);
    }
}

/// FFmpeg's global set-up, once; its own logging kept quiet (we report
/// problems ourselves, in Vietnamese, with the file's name).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = ff::init() {
            tracing::error!("không khởi động được FFmpeg: {e} (FFmpeg init failed)");
        }
        ff::util::log::set_level(ff::util::log::Level::Fatal);
    });
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
pub fn read_packet(ictx: &mut ff::format::context::Input) -> Result<ff::Packet, ff::Error> {
    let mut packet = ff::Packet::empty();
    packet.read(ictx)?;
    Ok(packet)
}

/// The colour matrix and range of a decoded picture. Files that do not
/// say follow the usual convention: HD and larger are BT.709, SD BT.601.
fn colour_of(pic: &ff::frame::Video) -> (Matrix, bool) {
    use ff::util::color::{Range, Space};
    let matrix = match pic.color_space() {
        Space::BT709 => Matrix::Bt709,
        Space::BT470BG | Space::SMPTE170M | Space::FCC | Space::SMPTE240M => Matrix::Bt601,
        _ if pic.height() >= 720 => Matrix::Bt709,
        _ => Matrix::Bt601,
    };
    let full = pic.color_range() == Range::JPEG || pic.format() == ff::format::Pixel::YUVJ420P;
    (matrix, full)
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
