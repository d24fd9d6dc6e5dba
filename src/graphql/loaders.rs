//! Batch loaders: per-item data of alert lists (a sensor's recent alert count) is collected
//! for the whole list and fetched with one query-layer call per data domain, so that a page of
//! 500 alerts costs as many store calls as a page of one.

use crate::app::AppState;
use crate::domain::{AlertFilter, DataDomain, TermField, TimeField, TimeRange, Timestamp};
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use std::collections::HashMap;
use std::sync::Arc;

/// The window of a sensor's recent alert count.
pub const SENSOR_WINDOW_SECONDS: i64 = Timestamp::DAY;

/// A sensor in a data domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SensorKey {
    /// The domain its alerts are counted in.
    pub domain: DataDomain,
    /// Its id (`peerIdent`).
    pub sensor: String,
}

/// Loads the number of alerts each sensor sent in the last 24 hours (by receipt time).
pub struct SensorLoader {
    state: AppState,
}

impl Loader<SensorKey> for SensorLoader {
    type Value = u64;
    type Error = Arc<crate::store::StoreError>;

    async fn load(&self, keys: &[SensorKey]) -> Result<HashMap<SensorKey, u64>, Self::Error> {
        let now = self.state.clock.now();
        let since = now.plus_seconds(-SENSOR_WINDOW_SECONDS);
        let mut by_domain: HashMap<DataDomain, Vec<String>> = HashMap::new();
        for key in keys {
            by_domain
                .entry(key.domain)
                .or_default()
                .push(key.sensor.clone());
        }
        let mut out = HashMap::new();
        for (domain, sensors) in by_domain {
            let filter =
                AlertFilter::domain(domain).within(TimeField::Received, TimeRange::since(since));
            let counts = self
                .state
                .query
                .counts_for(&filter, TermField::PeerIdent, &sensors)
                .await
                .map_err(Arc::new)?;
            for sensor in sensors {
                let count = counts.get(&sensor).copied().unwrap_or(0);
                out.insert(SensorKey { domain, sensor }, count);
            }
        }
        Ok(out)
    }
}

/// The sensor loader of a request or connection.
pub type Sensors = DataLoader<SensorLoader, HashMapCache>;

/// The loaders of one request, batching and remembering within it.
pub fn for_request(state: &AppState) -> Sensors {
    DataLoader::with_cache(
        SensorLoader {
            state: state.clone(),
        },
        tokio::spawn,
        HashMapCache::default(),
    )
}

/// The loaders of one subscription connection: batching, but never remembering (counts
/// change between events).
pub fn for_connection(state: &AppState) -> Sensors {
    let loader = for_request(state);
    loader.enable_all_cache(false);
    loader
}

/// The key of an alert's sensor.
pub fn sensor_key(alert: &crate::domain::Alert) -> SensorKey {
    SensorKey {
        domain: alert.data_domain(),
        sensor: alert.peer_ident.clone(),
    }
}

/// Loads the sensor counts of a whole list at once when `selection` (the selection of one
/// list item) asks for them, so that the list costs one batch whatever the timing of its
/// items' resolvers (they then find the counts in the request's cache).
pub async fn prefetch_sensors(
    ctx: &async_graphql::Context<'_>,
    selection: async_graphql::Lookahead<'_>,
    alerts: &[Arc<crate::domain::Alert>],
) -> async_graphql::Result<()> {
    if alerts.is_empty()
        || !selection
            .field("sensor")
            .field("alertsLast24Hours")
            .exists()
    {
        return Ok(());
    }
    let loader = ctx.data::<Sensors>()?;
    loader
        .load_many(alerts.iter().map(|a| sensor_key(a)))
        .await
        .map_err(|e| super::errors::shared_store(&e))?;
    Ok(())
}
