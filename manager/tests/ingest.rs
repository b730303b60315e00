//! Essential information in, over real HTTP on 127.0.0.1 with a real sled
//! store: a source system registered by an administrator sends signed
//! bulletins and CAP alerts; replays, bad signatures, stale timestamps,
//! foreign targets and bad documents are refused with a reason and leave
//! nothing behind.

use bangtin_manager::sources;
use bangtin_tests::harness::manager::{self, COMMUNE_A, COMMUNE_B, Client, PASSWORD, PROVINCE, Server, seed, user};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Source {
    id: String,
    key: Vec<u8>,
    url: String,
    http: reqwest::Client,
}

fn nonce() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

impl Source {
    async fn send_with(
        &self,
        path: &str,
        ctype: &str,
        body: &[u8],
        ts: i64,
        nonce: &str,
        key: &[u8],
    ) -> (StatusCode, Value) {
        let ts = ts.to_string();
        let sig = sources::sign(key, &ts, nonce, "POST", path, body);
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", ctype)
            .header(sources::HEADER_SOURCE, &self.id)
            .header(sources::HEADER_TIMESTAMP, &ts)
            .header(sources::HEADER_NONCE, nonce)
            .header(sources::HEADER_SIGNATURE, sig)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let st = r.status();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    async fn send(&self, path: &str, ctype: &str, body: &[u8]) -> (StatusCode, Value) {
        let now = chrono::Utc::now().timestamp();
        self.send_with(path, ctype, body, now, &nonce(), &self.key.clone())
            .await
    }

    async fn bulletin(&self, v: &Value) -> (StatusCode, Value) {
        self.send("/api/v1/bulletins", "application/json", v.to_string().as_bytes())
            .await
    }

    async fn alert(&self, xml: &str) -> (StatusCode, Value) {
        self.send("/api/v1/alerts", "application/cap+xml", xml.as_bytes()).await
    }
}

fn sample_bulletin() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/samples/bulletin-normal.json"
    ))
    .expect("../shared/samples is beside the checkout");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["targets"] = json!({ "areas": [ { "level": "commune", "code": COMMUNE_A } ] });
    v
}

fn sample_alert() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/samples/alert-storm.cap.xml"
    ))
    .unwrap()
    .replace("05545", COMMUNE_A)
    .replace("05548", COMMUNE_B)
}

async fn setup(dir: &std::path::Path) -> (Server, Client, Source) {
    seed(dir);
    let s = Server::start(dir, |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (st, v) = admin
        .post(
            "/api/v1/sources",
            json!({ "name": "HTTTN tỉnh Thái Nguyên", "units": [PROVINCE] }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(v["key"].as_str().unwrap())
        .unwrap();
    assert_eq!(key.len(), 32);
    let (_, list) = admin.get("/api/v1/sources").await;
    assert!(list[0].get("key").is_none(), "keys are shown once only: {list}");
    let src = Source {
        id: v["source"]["id"].as_str().unwrap().to_string(),
        key,
        url: s.url.clone(),
        http: reqwest::Client::new(),
    };
    (s, admin, src)
}

async fn queue(admin: &Client, unit: &str) -> Vec<Value> {
    let (st, v) = admin.get(&format!("/api/v1/units/{unit}/bulletins")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulletins_are_signed_idempotent_versioned_and_scoped() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path()).await;
    let b = sample_bulletin();

    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "pending", "a normal bulletin waits for approval");
    assert_eq!(v["duplicate"], false);
    // Same id and version again (a new request, new nonce): accepted once.
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["duplicate"], true);
    assert_eq!(queue(&admin, COMMUNE_A).await.len(), 1);
    assert!(
        queue(&admin, COMMUNE_B).await.is_empty(),
        "another commune sees nothing"
    );

    // Same version, other content: conflict. Higher version: taken.
    let mut changed = b.clone();
    changed["title"] = json!("Lịch tiêm chủng (đã sửa)");
    let (st, v) = src.bulletin(&changed).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    changed["version"] = json!(2);
    let (st, v) = src.bulletin(&changed).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let q = queue(&admin, COMMUNE_A).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["version"], 2);
    assert_eq!(q[0]["title"], "Lịch tiêm chủng (đã sửa)");
    // Lower version: refused, nothing changes.
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("mới hơn"), "{v}");
    assert_eq!(queue(&admin, COMMUNE_A).await[0]["version"], 2);

    // Priority and emergency go live at once.
    let mut p = b.clone();
    p["id"] = json!("uu-tien-1");
    p["priority"] = json!("emergency");
    let (st, v) = src.bulletin(&p).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "live");

    // Targets: unknown codes and units outside the source's are refused.
    let mut bad = b.clone();
    bad["id"] = json!("khong-co-xa");
    bad["targets"] = json!({ "areas": [ { "level": "commune", "code": "99999" } ] });
    let (st, v) = src.bulletin(&bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("99999"), "{v}");
    // A unit of another province, registered by the administrator.
    let (st, _) = admin
        .post(
            "/api/v1/units",
            json!({ "code": "20", "name": "Tỉnh Lạng Sơn", "timezone": "Asia/Ho_Chi_Minh" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    bad["targets"] = json!({ "areas": [ { "level": "province", "code": "20" } ] });
    let (st, v) = src.bulletin(&bad).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");

    // Bad documents: each a 4xx with a reason, nothing stored.
    let (st, v) = src
        .send("/api/v1/bulletins", "application/json", b"{\"schema\": ")
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let mut wrong = b.clone();
    wrong["schema"] = json!("bangtin.bulletin/9");
    let (st, v) = src.bulletin(&wrong).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "schema", "{v}");
    let (st, _) = src
        .send("/api/v1/bulletins", "text/plain", b.to_string().as_bytes())
        .await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let deep = "[".repeat(10_000);
    let (st, _) = src.send("/api/v1/bulletins", "application/json", deep.as_bytes()).await;
    assert!(st.is_client_error(), "{st}");
    assert_eq!(
        queue(&admin, COMMUNE_A).await.len(),
        2,
        "refused documents left nothing"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_bad_signatures_and_stale_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path()).await;
    let body = sample_bulletin().to_string();
    let path = "/api/v1/bulletins";
    let now = chrono::Utc::now().timestamp();
    let n = nonce();
    let (st, v) = src
        .send_with(path, "application/json", body.as_bytes(), now, &n, &src.key)
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    // The very same request again: a replay.
    let (st, v) = src
        .send_with(path, "application/json", body.as_bytes(), now, &n, &src.key)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("nonce"), "{v}");
    // Stale and future timestamps.
    for ts in [now - 301, now + 301] {
        let (st, v) = src
            .send_with(path, "application/json", body.as_bytes(), ts, &nonce(), &src.key)
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    }
    // Another key; a signature for another path; a tampered body.
    let (st, _) = src
        .send_with(path, "application/json", body.as_bytes(), now, &nonce(), b"khoa-sai")
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let n2 = nonce();
    let sig = sources::sign(
        &src.key,
        &now.to_string(),
        &n2,
        "POST",
        "/api/v1/alerts",
        body.as_bytes(),
    );
    let r = src
        .http
        .post(format!("{}{path}", src.url))
        .header("content-type", "application/json")
        .header(sources::HEADER_SOURCE, &src.id)
        .header(sources::HEADER_TIMESTAMP, now.to_string())
        .header(sources::HEADER_NONCE, &n2)
        .header(sources::HEADER_SIGNATURE, sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // No headers at all; an officer's token is not a source's signature.
    let r = reqwest::Client::new()
        .post(format!("{}{path}", src.url))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = admin
        .request(reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(queue(&admin, COMMUNE_A).await.len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cap_alerts_update_and_cancel_through_references() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _admin, src) = setup(dir.path()).await;
    let storm = sample_alert();
    let (st, v) = src.alert(&storm).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "live");
    let (st, v) = src.alert(&storm).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["duplicate"], true);

    // An exercise is kept but does not go live.
    let drill = storm
        .replace("<status>Actual</status>", "<status>Exercise</status>")
        .replace("VN-TN-2026-0917-001", "VN-TN-2026-0917-DRILL");
    let (st, v) = src.alert(&drill).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "not_live");

    // Update, then Cancel, through references.
    let refs = "htttn@thainguyen.example,VN-TN-2026-0917-001,2026-09-17T06:30:00+07:00";
    let update = storm
        .replace("VN-TN-2026-0917-001", "VN-TN-2026-0917-002")
        .replace("<msgType>Alert</msgType>", "<msgType>Update</msgType>")
        .replace(
            "<scope>Public</scope>",
            &format!("<scope>Public</scope>\n  <references>{refs}</references>"),
        )
        .replace("<value>3</value>", "<value>4</value>");
    let (st, v) = src.alert(&update).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "live");
    let refs2 = "htttn@thainguyen.example,VN-TN-2026-0917-002,2026-09-17T06:30:00+07:00";
    let cancel = storm
        .replace("VN-TN-2026-0917-001", "VN-TN-2026-0917-003")
        .replace("<msgType>Alert</msgType>", "<msgType>Cancel</msgType>")
        .replace(
            "<scope>Public</scope>",
            &format!("<scope>Public</scope>\n  <references>{refs2}</references>"),
        );
    let (st, v) = src.alert(&cancel).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "cancelled");
    // A Cancel naming nothing we received.
    let orphan = cancel
        .replace("VN-TN-2026-0917-003", "VN-TN-2026-0917-004")
        .replace("VN-TN-2026-0917-002", "KHONG-CO");
    let (st, v) = src.alert(&orphan).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "references");

    // XML tricks and malformed documents: refused with a reason.
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>{}",
        storm.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    let (st, v) = src.alert(&bomb).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (st, v) = src
        .alert("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>")
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let foreign = storm
        .replace(COMMUNE_A, "99999")
        .replace("VN-TN-2026-0917-001", "VN-TN-2026-0917-005");
    let (st, v) = src.alert(&foreign).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    s.stop().await;
}

/// The alerts in the signed set a board fetches (none: empty).
async fn board_alerts(board: &Client) -> Vec<Value> {
    let (st, v) = board.get("/api/v1/board/alerts").await;
    if st == StatusCode::NOT_FOUND {
        return Vec::new();
    }
    assert_eq!(st, StatusCode::OK, "{v}");
    let set: Value = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
    set["alerts"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_bulletins_reach_a_communes_boards_only_once_its_editor_approves() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path()).await;
    let xa_a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let xa_b = user(&s, &admin, "xa.b", "editor", COMMUNE_B).await;
    let (_, board_a, _) = manager::pair(&s, &admin, COMMUNE_A, "Bảng chợ").await;
    let (_, board_b, _) = manager::pair(&s, &admin, COMMUNE_B, "Bảng UBND").await;
    // To the whole province: it waits in both communes' queues.
    let mut b = sample_bulletin();
    b["targets"] = json!({ "areas": [ { "level": "province", "code": PROVINCE } ] });
    b["schedule"] = json!({ "slots": [ { "start": "06:00", "end": "08:00" } ], "weekdays": [6, 7] });
    let id = b["id"].as_str().unwrap().to_string();
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(
        (st, v["state"].as_str()),
        (StatusCode::ACCEPTED, Some("pending")),
        "{v}"
    );
    assert_eq!(queue(&xa_a, COMMUNE_A).await.len(), 1);
    assert_eq!(queue(&xa_b, COMMUNE_B).await.len(), 1);
    assert!(board_alerts(&board_a).await.is_empty(), "not before approval");
    let approve = |unit: &str| format!("/api/v1/units/{unit}/bulletins/{}/{id}/approve", src.id);
    let reject = |unit: &str| format!("/api/v1/units/{unit}/bulletins/{}/{id}/reject", src.id);

    // Only an editor of the commune decides for it.
    let (st, v) = xa_b.post(&approve(COMMUNE_A), json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (st, v) = xa_a.post(&approve(COMMUNE_A), json!({ "title": "" })).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("title")),
        "{v}"
    );
    let (st, v) = xa_a.post(&approve(COMMUNE_A), json!({ "colour": "red" })).await;
    assert!(st.is_client_error(), "{st} {v}");
    // Approved with a shorter title: commune A's board gets it, B's not.
    let (st, v) = xa_a
        .post(&approve(COMMUNE_A), json!({ "title": "Tiêm chủng sáng thứ Bảy 05/12" }))
        .await;
    assert_eq!((st, v["decision"].as_str()), (StatusCode::OK, Some("approved")), "{v}");
    let got = board_alerts(&board_a).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["id"], format!("bulletin:{}:{id}", src.id));
    assert_eq!(got[0]["level"], "normal");
    assert_eq!(got[0]["headline"], "Tiêm chủng sáng thứ Bảy 05/12");
    assert_eq!(got[0]["slots"], json!([[360, 480]]));
    assert_eq!(got[0]["weekdays"], json!([6, 7]));
    assert!(board_alerts(&board_b).await.is_empty(), "commune B has not approved");
    // Commune B rejects, with a reason it must give.
    let (st, v) = xa_b.post(&reject(COMMUNE_B), json!({ "reason": "  " })).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "{v}"
    );
    let (st, v) = xa_b
        .post(&reject(COMMUNE_B), json!({ "reason": "Xã đã thông báo qua loa" }))
        .await;
    assert_eq!((st, v["decision"].as_str()), (StatusCode::OK, Some("rejected")), "{v}");
    assert!(board_alerts(&board_b).await.is_empty());
    let q = queue(&xa_b, COMMUNE_B).await;
    assert_eq!(q[0]["decisions"][COMMUNE_B]["reason"], "Xã đã thông báo qua loa");
    assert_eq!(q[0]["decisions"][COMMUNE_A]["approved"], true);

    // A new version waits for approval again: off the boards meanwhile.
    b["version"] = json!(2);
    b["summary"] = json!("Đổi giờ: từ 8h00 đến 11h00.");
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert!(board_alerts(&board_a).await.is_empty(), "v2 is not approved yet");
    let (st, _) = xa_a.post(&approve(COMMUNE_A), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(board_alerts(&board_a).await[0]["headline"], b["title"]);
    // Rejected after all: it leaves the board.
    let (st, _) = xa_a.post(&reject(COMMUNE_A), json!({ "reason": "Sai giờ" })).await;
    assert_eq!(st, StatusCode::OK);
    assert!(board_alerts(&board_a).await.is_empty());

    // Priority bulletins need no approval; cancelled ones cannot be approved.
    let mut p = sample_bulletin();
    p["id"] = json!("uu-tien-2");
    p["priority"] = json!("priority");
    p["schedule"] = json!({});
    let (st, v) = src.bulletin(&p).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::ACCEPTED, Some("live")), "{v}");
    let got = board_alerts(&board_a).await;
    assert_eq!((got.len(), got[0]["level"].as_str()), (1, Some("priority")), "{got:?}");
    let (st, v) = xa_a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/bulletins/{}/uu-tien-2/approve", src.id),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("priority")),
        "{v}"
    );
    b["version"] = json!(3);
    b["cancel"] = json!(true);
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = xa_a.post(&approve(COMMUNE_A), json!({})).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("state")),
        "{v}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_over_its_request_budget_still_gets_its_alerts() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |c| c.requests_per_second = 1).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (_, board, _) = manager::pair(&s, &admin, COMMUNE_A, "Bảng chợ").await;
    let mut limited = false;
    for _ in 0..10 {
        let (st, _) = board.get("/api/v1/board/show").await;
        limited |= st == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "the general budget (1/s, burst 4) ran out");
    // The emergency lane has its own budget.
    let (st, v) = board.get("/api/v1/board/alerts").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    s.stop().await;
}

/// A file server on 127.0.0.1 standing in for the source's media host.
async fn media_host(files: Vec<(&'static str, Vec<u8>)>) -> String {
    use axum::routing::get;
    let mut app = axum::Router::new();
    for (path, bytes) in files {
        app = app.route(path, get(move || async move { bytes.clone() }));
    }
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_by_url_is_fetched_and_checked_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, src) = setup(dir.path()).await;
    let (pic, other) = (manager::png(64, 48, 1), manager::png(64, 48, 2));
    let host = media_host(vec![
        ("/anh.png", pic.clone()),
        ("/khac.png", other.clone()),
        ("/chu.txt", b"khong phai anh".to_vec()),
    ])
    .await;
    let stored = |h: &str| dir.path().join("media").join(&h[..2]).join(h).exists();
    let with_items = |id: &str, items: Value| {
        let mut b = sample_bulletin();
        b["id"] = json!(id);
        b["board"] = json!({ "items": items });
        b
    };
    let image = |path: &str, h: &str| json!({ "type": "image", "url": format!("{host}{path}"), "sha256": h });

    // The second file does not match its hash: refused, naming the item,
    // and the first is not kept either.
    let b = with_items(
        "hai-anh",
        json!([image("/anh.png", &sha(&pic)), image("/khac.png", &sha(b"another file"))]),
    );
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "board.items[1].sha256", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("không khớp"), "{v}");
    assert!(!stored(&sha(&pic)), "nothing kept of a refused bulletin");
    // Not found, and not a picture.
    let b = with_items("khong-co", json!([image("/mat.png", &sha(&pic))]));
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("board.items[0].url")),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("404"), "{v}");
    let b = with_items("chu", json!([image("/chu.txt", &sha(b"khong phai anh"))]));
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("board.items[0].url")),
        "{v}"
    );
    assert!(queue(&admin, COMMUNE_A).await.is_empty(), "nothing stored: {v}");

    // Both right: fetched, stored by hash, listed in the record.
    let b = with_items(
        "hai-anh",
        json!([image("/anh.png", &sha(&pic)), image("/khac.png", &sha(&other))]),
    );
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert!(stored(&sha(&pic)) && stored(&sha(&other)));
    let q = queue(&admin, COMMUNE_A).await;
    assert_eq!(q[0]["media"], json!([sha(&pic), sha(&other)]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_can_be_disabled_changed_and_given_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, mut src) = setup(dir.path()).await;
    let path = format!("/api/v1/sources/{}", src.id);
    let b = sample_bulletin();
    // Disabled (a leaked key): everything it signs is refused.
    let (st, v) = admin
        .call(reqwest::Method::PATCH, &path, Some(json!({ "disabled": true })))
        .await;
    assert_eq!((st, v["disabled"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    // A new key: the old one no longer signs, the new one does.
    let (st, v) = admin.post(&format!("{path}/key"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    use base64::Engine;
    let new_key = base64::engine::general_purpose::STANDARD
        .decode(v["key"].as_str().unwrap())
        .unwrap();
    assert_ne!(new_key, src.key);
    let (st, _) = admin
        .call(reqwest::Method::PATCH, &path, Some(json!({ "disabled": false })))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "old key: {v}");
    src.key = new_key;
    let (st, v) = src.bulletin(&b).await;
    assert_eq!(st, StatusCode::ACCEPTED, "new key: {v}");
    // Units narrowed to commune B: commune A is out of its reach now.
    let (st, v) = admin
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "units": [COMMUNE_B], "name": "HTTTN xã B" })),
        )
        .await;
    assert_eq!((st, v["name"].as_str()), (StatusCode::OK, Some("HTTTN xã B")), "{v}");
    let mut other = b.clone();
    other["id"] = json!("khac");
    let (st, v) = src.bulletin(&other).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Bad changes name their field; nothing changes.
    let (st, v) = admin
        .call(reqwest::Method::PATCH, &path, Some(json!({ "units": ["99999"] })))
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("units")),
        "a unit that does not exist: {v}"
    );
    for (body, field) in [
        (json!({ "units": [] }), "units"),
        (json!({ "name": " " }), "name"),
        (json!({ "report_url": "ftp://x.example/r" }), "report_url"),
    ] {
        let (st, v) = admin.call(reqwest::Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(
            (st, v["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {v}"
        );
    }
    let (st, v) = admin
        .call(
            reqwest::Method::PATCH,
            "/api/v1/sources/src_404",
            Some(json!({ "name": "x" })),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (_, list) = admin.get("/api/v1/sources").await;
    assert_eq!(list[0]["units"], json!([COMMUNE_B]));
    s.stop().await;
}
