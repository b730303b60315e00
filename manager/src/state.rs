//! Shared state of the running manager: config, store, signing key, limits.

use crate::config::Config;
use crate::error::AppError;
use crate::store::Store;
use anyhow::Context;
use ed25519_dalek::SigningKey;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manager's ed25519 key. Its Debug output never shows the secret.
pub struct ShowKey(pub SigningKey);

impl std::fmt::Debug for ShowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ShowKey(public {}, secret [redacted])",
            bangtin_layouts::show::key_to_b64(&self.0.verifying_key())
        )
    }
}

/// Load the signing key from `dir/show-signing.key`, creating it (mode
/// 0600) on first start.
pub fn load_or_create_key(dir: &Path) -> anyhow::Result<ShowKey> {
    use std::io::Write;
    let path = dir.join("show-signing.key");
    if let Ok(bytes) = std::fs::read(&path) {
        let b: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} hỏng: cần đúng 32 byte (corrupt key file)", path.display()))?;
        return Ok(ShowKey(SigningKey::from_bytes(&b)));
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&path)
        .with_context(|| format!("không tạo được {}", path.display()))?;
    f.write_all(&key.to_bytes())?;
    f.sync_all()?;
    tracing::info!(
        "đã tạo khóa ký chương trình mới {} (new show signing key)",
        path.display()
    );
    Ok(ShowKey(key))
}

/// Request-rate limits, each keyed by who asks.
pub struct Limits {
    requests: DefaultKeyedRateLimiter<String>,
    logins: DefaultKeyedRateLimiter<String>,
    login_ips: DefaultKeyedRateLimiter<String>,
    pairing: DefaultKeyedRateLimiter<String>,
    uploads: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limits")
    }
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v.max(1)).expect("max(1)")
}

fn check(l: &DefaultKeyedRateLimiter<String>, k: &str) -> Result<(), AppError> {
    l.check_key(&k.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::rate_limited(wait.as_secs().max(1))
    })
}

impl Limits {
    pub fn new(cfg: &Config) -> Limits {
        Limits {
            requests: RateLimiter::keyed(
                Quota::per_second(nz(cfg.requests_per_second)).allow_burst(nz(cfg.requests_per_second * 4)),
            ),
            logins: RateLimiter::keyed(Quota::per_minute(nz(cfg.login_per_minute))),
            login_ips: RateLimiter::keyed(Quota::per_minute(nz(cfg.login_per_minute * 4))),
            pairing: RateLimiter::keyed(Quota::per_minute(nz(10))),
            uploads: RateLimiter::keyed(Quota::per_minute(nz(30))),
        }
    }

    pub fn request(&self, who: &str) -> Result<(), AppError> {
        check(&self.requests, who)
    }

    /// A login attempt for `user` from `ip`: limited per name and, four
    /// times more loosely, per address (a guesser moving across names).
    pub fn login(&self, ip: &str, user: &str) -> Result<(), AppError> {
        check(&self.login_ips, ip)?;
        check(&self.logins, &user.to_lowercase())
    }

    /// Pairing requests and claims (code guessing), per address or officer.
    pub fn pairing(&self, who: &str) -> Result<(), AppError> {
        check(&self.pairing, who)
    }

    /// Boards' uploads (screenshots, proof of play), per board and kind:
    /// half a request a second, bursts of 30.
    pub fn upload(&self, who: &str) -> Result<(), AppError> {
        check(&self.uploads, who)
    }

    /// Forget idle keys (called periodically).
    pub fn shrink(&self) {
        self.requests.retain_recent();
        self.logins.retain_recent();
        self.login_ips.retain_recent();
        self.pairing.retain_recent();
        self.uploads.retain_recent();
    }
}

#[derive(Debug)]
pub struct AppState {
    pub cfg: Config,
    pub store: Arc<dyn Store>,
    pub key: ShowKey,
    pub media_dir: PathBuf,
    pub tmp_dir: PathBuf,
    pub limits: Limits,
    /// Serialises changes that read before they write (claims, publishes,
    /// version bumps), so two officers never overwrite each other.
    pub writes: tokio::sync::Mutex<()>,
    /// Boards online: last beats, open event streams.
    pub live: crate::live::Live,
    /// Loudspeaker zones: wake-up signal and status.
    pub speakers: crate::speakers::Speakers,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl AppState {
    /// Open the data directory: store, media folders, signing key.
    pub fn open(cfg: Config) -> anyhow::Result<AppState> {
        let dir = &cfg.data_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("không tạo được {}", dir.display()))?;
        let store = crate::store::SledStore::open_with_cache(&dir.join("db"), cfg.store_cache_mib)
            .with_context(|| format!("không mở được kho dữ liệu trong {}", dir.display()))?;
        let media_dir = dir.join("media");
        let tmp_dir = dir.join("tmp");
        std::fs::create_dir_all(&media_dir)?;
        std::fs::create_dir_all(dir.join("thumbs"))?;
        std::fs::create_dir_all(&tmp_dir)?;
        std::fs::create_dir_all(dir.join("screens"))?;
        let key = load_or_create_key(dir)?;
        let live = crate::live::Live::load(&store, chrono::Utc::now())
            .with_context(|| format!("không đọc được nhịp của bảng tin trong {}", dir.display()))?;
        Ok(AppState {
            live,
            limits: Limits::new(&cfg),
            cfg,
            store: Arc::new(store),
            key,
            media_dir,
            tmp_dir,
            writes: tokio::sync::Mutex::new(()),
            speakers: crate::speakers::Speakers::default(),
        })
    }

    pub fn media_path(&self, sha: &str) -> PathBuf {
        self.media_dir.join(&sha[..2]).join(sha)
    }

    pub fn thumb_path(&self, sha: &str) -> PathBuf {
        self.cfg.data_dir.join("thumbs").join(format!("{sha}.jpg"))
    }

    /// Where a board's latest screenshots are kept.
    pub fn screens_dir(&self, board: &str) -> PathBuf {
        self.cfg.data_dir.join("screens").join(board)
    }

    pub fn public_key_b64(&self) -> String {
        bangtin_layouts::show::key_to_b64(&self.key.0.verifying_key())
    }
}
