//! The board's sound output.
//!
//! One cpal stream on the default ALSA device mixes any number of
//! [`AudioSource`]s (in practice: the audio tracks of the videos on screen).
//! A source is a queue of stereo `f32` samples at [`AudioOut::rate`], stamped
//! with media time, plus a clock that ties media time to [`Instant`]s; the
//! video side moves that clock on every painted frame.
//!
//! The output callback works out when the first frame of its buffer will be
//! heard (now + the delay the device reports), translates that instant to
//! each source's media time and plays the samples queued for that time: sound
//! follows the pictures. While the error stays within [`RESYNC`] a source
//! plays contiguously (no clicks); beyond it the mixer drops late samples or
//! plays silence until early ones are due — at once when a source starts or
//! the error exceeds [`JUMP`] (a seek, a stall), otherwise only once the
//! error has lasted [`PERSIST`]: one callback that runs late (a busy board)
//! moves the estimate of when its buffer is heard, not the sound itself, and
//! must not cut a piece out of it.
//!
//! Boards without a sound card get `None` from [`AudioOut::open`], logged
//! once; playback goes on silently.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, OutputCallbackInfo, SampleFormat, SizedSample, StreamConfig};

/// Most sound (seconds) a source holds ahead of what was played: beyond it
/// [`AudioSource::push`] refuses more.
pub const MAX_AHEAD: f64 = 2.0;

/// Sync error (seconds) tolerated before the mixer jumps instead of playing on.
pub const RESYNC: f64 = 0.010;

/// An error beyond this (seconds) is corrected at the next buffer.
pub const JUMP: f64 = 0.040;

/// How long (seconds of output) an error between [`RESYNC`] and [`JUMP`]
/// must last before a playing source is moved.
pub const PERSIST: f64 = 0.100;

/// Sample rates we ask the device for, best first.
const PREFERRED_RATES: [u32; 2] = [48_000, 44_100];

/// Period we ask the device for; cpal makes the ALSA buffer two periods.
const PERIOD: f64 = 0.020;

/// A push whose timestamp is further than this after the queued sound
/// starts a new timeline instead of being padded with silence.
const MAX_GAP: f64 = 1.0;

/// Lock, shrugging off poisoning (a panicking holder left plain numbers behind).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An `f32` that threads share.
#[derive(Debug)]
struct AtomicF32(AtomicU32);

impl AtomicF32 {
    fn new(v: f32) -> Self {
        AtomicF32(AtomicU32::new(v.to_bits()))
    }
    fn get(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
    fn set(&self, v: f32) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
}

/// A volume clamped to 0..=1 (NaN is silence).
fn unit(v: f32) -> f32 {
    if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
}

/// Seconds from `b` to `a`, negative when `a` is earlier.
fn secs_between(a: Instant, b: Instant) -> f64 {
    match a.checked_duration_since(b) {
        Some(d) => d.as_secs_f64(),
        None => -b.duration_since(a).as_secs_f64(),
    }
}

/// Media time `media_t` is due at `at`; nothing plays while `!playing`.
#[derive(Debug, Clone, Copy)]
struct Clock {
    media_t: f64,
    at: Instant,
    playing: bool,
}

impl Clock {
    fn media_at(&self, t: Instant) -> f64 {
        self.media_t + secs_between(t, self.at)
    }
}

/// What one source has queued, and where it stands.
#[derive(Debug)]
struct Queue {
    /// Interleaved stereo samples, the first of them at media time [`Queue::front_t`].
    samples: VecDeque<f32>,
    /// Media time of the first frame of the current timeline.
    base_t: f64,
    /// Frames of that timeline already played or dropped (counted, not
    /// summed in seconds, so long playback does not drift).
    taken: u64,
    clock: Option<Clock>,
    /// Gain the last callback ended with (volume changes ramp from it).
    gain: f32,
    /// The last callback played samples of this timeline contiguously.
    running: bool,
    /// Since when (heard instant) the error has stayed beyond [`RESYNC`] on
    /// one side, and the smallest such error seen (the best estimate: a late
    /// callback only makes the error look larger).
    off_since: Option<(Instant, f64)>,
}

impl Queue {
    fn frames(&self) -> usize {
        self.samples.len() / 2
    }
    fn front_t(&self, rate: f64) -> f64 {
        self.base_t + self.taken as f64 / rate
    }
    fn end_t(&self, rate: f64) -> f64 {
        self.base_t + (self.taken + self.frames() as u64) as f64 / rate
    }
    fn restart(&mut self, t: f64) {
        self.samples.clear();
        self.base_t = t;
        self.taken = 0;
        self.running = false;
        self.off_since = None;
    }

    /// The correction to make now for sync error `err` at `heard`: `err`
    /// itself when the source starts or it exceeds [`JUMP`], the smallest
    /// error of the last [`PERSIST`] when it has stayed beyond [`RESYNC`]
    /// on one side that long, otherwise 0.
    fn correction(&mut self, err: f64, heard: Instant) -> f64 {
        if !self.running || err.abs() > JUMP {
            self.off_since = None;
            return if err.abs() > RESYNC { err } else { 0.0 };
        }
        if err.abs() <= RESYNC {
            self.off_since = None;
            return 0.0;
        }
        let (since, least) = match self.off_since {
            Some((since, least)) if least.signum() == err.signum() => {
                (since, if err.abs() < least.abs() { err } else { least })
            }
            _ => (heard, err),
        };
        if secs_between(heard, since) >= PERSIST {
            self.off_since = None;
            least
        } else {
            self.off_since = Some((since, least));
            0.0
        }
    }
    fn drop_front(&mut self, frames: usize) {
        let frames = frames.min(self.frames());
        self.samples.drain(..2 * frames);
        self.taken += frames as u64;
    }
}

/// The part of a source the output callback sees.
#[derive(Debug)]
struct SourceShared {
    id: u64,
    volume: AtomicF32,
    removed: AtomicBool,
    queue: Mutex<Queue>,
}

impl SourceShared {
    /// Add this source's sound for a buffer whose first frame is heard at
    /// `heard` into `out` (interleaved stereo).
    fn mix_into(&self, out: &mut [f32], heard: Instant, rate: f64) {
        if self.removed.load(Ordering::Acquire) {
            return;
        }
        let target = self.volume.get();
        let mut q = lock(&self.queue);
        let Some(clock) = q.clock else {
            q.gain = target;
            return;
        };
        if !clock.playing {
            // Fade in when playback resumes in the middle of a sound.
            q.gain = 0.0;
            q.running = false;
            return;
        }
        let frames = out.len() / 2;
        if q.frames() == 0 {
            q.gain = target;
            q.running = false;
            return;
        }
        let err = clock.media_at(heard) - q.front_t(rate);
        let fix = q.correction(err, heard);
        let mut skip = 0;
        if fix > 0.0 {
            // Late: what should be heard now lies further on.
            q.drop_front((fix * rate).round() as usize);
            if q.frames() == 0 {
                q.gain = target;
                q.running = false;
                return;
            }
        } else if fix < 0.0 {
            // Early: silence until the first queued frame is due.
            skip = (-fix * rate).round() as usize;
            if skip >= frames {
                q.gain = target;
                q.running = false;
                return;
            }
        }
        let n = (frames - skip).min(q.frames());
        let g0 = q.gain;
        let step = (target - g0) / n as f32;
        let mut queued = q.samples.drain(..2 * n);
        for (i, o) in out[2 * skip..2 * (skip + n)].chunks_exact_mut(2).enumerate() {
            let g = g0 + step * (i + 1) as f32;
            o[0] += g * queued.next().unwrap_or(0.0);
            o[1] += g * queued.next().unwrap_or(0.0);
        }
        drop(queued);
        q.taken += n as u64;
        q.gain = target;
        q.running = true;
    }
}

/// State shared by [`AudioOut`], its sources and the output callback.
#[derive(Debug)]
struct Mixer {
    master: AtomicF32,
    sources: Mutex<Vec<Arc<SourceShared>>>,
    /// Bumped whenever `sources` changes, so the callback copies the list only then.
    generation: AtomicU64,
    next_id: AtomicU64,
    frames_played: AtomicU64,
}

impl Mixer {
    fn new() -> Self {
        Mixer {
            master: AtomicF32::new(1.0),
            sources: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            frames_played: AtomicU64::new(0),
        }
    }
}

/// The output callback's own state: it owns a copy of the source list and a
/// mixing buffer, so steady-state callbacks neither allocate nor wait.
struct Render {
    mixer: Arc<Mixer>,
    rate: f64,
    channels: usize,
    /// Used when the device gives no usable timestamps.
    fallback_delay: Duration,
    sources: Vec<Arc<SourceShared>>,
    generation: u64,
    mix: Vec<f32>,
    master: f32,
}

impl Render {
    fn new(mixer: Arc<Mixer>, rate: u32, channels: usize, fallback_delay: Duration) -> Self {
        let master = mixer.master.get();
        Render {
            mixer,
            rate: f64::from(rate),
            channels,
            fallback_delay,
            sources: Vec::with_capacity(32),
            generation: u64::MAX,
            mix: Vec::with_capacity(16_384),
            master,
        }
    }

    /// Mix `frames` stereo frames whose first is heard at `heard` into `self.mix`.
    fn mix(&mut self, frames: usize, heard: Instant) {
        let generation = self.mixer.generation.load(Ordering::Acquire);
        if generation != self.generation {
            // Someone is adding or removing a source right now: keep the old
            // list for this buffer (removed ones are flagged anyway).
            if let Ok(list) = self.mixer.sources.try_lock() {
                self.sources.clear();
                self.sources.extend(list.iter().cloned());
                self.generation = generation;
            }
        }
        self.mix.clear();
        self.mix.resize(2 * frames, 0.0);
        for s in &self.sources {
            s.mix_into(&mut self.mix, heard, self.rate);
        }
        let target = self.mixer.master.get();
        let g0 = self.master;
        let step = (target - g0) / frames.max(1) as f32;
        for (i, o) in self.mix.chunks_exact_mut(2).enumerate() {
            let g = g0 + step * (i + 1) as f32;
            o[0] = (o[0] * g).clamp(-1.0, 1.0);
            o[1] = (o[1] * g).clamp(-1.0, 1.0);
        }
        self.master = target;
        self.mixer.frames_played.fetch_add(frames as u64, Ordering::Relaxed);
    }

    /// The cpal data callback.
    fn write<T: SizedSample + FromSample<f32>>(&mut self, data: &mut [T], info: &OutputCallbackInfo) {
        let ts = info.timestamp();
        let delay = ts
            .playback
            .checked_duration_since(ts.callback)
            .unwrap_or(self.fallback_delay);
        let heard = Instant::now() + delay;
        let ch = self.channels.max(1);
        let frames = data.len() / ch;
        self.mix(frames, heard);
        for (o, m) in data.chunks_exact_mut(ch).zip(self.mix.chunks_exact(2)) {
            if ch == 1 {
                o[0] = T::from_sample(0.5 * (m[0] + m[1]));
            } else {
                o[0] = T::from_sample(m[0]);
                o[1] = T::from_sample(m[1]);
                for x in &mut o[2..] {
                    *x = T::from_sample(0.0f32);
                }
            }
        }
    }
}

/// The board's one sound output: a cpal output stream on the default ALSA
/// device, stereo f32, mixing any number of sources. Boards without a sound
/// card get `None` from [`AudioOut::open`] (logged once, never an error).
pub struct AudioOut {
    rate: u32,
    channels: u16,
    format: SampleFormat,
    device: String,
    latency: Duration,
    mixer: Arc<Mixer>,
    /// Never dropped while the process runs (the output lives in a static).
    _stream: Option<cpal::Stream>,
}

// The output is shared process-wide; sources move between threads.
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<AudioOut>();
    check::<AudioSource>();
};

impl fmt::Debug for AudioOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioOut")
            .field("device", &self.device)
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .field("format", &self.format)
            .field("latency", &self.latency)
            .field("sources", &lock(&self.mixer.sources).len())
            .field("frames_played", &self.frames_played())
            .finish()
    }
}

static OUTPUT: OnceLock<Option<Arc<AudioOut>>> = OnceLock::new();

/// Master volume the output starts with (`f32` bits), set before it opens
/// (e.g. from `run --volume`): the output is opened only when a video with
/// sound first plays, so boards without sound never touch ALSA.
static INITIAL_MASTER: AtomicU32 = AtomicU32::new(0x3f80_0000);

/// Set the master volume (0..=1) now if the output is open, and for when it opens.
pub fn set_master_volume(v: f32) {
    INITIAL_MASTER.store(unit(v).to_bits(), Ordering::Relaxed);
    if let Some(Some(out)) = OUTPUT.get() {
        out.set_master_volume(v);
    }
}

impl AudioOut {
    /// The process-wide output, opened on first use; a second call returns
    /// the same `Arc`. `None` when there is no usable sound device (logged
    /// once).
    pub fn open() -> Option<Arc<AudioOut>> {
        OUTPUT
            .get_or_init(|| match Self::start() {
                Ok(out) => {
                    out.set_master_volume(f32::from_bits(INITIAL_MASTER.load(Ordering::Relaxed)));
                    tracing::info!(
                        "âm thanh: {} — {} Hz, {} kênh, {}, độ trễ ≈ {} ms (audio output)",
                        out.device,
                        out.rate,
                        out.channels,
                        out.format,
                        out.latency.as_millis()
                    );
                    Some(Arc::new(out))
                }
                Err(e) => {
                    tracing::warn!("không mở được thiết bị âm thanh: {e} (no audio device); phát không tiếng");
                    None
                }
            })
            .clone()
    }

    fn start() -> Result<AudioOut, String> {
        let host = cpal::default_host();
        let device = host
            .default_output_device()
            .ok_or_else(|| "không có thiết bị mặc định (no default output device)".to_string())?;
        let name = device
            .description()
            .map(|d| d.name().to_string())
            .unwrap_or_else(|_| "default".to_string());
        let ranges: Vec<_> = device
            .supported_output_configs()
            .map_err(|e| format!("{name}: {e}"))?
            .collect();
        let (range, rate) = choose_config(&ranges)
            .ok_or_else(|| format!("{name}: không có định dạng dùng được (no usable stream format)"))?;
        let channels = range.channels();
        let format = range.sample_format();
        let period = (f64::from(rate) * PERIOD).round() as u32;
        let period = match range.buffer_size() {
            cpal::SupportedBufferSize::Range { min, max } => period.clamp(*min, (*max).max(*min)),
            cpal::SupportedBufferSize::Unknown => period,
        };
        let mixer = Arc::new(Mixer::new());
        let mut last_err = String::new();
        for buffer_size in [cpal::BufferSize::Fixed(period), cpal::BufferSize::Default] {
            let config = StreamConfig {
                channels,
                sample_rate: rate,
                buffer_size,
            };
            // With the default buffer we do not know the period: assume ours.
            let latency = Duration::from_secs_f64(2.0 * f64::from(period) / f64::from(rate));
            let render = Render::new(mixer.clone(), rate, usize::from(channels), latency);
            let stream = match format {
                SampleFormat::F32 => build_stream::<f32>(&device, &config, render),
                SampleFormat::I32 => build_stream::<i32>(&device, &config, render),
                SampleFormat::I16 => build_stream::<i16>(&device, &config, render),
                other => {
                    return Err(format!(
                        "{name}: định dạng {other} chưa hỗ trợ (unsupported sample format)"
                    ));
                }
            };
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    last_err = format!("{name}: {e}");
                    continue;
                }
            };
            stream.play().map_err(|e| format!("{name}: {e}"))?;
            return Ok(AudioOut {
                rate,
                channels,
                format,
                device: name,
                latency,
                mixer,
                _stream: Some(stream),
            });
        }
        Err(last_err)
    }

    /// Output sample rate: sources deliver samples at this rate, 2 channels interleaved.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The output buffer's latency as configured (for diagnostics; the mixer
    /// uses the device's own timestamps when it has them).
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Master volume, 0..=1 (clamped), applied to the mix.
    pub fn set_master_volume(&self, v: f32) {
        self.mixer.master.set(unit(v));
    }

    /// A new, empty source in the mix; silent until its clock is set.
    pub fn source(self: &Arc<Self>) -> AudioSource {
        let capacity = ((MAX_AHEAD + 0.25) * f64::from(self.rate)) as usize * 2;
        let shared = Arc::new(SourceShared {
            id: self.mixer.next_id.fetch_add(1, Ordering::Relaxed),
            volume: AtomicF32::new(1.0),
            removed: AtomicBool::new(false),
            queue: Mutex::new(Queue {
                samples: VecDeque::with_capacity(capacity),
                base_t: 0.0,
                taken: 0,
                clock: None,
                gain: 1.0,
                running: false,
                off_since: None,
            }),
        });
        lock(&self.mixer.sources).push(shared.clone());
        self.mixer.generation.fetch_add(1, Ordering::Release);
        AudioSource {
            mixer: self.mixer.clone(),
            rate: self.rate,
            shared,
        }
    }

    /// Stereo frames handed to the device so far (for tests and diagnostics).
    pub fn frames_played(&self) -> u64 {
        self.mixer.frames_played.load(Ordering::Relaxed)
    }
}

/// Pick the stream format: f32 over integer formats, stereo over more
/// channels over mono, 48 kHz when the device allows it.
fn choose_config(ranges: &[cpal::SupportedStreamConfigRange]) -> Option<(cpal::SupportedStreamConfigRange, u32)> {
    let score = |r: &cpal::SupportedStreamConfigRange| {
        let format = match r.sample_format() {
            SampleFormat::F32 => 3,
            SampleFormat::I32 => 2,
            SampleFormat::I16 => 1,
            _ => return None,
        };
        let channels = match r.channels() {
            0 => return None,
            1 => 1,
            2 => 3,
            _ => 2,
        };
        let rate = PREFERRED_RATES
            .iter()
            .position(|&p| (r.min_sample_rate()..=r.max_sample_rate()).contains(&p))
            .map_or(0, |i| PREFERRED_RATES.len() - i);
        Some((channels, format, rate))
    };
    let best = ranges
        .iter()
        .filter_map(|r| score(r).map(|s| (s, r)))
        .max_by_key(|(s, _)| *s)?
        .1;
    let rate = PREFERRED_RATES
        .into_iter()
        .find(|p| (best.min_sample_rate()..=best.max_sample_rate()).contains(p))
        .unwrap_or_else(|| PREFERRED_RATES[0].clamp(best.min_sample_rate(), best.max_sample_rate()));
    Some((*best, rate))
}

fn build_stream<T: SizedSample + FromSample<f32>>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut render: Render,
) -> Result<cpal::Stream, cpal::Error> {
    static ERRORS: AtomicU64 = AtomicU64::new(0);
    device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], info: &OutputCallbackInfo| render.write(data, info),
        |e| {
            let n = ERRORS.fetch_add(1, Ordering::Relaxed);
            if n < 3 || n.is_multiple_of(1000) {
                tracing::warn!("lỗi luồng âm thanh: {e} (audio stream error, lần {})", n + 1);
            }
        },
        Some(Duration::from_secs(2)),
    )
}

/// One stream of sound (a video's audio track). Dropping it removes it from the mix.
pub struct AudioSource {
    mixer: Arc<Mixer>,
    rate: u32,
    shared: Arc<SourceShared>,
}

impl fmt::Debug for AudioSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioSource")
            .field("id", &self.shared.id)
            .field("volume", &self.shared.volume.get())
            .field("queued_seconds", &self.queued_seconds())
            .finish()
    }
}

impl AudioSource {
    /// Queue interleaved stereo f32 samples at the output rate whose first
    /// frame is media time `t` (seconds).
    ///
    /// Returns false (and queues nothing) when more than [`MAX_AHEAD`] is
    /// already queued: the caller retries later. Samples that continue the
    /// queued ones (within [`RESYNC`]) are appended as they are; a gap is
    /// filled with silence, an overlap is skipped, and a jump backwards or
    /// far ahead starts a new timeline.
    pub fn push(&self, t: f64, samples: &[f32]) -> bool {
        let rate = f64::from(self.rate);
        let samples = &samples[..samples.len() / 2 * 2];
        let mut q = lock(&self.shared.queue);
        if q.frames() as f64 / rate > MAX_AHEAD {
            return false;
        }
        if samples.is_empty() || !t.is_finite() {
            return true;
        }
        if q.frames() == 0 {
            q.restart(t);
            q.samples.extend(samples);
            return true;
        }
        let gap = t - q.end_t(rate);
        if gap.abs() <= RESYNC {
            q.samples.extend(samples);
        } else if gap > 0.0 && gap <= MAX_GAP {
            let silence = (gap * rate).round() as usize;
            q.samples.extend(std::iter::repeat_n(0.0, 2 * silence));
            q.samples.extend(samples);
        } else if gap < 0.0 && t >= q.front_t(rate) - RESYNC {
            let overlap = ((-gap * rate).round() as usize).min(samples.len() / 2);
            q.samples.extend(&samples[2 * overlap..]);
        } else {
            q.restart(t);
            q.samples.extend(samples);
        }
        true
    }

    /// Seconds of sound queued ahead of what was played.
    pub fn queued_seconds(&self) -> f64 {
        lock(&self.shared.queue).frames() as f64 / f64::from(self.rate)
    }

    /// Tie media time to the monotonic clock: media time `media_t` is due at
    /// instant `at`; `playing=false` pauses (silence).
    ///
    /// The video side calls this on every painted frame; the mixer follows it.
    pub fn set_clock(&self, media_t: f64, at: Instant, playing: bool) {
        if !media_t.is_finite() {
            return;
        }
        lock(&self.shared.queue).clock = Some(Clock { media_t, at, playing });
    }

    /// Item volume, 0..=1 (mute = 0).
    pub fn set_volume(&self, v: f32) {
        self.shared.volume.set(unit(v));
    }

    /// Forget everything queued (seek / restart of the item).
    pub fn clear(&self) {
        let mut q = lock(&self.shared.queue);
        q.samples.clear();
        q.taken = 0;
        q.running = false;
        q.off_since = None;
    }
}

impl Drop for AudioSource {
    fn drop(&mut self) {
        self.shared.removed.store(true, Ordering::Release);
        // Free the sample memory here rather than in the output callback,
        // which may hold the last reference for a while.
        let samples = std::mem::take(&mut lock(&self.shared.queue).samples);
        drop(samples);
        let mut list = lock(&self.mixer.sources);
        list.retain(|s| s.id != self.shared.id);
        drop(list);
        self.mixer.generation.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;
    const PERIOD_FRAMES: usize = 960;

    fn detached() -> (Arc<AudioOut>, Render) {
        let mixer = Arc::new(Mixer::new());
        let out = Arc::new(AudioOut {
            rate: RATE,
            channels: 2,
            format: SampleFormat::F32,
            device: "test".into(),
            latency: Duration::from_millis(40),
            mixer: mixer.clone(),
            _stream: None,
        });
        let render = Render::new(mixer, RATE, 2, Duration::from_millis(40));
        (out, render)
    }

    /// Render `buffers` periods, the first heard at `start`, each
    /// `jitter(i)` seconds off its ideal instant; returns the left channel.
    fn run(render: &mut Render, start: Instant, buffers: usize, jitter: impl Fn(usize) -> f64) -> Vec<f32> {
        let mut left = Vec::new();
        for i in 0..buffers {
            let ideal = (i * PERIOD_FRAMES) as f64 / f64::from(RATE) + jitter(i);
            render.mix(PERIOD_FRAMES, start + Duration::from_secs_f64(ideal.max(0.0)));
            left.extend(render.mix.chunks_exact(2).map(|f| f[0]));
        }
        left
    }

    /// Frames 0, 1, 2, … as a ramp (value = index / 1e6) on both channels.
    fn ramp(frames: usize) -> Vec<f32> {
        (0..frames).flat_map(|i| [i as f32 / 1e6, i as f32 / 1e6]).collect()
    }

    #[test]
    fn samples_start_at_their_media_time_and_play_contiguously() {
        let (out, mut render) = detached();
        let src = out.source();
        let start = Instant::now();
        src.set_clock(0.0, start, true);
        // Frame value = (1 + index) / 2^15 (exact in f32, below full scale),
        // so silence (0) and each frame of content are told apart.
        let value = |i: usize| (1 + i) as f32 / 32_768.0;
        let burst: Vec<f32> = (0..24_000).flat_map(|i| [value(i), 0.0]).collect();
        out.set_master_volume(1.0);
        assert!(src.push(0.5, &burst));
        // Heard instants jitter by up to 4 ms: no resync, no lost frame.
        let left = run(&mut render, start, 100, |i| [0.0, 0.004, -0.003, 0.002][i % 4]);
        let first = left.iter().position(|&v| v != 0.0).unwrap();
        assert_eq!(first, 24_000, "burst must start 0.5 s in");
        let played: Vec<f32> = left[first..].iter().copied().take_while(|&v| v != 0.0).collect();
        assert_eq!(played.len(), 24_000);
        assert!(played.iter().enumerate().all(|(i, &v)| v == value(i)), "contiguous");
        assert_eq!(src.queued_seconds(), 0.0);
        assert_eq!(render.mixer.frames_played.load(Ordering::Relaxed), 96_000);
    }

    #[test]
    fn clock_jumps_beyond_the_tolerance_resync() {
        let (out, mut render) = detached();
        let src = out.source();
        let start = Instant::now();
        src.set_clock(0.0, start, true);
        assert!(src.push(0.0, &ramp(96_000)));
        run(&mut render, start, 10, |_| 0.0);
        // The video skipped 50 ms ahead: the mixer must skip with it.
        let t = start + Duration::from_secs_f64(0.2);
        src.set_clock(0.25, t, true);
        render.mix(PERIOD_FRAMES, t);
        let v = render.mix[0];
        assert!(
            (v - 12_000.0 / 1e6).abs() < 1e-6,
            "expected frame 12000, got {}",
            v * 1e6
        );
        // A 5 ms wobble is tolerated: playback continues where it was.
        let t2 = t + Duration::from_secs_f64(0.02);
        src.set_clock(0.275, t2, true);
        render.mix(PERIOD_FRAMES, t2);
        assert!((render.mix[0] - 12_960.0 / 1e6).abs() < 1e-6);
        // Paused: silence, nothing consumed.
        let queued = src.queued_seconds();
        src.set_clock(0.3, t2, false);
        render.mix(PERIOD_FRAMES, t2 + Duration::from_millis(20));
        assert!(render.mix.iter().all(|&v| v == 0.0));
        assert_eq!(src.queued_seconds(), queued);
    }

    #[test]
    fn one_late_callback_cuts_nothing_but_a_lasting_error_is_corrected() {
        let (out, mut render) = detached();
        let src = out.source();
        let start = Instant::now();
        src.set_clock(0.0, start, true);
        assert!(src.push(0.0, &ramp(96_000)));
        // Two buffers run 25 ms late (a busy board): within JUMP, shorter
        // than PERSIST — the sound plays on without a gap.
        let left = run(&mut render, start, 20, |i| if i == 7 || i == 8 { 0.025 } else { 0.0 });
        assert!(
            left.iter().enumerate().all(|(i, &v)| (v - i as f32 / 1e6).abs() < 1e-6),
            "a callback spike must not drop samples"
        );
        // From now on every buffer is heard 20 ms later than the clock says
        // (the device runs slow): after PERSIST the mixer drops 20 ms once.
        let base = start + Duration::from_secs_f64(20.0 * PERIOD_FRAMES as f64 / f64::from(RATE));
        let left = run(&mut render, base, 12, |_| 0.020);
        let frame = |i: usize| (left[i * PERIOD_FRAMES] * 1e6).round() as usize;
        assert_eq!(frame(0), 20 * PERIOD_FRAMES, "not yet corrected");
        let fixed = (1..12)
            .find(|&i| frame(i) != (20 + i) * PERIOD_FRAMES)
            .expect("a lasting 20 ms error is corrected");
        assert!(
            (5..=7).contains(&fixed),
            "corrected after about 100 ms, at buffer {fixed}"
        );
        assert_eq!(frame(fixed), (20 + fixed) * PERIOD_FRAMES + 960, "by 20 ms");
        assert_eq!(frame(11), (20 + 11) * PERIOD_FRAMES + 960, "once");
    }

    #[test]
    fn push_is_bounded_and_clear_forgets() {
        let (out, _render) = detached();
        let src = out.source();
        let second = ramp(RATE as usize);
        assert!(src.push(0.0, &second));
        assert!(src.push(1.0, &second));
        assert!(
            src.push(2.0, &second[..2 * 480]),
            "2.0 s queued is not more than MAX_AHEAD"
        );
        assert!(!src.push(2.01, &second), "more than MAX_AHEAD queued");
        assert!((src.queued_seconds() - 2.01).abs() < 1e-9);
        // A small gap is filled with silence, so timestamps stay exact.
        src.clear();
        assert_eq!(src.queued_seconds(), 0.0);
        assert!(src.push(5.0, &second[..2000]));
        assert!(src.push(5.1, &second[..2000]));
        let q = lock(&src.shared.queue);
        // 1000 frames, 79 ms (3800 frames) of silence, 1000 frames.
        assert_eq!(q.frames(), 5800);
        assert!((q.end_t(f64::from(RATE)) - (5.1 + 1000.0 / 48_000.0)).abs() < 1e-9);
    }

    #[test]
    fn sources_mix_with_their_volumes_and_leave_when_dropped() {
        let (out, mut render) = detached();
        let a = out.source();
        let b = out.source();
        let start = Instant::now();
        for s in [&a, &b] {
            s.set_clock(0.0, start, true);
            assert!(s.push(0.0, &vec![0.5; 2 * 48_000]));
        }
        a.set_volume(0.5);
        b.set_volume(0.25);
        out.set_master_volume(0.8);
        let left = run(&mut render, start, 3, |_| 0.0);
        // Volumes ramp over the first buffer; after that the sum is exact.
        let want = (0.5 * 0.5 + 0.5 * 0.25) * 0.8;
        assert!(
            left[PERIOD_FRAMES..].iter().all(|&v| (v - want).abs() < 1e-6),
            "{}",
            left[PERIOD_FRAMES]
        );
        drop(b);
        let left = run(&mut render, start + Duration::from_millis(60), 2, |_| 0.0);
        assert!((left[PERIOD_FRAMES] - 0.5 * 0.5 * 0.8).abs() < 1e-6);
        a.set_volume(0.0);
        let left = run(&mut render, start + Duration::from_millis(100), 2, |_| 0.0);
        assert!(left[PERIOD_FRAMES..].iter().all(|&v| v == 0.0));
        assert_eq!(lock(&out.mixer.sources).len(), 1);
    }
}
