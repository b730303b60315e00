//! `bangtin-player run --manager URL`: set up the board's halves and run.

use super::agent::Agent;
use super::cache::Cache;
use super::config::BoardConfig;
use super::director::{Director, Installed, ScreenReport};
use super::playlog::PlayLog;
use super::{ToScreen, Waker};
use crate::BadInput;
use crate::kiosk::{self, Ended};
use anyhow::{Context, Result};
use chrono::Utc;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BoardOptions {
    /// Manager URL; needed the first time, then kept in the config.
    pub manager: Option<String>,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub heartbeat: Option<u32>,
    /// Pin this manager key before pairing (provisioned boards).
    pub manager_key: Option<String>,
    /// Board size before the first show says otherwise (pairing screen).
    pub size: [u32; 2],
    pub headless: bool,
    /// What is wrong with the board's set-up (its settings file), already
    /// logged: reported to the manager with every heartbeat.
    pub problems: Vec<String>,
}

/// A doorbell the agent rings so the headless loop reacts at once.
#[derive(Default)]
struct Bell {
    rung: Mutex<bool>,
    cv: Condvar,
}

impl Bell {
    fn ring(&self) {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }
    fn wait(&self, d: Duration) {
        let g = self.rung.lock().unwrap_or_else(|e| e.into_inner());
        let (mut g, _) = self
            .cv
            .wait_timeout_while(g, d, |rung| !*rung)
            .unwrap_or_else(|e| e.into_inner());
        *g = false;
    }
}

/// Run the board until it stops or its manager asks for a restart, which
/// the caller carries out.
pub fn run(o: BoardOptions, kopts: kiosk::Options) -> Result<Ended> {
    let mut cfg = match (BoardConfig::load(&o.config_dir)?, &o.manager) {
        (None, None) => {
            return Err(BadInput(format!(
                "chưa có cấu hình bảng tin trong {}: lần đầu cần --manager URL (first run needs --manager)",
                o.config_dir.display()
            ))
            .into());
        }
        (None, Some(url)) => BoardConfig::new(url),
        (Some(mut c), Some(url)) => {
            let url = url.trim_end_matches('/');
            if c.manager != url {
                tracing::info!("máy chủ quản lý đổi thành {url} (manager URL changed; key stays pinned)");
                c.manager = url.to_string();
            }
            c
        }
        (Some(c), None) => c,
    };
    if !(cfg.manager.starts_with("http://") || cfg.manager.starts_with("https://")) {
        return Err(BadInput(format!(
            "--manager {:?}: cần địa chỉ http:// hoặc https:// (expected a URL)",
            cfg.manager
        ))
        .into());
    }
    if let Some(h) = o.heartbeat {
        cfg.heartbeat_seconds = h.clamp(1, 3600);
    }
    if let Some(k) = &o.manager_key {
        if bangtin_layouts::show::key_from_b64(k).is_none() {
            return Err(BadInput("--manager-key: không phải khóa ed25519 base64 (not an ed25519 key)".into()).into());
        }
        if cfg.manager_key.as_ref().is_some_and(|p| p != k) {
            return Err(BadInput(
                "--manager-key khác khóa đã ghim trong cấu hình (differs from the pinned key)".into(),
            )
            .into());
        }
        cfg.manager_key = Some(k.clone());
    }
    cfg.save(&o.config_dir)?;
    let cache = Cache::open(&o.data_dir)?;
    let playlog = Arc::new(Mutex::new(PlayLog::open(&o.data_dir)?));
    let report = Arc::new(ScreenReport::default());
    let (to_tx, to_rx) = std::sync::mpsc::channel::<ToScreen>();
    let (from_tx, from_rx) = tokio::sync::mpsc::unbounded_channel();
    let bell = Arc::new(Bell::default());
    let b2 = bell.clone();
    let wake: Waker = Arc::new(move || b2.ring());

    // Offline first: whatever complete show is cached plays at once.
    let mut director =
        Director::new(to_rx, from_tx, report.clone(), playlog.clone(), o.size).with_media_dir(cache.media_dir());
    let mut installed = 0;
    let mut alerts = 0;
    if let Some(key) = cfg.manager_key.as_deref().and_then(bangtin_layouts::show::key_from_b64)
        && cfg.is_paired()
    {
        if let Some((_, show)) = cache.current(&key) {
            installed = show.version;
            tracing::info!("phát chương trình v{} từ bộ nhớ đệm (playing from cache)", show.version);
            director = director.with_show(Arc::new(Installed::new(show, &cache.media_dir())));
        }
        // An emergency still in force shows at once, network or not.
        if let Some(board) = cfg.board_id.as_deref()
            && let Some((_, set)) = cache.alerts(&key, board)
        {
            alerts = set.version;
            let n = set.emergencies(Utc::now()).len();
            tracing::info!(
                "bộ cảnh báo v{} từ bộ nhớ đệm, {n} khẩn cấp đang hiệu lực (alert set from cache)",
                set.version
            );
            director = director.with_alerts(Arc::new(set));
        }
    }
    let agent = Agent {
        cfg: cfg.clone(),
        config_dir: o.config_dir.clone(),
        cache,
        playlog,
        report,
        to_screen: to_tx,
        wake,
        from_screen: from_rx,
        installed,
        alerts,
        started: Instant::now(),
        standing: o.problems,
    };
    std::thread::Builder::new()
        .name("bangtin-agent".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match rt {
                Ok(rt) => rt.block_on(agent.run()),
                Err(e) => tracing::error!("không khởi động được mạng: {e} (no runtime)"),
            }
        })
        .context("không tạo được luồng mạng (cannot spawn agent)")?;

    let has_display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if o.headless || !has_display {
        let mut director = director;
        return kiosk::run_headless(&mut director, &kopts, &|d| bell.wait(d));
    }
    kiosk::run_window(Box::new(director), kopts)
}
