//! `GET /alert/retrieveAlertStats`: alerts received in the last 24 hours, hour, 5 minutes and
//! minute (open-ended: future-dated alerts count).

use super::cache::{Legacy, OrAnswer};
use super::params::DomainParams;
use super::response::json;
use crate::app::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(13);

/// `GET /alert/retrieveAlertStats`.
pub async fn alert_stats(State(state): State<AppState>, request: Legacy<DomainParams>) -> Response {
    let domain = request.params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let stats = state
                .query
                .alert_stats(domain, state.clock.now())
                .await
                .or_answer(|| json(&json!({})))?;
            Ok(json(&json!({
                "AlertsLast24Hours": stats.last_24_hours,
                "AlertsLastHour": stats.last_hour,
                "AlertsLast5Minutes": stats.last_5_minutes,
                "AlertsLastMinute": stats.last_minute,
            })))
        })
        .await
        .into_response()
}
