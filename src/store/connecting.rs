//! A store that is not there yet: `peba serve` starts while its search cluster is still
//! unreachable, answers every operation with [`StoreError::Unavailable`] (ingest 503, reads
//! their error forms, heartbeats "store down"), and keeps connecting in the background with
//! growing pauses until the cluster answers; from then on every call goes to the real store.

use crate::domain::{
    Alert, AlertFilter, AlertPage, CredentialCount, HistogramBucket, HistogramQuery, Installation,
    TermCount, TermField, Timestamp, User, UserName,
};
use crate::domain::{Attacker, AttackerQuery};
use crate::store::{StatisticsDocument, Store, StoreError, WriteBatch, WriteOutcome};
use async_trait::async_trait;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// First pause between connection attempts; it doubles after each failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest pause between connection attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// A [`Store`] that becomes the store `connect` returns once a connection attempt succeeds.
pub struct ConnectingStore {
    ready: Arc<OnceLock<Arc<dyn Store>>>,
    target: String,
    concurrent_writes: usize,
}

impl ConnectingStore {
    /// Starts connecting in the background (on the current tokio runtime): `connect` is called
    /// until it succeeds, with pauses from 1 s doubling up to 30 s. `target` names what is
    /// connected to in errors; `concurrent_writes` is what the connected store will allow.
    pub fn spawn<F, Fut>(target: String, concurrent_writes: usize, connect: F) -> ConnectingStore
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Arc<dyn Store>, StoreError>> + Send + 'static,
    {
        let ready: Arc<OnceLock<Arc<dyn Store>>> = Arc::new(OnceLock::new());
        let slot = Arc::downgrade(&ready);
        let name = target.clone();
        tokio::spawn(async move {
            let mut pause = FIRST_RETRY;
            loop {
                tokio::time::sleep(pause).await;
                if slot.strong_count() == 0 {
                    return;
                }
                match connect().await {
                    Ok(store) => {
                        if let Some(slot) = slot.upgrade() {
                            let _ = slot.set(store);
                            tracing::info!(target = %name, "store reached; serving normally");
                        }
                        return;
                    }
                    Err(error) => {
                        pause = (pause * 2).min(LONGEST_RETRY);
                        tracing::warn!(target = %name, %error, retry_in_s = pause.as_secs(), "store still unreachable");
                    }
                }
            }
        });
        ConnectingStore {
            ready,
            target,
            concurrent_writes,
        }
    }

    fn store(&self) -> Result<&Arc<dyn Store>, StoreError> {
        self.ready.get().ok_or_else(|| {
            StoreError::Unavailable(format!("{} has not been reached yet", self.target))
        })
    }
}

#[async_trait]
impl Store for ConnectingStore {
    async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome, StoreError> {
        self.store()?.write(batch).await
    }

    fn concurrent_writes(&self) -> usize {
        self.concurrent_writes
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.store()?.ping().await
    }

    async fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        self.store()?.count(filter).await
    }

    async fn terms(
        &self,
        filter: &AlertFilter,
        field: TermField,
        limit: usize,
    ) -> Result<Vec<TermCount>, StoreError> {
        self.store()?.terms(filter, field, limit).await
    }

    async fn credentials(
        &self,
        filter: &AlertFilter,
        limit: usize,
    ) -> Result<Vec<CredentialCount>, StoreError> {
        self.store()?.credentials(filter, limit).await
    }

    async fn histogram(&self, query: &HistogramQuery) -> Result<Vec<HistogramBucket>, StoreError> {
        self.store()?.histogram(query).await
    }

    async fn alerts(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        self.store()?.alerts(page).await
    }

    async fn alerts_oldest_first(&self, page: &AlertPage) -> Result<Vec<Alert>, StoreError> {
        self.store()?.alerts_oldest_first(page).await
    }

    async fn attackers(&self, query: &AttackerQuery) -> Result<Vec<Attacker>, StoreError> {
        self.store()?.attackers(query).await
    }

    async fn alerts_by_id(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        self.store()?.alerts_by_id(ids).await
    }

    async fn recent_alert_ids(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.store()?.recent_alert_ids(since, limit).await
    }

    async fn installations(&self, filter: &AlertFilter) -> Result<Vec<Installation>, StoreError> {
        self.store()?.installations(filter).await
    }

    async fn statistics(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StatisticsDocument>, StoreError> {
        self.store()?.statistics(from, to).await
    }

    async fn write_statistics(
        &self,
        documents: Vec<(String, StatisticsDocument)>,
    ) -> Result<usize, StoreError> {
        self.store()?.write_statistics(documents).await
    }

    async fn user(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        self.store()?.user(name).await
    }

    async fn add_user(&self, user: &User) -> Result<(), StoreError> {
        self.store()?.add_user(user).await
    }

    async fn remove_user(&self, name: &UserName) -> Result<bool, StoreError> {
        self.store()?.remove_user(name).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.store()?.users().await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        self.store()?.probe_write().await
    }

    async fn expire(&self, before: Timestamp, limit: usize) -> Result<usize, StoreError> {
        self.store()?.expire(before, limit).await
    }

    async fn release_space(&self) -> Result<bool, StoreError> {
        self.store()?.release_space().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::EmbeddedStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn unavailable_until_connected_then_delegates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let attempts = Arc::new(AtomicUsize::new(0));
        let counted = attempts.clone();
        let store = ConnectingStore::spawn("the test store".to_owned(), 2, move || {
            let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
            let path = path.clone();
            async move {
                if first {
                    Err(StoreError::Unavailable("not yet".to_owned()))
                } else {
                    Ok(Arc::new(EmbeddedStore::open(&path)?) as Arc<dyn Store>)
                }
            }
        });
        assert_eq!(store.concurrent_writes(), 2);
        let error = store.ping().await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the test store has not been reached yet")
        );
        // The first attempt after 1 s fails; the next comes 2 s later.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert!(store.users().await.is_err());
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        store.ping().await.expect("connected");
        assert_eq!(store.users().await.unwrap(), Vec::new());
    }
}
