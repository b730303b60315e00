//! The manager's configuration: a typed TOML file with defaults, each field
//! overridable by an environment variable `BANGTIN_<FIELD>`.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Backups kept when the configuration does not say (`backup_keep`).
pub const DEFAULT_BACKUP_KEEP: u32 = 7;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Loopback by default: put a TLS reverse proxy in
    /// front for boards and officers on the network.
    pub listen: SocketAddr,
    /// Where the store, media and the signing key live.
    pub data_dir: PathBuf,
    /// Largest media upload, bytes.
    pub max_upload_bytes: u64,
    /// Largest JSON request body, bytes.
    pub max_json_bytes: usize,
    /// Officers' sessions expire after this many hours.
    pub session_hours: u64,
    /// How many days ahead a show covers (boards play offline this long).
    pub show_days: u32,
    /// Failed logins allowed per minute, per address and per user name.
    pub login_per_minute: u32,
    /// Requests per second allowed to one officer, token or board (burst 4×).
    pub requests_per_second: u32,
    /// Board time zone when a unit does not say.
    pub timezone: String,
    /// Mark session cookies `Secure` (serve through HTTPS).
    pub secure_cookies: bool,
    /// Days of heartbeat history and online/offline transitions kept.
    pub heartbeat_days: u32,
    /// A board's heartbeat history keeps one entry per this many seconds,
    /// and every beat that changes what matters (the show, layout, display,
    /// player version, an error): a steady board at a 30 s period writes 96
    /// entries a day instead of 2,880. The latest beat is always kept.
    pub beat_history_every_s: u32,
    /// Hours raw proof-of-play events are kept; older ones live on, exact,
    /// in their days' totals (see `crate::playlog`).
    pub playlog_hours: u32,
    /// Days of per-day proof-of-play totals and report aggregates kept.
    pub report_days: u32,
    /// Seconds between two bulletin rounds on a board (see docs/source-system.md,
    /// "Bulletins on the board").
    pub bulletin_round_s: u32,
    /// Shortest polling interval an administrator may give a feed, seconds
    /// (tests lower it).
    pub min_feed_interval_s: u64,
    /// Seconds between two checks for boards past their unit's offline
    /// threshold (webhooks).
    pub watch_every_s: u64,
    /// Shortest offline threshold a unit may set, seconds (tests lower it).
    pub min_offline_alert_s: u32,
    /// Seconds between two announcements of the same emergency on the
    /// loudspeakers while it lasts (at least 60).
    pub speaker_emergency_repeat_s: u32,
    /// Memory the store may use to cache its pages, MiB (sled's cache;
    /// the manager's memory levels off near this plus ≈ 60 MiB).
    pub store_cache_mib: u64,
    /// The `bangtin-player` program the layout editor's previews run (a
    /// child process: the player's own renderer). Unset: next to this
    /// program, then on `PATH`. Env `BANGTIN_PLAYER`.
    pub player: Option<PathBuf>,
    /// A preview taking longer than this is killed, seconds.
    pub preview_timeout_s: u64,
    /// Where to serve Prometheus metrics (`GET /metrics`), on a listener of
    /// its own so a reverse proxy in front of `listen` never exposes them.
    /// Unset: not served. An address other than loopback needs
    /// `metrics_token`. Env `BANGTIN_METRICS_LISTEN`.
    pub metrics_listen: Option<SocketAddr>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    /// Env `BANGTIN_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// Address space a preview's renderer may use, MiB (`prlimit --as`).
    pub preview_memory_mib: u64,
    /// Reverse proxies in front of `listen` (addresses or networks, e.g.
    /// `["127.0.0.1", "::1"]` for nginx on the same machine): for requests
    /// from them, the client is the last address of `X-Forwarded-For` that
    /// is not itself a trusted proxy, so per-address limits (sign-ins,
    /// pairing) apply per client and not to everyone behind the proxy at
    /// once. Empty (the default): the header is ignored — anyone could
    /// write it. Env `BANGTIN_TRUSTED_PROXIES` (comma-separated).
    pub trusted_proxies: Vec<String>,
    /// Where `POST /api/v1/backups` writes backups (each a directory of
    /// its own). Unset: `backups` in the data directory — the packaged
    /// service may write nowhere else. Env `BANGTIN_BACKUP_DIR`.
    pub backup_dir: Option<PathBuf>,
    /// Backups kept in `backup_dir`: after each new one, this manager's
    /// oldest beyond this many are removed (the new one counts; nothing
    /// else in the folder is touched). 0: keep all. Env
    /// `BANGTIN_BACKUP_KEEP`.
    pub backup_keep: u32,
    /// Where the manager keeps its records: unset, sled in `data_dir`
    /// (one machine); `postgres://user:password@host:port/db`, a
    /// PostgreSQL database several managers may share (docs/cluster.md;
    /// on another machine over TLS, its certificate checked:
    /// `?sslrootcert=FILE`, `sslmode=…`).
    /// The data directory still holds the signing key and each
    /// instance's copies of media. Env `BANGTIN_STORE`; `serve --store`.
    pub store: Option<String>,
    /// Connections to PostgreSQL each manager opens for its queries (locks
    /// take one more each while held). Env `BANGTIN_STORE_CONNECTIONS`.
    pub store_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            max_upload_bytes: 512 * 1024 * 1024,
            max_json_bytes: 2 * 1024 * 1024,
            session_hours: 12,
            show_days: 28,
            login_per_minute: 5,
            requests_per_second: 50,
            timezone: "Asia/Ho_Chi_Minh".into(),
            secure_cookies: false,
            heartbeat_days: 7,
            beat_history_every_s: 900,
            playlog_hours: 6,
            report_days: 400,
            bulletin_round_s: 300,
            min_feed_interval_s: 60,
            watch_every_s: 15,
            min_offline_alert_s: 60,
            speaker_emergency_repeat_s: 900,
            store_cache_mib: crate::store::DEFAULT_CACHE_MIB,
            player: None,
            preview_timeout_s: 20,
            metrics_listen: None,
            metrics_token: None,
            preview_memory_mib: 4096,
            trusted_proxies: Vec::new(),
            backup_dir: None,
            backup_keep: DEFAULT_BACKUP_KEEP,
            store: None,
            store_connections: 8,
        }
    }
}

impl Config {
    /// Where backups go: `backup_dir`, or `backups` in the data directory.
    pub fn backups(&self) -> PathBuf {
        self.backup_dir.clone().unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Read `file` (if given), then apply `BANGTIN_*` environment overrides.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        use anyhow::Context;
        let mut c = match file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("không đọc được tệp cấu hình {} (cannot read config)", f.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.proxies()?;
        c.check_store()?;
        Ok(c)
    }

    /// `store`: unset, or a PostgreSQL address.
    pub fn check_store(&self) -> anyhow::Result<()> {
        match &self.store {
            Some(s) if !(s.starts_with("postgres://") || s.starts_with("postgresql://")) => Err(anyhow::anyhow!(
                "store: {:?} không phải địa chỉ PostgreSQL (postgres://người_dùng:mật_khẩu@máy:cổng/csdl); \
                 bỏ trống để dùng sled trong data_dir (not a PostgreSQL address; leave unset for sled)",
                s.split('@').next_back().unwrap_or("")
            )),
            _ => Ok(()),
        }
    }

    /// Whether the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.store.is_some()
    }

    /// `trusted_proxies`, parsed; an entry that is neither an address nor
    /// a network is an error naming it.
    pub fn proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                let p = p.trim();
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "trusted_proxies: {p:?} không phải địa chỉ IP hay mạng (ví dụ 127.0.0.1, 10.0.0.0/8) \
                             (not an IP address or network)"
                        )
                    })
            })
            .collect()
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(k: &str, v: &str) -> anyhow::Result<T> {
            v.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("biến môi trường {k}={v:?} không hợp lệ (invalid value)"))
        }
        macro_rules! env {
            ($field:ident, $name:literal) => {
                if let Some(v) = get($name) {
                    self.$field = parse($name, &v)?;
                }
            };
        }
        env!(listen, "BANGTIN_LISTEN");
        env!(data_dir, "BANGTIN_DATA_DIR");
        env!(max_upload_bytes, "BANGTIN_MAX_UPLOAD_BYTES");
        env!(max_json_bytes, "BANGTIN_MAX_JSON_BYTES");
        env!(session_hours, "BANGTIN_SESSION_HOURS");
        env!(show_days, "BANGTIN_SHOW_DAYS");
        env!(login_per_minute, "BANGTIN_LOGIN_PER_MINUTE");
        env!(requests_per_second, "BANGTIN_REQUESTS_PER_SECOND");
        env!(timezone, "BANGTIN_TIMEZONE");
        env!(secure_cookies, "BANGTIN_SECURE_COOKIES");
        env!(heartbeat_days, "BANGTIN_HEARTBEAT_DAYS");
        env!(beat_history_every_s, "BANGTIN_BEAT_HISTORY_EVERY_S");
        env!(playlog_hours, "BANGTIN_PLAYLOG_HOURS");
        env!(report_days, "BANGTIN_REPORT_DAYS");
        env!(bulletin_round_s, "BANGTIN_BULLETIN_ROUND_S");
        env!(min_feed_interval_s, "BANGTIN_MIN_FEED_INTERVAL_S");
        env!(watch_every_s, "BANGTIN_WATCH_EVERY_S");
        env!(min_offline_alert_s, "BANGTIN_MIN_OFFLINE_ALERT_S");
        env!(speaker_emergency_repeat_s, "BANGTIN_SPEAKER_EMERGENCY_REPEAT_S");
        env!(store_cache_mib, "BANGTIN_STORE_CACHE_MIB");
        env!(preview_timeout_s, "BANGTIN_PREVIEW_TIMEOUT_S");
        env!(preview_memory_mib, "BANGTIN_PREVIEW_MEMORY_MIB");
        env!(backup_keep, "BANGTIN_BACKUP_KEEP");
        env!(store_connections, "BANGTIN_STORE_CONNECTIONS");
        if let Some(v) = get("BANGTIN_STORE").filter(|v| !v.trim().is_empty()) {
            self.store = Some(v.trim().to_string());
        }
        if let Some(v) = get("BANGTIN_PLAYER").filter(|v| !v.trim().is_empty()) {
            self.player = Some(PathBuf::from(v));
        }
        if let Some(v) = get("BANGTIN_METRICS_LISTEN").filter(|v| !v.trim().is_empty()) {
            self.metrics_listen = Some(parse("BANGTIN_METRICS_LISTEN", &v)?);
        }
        if let Some(v) = get("BANGTIN_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = get("BANGTIN_BACKUP_DIR").filter(|v| !v.trim().is_empty()) {
            self.backup_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("BANGTIN_METRICS_TOKEN").filter(|v| !v.trim().is_empty()) {
            self.metrics_token = Some(v.trim().to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut c: Config = toml::from_str("listen = \"127.0.0.1:9000\"\nshow_days = 14\n").unwrap();
        assert_eq!(c.show_days, 14);
        c.apply_env(|k| (k == "BANGTIN_SHOW_DAYS").then(|| "7".to_string()))
            .unwrap();
        assert_eq!(c.show_days, 7);
        assert_eq!(c.listen.port(), 9000);
        assert!(
            c.apply_env(|k| (k == "BANGTIN_LISTEN").then(|| "nowhere".to_string()))
                .is_err()
        );
        assert!(toml::from_str::<Config>("listn = 1").is_err(), "typos are refused");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "BANGTIN_TRUSTED_PROXIES").then(|| "127.0.0.1, ::1,10.0.0.0/8".to_string()))
            .unwrap();
        let nets = c.proxies().unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[2].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        c.trusted_proxies.push("nginx.local".into());
        let e = c.proxies().unwrap_err().to_string();
        assert!(
            e.contains("\"nginx.local\"") && e.contains("không phải địa chỉ IP"),
            "{e}"
        );
    }
}
