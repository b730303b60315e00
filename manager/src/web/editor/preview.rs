//! Previews drawn by the player's own renderer: the real `bangtin-player
//! render` run as a child process, so the picture is the board's to the
//! pixel, and a layout that hangs or crashes the renderer costs one child,
//! never the manager. Bounded in time (killed at the deadline), in memory
//! (`prlimit --as`, util-linux) and in number (one at a time per manager).
//!
//! The program is found in this order: the config's `player` (env
//! `BANGTIN_PLAYER`), `bangtin-player` next to the manager's own program,
//! then `bangtin-player` on `PATH`.

use crate::state::AppState;
use bangtin_layouts::raw::RawLayout;
use chrono::{DateTime, FixedOffset};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

const PROGRAM: &str = "bangtin-player";
/// Most of the renderer's error output kept for the message.
const STDERR_KEPT: usize = 2000;

/// One preview at a time per manager (a router's, so each manager has its
/// own); others wait their turn up to the preview deadline.
#[derive(Debug, Clone)]
pub struct Previewer {
    gate: Arc<Semaphore>,
}

impl Default for Previewer {
    fn default() -> Self {
        Previewer {
            gate: Arc::new(Semaphore::new(1)),
        }
    }
}

/// Why there is no picture.
#[derive(Debug)]
pub enum PreviewError {
    /// No renderer program where we looked.
    Missing(String),
    /// Another preview held the renderer for the whole wait.
    Busy,
    /// Killed at the deadline, seconds.
    Timeout(u64),
    /// The renderer stopped with an error (its status, its last words).
    Failed(String),
    /// Our own side: temporary files, starting the child.
    Io(String),
}

/// The renderer program to run, or where we looked.
pub fn find_player(configured: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = configured {
        // Said explicitly: no guessing elsewhere, a typo must show.
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(p.display().to_string())
        };
    }
    let mut looked = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        let p = dir.join(PROGRAM);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(p.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(PROGRAM);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    looked.push(format!("PATH/{PROGRAM}"));
    Err(looked.join(", "))
}

/// `prlimit` from util-linux, when installed.
fn prlimit() -> Option<PathBuf> {
    ["/usr/bin/prlimit", "/bin/prlimit"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Files in the layout's library (`sha256:<hex>`), each once.
pub fn media_of(raw: &RawLayout) -> Vec<String> {
    let mut out: Vec<String> = raw
        .board
        .iter()
        .filter_map(|b| b.background_image.as_deref())
        .chain(
            raw.zones
                .iter()
                .flat_map(|z| z.items.iter().filter_map(|i| i.src.as_deref())),
        )
        .filter_map(|s| s.trim().strip_prefix("sha256:"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The renderer's process: killed and reaped when dropped, so a request
/// given up (timeout, closed connection) leaves no renderer behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        // std does not signal a child it has already reaped.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary folder removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Render `raw` (already validated) at `at` to PNG bytes. Media come from
/// the manager's library: each `sha256:<hex>` is linked into the folder
/// of the layout file, which is where the player looks for it.
pub async fn render(
    s: &AppState,
    p: &Previewer,
    raw: &RawLayout,
    at: DateTime<FixedOffset>,
) -> Result<Vec<u8>, PreviewError> {
    let exe = find_player(s.cfg.player.as_deref()).map_err(PreviewError::Missing)?;
    let timeout = Duration::from_secs(s.cfg.preview_timeout_s.max(1));
    let deadline = tokio::time::Instant::now() + timeout;
    let _turn = tokio::time::timeout_at(deadline, p.gate.acquire())
        .await
        .map_err(|_| PreviewError::Busy)?
        .map_err(|_| PreviewError::Busy)?;

    let dir = s.tmp_dir.join(format!("preview-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).map_err(|e| PreviewError::Io(e.to_string()))?;
    let scratch = Scratch(dir);
    for hex in media_of(raw) {
        if let Ok(from) = s.shared.local_media(&hex).await {
            std::os::unix::fs::symlink(&from, scratch.0.join(&hex)).map_err(|e| PreviewError::Io(e.to_string()))?;
        }
    }
    let text = toml::to_string(raw).map_err(|e| PreviewError::Io(e.to_string()))?;
    let layout = scratch.0.join("layout.toml");
    let out = scratch.0.join("preview.png");
    std::fs::write(&layout, text).map_err(|e| PreviewError::Io(e.to_string()))?;

    let mut cmd = match prlimit() {
        Some(pl) => {
            let mut c = Command::new(pl);
            c.arg(format!("--as={}", s.cfg.preview_memory_mib.saturating_mul(1024 * 1024)))
                .arg("--")
                .arg(&exe);
            c
        }
        None => {
            tracing::warn!("không có prlimit: xem trước không giới hạn bộ nhớ (no prlimit: preview memory unbounded)");
            Command::new(&exe)
        }
    };
    // The renderer's words go to a file: a pipe nobody reads while we wait
    // could fill and stall it.
    let err_path = scratch.0.join("stderr.txt");
    let err_file = std::fs::File::create(&err_path).map_err(|e| PreviewError::Io(e.to_string()))?;
    cmd.arg("render")
        .arg("--layout")
        .arg(&layout)
        .arg("--at")
        .arg(at.to_rfc3339())
        .arg("--out")
        .arg(&out)
        .env("RUST_LOG", "error")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file);
    let mut child = Reaped(
        cmd.spawn()
            .map_err(|e| PreviewError::Io(format!("{}: {e}", exe.display())))?,
    );
    let status = loop {
        match child.0.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if tokio::time::Instant::now() >= deadline => {
                // Killed and reaped when `child` drops.
                drop(child);
                return Err(PreviewError::Timeout(timeout.as_secs()));
            }
            Ok(None) => tokio::time::sleep(Duration::from_millis(25)).await,
            Err(e) => return Err(PreviewError::Io(e.to_string())),
        }
    };
    drop(child);
    if !status.success() {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        let t = err.trim();
        let from = (t.len().saturating_sub(STDERR_KEPT)..t.len())
            .find(|i| t.is_char_boundary(*i))
            .unwrap_or(t.len());
        return Err(PreviewError::Failed(format!("{status}: {}", &t[from..])));
    }
    tokio::fs::read(&out).await.map_err(|e| PreviewError::Io(e.to_string()))
}

fn rand_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}
