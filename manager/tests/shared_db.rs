//! Two managers on one PostgreSQL database (issue #16): what one accepts
//! reaches boards whose event stream the other holds, within a second;
//! read-modify-writes from both at once lose nothing; board liveness is
//! the same at both; one of them runs the background work, and the other
//! takes over when it goes.

use bangtin_manager::Config;
use bangtin_tests::harness::manager::{COMMUNE_A, Client, Events, PASSWORD, Server, board_status, pair, seed_config};
use bangtin_tests::harness::postgres::Postgres;
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn cfg(data: &Path, url: &str) -> Config {
    Config {
        data_dir: data.to_path_buf(),
        store: Some(url.to_string()),
        requests_per_second: 1000,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_managers_share_one_database() {
    let pg = Postgres::start();
    let url = pg.new_db();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    seed_config(cfg(da.path(), &url));
    // The second manager signs with the first one's key, copied; one
    // with a key of its own is refused before it serves.
    let dc = tempfile::tempdir().unwrap();
    let e = bangtin_manager::AppState::open(cfg(dc.path(), &url)).unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("show-signing.key") && e.contains("copy"), "{e}");
    assert!(!dc.path().join("show-signing.key").exists(), "no key of its own made");
    std::fs::copy(da.path().join("show-signing.key"), db.path().join("show-signing.key")).unwrap();
    let a = Server::on_postgres(da.path(), &url).await;
    let b = Server::on_postgres(db.path(), &url).await;

    let admin = Client::token(&a, "tinh", PASSWORD).await;
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": "xa.a", "password": PASSWORD, "role": "editor", "units": [COMMUNE_A]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // Signed in at A, the token works at B.
    let officer_a = Client::token(&a, "xa.a", PASSWORD).await;
    let officer_b = officer_a.at(&b);
    let (id, board_a, key) = pair(&a, &officer_a, COMMUNE_A, "Bảng UBND").await;
    let board_b = board_a.at(&b);
    assert!(!key.is_empty());

    // The board's stream at B; the publish at A reaches it within 1 s.
    let mut ev = Events::open(&board_b).await;
    assert_eq!(
        ev.next(Duration::from_secs(3)).await,
        Some(json!({"type": "show", "version": 0}))
    );
    let mut worst = Duration::ZERO;
    for v in 1..=5u64 {
        let t = Instant::now();
        let (st, p) = officer_a.post(&format!("/api/v1/boards/{id}/publish"), json!({})).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        assert_eq!(
            ev.next(Duration::from_secs(2)).await,
            Some(json!({"type": "show", "version": v})),
            "publish {v} at A reaches the stream at B"
        );
        worst = worst.max(t.elapsed());
    }
    println!("publish at A to the stream at B: worst {worst:?} of 5");
    assert!(worst < Duration::from_secs(1), "{worst:?}");
    // A command given at A, pushed through B.
    let (st, c) = officer_a
        .post(
            &format!("/api/v1/boards/{id}/commands"),
            json!({"action": "screenshot"}),
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{c}");
    let got = ev.next(Duration::from_secs(2)).await.expect("the command");
    assert_eq!(
        (got["type"].as_str(), got["id"].as_str()),
        (Some("command"), c["id"].as_str())
    );

    // Publishes at both at once: every one counted, none overwritten.
    let mut jobs = Vec::new();
    for i in 0..10 {
        let o = if i % 2 == 0 {
            officer_a.clone()
        } else {
            officer_b.clone()
        };
        let path = format!("/api/v1/boards/{id}/publish");
        jobs.push(tokio::spawn(async move { o.post(&path, json!({})).await }));
    }
    let mut versions = Vec::new();
    for j in jobs {
        let (st, p) = j.await.unwrap();
        assert_eq!(st, StatusCode::OK, "{p}");
        versions.push(p["version"].as_u64().unwrap_or(0));
    }
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(versions.len(), 10, "ten publishes, ten versions: {versions:?}");
    let (_, bd) = officer_b.get(&format!("/api/v1/boards/{id}")).await;
    assert_eq!(bd["show_version"].as_u64(), Some(15), "{bd}");

    // The limits against guessing count at both: wrong passwords for one
    // name, alternately at A and B, are refused after login_per_minute (5)
    // in all, whichever manager is asked next.
    let anon = [Client::anonymous(&a), Client::anonymous(&b)];
    let guess = json!({"username": "khach.la", "password": "khong-phai-mat-khau"});
    for i in 0..5 {
        let (st, v) = anon[i % 2].post("/api/v1/auth/login", guess.clone()).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    for c in &anon {
        let (st, v) = c.post("/api/v1/auth/login", guess.clone()).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");
    }
    // Both healthy on PostgreSQL; one of them leads (once it has taken the
    // lock), never both.
    let t = Instant::now();
    loop {
        let mut leaders = 0;
        for c in &anon {
            let (st, h) = c.get("/api/v1/health").await;
            assert_eq!(
                (st, h["status"].as_str(), h["store"].as_str()),
                (StatusCode::OK, Some("ok"), Some("postgres")),
                "{h}"
            );
            leaders += usize::from(h["leader"] == true);
        }
        assert!(leaders <= 1, "two leaders");
        if leaders == 1 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no leader");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Liveness: beats at A, B says online too (it reads the latest beats
    // every few seconds).
    let (st, r) = board_a.post("/api/v1/board/heartbeat", board_status(2, 15)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let t = Instant::now();
    loop {
        let (_, v) = officer_b.get(&format!("/api/v1/boards/{id}/status")).await;
        if v["online"] == true {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(8), "B sees the beat A took: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Beating at B from now on: A does not call it offline.
    let until = Instant::now() + Duration::from_secs(9);
    while Instant::now() < until {
        let (st, _) = board_b.post("/api/v1/board/heartbeat", board_status(2, 15)).await;
        assert_eq!(st, StatusCode::OK);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let (_, v) = officer_a.get(&format!("/api/v1/boards/{id}/status")).await;
    assert_eq!(v["online"], true, "A: {v}");
    let (st, hist) = officer_a.get(&format!("/api/v1/boards/{id}/heartbeats")).await;
    assert_eq!(st, StatusCode::OK, "{hist}");
    let offline = hist["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["online"] == false)
        .count();
    assert_eq!(offline, 0, "never marked offline while beating at the other: {hist}");

    // One of them leads; stopping it hands the work to the other.
    drop(ev);
    a.stop().await;
    let (st, v) = officer_b.get("/api/v1/boards").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    b.stop().await;
    drop(pg);
}
