//! `GET /alert/datasetAlertsPerMonth` and `GET /alert/datasetAlertTypesPerMonth`: alerts per
//! UTC day of `createTime` (and per honeypot type) since `now-1M/d` or `now-{days}d/d`.

use super::alerts_count_with_type::TYPES;
use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::params::{Domain, Number};
use super::response::{json, json_nope};
use super::windows;
use crate::app::AppState;
use crate::domain::{AlertFilter, HistogramQuery, TermField, TimeField, TimeRange, Timestamp};
use crate::query::Densify;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::time::Duration;

route_params! {
    /// What `datasetAlertsPerMonth` and `datasetAlertTypesPerMonth` read.
    pub struct PerMonthParams {
        /// The data domain.
        ci: Domain = "ci",
        /// Days back (default: one month).
        days: Number = "days",
    }
}

/// Start of the window: `days` absent or empty → `now-1M/d`; decimal → `now-{days}d/d`.
pub fn window_start(now: Timestamp, days: Number) -> Option<Timestamp> {
    match days {
        Number::Absent => windows::months_ago_day_start(now, 1),
        Number::Value(days) => windows::days_ago_start(now, days),
        Number::Invalid => None,
    }
}

/// `GET /alert/datasetAlertsPerMonth` (cached 600 s).
pub async fn alerts_per_month(
    State(state): State<AppState>,
    request: Legacy<PerMonthParams>,
) -> Response {
    answer(&state, &request, false, Duration::from_secs(600))
        .await
        .into_response()
}

/// `GET /alert/datasetAlertTypesPerMonth` (cached 3600 s).
pub async fn alert_types_per_month(
    State(state): State<AppState>,
    request: Legacy<PerMonthParams>,
) -> Response {
    answer(&state, &request, true, Duration::from_secs(3600))
        .await
        .into_response()
}

async fn answer(
    state: &AppState,
    request: &Legacy<PerMonthParams>,
    by_type: bool,
    ttl: Duration,
) -> Answer {
    let params = &request.params;
    let domain = params.ci.domain();
    state
        .answers
        .answer(request, None, Some(ttl), async {
            let nope = || json_nope(&state.settings.default_response);
            let Some(since) = window_start(state.clock.now(), params.days) else {
                return Ok(nope());
            };
            let query = HistogramQuery {
                filter: AlertFilter::domain(domain)
                    .within(TimeField::Created, TimeRange::since(since)),
                field: TimeField::Created,
                interval_seconds: Timestamp::DAY,
                split: by_type.then_some((TermField::PeerType, TYPES)),
            };
            let densify = if by_type {
                Densify::None
            } else {
                Densify::BetweenData
            };
            let buckets = state
                .query
                .histogram(&query, densify)
                .await
                .or_answer(nope)?;
            let mut days = Map::new();
            for bucket in buckets {
                let day = bucket.start.format_legacy();
                if by_type {
                    if bucket.split.is_empty() {
                        continue;
                    }
                    let types: Map<String, Value> = bucket
                        .split
                        .into_iter()
                        .map(|t| (t.key, json!(t.count)))
                        .collect();
                    days.insert(day, Value::Object(types));
                } else {
                    days.insert(day, json!(bucket.count));
                }
            }
            Ok(json(&json!([{ "datasetAlertsPerMonth": days }])))
        })
        .await
}
