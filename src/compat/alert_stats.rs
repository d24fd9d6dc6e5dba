//! `GET /alert/retrieveAlertStats`: alerts received in the last 24 hours, hour, 5 minutes and
//! minute (open-ended: future-dated alerts count).

use super::cache_key;
use super::params::Params;
use super::response::json;
use crate::app::AppState;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(13);

/// `GET /alert/retrieveAlertStats`.
pub async fn alert_stats(State(state): State<AppState>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let domain = params.domain();
    let key = cache_key(&uri, &[], Some(domain), None);
    state
        .query
        .cached(key, Some(TTL), async {
            let stats = state
                .query
                .alert_stats(domain, state.clock.now())
                .await
                .map_err(|_| json(&json!({})))?;
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
