//! `bangtin-load bench`: latency and throughput of the routes boards call
//! most — fetch the show, send a heartbeat — with many registered boards.
//!
//! The server runs as its own process (`bangtin-manager serve`) on loopback
//! over a fresh data directory; this process is the load generator. Load is
//! open-loop at a fixed rate and latency is measured from each request's
//! scheduled time, so a stalled server cannot hide its queue (no
//! coordinated omission).

use super::manager::{Server, populate};
use super::pct;
use anyhow::Result;
use std::path::Path;
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

#[derive(Debug, Default)]
struct Stats {
    show: Vec<f64>,
    beat: Vec<f64>,
    errors: u64,
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
        commands_done: None,
        alerts_version: None,
        clock: Some(chrono::Utc::now()),
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

/// Run the benchmark against managers started from `exe`.
pub fn run(exe: &Path, a: BenchArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "# bangtin-load bench: {} req/s offered (half GET /api/v1/board/show, half POST /api/v1/board/heartbeat), {} s per run",
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
        let server = Server::start(exe, &dir, &[])?;
        let url = server.url.clone();
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
