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

#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub fps: f64,
    pub cpu_ms_per_frame: f64,
}

/// Render `frames` frames of a moving scene (60 fps scene time), waiting for
/// the GPU after each, optionally reading each back.
pub fn measure(h: &mut Headless, scene: &mut Scene, view: View, frames: u32, readback: bool) -> Result<Figures> {
    for i in 0..10 {
        h.draw(scene, 36_000.0 + f64::from(i) / 60.0, view);
    }
    h.finish()?;
    let c0 = cpu_time();
    let w0 = Instant::now();
    for i in 0..frames {
        let t = 36_000.0 + f64::from(i) / 60.0;
        if readback {
            h.frame(scene, t, view)?;
        } else {
            h.draw(scene, t, view);
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
    let names: Vec<String> = if a.template.is_empty() {
        templates::ALL.iter().map(|(n, _)| n.to_string()).collect()
    } else {
        a.template.clone()
    };
    let gpu = Arc::new(Gpu::new(None)?);
    println!("# bangtin-player bench — {} frames per figure", a.frames);
    println!("# GPU: {}", gpu.describe());
    println!(
        "{:<28} {:>11} {:>12} {:>14} {:>14} {:>16}",
        "template", "size", "render fps", "cpu ms/frame", "+readback fps", "first frame ms"
    );
    let mut h = Headless::new(gpu);
    for name in names {
        let path = templates::path(&name);
        let layout = load_layout(&path)?;
        let size = [layout.board.width, layout.board.height];
        let view = View::identity(size[0], size[1]);
        let anchor = chrono::Utc::now();
        let mut scene = Scene::new(layout, anchor, &mut h.renderer, 1.0);
        let r = measure(&mut h, &mut scene, view, a.frames, false)?;
        let rb = measure(&mut h, &mut scene, view, a.frames / 2, true)?;
        let launches: Result<Vec<f64>> = (0..a.launches.max(1)).map(|_| first_frame_ms(&path)).collect();
        println!(
            "{:<28} {:>11} {:>12.1} {:>14.2} {:>14.1} {:>16.0}",
            name,
            format!("{}x{}", size[0], size[1]),
            r.fps,
            r.cpu_ms_per_frame,
            rb.fps,
            median(launches?)
        );
    }
    Ok(())
}
