//! Heartbeats: what the screen shows, the board's health and errors go up;
//! the reply brings the newest show version and the manager's commands.

use super::commands::command;
use super::sync::announce;
use super::{Agent, Link};
use crate::board::cache::disk_free;
use bangtin_layouts::wire::{BoardStatus, CLOCK_SKEW_WARN_S, HeartbeatReply, clock_skew_s, clock_skew_warning};
use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// While the board's clock stays off, the warning is logged again this often.
const CLOCK_WARN_EVERY: Duration = Duration::from_secs(3600);

/// Compare our clock with the manager's answer to a beat sent at `sent`
/// and answered by `received` (ours): the manager's stamp falls between
/// the two, best guessed at the middle. Far off, the board says so in its
/// log (on screen-side logs: journald) when it happens and every hour
/// while it lasts, and once when the clock is right again; the manager
/// sees the same from the beat's own stamp.
fn check_clock(link: &Link, sent: DateTime<Utc>, received: DateTime<Utc>, theirs: DateTime<Utc>) {
    let middle = sent + (received - sent) / 2;
    let skew = clock_skew_s(middle, theirs);
    let mut warned = link.clock_warned.lock().unwrap_or_else(|e| e.into_inner());
    match clock_note(skew, &mut warned, Instant::now()) {
        Some((true, m)) => tracing::warn!("{m}"),
        Some((false, m)) => tracing::info!("{m}"),
        None => {}
    }
}

/// What to log for a clock `skew` seconds off, given when the warning was
/// last logged (updated): (is a warning, message), or nothing.
fn clock_note(skew: f64, warned: &mut Option<Instant>, now: Instant) -> Option<(bool, String)> {
    match clock_skew_warning(skew) {
        Some(w) if warned.is_none_or(|t| now.duration_since(t) >= CLOCK_WARN_EVERY) => {
            *warned = Some(now);
            Some((true, w))
        }
        Some(_) => None,
        None if warned.is_some() => {
            *warned = None;
            Some((
                false,
                format!(
                    "đồng hồ bảng tin đã khớp máy chủ quản lý (lệch {skew:+.1} s, dưới {CLOCK_SKEW_WARN_S} s) \
                     (board clock right again)"
                ),
            ))
        }
        None => None,
    }
}

impl Agent {
    /// Send one heartbeat; true when it went through.
    pub(super) async fn beat(&self, link: &Link) -> bool {
        let st = self.report.status.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut errors = link.standing.clone();
        errors.extend(st.errors.iter().cloned());
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
            clock: Some(Utc::now()),
        };
        let sent = Utc::now();
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
                    if let Some(theirs) = reply.manager_time {
                        check_clock(link, sent, Utc::now(), theirs);
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_off_is_warned_of_hourly_and_its_return_once() {
        let t0 = Instant::now();
        let mut warned = None;
        // Within the threshold: nothing.
        assert_eq!(clock_note(12.0, &mut warned, t0), None);
        // Off: warned at once, then not again within the hour.
        let (warn, m) = clock_note(-300.0, &mut warned, t0).unwrap();
        assert!(warn && m.starts_with("Đồng hồ bảng tin chậm 5 phút 0 giây"), "{m}");
        assert_eq!(clock_note(-301.0, &mut warned, t0 + Duration::from_secs(600)), None);
        assert!(clock_note(-302.0, &mut warned, t0 + CLOCK_WARN_EVERY).is_some_and(|(w, _)| w));
        // Right again: said once.
        let (warn, m) = clock_note(0.4, &mut warned, t0 + CLOCK_WARN_EVERY).unwrap();
        assert!(!warn && m.contains("đã khớp"), "{m}");
        assert_eq!(clock_note(0.2, &mut warned, t0 + CLOCK_WARN_EVERY), None);
    }
}
