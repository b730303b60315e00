//! Backups of a data directory, taken while the manager serves, and
//! restoring one into a fresh directory a manager then serves from.
//!
//! A backup holds the data directory as it was at one instant
//! ([`crate::freeze`]): every record of the store, every log as long as it
//! was, the media, thumbnails and screenshots, and the show-signing key.
//! Writes are held only while that instant is marked; removals of files
//! wait for the copy. It is a directory, readable by its owner only (0700,
//! files 0600: it holds the signing key):
//!
//! | path | what |
//! |---|---|
//! | `manifest.json` | [`Manifest`]; written last, so a directory without it is no backup |
//! | `store.bin` | the records: `BANGTIN-STORE 1\n`, then per record its key's and its value's length (u32, little-endian) each followed by the bytes |
//! | `journal/` | the logs, as `DATA/journal/` |
//! | `media/`, `thumbs/` | every media file and thumbnail (content-addressed) |
//! | `screens/` | the screenshots the records name |
//! | `show-signing.key` | the key boards pinned |
//!
//! A backup is built as `.NAME.partial` beside where it goes and renamed
//! once complete and on disk; a restore likewise builds `.NAME.restoring`
//! and renames it into place, and only into a directory that does not
//! exist or is empty.
//!
//! **Retention** ([`take_keeping`], [`prune`]): after a backup is written,
//! the oldest beyond `backup_keep` are removed — only directories that are
//! recognisably this manager's backups: a name `bangtin-YYYYMMDDTHHMMSSZ`
//! (or `…-N`) that is a directory and not a link, a `manifest.json` of
//! kind `bangtin-backup` of a format this manager reads, and the public
//! key of this manager's own signing key (a backup of another manager
//! copied here is not ours to remove). Never the one just written; a
//! failed backup removes nothing. Anything else in the folder is left
//! alone.

use crate::shared::Shared;
use crate::store::{ID_FLOOR_KEY, Op, SledStore, Store};
use crate::upgrade::FORMAT;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;
use utoipa::ToSchema;

/// The file that makes a directory a backup.
pub const MANIFEST: &str = "manifest.json";
const KIND: &str = "bangtin-backup";
const STORE_FILE: &str = "store.bin";
const STORE_MAGIC: &[u8] = b"BANGTIN-STORE 1\n";
const KEY_FILE: &str = "show-signing.key";
/// Whole directories copied as they are (content-addressed, never changed).
const FILE_DIRS: [&str; 2] = ["media", "thumbs"];

/// What a backup holds, as `manifest.json` says.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    /// Always `bangtin-backup`.
    pub kind: String,
    /// The data directory format of what it holds (see docs/manager.md).
    pub format: u32,
    /// The version of the manager that took it.
    pub manager: String,
    /// The instant it holds.
    pub taken_at: DateTime<Utc>,
    /// Every id in it is below this; a restored store's ids start here.
    pub next_id: u64,
    /// Records of the store.
    pub records: u64,
    /// SHA-256 of `store.bin`, hex.
    pub store_sha256: String,
    /// Proof-of-play and heartbeat-history logs.
    pub logs: u64,
    /// Media files (thumbnails not counted).
    pub media: u64,
    pub screenshots: u64,
    /// Bytes of every file in the backup.
    pub bytes: u64,
    /// The public half of the show-signing key (base64), the key boards pinned.
    pub public_key: String,
    /// How long writes were held while the instant was marked, milliseconds.
    pub writes_held_ms: f64,
    /// How long the whole backup took, seconds.
    pub seconds: f64,
}

/// A backup taken: where it is and what it holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupReport {
    /// Its directory's name, `bangtin-YYYYMMDDTHHMMSSZ`.
    pub name: String,
    /// Its directory on the manager's machine.
    pub path: String,
    pub manifest: Manifest,
    /// Older backups removed after this one was written, to keep
    /// `backup_keep` (names, oldest first).
    #[serde(default)]
    pub pruned: Vec<String>,
    /// Why removing older backups failed, if it did (the backup itself
    /// was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune_error: Option<String>,
}

/// A backup found in the backup directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoredBackup {
    /// Its directory's name, `bangtin-YYYYMMDDTHHMMSSZ`.
    pub name: String,
    /// Its directory on the manager's machine.
    pub path: String,
    /// Taken by this manager (its signing key): counted by `backup_keep`
    /// and removed when beyond it. Others are listed but never removed.
    pub ours: bool,
    pub manifest: Manifest,
}

pub use crate::config::DEFAULT_BACKUP_KEEP as DEFAULT_KEEP;

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("đang có một bản sao lưu khác được tạo; thử lại khi xong (another backup is being taken)")]
    Busy,
    #[error(
        "{dir} không trống: khôi phục chỉ vào thư mục mới hoặc trống; hãy dời thư mục cũ đi trước \
         (not empty: restore only into a new or empty directory; move the old one aside first)"
    )]
    NotEmpty { dir: String },
    #[error("{dir} không phải bản sao lưu Bangtin: {why} (not a backup)")]
    NotABackup { dir: String, why: String },
    #[error(
        "bản sao lưu {dir} có định dạng {found}, mới hơn định dạng {known} mà bản bangtin-manager này hiểu; \
         hãy khôi phục bằng bản mới hơn (backup format {found} is newer than {known}, which this manager knows)"
    )]
    Newer { dir: String, found: u32, known: u32 },
    #[error("bản sao lưu {dir} hỏng: {why} (corrupt backup)")]
    Corrupt { dir: String, why: String },
    #[error(
        "kho dữ liệu là PostgreSQL: hãy sao lưu bằng công cụ của PostgreSQL (pg_dump, pg_basebackup) \
         và sao lưu thư mục dữ liệu (khóa ký, phương tiện) riêng; xem docs/cluster.md \
         (the store is PostgreSQL: back it up with PostgreSQL's own tools)"
    )]
    Database,
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Format(#[from] crate::upgrade::FormatError),
}

type Result<T> = std::result::Result<T, BackupError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Create `dir` and what is missing above it, readable by the owner only.
fn private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))
}

/// A new file readable by its owner only.
fn private_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))
}

/// Copy one file into a new private one; returns its bytes.
fn copy_file(from: &Path, to: &Path) -> Result<u64> {
    if let Some(dir) = to.parent() {
        private_dir(dir)?;
    }
    let mut src = File::open(from).map_err(io(from))?;
    let mut dst = private_file(to)?;
    // File to file: the kernel copies (copy_file_range).
    std::io::copy(&mut src, &mut dst).map_err(io(to))
}

/// Every file under `dir`, however deep (none if it does not exist).
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let rd = match fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&d)(e)),
        };
        for e in rd {
            let e = e.map_err(io(&d))?;
            let t = e.file_type().map_err(io(&d))?;
            if t.is_dir() {
                todo.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copy every file under `from` to the same place under `to`: how many
/// and their bytes.
fn copy_tree(from: &Path, to: &Path, pace: &mut Pace) -> Result<(u64, u64)> {
    let (mut n, mut bytes) = (0, 0);
    for f in files_under(from)? {
        let rel = f.strip_prefix(from).expect("under from");
        let b = copy_file(&f, &to.join(rel))?;
        pace.wrote(b)?;
        bytes += b;
        n += 1;
    }
    Ok((n, bytes))
}

/// Make everything written under `dir` durable: one `syncfs` for the
/// filesystem instead of an `fsync` for each of the many small files.
fn sync_filesystem(dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let d = File::open(dir).map_err(io(dir))?;
    // SAFETY: syncfs only reads the descriptor, which `d` keeps open for
    // the call.
    #[allow(unsafe_code)]
    let r = unsafe { libc::syncfs(d.as_raw_fd()) };
    if r != 0 {
        return Err(io(dir)(std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Bytes a copy leaves unwritten to disk at most.
const PACE_BYTES: u64 = 8 << 20;

/// Keeps what a copy leaves in the page cache small: every
/// [`PACE_BYTES`] it waits until they are on disk, so its writes go out
/// as it goes (on the copy's thread) instead of hundreds of MiB at once,
/// in front of the store's own `fsync` (the group commit officers and
/// proof of play wait for).
struct Pace {
    dir: PathBuf,
    dirty: u64,
}

impl Pace {
    fn new(dir: &Path) -> Pace {
        Pace {
            dir: dir.to_path_buf(),
            dirty: 0,
        }
    }

    fn wrote(&mut self, n: u64) -> Result<()> {
        self.dirty += n;
        if self.dirty >= PACE_BYTES {
            sync_filesystem(&self.dir)?;
            self.dirty = 0;
        }
        Ok(())
    }
}

/// Write `bytes` as a new private file and sync it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = private_file(path)?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// `store.bin` as it is written: counted and hashed.
struct StoreWriter {
    out: BufWriter<File>,
    hash: Sha256,
    records: u64,
}

impl StoreWriter {
    fn put(&mut self, key: &[u8], value: &[u8], pace: &mut Pace) -> std::io::Result<()> {
        for part in [key, value] {
            let len = u32::try_from(part.len())
                .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "bản ghi quá lớn (record too large)"))?;
            self.write(&len.to_le_bytes())?;
            self.write(part)?;
        }
        self.records += 1;
        let n = (key.len() + value.len() + 8) as u64;
        if pace.dirty + n >= PACE_BYTES {
            self.out.flush()?;
        }
        pace.wrote(n).map_err(std::io::Error::other)
    }

    fn write(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.hash.update(b);
        self.out.write_all(b)
    }
}

/// The name of a backup taken at `at` in `dir`: after every name of the
/// same second there (whole, partial or being pruned), never one freed by
/// a prune — a removed backup's name does not come back for another one,
/// and names of one second sort in the order they were taken.
fn free_name(dir: &Path, at: DateTime<Utc>) -> String {
    let base = format!("bangtin-{}", at.format("%Y%m%dT%H%M%SZ"));
    let mut last = 0u32;
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let name = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".partial").or_else(|| n.strip_suffix(".pruning")))
            .unwrap_or(name);
        let Some(rest) = name.strip_prefix(base.as_str()) else {
            continue;
        };
        let n = match rest.strip_prefix('-') {
            None if rest.is_empty() => 1,
            Some(n) => n.parse().unwrap_or(0),
            None => 0,
        };
        last = last.max(n);
    }
    match last {
        0 => base,
        n => format!("{base}-{}", n + 1),
    }
}

/// Take a backup of `shared`'s data directory into a new directory under
/// `into`, while the manager serves. Blocking: run it off the async
/// workers. One at a time ([`BackupError::Busy`]).
pub fn take(shared: &Shared, into: &Path) -> Result<BackupReport> {
    if shared.store.journal().root().is_none() {
        return Err(BackupError::Database);
    }
    let started = Instant::now();
    let data = &shared.cfg.data_dir;
    private_dir(into)?;
    let name = free_name(into, Utc::now());
    let partial = into.join(format!(".{name}.partial"));
    private_dir(&partial)?;
    let r = copy_into(shared, &partial, started);
    let manifest = match r {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let path = into.join(&name);
    fs::rename(&partial, &path).map_err(io(&path))?;
    sync_dir(into)?;
    tracing::info!(
        "đã sao lưu {} vào {} lúc {}: {} bản ghi, {} nhật ký, {} tệp phương tiện, {} byte; ghi bị giữ {:.3} ms \
         (backup taken)",
        data.display(),
        path.display(),
        manifest.taken_at,
        manifest.records,
        manifest.logs,
        manifest.media,
        manifest.bytes,
        manifest.writes_held_ms,
    );
    Ok(BackupReport {
        name,
        path: path.display().to_string(),
        manifest,
        pruned: Vec::new(),
        prune_error: None,
    })
}

/// [`take`], then [`prune`] to `keep` backups (0: keep all). Only a
/// backup written removes older ones; a failure to remove them is in the
/// report (and the log), not an error: the backup is there.
pub fn take_keeping(shared: &Shared, into: &Path, keep: u32) -> Result<BackupReport> {
    let mut r = take(shared, into)?;
    match prune(into, keep, &r.name, &shared.public_key_b64()) {
        Ok(pruned) => r.pruned = pruned,
        Err(e) => {
            tracing::warn!(
                "không xóa được bản sao lưu cũ trong {}: {e} (pruning old backups failed)",
                into.display()
            );
            r.prune_error = Some(e.to_string());
        }
    }
    Ok(r)
}

/// Is `name` one [`take`] gives: `bangtin-YYYYMMDDTHHMMSSZ`, maybe `-N`?
pub fn is_backup_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("bangtin-") else {
        return false;
    };
    let (stamp, suffix) = match rest.split_once('-') {
        Some((s, n)) => (s, Some(n)),
        None => (rest, None),
    };
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 16
        && digits(0..8)
        && b[8] == b'T'
        && digits(9..15)
        && b[15] == b'Z'
        && suffix.is_none_or(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|c| c.is_ascii_digit()))
}

/// The backups in `dir`, newest first: directories (not links) with a
/// backup's name and a manifest this manager reads; `ours` when taken
/// with the signing key whose public half is `public_key`. Nothing else
/// there is listed (a missing `dir` has none).
pub fn list(dir: &Path, public_key: &str) -> Result<Vec<StoredBackup>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(io(dir))?;
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        // file_type does not follow links: a link named like a backup
        // is not one.
        if !is_backup_name(&name) || !e.file_type().map_err(io(dir))?.is_dir() {
            continue;
        }
        let path = e.path();
        let Ok(manifest) = read_manifest(&path) else {
            continue;
        };
        out.push(StoredBackup {
            name,
            path: path.display().to_string(),
            ours: manifest.public_key == public_key,
            manifest,
        });
    }
    out.sort_by(|a, b| (b.manifest.taken_at, &b.name).cmp(&(a.manifest.taken_at, &a.name)));
    Ok(out)
}

/// Remove this manager's backups in `dir` beyond the `keep` newest
/// (`newest`, the one just written, counts as one and is never removed;
/// `keep` 0 removes nothing). Returns the names removed, oldest first.
/// Each is first renamed to `.NAME.pruning`, so a removal cut short
/// leaves no directory that looks like a whole backup.
pub fn prune(dir: &Path, keep: u32, newest: &str, public_key: &str) -> Result<Vec<String>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let older: Vec<StoredBackup> = list(dir, public_key)?
        .into_iter()
        .filter(|b| b.ours && b.name != newest)
        .collect();
    let spare = usize::try_from(keep - 1).unwrap_or(usize::MAX);
    let mut removed = Vec::new();
    for b in older.into_iter().skip(spare).rev() {
        let from = dir.join(&b.name);
        let doomed = dir.join(format!(".{}.pruning", b.name));
        fs::rename(&from, &doomed).map_err(io(&from))?;
        fs::remove_dir_all(&doomed).map_err(io(&doomed))?;
        tracing::info!(
            "đã xóa bản sao lưu cũ {} (lúc {}) để giữ {keep} bản (old backup removed)",
            from.display(),
            b.manifest.taken_at
        );
        removed.push(b.name);
    }
    if !removed.is_empty() {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Everything of the backup but its final name, into `dir`.
fn copy_into(shared: &Shared, dir: &Path, started: Instant) -> Result<Manifest> {
    let store = &*shared.store;
    let data = &shared.cfg.data_dir;
    let store_path = dir.join(STORE_FILE);
    let mut w = StoreWriter {
        out: BufWriter::with_capacity(1 << 20, private_file(&store_path)?),
        hash: Sha256::new(),
        records: 0,
    };
    w.write(STORE_MAGIC).map_err(io(&store_path))?;
    let mut pace = Pace::new(dir);

    // Pages on disk before the copy reads them: a page sled has not
    // written out yet it writes out before reading it, and holds every
    // batch back meanwhile (seen as writes waiting seconds behind the copy
    // when a writer stored heartbeats flat out).
    store.flush()?;
    let Some((snap, (next_id, taken_at))) = store.freeze().begin(|| (store.next_id(), Utc::now())) else {
        return Err(BackupError::Busy);
    };
    let next_id = next_id?;
    // The records of the instant, and the screenshots they name.
    let mut screens = Vec::new();
    let mut put = |k: &[u8], v: &[u8]| -> std::io::Result<()> {
        if let Some(rest) = k.strip_prefix(b"screen/") {
            let board = String::from_utf8_lossy(rest.split(|b| *b == b'/').next().unwrap_or_default()).into_owned();
            if let Some(file) = serde_json::from_slice::<serde_json::Value>(v)
                .ok()
                .and_then(|r| r["file"].as_str().map(str::to_string))
            {
                screens.push(PathBuf::from(board).join(file));
            }
        }
        w.put(k, v, &mut pace)
    };
    store.each(&mut |k, v| match snap.record(k, v) {
        Some(v) => put(k, &v),
        None => Ok(()),
    })?;
    for (k, v) in snap.keys_done() {
        put(&k, &v).map_err(io(&store_path))?;
    }
    let records = w.records;
    let store_sha256 = hex::encode(w.hash.clone().finalize());
    w.out.flush().map_err(io(&store_path))?;
    let mut bytes = fs::metadata(&store_path).map_err(io(&store_path))?.len();

    // The logs as long as they were at the instant.
    let root = store.journal().root().ok_or(BackupError::Database)?.to_path_buf();
    let mut logs = 0;
    for log in files_under(&root)? {
        let mut content = fs::read(&log).map_err(io(&log))?;
        let keep = snap.log_len(&log, content.len() as u64);
        if keep == 0 {
            continue;
        }
        content.truncate(usize::try_from(keep).unwrap_or(usize::MAX));
        let to = dir
            .join("journal")
            .join(log.strip_prefix(&root).expect("under the root"));
        private_dir(to.parent().expect("a log has a directory"))?;
        private_file(&to)?.write_all(&content).map_err(io(&to))?;
        pace.wrote(keep)?;
        bytes += keep;
        logs += 1;
    }

    // Files: those of the instant are all still there (removals wait).
    let mut media = 0;
    for sub in FILE_DIRS {
        let (n, b) = copy_tree(&data.join(sub), &dir.join(sub), &mut pace)?;
        bytes += b;
        if sub == "media" {
            media = n;
        }
    }
    let mut screenshots = 0;
    for rel in &screens {
        let from = data.join("screens").join(rel);
        match copy_file(&from, &dir.join("screens").join(rel)) {
            Ok(b) => {
                pace.wrote(b)?;
                bytes += b;
                screenshots += 1;
            }
            // A screenshot is the board's latest picture, not a record
            // anyone depends on: one lost before this (a crash between
            // its file and its record) leaves the others.
            Err(BackupError::Io { source, path }) if source.kind() == ErrorKind::NotFound => {
                tracing::warn!("{path}: ảnh chụp màn hình thiếu, bỏ qua (screenshot missing, skipped)");
            }
            Err(e) => return Err(e),
        }
    }
    bytes += copy_file(&data.join(KEY_FILE), &dir.join(KEY_FILE))?;
    let held = snap.held;
    drop(snap);

    sync_filesystem(dir)?;
    let manifest = Manifest {
        kind: KIND.into(),
        format: FORMAT,
        manager: env!("CARGO_PKG_VERSION").into(),
        taken_at,
        next_id,
        records,
        store_sha256,
        logs,
        media,
        screenshots,
        bytes,
        public_key: shared.public_key_b64(),
        writes_held_ms: held.as_secs_f64() * 1000.0,
        seconds: started.elapsed().as_secs_f64(),
    };
    let text = serde_json::to_vec_pretty(&manifest).expect("manifests serialise");
    write_synced(&dir.join(MANIFEST), &text)?;
    sync_dir(dir)?;
    Ok(manifest)
}

/// Read a backup's manifest, refusing what is no backup or one of a
/// newer format.
pub fn read_manifest(backup: &Path) -> Result<Manifest> {
    let not = |why: String| BackupError::NotABackup {
        dir: backup.display().to_string(),
        why,
    };
    let path = backup.join(MANIFEST);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(not(format!("không có {MANIFEST} (no {MANIFEST})")));
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let m: Manifest = serde_json::from_slice(&text).map_err(|e| not(format!("{MANIFEST}: {e}")))?;
    if m.kind != KIND {
        return Err(not(format!("{MANIFEST}: kind {:?}", m.kind)));
    }
    if m.format > FORMAT {
        return Err(BackupError::Newer {
            dir: backup.display().to_string(),
            found: m.format,
            known: FORMAT,
        });
    }
    Ok(m)
}

/// What a restore put in place.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    pub data: PathBuf,
}

/// Restore `backup` into `data`, which must not exist or be empty; a
/// manager then serves from `data` (and migrates it first if the backup
/// is of an older format). The store's ids go on above the backup's.
pub fn restore(backup: &Path, data: &Path) -> Result<Restored> {
    let manifest = read_manifest(backup)?;
    match fs::read_dir(data) {
        Ok(mut rd) => {
            if rd.next().is_some() {
                return Err(BackupError::NotEmpty {
                    dir: data.display().to_string(),
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io(data)(e)),
    }
    let name = data
        .file_name()
        .ok_or_else(|| BackupError::NotEmpty {
            dir: data.display().to_string(),
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match data.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    private_dir(&parent)?;
    let staging = parent.join(format!(".{name}.restoring"));
    // Left by a restore that stopped half-way: the operator decides.
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&staging)
        .map_err(io(&staging))?;
    match restore_into(backup, &manifest, &staging) {
        Ok(()) => {}
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    }
    if data.exists() {
        fs::remove_dir(data).map_err(io(data))?;
    }
    fs::rename(&staging, data).map_err(io(data))?;
    sync_dir(&parent)?;
    tracing::info!(
        "đã khôi phục {} vào {}: {} bản ghi lúc {} (restored)",
        backup.display(),
        data.display(),
        manifest.records,
        manifest.taken_at
    );
    Ok(Restored {
        manifest,
        data: data.to_path_buf(),
    })
}

fn restore_into(backup: &Path, m: &Manifest, dir: &Path) -> Result<()> {
    let corrupt = |why: String| BackupError::Corrupt {
        dir: backup.display().to_string(),
        why,
    };
    {
        let store = SledStore::open_data_dir(dir, crate::store::DEFAULT_CACHE_MIB)?;
        let path = backup.join(STORE_FILE);
        let mut r = BufReader::with_capacity(1 << 20, File::open(&path).map_err(io(&path))?);
        let mut hash = Sha256::new();
        let mut read = |n: usize| -> std::io::Result<Vec<u8>> {
            let mut b = vec![0; n];
            r.read_exact(&mut b)?;
            hash.update(&b);
            Ok(b)
        };
        if read(STORE_MAGIC.len()).map_err(io(&path))? != STORE_MAGIC {
            return Err(corrupt(format!("{STORE_FILE}: không đúng đầu tệp (bad magic)")));
        }
        let mut batch = Vec::new();
        let mut records = 0u64;
        loop {
            let len = match read(4) {
                Ok(b) => u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize,
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(&path)(e)),
            };
            let key = read(len).map_err(io(&path))?;
            let vlen = read(4).map_err(io(&path))?;
            let value = read(u32::from_le_bytes(vlen.try_into().expect("4 bytes")) as usize).map_err(io(&path))?;
            let key = String::from_utf8(key)
                .map_err(|_| corrupt(format!("{STORE_FILE}: khóa không phải UTF-8 (bad key)")))?;
            batch.push(Op::Put(key, value));
            records += 1;
            if batch.len() >= 10_000 {
                store.apply(std::mem::take(&mut batch))?;
            }
        }
        let sha = hex::encode(hash.finalize());
        if sha != m.store_sha256 || records != m.records {
            return Err(corrupt(format!(
                "{STORE_FILE}: {records} bản ghi, SHA-256 {sha}; {MANIFEST} ghi {} bản ghi, {}                  (records or checksum differ from the manifest)",
                m.records, m.store_sha256
            )));
        }
        batch.push(Op::put(ID_FLOOR_KEY, &m.next_id));
        store.apply(batch)?;
        store.flush()?;
    }
    let mut pace = Pace::new(dir);
    for sub in ["journal", "media", "thumbs", "screens"] {
        copy_tree(&backup.join(sub), &dir.join(sub), &mut pace)?;
    }
    copy_file(&backup.join(KEY_FILE), &dir.join(KEY_FILE))?;
    sync_filesystem(dir)?;
    crate::upgrade::write_format(dir, m.format)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::journal::Stream;
    use crate::store::StoreExt;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    fn open(dir: &Path) -> Shared {
        let mut tries = 0;
        loop {
            match Shared::open(Config {
                data_dir: dir.to_path_buf(),
                ..Config::default()
            }) {
                Ok(s) => return s,
                Err(e) if tries < 50 && format!("{e:#}").contains("lock") => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("{e:#}"),
            }
        }
    }

    fn records(store: &dyn Store) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        store
            .each(&mut |k, v| {
                out.push((k.to_vec(), v.to_vec()));
                Ok(())
            })
            .unwrap();
        out
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// Everything a manager keeps comes back, readable by its owner only,
    /// and the restored store's ids go on above the backup's.
    #[test]
    fn a_backup_restores_to_the_same_records_logs_files_and_key() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let s = open(&data);
        let sha = "ab".repeat(32);
        fs::create_dir_all(s.media_path(&sha).parent().unwrap()).unwrap();
        fs::write(s.media_path(&sha), b"picture").unwrap();
        fs::write(s.thumb_path(&sha), b"thumb").unwrap();
        fs::create_dir_all(s.screens_dir("brd_1")).unwrap();
        fs::write(s.screens_dir("brd_1").join("thumb-9.png"), b"png").unwrap();
        fs::write(s.screens_dir("brd_1").join("thumb-3.png"), b"replaced, not named").unwrap();
        let id = s.store.next_id().unwrap();
        s.store
            .commit(vec![
                Op::put(format!("media/05443/{sha}"), &serde_json::json!({"name": "a.png"})),
                Op::put("screen/brd_1/thumb", &serde_json::json!({"file": "thumb-9.png"})),
                Op::put(format!("layout/lay_{id}"), &"L"),
            ])
            .unwrap();
        let j = s.store.journal();
        j.append(Stream::Beats, "2026-12-07", "brd_1", &[b"{\"n\":1}".to_vec()])
            .unwrap();
        j.append(Stream::Play, "2026-12-07T0910", "brd_1", &[b"{\"seq\":1}".to_vec()])
            .unwrap();
        let before = records(&*s.store);

        let into = tmp.path().join("backups");
        let r = take(&s, &into).unwrap();
        assert!(r.name.starts_with("bangtin-"), "{}", r.name);
        let b = PathBuf::from(&r.path);
        assert_eq!(b, into.join(&r.name));
        assert_eq!(
            (mode(&b), mode(&b.join(KEY_FILE)), mode(&b.join(STORE_FILE))),
            (0o700, 0o600, 0o600)
        );
        let m = &r.manifest;
        assert_eq!(
            (m.records, m.logs, m.media, m.screenshots),
            (before.len() as u64, 2, 1, 1)
        );
        assert!(m.next_id > id);
        assert_eq!(m.public_key, s.public_key_b64());
        assert!(
            !b.join("screens/brd_1/thumb-3.png").exists(),
            "only the screenshots records name"
        );
        assert_eq!(read_manifest(&b).unwrap().store_sha256, m.store_sha256);
        let second = take(&s, &into).unwrap();
        assert_ne!(second.name, r.name, "two backups in one second get two names");

        let restored = tmp.path().join("restored");
        restore(&b, &restored).unwrap();
        assert_eq!(mode(&restored), 0o700);
        assert_eq!(
            fs::read_to_string(restored.join(crate::upgrade::FORMAT_FILE)).unwrap(),
            format!("{FORMAT}\n")
        );
        for f in [
            format!("media/ab/{sha}"),
            format!("thumbs/{sha}.jpg"),
            "screens/brd_1/thumb-9.png".into(),
            "journal/beats/2026-12-07/brd_1.jsonl".into(),
            "journal/play/2026-12-07T0910/brd_1.jsonl".into(),
            KEY_FILE.into(),
        ] {
            assert_eq!(
                fs::read(data.join(&f)).unwrap(),
                fs::read(restored.join(&f)).unwrap(),
                "{f}"
            );
        }
        let r2 = open(&restored);
        let mut after = records(&*r2.store);
        after.retain(|(k, _)| k != ID_FLOOR_KEY.as_bytes());
        assert_eq!(after, before);
        assert!(r2.store.next_id().unwrap() >= m.next_id, "ids go on above the backup's");
        assert_eq!(r2.public_key_b64(), s.public_key_b64());
        drop(r2);

        // Into a directory that is not empty: refused, whatever it holds.
        let e = restore(&b, &restored).unwrap_err();
        assert!(matches!(e, BackupError::NotEmpty { .. }), "{e}");
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        restore(&b, &empty).unwrap();

        // What is not a backup, a newer one, a damaged one.
        let e = restore(tmp.path(), &tmp.path().join("x")).unwrap_err();
        assert!(matches!(e, BackupError::NotABackup { .. }), "{e}");
        let bad = tmp.path().join("bad");
        copy_tree(&b, &bad, &mut Pace::new(tmp.path())).unwrap();
        let mut store_bin = fs::read(bad.join(STORE_FILE)).unwrap();
        let last = store_bin.len() - 1;
        store_bin[last] ^= 1;
        fs::remove_file(bad.join(STORE_FILE)).unwrap();
        fs::write(bad.join(STORE_FILE), store_bin).unwrap();
        let e = restore(&bad, &tmp.path().join("y")).unwrap_err();
        assert!(matches!(e, BackupError::Corrupt { .. }), "{e}");
        assert!(!tmp.path().join("y").exists() && !tmp.path().join(".y.restoring").exists());
        let mut newer: serde_json::Value = serde_json::from_slice(&fs::read(bad.join(MANIFEST)).unwrap()).unwrap();
        newer["format"] = serde_json::json!(FORMAT + 1);
        fs::remove_file(bad.join(MANIFEST)).unwrap();
        fs::write(bad.join(MANIFEST), newer.to_string()).unwrap();
        let e = restore(&bad, &tmp.path().join("z")).unwrap_err();
        assert!(matches!(e, BackupError::Newer { .. }), "{e}");
    }

    /// Names of one second sort in the order taken; a pruned name stays gone.
    #[test]
    fn a_new_name_comes_after_every_name_of_its_second_and_never_reuses_a_pruned_one() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-07T13:15:00Z").unwrap().to_utc();
        let base = "bangtin-20261207T131500Z";
        assert_eq!(free_name(dir.path(), at), base);
        fs::create_dir(dir.path().join(base)).unwrap();
        assert_eq!(free_name(dir.path(), at), format!("{base}-2"));
        // The oldest pruned (gone), a later one kept, one being pruned, one
        // being written, and names of other seconds or other things.
        fs::remove_dir(dir.path().join(base)).unwrap();
        for d in [
            format!("{base}-3"),
            format!(".{base}-9.pruning"),
            format!(".{base}-4.partial"),
            "bangtin-20261207T131501Z-12".into(),
            format!("{base}.tar"),
        ] {
            fs::create_dir(dir.path().join(d)).unwrap();
        }
        assert_eq!(free_name(dir.path(), at), format!("{base}-10"));
    }

    /// The names `take` gives, and nothing else, look like backups.
    #[test]
    fn backup_names_are_recognised_exactly() {
        for ok in [
            "bangtin-20261207T131500Z",
            "bangtin-20261207T131500Z-2",
            "bangtin-20261207T131500Z-10",
        ] {
            assert!(is_backup_name(ok), "{ok}");
        }
        for not in [
            "bangtin-20261207T131500",
            "bangtin-20261207 131500Z",
            "bangtin-20261207T131500Z-",
            "bangtin-20261207T131500Z-x",
            "bangtin-20261207T131500Z.tar",
            ".bangtin-20261207T131500Z.partial",
            "Bangtin-20261207T131500Z",
            "anh-chup",
            "bangtin-",
        ] {
            assert!(!is_backup_name(not), "{not}");
        }
    }

    /// `n` backups taken with `keep` 0 (none removed): their names, oldest first.
    fn backups(s: &Shared, into: &Path, n: usize) -> Vec<String> {
        (0..n).map(|_| take_keeping(s, into, 0).unwrap().name).collect()
    }

    /// After a backup is written the oldest of this manager's beyond
    /// `keep` go, the new one counted; everything else in the folder —
    /// another manager's backup, a directory named like a backup without
    /// a manifest, a file and a link with a backup's name, a half-written
    /// one, photos — stays as it was.
    #[test]
    fn retention_removes_only_this_managers_oldest_backups() {
        let tmp = tempfile::tempdir().unwrap();
        let s = open(&tmp.path().join("data"));
        let into = tmp.path().join("backups");
        let ours = backups(&s, &into, 4);
        assert_eq!(list(&into, &s.public_key_b64()).unwrap().len(), 4);

        // Another manager's backup, older than all of ours: not ours to remove.
        let other = into.join("bangtin-20200101T000000Z");
        copy_tree(&into.join(&ours[0]), &other, &mut Pace::new(tmp.path())).unwrap();
        let mut m: serde_json::Value = serde_json::from_slice(&fs::read(other.join(MANIFEST)).unwrap()).unwrap();
        m["public_key"] = serde_json::json!("a-different-key");
        m["taken_at"] = serde_json::json!("2020-01-01T00:00:00Z");
        fs::remove_file(other.join(MANIFEST)).unwrap();
        fs::write(other.join(MANIFEST), m.to_string()).unwrap();
        // Named like a backup, but no manifest.
        fs::create_dir_all(into.join("bangtin-20200101T000001Z/media")).unwrap();
        fs::write(into.join("bangtin-20200101T000001Z/media/x"), b"keep me").unwrap();
        // A file and a link with backup names (the link to our oldest).
        fs::write(into.join("bangtin-20200101T000002Z"), b"a file").unwrap();
        std::os::unix::fs::symlink(into.join(&ours[0]), into.join("bangtin-20200101T000003Z")).unwrap();
        // Someone's photos, and a backup left half-written by a crash.
        fs::create_dir(into.join("anh")).unwrap();
        fs::write(into.join("anh/cho.jpg"), b"jpeg").unwrap();
        fs::create_dir(into.join(".bangtin-20200101T000004Z.partial")).unwrap();
        let foreign: Vec<PathBuf> = [
            "bangtin-20200101T000000Z",
            "bangtin-20200101T000001Z",
            "bangtin-20200101T000002Z",
            "bangtin-20200101T000003Z",
            "anh",
            ".bangtin-20200101T000004Z.partial",
        ]
        .iter()
        .map(|n| into.join(n))
        .collect();
        let of = |t: &std::collections::BTreeMap<PathBuf, (u64, std::time::SystemTime)>| {
            t.iter()
                .filter(|(p, _)| foreign.iter().any(|f| p.starts_with(f)))
                .map(|(p, v)| (p.clone(), *v))
                .collect::<Vec<_>>()
        };
        let before = of(&crate::testutil::tree(&into));
        assert!(before.len() > 10, "{before:?}");

        let listed = list(&into, &s.public_key_b64()).unwrap();
        assert_eq!(
            listed.iter().map(|b| (b.name.as_str(), b.ours)).collect::<Vec<_>>(),
            vec![
                (ours[3].as_str(), true),
                (ours[2].as_str(), true),
                (ours[1].as_str(), true),
                (ours[0].as_str(), true),
                ("bangtin-20200101T000000Z", false),
            ],
            "newest first; only whole backup directories"
        );

        // keep 3: the new one and the two newest before it.
        let r = take_keeping(&s, &into, 3).unwrap();
        assert_eq!(r.pruned, vec![ours[0].clone(), ours[1].clone()], "oldest first");
        assert_eq!(r.prune_error, None);
        let left: Vec<String> = list(&into, &s.public_key_b64())
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(
            left,
            vec![
                r.name.clone(),
                ours[3].clone(),
                ours[2].clone(),
                "bangtin-20200101T000000Z".into()
            ]
        );
        for gone in &ours[..2] {
            assert!(!into.join(gone).exists(), "{gone}");
            assert!(!into.join(format!(".{gone}.pruning")).exists(), "{gone}");
        }
        assert_eq!(of(&crate::testutil::tree(&into)), before, "nothing else touched");
        assert!(
            fs::symlink_metadata(into.join("bangtin-20200101T000003Z"))
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link is still there (dangling now: its target was ours)"
        );

        // keep 1: only the new one of ours; keep 0: all.
        let r = take_keeping(&s, &into, 1).unwrap();
        assert_eq!(r.pruned.len(), 3, "{:?}", r.pruned);
        let r0 = take_keeping(&s, &into, 0).unwrap();
        assert!(r0.pruned.is_empty());
        let names: Vec<String> = list(&into, &s.public_key_b64())
            .unwrap()
            .into_iter()
            .filter(|b| b.ours)
            .map(|b| b.name)
            .collect();
        assert_eq!(names, vec![r0.name, r.name]);
        assert_eq!(of(&crate::testutil::tree(&into)), before, "nothing else touched");
    }

    /// A backup that fails removes no older one and leaves nothing behind.
    #[test]
    fn a_failed_backup_prunes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let s = open(&data);
        let into = tmp.path().join("backups");
        let ours = backups(&s, &into, 3);
        let before = crate::testutil::tree(&into);
        // The signing key gone: the copy fails near its end.
        fs::rename(data.join(KEY_FILE), tmp.path().join("key-aside")).unwrap();
        let e = take_keeping(&s, &into, 1).unwrap_err();
        assert!(matches!(e, BackupError::Io { .. }), "{e}");
        assert_eq!(crate::testutil::tree(&into), before, "all three kept, no partial left");
        fs::rename(tmp.path().join("key-aside"), data.join(KEY_FILE)).unwrap();
        let r = take_keeping(&s, &into, 1).unwrap();
        assert_eq!(r.pruned, ours);
    }

    /// A writer changes records in batches that keep an invariant (a
    /// window of the five newest pairs, both halves, and a counter; a log
    /// line after each batch) and never stops while the backup runs: the
    /// restored store holds one instant — the invariant, whole.
    #[test]
    fn a_backup_is_one_instant_while_writers_go_on() {
        let tmp = tempfile::tempdir().unwrap();
        let s = Arc::new(open(&tmp.path().join("data")));
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let writer = {
            let (s, stop, done) = (s.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                for i in 1u64.. {
                    let mut ops = vec![
                        Op::put(format!("pair/{i:08}/a"), &i),
                        Op::put(format!("pair/{i:08}/b"), &i),
                        Op::put("counter", &i),
                    ];
                    if i > 5 {
                        ops.push(Op::del(format!("pair/{:08}/a", i - 5)));
                        ops.push(Op::del(format!("pair/{:08}/b", i - 5)));
                    }
                    s.store.apply(ops).unwrap();
                    s.store
                        .journal()
                        .append(Stream::Play, "2026-12-07T0900", "w", &[i.to_string().into_bytes()])
                        .unwrap();
                    done.store(i, Ordering::SeqCst);
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                }
            })
        };
        while done.load(Ordering::SeqCst) < 2000 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let r = take(&s, &tmp.path().join("backups")).unwrap();
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        let restored = tmp.path().join("restored");
        restore(Path::new(&r.path), &restored).unwrap();
        let r2 = open(&restored);
        let c: u64 = r2.store.get_json("counter").unwrap().unwrap();
        assert!(
            c >= 2000 && c < done.load(Ordering::SeqCst),
            "{c}, writes went on after"
        );
        let pairs: Vec<String> = r2.store.scan("pair/").unwrap().into_iter().map(|(k, _)| k).collect();
        let want: Vec<String> = (c.saturating_sub(4).max(1)..=c)
            .flat_map(|i| [format!("pair/{i:08}/a"), format!("pair/{i:08}/b")])
            .collect();
        assert_eq!(pairs, want);
        let lines: Vec<u64> = fs::read_to_string(restored.join("journal/play/2026-12-07T0900/w.jsonl"))
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(
            lines,
            (1..=lines.len() as u64).collect::<Vec<_>>(),
            "whole lines, in order"
        );
        // The log line follows its batch: at the instant it is the
        // counter's or the one before.
        assert!(
            lines.len() as u64 == c || lines.len() as u64 + 1 == c,
            "{} lines, counter {c}",
            lines.len()
        );
        assert!(r.manifest.writes_held_ms < 1000.0, "{}", r.manifest.writes_held_ms);
    }

    fn percentile(mut v: Vec<std::time::Duration>, p: f64) -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v.sort();
        let i = ((v.len() - 1) as f64 * p).round() as usize;
        v[i].as_secs_f64() * 1000.0
    }

    /// The figures of docs/manager.md, "Sao lưu và khôi phục": a store the
    /// size of a province's (4,000 boards: records as the soak run holds
    /// them, ten days of proof-of-play totals, a beats log and a
    /// proof-of-play log each) backed up while a writer stores 400
    /// heartbeats a second (three times a province's), every tenth with a
    /// history line; how long writes were held to mark the instant, and
    /// the writer's latency before and during the backup.
    /// `cargo test -p bangtin-manager --lib backup::tests::writes_wait_little -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement: builds a province-sized store (≈ 260 MiB, half a minute)"]
    fn writes_wait_little_for_a_province_backup() {
        const BOARDS: usize = 4000;
        const WRITES_PER_S: u64 = 400;
        let tmp = tempfile::tempdir().unwrap();
        let s = Arc::new(open(&tmp.path().join("data")));
        let blob = |n: usize, seed: usize| -> String {
            (0..n).map(|i| char::from(b'a' + ((i * 7 + seed) % 26) as u8)).collect()
        };
        let t = Instant::now();
        for chunk in (0..BOARDS).collect::<Vec<_>>().chunks(100) {
            let mut ops = Vec::new();
            for &b in chunk {
                ops.push(Op::put(format!("board/brd_{b}"), &blob(400, b)));
                ops.push(Op::put(format!("cred/{b:064}"), &blob(100, b)));
                ops.push(Op::put(format!("heartbeat/brd_{b}"), &blob(600, b)));
                ops.push(Op::put(format!("show/brd_{b}"), &blob(6000, b)));
                ops.push(Op::put(format!("alertset/brd_{b}"), &blob(1500, b)));
                for d in 0..10 {
                    ops.push(Op::put(
                        format!("playtot/brd_{b}/2026-12-{:02}", d + 1),
                        &blob(1300, b + d),
                    ));
                }
            }
            s.store.apply(ops).unwrap();
        }
        for b in 0..BOARDS {
            let beats: Vec<Vec<u8>> = (0..24).map(|i| blob(600, b + i).into_bytes()).collect();
            let plays: Vec<Vec<u8>> = (0..40).map(|i| blob(250, b + i).into_bytes()).collect();
            s.store
                .journal()
                .append(Stream::Beats, "2026-12-07", &format!("brd_{b}"), &beats)
                .unwrap();
            s.store
                .journal()
                .append(Stream::Play, "2026-12-07T0910", &format!("brd_{b}"), &plays)
                .unwrap();
        }
        for m in 0..20 {
            let sha = format!("{m:02}{}", "0".repeat(62));
            fs::create_dir_all(s.media_path(&sha).parent().unwrap()).unwrap();
            fs::write(s.media_path(&sha), blob(1 << 20, m)).unwrap();
        }
        s.store.flush().unwrap();
        let sled = crate::journal::dir_bytes(&tmp.path().join("data/db"));
        let logs = crate::journal::dir_bytes(&tmp.path().join("data/journal"));
        println!(
            "store built in {:.1} s: sled {:.1} MiB, logs {:.1} MiB, media 20 MiB",
            t.elapsed().as_secs_f64(),
            sled as f64 / 1048576.0,
            logs as f64 / 1048576.0
        );

        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let beat = blob(600, 3);
                let start = Instant::now();
                for i in 0usize.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // Three times a province's heartbeats (4,000 boards
                    // every 30 s), every tenth with a history line.
                    let due = start + std::time::Duration::from_micros(i as u64 * 1_000_000 / WRITES_PER_S);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    let t = Instant::now();
                    s.store
                        .apply(vec![Op::put(format!("heartbeat/brd_{}", i % BOARDS), &beat)])
                        .unwrap();
                    if i % 10 == 0 {
                        s.store
                            .journal()
                            .append(
                                Stream::Beats,
                                "2026-12-07",
                                &format!("brd_{}", i % BOARDS),
                                &[beat.clone().into_bytes()],
                            )
                            .unwrap();
                    }
                    lat.push((t, t.elapsed()));
                }
                lat
            })
        };
        std::thread::sleep(std::time::Duration::from_secs(2));
        let (from, r) = (Instant::now(), take(&s, &tmp.path().join("backups")).unwrap());
        let to = Instant::now();
        std::thread::sleep(std::time::Duration::from_secs(1));
        stop.store(true, Ordering::SeqCst);
        let lat = writer.join().unwrap();
        let m = &r.manifest;
        let before: Vec<_> = lat.iter().filter(|(t, _)| *t < from).map(|(_, d)| *d).collect();
        let during: Vec<_> = lat
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(_, d)| *d)
            .collect();
        println!(
            "backup: {} records, {} logs, {} media, {:.1} MiB in {:.2} s; writes held {:.3} ms",
            m.records,
            m.logs,
            m.media,
            m.bytes as f64 / 1048576.0,
            m.seconds,
            m.writes_held_ms
        );
        for (what, v) in [("before", before), ("during", during)] {
            println!(
                "writer {what}: {} writes, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                v.len(),
                percentile(v.clone(), 0.5),
                percentile(v.clone(), 0.99),
                percentile(v, 1.0)
            );
        }
    }
}
