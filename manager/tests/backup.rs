//! Backups taken while the manager serves and writes go on, restored into
//! a fresh directory a manager then serves from — the same officers,
//! media, shows, boards and proof of play, the same key — with real sled
//! on disk, real HTTP on 127.0.0.1 and the `bangtin-manager backup` and
//! `restore` commands; only an administrator may take one; and a data
//! directory of a newer manager is refused untouched.

use bangtin_layouts::show::{Signed, key_from_b64, verify};
use bangtin_tests::harness::manager::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const COMMUNE: &str = "05449";

/// Run `bangtin-manager` with `args` (and `env`), off the async workers.
async fn manager(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_bangtin-manager"));
    c.args(args).env("RUST_LOG", "warn").env_remove("BANGTIN_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn token(c: &Client) -> String {
    match &c.auth {
        Auth::Bearer(t) => t.clone(),
        other => panic!("a token client, not {other:?}"),
    }
}

async fn bytes(c: &Client, path: &str) -> (StatusCode, Vec<u8>) {
    let r = c.request(Method::GET, path).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

/// The show a board would fetch, verified with the key it pinned.
async fn board_show(board: &Client, pinned: &str) -> u64 {
    let (st, signed) = board.get("/api/v1/board/show").await;
    assert_eq!(st, StatusCode::OK, "{signed}");
    let key = key_from_b64(pinned).unwrap();
    verify(&serde_json::from_value::<Signed>(signed).unwrap(), &key)
        .expect("signed with the key the board pinned")
        .version
}

/// A layout request and when it was sent and answered.
#[derive(Debug, Clone)]
struct Write {
    id: Option<String>,
    sent: Instant,
    answered: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writes_go_on_restores_into_a_manager_that_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backups = tmp.path().join("backups");
    seed(&data);
    let b2 = backups.clone();
    let s = Server::start(&data, move |c| {
        c.requests_per_second = 100_000;
        c.backup_dir = Some(b2);
    })
    .await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;

    // A commune, its officer, a picture, a layout, a schedule, a board
    // showing it and reporting, and proof of play.
    let (st, v) = admin
        .post(
            "/api/v1/units",
            json!({"code": COMMUNE, "name": "Xã Bảo Linh", "parent": PROVINCE, "timezone": "Asia/Ho_Chi_Minh"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let editor = user(&s, &admin, "xa.baolinh", "editor", COMMUNE).await;
    let picture = png(64, 48, 7);
    let (st, m) = editor.upload(COMMUNE, "cho.png", picture.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha = m["sha256"].as_str().unwrap().to_string();
    let toml = layout_toml(&sha, &sha).replace(
        &format!("[[zone.item]]\ntype = \"video\"\nsrc = \"sha256:{sha}\"\n"),
        "",
    );
    let layouts = format!("/api/v1/units/{COMMUNE}/layouts");
    let (st, l) = editor.post(&layouts, json!({"name": "Bảng chợ", "toml": toml})).await;
    assert_eq!(st, StatusCode::CREATED, "{l}");
    let (st, v) = editor
        .post(
            &format!("/api/v1/units/{COMMUNE}/schedules"),
            json!({"name": "Cả ngày", "target": {"unit": COMMUNE}, "schedule": {"default_layout": l["id"]}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (board_id, board, pinned) = pair(&s, &editor, COMMUNE, "Bảng chợ").await;
    let (st, p) = editor
        .post(&format!("/api/v1/boards/{board_id}/publish"), json!({}))
        .await;
    assert_eq!((st, &p["version"]), (StatusCode::OK, &json!(1)), "{p}");
    assert_eq!(board_show(&board, &pinned).await, 1);
    let (st, _) = board.post("/api/v1/board/heartbeat", board_status(30, 1)).await;
    assert_eq!(st, StatusCode::OK);
    let play = |seq: u64, kind: &str, started: &str, at: &str| {
        json!({"seq": seq, "kind": kind, "at": at, "started": started, "show_version": 1,
               "layout": format!("{}@1", l["id"].as_str().unwrap()), "zone": "noi-dung", "item": 0,
               "item_kind": "image", "label": "Ảnh chợ"})
    };
    let events = json!({"events": [
        play(1, "start", "2026-11-23T01:00:00Z", "2026-11-23T01:00:00Z"),
        play(2, "end", "2026-11-23T01:00:00Z", "2026-11-23T01:00:08Z"),
        play(3, "start", "2026-11-23T01:00:08Z", "2026-11-23T01:00:08Z"),
        play(4, "end", "2026-11-23T01:00:08Z", "2026-11-23T01:00:16Z"),
    ]});
    let (st, ack) = board.post("/api/v1/board/playlog", events).await;
    assert_eq!((st, &ack["stored"]), (StatusCode::OK, &json!(4)), "{ack}");
    let shot = png(32, 16, 5);
    let r = board
        .request(Method::PUT, "/api/v1/board/screenshot?kind=thumb")
        .body(shot.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let report_path = format!("/api/v1/boards/{board_id}/playlog?date=2026-11-23");
    let (st, report) = editor.get(&report_path).await;
    assert_eq!(
        (st, &report["total_seconds"]),
        (StatusCode::OK, &json!(16.0)),
        "{report}"
    );

    // Writers never stop while the backup is taken: the officer saves
    // layouts, the board beats.
    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..2 {
        let (c, toml, writes, stop, layouts) = (
            editor.clone(),
            toml.clone(),
            writes.clone(),
            stop.clone(),
            layouts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let sent = Instant::now();
                let (st, v) = c
                    .post(&layouts, json!({"name": format!("w{w}-{i}"), "toml": toml}))
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{v}");
                writes.lock().unwrap().push(Write {
                    id: v["id"].as_str().map(str::to_string),
                    sent,
                    answered: Instant::now(),
                });
            }
        }));
    }
    {
        let (board, stop) = (board.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let (st, _) = board.post("/api/v1/board/heartbeat", board_status(30, 1)).await;
                assert_eq!(st, StatusCode::OK);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    let out = manager(&["backup", "--url", &s.url], &[("BANGTIN_TOKEN", &token(&admin))]).await;
    let answered = Instant::now();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let stdout = text(&out.stdout);
    let backup = PathBuf::from(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("đã sao lưu vào ")?.strip_suffix(" (backup written)"))
            .unwrap_or_else(|| panic!("where the backup went: {stdout}")),
    );
    assert!(backup.starts_with(&backups), "{}", backup.display());
    let manifest: Value = serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let held = manifest["writes_held_ms"].as_f64().unwrap();
    assert!(held < 250.0, "writes held {held} ms");
    let writes = writes.lock().unwrap().clone();
    let during = writes
        .iter()
        .filter(|w| w.sent > asked && w.answered < answered)
        .count();
    assert!(during > 0, "layouts were saved while the backup ran: {stdout}");
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    assert!(log.to_string().contains("backup.create"), "audited: {log}");

    let before: BTreeMap<&str, Value> = [
        ("units", admin.get("/api/v1/units").await.1),
        ("users", admin.get("/api/v1/users").await.1),
        ("media", editor.get(&format!("/api/v1/units/{COMMUNE}/media")).await.1),
        ("boards", editor.get(&format!("/api/v1/units/{COMMUNE}/boards")).await.1),
        ("key", admin.get("/api/v1/public-key").await.1),
    ]
    .into_iter()
    .collect();

    // After the backup: a show the restored store will not know.
    let (st, p) = editor
        .post(&format!("/api/v1/boards/{board_id}/publish"), json!({}))
        .await;
    assert_eq!((st, &p["version"]), (StatusCode::OK, &json!(2)), "{p}");
    assert_eq!(board_show(&board, &pinned).await, 2);
    s.stop().await;

    // Restore: never over a data directory in use, then into a new one.
    let out = manager(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));
    let restored = tmp.path().join("restored");
    let out = manager(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data",
            restored.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));

    let s2 = Server::start(&restored, |c| c.requests_per_second = 100_000).await;
    // The same tokens and credentials work: sessions, tokens and boards
    // are records like the others.
    let on2 = |c: &Client| Client {
        base: s2.url.clone(),
        ..c.clone()
    };
    let (admin2, editor2, board2) = (on2(&admin), on2(&editor), on2(&board));
    let after: BTreeMap<&str, Value> = [
        ("units", admin2.get("/api/v1/units").await.1),
        ("users", admin2.get("/api/v1/users").await.1),
        ("media", editor2.get(&format!("/api/v1/units/{COMMUNE}/media")).await.1),
        (
            "boards",
            editor2.get(&format!("/api/v1/units/{COMMUNE}/boards")).await.1,
        ),
        ("key", admin2.get("/api/v1/public-key").await.1),
    ]
    .into_iter()
    .collect();
    for (what, v) in &before {
        let strip = |v: &Value| -> Value {
            // Board lists carry liveness, which a restart resets.
            let mut v = v.clone();
            if let Some(a) = v.as_array_mut() {
                for b in a {
                    if let Some(o) = b.as_object_mut() {
                        o.remove("online");
                        o.remove("last_seen");
                    }
                }
            }
            v
        };
        assert_eq!(strip(&after[what]), strip(v), "{what}");
    }
    assert_eq!(
        bytes(&editor2, &format!("/api/v1/units/{COMMUNE}/media/{sha}/content")).await,
        (StatusCode::OK, picture.clone())
    );
    assert_eq!(
        bytes(&board2, &format!("/api/v1/board/media/{sha}")).await,
        (StatusCode::OK, picture)
    );
    assert_eq!(
        bytes(&editor2, &format!("/api/v1/boards/{board_id}/screenshot?kind=thumb")).await,
        (StatusCode::OK, shot)
    );
    assert_eq!(editor2.get(&report_path).await, (StatusCode::OK, report));
    let (st, beats) = editor2.get(&format!("/api/v1/boards/{board_id}/heartbeats")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!beats["beats"].as_array().unwrap().is_empty(), "{beats}");

    // Every layout saved before the backup was asked for is there, none
    // asked for after it answered, and each one whole (its version too).
    let (_, list) = editor2.get(&layouts).await;
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    for w in &writes {
        let id = w.id.as_ref().unwrap();
        if w.answered < asked {
            assert!(ids.contains(id), "{id} saved before the backup");
        }
        if w.sent > answered {
            assert!(!ids.contains(id), "{id} saved after the backup");
        }
    }
    for id in &ids {
        let (st, v) = editor2.get(&format!("/api/v1/layouts/{id}/versions")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(!v.as_array().unwrap().is_empty(), "{id} has its version");
    }
    // New ids go on above the backup's: nothing is overwritten.
    let (st, l2) = editor2
        .post(&layouts, json!({"name": "Sau khôi phục", "toml": toml}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{l2}");
    assert!(!ids.contains(&l2["id"].as_str().unwrap().to_string()), "{l2}");
    let (_, list) = editor2.get(&layouts).await;
    assert_eq!(list.as_array().unwrap().len(), ids.len() + 1);

    // The restored manager feeds its board: it serves show 1, signed with
    // the key the board pinned, and catches up with the show 2 the board
    // holds by issuing 3.
    assert_eq!(board_show(&board2, &pinned).await, 1);
    let (st, _) = board2.post("/api/v1/board/heartbeat", board_status(30, 2)).await;
    assert_eq!(st, StatusCode::OK);
    let t = Instant::now();
    while board_show(&board2, &pinned).await != 3 {
        assert!(t.elapsed() < Duration::from_secs(5), "caught up above the board's show");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_administrator_may_take_a_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backups = tmp.path().join("backups");
    seed(&data);
    let b2 = backups.clone();
    let s = Server::start(&data, move |c| c.backup_dir = Some(b2)).await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let editor = user(&s, &admin, "xa.a", "editor", COMMUNE_A).await;
    let viewer = user(&s, &admin, "xa.xem", "viewer", COMMUNE_A).await;
    let cookie = Client::login(&s, "tinh", PASSWORD).await;
    let no_csrf = match &cookie.auth {
        Auth::Cookie { cookie: jar, .. } => cookie.with(Auth::Cookie {
            cookie: jar.clone(),
            csrf: "sai".into(),
        }),
        other => panic!("a session, not {other:?}"),
    };
    for (who, c, want) in [
        ("anonymous", Client::anonymous(&s), StatusCode::UNAUTHORIZED),
        ("editor", editor.clone(), StatusCode::FORBIDDEN),
        ("viewer", viewer, StatusCode::FORBIDDEN),
        ("administrator without CSRF token", no_csrf, StatusCode::FORBIDDEN),
    ] {
        let (st, v) = c.call(Method::POST, "/api/v1/backups", None).await;
        assert_eq!(st, want, "{who}: {v}");
    }
    let out = manager(&["backup", "--url", &s.url], &[("BANGTIN_TOKEN", &token(&editor))]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("403"), "{}", text(&out.stderr));
    let out = manager(&["backup", "--url", &s.url], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("API token"), "{}", text(&out.stderr));
    assert!(
        std::fs::read_dir(&backups).map_or(true, |mut d| d.next().is_none()),
        "nothing written"
    );

    // The administrator, signed in with a password: a backup readable
    // by the manager's user only.
    let (st, r) = cookie.call(Method::POST, "/api/v1/backups", None).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let path = Path::new(r["path"].as_str().unwrap());
    assert_eq!(path, backups.join(r["name"].as_str().unwrap()));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path), 0o700);
    assert_eq!(mode(&path.join("show-signing.key")), 0o600);
    assert!(r["manifest"]["records"].as_u64().unwrap() > 0, "{r}");
    s.stop().await;
}

/// Every file and directory under `dir`, with its size and mtime.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            out.insert(e.path(), (m.len(), m.modified().unwrap()));
            if m.is_dir() {
                todo.push(e.path());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_of_a_newer_manager_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    seed(&data);
    let format = std::fs::read_to_string(data.join("format")).unwrap();
    let known: u32 = format.trim().parse().unwrap();
    std::fs::write(data.join("format"), format!("{}\n", known + 1)).unwrap();
    let before = tree(&data);
    let out = manager(
        &["serve", "--listen", "127.0.0.1:0", "--data", data.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for want in [
        data.display().to_string(),
        format!("format {}", known + 1),
        format!("newer than format {known}"),
    ] {
        assert!(err.contains(&want), "{want:?} in {err}");
    }
    assert_eq!(tree(&data), before, "nothing written");
}
