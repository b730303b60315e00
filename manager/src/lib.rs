//! Bangtin's manager: the server commune officers and provincial operators
//! use. axum on tokio, state in sled behind a storage trait; layouts are
//! validated with exactly the rules of the player (`bangtin-layouts`).

// utoipa and axum derive macros expand to fully qualified paths.
#![allow(unused_qualifications)]

pub mod accounts;
pub mod alerting;
pub mod api;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bulletin;
pub mod cap;
pub mod config;
pub mod control;
pub mod error;
pub mod feeds;
pub mod fetch;
pub mod freeze;
pub mod ingest;
pub mod interpret;
pub mod journal;
pub mod live;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod notices;
pub mod overview;
pub mod patterns;
pub mod pg;
pub mod pgtls;
pub mod playlog;
pub mod records;
pub mod reporting;
pub mod shared;
pub mod shows;
pub mod sources;
pub mod speakers;
pub mod state;
pub mod store;
#[cfg(test)]
mod testutil;
pub mod upgrade;
pub mod watch;
pub mod web;

pub use api::app;
pub use config::Config;
pub use state::AppState;

use std::net::SocketAddr;
use std::sync::Arc;

/// Run the task `make` gives while `leader` says this manager leads (None:
/// always); a manager that stops leading drops it, and makes a new one
/// when it leads again.
async fn while_leading<F, Fut>(leader: Option<tokio::sync::watch::Receiver<bool>>, what: &'static str, make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(mut leader) = leader else {
        return make().await;
    };
    loop {
        while !*leader.borrow_and_update() {
            if leader.changed().await.is_err() {
                return;
            }
        }
        tracing::info!("bắt đầu {what} (this manager leads: {what} starts here)");
        let lost = async {
            loop {
                if leader.changed().await.is_err() || !*leader.borrow() {
                    return;
                }
            }
        };
        tokio::select! {
            () = make() => return,
            () = lost => tracing::warn!("dừng {what}: máy khác điều phối (another manager leads: {what} stops here)"),
        }
    }
}

/// Cached copies of deleted files are swept hourly once this old: an
/// upload writes its file here before its blob is in the database.
const CACHE_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Serve `state` on `listener` until `shutdown` completes; in-flight
/// requests finish first (boards' event streams are closed at once) and the
/// store is flushed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = match state.cfg.metrics_listen {
        Some(addr) => {
            api::metrics::check_listen(&state.cfg)?;
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("không mở được cổng số liệu {addr} (cannot listen for metrics): {e}"))?;
            tracing::info!("số liệu Prometheus (metrics) tại http://{}/metrics", l.local_addr()?);
            let app = api::metrics::router(state.shared.clone());
            Some(tokio::spawn(async move { axum::serve(l, app).await }))
        }
        None => None,
    };
    let s2 = state.clone();
    let janitor = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        let mut minutes = 0u64;
        loop {
            tick.tick().await;
            minutes += 1;
            if s2.pg.is_some() && minutes.is_multiple_of(60) {
                // Copies of files deleted through another manager.
                let s = s2.clone();
                let swept = tokio::task::spawn_blocking(move || s.sweep_caches(CACHE_MIN_AGE)).await;
                match swept {
                    Ok(Ok(n)) if n > 0 => tracing::info!("đã xóa {n} bản sao tệp đã bị xóa (cached copies swept)"),
                    Ok(Err(e)) => tracing::warn!("không dọn được bản sao tệp (cache sweep failed): {e}"),
                    _ => {}
                }
            }
            // The limiters hold a key per board: tens of thousands to walk,
            // not on an async worker.
            let s = s2.clone();
            let t = std::time::Instant::now();
            let _ = tokio::task::spawn_blocking(move || s.limits.shrink()).await;
            tracing::debug!(target: "bangtin_manager::janitor", "limits shrunk in {:?}", t.elapsed());
            let s = s2.clone();
            let pruned =
                tokio::task::spawn_blocking(move || sources::prune_nonces(&*s.store, chrono::Utc::now())).await;
            if let Ok(Err(e)) = pruned {
                tracing::warn!("không dọn được nonce cũ: {e} (nonce pruning failed)");
            }
            let s = s2.clone();
            let pruned =
                tokio::task::spawn_blocking(move || accounts::prune_sessions(&*s.store, chrono::Utc::now())).await;
            if let Ok(Err(e)) = pruned {
                tracing::warn!("không dọn được phiên hết hạn: {e} (session pruning failed)");
            }
        }
    });
    let live = tokio::spawn(live::run(
        state.store.clone(),
        state.live.clone(),
        state.cfg.heartbeat_days,
    ));
    // Work done once for everyone — loudspeakers, officers' alerts, polling
    // feeds, reports, alert sets coming into force — runs where this
    // manager leads: always alone on sled, on one of the managers sharing
    // PostgreSQL (and another within seconds when it goes).
    let leader = state.cluster.as_ref().map(pg::Cluster::leader);
    let sh = &state.shared;
    let feeds = tokio::spawn(while_leading(leader.clone(), "feeds", {
        let s = sh.clone();
        move || feeds::run(s.clone())
    }));
    let reports = tokio::spawn(while_leading(leader.clone(), "reports", {
        let s = sh.clone();
        move || reporting::run(s.clone())
    }));
    let speakers = tokio::spawn(while_leading(leader.clone(), "speakers", {
        let (s, sp) = (sh.clone(), state.speakers.clone());
        move || speakers::run(s.clone(), sp.clone())
    }));
    let alerts = tokio::spawn(while_leading(leader.clone(), "alerts", {
        let s = sh.clone();
        move || alerting::run(s.clone())
    }));
    let watcher = tokio::spawn(while_leading(leader, "watch", {
        let s = sh.clone();
        move || watch::run(s.clone())
    }));
    // Local backups without a password (`bangtin-manager backup`, the
    // daily timer): see `control`.
    let control = control::listen(state.clone());
    let s3 = state.clone();
    let shutdown = async move {
        shutdown.await;
        // Event streams never end by themselves; graceful shutdown waits
        // for every response to finish.
        s3.live.shut_down();
    };
    let app = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let r = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    state.live.shut_down();
    janitor.abort();
    feeds.abort();
    reports.abort();
    speakers.abort();
    alerts.abort();
    watcher.abort();
    if let Some((task, path)) = &control {
        task.abort();
        let _ = std::fs::remove_file(path);
    }
    if let Some(m) = &metrics {
        m.abort();
    }
    // Wait for the tasks to drop their handles on the state, so the store
    // is closed (and its lock released) when this returns.
    let _ = janitor.await;
    let _ = feeds.await;
    let _ = reports.await;
    let _ = speakers.await;
    let _ = alerts.await;
    let _ = watcher.await;
    if let Some((task, _)) = control {
        let _ = task.await;
    }
    let _ = live.await;
    state.store.flush()?;
    Ok(r?)
}
