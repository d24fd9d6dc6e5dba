//! Exports and threat feeds, behind a token (see [`access`]):
//!
//! - `GET /export/alerts.csv` and `GET /export/alerts.ndjson`: every alert matching a filter,
//!   streamed page by page ([`export`]);
//! - `GET /feeds/attackers.txt`, `.csv`, `.json` and `.stix.json`: the source addresses seen
//!   in a window with what they did, cached briefly ([`attackers`]).
//!
//! Everything reads through the query layer; parameters are parsed into typed requests first
//! ([`params`]), and any refusal is a [`FeedError`].

pub mod access;
pub mod attackers;
mod error;
pub mod export;
pub mod params;

pub use error::FeedError;

use crate::app::AppState;
use attackers::Format;
use axum::Router;
use axum::routing::get;

/// The export and feed routes.
pub fn router(state: &AppState) -> Router<AppState> {
    let cache = attackers::FeedCache::new(state.settings.feed_cache_ttl);
    Router::new()
        .route("/export/alerts.csv", get(export::csv))
        .route("/export/alerts.ndjson", get(export::ndjson))
        .route("/feeds/attackers.txt", attackers::route(Format::Text))
        .route("/feeds/attackers.csv", attackers::route(Format::Csv))
        .route("/feeds/attackers.json", attackers::route(Format::Json))
        .route("/feeds/attackers.stix.json", attackers::route(Format::Stix))
        .layer(axum::Extension(cache))
}
