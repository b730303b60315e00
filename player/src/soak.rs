//! `bangtin-player soak`: play a board for a long time and record the
//! memory of the process as it goes — resident (RSS) and proportional
//! (PSS) size every so often — so that a curve that keeps rising is seen
//! before a board in the field runs out of memory.
//!
//! The board is played as the kiosk plays it: headless in real time (the
//! same renderer, damage-aware redraws, live video and sound), the kiosk
//! window itself on the display (either present path), or accelerated
//! (`--fast`: board time advances one frame per frame drawn, as fast as
//! the machine goes, every picture of every clip decoded), which plays
//! hours of clip passes in minutes. `--alert-every` interrupts the board
//! with an emergency screen the way the director does: a new scene for
//! the alert, then a new scene of the layout again.
//!
//! Growth is measured after the warm-up (caches, decoder pools and the
//! driver settle in the first minutes): the mean of the last third of the
//! samples against the mean of the first third, in per cent — a leak
//! raises the late samples, while a sample that happens to fall on a
//! screen change (two scenes alive for a moment) averages out. The peak
//! and a least-squares slope (MiB per hour) are reported beside it. USS
//! (pages of this process alone) is reported too: PSS shares library
//! pages among every process that maps them, so it moves when another
//! program starts or stops beside the board.

use crate::board::alert_screen;
use crate::kiosk::{self, PresentMode};
use crate::{Gpu, Headless, Scene, View};
use anyhow::{Context, Result, bail};
use bangtin_layouts::alerts::{AlertLevel, BoardAlert};
use bangtin_layouts::{Layout, load_layout};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct SoakArgs {
    /// Bố cục cần chạy (layout file)
    #[arg(long, value_name = "FILE")]
    pub layout: PathBuf,
    /// Thời gian chạy, giây thời gian bảng (board time to play, seconds)
    #[arg(long, value_name = "SECONDS", default_value_t = 1800.0)]
    pub seconds: f64,
    /// Đo bộ nhớ mỗi … giây (sample memory every SECONDS of board time)
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub sample: f64,
    /// Bỏ qua … giây đầu khi tính mức tăng (warm-up left out of the growth)
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub warmup: f64,
    /// Chạy nhanh: thời gian bảng tiến một khung mỗi khung vẽ (accelerated, headless)
    #[arg(long, conflicts_with = "window")]
    pub fast: bool,
    /// Khung hình mỗi giây thời gian bảng (frames per second of board time)
    #[arg(long, default_value_t = 25.0)]
    pub fps: f64,
    /// Bố cục tiếp theo, luân phiên với --layout (more layouts, cycled: show changes)
    #[arg(long, value_name = "FILE", conflicts_with = "window")]
    pub then: Vec<PathBuf>,
    /// Đổi sang bố cục kế tiếp mỗi … giây (switch to the next layout every SECONDS)
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub switch_every: f64,
    /// Màn hình cảnh báo khẩn cấp chen vào mỗi … giây (an alert screen every SECONDS)
    #[arg(long, value_name = "SECONDS", conflicts_with = "window")]
    pub alert_every: Option<f64>,
    /// Màn hình cảnh báo kéo dài … giây (each alert screen lasts SECONDS)
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    pub alert_for: f64,
    /// Chạy cửa sổ kiosk trên màn hình (DISPLAY) thay vì không màn hình (the kiosk window)
    #[arg(long)]
    pub window: bool,
    /// Cách trình chiếu của cửa sổ (present path of the window)
    #[arg(long, value_enum, default_value_t = PresentMode::Auto)]
    pub present: PresentMode,
    /// Ghi các mẫu ra tệp CSV (write the samples as CSV)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Thoát mã 1 nếu RSS hoặc PSS tăng quá … % sau khởi động (fail above this growth)
    #[arg(long, value_name = "PERCENT")]
    pub max_growth: Option<f64>,
}

/// One reading of the process's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Board seconds since the soak started.
    pub t: f64,
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// Pages of this process alone (private clean + dirty): unlike PSS,
    /// not moved by other programs mapping the same libraries.
    pub uss_kib: u64,
}

/// Resident, proportional and unique set size of this process, KiB.
pub fn memory() -> Result<(u64, u64, u64)> {
    fn field(text: &str, name: &str) -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }
    let status = std::fs::read_to_string("/proc/self/status").context("/proc/self/status")?;
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").context("/proc/self/smaps_rollup")?;
    let rss = field(&status, "VmRSS:").context("VmRSS missing")?;
    let pss = field(&rollup, "Pss:").context("Pss missing")?;
    let uss = field(&rollup, "Private_Clean:").unwrap_or(0) + field(&rollup, "Private_Dirty:").unwrap_or(0);
    Ok((rss, pss, uss))
}

/// What a soak found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub board_seconds: f64,
    pub wall_seconds: f64,
    pub samples: usize,
    pub frames: u64,
    pub warmup_seconds: f64,
    /// Means of the first and the last third of the samples after the
    /// warm-up, the peak after it, growth between the means, slope.
    pub rss_warm_mib: f64,
    pub rss_end_mib: f64,
    pub rss_max_mib: f64,
    pub rss_growth_pct: f64,
    pub rss_slope_mib_per_hour: f64,
    pub pss_warm_mib: f64,
    pub pss_end_mib: f64,
    pub pss_max_mib: f64,
    pub pss_growth_pct: f64,
    pub pss_slope_mib_per_hour: f64,
    pub uss_warm_mib: f64,
    pub uss_end_mib: f64,
    pub uss_growth_pct: f64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Least-squares slope of `ys` over `xs` (per unit of x).
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut num, mut den) = (0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        num += (x - mx) * (y - my);
        den += (x - mx) * (x - mx);
    }
    if den == 0.0 { 0.0 } else { num / den }
}

/// Growth after the warm-up (see the module's notes).
pub fn summarise(samples: &[Sample], warmup: f64, frames: u64, wall: f64) -> Summary {
    let after: Vec<&Sample> = {
        let a: Vec<&Sample> = samples.iter().filter(|s| s.t >= warmup - 1e-6).collect();
        if a.is_empty() {
            samples.iter().rev().take(1).collect()
        } else {
            a
        }
    };
    let third = after.len().div_ceil(3).max(1);
    let mean = |v: &[&Sample], f: fn(&Sample) -> u64| v.iter().map(|s| mib(f(s))).sum::<f64>() / v.len().max(1) as f64;
    let pick = |f: fn(&Sample) -> u64| {
        let warm = mean(&after[..third], f);
        let end = mean(&after[after.len() - third..], f);
        let max = after.iter().map(|s| f(s)).max().map_or(0.0, mib);
        let growth = if warm == 0.0 { 0.0 } else { (end - warm) / warm * 100.0 };
        let xs: Vec<f64> = after.iter().map(|s| s.t / 3600.0).collect();
        let ys: Vec<f64> = after.iter().map(|s| mib(f(s))).collect();
        (warm, end, max, growth, slope(&xs, &ys))
    };
    let r = pick(|s| s.rss_kib);
    let p = pick(|s| s.pss_kib);
    let u = pick(|s| s.uss_kib);
    Summary {
        board_seconds: samples.last().map_or(0.0, |s| s.t),
        wall_seconds: wall,
        samples: samples.len(),
        frames,
        warmup_seconds: warmup,
        rss_warm_mib: r.0,
        rss_end_mib: r.1,
        rss_max_mib: r.2,
        rss_growth_pct: r.3,
        rss_slope_mib_per_hour: r.4,
        pss_warm_mib: p.0,
        pss_end_mib: p.1,
        pss_max_mib: p.2,
        pss_growth_pct: p.3,
        pss_slope_mib_per_hour: p.4,
        uss_warm_mib: u.0,
        uss_end_mib: u.1,
        uss_growth_pct: u.3,
    }
}

/// Records samples, printing each as it comes and keeping the CSV.
struct Recorder {
    samples: Vec<Sample>,
    csv: Option<std::fs::File>,
}

impl Recorder {
    fn new(csv: Option<&PathBuf>) -> Result<Recorder> {
        let csv = match csv {
            Some(p) => {
                if let Some(d) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(d).with_context(|| format!("không tạo được {}", d.display()))?;
                }
                let mut f = std::fs::File::create(p).with_context(|| format!("không ghi được {}", p.display()))?;
                writeln!(f, "board_s,rss_kib,pss_kib,uss_kib")?;
                Some(f)
            }
            None => None,
        };
        Ok(Recorder {
            samples: Vec::new(),
            csv,
        })
    }

    fn take(&mut self, t: f64) -> Result<()> {
        let (rss, pss, uss) = memory()?;
        let s = Sample {
            t,
            rss_kib: rss,
            pss_kib: pss,
            uss_kib: uss,
        };
        println!(
            "t={:>7.0} s  RSS {:>7.1} MiB  PSS {:>7.1} MiB  USS {:>7.1} MiB",
            s.t,
            mib(s.rss_kib),
            mib(s.pss_kib),
            mib(s.uss_kib)
        );
        if let Some(f) = &mut self.csv {
            writeln!(f, "{:.1},{},{},{}", s.t, s.rss_kib, s.pss_kib, s.uss_kib)?;
            f.flush()?;
        }
        self.samples.push(s);
        Ok(())
    }
}

/// The `k`-th emergency of the alert scenario: each one different (risk
/// level and so colours, event, wording, length and so text size), so
/// the glyph atlas and the screens' textures meet new text every time.
fn sample_alert(now: DateTime<Utc>, k: u64) -> BoardAlert {
    const EVENTS: [&str; 5] = [
        "Bão số 3",
        "Lũ quét",
        "Sạt lở đất",
        "Cháy rừng cấp V",
        "Dịch sốt xuất huyết",
    ];
    const PLACES: [&str; 4] = [
        "xã Định Hóa, xóm Nà Mỵ",
        "bản Khuổi Hẻo và bản Nà Tấu",
        "thôn Thượng, thôn Hạ dọc suối Nậm Mu",
        "phường Quyết Thắng — tổ 1 đến tổ 12",
    ];
    let event = EVENTS[(k % 5) as usize];
    let place = PLACES[(k % 4) as usize];
    let words = "người dân không ra khỏi nhà, không đi qua ngầm tràn, theo dõi loa truyền thanh";
    let headline = format!(
        "{event} ({k}): {place} — {}",
        &words[..words
            .char_indices()
            .nth(20 + (k as usize * 7) % 50)
            .map_or(words.len(), |(i, _)| i)]
    );
    BoardAlert {
        id: format!("soak/{k}"),
        level: AlertLevel::Emergency,
        severity: 3 + (k % 2) as u8,
        risk_level: Some(1 + (k % 5) as u8),
        event: event.into(),
        headline,
        description: format!(
            "Hồi {} giờ {:02}, mưa rất to 200–350 mm ở {place}; nguy cơ lũ quét và sạt lở đất ở vùng núi.",
            k % 24,
            (k * 7) % 60
        ),
        instruction: "Chằng chống nhà cửa; tránh xa sông suối; gọi 112 khi cần cứu nạn.".into(),
        ticker: format!("KHẨN CẤP — {event}: {words} • {place}"),
        sender: "Ban Chỉ huy PCTT và TKCN tỉnh".into(),
        starts: now,
        expires: Some(now + chrono::TimeDelta::hours(1 + (k % 12) as i64)),
        slots: Vec::new(),
        weekdays: Vec::new(),
        seconds: None,
        media: Vec::new(),
        repeats: None,
    }
}

/// Which screen is on at board time `t` of the alert scenario.
fn alert_on(t: f64, every: Option<f64>, dur: f64) -> bool {
    match every {
        Some(e) if e > 0.0 => {
            let k = (t / e).floor();
            k >= 1.0 && t - k * e < dur
        }
        _ => false,
    }
}

pub fn run(a: SoakArgs) -> Result<()> {
    if !(a.seconds > 0.0 && a.sample > 0.0 && a.fps > 0.0 && a.switch_every > 0.0 && a.warmup >= 0.0) {
        bail!(crate::BadInput(
            "--seconds, --sample, --fps, --switch-every phải dương, --warmup không âm (must be positive)".into()
        ));
    }
    let layout = load_layout(&a.layout)?;
    let mut layouts = vec![layout.clone()];
    for p in &a.then {
        layouts.push(load_layout(p)?);
    }
    if layouts
        .iter()
        .any(|l| [l.board.width, l.board.height] != [layout.board.width, layout.board.height])
    {
        bail!(crate::BadInput(
            "--then: các bố cục phải cùng kích thước bảng (same board size)".into()
        ));
    }
    println!(
        "# bangtin-player soak — {} — {} s of board time, {}, sample every {} s, warm-up {} s{}",
        a.layout.display(),
        a.seconds,
        if a.window {
            format!("kiosk window, present {:?}", a.present)
        } else if a.fast {
            "headless, accelerated".into()
        } else {
            "headless, real time".into()
        },
        a.sample,
        a.warmup,
        a.alert_every
            .map(|e| format!(", alert screen every {e} s for {} s", a.alert_for))
            .unwrap_or_default()
            + &if a.then.is_empty() {
                String::new()
            } else {
                format!(", {} layouts in turn every {} s", a.then.len() + 1, a.switch_every)
            }
    );
    let started = Instant::now();
    let (samples, frames) = if a.window {
        window(&a, layout)?
    } else {
        headless(&a, layouts)?
    };
    let s = summarise(&samples, a.warmup, frames, started.elapsed().as_secs_f64());
    println!(
        "# RSS {:.1} → {:.1} MiB (max {:.1}): {:+.2} % after warm-up, {:+.2} MiB/h; \
         PSS {:.1} → {:.1} MiB (max {:.1}): {:+.2} %, {:+.2} MiB/h; USS {:.1} → {:.1} MiB: {:+.2} %; \
         {} frames in {:.0} s",
        s.rss_warm_mib,
        s.rss_end_mib,
        s.rss_max_mib,
        s.rss_growth_pct,
        s.rss_slope_mib_per_hour,
        s.pss_warm_mib,
        s.pss_end_mib,
        s.pss_max_mib,
        s.pss_growth_pct,
        s.pss_slope_mib_per_hour,
        s.uss_warm_mib,
        s.uss_end_mib,
        s.uss_growth_pct,
        s.frames,
        s.wall_seconds
    );
    println!("summary {}", serde_json::to_string(&s)?);
    if let Some(limit) = a.max_growth
        && (s.rss_growth_pct > limit || s.pss_growth_pct > limit)
    {
        bail!(
            "bộ nhớ tăng quá {limit} % sau khởi động: RSS {:+.2} %, PSS {:+.2} % (memory grows)",
            s.rss_growth_pct,
            s.pss_growth_pct
        );
    }
    Ok(())
}

/// Headless: the renderer and scenes of the board, real time or accelerated.
fn headless(a: &SoakArgs, layouts: Vec<Layout>) -> Result<(Vec<Sample>, u64)> {
    let layout = layouts[0].clone();
    let gpu = Arc::new(Gpu::new(None)?);
    println!("# GPU: {}", gpu.describe());
    let mut h = Headless::new(gpu);
    let size = [layout.board.width, layout.board.height];
    let view = View::identity(size[0], size[1]);
    let anchor = Utc::now();
    let tz = layout.board.timezone;
    // Each scene's playlists start when it goes on screen, so every visit
    // of a layout plays the same content (samples taken at the same point
    // of a cycle of screens see the same thing).
    let new_scene = |l: Layout, h: &mut Headless, from: f64| {
        let mut s = Scene::new(l, anchor + crate::secs(from), &mut h.renderer, 1.0);
        s.live = !a.fast;
        s
    };
    let mut scene = new_scene(layout.clone(), &mut h, 0.0);
    let mut scene_from = 0.0;
    for e in scene.errors() {
        eprintln!("{e}");
    }
    let mut showing = (false, 0usize);
    let mut alerts = 0u64;
    let mut rec = Recorder::new(a.csv.as_ref())?;
    let mono0 = Instant::now();
    let dt = 1.0 / a.fps;
    let mut frames = 0u64;
    let mut next_sample = 0.0;
    let mut last_read = f64::NEG_INFINITY;
    loop {
        let t = if a.fast {
            frames as f64 * dt
        } else {
            mono0.elapsed().as_secs_f64()
        };
        if t >= next_sample {
            rec.take(t)?;
            let [w, ah] = h.renderer.text.atlas_size();
            println!(
                "           glyph atlas {w}×{ah}, {} glyphs",
                h.renderer.text.atlas_glyphs()
            );
            next_sample += a.sample;
        }
        if t >= a.seconds {
            break;
        }
        let alert = alert_on(t, a.alert_every, a.alert_for);
        let which = if layouts.len() > 1 {
            (t / a.switch_every).floor() as usize % layouts.len()
        } else {
            0
        };
        if (alert, which) != showing {
            // As the director does: each screen is a scene of its own.
            let now = anchor + crate::secs(t);
            let l = if alert {
                alerts += 1;
                let al = sample_alert(now, alerts);
                alert_screen::layout(size, &al, tz, (1, 1), Some(now), alert_screen::Media::none())
            } else {
                layouts[which].clone()
            };
            scene = new_scene(l, &mut h, t);
            scene_from = t;
            showing = (alert, which);
        }
        if !a.fast {
            scene.at = Some(mono0 + Duration::from_secs_f64(t));
        }
        h.update(&mut scene, t - scene_from, view);
        // Read the frame back once a second, as a board does for its
        // remote screenshots and live PNG.
        if t - last_read >= 1.0 {
            h.read()?;
            last_read = t;
        } else {
            h.finish()?;
        }
        for e in scene.take_failures() {
            eprintln!("{e}");
        }
        frames += 1;
        if !a.fast {
            let due = mono0 + Duration::from_secs_f64(frames as f64 * dt);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    }
    Ok((rec.samples, frames))
}

/// The kiosk window itself, sampled from a thread beside it.
fn window(a: &SoakArgs, layout: Layout) -> Result<(Vec<Sample>, u64)> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(crate::BadInput("--window cần màn hình (needs DISPLAY)".into()));
    }
    let rec = Arc::new(Mutex::new(Recorder::new(a.csv.as_ref())?));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (rec, done, every) = (rec.clone(), done.clone(), a.sample);
        std::thread::Builder::new()
            .name("bangtin-soak".into())
            .spawn(move || {
                let t0 = Instant::now();
                let mut k = 0u32;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let due = t0 + Duration::from_secs_f64(every * f64::from(k));
                    let now = Instant::now();
                    if now < due {
                        std::thread::sleep((due - now).min(Duration::from_millis(200)));
                        continue;
                    }
                    let mut r = rec.lock().unwrap_or_else(|e| e.into_inner());
                    if let Err(e) = r.take(t0.elapsed().as_secs_f64()) {
                        eprintln!("soak: {e:#}");
                    }
                    k += 1;
                }
            })
            .context("không tạo được luồng đo (cannot spawn sampler)")?
    };
    let opts = kiosk::Options {
        window: None,
        present: a.present,
        fps: 60.0,
        run_for: Some(a.seconds),
        out_dir: std::env::temp_dir(),
        every: 1.0,
    };
    let result = kiosk::run_window(Box::new(crate::program::Fixed::new(layout)), opts).map(|_| ());
    {
        // The last sample, at the end of the run.
        let mut r = rec.lock().unwrap_or_else(|e| e.into_inner());
        if r.samples.last().is_none_or(|s| s.t < a.seconds - 1.0) {
            r.take(a.seconds)?;
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    result?;
    let samples = std::mem::take(&mut rec.lock().unwrap_or_else(|e| e.into_inner()).samples);
    Ok((samples, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: f64, rss: u64) -> Sample {
        Sample {
            t,
            rss_kib: rss,
            pss_kib: rss / 2,
            uss_kib: rss / 3,
        }
    }

    #[test]
    fn growth_compares_the_first_and_last_thirds_after_the_warm_up() {
        let v = [
            s(0.0, 50_000),
            s(60.0, 100_000),
            s(120.0, 100_000),
            s(150.0, 120_000), // a screen change caught mid-way
            s(180.0, 100_000),
            s(210.0, 103_000),
            s(240.0, 103_000),
            s(270.0, 103_000),
        ];
        let r = summarise(&v, 120.0, 10, 1.0);
        // First third: 100 000, 120 000 → 110 000; last third: 103 000.
        let warm = 110_000.0 / 1024.0;
        assert!((r.rss_warm_mib - warm).abs() < 1e-9, "{r:?}");
        assert!((r.rss_growth_pct - (103_000.0 / 1024.0 - warm) / warm * 100.0).abs() < 1e-9);
        assert!((r.rss_max_mib - 120_000.0 / 1024.0).abs() < 1e-9);
        // A steady climb shows in both the growth and the slope.
        let climb: Vec<Sample> = (0..10)
            .map(|i| s(f64::from(i) * 60.0, 100_000 + i as u64 * 1000))
            .collect();
        let r = summarise(&climb, 120.0, 10, 1.0);
        assert!(r.rss_growth_pct > 4.0 && r.rss_slope_mib_per_hour > 50.0, "{r:?}");
        // A run shorter than its warm-up measures its last sample alone.
        let r = summarise(&v[..2], 120.0, 10, 1.0);
        assert_eq!(r.rss_growth_pct, 0.0);
    }

    #[test]
    fn alert_screens_come_every_period_after_the_first() {
        assert!(!alert_on(10.0, Some(60.0), 15.0));
        assert!(alert_on(61.0, Some(60.0), 15.0));
        assert!(!alert_on(76.0, Some(60.0), 15.0));
        assert!(alert_on(120.0, Some(60.0), 15.0));
        assert!(!alert_on(120.0, None, 15.0));
    }

    #[test]
    fn memory_reads_this_process() {
        let (rss, pss, uss) = memory().unwrap();
        assert!(rss > 1024 && pss > 512 && pss <= rss + 1024, "{rss} {pss}");
        assert!(uss > 0 && uss <= pss, "{uss} {pss}");
    }
}
