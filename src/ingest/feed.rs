//! The live feed of newly stored alerts: the ingest route publishes every alert once its batch
//! is durable, and each subscriber (GraphQL `alertAdded`) filters the feed for itself with
//! [`AlertFilter::matches`](crate::domain::AlertFilter::matches).

use crate::domain::Alert;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Alerts a slow subscriber may fall behind by before it skips ahead.
pub const FEED_CAPACITY: usize = 4096;

/// How long a published alert's id is remembered, so that the same alert read back from a
/// shared cluster is not published twice.
const REMEMBER_PUBLISHED: Duration = Duration::from_secs(60);
/// Most ids remembered at once.
const REMEMBER_AT_MOST: u64 = 200_000;

/// A broadcast of newly stored alerts. Cheap to clone; publishing never blocks ingest.
#[derive(Clone)]
pub struct AlertFeed {
    sender: broadcast::Sender<Arc<Alert>>,
    published: moka::sync::Cache<String, ()>,
}

impl Default for AlertFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl AlertFeed {
    /// A feed without subscribers.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(FEED_CAPACITY);
        let published = moka::sync::Cache::builder()
            .max_capacity(REMEMBER_AT_MOST)
            .time_to_live(REMEMBER_PUBLISHED)
            .build();
        AlertFeed { sender, published }
    }

    /// Whether anybody listens (the ingest path copies alerts only then).
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Hands durable alerts to every subscriber.
    pub fn publish(&self, alerts: Vec<Alert>) {
        for alert in alerts {
            self.published.insert(alert.id.clone(), ());
            // An error only means that nobody listens any more.
            let _ = self.sender.send(Arc::new(alert));
        }
    }

    /// Those of `ids` not published in the last minute (ids read back from a cluster that
    /// other servers share).
    pub fn unpublished(&self, ids: Vec<String>) -> Vec<String> {
        ids.into_iter()
            .filter(|id| !self.published.contains_key(id))
            .collect()
    }

    /// A new subscription, receiving alerts published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Alert>> {
        self.sender.subscribe()
    }
}
