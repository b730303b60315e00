//! The manager the load tools measure: a data directory filled with claimed
//! boards before it starts, the `bangtin-manager serve` process, and the
//! tools' administrator signing in.

use anyhow::{Context, Result};
use bangtin_manager::accounts::{NewUser, create_unit, create_user, new_secret, secret_hash};
use bangtin_manager::model::{Board, Role, Unit, key};
use bangtin_manager::store::Op;
use bangtin_manager::{AppState, Config};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The administrator [`populate`] creates, and its password.
pub const BENCH_USER: &str = "bench";
pub const BENCH_PASSWORD: &str = "mat-khau-do-hieu-nang";
/// The unit [`populate`] puts every board in.
pub const BENCH_UNIT: &str = "05443";

/// `bangtin-manager` in the directory of the running program: cargo builds
/// both into `target/<profile>/` (`cargo build --release -p bangtin-manager
/// -p bangtin-tests`).
pub fn manager_beside_this_program() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .context("this program has no directory")?
        .join("bangtin-manager");
    anyhow::ensure!(
        path.is_file(),
        "không thấy {} (not found): build it (cargo build --release -p bangtin-manager) or name one with --manager PATH",
        path.display()
    );
    Ok(path)
}

/// Fill a data directory with `n` claimed boards (`brd_bench0` …), each with
/// a signed show of `layout` (TOML) at version 1; returns their credentials.
pub fn populate(dir: &Path, n: u32, layout: &str) -> Result<Vec<String>> {
    populate_store(dir, None, n, layout)
}

/// [`populate`] into the PostgreSQL database `store` (`None`: sled in
/// `dir`); `dir` keeps the signing key either way.
pub fn populate_store(dir: &Path, store: Option<&str>, n: u32, layout: &str) -> Result<Vec<String>> {
    let state = AppState::open(Config {
        data_dir: dir.to_path_buf(),
        store: store.map(str::to_string),
        ..Config::default()
    })?;
    let unit = Unit {
        code: BENCH_UNIT.into(),
        name: "Xã Định Hóa".into(),
        parent: None,
        timezone: "Asia/Ho_Chi_Minh".into(),
    };
    create_unit(&*state.store, "bench", &unit)?;
    create_user(
        &*state.store,
        "bench",
        NewUser {
            username: BENCH_USER.into(),
            display_name: String::new(),
            password: BENCH_PASSWORD.into(),
            role: Role::Admin,
            units: vec![],
            must_change_password: false,
        },
    )?;
    let raw = bangtin_layouts::parse_raw(layout, Path::new("bench.toml")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = chrono::Utc::now();
    let mut creds = Vec::with_capacity(n as usize);
    let mut ops = Vec::new();
    for i in 0..n {
        let id = format!("brd_bench{i}");
        let cred = new_secret("bb_");
        ops.extend(board_records(&id, &unit.code, &cred, "bench", 1));
        let show = bangtin_layouts::show::Show {
            schema: bangtin_layouts::show::SHOW_SCHEMA.into(),
            board: id.clone(),
            version: 1,
            issued_at: now,
            valid_from: now,
            valid_until: now + chrono::Duration::days(28),
            timezone: unit.timezone.clone(),
            slots: vec![bangtin_layouts::schedule::Slot {
                start: now,
                end: now + chrono::Duration::days(28),
                layout: Some("lay_1@1".into()),
            }],
            layouts: [("lay_1@1".to_string(), raw.clone())].into_iter().collect(),
            media: vec![],
            display: Default::default(),
        };
        ops.push(Op::put(
            key::show(&id),
            &bangtin_layouts::show::sign(&show, &state.key.0),
        ));
        creds.push(cred);
        if ops.len() >= 3000 {
            state.store.apply(std::mem::take(&mut ops))?;
        }
    }
    state.store.apply(ops)?;
    state.store.flush()?;
    Ok(creds)
}

/// The records of a board `id` of `unit` claimed by `by`, with credential
/// `cred` and signed show `show_version` (0: none yet), as a claim writes them.
pub fn board_records(id: &str, unit: &str, cred: &str, by: &str, show_version: u64) -> [Op; 2] {
    let board = Board {
        id: id.to_string(),
        unit: unit.to_string(),
        name: format!("Bảng {id}"),
        groups: vec![],
        disabled: false,
        claimed_by: by.into(),
        claimed_at: chrono::Utc::now(),
        show_version,
        last_seen: None,
        display: Default::default(),
    };
    [
        Op::put(key::board(id), &board),
        Op::put(key::board_cred(&secret_hash(cred)), &id),
    ]
}

/// A `bangtin-manager serve` child process; killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Start `exe serve` on a free loopback port over `dir`, with `env`
    /// added to its environment.
    pub fn start(exe: &Path, dir: &Path, env: &[(&str, String)]) -> Result<Server> {
        let mut cmd = Command::new(exe);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir)
            // `BANGTIN_MANAGER_LOG` (a `RUST_LOG` filter) shows what the
            // manager logs, e.g. to trace a stall; errors only otherwise.
            .env(
                "RUST_LOG",
                std::env::var("BANGTIN_MANAGER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start the manager ({})", exe.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .context("the manager printed no address")?
            .to_string();
        Ok(Server { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stop gracefully (SIGTERM: requests in flight finish, the store is
    /// flushed) and wait up to `wait`; killed if it takes longer.
    pub fn stop(mut self, wait: Duration) -> Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::bail!("máy chủ không dừng sau {wait:?} (server did not stop)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sign in as the tools' administrator: the session cookie (`name=value`)
/// and its CSRF token.
pub async fn bench_session(c: &reqwest::Client, url: &str) -> Result<(String, String)> {
    let r = c
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": BENCH_USER, "password": BENCH_PASSWORD}))
        .send()
        .await?
        .error_for_status()?;
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(bangtin_manager::auth::SESSION_COOKIE))
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?
        .to_string();
    let v: serde_json::Value = r.json().await?;
    let csrf = v["csrf"].as_str().context("no csrf")?.to_string();
    Ok((cookie, csrf))
}

/// Disk space used by the files under `dir`, KiB.
pub fn disk_kib(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_kib(&e.path()),
            Ok(m) => m.blocks() / 2,
            Err(_) => 0,
        })
        .sum()
}

/// Send a CAP document to `url` as source `source`, signed with its `key`
/// as the source-system protocol asks (`X-Bangtin-*` headers).
pub async fn post_cap(http: &reqwest::Client, url: &str, source: &str, key: &[u8], body: &str) -> Result<()> {
    use bangtin_manager::sources;
    let ts = chrono::Utc::now().timestamp().to_string();
    let nonce = new_secret("n");
    let path = "/api/v1/alerts";
    let sig = sources::sign(key, &ts, &nonce, "POST", path, body.as_bytes());
    let r = http
        .post(format!("{url}{path}"))
        .header(sources::HEADER_SOURCE, source)
        .header(sources::HEADER_TIMESTAMP, ts)
        .header(sources::HEADER_NONCE, nonce)
        .header(sources::HEADER_SIGNATURE, sig)
        .header("content-type", "application/cap+xml")
        .body(body.to_string())
        .send()
        .await?;
    if !r.status().is_success() {
        anyhow::bail!("CAP: {} {}", r.status(), r.text().await.unwrap_or_default());
    }
    Ok(())
}
