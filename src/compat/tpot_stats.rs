//! `GET /alert/TpotStats?day=YYYYMMDD`: daily statistics of the community installations.

use super::cache::{Answer, Legacy, OrAnswer, route_params};
use super::params::Param;
use super::response::{json, plain};
use super::windows;
use crate::app::AppState;
use crate::domain::{AlertFilter, DataDomain, TimeField, TimeRange, Timestamp};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Lifetime of answers about past days (28 days).
pub const PAST_DAY_TTL: Duration = Duration::from_secs(28 * 86_400);

route_params! {
    /// What `TpotStats` reads (`ci` is not read: community data).
    pub struct TpotStatsParams {
        /// The day, `YYYYMMDD`.
        day: Param = "day",
    }
}

/// `GET /alert/TpotStats`.
pub async fn tpot_stats(
    State(state): State<AppState>,
    request: Legacy<TpotStatsParams>,
) -> Response {
    let now = state.clock.now();
    let day = request
        .params
        .day
        .get()
        .and_then(windows::parse_compact_day);
    // Today and later days are still changing: not cached.
    let ttl = day
        .filter(|d| *d < now.start_of_day())
        .map(|_| PAST_DAY_TTL);
    state
        .answers
        .answer(&request, None, ttl, async {
            let Some(day) = day else {
                return Ok(plain(&state.settings.default_response));
            };
            compute(&state, day)
                .await
                .or_answer(|| plain(&state.settings.default_response))
        })
        .await
        .into_response()
}

async fn compute(state: &AppState, day: Timestamp) -> Result<Answer, crate::store::StoreError> {
    let range = TimeRange::between(day, day.plus_seconds(Timestamp::DAY));
    let filter = AlertFilter::domain(DataDomain::Community).within(TimeField::Received, range);
    let stats = state.query.honeypot_statistics(&filter).await?;
    let alerts_per_type: Map<String, Value> = stats
        .alerts_per_type
        .into_iter()
        .map(|t| (t.key, json!(t.count)))
        .collect();
    Ok(json(&json!({
        "UTCtimeFrom": day.format_legacy(),
        "UTCtimeTo": day.plus_seconds(Timestamp::DAY - 1).format_legacy(),
        "communityHoneypots": {
            "numberAlertsPerType": alerts_per_type,
            "numberHoneypotsPerType": stats.honeypots_per_type,
            "totalNumberAlerts": stats.total_alerts,
            "totalNumberDaemons": stats.daemons,
            "totalNumberHoneypots": stats.honeypots,
        }
    })))
}
