//! The state request handlers share: [`Shared`] (config, store, key,
//! boards online) plus request limits, the write lock and the
//! loudspeakers' status.

use crate::config::Config;
use crate::error::AppError;
pub use crate::shared::{Shared, ShowKey, load_or_create_key};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Request-rate limits, each keyed by who asks. On a database several
/// managers share, the limits against guessing (logins, pairing codes)
/// and boards' uploads are counted in the database, so a balancer spreading
/// one client over the managers gains it nothing; the general request limit,
/// a guard against floods, stays each process's own (docs/cluster.md).
pub struct Limits {
    /// The shared counts, when the store is PostgreSQL.
    shared: Option<Arc<crate::pg::PgStore>>,
    per_minute_login: u32,
    requests: DefaultKeyedRateLimiter<String>,
    logins: DefaultKeyedRateLimiter<String>,
    login_ips: DefaultKeyedRateLimiter<String>,
    pairing: DefaultKeyedRateLimiter<String>,
    uploads: DefaultKeyedRateLimiter<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`trusted_proxies`).
    pub proxies: Vec<ipnet::IpNet>,
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

/// Per minute, with bursts of as many (governor's `Quota::per_minute`).
const PAIRING_PER_MINUTE: u32 = 10;
const UPLOADS_PER_MINUTE: u32 = 30;

impl Limits {
    pub fn new(cfg: &Config) -> Limits {
        Limits {
            shared: None,
            per_minute_login: cfg.login_per_minute.max(1),
            requests: RateLimiter::keyed(
                Quota::per_second(nz(cfg.requests_per_second)).allow_burst(nz(cfg.requests_per_second * 4)),
            ),
            logins: RateLimiter::keyed(Quota::per_minute(nz(cfg.login_per_minute))),
            login_ips: RateLimiter::keyed(Quota::per_minute(nz(cfg.login_per_minute * 4))),
            pairing: RateLimiter::keyed(Quota::per_minute(nz(PAIRING_PER_MINUTE))),
            uploads: RateLimiter::keyed(Quota::per_minute(nz(UPLOADS_PER_MINUTE))),
            // Checked when the configuration loads (`Config::load`).
            proxies: cfg.proxies().unwrap_or_default(),
        }
    }

    /// Count the limits in `pg`, with every other manager on it.
    pub fn shared_by(mut self, pg: Option<Arc<crate::pg::PgStore>>) -> Limits {
        self.shared = pg;
        self
    }

    /// `n` a minute, bursts of `n`: here, or in the shared database.
    fn limit(&self, local: &DefaultKeyedRateLimiter<String>, kind: &str, who: &str, n: u32) -> Result<(), AppError> {
        let Some(pg) = &self.shared else {
            return check(local, who);
        };
        match pg.rate(&format!("{kind}:{who}"), 60.0 / f64::from(n.max(1)), n)? {
            None => Ok(()),
            Some(wait) => Err(AppError::rate_limited((wait.ceil() as u64).max(1))),
        }
    }

    pub fn request(&self, who: &str) -> Result<(), AppError> {
        check(&self.requests, who)
    }

    /// A login attempt for `user` from `ip`: limited per name and, four
    /// times more loosely, per address (a guesser moving across names).
    pub fn login(&self, ip: &str, user: &str) -> Result<(), AppError> {
        let n = self.per_minute_login;
        self.limit(&self.login_ips, "login-ip", ip, n.saturating_mul(4))?;
        self.limit(&self.logins, "login", &user.to_lowercase(), n)
    }

    /// Pairing requests and claims (code guessing), per address or officer.
    pub fn pairing(&self, who: &str) -> Result<(), AppError> {
        self.limit(&self.pairing, "pairing", who, PAIRING_PER_MINUTE)
    }

    /// Boards' uploads (screenshots, proof of play), per board and kind:
    /// half a request a second, bursts of 30.
    pub fn upload(&self, who: &str) -> Result<(), AppError> {
        self.limit(&self.uploads, "upload", who, UPLOADS_PER_MINUTE)
    }

    /// Forget idle keys (called periodically).
    pub fn shrink(&self) {
        self.requests.retain_recent();
        self.logins.retain_recent();
        self.login_ips.retain_recent();
        self.pairing.retain_recent();
        self.uploads.retain_recent();
        if let Some(pg) = &self.shared
            && let Err(e) = pg.shrink_rates()
        {
            tracing::warn!("không dọn được bảng giới hạn (rate limits not swept): {e}");
        }
    }
}

/// Everything a request handler reaches: what the domain and the
/// background tasks share ([`Shared`], also reached through `Deref`), and
/// what only the HTTP side needs — request limits, the write lock, the
/// speakers' status.
#[derive(Debug)]
pub struct AppState {
    pub shared: Arc<Shared>,
    pub limits: Limits,
    /// Serialises changes that read before they write (claims, publishes,
    /// version bumps), so two officers never overwrite each other.
    pub writes: tokio::sync::Mutex<()>,
    /// Loudspeaker zones: each one's status.
    pub speakers: Arc<crate::speakers::Speakers>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl AppState {
    /// Open the data directory: store, media folders, signing key.
    pub fn open(cfg: Config) -> anyhow::Result<AppState> {
        let limits = Limits::new(&cfg);
        let shared = Arc::new(Shared::open(cfg)?);
        Ok(AppState {
            limits: limits.shared_by(shared.pg.clone()),
            shared,
            writes: tokio::sync::Mutex::new(()),
            speakers: Arc::default(),
        })
    }
}
