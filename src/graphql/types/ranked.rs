//! Ranked values (URLs, ports) with their own timelines, and the `first` arguments of
//! rankings.

use super::{TimeBucket, TimelineSpec, state, timeline};
use crate::domain::{AlertFilter, TermCount, TermField};
use crate::graphql::errors::{self, bad_input};
use crate::graphql::inputs::{DateTime, GapFill, TimeField};
use async_graphql::{Context, Object, Result};

/// A ranked value (URL, port) with its count and, on demand, its timeline.
pub struct RankedValue {
    /// The value.
    pub value: String,
    /// Its alerts.
    pub count: u64,
    /// The field it is a value of.
    pub field: TermField,
    /// The filter it was ranked under.
    pub filter: AlertFilter,
}

/// A ranked value (a URL, a port) with its number of alerts.
#[Object]
impl RankedValue {
    /// The value.
    async fn value(&self) -> &str {
        &self.value
    }

    /// Its alerts.
    async fn count(&self) -> u64 {
        self.count
    }

    /// This value's alerts over time (one store call per ranked value).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::STORE_COST + child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which time of the alerts is bucketed.")] field: TimeField,
        #[graphql(
            desc = "Bucket width in seconds (60 s to 366 days); buckets start at multiples of it since the epoch (a day at UTC midnight)."
        )]
        interval_seconds: i32,
        #[graphql(default, desc = "Which empty buckets are added.")] fill: GapFill,
        #[graphql(
            desc = "First bucket of `fill: RANGE` (default: the start of the filter's window)."
        )]
        fill_from: Option<DateTime>,
        #[graphql(
            desc = "Last bucket of `fill: RANGE` (default: the end of the filter's window, or now)."
        )]
        fill_to: Option<DateTime>,
    ) -> Result<Vec<TimeBucket>> {
        let filter = self.filter.clone().matching(self.field, self.value.clone());
        let spec = TimelineSpec {
            field,
            interval_seconds,
            split_by_type: 0,
            fill,
            fill_from,
            fill_to,
        };
        timeline(state(ctx)?, &filter, &spec).await
    }
}

/// Checks a `first` argument against its cap.
pub fn page_size(first: i32, max: usize) -> Result<usize> {
    usize::try_from(first)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| bad_input(format!("`first` must be between 0 and {max}")))
}

/// The `first` most frequent values of `field` (capped at [`crate::graphql::MAX_TOP`]).
pub async fn top(
    ctx: &Context<'_>,
    filter: &AlertFilter,
    field: TermField,
    first: i32,
) -> Result<Vec<TermCount>> {
    let limit = page_size(first, crate::graphql::MAX_TOP)?;
    state(ctx)?
        .query
        .terms(filter, field, limit)
        .await
        .map_err(errors::store)
}

/// Ranked values of `field` under `filter`.
pub fn ranked(terms: Vec<TermCount>, field: TermField, filter: &AlertFilter) -> Vec<RankedValue> {
    terms
        .into_iter()
        .map(|t| RankedValue {
            value: t.key,
            count: t.count,
            field,
            filter: filter.clone(),
        })
        .collect()
}
