//! A file being played: demuxed, its pictures decoded (and converted to
//! 8-bit 4:2:0 when they are not), its sound decoded and resampled, one
//! event at a time for the player's decoding thread
//! (`player/src/video/decode.rs`), which decides what is shown when.

use crate::{abi, colour_of, fail, init, log, path_of, read_packet};
use ffmpeg_next as ff;
use std::collections::VecDeque;
use std::ffi::c_void;

/// Converts anything that is not 8-bit 4:2:0 (4:2:2, 4:4:4, 10-bit, RGB…).
#[derive(Default)]
struct Convert {
    sws: Option<(ff::software::scaling::Context, (ff::format::Pixel, u32, u32))>,
}

impl Convert {
    fn run(&mut self, pic: ff::frame::Video) -> Result<(ff::frame::Video, bool, bool), String> {
        use ff::format::Pixel;
        let (mut bt709, mut full) = colour_of(&pic);
        let fmt = pic.format();
        if matches!(fmt, Pixel::YUV420P | Pixel::YUVJ420P) {
            return Ok((pic, bt709, full));
        }
        let key = (fmt, pic.width(), pic.height());
        if self.sws.as_ref().is_none_or(|(_, k)| *k != key) {
            let ctx = ff::software::scaling::Context::get(
                fmt,
                pic.width(),
                pic.height(),
                Pixel::YUV420P,
                pic.width(),
                pic.height(),
                ff::software::scaling::Flags::BILINEAR,
            )
            .map_err(|e| format!("không chuyển được định dạng điểm ảnh {fmt:?}: {e} (unsupported pixel format)"))?;
            self.sws = Some((ctx, key));
        }
        let mut out = ff::frame::Video::empty();
        if let Some((sws, _)) = &mut self.sws {
            sws.run(&pic, &mut out)
                .map_err(|e| format!("không chuyển được định dạng điểm ảnh {fmt:?}: {e} (conversion failed)"))?;
        }
        let name = fmt.descriptor().map(|d| d.name()).unwrap_or("");
        if ["rgb", "bgr", "gbr", "argb", "abgr", "rgba", "bgra"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            (bt709, full) = (false, false);
        } else if name.starts_with("yuvj") {
            full = false;
        }
        Ok((out, bt709, full))
    }
}

/// The sound of the file: decoded and resampled to the output's rate.
struct Sound {
    index: usize,
    tb: f64,
    start: i64,
    dec: ff::decoder::Audio,
    resampler: Option<ff::software::resampling::Context>,
    rate: u32,
    /// Resampled, not yet handed out: (clip seconds, samples).
    queued: VecDeque<(f64, Vec<f32>)>,
}

impl Sound {
    fn open(ictx: &ff::format::context::Input, rate: u32) -> Option<Sound> {
        let stream = ictx.streams().best(ff::media::Type::Audio)?;
        let ctx = ff::codec::context::Context::from_parameters(stream.parameters()).ok()?;
        let dec = ctx.decoder().audio().ok()?;
        let start = match stream.start_time() {
            ff::ffi::AV_NOPTS_VALUE => 0,
            s => s,
        };
        Some(Sound {
            index: stream.index(),
            tb: f64::from(stream.time_base()),
            start,
            dec,
            resampler: None,
            rate,
            queued: VecDeque::new(),
        })
    }

    /// Decode `packet` and queue its sound within clip seconds `window`.
    fn packet(&mut self, packet: &ff::Packet, window: (f64, f64)) {
        if self.dec.send_packet(packet).is_err() {
            return;
        }
        let mut frame = ff::frame::Audio::empty();
        while self.dec.receive_frame(&mut frame).is_ok() {
            let Some(pts) = frame.timestamp().or(frame.pts()) else {
                continue;
            };
            let media = (pts - self.start) as f64 * self.tb;
            if !(media >= window.0 && media < window.1) {
                continue;
            }
            if frame.channel_layout().is_empty() {
                frame.set_channel_layout(ff::ChannelLayout::default(i32::from(frame.channels())));
            }
            if self.resampler.is_none() {
                self.resampler = ff::software::resampling::Context::get(
                    frame.format(),
                    frame.channel_layout(),
                    frame.rate(),
                    ff::format::Sample::F32(ff::format::sample::Type::Packed),
                    ff::ChannelLayout::STEREO,
                    self.rate,
                )
                .map_err(|e| {
                    log(
                        abi::LOG_WARN,
                        &format!("không đổi được tần số âm thanh: {e} (cannot resample)"),
                    )
                })
                .ok();
            }
            let Some(rs) = &mut self.resampler else {
                return;
            };
            // Room for all the input becomes at the output rate: given an
            // empty frame the resampler makes one only as long as its
            // input, and going up in rate (44.1 → 48 kHz) the rest would
            // pile up inside it and be lost.
            let room = frame.samples() * self.rate as usize / frame.rate().max(1) as usize + 1024;
            let mut out = ff::frame::Audio::new(
                ff::format::Sample::F32(ff::format::sample::Type::Packed),
                room,
                ff::ChannelLayout::STEREO,
            );
            out.set_rate(self.rate);
            if rs.run(&frame, &mut out).is_err() {
                continue;
            }
            let n = out.samples() * 2;
            let samples: Vec<f32> = out.data(0)[..n * 4]
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            self.queued.push_back((media, samples));
        }
    }
}

/// [`abi::Api::open`]'s input.
struct Input {
    name: String,
    ictx: ff::format::context::Input,
    vi: usize,
    tb: f64,
    start_pts: i64,
    dec: ff::decoder::Video,
    conv: Convert,
    sound: Option<Sound>,
    /// Clip seconds of sound wanted.
    window: (f64, f64),
    frame: ff::frame::Video,
    /// The file is read to its end (the decoder was told).
    eof: bool,
    /// A packet went to the decoder: take its pictures before reading on.
    receiving: bool,
    /// Sound handed out by the last `next`, kept alive until the next call.
    lent: Vec<f32>,
}

/// What `next` found.
enum Got {
    Picture(f64, ff::frame::Video, bool, bool),
    Sound(f64, Vec<f32>),
    End,
}

impl Input {
    fn open(path: &std::path::Path, threads: u32, sound_rate: u32) -> Result<Input, String> {
        init();
        let name = path.display().to_string();
        let ictx = ff::format::input(path).map_err(|e| format!("không mở được video {name}: {e} (cannot open)"))?;
        let stream = ictx
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| format!("video {name} không còn luồng hình (no video stream)"))?;
        let vi = stream.index();
        let tb = f64::from(stream.time_base());
        let start_pts = match stream.start_time() {
            ff::ffi::AV_NOPTS_VALUE => 0,
            s => s,
        };
        let mut ctx = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(|e| format!("video {name} hỏng: {e} (corrupt)"))?;
        ctx.set_threading(ff::threading::Config {
            kind: ff::threading::Type::Frame,
            count: threads.max(1) as usize,
            ..Default::default()
        });
        let dec = ctx
            .decoder()
            .video()
            .map_err(|e| format!("không có bộ giải mã cho video {name}: {e} (unsupported codec)"))?;
        let sound = (sound_rate > 0).then(|| Sound::open(&ictx, sound_rate)).flatten();
        Ok(Input {
            name,
            ictx,
            vi,
            tb,
            start_pts,
            dec,
            conv: Convert::default(),
            sound,
            window: (f64::NEG_INFINITY, f64::INFINITY),
            frame: ff::frame::Video::empty(),
            eof: false,
            receiving: false,
            lent: Vec::new(),
        })
    }

    fn seek(&mut self, at: f64, window: (f64, f64)) {
        let ts = (at * f64::from(ff::ffi::AV_TIME_BASE)) as i64
            + (self.start_pts as f64 * self.tb * f64::from(ff::ffi::AV_TIME_BASE)) as i64;
        if self.ictx.seek(ts, ..ts).is_err() && at > 0.05 {
            // Some files cannot seek; decoding from the start still works.
            let _ = self.ictx.seek(i64::MIN, ..);
        }
        self.dec.flush();
        if let Some(s) = &mut self.sound {
            s.dec.flush();
            s.queued.clear();
        }
        self.window = window;
        self.eof = false;
        self.receiving = false;
    }

    fn next(&mut self) -> Result<Got, String> {
        loop {
            if let Some((media, samples)) = self.sound.as_mut().and_then(|s| s.queued.pop_front()) {
                return Ok(Got::Sound(media, samples));
            }
            if self.receiving {
                match self.dec.receive_frame(&mut self.frame) {
                    Ok(()) => {
                        let Some(pts) = self.frame.timestamp().or(self.frame.pts()) else {
                            continue;
                        };
                        let media = (pts - self.start_pts) as f64 * self.tb;
                        let pic = std::mem::replace(&mut self.frame, ff::frame::Video::empty());
                        let (pic, bt709, full) = self.conv.run(pic)?;
                        return Ok(Got::Picture(media, pic, bt709, full));
                    }
                    Err(ff::Error::Eof) => {
                        self.receiving = false;
                        return Ok(Got::End);
                    }
                    Err(_) => {
                        self.receiving = false;
                        if self.eof {
                            return Ok(Got::End);
                        }
                    }
                }
                continue;
            }
            if self.eof {
                // Drained already: the stream stays at its end until a seek.
                return Ok(Got::End);
            }
            match read_packet(&mut self.ictx) {
                Ok(packet) => {
                    if let Some(s) = &mut self.sound
                        && packet.stream() == s.index
                    {
                        s.packet(&packet, self.window);
                        continue;
                    }
                    if packet.stream() != self.vi {
                        continue;
                    }
                    match self.dec.send_packet(&packet) {
                        Ok(()) => self.receiving = true,
                        Err(e) => {
                            log(
                                abi::LOG_DEBUG,
                                &format!("gói hình hỏng trong {}: {e} (bad packet skipped)", self.name),
                            );
                        }
                    }
                }
                Err(ff::Error::Eof) => {
                    self.eof = true;
                    let _ = self.dec.send_eof();
                    self.receiving = true;
                }
                Err(e) => return Err(format!("video {} hỏng giữa chừng: {e} (read error)", self.name)),
            }
        }
    }
}

/// A picture for the player: the frame leaked into its handle.
fn picture(pic: ff::frame::Video, bt709: bool, full: bool) -> abi::Picture {
    let (width, height) = (pic.width(), pic.height());
    let mut p = abi::Picture {
        width,
        height,
        bt709: u32::from(bt709),
        full_range: u32::from(full),
        ..Default::default()
    };
    for i in 0..3.min(pic.planes()) {
        let d = pic.data(i);
        p.data[i] = d.as_ptr();
        p.len[i] = d.len();
        p.stride[i] = pic.stride(i);
    }
    p.handle = Box::into_raw(Box::new(pic)) as *mut c_void;
    p
}

/// [`abi::Api::open`].
///
/// # Safety
/// `path` points to `len` bytes; `has_sound` and `err` are null or writable.
pub unsafe extern "C" fn open(
    path: *const u8,
    len: usize,
    threads: u32,
    sound_rate: u32,
    has_sound: *mut u32,
    err: *mut abi::Error,
) -> *mut c_void {
    // SAFETY: as the caller promises.
    let path = unsafe { path_of(path, len) };
    match Input::open(path, threads, sound_rate) {
        Ok(i) => {
            // SAFETY: as the caller promises.
            if let Some(h) = unsafe { has_sound.as_mut() } {
                *h = u32::from(i.sound.is_some());
            }
            Box::into_raw(Box::new(i)) as *mut c_void
        }
        Err(e) => {
            // SAFETY: as the caller promises.
            unsafe { fail(err, &e) };
            std::ptr::null_mut()
        }
    }
}

/// [`abi::Api::close`].
///
/// # Safety
/// `input` came from [`open`] and is not used again.
pub unsafe extern "C" fn close(input: *mut c_void) {
    if !input.is_null() {
        // SAFETY: as the caller promises.
        drop(unsafe { Box::from_raw(input as *mut Input) });
    }
}

/// [`abi::Api::seek`].
///
/// # Safety
/// `input` came from [`open`]; one thread at a time.
pub unsafe extern "C" fn seek(input: *mut c_void, at: f64, sound_from: f64, sound_to: f64) {
    // SAFETY: as the caller promises.
    let input = unsafe { &mut *(input as *mut Input) };
    input.seek(at, (sound_from, sound_to));
}

/// [`abi::Api::next`].
///
/// # Safety
/// `input` came from [`open`]; `ev` is writable; `err` is null or
/// writable; one thread at a time.
pub unsafe extern "C" fn next(input: *mut c_void, ev: *mut abi::Event, err: *mut abi::Error) {
    // SAFETY: as the caller promises.
    let (input, ev) = unsafe { (&mut *(input as *mut Input), &mut *ev) };
    *ev = abi::Event::default();
    match input.next() {
        Ok(Got::Picture(media, pic, bt709, full)) => {
            ev.kind = abi::EV_PICTURE;
            ev.media = media;
            ev.picture = picture(pic, bt709, full);
        }
        Ok(Got::Sound(media, samples)) => {
            input.lent = samples;
            ev.kind = abi::EV_SOUND;
            ev.media = media;
            ev.samples = input.lent.as_ptr();
            ev.samples_len = input.lent.len();
        }
        Ok(Got::End) => ev.kind = abi::EV_END,
        Err(e) => {
            ev.kind = abi::EV_ERROR;
            // SAFETY: as the caller promises.
            unsafe { fail(err, &e) };
        }
    }
}

/// [`abi::Api::picture_free`].
///
/// # Safety
/// `handle` came from a picture of [`next`] and is not used again.
pub unsafe extern "C" fn picture_free(handle: *mut c_void) {
    if !handle.is_null() {
        // SAFETY: as the caller promises.
        drop(unsafe { Box::from_raw(handle as *mut ff::frame::Video) });
    }
}
