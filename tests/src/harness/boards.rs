//! Real boards for tests and benchmarks: `bangtin-player run --manager`
//! processes (headless on lavapipe), pairing, publishing, and a source
//! system's signed requests, against a manager of [`super::manager`].
//! The player binary is the caller's to name: only the player's own tests
//! and benches know where cargo put it (`env!("CARGO_BIN_EXE_bangtin-player")`).

use super::manager::*;
use bangtin_layouts::wire::BoardStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::future::Future;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `bangtin-player run --manager` process; killed (by PID) when dropped.
#[derive(Debug)]
pub struct Player {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
}

/// Start the player binary `exe`, headless, as a board of the manager at `url`.
pub fn spawn_player(exe: impl AsRef<Path>, url: &str, dir: &Path, heartbeat: u32) -> Player {
    spawn_player_on(exe, None, url, dir, heartbeat)
}

/// On an X display (a kiosk window), or headless.
pub fn spawn_player_on(exe: impl AsRef<Path>, display: Option<&str>, url: &str, dir: &Path, heartbeat: u32) -> Player {
    spawn_player_with(exe, display, url, dir, heartbeat, &[])
}

/// With more arguments to `run` (e.g. `--config player.toml`); `url` ""
/// passes no `--manager`.
pub fn spawn_player_with(
    exe: impl AsRef<Path>,
    display: Option<&str>,
    url: &str,
    dir: &Path,
    heartbeat: u32,
    extra: &[&str],
) -> Player {
    let mut cmd = Command::new(exe.as_ref());
    cmd.arg("run").args(extra);
    match display {
        Some(d) => cmd.env("DISPLAY", d).env_remove("WAYLAND_DISPLAY"),
        None => cmd
            .arg("--headless")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
    };
    cmd.args(["--size", "384x192", "--every", "0.5"])
        // "": the manager's address comes from elsewhere (a settings file).
        .args(if url.is_empty() { vec![] } else { vec!["--manager", url] })
        .args(["--heartbeat", &heartbeat.to_string()])
        .arg("--config-dir")
        .arg(dir.join("config"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--out-dir")
        .arg(dir.join("frames"))
        .env("RUST_LOG", "info,wgpu_core=warn,wgpu_hal=warn,naga=warn");
    spawned(cmd)
}

/// Start `cmd` (a board), keeping what it prints.
fn spawned(mut cmd: Command) -> Player {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the player starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    for out in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                eprintln!("[player] {l}");
                lines.lock().unwrap().push(l);
            }
        });
    }
    Player { child, lines }
}

/// The variable that makes a test binary run a board instead of its tests
/// ([`spawn_board_here`], [`board_child`]).
const BOARD_HERE: &str = "BANGTIN_BOARD_HERE";

/// A real board as a process of its own, for tests whose crate does not
/// build the player binary (the manager's): this test binary again, running
/// its `board_child` test, which calls the player library's board loop —
/// the very code behind `bangtin-player run --headless --manager URL`.
/// The calling test binary must hold `#[test] fn board_child() {
/// bangtin_tests::harness::boards::board_child() }`.
pub fn spawn_board_here(url: &str, dir: &Path, heartbeat: u32) -> Player {
    let exe = std::env::current_exe().expect("this test binary");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "board_child", "--nocapture", "--test-threads=1"])
        .env(BOARD_HERE, format!("{url}\n{}\n{heartbeat}", dir.display()))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_LOG", "info,wgpu_core=warn,wgpu_hal=warn,naga=warn");
    spawned(cmd)
}

/// In a test binary's `board_child` test: when started by
/// [`spawn_board_here`], run the board (headless, 384×192, a frame every
/// 0.5 s) until killed; in a normal test run, return at once.
pub fn board_child() {
    use bangtin_player::board::run::{BoardOptions, run};
    use bangtin_player::kiosk;
    let Ok(spec) = std::env::var(BOARD_HERE) else {
        return;
    };
    let mut parts = spec.split('\n');
    let (url, dir, heartbeat) = (
        parts.next().unwrap_or_default().to_string(),
        std::path::PathBuf::from(parts.next().unwrap_or_default()),
        parts.next().and_then(|h| h.parse().ok()),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let ended = run(
        BoardOptions {
            manager: Some(url),
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
            heartbeat,
            manager_key: None,
            size: [384, 192],
            headless: true,
            problems: Vec::new(),
        },
        kiosk::Options {
            window: None,
            present: kiosk::PresentMode::Auto,
            fps: 30.0,
            run_for: None,
            out_dir: dir.join("frames"),
            every: 0.5,
            rotation: Default::default(),
        },
    );
    eprintln!("the board ended: {ended:?}");
    std::process::exit(1);
}

impl Player {
    pub async fn wait_line(&self, what: &str, timeout: Duration) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| l.contains(what)) {
                return l.clone();
            }
            assert!(t0.elapsed() < timeout, "the player never said {what:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn said(&self, what: &str) -> bool {
        self.lines.lock().unwrap().iter().any(|l| l.contains(what))
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Wait until `f` gives Some.
pub async fn until<T, F: Future<Output = Option<T>>>(what: &str, timeout: Duration, mut f: impl FnMut() -> F) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn status(c: &Client, board: &str) -> Option<BoardStatus> {
    let (st, v) = c.get(&format!("/api/v1/boards/{board}/status")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    serde_json::from_value(v["status"].clone()).ok()
}

/// Wait until the board reports show `version` on screen.
pub async fn on_screen(c: &Client, board: &str, version: u64, timeout: Duration) -> BoardStatus {
    until(&format!("show v{version} on screen"), timeout, || async {
        status(c, board).await.filter(|s| s.show_version == version)
    })
    .await
}

/// Read the pairing code the player prints and claim it for commune A.
pub async fn claim(admin: &Client, p: &Player, config: &Path) -> (String, String) {
    let (id, group) = claim_code(admin, p).await;
    // The board collects its credential and pins the manager's key.
    until("the board's credential", Duration::from_secs(20), || async {
        let t = std::fs::read_to_string(config.join("board.toml")).ok()?;
        (t.contains("bb_") && t.contains(&id) && t.contains("manager_key")).then_some(())
    })
    .await;
    (id, group)
}

/// Claim the code the player prints, in a new group of commune A; the
/// board's id and the group's (the board may still refuse the manager).
pub async fn claim_code(admin: &Client, p: &Player) -> (String, String) {
    let line = p.wait_line("pairing code):", Duration::from_secs(30)).await;
    let code = line.rsplit(' ').next().unwrap().to_string();
    let (st, group) = admin
        .post(&format!("/api/v1/units/{COMMUNE_A}/groups"), json!({"name": "Chợ"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{group}");
    // Claims are limited to a handful a minute per officer (code
    // guessing): a bench claiming many boards waits its turn.
    let board = loop {
        let (st, board) = admin
            .post(
                &format!("/api/v1/units/{COMMUNE_A}/boards/claim"),
                json!({"code": code, "name": "Bảng LED chợ", "groups": [group["id"]]}),
            )
            .await;
        if st != StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(st, StatusCode::CREATED, "{board}");
            break board;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    (
        board["id"].as_str().unwrap().to_string(),
        group["id"].as_str().unwrap().to_string(),
    )
}

pub async fn new_layout(c: &Client, toml: &str) -> String {
    let (st, v) = c
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "Bảng chợ", "toml": toml}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

pub async fn schedule(c: &Client, layout: &str) -> String {
    let (st, v) = c
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/schedules"),
            json!({"name": "Lịch", "target": {"unit": COMMUNE_A}, "schedule": {"default_layout": layout}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

pub async fn publish(c: &Client, board: &str) -> u64 {
    let (st, v) = c.post(&format!("/api/v1/boards/{board}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["version"].as_u64().unwrap()
}

/// Two notices taking turns, 2 s each: what proof of play must account for.
pub fn turns_toml() -> String {
    r##"[board]
name = "Bảng tin xã"
width = 384
height = 192
background = "#0b3d91"

[[zone]]
id = "thong-bao"
x = 0
y = 0
width = 384
height = 192

[[zone.item]]
type = "text"
title = "Lịch tiêm chủng"
body = "Thứ Hai, 8 giờ, trạm y tế xã."
duration = 2

[[zone.item]]
type = "text"
title = "Thông báo khẩn: bão số 3"
body = "Neo đậu tàu thuyền, gia cố nhà cửa."
duration = 2
"##
    .to_string()
}

/// A signed POST from a registered source system (see manager/src/sources.rs).
pub async fn source_post(url: &str, id: &str, key: &[u8], path: &str, ctype: &str, body: &str) -> (StatusCode, Value) {
    use bangtin_manager::sources;
    let ts = chrono::Utc::now().timestamp().to_string();
    let nonce = format!("n{:0>20}", rand_u64());
    let sig = sources::sign(key, &ts, &nonce, "POST", path, body.as_bytes());
    let r = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("content-type", ctype)
        .header(sources::HEADER_SOURCE, id)
        .header(sources::HEADER_TIMESTAMP, ts)
        .header(sources::HEADER_NONCE, nonce)
        .header(sources::HEADER_SIGNATURE, sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// A CAP 1.2 alert for commune A; `extra` goes after `<scope>`.
pub fn cap(identifier: &str, msg_type: &str, extra: &str, urgency: &str, expires: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>htttn@thainguyen.example</sender>
  <sent>2026-09-17T06:30:00+07:00</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{extra}
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số 3</event>
    <urgency>{urgency}</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <senderName>Ban Chỉ huy PCTT và TKCN tỉnh</senderName>
    <headline>Cảnh báo bão số 3: mưa rất to, nguy cơ lũ quét</headline>
    <description>Mưa 150–250 mm từ chiều 17/9.</description>
    <instruction>Không đi qua ngầm, tràn khi nước chảy xiết.</instruction>
    <parameter><valueName>VN_RISK_LEVEL</valueName><value>4</value></parameter>
    <area>
      <areaDesc>Xã Định Hóa</areaDesc>
      <geocode><valueName>VN-ADMIN</valueName><value>{COMMUNE_A}</value></geocode>
    </area>
  </info>
</alert>"#
    )
}
