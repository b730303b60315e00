//! The manager's event stream (Server-Sent Events): pushes of new shows,
//! alert sets and commands arrive the moment the manager sends them.

use super::alerts::announce_alerts;
use super::commands::command;
use super::sync::announce;
use super::{Link, backoff, client};
use bangtin_layouts::wire::Push;
use std::sync::Arc;
use std::time::Duration;

/// The long-lived event stream: pushes arrive the moment the manager
/// sends them. Reconnects with backoff; the heartbeat is the fallback.
pub(super) async fn events_task(link: Arc<Link>) {
    let http = client(None);
    let mut attempt = 0u32;
    loop {
        let r = link
            .auth(http.get(link.url("/api/v1/board/events")))
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await;
        match r {
            Ok(mut resp) if resp.status().is_success() => {
                tracing::info!("đã nối kênh đẩy của máy chủ (event stream connected)");
                attempt = 0;
                // Back online: alerts issued meanwhile show at once.
                link.alerts_now.notify_one();
                let mut buf = Vec::new();
                // No data (not even a keep-alive comment) for this long: reconnect.
                let idle = Duration::from_secs(45);
                while let Ok(Ok(Some(bytes))) = tokio::time::timeout(idle, resp.chunk()).await {
                    buf.extend_from_slice(&bytes);
                    while let Some(pos) = find_event_end(&buf) {
                        let ev: Vec<u8> = buf.drain(..pos).collect();
                        handle_event(&link, &String::from_utf8_lossy(&ev));
                    }
                    if buf.len() > 1 << 20 {
                        buf.clear();
                    }
                }
                tracing::info!("mất kênh đẩy, sẽ nối lại (event stream lost)");
            }
            Ok(resp) => tracing::warn!("kênh đẩy bị từ chối: {} (event stream refused)", resp.status()),
            Err(e) => tracing::debug!("không nối được kênh đẩy: {e}"),
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// End (exclusive, including the blank line) of the first complete SSE event.
fn find_event_end(buf: &[u8]) -> Option<usize> {
    let s = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let c = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    match (s, c) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn handle_event(link: &Link, ev: &str) {
    let data: String = ev
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect::<Vec<_>>()
        .join("\n");
    if data.is_empty() {
        return;
    }
    match serde_json::from_str::<Push>(&data) {
        Ok(Push::Show { version }) => announce(link, version),
        Ok(Push::Command(c)) => command(link, c),
        Ok(Push::Alerts { version }) => announce_alerts(link, version),
        Err(e) => tracing::debug!("bỏ qua sự kiện không hiểu: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_on_blank_lines() {
        let b = b"data: {\"type\":\"show\",\"version\":3}\n\n: keep-alive\n\ndata: x";
        let e = find_event_end(b).unwrap();
        assert_eq!(&b[..e], b"data: {\"type\":\"show\",\"version\":3}\n\n");
        assert!(find_event_end(b"data: partial").is_none());
        assert!(backoff(0) >= Duration::from_secs(1) && backoff(20) <= Duration::from_secs(61));
    }
}
