//! `bangtin-load soak`: the manager's long-running work for a long time,
//! with its memory and its data on disk read every so often (issue #11).
//!
//! A real manager (`bangtin-manager serve`, its own process, a fresh data
//! directory, loopback) and, in this process, everything that keeps it
//! busy day and night in a province:
//!
//! - **boards** (simulated, `--boards`): a heartbeat every `--heartbeat`
//!   seconds, proof of play every `--playlog-every`, and an **event
//!   stream** (SSE) held open, dropped and opened again every `--reconnect`
//!   seconds; a board told of new alerts fetches its alert set;
//! - **liveness**: every `--silent-every` seconds a tenth of the boards
//!   stop beating for four periods, so the manager marks them offline and
//!   online again;
//! - **commands**: an officer sends a command to a board every
//!   `--command-every` seconds (pushed on its stream);
//! - **alerts**: a registered source sends a signed CAP emergency every
//!   `--alert-every` seconds and cancels it half a period later (alert sets
//!   compiled, signed, stored and pushed to every board);
//! - **feeds**: the manager polls an RSS feed served here every
//!   `--feed-every` seconds; every `--feed-new-every` polls it has a new
//!   entry (priority: it goes to the boards' alert sets for a day);
//! - **loudspeakers**, when `snapserver` and `snapclient` are installed: a
//!   Snapcast zone on loopback announces every emergency (espeak-ng).
//!
//! A period of 0 leaves that work out, so each can be measured alone.
//!
//! RSS and PSS of the manager and the size of its data directory are read
//! every `--sample` seconds; growth is reported after `--warmup` as in the
//! player's soak (the last third of the samples against the first), disk
//! as MiB per hour and per day.

use super::manager::{BENCH_UNIT, Server, bench_session, disk_kib, populate};
use anyhow::{Context, Result, bail};
use bangtin_layouts::wire::{BoardStatus, Push};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct SoakArgs {
    /// Số bảng tin mô phỏng (simulated boards)
    #[arg(long, default_value_t = 200)]
    pub boards: u32,
    /// Thời gian chạy, giây (seconds to run)
    #[arg(long, default_value_t = 1800)]
    pub seconds: u64,
    /// Đo bộ nhớ và đĩa mỗi … giây (sample every SECONDS)
    #[arg(long, default_value_t = 30)]
    pub sample: u64,
    /// Bỏ qua … giây đầu khi tính mức tăng (warm-up left out of the growth)
    #[arg(long, default_value_t = 120)]
    pub warmup: u64,
    /// Chu kỳ nhịp tim, giây; 0: không gửi (heartbeat period; 0: none)
    #[arg(long, default_value_t = 10)]
    pub heartbeat: u64,
    /// Chu kỳ gửi nhật ký phát, giây; 0: không gửi (proof-of-play upload period; 0: none)
    #[arg(long, default_value_t = 60)]
    pub playlog_every: u64,
    /// Mở lại luồng sự kiện mỗi … giây (reopen each event stream every SECONDS)
    #[arg(long, default_value_t = 60)]
    pub reconnect: u64,
    /// Một phần mười số bảng im lặng mỗi … giây (a tenth of the boards go silent every SECONDS)
    #[arg(long, default_value_t = 300)]
    pub silent_every: u64,
    /// Gửi lệnh tới một bảng mỗi … giây (a command to a board every SECONDS)
    #[arg(long, default_value_t = 2)]
    pub command_every: u64,
    /// Cảnh báo CAP khẩn cấp mỗi … giây, hủy sau nửa chu kỳ (a CAP emergency every SECONDS)
    #[arg(long, default_value_t = 60)]
    pub alert_every: u64,
    /// Máy chủ đọc nguồn tin RSS mỗi … giây (the feed is polled every SECONDS)
    #[arg(long, default_value_t = 10)]
    pub feed_every: u64,
    /// Nguồn tin có tin mới sau mỗi … lần đọc (the feed gains an entry every N polls)
    #[arg(long, default_value_t = 30)]
    pub feed_new_every: u64,
    /// Bảng không giữ luồng sự kiện (boards hold no event stream)
    #[arg(long)]
    pub no_streams: bool,
    /// Không dùng loa Snapcast dù có cài (leave the loudspeakers out)
    #[arg(long)]
    pub no_speakers: bool,
    /// Bộ nhớ đệm của kho dữ liệu, MiB (the store's cache; default: the manager's)
    #[arg(long, value_name = "MIB")]
    pub store_cache_mib: Option<u64>,
    /// Ghi các mẫu ra tệp CSV (write the samples as CSV)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

#[derive(Debug, Default)]
struct Counts {
    beats: AtomicU64,
    beat_errors: AtomicU64,
    playlogs: AtomicU64,
    streams: AtomicU64,
    pushes: AtomicU64,
    alert_fetches: AtomicU64,
    commands: AtomicU64,
    alerts: AtomicU64,
    errors: AtomicU64,
}

/// One reading of the manager.
#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    rss_kib: u64,
    pss_kib: u64,
    /// Pages of the manager alone (not moved by other programs).
    uss_kib: u64,
    disk_kib: u64,
}

/// Threads and open files of a process (a leak of either shows here).
fn threads_fds(pid: u32) -> (u64, usize) {
    let threads = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (threads, fds)
}

fn mib(k: u64) -> f64 {
    k as f64 / 1024.0
}

fn read_mem(pid: u32) -> Option<(u64, u64, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<u64> {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let uss = field("Private_Clean:").unwrap_or(0) + field("Private_Dirty:").unwrap_or(0);
    Some((field("Rss:")?, field("Pss:")?, uss))
}

/// Snapcast on loopback: a server with a TCP source and one client that
/// plays into /dev/null.
struct Snap {
    procs: Vec<Child>,
    control: u16,
    audio: u16,
}

impl Drop for Snap {
    fn drop(&mut self) {
        for c in self.procs.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

impl Snap {
    fn start(dir: &Path) -> Result<Snap> {
        use crate::harness::{manager::free_port, snapcast::write_config};
        let (stream, control, audio) = (free_port(), free_port(), free_port());
        let conf = write_config(dir, stream, control, audio)?;
        let server = Command::new("snapserver")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("snapserver")?;
        let mut snap = Snap {
            procs: vec![server],
            control,
            audio,
        };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", control)).is_err() {
            if t.elapsed() > Duration::from_secs(10) {
                bail!("snapserver did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        snap.procs.push(
            Command::new("snapclient")
                .args(["-h", "127.0.0.1", "-p", &stream.to_string(), "--hostID", "soak"])
                .args(["--player", "file:filename=/dev/null", "--logsink", "null"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("snapclient")?,
        );
        Ok(snap)
    }
}

/// A CAP 1.2 emergency (or its cancellation) for the soak's commune.
fn cap(id: &str, cancel_of: Option<&str>, k: u64) -> String {
    let (msg_type, refs) = match cancel_of {
        Some(r) => (
            "Cancel",
            format!("\n  <references>htttn@soak.example,{r},2026-12-06T06:30:00+07:00</references>"),
        ),
        None => ("Alert", String::new()),
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{id}</identifier>
  <sender>htttn@soak.example</sender>
  <sent>2026-12-06T06:30:00+07:00</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số {n}</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>2099-01-01T00:00:00+07:00</expires>
    <senderName>Ban Chỉ huy PCTT và TKCN tỉnh</senderName>
    <headline>Bão số {n} đổ bộ, gió giật cấp 12: không ra khỏi nhà</headline>
    <description>Mưa 150–250 mm từ chiều nay ({k}).</description>
    <instruction>Không đi qua ngầm, tràn khi nước chảy xiết.</instruction>
    <parameter><valueName>VN_RISK_LEVEL</valueName><value>{risk}</value></parameter>
    <area>
      <areaDesc>Xã Định Hóa</areaDesc>
      <geocode><valueName>VN-ADMIN</valueName><value>{BENCH_UNIT}</value></geocode>
    </area>
  </info>
</alert>"#,
        n = 1 + k % 9,
        risk = 1 + k % 5
    )
}

/// An RSS feed of 20 entries that gains a new one every `new_every`
/// requests; entry `i` is dated `start` + `i` minutes.
async fn feed_server(
    listener: tokio::net::TcpListener,
    polls: Arc<AtomicU64>,
    new_every: u64,
    start: chrono::DateTime<chrono::Utc>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            continue;
        };
        let polls = polls.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let n = polls.fetch_add(1, Ordering::Relaxed) / new_every.max(1);
            // Each entry keeps the date it was published with: a date
            // that moved would make every poll an edit of every entry.
            let items: String = (n.saturating_sub(19)..=n)
                .rev()
                .map(|i| {
                    let at = (start + chrono::TimeDelta::minutes(i as i64)).to_rfc2822();
                    format!(
                        "<item><title>Thông báo số {i}: lịch tiếp công dân</title>\
                         <description>UBND xã tiếp công dân sáng thứ Năm, đợt {i}.</description>\
                         <guid>https://dinhhoa.example/tin/{i}</guid><pubDate>{at}</pubDate></item>"
                    )
                })
                .collect();
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
                 <title>Cổng thông tin xã</title><link>https://dinhhoa.example/</link>\
                 <description>Tin của xã</description>{items}</channel></rss>"
            );
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        });
    }
}

/// Everything the simulated side shares.
struct Sim {
    url: String,
    http: reqwest::Client,
    /// For event streams: no overall timeout (they stay open).
    streams: reqwest::Client,
    creds: Vec<String>,
    a: SoakArgs,
    t0: Instant,
    end: Instant,
    counts: Counts,
}

impl Sim {
    fn secs(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    /// Is board `i` silent at `t` (a tenth of the boards, in turn, for
    /// four heartbeat periods of every `silent_every`)?
    fn silent(&self, i: usize, t: f64) -> bool {
        if self.a.silent_every == 0 {
            return false;
        }
        let every = self.a.silent_every as f64;
        let round = (t / every).floor() as usize;
        round >= 1 && i % 10 == round % 10 && t - round as f64 * every < 4.0 * self.a.heartbeat as f64
    }
}

fn status(i: usize, heartbeat: u64, boot: chrono::DateTime<chrono::Utc>) -> BoardStatus {
    BoardStatus {
        player_version: env!("CARGO_PKG_VERSION").into(),
        uptime_s: (chrono::Utc::now() - boot).num_seconds().max(0) as u64,
        interval_s: heartbeat as u32,
        show_version: 1,
        show_since: Some(boot),
        pending_version: None,
        layout: Some("lay_1@1".into()),
        zones: vec![bangtin_layouts::wire::ZoneNow {
            zone: "chu".into(),
            item: Some(i % 2),
            kind: "text".into(),
            label: "Thông báo".into(),
        }],
        fps: 60.0,
        dropped_frames: 0,
        disk_free_bytes: 12_884_901_888,
        display_on: true,
        brightness: 100,
        errors: vec![],
        alert_media: Vec::new(),
        commands_done: None,
        alerts_version: None,
        clock: Some(chrono::Utc::now()),
    }
}

async fn beats(sim: Arc<Sim>, i: usize) {
    let mut rng = StdRng::seed_from_u64(0x50AC ^ i as u64);
    let hb = sim.a.heartbeat.max(1) as f64;
    let boot = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let never = f64::INFINITY;
    let mut next = if sim.a.heartbeat == 0 {
        never
    } else {
        rng.gen_range(0.0..hb)
    };
    let mut next_log = if sim.a.playlog_every == 0 {
        never
    } else {
        rng.gen_range(0.0..sim.a.playlog_every as f64)
    };
    let mut seq = 0u64;
    loop {
        let first = next.min(next_log);
        if first >= sim.end.duration_since(sim.t0).as_secs_f64() {
            return;
        }
        let due = sim.t0 + Duration::from_secs_f64(first);
        tokio::time::sleep_until(due.into()).await;
        let t = sim.secs();
        if next <= next_log {
            next += hb;
            if sim.silent(i, t) {
                continue;
            }
            let r = sim
                .http
                .post(format!("{}/api/v1/board/heartbeat", sim.url))
                .bearer_auth(&sim.creds[i])
                .json(&status(i, sim.a.heartbeat, boot))
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => sim.counts.beats.fetch_add(1, Ordering::Relaxed),
                _ => sim.counts.beat_errors.fetch_add(1, Ordering::Relaxed),
            };
        } else {
            next_log += sim.a.playlog_every as f64;
            let now = chrono::Utc::now();
            let events: Vec<_> = (0..10)
                .map(|j| {
                    seq += 1;
                    bangtin_layouts::wire::PlayEvent {
                        seq,
                        kind: if j % 2 == 0 {
                            bangtin_layouts::wire::PlayKind::Start
                        } else {
                            bangtin_layouts::wire::PlayKind::End
                        },
                        at: now - chrono::TimeDelta::seconds(10 - j),
                        started: now - chrono::TimeDelta::seconds(10 - (j / 2) * 2),
                        show_version: 1,
                        layout: "lay_1@1".into(),
                        zone: "chu".into(),
                        item: (j as usize / 2) % 2,
                        item_kind: "text".into(),
                        label: "Thông báo".into(),
                    }
                })
                .collect();
            let r = sim
                .http
                .post(format!("{}/api/v1/board/playlog", sim.url))
                .bearer_auth(&sim.creds[i])
                .json(&bangtin_layouts::wire::PlaylogBatch { events })
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => sim.counts.playlogs.fetch_add(1, Ordering::Relaxed),
                _ => sim.counts.errors.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
}

/// Hold the board's event stream, reopening it every `reconnect` seconds
/// (jittered); fetch the alert set when told it changed.
async fn stream(sim: Arc<Sim>, i: usize) {
    let mut rng = StdRng::seed_from_u64(0x5EE ^ i as u64);
    let every = sim.a.reconnect.max(1) as f64;
    tokio::time::sleep(Duration::from_secs_f64(rng.gen_range(0.0..every.min(5.0)))).await;
    while Instant::now() < sim.end {
        let hold = Duration::from_secs_f64(rng.gen_range(every * 0.5..every * 1.5));
        let until = (Instant::now() + hold).min(sim.end);
        let r = sim
            .streams
            .get(format!("{}/api/v1/board/events", sim.url))
            .bearer_auth(&sim.creds[i])
            .send()
            .await;
        let mut resp = match r {
            Ok(r) if r.status().is_success() => r,
            _ => {
                sim.counts.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        sim.counts.streams.fetch_add(1, Ordering::Relaxed);
        let mut pending = String::new();
        loop {
            let chunk = tokio::time::timeout_at(until.into(), resp.chunk()).await;
            let Ok(Ok(Some(bytes))) = chunk else { break };
            pending.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = pending.find("\n\n") {
                let ev: String = pending.drain(..end + 2).collect();
                for data in ev.lines().filter_map(|l| l.strip_prefix("data:")) {
                    let Ok(p) = serde_json::from_str::<Push>(data.trim()) else {
                        continue;
                    };
                    sim.counts.pushes.fetch_add(1, Ordering::Relaxed);
                    if let Push::Alerts { .. } = p {
                        let r = sim
                            .http
                            .get(format!("{}/api/v1/board/alerts", sim.url))
                            .bearer_auth(&sim.creds[i])
                            .send()
                            .await;
                        if let Ok(r) = r
                            && r.status().is_success()
                            && r.bytes().await.is_ok()
                        {
                            sim.counts.alert_fetches.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        // The connection is dropped here, as a board that loses its network.
    }
}

/// Sign in as the soak's administrator; returns an API token.
async fn admin_token(http: &reqwest::Client, url: &str) -> Result<String> {
    let (cookie, csrf) = bench_session(http, url).await?;
    let v: serde_json::Value = http
        .post(format!("{url}/api/v1/tokens"))
        .header(reqwest::header::COOKIE, cookie)
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({"name": "soak"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(v["token"].as_str().context("no token")?.to_string())
}

async fn admin_post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value> {
    let r = http
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let st = r.status();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    if !st.is_success() {
        bail!("{path}: {st} {v}");
    }
    Ok(v)
}

async fn source_post(sim: &Sim, source: &str, key: &[u8], body: &str) -> Result<()> {
    super::manager::post_cap(&sim.http, &sim.url, source, key, body).await
}

/// Wait for turn `k` of work done every `every` seconds from the start;
/// `false` once that turn falls after the end of the soak.
async fn turn(sim: &Sim, every: u64, k: u64) -> bool {
    let at = sim.t0 + Duration::from_secs(every * k);
    if at >= sim.end {
        return false;
    }
    tokio::time::sleep_until(at.into()).await;
    true
}

async fn alerts(sim: Arc<Sim>, source: String, key: Vec<u8>) {
    let every = sim.a.alert_every.max(2);
    let mut k = 0u64;
    loop {
        k += 1;
        if !turn(&sim, every, k).await {
            return;
        }
        let id = format!("SOAK-{k}");
        match source_post(&sim, &source, &key, &cap(&id, None, k)).await {
            Ok(()) => sim.counts.alerts.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                eprintln!("{e:#}");
                sim.counts.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
        tokio::time::sleep(Duration::from_secs(every / 2)).await;
        if let Err(e) = source_post(&sim, &source, &key, &cap(&format!("{id}-huy"), Some(&id), k)).await {
            eprintln!("{e:#}");
            sim.counts.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn commands(sim: Arc<Sim>, token: String) {
    let every = sim.a.command_every.max(1);
    let mut rng = StdRng::seed_from_u64(0xC0);
    let mut k = 0u64;
    loop {
        k += 1;
        if !turn(&sim, every, k).await {
            return;
        }
        let board = format!("brd_bench{}", rng.gen_range(0..sim.creds.len()));
        let r = admin_post(
            &sim.http,
            &sim.url,
            &token,
            &format!("/api/v1/boards/{board}/commands"),
            serde_json::json!({"action": "reload"}),
        )
        .await;
        match r {
            Ok(_) => sim.counts.commands.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                eprintln!("{e:#}");
                sim.counts.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// Growth between the means of the first and last thirds after `warmup`.
fn growth(samples: &[Sample], warmup: f64, f: fn(&Sample) -> u64) -> (f64, f64, f64) {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.t >= warmup).collect();
    if after.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let third = after.len().div_ceil(3).max(1);
    let mean = |v: &[&Sample]| v.iter().map(|s| mib(f(s))).sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(&after[..third]), mean(&after[after.len() - third..]));
    (a, b, if a > 0.0 { (b - a) / a * 100.0 } else { 0.0 })
}

/// Soak a manager started from `exe`.
pub fn run(exe: &Path, a: SoakArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("bangtin-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let r = run_in(exe, &a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn run_in(exe: &Path, a: &SoakArgs, dir: &Path) -> Result<()> {
    let data = dir.join("data");
    let creds = populate(&data, a.boards, super::fleet::LAYOUT)?;
    let snap = if a.no_speakers
        || a.alert_every == 0
        || !(on_path("snapserver") && on_path("snapclient") && on_path("espeak-ng"))
    {
        None
    } else {
        let d = dir.join("snap");
        std::fs::create_dir_all(&d)?;
        Some(Snap::start(&d)?)
    };
    let mut env = vec![
        ("BANGTIN_MIN_FEED_INTERVAL_S", "1".to_string()),
        ("BANGTIN_SPEAKER_EMERGENCY_REPEAT_S", "60".into()),
        // Boards and the officer stay within their request budgets; the
        // soak measures memory, not the limiter.
        ("BANGTIN_REQUESTS_PER_SECOND", "200".into()),
    ];
    if let Some(m) = a.store_cache_mib {
        env.push(("BANGTIN_STORE_CACHE_MIB", m.to_string()));
    }
    let manager = Server::start(exe, &data, &env)?;
    let pid = manager.pid();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let url = manager.url.clone();
    println!(
        "# bangtin-load soak — {} boards (heartbeat {} s, proof of play {} s, event streams reopened every ~{} s, \
         a tenth silent every {} s), a command every {} s, a CAP emergency every {} s, feed polled every {} s, \
         loudspeakers: {}; {} s, sampled every {} s, warm-up {} s",
        a.boards,
        a.heartbeat,
        a.playlog_every,
        a.reconnect,
        a.silent_every,
        a.command_every,
        a.alert_every,
        a.feed_every,
        if snap.is_some() { "Snapcast on loopback" } else { "none" },
        a.seconds,
        a.sample,
        a.warmup
    );
    let mut csv = match &a.csv {
        Some(p) => {
            let mut f = std::fs::File::create(p).with_context(|| format!("{}", p.display()))?;
            writeln!(f, "t_s,rss_kib,pss_kib,uss_kib,disk_kib")?;
            Some(f)
        }
        None => None,
    };
    let samples = rt.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build()?;
        let token = admin_token(&http, &url).await?;
        let v = admin_post(
            &http,
            &url,
            &token,
            "/api/v1/sources",
            serde_json::json!({"name": "HTTTN tỉnh (soak)", "units": [BENCH_UNIT]}),
        )
        .await?;
        let source = v["source"]["id"].as_str().context("source id")?.to_string();
        let key = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(v["key"].as_str().context("key")?)?
        };
        let polls = Arc::new(AtomicU64::new(0));
        if a.feed_every > 0 {
            let feed_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let feed_url = format!("http://{}/rss.xml", feed_listener.local_addr()?);
            tokio::spawn(feed_server(
                feed_listener,
                polls.clone(),
                a.feed_new_every,
                chrono::Utc::now() - chrono::TimeDelta::hours(1),
            ));
            admin_post(
                &http,
                &url,
                &token,
                "/api/v1/feeds",
                serde_json::json!({"source": source, "url": feed_url, "interval_s": a.feed_every,
                    "targets": {"areas": [BENCH_UNIT]}, "priority": "priority", "max_age_days": 0,
                    "keep_days": 1}),
            )
            .await?;
        }
        if let Some(s) = &snap {
            admin_post(
                &http,
                &url,
                &token,
                &format!("/api/v1/units/{BENCH_UNIT}/speakers"),
                serde_json::json!({"name": "Loa chợ", "control": format!("127.0.0.1:{}", s.control),
                    "audio": format!("127.0.0.1:{}", s.audio), "volume": 80}),
            )
            .await?;
        }
        let t0 = Instant::now();
        let sim = Arc::new(Sim {
            url: url.clone(),
            http: http.clone(),
            streams: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(0)
                .build()?,
            creds,
            a: a.clone(),
            t0,
            end: t0 + Duration::from_secs(a.seconds),
            counts: Counts::default(),
        });
        let mut tasks = Vec::new();
        for i in 0..sim.creds.len() {
            tasks.push(tokio::spawn(beats(sim.clone(), i)));
            if !a.no_streams {
                tasks.push(tokio::spawn(stream(sim.clone(), i)));
            }
        }
        if a.alert_every > 0 {
            tasks.push(tokio::spawn(alerts(sim.clone(), source.clone(), key)));
        }
        if a.command_every > 0 {
            tasks.push(tokio::spawn(commands(sim.clone(), token.clone())));
        }
        let mut samples = Vec::new();
        let mut k = 0u64;
        loop {
            let at = t0 + Duration::from_secs(a.sample.max(1) * k);
            if at > sim.end {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            let (rss, pss, uss) = read_mem(pid).context("the manager is gone")?;
            let s = Sample {
                t: t0.elapsed().as_secs_f64(),
                rss_kib: rss,
                pss_kib: pss,
                uss_kib: uss,
                disk_kib: disk_kib(&data),
            };
            let c = &sim.counts;
            let (threads, fds) = threads_fds(pid);
            println!(
                "t={:>6.0} s  RSS {:>6.1} MiB  PSS {:>6.1} MiB  USS {:>6.1} MiB  data {:>7.1} MiB  threads {threads} files {fds} \
                 | beats {} streams {} pushes {} alert sets {} commands {} alerts {} feed polls {} errors {}",
                s.t,
                mib(s.rss_kib),
                mib(s.pss_kib),
                mib(s.uss_kib),
                mib(s.disk_kib),
                c.beats.load(Ordering::Relaxed),
                c.streams.load(Ordering::Relaxed),
                c.pushes.load(Ordering::Relaxed),
                c.alert_fetches.load(Ordering::Relaxed),
                c.commands.load(Ordering::Relaxed),
                c.alerts.load(Ordering::Relaxed),
                polls.load(Ordering::Relaxed),
                c.errors.load(Ordering::Relaxed) + c.beat_errors.load(Ordering::Relaxed),
            );
            if let Some(f) = &mut csv {
                writeln!(f, "{:.0},{},{},{},{}", s.t, s.rss_kib, s.pss_kib, s.uss_kib, s.disk_kib)?;
                f.flush()?;
            }
            samples.push(s);
            k += 1;
        }
        for t in tasks {
            t.abort();
        }
        if snap.is_some() {
            let v: serde_json::Value = http
                .get(format!("{url}/api/v1/units/{BENCH_UNIT}/speakers"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let spoken: u64 = v[0]["spoken"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["times"].as_u64().unwrap_or(0))
                .sum();
            println!(
                "# loudspeakers: {spoken} announcements recorded; zone status {}",
                v[0]["status"]
            );
        }
        anyhow::Ok(samples)
    })?;
    drop(rt);
    if let Err(e) = manager.stop(Duration::from_secs(20)) {
        eprintln!("{e:#}");
    }
    let warm = a.warmup as f64;
    let (r0, r1, rg) = growth(&samples, warm, |s| s.rss_kib);
    let (p0, p1, pg) = growth(&samples, warm, |s| s.pss_kib);
    let (u0, u1, ug) = growth(&samples, warm, |s| s.uss_kib);
    let after: Vec<&Sample> = samples.iter().filter(|s| s.t >= warm).collect();
    let disk_rate = match (after.first(), after.last()) {
        (Some(f), Some(l)) if l.t > f.t => (mib(l.disk_kib) - mib(f.disk_kib)) / (l.t - f.t) * 3600.0,
        _ => 0.0,
    };
    println!(
        "# RSS {r0:.1} → {r1:.1} MiB ({rg:+.2} %), PSS {p0:.1} → {p1:.1} MiB ({pg:+.2} %), \
         USS {u0:.1} → {u1:.1} MiB ({ug:+.2} %) after warm-up; \
         data directory {disk_rate:+.1} MiB/h ({:+.2} GiB/day)",
        disk_rate * 24.0 / 1024.0
    );
    println!(
        "summary {}",
        serde_json::json!({"rss_warm_mib": r0, "rss_end_mib": r1, "rss_growth_pct": rg,
            "pss_warm_mib": p0, "pss_end_mib": p1, "pss_growth_pct": pg,
            "uss_warm_mib": u0, "uss_end_mib": u1, "uss_growth_pct": ug, "disk_mib_per_hour": disk_rate,
            "samples": samples.len()})
    );
    Ok(())
}
