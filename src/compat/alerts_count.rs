//! `GET /alert/retrieveAlertsCount`: number of alerts received since `now/d` (`time=day`) or
//! in the last `time` minutes.

use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::params::{Domain, Output, Param, decimal};
use super::response::{json, plain, xml};
use super::windows;
use super::xml::Node;
use crate::app::AppState;
use crate::domain::{AlertFilter, TimeField, TimeRange, Timestamp};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

route_params! {
    /// What `retrieveAlertsCount` reads.
    pub struct CountParams {
        /// The data domain.
        ci: Domain = "ci",
        /// `day` or minutes.
        time: Param = "time",
        /// `json` for a JSON answer.
        out: Output = "out",
    }
}

/// What `time` selects: since midnight, or the last N minutes. `None` for anything invalid.
pub fn window_start(now: Timestamp, time: &str) -> Option<Timestamp> {
    if time == "day" {
        return Some(windows::start_of_day(now));
    }
    windows::minutes_ago(now, decimal(time)?)
}

/// `GET /alert/retrieveAlertsCount`.
pub async fn alerts_count(State(state): State<AppState>, request: Legacy<CountParams>) -> Response {
    let params = &request.params;
    let domain = params.ci.domain();
    let as_json = params.out.wants_json();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let Some(time) = params.time.non_empty() else {
                return Ok(plain(&state.settings.default_response));
            };
            let Some(since) = window_start(state.clock.now(), time) else {
                return Ok(render(None, as_json));
            };
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let n = state
                .query
                .count(&filter)
                .await
                .or_answer(|| render(None, as_json))?;
            Ok(render(Some(n), as_json))
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
