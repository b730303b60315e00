//! The essential-information and loudspeaker pages, through the web UI of
//! a real manager: a local emergency notice issued with the form and its
//! confirmation reaches a paired board's signed alert set and leaves it
//! when cancelled; refusals (no expiry, a viewer, an editor of another
//! commune); a signed source's bulletin approved from its card; "đọc ngay"
//! and "dừng tất cả" heard (and stopped) on a real Snapcast server.

use bangtin_tests::harness::manager::{
    COMMUNE_A, COMMUNE_B, Client, PASSWORD, PROVINCE, Server, SignedSource, pair, seed, user,
};
use bangtin_tests::harness::snapcast::Snap;
use bangtin_tests::harness::web::WebClient;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const NEW_PASSWORD: &str = "mật-khẩu-mới-của-xã-2026";

/// An officer signed in through the UI's form; an account whose password an
/// administrator set changes it first (to [`NEW_PASSWORD`]), as the UI asks.
async fn sign_in(s: &Server, user: &str) -> WebClient {
    let ui = WebClient::sign_in_ready(s, user, PASSWORD, NEW_PASSWORD).await;
    let p = ui.get("/info").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    ui
}

/// The alerts in a board's signed set (`GET /api/v1/board/alerts`).
async fn board_alerts(board: &Client) -> Vec<Value> {
    let (st, env) = board.get("/api/v1/board/alerts").await;
    if st == StatusCode::NOT_FOUND {
        return Vec::new();
    }
    assert_eq!(st, StatusCode::OK, "{env}");
    let set: Value = serde_json::from_str(env["payload"].as_str().unwrap()).unwrap();
    set["alerts"].as_array().unwrap().clone()
}

/// `minutes` from now in the commune's local time, as a `datetime-local`
/// input sends it.
fn local_in(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_emergency_goes_to_the_boards_and_is_cancelled_from_the_page() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let xa_a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let xem_a = user(&s, &admin, "xem.a", "viewer", COMMUNE_A).await;
    let xa_b = user(&s, &admin, "xa.b", "editor", COMMUNE_B).await;
    let (_, board_a, _) = pair(&s, &xa_a, COMMUNE_A, "Bảng chợ Định Hóa").await;
    let (_, board_b, _) = pair(&s, &xa_b, COMMUNE_B, "Bảng UBND Phú Đình").await;
    let ui = sign_in(&s, "xa.a").await;

    // The page and the form, for an editor of the commune.
    let p = ui.get(&format!("/info?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"notice-new\""), "an editor may issue");
    let p = ui.get(&format!("/info/{COMMUNE_A}/notice")).await;
    assert_eq!(p.status, StatusCode::OK);
    let form = p.body;
    for id in [
        "notice-title",
        "notice-text",
        "notice-level-emergency",
        "notice-risk",
        "notice-expires",
    ] {
        assert!(form.contains(&format!("id=\"{id}\"")), "{id} in the form");
    }

    // No expiry: refused at the field, nothing issued.
    let title = "Vỡ đê thôn 3: sơ tán ngay";
    let fields = |expires: String| {
        vec![
            ("title", title.to_string()),
            ("text", "Đê bao thôn 3 bị vỡ lúc 14h, nước lên nhanh.".to_string()),
            ("instruction", "Di chuyển lên trường tiểu học.".to_string()),
            ("level", "emergency".to_string()),
            ("risk", "4".to_string()),
            ("expires", expires),
        ]
    };
    let as_ref = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post = |path: String, f: Vec<(&'static str, String)>| {
        let ui = &ui;
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ui.post(&path, &refs).await
        }
    };
    let preview = format!("/info/{COMMUNE_A}/notice/preview");
    let p = post(preview.clone(), as_ref(&fields(String::new()))).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains("id=\"notice-expires-error\""),
        "the refusal is at the expiry field"
    );
    assert!(p.body.contains("bắt buộc"), "{}", p.body);
    let p = post(preview.clone(), as_ref(&fields(local_in(-30)))).await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an expiry in the past: {}",
        p.body
    );
    assert!(p.body.contains("id=\"notice-expires-error\""));

    // The confirmation shows what and where; only its button issues.
    let good = fields(local_in(120));
    let p = post(preview.clone(), as_ref(&good)).await;
    let confirm = p.body;
    assert_eq!(p.status, StatusCode::OK, "{confirm}");
    assert!(confirm.contains("id=\"notice-confirm\""));
    assert!(
        confirm.contains(title) && confirm.contains("Bảng chợ Định Hóa"),
        "{confirm}"
    );
    assert!(
        !confirm.contains("Bảng UBND Phú Đình"),
        "commune B's board is not reached"
    );
    assert!(confirm.contains("risk-band-4"));
    assert!(board_alerts(&board_a).await.is_empty(), "nothing issued by the preview");
    let issue = format!("/info/{COMMUNE_A}/notice");
    let p = post(issue.clone(), as_ref(&good)).await;
    assert_eq!(p.status, StatusCode::OK, "without the confirm button: back to the form");
    assert!(board_alerts(&board_a).await.is_empty());
    let mut confirmed = as_ref(&good);
    confirmed.push(("confirm", "yes".into()));
    let p = post(issue.clone(), confirmed.clone()).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location, format!("/info?unit={COMMUNE_A}&done=issued"));

    // On commune A's board as a source's emergency is; not on B's.
    let alerts = board_alerts(&board_a).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(
        (&a["headline"], &a["level"], &a["risk_level"]),
        (&json!(title), &json!("emergency"), &json!(4)),
        "{a}"
    );
    assert_eq!(a["instruction"], "Di chuyển lên trường tiểu học.");
    assert_eq!(a["sender"], "Xã Định Hóa");
    assert!(a["id"].as_str().unwrap().starts_with("cap:tb-"), "{a}");
    assert!(
        board_alerts(&board_b).await.is_empty(),
        "commune B's board is untouched"
    );
    let (st, list) = xa_a.get(&format!("/api/v1/units/{COMMUNE_A}/notices")).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let n = &list[0];
    assert_eq!(
        (&n["state"], &n["issued_by"]),
        (&json!("live"), &json!("user:xa.a")),
        "{n}"
    );
    let id = n["id"].as_str().unwrap().to_string();

    // The page lists it in force with its colour, and as a notice to cancel.
    let page = ui.get(&format!("/info?unit={COMMUNE_A}")).await.body;
    let active = &page[page.find("id=\"active-alerts\"").unwrap()..page.find("id=\"notices-h\"").unwrap()];
    assert!(active.contains(title) && active.contains("badge risk-4"), "{active}");
    assert!(active.contains("1/1"), "delivered to the one board: {active}");
    assert!(page.contains("data-test=\"notice-cancel\""));

    // A viewer sees it but can neither issue nor cancel.
    let viewer = sign_in(&s, "xem.a").await;
    let p = viewer.get(&format!("/info?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(title));
    assert!(!p.body.contains("notice-cancel") && !p.body.contains("id=\"notice-new\""));
    let p = viewer.get(&format!("/info/{COMMUNE_A}/notice")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let vconfirmed: Vec<(&str, &str)> = confirmed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(viewer.post(&issue, &vconfirmed).await.status, StatusCode::FORBIDDEN);
    let cancel = format!("/info/{COMMUNE_A}/notices/{id}/cancel");
    assert_eq!(viewer.post(&cancel, &[]).await.status, StatusCode::FORBIDDEN);
    let (st, v) = xem_a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/notices"),
            json!({"title": "x", "text": "y", "level": "priority",
                   "expires": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");

    // An editor of commune B: 404 for A's notice, by the page and the API.
    let ui_b = sign_in(&s, "xa.b").await;
    assert_eq!(ui_b.post(&cancel, &[]).await.status, StatusCode::NOT_FOUND);
    let p = ui_b.get(&format!("/info?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/v1/units/{COMMUNE_A}/notices/{id}/cancel"),
        format!("/api/v1/units/{COMMUNE_B}/notices/{id}/cancel"),
    ] {
        let (st, v) = xa_b.post(&path, json!({})).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    assert_eq!(board_alerts(&board_a).await.len(), 1, "still in force");

    // The API refuses a missing expiry at the field too.
    let (st, v) = xa_a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/notices"),
            json!({"title": "x", "text": "y", "level": "priority"}),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("expires")),
        "{v}"
    );

    // Cancelled from the page: off the board at once; audited.
    let p = ui.post(&cancel, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location, format!("/info?unit={COMMUNE_A}&done=cancelled"));
    assert!(board_alerts(&board_a).await.is_empty(), "cancelled: gone from the set");
    let (st, v) = xa_a
        .post(&format!("/api/v1/units/{COMMUNE_A}/notices/{id}/cancel"), json!({}))
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("state")),
        "{v}"
    );
    let page = ui.get(&format!("/info?unit={COMMUNE_A}")).await.body;
    assert!(!page.contains("data-test=\"notice-cancel\""));
    let (_, audit) = admin.get("/api/v1/audit").await;
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert!(actions.contains(&("notice.issue", "user:xa.a")), "{actions:?}");
    assert!(actions.contains(&("notice.cancel", "user:xa.a")), "{actions:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_sources_bulletin_is_approved_from_its_card() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let xa_a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    user(&s, &admin, "xem.a", "viewer", COMMUNE_A).await;
    user(&s, &admin, "xa.b", "editor", COMMUNE_B).await;
    let src = SignedSource::register(&s, &admin, json!({"name": "HTTTN tỉnh", "units": [PROVINCE]})).await;
    let doc = |id: &str, title: &str| {
        json!({
            "schema": "bangtin.bulletin/1", "id": id, "version": 1,
            "source": { "system": "HTTTN tỉnh Thái Nguyên" },
            "priority": "normal", "language": "vi", "title": title,
            "summary": "Tiêm chủng cho trẻ dưới 5 tuổi.",
            "board": { "items": [ { "type": "text", "body": "Trạm y tế xã tiêm chủng lúc 7h30 thứ Bảy." } ] },
            "targets": { "areas": [ { "level": "commune", "code": COMMUNE_A } ] }
        })
    };
    let (st, v) = src.bulletin(&doc("tiem-chung", "Lịch tiêm chủng")).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let (st, v) = src.bulletin(&doc("cho-phien", "Chợ phiên")).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");

    let ui = sign_in(&s, "xa.a").await;
    let p = ui.get(&format!("/info?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let page = p.body;
    let key = format!("data-bulletin=\"{}/tiem-chung\"", src.id);
    assert!(page.contains(&key), "{page}");
    assert!(page.contains("Tiêm chủng cho trẻ dưới 5 tuổi.") && page.contains("HTTTN tỉnh"));
    assert!(page.contains("Xã Định Hóa"), "target commune named");
    assert!(page.contains("data-test=\"approve\"") && page.contains("data-test=\"reject\""));
    let base = format!("/info/{COMMUNE_A}/bulletins/{}/tiem-chung", src.id);

    // A reason is needed to reject: refused on the card, nothing decided.
    let p = ui.post(&format!("{base}/reject"), &[("reason", " ")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("data-test=\"card-error\""), "{}", p.body);
    let p = ui.htmx(&format!("{base}/reject"), &[("reason", "")]).await;
    assert_eq!(p.status, StatusCode::OK, "htmx swaps 2xx only");
    assert!(
        p.body.contains("data-test=\"card-error\"") && !p.body.contains("<html"),
        "{}",
        p.body
    );

    // Others may not decide: a viewer 403, commune B's editor 404.
    let viewer = sign_in(&s, "xem.a").await;
    let p = viewer.post(&format!("{base}/approve"), &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let ui_b = sign_in(&s, "xa.b").await;
    let p = ui_b.post(&format!("{base}/approve"), &[]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // Approved with an edited title, by htmx: the card comes back decided.
    let p = ui
        .htmx(
            &format!("{base}/approve"),
            &[
                ("title", "Lịch tiêm chủng tháng 12"),
                ("summary", "Tiêm chủng cho trẻ dưới 5 tuổi."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("data-test=\"decided\"") && p.body.contains(&key),
        "{}",
        p.body
    );
    let (_, list) = xa_a.get(&format!("/api/v1/units/{COMMUNE_A}/bulletins")).await;
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "tiem-chung")
        .unwrap();
    let d = &b["decisions"][COMMUNE_A];
    assert_eq!((&d["approved"], &d["by"]), (&json!(true), &json!("user:xa.a")), "{b}");
    assert_eq!(
        d["edits"],
        json!({"title": "Lịch tiêm chủng tháng 12"}),
        "only what changed is an edit"
    );

    // The other one without script, in one tap: back to the page.
    let p = ui
        .post(
            &format!("/info/{COMMUNE_A}/bulletins/{}/cho-phien/approve", src.id),
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location, format!("/info?unit={COMMUNE_A}&done=approved"));
    let page = ui.get(&format!("/info?unit={COMMUNE_A}")).await.body;
    assert!(page.contains("id=\"queue-empty\""), "the queue is empty");
    let active = &page[page.find("id=\"active-alerts\"").unwrap()..];
    assert!(
        active.contains("Chợ phiên") && active.contains("Lịch tiêm chủng"),
        "in force now"
    );
    s.stop().await;
}

async fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "waited {secs} s for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loudspeakers_read_now_and_stop_all_from_the_page() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let xa_a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    user(&s, &admin, "xem.a", "viewer", COMMUNE_A).await;
    let xa_b = user(&s, &admin, "xa.b", "editor", COMMUNE_B).await;
    let snap = Snap::start(dir.path(), "loa-a");
    let (st, z) = admin
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/speakers"),
            json!({"name": "Loa chợ", "control": format!("127.0.0.1:{}", snap.control),
                   "audio": format!("127.0.0.1:{}", snap.audio), "volume": 90}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{z}");
    let zone = z["id"].as_str().unwrap().to_string();
    let (st, _) = admin
        .post(
            &format!("/api/v1/units/{COMMUNE_B}/speakers"),
            json!({"name": "Loa xa", "control": "127.0.0.1:9", "audio": "127.0.0.1:9"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    // The zone, reachable now, its one speaker connected.
    let ui = sign_in(&s, "xa.a").await;
    let p = ui.get(&format!("/speakers?unit={COMMUNE_A}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let page = p.body;
    assert!(page.contains("Loa chợ") && page.contains("Liên lạc được"), "{page}");
    assert!(page.contains("1/1") && page.contains("90 %"), "{page}");
    assert!(page.contains("data-test=\"read-now\"") && page.contains("id=\"speakers-stop-all\""));
    let ui_b = sign_in(&s, "xa.b").await;
    let page_b = ui_b.get(&format!("/speakers?unit={COMMUNE_B}")).await.body;
    assert!(
        page_b.contains("Không liên lạc được"),
        "an unreachable zone is named: {page_b}"
    );

    // Read now: heard on the speaker.
    let read = format!("/speakers/{zone}/read");
    let p = ui.post(&read, &[("text", "  ")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(&format!("id=\"read-{zone}-error\"")), "{}", p.body);
    let from = snap.played();
    let p = ui
        .post(&read, &[("text", "Mời bà con đến nhà văn hóa lúc 8h sáng mai.")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location, format!("/speakers?unit={COMMUNE_A}&done=read"));
    wait_for("the text read now on the speaker", 15, || snap.loud_since(from) > 0.3).await;

    // Others may not: a viewer 403, commune B's editor 404.
    let viewer = sign_in(&s, "xem.a").await;
    let p = viewer.post(&read, &[("text", "Thử")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = ui_b.post(&read, &[("text", "Thử")]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let (st, v) = xa_b
        .post(&format!("/api/v1/units/{COMMUNE_A}/speakers/stop"), json!({}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");

    // A long reading, stopped from the page: silent within a second or so.
    let t = Instant::now();
    loop {
        let (_, zones) = xa_a.get(&format!("/api/v1/units/{COMMUNE_A}/speakers")).await;
        if zones[0]["queued"] == json!([]) && zones[0]["status"]["playing"].is_null() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the first reading never ended: {zones}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let long = "Thông báo của Ủy ban nhân dân xã về lịch cắt điện và lịch tiêm chủng tuần tới. ".repeat(8);
    let p = ui.post(&read, &[("text", long.as_str())]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let second = snap.played();
    wait_for("the long reading", 15, || snap.loud_since(second) > 1.0).await;
    let p = ui.post(&format!("/speakers/unit/{COMMUNE_A}/stop"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.contains("done=stopped"), "{p:?}");
    let cut = snap.played();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = snap.loud_since(cut);
    assert!(after < 1.5, "{after} s of sound after stop all");
    let (_, zones) = xa_a.get(&format!("/api/v1/units/{COMMUNE_A}/speakers")).await;
    assert_eq!(zones[0]["queued"], json!([]), "{zones}");
    let (_, audit) = admin.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"speaker.read") && actions.contains(&"speaker.stop"),
        "{actions:?}"
    );
    s.stop().await;
}
