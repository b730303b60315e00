//! The network half of a managed board. Everything here may fail or wait
//! for minutes; none of it can blank the screen: the render thread only
//! ever receives complete, verified shows and verified alert sets.
//!
//! [`Agent::run`] pairs the board ([`pair`]), then starts a task each for
//! alert sets ([`alerts`]), shows ([`sync`]) and the manager's event stream
//! ([`events`]) around a shared [`Link`], and itself sends heartbeats
//! ([`beat`]), play log uploads ([`playlog`]) and screenshots
//! ([`commands`]).

mod alerts;
mod beat;
mod commands;
mod download;
mod events;
mod pair;
mod playlog;
mod sync;

use super::cache::Cache;
use super::config::BoardConfig;
use super::director::ScreenReport;
use super::playlog::PlayLog;
use super::{FromScreen, ShotKind, ShotRequest, ToScreen, Waker};
use bangtin_layouts::show::key_from_b64;
use ed25519_dalek::VerifyingKey;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").finish_non_exhaustive()
    }
}

pub struct Agent {
    pub cfg: BoardConfig,
    pub config_dir: PathBuf,
    pub cache: Cache,
    pub playlog: Arc<Mutex<PlayLog>>,
    pub report: Arc<ScreenReport>,
    pub to_screen: std::sync::mpsc::Sender<ToScreen>,
    pub wake: Waker,
    pub from_screen: mpsc::UnboundedReceiver<FromScreen>,
    /// Version of the show installed (on screen or about to be).
    pub installed: u64,
    /// Version of the alert set installed (0: none).
    pub alerts: u64,
    pub started: Instant,
    /// Problems that last as long as the process (its settings file):
    /// sent with every heartbeat, so the board's card shows them until fixed.
    pub standing: Vec<String>,
}

/// What the tasks of a paired board share.
struct Link {
    standing: Vec<String>,
    http: reqwest::Client,
    base: String,
    credential: String,
    key: VerifyingKey,
    board_id: String,
    cache: Cache,
    to_screen: Mutex<std::sync::mpsc::Sender<ToScreen>>,
    wake: Waker,
    installed: AtomicU64,
    pending: AtomicU64,
    /// Newest version the manager announced.
    announced: AtomicU64,
    sync_now: Notify,
    beat_now: Notify,
    errors: Mutex<Vec<String>>,
    /// Version of the alert set installed (0: none).
    alerts_installed: AtomicU64,
    /// Newest alert set version the manager announced.
    alerts_announced: AtomicU64,
    alerts_now: Notify,
    /// No play log upload before this (the manager answered 429).
    playlog_after: Mutex<Option<tokio::time::Instant>>,
    /// Held while alert pictures and videos download (one run at a time).
    alert_media: tokio::sync::Mutex<()>,
    /// Commands run and to acknowledge.
    received: Mutex<commands::Received>,
    /// When the clock warning was last logged; None while the clock is right.
    clock_warned: Mutex<Option<Instant>>,
}

impl Link {
    fn send(&self, m: ToScreen) {
        let _ = self.to_screen.lock().unwrap_or_else(|e| e.into_inner()).send(m);
        (self.wake)();
    }

    fn error(&self, msg: String) {
        tracing::warn!("{msg}");
        let mut e = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        if !e.contains(&msg) && e.len() < 50 {
            e.push(msg);
            // The manager hears of it now, not at the next period.
            self.beat_now.notify_one();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        r.bearer_auth(&self.credential)
    }
}

fn client(timeout: Option<Duration>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("bangtin-player/", env!("CARGO_PKG_VERSION")));
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.build().unwrap_or_else(|_| reqwest::Client::new())
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s … 60 s.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(6);
    let jitter = rand_ms() % 1000;
    Duration::from_millis((base * 1000).min(60_000) + jitter)
}

fn rand_ms() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

impl Agent {
    /// Run until the process ends.
    pub async fn run(mut self) {
        if !self.cfg.is_paired() {
            match self.pair().await {
                Ok(()) => {}
                Err(e) => {
                    tracing::error!("ghép nối thất bại: {e:#} (pairing failed)");
                    return;
                }
            }
        }
        let (Some(board_id), Some(credential), Some(key)) = (
            self.cfg.board_id.clone(),
            self.cfg.credential.clone(),
            self.cfg.manager_key.as_deref().and_then(key_from_b64),
        ) else {
            tracing::error!("cấu hình bảng tin thiếu khóa hoặc mã bảng (incomplete board config)");
            return;
        };
        let link = Arc::new(Link {
            standing: std::mem::take(&mut self.standing),
            http: client(Some(Duration::from_secs(60))),
            base: self.cfg.manager.clone(),
            credential,
            key,
            board_id,
            cache: self.cache.clone(),
            to_screen: Mutex::new(self.to_screen.clone()),
            wake: self.wake.clone(),
            installed: AtomicU64::new(self.installed),
            pending: AtomicU64::new(0),
            announced: AtomicU64::new(0),
            sync_now: Notify::new(),
            beat_now: Notify::new(),
            errors: Mutex::new(Vec::new()),
            alerts_installed: AtomicU64::new(self.alerts),
            alerts_announced: AtomicU64::new(0),
            alerts_now: Notify::new(),
            playlog_after: Mutex::new(None),
            alert_media: tokio::sync::Mutex::new(()),
            received: Mutex::new(commands::Received::open(&self.config_dir)),
            clock_warned: Mutex::new(None),
        });
        tokio::spawn(alerts::alerts_task(link.clone()));
        tokio::spawn(sync::sync_task(link.clone()));
        tokio::spawn(events::events_task(link.clone()));
        link.alerts_now.notify_one();
        link.sync_now.notify_one();
        let interval = Duration::from_secs(u64::from(self.cfg.heartbeat_seconds.max(1)));
        let mut next_beat = tokio::time::Instant::now();
        let mut want_thumb = true;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next_beat) => {
                    next_beat = tokio::time::Instant::now() + interval;
                    if want_thumb {
                        link.send(ToScreen::Shot(ShotRequest { kind: ShotKind::Thumb, command: None }));
                    }
                    want_thumb = self.beat(&link).await;
                    // The fallback for a lost alerts push (a 304 when
                    // nothing changed), while the manager answers.
                    if want_thumb {
                        link.alerts_now.notify_one();
                    }
                    self.upload_playlog(&link).await;
                }
                _ = link.beat_now.notified() => {
                    tracing::debug!("agent: beat now");
                    // Coalesce bursts of changes.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if self.beat(&link).await {
                        // What just ended on screen goes up with it.
                        self.upload_playlog(&link).await;
                    }
                }
                m = self.from_screen.recv() => match m.inspect(|m| tracing::trace!("agent: {m:?}")) {
                    Some(FromScreen::Changed) => link.beat_now.notify_one(),
                    Some(FromScreen::Shot { req, png }) => commands::upload_shot(&link, req, png).await,
                    None => return,
                },
            }
        }
    }
}
