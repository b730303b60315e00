//! `bangtin-player bench`: headless rendering speed per template, CPU time
//! per frame, and time from process start to the first finished frame.

use crate::{Gpu, Headless, Scene, View};
use anyhow::{Context, Result};
use bangtin_layouts::{load_layout, templates};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Mẫu cần đo (templates to measure; default: all)
    #[arg(long)]
    pub template: Vec<String>,
    /// Bố cục khác cần đo (other layout files to measure)
    #[arg(long)]
    pub layout: Vec<std::path::PathBuf>,
    /// Số khung hình mỗi phép đo (frames per measurement)
    #[arg(long, default_value_t = 300)]
    pub frames: u32,
    /// Số lần khởi động để đo khung hình đầu (launches for first-frame time)
    #[arg(long, default_value_t = 5)]
    pub launches: u32,
}

/// CPU time (user + system) of this process, all threads.
pub fn cpu_time() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer we own.
    #[allow(unsafe_code)]
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Scene time of the measured frames: 10:00:07 into the day, a moment of
/// the templates' playlists between transitions, tickers moving.
const T0: f64 = 36_007.0;

#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub fps: f64,
    pub cpu_ms_per_frame: f64,
}

/// How each frame is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every zone redrawn.
    Full,
    /// Only the zones that changed since the previous frame.
    Damage,
}

/// Render `frames` consecutive frames of a moving scene (60 fps scene
/// time), waiting for the GPU after each, optionally reading each back.
pub fn measure(
    h: &mut Headless,
    scene: &mut Scene,
    view: View,
    frames: u32,
    mode: Mode,
    readback: bool,
) -> Result<Figures> {
    for i in 0..10 {
        h.draw(scene, T0 + f64::from(i) / 60.0, view);
    }
    h.finish()?;
    let c0 = cpu_time();
    let w0 = Instant::now();
    for i in 0..frames {
        let t = T0 + f64::from(i) / 60.0;
        match mode {
            Mode::Full => h.draw(scene, t, view),
            Mode::Damage => h.update(scene, t, view),
        }
        if readback {
            h.read()?;
        } else {
            h.finish()?;
        }
    }
    let wall = w0.elapsed().as_secs_f64();
    let cpu = (cpu_time() - c0).as_secs_f64();
    Ok(Figures {
        fps: f64::from(frames) / wall,
        cpu_ms_per_frame: cpu * 1000.0 / f64::from(frames),
    })
}

/// Launch `bangtin-player render` and time it until the frame is read back.
fn first_frame_ms(layout: &std::path::Path) -> Result<f64> {
    let exe = std::env::current_exe().context("current_exe")?;
    let out = std::env::temp_dir().join(format!("bangtin-bench-{}.png", std::process::id()));
    let t0 = Instant::now();
    let mut child = Command::new(exe)
        .args(["render", "--layout"])
        .arg(layout)
        .args(["--at", "+36000", "--out"])
        .arg(&out)
        .env("BANGTIN_MARK_FIRST_FRAME", "1")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("spawn render")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut ms = None;
    for line in BufReader::new(stdout).lines() {
        if line?.trim() == "first-frame" && ms.is_none() {
            ms = Some(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let status = child.wait()?;
    let _ = std::fs::remove_file(&out);
    anyhow::ensure!(status.success(), "render exited with {status}");
    ms.context("render never reported its first frame")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: BenchArgs) -> Result<()> {
    let mut layouts: Vec<(String, std::path::PathBuf)> = if a.template.is_empty() && a.layout.is_empty() {
        templates::ALL
            .iter()
            .map(|(n, _)| (n.to_string(), templates::path(n)))
            .collect()
    } else {
        a.template.iter().map(|n| (n.clone(), templates::path(n))).collect()
    };
    for p in &a.layout {
        let name = p
            .file_stem()
            .map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into_owned());
        layouts.push((name, p.clone()));
    }
    let gpu = Arc::new(Gpu::new(None)?);
    println!("# bangtin-player bench — {} frames per figure", a.frames);
    println!("# GPU: {}", gpu.describe());
    println!(
        "{:<26} {:>10} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>11}",
        "", "", "full", "redraw", "", "damage", "only", "", ""
    );
    println!(
        "{:<26} {:>10} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>11}",
        "layout", "size", "fps", "cpu ms/f", "+readback", "fps", "cpu ms/f", "+readback", "first frame"
    );
    let mut h = Headless::new(gpu);
    for (name, path) in layouts {
        let layout = load_layout(&path)?;
        let size = [layout.board.width, layout.board.height];
        let view = View::identity(size[0], size[1]);
        let anchor = chrono::Utc::now();
        let mut scene = Scene::new(layout, anchor, &mut h.renderer, 1.0);
        let f = measure(&mut h, &mut scene, view, a.frames, Mode::Full, false)?;
        let fr = measure(&mut h, &mut scene, view, a.frames / 2, Mode::Full, true)?;
        let d = measure(&mut h, &mut scene, view, a.frames, Mode::Damage, false)?;
        let dr = measure(&mut h, &mut scene, view, a.frames / 2, Mode::Damage, true)?;
        let launches: Result<Vec<f64>> = (0..a.launches.max(1)).map(|_| first_frame_ms(&path)).collect();
        println!(
            "{:<26} {:>10} | {:>9.1} {:>9.2} {:>9.1} | {:>9.1} {:>9.2} {:>9.1} | {:>8.0} ms",
            name,
            format!("{}x{}", size[0], size[1]),
            f.fps,
            f.cpu_ms_per_frame,
            fr.fps,
            d.fps,
            d.cpu_ms_per_frame,
            dr.fps,
            median(launches?)
        );
    }
    Ok(())
}
