//! The network half of a managed board. Everything here may fail or wait
//! for minutes; none of it can blank the screen: the render thread only
//! ever receives complete, verified shows and verified alert sets.
//!
//! Alerts have their own task ([`alerts_task`]), so an emergency never
//! waits behind a show's downloads. It fetches `GET /api/v1/board/alerts`
//! (`If-None-Match: "<installed version>"`) on a `{"type":"alerts"}` push
//! newer than the installed set, on every (re)connection of the event
//! stream (a board that was offline catches up at once), at start, and
//! with every periodic heartbeat (the fallback when a push is lost). A set
//! is verified with the pinned key, must be for this board and newer than
//! the installed one, goes to the screen at once ([`ToScreen::Alerts`],
//! which also rings the render loop) and is then kept in the cache
//! (`show/alerts.json`) for offline restarts.

use super::cache::{Cache, disk_free, sha256_file, sync_dir};
use super::config::BoardConfig;
use super::director::{Installed, Shared};
use super::playlog::PlayLog;
use super::{FromScreen, ShotKind, ShotRequest, ToScreen, Waker};
use anyhow::{Context, Result, anyhow, bail};
use bangtin_layouts::alerts::AlertSet;
use bangtin_layouts::show::{Show, ShowMedia, Signed, key_from_b64, verify};
use bangtin_layouts::wire::{
    Action, BoardStatus, Command, HeartbeatReply, MAX_PLAYLOG_BATCH, PlaylogAck, PlaylogBatch, Push,
};
use ed25519_dalek::VerifyingKey;
use reqwest::StatusCode;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc};

/// Files downloaded at once.
const PARALLEL_DOWNLOADS: usize = 3;

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
    pub shared: Arc<Shared>,
    pub to_screen: std::sync::mpsc::Sender<ToScreen>,
    pub wake: Waker,
    pub from_screen: mpsc::UnboundedReceiver<FromScreen>,
    /// Version of the show installed (on screen or about to be).
    pub installed: u64,
    /// Version of the alert set installed (0: none).
    pub alerts: u64,
    pub started: Instant,
}

/// What the tasks of a paired board share.
struct Link {
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
        });
        tokio::spawn(alerts_task(link.clone()));
        tokio::spawn(sync_task(link.clone()));
        tokio::spawn(events_task(link.clone()));
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
                    Some(FromScreen::Shot { req, png }) => upload_shot(&link, req, png).await,
                    None => return,
                },
            }
        }
    }

    /// Get a code, show it, wait for an officer to claim the board.
    async fn pair(&mut self) -> Result<()> {
        let http = client(Some(Duration::from_secs(20)));
        let base = self.cfg.manager.clone();
        let mut attempt = 0;
        loop {
            self.show(ToScreen::Pairing(String::new()));
            let started: serde_json::Value = match http.post(format!("{base}/api/v1/pairing")).send().await {
                Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
                Ok(r) => {
                    tracing::warn!(
                        "máy chủ từ chối xin mã ghép nối: {} (pairing request refused)",
                        r.status()
                    );
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!("không kết nối được máy chủ quản lý: {e} (manager unreachable)");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
            };
            let (Some(code), Some(secret)) = (started["code"].as_str(), started["secret"].as_str()) else {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
                continue;
            };
            attempt = 0;
            tracing::info!("mã ghép nối: {code} (pairing code)");
            println!("Mã ghép nối (pairing code): {code}");
            self.show(ToScreen::Pairing(code.to_string()));
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let r = http
                    .post(format!("{base}/api/v1/pairing/poll"))
                    .json(&serde_json::json!({"code": code, "secret": secret}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let v: serde_json::Value = r.json().await.context("trả lời ghép nối hỏng")?;
                        let key = v["manager_key"].as_str().unwrap_or_default().to_string();
                        if key_from_b64(&key).is_none() {
                            bail!("máy chủ gửi khóa công khai không hợp lệ (bad manager key)");
                        }
                        if let Some(pinned) = &self.cfg.manager_key
                            && pinned != &key
                        {
                            bail!(
                                "khóa của máy chủ khác khóa đã cài trên bảng: từ chối (manager key does not match the pinned one)"
                            );
                        }
                        self.cfg.board_id = v["board_id"].as_str().map(str::to_string);
                        self.cfg.credential = v["credential"].as_str().map(str::to_string);
                        self.cfg.manager_key = Some(key);
                        self.cfg.save(&self.config_dir)?;
                        tracing::info!(
                            "đã ghép nối: bảng {} (claimed)",
                            self.cfg.board_id.as_deref().unwrap_or("?")
                        );
                        self.show(ToScreen::Claimed);
                        return Ok(());
                    }
                    Ok(r) if r.status() == StatusCode::ACCEPTED => {}
                    Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    // Expired or unknown: ask for a new code.
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("mất kết nối khi chờ ghép nối: {e} (waiting to be claimed)");
                        tokio::time::sleep(backoff(1)).await;
                    }
                }
            }
        }
    }

    fn show(&self, m: ToScreen) {
        let _ = self.to_screen.send(m);
        (self.wake)();
    }

    /// Send one heartbeat; true when it went through.
    async fn beat(&self, link: &Link) -> bool {
        let st = self.shared.status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut errors = st.errors.clone();
        errors.extend(link.errors.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned());
        let pending = link.pending.load(Ordering::Relaxed);
        let body = BoardStatus {
            player_version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_s: self.started.elapsed().as_secs(),
            interval_s: self.cfg.heartbeat_seconds.max(1),
            show_version: st.show_version,
            show_since: st.show_since,
            pending_version: (pending > st.show_version).then_some(pending),
            layout: st.layout.clone(),
            zones: st.zones.clone(),
            fps: st.fps,
            dropped_frames: st.dropped_frames,
            disk_free_bytes: disk_free(self.cache.dir()),
            display_on: st.display_on,
            brightness: st.brightness,
            errors,
            alert_media: link
                .cache
                .alerts(&link.key, &link.board_id)
                .map(|(_, set)| {
                    set.media()
                        .into_iter()
                        .filter(|m| link.cache.has(m))
                        .map(|m| m.sha256)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let r = link
            .auth(link.http.post(link.url("/api/v1/board/heartbeat")))
            .timeout(Duration::from_secs(10))
            .json(&body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                // Sent: these errors are reported.
                self.shared
                    .status
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .errors
                    .clear();
                link.errors.lock().unwrap_or_else(|e| e.into_inner()).clear();
                if let Ok(reply) = r.json::<HeartbeatReply>().await {
                    announce(link, reply.show_version);
                    for c in reply.commands {
                        command(link, c);
                    }
                }
                true
            }
            Ok(r) => {
                tracing::warn!("nhịp tim bị từ chối: {} (heartbeat refused)", r.status());
                false
            }
            Err(e) => {
                tracing::debug!("không gửi được nhịp tim: {e} (heartbeat failed)");
                false
            }
        }
    }

    async fn upload_playlog(&self, link: &Link) {
        let after = *link.playlog_after.lock().unwrap_or_else(|e| e.into_inner());
        if after.is_some_and(|t| tokio::time::Instant::now() < t) {
            // Told to slow down: the events wait (they are kept on disk).
            return;
        }
        tracing::debug!("agent: play log upload");
        for _ in 0..100 {
            let batch = self
                .playlog
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pending(MAX_PLAYLOG_BATCH);
            let Some(last) = batch.last().map(|e| e.seq) else {
                return;
            };
            let r = link
                .auth(link.http.post(link.url("/api/v1/board/playlog")))
                .json(&PlaylogBatch { events: batch })
                .send()
                .await;
            tracing::debug!(
                "agent: play log upload up to {last}: {:?}",
                r.as_ref().map(|r| r.status())
            );
            match r {
                Ok(r) if r.status().is_success() => {
                    if let Ok(ack) = r.json::<PlaylogAck>().await {
                        let upto = ack.last_seq.min(last);
                        let res = self.playlog.lock().unwrap_or_else(|e| e.into_inner()).acknowledge(upto);
                        if let Err(e) = res {
                            link.error(format!("{e:#}"));
                            return;
                        }
                    } else {
                        return;
                    }
                }
                Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                    // Honour Retry-After, so uploads never crowd out the
                    // requests that matter more (alerts, heartbeats).
                    let wait = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .unwrap_or(30)
                        .clamp(1, 600);
                    tracing::debug!("agent: play log upload paused {wait} s (429)");
                    *link.playlog_after.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(tokio::time::Instant::now() + Duration::from_secs(wait));
                    return;
                }
                Ok(r) => {
                    tracing::warn!("nhật ký phát bị từ chối: {} (play log refused)", r.status());
                    return;
                }
                Err(_) => return,
            }
        }
    }
}

/// The manager has (at least) this version.
fn announce(link: &Link, version: u64) {
    let prev = link.announced.fetch_max(version, Ordering::Relaxed);
    if version > link.installed.load(Ordering::Relaxed) && version > prev {
        link.sync_now.notify_one();
    }
}

fn command(link: &Link, c: Command) {
    tracing::info!("lệnh từ máy chủ: {:?} ({})", c.action, c.id);
    match c.action {
        Action::Reload => {
            link.send(ToScreen::Reload);
            link.sync_now.notify_one();
        }
        Action::Screenshot => link.send(ToScreen::Shot(ShotRequest {
            kind: ShotKind::Full,
            command: Some(c.id),
        })),
        Action::Restart => link.send(ToScreen::Restart),
    }
}

async fn upload_shot(link: &Link, req: ShotRequest, png: Vec<u8>) {
    let mut url = link.url(&format!("/api/v1/board/screenshot?kind={}", req.kind.as_str()));
    if let Some(id) = &req.command {
        url.push_str(&format!("&command={id}"));
    }
    let r = link
        .auth(link.http.put(url))
        .header(reqwest::header::CONTENT_TYPE, "image/png")
        .body(png)
        .send()
        .await;
    match r {
        Ok(r) if r.status().is_success() => tracing::debug!("đã gửi ảnh chụp {} (screenshot sent)", req.kind.as_str()),
        Ok(r) => tracing::warn!("ảnh chụp màn hình bị từ chối: {} (screenshot refused)", r.status()),
        Err(e) => tracing::debug!("không gửi được ảnh chụp màn hình: {e}"),
    }
}

/// The long-lived event stream: pushes arrive the moment the manager
/// sends them. Reconnects with backoff; the heartbeat is the fallback.
async fn events_task(link: Arc<Link>) {
    let http = client(None);
    let mut attempt = 0u32;
    loop {
        let r = link
            .auth(http.get(link.url("/api/v1/board/events")))
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await;
        match r {
            Ok(mut resp) if resp.status().is_success() => {
                tracing::info!("đã nối kênh đẩy của máy chủ (event stream connected)");
                attempt = 0;
                // Back online: alerts issued meanwhile show at once.
                link.alerts_now.notify_one();
                let mut buf = Vec::new();
                // No data (not even a keep-alive comment) for this long: reconnect.
                let idle = Duration::from_secs(45);
                while let Ok(Ok(Some(bytes))) = tokio::time::timeout(idle, resp.chunk()).await {
                    buf.extend_from_slice(&bytes);
                    while let Some(pos) = find_event_end(&buf) {
                        let ev: Vec<u8> = buf.drain(..pos).collect();
                        handle_event(&link, &String::from_utf8_lossy(&ev));
                    }
                    if buf.len() > 1 << 20 {
                        buf.clear();
                    }
                }
                tracing::info!("mất kênh đẩy, sẽ nối lại (event stream lost)");
            }
            Ok(resp) => tracing::warn!("kênh đẩy bị từ chối: {} (event stream refused)", resp.status()),
            Err(e) => tracing::debug!("không nối được kênh đẩy: {e}"),
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// End (exclusive, including the blank line) of the first complete SSE event.
fn find_event_end(buf: &[u8]) -> Option<usize> {
    let s = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let c = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    match (s, c) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn handle_event(link: &Link, ev: &str) {
    let data: String = ev
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect::<Vec<_>>()
        .join("\n");
    if data.is_empty() {
        return;
    }
    match serde_json::from_str::<Push>(&data) {
        Ok(Push::Show { version }) => announce(link, version),
        Ok(Push::Command(c)) => command(link, c),
        Ok(Push::Alerts { version }) => announce_alerts(link, version),
        Err(e) => tracing::debug!("bỏ qua sự kiện không hiểu: {e}"),
    }
}

/// The manager has (at least) this alert set version.
fn announce_alerts(link: &Link, version: u64) {
    link.alerts_announced.fetch_max(version, Ordering::Relaxed);
    if version > link.alerts_installed.load(Ordering::Relaxed) {
        link.alerts_now.notify_one();
    }
}

/// Fetch, verify, show and keep alert sets whenever told to.
async fn alerts_task(link: Arc<Link>) {
    let mut attempt = 0u32;
    loop {
        link.alerts_now.notified().await;
        loop {
            match fetch_alerts(&link).await {
                Ok(()) => {
                    attempt = 0;
                    // Pictures and videos follow; the texts are on screen.
                    tokio::spawn(alert_media(link.clone()));
                    break;
                }
                Err(e) => {
                    link.error(format!("cập nhật cảnh báo: {e:#} (alerts)"));
                    // Emergencies do not wait out long backoffs (≤ 8 s);
                    // a new push or a reconnection retries at once.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(attempt.min(3))) => {}
                        _ = link.alerts_now.notified() => {}
                    }
                    attempt += 1;
                    // Retry only while there is something newer to get.
                    if link.alerts_announced.load(Ordering::Relaxed) <= link.alerts_installed.load(Ordering::Relaxed)
                        && attempt > 3
                    {
                        break;
                    }
                }
            }
        }
    }
}

/// Download the pictures and videos of the kept alert set that are not
/// cached yet, telling the screen as each arrives. A failed file is tried
/// again at the next alert fetch (a push, a reconnection).
async fn alert_media(link: Arc<Link>) {
    let _one = link.alert_media.lock().await;
    let Some((_, set)) = link.cache.alerts(&link.key, &link.board_id) else {
        return;
    };
    for m in set.media() {
        if link.cache.has(&m) {
            continue;
        }
        let url = link.url(&format!("/api/v1/board/media/{}", m.sha256));
        match download(&link.http, &url, &link.credential, &link.cache, &m).await {
            Ok(()) => {
                link.send(ToScreen::AlertMedia);
                // The manager reports it ready from the next heartbeat.
                link.beat_now.notify_one();
            }
            Err(e) => link.error(format!("tải ảnh/video của cảnh báo {}: {e:#} (alert media)", m.sha256)),
        }
    }
}

/// What to do with a verified alert set, given the installed version.
fn judge_alerts(set: &AlertSet, board: &str, installed: u64) -> Result<bool, String> {
    if set.board != board {
        return Err(format!(
            "từ chối bộ cảnh báo của bảng khác ({}) (alert set for another board)",
            set.board
        ));
    }
    if set.version < installed {
        return Err(format!(
            "từ chối bộ cảnh báo cũ hơn (v{} < v{installed}) (older alert set refused)",
            set.version
        ));
    }
    Ok(set.version > installed)
}

async fn fetch_alerts(link: &Link) -> Result<()> {
    let installed = link.alerts_installed.load(Ordering::Relaxed);
    let mut req = link
        .auth(link.http.get(link.url("/api/v1/board/alerts")))
        .timeout(Duration::from_secs(20));
    if installed > 0 {
        req = req.header(reqwest::header::IF_NONE_MATCH, format!("\"{installed}\""));
    }
    let r = req.send().await.context("không kết nối được máy chủ")?;
    match r.status() {
        StatusCode::NOT_MODIFIED => return Ok(()),
        // Nothing was ever issued for this board.
        StatusCode::NOT_FOUND => return Ok(()),
        s if !s.is_success() => bail!("máy chủ trả lời {s}"),
        _ => {}
    }
    let signed: Signed = r
        .json()
        .await
        .context("bộ cảnh báo không đọc được (unreadable alert set)")?;
    let set = bangtin_layouts::alerts::verify(&signed, &link.key).map_err(|e| anyhow!("từ chối bộ cảnh báo: {e}"))?;
    match judge_alerts(&set, &link.board_id, installed) {
        // Fetching again would get the same answer: report, do not retry.
        Err(msg) => {
            link.error(msg);
            return Ok(());
        }
        Ok(false) => return Ok(()),
        Ok(true) => {}
    }
    link.alerts_installed.store(set.version, Ordering::Relaxed);
    let now = chrono::Utc::now();
    let emergencies: Vec<String> = set.emergencies(now).iter().map(|a| a.id.clone()).collect();
    tracing::info!(
        "bộ cảnh báo v{}: {} cảnh báo, khẩn cấp đang hiệu lực: {emergencies:?} (alert set installed)",
        set.version,
        set.alerts.len()
    );
    // The screen first: keeping it on disk can wait a few milliseconds.
    link.send(ToScreen::Alerts(Arc::new(set)));
    if let Err(e) = link.cache.install_alerts(&signed) {
        link.error(format!("không lưu được bộ cảnh báo: {e:#} (alert set not kept)"));
    }
    Ok(())
}

/// Fetch, verify, download and install shows whenever told to.
async fn sync_task(link: Arc<Link>) {
    let mut attempt = 0u32;
    loop {
        link.sync_now.notified().await;
        loop {
            match sync_once(&link).await {
                Ok(()) => {
                    attempt = 0;
                    break;
                }
                Err(e) => {
                    link.error(format!("đồng bộ chương trình: {e:#} (sync)"));
                    // A newer publish does not wait out the backoff.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(attempt)) => {}
                        _ = link.sync_now.notified() => {}
                    }
                    attempt += 1;
                    // Retry only while there is something newer to get.
                    if link.announced.load(Ordering::Relaxed) <= link.installed.load(Ordering::Relaxed) && attempt > 3 {
                        break;
                    }
                }
            }
        }
    }
}

async fn sync_once(link: &Link) -> Result<()> {
    let installed = link.installed.load(Ordering::Relaxed);
    let mut req = link.auth(link.http.get(link.url("/api/v1/board/show")));
    if installed > 0 {
        req = req.header(reqwest::header::IF_NONE_MATCH, format!("\"{installed}\""));
    }
    let r = req.send().await.context("không kết nối được máy chủ")?;
    match r.status() {
        StatusCode::NOT_MODIFIED => return Ok(()),
        StatusCode::NOT_FOUND => return Ok(()), // nothing published yet
        s if !s.is_success() => bail!("máy chủ trả lời {s}"),
        _ => {}
    }
    let signed: Signed = r
        .json()
        .await
        .context("chương trình không đọc được (unreadable show)")?;
    let show = verify(&signed, &link.key).map_err(|e| anyhow!("từ chối chương trình: {e}"))?;
    if show.board != link.board_id {
        bail!(
            "từ chối chương trình của bảng khác ({}) (show for another board)",
            show.board
        );
    }
    if show.version <= installed {
        if show.version < installed {
            tracing::warn!(
                "bỏ qua chương trình cũ hơn (v{} < v{installed}) (older show ignored)",
                show.version
            );
        }
        return Ok(());
    }
    link.pending.store(show.version, Ordering::Relaxed);
    download_all(link, &show).await?;
    // Everything is here and verified: switch atomically.
    let old = link.cache.current(&link.key).map(|(_, s)| s);
    link.cache.install(&signed, &show)?;
    link.installed.store(show.version, Ordering::Relaxed);
    tracing::info!(
        "chương trình v{} đã sẵn sàng: {} bố cục, {} tệp (show installed)",
        show.version,
        show.layouts.len(),
        show.media.len()
    );
    let inst = Installed::new(show.clone(), &link.cache.media_dir());
    for p in &inst.problems {
        link.error(p.clone());
    }
    link.send(ToScreen::Show(Arc::new(inst)));
    // Media of the show on screen until the switch stays; older goes.
    let alert_media = link
        .cache
        .alerts(&link.key, &link.board_id)
        .map(|(_, set)| set.media())
        .unwrap_or_default();
    let keep: HashSet<String> = show
        .media
        .iter()
        .chain(old.iter().flat_map(|o| o.media.iter()))
        .chain(alert_media.iter())
        .map(|m| m.sha256.clone())
        .collect();
    let n = link.cache.collect_garbage(&keep);
    if n > 0 {
        tracing::info!("đã xóa {n} tệp không còn dùng (media garbage-collected)");
    }
    Ok(())
}

async fn download_all(link: &Link, show: &Show) -> Result<()> {
    let missing: Vec<ShowMedia> = link.cache.missing(show).into_iter().cloned().collect();
    if missing.is_empty() {
        return Ok(());
    }
    let total: u64 = missing.iter().map(|m| m.size).sum();
    tracing::info!("tải {} tệp, {} byte (downloading media)", missing.len(), total);
    let sem = Arc::new(tokio::sync::Semaphore::new(PARALLEL_DOWNLOADS));
    let mut set = tokio::task::JoinSet::new();
    for m in missing {
        let sem = sem.clone();
        let http = link.http.clone();
        let url = link.url(&format!("/api/v1/board/media/{}", m.sha256));
        let cred = link.credential.clone();
        let cache = link.cache.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            download(&http, &url, &cred, &cache, &m).await
        });
    }
    let mut first_err = None;
    while let Some(r) = set.join_next().await {
        let r = r.map_err(|e| anyhow!("{e}")).and_then(|r| r);
        if let Err(e) = r
            && first_err.is_none()
        {
            first_err = Some(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Download one file into `<sha>.part`, resuming from its length, verify
/// its hash and size, then move it into place.
async fn download(http: &reqwest::Client, url: &str, cred: &str, cache: &Cache, m: &ShowMedia) -> Result<()> {
    let part = cache.part_path(&m.sha256);
    let mut have = tokio::fs::metadata(&part).await.map(|md| md.len()).unwrap_or(0);
    if have > m.size {
        let _ = tokio::fs::remove_file(&part).await;
        have = 0;
    }
    if have < m.size {
        let mut req = http.get(url).bearer_auth(cred).timeout(Duration::from_secs(3600));
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let mut r = req.send().await.with_context(|| format!("tải {}", m.sha256))?;
        let append = match r.status() {
            StatusCode::PARTIAL_CONTENT => true,
            StatusCode::OK => false,
            StatusCode::RANGE_NOT_SATISFIABLE => {
                let _ = tokio::fs::remove_file(&part).await;
                bail!("tải {}: vị trí tiếp tục không hợp lệ, tải lại từ đầu", m.sha256);
            }
            s => bail!("tải {}: máy chủ trả lời {s}", m.sha256),
        };
        if have > 0 && append {
            tracing::info!("tiếp tục tải {} từ byte {have} (resuming)", m.sha256);
        }
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&part)
            .await
            .with_context(|| format!("không ghi được {}", part.display()))?;
        let mut got = if append { have } else { 0 };
        while let Some(chunk) = r.chunk().await.with_context(|| format!("tải {} bị ngắt", m.sha256))? {
            got += chunk.len() as u64;
            if got > m.size {
                drop(f);
                let _ = tokio::fs::remove_file(&part).await;
                bail!("tải {}: tệp dài hơn khai báo (larger than listed)", m.sha256);
            }
            f.write_all(&chunk).await.context("không ghi được tệp tải về")?;
        }
        f.sync_all().await.context("không ghi được tệp tải về")?;
    }
    let part2 = part.clone();
    let sha = tokio::task::spawn_blocking(move || sha256_file(&part2))
        .await
        .map_err(|e| anyhow!("{e}"))?
        .context("không đọc lại được tệp tải về")?;
    let len = tokio::fs::metadata(&part).await.map(|md| md.len()).unwrap_or(0);
    if len < m.size {
        bail!("tải {}: mới có {len}/{} byte", m.sha256, m.size);
    }
    if sha != m.sha256 {
        let _ = tokio::fs::remove_file(&part).await;
        bail!(
            "tệp tải về sai mã băm (got {sha}, want {}): đã xóa, sẽ tải lại (hash mismatch)",
            m.sha256
        );
    }
    let dest = cache.media_path(&m.sha256);
    tokio::fs::rename(&part, &dest)
        .await
        .with_context(|| format!("không đặt được {}", dest.display()))?;
    sync_dir(&cache.media_dir());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_on_blank_lines() {
        let b = b"data: {\"type\":\"show\",\"version\":3}\n\n: keep-alive\n\ndata: x";
        let e = find_event_end(b).unwrap();
        assert_eq!(&b[..e], b"data: {\"type\":\"show\",\"version\":3}\n\n");
        assert!(find_event_end(b"data: partial").is_none());
        assert!(backoff(0) >= Duration::from_secs(1) && backoff(20) <= Duration::from_secs(61));
    }

    #[test]
    fn alert_sets_for_other_boards_or_older_are_refused() {
        let set = |board: &str, version| AlertSet {
            schema: bangtin_layouts::alerts::ALERTS_SCHEMA.into(),
            board: board.into(),
            version,
            issued_at: chrono::Utc::now(),
            alerts: vec![],
            round_seconds: None,
        };
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 2), Ok(true));
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 0), Ok(true));
        assert_eq!(judge_alerts(&set("brd_1", 3), "brd_1", 3), Ok(false));
        assert!(
            judge_alerts(&set("brd_1", 2), "brd_1", 3)
                .unwrap_err()
                .contains("cũ hơn")
        );
        assert!(
            judge_alerts(&set("brd_2", 9), "brd_1", 3)
                .unwrap_err()
                .contains("bảng khác")
        );
        // An alerts push is understood.
        assert_eq!(
            serde_json::from_str::<Push>(r#"{"type":"alerts","version":4}"#).unwrap(),
            Push::Alerts { version: 4 }
        );
    }
}
