//! `bangtin-player` as officers and installers use it: exit codes, messages
//! that name the file, line and field, previews, and headless running.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bangtin-player"));
    c.env("RUST_LOG", "warn");
    c
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn template(name: &str) -> PathBuf {
    root().join("layouts/templates").join(format!("{name}.toml"))
}

fn run(c: &mut Command) -> Output {
    c.output().expect("bangtin-player runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn png_size(p: &Path) -> (u32, u32) {
    image::image_dimensions(p).expect("a PNG was written")
}

#[test]
fn render_writes_a_png_of_the_board_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("led.png");
    let o = run(bin()
        .args(["render", "--layout"])
        .arg(template("led-384x192"))
        .args(["--at", "2026-11-23T14:05:00+07:00", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&out), (384, 192));
}

#[test]
fn render_at_seconds_after_start_and_resized() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("small.png");
    let o = run(bin()
        .args(["render", "--layout"])
        .arg(template("portrait-1080x1920"))
        .args(["--at", "+12.5", "--size", "270x480", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&out), (270, 480));
}

#[test]
fn media_preview_on_an_led_board() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("preview.png");
    let o = run(bin()
        .args(["render", "--media"])
        .arg(root().join("layouts/templates/media/ruong-bac-thang.jpg"))
        .args(["--size", "384x192", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_size(&out), (384, 192));
}

#[test]
fn media_preview_of_a_file_that_is_not_a_picture_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("anh.jpg");
    std::fs::write(&fake, b"<html>not a picture</html>").unwrap();
    let o = run(bin()
        .args(["render", "--media"])
        .arg(&fake)
        .args(["--out"])
        .arg(dir.path().join("x.png")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("anh.jpg"), "the message names the file: {e}");
    assert!(!dir.path().join("x.png").exists());
}

fn broken_layout(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(template("led-384x192"))
        .unwrap()
        .replace("speed = 48", "speed = -48");
    let p = dir.join("hong.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn broken_layout_is_rejected_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = broken_layout(dir.path());
    let line = std::fs::read_to_string(&bad)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("speed = -48"))
        .unwrap()
        + 1;
    for args in [
        vec!["check", "--layout"],
        vec!["render", "--out", "/dev/null", "--layout"],
    ] {
        let o = run(bin().args(&args).arg(&bad));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        let want = format!("hong.toml:{line}:1: trường `zone[2].item[0].speed`");
        assert!(e.contains(&want), "{args:?}: expected {want:?} in {e}");
    }
}

#[test]
fn check_reports_missing_media_and_accepts_templates() {
    for name in ["commune-office-1920x1080", "led-384x192", "portrait-1080x1920"] {
        let o = run(bin().args(["check", "--layout"]).arg(template(name)));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("hợp lệ"));
    }
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(template("led-384x192"))
        .unwrap()
        .replace("media/ruong-bac-thang.jpg", "media/khong-co.jpg");
    let p = dir.path().join("thieu.toml");
    std::fs::write(&p, text).unwrap();
    let o = run(bin().args(["check", "--layout"]).arg(&p));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("khong-co.jpg"), "{}", stderr(&o));
}

#[test]
fn check_probes_videos() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tot.mp4");
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=160x90:rate=25:duration=1")
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&good)
        .status()
        .expect("ffmpeg is installed");
    assert!(st.success());
    let bad = dir.path().join("hong.mp4");
    std::fs::write(&bad, b"khong phai video").unwrap();
    let layout = |src: &Path| {
        format!(
            "[board]\nwidth = 320\nheight = 180\n\n[[zone]]\nid = \"v\"\nx = 0\ny = 0\nwidth = 320\nheight = 180\n\n\
             [[zone.item]]\ntype = \"video\"\nsrc = \"{}\"\n",
            src.display()
        )
    };
    let p = dir.path().join("video.toml");
    std::fs::write(&p, layout(&good)).unwrap();
    let o = run(bin().args(["check", "--layout"]).arg(&p));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&p, layout(&bad)).unwrap();
    let o = run(bin().args(["check", "--layout"]).arg(&p));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hong.mp4"), "{}", stderr(&o));
}

#[test]
fn render_with_missing_media_still_renders_the_rest() {
    // A bad item never blanks the board: render succeeds, the error is logged.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(template("led-384x192"))
        .unwrap()
        .replace("media/ruong-bac-thang.jpg", "media/khong-co.jpg");
    let p = dir.path().join("thieu.toml");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("f.png");
    let o = run(bin()
        .env("RUST_LOG", "error")
        .args(["render", "--layout"])
        .arg(&p)
        .args(["--at", "2026-11-23T00:00:13+07:00", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("khong-co.jpg"),
        "one clear error names the file: {}",
        stderr(&o)
    );
    assert_eq!(png_size(&out), (384, 192));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec!["render", "--layout", "x.toml", "--out", "o.png", "--at", "ngày mai"],
        vec!["render", "--layout", "x.toml", "--out", "o.png", "--size", "0x0"],
        vec!["render", "--out", "o.png"],
        vec!["run", "--window", "big", "--headless"],
        vec!["fly"],
    ] {
        let o = run(bin().args(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    let o = run(bin().args(["check", "--layout", "/khong/ton/tai.toml"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/khong/ton/tai.toml"));
}

#[test]
fn headless_run_writes_live_frames() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(bin()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["run", "--layout"])
        .arg(template("led-384x192"))
        .args(["--for", "1.5", "--every", "0.5", "--out-dir"])
        .arg(dir.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("latest.png"), "tells where frames go: {said}");
    assert_eq!(png_size(&dir.path().join("latest.png")), (384, 192));
}
