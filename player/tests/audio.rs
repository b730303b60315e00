//! The board's sound output through real ALSA, on a machine without a sound card.
//!
//! Each case runs in a child process (this test binary again, `child_process`
//! with an environment variable naming the case) whose HOME holds an
//! `.asoundrc`: ALSA reads it once per process, and [`AudioOut`] is a
//! process-wide singleton.
//!
//! How playback is paced without hardware: the default PCM is ALSA's `file`
//! plugin over the `null` plugin, writing raw samples into a FIFO.
//! `null` takes everything at once (a plain file fills at about 1000× real
//! time), but a FIFO blocks its writer while full, so a reader that takes
//! exactly `rate` frames per second — a thread of the child, standing in
//! for the DAC — paces the stream in real time. The pipe (64 KiB) and the
//! `file` plugin's own buffer (one ALSA buffer) hold ≈ 200 ms that ALSA does
//! not report (`null` says its delay is 0), so the reader also measures that
//! lag (frames handed to the device minus frames it has taken, just before
//! each callback) and the timing checks subtract it: they check that the
//! mixer puts each sound where the device's own timing says it belongs.

use bangtin_player::audio::{AudioOut, MAX_AHEAD};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const CASE_ENV: &str = "BANGTIN_AUDIO_TEST_CASE";
const FIFO_ENV: &str = "BANGTIN_AUDIO_TEST_FIFO";
const RATE: u32 = 48_000;
/// Allowed A/V error of a sound's start or end.
const SYNC: f64 = 0.040;

// ---------------------------------------------------------------- parent side

/// `.asoundrc` whose default PCM writes raw samples into `fifo`.
fn paced_asoundrc(fifo: &Path) -> String {
    format!(
        "pcm.!default {{\n    type file\n    slave.pcm \"null\"\n    file \"{}\"\n    format \"raw\"\n}}\n",
        fifo.display()
    )
}

/// `.asoundrc` whose default PCM is a card that does not exist.
const NO_CARD_ASOUNDRC: &str =
    "pcm.!default {\n    type hw\n    card 99\n}\nctl.!default {\n    type hw\n    card 99\n}\n";

/// Run `case` in a child process; returns its stderr.
fn run_case(case: &str, paced: bool) -> String {
    // Paced cases measure timing: run them one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join("pcm.fifo");
    let rc = if paced {
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success(), "mkfifo failed");
        paced_asoundrc(&fifo)
    } else {
        NO_CARD_ASOUNDRC.to_string()
    };
    std::fs::write(home.path().join(".asoundrc"), rc).unwrap();
    let started = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_process", "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_ENV, case)
        .env(FIFO_ENV, &fifo)
        .env("HOME", home.path())
        .env_remove("ALSA_CONFIG_PATH")
        .output()
        .expect("cannot start the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "--- {case} ({:.1} s) stdout:\n{stdout}\n--- stderr:\n{stderr}",
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "case {case} failed: {}", out.status);
    assert!(stdout.contains("1 passed"), "the child ran no test");
    stderr.into_owned()
}

#[test]
fn tone_burst_lands_on_its_media_time() {
    run_case("burst", true);
}

#[test]
fn sources_mix_by_summing() {
    run_case("mix", true);
}

#[test]
fn muted_and_dropped_sources_are_silent() {
    run_case("mute", true);
}

#[test]
fn no_sound_card_gives_none() {
    let stderr = run_case("nodevice", false);
    let warnings = stderr.matches("không mở được thiết bị âm thanh").count();
    assert_eq!(warnings, 1, "the missing device must be logged exactly once");
}

// ----------------------------------------------------------------- child side

/// Entry point of the child process; does nothing in a normal test run.
#[test]
fn child_process() {
    let Ok(case) = std::env::var(CASE_ENV) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    thread::spawn(|| {
        thread::sleep(Duration::from_secs(20));
        eprintln!("watchdog: the case took more than 20 s");
        std::process::exit(3);
    });
    match case.as_str() {
        "burst" => burst(),
        "mix" => mix(),
        "mute" => mute_and_drop(),
        "nodevice" => no_device(),
        other => panic!("unknown case {other}"),
    }
}

/// What the stand-in DAC took from the FIFO.
struct Capture {
    /// Interleaved stereo samples, in the order the device got them.
    samples: Vec<f32>,
    /// (instant after a read, frames taken so far).
    reads: Vec<(Instant, u64)>,
    /// Sound ALSA holds without reporting it (pipe + `file` plugin buffer).
    lag: Duration,
}

/// A thread reading the FIFO at exactly `RATE` frames per second.
struct Dac {
    stop: Arc<AtomicBool>,
    out: Arc<OnceLock<Arc<AudioOut>>>,
    thread: JoinHandle<Capture>,
}

impl Dac {
    /// Start before [`AudioOut::open`]: ALSA opens the FIFO when the stream is built.
    fn start() -> Dac {
        let fifo = PathBuf::from(std::env::var_os(FIFO_ENV).expect("FIFO path"));
        let stop = Arc::new(AtomicBool::new(false));
        let out: Arc<OnceLock<Arc<AudioOut>>> = Arc::new(OnceLock::new());
        let (stop2, out2) = (stop.clone(), out.clone());
        let thread = thread::spawn(move || {
            let mut f = File::open(&fifo).expect("open FIFO");
            let mut bytes: Vec<u8> = Vec::with_capacity(8 * RATE as usize * 6);
            let mut buf = vec![0u8; 16 * 1024];
            let mut reads = Vec::new();
            let mut lags = Vec::new();
            let mut last: Option<(u64, i64)> = None;
            let mut t0: Option<Instant> = None;
            while !stop2.load(Ordering::Relaxed) {
                let due = match t0 {
                    None => 8,
                    Some(t0) => {
                        (8 * (t0.elapsed().as_secs_f64() * f64::from(RATE)) as u64).saturating_sub(bytes.len() as u64)
                    }
                };
                if due < 8 * 48 && t0.is_some() {
                    thread::sleep(Duration::from_micros(500));
                    continue;
                }
                let n = f.read(&mut buf[..(due as usize).min(16 * 1024)]).expect("read FIFO");
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                t0.get_or_insert(now);
                bytes.extend_from_slice(&buf[..n]);
                let taken = bytes.len() as u64 / 8;
                reads.push((now, taken));
                if let Some(out) = out2.get() {
                    let played = out.frames_played();
                    // The sample taken just before a callback shows what was
                    // handed over but not yet taken when that callback ran.
                    if let Some((prev_played, prev_lag)) = last
                        && played != prev_played
                    {
                        lags.push(prev_lag);
                    }
                    last = Some((played, played as i64 - taken as i64));
                }
            }
            // Keep the FIFO open: ALSA's writer just blocks until the process ends.
            std::mem::forget(f);
            lags.sort_unstable();
            let lag = lags.get(lags.len() / 2).copied().unwrap_or(0).max(0);
            let samples = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Capture {
                samples,
                reads,
                lag: Duration::from_secs_f64(lag as f64 / f64::from(RATE)),
            }
        });
        Dac { stop, out, thread }
    }

    /// Open the output (the DAC must be running) and let the stream settle.
    fn open(&self) -> Arc<AudioOut> {
        let out = AudioOut::open().expect("the FIFO-backed default device must open");
        assert!(
            Arc::ptr_eq(&out, &AudioOut::open().unwrap()),
            "open() must return the same output"
        );
        assert_eq!(out.rate(), RATE);
        let _ = self.out.set(out.clone());
        thread::sleep(Duration::from_millis(300));
        out
    }

    fn finish(self) -> Capture {
        self.stop.store(true, Ordering::Relaxed);
        let capture = self.thread.join().expect("DAC thread");
        println!(
            "captured {:.2} s; ALSA's unreported lag (pipe + file plugin) {:.1} ms",
            capture.frames() as f64 / f64::from(RATE),
            capture.lag.as_secs_f64() * 1e3
        );
        capture
    }
}

impl Capture {
    fn frames(&self) -> usize {
        self.samples.len() / 2
    }

    /// When the mixer meant frame `n` to be heard: when the DAC took it, less the lag.
    fn heard_at(&self, n: usize) -> Instant {
        let i = self.reads.partition_point(|&(_, taken)| taken <= n as u64);
        self.reads[i.min(self.reads.len() - 1)].0 - self.lag
    }

    /// The frame the mixer meant to be heard `s` seconds after `t0`.
    fn frame_at(&self, t0: Instant, s: f64) -> usize {
        let t = t0 + Duration::from_secs_f64(s) + self.lag;
        let i = self.reads.partition_point(|&(at, _)| at < t);
        self.reads.get(i).map_or(self.frames(), |r| r.1 as usize)
    }

    /// Channel `ch` from `from` to `to` seconds after `t0` (as meant to be heard).
    fn window(&self, t0: Instant, from: f64, to: f64, ch: usize) -> Vec<f32> {
        let (a, b) = (self.frame_at(t0, from), self.frame_at(t0, to));
        assert!(a < b && b <= self.frames(), "window {from}…{to} s not captured");
        self.samples[2 * a..2 * b].iter().skip(ch).step_by(2).copied().collect()
    }

    /// First frame at or after `from` whose left sample satisfies `pred`.
    fn find(&self, from: usize, pred: impl Fn(f32) -> bool) -> Option<usize> {
        (from..self.frames()).find(|&i| pred(self.samples[2 * i]))
    }

    /// Seconds after `t0` at which frame `n` was meant to be heard; also prints
    /// the raw figure (without the lag correction).
    fn when(&self, t0: Instant, n: usize, what: &str, expected: f64) -> f64 {
        let s = secs(t0, self.heard_at(n));
        println!(
            "{what}: frame {n}, heard at {s:.4} s (expected {expected:.3}, offset {:+.1} ms; raw from the FIFO {:+.1} ms)",
            (s - expected) * 1e3,
            (s + self.lag.as_secs_f64() - expected) * 1e3
        );
        s
    }
}

fn secs(t0: Instant, t: Instant) -> f64 {
    match t.checked_duration_since(t0) {
        Some(d) => d.as_secs_f64(),
        None => -t0.duration_since(t).as_secs_f64(),
    }
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn mean(x: &[f32]) -> f32 {
    x.iter().sum::<f32>() / x.len().max(1) as f32
}

fn assert_near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: {got:.4}, expected {want:.4} ± {tol}"
    );
}

/// Stereo 1 kHz cosine (starts at its peak: onsets are exact to the frame).
fn cosine(seconds: f64, left: f32, right: f32) -> Vec<f32> {
    let frames = (seconds * f64::from(RATE)).round() as usize;
    (0..frames)
        .flat_map(|i| {
            let v = (std::f64::consts::TAU * 1000.0 * i as f64 / f64::from(RATE)).cos() as f32;
            [left * v, right * v]
        })
        .collect()
}

/// Call `tick(seconds since t0)` about every 10 ms (as a video's paint loop would) until `until`.
fn paint_loop(t0: Instant, until: f64, mut tick: impl FnMut(f64)) {
    loop {
        let e = secs(t0, Instant::now());
        if e >= until {
            break;
        }
        tick(e);
        thread::sleep(Duration::from_millis(10));
    }
}

/// Case 1: bursts land on their media time; volume, master volume and pause apply.
fn burst() {
    let dac = Dac::start();
    let out = dac.open();
    let played_before = out.frames_played();
    let src = out.source();
    src.set_volume(0.5);
    let t0 = Instant::now();
    src.set_clock(0.0, t0, true);
    assert!(src.push(0.5, &cosine(0.3, 0.8, 0.4)));
    assert!(src.push(1.2, &cosine(0.3, 0.8, 0.4)));
    assert_near("queued", src.queued_seconds(), 1.0, 1e-3);
    // Media runs with the wall clock, pauses at 1.0 s for 0.3 s, then goes on:
    // the second burst (media 1.2 s) is due 1.5 s after t0.
    let mut master_set = false;
    paint_loop(t0, 2.3, |e| {
        let now = Instant::now();
        if e < 1.0 {
            src.set_clock(e, now, true);
        } else if e < 1.3 {
            src.set_clock(1.0, now, false);
        } else {
            src.set_clock(1.0 + (e - 1.3), now, true);
        }
        if e >= 1.1 && !master_set {
            out.set_master_volume(0.5);
            master_set = true;
        }
    });
    let elapsed = t0.elapsed().as_secs_f64();
    let played = (out.frames_played() - played_before) as f64 / f64::from(RATE);
    let cap = dac.finish();
    // Paced: the device took sound in real time, not as fast as it could.
    assert_near("seconds handed to the device", played, elapsed, 0.1);

    let start_a = cap.frame_at(t0, 0.0);
    let a = cap.find(start_a, |v| v.abs() > 0.01).expect("first burst missing");
    let a_end = cap.find(a, |v| v == 0.0).expect("first burst never ends");
    let b = cap.find(a_end, |v| v.abs() > 0.01).expect("second burst missing");
    let b_end = cap.find(b, |v| v == 0.0).expect("second burst never ends");
    assert_near(
        "first burst starts",
        cap.when(t0, a, "first burst starts", 0.5),
        0.5,
        SYNC,
    );
    assert_near(
        "first burst ends",
        cap.when(t0, a_end, "first burst ends", 0.8),
        0.8,
        SYNC,
    );
    assert_near(
        "second burst starts (after the pause)",
        cap.when(t0, b, "second burst starts", 1.5),
        1.5,
        SYNC,
    );
    assert_near(
        "second burst ends",
        cap.when(t0, b_end, "second burst ends", 1.8),
        1.8,
        SYNC,
    );
    // Played contiguously: every one of its 14 400 frames, none dropped or repeated.
    println!("burst lengths: {} and {} frames (14400 pushed)", a_end - a, b_end - b);
    assert!((a_end - a).abs_diff(14_400) <= 48, "first burst: {} frames", a_end - a);
    assert!((b_end - b).abs_diff(14_400) <= 48, "second burst: {} frames", b_end - b);

    let left = |from: usize, to: usize| {
        cap.samples[2 * from..2 * to]
            .iter()
            .step_by(2)
            .copied()
            .collect::<Vec<_>>()
    };
    let right = |from: usize, to: usize| {
        cap.samples[2 * from + 1..2 * to]
            .iter()
            .step_by(2)
            .copied()
            .collect::<Vec<_>>()
    };
    // 0.8 × item volume 0.5; right channel pushed at half the left.
    assert_near("first burst, left peak", f64::from(peak(&left(a, a_end))), 0.4, 0.004);
    assert_near("first burst, right peak", f64::from(peak(&right(a, a_end))), 0.2, 0.002);
    // … × master volume 0.5.
    assert_near("second burst, left peak", f64::from(peak(&left(b, b_end))), 0.2, 0.002);
    assert_near(
        "second burst, right peak",
        f64::from(peak(&right(b, b_end))),
        0.1,
        0.001,
    );
    for (from, to) in [(0.05, 0.45), (0.85, 1.45), (1.85, 2.2)] {
        assert_eq!(
            peak(&cap.window(t0, from, to, 0)),
            0.0,
            "silence expected {from}…{to} s"
        );
    }
}

/// Case 2: two sources, each on its own clock, sum.
fn mix() {
    let dac = Dac::start();
    let out = dac.open();
    let a = out.source();
    let b = out.source();
    let t0 = Instant::now();
    // A: DC 0.2 from media 0.3 s to 1.5 s, media 0 = t0.
    // B: 1 kHz, amplitude 0.25, from media 0.4 s to 1.6 s, media 0 = t0 + 0.5 s.
    a.set_clock(0.0, t0, true);
    b.set_clock(-0.5, t0, true);
    assert!(a.push(0.3, &vec![0.2; 2 * 57_600]));
    assert!(b.push(0.4, &cosine(1.2, 0.25, 0.25)));
    paint_loop(t0, 2.5, |e| {
        let now = Instant::now();
        a.set_clock(e, now, true);
        b.set_clock(e - 0.5, now, true);
    });
    let cap = dac.finish();

    let a_on = cap.find(cap.frame_at(t0, 0.0), |v| v != 0.0).expect("A missing");
    assert_near("A starts", cap.when(t0, a_on, "A starts", 0.3), 0.3, SYNC);
    let b_on = cap.find(a_on, |v| v > 0.21).expect("B missing");
    assert_near("B starts", cap.when(t0, b_on, "B starts", 0.9), 0.9, SYNC);

    let only_a = cap.window(t0, 0.4, 0.85, 0);
    assert!(
        only_a.iter().all(|&v| (v - 0.2).abs() < 1e-6),
        "A alone must be exactly 0.2"
    );
    for ch in 0..2 {
        let both = cap.window(t0, 0.95, 1.45, ch);
        let hi = both.iter().fold(f32::MIN, |m, &v| m.max(v));
        let lo = both.iter().fold(f32::MAX, |m, &v| m.min(v));
        println!("A + B, channel {ch}: {lo:.4} … {hi:.4}, mean {:.4}", mean(&both));
        assert_near("A + B maximum", f64::from(hi), 0.45, 0.002);
        assert_near("A + B minimum", f64::from(lo), -0.05, 0.002);
        assert_near("A + B mean", f64::from(mean(&both)), 0.2, 0.005);
    }
    let only_b = cap.window(t0, 1.55, 2.05, 0);
    assert_near("B alone, peak", f64::from(peak(&only_b)), 0.25, 0.002);
    assert_near("B alone, mean", f64::from(mean(&only_b)), 0.0, 0.005);
    assert_eq!(peak(&cap.window(t0, 2.2, 2.45, 0)), 0.0, "silence after both");
}

/// Case 3: volume 0 silences a source, volume 1 brings it back, dropping it removes it.
fn mute_and_drop() {
    let dac = Dac::start();
    let out = dac.open();
    let src = out.source();
    let chunk = cosine(0.05, 0.5, 0.5);
    let t0 = Instant::now();
    src.set_clock(0.0, t0, true);
    let mut next = 0.0;
    let mut refused = 0;
    let mut most_queued: f64 = 0.0;
    let mut src = Some(src);
    paint_loop(t0, 2.5, |e| {
        if e >= 1.8 {
            src = None; // dropped: leaves the mix
            return;
        }
        let Some(s) = &src else { return };
        s.set_clock(e, Instant::now(), true);
        // Feed like a decoder: as much as the source takes, 50 ms at a time.
        while next < 3.0 {
            if !s.push(next, &chunk) {
                refused += 1;
                break;
            }
            next += 0.05;
        }
        most_queued = most_queued.max(s.queued_seconds());
        if e >= 1.3 {
            s.set_volume(1.0);
        } else if e >= 0.8 {
            s.set_volume(0.0);
        }
    });
    let cap = dac.finish();
    println!("push refused {refused} times; at most {most_queued:.3} s queued");
    assert!(refused > 0, "a 3 s feed must hit the {MAX_AHEAD} s limit");
    assert!(most_queued <= MAX_AHEAD + 0.05 + 1e-9, "queued {most_queued} s");
    for (from, to, loud) in [
        (0.2, 0.7, true),
        (0.95, 1.2, false),
        (1.45, 1.7, true),
        (1.95, 2.4, false),
    ] {
        let w = cap.window(t0, from, to, 0);
        let p = f64::from(peak(&w));
        println!("{from}…{to} s: peak {p:.4}");
        if loud {
            assert_near("playing source, peak", p, 0.5, 0.005);
        } else {
            assert_eq!(p, 0.0, "silence expected {from}…{to} s");
        }
    }
}

/// Case 4: the default PCM is a card that does not exist.
fn no_device() {
    let started = Instant::now();
    assert!(AudioOut::open().is_none());
    assert!(AudioOut::open().is_none(), "the failure is remembered, not retried");
    println!("open() gave None after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5));
}
