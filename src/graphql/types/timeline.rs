//! Timelines: the bucket type, the arguments and their checks, over the query layer's
//! gap-filled histograms.

use super::HoneypotTypeCount;
use crate::app::AppState;
use crate::domain::{self, AlertFilter, HistogramQuery, TermField};
use crate::graphql::errors::{self, bad_input};
use crate::graphql::inputs::{DateTime, GapFill, TimeField};
use crate::query::{Densify, TimelineError};
use async_graphql::{Result, SimpleObject};

/// Shortest timeline interval, seconds.
pub const MIN_INTERVAL: i32 = 60;
/// Longest timeline interval, seconds (a leap year).
pub const MAX_INTERVAL: i32 = 366 * 86_400;
/// Most honeypot types per timeline bucket.
pub const MAX_SPLIT: i32 = 100;

/// One bucket of a timeline.
#[derive(SimpleObject, Debug, Clone)]
pub struct TimeBucket {
    /// Start of the bucket (buckets are aligned to the Unix epoch, a day to UTC midnight).
    pub start: DateTime,
    /// Alerts in the bucket.
    pub count: u64,
    /// The most frequent honeypot types in the bucket, when a split was asked for.
    pub by_honeypot_type: Vec<HoneypotTypeCount>,
}

/// How a timeline is asked for.
#[derive(Debug, Clone)]
pub struct TimelineSpec {
    /// Which timestamp is bucketed.
    pub field: TimeField,
    /// Bucket width, seconds.
    pub interval_seconds: i32,
    /// Honeypot types per bucket (0: no split).
    pub split_by_type: i32,
    /// Gap filling.
    pub fill: GapFill,
    /// Start of the filled window.
    pub fill_from: Option<DateTime>,
    /// End of the filled window.
    pub fill_to: Option<DateTime>,
}

/// Computes a timeline over `filter`.
pub async fn timeline(
    state: &AppState,
    filter: &AlertFilter,
    spec: &TimelineSpec,
) -> Result<Vec<TimeBucket>> {
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&spec.interval_seconds) {
        return Err(bad_input(format!(
            "`intervalSeconds` must be between {MIN_INTERVAL} and {MAX_INTERVAL}"
        )));
    }
    if !(0..=MAX_SPLIT).contains(&spec.split_by_type) {
        return Err(bad_input(format!(
            "`splitByType` must be between 0 and {MAX_SPLIT}"
        )));
    }
    let interval = i64::from(spec.interval_seconds);
    let field: domain::TimeField = spec.field.into();
    let window = match field {
        domain::TimeField::Received => filter.received,
        domain::TimeField::Created => filter.created,
    };
    let densify = match spec.fill {
        GapFill::None => Densify::None,
        GapFill::BetweenData => Densify::BetweenData,
        GapFill::Window => {
            let from = spec.fill_from.map(|t| t.0).or(window.from).ok_or_else(|| {
                bad_input("`fill: WINDOW` needs `fillFrom` or a window start in the filter")
            })?;
            let to = spec
                .fill_to
                .map(|t| t.0)
                .or(window.to)
                .unwrap_or_else(|| state.clock.now());
            Densify::Extended { from, to }
        }
    };
    let split = usize::try_from(spec.split_by_type).unwrap_or(0);
    let query = HistogramQuery {
        filter: filter.clone(),
        field,
        interval_seconds: interval,
        split: (split > 0).then_some((TermField::PeerType, split)),
    };
    let buckets = state
        .query
        .timeline(&query, densify)
        .await
        .map_err(|error| match error {
            TimelineError::Store(error) => errors::store(error),
            too_long @ TimelineError::TooLong { .. } => bad_input(too_long.to_string()),
        })?;
    Ok(buckets
        .into_iter()
        .map(|b| TimeBucket {
            start: DateTime(b.start),
            count: b.count,
            by_honeypot_type: b.split.into_iter().map(Into::into).collect(),
        })
        .collect())
}
