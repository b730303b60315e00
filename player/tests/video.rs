//! Video playback as a board shows it: the right frame at every instant
//! (offline renders exactly, the live board without gaps or fast-forward),
//! loops, start offsets, variable frame rates, colours across matrices,
//! ranges, subsampling and codecs, rotation, and unplayable files skipped
//! with a clear Vietnamese reason. Every clip is made by the ffmpeg CLI in
//! a temporary folder; see `support/clips.rs` for the frame-bits clips
//! whose frame number can be read back from a render.

use bangtin_layouts::parse_layout;
use bangtin_player::{Gpu, Headless, Scene, View};
use bangtin_tests::harness::clips::*;
use chrono::{DateTime, Utc};
use image::RgbaImage;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// One GPU device for the whole test binary.
fn gpu() -> Arc<Gpu> {
    static G: OnceLock<Arc<Gpu>> = OnceLock::new();
    G.get_or_init(|| Arc::new(Gpu::new(None).expect("a GPU adapter (lavapipe: apt install mesa-vulkan-drivers)")))
        .clone()
}

/// The live-playback test measures against the wall clock: it runs alone,
/// the others share the machine.
static CPU: RwLock<()> = RwLock::new(());
fn shared() -> RwLockReadGuard<'static, ()> {
    CPU.read().unwrap_or_else(|e| e.into_inner())
}
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    CPU.write().unwrap_or_else(|e| e.into_inner())
}

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T17:00:00Z").unwrap().to_utc()
}

/// A layout brought up on its own headless renderer.
struct Board {
    h: Headless,
    scene: Scene,
    view: View,
    /// Scene time of the last frame drawn.
    last: Option<f64>,
}

/// Steps no longer than this between exact renders decode straight
/// through (a decoder seeks only for jumps of 2 s or more, or backwards).
const STEP_S: f64 = 1.5;

impl Board {
    /// `zones`: the `[[zone]]` tables; media paths relative to `dir`.
    fn new(dir: &Path, size: (u32, u32), zones: &str) -> Board {
        let toml = format!(
            "[board]\nname = \"video test\"\nwidth = {}\nheight = {}\nbackground = \"#00ff00\"\n\n{zones}",
            size.0, size.1
        );
        let layout = parse_layout(&toml, &dir.join("layout.toml"), dir)
            .unwrap_or_else(|e| panic!("test layout parses: {e}\n{toml}"));
        let mut h = Headless::new(gpu());
        let scene = Scene::new(layout, anchor(), &mut h.renderer, 1.0);
        Board {
            h,
            scene,
            view: View::identity(size.0, size.1),
            last: None,
        }
    }

    /// The exact frame at `t`, reached the way a board plays: forward,
    /// drawing (without reading back) every [`STEP_S`] on the way, so the
    /// decoders never seek. Seeking within a run is covered on its own by
    /// `exact_render_after_a_seek_shows_the_frame_of_its_instant`.
    fn at(&mut self, t: f64) -> RgbaImage {
        if let Some(mut last) = self.last {
            assert!(t >= last, "tests render forward: {t} after {last}");
            while t - last > STEP_S {
                last += STEP_S;
                self.h.draw(&mut self.scene, last, self.view);
            }
        }
        self.last = Some(t);
        self.h.frame(&mut self.scene, t, self.view).expect("frame renders")
    }

    /// The exact frame at `t`, however far from the last one (a seek).
    fn jump(&mut self, t: f64) -> RgbaImage {
        self.last = Some(t);
        self.h.frame(&mut self.scene, t, self.view).expect("frame renders")
    }
}

/// A one-zone board of the frame-bits size showing `items`.
fn one_zone(dir: &Path, items: &str) -> Board {
    Board::new(
        dir,
        (BITS_W, BITS_H),
        &format!(
            "[[zone]]\nid = \"v\"\nx = 0\ny = 0\nwidth = {BITS_W}\nheight = {BITS_H}\n\
             background = \"#ff00ff\"\nloop = true\ntransition = \"cut\"\n\n{items}"
        ),
    )
}

/// A video item stretched over its zone (so frame-bits columns land on
/// known pixels), silent.
fn video_item(src: &Path, extra: &str) -> String {
    video_item_fit(src, "stretch", extra)
}

fn video_item_fit(src: &Path, fit: &str, extra: &str) -> String {
    format!(
        "[[zone.item]]\ntype = \"video\"\nsrc = \"{}\"\nfit = \"{fit}\"\nmute = true\n{extra}\n",
        src.file_name().unwrap().to_str().unwrap()
    )
}

const FULL: (u32, u32, u32, u32) = (0, 0, BITS_W, BITS_H);

/// Clip A of most tests: 4 s at 25 fps, frames numbered 0…99.
fn clip_a(dir: &Path) -> PathBuf {
    bits_clip(dir, "a.mp4", 25, 100, 0, &[])
}

/// Clip B: 2 s at 25 fps, frames numbered 512…561 (bit 9 tells it from A).
fn clip_b(dir: &Path) -> PathBuf {
    bits_clip(dir, "b.mp4", 25, 50, 512, &[])
}

fn frame_at(b: &mut Board, t: f64, rect: (u32, u32, u32, u32)) -> Result<u32, String> {
    read_bits(&b.at(t), rect)
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bangtin-player"));
    c.env("RUST_LOG", "warn");
    c
}

// 1. Frame accuracy ---------------------------------------------------------

#[test]
fn frame_shown_at_t_is_floor_of_t_times_fps_also_loops_later() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    // A lone item in a looping zone: the clip restarts every 4 s, gaplessly.
    let mut b = one_zone(dir.path(), &video_item(&a, ""));
    // (frame k, offset): exactly on a frame boundary, just before one,
    // mid-frame; across the first loops and far later (40 s, 100 s).
    let mut cases: Vec<(i64, f64)> = Vec::new();
    for k in [
        0, 1, 2, 12, 25, 37, 50, 74, 98, 99, 100, 101, 150, 199, 200, 201, 1003, 2499, 2500,
    ] {
        cases.push((k, 0.0));
        if k > 0 {
            cases.push((k, -0.001));
        }
        if k % 3 == 0 {
            cases.push((k, 0.02));
        }
    }
    cases.sort_by(|x, y| (x.0 as f64 / 25.0 + x.1).total_cmp(&(y.0 as f64 / 25.0 + y.1)));
    let mut wrong = Vec::new();
    for &(k, d) in &cases {
        let t = k as f64 / 25.0 + d;
        let want = (if d < 0.0 { k - 1 } else { k }).rem_euclid(100) as u32;
        if b.last.is_some_and(|l| t - l > 10.0) {
            // Far later: a board (re)started then, rather than decoding
            // every picture on the way.
            b = one_zone(dir.path(), &video_item(&a, ""));
        }
        match frame_at(&mut b, t, FULL) {
            Ok(n) if n == want => {}
            got => wrong.push(format!("t = {t:.4}: want frame {want}, got {got:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} instants wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert!(b.scene.errors().is_empty(), "{:?}", b.scene.errors());
}

#[test]
fn cli_renders_the_frame_at_the_offset() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    let out = dir.path().join("f.png");
    let o = bin()
        .args(["render", "--media"])
        .arg(&a)
        .args(["--at", "+1.5", "--size", "320x180", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let img = image::open(&out).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (320, 180));
    assert_eq!(read_bits(&img, FULL), Ok(37), "1.5 s × 25 fps = frame 37");
}

/// Seeks backwards and far forwards: the first exact render after a seek
/// shows the picture of its instant. (This once failed in 1–6 of 40
/// rounds: the queue was emptied after the seek was asked for, racing the
/// decoder's first new pictures.)
#[test]
fn exact_render_after_a_seek_shows_the_frame_of_its_instant() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    let mut wrong = Vec::new();
    for round in 0..40 {
        let mut b = one_zone(dir.path(), &video_item(&a, ""));
        // Far forward (a seek), a hair back (a seek), on, far back, back.
        for (t, want) in [
            (0.5, 12),
            (99.96, 99),
            (99.959, 98),
            (100.0, 0),
            (1.0, 25),
            (0.13, 3),
            (40.12, 3),
        ] {
            let got = read_bits(&b.jump(t), FULL);
            if got != Ok(want) {
                let again = read_bits(&b.jump(t), FULL);
                wrong.push(format!(
                    "round {round}: t = {t}: want {want}, got {got:?}; rendered again: {again:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

// 2. Among other zones ------------------------------------------------------

#[test]
fn video_plays_beside_text_and_picture_zones() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    png(dir.path(), "pic.png", [255, 128, 0], [0, 64, 255]);
    let zones = format!(
        "[[zone]]\nid = \"video\"\nx = 0\ny = 0\nwidth = 320\nheight = 180\n\n{}\n\
         [[zone]]\nid = \"text\"\nx = 320\ny = 0\nwidth = 320\nheight = 180\nbackground = \"#ffffff\"\n\n\
         [[zone.item]]\ntype = \"text\"\ntitle = \"Thông báo\"\nbody = \"Lịch tiêm chủng tuần này tại trạm y tế xã.\"\n\
         color = \"#000000\"\nsize = 20\n\n\
         [[zone]]\nid = \"picture\"\nx = 0\ny = 180\nwidth = 640\nheight = 180\n\n\
         [[zone.item]]\ntype = \"image\"\nsrc = \"pic.png\"\nfit = \"stretch\"\n",
        video_item(&a, "")
    );
    let mut b = Board::new(dir.path(), (640, 360), &zones);
    for (t, want) in [(0.52, 13), (2.0, 50), (3.3, 82), (5.0, 25)] {
        let img = b.at(t);
        assert_eq!(read_bits(&img, FULL), Ok(want), "video zone at t = {t}");
        // The text zone: white with dark glyphs.
        let (mut dark, mut white) = (0, 0);
        for y in 0..180 {
            for x in 320..640 {
                let p = img.get_pixel(x, y);
                let l = (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3;
                dark += u32::from(l < 100);
                white += u32::from(l > 245);
            }
        }
        assert!(
            dark > 300,
            "text zone at t = {t}: only {dark} dark pixels — no text drawn?"
        );
        assert!(
            white > 320 * 180 / 2,
            "text zone at t = {t}: background not white ({white} px)"
        );
        let (l, r) = (mean(&img, 100, 250, 40, 40), mean(&img, 500, 250, 40, 40));
        assert!(near(l, [255, 128, 0], 6.0), "picture zone left at t = {t}: {l:?}");
        assert!(near(r, [0, 64, 255], 6.0), "picture zone right at t = {t}: {r:?}");
    }
    assert!(b.scene.errors().is_empty(), "{:?}", b.scene.errors());
}

// 3. Gapless ----------------------------------------------------------------

/// A (4 s), B (2 s), a picture (1.5 s): a 7.5 s cycle with boundaries at
/// 4.0, 6.0 and 7.5 s.
fn gapless_board(dir: &Path) -> Board {
    let (a, bb) = (clip_a(dir), clip_b(dir));
    png(dir, "pic.png", [255, 128, 0], [255, 128, 0]);
    let items = format!(
        "{}{}[[zone.item]]\ntype = \"image\"\nsrc = \"pic.png\"\nfit = \"stretch\"\nduration = 1.5\n",
        video_item(&a, ""),
        video_item(&bb, "")
    );
    one_zone(dir, &items)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    A(u32),
    B(u32),
    Picture,
}

/// What the gapless board shows at tick `k` (1/100 s) by the timeline.
fn gapless_expected(k: i64) -> Shown {
    let p = k.rem_euclid(750);
    match p {
        0..400 => Shown::A((p / 4) as u32),
        400..600 => Shown::B(512 + ((p - 400) / 4) as u32),
        _ => Shown::Picture,
    }
}

fn classify(img: &RgbaImage) -> Result<Shown, String> {
    match read_bits(img, FULL) {
        Ok(n) if n >= 512 => Ok(Shown::B(n)),
        Ok(n) => Ok(Shown::A(n)),
        Err(e) => {
            let m = mean(img, 150, 80, 20, 20);
            if near(m, [255, 128, 0], 6.0) && near(mean(img, 10, 10, 10, 10), [255, 128, 0], 6.0) {
                Ok(Shown::Picture)
            } else {
                Err(format!("neither a clip frame nor the picture (centre {m:.0?}): {e}"))
            }
        }
    }
}

#[test]
fn exact_frames_around_item_boundaries_have_no_gap() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let mut b = gapless_board(dir.path());
    let mut wrong = Vec::new();
    let mut n = 0;
    // Every 1/50 s from 0.2 s before to 0.2 s after A→B, B→picture,
    // picture→A (the loop) and A→B again in the second cycle.
    for boundary in [400i64, 600, 750, 1150] {
        for k in (boundary - 20..=boundary + 20).step_by(2) {
            let t = k as f64 / 100.0;
            let want = gapless_expected(k);
            n += 1;
            match classify(&b.at(t)) {
                Ok(got) if got == want => {}
                got => wrong.push(format!("t = {t:.2}: want {want:?}, got {got:?}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} frames wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn live_playback_across_boundaries_has_no_gap_and_no_fast_forward() {
    let _g = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let mut b = gapless_board(dir.path());
    b.scene.live = true;
    // Paint in real time from 3.0 s to about 8.2 s of scene time: across
    // A→B (4.0), B→picture (6.0) and picture→A (7.5).
    let t0 = 3.0;
    let wall0 = Instant::now();
    let mut seen: Vec<(f64, Result<Shown, String>)> = Vec::new();
    let mut next = wall0;
    while wall0.elapsed() < Duration::from_millis(5200) {
        let t = t0 + wall0.elapsed().as_secs_f64();
        let img = b.at(t);
        seen.push((t, classify(&img)));
        next += Duration::from_millis(20);
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    let mut problems = Vec::new();
    let mut prev: Option<(f64, Shown)> = None;
    let mut max_lag = 0i64;
    for (t, got) in &seen {
        let want = gapless_expected((t * 100.0).floor() as i64);
        // The very first picture of a cold start may take a moment.
        let settled = *t > t0 + 0.3;
        match got {
            Err(e) => {
                if settled {
                    problems.push(format!("t = {t:.3}: {e} (a gap)"));
                }
            }
            Ok(g) => {
                let same_kind = std::mem::discriminant(g) == std::mem::discriminant(&want);
                if !same_kind && settled {
                    problems.push(format!("t = {t:.3}: showing {g:?}, the timeline says {want:?}"));
                }
                if let (Shown::A(n) | Shown::B(n), Shown::A(w) | Shown::B(w)) = (*g, want)
                    && same_kind
                {
                    let (n, w) = (i64::from(n), i64::from(w));
                    if n > w + 1 {
                        problems.push(format!("t = {t:.3}: frame {n} is ahead of the clock (frame {w})"));
                    }
                    if settled {
                        max_lag = max_lag.max(w - n);
                    }
                    if let Some((tp, p)) = prev
                        && let Shown::A(m) | Shown::B(m) = p
                        && std::mem::discriminant(&p) == std::mem::discriminant(g)
                    {
                        let m = i64::from(m);
                        let allowed = ((t - tp) * 25.0).ceil() as i64 + 3;
                        if n < m {
                            problems.push(format!("t = {t:.3}: frame {n} after frame {m} (went backwards)"));
                        } else if n - m > allowed && settled {
                            problems.push(format!(
                                "t = {t:.3}: jumped from frame {m} to {n} in {:.0} ms (fast-forward)",
                                (t - tp) * 1000.0
                            ));
                        }
                    }
                }
                prev = Some((*t, *g));
            }
        }
    }
    eprintln!(
        "live: {} frames painted in {:.2} s, largest lag behind the clock {max_lag} frames",
        seen.len(),
        wall0.elapsed().as_secs_f64()
    );
    assert!(seen.len() > 100, "only {} frames painted in 5 s", seen.len());
    for w in [Shown::A(0), Shown::B(512), Shown::Picture] {
        assert!(
            seen.iter().any(|(_, g)| g
                .as_ref()
                .is_ok_and(|g| std::mem::discriminant(g) == std::mem::discriminant(&w))),
            "never showed {w:?}"
        );
    }
    assert!(
        max_lag <= 12,
        "live video lagged {max_lag} frames (> 0.5 s) behind the clock"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// 4. Loop, 5. start ---------------------------------------------------------

#[test]
fn looping_clip_wraps_and_one_shot_clip_holds_its_last_frame() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    let zone = |id: &str, x: u32, extra: &str| {
        format!(
            "[[zone]]\nid = \"{id}\"\nx = {x}\ny = 0\nwidth = 320\nheight = 180\nbackground = \"#ff00ff\"\n\n{}",
            video_item(&a, extra)
        )
    };
    let zones = format!(
        "{}\n{}",
        zone("lap", 0, "loop = true\nduration = 10"),
        zone("mot-lan", 320, "loop = false\nduration = 6")
    );
    let mut b = Board::new(dir.path(), (640, 180), &zones);
    let mut wrong = Vec::new();
    // Ticks of 1/100 s.
    for c in [
        0i64, 100, 398, 400, 404, 500, 599, 600, 798, 800, 996, 999, 1000, 1004, 1200, 1398, 1400, 1999, 2000,
    ] {
        let t = c as f64 / 100.0;
        let img = b.at(t);
        // Loops within its 10 s slot: wraps to 0 at 4 s, 8 s, and at 10 s
        // (the next slot begins).
        let want_loop = ((c % 1000) % 400 / 4) as u32;
        // Plays once per 6 s slot, then holds frame 99 until the slot ends.
        let want_once = ((c % 600) / 4).min(99) as u32;
        let got = (read_bits(&img, (0, 0, 320, 180)), read_bits(&img, (320, 0, 320, 180)));
        if got != (Ok(want_loop), Ok(want_once)) {
            wrong.push(format!(
                "t = {t:.2}: want (loop {want_loop}, once {want_once}), got {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn start_offset_starts_at_that_frame() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let (a, bb) = (clip_a(dir.path()), clip_b(dir.path()));
    // Zone 1: A alone from 1.0 s (a 3 s slot). Zone 2: A from 2.2 s
    // (1.8 s), then B for 1 s.
    let zones = format!(
        "[[zone]]\nid = \"mot\"\nx = 0\ny = 0\nwidth = 320\nheight = 180\n\n{}\n\
         [[zone]]\nid = \"hai\"\nx = 320\ny = 0\nwidth = 320\nheight = 180\ntransition = \"cut\"\n\n{}{}",
        video_item(&a, "start = 1.0"),
        video_item(&a, "start = 2.2"),
        video_item(&bb, "duration = 1"),
    );
    let mut b = Board::new(dir.path(), (640, 180), &zones);
    let mut wrong = Vec::new();
    for (t, one, two) in [
        (0.0, 25, 55),
        (0.5, 37, 67),
        (1.0, 50, 80),
        (1.79, 69, 99),
        (1.8, 70, 512),
        (2.5, 87, 529),
        (2.8, 95, 55),
        (2.99, 99, 59),
        (3.0, 25, 60),
        (3.5, 37, 72),
    ] {
        let img = b.at(t);
        let got = (read_bits(&img, (0, 0, 320, 180)), read_bits(&img, (320, 0, 320, 180)));
        if got != (Ok(one), Ok(two)) {
            wrong.push(format!("t = {t}: want ({one}, {two}), got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// 6. Unplayable files -------------------------------------------------------

const VIETNAMESE: &str = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ";

#[test]
fn unplayable_files_exit_2_from_the_cli_with_a_vietnamese_reason() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    let mut wrong = Vec::new();
    for bad in bad_files(dir.path(), &a) {
        let name = bad.file_name().unwrap().to_str().unwrap().to_string();
        let out = dir.path().join("khong-duoc-ghi.png");
        let o = bin()
            .args(["render", "--media"])
            .arg(&bad)
            .args(["--at", "+1", "--size", "320x180", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        let line = e.lines().find(|l| l.contains(&name)).unwrap_or("");
        // The reason, without the generic "lỗi (error):" prefix.
        let reason = line.split_once("):").map_or(line, |(_, r)| r).replace(&name, "");
        if o.status.code() != Some(2) {
            wrong.push(format!("{name}: exit {:?}, want 2: {e}", o.status.code()));
        } else if line.is_empty() {
            wrong.push(format!("{name}: the message does not name the file: {e}"));
        } else if !reason.chars().any(|c| VIETNAMESE.contains(c)) {
            wrong.push(format!("{name}: no Vietnamese reason after the name: {line}"));
        } else if out.exists() {
            wrong.push(format!("{name}: a PNG was written anyway"));
        }
        eprintln!("{name}: {line}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn unplayable_files_are_skipped_and_the_next_item_plays_in_their_place() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let (a, bb) = (clip_a(dir.path()), clip_b(dir.path()));
    let mut wrong = Vec::new();
    for bad in bad_files(dir.path(), &a) {
        let name = bad.file_name().unwrap().to_str().unwrap().to_string();
        // A 2 s, the bad file 2 s, B 2 s: with the bad one skipped, B
        // plays from 2 s and A comes back at 4 s.
        let items = format!(
            "{}{}{}",
            video_item(&a, "duration = 2"),
            video_item(&bad, "duration = 2"),
            video_item(&bb, "duration = 2")
        );
        let mut b = one_zone(dir.path(), &items);
        let errors = b.scene.errors().to_vec();
        if !errors.iter().any(|e| e.contains(&name)) {
            wrong.push(format!("{name}: scene.errors() does not name it: {errors:?}"));
        }
        for (t, want) in [(1.0, 25), (1.98, 49), (2.0, 512), (2.5, 524), (3.96, 561), (4.0, 0)] {
            let got = frame_at(&mut b, t, FULL);
            if got != Ok(want) {
                wrong.push(format!("{name}: t = {t}: want frame {want}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// 7. Colour -----------------------------------------------------------------

/// One way a file may store the colours of [`STRIPES`].
struct ColourCase {
    case: &'static str,
    file: &'static str,
    /// Encoder and its options.
    codec: &'static [&'static str],
    /// How RGB becomes Y'CbCr: swscale's matrix and range names.
    matrix: &'static str,
    range: &'static str,
    pix: &'static str,
    /// The stream says its matrix and range (else the player must assume).
    tagged: bool,
}

const X264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-qp", "8"];

const COLOUR_CASES: &[ColourCase] = &[
    ColourCase {
        case: "H.264 4:2:0 BT.709 limited",
        file: "709tv.mp4",
        codec: X264,
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 4:2:0 BT.601 limited",
        file: "601tv.mp4",
        codec: X264,
        matrix: "bt601",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 4:2:0 untagged SD (BT.601 by convention)",
        file: "untagged.mp4",
        codec: X264,
        matrix: "bt601",
        range: "tv",
        pix: "yuv420p",
        tagged: false,
    },
    ColourCase {
        case: "H.264 4:2:0 BT.709 full range (color_range pc)",
        file: "709pc.mp4",
        codec: X264,
        matrix: "bt709",
        range: "pc",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 yuvj420p (full range, BT.601)",
        file: "yuvj.mp4",
        codec: X264,
        matrix: "bt601",
        range: "pc",
        pix: "yuvj420p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 4:2:2 BT.709 limited",
        file: "422.mp4",
        codec: X264,
        matrix: "bt709",
        range: "tv",
        pix: "yuv422p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 4:4:4 BT.709 limited",
        file: "444.mp4",
        codec: X264,
        matrix: "bt709",
        range: "tv",
        pix: "yuv444p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 4:4:4 BT.709 full range",
        file: "444pc.mp4",
        codec: X264,
        matrix: "bt709",
        range: "pc",
        pix: "yuv444p",
        tagged: true,
    },
    ColourCase {
        case: "H.264 10-bit 4:2:0 BT.709 limited",
        file: "10bit.mp4",
        codec: X264,
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p10le",
        tagged: true,
    },
    ColourCase {
        case: "VP9 WebM BT.709 limited",
        file: "vp9.webm",
        codec: &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-crf",
            "4",
            "-b:v",
            "0",
        ],
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "MPEG-4 part 2 (untagged SD, BT.601)",
        file: "mpeg4.mp4",
        codec: &["-c:v", "mpeg4", "-q:v", "1"],
        matrix: "bt601",
        range: "tv",
        pix: "yuv420p",
        tagged: false,
    },
    ColourCase {
        case: "HEVC BT.709 limited",
        file: "hevc.mp4",
        codec: &[
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error:qp=8",
        ],
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "AV1 (libaom) BT.709 limited",
        file: "av1-aom.mkv",
        codec: &["-c:v", "libaom-av1", "-cpu-used", "8", "-crf", "4"],
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
    ColourCase {
        case: "AV1 (SVT-AV1) BT.709 limited",
        file: "av1-svt.mkv",
        codec: &["-c:v", "libsvtav1", "-preset", "12", "-crf", "4"],
        matrix: "bt709",
        range: "tv",
        pix: "yuv420p",
        tagged: true,
    },
];

#[test]
fn colours_survive_every_matrix_range_subsampling_and_codec() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let img = stripes_image();
    let have_av1 = has_encoder("libaom-av1") || has_encoder("libsvtav1");
    let mut wrong = Vec::new();
    let mut skipped = Vec::new();
    let mut checked = 0;
    for c in COLOUR_CASES {
        let encoder = c.codec[1];
        // One AV1 encoder is enough; say so only when there is none.
        if c.case.starts_with("AV1") && have_av1 && !has_encoder(encoder) {
            continue;
        }
        if !has_encoder(encoder) {
            skipped.push(format!("{}: this ffmpeg has no {encoder} encoder", c.case));
            continue;
        }
        if encoder.starts_with("libx26") && !encoder_pix_fmts(encoder).iter().any(|p| p == c.pix) {
            skipped.push(format!("{}: {encoder} here cannot encode {}", c.case, c.pix));
            continue;
        }
        let filter = format!(
            "scale=out_color_matrix={}:out_range={},format={}",
            c.matrix, c.range, c.pix
        );
        let tags: &[&str] = match (c.tagged, c.matrix) {
            (false, _) => &[],
            (true, "bt709") => &[
                "-colorspace",
                "bt709",
                "-color_primaries",
                "bt709",
                "-color_trc",
                "bt709",
            ],
            (true, _) => &[
                "-colorspace",
                "smpte170m",
                "-color_primaries",
                "smpte170m",
                "-color_trc",
                "smpte170m",
            ],
        };
        let mut args: Vec<&str> = c.codec.iter().chain(tags).copied().collect();
        if c.tagged {
            args.extend(["-color_range", c.range]);
        }
        let clip = rgb_clip(dir.path(), c.file, &img, 5, &filter, &args);
        let mut b = Board::new(
            dir.path(),
            (320, 64),
            &format!(
                "[[zone]]\nid = \"v\"\nx = 0\ny = 0\nwidth = 320\nheight = 64\nbackground = \"#ff00ff\"\n\n{}",
                video_item(&clip, "")
            ),
        );
        if !b.scene.errors().is_empty() {
            wrong.push(format!("{}: not playable: {:?}", c.case, b.scene.errors()));
            continue;
        }
        let shot = b.at(0.1);
        checked += 1;
        for (i, (colour, want)) in STRIPES.iter().enumerate() {
            let got = mean(&shot, 64 * i as u32 + 28, 28, 8, 8);
            if !near(got, *want, 6.0) {
                wrong.push(format!("{}: {colour} {want:?} shows as {got:.1?}", c.case));
            }
        }
    }
    for s in &skipped {
        eprintln!("SKIPPED (not a pass): {s}");
    }
    assert!(
        checked >= 8,
        "only {checked} colour cases could be checked; skipped: {skipped:?}"
    );
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

// 8. Rotation ---------------------------------------------------------------

#[test]
fn rotated_clips_are_turned_as_their_display_matrix_says() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    rgb_clip(
        dir.path(),
        "plain.mp4",
        &marker_image(),
        10,
        "format=yuv420p",
        &["-c:v", "libx264", "-preset", "ultrafast", "-qp", "10"],
    );
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    // Corners of a displayed picture: which marker, if any, is there.
    fn corner(c: [f64; 3]) -> &'static str {
        if near(c, [255, 0, 0], 40.0) {
            "red"
        } else if near(c, [0, 0, 255], 40.0) {
            "blue"
        } else if near(c, [128, 128, 128], 40.0) {
            "grey"
        } else {
            "?"
        }
    }
    let mut wrong = Vec::new();
    // FFmpeg 5.1's CLI writes the `rotate` tag negated into the display
    // matrix (a "rotate=270" tag gives the matrix phones write for
    // portrait video, which ffprobe reports as rotation=-90 and every
    // player turns clockwise). Each case: tag, ffprobe's rotation, the
    // expected corners (top-left, top-right, bottom-left, bottom-right).
    for (tag, probe_rotation, want) in [
        ("270", &["-90"][..], ["grey", "red", "grey", "blue"]),
        ("90", &["90"], ["blue", "grey", "red", "grey"]),
        ("180", &["180", "-180"], ["grey", "grey", "blue", "red"]),
    ] {
        let clip = format!("rot{tag}.mp4");
        ffmpeg(&[
            "-i",
            &p("plain.mp4"),
            "-c",
            "copy",
            "-metadata:s:v:0",
            &format!("rotate={tag}"),
            &p(&clip),
        ]);
        let clip = dir.path().join(clip);
        let rot = ffprobe(
            &clip,
            &["-select_streams", "v:0", "-show_entries", "stream_side_data=rotation"],
        );
        assert!(
            probe_rotation.contains(&rot.as_str()),
            "ffprobe's rotation of the rotate={tag} clip is {rot:?}, want one of {probe_rotation:?}"
        );
        // How ffmpeg itself shows the file (it applies the matrix).
        let reference = ffmpeg_first_frame(&clip);
        let (rw, rh) = reference.dimensions();
        let ref_corners: Vec<&str> = [(6, 6), (rw - 12, 6), (6, rh - 12), (rw - 12, rh - 12)]
            .iter()
            .map(|&(x, y)| {
                let px = |dx: u32, dy: u32| reference.get_pixel(x + dx, y + dy).0.map(f64::from);
                let s = (0..6)
                    .flat_map(|d| [px(d, d)])
                    .fold([0.0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]]);
                corner(s.map(|v| v / 6.0))
            })
            .collect();
        assert_eq!(
            ref_corners, want,
            "ffmpeg's own display of rotate={tag} (fix the test's table)"
        );
        let mut b = Board::new(
            dir.path(),
            (320, 320),
            &format!(
                "[[zone]]\nid = \"v\"\nx = 0\ny = 0\nwidth = 320\nheight = 320\nbackground = \"#000000\"\n\n{}",
                video_item_fit(&clip, "fit", "")
            ),
        );
        let shot = b.at(0.1);
        // Fitted into 320×320: the displayed picture's own aspect.
        let s = (320.0 / f64::from(rw)).min(320.0 / f64::from(rh));
        let (w, h) = ((f64::from(rw) * s).round() as u32, (f64::from(rh) * s).round() as u32);
        let (x0, y0) = ((320 - w) / 2, (320 - h) / 2);
        let got: Vec<&str> = [
            (x0 + 10, y0 + 10),
            (x0 + w - 20, y0 + 10),
            (x0 + 10, y0 + h - 20),
            (x0 + w - 20, y0 + h - 20),
        ]
        .iter()
        .map(|&(x, y)| corner(mean(&shot, x, y, 10, 10)))
        .collect();
        if got != want {
            wrong.push(format!(
                "rotate={tag}: corners {got:?}, want {want:?} (as ffmpeg shows it)"
            ));
        }
        // Outside the fitted picture: the zone's black background, so the
        // picture has the turned aspect (portrait for 90 and 270).
        let outside = if w < 320 {
            mean(&shot, 0, 150, x0.max(4) - 2, 20)
        } else {
            mean(&shot, 150, 0, 20, y0.max(4) - 2)
        };
        if !near(outside, [0, 0, 0], 3.0) {
            wrong.push(format!(
                "rotate={tag}: outside the fitted {w}×{h} picture is {outside:.0?}, not the background"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// 9. Variable frame rate ----------------------------------------------------

#[test]
fn variable_frame_rate_shows_the_last_frame_not_after_t() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    // 10 frames at 10 fps, 30 at 30 fps, then 20 with irregular gaps
    // (80, 80, 20 ms…); the frame-bits number is the source frame index.
    let clip = bits_clip(
        dir.path(),
        "vfr.mp4",
        30,
        60,
        0,
        &[
            "-vf",
            "settb=1/600,setpts='if(lt(N\\,10)\\,N*0.1\\,if(lt(N\\,40)\\,1+(N-10)/30\\,2+(N-40)*0.06+0.02*mod(N\\,3)))/TB'",
            "-fps_mode",
            "vfr",
            "-video_track_timescale",
            "600",
        ],
    );
    let pts = frame_times(&clip);
    assert_eq!(pts.len(), 60, "ffprobe frames: {pts:?}");
    let gaps: Vec<f64> = pts.windows(2).map(|w| w[1] - w[0]).collect();
    let (lo, hi) = gaps.iter().fold((f64::MAX, 0.0f64), |(l, h), g| (l.min(*g), h.max(*g)));
    assert!(hi / lo > 3.0, "the clip's frame rate is not variable: gaps {lo}…{hi}");
    let mut b = one_zone(dir.path(), &video_item(&clip, ""));
    let last = *pts.last().unwrap();
    let mut times: Vec<f64> = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        times.push(*p);
        if i > 0 {
            times.push(p - 0.002);
            times.push((p + pts[i - 1]) / 2.0);
        }
    }
    times.push(last + 0.01);
    times.sort_by(f64::total_cmp);
    let mut wrong = Vec::new();
    for t in &times {
        let want = pts.iter().rposition(|p| *p <= t + 1e-9).unwrap() as u32;
        match frame_at(&mut b, *t, FULL) {
            Ok(n) if n == want => {}
            got => wrong.push(format!(
                "t = {t:.4}: want frame {want} (pts {:.4}), got {got:?}",
                pts[want as usize]
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} instants wrong:\n{}",
        wrong.len(),
        times.len(),
        wrong.join("\n")
    );
}

// 10. Several zones ---------------------------------------------------------

#[test]
fn two_clips_in_two_zones_both_show_their_own_frame() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let a = clip_a(dir.path());
    // 3 s at 30 fps, frames 512…601.
    let c = bits_clip(dir.path(), "c30.mp4", 30, 90, 512, &[]);
    let zones = format!(
        "[[zone]]\nid = \"trai\"\nx = 0\ny = 0\nwidth = 320\nheight = 180\n\n{}\n\
         [[zone]]\nid = \"phai\"\nx = 320\ny = 0\nwidth = 320\nheight = 180\n\n{}",
        video_item(&a, ""),
        video_item(&c, "")
    );
    let mut b = Board::new(dir.path(), (640, 180), &zones);
    let mut wrong = Vec::new();
    for t in [0.01, 0.51, 1.234, 2.9, 3.05, 3.99, 4.02, 5.55, 6.01, 9.1] {
        let want_a = ((t * 25.0f64).floor() as u32) % 100;
        let want_c = 512 + ((t * 30.0f64).floor() as u32) % 90;
        let img = b.at(t);
        let got = (read_bits(&img, (0, 0, 320, 180)), read_bits(&img, (320, 0, 320, 180)));
        if got != (Ok(want_a), Ok(want_c)) {
            wrong.push(format!("t = {t}: want ({want_a}, {want_c}), got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Issue #14: FFmpeg lives in `libbangtin_video.so`, opened only when a
/// video first needs it — a picture board never maps it — and a board
/// without it plays everything else and names what is missing.
#[test]
fn the_video_library_is_opened_only_for_video_and_its_absence_is_named() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_a(dir.path());
    let pic = dir.path().join("anh.png");
    RgbaImage::from_pixel(64, 36, image::Rgba([0, 120, 200, 255]))
        .save(&pic)
        .unwrap();
    let loaded = "đã nạp thư viện video";
    let render = |media: &Path, lib: Option<&Path>| {
        let out = dir.path().join("out.png");
        let _ = std::fs::remove_file(&out);
        let mut c = bin();
        c.env("RUST_LOG", "info");
        if let Some(l) = lib {
            c.env("BANGTIN_VIDEO_LIB", l);
        }
        let o = c
            .args(["render", "--media"])
            .arg(media)
            .args(["--at", "+1", "--size", "320x180", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            out.exists(),
        )
    };

    // A picture: drawn, the library never opened.
    let (code, err, wrote) = render(&pic, None);
    assert_eq!((code, wrote), (Some(0), true), "{err}");
    assert!(!err.contains(loaded), "a picture opened the video library: {err}");

    // A video: the library is opened (once) and the frame drawn.
    let (code, err, wrote) = render(&clip, None);
    assert_eq!((code, wrote), (Some(0), true), "{err}");
    assert_eq!(err.matches(loaded).count(), 1, "{err}");

    // Without the library: pictures still draw; a video is refused with
    // the reason and where the player looked, in Vietnamese first.
    let missing = dir.path().join("khong-co/libbangtin_video.so");
    let (code, err, wrote) = render(&pic, Some(&missing));
    assert_eq!((code, wrote), (Some(0), true), "{err}");
    let (code, err, wrote) = render(&clip, Some(&missing));
    assert_eq!((code, wrote), (Some(2), false), "{err}");
    assert!(err.contains("không tìm thấy thư viện video"), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");

    // A file that is not the library (another build, or anything else).
    let wrong = dir.path().join("libkhac.so");
    std::fs::write(&wrong, b"not a library").unwrap();
    let (code, err, _) = render(&clip, Some(&wrong));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("không nạp được thư viện video"), "{err}");
}
