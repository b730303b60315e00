//! A managed board over a long time: `cargo bench -p bangtin-player --bench
//! soak_board` (`-- MINUTES`, default 30).
//!
//! A real manager (in this process, real sled, real HTTP on 127.0.0.1) and
//! one real board (`bangtin-player run --manager`, headless on lavapipe, its
//! own process) showing a signed 1920×1080 show: a looping 20 s 1280×720
//! H.264 clip, a picture, a clock and a ticker. Everything a board in a
//! commune lives through, on a fast clock:
//!
//! - a CAP emergency from a registered source every minute, cancelled 15 s
//!   later (alert set fetched and verified, alert screen, back to the show);
//! - a new show every 5 minutes, alternating two layouts (the director
//!   builds new scenes, the cache downloads and collects media);
//! - a screenshot command every 2 minutes (pushed on the event stream,
//!   rendered, uploaded);
//! - heartbeats every 10 s and proof of play uploads throughout.
//!
//! The board's RSS and PSS are read every 30 s; growth is judged after the
//! first 2 minutes as by `bangtin-player soak` (the last third of the
//! samples against the first).

use bangtin_tests::harness::boards::*;
use bangtin_tests::harness::manager::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// The board program cargo built for this benchmark.
const PLAYER: &str = env!("CARGO_BIN_EXE_bangtin-player");

fn main() {
    let minutes: f64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(30.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(minutes));
}

fn mem(pid: u32) -> (f64, f64) {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| -> f64 {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("Rss:"), field("Pss:"))
}

fn clip(dir: &std::path::Path) -> Vec<u8> {
    let out = dir.join("clip.mp4");
    let st = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1280x720:rate=30")
        .args([
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
        ])
        .arg(&out)
        .status()
        .expect("ffmpeg is installed");
    assert!(st.success());
    std::fs::read(out).unwrap()
}

fn layout(video: &str, picture: &str, second: bool) -> String {
    let media = if second {
        format!(
            "[[zone.item]]\ntype = \"image\"\nsrc = \"sha256:{picture}\"\nfit = \"fill\"\nduration = 20\n\n\
             [[zone.item]]\ntype = \"video\"\nsrc = \"sha256:{video}\"\nfit = \"fill\"\nmute = true\n"
        )
    } else {
        format!("[[zone.item]]\ntype = \"video\"\nsrc = \"sha256:{video}\"\nfit = \"fill\"\nloop = true\nmute = true\n")
    };
    format!(
        r##"[board]
name = "UBND xã Định Hóa"
width = 1920
height = 1080
background = "#ffffff"

[[zone]]
id = "tieu-de"
x = 0
y = 0
width = 1520
height = 120
background = "#0b3d91"

[[zone.item]]
type = "text"
title = "Ủy ban nhân dân xã Định Hóa{suffix}"
color = "#ffffff"

[[zone]]
id = "dong-ho"
x = 1520
y = 0
width = 400
height = 120
background = "#0b3d91"

[[zone.item]]
type = "clock"
color = "#ffffff"

[[zone]]
id = "hinh-anh"
x = 0
y = 120
width = 1280
height = 720
background = "#000000"
transition = "crossfade"

{media}
[[zone]]
id = "thong-bao"
x = 1280
y = 120
width = 640
height = 720

[[zone.item]]
type = "text"
title = "Lịch tiếp công dân"
body = "Thứ Năm hằng tuần, buổi sáng, tại trụ sở Ủy ban nhân dân xã."

[[zone]]
id = "chu-chay"
x = 0
y = 840
width = 1920
height = 240
background = "#b71c1c"

[[zone.item]]
type = "ticker"
text = "Cảnh báo lũ quét, sạt lở đất — người dân không đi qua ngầm, tràn khi nước chảy xiết."
"##,
        suffix = if second { " — bảng tin" } else { "" }
    )
}

async fn run(minutes: f64) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("manager");
    seed(&data);
    let s = Server::start(&data, |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (st, v) = admin.upload(COMMUNE_A, "clip.mp4", clip(dir.path())).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let video = v["sha256"].as_str().unwrap().to_string();
    let (st, v) = admin.upload(COMMUNE_A, "anh.png", png(1280, 720, 7)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let picture = v["sha256"].as_str().unwrap().to_string();
    let layouts = [
        new_layout(&admin, &layout(&video, &picture, false)).await,
        new_layout(&admin, &layout(&video, &picture, true)).await,
    ];
    let sched = schedule(&admin, &layouts[0]).await;
    let bd = dir.path().join("board");
    let p = spawn_player(PLAYER, &s.url, &bd, 10);
    let (board, _) = claim(&admin, &p, &bd.join("config")).await;
    publish(&admin, &board).await;
    p.wait_line("Show {", Duration::from_secs(120)).await;
    let (st, src) = admin
        .post("/api/v1/sources", json!({"name": "HTTTN tỉnh", "units": [PROVINCE]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{src}");
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(src["key"].as_str().unwrap())
        .unwrap();
    let sid = src["source"]["id"].as_str().unwrap().to_string();
    let pid = p.child.id();
    println!(
        "# soak_board: a managed board (1920×1080, looping 720p video, ticker, clock), {minutes} min; \
         CAP emergency every 60 s (cancelled after 15 s), a new show every 300 s, a screenshot every 120 s"
    );
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(minutes * 60.0);
    let mut samples: Vec<(f64, f64, f64)> = Vec::new();
    let (mut alerts, mut shows, mut shots) = (0u32, 0u32, 0u32);
    let mut next_sample = 0.0;
    let mut k = 0u64;
    while Instant::now() < end {
        let t = t0.elapsed().as_secs_f64();
        if t >= next_sample {
            let (rss, pss) = mem(pid);
            println!(
                "t={t:>6.0} s  RSS {rss:>6.1} MiB  PSS {pss:>6.1} MiB  | alerts {alerts} shows {shows} screenshots {shots}"
            );
            samples.push((t, rss, pss));
            next_sample += 30.0;
        }
        let sec = t as u64;
        if sec >= k {
            if sec > 0 && sec.is_multiple_of(60) {
                let id = format!("SOAK-{sec}");
                let body = cap(&id, "Alert", "", "Immediate", "2099-01-01T00:00:00+07:00");
                let (st, v) = source_post(&s.url, &sid, &key, "/api/v1/alerts", "application/cap+xml", &body).await;
                assert_eq!(st, StatusCode::ACCEPTED, "{v}");
                alerts += 1;
            }
            if sec >= 60 && sec % 60 == 15 {
                let id = format!("SOAK-{}", sec - 15);
                let refs =
                    format!("\n  <references>htttn@thainguyen.example,{id},2026-09-17T06:30:00+07:00</references>");
                let body = cap(
                    &format!("{id}-HUY"),
                    "Cancel",
                    &refs,
                    "Immediate",
                    "2099-01-01T00:00:00+07:00",
                );
                let (st, v) = source_post(&s.url, &sid, &key, "/api/v1/alerts", "application/cap+xml", &body).await;
                assert_eq!(st, StatusCode::ACCEPTED, "{v}");
            }
            if sec > 0 && sec % 300 == 40 {
                shows += 1;
                let (st, v) = admin
                    .call(
                        reqwest::Method::PUT,
                        &format!("/api/v1/schedules/{sched}"),
                        Some(json!({"name": "Lịch", "target": {"unit": COMMUNE_A},
                            "schedule": {"default_layout": layouts[(shows % 2) as usize]}})),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
                publish(&admin, &board).await;
            }
            if sec > 0 && sec % 120 == 50 {
                let (st, v) = admin
                    .post(
                        &format!("/api/v1/boards/{board}/commands"),
                        json!({"action": "screenshot"}),
                    )
                    .await;
                assert_eq!(st, StatusCode::ACCEPTED, "{v}");
                shots += 1;
            }
            k = sec + 1;
        }
        assert!(p.child.id() == pid, "the board restarted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (rss, pss) = mem(pid);
    samples.push((t0.elapsed().as_secs_f64(), rss, pss));
    let after: Vec<&(f64, f64, f64)> = samples.iter().filter(|s| s.0 >= 120.0).collect();
    let third = after.len().div_ceil(3).max(1);
    let mean =
        |v: &[&(f64, f64, f64)], f: fn(&(f64, f64, f64)) -> f64| v.iter().map(|s| f(s)).sum::<f64>() / v.len() as f64;
    for (name, f) in [
        ("RSS", (|s: &(f64, f64, f64)| s.1) as fn(&(f64, f64, f64)) -> f64),
        ("PSS", |s| s.2),
    ] {
        let (a, b) = (mean(&after[..third], f), mean(&after[after.len() - third..], f));
        println!(
            "# {name} {a:.1} → {b:.1} MiB after warm-up: {:+.2} %",
            (b - a) / a * 100.0
        );
    }
    let errors: Vec<String> = p
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("ERROR") || l.contains("panicked"))
        .cloned()
        .collect();
    println!("# board errors logged: {}", errors.len());
    for e in errors.iter().take(5) {
        println!("#   {e}");
    }
    s.stop().await;
}
