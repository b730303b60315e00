//! `bangtin-player run`: the board itself.
//!
//! A fullscreen, borderless, cursorless window (or a fixed output region for
//! LED sending cards), drawn frame by frame from the scene clock. Zones are
//! redrawn only when they change and at the rate that looks right: tickers
//! and crossfades every frame, clocks once a second, pictures never. On a
//! software GPU only the changed rectangles reach the X server
//! ([`crate::x11shm`]); on a real GPU whole frames go through the wgpu
//! swapchain with vsync. Without a display the same frames are written as
//! PNG files.

use crate::BadInput;
use crate::gpu::Gpu;
use crate::headless::{Headless, Target};
use crate::notify::Notify;
use crate::program::Program;
use crate::render::{Clip, RectF, Renderer, Rotation, View};
use crate::scene::Scene;
use crate::scene::Sliding;
use crate::slide::{self, Strip};
use crate::x11shm::X11Present;
use anyhow::{Context, Result, anyhow};
use bangtin_layouts::{Layout, Rect, time::local_midnight};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use winit::application::ApplicationHandler;
use winit::dpi::{PhysicalPosition, PhysicalSize};
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Fullscreen, Window, WindowId, WindowLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PresentMode {
    /// shm on a software GPU under X11, else surface.
    Auto,
    /// The wgpu swapchain, full frames, vsync.
    Surface,
    /// X11 shared memory, changed rectangles only.
    Shm,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Fixed output region instead of fullscreen: size and position.
    pub window: Option<([u32; 2], [i32; 2])>,
    pub present: PresentMode,
    /// Frame-rate cap for moving zones.
    pub fps: f64,
    /// Stop after this many seconds.
    pub run_for: Option<f64>,
    /// Headless: where frames go, and how often.
    pub out_dir: PathBuf,
    pub every: f64,
    /// How the board is turned on the window's output (portrait screens
    /// on a landscape output). Headless frames and screenshots stay upright.
    pub rotation: Rotation,
}

/// Maps the monotonic clock onto scene time, so motion never depends on
/// wall-clock jumps (NTP) or on how many frames were drawn.
#[derive(Debug, Clone, Copy)]
struct SceneClock {
    mono0: Instant,
    t0: f64,
}

impl SceneClock {
    /// Start at the scene time of "now" for `anchor`.
    fn new(anchor: DateTime<Utc>) -> Self {
        let now = Utc::now();
        SceneClock {
            mono0: Instant::now(),
            t0: (now - anchor).num_microseconds().map_or(0.0, |us| us as f64 / 1e6),
        }
    }
    fn t(&self, at: Instant) -> f64 {
        self.t0 + at.saturating_duration_since(self.mono0).as_secs_f64()
    }
    fn instant_of(&self, t: f64) -> Instant {
        let d = t - self.t0;
        if d <= 0.0 {
            self.mono0
        } else {
            self.mono0 + Duration::from_secs_f64(d.min(1e7))
        }
    }
}

/// Playlists restart at local midnight: each day's programme starts clean
/// and every board showing a layout stays in step.
fn anchor_now(layout: &Layout) -> DateTime<Utc> {
    local_midnight(Utc::now(), layout.board.timezone)
}

/// Frames drawn, for logs now and heartbeats later.
#[derive(Debug, Default, Clone, Copy)]
pub struct FrameStats {
    pub frames: u64,
    pub pixels: u64,
    pub busy: Duration,
}

/// Headless `run`: the board rendered offscreen at its size, the live
/// frame written to `out_dir/latest.png` every `every` seconds and at once
/// when the screen changes — for machines without a display (demos, CI,
/// previews, managed boards with no screen attached), so heartbeats, proof
/// of play and screenshots work the same. Between frames it sleeps with
/// `wait` (a managed board's agent can cut it short).
pub fn run_headless(program: &mut dyn Program, opts: &Options, wait: &dyn Fn(Duration)) -> Result<Ended> {
    let gpu = Arc::new(Gpu::new(None)?);
    tracing::info!("GPU: {}", gpu.describe());
    let mut h = Headless::new(gpu);
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("không tạo được thư mục {}", opts.out_dir.display()))?;
    let latest = opts.out_dir.join("latest.png");
    println!(
        "Đang chạy không màn hình; ảnh trực tiếp của bảng tin (live frame, every {} s): {}",
        opts.every,
        std::fs::canonicalize(&opts.out_dir)
            .unwrap_or(opts.out_dir.clone())
            .join("latest.png")
            .display()
    );
    let started = Instant::now();
    let mut scene: Option<Scene> = None;
    let mut last_png: Option<Instant> = None;
    let mut last_dim = -1.0f32;
    let mut frames = 0u64;
    let mut notify = Notify::from_env();
    loop {
        let now = Utc::now();
        if let Some(layout) = program.tick(now, scene.as_ref().map(|s| (s, s.t_of(now)))) {
            let anchor = local_midnight(now, layout.board.timezone);
            let s = Scene::new(layout, anchor, &mut h.renderer, 1.0);
            for e in s.errors() {
                program.error(e.clone());
            }
            scene = Some(s);
            last_dim = -1.0;
            // A new screen (an emergency above all) is written out at once.
            last_png = None;
        }
        let Some(s) = scene.as_mut() else {
            wait(Duration::from_millis(100));
            continue;
        };
        let midnight = local_midnight(now, s.layout.board.timezone);
        if midnight != s.anchor {
            s.reanchor(midnight);
        }
        let dim = program.dim(now);
        let t = s.t_of(now);
        let view = View::identity(s.size()[0], s.size()[1]);
        s.dim = dim;
        // Only what changed since the last frame is redrawn.
        let img = if dim != last_dim {
            last_dim = dim;
            h.frame(s, t, view)?
        } else {
            h.next_frame(s, t, view)?
        };
        frames += 1;
        if frames == 1 {
            tracing::info!("khung hình đầu tiên sau {:?} (first frame)", started.elapsed());
            notify.ready();
        }
        program.observe(s, t, true, false);
        for e in s.take_failures() {
            program.error(e);
        }
        program.screenshots(&mut || Ok(img.clone()));
        if last_png.is_none_or(|l| l.elapsed().as_secs_f64() >= opts.every * 0.99) {
            crate::write_png(&img, &latest)?;
            last_png = Some(Instant::now());
        }
        if program.restart_requested() {
            program.interrupt(s, t);
            return Ok(Ended::Restart);
        }
        if opts.run_for.is_some_and(|r| started.elapsed().as_secs_f64() >= r) {
            program.interrupt(s, s.t_of(Utc::now()));
            notify.stopping();
            return Ok(Ended::Stopped);
        }
        // Sleep until the next frame is due or a scheduled change, or the
        // watchdog's next ping.
        let mut pause = Duration::from_secs_f64(opts.every);
        if let Some(ping) = notify.alive() {
            pause = pause.min(ping.saturating_duration_since(Instant::now()));
        }
        if let Some(next) = program.next_change(now)
            && let Ok(d) = (next - Utc::now()).to_std()
        {
            pause = pause.min(d + Duration::from_millis(5));
        }
        wait(pause);
    }
}

/// How a run of the board ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The window was closed or `--run-for` ran out.
    Stopped,
    /// The manager asked for a restart; the screen in front of the board
    /// was recorded as interrupted. The caller (`main`) restarts.
    Restart,
}

/// Windowed `run`: `program` picks the screen.
pub fn run_window(program: Box<dyn Program>, opts: Options) -> Result<Ended> {
    let event_loop = EventLoop::new().context("không mở được vòng lặp sự kiện cửa sổ (no event loop)")?;
    let mut app = App {
        program: Some(program),
        opts,
        state: None,
        error: None,
        started: Instant::now(),
        notify: Notify::from_env(),
    };
    event_loop
        .run_app(&mut app)
        .context("vòng lặp sự kiện dừng bất thường (event loop failed)")?;
    match app.error {
        Some(e) => Err(e),
        None if app.state.as_ref().is_some_and(|s| s.restart) => Ok(Ended::Restart),
        None => {
            app.notify.stopping();
            Ok(Ended::Stopped)
        }
    }
}

struct App {
    /// Until the window exists; then the running state holds it.
    program: Option<Box<dyn Program>>,
    opts: Options,
    state: Option<Running>,
    error: Option<anyhow::Error>,
    started: Instant,
    /// systemd: ready after the first frame, watchdog pings from the loop.
    notify: Notify,
}

enum Present {
    Surface {
        surface: wgpu::Surface<'static>,
        config: wgpu::SurfaceConfiguration,
    },
    Shm {
        x: Box<X11Present>,
        targets: HashMap<[u32; 2], Target>,
        slides: HashMap<usize, SlideCache>,
    },
}

struct Running {
    window: Arc<Window>,
    renderer: Renderer,
    scene: Scene,
    present: Present,
    clock: SceneClock,
    anchor: DateTime<Utc>,
    view: View,
    /// Scene time at which each zone next changes by itself.
    zone_next: Vec<f64>,
    full_redraw: bool,
    last_frame: Option<Instant>,
    frame_interval: Duration,
    stats: FrameStats,
    first_frame_logged: bool,
    /// Taken out while it is asked (the kiosk lends itself to it).
    program: Option<Box<dyn Program>>,
    format: wgpu::TextureFormat,
    /// The program asked for a restart: the event loop ends.
    restart: bool,
    rotation: Rotation,
}

fn window_id_x11(window: &Window) -> Option<u32> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    match window.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(h) => u32::try_from(h.window).ok(),
        RawWindowHandle::Xcb(h) => Some(h.window.get()),
        _ => None,
    }
}

impl App {
    fn start(&mut self, el: &ActiveEventLoop) -> Result<Running> {
        let mut program = self.program.take().ok_or_else(|| anyhow!("started twice"))?;
        let layout = program
            .tick(Utc::now(), None)
            .ok_or_else(|| anyhow!("no first screen"))?;
        let mut attrs = Window::default_attributes()
            .with_title(format!("Bangtin — {}", layout.board.name))
            .with_decorations(false)
            .with_resizable(false);
        match self.opts.window {
            Some((size, pos)) => {
                attrs = attrs
                    .with_inner_size(PhysicalSize::new(size[0], size[1]))
                    .with_position(PhysicalPosition::new(pos[0], pos[1]))
                    .with_window_level(WindowLevel::AlwaysOnTop);
            }
            None => {
                let mon = el.primary_monitor().or_else(|| el.available_monitors().next());
                if let Some(m) = &mon {
                    // Also size and place it: without a window manager the
                    // fullscreen hint alone does nothing.
                    attrs = attrs.with_inner_size(m.size()).with_position(m.position());
                }
                attrs = attrs.with_fullscreen(Some(Fullscreen::Borderless(mon)));
            }
        }
        let window = Arc::new(
            el.create_window(attrs)
                .context("không tạo được cửa sổ (cannot create window)")?,
        );
        window.set_cursor_visible(false);
        let size = window.inner_size();
        let target = [size.width.max(1), size.height.max(1)];

        tracing::debug!("t+{:?}: window", self.started.elapsed());
        let gpu = Arc::new(Gpu::new(Some(Box::new(el.owned_display_handle())))?);
        tracing::debug!("t+{:?}: GPU", self.started.elapsed());
        tracing::info!("GPU: {}", gpu.describe());
        let x11 = window_id_x11(&window);
        if x11.is_some() {
            crate::x11shm::keep_awake();
        }
        let turned = self.opts.rotation != Rotation::None;
        let want_shm = match self.opts.present {
            PresentMode::Shm if turned => {
                return Err(BadInput(
                    "--present shm không xoay được hình; dùng surface hoặc auto (the damage-only present cannot rotate)"
                        .into(),
                )
                .into());
            }
            PresentMode::Shm => true,
            PresentMode::Surface => false,
            // The damage-only path writes upright rectangles: a turned
            // board goes through the swapchain, which the shader turns.
            PresentMode::Auto => gpu.is_software() && x11.is_some() && !turned,
        };
        let present = if want_shm {
            let id = x11.ok_or_else(|| anyhow!("--present shm cần X11 (needs an X11 window)"))?;
            let x = X11Present::new(id)?;
            tracing::info!(
                "trình chiếu: chỉ vùng thay đổi qua X11 {} (damage-only present)",
                if x.uses_shm() { "MIT-SHM" } else { "PutImage" }
            );
            Present::Shm {
                x: Box::new(x),
                targets: HashMap::new(),
                slides: HashMap::new(),
            }
        } else {
            let surface = gpu
                .instance
                .create_surface(window.clone())
                .context("không tạo được bề mặt vẽ (cannot create surface)")?;
            let caps = surface.get_capabilities(&gpu.adapter);
            let format = [wgpu::TextureFormat::Bgra8Unorm, wgpu::TextureFormat::Rgba8Unorm]
                .into_iter()
                .find(|f| caps.formats.contains(f))
                .or_else(|| caps.formats.first().copied())
                .ok_or_else(|| anyhow!("bề mặt không hỗ trợ định dạng nào (surface has no formats)"))?;
            let present_mode = if caps.present_modes.contains(&wgpu::PresentMode::Fifo) {
                wgpu::PresentMode::Fifo
            } else {
                caps.present_modes.first().copied().unwrap_or(wgpu::PresentMode::Fifo)
            };
            let config = wgpu::SurfaceConfiguration {
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                format,
                color_space: wgpu::SurfaceColorSpace::Auto,
                width: target[0],
                height: target[1],
                present_mode,
                desired_maximum_frame_latency: 2,
                alpha_mode: caps
                    .alpha_modes
                    .first()
                    .copied()
                    .unwrap_or(wgpu::CompositeAlphaMode::Auto),
                view_formats: vec![],
            };
            surface.configure(&gpu.device, &config);
            tracing::info!("trình chiếu: khung hình đầy đủ qua wgpu {format:?} {present_mode:?} (swapchain)");
            Present::Surface { surface, config }
        };
        let format = match &present {
            Present::Surface { config, .. } => config.format,
            Present::Shm { .. } => wgpu::TextureFormat::Bgra8Unorm,
        };
        let mut renderer = Renderer::new(gpu, format);
        tracing::debug!("t+{:?}: renderer", self.started.elapsed());
        let board = [layout.board.width, layout.board.height];
        let view = View::fit_turned(board, target, self.opts.rotation);
        let anchor = anchor_now(&layout);
        let mut scene = Scene::new(layout, anchor, &mut renderer, view.scale);
        scene.live = true;
        tracing::debug!("t+{:?}: scene", self.started.elapsed());
        let n = scene.layout.zones.len();
        let hz = window
            .current_monitor()
            .and_then(|m| m.refresh_rate_millihertz())
            .map_or(60.0, |mhz| f64::from(mhz) / 1000.0);
        let fps = self.opts.fps.min(hz.max(1.0));
        Ok(Running {
            window,
            renderer,
            scene,
            present,
            clock: SceneClock::new(anchor),
            anchor,
            view,
            zone_next: vec![f64::NEG_INFINITY; n],
            full_redraw: true,
            last_frame: None,
            frame_interval: Duration::from_secs_f64(1.0 / fps),
            stats: FrameStats::default(),
            first_frame_logged: false,
            restart: false,
            program: Some(program),
            format,
            rotation: self.opts.rotation,
        })
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        if self.state.is_some() || self.error.is_some() {
            return;
        }
        match self.start(el) {
            Ok(s) => {
                s.window.request_redraw();
                self.state = Some(s);
            }
            Err(e) => {
                self.error = Some(e);
                el.exit();
            }
        }
    }

    fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let Some(s) = self.state.as_mut() else { return };
        let result = match event {
            WindowEvent::CloseRequested => {
                el.exit();
                Ok(())
            }
            WindowEvent::Resized(size) => s.resize([size.width.max(1), size.height.max(1)]),
            WindowEvent::RedrawRequested => {
                // Exposed or asked for: everything is painted again.
                s.full_redraw = true;
                s.frame(self.started).map(|_| ())
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.error = Some(e);
            el.exit();
        } else if s.restart {
            el.exit();
        }
    }

    fn about_to_wait(&mut self, el: &ActiveEventLoop) {
        let Some(s) = self.state.as_mut() else { return };
        if self
            .opts
            .run_for
            .is_some_and(|r| self.started.elapsed().as_secs_f64() >= r)
        {
            tracing::info!(
                "đã chạy {:.1} s: {} khung hình, {:.1} Mpx (ran; frames drawn)",
                self.started.elapsed().as_secs_f64(),
                s.stats.frames,
                s.stats.pixels as f64 / 1e6
            );
            el.exit();
            return;
        }
        match s.frame(self.started) {
            Ok(_) if s.restart => el.exit(),
            Ok(next) => {
                if s.first_frame_logged {
                    self.notify.ready();
                }
                // Awake for the watchdog's next ping even when nothing on
                // screen changes before then.
                let next = self.notify.alive().map_or(next, |w| next.min(w));
                el.set_control_flow(ControlFlow::WaitUntil(next));
            }
            Err(e) => {
                self.error = Some(e);
                el.exit();
            }
        }
    }
}

impl Running {
    fn resize(&mut self, target: [u32; 2]) -> Result<()> {
        if let Present::Surface { surface, config } = &mut self.present {
            if [config.width, config.height] == target {
                return Ok(());
            }
            config.width = target[0];
            config.height = target[1];
            surface.configure(&self.renderer.gpu.device, config);
        }
        let board = self.scene.size();
        let view = View::fit_turned(board, target, self.rotation);
        if view != self.view {
            if view.scale != self.view.scale {
                // Pictures and text are prepared for one scale.
                let layout = self.scene.layout.clone();
                self.scene = Scene::new(layout, self.anchor, &mut self.renderer, view.scale);
                self.scene.live = true;
            }
            self.view = view;
        }
        self.full_redraw = true;
        Ok(())
    }

    /// The board's own screen changed: a new scene in the same window.
    fn switch(&mut self, layout: Layout) {
        let size = self.window.inner_size();
        let target = [size.width.max(1), size.height.max(1)];
        let board = [layout.board.width, layout.board.height];
        self.view = View::fit_turned(board, target, self.rotation);
        self.anchor = anchor_now(&layout);
        self.scene = Scene::new(layout, self.anchor, &mut self.renderer, self.view.scale);
        self.scene.live = true;
        self.clock = SceneClock::new(self.anchor);
        self.zone_next = vec![f64::NEG_INFINITY; self.scene.layout.zones.len()];
        self.full_redraw = true;
        if let Present::Shm { slides, targets, .. } = &mut self.present {
            slides.clear();
            targets.clear();
        }
        if let Some(p) = &self.program {
            for e in self.scene.errors() {
                p.error(e.clone());
            }
        }
    }

    /// The board's picture at `t`, read back at the board's size (for
    /// screenshots: the same scene, instant and brightness as on screen).
    fn snapshot(&mut self, t: f64) -> Result<image::RgbaImage> {
        let board = self.scene.size();
        let gpu = self.renderer.gpu.clone();
        let target = Target::new(&gpu, board[0], board[1], self.format);
        let view = View::identity(board[0], board[1]);
        let mut p = self.renderer.painter(view);
        self.scene.paint(&mut p, t);
        self.renderer.render(&target.view, &view);
        self.full_redraw = true;
        target.read_rgba(&gpu)
    }

    /// Draw what is due and return when to wake up next.
    fn frame(&mut self, started: Instant) -> Result<Instant> {
        let now = Instant::now();
        if let Some(mut p) = self.program.take() {
            let wall = Utc::now();
            let r = p.tick(wall, Some((&self.scene, self.clock.t(now))));
            // Back before switching: the new scene's errors go to it.
            self.program = Some(p);
            if let Some(layout) = r {
                self.switch(layout);
            }
            if let Some(p) = self.program.as_mut() {
                let dim = p.dim(wall);
                if dim != self.scene.dim {
                    self.scene.dim = dim;
                    self.full_redraw = true;
                }
            }
        }
        let midnight = anchor_now(&self.scene.layout);
        if midnight != self.anchor {
            self.anchor = midnight;
            self.scene.reanchor(midnight);
            self.clock = SceneClock::new(midnight);
            self.full_redraw = true;
        }
        // Respect the frame-rate cap for moving zones.
        if !self.full_redraw
            && let Some(last) = self.last_frame
            && now < last + self.frame_interval
        {
            return Ok(last + self.frame_interval);
        }
        let t = self.clock.t(now);
        self.scene.at = Some(now);
        let activity = self.scene.activity(t);
        let mut dirty: Vec<usize> = Vec::new();
        for (i, a) in activity.iter().enumerate() {
            if a.animating || self.zone_next[i] <= t {
                dirty.push(i);
            }
            self.zone_next[i] = if a.animating { t } else { a.next_change };
        }
        let drawing = self.full_redraw || !dirty.is_empty();
        let late = self.last_frame.is_some_and(|l| now > l + self.frame_interval * 2) && !activity.is_empty();
        if drawing {
            let t0 = Instant::now();
            self.draw(t, &dirty)?;
            // Painting may have learnt when zones change next (a video's
            // next picture): schedule from what is known now.
            for (i, a) in self.scene.activity(t).iter().enumerate() {
                self.zone_next[i] = if a.animating { t } else { a.next_change };
            }
            self.stats.frames += 1;
            self.stats.busy += t0.elapsed();
            self.last_frame = Some(now);
            if !self.first_frame_logged {
                self.first_frame_logged = true;
                tracing::info!("khung hình đầu tiên sau {:?} (first frame)", started.elapsed());
            }
        }
        self.full_redraw = false;
        if let Some(mut p) = self.program.take() {
            p.observe(&self.scene, t, drawing, late && activity.iter().any(|a| a.animating));
            for e in self.scene.take_failures() {
                p.error(e);
            }
            p.screenshots(&mut || self.snapshot(t));
            if p.restart_requested() && !self.restart {
                p.interrupt(&self.scene, t);
                self.restart = true;
            }
            self.program = Some(p);
        }
        let animating = activity.iter().any(|a| a.animating);
        let next = if animating {
            self.last_frame.unwrap_or(now) + self.frame_interval
        } else {
            let soonest = self.zone_next.iter().copied().fold(f64::INFINITY, f64::min);
            if soonest.is_finite() {
                self.clock.instant_of(soonest)
            } else {
                now + Duration::from_secs(60)
            }
        };
        // Wake at least every few seconds to notice midnight and deadlines;
        // the program says how often it must be asked (a managed board: five
        // times a second, for its mailbox).
        let max_sleep = self.program.as_ref().map_or(Duration::from_secs(5), |p| p.wake_every());
        Ok(next.min(now + max_sleep))
    }

    /// Draw zones `dirty` (or everything after `full_redraw`) at `t`.
    fn draw(&mut self, t: f64, dirty: &[usize]) -> Result<()> {
        let board = self.scene.size();
        let present = &mut self.present;
        match present {
            Present::Surface { surface, config } => {
                // A real GPU redraws whole frames; the swapchain needs them.
                let frame = match surface.get_current_texture() {
                    wgpu::CurrentSurfaceTexture::Success(f) | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
                    wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                        surface.configure(&self.renderer.gpu.device, config);
                        self.full_redraw = true;
                        return Ok(());
                    }
                    other => {
                        tracing::debug!("bỏ qua khung hình: {other:?} (skipped frame)");
                        return Ok(());
                    }
                };
                let target = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
                let mut p = self.renderer.painter(self.view);
                self.scene.paint(&mut p, t);
                self.renderer.render(&target, &self.view);
                self.window.pre_present_notify();
                self.renderer.gpu.queue.present(frame);
                self.stats.pixels += u64::from(config.width) * u64::from(config.height);
            }
            Present::Shm { x, targets, slides } => {
                let mut rects = Vec::new();
                if self.full_redraw {
                    slides.clear();
                    rects.push(Rect::new(0, 0, board[0], board[1]));
                } else {
                    for &zi in dirty {
                        // A video filling its zone goes straight from the
                        // decoder to the X image (see video::ToDisplay).
                        let zr = RectF::from(self.scene.layout.zones[zi].rect);
                        if let Some(clip) = self.view.clip_of(zr)
                            && clip.w as f32 == (self.view.x(zr.x + zr.w).round() - self.view.x(zr.x).round())
                            && clip.h as f32 == (self.view.y(zr.y + zr.h).round() - self.view.y(zr.y).round())
                            && self.scene.video_direct_ready(zi, t)
                        {
                            let scene = &mut self.scene;
                            x.put(clip.x as i16, clip.y as i16, clip.w as u16, clip.h as u16, |buf| {
                                scene.write_video_direct(zi, t, clip.w, clip.h, buf)
                            })?;
                            self.stats.pixels += u64::from(clip.w) * u64::from(clip.h);
                            continue;
                        }
                        if let Some(s) = self.scene.sliding(zi, t)
                            && slide_zone(
                                &mut self.renderer,
                                &mut self.scene,
                                x,
                                targets,
                                slides,
                                self.view,
                                zi,
                                s,
                                t,
                            )?
                        {
                            continue;
                        }
                        rects.push(self.scene.layout.zones[zi].rect);
                    }
                }
                for r in merge(rects) {
                    let Some(clip) = self.view.clip_of(RectF::from(r)) else {
                        continue;
                    };
                    // Big areas go in bands: no full-frame buffers stay
                    // allocated after the first frame.
                    let rows = (MAX_BAND_PIXELS / clip.w).clamp(1, clip.h);
                    let mut y = 0;
                    while y < clip.h {
                        let band = Clip {
                            y: clip.y + y,
                            h: rows.min(clip.h - y),
                            ..clip
                        };
                        let view = crop_view(&self.view, band);
                        let px = render_band(&mut self.renderer, &mut self.scene, targets, t, &view)?;
                        x.put(band.x as i16, band.y as i16, band.w as u16, band.h as u16, |buf| {
                            buf.copy_from_slice(&px);
                            Ok(())
                        })?;
                        self.stats.pixels += u64::from(band.w) * u64::from(band.h);
                        y += band.h;
                    }
                }
                if self.full_redraw {
                    // Band targets of a full redraw are not needed again
                    // soon; give their memory back.
                    targets.clear();
                    trim_heap();
                }
            }
        }
        Ok(())
    }
}

/// Largest band rendered at once on the damage path (1 MB of pixels).
const MAX_BAND_PIXELS: u32 = 256 * 1024;

/// Return freed heap memory to the system: a board runs for months, and
/// startup (decoding, shaping, first frame) leaves large free blocks.
fn trim_heap() {
    // SAFETY: malloc_trim only walks glibc's own free lists.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The part `band` (target pixels) of `view`.
fn crop_view(view: &View, band: Clip) -> View {
    View {
        offset: [view.offset[0] - band.x as f32, view.offset[1] - band.y as f32],
        size: [band.w, band.h],
        ..*view
    }
}

/// Render the scene at `t` through a crop view and read it back (BGRX).
fn render_band(
    renderer: &mut Renderer,
    scene: &mut Scene,
    targets: &mut HashMap<[u32; 2], Target>,
    t: f64,
    view: &View,
) -> Result<Vec<u8>> {
    let gpu = renderer.gpu.clone();
    if targets.len() > 8 {
        targets.clear();
    }
    let target = targets
        .entry(view.size)
        .or_insert_with(|| Target::new(&gpu, view.size[0], view.size[1], wgpu::TextureFormat::Bgra8Unorm));
    let c0 = Instant::now();
    let mut p = renderer.painter(*view);
    scene.paint(&mut p, t);
    let c1 = Instant::now();
    renderer.render(&target.view, view);
    let px = target.read_raw(&gpu);
    tracing::trace!(
        "band {:?}: prepare {:?}, draw+readback {:?}",
        view.size,
        c1 - c0,
        c1.elapsed()
    );
    px
}

/// Strips of sliding zones, by zone.
struct SlideCache {
    run: (usize, u64),
    clip: Clip,
    strip: Strip,
}

/// Present a sliding zone by shifting its strip; false if it cannot be
/// done exactly (then the caller renders the zone).
#[allow(clippy::too_many_arguments)]
fn slide_zone(
    renderer: &mut Renderer,
    scene: &mut Scene,
    x: &mut X11Present,
    targets: &mut HashMap<[u32; 2], Target>,
    slides: &mut HashMap<usize, SlideCache>,
    view: View,
    zi: usize,
    s: Sliding,
    t: f64,
) -> Result<bool> {
    let Some(clip) = view.clip_of(RectF::from(scene.layout.zones[zi].rect)) else {
        return Ok(true);
    };
    let band = crop_view(&view, clip);
    let fresh = slides.get(&zi).is_some_and(|c| c.run == s.run && c.clip == clip);
    if !fresh {
        slides.remove(&zi);
        let plan = slide::plan(scene, zi, t, &band);
        let built = slide::build(&plan, band, |tj, v| render_band(renderer, scene, targets, tj, v))?;
        match built {
            Some(strip) => {
                tracing::debug!("vùng {zi}: dải cuộn {} px (strip built)", strip.period);
                slides.insert(
                    zi,
                    SlideCache {
                        run: s.run,
                        clip,
                        strip,
                    },
                );
                targets.clear();
                trim_heap();
            }
            None => return Ok(false),
        }
    }
    let cache = &slides[&zi];
    let x0 = slide::band_x0(&band, &s);
    x.put(clip.x as i16, clip.y as i16, clip.w as u16, clip.h as u16, |buf| {
        cache.strip.compose(clip.w, x0, buf);
        Ok(())
    })?;
    Ok(true)
}

/// Merge overlapping damage so no pixel is drawn twice in a frame.
fn merge(mut rects: Vec<Rect>) -> Vec<Rect> {
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                if rects[i].intersect(&rects[j]).is_some() {
                    let u = rects[i].union(&rects[j]);
                    rects[i] = u;
                    rects.swap_remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    rects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_damage_merges_disjoint_stays() {
        let r = merge(vec![
            Rect::new(0, 0, 10, 10),
            Rect::new(5, 5, 10, 10),
            Rect::new(100, 100, 5, 5),
        ]);
        assert_eq!(r.len(), 2);
        assert!(r.contains(&Rect::new(0, 0, 15, 15)));
    }
}
