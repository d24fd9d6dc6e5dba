//! The live feed of newly stored alerts: the ingest route publishes every alert once its batch
//! is durable, and each subscriber (GraphQL `alertAdded`) filters the feed for itself with
//! [`AlertFilter::matches`](crate::domain::AlertFilter::matches).

use crate::domain::Alert;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Alerts a slow subscriber may fall behind by before it skips ahead.
pub const FEED_CAPACITY: usize = 4096;

/// A broadcast of newly stored alerts. Cheap to clone; publishing never blocks ingest.
#[derive(Clone)]
pub struct AlertFeed {
    sender: broadcast::Sender<Arc<Alert>>,
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
        AlertFeed { sender }
    }

    /// Whether anybody listens (the ingest path copies alerts only then).
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Hands durable alerts to every subscriber.
    pub fn publish(&self, alerts: Vec<Alert>) {
        for alert in alerts {
            // An error only means that nobody listens any more.
            let _ = self.sender.send(Arc::new(alert));
        }
    }

    /// A new subscription, receiving alerts published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Alert>> {
        self.sender.subscribe()
    }
}
