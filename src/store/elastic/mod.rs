//! The Elasticsearch backend of [`Store`], compatible with the index layout of PEBA's clusters
//! (legacy-api §4): daily alert indices `<prefix>-<yyyy.MM.dd>-<n>` behind a write alias, read
//! through `<prefix>-*`; `ewscve`, `users` and `statistics` beside them.
//!
//! Works with Elasticsearch 7.10+, 8.x and OpenSearch 2.x: requests are plain JSON (no
//! compatibility media types, no product headers), templates are composable
//! (`_index_template`), histograms use `fixed_interval`, and nothing sorts on `_id`.
//!
//! # Choices
//!
//! - **Acknowledgement.** A write succeeds only when the `_bulk` answer reports every item
//!   stored; any failed item (or a transport error, timeout, 429 or 5xx) fails the whole batch,
//!   so ewsposter is answered 503 and resends; ids make the resend idempotent.
//! - **Visibility.** Alert writes do not wait for a refresh: the `_bulk` answer comes once
//!   the cluster has fsynced its translog (`index.translog.durability: request`, set in every
//!   index this store creates), so what it confirms survives a crash, and the alerts become
//!   searchable with the index's periodic refresh (1 s by default). Waiting for that refresh
//!   would only delay the acknowledgement. User changes wait for it (`refresh=wait_for`: a
//!   user added is found at once), and new CVE copies force it (the next batch's `vulnid`
//!   check must see them; new CVEs are rare).
//! - **Daily indices.** Every write first makes sure the write alias points to an index of the
//!   current UTC day; when the day has changed, the store rolls the alias over explicitly (no
//!   `max_age` condition, no background job) to `<prefix>-<yyyy.MM.dd>-<n+1>`. Concurrent
//!   writers agree on the target name, so exactly one rollover happens (see [`rollover`]).
//! - **Indices read.** Alert queries search `<prefix>-*` with `pre_filter_shard_size=1`: the
//!   cluster first skips every shard whose `recievedTime`/`createTime` range cannot match the
//!   window (the "can match" phase reads each shard's minimum and maximum of the field), so
//!   only the daily indices a window needs are actually searched, and a query without a time
//!   window searches them all, as it must. Lists of per-day names computed from the clock were
//!   considered and rejected: they are not exact, because an index named for a day holds
//!   whatever the alias received while it was the write index (late alerts whose `createTime`
//!   lies days back, retries after midnight, imports of old data, PEBA's own indices written
//!   in local time), so a name list would silently miss alerts, and the contract is that
//!   answers equal a search of all indices (the conformance suite checks exactly that;
//!   `tests/elastic_store.rs` checks that a one-day window over three daily indices skips
//!   two of them).
//!   Missing indices are not errors.
//! - **Upserts across days.** An alert id may already exist in an older daily index (a retry
//!   after midnight). Within the write index the bulk `index` action replaces by id; only the
//!   alerts created before the write index's day began (plus an hour for sensor clocks running
//!   ahead) can have a copy elsewhere, so only their ids are looked up across `<prefix>-*`,
//!   restricted to alerts received since the earliest of them was created (the cluster skips
//!   every other daily index before searching). A document re-written into the current index
//!   counts as replaced, and its older copies are deleted, so an id is stored once. After a
//!   rollover the store refreshes the previous index, so its last writes are found.
//! - **Listing order.** Sorting on `_id` is refused by recent Elasticsearch. Listings sort on
//!   the time field only and ask for one alert more than the page needs: when that extra alert
//!   lies in a later second, the answer holds every alert of the page's last second, which are
//!   ordered by id locally (one search per page, as PEBA sends). Otherwise all alerts of that
//!   second are fetched with a second search; so are the cursor's second's. Pages are exact and
//!   never skip or repeat an alert. At most 10 000 alerts may share one second of a listing.
//! - **Answers** are read straight into serde types where they are large or frequent (search
//!   hits, bulk results, see [`answer`]); bulk answers are cut to the fields read
//!   (`filter_path`), and no answer is gzip-compressed (see [`http`]).
//! - **Exact rankings.** Terms aggregations rank by count descending then key ascending with a
//!   generous `shard_size`. If the cluster reports a possible count error, or (for `ip` keys,
//!   which the cluster orders binarily, not as text) ties may straddle the cut-off, the store
//!   asks again for every term down to the cut-off count, and as a last resort pages through a
//!   `composite` aggregation, so rankings equal the embedded store's.
//! - **Labels** are the smallest label among a bucket's alerts (a `terms` sub-aggregation of
//!   size 1 ordered by key), as the embedded store chooses them.
//! - **Field names** are read from the mappings (see [`layout`]): `x` in explicitly mapped
//!   indices, `x.keyword` in dynamically mapped ones (V2017, `users`). Dynamically mapped
//!   `.keyword` sub-fields ignore values longer than 256 characters, so such values neither
//!   match filters nor form buckets there. Likewise every keyword field of the indices this
//!   store creates or writes to carries `ignore_above: 8191` (see [`layout::KEYWORD_LIMIT`]):
//!   Lucene refuses values over 32 766 bytes, and such a refused document would fail its batch
//!   on every retry. Longer values are stored and read back unchanged, but neither match
//!   filters nor form buckets (the embedded store has no such limit).

mod answer;
mod attackers;
mod engine;
mod http;
mod layout;
mod query;
mod rankings;
mod read;
mod retention;
mod rollover;
mod users;
mod write;

use crate::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, Timestamp, User, UserName,
};
use crate::domain::{Attacker, AttackerQuery, DerivedField};
use crate::store::{StatisticsDocument, Store, StoreError, WriteBatch, WriteOutcome};
use async_trait::async_trait;
use elasticsearch::http::Method;
use engine::EngineCell;
use http::Http;
use layout::FieldLayout;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the cluster is and how its indices are named.
#[derive(Debug, Clone)]
pub struct ElasticConfig {
    /// `http(s)://host:port`, or PEBA's `host:port` (then `http://`).
    pub url: String,
    /// `user:password` for basic authentication.
    pub http_auth: Option<SecretString>,
    /// Bound on every request.
    pub timeout: Duration,
    /// The alias alerts are written to (`ews2017.1`).
    pub alert_write_alias: String,
    /// The prefix of the daily alert indices read as `<prefix>-*` (`ews`).
    pub alert_read_prefix: String,
    /// The CVE copies (`ewscve`).
    pub cve_index: String,
    /// The users (`users`).
    pub user_index: String,
    /// The pre-computed statistics (`statistics`).
    pub statistic_index: String,
    /// Shards and replicas of the indices the store creates.
    pub index_shape: IndexShape,
}

/// Shards and replicas of every index the store creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexShape {
    /// Primary shards per index.
    pub shards: u32,
    /// Replicas of each shard.
    pub replicas: Replicas,
}

impl Default for IndexShape {
    /// One shard, no replica on a single node and one as soon as the cluster has two nodes.
    fn default() -> Self {
        IndexShape {
            shards: 1,
            replicas: Replicas::AutoExpand {
                min: 0,
                max: Some(1),
            },
        }
    }
}

/// How many replicas an index keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicas {
    /// Always this many (`index.number_of_replicas`).
    Fixed(u32),
    /// Between `min` and `max` (or every other node) as the cluster's size allows
    /// (`index.auto_expand_replicas`).
    AutoExpand { min: u32, max: Option<u32> },
}

/// A replica count that is not a number, `min-max` or `min-all`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a number of replicas, `min-max` or `min-all`, not {0:?}")]
pub struct ReplicasError(String);

impl std::str::FromStr for Replicas {
    type Err = ReplicasError;

    /// `2`, `0-1` or `0-all`.
    fn from_str(text: &str) -> Result<Self, ReplicasError> {
        let expected = || ReplicasError(text.to_owned());
        let number = |t: &str| t.trim().parse::<u32>().map_err(|_| expected());
        match text.split_once('-') {
            None => number(text).map(Replicas::Fixed),
            Some((min, "all")) => Ok(Replicas::AutoExpand {
                min: number(min)?,
                max: None,
            }),
            Some((min, max)) => {
                let (min, max) = (number(min)?, number(max)?);
                if min > max {
                    return Err(expected());
                }
                Ok(Replicas::AutoExpand {
                    min,
                    max: Some(max),
                })
            }
        }
    }
}

impl std::fmt::Display for Replicas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Replicas::Fixed(n) => write!(f, "{n}"),
            Replicas::AutoExpand {
                min,
                max: Some(max),
            } => write!(f, "{min}-{max}"),
            Replicas::AutoExpand { min, max: None } => write!(f, "{min}-all"),
        }
    }
}

impl Default for ElasticConfig {
    fn default() -> Self {
        ElasticConfig {
            url: "http://127.0.0.1:9200".to_owned(),
            http_auth: None,
            timeout: Duration::from_secs(10),
            alert_write_alias: "ews2017.1".to_owned(),
            alert_read_prefix: "ews".to_owned(),
            cve_index: "ewscve".to_owned(),
            user_index: "users".to_owned(),
            statistic_index: "statistics".to_owned(),
            index_shape: IndexShape::default(),
        }
    }
}

impl ElasticConfig {
    /// The configuration for `url` with PEBA's index names.
    pub fn new(url: impl Into<String>) -> Self {
        ElasticConfig {
            url: url.into(),
            ..Default::default()
        }
    }

    /// The pattern alert reads use: `<prefix>-*`.
    pub fn alert_read_pattern(&self) -> String {
        format!("{}-*", self.alert_read_prefix)
    }
}

/// [`Store::concurrent_writes`] of the Elasticsearch store.
pub const CONCURRENT_WRITES: usize = 8;

/// How long a complete field layout is trusted before the mappings are read again.
const LAYOUT_TTL: Duration = Duration::from_secs(300);

/// A field layout read from the mappings of some indices, refreshed when stale.
struct LayoutCache {
    indices: String,
    fields: &'static [&'static str],
    engine: EngineCell,
    cached: Mutex<Option<(Instant, FieldLayout)>>,
}

impl LayoutCache {
    fn new(indices: String, fields: &'static [&'static str], engine: &EngineCell) -> Self {
        LayoutCache {
            indices,
            fields,
            engine: engine.clone(),
            cached: Mutex::new(None),
        }
    }

    async fn get(&self, http: &Http) -> Result<FieldLayout, StoreError> {
        if let Ok(guard) = self.cached.lock()
            && let Some((at, layout)) = guard.as_ref()
            && !layout.incomplete
            && at.elapsed() < LAYOUT_TTL
        {
            return Ok(layout.clone());
        }
        let path = format!(
            "{}/_mapping/field/{}",
            self.indices,
            layout::field_mapping_query(self.fields)
        );
        let answer = http
            .ok(
                Method::Get,
                &path,
                &[("ignore_unavailable", "true"), ("allow_no_indices", "true")],
                None,
            )
            .await;
        let answer = match answer {
            Ok(a) => a,
            // Nothing to read yet: every field keeps its plain name.
            Err(StoreError::Unavailable(msg)) if msg.contains("HTTP 404") => json!({}),
            Err(e) => return Err(e),
        };
        let doc_values_queries = self.engine.get(http).await?.queries_doc_values();
        let layout = FieldLayout::from_field_mappings(&answer, self.fields, doc_values_queries);
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((Instant::now(), layout.clone()));
        }
        Ok(layout)
    }
}

/// The Elasticsearch-backed [`Store`].
pub struct ElasticStore {
    http: Http,
    config: ElasticConfig,
    alerts_layout: LayoutCache,
    cve_layout: LayoutCache,
    users_layout: LayoutCache,
    stats_layout: LayoutCache,
    /// The cluster's engine and version.
    engine: EngineCell,
    /// The write index last found current, and its date (see [`rollover`]).
    daily: Mutex<Option<(String, chrono::NaiveDate)>>,
}

impl std::fmt::Debug for ElasticStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticStore")
            .field("url", &self.config.url)
            .field("alert_write_alias", &self.config.alert_write_alias)
            .field("alert_read_prefix", &self.config.alert_read_prefix)
            .finish()
    }
}

const SEARCH_PARAMS: &[(&str, &str)] = &[
    ("ignore_unavailable", "true"),
    ("allow_no_indices", "true"),
    ("pre_filter_shard_size", "1"),
];

impl ElasticStore {
    /// Connects: checks that the cluster answers, creates the alert index template, the first
    /// daily index behind the write alias, and the CVE, users and statistics indices when they
    /// are missing.
    pub async fn connect(config: ElasticConfig) -> Result<ElasticStore, StoreError> {
        let http = Http::new(
            &config.url,
            config.http_auth.as_ref().map(|auth| auth.expose_secret()),
            config.timeout,
        )?;
        let engine = EngineCell::default();
        let store = ElasticStore {
            alerts_layout: LayoutCache::new(
                config.alert_read_pattern(),
                query::ALERT_FIELDS,
                &engine,
            ),
            cve_layout: LayoutCache::new(
                config.cve_index.clone(),
                &["vulnid", "recievedTime"],
                &engine,
            ),
            users_layout: LayoutCache::new(config.user_index.clone(), &["peerName"], &engine),
            stats_layout: LayoutCache::new(
                config.statistic_index.clone(),
                &["UTCtimeFrom"],
                &engine,
            ),
            engine,
            daily: Mutex::new(None),
            http,
            config,
        };
        let info = store.http.ok(Method::Get, "", &[], None).await?;
        store.engine.learn(&info);
        tracing::info!(
            distribution = info["version"]["distribution"]
                .as_str()
                .unwrap_or("elasticsearch"),
            version = info["version"]["number"].as_str().unwrap_or("?"),
            "connected to the search cluster"
        );
        store.ensure_layout().await?;
        Ok(store)
    }

    /// The configuration in use.
    pub fn config(&self) -> &ElasticConfig {
        &self.config
    }

    async fn exists(&self, path: &str) -> Result<bool, StoreError> {
        let answer = self.http.request(Method::Head, path, &[], None).await?;
        match answer.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            status => Err(StoreError::Unavailable(format!(
                "Elasticsearch answered HEAD /{path} with HTTP {status}"
            ))),
        }
    }

    /// Creates an index unless it exists (a concurrent creation is fine).
    async fn create_index(&self, name: &str, body: &Value) -> Result<(), StoreError> {
        let answer = self
            .http
            .request(Method::Put, name, &[], Some(body.to_string()))
            .await?;
        let already =
            answer.body["error"]["type"].as_str() == Some("resource_already_exists_exception");
        if answer.is_success() || already {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "cannot create index {name}: HTTP {}: {}",
                answer.status, answer.body
            )))
        }
    }

    async fn ensure_layout(&self) -> Result<(), StoreError> {
        let c = &self.config;
        let template = format!("_index_template/peba-{}", c.alert_read_prefix);
        let found = self.http.request(Method::Get, &template, &[], None).await?;
        if found.status == 404 {
            self.http
                .json(
                    Method::Put,
                    &template,
                    &[],
                    &layout::alert_template(&c.alert_read_prefix, c.index_shape),
                )
                .await?;
        } else if !found.is_success() {
            return Err(StoreError::Unavailable(format!(
                "cannot read index template {template}: HTTP {}",
                found.status
            )));
        }
        if !self.exists(&c.alert_write_alias).await? {
            self.create_first_index(rollover::today()).await?;
        }
        if !self.exists(&c.cve_index).await? {
            let body = json!({"settings": layout::index_settings(c.index_shape),
                              "mappings": layout::alert_mapping(true)});
            self.create_index(&c.cve_index, &body).await?;
        }
        if !self.exists(&c.user_index).await? {
            let body = json!({"settings": layout::index_settings(c.index_shape),
                              "mappings": layout::users_mapping()});
            self.create_index(&c.user_index, &body).await?;
        }
        if !self.exists(&c.statistic_index).await? {
            let body = json!({"settings": layout::index_settings(c.index_shape),
                              "mappings": layout::statistics_mapping()});
            self.create_index(&c.statistic_index, &body).await?;
        }
        Ok(())
    }

    /// Searches `index` (missing indices are no error), reading the answer as `T`.
    async fn search_as<T: DeserializeOwned>(
        &self,
        index: &str,
        body: &Value,
    ) -> Result<T, StoreError> {
        self.http
            .ok_as(
                Method::Post,
                &format!("{index}/_search"),
                SEARCH_PARAMS,
                Some(body.to_string()),
            )
            .await
    }

    /// Searches `index` (missing indices are no error).
    async fn search(&self, index: &str, body: &Value) -> Result<Value, StoreError> {
        self.search_as(index, body).await
    }

    /// Searches the alert indices.
    async fn search_alerts(&self, body: &Value) -> Result<Value, StoreError> {
        self.search(&self.config.alert_read_pattern(), body).await
    }

    /// Searches the alert indices for whole alerts, each `_source` kept as raw JSON.
    async fn search_alert_hits(
        &self,
        body: &Value,
    ) -> Result<answer::SearchHits<Box<RawValue>>, StoreError> {
        self.search_as(&self.config.alert_read_pattern(), body)
            .await
    }
}

#[async_trait]
impl Store for ElasticStore {
    async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, StoreError> {
        write::write(self, batch).await
    }

    /// Several bulk requests under way keep the node's write threads busy.
    fn concurrent_writes(&self) -> usize {
        CONCURRENT_WRITES
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let health = self
            .http
            .ok(Method::Get, "_cluster/health", &[("timeout", "2s")], None)
            .await?;
        if health["status"].as_str() == Some("red") {
            return Err(StoreError::Unavailable(
                "the search cluster's health is red".to_owned(),
            ));
        }
        if !self.exists(&self.config.alert_write_alias).await? {
            return Err(StoreError::Unavailable(format!(
                "the alert write alias {} is missing",
                self.config.alert_write_alias
            )));
        }
        Ok(())
    }

    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        read::count(self, filter).await
    }

    async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        read::terms(self, filter, field, limit).await
    }

    async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError> {
        rankings::credentials(self, filter, limit).await
    }

    async fn derived_terms(
        &self,
        filter: &AlertFilter,
        field: DerivedField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        rankings::derived_terms(self, filter, field, limit).await
    }

    async fn histogram(&self, query: &HistogramQuery) -> Result<Vec<HistogramBucket>, StoreError> {
        read::histogram(self, query).await
    }

    async fn alerts(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        read::alerts(self, page, read::Order::NewestFirst).await
    }

    async fn alerts_oldest_first(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        read::alerts(self, page, read::Order::OldestFirst).await
    }

    async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        read::alerts_by_id(self, ids).await
    }

    /// Ids only: the hits carry no `_source`.
    async fn recent_alert_ids(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        read::recent_alert_ids(self, since, limit).await
    }

    async fn installations(&self, filter: &AlertFilter) -> Result<Vec<Installation>, StoreError> {
        read::installations(self, filter).await
    }

    async fn attackers(&self, query: &AttackerQuery) -> Result<Vec<Attacker>, StoreError> {
        attackers::attackers(self, query).await
    }

    async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError> {
        users::statistics(self, from, to).await
    }

    async fn write_statistics(
        &self,
        documents: Vec<(String, StatisticsDocument)>,
    ) -> Result<usize, StoreError> {
        users::write_statistics(self, documents).await
    }

    async fn user(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        users::user(self, name).await
    }

    async fn add_user(&self, user: &User) -> Result<(), StoreError> {
        users::add_user(self, user).await
    }

    async fn remove_user(&self, name: &UserName) -> Result<bool, StoreError> {
        users::remove_user(self, name).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        users::users(self).await
    }

    /// Whole daily indices at a time, then CVE copies and statistics (see [`retention`]);
    /// `limit` does not apply.
    async fn expire(&self, before: Timestamp, _limit: usize) -> Result<usize, StoreError> {
        ElasticStore::expire(self, before).await
    }
}
