//! Real ALSA output on a machine without a sound card, paced in real time,
//! for tests that measure when sound is heard (`player/tests/audio.rs`,
//! `player/tests/avsync.rs`).
//!
//! Each case runs in a child process (the test binary again, running only
//! its `child_process` test, with an environment variable naming the case)
//! whose HOME holds an `.asoundrc`: ALSA reads it once per process, and
//! [`AudioOut`] is a process-wide singleton.
//!
//! How playback is paced without hardware: the default PCM is ALSA's `file`
//! plugin over the `null` plugin, writing raw samples into a FIFO.
//! `null` takes everything at once (a plain file fills at about 1000× real
//! time), but a FIFO blocks its writer while full, so a reader that takes
//! exactly `rate` frames per second — a thread of the child, standing in
//! for the DAC ([`Dac`]) — paces the stream in real time. The pipe (64 KiB)
//! and the `file` plugin's own buffer (one ALSA buffer) hold ≈ 200 ms that
//! ALSA does not report (`null` says its delay is 0), so the reader also
//! measures that lag (frames handed to the device minus frames it has
//! taken, just before each callback) and the timing checks subtract it:
//! they check that the mixer puts each sound where the device's own timing
//! says it belongs.

use bangtin_player::audio::AudioOut;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Names the FIFO for the child.
pub const FIFO_ENV: &str = "BANGTIN_AUDIO_TEST_FIFO";
/// The output rate the paced device runs at (raw f32 stereo frames).
pub const RATE: u32 = 48_000;

// ---------------------------------------------------------------- parent side

/// `.asoundrc` whose default PCM writes raw samples into `fifo`.
pub fn paced_asoundrc(fifo: &Path) -> String {
    format!(
        "pcm.!default {{\n    type file\n    slave.pcm \"null\"\n    file \"{}\"\n    format \"raw\"\n}}\n",
        fifo.display()
    )
}

/// `.asoundrc` whose default PCM is a card that does not exist.
pub const NO_CARD_ASOUNDRC: &str =
    "pcm.!default {\n    type hw\n    card 99\n}\nctl.!default {\n    type hw\n    card 99\n}\n";

/// Run `case` in a child process (this test binary's `child_process` test,
/// with `case_env=case` and `env` set), with the paced FIFO device as
/// ALSA's default or (`paced = false`) a card that does not exist. Panics
/// if the child fails; returns its stderr.
pub fn run_case(case_env: &str, case: &str, paced: bool, env: &[(&str, &OsStr)]) -> String {
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
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_process", "--exact", "--nocapture", "--test-threads=1"])
        .env(case_env, case)
        .env(FIFO_ENV, &fifo)
        .env("HOME", home.path())
        .env_remove("ALSA_CONFIG_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cannot start the child test process");
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

// ----------------------------------------------------------------- child side

/// In the child process: the case to run (`None` in a normal test run),
/// with logging to stderr and a watchdog that ends the process after
/// `limit`.
pub fn child_case(case_env: &str, limit: Duration) -> Option<String> {
    let case = std::env::var(case_env).ok()?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    thread::spawn(move || {
        thread::sleep(limit);
        eprintln!("watchdog: the case took more than {limit:?}");
        std::process::exit(3);
    });
    Some(case)
}

/// What the stand-in DAC took from the FIFO.
#[derive(Debug)]
pub struct Capture {
    /// Interleaved stereo samples, in the order the device got them.
    pub samples: Vec<f32>,
    /// (instant after a read, frames taken so far).
    pub reads: Vec<(Instant, u64)>,
    /// Sound ALSA holds without reporting it (pipe + `file` plugin buffer).
    pub lag: Duration,
}

/// A thread reading the FIFO at exactly `RATE` frames per second.
pub struct Dac {
    stop: Arc<AtomicBool>,
    out: Arc<OnceLock<Arc<AudioOut>>>,
    thread: JoinHandle<Capture>,
}

impl std::fmt::Debug for Dac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dac").finish_non_exhaustive()
    }
}

impl Dac {
    /// Start before [`AudioOut::open`]: ALSA opens the FIFO when the stream is built.
    pub fn start() -> Dac {
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
    pub fn open(&self) -> Arc<AudioOut> {
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

    pub fn finish(self) -> Capture {
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
    pub fn frames(&self) -> usize {
        self.samples.len() / 2
    }

    /// When the mixer meant frame `n` to be heard: when the DAC took it, less the lag.
    pub fn heard_at(&self, n: usize) -> Instant {
        let i = self.reads.partition_point(|&(_, taken)| taken <= n as u64);
        self.reads[i.min(self.reads.len() - 1)].0 - self.lag
    }

    /// The frame the mixer meant to be heard `s` seconds after `t0`.
    pub fn frame_at(&self, t0: Instant, s: f64) -> usize {
        let t = t0 + Duration::from_secs_f64(s) + self.lag;
        let i = self.reads.partition_point(|&(at, _)| at < t);
        self.reads.get(i).map_or(self.frames(), |r| r.1 as usize)
    }

    /// Channel `ch` from `from` to `to` seconds after `t0` (as meant to be heard).
    pub fn window(&self, t0: Instant, from: f64, to: f64, ch: usize) -> Vec<f32> {
        let (a, b) = (self.frame_at(t0, from), self.frame_at(t0, to));
        assert!(a < b && b <= self.frames(), "window {from}…{to} s not captured");
        self.samples[2 * a..2 * b].iter().skip(ch).step_by(2).copied().collect()
    }

    /// First frame at or after `from` whose left sample satisfies `pred`.
    pub fn find(&self, from: usize, pred: impl Fn(f32) -> bool) -> Option<usize> {
        (from..self.frames()).find(|&i| pred(self.samples[2 * i]))
    }

    /// Seconds after `t0` at which frame `n` was meant to be heard; also prints
    /// the raw figure (without the lag correction).
    pub fn when(&self, t0: Instant, n: usize, what: &str, expected: f64) -> f64 {
        let s = secs(t0, self.heard_at(n));
        println!(
            "{what}: frame {n}, heard at {s:.4} s (expected {expected:.3}, offset {:+.1} ms; raw from the FIFO {:+.1} ms)",
            (s - expected) * 1e3,
            (s + self.lag.as_secs_f64() - expected) * 1e3
        );
        s
    }
}

/// Seconds from `t0` to `t`, negative when `t` is earlier.
pub fn secs(t0: Instant, t: Instant) -> f64 {
    match t.checked_duration_since(t0) {
        Some(d) => d.as_secs_f64(),
        None => -t0.duration_since(t).as_secs_f64(),
    }
}

pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

pub fn mean(x: &[f32]) -> f32 {
    x.iter().sum::<f32>() / x.len().max(1) as f32
}

pub fn assert_near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: {got:.4}, expected {want:.4} ± {tol}"
    );
}
