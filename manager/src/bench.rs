//! `bangtin-manager bench`: latency and throughput of the routes boards call
//! most — fetch the show, send a heartbeat — with many registered boards.
//!
//! The server runs as its own process (this binary's `serve`) on loopback
//! over a fresh data directory; this process is the load generator. Load is
//! open-loop at a fixed rate and latency is measured from each request's
//! scheduled time, so a stalled server cannot hide its queue (no
//! coordinated omission).

use crate::accounts::{NewUser, create_unit, create_user};
use crate::accounts::{new_secret, secret_hash};
use crate::model::{Board, Role, Unit, key};
use crate::store::Op;
use crate::{AppState, Config};
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Số bảng tin đăng ký (registered boards; repeatable)
    #[arg(long = "boards", default_values_t = [1000u32, 10000])]
    pub boards: Vec<u32>,
    /// Số yêu cầu mỗi giây (offered requests per second)
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Thời gian đo mỗi lượt, giây (seconds measured per run)
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
}

const LAYOUT: &str = r##"[board]
width = 384
height = 192
[[zone]]
id = "gio"
x = 0
y = 0
width = 384
height = 40
[[zone.item]]
type = "clock"
[[zone]]
id = "chu"
x = 0
y = 40
width = 384
height = 152
[[zone.item]]
type = "text"
title = "Thông báo"
body = "Ủy ban nhân dân xã tổ chức tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở xã."
[[zone.item]]
type = "ticker"
text = "Cảnh báo lũ quét, sạt lở đất — người dân không đi qua ngầm, tràn khi nước chảy xiết."
"##;

/// The administrator [`populate`] creates, and its password.
pub(crate) const BENCH_USER: &str = "bench";
pub(crate) const BENCH_PASSWORD: &str = "mat-khau-do-hieu-nang";
/// The unit [`populate`] puts every board in.
pub(crate) const BENCH_UNIT: &str = "05443";

/// Fill a data directory with `n` claimed boards (`brd_bench0` …), each with
/// a signed show of `layout` (TOML) at version 1; returns their credentials.
pub(crate) fn populate(dir: &std::path::Path, n: u32, layout: &str) -> Result<Vec<String>> {
    let state = AppState::open(Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    })?;
    let unit = Unit {
        code: BENCH_UNIT.into(),
        name: "Xã Định Hóa".into(),
        parent: None,
        timezone: "Asia/Ho_Chi_Minh".into(),
    };
    create_unit(&*state.store, "bench", &unit)?;
    create_user(
        &*state.store,
        "bench",
        NewUser {
            username: BENCH_USER.into(),
            display_name: String::new(),
            password: BENCH_PASSWORD.into(),
            role: Role::Admin,
            units: vec![],
        },
    )?;
    let raw =
        bangtin_layouts::parse_raw(layout, std::path::Path::new("bench.toml")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = chrono::Utc::now();
    let mut creds = Vec::with_capacity(n as usize);
    let mut ops = Vec::new();
    for i in 0..n {
        let id = format!("brd_bench{i}");
        let cred = new_secret("bb_");
        let board = Board {
            id: id.clone(),
            unit: unit.code.clone(),
            name: format!("Bảng {i}"),
            groups: vec![],
            disabled: false,
            claimed_by: "bench".into(),
            claimed_at: now,
            show_version: 1,
            last_seen: None,
            display: Default::default(),
        };
        let show = bangtin_layouts::show::Show {
            schema: bangtin_layouts::show::SHOW_SCHEMA.into(),
            board: id.clone(),
            version: 1,
            issued_at: now,
            valid_from: now,
            valid_until: now + chrono::Duration::days(28),
            timezone: unit.timezone.clone(),
            slots: vec![bangtin_layouts::schedule::Slot {
                start: now,
                end: now + chrono::Duration::days(28),
                layout: Some("lay_1@1".into()),
            }],
            layouts: [("lay_1@1".to_string(), raw.clone())].into_iter().collect(),
            media: vec![],
            display: Default::default(),
        };
        ops.push(Op::put(key::board(&id), &board));
        ops.push(Op::put(key::board_cred(&secret_hash(&cred)), &id));
        ops.push(Op::put(
            key::show(&id),
            &bangtin_layouts::show::sign(&show, &state.key.0),
        ));
        creds.push(cred);
        if ops.len() >= 3000 {
            state.store.apply(std::mem::take(&mut ops))?;
        }
    }
    state.store.apply(ops)?;
    state.store.flush()?;
    Ok(creds)
}

/// A `bangtin-manager serve` child process; killed when dropped.
#[derive(Debug)]
pub(crate) struct Server(Child);

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Stop gracefully (SIGTERM: requests in flight finish, the store is
    /// flushed) and wait up to `wait`; killed if it takes longer.
    pub(crate) fn stop(mut self, wait: Duration) -> Result<()> {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if self.0.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::bail!("máy chủ không dừng sau {wait:?} (server did not stop)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `exe serve` on a free loopback port over `dir`; returns its URL.
pub(crate) fn start_server(exe: &std::path::Path, dir: &std::path::Path) -> Result<(Server, String)> {
    let mut server = Server(
        Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the server")?,
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().context("stdout")?).read_line(&mut line)?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .context("server printed no address")?
        .to_string();
    Ok((server, url))
}

#[derive(Debug, Default)]
struct Stats {
    show: Vec<f64>,
    beat: Vec<f64>,
    errors: u64,
}

/// The `p` quantile (0–1) of `v`, sorting it; NaN when empty.
pub(crate) fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A board's heartbeat body ([`bangtin_layouts::wire::BoardStatus`]).
fn beat_body() -> Arc<Vec<u8>> {
    let now = chrono::Utc::now();
    let zone = |zone: &str, kind: &str, label: &str| bangtin_layouts::wire::ZoneNow {
        zone: zone.into(),
        item: Some(0),
        kind: kind.into(),
        label: label.into(),
    };
    let status = bangtin_layouts::wire::BoardStatus {
        player_version: env!("CARGO_PKG_VERSION").into(),
        uptime_s: 86_400,
        interval_s: bangtin_layouts::wire::DEFAULT_HEARTBEAT_SECONDS,
        show_version: 1,
        show_since: Some(now - chrono::Duration::hours(1)),
        pending_version: None,
        layout: Some("lay_1@1".into()),
        zones: vec![zone("gio", "clock", "clock"), zone("chu", "text", "Thông báo")],
        fps: 60.0,
        dropped_frames: 0,
        disk_free_bytes: 12_884_901_888,
        display_on: true,
        brightness: 100,
        errors: vec![],
        alert_media: Vec::new(),
    };
    Arc::new(serde_json::to_vec(&status).expect("status serialises"))
}

async fn load(url: &str, creds: Arc<Vec<String>>, rate: u32, seconds: u32) -> (Stats, f64) {
    let body = beat_body();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let stats = Arc::new(std::sync::Mutex::new(Stats::default()));
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let total = u64::from(rate) * u64::from(seconds);
    let start = Instant::now() + Duration::from_millis(100);
    let mut handles = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, creds, stats, url, body) = (
            client.clone(),
            creds.clone(),
            stats.clone(),
            url.to_string(),
            body.clone(),
        );
        handles.push(tokio::spawn(async move {
            let cred = &creds[(i as usize * 7919) % creds.len()];
            let show = i % 2 == 0;
            let r = if show {
                client
                    .get(format!("{url}/api/v1/board/show"))
                    .bearer_auth(cred)
                    .send()
                    .await
            } else {
                client
                    .post(format!("{url}/api/v1/board/heartbeat"))
                    .bearer_auth(cred)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
            };
            let ok = match r {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            let mut s = stats.lock().expect("stats");
            match (ok, show) {
                (false, _) => s.errors += 1,
                (true, true) => s.show.push(ms),
                (true, false) => s.beat.push(ms),
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let s = std::mem::take(&mut *stats.lock().expect("stats"));
    let done = (s.show.len() + s.beat.len()) as f64;
    (s, done / elapsed)
}

pub fn run(a: BenchArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "# bangtin-manager bench: {} req/s offered (half GET /api/v1/board/show, half POST /api/v1/board/heartbeat), {} s per run",
        a.rate, a.seconds
    );
    println!(
        "{:>8} | {:>9} | {:>10} {:>10} | {:>10} {:>10} | {:>9} | {:>6}",
        "boards", "req/s", "show p50", "show p99", "beat p50", "beat p99", "all p99", "errors"
    );
    for n in &a.boards {
        let dir = std::env::temp_dir().join(format!("bangtin-bench-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let creds = Arc::new(populate(&dir, *n, LAYOUT)?);
        let (server, url) = start_server(&std::env::current_exe()?, &dir)?;
        // Warm the connection pool and the server's caches.
        rt.block_on(load(&url, creds.clone(), a.rate.min(500), 1));
        let (mut s, rps) = rt.block_on(load(&url, creds.clone(), a.rate, a.seconds));
        drop(server);
        let mut all: Vec<f64> = s.show.iter().chain(&s.beat).copied().collect();
        println!(
            "{:>8} | {:>9.0} | {:>7.2} ms {:>7.2} ms | {:>7.2} ms {:>7.2} ms | {:>6.2} ms | {:>6}",
            n,
            rps,
            pct(&mut s.show, 0.5),
            pct(&mut s.show, 0.99),
            pct(&mut s.beat, 0.5),
            pct(&mut s.beat, 0.99),
            pct(&mut all, 0.99),
            s.errors
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
