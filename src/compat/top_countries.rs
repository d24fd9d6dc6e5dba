//! `GET /alert/topCountriesAttacks`: the top attacking and attacked countries of a calendar
//! month (UTC), `monthOffset` months back (decision 2: `offset` is not read).

use super::cache::{Legacy, OrAnswer, route_params};
use super::params::{Domain, Number, Param, decimal};
use super::response::{json, json_nope};
use super::windows;
use crate::app::AppState;
use crate::domain::{AlertFilter, TermCount, TermField, TimeField, TimeRange, Timestamp};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);
/// Default number of countries per list.
pub const DEFAULT_TOPX: u64 = 10;
/// Largest `topx` a terms aggregation accepts.
pub const MAX_TOPX: u64 = i32::MAX as u64;

route_params! {
    /// What `topCountriesAttacks` reads.
    pub struct TopCountriesParams {
        /// The data domain.
        ci: Domain = "ci",
        /// Countries per list.
        topx: Number = "topx",
        /// Months back.
        month_offset: Param = "monthOffset",
    }
}

/// `topx`: absent or empty → default; otherwise a decimal from 1 to [`MAX_TOPX`].
pub fn topx(topx: Number, default: u64) -> Option<usize> {
    let n = topx.or(default)?;
    if n == 0 || n > MAX_TOPX {
        return None;
    }
    usize::try_from(n).ok()
}

/// `GET /alert/topCountriesAttacks`.
pub async fn top_countries(
    State(state): State<AppState>,
    request: Legacy<TopCountriesParams>,
) -> Response {
    let params = &request.params;
    let domain = params.ci.domain();
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let nope = || json_nope(&state.settings.default_response);
            let (months, id) = match params.month_offset.non_empty() {
                None | Some("0") => (0, json!(0)),
                Some(text) => match decimal(text) {
                    Some(months) => (months, json!(text)),
                    None => return Ok(nope()),
                },
            };
            let Some(limit) = topx(params.topx, DEFAULT_TOPX) else {
                return Ok(nope());
            };
            let now = state.clock.now();
            let Some((range, date)) = month(now, months) else {
                return Ok(nope());
            };
            let filter = AlertFilter::domain(domain).within(TimeField::Received, range);
            let sources = state
                .query
                .terms(&filter, TermField::SourceCountry, limit)
                .await
                .or_answer(nope)?;
            let targets = state
                .query
                .terms(&filter, TermField::TargetCountry, limit)
                .await
                .or_answer(nope)?;
            let (sources, targets) = if sources.is_empty() || targets.is_empty() {
                (Vec::new(), Vec::new())
            } else {
                (sources, targets)
            };
            Ok(json(&json!([{
                "attacksPerCountry": list(sources),
                "attacksToTargetCountry": list(targets),
                "date": date,
                "id": id,
            }])))
        })
        .await
        .into_response()
}

/// The window of the calendar month `months` back (the current one up to `now`) and its
/// label.
fn month(now: Timestamp, months: u64) -> Option<(TimeRange, String)> {
    let range = if months == 0 {
        TimeRange::between(windows::months_ago_start(now, 0)?, now)
    } else {
        TimeRange::between(
            windows::months_ago_start(now, months)?,
            windows::months_ago_start(now, months - 1)?,
        )
    };
    Some((range, windows::month_label(now, months)?))
}

fn list(terms: Vec<TermCount>) -> Value {
    Value::Array(
        terms
            .into_iter()
            .map(|t| json!({ "code": t.key, "count": t.count, "country": t.label }))
            .collect(),
    )
}
