//! The live feed across servers that share one cluster: while anybody on this server
//! subscribes, one task tails the alerts the cluster received in the last seconds and publishes
//! those this server has not published itself (alerts posted to the other servers). One query
//! per poll, whatever the number of subscribers; nothing at all while nobody listens.

use crate::clock::Clock;
use crate::domain::{AlertCursor, AlertFilter, AlertPage, DataDomain, TimeField, TimeRange};
use crate::graphql::live::AlertFeed;
use crate::query::QueryLayer;
use std::sync::Arc;
use std::time::Duration;

/// How often the cluster is asked for new alerts.
pub const POLL_EVERY: Duration = Duration::from_millis(500);
/// How far back each poll looks: an alert becomes searchable only after the next refresh
/// (a second by default), and the servers' clocks may differ a little.
pub const LOOKBACK_SECONDS: i64 = 5;
/// Alerts read per page, and the most pages per poll (a busier cluster than that feeds the
/// newest alerts; the feed skips ahead for slow subscribers anyway).
const PAGE: usize = 1000;
const MAX_PAGES: usize = 4;

/// Starts tailing the cluster into `feed`.
pub fn spawn(query: Arc<QueryLayer>, feed: AlertFeed, clock: Clock) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            if !feed.is_watched() {
                continue;
            }
            match recent_alerts(&query, clock).await {
                Ok(mut alerts) => {
                    failing = false;
                    alerts.reverse();
                    feed.publish_unseen(alerts);
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

/// Every alert received in the look-back window, newest first.
async fn recent_alerts(
    query: &QueryLayer,
    clock: Clock,
) -> Result<Vec<crate::domain::Alert>, crate::store::StoreError> {
    let since = clock.now().plus_seconds(-LOOKBACK_SECONDS);
    let mut page = AlertPage {
        filter: AlertFilter {
            received: TimeRange::since(since),
            ..AlertFilter::domain(DataDomain::All)
        },
        order_by: TimeField::Received,
        limit: PAGE,
        after: None,
    };
    let mut alerts = Vec::new();
    for _ in 0..MAX_PAGES {
        let batch = query.alerts_page(&page).await?;
        let full = batch.len() == PAGE;
        page.after = batch.last().map(|last| AlertCursor {
            time: last.recieved_time,
            id: last.id.clone(),
        });
        alerts.extend(batch);
        if !full {
            break;
        }
    }
    Ok(alerts)
}
