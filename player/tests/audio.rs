//! The board's sound output through real ALSA, on a machine without a sound card.
//!
//! Each case runs in a child process with ALSA's default device paced in
//! real time by a FIFO and a reader thread standing in for the DAC; see
//! `support/alsa.rs` for how, and for the ≈ 200 ms ALSA does not report
//! that the timing checks subtract.

use bangtin_tests::harness::alsa;

use alsa::{Dac, RATE, assert_near, mean, peak, secs};
use bangtin_player::audio::{AudioOut, MAX_AHEAD};
use std::thread;
use std::time::{Duration, Instant};

const CASE_ENV: &str = "BANGTIN_AUDIO_TEST_CASE";
/// Allowed A/V error of a sound's start or end.
const SYNC: f64 = 0.040;

// ---------------------------------------------------------------- parent side

/// Run `case` in a child process; returns its stderr.
fn run_case(case: &str, paced: bool) -> String {
    alsa::run_case(CASE_ENV, case, paced, &[])
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
    let Some(case) = alsa::child_case(CASE_ENV, Duration::from_secs(20)) else {
        return;
    };
    match case.as_str() {
        "burst" => burst(),
        "mix" => mix(),
        "mute" => mute_and_drop(),
        "nodevice" => no_device(),
        other => panic!("unknown case {other}"),
    }
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
        // Loose: on a loaded machine a late callback may re-align a source
        // once (a few ms of silence), which moves the mean, not the sum.
        assert_near("A + B mean", f64::from(mean(&both)), 0.2, 0.02);
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
