//! `GET /alert/tops`: the top URLs (of `Webpage` alerts) or destination ports of the last
//! day, 7 days or 28 days, each with a complete timeline. Both data domains, `ci` ignored.

use super::cache::{Legacy, OrAnswer, route_params};
use super::params::{Number, Param};
use super::response::{json, plain};
use crate::app::AppState;
use crate::domain::{
    AlertFilter, DataDomain, HistogramQuery, TermField, TimeField, TimeRange, Timestamp,
};
use crate::query::Densify;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::future::try_join_all;
use serde_json::{Map, Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(7200);
/// Largest `topx`.
pub const MAX_TOPX: u64 = 30;

route_params! {
    /// What `tops` reads (`ci` is not read: both domains).
    pub struct TopsParams {
        /// `urls` or `destports`.
        kind: Param = "type",
        /// How many terms.
        topx: Number = "topx",
        /// `1`, `7` or `28`.
        days: Param = "days",
    }
}

/// Timeline of a `days` value: start, end and bucket width.
pub fn timeline(now: Timestamp, days: &str) -> Option<(Timestamp, Timestamp, i64)> {
    let today = now.start_of_day();
    match days {
        "1" => Some((now.plus_seconds(-Timestamp::DAY), now, 3600)),
        "7" => Some((today.plus_seconds(-6 * Timestamp::DAY), today, 6 * 3600)),
        "28" => Some((
            today.plus_seconds(-27 * Timestamp::DAY),
            today,
            Timestamp::DAY,
        )),
        _ => None,
    }
}

/// `GET /alert/tops`.
pub async fn tops(State(state): State<AppState>, request: Legacy<TopsParams>) -> Response {
    let params = &request.params;
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let nope = || plain(&state.settings.default_response);
            let field = match params.kind.get() {
                Some("urls") => TermField::RequestString,
                Some("destports") => TermField::TargetPort,
                _ => return Ok(nope()),
            };
            let Some(topx) = params.topx.or(10).filter(|n| (1..=MAX_TOPX).contains(n)) else {
                return Ok(nope());
            };
            let Some((start, end, interval)) =
                timeline(state.clock.now(), params.days.non_empty().unwrap_or("1"))
            else {
                return Ok(nope());
            };
            let mut filter = AlertFilter::domain(DataDomain::All)
                .within(TimeField::Received, TimeRange::since(start));
            if field == TermField::RequestString {
                filter = filter.matching(TermField::PeerType, "Webpage");
            }
            let limit = usize::try_from(topx).unwrap_or(10);
            let terms = state
                .query
                .terms(&filter, field, limit)
                .await
                .or_answer(nope)?;
            if terms.is_empty() {
                return Ok(nope());
            }
            // The per-term timelines are independent: asked for all at once.
            let timelines = try_join_all(terms.iter().map(|term| {
                let query = HistogramQuery {
                    filter: filter.clone().matching(field, term.key.clone()),
                    field: TimeField::Received,
                    interval_seconds: interval,
                    split: None,
                };
                let query_layer = &state.query;
                async move {
                    query_layer
                        .histogram(
                            &query,
                            Densify::Extended {
                                from: start,
                                to: end,
                            },
                        )
                        .await
                }
            }))
            .await
            .or_answer(nope)?;
            let mut out = Map::new();
            for (term, buckets) in terms.into_iter().zip(timelines) {
                let mut line: Map<String, Value> = buckets
                    .into_iter()
                    .map(|b| (b.start.format_legacy(), json!(b.count)))
                    .collect();
                line.insert("total".to_owned(), json!(term.count));
                out.insert(term.key, Value::Object(line));
            }
            Ok(json(&Value::Object(out)))
        })
        .await
        .into_response()
}
