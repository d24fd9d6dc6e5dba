//! The live feed across servers that share one cluster: while anybody on this server
//! subscribes, one task polls the ids of the alerts the cluster received in the last seconds
//! (ids only, no documents), then reads and publishes only the alerts this server has not
//! published itself (alerts posted to the other servers). Two small queries per poll, whatever
//! the number of subscribers; nothing at all while nobody listens.

use super::AlertFeed;
use crate::clock::Clock;
use crate::domain::Alert;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// How often the cluster is asked for new alerts.
pub const POLL_EVERY: Duration = Duration::from_millis(500);
/// How far back each poll looks: an alert becomes searchable only after the next refresh
/// (a second by default), and the servers' clocks may differ a little.
pub const LOOKBACK_SECONDS: i64 = 5;
/// Most ids read per poll (a busier cluster than that feeds the newest alerts; the feed skips
/// ahead for slow subscribers anyway).
const MAX_IDS: usize = 4000;

/// Starts tailing the cluster into `feed`.
pub fn spawn(store: Arc<dyn Store>, feed: AlertFeed, clock: Clock) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            if !feed.is_watched() {
                continue;
            }
            match unpublished_alerts(store.as_ref(), &feed, clock).await {
                Ok(alerts) => {
                    failing = false;
                    feed.publish(alerts);
                }
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "live feed: cannot read new alerts from the cluster; retrying");
                }
                Err(_) => {}
            }
        }
    });
}

/// The alerts received in the look-back window that `feed` has not published, oldest first.
async fn unpublished_alerts(
    store: &dyn Store,
    feed: &AlertFeed,
    clock: Clock,
) -> Result<Vec<Alert>, StoreError> {
    let since = clock.now().plus_seconds(-LOOKBACK_SECONDS);
    let ids = feed.unpublished(store.recent_alert_ids(since, MAX_IDS).await?);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut alerts = store.alerts_by_id(&ids).await?;
    alerts.sort_by(|a, b| {
        a.recieved_time
            .cmp(&b.recieved_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(alerts)
}
