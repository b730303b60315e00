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
//!
//! Real-time runs also count late frames, as the kiosk counts the dropped
//! frames a managed board reports in its heartbeats: while something on
//! screen moves, a frame is late when it is presented more than two frame
//! intervals (at `--fps`) after the frame before it — one interval after
//! its predecessor is its deadline, and one more frame is the tolerance —
//! so a ticker that stood still for a slot or more is one late frame,
//! however long the stall. Each sample gives the late frames since the
//! previous one, per cent of the frames due (the interval at `--fps`),
//! and the longest gap between two frames; the summary compares the late
//! rate of the first and the last third after the warm-up (in percentage
//! points: a board that falls behind more and more as it runs). In
//! `--fast` runs board time does not follow the clock, so there are no
//! late frames to count: they are reported as absent (`null`), not 0.

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
    /// Khung hình mỗi giây (frames per second: board time, and the deadlines of
    /// late frames; default 25, in the kiosk window 60 as `bangtin-player run`)
    #[arg(long)]
    pub fps: Option<f64>,
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
    /// Thoát mã 1 nếu tỉ lệ khung trễ của một phần ba cuối vượt phần ba đầu quá … điểm %
    /// (fail when the late-frame rate of the last third exceeds the first by more than POINTS)
    #[arg(long, value_name = "POINTS", conflicts_with = "fast")]
    pub max_late_growth: Option<f64>,
}

impl SoakArgs {
    /// Frames per second: the kiosk window's cap is `bangtin-player run`'s.
    fn fps(&self) -> f64 {
        self.fps.unwrap_or(if self.window { 60.0 } else { 25.0 })
    }
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
    /// Frames since the previous sample; `None` in accelerated runs.
    pub frames: Option<Frames>,
}

/// Frames presented between two samples of a real-time run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Frames {
    /// Seconds at which the interval began (the previous sample).
    pub since: f64,
    pub drawn: u64,
    /// Frame slots at `--fps` in the interval.
    pub due: u64,
    pub late: u64,
    /// Longest time between two frames while something moved, ms.
    pub worst_ms: f64,
}

impl Frames {
    fn late_pct(&self) -> f64 {
        rate(self.late, self.due)
    }
}

fn rate(late: u64, due: u64) -> f64 {
    if due == 0 {
        0.0
    } else {
        late as f64 / due as f64 * 100.0
    }
}

/// The kiosk's rule for a dropped frame (`kiosk::Running::frame`): more
/// than two frame intervals since the previous frame.
pub fn is_late(gap: f64, interval: f64) -> bool {
    gap > 2.0 * interval
}

/// Frame pacing of a real-time run: frames are reported as they are
/// presented, and counted until the next sample takes them.
#[derive(Debug, Clone)]
pub struct Pacing {
    interval: f64,
    last: Option<f64>,
    drawn: u64,
    late: u64,
    worst: f64,
}

impl Pacing {
    pub fn new(fps: f64) -> Pacing {
        Pacing {
            interval: 1.0 / fps,
            last: None,
            drawn: 0,
            late: 0,
            worst: 0.0,
        }
    }

    /// A frame presented at `at` seconds (monotonic); `moving`: something
    /// on screen changes every frame (a ticker, a video, a crossfade), so
    /// the frame had a deadline — a still screen has none, as in the kiosk.
    pub fn frame(&mut self, at: f64, moving: bool) {
        if moving && let Some(prev) = self.last {
            let gap = at - prev;
            self.worst = self.worst.max(gap);
            if is_late(gap, self.interval) {
                self.late += 1;
            }
        }
        self.last = Some(at);
        self.drawn += 1;
    }

    /// The frames of the interval `since..t`, counting afresh from here.
    fn take(&mut self, since: f64, t: f64) -> Frames {
        let f = Frames {
            since,
            drawn: self.drawn,
            due: ((t - since).max(0.0) / self.interval).round() as u64,
            late: self.late,
            worst_ms: self.worst * 1000.0,
        };
        (self.drawn, self.late, self.worst) = (0, 0, 0.0);
        f
    }
}

/// Late frames among frames presented at `times` (seconds, ascending),
/// all of them while something moved, a frame due every `interval`.
pub fn late_frames(times: &[f64], interval: f64) -> u64 {
    let mut p = Pacing::new(1.0 / interval);
    for &t in times {
        p.frame(t, true);
    }
    p.late
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
    /// Late frames of the whole run (warm-up included) and frames due;
    /// these and the rest are `None` (null) in accelerated runs.
    pub late_frames: Option<u64>,
    pub frames_due: Option<u64>,
    pub late_pct: Option<f64>,
    /// Late rate, per cent of the frames due, of the first and the last
    /// third of the intervals after the warm-up, and the difference in
    /// percentage points.
    pub late_first_pct: Option<f64>,
    pub late_last_pct: Option<f64>,
    pub late_growth_points: Option<f64>,
    /// Longest time between two frames while something moved, after the
    /// warm-up, ms.
    pub worst_frame_ms: Option<f64>,
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
    // Late frames: intervals that began after the warm-up.
    let all: Vec<Frames> = samples.iter().filter_map(|s| s.frames).collect();
    let late: Vec<Frames> = all.iter().copied().filter(|f| f.since >= warmup - 1e-6).collect();
    let sum = |v: &[Frames]| {
        (
            v.iter().map(|f| f.late).sum::<u64>(),
            v.iter().map(|f| f.due).sum::<u64>(),
        )
    };
    let (late_all, due_all) = sum(&all);
    let lthird = late.len().div_ceil(3);
    let first = late.get(..lthird).map(|v| {
        let (l, d) = sum(v);
        rate(l, d)
    });
    let last = late.get(late.len() - lthird..).map(|v| {
        let (l, d) = sum(v);
        rate(l, d)
    });
    let real_time = !all.is_empty();
    let (first, last) = if lthird == 0 { (None, None) } else { (first, last) };
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
        late_frames: real_time.then_some(late_all),
        frames_due: real_time.then_some(due_all),
        late_pct: real_time.then(|| rate(late_all, due_all)),
        late_first_pct: first,
        late_last_pct: last,
        late_growth_points: first.zip(last).map(|(f, l)| l - f),
        worst_frame_ms: (real_time && !late.is_empty()).then(|| late.iter().map(|f| f.worst_ms).fold(0.0, f64::max)),
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
                writeln!(
                    f,
                    "board_s,rss_kib,pss_kib,uss_kib,frames,frames_due,late_frames,late_pct,worst_frame_ms"
                )?;
                Some(f)
            }
            None => None,
        };
        Ok(Recorder {
            samples: Vec::new(),
            csv,
        })
    }

    /// A sample at `t`, with the frames of the interval before it in a
    /// real-time run.
    fn take(&mut self, t: f64, pacing: Option<&mut Pacing>) -> Result<()> {
        let (rss, pss, uss) = memory()?;
        let since = self.samples.last().map_or(0.0, |s| s.t);
        let s = Sample {
            t,
            rss_kib: rss,
            pss_kib: pss,
            uss_kib: uss,
            frames: pacing.map(|p| p.take(since, t)),
        };
        let late = s.frames.map_or(String::new(), |f| {
            format!(
                "  late {}/{} ({:.2} %), {} drawn, worst {:.0} ms",
                f.late,
                f.due,
                f.late_pct(),
                f.drawn,
                f.worst_ms
            )
        });
        println!(
            "t={:>7.0} s  RSS {:>7.1} MiB  PSS {:>7.1} MiB  USS {:>7.1} MiB{late}",
            s.t,
            mib(s.rss_kib),
            mib(s.pss_kib),
            mib(s.uss_kib)
        );
        if let Some(f) = &mut self.csv {
            // Accelerated runs leave the frame columns empty (no late frames).
            let frames = s.frames.map_or(",,,,".into(), |f| {
                format!("{},{},{},{:.3},{:.1}", f.drawn, f.due, f.late, f.late_pct(), f.worst_ms)
            });
            writeln!(f, "{:.1},{},{},{},{frames}", s.t, s.rss_kib, s.pss_kib, s.uss_kib)?;
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
    if !(a.seconds > 0.0 && a.sample > 0.0 && a.fps() > 0.0 && a.switch_every > 0.0 && a.warmup >= 0.0) {
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
        "# bangtin-player soak — {} — {} s of board time at {} fps, {}, sample every {} s, warm-up {} s{}",
        a.layout.display(),
        a.seconds,
        a.fps(),
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
    if let (Some(late), Some(due), Some(pct)) = (s.late_frames, s.frames_due, s.late_pct) {
        let pts = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.2}"));
        println!(
            "# late frames {late} of {due} due ({pct:.2} %); after warm-up {} % → {} % ({} points), \
             worst frame {} ms",
            pts(s.late_first_pct),
            pts(s.late_last_pct),
            s.late_growth_points.map_or("–".into(), |x| format!("{x:+.2}")),
            s.worst_frame_ms.map_or("–".into(), |x| format!("{x:.0}"))
        );
    }
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
    if let Some(limit) = a.max_late_growth
        && let Some(g) = s.late_growth_points
        && g > limit
    {
        bail!(
            "khung trễ tăng {g:+.2} điểm % sau khởi động, quá {limit} (late frames grow: {:.2} % → {:.2} %)",
            s.late_first_pct.unwrap_or(0.0),
            s.late_last_pct.unwrap_or(0.0)
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
    let dt = 1.0 / a.fps();
    let mut pacing = (!a.fast).then(|| Pacing::new(a.fps()));
    let mut frames = 0u64;
    // The frame slot (at --fps) of the next frame in real time.
    let mut slot = 0u64;
    let mut next_sample = 0.0;
    let mut last_read = f64::NEG_INFINITY;
    loop {
        let t = if a.fast {
            frames as f64 * dt
        } else {
            mono0.elapsed().as_secs_f64()
        };
        if t >= next_sample {
            rec.take(t, pacing.as_mut())?;
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
        frames += 1;
        if let Some(p) = pacing.as_mut() {
            // Presented: the GPU has finished the frame.
            let at = mono0.elapsed().as_secs_f64();
            p.frame(at, scene.activity(t - scene_from).iter().any(|z| z.animating));
            // As the kiosk does, a frame that missed its slot is not
            // caught up with a burst of frames: the next one waits for
            // the next slot still ahead.
            slot = (slot + 1).max((at / dt).ceil() as u64);
            let due = mono0 + Duration::from_secs_f64(slot as f64 * dt);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        for e in scene.take_failures() {
            eprintln!("{e}");
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
    let pacing = Arc::new(Mutex::new(Pacing::new(a.fps())));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (rec, pacing, done, every) = (rec.clone(), pacing.clone(), done.clone(), a.sample);
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
                    let mut p = pacing.lock().unwrap_or_else(|e| e.into_inner());
                    if let Err(e) = r.take(t0.elapsed().as_secs_f64(), Some(&mut p)) {
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
        fps: a.fps(),
        run_for: Some(a.seconds),
        out_dir: std::env::temp_dir(),
        every: 1.0,
        rotation: Default::default(),
    };
    let program = Timed {
        inner: crate::program::Fixed::new(layout),
        pacing: pacing.clone(),
        t0: Instant::now(),
    };
    let result = kiosk::run_window(Box::new(program), opts).map(|_| ());
    {
        // The last sample, at the end of the run.
        let mut r = rec.lock().unwrap_or_else(|e| e.into_inner());
        if r.samples.last().is_none_or(|s| s.t < a.seconds - 1.0) {
            let mut p = pacing.lock().unwrap_or_else(|e| e.into_inner());
            r.take(a.seconds, Some(&mut p))?;
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    result?;
    let samples = std::mem::take(&mut rec.lock().unwrap_or_else(|e| e.into_inner()).samples);
    let frames = samples.iter().filter_map(|s| s.frames).map(|f| f.drawn).sum();
    Ok((samples, frames))
}

/// The kiosk's program, timing the frames the kiosk draws.
struct Timed {
    inner: crate::program::Fixed,
    pacing: Arc<Mutex<Pacing>>,
    t0: Instant,
}

impl crate::program::Program for Timed {
    fn tick(&mut self, now: DateTime<Utc>, shown: Option<(&Scene, f64)>) -> Option<Layout> {
        self.inner.tick(now, shown)
    }

    fn observe(&mut self, scene: &Scene, t: f64, drawn: bool, _late: bool) {
        if drawn {
            let at = self.t0.elapsed().as_secs_f64();
            let moving = scene.activity(t).iter().any(|z| z.animating);
            self.pacing.lock().unwrap_or_else(|e| e.into_inner()).frame(at, moving);
        }
    }
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
            frames: None,
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
    fn a_frame_is_late_more_than_two_intervals_after_the_one_before() {
        let dt = 0.04; // 25 fps
        // On time, with jitter under a frame: nothing late.
        let steady: Vec<f64> = (0..100)
            .map(|i| f64::from(i) * dt + if i % 2 == 0 { 0.015 } else { 0.0 })
            .collect();
        assert_eq!(late_frames(&steady, dt), 0);
        // One slot missed exactly (80 ms) is within the tolerance of a
        // frame; a little more is late, as the kiosk counts it.
        assert_eq!(late_frames(&[0.0, 0.04, 0.12, 0.16], dt), 0);
        assert_eq!(late_frames(&[0.0, 0.04, 0.121, 0.161], dt), 1);
        // A stall of a second is one late frame, not 25; the frames after
        // it are on time again.
        assert_eq!(late_frames(&[0.0, 0.04, 1.04, 1.08, 1.12], dt), 1);
        // Every frame of a board that fell to 10 fps is late.
        let slow: Vec<f64> = (0..11).map(|i| f64::from(i) * 0.1).collect();
        assert_eq!(late_frames(&slow, dt), 10);
        // Nothing moving, nothing due: a still screen drawn once a second.
        let mut p = Pacing::new(25.0);
        for t in [0.0, 1.0, 2.0] {
            p.frame(t, false);
        }
        p.frame(2.5, true);
        p.frame(2.54, true);
        let f = p.take(0.0, 3.0);
        assert_eq!((f.drawn, f.due, f.late), (5, 75, 1), "{f:?}");
        assert!((f.worst_ms - 500.0).abs() < 1e-6, "{f:?}");
        assert!((f.late_pct() - 100.0 / 75.0).abs() < 1e-9);
        // Counting starts afresh at each sample, from the last frame.
        p.frame(3.2, true);
        let f = p.take(3.0, 4.0);
        assert_eq!((f.drawn, f.due, f.late), (1, 25, 1), "{f:?}");
    }

    #[test]
    fn late_frames_compare_the_first_and_last_thirds_after_the_warm_up() {
        let at = |t: f64, late: u64| Sample {
            frames: Some(Frames {
                since: t - 60.0,
                drawn: 1500 - late,
                due: 1500,
                late,
                worst_ms: 40.0 + late as f64,
            }),
            ..s(t, 100_000)
        };
        // The warm-up's stalls (first frames, driver) are left out of the
        // thirds and the worst frame, not of the totals.
        let v = [
            at(60.0, 300),
            at(120.0, 0),
            at(180.0, 3),
            at(240.0, 6),
            at(300.0, 15),
            at(360.0, 30),
        ];
        let r = summarise(&v, 60.0, 9000, 360.0);
        assert_eq!((r.late_frames, r.frames_due), (Some(354), Some(9000)));
        assert!((r.late_pct.unwrap() - 354.0 / 90.0).abs() < 1e-9, "{r:?}");
        // After the warm-up: 5 intervals, thirds of 2 — (0 + 3) and (15 + 30) of 3000.
        assert!((r.late_first_pct.unwrap() - 0.1).abs() < 1e-9, "{r:?}");
        assert!((r.late_last_pct.unwrap() - 1.5).abs() < 1e-9, "{r:?}");
        assert!((r.late_growth_points.unwrap() - 1.4).abs() < 1e-9, "{r:?}");
        assert_eq!(r.worst_frame_ms, Some(70.0));
        // Accelerated: no late frames to speak of, absent rather than 0.
        let fast: Vec<Sample> = v.iter().map(|x| Sample { frames: None, ..*x }).collect();
        let r = summarise(&fast, 60.0, 9000, 10.0);
        assert_eq!((r.late_frames, r.late_pct, r.late_growth_points), (None, None, None));
        assert_eq!(r.worst_frame_ms, None);
        let json = serde_json::to_value(&r).unwrap();
        assert!(
            json["late_frames"].is_null() && json["late_last_pct"].is_null(),
            "{json}"
        );
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
