//! The manager end to end over real HTTP on 127.0.0.1 with a real sled
//! directory: the officer's whole flow, bad input, restarts.

use bangtin_layouts::show::{Signed, key_from_b64, verify};
use bangtin_tests::harness::manager::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_flow_from_upload_to_a_verified_show() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let a = user(&s, &admin, "xa.dinhhoa", "editor", COMMUNE_A).await;

    // Media: a picture and a video, probed and thumbnailed.
    let pic = png(640, 360, 7);
    let (st, img) = a.upload(COMMUNE_A, "anh.png", pic.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{img}");
    assert_eq!(
        (img["kind"].as_str(), img["width"].as_u64()),
        (Some("image"), Some(640))
    );
    assert_eq!(img["sha256"].as_str().unwrap(), hex::encode(Sha256::digest(&pic)));
    let (st, again) = a.upload(COMMUNE_A, "ban-sao.png", pic.clone()).await;
    assert_eq!(st, StatusCode::OK, "the same bytes are stored once: {again}");
    let vid_bytes = mp4(dir.path(), 3);
    let (st, vid) = a.upload(COMMUNE_A, "video.mp4", vid_bytes.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{vid}");
    assert_eq!(vid["kind"], "video");
    assert_eq!(vid["codec"], "h264");
    assert_eq!((vid["width"].as_u64(), vid["height"].as_u64()), (Some(320), Some(240)));
    assert!((vid["duration"].as_f64().unwrap() - 3.0).abs() < 0.2, "{vid}");
    let (img_sha, vid_sha) = (img["sha256"].as_str().unwrap(), vid["sha256"].as_str().unwrap());
    let thumb = a
        .request(
            Method::GET,
            &format!("/api/v1/units/{COMMUNE_A}/media/{vid_sha}/thumbnail"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    let t = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert!(t.width() <= 320 && t.height() <= 180);

    // A layout from TOML, validated with the player's rules.
    let (st, lay) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "Bảng chợ", "toml": layout_toml(img_sha, vid_sha)}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{lay}");
    let lay_id = lay["id"].as_str().unwrap().to_string();

    // The load balancer's health check needs no credential and tells nothing private.
    let board_client = Client::anonymous(&s);
    let (st, h) = board_client.get("/api/v1/health").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    assert_eq!(h, json!({"status": "ok", "store": "sled", "leader": true}));

    // A board asks to pair, an officer claims it, it collects its credential.
    let (st, pairing) = board_client.post("/api/v1/pairing", json!({})).await;
    assert_eq!(st, StatusCode::CREATED);
    let code = pairing["code"].as_str().unwrap().to_lowercase();
    let poll = json!({"code": code, "secret": pairing["secret"]});
    assert_eq!(
        board_client.post("/api/v1/pairing/poll", poll.clone()).await.0,
        StatusCode::ACCEPTED
    );
    let (st, group) = a
        .post(&format!("/api/v1/units/{COMMUNE_A}/groups"), json!({"name": "Chợ"}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, board) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/boards/claim"),
            json!({"code": code, "name": "Bảng LED chợ", "groups": [group["id"]]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{board}");
    let (st, creds) = board_client.post("/api/v1/pairing/poll", poll.clone()).await;
    assert_eq!(st, StatusCode::OK, "{creds}");
    assert_eq!(creds["board_id"], board["id"]);
    let pinned = key_from_b64(creds["manager_key"].as_str().unwrap()).unwrap();
    assert_eq!(
        board_client.post("/api/v1/pairing/poll", poll).await.0,
        StatusCode::NOT_FOUND,
        "the credential is handed over once"
    );
    let me = board_client.with(Auth::Bearer(creds["credential"].as_str().unwrap().into()));

    // A schedule for the group: the layout all day, priority entry in the evening.
    let (st, sch) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/schedules"),
            json!({"name": "Lịch chợ", "target": {"group": group["id"]},
                   "schedule": {"default_layout": lay_id,
                                "entries": [{"layout": lay_id, "windows": [{"start": "18:00", "end": "22:00"}], "priority": 5}]}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sch}");

    // Publish and fetch the signed show as the board.
    let bid = board["id"].as_str().unwrap();
    let (st, p) = a.post(&format!("/api/v1/boards/{bid}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["version"], 1);
    let (st, signed) = me.get("/api/v1/board/show").await;
    assert_eq!(st, StatusCode::OK);
    let signed: Signed = serde_json::from_value(signed).unwrap();
    let show = verify(&signed, &pinned).expect("the show verifies with the pinned key");
    assert_eq!(show.board, bid);
    assert_eq!(show.version, 1);
    assert!(show.valid_until - show.valid_from >= chrono::Duration::days(28));
    assert!(
        show.slots.windows(2).all(|w| w[0].end == w[1].start),
        "slots are contiguous"
    );
    assert!(
        show.slots
            .iter()
            .all(|s| s.layout.as_deref() == Some(&format!("{lay_id}@1")[..]))
    );
    let mut media: Vec<(&str, u64)> = show.media.iter().map(|m| (m.sha256.as_str(), m.size)).collect();
    media.sort();
    let mut want = vec![(img_sha, pic.len() as u64), (vid_sha, vid_bytes.len() as u64)];
    want.sort();
    assert_eq!(media, want);
    // The board downloads what its show lists, and nothing else.
    let bytes = me
        .request(Method::GET, &format!("/api/v1/board/media/{vid_sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(hex::encode(Sha256::digest(bytes.bytes().await.unwrap())), vid_sha);
    let other = hex::encode(Sha256::digest(b"x"));
    assert_eq!(
        me.get(&format!("/api/v1/board/media/{other}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Versions: edit the layout, publish again; unchanged shows answer 304.
    let (st, lay2) = a
        .call(
            Method::PUT,
            &format!("/api/v1/layouts/{lay_id}"),
            Some(json!({"toml": layout_toml(img_sha, vid_sha).replace("speed = 48", "speed = 60")})),
        )
        .await;
    assert_eq!((st, lay2["version"].as_u64()), (StatusCode::OK, Some(2)));
    let (_, versions) = a.get(&format!("/api/v1/layouts/{lay_id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let (st, p) = a.post(&format!("/api/v1/boards/{bid}/publish"), json!({})).await;
    assert_eq!((st, p["version"].as_u64()), (StatusCode::OK, Some(2)));
    let r = me
        .request(Method::GET, "/api/v1/board/show")
        .header("if-none-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // Media used by a published show cannot be deleted.
    let (st, e) = a
        .call(
            Method::DELETE,
            &format!("/api/v1/units/{COMMUNE_A}/media/{vid_sha}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");

    // Heartbeats are recorded and answered with the newest show; removing
    // the board revokes its credential.
    let (st, mut reply) = me.post("/api/v1/board/heartbeat", board_status(30, 2)).await;
    assert!(reply["manager_time"].is_string(), "the manager's clock: {reply}");
    reply.as_object_mut().unwrap().remove("manager_time");
    assert_eq!(
        (st, reply),
        (StatusCode::OK, json!({"show_version": 2, "commands": []}))
    );
    let (st, v) = me.post("/api/v1/board/heartbeat", json!({"fps": 60})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a status lacking fields is refused: {v}");
    let (_, b) = a.get(&format!("/api/v1/boards/{bid}")).await;
    assert!(b["last_seen"].is_string(), "{b}");
    assert_eq!(
        a.call(Method::DELETE, &format!("/api/v1/boards/{bid}"), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me.get("/api/v1/board/show").await.0, StatusCode::UNAUTHORIZED);

    // Every change is in the audit log.
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "media.upload",
        "layout.create",
        "layout.update",
        "board.claim",
        "schedule.create",
        "board.publish",
        "board.delete",
    ] {
        assert!(actions.contains(&want), "audit lacks {want}: {actions:?}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_4xx_with_a_reason_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |c| c.max_upload_bytes = 200_000).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let reason = |v: &Value| v["error"]["message"].as_str().unwrap_or_default().to_string();

    // Uploads: too large, not a media file, a cut-off video.
    // Just over the limit and 15× over: the manager reads and drops the rest
    // of the body (up to 8 MiB) so the client sees the 413, not a reset.
    let big = png(300, 300, 3);
    assert!(big.len() > 200_000 && big.len() < 400_000);
    for body in [big.clone(), big.repeat(10)] {
        let (st, v) = a.upload(COMMUNE_A, "to.png", body).await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        assert!(reason(&v).contains("quá lớn"), "{v}");
    }
    let (st, v) = a.upload(COMMUNE_A, "anh.jpg", b"<html>hello</html>".to_vec()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    assert!(reason(&v).contains("không nhận ra loại tệp"), "{v}");
    let clip = mp4(dir.path(), 4);
    let (st, v) = a
        .upload(COMMUNE_A, "cut.mp4", clip[..clip.len() * 4 / 10].to_vec())
        .await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    assert!(reason(&v).contains("cắt"), "{v}");
    let (st, v) = a.upload(COMMUNE_A, "empty.png", Vec::new()).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    let (_, list) = a.get(&format!("/api/v1/units/{COMMUNE_A}/media")).await;
    assert_eq!(list, json!([]), "refused uploads leave nothing behind");
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "no temporary files left"
    );

    // JSON: malformed, wrong type, unknown field, invalid layout with its field.
    let r = a
        .request(Method::POST, &format!("/api/v1/units/{COMMUNE_A}/groups"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (st, _) = a
        .post(&format!("/api/v1/units/{COMMUNE_A}/groups"), json!({"name": 5}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/groups"),
            json!({"name": "x", "colour": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let bad = "[board]\nwidth = 384\nheight = 192\n\n[[zone]]\nid = \"z\"\nx = 0\ny = 0\nwidth = 384\nheight = 192\n\n[[zone.item]]\ntype = \"ticker\"\ntext = \"a\"\nspeed = -3\n";
    let (st, v) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "x", "toml": bad}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "zone[0].item[0].speed");
    assert!(reason(&v).starts_with("dòng 15:"), "{v}");
    let (st, v) = a
        .post(
            "/api/v1/layouts/validate",
            json!({"unit": COMMUNE_A, "toml": bad.replace("speed = -3", "speed = 30\nsrc = \"a.png\"")}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"][0]["field"], "zone[0].item[0].src");
    assert_eq!(v["problems"][0]["line"], 16);

    // Unknown routes and methods: JSON errors, never a 500.
    let (st, v) = a.get("/api/v1/khong-co").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
    let (st, _) = a.call(Method::DELETE, "/api/v1/me", None).await;
    assert!(st.is_client_error());
    let (st, _) = a.get("/api/v1/layouts/khong-co").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = a.get(&format!("/api/v1/units/{COMMUNE_A}/media/zz")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // Passwords: wrong ones are refused, then rate-limited with Retry-After.
    let anon = Client::anonymous(&s);
    let (st, v) = anon
        .post(
            "/api/v1/auth/login",
            json!({"username": "xa.a", "password": "sai-mat-khau-roi"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let mut limited = None;
    for _ in 0..8 {
        let r = anon
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({"username": "xa.a", "password": "sai-mat-khau-roi"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            break;
        }
    }
    assert!(limited.is_some(), "login attempts must be rate-limited");
    // Short passwords are refused; no account exists without one.
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": "ngan", "password": "123", "role": "viewer", "units": [COMMUNE_A]}),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );

    // Session cookies need the CSRF token for changes.
    let cookie = Client::login(&s, "tinh", PASSWORD).await;
    let Auth::Cookie { cookie: c, .. } = cookie.auth.clone() else {
        unreachable!()
    };
    let r = cookie
        .http
        .post(format!("{}/api/v1/units/{COMMUNE_A}/groups", s.url))
        .header("cookie", c)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let a = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let (_, img) = a.upload(COMMUNE_A, "anh.png", png(64, 64, 1)).await;
    let sha = img["sha256"].as_str().unwrap().to_string();
    let toml = layout_toml(&sha, &sha).replace(
        &format!("[[zone.item]]\ntype = \"video\"\nsrc = \"sha256:{sha}\"\n"),
        "",
    );
    let (st, lay) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "L", "toml": toml}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{lay}");
    let (_, key_before) = a.get("/api/v1/public-key").await;
    let Auth::Bearer(token) = a.auth.clone() else {
        unreachable!()
    };
    s.stop().await;

    let s = Server::start(dir.path(), |_| {}).await;
    let a = Client::anonymous(&s).with(Auth::Bearer(token));
    let (st, me) = a.get("/api/v1/me").await;
    assert_eq!(
        (st, me["username"].as_str()),
        (StatusCode::OK, Some("xa.a")),
        "tokens survive"
    );
    let (st, l) = a.get(&format!("/api/v1/layouts/{}", lay["id"].as_str().unwrap())).await;
    assert_eq!((st, l["name"].as_str()), (StatusCode::OK, Some("L")));
    let (_, m) = a.get(&format!("/api/v1/units/{COMMUNE_A}/media/{sha}")).await;
    assert_eq!(m["sha256"].as_str(), Some(sha.as_str()));
    let content = a
        .request(Method::GET, &format!("/api/v1/units/{COMMUNE_A}/media/{sha}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(hex::encode(Sha256::digest(content.bytes().await.unwrap())), sha);
    assert_eq!(
        a.get("/api/v1/public-key").await.1,
        key_before,
        "the signing key survives"
    );
    s.stop().await;
}

/// The audit log is read newest first, a page at a time: `limit` and
/// `before` walk all of it, in order, also across the store pages the
/// server reads (500 entries), and a commune editor sees only entries of
/// communes they may read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_pages_newest_first_across_store_pages() {
    use bangtin_manager::model::{AuditEntry, key};
    use bangtin_manager::store::{Op, StoreExt};
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    {
        let state = bangtin_manager::AppState::open(bangtin_manager::Config {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        })
        .unwrap();
        let ops: Vec<Op> = (0..1300u64)
            .map(|i| {
                let seq = 1_000_000 + i;
                Op::put(
                    key::audit(seq),
                    &AuditEntry {
                        seq,
                        at: chrono::Utc::now(),
                        actor: "usr_test".into(),
                        action: "test.entry".into(),
                        target: format!("t{i}"),
                        unit: Some(if i % 3 == 0 { COMMUNE_A } else { COMMUNE_B }.into()),
                        detail: None,
                    },
                )
            })
            .collect();
        state.store.commit(ops).unwrap();
    }
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let ed = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let ours = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "test.entry")
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };
    let (st, first) = admin.get("/api/v1/audit?limit=1000").await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(first.as_array().unwrap().len(), 1000);
    let mut seen = ours(&first);
    let before = first.as_array().unwrap().last().unwrap()["seq"].as_u64().unwrap();
    let (_, rest) = admin.get(&format!("/api/v1/audit?limit=1000&before={before}")).await;
    seen.extend(ours(&rest));
    let want: Vec<u64> = (0..1300u64).rev().map(|i| 1_000_000 + i).collect();
    assert_eq!(seen, want, "every entry once, newest first");
    // Entries of commune A only, 100 of them: more than one store page read.
    let (_, mine) = ed.get("/api/v1/audit?limit=100&before=1001300").await;
    let got = ours(&mine);
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|seq| (seq - 1_000_000) % 3 == 0), "{got:?}");
    assert_eq!(
        got[0], 1_001_299,
        "1299 is a multiple of 3: the newest entry of commune A"
    );
    s.stop().await;
}

/// The OpenAPI document is the truth (issue #14): a known path with another
/// method is 405 with `Allow`; sign-out needs the session it ends; what the
/// document's schemas allow is taken and refusals are the statuses it
/// lists, each with the error body. `xtask/contract.sh` fuzzes all of it
/// with Schemathesis; these are the cases it found first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::start(dir.path(), |_| {}).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;

    // 405 + Allow, with the JSON error body, before any authentication.
    let anon = Client::anonymous(&s);
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/me".to_string(), "GET,HEAD"),
        (Method::TRACE, format!("/api/v1/units/{COMMUNE_A}/stats"), "GET,HEAD"),
        (Method::PUT, "/api/v1/auth/logout".to_string(), "POST"),
    ] {
        let r = anon.request(method.clone(), &path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let got = r.headers()["allow"].to_str().unwrap().to_string();
        assert_eq!(got, allow, "{method} {path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "method_not_allowed", "{v}");
    }

    // Sign-out ends the cookie's session; an API token has none to end.
    let (st, v) = admin.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a token is not a session: {v}");
    let officer = Client::login(&s, "tinh", PASSWORD).await;
    let Auth::Cookie { cookie, .. } = officer.auth.clone() else {
        unreachable!()
    };
    let r = anon
        .request(Method::POST, "/api/v1/auth/logout")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "without X-CSRF-Token");
    assert_eq!(
        officer.post("/api/v1/auth/logout", json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        officer.get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "the session is gone"
    );

    // Statistics list both content types they answer with.
    let (_, doc) = anon.get("/api/openapi.json").await;
    let stats = &doc["paths"]["/api/v1/units/{unit}/stats"]["get"]["responses"]["200"]["content"];
    assert!(
        stats["application/json"].is_object() && stats["text/csv"].is_object(),
        "{stats}"
    );

    // Every refusal an operation lists carries the error body, and every
    // operation behind credentials lists 401, 403 and 429.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if !status.starts_with('4') {
                    continue;
                }
                let r = match r["$ref"].as_str() {
                    Some(name) => &doc["components"]["responses"][name.rsplit('/').next().unwrap()],
                    None => r,
                };
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("session").is_some() || r.get("token").is_some()));
            if secured {
                for s in ["401", "403", "429"] {
                    assert!(responses.contains_key(s), "{method} {path} lists {s}");
                }
            }
        }
    }

    // What the schema allows is taken: a whole number written as 900.0.
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/units/{COMMUNE_A}/watch"),
            Some(json!({"offline_after_s": 900.0})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["offline_after_s"], 900);
    // A unit that does not exist is 404 at its field, a blank name 422.
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": "moi", "password": PASSWORD, "role": "editor", "units": ["99999"]}),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("units")),
        "{v}"
    );
    let (st, v) = admin.post("/api/v1/tokens", json!({"name": " "})).await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
        "{v}"
    );
    // A token name counts characters, not bytes: 100 Vietnamese letters.
    let (st, v) = admin.post("/api/v1/tokens", json!({"name": "ệ".repeat(100)})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // Query numbers have the bounds the document gives.
    assert_eq!(admin.get("/api/v1/audit?limit=0").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(admin.get("/api/v1/audit?before=-1").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        admin.get("/api/v1/audit?before=9223372036854775808").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        admin.get("/api/v1/boards?per_page=201").await.0,
        StatusCode::BAD_REQUEST
    );

    // An administrator cannot lock themselves out (the web UI offers
    // neither); deleting oneself was already refused.
    let (_, me) = admin.get("/api/v1/me").await;
    let me = me["id"].as_str().unwrap();
    for patch in [
        json!({"disabled": true}),
        json!({"role": "viewer", "units": [COMMUNE_A]}),
    ] {
        let (st, v) = admin
            .call(Method::PATCH, &format!("/api/v1/users/{me}"), Some(patch.clone()))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{patch}: {v}");
    }
    let (st, v) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            Some(json!({"display_name": "Sở", "role": "admin"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    s.stop().await;
}
