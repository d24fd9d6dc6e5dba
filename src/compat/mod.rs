//! The legacy PEBA REST routes, answered byte for byte as PEBA answered them (V2022 read
//! semantics with the fixes and product decisions listed in `compat/COMPATIBILITY.md`).
//!
//! Every handler reads through [`crate::query::QueryLayer`] and answers through the answer
//! cache ([`cache`]); windows come from
//! [`crate::clock::Clock`], always in UTC.

pub mod alert_stats;
pub mod alerts_count;
pub mod alerts_count_with_type;
pub mod alerts_cyber;
pub mod alerts_json;
pub mod cache;
pub mod cors;
pub mod dataset_per_month;
pub mod get_stats;
pub mod heartbeat;
pub mod json;
pub mod lat_lon;
pub mod location;
pub mod params;
pub mod post_simple_message;
pub mod private;
pub mod query_single_ip;
pub mod response;
pub mod retrieve_ips;
pub mod root;
pub mod top_countries;
pub mod tops;
pub mod tpot_stats;
pub mod windows;
pub mod xml;

use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

fn allow(methods: &'static str) -> Response {
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(methods));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(response::HTML),
    );
    response
}

/// A GET route (HEAD and OPTIONS answered too, other methods 405 with `Allow`).
fn get_route<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    get(handler).options(|| async { allow("GET, HEAD, OPTIONS") })
}

/// A POST route (OPTIONS answered too, other methods 405 with `Allow`).
fn post_route<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    post(handler).options(|| async { allow("OPTIONS, POST") })
}

/// Every legacy route, with its exact path and method.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get_route(root::root))
        .route("/heartbeat", get_route(heartbeat::heartbeat))
        .route("/alert/heartbeat", get_route(heartbeat::alert_heartbeat))
        // Private routes: credentials in the XML body.
        .route("/alert/retrieveIPs", post_route(retrieve_ips::retrieve_ips))
        .route(
            "/ews-0.1/alert/retrieveIPs",
            post_route(retrieve_ips::retrieve_ips),
        )
        .route(
            "/alert/retrieveIPs15m",
            post_route(retrieve_ips::retrieve_ips_15m),
        )
        .route(
            "/ews-0.1/alert/retrieveIPs15m",
            post_route(retrieve_ips::retrieve_ips_15m),
        )
        .route(
            "/alert/retrieveAlertsCyber",
            post_route(alerts_cyber::alerts_cyber),
        )
        .route(
            "/alert/querySingleIP",
            post_route(query_single_ip::query_single_ip),
        )
        // Public routes.
        .route(
            "/alert/retrieveAlertsCount",
            get_route(alerts_count::alerts_count),
        )
        .route(
            "/alert/retrieveAlertsCountWithType",
            get_route(alerts_count_with_type::alerts_count_with_type),
        )
        .route(
            "/alert/retrieveAlertsJson",
            get_route(alerts_json::alerts_json),
        )
        .route(
            "/alert/datasetAlertsPerMonth",
            get_route(dataset_per_month::alerts_per_month),
        )
        .route(
            "/alert/datasetAlertTypesPerMonth",
            get_route(dataset_per_month::alert_types_per_month),
        )
        .route(
            "/alert/retrieveAlertStats",
            get_route(alert_stats::alert_stats),
        )
        .route(
            "/alert/topCountriesAttacks",
            get_route(top_countries::top_countries),
        )
        .route("/alert/retrieveLatLonAttacks", get_route(lat_lon::lat_lon))
        .route("/alert/TpotStats", get_route(tpot_stats::tpot_stats))
        .route("/alert/getStats", get_route(get_stats::get_stats))
        .route("/alert/tops", get_route(tops::tops))
        // Ingest.
        .route(
            "/ews-0.1/alert/postSimpleMessage",
            post_route(post_simple_message::post).get(post_simple_message::get),
        )
}
