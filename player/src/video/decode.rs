//! One playing run of a video item: a decoding thread and the queue the
//! renderer takes pictures from.

use super::{Frame, Info, colour_of, decoder_threads, init, queue_frames};
use crate::audio::AudioSource;
use ffmpeg_next as ff;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Slack when comparing session times (a microsecond).
const EPS: f64 = 1e-6;
/// Further ahead than this is reached by seeking, not by decoding through.
const FAR_AHEAD_S: f64 = 2.0;
/// A live board this far behind its clock (a long stall) seeks ahead.
/// Less is caught up by decoding on: pictures are chosen by the clock, so
/// late ones are dropped, never shown fast; and a seek lands on the
/// keyframe before the target, often more work than decoding through.
const LATE_S: f64 = 5.0;
/// Exact renders (headless, golden tests) wait at most this for a picture.
const EXACT_WAIT: Duration = Duration::from_secs(20);
/// Sound queued ahead is bounded by the audio output; poll that often.
const AUDIO_RETRY: Duration = Duration::from_millis(5);

/// What a run plays.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    pub info: Arc<Info>,
    /// Offset into the clip where each pass starts (seconds).
    pub start: f64,
    /// Length of one cycle of the run (the item's slot); may be infinite.
    pub slot: f64,
    /// Repeat the clip within a cycle.
    pub looping: bool,
    /// Session time of the first picture wanted.
    pub from: f64,
    /// Where the sound goes; `None` plays silently.
    pub audio: Option<Arc<AudioSource>>,
}

impl SessionPlan {
    /// Seconds one pass of the clip lasts.
    fn pass_len(&self) -> f64 {
        (self.info.duration - self.start).max(0.04)
    }
}

/// What the decoding thread sends.
#[derive(Debug)]
pub enum Msg {
    Frame(Frame),
    /// The picture does not change before session time `until` (the clip
    /// ended within its cycle and holds its last picture).
    Hold {
        until: f64,
        generation: u64,
    },
    /// The file failed mid-play (read error, corrupt data).
    Failed(String),
}

#[derive(Debug, Default)]
struct Ctl {
    /// Seek request: session time and its generation.
    seek: Mutex<Option<(f64, u64)>>,
    closed: AtomicBool,
}

/// A run being played: pictures decoded ahead on their own thread.
#[derive(Debug)]
pub struct Session {
    rx: Receiver<Msg>,
    ctl: Arc<Ctl>,
    thread: Option<std::thread::JoinHandle<()>>,
    ahead: VecDeque<Msg>,
    current: Option<Frame>,
    generation: u64,
    failed: Option<String>,
    plan: SessionPlan,
    /// Pictures made current, and those replaced within the same
    /// `advance` (never on screen: the decoder or the screen was late).
    shown: u64,
    passed_over: u64,
}

impl Drop for Session {
    fn drop(&mut self) {
        tracing::debug!(
            "video {}: {} hình đã chiếu, {} hình bị bỏ qua (pictures shown, passed over)",
            self.plan.info.path.display(),
            self.shown - self.passed_over,
            self.passed_over
        );
        self.ctl.closed.store(true, Ordering::Relaxed);
        // The thread notices at its next send or packet; it must not keep
        // the file open long, but we do not wait for it on the render thread.
        drop(self.thread.take());
    }
}

impl Session {
    pub fn start(plan: SessionPlan) -> Session {
        let (tx, rx) = sync_channel(queue_frames(&plan.info, plan.audio.is_some()));
        let ctl = Arc::new(Ctl::default());
        let thread = {
            let (plan, ctl) = (plan.clone(), ctl.clone());
            std::thread::Builder::new()
                .name("bangtin-video".into())
                .spawn(move || {
                    if let Err(e) = play(&plan, &ctl, &tx) {
                        let _ = tx.send(Msg::Failed(e));
                    }
                })
                .map_err(|e| tracing::error!("không tạo được luồng giải mã: {e} (cannot spawn decoder)"))
                .ok()
        };
        Session {
            rx,
            ctl,
            thread,
            ahead: VecDeque::new(),
            current: None,
            generation: 0,
            failed: None,
            plan,
            shown: 0,
            passed_over: 0,
        }
    }

    pub fn plan(&self) -> &SessionPlan {
        &self.plan
    }

    /// The picture chosen by the last [`Session::advance`].
    pub fn current(&self) -> Option<&Frame> {
        self.current.as_ref()
    }

    /// Session time of the next change already known (next picture, end
    /// of a hold), if any.
    pub fn next_due(&self) -> Option<f64> {
        match self.ahead.front()? {
            Msg::Frame(f) => Some(f.t),
            Msg::Hold { until, .. } => Some(*until),
            Msg::Failed(_) => None,
        }
    }

    fn seek(&mut self, to: f64) {
        // Drop what is queued *before* asking: pictures of the new seek may
        // arrive at once, and must not be thrown away with the old ones
        // (stale pictures that still come are told apart by generation).
        self.ahead.clear();
        while self.rx.try_recv().is_ok() {}
        self.generation += 1;
        if let Ok(mut s) = self.ctl.seek.lock() {
            *s = Some((to, self.generation));
        }
    }

    /// Make [`Session::current`] the picture for session time `w`: the
    /// last one whose time is not after `w`. `wait: None` is an exact
    /// render: it waits for the decoder (offline renders must show exactly
    /// that picture). Live playback takes what is decoded and never blocks
    /// the screen, except up to `wait` for a run's very first picture.
    pub fn advance(&mut self, w: f64, wait: Option<Duration>) -> Result<(), String> {
        let exact = wait.is_none();
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let known = self
            .ahead
            .back()
            .and_then(|m| match m {
                Msg::Frame(f) => Some(f.t),
                Msg::Hold { until, .. } => Some(*until),
                Msg::Failed(_) => None,
            })
            .or(self.current.as_ref().map(|c| c.t))
            .unwrap_or(self.plan.from);
        let backwards = self.current.as_ref().is_some_and(|c| w + EPS < c.t)
            || (self.current.is_none() && w + EPS < self.plan.from);
        if backwards || w > known + if exact { FAR_AHEAD_S } else { LATE_S } {
            self.seek(w);
        }
        let deadline = Instant::now() + wait.unwrap_or(EXACT_WAIT);
        let mut took = false;
        loop {
            while let Some(m) = self.ahead.front() {
                match m {
                    Msg::Frame(f) if f.generation != self.generation => {}
                    Msg::Hold { generation, .. } if *generation != self.generation => {}
                    Msg::Frame(f) if f.t > w + EPS => {
                        if self.current.is_none() {
                            // Before the clip's first picture: show it early
                            // rather than nothing.
                            if let Some(Msg::Frame(f)) = self.ahead.pop_front() {
                                self.current = Some(f);
                                self.shown += 1;
                            }
                        }
                        return self.catch_up(w, exact);
                    }
                    Msg::Frame(_) => {
                        if let Some(Msg::Frame(f)) = self.ahead.pop_front() {
                            self.current = Some(f);
                            self.shown += 1;
                            self.passed_over += u64::from(took);
                            took = true;
                        }
                        continue;
                    }
                    Msg::Hold { until, .. } if *until > w + EPS => return Ok(()),
                    Msg::Hold { .. } => {}
                    Msg::Failed(e) => {
                        self.failed = Some(e.clone());
                        return Err(e.clone());
                    }
                }
                self.ahead.pop_front();
            }
            let got = if exact || self.current.is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.rx.recv_timeout(left) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) if !exact => return Ok(()),
                    Err(RecvTimeoutError::Timeout) => {
                        return Err(format!(
                            "video {} giải mã quá chậm (decoding too slow)",
                            self.plan.info.path.display()
                        ));
                    }
                    Err(RecvTimeoutError::Disconnected) => return Err(self.stopped()),
                }
            } else {
                match self.rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => return self.catch_up(w, exact),
                    Err(TryRecvError::Disconnected) => return Err(self.stopped()),
                }
            };
            self.ahead.push_back(got);
        }
    }

    /// A live board that fell behind skips ahead.
    fn catch_up(&mut self, w: f64, exact: bool) -> Result<(), String> {
        if !exact && self.current.as_ref().is_some_and(|c| c.t < w - LATE_S) && self.ahead.is_empty() {
            self.seek(w + 0.5);
        }
        Ok(())
    }

    fn stopped(&mut self) -> String {
        let e = format!(
            "luồng giải mã video {} đã dừng (decoder stopped)",
            self.plan.info.path.display()
        );
        self.failed = Some(e.clone());
        e
    }
}

/// Pictures go out one behind: the last picture not after the target is
/// only known when the next one is decoded.
struct Out<'a> {
    tx: &'a SyncSender<Msg>,
    ctl: &'a Ctl,
    target: f64,
    generation: u64,
    held: Option<Frame>,
    /// Something of this pass was sent (or is held to be sent).
    sent: bool,
}

enum Flow {
    Go,
    /// A seek was asked for, or the session closed.
    Stop,
}

impl Out<'_> {
    fn interrupted(&self) -> bool {
        self.ctl.closed.load(Ordering::Relaxed)
            || self
                .ctl
                .seek
                .lock()
                .map(|s| s.is_some_and(|(_, g)| g != self.generation))
                .unwrap_or(true)
    }

    fn send(&self, m: Msg) -> Flow {
        if self.interrupted() || self.tx.send(m).is_err() {
            Flow::Stop
        } else {
            Flow::Go
        }
    }

    fn frame(&mut self, f: Frame) -> Flow {
        self.sent = true;
        if f.t <= self.target + EPS {
            self.held = Some(f);
            return Flow::Go;
        }
        if let Some(h) = self.held.take()
            && let Flow::Stop = self.send(Msg::Frame(h))
        {
            return Flow::Stop;
        }
        self.send(Msg::Frame(f))
    }

    fn flush(&mut self) -> Flow {
        match self.held.take() {
            Some(h) => self.send(Msg::Frame(h)),
            None => Flow::Go,
        }
    }
}

/// Converts anything that is not 8-bit 4:2:0 (4:2:2, 4:4:4, 10-bit, RGB…).
#[derive(Default)]
struct Convert {
    sws: Option<(ff::software::scaling::Context, (ff::format::Pixel, u32, u32))>,
}

impl Convert {
    fn run(&mut self, pic: ff::frame::Video) -> Result<(ff::frame::Video, super::Matrix, bool), String> {
        use ff::format::Pixel;
        let (mut matrix, mut full) = colour_of(&pic);
        let fmt = pic.format();
        if matches!(fmt, Pixel::YUV420P | Pixel::YUVJ420P) {
            return Ok((pic, matrix, full));
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
            (matrix, full) = (super::Matrix::Bt601, false);
        } else if name.starts_with("yuvj") {
            full = false;
        }
        Ok((out, matrix, full))
    }
}

/// The sound of a run: decoded, resampled to the output's rate, queued
/// with its session time.
struct Sound {
    index: usize,
    tb: f64,
    dec: ff::decoder::Audio,
    resampler: Option<ff::software::resampling::Context>,
    out: Arc<AudioSource>,
    rate: u32,
}

impl Sound {
    fn open(ictx: &ff::format::context::Input, out: Arc<AudioSource>, rate: u32) -> Option<Sound> {
        let stream = ictx.streams().best(ff::media::Type::Audio)?;
        let ctx = ff::codec::context::Context::from_parameters(stream.parameters()).ok()?;
        let dec = ctx.decoder().audio().ok()?;
        Some(Sound {
            index: stream.index(),
            tb: f64::from(stream.time_base()),
            dec,
            resampler: None,
            out,
            rate,
        })
    }

    /// Decode `packet` and queue its sound; `at(media)` maps clip seconds
    /// to session time, `None` outside the current pass.
    fn packet(
        &mut self,
        packet: &ff::Packet,
        start_pts: i64,
        at: &dyn Fn(f64) -> Option<f64>,
        pass_end: f64,
        o: &Out<'_>,
    ) -> Flow {
        if self.dec.send_packet(packet).is_err() {
            return Flow::Go;
        }
        let mut frame = ff::frame::Audio::empty();
        while self.dec.receive_frame(&mut frame).is_ok() {
            let Some(pts) = frame.timestamp().or(frame.pts()) else {
                continue;
            };
            let Some(t) = at((pts - start_pts) as f64 * self.tb) else {
                continue;
            };
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
                .map_err(|e| tracing::warn!("không đổi được tần số âm thanh: {e} (cannot resample)"))
                .ok();
            }
            let Some(rs) = &mut self.resampler else {
                return Flow::Go;
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
            // Nothing past the end of the pass: the next pass (a loop's
            // restart, the next cycle) starts exactly there.
            let room = ((pass_end - t) * f64::from(self.rate)).floor().max(0.0) as usize;
            let n = out.samples().min(room) * 2;
            let samples: Vec<f32> = out.data(0)[..n * 4]
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            while !self.out.push(t, &samples) {
                if o.interrupted() {
                    return Flow::Stop;
                }
                std::thread::sleep(AUDIO_RETRY);
            }
        }
        Flow::Go
    }

    fn reset(&mut self, drop_queued: bool) {
        self.dec.flush();
        if drop_queued {
            self.out.clear();
        }
    }
}

/// The decoding thread.
fn play(plan: &SessionPlan, ctl: &Ctl, tx: &SyncSender<Msg>) -> Result<(), String> {
    init();
    let info = &plan.info;
    let name = info.path.display();
    let mut ictx =
        ff::format::input(&info.path).map_err(|e| format!("không mở được video {name}: {e} (cannot open)"))?;
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
    let threads = decoder_threads(info, std::thread::available_parallelism().map_or(2, |n| n.get()));
    ctx.set_threading(ff::threading::Config {
        kind: ff::threading::Type::Frame,
        count: threads,
        ..Default::default()
    });
    let mut dec = ctx
        .decoder()
        .video()
        .map_err(|e| format!("không có bộ giải mã cho video {name}: {e} (unsupported codec)"))?;
    let mut sound = plan.audio.as_ref().and_then(|a| {
        let rate = crate::audio::AudioOut::open().map(|o| o.rate())?;
        Sound::open(&ictx, a.clone(), rate)
    });
    let mut conv = Convert::default();
    let pass_len = plan.pass_len();
    let mut target = plan.from.max(0.0);
    let mut generation = 0u64;
    let mut sound_generation = u64::MAX;
    'seek: loop {
        if ctl.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        if let Ok(s) = ctl.seek.lock()
            && let Some((to, g)) = *s
            && g != generation
        {
            target = to.max(0.0);
            generation = g;
        }
        let mut out = Out {
            tx,
            ctl,
            target,
            generation,
            held: None,
            sent: false,
        };
        // Where `target` falls: which cycle, which pass, how far in.
        let (cyc0, cyc_end) = if plan.slot.is_finite() && plan.slot > 0.0 {
            let c = (target / plan.slot).floor();
            (c * plan.slot, (c + 1.0) * plan.slot)
        } else {
            (0.0, f64::INFINITY)
        };
        let within = target - cyc0;
        let (base, offset) = if plan.looping {
            let pass = (within / pass_len).floor();
            (cyc0 + pass * pass_len, within - pass * pass_len)
        } else if within < pass_len - EPS {
            (cyc0, within)
        } else {
            // The clip is over for this cycle: hold until the next.
            if let Flow::Stop = out.send(Msg::Hold {
                until: cyc_end,
                generation,
            }) {
                if out.interrupted() {
                    continue 'seek;
                }
                return Ok(());
            }
            if cyc_end.is_finite() {
                target = cyc_end;
                continue 'seek;
            }
            while !out.interrupted() {
                std::thread::sleep(Duration::from_millis(50));
            }
            continue 'seek;
        };
        let pass_end = (base + pass_len).min(cyc_end);
        let clip_at = plan.start + offset;
        let ts = ((clip_at) * f64::from(ff::ffi::AV_TIME_BASE)) as i64
            + (start_pts as f64 * tb * f64::from(ff::ffi::AV_TIME_BASE)) as i64;
        if ictx.seek(ts, ..ts).is_err() && clip_at > 0.05 {
            // Some files cannot seek; decoding from the start still works.
            let _ = ictx.seek(i64::MIN, ..);
        }
        dec.flush();
        if let Some(s) = &mut sound {
            // A new pass continues the sound queued so far; a seek drops it.
            s.reset(generation != sound_generation);
        }
        sound_generation = generation;
        let at = |media: f64| -> Option<f64> {
            let t = base + (media - plan.start);
            (media >= plan.start - 0.5 && t < pass_end).then_some(t)
        };
        let mut frame = ff::frame::Video::empty();
        let mut eof = false;
        let mut pass_over = false;
        while !pass_over {
            if out.interrupted() {
                continue 'seek;
            }
            if !eof {
                let packet = match super::read_packet(&mut ictx) {
                    Ok(p) => Some(p),
                    Err(ff::Error::Eof) => {
                        eof = true;
                        let _ = dec.send_eof();
                        None
                    }
                    Err(e) => return Err(format!("video {name} hỏng giữa chừng: {e} (read error)")),
                };
                if let Some(packet) = packet {
                    if let Some(s) = &mut sound
                        && packet.stream() == s.index
                    {
                        if let Flow::Stop = s.packet(&packet, s_start(&ictx, s.index), &at, pass_end, &out) {
                            continue 'seek;
                        }
                        continue;
                    }
                    if packet.stream() != vi {
                        continue;
                    }
                    if let Err(e) = dec.send_packet(&packet) {
                        tracing::debug!("gói hình hỏng trong {name}: {e} (bad packet skipped)");
                        continue;
                    }
                }
            }
            loop {
                match dec.receive_frame(&mut frame) {
                    Ok(()) => {}
                    Err(ff::Error::Eof) => {
                        pass_over = true;
                        break;
                    }
                    Err(_) => {
                        if eof {
                            pass_over = true;
                        }
                        break;
                    }
                }
                let Some(pts) = frame.timestamp().or(frame.pts()) else {
                    continue;
                };
                let media = (pts - start_pts) as f64 * tb;
                let t = base + (media - plan.start);
                if t >= pass_end - EPS {
                    pass_over = true;
                    break;
                }
                let pic = std::mem::replace(&mut frame, ff::frame::Video::empty());
                let (pic, matrix, full_range) = conv.run(pic)?;
                let f = Frame {
                    t: t.max(base),
                    generation,
                    matrix,
                    full_range,
                    pic,
                };
                if let Flow::Stop = out.frame(f) {
                    continue 'seek;
                }
            }
        }
        if let Flow::Stop = out.flush() {
            continue 'seek;
        }
        if !out.sent {
            return Err(format!(
                "video {name}: không giải mã được hình nào từ {clip_at:.2} s (nothing decodes)"
            ));
        }
        // Next: another pass of a looping clip, a hold, or the next cycle.
        target = pass_end;
    }
}

/// Start time of stream `index`, in its own time base (0 when unknown).
fn s_start(ictx: &ff::format::context::Input, index: usize) -> i64 {
    ictx.stream(index)
        .map(|s| s.start_time())
        .filter(|s| *s != ff::ffi::AV_NOPTS_VALUE)
        .unwrap_or(0)
}
