//! `GET /alert/retrieveAlertsCountWithType`: the total and the ten most frequent honeypot
//! types in the `time` window.

use super::alerts_count::window_start;
use super::cache_key;
use super::params::Params;
use super::response::{json, plain};
use crate::app::AppState;
use crate::domain::{AlertFilter, TermField, TimeField, TimeRange};
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(13);
/// Elasticsearch's default terms size, which the dashboard numbers depend on.
pub const TYPES: usize = 10;

/// `GET /alert/retrieveAlertsCountWithType`.
pub async fn alerts_count_with_type(State(state): State<AppState>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let domain = params.domain();
    let key = cache_key(&uri, &["time"], Some(domain), None);
    state
        .query
        .cached(key, Some(TTL), async {
            let Some(time) = params.non_empty("time") else {
                return Ok(plain(&state.settings.default_response));
            };
            let Some(since) = window_start(state.clock.now(), time) else {
                return Ok(json(&json!({})));
            };
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let total = state.query.count(&filter).await;
            let types = state.query.terms(&filter, TermField::PeerType, TYPES).await;
            let (Ok(total), Ok(types)) = (total, types) else {
                return Err(json(&json!({})));
            };
            let per_type: Map<String, Value> =
                types.into_iter().map(|t| (t.key, json!(t.count))).collect();
            Ok(json(
                &json!({ "AlertCountPerType": per_type, "AlertCountTotal": total }),
            ))
        })
        .await
        .into_response()
}
