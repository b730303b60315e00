//! `bangtin-load dashboard`: the officers' boards dashboard over a province
//! of boards — server time (p50, p99) and bytes of each page as a browser
//! asks for it, and the scripts and styles the UI ships (gzip).
//!
//! The manager runs as its own process over a data directory filled with
//! `--boards` claimed boards, half of them beating (online), half silent,
//! so the page sorts and pages a real mix. One client asks for each page
//! `--requests` times in turn, signed in with a session cookie (the
//! officer's request budget lifted for the run).

use super::manager::{Server, bench_session, populate};
use super::pct;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct DashboardArgs {
    /// Số bảng tin đăng ký (registered boards)
    #[arg(long, default_value_t = 1000)]
    pub boards: u32,
    /// Số lần hỏi mỗi trang (requests per page)
    #[arg(long, default_value_t = 200)]
    pub requests: u32,
}

const LAYOUT: &str = r##"[board]
width = 384
height = 192
[[zone]]
id = "chu"
x = 0
y = 0
width = 384
height = 192
[[zone.item]]
type = "text"
title = "Thông báo"
body = "Ủy ban nhân dân xã tổ chức tiếp công dân vào sáng thứ Năm hằng tuần."
"##;

/// gzip -9 of `bytes`, in bytes (what a compressing proxy would send).
fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut c = Command::new("gzip")
        .arg("-9c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("gzip")?;
    c.stdin.take().context("stdin")?.write_all(bytes)?;
    Ok(c.wait_with_output()?.stdout.len())
}

pub fn run(exe: &Path, a: DashboardArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let dir = std::env::temp_dir().join(format!("bangtin-dashboard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let creds = populate(&dir, a.boards, LAYOUT)?;
    // One client asking as fast as it can is far over an officer's request
    // budget (50/s): lift it, this measures the pages, not the limiter.
    let server = Server::start(exe, &dir, &[("BANGTIN_REQUESTS_PER_SECOND", "100000".to_string())])?;
    let url = server.url.clone();
    let r = rt.block_on(drive(&url, &creds, &a));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

async fn drive(url: &str, creds: &[String], a: &DashboardArgs) -> Result<()> {
    let http = reqwest::Client::new();
    // Half the boards beat: online; the rest never did (offline, first).
    for c in creds.iter().step_by(2) {
        let st = serde_json::json!({
            "player_version": "0.1.0", "uptime_s": 42, "interval_s": 60, "show_version": 1,
            "layout": "lay_1@1", "zones": [{"zone": "chu", "item": 0, "kind": "text", "label": "Thông báo"}],
            "fps": 60.0, "dropped_frames": 0, "disk_free_bytes": 1_000_000_000u64,
            "display_on": true, "brightness": 100, "errors": []
        });
        http.post(format!("{url}/api/v1/board/heartbeat"))
            .bearer_auth(c)
            .json(&st)
            .send()
            .await?
            .error_for_status()?;
    }
    let (cookie, _) = bench_session(&http, url).await?;
    let first: String = http
        .get(format!("{url}/boards"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    // The cards' live parts, as the page polls them every 15 s.
    let ids: Vec<String> = first
        .match_indices("id=\"card-")
        .map(|(i, _)| first[i + 9..].split('"').next().unwrap_or("").to_string())
        .collect();
    let live = format!(
        "/boards/live?{}",
        ids.iter().map(|i| format!("ids={i}")).collect::<Vec<_>>().join("&")
    );
    println!(
        "# bangtin-load dashboard: {} boards ({} online), {} requests per page, one client, session cookie",
        a.boards,
        creds.len().div_ceil(2),
        a.requests
    );
    println!(
        "{:<34} | {:>9} {:>9} | {:>9} | {:>9}",
        "page", "p50", "p99", "bytes", "gzip"
    );
    for path in [
        "/boards".to_string(),
        "/boards?page=20".to_string(),
        "/boards?status=offline".to_string(),
        "/boards?q=B%E1%BA%A3ng%2099".to_string(),
        live,
        "/api/v1/boards?per_page=24".to_string(),
    ] {
        let mut ms = Vec::new();
        let mut bytes = Vec::new();
        for _ in 0..a.requests {
            let t = Instant::now();
            let r = http
                .get(format!("{url}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            bytes = r.bytes().await?.to_vec();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let label = if path.starts_with("/boards/live") {
            format!("/boards/live ({} cards)", ids.len())
        } else {
            path.clone()
        };
        println!(
            "{:<34} | {:>6.2} ms {:>6.2} ms | {:>9} | {:>9}",
            label,
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.99),
            bytes.len(),
            gzip_len(&bytes)?
        );
    }
    // What the UI ships: every static file the manager serves.
    let mut total = 0;
    let mut total_gz = 0;
    println!("{:<34} | {:>9} | {:>9}", "static file", "bytes", "gzip");
    for (name, hashed, ctype, _) in bangtin_manager::web::assets::all() {
        if !(ctype.starts_with("text/javascript") || ctype.starts_with("text/css")) {
            continue;
        }
        let b = http.get(format!("{url}/static/{hashed}")).send().await?.bytes().await?;
        let gz = gzip_len(&b)?;
        total += b.len();
        total_gz += gz;
        println!("{name:<34} | {:>9} | {:>9}", b.len(), gz);
    }
    println!("{:<34} | {:>9} | {:>9}", "all scripts and styles", total, total_gz);
    Ok(())
}
