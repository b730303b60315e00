//! Pictures converted on the CPU straight into a display's BGRX pixels, at
//! the size they are shown: the fast path of a board without a GPU, where
//! the "GPU" is a software rasteriser paying ~17 ns per textured pixel
//! while swscale's SIMD code converts and scales in a fraction of that.

use crate::{abi, fail, frame_of};
use ffmpeg_next as ff;
use std::ffi::c_void;

/// What a scaler was made for: source format and size, output size, colour.
type ScaleKey = (ff::format::Pixel, u32, u32, u32, u32, bool, bool);

#[derive(Default)]
struct Display {
    sws: Option<(ff::software::scaling::Context, ScaleKey)>,
}

/// [`abi::Api::display_new`].
pub extern "C" fn new() -> *mut c_void {
    Box::into_raw(Box::<Display>::default()) as *mut c_void
}

/// [`abi::Api::display_free`].
///
/// # Safety
/// `d` came from [`new`] and is not used again.
pub unsafe extern "C" fn free(d: *mut c_void) {
    if !d.is_null() {
        // SAFETY: as the caller promises.
        drop(unsafe { Box::from_raw(d as *mut Display) });
    }
}

/// [`abi::Api::display_convert`].
///
/// # Safety
/// `d` came from [`new`]; `pic` is a live picture handle; `buf` points to
/// `len` writable bytes; `err` is null or writable. One thread at a time
/// per `d`.
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn convert(
    d: *mut c_void,
    pic: *const c_void,
    bt709: u32,
    full_range: u32,
    w: u32,
    h: u32,
    buf: *mut u8,
    len: usize,
    err: *mut abi::Error,
) -> bool {
    // SAFETY: as the caller promises.
    let (d, pic) = unsafe { (&mut *(d as *mut Display), frame_of(pic)) };
    match d.convert(pic, bt709 != 0, full_range != 0, w, h, buf, len) {
        Ok(()) => true,
        Err(e) => {
            // SAFETY: as the caller promises.
            unsafe { fail(err, &e) };
            false
        }
    }
}

impl Display {
    #[allow(clippy::too_many_arguments)]
    fn convert(
        &mut self,
        pic: &ff::frame::Video,
        bt709: bool,
        full: bool,
        w: u32,
        h: u32,
        buf: *mut u8,
        len: usize,
    ) -> Result<(), String> {
        use ff::format::Pixel;
        let fmt = pic.format();
        let key = (fmt, pic.width(), pic.height(), w, h, bt709, full);
        if self.sws.as_ref().is_none_or(|(_, k)| *k != key) {
            let mut ctx = ff::software::scaling::Context::get(
                fmt,
                pic.width(),
                pic.height(),
                Pixel::BGRA,
                w,
                h,
                ff::software::scaling::Flags::BILINEAR,
            )
            .map_err(|e| format!("không chuyển được hình video: {e} (swscale)"))?;
            set_colour(&mut ctx, bt709, full);
            self.sws = Some((ctx, key));
        }
        let row = w as usize * 4;
        if len < row * h as usize {
            return Err("vùng đệm hiển thị quá nhỏ (display buffer too small)".into());
        }
        let Some((sws, _)) = &mut self.sws else { return Ok(()) };
        // Straight into the display's buffer: no picture-sized frame of our
        // own in between (2 MiB for a 960×540 zone) and no copy of it.
        // SAFETY: the source planes and strides are the decoded frame's,
        // alive for this call; the destination is one plane of `h` rows of
        // `row` bytes, checked to fit in `len` above, which swscale fills
        // for the `w`×`h` output the context was made for (the key).
        let done = unsafe {
            let src = pic.as_ptr();
            let dst = [buf, std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut()];
            let dst_stride = [row as std::ffi::c_int, 0, 0, 0];
            ff::ffi::sws_scale(
                sws.as_mut_ptr(),
                (*src).data.as_ptr() as *const *const u8,
                (*src).linesize.as_ptr(),
                0,
                pic.height() as std::ffi::c_int,
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
fn set_colour(ctx: &mut ff::software::scaling::Context, bt709: bool, full: bool) {
    let cs = if bt709 {
        ff::ffi::SWS_CS_ITU709
    } else {
        ff::ffi::SWS_CS_ITU601
    };
    // SAFETY: the context pointer is live for this call (we own `ctx`);
    // sws_getCoefficients returns a pointer to a static table;
    // sws_setColorspaceDetails copies what it needs. Brightness 0,
    // contrast and saturation 1.0 in 16.16 fixed point are its defaults.
    unsafe {
        let table = ff::ffi::sws_getCoefficients(cs);
        let dst = ff::ffi::sws_getCoefficients(ff::ffi::SWS_CS_DEFAULT);
        ff::ffi::sws_setColorspaceDetails(ctx.as_mut_ptr(), table, i32::from(full), dst, 1, 0, 1 << 16, 1 << 16);
    }
}
