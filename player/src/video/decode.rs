//! One playing run of a video item: a decoding thread and the queue the
//! renderer takes pictures from.

use super::lib::abi;
use super::{Frame, Info, Matrix, Picture, decoder_threads, queue_frames};
use crate::audio::AudioSource;
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

/// The file, opened by the video library for one run's thread.
struct Input {
    api: &'static abi::Api,
    handle: std::ptr::NonNull<std::ffi::c_void>,
    err: abi::Error,
}

/// What [`Input::next`] found.
enum Ev<'a> {
    /// A picture at clip second `media`.
    Picture(f64, Picture, Matrix, bool),
    /// Sound at clip second `media`, stereo f32 at the output's rate.
    Sound(f64, &'a [f32]),
    /// The video stream ended.
    End,
}

impl Input {
    /// Open with `threads` decoding threads, the sound resampled to
    /// `sound_rate` (0: no sound); also says whether there is sound.
    fn open(path: &std::path::Path, threads: usize, sound_rate: u32) -> Result<(Input, bool), String> {
        use std::os::unix::ffi::OsStrExt;
        let api = super::lib::api()?;
        let bytes = path.as_os_str().as_bytes();
        let (mut err, mut has_sound) = (abi::Error::default(), 0u32);
        // SAFETY: the path's bytes, and values of ours to write into.
        #[allow(unsafe_code)]
        let h = unsafe {
            (api.open)(
                bytes.as_ptr(),
                bytes.len(),
                u32::try_from(threads).unwrap_or(1),
                sound_rate,
                &mut has_sound,
                &mut err,
            )
        };
        let handle = std::ptr::NonNull::new(h).ok_or_else(|| err.text())?;
        Ok((Input { api, handle, err }, has_sound != 0))
    }

    /// Decode from clip second `at`; sound outside clip seconds `sound` is dropped.
    fn seek(&mut self, at: f64, sound: (f64, f64)) {
        // SAFETY: our input, used by this thread only.
        #[allow(unsafe_code)]
        unsafe {
            (self.api.seek)(self.handle.as_ptr(), at, sound.0, sound.1)
        };
    }

    fn next(&mut self) -> Result<Ev<'_>, String> {
        let mut ev = abi::Event::default();
        // SAFETY: our input, used by this thread only; `ev` and the error are ours.
        #[allow(unsafe_code)]
        unsafe {
            (self.api.next)(self.handle.as_ptr(), &mut ev, &mut self.err)
        };
        match ev.kind {
            abi::EV_PICTURE => {
                let matrix = if ev.picture.bt709 != 0 {
                    Matrix::Bt709
                } else {
                    Matrix::Bt601
                };
                let full = ev.picture.full_range != 0;
                Ok(Ev::Picture(ev.media, Picture(ev.picture), matrix, full))
            }
            abi::EV_SOUND if !ev.samples.is_null() => {
                // SAFETY: the library keeps these samples until our next
                // call on this input, which the borrow of `self` prevents.
                #[allow(unsafe_code)]
                let samples = unsafe { std::slice::from_raw_parts(ev.samples, ev.samples_len) };
                Ok(Ev::Sound(ev.media, samples))
            }
            abi::EV_SOUND => Ok(Ev::Sound(ev.media, &[])),
            abi::EV_END => Ok(Ev::End),
            _ => Err(self.err.text()),
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        // SAFETY: opened by `open`, closed once, here.
        #[allow(unsafe_code)]
        unsafe {
            (self.api.close)(self.handle.as_ptr())
        };
    }
}

/// The decoding thread.
fn play(plan: &SessionPlan, ctl: &Ctl, tx: &SyncSender<Msg>) -> Result<(), String> {
    let info = &plan.info;
    let threads = decoder_threads(info, std::thread::available_parallelism().map_or(2, |n| n.get()));
    let sound_out = plan.audio.as_ref().and_then(|a| {
        let rate = crate::audio::AudioOut::open().map(|o| o.rate())?;
        Some((a.clone(), rate))
    });
    let (mut input, has_sound) = Input::open(&info.path, threads, sound_out.as_ref().map_or(0, |s| s.1))?;
    let sound = sound_out.filter(|_| has_sound);
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
        // Sound of this pass only: clip seconds from just before its start
        // to where the pass ends.
        input.seek(clip_at, (plan.start - 0.5, pass_end - base + plan.start));
        if let Some((a, _)) = &sound
            && generation != sound_generation
        {
            // A new pass continues the sound queued so far; a seek drops it.
            a.clear();
        }
        sound_generation = generation;
        let at = |media: f64| -> Option<f64> {
            let t = base + (media - plan.start);
            (media >= plan.start - 0.5 && t < pass_end).then_some(t)
        };
        loop {
            if out.interrupted() {
                continue 'seek;
            }
            match input.next()? {
                Ev::End => break,
                Ev::Sound(media, samples) => {
                    let (Some((a, rate)), Some(t)) = (&sound, at(media)) else {
                        continue;
                    };
                    // Nothing past the end of the pass: the next pass (a
                    // loop's restart, the next cycle) starts exactly there.
                    let room = ((pass_end - t) * f64::from(*rate)).floor().max(0.0) as usize;
                    let n = (samples.len() / 2).min(room) * 2;
                    while !a.push(t, &samples[..n]) {
                        if out.interrupted() {
                            continue 'seek;
                        }
                        std::thread::sleep(AUDIO_RETRY);
                    }
                }
                Ev::Picture(media, pic, matrix, full_range) => {
                    let t = base + (media - plan.start);
                    if t >= pass_end - EPS {
                        break;
                    }
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
        }
        if let Flow::Stop = out.flush() {
            continue 'seek;
        }
        if !out.sent {
            return Err(format!(
                "video {}: không giải mã được hình nào từ {clip_at:.2} s (nothing decodes)",
                info.path.display()
            ));
        }
        // Next: another pass of a looping clip, a hold, or the next cycle.
        target = pass_end;
    }
}
