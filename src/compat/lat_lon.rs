//! `GET /alert/retrieveLatLonAttacks`: the most frequent source (or destination) locations of
//! the last 24 hours, or of the whole UTC day `offset` days ago.

use super::cache::{Legacy, OrAnswer, route_params};
use super::location::split_spaced;
use super::params::{Domain, Number, Param};
use super::response::{json, json_nope};
use super::top_countries::{DEFAULT_TOPX, topx};
use super::windows;
use crate::app::AppState;
use crate::domain::{AlertFilter, TermField, TimeField, TimeRange, Timestamp};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

route_params! {
    /// What `retrieveLatLonAttacks` reads.
    pub struct LatLonParams {
        /// The data domain.
        ci: Domain = "ci",
        /// `src` or `dst`.
        direction: Param = "direction",
        /// Days back.
        offset: Number = "offset",
        /// Locations in the list.
        topx: Number = "topx",
    }
}

/// `GET /alert/retrieveLatLonAttacks`.
pub async fn lat_lon(State(state): State<AppState>, request: Legacy<LatLonParams>) -> Response {
    let params = &request.params;
    let domain = params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let nope = || json_nope(&state.settings.default_response);
            let field = match params.direction.non_empty() {
                None | Some("src") => TermField::SourceLocation,
                Some("dst") => TermField::TargetLocation,
                Some(_) => return Ok(nope()),
            };
            let Some(limit) = topx(params.topx, DEFAULT_TOPX) else {
                return Ok(nope());
            };
            let Some(days) = params.offset.or(0) else {
                return Ok(nope());
            };
            let now = state.clock.now();
            let range = if days == 0 {
                TimeRange::between(now.plus_seconds(-Timestamp::DAY), now)
            } else {
                match (
                    windows::days_ago_start(now, days),
                    windows::days_ago_start(now, days - 1),
                ) {
                    (Some(from), Some(to)) => TimeRange::between(from, to),
                    _ => return Ok(nope()),
                }
            };
            let Some(since) = windows::day_label(now, days) else {
                return Ok(nope());
            };
            let filter = AlertFilter::domain(domain).within(TimeField::Created, range);
            let terms = state
                .query
                .terms(&filter, field, limit)
                .await
                .or_answer(nope)?;
            let list: Vec<Value> = terms
                .into_iter()
                .map(|t| {
                    let (lat, lng) = split_spaced(&t.key);
                    json!({ "count": t.count, "lat": lat, "lng": lng })
                })
                .collect();
            Ok(json(
                &json!([{ "latLonAttacks": list, "statsSince": since }]),
            ))
        })
        .await
        .into_response()
}
