//! The shared state every HTTP handler sees, and how it is assembled from the settings.

use crate::auth::Authenticator;
use crate::auth::tokens::{JwtKeys, TokenKeyError};
use crate::clock::Clock;
use crate::compat::cache::AnswerCache;
use crate::config::Settings;
use crate::ingest::{AlertFeed, BatchWriter, GeoIp, WriterLimits};
use crate::metrics::Metrics;
use crate::query::QueryLayer;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::store::connecting::ConnectingStore;
use crate::store::elastic::{ElasticConfig, ElasticStore, IndexShape};
use crate::store::embedded::EmbeddedStore;
use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in force.
    pub settings: Arc<Settings>,
    /// The query layer every read goes through.
    pub query: Arc<QueryLayer>,
    /// The answer cache of the legacy routes.
    pub answers: Arc<AnswerCache>,
    /// Credential checks.
    pub auth: Arc<Authenticator>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// GeoIP enrichment of ingested alerts.
    pub geoip: Arc<GeoIp>,
    /// The group-commit writer of the ingest path.
    pub writer: Arc<BatchWriter>,
    /// Signs and verifies the GraphQL login tokens.
    pub jwt: Arc<JwtKeys>,
    /// Newly stored alerts, for the GraphQL subscription (fed after the durable write).
    pub live: AlertFeed,
    /// Stopping: WebSocket sessions listen to it and the server waits for them.
    pub shutdown: Shutdown,
    /// This server's metrics.
    pub metrics: Arc<Metrics>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The embedded store opened but refuses writes (another owner, read-only, full).
    #[error("cannot write the store in {dir} (data_dir): {source}")]
    Unwritable {
        /// The store directory.
        dir: String,
        /// Why the write probe failed.
        source: crate::store::StoreError,
    },
    /// A GeoIP database could not be read.
    #[error(transparent)]
    GeoIp(#[from] crate::ingest::geoip::GeoIpError),
    /// The GraphQL token keys could not be loaded.
    #[error("cannot load the GraphQL token keys: {0}")]
    Jwt(#[from] TokenKeyError),
    /// The Elasticsearch cluster could not be used.
    #[error("cannot use Elasticsearch at {host} (elasticsearch_host): {source}")]
    Elasticsearch {
        /// The configured host.
        host: String,
        /// Why.
        source: crate::store::StoreError,
    },
}

/// Opens the store the settings select: Elasticsearch when `elasticsearch_host` is set,
/// otherwise the embedded store in `data_dir`.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    let Some(host) = &settings.elasticsearch_host else {
        return Ok(Arc::new(EmbeddedStore::open(&settings.data_dir)?));
    };
    let store = ElasticStore::connect(elastic_config(settings, host))
        .await
        .map_err(|source| StartupError::Elasticsearch {
            host: host.clone(),
            source,
        })?;
    Ok(Arc::new(store))
}

/// Opens the store for `peba serve`: like [`open_store`], except that an unreachable
/// Elasticsearch cluster does not stop start-up: the service runs with the store down and
/// keeps connecting in the background ([`ConnectingStore`]).
pub async fn open_serving_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    let Some(host) = &settings.elasticsearch_host else {
        let store = open_store(settings).await?;
        store
            .probe_write()
            .await
            .map_err(|source| StartupError::Unwritable {
                dir: settings.data_dir.display().to_string(),
                source,
            })?;
        return Ok(store);
    };
    let config = elastic_config(settings, host);
    match ElasticStore::connect(config.clone()).await {
        Ok(store) => Ok(Arc::new(store)),
        Err(error) => {
            tracing::warn!(cluster = %host, %error, "Elasticsearch unreachable: serving with the store down and connecting in the background");
            let connecting = ConnectingStore::spawn(
                format!("Elasticsearch at {host}"),
                crate::store::elastic::CONCURRENT_WRITES,
                move || {
                    let config = config.clone();
                    async move { Ok(Arc::new(ElasticStore::connect(config).await?) as Arc<dyn Store>) }
                },
            );
            Ok(Arc::new(connecting))
        }
    }
}

fn elastic_config(settings: &Settings, host: &str) -> ElasticConfig {
    ElasticConfig {
        http_auth: settings.elasticsearch_http_auth.clone(),
        timeout: settings.elastic_timeout,
        alert_write_alias: settings.alert_index.clone(),
        alert_read_prefix: settings.alert_read_prefix.clone(),
        cve_index: settings.cve_index.clone(),
        user_index: settings.user_index.clone(),
        statistic_index: settings.statistic_index.clone(),
        index_shape: IndexShape {
            shards: settings.elastic_shards,
            replicas: settings.elastic_replicas,
        },
        ..ElasticConfig::new(host)
    }
}

impl AppState {
    /// Assembles the state; must run inside a tokio runtime (it starts the writer task).
    pub async fn build(settings: Settings) -> Result<AppState, StartupError> {
        let store = open_serving_store(&settings).await?;
        AppState::with_store(settings, store)
    }

    /// Assembles the state over an already opened store (tests wrap stores this way); must
    /// run inside a tokio runtime.
    pub fn with_store(settings: Settings, store: Arc<dyn Store>) -> Result<AppState, StartupError> {
        let geoip = GeoIp::open(
            settings.geoip_city.as_deref(),
            settings.geoip_asn.as_deref(),
        )?;
        let auth = Authenticator::new(
            store.clone(),
            settings.community_user.clone(),
            settings.community_token.clone(),
            settings.enforce_user_flags,
            settings.auth_attempts_per_minute,
        );
        let jwt = JwtKeys::from_settings(&settings)?;
        let metrics = Arc::new(Metrics::new());
        let clock = settings.frozen_clock.map_or(Clock::System, Clock::Frozen);
        crate::retention::spawn(
            store.clone(),
            clock,
            settings.retention_days,
            metrics.retention.clone(),
        );
        let query = Arc::new(QueryLayer::new(store.clone()));
        let live = AlertFeed::new();
        if settings.elasticsearch_host.is_some() {
            // Other servers may share the cluster: their alerts reach this server's feed too.
            crate::ingest::cluster_feed::spawn(store.clone(), live.clone(), clock);
        }
        Ok(AppState {
            jwt: Arc::new(jwt),
            live,
            shutdown: Shutdown::default(),
            clock,
            writer: Arc::new(BatchWriter::spawn(
                store,
                WriterLimits::default(),
                metrics.writer.clone(),
            )),
            geoip: Arc::new(geoip),
            query,
            answers: Arc::new(AnswerCache::new(settings.cache, metrics.reads.clone())),
            metrics,
            auth: Arc::new(auth),
            settings: Arc::new(settings),
        })
    }
}
