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

/// Request-rate limits, each keyed by who asks.
pub struct Limits {
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
            // Checked when the configuration loads (`Config::load`).
            proxies: cfg.proxies().unwrap_or_default(),
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
        Ok(AppState {
            limits: Limits::new(&cfg),
            shared: Arc::new(Shared::open(cfg)?),
            writes: tokio::sync::Mutex::new(()),
            speakers: Arc::default(),
        })
    }
}
