//! `bangtin-player bench-video`: how fast video goes from file to GPU
//! picture, beside FFmpeg's own decoding of the same file in the same run
//! (`ffmpeg -i clip -f null -`, the practical limit), and the CPU time one
//! second of real-time playback costs.

use crate::bench::cpu_time;
use crate::video::{Session, SessionPlan, ToDisplay};
use crate::{Gpu, Headless, Scene, View};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchVideoArgs {
    /// Video cần đo; mặc định tạo 1080p30 và 720p30 H.264 bằng ffmpeg
    /// (clips to measure; default: generated 1080p30 and 720p30 H.264)
    #[arg(long)]
    pub clip: Vec<PathBuf>,
    /// Độ dài video tự tạo, giây (length of generated clips)
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// Số lần đo, lấy trung vị (runs per figure; the median is printed)
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
}

/// Generate a test clip like the peer's (testsrc2, libx264 defaults).
fn generate(dir: &Path, w: u32, h: u32, seconds: u32) -> Result<PathBuf> {
    let out = dir.join(format!("bench-{w}x{h}-30.mp4"));
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={w}x{h}:rate=30:duration={seconds}"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        .arg(&out)
        .status()
        .context("ffmpeg (cần gói ffmpeg — the ffmpeg CLI is needed)")?;
    if !st.success() {
        bail!("ffmpeg không tạo được video thử (could not generate the test clip)");
    }
    Ok(out)
}

/// FFmpeg's own decoding rate of `clip`, frames per second.
fn ffmpeg_fps(clip: &Path, frames: u64) -> Result<f64> {
    let t0 = Instant::now();
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(clip)
        .args(["-f", "null", "-"])
        .status()
        .context("ffmpeg")?;
    if !st.success() {
        bail!("ffmpeg không giải mã được {} (ffmpeg failed)", clip.display());
    }
    Ok(frames as f64 / t0.elapsed().as_secs_f64())
}

fn layout_for(clip: &Path, w: u32, h: u32) -> Result<bangtin_layouts::Layout> {
    let path = clip.to_string_lossy().replace('\\', "\\\\").replace('"', "\\\"");
    let toml = format!(
        "[board]\nname = \"bench\"\nwidth = {w}\nheight = {h}\nbackground = \"#000000\"\n\n\
         [[zone]]\nid = \"video\"\nx = 0\ny = 0\nwidth = {w}\nheight = {h}\n\n\
         [[zone.item]]\ntype = \"video\"\nsrc = \"{path}\"\nfit = \"fill\"\nloop = true\nmute = true\n"
    );
    Ok(bangtin_layouts::parse_layout(
        &toml,
        Path::new("bench.toml"),
        Path::new("."),
    )?)
}

struct Figures {
    fps: f64,
    cpu_ms: f64,
}

/// Decode only: every picture of the clip through our decoding thread.
fn decode_only(info: &Arc<crate::video::Info>, frames: u64, fps: f64) -> Result<Figures> {
    let mut s = Session::start(SessionPlan {
        info: info.clone(),
        start: 0.0,
        slot: f64::INFINITY,
        looping: false,
        from: 0.0,
        audio: None,
    });
    let (c0, w0) = (cpu_time(), Instant::now());
    for i in 0..frames {
        s.advance(i as f64 / fps, None).map_err(anyhow::Error::msg)?;
    }
    Ok(Figures {
        fps: frames as f64 / w0.elapsed().as_secs_f64(),
        cpu_ms: (cpu_time() - c0).as_secs_f64() * 1000.0 / frames as f64,
    })
}

/// Decode and convert every picture on the CPU into display pixels at the
/// clip's size (the path of a board without a GPU, see `ToDisplay`);
/// `realtime`: paced at the clip's rate, CPU seconds per second shown.
fn decode_convert(info: &Arc<crate::video::Info>, frames: u64, fps: f64, realtime: bool) -> Result<Figures> {
    let mut s = Session::start(SessionPlan {
        info: info.clone(),
        start: 0.0,
        slot: f64::INFINITY,
        looping: false,
        from: 0.0,
        audio: None,
    });
    let (w, h) = info.display_size();
    let mut buf = vec![0u8; w as usize * h as usize * 4];
    let mut conv = ToDisplay::default();
    let (c0, w0) = (cpu_time(), Instant::now());
    for i in 0..frames {
        let due = i as f64 / fps;
        if realtime {
            std::thread::sleep(Duration::from_secs_f64(due).saturating_sub(w0.elapsed()));
        }
        s.advance(due, None).map_err(anyhow::Error::msg)?;
        let f = s.current().context("no picture")?;
        conv.convert(f, w, h, &mut buf).map_err(anyhow::Error::msg)?;
    }
    let wall = w0.elapsed().as_secs_f64();
    let cpu = (cpu_time() - c0).as_secs_f64();
    Ok(Figures {
        fps: frames as f64 / wall,
        cpu_ms: if realtime {
            cpu / wall * 1000.0
        } else {
            cpu * 1000.0 / frames as f64
        },
    })
}

/// Decode, upload and draw every picture into an offscreen target the
/// clip's size, waiting for the GPU after each.
fn decode_draw(h: &mut Headless, scene: &mut Scene, view: View, frames: u64, fps: f64) -> Result<Figures> {
    let (c0, w0) = (cpu_time(), Instant::now());
    for i in 0..frames {
        h.draw(scene, i as f64 / fps, view);
        h.finish()?;
    }
    Ok(Figures {
        fps: frames as f64 / w0.elapsed().as_secs_f64(),
        cpu_ms: (cpu_time() - c0).as_secs_f64() * 1000.0 / frames as f64,
    })
}

/// Real-time playback (live mode) for `secs`: CPU seconds per second shown.
fn realtime(h: &mut Headless, scene: &mut Scene, view: View, secs: f64, fps: f64) -> Result<f64> {
    scene.live = true;
    let (c0, w0) = (cpu_time(), Instant::now());
    let mut i = 0u64;
    loop {
        let due = Duration::from_secs_f64(i as f64 / fps);
        if due.as_secs_f64() >= secs {
            break;
        }
        std::thread::sleep(due.saturating_sub(w0.elapsed()));
        h.draw(scene, w0.elapsed().as_secs_f64(), view);
        h.finish()?;
        i += 1;
    }
    scene.live = false;
    Ok((cpu_time() - c0).as_secs_f64() / w0.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: BenchVideoArgs) -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("bangtin-bench-video-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let clips = if a.clip.is_empty() {
        vec![
            generate(&tmp, 1920, 1080, a.seconds)?,
            generate(&tmp, 1280, 720, a.seconds)?,
        ]
    } else {
        a.clip.clone()
    };
    let gpu = Arc::new(Gpu::new(None)?);
    println!("# bangtin-player bench-video — median of {} runs", a.runs);
    println!("# GPU: {}", gpu.describe());
    println!(
        "{:<20} {:>6} | {:>7} | {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7}",
        "", "", "ffmpeg", "decode", "", "GPU:", "+upload", "+draw", "", "no GPU:", "+convert", "", ""
    );
    println!(
        "{:<20} {:>6} | {:>7} | {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7}",
        "clip",
        "frames",
        "fps",
        "fps",
        "cpu ms",
        "fps",
        "cpu ms",
        "÷ffmpeg",
        "cpu/s",
        "fps",
        "cpu ms",
        "÷ffmpeg",
        "cpu/s"
    );
    let mut h = Headless::new(gpu);
    for clip in &clips {
        let info = Arc::new(crate::video::probe(clip).map_err(anyhow::Error::msg)?);
        let fps = if info.frame_rate > 0.0 { info.frame_rate } else { 30.0 };
        let frames = (info.duration * fps).floor() as u64;
        let (w, hh) = info.display_size();
        let view = View::identity(w, hh);
        let mut ff = Vec::new();
        let mut dec = Vec::new();
        let mut draw = Vec::new();
        let mut conv = Vec::new();
        for _ in 0..a.runs.max(1) {
            ff.push(ffmpeg_fps(clip, frames)?);
            dec.push(decode_only(&info, frames, fps)?);
            conv.push(decode_convert(&info, frames, fps, false)?);
            let mut scene = Scene::new(layout_for(clip, w, hh)?, chrono::Utc::now(), &mut h.renderer, 1.0);
            draw.push(decode_draw(&mut h, &mut scene, view, frames, fps)?);
        }
        let mut scene = Scene::new(layout_for(clip, w, hh)?, chrono::Utc::now(), &mut h.renderer, 1.0);
        let shown = realtime(&mut h, &mut scene, view, info.duration.min(10.0), fps)?;
        let shown_cpu = decode_convert(&info, frames.min((fps * 10.0) as u64), fps, true)?.cpu_ms / 1000.0;
        let cfps = median(conv.iter().map(|f| f.fps).collect());
        let ccpu = median(conv.iter().map(|f| f.cpu_ms).collect());
        let ffm = median(ff);
        let dfps = median(dec.iter().map(|f| f.fps).collect());
        let dcpu = median(dec.iter().map(|f| f.cpu_ms).collect());
        let rfps = median(draw.iter().map(|f| f.fps).collect());
        let rcpu = median(draw.iter().map(|f| f.cpu_ms).collect());
        println!(
            "{:<20} {:>6} | {:>7.1} | {:>7.1} {:>7.2} | {:>7.1} {:>7.2} {:>6.2}× {:>6.0}% | {:>7.1} {:>7.2} {:>6.2}× {:>6.0}%",
            format!("{}x{} {}", w, hh, info.codec),
            frames,
            ffm,
            dfps,
            dcpu,
            rfps,
            rcpu,
            rfps / ffm,
            shown * 100.0,
            cfps,
            ccpu,
            cfps / ffm,
            shown_cpu * 100.0
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
