//! Offline boards are noticed: a unit's threshold lists the boards past it
//! (API and dashboard), and its webhook is called once when a board goes
//! offline and once when it comes back — through a real manager on
//! 127.0.0.1 and a real HTTP receiver on loopback.

use bangtin_tests::harness::manager::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback webhook receiver: every JSON body it gets.
fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/canh-bao", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            if let Ok(v) = serde_json::from_slice(&body) {
                g.lock().unwrap().push(v);
            }
            let mut c = c;
            let _ = c.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

async fn wait_for(got: &Arc<Mutex<Vec<Value>>>, n: usize, secs: u64) -> Vec<Value> {
    let t = Instant::now();
    loop {
        let v = got.lock().unwrap().clone();
        if v.len() >= n || t.elapsed() > Duration::from_secs(secs) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_boards_are_listed_and_the_webhook_told_once_each_way() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |c| {
        c.watch_every_s = 1;
        c.min_offline_alert_s = 1;
    })
    .await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let editor = user(&s, &admin, "bt.a", "editor", COMMUNE_A).await;
    let other = user(&s, &admin, "bt.b", "editor", COMMUNE_B).await;
    let (board, me, _) = pair(&s, &editor, COMMUNE_A, "Bảng chợ").await;
    let (url, got) = receiver();

    // Only administrators choose where the manager calls; bad values are
    // refused at their field.
    let (st, v) = editor
        .call(
            Method::PUT,
            &format!("/api/v1/units/{COMMUNE_A}/watch"),
            Some(json!({"offline_after_s": 2, "webhook_url": url})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/units/{COMMUNE_A}/watch"),
            Some(json!({"offline_after_s": 0, "webhook_url": url})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "offline_after_s");
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/units/{COMMUNE_A}/watch"),
            Some(json!({"offline_after_s": 2, "webhook_url": "ftp://x/"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "webhook_url");
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/units/{COMMUNE_A}/watch"),
            Some(json!({"offline_after_s": 2, "webhook_url": url})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = editor.get(&format!("/api/v1/units/{COMMUNE_A}/watch")).await;
    assert_eq!((st, v["offline_after_s"].as_u64()), (StatusCode::OK, Some(2)));

    // The board beats every second, then falls silent: offline after three
    // missed beats, past the threshold two seconds later.
    let (st, _) = me.post("/api/v1/board/heartbeat", board_status(1, 0)).await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = editor.get("/api/v1/boards/offline").await;
    assert_eq!(v, json!([]), "a beating board is not listed");
    let events = wait_for(&got, 1, 20).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "board.offline");
    assert_eq!(events[0]["board"], board.as_str());
    assert_eq!(events[0]["unit"], COMMUNE_A);
    assert!(
        events[0]["message"].as_str().unwrap().contains("mất kết nối"),
        "{events:?}"
    );
    let (_, v) = editor.get("/api/v1/boards/offline").await;
    assert_eq!(v[0]["board"], board.as_str(), "{v}");
    let (_, v) = other.get("/api/v1/boards/offline").await;
    assert_eq!(v, json!([]), "another commune's officer sees none of it");
    // Told once: no repeat while it stays silent.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(got.lock().unwrap().len(), 1);

    // The dashboard lists it, past the threshold (an administrator's
    // session; the accounts made above must change their password first).
    let page = Client::login(&s, "tinh", PASSWORD)
        .await
        .request(Method::GET, "/boards")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"long-offline\"") && page.contains("Bảng chợ"),
        "{page}"
    );

    // Back: told once more.
    let (st, _) = me.post("/api/v1/board/heartbeat", board_status(30, 0)).await;
    assert_eq!(st, StatusCode::OK);
    let events = wait_for(&got, 2, 10).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1]["event"], "board.online");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(got.lock().unwrap().len(), 2);
    s.stop().await;
}
