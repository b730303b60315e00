//! `GET /api/v1/health`: whether this manager can serve, for load
//! balancers (haproxy's `option httpchk`) and monitoring. It reads one
//! record from the store, so a manager that lost its database answers 503
//! and the balancer sends boards to another. It says nothing about
//! boards, units or officers: no credential is needed.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the store does not answer.
    pub status: String,
    /// `sled` (one machine) or `postgres` (shared by several managers).
    pub store: String,
    /// On a shared store: whether this manager runs the background work
    /// (loudspeakers, feeds, reports, officers' alerts). Always true on sled.
    pub leader: bool,
}

/// Whether this manager can serve: 200 when its store answers, 503 when not.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(s): State<Arc<AppState>>) -> (StatusCode, Json<Health>) {
    let shared = s.shared.clone();
    let answers = tokio::task::spawn_blocking(move || shared.store.get(crate::shared::CLUSTER_KEY).is_ok())
        .await
        .unwrap_or(false);
    let leader = s.cluster.as_ref().is_none_or(|c| *c.leader().borrow());
    let store = if s.pg.is_some() { "postgres" } else { "sled" };
    let (code, status) = if answers {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (
        code,
        Json(Health {
            status: status.into(),
            store: store.into(),
            leader,
        }),
    )
}
