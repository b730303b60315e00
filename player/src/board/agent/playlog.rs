//! Play log upload: proof of play goes to the manager in batches, each
//! acknowledged batch leaves the board's log; a 429 pauses uploads.

use super::{Agent, Link};
use bangtin_layouts::wire::{MAX_PLAYLOG_BATCH, PlaylogAck, PlaylogBatch};
use reqwest::StatusCode;
use std::time::Duration;

impl Agent {
    pub(super) async fn upload_playlog(&self, link: &Link) {
        let after = *link.playlog_after.lock().unwrap_or_else(|e| e.into_inner());
        if after.is_some_and(|t| tokio::time::Instant::now() < t) {
            // Told to slow down: the events wait (they are kept on disk).
            return;
        }
        tracing::debug!("agent: play log upload");
        for _ in 0..100 {
            let batch = self
                .playlog
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pending(MAX_PLAYLOG_BATCH);
            let Some(last) = batch.last().map(|e| e.seq) else {
                return;
            };
            let r = link
                .auth(link.http.post(link.url("/api/v1/board/playlog")))
                .json(&PlaylogBatch { events: batch })
                .send()
                .await;
            tracing::debug!(
                "agent: play log upload up to {last}: {:?}",
                r.as_ref().map(|r| r.status())
            );
            match r {
                Ok(r) if r.status().is_success() => {
                    if let Ok(ack) = r.json::<PlaylogAck>().await {
                        let upto = ack.last_seq.min(last);
                        let res = self.playlog.lock().unwrap_or_else(|e| e.into_inner()).acknowledge(upto);
                        if let Err(e) = res {
                            link.error(format!("{e:#}"));
                            return;
                        }
                    } else {
                        return;
                    }
                }
                Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                    // Honour Retry-After, so uploads never crowd out the
                    // requests that matter more (alerts, heartbeats).
                    let wait = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .unwrap_or(30)
                        .clamp(1, 600);
                    tracing::debug!("agent: play log upload paused {wait} s (429)");
                    *link.playlog_after.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(tokio::time::Instant::now() + Duration::from_secs(wait));
                    return;
                }
                Ok(r) => {
                    tracing::warn!("nhật ký phát bị từ chối: {} (play log refused)", r.status());
                    return;
                }
                Err(_) => return,
            }
        }
    }
}
