//! A real manager on 127.0.0.1 with a real sled directory, and an HTTP
//! client for it.

use bangtin_manager::accounts::{NewUser, create_unit, create_user};
use bangtin_manager::model::{Role, Unit};
use bangtin_manager::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const PROVINCE: &str = "19";
pub const COMMUNE_A: &str = "05443";
pub const COMMUNE_B: &str = "05446";
pub const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";

#[derive(Debug)]
pub struct Server {
    pub url: String,
    pub data: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    /// Start on a fresh port over `data` (created if needed).
    pub async fn start(data: &Path, tweak: impl FnOnce(&mut Config)) -> Server {
        let mut cfg = Config {
            data_dir: data.to_path_buf(),
            ..Config::default()
        };
        tweak(&mut cfg);
        // sled releases its lock from a background thread after the last
        // handle goes; a restart right after a stop may wait a moment.
        let mut tries = 0;
        let state = loop {
            match AppState::open(cfg.clone()) {
                Ok(s) => break Arc::new(s),
                Err(e) if tries < 50 && format!("{e:#}").contains("lock") => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("data dir opens: {e:#}"),
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(bangtin_manager::serve(listener, state, async {
            let _ = rx.await;
        }));
        Server {
            url,
            data: data.to_path_buf(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// A manager on the PostgreSQL database `url`, its data directory `data`
    /// (which must hold the cluster's signing key, or be the first).
    pub async fn on_postgres(data: &Path, url: &str) -> Server {
        let url = url.to_string();
        Server::start(data, move |c| {
            c.store = Some(url);
            c.requests_per_second = 1000;
        })
        .await
    }

    /// A server started some other way (a child process) at `url`.
    pub fn fake(url: &str) -> Server {
        Server {
            url: url.to_string(),
            data: PathBuf::new(),
            stop: None,
            task: None,
        }
    }

    /// Graceful stop; the data directory is closed when this returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// Units 19 (province), 05443 (A), 05446 (B) and an administrator, written
/// straight into a fresh data directory before the server starts.
pub fn seed(data: &Path) {
    seed_config(Config {
        data_dir: data.to_path_buf(),
        ..Config::default()
    });
}

/// [`seed`] into the store `cfg` names (a PostgreSQL database, say).
pub fn seed_config(cfg: Config) {
    let state = AppState::open(cfg).unwrap();
    for (code, name, parent) in [
        (PROVINCE, "Tỉnh Thái Nguyên", None),
        (COMMUNE_A, "Xã Định Hóa", Some(PROVINCE)),
        (COMMUNE_B, "Xã Phú Đình", Some(PROVINCE)),
    ] {
        create_unit(
            &*state.store,
            "test",
            &Unit {
                code: code.into(),
                name: name.into(),
                parent: parent.map(str::to_string),
                timezone: "Asia/Ho_Chi_Minh".into(),
            },
        )
        .unwrap();
    }
    create_user(
        &*state.store,
        "test",
        NewUser {
            username: "tinh".into(),
            display_name: "Sở VHTTDL".into(),
            password: PASSWORD.into(),
            role: Role::Admin,
            units: vec![],
            must_change_password: false,
        },
    )
    .unwrap();
}

#[derive(Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Cookie { cookie: String, csrf: String },
}

/// Tokens and cookies stay out of test output.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(…)",
            Auth::Cookie { .. } => "Cookie(…)",
        })
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub auth: Auth,
}

impl Client {
    pub fn anonymous(s: &Server) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: s.url.clone(),
            auth: Auth::None,
        }
    }

    /// The same client (same credentials), asking manager `s`.
    pub fn at(&self, s: &Server) -> Client {
        Client {
            base: s.url.clone(),
            ..self.clone()
        }
    }

    pub fn with(&self, auth: Auth) -> Client {
        Client { auth, ..self.clone() }
    }

    /// Sign in with a password (cookie session).
    pub async fn login(s: &Server, user: &str, password: &str) -> Client {
        let c = Client::anonymous(s);
        let r = c
            .http
            .post(format!("{}/api/v1/auth/login", c.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {user}");
        let cookie = r
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let v: Value = r.json().await.unwrap();
        c.with(Auth::Cookie {
            cookie,
            csrf: v["csrf"].as_str().unwrap().to_string(),
        })
    }

    /// Sign in, then switch to a fresh API token.
    pub async fn token(s: &Server, user: &str, password: &str) -> Client {
        let c = Client::login(s, user, password).await;
        let (st, v) = c
            .call(Method::POST, "/api/v1/tokens", Some(json!({"name": "test"})))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        c.with(Auth::Bearer(v["token"].as_str().unwrap().to_string()))
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::None => r,
            Auth::Bearer(t) => r.bearer_auth(t),
            Auth::Cookie { cookie, csrf } => r.header("cookie", cookie).header("x-csrf-token", csrf),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let st = resp.status();
        let bytes = resp.bytes().await.unwrap();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (st, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn upload(&self, unit: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .request(Method::POST, &format!("/api/v1/units/{unit}/media?name={name}"))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let st = resp.status();
        (st, resp.json().await.unwrap_or(Value::Null))
    }
}

/// A PNG picture of noise (so it does not compress away).
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut b = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png)
        .unwrap();
    b
}

/// An H.264 MP4 made by the ffmpeg CLI (no binary media in git).
pub fn mp4(dir: &Path, seconds: u32) -> Vec<u8> {
    let out = dir.join(format!("clip-{seconds}.mp4"));
    let st = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=25")
        .args([
            "-t",
            &seconds.to_string(),
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
        ])
        .arg(&out)
        .status()
        .expect("ffmpeg is installed");
    assert!(st.success());
    std::fs::read(out).unwrap()
}

/// A layout (TOML) showing picture `img` and video `vid` from the library.
pub fn layout_toml(img: &str, vid: &str) -> String {
    format!(
        r##"[board]
name = "Bảng tin xã"
width = 384
height = 192
background = "#000000"

[[zone]]
id = "noi-dung"
x = 0
y = 0
width = 384
height = 152

[[zone.item]]
type = "image"
src = "sha256:{img}"
duration = 8

[[zone.item]]
type = "video"
src = "sha256:{vid}"

[[zone]]
id = "chu-chay"
x = 0
y = 152
width = 384
height = 40
background = "#b71c1c"

[[zone.item]]
type = "ticker"
text = "Thông báo khẩn: bão số 3"
speed = 48
"##
    )
}

/// A new officer (`role` in `unit`, created by `admin`), signed in by API token.
pub async fn user(s: &Server, admin: &Client, name: &str, role: &str, unit: &str) -> Client {
    let (st, v) = admin
        .post(
            "/api/v1/users",
            json!({"username": name, "password": PASSWORD, "role": role, "units": [unit]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    Client::token(s, name, PASSWORD).await
}

/// A board paired and claimed into `unit` by `officer`: its id and a client
/// holding its credential (`bb_…`), and the manager key it pinned.
pub async fn pair(s: &Server, officer: &Client, unit: &str, name: &str) -> (String, Client, String) {
    let anon = Client::anonymous(s);
    let (st, p) = anon.post("/api/v1/pairing", json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let (st, b) = officer
        .post(
            &format!("/api/v1/units/{unit}/boards/claim"),
            json!({"code": p["code"], "name": name}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (st, c) = anon
        .post(
            "/api/v1/pairing/poll",
            json!({"code": p["code"], "secret": p["secret"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    (
        b["id"].as_str().unwrap().to_string(),
        anon.with(Auth::Bearer(c["credential"].as_str().unwrap().to_string())),
        c["manager_key"].as_str().unwrap().to_string(),
    )
}

/// A board's status as the player sends it (`wire::BoardStatus`).
pub fn board_status(interval_s: u32, show_version: u64) -> Value {
    json!({
        "player_version": "0.1.0", "uptime_s": 42, "interval_s": interval_s,
        "show_version": show_version, "layout": "lay_1@1",
        "zones": [{"zone": "chu", "item": 0, "kind": "text", "label": "Thông báo"}],
        "fps": 59.9, "dropped_frames": 1, "disk_free_bytes": 1_000_000_000u64,
        "display_on": true, "brightness": 80, "errors": []
    })
}

/// A port free on 127.0.0.1 a moment ago (for a second listener the
/// server opens itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// A random nonce for signed source requests.
pub fn nonce() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// A source system (HTTTN) an administrator registered; it signs every
/// request with its key (`X-Bangtin-*` headers).
pub struct SignedSource {
    pub id: String,
    pub key: Vec<u8>,
    pub base: String,
    pub http: reqwest::Client,
}

impl std::fmt::Debug for SignedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedSource")
            .field("id", &self.id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SignedSource {
    /// Register a source through `POST /api/v1/sources` (`body`: name,
    /// units, optionally report_url and report_every_s).
    pub async fn register(s: &Server, admin: &Client, body: Value) -> SignedSource {
        use base64::Engine;
        let (st, v) = admin.post("/api/v1/sources", body).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        SignedSource {
            id: v["source"]["id"].as_str().unwrap().to_string(),
            key: base64::engine::general_purpose::STANDARD
                .decode(v["key"].as_str().unwrap())
                .unwrap(),
            base: s.url.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// A signed request; `path` is signed exactly as given.
    pub async fn send(&self, method: Method, path: &str, ctype: &str, body: &[u8]) -> (StatusCode, Value) {
        use bangtin_manager::sources;
        let ts = chrono::Utc::now().timestamp().to_string();
        let n = nonce();
        let sig = sources::sign(&self.key, &ts, &n, method.as_str(), path, body);
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(sources::HEADER_SOURCE, &self.id)
            .header(sources::HEADER_TIMESTAMP, &ts)
            .header(sources::HEADER_NONCE, n)
            .header(sources::HEADER_SIGNATURE, sig)
            .body(body.to_vec());
        if !ctype.is_empty() {
            r = r.header("content-type", ctype);
        }
        let resp = r.send().await.unwrap();
        let st = resp.status();
        (st, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, "", b"").await
    }

    pub async fn bulletin(&self, v: &Value) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            "/api/v1/bulletins",
            "application/json",
            v.to_string().as_bytes(),
        )
        .await
    }

    pub async fn alert(&self, xml: &str) -> (StatusCode, Value) {
        self.send(Method::POST, "/api/v1/alerts", "application/cap+xml", xml.as_bytes())
            .await
    }
}

/// A board's event stream (`GET /api/v1/board/events`), read with `chunk()`.
#[derive(Debug)]
pub struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    pub async fn open(board: &Client) -> Events {
        let resp = board.request(Method::GET, "/api/v1/board/events").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Events {
            resp,
            buf: String::new(),
        }
    }

    /// The next event's data as JSON; None when the stream ended. Panics
    /// when nothing comes `within`.
    pub async fn next(&mut self, within: std::time::Duration) -> Option<Value> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return Some(serde_json::from_str(&data.join("\n")).unwrap());
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let chunk = tokio::time::timeout(left, self.resp.chunk())
                .await
                .expect("an event in time");
            match chunk {
                Ok(Some(b)) => self.buf.push_str(std::str::from_utf8(&b).unwrap()),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

/// A board paired to `s`, its show published: one layout showing picture
/// `sha` full screen. Its id, its client, the key it pinned and the
/// layout's id.
pub async fn board_showing(s: &Server, a: &Client, sha: &str) -> (String, Client, String, String) {
    let toml = format!(
        "[board]\nwidth = 384\nheight = 192\n\n[[zone]]\nid = \"anh\"\nx = 0\ny = 0\nwidth = 384\nheight = 192\n\n[[zone.item]]\ntype = \"image\"\nsrc = \"sha256:{sha}\"\nduration = 8\n"
    );
    let (st, l) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/layouts"),
            json!({"name": "L", "toml": toml}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{l}");
    let (id, board, pinned) = pair(s, a, COMMUNE_A, "Bảng chợ").await;
    let (st, v) = a
        .post(
            &format!("/api/v1/units/{COMMUNE_A}/schedules"),
            json!({"name": "S", "target": {"board": id}, "schedule": {"default_layout": l["id"]}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = a.post(&format!("/api/v1/boards/{id}/publish"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    (id, board, pinned, l["id"].as_str().unwrap().to_string())
}
