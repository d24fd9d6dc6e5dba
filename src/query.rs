//! The query layer: the one place the front ends (legacy REST in [`crate::compat`] and
//! GraphQL in [`crate::graphql`]) read through. It wraps the [`Store`] with typed questions,
//! completes date histograms the way Elasticsearch does (gap filling), and owns the answer
//! cache.
//!
//! The cache coalesces concurrent misses for the same key into one computation, keeps every
//! entry for its own lifetime, and is a pass-through when caching is switched off. A key names
//! everything that changes an answer: the route, the complete query string, the effective data
//! domain and, for authenticated answers, the reader.

mod feeds;
pub use feeds::{STREAM_PAGE, alert_stream};

use crate::domain::{
    Alert, AlertFilter, AlertPage, DataDomain, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, TimeField, Timestamp,
};
use crate::metrics::ReadMetrics;
use crate::store::{StatisticsDocument, Store, StoreError};
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of answer bodies the cache keeps at once.
pub const CACHE_BYTES: u64 = 64 << 20;
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

/// What identifies a cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The route (request path).
    pub route: String,
    /// The query parameters the answer depends on, in a canonical form.
    pub query: String,
    /// The data domain the answer was computed for, when the route filters by domain.
    pub domain: Option<DataDomain>,
    /// The authenticated reader, for answers of private routes.
    pub reader: Option<String>,
}

/// A rendered answer as the cache keeps it: HTTP status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// The body.
    pub body: Arc<str>,
}

impl Answer {
    /// A 200 answer.
    pub fn ok(content_type: &'static str, body: impl Into<Arc<str>>) -> Self {
        Answer {
            status: 200,
            content_type,
            body: body.into(),
        }
    }
}

#[derive(Clone)]
struct CacheEntry {
    ttl: Duration,
    answer: Answer,
}

struct PerEntryTtl;

impl moka::Expiry<CacheKey, CacheEntry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &CacheEntry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Typed reads over a store, plus the answer cache.
pub struct QueryLayer {
    store: Arc<dyn Store>,
    cache: Option<moka::future::Cache<CacheKey, CacheEntry>>,
    metrics: ReadMetrics,
}

impl QueryLayer {
    /// A query layer over `store`; `cache` switches the answer cache on; it counts into
    /// `metrics`.
    pub fn new(store: Arc<dyn Store>, cache: bool, metrics: ReadMetrics) -> Self {
        let cache = cache.then(|| {
            moka::future::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|key: &CacheKey, entry: &CacheEntry| {
                    let bytes = key.route.len() + key.query.len() + entry.answer.body.len();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .expire_after(PerEntryTtl)
                .build()
        });
        QueryLayer {
            store,
            cache,
            metrics,
        }
    }

    /// Whether answers are cached.
    pub fn caches(&self) -> bool {
        self.cache.is_some()
    }

    /// The answer for `key`: a cached one while it is younger than its lifetime, otherwise the
    /// one `compute` produces. Concurrent misses for the same key wait for one computation.
    /// `Ok` answers are kept for `ttl` (`None`: not kept); `Err` answers (computed while the
    /// store failed) are handed to every waiter but never kept.
    pub async fn cached<F>(&self, key: CacheKey, ttl: Option<Duration>, compute: F) -> Answer
    where
        F: Future<Output = Result<Answer, Answer>>,
    {
        let metrics = &self.metrics;
        let (Some(cache), Some(ttl)) = (&self.cache, ttl.filter(|t| !t.is_zero())) else {
            return compute.await.unwrap_or_else(|uncached| {
                metrics.store_read_errors.inc();
                uncached
            });
        };
        let mut computed = false;
        let answer = cache
            .try_get_with(key, async {
                computed = true;
                metrics.cache_misses.inc();
                compute.await.map(|answer| CacheEntry { ttl, answer })
            })
            .await
            .map_or_else(
                |uncached| {
                    metrics.store_read_errors.inc();
                    (*uncached).clone()
                },
                |entry| entry.answer,
            );
        if !computed {
            metrics.cache_hits.inc();
        }
        answer
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
    let first = buckets.first().map(|b| b.start);
    let last = buckets.last().map(|b| b.start);
    let (lo, hi) = match densify {
        Densify::None => return buckets,
        Densify::BetweenData => match (first, last) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => return buckets,
        },
        Densify::Extended { from, to } => {
            let lo = from.floor_to(interval);
            let hi = to.floor_to(interval);
            (
                first.map_or(lo, |f| f.min(lo)),
                last.map_or(hi, |l| l.max(hi)),
            )
        }
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

    fn layer(cache: bool) -> (QueryLayer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::embedded::EmbeddedStore::open(dir.path()).unwrap();
        (
            QueryLayer::new(Arc::new(store), cache, ReadMetrics::default()),
            dir,
        )
    }

    fn key(query: &str, reader: Option<&str>) -> CacheKey {
        CacheKey {
            route: "/alert/x".into(),
            query: query.into(),
            domain: Some(DataDomain::Community),
            reader: reader.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (layer, _dir) = layer(true);
        let layer = Arc::new(layer);
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (layer, runs) = (layer.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                layer
                    .cached(key("a=1", None), Some(Duration::from_secs(60)), async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(Answer::ok("text/plain", "one"))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(&*task.await.unwrap().body, "one");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn keys_lifetimes_and_failures() {
        let (layer, _dir) = layer(true);
        let ttl = Some(Duration::from_secs(60));
        let answer = |body: &'static str| async move { Ok(Answer::ok("text/plain", body)) };
        assert_eq!(
            &*layer.cached(key("a", None), ttl, answer("1")).await.body,
            "1"
        );
        assert_eq!(
            &*layer.cached(key("a", None), ttl, answer("2")).await.body,
            "1"
        );
        // another reader, another query string: other entries
        assert_eq!(
            &*layer
                .cached(key("a", Some("alice")), ttl, answer("3"))
                .await
                .body,
            "3"
        );
        assert_eq!(
            &*layer.cached(key("b", None), ttl, answer("4")).await.body,
            "4"
        );
        // failures are answered but not kept
        let failed = layer
            .cached(key("c", None), ttl, async {
                Err(Answer::ok("text/plain", "err"))
            })
            .await;
        assert_eq!(&*failed.body, "err");
        assert_eq!(
            &*layer.cached(key("c", None), ttl, answer("5")).await.body,
            "5"
        );
        // no lifetime: never kept
        assert_eq!(
            &*layer.cached(key("d", None), None, answer("6")).await.body,
            "6"
        );
        assert_eq!(
            &*layer.cached(key("d", None), None, answer("7")).await.body,
            "7"
        );
        // entries expire after their own lifetime
        let short = Some(Duration::from_millis(50));
        assert_eq!(
            &*layer.cached(key("e", None), short, answer("8")).await.body,
            "8"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            &*layer.cached(key("e", None), short, answer("9")).await.body,
            "9"
        );
    }

    #[tokio::test]
    async fn disabled_cache_passes_through() {
        let (layer, _dir) = layer(false);
        assert!(!layer.caches());
        let ttl = Some(Duration::from_secs(60));
        let answer = |body: &'static str| async move { Ok(Answer::ok("text/plain", body)) };
        assert_eq!(
            &*layer.cached(key("a", None), ttl, answer("1")).await.body,
            "1"
        );
        assert_eq!(
            &*layer.cached(key("a", None), ttl, answer("2")).await.body,
            "2"
        );
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
