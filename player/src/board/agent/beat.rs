//! Heartbeats: what the screen shows, the board's health and errors go up;
//! the reply brings the newest show version and the manager's commands.

use super::commands::command;
use super::sync::announce;
use super::{Agent, Link};
use crate::board::cache::disk_free;
use bangtin_layouts::wire::{BoardStatus, HeartbeatReply};
use std::sync::atomic::Ordering;
use std::time::Duration;

impl Agent {
    /// Send one heartbeat; true when it went through.
    pub(super) async fn beat(&self, link: &Link) -> bool {
        let st = self.report.status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut errors = st.errors.clone();
        errors.extend(link.errors.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned());
        let pending = link.pending.load(Ordering::Relaxed);
        let acks = link.received.lock().unwrap_or_else(|e| e.into_inner()).to_ack();
        let body = BoardStatus {
            player_version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_s: self.started.elapsed().as_secs(),
            interval_s: self.cfg.heartbeat_seconds.max(1),
            show_version: st.show_version,
            show_since: st.show_since,
            pending_version: (pending > st.show_version).then_some(pending),
            layout: st.layout.clone(),
            zones: st.zones.clone(),
            fps: st.fps,
            dropped_frames: st.dropped_frames,
            disk_free_bytes: disk_free(self.cache.dir()),
            display_on: st.display_on,
            brightness: st.brightness,
            errors,
            alert_media: link
                .cache
                .alerts(&link.key, &link.board_id)
                .map(|(_, set)| {
                    set.media()
                        .into_iter()
                        .filter(|m| link.cache.has(m))
                        .map(|m| m.sha256)
                        .collect()
                })
                .unwrap_or_default(),
            commands_done: Some(acks.clone()),
            alerts_version: Some(link.alerts_installed.load(Ordering::Relaxed)).filter(|v| *v > 0),
        };
        let r = link
            .auth(link.http.post(link.url("/api/v1/board/heartbeat")))
            .timeout(Duration::from_secs(10))
            .json(&body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                // Sent: these errors are reported.
                self.report
                    .status
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .errors
                    .clear();
                link.errors.lock().unwrap_or_else(|e| e.into_inner()).clear();
                link.received.lock().unwrap_or_else(|e| e.into_inner()).acked(&acks);
                if let Ok(reply) = r.json::<HeartbeatReply>().await {
                    announce(link, reply.show_version);
                    for c in reply.commands {
                        command(link, c);
                    }
                }
                true
            }
            Ok(r) => {
                tracing::warn!("nhịp tim bị từ chối: {} (heartbeat refused)", r.status());
                false
            }
            Err(e) => {
                tracing::debug!("không gửi được nhịp tim: {e} (heartbeat failed)");
                false
            }
        }
    }
}
