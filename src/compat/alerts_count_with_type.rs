//! `GET /alert/retrieveAlertsCountWithType`: the total and the ten most frequent honeypot
//! types in the `time` window.

use super::alerts_count::window_start;
use super::cache::{Legacy, OrAnswer, route_params};
use super::params::{Domain, Param};
use super::response::{json, plain};
use crate::app::AppState;
use crate::domain::{AlertFilter, TermField, TimeField, TimeRange};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(13);
/// Elasticsearch's default terms size, which the dashboard numbers depend on.
pub const TYPES: usize = 10;

route_params! {
    /// What `retrieveAlertsCountWithType` reads.
    pub struct CountWithTypeParams {
        /// The data domain.
        ci: Domain = "ci",
        /// `day` or minutes.
        time: Param = "time",
    }
}

/// `GET /alert/retrieveAlertsCountWithType`.
pub async fn alerts_count_with_type(
    State(state): State<AppState>,
    request: Legacy<CountWithTypeParams>,
) -> Response {
    let params = &request.params;
    let domain = params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let Some(time) = params.time.non_empty() else {
                return Ok(plain(&state.settings.default_response));
            };
            let Some(since) = window_start(state.clock.now(), time) else {
                return Ok(json(&json!({})));
            };
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let failed = || json(&json!({}));
            let total = state.query.count(&filter).await.or_answer(failed)?;
            let types = state
                .query
                .terms(&filter, TermField::PeerType, TYPES)
                .await
                .or_answer(failed)?;
            let per_type: Map<String, Value> =
                types.into_iter().map(|t| (t.key, json!(t.count))).collect();
            Ok(json(
                &json!({ "AlertCountPerType": per_type, "AlertCountTotal": total }),
            ))
        })
        .await
        .into_response()
}
