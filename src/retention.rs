//! Retention (`retention_days`): a background task that deletes alerts received before the
//! window, in small steps with pauses between them, so ingest and reads keep their pace.

use crate::clock::Clock;
use crate::domain::Timestamp;
use crate::metrics::RetentionMetrics;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Alerts deleted per step (one short write transaction).
pub const STEP: usize = 250;
/// Pause between steps, leaving the writer to ingest.
const PAUSE: Duration = Duration::from_millis(20);
/// Time between passes.
const INTERVAL: Duration = Duration::from_secs(600);

/// Starts the retention task when `days` is not 0: a pass at once, then every ten minutes.
pub fn spawn(store: Arc<dyn Store>, clock: Clock, days: u32, metrics: RetentionMetrics) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            let before = clock.now().plus_seconds(-i64::from(days) * Timestamp::DAY);
            match pass(store.as_ref(), before).await {
                Ok(deleted) => {
                    metrics.deleted_alerts.inc_by(deleted as u64);
                    metrics.passes.inc();
                }
                Err(e) => tracing::warn!(error = %e, "retention pass failed; trying again later"),
            }
            tokio::time::sleep(INTERVAL).await;
        }
    });
}

/// Deletes every alert received before `before`, step by step; returns how many went.
pub async fn pass(store: &dyn Store, before: Timestamp) -> Result<usize, StoreError> {
    let started = Instant::now();
    let mut deleted = 0;
    loop {
        let step = store.expire(before, STEP).await?;
        deleted += step;
        if step < STEP {
            break;
        }
        tokio::time::sleep(PAUSE).await;
    }
    // The space the deleted alerts took goes back to the file system, step by step as well.
    while store.release_space().await? {
        tokio::time::sleep(PAUSE).await;
    }
    if deleted > 0 {
        tracing::info!(
            deleted,
            before = %before.format_legacy(),
            seconds = started.elapsed().as_secs_f64(),
            "retention deleted alerts received before the window"
        );
    }
    Ok(deleted)
}
