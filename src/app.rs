//! The shared state every HTTP handler sees, and how it is assembled from the settings.

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::Settings;
use crate::ingest::{BatchWriter, GeoIp, WriterLimits};
use crate::query::QueryLayer;
use crate::store::Store;
use crate::store::embedded::EmbeddedStore;
use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in force.
    pub settings: Arc<Settings>,
    /// The alert and user store (writes and users; reads go through `query`).
    pub store: Arc<dyn Store>,
    /// The query layer every read goes through.
    pub query: Arc<QueryLayer>,
    /// Credential checks.
    pub auth: Arc<Authenticator>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// GeoIP enrichment of ingested alerts.
    pub geoip: Arc<GeoIp>,
    /// The group-commit writer of the ingest path.
    pub writer: Arc<BatchWriter>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A GeoIP database could not be read.
    #[error("cannot open the GeoIP databases: {0}")]
    GeoIp(String),
    /// The Elasticsearch backend was selected.
    #[error(
        "elasticsearch_host is set ({0}), but this build supports only the embedded store; unset PEBA_ELASTICSEARCH_HOST"
    )]
    ElasticsearchUnsupported(String),
}

/// Opens the store the settings select.
pub fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    if let Some(host) = &settings.elasticsearch_host {
        return Err(StartupError::ElasticsearchUnsupported(host.clone()));
    }
    Ok(Arc::new(EmbeddedStore::open(&settings.data_dir)?))
}

impl AppState {
    /// Assembles the state; must run inside a tokio runtime (it starts the writer task).
    pub fn build(settings: Settings) -> Result<AppState, StartupError> {
        let store = open_store(&settings)?;
        let geoip = GeoIp::open(
            settings.geoip_city.as_deref(),
            settings.geoip_asn.as_deref(),
        )
        .map_err(|e| StartupError::GeoIp(e.to_string()))?;
        let auth = Authenticator::new(
            store.clone(),
            settings.community_user.clone(),
            settings.community_token.clone(),
            settings.enforce_user_flags,
        );
        Ok(AppState {
            clock: settings.frozen_clock.map_or(Clock::System, Clock::Frozen),
            writer: Arc::new(BatchWriter::spawn(store.clone(), WriterLimits::default())),
            geoip: Arc::new(geoip),
            query: Arc::new(QueryLayer::new(store.clone(), settings.cache)),
            auth: Arc::new(auth),
            store,
            settings: Arc::new(settings),
        })
    }
}
