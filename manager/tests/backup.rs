//! Backups taken while the manager serves and writes go on, restored into
//! a fresh directory a manager then serves from — the same officers,
//! media, shows, boards and proof of play, the same key — with real sled
//! on disk, real HTTP on 127.0.0.1 and the `bangtin-manager backup` and
//! `restore` commands; only an administrator may take one; and a data
//! directory of a newer manager is refused untouched. Backups are kept to
//! `backup_keep` (the oldest of this manager's removed, nothing else in
//! the folder), asked for on the machine over the control socket as the
//! daily timer does, and from the web UI's "Sao lưu" tab in a real
//! browser.

use bangtin_layouts::show::{Signed, key_from_b64, verify};
use bangtin_tests::harness::browser::Browser;
use bangtin_tests::harness::files::tree;
use bangtin_tests::harness::manager::*;
use bangtin_tests::harness::web::WebClient;
use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        ("viewer", viewer.clone(), StatusCode::FORBIDDEN),
        ("administrator without CSRF token", no_csrf, StatusCode::FORBIDDEN),
    ] {
        let (st, v) = c.call(Method::POST, "/api/v1/backups", None).await;
        assert_eq!(st, want, "{who}: {v}");
    }
    // Listing them too: 403 with the reason.
    for (who, c) in [("editor", &editor), ("viewer", &viewer)] {
        let (st, v) = c.get("/api/v1/backups").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("administrators only"),
            "{who}: {v}"
        );
    }
    assert_eq!(
        Client::anonymous(&s).get("/api/v1/backups").await.0,
        StatusCode::UNAUTHORIZED
    );
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
    let admin_list = admin.get("/api/v1/backups").await;
    assert_eq!(admin_list.0, StatusCode::OK);
    assert_eq!(admin_list.1[0]["name"], r["name"], "{}", admin_list.1);
    assert_eq!(admin_list.1[0]["ours"], true);
    s.stop().await;
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

#[allow(unsafe_code)]
fn is_root() -> bool {
    // SAFETY: geteuid only reads this process's credentials.
    unsafe { libc::geteuid() == 0 }
}

/// The backup written by `out` (its "đã sao lưu vào …" line).
fn written(out: &Output) -> PathBuf {
    let stdout = text(&out.stdout);
    PathBuf::from(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("đã sao lưu vào ")?.strip_suffix(" (backup written)"))
            .unwrap_or_else(|| panic!("where the backup went: {stdout}{}", text(&out.stderr))),
    )
}

/// The names of the backups `GET /api/v1/backups` lists, newest first,
/// with whether each is this manager's.
async fn listed(admin: &Client) -> Vec<(String, bool)> {
    let (st, v) = admin.get("/api/v1/backups").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| (b["name"].as_str().unwrap().to_string(), b["ours"].as_bool().unwrap()))
        .collect()
}

fn name_of(p: &Path) -> String {
    p.file_name().unwrap().to_str().unwrap().to_string()
}

/// Left running for months: `bangtin-manager backup` on the manager's
/// machine (the daily timer's command) asks the running manager over its
/// control socket — no token —, and after each backup the manager
/// removes its own oldest beyond `backup_keep`; another manager's backup
/// and everything else in the folder stay as they were. A backup that
/// fails removes nothing; `--keep` and `?keep=` choose another number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_kept_to_backup_keep_and_nothing_else_in_the_folder_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backups = tmp.path().join("backups");
    let dir = backups.to_str().unwrap().to_string();

    // Another manager's backup in the same folder (its own data and key),
    // taken by the real command with that manager stopped.
    let other_data = tmp.path().join("other");
    seed(&other_data);
    let out = manager(
        &[
            "--data",
            other_data.to_str().unwrap(),
            "backup",
            "--offline",
            "--keep",
            "0",
        ],
        &[("BANGTIN_BACKUP_DIR", &dir)],
    )
    .await;
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let other = name_of(&written(&out));
    // And what is not a backup: an operator's notes, a directory named
    // like a backup without a manifest, a file named like one.
    std::fs::create_dir_all(backups.join("ghi-chu")).unwrap();
    std::fs::write(backups.join("ghi-chu/đọc-tôi.txt"), "chép ra ổ USB mỗi tuần").unwrap();
    std::fs::create_dir_all(backups.join("bangtin-20200101T000000Z/media")).unwrap();
    std::fs::write(backups.join("bangtin-20200101T000000Z/media/x"), b"x").unwrap();
    std::fs::write(backups.join("bangtin-20200101T000001Z"), b"a file").unwrap();
    let foreign = tree(&backups);
    let untouched = |now: &BTreeMap<PathBuf, (u64, std::time::SystemTime)>| {
        for (p, v) in &foreign {
            assert_eq!(now.get(p), Some(v), "{} untouched", p.display());
        }
    };

    seed(&data);
    let b2 = backups.clone();
    let s = Server::start(&data, move |c| {
        c.backup_dir = Some(b2);
        c.backup_keep = 3;
    })
    .await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    assert!(data.join("manager.sock").exists(), "the control socket");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(data.join("manager.sock"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // Five backups as the timer takes them: no token, no URL.
    let mut ours = Vec::new();
    for i in 0..5 {
        let out = manager(&["--data", data.to_str().unwrap(), "backup"], &[]).await;
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        ours.push(name_of(&written(&out)));
        let removed = text(&out.stdout).matches("(old backup removed)").count();
        assert_eq!(removed, usize::from(i >= 3), "backup {i}: {}", text(&out.stdout));
    }
    let want: Vec<(String, bool)> = ours[2..]
        .iter()
        .rev()
        .map(|n| (n.clone(), true))
        .chain([(other.clone(), false)])
        .collect();
    assert_eq!(
        listed(&admin).await,
        want,
        "the three newest of ours, and the other manager's"
    );
    for gone in &ours[..2] {
        assert!(!backups.join(gone).exists(), "{gone} removed");
    }
    untouched(&tree(&backups));
    // Audited as asked on the machine itself, with what was removed.
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    let entries: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "backup.create")
        .collect();
    assert_eq!(entries.len(), 5, "{log}");
    assert!(
        entries
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("local:uid=")),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["detail"]["pruned"] == json!([ours[0].clone()])),
        "{entries:?}"
    );

    // A backup that fails (the signing key unreadable) removes nothing,
    // asked by the API or the command; nothing half-written is left.
    let before = tree(&backups);
    let key = data.join("show-signing.key");
    std::fs::rename(&key, tmp.path().join("key-aside")).unwrap();
    let (st, v) = admin.call(Method::POST, "/api/v1/backups?keep=1", None).await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    let out = manager(&["--data", data.to_str().unwrap(), "backup", "--keep", "1"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("500"), "{}", text(&out.stderr));
    assert_eq!(tree(&backups), before, "a failed backup prunes nothing");
    std::fs::rename(tmp.path().join("key-aside"), &key).unwrap();

    // --keep 1: only the new one of ours is left.
    let out = manager(&["--data", data.to_str().unwrap(), "backup", "--keep", "1"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let newest = name_of(&written(&out));
    assert_eq!(text(&out.stdout).matches("(old backup removed)").count(), 3);
    assert_eq!(
        listed(&admin).await,
        vec![(newest.clone(), true), (other.clone(), false)]
    );
    // ?keep=2 through the API: the one before stays; out of range is refused.
    let (st, r) = admin.call(Method::POST, "/api/v1/backups?keep=2", None).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["pruned"], json!([]), "{r}");
    let (st, r2) = admin.call(Method::POST, "/api/v1/backups?keep=1001", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r2}");
    assert_eq!(r2["error"]["field"], "keep", "{r2}");
    let (st, r3) = admin.call(Method::POST, "/api/v1/backups?keep=2", None).await;
    assert_eq!(st, StatusCode::CREATED, "{r3}");
    assert_eq!(r3["pruned"], json!([newest]), "{r3}");
    assert_eq!(
        listed(&admin).await,
        vec![
            (r3["name"].as_str().unwrap().to_string(), true),
            (r["name"].as_str().unwrap().to_string(), true),
            (other, false)
        ]
    );
    untouched(&tree(&backups));

    // Nobody but the manager's user and root may ask on the machine.
    if is_root() {
        use std::os::unix::process::CommandExt;
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_bangtin-manager"));
        c.args(["--data", data.to_str().unwrap(), "backup"])
            .env("RUST_LOG", "warn")
            .uid(65534)
            .gid(65534);
        let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains("permission denied"), "{}", text(&out.stderr));
    }
    s.stop().await;
    assert!(!data.join("manager.sock").exists(), "removed on a graceful stop");
    // The manager stopped: the command says so and how to go on.
    let out = manager(&["--data", data.to_str().unwrap(), "backup"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("backup --offline"), "{}", text(&out.stderr));
}

/// What the page shows as a backup's size ("1,2 MB" in Vietnamese).
fn shown_size(bytes: u64) -> String {
    let (v, unit) = match bytes {
        0..1024 => return format!("{bytes} B"),
        1024..1_048_576 => (bytes as f64 / 1024.0, "KB"),
        1_048_576..1_073_741_824 => (bytes as f64 / 1_048_576.0, "MB"),
        _ => (bytes as f64 / 1_073_741_824.0, "GB"),
    };
    format!("{v:.1} {unit}").replace('.', ",")
}

/// The backup rows of the page in the browser: (name, size shown).
async fn rows(b: &Browser) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in b.c.find_all(Locator::Css("[data-test=backup-row]")).await.unwrap() {
        let name = r.attr("data-name").await.unwrap().unwrap();
        let size = r
            .find(Locator::Css("[data-test=backup-size]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        out.push((name, size));
    }
    out
}

/// Click "Sao lưu ngay" and wait for the page it leads to: its notice,
/// which names the new backup, differs from `before`.
async fn back_up_now(b: &Browser, before: &str) -> String {
    b.click("#backup-now").await;
    let t = Instant::now();
    loop {
        if let Ok(e) = b.c.find(Locator::Css("#backup-done")).await
            && let Ok(done) = e.text().await
            && done != before
        {
            return done;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "a new notice after {before:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The officers' web UI in a real browser (Debian's Chromium through
/// ChromeDriver, as `player/tests/web_ui.rs`): an administrator finds the
/// "Sao lưu" tab, sees the backups with their time and size, and "Sao lưu
/// ngay" takes one through the API's handler and says so in Vietnamese —
/// old ones beyond `backup_keep` removed and counted. axe-core finds no
/// serious problem, at desktop and phone sizes. Officers who are not
/// administrators see no such tab and are refused the page and the
/// button, with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_back_up_from_the_web_ui_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backups = tmp.path().join("backups");
    seed(&data);
    let b2 = backups.clone();
    let s = Server::start(&data, move |c| {
        c.backup_dir = Some(b2);
        c.backup_keep = 2;
    })
    .await;
    let admin = Client::token(&s, "tinh", PASSWORD).await;
    let _editor = user(&s, &admin, "bientap.a", "editor", COMMUNE_A).await;

    let b = Browser::start(1366, 768).await;
    b.sign_in(&s.url, "tinh", PASSWORD).await;
    b.goto(&format!("{}/admin", s.url)).await;
    b.wait_for("[data-test=admin-tab]", Duration::from_secs(10)).await;
    b.click("a[data-test=admin-tab][href='/admin/backups']").await;
    b.wait_for("#backups-none", Duration::from_secs(10)).await;
    let page = b.text().await;
    assert!(page.contains("Chưa có bản sao lưu nào."), "{page}");
    assert!(page.contains(&backups.display().to_string()), "where they are: {page}");
    assert!(page.contains("Giữ 2 bản gần nhất"), "{page}");
    b.assert_accessible("backups, none yet").await;

    // "Sao lưu ngay": the answer in Vietnamese, the backup in the list
    // with its time and size as the API gives them.
    let done = back_up_now(&b, "").await;
    let (st, list) = admin.get("/api/v1/backups").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let first = list[0]["name"].as_str().unwrap().to_string();
    assert!(done.starts_with(&format!("Đã sao lưu xong: {first}, lúc ")), "{done}");
    let size = shown_size(list[0]["manifest"]["bytes"].as_u64().unwrap());
    assert!(done.ends_with(&format!("{size}.")), "{done}");
    assert_eq!(rows(&b).await, vec![(first.clone(), size)]);
    assert!(backups.join(&first).join("manifest.json").exists());
    b.assert_accessible("backups after one").await;

    // Twice more: two kept (backup_keep = 2), the oldest removed and said.
    let second = back_up_now(&b, &done).await;
    assert!(!second.contains("Đã xóa"), "two kept: {second}");
    let done = back_up_now(&b, &second).await;
    assert!(done.ends_with("Đã xóa 1 bản sao lưu cũ."), "{done}");
    let shown = rows(&b).await;
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(!shown.iter().any(|(n, _)| *n == first), "{shown:?}");
    assert!(!backups.join(&first).exists(), "removed on disk");
    let (_, list) = admin.get("/api/v1/backups").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        shown.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        "newest first"
    );

    // In English, the same page.
    b.goto(&format!("{}/lang/en?next=/admin/backups", s.url)).await;
    let button = b
        .wait_for("#backup-now", Duration::from_secs(10))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(button, "Back up now");
    assert!(b.text().await.contains("2 backups"));
    b.close().await;

    // A phone: fits 360 px, accessible.
    let phone = Browser::start(360, 740).await;
    phone.sign_in(&s.url, "tinh", PASSWORD).await;
    phone.goto(&format!("{}/admin/backups", s.url)).await;
    phone.wait_for("#backups-table", Duration::from_secs(10)).await;
    assert!(phone.overflow_x().await <= 0, "no sideways scrolling at 360 px");
    phone.assert_accessible("backups on a phone").await;
    phone.close().await;

    // An editor: no administration in the menu, the page refused with the
    // reason; a forged "Sao lưu ngay" (with a valid CSRF field) too.
    let e = Browser::start(1366, 768).await;
    e.sign_in(&s.url, "bientap.a", PASSWORD).await;
    e.fill("#password", "mat-khau-moi-cua-xa-A").await;
    e.fill("#repeat", "mat-khau-moi-cua-xa-A").await;
    e.click("form[action='/password'] button[type=submit]").await;
    e.wait_url("/boards", Duration::from_secs(10)).await;
    assert!(e.c.find(Locator::Css("header nav a[href='/admin']")).await.is_err());
    e.goto(&format!("{}/admin/backups", s.url)).await;
    e.wait_for("main h1", Duration::from_secs(10)).await;
    let refused = e.text().await;
    assert!(refused.contains("administrators only"), "{refused}");
    assert!(e.c.find(Locator::Css("#backup-now")).await.is_err());
    e.close().await;
    let before = tree(&backups);
    let officer = WebClient::sign_in_ready(&s, "bientap.a", "mat-khau-moi-cua-xa-A", "mat-khau-thu-ba-xa-A").await;
    let p = officer.get("/admin/backups").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = officer.post("/admin/backups", &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("administrators only"));
    assert_eq!(tree(&backups), before, "no backup taken");
    s.stop().await;
}
