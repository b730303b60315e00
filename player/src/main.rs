//! `bangtin-player`: render, run, check and benchmark board layouts.
//!
//! Exit status: 0 ok, 2 bad input (the message says what and where),
//! 1 any other failure.

use anyhow::Result;
use bangtin_layouts::{LayoutError, load_layout};
use bangtin_player::render::Rotation;
use bangtin_player::settings::Settings;
use bangtin_player::{
    At, BadInput, FrameRequest, Gpu, bench, bench_video, kiosk, media_preview_layout, parse_geometry, parse_size, soak,
};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "bangtin-player",
    version,
    about = "Trình phát bảng tin điện tử Bangtin — Bangtin board player",
    long_about = "Hiển thị bố cục bảng tin bằng GPU: cửa sổ kiosk toàn màn hình trên bảng, \
                  hoặc không màn hình (ảnh PNG) để xem trước và kiểm thử.\n\
                  Renders board layouts with the GPU: a fullscreen kiosk window on the board, \
                  or headless PNG frames for previews and tests."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Vẽ một khung hình ra tệp PNG (render one deterministic frame to PNG)
    Render(RenderArgs),
    /// Chạy bảng tin: cửa sổ kiosk, hoặc không màn hình (run the board)
    Run(RunArgs),
    /// Kiểm tra bố cục và tệp phương tiện, hoặc tệp cấu hình player.toml
    /// (validate a layout and its media, or a player.toml settings file)
    #[command(group = clap::ArgGroup::new("what").required(true).args(["layout", "config"]))]
    Check {
        #[arg(long, value_name = "FILE")]
        layout: Option<PathBuf>,
        /// Tệp cấu hình của bảng, ví dụ /etc/bangtin/player.toml (settings file)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Đo hiệu năng dựng hình không màn hình (headless rendering benchmark)
    Bench(bench::BenchArgs),
    /// Đo tốc độ giải mã và vẽ video, so với ffmpeg (video throughput vs FFmpeg)
    BenchVideo(bench_video::BenchVideoArgs),
    /// Chạy lâu và đo bộ nhớ theo thời gian (soak: memory over hours of playback)
    Soak(soak::SoakArgs),
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["layout", "media"]))]
struct RenderArgs {
    /// Bố cục TOML (layout file)
    #[arg(long, value_name = "FILE")]
    layout: Option<PathBuf>,
    /// Xem trước một ảnh toàn màn hình (preview one picture, fitted)
    #[arg(long, value_name = "FILE")]
    media: Option<PathBuf>,
    /// Thời điểm: RFC 3339 hoặc +GIÂY sau khi danh sách phát bắt đầu (instant or +SECONDS)
    #[arg(long, value_name = "WHEN", default_value = "+0")]
    at: String,
    /// Mốc bắt đầu danh sách phát, mặc định 00:00 giờ địa phương (playlist start)
    #[arg(long, value_name = "RFC3339")]
    start: Option<String>,
    /// Tệp PNG kết quả (output file)
    #[arg(long, value_name = "FILE.png")]
    out: PathBuf,
    /// Kích thước ảnh, ví dụ 384x192 (output size; the board is scaled to fit)
    #[arg(long, value_name = "WxH")]
    size: Option<String>,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Tệp cấu hình của bảng (màn hình, xoay, âm lượng, máy chủ), ví dụ
    /// /etc/bangtin/player.toml; cờ dòng lệnh thắng tệp (settings file;
    /// flags win over it)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Bố cục TOML; mặc định: mẫu bảng tin xã 1920×1080 (layout file)
    #[arg(long, value_name = "FILE")]
    layout: Option<PathBuf>,
    /// Vùng xuất cố định thay vì toàn màn hình, ví dụ 384x192+0+0 (fixed output region)
    #[arg(long, value_name = "WxH+X+Y")]
    window: Option<String>,
    /// Xoay hình trên đầu ra, độ theo chiều kim đồng hồ: 0, 90, 180, 270
    /// (turn the picture on the output for portrait screens; default 0)
    #[arg(long, value_name = "DEGREES")]
    rotation: Option<u32>,
    /// Không mở cửa sổ: vẽ ra PNG định kỳ (no window: write PNG frames)
    #[arg(long)]
    headless: bool,
    /// Thư mục ảnh chụp khi chạy không màn hình (where headless frames go)
    #[arg(long, value_name = "DIR", default_value = "out/frames")]
    out_dir: PathBuf,
    /// Chu kỳ ghi ảnh khi không màn hình, giây (headless frame interval)
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    every: f64,
    /// Cách trình chiếu: auto, surface (GPU) hoặc shm (X11, chỉ vùng thay đổi); mặc định auto
    #[arg(long, value_enum)]
    present: Option<kiosk::PresentMode>,
    /// Giới hạn khung hình mỗi giây cho vùng chuyển động (frame rate cap; default 60)
    #[arg(long)]
    fps: Option<f64>,
    /// Dừng sau số giây này (for tests and benchmarks)
    #[arg(long = "for", value_name = "SECONDS")]
    run_for: Option<f64>,
    /// Âm lượng chung của loa, 0–100 % (master volume of the board's sound; default 100)
    #[arg(long, value_name = "PERCENT")]
    volume: Option<f32>,
    /// Máy chủ quản lý, ví dụ https://bangtin.tinh.gov.vn: bảng tin ghép nối,
    /// đồng bộ và phát chương trình đã ký (run as a managed board)
    #[arg(long, value_name = "URL", conflicts_with = "layout")]
    manager: Option<String>,
    /// Thư mục cấu hình của bảng (board.toml); mặc định ~/.config/bangtin
    #[arg(long, value_name = "DIR", conflicts_with = "layout")]
    config_dir: Option<PathBuf>,
    /// Thư mục dữ liệu: chương trình, tệp, nhật ký phát; mặc định ~/.local/state/bangtin
    #[arg(long, value_name = "DIR", conflicts_with = "layout")]
    data_dir: Option<PathBuf>,
    /// Chu kỳ nhịp tim, giây (heartbeat period; default 30)
    #[arg(long, value_name = "SECONDS")]
    heartbeat: Option<u32>,
    /// Ghim trước khóa công khai của máy chủ (base64) (pin the manager key before pairing)
    #[arg(long, value_name = "BASE64")]
    manager_key: Option<String>,
    /// Kích thước bảng trước khi có chương trình, ví dụ 384x192 (board size for the pairing screen; default 1920x1080)
    #[arg(long, value_name = "WxH")]
    size: Option<String>,
}

fn main() -> ExitCode {
    bangtin_player::tune_allocator();
    // Before any thread and any Vulkan call: it sets the loader's variables.
    let vulkan = bangtin_player::gpu::drivers::limit();
    init_logging();
    tracing::debug!("trình điều khiển Vulkan (Vulkan drivers): {vulkan:?}");
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let bad = e.chain().any(|c| c.is::<BadInput>() || c.is::<LayoutError>());
            eprintln!("lỗi (error): {e:#}");
            ExitCode::from(if bad { 2 } else { 1 })
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,winit=error,wgpu_core=warn,wgpu_hal=warn,naga=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Render(a) => render(a),
        Cmd::Run(a) => run(a),
        Cmd::Check {
            layout: Some(layout), ..
        } => check(&layout),
        Cmd::Check { config: Some(c), .. } => check_settings(&c),
        Cmd::Check { .. } => unreachable!("clap requires one of them"),
        Cmd::Bench(a) => bench::run(a),
        Cmd::BenchVideo(a) => bench_video::run(a),
        Cmd::Soak(a) => soak::run(a),
    }
}

fn bad(msg: String) -> anyhow::Error {
    BadInput(msg).into()
}

fn parse_start(s: &Option<String>) -> Result<Option<DateTime<Utc>>> {
    s.as_deref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| bad(format!("--start {s:?}: cần thời điểm RFC 3339 (expected RFC 3339)")))
        })
        .transpose()
}

fn render(a: RenderArgs) -> Result<()> {
    let size = a.size.as_deref().map(parse_size).transpose().map_err(bad)?;
    let at: At = a.at.parse().map_err(|e| bad(format!("--at {e}")))?;
    let start = parse_start(&a.start)?;
    let layout = match (&a.layout, &a.media) {
        (Some(l), _) => load_layout(l)?,
        (None, Some(m)) => media_preview_layout(m, size.unwrap_or([1920, 1080]))?,
        (None, None) => unreachable!("clap requires one source"),
    };
    let gpu = Arc::new(Gpu::new(None)?);
    tracing::debug!("GPU: {}", gpu.describe());
    let img = bangtin_player::render_frame(
        gpu,
        FrameRequest {
            layout,
            at,
            start,
            size,
        },
    )?;
    if std::env::var_os("BANGTIN_MARK_FIRST_FRAME").is_some() {
        // For `bench`: the frame is rendered and read back; PNG encoding follows.
        println!("first-frame");
    }
    bangtin_player::write_png(&img, &a.out)?;
    println!("{}", a.out.display());
    Ok(())
}

fn check(path: &Path) -> Result<()> {
    use bangtin_layouts::ItemKind;
    let layout = load_layout(path)?;
    let mut problems = Vec::new();
    let pictures = layout
        .board
        .background_image
        .iter()
        .chain(
            layout
                .zones
                .iter()
                .flat_map(|z| &z.items)
                .filter_map(|it| match &it.kind {
                    ItemKind::Image { src, .. } => Some(src),
                    _ => None,
                }),
        );
    let videos = layout
        .zones
        .iter()
        .flat_map(|z| &z.items)
        .filter_map(|it| match &it.kind {
            ItemKind::Video { src, .. } => Some(src),
            _ => None,
        });
    let missing = |m: &bangtin_layouts::MediaRef| {
        format!(
            "{}: không tìm thấy tệp {:?} (file not found)",
            path.display(),
            m.written
        )
    };
    for m in pictures {
        if !m.path.exists() {
            problems.push(missing(m));
        } else if let Err(e) = bangtin_player::content::image::decode(&m.path) {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    for m in videos {
        if !m.path.exists() {
            problems.push(missing(m));
        } else if let Err(e) = bangtin_player::video::probe(&m.path) {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    if !problems.is_empty() {
        return Err(bad(problems.join("\n")));
    }
    let items: usize = layout.zones.iter().map(|z| z.items.len()).sum();
    println!(
        "{}: hợp lệ — bảng {}×{}, {} vùng, {} mục (valid)",
        path.display(),
        layout.board.width,
        layout.board.height,
        layout.zones.len(),
        items
    );
    Ok(())
}

fn check_settings(path: &Path) -> Result<()> {
    let loaded = Settings::load(path).map_err(|e| bad(e.0))?;
    if !loaded.problems.is_empty() {
        return Err(bad(loaded.problems.join("\n")));
    }
    let s = loaded.settings;
    let set = [
        s.manager.is_some(),
        s.manager_key.is_some(),
        s.heartbeat.is_some(),
        s.size.is_some(),
        s.window.is_some(),
        s.rotation.is_some(),
        s.present.is_some(),
        s.fps.is_some(),
        s.volume.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    println!(
        "{}: hợp lệ — {set} mục được đặt (valid, {set} settings set)",
        path.display()
    );
    Ok(())
}

/// The settings file, if one was named. Mistakes in it are not fatal to a
/// board: each wrong key is named (file, line, key), logged and, on a
/// managed board, reported to the manager, and left at its default while
/// the right ones apply; a file that is not TOML at all is ignored whole.
/// A typo never leaves the screen dark. `check --config` lists them.
fn load_settings(a: &RunArgs) -> (Settings, Vec<String>) {
    let Some(path) = &a.config else {
        return (Settings::default(), Vec::new());
    };
    let (settings, problems) = match Settings::load(path) {
        Ok(l) => (l.settings, l.problems),
        Err(e) => (Settings::default(), vec![e.0]),
    };
    let problems: Vec<String> = problems
        .into_iter()
        .map(|p| format!("cấu hình bảng tin (board settings): {p}"))
        .collect();
    for p in &problems {
        tracing::error!("{p}");
    }
    (settings, problems)
}

fn run(a: RunArgs) -> Result<()> {
    let (settings, problems) = load_settings(&a);
    if a.layout.is_none() && (a.manager.is_some() || a.config_dir.is_some() || settings.manager.is_some()) {
        return run_board(a, settings, problems);
    }
    let layout_path = a
        .layout
        .clone()
        .unwrap_or_else(|| bangtin_layouts::templates::path("commune-office-1920x1080"));
    let layout = load_layout(&layout_path)?;
    let opts = kiosk_options(&a, &settings)?;
    let has_display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if a.headless || !has_display {
        if !a.headless {
            tracing::info!("không có màn hình (no DISPLAY): chạy không màn hình, ghi ảnh PNG");
        }
        return kiosk::run_headless(
            &mut bangtin_player::program::Fixed::new(layout),
            &opts,
            &std::thread::sleep,
        )
        .map(|_| ());
    }
    kiosk::run_window(Box::new(bangtin_player::program::Fixed::new(layout)), opts).map(|_| ())
}

/// Window, frame-rate and headless options shared by both kinds of `run`:
/// the command line, else the settings file, else the defaults.
fn kiosk_options(a: &RunArgs, s: &Settings) -> Result<kiosk::Options> {
    let window = match a.window.as_deref() {
        Some(w) => Some(parse_geometry(w).map_err(|e| bad(format!("--window {e}")))?),
        None => s.window,
    };
    let rotation = match a.rotation {
        Some(d) => Rotation::from_degrees(d).ok_or_else(|| {
            bad(format!(
                "--rotation {d}: chỉ nhận 0, 90, 180 hoặc 270 (degrees clockwise)"
            ))
        })?,
        None => s.rotation.unwrap_or_default(),
    };
    if !(a.every.is_finite() && a.every > 0.0) {
        return Err(bad("--every phải là số giây dương (must be > 0)".into()));
    }
    let volume = a.volume.or(s.volume).unwrap_or(100.0);
    if !(0.0..=100.0).contains(&volume) {
        return Err(bad("--volume phải trong khoảng 0…100 (percent)".into()));
    }
    bangtin_player::audio::set_master_volume(volume / 100.0);
    Ok(kiosk::Options {
        window,
        present: a.present.or(s.present).unwrap_or(kiosk::PresentMode::Auto),
        fps: a.fps.or(s.fps).unwrap_or(60.0).clamp(1.0, 240.0),
        run_for: a.run_for,
        out_dir: a.out_dir.clone(),
        every: a.every,
        rotation,
    })
}

fn run_board(a: RunArgs, s: Settings, problems: Vec<String>) -> Result<()> {
    use bangtin_player::board::{config, run};
    let size = match &a.size {
        Some(z) => parse_size(z).map_err(|e| bad(format!("--size {e}")))?,
        None => s.size.unwrap_or([1920, 1080]),
    };
    let opts = kiosk_options(&a, &s)?;
    let ended = run::run(
        run::BoardOptions {
            manager: a.manager.or(s.manager),
            config_dir: a.config_dir.unwrap_or_else(config::default_config_dir),
            data_dir: a.data_dir.unwrap_or_else(config::default_data_dir),
            heartbeat: a.heartbeat.or(s.heartbeat),
            manager_key: a.manager_key.or(s.manager_key),
            size,
            headless: a.headless,
            problems,
        },
        opts,
    )?;
    match ended {
        kiosk::Ended::Restart => restart(),
        kiosk::Ended::Stopped => Ok(()),
    }
}

/// Replace this process with a fresh copy of itself (same arguments): a
/// restart the manager asked for, after the board recorded what it was
/// showing as interrupted.
fn restart() -> ! {
    use std::os::unix::process::CommandExt;
    tracing::info!("khởi động lại trình phát theo lệnh từ máy chủ (restarting)");
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).exec();
    tracing::error!("không khởi động lại được: {err} (restart failed)");
    std::process::exit(1);
}
