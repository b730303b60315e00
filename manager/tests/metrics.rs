//! Prometheus metrics (issue #15, item 7), over real HTTP on 127.0.0.1
//! with a real sled store: `/metrics` on its own listener, behind a token;
//! requests counted by route pattern (never by id); boards per commune
//! online and offline with their heartbeat figures; an emergency accepted,
//! and an online board that has not taken its alert set counted until it
//! reports it.

use bangtin_tests::harness::manager::*;
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The value of the sample `name{labels}` (labels as written, in order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

async fn scrape(url: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut r = reqwest::Client::new().get(format!("{url}/metrics"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_boards_and_alerts_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let port = free_port();
    let token = "so-lieu-0123456789abcdef";
    let s = Server::start(dir.path(), |c| {
        c.metrics_listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
        c.metrics_token = Some(token.into());
    })
    .await;
    let murl = format!("http://127.0.0.1:{port}");
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let src = SignedSource::register(&s, &admin, json!({"name": "HTTTN tỉnh", "units": [PROVINCE]})).await;
    let (a1, board_a1, _) = pair(&s, &admin, COMMUNE_A, "Bảng chợ").await;
    let (_a2, board_a2, _) = pair(&s, &admin, COMMUNE_A, "Bảng UBND xã").await;
    let (_b1, _board_b1, _) = pair(&s, &admin, COMMUNE_B, "Bảng Phú Đình").await;

    // Not served on the main listener; the token is required.
    let (st, _) = admin.get("/metrics").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, body) = scrape(&murl, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(scrape(&murl, Some("sai")).await.0, StatusCode::UNAUTHORIZED);

    // Two boards of commune A beat (one with an error); B's never does.
    let mut status = board_status(30, 0);
    status["fps"] = json!(50.0);
    status["dropped_frames"] = json!(7);
    status["disk_free_bytes"] = json!(2_000_000_000u64);
    assert_eq!(
        board_a1.post("/api/v1/board/heartbeat", status.clone()).await.0,
        StatusCode::OK
    );
    status["fps"] = json!(60.0);
    status["errors"] = json!(["video hỏng"]);
    // …and its clock is 10 minutes fast.
    status["clock"] = json!((Utc::now() + Duration::minutes(10)).to_rfc3339());
    status["disk_free_bytes"] = json!(1_000_000_000u64);
    assert_eq!(board_a2.post("/api/v1/board/heartbeat", status).await.0, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(admin.get(&format!("/api/v1/boards/{a1}")).await.0, StatusCode::OK);
    }
    assert_eq!(admin.get("/api/v1/boards/khong-co").await.0, StatusCode::NOT_FOUND);

    // An emergency for the province: every board gets a new alert set.
    let bulletin = json!({
        "schema": "bangtin.bulletin/1", "id": "lu-quet-metrics", "version": 1,
        "source": { "system": "HTTTN tỉnh Thái Nguyên", "author": "Ban Chỉ huy PCTT tỉnh" },
        "priority": "emergency", "language": "vi", "title": "Cảnh báo lũ quét",
        "board": { "items": [ { "type": "text", "headline": "Lũ quét", "body": "Không đi qua ngầm." } ] },
        "targets": { "areas": [ { "level": "province", "code": PROVINCE } ] },
        "schedule": { "validTo": (Utc::now() + Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true) }
    });
    let (st, v) = src.bulletin(&bulletin).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");

    let (st, m) = scrape(&murl, Some(token)).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert!(m.ends_with("# EOF\n"), "OpenMetrics text");
    let get = |series: &str| sample(&m, series).unwrap_or_else(|| panic!("{series} in\n{m}"));
    assert_eq!(
        get(r#"bangtin_http_requests_total{route="/api/v1/boards/{id}",method="GET",status="200"}"#),
        3.0,
        "counted by the route's pattern"
    );
    assert_eq!(
        get(r#"bangtin_http_requests_total{route="/api/v1/boards/{id}",method="GET",status="404"}"#),
        1.0
    );
    assert!(!m.contains(a1.as_str()), "no board id in any series");
    assert!(
        get(r#"bangtin_http_request_duration_seconds_count{route="/api/v1/board/heartbeat",method="POST"}"#) >= 2.0
    );
    let a = COMMUNE_A;
    let b = COMMUNE_B;
    assert_eq!(get(&format!(r#"bangtin_boards{{unit="{a}",state="online"}}"#)), 2.0);
    assert_eq!(get(&format!(r#"bangtin_boards{{unit="{b}",state="never"}}"#)), 1.0);
    assert_eq!(get(&format!(r#"bangtin_boards{{unit="{b}",state="online"}}"#)), 0.0);
    assert_eq!(get(&format!(r#"bangtin_board_fps{{unit="{a}"}}"#)), 55.0);
    assert_eq!(get(&format!(r#"bangtin_board_dropped_frames{{unit="{a}"}}"#)), 14.0);
    assert_eq!(get(&format!(r#"bangtin_boards_with_errors{{unit="{a}"}}"#)), 1.0);
    assert_eq!(get(&format!(r#"bangtin_boards_clock_off{{unit="{a}"}}"#)), 1.0);
    assert_eq!(get(&format!(r#"bangtin_board_disk_free_min_bytes{{unit="{a}"}}"#)), 1e9);
    assert_eq!(get(r#"bangtin_alerts_accepted_total{kind="bulletin"}"#), 1.0);
    assert!(get("bangtin_alert_sets_issued_total") >= 3.0, "a set for each board");
    // Both online boards have yet to take their set.
    assert_eq!(get(&format!(r#"bangtin_alert_sets_pending{{unit="{a}"}}"#)), 2.0);
    assert!(get(r#"bangtin_store_bytes{part="sled"}"#) > 0.0);
    assert!(
        get(r#"bangtin_store_bytes{part="journal"}"#) > 0.0,
        "the heartbeat history"
    );

    // a1 fetches its set and says so in its next beat: one left.
    let r = board_a1
        .request(Method::GET, "/api/v1/board/alerts")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let set: Value = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
    let mut status = board_status(30, 0);
    status["alerts_version"] = set["version"].clone();
    assert_eq!(board_a1.post("/api/v1/board/heartbeat", status).await.0, StatusCode::OK);
    let (_, m) = scrape(&murl, Some(token)).await;
    assert_eq!(
        sample(&m, &format!(r#"bangtin_alert_sets_pending{{unit="{a}"}}"#)),
        Some(1.0)
    );
    s.stop().await;
}
