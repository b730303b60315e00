//! The kiosk window on a real X server (Xvfb, started and stopped by these
//! tests by PID): what reaches the screen is what the renderer draws, with
//! both presentation paths, fullscreen and at a fixed output region.

use bangtin_tests::harness::xvfb::Xvfb;
use image::RgbaImage;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn template(name: &str) -> PathBuf {
    root().join("layouts/templates").join(format!("{name}.toml"))
}

struct Player(Child);

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn player(x: &Xvfb, args: &[&str]) -> Player {
    Player(
        Command::new(env!("CARGO_BIN_EXE_bangtin-player"))
            .env("DISPLAY", &x.display)
            .env("RUST_LOG", "warn,winit=error")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

fn headless(layout: &Path, out: &Path) -> RgbaImage {
    let st = Command::new(env!("CARGO_BIN_EXE_bangtin-player"))
        .env("RUST_LOG", "warn,winit=error")
        .args(["render", "--layout"])
        .arg(layout)
        .arg("--out")
        .arg(out)
        .status()
        .unwrap();
    assert!(st.success());
    image::open(out).unwrap().into_rgba8()
}

/// Pixels of `rect` differing by more than 24 in some channel.
fn differing(a: &RgbaImage, b: &RgbaImage, rect: (u32, u32, u32, u32)) -> usize {
    let (x0, y0, w, h) = rect;
    let mut n = 0;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            if (0..3).any(|c| p[c].abs_diff(q[c]) > 24) {
                n += 1;
            }
        }
    }
    n
}

/// The static zones of the Chromium-peer board (title, picture, text).
const STATIC: [(u32, u32, u32, u32); 3] = [(0, 0, 1920, 120), (0, 120, 960, 540), (960, 120, 960, 840)];
const TICKER: (u32, u32, u32, u32) = (0, 960, 1920, 120);

fn shows_the_rendered_board(present: &str) {
    let x = Xvfb::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();
    let layout = template("chromium-peer-1920x1080");
    let want = headless(&layout, &dir.path().join("want.png"));
    let _p = player(
        &x,
        &[
            "run",
            "--present",
            present,
            "--for",
            "20",
            "--layout",
            layout.to_str().unwrap(),
        ],
    );
    let shot = dir.path().join("shot.png");
    let t0 = Instant::now();
    let first = loop {
        let got = x.grab(0, 0, 1920, 1080, &shot);
        let bad: usize = STATIC.iter().map(|r| differing(&got, &want, *r)).sum();
        if bad < 200 {
            break got;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "{present}: the screen never matched the rendered board ({bad} static pixels differ)"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // The ticker moves on screen, the static zones stay.
    std::thread::sleep(Duration::from_millis(500));
    let later = x.grab(0, 0, 1920, 1080, &shot);
    assert!(
        differing(&first, &later, TICKER) > 1000,
        "{present}: the ticker does not move on screen"
    );
    let still: usize = STATIC.iter().map(|r| differing(&first, &later, *r)).sum();
    assert!(still < 50, "{present}: static zones changed on screen ({still} px)");
}

#[test]
fn damage_only_present_shows_the_rendered_board() {
    shows_the_rendered_board("shm");
}

#[test]
fn swapchain_present_shows_the_rendered_board() {
    shows_the_rendered_board("surface");
}

#[test]
fn fixed_output_region_for_led_sending_cards() {
    let x = Xvfb::start(800, 600);
    let dir = tempfile::tempdir().unwrap();
    let layout = template("led-384x192");
    let _p = player(
        &x,
        &[
            "run",
            "--window",
            "384x192+100+50",
            "--for",
            "15",
            "--layout",
            layout.to_str().unwrap(),
        ],
    );
    let shot = dir.path().join("shot.png");
    let t0 = Instant::now();
    loop {
        let s = x.grab(0, 0, 800, 600, &shot);
        // Clock bar (#0b3d91) at the region's top, ticker (#b71c1c) at its
        // bottom, black root window around it.
        let top = s.get_pixel(100 + 2, 50 + 2);
        let bottom = s.get_pixel(100 + 2, 50 + 190);
        let outside = [
            s.get_pixel(99, 49),
            s.get_pixel(100 + 384, 50 + 192),
            s.get_pixel(10, 10),
        ];
        let ok = top[0] == 0x0b
            && top[2] == 0x91
            && bottom[0] == 0xb7
            && bottom[1] == 0x1c
            && outside.iter().all(|p| p[0] == 0 && p[1] == 0 && p[2] == 0);
        if ok {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "board not at 384x192+100+50: top {top:?} bottom {bottom:?} outside {outside:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A board never blanks by itself: the player turned the X screen saver off.
    use x11rb::protocol::xproto::ConnectionExt as _;
    let (conn, _) = x11rb::connect(Some(&x.display)).expect("connect to Xvfb");
    let ss = conn.get_screen_saver().unwrap().reply().unwrap();
    assert_eq!(ss.timeout, 0, "screen saver still armed ({} s)", ss.timeout);
    drop(conn);
}

/// A portrait board on a landscape output, turned by the player: what
/// reaches the screen is the upright render turned a quarter, through the
/// settings file (`screen.rotation = 90`) or the flag (`--rotation 270`).
fn shows_the_portrait_board_turned(degrees: u32, from_file: bool) {
    let x = Xvfb::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();
    let layout = template("portrait-1080x1920");
    let upright = headless(&layout, &dir.path().join("want.png"));
    let want = match degrees {
        90 => image::imageops::rotate90(&upright),
        270 => image::imageops::rotate270(&upright),
        _ => unreachable!(),
    };
    let settings = dir.path().join("player.toml");
    std::fs::write(&settings, format!("[screen]\nrotation = {degrees}\n")).unwrap();
    let flag = degrees.to_string();
    let mut args = vec!["run", "--for", "20", "--layout", layout.to_str().unwrap()];
    if from_file {
        args.extend(["--config", settings.to_str().unwrap()]);
    } else {
        args.extend(["--rotation", &flag]);
    }
    let _p = player(&x, &args);
    // Upright rectangles of the static zones (title, picture, notice, QR)
    // and the ticker, and where a quarter turn puts them on the output.
    let on_output = |(rx, ry, rw, rh): (u32, u32, u32, u32)| match degrees {
        90 => (1920 - (ry + rh), rx, rh, rw),
        _ => (ry, 1080 - (rx + rw), rh, rw),
    };
    let stat: Vec<_> = [
        (0, 0, 1080, 220),
        (0, 220, 1080, 608),
        (0, 828, 1080, 680),
        (700, 1508, 380, 292),
    ]
    .into_iter()
    .map(on_output)
    .collect();
    let ticker = on_output((0, 1800, 1080, 120));
    let shot = dir.path().join("shot.png");
    let t0 = Instant::now();
    let first = loop {
        let got = x.grab(0, 0, 1920, 1080, &shot);
        let bad: usize = stat.iter().map(|r| differing(&got, &want, *r)).sum();
        if bad < 200 {
            break got;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "rotation {degrees}: the screen never matched the turned board ({bad} static pixels differ)"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // An unturned picture would not match: the test can tell them apart.
    let unturned = image::imageops::resize(&upright, 1920, 1080, image::imageops::FilterType::Nearest);
    let apart: usize = stat.iter().map(|r| differing(&first, &unturned, *r)).sum();
    assert!(
        apart > 10_000,
        "rotation {degrees}: upright and turned look alike ({apart})"
    );
    std::thread::sleep(Duration::from_millis(500));
    let later = x.grab(0, 0, 1920, 1080, &shot);
    assert!(
        differing(&first, &later, ticker) > 500,
        "rotation {degrees}: the ticker does not move where the turn puts it"
    );
}

#[test]
fn a_portrait_board_turned_a_quarter_by_the_settings_file() {
    shows_the_portrait_board_turned(90, true);
}

#[test]
fn a_portrait_board_turned_the_other_way_by_the_flag() {
    shows_the_portrait_board_turned(270, false);
}

/// A still-picture clip (two colours, BT.709, limited range) and a board
/// showing it in a zone beside a text zone.
fn video_board(dir: &Path) -> PathBuf {
    let clip = dir.join("still.mp4");
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("color=c=0x2060c0:s=320x180:r=25:d=3,drawbox=x=0:y=0:w=160:h=90:c=0xe03020:t=fill")
        .args(["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"])
        .args([
            "-colorspace",
            "bt709",
            "-color_range",
            "tv",
            "-c:v",
            "libx264",
            "-qp",
            "0",
        ])
        .arg(&clip)
        .status()
        .expect("ffmpeg is installed");
    assert!(st.success());
    let layout = dir.join("video.toml");
    std::fs::write(
        &layout,
        format!(
            "[board]\nname = \"video\"\nwidth = 640\nheight = 360\nbackground = \"#ffffff\"\n\n\
             [[zone]]\nid = \"video\"\nx = 40\ny = 40\nwidth = 320\nheight = 180\n\n\
             [[zone.item]]\ntype = \"video\"\nsrc = \"{}\"\nfit = \"fill\"\nloop = true\nmute = true\n\n\
             [[zone]]\nid = \"text\"\nx = 380\ny = 40\nwidth = 240\nheight = 180\nbackground = \"#fffdf5\"\n\n\
             [[zone.item]]\ntype = \"text\"\nbody = \"Video bên cạnh chữ\"\nsize = 24\n",
            clip.display()
        ),
    )
    .unwrap();
    layout
}

/// Both presentation paths put the video on screen as the headless
/// renderer draws it: the damage-only path converts pictures on the CPU
/// straight into the X image, the swapchain draws YUV planes on the GPU.
fn shows_the_video_as_rendered(present: &str) {
    let x = Xvfb::start(640, 360);
    let dir = tempfile::tempdir().unwrap();
    let layout = video_board(dir.path());
    let want = headless(&layout, &dir.path().join("want.png"));
    let _p = player(
        &x,
        &[
            "run",
            "--present",
            present,
            "--for",
            "15",
            "--layout",
            layout.to_str().unwrap(),
        ],
    );
    let shot = dir.path().join("shot.png");
    let zone = (42, 42, 316, 176);
    // Past the first full frame: later pictures take the video path.
    std::thread::sleep(Duration::from_millis(1500));
    let t0 = Instant::now();
    loop {
        let got = x.grab(0, 0, 640, 360, &shot);
        let bad = differing(&got, &want, zone) + differing(&got, &want, (380, 40, 240, 180));
        // Chroma is upsampled a little differently on the CPU and the GPU:
        // a pixel or two along colour edges may differ (~500 px here).
        if bad < 1200 {
            // Colours within a few levels: same matrix and range both ways.
            let (p, q) = (got.get_pixel(120, 80), want.get_pixel(120, 80));
            assert!((0..3).all(|c| p[c].abs_diff(q[c]) <= 6), "{present}: {p:?} vs {q:?}");
            let (p, q) = (got.get_pixel(300, 180), want.get_pixel(300, 180));
            assert!((0..3).all(|c| p[c].abs_diff(q[c]) <= 6), "{present}: {p:?} vs {q:?}");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(12),
            "{present}: the screen never showed the rendered video ({bad} px differ)"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn damage_only_present_shows_video_converted_on_the_cpu() {
    shows_the_video_as_rendered("shm");
}

#[test]
fn swapchain_present_shows_video_drawn_on_the_gpu() {
    shows_the_video_as_rendered("surface");
}

/// Issue #15: under systemd (`Type=notify`, `WatchdogSec=`) the kiosk says
/// READY=1 once its first frame is up and then pings the watchdog at half
/// its period from the render loop — also on a board where nothing on
/// screen changes, so a still board is never taken for a hung one.
#[test]
fn tells_systemd_it_is_ready_and_feeds_the_watchdog_while_nothing_changes() {
    use std::os::unix::net::UnixDatagram;
    let x = Xvfb::start(640, 360);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("still.toml");
    std::fs::write(
        &layout,
        "[board]\nname = \"tĩnh\"\nwidth = 320\nheight = 180\nbackground = \"#103050\"\n\n\
         [[zone]]\nid = \"z\"\nx = 0\ny = 0\nwidth = 320\nheight = 180\n\n\
         [[zone.item]]\ntype = \"text\"\nbody = \"Bảng tin tĩnh\"\n",
    )
    .unwrap();
    let sock_path = dir.path().join("notify");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let _p = Player(
        Command::new(env!("CARGO_BIN_EXE_bangtin-player"))
            .env("DISPLAY", &x.display)
            .env("RUST_LOG", "warn,winit=error")
            .env("NOTIFY_SOCKET", &sock_path)
            .env("WATCHDOG_USEC", "2000000")
            .env_remove("WATCHDOG_PID")
            .args(["run", "--layout"])
            .arg(&layout)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut got: Vec<(f64, String)> = Vec::new();
    while started.elapsed() < Duration::from_secs(30) {
        let mut b = [0u8; 256];
        if let Ok(n) = sock.recv(&mut b) {
            got.push((
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&b[..n]).into_owned(),
            ));
        }
        let pings = got.iter().filter(|(_, m)| m == "WATCHDOG=1\n").count();
        if pings >= 4 {
            break;
        }
    }
    let ready = got.iter().position(|(_, m)| m.starts_with("READY=1\n"));
    assert_eq!(ready, Some(0), "READY=1 first: {got:?}");
    assert_eq!(
        got.iter().filter(|(_, m)| m.starts_with("READY=1")).count(),
        1,
        "{got:?}"
    );
    let pings: Vec<f64> = got
        .iter()
        .filter(|(_, m)| m == "WATCHDOG=1\n")
        .map(|(t, _)| *t)
        .collect();
    assert!(pings.len() >= 4, "pings while the screen stays still: {got:?}");
    // Every second (half of 2 s), never as late as the period: a loaded
    // test machine may wake the loop a little late, never that late.
    for w in pings.windows(2) {
        let gap = w[1] - w[0];
        assert!((0.95..1.9).contains(&gap), "ping gap {gap:.3} s: {pings:?}");
    }
}
