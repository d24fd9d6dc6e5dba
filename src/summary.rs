//! The lines `peba serve` logs at start: what runs, on which store, with which GeoIP data,
//! where, and under which limits; warnings for what will quietly degrade answers.

use crate::app::AppState;
use crate::ingest::geoip::DatabaseInfo;
use std::net::SocketAddr;
use std::path::Path;

/// Logs the start-up summary of a server listening on `local`.
pub fn log(state: &AppState, local: SocketAddr) {
    let settings = &state.settings;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "peba starting");
    match &settings.elasticsearch_host {
        Some(cluster) => {
            tracing::info!(store = "elasticsearch", %cluster, alias = %settings.alert_index, "store")
        }
        None => {
            let dir = std::path::absolute(&settings.data_dir)
                .unwrap_or_else(|_| settings.data_dir.clone());
            tracing::info!(store = "embedded", data_dir = %dir.display(), "store");
        }
    }
    log_geoip(
        "city",
        settings.geoip_city.as_deref(),
        state.geoip.city_database(),
    );
    log_geoip(
        "asn",
        settings.geoip_asn.as_deref(),
        state.geoip.asn_database(),
    );
    if settings.geoip_city.is_none() {
        tracing::warn!("no GeoIP city database (geoip_city): every country will be `-`");
    }
    if settings.geoip_asn.is_none() {
        tracing::warn!("no GeoIP ASN database (geoip_asn): every AS will be `-`");
    }
    tracing::info!(address = %local, "listening");
    tracing::info!(
        cache = settings.cache,
        max_body_bytes = settings.max_body_bytes,
        max_connections = settings.max_connections,
        idle_timeout_s = settings.idle_timeout.as_secs(),
        graphql_timeout_s = settings.graphql_timeout.as_secs(),
        shutdown_timeout_s = settings.shutdown_timeout.as_secs(),
        "cache and limits"
    );
}

fn log_geoip(kind: &str, path: Option<&Path>, info: Option<DatabaseInfo>) {
    let (Some(path), Some(info)) = (path, info) else {
        return;
    };
    tracing::info!(database = kind, path = %path.display(), r#type = %info.database_type, built = %info.built, "GeoIP database");
    if !info.fields_match {
        tracing::warn!(
            database = kind,
            path = %path.display(),
            r#type = %info.database_type,
            "the GeoIP ASN database's records lack autonomous_system_number: every AS will be `-`"
        );
    }
}
