//! Memory over long playback (issue #11): a board that plays video for
//! days must not grow. Each case runs `bangtin-player soak --fast` — board
//! time advanced one frame per frame drawn, every picture decoded — in a
//! process of its own, so its resident and proportional sizes are the
//! board's alone, and checks the growth after the warm-up. A short run in
//! real time checks that late frames are counted there (issue #14), and
//! only there.
//!
//! The clips are 1280×720 H.264 at about 7 Mbit/s, a second long: each
//! pass reads ≈ 0.85 MB of packets. Reading every packet into one reused
//! `ffmpeg::Packet` leaked each of them (FFmpeg 5.1's `av_read_frame`
//! overwrites the packet without releasing it), ≈ 40 MiB over these runs;
//! the bound below is a few MiB.

use bangtin_tests::harness::clips;

use std::path::Path;
use std::process::Command;

/// Growth allowed after the warm-up, MiB (allocator and driver noise).
const BOUND_MIB: f64 = 6.0;

fn clip(dir: &Path) {
    clips::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=25",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        "8M",
        "-an",
        dir.join("clip.mp4").to_str().unwrap(),
    ]);
}

/// Run a soak and return its summary (the `summary {json}` line) and its
/// CSV. One at a time: two players share library pages, and one ending
/// would raise the other's proportional size.
fn soak(layout: &Path, args: &[&str]) -> (serde_json::Value, String) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let csv = layout.with_extension("csv");
    let out = Command::new(env!("CARGO_BIN_EXE_bangtin-player"))
        .arg("soak")
        .arg("--layout")
        .arg(layout)
        .arg("--csv")
        .arg(&csv)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("bangtin-player runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "soak failed: {}", out.status);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("summary "))
        .expect("a summary line");
    let csv = std::fs::read_to_string(csv).expect("the CSV");
    (serde_json::from_str(line).expect("summary is JSON"), csv)
}

/// A 480×270 board of `zones` (TOML) written to `dir/name`.
fn board(dir: &Path, name: &str, zones: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{BOARD}{zones}")).unwrap();
    path
}

const TICKER: &str = "[[zone]]\nid = \"chu-chay\"\nx = 0\ny = 216\nwidth = 480\nheight = 54\n\n\
    [[zone.item]]\ntype = \"ticker\"\ntext = \"Lịch tiêm chủng mở rộng tháng 12 — Trạm Y tế xã\"\n";

/// The last third of the samples after the warm-up against the first.
fn growth_mib(s: &serde_json::Value, what: &str) -> f64 {
    s[format!("{what}_end_mib")].as_f64().unwrap() - s[format!("{what}_warm_mib")].as_f64().unwrap()
}

fn assert_flat(s: &serde_json::Value) {
    for what in ["rss", "pss"] {
        let g = growth_mib(s, what);
        assert!(
            g < BOUND_MIB,
            "{what} grew {g:.1} MiB after the warm-up (bound {BOUND_MIB} MiB): {s}"
        );
    }
}

const BOARD: &str = "[board]\nname = \"soak\"\nwidth = 480\nheight = 270\nbackground = \"#000000\"\n\n";

#[test]
fn a_looping_clip_plays_sixty_passes_without_growing() {
    let dir = tempfile::tempdir().unwrap();
    clip(dir.path());
    let layout = board(
        dir.path(),
        "loop.toml",
        "[[zone]]\nid = \"video\"\nx = 0\ny = 0\nwidth = 480\nheight = 270\n\n\
         [[zone.item]]\ntype = \"video\"\nsrc = \"clip.mp4\"\nloop = true\nmute = true\n",
    );
    let (s, csv) = soak(
        &layout,
        &["--fast", "--sample", "5", "--seconds", "70", "--warmup", "10"],
    );
    assert_eq!(s["frames"].as_u64(), Some(70 * 25), "{s}");
    assert_flat(&s);
    // Accelerated, board time does not follow the clock: no late frames
    // to count, reported as absent rather than as none.
    for k in [
        "late_frames",
        "frames_due",
        "late_pct",
        "late_growth_points",
        "worst_frame_ms",
    ] {
        assert!(s[k].is_null(), "{k} in an accelerated run: {s}");
    }
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",,,,,")), "{csv}");
}

#[test]
fn a_real_time_soak_counts_late_frames_per_sample() {
    let dir = tempfile::tempdir().unwrap();
    let layout = board(dir.path(), "ticker.toml", TICKER);
    let (s, csv) = soak(&layout, &["--seconds", "8", "--sample", "2", "--warmup", "2"]);
    // Eight seconds at 25 fps: 200 frames due, all of them moving (the
    // ticker); however busy the machine, every frame drawn is counted.
    let due = s["frames_due"].as_u64().expect("frames due in real time");
    assert!((198..=202).contains(&due), "{s}");
    let (late, frames) = (s["late_frames"].as_u64().unwrap(), s["frames"].as_u64().unwrap());
    assert!(frames > 0 && frames <= due + 2 && late < frames, "{s}");
    for k in [
        "late_first_pct",
        "late_last_pct",
        "late_growth_points",
        "worst_frame_ms",
    ] {
        assert!(s[k].is_f64(), "{k}: {s}");
    }
    assert!(s["worst_frame_ms"].as_f64().unwrap() >= 20.0, "{s}");
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 5, "{csv}");
    let drawn: u64 = rows.iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    assert_eq!(drawn, frames, "{csv}");
    let late_rows: u64 = rows.iter().map(|r| r[6].parse::<u64>().unwrap()).sum();
    assert_eq!(late_rows, late, "{csv}");
}

#[test]
fn alert_screens_interrupting_a_video_do_not_grow_the_board() {
    // Every switch is a new scene, as on a board: the clip is probed and
    // its decoder started again, the alert screen's text shaped anew.
    let dir = tempfile::tempdir().unwrap();
    clip(dir.path());
    let layout = board(
        dir.path(),
        "alerts.toml",
        &format!(
            "[[zone]]\nid = \"video\"\nx = 0\ny = 0\nwidth = 480\nheight = 216\n\n\
             [[zone.item]]\ntype = \"video\"\nsrc = \"clip.mp4\"\nloop = true\nmute = true\n\n{TICKER}"
        ),
    );
    let (s, _) = soak(
        &layout,
        &[
            "--fast",
            "--sample",
            "5",
            "--seconds",
            "120",
            "--warmup",
            "15",
            "--alert-every",
            "5",
            "--alert-for",
            "2",
        ],
    );
    assert_flat(&s);
}

/// The glyph atlas is a cache that only grew (every alert screen shrinks
/// its text to sizes of its own): a grown one is dropped when the next
/// scene is prepared, and the same text renders the same, pixel for pixel,
/// from the atlas built again.
#[test]
fn a_grown_glyph_atlas_is_dropped_at_the_next_scene_and_text_renders_the_same() {
    use bangtin_player::{Gpu, Headless, Scene, View};
    let letters = "aáàảãạ ăắằẳẵặ âấầẩẫậ eéèẻẽẹ êếềểễệ iíìỉĩị oóòỏõọ ôốồổỗộ ơớờởỡợ uúùủũụ ưứừửữự yýỳỷỹỵ đ";
    // Four full-board zones on top of each other, the alphabet wrapped at
    // four large sizes: ≈ 2 M texels of glyphs, more than the 1024×1024 kept.
    let mut zones = String::new();
    for (i, size) in [70, 100, 130, 160].iter().enumerate() {
        zones += &format!(
            "[[zone]]\nid = \"z{i}\"\nx = 0\ny = 0\nwidth = 1920\nheight = 1080\n\n\
             [[zone.item]]\ntype = \"text\"\nbody = \"{} {letters}\"\nsize = {size}\nmin_size = {size}\n\n",
            letters.to_uppercase()
        );
    }
    let toml = format!("[board]\nname = \"atlas\"\nwidth = 1920\nheight = 1080\n\n{zones}");
    let layout = bangtin_layouts::parse_layout(&toml, Path::new("atlas.toml"), Path::new(".")).unwrap();
    let gpu = std::sync::Arc::new(Gpu::new(None).expect("a GPU adapter (lavapipe)"));
    let mut h = Headless::new(gpu);
    let view = View::identity(1920, 1080);
    let anchor = chrono::Utc::now();
    let mut first = Scene::new(layout.clone(), anchor, &mut h.renderer, 1.0);
    let before = h.frame(&mut first, 1.0, view).unwrap();
    let grown = h.renderer.text.atlas_size();
    assert!(grown[1] > 1024, "the atlas grew past what is kept: {grown:?}");
    let mut second = Scene::new(layout, anchor, &mut h.renderer, 1.0);
    assert_eq!(h.renderer.text.atlas_size(), [0, 0], "dropped for the new scene");
    let after = h.frame(&mut second, 1.0, view).unwrap();
    assert!(before == after, "the same frame from a rebuilt atlas");
}
