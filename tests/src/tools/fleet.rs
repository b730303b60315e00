//! `bangtin-load fleet`: many simulated boards against one manager
//! (issue #4) — how many boards one manager serves with p99 under 100 ms.
//!
//! Every simulated board is a small task on one tokio runtime; the boards
//! share a few HTTP clients (keep-alive pools, as a real board keeps its
//! connection open). Each board, from a random phase of its own:
//!
//! - every heartbeat period posts a [`BoardStatus`] to
//!   `/api/v1/board/heartbeat`;
//! - every heartbeat period, half a period after the beat, asks
//!   `GET /api/v1/board/show` with `If-None-Match` (nothing changed: 304);
//! - every playlog period uploads a [`PlaylogBatch`] of proof-of-play events
//!   with increasing `seq` to `/api/v1/board/playlog`.
//!
//! The boards are registered straight into a fresh data directory (as
//! `bangtin-load bench` does), the manager runs as its own process, and
//! load is open-loop: each request is sent at its scheduled time whatever
//! the ones before it are doing, and its latency runs from that scheduled
//! time to the end of the response, so a slow server shows up as latency,
//! never as less offered load.

use super::cluster::Managers;
use super::manager::{BENCH_UNIT, bench_session, disk_kib, populate_store};
use super::pct;
use anyhow::Result;
use bangtin_layouts::wire::{BoardStatus, HeartbeatReply, PlayEvent, PlayKind, PlaylogAck, PlaylogBatch, ZoneNow};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("cần số dương, nhận {s:?} (must be a positive number)")),
    }
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("cần số không âm, nhận {s:?} (must be ≥ 0)")),
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct FleetArgs {
    /// Số bảng tin mô phỏng mỗi lượt, cách nhau bằng dấu phẩy (simulated boards per run, comma-separated)
    #[arg(long, value_delimiter = ',', default_values_t = [5000u32, 10000, 20000, 30000],
          value_parser = clap::value_parser!(u32).range(1..))]
    pub boards: Vec<u32>,
    /// Thời gian đo mỗi lượt, giây (seconds measured per run)
    #[arg(long, default_value_t = 60.0, value_parser = positive)]
    pub seconds: f64,
    /// Chu kỳ nhịp tim và hỏi chương trình, giây (heartbeat and show-poll period, seconds)
    #[arg(long, default_value_t = 30.0, value_parser = positive)]
    pub heartbeat: f64,
    /// Chu kỳ gửi nhật ký phát, giây (proof-of-play upload period, seconds)
    #[arg(long, default_value_t = 300.0, value_parser = positive)]
    pub playlog_every: f64,
    /// Số sự kiện mỗi lần gửi nhật ký phát (events per upload)
    #[arg(long, default_value_t = 20,
          value_parser = clap::value_parser!(u16).range(1..=bangtin_layouts::wire::MAX_PLAYLOG_BATCH as i64))]
    pub playlog_events: u16,
    /// Chạy khởi động trước khi đo, giây (warm-up before measuring, seconds)
    #[arg(long, default_value_t = 5.0, value_parser = non_negative)]
    pub warmup: f64,
    /// Số client HTTP dùng chung, mỗi client một nhóm kết nối giữ sống (shared HTTP clients, each a keep-alive pool)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub clients: u16,
    /// Ngưỡng p99 cần đạt, ms (p99 target)
    #[arg(long, default_value_t = 100.0, value_parser = positive)]
    pub p99_ms: f64,
    /// Thời hạn mỗi yêu cầu, giây; quá hạn tính là lỗi (per-request timeout; counts as an error)
    #[arg(long, default_value_t = 30.0, value_parser = positive)]
    pub timeout: f64,
    /// Tuổi nhật ký phát khi gửi, giây: như bảng tin gửi bù sau khi mất mạng (age of proof of play when uploaded, seconds, as a board catching up after a network cut)
    #[arg(long, default_value_t = 0.0, value_parser = non_negative)]
    pub playlog_age: f64,
    /// Ghi bộ nhớ và dung lượng dữ liệu của máy chủ mỗi chừng này giây; 0 = không (sample the manager's memory and data size every this many seconds; 0 = off)
    #[arg(long, default_value_t = 0.0, value_parser = non_negative)]
    pub sample_every: f64,
    /// Dùng PostgreSQL (khởi động một máy chủ tạm, ghi đĩa đầy đủ) thay sled (a temporary PostgreSQL, fsync on, instead of sled)
    #[arg(long)]
    pub postgres: bool,
    /// Số máy quản lý dùng chung PostgreSQL, sau haproxy khi từ 2 (managers on the database; 2 or more: behind haproxy)
    #[arg(long, default_value_t = 1, requires = "postgres", value_parser = clap::value_parser!(u16).range(1..=8))]
    pub managers: u16,
}

impl Default for FleetArgs {
    fn default() -> Self {
        FleetArgs {
            boards: vec![5000, 10000, 20000, 30000],
            seconds: 60.0,
            heartbeat: 30.0,
            playlog_every: 300.0,
            playlog_events: 20,
            warmup: 5.0,
            clients: 4,
            p99_ms: 100.0,
            timeout: 30.0,
            playlog_age: 0.0,
            sample_every: 0.0,
            postgres: false,
            managers: 1,
        }
    }
}

/// The layout every simulated board shows: clock, notice, ticker.
pub const LAYOUT: &str = r##"[board]
width = 1920
height = 1080
[[zone]]
id = "gio"
x = 1520
y = 0
width = 400
height = 120
[[zone.item]]
type = "clock"
[[zone]]
id = "chu"
x = 0
y = 120
width = 1920
height = 840
[[zone.item]]
type = "text"
title = "Thông báo"
body = "Ủy ban nhân dân xã tổ chức tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở xã."
[[zone.item]]
type = "text"
title = "Lịch tiêm chủng"
body = "Trạm y tế xã tiêm vắc-xin sởi cho trẻ từ 9 tháng tuổi vào ngày 15 hằng tháng."
[[zone]]
id = "chay"
x = 0
y = 960
width = 1920
height = 120
[[zone.item]]
type = "ticker"
text = "Cảnh báo lũ quét, sạt lở đất — người dân không đi qua ngầm, tràn khi nước chảy xiết."
"##;
const LAYOUT_KEY: &str = "lay_1@1";
const NOTICES: [&str; 2] = ["Thông báo", "Lịch tiêm chủng"];
const TICKER: &str = "Cảnh báo lũ quét, sạt lở đất";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Beat = 0,
    Show = 1,
    Playlog = 2,
}

const ROUTES: [Route; 3] = [Route::Beat, Route::Show, Route::Playlog];

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Beat => "heartbeat",
            Route::Show => "show",
            Route::Playlog => "playlog",
        }
    }
}

/// One route's figures over the measured window.
#[derive(Debug, Clone, Default)]
pub struct RouteReport {
    pub route: &'static str,
    /// Requests scheduled in the window.
    pub scheduled: u64,
    /// Answered 2xx/304.
    pub ok: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// By HTTP status, or "timeout", "connect", "request", "body", "reply".
    pub errors: BTreeMap<String, u64>,
}

/// A process's memory, KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// Peak RSS so far.
    pub hwm_kib: u64,
}

/// The figures of one fleet size.
#[derive(Debug, Clone, Default)]
pub struct FleetReport {
    pub boards: u32,
    pub seconds: f64,
    /// Seconds spent registering the boards (before the server starts).
    pub populate_s: f64,
    pub offered_rps: f64,
    pub achieved_rps: f64,
    pub routes: Vec<RouteReport>,
    /// p99 over all routes together.
    pub all_p99_ms: f64,
    /// How late the simulator itself sent requests (p99, ms): when this is
    /// large the load generator, not the manager, is the bottleneck.
    pub send_lag_p99_ms: f64,
    /// Show polls answered with the full show instead of 304.
    pub full_shows: u64,
    /// Proof-of-play events sent in the window and newly stored by the
    /// manager (from its acknowledgements).
    pub playlog_sent: u64,
    pub playlog_stored: u64,
    /// Boards that sent at least one heartbeat (warm-up included), and
    /// boards the manager lists as seen since the run began.
    pub boards_beating: u64,
    pub boards_seen: u64,
    /// The managers' memory (all of them together).
    pub server_idle: Option<Mem>,
    pub server_loaded: Option<Mem>,
    /// PostgreSQL's (the server and its backends) under load, and its CPU
    /// over the window, percent of one core; `None` on sled.
    pub postgres_loaded: Option<Mem>,
    pub postgres_cpu_pct: Option<f64>,
    /// How many managers served the boards.
    pub managers: u16,
    /// The data directory on disk with the boards registered, and after
    /// the run (the manager stopped), KiB.
    pub store_before_kib: u64,
    pub store_kib: u64,
    /// Requests slower than the p99 target, and in how many distinct
    /// seconds of the window (by scheduled time) they fell: a few seconds
    /// means the server stalled now and then rather than ran behind.
    pub slow: u64,
    pub slow_seconds: u64,
    /// When those seconds began (UTC), to find them in the manager's log.
    pub slow_at: Vec<DateTime<Utc>>,
    /// CPU time over the window, percent of one core.
    pub server_cpu_pct: f64,
    pub sim_cpu_pct: f64,
    /// /proc/loadavg when the window ended.
    pub loadavg: String,
    /// The manager's memory and data directory over the run (`--sample-every`).
    pub samples: Vec<Sample>,
}

/// The manager's memory and its data directory's size at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the boards started.
    pub t_s: f64,
    pub mem: Mem,
    pub disk_kib: u64,
    /// Of `disk_kib`: sled's directory and the logs' (proof of play,
    /// heartbeat history).
    pub db_kib: u64,
    pub journal_kib: u64,
}

/// Least-squares slope of `y` over `x`, per unit of `x`.
fn slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return f64::NAN;
    }
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

impl FleetReport {
    pub fn errors(&self) -> u64 {
        self.routes.iter().flat_map(|r| r.errors.values()).sum()
    }

    /// Every route answered with p99 under `limit_ms`, and without errors.
    pub fn passes(&self, limit_ms: f64) -> bool {
        self.errors() == 0 && self.routes.iter().all(|r| r.ok == 0 || r.p99_ms < limit_ms)
    }
}

#[derive(Debug, Default)]
struct Rec {
    lat: [Vec<f64>; 3],
    scheduled: [u64; 3],
    errors: [BTreeMap<String, u64>; 3],
    lag: Vec<f64>,
    /// Second of the window (by scheduled time) of each slow request.
    slow: Vec<u64>,
    last_done: Option<Instant>,
    full_shows: u64,
    playlog_sent: u64,
    playlog_stored: u64,
}

#[derive(Debug)]
struct Ctx {
    url: String,
    clients: Vec<reqwest::Client>,
    creds: Vec<String>,
    /// Boards start here; the window is `measure_from .. end`.
    t0: Instant,
    t0_utc: DateTime<Utc>,
    measure_from: Instant,
    end: Instant,
    heartbeat: f64,
    playlog_every: f64,
    playlog_age: f64,
    playlog_events: u16,
    slow_ms: f64,
    beating: AtomicU64,
    rec: Mutex<Rec>,
}

impl Ctx {
    fn utc(&self, at: Instant) -> DateTime<Utc> {
        self.t0_utc + chrono::Duration::from_std(at.saturating_duration_since(self.t0)).unwrap_or_default()
    }
}

enum Req {
    Beat(Box<BoardStatus>),
    Show,
    Playlog(PlaylogBatch),
}

/// What a board says in its heartbeat: three zones, as a real player would.
fn status(ctx: &Ctx, rng: &mut StdRng, boot: DateTime<Utc>, at: Instant) -> BoardStatus {
    let now = ctx.utc(at);
    let notice = rng.gen_range(0..NOTICES.len());
    BoardStatus {
        player_version: env!("CARGO_PKG_VERSION").into(),
        uptime_s: (now - boot).num_seconds().max(0) as u64,
        interval_s: ctx.heartbeat.ceil().max(1.0) as u32,
        show_version: 1,
        show_since: Some(boot + chrono::Duration::seconds(20)),
        pending_version: None,
        layout: Some(LAYOUT_KEY.into()),
        zones: vec![
            ZoneNow {
                zone: "gio".into(),
                item: Some(0),
                kind: "clock".into(),
                label: "clock".into(),
            },
            ZoneNow {
                zone: "chu".into(),
                item: Some(notice),
                kind: "text".into(),
                label: NOTICES[notice].into(),
            },
            ZoneNow {
                zone: "chay".into(),
                item: Some(0),
                kind: "ticker".into(),
                label: TICKER.into(),
            },
        ],
        fps: 60.0 - rng.gen_range(0.0..0.4),
        dropped_frames: rng.gen_range(0..3),
        disk_free_bytes: 12_884_901_888 - rng.gen_range(0..1_048_576),
        display_on: true,
        brightness: 100,
        errors: vec![],
        alert_media: Vec::new(),
        commands_done: None,
        alerts_version: None,
        clock: Some(Utc::now()),
    }
}

/// The plays of the last upload period: notices starting and ending in the
/// text zone, seq counting on from `seq`.
fn playlog(ctx: &Ctx, seq: &mut u64, at: Instant) -> PlaylogBatch {
    let n = usize::from(ctx.playlog_events);
    let now = ctx.utc(at);
    let step = chrono::Duration::milliseconds((ctx.playlog_every * 1000.0 / (n as f64 + 1.0)) as i64);
    let first = now - chrono::Duration::milliseconds(((ctx.playlog_every + ctx.playlog_age) * 1000.0) as i64);
    let mut started = first;
    let events = (0..n)
        .map(|j| {
            let t = first + step * (j as i32 + 1);
            let item = (j / 2) % NOTICES.len();
            let kind = if j % 2 == 0 {
                started = t;
                PlayKind::Start
            } else {
                PlayKind::End
            };
            *seq += 1;
            PlayEvent {
                seq: *seq,
                kind,
                at: t,
                started,
                show_version: 1,
                layout: LAYOUT_KEY.into(),
                zone: "chu".into(),
                item,
                item_kind: "text".into(),
                label: NOTICES[item].into(),
            }
        })
        .collect();
    PlaylogBatch { events }
}

/// One simulated board, from `ctx.t0` until `ctx.end`.
async fn board(ctx: Arc<Ctx>, i: usize) {
    let mut rng = StdRng::seed_from_u64(0xB0A2_D000 ^ i as u64);
    let beat = rng.gen_range(0.0..ctx.heartbeat);
    // Seconds after t0 of the next beat, show poll and playlog upload.
    let mut next = [
        beat,
        (beat + ctx.heartbeat / 2.0) % ctx.heartbeat,
        rng.gen_range(0.0..ctx.playlog_every),
    ];
    let period = [ctx.heartbeat, ctx.heartbeat, ctx.playlog_every];
    let boot = ctx.t0_utc - chrono::Duration::seconds(rng.gen_range(600..30 * 86_400));
    let window = ctx.end.saturating_duration_since(ctx.t0).as_secs_f64();
    let mut seq = 0u64;
    let mut beat_sent = false;
    let mut inflight = Vec::new();
    loop {
        let k = (0..3).min_by(|&a, &b| next[a].total_cmp(&next[b])).unwrap_or(0);
        if next[k] >= window {
            break;
        }
        let due = ctx.t0 + Duration::from_secs_f64(next[k]);
        next[k] += period[k];
        tokio::time::sleep_until(due.into()).await;
        let req = match ROUTES[k] {
            Route::Beat => {
                if !beat_sent {
                    beat_sent = true;
                    ctx.beating.fetch_add(1, Ordering::Relaxed);
                }
                Req::Beat(Box::new(status(&ctx, &mut rng, boot, due)))
            }
            Route::Show => Req::Show,
            Route::Playlog => Req::Playlog(playlog(&ctx, &mut seq, due)),
        };
        inflight.push(tokio::spawn(send(ctx.clone(), i, due, req)));
    }
    for h in inflight {
        let _ = h.await;
    }
}

fn request_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
    .into()
}

/// What a successful answer adds to the tallies.
#[derive(Default)]
struct Answer {
    full_show: bool,
    stored: u64,
}

async fn exchange(ctx: &Ctx, i: usize, req: &Req) -> Result<Answer, String> {
    let client = &ctx.clients[i % ctx.clients.len()];
    let cred = &ctx.creds[i];
    let url = &ctx.url;
    let rb = match req {
        Req::Beat(s) => client.post(format!("{url}/api/v1/board/heartbeat")).json(s),
        Req::Show => client
            .get(format!("{url}/api/v1/board/show"))
            .header(reqwest::header::IF_NONE_MATCH, "\"1\""),
        Req::Playlog(b) => client.post(format!("{url}/api/v1/board/playlog")).json(b),
    };
    let r = rb.bearer_auth(cred).send().await.map_err(|e| request_error(&e))?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| request_error(&e))?;
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Answer::default());
    }
    if !status.is_success() {
        return Err(status.as_u16().to_string());
    }
    match req {
        Req::Show => Ok(Answer {
            full_show: true,
            ..Answer::default()
        }),
        // Until the typed heartbeat lands the manager answers 204.
        Req::Beat(_) if body.is_empty() => Ok(Answer::default()),
        Req::Beat(_) => {
            let reply: HeartbeatReply = serde_json::from_slice(&body).map_err(|_| "reply".to_string())?;
            if reply.show_version == 1 {
                Ok(Answer::default())
            } else {
                Err("reply".into())
            }
        }
        Req::Playlog(b) => {
            let ack: PlaylogAck = serde_json::from_slice(&body).map_err(|_| "reply".to_string())?;
            let last = b.events.last().map_or(0, |e| e.seq);
            if ack.last_seq == last {
                Ok(Answer {
                    stored: ack.stored as u64,
                    ..Answer::default()
                })
            } else {
                Err("reply".into())
            }
        }
    }
}

async fn send(ctx: Arc<Ctx>, i: usize, due: Instant, req: Req) {
    let lag = due.elapsed().as_secs_f64() * 1000.0;
    let r = exchange(&ctx, i, &req).await;
    let done = Instant::now();
    if due < ctx.measure_from {
        return;
    }
    let ms = done.saturating_duration_since(due).as_secs_f64() * 1000.0;
    let route = match req {
        Req::Beat(_) => Route::Beat,
        Req::Show => Route::Show,
        Req::Playlog(_) => Route::Playlog,
    } as usize;
    let mut rec = ctx.rec.lock().expect("recorder");
    rec.scheduled[route] += 1;
    rec.lag.push(lag);
    if ms >= ctx.slow_ms {
        let second = due.duration_since(ctx.measure_from).as_secs();
        rec.slow.push(second);
    }
    rec.last_done = rec.last_done.max(Some(done));
    if let Req::Playlog(b) = &req {
        rec.playlog_sent += b.events.len() as u64;
    }
    match r {
        Ok(a) => {
            rec.lat[route].push(ms);
            rec.full_shows += u64::from(a.full_show);
            rec.playlog_stored += a.stored;
        }
        Err(e) => *rec.errors[route].entry(e).or_default() += 1,
    }
}

/// `pid` and its descendants (PostgreSQL's backends are the server's children).
pub(super) fn tree(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for t in tasks.flatten() {
                let kids = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
                out.extend(kids.split_whitespace().filter_map(|k| k.parse::<u32>().ok()));
            }
        }
        i += 1;
    }
    out
}

/// The memory of several processes together (peaks added: an upper bound).
pub(super) fn mem_sum(pids: &[u32]) -> Option<Mem> {
    pids.iter().map(|&p| mem(p)).try_fold(Mem::default(), |acc, m| {
        let m = m?;
        Some(Mem {
            rss_kib: acc.rss_kib + m.rss_kib,
            pss_kib: acc.pss_kib + m.pss_kib,
            hwm_kib: acc.hwm_kib + m.hwm_kib,
        })
    })
}

pub(super) fn cpu_sum(pids: &[u32]) -> f64 {
    pids.iter()
        .map(|p| cpu_s(&p.to_string()))
        .filter(|c| c.is_finite())
        .sum()
}

/// RSS, PSS (from smaps_rollup) and peak RSS of a process.
fn mem(pid: u32) -> Option<Mem> {
    let field = |text: &str, name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(Mem {
        rss_kib: field(&rollup, "Rss:")?,
        pss_kib: field(&rollup, "Pss:")?,
        hwm_kib: field(&status, "VmHWM:").unwrap_or(0),
    })
}

/// CPU seconds (user + system, all threads) of a process ("self" or a pid).
fn cpu_s(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command name; utime and stime are fields 14 and 15
    // of the whole line, in USER_HZ ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Boards the manager lists as seen at or after `since`, asked as an
/// officer would (sign in, list the unit's boards).
/// Several managers learn of beats another took within a few seconds
/// (docs/cluster.md): with `patience`, ask again until `want` are seen.
async fn boards_seen(url: &str, since: DateTime<Utc>, want: u64, patience: Duration) -> Result<u64> {
    let c = reqwest::Client::new();
    let (cookie, _) = bench_session(&c, url).await?;
    let asked = Instant::now();
    loop {
        let boards: Vec<serde_json::Value> = c
            .get(format!("{url}/api/v1/units/{BENCH_UNIT}/boards"))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let seen = boards
            .iter()
            .filter_map(|b| b.get("last_seen")?.as_str()?.parse::<DateTime<Utc>>().ok())
            .filter(|t| *t >= since)
            .count() as u64;
        if seen >= want || asked.elapsed() >= patience {
            return Ok(seen);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Run the fleet of `n` boards once against a manager started from `exe`
/// (a `bangtin-manager` binary) over a fresh data directory.
pub fn measure(exe: &Path, a: &FleetArgs, n: u32) -> Result<FleetReport> {
    let dir = std::env::temp_dir().join(format!("bangtin-fleet-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = measure_in(exe, a, n, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn measure_in(exe: &Path, a: &FleetArgs, n: u32, dir: &Path) -> Result<FleetReport> {
    let pg = a.postgres.then(crate::harness::postgres::Postgres::start_durable);
    let db = pg.as_ref().map(|p| p.new_db());
    // Where the records live: the data directory, or PostgreSQL's.
    let store_dir = pg.as_ref().map_or(dir.to_path_buf(), |p| p.data_dir());
    let t = Instant::now();
    let creds = populate_store(dir, db.as_deref(), n, LAYOUT)?;
    let populate_s = t.elapsed().as_secs_f64();
    let store_before_kib = disk_kib(&store_dir);
    let managers = Managers::start(exe, db.as_deref(), dir, a.managers, &[])?;
    let procs = Procs {
        managers: managers.pids(),
        postgres: pg.as_ref().map(|p| p.pid()),
        store_dir: store_dir.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = rt.block_on(drive(a, n, creds, managers.url(), &procs, populate_s, dir));
    drop(rt);
    managers.stop(Duration::from_secs(30))?;
    report.map(|r| FleetReport {
        store_before_kib,
        store_kib: disk_kib(&store_dir) + if pg.is_some() { disk_kib(dir) } else { 0 },
        managers: a.managers,
        ..r
    })
}

/// The processes measured: the managers and PostgreSQL.
struct Procs {
    managers: Vec<u32>,
    postgres: Option<u32>,
    store_dir: std::path::PathBuf,
}

async fn drive(
    a: &FleetArgs,
    n: u32,
    creds: Vec<String>,
    url: String,
    procs: &Procs,
    populate_s: f64,
    _dir: &Path,
) -> Result<FleetReport> {
    let pids = procs.managers.clone();
    let server_idle = mem_sum(&pids);
    let clients = (0..a.clients)
        .map(|_| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs_f64(a.timeout))
                .pool_idle_timeout(Duration::from_secs_f64(a.heartbeat * 4.0 + 60.0))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Time to spawn the boards before the first is due.
    let t0 = Instant::now() + Duration::from_millis(200 + u64::from(n) / 100);
    let measure_from = t0 + Duration::from_secs_f64(a.warmup);
    let end = measure_from + Duration::from_secs_f64(a.seconds);
    let t0_utc = Utc::now() + chrono::Duration::from_std(t0 - Instant::now()).unwrap_or_default();
    let measure_from_utc = t0_utc + chrono::Duration::from_std(measure_from - t0).unwrap_or_default();
    let ctx = Arc::new(Ctx {
        url: url.clone(),
        clients,
        creds,
        t0,
        t0_utc,
        measure_from,
        end,
        heartbeat: a.heartbeat,
        playlog_every: a.playlog_every,
        playlog_age: a.playlog_age,
        playlog_events: a.playlog_events,
        slow_ms: a.p99_ms,
        beating: AtomicU64::new(0),
        rec: Mutex::new(Rec::default()),
    });
    let boards: Vec<_> = (0..n as usize).map(|i| tokio::spawn(board(ctx.clone(), i))).collect();
    let sampler = (a.sample_every > 0.0).then(|| {
        let (every, dir) = (Duration::from_secs_f64(a.sample_every), procs.store_dir.clone());
        let pids = pids.clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            let mut next = t0;
            while next <= end {
                tokio::time::sleep_until(next.into()).await;
                let d = dir.clone();
                let (disk_kib, db_kib, journal_kib) = tokio::task::spawn_blocking(move || {
                    (disk_kib(&d), disk_kib(&d.join("db")), disk_kib(&d.join("journal")))
                })
                .await
                .unwrap_or_default();
                if let Some(m) = mem_sum(&pids) {
                    let s = Sample {
                        t_s: next.duration_since(t0).as_secs_f64(),
                        mem: m,
                        disk_kib,
                        db_kib,
                        journal_kib,
                    };
                    println!(
                        "        t = {:>6.0} s: RSS {:>6.1} MiB, PSS {:>6.1} MiB, dữ liệu (data) {:>7.1} MiB (sled {:>7.1}, nhật ký/journal {:>7.1})",
                        s.t_s,
                        mib(m.rss_kib),
                        mib(m.pss_kib),
                        mib(disk_kib),
                        mib(db_kib),
                        mib(journal_kib)
                    );
                    out.push(s);
                }
                next += every;
            }
            out
        })
    });
    let pg_tree = || procs.postgres.map(tree).unwrap_or_default();
    tokio::time::sleep_until(measure_from.into()).await;
    let (s0, m0, p0) = (cpu_sum(&pids), cpu_s("self"), cpu_sum(&pg_tree()));
    tokio::time::sleep_until(end.into()).await;
    let (s1, m1, p1) = (cpu_sum(&pids), cpu_s("self"), cpu_sum(&pg_tree()));
    let server_loaded = mem_sum(&pids);
    let postgres_loaded = procs.postgres.and_then(|_| mem_sum(&pg_tree()));
    let load = loadavg();
    let samples = match sampler {
        Some(h) => h.await.unwrap_or_default(),
        None => Vec::new(),
    };
    for b in boards {
        let _ = b.await;
    }
    let beating = ctx.beating.load(Ordering::Relaxed);
    let patience = Duration::from_secs(if procs.managers.len() > 1 { 10 } else { 0 });
    let boards_seen = boards_seen(&url, t0_utc - chrono::Duration::seconds(1), beating, patience)
        .await
        .unwrap_or_else(|e| {
            eprintln!("không đọc được danh sách bảng tin (cannot list boards): {e:#}");
            0
        });
    let cpu_window = end.duration_since(measure_from).as_secs_f64();
    let mut rec = std::mem::take(&mut *ctx.rec.lock().expect("recorder"));
    let mut all: Vec<f64> = rec.lat.iter().flatten().copied().collect();
    let ok: usize = rec.lat.iter().map(Vec::len).sum();
    let scheduled: u64 = rec.scheduled.iter().sum();
    let span = rec
        .last_done
        .map_or(end, |d| d.max(end))
        .duration_since(measure_from)
        .as_secs_f64();
    let routes = ROUTES
        .iter()
        .map(|&r| {
            let i = r as usize;
            let v = &mut rec.lat[i];
            RouteReport {
                route: r.name(),
                scheduled: rec.scheduled[i],
                ok: v.len() as u64,
                p50_ms: pct(v, 0.5),
                p99_ms: pct(v, 0.99),
                max_ms: pct(v, 1.0),
                errors: std::mem::take(&mut rec.errors[i]),
            }
        })
        .collect();
    Ok(FleetReport {
        boards: n,
        seconds: a.seconds,
        populate_s,
        offered_rps: scheduled as f64 / a.seconds,
        achieved_rps: ok as f64 / span,
        routes,
        all_p99_ms: pct(&mut all, 0.99),
        send_lag_p99_ms: pct(&mut rec.lag, 0.99),
        full_shows: rec.full_shows,
        playlog_sent: rec.playlog_sent,
        playlog_stored: rec.playlog_stored,
        boards_beating: ctx.beating.load(Ordering::Relaxed),
        boards_seen,
        server_idle,
        server_loaded,
        postgres_loaded,
        postgres_cpu_pct: procs.postgres.map(|_| (p1 - p0) / cpu_window * 100.0),
        managers: 1,
        store_before_kib: 0,
        store_kib: 0,
        slow: rec.slow.len() as u64,
        slow_seconds: rec.slow.iter().collect::<std::collections::BTreeSet<_>>().len() as u64,
        slow_at: rec
            .slow
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|s| measure_from_utc + chrono::Duration::seconds(*s as i64))
            .collect(),
        server_cpu_pct: (s1 - s0) / cpu_window * 100.0,
        sim_cpu_pct: (m1 - m0) / cpu_window * 100.0,
        loadavg: load,
        samples,
    })
}

fn mib(k: u64) -> f64 {
    k as f64 / 1024.0
}

fn print_report(r: &FleetReport, limit_ms: f64) {
    for (j, rt) in r.routes.iter().enumerate() {
        let errors = if rt.errors.is_empty() {
            "0".to_string()
        } else {
            rt.errors
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let head = if j == 0 {
            format!("{:>7} | {:>6.0} {:>6.0}", r.boards, r.offered_rps, r.achieved_rps)
        } else {
            format!("{:>7} | {:>6} {:>6}", "", "", "")
        };
        println!(
            "{head} | {:<9} {:>7} | {:>8.2} {:>8.2} {:>8.2} | {}",
            rt.route, rt.scheduled, rt.p50_ms, rt.p99_ms, rt.max_ms, errors
        );
    }
    let m = |m: Option<Mem>| {
        m.map_or("?".into(), |m| {
            format!(
                "RSS {:.0} MiB, PSS {:.0} MiB, đỉnh (peak) {:.0} MiB",
                mib(m.rss_kib),
                mib(m.pss_kib),
                mib(m.hwm_kib)
            )
        })
    };
    println!(
        "        máy chủ (manager): {} khi tải (under load), {} lúc rỗi (idle); CPU {:.0} % một lõi (of one core); dữ liệu trên đĩa (data on disk) {:.0} MiB, trước khi chạy (before) {:.0} MiB",
        m(r.server_loaded),
        m(r.server_idle),
        r.server_cpu_pct,
        mib(r.store_kib),
        mib(r.store_before_kib)
    );
    if let (Some(pm), Some(pc)) = (r.postgres_loaded, r.postgres_cpu_pct) {
        println!(
            "        PostgreSQL ({} máy quản lý/managers): {} khi tải (under load); CPU {pc:.0} % một lõi (of one core)",
            r.managers,
            m(Some(pm))
        );
    }
    println!(
        "        yêu cầu chậm ≥ {limit_ms} ms (slow requests): {} trong (in) {} giây khác nhau (distinct seconds) của {}",
        r.slow, r.slow_seconds, r.seconds
    );
    if !r.slow_at.is_empty() {
        let at: Vec<String> = r.slow_at.iter().map(|t| t.format("%H:%M:%S").to_string()).collect();
        println!("        giây chậm (slow seconds, UTC): {}", at.join(", "));
    }
    println!(
        "        trình giả lập (simulator): CPU {:.0} %, gửi trễ (send lag) p99 {:.2} ms; tải máy (load avg) {}; đăng ký (registering) {:.1} s",
        r.sim_cpu_pct, r.send_lag_p99_ms, r.loadavg, r.populate_s
    );
    println!(
        "        nhịp tim ghi nhận (boards seen by the manager) {}/{}; nhật ký phát (playlog) lưu {}/{} sự kiện (events stored); show 200 thay vì 304: {}",
        r.boards_seen, r.boards_beating, r.playlog_stored, r.playlog_sent, r.full_shows
    );
    if r.samples.len() >= 4 {
        // The second half of the run: past warm-up and the caches filling.
        let half = &r.samples[r.samples.len() / 2..];
        let per_h =
            |f: &dyn Fn(&Sample) -> f64| slope(&half.iter().map(|s| (s.t_s / 3600.0, f(s))).collect::<Vec<_>>());
        let (rss, disk) = (per_h(&|s| mib(s.mem.rss_kib)), per_h(&|s| mib(s.disk_kib)));
        println!(
            "        nửa sau (second half, {} mẫu/samples): RSS {rss:+.1} MiB/giờ (per hour), dữ liệu (data) {disk:+.1} MiB/giờ = {:+.2} GiB/ngày (per day)",
            half.len(),
            disk * 24.0 / 1024.0
        );
    }
    println!(
        "        p99 mọi đường < {limit_ms} ms và không lỗi (every route p99 < {limit_ms} ms, no errors): {}",
        if r.passes(limit_ms) {
            "đạt (yes)"
        } else {
            "KHÔNG (no)"
        }
    );
}

/// Run every fleet size of `a` against managers started from `exe`.
pub fn run(exe: &Path, a: FleetArgs) -> Result<()> {
    println!(
        "# bangtin-load fleet: mỗi bảng (each board) POST heartbeat mỗi {} s, GET show (If-None-Match → 304) mỗi {} s, POST playlog {} sự kiện mỗi {} s; đo {} s sau {} s khởi động (measured after warm-up); {} client HTTP dùng chung (shared keep-alive clients)",
        a.heartbeat, a.heartbeat, a.playlog_events, a.playlog_every, a.seconds, a.warmup, a.clients
    );
    println!(
        "# {} lõi CPU dùng chung cho trình giả lập và máy chủ (CPU cores shared by the simulator and the manager process); tải máy lúc bắt đầu (load avg at start): {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!(
        "# kho dữ liệu (store): {}",
        if a.postgres {
            format!(
                "PostgreSQL (fsync on), {} máy quản lý{} (managers)",
                a.managers,
                if a.managers > 1 {
                    " sau haproxy (behind haproxy)"
                } else {
                    ""
                }
            )
        } else {
            "sled".to_string()
        }
    );
    println!(
        "# độ trễ tính từ giờ hẹn gửi đến hết câu trả lời, ms (latency from scheduled send to end of response, open-loop)"
    );
    println!(
        "{:>7} | {:>6} {:>6} | {:<9} {:>7} | {:>8} {:>8} {:>8} | errors",
        "boards", "offer", "req/s", "route", "count", "p50", "p99", "max"
    );
    let mut best = None;
    for &n in &a.boards {
        let r = measure(exe, &a, n)?;
        print_report(&r, a.p99_ms);
        if r.passes(a.p99_ms) {
            best = best.max(Some(n));
        }
    }
    match best {
        Some(n) => println!(
            "N lớn nhất có p99 < {} ms (largest N with p99 < {} ms): {n}",
            a.p99_ms, a.p99_ms
        ),
        None => println!(
            "không N nào đạt p99 < {} ms (no N with p99 < {} ms)",
            a.p99_ms, a.p99_ms
        ),
    }
    Ok(())
}
