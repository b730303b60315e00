//! Offline boards are noticed: each unit has a threshold (how long a
//! board may be silent before it counts as a problem) and, optionally, a
//! webhook the manager calls when one of its boards passes the threshold
//! and again when it comes back. The dashboard lists the boards past their
//! threshold. Settings live at `watch/{unit}`; what was told, per board, at
//! `watched/{board}`, so a restart neither repeats nor forgets a call.

use crate::live::LastBeat;
use crate::model::{Board, Unit, key};
use crate::shared::Shared;
use crate::store::{Op, StoreExt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// A unit's watch settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchSettings {
    /// Seconds a board may be offline before it is listed and the webhook
    /// is called (60–86400, or from `min_offline_alert_s` where a
    /// configuration lowers it; default 900).
    #[serde(default = "default_after")]
    #[schema(minimum = 60, maximum = 86400)]
    pub offline_after_s: u32,
    /// Called with a JSON `POST` (`board.offline`, `board.online`); http or
    /// https, no credentials in it. None or `""`: no call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::patterns::url_optional_or_empty)]
    pub webhook_url: Option<String>,
}

fn default_after() -> u32 {
    900
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            offline_after_s: default_after(),
            webhook_url: None,
        }
    }
}

/// Largest threshold, seconds (a day).
pub const MAX_AFTER_S: u32 = 86_400;

fn watch_key(unit: &str) -> String {
    format!("watch/{unit}")
}

fn told_key(board: &str) -> String {
    format!("watched/{board}")
}

/// A unit's settings (defaults when never set).
pub fn settings(s: &Shared, unit: &str) -> crate::store::Result<WatchSettings> {
    Ok(s.store.get_json(&watch_key(unit))?.unwrap_or_default())
}

/// Check settings; (field, message) of the first problem.
pub fn check(w: &WatchSettings, min_after_s: u32) -> Result<WatchSettings, (&'static str, String)> {
    if !(min_after_s..=MAX_AFTER_S).contains(&w.offline_after_s) {
        return Err((
            "offline_after_s",
            format!(
                "ngưỡng mất kết nối từ {min_after_s} đến {MAX_AFTER_S} giây (threshold {min_after_s}–{MAX_AFTER_S} s)"
            ),
        ));
    }
    let url = match w.webhook_url.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => Some(crate::reporting::check_report_url(u).map_err(|e| ("webhook_url", e.reason))?),
        None => None,
    };
    Ok(WatchSettings {
        offline_after_s: w.offline_after_s,
        webhook_url: url,
    })
}

/// The write that stores a unit's settings.
pub fn put(unit: &str, w: &WatchSettings) -> Op {
    Op::put(watch_key(unit), w)
}

/// A board past its unit's threshold: (board, name, unit, last heard).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LongOffline {
    pub board: String,
    pub name: String,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
}

/// Boards `visible` allows that are silent longer than their unit's
/// threshold, the longest silent first.
pub fn long_offline(
    s: &Shared,
    visible: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> crate::store::Result<Vec<LongOffline>> {
    let boards: Vec<Board> = s.store.scan_json("board/")?;
    let mut thresholds = std::collections::HashMap::new();
    let mut out = Vec::new();
    for b in boards.into_iter().filter(|b| !b.disabled && visible(&b.unit)) {
        let beat = s.live.get(&b.id);
        if beat.is_some_and(|x| x.online) {
            continue;
        }
        let after = match thresholds.get(&b.unit) {
            Some(a) => *a,
            None => {
                let a = settings(s, &b.unit)?.offline_after_s;
                thresholds.insert(b.unit.clone(), a);
                a
            }
        };
        // Never heard of since it was claimed: silent since the claim.
        let since = beat.map(|x| x.last).unwrap_or(b.claimed_at);
        if (now - since).num_seconds() >= i64::from(after) {
            out.push(LongOffline {
                board: b.id,
                name: b.name,
                unit: b.unit,
                last_seen: beat.map(|x| x.last),
            });
        }
    }
    out.sort_by_key(|x| x.last_seen);
    Ok(out)
}

/// What the webhook receives.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEvent {
    /// "board.offline" or "board.online".
    pub event: String,
    pub board: String,
    pub name: String,
    pub unit: String,
    pub unit_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    /// In Vietnamese, ready to forward to a chat or SMS gateway.
    pub message: String,
}

/// What was last told about a board.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Told {
    offline: bool,
    at: DateTime<Utc>,
}

/// The calls due now: boards past the threshold not yet told, boards
/// back after being told offline. Blocking.
fn due(s: &Shared, now: DateTime<Utc>) -> crate::store::Result<Vec<(String, WebhookEvent)>> {
    let boards: Vec<Board> = s.store.scan_json("board/")?;
    let units: Vec<Unit> = s.store.scan_json("unit/")?;
    let long: Vec<String> = long_offline(s, |_| true, now)?.into_iter().map(|l| l.board).collect();
    let mut out = Vec::new();
    for b in boards.iter().filter(|b| !b.disabled) {
        let w = settings(s, &b.unit)?;
        let Some(url) = w.webhook_url else { continue };
        let told: Option<Told> = s.store.get_json(&told_key(&b.id))?;
        let was_offline = told.as_ref().is_some_and(|t| t.offline);
        let is_long = long.contains(&b.id);
        let online = s.live.get(&b.id).is_some_and(|x| x.online);
        let event = if is_long && !was_offline {
            "board.offline"
        } else if online && was_offline {
            "board.online"
        } else {
            continue;
        };
        let unit_name = units
            .iter()
            .find(|u| u.code == b.unit)
            .map_or_else(|| b.unit.clone(), |u| u.name.clone());
        let last_seen = s.live.get(&b.id).map(|x| x.last).or_else(|| {
            s.store
                .get_json::<LastBeat>(&key::heartbeat(&b.id))
                .ok()
                .flatten()
                .map(|l| l.at)
        });
        let message = if event == "board.offline" {
            format!("Bảng tin «{}» ({unit_name}) mất kết nối.", b.name)
        } else {
            format!("Bảng tin «{}» ({unit_name}) đã kết nối lại.", b.name)
        };
        out.push((
            url,
            WebhookEvent {
                event: event.into(),
                board: b.id.clone(),
                name: b.name.clone(),
                unit: b.unit.clone(),
                unit_name,
                last_seen,
                at: now,
                message,
            },
        ));
    }
    Ok(out)
}

/// Every 15 s: call the webhooks that are due. A call that fails is tried
/// again at the next round (nothing is marked told until the receiver
/// answers 2xx).
pub async fn run(s: Arc<Shared>) {
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("không tạo được HTTP client cho webhook: {e} (offline webhooks disabled)");
            return;
        }
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(s.cfg.watch_every_s.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s2 = s.clone();
        let calls = match tokio::task::spawn_blocking(move || due(&s2, Utc::now())).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::warn!("không đọc được trạng thái bảng tin cho webhook: {e}");
                continue;
            }
            Err(_) => continue,
        };
        for (url, ev) in calls {
            let ok = http
                .post(&url)
                .json(&ev)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if !ok {
                tracing::warn!(board = %ev.board, event = %ev.event, "webhook không trả lời 2xx; thử lại sau (webhook failed, will retry)");
                continue;
            }
            let told = Told {
                offline: ev.event == "board.offline",
                at: ev.at,
            };
            if let Err(e) = s.commit(vec![Op::put(told_key(&ev.board), &told)]).await {
                tracing::warn!("không ghi được trạng thái webhook: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let ok = WatchSettings {
            offline_after_s: 600,
            webhook_url: Some("http://127.0.0.1:9/hook".into()),
        };
        assert_eq!(
            check(&ok, 60).unwrap().webhook_url.as_deref(),
            Some("http://127.0.0.1:9/hook")
        );
        // Taken as sent, as the OpenAPI document states it (the web UI
        // trims its form field itself).
        let spaced = WatchSettings {
            webhook_url: Some(" http://127.0.0.1:9/hook ".into()),
            ..ok.clone()
        };
        assert_eq!(check(&spaced, 60).unwrap_err().0, "webhook_url");
        let short = WatchSettings {
            offline_after_s: 5,
            ..ok.clone()
        };
        assert_eq!(check(&short, 60).unwrap_err().0, "offline_after_s");
        let creds = WatchSettings {
            webhook_url: Some("http://a:b@127.0.0.1/".into()),
            ..ok.clone()
        };
        assert_eq!(check(&creds, 60).unwrap_err().0, "webhook_url");
        let none = WatchSettings {
            webhook_url: Some(String::new()),
            ..ok
        };
        assert_eq!(check(&none, 60).unwrap().webhook_url, None);
    }
}
