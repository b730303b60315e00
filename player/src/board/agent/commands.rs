//! The manager's commands (reload, screenshot, restart), whether they come
//! with a heartbeat's reply or a push, and the screenshots that go up.

use super::Link;
use crate::board::{ShotKind, ShotRequest, ToScreen};
use bangtin_layouts::wire::{Action, Command};

pub(super) fn command(link: &Link, c: Command) {
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
