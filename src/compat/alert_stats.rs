//! `GET /alert/retrieveAlertStats`: alerts received in the last 24 hours, hour, 5 minutes and
//! minute (open-ended: future-dated alerts count).

use super::cache::{Legacy, OrAnswer};
use super::params::DomainParams;
use super::response::json;
use super::windows;
use crate::app::AppState;
use crate::domain::{AlertFilter, TimeField, TimeRange};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::future::try_join_all;
use serde_json::{Map, Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(13);
const RANGES: [(&str, u64); 4] = [
    ("AlertsLast24Hours", 1440),
    ("AlertsLastHour", 60),
    ("AlertsLast5Minutes", 5),
    ("AlertsLastMinute", 1),
];

/// `GET /alert/retrieveAlertStats`.
pub async fn alert_stats(State(state): State<AppState>, request: Legacy<DomainParams>) -> Response {
    let domain = request.params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let now = state.clock.now();
            let counts = try_join_all(RANGES.iter().map(|(_, minutes)| {
                let since = windows::minutes_ago(now, *minutes).unwrap_or(now);
                let filter = AlertFilter::domain(domain)
                    .within(TimeField::Received, TimeRange::since(since));
                let query_layer = &state.query;
                async move { query_layer.count(&filter).await }
            }))
            .await
            .or_answer(|| json(&json!({})))?;
            let out: Map<String, Value> = RANGES
                .iter()
                .zip(counts)
                .map(|((name, _), count)| ((*name).to_owned(), json!(count)))
                .collect();
            Ok(json(&Value::Object(out)))
        })
        .await
        .into_response()
}
