//! A/V sync measured end to end: a clip whose picture flashes white and
//! whose sound beeps at the very same instants is played live (a `Scene`
//! with `live = true`, painted in real time by `Headless`) through real
//! ALSA, and each flash's first painted instant is compared with the
//! instant its beep was played. Requirement: |A/V offset| ≤ 40 ms.
//!
//! How it is measured:
//! - The clip (made by the ffmpeg CLI in a temporary folder): 320×180 at
//!   25 fps, H.264, black, frames 15 and 16 of every second white (the
//!   flash: 0.60…0.68 s, 1.60…1.68 s, …); AAC at 48 kHz stereo, silent except a
//!   1 kHz beep of amplitude 0.5, 80 ms long, starting at its peak on the
//!   flash's first sample (0.6 s + k).
//! - Picture: the child paints the scene every 10 ms at scene time
//!   t = seconds since `start` (the `Instant` the paint began) and reads
//!   back the centre pixel. A flash's onset is the instant of the first
//!   paint showing it, its end the first paint after it that no longer does.
//!   The flash appeared somewhere between the previous paint and that one,
//!   so the allowance for paint granularity is exactly that paint interval
//!   (itself required to be ≤ [`MAX_PAINT_GAP`]).
//! - Sound: ALSA's default device is paced by a FIFO read at exactly 48 kHz
//!   (see `support/alsa.rs`); a beep's onset is played when the reader
//!   took the sample, less the measured ≈ 200 ms the pipe and ALSA's `file`
//!   plugin hold without reporting it — the same correction
//!   `tests/audio.rs` applies.
//! - Check for every flash/beep pair: flash − beep ∈ [−40 ms, 40 ms + the
//!   paint interval]; the same for their ends; and the numbers of flashes
//!   and beeps found equal the number expected (a run that found nothing
//!   cannot pass).

use bangtin_tests::harness::alsa;

use alsa::{Capture, Dac, RATE, peak, secs};
use bangtin_layouts::parse_layout;
use bangtin_player::{Gpu, Headless, Scene, View};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const CASE_ENV: &str = "BANGTIN_AVSYNC_TEST_CASE";
const CLIP_ENV: &str = "BANGTIN_AVSYNC_CLIP";
/// Required A/V sync.
const SYNC: f64 = 0.040;
/// Paint cadence of the live loop.
const PAINT_EVERY: Duration = Duration::from_millis(10);
/// Largest paint interval accepted around a flash's onset or end (it is
/// the granularity allowance added to [`SYNC`]).
const MAX_PAINT_GAP: f64 = 0.030;
const W: u32 = 320;
const H: u32 = 180;
const FPS: u32 = 25;
/// Flash and beep: in every second of the clip, frames 15 and 16
/// (0.60…0.68 s), and samples 28 800…32 639 of 48 000.
const EVENT_AT: f64 = 0.6;
const EVENT_LEN: f64 = 0.08;
/// Beep amplitude in the clip (item volume 1, master volume 1).
const BEEP: f32 = 0.5;
/// A sample louder than this belongs to a beep.
const LOUD: f32 = 0.1;

// ---------------------------------------------------------------- parent side

/// The flash-and-beep clip, `seconds` long, in `dir`.
fn flash_beep_clip(dir: &Path, seconds: u32) -> PathBuf {
    let out = dir.join(format!("flash-beep-{seconds}s.mp4"));
    let first = (EVENT_AT * f64::from(FPS)).round() as u32;
    let frames = (EVENT_LEN * f64::from(FPS)).round() as u32;
    let video = format!(
        "color=c=black:s={W}x{H}:r={FPS}:d={seconds},format=yuv420p,\
         drawbox=c=white:t=fill:enable='between(mod(n\\,{FPS})\\,{first}\\,{})'",
        first + frames - 1
    );
    let on = (EVENT_AT * f64::from(RATE)).round() as u32;
    let len = (EVENT_LEN * f64::from(RATE)).round() as u32;
    // A cosine at 1 kHz: the beep starts at its peak, so its onset is exact
    // to the sample.
    let beep = format!(
        "if(between(mod(n\\,{RATE})\\,{on}\\,{})\\,{BEEP}*cos(2*PI*1000*n/{RATE})\\,0)",
        on + len - 1
    );
    // Stereo, both channels alike (a mono track would come out 3 dB lower:
    // swresample spreads mono over two channels at equal power).
    let audio = format!("aevalsrc='{beep}|{beep}':s={RATE}:d={seconds}:c=stereo");
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-g", "25"])
        // 44.1 kHz, as most clips are: the board resamples it to its 48 kHz.
        .args(["-c:a", "aac", "-b:a", "192k", "-ar", "44100", "-shortest"])
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .expect("ffmpeg is installed (apt install ffmpeg)");
    assert!(
        o.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Make a `seconds`-long clip and play it in child process `case`.
fn run_case(case: &str, clip_seconds: u32) {
    // Timing cases run alone: not even a clip is encoded beside them.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let clip = flash_beep_clip(dir.path(), clip_seconds);
    alsa::run_case(CASE_ENV, case, true, &[(CLIP_ENV, clip.as_os_str())]);
}

#[test]
fn flashes_and_beeps_stay_within_40_ms() {
    run_case("sync", 6);
}

#[test]
fn looping_clip_stays_in_sync_across_the_wrap_and_the_next_cycle() {
    run_case("loop", 2);
}

#[test]
fn muted_item_is_silent_while_its_video_plays() {
    run_case("mute", 6);
}

// ----------------------------------------------------------------- child side

/// Entry point of the child process; does nothing in a normal test run.
#[test]
fn child_process() {
    let Some(case) = alsa::child_case(CASE_ENV, Duration::from_secs(25)) else {
        return;
    };
    let clip = PathBuf::from(std::env::var_os(CLIP_ENV).expect("clip path"));
    match case.as_str() {
        // 6 s clip, painted for 5.2 s: events at 0.6, 1.6, 2.6, 3.6, 4.6 s.
        "sync" => in_sync(&clip, "loop = false\n", 5.2, &[0.6, 1.6, 2.6, 3.6, 4.6]),
        // 2 s clip looping in a 3 s slot of a looping zone: the clip wraps
        // at 2.0 s, is cut at 3.0 s where the next cycle restarts it.
        "loop" => in_sync(&clip, "loop = true\nduration = 3\n", 5.2, &[0.6, 1.6, 2.6, 3.6, 4.6]),
        "mute" => muted(&clip),
        other => panic!("unknown case {other}"),
    }
}

/// One live paint.
#[derive(Debug, Clone, Copy)]
struct Paint {
    /// When the paint began; its scene time is `t` = `at` − `start`.
    at: Instant,
    t: f64,
    /// The centre pixel.
    rgb: [u8; 3],
}

impl Paint {
    fn flash(&self) -> bool {
        self.rgb.iter().all(|&c| c > 200)
    }
    fn dark(&self) -> bool {
        self.rgb.iter().all(|&c| c < 60)
    }
}

/// A live run: what was painted when, and what the DAC took.
struct Played {
    start: Instant,
    paints: Vec<Paint>,
    cap: Capture,
    /// Scene time of the last paint.
    until: f64,
}

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T17:00:00Z").unwrap().to_utc()
}

/// Play `clip` as the one video item of a board (item fields `item`), live,
/// for `seconds` of scene time.
fn play(clip: &Path, item: &str, seconds: f64) -> Played {
    let dac = Dac::start();
    let out = dac.open();
    let gpu = Arc::new(Gpu::new(None).expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)"));
    let dir = clip.parent().unwrap();
    let toml = format!(
        "[board]\nname = \"avsync\"\nwidth = {W}\nheight = {H}\nbackground = \"#00ff00\"\n\n\
         [[zone]]\nid = \"v\"\nx = 0\ny = 0\nwidth = {W}\nheight = {H}\nbackground = \"#ff00ff\"\n\
         loop = true\ntransition = \"cut\"\n\n\
         [[zone.item]]\ntype = \"video\"\nsrc = \"{}\"\nfit = \"stretch\"\n{item}",
        clip.file_name().unwrap().to_str().unwrap()
    );
    println!("layout:\n{toml}");
    let layout = parse_layout(&toml, &dir.join("layout.toml"), dir).unwrap_or_else(|e| panic!("layout: {e}"));
    let mut h = Headless::new(gpu);
    let view = View::identity(W, H);
    {
        // Warm up (shaders, decoder) with an exact render: not live, so it
        // opens no sound.
        let mut warm = Scene::new(layout.clone(), anchor(), &mut h.renderer, 1.0);
        let img = h.frame(&mut warm, 0.0, view).expect("frame renders");
        let p = img.get_pixel(W / 2, H / 2);
        assert!(p.0[..3].iter().all(|&c| c < 60), "frame 0 must be black: {p:?}");
    }
    let mut scene = Scene::new(layout, anchor(), &mut h.renderer, 1.0);
    assert!(scene.errors().is_empty(), "{:?}", scene.errors());
    scene.live = true;
    let played_before = out.frames_played();
    let start = Instant::now();
    let mut paints = Vec::new();
    let mut next = start;
    loop {
        let at = Instant::now();
        let t = secs(start, at);
        if t >= seconds {
            break;
        }
        let img = h.frame(&mut scene, t, view).expect("frame renders");
        let p = img.get_pixel(W / 2, H / 2).0;
        paints.push(Paint {
            at,
            t,
            rgb: [p[0], p[1], p[2]],
        });
        next += PAINT_EVERY;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let handed = (out.frames_played() - played_before) as f64 / f64::from(RATE);
    // The sound meant for the painted span reaches the DAC ≈ 200 ms later.
    thread::sleep(Duration::from_millis(500));
    let cap = dac.finish();
    let failures = scene.take_failures();
    assert!(failures.is_empty(), "{failures:?}");
    drop(scene);
    let until = paints.last().map_or(0.0, |p| p.t);
    let gaps: Vec<f64> = paints.windows(2).map(|w| secs(w[0].at, w[1].at)).collect();
    println!(
        "{} paints in {elapsed:.2} s (interval mean {:.1} ms, max {:.1} ms); {handed:.2} s of sound handed to ALSA",
        paints.len(),
        gaps.iter().sum::<f64>() / gaps.len().max(1) as f64 * 1e3,
        gaps.iter().fold(0.0f64, |m, &g| m.max(g)) * 1e3
    );
    // Paced: the device took the sound in real time.
    assert!(
        (handed - elapsed).abs() < 0.15,
        "{handed} s handed to ALSA in {elapsed} s"
    );
    assert!(paints.len() as f64 > seconds * 50.0, "only {} paints", paints.len());
    Played {
        start,
        paints,
        cap,
        until,
    }
}

/// A flash: indices of its first painted frame and of the first frame after it.
#[derive(Debug)]
struct Flash {
    on: usize,
    off: Option<usize>,
}

fn flashes(paints: &[Paint]) -> Vec<Flash> {
    let mut out: Vec<Flash> = Vec::new();
    for i in 1..paints.len() {
        match (paints[i - 1].flash(), paints[i].flash()) {
            (false, true) => out.push(Flash { on: i, off: None }),
            (true, false) => {
                if let Some(f) = out.last_mut().filter(|f| f.off.is_none()) {
                    f.off = Some(i);
                }
            }
            _ => {}
        }
    }
    out
}

/// A beep in the capture: its first loud frame and the frame after its last.
#[derive(Debug)]
struct Beep {
    on: usize,
    end: usize,
}

/// Beeps whose first loud frame lies in `from..to` (frames). A beep ends
/// after its last loud frame followed by 2 ms (two periods) of quiet.
fn beeps(cap: &Capture, from: usize, to: usize) -> Vec<Beep> {
    let loud = |i: usize| cap.samples[2 * i].abs() > LOUD;
    let quiet_run = (RATE / 500) as usize;
    let mut out = Vec::new();
    let mut i = from;
    while i < to.min(cap.frames()) {
        if !loud(i) {
            i += 1;
            continue;
        }
        let on = i;
        let mut last = i;
        let mut j = i;
        while j < cap.frames() && j - last <= quiet_run {
            if loud(j) {
                last = j;
            }
            j += 1;
        }
        out.push(Beep { on, end: last + 1 });
        i = j;
    }
    out
}

fn ms(s: f64) -> String {
    format!("{:+6.1} ms", s * 1e3)
}

/// Case "sync" / "loop": every flash and its beep within [`SYNC`].
fn in_sync(clip: &Path, item: &str, seconds: f64, events: &[f64]) {
    let run = play(clip, &format!("mute = false\nvolume = 1\n{item}"), seconds);
    let Played {
        start,
        paints,
        cap,
        until,
    } = &run;
    let fl = flashes(paints);
    let bp = beeps(cap, cap.frame_at(*start, 0.0), cap.frame_at(*start, *until));
    println!(
        "expected {} events at {events:?} s; found {} flashes and {} beeps",
        events.len(),
        fl.len(),
        bp.len()
    );
    let dark = paints.iter().filter(|p| p.dark()).count();
    let other: Vec<String> = paints
        .iter()
        .filter(|p| !p.dark() && !p.flash() && p.t > 0.2)
        .map(|p| format!("t = {:.3}: {:?}", p.t, p.rgb))
        .collect();
    println!("{dark} paints dark, {} neither dark nor white after 0.2 s", other.len());

    let mut problems = Vec::new();
    let mut on_offsets = Vec::new();
    let mut end_offsets = Vec::new();
    println!(
        "event | flash on (scene t) | beep on  | flash−beep on (gap)  | flash−beep end (gap) | beep−event | beep peak"
    );
    for (k, (f, b)) in fl.iter().zip(&bp).enumerate() {
        let event = events.get(k).copied().unwrap_or(f64::NAN);
        let on_at = paints[f.on].at;
        let on_gap = secs(paints[f.on - 1].at, on_at);
        let beep_on = cap.heard_at(b.on);
        let off_on = secs(beep_on, on_at);
        on_offsets.push(off_on);
        let beep_peak = peak(&cap.samples[2 * b.on..2 * b.end]);
        let beep_len = (b.end - b.on) as f64 / f64::from(RATE);
        let beep_rel = secs(*start, beep_on);
        let end = f.off.map(|off| {
            let gap = secs(paints[off - 1].at, paints[off].at);
            (secs(cap.heard_at(b.end), paints[off].at), gap)
        });
        if let Some((o, _)) = end {
            end_offsets.push(o);
        }
        println!(
            "{event:5.1} | {:7.3} s ({:.3})  | {beep_rel:.3} s | {} ({:4.1}) | {} | {} | {beep_peak:.3} ({:.1} ms long)",
            secs(*start, on_at),
            paints[f.on].t,
            ms(off_on),
            on_gap * 1e3,
            end.map_or("   (flash not over)   ".into(), |(o, g)| format!(
                "{} ({:4.1})",
                ms(o),
                g * 1e3
            )),
            ms(beep_rel - event),
            beep_len * 1e3,
        );
        let mut check = |what: &str, off: f64, gap: f64| {
            if gap > MAX_PAINT_GAP {
                problems.push(format!(
                    "event {event}: {what}: paint interval {:.1} ms > {:.0} ms",
                    gap * 1e3,
                    MAX_PAINT_GAP * 1e3
                ));
            }
            if off < -SYNC || off > SYNC + gap {
                problems.push(format!(
                    "event {event}: {what}: flash − beep = {} outside [−40 ms, 40 ms + {:.1} ms paint interval]",
                    ms(off),
                    gap * 1e3
                ));
            }
        };
        check("onset", off_on, on_gap);
        if let Some((o, g)) = end {
            check("end", o, g);
        }
        if (paints[f.on].t - event).abs() > 0.1 {
            problems.push(format!(
                "event {event}: the flash showed at scene time {:.3} (timeline wrong or video late)",
                paints[f.on].t
            ));
        }
        if (beep_peak - BEEP).abs() > 0.05 {
            problems.push(format!(
                "event {event}: beep peak {beep_peak:.3}, expected {BEEP} (volume 1)"
            ));
        }
        if (beep_len - EVENT_LEN).abs() > 0.005 {
            problems.push(format!(
                "event {event}: beep lasted {:.1} ms, expected {:.0} ms (samples dropped or repeated)",
                beep_len * 1e3,
                EVENT_LEN * 1e3
            ));
        }
    }
    let stats = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / x.len().max(1) as f64;
        let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        (mean, max)
    };
    let (mean_on, max_on) = stats(&on_offsets);
    let (mean_end, max_end) = stats(&end_offsets);
    println!(
        "A/V offset (flash − beep; positive = picture later): onsets mean {}, max |{:.1}| ms; ends mean {}, max |{:.1}| ms",
        ms(mean_on),
        max_on * 1e3,
        ms(mean_end),
        max_end * 1e3
    );
    if fl.len() != events.len() || bp.len() != events.len() {
        problems.push(format!(
            "expected {} flashes and beeps, found {} flashes at {:?} s and {} beeps at {:?} s",
            events.len(),
            fl.len(),
            fl.iter()
                .map(|f| (paints[f.on].t * 1e3).round() / 1e3)
                .collect::<Vec<_>>(),
            bp.len(),
            bp.iter()
                .map(|b| (secs(*start, cap.heard_at(b.on)) * 1e3).round() / 1e3)
                .collect::<Vec<_>>()
        ));
    }
    if !other.is_empty() {
        problems.push(format!(
            "{} paints showed neither the clip's black nor its white, e.g. {}",
            other.len(),
            other[0]
        ));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Case "mute": a muted item plays its pictures and no sound at all.
fn muted(clip: &Path) {
    let run = play(clip, "mute = true\nvolume = 1\nloop = false\n", 2.4);
    let fl = flashes(&run.paints);
    let shown: Vec<f64> = fl.iter().map(|f| run.paints[f.on].t).collect();
    println!("flashes shown at {shown:?} s");
    assert_eq!(
        fl.len(),
        2,
        "the muted video must still play (flashes at 0.6 and 1.6 s)"
    );
    let captured = run.cap.frames() as f64 / f64::from(RATE);
    assert!(captured > run.until, "only {captured:.2} s of sound captured");
    let loud = run.cap.samples.iter().filter(|&&v| v != 0.0).count();
    assert_eq!(
        loud,
        0,
        "a muted item must be silent: {loud} non-zero samples, peak {}",
        peak(&run.cap.samples)
    );
}
