//! Where alerts and users live. One trait, [`Store`], with two implementations: the embedded
//! default ([`embedded`]) and Elasticsearch.
//!
//! Stores answer the typed questions of [`crate::domain`] exactly; the query layer
//! ([`crate::query`]) builds legacy and GraphQL answers from them.

use crate::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, Timestamp, User, UserName,
};
use crate::domain::{Attacker, AttackerQuery, DataDomain, TimeField, TimeRange};
use async_trait::async_trait;

pub mod connecting;
pub mod elastic;
pub mod embedded;

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or refused the operation for a reason a retry may cure.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A user with that name exists already.
    #[error("user {0} exists already")]
    UserExists(String),
    /// The stored data is not what this version understands.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
}

/// A statistics document as its producer wrote it (`UTCtimeFrom`, `UTCtimeTo`, `comm_*` …).
pub type StatisticsDocument = serde_json::Map<String, serde_json::Value>;

/// What one durable write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOutcome {
    /// Documents that did not exist before.
    pub created: usize,
    /// Documents that replaced one with the same id.
    pub replaced: usize,
    /// CVE copies stored (their `vulnid` was new).
    pub cve_copies: usize,
}

/// A set of writes committed together.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    /// Alerts to store; an alert replaces a stored one with the same id only when both have the
    /// same [`crate::domain::Submitter`], and is otherwise stored beside it under
    /// [`Alert::id_beside`].
    pub alerts: Vec<Alert>,
    /// CVE copies (document kind `CVE`), each stored only if no copy with its `vulnid` exists.
    pub cve_copies: Vec<Alert>,
}

/// A backend that stores alerts and users and answers the query layer's questions.
///
/// Every method is safe to call concurrently. [`Store::write`] returns only once the batch is
/// durable: what it acknowledged survives a crash of the process.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a batch durably, replacing the same sender's documents with the same id (see
    /// [`WriteBatch::alerts`]).
    async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, StoreError>;

    /// How many [`Store::write`] calls the batching writer may have under way at once.
    fn concurrent_writes(&self) -> usize;

    /// Answers quickly whether the store can read and write.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether a write is accepted now, proven by a small real write where the store can make
    /// one cheaply (the embedded store); others answer as [`Store::ping`]. Called every few
    /// seconds at most, never per request.
    async fn probe_write(&self) -> Result<(), StoreError> {
        self.ping().await
    }

    /// Number of matching alerts.
    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError>;

    /// The `limit` most frequent values of `field` among matching alerts, ranked by count
    /// descending then key ascending (see [`crate::domain::rank_terms`]); `label` is filled for
    /// the country fields.
    async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError>;

    /// The `limit` most tried username/password pairs among matching alerts with a non-empty
    /// username (an empty password counts as none), ranked by
    /// [`crate::domain::rank_credentials`].
    async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError>;

    /// Non-empty histogram buckets in ascending order.
    async fn histogram(&self, query: &HistogramQuery) -> Result<Vec<HistogramBucket>, StoreError>;

    /// A page of matching alerts, newest first (ties: id descending).
    async fn alerts(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError>;

    /// A page of matching alerts in the opposite order of [`Store::alerts`]: oldest first
    /// (ties: id ascending), continuing after `page.after` in that order, that is with the
    /// alerts listed before the cursor in [`Store::alerts`] (backward paging).
    async fn alerts_oldest_first(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError>;

    /// Alerts by id (missing ids are left out).
    async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError>;

    /// The ids of the newest `limit` alerts received at `since` or later (the cluster-wide
    /// live feed's poll). By default read from [`Store::alerts`]; a store that can list ids
    /// without reading whole alerts does so.
    async fn recent_alert_ids(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let page = AlertPage {
            filter: AlertFilter {
                received: TimeRange::since(since),
                ..AlertFilter::domain(DataDomain::All)
            },
            order_by: TimeField::Received,
            limit,
            after: None,
        };
        Ok(self
            .alerts(&page)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    /// Installations (by host name, or by target address when the host name is `undefined`)
    /// among matching alerts.
    async fn installations(&self, filter: &AlertFilter) -> Result<Vec<Installation>, StoreError>;

    /// The source addresses of matching alerts with their counts, first and last received
    /// times, honeypot types and ports, as [`crate::domain::AttackerRanking`] lists them.
    async fn attackers(&self, query: &AttackerQuery) -> Result<Vec<Attacker>, StoreError>;

    /// Pre-computed statistics documents whose `UTCtimeFrom` lies in `[from, to]` (both
    /// inclusive), ascending by `UTCtimeFrom`.
    async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError>;

    /// Stores statistics documents by id (imports), replacing documents with the same id.
    async fn write_statistics(
        &self,
        documents: Vec<(String, StatisticsDocument)>,
    ) -> Result<usize, StoreError>;

    /// A user by name.
    async fn user(&self, name: &UserName) -> Result<Option<User>, StoreError>;

    /// Adds a user; fails with [`StoreError::UserExists`] if the name is taken.
    async fn add_user(&self, user: &User) -> Result<(), StoreError>;

    /// Removes a user; `false` if there was none.
    async fn remove_user(&self, name: &UserName) -> Result<bool, StoreError>;

    /// All users, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// One step of retention: deletes alerts received before `before` with everything counted
    /// from them, and returns how many went. The embedded store deletes up to `limit` of them
    /// (oldest first) and, once none are left, the CVE copies received and the statistics
    /// starting before it; Elasticsearch deletes the daily indices holding only such alerts,
    /// then those CVE copies and statistics. Stores without retention refuse.
    async fn expire(&self, before: Timestamp, limit: usize) -> Result<usize, StoreError> {
        let _ = (before, limit);
        Err(StoreError::Unavailable(
            "this store does not apply retention".to_owned(),
        ))
    }

    /// Returns a step's worth of the space deleted alerts left to the file system; whether
    /// more is left. Stores that do not keep free space (Elasticsearch) have none.
    async fn release_space(&self) -> Result<bool, StoreError> {
        Ok(false)
    }
}
