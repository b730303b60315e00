//! Structured logs (issue #15, item 7): the manager binary with
//! `BANGTIN_LOG_FORMAT=json` writes one JSON object a line, and what a
//! request logs carries its request id (also sent back as `x-request-id`),
//! route pattern and board.

use bangtin_tests::harness::manager::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_log_lines_carry_its_id_route_and_board() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let port = free_port();
    let log_path = dir.path().join("manager.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangtin-manager"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(dir.path())
        .env("BANGTIN_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while reqwest::get(format!("{url}/api/openapi.json")).await.is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "the manager starts");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = Server::fake(&url);
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (id, board, _) = pair(&s, &admin, COMMUNE_A, "Bảng chợ").await;
    // A board holding a newer show than the manager's: the manager logs
    // that it catches up, from the heartbeat's request.
    let r = board
        .request(reqwest::Method::POST, "/api/v1/board/heartbeat")
        .json(&board_status(30, 500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!rid.is_empty());
    // Every line is JSON; find the catch-up's.
    let t = Instant::now();
    let line = loop {
        let text = std::fs::read_to_string(&log_path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        if let Some(l) = lines.into_iter().find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("the manager was behind this board's show"))
        }) {
            break l;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "the catch-up is logged:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let span = &line["span"];
    assert_eq!(span["request_id"], rid.as_str(), "{line}");
    assert_eq!(span["route"], "/api/v1/board/heartbeat", "{line}");
    assert_eq!(span["method"], "POST", "{line}");
    assert_eq!(span["board"], id.as_str(), "{line}");
    assert_eq!(line["level"], "WARN");
    // A request id from a reverse proxy is kept.
    let r = admin
        .request(reqwest::Method::GET, "/api/v1/boards")
        .header("x-request-id", "proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "proxy-42");
    // SIGTERM: a graceful stop, logged as JSON too.
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("shutting down gracefully"), "{text}");
}
