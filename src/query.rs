//! The query layer: the one place the front ends (legacy REST in [`crate::compat`] and
//! GraphQL in [`crate::graphql`]) read through. It wraps the [`Store`] with typed questions,
//! completes date histograms the way Elasticsearch does (gap filling). It holds typed reads
//! only: the legacy answer cache is [`crate::compat::cache`].

mod attackers;
mod stats;
mod timeline;

pub use attackers::MAX_ADDRESSES;
pub use stats::{AlertStats, HoneypotStatistics};
pub use timeline::{MAX_BUCKETS, TimelineError};

mod feeds;
pub use feeds::{STREAM_PAGE, alert_stream};

use crate::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, DerivedField, HistogramBucket, HistogramQuery,
    Installation, TermCount, TermField, TimeField, Timestamp,
};
use crate::store::{StatisticsDocument, Store, StoreError};
use std::net::IpAddr;
use std::sync::Arc;

/// Terms size of [`QueryLayer::counts_for`]: more distinct values than any sensor fleet has.
pub const COUNTS_FOR_LIMIT: usize = 100_000;

/// How the buckets of a histogram are completed with empty ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Densify {
    /// Only the non-empty buckets.
    None,
    /// Every bucket between the first and the last non-empty one (Elasticsearch's default
    /// `min_doc_count: 0` behaviour without bounds).
    BetweenData,
    /// Every bucket from the one holding `from` to the one holding `to`, widened to cover the
    /// data (Elasticsearch `min_doc_count: 0` with `extended_bounds`).
    Extended {
        /// First bound (inclusive, rounded down to its bucket).
        from: Timestamp,
        /// Last bound (inclusive, rounded down to its bucket).
        to: Timestamp,
    },
}

/// Typed reads over a store.
pub struct QueryLayer {
    store: Arc<dyn Store>,
}

impl QueryLayer {
    /// A query layer over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        QueryLayer { store }
    }

    /// Whether the store answers.
    pub async fn health(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// Number of matching alerts.
    pub async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        self.store.count(filter).await
    }

    /// The `limit` most frequent values of `field`, ranked (count descending, key ascending).
    pub async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut terms = self.store.terms(filter, field, limit).await?;
        if field == TermField::SourceIp {
            rank_addresses(&mut terms);
        }
        Ok(terms)
    }

    /// The `limit` most frequent values of `field` that are not placeholders (see
    /// [`TermField::placeholders`]), ranked as [`QueryLayer::terms`].
    pub async fn ranking(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        let placeholders = field.placeholders();
        let mut terms = self
            .terms(filter, field, limit.saturating_add(placeholders.len()))
            .await?;
        terms.retain(|t| !placeholders.contains(&t.key.as_str()));
        terms.truncate(limit);
        Ok(terms)
    }

    /// The `limit` most frequent values read out of stored texts (see
    /// [`Store::derived_terms`]).
    pub async fn derived_ranking(
        &self,
        filter: &AlertFilter,
        field: DerivedField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.store.derived_terms(filter, field, limit).await
    }

    /// The `limit` most tried username/password pairs (see [`Store::credentials`]).
    pub async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.store.credentials(filter, limit).await
    }

    /// A date histogram, completed with empty buckets as `densify` says.
    pub async fn histogram(
        &self,
        query: &HistogramQuery,
        densify: Densify,
    ) -> Result<Vec<HistogramBucket>, StoreError> {
        let buckets = self.store.histogram(query).await?;
        Ok(densify_buckets(buckets, query.interval_seconds, densify))
    }

    /// The `limit` newest matching alerts by `order_by` (ties: id descending).
    pub async fn latest_alerts(
        &self,
        filter: &AlertFilter,
        order_by: TimeField,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.store
            .alerts(&AlertPage {
                filter: filter.clone(),
                order_by,
                limit,
                after: None,
            })
            .await
    }

    /// One page of matching alerts ordered by `page.order_by`, newest first (ties: id
    /// descending), continuing after `page.after`.
    pub async fn alerts_page(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        if page.limit == 0 {
            return Ok(Vec::new());
        }
        self.store.alerts(page).await
    }

    /// One page of matching alerts in the opposite order (oldest first, ties: id ascending),
    /// continuing after `page.after` in that order: the alerts [`QueryLayer::alerts_page`]
    /// lists before that cursor, for backward paging.
    pub async fn alerts_page_oldest_first(
        &self,
        page: &AlertPage,
    ) -> Result<Vec<Alert>, StoreError> {
        if page.limit == 0 {
            return Ok(Vec::new());
        }
        self.store.alerts_oldest_first(page).await
    }

    /// Alerts by id (missing ids are left out).
    pub async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.store.alerts_by_id(ids).await
    }

    /// How many matching alerts carry each of `keys` in `field`, in one store call (keys
    /// without alerts are left out). Meant for fields with few distinct values, such as
    /// sensors or honeypot types.
    pub async fn counts_for(
        &self,
        filter: &AlertFilter,
        field: TermField,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, u64>, StoreError> {
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let terms = self.store.terms(filter, field, COUNTS_FOR_LIMIT).await?;
        Ok(terms
            .into_iter()
            .filter(|t| wanted.contains(t.key.as_str()))
            .map(|t| (t.key, t.count))
            .collect())
    }

    /// Installations among matching alerts.
    pub async fn installations(
        &self,
        filter: &AlertFilter,
    ) -> Result<Vec<Installation>, StoreError> {
        self.store.installations(filter).await
    }

    /// Statistics documents with `UTCtimeFrom` in `[from, to]`, ascending.
    pub async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError> {
        self.store.statistics(from, to).await
    }
}

/// `sourceEntryIp` is an `ip` field in Elasticsearch: equal counts are ordered by address
/// value (the 16-byte form Elasticsearch keeps, IPv4 mapped into IPv6), not by text.
pub fn rank_addresses(terms: &mut [TermCount]) {
    let value = |key: &str| match key.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => (0u8, u128::from(v4.to_ipv6_mapped())),
        Ok(IpAddr::V6(v6)) => (0u8, u128::from(v6)),
        Err(_) => (1u8, 0),
    };
    terms.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| value(&a.key).cmp(&value(&b.key)))
            .then_with(|| a.key.cmp(&b.key))
    });
}

/// Completes non-empty, ascending buckets of width `interval` with empty ones.
pub fn densify_buckets(
    buckets: Vec<HistogramBucket>,
    interval: i64,
    densify: Densify,
) -> Vec<HistogramBucket> {
    if interval <= 0 {
        return buckets;
    }
    let Some((lo, hi)) = densify.bounds(&buckets, interval) else {
        return buckets;
    };
    let mut out = Vec::new();
    let mut data = buckets.into_iter().peekable();
    let mut t = lo;
    while t <= hi {
        match data.peek() {
            Some(b) if b.start == t => {
                if let Some(b) = data.next() {
                    out.push(b);
                }
            }
            _ => out.push(HistogramBucket {
                start: t,
                count: 0,
                split: Vec::new(),
            }),
        }
        // Buckets the store returned off the grid are kept in order.
        while let Some(b) = data.peek() {
            if b.start > t && b.start < t.plus_seconds(interval) {
                if let Some(b) = data.next() {
                    out.push(b);
                }
            } else {
                break;
            }
        }
        t = t.plus_seconds(interval);
    }
    out.extend(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(t: &str, count: u64) -> HistogramBucket {
        HistogramBucket {
            start: Timestamp::parse_legacy(t).unwrap(),
            count,
            split: Vec::new(),
        }
    }

    fn shape(buckets: &[HistogramBucket]) -> Vec<(String, u64)> {
        buckets
            .iter()
            .map(|b| (b.start.format_legacy(), b.count))
            .collect()
    }

    #[test]
    fn addresses_rank_by_value() {
        let term = |key: &str, count| TermCount {
            key: key.into(),
            count,
            label: None,
        };
        let mut terms = vec![
            term("87.150.238.111", 2),
            term("8.8.8.8", 2),
            term("45.1.2.3", 2),
            term("::1", 2),
            term("1.1.1.1", 3),
        ];
        rank_addresses(&mut terms);
        let keys: Vec<_> = terms.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            ["1.1.1.1", "::1", "8.8.8.8", "45.1.2.3", "87.150.238.111"]
        );
    }

    #[test]
    fn gaps_between_data_are_filled() {
        let b = vec![
            bucket("2024-06-20 00:00:00", 2),
            bucket("2024-06-23 00:00:00", 1),
        ];
        let out = densify_buckets(b, Timestamp::DAY, Densify::BetweenData);
        assert_eq!(
            shape(&out),
            vec![
                ("2024-06-20 00:00:00".into(), 2),
                ("2024-06-21 00:00:00".into(), 0),
                ("2024-06-22 00:00:00".into(), 0),
                ("2024-06-23 00:00:00".into(), 1),
            ]
        );
        assert!(densify_buckets(Vec::new(), Timestamp::DAY, Densify::BetweenData).is_empty());
    }

    #[test]
    fn extended_bounds_cover_bounds_and_data() {
        let from = Timestamp::parse_legacy("2024-06-24 10:30:00").unwrap();
        let to = Timestamp::parse_legacy("2024-06-24 12:10:00").unwrap();
        let out = densify_buckets(
            vec![bucket("2024-06-24 14:00:00", 3)],
            3600,
            Densify::Extended { from, to },
        );
        assert_eq!(
            shape(&out),
            vec![
                ("2024-06-24 10:00:00".into(), 0),
                ("2024-06-24 11:00:00".into(), 0),
                ("2024-06-24 12:00:00".into(), 0),
                ("2024-06-24 13:00:00".into(), 0),
                ("2024-06-24 14:00:00".into(), 3),
            ]
        );
        let empty = densify_buckets(Vec::new(), 3600, Densify::Extended { from, to });
        assert_eq!(empty.len(), 3);
    }
}
