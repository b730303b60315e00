//! `bangtin-manager migrate --from DATA_DIR --to postgres://…` (issue
//! #16): a sled manager's data directory copied into a new PostgreSQL
//! database — every record, the logs (proof of play, heartbeat history),
//! the id sequence, media, thumbnails and the latest screenshots as blobs,
//! and the show-signing key's public half — then counted on both sides.
//!
//! The source is opened as the manager opens it, so sled's lock refuses a
//! directory a manager is running on; the target must be empty, so a
//! second run never mixes two stores.

use crate::journal::Stream;
use crate::pg::{PgStore, is_postgres, redact};
use crate::shared::{CLUSTER_KEY, screen_blob, sha256_file, thumb_blob};
use crate::store::{Op, SledStore, Store};
use anyhow::Context;
use std::path::Path;

/// Input the operator must change (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// What one side holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Keys of the store (the cluster's key record not counted).
    pub records: u64,
    /// Proof-of-play records in the logs.
    pub play: u64,
    /// Heartbeat records in the logs.
    pub beats: u64,
    pub media: u64,
    pub thumbnails: u64,
    pub screenshots: u64,
}

/// Both sides' counts after the copy.
#[derive(Debug)]
pub struct Report {
    pub source: Counts,
    pub target: Counts,
}

impl Report {
    /// One line a count: what, source, target.
    pub fn lines(&self) -> Vec<String> {
        let (s, t) = (&self.source, &self.target);
        [
            ("bản ghi (records)", s.records, t.records),
            ("nhật ký phát (proof of play)", s.play, t.play),
            ("lịch sử nhịp (heartbeats)", s.beats, t.beats),
            ("tệp phương tiện (media files)", s.media, t.media),
            ("ảnh thu nhỏ (thumbnails)", s.thumbnails, t.thumbnails),
            ("ảnh chụp màn hình (screenshots)", s.screenshots, t.screenshots),
        ]
        .iter()
        .map(|(what, a, b)| format!("{what}: nguồn {a}, đích {b} (source, target)"))
        .collect()
    }
}

/// Records (and log records) written to PostgreSQL at once.
const BATCH: usize = 1000;

/// Copy the sled data directory `from` into the empty PostgreSQL
/// database `to`, then count both.
pub fn migrate(from: &Path, to: &str) -> anyhow::Result<Report> {
    if !is_postgres(to) {
        return Err(BadInput(format!(
            "--to phải là địa chỉ postgres://… (--to must be a PostgreSQL address), không phải {to:?}"
        ))
        .into());
    }
    if !from.join("db").is_dir() {
        return Err(BadInput(format!(
            "{} không phải thư mục dữ liệu của bangtin-manager: không có db/ (not a manager's data directory)",
            from.display()
        ))
        .into());
    }
    let key_file = from.join("show-signing.key");
    if !key_file.is_file() {
        return Err(BadInput(format!(
            "không có {} (no show-signing key in the data directory)",
            key_file.display()
        ))
        .into());
    }
    let found = crate::upgrade::check_format(from).map_err(|e| BadInput(e.to_string()))?;
    let source = SledStore::open_data_dir(from, crate::store::DEFAULT_CACHE_MIB).map_err(|e| {
        let e = e.to_string();
        if e.contains("lock") {
            anyhow::Error::new(BadInput(format!(
                "một bangtin-manager đang chạy trên {}: hãy dừng nó trước khi chuyển (a manager is running \
                 on this data directory: stop it first): {e}",
                from.display()
            )))
        } else {
            anyhow::anyhow!("không mở được kho dữ liệu trong {}: {e}", from.display())
        }
    })?;
    // As a start of this manager would: a directory of an older format
    // is brought up to this one first.
    crate::upgrade::migrate(from, &source, found)?;
    let target = PgStore::open(to, 4)?;
    if !target.is_empty()? {
        return Err(BadInput(format!(
            "cơ sở dữ liệu {} đã có dữ liệu: hãy chuyển vào một cơ sở dữ liệu mới, trống \
             (the target database is not empty: migrate into a new, empty one)",
            redact(to)
        ))
        .into());
    }
    let mut have = Counts::default();

    // Records.
    let mut batch = Vec::with_capacity(BATCH);
    source.each(&mut |k, v| {
        let k = String::from_utf8(k.to_vec()).map_err(std::io::Error::other)?;
        if k != CLUSTER_KEY {
            have.records += 1;
        }
        batch.push(Op::Put(k, v.to_vec()));
        if batch.len() >= BATCH {
            target
                .apply(std::mem::take(&mut batch))
                .map_err(std::io::Error::other)?;
        }
        Ok(())
    })?;
    target.apply(batch)?;

    // Logs.
    for stream in Stream::ALL {
        let (sj, tj) = (source.journal(), target.journal());
        for bucket in sj.buckets(stream)? {
            for board in sj.boards(stream, &bucket)? {
                let r = sj.read(stream, &bucket, &board, 0)?;
                let n = r.records.len() as u64;
                for part in r.records.chunks(BATCH) {
                    tj.append(stream, &bucket, &board, part)?;
                }
                match stream {
                    Stream::Play => have.play += n,
                    Stream::Beats => have.beats += n,
                }
            }
        }
    }

    // Ids: every id the new database gives is above the source's.
    target.raise_ids(source.next_id()?)?;

    // Files.
    for (sha, path) in files(&from.join("media"), 2)? {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let found = sha256_file(&path)?;
        anyhow::ensure!(
            found == sha,
            "{} hỏng: SHA-256 là {found} (corrupt media file: its hash is not its name)",
            path.display()
        );
        target.put_blob(&sha, &path)?;
        have.media += 1;
    }
    for (name, path) in files(&from.join("thumbs"), 1)? {
        if let Some(sha) = name.strip_suffix(".jpg") {
            target.put_blob(&thumb_blob(sha), &path)?;
            have.thumbnails += 1;
        }
    }
    for (name, path) in files(&from.join("screens"), 2)? {
        let board = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|b| b.to_str())
            .unwrap_or_default();
        target.put_blob(&screen_blob(board, &name), &path)?;
        have.screenshots += 1;
    }

    // The key last: a database with it is one the copy finished.
    let key = crate::shared::load_or_create_key(from)?;
    let public = bangtin_layouts::show::key_to_b64(&key.0.verifying_key());
    target.put_if_absent(CLUSTER_KEY, serde_json::to_vec(&public)?)?;
    target.flush()?;
    source.flush()?;
    drop(source);

    let target_counts = count(&target)?;
    Ok(Report {
        source: have,
        target: target_counts,
    })
}

/// What the PostgreSQL side holds.
fn count(pg: &PgStore) -> anyhow::Result<Counts> {
    let mut c = Counts::default();
    pg.each(&mut |k, _| {
        if k != CLUSTER_KEY.as_bytes() {
            c.records += 1;
        }
        Ok(())
    })?;
    let j = pg.journal();
    for stream in Stream::ALL {
        for bucket in j.buckets(stream)? {
            for board in j.boards(stream, &bucket)? {
                let n = j.read(stream, &bucket, &board, 0)?.records.len() as u64;
                match stream {
                    Stream::Play => c.play += n,
                    Stream::Beats => c.beats += n,
                }
            }
        }
    }
    for (name, _) in pg.blobs("")? {
        if name.starts_with("thumb/") {
            c.thumbnails += 1;
        } else if name.starts_with("screen/") {
            c.screenshots += 1;
        } else {
            c.media += 1;
        }
    }
    Ok(c)
}

/// Plain files `depth` folders below `dir` (1: its own files), with their
/// names; none when `dir` does not exist.
fn files(dir: &Path, depth: u32) -> anyhow::Result<Vec<(String, std::path::PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("không đọc được {}", dir.display())),
    };
    for e in entries {
        let e = e?;
        let ty = e.file_type()?;
        if depth > 1 && ty.is_dir() {
            out.extend(files(&e.path(), depth - 1)?);
        } else if depth == 1
            && ty.is_file()
            && let Some(name) = e.file_name().to_str()
        {
            out.push((name.to_string(), e.path()));
        }
    }
    out.sort();
    Ok(out)
}
