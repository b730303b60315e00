//! Boards online, over real HTTP on 127.0.0.1 with a real sled directory:
//! heartbeats and the offline rule, pushes on the event stream, commands,
//! the display plan, proof of play, screenshots, resumable media downloads.

use bangtin_layouts::show::{Signed, key_from_b64, verify};
use bangtin_tests::harness::manager::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

async fn setup() -> (tempfile::TempDir, Server, Client) {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |c| c.requests_per_second = 1000).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": "xa.a", "password": PASSWORD, "role": "editor", "units": [COMMUNE_A]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let a = Client::token(&s, "xa.a", PASSWORD).await;
    (dir, s, a)
}

async fn put(c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    c.call(Method::PUT, path, Some(body)).await
}

async fn status_of(a: &Client, id: &str) -> Value {
    let (st, v) = a.get(&format!("/api/v1/boards/{id}/status")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_kept_and_silent_boards_go_offline_and_come_back() {
    let (_dir, s, a) = setup().await;
    let (id, me, _) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    let st = status_of(&a, &id).await;
    assert_eq!((st["online"].as_bool(), &st["status"]), (Some(false), &Value::Null));

    // A beat with a one-second period: stored, answered with the newest show.
    let (code, mut reply) = me.post("/api/v1/board/heartbeat", board_status(1, 0)).await;
    assert_eq!(code, StatusCode::OK, "{reply}");
    // The manager's clock, for the board to check its own against.
    let theirs: chrono::DateTime<chrono::Utc> = reply["manager_time"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - theirs).num_seconds().abs() <= 2, "{reply}");
    reply.as_object_mut().unwrap().remove("manager_time");
    assert_eq!(reply, json!({"show_version": 0, "commands": []}));
    let beat_at = Instant::now();
    let st = status_of(&a, &id).await;
    assert_eq!(st["online"], true, "{st}");
    assert_eq!(st["interval_s"], 1);
    assert_eq!(st["status"]["zones"][0]["label"], "Thông báo");
    assert_eq!(st["status"]["brightness"], 80);
    let (_, b) = a.get(&format!("/api/v1/boards/{id}")).await;
    assert_eq!(
        (b["online"].as_bool(), b["last_seen"].is_string()),
        (Some(true), true),
        "{b}"
    );
    let (_, list) = a.get(&format!("/api/v1/units/{COMMUNE_A}/boards")).await;
    assert_eq!(list[0]["online"], true, "{list}");

    // Bad statuses: 4xx naming the field, nothing stored.
    let mut bad = board_status(1, 0);
    bad.as_object_mut().unwrap().remove("fps");
    let (code, v) = me.post("/api/v1/board/heartbeat", bad).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("fps"), "{v}");
    let (code, v) = me.post("/api/v1/board/heartbeat", board_status(0, 0)).await;
    assert_eq!(
        (code, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("interval_s"))
    );

    // Three missed one-second beats: offline, and the transition recorded.
    let went = loop {
        if status_of(&a, &id).await["online"] == false {
            break beat_at.elapsed();
        }
        assert!(beat_at.elapsed() < Duration::from_secs(8), "still online");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(went >= Duration::from_millis(2900), "offline after {went:?}");
    let (_, b) = a.get(&format!("/api/v1/boards/{id}")).await;
    assert_eq!(
        (b["online"].as_bool(), b["last_seen"].is_string()),
        (Some(false), true),
        "{b}"
    );

    // The next beat brings it back.
    let (code, _) = me.post("/api/v1/board/heartbeat", board_status(1, 0)).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(status_of(&a, &id).await["online"], true);
    let (code, h) = a.get(&format!("/api/v1/boards/{id}/heartbeats")).await;
    assert_eq!(code, StatusCode::OK, "{h}");
    assert_eq!(h["beats"].as_array().unwrap().len(), 2, "{h}");
    let t0 = h["beats"][1]["at"].as_str().unwrap().to_string();
    let t1 = h["beats"][0]["at"].as_str().unwrap().to_string();
    assert!(t1 > t0, "newest first");
    assert_eq!(h["beats"][0]["status"]["fps"], 59.9);
    let online: Vec<bool> = h["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["online"].as_bool().unwrap())
        .collect();
    assert_eq!(online, [true, false, true], "newest first: {h}");

    // Ranges and limits.
    let (_, h) = a.get(&format!("/api/v1/boards/{id}/heartbeats?to={t0}&limit=10")).await;
    assert_eq!(h["beats"].as_array().unwrap().len(), 1, "{h}");
    let (_, h) = a.get(&format!("/api/v1/boards/{id}/heartbeats?limit=1")).await;
    assert_eq!(h["beats"][0]["at"].as_str(), Some(t1.as_str()));
    let (code, v) = a.get(&format!("/api/v1/boards/{id}/heartbeats?limit=1001")).await;
    assert_eq!(
        (code, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (code, _) = a.get(&format!("/api/v1/boards/{id}/heartbeats?from=hôm-qua")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let (code, _) = a
        .get(&format!("/api/v1/boards/{id}/heartbeats?from={t1}&to={t0}"))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Liveness survives a restart.
    let Auth::Bearer(token) = a.auth.clone() else {
        unreachable!()
    };
    let data = s.data.clone();
    s.stop().await;
    let s = Server::start(&data, |_| {}).await;
    let a = Client::anonymous(&s).with(Auth::Bearer(token));
    let st = status_of(&a, &id).await;
    assert_eq!(st["last_seen"].as_str(), Some(t1.as_str()), "{st}");
    assert_eq!(st["status"]["player_version"], "0.1.0");
    s.stop().await;
}

/// A heartbeat of a board that acknowledges commands.
fn acking(done: &[&Value]) -> Value {
    let mut v = board_status(30, 0);
    v["commands_done"] = json!(done);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_pushed_into_a_dead_stream_is_handed_over_until_acknowledged() {
    let (_dir, s, a) = setup().await;
    let (id, me, _key) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    let (_, reply) = me.post("/api/v1/board/heartbeat", acking(&[])).await;
    assert_eq!(reply["commands"], json!([]));
    // The manager holds the stream; the board no longer reads it (its end
    // died without a close the manager could see).
    let mut dead = Events::open(&me).await;
    assert_eq!(
        dead.next(Duration::from_secs(2)).await,
        Some(json!({"type": "show", "version": 0}))
    );
    let (st, c) = a
        .post(&format!("/api/v1/boards/{id}/commands"), json!({"action": "reload"}))
        .await;
    assert_eq!((st, c["pushed"].as_bool()), (StatusCode::ACCEPTED, Some(true)), "{c}");
    let want = json!([{"id": c["id"], "action": "reload"}]);
    // Every reply hands it over until the board names it as done.
    for _ in 0..2 {
        let (_, reply) = me.post("/api/v1/board/heartbeat", acking(&[])).await;
        assert_eq!(reply["commands"], want);
    }
    // A new stream brings it too, before the acknowledgement.
    let mut ev = Events::open(&me).await;
    assert_eq!(
        ev.next(Duration::from_secs(2)).await,
        Some(json!({"type": "show", "version": 0}))
    );
    assert_eq!(
        ev.next(Duration::from_secs(2)).await,
        Some(json!({"type": "command", "id": c["id"], "action": "reload"}))
    );
    let (_, reply) = me.post("/api/v1/board/heartbeat", acking(&[&c["id"]])).await;
    assert_eq!(reply["commands"], json!([]), "acknowledged: done");
    let (_, reply) = me.post("/api/v1/board/heartbeat", acking(&[])).await;
    assert_eq!(reply["commands"], json!([]));
    drop(dead);
}

/// The versions a board would fetch now: its show's and its alert set's.
async fn fetched_versions(board: &Client) -> (u64, u64) {
    let version = |v: &Value| -> u64 {
        let payload: Value = serde_json::from_str(v["payload"].as_str().unwrap_or("{}")).unwrap_or_default();
        payload["version"].as_u64().unwrap_or(0)
    };
    let (_, show) = board.get("/api/v1/board/show").await;
    let (_, alerts) = board.get("/api/v1/board/alerts").await;
    (version(&show), version(&alerts))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_behind_its_boards_issues_shows_and_alert_sets_above_theirs() {
    let (_dir, s, a) = setup().await;
    let (id, me, _key) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    let (st, p) = a.post(&format!("/api/v1/boards/{id}/publish"), json!({})).await;
    assert_eq!((st, &p["version"]), (StatusCode::OK, &json!(1)), "{p}");
    // The board holds show 7 and alert set 5: the manager's store was
    // restored from an older backup.
    let mut beat = board_status(30, 7);
    beat["alerts_version"] = json!(5);
    let (st, _) = me.post("/api/v1/board/heartbeat", beat.clone()).await;
    assert_eq!(st, StatusCode::OK);
    let t = Instant::now();
    while fetched_versions(&me).await != (8, 6) {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "issued above the board's: {:?}",
            fetched_versions(&me).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Caught up: beats at those versions, or behind them, change nothing.
    for (show, alerts) in [(8, 6), (8, 6), (3, 2)] {
        let mut beat = board_status(30, show);
        beat["alerts_version"] = json!(alerts);
        me.post("/api/v1/board/heartbeat", beat).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fetched_versions(&me).await, (8, 6));
    let (_, log) = a.get("/api/v1/audit?limit=20").await;
    assert!(log.to_string().contains("system:catch-up"), "audited: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_and_commands_reach_a_connected_board_at_once() {
    let (_dir, s, a) = setup().await;
    let (id, me, key) = pair(&s, &a, COMMUNE_A, "Bảng UBND").await;
    let pinned = key_from_b64(&key).unwrap();

    // On connect: the newest show first (none yet).
    let mut ev = Events::open(&me).await;
    assert_eq!(
        ev.next(Duration::from_secs(2)).await,
        Some(json!({"type": "show", "version": 0}))
    );
    assert_eq!(status_of(&a, &id).await["connected"], true);

    // A publish is pushed within a second (on loopback, milliseconds).
    let t = Instant::now();
    let (st, p) = a.post(&format!("/api/v1/boards/{id}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let got = ev.next(Duration::from_secs(1)).await;
    assert_eq!(got, Some(json!({"type": "show", "version": 1})));
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // A unit publish too.
    let (st, _) = a.post(&format!("/api/v1/units/{COMMUNE_A}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        ev.next(Duration::from_secs(1)).await,
        Some(json!({"type": "show", "version": 2}))
    );

    // A command while connected is pushed, not queued.
    let (st, c) = a
        .post(
            &format!("/api/v1/boards/{id}/commands"),
            json!({"action": "screenshot"}),
        )
        .await;
    assert_eq!((st, c["pushed"].as_bool()), (StatusCode::ACCEPTED, Some(true)), "{c}");
    let cmd_id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        ev.next(Duration::from_secs(1)).await,
        Some(json!({"type": "command", "id": cmd_id, "action": "screenshot"}))
    );
    let (_, mut reply) = me.post("/api/v1/board/heartbeat", board_status(30, 2)).await;
    reply.as_object_mut().unwrap().remove("manager_time");
    assert_eq!(
        reply,
        json!({"show_version": 2, "commands": []}),
        "pushed ones are not queued"
    );
    let (st, v) = a
        .post(&format!("/api/v1/boards/{id}/commands"), json!({"action": "explode"}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");

    // Disconnected: queued, handed over once in the next heartbeat answer.
    drop(ev);
    let t = Instant::now();
    while status_of(&a, &id).await["connected"] == true {
        assert!(t.elapsed() < Duration::from_secs(5), "the hub notices a closed stream");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (st, c) = a
        .post(&format!("/api/v1/boards/{id}/commands"), json!({"action": "reload"}))
        .await;
    assert_eq!((st, c["pushed"].as_bool()), (StatusCode::ACCEPTED, Some(false)), "{c}");
    let (_, reply) = me.post("/api/v1/board/heartbeat", board_status(30, 2)).await;
    assert_eq!(reply["commands"], json!([{"id": c["id"], "action": "reload"}]));
    let (_, reply) = me.post("/api/v1/board/heartbeat", board_status(30, 2)).await;
    assert_eq!(reply["commands"], json!([]), "handed over once");
    // … or on the stream when the board connects again.
    let (_, c) = a
        .post(&format!("/api/v1/boards/{id}/commands"), json!({"action": "restart"}))
        .await;
    let mut ev = Events::open(&me).await;
    assert_eq!(
        ev.next(Duration::from_secs(2)).await,
        Some(json!({"type": "show", "version": 2}))
    );
    assert_eq!(
        ev.next(Duration::from_secs(2)).await,
        Some(json!({"type": "command", "id": c["id"], "action": "restart"}))
    );

    // The display plan: checked, then in the board's next signed show.
    let (st, v) = put(
        &a,
        &format!("/api/v1/boards/{id}/display"),
        json!({"brightness": [{"from": "18:00", "percent": 0}]}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "brightness[0].percent");
    let (st, v) = put(&a, &format!("/api/v1/boards/{id}/display"), json!({"dim": true})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = put(
        &a,
        &format!("/api/v1/boards/{id}/display"),
        json!({"off": [{"start": "25:00", "end": "05:00"}]}),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let plan = json!({"off": [{"start": "22:00", "end": "05:00"}],
                      "brightness": [{"from": "06:00", "percent": 100}, {"from": "18:00", "percent": 40}]});
    let t = Instant::now();
    let (st, p) = put(&a, &format!("/api/v1/boards/{id}/display"), plan.clone()).await;
    assert_eq!((st, p["version"].as_u64()), (StatusCode::OK, Some(3)), "{p}");
    assert_eq!(
        ev.next(Duration::from_secs(1)).await,
        Some(json!({"type": "show", "version": 3}))
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    let (st, signed) = me.get("/api/v1/board/show").await;
    assert_eq!(st, StatusCode::OK);
    let show = verify(&serde_json::from_value::<Signed>(signed).unwrap(), &pinned).unwrap();
    assert_eq!(
        (show.version, serde_json::to_value(&show.display).unwrap()),
        (3, plan.clone())
    );
    let (_, b) = a.get(&format!("/api/v1/boards/{id}")).await;
    assert_eq!(b["display"], plan);
    let (_, log) = a.get("/api/v1/audit?limit=100").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"board.command") && actions.contains(&"board.display"),
        "{actions:?}"
    );

    // Disabling the board closes its stream.
    let (st, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/boards/{id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ev.next(Duration::from_secs(2)).await, None);
    let (st, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/boards/{id}"),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // An open stream does not hold up a graceful stop.
    let mut ev = Events::open(&me).await;
    assert!(ev.next(Duration::from_secs(2)).await.is_some());
    tokio::time::timeout(Duration::from_secs(10), s.stop())
        .await
        .expect("the server stops with a stream open");
    assert_eq!(ev.next(Duration::from_secs(2)).await, None);
}

fn play(seq: u64, kind: &str, started: &str, at: &str, item: usize, label: &str) -> Value {
    json!({"seq": seq, "kind": kind, "at": at, "started": started, "show_version": 1,
           "layout": "lay_1@1", "zone": "noi-dung", "item": item, "item_kind": "image", "label": label})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proof_of_play_is_stored_once_and_reported_per_local_day() {
    let (_dir, s, a) = setup().await;
    let (id, me, _) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    // 23/11/2026 in Hà Nội is 22/11 17:00 UTC to 23/11 17:00 UTC.
    let first = vec![
        play(1, "start", "2026-11-22T16:59:50Z", "2026-11-22T16:59:50Z", 0, "Ảnh chợ"),
        // Across local midnight: 10 s on the 23rd.
        play(2, "end", "2026-11-22T16:59:50Z", "2026-11-22T17:00:10Z", 0, "Ảnh chợ"),
        play(
            3,
            "start",
            "2026-11-23T01:00:00Z",
            "2026-11-23T01:00:00Z",
            1,
            "Lịch, \"tiêm\" chủng",
        ),
        play(
            4,
            "interrupted",
            "2026-11-23T01:00:00Z",
            "2026-11-23T01:00:02.5Z",
            1,
            "Lịch, \"tiêm\" chủng",
        ),
    ];
    let (st, ack) = me.post("/api/v1/board/playlog", json!({"events": first})).await;
    assert_eq!(st, StatusCode::OK, "{ack}");
    assert_eq!(ack, json!({"stored": 4, "last_seq": 4}));
    // The answer was lost: the board sends again, with more.
    let mut again = first.clone();
    again.push(play(
        5,
        "end",
        "2026-11-23T02:00:00Z",
        "2026-11-23T02:00:08Z",
        0,
        "Ảnh chợ",
    ));
    // The day after, locally: not in the 23rd's report.
    again.push(play(
        6,
        "end",
        "2026-11-23T17:00:00Z",
        "2026-11-23T17:00:08Z",
        0,
        "Ảnh chợ",
    ));
    let (st, ack) = me.post("/api/v1/board/playlog", json!({"events": again})).await;
    assert_eq!((st, ack), (StatusCode::OK, json!({"stored": 2, "last_seq": 6})));

    // Too many, too long, malformed: refused with the reason.
    let many: Vec<Value> = (0..1001)
        .map(|i| play(100 + i, "start", "2026-11-23T01:00:00Z", "2026-11-23T01:00:00Z", 0, "x"))
        .collect();
    let (st, v) = me.post("/api/v1/board/playlog", json!({"events": many})).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("1000"), "{v}");
    let long = play(
        7,
        "end",
        "2026-11-23T01:00:00Z",
        "2026-11-23T01:00:01Z",
        0,
        &"x".repeat(1001),
    );
    let (st, v) = me.post("/api/v1/board/playlog", json!({"events": [long]})).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("events[0].label"))
    );
    let (st, v) = me
        .post(
            "/api/v1/board/playlog",
            json!({"events": [{"seq": 8, "kind": "paused"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");

    // The report: per item, clipped to the local day.
    let (st, r) = a.get(&format!("/api/v1/boards/{id}/playlog?date=2026-11-23")).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (r["board"].as_str(), r["timezone"].as_str()),
        (Some(id.as_str()), Some("Asia/Ho_Chi_Minh"))
    );
    assert_eq!(r["total_seconds"], 20.5, "{r}");
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{r}");
    assert_eq!(
        (
            &rows[0]["item"],
            &rows[0]["plays"],
            &rows[0]["seconds"],
            &rows[0]["interrupted"]
        ),
        (&json!(0), &json!(2), &json!(18.0), &json!(0))
    );
    assert_eq!(rows[0]["first_start"], "2026-11-22T23:59:50+07:00");
    assert_eq!(rows[0]["last_end"], "2026-11-23T09:00:08+07:00");
    assert_eq!(
        (&rows[1]["plays"], &rows[1]["interrupted"], &rows[1]["seconds"]),
        (&json!(1), &json!(1), &json!(2.5))
    );
    assert!(r.get("events").is_none());
    let (_, r) = a
        .get(&format!("/api/v1/boards/{id}/playlog?date=2026-11-23&raw=1"))
        .await;
    let seqs: Vec<u64> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [2, 3, 4, 5], "the day's events, each once");
    let (_, r) = a.get(&format!("/api/v1/boards/{id}/playlog?date=2026-11-24")).await;
    assert_eq!(
        (r["total_seconds"].as_f64(), r["rows"][0]["plays"].as_u64()),
        (Some(8.0), Some(1))
    );
    let (_, r) = a.get(&format!("/api/v1/boards/{id}/playlog?date=2026-11-20")).await;
    assert_eq!(r["rows"], json!([]));
    let (st, _) = a.get(&format!("/api/v1/boards/{id}/playlog?date=23/11/2026")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // CSV, RFC 4180.
    let resp = a
        .request(
            Method::GET,
            &format!("/api/v1/boards/{id}/playlog?date=2026-11-23&format=csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"playlog-{id}-2026-11-23.csv\"")
    );
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "layout,zone,item,item_kind,label,plays,seconds,interrupted,first_start,last_end"
    );
    assert_eq!(
        lines[1],
        "lay_1@1,noi-dung,0,image,Ảnh chợ,2,18.000,0,2026-11-22T23:59:50+07:00,2026-11-23T09:00:08+07:00"
    );
    assert_eq!(
        lines[2],
        "lay_1@1,noi-dung,1,image,\"Lịch, \"\"tiêm\"\" chủng\",1,2.500,1,2026-11-23T08:00:00+07:00,2026-11-23T08:00:02+07:00"
    );
    assert_eq!(lines[3], "", "ends with a line break");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_keep_the_latest_of_each_kind() {
    let (dir, s, a) = setup().await;
    let (id, me, _) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    let upload = |q: &str, body: Vec<u8>| {
        me.request(Method::PUT, &format!("/api/v1/board/screenshot{q}"))
            .header("content-type", "image/png")
            .body(body)
            .send()
    };
    let shot = |kind: &str| {
        a.request(Method::GET, &format!("/api/v1/boards/{id}/screenshot?kind={kind}"))
            .send()
    };
    assert_eq!(shot("thumb").await.unwrap().status(), StatusCode::NOT_FOUND);

    let thumb = png(320, 180, 1);
    assert_eq!(
        upload("?kind=thumb", thumb.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let newer = png(320, 180, 2);
    assert_eq!(
        upload("", newer.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT,
        "thumb is the default"
    );
    let r = shot("thumb").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let taken = r.headers()["x-bangtin-taken-at"].to_str().unwrap().to_string();
    assert!(chrono::DateTime::parse_from_rfc3339(&taken).is_ok(), "{taken}");
    assert!(r.headers().get("x-bangtin-command").is_none());
    assert_eq!(r.bytes().await.unwrap(), newer, "the latest one");
    let files = std::fs::read_dir(dir.path().join("screens").join(&id)).unwrap().count();
    assert_eq!(files, 1, "older thumbnails are deleted");

    // A full screenshot answering a command.
    let full = png(1920, 1080, 3);
    let r = upload("?kind=full&command=cmd_42", full.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = shot("full").await.unwrap();
    assert_eq!(r.headers()["x-bangtin-command"], "cmd_42");
    assert_eq!(r.bytes().await.unwrap(), full);

    // Refused: too big for a thumbnail, not a PNG, unknown kind, bad command.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(512 * 1024 + 1000, 7);
    let r = upload("?kind=thumb", big).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "too_large");
    let r = upload("?kind=thumb", b"\xff\xd8\xff\xe0 this is a jpeg".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("PNG"), "{v}");
    assert_eq!(
        upload("?kind=huge", thumb.clone()).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        upload("?command=a%20b", thumb.clone()).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(shot("huge").await.unwrap().status(), StatusCode::BAD_REQUEST);
    let r = shot("thumb").await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), newer, "refused uploads change nothing");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_downloads_resume_with_ranges() {
    let (_dir, s, a) = setup().await;
    let pic = png(96, 96, 5);
    let (st, m) = a.upload(COMMUNE_A, "anh.png", pic.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha = m["sha256"].as_str().unwrap();
    let (_, me, _, _) = board_showing(&s, &a, sha).await;

    let get = |range: Option<String>| {
        let mut r = me.request(Method::GET, &format!("/api/v1/board/media/{sha}"));
        if let Some(h) = range {
            r = r.header("range", h);
        }
        r.send()
    };
    let len = pic.len();
    let whole = get(None).await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap(), pic);

    // A download cut at 5000 bytes resumes from there, exactly.
    let head = get(Some("bytes=0-4999".into())).await.unwrap();
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        head.headers()["content-range"].to_str().unwrap(),
        format!("bytes 0-4999/{len}")
    );
    let mut got = head.bytes().await.unwrap().to_vec();
    assert_eq!(got.len(), 5000);
    let tail = get(Some("bytes=5000-".into())).await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.headers()["content-range"].to_str().unwrap(),
        format!("bytes 5000-{}/{len}", len - 1)
    );
    assert_eq!(
        tail.headers()["content-length"].to_str().unwrap(),
        (len - 5000).to_string()
    );
    got.extend_from_slice(&tail.bytes().await.unwrap());
    assert_eq!(hex::encode(Sha256::digest(&got)), sha);

    let last = get(Some("bytes=-10".into())).await.unwrap();
    assert_eq!(last.bytes().await.unwrap(), pic[len - 10..]);
    let past = get(Some(format!("bytes={len}-"))).await.unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{len}")
    );
    let multi = get(Some("bytes=0-1,5-6".into())).await.unwrap();
    assert_eq!(multi.status(), StatusCode::OK, "several ranges: the whole file");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_board_deletes_what_it_left() {
    let (dir, s, a) = setup().await;
    let (id, me, _) = pair(&s, &a, COMMUNE_A, "Bảng cũ").await;
    let (keep, other, _) = pair(&s, &a, COMMUNE_A, "Bảng mới").await;
    for board in [&me, &other] {
        assert_eq!(
            board.post("/api/v1/board/heartbeat", board_status(30, 0)).await.0,
            StatusCode::OK
        );
        let ev = play(1, "end", "2026-11-23T01:00:00Z", "2026-11-23T01:00:05Z", 0, "x");
        assert_eq!(
            board.post("/api/v1/board/playlog", json!({"events": [ev]})).await.0,
            StatusCode::OK
        );
        let r = board
            .request(Method::PUT, "/api/v1/board/screenshot?kind=thumb")
            .body(png(32, 32, 1))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let (st, _) = a
        .post(&format!("/api/v1/boards/{id}/commands"), json!({"action": "reload"}))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (st, _) = a.call(Method::DELETE, &format!("/api/v1/boards/{id}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(
        me.post("/api/v1/board/heartbeat", board_status(30, 0)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        a.get(&format!("/api/v1/boards/{id}/status")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!dir.path().join("screens").join(&id).exists());
    s.stop().await;

    // sled lets go of its lock a moment after the server stops.
    let mut tries = 0;
    let state = loop {
        match bangtin_manager::AppState::open(bangtin_manager::Config {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        }) {
            Ok(s) => break s,
            Err(e) if tries < 50 => {
                tries += 1;
                eprintln!("{e:#}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e:#}"),
        }
    };
    let all = state.store.scan("").unwrap();
    let left: Vec<&String> = all
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.contains(&format!("/{id}/")))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let kept = all.iter().filter(|(k, _)| k.contains(&format!("/{keep}/"))).count();
    assert!(kept >= 2, "the other board keeps its records ({kept})");
    // Its logs of proof of play and heartbeats (data/journal/{stream}/{bucket}/{board}.jsonl).
    let logs = |board: &str| {
        let mut n = 0;
        for stream in std::fs::read_dir(dir.path().join("journal")).unwrap().flatten() {
            for bucket in std::fs::read_dir(stream.path()).unwrap().flatten() {
                n += usize::from(bucket.path().join(format!("{board}.jsonl")).exists());
            }
        }
        n
    };
    assert_eq!(logs(&id), 0, "the deleted board's logs are gone");
    assert!(logs(&keep) >= 2, "the other board keeps its proof of play and history");
}

/// Issue #15: a board whose clock is far from the manager's shows the
/// wrong time and starts its programme at the wrong moment. Its beats
/// carry its clock; the officer sees by how much on its card, and the
/// metrics count it per commune.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_whose_clock_is_off_is_named_on_its_card() {
    let (_dir, s, a) = setup().await;
    let (id, me, _) = pair(&s, &a, COMMUNE_A, "Bảng chợ").await;
    let (id2, me2, _) = pair(&s, &a, COMMUNE_A, "Bảng đình").await;
    let beat = |skew_s: i64| {
        let mut b = board_status(30, 0);
        b["clock"] = json!((chrono::Utc::now() + chrono::Duration::seconds(skew_s)).to_rfc3339());
        b
    };
    // One board 2 min 5 s behind, one within a few seconds.
    let (code, _) = me.post("/api/v1/board/heartbeat", beat(-125)).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = me2.post("/api/v1/board/heartbeat", beat(3)).await;
    assert_eq!(code, StatusCode::OK);
    let (_, list) = a.get("/api/v1/boards").await;
    let card = |board: &str| {
        list["boards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == board)
            .cloned()
            .unwrap_or_else(|| panic!("{board} in {list}"))
    };
    let off = card(&id);
    let skew = off["clock_skew_s"].as_f64().unwrap();
    assert!((-127.0..=-124.0).contains(&skew), "{off}");
    let errors: Vec<&str> = off["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Đồng hồ bảng tin chậm 2 phút") && e.contains("NTP")),
        "{off}"
    );
    let fine = card(&id2);
    assert!(fine["clock_skew_s"].as_f64().unwrap().abs() < 5.0, "{fine}");
    assert_eq!(fine["errors"], json!([]), "{fine}");
    // A board that sends no clock: nothing said either way.
    let (code, _) = me2.post("/api/v1/board/heartbeat", board_status(30, 0)).await;
    assert_eq!(code, StatusCode::OK);
    let (_, list) = a.get("/api/v1/boards").await;
    let again = list["boards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id2.as_str())
        .cloned()
        .unwrap();
    assert!(again.get("clock_skew_s").is_none(), "{again}");
}
