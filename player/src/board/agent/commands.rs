//! The manager's commands (reload, screenshot, restart), whether they come
//! with a heartbeat's reply or a push, and the screenshots that go up.

use super::Link;
use crate::board::{ShotKind, ShotRequest, ToScreen};
use bangtin_layouts::wire::{Action, Command, MAX_COMMANDS_DONE};
use std::collections::VecDeque;
use std::path::PathBuf;

/// Command ids remembered as run.
const SEEN: usize = 64;

/// The commands a board received: the ids it ran (kept on disk, so a
/// restart command acknowledged after the restart does not run again) and
/// the ids to acknowledge with the next heartbeat. The manager hands a
/// command over until it is acknowledged, so it may come twice.
#[derive(Debug)]
pub(super) struct Received {
    path: PathBuf,
    seen: VecDeque<String>,
    to_ack: Vec<String>,
}

impl Received {
    /// The ids run before, from `commands-seen` in the board's config
    /// directory (none if it cannot be read).
    pub(super) fn open(config_dir: &std::path::Path) -> Received {
        let path = config_dir.join("commands-seen");
        let seen = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Received {
            path,
            seen,
            to_ack: Vec::new(),
        }
    }

    /// True when `id` was not run before (and is now remembered); either
    /// way it is acknowledged with the next beat.
    pub(super) fn receive(&mut self, id: &str) -> bool {
        if !self.to_ack.iter().any(|a| a == id) {
            self.to_ack.push(id.to_string());
        }
        if self.seen.iter().any(|s| s == id) {
            return false;
        }
        self.seen.push_back(id.to_string());
        while self.seen.len() > SEEN {
            self.seen.pop_front();
        }
        let text: String = self.seen.iter().map(|s| format!("{s}\n")).collect();
        if let Err(e) = crate::board::cache::write_atomic(&self.path, text.as_bytes(), 0o600) {
            tracing::warn!("không ghi được lệnh đã chạy: {e:#} (cannot record commands run)");
        }
        true
    }

    /// What the next heartbeat acknowledges.
    pub(super) fn to_ack(&self) -> Vec<String> {
        self.to_ack.iter().take(MAX_COMMANDS_DONE).cloned().collect()
    }

    /// A heartbeat carrying `ids` went through.
    pub(super) fn acked(&mut self, ids: &[String]) {
        self.to_ack.retain(|a| !ids.contains(a));
    }
}

pub(super) fn command(link: &Link, c: Command) {
    let new = link.received.lock().unwrap_or_else(|e| e.into_inner()).receive(&c.id);
    if !new {
        tracing::debug!("lệnh {} đã chạy rồi (command already run)", c.id);
        return;
    }
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

pub(super) async fn upload_shot(link: &Link, req: ShotRequest, png: Vec<u8>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_runs_once_across_restarts_and_is_acknowledged_until_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Received::open(dir.path());
        assert!(r.receive("cmd_1"), "new");
        assert!(!r.receive("cmd_1"), "pushed, then in a reply: once");
        assert_eq!(r.to_ack(), ["cmd_1"]);
        r.acked(&["cmd_1".to_string()]);
        assert!(r.to_ack().is_empty());
        // Restarted before the acknowledgement went through.
        assert!(r.receive("cmd_2"));
        let mut r = Received::open(dir.path());
        assert!(!r.receive("cmd_2"), "remembered across a restart");
        assert_eq!(r.to_ack(), ["cmd_2"], "and still acknowledged");
        for i in 0..100 {
            r.receive(&format!("x{i}"));
        }
        assert_eq!(r.to_ack().len(), MAX_COMMANDS_DONE);
        assert!(Received::open(dir.path()).seen.len() <= SEEN);
    }
}
