//! Date histograms completed with empty buckets (gap filling), and the bound on how long a
//! completed one may get.

use super::{Densify, QueryLayer};
use crate::domain::{HistogramBucket, HistogramQuery, Timestamp};
use crate::store::StoreError;

/// Most buckets one completed timeline may have.
pub const MAX_BUCKETS: i64 = 10_000;

/// Why a timeline has no answer.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Gap filling would produce more than [`MAX_BUCKETS`] buckets.
    #[error(
        "the timeline would have {length} buckets, more than {MAX_BUCKETS}: choose a longer interval or a shorter window"
    )]
    TooLong {
        /// Buckets the completed timeline would have.
        length: i64,
    },
}

impl QueryLayer {
    /// A date histogram completed as `densify` says, refused before filling when the result
    /// would have more than [`MAX_BUCKETS`] buckets.
    pub async fn timeline(
        &self,
        query: &HistogramQuery,
        densify: Densify,
    ) -> Result<Vec<HistogramBucket>, TimelineError> {
        let buckets = self.store.histogram(query).await?;
        let length = densify.filled_len(&buckets, query.interval_seconds);
        if length > MAX_BUCKETS {
            return Err(TimelineError::TooLong { length });
        }
        Ok(super::densify_buckets(
            buckets,
            query.interval_seconds,
            densify,
        ))
    }
}

impl Densify {
    /// The first and last bucket start the completed histogram of the non-empty, ascending
    /// `buckets` (of width `interval`) runs between; `None` when nothing is filled.
    pub(super) fn bounds(
        self,
        buckets: &[HistogramBucket],
        interval: i64,
    ) -> Option<(Timestamp, Timestamp)> {
        let first = buckets.first().map(|b| b.start);
        let last = buckets.last().map(|b| b.start);
        match self {
            Densify::None => None,
            Densify::BetweenData => Some((first?, last?)),
            Densify::Extended { from, to } => {
                let lo = from.floor_to(interval);
                let hi = to.floor_to(interval);
                Some((
                    first.map_or(lo, |f| f.min(lo)),
                    last.map_or(hi, |l| l.max(hi)),
                ))
            }
        }
    }

    /// How many grid buckets the completed histogram spans (0 when nothing is filled).
    fn filled_len(self, buckets: &[HistogramBucket], interval: i64) -> i64 {
        if interval <= 0 {
            return 0;
        }
        self.bounds(buckets, interval)
            .map_or(0, |(lo, hi)| (hi.unix() - lo.unix()) / interval + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> Timestamp {
        Timestamp::parse_legacy(t).unwrap()
    }

    fn bucket(t: &str) -> HistogramBucket {
        HistogramBucket {
            start: at(t),
            count: 1,
            split: Vec::new(),
        }
    }

    #[test]
    fn filled_lengths() {
        let data = [bucket("2024-06-24 10:00:00"), bucket("2024-06-24 14:00:00")];
        assert_eq!(Densify::None.filled_len(&data, 3600), 0);
        assert_eq!(Densify::BetweenData.filled_len(&data, 3600), 5);
        assert_eq!(Densify::BetweenData.filled_len(&[], 3600), 0);
        let window = Densify::Extended {
            from: at("2024-06-24 08:30:00"),
            to: at("2024-06-24 12:10:00"),
        };
        assert_eq!(window.filled_len(&data, 3600), 7);
        assert_eq!(window.filled_len(&[], 3600), 5);
        assert_eq!(window.filled_len(&data, 0), 0);
    }
}
