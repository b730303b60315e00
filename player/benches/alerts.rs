//! Emergency path, ingest to screen: `cargo bench -p bangtin-player --bench alerts`
//! (`-- BOARDS ALERTS` to choose; default: 1 and 50 boards, 200 alerts each).
//!
//! A real manager (in this process, real sled, real HTTP on 127.0.0.1) and
//! N real headless boards (`bangtin-player run --manager`, separate
//! processes) showing a published show. A registered source then sends
//! CAP emergencies one after another, each signed; for every alert and
//! every board we measure from the moment the source *sends* the alert
//! (so signature checking, parsing, storing and signing the boards' sets
//! are all included) to the moment that board switched its screen to the
//! alert (the player logs `màn hình: Alert …` when it swaps the scene; the
//! frame is drawn in the same loop turn). Each alert is then cancelled
//! and every board must be back on its show before the next one.

use bangtin_tests::harness::boards::*;
use bangtin_tests::harness::manager::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// The board program cargo built for this benchmark.
const PLAYER: &str = env!("CARGO_BIN_EXE_bangtin-player");

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let runs: Vec<(usize, usize)> = match args[..] {
        [b, a, ..] => vec![(b, a)],
        [b] => vec![(b, 200)],
        _ => vec![(1, 200), (50, 200)],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("# ingest → screen latency of CAP emergencies (sent → board switched to the alert)");
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "boards", "alerts", "p50 ms", "p99 ms", "max ms", "back p50"
    );
    for (n, alerts) in runs {
        rt.block_on(run(n, alerts));
    }
}

/// Instants at which each player logged `what` (after `from` lines).
fn seen_since(p: &Player, from: usize, what: &str) -> Option<usize> {
    let lines = p.lines.lock().unwrap();
    lines.iter().skip(from).position(|l| l.contains(what)).map(|i| from + i)
}

async fn run(n: usize, alerts: usize) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("manager");
    seed(&data);
    let s = Server::start(&data, |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let turns = new_layout(&admin, &turns_toml()).await;
    schedule(&admin, &turns).await;
    let mut players = Vec::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let bd = dir.path().join(format!("board-{i}"));
        let p = spawn_player(PLAYER, &s.url, &bd, 30);
        let (id, _) = claim(&admin, &p, &bd.join("config")).await;
        assert!(publish(&admin, &id).await >= 1);
        ids.push(id);
        players.push(p);
    }
    for p in &players {
        p.wait_line("Show {", Duration::from_secs(120)).await;
    }
    let (st, src) = admin
        .post("/api/v1/sources", json!({"name": "HTTTN tỉnh", "units": [PROVINCE]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{src}");
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(src["key"].as_str().unwrap())
        .unwrap();
    let sid = src["source"]["id"].as_str().unwrap().to_string();
    let mut lat = Vec::new();
    let mut back = Vec::new();
    for i in 0..alerts {
        let id = format!("BENCH-{i:05}");
        let marks: Vec<usize> = players.iter().map(|p| p.lines.lock().unwrap().len()).collect();
        let body = cap(&id, "Alert", "", "Immediate", "2099-01-01T00:00:00+07:00");
        let t0 = Instant::now();
        let (st, v) = source_post(&s.url, &sid, &key, "/api/v1/alerts", "application/cap+xml", &body).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
        let want = format!("cap:{id}");
        let mut pending: Vec<usize> = (0..n).collect();
        while !pending.is_empty() {
            pending.retain(|&k| {
                if seen_since(&players[k], marks[k], &want).is_some() {
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    false
                } else {
                    true
                }
            });
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "alert {id} never reached {pending:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let marks: Vec<usize> = players.iter().map(|p| p.lines.lock().unwrap().len()).collect();
        let refs = format!("\n  <references>htttn@thainguyen.example,{id},2026-09-17T06:30:00+07:00</references>");
        let body = cap(
            &format!("{id}-HUY"),
            "Cancel",
            &refs,
            "Immediate",
            "2099-01-01T00:00:00+07:00",
        );
        let t1 = Instant::now();
        let (st, v) = source_post(&s.url, &sid, &key, "/api/v1/alerts", "application/cap+xml", &body).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
        let mut pending: Vec<usize> = (0..n).collect();
        while !pending.is_empty() {
            pending.retain(|&k| {
                if seen_since(&players[k], marks[k], "Show {").is_some() {
                    back.push(t1.elapsed().as_secs_f64() * 1000.0);
                    false
                } else {
                    true
                }
            });
            assert!(
                t1.elapsed() < Duration::from_secs(30),
                "cancel of {id} never reached {pending:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let q = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    println!(
        "{:>6} {:>7} {:>9.0} {:>9.0} {:>9.0} {:>9.0}",
        n,
        alerts,
        q(&mut lat, 0.5),
        q(&mut lat, 0.99),
        q(&mut lat, 1.0),
        q(&mut back, 0.5)
    );
    drop(players);
    s.stop().await;
}
