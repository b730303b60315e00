//! What the manager's domain and its background tasks share: the
//! configuration, the store, the show-signing key, the data directories,
//! the boards online and the loudspeakers' wake-up signal. Request
//! handlers reach it through [`crate::state::AppState`]; background tasks
//! (liveness, loudspeakers, feeds, reports) get it, or the parts of it
//! they need, and nothing of HTTP.

use crate::config::Config;
use crate::live::Live;
use crate::store::Store;
use anyhow::Context;
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

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

/// The record naming the show-signing key every manager on the database
/// signs with (its public half).
pub const CLUSTER_KEY: &str = "meta/show-key";

/// The show-signing key of a manager on a shared database: the one in
/// `dir/show-signing.key`, which must be the key the database records
/// (the first manager records its own). Boards trust one key, so a
/// manager with another is refused before it signs anything; a second
/// manager gets the file copied from the first (docs/cluster.md), never a
/// key of its own.
pub fn cluster_key(dir: &Path, pg: &crate::pg::PgStore) -> anyhow::Result<ShowKey> {
    let file = dir.join("show-signing.key");
    let recorded: Option<String> =
        crate::store::Store::get(pg, CLUSTER_KEY)?.and_then(|v| serde_json::from_slice(&v).ok());
    if !file.exists()
        && let Some(public) = &recorded
    {
        anyhow::bail!(
            "cơ sở dữ liệu đã có khóa ký chương trình (khóa công khai {public}) mà {} chưa có: \
             hãy chép tệp show-signing.key từ máy quản lý đầu tiên vào đây (chế độ 0600, chủ sở hữu của dịch vụ), \
             không tạo khóa mới; xem docs/cluster.md \
             (the database has a signing key this manager lacks: copy show-signing.key from the first manager)",
            file.display()
        );
    }
    let key = load_or_create_key(dir)?;
    let public = bangtin_layouts::show::key_to_b64(&key.0.verifying_key());
    let value = serde_json::to_vec(&public)?;
    // The first manager's key wins.
    let stored = pg.put_if_absent(CLUSTER_KEY, value)?;
    let stored: String = serde_json::from_slice(&stored)?;
    if stored != public {
        anyhow::bail!(
            "khóa ký trong {} (khóa công khai {public}) khác khóa mà các máy quản lý khác trên cơ sở dữ liệu này \
             dùng ({stored}): bảng tin chỉ tin một khóa; hãy chép show-signing.key từ máy quản lý đầu tiên \
             (this manager's signing key differs from the one the database records)",
            file.display()
        );
    }
    Ok(key)
}

#[derive(Debug)]
pub struct Shared {
    pub cfg: Config,
    pub store: Arc<dyn Store>,
    pub key: ShowKey,
    pub media_dir: PathBuf,
    pub tmp_dir: PathBuf,
    /// Boards online: last beats, open event streams.
    pub live: Arc<Live>,
    /// Rung when alerts, bulletins or zones change: every loudspeaker
    /// zone looks again at what is due.
    pub speakers_wake: watch::Sender<u64>,
    /// Group commit for the store ([`Shared::commit`]).
    pub flusher: crate::store::Flusher,
    /// Counters for Prometheus (`api::metrics` serves them).
    pub metrics: crate::metrics::Metrics,
    /// The store when it is PostgreSQL (shared by managers): media
    /// copies, notifications between managers.
    pub pg: Option<Arc<crate::pg::PgStore>>,
    /// Whether this manager runs the background work, and the messages
    /// between managers (PostgreSQL only; alone on sled, it always leads).
    pub cluster: Option<crate::pg::Cluster>,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Shared {
    /// Open the data directory: store, media folders, signing key, the
    /// boards' last beats.
    pub fn open(cfg: Config) -> anyhow::Result<Shared> {
        let dir = &cfg.data_dir;
        let media_dir = dir.join("media");
        let tmp_dir = dir.join("tmp");
        let make_dirs = || -> anyhow::Result<()> {
            std::fs::create_dir_all(dir).with_context(|| format!("không tạo được {}", dir.display()))?;
            std::fs::create_dir_all(&media_dir)?;
            std::fs::create_dir_all(dir.join("thumbs"))?;
            std::fs::create_dir_all(&tmp_dir)?;
            std::fs::create_dir_all(dir.join("screens"))?;
            Ok(())
        };
        let (store, pg, key): (Arc<dyn Store>, _, _) = match &cfg.store {
            Some(url) => {
                // The database has its own schema version
                // (crate::pg::SCHEMA_VERSION); the data directory holds
                // no records, only the key and copies of files.
                let pg = Arc::new(crate::pg::PgStore::open(url, cfg.store_connections)?);
                make_dirs()?;
                let key = cluster_key(dir, &pg)?;
                (pg.clone(), Some(pg), key)
            }
            None => {
                // Before anything is written: a directory of a newer
                // manager is refused untouched.
                let found = crate::upgrade::check_format(dir)?;
                make_dirs()?;
                let store = crate::store::SledStore::open_data_dir(dir, cfg.store_cache_mib)
                    .with_context(|| format!("không mở được kho dữ liệu trong {}", dir.display()))?;
                crate::upgrade::migrate(dir, &store, found)?;
                (Arc::new(store), None, load_or_create_key(dir)?)
            }
        };
        let live = Live::load(&*store, chrono::Utc::now())
            .with_context(|| format!("không đọc được nhịp của bảng tin trong {}", dir.display()))?;
        let cluster = pg.as_ref().map(|pg| {
            let hub = live.hub.clone();
            let cluster = crate::pg::Cluster::start(pg.pool().url(), move |line| {
                // Every message is "SENDER JSON"; a manager's own come back.
                if let Some((from, msg)) = line.split_once(' ') {
                    hub.heard_from(from, msg);
                }
            });
            let me = cluster.me.clone();
            live.hub.relay_to(crate::live::Relay(
                me.clone(),
                Box::new({
                    let tell = cluster.teller();
                    move |msg| tell(format!("{me} {msg}"))
                }),
            ));
            cluster
        });
        let shared = Shared {
            cluster,
            pg,
            live: Arc::new(live),
            cfg,
            flusher: crate::store::Flusher::start(&store)?,
            store,
            key,
            media_dir,
            tmp_dir,
            speakers_wake: watch::channel(0).0,
            metrics: crate::metrics::Metrics::default(),
        };
        let read = crate::interpret::backfill(&*shared.store, |sha| {
            shared
                .local_media_blocking(sha)
                .unwrap_or_else(|_| shared.media_path(sha))
        })
        .with_context(|| {
            format!(
                "không đọc lại được bản tin, cảnh báo trong {}",
                shared.cfg.data_dir.display()
            )
        })?;
        if read > 0 {
            tracing::info!("đã đọc {read} bản tin, cảnh báo lưu từ phiên bản trước (records read once)");
        }
        Ok(shared)
    }

    /// Apply `ops` atomically and wait, without holding an async worker,
    /// until they are on disk: for changes an officer or a source is told
    /// are saved.
    pub async fn commit(&self, ops: Vec<crate::store::Op>) -> crate::store::Result<()> {
        self.store.apply(ops)?;
        self.flusher.durable().await
    }

    /// [`Shared::commit`] for code on a blocking thread.
    pub fn commit_blocking(&self, ops: Vec<crate::store::Op>) -> crate::store::Result<()> {
        self.store.apply(ops)?;
        self.flusher.durable_blocking()
    }

    /// Remove files or directories of the data directory (media,
    /// thumbnails, screenshots) — once no backup is copying them
    /// ([`crate::freeze`]): meanwhile this waits without holding a thread.
    /// A path already gone is fine.
    pub async fn remove_paths(self: &Arc<Self>, paths: Vec<PathBuf>) -> std::io::Result<()> {
        loop {
            self.store.freeze().idle().await;
            let (s, paths) = (self.clone(), paths.clone());
            let removed = tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
                // A copy that began meanwhile sends this back to wait.
                let Some(_copied) = s.store.freeze().try_removing() else {
                    return Ok(false);
                };
                for p in paths {
                    let r = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                    match r {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
                Ok(true)
            })
            .await
            .map_err(std::io::Error::other)??;
            if removed {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The local path of media file `sha`. On PostgreSQL the data
    /// directory's `media/` is a cache: a file not there yet is copied from
    /// the database (blob `sha`), checked against its name and moved into
    /// place — by name, so two requests fetching it at once are harmless.
    /// NotFound when no manager stored it.
    pub async fn local_media(self: &Arc<Self>, sha: &str) -> std::io::Result<PathBuf> {
        let s = self.clone();
        let sha = sha.to_string();
        blocking(move || s.local_media_blocking(&sha)).await
    }

    /// [`Shared::local_media`] for code on a blocking thread.
    pub fn local_media_blocking(&self, sha: &str) -> std::io::Result<PathBuf> {
        self.cached(sha, self.media_path(sha), Some(sha))
    }

    /// The local path of the thumbnail of `sha` (blob `thumb/<sha>`).
    pub async fn local_thumb(self: &Arc<Self>, sha: &str) -> std::io::Result<PathBuf> {
        let (s, sha) = (self.clone(), sha.to_string());
        blocking(move || s.cached(&thumb_blob(&sha), s.thumb_path(&sha), None)).await
    }

    /// The local path of a board's screenshot `file` (blob
    /// `screen/<board>/<file>`).
    pub async fn local_screen(self: &Arc<Self>, board: &str, file: &str) -> std::io::Result<PathBuf> {
        let (s, board, file) = (self.clone(), board.to_string(), file.to_string());
        blocking(move || s.cached(&screen_blob(&board, &file), s.screens_dir(&board).join(&file), None)).await
    }

    /// `path`, copied from blob `name` first when it is missing and the
    /// store is PostgreSQL; checked against `sha` when given.
    fn cached(&self, name: &str, path: PathBuf, sha: Option<&str>) -> std::io::Result<PathBuf> {
        use std::io::ErrorKind;
        if path.is_file() {
            return Ok(path);
        }
        let Some(pg) = &self.pg else {
            return Err(ErrorKind::NotFound.into());
        };
        let tmp = self.tmp_dir.join(format!("blob-{}", rand_suffix()));
        let got = (|| {
            if !pg.fetch_blob(name, &tmp).map_err(std::io::Error::other)? {
                return Err(ErrorKind::NotFound.into());
            }
            if let Some(sha) = sha {
                let found = sha256_file(&tmp)?;
                if found != sha {
                    return Err(std::io::Error::other(format!(
                        "tệp {name} trong cơ sở dữ liệu có SHA-256 {found} (the stored blob does not match its name)"
                    )));
                }
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(&tmp, &path)
        })();
        if got.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        got.map(|()| path)
    }

    /// Store the file at `path` as blob `name` for the other managers on
    /// the database, before the change naming it is committed; nothing
    /// to do on sled.
    pub async fn share_file(&self, name: String, path: PathBuf) -> std::io::Result<()> {
        let Some(pg) = self.pg.clone() else {
            return Ok(());
        };
        blocking(move || pg.put_blob(&name, &path).map(drop).map_err(std::io::Error::other)).await
    }

    /// Remove blobs whose names start with `prefix` (`exact`: only the
    /// one named so); nothing to do on sled.
    pub async fn unshare(&self, prefix: String, exact: bool) -> std::io::Result<()> {
        let Some(pg) = self.pg.clone() else {
            return Ok(());
        };
        blocking(move || {
            if exact {
                pg.delete_blob(&prefix)
            } else {
                pg.delete_blobs(&prefix)
            }
            .map_err(std::io::Error::other)
        })
        .await
    }

    /// Something changed that loudspeakers may announce.
    pub fn wake_speakers(&self) {
        self.speakers_wake.send_modify(|n| *n = n.wrapping_add(1));
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

    /// On a shared database: remove the cached copies of media,
    /// thumbnails and screenshots whose blob is gone (deleted through
    /// another manager), when older than `min_age` (a file being uploaded
    /// here is written before its blob). Returns how many were removed.
    pub fn sweep_caches(&self, min_age: std::time::Duration) -> std::io::Result<usize> {
        let Some(pg) = &self.pg else {
            return Ok(0);
        };
        let held: std::collections::HashSet<String> = pg
            .blobs("")
            .map_err(std::io::Error::other)?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let old_enough = |p: &Path| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= min_age))
        };
        let mut removed = 0;
        let mut sweep = |path: PathBuf, blob: String| {
            if !held.contains(&blob) && old_enough(&path) && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        };
        // media/<ab>/<sha>
        for dir in read_dirs(&self.media_dir) {
            for f in read_dirs(&dir) {
                if let Some(name) = f.file_name().and_then(|n| n.to_str()).map(str::to_string) {
                    sweep(f, name);
                }
            }
        }
        // thumbs/<sha>.jpg
        for f in read_dirs(&self.cfg.data_dir.join("thumbs")) {
            if let Some(sha) = f
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".jpg"))
            {
                let blob = thumb_blob(sha);
                sweep(f, blob);
            }
        }
        // screens/<board>/<file>
        for dir in read_dirs(&self.cfg.data_dir.join("screens")) {
            let board = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            for f in read_dirs(&dir) {
                if let Some(file) = f.file_name().and_then(|n| n.to_str()).map(str::to_string) {
                    sweep(f, screen_blob(&board, &file));
                }
            }
        }
        Ok(removed)
    }

    pub fn public_key_b64(&self) -> String {
        bangtin_layouts::show::key_to_b64(&self.key.0.verifying_key())
    }
}

/// The entries of directory `dir` (none when it cannot be read).
fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// The blob name of the thumbnail of media `sha`.
pub fn thumb_blob(sha: &str) -> String {
    format!("thumb/{sha}")
}

/// The blob name of a board's screenshot `file`.
pub fn screen_blob(board: &str, file: &str) -> String {
    format!("screen/{board}/{file}")
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(std::io::Error::other)?
}

fn rand_suffix() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

/// The SHA-256 of a file, in lowercase hex, read a block at a time.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf)?;
        if n == 0 {
            return Ok(hex::encode(h.finalize()));
        }
        h.update(&buf[..n]);
    }
}
