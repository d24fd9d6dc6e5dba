//! `GET /alert/topCountriesAttacks`: the top attacking and attacked countries of a calendar
//! month (UTC), `monthOffset` months back (decision 2: `offset` is not read).

use super::params::{Params, decimal};
use super::response::{json, json_nope};
use super::{cache_key, windows};
use crate::app::AppState;
use crate::domain::{AlertFilter, TermCount, TermField, TimeField, TimeRange};
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);
/// Default number of countries per list.
pub const DEFAULT_TOPX: u64 = 10;
/// Largest `topx` a terms aggregation accepts.
pub const MAX_TOPX: u64 = i32::MAX as u64;

/// `topx`: absent or empty → default; otherwise a decimal from 1 to [`MAX_TOPX`].
pub fn topx(params: &Params, default: u64) -> Option<usize> {
    let n = match params.non_empty("topx") {
        None => default,
        Some(text) => decimal(text)?,
    };
    if n == 0 || n > MAX_TOPX {
        return None;
    }
    usize::try_from(n).ok()
}

/// `GET /alert/topCountriesAttacks`.
pub async fn top_countries(State(state): State<AppState>, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let domain = params.domain();
    let key = cache_key(&uri, &["topx", "monthOffset"], Some(domain), None);
    state
        .query
        .cached(key, Some(TTL), async {
            let nope = || json_nope(&state.settings.default_response);
            let (months, id) = match params.non_empty("monthOffset") {
                None | Some("0") => (0, json!(0)),
                Some(text) => (decimal(text).ok_or_else(nope)?, json!(text)),
            };
            let limit = topx(&params, DEFAULT_TOPX).ok_or_else(nope)?;
            let now = state.clock.now();
            let range = if months == 0 {
                TimeRange::between(windows::months_ago_start(now, 0).ok_or_else(nope)?, now)
            } else {
                TimeRange::between(
                    windows::months_ago_start(now, months).ok_or_else(nope)?,
                    windows::months_ago_start(now, months - 1).ok_or_else(nope)?,
                )
            };
            let date = windows::month_label(now, months).ok_or_else(nope)?;
            let filter = AlertFilter::domain(domain).within(TimeField::Received, range);
            let sources = state
                .query
                .terms(&filter, TermField::SourceCountry, limit)
                .await;
            let targets = state
                .query
                .terms(&filter, TermField::TargetCountry, limit)
                .await;
            let (Ok(sources), Ok(targets)) = (sources, targets) else {
                return Err(nope());
            };
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

fn list(terms: Vec<TermCount>) -> Value {
    Value::Array(
        terms
            .into_iter()
            .map(|t| json!({ "code": t.key, "count": t.count, "country": t.label }))
            .collect(),
    )
}
