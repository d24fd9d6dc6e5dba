//! `GET /heartbeat` (`I'm alive` or 401) and `GET /alert/heartbeat` (decision 1: `me`, `e`,
//! `m` or `flatline`, always 200).

use super::response::{error_page, plain};
use crate::app::AppState;
use crate::domain::ServiceHealth;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /heartbeat`: alive only while the store answers and accepts writes.
pub async fn heartbeat(State(state): State<AppState>) -> Response {
    if ingest_healthy(&state) && state.query.health().await {
        plain("I'm alive").into_response()
    } else {
        error_page(StatusCode::UNAUTHORIZED)
    }
}

/// `GET /alert/heartbeat`.
pub async fn alert_heartbeat(State(state): State<AppState>) -> Response {
    let health = ServiceHealth {
        store_up: state.query.health().await,
        ingest_up: ingest_healthy(&state),
    };
    plain(health.token()).into_response()
}

/// The ingest pipeline: the batching writer runs, its backlog is under its limit, and the
/// store accepted the latest write or write probe.
fn ingest_healthy(state: &AppState) -> bool {
    state.writer.is_healthy()
}
