//! The live feed behind `subscription alertAdded`: the ingest route publishes every alert once
//! its batch is durable, and each subscriber filters the feed for itself.

use crate::domain::{Alert, AlertFilter, TermField};
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

    /// Hands on those of `alerts` not published in the last minute (alerts read back from a
    /// cluster that other servers share).
    pub fn publish_unseen(&self, alerts: Vec<Alert>) {
        let unseen = alerts
            .into_iter()
            .filter(|alert| !self.published.contains_key(&alert.id))
            .collect();
        self.publish(unseen);
    }

    /// A new subscription, receiving alerts published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Alert>> {
        self.sender.subscribe()
    }
}

/// Whether `alert` satisfies `filter`, decided in memory the way the stores decide it.
pub fn matches(alert: &Alert, filter: &AlertFilter) -> bool {
    if !filter.domain.includes(alert.client_domain)
        || !filter.received.contains(alert.recieved_time)
        || !filter.created.contains(alert.create_time)
    {
        return false;
    }
    if let Some(net) = &filter.source_net
        && !net.contains(&alert.source_entry_ip)
    {
        return false;
    }
    filter
        .equals
        .iter()
        .all(|(field, value)| term_value(alert, *field).as_deref() == Some(value.as_str()))
}

/// The value an alert carries in a term field.
pub fn term_value(alert: &Alert, field: TermField) -> Option<String> {
    Some(match field {
        TermField::PeerType => alert.peer_type.clone(),
        TermField::PeerIdent => alert.peer_ident.clone(),
        TermField::SourceCountry => alert.country.clone(),
        TermField::TargetCountry => alert.target_country.clone(),
        TermField::SourceLocation => alert.location.clone(),
        TermField::TargetLocation => alert.location_destination.clone(),
        TermField::SourceIp => alert.source_entry_ip.to_string(),
        TermField::RequestString => alert.original_request_string.clone(),
        TermField::TargetPort => alert.target_entry_port.clone()?,
        TermField::Hostname => alert.hostname.clone(),
    })
}
