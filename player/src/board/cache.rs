//! What a board keeps on disk to play for weeks without network: the last
//! good signed show and the media it names, by SHA-256.
//!
//! Layout of the data directory:
//!
//! ```text
//! show/current.json     the signed show on screen (verified again on load)
//! show/alerts.json      the last signed alert set (verified again on load)
//! media/<sha256>        verified files, named by their hash
//! media/<sha256>.part   a download in progress (resumed from its length)
//! playlog/…             proof of play, see [`super::playlog`]
//! ```
//!
//! A show is installed only once every file it names is in `media/`,
//! by renaming a fully written and synced file over `current.json`: a power
//! cut at any moment leaves either the old show or the new one. The alert
//! set is kept the same way, so a board restarted without network still
//! shows an emergency in force.

use anyhow::{Context, Result};
use bangtin_layouts::alerts::AlertSet;
use bangtin_layouts::show::{Show, ShowMedia, Signed, verify};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn open(dir: &Path) -> Result<Cache> {
        for sub in ["show", "media"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).with_context(|| format!("không tạo được thư mục {}", d.display()))?;
        }
        // Leftovers of an interrupted install are never used.
        if let Ok(rd) = std::fs::read_dir(dir.join("show")) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().ends_with(".tmp") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(Cache { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn media_dir(&self) -> PathBuf {
        self.dir.join("media")
    }

    pub fn media_path(&self, sha: &str) -> PathBuf {
        self.media_dir().join(sha)
    }

    pub fn part_path(&self, sha: &str) -> PathBuf {
        self.media_dir().join(format!("{sha}.part"))
    }

    fn current_path(&self) -> PathBuf {
        self.dir.join("show").join("current.json")
    }

    fn alerts_path(&self) -> PathBuf {
        self.dir.join("show").join("alerts.json")
    }

    /// Keep a verified signed alert set (atomically, synced).
    pub fn install_alerts(&self, signed: &Signed) -> Result<()> {
        let bytes = serde_json::to_vec(signed).context("không tuần tự hóa được bộ cảnh báo")?;
        write_atomic(&self.alerts_path(), &bytes, 0o644)
    }

    /// The kept alert set, verified again with the pinned key and checked
    /// to be for `board`. None if there is none or it is refused.
    pub fn alerts(&self, key: &VerifyingKey, board: &str) -> Option<(Signed, AlertSet)> {
        let text = std::fs::read_to_string(self.alerts_path()).ok()?;
        let signed: Signed = match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("bộ cảnh báo đã lưu hỏng, bỏ qua: {e} (stored alert set unreadable)");
                return None;
            }
        };
        match bangtin_layouts::alerts::verify(&signed, key) {
            Ok(set) if set.board == board => Some((signed, set)),
            Ok(set) => {
                tracing::error!(
                    "bộ cảnh báo đã lưu là của bảng khác ({}), bỏ qua (stored alert set for another board)",
                    set.board
                );
                None
            }
            Err(e) => {
                tracing::error!("bộ cảnh báo đã lưu không hợp lệ, bỏ qua: {e} (stored alert set refused)");
                None
            }
        }
    }

    /// Is this file in the cache (verified when it was stored)?
    pub fn has(&self, m: &ShowMedia) -> bool {
        std::fs::metadata(self.media_path(&m.sha256)).is_ok_and(|md| md.len() == m.size)
    }

    /// Files of `show` not yet cached.
    pub fn missing<'a>(&self, show: &'a Show) -> Vec<&'a ShowMedia> {
        show.media.iter().filter(|m| !self.has(m)).collect()
    }

    /// The installed show, verified again with the pinned key (the disk is
    /// not trusted more than the network). None if there is none or it
    /// does not verify.
    pub fn current(&self, key: &VerifyingKey) -> Option<(Signed, Show)> {
        let text = std::fs::read_to_string(self.current_path()).ok()?;
        let signed: Signed = match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("chương trình đã lưu hỏng, bỏ qua: {e} (stored show unreadable)");
                return None;
            }
        };
        match verify(&signed, key) {
            Ok(show) => Some((signed, show)),
            Err(e) => {
                tracing::error!("chương trình đã lưu không hợp lệ, bỏ qua: {e} (stored show refused)");
                None
            }
        }
    }

    /// Make `signed` the current show. Every file it names must be cached.
    pub fn install(&self, signed: &Signed, show: &Show) -> Result<()> {
        if let Some(m) = self.missing(show).first() {
            anyhow::bail!("thiếu tệp {} (media missing; not installing)", m.sha256);
        }
        let bytes = serde_json::to_vec(signed).context("không tuần tự hóa được chương trình")?;
        write_atomic(&self.current_path(), &bytes, 0o644)
    }

    /// Delete cached media named by neither `keep` set (the show on screen
    /// and the one replacing it) and leftovers of abandoned downloads.
    pub fn collect_garbage(&self, keep: &HashSet<String>) -> usize {
        let mut n = 0;
        let Ok(rd) = std::fs::read_dir(self.media_dir()) else {
            return 0;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let sha = name.strip_suffix(".part").unwrap_or(&name);
            if !keep.contains(sha) && std::fs::remove_file(e.path()).is_ok() {
                n += 1;
            }
        }
        n
    }
}

/// Write a file so that readers (and a power cut) see either the old
/// content or the new one: temporary file, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("không ghi được {} (cannot write)", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("không ghi được {} (cannot write)", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("không ghi được {} (cannot rename)", path.display()))?;
    sync_dir(dir);
    Ok(())
}

pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Free bytes on the file system holding `dir`.
pub fn disk_free(dir: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return 0;
    };
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a valid C string and `st` a buffer of the right type;
    // statvfs writes it fully when it returns 0.
    #[allow(unsafe_code)]
    let ok = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } == 0;
    if !ok {
        return 0;
    }
    #[allow(unsafe_code)]
    let st = unsafe { st.assume_init() };
    st.f_bavail.saturating_mul(st.f_frsize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangtin_layouts::show::{SHOW_SCHEMA, sign};
    use ed25519_dalek::SigningKey;

    fn show(media: Vec<ShowMedia>) -> Show {
        let now = chrono::Utc::now();
        Show {
            schema: SHOW_SCHEMA.into(),
            board: "brd_1".into(),
            version: 1,
            issued_at: now,
            valid_from: now,
            valid_until: now,
            timezone: "Asia/Ho_Chi_Minh".into(),
            slots: vec![],
            layouts: Default::default(),
            media,
            display: Default::default(),
        }
    }

    #[test]
    fn installs_only_complete_shows_and_verifies_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(dir.path()).unwrap();
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let body = b"hello board";
        let sha = hex::encode(Sha256::digest(body));
        let s = show(vec![ShowMedia {
            sha256: sha.clone(),
            size: body.len() as u64,
            mime: "text/plain".into(),
        }]);
        let signed = sign(&s, &key);
        assert!(c.install(&signed, &s).is_err(), "media missing");
        assert!(c.current(&key.verifying_key()).is_none());
        std::fs::write(c.media_path(&sha), body).unwrap();
        assert_eq!(sha256_file(&c.media_path(&sha)).unwrap(), sha);
        c.install(&signed, &s).unwrap();
        assert_eq!(c.current(&key.verifying_key()).unwrap().1, s);
        // Another key: the stored show is refused.
        let other = SigningKey::from_bytes(&[4u8; 32]);
        assert!(c.current(&other.verifying_key()).is_none());
        // Garbage collection keeps what is named, removes the rest.
        std::fs::write(c.media_path(&"0".repeat(64)), b"old").unwrap();
        std::fs::write(c.part_path(&"1".repeat(64)), b"half").unwrap();
        assert_eq!(c.collect_garbage(&[sha.clone()].into_iter().collect()), 2);
        assert!(c.media_path(&sha).exists());
        assert!(disk_free(dir.path()) > 0);
    }

    #[test]
    fn alert_sets_are_kept_and_verified_again_on_load() {
        use bangtin_layouts::alerts::{ALERTS_SCHEMA, AlertLevel, BoardAlert};
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(dir.path()).unwrap();
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let pinned = key.verifying_key();
        assert!(c.alerts(&pinned, "brd_1").is_none(), "nothing kept yet");
        let now = chrono::Utc::now();
        let set = AlertSet {
            schema: ALERTS_SCHEMA.into(),
            round_seconds: None,
            board: "brd_1".into(),
            version: 7,
            issued_at: now,
            alerts: vec![BoardAlert {
                id: "cap:bao-so-3".into(),
                level: AlertLevel::Emergency,
                severity: 4,
                risk_level: Some(4),
                event: "Bão số 3".into(),
                headline: "Bão mạnh đổ bộ chiều nay".into(),
                description: String::new(),
                instruction: "Ở trong nhà".into(),
                ticker: String::new(),
                sender: "Ban Chỉ huy PCTT tỉnh".into(),
                starts: now,
                expires: Some(now + chrono::TimeDelta::hours(6)),
                slots: Vec::new(),
                weekdays: Vec::new(),
                seconds: None,
                media: Vec::new(),
                repeats: None,
            }],
        };
        let signed = bangtin_layouts::alerts::sign(&set, &key);
        c.install_alerts(&signed).unwrap();
        // What a restart finds: the same set, verified again.
        let c = Cache::open(dir.path()).unwrap();
        let (back, got) = c.alerts(&pinned, "brd_1").unwrap();
        assert_eq!((back, got), (signed.clone(), set));
        // Another board's, or under another key: refused.
        assert!(c.alerts(&pinned, "brd_2").is_none());
        assert!(
            c.alerts(&SigningKey::from_bytes(&[4u8; 32]).verifying_key(), "brd_1")
                .is_none()
        );
        // Tampered on disk (the headline changed, signature kept): refused.
        let path = dir.path().join("show/alerts.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let tampered = text.replace("Bão mạnh", "Bão yếu");
        assert_ne!(text, tampered);
        std::fs::write(&path, tampered).unwrap();
        assert!(c.alerts(&pinned, "brd_1").is_none());
        // Not even JSON: refused, no panic.
        std::fs::write(&path, b"{\"payload\": ").unwrap();
        assert!(c.alerts(&pinned, "brd_1").is_none());
    }
}
