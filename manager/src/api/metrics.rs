//! `GET /metrics` for Prometheus, on a listener of its own
//! (`metrics_listen`), and the middleware that counts every request of the
//! main listener by route pattern.
//!
//! Besides the counters of [`crate::metrics::Metrics`], each scrape reads
//! the state: boards by commune and state (online, offline, never seen),
//! the boards' own figures from their last heartbeats per commune, alert
//! sets online boards have not taken yet, event streams and pushes, and
//! the size of the store.

use crate::alerting;
use crate::journal::dir_bytes;
use crate::live::LastBeat;
use crate::model::Board;
use crate::shared::Shared;
use crate::state::AppState;
use crate::store::StoreExt;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

/// Count and time a request of the main listener.
pub async fn track(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_string();
    let method = req.method().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    s.metrics
        .request(&route, &method, resp.status().as_u16(), t.elapsed().as_secs_f64());
    resp
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UnitState {
    unit: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Unit {
    unit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Part {
    part: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

/// One commune's boards, as the scrape adds them up.
#[derive(Default)]
struct Commune {
    states: BTreeMap<&'static str, i64>,
    fps_sum: f64,
    fps_n: u32,
    dropped: i64,
    with_errors: i64,
    clock_off: i64,
    disk_free_min: Option<i64>,
    pending: i64,
    pending_oldest_s: i64,
}

fn gauge<L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static>(
    r: &mut Registry,
    name: &str,
    help: &str,
) -> Family<L, Gauge> {
    let f = Family::<L, Gauge>::default();
    r.register(name, help, f.clone());
    f
}

fn unit(u: &str) -> Unit {
    Unit { unit: u.to_string() }
}

/// The metrics, in Prometheus' text format (OpenMetrics). Blocking.
pub fn render(s: &Shared, now: DateTime<Utc>) -> crate::store::Result<String> {
    let mut r = Registry::default();
    s.metrics.register(&mut r);
    let boards_g = gauge::<UnitState>(
        &mut r,
        "bangtin_boards",
        "Boards by commune and state: online, offline, never (claimed, no heartbeat since this start)",
    );
    let fps_g = Family::<Unit, Gauge<f64, AtomicU64>>::default();
    r.register(
        "bangtin_board_fps",
        "Mean frames per second the commune's online boards report",
        fps_g.clone(),
    );
    let dropped_g = gauge::<Unit>(
        &mut r,
        "bangtin_board_dropped_frames",
        "Frames the commune's boards dropped, as their last heartbeats report (since each one started)",
    );
    let errors_g = gauge::<Unit>(
        &mut r,
        "bangtin_boards_with_errors",
        "The commune's boards whose last heartbeat reports an error",
    );
    let clock_g = gauge::<Unit>(
        &mut r,
        "bangtin_boards_clock_off",
        "The commune's online boards whose clock was more than 30 s off the manager's at their last heartbeat",
    );
    let disk_g = gauge::<Unit>(
        &mut r,
        "bangtin_board_disk_free_min_bytes",
        "Least free disk among the commune's boards",
    );
    let pending_g = gauge::<Unit>(
        &mut r,
        "bangtin_alert_sets_pending",
        "Online boards that have not taken their newest alert set yet",
    );
    let oldest_g = gauge::<Unit>(
        &mut r,
        "bangtin_alert_set_pending_oldest_seconds",
        "Age of the oldest alert set an online board of the commune has not taken",
    );
    let streams_g = gauge::<Part>(
        &mut r,
        "bangtin_event_streams",
        "Event streams open (part=streams) and boards holding one (part=boards)",
    );
    let pushes_g = Family::<Outcome, prometheus_client::metrics::counter::Counter>::default();
    r.register(
        "bangtin_pushes",
        "Pushes to boards' event streams: taken by an open stream, or missed (the board learns at its next heartbeat)",
        pushes_g.clone(),
    );
    let store_g = gauge::<Part>(
        &mut r,
        "bangtin_store_bytes",
        "Bytes on disk: the key-value store (sled), the logs (journal: proof of play, heartbeat history), media",
    );

    let mut communes: BTreeMap<String, Commune> = BTreeMap::new();
    for b in s.store.scan_json::<Board>("board/")? {
        let c = communes.entry(b.unit.clone()).or_default();
        let beat = s.live.get(&b.id);
        let state = match beat {
            Some(x) if x.online => "online",
            Some(_) => "offline",
            None => "never",
        };
        *c.states.entry(state).or_default() += 1;
        let last: Option<LastBeat> = s.store.get_json(&crate::model::key::heartbeat(&b.id))?;
        let Some(last) = last else { continue };
        if state == "online"
            && last
                .clock_skew_s()
                .is_some_and(|k| k.abs() > bangtin_layouts::wire::CLOCK_SKEW_WARN_S)
        {
            c.clock_off += 1;
        }
        let st = &last.status;
        let num = |k: &str| st.get(k).and_then(serde_json::Value::as_f64);
        if state == "online"
            && let Some(fps) = num("fps")
        {
            c.fps_sum += fps;
            c.fps_n += 1;
        }
        c.dropped += num("dropped_frames").unwrap_or(0.0) as i64;
        if st
            .get("errors")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|e| !e.is_empty())
        {
            c.with_errors += 1;
        }
        if let Some(free) = num("disk_free_bytes") {
            let free = free as i64;
            c.disk_free_min = Some(c.disk_free_min.map_or(free, |m| m.min(free)));
        }
        if state == "online"
            && let Some(set) = alerting::stored(s, &b.id)?
        {
            let taken = st
                .get("alerts_version")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            if taken < set.version {
                c.pending += 1;
                let issued = serde_json::from_str::<serde_json::Value>(&set.payload)
                    .ok()
                    .and_then(|p| p.get("issued_at")?.as_str()?.parse::<DateTime<Utc>>().ok());
                if let Some(at) = issued {
                    c.pending_oldest_s = c.pending_oldest_s.max((now - at).num_seconds().max(0));
                }
            }
        }
    }
    for (code, c) in &communes {
        for state in ["online", "offline", "never"] {
            boards_g
                .get_or_create(&UnitState {
                    unit: code.clone(),
                    state: state.into(),
                })
                .set(c.states.get(state).copied().unwrap_or(0));
        }
        if c.fps_n > 0 {
            fps_g.get_or_create(&unit(code)).set(c.fps_sum / f64::from(c.fps_n));
        }
        dropped_g.get_or_create(&unit(code)).set(c.dropped);
        errors_g.get_or_create(&unit(code)).set(c.with_errors);
        clock_g.get_or_create(&unit(code)).set(c.clock_off);
        if let Some(m) = c.disk_free_min {
            disk_g.get_or_create(&unit(code)).set(m);
        }
        pending_g.get_or_create(&unit(code)).set(c.pending);
        oldest_g.get_or_create(&unit(code)).set(c.pending_oldest_s);
    }
    let (boards, streams, pushed, missed) = s.live.hub.counts();
    streams_g
        .get_or_create(&Part { part: "streams".into() })
        .set(streams as i64);
    streams_g
        .get_or_create(&Part { part: "boards".into() })
        .set(boards as i64);
    pushes_g
        .get_or_create(&Outcome {
            outcome: "taken".into(),
        })
        .inc_by(pushed);
    pushes_g
        .get_or_create(&Outcome {
            outcome: "missed".into(),
        })
        .inc_by(missed);
    let dir = &s.cfg.data_dir;
    for (part, bytes) in [
        ("sled", dir_bytes(&dir.join("db"))),
        // Thousands of files, walked once a scrape.
        ("journal", s.store.journal().size()),
        ("media", dir_bytes(&s.media_dir)),
    ] {
        store_g
            .get_or_create(&Part { part: part.into() })
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &r)
        .map_err(|e| crate::store::StoreError::Backend(e.to_string()))?;
    Ok(out)
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn metrics(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(token) = &s.cfg.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same(given.as_bytes(), token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "cần mã truy cập số liệu (metrics token required)\n",
            )
                .into_response();
        }
    }
    let s2 = s.clone();
    match tokio::task::spawn_blocking(move || render(&s2, Utc::now())).await {
        Ok(Ok(body)) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

/// The metrics listener's application: `GET /metrics` only.
pub fn router(s: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(s)
}

/// Refuse a metrics address any network can reach without a token, and a
/// token too short or not visible ASCII (it travels in a header).
pub fn check_listen(cfg: &crate::config::Config) -> anyhow::Result<()> {
    if let Some(t) = &cfg.metrics_token
        && (t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic()))
    {
        anyhow::bail!(
            "metrics_token phải dài ít nhất 16 ký tự ASCII nhìn thấy được (metrics_token must be at least 16 visible ASCII characters)"
        );
    }
    if let Some(a) = cfg.metrics_listen
        && !a.ip().is_loopback()
        && cfg.metrics_token.is_none()
    {
        anyhow::bail!(
            "metrics_listen = {a} không phải địa chỉ nội bộ: cần đặt metrics_token (a metrics address beyond loopback needs metrics_token)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metrics_address_beyond_loopback_needs_a_token() {
        let mut cfg = crate::config::Config {
            metrics_listen: Some("0.0.0.0:9464".parse().unwrap()),
            ..Default::default()
        };
        let e = check_listen(&cfg).unwrap_err().to_string();
        assert!(e.contains("metrics_token"), "{e}");
        cfg.metrics_token = Some("t".repeat(32));
        check_listen(&cfg).unwrap();
        for bad in ["ngắn", "mã-số-liệu-dài-đủ-16-ký-tự", "has spaces in it 0123"] {
            cfg.metrics_token = Some(bad.into());
            assert!(check_listen(&cfg).is_err(), "{bad}");
        }
        cfg.metrics_token = None;
        cfg.metrics_listen = Some("127.0.0.1:9464".parse().unwrap());
        check_listen(&cfg).unwrap();
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
