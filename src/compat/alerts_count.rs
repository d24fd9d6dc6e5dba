//! `GET /alert/retrieveAlertsCount`: number of alerts received since `now/d` (`time=day`) or
//! in the last `time` minutes.

use super::params::{Params, decimal};
use super::response::{json, plain, xml};
use super::xml::Node;
use super::{cache_key, windows};
use crate::app::AppState;
use crate::domain::{AlertFilter, TimeField, TimeRange, Timestamp};
use crate::query::Answer;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

/// What `time` selects: since midnight, or the last N minutes. `None` for anything invalid.
pub fn window_start(now: Timestamp, time: &str) -> Option<Timestamp> {
    if time == "day" {
        return Some(windows::start_of_day(now));
    }
    windows::minutes_ago(now, decimal(time)?)
}

/// `GET /alert/retrieveAlertsCount`.
pub async fn alerts_count(State(state): State<AppState>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let domain = params.domain();
    let as_json = params.wants_json();
    let key = cache_key(&uri, &["time", "out"], Some(domain), None);
    state
        .query
        .cached(key, Some(TTL), async {
            let Some(time) = params.non_empty("time") else {
                return Ok(plain(&state.settings.default_response));
            };
            let Some(since) = window_start(state.clock.now(), time) else {
                return Ok(render(None, as_json));
            };
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            match state.query.count(&filter).await {
                Ok(n) => Ok(render(Some(n), as_json)),
                Err(_) => Err(render(None, as_json)),
            }
        })
        .await
        .into_response()
}

fn render(count: Option<u64>, as_json: bool) -> Answer {
    if as_json {
        return match count {
            Some(n) => json(&json!({ "AlertCount": n })),
            None => json(&json!({ "AlertCount": false })),
        };
    }
    xml(&Node::parent(
        "EWSSimpleIPInfo",
        vec![Node::text("AlertCount", count.unwrap_or(0).to_string())],
    ))
}
